"""``pysie sweep``: evaluate a workbook for many input sets and tabulate them.

The workbook is compiled once (:mod:`pysie.recalc.compiled`) and evaluated for
every input set. Inputs are defined names; the grid is the product of
``NAME=LO:HI:COUNT`` ranges, or ``samples`` uniform random draws within them.
The output has one row per scenario: ``scenario`` (from 0), the swept
inputs, then every defined name on a formula cell (derived inputs, the
Summary and Theory results), each group in the model's declaration order;
see :mod:`pysie.tables_out` for the CSV and Parquet files (units, dates,
errors).

What is refused, before any evaluation (each as :class:`InputError` naming
the parameter):

- a value ``run`` and ``import`` would refuse: every value of the grid (or
  both ends of a sampled range) goes through the model's
  :meth:`pysie.spec.Parameter.validate` (finite, inside the bounds, whole
  where declared), and every scenario through the model's cross-parameter
  checks (:func:`pysie.spec.check_scenarios`); the other inputs are the
  workbook's own, read and validated as ``import`` reads them;
- a structural input (it sets the number of rows, e.g. ``horizon_days``,
  ``samples``): the sheet has the rows it was built with, so sweeping it
  would silently reuse them; rebuild with ``pysie build --set`` instead;
- workbook metadata (``pysie_*``), a result (a formula cell), an unknown
  name (with the nearest names), a name given twice;
- more than :data:`MAX_SCENARIOS` scenarios (``--max-scenarios`` raises it).

The scenarios are generated, evaluated and written in chunks of
:data:`CHUNK_SCENARIOS`, so memory stays bounded however long the sweep is.
A workbook without pysie metadata (no defined name ``pysie_model``) is
swept by its defined names; its values are only checked to be finite.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from pysie import steps
from pysie.excel.reader import (
    defined_name_target,
    open_workbook,
    read_inputs,
    read_metadata,
    require_built_shape,
    require_model_sheets,
)
from pysie.models import get_model
from pysie.options import MAX_SCENARIOS, parse_decimal, parse_integer, set_usage
from pysie.recalc.compiled import Unsupported, compile_workbook
from pysie.spec import InputError, Model, Parameter, check_scenarios, nearest_names
from pysie.tables_out import Field, check_output, open_table, parameter_field, scalar_field

Span = tuple[float, float, int]

#: Scenarios generated, evaluated and written at once.
CHUNK_SCENARIOS = 20_000


def parse_span(text: str) -> Span:
    """``LO:HI:COUNT`` (or a single value) as (lo, hi, count).

    Numbers are decimal literals (``1_000`` and ``0x10`` are refused) and
    ``COUNT`` a whole number >= 1. Whether the values suit the parameter is
    checked against the model (:func:`plan_sweep`)."""
    parts = text.split(":")
    try:
        if len(parts) == 1:
            value = parse_decimal(parts[0])
            return value, value, 1
        if len(parts) != 3:
            raise ValueError
        lo, hi = parse_decimal(parts[0]), parse_decimal(parts[1])
        count = parse_integer(parts[2])
    except ValueError:
        raise InputError(f"expected LO:HI:COUNT or one VALUE, got {text!r}") from None
    if count < 1:
        raise InputError(f"COUNT must be at least 1 in {text!r}")
    return lo, hi, count


def parse_sets(items: Sequence[str]) -> tuple[dict[str, Span], dict[str, str]]:
    """``NAME=SPAN`` strings as ({name: span}, {name: text}); a name given
    twice is refused (which of the two was meant?)."""
    spans: dict[str, Span] = {}
    texts: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(set_usage(item, "NAME=LO:HI:COUNT (or NAME=VALUE)"))
        if name in spans:
            raise InputError(f"{name}: given twice (--set {name}={texts[name]} and --set {item.strip()}); give it once")
        try:
            spans[name] = parse_span(value.strip())
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from None
        texts[name] = value.strip()
    return spans, texts


@dataclass
class SweepPlan:
    """What a sweep evaluates: validated spans, the scenario count, the model
    (None for a workbook without pysie metadata) and the workbook's inputs."""

    book: Path
    spans: dict[str, Span]
    samples: int | None
    seed: int
    scenarios: int
    model: Model | None = None
    base: dict[str, float] = field(default_factory=dict)
    integer: set[str] = field(default_factory=set)

    def chunks(self, size: int = CHUNK_SCENARIOS) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """(first scenario, {name: values}) for consecutive chunks of scenarios.

        The grid is the product of the axes in the order given, the last
        fastest (as :func:`itertools.product`). Samples draw each name from
        its own stream (:class:`numpy.random.SeedSequence` spawned from
        ``seed``), so the values do not depend on the chunk size; a whole-number
        parameter draws whole numbers uniformly from its range."""
        names = list(self.spans)
        if self.samples is not None:
            streams = [np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(len(names))]
        else:
            axes = [_axis(*self.spans[name]) for name in names]
        for lo in range(0, self.scenarios, size):
            hi = min(self.scenarios, lo + size)
            if self.samples is not None:
                out = {name: self._draw(name, rng.random(hi - lo)) for name, rng in zip(names, streams, strict=True)}
            else:
                index = np.unravel_index(np.arange(lo, hi), [a.size for a in axes])
                out = {name: axis[i] for name, axis, i in zip(names, axes, index, strict=True)}
            yield lo, out

    def _draw(self, name: str, u: np.ndarray) -> np.ndarray:
        lo, hi, _ = self.spans[name]
        lo, hi = min(lo, hi), max(lo, hi)
        if name in self.integer:
            first, last = math.ceil(lo), math.floor(hi)
            return np.minimum(first + np.floor(u * (last - first + 1)), last)
        return np.clip(lo + u * (hi - lo), lo, hi)


