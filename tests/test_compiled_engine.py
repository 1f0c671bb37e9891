"""The compiled engine against independent oracles: the formulas package's
values (and LibreOffice's) in every formula cell of generated workbooks, of
edited variants and of a per-function table; the solver for scenarios."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from openpyxl.formula.translate import Translator

from pysie.cli import main
from pysie.compare import is_error
from pysie.models.retraining import MODEL
from pysie.primitives import PRIMITIVES
from pysie.recalc import recalculate
from pysie.recalc.compiled import CircularReference, compile_workbook, recalculate_compiled
from pysie.solver import solve
from tests.conftest import SHORT

REPO = Path(__file__).resolve().parent.parent


def _number(value: Any) -> Any:
    if value is None:
        return 0.0  # an empty result reads as 0
    if isinstance(value, bool):
        return float(value)
    return value


def differences(
    found: Mapping[tuple[str, str], Any], reference: Mapping[tuple[str, str], Any], rtol: float = 1e-9
) -> list[str]:
    """Cells where two engines disagree (errors agree when both are errors)."""
    out = []
    for key in sorted(set(found) | set(reference)):
        a, b = _number(found.get(key)), _number(reference.get(key))
        if is_error(a) or is_error(b):
            same = is_error(a) and is_error(b)
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
            same = a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
        else:
            same = a == b
        if not same:
            out.append(f"{key[0]}!{key[1]}: compiled {found.get(key)!r}, reference {reference.get(key)!r}")
    return out


def assert_same(
    found: Mapping[tuple[str, str], Any], reference: Mapping[tuple[str, str], Any], rtol: float = 1e-9
) -> None:
    diffs = differences(found, reference, rtol)
    assert not diffs, f"{len(diffs)} cells differ:\n" + "\n".join(diffs[:20])


# --- edited variants of a generated workbook -------------------------------------


def _edit(src: Path, dst: Path, edit: Any) -> Path:
    book = openpyxl.load_workbook(src)
    edit(book)
    book.save(dst)
    return dst


def _changed_inputs(book: Any) -> None:
    book["Inputs"]["B9"] = 1.7  # research_returns
    book["Inputs"]["B13"] = 0.35  # retraining_share


def _changed_column(book: Any) -> None:
    ws = book["No retraining"]
    for row in range(3, ws.max_row + 1):
        ws[f"F{row}"] = f"=LOG10(D{row})/LOG10(2)+ROUND(A{row}/7,3)*0"


def _one_cell(book: Any) -> None:
    book["Continuous retraining"]["C40"] = "=C39+1.5*B39/research_doubling_days"


def _error_cell(book: Any) -> None:
    book["No retraining"]["D38"] = "=1/0"


def _shift(formula: str, after: int, only_prefixed: str | None) -> str:
    """Rows below ``after`` move down one, as inserting a row does."""

    def move(m: re.Match[str]) -> str:
        prefix, col, dollar, row = m.group(1) or "", m.group(2), m.group(3), int(m.group(4))
        if only_prefixed is not None and prefix != only_prefixed:
            return m.group(0)
        if only_prefixed is None and prefix:
            return m.group(0)
        return f"{prefix}{col}{dollar}{row + 1 if row > after else row}"

    return re.sub(r"('[^']*'!)?(\$?[A-Z]{1,3})(\$?)([0-9]+)(?![0-9(_])", move, formula)


def _inserted_row(fill: bool, sheet: str = "No retraining", after: int = 30) -> Any:
    """A row inserted below row ``after`` of ``sheet`` (filled with the row below's formulas,
    or left blank), the references of the sheet and of Summary and Theory moved as Excel moves them."""

    def edit(book: Any) -> None:
        ws = book[sheet]
        cells = {
            (c.row, c.column_letter): c.value
            for row in ws.iter_rows(min_row=after + 1)
            for c in row
            if c.value is not None
        }
        for row, col in cells:
            ws[f"{col}{row}"] = None
        for (row, col), value in cells.items():
            ws[f"{col}{row + 1}"] = (
                _shift(value, after, None) if isinstance(value, str) and value.startswith("=") else value
            )
        if fill:
            for col in "ABCDEFGH":
                below = ws[f"{col}{after + 2}"].value
                ws[f"{col}{after + 1}"] = Translator(below, f"{col}{after + 2}").translate_formula(f"{col}{after + 1}")
        for name in ("Summary", "Theory"):
            for row in book[name].iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        c.value = _shift(c.value, after, f"'{sheet}'!")

    return edit


def _all(*edits: Any) -> Any:
    """One book edited several ways, in order (each a different place)."""

    def edit(book: Any) -> None:
        for change in edits:
            change(book)

    return edit


#: Edited books, each recalculated once by the formulas package (its cost): the
#: edits of one book touch different places, so each is compared cell by cell
#: as if it were alone. The error cell comes after the inserted row (row 38 of the
#: shifted sheet); the blank row is inserted on another sheet.
VARIANTS = {
    "changed-inputs-column-and-one-cell": _all(_changed_inputs, _changed_column, _one_cell),
    "inserted-rows-filled-and-blank-and-an-error-cell": _all(
        _inserted_row(fill=True), _inserted_row(fill=False, sheet="From scratch", after=20), _error_cell
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", VARIANTS)
def test_compiled_equals_formulas_package_in_every_formula_cell(
    name: str, parity_retraining_book: Path, tmp_path: Path
) -> None:
    """An edit of the short retraining workbook (tests/conftest.py ``PARITY``: all three
    variants reach infinity within its 40 days): the compiled engine computes the
    formulas package's value in every formula cell, and the edit really moved
    results (or the parity would prove little). One test per book, so the
    formulas package recalculates each book once whichever process runs it. The
    book as built is recalculated by the formulas package in tests/test_workbook.py
    (against the solver, as the compiled engine is in test_full_workbook_matches_the_solver)."""
    path = _edit(parity_retraining_book, tmp_path / "v.xlsx", VARIANTS[name])
    reference = recalculate(path, "formulas")
    result = recalculate_compiled(path)
    assert len(result.values) == len(reference)
    assert_same(result.values, reference)
    base = compile_workbook(parity_retraining_book).values()
    common = set(base) & set(reference)
    assert differences({k: base[k] for k in common}, {k: reference[k] for k in common})


def test_the_changed_column_computes_the_same_numbers(parity_retraining_book: Path, tmp_path: Path) -> None:
    """The changed column of the first edited book is the same quantity
    written differently (LOG10 and a ROUND times 0), so alone it moves nothing:
    its cells are compared with the formulas package above with their true values."""
    path = _edit(parity_retraining_book, tmp_path / "column.xlsx", _changed_column)
    assert_same(compile_workbook(path).values(), compile_workbook(parity_retraining_book).values())


def test_error_cell_propagates(tmp_path: Path, short_retraining_book: Path) -> None:
    values = compile_workbook(_edit(short_retraining_book, tmp_path / "e.xlsx", _error_cell)).values()
    assert is_error(values[("No retraining", "D38")]) and is_error(values[("No retraining", "B38")])
    assert is_error(values[("No retraining", "C39")]) and is_error(values[("No retraining", "D120")])
    assert not is_error(values[("No retraining", "D37")])


def test_full_workbook_matches_the_solver() -> None:
    from pysie.compare import check_workbook

    report = check_workbook(REPO / "workbooks" / "retraining.xlsx", engine="compiled")
    assert report.ok and report.compared > 30000, report.summary()


# --- one formula per row, against the formulas package ---------------------------

TABLE = [
    "=-2^2",
    "=2^-1",
    "=2^3^2",
    "=-A1^2",
    "=(1+2)*3-4/2",
    "=5%",
    "=0^0",
    "=0^-1",
    "=1/0",
    "=10^400",
    "=LN(0)",
    "=LN(-1)",
    "=SQRT(-1)",
    "=EXP(1000)",
    "=LOG10(1000)",
    "=POWER(2,10)",
    "=ABS(-3)",
    "=INT(-2.5)",
    "=Z1+1",
    "=Z1*2",
    "=MIN(1,2,-3)",
    "=MAX(1,1/0)",
    "=MIN(A1,A7)",
    "=MAX(A1,A2,A3)",
    "=IF(1/0,1,2)",
    "=IF(0,1)",
    "=IF(1>0,3,4)",
    "=IFERROR(1/0,7)",
    "=IFERROR(5,7)",
    "=ISNUMBER(1/0)",
    "=ISNUMBER(3)",
    "=ISERROR(1/0)",
    "=ISERROR(LN(2))",
    "=AND(1,0)",
    "=OR(1,0)",
    "=AND(1,1/0)",
    "=NOT(0)",
    "=1<2",
    "=2<>2",
    "=A7>1",
    "=ROUND(2.5,0)",
    "=ROUND(-2.5,0)",
    "=ROUND(2.675,2)",
    "=ROUND(1234.5678,-2)",
    "=ROUND(0.125,2)",
    "=ROUND(-0.5,0)",
    "=ROUND(1E+300,0)",
    "=ROUND(-1234567.891,1)",
    "=MATCH(99,C1:C5,0)",
    "=MATCH(3,C1:C5,0)",
    "=MATCH(3.5,C1:C5,1)",
    "=MATCH(3.5,C1:C5)",
    "=MATCH(0.5,C1:C5)",
    "=INDEX(C1:C5,6)",
    "=INDEX(C1:C5,2)",
    "=INDEX(C1:C5,0)",
    "=INDEX(D1:D3,2)",
    "=COUNTIF(C1:C5,3)",
    '=COUNTIF(C1:C5,">=3")',
    '=COUNTIF(C1:C5,"<>2")',
    "=SUM(C1:C5)",
    "=SUM(C1:C5,10)",
    "=SUM(1,2,3)",
    "=MAX(C1:C5)",
    "=MIN(C1:C5)",
    "=SUM(D1:D3)",
    "=PERCENTILE(C1:C5,0.3)",
    "=PERCENTILE(C1:C5,1.5)",
    "=_xlfn.NORM.S.INV(0.3)",
    "=_xlfn.norm.s.inv(0.975)",
    "=_xlfn.NORM.S.INV(0)",
    "=NORM.S.INV(1.5)",
    "=sqrt(16)",
    "=TRUE+1",
]
#: Values worked out by hand: an oracle independent of both engines.
BY_HAND = {
    "=-2^2": 4.0,
    "=2^-1": 0.5,
    "=2^3^2": 64.0,
    "=ROUND(2.5,0)": 3.0,
    "=ROUND(-2.5,0)": -3.0,
    "=ROUND(2.675,2)": 2.68,
    "=Z1+1": 1.0,
    "=MATCH(3.5,C1:C5)": 3.0,
    '=COUNTIF(C1:C5,">=3")': 3.0,
    "=PERCENTILE(C1:C5,0.3)": 2.2,
    "=5%": 0.05,
}

#: Where the formulas package departs from Excel, Excel's result (None: an
#: error): 0^0 is 1 there, INDEX(range, 0) its first cell (Excel: #VALUE!
#: outside the range's rows), ROUND of 1E+300 #VALUE! (a decimal overflow).
ORACLE_DEVIATIONS: dict[str, float | None] = {"=0^0": None, "=INDEX(C1:C5,0)": None, "=ROUND(1E+300,0)": 1e300}


def _table_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "T"
    for row, value in enumerate([1, 2.5, -2.5, 3, 0.5, None, "=1/0"], start=1):
        if value is not None:
            ws[f"A{row}"] = value
    for row, value in enumerate([1, 2, 3, 4, 5], start=1):
        ws[f"C{row}"] = value
    ws["D1"], ws["D3"] = 4, 6  # D2 empty: SUM and INDEX read it as 0
    for row, text in enumerate(TABLE, start=1):
        ws[f"B{row}"] = text
    book.save(path)
    return path


@pytest.fixture(scope="module")
def table_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _table_book(tmp_path_factory.mktemp("table") / "table.xlsx")


@pytest.fixture(scope="module")
def table_reference(table_book: Path) -> dict[tuple[str, str], Any]:
    """The table recalculated by the formulas package, once for this module."""
    return recalculate(table_book, "formulas")


def test_every_function_agrees_with_the_formulas_package(
    table_book: Path, table_reference: dict[tuple[str, str], Any]
) -> None:
    compiled = recalculate_compiled(table_book)
    reference = table_reference
    deviating = {("T", f"B{row}") for row, text in enumerate(TABLE, start=1) if text in ORACLE_DEVIATIONS}
    assert_same(
        {k: v for k, v in compiled.values.items() if k not in deviating},
        {k: v for k, v in reference.items() if k not in deviating},
    )
    for row, text in enumerate(TABLE, start=1):
        if text in ORACLE_DEVIATIONS:
            excel, found = ORACLE_DEVIATIONS[text], compiled.values[("T", f"B{row}")]
            assert is_error(found) if excel is None else found == excel, text
    for row, text in enumerate(TABLE, start=1):
        if text in BY_HAND:
            assert _number(compiled.values[("T", f"B{row}")]) == pytest.approx(BY_HAND[text], rel=1e-12), text


def test_a_broken_engine_function_fails_the_parity_check(
    table_book: Path, table_reference: dict[tuple[str, str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pysie.recalc.compiled import library

    reference = table_reference
    monkeypatch.setitem(library.FUNCTIONS, "pow", lambda a, b: np.power(a, b) * 1.000001)
    broken = compile_workbook(table_book).values()
    diffs = differences(broken, reference)
    assert any("T!B1:" in d for d in diffs)  # -2^2


def test_the_engine_does_not_evaluate_with_the_solver_primitives(
    table_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Breaking the solver's ``pow`` leaves the engine's values as they were."""
    before = compile_workbook(table_book).values()
    monkeypatch.setitem(PRIMITIVES, "pow", replace(PRIMITIVES["pow"], numpy=lambda a, b: np.power(a, b) * 1.001))
    assert_same(compile_workbook(table_book).values(), before, rtol=0.0)


