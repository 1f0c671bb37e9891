"""Charts a person can read: log scales where values span orders of magnitude,
axis titles with units, one chart per chart sheet on one printed page, and a
rendered picture of each in the README."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest
import xlsxwriter

from pysie.render import chart_sheet_names, charts_only_copy, render_charts
from pysie.templates import all_templates
from tests.conftest import REPO, template_names
from tests.test_libreoffice import _distinct_colours, _pdf_pages

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
#: Positive values spanning more than this ratio need a log axis.
LOG_SPAN = 1e3


def _charts(path: Path) -> list[SafeET.Element]:
    with zipfile.ZipFile(path) as z:
        return [
            SafeET.fromstring(z.read(n)) for n in sorted(z.namelist()) if re.fullmatch(r"xl/charts/chart\d+\.xml", n)
        ]


def _title(axis: SafeET.Element) -> str:
    return "".join(t.text or "" for t in axis.iterfind(f"{C}title//{A}t"))


def _column(book: openpyxl.Workbook, ref: str) -> tuple[str, list[float]]:
    """(unit from the units row, numeric values) of a range like 'Sheet'!$D$3:$D$1103."""
    sheet, cells = ref.rsplit("!", 1)
    ws = book[sheet.strip("'").replace("''", "'")]
    letter = re.match(r"\$?([A-Z]+)", cells).group(1)  # type: ignore[union-attr]
    values = [c.value for row in ws[cells.replace("$", "")] for c in row]
    return str(ws[f"{letter}2"].value or ""), [
        float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)
    ]


def chart_problems(path: Path) -> list[str]:
    """Why the charts of ``path`` are hard to read ([] when they are fine)."""
    book = openpyxl.load_workbook(path, data_only=True)
    problems = []
    for chart in _charts(path):
        x_axis, y_axis = chart.findall(f".//{C}plotArea/{C}valAx")[:2]
        x_units, y_units, y_values = set(), set(), []
        for ser in chart.iter(f"{C}ser"):
            x_units.add(_column(book, ser.find(f"{C}xVal//{C}f").text)[0].lower())
            unit, values = _column(book, ser.find(f"{C}yVal//{C}f").text)
            y_units.add(unit.lower())
            if unit.lower() != "date":  # a date axis is linear in time, cut by its own min and max
                y_values += [v for v in values if v > 0]
        for axis, units in ((x_axis, x_units), (y_axis, y_units)):
            title = _title(axis).lower()
            if not any(u and u in title for u in units):
                problems.append(f"axis title {title!r} names none of the units {sorted(units)}")
        if y_values and max(y_values) / min(y_values) > LOG_SPAN and y_axis.find(f"{C}scaling/{C}logBase") is None:
            problems.append(f"y values span {min(y_values):g}..{max(y_values):g} on a linear axis")
    return problems


@pytest.mark.parametrize("template", template_names())
def test_axes_have_titles_with_units_and_wide_ranges_are_log(template: str, template_books: dict[str, Path]) -> None:
    path = template_books[template]
    assert len(_charts(path)) == len(chart_sheet_names(path))
    assert chart_problems(path) == []


def test_the_chart_check_can_fail(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("T")
    ws.write_row(0, 0, ["day", "flop"])
    ws.write_row(1, 0, ["day", "FLOP"])
    for i in range(5):
        ws.write_row(2 + i, 0, [i, 10.0 ** (5 * i)])
    chart = wb.add_chart({"type": "scatter"})
    chart.add_series({"categories": "='T'!$A$3:$A$7", "values": "='T'!$B$3:$B$7"})
    chart.set_x_axis({"name": "Time"})
    wb.add_chartsheet("C").set_chart(chart)
    wb.close()
    problems = chart_problems(path)
    assert len(problems) == 3, problems  # x title without its unit, no y title, linear y over 20 decades


def test_only_chart_sheets_stay_visible(template_books: dict[str, Path], tmp_path: Path) -> None:
    path = next(iter(template_books.values()))
    copy = tmp_path / "charts.xlsx"
    charts = charts_only_copy(path, copy)
    book = openpyxl.load_workbook(copy)
    visible = [ws.title for ws in book.worksheets + book.chartsheets if ws.sheet_state == "visible"]
    assert sorted(visible) == sorted(charts) and charts


@pytest.mark.libreoffice
@pytest.mark.poppler
@pytest.mark.parametrize("template", template_names())
def test_each_chart_sheet_renders_to_one_non_blank_page(
    template: str, template_books: dict[str, Path], tmp_path: Path
) -> None:
    path = template_books[template]
    pngs = render_charts(path, tmp_path, dpi=50)
    charts = chart_sheet_names(path)
    assert _pdf_pages(tmp_path / f"{path.stem}-charts.pdf") == len(charts)
    assert len(pngs) == len(charts)
    for png in pngs:
        assert _distinct_colours(png) > 2, f"{png.name} is blank"


README = (REPO / "README.md").read_text(encoding="utf-8")
IMAGES = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", README)


def test_readme_shows_a_rendered_chart_of_every_template() -> None:
    for image in IMAGES:
        path = REPO / image
        assert path.is_file(), image
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
        assert path.stat().st_size < 200_000, f"{image}: keep README pictures small"
    for template in all_templates(REPO / "templates"):
        stem = Path(template.filename).stem
        assert any(Path(i).name.startswith(f"{stem}-") for i in IMAGES), (
            f"README has no picture of {template.filename}'s charts"
        )
