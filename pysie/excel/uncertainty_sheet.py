"""The Uncertainty sheet: a model's distributions as inputs, its Monte Carlo summary and its tornado.

A model that declares distributions (:class:`pysie.spec.Uncertainty`,
:attr:`pysie.spec.Parameter.dist`) gets a sheet ``Uncertainty`` with

* **the distributions**, one row per drawn parameter: its kind (lognormal,
  loguniform, uniform, normal, fixed) and its numbers (P10/P90, LO/HI,
  MEAN/SD, V) in yellow input cells, each a workbook name
  ``<parameter>_<number>`` (``research_returns_lo``), as ``pysie mc --dist``
  takes them (``loguniform:LO:HI``); a point mass is shown, not edited;
* **the Monte Carlo summary** (p10, p50, p90, mean, never of each output,
  :func:`pysie.montecarlo.summarize`) of :data:`SAMPLES` samples with seed
  :data:`SEED`, and **the tornado** (one at a time,
  :func:`pysie.sensitivity.oat`) of the model's main output, a table and,
  beside it, its bar chart (:func:`pysie.excel.charts.tornado_options`).

The distributions' sources wrap in a column :data:`SOURCE_WIDTH` wide, each row
as tall as its text (:func:`pysie.excel.cells.fit_height`).

A spreadsheet cannot redraw the samples, so the summary and the tornado are a
snapshot (grey cells, as :class:`pysie.spec.Snapshot` sheets): the sheet says
when and by which pysie they were computed, the commands that remake them,
and, below them, every input and distribution they were computed from;
``pysie check`` lists those cells as not compared. Check and import need only
where those cells are, not their numbers: they plan the sheet with
``numbers=False`` (:func:`solve_uncertainty`), which skips the Monte Carlo
(about 1.7 s of a retraining check) and holds NaN in every snapshot cell; such
a plan cannot be written (:func:`pysie.excel.writer.write_plan` refuses it).

A model that samples inside its workbook (:class:`pysie.spec.Sampling` with a
table, milestone-takeoff's Samples sheet) has live percentiles: its summary's
p10/p50/p90 are formulas reading the Summary sheet's percentile cells (found
from the declaration: an output ``PERCENTILE(samples column, q)``), compared
by ``pysie check``; its mean and never, which no cell computes, are a
snapshot of the same samples. The sheet says which cells are which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pysie import montecarlo, sensitivity
from pysie.dates import INPUT_DATE_FORMAT
from pysie.distributions import Distribution, PointMass, kind_labels, kind_of, parse_spec
from pysie.excel.cells import (
    ColumnFormat,
    EmbeddedChart,
    PlannedCell,
    SheetPlan,
    cached,
    fit_height,
    provenance_rows,
)
from pysie.excel.charts import tornado_options
from pysie.excel.layout import FormulaCell, Layout, absolute, quote_sheet
from pysie.expr import Call, Const, Range
from pysie.solver import Solution
from pysie.spec import Model, Parameter, Scalar, check_defined_name

UNCERTAINTY = "Uncertainty"
#: Samples and seed of the summary computed at build time (about a second for the largest model).
SAMPLES = 2_000
SEED = 0
#: Rows of the sheet before the distributions' header: title, two notes, date, remake, samples, blank.
TOP_ROWS = 7
DIST_COLUMNS = ("parameter", "kind", "number", "value", "number", "value", "unit", "point mass", "bounds", "source")
SUMMARY_COLUMNS = ("output", "unit", "p10", "p50", "p90", "mean", "never")
TORNADO_COLUMNS = ("parameter", "unit", "p10", "output at p10", "p90", "output at p90", "swing")
QUANTILE_KEYS = ("p10", "p50", "p90")
#: Width (characters) of the distributions' source column, whose text wraps within it: a long
#: citation makes its row taller, never the sheet wider.
SOURCE_WIDTH = 60
#: Columns of numbers (a date past 9999 shows as "after 9999-12-31").
NUMBER_WIDTH = 19
#: The tornado chart's left edge: column H, right of the tornado table (columns A-G).
CHART_COLUMN = 7
#: The unit, point mass and bounds (or "set on") columns are as wide as their longest text, within these.
TEXT_WIDTHS = (12, 34)


def has_sheet(model: Model) -> bool:
    """Does a workbook of ``model`` hold an Uncertainty sheet (declared distributions or in-workbook samples)?"""
    return model.uncertainty is not None or (model.sampling is not None and bool(model.sampling.table))


def sheet_summary(model: Model) -> str:
    """What the sheet holds, in a sentence for the Docs sheet."""
    if model.uncertainty is None:
        return (
            "The distributions the workbook's own samples are drawn from (links to the Inputs cells that set them) "
            "and the Monte Carlo summary of those samples: p10, p50 and p90 are live formulas (the Summary sheet's "
            "percentiles), the mean and the share never reached a snapshot computed when the workbook was built."
        )
    return (
        "The distributions pysie mc draws (yellow cells, each a workbook name such as "
        f"{distribution_rows(model)[0].names()[0]}; edit them there), and a snapshot, computed when "
        f"the workbook was built, of the Monte Carlo summary ({SAMPLES:,} samples, seed {SEED}) and of the "
        "one-at-a-time tornado, with its bar chart. pysie import BOOK.xlsx lists edited distributions; "
        "pysie mc BOOK.xlsx samples them "
        "with this workbook's inputs."
    )


def scenario_of(model: Model) -> Model:
    """The model each Monte Carlo sample solves."""
    return model.uncertainty.scenario or model if model.uncertainty is not None else model


def distribution_name(parameter: str, label: str) -> str:
    """The workbook name of one number of a parameter's distribution: ``research_returns_p10``."""
    return f"{parameter}_{label.lower()}"


