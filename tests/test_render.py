"""Every sheet of every committed workbook as a person sees it in LibreOffice.

Each workbook in ``workbooks/`` is recalculated by LibreOffice (the values a
person opening it sees) and printed to PDF (what they print). The PDF's
outline gives the first page of each sheet, so the page count and the text of
every sheet are known. Asserted, per sheet:

* no error value (``#NUM!``, ``#N/A``, ``#VALUE!``, ``#DIV/0!``, ``Err:5xx`` ...)
  in the LibreOffice-recalculated step sheets and Summary at the template's
  preset; a table read only by charts may hold ``#N/A`` (the gap a chart
  leaves where a line stops), nothing else;
* no ``###`` (a number wider than its column at its format) and no ``#FMT``
  (a value the format cannot show) in the printed text of any sheet but Docs,
  whose prose may quote those marks;
* a print setup on every worksheet: fit to one page wide, any number tall;
  the header rows of a table repeated on every page; the sheet's name in the
  page header or footer;
* at most :data:`SMALL_SHEET_PAGES` pages for Inputs, Summary, Theory,
  Compare and snapshot sheets, :data:`DOCS_PAGES` for Docs, one for a chart
  sheet and one per :data:`MIN_ROWS_PER_PAGE` rows for a table (a table
  printed two pages wide would need twice as many); Inputs one page wide,
  every input on its first page.
"""

from __future__ import annotations

import math
import re
import subprocess
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pysie.excel.cache import sheet_parts
from pysie.excel.layout import DOCS, INPUT_COLUMNS, INPUTS, SUMMARY, TABLE_HEADER_ROWS, Layout
from pysie.models import get_model
from pysie.render import chart_sheet_names
from pysie.spec import Model, Range
from pysie.templates import Template, all_templates
from tests.conftest import REPO, CommittedInLibreOffice
from tests.editing import without_cells
from tests.test_libreoffice import _distinct_colours as distinct_colours

#: A page of a table holds at least this many rows (A4 landscape at 100% holds
#: about 38; fitting a sheet to the page width only shrinks it).
MIN_ROWS_PER_PAGE = 30
#: Pages of Inputs, Summary, Theory, Compare and snapshot sheets.
SMALL_SHEET_PAGES = 2
#: Pages of the Docs sheet.
DOCS_PAGES = 8
#: A cell LibreOffice cannot show: a number too wide for its column, or a value
#: its number format cannot display (e.g. a date after 9999-12-31).
UNSHOWN = re.compile(r"(?<!\S)#{3,}(?!\S)|#FMT")

TEMPLATES: dict[str, Template] = {t.name: t for t in all_templates(REPO / "templates")}

#: Sheets whose assertions are known to fail on the committed workbooks, with
#: the cause (marked xfail, strict=False); none since the step sheets hold their
#: values after "infinity" and date cells show after 9999-12-31 in words.
KNOWN_ERRORS: dict[tuple[str, str], str] = {}
KNOWN_UNSHOWN: dict[tuple[str, str], str] = {}


def _path(template: str) -> Path:
    return REPO / "workbooks" / TEMPLATES[template].filename


def _layout(template: str) -> Layout:
    t = TEMPLATES[template]
    return Layout.of(get_model(t.model), t.values())


def _table_sheets(template: str) -> dict[str, str]:
    """Sheet -> table name, for every table sheet (with each compared preset's copies)."""
    layout = _layout(template)
    sheets = {t.sheet: t.name for t in layout.model.tables}
    sheets.update({sheet: table for (_, table), sheet in layout.preset_sheets.items()})
    return sheets


def plotted_only(model: Model) -> set[str]:
    """Tables that only charts read: no other table and no result reads a
    whole column of them (e.g. a chart's data, #N/A where a line stops)."""
    read = {
        node.table
        for expr in [s.expr for s in model.scalars]
        + [e for t in model.tables for c in t.columns for e in (c.first, c.next)]
        for node in expr.walk()
        if isinstance(node, Range)
    }
    charted = {s.table for chart in model.charts for s in chart.series}
    return charted - read


def _params(sheets_of: dict[str, list[str]], known: dict[tuple[str, str], str]) -> list[object]:
    return [
        pytest.param(
            template,
            sheet,
            id=f"{template}-{sheet}",
            marks=[pytest.mark.xfail(strict=False, reason=known[(template, sheet)])]
            if (template, sheet) in known
            else [],
        )
        for template, sheets in sheets_of.items()
        for sheet in sheets
    ]


def _worksheets(template: str) -> list[str]:
    """The worksheets (not chart sheets) of a committed workbook, in workbook order."""
    with zipfile.ZipFile(_path(template)) as z:
        return list(sheet_parts(z))


