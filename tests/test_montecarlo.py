"""Monte Carlo (``pysie mc``, ``Model.sample``): the summary rule, seeds that
give the same numbers for every chunk size and scheduler, never-reached
samples counted, the paper's headline table within Monte Carlo error, files,
and bad input refused."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import pysie
from pysie import montecarlo
from pysie.cli import main
from pysie.dates import iso_date
from pysie.models import MODELS
from pysie.models import software_explosion as se
from pysie.scheduler import chunk_map
from pysie.solver import solve
from pysie.spec import InputError
from tests.conftest import SMALL

#: Davidson and Houlden (2025), the headline table: P(>= 3 years in <= 1 year) etc.
PAPER = {"hit_3y_in_1y": 0.57, "hit_3y_in_4m": 0.41, "hit_10y_in_1y": 0.18, "hit_10y_in_4m": 0.12}


# --- the summary rule ----------------------------------------------------------------------------


def test_summary_is_excel_percentiles_and_the_mean() -> None:
    x = np.random.default_rng(3).lognormal(size=1001)
    found = montecarlo.summarize(x)
    p10, p50, p90 = np.percentile(x, [10, 50, 90])  # numpy's default "linear" is PERCENTILE.INC
    assert (found["p10"], found["p50"], found["p90"]) == pytest.approx((p10, p50, p90), rel=1e-15)
    assert found["mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert found["never"] == 0


def test_never_reached_samples_are_counted_and_ranked_last() -> None:
    x = np.random.default_rng(4).uniform(size=1000)
    x[::20] = np.nan  # 5% never reached
    found = montecarlo.summarize(x)
    assert found["never"] == pytest.approx(0.05, abs=1e-12)
    # oracle: a never-reached sample is later than every reached one
    stand_in = np.percentile(np.where(np.isnan(x), 1e9, x), [10, 50, 90])
    assert (found["p10"], found["p50"], found["p90"]) == pytest.approx(tuple(stand_in), rel=1e-15)
    assert found["mean"] == pytest.approx(np.nanmean(x), rel=1e-12)
    x[1::20] = x[2::20] = np.inf  # 15% never: p90 falls among them
    found = montecarlo.summarize(x)
    assert found["p90"] is None and found["p50"] is not None
    assert found["never"] == pytest.approx(0.15, abs=1e-12)
    assert montecarlo.summarize(np.full(10, np.nan)) == {
        "p10": None,
        "p50": None,
        "p90": None,
        "mean": None,
        "never": 1.0,
    }


# --- reproducible whatever the chunking or scheduler ---------------------------------------------


def _run(chunk: int, samples: int = 2500, seed: int = 5) -> montecarlo.Result:
    return montecarlo.run(montecarlo.design(se.MODEL, samples, seed), chunk=chunk)


def test_same_seed_same_numbers_for_every_chunk_size() -> None:
    whole = _run(2500)
    for chunk in (700, 1024, 1):
        if chunk == 1:
            part = montecarlo.run(montecarlo.design(se.MODEL, 40, 5), chunk=1)
            for name in whole.design.outputs:
                np.testing.assert_array_equal(part.outputs[name], whole.outputs[name][:40])
            continue
        other = _run(chunk)
        for name in (*whole.design.dists, *whole.design.outputs):
            np.testing.assert_array_equal((other.draws | other.outputs)[name], (whole.draws | whole.outputs)[name])
    assert not np.array_equal(_run(2500, seed=6).outputs["steps"], whole.outputs["steps"])


def test_a_dask_local_cluster_gives_the_same_numbers() -> None:
    pytest.importorskip("distributed")
    design = montecarlo.design(se.MODEL, 1500, 9)
    local = montecarlo.run(design, chunk=500)
    with chunk_map("dask") as mapped:
        assert mapped is not None
        remote = montecarlo.run(design, chunk=400, map_chunks=mapped)
    for name in design.outputs:
        np.testing.assert_array_equal(remote.outputs[name], local.outputs[name])


# --- what is drawn and what is solved ------------------------------------------------------------


def test_draws_follow_the_declared_distributions() -> None:
    result = _run(2500)
    oracles = {
        "initial_speedup": stats.loguniform(2, 32),
        "research_returns": stats.loguniform(0.4, 3.6),
        "limit_years": stats.uniform(6, 10),
        "parallel_returns": stats.loguniform(0.15, 0.6),
    }
    for name, oracle in oracles.items():
        assert stats.kstest(result.draws[name], oracle.cdf).pvalue > 1e-4, name
    # independent draws: rank correlations near 0
    rho = stats.spearmanr(result.draws["initial_speedup"], result.draws["research_returns"]).statistic
    assert abs(rho) < 0.08


def test_each_sample_is_one_run_of_the_scenario_model() -> None:
    result = montecarlo.run(montecarlo.design(se.MODEL, 6, 2, values={"retraining_rule": 2}))
    for i in range(6):
        values = {**se.RUN.defaults(), "retraining_rule": 2, **{k: float(v[i]) for k, v in result.draws.items()}}
        one = solve(se.RUN, se.RUN.resolve(None, values))
        for name in result.design.outputs:
            assert result.outputs[name][i] == one.value(name), (i, name)


def test_the_papers_headline_table_within_monte_carlo_error() -> None:
    summary = pysie.model("software-explosion").sample(20_000, seed=1, outputs=list(PAPER))
    for name, paper in PAPER.items():
        # rounding of the paper's whole percentages + 3 standard errors of two Monte Carlos (20,000 and 10,000)
        allowed = 0.005 + 3 * math.sqrt(paper * (1 - paper) * (1 / 20_000 + 1 / 10_000))
        assert abs(summary.loc[name, "mean"] - paper) <= allowed, (name, summary.loc[name, "mean"])


def test_a_shifted_distribution_is_caught_by_the_headline_check() -> None:
    """Deliberate break: the paper's table is not met with returns drawn from 0.4-1.2."""
    summary = pysie.model("software-explosion").sample(
        5_000, seed=1, outputs=["hit_3y_in_1y"], dists={"research_returns": "loguniform:0.4:1.2"}
    )
    assert abs(summary.loc["hit_3y_in_1y", "mean"] - PAPER["hit_3y_in_1y"]) > 0.1