def declared(model: Model) -> dict[str, Distribution]:
    """The declared distribution of every drawn parameter of ``model``'s samples, in declaration order."""
    if model.uncertainty is None:
        return {}
    return {p.name: p.dist for p in scenario_of(model).parameters if p.dist is not None}


@dataclass(frozen=True)
class DistRow:
    """One row of the distributions table: the parameter, its kind and numbers, a point mass kept as it is."""

    parameter: Parameter
    kind: str
    labels: tuple[str, ...]
    numbers: tuple[float, ...]
    mass: PointMass | None
    source: str

    @classmethod
    def of(cls, p: Parameter, dist: Distribution) -> DistRow:
        mass = dist if isinstance(dist, PointMass) else None
        kind, labels, numbers = kind_of(mass.rest if mass is not None else dist)
        return cls(p, kind, labels, numbers, mass, dist.source)

    def names(self) -> tuple[str, ...]:
        return tuple(distribution_name(self.parameter.name, label) for label in self.labels)

    def rebuilt(self, numbers: tuple[float, ...]) -> Distribution:
        """The distribution with ``numbers``, made by :func:`pysie.distributions.parse_spec`
        (the rule of ``pysie mc --dist``)."""
        text = ":".join([self.kind, *(repr(float(n)) for n in numbers)])
        dist = parse_spec(text, self.parameter.name, self.source)
        if self.mass is not None:
            return PointMass(self.mass.probability, self.mass.value, dist, self.mass.source)
        return dist


def distribution_rows(model: Model, dists: Mapping[str, Distribution] | None = None) -> list[DistRow]:
    """A row per drawn parameter: ``dists`` (a workbook's edited distributions) or the declared ones."""
    scenario = scenario_of(model)
    chosen = dict(declared(model)) | dict(dists or {})
    return [DistRow.of(scenario.parameter(name), dist) for name, dist in chosen.items()]


# --- solving ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintySolution:
    """What the sheet shows: the distributions, the Monte Carlo result and the tornado
    (None for a model that samples in its workbook), and the inputs they came from."""

    rows: tuple[DistRow, ...]
    result: montecarlo.Result
    tornado: sensitivity.OAT | None
    inputs: Mapping[str, float] = field(default_factory=dict)
    #: the solver's value of each live percentile output (what ``pysie check`` compares)
    live: Mapping[str, float] = field(default_factory=dict)
    #: False: a placeholder that knows where the snapshot cells are but not their numbers (all NaN)
    numbers: bool = True


_MEMO: dict[tuple[Any, ...], UncertaintySolution] = {}


