"""The compiled engine: compile the workbook, not each cell.

Every cell is read once (:mod:`.book`), each distinct relative formula is
parsed once (:mod:`.parse`), cells of a column sharing one formula become a
run, runs are ordered by their dependencies (:mod:`.plan`) and the whole
workbook becomes one generated Python function over numpy arrays
(:mod:`.codegen`) whose operations are the engine's own library
(:mod:`.functions`), independent of the solver's :mod:`pysie.primitives`.
Every array has one column per scenario, so one compiled workbook evaluates
many input sets at once (:meth:`CompiledWorkbook.evaluate`). One input set (a
workbook's own recalculation, :meth:`CompiledWorkbook.values`) runs a second
generated function whose row loops compute on Python floats
(:mod:`.scalar`), with the same values bit for bit. Values, texts,
booleans and distinct Excel errors are held as described in :mod:`.values`.

What the engine does not evaluate is refused before any evaluation with
:class:`Unsupported` naming the cell ("Sheet!C4 uses WEBSERVICE, which pysie
does not evaluate"); a circular reference raises :class:`CircularReference`.
Both are :class:`pysie.spec.InputError`; nothing is handed to another engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pysie import steps
from pysie.excel.xlsx import BookCells
from pysie.recalc.compiled.book import Cells, ColumnKey, read_cells
from pysie.recalc.compiled.codegen import compile_plan, compile_scalar
from pysie.recalc.compiled.library import FUNCTIONS
from pysie.recalc.compiled.parse import Unsupported
from pysie.recalc.compiled.plan import CircularReference, Plan, make_plan
from pysie.recalc.compiled.scalar import index_column, scalar_library
from pysie.recalc.compiled.values import XlError, decode, encode, text, truth
from pysie.spec import InputError

__all__ = [
    "CircularReference",
    "CompiledResult",
    "CompiledWorkbook",
    "EvaluationFailed",
    "Unsupported",
    "compile_workbook",
    "recalculate_compiled",
]

CellKey = tuple[str, str]  # (sheet, "B7")
Target = str | CellKey

#: Scenarios evaluated together: bounds the arrays to about 256 MB.
_CHUNK_BYTES = 256 * 2**20


def _split(cell: str) -> tuple[str, int]:
    letters = cell.rstrip("0123456789")
    return letters.upper(), int(cell[len(letters) :])


class EvaluationFailed(InputError):
    """A formula the library raised on (a case it does not handle); the
    message names the cell."""


@dataclass
class CompiledWorkbook:
    """A workbook compiled to one numpy function; see :func:`compile_workbook`."""

    path: Path
    cells: Cells
    plan: Plan
    function: Callable[..., None]
    source: str
    columns: dict[ColumnKey, int]
    orders: dict[int, Any]
    data: dict[str, Any]
    base: list[np.ndarray] = field(default_factory=list)
    #: the one-scenario function, its source, data and operations, once compiled
    _scalar: tuple[Callable[..., None], str, dict[str, Any], set[str]] | None = field(
        default=None, init=False, repr=False
    )
    scalar_source: str = field(default="", init=False, repr=False)
    #: evaluate one scenario's row steps on Python floats (:mod:`.scalar`); False: as arrays, like many
    scalar_rows: bool = True

    def __post_init__(self) -> None:
        self.base = [np.zeros(0)] * len(self.columns)
        for col, i in self.columns.items():
            values = np.zeros(self.plan.sizes[col])
            for row, value in self.cells.numbers.get(col, {}).items():
                if row < values.size:
                    values[row] = value
            for row, value in self.cells.texts.get(col, {}).items():
                if row < values.size:
                    values[row] = text(value)
            self.base[i] = values
        #: the engine's library; tests replace entries to prove a check can fail
        self.functions: dict[str, Callable[..., Any]] = dict(FUNCTIONS)

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

    def _one_scenario(self) -> tuple[Callable[..., None], dict[str, Any], dict[str, Any]] | None:
        """(function, data, operations) of the one-scenario evaluation
        (:func:`~pysie.recalc.compiled.codegen.compile_scalar`, compiled when
        first needed), or None where the library's ``IF`` or ``INDEX`` has
        been replaced (:func:`~pysie.recalc.compiled.scalar.scalar_library`)."""
        if self._scalar is None:
            function, source, constants, ops = compile_scalar(self.plan)
            self._scalar = (function, source, {**self.data, "k": constants}, ops)
        function, self.scalar_source, data, ops = self._scalar
        library = scalar_library(ops - {"index_column"}, self.functions)
        if library is None:
            return None
        library["index_column"] = index_column
        return function, data, library

    def _run(self, changes: Mapping[tuple[str, str, int], np.ndarray], n: int) -> list[np.ndarray]:
        arrays = [np.repeat(b[:, None], n, axis=1) for b in self.base]
        for (sheet, col, row), value in changes.items():
            i = self.columns.get((sheet, col))
            if i is not None and row < arrays[i].shape[0]:
                arrays[i][row] = value
        try:
            with np.errstate(all="ignore"):
                one = self._one_scenario() if n == 1 and self.scalar_rows else None
                if one is None:
                    self.function(arrays, self.functions, self.orders, self.data)
                else:
                    function, data, library = one
                    function(arrays, self.functions, self.orders, data, library)
        except Exception as exc:  # a case the library does not handle: name the cell, never a traceback
            raise EvaluationFailed(self._failure(exc)) from exc
        return arrays

    def _failure(self, exc: Exception) -> str:
        """'Sheet!C4 (=formula): the compiled engine failed on it (...)' from
        the generated line that raised (each line ends in ``# run N``)."""
        what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        tb = exc.__traceback__
        where = None
        while tb is not None:
            name = tb.tb_frame.f_code.co_filename
            if name.startswith("<pysie workbook"):
                lines = (self.scalar_source if name.endswith("(one scenario)>") else self.source).splitlines()
                m = (
                    re.search(r"# run (\d+)( \((?:before|all rows)\))?$", lines[tb.tb_lineno - 1])
                    if tb.tb_lineno <= len(lines)
                    else None
                )
                if m:
                    run = self.plan.runs[int(m.group(1))]
                    row = run.start if m.group(2) else tb.tb_frame.f_locals.get("t", run.start)
                    where = f"{run.cell(row if isinstance(row, int) else run.start)} ({run.formula[:80]})"
            tb = tb.tb_next
        return f"{where or self.path.name}: the compiled engine failed to evaluate it ({what})"

    def _changes(self, changes: Mapping[Target, Any]) -> tuple[dict[tuple[str, str, int], np.ndarray], int]:
        located: dict[tuple[str, str, int], np.ndarray] = {}
        for target, value in changes.items():
            where = self.locate(target)
            if self._is_formula(*where):
                raise ValueError(f"{where[0]}!{where[1]}{where[2]} holds a formula; only input cells can be set")
            boolean = isinstance(value, (bool, np.bool_))  # an input set to TRUE or FALSE is that boolean
            located[where] = np.atleast_1d(np.asarray(encode(value) if boolean else value, dtype=float))
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
        an array of shape ``(scenarios,)``; TRUE is 1.0 and FALSE 0.0, errors and texts are NaN.
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
            for o, (sheet, col, row) in zip(outputs, where, strict=False):
                out[o][lo:hi] = arrays[self.columns[(sheet, col)]][row] if (sheet, col) in self.columns else 0.0
        for o, v in out.items():
            v = out[o] = truth(v)
            v[~np.isfinite(v)] = np.nan
        return out

    def values(self, changes: Mapping[Target, float] | None = None) -> dict[CellKey, Any]:
        """Every formula cell's value for one input set, as
        :func:`pysie.recalc.recalculate` returns them: floats, bools (Excel's
        TRUE and FALSE, whatever formula gave them), texts and error codes
        (``'#DIV/0!'``, ``'#N/A'`` ...)."""
        located, n = self._changes(changes or {})
        if n != 1:
            raise ValueError("values() takes one input set; use evaluate() for many")
        arrays = self._run(located, 1)
        out: dict[CellKey, Any] = {}
        for run in self.plan.runs:
            column = arrays[self.columns[run.column]][run.start : run.end + 1, 0]
            finite = np.isfinite(column)
            plain = column.tolist()
            for t, value in enumerate(plain, start=run.start):
                if not finite[t - run.start]:
                    found = decode(value)
                    value = str(found) if isinstance(found, XlError) else found
                out[(run.sheet, f"{run.col}{t}")] = value
        return out


def compile_workbook(path: Path, book: BookCells | None = None) -> CompiledWorkbook:
    """Read (or take ``book``, ``path`` already parsed) and compile ``path``;
    raises :class:`Unsupported` (naming the cell and what it uses) or
    :class:`CircularReference` before evaluating anything."""
    steps.begin("parsing the formulas")
    cells = read_cells(Path(path), book)
    steps.begin("ordering the formulas")
    plan = make_plan(cells)
    steps.begin("compiling the formulas")
    function, source, columns, orders, data = compile_plan(plan)
    return CompiledWorkbook(Path(path), cells, plan, function, source, columns, orders, data)


@dataclass(frozen=True)
class CompiledResult:
    """Values of every formula cell."""

    values: dict[CellKey, Any]
    engine: str = "compiled"


def recalculate_compiled(path: Path, book: BookCells | None = None) -> CompiledResult:
    """Recalculate with the compiled engine; what it cannot evaluate is
    refused (:class:`Unsupported`), never handed to another engine."""
    compiled = compile_workbook(path, book)
    steps.begin("evaluating the formulas")
    return CompiledResult(compiled.values())
