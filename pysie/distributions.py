"""Probability distributions of parameters, for Monte Carlo and sensitivity.

Every distribution is a frozen dataclass with a quantile function ``ppf(u)``
(u in (0, 1)), its ``median``, ``p10`` and ``p90``, the ``support`` it can take
and a ``source`` string saying where it comes from. Sampling goes through the
quantile function: a uniform (or, with correlations, a Gaussian-copula
uniform) u becomes ``ppf(u)``, so rank correlations carry over to every
marginal unchanged.

Kinds (the text of :func:`parse_spec` in brackets):

* ``Lognormal(p10, p90)`` [``lognormal:P10:P90``]: ln X ~ N(mu, sigma) with
  mu = (ln P10 + ln P90) / 2, sigma = (ln P90 - ln P10) / (2 z_0.9),
  z_0.9 = Phi^-1(0.9) = 1.28155... (the "80% interval" of AI 2027's takeoff
  forecast, which rounds z_0.9 to 1.2816: ``Lognormal(1, 25, z=1.2816)``).
* ``LogUniform(lo, hi)`` [``loguniform:LO:HI``]: ln X uniform on [ln lo, ln hi].
* ``Uniform(lo, hi)`` [``uniform:LO:HI``]: X = lo + u (hi - lo).
* ``Normal(mean, sd)`` [``normal:MEAN:SD``]: X = mean + sd Phi^-1(u).
* ``Fixed(value)`` [``fixed:V``]: always ``value``.
* ``PointMass(probability, value, rest)``: ``value`` with that probability,
  otherwise drawn from ``rest`` (AI 2027: the SC->SAR gap is 0 with
  probability 0.15, else lognormal). Its ``ppf`` is the true quantile function
  of the mixture, so it stays monotone and the copula's ranks still apply;
  ``draw(u_mass, u_rest)`` is the forecast's own way, an independent uniform
  for the mass (the same distribution, other samples).

Bounds (:func:`bounded`): a parameter has bounds (lower, upper, open or
closed). A distribution whose support is a bounded interval (uniform,
loguniform, fixed, a point mass's value) must lie inside them, or it is
refused with :class:`~pysie.spec.InputError`. A distribution with an unbounded
tail (lognormal, normal) is **truncated** to the bounds, its quantile function
renormalised to the mass inside (``Truncated``), provided its p10 and p90
both lie inside; otherwise it is refused, since most of it would be cut away.

Correlations (:class:`GaussianCopula`): rank (Spearman) correlations between
named parameters. A Gaussian copula with Pearson correlation rho_p has
Spearman rho_s = (6 / pi) arcsin(rho_p / 2), so the normal scores are
correlated with rho_p = 2 sin(pi rho_s / 6) (Kruskal 1958).

Reproducibility (:func:`sample`): draws come in fixed blocks of
:data:`BLOCK` samples; block b is drawn from its own stream
``SeedSequence(seed).spawn``'s b-th child (``SeedSequence(seed, spawn_key=(b,))``,
PCG64), whatever chunk a caller asks for. So the same seed gives the same
numbers on every machine, for any chunk size and any number of workers, and a
worker can draw samples ``start:stop`` without drawing the ones before.
Within a block the normal scores have shape (BLOCK, number of
distributions), columns in the order the distributions are given.

Example::

    >>> from pysie.distributions import Lognormal, PointMass, GaussianCopula, parse_spec, sample
    >>> dists = {
    ...     "amr_sar_gap": Lognormal(1, 25, source="AI 2027 takeoff forecast"),
    ...     "sc_sar_gap": PointMass(0.15, 0.0, Lognormal(1.5, 10)),
    ...     "growth": parse_spec("uniform:0:0.5"),
    ... }
    >>> copula = GaussianCopula({("amr_sar_gap", "sc_sar_gap"): 0.8})
    >>> draws = sample(dists, 10_000, seed=1, copula=copula)
    >>> sorted(draws), draws["growth"].shape
    (['amr_sar_gap', 'growth', 'sc_sar_gap'], (10000,))
    >>> round(dists["amr_sar_gap"].median, 6)
    5.0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from pysie.errors import InputError

# Coefficients of the rational approximations in S. L. Moshier, "Methods and Programs for
# Mathematical Functions" (1989), the Cephes library's ndtr, which ``scipy.special.ndtr``
# evaluates: erfc(x) = exp(-x^2) P(x)/Q(x) for 1 <= x < 8, R(x)/S(x) beyond; erf(x) =
# x T(x^2)/U(x^2) for |x| < 1 (Q, S and U have a leading coefficient 1, not listed).
_ERFC_P = (
    2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0, 4.86371970985681366614e1,
    1.96520832956077098242e2, 5.26445194995477358631e2, 9.34528527171957607540e2, 1.02755188689515710272e3,
    5.57535335369399327526e2,
)  # fmt: skip
_ERFC_Q = (
    1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2, 9.75708501743205489753e2,
    1.82390916687909736289e3, 2.24633760818710981792e3, 1.65666309194161350182e3, 5.57535340817727675546e2,
)  # fmt: skip
_ERFC_R = (
    5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0, 6.16021097993053585195e0,
    7.40974269950448939160e0, 2.97886665372100240670e0,
)  # fmt: skip
_ERFC_S = (
    2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1, 1.70814450747565897222e1,
    9.60896809063285878198e0, 3.36907645100081516050e0,
)  # fmt: skip
_ERF_T = (
    9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3, 7.00332514112805075473e3,
    5.55923013010394962768e4,
)  # fmt: skip
_ERF_U = (
    3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3, 2.26290000613890934246e4,
    4.92673942608635921086e4,
)  # fmt: skip
#: exp(-x^2) is taken as 0 below exp(-_MAXLOG) (the largest argument exp does not overflow for)
_MAXLOG = 7.09782712893383996843e2


def _horner(x: np.ndarray, coefficients: tuple[float, ...], monic: bool = False) -> np.ndarray:
    """c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule, one rounding per operation in this order
    (``monic``: a leading coefficient 1 before c0, x + c0 the first step)."""
    acc = x + coefficients[0] if monic else np.full_like(x, coefficients[0])
    for c in coefficients[1:]:
        acc = acc * x + c
    return acc


def ndtr(z: np.ndarray | float) -> np.ndarray:
    """The standard normal distribution function Phi(z), bit for bit ``scipy.special.ndtr``
    without importing scipy (a third of a second of every ``pysie mc``). With x = z / sqrt 2:
    Phi = 1/2 + erf(x)/2 for |x| < 1, erf(x) = x T(x^2)/U(x^2); otherwise Phi = erfc(|x|)/2
    (1 - that for x > 0), erfc(x) = exp(-x^2) P(x)/Q(x) below 8, exp(-x^2) R(x)/S(x) from 8
    on, 0 where -x^2 < -MAXLOG. The same operations in the same order as scipy's compiled
    code, and exp(-x^2) from the C library (``math.exp``, as scipy calls it: numpy's own exp
    differs in the last bit on some machines); tests/test_distributions.py holds it to scipy."""
    x = np.asarray(z, dtype=float) * 0.70710678118654752440
    out = np.full(x.shape, np.nan)
    a = np.abs(x)
    with np.errstate(all="ignore"):
        inner = a < 1.0
        near = a[inner]
        square = near * near
        out[inner] = 0.5 + 0.5 * np.copysign(near * _horner(square, _ERF_T) / _horner(square, _ERF_U, True), x[inner])
        outer = a >= 1.0  # NaN is in neither
        far = a[outer]
        minus_square = -far * far
        gauss = np.array([math.exp(v) for v in minus_square.reshape(-1).tolist()], dtype=float)
        below8 = far < 8.0
        p = np.where(below8, _horner(far, _ERFC_P), _horner(far, _ERFC_R))
        q = np.where(below8, _horner(far, _ERFC_Q, True), _horner(far, _ERFC_S, True))
        half = 0.5 * np.where(minus_square < -_MAXLOG, 0.0, gauss * p / q)
        out[outer] = np.where(x[outer] > 0, 1.0 - half, half)
    return out if out.ndim else out[()]


# Moshier's rational approximations of the normal quantile, the Cephes ndtri that
# ``scipy.special.ndtri`` evaluates (same source): x = sqrt(2 pi) (w + w w^2 P0(w^2)/Q0(w^2)),
# w = y - 1/2, for exp(-2) < y <= 1 - exp(-2); in the tails, with t = sqrt(-2 ln y') (y' = y or
# 1 - y), x = t - ln(t)/t - (1/t) P(1/t)/Q(1/t), P1/Q1 for t < 8, P2/Q2 beyond (Q0, Q1 and Q2
# have a leading coefficient 1, not listed).
_NDTRI_P0 = (
    -5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1, 1.39312609387279679503e1,
    -1.23916583867381258016e0,
)  # fmt: skip
_NDTRI_Q0 = (
    1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1, -2.25462687854119370527e2,
    2.00260212380060660359e2, -8.20372256168333339912e1, 1.59056225126211695515e1, -1.18331621121330003142e0,
)  # fmt: skip
_NDTRI_P1 = (
    4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1, 4.40805073893200834700e1,
    1.46849561928858024014e1, 2.18663306850790267539e0, -1.40256079171354495875e-1, -3.50424626827848203418e-2,
    -8.57456785154685413611e-4,
)  # fmt: skip
_NDTRI_Q1 = (
    1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1, 1.50425385692907503408e1,
    2.50464946208309415979e0, -1.42182922854787788574e-1, -3.80806407691578277194e-2, -9.33259480895457427372e-4,
)  # fmt: skip
_NDTRI_P2 = (
    3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0, 1.33303460815807542389e0,
    2.01485389549179081538e-1, 1.23716634817820021358e-2, 3.01581553508235416007e-4, 2.65806974686737550832e-6,
    6.23974539184983293730e-9,
)  # fmt: skip
_NDTRI_Q2 = (
    6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0, 2.16236993594496635890e-1,
    1.34204006088543189037e-2, 3.28014464682127739104e-4, 2.89247864745380683936e-6, 6.79019408009981274425e-9,
)  # fmt: skip
_SQRT_2PI = 2.50662827463100050242e0
_EXP_MINUS_2 = 0.13533528323661269189


def ndtri(p: np.ndarray | float) -> np.ndarray:
    """The standard normal quantile Phi^-1(p), bit for bit ``scipy.special.ndtri`` without
    importing scipy (a third of a second of a command): Moshier's approximations above, the
    operations in the order of scipy's compiled code, the logarithms from the C library
    (``math.log``, as scipy calls it: numpy's own differs in the last bit on some machines).
    0 gives -inf, 1 gives inf, anything else outside [0, 1] NaN; tests/test_distributions.py
    holds it to scipy."""
    y0 = np.asarray(p, dtype=float)
    out = np.full(y0.shape, np.nan)
    out[y0 == 0.0] = -np.inf
    out[y0 == 1.0] = np.inf
    with np.errstate(all="ignore"):
        central = (y0 > _EXP_MINUS_2) & (y0 <= 1.0 - _EXP_MINUS_2)
        w = y0[central] - 0.5
        w2 = w * w
        out[central] = (w + w * (w2 * _horner(w2, _NDTRI_P0) / _horner(w2, _NDTRI_Q0, True))) * _SQRT_2PI
        upper = (y0 > 1.0 - _EXP_MINUS_2) & (y0 < 1.0)
        tails = ((y0 > 0.0) & (y0 <= _EXP_MINUS_2)) | upper
        y = np.where(upper, 1.0 - y0, y0)[tails]
        t = np.sqrt(np.array([-2.0 * math.log(v) for v in y.tolist()], dtype=float))
        log_t = np.array([math.log(v) for v in t.tolist()], dtype=float)
        z = 1.0 / t
        near = t < 8.0
        numerator = z * np.where(near, _horner(z, _NDTRI_P1), _horner(z, _NDTRI_P2))
        x = (t - log_t / t) - numerator / np.where(near, _horner(z, _NDTRI_Q1, True), _horner(z, _NDTRI_Q2, True))
        out[tails] = np.where(upper[tails], x, -x)
    return out if out.ndim else out[()]


#: samples per random block: block b always comes from the b-th child stream of the seed
BLOCK = 1024

#: the standard normal 90th percentile, Phi^-1(0.9) (``scipy.special.ndtri(0.9)``;
#: tests/test_distributions.py holds it to scipy's value)
Z90 = 1.2815515655446004

#: u is clipped into [U_MIN, U_MAX] before a quantile function sees it, so no draw is 0 or 1
U_MIN = float(np.finfo(float).tiny)
U_MAX = 1.0 - 2.0**-53


@runtime_checkable
class Distribution(Protocol):
    """What every distribution offers."""

    @property
    def source(self) -> str: ...

    def ppf(self, u: np.ndarray) -> np.ndarray: ...

    def cdf(self, x: np.ndarray) -> np.ndarray: ...

    def quantile(self, q: float) -> float: ...

    @property
    def support(self) -> tuple[float, float]: ...

    @property
    def spec(self) -> str: ...


class _Median:
    """``quantile(q)`` and the median from ``ppf``."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.asarray([q], dtype=float))[0])

    @property
    def median(self) -> float:
        return self.quantile(0.5)


class _Quantiles(_Median):
    """p10 and p90 from ``ppf`` (a lognormal stores them instead)."""

    @property
    def p10(self) -> float:
        return self.quantile(0.1)

    @property
    def p90(self) -> float:
        return self.quantile(0.9)


def _finite(kind: str, **values: float) -> None:
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{kind}: {key} must be a finite number, found {value!r}")


@dataclass(frozen=True)
class Lognormal(_Median):
    """ln X ~ N(mu, sigma), given by its 10th and 90th percentiles (0 < p10 < p90): mu = (ln p10 +
    ln p90) / 2, sigma = (ln p90 - ln p10) / (2 z), z the normal quantile they sit at (Phi^-1(0.9)
    unless a source rounds it: AI 2027's takeoff forecast uses 1.2816)."""

    p10: float
    p90: float
    source: str = ""
    z: float = Z90

    def __post_init__(self) -> None:
        _finite("lognormal", p10=self.p10, p90=self.p90, z=self.z)
        if self.z <= 0:
            raise InputError(f"lognormal: z must be above 0, found {self.z:g}")
        if self.p10 <= 0:
            raise InputError(f"lognormal: p10 must be above 0, found {self.p10:g}")
        if self.p10 >= self.p90:
            raise InputError(f"lognormal: p10 ({self.p10:g}) must be below p90 ({self.p90:g})")

    @property
    def mu(self) -> float:
        return (math.log(self.p10) + math.log(self.p90)) / 2

    @property
    def sigma(self) -> float:
        return (math.log(self.p90) - math.log(self.p10)) / (2 * self.z)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.exp(self.mu + self.sigma * ndtri(np.asarray(u, dtype=float)))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x > 0, ndtr((np.log(np.where(x > 0, x, 1.0)) - self.mu) / self.sigma), 0.0)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def spec(self) -> str:
        rounded = "" if self.z == Z90 else f" (p10 and p90 at z = {self.z:g})"
        return f"lognormal:{self.p10:g}:{self.p90:g}{rounded}"


