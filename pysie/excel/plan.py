"""The workbook plan: every cell pysie owns, with its content and format.

:func:`plan_workbook` turns a model, its solution and a template's name into a
:class:`WorkbookPlan`: for each sheet the cells (sheet, cell, kind, content,
style and number format, and for formulas the cached value and the variable
they compute), column widths, frozen panes, comments, data validation and,
for chart sheets, the chart. Everything else reads this one plan:

* :mod:`pysie.excel.writer` writes exactly the plan;
* :mod:`pysie.importer` diffs a file against it (edited formulas, added cells)
  without building a workbook;
* :mod:`pysie.compare` and :mod:`pysie.freshness` take the formula cells and
  their expected values from it.

Kinds: ``input`` (a yellow cell bound to a defined name), ``formula``,
``value`` (a stored number, e.g. seeded random draws, or a snapshot value),
``stamp`` (the date a snapshot was computed: a rebuild keeps the old date while
the snapshot is unchanged, :func:`pysie.freshness.snapshot_dates`) and
``label`` (text: titles, headers, units, docs).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from openpyxl.utils import get_column_letter

from pysie import __version__
from pysie.dates import AFTER_LAST_DATE, INPUT_DATE_FORMAT, date_serial
from pysie.excel.cells import STAMP as STAMP
from pysie.excel.cells import ColumnFormat as ColumnFormat
from pysie.excel.cells import PageSetup as PageSetup
from pysie.excel.cells import PlannedCell as PlannedCell
from pysie.excel.cells import SheetPlan as SheetPlan
from pysie.excel.cells import cached as cached
from pysie.excel.cells import fit_height, looks_up_in, provenance_rows
from pysie.excel.charts import chart_options
from pysie.excel.docs import docs_lines
from pysie.excel.layout import (
    COMPARE,
    COMPARE_HEADER_ROW,
    DOCS,
    HOWTO_ROWS,
    INPUT_COLUMNS,
    INPUTS,
    SCALAR_COLUMNS,
    SCALAR_HEADER_ROWS,
    SUMMARY,
    TABLE_HEADER_ROWS,
    THEORY,
    FormulaCell,
    Layout,
    absolute,
    quote_sheet,
)
from pysie.excel.printer import Where, formula, number
from pysie.excel.uncertainty_sheet import solve_uncertainty, uncertainty_sheet
from pysie.expr import Col, Expr, NumberOr
from pysie.solver import Solution, solve, solve_presets
from pysie.spec import Chart, Model, Parameter, Scalar, Snapshot

#: Cell styles (XlsxWriter format properties); a number format is added per cell.
STYLES: dict[str, dict[str, Any]] = {
    "": {},
    "title": {"bold": True, "font_size": 14},
    "header": {"bold": True, "bottom": 1, "bg_color": "#DDEBF7"},
    "unit": {"italic": True, "font_color": "#595959"},
    "input": {"bg_color": "#FFF2CC", "border": 1},
    "wrap": {"text_wrap": True, "valign": "top"},
    # the other cells of a row of wrapped text, at the top as the text is
    "top": {"valign": "top"},
    "bold_top": {"bold": True, "valign": "top"},
    "input_top": {"bg_color": "#FFF2CC", "border": 1, "valign": "top"},
    "note": {"italic": True, "font_color": "#595959"},
    "bold": {"bold": True},
    "term": {"bold": True, "valign": "top"},
    "snapshot": {"bg_color": "#EDEDED"},
    "snapshot_word": {"bg_color": "#EDEDED", "align": "right"},
    "result": {"align": "right"},
    # conditional formats of a table's highlight flag: rows from the event on, and its first row
    "after": {"bg_color": "#FCE4D6"},
    "event": {"bg_color": "#F4B084", "bold": True, "top": 2, "top_color": "#C00000"},
}
METADATA_NAMES = ("pysie_model", "pysie_template", "pysie_template_version", "pysie_version")
#: Snapshot sheets: title, two notes, date and version, the command that remakes it, a blank row, the header.
SNAPSHOT_HEADER_ROW = 6


@dataclass
class WorkbookPlan:
    """Every sheet and cell of a model's workbook (see the module docstring)."""

    model: Model
    layout: Layout
    sheets: list[SheetPlan]
    names: dict[str, str]  # defined name -> "='Sheet'!$B$7"
    properties: dict[str, Any]
    #: False: the Uncertainty sheet's snapshot cells hold NaN (planned for check and import, never written)
    numbers: bool = True

    def cells(self) -> Iterator[PlannedCell]:
        for sheet in self.sheets:
            yield from sheet.cells

    def owned(self) -> dict[tuple[str, str], PlannedCell]:
        """(sheet, cell) -> the planned cell, for every cell pysie writes."""
        return {(c.sheet, c.cell): c for c in self.cells()}

    def formula_cells(self) -> list[PlannedCell]:
        return [c for c in self.cells() if c.kind == "formula"]

    def snapshot_cells(self) -> list[PlannedCell]:
        """Stored solver values that no formula recomputes, and the word ``never`` standing
        for one (not compared by check)."""
        snapshots = set(self.snapshot_sheets())
        return [c for c in self.cells() if c.sheet in snapshots and (c.kind == "value" or c.style == "snapshot_word")]

    def snapshot_sheets(self) -> list[str]:
        """The sheets of stored solver values (:class:`~pysie.spec.Snapshot` sheets, the Uncertainty sheet)."""
        return [s.name for s in self.sheets if s.snapshot]

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def restamp(self, dates: Mapping[tuple[str, str], float]) -> None:
        """Set the snapshot dates (``stamp`` cells) found in ``dates``, (sheet, cell) -> date serial."""
        for sheet in self.sheets:
            sheet.cells = [
                replace(c, content=dates[(c.sheet, c.cell)]) if c.kind == STAMP and (c.sheet, c.cell) in dates else c
                for c in sheet.cells
            ]


