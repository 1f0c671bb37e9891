"""Write a workbook plan (:mod:`pysie.excel.plan`) as an .xlsx file.

XlsxWriter is used for writing (openpyxl for reading) because it stores a
cached value next to every formula, so pandas and viewers that do not
recalculate see numbers, and because its charts support log axes. The writer
decides nothing: it writes exactly the cells, formats, names and charts of
the plan. Files are written to a temporary name in the target folder and
moved into place, so a failure never leaves half a workbook.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

from pysie.excel.plan import STAMP, STYLES, PageSetup, PlannedCell, SheetPlan, WorkbookPlan
from pysie.excel.quick_worksheet import QuickWorksheet
from pysie.fileio import atomic_output

#: A fixed creation date keeps rebuilt workbooks byte-identical.
REPRODUCIBLE_DATE = datetime.datetime(2025, 3, 1)


class _Formats:
    """XlsxWriter formats by (style, number format), made once each."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.book = book
        self.made: dict[tuple[str, str], Any] = {}

    def __call__(self, style: str, number_format: str = "") -> Any:
        key = (style, number_format)
        if key not in self.made:
            props = dict(STYLES[style])
            if number_format:
                props["num_format"] = number_format
            self.made[key] = self.book.add_format(props) if props else None
        return self.made[key]

    def rule(self, options: Mapping[str, Any]) -> Any:
        """The differential format of a conditional-format rule (its style name)."""
        key = ("conditional", str(options["format"]))
        if key not in self.made:
            self.made[key] = self.book.add_format(dict(STYLES[str(options["format"])]))
        return self.made[key]


def write_plan(plan: WorkbookPlan, path: Path, *, overwrite: bool = False) -> None:
    """Write ``plan`` to ``path`` atomically (an existing file only with ``overwrite``); a plan
    without its snapshot numbers (``WorkbookPlan.numbers``, made for check and import) is refused."""
    if not plan.numbers:
        raise ValueError("this workbook plan has no snapshot numbers (it was made to check a workbook): not written")
    with atomic_output(Path(path), overwrite=overwrite) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False})
        formats = _Formats(book)
        for sheet in plan.sheets:
            if sheet.chart is not None:
                _chart_sheet(book, sheet)
            else:
                _worksheet(book, formats, sheet)
        for name, target in plan.names.items():
            book.define_name(name, target)
        book.set_properties({**plan.properties, "created": REPRODUCIBLE_DATE})
        book.close()


def _worksheet(book: xlsxwriter.Workbook, formats: _Formats, sheet: SheetPlan) -> None:
    ws = book.add_worksheet(sheet.name, worksheet_class=QuickWorksheet)
    for column in sheet.columns:
        ws.set_column(column.first, column.last, column.width, formats(column.style, column.number_format))
    for cell in sheet.cells:
        _write_cell(ws, formats, cell)
    for row, col, text in sheet.comments:
        ws.write_comment(row, col, text, {"x_scale": 2})
    for row, height in sheet.row_heights.items():
        ws.set_row(row, height)
    for row, col, rule in sheet.validations:
        ws.data_validation(row, col, row, col, rule)
    for first_row, first_col, last_row, last_col, options in sheet.conditional:
        ws.conditional_format(first_row, first_col, last_row, last_col, {**options, "format": formats.rule(options)})
    for embedded in sheet.charts:
        ws.insert_chart(embedded.row, embedded.col, _chart(book, embedded.options), {"x_offset": 8, "y_offset": 4})
    if sheet.freeze is not None:
        ws.freeze_panes(*sheet.freeze)
    if sheet.active:
        ws.activate()
    if sheet.page is not None:
        _page_setup(ws, sheet.page)


def _page_setup(ws: Any, page: PageSetup) -> None:
    ws.set_paper(9)  # A4
    if page.landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide, as tall as needed
    if page.repeat_rows:
        ws.repeat_rows(0, page.repeat_rows - 1)
    ws.set_header(page.header)
    ws.set_footer(page.footer)


def _write_cell(ws: Any, formats: _Formats, cell: PlannedCell) -> None:
    fmt = formats(cell.style, cell.number_format)
    if cell.kind == "formula":
        ws.write_formula(cell.row, cell.col, cell.content, fmt, cell.cached)
    elif cell.kind in ("input", "value", STAMP):
        ws.write_number(cell.row, cell.col, cell.content, fmt)
    elif cell.content == "":
        ws.write_blank(cell.row, cell.col, None, fmt)
    else:
        ws.write(cell.row, cell.col, cell.content, fmt)


def _chart(book: xlsxwriter.Workbook, options: Mapping[str, Any]) -> Any:
    """The chart of ``options`` (:mod:`pysie.excel.charts`): straight scatter lines unless
    its ``type`` says otherwise."""
    kind = options.get("type", "scatter")
    chart = book.add_chart({"type": kind, "subtype": "straight"} if kind == "scatter" else {"type": kind})
    for series in options["series"]:
        chart.add_series(series)
    chart.set_title(options["title"])
    chart.set_x_axis(options["x_axis"])
    chart.set_y_axis(options["y_axis"])
    chart.set_legend(options["legend"])
    if "size" in options:
        chart.set_size(options["size"])
    chart.show_blanks_as("gap")
    chart.show_na_as_empty_cell()  # #N/A is a gap in the line, not a point at 0
    return chart


def _chart_sheet(book: xlsxwriter.Workbook, sheet: SheetPlan) -> None:
    cs = book.add_chartsheet(sheet.name)
    cs.set_chart(_chart(book, sheet.chart or {}))
    cs.set_landscape()
    cs.fit_to_pages(1, 1)
