"""The compiled engine: compile the workbook, not each cell.

Every cell is read once (:mod:`.book`), each distinct relative formula is
parsed once (:mod:`.parse`), cells of a column sharing one formula become a
run, runs are ordered by their dependencies (:mod:`.plan`) and the whole
workbook becomes one generated Python function over numpy arrays
(:mod:`.codegen`) whose operations are :data:`pysie.primitives.PRIMITIVES`.
Every array has one column per scenario, so one compiled workbook evaluates
many input sets at once (:meth:`CompiledWorkbook.evaluate`).

A workbook the engine cannot compile (a function it lacks, text formulas,
2-D ranges ...) raises :class:`Unsupported`; :func:`recalculate_compiled`
then falls back to the ``formulas`` package and says so. A circular reference
raises :class:`CircularReference` and is never handed on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from pysie.expr import Call
from pysie.primitives import PRIMITIVES
from pysie.recalc.compiled.book import Cells, ColumnKey, read_cells
from pysie.recalc.compiled.codegen import compile_plan
from pysie.recalc.compiled.parse import Unsupported
from pysie.recalc.compiled.plan import CircularReference, Plan, make_plan

__all__ = [
    "CircularReference",
    "CompiledResult",
    "CompiledWorkbook",
    "EngineFallback",
    "Unsupported",
    "compile_workbook",
    "recalculate_compiled",
]

CellKey = tuple[str, str]  # (sheet, "B7")
Target = Union[str, CellKey]

#: Results that Excel shows as TRUE / FALSE.
_BOOLEAN_OPS = {"ge", "gt", "le", "lt", "eq", "ne", "and", "or", "not", "isnumber", "iserror"}
_LOOKUP_OPS = {"match", "match_sorted", "na", "index"}
#: Scenarios evaluated together: bounds the arrays to about 256 MB.
_CHUNK_BYTES = 256 * 2**20


class EngineFallback(UserWarning):
    """The compiled engine handed a workbook to the formulas package."""


def _split(cell: str) -> tuple[str, int]:
    letters = cell.rstrip("0123456789")
    return letters.upper(), int(cell[len(letters) :])


@dataclass
class CompiledWorkbook:
    """A workbook compiled to one numpy function; see :func:`compile_workbook`."""

    path: Path
    cells: Cells
    plan: Plan
    function: Callable[..., None]
    source: str
    columns: dict[ColumnKey, int]
    data: dict[int, Any]
    base: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base = [np.zeros(0)] * len(self.columns)
        for col, i in self.columns.items():
            values = np.zeros(self.plan.sizes[col])
            for row, value in self.cells.numbers.get(col, {}).items():
                if row < values.size:
                    values[row] = value
            for row in self.cells.texts.get(col, ()):
                if row < values.size:
                    values[row] = math.nan
            self.base[i] = values
        self.functions = {op: p.numpy for op, p in PRIMITIVES.items()}

    # --- addressing ---------------------------------------------------------------

    @property
    def names(self) -> dict[str, CellKey]:
        """Workbook names of one cell -> (sheet, cell), in their own spelling."""
        return {self.cells.name_spelling[k]: (s, f"{c}{r}") for k, (s, c, r) in self.cells.names.items()}

    def locate(self, target: Target) -> tuple[str, str, int]:
        """(sheet, column, row) of a defined name or a ``(sheet, "B7")`` pair."""
        if isinstance(target, str):
            found = self.cells.names.get(target.lower())
            if found is None:
                raise KeyError(f"{self.path.name}: no workbook name {target!r} of one cell")
            return found
        sheet, cell = target
        col, row = _split(cell.replace("$", ""))
        return sheet, col, row

    def formula_cells(self) -> list[CellKey]:
        return [(r.sheet, f"{r.col}{t}") for r in self.plan.runs for t in range(r.start, r.end + 1)]

    def _is_formula(self, sheet: str, col: str, row: int) -> bool:
        return any(r.sheet == sheet and r.col == col and r.start <= row <= r.end for r in self.plan.runs)

    # --- evaluation ---------------------------------------------------------------

    def _run(self, changes: Mapping[tuple[str, str, int], np.ndarray], n: int) -> list[np.ndarray]:
        arrays = [np.repeat(b[:, None], n, axis=1) for b in self.base]
        for (sheet, col, row), value in changes.items():
            i = self.columns.get((sheet, col))
            if i is not None and row < arrays[i].shape[0]:
                arrays[i][row] = value
        with np.errstate(all="ignore"):
            self.function(arrays, self.functions, self.data)
        return arrays

    def _changes(self, changes: Mapping[Target, Any]) -> tuple[dict[tuple[str, str, int], np.ndarray], int]:
        located: dict[tuple[str, str, int], np.ndarray] = {}
        for target, value in changes.items():
            where = self.locate(target)
            if self._is_formula(*where):
                raise ValueError(f"{where[0]}!{where[1]}{where[2]} holds a formula; only input cells can be set")
            located[where] = np.atleast_1d(np.asarray(value, dtype=float))
        lengths = {v.size for v in located.values() if v.size != 1}
        if len(lengths) > 1:
            raise ValueError(f"changed inputs have different numbers of scenarios: {sorted(lengths)}")
        return located, (lengths.pop() if lengths else 1)

    def evaluate(
        self, changes: Mapping[Target, Any] | None = None, outputs: Sequence[Target] | None = None
    ) -> dict[Target, np.ndarray]:
        """Evaluate the workbook for many input sets at once.

        ``changes`` maps a defined name or ``(sheet, cell)`` of an input cell to
        a number or an array over scenarios (arrays share one length).
        Returns ``outputs`` (default: every defined name on a formula cell) ->
        an array of shape ``(scenarios,)``; errors are NaN.
        """
        located, n = self._changes(changes or {})
        if outputs is None:
            outputs = sorted(name for name, (s, c) in self.names.items() if self._is_formula(s, *_split(c)))
        where = [self.locate(o) for o in outputs]
        rows = sum(b.size for b in self.base)
        chunk = max(1, _CHUNK_BYTES // (8 * max(rows, 1)))
        out = {o: np.empty(n) for o in outputs}
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            part = {k: (v if v.size == 1 else v[lo:hi]) for k, v in located.items()}
            arrays = self._run(part, hi - lo)
            for o, (sheet, col, row) in zip(outputs, where):
                out[o][lo:hi] = arrays[self.columns[(sheet, col)]][row] if (sheet, col) in self.columns else 0.0
        for v in out.values():
            v[~np.isfinite(v)] = np.nan
        return out

    def values(self, changes: Mapping[Target, float] | None = None) -> dict[CellKey, Any]:
        """Every formula cell's value for one input set, as
        :func:`pysie.recalc.recalculate` returns them (floats, bools, error codes)."""
        located, n = self._changes(changes or {})
        if n != 1:
            raise ValueError("values() takes one input set; use evaluate() for many")
        arrays = self._run(located, 1)
        out: dict[CellKey, Any] = {}
        for run in self.plan.runs:
            column = arrays[self.columns[run.column]][run.start : run.end + 1, 0].tolist()
            root = run.tree.op if isinstance(run.tree, Call) else None
            error = "#N/A" if any(isinstance(n, Call) and n.op in _LOOKUP_OPS for n in run.tree.walk()) else "#NUM!"
            boolean = root in _BOOLEAN_OPS
            for t, value in enumerate(column, start=run.start):
                if not math.isfinite(value):
                    value = error
                elif boolean:
                    value = bool(value)
                out[(run.sheet, f"{run.col}{t}")] = value
        return out


def compile_workbook(path: Path) -> CompiledWorkbook:
    """Read and compile ``path``; raises :class:`Unsupported` (with the cell
    and the reason) or :class:`CircularReference`."""
    cells = read_cells(Path(path))
    plan = make_plan(cells)
    function, source, columns, data = compile_plan(plan)
    return CompiledWorkbook(Path(path), cells, plan, function, source, columns, data)


@dataclass(frozen=True)
class CompiledResult:
    """Values of every formula cell and which engine produced them."""

    values: dict[CellKey, Any]
    engine: str  # "compiled", or "formulas" after a fallback
    fallback_reason: str | None = None


def recalculate_compiled(path: Path, sheet_names: list[str] | None = None) -> CompiledResult:
    """Recalculate with the compiled engine, or with the formulas package
    (warning :class:`EngineFallback` with the reason) when it cannot compile."""
    try:
        return CompiledResult(compile_workbook(path).values(), "compiled")
    except Unsupported as exc:
        reason = str(exc)
    warnings.warn(
        f"{Path(path).name}: compiled engine cannot evaluate it ({reason}); using the formulas package",
        EngineFallback,
        stacklevel=2,
    )
    from pysie.recalc import formula_cells
    from pysie.recalc.formulas_engine import recalculate_formulas

    sheets, formulas_at = formula_cells(Path(path))
    values = recalculate_formulas(Path(path), sheets)
    return CompiledResult({key: values.get(key) for key in formulas_at}, "formulas", reason)