@dataclass(frozen=True)
class WorkbookSolution:
    """What a workbook shows: the solution of its inputs, of each compared
    preset (scenario i = preset i of ``Model.comparison``) and of each snapshot's rows."""

    solution: Solution
    presets: Solution | None
    snapshots: Mapping[str, Solution]
    #: the Uncertainty sheet's Monte Carlo and tornado (:mod:`pysie.excel.uncertainty_sheet`)
    uncertainty: Any = None


def solve_workbook(
    model: Model,
    values: Mapping[str, float],
    preset_inputs: Mapping[str, Mapping[str, float]] | None = None,
    dists: Mapping[str, Any] | None = None,
    *,
    snapshot_numbers: bool = True,
    snapshot_sheets: bool = True,
) -> WorkbookSolution:
    """Solve everything a workbook of ``values`` holds (its drawn parameters from
    ``dists``, a workbook's edited distributions, or their declarations).
    ``snapshot_numbers=False`` skips the Uncertainty sheet's Monte Carlo: check and
    import compare no snapshot number, they need only where the cells are
    (:func:`pysie.excel.uncertainty_sheet.solve_uncertainty`), and
    ``snapshot_sheets=False`` solves no :class:`~pysie.spec.Snapshot` sheet's
    rows (check reads where their stored values are from the workbook)."""
    presets = solve_presets(model, values, preset_inputs) if model.comparison else None
    snapshots = {s.sheet: _solve_snapshot(model, s, values) for s in model.snapshots} if snapshot_sheets else {}
    solution = solve(model, values)
    uncertainty = solve_uncertainty(model, values, solution, dists, numbers=snapshot_numbers)
    return WorkbookSolution(solution, presets, snapshots, uncertainty)


def _solve_snapshot(model: Model, snapshot: Snapshot, values: Mapping[str, float]) -> Solution:
    rows = [model.resolve(None, {**values, **change}) for _, change in snapshot.rows]
    return solve(model, {p.name: np.array([row[p.name] for row in rows]) for p in model.parameters})


# --- the plan ------------------------------------------------------------------------


