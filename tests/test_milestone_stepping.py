"""milestone-takeoff's stepping = 1 (the AI 2027 takeoff forecast's public code's rule)
against a day-by-day loop written here, date arithmetic written here, and, when a
copy of that code is given (``AI2027_TAKEOFF_CODE`` = path of its
``takeoff/forecasting_takeoff.py``, with pandas 2.2 installed), the code itself
run on the same draws."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import os
from pathlib import Path

import numpy as np
import pytest

from pysie.build import write_workbook
from pysie.cli import main
from pysie.compare import check_workbook
from pysie.models import milestone_stepping as euler
from pysie.models.milestone_takeoff import MODEL
from pysie.solver import solve

#: Excel serial of 9999-12-31 and the day Excel counts from.
LAST = (dt.date(9999, 12, 31) - dt.date(1899, 12, 30)).days
ORIGIN = dt.date(1899, 12, 30)
YEAR_9999 = (dt.date(9999, 1, 1) - ORIGIN).days


def loop_days(gap_years: float, v_a: float, v_b: float) -> int:
    """The rule as the public code words it: a gap of 365 G days of progress, one day
    at a time at the speed at the start of the day, until progress reaches the gap;
    more than 365000 days counts as 365000."""
    gap = gap_years * 365
    progress, days = 0.0, 0
    while progress < gap:
        progress += v_a * (v_b / v_a) ** (progress / gap)
        days += 1
        if days > 365000:
            return 365000
    return days


def formula_days(gaps: np.ndarray, v_a: np.ndarray, v_b: np.ndarray) -> np.ndarray:
    """The declared cells' equations evaluated on arrays (the model's Samples columns)."""
    s0 = euler.scale(gaps, v_a, v_b)
    ratio = v_b / v_a
    skipped = euler.skipped_days(s0, ratio)
    refined = euler.newton_again(euler.newton_start(s0, skipped), s0, skipped)
    evens = [1.0 / refined]
    for _ in range(euler.EXPLICIT_STEPS // 2 - 1):
        evens.append(euler.two_steps(evens[-1]))
    return np.asarray(euler.phase_days(gaps, v_a, s0, ratio, skipped, tuple(evens)))


def overflows_a_nanosecond_timedelta(days: int) -> bool:
    """pandas 2.2 holds a Timedelta as a signed 64-bit count of nanoseconds."""
    return days * 86400 * 10**9 > 2**63 - 1


def reference_date(previous: int, days: int) -> int:
    """The public code's step of the current date: datetime + Timedelta(days), and
    9999-12-31 when either overflows."""
    if overflows_a_nanosecond_timedelta(days):
        return LAST
    try:
        return ((ORIGIN + dt.timedelta(days=previous)) + dt.timedelta(days=days) - ORIGIN).days
    except OverflowError:
        return LAST


PAIRS = [(5.0, 25.0), (25.0, 250.0), (250.0, 2000.0), (3.0, 25.0), (1.0, 1.05), (10.0, 1e6), (0.5, 40.0)]


@pytest.mark.parametrize("v_a, v_b", PAIRS)
def test_day_counts_equal_the_loop_over_gaps_from_an_hour_to_centuries(v_a: float, v_b: float) -> None:
    rng = np.random.default_rng(int(v_a * 1000 + v_b))
    gaps = np.concatenate([np.exp(rng.uniform(np.log(1e-4), np.log(60.0), 400)), [v_a / 365, v_a / 365 * 1.0001]])
    expected = np.array([loop_days(g, v_a, v_b) for g in gaps])
    got = formula_days(gaps, np.full_like(gaps, v_a), np.full_like(gaps, v_b))
    wrong = np.flatnonzero(got != expected)
    assert wrong.size == 0, [(gaps[i], expected[i], got[i]) for i in wrong[:5]]
    assert expected.min() == 1  # the tiny phases last one day
    assert (expected == 2).any()  # and the step from one day to two is exercised


def test_random_multipliers_and_gaps_equal_the_loop() -> None:
    rng = np.random.default_rng(7)
    v_a = np.exp(rng.uniform(0, 8, 3000))
    v_b = v_a * np.exp(rng.uniform(0.02, 6, 3000))
    gaps = np.exp(rng.uniform(-8, 4, 3000)) * v_a / 10
    expected = np.array([loop_days(g, a, b) for g, a, b in zip(gaps, v_a, v_b, strict=True)])
    got = formula_days(gaps, v_a, v_b)
    assert np.array_equal(got, expected), np.flatnonzero(got != expected)[:5]


@pytest.mark.parametrize("days", [50_000, 106_751, 106_752, 364_990, 365_010, 2_000_000])
def test_long_phases_near_the_caps(days: int) -> None:
    """Gaps whose continuous day count is ``days``: the count near the Timedelta and
    365000-day limits, and far past them."""
    v_a, v_b = 250.0, 2000.0
    gap = days * math.log(v_b / v_a) / (1 / v_a - 1 / v_b) / 365
    expected = loop_days(gap, v_a, v_b) if days < 1_000_000 else 365000
    assert formula_days(np.array([gap]), np.array([v_a]), np.array([v_b]))[0] == expected


def test_a_zero_gap_takes_no_days() -> None:
    assert loop_days(0.0, 5, 25) == 0
    assert formula_days(np.zeros(1), np.array([5.0]), np.array([25.0]))[0] == 0


def test_a_series_without_its_correction_terms_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: K(s) = s + ln(s)/2 alone (no 1/(6 s), ... terms) miscounts some phases."""
    rng = np.random.default_rng(3)
    gaps = np.exp(rng.uniform(np.log(0.3), np.log(60.0), 400))
    expected = np.array([loop_days(g, 25.0, 250.0) for g in gaps])
    monkeypatch.setattr(euler, "ABEL_COEFFICIENTS", (0.0,))
    coarse = formula_days(gaps, np.full_like(gaps, 25.0), np.full_like(gaps, 250.0))
    assert (coarse != expected).sum() >= 3


