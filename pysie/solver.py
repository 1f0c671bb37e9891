"""The numpy engine: solve a declared model for many scenarios at once.

It steps exactly as the sheet does: row 0 of every table from the ``first``
equations, then row t from row t-1 and the cells of row t already computed,
with the same primitive operations (:mod:`pysie.primitives`) the formulas use.
Every value is an array over scenarios; the only Python loop is over rows.
Each table's row loop is generated once as Python source (one line per
column) and compiled, which keeps a 1,000-row table in the low milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.primitives import PRIMITIVES
from pysie.spec import Model, Scalar, Table, broadcast_parameters


@dataclass
class Solution:
    """Everything the solver computed.

    ``values`` maps every parameter and scalar name to an array over scenarios;
    ``tables[table][column]`` is an array of shape ``(rows, scenarios)``: row t
    of every scenario is contiguous, as the solver writes it.
    """

    model: Model
    values: dict[str, np.ndarray]
    tables: dict[str, dict[str, np.ndarray]]
    scenarios: int

    def value(self, name: str, scenario: int = 0) -> float:
        return float(self.values[name][scenario])

    def json_value(self, name: str, scenario: int = 0) -> float | None:
        """A value for a JSON report: None (null) where it is an error (NaN)."""
        value = self.value(name, scenario)
        return None if value != value else value

    def parameter_values(self, scenario: int = 0) -> dict[str, int | float]:
        """The parameters of one scenario, whole numbers as int (for reports)."""
        return {p.name: (int if p.integer else float)(self.value(p.name, scenario)) for p in self.model.parameters}

    def column(self, table: str, column: str, scenario: int = 0) -> np.ndarray:
        """One scenario's trajectory of a column, row by row."""
        return self.tables[table][column][:, scenario]


def solve(model: Model, parameters: Mapping[str, object]) -> Solution:
    """Solve ``model`` for the given parameter values (numbers or arrays; arrays
    are scenarios and must share one length)."""
    values, n = broadcast_parameters(model, parameters)
    structural = {p.name: float(values[p.name][0]) for p in model.parameters if p.structural}
    with np.errstate(all="ignore"):
        for scalar in _ordered(model.derived):
            values[scalar.name] = _broadcast(evaluate(scalar.expr, values, {}), n)
        tables: dict[str, dict[str, np.ndarray]] = {}
        for table in model.tables:
            tables[table.name] = _solve_table(table, values, tables, structural, n)
        for scalar in _ordered(model.outputs + model.checks):
            values[scalar.name] = _broadcast(evaluate(scalar.expr, values, tables), n)
    return Solution(model, values, tables, n)


def evaluate(expr: Expr, names: Mapping[str, np.ndarray], tables: Mapping[str, Mapping[str, np.ndarray]]) -> np.ndarray:
    """Evaluate a scalar expression (no row-relative references)."""
    if isinstance(expr, Const):
        return np.asarray(expr.value)
    if isinstance(expr, Name):
        return names[expr.name]
    if isinstance(expr, Range):
        return tables[expr.table][expr.name].T  # operations over a column read (scenarios, rows)
    if isinstance(expr, Call):
        return PRIMITIVES[expr.op].numpy(*(evaluate(a, names, tables) for a in expr.args))
    raise TypeError(f"{expr!r} can only appear in a table column")


def _as_errors(values: np.ndarray) -> np.ndarray:
    """Store every error (inf or NaN while computing) as NaN, in place."""
    values[~np.isfinite(values)] = np.nan
    return values


def _broadcast(value: np.ndarray, n: int) -> np.ndarray:
    return _as_errors(np.array(np.broadcast_to(np.asarray(value, dtype=float), (n,))))


def _ordered(scalars: tuple[Scalar, ...]) -> list[Scalar]:
    """Scalars in an order where each comes after the scalars it reads."""
    pending = {s.name: s for s in scalars}
    done: list[Scalar] = []
    while pending:
        ready = [
            s
            for s in pending.values()
            if not ({n.name for n in s.expr.walk() if isinstance(n, Name)} & pending.keys() - {s.name})
        ]
        if not ready:
            raise ValueError(f"circular definitions among {sorted(pending)}")
        for s in ready:
            done.append(s)
            del pending[s.name]
    return done


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


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _source(expr: Expr, row: str) -> str:
    """Python source that computes ``expr`` for row ``row``."""
    if isinstance(expr, Const):
        return repr(float(expr.value))
    if isinstance(expr, Name):
        return f"n_{_ident(expr.name)}"
    if isinstance(expr, Col):
        return f"c_{_ident(expr.name)}[{row}-{expr.lag}]" if expr.lag else f"c_{_ident(expr.name)}[{row}]"
    if isinstance(expr, Cell):
        return f"c_{_ident(expr.name)}[{expr.row}]"
    if isinstance(expr, Range):
        return f"r_{_ident(expr.table)}__{_ident(expr.name)}"
    if isinstance(expr, Call):
        return f"f_{expr.op}({', '.join(_source(a, row) for a in expr.args)})"
    raise TypeError(f"{expr!r} cannot appear in a table column")