def plan_workbook(
    model: Model, solved: WorkbookSolution, *, template: str = "", template_version: int = 1, contents: bool = True
) -> WorkbookPlan:
    """Every cell of the workbook of ``solved`` (see the module docstring);
    snapshot sheets say they were computed today (a rebuild may keep an older
    date, :meth:`WorkbookPlan.restamp`). ``contents=False`` leaves the table
    sheets' formula cells without their formula text and cached value: where
    each cell is, what it computes and the solver's value are all a check
    compares."""
    solution = solved.solution
    values = {p.name: float(solution.values[p.name][0]) for p in model.parameters}
    layout = Layout.of(model, values)
    model = layout.model  # the shape of these values (Model.shaped)
    sheets = [_inputs_sheet(layout, solution)]
    sheets += [_table_sheet(layout, solution, t.name, contents=contents) for t in model.tables]
    if solved.presets is not None:
        sheets.append(_compare_sheet(layout, solved.presets))
        for i, preset in enumerate(model.comparison):
            sheets += [_table_sheet(layout, solved.presets, t.name, preset, i, contents) for t in model.tables]
    sheets.append(_scalar_sheet(layout, solution, SUMMARY, f"Results (formulas over the {_row_sheets(model)})"))
    if model.checks:
        sheets.append(_scalar_sheet(layout, solution, THEORY, "Closed-form check cells (theory)"))
    made = date_serial(datetime.date.today().isoformat())
    sheets += [_snapshot_sheet(model, s, solved.snapshots.get(s.sheet), values, made) for s in model.snapshots]
    extra_names: dict[str, str] = {}
    if solved.uncertainty is not None:
        sheet, extra_names = uncertainty_sheet(model, layout, solved.uncertainty, made)
        sheets.append(sheet)
    sheets.append(_docs_sheet(layout, template or model.name, template_version))
    sheets += [_chart_sheet(layout, chart) for chart in model.charts]
    for sheet in sheets:
        if sheet.chart is None:
            sheet.page = _page_setup(model, sheet)
    names = {name: f"={quote_sheet(sheet)}!{absolute(cell)}" for name, (sheet, cell) in layout.named.items()}
    names.update({name: f"={quote_sheet(DOCS)}!$B${2 + i}" for i, name in enumerate(METADATA_NAMES)})
    names.update(extra_names)
    properties = {"title": model.title, "subject": f"pysie model {model.name}", "keywords": f"pysie,{model.name}"}
    numbers = solved.uncertainty is None or solved.uncertainty.numbers
    return WorkbookPlan(model, layout, sheets, names, properties, numbers)


def _page_setup(model: Model, sheet: SheetPlan) -> PageSetup:
    width = sum((c.last - c.first + 1) * c.width for c in sheet.columns)
    repeat = sheet.freeze[0] if sheet.freeze else 0
    header = f"&L{model.title.replace('&', '&&')}&R&A"
    return PageSetup(landscape=width > 100, repeat_rows=repeat, header=header[:255])


def _row_sheets(model: Model) -> str:
    """``day-by-day sheets``, ``step-by-step sheets`` ...: what the model's rows are."""
    nouns = list(dict.fromkeys(t.row_noun for t in model.tables))
    return " and ".join(f"{n}-by-{n} sheets" for n in nouns)


def stored_number(value: float) -> float:
    """A number as a workbook holds it after writing: XlsxWriter keeps 16
    significant digits (1/33 comes back as 0.0303030303030303)."""
    return float(f"{float(value):.16G}")


def _format_width(number_format: str) -> int:
    """Columns wide enough for what a format can show: a date format shows the
    words ``after 9999-12-31`` past Excel's last date."""
    return len(AFTER_LAST_DATE) + 2 if AFTER_LAST_DATE in number_format else 0


def _formula_cell(
    sheet: SheetPlan, row: int, col: int, expr: Expr, where: Where, value: float, fmt: str, computes: FormulaCell
) -> None:
    text = formula(expr, where)
    words = expr.text if isinstance(expr, NumberOr) else None
    stored = cached(value, expr)
    style = "result" if words is not None else ""  # words right-aligned, as the numbers around them are
    sheet.cells.append(
        PlannedCell(sheet.name, row, col, "formula", text, style, fmt, stored, computes, float(value), words)
    )


def param_format(p: Parameter) -> str:
    if p.date:
        return INPUT_DATE_FORMAT
    if p.integer:
        return "0"
    if p.default != 0 and (abs(p.default) >= 1e6 or abs(p.default) < 1e-3):
        return "0.00E+00"
    return "General"


