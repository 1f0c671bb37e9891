"""The compiled engine refuses what it does not evaluate, naming the cell,
before any long work and without handing the workbook to another engine; it
evaluates long formulas (8,192 characters, 2,000-term chains, deep nesting);
and `pysie check` compares two independent implementations: breaking either
the solver's or the engine's ``^`` makes it report cells.

Edited workbooks are made with openpyxl from the short retraining book; the
oracles are sums worked out here in Python and the values the writer cached.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from pysie.cli import main
from pysie.compare import check_workbook
from pysie.primitives import PRIMITIVES
from pysie.recalc import recalculate
from pysie.recalc.compiled import Unsupported, compile_workbook, library
from pysie.recalc.compiled import functions as engine_functions
from pysie.spec import InputError
from tests.conftest import needs_soffice


def _edited(src: Path, dst: Path, sheet: str, cells: dict[str, Any]) -> Path:
    book = openpyxl.load_workbook(src)
    ws = book[sheet] if sheet in book.sheetnames else book.create_sheet(sheet)
    for ref, value in cells.items():
        ws[ref] = value
    book.save(dst)
    return dst


@pytest.fixture(autouse=True)
def _no_formulas_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """The formulas package must never run under the default engine."""
    import pysie.recalc.formulas_engine as fe

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the formulas package ran")

    monkeypatch.setattr(fe, "recalculate_formulas", refuse)


# --- refusals -------------------------------------------------------------------------

REFUSED = {
    "structured reference": ("=SUM(Table1[])", r"Inputs!D4 uses a structured reference"),
    "structured column": ("=SUM(Table1[Value])*2", r"Inputs!D4 uses a structured reference"),
    "WEBSERVICE": ('=WEBSERVICE("http://example.com")', r"Inputs!D4 uses WEBSERVICE, which pysie does not evaluate"),
    "external link": ("=[1]Sheet1!A1+1", r"Inputs!D4 uses a link to another workbook"),
    "quoted external link": ("='[1]Sheet 1'!A1+1", r"Inputs!D4 uses a link to another workbook"),
    "INDIRECT of a cell": ("=INDIRECT(B7)", r"Inputs!D4 uses INDIRECT of a text computed from cells or formulas"),
    "INDIRECT R1C1": ('=INDIRECT("R7C2",FALSE)', r"Inputs!D4 uses INDIRECT with R1C1 references"),
    "OFFSET by a cell": ("=OFFSET(B7,B8,0)", r"Inputs!D4 uses OFFSET with its rows computed from cells or formulas"),
    "missing sheet": ("='No such sheet'!A1", r"Inputs!D4 uses a reference to a sheet that does not exist"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_up_front_naming_the_cell(case: str, short_retraining_book: Path, tmp_path: Path) -> None:
    formula, message = REFUSED[case]
    path = _edited(short_retraining_book, tmp_path / "refused.xlsx", "Inputs", {"D4": formula})
    start = time.perf_counter()
    with pytest.raises(Unsupported, match=message) as caught:
        compile_workbook(path)
    assert time.perf_counter() - start < 30
    assert isinstance(caught.value, InputError) and "\n" not in str(caught.value)


def test_cli_check_exits_2_with_one_line(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _edited(short_retraining_book, tmp_path / "web.xlsx", "Inputs", {"D4": '=WEBSERVICE("http://x")'})
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["pysie: error: Inputs!D4 uses WEBSERVICE, which pysie does not evaluate"]
    assert main(["recalc", str(path), "-o", str(tmp_path / "out.xlsx")]) == 2
    assert not (tmp_path / "out.xlsx").exists()


def test_circular_reference_exits_2(short_retraining_book: Path, tmp_path: Path) -> None:
    path = _edited(short_retraining_book, tmp_path / "circ.xlsx", "Extra", {"A1": "=B1+1", "B1": "=A1*2"})
    assert main(["recalc", str(path), "-o", str(tmp_path / "out.xlsx")]) == 2


# --- long formulas --------------------------------------------------------------------


def test_a_2000_term_sum_and_deep_nesting_in_an_added_sheet(short_retraining_book: Path, tmp_path: Path) -> None:
    numbers = {f"A{i}": float(i) * 0.37 + 1 for i in range(1, 101)}
    terms = [f"A{i % 100 + 1}" for i in range(2000)]
    mixed = "=" + "".join(("+" if i % 3 else "-") + t for i, t in enumerate(terms))[1:]
    nested = "=" + "IF(A1>0," * 64 + "7" + ",0)" * 64
    parens = "=" + "(" * 150 + "A2" + ")" * 150
    cached = openpyxl.load_workbook(short_retraining_book, data_only=True)["No retraining"]
    cross = "=" + "+".join(f"'No retraining'!B{r}" for r in range(3, 203))
    cells = {**numbers, "B1": "=" + "+".join(terms), "B2": mixed, "B3": nested, "B4": parens, "B5": cross}
    assert max(len(v) for v in cells.values() if isinstance(v, str)) <= 8192
    path = _edited(short_retraining_book, tmp_path / "long.xlsx", "Long", cells)
    values = recalculate(path)
    a = [numbers[t] for t in terms]
    assert values[("Long", "B1")] == pytest.approx(sum(a), rel=1e-13)
    signed = a[0] + sum((x if i % 3 else -x) for i, x in enumerate(a) if i)
    assert values[("Long", "B2")] == pytest.approx(signed, rel=1e-12)
    assert values[("Long", "B3")] == 7.0 and values[("Long", "B4")] == numbers["A2"]
    assert values[("Long", "B5")] == pytest.approx(sum(cached[f"B{r}"].value for r in range(3, 203)), rel=1e-12)
    assert main(["check", str(path)]) == 0  # the model's cells still agree with the solver


def test_an_8192_character_formula(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A1"] = 1.5
    ws["B1"] = "=" + "+".join(["$A$1"] * 1638)  # 8,190 characters
    book.save(tmp_path / "l.xlsx")
    assert 8000 < len(str(ws["B1"].value)) <= 8192
    n = 1638
    assert recalculate(tmp_path / "l.xlsx")[("Sheet", "B1")] == pytest.approx(1.5 * n, rel=1e-14)


# --- independence: a broken solver or a broken engine both show --------------------------


def _pow_times(factor: float) -> Any:
    return lambda a, b: np.power(a, b) * factor


def test_a_broken_solver_power_makes_check_fail_naming_cells(
    short_retraining_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_workbook(short_retraining_book).ok  # the deliberate break below is what fails
    monkeypatch.setitem(PRIMITIVES, "pow", replace(PRIMITIVES["pow"], numpy=_pow_times(1.001)))
    report = check_workbook(short_retraining_book)
    assert not report.ok and len(report.differences) > 10
    assert main(["check", str(short_retraining_book)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"\n  '?[A-Za-z ]+'?!\$?[A-Z]+\$?[0-9]+ ", out), out[:500]


def test_a_broken_engine_power_makes_check_fail_naming_cells(
    short_retraining_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(library.FUNCTIONS, "pow", _pow_times(1.001))
    report = check_workbook(short_retraining_book)
    assert not report.ok and len(report.differences) > 10
    assert main(["check", str(short_retraining_book)]) == 1
    assert "differ" in capsys.readouterr().out


def test_a_library_failure_names_the_cell_and_exits_2(
    short_retraining_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A function raising (a case the library does not handle) is one line
    naming the cell that raised, exit status 2, never a traceback."""

    def broken(*_: Any) -> Any:
        raise ZeroDivisionError("a case the library misses")

    monkeypatch.setitem(library.FUNCTIONS, "ln", broken)
    assert main(["check", str(short_retraining_book)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(r"!\$?[A-Z]+[0-9]+ \(=.*LN\(.*failed to evaluate it \(ZeroDivisionError", err[0])


def test_the_engine_imports_nothing_numeric_from_the_solver() -> None:
    """No module of the engine imports the solver's primitives, expression tree or solver."""
    folder = Path(engine_functions.__file__).parent
    for module in folder.glob("*.py"):
        imports = [line for line in module.read_text().splitlines() if re.match(r"\s*(from|import) ", line)]
        assert not [i for i in imports if re.search(r"pysie\.(primitives|expr|solver)\b", i)], module.name


def test_array_formulas_of_one_cell_evaluate_and_of_a_range_are_refused(tmp_path: Path) -> None:
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.Workbook()
    ws = book.active
    for i in range(1, 4):
        ws[f"A{i}"] = i
    ws["B1"] = ArrayFormula("B1", "=SUM(A1:A3)*2")
    book.save(tmp_path / "one.xlsx")
    assert recalculate(tmp_path / "one.xlsx")[("Sheet", "B1")] == 12.0
    ws["C1"] = ArrayFormula("C1:C3", "=SUM(A1:A3*2)")
    book.save(tmp_path / "range.xlsx")
    with pytest.raises(Unsupported, match=r"^Sheet!C1 uses an array formula that computes an array inside"):
        compile_workbook(tmp_path / "range.xlsx")


@needs_soffice
def test_array_formulas_over_ranges_agree_with_libreoffice(tmp_path: Path) -> None:
    """Elementwise array formulas filling a range (Excel's {=A1:A3*2} entered
    over C1:C3): each element reads the ranges' cell at its own offset, a row
    is paired with every row, and an element past a range's size is #N/A."""
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.Workbook()
    ws = book.active
    for i in range(1, 4):
        ws[f"A{i}"] = i
        ws[f"B{i}"] = 10 * i
    ws["E1"], ws["F1"] = 100, 200
    ws["C1"] = ArrayFormula("C1:C3", "=A1:A3*2+B1:B3")
    ws["D1"] = ArrayFormula("D1:D4", "=A1:A3+1")  # D4 is past the range: #N/A
    ws["G1"] = ArrayFormula("G1:H3", "=A1:A3+E1:F1")  # a column and a row: a 3x2 table
    ws["J1"] = ArrayFormula("J1", "=CHOOSE(1,A1:A3,5)")  # one cell: the range's first cell
    path = tmp_path / "arrays.xlsx"
    book.save(path)
    engine = recalculate(path)
    office = recalculate(path, "libreoffice")
    cells = ["C1", "C2", "C3", "D1", "D2", "D3", "D4", "G1", "H1", "G3", "H3", "J1"]
    assert {c: engine[("Sheet", c)] for c in cells} == {c: office[("Sheet", c)] for c in cells}
    assert engine[("Sheet", "C3")] == 36.0 and engine[("Sheet", "H3")] == 203.0
