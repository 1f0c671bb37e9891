"""Scenarios that have settled stop being stepped (the fast vector loop of :mod:`pysie.fastpath`).

A row loop computes row t+1 from row t: ``x_{t+1} = F(x_t)`` for the state
x of one scenario, where F reads the previous row (lag 1), cells of the same
row computed before, the scenario's names and constants. When a scenario's row
t equals its row t-1 bit for bit in every column of the state, F gives row t+1
equal to row t again (the same operations on the same bits), and so on to the
last row: the scenario has *settled*, and every later row holds its row t.
Simulations that stop (software-explosion's runs end once t >= horizon,
S >= S_max or r <= 0, and each later row repeats the last state) settle a
row after they stop, often long before the table's last row.

:func:`run_rows` steps a block of rows at a time; after each block, the
scenarios whose last two rows agree are written out to the last row and the
others are gathered into smaller arrays that the next block steps. Every
value is computed by the same generated statements, element by element, as
without this (numpy's element-wise operations give the same bits for an
element whichever array it is in, as the Monte Carlo's independence of chunk
size already relies on), so the table is identical to the one stepped for every
scenario to the last row (``tests/test_settle.py``).

Which columns are state (:func:`plan`): every column but the *uniform* ones,
those that hold the same value in every scenario because they read only
constants, stored data and other uniform columns (a step counter
``step = step_{t-1} + 1``): they never repeat, are computed for one
scenario still stepping (at least one always is) and copied to all. A table
whose state reads a uniform or stored column (the row number) or
reads further back than one row, or a fixed cell, does not settle this way:
:func:`plan` returns None and every scenario is stepped to the last row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pysie.expr import Cell, Col, Name, Range
from pysie.spec import Table

#: rows stepped between two looks for settled scenarios
BLOCK = 8
#: settled scenarios are set aside once they are at least this share of those stepped
#: (each gather costs about as much as a row)
SHARE = 1 / 8


@dataclass(frozen=True)
class Plan:
    """How a table settles: ``state`` is compared between rows, ``uniform`` is the
    same in every scenario, ``data`` are its stored columns, ``names`` and
    ``ranges`` (table, column) what it reads from outside."""

    state: tuple[str, ...]
    uniform: frozenset[str]
    data: frozenset[str]
    names: tuple[str, ...]
    ranges: frozenset[tuple[str, str]] = frozenset()


@lru_cache(maxsize=64)
def plan(table: Table) -> Plan | None:
    """The columns a settled scenario repeats, or None when the rows cannot settle
    (independent rows, lags beyond one row, fixed cells, state reading the row)."""
    if table.independent_rows:
        return None
    reads: dict[str, set[str]] = {}
    outside: set[str] = set()  # columns reading a name or another table: differ by scenario
    for c in table.columns:
        if c.is_data:
            continue
        nodes = [n for e in (c.first, c.next) for n in e.walk()]
        if any(isinstance(n, Cell) or (isinstance(n, Col) and n.lag > 1) for n in nodes):
            return None
        reads[c.name] = {n.name for n in nodes if isinstance(n, Col)}
        if any(isinstance(n, (Name, Range)) for n in nodes):
            outside.add(c.name)
    uniform = {c.name for c in table.columns if c.is_data}
    changed = True
    while changed:
        changed = False
        for name, read in reads.items():
            if name not in uniform and name not in outside and read <= uniform | {name}:
                uniform.add(name)
                changed = True
    state = tuple(c.name for c in table.columns if c.name not in uniform)
    if not state or any(reads[name] & uniform for name in state):
        return None
    nodes = [n for c in table.columns for e in (c.first, c.next) for n in e.walk()]
    names = tuple(sorted({n.name for n in nodes if isinstance(n, Name)}))
    ranges = frozenset((n.table, n.name) for n in nodes if isinstance(n, Range))
    data = frozenset(c.name for c in table.columns if c.is_data)
    return Plan(state, frozenset(uniform), data, names, ranges)


def _row(values: np.ndarray, t: int, ring: bool) -> np.ndarray:
    return values[t & 1] if ring else values[t]


def run_rows(
    solve_rows: Callable[..., Any],
    settling: Plan,
    ring: frozenset[str],
    names: Mapping[str, np.ndarray],
    columns: dict[str, np.ndarray],
    rows: int,
    n: int,
    functions: Mapping[str, Any],
    tables: Mapping[str, Mapping[str, np.ndarray]],
    block: int = BLOCK,
    last: frozenset[str] = frozenset(),
) -> None:
    """Fill ``columns`` (rows x n, or 2 x n for the ``ring`` columns) as
    ``solve_rows(names, columns, rows, functions, tables, start, stop)`` does
    for rows 0..rows-1, stepping only the scenarios that have not settled.
    Of the ``ring`` columns, those in ``last`` are filled at the last row for
    every scenario (the others hold only the scenarios still stepped)."""
    active: np.ndarray | None = None  # scenarios (of n) still stepped; None: all, in ``columns`` themselves
    held: dict[str, np.ndarray] = {}  # per stored state column, every scenario's last row so far (settled: final)
    work, work_names = columns, {k: names[k] for k in settling.names}
    work_tables: dict[str, dict[str, np.ndarray]] = {}
    for table, column in settling.ranges:
        work_tables.setdefault(table, {})[column] = tables[table][column]
    start = 0
    while start < rows:
        stop = min(rows, start + block)
        solve_rows(work_names, work, rows, functions, work_tables, start, stop)
        if active is not None:
            for name, values in work.items():
                if name in last and stop == rows:  # its last row: settled scenarios hold theirs
                    out = _row(columns[name], rows - 1, True)
                    np.copyto(out, held[name])
                    out[active] = _row(values, rows - 1, True)
                if name in ring or name in settling.data:
                    continue
                if name in settling.uniform:
                    columns[name][start:stop] = values[start:stop, :1]
                    continue
                for t in range(start, stop):  # settled scenarios hold their row, the others are written
                    out = columns[name][t]
                    np.copyto(out, held[name])
                    out[active] = values[t]
        if stop == rows or stop < 2:
            start = stop
            continue
        m = next(iter(work.values())).shape[1]
        same = np.ones(m, dtype=bool)
        for name in settling.state:
            now, before = (_row(work[name], t, name in ring) for t in (stop - 1, stop - 2))
            same &= now.view(np.int64) == before.view(np.int64)
        if same.all():
            same[0] = False  # one scenario keeps stepping the uniform columns
        settled = np.flatnonzero(same)
        if settled.size and settled.size >= SHARE * m:
            going = np.flatnonzero(~same)
            for name in work:
                if (name not in ring or name in last) and name not in settling.uniform:
                    if name not in held:
                        held[name] = np.array(_row(columns[name], stop - 1, name in ring))
                    else:
                        held[name][active] = _row(work[name], stop - 1, name in ring)
            work = _gathered(work, going, stop - 1, ring, settling.data, fresh=active is None)
            work_names = {k: v[going] if np.ndim(v) and len(v) == m else v for k, v in work_names.items()}
            work_tables = {t: {c: v[:, going] for c, v in cols.items()} for t, cols in work_tables.items()}
            active = going if active is None else active[going]
        start = stop


def _gathered(
    work: Mapping[str, np.ndarray],
    going: np.ndarray,
    last: int,
    ring: frozenset[str],
    data: frozenset[str],
    fresh: bool,
) -> dict[str, np.ndarray]:
    """Arrays for the scenarios ``going``: row ``last`` (all the next row reads),
    every row of the stored columns. ``fresh``: new arrays (``work`` holds the
    results); otherwise the first columns of ``work``'s own arrays (no new memory)."""
    out: dict[str, np.ndarray] = {}
    k = going.size
    for name, values in work.items():
        target = np.empty((values.shape[0], k)) if fresh else values[:, :k]
        if name in data:
            target[:] = values[:, going]
        else:
            row = last & 1 if name in ring else last
            target[row] = values[row, going]
        out[name] = target
    return out