def validation(p: Parameter, cell: str) -> dict[str, Any]:
    """The data-validation rule of input ``cell``: exactly the bounds its message
    states. Closed or one-sided bounds use Excel's own comparisons; a bound
    open at one end and closed at the other (``(0, 1e+06]``) needs a custom
    rule, ``=AND(B9>0,B9<=1000000)``."""
    kind = "integer" if p.integer else "decimal"
    what = "date" if p.date else f"{'whole ' if p.integer else ''}number"
    message = f"{p.name}: a {what} in {p.bounds_text()}{'' if p.date else ' ' + p.unit}".strip()
    rule: dict[str, Any] = {
        "validate": kind,
        "error_title": p.name[:32],
        "error_message": message[:255],
        "input_message": p.description[:255],
        "input_title": p.name[:32],
    }
    if p.lower is not None and p.upper is not None and (p.lower_open or p.upper_open):
        tests = [f"ISNUMBER({cell})", f"{cell}{'>' if p.lower_open else '>='}{number(p.lower)}"]
        tests.append(f"{cell}{'<' if p.upper_open else '<='}{number(p.upper)}")
        if p.integer:
            tests.append(f"{cell}=INT({cell})")
        rule.update({"validate": "custom", "value": f"=AND({','.join(tests)})"})
    elif p.lower is not None and p.upper is not None:
        rule.update({"criteria": "between", "minimum": p.lower, "maximum": p.upper})
    elif p.lower is not None:
        rule.update({"criteria": ">" if p.lower_open else ">=", "value": p.lower})
    elif p.upper is not None:
        rule.update({"criteria": "<" if p.upper_open else "<=", "value": p.upper})
    else:
        rule.update({"criteria": "between", "minimum": -1e308, "maximum": 1e308})
    return rule


def _inputs_sheet(layout: Layout, solution: Solution) -> SheetPlan:
    model = layout.model
    ws = SheetPlan(INPUTS, active=True)
    ws.label(0, 0, model.title, "title")
    howto = (
        "How to use: change the yellow values in column B; every other sheet recalculates from them.",
        "Each value is a workbook name (e.g. =research_returns), so formulas still work if rows move.",
        "Values outside the bounds in column E are refused by data validation.",
        "Check a saved copy against the Python solver: pysie check BOOK.xlsx ; re-import edits: pysie import BOOK.xlsx",
        "Inputs marked 'structural' set the number of rows: after changing one, rebuild with pysie build MODEL "
        "--from BOOK.xlsx",
    )
    for i, line in enumerate(howto[: HOWTO_ROWS - 1]):
        ws.label(1 + i, 0, line, "note")
    header = HOWTO_ROWS + 1
    for col, title in enumerate(INPUT_COLUMNS):
        ws.label(header, col, title, "header")
    for p in model.parameters:
        r = layout.input_rows[p.name] - 1
        ws.label(r, 0, p.name, "bold")
        ws.add(r, 1, "input", float(solution.values[p.name][0]), "input", param_format(p))
        ws.label(r, 2, p.unit)
        ws.label(r, 3, p.description + (" (structural)" if p.structural else ""))
        ws.label(r, 4, p.bounds_text())
        ws.label(r, 5, p.source)
        ws.validations.append((r, 1, validation(p, f"B{r + 1}")))
    ws.label(layout.derived_header_row - 1, 0, "Derived inputs (formulas)", "header")
    for col in range(1, len(SCALAR_COLUMNS)):
        ws.label(layout.derived_header_row - 1, col, "", "header")
    for s in model.derived:
        _scalar_row(ws, layout, solution, s, layout.input_rows[s.name] - 1)
    ws.columns += [
        ColumnFormat(0, 0, 30),
        ColumnFormat(1, 1, 14),
        ColumnFormat(2, 2, 20),
        ColumnFormat(3, 3, 70),
        ColumnFormat(4, 4, 14),
        ColumnFormat(5, 5, 60),
    ]
    ws.freeze = (header + 1, 1)
    return ws


def _scalar_row(ws: SheetPlan, layout: Layout, solution: Solution, s: Scalar, row: int) -> None:
    sheet, cell = layout.named[s.name]
    ws.label(row, 0, s.name, "bold")
    computes = FormulaCell(sheet, cell, s.name, None)
    _formula_cell(ws, row, 1, s.expr, Where(layout), solution.values[s.name][0], s.number_format, computes)
    ws.label(row, 2, s.unit)
    ws.label(row, 3, s.description)


