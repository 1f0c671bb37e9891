"""The reference row loop: one generated line per column, one numpy primitive
per operation (:mod:`pysie.primitives`), exactly as the sheet steps.

:func:`pysie.solver.solve` runs it with ``reference=True``; the fast loops of
:mod:`pysie.fastpath` are tested against it on every model. The helpers here
(the order a row is computed in, identifiers and source of expressions) are
shared by both generators.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import numpy as np

from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.primitives import PRIMITIVES
from pysie.spec import Table


def as_errors(values: np.ndarray) -> np.ndarray:
    """Store every error (inf or NaN while computing) as NaN, in place."""
    values[~np.isfinite(values)] = np.nan
    return values


def row_order(table: Table, first: bool = False) -> list[str]:
    """Columns in an order where each follows the same-row cells it reads."""
    deps = {}
    for col in table.columns:
        if col.is_data:
            continue  # stored values are filled before any row is computed
        expr = col.first if first else col.next
        deps[col.name] = {n.name for n in expr.walk() if (isinstance(n, Col) and n.lag == 0) or isinstance(n, Cell)} - {
            col.name
        }
    order: list[str] = []
    while deps:
        ready = [name for name, d in deps.items() if not d & deps.keys()]
        if not ready:
            raise ValueError(f"table {table.name}: circular same-row references among {sorted(deps)}")
        order += ready
        for name in ready:
            del deps[name]
    return order


def ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def source(expr: Expr, row: str) -> str:
    """Python source that computes ``expr`` for row ``row``."""
    if isinstance(expr, Const):
        return repr(float(expr.value))
    if isinstance(expr, Name):
        return f"n_{ident(expr.name)}"
    if isinstance(expr, Col):
        return f"c_{ident(expr.name)}[{row}-{expr.lag}]" if expr.lag else f"c_{ident(expr.name)}[{row}]"
    if isinstance(expr, Cell):
        return f"c_{ident(expr.name)}[{expr.row}]"
    if isinstance(expr, Range):
        return f"r_{ident(expr.table)}__{ident(expr.name)}"
    if isinstance(expr, Call):
        return f"f_{expr.op}({', '.join(source(a, row) for a in expr.args)})"
    raise TypeError(f"{expr!r} cannot appear in a table column")


@lru_cache(maxsize=64)
def compiled(table: Table) -> tuple[Callable[..., None], str]:
    """Generate and compile the row loop of ``table`` once."""
    names = sorted({n.name for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Name)})
    ops = sorted({n.op for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Call)})
    ranges = sorted(
        {(n.table, n.name) for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Range)}
    )
    lines = ["def solve_rows(N, C, rows, F, T):"]
    lines += [f"    f_{op} = F[{op!r}]" for op in ops]
    lines += [f"    n_{ident(n)} = N[{n!r}]" for n in names]
    lines += [f"    r_{ident(t)}__{ident(c)} = T[{t!r}][{c!r}].T" for t, c in ranges]
    lines += [f"    c_{ident(c.name)} = C[{c.name!r}]" for c in table.columns]
    if table.independent_rows:  # every row has the same equation: whole columns at once
        for name in row_order(table):
            lines.append(f"    c_{ident(name)}[:] = {source(table.column(name).next, ':')}")
        lines.append("    return")
    for name in row_order(table, first=True):
        lines.append(f"    c_{ident(name)}[0] = {source(table.column(name).first, '0')}")
    lines.append("    for t in range(1, rows):")
    for name in row_order(table, first=False):
        lines.append(f"        c_{ident(name)}[t] = {source(table.column(name).next, 't')}")
    text = "\n".join(lines)
    namespace: dict[str, object] = {}
    exec(compile(text, f"<pysie table {table.name}>", "exec"), namespace)
    return namespace["solve_rows"], text  # type: ignore[return-value]


def solve_table(
    table: Table,
    names: Mapping[str, np.ndarray],
    tables: Mapping[str, Mapping[str, np.ndarray]],
    structural: Mapping[str, float],
    n: int,
) -> dict[str, np.ndarray]:
    """Fill stored-value columns, then run the compiled row loop."""
    solve_rows, _ = compiled(table)
    rows = table.rows(structural)
    columns = {c.name: np.empty((rows, n)) for c in table.columns}
    for c in table.columns:
        if c.data is not None:
            columns[c.name][:] = np.asarray(c.data.values(structural, rows), dtype=float).reshape(rows, 1)
    functions = {op: p.numpy for op, p in PRIMITIVES.items()}
    solve_rows(names, columns, rows, functions, tables)
    return {name: as_errors(values) for name, values in columns.items()}


def tablesource(table: Table) -> str:
    """The generated row loop, for reading and debugging."""
    return compiled(table)[1]
