"""A tiny expression tree: the language models are declared in.

An equation is built from Python operators and the functions below, e.g.
``x.prev + labour.prev / research_doubling_days``. The same tree is printed as
an Excel formula (:mod:`pysie.excel.printer`) and evaluated with numpy
(:mod:`pysie.solver`), so the two cannot drift apart.

The functions (``ln``, ``if_``, ...) also accept plain numbers or numpy arrays
and then compute at once with the numpy primitive: a closed form written once
(see :mod:`pysie.theory`) serves both as a Python function and as a check cell.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from pysie.primitives import PRIMITIVES

Number = Union[int, float, np.ndarray]  # noqa: UP007 (aliases of Union, as Operand must be)
Operand = Union["Expr", int, float, np.ndarray]


class Expr:
    """Base of every node; Python's arithmetic operators build ``Call`` nodes."""

    def __add__(self, other: Operand) -> Expr:
        return Call("add", (self, as_expr(other)))

    def __radd__(self, other: Operand) -> Expr:
        return Call("add", (as_expr(other), self))

    def __sub__(self, other: Operand) -> Expr:
        return Call("sub", (self, as_expr(other)))

    def __rsub__(self, other: Operand) -> Expr:
        return Call("sub", (as_expr(other), self))

    def __mul__(self, other: Operand) -> Expr:
        return Call("mul", (self, as_expr(other)))

    def __rmul__(self, other: Operand) -> Expr:
        return Call("mul", (as_expr(other), self))

    def __truediv__(self, other: Operand) -> Expr:
        return Call("div", (self, as_expr(other)))

    def __rtruediv__(self, other: Operand) -> Expr:
        return Call("div", (as_expr(other), self))

    def __pow__(self, other: Operand) -> Expr:
        return Call("pow", (self, as_expr(other)))

    def __rpow__(self, other: Operand) -> Expr:
        return Call("pow", (as_expr(other), self))

    def __neg__(self) -> Expr:
        return Call("neg", (self,))

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self) -> Iterator[Expr]:
        """This node and every node below it, depth first (left to right), with
        a stack rather than nested generators, whose cost grows with the depth."""
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))


@dataclass(frozen=True)
class Const(Expr):
    """A number written into the formula."""

    value: float


@dataclass(frozen=True)
class Name(Expr):
    """A workbook-scoped defined name: an input, a derived input or a result."""

    name: str


@dataclass(frozen=True)
class Col(Expr):
    """A column of the current table, in this row (``lag=0``) or the previous one."""

    name: str
    lag: int = 0

    @property
    def prev(self) -> Col:
        return Col(self.name, self.lag + 1)

    def at(self, row: int) -> Cell:
        return Cell(self.name, row)


@dataclass(frozen=True)
class Cell(Expr):
    """One fixed row of a column of the current table (an absolute reference)."""

    name: str
    row: int


@dataclass(frozen=True)
class Range(Expr):
    """A whole column of a table, for MATCH / INDEX / MAX in result cells."""

    table: str
    name: str


@dataclass(frozen=True)
class Call(Expr):
    """An operation of :data:`pysie.primitives.PRIMITIVES` applied to arguments."""

    op: str
    args: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if self.op not in PRIMITIVES:
            raise ValueError(f"unknown operation {self.op!r}")

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True)
class NumberOr(Expr):
    """A result shown in words where it is not a number: the cell holds
    ``IF(ISNUMBER(value), value, "text")`` (e.g. "not reached" instead of
    ``#N/A``). The solver keeps the value (NaN where the words show), so
    reports still give null; :meth:`pysie.spec.Model.validate` allows it as
    the whole expression of a result only, and lets other cells read such a
    result only where a text and an error give the same answer."""

    value: Expr
    text: str

    def children(self) -> tuple[Expr, ...]:
        return (self.value,)


def as_expr(value: Operand) -> Expr:
    if isinstance(value, Expr):
        return value
    if isinstance(value, (bool, np.bool_)):
        return Const(1.0 if value else 0.0)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return Const(float(value))
    raise TypeError(f"cannot use {value!r} in an equation")


