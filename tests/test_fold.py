"""Switches folded into a table (pysie/fold.py): the same numbers as the
reference loop, with the unused branches gone from the generated code."""

from __future__ import annotations

import numpy as np
import pytest

from pysie import fold
from pysie.expr import Call, Const, Name, if_
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
