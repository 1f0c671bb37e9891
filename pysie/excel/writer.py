"""Write a model as a live workbook: formulas with their cached values.

XlsxWriter is used for writing (openpyxl for reading) because it stores a
cached value next to every formula, so pandas and viewers that do not
recalculate see numbers, and because its charts support log axes. Files are
written to a temporary name in the target folder and moved into place, so a
failure never leaves half a workbook.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xlsxwriter

from pysie import __version__
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
    Layout,
    absolute,
)
from pysie.excel.printer import Where, formula
from pysie.expr import Call
from pysie.fileio import atomic_output
from pysie.solver import Solution, solve, solve_presets
from pysie.spec import Model, Parameter, Scalar

REPRODUCIBLE_DATE = datetime.datetime(2025, 3, 1)
METADATA_NAMES = ("pysie_model", "pysie_template", "pysie_template_version", "pysie_version")


def stored_number(value: float) -> float:
    """A number as a workbook holds it after writing: XlsxWriter keeps 16
    significant digits (1/33 comes back as 0.0303030303030303)."""
    return float(f"{float(value):.16G}")


def cached(value: float, expr: Any = None) -> float | str:
    """The cached value written beside a formula; an error is ``#N/A`` when the
    formula looks something up, else ``#NUM!`` (both read as "is an error")."""
    if value is None or not math.isfinite(value):
        looks_up = expr is not None and any(isinstance(n, Call) and n.op in {"match", "na"} for n in expr.walk())
        return "#N/A" if looks_up else "#NUM!"
    return float(value)


def build_workbook(
    model: Model,
    values: Mapping[str, float],
    path: Path,
    *,
    template: str = "",
    template_version: int = 1,
    overwrite: bool = False,
    extra_sheets: tuple[Any, ...] = (),
) -> Solution:
    """Solve ``model`` for ``values`` and write the workbook to ``path``.

    ``extra_sheets`` are callables ``(workbook, formats, layout) -> None`` that a
    model adds (e.g. a preset comparison). Returns the solution written.
    """
    solution = solve(model, values)
    layout = Layout.of(model, values)
    presets = solve_presets(model, values) if model.comparison else None
    with atomic_output(Path(path), overwrite=overwrite) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False})
        formats = _formats(book)
        _inputs_sheet(book, formats, layout, solution)
        for table in model.tables:
            _table_sheet(book, formats, layout, solution, table.name)
        if presets is not None:
            _compare_sheet(book, formats, layout, presets)
            for i, preset in enumerate(model.comparison):
                for table in model.tables:
                    _table_sheet(book, formats, layout, presets, table.name, preset, i)
        _scalar_sheet(book, formats, layout, solution, SUMMARY, "Results (formulas over the day-by-day sheets)")
        if model.checks:
            _scalar_sheet(book, formats, layout, solution, THEORY, "Closed-form check cells (theory)")
        for add_sheet in extra_sheets:
            add_sheet(book, formats, layout)
        _docs_sheet(book, formats, layout, template or model.name, template_version)
        for chart in model.charts:
            _chart_sheet(book, layout, chart)
        for name, (sheet, cell) in layout.named.items():
            book.define_name(name, f"={_quote(sheet)}!{absolute(cell)}")
        # A fixed creation date keeps rebuilt workbooks byte-identical.
        book.set_properties(
            {
                "title": model.title,
                "subject": f"pysie model {model.name}",
                "keywords": f"pysie,{model.name}",
                "created": REPRODUCIBLE_DATE,
            }
        )
        book.close()
    return solution


# --- formats -------------------------------------------------------------------