RESULT_SHEETS = {t: [*_table_sheets(t), SUMMARY] for t in TEMPLATES}
PRINTED_SHEETS = {t: [s for s in _worksheets(t) if s != DOCS] for t in TEMPLATES}


@dataclass(frozen=True)
class Printed:
    """A workbook printed to PDF by LibreOffice: its pages by sheet."""

    pdf: Path
    pages: dict[str, range]  # sheet -> its pages, 1-based
    page_texts: list[str]  # the text of each page, page 1 first

    @classmethod
    def of(cls, pdf: Path) -> Printed:
        """The pages of ``pdf`` and their text, from one ``pdftotext`` run (it ends each page with a form feed)."""
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
        pages = sheet_pages(pdf)
        *texts, after_the_last = text.stdout.split("\f")
        assert len(texts) == max(p.stop for p in pages.values()) - 1 and not after_the_last.strip()
        return cls(pdf, pages, texts)

    def text(self, sheet: str, page: int | None = None) -> str:
        pages = self.pages[sheet] if page is None else range(page, page + 1)
        return "\f".join(self.page_texts[p - 1] for p in pages)


def _page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def sheet_pages(pdf: Path) -> dict[str, range]:
    """Pages of each sheet, from the outline LibreOffice writes (one entry per
    sheet, at its first page)."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-stdout", "-i", "-q", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    starts = [(int(p), name) for p, name in re.findall(r'<item page="(\d+)">([^<]*)</item>', xml)]
    ends = [p for p, _ in starts[1:]] + [_page_count(pdf) + 1]
    return {name.replace("&amp;", "&"): range(p, end) for (p, name), end in zip(starts, ends, strict=True)}


class Renders:
    """Each committed workbook printed and recalculated by LibreOffice once
    (tests/conftest.py :class:`CommittedInLibreOffice`), read on first use."""

    def __init__(self, books: CommittedInLibreOffice) -> None:
        self.books = books

    @cache  # noqa: B019 (one instance per test module)
    def printed(self, template: str) -> Printed:
        return Printed.of(self.books.printed(template))

    @cache  # noqa: B019
    def errors(self, template: str) -> dict[str, list[tuple[str, str]]]:
        """Error cells of each sheet once LibreOffice has recalculated the workbook."""
        return error_cells(self.books.recalculated(template))


def error_cells(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet -> its cells holding an error value, (cell, error), read from the
    sheet XML (cells of type ``e``). openpyxl is not used: it turns a
    date-formatted number past 9999-12-31 into an error of its own."""
    with zipfile.ZipFile(path) as z:
        return {sheet: _ERROR_CELL.findall(z.read(part).decode("utf-8")) for sheet, part in sheet_parts(z).items()}


_ERROR_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"[^>]*?\st="e"[^>]*>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)


@pytest.fixture(scope="module")
def renders(committed_in_libreoffice: CommittedInLibreOffice) -> Renders:
    return Renders(committed_in_libreoffice)


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.parametrize(("template", "sheet"), _params(RESULT_SHEETS, KNOWN_ERRORS))
def test_no_error_values_in_step_sheets_or_summary(template: str, sheet: str, renders: Renders) -> None:
    model = get_model(TEMPLATES[template].model)
    allowed = {"#N/A"} if _table_sheets(template).get(sheet) in plotted_only(model) else set()
    errors = [f"{sheet}!{cell} = {error}" for cell, error in renders.errors(template)[sheet] if error not in allowed]
    assert not errors, f"{len(errors)} error cells, first {errors[:5]}"


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.poppler
@pytest.mark.parametrize(("template", "sheet"), _params(PRINTED_SHEETS, KNOWN_UNSHOWN))
def test_no_value_printed_as_hashes(template: str, sheet: str, renders: Renders) -> None:
    marks = UNSHOWN.findall(renders.printed(template).text(sheet))
    assert not marks, f"{sheet}: {len(marks)} cells print as {sorted(set(marks))}"


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.poppler
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_pages_per_sheet_within_bounds(template: str, renders: Renders) -> None:
    pages = renders.printed(template).pages
    layout = _layout(template)
    tables = _table_sheets(template)
    charts = chart_sheet_names(_path(template))
    assert sorted(pages) == sorted([*_worksheets(template), *charts]), "every sheet prints"
    too_many = []
    for sheet, its in pages.items():
        if sheet in charts:
            bound = 1
        elif sheet in tables:
            bound = math.ceil((layout.table_rows[tables[sheet]] + TABLE_HEADER_ROWS) / MIN_ROWS_PER_PAGE)
        else:
            bound = DOCS_PAGES if sheet == DOCS else SMALL_SHEET_PAGES
        if len(its) > bound:
            too_many.append(f"{sheet}: {len(its)} pages > {bound}")
    assert not too_many


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.poppler
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_inputs_print_one_page_wide_with_every_input_on_the_first_page(template: str, renders: Renders) -> None:
    printed = renders.printed(template)
    first = printed.text(INPUTS, page=printed.pages[INPUTS].start)
    model = get_model(TEMPLATES[template].model)
    missing = [h for h in INPUT_COLUMNS if not re.search(rf"\b{re.escape(h)}\b", first)]
    missing += [p.name for p in model.parameters if p.name not in first]
    assert not missing, f"not on the first Inputs page: {missing}"


