"""Settled scenarios stop being stepped (pysie.settle): the software-explosion
runs solved that way against the same runs stepped to the last row, bit for
bit, in every rule setting; and against the numpy reference loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pysie import montecarlo, settle
from pysie.distributions import sample_range
from pysie.expr import Col, Const, Name, min_
from pysie.models import software_explosion as se
from pysie.solver import solve, solve_scalars
from pysie.spec import Column, Model, Parameter, Table

SAMPLES = 500
#: every rule setting the model takes (the single-run code's gradual boost is refused)
SETTINGS = [
    {"retraining_rule": rule, "gradual_boost": boost, "constant_returns": constant, "run_rules": rules}
    for rule, boost, constant, rules in itertools.product((0, 1, 2), (0, 1), (0, 1), (0, 1))
    if not (boost and rules)
]


def draws(setting: dict[str, int], samples: int = SAMPLES, seed: int = 7) -> dict[str, np.ndarray]:
    """The parameters of ``samples`` runs from the paper's distributions, held at ``setting``."""
    d = montecarlo.design(se.MODEL, samples, seed, values=setting)
    drawn = sample_range(d.dists, 0, samples, d.seed, d.copula)
    return {name: np.full(samples, value) for name, value in d.held.items()} | drawn


def stepped_to_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """No table settles: every scenario is stepped to the last row."""
    monkeypatch.setattr(settle, "plan", lambda table: None)


def differences(a: dict[str, np.ndarray], b: dict[str, np.ndarray], where: str = "") -> list[str]:
    """Names whose arrays are not the same bits (NaN in the same places counts as equal)."""
    return [
        f"{where}{name}"
        for name in b
        if np.asarray(a[name]).shape != np.asarray(b[name]).shape
        or not np.array_equal(np.asarray(a[name]), np.asarray(b[name]), equal_nan=True)
    ]


def whole(values: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    solution = solve(se.RUN, values)
    return solution.values, solution.tables


def table_differences(a: tuple, b: tuple) -> list[str]:
    found = differences(a[0], b[0])
    for table, columns in b[1].items():
        found += differences(a[1][table], columns, f"{table}.")
    return found


def test_the_steps_table_settles_and_the_others_do_not() -> None:
    plan = settle.plan(se.STEPS)
    assert plan is not None
    assert plan.uniform == {"step"}  # the step counter: the same in every run, never repeats
    assert {"months", "software", "returns", "doubling_months", "recorded"} <= set(plan.state)
    assert settle.plan(se.WINDOWS) is None  # independent rows
    assert settle.plan(se.MC_STEPS) is None  # its state reads the step counter (blocks of runs)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
def test_settled_runs_give_the_same_bits_as_runs_stepped_to_the_end(
    setting: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = draws(setting)
    settled_results = solve_scalars(se.RUN, values)
    settled_tables = whole(values)
    steps = settled_results["steps"]
    assert steps.min() < se.MAX_STEPS / 2, "some runs end early, so rows are left unstepped"
    with monkeypatch.context() as patch:
        stepped_to_the_end(patch)
        full_results = solve_scalars(se.RUN, values)
        full_tables = whole(values)
    assert differences(settled_results, full_results) == []
    assert table_differences(settled_tables, full_tables) == []
    reference = solve(se.RUN, values, reference=True).values
    outputs = [o.name for o in se.RUN_OUTPUTS]
    assert differences({k: settled_results[k] for k in outputs}, {k: reference[k] for k in outputs}) == []


def test_switches_that_differ_between_runs_settle_too(monkeypatch: pytest.MonkeyPatch) -> None:
    values = draws({})
    rng = np.random.default_rng(3)
    values["retraining_rule"] = rng.integers(0, 3, SAMPLES).astype(float)
    values["constant_returns"] = rng.integers(0, 2, SAMPLES).astype(float)
    settled = whole(values)
    with monkeypatch.context() as patch:
        stepped_to_the_end(patch)
        full = whole(values)
    assert table_differences(settled, full) == []


def test_the_comparison_fails_when_runs_settle_too_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberate break: judge settling by the ``recorded`` flag alone, which
    repeats while a run is still going, so runs stop after their first steps."""
    values = draws({"retraining_rule": 2}, samples=200)
    full = solve_scalars(se.RUN, values)
    true_plan = settle.plan(se.STEPS)
    assert true_plan is not None
    broken = settle.Plan(("recorded",), true_plan.uniform, true_plan.data, true_plan.names)
    monkeypatch.setattr(settle, "plan", lambda table: broken if table.name == "steps" else None)
    found = differences(solve_scalars(se.RUN, values), full)
    assert {"steps", "months_simulated", "years_of_progress"} <= set(found)


def _saturating(rows: int = 40) -> Model:
    """x climbs by a per row to a cap (then repeats); k counts rows in every scenario alike."""
    x, k = Col("x"), Col("k")
    columns = (
        Column("k", Const(0), k.prev + 1, "", "row counter: the same in every scenario"),
        Column("x", Const(0), min_(x.prev + Name("a"), Name("cap")), "", "climbs by a to cap"),
        Column.every_row("y", 2.0 * Col("x") + 1.0, "", "read from the same row"),
    )
    return Model(
        name="saturating",
        title="a run that stops climbing",
        summary="",
        sources=(),
        parameters=(Parameter("a", 1.0, "", "", ""), Parameter("cap", 10.0, "", "", "")),
        derived=(),
        tables=(Table("t", "T", "", columns, rows_from=rows),),
        outputs=(),
    ).validate()


def test_any_table_whose_rows_repeat_settles_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _saturating()
    plan = settle.plan(model.table("t"))
    assert plan is not None and plan.uniform == {"k"} and set(plan.state) == {"x", "y"}
    rng = np.random.default_rng(5)
    values = {"a": rng.uniform(0.2, 5.0, 3_000), "cap": rng.uniform(1.0, 30.0, 3_000)}
    settled = solve(model, values).tables["t"]
    with monkeypatch.context() as patch:
        stepped_to_the_end(patch)
        full = solve(model, values).tables["t"]
    assert differences(settled, full) == []
    assert np.all(settled["k"][-1] == 39)  # the counter goes on in runs set aside long before
    np.testing.assert_allclose(settled["x"][-1], np.minimum(39 * values["a"], values["cap"]), rtol=1e-12)