def _apply(op: str, *args: Any) -> Any:
    """Build a node when any argument is an expression, else compute now."""
    if any(isinstance(a, Expr) for a in args):
        return Call(op, tuple(as_expr(a) for a in args))
    with np.errstate(all="ignore"):
        result = PRIMITIVES[op].numpy(*args)
    return float(result) if np.ndim(result) == 0 else result


def ln(x: Any) -> Any:
    """Natural log (Excel ``LN``)."""
    return _apply("ln", x)


def log10(x: Any) -> Any:
    return _apply("log10", x)


def log2(x: Any) -> Any:
    """``LN(x)/LN(2)``: spelt the same in both engines so they round alike."""
    two = Const(2.0) if isinstance(x, Expr) else 2.0
    return _apply("div", _apply("ln", x), _apply("ln", two))


def exp(x: Any) -> Any:
    return _apply("exp", x)


def sqrt(x: Any) -> Any:
    return _apply("sqrt", x)


def abs_(x: Any) -> Any:
    return _apply("abs", x)


def int_(x: Any) -> Any:
    """Round down (Excel ``INT``)."""
    return _apply("int", x)


def min_(*xs: Any) -> Any:
    return _apply("min", *xs)


def max_(*xs: Any) -> Any:
    return _apply("max", *xs)


def power(x: Any, y: Any) -> Any:
    return _apply("pow", x, y)


def if_(condition: Any, then: Any, otherwise: Any) -> Any:
    return _apply("if", condition, then, otherwise)


def iferror(value: Any, fallback: Any) -> Any:
    return _apply("iferror", value, fallback)


def isnumber(value: Any) -> Any:
    return _apply("isnumber", value)


def and_(*xs: Any) -> Any:
    return _apply("and", *xs)


def or_(*xs: Any) -> Any:
    return _apply("or", *xs)


def not_(x: Any) -> Any:
    return _apply("not", x)


def ge(a: Any, b: Any) -> Any:
    return _apply("ge", a, b)


def gt(a: Any, b: Any) -> Any:
    return _apply("gt", a, b)


def le(a: Any, b: Any) -> Any:
    return _apply("le", a, b)


def lt(a: Any, b: Any) -> Any:
    return _apply("lt", a, b)


def eq(a: Any, b: Any) -> Any:
    return _apply("eq", a, b)


def na() -> Expr:
    """The ``#N/A`` error: a value that is not defined (e.g. N for r <= 1)."""
    return Call("na", ())


def match(value: Any, column: Range) -> Expr:
    """1-based row of the first cell of ``column`` equal to ``value``; #N/A if none."""
    return Call("match", (as_expr(value), column))


def index(column: Range, position: Any) -> Expr:
    """The ``position``-th cell (1-based) of ``column``."""
    return Call("index", (column, as_expr(position)))


def column_max(column: Range) -> Expr:
    return Call("range_max", (column,))


def column_sum(column: Range) -> Expr:
    return Call("range_sum", (column,))


def count_equal(column: Range, value: float) -> Expr:
    """``COUNTIF(column, value)``: error cells never count, so the count stays a
    number after a table reaches its cap."""
    return Call("countif", (column, Const(value)))


def number_or(value: Any, text: str) -> NumberOr:
    """``IF(ISNUMBER(value), value, "text")``: see :class:`NumberOr`."""
    return NumberOr(as_expr(value), text)


def references(expr: Expr) -> set[str]:
    """Defined names an expression reads."""
    return {node.name for node in expr.walk() if isinstance(node, Name)}


def norm_s_inv(u: Any) -> Any:
    """Standard normal quantile (Excel ``NORM.S.INV``)."""
    return _apply("norm_s_inv", u)


def percentile(column: Range, k: Any) -> Expr:
    """``PERCENTILE(column, k)``: the k-quantile of a column, linearly interpolated."""
    return Call("percentile", (column, as_expr(k)))