def test_never_reached_samples_are_counted_not_dropped() -> None:
    """r <= 1 has no explosion (the note): those samples never reach infinity."""
    model = pysie.model("retraining")
    draws = model.sample(
        300,
        seed=2,
        dists={"research_returns": "uniform:0.6:1.6"},
        horizon_days=200,
        outputs=["no_retraining_days_to_infinity"],
        samples=True,
    )
    assert len(draws) == 300
    never = draws["no_retraining_days_to_infinity"].isna()
    assert never[draws["research_returns"] <= 1].all()
    summary = model.sample(
        300,
        seed=2,
        dists={"research_returns": "uniform:0.6:1.6"},
        horizon_days=200,
        outputs=["no_retraining_days_to_infinity"],
    )
    assert summary.loc["no_retraining_days_to_infinity", "never"] == pytest.approx(never.mean())
    assert never.mean() >= (draws["research_returns"] <= 1).mean() > 0.3


def test_held_values_and_fixed_distributions() -> None:
    held = montecarlo.design(MODELS["retraining"], 10, 0, values={"research_returns": 1.7})
    fixed = montecarlo.design(MODELS["retraining"], 10, 0, dists={"research_returns": "fixed:1.7"})
    assert "research_returns" not in held.dists and held.held["research_returns"] == 1.7
    assert fixed.dists == held.dists and fixed.held == held.held
    with pytest.raises(InputError, match="both a distribution and a value"):
        montecarlo.design(
            MODELS["retraining"], 10, 0, values={"research_returns": 1.7}, dists={"research_returns": "fixed:1"}
        )


def test_truncated_to_the_bounds() -> None:
    d = montecarlo.design(MODELS["overhang"], 2000, 1, dists={"software_pool_oom": "normal:92:6"})
    draws = montecarlo.run(d).draws["software_pool_oom"]
    assert draws.max() <= 100 and "truncated" in d.dists["software_pool_oom"].spec


def test_milestone_samples_are_its_workbook_samples() -> None:
    """In-workbook sampling: pysie mc's percentiles are the Summary's PERCENTILE cells."""
    model = MODELS["milestone-takeoff"]
    values = {k: v for k, v in SMALL.items() if k != "samples"}
    result = montecarlo.run(montecarlo.design(model, 60, 4, values=values))
    solved = solve(model, model.resolve(None, {**values, "samples": 60, "seed": 4}))
    summary = result.summary()
    for milestone in ("sar", "siar", "asi"):
        for q in ("p10", "p50", "p90"):
            assert summary[f"{milestone}_date"][q] == iso_date(solved.value(f"{milestone}_date_{q}")), (milestone, q)
    for q in ("p10", "p50", "p90"):
        assert summary["sc_sar_years"][q] == pytest.approx(solved.value(f"sc_sar_years_{q}"), rel=1e-12)