def _formats(book: xlsxwriter.Workbook) -> dict[str, Any]:
    cache: dict[str, Any] = {
        "title": book.add_format({"bold": True, "font_size": 14}),
        "header": book.add_format({"bold": True, "bottom": 1, "bg_color": "#DDEBF7"}),
        "unit": book.add_format({"italic": True, "font_color": "#595959"}),
        "input": book.add_format({"bg_color": "#FFF2CC", "border": 1}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "note": book.add_format({"italic": True, "font_color": "#595959"}),
        "bold": book.add_format({"bold": True}),
    }

    def number_format(code: str, base: str = "") -> Any:
        key = f"{base}|{code}"
        if key not in cache:
            props: dict[str, Any] = {"num_format": code}
            if base == "input":
                props.update({"bg_color": "#FFF2CC", "border": 1})
            cache[key] = book.add_format(props)
        return cache[key]

    cache["number"] = number_format
    return cache


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _param_format(p: Parameter) -> str:
    if p.integer:
        return "0"
    if p.default != 0 and (abs(p.default) >= 1e6 or abs(p.default) < 1e-3):
        return "0.00E+00"
    return "General"


# --- sheets --------------------------------------------------------------------


def _inputs_sheet(book: xlsxwriter.Workbook, f: dict[str, Any], layout: Layout, solution: Solution) -> None:
    model = layout.model
    ws = book.add_worksheet(INPUTS)
    ws.write(0, 0, model.title, f["title"])
    howto = (
        "How to use: change the yellow values in column B; every other sheet recalculates from them.",
        "Each value is a workbook name (e.g. =research_returns), so formulas still work if rows move.",
        "Values outside the bounds in column E are refused by data validation.",
        "Check a saved copy against the Python solver: pysie check BOOK.xlsx ; re-import edits: pysie import BOOK.xlsx",
        "Inputs marked 'structural' set the number of rows: after changing one, rebuild with pysie build MODEL --from BOOK.xlsx",
    )
    for i, line in enumerate(howto[: HOWTO_ROWS - 1]):
        ws.write(1 + i, 0, line, f["note"])
    header = HOWTO_ROWS + 1
    for col, title in enumerate(INPUT_COLUMNS):
        ws.write(header, col, title, f["header"])
    for p in model.parameters:
        r = layout.input_rows[p.name] - 1
        ws.write(r, 0, p.name, f["bold"])
        ws.write_number(r, 1, float(solution.values[p.name][0]), f["number"](_param_format(p), "input"))
        ws.write(r, 2, p.unit)
        ws.write(r, 3, p.description + (" (structural)" if p.structural else ""))
        ws.write(r, 4, p.bounds_text())
        ws.write(r, 5, p.source)
        ws.data_validation(r, 1, r, 1, _validation(p))
    ws.write(layout.derived_header_row - 1, 0, "Derived inputs (formulas)", f["header"])
    for col in range(1, len(SCALAR_COLUMNS)):
        ws.write(layout.derived_header_row - 1, col, "", f["header"])
    for s in model.derived:
        _scalar_row(ws, f, layout, solution, s, layout.input_rows[s.name] - 1)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 14)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 70)
    ws.set_column(4, 4, 14)
    ws.set_column(5, 5, 60)
    ws.freeze_panes(header + 1, 1)
    ws.activate()


def _validation(p: Parameter) -> dict[str, Any]:
    kind = "integer" if p.integer else "decimal"
    message = f"{p.name}: a {'whole ' if p.integer else ''}number in {p.bounds_text()} {p.unit}".strip()
    rule: dict[str, Any] = {
        "validate": kind,
        "error_title": p.name[:32],
        "error_message": message[:255],
        "input_message": p.description[:255],
        "input_title": p.name[:32],
    }
    if p.lower is not None and p.upper is not None and not (p.lower_open or p.upper_open):
        rule.update({"criteria": "between", "minimum": p.lower, "maximum": p.upper})
    elif p.lower is not None:
        rule.update({"criteria": ">" if p.lower_open else ">=", "value": p.lower})
    elif p.upper is not None:
        rule.update({"criteria": "<" if p.upper_open else "<=", "value": p.upper})
    else:
        rule.update({"criteria": "between", "minimum": -1e308, "maximum": 1e308})
    return rule


