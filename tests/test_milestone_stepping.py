"""milestone-takeoff's stepping = 1 (the AI 2027 takeoff forecast's public code's rule)
against a day-by-day loop written here, date arithmetic written here, LibreOffice
(the stepped workbook recalculated), and, when a checkout of that code is given
(``PYSIE_AI2027_DIR``, see docs/reference-code.md), the code itself run on the
same draws. A workbook built with stepping = 0 has none of the day-count columns,
and a stepping cell changed after the build is refused until a rebuild."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import tests.reference_code as rc
from pysie.build import write_workbook
from pysie.cli import main
from pysie.compare import check_workbook
from pysie.models import milestone_stepping as euler
from pysie.models.milestone_takeoff import MODEL
from pysie.solver import solve
from tests.conftest import REPO, shared_file

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
    end = euler.step_end(s0, ratio)
    evens = [1.0 / refined]
    for _ in range(euler.EXPLICIT_STEPS // 2 - 1):
        evens.append(euler.two_steps(evens[-1], end))
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


#: The day-count columns of a workbook built with stepping = 1, as docs/milestone-stepping.md lists them.
DAY_COUNT_COLUMNS = [
    f"{phase}_{k}"
    for phase in ("sc_sar", "sar_siar", "siar_asi")
    for k in ("step_scale", "days_counted", "state", "refined", "w2", "w4", "w6", "w8", "days")
]


def headers(path: Path, sheet: str = "Samples") -> list[str]:
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    return [c for c in next(ws.iter_rows(min_row=1, max_row=1, values_only=True)) if c is not None]


@pytest.fixture(scope="module")
def closed_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("closed") / "closed.xlsx"
    write_workbook(MODEL, MODEL.resolve(None, {"samples": 40, "path_days": 40}), path)
    return path


@pytest.fixture(scope="session")
def stepped_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 samples: phases of one day, a day-count series, the 106751-day limit and the 9999-12-31 hold.
    Built once per run (read only: tests that edit it save a copy)."""
    values = MODEL.resolve(None, {"stepping": 1, "samples": 400, "path_days": 40})
    return shared_file(tmp_path_factory, "milestone-stepped.xlsx", lambda path: write_workbook(MODEL, values, path))


def test_a_stepping_zero_workbook_has_no_day_count_columns(closed_book: Path, stepped_book: Path) -> None:
    """Built with stepping = 0 (the default) the Samples sheet is the closed form's: the
    stepped book's columns without the 27 day counts, in the same order."""
    closed, stepped = headers(closed_book), headers(stepped_book)
    assert not set(DAY_COUNT_COLUMNS) & set(closed)
    assert [c for c in stepped if c not in DAY_COUNT_COLUMNS] == closed
    assert set(DAY_COUNT_COLUMNS) <= set(stepped) and len(stepped) == len(closed) + 27
    committed = REPO / "workbooks" / "milestone-takeoff.xlsx"
    assert not set(DAY_COUNT_COLUMNS) & set(headers(committed))


def test_the_stepped_book_reaches_the_limits(stepped_book: Path) -> None:
    """The 400 samples recalculated below hold the cases the day count has rules for."""
    t = solve(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": 400})).tables["samples"]
    days = np.concatenate([t[f"{p}_days"][:, 0] for p in ("sc_sar", "sar_siar", "siar_asi")])
    assert (days == 1).any() and (days > euler.MAX_TIMEDELTA_DAYS).any() and (days == euler.MAX_PHASE_DAYS).any()
    assert (t["siar_asi_gap"][:, 0] > euler.GAP_CAP).any()  # counted as 1e10 years
    assert (t["asi_date"][:, 0] == LAST).any() and (t["siar_date"][:, 0] == LAST).any()


def test_the_day_count_cells_are_small_and_fit_their_columns() -> None:
    """No cell holds the doubly exponential steps past a phase's end (w held at r / s0), nor
    a step scale of the uncapped gap; and every value fits its column in its format."""
    from pysie.excel.plan import plan_workbook, solve_workbook
    from tests.test_step_sheets import too_wide

    values = MODEL.resolve(None, {"stepping": 1, "samples": 2000, "path_days": 40})
    solved = solve_workbook(MODEL, values)
    t = solved.solution.tables["samples"]
    largest = max(float(np.max(np.abs(t[c][:, 0]))) for c in DAY_COUNT_COLUMNS)
    assert largest < 1e13
    assert (t["siar_asi_gap"][:, 0] > 1e40).any()  # where an uncapped scale would be about 1e39 days
    assert too_wide(plan_workbook(MODEL, solved)) == []


def test_holding_the_steps_at_the_end_point_changes_no_count() -> None:
    """w held at w_end (the cells) against w stepped on without a hold (here)."""
    rng = np.random.default_rng(11)
    v_a = np.exp(rng.uniform(0, 6, 2000))
    v_b = v_a * np.exp(rng.uniform(0.05, 5, 2000))
    gaps = np.exp(rng.uniform(-6, 3, 2000)) * v_a / 10
    s0 = euler.scale(gaps, v_a, v_b)
    ratio = v_b / v_a
    skipped = euler.skipped_days(s0, ratio)
    w = [1.0 / euler.newton_again(euler.newton_start(s0, skipped), s0, skipped)]
    for _ in range(4):
        w.append(euler.step(euler.step(w[-1])))
    unheld = np.asarray(euler.phase_days(gaps, v_a, s0, ratio, skipped, tuple(w)))
    assert np.array_equal(formula_days(gaps, v_a, v_b), unheld)


@pytest.mark.parametrize("gap", [1e10, 3e10, 1e299])
def test_a_gap_past_the_counted_limit_is_at_the_cap(gap: float) -> None:
    """Gaps from 1e10 years are counted as 1e10: past 365000 days even at the largest multipliers."""
    v_a, v_b = 999_999.0, 1e6
    if gap == 1e10:
        assert loop_days(gap, v_a, v_b) == euler.MAX_PHASE_DAYS
    assert formula_days(np.array([gap]), np.array([v_a]), np.array([v_b]))[0] == euler.MAX_PHASE_DAYS


@pytest.mark.parametrize("engine", ["compiled", pytest.param("libreoffice", marks=pytest.mark.libreoffice)])
def test_the_stepped_workbook_recalculates_to_the_solver(
    stepped_book: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(stepped_book), "--engine", engine]) == 0, capsys.readouterr().out


