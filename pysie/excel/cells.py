"""The cells of a planned sheet (:mod:`pysie.excel.plan`): what each holds, and a sheet's formats.

Kept apart from the plan itself so that modules planning one sheet
(:mod:`pysie.excel.uncertainty_sheet`) use them without importing the plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from pysie import __version__
from pysie.dates import INPUT_DATE_FORMAT
from pysie.excel.layout import FormulaCell
from pysie.expr import Call, Expr, NumberOr

#: The kind of a snapshot's date cell: ``pysie build --check`` wants a date there, not a particular one.
STAMP = "stamp"


@dataclass(frozen=True)
class PlannedCell:
    """One cell pysie writes. ``row`` and ``col`` are 0-based."""

    sheet: str
    row: int
    col: int
    kind: str  # "input" | "formula" | "value" | "stamp" | "label"
    content: Any  # formula text ("=..."), a number, or text
    style: str = ""
    number_format: str = ""
    cached: float | str | None = None  # formulas: the value stored beside the formula
    computes: FormulaCell | None = None  # formulas: the variable (and row) it computes
    expected: float = math.nan  # formulas: the solver's value (NaN: an error, or the words below)
    words: str | None = None  # formulas shown in words (NumberOr): the text where the solver has NaN

    @property
    def cell(self) -> str:
        return f"{get_column_letter(self.col + 1)}{self.row + 1}"


@dataclass(frozen=True)
class ColumnFormat:
    """Width (and a number format for every cell) of columns ``first..last`` (0-based)."""

    first: int
    last: int
    width: float
    number_format: str = ""
    style: str = ""


@dataclass(frozen=True)
class EmbeddedChart:
    """A chart drawn on a worksheet, its top left corner at ``row``, ``col`` (0-based):
    ``options`` are XlsxWriter's (``type``, ``series``, ``title``, ``x_axis``, ``y_axis``,
    ``legend``, ``size``), as :mod:`pysie.excel.charts` makes them."""

    row: int
    col: int
    options: dict[str, Any]


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints: one page wide (as many pages tall as it needs),
    landscape when wide, the header rows repeated on every page, and the model
    and sheet named in the page header and footer."""

    landscape: bool
    repeat_rows: int  # header rows printed atop every page (0: none)
    header: str
    footer: str = "&L&A&RPage &P of &N"


@dataclass
class SheetPlan:
    name: str
    cells: list[PlannedCell] = field(default_factory=list)
    columns: list[ColumnFormat] = field(default_factory=list)
    freeze: tuple[int, int] | None = None
    comments: list[tuple[int, int, str]] = field(default_factory=list)
    validations: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)
    active: bool = False
    chart: dict[str, Any] | None = None  # a chart sheet: series and axes as XlsxWriter options
    charts: list[EmbeddedChart] = field(default_factory=list)  # charts drawn on a worksheet
    page: PageSetup | None = None
    row_heights: dict[int, float] = field(default_factory=dict)  # rows of wrapped text, in points
    #: (first row, first col, last row, last col, XlsxWriter conditional-format options; "format" a style name)
    conditional: list[tuple[int, int, int, int, dict[str, Any]]] = field(default_factory=list)
    #: a sheet of stored solver values (a snapshot): its ``value`` cells are not compared by ``pysie check``
    snapshot: bool = False

    def add(self, row: int, col: int, kind: str, content: Any, style: str = "", number_format: str = "") -> None:
        self.cells.append(PlannedCell(self.name, row, col, kind, content, style, number_format))

    def label(self, row: int, col: int, text: Any, style: str = "") -> None:
        if text != "" or style:
            self.add(row, col, "label", text, style)


#: Points per line of wrapped text (Calibri 11, Excel's and LibreOffice's default row height).
LINE_POINTS = 15


def fit_height(ws: SheetPlan, row: int, text: str, width: float) -> None:
    """Make ``row`` tall enough for ``text`` wrapped in a column ``width`` characters wide:
    ``ceil(len(text) / (1.1 width))`` lines of :data:`LINE_POINTS` (a column holds about 1.1
    characters of proportional text per unit of width); a row of one line keeps its height."""
    lines = math.ceil(len(text) / (width * 1.1))
    if lines > 1:
        ws.row_heights[row] = max(ws.row_heights.get(row, 0.0), LINE_POINTS * lines)


def cached(value: float, expr: Expr | None = None, looks_up: bool | None = None) -> float | str:
    """The cached value written beside a formula; an error is ``#N/A`` when the
    formula looks something up (``looks_up``, else found from ``expr``), else
    ``#NUM!`` (both read as "is an error"); a result shown in words
    (:class:`~pysie.expr.NumberOr`) holds its words there."""
    if isinstance(expr, NumberOr) and (value is None or not math.isfinite(value)):
        return expr.text
    if value is None or not math.isfinite(value):
        if looks_up is None:
            looks_up = expr is not None and looks_up_in(expr)
        return "#N/A" if looks_up else "#NUM!"
    return float(value)


def looks_up_in(expr: Expr) -> bool:
    return any(isinstance(n, Call) and n.op in {"match", "na"} for n in expr.walk())


def provenance_rows(ws: SheetPlan, made: float, remake: str) -> None:
    """Rows 4 and 5 of a snapshot sheet: when and by which pysie it was computed
    (the date cell is :data:`STAMP`, which ``pysie build --check`` does not
    compare) and the command that remakes it."""
    ws.label(3, 0, "Computed on", "bold")
    ws.add(3, 1, STAMP, made, "snapshot", INPUT_DATE_FORMAT)
    ws.label(3, 2, f"by pysie {__version__}")
    ws.label(4, 0, "Remake it", "bold")
    ws.label(4, 1, remake)