def _scalar_row(ws: Any, f: dict[str, Any], layout: Layout, solution: Solution, s: Scalar, row: int) -> None:
    ws.write(row, 0, s.name, f["bold"])
    ws.write_formula(
        row, 1, formula(s.expr, Where(layout)), f["number"](s.number_format), cached(solution.values[s.name][0], s.expr)
    )
    ws.write(row, 2, s.unit)
    ws.write(row, 3, s.description)


def _scalar_sheet(
    book: xlsxwriter.Workbook, f: dict[str, Any], layout: Layout, solution: Solution, sheet: str, title: str
) -> None:
    ws = book.add_worksheet(sheet)
    ws.write(0, 0, title, f["title"])
    for col, name in enumerate(SCALAR_COLUMNS):
        ws.write(SCALAR_HEADER_ROWS - 1, col, name, f["header"])
    scalars = layout.scalars_on(sheet)
    for i, s in enumerate(scalars):
        _scalar_row(ws, f, layout, solution, s, SCALAR_HEADER_ROWS + i)
    ws.write(
        SCALAR_HEADER_ROWS + len(scalars) + 1,
        0,
        "#N/A means: not reached within the horizon, or undefined (e.g. N for r <= 1).",
        f["note"],
    )
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 90)
    ws.freeze_panes(SCALAR_HEADER_ROWS, 1)


def _table_sheet(
    book: xlsxwriter.Workbook,
    f: dict[str, Any],
    layout: Layout,
    solution: Solution,
    table_name: str,
    preset: str | None = None,
    scenario: int = 0,
) -> None:
    """A step-by-step sheet; for a compared ``preset``, its copy (which reads
    the preset's cells on Compare) with the values of ``scenario``."""
    table = layout.model.table(table_name)
    ws = book.add_worksheet(table.sheet if preset is None else layout.preset_sheets[(preset, table_name)])
    columns = table.columns
    for c, column in enumerate(columns):
        ws.write(0, c, column.name, f["header"])
        ws.write(1, c, column.unit, f["unit"])
        ws.write_comment(0, c, f"{column.description}", {"x_scale": 2})
        ws.set_column(c, c, max(12, len(column.name) + 2), f["number"](column.number_format))
    values = {c.name: solution.tables[table_name][c.name][:, scenario] for c in columns}
    fmt = {c.name: f["number"](c.number_format) for c in columns}
    for step in range(layout.table_rows[table_name]):
        where = Where(layout, table_name, step) if preset is None else Where.preset(layout, preset, table_name, step)
        r = TABLE_HEADER_ROWS + step
        for c, column in enumerate(columns):
            if column.is_data:
                ws.write_number(r, c, float(values[column.name][step]), fmt[column.name])
                continue
            expr = column.first if step == 0 else column.next
            ws.write_formula(r, c, formula(expr, where), fmt[column.name], cached(values[column.name][step], expr))
    ws.freeze_panes(TABLE_HEADER_ROWS, 1)


def _compare_sheet(book: xlsxwriter.Workbook, f: dict[str, Any], layout: Layout, presets: Solution) -> None:
    """The compared presets side by side: their varying inputs (editable), then
    every result as a formula over that preset's own tables."""
    model = layout.model
    ws = book.add_worksheet(COMPARE)
    ws.write(0, 0, "Presets side by side", f["title"])
    ws.write(
        1,
        0,
        "Yellow cells: the inputs that differ between the presets (edit them here); every other input is read from the Inputs sheet. Each preset has its own step-by-step sheet.",
        f["note"],
    )
    header = COMPARE_HEADER_ROW - 1
    titles = ("name", *model.comparison, "unit", "description")
    for col, title in enumerate(titles):
        ws.write(header, col, title, f["header"])
    after = 1 + len(model.comparison)
    for j, name in enumerate(model.varying_parameters()):
        p = model.parameter(name)
        row = header + 1 + j
        ws.write(row, 0, name, f["bold"])
        for i, preset in enumerate(model.comparison):
            ws.write_number(row, 1 + i, float(presets.values[name][i]), f["number"](_param_format(p), "input"))
            ws.data_validation(row, 1 + i, row, 1 + i, _validation(p))
        ws.write(row, after, p.unit)
        ws.write(row, after + 1, p.description)
    ws.write(layout.compare_results_row - 1, 0, "Results (formulas over each preset's sheet)", f["header"])
    for j, s in enumerate(model.outputs):
        row = layout.compare_results_row + j
        ws.write(row, 0, s.name, f["bold"])
        for i, preset in enumerate(model.comparison):
            ws.write_formula(
                row,
                1 + i,
                formula(s.expr, Where.preset(layout, preset)),
                f["number"](s.number_format),
                cached(presets.values[s.name][i], s.expr),
            )
        ws.write(row, after, s.unit)
        ws.write(row, after + 1, s.description)
    ws.set_column(0, 0, 40)
    ws.set_column(1, len(model.comparison), 20)
    ws.set_column(after + 1, after + 1, 80)
    ws.freeze_panes(COMPARE_HEADER_ROW, 1)


