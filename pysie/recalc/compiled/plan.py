"""Order the runs of a workbook into evaluation steps.

Runs are the nodes of a dependency graph (run A depends on run B when A reads
a row B computes). Its strongly connected components, in topological order,
become steps:

* ``vector``: a run that reads no range and not itself is computed for all
  its rows at once (numpy slices, one row per array row);
* ``rows``: a run that reads a range (MATCH, INDEX, SUM ...) but not itself
  is computed row by row;
* ``loop``: runs that read each other's (or their own) earlier rows, as a
  recurrence does, are computed together row by row, each row in an order
  where a run follows the same-row cells it reads (like :mod:`pysie.solver`);
* ``cells``: any other cycle of runs is ordered cell by cell; a cycle of
  cells is a circular reference and raises :class:`CircularReference`.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from pysie.recalc.compiled.book import Cells, ColumnKey, Run
from pysie.recalc.compiled.graph import strong_components
from pysie.recalc.compiled.parse import (
    BOOLEAN_RESULTS,
    PASS_THROUGH,
    RANGE_PICKS,
    TEXT_OPS,
    Area,
    Call,
    Const,
    Expr,
    Ref,
    Text,
    Unsupported,
    columns_between,
    nodes,
)
from pysie.recalc.compiled.values import is_boolean
from pysie.spec import InputError


class CircularReference(InputError):
    """Cells that depend on themselves; the message names a cycle."""


@dataclass(frozen=True)
class Read:
    """One reference of a run: a cell or a range of one column."""

    column: ColumnKey
    row0: int
    rel0: bool
    row1: int | None  # None: to the end of the column
    rel1: bool
    area_op: str | None = None  # the operation reading it, for ranges

    def rows_at(self, t: int, last: int) -> tuple[int, int]:
        """Rows read by the cell in row ``t`` (``last``: the column's last row)."""
        lo = t + self.row0 if self.rel0 else self.row0
        hi = last if self.row1 is None else (t + self.row1 if self.rel1 else self.row1)
        return lo, hi

    def rows_over(self, run: Run, last: int) -> tuple[int, int]:
        """Rows read by any cell of ``run``."""
        a, b = self.rows_at(run.start, last), self.rows_at(run.end, last)
        return min(a[0], b[0]), max(a[1], b[1])


def reads(tree: Expr) -> Iterator[Read]:
    """Every cell and range (one read per column) ``tree`` reads."""
    for node in nodes(tree):
        if isinstance(node, Ref):
            yield Read((node.sheet or "", node.col), node.row, node.relative, node.row, node.relative)
        elif isinstance(node, Area):
            for col in columns_between(node.col, node.last_col):
                yield Read((node.sheet or "", col), node.row0, node.rel0, node.row1, node.rel1, "range")


def has_area(tree: Expr) -> bool:
    return any(isinstance(n, Area) for n in nodes(tree))


@dataclass
class Step:
    kind: str  # "vector", "rows", "loop" or "cells"
    runs: list[int]
    first: int = 0  # loop rows
    last: int = 0
    order: list[tuple[int, int]] | None = None  # cells: (run, row)


@dataclass
class Plan:
    cells: Cells
    runs: list[Run]
    sizes: dict[ColumnKey, int]
    steps: list[Step]
    #: rows of each column that may hold a text or a boolean: such constants and runs that can give one
    value_rows: dict[ColumnKey, list[tuple[int, int]]] = field(default_factory=dict)

    def may_be_text_or_boolean(self, tree: Expr, run: Run) -> bool:
        """Whether ``tree``, in the cells of ``run``, can be a text or a boolean
        (so a number-wanting operation must read it through ``num``, and SUM
        must read it as a range, which skips both)."""
        return _may_be_text_or_boolean(tree, run, self.value_rows, self.sizes)


def _overlaps(read: Read, run: Run, value_rows: dict[ColumnKey, list[tuple[int, int]]], sizes: dict) -> bool:
    spans = value_rows.get(read.column)
    if not spans:
        return False
    lo, hi = read.rows_over(run, sizes.get(read.column, 1) - 1)
    return any(a <= hi and b >= lo for a, b in spans)


def _may_be_text_or_boolean(
    tree: Expr, run: Run, value_rows: dict[ColumnKey, list[tuple[int, int]]], sizes: dict
) -> bool:
    """Whether ``tree`` can be a text or a boolean (see :meth:`Plan.may_be_text_or_boolean`)."""
    if isinstance(tree, Text):
        return True
    if isinstance(tree, Const):
        return is_boolean(tree.value)
    if isinstance(tree, (Ref, Area)):
        return any(_overlaps(r, run, value_rows, sizes) for r in reads(tree))
    if not isinstance(tree, Call):
        return False
    if tree.op in TEXT_OPS or tree.op in BOOLEAN_RESULTS:
        return True
    if tree.op in PASS_THROUGH:
        positions = PASS_THROUGH[tree.op]
        args = tree.args if positions is None else [tree.args[i] for i in positions if i < len(tree.args)]
        if tree.op == "choose":
            args = tree.args[1:]
        return any(_may_be_text_or_boolean(a, run, value_rows, sizes) for a in args)
    if tree.op in RANGE_PICKS:
        return _may_be_text_or_boolean(tree.args[1 if tree.op != "index" else 0], run, value_rows, sizes)
    return False


def _value_rows(cells: Cells, sizes: dict[ColumnKey, int]) -> dict[ColumnKey, list[tuple[int, int]]]:
    """Rows that may hold a text or a boolean: such constants, then (to a fixed
    point) runs whose formula can give one given what they read."""
    spans: dict[ColumnKey, list[tuple[int, int]]] = {}
    for table in (cells.texts, cells.booleans):
        for column, rows in table.items():
            spans.setdefault(column, []).extend((r, r) for r in sorted(rows))
    texty: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, run in enumerate(cells.runs):
            if i not in texty and _may_be_text_or_boolean(run.tree, run, spans, sizes):
                texty.add(i)
                spans.setdefault(run.column, []).append((run.start, run.end))
                changed = True
    return spans


class _Index:
    """Which runs cover which rows of each column."""

    def __init__(self, cells: Cells) -> None:
        self.cells = cells
        self.runs = cells.runs
        self.by_column: dict[ColumnKey, list[int]] = {}
        for i, run in enumerate(self.runs):
            self.by_column.setdefault(run.column, []).append(i)
        self.last = {col: self.last_row(col) for col in set(self.by_column) | set(cells.numbers) | set(cells.texts)}

    def last_row(self, column: ColumnKey) -> int:
        rows = [self.cells.max_row.get(column[0], 1)]
        return max(rows)

    def overlapping(self, column: ColumnKey, lo: int, hi: int) -> list[int]:
        return [i for i in self.by_column.get(column, ()) if self.runs[i].start <= hi and self.runs[i].end >= lo]

    def end_of(self, column: ColumnKey) -> int:
        return self.last.get(column, self.cells.max_row.get(column[0], 1))


def _validate(run: Run, read: Read, lo: int, hi: int, index: _Index) -> None:
    if lo < 1:
        raise Unsupported("a reference above row 1 (#REF!)").at(run.cell(run.start))


def make_plan(cells: Cells) -> Plan:
    index = _Index(cells)
    runs = cells.runs
    n = len(runs)
    sizes: dict[ColumnKey, int] = {col: index.end_of(col) + 1 for col in index.last}
    run_reads: list[list[Read]] = []
    rows, cols = [], []
    for a, run in enumerate(runs):
        rr = list(reads(run.tree))
        run_reads.append(rr)
        sizes[run.column] = max(sizes.get(run.column, 0), run.end + 1)
        for read in rr:
            lo, hi = read.rows_over(run, index.end_of(read.column))
            _validate(run, read, lo, hi, index)
            sizes[read.column] = max(sizes.get(read.column, 0), hi + 1)
            for b in index.overlapping(read.column, lo, hi):
                rows.append(a)
                cols.append(b)
    _equal_whole_columns(runs, sizes)
    labels = strong_components(n, zip(rows, cols, strict=False))
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(label), []).append(i)
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter()
    for label in members:
        sorter.add(label)
    self_loops = set()
    for a, b in zip(rows, cols, strict=False):
        if labels[a] != labels[b]:
            sorter.add(int(labels[a]), int(labels[b]))
        elif a == b:
            self_loops.add(a)
    steps = []
    for label in sorter.static_order():
        group = members[label]
        if len(group) == 1 and group[0] not in self_loops:
            kind = "rows" if has_area(runs[group[0]].tree) else "vector"
            steps.append(Step(kind, group))
        else:
            steps.append(_cycle_step(group, run_reads, index))
    return Plan(cells, runs, sizes, steps, _value_rows(cells, sizes))


