"""Charts a person can read: one quantity in one unit per axis, titled in
words with that unit; legends in words; fixed date and percentile scales with
regular ticks; lines that do not hug an edge of the plot (the "vertical wall
at the cap" of a log axis running to 1E+300); every series visible where
lines coincide; one chart per chart sheet on one printed page, and a rendered
picture of each in the README."""

from __future__ import annotations

import datetime
import math
import re
import warnings
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.datetime import to_excel

from pysie.render import chart_sheet_names, charts_only_copy, render_charts
from pysie.templates import all_templates
from tests.conftest import REPO, template_names
from tests.editing import without_cells
from tests.test_libreoffice import _decode_png, _distinct_colours, _pdf_pages

C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
#: A line hugs an edge when more than this share of its points lie within
#: :data:`EDGE` of the bottom or at or past the top of the axis.
HUGGING = 0.75
EDGE = 0.05
#: Two series coincide when this share of their points are equal.
COINCIDE = 0.5


def _charts(path: Path) -> list[SafeET.Element]:
    with zipfile.ZipFile(path) as z:
        return [
            SafeET.fromstring(z.read(n)) for n in sorted(z.namelist()) if re.fullmatch(r"xl/charts/chart\d+\.xml", n)
        ]


def _title(axis: SafeET.Element) -> str:
    return "".join(t.text or "" for t in axis.iterfind(f"{C}title//{A}t"))


def _column(book: openpyxl.Workbook, ref: str) -> tuple[str, list[float | None]]:
    """(unit from the row above the first cell, values with None for non-numbers)
    of a range like 'Sheet'!$D$3:$D$1103."""
    sheet, cells = ref.rsplit("!", 1)
    ws = book[sheet.strip("'").replace("''", "'")]
    letter, top = re.match(r"\$?([A-Z]+)\$?(\d+)", cells).groups()  # type: ignore[union-attr]
    values = [c.value for row in ws[cells.replace("$", "")] for c in row]
    values = [to_excel(v) if isinstance(v, datetime.datetime) else v for v in values]  # dates as serials
    numbers = [float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None for v in values]
    return str(ws[f"{letter}{int(top) - 1}"].value or ""), numbers


def _scale(axis: SafeET.Element, key: str) -> float | None:
    found = axis.find(f"{C}scaling/{C}{key}")
    return None if found is None else float(found.get("val"))


def _positions(axis: SafeET.Element, values: list[float]) -> list[float]:
    """Where ``values`` fall on ``axis``: 0 at its minimum, 1 at its maximum
    (past 1 when clipped); an automatic end is taken at the data's extreme."""
    log = axis.find(f"{C}scaling/{C}logBase") is not None
    f = (lambda v: math.log10(v)) if log else (lambda v: v)
    shown = [f(v) for v in values if v > 0 or not log]
    if not shown:
        return []
    low = f(_scale(axis, "min")) if _scale(axis, "min") is not None else min(shown)
    high = f(_scale(axis, "max")) if _scale(axis, "max") is not None else max(shown)
    span = high - low or 1.0
    return [(v - low) / span for v in shown if v >= low]


def _line(ser: SafeET.Element) -> tuple[str, str, str, bool]:
    """(colour, dash, width, transparent) of a series' line."""
    ln = ser.find(f"{C}spPr/{A}ln")
    if ln is None:
        return ("auto", "solid", "auto", False)
    colour = ln.find(f"{A}solidFill/{A}srgbClr")
    dash = ln.find(f"{A}prstDash")
    return (
        "auto" if colour is None else colour.get("val", ""),
        "solid" if dash is None else dash.get("val", ""),
        ln.get("w", "auto"),
        colour is not None and colour.find(f"{A}alpha") is not None,
    )


def _coincide(a: list[float | None], b: list[float | None]) -> bool:
    same = sum(1 for x, y in zip(a, b, strict=False) if x is not None and y is not None and math.isclose(x, y))
    return same >= COINCIDE * max(len(a), 1)