@lru_cache(maxsize=64)
def _compiled(table: Table):  # type: ignore[no-untyped-def]
    """Generate and compile the row loop of ``table`` once."""
    names = sorted({n.name for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Name)})
    ops = sorted({n.op for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Call)})
    ranges = sorted(
        {(n.table, n.name) for c in table.columns for e in (c.first, c.next) for n in e.walk() if isinstance(n, Range)}
    )
    lines = ["def solve_rows(N, C, rows, F, T):"]
    lines += [f"    f_{op} = F[{op!r}]" for op in ops]
    lines += [f"    n_{_ident(n)} = N[{n!r}]" for n in names]
    lines += [f"    r_{_ident(t)}__{_ident(c)} = T[{t!r}][{c!r}].T" for t, c in ranges]
    lines += [f"    c_{_ident(c.name)} = C[{c.name!r}]" for c in table.columns]
    if table.independent_rows:  # every row has the same equation: whole columns at once
        for name in row_order(table):
            lines.append(f"    c_{_ident(name)}[:] = {_source(table.column(name).next, ':')}")
        lines.append("    return")
    for name in row_order(table, first=True):
        lines.append(f"    c_{_ident(name)}[0] = {_source(table.column(name).first, '0')}")
    lines.append("    for t in range(1, rows):")
    for name in row_order(table, first=False):
        lines.append(f"        c_{_ident(name)}[t] = {_source(table.column(name).next, 't')}")
    source = "\n".join(lines)
    namespace: dict[str, object] = {}
    exec(compile(source, f"<pysie table {table.name}>", "exec"), namespace)
    return namespace["solve_rows"], source


def _solve_table(
    table: Table,
    names: Mapping[str, np.ndarray],
    tables: Mapping[str, Mapping[str, np.ndarray]],
    structural: Mapping[str, float],
    n: int,
) -> dict[str, np.ndarray]:
    """Fill stored-value columns, then run the compiled row loop."""
    solve_rows, _ = _compiled(table)
    rows = table.rows(structural)
    columns = {c.name: np.empty((rows, n)) for c in table.columns}
    for c in table.columns:
        if c.data is not None:
            columns[c.name][:] = np.asarray(c.data.values(structural, rows), dtype=float).reshape(rows, 1)
    functions = {op: p.numpy for op, p in PRIMITIVES.items()}
    solve_rows(names, columns, rows, functions, tables)
    return {name: _as_errors(values) for name, values in columns.items()}


def table_source(table: Table) -> str:
    """The generated row loop, for reading and debugging."""
    return _compiled(table)[1]


def solve_scalars(model: Model, parameters: Mapping[str, object], chunk: int = 1000) -> dict[str, np.ndarray]:
    """Parameters, derived inputs and results (no trajectories) for many
    scenarios, solved ``chunk`` scenarios at a time so that memory stays
    bounded (a full solution of 10,000 retraining scenarios holds ~2.5 GB of
    trajectories; this keeps a few hundred MB)."""
    values, n = broadcast_parameters(model, parameters)
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, n, chunk):
        piece = {name: array[start : start + chunk] for name, array in values.items()}
        parts.append(solve(model, piece).values)
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def solve_presets(
    model: Model, values: Mapping[str, float], overrides: Mapping[str, Mapping[str, float]] | None = None
) -> Solution:
    """Solve every compared preset (``model.comparison``) at once: scenario i is
    preset i, with ``values`` and the preset's own varying parameters
    (see :meth:`pysie.spec.Model.comparison_values`)."""
    per_preset = model.comparison_values(values, overrides)
    stacked = {p.name: np.array([v[p.name] for v in per_preset.values()]) for p in model.parameters}
    return solve(model, stacked)