def solve_uncertainty(
    model: Model,
    values: Mapping[str, float],
    solution: Solution,
    dists: Mapping[str, Distribution] | None = None,
    *,
    numbers: bool = True,
) -> UncertaintySolution | None:
    """The Monte Carlo summary and tornado of a workbook of ``values`` (its inputs):
    the drawn parameters from ``dists`` or their declarations, every other parameter
    held at the workbook's value; :data:`SAMPLES` samples, seed :data:`SEED`. A model
    that samples in its workbook is summarised from ``solution``'s own samples table.
    Results are remembered per (model, inputs, distributions). With ``numbers=False``
    nothing is sampled: the summary and the tornado hold NaN (in declaration order),
    enough for the cells' places (see the module docstring)."""
    if not has_sheet(model):
        return None
    inputs = {p.name: float(values[p.name]) for p in model.parameters}
    if model.uncertainty is None:
        sampling = model.sampling
        assert sampling is not None
        n, seed = int(inputs[sampling.samples]), int(inputs[sampling.seed])
        d = montecarlo.design(model, n, seed, values=_held(model, inputs, {sampling.samples, sampling.seed}))
        table = solution.tables[sampling.table]
        result = montecarlo.Result(d, {}, {name: np.asarray(table[name][:, 0], dtype=float) for name in d.outputs})
        live = {s.name: float(solution.values[s.name][0]) for s in live_percentiles(model).values()}
        return UncertaintySolution((), result, None, inputs, live)
    rows = tuple(distribution_rows(model, dists))
    chosen = {r.parameter.name: r.rebuilt(r.numbers) for r in rows}
    key = (model.name, tuple(sorted(inputs.items())), tuple((k, repr(v)) for k, v in chosen.items()))
    held = _held(scenario_of(model), inputs, set(chosen))
    if key in _MEMO:
        return _MEMO[key] if numbers else _placeholder(model, rows, _MEMO[key].result.design, chosen, held, inputs)
    d = montecarlo.design(model, SAMPLES, SEED, dists=chosen, values=held)
    if not numbers:
        return _placeholder(model, rows, d, chosen, held, inputs)
    result = montecarlo.run(d)
    tornado = sensitivity.oat(sensitivity.design(model, dists=chosen, values=held)[0])
    solved = UncertaintySolution(rows, result, tornado, inputs)
    if len(_MEMO) > 64:
        _MEMO.clear()
    _MEMO[key] = solved
    return solved


def _placeholder(
    model: Model,
    rows: tuple[DistRow, ...],
    d: montecarlo.Design,
    chosen: Mapping[str, Distribution],
    held: Mapping[str, float],
    inputs: Mapping[str, float],
) -> UncertaintySolution:
    """The solution of :func:`solve_uncertainty` with ``numbers=False``: NaN everywhere."""
    nothing = {name: np.full(d.samples, np.nan) for name in d.outputs}
    swings = tuple(sensitivity.Swing(name, math.nan, math.nan, math.nan, math.nan) for name in chosen)
    oat_design = sensitivity.design(model, dists=chosen, values=held)[0]
    tornado = sensitivity.OAT(oat_design, math.nan, swings)
    return UncertaintySolution(rows, montecarlo.Result(d, {}, nothing), tornado, inputs, numbers=False)


def _held(scenario: Model, inputs: Mapping[str, float], drawn: set[str]) -> dict[str, float]:
    """The workbook's value of every parameter of the scenario that is not drawn."""
    return {p.name: inputs[p.name] for p in scenario.parameters if p.name not in drawn and p.name in inputs}


# --- the sheet -------------------------------------------------------------------------------------


def live_percentiles(model: Model) -> dict[tuple[str, str], Scalar]:
    """(samples column, "p10"/"p50"/"p90") -> the output that computes that percentile
    of the column in the workbook (``PERCENTILE(column, 0.1)`` ...), for a model that
    samples in its workbook."""
    if model.sampling is None or not model.sampling.table:
        return {}
    wanted = dict(zip((0.1, 0.5, 0.9), QUANTILE_KEYS, strict=True))
    out: dict[tuple[str, str], Scalar] = {}
    for s in model.outputs:
        e = s.expr
        if isinstance(e, Call) and e.op == "percentile" and isinstance(e.args[0], Range):
            column, q = e.args[0], e.args[1]
            if column.table == model.sampling.table and isinstance(q, Const) and float(q.value) in wanted:
                out[(column.name, wanted[float(q.value)])] = s
    return out


