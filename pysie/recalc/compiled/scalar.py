"""The compiled engine's operations on Python floats, for one scenario.

A workbook's own recalculation (``pysie check``, :meth:`CompiledWorkbook.values`)
has one scenario, and the rows of a column that reads the row above are
computed one at a time: as numpy calls on one-element arrays that is mostly
call overhead. The row steps of such an evaluation run on Python floats
instead, with these operations.

Each one computes Excel's result directly only where that is plain IEEE
arithmetic on finite numbers, which Python floats give bit for bit (``+ - *
/`` are correctly rounded; ``EXP``, ``LN``, ``^`` ... call the same numpy
ufuncs as :mod:`.functions`, whose result does not depend on the array's
shape); a comparison, AND, OR and ISNUMBER give the very objects
:data:`~.values.TRUE` and :data:`~.values.FALSE`, so an ``IF`` or an ``AND``
over them tells them by identity. Every other case (an error, a text, a
boolean operand of arithmetic, an infinity, a division by zero,
a non-finite result) is handed to the array library's own function
(:func:`lifted`), so Excel's rules for errors and texts live only in
:mod:`.functions`: ``f(x) = array_f([x])[0]`` for every input.

``INDEX`` into one column by one row position reads the cell from the column
as a Python list (:func:`index_column`); any other case is again the array
library's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pysie.recalc.compiled import functions as fn
from pysie.recalc.compiled import values
from pysie.recalc.compiled.values import FALSE, TRUE, truth_of

Scalar = Callable[..., float]


def _truth(slow: Scalar) -> Scalar:
    return truth_of


def lifted(array_fn: Callable[..., Any]) -> Scalar:
    """``array_fn`` on one-element arrays: floats in, a float out (ranges and
    masks pass as they are)."""

    def one(*args: Any) -> float:
        r = array_fn(*[np.array([a]) if isinstance(a, float) else a for a in args])
        return float(np.asarray(r).reshape(-1)[0])

    return one


def _arithmetic(compute: Callable[..., float]) -> Callable[[Scalar], Scalar]:
    """An operation whose finite result is ``compute``'s (plain IEEE
    arithmetic); a non-finite result is recomputed by the array library."""

    def make(slow: Scalar) -> Scalar:
        def one(*args: float) -> float:
            r = compute(*args)
            return r if r - r == 0.0 else slow(*args)

        return one

    return make


def _add(*args: float) -> float:
    r = args[0]
    for a in args[1:]:
        r = r + a
    return r


def _mul(*args: float) -> float:
    r = args[0]
    for a in args[1:]:
        r = r * a
    return r


def _div(slow: Scalar) -> Scalar:
    def div(a: float, b: float) -> float:
        if b != 0.0:
            r = a / b
            if r - r == 0.0:
                return r
        return slow(a, b)

    return div


def _ufunc(ufunc: Any, zero_base: bool = False) -> Callable[[Scalar], Scalar]:
    """``EXP``/``LN``/``LOG10``/``^`` by the numpy ufunc the array library calls;
    for ``^`` a zero base goes to the array library (0^0, 0^negative)."""

    def make(slow: Scalar) -> Scalar:
        if zero_base:

            def power(a: float, b: float) -> float:
                r = float(ufunc(a, b))
                return r if r - r == 0.0 and a != 0.0 else slow(a, b)

            return power

        def unary(a: float) -> float:
            r = float(ufunc(a))
            return r if r - r == 0.0 else slow(a)

        return unary

    return make


def _floor(slow: Scalar) -> Scalar:
    def floor(a: float) -> float:
        return float(np.floor(a)) if a - a == 0.0 else slow(a)

    return floor


def _compare(test: Callable[[float, float], bool]) -> Callable[[Scalar], Scalar]:
    """A comparison of two finite numbers is TRUE or FALSE; anything else (texts,
    booleans, errors) goes to the array library."""

    def make(slow: Scalar) -> Scalar:
        def compare(a: float, b: float) -> float:
            if a - a == 0.0 and b - b == 0.0:
                return TRUE if test(a, b) else FALSE
            return slow(a, b)

        return compare

    return make


def _extreme(pick: Callable[..., float]) -> Callable[[Scalar], Scalar]:
    """``MIN``/``MAX`` of finite single values; a zero result goes to the array
    library too (which of 0.0 and -0.0 numpy's minimum picks is its own)."""

    def make(slow: Scalar) -> Scalar:
        def extreme(*args: float) -> float:
            for a in args:
                if not (isinstance(a, float) and a - a == 0.0):
                    return slow(*args)
            r = pick(args)
            return r if r != 0.0 else slow(*args)

        return extreme

    return make


def _logical(every: bool) -> Callable[[Scalar], Scalar]:
    """``AND``/``OR`` of single numbers and booleans (anything else, ranges
    too, goes to the array library)."""

    def make(slow: Scalar) -> Scalar:
        def logic(*args: float) -> float:
            found = every  # AND: TRUE until a FALSE; OR: FALSE until a TRUE (every argument is read for errors)
            for a in args:
                if a is TRUE or a is FALSE:
                    a = 1.0 if a is TRUE else 0.0
                elif not isinstance(a, float):
                    return slow(*args)
                elif a - a != 0.0:
                    a = truth_of(a)
                    if a - a != 0.0:
                        return slow(*args)
                if (a != 0.0) != every:
                    found = not every
            return TRUE if found else FALSE

        return logic

    return make


def _isnumber(slow: Scalar) -> Scalar:
    def isnumber(a: float) -> float:
        return TRUE if a - a == 0.0 else FALSE

    return isnumber


def _passing(slow: Scalar) -> Scalar:
    """``num``: a number passes as it is, a boolean is 1.0 or 0.0; a text or an
    error goes to the array library."""

    def passing(a: float) -> float:
        if a - a == 0.0:
            return a
        t = truth_of(a)
        return t if t - t == 0.0 else slow(a)

    return passing


def _neg(slow: Scalar) -> Scalar:
    def neg(a: float) -> float:
        return -a if a - a == 0.0 else slow(a)

    return neg


def _abs(slow: Scalar) -> Scalar:
    def absolute(a: float) -> float:
        return abs(a) if a - a == 0.0 else slow(a)

    return absolute


#: operation -> (the array function it stands for, its maker from the lifted array function)
FAST: dict[str, tuple[Callable[..., Any], Callable[[Scalar], Scalar]]] = {
    "add": (fn.add, _arithmetic(_add)),
    "sub": (fn.sub, _arithmetic(lambda a, b: a - b)),
    "mul": (fn.mul, _arithmetic(_mul)),
    "div": (fn.div, _div),
    "neg": (fn.neg, _neg),
    "abs": (fn.absolute, _abs),
    "pow": (fn.power, _ufunc(np.power, zero_base=True)),
    "exp": (fn.exp, _ufunc(np.exp)),
    "ln": (fn.ln, _ufunc(np.log)),
    "log10": (fn.log10, _ufunc(np.log10)),
    "int": (fn.floor_int, _floor),
    "eq": (fn.eq, _compare(lambda a, b: a == b)),
    "ne": (fn.ne, _compare(lambda a, b: a != b)),
    "lt": (fn.lt, _compare(lambda a, b: a < b)),
    "le": (fn.le, _compare(lambda a, b: a <= b)),
    "gt": (fn.gt, _compare(lambda a, b: a > b)),
    "ge": (fn.ge, _compare(lambda a, b: a >= b)),
    "min": (fn.minimum, _extreme(min)),
    "max": (fn.maximum, _extreme(max)),
    "and": (fn.logical_and, _logical(True)),
    "or": (fn.logical_or, _logical(False)),
    "isnumber": (fn.isnumber, _isnumber),
    "num": (fn.num, _passing),
    "truth": (values.truth, _truth),
}


def index_column(
    values: list[float], lo: int, hi: int, row: float, column: np.ndarray, empty: np.ndarray, slow: Scalar
) -> float:
    """``INDEX`` of rows ``lo..hi-1`` of one column (``values``, a list of
    ``column``) at 1-based ``row``: the cell itself where ``1 <= row < n + 1``
    (Excel truncates the position); otherwise (an error, a text, outside) the
    array library's ``INDEX`` (``slow``) of that range."""
    if 1.0 <= row < hi - lo + 1:
        return values[lo + int(row) - 1]
    return slow(((column[lo:hi], empty[lo:hi]),), row)


def scalar_library(ops: set[str], functions: dict[str, Callable[..., Any]]) -> dict[str, Scalar] | None:
    """The one-scenario operations for ``ops``, built over ``functions`` (the
    array library a compiled workbook evaluates with); None when one of them
    has replaced ``IF`` or ``INDEX`` (which the one-scenario code inlines), so
    that evaluation keeps to the array functions. Any other replaced operation
    (a test breaking the library) is used as it is, lifted."""
    out: dict[str, Scalar] = {}
    for op in ops:
        array_fn = functions[op]
        if op in ("if", "index") and array_fn is not fn.FUNCTIONS[op]:
            return None
        fast = FAST.get(op)
        slow = lifted(array_fn)
        out[op] = fast[1](slow) if fast is not None and fast[0] is array_fn else slow
    return out
