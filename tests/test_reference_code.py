"""pysie's software-explosion run against the paper's own public code, run by run,
and milestone-takeoff's phases against the AI 2027 takeoff forecast's code.

The oracle is the Monte Carlo of Davidson and Houlden's simulator ("How quick
and big would a software intelligence explosion be?", Forethought, August 2025;
GitHub ``thoulden/Accelerated_AI_Progress``, ``multiple_sims.py``), run here
unchanged from a checkout of it: its ``run_simulations`` loop, fed the same
parameter draws as pysie (its four ``np.random.uniform`` calls replay draws made
from ``numpy.random.default_rng``), and its own indicator count
``calculate_summary_statistics_binary``. pysie solves the same draws with
``software_explosion.RUN`` at the code's own rules (``run_rules`` = 0, and
``retraining_rule`` = 2, the code's q/|q+1|, where the code's "Retraining Cost"
box is ticked, else 0). Nothing of the reference is in this repository.

The second oracle is the AI 2027 takeoff forecast's simulation (AI Futures
Project, April 2025; GitHub ``uvafan/timelines-takeoff-ai-2027``,
``takeoff/forecasting_takeoff.py``): its day-by-day ``run_phase_simulation``,
fed each pysie sample's gap, against pysie's closed-form phase time. The two
draw differently, so samples are not compared, only phases.

These tests are skipped unless the environment variable PYSIE_REFERENCE_DIR
(PYSIE_AI2027_DIR for the second) names a checkout of the reference code (see
docs/reference-code.md: ``git clone https://github.com/thoulden/Accelerated_AI_Progress
DIR``, measured at commit a7b1a79; ``uvafan/timelines-takeoff-ai-2027`` at
1356db7), so the suite runs without it; a directory that is not such a
checkout is an error.
"""

from __future__ import annotations

import math
import types
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
import reference_code as rc

from pysie.models import milestone_takeoff as mt
from pysie.models import software_explosion as se
from pysie.solver import solve, solve_scalars

#: Relative tolerance on the time of the last step. The two codes take ceil(8 L) ~ 100
#: steps through the same formulas in a different order (S_max = 256^L or 2^(8 L),
#: T 2^q / ((1 + f)/(1 + f_old)) or T 2^q (1 + f_old)/(1 + f)), so r = r0 - j k differs
#: in its last bits; where r is small before the last step (0.0016 in one of 10,000 runs)
#: q = lambda (1/r - 1) is large and the last doubling (1e31 months there) carries that
#: error times q: 5e-11 relative at worst in 10,000 runs, earlier steps about 1e-13.
TIME_RTOL = 1e-9
EXACT = ("steps", *rc.SIE_HITS)


@pytest.fixture(scope="module")
def reference() -> types.ModuleType:
    root = rc.directory(None, rc.SIE_ENV, rc.SIE_FILE)
    if root is None:
        pytest.skip(f"{rc.SIE_ENV} is not set: no checkout of the reference code to compare with")
    return rc.load_sie(root)


def reference_runs(
    module: types.ModuleType, raw: Sequence[np.ndarray], retraining: bool, boost: bool, constant: bool
) -> tuple[dict[tuple[int, int], float], list[dict[str, float]]]:
    probabilities, times, sizes = rc.sie_monte_carlo(module, len(raw[0]), retraining, boost, constant, raw=raw)
    return probabilities, [rc.sie_run_results(module, t, s) for t, s in zip(times, sizes, strict=True)]


def pysie_runs(raw: Sequence[np.ndarray], rule: int, boost: bool, constant: bool) -> dict[str, np.ndarray]:
    values: dict[str, object] = {
        **se.RUN.defaults(),
        **rc.sie_parameters(raw),
        "retraining_rule": rule,
        "run_rules": 0,
        "gradual_boost": int(boost),
        "constant_returns": int(constant),
    }
    return solve_scalars(se.RUN, values, chunk=1000)


def disagreements(ours: Mapping[str, np.ndarray], theirs: Sequence[Mapping[str, float]]) -> dict[str, int]:
    """Runs whose steps or indicators differ, and whose last step time differs by more
    than TIME_RTOL (the reference's infinite last doubling is pysie's 1e300 cap)."""
    out = {name: 0 for name in (*EXACT, "months_simulated")}
    for i, run in enumerate(theirs):
        for name in EXACT:
            out[name] += run[name] != ours[name][i]
        a, b = run["months_simulated"], float(ours["months_simulated"][i])
        same = (math.isinf(a) and b == se.DOUBLING_CAP) or math.isclose(a, b, rel_tol=TIME_RTOL)
        out["months_simulated"] += not same
    return out


def largest_time_difference(ours: Mapping[str, np.ndarray], theirs: Sequence[Mapping[str, float]]) -> float:
    a = np.array([run["months_simulated"] for run in theirs])
    b = ours["months_simulated"]
    finite = np.isfinite(a)
    return float(np.max(np.abs(a[finite] - b[finite]) / np.abs(a[finite]), initial=0.0))


CASES = [
    # (retraining box, gradual boost, constant returns, runs)
    (True, False, False, 2000),
    (False, False, False, 1000),
    (True, True, False, 500),
    (False, True, False, 500),
    (True, False, True, 500),
    (False, True, True, 500),
]