def _axis(lo: float, hi: float, count: int) -> np.ndarray:
    """The values of one grid axis: ``lo + (hi - lo) i / (count - 1)`` computed
    exactly from the decimal numbers ``lo`` and ``hi`` stand for (their
    shortest text, as typed: ``1.1``), then rounded once to the nearest float.

    So ``1.1:2:5`` gives 1.1, 1.325, 1.55, 1.775, 2 and not the
    1.3250000000000002 that ``numpy.linspace`` computes in binary; each value
    lies within its ends. The arithmetic is on Python integers, whose true
    division is correctly rounded."""
    if count == 1:
        return np.array([lo], dtype=float)
    (p_lo, q_lo), (p_hi, q_hi) = (Decimal(repr(float(v))).as_integer_ratio() for v in (lo, hi))
    steps = count - 1
    start, span, scale = p_lo * q_hi * steps, (p_hi * q_lo - p_lo * q_hi), q_lo * q_hi * steps
    axis = np.array([(start + span * i) / scale for i in range(count)], dtype=float)
    return np.clip(axis, min(lo, hi), max(lo, hi))


def scenario_count(spans: Mapping[str, Span], samples: int | None) -> int:
    """Scenarios of the grid (the product of the counts) or of the sample."""
    return samples if samples is not None else math.prod(count for _, _, count in spans.values())


def _workbook_model(book: Path) -> tuple[Model | None, dict[str, float], list[str]]:
    """(model, validated inputs, defined names) of a pysie workbook, read as
    ``import`` reads them; the model is None (and the inputs empty) for a
    workbook without the defined name ``pysie_model``."""
    steps.begin("reading the workbook's inputs")
    wb = open_workbook(book, read_only=True)
    try:
        names = [str(n) for n in wb.defined_names]
        if defined_name_target(wb, "pysie_model") is None:
            return None, {}, names
        model = get_model(read_metadata(wb, book).model)
        require_model_sheets(wb, model, book)
        values, cells = read_inputs(wb, model, book, evaluate_formula=_formula_value(book))
        require_built_shape(wb, model, values, cells, book)
        return model, values, names
    finally:
        wb.close()


def _formula_value(book: Path) -> Any:
    """``(sheet, cell) -> value`` of an input cell holding a formula, computed by
    the compiled engine as ``import`` computes it (the workbook is compiled on
    the first call only)."""
    values: dict[tuple[str, str], Any] = {}

    def value(sheet: str, cell: str) -> Any:
        if not values:
            values.update(_compile(book).values())
        return values.get((sheet, cell))

    return value