class _Sheet:
    """Rows appended one after another."""

    def __init__(self, numbers: bool = True) -> None:
        self.ws = SheetPlan(UNCERTAINTY, snapshot=True)
        self.row = 0
        self.names: dict[str, str] = {}
        self.numbers = numbers
        #: rows of the distributions table (its header and its rows)
        self.table_rows = range(0)

    def header(self, titles: tuple[str, ...]) -> None:
        for c, title in enumerate(titles):
            self.ws.label(self.row, c, title, "header")
        self.row += 1

    def value(self, col: int, number: float | None, fmt: str = "") -> None:
        """A snapshot number (in ``fmt``, else :func:`number_format`), or the word ``never`` where there is none
        (in a plan without numbers, a NaN value cell wherever a snapshot number or word would be)."""
        if not self.numbers:
            self.ws.add(self.row, col, "value", math.nan, "snapshot", fmt or "General")
        elif number is None or not math.isfinite(number):
            self.ws.label(self.row, col, "never", "snapshot_word")
        else:
            self.ws.add(self.row, col, "value", float(number), "snapshot", fmt or number_format(number))


def number_format(value: float) -> str:
    """A format that shows ``value`` in a narrow column: whole numbers as they are, very large or
    small ones in scientific notation, others with four decimals."""
    if value == int(value) and abs(value) < 1e15:
        return "0"
    if abs(value) >= 1e6 or abs(value) < 1e-3:
        return "0.00E+00"
    return "0.0000"


def uncertainty_sheet(
    model: Model, layout: Layout, solved: UncertaintySolution, made: float
) -> tuple[SheetPlan, dict[str, str]]:
    """The Uncertainty sheet of ``solved`` (see the module docstring) and the defined
    names of its input cells (name -> ``='Uncertainty'!$D$10``)."""
    s = _Sheet(solved.numbers)
    ws = s.ws
    d = solved.result.design
    live = live_percentiles(model) if d.in_workbook else {}
    what = (
        "the distributions and the Monte Carlo summary"
        if d.in_workbook
        else ("the distributions, the Monte Carlo summary and the tornado")
    )
    ws.label(0, 0, f"Uncertainty: {what}", "title")
    if d.in_workbook:
        sheet = model.table(model.sampling.table).sheet  # type: ignore[union-attr]
        ws.label(
            1,
            0,
            f"This workbook draws its own samples (the {sheet} sheet, set by the yellow cells of the "
            "Inputs sheet): the white p10/p50/p90 cells below are live formulas over them.",
            "note",
        )
        ws.label(
            2,
            0,
            "Grey cells are a snapshot of the same samples, computed when the workbook was built (no cell "
            "computes a mean or a share never reached); pysie check compares the live cells, not the grey ones.",
            "note",
        )
    else:
        ws.label(
            1,
            0,
            "Yellow cells: each drawn parameter's distribution (edit them here; pysie import BOOK.xlsx "
            "reports the edits and pysie mc BOOK.xlsx samples them with this workbook's inputs).",
            "note",
        )
        ws.label(
            2,
            0,
            "Grey cells are a snapshot: computed once, when the workbook was built, from the inputs and "
            "distributions listed at the bottom; editing does not update them, and pysie check does not compare "
            "them.",
            "note",
        )
    provenance_rows(
        ws,
        made,
        f"pysie build {model.name} --from BOOK.xlsx -o DIR (BOOK: this workbook); the same summary: "
        f"pysie mc BOOK.xlsx --samples {d.samples} --seed {d.seed}",
    )
    ws.label(5, 0, "Samples", "bold")
    ws.add(5, 1, "value", float(d.samples), "snapshot", "0")
    ws.label(5, 2, "seed", "bold")
    ws.add(5, 3, "value", float(d.seed), "snapshot", "0")
    s.row = TOP_ROWS
    if solved.rows:
        _distributions(s, solved.rows)
    elif d.in_workbook:
        _sampled_inputs(s, model, layout, solved.inputs)
    _summary(s, model, solved, live)
    if solved.tornado is not None:
        _tornado(s, solved.tornado)
    _computed_from(s, model, solved)
    ws.freeze = (TOP_ROWS, 1)  # the title and provenance stay in view
    names = [*d.outputs, *(p.name for p in (d.scenario if not d.in_workbook else model).parameters)]
    ws.columns += _column_widths(ws, s.table_rows, max(len(n) for n in names))
    return ws, s.names


