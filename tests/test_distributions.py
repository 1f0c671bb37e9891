"""Distributions against scipy.stats, the copula's rank correlations, seeds
reproducible across chunk sizes, and bad specifications refused."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import stats

from pysie import distributions as d
from pysie.distributions import (
    Fixed,
    GaussianCopula,
    Lognormal,
    LogUniform,
    Normal,
    PointMass,
    Truncated,
    Uniform,
    bounded,
    parse_spec,
    sample,
    sample_range,
)
from pysie.spec import InputError, Parameter

U = np.array([1e-9, 0.001, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.999, 1 - 1e-9])

# each distribution and scipy's own version of it, parameterised independently
ORACLES = [
    # lognormal by its 10th / 90th percentiles: scipy's lognorm(s=sigma, scale=e^mu)
    (
        Lognormal(1.5, 10),
        stats.lognorm(s=(math.log(10) - math.log(1.5)) / (2 * stats.norm.ppf(0.9)), scale=math.sqrt(1.5 * 10)),
    ),
    (LogUniform(0.5, 1.4), stats.loguniform(0.5, 1.4)),
    (Uniform(-2, 3), stats.uniform(loc=-2, scale=5)),
    (Normal(5, 2), stats.norm(loc=5, scale=2)),
]


@pytest.mark.parametrize(("dist", "oracle"), ORACLES, ids=lambda x: getattr(x, "spec", ""))
def test_quantiles_match_scipy(dist: d.Distribution, oracle: stats.rv_continuous) -> None:
    np.testing.assert_allclose(dist.ppf(U), oracle.ppf(U), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dist.cdf(oracle.ppf(U)), U, rtol=1e-9, atol=1e-15)
    assert dist.median == pytest.approx(oracle.median(), rel=1e-12)
    assert dist.p10 == pytest.approx(oracle.ppf(0.1), rel=1e-12)
    assert dist.p90 == pytest.approx(oracle.ppf(0.9), rel=1e-12)


def test_lognormal_keeps_its_declared_percentiles() -> None:
    dist = Lognormal(2, 10, source="the note: very roughly 5; as low as 2, or higher than 10")
    assert (dist.p10, dist.p90) == (2, 10)
    assert dist.quantile(0.1) == pytest.approx(2, rel=1e-12)
    assert dist.quantile(0.9) == pytest.approx(10, rel=1e-12)
    assert dist.median == pytest.approx(math.sqrt(20), rel=1e-12)
    assert dist.source.startswith("the note")


def test_a_lognormal_with_a_rounded_z_puts_its_percentiles_there() -> None:
    """AI 2027's takeoff forecast: sigma = ln(U / L) / (2 * 1.2816). Oracle: scipy's lognormal of
    that sigma and mu = (ln L + ln U) / 2, typed in from the forecast's formula."""
    dist = Lognormal(1, 25, z=1.2816)
    oracle = stats.lognorm(s=math.log(25) / (2 * 1.2816), scale=math.sqrt(25))
    np.testing.assert_allclose(dist.ppf(U), oracle.ppf(U), rtol=1e-12)
    assert dist.quantile(float(stats.norm.cdf(1.2816))) == pytest.approx(25, rel=1e-12)
    assert dist.quantile(0.9) != pytest.approx(25, rel=1e-6)  # not quite its p90: z is rounded
    assert dist.spec == "lognormal:1:25 (p10 and p90 at z = 1.2816)"
    with pytest.raises(InputError, match="has no text form"):
        d.kind_of(dist)  # parse_spec could not make it again
    assert d.shape_of(dist) == ("lognormal", ("P10", "P90"), (1.0, 25.0))
    assert d.with_numbers(dist, (2.0, 30.0)) == Lognormal(2, 30, z=1.2816)
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(InputError, match="lognormal: z"):
            Lognormal(1, 25, z=bad)


