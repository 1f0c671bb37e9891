"""Switches folded into a table (pysie/fold.py): the same numbers as the
reference loop, with the unused branches gone from the generated code."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pysie import fold
from pysie.expr import Call, Col, Const, Name, if_
from pysie.models import MODELS
from pysie.solver import solve

RUN = MODELS["software-explosion"].uncertainty.scenario  # type: ignore[union-attr]
STEPS = RUN.table("steps")


def _names_in(table: object) -> set[str]:
    return {n.name for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Name)}  # type: ignore[attr-defined]


def test_the_switches_are_the_names_in_if_conditions() -> None:
    assert {"run_rules", "gradual_boost", "retraining_rule"} <= fold.switch_names(STEPS)
    assert "research_returns" not in fold.switch_names(STEPS)


def test_a_held_switch_is_folded_away_and_a_varying_one_is_kept() -> None:
    held = {name: np.full(4, float(value[0])) for name, value in solve(RUN, RUN.defaults()).values.items()}
    held["gradual_boost"] = np.array([0.0, 1.0, 0.0, 1.0])
    specialised = fold.specialise(STEPS, held)
    names = _names_in(specialised)
    assert "run_rules" not in names and "retraining_rule" not in names
    assert "gradual_boost" in names  # differs between scenarios: both branches stay


def test_an_error_switch_is_not_folded() -> None:
    expr = if_(Name("s"), Const(1.0), Const(2.0))
    kept = fold.fold(expr, {"s": float("nan")})
    assert isinstance(kept, Call) and kept.op == "if" and np.isnan(kept.args[0].value)  # type: ignore[attr-defined]
    assert fold.fold(expr, {"s": 0.0}) == Const(2.0)
    assert fold.fold(expr, {"s": -3.0}) == Const(1.0)


@pytest.mark.parametrize(
    "switches",
    [
        {"run_rules": 0, "retraining_rule": 2, "gradual_boost": 0},
        {"run_rules": 1, "retraining_rule": 1, "gradual_boost": 0},
        {"run_rules": 0, "retraining_rule": 0, "gradual_boost": 1},
    ],
)
def test_folded_runs_equal_the_reference_loop_bit_for_bit(
    switches: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the numpy fast loop: the compiled one (PYSIE_JIT=1) uses the C library's LN, equal within 1e-12, not bit for bit
    monkeypatch.setenv("PYSIE_JIT", "0")
    rng = np.random.default_rng(7)
    n = 300
    values = {
        **switches,
        "initial_speedup": np.exp(rng.uniform(np.log(2), np.log(32), n)),
        "research_returns": np.exp(rng.uniform(np.log(0.4), np.log(3.6), n)),
        "limit_years": rng.uniform(6, 16, n),
        "parallel_returns": np.exp(rng.uniform(np.log(0.15), np.log(0.6), n)),
    }
    if switches["gradual_boost"]:
        values["run_rules"] = 0  # the single-run code's boost does not fit the sheet (refused)
    values = {**RUN.defaults(), **values}
    fast, reference = solve(RUN, values), solve(RUN, values, reference=True)
    for name in ("years_of_progress", "steps", "months_simulated", "hit_3y_in_1y", "hit_10y_in_4m"):
        np.testing.assert_array_equal(fast.values[name], reference.values[name], err_msg=name)


def test_a_wrong_branch_would_be_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberate break: a folder that picks the other branch changes the results."""
    original = fold.fold

    def swapped(expr: object, values: dict[str, float]) -> object:
        if isinstance(expr, Call) and expr.op == "if":
            condition = original(expr.args[0], values)
            if isinstance(condition, Const):
                return original(expr.args[2] if condition.value != 0 else expr.args[1], values)
        if isinstance(expr, Call):
            return Call(expr.op, tuple(swapped(a, values) for a in expr.args))  # type: ignore[misc]
        return original(expr, values)  # type: ignore[arg-type]

    monkeypatch.setattr(fold, "fold", swapped)
    fold._folded.cache_clear()
    try:
        values = {**RUN.defaults(), "research_returns": np.array([1.5, 2.0]), "initial_speedup": np.array([8.0, 16.0])}
        broken, reference = solve(RUN, values), solve(RUN, values, reference=True)
        assert not np.array_equal(broken.values["months_simulated"], reference.values["months_simulated"])
    finally:
        fold._folded.cache_clear()


