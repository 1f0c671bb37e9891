"""Workbooks that open cleanly: frozen headers, readable number formats, and a
how-to block on the Inputs sheet, read back with openpyxl from every template."""

from __future__ import annotations

import functools
from pathlib import Path

import openpyxl
import pytest

from pysie.dates import DATE_FORMAT
from pysie.excel.layout import DOCS, HOWTO_ROWS, INPUTS
from pysie.models import MODELS
from pysie.templates import all_templates
from tests.conftest import REPO, template_names

SCIENTIFIC = "E+"


@functools.cache
def _loaded(path: Path) -> openpyxl.Workbook:
    """``path`` loaded once per test process (the tests only read it; the
    milestone workbook takes seconds to load)."""
    return openpyxl.load_workbook(path)


@pytest.mark.parametrize("template", template_names())
def test_every_data_sheet_has_frozen_headers(template: str, template_books: dict[str, Path]) -> None:
    book = _loaded(template_books[template])
    for ws in book.worksheets:
        if ws.title != DOCS:
            assert ws.freeze_panes, f"{ws.title}: no frozen header"


@pytest.mark.parametrize("template", template_names())
def test_flop_is_scientific_and_years_are_plain(template: str, template_books: dict[str, Path]) -> None:
    book = _loaded(template_books[template])
    checked = 0
    for ws in book.worksheets:
        if ws.title == DOCS:
            continue
        header, units = ws[1], ws[2]
        cells = []
        if (
            ws.max_row > 3
            and all(isinstance(c.value, str) for c in header[:2])
            and any(isinstance(c.value, str) for c in units)
        ):
            cells = [
                (f"{c.column_letter}3", str(u.value or ""), ws[f"{c.column_letter}3"].number_format)
                for c, u in zip(header, units, strict=False)
            ]
        else:  # name, value, unit rows (Inputs, Summary, Theory)
            cells = [
                (r[1].coordinate, r[2].value, r[1].number_format)
                for r in ws.iter_rows(min_row=2)
                if len(r) > 2
                and isinstance(r[0].value, str)
                and isinstance(r[2].value, str)
                and isinstance(r[1].value, (int, float, str))
                and not (isinstance(r[1].value, str) and not r[1].value.startswith("="))
            ]
        for where, unit, fmt in cells:
            if "flop" in unit.lower() and "log" not in unit.lower():  # log10 FLOP is a plain number
                checked += 1
                assert SCIENTIFIC in fmt.upper(), f"{ws.title}!{where} ({unit}) has number format {fmt!r}"
            if unit.lower() in ("year", "date"):  # calendar years and dates; durations in "years" are plain decimals
                checked += 1
                assert fmt in ("0", "0.0", "General", "yyyy-mm-dd", "yyyy", DATE_FORMAT), (
                    f"{ws.title}!{where} ({unit}) has number format {fmt!r}"
                )
    model = MODELS[next(t.model for t in all_templates(REPO / "templates") if t.name == template)]
    units = [p.unit for p in model.parameters] + [c.unit for t in model.tables for c in t.columns]
    declared = any(("flop" in u.lower() and "log" not in u.lower()) or u.lower() in ("year", "date") for u in units)
    assert checked or not declared, "no FLOP, year or date cell found: is the header layout still as this test assumes?"


@pytest.mark.parametrize("template", template_names())
def test_inputs_sheet_starts_with_how_to_use(template: str, template_books: dict[str, Path]) -> None:
    ws = _loaded(template_books[template])[INPUTS]
    block = [str(ws.cell(row=r, column=1).value or "") for r in range(2, HOWTO_ROWS + 1)]
    assert block[0].startswith("How to use:")
    assert sum(bool(line) for line in block) >= 3
    assert any("pysie check" in line for line in block)
    assert book_is_active_on_inputs(template_books[template])


def book_is_active_on_inputs(path: Path) -> bool:
    book = _loaded(path)
    return book.active is not None and book.active.title == INPUTS


def test_the_quick_worksheet_knows_every_function_xlsxwriter_rewrites() -> None:
    """QuickWorksheet skips XlsxWriter's substitutions for formulas that call none
    of the functions they rewrite: the list must be the installed XlsxWriter's."""
    import inspect
    import re

    from xlsxwriter.worksheet import Worksheet

    from pysie.excel.quick_worksheet import REWRITTEN

    source = inspect.getsource(Worksheet._prepare_formula)
    dynamic = source.split("if not self.use_future_functions")[0]
    found = set(re.findall(r'r"\\[bS]([A-Z.]+)\\\(",', dynamic))
    assert len(found) >= 25  # the method was read, not an empty match
    assert found <= REWRITTEN | {"INGLE"}  # (its SINGLE pattern is \SINGLE\()


@pytest.mark.parametrize(
    "formula",
    [
        "=IF(A1>0,LN(B2),NA())",
        "{=SUM(A1:A3*B1:B3)}",
        "=FILTER(A1:A9,B1:B9>0)",
        "=A.SORT(B1)",
        "=_xlfn.XLOOKUP(1,A1:A3,B1:B3)",
        '="SWITCH(" & A1',
        "=SINGLE(A1)",
        "=xSINGLE(A1)",
    ],
)
def test_the_quick_worksheet_prepares_formulas_as_xlsxwriter_does(formula: str) -> None:
    from xlsxwriter.worksheet import Worksheet

    from pysie.excel.quick_worksheet import QuickWorksheet

    assert QuickWorksheet()._prepare_formula(formula) == Worksheet()._prepare_formula(formula)