def test_a_point_mass_drawn_from_two_uniforms() -> None:
    """``draw(u_mass, u_rest)``: the value where u_mass < p, else the rest's quantile of u_rest;
    the same mixture as ``ppf`` (Kolmogorov-Smirnov against the mixture's cdf)."""
    rest = Lognormal(1.5, 10, z=1.2816)
    dist = PointMass(0.15, 0.0, rest)
    u_mass = np.array([0.0, 0.1499, 0.15, 0.9])
    u_rest = np.array([0.5, 0.9, 0.5, 0.1])
    expected = [0.0, 0.0, math.sqrt(15), float(rest.ppf(np.array([0.1]))[0])]
    np.testing.assert_allclose(dist.draw(u_mass, u_rest), expected, rtol=1e-12)
    rng = np.random.default_rng(4)
    draws = dist.draw(rng.random(20_000), rng.random(20_000))
    assert np.mean(draws == 0) == pytest.approx(0.15, abs=4 * math.sqrt(0.15 * 0.85 / 20_000))
    assert stats.kstest(draws[draws > 0], lambda x: rest.cdf(x)).pvalue > 1e-3


def test_fixed() -> None:
    assert np.all(Fixed(3.5).ppf(U) == 3.5)
    assert Fixed(3.5).median == Fixed(3.5).p10 == Fixed(3.5).p90 == 3.5


def test_point_mass_is_the_mixture_quantile() -> None:
    """AI 2027: the SC->SAR gap is 0 with probability 0.15, else LN[1.5, 10].
    Oracle: the mixture's quantile found by inverting its cdf numerically."""
    rest = Lognormal(1.5, 10)
    oracle = stats.lognorm(s=rest.sigma, scale=math.exp(rest.mu))
    dist = PointMass(0.15, 0.0, rest)
    u = np.array([0.01, 0.1, 0.149, 0.151, 0.3, 0.5, 0.9])
    expected = np.where(u < 0.15, 0.0, oracle.ppf(np.clip((u - 0.15) / 0.85, 1e-300, 1)))
    np.testing.assert_allclose(dist.ppf(u), expected, rtol=1e-12)
    draws = sample({"gap": dist}, 20_000, seed=3)["gap"]
    assert np.mean(draws == 0) == pytest.approx(0.15, abs=4 * math.sqrt(0.15 * 0.85 / 20_000))


def test_point_mass_inside_the_support_stays_monotone() -> None:
    dist = PointMass(0.3, 0.0, Uniform(-1, 1))
    u = np.linspace(0.001, 0.999, 999)
    x = dist.ppf(u)
    assert np.all(np.diff(x) >= 0)
    # cdf of the mixture: 0.7 * (x + 1) / 2 below 0, plus 0.3 from 0 on
    assert np.mean(x < 0) == pytest.approx(0.35, abs=0.002)
    assert np.mean(x == 0) == pytest.approx(0.3, abs=0.002)


def test_copula_rank_correlations_within_sampling_error() -> None:
    n = 20_000
    target = {("a", "b"): 0.8, ("a", "c"): -0.4}
    dists = {"a": Lognormal(1, 25), "b": Uniform(0, 1), "c": Normal(0, 3), "e": LogUniform(1, 100)}
    draws = sample(dists, n, seed=11, copula=GaussianCopula(target))
    rho = stats.spearmanr(np.column_stack([draws[k] for k in "abce"])).statistic
    # the standard error of a Spearman estimate is about (1 - rho^2) / sqrt(n); allow 5 of them
    for (x, y), expected in {**target, ("b", "c"): 0.0, ("a", "e"): 0.0}.items():  # pairs not given: 0
        i, j = "abce".index(x), "abce".index(y)
        assert rho[i, j] == pytest.approx(expected, abs=5 * (1 - expected**2) / math.sqrt(n))


def test_pearson_from_spearman() -> None:
    matrix = GaussianCopula({("x", "y"): 0.5}).pearson_matrix(("x", "y"))
    assert matrix[0, 1] == pytest.approx(2 * math.sin(math.pi * 0.5 / 6))
    # the inverse relation (Kruskal): rho_s = 6/pi asin(rho_p / 2)
    assert 6 / math.pi * math.asin(matrix[0, 1] / 2) == pytest.approx(0.5)


