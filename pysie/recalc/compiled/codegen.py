"""Generate one Python function that evaluates a whole plan over numpy arrays.

Every column of the workbook that holds or is read by a formula is an array
``c<i>`` of shape ``(rows + 1, scenarios)`` indexed by the Excel row number.
A ``vector`` step is one line of slices; ``rows`` and ``loop`` steps are
``for t in range(...)`` loops over rows (a loop computes each row of all its
runs, as :mod:`pysie.solver` does, cut into stretches of rows covered by the
same runs so no row bound is tested per row); a ``cells`` step calls one small row
function per cell in the order the plan found. Every operation is the numpy
function of :data:`pysie.primitives.PRIMITIVES`, so semantics live there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pysie.expr import Call, Const, Expr
from pysie.recalc.compiled.book import ColumnKey, Run
from pysie.recalc.compiled.parse import Area, Ref
from pysie.recalc.compiled.plan import Plan


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

    def start_loop(self, runs: list[Run]) -> None:
        """Row-loop code follows: calls over constants and fixed cells that the
        loop does not assign are computed once, before it (see :meth:`hoist`)."""
        self.hoisted = {}
        self.written = {r.column for r in runs}

    def end_loop(self) -> list[str]:
        """The lines computing the loop's invariant values, to put before it."""
        lines = [f"{name} = {source}" for source, name in (self.hoisted or {}).items()]
        self.hoisted = None
        return lines

    def invariant(self, tree: Expr) -> bool:
        if isinstance(tree, Const):
            return True
        if isinstance(tree, Ref):
            return not tree.relative and (tree.sheet or "", tree.col) not in self.written
        if isinstance(tree, Call):
            return all(self.invariant(a) for a in tree.args)
        return False

    def counter(self) -> int:
        self.count += 1
        return self.count

    def var(self, sheet: str | None, col: str) -> str:
        return f"c{self.columns[(sheet or '', col)]}"

    def expr(self, tree: Expr, run: Run, vector: bool) -> str:
        """Source of ``tree``: rows start..end of ``run`` at once, or row ``t``."""
        if isinstance(tree, Const):
            return "NAN" if math.isnan(tree.value) else repr(float(tree.value))
        if isinstance(tree, Ref):
            v = self.var(tree.sheet, tree.col)
            if not tree.relative:
                return f"{v}[{tree.row}]"
            if vector:
                return f"{v}[{run.start + tree.row}:{run.end + tree.row + 1}]"
            return f"{v}[{_offset('t', tree.row)}]"
        if isinstance(tree, Area):
            v = self.var(tree.sheet, tree.col)
            lo = _offset("t", tree.row0) if tree.rel0 else str(tree.row0)
            if tree.row1 is None:
                hi = str(self.plan.sizes[(tree.sheet or "", tree.col)])
            else:
                hi = _offset("t", tree.row1 + 1) if tree.rel1 else str(tree.row1 + 1)
            return f"{v}[{lo}:{hi}].T"
        if isinstance(tree, Call):
            self.ops.add(tree.op)
            source = f"f_{tree.op}({', '.join(self.expr(a, run, vector) for a in tree.args)})"
            if self.hoisted is not None and self.invariant(tree):
                source = self.hoisted.setdefault(source, f"h{self.counter()}")
            return source
        raise TypeError(f"cannot generate {tree!r}")

    def assign(self, run: Run, vector: bool) -> str:
        target = self.var(run.sheet, run.col)
        if vector:
            return f"{target}[{run.start}:{run.end + 1}] = {self.expr(run.tree, run, True)}"
        return f"{target}[t] = {self.expr(run.tree, run, False)}"


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
    for lo, hi in zip(cuts, cuts[1:]):
        active = [r for r in runs if r.start <= lo and hi - 1 <= r.end]
        if active:
            out.append((lo, hi - 1, active))
    return out


def generate(plan: Plan) -> tuple[str, dict[ColumnKey, int]]:
    """Python source of ``evaluate(C, F, G)`` and the column -> array index map."""
    w = _Writer(plan)
    body: list[str] = []
    runs = plan.runs
    for k, step in enumerate(plan.steps):
        if step.kind == "vector":
            body.append(w.assign(runs[step.runs[0]], True))
        elif step.kind == "rows":
            run = runs[step.runs[0]]
            w.start_loop([run])
            line = "    " + w.assign(run, False)
            body += w.end_loop() + [f"for t in range({run.start}, {run.end + 1}):", line]
        elif step.kind == "loop":
            w.start_loop([runs[i] for i in step.runs])
            loop: list[str] = []
            for first, last, active in _segments([runs[i] for i in step.runs], step.first, step.last):
                loop.append(f"for t in range({first}, {last + 1}):")
                loop += ["    " + w.assign(run, False) for run in active]
            body += w.end_loop() + loop
        else:
            names = []
            for i in step.runs:
                body.append(f"def r{i}(t):")
                body.append("    " + w.assign(runs[i], False))
                names.append(f"{i}: r{i}")
            body.append(f"R{k} = {{{', '.join(names)}}}")
            body.append(f"for i, t in G[{k}]:")
            body.append(f"    R{k}[i](t)")
    head = ["def evaluate(C, F, G):", "    NAN = float('nan')"]
    head += [f"    f_{op} = F[{op!r}]" for op in sorted(w.ops)]
    head += [f"    c{i} = C[{i}]" for i in range(len(w.columns))]
    return "\n".join(head + ["    " + line for line in body]) + "\n", w.columns


def compile_plan(plan: Plan) -> tuple[Callable[..., None], str, dict[ColumnKey, int], dict[int, Any]]:
    """The compiled ``evaluate`` function, its source, the column map and its data."""
    source, columns = generate(plan)
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<pysie workbook {plan.cells.path.name}>", "exec"), namespace)
    data = {k: step.order for k, step in enumerate(plan.steps) if step.kind == "cells"}
    return namespace["evaluate"], source, columns, data