@dataclass(frozen=True)
class LogUniform(_Quantiles):
    """ln X uniform on [ln lo, ln hi] (0 < lo < hi)."""

    lo: float
    hi: float
    source: str = ""

    def __post_init__(self) -> None:
        _finite("loguniform", lo=self.lo, hi=self.hi)
        if self.lo <= 0:
            raise InputError(f"loguniform: lo must be above 0, found {self.lo:g}")
        if self.lo >= self.hi:
            raise InputError(f"loguniform: lo ({self.lo:g}) must be below hi ({self.hi:g})")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = math.log(self.lo), math.log(self.hi)
        return np.exp(a + np.asarray(u, dtype=float) * (b - a))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a, b = math.log(self.lo), math.log(self.hi)
        return np.clip((np.log(np.clip(x, self.lo, self.hi)) - a) / (b - a), 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    @property
    def spec(self) -> str:
        return f"loguniform:{self.lo:g}:{self.hi:g}"


@dataclass(frozen=True)
class Uniform(_Quantiles):
    """X uniform on [lo, hi] (lo < hi)."""

    lo: float
    hi: float
    source: str = ""

    def __post_init__(self) -> None:
        _finite("uniform", lo=self.lo, hi=self.hi)
        if self.lo >= self.hi:
            raise InputError(f"uniform: lo ({self.lo:g}) must be below hi ({self.hi:g})")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.lo + np.asarray(u, dtype=float) * (self.hi - self.lo)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return np.clip((np.asarray(x, dtype=float) - self.lo) / (self.hi - self.lo), 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    @property
    def spec(self) -> str:
        return f"uniform:{self.lo:g}:{self.hi:g}"


@dataclass(frozen=True)
class Normal(_Quantiles):
    """X ~ N(mean, sd), sd > 0."""

    mean: float
    sd: float
    source: str = ""

    def __post_init__(self) -> None:
        _finite("normal", mean=self.mean, sd=self.sd)
        if self.sd <= 0:
            raise InputError(f"normal: sd must be above 0, found {self.sd:g}")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean + self.sd * ndtri(np.asarray(u, dtype=float))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return ndtr((np.asarray(x, dtype=float) - self.mean) / self.sd)

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    @property
    def spec(self) -> str:
        return f"normal:{self.mean:g}:{self.sd:g}"


@dataclass(frozen=True)
class Fixed(_Quantiles):
    """Always ``value`` (a parameter held fixed in a Monte Carlo run)."""

    value: float
    source: str = ""

    def __post_init__(self) -> None:
        _finite("fixed", value=self.value)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) >= self.value).astype(float)

    @property
    def support(self) -> tuple[float, float]:
        return (float(self.value), float(self.value))

    @property
    def spec(self) -> str:
        return f"fixed:{self.value:g}"