def _docs_sheet(
    book: xlsxwriter.Workbook, f: dict[str, Any], layout: Layout, template: str, template_version: int
) -> None:
    model = layout.model
    ws = book.add_worksheet(DOCS)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 120, f["wrap"])
    meta = (
        ("pysie_model", model.name),
        ("pysie_template", template),
        ("pysie_template_version", template_version),
        ("pysie_version", __version__),
    )
    ws.write(0, 0, model.title, f["title"])
    for i, (name, value) in enumerate(meta):
        ws.write(1 + i, 0, name, f["bold"])
        ws.write(1 + i, 1, value)
        book.define_name(name, f"={_quote(DOCS)}!$B${2 + i}")
    row = 2 + len(meta)
    for kind, text in docs_lines(layout):
        if kind == "heading":
            row += 1
            ws.write(row, 0, text, f["header"])
            ws.write(row, 1, "", f["header"])
        elif kind == "pair":
            name, body = text
            ws.write(row, 0, name, f["bold"])
            ws.write(row, 1, body)
        else:
            ws.write(row, 1, text)
        row += 1


def _chart_sheet(book: xlsxwriter.Workbook, layout: Layout, chart_spec: Any) -> None:
    chart = book.add_chart({"type": "scatter", "subtype": "straight"})
    series = (
        [(None, t, c) for t, c in chart_spec.series]
        if not chart_spec.per_preset
        else [(p, t, c) for t, c in chart_spec.series for p in layout.model.comparison]
    )
    for preset, table, column in series:
        sheet = layout.sheet_of(table) if preset is None else layout.preset_sheets[(preset, table)]
        rows = layout.table_rows[table]
        first_col = layout.model.table(table).columns[0].name
        x_letter = layout.table_letters[table][first_col]
        y_letter = layout.table_letters[table][column]
        top, bottom = TABLE_HEADER_ROWS + 1, TABLE_HEADER_ROWS + rows
        chart.add_series(
            {
                "name": f"{sheet}: {column}" if preset is None else f"{preset}: {column}",
                "categories": f"={_quote(sheet)}!${x_letter}${top}:${x_letter}${bottom}",
                "values": f"={_quote(sheet)}!${y_letter}${top}:${y_letter}${bottom}",
                "line": {"width": 1.5},
            }
        )
    chart.set_title({"name": chart_spec.title})
    chart.set_x_axis({"name": chart_spec.x_title, "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}}})
    y_axis: dict[str, Any] = {
        "name": chart_spec.y_title,
        "major_gridlines": {"visible": True, "line": {"color": "#E0E0E0"}},
        "num_format": "0E+0" if chart_spec.log_y else "General",
    }
    if chart_spec.log_y:
        y_axis.update({"log_base": 10, "min": chart_spec.y_min})
    y_axis.update(chart_spec.y_axis)
    chart.set_y_axis(y_axis)
    chart.set_legend({"position": "bottom"})
    sheet = book.add_chartsheet(chart_spec.sheet)
    sheet.set_chart(chart)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 1)