def test_the_engines_normal_quantile_is_its_own_and_accurate() -> None:
    """NORM.S.INV by Wichura's AS 241, not the solver's Moshier (pysie.distributions.ndtri):
    within 2e-15 relative of scipy's ndtri over the whole of (0, 1), tails included, and
    not the solver's bits everywhere (two algorithms, so a bug in either shows in check)."""
    from scipy.special import ndtri

    from pysie.distributions import ndtri as solvers
    from pysie.recalc.compiled.functions import norm_s_inv

    rng = np.random.default_rng(11)
    p = np.concatenate(
        [rng.uniform(0, 1, 200_000), 10.0 ** rng.uniform(-300, 0, 50_000), 1 - 10.0 ** -rng.uniform(0, 16, 50_000)]
    )
    found = norm_s_inv(p)
    np.testing.assert_allclose(found, ndtri(p), rtol=2e-15, atol=0)
    assert (found != solvers(p)).mean() > 0.05


def test_a_workbook_of_normal_quantiles_is_evaluated_without_scipy(tmp_path: Path) -> None:
    """scipy costs a third of a second to import; the engine's NORM.S.INV, NORM.INV and
    LOGNORM.INV need none of it (milestone-takeoff's workbook holds 14,000 of them)."""
    import subprocess
    import sys

    book = openpyxl.Workbook()
    for row, formula in enumerate(
        ["=_xlfn.NORM.S.INV(0.3)", "=_xlfn.NORM.INV(0.9,1,2)", "=_xlfn.LOGNORM.INV(0.2,0,1)"], 1
    ):
        book.active[f"A{row}"] = formula
    book.save(tmp_path / "q.xlsx")
    code = (
        "import sys; from pysie.recalc.compiled import compile_workbook; "
        f"v = compile_workbook({str(tmp_path / 'q.xlsx')!r}).values(); "
        "print(sorted(v.values()) and 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- fallback and circular references -------------------------------------------


def _row_loop_table(path: Path) -> Path:
    """Every formula of :data:`TABLE` inside a recurrence (its own column, rows
    2 and 3 each reading the row above), so it is evaluated by a row loop."""
    book = openpyxl.load_workbook(_table_book(path))
    ws = book["T"]
    for i, text in enumerate(TABLE):
        col = openpyxl.utils.get_column_letter(8 + i)
        ws[f"{col}1"] = 0
        formula = f"=IF(ROW()>0,{text[1:]},{col}1)"
        ws[f"{col}2"] = formula
        ws[f"{col}3"] = Translator(formula, origin=f"{col}2").translate_formula(f"{col}3")
    book.save(path)
    return path


def _bits(values: Mapping[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    return {k: np.float64(v).tobytes() if isinstance(v, float) else (type(v), v) for k, v in values.items()}


def test_one_scenario_row_loops_equal_the_array_evaluation_bit_for_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row loops on Python floats (:mod:`pysie.recalc.compiled.scalar`) give
    exactly the array library's values, errors and texts included; a broken
    one-scenario operation shows."""
    from pysie.recalc.compiled import scalar

    compiled = compile_workbook(_row_loop_table(tmp_path / "loops.xlsx"))
    assert sum(step.kind == "loop" for step in compiled.plan.steps) > 60
    fast = compiled.values()
    compiled.scalar_rows = False
    arrays = compiled.values()
    assert any(is_error(v) for v in arrays.values()) and any(isinstance(v, str) and v for v in arrays.values())
    assert _bits(fast) == _bits(arrays)
    monkeypatch.setitem(scalar.FAST, "add", (scalar.FAST["add"][0], lambda slow: lambda *a: slow(*a) + 1e-9))
    broken = compile_workbook(tmp_path / "loops.xlsx").values()
    assert _bits(broken) != _bits(arrays)


def test_circular_reference_is_reported(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A1"], ws["B1"], ws["C1"] = "=B1+1", "=A1*2", 3
    book.save(tmp_path / "c.xlsx")
    with pytest.raises(CircularReference, match=r"circular reference: .*A1.*B1|circular reference: .*B1.*A1"):
        recalculate(tmp_path / "c.xlsx")
    assert main(["recalc", str(tmp_path / "c.xlsx"), "-o", str(tmp_path / "out.xlsx")]) != 0


def test_backward_recurrence_is_ordered_cell_by_cell(tmp_path: Path) -> None:
    """A column reading the row below it is no cycle: it runs bottom-up."""
    book = openpyxl.Workbook()
    ws = book.active
    for row in range(1, 8):
        ws[f"A{row}"] = f"=A{row + 1}*2+B{row}"
        ws[f"B{row}"] = row
    ws["A8"] = 1
    ws["C1"] = "=SUM(A1:A7)"
    book.save(tmp_path / "b.xlsx")
    compiled = compile_workbook(tmp_path / "b.xlsx")
    assert any(step.kind == "cells" for step in compiled.plan.steps)
    assert_same(compiled.values(), recalculate(tmp_path / "b.xlsx", "formulas"))


def test_row_loops_hoist_fixed_cells_and_test_no_row_bounds(tmp_path: Path) -> None:
    """LN($D$1) is computed once before the recurrence; the first row, which
    only B covers, is its own stretch; values equal the formulas package."""
    book = openpyxl.Workbook()
    ws = book.active
    ws["D1"] = 3
    ws["A2"] = 1
    for row in range(2, 9):
        ws[f"B{row}"] = f"=A{row}*0.5"
        if row > 2:
            ws[f"A{row}"] = f"=B{row - 1}+LN($D$1)*2"
    book.save(tmp_path / "h.xlsx")
    compiled = compile_workbook(tmp_path / "h.xlsx")
    assert compiled.source.count("f_ln(") == 1
    assert re.search(r"h\d+ = f_ln\(c\d+\[1\]\)", compiled.source)
    assert " if " not in compiled.source
    assert_same(compiled.values(), recalculate(tmp_path / "h.xlsx", "formulas"))


# --- many input sets at once ------------------------------------------------------


def test_scenarios_equal_the_solver(short_retraining_book: Path) -> None:
    compiled = compile_workbook(short_retraining_book)
    returns = np.array([0.8, 1.2, 1.5, 2.5])
    shares = np.array([0.1, 0.2, 0.3, 0.4])
    out = compiled.evaluate({"research_returns": returns, "retraining_share": shares})
    for i in range(returns.size):
        expected = solve(
            MODEL,
            MODEL.resolve("note-default", {**SHORT, "research_returns": returns[i], "retraining_share": shares[i]}),
        )
        for name in (
            "no_retraining_days_to_infinity",
            "continuous_retraining_months_to_infinity",
            "effective_flop_day_100",
            "deployments",
        ):
            want, got = expected.value(name), out[name][i]
            assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12), (name, i)


def test_sweep_writes_a_grid_and_refuses_to_overwrite(short_retraining_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    args = [
        "sweep",
        str(short_retraining_book),
        "--set",
        "research_returns=1.2:2:3",
        "--set",
        "retraining_share=0.1:0.3:2",
        "-o",
        str(out),
    ]
    assert main(args) == 0
    import pandas as pd

    table = pd.read_csv(out)
    assert len(table) == 6 and set(table["research_returns"]) == {1.2, 1.6, 2.0}
    expected = solve(MODEL, MODEL.resolve("note-default", {**SHORT, "research_returns": 1.6, "retraining_share": 0.3}))
    row = table[(table.research_returns == 1.6) & (table.retraining_share == 0.3)].iloc[0]
    assert row["effective_flop_day_100"] == pytest.approx(expected.value("effective_flop_day_100"), rel=1e-12)
    assert main(args) == 2
    assert main([*args, "--force", "--random", "5"]) == 0 and len(pd.read_csv(out)) == 5


# --- LibreOffice as a second oracle -------------------------------------------------


@pytest.mark.libreoffice
def test_compiled_equals_libreoffice_on_edited_workbooks(short_retraining_book: Path, tmp_path: Path) -> None:
    path = _edit(
        short_retraining_book, tmp_path / "edited.xlsx", lambda b: (_one_cell(b), _error_cell(b), _changed_inputs(b))
    )
    # LibreOffice snaps results within ~1e-15 of an integer to it (2.000000000000004 -> 2)
    assert_same(compile_workbook(path).values(), recalculate(path, "libreoffice"), rtol=1e-12)


def test_strong_components_group_exactly_the_mutually_reachable_nodes() -> None:
    from pysie.recalc.compiled.graph import strong_components

    # 0 <-> 1 -> 2 -> 3 -> 2, 4 alone with a self loop, 5 reached by nobody
    labels = strong_components(6, [(0, 1), (1, 0), (1, 2), (2, 3), (3, 2), (4, 4), (5, 0)])
    groups = {frozenset(i for i in range(6) if labels[i] == label) for label in labels}
    assert groups == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4}), frozenset({5})}
    # a chain far deeper than the recursion limit
    assert len(set(strong_components(50_000, [(i, i + 1) for i in range(49_999)]))) == 50_000


def test_a_filled_down_formula_reuses_the_key_of_the_row_above() -> None:
    """key_at gives exactly key_template's key, whether it reuses the previous
    row's (a formula filled down) or parses (anything else differs)."""
    from pysie.recalc.compiled.parse import key_at, key_template

    cases = [
        ("=A8+$B$1*'x y'!C8", 8, "=A9+$B$1*'x y'!C9", 9),  # reused
        ("=A9+1", 9, "=A10+1", 10),  # one more digit
        ('=IF(A2>0,"50% of A2",A1)', 2, '=IF(A3>0,"50% of A2",A2)', 3),  # a string is not a reference
        ("=A2+1", 2, "=a3+1", 3),  # lower case: parsed again, same key
        ("=A2+1", 2, "=A4+1", 3),  # another formula
        ("=SUM(A$1:A2)", 2, "=SUM(A$1:A3)", 3),
    ]
    for first, row0, second, row1 in cases:
        previous = key_template(first, row0)
        assert key_at(second, row1, previous)[0] == key_template(second, row1)[0], second
    above = key_template("=A8+1", 8)
    assert key_at("=A9+1", 9, above) is above  # the row above's key, not a parse
    assert key_at("=A9+2", 9, above) is not above
