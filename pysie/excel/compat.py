"""Which functions a workbook's formulas may use, and how they must be spelled.

Excel stores functions added after Excel 2007 with an ``_xlfn.`` prefix
(``_xlfn.NORM.S.INV(...)``); written without it, Excel and LibreOffice show
``#NAME?``. Some functions are refused outright because one of the target
engines (Excel 2010, LibreOffice, the ``formulas`` package) lacks them or
because they are volatile or spill arrays, which a cell-by-cell check cannot
follow (see ARCHITECTURE.md).

:func:`formula_problems` reads one formula; :func:`workbook_formula_problems`
every formula of a workbook; :func:`unexpected_errors` lists the recalculated
cells whose error the model does not mean (an error is only allowed where the
solver's value is NaN, and never ``#NAME?``, ``#REF!`` or ``#VALUE!``, which
always mean a broken formula).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysie.excel.reader import formula_cells, read_book

#: Functions introduced in Excel 2010 or later: stored as ``_xlfn.NAME``.
XLFN_FUNCTIONS = frozenset(
    [
        "AGGREGATE",
        "BETA.DIST",
        "BETA.INV",
        "BINOM.DIST",
        "BINOM.INV",
        "CEILING.PRECISE",
        "CHISQ.DIST",
        "CHISQ.DIST.RT",
        "CHISQ.INV",
        "CHISQ.INV.RT",
        "CHISQ.TEST",
        "CONFIDENCE.NORM",
        "CONFIDENCE.T",
        "COVARIANCE.P",
        "COVARIANCE.S",
        "ERF.PRECISE",
        "ERFC.PRECISE",
        "EXPON.DIST",
        "F.DIST",
        "F.DIST.RT",
        "F.INV",
        "F.INV.RT",
        "F.TEST",
        "FLOOR.PRECISE",
        "GAMMA.DIST",
        "GAMMA.INV",
        "GAMMALN.PRECISE",
        "HYPGEOM.DIST",
        "LOGNORM.DIST",
        "LOGNORM.INV",
        "MODE.MULT",
        "MODE.SNGL",
        "NEGBINOM.DIST",
        "NETWORKDAYS.INTL",
        "NORM.DIST",
        "NORM.INV",
        "NORM.S.DIST",
        "NORM.S.INV",
        "PERCENTILE.EXC",
        "PERCENTILE.INC",
        "PERCENTRANK.EXC",
        "PERCENTRANK.INC",
        "POISSON.DIST",
        "QUARTILE.EXC",
        "QUARTILE.INC",
        "RANK.AVG",
        "RANK.EQ",
        "STDEV.P",
        "STDEV.S",
        "T.DIST",
        "T.DIST.2T",
        "T.DIST.RT",
        "T.INV",
        "T.INV.2T",
        "T.TEST",
        "VAR.P",
        "VAR.S",
        "WEIBULL.DIST",
        "WORKDAY.INTL",
        "Z.TEST",
        "ACOT",
        "ACOTH",
        "ARABIC",
        "BASE",
        "BITAND",
        "BITLSHIFT",
        "BITOR",
        "BITRSHIFT",
        "BITXOR",
        "CEILING.MATH",
        "COMBINA",
        "COT",
        "COTH",
        "CSC",
        "CSCH",
        "DAYS",
        "DECIMAL",
        "FLOOR.MATH",
        "FORMULATEXT",
        "GAMMA",
        "GAUSS",
        "IFNA",
        "IMCOSH",
        "IMCOT",
        "IMCSC",
        "IMCSCH",
        "IMSEC",
        "IMSECH",
        "IMSINH",
        "IMTAN",
        "ISFORMULA",
        "ISOWEEKNUM",
        "MUNIT",
        "NUMBERVALUE",
        "PDURATION",
        "PERMUTATIONA",
        "PHI",
        "RRI",
        "SEC",
        "SECH",
        "SHEET",
        "SHEETS",
        "SKEW.P",
        "XOR",
        "CONCAT",
        "IFS",
        "MAXIFS",
        "MINIFS",
        "SWITCH",
        "TEXTJOIN",
        "FORECAST.LINEAR",
    ]
)

#: Functions pysie never writes: missing in a target engine, volatile, or spilling.
REFUSED_FUNCTIONS = frozenset(
    [
        "XLOOKUP",
        "XMATCH",
        "LET",
        "LAMBDA",
        "OFFSET",
        "INDIRECT",
        "FILTER",
        "SORT",
        "SORTBY",
        "UNIQUE",
        "SEQUENCE",
        "RANDARRAY",
        "RAND",
        "RANDBETWEEN",
        "NOW",
        "TODAY",
        "MAP",
        "REDUCE",
        "SCAN",
        "MAKEARRAY",
        "BYROW",
        "BYCOL",
        "CHOOSECOLS",
        "CHOOSEROWS",
        "HSTACK",
        "VSTACK",
        "TAKE",
        "DROP",
        "TOCOL",
        "TOROW",
        "WRAPCOLS",
        "WRAPROWS",
        "EXPAND",
        "TEXTSPLIT",
        "TEXTBEFORE",
        "TEXTAFTER",
    ]
)

#: Errors that always mean a broken formula, never a value the model intends.
BROKEN_ERRORS = frozenset({"#NAME?", "#REF!", "#VALUE!"})

_STRING = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_SHEET = re.compile(r"'(?:[^']|'')*'")
_CALL = re.compile(r"(?<![A-Za-z0-9_.])((?:_xlfn\.|_xlws\.)*)([A-Za-z][A-Za-z0-9_.]*)\s*\(")


@dataclass(frozen=True)
class Problem:
    """One cell whose formula or value is wrong, and why."""

    sheet: str
    cell: str
    reason: str

    def describe(self) -> str:
        return f"{self.sheet}!{self.cell}: {self.reason}"


def called_functions(formula: str) -> list[tuple[str, str]]:
    """``(prefix, NAME)`` of every function call in ``formula`` (string
    literals and quoted sheet names are ignored)."""
    text = _QUOTED_SHEET.sub("''", _STRING.sub('""', formula))
    return [(prefix, name.upper()) for prefix, name in _CALL.findall(text)]


def formula_problems(formula: str) -> list[str]:
    """Why ``formula`` would not work in every target engine ([] when it does)."""
    problems = []
    for prefix, name in called_functions(formula):
        if name in REFUSED_FUNCTIONS:
            problems.append(f"{name} is refused (a target engine lacks it, or it is volatile or spills)")
        elif name in XLFN_FUNCTIONS and "_xlfn." not in prefix.lower():
            problems.append(f"{name} needs the _xlfn. prefix (Excel 2010+ function), else #NAME?")
    return problems


def workbook_formula_problems(formulas_at: Mapping[tuple[str, str], str]) -> list[Problem]:
    """Every problem of every formula ``(sheet, cell) -> '=...'`` (see
    :func:`pysie.recalc.formula_cells`)."""
    return [
        Problem(sheet, cell, f"{reason}: {text}")
        for (sheet, cell), text in formulas_at.items()
        for reason in formula_problems(text)
    ]


def _error_code(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("#"):
        return value.upper()
    return None


def unexpected_errors(found: Mapping[tuple[str, str], Any], expected: Mapping[tuple[str, str], float]) -> list[Problem]:
    """Recalculated cells holding an error the model does not mean.

    ``found``: engine values by ``(sheet, cell)``; ``expected``: the solver's
    value of each model cell. ``#NAME?``, ``#REF!`` and ``#VALUE!`` are always
    unexpected; another error is allowed only where the solver's value is NaN.
    """
    problems = []
    for key, value in found.items():
        code = _error_code(value)
        if code is None:
            continue
        solver = expected.get(key)
        if code in BROKEN_ERRORS:
            problems.append(Problem(*key, f"{code} means a broken formula"))
        elif solver is None or math.isfinite(solver):
            problems.append(Problem(*key, f"{code} where the solver has {solver!r}"))
    return problems


def describe(problems: Iterable[Problem], limit: int = 20) -> str:
    """Problems one per line, at most ``limit``."""
    items = list(problems)
    lines = [p.describe() for p in items[:limit]]
    if len(items) > limit:
        lines.append(f"... and {len(items) - limit} more")
    return "\n".join(lines)


def workbook_path_problems(path: Path) -> list[Problem]:
    """:func:`workbook_formula_problems` of the workbook at ``path``."""
    return workbook_formula_problems(formula_cells(read_book(Path(path))))
