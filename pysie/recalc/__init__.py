"""Recalculation engines behind one interface.

``recalculate(path, engine)`` returns the value of every formula cell as the
engine computes it, keyed ``(sheet, cell)``: a float, a bool, text, an error
code string such as ``'#NUM!'``, or None for an empty result.

``compiled`` (the default) compiles the workbook to numpy
(:mod:`pysie.recalc.compiled`) with its own library of Excel functions; what
it cannot evaluate is refused up front with an
:class:`~pysie.recalc.compiled.Unsupported` error naming the cell, never
handed to another engine. ``formulas`` (the pure-Python reference) runs only
when asked for; ``libreoffice`` runs soffice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pysie.excel.reader import open_workbook

ENGINES = ("compiled", "formulas", "libreoffice")


class UnknownEngine(ValueError):
    pass


def formula_cells(path: Path) -> tuple[list[str], dict[tuple[str, str], str]]:
    """Sheet names and every formula cell ``(sheet, cell) -> '=...'`` of a workbook."""
    book = open_workbook(path)
    cells: dict[tuple[str, str], str] = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=")):
                    cells[(ws.title, c.coordinate)] = str(c.value)
    return book.sheetnames, cells


def recalculate(path: Path, engine: str = "compiled") -> dict[tuple[str, str], Any]:
    """Recalculate ``path`` (never modified) and return every formula cell's value."""
    path = Path(path)
    if engine == "compiled":
        from pysie.recalc.compiled import recalculate_compiled

        return recalculate_compiled(path).values
    sheets, formulas_at = formula_cells(path)
    if engine == "formulas":
        from pysie.recalc.formulas_engine import recalculate_formulas

        values = recalculate_formulas(path, sheets)
    elif engine == "libreoffice":
        from pysie.recalc.libreoffice import private_tempdir, recalculate_libreoffice

        with private_tempdir() as tmp:
            out = tmp / path.name
            recalculate_libreoffice(path, out)
            from pysie.excel.cache import read_cached_values

            values = read_cached_values(out)
    else:
        raise UnknownEngine(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return {key: values.get(key) for key in formulas_at}