def chart_problems(path: Path) -> list[str]:
    """Why the charts of ``path`` are hard to read ([] when they are fine)."""
    with warnings.catch_warnings():  # dates past 9999 (read as errors: not plotted either)
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(path, data_only=True)
    problems = []
    for chart in _charts(path):
        if chart.find(f".//{C}scatterChart") is None:
            continue  # the Uncertainty sheet's tornado: see tornado_problems
        x_axis, y_axis = chart.findall(f".//{C}plotArea/{C}valAx")[:2]
        x_units, y_units, lines = set(), set(), []
        for ser in chart.iter(f"{C}ser"):
            name = "".join(v.text or "" for v in ser.iterfind(f"{C}tx//{C}v"))
            if not name or "_" in name:
                problems.append(f"legend entry {name!r} is not in words")
            x_units.add(_column(book, ser.find(f"{C}xVal//{C}f").text)[0].lower())
            unit, values = _column(book, ser.find(f"{C}yVal//{C}f").text)
            y_units.add(unit.lower())
            lines.append((name, _line(ser), values))
        where = _positions(y_axis, [v for _, _, values in lines for v in values if v is not None])
        edge, points = sum(1 for p in where if p < EDGE or p >= 1), len(where)
        if len(y_units) > 1:
            problems.append(f"one y axis holds {len(y_units)} units {sorted(y_units)}")
        for axis, units in ((x_axis, x_units), (y_axis, y_units)):
            title = _title(axis).lower()
            if not any(u and u in title for u in units):
                problems.append(f"axis title {title!r} names none of the units {sorted(units)}")
            fmt = axis.find(f"{C}numFmt")
            if (
                fmt is not None
                and "yy" in fmt.get("formatCode", "")
                and None
                in (
                    _scale(axis, "min"),
                    _scale(axis, "max"),
                    None if axis.find(f"{C}majorUnit") is None else 1.0,
                )
            ):
                problems.append(f"date axis {title!r} without a fixed minimum, maximum and tick spacing")
            if "%" in units and (_scale(axis, "min"), _scale(axis, "max")) != (0.0, 100.0):
                problems.append(f"percentile axis {title!r} does not run from 0 to 100")
        if points and edge > HUGGING * points:
            problems.append(f"{edge} of {points} points lie at an edge of the y axis {_title(y_axis)!r}")
        for i, (name, style, values) in enumerate(lines):
            for other, other_style, other_values in lines[:i]:
                if style[:3] == other_style[:3] and style[0] != "auto":  # automatic colours differ
                    problems.append(f"series {name!r} and {other!r} are drawn alike")
                elif _coincide(values, other_values) and "solid" in (style[1], other_style[1]):
                    solid = style if style[1] == "solid" else other_style
                    if style[1] == other_style[1] or not solid[3]:
                        problems.append(f"series {name!r} and {other!r} coincide and an opaque solid line hides one")
    return problems


@pytest.mark.parametrize("template", template_names())
def test_charts_can_be_read(template: str, template_books: dict[str, Path]) -> None:
    path = template_books[template]
    scatter = [c for c in _charts(path) if c.find(f".//{C}scatterChart") is not None]
    assert len(scatter) == len(chart_sheet_names(path))
    assert chart_problems(path) == []


