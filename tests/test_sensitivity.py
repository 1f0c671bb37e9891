"""pysie sensitivity: one at a time and Sobol' indices against closed forms.

Oracles: a linear model Y = a1 X1 + a2 X2 + a3 X3 declared here, with
independent inputs, whose Sobol' indices are known in closed form,
S_i = ST_i = a_i^2 Var(X_i) / sum_j a_j^2 Var(X_j) (Saltelli et al. 2008,
Global Sensitivity Analysis: The Primer, section 4.1), and whose one-at-a-time
swing is a_i (Q_i(0.9) - Q_i(0.1)), the quantiles computed here from the
textbook formulas (the standard library's NormalDist for the normal).
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import NormalDist

import pytest

import pysie
import pysie.api
from pysie import sensitivity
from pysie.cli import main
from pysie.distributions import Normal, Uniform
from pysie.models import get_model
from pysie.scheduler import chunk_map
from pysie.spec import InputError, Model, Parameter, Scalar, Uncertainty

#: (coefficient, distribution, variance, p10, p90) of each input, the moments written out by hand
INPUTS = {
    "in_a": (4.0, Uniform(0, 1), 1 / 12, 0.1, 0.9),
    "in_b": (0.5, Normal(0, 2), 4.0, 2 * NormalDist().inv_cdf(0.1), 2 * NormalDist().inv_cdf(0.9)),
    "in_c": (2.0, Uniform(-1, 3), 16 / 12, -1 + 0.1 * 4, -1 + 0.9 * 4),
}
#: the medians, by hand: (0 + 1) / 2, the normal's mean, (-1 + 3) / 2
MEDIANS = {"in_a": 0.5, "in_b": 0.0, "in_c": 1.0}


def linear_model(coefficients: dict[str, float] | None = None, correlations: dict | None = None) -> Model:
    """Y = sum_i a_i X_i: no tables, unbounded parameters (so no distribution is truncated)."""
    a = {name: spec[0] for name, spec in INPUTS.items()} | (coefficients or {})
    parameters = tuple(Parameter(name, 0.0, "u", name, "test", dist=spec[1]) for name, spec in INPUTS.items())
    y = a["in_a"] * parameters[0].ref + a["in_b"] * parameters[1].ref + a["in_c"] * parameters[2].ref
    return Model(
        "linear",
        "linear test model",
        "",
        (),
        parameters,
        (),
        (),
        (Scalar("y", y, "u", "a1 X1 + a2 X2 + a3 X3", label="Y"),),
        uncertainty=Uncertainty(correlations=correlations or {}),
    ).validate()


def closed_form_indices() -> dict[str, float]:
    parts = {name: a**2 * var for name, (a, _, var, _, _) in INPUTS.items()}
    return {name: part / sum(parts.values()) for name, part in parts.items()}


def closed_form_oat() -> dict[str, tuple[float, float]]:
    """(low, high) of Y with input i at its p10 / p90 and the others at their medians."""
    out = {}
    for name, (a, _, _, p10, p90) in INPUTS.items():
        rest = sum(INPUTS[o][0] * MEDIANS[o] for o in INPUTS if o != name)
        out[name] = (a * p10 + rest, a * p90 + rest)
    return out


def sobol_of(model: Model, samples: int = 1024, seed: int = 0, **kw: object) -> sensitivity.Sobol:
    d, candidates = sensitivity.design(model, samples=samples, seed=seed)
    return sensitivity.sobol(d, candidates, **kw)  # type: ignore[arg-type]


def indices_agree(result: sensitivity.Sobol, expected: dict[str, float], tol: float = 0.01) -> bool:
    return all(
        abs(result.S1[n] - s) < tol and abs(result.ST[n] - s) < tol and abs(result.S1[n] - s) <= result.S1_conf[n]
        for n, s in expected.items()
    )


# --- closed forms -------------------------------------------------------------------------------


def test_sobol_indices_of_a_linear_model_match_the_closed_form() -> None:
    result = sobol_of(linear_model())
    expected = closed_form_indices()
    assert indices_agree(result, expected), (result.S1, result.ST, expected)
    assert result.ranked() == sorted(expected, key=lambda n: -expected[n])
    assert result.evaluations == 1024 * (3 + 2)


def test_a_wrong_coefficient_breaks_the_sobol_check() -> None:
    assert not indices_agree(sobol_of(linear_model({"in_c": 1.0})), closed_form_indices())


def product_model() -> Model:
    """Y = X1 X2, X1 and X2 uniform on [0, 1]: an interaction, so total and first-order indices differ."""
    parameters = tuple(Parameter(n, 0.5, "u", n, "test", dist=Uniform(0, 1)) for n in ("in_p", "in_q"))
    return Model(
        "product",
        "product test model",
        "",
        (),
        parameters,
        (),
        (),
        (Scalar("y", parameters[0].ref * parameters[1].ref, "u", "X1 X2", label="Y"),),
        uncertainty=Uncertainty(),
    ).validate()


def test_sobol_indices_of_a_product_separate_first_order_and_total() -> None:
    """V(Y) = E[X1^2] E[X2^2] - E[X1]^2 E[X2]^2 = 1/9 - 1/16 = 7/144; V(E[Y | X1]) = V(X1) / 4 = 1/48,
    so S1 = 3/7; E[V(Y | X2)] = E[X2^2] V(X1) = 1/36, so ST = 4/7 (each input, by symmetry)."""
    result = sobol_of(product_model(), samples=2048)
    for name in ("in_p", "in_q"):
        assert result.S1[name] == pytest.approx(3 / 7, abs=0.005)
        assert result.ST[name] == pytest.approx(4 / 7, abs=0.005)


def test_oat_of_a_linear_model_is_the_coefficient_times_the_interval() -> None:
    d, _ = sensitivity.design(linear_model())
    result = sensitivity.oat(d)
    expected = closed_form_oat()
    for s in result.swings:
        a, _, _, p10, p90 = INPUTS[s.parameter]
        assert (s.low_value, s.high_value) == pytest.approx((p10, p90), rel=1e-12, abs=1e-12)
        assert (s.low, s.high) == pytest.approx(expected[s.parameter], rel=1e-12, abs=1e-12)
        assert s.high - s.low == pytest.approx(a * (p90 - p10), rel=1e-12)
    assert result.base == pytest.approx(sum(INPUTS[n][0] * MEDIANS[n] for n in INPUTS), abs=1e-12)
    swings = {n: abs(INPUTS[n][0] * (INPUTS[n][4] - INPUTS[n][3])) for n in INPUTS}
    assert [s.parameter for s in result.swings] == sorted(swings, key=lambda n: -swings[n])


def test_a_wrong_coefficient_breaks_the_oat_check() -> None:
    d, _ = sensitivity.design(linear_model({"in_a": 4.5}))
    low = {s.parameter: s.low for s in sensitivity.oat(d).swings}
    assert low["in_a"] != pytest.approx(closed_form_oat()["in_a"][0], rel=1e-6)


def test_the_api_returns_a_row_per_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    model = linear_model()
    monkeypatch.setattr(pysie.api, "get_model", lambda name: model)
    frame = pysie.model("linear").sensitivity()
    assert list(frame.columns) == ["low_value", "high_value", "low", "high", "swing"]
    assert frame.loc["in_c", "swing"] == pytest.approx(2.0 * 3.2, rel=1e-12)
    assert frame.attrs["output"] == "y"
    sobol = pysie.model("linear").sensitivity("sobol", samples=512, seed=3)
    assert set(sobol.columns) == {"S1", "ST", "S1_conf", "ST_conf"}
    assert sobol.attrs["samples"] == 512 and sobol.attrs["seed"] == 3


# --- real models --------------------------------------------------------------------------------


def test_oat_on_software_explosion_ranks_research_returns_first() -> None:
    """Davidson and Houlden find the returns to software R&D the decisive input; the p10 and p90 of
    its loguniform:0.4:3.6 are exp(ln 0.4 + q ln 9)."""
    d, _ = sensitivity.design(get_model("software-explosion"), output="years_of_progress")
    result = sensitivity.oat(d)
    first = result.swings[0]
    assert first.parameter == "research_returns"
    assert (first.low_value, first.high_value) == pytest.approx((0.4 * 9**0.1, 0.4 * 9**0.9), rel=1e-12)
    assert first.high > result.base > first.low  # higher returns: more years of progress


def test_sobol_on_software_explosion_ranks_research_returns_first() -> None:
    d, candidates = sensitivity.design(get_model("software-explosion"), output="hit_3y_in_1y", samples=128, seed=1)
    result = sensitivity.sobol(d, candidates)
    assert result.ranked()[0] == "research_returns"
    assert result.ST["research_returns"] > 0.5


def test_sobol_is_the_same_for_every_chunk_size() -> None:
    d, candidates = sensitivity.design(get_model("software-explosion"), output="years_of_progress", samples=64, seed=5)
    whole = sensitivity.sobol(d, candidates)
    pieces = sensitivity.sobol(d, candidates, chunk=37)
    assert whole.S1 == pieces.S1 and whole.ST == pieces.ST and whole.ST_conf == pieces.ST_conf


def test_sobol_on_a_dask_cluster_equals_the_local_run() -> None:
    pytest.importorskip("dask.distributed")
    d, candidates = sensitivity.design(get_model("software-explosion"), output="years_of_progress", samples=32, seed=2)
    local = sensitivity.sobol(d, candidates, chunk=50)
    with chunk_map("dask") as mapped:
        remote = sensitivity.sobol(d, candidates, chunk=50, map_chunks=mapped)
    assert local.S1 == remote.S1 and local.ST == remote.ST


def test_never_as_counts_the_never_reached_samples_as_that_value() -> None:
    d, candidates = sensitivity.design(get_model("retraining"), samples=64, seed=0)
    with pytest.raises(InputError, match=r"never reached in \d+\.\d% of the 320 samples.*--never-as"):
        sensitivity.sobol(d, candidates)
    result = sensitivity.sobol(d, candidates, never_as=40.0)
    assert result.never > 0 and result.report()["never_as"] == 40.0
    assert result.ranked()[0] == "research_returns"


def test_correlated_inputs_are_refused_for_sobol_but_not_for_oat() -> None:
    model = linear_model(correlations={("in_a", "in_c"): 0.5})
    d, candidates = sensitivity.design(model, samples=64)
    with pytest.raises(InputError, match=r"in_a~in_c=0\.5: Sobol' indices assume independent inputs"):
        sensitivity.sobol(d, candidates)
    assert len(sensitivity.oat(d).swings) == 3


def test_default_output_is_the_first_headline_output_the_scenario_solves() -> None:
    d, _ = sensitivity.design(get_model("software-explosion"))
    assert d.outputs == ("years_of_progress",)
    d, _ = sensitivity.design(get_model("retraining"))
    assert d.outputs == ("no_retraining_months_to_infinity",)


# --- command line -------------------------------------------------------------------------------


def test_cli_oat_json_and_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["sensitivity", "software-explosion", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["model"], out["method"], out["output"]) == ("software-explosion", "oat", "years_of_progress")
    assert set(out["parameters"]["research_returns"]) >= {"low", "high", "low_value", "high_value"}
    plot = tmp_path / "tornado.png"
    assert main(["sensitivity", "software-explosion", "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[3].split()[0] == "research_returns" and "swing" in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_sobol_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sensitivity", "software-explosion", "--method", "sobol", "--samples", "64", "--seed", "4", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["samples"], out["seed"], out["evaluations"]) == (64, 4, 64 * 6)
    assert set(out["parameters"]["limit_years"]) == {"S1", "ST", "S1_conf", "ST_conf"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "morris"], "method: 'morris' is not one of oat, sobol"),
        (["--output", "years_of_progres"], "no Monte Carlo output 'years_of_progres' (did you mean years_of_progress"),
        (["--dist", "research_returns=lognormal:3:1"], "research_returns: lognormal: p10 (3) must be below p90 (1)"),
        (["--method", "sobol", "--samples", "100"], "samples: Sobol' indices need a power of 2"),
        (["--samples", "64"], "--samples: only --method sobol samples"),
        (["--set", "research_returns=-1"], "research_returns"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", "software-explosion", *args]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pysie: error: ") and message in lines[0], captured.err
    assert "Traceback" not in captured.err and not captured.out


def test_never_reached_output_is_refused_naming_the_share_and_never_as(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", "retraining", "--method", "sobol", "--samples", "64", "--json"]) == 2
    error = json.loads(capsys.readouterr().err)["error"]
    assert "no_retraining_months_to_infinity" in error and "% of the 320 samples" in error
    assert "--never-as VALUE" in error


def test_a_model_that_samples_in_its_workbook_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", "milestone-takeoff"]) == 2
    err = capsys.readouterr().err
    assert "draws its samples in its workbook (the Samples sheet)" in err and len(err.strip().splitlines()) == 1


def test_an_existing_plot_is_not_overwritten(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plot = tmp_path / "mine.png"
    plot.write_bytes(b"keep")
    assert main(["sensitivity", "software-explosion", "--plot", str(plot)]) == 2
    assert plot.read_bytes() == b"keep" and not capsys.readouterr().out
