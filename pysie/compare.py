"""Compare a recalculated workbook with the solver, cell by cell.

:func:`check_workbook` is the one public comparison: the CLI's ``pysie check``,
the tests and users call it. Numbers agree within a relative tolerance;
errors agree when both sides are errors (an error is NaN in the solver and an
error code such as ``#NUM!`` in a workbook); anything else is a difference,
reported with sheet, cell, variable, row, expected and found, first diverging
row first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pysie import steps
from pysie.excel.cache import ERROR_CODES
from pysie.excel.cells import PlannedCell
from pysie.excel.layout import COMPARE, Layout
from pysie.excel.plan import WorkbookPlan, plan_workbook, solve_workbook
from pysie.excel.reader import (
    Metadata,
    ParsedBook,
    read_book,
    read_inputs,
    read_metadata,
    require_built_shape,
    require_model_sheets,
)
from pysie.models import get_model
from pysie.recalc import recalculate, require_engine
from pysie.rowloop import row_order
from pysie.spec import InputError, Model

DEFAULT_RTOL = 1e-9


@dataclass(frozen=True)
class Difference:
    sheet: str
    cell: str
    variable: str
    row: int | None
    expected: float | None  # None: an error is expected
    found: Any

    def describe(self) -> str:
        where = f"{self.sheet}!{self.cell}"
        step = "" if self.row is None else f" row {self.row}"
        expected = "an error" if self.expected is None else f"{self.expected:.15g}"
        return f"{where:<32} {self.variable}{step}: expected {expected}, found {self.found!r}"


@dataclass
class CheckReport:
    book: Path
    engine: str
    model: str
    compared: int
    differences: list[Difference] = field(default_factory=list)
    missing_formulas: list[str] = field(default_factory=list)
    #: cells of stored solver values (snapshots) that no formula recomputes
    not_compared: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self, limit: int = 20) -> str:
        head = f"{self.book}: {self.compared} formula cells compared with the solver ({self.engine} engine)"
        if self.not_compared:
            sheets = ", ".join(dict.fromkeys(c.split("!")[0] for c in self.not_compared))
            head += f"; {len(self.not_compared)} snapshot cells not compared ({sheets})"
        if self.ok:
            return head + ": all agree"
        lines = [head + f": {len(self.differences)} differ; first diverging first:"]
        lines += ["  " + d.describe() for d in self.differences[:limit]]
        if len(self.differences) > limit:
            lines.append(f"  ... and {len(self.differences) - limit} more")
        return "\n".join(lines)


def is_error(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return value.upper() in ERROR_CODES or value.startswith("#")
    if isinstance(value, float):
        return not math.isfinite(value)
    return False


def agree(expected: float, found: Any, rtol: float = DEFAULT_RTOL, atol: float = 0.0, words: str | None = None) -> bool:
    """Does a workbook value equal the solver's (NaN means "an error", or for
    a result shown in words exactly those ``words``)?

    ``|found - expected| <= rtol * max(|found|, |expected|) + atol``; ``atol``
    (default 0) is for values near zero computed from inputs of order one,
    where a last-bit difference of the input is large relative to the result.
    """
    if not math.isfinite(expected):
        return found == words if words is not None else is_error(found)
    if isinstance(found, bool):
        found = float(found)
    if found is None:
        found = 0.0  # Excel reads an empty result as 0
    if not isinstance(found, (int, float)) or is_error(found):
        return False
    return abs(found - expected) <= rtol * max(abs(found), abs(expected)) + atol or found == expected


def expected_values(plan: WorkbookPlan) -> dict[tuple[str, str], tuple[str, int | None, float]]:
    """(sheet, cell) -> (variable, row, solver value) for every formula cell of ``plan``."""
    out: dict[tuple[str, str], tuple[str, int | None, float]] = {}
    for cell in plan.formula_cells():
        fc = cell.computes
        assert fc is not None
        out[(cell.sheet, cell.cell)] = (fc.variable, fc.row, cell.expected)
    return out


def expected_words(plan: WorkbookPlan) -> dict[tuple[str, str], str]:
    """(sheet, cell) -> the words a result cell shows where the solver has NaN
    (:class:`~pysie.expr.NumberOr`)."""
    return {(c.sheet, c.cell): c.words for c in plan.formula_cells() if c.words is not None}


def compare_values(
    expected: Mapping[tuple[str, str], tuple[str, int | None, float]],
    found: Mapping[tuple[str, str], Any],
    rtol: float = DEFAULT_RTOL,
    atol: float = 0.0,
    evaluation_order: Mapping[tuple[str, str], int] | None = None,
    words: Mapping[tuple[str, str], str] | None = None,
) -> list[Difference]:
    """Every formula cell whose found value does not agree, first diverging row
    first; within a row, in the order the row is evaluated (``evaluation_order``
    of (sheet, variable)), so the cell that caused a divergence leads. A cell
    in ``words`` must show exactly those words where the solver has NaN."""
    diffs = []
    shown = words or {}
    for (sheet, cell), (variable, row, value) in expected.items():
        got = found.get((sheet, cell))
        if not agree(value, got, rtol, atol, shown.get((sheet, cell))):
            diffs.append(Difference(sheet, cell, variable, row, value if math.isfinite(value) else None, got))
    order = {sheet: i for i, sheet in enumerate(dict.fromkeys(s for s, _ in expected))}
    within = evaluation_order or {}
    diffs.sort(key=lambda d: (d.row is None, d.row or 0, order.get(d.sheet, 0), within.get((d.sheet, d.variable), 0)))
    return diffs


def evaluation_order(layout: Layout) -> dict[tuple[str, str], int]:
    """(sheet, column) -> its place in the order a row is computed."""
    order = {(t.sheet, name): i for t in layout.model.tables for i, name in enumerate(row_order(t))}
    for (_, table), sheet in layout.preset_sheets.items():
        order.update({(sheet, name): i for i, name in enumerate(row_order(layout.model.table(table)))})
    return order


def read_preset_inputs(book: ParsedBook, path: Path, layout: Layout) -> dict[str, dict[str, float]]:
    """The compared presets' varying inputs as the Compare sheet holds them,
    validated (errors name the cell)."""
    if not layout.compare_inputs:
        return {}
    out: dict[str, dict[str, float]] = {}
    sheet = book[COMPARE]
    for (preset, name), cell in layout.compare_inputs.items():
        raw = sheet[cell].value  # type: ignore[index]
        out.setdefault(preset, {})[name] = layout.model.parameter(name).validate(
            raw, f"{path.name} {COMPARE}!{cell}, preset {preset}"
        )
    return out


def load_model_inputs(
    book: ParsedBook, path: Path, evaluate_formula: Any = None
) -> tuple[Model, dict[str, float], Metadata]:
    """(model, validated inputs, metadata) of a parsed pysie workbook; an input
    cell holding a formula is read through ``evaluate_formula(sheet, cell)``
    (as ``import`` reads it), or refused when that is None."""
    meta = read_metadata(book, path)
    model = get_model(meta.model)
    require_model_sheets(book, model, path)
    values, cells = read_inputs(book, model, path, evaluate_formula=evaluate_formula)
    require_built_shape(book, model, values, cells, path)
    return model, values, meta


def workbook_plan(
    path: Path,
    evaluate_formula: Any = None,
    book: ParsedBook | None = None,
    *,
    snapshot_numbers: bool = True,
    contents: bool = True,
) -> WorkbookPlan:
    """The plan of a pysie workbook for the inputs (and compared presets'
    inputs) it holds: every formula cell with the solver's value. ``book`` is
    ``path`` already parsed (:func:`pysie.excel.reader.read_book`);
    ``snapshot_numbers=False`` plans the Uncertainty sheet's cells without
    sampling its numbers and ``contents=False`` the table sheets' formula
    cells without their text and the snapshot sheets unsolved, their value
    cells NaN (all that a check needs, see :func:`solve_workbook` and
    :func:`plan_workbook`)."""
    path = Path(path)
    book = book if book is not None else read_book(path)
    model, values, meta = load_model_inputs(book, path, evaluate_formula)
    layout = Layout.of(model, values)
    solved = solve_workbook(
        model,
        values,
        read_preset_inputs(book, path, layout),
        snapshot_numbers=snapshot_numbers,
        snapshot_sheets=contents,
    )
    return plan_workbook(
        model, solved, template=meta.template, template_version=meta.template_version, contents=contents
    )


def check_workbook(path: Path, engine: str = "compiled", rtol: float = DEFAULT_RTOL, atol: float = 0.0) -> CheckReport:
    """Recalculate ``path`` with ``engine``, solve its inputs with numpy and
    compare every formula cell the model declares."""
    path = Path(path)
    require_engine(engine)  # an engine this machine lacks is refused before any work
    book = read_book(path)  # the one parse of the file; the compiled engine compiles it
    recalculated: dict[tuple[str, str], Any] = {}

    def engine_value(sheet: str, cell: str) -> Any:
        """An input formula's value as the engine computes it (one rule with import)."""
        if not recalculated:
            recalculated.update(recalculate(path, engine, book))
        if (sheet, cell) not in recalculated:  # text that merely starts with "=", not a formula
            return book[sheet][cell].value  # type: ignore[index]
        return recalculated[(sheet, cell)]

    steps.begin("reading the inputs and solving the model")
    plan = workbook_plan(path, engine_value, book, snapshot_numbers=False, contents=False)
    layout, model = plan.layout, plan.model
    expected = expected_values(plan)
    found = recalculated or recalculate(path, engine, book)
    unsolved = {s.sheet for s in model.snapshots}
    steps.begin("comparing every formula cell with the solver")
    missing = [f"{s}!{c}" for (s, c) in expected if (s, c) not in found]
    if len(missing) == len(expected):
        raise InputError(f"{path}: none of the model's formula cells are formulas here; was it saved as values only?")
    return CheckReport(
        path,
        engine,
        model.name,
        len(expected),
        compare_values(expected, found, rtol, atol, evaluation_order(layout), expected_words(plan)),
        missing,
        [f"{c.sheet}!{c.cell}" for c in plan.snapshot_cells() if _stored(book, c, unsolved)],
    )


def _stored(book: ParsedBook, cell: PlannedCell, unsolved: set[str]) -> bool:
    """Whether a snapshot cell of a check's plan holds a stored value: a value
    cell of an ``unsolved`` :class:`~pysie.spec.Snapshot` sheet (NaN, see
    :func:`workbook_plan`) does where the workbook holds a number there, as
    the plan of its solved rows would have it; every other snapshot cell does."""
    if (
        cell.sheet not in unsolved
        or cell.kind != "value"
        or not (isinstance(cell.content, float) and math.isnan(cell.content))
    ):
        return True
    value = book[cell.sheet][cell.cell].value  # type: ignore[index]
    return isinstance(value, (int, float)) and not isinstance(value, bool)