def test_the_stepped_workbook_imports_as_built(stepped_book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["import", str(stepped_book), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["inputs"]["stepping"] == 1
    assert out["edited_formulas"] == [] and out["added"] == [] and out["structural"] == []


def test_an_edited_day_count_cell_is_named(stepped_book: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(stepped_book)
    ws = book["Samples"]
    column = next(c.column_letter for c in ws[1] if c.value == "sar_siar_days")
    ws[f"{column}10"] = ws[f"{column}10"].value + "+1"
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    report_ = check_workbook(broken, engine="compiled")
    assert not report_.ok
    assert any(d.sheet == "Samples" and d.variable == "sar_siar_days" for d in report_.differences)


@pytest.mark.parametrize("built, typed", [(0, 1), (1, 0)])
def test_a_changed_stepping_cell_needs_a_rebuild(
    closed_book: Path, stepped_book: Path, built: int, typed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The columns follow the value the book was built with: import and check refuse the
    changed cell (exit 2, naming it), build --from makes a book of the new shape."""
    source = closed_book if built == 0 else stepped_book
    book = openpyxl.load_workbook(source)
    row = next(r for r in range(1, 60) if book["Inputs"][f"A{r}"].value == "stepping")
    book["Inputs"][f"B{row}"] = typed
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    for command in (["check", str(edited)], ["import", str(edited)]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"stepping (edited.xlsx Inputs!B{row}) is {typed}" in err[0], err
        assert (
            f"built with stepping = {built}" in err[0] and "pysie build milestone-takeoff --from edited.xlsx" in err[0]
        )
    assert main(["build", "milestone-takeoff", "--from", str(edited), "-o", str(tmp_path / "fresh")]) == 0
    capsys.readouterr()
    fresh = tmp_path / "fresh" / "milestone-takeoff.xlsx"
    assert (set(DAY_COUNT_COLUMNS) <= set(headers(fresh))) == (typed == 1)
    assert main(["check", str(fresh)]) == 0


def test_mc_and_the_api_take_stepping(capsys: pytest.CaptureFixture[str]) -> None:
    """pysie mc --set stepping=1 summarises the stepped columns; Model.sample too."""
    import json

    from pysie.api import model

    assert main(["mc", "milestone-takeoff", "--samples", "300", "--set", "stepping=1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    t = solve(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": 300})).tables["samples"]
    whole_days = np.percentile(t["sc_sar_days"][:, 0], 50) / 365
    text = json.dumps(out)
    assert "sc_sar_years" in text
    frame = model("milestone-takeoff").sample(300, stepping=1)
    assert frame.loc["sc_sar_years", "p50"] == pytest.approx(whole_days, rel=1e-12)
    assert frame.loc["sc_sar_years", "p50"] * 365 == pytest.approx(round(frame.loc["sc_sar_years", "p50"] * 365))


def _reference_module() -> object:
    """The public code loaded as tests/reference_code.py loads it (its interface stubbed)."""
    root = rc.directory(None, rc.AI2027_ENV, rc.AI2027_FILE)
    if root is None:
        pytest.skip(f"{rc.AI2027_ENV} is not set: no checkout of the AI 2027 takeoff code to compare with")
    return rc.load_ai2027(root)


@pytest.mark.slow
def test_the_public_code_on_the_same_draws_gives_the_same_days_and_dates() -> None:
    """Runs the public code's own phase loop and date arithmetic on pysie's gaps. Its
    9999-12-31 for a phase past 106751 days is pandas 2's Timedelta limit (the version
    its lock file pins): under a later pandas only dates after phases within it are compared."""
    import pandas as pd

    ref = _reference_module()
    n = 400
    t = solve(MODEL, MODEL.resolve(None, {"stepping": 1, "samples": n})).tables["samples"]
    pairs = (("SC to SAR", "sc_sar"), ("SAR to SIAR", "sar_siar"), ("SIAR to ASI", "siar_asi"))
    samples = {
        "start_time": dt.datetime(2027, 3, 31),
        "time_gaps": {pair: t[f"{phase}_gap"][:, 0] * 365 for pair, phase in pairs},
        "speeds": {"SC": 5, "SAR": 25, "SIAR": 250, "ASI": 2000},
    }
    timedelta_limit = int(pd.__version__.split(".")[0]) < 3
    origin = dt.datetime(1899, 12, 30)
    compared = 0
    for i in range(n):
        dates, days = ref.run_single_simulation_with_tracking(samples, i)  # type: ignore[attr-defined]
        mine = [int(t[f"{phase}_days"][i, 0]) for _, phase in pairs]
        ran = len([d for d in dates if d.year < 9999]) + 1  # phases it stepped (it stops after a 9999 date)
        assert list(days[:ran]) == mine[:ran], i
        if timedelta_limit or max(mine) <= euler.MAX_TIMEDELTA_DAYS:
            assert [(d - origin).days for d in dates] == [t[c][i, 0] for c in ("sar_date", "siar_date", "asi_date")], i
            compared += 1
    assert compared > n / 2