def _equal_whole_columns(runs: list[Run], sizes: dict[ColumnKey, int]) -> None:
    """The columns of a range of whole columns (``A:C``) get one length, so
    their slices line up."""
    for run in runs:
        for node in nodes(run.tree):
            if isinstance(node, Area) and node.row1 is None and node.col1 is not None:
                keys = [(node.sheet or "", c) for c in columns_between(node.col, node.col1)]
                size = max(sizes.get(k, 0) for k in keys)
                for k in keys:
                    sizes[k] = size


def _cycle_step(group: list[int], run_reads: list[list[Read]], index: _Index) -> Step:
    """A row loop when every read inside the group looks at the same or an
    earlier row, else a cell-by-cell order (or a circular reference)."""
    members = set(group)
    runs = index.runs
    after: dict[int, set[int]] = {i: set() for i in group}  # same-row prerequisites
    ok = True
    for a in group:
        run = runs[a]
        for read in run_reads[a]:
            last = index.end_of(read.column)
            lo, hi = read.rows_over(run, last)
            inside = [b for b in index.overlapping(read.column, lo, hi) if b in members]
            if not inside:
                continue
            if read.row1 is None:
                ok = False
            elif read.rel1 and read.row1 < 0:
                continue
            elif read.rel1 and read.row1 == 0:
                after[a].update(inside)
            elif not read.rel1 and read.row1 < run.start:
                continue
            else:
                ok = False
    if ok:
        try:
            order = list(graphlib.TopologicalSorter({a: after[a] - {a} for a in group}).static_order())
            if not any(a in after[a] for a in group):
                first = min(runs[i].start for i in group)
                last = max(runs[i].end for i in group)
                return Step("loop", order, first, last)
        except graphlib.CycleError:
            pass
    return Step("cells", sorted(group), order=_cell_order(group, run_reads, index))


def _cell_order(group: list[int], run_reads: list[list[Read]], index: _Index) -> list[tuple[int, int]]:
    """Cells of ``group`` so that each follows the cells it reads (Kahn)."""
    members = set(group)
    runs = index.runs
    needs: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a in group:
        run = runs[a]
        for t in range(run.start, run.end + 1):
            deps = []
            for read in run_reads[a]:
                lo, hi = read.rows_at(t, index.end_of(read.column))
                for b in index.overlapping(read.column, lo, hi):
                    if b in members:
                        other = runs[b]
                        deps += [(b, r) for r in range(max(lo, other.start), min(hi, other.end) + 1)]
            needs[(a, t)] = deps
    sorter = graphlib.TopologicalSorter(needs)
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        names = [runs[a].cell(t) for a, t in cycle[:-1]]
        shown = " -> ".join(names[:8]) + (" -> ..." if len(names) > 8 else f" -> {names[0]}")
        raise CircularReference(f"circular reference: {shown}") from None
