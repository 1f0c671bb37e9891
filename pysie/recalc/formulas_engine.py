"""Recalculate a workbook with the ``formulas`` package (pure Python).

It is the reference for Excel semantics, and slow: loading a workbook of
~30,000 formula cells takes about a minute and ~2 GB (see README benchmarks).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

_KEY = re.compile(r"^'?\[(?P<book>[^\]]+)\](?P<sheet>.*?)'?!(?P<ref>[A-Z]+[0-9]+)$")


def _plain(value: Any) -> Any:
    """A formulas value as a float, bool, str (errors as '#NUM!') or None."""
    import schedula
    from formulas.tokens.operand import XlError

    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else None
    if isinstance(value, XlError):
        return str(value)
    if value is schedula.EMPTY or value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def recalculate_formulas(
    path: Path, sheet_names: list[str], changes: Mapping[tuple[str, str], float] | None = None
) -> dict[tuple[str, str], Any]:
    """Values of every cell the ``formulas`` package computes, keyed
    ``(sheet, cell)`` with the workbook's own sheet-name spelling."""
    import formulas

    model = formulas.ExcelModel().loads(str(path)).finish()
    inputs = {}
    book = Path(path).name.upper()
    for (sheet, cell), value in (changes or {}).items():
        inputs[f"'[{book}]{sheet.upper()}'!{cell}"] = value
    solution = model.calculate(inputs=inputs) if inputs else model.calculate()
    by_upper = {name.upper(): name for name in sheet_names}
    values: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        match = _KEY.match(key)
        if not match:
            continue
        found = by_upper.get(match["sheet"].upper())
        if found is None:
            continue
        values[(found, match["ref"])] = _plain(getattr(ranges, "value", ranges))
    return values