# --- the command line -----------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        status = main(list(args))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out = capsys.readouterr()
    return status, out.out, out.err


def test_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "mc", "software-explosion", "--samples", "300", "--seed", "3", "--json")
    assert status == 0
    report = json.loads(out)
    assert (report["model"], report["samples"], report["seed"]) == ("software-explosion", 300, 3)
    assert set(report["outputs"]) == {o.name for o in se.RUN.outputs}
    for stats_ in report["outputs"].values():
        assert set(stats_) == {"p10", "p50", "p90", "mean", "never"}
    again = pysie.model("software-explosion").sample(300, seed=3)
    assert report["outputs"]["years_of_progress"]["mean"] == again.loc["years_of_progress", "mean"]
    assert "never" in report["rule"]


def test_text_table_and_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    csv, parquet, png = tmp_path / "s.csv", tmp_path / "s.parquet", tmp_path / "cdf.png"
    args = ["mc", "overhang", "--samples", "200", "--seed", "1", "--output", "max_takeoff_speed"]
    status, out, _ = cli(capsys, *args, "-o", str(csv), "--plot", str(png))
    assert status == 0
    assert "max_takeoff_speed" in out and "OOM/year" in out and "never" in out
    table = pd.read_csv(csv)
    assert list(table.columns[:2]) == ["sample", "investment_pool_oom"] and len(table) == 200
    assert pd.read_csv(tmp_path / "s.units.csv").set_index("column").loc["max_takeoff_speed", "unit"] == "OOM/year"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli(capsys, *args, "-o", str(parquet))[0] == 0
    frame = pd.read_parquet(parquet)
    np.testing.assert_allclose(frame["max_takeoff_speed"], table["max_takeoff_speed"], rtol=1e-14)
    before = csv.read_bytes()
    status, _, err = cli(capsys, *args, "-o", str(csv))
    assert status == 2 and "exists" in err and csv.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["retraining", "--dist", "research_returns=lognormal:2:1"], ["research_returns", "p10"]),
        (["retraining", "--dist", "research_return=uniform:1:2"], ["research_return", "did you mean research_returns"]),
        (["retraining", "--dist", "research_returns=beta:1:2"], ["unknown distribution", "lognormal"]),
        (["retraining", "--dist", "retraining_share=uniform:0.5:1.5"], ["retraining_share", "outside its bounds"]),
        (["retraining", "--dist", "research_returns=lognormal:nan:2"], ["research_returns", "finite"]),
        (["retraining", "--dist", "research_returns"], ["--dist takes NAME=SPEC"]),
        (["retraining", "--samples", "3000000"], ["samples", "limit of 2,000,000"]),
        (["retraining", "--samples", "0"], ["--samples"]),
        (["retraining", "--dist", "horizon_days=uniform:300:400"], ["horizon_days", "structural"]),
        (["software-explosion", "--dist", "retraining_rule=uniform:0:2"], ["retraining_rule", "whole numbers"]),
        (["milestone-takeoff", "--dist", "sc_multiplier=uniform:3:5"], ["milestone-takeoff", "not by --dist"]),
        (["milestone-takeoff", "--set", "samples=100"], ["samples", "--samples"]),
        (
            ["retraining", "--set", "research_returns=1.5", "--dist", "research_returns=uniform:1:2"],
            ["research_returns", "both"],
        ),
        (["retraining", "--set", "research_returns=nan"], ["research_returns", "finite"]),
        (
            ["software-explosion", "--dist", "limit_years=uniform:6:20"],
            ["limit_years", "uniform:6:20 reaches", "at most 129"],
        ),
        (["retraining", "--output", "days_to_infinity"], ["no Monte Carlo output", "did you mean"]),
        (["retraining", "--scheduler", "tcp:/x"], ["scheduler"]),
        (["overhang", "-o", "x.txt"], ["x.txt", "X.csv"]),
        (["overhang", "--plot", "x.pdf"], ["--plot", "PNG"]),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    words: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = cli(capsys, "mc", *args)
    assert status == 2, (out, err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("pysie") and "error:" in last and "Traceback" not in err, err
    for word in words:
        assert word in last, (word, last)
    assert not out and not list(tmp_path.iterdir())


def test_json_errors_are_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "mc", "retraining", "--json", "--dist", "research_returns=lognormal:2:1")
    assert status == 2 and "p10" in json.loads(err)["error"]
