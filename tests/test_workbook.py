"""Generated workbooks: live formulas, cached values, and the cross-check
against a second engine (the formulas package; LibreOffice in its own tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pysie.cli import main
from pysie.compare import check_workbook
from pysie.excel.layout import Layout
from pysie.excel.printer import Where, formula
from pysie.expr import Col, Const, Name
from pysie.models.retraining import MODEL
from pysie.solver import solve
from pysie.spec import Model
from tests.conftest import PARITY, SHORT


def test_every_input_is_a_named_cell_with_validation(short_retraining_book: Path) -> None:
    book = openpyxl.load_workbook(short_retraining_book)
    for p in MODEL.parameters:
        ((sheet, ref),) = book.defined_names[p.name].destinations
        assert sheet == "Inputs"
        assert book[sheet][ref.replace("$", "")].value == pytest.approx(MODEL.resolve("note-default", SHORT)[p.name])
    validated = {str(c) for dv in book["Inputs"].data_validations.dataValidation for c in dv.sqref.ranges}
    assert len(validated) == len(MODEL.parameters)


def test_formulas_read_names_not_addresses(short_retraining_book: Path) -> None:
    ws = openpyxl.load_workbook(short_retraining_book)["Continuous retraining"]
    row = [c.value for c in ws[4]]
    assert any("research_doubling_days" in str(v) for v in row)
    assert not any("Inputs!" in str(v) for v in row)


def test_cached_values_let_pandas_read_numbers(short_retraining_book: Path) -> None:
    summary = pd.read_excel(short_retraining_book, sheet_name="Summary", header=1, index_col=0)
    expected = solve(MODEL, MODEL.resolve("note-default", SHORT))
    assert summary.loc["no_retraining_days_to_infinity", "value"] == expected.value("no_retraining_days_to_infinity")
    days = pd.read_excel(short_retraining_book, sheet_name="Continuous retraining", header=0, skiprows=[1])
    assert days["effective_flop"].iloc[60] == pytest.approx(
        expected.column("continuous_retraining", "effective_flop")[60], rel=1e-12
    )


def test_printer_follows_excel_precedence() -> None:
    layout = Layout.of(MODEL, MODEL.defaults())
    where = Where(layout)
    x = Name("research_returns")
    assert formula(-(x**2), where) == "=-(research_returns^2)"
    assert formula((-x) ** 2, where) == "=(-research_returns)^2"  # every ^ base bracketed: Gnumeric reads alike
    assert formula(x - (x - x), where) == "=research_returns-(research_returns-research_returns)"
    assert formula((x**x) ** x, where) == "=(research_returns^research_returns)^research_returns"
    assert formula(x ** (x**x), where) == "=research_returns^(research_returns^research_returns)"
    assert formula(Const(1e300) * x, where) == "=1E+300*research_returns"
    row = Where(layout, "no_retraining", 5)
    assert formula(Col("software").prev + Col("software"), row) == "=D7+D8"


@pytest.mark.slow
def test_formulas_engine_agrees_after_an_input_is_changed(
    parity_retraining_book: Path, parity_retraining: Model, tmp_path: Path
) -> None:
    edited = tmp_path / "edited.xlsx"
    shutil.copy(parity_retraining_book, edited)
    book = openpyxl.load_workbook(edited)
    ((sheet, ref),) = book.defined_names["research_returns"].destinations
    book[sheet][ref.replace("$", "")] = 3.5
    book.save(edited)  # openpyxl drops every cached value: the engine must recompute
    report = check_workbook(edited, engine="formulas")
    assert report.ok, report.summary()  # every formula cell, at the edited input
    values = parity_retraining.resolve("note-default", {**PARITY, "research_returns": 3.5})
    assert report.compared == sum(1 for _ in Layout.of(parity_retraining, values).formula_cells())
    # the check compared against the edited input, which moves the result:
    changed = solve(parity_retraining, parity_retraining.resolve("note-default", {**PARITY, "research_returns": 3.5}))
    default = solve(parity_retraining, parity_retraining.resolve("note-default", PARITY))
    assert changed.value("no_retraining_days_to_infinity") < default.value("no_retraining_days_to_infinity")


@pytest.mark.slow
def test_a_broken_cell_makes_check_exit_1_and_names_it(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.xlsx"
    shutil.copy(short_retraining_book, broken)
    book = openpyxl.load_workbook(broken)
    ws = book["Continuous retraining"]
    ws["E40"] = "=E39+retraining_share*compute_per_day*D39*1.001"  # one effective_flop cell off by 0.1%
    book.save(broken)
    assert main(["check", str(broken)]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[1]
    assert "Continuous retraining!E40" in first and "effective_flop row 37" in first


def test_check_refuses_a_file_that_is_not_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "data.xlsx"
    fake.write_text("day,software\n0,1\n")
    assert main(["check", str(fake)]) == 2
    assert "not an .xlsx workbook" in capsys.readouterr().err
