"""XlsxWriter's worksheet without its per-formula rewriting where it has nothing to do.

Before storing a formula, XlsxWriter's ``Worksheet._prepare_formula`` runs
about thirty regular-expression substitutions over it, one for each
dynamic-array function it prefixes with ``_xlfn.`` (FILTER, SORT, XLOOKUP
...): about 0.8 ms a formula, most of the time of writing a pysie workbook
(the milestone-takeoff Samples sheet: 20,000 formulas). :class:`QuickWorksheet`
hands a formula to that method only when it calls one of those functions;
otherwise it strips the ``=`` and array braces as the method does and returns
the text, which is what the substitutions would have returned.
``tests/test_workbook_format.py`` reads the names out of the installed
XlsxWriter's method, so a new one there is noticed.
"""

from __future__ import annotations

import re
from typing import Any

from xlsxwriter.worksheet import Worksheet

#: the functions XlsxWriter 3's ``_prepare_formula`` rewrites (without future functions)
REWRITTEN = frozenset(
    {
        "ANCHORARRAY",
        "BYCOL",
        "BYROW",
        "CHOOSECOLS",
        "CHOOSEROWS",
        "DROP",
        "EXPAND",
        "FILTER",
        "HSTACK",
        "LAMBDA",
        "MAKEARRAY",
        "MAP",
        "RANDARRAY",
        "REDUCE",
        "SCAN",
        "SINGLE",
        "SEQUENCE",
        "SORT",
        "SORTBY",
        "SWITCH",
        "TAKE",
        "TEXTSPLIT",
        "TOCOL",
        "TOROW",
        "UNIQUE",
        "VSTACK",
        "WRAPCOLS",
        "WRAPROWS",
        "XLOOKUP",
    }
)
_CALLED = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


def may_be_rewritten(formula: str) -> bool:
    """Could XlsxWriter's substitutions change ``formula``? (True when unsure.)"""
    if "INGLE(" in formula:  # its SINGLE pattern is written \SINGLE\( (any character, then INGLE)
        return True
    return any(part in REWRITTEN for name in _CALLED.findall(formula) for part in name.split("."))


class QuickWorksheet(Worksheet):
    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> Any:
        if self.use_future_functions or expand_future_functions or may_be_rewritten(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula
