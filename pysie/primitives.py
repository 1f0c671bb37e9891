"""The one table of operations: each has a numpy implementation with Excel's
semantics and the Excel text it prints as.

Both engines are derived from this table: the solver calls ``numpy`` and the
workbook printer formats ``excel``. Error values follow one convention:
an Excel error (``#NUM!``, ``#DIV/0!``, ``#N/A`` ...) is any non-finite
number in numpy (an overflow gives inf where Excel gives ``#NUM!``), and
every operation that could turn a non-finite operand into a finite result
guards against it. Comparisons and logical functions return 1.0 / 0.0
(Excel's TRUE / FALSE) and propagate errors as Excel does.

Places where Excel and numpy differ, and which the table owns:

* ``-x^2`` is ``(-x)^2`` in Excel: negation binds tighter than ``^``; the
  printer follows the expression tree, so ``neg(pow(x, 2))`` prints ``-(x^2)``.
* ``LOG`` is base 10 in Excel, natural log is ``LN``.
* ``0^0`` and ``0^-1`` are errors in Excel (NaN here).
* ``MATCH`` and ``INDEX`` are 1-based.
* Functions added after Excel 2007 need the ``_xlfn.`` prefix in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray

_NAN = np.nan


def _is_error(*values: Array | float) -> Array:
    """Where any of ``values`` is an Excel error (non-finite)."""
    flags = ~np.isfinite(values[0])
    for v in values[1:]:
        flags = flags | ~np.isfinite(v)
    return flags


def _guarded(result: Array | float, *operands: Array | float) -> Array:
    """A result that is an error (NaN) wherever any operand is."""
    return np.where(_is_error(*operands), _NAN, result)


# Arithmetic needs no guard: a non-finite operand gives a non-finite result,
# and an overflow gives inf, which every guarded operation below reads as an
# error. Only operations that could turn inf into a finite number guard.


def add(a: Array, b: Array) -> Array:
    return np.add(a, b)


def sub(a: Array, b: Array) -> Array:
    return np.subtract(a, b)


def mul(a: Array, b: Array) -> Array:
    return np.multiply(a, b)


def div(a: Array, b: Array) -> Array:
    """``a/b``; division by zero (inf or NaN here) is ``#DIV/0!``; a/error is an error."""
    return np.where(np.isinf(b), _NAN, np.divide(a, b))


def power(a: Array, b: Array) -> Array:
    """``a^b``: ``0^0``, ``0^negative`` (inf), a negative base with a fractional
    exponent (NaN) and overflow (inf) are errors, as is an error operand."""
    result = np.power(a, b)
    return np.where((np.equal(a, 0) & np.equal(b, 0)) | _is_error(a, b), _NAN, result)


def neg(a: Array) -> Array:
    return np.negative(a)


def ln(a: Array) -> Array:
    """``LN``: log of 0 is -inf and of a negative number NaN, both errors."""
    return np.log(a)


def log10(a: Array) -> Array:
    return np.log10(a)


def exp(a: Array) -> Array:
    return np.where(np.isinf(a), _NAN, np.exp(a))


def sqrt(a: Array) -> Array:
    return np.sqrt(a)


def absolute(a: Array) -> Array:
    return np.abs(a)


def floor_int(a: Array) -> Array:
    """Excel's ``INT``: round down to the next integer."""
    return np.floor(a)


def minimum(*args: Array) -> Array:
    return _guarded(np.minimum.reduce(np.broadcast_arrays(*args)), *args)


def maximum(*args: Array) -> Array:
    return _guarded(np.maximum.reduce(np.broadcast_arrays(*args)), *args)


def _comparison(op: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    def compare(a: Array, b: Array) -> Array:
        return _guarded(op(a, b), a, b)

    return compare


ge = _comparison(np.greater_equal)
gt = _comparison(np.greater)
le = _comparison(np.less_equal)
lt = _comparison(np.less)
eq = _comparison(np.equal)
ne = _comparison(np.not_equal)


def if_(condition: Array, then: Array, otherwise: Array) -> Array:
    """``IF(c, a, b)``: an error condition is an error; otherwise pick."""
    return np.where(np.isfinite(condition), np.where(np.not_equal(condition, 0), then, otherwise), _NAN)


def iferror(value: Array, fallback: Array) -> Array:
    return np.where(np.isfinite(value), value, fallback)


def isnumber(value: Array) -> Array:
    return np.isfinite(value).astype(float)


def logical_and(*args: Array) -> Array:
    return _guarded(np.all(np.broadcast_arrays(*[np.not_equal(a, 0) for a in args]), axis=0), *args)


def logical_or(*args: Array) -> Array:
    return _guarded(np.any(np.broadcast_arrays(*[np.not_equal(a, 0) for a in args]), axis=0), *args)


def logical_not(a: Array) -> Array:
    return _guarded(np.equal(a, 0), a)


def not_available() -> Array:
    """``NA()``: the ``#N/A`` error."""
    return np.asarray(_NAN)


# --- operations over a whole column (a range ``(scenarios, rows)``) ---------


def match_exact(value: Array, column: Array) -> Array:
    """``MATCH(value, range, 0)``: 1-based position of the first equal cell,
    ``#N/A`` (NaN) when there is none. Error cells never match."""
    column = np.asarray(column, dtype=float)
    value = np.asarray(value, dtype=float)
    hits = column == (value[..., None] if value.ndim else value)
    first = np.argmax(hits, axis=-1).astype(float) + 1.0
    return np.where(hits.any(axis=-1) & np.isfinite(value), first, _NAN)


def matched(value: Array, column: Array) -> Array:
    """``ISNUMBER(MATCH(value, range, 0))`` without the position: 1 where some cell equals
    ``value`` (a number), else 0; the same as :func:`isnumber` of :func:`match_exact`, without
    the search for the first equal cell (which for a column read across scenarios costs most)."""
    column = np.asarray(column, dtype=float)
    value = np.asarray(value, dtype=float)
    hits = column == (value[..., None] if value.ndim else value)
    return (hits.any(axis=-1) & np.isfinite(value)).astype(float)


def index(column: Array, position: Array) -> Array:
    """``INDEX(range, k)``: the k-th cell (1-based); out of range is ``#REF!``.
    ``k`` may be one position per scenario or, for a table whose rows are
    computed at once, an array (rows, scenarios) of positions."""
    column = np.asarray(column, dtype=float)
    rows = column.shape[-1]
    position = np.asarray(position, dtype=float)
    valid = np.isfinite(position) & (position >= 1) & (position < rows + 1)
    k = np.where(valid, position, 1.0).astype(np.intp) - 1  # positions >= 1: truncation is INT
    # a (scenarios, rows) column: scenario s reads its own cells at k[..., s]
    picked = column[k] if column.ndim == 1 else column[np.arange(column.shape[0]), k]
    return np.where(valid, picked, _NAN)


def _reducer(op: Callable[..., Array]) -> Callable[[Array], Array]:
    def reduce(column: Array) -> Array:
        column = np.asarray(column, dtype=float)
        return np.where((~np.isfinite(column)).any(axis=-1), _NAN, op(column, axis=-1))

    return reduce


range_max = _reducer(np.max)
range_min = _reducer(np.min)
range_sum = _reducer(np.sum)


def norm_s_inv(u: Array) -> Array:
    """``NORM.S.INV(u)``: the standard normal quantile (:func:`pysie.distributions.ndtri`,
    scipy's bit for bit); u outside (0, 1) is ``#NUM!``."""
    from pysie.distributions import ndtri

    u = np.asarray(u, dtype=float)
    return np.where((u > 0) & (u < 1), ndtri(np.where((u > 0) & (u < 1), u, 0.5)), _NAN)


def percentile(column: Array, k: Array) -> Array:
    """``PERCENTILE(range, k)`` (= PERCENTILE.INC = numpy's linear method): with
    the n cells sorted, position k (n - 1) interpolated linearly; k outside
    [0, 1] or an error cell is an error. ``k`` may differ per scenario."""
    ordered = np.sort(np.asarray(column, dtype=float), axis=-1)
    rows = ordered.shape[-1]
    k = np.broadcast_to(np.asarray(k, dtype=float), ordered.shape[:-1])
    valid = np.isfinite(k) & (k >= 0) & (k <= 1) & np.isfinite(ordered).all(axis=-1)
    position = np.where(valid, k, 0.0) * (rows - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, rows - 1)
    below = np.take_along_axis(ordered, low[..., None], axis=-1)[..., 0]
    above = np.take_along_axis(ordered, high[..., None], axis=-1)[..., 0]
    return np.where(valid, below + (position - low) * (above - below), _NAN)


@dataclass(frozen=True)
class Primitive:
    """One operation: its numpy function and how Excel spells it.

    ``infix`` operations print as ``a OP b`` with Excel's ``precedence``
    (higher binds tighter); the others print as ``NAME(args)``.
    """

    name: str
    numpy: Callable[..., Array]
    excel: str
    infix: bool = False
    precedence: int = 0
    over_ranges: bool = False
    description: str = ""
    trailing_args: str = ""


def _p(name: str, fn: Callable[..., Array], excel: str, description: str, **kw: object) -> Primitive:
    return Primitive(name, fn, excel, description=description, **kw)  # type: ignore[arg-type]


#: Excel precedence: comparisons (1) < + - (2) < * / (3) < ^ (4) < negation (5).
PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in [
        _p("add", add, "+", "a + b", infix=True, precedence=2),
        _p("sub", sub, "-", "a - b", infix=True, precedence=2),
        _p("mul", mul, "*", "a * b", infix=True, precedence=3),
        _p("div", div, "/", "a / b; b = 0 is #DIV/0!", infix=True, precedence=3),
        _p("pow", power, "^", "a ^ b; overflow is #NUM!", infix=True, precedence=4),
        _p("ge", ge, ">=", "a >= b", infix=True, precedence=1),
        _p("gt", gt, ">", "a > b", infix=True, precedence=1),
        _p("le", le, "<=", "a <= b", infix=True, precedence=1),
        _p("lt", lt, "<", "a < b", infix=True, precedence=1),
        _p("eq", eq, "=", "a = b", infix=True, precedence=1),
        _p("ne", ne, "<>", "a <> b", infix=True, precedence=1),
        _p("neg", neg, "-", "-a (binds tighter than ^)", precedence=5),
        _p("ln", ln, "LN", "natural log"),
        _p("log10", log10, "LOG10", "base-10 log"),
        _p("exp", exp, "EXP", "e ^ a"),
        _p("sqrt", sqrt, "SQRT", "square root"),
        _p("abs", absolute, "ABS", "absolute value"),
        _p("int", floor_int, "INT", "round down"),
        _p("min", minimum, "MIN", "smallest argument"),
        _p("max", maximum, "MAX", "largest argument"),
        _p("if", if_, "IF", "IF(condition, then, otherwise)"),
        _p("iferror", iferror, "IFERROR", "value, or fallback when it is an error"),
        _p("isnumber", isnumber, "ISNUMBER", "TRUE unless an error"),
        _p("and", logical_and, "AND", "all true"),
        _p("or", logical_or, "OR", "any true"),
        _p("not", logical_not, "NOT", "negation"),
        _p("na", not_available, "NA", "the #N/A error"),
        _p("match", match_exact, "MATCH", "MATCH(value, column, 0)", over_ranges=True, trailing_args=",0"),
        _p("index", index, "INDEX", "INDEX(column, k), 1-based", over_ranges=True),
        _p("range_max", range_max, "MAX", "largest cell of a column", over_ranges=True),
        _p("range_min", range_min, "MIN", "smallest cell of a column", over_ranges=True),
        _p("range_sum", range_sum, "SUM", "sum of a column", over_ranges=True),
        _p("norm_s_inv", norm_s_inv, "_xlfn.NORM.S.INV", "standard normal quantile of u in (0, 1)"),
        _p(
            "percentile",
            percentile,
            "PERCENTILE",
            "PERCENTILE(column, k): linear interpolation, k in [0, 1]",
            over_ranges=True,
        ),
    ]
}