def _scalar_sheet(layout: Layout, solution: Solution, sheet: str, title: str) -> SheetPlan:
    ws = SheetPlan(sheet)
    ws.label(0, 0, title, "title")
    for col, name in enumerate(SCALAR_COLUMNS):
        ws.label(SCALAR_HEADER_ROWS - 1, col, name, "header")
    scalars = layout.scalars_on(sheet)
    for i, s in enumerate(scalars):
        _scalar_row(ws, layout, solution, s, SCALAR_HEADER_ROWS + i)
    ws.label(
        SCALAR_HEADER_ROWS + len(scalars) + 1,
        0,
        "Words in a value cell (not reached, undefined ...) mean there is no number: not reached within the "
        "horizon, or undefined (e.g. N for r <= 1); pysie run --json gives null there.",
        "note",
    )
    value_width = max(16, *(_format_width(s.number_format) for s in scalars))
    ws.columns += [ColumnFormat(0, 0, 44), ColumnFormat(1, 1, value_width), ColumnFormat(2, 2, 16)]
    ws.columns.append(ColumnFormat(3, 3, 90))
    ws.freeze = (SCALAR_HEADER_ROWS, 1)
    return ws


def _table_sheet(
    layout: Layout,
    solution: Solution,
    table_name: str,
    preset: str | None = None,
    scenario: int = 0,
    contents: bool = True,
) -> SheetPlan:
    """A row-by-row sheet; for a compared ``preset``, its copy (which reads
    the preset's cells on Compare) with the values of ``scenario``; without
    ``contents``, its formula cells hold no text nor cached value (see
    :func:`plan_workbook`)."""
    table = layout.model.table(table_name)
    name = table.sheet if preset is None else layout.preset_sheets[(preset, table_name)]
    ws = SheetPlan(name)
    columns = table.columns
    for c, column in enumerate(columns):
        ws.label(0, c, column.name, "header")
        ws.label(1, c, column.unit, "unit")
        ws.comments.append((0, c, column.description))
        width = max(12, len(column.name) + 2, _format_width(column.number_format))
        ws.columns.append(ColumnFormat(c, c, width, column.number_format))
    values = {c.name: solution.tables[table_name][c.name][:, scenario].tolist() for c in columns}
    letters = layout.table_letters[table_name]

    def where(step: int) -> Where:
        return Where(layout, table_name, step) if preset is None else Where.preset(layout, preset, table_name, step)

    later = {c.name: _RowTemplate(c.next, where) for c in columns if not c.is_data and contents}
    for step in range(layout.table_rows[table_name]):
        r = TABLE_HEADER_ROWS + step
        for c, column in enumerate(columns):
            value = values[column.name][step]
            if column.is_data:
                ws.add(r, c, "value", float(value), "", column.number_format)
                continue
            if not contents:
                text, stored = "", None
            elif step == 0:
                text, stored = formula(column.first, where(0)), cached(value, column.first)
            else:
                template = later[column.name]
                text, stored = template.text(step), cached(value, looks_up=template.looks_up)
            computes = FormulaCell(name, f"{letters[column.name]}{r + 1}", column.name, step, table_name, preset)
            cell = PlannedCell(name, r, c, "formula", text, "", column.number_format, stored, computes, value)
            ws.cells.append(cell)
    ws.freeze = (TABLE_HEADER_ROWS, 1)
    if table.highlight:
        _highlight(ws, layout, table.name, len(columns))
    return ws


def _highlight(ws: SheetPlan, layout: Layout, table: str, width: int) -> None:
    """Shade the rows where the table's highlight flag is 1, and mark the
    first of them (a row whose flag is 1 and whose previous row's is not;
    the row above the first step is the units row, never 1)."""
    letter = layout.table_letters[table][layout.model.table(table).highlight]
    top, bottom = TABLE_HEADER_ROWS, TABLE_HEADER_ROWS + layout.table_rows[table] - 1
    here, above = f"${letter}{top + 1}", f"${letter}{top}"
    first = {"type": "formula", "criteria": f"=AND({here}=1,{above}<>1)", "format": "event", "stop_if_true": True}
    ws.conditional.append((top, 0, bottom, width - 1, first))
    ws.conditional.append((top, 0, bottom, width - 1, {"type": "formula", "criteria": f"={here}=1", "format": "after"}))


