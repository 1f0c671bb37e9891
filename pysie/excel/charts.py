"""The chart of a chart sheet, as XlsxWriter options, from a :class:`~pysie.spec.Chart`.

Each series is a scatter line of one table column against the table's first
column. The axes are fixed where the declaration fixes them, so values past
``max`` are clipped at the plot's edge, and a cell holding ``#N/A`` is a gap
(Excel and LibreOffice skip it). Series differ in colour *and* in dash and
width, drawn widest first, so a line that coincides with an earlier one
still shows on top of it.
"""

from __future__ import annotations

from typing import Any

from pysie.excel.layout import TABLE_HEADER_ROWS, Layout, quote_sheet
from pysie.spec import Axis, Chart

#: Okabe and Ito's colour-blind-safe palette (blue, vermilion, bluish green,
#: reddish purple, orange, sky blue, yellow), darkest first.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
#: XlsxWriter dash types, one per series in turn.
DASHES = ("solid", "dash", "round_dot", "long_dash", "dash_dot", "long_dash_dot", "square_dot")
#: Line widths in points: the first series widest, each later one narrower.
WIDEST, NARROWEST, STEP = 3.0, 1.25, 0.6
#: Per cent transparency of a solid line.
SOLID_TRANSPARENCY = 45
GRIDLINES = {"visible": True, "line": {"color": "#E0E0E0"}}


def series_style(i: int, count: int) -> dict[str, Any]:
    """The line of the ``i``-th series (0-based): colour, dash and width all
    change with ``i``, so no two of the first seven series look alike even
    where they lie on top of each other. A solid line has no gaps to show a
    line beneath it, so among ``count`` > 1 series it is half transparent
    (LibreOffice draws the first series on top, Excel the last)."""
    style: dict[str, Any] = {
        "color": PALETTE[i % len(PALETTE)],
        "dash_type": DASHES[i % len(DASHES)],
        "width": max(NARROWEST, WIDEST - STEP * i),
    }
    if style["dash_type"] == "solid" and count > 1:
        style["transparency"] = SOLID_TRANSPARENCY
    return style


def axis_options(axis: Axis) -> dict[str, Any]:
    """XlsxWriter options of one axis: title, fixed scale, tick spacing, number format."""
    options: dict[str, Any] = {
        "name": axis.title,
        "major_gridlines": GRIDLINES,
        "num_format": axis.number_format,
    }
    if axis.log:
        options["log_base"] = 10
    for key, value in (("min", axis.min), ("max", axis.max), ("major_unit", axis.major_unit)):
        if value is not None:
            options[key] = value
    return options


def chart_options(layout: Layout, chart: Chart) -> dict[str, Any]:
    """Series, axes, title and legend of ``chart`` for the workbook laid out by ``layout``."""
    model = layout.model
    drawn: list[tuple[str | None, str, str, str]] = []  # (preset, table, column, legend text)
    for s in chart.series:
        if chart.per_preset:
            drawn += [
                (p, s.table, s.column, p if len(chart.series) == 1 else f"{s.label}, {p}") for p in model.comparison
            ]
        else:
            drawn.append((None, s.table, s.column, s.label))
    series = []
    for i, (preset, table, column, label) in enumerate(drawn):
        sheet = layout.sheet_of(table) if preset is None else layout.preset_sheets[(preset, table)]
        letters = layout.table_letters[table]
        x_letter = letters[model.table(table).columns[0].name]
        top, bottom = TABLE_HEADER_ROWS + 1, TABLE_HEADER_ROWS + layout.table_rows[table]
        where = quote_sheet(sheet)
        series.append(
            {
                "name": label,
                "categories": f"={where}!${x_letter}${top}:${x_letter}${bottom}",
                "values": f"={where}!${letters[column]}${top}:${letters[column]}${bottom}",
                "line": series_style(i, len(drawn)),
                "marker": {"type": "none"},
            }
        )
    return {
        "title": {"name": chart.title},
        "series": series,
        "x_axis": axis_options(chart.x),
        "y_axis": axis_options(chart.y),
        "legend": {"position": "bottom"},
    }
