"""Workbook addresses (:mod:`pysie.excel.layout`) of a small declaration typed
in here: input rows, table cells, column ranges, the order and coverage of
the formula cells, the compared presets' sheets; checked against the
documented sheet format, against the written workbook (every formula cell in
the file is listed, and nothing else) and, through a recalculation, against
values computed by hand."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from pysie.build import write_workbook
from pysie.compare import workbook_plan
from pysie.excel.layout import COMPARE, Layout, absolute, quote_sheet
from pysie.excel.printer import cell_formula
from pysie.excel.uncertainty_sheet import UNCERTAINTY
from pysie.expr import Col, Const, Name, column_max, match
from pysie.models.milestone_takeoff import MODEL as MILESTONE
from pysie.models.overhang import MODEL as OVERHANG
from pysie.models.retraining import MODEL as RETRAINING
from pysie.recalc import recalculate
from pysie.spec import Column, DataSource, Model, Parameter, Scalar, Table, data_column
from tests.conftest import COARSE, SHORT, SMALL

a, b = Name("a"), Name("b")


def toy(*, data: bool = False, compare: bool = False) -> Model:
    """Inputs a, b and n (the rows); a derived input bb; a table t of n + 1
    steps (x_k = a b^k, optionally a stored column u_k = 10 k, y = x + u);
    a two-row table s reading the whole of column x; two outputs, one check;
    presets p1 (a = 2) and p2 (a = 5), compared side by side when ``compare``."""
    u = (data_column("u", DataSource(lambda v, rows: 10.0 * np.arange(rows), ("n",)), "", "stored"),) if data else ()
    steps = Table(
        "t",
        "Steps",
        "steps",
        (
            Column("x", a, Col("x").prev * b, "m", "x"),
            *u,
            Column.every_row("y", Col("x") + (Col("u") if data else Const(0.0)), "m", "y"),
        ),
        rows_from="n",
    )
    sums = Table("s", "Sums", "sums", (Column.every_row("z", column_max(steps.range("x")) + a, "m", "z"),), rows_from=2)
    return Model(
        "toy",
        "Toy",
        "",
        (),
        (
            Parameter("a", 2, "m", "a", "typed in", lower=0),
            Parameter("b", 3, "", "b", "typed in"),
            Parameter("n", 4, "steps", "rows", "typed in", lower=1, integer=True, structural=True),
        ),
        (Scalar("bb", b * b, "", "bb"),),
        (steps, sums),
        (
            Scalar("top", column_max(steps.range("y")), "m", "largest y"),
            Scalar("top_row", match(Name("top"), steps.range("y")), "row", "where"),
        ),
        checks=(Scalar("chk", a + b, "", "chk"),),
        presets={"p1": {"a": 2}, "p2": {"a": 5}},
        comparison=("p1", "p2") if compare else (),
    ).validate()


def file_formulas(path: Path) -> dict[tuple[str, str], str]:
    """Every formula cell of a workbook as openpyxl reads it: (sheet, cell) -> text."""
    book = openpyxl.load_workbook(path)
    return {
        (ws.title, c.coordinate): c.value
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    }


@pytest.fixture(scope="module")
def toy_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("toy")
    books = {}
    for name, kind in {"plain": {}, "data": {"data": True}, "compare": {"compare": True}}.items():
        model = toy(**kind)
        books[name] = folder / f"{name}.xlsx"
        write_workbook(model, model.defaults(), books[name])
    return books


# --- addresses --------------------------------------------------------------------


def test_inputs_sit_one_per_row_below_the_howto_block(toy_books: dict[str, Path]) -> None:
    """Six how-to rows, a blank row and a header: parameters from row 9; then a
    blank row and a header before the derived inputs."""
    layout = Layout.of(toy(), toy().defaults())
    assert layout.input_rows == {"a": 9, "b": 10, "n": 11, "bb": 14}
    assert layout.derived_header_row == 13
    assert {n: layout.named[n] for n in ("a", "b", "n", "bb")} == {
        "a": ("Inputs", "B9"),
        "b": ("Inputs", "B10"),
        "n": ("Inputs", "B11"),
        "bb": ("Inputs", "B14"),
    }
    book = openpyxl.load_workbook(toy_books["plain"])
    for name, row in layout.input_rows.items():
        assert book["Inputs"][f"A{row}"].value == name
        ((sheet, ref),) = book.defined_names[name].destinations
        assert (sheet, ref) == ("Inputs", f"$B${row}")


def test_results_and_checks_are_named_cells_below_a_title_and_a_header(toy_books: dict[str, Path]) -> None:
    layout = Layout.of(toy(), toy().defaults())
    assert layout.named["top"] == ("Summary", "B3") and layout.named["top_row"] == ("Summary", "B4")
    assert layout.named["chk"] == ("Theory", "B3")
    book = openpyxl.load_workbook(toy_books["plain"])
    assert book["Summary"]["A3"].value == "top" and book["Theory"]["A3"].value == "chk"


def test_table_cells_columns_and_rows(toy_books: dict[str, Path]) -> None:
    layout = Layout.of(toy(data=True), {"a": 2, "b": 3, "n": 4})
    assert layout.table_rows == {"t": 5, "s": 2}  # steps 0..n, and a fixed two
    assert layout.table_letters == {"t": {"x": "A", "u": "B", "y": "C"}, "s": {"z": "A"}}
    assert layout.excel_row(0) == 3  # names and units above
    assert layout.table_cell("t", "y", 0) == "C3"
    assert layout.table_cell("t", "x", 4) == "A7"
    assert layout.table_cell("t", "x", 4, absolute=True) == "$A$7"
    assert layout.column_range("t", "u") == "'Steps'!$B$3:$B$7"
    assert layout.column_range("s", "z") == "'Sums'!$A$3:$A$4"
    assert layout.column_range("t", "x", "Steps (p1)") == "'Steps (p1)'!$A$3:$A$7"
    ws = openpyxl.load_workbook(toy_books["data"])["Steps"]
    assert [c.value for c in ws[1]] == ["x", "u", "y"] and [c.value for c in ws[2]] == ["m", None, "m"]
    assert ws.max_row == 7
    assert Layout.of(toy(), {"a": 2, "b": 3, "n": 9}).table_rows["t"] == 10  # the structural input sets the rows


def test_rows_of_a_stepped_table() -> None:
    def rows(extra: int) -> int:
        table = Table("t", "T", "", (Column.every_row("c", a, "", ""),), "span", step_from="dt", extra_rows=extra)
        return Table.rows(table, {"span": 2.0, "dt": 0.5})

    assert rows(1) == 5 and rows(0) == 4


def test_columns_past_z_get_two_letters() -> None:
    columns = tuple(Column.every_row(f"c{i}", a, "", "") for i in range(30))
    model = Model("wide", "", "", (), (Parameter("a", 1, "", "", ""),), (), (Table("t", "T", "", columns, 3),), ())
    letters = Layout.of(model, model.defaults()).table_letters["t"]
    assert [letters[f"c{i}"] for i in (0, 25, 26, 27, 29)] == ["A", "Z", "AA", "AB", "AD"]


def test_absolute_and_quote_helpers() -> None:
    assert absolute("B7") == "$B$7" and absolute("AA10") == "$AA$10"
    assert quote_sheet("Steps") == "'Steps'" and quote_sheet("It's") == "'It''s'" and quote_sheet("''") == "''''''"


# --- formula cells: order and coverage ----------------------------------------------------


def test_formula_cells_list_tables_row_by_row_then_named_cells_then_presets() -> None:
    layout = Layout.of(toy(compare=True), toy().defaults())
    cells = [(c.sheet, c.cell, c.variable, c.row, c.table, c.preset) for c in layout.formula_cells()]

    def table_rows(sheet: str, s_sheet: str, preset: str | None) -> list[tuple]:
        t = [(sheet, f"{col}{3 + k}", v, k, "t", preset) for k in range(5) for col, v in (("A", "x"), ("B", "y"))]
        return t + [(s_sheet, f"A{3 + k}", "z", k, "s", preset) for k in range(2)]

    expected = [
        *table_rows("Steps", "Sums", None),
        ("Inputs", "B14", "bb", None, None, None),
        ("Summary", "B3", "top", None, None, None),
        ("Summary", "B4", "top_row", None, None, None),
        ("Theory", "B3", "chk", None, None, None),
    ]
    for preset, letter in (("p1", "B"), ("p2", "C")):
        expected += table_rows(f"Steps ({preset})", f"Sums ({preset})", preset)
        # Compare: title, note, header, one varying input (a), a blank and a header row
        expected += [
            (COMPARE, f"{letter}7", "top", None, None, preset),
            (COMPARE, f"{letter}8", "top_row", None, None, preset),
        ]
    assert cells == expected


def test_stored_columns_hold_no_formula_cells() -> None:
    layout = Layout.of(toy(data=True), toy().defaults())
    assert not any(c.variable == "u" for c in layout.formula_cells())
    assert sum(c.table == "t" for c in layout.formula_cells()) == 5 * 2


@pytest.mark.parametrize("kind", ["plain", "data", "compare"])
def test_the_formula_cells_are_exactly_the_formulas_in_the_written_file(kind: str, toy_books: dict[str, Path]) -> None:
    model = toy(data=kind == "data", compare=kind == "compare")
    listed = [(c.sheet, c.cell) for c in Layout.of(model, model.defaults()).formula_cells()]
    assert not [cell for cell, n in Counter(listed).items() if n > 1], "a cell is listed twice"
    assert set(listed) == set(file_formulas(toy_books[kind]))


def test_a_compared_model_with_a_stored_column_lists_only_real_formula_cells(tmp_path: Path) -> None:
    model = toy(data=True, compare=True)
    write_workbook(model, model.defaults(), tmp_path / "both.xlsx")
    listed = {(c.sheet, c.cell) for c in Layout.of(model, model.defaults()).formula_cells()}
    assert listed == set(file_formulas(tmp_path / "both.xlsx"))


@pytest.mark.parametrize("kind", ["plain", "data", "compare"])
def test_cell_formula_gives_the_text_the_writer_wrote(kind: str, toy_books: dict[str, Path]) -> None:
    model = toy(data=kind == "data", compare=kind == "compare")
    layout = Layout.of(model, model.defaults())
    written = file_formulas(toy_books[kind])
    for cell in layout.formula_cells():
        assert cell_formula(layout, cell) == written[(cell.sheet, cell.cell)], cell


def real_books() -> list[tuple[str, Model, dict[str, float]]]:
    return [
        ("retraining", RETRAINING, RETRAINING.resolve("note-default", SHORT)),
        ("overhang", OVERHANG, OVERHANG.resolve("baseline", COARSE)),
        ("milestone-takeoff", MILESTONE, MILESTONE.resolve(None, SMALL)),
    ]


@pytest.mark.parametrize(("name", "model", "values"), real_books(), ids=[n for n, *_ in real_books()])
def test_every_shipped_model_lists_exactly_its_formula_cells(
    name: str, model: Model, values: dict[str, float], small_books: dict[str, Path]
) -> None:
    layout = Layout.of(model, values)
    cells = list(layout.formula_cells())
    written = file_formulas(small_books[name])
    # the Uncertainty sheet's live links (=sar_date_p10) are planned by that sheet, not laid out
    links = {(c.sheet, c.cell) for c in workbook_plan(small_books[name]).formula_cells() if c.sheet == UNCERTAINTY}
    assert all(written[key].startswith("=") and written[key][1:].isidentifier() for key in links)
    written = {k: v for k, v in written.items() if k not in links}
    assert len({(c.sheet, c.cell) for c in cells}) == len(cells)
    assert {(c.sheet, c.cell) for c in cells} == set(written)
    for cell in cells:
        assert cell_formula(layout, cell) == written[(cell.sheet, cell.cell)], cell


def test_table_cells_come_row_by_row_in_column_order() -> None:
    layout = Layout.of(RETRAINING, RETRAINING.resolve("note-default", SHORT))
    order = {t.name: [c.name for c in t.columns] for t in RETRAINING.tables}
    previous: dict[str, tuple[int, int]] = {}
    for cell in layout.formula_cells():
        if cell.table is None or cell.preset is not None:
            continue
        assert cell.row is not None
        key = (cell.row, order[cell.table].index(cell.variable))
        assert key > previous.get(cell.table, (-1, -1)), cell
        previous[cell.table] = key


# --- compared presets ---------------------------------------------------------------


def test_each_compared_preset_gets_its_own_sheets_and_compare_cells(toy_books: dict[str, Path]) -> None:
    layout = Layout.of(toy(compare=True), toy().defaults())
    assert layout.preset_sheets == {
        ("p1", "t"): "Steps (p1)",
        ("p1", "s"): "Sums (p1)",
        ("p2", "t"): "Steps (p2)",
        ("p2", "s"): "Sums (p2)",
    }
    assert layout.compare_inputs == {("p1", "a"): "B4", ("p2", "a"): "C4"}
    assert layout.compare_results_row == 6
    assert layout.compare_outputs == {
        ("p1", "top"): "B7",
        ("p1", "top_row"): "B8",
        ("p2", "top"): "C7",
        ("p2", "top_row"): "C8",
    }
    assert layout.preset_names("p2") == {"a": "'Compare'!$C$4", "top": "'Compare'!$C$7", "top_row": "'Compare'!$C$8"}
    assert layout.preset_tables("p1") == {"t": "Steps (p1)", "s": "Sums (p1)"}
    ws = openpyxl.load_workbook(toy_books["compare"])[COMPARE]
    assert [ws["B3"].value, ws["C3"].value] == ["p1", "p2"]
    assert ws["A4"].value == "a" and [ws["B4"].value, ws["C4"].value] == [2, 5]
    assert [ws["A7"].value, ws["A8"].value] == ["top", "top_row"]


def test_a_model_without_comparison_has_no_preset_cells() -> None:
    layout = Layout.of(toy(), toy().defaults())
    assert layout.preset_sheets == {} and layout.compare_inputs == {} and layout.compare_outputs == {}
    assert all(c.preset is None for c in layout.formula_cells())


def test_preset_sheet_names_must_fit_excel() -> None:
    long = toy(compare=True)
    model = Model(**{**long.__dict__, "presets": {"p" * 30: {"a": 2}, "q": {"a": 5}}, "comparison": ("p" * 30, "q")})
    with pytest.raises(ValueError, match="too long or taken"):
        Layout.of(model, model.defaults())


def test_a_derived_input_may_not_read_a_parameter_the_presets_vary() -> None:
    base = toy(compare=True)
    model = Model(**{**base.__dict__, "derived": (Scalar("aa", a * a, "", ""),)})
    with pytest.raises(ValueError, match="derived input 'aa' reads \\['a'\\]"):
        Layout.of(model, model.defaults())


# --- the addresses mean what they say: recalculated values ------------------------------


def hand_values(a_: float, b_: float = 3.0, n: int = 4, stored: bool = False) -> dict[str, list[float]]:
    x = [a_ * b_**k for k in range(n + 1)]
    y = [x[k] + (10.0 * k if stored else 0.0) for k in range(n + 1)]
    return {"x": x, "y": y, "z": [max(x) + a_] * 2, "top": [max(y)], "top_row": [y.index(max(y)) + 1.0]}


@pytest.mark.parametrize("kind", ["data", "compare"])
def test_the_formulas_package_computes_the_hand_values_in_every_listed_cell(
    kind: str, toy_books: dict[str, Path]
) -> None:
    model = toy(data=kind == "data", compare=kind == "compare")
    layout = Layout.of(model, model.defaults())
    values = recalculate(toy_books[kind], "formulas")
    by_preset = {None: hand_values(2.0, stored=kind == "data"), "p1": hand_values(2.0), "p2": hand_values(5.0)}
    extra = {"bb": 9.0, "chk": 5.0}
    for cell in layout.formula_cells():
        expected = extra.get(cell.variable) or by_preset[cell.preset][cell.variable][cell.row or 0]
        assert values[(cell.sheet, cell.cell)] == pytest.approx(expected, rel=1e-15), cell


def test_a_layout_that_miscounts_the_header_rows_is_caught(
    toy_books: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deliberate break: one header row instead of two moves every table address."""
    monkeypatch.setattr(Layout, "excel_row", staticmethod(lambda step: 2 + step))
    layout = Layout.of(toy(), toy().defaults())
    listed = {(c.sheet, c.cell) for c in layout.formula_cells()}
    written = set(file_formulas(toy_books["plain"]))
    assert ("Steps", "A7") in written - listed and ("Steps", "A2") in listed - written
