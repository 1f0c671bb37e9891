"""Charts as XlsxWriter options: a chart sheet's, from a :class:`~pysie.spec.Chart`, and
the Uncertainty sheet's tornado (:func:`tornado_options`).

Each series of a chart sheet is a scatter line of one table column against the table's first
column. The axes are fixed where the declaration fixes them, so values past
``max`` are clipped at the plot's edge, and a cell holding ``#N/A`` is a gap
(Excel and LibreOffice skip it). Series differ in colour *and* in dash and
width, drawn widest first, so a line that coincides with an earlier one
still shows on top of it.

:func:`planned_signature` and :func:`file_signatures` say what a reader sees
of a chart (titles, series, lines, scales) as text, from the plan and from a
file, so ``pysie build --check`` finds a committed chart that is out of date.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET

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


def tornado_options(
    sheet: str, rows: range, columns: tuple[str, str, str], output: str, unit: str, base: float
) -> dict[str, Any]:
    """A tornado chart of the one-at-a-time table on ``sheet`` (:func:`pysie.sensitivity.oat`):
    a horizontal bar per parameter (the table's worksheet ``rows``, 1-based, largest swing
    first, drawn at the top) from ``base``, the output with every parameter at its median, to
    the output with that parameter at its p10 (one colour) and at its p90 (another).
    ``columns`` are the letters of the parameter names, the output at p10 and the output at
    p90. The bars start at ``base`` because the category axis crosses the value axis there; the
    category labels stay at the left edge of the plot, not at ``base``."""
    names, low, high = columns
    where = quote_sheet(sheet)

    def cells(letter: str) -> str:
        return f"={where}!${letter}${rows.start}:${letter}${rows.stop - 1}"

    series = [
        {
            "name": f"each parameter at its {which}, the others at their medians",
            "categories": cells(names),
            "values": cells(letter),
            "fill": {"color": PALETTE[i]},
            "border": {"none": True},
            "overlap": 100,  # both bars of a parameter in one band, one each side of the base
            "gap": 60,
        }
        for i, (which, letter) in enumerate((("p10", low), ("p90", high)))
    ]
    return {
        "type": "bar",
        "title": {"name": f"Tornado of {output} ({unit})", "name_font": {"size": 12}},
        "series": series,
        # a bar chart's x axis is its value axis, drawn across
        "x_axis": {
            "name": f"{output} ({unit}); bars start at {base:.4g}, every parameter at its median",
            "name_font": {"size": 9, "bold": False},
            "crossing": base,
            "major_gridlines": GRIDLINES,
            "num_format": "General",
        },
        "y_axis": {"reverse": True, "crossing": "max", "label_position": "low"},  # first row on top, axis below
        "legend": {"position": "bottom"},
        "size": {"width": TORNADO_WIDTH, "height": TORNADO_HEIGHT + TORNADO_BAR * len(rows)},
    }


#: Size of the tornado chart in pixels: its width, its height without bars and the height of each bar.
TORNADO_WIDTH, TORNADO_HEIGHT, TORNADO_BAR = 620, 150, 36


# --- is a committed chart what the plan draws? ---------------------------------

_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
#: XlsxWriter's dash names as the file spells them.
_PRESET_DASH = {"solid": "solid", "dash": "dash", "round_dot": "sysDot", "long_dash": "lgDash"}
_PRESET_DASH.update({"dash_dot": "dashDot", "long_dash_dot": "lgDashDot", "square_dot": "sysDash"})


def _number(value: Any) -> str:
    return "" if value is None else repr(float(value))


def _emu(points: float) -> int:
    """A line width as the file holds it: points rounded to a quarter, in EMU (XlsxWriter's rule)."""
    return int(0.5 + 12700 * (int((points + 0.125) * 4) / 4.0))


def planned_signature(options: dict[str, Any]) -> dict[str, str]:
    """What a reader sees of a chart planned as ``options`` (title, each series'
    name, ranges and line, each axis' title and scale), as comparable text."""
    if options.get("type") == "bar":
        return _planned_bar_signature(options)
    out = {"title": options["title"]["name"]}
    for i, s in enumerate(options["series"], 1):
        line = s["line"]
        out[f"series {i}"] = " | ".join(
            (
                s["name"],
                s["categories"].lstrip("="),
                s["values"].lstrip("="),
                line["color"].lstrip("#").upper(),
                _PRESET_DASH.get(line["dash_type"], line["dash_type"]),
                "translucent" if line.get("transparency") else "opaque",
                str(_emu(line["width"])),
            )
        )
    for key in ("x_axis", "y_axis"):
        axis = options[key]
        out[key.replace("_", " ")] = " | ".join(
            (
                axis["name"],
                _number(axis.get("min")),
                _number(axis.get("max")),
                _number(axis.get("major_unit")),
                "log" if axis.get("log_base") else "linear",
                axis.get("num_format", "General"),
            )
        )
    return out


def _planned_bar_signature(options: dict[str, Any]) -> dict[str, str]:
    """:func:`planned_signature` of a bar chart (:func:`tornado_options`): each series' name,
    ranges and fill; the value axis' title, where the bars start and number format; the
    category axis' order and where its labels are."""
    out = {"title": options["title"]["name"]}
    for i, s in enumerate(options["series"], 1):
        fill = s["fill"]["color"].lstrip("#").upper()
        out[f"series {i}"] = " | ".join((s["name"], s["categories"].lstrip("="), s["values"].lstrip("="), fill))
    value, category = options["x_axis"], options["y_axis"]
    out["value axis"] = " | ".join((value["name"], _number(value.get("crossing")), value.get("num_format", "General")))
    out["category axis"] = " | ".join(
        ("maxMin" if category.get("reverse") else "minMax", category.get("label_position", "nextTo"))
    )
    return out


def _text(node: Any) -> str:
    return "" if node is None else "".join(t.text or "" for t in node.iter(f"{_A}t"))


def _val(node: Any, path: str) -> str:
    found = node.find(path)
    return "" if found is None else _number(found.get("val"))


def _file_bar_signature(chart: Any) -> dict[str, str]:
    """:func:`_planned_bar_signature` of a bar chart read from its ``chartN.xml`` element."""
    out = {"title": _text(chart.find(f"{_C}chart/{_C}title"))}
    for i, ser in enumerate(chart.iter(f"{_C}ser"), 1):
        colour = ser.find(f"{_C}spPr/{_A}solidFill/{_A}srgbClr")
        out[f"series {i}"] = " | ".join(
            (
                "".join(v.text or "" for v in ser.iterfind(f"{_C}tx//{_C}v")),
                ser.findtext(f"{_C}cat//{_C}f") or "",
                ser.findtext(f"{_C}val//{_C}f") or "",
                "" if colour is None else colour.get("val", ""),
            )
        )
    value = chart.find(f".//{_C}plotArea/{_C}valAx")
    category = chart.find(f".//{_C}plotArea/{_C}catAx")
    if value is not None and category is not None:
        fmt = value.find(f"{_C}numFmt")
        crossing = category.find(f"{_C}crossesAt")
        out["value axis"] = " | ".join(
            (
                _text(value.find(f"{_C}title")),
                "" if crossing is None else _number(crossing.get("val")),
                "General" if fmt is None else fmt.get("formatCode", ""),
            )
        )
        order = category.find(f"{_C}scaling/{_C}orientation")
        labels = category.find(f"{_C}tickLblPos")
        out["category axis"] = " | ".join(
            ("minMax" if order is None else order.get("val", ""), "nextTo" if labels is None else labels.get("val", ""))
        )
    return out


def file_signature(chart: Any) -> dict[str, str]:
    """:func:`planned_signature` of a chart read from its ``xl/charts/chartN.xml`` element."""
    if chart.find(f".//{_C}plotArea/{_C}barChart") is not None:
        return _file_bar_signature(chart)
    out = {"title": _text(chart.find(f"{_C}chart/{_C}title"))}
    for i, ser in enumerate(chart.iter(f"{_C}ser"), 1):
        ln = ser.find(f"{_C}spPr/{_A}ln")
        colour = None if ln is None else ln.find(f"{_A}solidFill/{_A}srgbClr")
        dash = None if ln is None else ln.find(f"{_A}prstDash")
        out[f"series {i}"] = " | ".join(
            (
                "".join(v.text or "" for v in ser.iterfind(f"{_C}tx//{_C}v")),
                (ser.findtext(f"{_C}xVal//{_C}f") or ""),
                (ser.findtext(f"{_C}yVal//{_C}f") or ""),
                "" if colour is None else colour.get("val", ""),
                "" if dash is None else dash.get("val", ""),
                "translucent" if colour is not None and colour.find(f"{_A}alpha") is not None else "opaque",
                "" if ln is None else ln.get("w", ""),
            )
        )
    axes = chart.findall(f".//{_C}plotArea/{_C}valAx")
    for key, axis in zip(("x axis", "y axis"), axes, strict=False):
        fmt = axis.find(f"{_C}numFmt")
        out[key] = " | ".join(
            (
                _text(axis.find(f"{_C}title")),
                _val(axis, f"{_C}scaling/{_C}min"),
                _val(axis, f"{_C}scaling/{_C}max"),
                _val(axis, f"{_C}majorUnit"),
                "log" if axis.find(f"{_C}scaling/{_C}logBase") is not None else "linear",
                "General" if fmt is None else fmt.get("formatCode", ""),
            )
        )
    return out


def file_signatures(path: Path) -> list[dict[str, str]]:
    """:func:`file_signature` of every chart of the workbook at ``path``, in the order written."""
    with zipfile.ZipFile(path) as z:
        parts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        parts.sort(key=lambda n: int(re.sub(r"\D", "", n)))
        return [file_signature(SafeET.fromstring(z.read(n))) for n in parts]