def _bad_chart(path: Path, wall: bool) -> Path:
    """A chart sheet with every fault :func:`chart_problems` looks for (or, with
    ``wall`` False, only the wall: one well-titled series hugging the bottom)."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("T")
    ws.write_row(0, 0, ["day", "flop", "software", "share"])
    ws.write_row(1, 0, ["day", "FLOP", "x day 0", "%"])
    for i in range(20):
        ws.write_row(2 + i, 0, [i, 10.0 ** (i if i < 15 else 300), 2.0**i, 5 * i])
    chart = wb.add_chart({"type": "scatter"})
    if wall:
        for column in "BCC":  # two units on one axis; two identical, identically drawn series
            chart.add_series(
                {
                    "name": f"software_{column}",
                    "categories": "='T'!$A$3:$A$22",
                    "values": f"='T'!${column}$3:${column}$22",
                    "line": {"color": "#000000"},
                }
            )
        chart.add_series(  # on top of software_C, in another colour but as solid and opaque
            {"name": "Software", "categories": "='T'!$A$3:$A$22", "values": "='T'!$C$3:$C$22", "line": {"color": "red"}}
        )
        chart.set_x_axis({"name": "Time"})
        chart.set_y_axis({"log_base": 10, "min": 1, "num_format": "yyyy"})
    else:
        chart.add_series({"name": "Flop", "categories": "='T'!$A$3:$A$22", "values": "='T'!$B$3:$B$22"})
        chart.set_x_axis({"name": "Time (day)"})
        chart.set_y_axis({"name": "FLOP", "log_base": 10, "min": 1})
    wb.add_chartsheet("C").set_chart(chart)
    share = wb.add_chart({"type": "scatter"})
    share.add_series({"name": "Share", "categories": "='T'!$A$3:$A$22", "values": "='T'!$D$3:$D$22"})
    share.set_x_axis({"name": "Time (day)"})
    share.set_y_axis({"name": "Share (%)", "max": 120 if wall else 100, "min": 0})
    wb.add_chartsheet("D").set_chart(share)
    wb.close()
    return path


def test_the_chart_check_can_fail(tmp_path: Path) -> None:
    problems = chart_problems(_bad_chart(tmp_path / "bad.xlsx", wall=True))
    expected = [
        "legend entry 'software_B' is not in words",
        "one y axis holds 2 units",
        "axis title 'time' names none of the units",
        "axis title '' names none of the units",
        "date axis '' without a fixed minimum, maximum and tick spacing",
        "points lie at an edge of the y axis",
        "series 'software_C' and 'software_B' are drawn alike",
        "series 'software_C' and 'software_C' are drawn alike",
        "series 'Software' and 'software_C' coincide and an opaque solid line hides one",
        "percentile axis 'share (%)' does not run from 0 to 100",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    # the wall alone: 15 points in the bottom 5% of a log axis up to 1E+300, 5 at its top
    assert chart_problems(_bad_chart(tmp_path / "wall.xlsx", wall=False)) == [
        "20 of 20 points lie at an edge of the y axis 'FLOP'"
    ]


def test_only_chart_sheets_stay_visible(template_books: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "charts.xlsx"
    charts = charts_only_copy(template_books["retraining"], copy)
    book = openpyxl.load_workbook(without_cells(copy, tmp_path / "states.xlsx"))  # sheet states lie outside the cells
    visible = [ws.title for ws in book.worksheets + book.chartsheets if ws.sheet_state == "visible"]
    assert sorted(visible) == sorted(charts) and charts


@pytest.mark.libreoffice
@pytest.mark.poppler
def test_each_chart_sheet_renders_to_one_non_blank_page(template_books: dict[str, Path], tmp_path: Path) -> None:
    """:func:`render_charts` of one template's workbook (each template's chart
    sheets print on one non-blank page each: tests/test_render.py)."""
    path = template_books["overhang"]
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


def test_software_lines_stop_the_day_each_variant_reaches_infinity(template_books: dict[str, Path]) -> None:
    """The plotted software doublings are numbers before the first day with
    S >= infinity_cap (or S an error) on the variant's own sheet, and #N/A
    (a gap) from that day on."""
    from pysie.models.retraining import MODEL, VARIANTS

    book = openpyxl.load_workbook(template_books["retraining"], data_only=True)
    cap = float(MODEL.resolve("note-default")["infinity_cap"])
    plotted = book["Chart data"]
    header = [c.value for c in plotted[1]]
    for variant in VARIANTS:
        sheet = book[MODEL.table(variant).sheet]
        names = [c.value for c in sheet[1]]
        software = [r[names.index("software")].value for r in sheet.iter_rows(min_row=3)]
        infinite = next(
            i for i, s in enumerate(software) if not isinstance(s, (int, float)) or not math.isfinite(s) or s >= cap
        )
        line = [r[header.index(f"{variant}_software_doublings")].value for r in plotted.iter_rows(min_row=3)]
        assert all(isinstance(v, (int, float)) for v in line[:infinite]), variant
        assert set(line[infinite:]) == {"#N/A"}, variant
        assert 0 < infinite < len(line)  # the default reaches infinity within the horizon


def test_a_changed_chart_is_stale(template_books: dict[str, Path], tmp_path: Path) -> None:
    """``build --check`` compares charts too: a committed chart whose axis or
    series differs from the plan's is named with its sheet."""
    from pysie.compare import workbook_plan
    from pysie.freshness import compare_with_plan

    book = template_books["overhang"]
    plan = workbook_plan(book)
    assert [s for s in compare_with_plan(book, plan) if s.what.startswith("chart")] == []
    edited = tmp_path / book.name
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(edited, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/charts/chart3.xml":  # the second chart sheet (chart1: the Uncertainty tornado)
                data = data.replace(b'<c:max val="55"/>', b'<c:max val="60"/>', 1)
                data = data.replace(b"<c:v>invest-x3</c:v>", b"<c:v>invest_x3</c:v>", 1)
            dst.writestr(item, data)
    stale = [s for s in compare_with_plan(edited, plan) if s.what.startswith("chart")]
    assert [(s.where, s.what.split(" committed")[0]) for s in stale] == [
        ("Capability chart", "chart series 2"),
        ("Capability chart", "chart y axis"),
    ]
    assert "60.0" in stale[1].what and "55.0" in stale[1].what


# --- the Uncertainty sheet's tornado ---------------------------------------------

UNCERTAINTY = "Uncertainty"
#: Okabe and Ito's blue and vermilion, the p10 and p90 bars (written out, not read from the code).
BAR_COLOURS = ("0072B2", "D55E00")


def _tornado_table(ws: openpyxl.worksheet.worksheet.Worksheet) -> tuple[str, float, dict[str, str], range]:
    """(the table's title, the output at every median, header -> column letter, the parameters' rows)
    of the tornado table, found by its words."""
    rows = range(1, ws.max_row + 1)
    title = next(r for r in rows if str(ws[f"A{r}"].value or "").startswith("Tornado of "))
    base = float(ws[f"D{title + 1}"].value)
    header = next(r for r in rows if r > title and ws[f"A{r}"].value == "parameter")
    letters = {str(c.value): c.column_letter for c in ws[header] if c.value is not None}
    last = next((r for r in rows if r > header and ws[f"A{r}"].value is None), ws.max_row + 1) - 1
    return str(ws[f"A{title}"].value), base, letters, range(header + 1, last + 1)


def _bar_charts(path: Path) -> list[SafeET.Element]:
    return [c for c in _charts(path) if c.find(f".//{C}barChart") is not None]


def tornado_problems(path: Path) -> list[str]:
    """Why the tornado chart of ``path`` does not draw its Uncertainty sheet's tornado table ([] when
    it does): one horizontal bar chart whose two series are the table's outputs at p10 and at p90 by
    parameter name, bars starting at the output with every parameter at its median, the first row
    (largest swing) on top, names at the left edge, titled with the table's output and unit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ws = openpyxl.load_workbook(path, data_only=True)[UNCERTAINTY]
    heading, base, letters, rows = _tornado_table(ws)
    charts = _bar_charts(path)
    if len(charts) != 1:
        return [f"{len(charts)} bar charts, not one tornado"]
    (chart,) = charts
    problems = []

    def cells(header: str) -> str:
        letter = letters[header]
        return f"{UNCERTAINTY}!${letter}${rows.start}:${letter}${rows.stop - 1}"

    direction = chart.find(f".//{C}barChart/{C}barDir")
    if direction is None or direction.get("val") != "bar":
        problems.append("bars are not horizontal")
    series = list(chart.iter(f"{C}ser"))
    found = [
        (ser.findtext(f"{C}cat//{C}f", "").replace("'", ""), ser.findtext(f"{C}val//{C}f", "").replace("'", ""))
        for ser in series
    ]
    wanted = [(cells("parameter"), cells("output at p10")), (cells("parameter"), cells("output at p90"))]
    if found != wanted:
        problems.append(f"series read {found}, not the tornado table's {wanted}")
    colours = [ser.find(f"{C}spPr/{A}solidFill/{A}srgbClr") for ser in series]
    if [None if c is None else c.get("val") for c in colours] != list(BAR_COLOURS[: len(series)]):
        problems.append("the p10 and p90 bars are not blue and vermilion")
    for ser in series:
        name = "".join(v.text or "" for v in ser.iterfind(f"{C}tx//{C}v"))
        if not name or "_" in name:
            problems.append(f"legend entry {name!r} is not in words")
    category, value = chart.find(f".//{C}catAx"), chart.find(f".//{C}valAx")
    crossing = category.find(f"{C}crossesAt") if category is not None else None
    if crossing is None or not math.isclose(float(crossing.get("val")), base, rel_tol=1e-12):
        problems.append(f"bars do not start at the median output {base}")
    order = category.find(f"{C}scaling/{C}orientation") if category is not None else None
    if order is None or order.get("val") != "maxMin":
        problems.append("the largest swing is not on top")
    labels = category.find(f"{C}tickLblPos") if category is not None else None
    if labels is None or labels.get("val") != "low":
        problems.append("parameter names are not at the left edge")
    output_and_unit = heading.removeprefix("Tornado of ").split(":")[0]  # "years_of_progress (years)"
    if output_and_unit not in _text_of(chart.find(f"{C}chart/{C}title")):
        problems.append(f"title does not name {output_and_unit!r}")
    if value is None or output_and_unit.split(" (")[0] not in _title(value):
        problems.append("value axis title does not name the output")
    return problems


def _text_of(node: SafeET.Element | None) -> str:
    return "" if node is None else "".join(t.text or "" for t in node.iter(f"{A}t"))


def test_the_tornado_chart_draws_the_tornado_table(small_books: dict[str, Path]) -> None:
    assert tornado_problems(small_books["overhang"]) == []


@pytest.mark.parametrize("template", ["retraining", "software-explosion"])
def test_each_committed_tornado_chart_draws_its_table(template: str, template_books: dict[str, Path]) -> None:
    assert tornado_problems(template_books[template]) == []


def test_a_workbook_sampling_itself_has_no_tornado_chart(small_books: dict[str, Path]) -> None:
    assert _bar_charts(small_books["milestone-takeoff"]) == []  # its Uncertainty sheet has no tornado table


def test_a_tornado_that_never_reaches_its_output_has_no_chart(parity_retraining_book: Path) -> None:
    """A chart would draw the word never as 0 (and a bar start of NaN is no number a file can hold):
    the 40-day retraining workbook, never reaching infinity at the medians, has the table alone."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # openpyxl reads every chart of the file
        ws = openpyxl.load_workbook(parity_retraining_book)[UNCERTAINTY]
    heading, base, _, _ = _tornado_table_words(ws)
    assert math.isnan(base)
    assert heading.endswith("no chart: the output is never reached in some of these runs")
    assert _bar_charts(parity_retraining_book) == []


def _tornado_table_words(ws: openpyxl.worksheet.worksheet.Worksheet) -> tuple[str, float, int, int]:
    """(title, the all-medians output, NaN for the word never, its row, the title's row)."""
    rows = range(1, ws.max_row + 1)
    title = next(r for r in rows if str(ws[f"A{r}"].value or "").startswith("Tornado of "))
    value = ws[f"D{title + 1}"].value
    return str(ws[f"A{title}"].value), float(value) if isinstance(value, (int, float)) else math.nan, title + 1, title


def _edited_chart(book: Path, out: Path, edits: list[tuple[bytes, bytes]]) -> Path:
    """A copy of ``book`` with ``edits`` (old, new) made to its bar chart's XML."""
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if re.fullmatch(r"xl/charts/chart\d+\.xml", item.filename) and b"<c:barChart>" in data:
                for old, new in edits:
                    assert old in data, old
                    data = data.replace(old, new)
            dst.writestr(item, data)
    return out


def test_the_tornado_check_and_build_check_see_a_broken_tornado(small_books: dict[str, Path], tmp_path: Path) -> None:
    """The deliberate break: the p90 bars reading the p90 values (column E) instead of the outputs
    at p90 (F), the bars upright, in table order from the bottom, starting at 0."""
    from pysie.compare import workbook_plan
    from pysie.freshness import compare_with_plan

    book = small_books["overhang"]
    plan = workbook_plan(book)
    assert [s for s in compare_with_plan(book, plan) if s.what.startswith("chart")] == []
    crossing = re.search(rb'<c:crossesAt val="[^"]+"/>', book_chart(book))
    assert crossing is not None
    broken = _edited_chart(
        book,
        tmp_path / "broken.xlsx",
        [
            (b"!$F$", b"!$E$"),
            (b'<c:barDir val="bar"/>', b'<c:barDir val="col"/>'),
            (b'<c:orientation val="maxMin"/>', b'<c:orientation val="minMax"/>'),
            (crossing.group(), b'<c:crossesAt val="0"/>'),
        ],
    )
    problems = tornado_problems(broken)
    for text in ("bars are not horizontal", "series read", "do not start at the median", "largest swing"):
        assert any(text in p for p in problems), (text, problems)
    stale = [(s.where, s.what.split(" committed")[0]) for s in compare_with_plan(broken, plan)]
    assert (UNCERTAINTY, "chart series 2") in stale and (UNCERTAINTY, "chart category axis") in stale, stale
    assert (UNCERTAINTY, "chart value axis") in stale, stale


def book_chart(book: Path) -> bytes:
    """The XML of ``book``'s bar chart."""
    with zipfile.ZipFile(book) as z:
        (data,) = [
            z.read(n)
            for n in z.namelist()
            if re.fullmatch(r"xl/charts/chart\d+\.xml", n) and b"<c:barChart>" in z.read(n)
        ]
    return data


def _bar_pixels(png: Path) -> dict[str, int]:
    """How many pixels of ``png`` have each of :data:`BAR_COLOURS`."""
    _, _, bpp, rows = _decode_png(png)
    wanted = {bytes.fromhex(c): c for c in BAR_COLOURS}
    counts = dict.fromkeys(BAR_COLOURS, 0)
    for row in rows:
        for x in range(0, len(row), bpp):
            colour = wanted.get(bytes(row[x : x + 3]))
            if colour is not None:
                counts[colour] += 1
    return counts


def _render_uncertainty(book: Path, out: Path) -> Path:
    """The Uncertainty sheet of ``book`` printed by LibreOffice, as a PNG at 60 dpi (one page)."""
    from pysie.recalc.libreoffice import render_pngs
    from pysie.render import sheets_only_copy

    staged = out / f"{book.stem}-uncertainty.xlsx"
    sheets_only_copy(book, staged, {UNCERTAINTY})
    (png,) = render_pngs(staged, out / "pages", dpi=60)
    return png


@pytest.mark.libreoffice
@pytest.mark.poppler
def test_the_tornado_renders_in_libreoffice_and_its_absence_shows(small_books: dict[str, Path], tmp_path: Path) -> None:
    """LibreOffice draws both colours of bars on the printed Uncertainty sheet; the sheet of a
    workbook without a tornado (milestone-takeoff's) has neither (the check can fail)."""
    drawn = _bar_pixels(_render_uncertainty(small_books["overhang"], tmp_path))
    assert min(drawn.values()) > 50, drawn
    assert _bar_pixels(_render_uncertainty(small_books["milestone-takeoff"], tmp_path)) == dict.fromkeys(BAR_COLOURS, 0)
