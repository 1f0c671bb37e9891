"""The Uncertainty sheet: distributions as named input cells, the Monte Carlo
summary and tornado as a snapshot, live percentiles where the workbook samples.

Oracles: the declarations themselves (each distribution's own fields),
:mod:`pysie.montecarlo` and :mod:`pysie.sensitivity` run here (not through
the writer), ``pysie mc MODEL --dist`` for an edited book, and
the workbook's own Summary sheet for the live cells."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter

from pysie import montecarlo, sensitivity
from pysie.cli import main
from pysie.compare import check_workbook, expected_values, workbook_plan
from pysie.distributions import Fixed, Lognormal, LogUniform, Normal, Uniform
from pysie.excel.reader import ParsedSheet, defined_name_target, read_book
from pysie.freshness import compare_with_plan
from pysie.models import MODELS
from pysie.models.milestone_takeoff import MODEL as MILESTONE
from pysie.models.overhang import MODEL as OVERHANG
from pysie.templates import find_template
from tests.conftest import COARSE, REPO
from tests.editing import copy_book, set_cell_xml

SHEET = "Uncertainty"
DECLARED = [name for name, m in MODELS.items() if m.uncertainty is not None and not name.endswith("-run")]
#: Each kind's numbers as the sheet labels them, read from the distribution's own fields (written out by hand).
FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    Lognormal: (("P10", "p10"), ("P90", "p90")),
    LogUniform: (("LO", "lo"), ("HI", "hi")),
    Uniform: (("LO", "lo"), ("HI", "hi")),
    Normal: (("MEAN", "mean"), ("SD", "sd")),
    Fixed: (("V", "value"),),
}
KINDS = {Lognormal: "lognormal", LogUniform: "loguniform", Uniform: "uniform", Normal: "normal", Fixed: "fixed"}


def _committed(name: str) -> Path:
    template = find_template(name)
    assert template is not None
    return REPO / "workbooks" / template.filename


def _sheet(path: Path) -> ParsedSheet:
    ws = read_book(path)[SHEET]
    assert isinstance(ws, ParsedSheet)
    return ws


def _table(ws: ParsedSheet, first: str) -> dict[str, list[Any]]:
    """Column A -> the row's cells B..G, for the rows under the header whose column A is ``first``."""
    rows = range(1, ws.max_row + 1)
    header = next(r for r in rows if ws[f"A{r}"].value == first)
    out = {}
    for r in range(header + 1, ws.max_row + 1):
        name = ws[f"A{r}"].value
        if name is None:
            break
        out[str(name)] = [ws[f"{c}{r}"].value for c in "BCDEFG"]
    return out


def _held(name: str) -> dict[str, float]:
    """The template's value of every parameter that has no distribution."""
    template = find_template(name)
    assert template is not None
    model = MODELS[name]
    scenario = model.uncertainty.scenario or model  # type: ignore[union-attr]
    values = template.values()
    return {p.name: values[p.name] for p in scenario.parameters if p.dist is None}