def test_bad_correlations_refused() -> None:
    names = ("x", "y", "z")
    with pytest.raises(InputError, match="'w' has no distribution"):
        GaussianCopula({("x", "w"): 0.5}).cholesky(names)
    with pytest.raises(InputError, match=r"x~y.*\[-1, 1\]"):
        GaussianCopula({("x", "y"): 1.5}).cholesky(names)
    with pytest.raises(InputError, match="not positive definite"):
        GaussianCopula({("x", "y"): 0.9, ("y", "z"): 0.9, ("x", "z"): -0.9}).cholesky(names)


@pytest.mark.parametrize("correlated", [False, True])
def test_same_seed_same_numbers_whatever_the_chunking(correlated: bool) -> None:
    dists = {"a": Lognormal(1, 25), "b": PointMass(0.15, 0, Lognormal(1.5, 10)), "c": Uniform(0, 2)}
    copula = GaussianCopula({("a", "b"): 0.8}) if correlated else None
    n = 2_537  # not a multiple of any chunk or of the random block
    runs = [sample(dists, n, seed=42, chunk=chunk, copula=copula) for chunk in (100, 1000, n, 1)]
    for run in runs[1:]:
        for name in dists:
            assert np.array_equal(run[name], runs[0][name])
    # any slice drawn on its own (as a worker would) is the same slice
    piece = sample_range(dists, 1500, 2100, seed=42, copula=copula)
    for name in dists:
        assert np.array_equal(piece[name], runs[0][name][1500:2100])
    other = sample(dists, n, seed=43, copula=copula)
    assert not np.array_equal(other["a"], runs[0]["a"])


def test_samples_follow_their_marginals() -> None:
    """A Kolmogorov-Smirnov test of the drawn lognormal against scipy's."""
    dist = Lognormal(0.5, 1.4)
    draws = sample({"x": dist}, 5_000, seed=7)["x"]
    oracle = stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))
    assert stats.kstest(draws, oracle.cdf).pvalue > 1e-3


def test_a_deliberately_wrong_oracle_is_caught() -> None:
    """The comparison layer can fail: a lognormal read as if p10/p90 were a 90% interval."""
    dist = Lognormal(1.5, 10)
    wrong = stats.lognorm(s=(math.log(10) - math.log(1.5)) / (2 * stats.norm.ppf(0.95)), scale=math.sqrt(15))
    assert not np.allclose(dist.ppf(U), wrong.ppf(U), rtol=1e-6)


# --- text specifications ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lognormal:2:10", Lognormal(2, 10)),
        ("loguniform:0.5:1.4", LogUniform(0.5, 1.4)),
        ("uniform:30:100", Uniform(30, 100)),
        ("normal:5:1e-1", Normal(5, 0.1)),
        ("fixed:7", Fixed(7)),
        (" Lognormal:2:10 ", Lognormal(2, 10)),
    ],
)
def test_parse_spec(text: str, expected: d.Distribution) -> None:
    assert parse_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lognormal:10:2", r"research_returns: lognormal: p10 \(10\) must be below p90 \(2\)"),
        ("lognormal:5:5", r"p10 \(5\) must be below p90"),
        ("lognormal:0:5", "p10 must be above 0"),
        ("uniform:3:1", r"lo \(3\) must be below hi \(1\)"),
        ("normal:1:-2", "sd must be above 0"),
        ("loguniform:-1:2", "lo must be above 0"),
        ("gamma:1:2", "unknown distribution 'gamma'.*known: lognormal"),
        ("lognormal:1", r"needs 2 number\(s\).*lognormal:P10:P90"),
        ("fixed:1:2", r"needs 1 number\(s\)"),
        ("uniform:a:2", "LO in 'uniform:a:2' is not a number: 'a'"),
        ("normal:nan:1", "MEAN .* must be finite"),
        ("", "unknown distribution ''"),
    ],
)
def test_bad_specs_refused_naming_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_spec(text, name="research_returns")
    assert str(caught.value).startswith("research_returns: ")
    assert "\n" not in str(caught.value)


# --- bounds -------------------------------------------------------------------

R = Parameter("research_returns", 1.5, "", "", "", lower=0, lower_open=True, upper=20)
SHARE = Parameter("retraining_share", 0.5, "", "", "", lower=0, upper=1)