@pytest.mark.slow
@pytest.mark.libreoffice
@pytest.mark.poppler
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_each_chart_sheet_prints_on_one_non_blank_page(template: str, renders: Renders, tmp_path: Path) -> None:
    printed = renders.printed(template)
    charts = chart_sheet_names(_path(template))
    assert charts
    for sheet in charts:
        (page,) = printed.pages[sheet]
        png = tmp_path / f"page-{page}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "50",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                str(printed.pdf),
                str(png),
            ],
            check=True,
        )
        assert distinct_colours(png.with_suffix(".png")) > 2, f"{sheet} prints blank"


def print_setup_problems(path: Path, tables: set[str], scratch: Path) -> list[str]:
    """What each worksheet of ``path`` lacks of a print setup: fitted one page
    wide and any number tall, header rows repeated on every page for the sheets
    in ``tables``, the sheet's name in the page header or footer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(without_cells(path, scratch))
    missing = []
    for ws in book.worksheets:
        setup = ws.page_setup
        if not (ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage):
            missing.append(f"{ws.title}: not fitted to the page")
        wide, tall = (1 if v is None else int(v) for v in (setup.fitToWidth, setup.fitToHeight))  # absent: 1
        if (wide, tall) != (1, 0):
            missing.append(f"{ws.title}: fits {wide} page(s) wide x {tall} tall, not 1 wide x any")
        if ws.title in tables and not ws.print_title_rows:
            missing.append(f"{ws.title}: header rows not repeated on each page")
        margins = [ws.oddHeader.left.text, ws.oddHeader.center.text, ws.oddHeader.right.text]
        margins += [ws.oddFooter.left.text, ws.oddFooter.center.text, ws.oddFooter.right.text]
        if not any(t and ("&A" in t or ws.title in t) for t in margins):
            missing.append(f"{ws.title}: sheet name in neither page header nor footer")
    return missing


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_worksheet_has_a_print_setup(template: str, tmp_path: Path) -> None:
    assert not print_setup_problems(_path(template), set(_table_sheets(template)), tmp_path / "setup.xlsx")


def test_the_print_setup_check_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    bare = wb.add_worksheet("Bare")
    bare.write_number("A1", 1)
    done = wb.add_worksheet("Done")
    done.write_number("A1", 2)
    done.fit_to_pages(1, 0)
    done.repeat_rows(0)
    done.set_footer("&L&A")
    wide = wb.add_worksheet("Wide")
    wide.fit_to_pages(2, 1)
    wide.set_header("&LWide")
    wb.close()
    assert print_setup_problems(path, {"Bare", "Done", "Wide"}, tmp_path / "s.xlsx") == [
        "Bare: not fitted to the page",
        "Bare: fits 1 page(s) wide x 1 tall, not 1 wide x any",  # absent: one page each way
        "Bare: header rows not repeated on each page",
        "Bare: sheet name in neither page header nor footer",
        "Wide: fits 2 page(s) wide x 1 tall, not 1 wide x any",
        "Wide: header rows not repeated on each page",
    ]


@pytest.mark.parametrize("text", ["1.5  ###  2", "#####", "#FMT", "a\n###\n"])
def test_the_hash_check_sees_an_unshown_cell(text: str) -> None:
    assert UNSHOWN.search(text)


@pytest.mark.parametrize("text", ["#N/A", "#NUM!", "C#", "12#34", "x ## y"])
def test_the_hash_check_passes_other_text(text: str) -> None:
    assert not UNSHOWN.search(text)


def test_error_cells_finds_errors_and_not_far_dates(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_formula("A1", "=NA()", None, "#N/A")
    ws.write_formula("B2", "=1/0", None, "#DIV/0!")
    ws.write_number("C3", 3e6, wb.add_format({"num_format": "yyyy-mm-dd"}))  # after 9999-12-31
    ws.write_formula("D4", "=1+1", None, 2)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"values": "=S!$D$4:$D$4"})
    wb.add_chartsheet("C").set_chart(chart)
    wb.close()
    assert error_cells(path) == {"S": [("A1", "#N/A"), ("B2", "#DIV/0!")]}