# --- functions read from workbooks (the compiled engine) --------------------


def round_half_away(a: Array, digits: Array | float = 0.0) -> Array:
    """``ROUND(a, digits)``: half away from zero, as Excel does on the 15-digit
    decimal it shows (``ROUND(2.675, 2)`` is 2.68 although 2.675*100 is
    267.4999...); a relative nudge of 2^-50 stands in for that decimal view."""
    d = np.trunc(np.asarray(digits, dtype=float))
    scale = np.power(10.0, d)
    y = np.abs(a) * scale
    rounded = np.sign(a) * np.floor(y + 0.5 + y * 2.0**-50) / scale
    # from 2^52 up every double is a whole number: nothing left to round
    return np.where(_is_error(a, digits), _NAN, np.where(y >= 2.0**52, a, rounded))


def iserror(value: Array) -> Array:
    return (~np.isfinite(value)).astype(float)


def total(*args: Array) -> Array:
    """``SUM`` of scalar arguments (a column's sum is ``range_sum``)."""
    return _guarded(np.add.reduce(np.broadcast_arrays(*[np.asarray(a, dtype=float) for a in args])), *args)


#: ``COUNTIF`` criteria: "=", "<>", "<", "<=", ">", ">=" as codes 0..5.
COUNTIF_CODES = ("=", "<>", "<", "<=", ">", ">=")
_COUNTIF_TESTS = (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)


