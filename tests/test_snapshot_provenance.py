"""A snapshot sheet says when it was computed, by which pysie, from which
inputs, and how to remake it; ``build --check`` passes a workbook built on
another day and fails one whose snapshot values differ.

The oracles are the workbook's own Inputs sheet (each listed input against the
cell its defined name points at) and edits of the sheet XML made here."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import openpyxl
import pytest

from pysie import __version__
from pysie.build import write_workbook
from pysie.cli import main
from pysie.compare import workbook_plan
from pysie.excel.reader import ParsedSheet, defined_name_target, read_book
from pysie.freshness import compare_with_plan
from pysie.models.milestone_takeoff import MODEL
from tests.conftest import REPO, SMALL
from tests.editing import copy_book, set_cell_xml

SHEET = MODEL.snapshots[0].sheet
#: A date no build of today writes (2024-01-01 as an Excel serial, counted by hand: 45,292).
OTHER_DAY = 45292.0


def _provenance(path: Path) -> dict[object, object]:
    """Column A label -> the cell beside it, over the snapshot sheet's top rows."""
    ws = read_book(path)[SHEET]
    return {ws[f"A{r}"].value: ws[f"B{r}"].value for r in range(1, 8) if ws[f"A{r}"].value}


def _date_cell(path: Path) -> str:
    ws = read_book(path)[SHEET]
    (row,) = [r for r in range(1, 8) if ws[f"A{r}"].value == "Computed on"]
    return f"B{row}"


@pytest.mark.parametrize("book", ["committed", "small"])
def test_the_snapshot_says_when_by_what_and_from_which_inputs(book: str, small_milestone_book: Path) -> None:
    path = REPO / "workbooks" / "milestone-takeoff.xlsx" if book == "committed" else small_milestone_book
    wb = read_book(path)  # one parse of the sheet XML (openpyxl would take seconds for the committed book)
    ws = wb[SHEET]
    assert isinstance(ws, ParsedSheet)
    column = {r: ws[f"A{r}"].value for r in range(1, ws.max_row + 1)}
    seen = {column[r]: ws[f"B{r}"].value for r in range(1, 8) if column[r]}
    made = seen.get("Computed on")
    assert isinstance(made, datetime.datetime), f"{SHEET}: no date beside 'Computed on' ({seen})"
    assert datetime.date(2026, 1, 1) <= made.date() <= datetime.date.today()
    row = next(r for r in range(1, 8) if column[r] == "Computed on")
    assert ws[f"C{row}"].value == f"by pysie {__version__}"
    assert "--from BOOK.xlsx" in str(seen.get("Remake it")) and MODEL.name in str(seen.get("Remake it"))
    top = " ".join(str(column[r]) for r in range(1, 4))
    assert "Editing Inputs does not update this sheet" in top
    # every input, listed below the rows, is the value of the Inputs cell its defined name points at
    names = {p.name for p in MODEL.parameters}
    listed = {column[r]: ws[f"B{r}"].value for r in column if column[r] in names}
    assert set(listed) == names
    first = min(r for r in column if column[r] in names)
    assert f"row {first}" in top  # the note points at the list
    for name, value in listed.items():
        target = defined_name_target(wb, name)
        assert target is not None, name
        inputs = wb[target[0]]
        assert isinstance(inputs, ParsedSheet)
        assert value == inputs[target[1]].value, name


def test_a_missing_date_fails_the_check(small_milestone_book: Path, tmp_path: Path) -> None:
    book = copy_book(small_milestone_book, tmp_path / "book.xlsx")
    plan = workbook_plan(book)
    assert compare_with_plan(book, plan) == []
    cell = _date_cell(book)
    set_cell_xml(book, SHEET, cell, "<is><t>some day</t></is>", ' t="inlineStr"')
    (stale,) = compare_with_plan(book, plan)
    assert stale.where == f"{SHEET}!{cell}" and "the date its snapshot was computed" in stale.what


def test_build_check_passes_another_day_and_fails_a_changed_snapshot_value(
    small_milestone_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``build --check`` over a template of the SMALL inputs (built here): a
    workbook dated another day is current; one snapshot value changed is
    stale, and that cell alone is named."""
    templates, committed = tmp_path / "templates", tmp_path / "workbooks"
    templates.mkdir()
    committed.mkdir()
    sets = "\n".join(f"{k} = {v}" for k, v in SMALL.items())
    (templates / "milestone-takeoff.toml").write_text(  # the name the small book was built under
        f'model = "{MODEL.name}"\nversion = 1\nworkbook = "small.xlsx"\ndescription = "small"\n\n[set]\n{sets}\n'
    )
    book = shutil.copyfile(small_milestone_book, committed / "small.xlsx")
    set_cell_xml(book, SHEET, _date_cell(book), f"<v>{OTHER_DAY:g}</v>")
    check = ["build", "--check", "-o", str(committed), "--templates", str(templates)]
    assert main(check) == 0, capsys.readouterr().out
    capsys.readouterr()
    ws = openpyxl.load_workbook(book)[SHEET]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "variant")
    value = ws.cell(header + 2, 3)  # the second row's first output: a stored number
    assert isinstance(value.value, float)
    set_cell_xml(book, SHEET, value.coordinate, f"<v>{value.value + 1:.17g}</v>")
    assert main(check) == 1
    out = capsys.readouterr().out
    assert f"small.xlsx {SHEET}!{value.coordinate}: content committed" in out
    assert out.count("committed") == 1, out


def test_a_rebuild_keeps_the_date_of_an_unchanged_snapshot(small_milestone_book: Path, tmp_path: Path) -> None:
    """Replacing a workbook whose snapshot is unchanged keeps its date (so the
    bytes do not change); once a value there differs, the date is today's."""
    book = copy_book(small_milestone_book, tmp_path / "book.xlsx")
    cell = _date_cell(book)
    set_cell_xml(book, SHEET, cell, f"<v>{OTHER_DAY:g}</v>")
    values = MODEL.resolve(None, SMALL)
    write_workbook(MODEL, values, book, template="milestone-takeoff", overwrite=True)
    assert _provenance(book)["Computed on"] == datetime.datetime(2024, 1, 1)
    ws = openpyxl.load_workbook(book)[SHEET]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "variant")
    set_cell_xml(book, SHEET, f"C{header + 1}", "<v>1</v>")
    before = datetime.date.today()
    write_workbook(MODEL, values, book, template="milestone-takeoff", overwrite=True)
    made = _provenance(book)["Computed on"]
    assert isinstance(made, datetime.datetime) and before <= made.date() <= datetime.date.today()


def test_check_lists_the_stored_snapshot_values_without_solving_the_snapshot(
    small_milestone_book: Path, tmp_path: Path
) -> None:
    """check does not solve the snapshot's rows: the cells it lists as not
    compared are those of the full plan (solved), read from the workbook; a
    value replaced by a word is no longer listed."""
    from pysie.compare import check_workbook

    solved = workbook_plan(small_milestone_book, snapshot_numbers=False)
    expected = {f"{c.sheet}!{c.cell}" for c in solved.snapshot_cells() if c.sheet == SHEET}
    report = check_workbook(small_milestone_book)
    assert {c for c in report.not_compared if c.startswith(SHEET)} == expected and expected
    book = openpyxl.load_workbook(small_milestone_book)
    first = sorted(expected)[-1].split("!")[1]
    book[SHEET][first] = "never / n.a."
    book.save(tmp_path / "word.xlsx")
    listed = {c for c in check_workbook(tmp_path / "word.xlsx").not_compared if c.startswith(SHEET)}
    assert listed == expected - {f"{SHEET}!{first}"}