@dataclass(frozen=True)
class PointMass(_Quantiles):
    """``value`` with ``probability``, else a draw from ``rest``.

    Quantile function of the mixture F = p 1[x >= v] + (1 - p) G(x): with
    a = (1 - p) G(v), Q(u) = G^-1(u / (1 - p)) for u < a, v for a <= u < a + p,
    and G^-1((u - p) / (1 - p)) above. With v below ``rest``'s support (a zero
    gap before a lognormal), the first p of u give v.
    """

    probability: float
    value: float
    rest: Distribution
    source: str = ""

    def __post_init__(self) -> None:
        _finite("point mass", probability=self.probability, value=self.value)
        if not 0 <= self.probability < 1:
            raise InputError(f"point mass: probability must be in [0, 1), found {self.probability:g}")
        if isinstance(self.rest, PointMass):
            raise InputError("point mass: the rest cannot itself be a point mass")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        p = self.probability
        a = (1 - p) * float(self.rest.cdf(np.asarray([self.value]))[0])
        below = self.rest.ppf(np.clip(u / (1 - p), U_MIN, U_MAX))
        above = self.rest.ppf(np.clip((u - p) / (1 - p), U_MIN, U_MAX))
        return np.where(u < a, below, np.where(u < a + p, self.value, above))

    def draw(self, u_mass: np.ndarray, u_rest: np.ndarray) -> np.ndarray:
        """``value`` where ``u_mass`` < ``probability``, else ``rest.ppf(u_rest)``: a sample of
        the same mixture from two independent uniforms (AI 2027's takeoff forecast draws its zero
        SC->SAR gap so, and its lognormal's normal score from the copula)."""
        u_mass = np.asarray(u_mass, dtype=float)
        return np.where(u_mass < self.probability, self.value, self.rest.ppf(np.asarray(u_rest, dtype=float)))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.probability * (x >= self.value) + (1 - self.probability) * self.rest.cdf(x)

    @property
    def support(self) -> tuple[float, float]:
        lo, hi = self.rest.support
        return (min(lo, self.value), max(hi, self.value))

    @property
    def spec(self) -> str:
        return f"{self.probability:g} at {self.value:g}, else {self.rest.spec}"