class _RowTemplate:
    """The formula of one column for any row, printed once.

    A column's ``next`` equation reads the same columns at fixed lags on
    every row, so its text differs between rows only in the row numbers of
    those relative references. It is printed for a probe row far below any
    table (row numbers 10,000,000 and up) and each probe row number becomes a
    slot filled with the real row; ranges and absolute cells do not move.
    Rows too early for the equation's lags are printed directly (the printer
    refuses a reference above the first row).
    """

    PROBE = 10_000_000

    def __init__(self, expr: Expr, where: Callable[[int], Where]) -> None:
        self.expr, self.where = expr, where
        self.max_lag = max((n.lag for n in expr.walk() if isinstance(n, Col)), default=0)
        probe_text = formula(expr, where(self.PROBE))
        first = TABLE_HEADER_ROWS + 1 + self.PROBE  # worksheet row of the probe step
        self.pieces: list[str] = []
        self.offsets: list[int] = []  # each slot's row relative to the step's own row
        at = 0
        for match in _PROBE_ROW.finditer(probe_text):
            self.pieces.append(probe_text[at : match.start()])
            self.offsets.append(int(match.group()) - first)
            at = match.end()
        self.pieces.append(probe_text[at:])
        self.template = "%d".join(piece.replace("%", "%%") for piece in self.pieces)
        self.looks_up = looks_up_in(expr)

    def text(self, step: int) -> str:
        if step < self.max_lag:
            return formula(self.expr, self.where(step))
        row = TABLE_HEADER_ROWS + 1 + step
        return self.template % tuple(row + offset for offset in self.offsets)


#: A row number of the probe row of :class:`_RowTemplate` (after a column's letters).
_PROBE_ROW = re.compile(r"(?<=[A-Z])1[0-9]{7}(?![0-9])")


def _compare_sheet(layout: Layout, presets: Solution) -> SheetPlan:
    """The compared presets side by side: their varying inputs (editable), then
    every result as a formula over that preset's own tables."""
    model = layout.model
    ws = SheetPlan(COMPARE)
    ws.label(0, 0, "Presets side by side", "title")
    ws.label(
        1,
        0,
        "Yellow cells: the inputs that differ between the presets (edit them here); every other input is read from "
        "the Inputs sheet. Each preset has its own sheet of rows.",
        "note",
    )
    header = COMPARE_HEADER_ROW - 1
    titles = ("name", *model.comparison, "unit", "description")
    for col, title in enumerate(titles):
        ws.label(header, col, title, "header")
    after = 1 + len(model.comparison)
    for j, name in enumerate(model.varying_parameters()):
        p = model.parameter(name)
        row = header + 1 + j
        ws.label(row, 0, name, "bold")
        for i, _ in enumerate(model.comparison):
            ws.add(row, 1 + i, "input", float(presets.values[name][i]), "input", param_format(p))
            ws.validations.append((row, 1 + i, validation(p, f"{get_column_letter(2 + i)}{row + 1}")))
        ws.label(row, after, p.unit)
        ws.label(row, after + 1, p.description)
    ws.label(layout.compare_results_row - 1, 0, "Results (formulas over each preset's sheet)", "header")
    for j, s in enumerate(model.outputs):
        row = layout.compare_results_row + j
        ws.label(row, 0, s.name, "bold")
        for i, preset in enumerate(model.comparison):
            computes = FormulaCell(COMPARE, layout.compare_outputs[(preset, s.name)], s.name, None, None, preset)
            where = Where.preset(layout, preset)
            _formula_cell(ws, row, 1 + i, s.expr, where, presets.values[s.name][i], s.number_format, computes)
        ws.label(row, after, s.unit)
        ws.label(row, after + 1, s.description)
    ws.columns += [
        ColumnFormat(0, 0, 40),
        ColumnFormat(1, len(model.comparison), 20),
        ColumnFormat(after + 1, after + 1, 80),
    ]
    ws.freeze = (COMPARE_HEADER_ROW, 1)
    return ws