def _column_widths(ws: SheetPlan, rows: range, longest_name: int) -> list[ColumnFormat]:
    """Column widths: A as wide as the longest name (``longest_name``, of the outputs and inputs
    listed), B as the longest kind or unit, C-F the numbers, G-I (unit, point mass, bounds) as
    their longest text in the distributions' ``rows``, B and G-I within :data:`TEXT_WIDTHS`,
    and J (the source) :data:`SOURCE_WIDTH`, its text wrapped."""
    least, most = TEXT_WIDTHS

    def fitted(col: int, where: range) -> float:
        texts = [str(c.content) for c in ws.cells if c.col == col and c.kind == "label" and c.row in where]
        return min(most, max(least, max((len(t) for t in texts), default=0) + 2))

    below_top = range(TOP_ROWS, max(c.row for c in ws.cells) + 1)
    return [
        ColumnFormat(0, 0, max(24, longest_name + 2)),
        ColumnFormat(1, 1, fitted(1, below_top)),
        ColumnFormat(2, 5, NUMBER_WIDTH),
        *(ColumnFormat(c, c, fitted(c, rows)) for c in (6, 7, 8)),
        ColumnFormat(9, 9, SOURCE_WIDTH, style="wrap"),
    ]


def _distributions(s: _Sheet, rows: tuple[DistRow, ...]) -> None:
    ws = s.ws
    ws.label(s.row, 0, "Distributions drawn by pysie mc (yellow: inputs, each a workbook name)", "bold")
    s.row += 1
    first = s.row
    s.header(DIST_COLUMNS)
    for r in rows:
        p = r.parameter
        ws.label(s.row, 0, p.name, "bold")
        ws.label(s.row, 1, r.kind)
        for i, (label, number, name) in enumerate(zip(r.labels, r.numbers, r.names(), strict=True)):
            ws.label(s.row, 2 + 2 * i, label)
            ws.add(s.row, 3 + 2 * i, "input", float(number), "input", "0.0000")
            check_defined_name(name)
            s.names[name] = f"={quote_sheet(UNCERTAINTY)}!{absolute(ws.cells[-1].cell)}"
        ws.label(s.row, 6, p.unit)
        ws.label(s.row, 7, f"{r.mass.probability:g} at {r.mass.value:g}" if r.mass is not None else "")
        ws.label(s.row, 8, p.bounds_text())
        _source(s, r.source)
        s.row += 1
    s.table_rows = range(first, s.row)
    s.row += 1


#: The style of a cell in a row of wrapped text: at the top of the row, as the text starts.
TOP_STYLES = {"": "top", "bold": "bold_top", "input": "input_top"}


def _source(s: _Sheet, text: str) -> None:
    """The source of a distribution, wrapped in its :data:`SOURCE_WIDTH` column, its row as tall
    as the text and every cell of the row aligned with the text's first line."""
    s.ws.label(s.row, 9, text, "wrap")
    fit_height(s.ws, s.row, text, SOURCE_WIDTH)
    cells = s.ws.cells
    first = len(cells)
    while first and cells[first - 1].row == s.row:
        first -= 1
    cells[first:] = [replace(c, style=TOP_STYLES.get(c.style, c.style)) for c in cells[first:]]


def _live(s: _Sheet, col: int, name: str, value: float, fmt: str, expr: Any = None) -> None:
    """A live formula ``=name`` at column ``col`` of the current row, compared by ``pysie check``."""
    computes = FormulaCell(UNCERTAINTY, f"{_letter(col)}{s.row + 1}", name, None)
    s.ws.cells.append(
        PlannedCell(UNCERTAINTY, s.row, col, "formula", f"={name}", "", fmt, cached(value, expr), computes, value)
    )


def _sampled_inputs(s: _Sheet, model: Model, layout: Layout, inputs: Mapping[str, float]) -> None:
    """The distributions a workbook's own Monte Carlo draws from (:attr:`pysie.spec.Sampling.draws`):
    live formulas reading the Inputs cells that set them."""
    ws = s.ws
    draws = model.sampling.draws if model.sampling is not None else ()
    if not draws:
        return
    ws.label(s.row, 0, "Distributions the Samples sheet draws from (live: edit them on the Inputs sheet)", "bold")
    s.row += 1
    top = s.row
    s.header((*DIST_COLUMNS[:8], "set on", DIST_COLUMNS[9]))
    for drawn in draws:
        first = model.parameter(drawn.numbers[0])
        ws.label(s.row, 0, drawn.name, "bold")
        ws.label(s.row, 1, drawn.kind)
        for i, (label, name) in enumerate(zip(kind_labels(drawn.kind), drawn.numbers, strict=True)):
            ws.label(s.row, 2 + 2 * i, label)
            _live(s, 3 + 2 * i, name, inputs[name], "0.0000")
        ws.label(s.row, 6, first.unit)
        if drawn.mass:
            _live(s, 7, drawn.mass, inputs[drawn.mass], "0.00")
        cells = [drawn.numbers, (drawn.mass,) if drawn.mass else ()]
        ws.label(s.row, 8, ", ".join(f"{layout.named[n][0]}!{layout.named[n][1]}" for group in cells for n in group))
        _source(s, drawn.source)
        s.row += 1
    s.table_rows = range(top, s.row)
    s.row += 1


