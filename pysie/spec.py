"""Declarations: a model is parameters, derived inputs, tables of columns
stepped row by row, result cells, closed-form check cells and presets.

The declaration is the single source of both engines. :func:`Model.validate`
rejects a declaration that could not be laid out as a workbook (duplicate
names, names that look like cell references, unknown references).
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from pysie.dates import date_or_serial
from pysie.distributions import Distribution, PointMass, bounded, shape_of, with_numbers
from pysie.errors import InputError
from pysie.expr import Call, Cell, Col, Const, Expr, Name, NumberOr, Range
from pysie.options import date_value

_CELL_LIKE = re.compile(r"^[A-Za-z]{1,3}[0-9]+$|^[RrCc]$|^[Rr][0-9]*[Cc][0-9]*$")
_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def check_defined_name(name: str) -> None:
    """A defined name must be a valid Excel name that does not look like a cell."""
    if not _NAME_OK.match(name) or _CELL_LIKE.match(name) or name.upper() in {"TRUE", "FALSE"}:
        raise ValueError(f"{name!r} cannot be a workbook name (it looks like a cell reference or is not a valid name)")


@dataclass(frozen=True)
class Parameter:
    """One input: a row of the Inputs sheet and a workbook-scoped defined name.

    ``structural`` inputs fix the shape of the workbook (how many rows a table
    has, or which columns exist: :attr:`Column.when`); they are read like
    others, but a changed value needs a rebuild.
    A ``date`` input is an Excel date serial, shown as a date and given as an
    ISO date (``2027-03-31``), a ``datetime.date`` or a serial
    (:func:`pysie.options.date_value`).
    """

    name: str
    default: float
    unit: str
    description: str
    source: str
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    integer: bool = False
    structural: bool = False
    symbol: str = ""
    date: bool = False
    #: the parameter's default distribution for ``pysie mc`` and ``pysie sensitivity``
    #: (:mod:`pysie.distributions`; its ``source`` says where it comes from); None: held at its value
    dist: Distribution | None = None

    @property
    def ref(self) -> Name:
        return Name(self.name)

    def shown(self, value: float) -> str:
        """A value as messages and the Inputs sheet show it: a date as yyyy-mm-dd."""
        return date_or_serial(value) if self.date else f"{value:g}"

    def bounds_text(self) -> str:
        lo = "-inf" if self.lower is None else self.shown(self.lower)
        hi = "inf" if self.upper is None else self.shown(self.upper)
        return f"{'(' if self.lower_open else '['}{lo}, {hi}{')' if self.upper_open else ']'}"

    def allowed_text(self) -> str:
        """What the parameter accepts, for messages: ``allowed: whole numbers in [10, 100000] days``."""
        kind = "whole numbers" if self.integer else "finite numbers"
        return f"allowed: {kind} in {self.bounds_text()} {self.unit}".rstrip()

    def validate(self, value: object, where: str = "") -> float:
        """Return ``value`` as a float, or raise :class:`InputError` naming the
        parameter and ``where`` it came from (e.g. ``Inputs!B7``)."""
        at = f" ({where})" if where else ""
        if self.date:
            try:
                value = date_value(value)
            except ValueError as exc:
                raise InputError(f"{self.name}{at}: {exc}") from None
        if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(
                f"{self.name}{at}: a number is needed, found {'an empty cell' if value in (None, '') else repr(value)}"
            )
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(f"{self.name}{at}: a number is needed, found {value!r}") from None
        if not math.isfinite(number):
            raise InputError(f"{self.name}{at}: {number} is not a finite number ({self.allowed_text()})")
        if self.integer and number != int(number):
            raise InputError(f"{self.name}{at}: a whole number is needed, found {number:g} ({self.allowed_text()})")
        below = self.lower is not None and (number < self.lower or (self.lower_open and number == self.lower))
        above = self.upper is not None and (number > self.upper or (self.upper_open and number == self.upper))
        if below or above:
            raise InputError(
                f"{self.name}{at}: {self.shown(number)} is outside its bounds {self.bounds_text()} "
                f"{'' if self.date else self.unit}".rstrip()
            )
        return number


@dataclass(frozen=True)
class Scalar:
    """A single named cell computed from inputs, other scalars or whole columns.

    Outputs (the Summary sheet) also say how reports show them: ``label`` (words
    for the terminal table; an output with a label is a headline result),
    ``group`` (the heading it is listed under), ``kind`` (how a value is shown:
    see :data:`OUTPUT_KINDS`), ``report_as`` (its place in the nested JSON
    shape of ``pysie run --json``, besides the flat ``"outputs"`` object) and
    ``never`` (what an error value means, e.g. "no takeoff within the horizon").
    """

    name: str
    expr: Expr
    unit: str
    description: str
    number_format: str = "General"
    label: str = ""
    group: str = ""
    kind: str = "number"
    report_as: tuple[str, ...] = ()
    never: str = ""


#: How a report shows an output's value (an error value is always ``None``):
#: ``number`` as it is; ``integer`` as an int; ``year`` with one decimal in
#: tables; ``date`` an Excel date serial as an ISO date (``after 9999-12-31``
#: past Excel's last date); ``years_from_origin`` a span of years shown as
#: ``after 9999-12-31`` when it would end past Excel's last date counted from
#: the model's :attr:`Model.date_origin`.
OUTPUT_KINDS = ("number", "integer", "year", "date", "years_from_origin")


@dataclass(frozen=True)
class Column:
    """A quantity stepped row by row: ``first`` gives row 0, ``next`` every
    later row from the previous row (``Col(...).prev``) and this row.

    ``when = (parameter, value)``: the column exists only in a workbook (and a
    solution) of that value of a structural parameter (:meth:`Model.shaped`);
    two columns of a table may share a name when they exist for different values
    (one quantity, computed by another rule)."""

    name: str
    first: Expr
    next: Expr
    unit: str
    description: str
    number_format: str = "General"
    symbol: str = ""
    data: DataSource | None = None
    when: tuple[str, float] | None = None

    @property
    def is_data(self) -> bool:
        """Stored values (written as numbers, not formulas)."""
        return self.data is not None

    @classmethod
    def every_row(cls, name: str, expr: Expr, unit: str, description: str, number_format: str = "General") -> Column:
        """A column with one equation for every row, day 0 included."""
        return cls(name, expr, expr, unit, description, number_format)


@dataclass(frozen=True)
class DataSource:
    """Per-row input values of a column: ``values(parameters, rows)`` returns
    ``rows`` numbers from the structural parameters named in ``reads`` (e.g.
    seeded random uniforms from ``seed``). They are written into the workbook
    as plain numbers, so the sheet holds exactly what the solver used."""

    values: Callable[[Mapping[str, float], int], Any]
    reads: tuple[str, ...] = ()


def data_column(name: str, source: DataSource, unit: str, description: str, number_format: str = "General") -> Column:
    """A column of stored values (no formula) filled by ``source``."""
    return Column(name, Const(0), Const(0), unit, description, number_format, data=source)


@dataclass(frozen=True)
class Table:
    """A day-by-day (or step-by-step) sheet: one row per step, one column per quantity.

    ``rows_from`` names the structural parameter that sets the number of steps;
    the table has ``value + 1`` rows (steps 0 .. value), or ``value / step`` + 1
    when ``step_from`` is given; ``extra_rows`` replaces that 1 (0 for a table
    of ``value`` samples). An int ``rows_from`` is a fixed number of rows.
    """

    name: str
    sheet: str
    description: str
    columns: tuple[Column, ...]
    rows_from: str | int
    step_from: str | None = None
    extra_rows: int = 1
    #: what one row is, for sheet notes and docs ("day", "step", "sample")
    row_noun: str = "step"
    #: a flag column (0/1): rows where it is 1 are shaded on the sheet, the first of them marked
    #: (e.g. the day a variant reaches infinity)
    highlight: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def rows(self, values: Mapping[str, float]) -> int:
        if isinstance(self.rows_from, int):
            return self.rows_from
        count = float(values[self.rows_from])
        if self.step_from is not None:
            count = count / float(values[self.step_from])
        return round(count) + self.extra_rows

    @property
    def independent_rows(self) -> bool:
        """No row reads another row: every column has one equation for all
        rows, so the solver may compute whole columns at once."""
        return all(
            c.first == c.next
            and not any(isinstance(n, Cell) or (isinstance(n, Col) and n.lag > 0) for n in c.next.walk())
            for c in self.columns
        )

    def range(self, column: str) -> Range:
        self.column(column)
        return Range(self.name, column)


@dataclass(frozen=True)
class Axis:
    """One chart axis: a title in words with the unit in brackets, and a fixed
    scale (``None``: chosen by the spreadsheet). Values beyond ``min``/``max``
    are clipped at the edge of the plot; ``major_unit`` spaces the ticks (for
    a date axis in days, e.g. 1826.25 for one tick every five years)."""

    title: str
    min: float | None = None
    max: float | None = None
    major_unit: float | None = None
    log: bool = False
    number_format: str = "General"  # "General": the number format of the plotted column


@dataclass(frozen=True)
class Series:
    """One line of a chart: a table column against the table's first column,
    named in the legend by ``label`` (words, not the column's name)."""

    table: str
    column: str
    label: str


@dataclass(frozen=True)
class Chart:
    """A line chart of table columns against each table's first column.

    One quantity in one unit per chart (the y axis); a cell with ``#N/A`` is a
    gap in the line, so a column that holds ``NA()`` from some row on (e.g.
    once a run reaches infinity) is drawn up to that row only. With
    ``per_preset`` every series is drawn once per compared preset
    (``Model.comparison``), named by the preset."""

    title: str
    sheet: str
    series: tuple[Series, ...]
    x: Axis
    y: Axis
    per_preset: bool = False


@dataclass(frozen=True)
class Sampling:
    """A model whose workbook holds its own Monte Carlo: which parameters count
    the samples and seed them, and (for ``pysie mc``) the ``table`` with one
    row per sample and its ``columns`` summarised over the samples."""

    samples: str = "samples"
    seed: str = "seed"
    table: str = ""
    columns: tuple[str, ...] = ()
    #: the distributions the workbook draws from, listed on its Uncertainty sheet
    draws: tuple[SampledInput, ...] = ()


@dataclass(frozen=True)
class SampledInput:
    """One distribution a workbook's own Monte Carlo draws from, for its Uncertainty
    sheet: ``kind`` as :mod:`pysie.distributions` names it (``lognormal``), the
    parameters holding its numbers in that kind's order (its P10 and P90) and,
    when it has a point mass, the parameter holding the mass's probability and
    the value it puts it at."""

    name: str
    kind: str
    numbers: tuple[str, ...]
    source: str = ""
    mass: str = ""
    mass_value: float = 0.0
    #: the declared distribution (:mod:`pysie.distributions`): its numbers are the defaults of the
    #: parameters ``numbers`` (and its point mass's probability that of ``mass``)
    dist: Distribution | None = None

    @classmethod
    def of(cls, name: str, dist: Distribution, numbers: tuple[str, ...], mass: str = "") -> SampledInput:
        """The input ``name`` drawn from ``dist``, its numbers set by the parameters ``numbers``
        (a point mass's probability by ``mass``): kind, source and the mass's value from ``dist``."""
        rest = dist.rest if isinstance(dist, PointMass) else dist
        value = dist.value if isinstance(dist, PointMass) else 0.0
        return cls(name, shape_of(rest)[0], numbers, dist.source, mass, value, dist)

    def distribution(self, values: Mapping[str, float]) -> Distribution:
        """The declared distribution with the numbers ``values`` give its parameters
        (a workbook's inputs)."""
        if self.dist is None:
            raise ValueError(f"sampled input {self.name!r} declares no distribution")
        rest = self.dist.rest if isinstance(self.dist, PointMass) else self.dist
        drawn = with_numbers(rest, tuple(float(values[n]) for n in self.numbers))
        if isinstance(self.dist, PointMass):
            return replace(self.dist, probability=float(values[self.mass]), rest=drawn)
        return drawn


@dataclass(frozen=True)
class Uncertainty:
    """How ``pysie mc`` and ``pysie sensitivity`` sample a model whose
    parameters carry distributions (:attr:`Parameter.dist`).

    Each sample solves ``scenario`` (a model of one run; None: the model
    itself) with its parameters drawn; ``correlations`` are rank (Spearman)
    correlations between parameters through a Gaussian copula
    (:class:`pysie.distributions.GaussianCopula`); ``outputs`` are the
    scenario model's outputs summarised (empty: every output)."""

    scenario: Model | None = None
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowListing:
    """The ``value`` column on the rows of ``table`` where ``flag`` is 1 (e.g.
    the days a run is deployed), reported as a list under ``report_as``."""

    name: str
    table: str
    flag: str
    value: str
    description: str
    report_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A sheet of solver values: one row per labelled change of the inputs,
    one column per named output. The workbook cannot recompute these rows, so
    the sheet says it is a snapshot, when and by which pysie it was computed,
    from which input values (listed below the rows) and with which command it
    is remade, and ``pysie check`` lists its cells as not compared."""

    sheet: str
    title: str
    rows: tuple[tuple[str, Mapping[str, float]], ...]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ReportGrid:
    """A table of outputs at the defaults (for README): ``rows`` are (label,
    output names), one name per entry of ``columns``."""

    name: str
    corner: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Model:
    """A whole model: what one workbook holds."""

    name: str
    title: str
    summary: str
    sources: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    derived: tuple[Scalar, ...]
    tables: tuple[Table, ...]
    outputs: tuple[Scalar, ...]
    checks: tuple[Scalar, ...] = ()
    presets: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = ()
    #: cross-parameter checks: called with numbers (one scenario) or 1-D arrays over scenarios, it refuses
    #: the first scenario that breaks a rule with :func:`refuse_first`
    check_values: Callable[[Mapping[str, Any]], None] | None = None
    #: presets shown side by side on a Compare sheet, each with its own live table
    comparison: tuple[str, ...] = ()
    #: the model draws random samples: the parameters behind ``--samples``/``--seed``
    sampling: Sampling | None = None
    #: the parameters' distributions are sampled by ``pysie mc`` (:class:`Uncertainty`)
    uncertainty: Uncertainty | None = None
    #: rows of a table listed in reports (e.g. the days a run is deployed)
    listings: tuple[RowListing, ...] = ()
    #: sheets of solver values for labelled parameter changes (marked as snapshots)
    snapshots: tuple[Snapshot, ...] = ()
    #: (start date serial, days per year) parameters that ``years_from_origin`` outputs count from
    date_origin: tuple[str, str] | None = None
    #: tables of outputs for README (:func:`pysie.report.grid_table`)
    grids: tuple[ReportGrid, ...] = ()

    # --- look-ups -----------------------------------------------------------
    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise InputError(
            f"model {self.name!r} has no parameter {name!r}{nearest_names(name, [p.name for p in self.parameters])}"
        )

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"model {self.name!r} has no table {name!r}")

    @property
    def scalars(self) -> tuple[Scalar, ...]:
        return self.derived + self.outputs + self.checks

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.parameters}

    def preset(self, name: str | None) -> dict[str, float]:
        """Default values with a preset's values laid over them."""
        values = self.defaults()
        if name is None:
            return values
        if name not in self.presets:
            raise InputError(f"model {self.name!r} has no preset {name!r}{nearest_names(name, self.presets)}")
        values.update(self.presets[name])
        return values

    def resolve(self, preset: str | None = None, overrides: Mapping[str, object] | None = None) -> dict[str, float]:
        """Validated parameter values: defaults, then the preset, then ``overrides``."""
        values: dict[str, object] = dict(self.preset(preset))
        for key, value in (overrides or {}).items():
            self.parameter(key)
            values[key] = value
        resolved = {p.name: p.validate(values[p.name]) for p in self.parameters}
        for table in self.tables:
            check_whole_steps(table, resolved)
        if self.check_values is not None:
            self.check_values(resolved)
        return resolved

    # --- the shape a structural parameter chooses ----------------------------
    def shape_parameters(self) -> tuple[str, ...]:
        """The structural parameters that decide which columns exist (:attr:`Column.when`)."""
        return tuple(dict.fromkeys(c.when[0] for t in self.tables for c in t.columns if c.when is not None))

    def shaped(self, values: Mapping[str, Any]) -> Model:
        """The model as built for ``values`` of its shape parameters (numbers, or
        arrays holding one value): each table keeps its columns without a ``when``
        and those whose ``when`` holds, in their declared order; the model itself
        when no column has a ``when``. The solver, the layout (hence the plan,
        check and import) work on this model, so a workbook holds only its
        shape's columns; a changed shape parameter needs a rebuild
        (:func:`pysie.excel.reader.require_built_shape`). Shapes are kept, so
        each is made once."""
        names = self.shape_parameters()
        if not names:
            return self
        key = tuple(float(np.asarray(values[n], dtype=float).reshape(-1)[0]) for n in names)
        known = _SHAPES.get((id(self), key))
        if known is not None and known[0] is self:
            return known[1]
        chosen = dict(zip(names, key, strict=True))
        tables = tuple(
            table
            if all(c.when is None for c in table.columns)
            else replace(
                table,
                columns=tuple(
                    replace(c, when=None) for c in table.columns if c.when is None or chosen[c.when[0]] == c.when[1]
                ),
            )
            for table in self.tables
        )
        shaped = replace(self, tables=tables)
        _SHAPES[(id(self), key)] = (self, shaped)
        return shaped

    def shapes(self) -> list[dict[str, float]]:
        """Every combination of the values that the columns' ``when`` name (one
        dict per shape; ``[{}]`` for a model of one shape)."""
        names = self.shape_parameters()
        options = [
            sorted({c.when[1] for t in self.tables for c in t.columns if c.when is not None and c.when[0] == n})
            for n in names
        ]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options)]

    # --- presets compared side by side ---------------------------------------
    def varying_parameters(self) -> tuple[str, ...]:
        """Parameters whose value differs among the compared presets."""
        sets = [self.preset(name) for name in self.comparison]
        return tuple(p.name for p in self.parameters if len({v[p.name] for v in sets}) > 1)

    def comparison_values(
        self, values: Mapping[str, float], overrides: Mapping[str, Mapping[str, float]] | None = None
    ) -> dict[str, dict[str, float]]:
        """Inputs of each compared preset: ``values`` with the preset's own value
        of every varying parameter (or ``overrides[preset][name]``, e.g. read
        back from a workbook)."""
        out = {}
        for name in self.comparison:
            own = {k: self.preset(name)[k] for k in self.varying_parameters()}
            own.update((overrides or {}).get(name, {}))
            out[name] = {**values, **{k: self.parameter(k).validate(v, f"preset {name}") for k, v in own.items()}}
        return out

    # --- validation of the declaration --------------------------------------
    def validate(self) -> Model:
        """Check the declaration (each of its shapes, :meth:`shapes`) and return it."""
        structural = {p.name for p in self.parameters if p.structural}
        for name in self.shape_parameters():
            if name not in structural:
                raise ValueError(
                    f"model {self.name!r}: a column's when names {name!r}, which is not a structural parameter"
                )
        for shape in self.shapes():
            self.shaped(shape)._validate_shape()
        return self

    def _validate_shape(self) -> None:
        names = [p.name for p in self.parameters] + [s.name for s in self.scalars]
        seen: set[str] = set()
        for name in names:
            check_defined_name(name)
            if name in seen:
                raise ValueError(f"model {self.name!r}: name {name!r} is declared twice")
            seen.add(name)
        structural = {p.name for p in self.parameters if p.structural}
        for i, table in enumerate(self.tables):
            cols = {c.name for c in table.columns}
            if len(cols) != len(table.columns):
                raise ValueError(f"table {table.name!r}: a column name is declared twice (in one shape)")
            earlier = {t.name for t in self.tables[:i]}
            for column in table.columns:
                if column.data is not None and not set(column.data.reads) <= structural:
                    raise ValueError(
                        f"{table.name}.{column.name}: stored values may read only structural parameters, not "
                        f"{sorted(set(column.data.reads) - structural)}"
                    )
                ranges = {n.table for e in (column.first, column.next) for n in e.walk() if isinstance(n, Range)}
                if not ranges <= earlier:
                    raise ValueError(
                        f"{table.name}.{column.name}: a column may read whole columns of earlier tables only, "
                        f"not {sorted(ranges - earlier)}"
                    )
                for expr in (column.first, column.next):
                    self._check_refs(expr, seen, cols, f"{table.name}.{column.name}")
                if any(isinstance(n, Col) and n.lag > 0 for n in column.first.walk()):
                    raise ValueError(f"{table.name}.{column.name}: row 0 cannot read a previous row")
            if table.highlight:
                table.column(table.highlight)
        for scalar in self.scalars:
            self._check_refs(scalar.expr, seen, set(), scalar.name)
        self._check_words()
        self._validate_reporting(seen)
        for preset, values in self.presets.items():
            for key in values:
                self.parameter(key)
            self.resolve(preset)

    def _validate_reporting(self, names: set[str]) -> None:
        """Output kinds, sampling, listings, snapshots, charts and the date origin name what exists."""
        for scalar in self.scalars:
            if scalar.kind not in OUTPUT_KINDS:
                raise ValueError(f"{scalar.name}: kind {scalar.kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
            if scalar.kind == "years_from_origin" and self.date_origin is None:
                raise ValueError(f"{scalar.name}: kind 'years_from_origin' needs Model.date_origin")
        parameters = {p.name for p in self.parameters}
        wanted = [*(self.date_origin or ())]
        if self.sampling is not None:
            wanted += [self.sampling.samples, self.sampling.seed]
        for name in wanted:
            if name not in parameters:
                raise ValueError(f"model {self.name!r}: {name!r} is not a parameter")
        self._validate_uncertainty()
        for listing in self.listings:
            table = self.table(listing.table)
            table.column(listing.flag)
            table.column(listing.value)
        for grid in self.grids:
            unknown = {n for _, row in grid.rows for n in row} - {o.name for o in self.outputs}
            if unknown or any(len(row) != len(grid.columns) for _, row in grid.rows):
                raise ValueError(f"grid {grid.name!r}: rows must name one output per column; unknown {sorted(unknown)}")
        for snapshot in self.snapshots:
            for _, change in snapshot.rows:
                for key in change:
                    self.parameter(key)
            unknown = set(snapshot.columns) - names
            if unknown:
                raise ValueError(f"snapshot {snapshot.sheet!r}: unknown columns {sorted(unknown)}")
        for chart in self.charts:
            if chart.per_preset and not self.comparison:
                raise ValueError(f"chart {chart.sheet!r}: per_preset needs Model.comparison")
            for series in chart.series:
                self.table(series.table).column(series.column)

    def _validate_uncertainty(self) -> None:
        """In-model samples name a table and its columns; declared distributions
        fit their parameters' bounds; correlations and outputs name what exists."""
        if self.sampling is not None and self.sampling.table:
            table = self.table(self.sampling.table)
            for column in self.sampling.columns:
                table.column(column)
            for drawn in self.sampling.draws:
                for name in (*drawn.numbers, *([drawn.mass] if drawn.mass else [])):
                    self.parameter(name)
                if drawn.dist is not None:
                    defaults = {p.name: float(p.default) for p in self.parameters}
                    if drawn.distribution(defaults) != drawn.dist:
                        raise ValueError(
                            f"sampled input {drawn.name!r}: the defaults of {', '.join(drawn.numbers)} "
                            f"{'and ' + drawn.mass + ' ' if drawn.mass else ''}are not its distribution "
                            f"{drawn.dist.spec}"
                        )
        if self.uncertainty is None:
            return
        scenario = self.uncertainty.scenario or self
        sampled = {p.name for p in scenario.parameters if p.dist is not None}
        if not sampled:
            raise ValueError(f"model {self.name!r}: Uncertainty needs parameters with a distribution (Parameter.dist)")
        for p in scenario.parameters:
            if p.dist is not None:
                bounded(p.dist, p)
        for pair in self.uncertainty.correlations:
            if not set(pair) <= sampled:
                raise ValueError(f"model {self.name!r}: correlation {pair} names a parameter without a distribution")
        unknown = set(self.uncertainty.outputs) - {o.name for o in scenario.outputs}
        if unknown:
            raise ValueError(f"model {self.name!r}: uncertainty outputs {sorted(unknown)} are not outputs")

    def _check_words(self) -> None:
        """Results shown in words (:class:`~pysie.expr.NumberOr`) are whole
        result cells, and a cell that reads one reads it only where a text and
        an error give the same answer (arithmetic, ISNUMBER, IF, an INDEX
        position: ``#VALUE!``, FALSE or passed on), itself shown in words, so
        the solver's NaN stands for exactly what the workbook shows."""
        worded = {s.name for s in self.scalars if isinstance(s.expr, NumberOr)}

        def may_be_text(e: Expr) -> bool:
            if isinstance(e, Name):
                return e.name in worded
            return isinstance(e, Call) and e.op == "if" and any(may_be_text(a) for a in e.args[1:])

        exprs = [(s.name, s.expr, True) for s in self.scalars]
        exprs += [(f"{t.name}.{c.name}", e, False) for t in self.tables for c in t.columns for e in (c.first, c.next)]
        for where, expr, scalar in exprs:
            inner = expr.value if scalar and isinstance(expr, NumberOr) else expr
            for node in inner.walk():
                if isinstance(node, NumberOr):
                    raise ValueError(f"{where}: number_or(...) must be the whole expression of a result cell")
                if isinstance(node, Call) and node.op not in WORD_SAFE and any(may_be_text(a) for a in node.args):
                    raise ValueError(
                        f"{where}: {node.op.upper()} reads a result shown in words ({sorted(worded)}); "
                        f"only {', '.join(sorted(WORD_SAFE))} treat its text as the solver treats NaN"
                    )
            reads = sorted(n.name for n in inner.walk() if isinstance(n, Name) and n.name in worded)
            if reads and not (scalar and isinstance(expr, NumberOr)):
                raise ValueError(
                    f"{where}: reads {', '.join(reads)}, which may show words; wrap it in number_or(...) so the "
                    "cell shows words too, not #VALUE!"
                )

    def _check_refs(self, expr: Expr, names: set[str], cols: set[str], where: str) -> None:
        for node in expr.walk():
            if isinstance(node, Name) and node.name not in names:
                raise ValueError(f"{where}: unknown name {node.name!r}")
            if isinstance(node, (Col, Cell)) and node.name not in cols:
                raise ValueError(f"{where}: unknown column {node.name!r}")
            if isinstance(node, Range):
                self.table(node.table).column(node.name)


#: Shapes made by :meth:`Model.shaped`: (id of the model, values) -> (the model, its shape).
_SHAPES: dict[tuple[int, tuple[float, ...]], tuple[Model, Model]] = {}

#: Operations that read a result shown in words (a text) as they read an error:
#: ``#VALUE!`` (arithmetic, LN ..., an INDEX position), FALSE (ISNUMBER) or passed on (IF).
WORD_SAFE = frozenset(
    {"add", "sub", "mul", "div", "pow", "neg", "ln", "log10", "exp", "sqrt", "abs", "int", "isnumber", "if", "index"}
)


def check_whole_steps(table: Table, values: Mapping[str, float]) -> None:
    """A table stepped by ``step_from`` must fit a whole number of steps in ``rows_from``."""
    if table.step_from is None or isinstance(table.rows_from, int):
        return
    span, step = float(values[table.rows_from]), float(values[table.step_from])
    count = span / step
    if abs(count - round(count)) > 1e-9 * max(1.0, count):
        raise InputError(
            f"{table.step_from}: {step:g} does not divide {table.rows_from} = {span:g} into whole steps "
            f"({count:.6g} steps)"
        )


def broadcast_parameters(model: Model, values: Mapping[str, object]) -> tuple[dict[str, np.ndarray], int]:
    """Parameter values as 1-D float arrays of one common length (scenarios),
    each validated as :meth:`Parameter.validate` validates one value.

    Every key must be a parameter of ``model`` (an unknown name is refused with
    the nearest known names) and every parameter must be given. Each value is a
    number or a 1-D array over scenarios: finite, inside its bounds and whole
    where declared (:func:`validate_values`). Structural parameters must be the
    same in every scenario, since they fix the number of rows; the model's
    cross-parameter checks (:attr:`Model.check_values`, whole steps) hold in
    every scenario (:func:`check_scenarios`).
    """
    check_parameter_names(model, values)
    arrays = {p.name: validate_values(p, values[p.name]) for p in model.parameters}
    sizes = {a.size for a in arrays.values() if a.size != 1}
    if len(sizes) > 1:
        raise InputError(f"parameter arrays have different lengths: {sorted(sizes)}")
    n = sizes.pop() if sizes else 1
    for p in model.parameters:
        if p.structural and bool(np.any(arrays[p.name] != arrays[p.name][0])):  # (finite: validated above)
            raise InputError(
                f"{p.name}: a structural parameter (it sets the number of rows) must be the same in every scenario"
            )
    out = {k: np.broadcast_to(a, (n,)).astype(float) for k, a in arrays.items()}
    check_scenarios(model, out, n)
    return out, n


def nearest_names(name: str, known: Iterable[str]) -> str:
    """`` (did you mean a, b?)`` with the known names closest to ``name``
    (:func:`difflib.get_close_matches`), or the whole list when none is close."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=3, cutoff=0.6)
        close = [k for k in known if k.lower() in close]
    return f" (did you mean {', '.join(close)}?)" if close else f"; known: {', '.join(known)}"


def check_parameter_names(model: Model, values: Mapping[str, object]) -> None:
    """Refuse a key that is not a parameter of ``model`` (naming the nearest
    known ones) and a parameter that is not given."""
    known = [p.name for p in model.parameters]
    for key in values:
        if key not in known:
            raise InputError(f"model {model.name!r} has no parameter {key!r}{nearest_names(str(key), known)}")
    missing = [name for name in known if name not in values]
    if missing:
        raise InputError(
            f"model {model.name!r}: no value given for {', '.join(missing)} (start from Model.defaults() or resolve())"
        )


def validate_values(p: Parameter, value: object, where: str = "") -> np.ndarray:
    """``value`` (a number or a 1-D array over scenarios) as a 1-D float array,
    or :class:`InputError` naming ``p`` and, for an array, the first scenario
    that breaks the rule of :meth:`Parameter.validate` (finite, inside the
    bounds, whole where declared); the message is that method's own."""
    if not isinstance(value, (np.ndarray, list, tuple)):
        return np.array([p.validate(value, where)])
    raw = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    at = f"{where}, " if where else ""
    if raw.ndim != 1 or raw.size == 0:
        shape = "no scenarios" if raw.size == 0 else f"an array of shape {raw.shape}"
        raise InputError(f"{p.name}{f' ({where})' if where else ''}: a number or a 1-D array is needed, found {shape}")
    if raw.dtype.kind not in "iuf":  # bools, text, None, objects: each as Parameter.validate reads it
        return np.array([p.validate(v, f"{at}scenario {i}") for i, v in enumerate(raw.tolist())], dtype=float)
    array = raw.astype(float)
    bad = ~np.isfinite(array)
    with np.errstate(invalid="ignore"):
        if p.integer:
            bad |= array != np.round(array)
        if p.lower is not None:
            bad |= (array < p.lower) | ((array == p.lower) if p.lower_open else False)
        if p.upper is not None:
            bad |= (array > p.upper) | ((array == p.upper) if p.upper_open else False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        p.validate(float(array[i]), f"{at}scenario {i}")
        raise AssertionError(f"{p.name}: scenario {i} failed the array check but not Parameter.validate")
    return array


def check_scenarios(
    model: Model, arrays: Mapping[str, np.ndarray], n: int, offset: int = 0, noun: str = "scenario"
) -> None:
    """The model's cross-parameter rules (:func:`check_whole_steps` of every
    table, :attr:`Model.check_values`) in every scenario; the message names
    the scenario (counted from ``offset``) when there are several."""
    first = {name: float(a[0]) for name, a in arrays.items()}
    for table in model.tables:
        check_whole_steps(table, first)  # reads structural parameters only: one value in every scenario
    if model.check_values is None:
        return
    try:
        model.check_values(arrays)
    except ScenarioError as exc:
        raise InputError(f"{noun} {offset + exc.scenario}: {exc}" if n > 1 or offset else str(exc)) from None


class ScenarioError(InputError):
    """A cross-parameter rule broken in one scenario: ``scenario`` is its index
    in the arrays checked (:func:`refuse_first`)."""

    def __init__(self, message: str, scenario: int) -> None:
        super().__init__(message)
        self.scenario = scenario


def refuse_first(bad: object, message: Callable[[int], str]) -> None:
    """For :attr:`Model.check_values`: raise :class:`ScenarioError` with
    ``message(i)`` for the first scenario i where ``bad`` (a bool, or a bool
    array over scenarios) holds."""
    mask = np.atleast_1d(np.asarray(bad, dtype=bool))
    if mask.any():
        i = int(np.argmax(mask))
        raise ScenarioError(message(i), i)


def value_at(values: Mapping[str, Any], name: str, scenario: int) -> float:
    """The value of ``name`` in ``scenario`` (a number is the same in every scenario)."""
    array = np.atleast_1d(np.asarray(values[name], dtype=float))
    return float(array[scenario if array.size > 1 else 0])