def _held(**changes: float) -> dict[str, np.ndarray]:
    values = {name: np.full(3, float(value[0])) for name, value in solve(RUN, RUN.defaults()).values.items()}
    values["research_returns"] = np.array([0.8, 1.2, 2.5])
    return values | {name: np.full(3, value) for name, value in changes.items()}


def _reads(table: object, column: str) -> int:
    return sum(
        1
        for c in table.columns  # type: ignore[attr-defined]
        for e in (c.first, c.next)
        for n in e.walk()
        if isinstance(n, Col) and n.name == column
    )


def test_a_constant_column_is_read_as_its_expression() -> None:
    """Without the gradual boost f is the same name in every row: nothing reads the column."""
    folded = fold.constant_columns(fold.specialise(STEPS, _held(gradual_boost=0.0)))
    assert _reads(folded, "speedup") == 0
    assert folded.column("speedup").next == Name("start_speedup")
    boosted = fold.constant_columns(fold.specialise(STEPS, _held(gradual_boost=1.0)))
    assert _reads(boosted, "speedup") > 0  # f ramps with t: not constant


def _steps(monkeypatch: pytest.MonkeyPatch, replace: object) -> dict[str, np.ndarray]:
    with monkeypatch.context() as patch:
        patch.setattr(fold, "constant_columns", replace)
        parameters = {k: v for k, v in _held(gradual_boost=0.0).items() if k in RUN.defaults()}
        return solve(RUN, parameters).tables["steps"]


@pytest.mark.parametrize("broken", [False, True])
def test_reading_constant_columns_as_expressions_gives_the_same_bits(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """Against the table stepped without the substitution; the deliberate break
    also substitutes a column that is not constant (dt read as 0) and must be seen."""
    plain = _steps(monkeypatch, lambda table: table)
    real = fold.constant_columns.__wrapped__

    def wrong(table: object) -> object:
        return _with_column(real(table), "step_months", Const(0.0))

    got = _steps(monkeypatch, wrong if broken else real)
    same = all(np.array_equal(got[name], plain[name], equal_nan=True) for name in plain)
    assert same is not broken


def _with_column(table: object, name: str, value: Const) -> object:
    """Every read of column ``name`` replaced by ``value`` (the deliberate break)."""
    columns = tuple(
        dataclasses.replace(
            c, first=fold._substituted(c.first, {name: value}), next=fold._substituted(c.next, {name: value})
        )
        for c in table.columns  # type: ignore[attr-defined]
    )
    return dataclasses.replace(table, columns=columns)


def test_a_column_nothing_kept_reads_is_dropped() -> None:
    """Without the gradual boost, compute C and f feed nothing the results read: gone; with it they stay."""
    keep = frozenset({"months", "recorded", "step", "years", "steps_done"})
    plain = fold.constant_columns(fold.specialise(STEPS, _held(gradual_boost=0.0)))
    live = {c.name for c in fold.live_columns(plain, keep).columns}
    assert keep <= live and "doubling_months" in live and "exponent" in live  # read by what is kept
    assert not live & {"compute", "speedup"}
    boosted = fold.constant_columns(fold.specialise(STEPS, _held(gradual_boost=1.0)))
    assert {"compute", "speedup"} <= {c.name for c in fold.live_columns(boosted, keep).columns}
    everything = frozenset(c.name for c in STEPS.columns)
    assert fold.live_columns(STEPS, everything) is STEPS


@pytest.mark.parametrize("broken", [False, True])
def test_results_without_the_dead_columns_are_the_same_bits(monkeypatch: pytest.MonkeyPatch, broken: bool) -> None:
    """solve_scalars (results only: dead columns dropped) against full solutions; the deliberate
    break also drops a column the kept ones read (dt read as 0) and must be seen."""
    from pysie.solver import solve_scalars

    monkeypatch.setenv("PYSIE_JIT", "0")
    parameters = {k: v for k, v in _held(gradual_boost=0.0).items() if k in RUN.defaults()}
    full = solve(RUN, parameters).values
    real = fold.live_columns.__wrapped__

    def wrong(table: object, keep: frozenset[str]) -> object:
        pruned = real(table, keep)
        return _with_column(pruned, "step_months", Const(0.0)) if pruned.name == "steps" else pruned  # type: ignore[attr-defined]

    monkeypatch.setattr(fold, "live_columns", wrong if broken else real)
    got = solve_scalars(RUN, parameters)
    same = all(np.array_equal(got[s.name], full[s.name], equal_nan=True) for s in RUN.outputs)
    assert same is not broken
