"""The Python API: models, runs and workbooks as pandas DataFrames.

A thin layer over the library the command line uses, so both give the same
numbers and refuse the same input::

    import pysie
    m = pysie.model("retraining")
    r = m.run(preset="N2", research_returns=[1.2, 1.5, 2.0])
    r.summary()                                # a row per scenario
    r.trajectories("continuous_retraining")    # a row per scenario and day
    r.to_workbook("out.xlsx")                  # the live workbook of scenario 0
    book = pysie.read_workbook("out.xlsx")     # what ``pysie import`` reports
    m.sample(10_000, seed=1)                   # Monte Carlo: a row per output (pysie mc)
    m.sensitivity()                            # a tornado: a row per drawn parameter (pysie sensitivity)

- Values are validated by :func:`pysie.spec.broadcast_parameters` (through
  :func:`pysie.solver.solve`): an unknown name is refused naming the nearest
  ones; a value that is not finite, outside its bounds or not whole where
  declared is refused naming the parameter, its bounds and the scenario; a
  structural parameter (one that sets the number of rows) must be the same
  in every scenario.
- Results are :func:`pysie.report.output_value`, the values of ``pysie run
  --json``: a result that is never reached or undefined is NaN there, and the
  column ``<output>_never`` says so (True), so it is not mistaken for a
  missing number; ``date`` outputs are ISO date text (``2027-08-18``, or
  ``after 9999-12-31`` past Excel's last date, as the command line shows
  them; ``pandas.to_datetime`` reads the former).
- ``DataFrame.attrs["units"]`` maps each column to its unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pysie import montecarlo, sensitivity, spec
from pysie.build import write_workbook
from pysie.compare import CheckReport
from pysie.compare import check_workbook as _check_workbook
from pysie.fileio import OutputExists
from pysie.importer import ImportReport, import_workbook
from pysie.models import get_model
from pysie.models import model_names as _model_names
from pysie.report import output_value, report
from pysie.solver import Solution, solve, solve_scalars
from pysie.spec import InputError, nearest_names

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: suffix of the column that flags a result as never reached or undefined
NEVER_SUFFIX = "_never"
#: the top of a log axis at most (matplotlib's log ticks overflow above about 1e260; the models
#: cap an "infinite" level at 1e300)
LOG_TOP = 1e250
#: the row-number column of :meth:`Result.trajectories` when the table's row noun is one of its columns
ROW = "row"

__all__ = ["Model", "Result", "WorkbookImport", "check_workbook", "model", "model_names", "read_workbook"]


def model_names() -> list[str]:
    """Every registered model, in the order ``pysie list`` shows them."""
    return _model_names()


def model(name: str) -> Model:
    """The model called ``name``; :class:`~pysie.spec.InputError` naming the nearest known ones."""
    return Model(get_model(name))


def check_workbook(path: str | Path, engine: str = "compiled", rtol: float = 1e-9, atol: float = 0.0) -> CheckReport:
    """``pysie check``: recalculate ``path`` and compare every formula cell
    with the solver (:func:`pysie.compare.check_workbook`); ``.ok``, ``.summary()``."""
    return _check_workbook(Path(path), engine=engine, rtol=rtol, atol=atol)


def read_workbook(path: str | Path, engine: str = "compiled") -> WorkbookImport:
    """``pysie import``: read an edited workbook (the file is only read)."""
    return WorkbookImport(import_workbook(Path(path), engine=engine))


def _is_sequence(value: object) -> bool:
    return not isinstance(value, (str, bytes)) and np.ndim(value) > 0  # type: ignore[arg-type]


def _frame(columns: dict[str, Any], units: Mapping[str, str], index: pd.Index | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(columns, index=index)
    frame.attrs["units"] = {c: units[c] for c in frame.columns if c in units}
    return frame


@dataclass(frozen=True)
class Model:
    """A registered model: its parameters, presets and outputs, and :meth:`run`."""

    declaration: spec.Model

    def __repr__(self) -> str:
        return f"pysie.model({self.name!r})"

    @property
    def name(self) -> str:
        return self.declaration.name

    @property
    def title(self) -> str:
        return self.declaration.title

    @property
    def parameters(self) -> pd.DataFrame:
        """A row per parameter (indexed by name): default, unit, lower, upper,
        description, source, and whether it is integer or structural."""
        ps = self.declaration.parameters
        frame = pd.DataFrame(
            {
                "default": [p.default for p in ps],
                "unit": [p.unit for p in ps],
                "lower": [math.nan if p.lower is None else p.lower for p in ps],
                "upper": [math.nan if p.upper is None else p.upper for p in ps],
                "description": [p.description for p in ps],
                "source": [p.source for p in ps],
                "integer": [p.integer for p in ps],
                "structural": [p.structural for p in ps],
            },
            index=pd.Index([p.name for p in ps], name="name"),
        )
        frame.attrs["units"] = {p.name: p.unit for p in ps}
        return frame

    @property
    def presets(self) -> dict[str, dict[str, float]]:
        """``{preset: {parameter: value}}``: the values each preset sets (the
        other parameters keep their defaults)."""
        return {name: dict(values) for name, values in self.declaration.presets.items()}

    @property
    def outputs(self) -> pd.DataFrame:
        """A row per declared output (indexed by its defined name): unit,
        kind, label, group and description."""
        os_ = self.declaration.outputs
        frame = pd.DataFrame(
            {
                "unit": [s.unit for s in os_],
                "kind": [s.kind for s in os_],
                "label": [s.label for s in os_],
                "group": [s.group for s in os_],
                "description": [s.description for s in os_],
            },
            index=pd.Index([s.name for s in os_], name="name"),
        )
        return frame

    @property
    def tables(self) -> dict[str, list[str]]:
        """``{table: [column, ...]}``: what :meth:`Result.trajectories` can show (in some shape
        of the model: a column declared for several values of a structural input is listed once)."""
        return {t.name: list(dict.fromkeys(c.name for c in t.columns)) for t in self.declaration.tables}

    def run(self, preset: str | Sequence[str] | None = None, *, trajectories: bool = True, **values: Any) -> Result:
        """Solve the model: defaults, then ``preset``, then ``values``.

        A value that is a sequence (list, tuple, array, Series) gives one value
        per scenario; all sequences, and ``preset`` when it is a list of
        preset names (scenario i takes preset i), must have one length. A
        number is the same in every scenario. ``trajectories=False`` keeps the
        results only, solved 1,000 scenarios at a time (a full solution of
        10,000 retraining scenarios holds about 2.5 GB of trajectories).
        """
        declaration = self.declaration
        if not (preset is None or isinstance(preset, str) or _is_sequence(preset)):
            raise InputError(f"preset: a preset name or a list of them is needed, found {preset!r}")
        names = [preset] if preset is None or isinstance(preset, str) else list(preset)
        if not names:
            raise InputError(f"model {self.name!r}: preset is an empty list; give one name or None")
        for name in names:
            if name is not None and name not in declaration.presets:
                known = nearest_names(str(name), declaration.presets) if declaration.presets else "; it has none"
                raise InputError(f"model {self.name!r} has no preset {name!r}{known}")
        spec.check_parameter_names(declaration, {**declaration.defaults(), **values})  # names the nearest
        lengths = {key: len(v) for key, v in values.items() if _is_sequence(v)}
        if len(names) > 1:
            lengths = {"preset": len(names), **lengths}
        if len(set(lengths.values())) > 1:
            given = ", ".join(f"{k} has {n}" for k, n in lengths.items())
            raise InputError(f"sequences give one value per scenario and must have one length: {given}")
        bases = [declaration.preset(name) for name in names]
        inputs: dict[str, Any] = {
            p.name: bases[0][p.name] if len({b[p.name] for b in bases}) == 1 else [b[p.name] for b in bases]
            for p in declaration.parameters
        }
        inputs.update(
            {k: (list(v) if _is_sequence(v) and not isinstance(v, np.ndarray) else v) for k, v in values.items()}
        )
        varied = [p.name for p in declaration.parameters if p.name in lengths or _is_sequence(inputs[p.name])]
        if trajectories:
            solution = solve(declaration, inputs)
        else:
            scalars = solve_scalars(declaration, inputs)
            solution = Solution(declaration, scalars, {}, len(next(iter(scalars.values()))))
        labels = None if preset is None else names * (solution.scenarios if len(names) == 1 else 1)
        return Result(self, solution, tuple(varied), labels)

    @property
    def distributions(self) -> pd.DataFrame:
        """A row per parameter with a default distribution (``pysie mc`` draws
        them): its spec, median, p10, p90 and source."""
        scenario = montecarlo.samples_of(self.declaration)
        ps = [p for p in scenario.parameters if p.dist is not None]
        return pd.DataFrame(
            {
                "distribution": [p.dist.spec for p in ps],  # type: ignore[union-attr]
                "p10": [p.dist.quantile(0.1) for p in ps],  # type: ignore[union-attr]
                "median": [p.dist.quantile(0.5) for p in ps],  # type: ignore[union-attr]
                "p90": [p.dist.quantile(0.9) for p in ps],  # type: ignore[union-attr]
                "unit": [p.unit for p in ps],
                "source": [p.dist.source for p in ps],  # type: ignore[union-attr]
            },
            index=pd.Index([p.name for p in ps], name="name"),
        )

    def sample(
        self,
        n: int = montecarlo.CHUNK,
        *,
        seed: int = 0,
        dists: Mapping[str, Any] | None = None,
        outputs: Sequence[str] | None = None,
        samples: bool = False,
        **values: Any,
    ) -> pd.DataFrame:
        """Monte Carlo (what ``pysie mc --json`` summarises): ``n`` samples of
        the declared distributions, ``dists`` replacing them (a
        :mod:`pysie.distributions` object or a spec such as
        ``"lognormal:1.1:2"``), ``values`` holding parameters fixed.

        Returns a row per output: p10, p50, p90, mean and never (the share never
        reached; see :mod:`pysie.montecarlo` for how percentiles treat it), the
        units in ``attrs["units"]``. ``samples=True`` returns every sample
        instead (a row per sample: the drawn parameters and the outputs)."""
        result = montecarlo.run(
            montecarlo.design(self.declaration, n, seed, dists=dists, values=values, outputs=outputs)
        )
        units = {name: result.design.unit(name) for name in (*result.design.dists, *result.design.outputs)}
        if samples:
            fields, columns = montecarlo.sample_columns(result)
            frame = pd.DataFrame({f.name: columns[f.name] for f in fields[1:]})
            frame.index.name = "sample"
        else:
            summary = result.summary()
            frame = pd.DataFrame.from_dict(summary, orient="index")[["p10", "p50", "p90", "mean", "never"]]
            frame.index.name = "output"
        frame.attrs["units"] = units
        frame.attrs["seed"], frame.attrs["samples"] = seed, n
        return frame

    def sensitivity(
        self,
        method: str = "oat",
        output: str | None = None,
        *,
        samples: int = sensitivity.SOBOL_SAMPLES,
        seed: int = 0,
        dists: Mapping[str, Any] | None = None,
        never_as: float | None = None,
        **values: Any,
    ) -> pd.DataFrame:
        """Which drawn parameters move ``output`` (what ``pysie sensitivity
        --json`` reports; :mod:`pysie.sensitivity`): a row per parameter,
        largest effect first. ``method="oat"``: columns ``low_value`` and
        ``high_value`` (the parameter's p10 and p90), ``low`` and ``high`` (the
        output there, the others at their medians; NaN when never reached) and
        ``swing``. ``method="sobol"``: ``S1``, ``ST``, ``S1_conf``, ``ST_conf``
        from ``samples`` (SALib's base N, a power of 2: N (k + 2) solves) and
        ``seed``. ``dists`` and ``values`` as in :meth:`sample`; ``never_as``
        counts a never-reached output as that number. ``attrs``: ``output``,
        ``method``, ``unit`` (and ``samples``, ``seed``, ``never`` for Sobol')."""
        method = sensitivity.check_method(method)
        d, candidates = sensitivity.design(
            self.declaration,
            output=output,
            samples=samples if method == "sobol" else 1,
            seed=seed,
            dists=dists,
            values=values,
        )
        result = sensitivity.oat(d, never_as) if method == "oat" else sensitivity.sobol(d, candidates, never_as)
        rows = result.report()["parameters"]
        frame = pd.DataFrame.from_dict(rows, orient="index").astype(float)
        frame.index.name = "parameter"
        if method == "oat":
            frame = frame[["low_value", "high_value", "low", "high", "swing"]]
        frame.attrs.update(output=result.output, method=method, unit=d.unit(result.output))
        if isinstance(result, sensitivity.Sobol):
            frame.attrs.update(samples=d.samples, seed=d.seed, never=result.never)
        return frame


class Result:
    """The solution of a :meth:`Model.run`: one or more scenarios."""

    def __init__(self, model: Model, solution: Solution, varied: tuple[str, ...], presets: list[Any] | None) -> None:
        self.model = model
        self.solution = solution
        #: parameters that were given per scenario (or differ among the presets)
        self.varied = varied
        #: the preset of each scenario, when a preset was given
        self.presets = presets

    def __repr__(self) -> str:
        return f"<pysie result of {self.model.name}: {self.scenarios} scenario{'s' * (self.scenarios != 1)}>"

    @property
    def scenarios(self) -> int:
        return self.solution.scenarios

    def _units(self) -> dict[str, str]:
        d = self.model.declaration
        units = {p.name: p.unit for p in d.parameters}
        units.update({s.name: s.unit for s in d.outputs})
        return units

    def parameters(self) -> pd.DataFrame:
        """Every parameter's value, a row per scenario."""
        d = self.model.declaration
        columns = {p.name: self._parameter_column(p) for p in d.parameters}
        return _frame(columns, self._units(), pd.RangeIndex(self.scenarios, name="scenario"))

    def _parameter_column(self, p: spec.Parameter) -> np.ndarray:
        column = self.solution.values[p.name]
        return column.astype(np.int64) if p.integer else column.astype(float)

    def summary(self, never: bool = True) -> pd.DataFrame:
        """A row per scenario: the preset (when one was given), the varied
        parameters, then every declared output by its defined name, as
        ``pysie run --json`` reports it under ``"outputs"``; with ``never``,
        then a boolean ``<output>_never`` per output (True where the result is
        never reached or undefined, and the value NaN)."""
        d = self.model.declaration
        columns: dict[str, Any] = {}
        if self.presets is not None:
            columns["preset"] = self.presets
        for p in d.parameters:
            if p.name in self.varied:
                columns[p.name] = self._parameter_column(p)
        flags: dict[str, Any] = {}
        for s in d.outputs:
            shown = [output_value(self.solution, s, i) for i in range(self.scenarios)]
            columns[s.name] = np.array([math.nan if v is None else v for v in shown], dtype=_dtype(s, shown))
            flags[s.name + NEVER_SUFFIX] = np.array([v is None for v in shown], dtype=bool)
        if never:
            columns.update(flags)
        return _frame(columns, self._units(), pd.RangeIndex(self.scenarios, name="scenario"))

    def describe(self) -> pd.DataFrame:
        """``summary().describe()`` of the numeric results with one more row,
        ``never``: how many scenarios never reach the result (their NaN is
        not counted in ``count`` and would otherwise pass unnoticed)."""
        frame = self.summary()
        outputs = [s.name for s in self.model.declaration.outputs]
        numeric = frame[[c for c in outputs if pd.api.types.is_numeric_dtype(frame[c])]]
        with np.errstate(over="ignore"):  # the std of values near 1e300 (capped "infinite" levels) is inf
            described = numeric.describe()
        never = pd.DataFrame([[int(frame[c + NEVER_SUFFIX].sum()) for c in numeric.columns]], columns=numeric.columns)
        described = pd.concat([described, never.set_axis(["never"])])
        described.attrs["units"] = {c: self._units()[c] for c in described.columns}
        return described

    def report(self, scenario: int = 0) -> dict[str, Any]:
        """The report of one scenario, exactly as ``pysie run --json`` prints it."""
        self._check_scenario(scenario)
        self._need_tables("report")
        return report(self.solution, scenario)

    def trajectories(self, table: str) -> pd.DataFrame:
        """``table`` as a tidy frame: ``scenario``, the row number (named by the
        table's row noun: ``step``, ``day``, ``sample``..., or ``row`` when a
        column has that name), then one column per table column, each row of
        each scenario in order. An error value of the sheet is NaN."""
        declared = self._table(table)
        self._need_tables("trajectories")
        data = self.solution.tables[table]
        rows = next(iter(data.values())).shape[0]
        n = self.scenarios
        index = declared.row_noun if declared.row_noun not in {c.name for c in declared.columns} else ROW
        columns: dict[str, Any] = {"scenario": np.repeat(np.arange(n), rows), index: np.tile(np.arange(rows), n)}
        for c in declared.columns:
            columns[c.name] = np.asarray(data[c.name]).T.reshape(-1)
        units = {c.name: c.unit for c in declared.columns}
        units[index] = declared.row_noun
        return _frame(columns, units)

    def plot(
        self, table: str | None = None, column: str | None = None, *, log: bool | None = None, ax: Axes | None = None
    ) -> Axes:
        """Draw trajectories with matplotlib (``pip install 'pysie[plot]'``):
        ``column`` of ``table`` against the table's first column, a line per
        scenario; with neither, the model's first chart (the workbook's Chart
        sheet: its series, log scale and axis limits). ``log`` sets a log y
        axis (default: the chart's choice; linear for a named column). Errors
        (values past infinity) are gaps. Returns the axes."""
        plt = _pyplot()
        d = self.model.declaration
        limits: dict[str, float] = {}
        if table is None and column is None:
            if not d.charts:
                raise InputError(f"model {self.model.name!r} declares no chart; name a table and column")
            chart = d.charts[0]
            series = tuple((s.table, s.column, s.label) for s in chart.series)
            title, x_title, y_title = chart.title, chart.x.title, chart.y.title
            log = chart.y.log if log is None else log
            limits.update({side: v for side, v in (("bottom", chart.y.min), ("top", chart.y.max)) if v is not None})
        elif table is None or column is None:
            raise InputError("plot needs both table and column (or neither, for the model's chart)")
        else:
            known = [c.name for c in self._table(table).columns]
            if column not in known:
                raise InputError(f"table {table!r} has no column {column!r}{nearest_names(column, known)}")
            series, title = ((table, column, f"{column} ({table})"),), f"{column} ({table})"
            x_title, y_title = d.table(table).columns[0].name, d.table(table).column(column).unit
        self._need_tables("plot")
        if ax is None:
            _, ax = plt.subplots()
        low, high = self._draw(ax, series)
        if log:  # limits first (no autoscaling over values near 1e300), cut at LOG_TOP
            limits = {"bottom": low, "top": min(high * 10, LOG_TOP), **limits}
        if limits:
            ax.set_ylim(bottom=limits.get("bottom"), top=limits.get("top"))
        if log:
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(x_title)
        ax.set_ylabel(y_title)
        if len(series) > 1 or self.scenarios > 1:
            ax.legend(fontsize="small")
        return ax

    def _draw(self, ax: Axes, series: Sequence[tuple[str, str, str]]) -> tuple[float, float]:
        """Plot each (table, column, label) series of each scenario; the smallest
        and largest positive values drawn."""
        d = self.model.declaration
        low, high = math.inf, 0.0
        for t, c, words in series:
            x_name = d.table(t).columns[0].name
            for i in range(self.scenarios):
                own = str(self.presets[i]) if self.presets is not None else self.label(i)  # a preset names its values
                label = ", ".join(filter(None, [words if len(series) > 1 else "", own]))
                y = self.solution.column(t, c, i)
                y = np.where(np.isfinite(y), y, np.nan)  # errors (past infinity) are gaps in the line
                ax.plot(self.solution.column(t, x_name, i), y, label=label or c)
                positive = y[y > 0]
                if positive.size:
                    low, high = min(low, float(positive.min())), max(high, float(positive.max()))
        return (low, high) if high > 0 else (1.0, 10.0)

    def label(self, scenario: int) -> str:
        """Words for one scenario: its preset and varied parameters (``N2, research_returns=1.5``)."""
        parts = [] if self.presets is None else [str(self.presets[scenario])]
        parts += [f"{name}={self.solution.value(name, scenario):g}" for name in self.varied]
        return ", ".join(parts)

    def to_workbook(self, path: str | Path, scenario: int = 0, *, overwrite: bool = False) -> Path:
        """Write the live workbook of one scenario (as ``pysie build MODEL
        --set ...`` writes it): atomically, and an existing file only with
        ``overwrite``. ``pysie check`` passes on it."""
        self._check_scenario(scenario)
        d = self.model.declaration
        values = {p.name: self.solution.value(p.name, scenario) for p in d.parameters}
        try:
            write_workbook(d, values, Path(path), template=d.name, overwrite=overwrite)
        except OutputExists as exc:
            raise OutputExists(str(exc).replace("pass --force", "pass overwrite=True")) from None
        return Path(path)

    def _table(self, table: str) -> spec.Table:
        known = [t.name for t in self.model.declaration.tables]
        if table not in known:
            raise InputError(f"model {self.model.name!r} has no table {table!r}{nearest_names(table, known)}")
        return self.solution.model.table(table)  # the columns of the shape solved (Model.shaped)

    def _check_scenario(self, scenario: int) -> None:
        if isinstance(scenario, bool) or not isinstance(scenario, (int, np.integer)):
            raise InputError(f"scenario: a whole number is needed, found {scenario!r}")
        if not 0 <= scenario < self.scenarios:
            raise InputError(f"scenario {scenario}: this result has scenarios 0 to {self.scenarios - 1}")

    def _need_tables(self, what: str) -> None:
        if not self.solution.tables and self.model.declaration.tables:
            raise InputError(f"{what} needs the trajectories; this result was run with trajectories=False")


def _dtype(scalar: spec.Scalar, shown: Sequence[Any]) -> Any:
    """int64 for integer outputs without a missing value, float for numbers,
    object for dates (ISO text) and for spans shown as ``after 9999-12-31``."""
    if any(isinstance(v, str) for v in shown):
        return object
    if scalar.kind == "integer" and None not in shown:
        return np.int64
    return float


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("Result.plot needs matplotlib: pip install 'pysie[plot]'") from exc
    return plt


class WorkbookImport:
    """An edited workbook read back (``pysie import``), as DataFrames.

    ``report`` is the full :class:`pysie.importer.ImportReport` (its
    ``summary()`` is what the command line prints)."""

    def __init__(self, imported: ImportReport) -> None:
        self.report = imported
        self.model = model(imported.model)

    def __repr__(self) -> str:
        return f"<pysie workbook {self.report.book}: {self.model.name}, {len(self.changed)} changed inputs>"

    @property
    def inputs(self) -> pd.DataFrame:
        """A row per parameter (indexed by name): the workbook's ``value``, the
        ``template_value`` (the values the workbook's template gives), the
        ``cell`` it was read from (``Inputs!B7``), its ``unit`` and whether it
        ``changed``."""
        imported, d = self.report, self.model.declaration
        changed = imported.changed_inputs
        frame = pd.DataFrame(
            {
                "value": [imported.inputs[p.name] for p in d.parameters],
                "template_value": [imported.defaults[p.name] for p in d.parameters],
                "cell": [imported.input_cells[p.name] for p in d.parameters],
                "unit": [p.unit for p in d.parameters],
                "changed": [p.name in changed for p in d.parameters],
            },
            index=pd.Index([p.name for p in d.parameters], name="name"),
        )
        frame.attrs["units"] = {p.name: p.unit for p in d.parameters}
        return frame

    @property
    def changed(self) -> pd.DataFrame:
        """The rows of :attr:`inputs` whose value differs from the template's."""
        inputs = self.inputs
        frame = inputs[inputs["changed"]].drop(columns="changed")
        frame.attrs = inputs.attrs
        return frame

    @property
    def edited_formulas(self) -> pd.DataFrame:
        """A row per formula whose text is not what the model generates:
        sheet, cell, variable, expected, found."""
        rows = [e.as_json() for e in self.report.edited_formulas]
        return pd.DataFrame(rows, columns=["sheet", "cell", "variable", "expected", "found"])

    @property
    def added(self) -> pd.DataFrame:
        """Sheets (cell None) and cells added by hand: sheet, cell, content."""
        return pd.DataFrame([a.as_json() for a in self.report.added], columns=["sheet", "cell", "content"])

    @property
    def structural(self) -> list[str]:
        """Structural changes that need ``pysie build --from`` (empty when none)."""
        return list(self.report.structural)

    @property
    def results(self) -> pd.DataFrame:
        """A row per declared output (indexed by name): ``template`` (solved
        with the template's values), ``workbook`` (with the workbook's inputs)
        and, when formulas were edited, ``as_edited`` (the workbook
        recalculated as it is), then the ``unit``; never reached is NaN."""
        imported, d = self.report, self.model.declaration
        columns = {"template": imported.default_results["outputs"], "workbook": imported.results["outputs"]}
        if imported.results_as_edited is not None:
            columns["as_edited"] = imported.results_as_edited["outputs"]
        data: dict[str, Any] = {
            key: [math.nan if shown[s.name] is None else shown[s.name] for s in d.outputs]
            for key, shown in columns.items()
        }
        data["unit"] = [s.unit for s in d.outputs]
        frame = pd.DataFrame(data, index=pd.Index([s.name for s in d.outputs], name="name"))
        frame.attrs["units"] = {s.name: s.unit for s in d.outputs}
        return frame
