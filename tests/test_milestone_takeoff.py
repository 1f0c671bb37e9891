"""The milestone takeoff model against oracles typed in here: the closed form of
a phase, the spec's point gaps, the copula's correlation, the lognormal's 80%
interval; and its workbook against the formulas package and LibreOffice."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from scipy.stats import pearsonr, spearmanr

from pysie.build import write_workbook
from pysie.cli import main
from pysie.compare import check_workbook
from pysie.dates import AFTER_LAST_DATE
from pysie.excel.plan import solve_workbook
from pysie.models import milestone_takeoff as mt
from pysie.models.milestone_takeoff import MODEL
from pysie.report import iso_date, report
from pysie.solver import solve
from tests.conftest import SMALL

DAYS = 365.25
MULTIPLIERS = (5.0, 25.0, 250.0, 2000.0)


def closed_form_years(gap: float, v_a: float, v_b: float) -> float:
    """Typed in from the spec: G (1/v_A - 1/v_B) / ln(v_B / v_A)."""
    return gap * (1 / v_a - 1 / v_b) / math.log(v_b / v_a)


def run(**overrides: float) -> tuple[dict, object]:
    solution = solve(MODEL, MODEL.resolve(None, overrides))
    return report(solution), solution


@pytest.fixture(scope="module")
def default_run() -> tuple[dict, object]:
    return run()


def test_point_gaps_follow_the_spec(default_run: tuple[dict, object]) -> None:
    _, s = default_run
    assert s.value("point_sc_sar_gap") == pytest.approx(math.sqrt(1.5 * 10), rel=1e-12)  # ~3.87
    x = 10 + 5  # AMR->SAR at its median of 5 years
    assert s.value("point_sar_siar_gap") == pytest.approx(x * (x / 10) ** 2 - x, rel=1e-12)
    x2, j = x + (x * (x / 10) ** 2 - x), math.sqrt(0.3 * 7.5)
    assert s.value("point_siar_asi_gap") == pytest.approx(x2 * (x2 / x) ** j - x2, rel=1e-12)


def test_day_by_day_path_agrees_with_closed_form_within_a_day(default_run: tuple[dict, object]) -> None:
    result, s = default_run
    gaps = [s.value("point_sc_sar_gap"), s.value("point_sar_siar_gap"), s.value("point_siar_asi_gap")]
    days = [0.0] + [result["path_days"][m] for m in ("SAR", "SIAR", "ASI")]
    for k, gap in enumerate(gaps):
        expected = closed_form_years(gap, MULTIPLIERS[k], MULTIPLIERS[k + 1]) * DAYS
        assert days[k + 1] - days[k] == pytest.approx(expected, abs=1.0), mt.PHASES[k]
    # and the solver's closed form is the typed one
    assert result["point_phase_years"]["SC->SAR"] == pytest.approx(closed_form_years(gaps[0], 5, 25), rel=1e-12)


def test_compute_growth_closed_form_and_path_agree() -> None:
    result, s = run(compute_growth=1, compute_growth_per_year=3)
    g = math.log(3)
    tau = closed_form_years(s.value("point_sc_sar_gap"), 5, 25)
    assert result["point_phase_years"]["SC->SAR"] == pytest.approx(math.log(1 + g * tau) / g, rel=1e-12)
    for name in ("path_sc_sar_error_days", "path_sar_siar_error_days", "path_siar_asi_error_days"):
        assert abs(s.value(name)) < 1.0, name


def test_collapsed_distributions_reproduce_the_single_path() -> None:
    collapsed = {
        "sc_sar_gap_low": 3.0, "sc_sar_gap_high": 3.0, "amr_sar_gap_low": 5.0, "amr_sar_gap_high": 5.0,
        "asi_exponent_low": 1.5, "asi_exponent_high": 1.5, "sc_sar_zero_probability": 0.0, "samples": 50,
    }  # fmt: skip
    result, s = run(**collapsed)
    for m in ("SAR", "SIAR", "ASI"):
        dates = s.tables["samples"][f"{m.lower()}_date"][:, 0]
        assert np.ptp(dates) == pytest.approx(0.0, abs=1e-6)
        assert dates[0] == pytest.approx(s.value(f"point_{m.lower()}_date"), rel=1e-12)
        assert dates[0] - s.value("sc_date") == pytest.approx(result["path_days"][m], abs=1.0)
        assert set(result["percentiles"][m].values()) == {result["point"][m]}


def test_same_seed_same_numbers_and_the_workbook_stores_them(tmp_path: Path) -> None:
    a, b, c = (solve(MODEL, MODEL.resolve(None, {"samples": 300, "seed": seed})) for seed in (11, 11, 12))
    assert np.array_equal(a.tables["samples"]["asi_date"], b.tables["samples"]["asi_date"])
    assert not np.allclose(a.tables["samples"]["u_amr_sar"], c.tables["samples"]["u_amr_sar"])
    assert report(a)["percentiles"] != report(c)["percentiles"]
    expected = np.random.default_rng(11).integers(1, 10**15, size=(300, 8))[:, 0]
    assert np.array_equal(a.tables["samples"]["u_amr_sar"][:, 0], expected / 1e15)
    path = tmp_path / "seeded.xlsx"
    write_workbook(MODEL, MODEL.resolve(None, {"samples": 300, "seed": 11, "path_days": 30}), path)
    ws = openpyxl.load_workbook(path)["Samples"]
    column = [c.value for c in next(ws.iter_cols(min_col=2, max_col=2, min_row=3))]
    assert ws["B1"].value == "u_amr_sar" and all(isinstance(v, float) for v in column)  # values, not formulas
    assert np.array_equal(np.array(column), a.tables["samples"]["u_amr_sar"][:, 0])


def test_copula_correlation(default_run: tuple[dict, object]) -> None:
    _, s = run(samples=20000)
    t = s.tables["samples"]
    assert pearsonr(t["z_amr_sar"][:, 0], t["z_sc_sar"][:, 0])[0] == pytest.approx(0.8, abs=0.02)
    nonzero = t["sc_sar_gap"][:, 0] > 0
    assert 1 - nonzero.mean() == pytest.approx(0.15, abs=0.01)
    rho_s = spearmanr(t["sc_sar_gap"][nonzero, 0], t["amr_sar_gap"][nonzero, 0])[0]
    assert rho_s == pytest.approx(6 / math.pi * math.asin(0.8 / 2), abs=0.02)  # Spearman of a Gaussian copula: ~0.786


@pytest.mark.parametrize("low, high", [(1.5, 10.0), (1.0, 25.0), (0.3, 7.5)])
def test_lognormal_80_percent_interval(low: float, high: float) -> None:
    mu, sigma = mt.lognormal_mu(low, high), mt.lognormal_sigma(low, high)
    assert mu == pytest.approx((math.log(low) + math.log(high)) / 2)
    z = np.random.default_rng(1).standard_normal(100_000)
    draws = np.exp(mu + sigma * z)
    assert np.percentile(draws, 10) == pytest.approx(low, rel=0.02)
    assert np.percentile(draws, 90) == pytest.approx(high, rel=0.02)


def test_percentile_and_norm_s_inv_primitives() -> None:
    from pysie.primitives import norm_s_inv, percentile

    column = np.array([[3.0, 1.0, 4.0, 1.0, 5.0]])  # sorted 1 1 3 4 5; k=0.3 -> position 1.2 -> 1 + 0.2*2
    assert percentile(column, 0.3)[0] == pytest.approx(1.4)
    assert math.isnan(percentile(column, 1.5)[0]) and math.isnan(norm_s_inv(0.0))
    assert float(norm_s_inv(0.975)) == pytest.approx(1.959963984540054, rel=1e-14)


def test_huge_exponent_is_beyond_9999_not_inf() -> None:
    result, s = run(asi_exponent_low=500, asi_exponent_high=500, samples=20)
    assert np.isfinite(s.tables["samples"]["asi_date"]).all()
    assert result["point"]["ASI"] == AFTER_LAST_DATE
    assert result["percentiles"]["ASI"]["p50"] == AFTER_LAST_DATE
    assert result["phase_years"]["SIAR->ASI"]["p50"] == AFTER_LAST_DATE
    assert "inf" not in json.dumps(result, allow_nan=False).lower()


def test_run_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "milestone-takeoff", "--samples", "500", "--seed", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "milestone-takeoff" and result["samples"] == 500 and result["seed"] == 3
    assert set(result["point"]) == set(result["percentiles"]) == {"SAR", "SIAR", "ASI"}
    assert set(result["phase_years"]) == {"SC->SAR", "SAR->SIAR", "SIAR->ASI"}
    for qs in [*result["percentiles"].values(), *result["phase_years"].values()]:
        assert set(qs) == {"p10", "p50", "p90"}
    assert (
        result["percentiles"]["SAR"]["p10"]
        <= result["percentiles"]["SAR"]["p50"]
        <= result["percentiles"]["SAR"]["p90"]
    )
    assert result["parameters"]["sc_multiplier"] == 5


def test_bad_interval_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="amr_sar_gap_low"):
        MODEL.resolve(None, {"amr_sar_gap_low": 30})
    assert main(["run", "milestone-takeoff", "--seed", "-1"]) == 2


def test_sensitivity_moves_the_dates_the_right_way() -> None:
    (snapshot,) = MODEL.snapshots
    # the point path's dates do not depend on the number of samples
    solution = solve_workbook(MODEL, MODEL.resolve(None, {"samples": 50})).snapshots[snapshot.sheet]
    row = {label: i for i, (label, _) in enumerate(snapshot.rows)}
    value = lambda name, label: solution.value(name, row[label])  # noqa: E731
    assert value("point_sc_sar_years", "SC multiplier 3 (instead of 5)") == pytest.approx(
        closed_form_years(math.sqrt(15), 3, 25), rel=1e-12
    )
    assert value("point_sc_sar_gap", "SC->SAR gap at its 90th percentile (10 y)") == pytest.approx(10)
    later = iso_date(value("point_asi_date", "J at its 90th percentile (7.5)"))
    assert later is not None and later > str(iso_date(value("point_asi_date", "the inputs listed below, unchanged")))


@pytest.fixture
def small_book(small_milestone_book: Path) -> Path:
    """The session's milestone workbook at SMALL size (tests copy it before editing)."""
    return small_milestone_book