def _summary(s: _Sheet, model: Model, solved: UncertaintySolution, live: Mapping[tuple[str, str], Scalar]) -> None:
    ws = s.ws
    d = solved.result.design
    how = "p10/p50/p90 live, mean and never a snapshot" if live else "a snapshot"
    ws.label(s.row, 0, f"Monte Carlo summary: {d.samples:,} samples, seed {d.seed} ({how})", "bold")
    s.row += 1
    s.header(SUMMARY_COLUMNS)
    formats = {o.name: o.number_format for o in d.scenario.outputs}
    if d.in_workbook:
        table = model.table(model.sampling.table)  # type: ignore[union-attr]
        formats = {c.name: c.number_format for c in table.columns}
    for name in d.outputs:
        stats = montecarlo.summarize(solved.result.outputs[name])
        fmt = formats.get(name, "General")
        ws.label(s.row, 0, name, "bold")
        ws.label(s.row, 1, d.unit(name))
        for c, key in enumerate(QUANTILE_KEYS, start=2):
            scalar = live.get((name, key))
            if scalar is None:
                s.value(c, stats[key], fmt)
                continue
            _live(s, c, scalar.name, float(solved.live[scalar.name]), scalar.number_format, scalar.expr)
        s.value(5, stats["mean"], "" if fmt in ("0", "General") else fmt)
        s.value(6, stats["never"], "0.0%")
        s.row += 1
    s.row += 1


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col + 1)


def _tornado(s: _Sheet, oat: sensitivity.OAT) -> None:
    """The one-at-a-time table and, beside it, its bar chart; a table with ``never`` in it (an
    output not reached) has no chart, since a chart would draw the word as 0, and says so."""
    ws = s.ws
    d = oat.design
    unit = d.unit(oat.output)
    numbers = [oat.base, *(v for swing in oat.swings for v in (swing.low, swing.high))]
    drawn = s.numbers and all(v is not None and math.isfinite(v) for v in numbers)
    ws.label(
        s.row,
        0,
        f"Tornado of {oat.output} ({unit}): each drawn parameter at its p10 and p90, the others at "
        "their medians (a snapshot), largest swing first"
        + ("" if drawn or not s.numbers else "; no chart: the output is never reached in some of these runs"),
        "bold",
    )
    s.row += 1
    ws.label(s.row, 0, "output with every parameter at its median")
    s.value(3, oat.base)
    chart_row = s.row
    s.row += 1
    s.header(TORNADO_COLUMNS)
    first = s.row + 1  # the worksheet row (1-based) of the first swing
    for swing in oat.swings:
        ws.label(s.row, 0, swing.parameter, "bold")
        ws.label(s.row, 1, d.scenario.parameter(swing.parameter).unit)
        s.value(2, swing.low_value)
        s.value(3, swing.low)
        s.value(4, swing.high_value)
        s.value(5, swing.high)
        s.value(6, swing.swing)
        s.row += 1
    if drawn:
        letters = (_letter(0), _letter(3), _letter(5))  # parameter, output at p10, output at p90
        chart = tornado_options(UNCERTAINTY, range(first, s.row + 1), letters, oat.output, unit, oat.base)
        ws.charts.append(EmbeddedChart(chart_row, CHART_COLUMN, chart))
    s.row += 1


def _computed_from(s: _Sheet, model: Model, solved: UncertaintySolution) -> None:
    """Every input (and each drawn parameter's distribution) the snapshot was computed from."""
    ws = s.ws
    d = solved.result.design
    ws.label(s.row, 0, "Computed from these inputs (the Inputs sheet and the distributions above, when built)", "bold")
    s.row += 1
    s.header(("input", "unit", "value"))
    for p in (d.scenario if not d.in_workbook else model).parameters:
        ws.label(s.row, 0, p.name)
        ws.label(s.row, 1, p.unit)
        if p.name in d.dists:
            ws.label(s.row, 2, "drawn", "snapshot")
            ws.label(s.row, 3, d.dists[p.name].spec)
        else:
            s.value(2, solved.inputs[p.name], INPUT_DATE_FORMAT if p.date else "")
        s.row += 1