def countif(column: Array, value: Array, code: Array | float = 0.0) -> Array:
    """``COUNTIF(range, value)`` or with a criterion such as ``">=2"``
    (``code`` indexes :data:`COUNTIF_CODES`); error cells never count."""
    column = np.asarray(column, dtype=float)
    value = np.asarray(value, dtype=float)
    test = _COUNTIF_TESTS[int(code)]
    hits = test(column, value[..., None] if value.ndim else value) & np.isfinite(column)
    return np.where(np.isfinite(value), hits.sum(axis=-1).astype(float), _NAN)


def match_sorted(value: Array, column: Array, descending: Array | float = 0.0) -> Array:
    """``MATCH(value, range, 1)`` (or ``-1`` with ``descending``): position of
    the last cell <= value in an ascending column (first >= value in a
    descending one); ``#N/A`` when there is none. Assumes the column is sorted,
    as Excel does."""
    column = np.asarray(column, dtype=float)
    value = np.asarray(value, dtype=float)
    v = value[..., None] if value.ndim else value
    hits = (column >= v) if descending else (column <= v)
    count = (hits & np.isfinite(column)).sum(axis=-1).astype(float)
    return np.where(np.isfinite(value) & (count > 0), count, _NAN)


PRIMITIVES.update(
    {
        p.name: p
        for p in [
            _p("round", round_half_away, "ROUND", "ROUND(a, digits), half away from zero"),
            _p("iserror", iserror, "ISERROR", "TRUE when an error"),
            _p("sum", total, "SUM", "sum of the arguments"),
            _p("countif", countif, "COUNTIF", "COUNTIF(column, value[, criterion code])", over_ranges=True),
            _p("match_sorted", match_sorted, "MATCH", "MATCH(value, sorted column, 1 or -1)", over_ranges=True),
        ]
    }
)
