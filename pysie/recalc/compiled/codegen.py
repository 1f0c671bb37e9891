"""Generate one Python function that evaluates a whole plan over numpy arrays.

Every column of the workbook that holds or is read by a formula is an array
``c<i>`` of shape ``(rows + 1, scenarios)`` indexed by the Excel row number,
and ``b<i>`` marks its empty cells. A ``vector`` step is one line of slices;
``rows`` and ``loop`` steps are ``for t in range(...)`` loops over rows (a
loop computes each row of all its runs, as :mod:`pysie.solver` does, cut into
stretches of rows covered by the same runs so no row bound is tested per
row); a ``cells`` step calls one small row function per cell in the order the
plan found. Every operation is a function of the engine's own library
(:data:`pysie.recalc.compiled.functions.FUNCTIONS`), so semantics live there.

A range argument is a tuple of ``(values, empty)`` slices, one per column. An
argument that may hold text or a boolean, given to an operation that wants a
number, is read through ``num`` (text to number or ``#VALUE!``, TRUE to 1 and
FALSE to 0; TRUE written in the formula there is the number 1). In the
one-scenario ``IF`` a boolean condition is told by identity when it is the
engine's own TRUE or FALSE (what its comparisons return), else by its bits.
Expressions nested more
than :data:`MAX_DEPTH` calls deep are cut into temporaries, so no generated
line is too deep for Python's parser.

For one scenario (:func:`compile_scalar`) the ``rows``, ``loop`` and
``cells`` steps are written over Python floats instead: each column a step
reads is a list ``l<i>`` taken at the step's start, each row's result is
written to the list and to its array, operations are :mod:`.scalar`'s
(``s_<op>``), ``IF`` evaluates only the branch it takes, and ``INDEX`` into
one column reads the list. ``vector`` steps stay numpy slices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from pysie.recalc.compiled.book import ColumnKey, Run
from pysie.recalc.compiled.parse import (
    AGGREGATES,
    NUMERIC_OPS,
    TEXT_READERS,
    Area,
    Call,
    Const,
    Expr,
    Ref,
    RowNumber,
    Text,
    columns_between,
)
from pysie.recalc.compiled.plan import Plan
from pysie.recalc.compiled.values import FALSE, TRUE, decode, is_boolean, text

#: Calls nested deeper than this in one generated line go to temporaries.
MAX_DEPTH = 40


def _offset(var: str, delta: int) -> str:
    return var if delta == 0 else f"{var}{delta:+d}"


class _Writer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.columns: dict[ColumnKey, int] = {col: i for i, col in enumerate(sorted(plan.sizes))}
        self.ops: set[str] = set()
        self.hoisted: dict[str, str] | None = None  # source -> name, inside a row loop
        self.written: set[ColumnKey] = set()  # columns the current loop assigns
        self.count = 0
        self.constants: list[float] = []
        self.constant_names: dict[bytes, str] = {}
        self.pre: list[str] = []  # temporaries of the statement being written
        self.uses_rows = False
        self.masks = empty_masks(plan, self.columns)
        self.run_index = {id(run): i for i, run in enumerate(plan.runs)}
        self.hoisted_by: dict[str, int] = {}  # hoisted name -> the run it came from
        #: writing a row step of the one-scenario function (:mod:`.scalar`): Python floats
        self.scalar = False
        self.scalar_ops: set[str] = set()
        self.listed: set[int] = set()  # columns the current one-scenario step reads as lists

    def start_loop(self, runs: list[Run]) -> None:
        """Row-loop code follows: calls over constants and fixed cells that the
        loop does not assign are computed once, before it (see :meth:`hoist`)."""
        self.hoisted = {}
        self.written = {r.column for r in runs}

    def end_loop(self) -> list[str]:
        """The lines computing the loop's invariant values, to put before it."""
        lines = [
            f"{name} = {source}  # run {self.hoisted_by[name]} (before)"
            for source, name in (self.hoisted or {}).items()
        ]
        self.hoisted = None
        return lines

    def invariant(self, tree: Expr) -> bool:
        stack = [tree]
        while stack:
            node = stack.pop()
            if isinstance(node, (Const, Text)):
                continue
            if isinstance(node, RowNumber):
                if node.relative:
                    return False
            elif isinstance(node, Ref):
                if node.relative or (node.sheet or "", node.col) in self.written:
                    return False
            elif isinstance(node, Call):
                stack.extend(node.args)
            else:
                return False
        return True

    def plain_cell(self, area: Area, run: Run) -> Expr:
        """A one-cell range given to SUM, MAX ... as the cell itself where it
        can hold neither text nor nothing (the common case, and much faster)."""
        if area.col1 is not None or area.row1 != area.row0 or area.rel1 != area.rel0:
            return area
        ref = Ref(area.sheet, area.col, area.row0, area.rel0)
        if self.plan.may_be_text_or_boolean(ref, run) or self.may_be_empty(ref, run):
            return area
        return ref

    def may_be_empty(self, ref: Ref, run: Run) -> bool:
        """Whether ``ref`` reads an empty cell in some row of ``run``."""
        mask = self.masks[f"b{self.columns[(ref.sheet or '', ref.col)]}"]
        if not ref.relative:
            return bool(mask[ref.row]) if ref.row < mask.size else True
        lo, hi = run.start + ref.row, run.end + ref.row
        return bool(mask[lo : hi + 1].any()) or hi >= mask.size

    def empty_mask(self, ref: Ref, run: Run, vector: bool) -> str:
        """Source of the empty-cell mask matching the source of ``ref``."""
        b = f"b{self.columns[(ref.sheet or '', ref.col)]}"
        if not ref.relative:
            return f"{b}[{ref.row}]"
        if vector:
            return f"{b}[{run.start + ref.row}:{run.end + ref.row + 1}, None]"
        return f"{b}[{_offset('t', ref.row)}]"

    def counter(self) -> int:
        self.count += 1
        return self.count

    def var(self, sheet: str | None, col: str) -> str:
        return f"c{self.columns[(sheet or '', col)]}"

    def constant(self, value: float) -> str:
        key = np.float64(value).tobytes()
        name = self.constant_names.get(key)
        if name is None:
            name = self.constant_names[key] = f"k{len(self.constants)}"
            self.constants.append(value)
        return name

    def expr(self, tree: Expr, run: Run, vector: bool) -> str:
        """Source of ``tree``: rows start..end of ``run`` at once, or row ``t``."""
        return self._expr(tree, run, vector)[0]

    def _expr(self, tree: Expr, run: Run, vector: bool) -> tuple[str, int, bool]:
        """(source, call depth, whether it uses a temporary of this statement)."""
        if isinstance(tree, Const):
            v = tree.value
            return (repr(float(v)) if math.isfinite(v) else self.constant(v)), 0, False
        if isinstance(tree, Text):
            return self.constant(text(tree.value)), 0, False
        if isinstance(tree, RowNumber):
            if not tree.relative:
                return repr(float(tree.row)), 0, False
            if vector:
                self.uses_rows = True
                return f"ROWNUM[{run.start + tree.row}:{run.end + tree.row + 1}]", 0, False
            return f"float({_offset('t', tree.row)})", 0, False
        if isinstance(tree, Ref) and self.scalar:
            i = self.columns[(tree.sheet or "", tree.col)]
            self.listed.add(i)
            return f"l{i}[{_offset('t', tree.row) if tree.relative else tree.row}]", 0, False
        if isinstance(tree, Ref):
            v = self.var(tree.sheet, tree.col)
            if not tree.relative:
                return f"{v}[{tree.row}]", 0, False
            if vector:
                return f"{v}[{run.start + tree.row}:{run.end + tree.row + 1}]", 0, False
            return f"{v}[{_offset('t', tree.row)}]", 0, False
        if isinstance(tree, Area):
            parts = [f"(c{i}[{lo}:{hi}], b{i}[{lo}:{hi}])" for i, lo, hi in self.area_columns(tree)]
            return f"({', '.join(parts)},)", 0, False
        if isinstance(tree, Call) and self.scalar:
            return self._scalar_call(tree, run)
        if isinstance(tree, Call):
            self.ops.add(tree.op)
            args, depth, temp = self._call_args(tree, run, vector, "f_", self.ops)
            return self._placed(tree, run, f"f_{tree.op}({', '.join(args)})", depth, temp)
        raise TypeError(f"cannot generate {tree!r}")

    def area_columns(self, area: Area) -> list[tuple[int, str, str]]:
        """(column index, source of the first row, of the row past the last) of each column of ``area``."""
        lo = _offset("t", area.row0) if area.rel0 else str(area.row0)
        out = []
        for col in columns_between(area.col, area.last_col):
            key = (area.sheet or "", col)
            if area.row1 is None:
                hi = str(self.plan.sizes[key])
            else:
                hi = _offset("t", area.row1 + 1) if area.rel1 else str(area.row1 + 1)
            out.append((self.columns[key], lo, hi))
        return out

    def _call_args(self, tree: Call, run: Run, vector: bool, prefix: str, ops: set[str]) -> tuple[list[str], int, bool]:
        """Sources of a call's arguments, each converted where the function needs it (a
        number from text that may be one, an empty cell read as text) by the helper of
        that name with ``prefix`` (``f_`` in the array functions, ``s_`` in the
        one-scenario function), whose names are added to ``ops``."""
        args, depth, temp = [], 0, False
        for arg in tree.args:
            if tree.op in AGGREGATES and isinstance(arg, Area):
                arg = self.plain_cell(arg, run)
            if tree.op in NUMERIC_OPS and isinstance(arg, Const) and is_boolean(arg.value):
                arg = Const(1.0 if decode(arg.value) else 0.0)  # TRUE written where a number is wanted is 1
            source, d, t = self._expr(arg, run, vector)
            if (
                tree.op in NUMERIC_OPS
                and not isinstance(arg, (Const, Area))
                and self.plan.may_be_text_or_boolean(arg, run)
            ):
                ops.add("num")
                source, d = f"{prefix}num({source})", d + 1
            elif tree.op in TEXT_READERS and isinstance(arg, Ref) and self.may_be_empty(arg, run):
                ops.add("empty_text")
                source, d = f"{prefix}empty_text({source}, {self.empty_mask(arg, run, vector)})", d + 1
            args.append(source)
            depth, temp = max(depth, d), temp or t
        return args, depth, temp

    def _scalar_args(self, tree: Call, run: Run) -> tuple[list[str], int, bool]:
        """Sources of a call's arguments in the one-scenario function."""
        return self._call_args(tree, run, False, "s_", self.scalar_ops)

    def _scalar_call(self, tree: Call, run: Run) -> tuple[str, int, bool]:
        """A call on Python floats (:mod:`.scalar`): ``IF`` evaluates only the
        branch it takes (as Excel does); ``INDEX`` into one column by one
        position reads the column's list; anything else is ``s_<op>(...)``."""
        self.scalar_ops.add(tree.op)
        args, depth, temp = self._scalar_args(tree, run)
        if tree.op == "if" and len(tree.args) in (2, 3):
            c = f"y{self.counter()}"
            otherwise = args[2] if len(args) == 3 else "0.0"
            # a finite condition picks a branch, and a boolean as 1 or 0 (TRUE and FALSE as this
            # module's constants, which the one-scenario comparisons return, are told apart by
            # identity; any other by s_truth); any other (an error, a text) is the array library's IF
            self.scalar_ops.add("truth")
            true, false = self.constant(TRUE), self.constant(FALSE)
            picked = f"({args[1]}) if {c} != 0.0 else ({otherwise})"
            truth = f"(1.0 if {c} is {true} else 0.0 if {c} is {false} else s_truth({c}))"
            finite = f"({c} := {args[0]}) - {c} == 0.0 or ({c} := {truth}) - {c} == 0.0"
            source = f"(({picked}) if {finite} else s_if({c}, 0.0, 0.0))"
        elif tree.op == "index" and len(tree.args) == 2 and isinstance(tree.args[0], Area):
            columns = self.area_columns(tree.args[0])
            if len(columns) == 1:
                i, lo, hi = columns[0]
                self.listed.add(i)
                self.scalar_ops.add("index_column")
                source = f"s_index_column(l{i}, {lo}, {hi}, {args[1]}, c{i}, b{i}, s_index)"
            else:
                source = f"s_index({', '.join(args)})"
        else:
            source = f"s_{tree.op}({', '.join(args)})"
        return self._placed(tree, run, source, depth, temp)

    def _placed(self, tree: Call, run: Run, source: str, depth: int, temp: bool) -> tuple[str, int, bool]:
        """``source`` of a call as the expression uses it: a hoisted name when the call
        is invariant over the run, a temporary when nesting reaches :data:`MAX_DEPTH`."""
        if self.hoisted is not None and not temp and self.invariant(tree):
            if source not in self.hoisted:
                self.hoisted[source] = name = f"h{self.counter()}"
                self.hoisted_by[name] = self.run_index[id(run)]
            return self.hoisted[source], 0, False
        if depth + 1 >= MAX_DEPTH:
            name = f"x{self.counter()}"
            self.pre.append(f"{name} = {source}")
            return name, 0, True
        return source, depth + 1, temp

    def assign(self, run: Run, vector: bool) -> list[str]:
        """The lines computing ``run``: temporaries, then the assignment."""
        target = self.var(run.sheet, run.col)
        self.pre = []
        if self.scalar and not vector:
            i = self.columns[run.column]
            self.listed.add(i)
            line = f"l{i}[t] = v{i}[t] = {self.expr(run.tree, run, False)}"
        elif vector:
            line = f"{target}[{run.start}:{run.end + 1}] = {self.expr(run.tree, run, True)}"
        else:
            line = f"{target}[t] = {self.expr(run.tree, run, False)}"
        lines, self.pre = [*self.pre, line], []
        run_index = self.run_index[id(run)]
        mark = " (all rows)" if vector else ""
        return [f"{line}  # run {run_index}{mark}" for line in lines]


