"""Switches folded into a table before its row loop is generated.

Models choose between rules with switch parameters read as IF conditions
(software-explosion's ``run_rules``, ``retraining_rule`` and
``gradual_boost``). Over many scenarios the vector loop computes both
branches of every such IF and then picks one per scenario, so a rule nobody
asked for costs as much as the one in use. When a switch holds one finite
value in every scenario of a chunk (as in a Monte Carlo, where the switches are
held), :func:`specialise` substitutes that value and keeps only the branch it
selects: ``IF(c, a, b)`` is ``a`` where ``c`` is a finite non-zero number and
``b`` where it is 0, exactly as Excel and :mod:`pysie.primitives` pick, so the
results are bit for bit those of the unfolded table
(``tests/test_fold.py``). Only names that appear in an IF condition are
folded: continuous parameters held in a chunk would compile a new loop per
value for no gain.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.primitives import PRIMITIVES
from pysie.spec import Table

#: operations evaluated on folded constants: comparisons and logic (what switch conditions are made of)
_FOLDABLE = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not"})


@lru_cache(maxsize=64)
def switch_names(table: Table) -> frozenset[str]:
    """Names read inside the condition of some IF of ``table``."""
    found: set[str] = set()
    for column in table.columns:
        for expr in (column.first, column.next):
            for node in expr.walk():
                if isinstance(node, Call) and node.op == "if":
                    found |= {n.name for n in node.args[0].walk() if isinstance(n, Name)}
    return frozenset(found)


def uniform_switches(table: Table, names: Mapping[str, np.ndarray]) -> tuple[tuple[str, float], ...]:
    """(name, value) of the switches of ``table`` that hold one finite value in every scenario."""
    out = []
    for name in sorted(switch_names(table)):
        values = np.asarray(names[name], dtype=float).reshape(-1)
        first = float(values[0])
        if math.isfinite(first) and bool(np.all(values == first)):
            out.append((name, first))
    return tuple(out)


def specialise(table: Table, names: Mapping[str, np.ndarray]) -> Table:
    """``table`` with its uniform switches folded in (itself when there are none)."""
    switches = uniform_switches(table, names)
    return _folded(table, switches) if switches else table


@lru_cache(maxsize=64)
def _folded(table: Table, switches: tuple[tuple[str, float], ...]) -> Table:
    values = dict(switches)
    columns = tuple(
        dataclasses.replace(c, first=fold(c.first, values), next=fold(c.next, values)) for c in table.columns
    )
    return dataclasses.replace(table, columns=columns)


def fold(expr: Expr, values: Mapping[str, float]) -> Expr:
    """``expr`` with the names in ``values`` replaced by constants and the IFs
    whose condition became a finite constant replaced by the branch it picks."""
    if isinstance(expr, Name) and expr.name in values:
        return Const(values[expr.name])
    if not isinstance(expr, Call):
        return expr
    if expr.op == "if":
        condition = fold(expr.args[0], values)
        if isinstance(condition, Const) and math.isfinite(condition.value):
            return fold(expr.args[1] if condition.value != 0 else expr.args[2], values)
        return Call("if", (condition, *(fold(a, values) for a in expr.args[1:])))
    args = tuple(fold(a, values) for a in expr.args)
    if expr.op in _FOLDABLE and all(isinstance(a, Const) for a in args):
        with np.errstate(all="ignore"):
            value = float(PRIMITIVES[expr.op].numpy(*(np.float64(a.value) for a in args if isinstance(a, Const))))
        if math.isfinite(value):
            return Const(value)
    return Call(expr.op, args)


@lru_cache(maxsize=64)
def constant_columns(table: Table) -> Table:
    """``table`` with every read of a *constant column* replaced by its expression.

    A constant column has one equation for every row (``first == next``) that
    reads only names and constants (software-explosion's speed-up once the
    gradual boost is folded away: f in every row), so row t, and row t-1 read
    with ``.prev``, hold that expression's value: ``(1 + f_{t-1}) / (1 + f_t)``
    becomes ``(1 + f) / (1 + f)``, which the fast loop computes once before the
    rows instead of in every row. The column itself keeps its equation; the
    values computed are the same operations on the same numbers."""
    constant: dict[str, Expr] = {}
    while True:
        found = {
            c.name: c.first
            for c in table.columns
            if not c.is_data
            and c.name not in constant
            and c.first == c.next
            and not any(isinstance(n, (Col, Cell, Range)) for n in c.first.walk())
        }
        if not found:
            break
        constant |= found
        columns = tuple(
            c
            if c.is_data
            else dataclasses.replace(c, first=_substituted(c.first, constant), next=_substituted(c.next, constant))
            for c in table.columns
        )
        table = dataclasses.replace(table, columns=columns)
    return table


def _substituted(expr: Expr, constant: Mapping[str, Expr]) -> Expr:
    """``expr`` with each read of a column in ``constant`` (any lag) replaced by its expression."""
    if isinstance(expr, Col) and expr.name in constant:
        return constant[expr.name]
    if isinstance(expr, Call):
        return Call(expr.op, tuple(_substituted(a, constant) for a in expr.args))
    return expr


@lru_cache(maxsize=64)
def live_columns(table: Table, keep: frozenset[str]) -> Table:
    """``table`` without the columns that neither ``keep`` (the columns read after the
    row loop) nor, through any chain of reads at any lag, a kept column reads.

    When only results are wanted, a column whose value nothing reads need not be
    computed: software-explosion's compute C feeds only the gradual boost's f, so with
    the boost folded away (:func:`specialise`, then :func:`constant_columns`, which reads f
    as its expression) C and its LN, EXP and guards are dropped from every row. Stored-value
    columns are kept. The columns kept are computed by the same operations as before."""
    reads = {
        c.name: {
            n.name
            for e in (c.first, c.next)
            for n in e.walk()
            if isinstance(n, (Col, Cell)) or (isinstance(n, Range) and n.table == table.name)
        }
        for c in table.columns
    }
    live = {c.name for c in table.columns if c.name in keep or c.is_data}
    pending = list(live)
    while pending:
        for name in reads.get(pending.pop(), set()):
            if name not in live:
                live.add(name)
                pending.append(name)
    if len(live) == len(table.columns):
        return table
    return dataclasses.replace(table, columns=tuple(c for c in table.columns if c.name in live))
