"""The retraining model against oracles that do not come from its declaration:
the note's published table, closed forms typed in here, and a convergence run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pysie import theory
from pysie.models.retraining import MODEL
from pysie.report import report
from pysie.solver import solve

# Published: Davidson, Forethought (March 2025), months to infinity without /
# with continuous retraining (100-day initial training run). Months are rounded
# in the source, so the tolerance is half a month.
PUBLISHED_MONTHS = {
    "N4.3": (8.0, 27.0),
    "N3": (5.0, 16.0),
    "N2": (3.0, 10.0),
    "N1.5": (1.3, 4.6),
    "note-default": (5.0, 16.0),
}
HALF_MONTH = 0.5


def result(preset: str | None = None, **overrides: float) -> dict:
    return report(solve(MODEL, MODEL.resolve(preset, overrides)))


@pytest.mark.parametrize("preset", sorted(PUBLISHED_MONTHS))
def test_months_to_infinity_match_the_note(preset: str) -> None:
    without, with_retraining = PUBLISHED_MONTHS[preset]
    r = result(preset)
    assert r["variants"]["no_retraining"]["months_to_infinity"] == pytest.approx(without, abs=HALF_MONTH)
    assert r["variants"]["continuous_retraining"]["months_to_infinity"] == pytest.approx(
        with_retraining, abs=HALF_MONTH
    )


def test_effective_flop_of_note_default_within_five_percent() -> None:
    flop = result("note-default")["variants"]["continuous_retraining"]["effective_flop"]
    assert flop["60"] == pytest.approx(1.6e29, rel=0.05)
    assert flop["100"] == pytest.approx(2.5e29, rel=0.05)


@pytest.mark.parametrize("r", [1.3, 1.5, 2.0, 3.0, 7.0])
def test_n_is_r_over_r_minus_one(r: float) -> None:
    assert result(research_returns=r)["doublings_before_pace_doubles"] == pytest.approx(r / (r - 1), rel=1e-12)


def test_note_quotes_n_for_each_preset() -> None:
    quoted = {"N4.3": 4.3, "N3": 3.0, "N2": 2.0, "N1.5": 1.5}
    for preset, n in quoted.items():
        assert result(preset)["doublings_before_pace_doubles"] == pytest.approx(n, abs=0.05)


@pytest.mark.parametrize("n, slowdown", [(5, 1.19), (3, 1.30), (1, 1.71)])
def test_retraining_slowdown_closed_form(n: float, slowdown: float) -> None:
    assert theory.retraining_slowdown(n) == pytest.approx(slowdown, abs=0.005)
    # typed in independently: (1 - 2^(-1/N)) / (1 - 2^(-1/(N+1)))
    assert theory.retraining_slowdown(n) == pytest.approx((1 - 2 ** (-1 / n)) / (1 - 2 ** (-1 / (n + 1))), rel=1e-12)


def test_retraining_exponent_is_not_the_public_simulators_form() -> None:
    q = theory.doubling_time_exponent(2.0, 0.6)
    assert theory.retraining_exponent(q) == pytest.approx(-0.231, abs=5e-4)
    assert q / abs(q + 1) == pytest.approx(-0.429, abs=5e-4)  # the other form, which speeds progress up


def test_doublings_with_retraining_is_n_plus_one() -> None:
    for r in (1.25, 1.5, 2.0):
        q = theory.doubling_time_exponent(r)
        n = -1 / q
        assert -1 / theory.retraining_exponent(q) == pytest.approx(n + 1, rel=1e-12)


def test_sheet_measures_about_n_without_and_2n_with_retraining() -> None:
    r = result("note-default")
    n = r["doublings_before_pace_doubles"]
    assert r["variants"]["no_retraining"]["measured_doublings_per_pace_doubling"] == pytest.approx(n, rel=0.15)
    assert r["variants"]["continuous_retraining"]["measured_doublings_per_pace_doubling"] == pytest.approx(
        2 * n, rel=0.15
    )


@pytest.mark.slow
def test_daily_recursion_converges_to_the_continuous_blow_up() -> None:
    """x' = x^r / T_R blows up at T_R/(r-1). A step of h days is the daily
    recursion with T_R scaled by 1/h (D scaled by 1/h), counted in steps * h."""
    r, d = 1.5, 35.0
    t_r = d / (2 ** (1 / r) - 1)
    blow_up = t_r / (r - 1)
    errors = []
    for h in (1.0, 0.25, 0.0625, 0.015625):
        steps = result(research_returns=r, initial_doubling_days=d / h, horizon_days=int(3 * blow_up / h))["variants"][
            "no_retraining"
        ]["days_to_infinity"]
        errors.append(abs(steps * h - blow_up))
    assert errors[0] > errors[1] > errors[2] > errors[3]
    assert errors[-1] / blow_up < 0.01


@pytest.mark.parametrize("r", [0.5, 0.9, 1.0])
def test_no_acceleration_gives_never_not_a_number(r: float) -> None:
    out = result(research_returns=r)
    for variant in ("no_retraining", "continuous_retraining", "from_scratch"):
        assert out["variants"][variant]["days_to_infinity"] is None
        assert out["variants"][variant]["months_to_infinity"] is None
    assert out["doublings_before_pace_doubles"] is None
    assert out["retraining_multiplier"] is None


def test_scenarios_are_vectorised_and_equal_one_at_a_time() -> None:
    rs = np.array([1.3, 1.5, 2.0, 3.0])
    values = MODEL.resolve("note-default")
    values["research_returns"] = rs
    many = solve(MODEL, values)
    for i, r in enumerate(rs):
        one = solve(MODEL, MODEL.resolve("note-default", {"research_returns": r}))
        for name in (
            "no_retraining_days_to_infinity",
            "continuous_retraining_days_to_infinity",
            "effective_flop_day_100",
        ):
            a, b = many.value(name, i), one.value(name)
            assert (math.isnan(a) and math.isnan(b)) or a == b


def test_from_scratch_deploys_and_is_slower_than_continuous() -> None:
    out = result("note-default")
    fs = out["variants"]["from_scratch"]
    assert fs["deployments"] and fs["deployments"] == sorted(fs["deployments"])
    assert fs["months_to_infinity"] > out["variants"]["continuous_retraining"]["months_to_infinity"]


def test_chunked_results_equal_one_solve() -> None:
    from pysie.solver import solve_scalars

    values = MODEL.resolve("note-default")
    values["research_returns"] = np.linspace(1.2, 2.5, 25)
    chunked = solve_scalars(MODEL, values, chunk=7)
    whole = solve(MODEL, values).values
    for name in ("no_retraining_days_to_infinity", "retraining_multiplier", "effective_flop_day_200"):
        np.testing.assert_array_equal(chunked[name], whole[name])