def _snapshot_sheet(
    model: Model, snapshot: Snapshot, solution: Solution | None, values: Mapping[str, float], made: float
) -> SheetPlan:
    """A labelled snapshot of solver values (see :class:`pysie.spec.Snapshot`):
    when and by which pysie it was computed, the command that remakes it, its
    rows, and below them every input value it was computed from. Without a
    ``solution`` (a check's plan, see :func:`solve_workbook`) every value cell
    is a NaN value: a place where a stored value may be."""
    ws = SheetPlan(snapshot.sheet, snapshot=True)
    first_input = SNAPSHOT_HEADER_ROW + len(snapshot.rows) + 3
    ws.label(0, 0, f"{snapshot.title} (a snapshot of solver values, not formulas)", "title")
    ws.label(
        1,
        0,
        "Editing Inputs does not update this sheet: its rows were computed once, when the workbook was built, from the "
        f"input values listed from row {first_input + 1} down (the Inputs sheet's values at that time).",
        "note",
    )
    ws.label(
        2,
        0,
        "Each row changes the inputs in its change column and keeps the others. pysie check does not compare these "
        "cells (no formula recomputes them).",
        "note",
    )
    provenance_rows(
        ws,
        made,
        f"pysie build {model.name} --from BOOK.xlsx -o DIR, BOOK being this workbook: a fresh workbook of its "
        "Inputs, with this sheet computed again",
    )
    units = {s.name: s.unit for s in model.scalars}
    header = ["variant", "change", *(f"{name} ({units[name]})" for name in snapshot.columns)]
    for c, title in enumerate(header):
        ws.label(SNAPSHOT_HEADER_ROW, c, title, "header")
    formats = {s.name: s.number_format for s in model.scalars}
    for i, (label, change) in enumerate(snapshot.rows):
        r = SNAPSHOT_HEADER_ROW + 1 + i
        ws.label(r, 0, label)
        ws.label(r, 1, ", ".join(f"{k}={v:g}" for k, v in change.items()) or "-")
        for c, name in enumerate(snapshot.columns, start=2):
            value = math.nan if solution is None else float(solution.values[name][i])
            if math.isfinite(value) or solution is None:
                ws.add(r, c, "value", value, "snapshot", formats[name])
            else:
                ws.label(r, c, "never / n.a.", "snapshot")
    for c, title in enumerate(("computed from input", "value", "unit")):
        ws.label(first_input - 1, c, title, "header")
    for i, p in enumerate(model.parameters):
        r = first_input + i
        ws.label(r, 0, p.name)
        ws.add(r, 1, "value", float(values[p.name]), "snapshot", param_format(p))
        ws.label(r, 2, p.unit)
    ws.columns += [ColumnFormat(0, 0, 60), ColumnFormat(1, 1, 28), ColumnFormat(2, len(header), 27)]
    ws.freeze = (SNAPSHOT_HEADER_ROW + 1, 1)
    return ws


#: Docs sheet: width of the text column (characters).
DOCS_TEXT_WIDTH = 120


def _docs_sheet(layout: Layout, template: str, template_version: int) -> SheetPlan:
    """Headings, then one paragraph, bullet or ``name: definition`` per row;
    each row is as tall as its wrapped text needs."""
    model = layout.model
    ws = SheetPlan(DOCS)
    meta = (model.name, template, template_version, __version__)
    ws.label(0, 0, model.title, "title")
    for i, (name, value) in enumerate(zip(METADATA_NAMES, meta, strict=True)):
        ws.label(1 + i, 0, name, "bold")
        ws.label(1 + i, 1, value)
    row = 2 + len(meta)
    names = [len(n) for n in METADATA_NAMES]
    for kind, text in docs_lines(layout):
        if kind == "heading":
            row += 1
            ws.label(row, 0, text, "header")
            ws.label(row, 1, "", "header")
        elif kind == "pair":
            assert isinstance(text, tuple)
            name, body = text
            ws.label(row, 0, name, "term")
            ws.label(row, 1, body)
            names.append(len(str(name)))
            fit_height(ws, row, str(body), DOCS_TEXT_WIDTH)
        else:
            ws.label(row, 1, text)
            fit_height(ws, row, str(text), DOCS_TEXT_WIDTH)
        row += 1
    ws.columns += [ColumnFormat(0, 0, min(48, max(names) + 2)), ColumnFormat(1, 1, DOCS_TEXT_WIDTH, style="wrap")]
    return ws


def _chart_sheet(layout: Layout, chart: Chart) -> SheetPlan:
    """A chart sheet: a scatter chart of table columns (:mod:`pysie.excel.charts`)."""
    return SheetPlan(chart.sheet, chart=chart_options(layout, chart))
