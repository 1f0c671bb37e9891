"""Recalculation engines behind one interface.

``recalculate(path, engine)`` returns the value of every formula cell as the
engine computes it, keyed ``(sheet, cell)``: a float, a bool, text, an error
code string such as ``'#NUM!'``, or None for an empty result.

``compiled`` (the default) compiles the workbook to numpy
(:mod:`pysie.recalc.compiled`) with its own library of Excel functions; what
it cannot evaluate is refused up front with an
:class:`~pysie.recalc.compiled.Unsupported` error naming the cell, never
handed to another engine. ``formulas`` (the pure-Python reference) runs only
when asked for; ``libreoffice`` runs soffice; ``excel`` drives Microsoft
Excel through xlwings (:mod:`pysie.recalc.excel_app`), where there is one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pysie import steps
from pysie.excel.cache import read_cached_values
from pysie.excel.reader import ParsedBook, formula_cells, read_book
from pysie.options import ENGINES
from pysie.recalc import compiled, excel_app, formulas_engine, libreoffice


class UnknownEngine(ValueError):
    pass


def require_engine(engine: str) -> None:
    """Raise before any work when ``engine`` cannot run on this machine: an
    unknown name (:class:`UnknownEngine`), or ``excel`` without Microsoft
    Excel or xlwings (:class:`~pysie.recalc.libreoffice.EngineUnavailable`,
    one line with the install hint). LibreOffice is looked for when it runs."""
    if engine not in ENGINES:
        raise UnknownEngine(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "excel":
        excel_app.require_excel()


def recalculate(path: Path, engine: str = "compiled", book: ParsedBook | None = None) -> dict[tuple[str, str], Any]:
    """Recalculate ``path`` (never modified) and return every formula cell's value.

    ``book`` is ``path`` already parsed (:func:`pysie.excel.reader.read_book`):
    the compiled engine compiles it and the other engines take the list of
    formula cells from it, so the file is not parsed again."""
    path = Path(path)
    require_engine(engine)
    if book is None:
        book = read_book(path)
    if engine == "compiled":
        return compiled.recalculate_compiled(path, book.cells).values
    sheets, formulas_at = book.sheetnames, formula_cells(book)
    if engine == "formulas":
        values = formulas_engine.recalculate_formulas(path, sheets)
    elif engine == "libreoffice":
        steps.begin("recalculating with LibreOffice")
        with libreoffice.private_tempdir() as tmp:
            out = tmp / path.name
            libreoffice.recalculate_libreoffice(path, out, timeout=steps.child_timeout(libreoffice.TIMEOUT))
            steps.begin("reading LibreOffice's values")
            values = read_cached_values(out)
    elif engine == "excel":
        steps.begin("recalculating with Excel")
        values = excel_app.recalculate_excel(path, formulas_at)
    return {key: values.get(key) for key in formulas_at}
