"""Are the committed workbooks what the templates build today?

``pysie build --check`` plans every template (:mod:`pysie.excel.plan`) and
compares each plan with the committed workbook cell by cell: the sheet list,
every cell's content (formula text, or constant) and every cached value
(numbers within a relative tolerance, everything else exactly), and each
chart's titles, series, lines and axis scales. Nothing is
written and bytes are not compared, so a file that differs only in zip
timestamps or ordering is still current. A snapshot's date (a ``stamp`` cell,
:data:`pysie.excel.plan.STAMP`) must hold a date, not the date of today's build: a
workbook is not stale for being built on another day, only when a snapshot
value, the inputs it lists or any other cell differs.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

from pysie.excel.charts import file_signatures, planned_signature
from pysie.excel.plan import STAMP, WorkbookPlan, plan_workbook, solve_workbook
from pysie.excel.reader import read_book
from pysie.models import get_model
from pysie.templates import all_templates

DEFAULT_RTOL = 1e-9

Cells = dict[tuple[str, str], Any]


@dataclass(frozen=True)
class Stale:
    """One way a committed workbook differs from a fresh build."""

    book: str
    where: str  # "Sheet!A1", or "" for the whole file
    what: str

    def describe(self) -> str:
        return f"{self.book} {self.where}: {self.what}" if self.where else f"{self.book}: {self.what}"


def _cells(path: Path, only: set[str] | None = None) -> tuple[list[str], Cells, Cells]:
    """Sheet names, every non-empty cell's content (formula text or constant) and
    every formula cell's cached value, of every sheet or of the sheets named in
    ``only``, from one parse of the sheet XML (:func:`pysie.excel.reader.read_book`)."""
    book = read_book(path)
    cells: Cells = {}
    cached: Cells = {}
    for ws in book.cells.worksheets:
        if only is not None and ws.title not in only:
            continue
        for (row, col), (value, _) in ws.cells.items():
            if value is not None:
                if isinstance(value, datetime.datetime | datetime.date):
                    value = to_excel(value)  # a date-formatted number: compare the serial
                cells[(ws.title, f"{get_column_letter(col)}{row}")] = value
        for (row, col), value in ws.cached.items():
            cached[(ws.title, f"{get_column_letter(col)}{row}")] = value
    return book.sheetnames, cells, cached


def _planned(plan: WorkbookPlan) -> tuple[Cells, Cells]:
    """(contents of every non-empty cell, cached value of every formula cell) of
    ``plan``, as a workbook written from it holds them."""
    contents: Cells = {}
    values: Cells = {}
    for cell in plan.cells():
        if cell.content in ("", None):
            continue
        key = (cell.sheet, cell.cell)
        contents[key] = cell.content
        if cell.kind == "formula":
            values[key] = cell.cached
    return contents, values


def _same_value(a: Any, b: Any, rtol: float) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
    return bool(a == b)


def _differences(name: str, kind: str, old: Cells, new: Cells, rtol: float) -> list[Stale]:
    out = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], len(k[1]), k[1])):
        a, b = old.get(key), new.get(key)
        if not _same_value(a, b, rtol):
            out.append(Stale(name, f"{key[0]}!{key[1]}", f"{kind} committed {a!r}, fresh build {b!r}"))
    return out


def compare_with_plan(committed: Path, plan: WorkbookPlan, rtol: float = DEFAULT_RTOL) -> list[Stale]:
    """How ``committed`` differs from what ``plan`` writes: sheets, cell
    contents (formulas and constants) and cached values; [] when they agree."""
    name = Path(committed).name
    sheets, contents, cached = _cells(committed)
    if sheets != plan.sheet_names():
        return [Stale(name, "", f"sheets committed {sheets}, fresh build {plan.sheet_names()}")]
    planned_contents, planned_values = _planned(plan)
    out = _stamp_differences(name, contents, planned_contents, plan)
    out += _differences(name, "content", contents, planned_contents, rtol)
    out += _differences(name, "cached value", cached, planned_values, rtol)
    return out + _chart_differences(name, committed, plan)


def stamp_keys(plan: WorkbookPlan) -> list[tuple[str, str]]:
    """(sheet, cell) of every snapshot date in ``plan``."""
    return [(c.sheet, c.cell) for c in plan.cells() if c.kind == STAMP]


def _stamp_differences(name: str, contents: Cells, planned: Cells, plan: WorkbookPlan) -> list[Stale]:
    """Each snapshot date of ``plan`` is a number (a date serial) in the
    committed workbook, whichever date; the dates leave both ``contents`` and
    ``planned``, so the cell-by-cell comparison passes them by."""
    out = []
    for key in stamp_keys(plan):
        found = contents.pop(key, None)
        planned.pop(key, None)
        if not isinstance(found, int | float) or isinstance(found, bool):
            what = f"content committed {found!r}, fresh build the date its snapshot was computed"
            out.append(Stale(name, f"{key[0]}!{key[1]}", what))
    return out


def snapshot_dates(committed: Path, plan: WorkbookPlan, rtol: float = DEFAULT_RTOL) -> dict[tuple[str, str], float]:
    """The snapshot dates of ``committed`` when every other cell of its
    snapshot sheets is what ``plan`` puts there (the same values, computed from
    the same inputs by the same pysie); {} when anything there differs."""
    sheets = set(plan.snapshot_sheets())
    if not sheets:
        return {}
    _, contents, _ = _cells(committed, only=sheets)
    planned = {k: v for k, v in _planned(plan)[0].items() if k[0] in sheets}
    dates = {k: contents[k] for k in stamp_keys(plan) if isinstance(contents.get(k), int | float)}
    if _stamp_differences(committed.name, contents, planned, plan) or _differences("", "", contents, planned, rtol):
        return {}
    return {k: float(v) for k, v in dates.items()}


def _chart_differences(name: str, committed: Path, plan: WorkbookPlan) -> list[Stale]:
    """Each chart of ``committed`` against the chart its sheet's plan draws."""
    planned = [
        (s.name, planned_signature(options))
        for s in plan.sheets  # XlsxWriter numbers charts in sheet order
        for options in ([s.chart] if s.chart is not None else []) + [c.options for c in s.charts]
    ]
    found = file_signatures(committed)
    if len(found) != len(planned):
        return [Stale(name, "", f"{len(found)} charts committed, fresh build {len(planned)}")]
    out = []
    for (sheet, want), got in zip(planned, found, strict=True):
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                out.append(Stale(name, sheet, f"chart {key} committed {got.get(key)!r}, fresh build {want.get(key)!r}"))
    return out


def check_committed(folder: Path, templates: Path | None = None, rtol: float = DEFAULT_RTOL) -> list[Stale]:
    """Plan every template and compare each plan with its committed workbook
    in ``folder``; [] when all are current. Nothing is written."""
    folder = Path(folder)
    out: list[Stale] = []
    for template in all_templates(templates):
        committed = folder / template.filename
        if not committed.exists():
            out.append(Stale(template.filename, "", f"missing from {folder}; run pysie build --force"))
            continue
        model = get_model(template.model)
        solved = solve_workbook(model, template.values())
        plan = plan_workbook(model, solved, template=template.name, template_version=template.version)
        out += compare_with_plan(committed, plan, rtol)
    return out
