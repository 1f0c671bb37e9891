"""milestone-takeoff's gap distributions are :mod:`pysie.distributions` objects: the
forecast's figures typed in here are their numbers, the interval parameters' defaults, and
the Samples sheet's formulas draw from them (a second implementation: each declared
distribution's quantile function applied to the sheet's stored uniforms)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from pysie.distributions import Z90, Lognormal, PointMass
from pysie.models.milestone_takeoff import MODEL
from pysie.solver import solve
from pysie.spec import SampledInput

#: The forecast's distributions, typed in from the AI 2027 takeoff forecast (April 2025):
#: (P10, P90) of each lognormal, and the SC->SAR gap's 15% chance of being zero.
FORECAST = {"sc_sar_gap": (1.5, 10.0), "amr_sar_gap": (1.0, 25.0), "asi_exponent": (0.3, 7.5)}
ZERO_GAP = 0.15
#: The forecast's sigma = ln(U / L) / (2 * 1.2816).
FORECAST_Z = 1.2816


def _draws() -> dict[str, SampledInput]:
    assert MODEL.sampling is not None
    return {d.name: d for d in MODEL.sampling.draws}


def test_the_declared_distributions_are_the_forecasts() -> None:
    draws = _draws()
    assert sorted(draws) == sorted(FORECAST)
    for name, (p10, p90) in FORECAST.items():
        dist = draws[name].dist
        rest = dist.rest if isinstance(dist, PointMass) else dist
        assert isinstance(rest, Lognormal), name
        assert (rest.p10, rest.p90, rest.z) == (p10, p90, FORECAST_Z), name
        assert rest.quantile(float(ndtr(FORECAST_Z))) == pytest.approx(p90, rel=1e-12)  # P90 at z = 1.2816
        assert rest.median == pytest.approx(math.sqrt(p10 * p90), rel=1e-12)  # the geometric mean
    mass = draws["sc_sar_gap"].dist
    assert isinstance(mass, PointMass) and (mass.probability, mass.value) == (ZERO_GAP, 0.0)
    defaults = {p.name: p.default for p in MODEL.parameters}
    assert (defaults["sc_sar_gap_low"], defaults["sc_sar_gap_high"]) == FORECAST["sc_sar_gap"]
    assert (defaults["amr_sar_gap_low"], defaults["amr_sar_gap_high"]) == FORECAST["amr_sar_gap"]
    assert (defaults["asi_exponent_low"], defaults["asi_exponent_high"]) == FORECAST["asi_exponent"]
    assert defaults["sc_sar_zero_probability"] == ZERO_GAP


def _sample_errors(values: dict[str, float], z: float | None = None) -> dict[str, float]:
    """Largest relative difference, per gap, between the Samples sheet's column and the declared
    distribution (with ``values``' numbers; ``z`` replacing its lognormals' z) of the sheet's uniforms."""
    solution = solve(MODEL, MODEL.resolve(None, values))
    t = {name: np.asarray(column[:, 0], dtype=float) for name, column in solution.tables["samples"].items()}
    inputs = {p.name: float(solution.values[p.name][0]) for p in MODEL.parameters}
    dists = {name: d.distribution(inputs) for name, d in _draws().items()}
    if z is not None:
        dists = {
            name: dataclasses.replace(d, rest=dataclasses.replace(d.rest, z=z))  # type: ignore[arg-type]
            if isinstance(d, PointMass)
            else dataclasses.replace(d, z=z)  # type: ignore[call-arg]
            for name, d in dists.items()
        }
    rho = inputs["gap_correlation"]
    # the copula's normal score of SC->SAR, from the two stored uniforms (the spec's z2 = rho z1 + sqrt(1 - rho^2) z)
    z_sc = rho * ndtri(t["u_amr_sar"]) + math.sqrt(1 - rho**2) * ndtri(t["u_sc_sar"])
    sc_sar = dists["sc_sar_gap"]
    assert isinstance(sc_sar, PointMass)
    expected = {
        "amr_sar_gap": dists["amr_sar_gap"].ppf(t["u_amr_sar"]),
        "asi_exponent": dists["asi_exponent"].ppf(t["u_asi_exponent"]),
        "sc_sar_gap": sc_sar.draw(t["u_sc_sar_zero"], ndtr(z_sc)),
    }
    errors = {}
    for name, want in expected.items():
        found = t[name]
        assert np.array_equal(found == 0, want == 0), name  # the zero gaps are the same samples
        nonzero = want != 0
        errors[name] = float(np.max(np.abs(found[nonzero] / want[nonzero] - 1)))
    return errors


@pytest.mark.parametrize(
    "values",
    [
        {},  # the forecast: 2,000 samples, seed 2027
        {"seed": 5, "samples": 700, "amr_sar_gap_low": 2, "amr_sar_gap_high": 40, "sc_sar_zero_probability": 0.4},
        {"seed": 9, "samples": 300, "gap_correlation": -0.3, "asi_exponent_low": 1, "asi_exponent_high": 2},
    ],
)
def test_the_samples_sheet_draws_from_the_declared_distributions(values: dict[str, float]) -> None:
    errors = _sample_errors({"path_days": 30, **values})
    assert max(errors.values()) < 1e-9, errors


def test_the_comparison_sees_an_unrounded_z() -> None:
    """The deliberate break: the same lognormals with z = Phi^-1(0.9) = 1.28155 instead of the
    forecast's 1.2816 differ from the sheet's draws by far more than the tolerance above."""
    errors = _sample_errors({"path_days": 30, "samples": 300}, z=Z90)
    assert min(errors.values()) > 1e-6, errors


def test_a_default_that_is_not_the_declared_distribution_is_refused() -> None:
    assert MODEL.sampling is not None
    draws = tuple(
        dataclasses.replace(d, dist=Lognormal(1, 30, z=FORECAST_Z)) if d.name == "amr_sar_gap" else d
        for d in MODEL.sampling.draws
    )
    broken = dataclasses.replace(MODEL, sampling=dataclasses.replace(MODEL.sampling, draws=draws))
    with pytest.raises(ValueError, match="'amr_sar_gap': the defaults of amr_sar_gap_low, amr_sar_gap_high"):
        broken.validate()