@pytest.mark.parametrize("retraining, boost, constant, runs", CASES)
def test_every_run_agrees_with_the_reference_code(
    reference: types.ModuleType, retraining: bool, boost: bool, constant: bool, runs: int
) -> None:
    raw = rc.sie_raw_draws(runs, seed=runs + 10 * boost + 100 * constant)
    probabilities, theirs = reference_runs(reference, raw, retraining, boost, constant)
    ours = pysie_runs(raw, 2 if retraining else 0, boost, constant)
    assert disagreements(ours, theirs) == dict.fromkeys((*EXACT, "months_simulated"), 0)
    assert largest_time_difference(ours, theirs) < TIME_RTOL
    for name, condition in zip(rc.SIE_HITS, rc.SIE_CONDITIONS, strict=True):
        assert ours[name].mean() == probabilities[condition], name


def test_the_comparison_sees_the_documented_retraining_rule(reference: types.ModuleType) -> None:
    """Deliberate break: pysie at the appendix's q/(1+|q|) against the code's q/|q+1|
    must disagree somewhere (the rules differ for every r != 1)."""
    raw = rc.sie_raw_draws(1000, seed=7)
    _, theirs = reference_runs(reference, raw, retraining=True, boost=False, constant=False)
    found = disagreements(pysie_runs(raw, rule=1, boost=False, constant=False), theirs)
    assert found["months_simulated"] > 500 and found["hit_10y_in_4m"] > 0, found


def test_the_comparison_sees_runs_out_of_step(reference: types.ModuleType) -> None:
    """Deliberate break: each reference run against pysie's next run."""
    raw = rc.sie_raw_draws(500, seed=8)
    _, theirs = reference_runs(reference, raw, retraining=True, boost=False, constant=False)
    ours = pysie_runs(raw, rule=2, boost=False, constant=False)
    shifted = {name: np.roll(values, -1) for name, values in ours.items()}
    found = disagreements(shifted, theirs)
    assert found["steps"] > 400 and found["months_simulated"] > 490, found


def test_replayed_draws_must_match_the_reference_ranges(reference: types.ModuleType) -> None:
    """The replay refuses a reference call for a range it was not drawn from (f from 3, not 2)."""
    raw = rc.sie_raw_draws(10, seed=9)
    with pytest.raises(AssertionError, match="initial_speedup"), rc.replayed_uniforms(raw):
        reference.sample_parameters_batch(10, 0.4, 3.6, 6, 16, 0.15, 0.6, 3.0, 32.0, 0.5, False)


# --- the AI 2027 takeoff forecast's day-by-day phases ------------------------------------------

#: pysie's phases and the multipliers at their ends (the forecast's 5, 25, 250, 2000).
PHASES = (("sc_sar", 5.0, 25.0), ("sar_siar", 25.0, 250.0), ("siar_asi", 250.0, 2000.0))
#: The forecast's code counts a year as 365 days and stops a phase at 365,000 days.
DAYS, CAP_DAYS = 365.0, 365 * 1000


@pytest.fixture(scope="module")
def takeoff_reference() -> types.ModuleType:
    root = rc.directory(None, rc.AI2027_ENV, rc.AI2027_FILE)
    if root is None:
        pytest.skip(f"{rc.AI2027_ENV} is not set: no checkout of the AI 2027 takeoff code to compare with")
    return rc.load_ai2027(root)


def phase_day_differences(module: types.ModuleType, days_per_year: float) -> dict[str, np.ndarray]:
    """Per phase of 300 pysie samples: the forecast's ``run_phase_simulation`` fed pysie's gap
    (in its days), minus pysie's closed-form calendar time in days (phases under its cap)."""
    solution = solve(mt.MODEL, mt.MODEL.resolve(None, {"samples": 300, "seed": 3}))
    samples = solution.tables["samples"]
    out = {}
    for phase, v_from, v_to in PHASES:
        gaps, years = samples[f"{phase}_gap"][:, 0], samples[f"{phase}_years"][:, 0]
        kept = years * DAYS < CAP_DAYS - 1000
        days = [module.run_phase_simulation(gap * DAYS, v_from, v_to) for gap in gaps[kept]]
        out[phase] = np.array(days) - years[kept] * days_per_year
    return out


def within_daily_steps(differences: Mapping[str, np.ndarray]) -> dict[str, bool]:
    """0 <= forecast days - closed-form days <= 1 + ln(v_B / v_A): the daily loop is never
    ahead (the multiplier only rises within a phase, and it adds the day's start value), and
    lags by whole days plus forward Euler's ln(v_B / v_A) / 2 (doubled for coarse steps)."""
    return {
        phase: bool(differences[phase].min() >= 0 and differences[phase].max() <= 1 + math.log(v_to / v_from))
        for phase, v_from, v_to in PHASES
    }


def test_each_phase_agrees_with_the_forecasts_daily_loop(takeoff_reference: types.ModuleType) -> None:
    differences = phase_day_differences(takeoff_reference, DAYS)
    assert all(len(d) > 250 for d in differences.values())
    assert all(within_daily_steps(differences).values()), {p: (d.min(), d.max()) for p, d in differences.items()}


def test_the_phase_comparison_sees_a_365_25_day_year(takeoff_reference: types.ModuleType) -> None:
    """Deliberate break: pysie's calendar years counted in 365.25 days against the code's 365."""
    assert not within_daily_steps(phase_day_differences(takeoff_reference, 365.25))["siar_asi"]