@pytest.mark.slow
def test_formulas_engine_agrees_on_a_small_workbook(tmp_path: Path) -> None:
    """SMALL's path (every milestone reached) with 20 samples: the formulas package
    spends ~6 ms of CPU per formula cell, and 20 samples hold every sample formula."""
    book = tmp_path / "milestone-20.xlsx"
    write_workbook(MODEL, MODEL.resolve(None, {**SMALL, "samples": 20}), book, template="milestone-takeoff")
    report_ = check_workbook(book, engine="formulas")
    assert report_.ok, report_.summary()
    assert report_.compared > 1000, report_.summary()


@pytest.mark.libreoffice
def test_a_broken_sample_cell_is_named(small_book: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    shutil.copy(small_book, broken)
    book = openpyxl.load_workbook(broken)
    ws = book["Samples"]
    assert ws["J40"].value.startswith("=") and ws["J1"].value == "z_amr_sar"
    ws["J40"] = ws["J40"].value + "*1.001"
    book.save(broken)
    report_ = check_workbook(broken, engine="libreoffice")
    assert not report_.ok
    first = next(d for d in report_.differences if d.sheet == "Samples")  # later columns of row 37 follow it
    assert (first.sheet, first.cell, first.variable, first.row) == ("Samples", "J40", "z_amr_sar", 37)
    assert "Samples!J40" in report_.summary(limit=1000)


def test_the_sensitivity_changes_are_valid_whatever_the_inputs() -> None:
    """Each one-at-a-time change sets both ends of its interval, so inputs with a
    narrow interval of their own (SC->SAR 90th percentile 2 years, below the 10
    years of one change) still build; that change's row is the 10-year point."""
    from pysie.excel.plan import solve_workbook

    values = MODEL.resolve(None, {"samples": 20, "path_days": 40, "sc_sar_gap_high": 2})
    solved = solve_workbook(MODEL, values)
    ((sheet, rows),) = ((s.sheet, s.rows) for s in MODEL.snapshots)
    row = next(i for i, (label, _) in enumerate(rows) if "90th percentile (10 y)" in label)
    alone = solve(MODEL, MODEL.resolve(None, {**values, "sc_sar_gap_low": 10, "sc_sar_gap_high": 10}))
    assert solved.snapshots[sheet].value("point_sar_date", row) == alone.value("point_sar_date")