def _check_name(name: str, model: Model | None, workbook_names: Sequence[str]) -> Parameter | None:
    """The parameter ``name`` sweeps (None: a workbook name outside the
    model), or :class:`InputError` saying why it cannot be swept."""
    if name.lower().startswith("pysie_"):
        raise InputError(f"{name}: is workbook metadata (which model and template built it), not an input")
    declared: set[str] = set()
    if model is not None:
        params = {p.name: p for p in model.parameters}
        if name in params:
            p = params[name]
            if p.structural:
                raise InputError(
                    f"{name}: is a structural input (it sets how many rows the sheets have), so a sweep cannot vary "
                    f"it; build a workbook with pysie build --set {name}=VALUE and sweep that"
                )
            return p
        if name in {s.name for s in model.scalars}:
            raise InputError(f"{name}: is a result computed by a formula, not an input")
        declared = {n.lower() for n in params} | {s.name.lower() for s in model.scalars}
    if name.lower() in {n.lower() for n in workbook_names} and name.lower() not in declared:
        return None  # a name added to the workbook by hand: only finite values are checked
    known = [p.name for p in model.parameters if not p.structural] if model is not None else list(workbook_names)
    raise InputError(f"no input named {name!r}{nearest_names(name, known)}")


def _check_values(name: str, p: Parameter | None, span: Span, text: str, samples: int | None) -> None:
    """Every value the sweep gives ``name`` as ``run`` would take it: both ends
    (the values between lie within them) and, for a whole-number parameter,
    every grid value (or at least one whole number in a sampled range)."""
    lo, hi, count = span
    where = f"--set {name}={text}"
    if p is None:
        for value in (lo, hi):
            if not math.isfinite(value):
                raise InputError(f"{name} ({where}): {value} is not a finite number")
        return
    for value in (lo, hi):
        p.validate(value, where)
    if not p.integer:
        return
    if samples is not None:
        if math.ceil(min(lo, hi)) > math.floor(max(lo, hi)):
            raise InputError(f"{name} ({where}): a whole number is needed and the range holds none")
        return
    axis = _axis(lo, hi, count)
    bad = np.flatnonzero(axis != np.round(axis))
    if bad.size:
        p.validate(float(axis[bad[0]]), f"{where}, value {int(bad[0]) + 1} of {count}")