@dataclass(frozen=True)
class Truncated(_Quantiles):
    """``dist`` conditioned on [lo, hi]: Q(u) = G^-1(G(lo) + u (G(hi) - G(lo))),
    kept strictly inside an open bound."""

    dist: Distribution
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    @property
    def source(self) -> str:
        return self.dist.source

    def _mass(self) -> tuple[float, float]:
        lo = 0.0 if self.lo == -math.inf else float(self.dist.cdf(np.asarray([self.lo]))[0])
        hi = 1.0 if self.hi == math.inf else float(self.dist.cdf(np.asarray([self.hi]))[0])
        return lo, hi

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, b = self._mass()
        x = self.dist.ppf(np.clip(a + np.asarray(u, dtype=float) * (b - a), U_MIN, U_MAX))
        low = math.nextafter(self.lo, math.inf) if self.lo_open else self.lo
        high = math.nextafter(self.hi, -math.inf) if self.hi_open else self.hi
        return np.clip(x, low, high)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        a, b = self._mass()
        return np.clip((self.dist.cdf(x) - a) / (b - a), 0.0, 1.0)

    @property
    def support(self) -> tuple[float, float]:
        lo, hi = self.dist.support
        return (max(lo, self.lo), min(hi, self.hi))

    @property
    def spec(self) -> str:
        return f"{self.dist.spec} truncated to [{self.lo:g}, {self.hi:g}]"