def _segments(runs: list[Run], first: int, last: int) -> list[tuple[int, int, list[Run]]]:
    """Rows first..last of a loop cut where a run starts or ends: (first, last,
    the runs covering those rows, in loop order). Each row still computes its
    runs in the same order; the generated loops just test no row bounds."""
    cuts = sorted(
        {first, last + 1}
        | {r.start for r in runs if first < r.start <= last}
        | {r.end + 1 for r in runs if first <= r.end < last}
    )
    out = []
    for lo, hi in itertools.pairwise(cuts):
        active = [r for r in runs if r.start <= lo and hi - 1 <= r.end]
        if active:
            out.append((lo, hi - 1, active))
    return out


def generate(
    plan: Plan, scalar: bool = False
) -> tuple[str, dict[ColumnKey, int], list[float], dict[str, np.ndarray], set[str]]:
    """Python source of ``evaluate(C, F, G, D)`` (``scalar``: of
    ``evaluate(C, F, G, D, S)``, for one scenario, whose row steps compute on
    Python floats with the operations ``S`` of :mod:`.scalar`, each column a
    list ``l<i>`` read at the step's start and written through to its array),
    the column -> array index map, the constants (error and text values), the
    empty-cell masks it reads from ``D`` and the operations it takes from ``S``."""
    w = _Writer(plan)
    body: list[str] = []
    runs = plan.runs
    viewed: set[int] = set()
    for k, step in enumerate(plan.steps):
        if step.kind == "vector":
            body += w.assign(runs[step.runs[0]], True)
            continue
        w.scalar, w.listed = scalar, set()
        lines: list[str] = []
        if step.kind == "rows":
            run = runs[step.runs[0]]
            w.start_loop([run])
            inner = ["    " + line for line in w.assign(run, False)]
            lines = [*w.end_loop(), f"for t in range({run.start}, {run.end + 1}):", *inner]
        elif step.kind == "loop":
            w.start_loop([runs[i] for i in step.runs])
            loop: list[str] = []
            for first, last, active in _segments([runs[i] for i in step.runs], step.first, step.last):
                loop.append(f"for t in range({first}, {last + 1}):")
                for run in active:
                    loop += ["    " + line for line in w.assign(run, False)]
            lines = w.end_loop() + loop
        else:
            names = []
            for i in step.runs:
                lines.append(f"def r{i}(t):")
                lines += ["    " + line for line in w.assign(runs[i], False)]
                names.append(f"{i}: r{i}")
            lines.append(f"R{k} = {{{', '.join(names)}}}")
            lines.append(f"for i, t in G[{k}]:")
            lines.append(f"    R{k}[i](t)")
        body += [f"l{i} = v{i}.tolist()" for i in sorted(w.listed)] + lines
        viewed |= w.listed
        w.scalar = False
    head = ["def evaluate(C, F, G, D, S):" if scalar else "def evaluate(C, F, G, D):"]
    head += [f"    f_{op} = F[{op!r}]" for op in sorted(w.ops)]
    head += [f"    s_{op} = S[{op!r}]" for op in sorted(w.scalar_ops)]
    head += [f"    c{i} = C[{i}]" for i in range(len(w.columns))]
    head += [f"    v{i} = c{i}[:, 0]" for i in sorted(viewed)]
    head += [f"    b{i} = D['b{i}']" for i in range(len(w.columns))]
    head += [f"    k{i} = D['k'][{i}]" for i in range(len(w.constants))]
    if w.uses_rows:
        head.append("    ROWNUM = D['rows']")
    source = "\n".join(head + ["    " + line for line in body]) + "\n"
    return source, w.columns, w.constants, w.masks, w.scalar_ops