def plan_sweep(
    book: Path,
    spans: Mapping[str, Span],
    samples: int | None = None,
    seed: int = 0,
    *,
    texts: Mapping[str, str] | None = None,
    max_scenarios: int = MAX_SCENARIOS,
) -> SweepPlan:
    """Validate a sweep of ``book`` (see the module docstring) and return its plan."""
    book = Path(book)
    if not spans:
        raise InputError("sweep needs at least one --set NAME=LO:HI:COUNT")
    if samples is not None and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise InputError(f"samples: a whole number >= 1 is needed, found {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError(f"seed: a whole number >= 0 is needed, found {seed!r}")
    n = scenario_count(spans, samples)
    if n > max_scenarios:
        what = f"--samples {samples:,}" if samples is not None else " x ".join(str(c) for _, _, c in spans.values())
        raise InputError(
            f"{book}: {what} is {n:,} scenarios, more than the limit of {max_scenarios:,}; "
            "sweep fewer or raise it with --max-scenarios"
        )
    model, base, workbook_names = _workbook_model(book)
    texts = texts or {}
    plan = SweepPlan(book, dict(spans), samples, seed, n, model, base)
    for name, span in spans.items():
        p = _check_name(name, model, workbook_names)
        _check_values(name, p, span, texts.get(name, ":".join(f"{v:g}" for v in span)), samples)
        if p is not None and p.integer:
            plan.integer.add(name)
    if model is not None and model.check_values is not None:
        steps.begin("checking every scenario's inputs", total=n, unit="scenarios")
        for lo, chunk in plan.chunks():
            size = len(next(iter(chunk.values())))
            arrays = {k: np.full(size, v) for k, v in base.items()}
            arrays.update(chunk)
            check_scenarios(model, arrays, size, offset=lo)
            steps.advance(size)
    return plan


def _compile(book: Path) -> Any:
    try:
        return compile_workbook(Path(book))
    except Unsupported as exc:
        raise InputError(f"{book}: sweep needs the compiled engine, which cannot evaluate it ({exc})") from None


def _evaluate(compiled: Any, chunk: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    try:
        results = compiled.evaluate(chunk)
    except (KeyError, ValueError) as exc:
        raise InputError(str(exc).strip("'\"")) from None
    steps.advance(len(next(iter(chunk.values()))))
    return {str(k): v for k, v in results.items()}


def _begin_evaluating(plan: SweepPlan) -> None:
    steps.begin("evaluating the scenarios", total=plan.scenarios, unit="scenarios")


def _prepare(
    book: Path, spans: Mapping[str, Span], samples: int | None, seed: int, texts: Any, max_scenarios: int
) -> tuple[Any, SweepPlan]:
    """Validate, then compile (the slow part) only a sweep that will run."""
    plan = plan_sweep(book, spans, samples, seed, texts=texts, max_scenarios=max_scenarios)
    return _compile(book), plan


def sweep(
    book: Path,
    spans: Mapping[str, Span],
    samples: int | None = None,
    seed: int = 0,
    *,
    texts: Mapping[str, str] | None = None,
    max_scenarios: int = MAX_SCENARIOS,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(inputs, outputs) arrays over every scenario of ``book``, the outputs in
    declaration order (in memory;
    :func:`sweep_to_file` streams a large sweep to a file instead)."""
    compiled, plan = _prepare(Path(book), spans, samples, seed, texts, max_scenarios)
    _begin_evaluating(plan)
    parts_in: list[dict[str, np.ndarray]] = []
    parts_out: list[dict[str, np.ndarray]] = []
    for _, chunk in plan.chunks():
        parts_in.append(chunk)
        parts_out.append(_evaluate(compiled, chunk))
    join = lambda parts, names: {k: np.concatenate([p[k] for p in parts]) for k in names}  # noqa: E731
    return join(parts_in, parts_in[0]), join(parts_out, _ordered(plan, parts_out[0]))


def _in_order(names: Iterable[str], declared: Sequence[str]) -> list[str]:
    """``names`` in the order of ``declared``; names not declared (added to the
    workbook by hand, or a workbook without pysie metadata) follow in their
    own order (the sort is stable)."""
    rank = {name: i for i, name in enumerate(declared)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


def _ordered(plan: SweepPlan, results: Iterable[str]) -> list[str]:
    """The result names in declaration order: derived inputs, outputs, checks."""
    return _in_order(results, [s.name for s in plan.model.scalars] if plan.model is not None else [])


def sweep_fields(plan: SweepPlan, results: Sequence[str]) -> list[Field]:
    """The columns of a sweep's table: ``scenario``, the swept inputs (in the
    model's declaration order), then ``results``, each with its declared
    unit and description (empty for names the model does not declare)."""
    model = plan.model
    params = {p.name: p for p in model.parameters} if model is not None else {}
    scalars = {s.name: s for s in model.scalars} if model is not None else {}
    how = "random draw" if plan.samples is not None else "grid point; the last --set varies fastest"
    fields = [Field("scenario", "", f"scenario number from 0 ({how})", integer=True)]
    for name in _in_order(plan.spans, list(params)):
        p = params.get(name)
        fields.append(Field(name, "") if p is None else parameter_field(p))
    for name in results:
        s = scalars.get(name)
        fields.append(Field(name, "") if s is None else scalar_field(s))
    return fields


def sweep_to_file(
    book: Path,
    output: str | Path,
    spans: Mapping[str, Span],
    samples: int | None = None,
    seed: int = 0,
    *,
    texts: Mapping[str, str] | None = None,
    overwrite: bool = False,
    max_scenarios: int = MAX_SCENARIOS,
) -> tuple[int, int]:
    """Evaluate every scenario and write one row each, chunk by chunk, as
    CSV (``X.csv``, units in ``X.units.csv``; ``-``: standard output) or
    Parquet (``X.parquet``, a row group per chunk) (:mod:`pysie.tables_out`);
    returns (scenarios, results). ``output`` is checked first (its format,
    not BOOK, not a folder, not existing unless ``overwrite``)."""
    book = Path(book)
    check_output(output, overwrite=overwrite, inputs=[book])
    compiled, plan = _prepare(book, spans, samples, seed, texts, max_scenarios)
    _begin_evaluating(plan)
    chunks = plan.chunks()
    lo, chunk = next(chunks)
    values = _evaluate(compiled, chunk)
    fields = sweep_fields(plan, _ordered(plan, values))
    metadata = {"book": book.name, "model": plan.model.name if plan.model is not None else None}
    with open_table(output, fields, overwrite=overwrite, inputs=[book], metadata=metadata) as writer:
        while True:
            rows = len(next(iter(chunk.values())))
            writer.write({"scenario": np.arange(lo, lo + rows), **chunk, **values})
            try:
                lo, chunk = next(chunks)
            except StopIteration:
                break
            values = _evaluate(compiled, chunk)
    return plan.scenarios, len(fields) - 1 - len(plan.spans)
