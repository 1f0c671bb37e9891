"""Which uncertain parameters move an output (``pysie sensitivity``, ``Model.sensitivity``).

Both methods use the parameters' distributions of :mod:`pysie.montecarlo`
(the declared defaults, ``--dist`` replacing them, ``--set`` holding a
parameter at a value) and solve the same scenario model.

**One at a time** (:func:`oat`, the tornado): every drawn parameter x_i in
turn at its 10th percentile Q_i(0.1) (``low``) and at its 90th Q_i(0.9)
(``high``), every other drawn parameter at its median Q_j(0.5), held
parameters as held; 2k + 1 solves for k drawn parameters (one more at all the
medians, the ``base``). Parameters are ranked by the swing |y_high - y_low|.
It measures the output's response along each axis through the medians; it
does not see interactions, and declared correlations play no part (each
parameter moves alone). For a linear output y = sum_i a_i x_i the swing is
|a_i| (Q_i(0.9) - Q_i(0.1)).

**Sobol' indices** (:func:`sobol`): the share of the output's variance due to
each parameter (Sobol' 1993, 2001; Saltelli 2002, Saltelli et al. 2010),
first order S_i = V(E[Y | X_i]) / V(Y) and total ST_i = E[V(Y | X_~i)] / V(Y),
estimated by SALib (Herman and Usher 2017; Iwanaga et al. 2022): its Sobol'
sequence design (``SALib.sample.sobol.sample``, scrambled with ``seed``) on
the unit hypercube, each column u mapped to a parameter by its quantile
function Q_i(u), and ``SALib.analyze.sobol.analyze`` with bootstrap 95%
confidence intervals (``S1_conf``, ``ST_conf``, the half-widths). For base
N and k parameters the model is solved N (k + 2) times (SALib's design
without second-order indices; with them it would be N (2k + 2)). The indices
assume independent inputs, so a model whose drawn parameters are correlated
is refused. N must be a power of 2 (the Sobol' sequence is balanced only
there). The rows are solved in chunks through the same scheduler map as
``pysie mc`` (:mod:`pysie.scheduler`); the design is drawn whole first, so
the numbers do not depend on the chunk size or the scheduler.

An output that is not a number in some samples (never reached: the solver's
NaN) has no variance to apportion: Sobol' refuses it, naming the share,
unless ``never_as`` counts "never" as that value (a stated choice, reported
in the JSON). One at a time reports such an end as None (or ``never_as``).

Models that sample inside their workbook (milestone-takeoff's Samples
sheet: :attr:`pysie.montecarlo.Design.in_workbook`) have no parameter
distributions to vary and are refused; that workbook's Sensitivity sheet
shows its point estimate at each interval's 10th and 90th percentiles.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pysie import montecarlo
from pysie.distributions import U_MAX, U_MIN, Distribution
from pysie.report import headline_outputs
from pysie.spec import InputError, Model, nearest_names

METHODS = ("oat", "sobol")
#: The quantiles one at a time sets a parameter to: low, base, high.
LOW_Q, BASE_Q, HIGH_Q = 0.1, 0.5, 0.9
#: SALib's base sample N unless asked (N (k + 2) solves).
SOBOL_SAMPLES = 1024
#: Bootstrap resamples of SALib's confidence intervals, and their level.
RESAMPLES, CONF_LEVEL = 100, 0.95

OAT_RULE = (
    "low/high: the output with the parameter at its 10th/90th percentile (low_value/high_value), every other "
    "drawn parameter at its median and the held ones as held; base: every drawn parameter at its median; "
    "swing: |high - low|, null when an end is never reached"
)
SOBOL_RULE = (
    "S1: first-order Sobol' index (share of the output's variance explained by the parameter alone); "
    "ST: total index (with its interactions); *_conf: half-width of the 95% bootstrap interval (SALib); "
    "inputs assumed independent"
)


def check_method(method: object) -> str:
    """``method`` if it is one of :data:`METHODS`, else :class:`InputError` naming them."""
    if method not in METHODS:
        raise InputError(f"method: {method!r} is not one of {', '.join(METHODS)}{nearest_names(str(method), METHODS)}")
    return str(method)


def default_output(model: Model, candidates: Sequence[str]) -> str:
    """The first headline output (one with a label: :func:`pysie.report.headline_outputs`)
    among ``candidates`` (the scenario model's outputs), else the first candidate."""
    for scalar in headline_outputs(model):
        if scalar.name in candidates:
            return scalar.name
    return candidates[0]


def design(
    model: Model,
    *,
    output: str | None = None,
    samples: int = 1,
    seed: int = 0,
    dists: Mapping[str, Distribution | str] | None = None,
    values: Mapping[str, object] | None = None,
    max_samples: int = montecarlo.MAX_SAMPLES,
) -> tuple[montecarlo.Design, tuple[str, ...]]:
    """The Monte Carlo design of ``model`` for one ``output`` (default:
    :func:`default_output`), and every output it could have used (the
    candidates); :class:`InputError` for a model with nothing drawn, an
    unknown output (nearest names) or a refused distribution."""
    if model.uncertainty is None and model.sampling is not None and model.sampling.table:
        sheets = [s.sheet for s in model.snapshots if s.sheet == "Sensitivity"]
        raise InputError(
            f"model {model.name!r} draws its samples in its workbook (the {model.table(model.sampling.table).sheet} "
            "sheet), not from parameter distributions, so pysie sensitivity has nothing to vary"
            + "; its workbook's Sensitivity sheet shows one-at-a-time changes of its point estimate"
            * bool(sheets)
        )
    full = montecarlo.design(model, samples, seed, dists=dists, values=values, max_samples=max_samples)
    if output is not None:
        montecarlo.check_outputs(model, full.scenario, full.outputs, [output])
    name = output if output is not None else default_output(model, full.outputs)
    if not full.dists:
        raise InputError(f"model {model.name!r}: no parameter is drawn (every one is held), so nothing can matter")
    return replace(full, outputs=(name,)), full.outputs


def _never_as(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise InputError(f"never-as: a number is needed, found {value!r}")
    if not math.isfinite(float(value)):
        raise InputError(f"never-as: a finite number is needed, found {value!r}")
    return float(value)


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


# --- one at a time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Swing:
    """One bar of the tornado: the output with ``parameter`` at its p10 and p90."""

    parameter: str
    low_value: float
    high_value: float
    low: float
    high: float

    @property
    def swing(self) -> float:
        """|high - low| (NaN when an end is never reached)."""
        return abs(self.high - self.low)


@dataclass(frozen=True)
class OAT:
    """A one-at-a-time result: the output at the medians and the swings, largest first."""

    design: montecarlo.Design
    base: float
    swings: tuple[Swing, ...]
    never_as: float | None = None

    @property
    def output(self) -> str:
        return self.design.outputs[0]

    def report(self) -> dict[str, Any]:
        """The JSON object of ``pysie sensitivity --method oat --json``."""
        d = self.design
        return {
            "model": d.model.name,
            "method": "oat",
            "output": self.output,
            "unit": d.unit(self.output),
            "base": _number(self.base),
            "parameters": {
                s.parameter: {
                    "low": _number(s.low),
                    "high": _number(s.high),
                    "low_value": s.low_value,
                    "high_value": s.high_value,
                    "swing": _number(s.swing),
                }
                for s in self.swings
            },
            "drawn": {name: dist.spec for name, dist in d.dists.items()},
            "held": {k: v for k, v in d.held.items() if k not in d.dists},
            "never_as": self.never_as,
            "rule": OAT_RULE,
        }


def oat(d: montecarlo.Design, never_as: float | None = None) -> OAT:
    """One at a time over ``d``'s drawn parameters for its one output (see the module docstring)."""
    never = _never_as(never_as)
    names = tuple(d.dists)
    quantiles = {name: {q: d.dists[name].quantile(q) for q in (LOW_Q, BASE_Q, HIGH_Q)} for name in names}
    rows = 2 * len(names) + 1  # row 0: every median; row 2i + 1: parameter i low; 2i + 2: high
    draws = {name: np.full(rows, quantiles[name][BASE_Q]) for name in names}
    for i, name in enumerate(names):
        draws[name][2 * i + 1] = quantiles[name][LOW_Q]
        draws[name][2 * i + 2] = quantiles[name][HIGH_Q]
    y = np.array(montecarlo.solve_draws(d, draws, 0, rows, d.outputs)[d.outputs[0]], dtype=float)
    if never is not None:
        y = np.where(np.isfinite(y), y, never)
    swings = [
        Swing(name, quantiles[name][LOW_Q], quantiles[name][HIGH_Q], float(y[2 * i + 1]), float(y[2 * i + 2]))
        for i, name in enumerate(names)
    ]
    swings.sort(key=lambda s: -s.swing if math.isfinite(s.swing) else math.inf)  # stable: ties keep their order
    return OAT(d, float(y[0]), tuple(swings), never)


# --- Sobol' indices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sobol:
    """Sobol' indices of one output, a value per drawn parameter (SALib's estimates)."""

    design: montecarlo.Design
    S1: Mapping[str, float]
    ST: Mapping[str, float]
    S1_conf: Mapping[str, float]
    ST_conf: Mapping[str, float]
    evaluations: int
    never_as: float | None = None
    never: float = 0.0

    @property
    def output(self) -> str:
        return self.design.outputs[0]

    def ranked(self) -> list[str]:
        """The parameters by total index, largest first (an index SALib could not estimate, NaN, last)."""
        return sorted(self.ST, key=lambda name: -self.ST[name] if math.isfinite(self.ST[name]) else math.inf)

    def report(self) -> dict[str, Any]:
        """The JSON object of ``pysie sensitivity --method sobol --json``."""
        d = self.design
        return {
            "model": d.model.name,
            "method": "sobol",
            "output": self.output,
            "unit": d.unit(self.output),
            "samples": d.samples,
            "seed": d.seed,
            "evaluations": self.evaluations,
            "parameters": {
                name: {
                    "S1": _number(self.S1[name]),
                    "ST": _number(self.ST[name]),
                    "S1_conf": _number(self.S1_conf[name]),
                    "ST_conf": _number(self.ST_conf[name]),
                }
                for name in self.ranked()
            },
            "drawn": {name: dist.spec for name, dist in d.dists.items()},
            "held": {k: v for k, v in d.held.items() if k not in d.dists},
            "never_as": self.never_as,
            "never": self.never,
            "rule": SOBOL_RULE,
        }


def evaluations(samples: int, k: int) -> int:
    """Model solves of a Sobol' run: N (k + 2) (SALib, first-order and total indices)."""
    return samples * (k + 2)


def _check_sobol(d: montecarlo.Design, max_samples: int) -> None:
    n = d.samples
    if n < 2 or n & (n - 1):
        below = 2 ** max(1, n.bit_length() - 1)
        raise InputError(
            f"samples: Sobol' indices need a power of 2 (SALib's Sobol' sequence is balanced only there), "
            f"found {n:,}; give {below:,} or {2 * below:,}"
        )
    if d.copula is not None:
        pairs = ", ".join(f"{a}~{b}={rho:g}" for (a, b), rho in d.copula.spearman.items())
        raise InputError(
            f"model {d.model.name!r} correlates {pairs}: Sobol' indices assume independent inputs; "
            "hold one of each pair with --set, or use --method oat"
        )
    total = evaluations(n, len(d.dists))
    if total > max_samples:
        raise InputError(
            f"samples: {n:,} base samples are {total:,} model solves (N (k + 2), k = {len(d.dists)}), above the "
            f"limit of {max_samples:,}; give fewer or raise the limit (--max-samples)"
        )


def sobol(
    d: montecarlo.Design,
    candidates: Sequence[str] = (),
    never_as: float | None = None,
    chunk: int = montecarlo.CHUNK,
    map_chunks: montecarlo.Map | None = None,
    progress: bool = False,
    max_samples: int = montecarlo.MAX_SAMPLES,
) -> Sobol:
    """Sobol' indices of ``d``'s output over its drawn parameters, ``d.samples``
    being SALib's base N (see the module docstring). ``candidates``: outputs a
    refusal may suggest (those defined in every sample)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    never = _never_as(never_as)
    _check_sobol(d, max_samples)
    names = tuple(d.dists)
    output = d.outputs[0]
    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    u = np.clip(sobol_sample.sample(problem, d.samples, calc_second_order=False, seed=d.seed), U_MIN, U_MAX)
    x = {name: np.asarray(d.dists[name].ppf(u[:, j]), dtype=float) for j, name in enumerate(names)}
    watched = tuple(dict.fromkeys((output, *candidates)))

    def one(start: int, stop: int) -> tuple[np.ndarray, dict[str, int]]:
        solved = montecarlo.solve_draws(d, {n: v[start:stop] for n, v in x.items()}, start, stop, watched)
        missing = {name: int((~np.isfinite(solved[name])).sum()) for name in watched}
        return np.array(solved[output], dtype=float), missing

    ranges = montecarlo.chunks(len(u), chunk)
    pieces = montecarlo.map_ranges(one, ranges, map_chunks, f"sobol {d.model.name}" if progress else "")
    y = np.concatenate([p[0] for p in pieces])
    unreached = ~np.isfinite(y)
    share = float(unreached.mean())
    if unreached.any():
        if never is None:
            defined = [name for name in watched if name != output and not sum(p[1][name] for p in pieces)]
            hint = f" (e.g. {', '.join(defined[:3])})" if defined else ""
            raise InputError(
                f"output {output!r} is never reached in {share:.1%} of the {len(y):,} samples, and Sobol' indices "
                f"need a number in each: choose an output that is always defined{hint}, or count never as a "
                "value with --never-as VALUE"
            )
        y = np.where(unreached, never, y)
    if not np.ptp(y) > 0:
        raise InputError(f"output {output!r} is {y[0]:g} in every sample: it has no variance to apportion")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = sobol_analyze.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=CONF_LEVEL,
            print_to_console=False,
            seed=d.seed,
        )

    def by_name(key: str) -> dict[str, float]:
        return {name: float(found[key][j]) for j, name in enumerate(names)}

    return Sobol(d, by_name("S1"), by_name("ST"), by_name("S1_conf"), by_name("ST_conf"), len(y), never, share)