def empty_masks(plan: Plan, columns: dict[ColumnKey, int]) -> dict[str, np.ndarray]:
    """``b<i>``: True where column i's cell holds nothing (no constant, no formula)."""
    cells = plan.cells
    covered: dict[ColumnKey, list[tuple[int, int]]] = {}
    for run in plan.runs:
        covered.setdefault(run.column, []).append((run.start, run.end))
    out = {}
    for col, i in columns.items():
        mask = np.ones(plan.sizes[col], dtype=bool)
        for rows in (cells.numbers.get(col, {}), cells.texts.get(col, {})):
            filled = [r for r in rows if r < mask.size]
            mask[filled] = False
        for a, b in covered.get(col, ()):
            mask[a : b + 1] = False
        out[f"b{i}"] = mask
    return out


def compile_plan(plan: Plan) -> tuple[Callable[..., None], str, dict[ColumnKey, int], dict[int, Any], dict[str, Any]]:
    """The compiled ``evaluate`` function, its source, the column map, its
    cell orders and its data (empty-cell masks, constants, row numbers)."""
    source, columns, constants, masks, _ = generate(plan)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<pysie workbook {plan.cells.path.name}>", "exec"), namespace)
    orders = {k: step.order for k, step in enumerate(plan.steps) if step.kind == "cells"}
    data: dict[str, Any] = dict(masks)
    data["k"] = constants
    data["rows"] = np.arange(max(plan.sizes.values(), default=1) + 1, dtype=float)[:, None]
    return namespace["evaluate"], source, columns, orders, data


def compile_scalar(plan: Plan) -> tuple[Callable[..., None], str, list[float], set[str]]:
    """The one-scenario ``evaluate(C, F, G, D, S)`` (see :func:`generate`), its
    source, its constants (``D['k']``) and the operations it takes from ``S``."""
    source, _columns, constants, _masks, ops = generate(plan, scalar=True)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<pysie workbook {plan.cells.path.name} (one scenario)>", "exec"), namespace)
    return namespace["evaluate"], source, constants, ops