# --- text form ----------------------------------------------------------------

_KINDS: dict[str, tuple[type, tuple[str, ...]]] = {
    "lognormal": (Lognormal, ("P10", "P90")),
    "loguniform": (LogUniform, ("LO", "HI")),
    "uniform": (Uniform, ("LO", "HI")),
    "normal": (Normal, ("MEAN", "SD")),
    "fixed": (Fixed, ("V",)),
}


def kind_labels(kind: str) -> tuple[str, ...]:
    """The numbers a kind's text form takes: ``("P10", "P90")`` for ``lognormal``."""
    if kind not in _KINDS:
        raise InputError(f"unknown distribution {kind!r}; known: {', '.join(_KINDS)}")
    return _KINDS[kind][1]


def kind_of(dist: Distribution) -> tuple[str, tuple[str, ...], tuple[float, ...]]:
    """The text form of a distribution as (kind, labels, numbers): ``Lognormal(1, 25)``
    is ``("lognormal", ("P10", "P90"), (1.0, 25.0))``, so ``parse_spec`` of
    ``kind:n1:n2`` makes it again; :class:`InputError` for a kind without a text form
    (a point mass, a truncation, a lognormal with a rounded z)."""
    if getattr(dist, "z", Z90) != Z90:
        raise InputError(f"{dist.spec}: has no text form (a lognormal's text form puts p10 and p90 at z = {Z90:.5f})")
    return shape_of(dist)


