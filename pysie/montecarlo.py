"""Monte Carlo over a model's declared distributions (``pysie mc``, ``Model.sample``).

A model samples in one of two ways:

- **Declared distributions** (:class:`pysie.spec.Uncertainty`): parameters
  carry a distribution (:attr:`pysie.spec.Parameter.dist`); sample i draws
  them (:func:`pysie.distributions.sample_range`: block b of 1,024 samples
  from its own child stream ``SeedSequence(seed, spawn_key=(b,))``, rank
  correlations through a Gaussian copula) and solves the scenario model once.
  Samples are solved in chunks; since the draws of sample i do not depend on
  the chunk it falls in, the numbers are the same for every chunk size and
  every scheduler (in-process or a Dask cluster: :mod:`pysie.scheduler`).
- **In-workbook samples** (:class:`pysie.spec.Sampling` with a ``table``):
  the workbook itself holds the Monte Carlo (milestone-takeoff's Samples
  sheet of stored uniforms); ``--samples``/``--seed`` set its parameters and
  the table's columns are summarised, so ``pysie mc`` and the workbook show
  the same samples.

Summary of one output over the samples (:func:`summarize`): ``never`` is the
share of samples where it is not a number (never reached, or past the
horizon: the solver's NaN, the sheet's error or words); such samples are
counted, not dropped. The percentiles (Excel's ``PERCENTILE.INC``: linear
between order statistics) rank a never-reached sample above every reached
value, so p90 is ``None`` once more than about 10% never reach it. ``mean``
is over the samples that reach it (``None`` when none does).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pysie import solver
from pysie.dates import iso_date
from pysie.distributions import Distribution, Fixed, GaussianCopula, bounded, parse_spec, sample_range
from pysie.spec import InputError, Model, Parameter, ScenarioError, check_scenarios, nearest_names
from pysie.tables_out import Field

#: The most samples one run takes unless asked for more (``--max-samples``): every output of every
#: sample is kept in memory, about 8 bytes x (outputs + parameters drawn) per sample.
MAX_SAMPLES = 2_000_000
#: Samples solved at once (bounded memory: the solver keeps a chunk's trajectories while it works).
CHUNK = 10_000
#: The percentiles summarised, as (key, fraction).
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))


@dataclass(frozen=True)
class Design:
    """One Monte Carlo: what is drawn, what is held, what is summarised.

    ``dists`` are the drawn parameters' distributions, already fitted to their
    bounds (:func:`pysie.distributions.bounded`); ``held`` the validated value
    of every other parameter of ``scenario``; ``outputs`` the names
    summarised; ``in_workbook``: the samples are rows of the model's own
    Monte Carlo table (``dists`` is then empty)."""

    model: Model
    scenario: Model
    dists: Mapping[str, Distribution]
    held: Mapping[str, float]
    outputs: tuple[str, ...]
    samples: int
    seed: int
    copula: GaussianCopula | None = None
    in_workbook: bool = False

    def unit(self, name: str) -> str:
        """The unit of an output or drawn parameter."""
        for output in self.scenario.outputs:
            if output.name == name:
                return output.unit
        for p in self.scenario.parameters:
            if p.name == name:
                return p.unit
        table = self.model.table(self.model.sampling.table) if self.in_workbook and self.model.sampling else None
        return table.column(name).unit if table is not None else ""

    def is_date(self, name: str) -> bool:
        return self.unit(name) == "date"


@dataclass
class Result:
    """The draws and outputs of every sample (arrays in sample order) and their summary."""

    design: Design
    draws: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float | str | None]]:
        """``{output: {"p10", "p50", "p90", "mean", "never"}}`` (:func:`summarize`);
        date outputs as ISO dates."""
        out: dict[str, dict[str, float | str | None]] = {}
        for name in self.design.outputs:
            stats = summarize(self.outputs[name])  # sorts every sample once per output
            dated = self.design.is_date(name)
            out[name] = {k: (iso_date(v) if dated and k != "never" else v) for k, v in stats.items()}
        return out

    def report(self) -> dict[str, Any]:
        """The JSON object of ``pysie mc --json``."""
        d = self.design
        return {
            "model": d.model.name,
            "samples": d.samples,
            "seed": d.seed,
            "drawn": {name: dist.spec for name, dist in d.dists.items()},
            "held": {k: v for k, v in d.held.items() if k not in d.dists},
            "outputs": self.summary(),
            "units": {name: d.unit(name) for name in d.outputs},
            "rule": NEVER_RULE,
        }


NEVER_RULE = (
    "never: share of samples where the output is never reached or past the horizon (counted, not dropped); "
    "percentiles rank those samples above every reached value (null when a percentile falls among them); "
    "mean: over the samples that reach it"
)


def summarize(values: np.ndarray) -> dict[str, float | None]:
    """p10, p50, p90, mean and never of one output over the samples (see the module docstring).

    Percentile q of n values sorted ascending (never-reached last): position
    h = (n - 1) q, value x_floor(h) + (h - floor(h)) (x_floor(h)+1 - x_floor(h)),
    as Excel's PERCENTILE.INC and numpy's default; None when it reads a
    never-reached sample (with a weight above 0)."""
    x = np.asarray(values, dtype=float)
    reached = np.isfinite(x)
    ordered = np.sort(np.where(reached, x, np.inf))
    n = ordered.size
    out: dict[str, float | None] = {}
    for key, q in QUANTILES:
        h = (n - 1) * q
        lo = math.floor(h)
        frac = h - lo
        a = ordered[lo]
        b = ordered[min(lo + 1, n - 1)]
        if not math.isfinite(a) or (frac > 0 and not math.isfinite(b)):
            out[key] = None
        else:
            out[key] = float(a + frac * (b - a)) if frac > 0 else float(a)
    out["mean"] = float(x[reached].mean()) if reached.any() else None
    out["never"] = float(1.0 - reached.mean())
    return out


# --- designing a run ----------------------------------------------------------------------------


def samples_of(model: Model) -> Model:
    """The model each sample solves; :class:`InputError` for a model that samples nothing."""
    if model.uncertainty is not None:
        return model.uncertainty.scenario or model
    if model.sampling is not None and model.sampling.table:
        return model
    raise InputError(f"model {model.name!r} declares no distributions: it has nothing to sample")


def _check_count(samples: object, limit: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError(f"samples: a whole number >= 1 is needed, found {samples!r}")
    if samples > limit:
        raise InputError(
            f"samples: {samples:,} is above the limit of {limit:,} (every sample's outputs are kept in memory; "
            "raise the limit with --max-samples, or max_samples= in Python)"
        )
    return int(samples)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise InputError(f"seed: a whole number from 0 to 2**63 - 1 is needed, found {seed!r}")
    return int(seed)


def fitted_distribution(p: Parameter, dist: Distribution | str) -> Distribution:
    """A distribution for ``p`` (a spec text is parsed), fitted to its bounds."""
    if isinstance(dist, str):
        dist = parse_spec(dist, p.name)
    if p.structural:
        raise InputError(f"{p.name}: a structural parameter (it sets the number of rows) cannot be drawn")
    if p.integer and not isinstance(dist, Fixed):
        raise InputError(f"{p.name}: takes whole numbers ({p.allowed_text()}); hold it with --set or fixed:V")
    return bounded(dist, p)


def design(
    model: Model,
    samples: int,
    seed: int,
    *,
    dists: Mapping[str, Distribution | str] | None = None,
    values: Mapping[str, object] | None = None,
    outputs: Sequence[str] | None = None,
    max_samples: int = MAX_SAMPLES,
) -> Design:
    """A validated Monte Carlo of ``model`` (:class:`InputError` naming the parameter otherwise).

    ``dists`` replace or add distributions (``{name: Distribution or "lognormal:P10:P90"}``);
    ``fixed:V`` holds a parameter at V. ``values`` hold parameters at a value: a parameter
    with a default distribution stops being drawn. A name in both is refused."""
    scenario = samples_of(model)
    n = _check_count(samples, max_samples)
    seed = _check_seed(seed)
    dists, values = dict(dists or {}), dict(values or {})
    known = [p.name for p in scenario.parameters]
    for name in (*dists, *values):
        if name not in known:
            raise InputError(f"model {model.name!r} has no parameter {name!r}{nearest_names(name, known)}")
    for name in set(dists) & set(values):
        raise InputError(f"{name}: given both a distribution and a value; give one")
    if model.uncertainty is None:
        return _in_workbook(model, n, seed, dists, values, outputs)
    drawn: dict[str, Distribution] = {}
    for p in scenario.parameters:
        if p.name in values:
            continue
        dist = dists.get(p.name, p.dist)
        if dist is None:
            continue
        fitted = fitted_distribution(p, dist)
        if isinstance(fitted, Fixed):
            values[p.name] = fitted.value
        else:
            drawn[p.name] = fitted
    held = scenario.resolve(None, values)
    for name, dist in drawn.items():  # the cross-parameter checks at the distributions' medians
        held[name] = scenario.parameter(name).validate(dist.quantile(0.5))
    scenario.resolve(None, held)
    _check_ranges(scenario, drawn, held)
    correlations = {pair: rho for pair, rho in model.uncertainty.correlations.items() if set(pair) <= set(drawn)}
    copula = GaussianCopula(correlations) if correlations else None
    if copula is not None:
        copula.cholesky(tuple(drawn))
    names = check_outputs(
        model, scenario, model.uncertainty.outputs or tuple(o.name for o in scenario.outputs), outputs
    )
    return Design(model, scenario, drawn, held, names, n, seed, copula)


def check_outputs(
    model: Model, scenario: Model, default: tuple[str, ...], asked: Sequence[str] | None
) -> tuple[str, ...]:
    """``asked`` (each one of ``default``, else :class:`InputError` with the nearest), or ``default``."""
    if not asked:
        return default
    for name in asked:
        if name not in default:
            raise InputError(f"model {model.name!r} has no Monte Carlo output {name!r}{nearest_names(name, default)}")
    return tuple(asked)


def _in_workbook(
    model: Model,
    n: int,
    seed: int,
    dists: Mapping[str, object],
    values: dict[str, object],
    outputs: Sequence[str] | None,
) -> Design:
    """A model whose workbook samples: ``samples``/``seed`` are its own parameters."""
    sampling = model.sampling
    assert sampling is not None
    if dists:
        raise InputError(
            f"model {model.name!r} draws its samples in its workbook (the {model.table(sampling.table).sheet} sheet); "
            f"its distributions are set by its parameters (pysie list {model.name}), not by --dist"
        )
    for name in (sampling.samples, sampling.seed):
        if name in values:
            raise InputError(f"{name}: set it with --samples/--seed, not --set")
    held = model.resolve(None, {**values, sampling.samples: n, sampling.seed: seed})
    names = check_outputs(model, model, sampling.columns, outputs)
    return Design(model, model, {}, held, names, n, seed, in_workbook=True)


# --- running it ---------------------------------------------------------------------------------


def _check_ranges(scenario: Model, drawn: Mapping[str, Distribution], held: Mapping[str, float]) -> None:
    """Refuse, before anything is solved, a distribution that reaches values the
    model's cross-parameter rules refuse: each drawn parameter at its 0.1st and
    99.9th percentiles, the others at their medians (a rarer draw that breaks a
    rule is still refused when it is solved, naming its sample)."""
    ends = [(name, q, dist.quantile(q)) for name, dist in drawn.items() for q in (0.001, 0.999)]
    if not ends:
        return
    if scenario.check_values is None:
        return
    arrays = {name: np.full(len(ends), value) for name, value in held.items()}
    for i, (name, _, value) in enumerate(ends):
        arrays[name][i] = value
    try:
        scenario.check_values(arrays)
    except ScenarioError as exc:
        name, q, value = ends[exc.scenario]
        raise InputError(
            f"{name}: {drawn[name].spec} reaches {value:g} (its {q:.1%} quantile), which the model refuses: {exc}"
        ) from None


def chunks(samples: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """(start, stop) of each chunk of samples."""
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise InputError(f"chunk: a whole number >= 1 is needed, found {chunk!r}")
    return [(start, min(start + chunk, samples)) for start in range(0, samples, chunk)]


def solve_chunk(d: Design, start: int, stop: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draws and outputs of samples ``start:stop`` (a pure function of the design and the range)."""
    draws = sample_range(d.dists, start, stop, d.seed, d.copula)
    return draws, solve_draws(d, draws, start, stop, d.outputs)