def _close(found: Any, expected: Any) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return found == "never"
    return isinstance(found, (int, float)) and math.isclose(found, expected, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("name", DECLARED)
def test_the_distribution_cells_are_the_declarations(name: str) -> None:
    path = _committed(name)
    book = read_book(path)
    ws = _sheet(path)
    model = MODELS[name]
    scenario = model.uncertainty.scenario or model  # type: ignore[union-attr]
    drawn = [p for p in scenario.parameters if p.dist is not None]
    rows = _table(ws, "parameter")
    assert list(rows) == [p.name for p in drawn]
    for p in drawn:
        dist = p.dist
        assert rows[p.name][0] == KINDS[type(dist)]
        for label, attribute in FIELDS[type(dist)]:
            target = defined_name_target(book, f"{p.name}_{label.lower()}")
            assert target is not None and target[0] == SHEET, (p.name, label)
            cell = ws[target[1]]
            # XlsxWriter stores 16 significant digits
            assert cell.value == pytest.approx(getattr(dist, attribute), rel=1e-15), (p.name, label)
            left = ws[f"{chr(ord(target[1][0]) - 1)}{target[1][1:]}"].value  # the label beside it
            assert left == label


@pytest.mark.parametrize("name", DECLARED)
def test_the_snapshot_summary_is_the_monte_carlo_of_the_stated_samples_and_seed(name: str) -> None:
    ws = _sheet(_committed(name))
    samples, seed = ws["B6"].value, ws["D6"].value
    assert (ws["A6"].value, ws["C6"].value) == ("Samples", "seed")
    assert f"--samples {samples} --seed {seed}" in str(ws["B5"].value)
    result = montecarlo.run(montecarlo.design(MODELS[name], int(samples), int(seed), values=_held(name)))
    expected = result.summary()
    rows = _table(ws, "output")
    assert list(rows) == list(expected)
    for output, row in rows.items():
        assert row[0] == result.design.unit(output)
        for found, key in zip(row[1:], ("p10", "p50", "p90", "mean", "never"), strict=True):
            assert _close(found, expected[output][key]), (output, key, found, expected[output][key])


@pytest.mark.parametrize("name", DECLARED)
def test_the_tornado_is_one_at_a_time_largest_swing_first(name: str) -> None:
    ws = _sheet(_committed(name))
    oat = sensitivity.oat(sensitivity.design(MODELS[name], values=_held(name))[0])
    expected = oat.report()
    header = next(r for r in range(1, ws.max_row + 1) if str(ws[f"A{r}"].value).startswith("Tornado of "))
    assert str(ws[f"A{header}"].value).startswith(f"Tornado of {expected['output']} ")
    assert _close(ws[f"D{header + 1}"].value, expected["base"])
    rows = _table_after(ws, header)
    assert list(rows) == list(expected["parameters"])
    swings = [row[-1] for row in rows.values()]
    assert swings == sorted(swings, reverse=True)
    for parameter, row in rows.items():
        want = expected["parameters"][parameter]
        for found, key in zip(row[1:], ("low_value", "low", "high_value", "high", "swing"), strict=True):
            assert _close(found, want[key]), (parameter, key, found, want[key])


def _table_after(ws: ParsedSheet, row: int) -> dict[str, list[Any]]:
    """The first table whose header starts with ``parameter`` below ``row``."""
    header = next(r for r in range(row, ws.max_row + 1) if ws[f"A{r}"].value == "parameter")
    out = {}
    for r in range(header + 1, ws.max_row + 1):
        if ws[f"A{r}"].value is None:
            break
        out[str(ws[f"A{r}"].value)] = [ws[f"{c}{r}"].value for c in "BCDEFG"]
    return out


@pytest.fixture(scope="module")
def overhang_book(coarse_overhang_book: Path) -> Path:
    """The session's coarse overhang workbook (read or copied, never changed)."""
    return coarse_overhang_book


def _cell(path: Path, name: str) -> str:
    target = defined_name_target(read_book(path), name)
    assert target is not None
    return target[1]


def test_an_edited_distribution_is_reported_and_sampled_by_mc_book(
    overhang_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = copy_book(overhang_book, tmp_path / "book.xlsx")
    cell = _cell(book, "software_pool_oom_hi")
    set_cell_xml(book, SHEET, cell, "<v>15.5</v>")
    before = book.read_bytes()
    assert main(["import", str(book)]) == 0
    out = capsys.readouterr().out
    declared = OVERHANG.parameter("software_pool_oom").dist
    assert isinstance(declared, Uniform)
    assert f"{SHEET}!{cell} software_pool_oom HI changed {declared.hi:g} -> 15.5" in out
    assert main(["import", str(book), "--json"]) == 0
    (edit,) = json.loads(capsys.readouterr().out)["edited_distributions"]
    assert edit == {
        "sheet": SHEET,
        "cell": cell,
        "parameter": "software_pool_oom",
        "number": "HI",
        "declared": declared.hi,
        "found": 15.5,
    }
    assert main(["mc", str(book), "--samples", "500", "--seed", "3", "--json"]) == 0
    from_book = json.loads(capsys.readouterr().out)
    assert book.read_bytes() == before  # only read
    # the same run through the model, the book's inputs given by hand
    sets = [f"--set={k}={v}" for k, v in OVERHANG.resolve("baseline", COARSE).items() if k in from_book["held"]]
    spec = f"uniform:{declared.lo:g}:15.5"
    args = ["mc", "overhang", "--samples", "500", "--seed", "3", "--json", "--dist", f"software_pool_oom={spec}"]
    assert main([*args, *sets]) == 0
    by_hand = json.loads(capsys.readouterr().out)
    assert from_book["drawn"]["software_pool_oom"] == spec
    assert from_book["outputs"] == by_hand["outputs"]
    assert from_book["held"] == pytest.approx(by_hand["held"], rel=1e-15)  # the book holds 16 digits


@pytest.mark.parametrize(
    ("name", "inner", "attrs", "says"),
    [
        ("software_pool_oom_lo", "<v>20</v>", "", "must be below hi"),  # LO above HI
        ("hardware_delay_months_hi", "<v>1e9</v>", "", "outside its bounds"),
        ("investment_pool_oom_lo", "<is><t>four</t></is>", ' t="inlineStr"', "a number is needed"),
    ],
)
def test_a_bad_distribution_edit_exits_2_naming_the_cell(
    overhang_book: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    inner: str,
    attrs: str,
    says: str,
) -> None:
    book = copy_book(overhang_book, tmp_path / "bad.xlsx")
    cell = _cell(book, name)
    set_cell_xml(book, SHEET, cell, inner, attrs)
    before = book.read_bytes()
    for command in (["import", str(book)], ["mc", str(book), "--samples", "10"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert f"{SHEET}!{cell}" in captured.err and says in captured.err, captured.err
        assert captured.out == ""  # no number computed from the refused value
    assert book.read_bytes() == before


def test_check_lists_the_snapshot_cells_as_not_compared(overhang_book: Path) -> None:
    report = check_workbook(overhang_book)
    assert report.ok, report.summary()
    ws = _sheet(overhang_book)
    numbers = {
        f"{SHEET}!{c}{r}"
        for r in range(1, ws.max_row + 1)
        for c in "BCDEFG"
        if isinstance(ws[f"{c}{r}"].value, (int, float))
        or (ws[f"{c}{r}"].value == "never" and ws[f"A{r}"].value != "output")
    }  # the date (B4) reads as a datetime; "never" below the header stands for a NaN share
    inputs = {
        f"{SHEET}!{_cell(overhang_book, f'{p.name}_{x}')}" for p in OVERHANG.parameters if p.dist for x in ("lo", "hi")
    }
    listed = {c for c in report.not_compared if c.startswith(SHEET)}
    assert listed == numbers - inputs and listed
    assert "snapshot cells not compared (" in report.summary() and SHEET in report.summary()


def test_milestone_takeoff_reads_its_live_percentiles(small_milestone_book: Path) -> None:
    """The workbook samples itself: its p10/p50/p90 are formulas over the Summary
    sheet's percentile cells (compared by check), its mean and never a snapshot."""
    ws = _sheet(small_milestone_book)
    rows = range(1, ws.max_row + 1)
    header = next(r for r in rows if ws[f"A{r}"].value == "output")
    plan = workbook_plan(small_milestone_book)
    compared = {cell for sheet, cell in expected_values(plan) if sheet == SHEET}
    columns = MILESTONE.sampling.columns  # type: ignore[union-attr]
    for i, column in enumerate(columns):
        r = header + 1 + i
        assert ws[f"A{r}"].value == column
        for letter, q in zip("CDE", ("p10", "p50", "p90"), strict=True):
            assert ws[f"{letter}{r}"].value == f"={column}_{q}"
            assert f"{letter}{r}" in compared
        assert isinstance(ws[f"G{r}"].value, (int, float))  # never: a stored share
    report = check_workbook(small_milestone_book)
    assert report.ok, report.summary()
    assert not {c for c in report.not_compared if c.startswith(SHEET) and c.split("!")[1] in compared}
    # the distributions it draws from read the Inputs cells
    dists = _table(ws, "parameter")
    assert dists["sc_sar_gap"][:5] == ["lognormal", "P10", "=sc_sar_gap_low", "P90", "=sc_sar_gap_high"]


def test_a_snapshot_dated_another_day_is_current(overhang_book: Path, tmp_path: Path) -> None:
    book = copy_book(overhang_book, tmp_path / "dated.xlsx")
    plan = workbook_plan(book)
    assert compare_with_plan(book, plan) == []
    set_cell_xml(book, SHEET, "B4", "<v>45292</v>")  # 2024-01-01
    assert compare_with_plan(book, plan) == []
    ws = _sheet(book)
    header = next(r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == "output")
    set_cell_xml(book, SHEET, f"C{header + 1}", "<v>123456</v>")
    (stale,) = compare_with_plan(book, plan)
    assert stale.where == f"{SHEET}!C{header + 1}"
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_build_from_carries_the_edited_distributions_and_computes_the_snapshot_again(
    overhang_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = copy_book(overhang_book, tmp_path / "book.xlsx")
    set_cell_xml(book, SHEET, _cell(book, "software_pool_oom_hi"), "<v>15.5</v>")
    assert main(["build", "overhang", "--from", str(book), "-o", str(tmp_path / "fresh")]) == 0
    capsys.readouterr()
    fresh = tmp_path / "fresh" / "overhang.xlsx"
    assert read_book(fresh)[SHEET][_cell(fresh, "software_pool_oom_hi")].value == 15.5  # type: ignore[index]
    declared = OVERHANG.parameter("software_pool_oom").dist
    assert isinstance(declared, Uniform)
    values = OVERHANG.resolve("baseline", COARSE)
    held = {p.name: values[p.name] for p in OVERHANG.parameters if p.dist is None}
    dists = {"software_pool_oom": Uniform(declared.lo, 15.5)}
    expected = montecarlo.run(montecarlo.design(OVERHANG, 2000, 0, dists=dists, values=held)).summary()
    rows = _table(_sheet(fresh), "output")
    for output, row in rows.items():
        for found, key in zip(row[1:], ("p10", "p50", "p90", "mean", "never"), strict=True):
            assert _close(found, expected[output][key]), (output, key)


#: A readable source column: wide enough for a phrase per line, narrow enough to keep the sheet on a page.
SOURCE_WIDTHS = (40, 80)
#: At most this many characters of proportional text per unit of column width (LibreOffice fits
#: about 1.28 of the sheet's Calibri 11 in a line of a 60-wide column).
CHARS_PER_WIDTH = 1.3
POINTS_PER_LINE = 15


def layout_problems(path: Path) -> list[str]:
    """Why the distributions table of ``path``'s Uncertainty sheet is hard to read ([] when it is
    fine): its source column (found by its header) must have a fixed width within
    :data:`SOURCE_WIDTHS` and wrap its text in rows tall enough for it, and every other text of
    the table must fit its column."""
    ws = openpyxl.load_workbook(path)[SHEET]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "parameter")
    titles = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    source = titles["source"]
    problems = []

    widths = {c: float(d.width) for d in list(ws.column_dimensions.values()) for c in range(d.min, d.max + 1)}

    def width(col: int) -> float:
        return widths.get(col, 8.43)  # a column the file gives no width: Excel's default

    least, most = SOURCE_WIDTHS
    if not least <= width(source) <= most:
        problems.append(f"source column {width(source):g} wide, not within {SOURCE_WIDTHS}")
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, 1).value is None:
            break
        text = str(ws.cell(r, source).value or "")
        if not ws.cell(r, source).alignment.wrap_text:
            problems.append(f"{ws.cell(r, source).coordinate}: source text not wrapped")
        lines = math.ceil(len(text) / (CHARS_PER_WIDTH * width(source)))
        height = ws.row_dimensions[r].height or POINTS_PER_LINE
        if height < POINTS_PER_LINE * lines:
            problems.append(f"row {r}: {height:g} points tall, its source needs {lines} lines")
        for c in range(1, source):
            value = ws.cell(r, c).value
            if isinstance(value, str) and not value.startswith("=") and len(value) > width(c):
                problems.append(f"{ws.cell(r, c).coordinate}: {value!r} wider than its column ({width(c):g})")
    return problems


@pytest.mark.parametrize("name", ["retraining", "milestone-takeoff"])
def test_the_distributions_table_wraps_its_source_in_a_fixed_width(name: str, small_books: dict[str, Path]) -> None:
    path = small_books[name]
    assert layout_problems(path) == []
    ws = openpyxl.load_workbook(path)[SHEET]
    wrapped = [c for row in ws.iter_rows() for c in row if c.alignment.wrap_text and c.value]
    assert any(len(str(c.value)) > 200 for c in wrapped) or name != "retraining"  # the note's long citation


def test_the_layout_check_can_fail(tmp_path: Path) -> None:
    """The deliberate break: a source as one long unwrapped line in a wide column, another in a
    wrapped column of one line's height, and a unit wider than its column."""
    path = tmp_path / "bad.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(SHEET)
    ws.write_row(6, 0, ["parameter", "kind", "unit", "source"])
    ws.write_row(7, 0, ["r", "lognormal", "doublings per doubling", "x" * 250])
    ws.write_row(8, 0, ["s", "uniform", "days"])
    ws.write(8, 3, "y" * 250, book.add_format({"text_wrap": True}))
    ws.set_column(2, 2, 10)
    ws.set_column(3, 3, 120)
    book.close()
    assert layout_problems(path) == [
        "source column 120.711 wide, not within (40, 80)",
        "D8: source text not wrapped",
        "row 8: 15 points tall, its source needs 2 lines",
        "B8: 'lognormal' wider than its column (8.43)",
        "C8: 'doublings per doubling' wider than its column (10.7109)",
        "row 9: 15 points tall, its source needs 2 lines",
    ]


@pytest.mark.parametrize("name", ["retraining", "milestone-takeoff"])
def test_the_docs_sheet_says_what_the_uncertainty_sheet_holds(name: str) -> None:
    """Each committed workbook's Docs sheet has a heading for the Uncertainty sheet
    and the sentence of :func:`sheet_summary` (snapshot or live percentiles)."""
    from pysie.excel.uncertainty_sheet import sheet_summary
    from pysie.models import MODELS
    from tests.conftest import REPO

    book = openpyxl.load_workbook(REPO / "workbooks" / f"{name}.xlsx", read_only=True)
    texts = [c for row in book["Docs"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert any(t.startswith(f"Sheet '{SHEET}'") for t in texts)
    assert sheet_summary(MODELS[name]) in texts