def shape_of(dist: Distribution) -> tuple[str, tuple[str, ...], tuple[float, ...]]:
    """(kind, labels, numbers) of a distribution of one of the kinds (its first fields, in the
    order of the kind's labels), whatever its other fields (a lognormal's ``z``)."""
    for kind, (cls, labels) in _KINDS.items():
        if type(dist) is cls:
            fields = dataclasses.fields(dist)[: len(labels)]  # type: ignore[arg-type]
            return kind, labels, tuple(float(getattr(dist, f.name)) for f in fields)
    raise InputError(f"{dist.spec}: has no text form ({', '.join(_KINDS)})")


def with_numbers(dist: Distribution, numbers: tuple[float, ...]) -> Distribution:
    """``dist`` with the numbers of :func:`shape_of` replaced by ``numbers`` (its other fields,
    a lognormal's ``z``, kept)."""
    _, labels, _ = shape_of(dist)
    fields = dataclasses.fields(dist)[: len(labels)]  # type: ignore[arg-type]
    return dataclasses.replace(dist, **{f.name: float(n) for f, n in zip(fields, numbers, strict=True)})  # type: ignore[type-var]


def parse_spec(text: str, name: str = "", source: str = "") -> Distribution:
    """A distribution from ``lognormal:P10:P90``, ``loguniform:LO:HI``,
    ``uniform:LO:HI``, ``normal:MEAN:SD`` or ``fixed:V``; :class:`InputError`
    naming ``name`` (the parameter) and what is wrong otherwise."""
    at = f"{name}: " if name else ""
    kind, *fields = text.strip().split(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        raise InputError(f"{at}unknown distribution {kind!r} in {text!r}; known: {', '.join(_KINDS)}")
    cls, labels = _KINDS[kind]
    usage = f"{kind}:{':'.join(labels)}"
    if len(fields) != len(labels):
        raise InputError(f"{at}{text!r} needs {len(labels)} number(s) after {kind!r}: {usage}")
    numbers = []
    for label, raw in zip(labels, fields, strict=True):
        try:
            number = float(raw)
        except ValueError:
            raise InputError(f"{at}{label} in {text!r} is not a number: {raw!r}") from None
        if not math.isfinite(number):
            raise InputError(f"{at}{label} in {text!r} must be finite, found {raw!r}")
        numbers.append(number)
    try:
        return cls(*numbers, source=source)
    except InputError as error:
        raise InputError(f"{at}{error} (from {text!r})") from None


# --- bounds -------------------------------------------------------------------


class _Bounds(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def lower(self) -> float | None: ...
    @property
    def upper(self) -> float | None: ...
    @property
    def lower_open(self) -> bool: ...
    @property
    def upper_open(self) -> bool: ...


def bounded(dist: Distribution, parameter: _Bounds) -> Distribution:
    """``dist`` fitted to a parameter's bounds (:class:`pysie.spec.Parameter`
    or anything with ``name``, ``lower``, ``upper``, ``lower_open``, ``upper_open``).

    Rule: a bounded support (uniform, loguniform, fixed, a point mass's value)
    must lie inside the bounds, else :class:`InputError`; an unbounded tail
    (lognormal, normal) is truncated to them (:class:`Truncated`) when its p10
    and p90 lie inside, else :class:`InputError`. A distribution already inside
    is returned unchanged.
    """
    lower = -math.inf if parameter.lower is None else float(parameter.lower)
    upper = math.inf if parameter.upper is None else float(parameter.upper)

    def inside(x: float) -> bool:
        above = x > lower or (x == lower and not parameter.lower_open)
        below = x < upper or (x == upper and not parameter.upper_open)
        return above and below

    def refuse(what: str) -> InputError:
        interval = f"{'(' if parameter.lower_open else '['}{lower:g}, {upper:g}{')' if parameter.upper_open else ']'}"
        return InputError(f"{parameter.name}: {dist.spec} {what} outside its bounds {interval}")

    if isinstance(dist, PointMass):
        if not inside(dist.value):
            raise refuse(f"puts mass at {dist.value:g},")
        rest = bounded(dist.rest, parameter)
        return dist if rest is dist.rest else PointMass(dist.probability, dist.value, rest, dist.source)
    lo, hi = dist.support
    if lo == hi:
        if not inside(lo):
            raise refuse("is")
        return dist
    if inside(lo) and inside(hi):
        return dist
    if lo >= lower and hi <= upper:
        # a support edge on an open bound: no mass is cut, draws are only kept off the bound
        return Truncated(dist, lower, upper, parameter.lower_open, parameter.upper_open)
    if isinstance(dist, (Lognormal, Normal)):
        p10, p90 = dist.p10, dist.p90
        if not (inside(p10) and inside(p90)):
            raise refuse(f"has its p10 ({p10:g}) or p90 ({p90:g})")
        return Truncated(dist, lower, upper, parameter.lower_open, parameter.upper_open)
    raise refuse("reaches")


# --- correlations -------------------------------------------------------------


@dataclass(frozen=True)
class GaussianCopula:
    """Rank (Spearman) correlations between named parameters, as
    ``{(a, b): rho_s}``; pairs not given are uncorrelated."""

    spearman: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def pearson_matrix(self, names: tuple[str, ...]) -> np.ndarray:
        """Correlation matrix of the normal scores: rho_p = 2 sin(pi rho_s / 6)."""
        index = {n: i for i, n in enumerate(names)}
        matrix = np.eye(len(names))
        for (a, b), rho in self.spearman.items():
            for n in (a, b):
                if n not in index:
                    raise InputError(f"correlation {a}~{b}: {n!r} has no distribution; known: {', '.join(names)}")
            if a == b:
                raise InputError(f"correlation {a}~{b}: a parameter cannot be correlated with itself")
            if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not -1 <= rho <= 1:
                raise InputError(f"correlation {a}~{b}: a rank correlation in [-1, 1] is needed, found {rho!r}")
            matrix[index[a], index[b]] = matrix[index[b], index[a]] = 2 * math.sin(math.pi * rho / 6)
        return matrix

    def cholesky(self, names: tuple[str, ...]) -> np.ndarray:
        matrix = self.pearson_matrix(names)
        try:
            return np.linalg.cholesky(matrix)
        except np.linalg.LinAlgError:
            pairs = ", ".join(f"{a}~{b}={r:g}" for (a, b), r in self.spearman.items())
            raise InputError(
                f"correlations {pairs} are not a valid correlation matrix (not positive definite)"
            ) from None


# --- sampling -----------------------------------------------------------------

#: the most samples one call draws (a guard against a mistyped count)
MAX_SAMPLES = 10_000_000


def _block_scores(seed: int, block: int, k: int) -> np.ndarray:
    """Normal scores (BLOCK, k) of block ``block``, from its own child stream."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block,)))
    return rng.standard_normal((BLOCK, k))


def uniforms(k: int, start: int, stop: int, seed: int, chol: np.ndarray | None = None) -> np.ndarray:
    """Copula uniforms (stop - start, k) of samples ``start:stop``: the blocks'
    normal scores, correlated by ``chol`` (lower Cholesky factor), through Phi."""
    first, last = start // BLOCK, (stop - 1) // BLOCK
    z = np.concatenate([_block_scores(seed, b, k) for b in range(first, last + 1)])
    z = z[start - first * BLOCK : stop - first * BLOCK]
    if chol is not None:
        z = _correlate(z, chol)
    return np.clip(ndtr(z), U_MIN, U_MAX)


def _correlate(z: np.ndarray, chol: np.ndarray) -> np.ndarray:
    """z L^T, summed term by term in a fixed order: a matrix product (BLAS)
    may round differently for other shapes or machines; this does not."""
    out = np.zeros_like(z)
    for i in range(chol.shape[0]):
        for j in range(i + 1):
            if chol[i, j] != 0:
                out[:, i] += chol[i, j] * z[:, j]
    return out


def _check_count(n: int, seed: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_SAMPLES:
        raise InputError(f"samples: a whole number from 1 to {MAX_SAMPLES:,} is needed, found {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: a whole number >= 0 is needed, found {seed!r}")


def sample_range(
    dists: Mapping[str, Distribution], start: int, stop: int, seed: int, copula: GaussianCopula | None = None
) -> dict[str, np.ndarray]:
    """Samples ``start:stop`` of the run ``(dists, seed, copula)``: the same
    numbers as the same slice of :func:`sample`, drawn without the others."""
    names = tuple(dists)
    chol = copula.cholesky(names) if copula and copula.spearman else None
    u = uniforms(len(names), start, stop, seed, chol)
    return {name: np.asarray(dists[name].ppf(u[:, j]), dtype=float) for j, name in enumerate(names)}


def iter_samples(
    dists: Mapping[str, Distribution], n: int, seed: int, chunk: int = 10_000, copula: GaussianCopula | None = None
) -> Iterator[dict[str, np.ndarray]]:
    """:func:`sample` in pieces of ``chunk`` samples (for bounded memory)."""
    _check_count(n, seed)
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise InputError(f"chunk: a whole number >= 1 is needed, found {chunk!r}")
    for start in range(0, n, chunk):
        yield sample_range(dists, start, min(start + chunk, n), seed, copula)


def sample(
    dists: Mapping[str, Distribution], n: int, seed: int, chunk: int = 10_000, copula: GaussianCopula | None = None
) -> dict[str, np.ndarray]:
    """``n`` joint draws of ``dists`` ({name: array of n}); identical for every ``chunk``."""
    parts = list(iter_samples(dists, n, seed, chunk, copula))
    return {name: np.concatenate([p[name] for p in parts]) for name in dists}