def solve_draws(
    d: Design, draws: Mapping[str, np.ndarray], start: int, stop: int, outputs: Sequence[str]
) -> dict[str, np.ndarray]:
    """``outputs`` of samples ``start:stop`` of the scenario model: the drawn
    parameters at ``draws`` (arrays of stop - start values), the rest held.
    The cross-parameter rules are checked first, naming the sample that breaks one."""
    n = stop - start
    arrays = {name: np.full(n, value) for name, value in d.held.items()} | dict(draws)
    check_scenarios(d.scenario, arrays, n, offset=start, noun="sample")
    solved = solver.solve_scalars(d.scenario, arrays)
    return {name: np.broadcast_to(solved[name], (n,)) for name in outputs}


Map = Callable[[Callable[..., Any], Sequence[tuple[int, int]]], Iterator[Any]]


def _in_process(function: Callable[..., Any], ranges: Sequence[tuple[int, int]]) -> Iterator[Any]:
    for start, stop in ranges:
        yield function(start, stop)


def map_ranges(
    function: Callable[[int, int], Any],
    ranges: Sequence[tuple[int, int]],
    map_chunks: Map | None = None,
    progress: str = "",
) -> list[Any]:
    """``function(start, stop)`` of every range, in order: in-process or
    through ``map_chunks`` (:mod:`pysie.scheduler`); a progress bar titled
    ``progress`` when it is given."""
    parts = (map_chunks or _in_process)(function, ranges)
    if progress:
        from tqdm import tqdm

        parts = iter(tqdm(parts, total=len(ranges), unit="chunk", desc=progress, leave=False))
    return list(parts)