@pytest.fixture(scope="module")
def stepped() -> object:
    return solve(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": 2000}))


def test_samples_count_days_and_dates_like_the_public_code(stepped: object) -> None:
    t = stepped.tables["samples"]  # type: ignore[attr-defined]
    v = (5.0, 25.0, 250.0, 2000.0)
    start = np.full(2000, 46477.0)
    for k, (phase, milestone) in enumerate(
        zip(("sc_sar", "sar_siar", "siar_asi"), ("sar", "siar", "asi"), strict=True)
    ):
        gaps, days = t[f"{phase}_gap"][:, 0], t[f"{phase}_days"][:, 0]
        short = np.flatnonzero(gaps * 365 / v[k] < 3e4)  # the loop is slow past that; the cap is tested above
        assert np.array_equal(days[short], [loop_days(gaps[i], v[k], v[k + 1]) for i in short]), phase
        dates = t[f"{milestone}_date"][:, 0]
        expected = [
            start[i] if milestone != "sar" and start[i] >= YEAR_9999 else reference_date(int(start[i]), int(days[i]))
            for i in range(2000)
        ]
        assert np.array_equal(dates, expected), milestone
        assert np.allclose(t[f"{phase}_years"][:, 0], days / 365)
        start = dates
    assert (t["asi_date"][:, 0] == LAST).mean() > 0.05  # the far tail is at 9999-12-31


def test_stepping_zero_keeps_the_closed_form() -> None:
    closed = solve(MODEL, MODEL.resolve(None, {"samples": 300}))
    t = closed.tables["samples"]
    v_a, v_b = 250.0, 2000.0
    g = t["siar_asi_gap"][:, 0]
    tau = g * (1 / v_a - 1 / v_b) / math.log(v_b / v_a)
    assert np.allclose(t["siar_asi_years"][:, 0], tau, rtol=1e-12)


def test_the_median_phase_is_about_a_day_and_a_half_longer(stepped: object) -> None:
    """Start-of-day speed lags the exact solution by about ln(v_B / v_A) / 2 days, and a
    whole-day count adds about half a day: 1.3 to 1.6 days at the median phase."""
    closed = solve(MODEL, MODEL.resolve(None, {"samples": 2000}))
    for phase in ("sc_sar", "sar_siar", "siar_asi"):
        a = stepped.tables["samples"][f"{phase}_days"][:, 0]  # type: ignore[attr-defined]
        b = closed.tables["samples"][f"{phase}_years"][:, 0] * 365.25
        positive = (b > 0) & (a < 1e5)
        assert 1.0 < np.median(a[positive] - b[positive]) < 2.5, phase


@pytest.mark.parametrize(
    "args, words",
    [
        (["--set", "stepping=2"], "stepping"),
        (["--set", "stepping=1", "--set", "multiplier_uncertainty=1"], "stepping: 1"),
        (["--set", "stepping=1", "--set", "compute_growth=1"], "stepping: 1"),
        (["--set", "stepping=1", "--set", "sar_multiplier=5"], "stepping: 1 needs sar_multiplier"),
    ],
)
def test_refused_settings_name_the_parameter(args: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "milestone-takeoff", "--samples", "20", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pysie: error:") and words in err[0], err


@pytest.fixture(scope="module")
def stepped_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stepped") / "stepped.xlsx"
    write_workbook(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": 60, "path_days": 40}), path)
    return path


@pytest.mark.parametrize("engine", ["compiled", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def test_the_stepped_workbook_recalculates_to_the_solver(stepped_book: Path, engine: str) -> None:
    report_ = check_workbook(stepped_book, engine=engine)
    assert report_.ok, report_.summary()


def test_an_edited_day_count_cell_is_named(stepped_book: Path, tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(stepped_book)
    ws = book["Samples"]
    column = next(c.column_letter for c in ws[1] if c.value == "sar_siar_days")
    ws[f"{column}10"] = ws[f"{column}10"].value + "+1"
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    report_ = check_workbook(broken, engine="compiled")
    assert not report_.ok
    assert any(d.sheet == "Samples" and d.variable == "sar_siar_days" for d in report_.differences)


def _reference_module() -> object:
    path = os.environ.get("AI2027_TAKEOFF_CODE")
    if not path or importlib.util.find_spec("pandas") is None:
        pytest.skip("set AI2027_TAKEOFF_CODE to the public code's takeoff/forecasting_takeoff.py (needs pandas 2.2)")
    import matplotlib

    matplotlib.use("Agg")
    spec = importlib.util.spec_from_file_location("forecasting_takeoff", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_public_code_on_the_same_draws_gives_the_same_dates() -> None:
    """Runs the public code's own phase loop and date arithmetic on pysie's gaps."""
    ref = _reference_module()
    n = 400
    t = solve(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": n})).tables["samples"]
    samples = {
        "start_time": dt.datetime(2027, 3, 31),
        "time_gaps": {
            pair: t[col][:, 0] * 365
            for pair, col in (
                ("SC to SAR", "sc_sar_gap"),
                ("SAR to SIAR", "sar_siar_gap"),
                ("SIAR to ASI", "siar_asi_gap"),
            )
        },
        "speeds": {"SC": 5, "SAR": 25, "SIAR": 250, "ASI": 2000},
    }
    origin = dt.datetime(1899, 12, 30)
    for i in range(n):
        dates, _ = ref.run_single_simulation_with_tracking(samples, i)  # type: ignore[attr-defined]
        mine = [t[c][i, 0] for c in ("sar_date", "siar_date", "asi_date")]
        assert [(d - origin).days for d in dates] == mine, i