def test_inside_the_bounds_unchanged() -> None:
    assert bounded(Uniform(1, 3), R) == Uniform(1, 3)
    assert bounded(Uniform(0, 1), SHARE) == Uniform(0, 1)  # closed bounds may be reached
    assert bounded(Fixed(20), R) == Fixed(20)


def test_tail_truncated_to_the_bounds() -> None:
    """Oracle: scipy's truncated normal on [0, 1]."""
    dist = bounded(Normal(0.5, 0.3), SHARE)
    assert isinstance(dist, Truncated)
    a, b = (0 - 0.5) / 0.3, (1 - 0.5) / 0.3
    oracle = stats.truncnorm(a, b, loc=0.5, scale=0.3)
    np.testing.assert_allclose(dist.ppf(U[1:-1]), oracle.ppf(U[1:-1]), rtol=1e-9)
    draws = sample({"s": dist}, 5_000, seed=1)["s"]
    assert draws.min() >= 0 and draws.max() <= 1


def test_open_bound_never_drawn() -> None:
    dist = bounded(Uniform(0, 2), R)  # research_returns > 0: the edge 0 is kept off
    assert dist.ppf(np.array([0.0]))[0] > 0
    lognormal = bounded(Lognormal(1, 3), R)  # support (0, inf): only the upper tail beyond 20 is cut
    assert lognormal.ppf(np.array([1 - 1e-15]))[0] <= 20
    assert lognormal.median == pytest.approx(math.sqrt(3), rel=1e-6)


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        (Uniform(-1, 2), r"research_returns: uniform:-1:2 reaches outside its bounds \(0, 20\]"),
        (Uniform(0.5, 1.5), "retraining_share: uniform:0.5:1.5 reaches outside"),
        (Fixed(0), r"research_returns: fixed:0 is outside its bounds \(0, 20\]"),
        (Normal(-5, 1), r"research_returns: normal:-5:1 has its p10 .* outside"),
        (Lognormal(5, 30), r"research_returns: lognormal:5:30 has its p10 \(5\) or p90 \(30\)"),
        (PointMass(0.1, 0.0, Lognormal(1, 3)), "research_returns: .* puts mass at 0, outside"),
    ],
)
def test_outside_the_bounds_refused(dist: d.Distribution, message: str) -> None:
    parameter = SHARE if "retraining_share" in message else R
    with pytest.raises(InputError, match=message):
        bounded(dist, parameter)


@pytest.mark.parametrize(("n", "seed"), [(0, 1), (d.MAX_SAMPLES + 1, 1), (1.5, 1), (10, -1), (True, 1)])
def test_bad_counts_refused(n: object, seed: object) -> None:
    with pytest.raises(InputError, match=r"^(samples|seed): "):
        sample({"x": Uniform(0, 1)}, n, seed)  # type: ignore[arg-type]


def test_docstring_example_runs() -> None:
    failures, _ = doctest.testmod(d, verbose=False)
    assert failures == 0


def test_the_90th_percentile_constant_is_scipys() -> None:
    from scipy.special import ndtri

    from pysie.distributions import Z90

    assert float(ndtri(0.9)) == Z90


def test_starting_the_command_line_imports_no_scipy() -> None:
    """scipy costs a third of a second to import: every command that does not
    sample or invert a normal starts without it."""
    import subprocess
    import sys

    code = "import sys, pysie.cli, pysie.compare, pysie.importer; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: the same float64 bits (NaN of any payload counts as NaN)."""
    return (a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))


NDTR_EDGES = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, math.sqrt(2), -math.sqrt(2), np.nextafter(math.sqrt(2), 0), 8 * math.sqrt(2),
     -8 * math.sqrt(2), np.nextafter(8 * math.sqrt(2), 0), 37.5, -37.5, 37.6, -37.6, 38.0, -38.0, 1e300, -1e300,
     5e-324, -5e-324, 1e-300]
)  # fmt: skip