def run(d: Design, chunk: int = CHUNK, map_chunks: Map | None = None, progress: bool = False) -> Result:
    """Solve every sample of ``d``: in-process, or through ``map_chunks`` (a
    scheduler's map of ``function(start, stop)`` over the ranges, results in
    order; :mod:`pysie.scheduler`)."""
    if d.in_workbook:
        return _run_in_workbook(d)
    ranges = chunks(d.samples, chunk)

    def one(start: int, stop: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        return solve_chunk(d, start, stop)

    pieces = map_ranges(one, ranges, map_chunks, f"mc {d.model.name}" if progress else "")
    draws = {name: np.concatenate([p[0][name] for p in pieces]) for name in d.dists}
    outputs = {name: np.concatenate([p[1][name] for p in pieces]) for name in d.outputs}
    return Result(d, draws, outputs)


def _run_in_workbook(d: Design) -> Result:
    sampling = d.model.sampling
    assert sampling is not None
    solution = solver.solve(d.model, d.held)
    table = solution.tables[sampling.table]
    return Result(d, {}, {name: np.asarray(table[name][:, 0], dtype=float) for name in d.outputs})


def sample_columns(result: Result) -> tuple[list[Field], dict[str, np.ndarray]]:
    """The per-sample table of ``pysie mc -o``: the columns ``sample`` (from 0),
    every drawn parameter, every output summarised; and their arrays."""
    d = result.design
    fields = [Field("sample", "", "sample number from 0", integer=True)]
    fields += [Field(name, d.unit(name), f"drawn: {dist.spec}") for name, dist in d.dists.items()]
    fields += [Field(name, d.unit(name), "output", date=d.is_date(name)) for name in d.outputs]
    columns = {"sample": np.arange(d.samples), **result.draws, **result.outputs}
    return fields, columns