def test_ndtr_is_scipys_bit_for_bit() -> None:
    """pysie's own Phi (no scipy import) gives scipy.special.ndtr's bits: normal scores as the
    draws use them, both sides of every branch (|z| = sqrt 2, 8 sqrt 2, the underflow near 37.5)."""
    from scipy.special import ndtr as scipy_ndtr

    rng = np.random.default_rng(7)
    for z in (
        rng.standard_normal(1_000_000),
        rng.uniform(-40.0, 40.0, 200_000),
        rng.uniform(-1.5, 1.5, 200_000),
        NDTR_EDGES,
    ):
        ours, theirs = d.ndtr(z), scipy_ndtr(z)
        bad = ~_same_bits(ours, theirs)
        assert not bad.any(), (z[bad][:5], ours[bad][:5], theirs[bad][:5])
    assert float(d.ndtr(0.5)) == float(scipy_ndtr(0.5))


#: probabilities at and around every branch of ndtri: 0 and 1, exp(-2) and 1 - exp(-2), where
#: sqrt(-2 ln y) is 8 (y = exp(-32)), the smallest numbers, and outside [0, 1]
NDTRI_EDGES = np.array(
    [0.0, -0.0, 1.0, 0.5, np.nan, -1.0, 2.0, np.inf, math.exp(-2), np.nextafter(math.exp(-2), 1),
     np.nextafter(math.exp(-2), 0), 1 - math.exp(-2), np.nextafter(1 - math.exp(-2), 1), math.exp(-32),
     np.nextafter(math.exp(-32), 1), np.nextafter(math.exp(-32), 0), 5e-324, 1e-300, np.nextafter(1.0, 0), 0.9]
)  # fmt: skip


def test_ndtri_is_scipys_bit_for_bit() -> None:
    """pysie's own Phi^-1 (no scipy import) gives scipy.special.ndtri's bits: uniform draws as the
    quantile functions take them, tails down to the smallest numbers, and each branch's edges."""
    from scipy.special import ndtri as scipy_ndtri

    rng = np.random.default_rng(9)
    for p in (
        rng.uniform(0.0, 1.0, 1_000_000),
        10.0 ** rng.uniform(-320.0, 0.0, 200_000),
        1.0 - 10.0 ** rng.uniform(-16.0, 0.0, 200_000),
        NDTRI_EDGES,
    ):
        with np.errstate(invalid="ignore"):
            ours, theirs = d.ndtri(p), scipy_ndtri(p)
        bad = ~_same_bits(ours, theirs)
        assert not bad.any(), (p[bad][:5], ours[bad][:5], theirs[bad][:5])
    assert float(d.ndtri(0.9)) == float(scipy_ndtri(0.9))


@pytest.mark.parametrize(("ours", "theirs"), [("ndtr", "ndtr"), ("ndtri", "ndtri")])
def test_the_comparisons_with_scipy_can_fail(ours: str, theirs: str) -> None:
    """One ulp off in one element is caught by the comparisons above."""
    from scipy import special

    x = np.random.default_rng(8).uniform(0.001, 0.999, 1000)
    broken = getattr(d, ours)(x)
    broken[17] = np.nextafter(broken[17], 1.0)
    assert (~_same_bits(broken, getattr(special, theirs)(x))).sum() == 1


@pytest.mark.parametrize(
    "code",
    [
        "from pysie.distributions import LogUniform, Uniform, sample; "
        "sample({'a': LogUniform(2.0, 32.0), 'b': Uniform(6.0, 16.0)}, 3000, 1)",
        # the quantile functions and the solver's NORM.S.INV invert the normal with pysie's own ndtri
        "from pysie.distributions import Lognormal, Normal, sample; from pysie import primitives; import numpy as np; "
        "sample({'a': Lognormal(1.5, 10.0), 'b': Normal(5.0, 2.0)}, 3000, 1); "
        "primitives.norm_s_inv(np.linspace(0.01, 0.99, 50))",
    ],
    ids=["independent-uniform-draws", "normal-quantiles"],
)
def test_drawing_and_inverting_the_normal_imports_no_scipy(code: str) -> None:
    """Draws of parameters (normal scores through Phi) and normal quantiles need no scipy."""
    import subprocess
    import sys

    code = f"import sys; {code}; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
