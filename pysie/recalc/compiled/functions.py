"""The compiled engine's own library of Excel functions and operators.

It is written from Excel's documentation (support.microsoft.com, the function
reference) over numpy, the standard library and ``scipy.special``, and shares
no code with :mod:`pysie.primitives`, the solver's library: ``pysie check``
compares two independent implementations, so a bug in either shows as a
difference.

Values are float64 arrays of shape ``(scenarios,)`` for one cell or
``(rows, scenarios)`` for a run of cells, with errors and texts held as NaN
payloads (:mod:`pysie.recalc.compiled.values`). A *range* argument is a tuple
with one ``(values, empty)`` pair per column: ``values`` of shape
``(rows, scenarios)`` and ``empty`` a boolean mask of shape ``(rows,)``.

Rules followed throughout (Excel's):

* an error operand gives that error (the leftmost one);
* arithmetic reads an empty cell as 0, TRUE as 1, FALSE as 0 and a text that
  reads as a number as that number (:func:`num`); any other text is ``#VALUE!``;
* functions over ranges skip empty cells, texts and booleans and (COUNT
  aside) never skip errors: an error in the range is the result; a boolean
  given directly (``SUM(TRUE, 1)``) counts as 1 or 0;
* a boolean is a type of its own: ISNUMBER(TRUE) is FALSE, ``TRUE&""`` is
  "TRUE", and in comparisons every number < every text < FALSE < TRUE;
* overflow is ``#NUM!``, division by zero ``#DIV/0!``, a failed lookup
  ``#N/A``, a position outside a range ``#REF!``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

import numpy as np

from pysie.recalc.compiled.values import (
    DIV0,
    FALSE,
    NA,
    NUM,
    REF,
    VALUE,
    Array,
    XlError,
    booleans,
    decode,
    encode,
    is_bool,
    is_error,
    is_text,
    is_value,
    payloads,
    text,
    truth,
)

Range = tuple[tuple[Array, Array], ...]
_NA_PAYLOAD = payloads(np.array([NA]))[0]


# --- helpers ------------------------------------------------------------------------


def _arr(x: Array | float) -> Array:
    return np.asarray(x, dtype=float)


def _first_error(*args: Array) -> tuple[Array, Array]:
    """(where any operand is an error, the leftmost error there). Infinities
    count as ``#NUM!``; texts are not errors here."""
    bad = np.zeros(np.broadcast_shapes(*(np.shape(a) for a in args)), dtype=bool)
    first = np.full(bad.shape, NUM)
    for a in reversed(args):
        e = is_error(a)
        if e.any():
            first = np.where(e, np.where(np.isnan(a), a, NUM), first)
            bad = bad | e
    return bad, first


def _guard(result: Array, *args: Array) -> Array:
    """``result``, or the leftmost operand error; an overflow is ``#NUM!``."""
    result = _arr(result)
    if np.isfinite(result).all():
        return result
    bad, first = _first_error(*args)
    if bad.any():
        result = np.where(bad, first, result)
    return np.where(np.isinf(result), NUM, result)


def _elementwise(fn: Callable[..., object], *args: Array) -> Array:
    """Apply ``fn`` to the Python values (float or str) of every element;
    an error operand gives the leftmost error without calling ``fn``."""
    arrays = np.broadcast_arrays(*[_arr(a) for a in args])
    out = np.empty(arrays[0].shape if arrays else ())
    flat = [a.ravel() for a in arrays]
    res = out.reshape(-1)
    for i in range(res.size):
        plain = [decode(float(a[i])) for a in flat]
        err = next((p for p in plain if isinstance(p, XlError)), None)
        if err is None:
            try:
                err = fn(*plain)
            except (ArithmeticError, ValueError):  # out of the function's domain (a date past 9999 ...)
                err = XlError("#NUM!")
        res[i] = encode(err)
    return out


def _number_of_text(s: str) -> float | None:
    """Excel's reading of a text as a number ("3", " 1e3 ", "50%", "1,000")."""
    t = s.strip().replace(",", "")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    try:
        return float(t) * scale if t and t.lower() not in ("inf", "nan", "-inf", "+inf", "infinity") else None
    except ValueError:
        return None


def num(x: Array) -> Array:
    """A value as a number: TRUE 1, FALSE 0, texts that read as numbers become
    them, other texts ``#VALUE!``; numbers and errors pass."""
    x = _arr(x)
    if not np.isnan(x).any():
        return x
    x = truth(x)
    t = is_text(x)
    if not t.any():
        return x

    def convert(v: object) -> object:
        if isinstance(v, str):
            n = _number_of_text(v)
            return XlError("#VALUE!") if n is None else n
        return v

    return np.where(t, _elementwise(convert, x), x)


def _no_boolean(x: Array) -> Array:
    """``x`` with its booleans ``#VALUE!``: the argument of a function that reads no boolean as a number."""
    x = _arr(x)
    if np.isfinite(x).all():
        return x
    return np.where(is_bool(x), VALUE, x)


def empty_text(value: Array, empty: Array) -> Array:
    """An empty cell read by a text function is the empty text (not 0)."""
    return np.where(empty, text(""), value)


def _display(v: float | str | bool) -> str:
    """A number as Excel's General format shows it (15 significant digits); a boolean as TRUE or FALSE."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    s = f"{v:.15g}"
    if "e" in s:
        mantissa, exponent = s.split("e")
        s = f"{mantissa.upper()}E{int(exponent):+03d}" if "." in mantissa else f"{mantissa}E{int(exponent):+03d}"
    return s


# --- operators ----------------------------------------------------------------------


def add(*args: Array) -> Array:
    """``a + b + ...`` folded left (a chain ``a - b`` arrives as ``a + (-b)``,
    which IEEE arithmetic makes bit-identical)."""
    r = args[0]
    for a in args[1:]:
        r = np.add(r, a)
    return r


def sub(a: Array, b: Array) -> Array:
    return np.subtract(a, b)


def mul(*args: Array) -> Array:
    r = args[0]
    for a in args[1:]:
        r = np.multiply(r, a)
    return r


def div(a: Array, b: Array) -> Array:
    """``a / b``: b = 0 is ``#DIV/0!`` (an error in a comes first)."""
    b = _arr(b)
    r = np.divide(a, b)
    zero = b == 0
    if zero.any():
        r = np.where(zero & ~np.isnan(a), DIV0, r)
    return r


def power(a: Array, b: Array) -> Array:
    """``a ^ b``: 0^0 is ``#NUM!``, 0^negative ``#DIV/0!``, a negative base
    with a fractional exponent and overflow ``#NUM!``."""
    a, b = _arr(a), _arr(b)
    r = np.power(a, b)
    if np.isfinite(r).all() and not (a == 0).any():
        return r
    r = np.where((a == 0) & (b < 0), DIV0, r)
    r = np.where((a == 0) & (b == 0), NUM, r)
    return _guard(r, a, b)


def neg(a: Array) -> Array:
    return np.negative(a)


def _kind_rank(v: float | str | bool) -> int:
    """Excel's order of kinds in a comparison: numbers (0) < texts (1) < booleans (2)."""
    return 2 if isinstance(v, bool) else 1 if isinstance(v, str) else 0


def _compare(op: Callable[[Array, Array], Array], text_op: Callable[[int], bool]) -> Callable[[Array, Array], Array]:
    """A comparison, a boolean: numbers by value; texts case-insensitively;
    FALSE < TRUE; across kinds every number < every text < every boolean
    (``text_op`` turns the sign of a - b into the result)."""

    def compare(a: Array, b: Array) -> Array:
        a, b = _arr(a), _arr(b)
        if np.isfinite(a).all() and np.isfinite(b).all():
            return booleans(op(a, b))
        if not is_value(a).any() and not is_value(b).any():  # numbers and errors only
            bad, first = _first_error(a, b)
            return np.where(bad, first, booleans(op(a, b)))

        def one(x: float | str | bool, y: float | str | bool) -> bool:
            kx, ky = _kind_rank(x), _kind_rank(y)
            if kx != ky:
                sign = 1 if kx > ky else -1
            elif kx == 1:
                x, y = str(x).casefold(), str(y).casefold()
                sign = (x > y) - (x < y)
            else:
                sign = (x > y) - (x < y)  # type: ignore[operator]
            return text_op(sign)

        return _elementwise(one, a, b)

    return compare


eq = _compare(np.equal, lambda s: s == 0)
ne = _compare(np.not_equal, lambda s: s != 0)
lt = _compare(np.less, lambda s: s < 0)
le = _compare(np.less_equal, lambda s: s <= 0)
gt = _compare(np.greater, lambda s: s > 0)
ge = _compare(np.greater_equal, lambda s: s >= 0)


def concat(*args: Array) -> Array:
    """``a & b & ...`` and ``CONCATENATE``: numbers as Excel's General format shows them."""
    return _elementwise(lambda *vs: "".join(_display(v) for v in vs), *args)


# --- mathematics --------------------------------------------------------------------


def absolute(a: Array) -> Array:
    return np.abs(a)


def sign(a: Array) -> Array:
    return np.sign(a)


def sqrt(a: Array) -> Array:
    a = _arr(a)
    return np.where(a < 0, NUM, np.sqrt(np.where(a < 0, 0.0, a)))


def exp(a: Array) -> Array:
    return _guard(np.exp(a), a)


def _log_domain(a: Array, fn: Callable[[Array], Array]) -> Array:
    r = fn(a)
    if np.isfinite(r).all():
        return r
    a = _arr(a)
    return np.where(np.isnan(a), a, np.where(a <= 0, NUM, fn(np.where(a <= 0, 1.0, a))))


def ln(a: Array) -> Array:
    return _log_domain(a, np.log)


def log10(a: Array) -> Array:
    return _log_domain(a, np.log10)


def log(a: Array, base: Array | float = 10.0) -> Array:
    """``LOG(a, base)``: base 10 by default; base 1 is ``#DIV/0!``."""
    a, base = _arr(a), _arr(base)
    r = np.where(base == 1, DIV0, _log_domain(a, np.log) / np.where(base == 1, 1.0, _log_domain(base, np.log)))
    return _guard(np.where(np.isnan(a), a, r), a, base)


def pi() -> Array:
    return np.array(math.pi)


def floor_int(a: Array) -> Array:
    """``INT``: round down."""
    return np.floor(a)


def mod(a: Array, b: Array) -> Array:
    """``MOD(a, b) = a - b*INT(a/b)`` (the sign of b); b = 0 is ``#DIV/0!``."""
    a, b = _arr(a), _arr(b)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, np.where(np.isnan(a), a, DIV0), a - safe * np.floor(a / safe))


def _decimal_round(mode: str) -> Callable[[Array, Array], Array]:
    """Rounding as Excel does it, on the decimal of 15 significant digits it
    shows (so ``ROUND(2.675, 2)`` is 2.68 although 2.675 is stored as 2.67499...)."""

    def one(x: float | str, d: float | str) -> float:
        if isinstance(x, str) or isinstance(d, str):
            return XlError("#VALUE!")  # type: ignore[return-value]
        digits = math.trunc(d)
        if x == 0 or (abs(x) >= 1e300 and digits >= 0):
            return x
        try:
            q = Decimal(f"{x:.15g}").quantize(Decimal(1).scaleb(-digits), rounding=mode)
        except InvalidOperation:
            return x
        return float(q)

    def rounding(a: Array, digits: Array | float = 0.0) -> Array:
        return _elementwise(one, a, digits)

    return rounding


round_half = _decimal_round(ROUND_HALF_UP)
round_up = _decimal_round(ROUND_UP)
round_down = _decimal_round(ROUND_DOWN)


def _multiple(fn: Callable[[Array], Array]) -> Callable[[Array, Array], Array]:
    """``FLOOR``/``CEILING(x, s)``: a multiple of s; x > 0 with s < 0 is ``#NUM!``."""

    def to_multiple(x: Array, s: Array | float = 1.0) -> Array:
        x, s = _arr(x), _arr(s)
        safe = np.where(s == 0, 1.0, s)
        q = x / safe
        near = np.round(q)
        q = np.where(np.abs(q - near) <= 1e-12 * np.maximum(1.0, np.abs(q)), near, q)
        r = fn(q) * safe
        r = np.where((x > 0) & (s < 0), NUM, r)
        zero = DIV0 if fn is np.floor else 0.0
        return _guard(np.where(s == 0, np.where(x == 0, 0.0, zero), r), x, s)

    return to_multiple


floor = _multiple(np.floor)
ceiling = _multiple(np.ceil)


# --- logic and information ----------------------------------------------------------


def if_(condition: Array, then: Array, otherwise: Array | float = 0.0) -> Array:
    """``IF(c, a, b)``: a boolean or number condition picks (TRUE and any
    non-zero number pick a); a text or error condition is ``#VALUE!`` / that error."""
    c = truth(_arr(condition))
    if c.size == 1 and np.size(then) == 1 and np.size(otherwise) == 1 and math.isfinite(c.flat[0]):
        # one scenario (a workbook's own recalculation runs this once a row): no array work
        shape = np.broadcast_shapes(c.shape, np.shape(then), np.shape(otherwise))
        return np.array(then if c.flat[0] != 0 else otherwise, dtype=float).reshape(shape)
    picked = np.where(c != 0, then, otherwise)
    if np.isfinite(c).all():
        return picked
    return np.where(is_text(c), VALUE, np.where(np.isfinite(c), picked, np.where(np.isnan(c), c, NUM)))


def iferror(value: Array, fallback: Array) -> Array:
    return np.where(is_error(value), fallback, value)


def ifna(value: Array, fallback: Array) -> Array:
    v = _arr(value)
    return np.where(np.isnan(v) & (payloads(v) == _NA_PAYLOAD), fallback, v)


def isnumber(value: Array) -> Array:
    """``ISNUMBER``: TRUE for a number (a boolean is not one)."""
    return booleans(np.isfinite(value))


def iserror(value: Array) -> Array:
    return booleans(is_error(value))


def isna(value: Array) -> Array:
    v = _arr(value)
    return booleans(np.isnan(v) & (payloads(v) == _NA_PAYLOAD))


def istext(value: Array) -> Array:
    return booleans(is_text(value))


def islogical(value: Array) -> Array:
    """``ISLOGICAL``: TRUE for TRUE and FALSE."""
    return booleans(is_bool(value))


def n_value(value: Array) -> Array:
    """``N(value)``: a number as it is, TRUE 1, FALSE 0, a text 0; an error passes."""
    v = truth(_arr(value))
    return np.where(is_text(v), 0.0, v)


def isblank(cells: Range) -> Array:
    """``ISBLANK(cell)``: TRUE for an empty cell (an empty formula result is text)."""
    values, empty = cells[0]
    return booleans(np.broadcast_to(empty[:1, None], values[:1].shape)[0])


def iserr(value: Array) -> Array:
    """``ISERR``: any error but ``#N/A``."""
    v = _arr(value)
    return booleans(is_error(v) & ~(np.isnan(v) & (payloads(v) == _NA_PAYLOAD)))


def isnontext(value: Array) -> Array:
    return booleans(~is_text(_arr(value)))


def _parity(odd: bool) -> Callable[[Array], Array]:
    def parity(value: Array) -> Array:
        v = _arr(value)
        with np.errstate(invalid="ignore"):
            r = booleans(np.mod(np.trunc(np.where(np.isfinite(v), v, 0.0)), 2) == (1 if odd else 0))
        return np.where(is_value(v), VALUE, _guard(np.where(np.isfinite(v), r, v), v))

    return parity


#: ``ISEVEN`` / ``ISODD``: of the number truncated; a text or a boolean is ``#VALUE!``.
iseven = _parity(False)
isodd = _parity(True)


def _logical(reduce: Callable[..., Array]) -> Callable[..., Array]:
    """AND / OR / XOR of booleans and numbers (non-zero is TRUE), a boolean: a
    single text argument is ``#VALUE!``; a range's empty cells and texts are
    skipped, and a range with no value left is ``#VALUE!`` unless another
    argument gives one."""

    def logic(*args: Array | Range) -> Array:
        r = reduced(*args)  # 1.0, 0.0 or an error
        return np.where(np.isnan(r), r, booleans(r != 0))

    def reduced(*args: Array | Range) -> Array:
        if not any(isinstance(a, tuple) for a in args):
            plain = tuple(truth(a) for a in args)
            r = reduce(np.broadcast_arrays(*[a != 0 for a in plain]), axis=0).astype(float)
            if all(np.isfinite(a).all() for a in plain):
                return r
            bad, first = _first_error(*plain)
            texts = np.zeros(r.shape, dtype=bool)
            for a in plain:
                texts = texts | is_text(a)
            return np.where(bad, first, np.where(texts, VALUE, r))
        values: list[Array] = []
        counted: list[Array] = []
        for a in args:
            if isinstance(a, tuple):
                v, e = _cells(a)
                v = truth(v)
                values.extend(v)
                counted.extend(~e[i] & ~is_text(v[i]) for i in range(v.shape[0]))
            else:
                a = truth(a)
                values.append(np.where(is_text(a), VALUE, a))
                counted.append(np.ones(a.shape, dtype=bool))
        shape = np.broadcast_shapes(*(np.shape(v) for v in values))
        vs = [np.broadcast_to(np.where(c, v, 0.0), shape) for v, c in zip(values, counted, strict=True)]
        any_counted = np.logical_or.reduce([np.broadcast_to(c, shape) for c in counted])
        neutral = 1.0 if reduce is np.all else 0.0
        truths = [np.where(np.broadcast_to(c, shape), v != 0, neutral != 0) for v, c in zip(vs, counted, strict=True)]
        r = reduce(truths, axis=0).astype(float)
        bad, first = _first_error(*vs)
        return np.where(bad, first, np.where(any_counted, r, VALUE))

    return logic


logical_and = _logical(np.all)
logical_or = _logical(np.any)
#: ``XOR``: TRUE when an odd number of its values are TRUE.
logical_xor = _logical(lambda parts, axis: np.logical_xor.reduce(np.asarray(parts), axis=axis))


def logical_not(a: Array) -> Array:
    """``NOT``: TRUE for FALSE and 0; an error argument is that error, a text ``#VALUE!``."""
    a = truth(a)
    r = booleans(a == 0)
    if np.isfinite(a).all():
        return r
    bad, first = _first_error(a)
    return np.where(is_text(a), VALUE, np.where(bad, first, r))


def not_available() -> Array:
    return np.array(NA)


# --- ranges -------------------------------------------------------------------------


def _cells(rng: Range) -> tuple[Array, Array]:
    """All cells of a range, column after column: values (cells, scenarios) and empty (cells,)."""
    if len(rng) == 1:
        return rng[0]
    return np.concatenate([v for v, _ in rng]), np.concatenate([e for _, e in rng])


def _numbers(args: Sequence[Array | Range]) -> tuple[Array, Array, Array]:
    """Values of an aggregate's arguments as (values (n, scenarios), counted (n, s), error (s,)).

    Ranges contribute their numbers and errors (empty cells, texts and
    booleans are skipped); a single value counts when it is a number, a
    boolean (1 or 0) or a text that reads as one (else ``#VALUE!``)."""
    parts, masks = [], []
    for a in args:
        if isinstance(a, tuple):
            v, e = _cells(a)
            v = np.asarray(v, dtype=float)
            parts.append(v)
            masks.append(~e[:, None] & ~is_value(v))
        else:
            v = np.atleast_1d(num(a))[None, ...]
            parts.append(v)
            masks.append(np.ones(v.shape, dtype=bool))
    shape = np.broadcast_shapes(*(p.shape[1:] for p in parts))
    values = np.concatenate([np.broadcast_to(p, (p.shape[0], *shape)) for p in parts])
    counted = np.concatenate([np.broadcast_to(m, (m.shape[0], *shape)) for m in masks])
    errors = counted & ~np.isfinite(values)
    err = np.zeros(shape)  # 0: no error (errors are NaNs)
    if errors.any():
        first = np.argmax(errors, axis=0)
        picked = np.take_along_axis(values, first[None], axis=0)[0]
        err = np.where(errors.any(axis=0), np.where(np.isnan(picked), picked, NUM), 0.0)
    return values, counted & np.isfinite(values), err


def _with_error(result: Array, err: Array) -> Array:
    """``result``, or the error where ``err`` holds one (``err`` is 0 elsewhere)."""
    return np.where(np.isnan(err), err, result)


def total(*args: Array | Range) -> Array:
    """``SUM``."""
    if len(args) == 1 and isinstance(args[0], tuple) and len(args[0]) == 1:
        v, _e = args[0][0]
        if np.isfinite(v).all():
            return v.sum(axis=0)
    values, ok, err = _numbers(args)
    return _with_error(np.where(ok, values, 0.0).sum(axis=0), err)


def count(*args: Array | Range) -> Array:
    """``COUNT``: numbers, and booleans given directly; errors, texts and a range's booleans are not counted."""
    _values, ok, _ = _numbers(
        [a if isinstance(a, tuple) else np.where(np.isfinite(a) | is_bool(a), a, text("")) for a in args]
    )
    return ok.sum(axis=0).astype(float)


def counta(*args: Array | Range) -> Array:
    """``COUNTA``: every non-empty cell (texts and errors too)."""
    n: Array = np.zeros(())
    for a in args:
        if isinstance(a, tuple):
            v, e = _cells(a)
            n = n + np.broadcast_to((~e)[:, None], v.shape).sum(axis=0)
        else:
            n = n + np.ones(np.shape(a))
    return np.asarray(n, dtype=float)


def average(*args: Array | Range) -> Array:
    values, ok, err = _numbers(args)
    n = ok.sum(axis=0)
    s = np.where(ok, values, 0.0).sum(axis=0)
    return _with_error(np.where(n == 0, DIV0, s / np.maximum(n, 1)), err)


def _extreme(pick: Callable[..., Array]) -> Callable[..., Array]:
    fast = np.minimum if pick is np.min else np.maximum

    def extreme(*args: Array | Range) -> Array:
        if not any(isinstance(a, tuple) for a in args):
            r = fast.reduce(np.broadcast_arrays(*args)) if len(args) > 1 else _arr(args[0])
            if np.isfinite(r).all():
                return r
        values, ok, err = _numbers(args)
        fill = np.inf if pick is np.min else -np.inf
        r = pick(np.where(ok, values, fill), axis=0)
        return _with_error(np.where(ok.any(axis=0), r, 0.0), err)

    return extreme


minimum = _extreme(np.min)
maximum = _extreme(np.max)


def _sorted_numbers(args: Sequence[Array | Range]) -> tuple[Array, Array, Array]:
    values, ok, err = _numbers(args)
    ordered = np.sort(np.where(ok, values, np.inf), axis=0)
    return ordered, ok.sum(axis=0), err


def _quantile(ordered: Array, n: Array, k: Array) -> Array:
    """Linear interpolation at position k (n - 1) of the sorted numbers (0-based)."""
    k = np.broadcast_to(_arr(k), n.shape)
    h = np.where((n > 0) & np.isfinite(k), k, 0.0) * np.maximum(n - 1, 0)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(ordered, lo[None], axis=0)[0]
    b = np.take_along_axis(ordered, hi[None], axis=0)[0]
    return a + (h - lo) * np.where(hi > lo, b - a, 0.0)


def median(*args: Array | Range) -> Array:
    ordered, n, err = _sorted_numbers(args)
    return _with_error(np.where(n == 0, NUM, _quantile(ordered, n, np.full(n.shape, 0.5))), err)


def percentile(rng: Range, k: Array) -> Array:
    """``PERCENTILE(.INC)(range, k)``: k outside [0, 1] or no numbers is ``#NUM!``."""
    ordered, n, err = _sorted_numbers([rng])
    k = num(k)
    bad = ~np.isfinite(k) | (k < 0) | (k > 1) | (n == 0)
    r = np.where(bad, np.where(np.isnan(k), k, NUM), _quantile(ordered, n, np.where(bad, 0.0, k)))
    return _with_error(r, err)


def sumproduct(*ranges: Range) -> Array:
    """``SUMPRODUCT``: ranges of one shape; texts and empty cells are 0."""
    shapes = {(len(r), r[0][0].shape[0]) for r in ranges}
    if len(shapes) != 1:
        return np.array(VALUE)
    product = None
    err = None
    for r in ranges:
        v, e = _cells(r)
        v = np.where(e[:, None] | is_value(v), 0.0, v)
        e_here = ~np.isfinite(v)
        if e_here.any():
            first = np.take_along_axis(v, np.argmax(e_here, axis=0)[None], axis=0)[0]
            here = np.where(e_here.any(axis=0), np.where(np.isnan(first), first, NUM), 0.0)
            err = here if err is None else np.where(np.isnan(err), err, here)
        product = v if product is None else product * v
    assert product is not None
    s = np.where(np.isfinite(product), product, 0.0).sum(axis=0)
    return s if err is None else _with_error(s, err)


# --- criteria (COUNTIF, SUMIF, ...) ---------------------------------------------------

_OPERATOR = re.compile(r"^(<>|<=|>=|=|<|>)?(.*)$", re.S)


def _wildcard(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "~" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.S | re.I)


_TESTS: dict[str, Callable[[Array, Array], Array]] = {
    "=": np.equal,
    "<>": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}


def _boolean_criterion(op: str, wanted: bool) -> Callable[[Array, Array], Array]:
    """A criterion on a boolean (TRUE, "TRUE", "<>FALSE" ...): it compares the
    range's booleans only; "<>" also matches every cell that is not that boolean."""

    def test(values: Array, empty: Array) -> Array:
        found = is_bool(values) & ~empty
        compared = found & _TESTS[op](truth(np.where(found, values, FALSE)), float(wanted))
        return ~(found & ~compared) if op == "<>" else compared

    return test


def _criterion(c: float | str | bool) -> Callable[[Array, Array], Array]:
    """A test over (values (n,), empty (n,)) for one criterion (Excel's rules:
    "=x", "<>x", "<x" ...; a number matches equal numbers; a boolean or the
    text TRUE or FALSE the booleans; a text matches texts case-insensitively
    with the wildcards * and ?; "" matches empty cells)."""
    if isinstance(c, bool):
        return _boolean_criterion("=", c)
    if isinstance(c, str):
        op, operand = _OPERATOR.match(c).groups()
        op = op or "="
        if operand.upper() in ("TRUE", "FALSE"):
            return _boolean_criterion(op, operand.upper() == "TRUE")
        number = _number_of_text(operand) if operand.strip() else None
    else:
        op, operand, number = "=", "", c
    tests = _TESTS

    def test(values: Array, empty: Array) -> Array:
        texts = is_text(values)
        numeric = np.isfinite(values) & ~empty
        if number is not None:
            if op == "<>":  # every cell not equal to the number: texts and empty cells too
                return ~(numeric & (np.where(numeric, values, 0.0) == number))
            return numeric & tests[op](np.where(numeric, values, 0.0), number)
        if operand == "":
            blank = empty | np.array([isinstance(v, str) and v == "" for v in map(decode, values)], dtype=bool)
            return ~blank if op == "<>" else blank if op == "=" else np.zeros(values.shape, dtype=bool)
        strings = [decode(float(v)) if t else None for v, t in zip(values, texts, strict=False)]
        if op in ("=", "<>"):
            pattern = _wildcard(operand)
            match = np.array([s is not None and pattern.fullmatch(s) is not None for s in strings], dtype=bool)
            return ~match if op == "<>" else match
        key = operand.casefold()
        compare = {"<": str.__lt__, "<=": str.__le__, ">": str.__gt__, ">=": str.__ge__}[op]
        return np.array([s is not None and compare(s.casefold(), key) for s in strings], dtype=bool)

    return test


def _criteria_mask(pairs: Sequence[tuple[Range, Array]]) -> tuple[Array, Array | None]:
    """Cells meeting every (range, criterion) pair: (mask (n, scenarios), error or None)."""
    mask = None
    err = None
    for rng, criterion in pairs:
        values, empty = _cells(rng)
        crit = np.broadcast_to(_arr(criterion), values.shape[1:])
        here = np.zeros(values.shape, dtype=bool)
        for s in range(values.shape[1]):
            c = decode(float(crit[s]))
            if isinstance(c, XlError):
                err = np.where(np.arange(values.shape[1]) == s, encode(c), 0.0 if err is None else err)
                continue
            here[:, s] = _criterion(c)(values[:, s], empty)
        mask = here if mask is None else (mask & here if mask.shape == here.shape else np.zeros((1, 1), bool))
    assert mask is not None
    return mask, err


def countifs(*args: Array | Range) -> Array:
    """``COUNTIF(range, criterion)`` / ``COUNTIFS(range1, criterion1, ...)``."""
    mask, err = _criteria_mask(list(zip(args[0::2], args[1::2], strict=False)))
    r = mask.sum(axis=0).astype(float)
    return r if err is None else _with_error(r, err)


def sumifs(target: Range, *args: Array | Range) -> Array:
    """``SUMIFS(sum_range, range1, criterion1, ...)``: numbers of the matching cells."""
    mask, err = _criteria_mask(list(zip(args[0::2], args[1::2], strict=False)))
    values, empty = _cells(target)
    if values.shape[0] != mask.shape[0]:
        return np.array(VALUE)
    use = mask & ~empty[:, None] & ~is_value(values)
    picked = np.where(use, values, 0.0)
    bad = use & ~np.isfinite(values)
    r = picked.sum(axis=0)
    if bad.any():
        r = np.where(bad.any(axis=0), np.take_along_axis(values, np.argmax(bad, axis=0)[None], axis=0)[0], r)
    return r if err is None else _with_error(r, err)


def sumif(rng: Range, criterion: Array, target: Range | None = None) -> Array:
    return sumifs(target if target is not None else rng, rng, criterion)


def averageifs(target: Range, *args: Array | Range) -> Array:
    mask, err = _criteria_mask(list(zip(args[0::2], args[1::2], strict=False)))
    values, empty = _cells(target)
    use = mask & ~empty[:, None] & np.isfinite(values)
    n = use.sum(axis=0)
    r = np.where(n == 0, DIV0, np.where(use, values, 0.0).sum(axis=0) / np.maximum(n, 1))
    return r if err is None else _with_error(r, err)


def averageif(rng: Range, criterion: Array, target: Range | None = None) -> Array:
    return averageifs(target if target is not None else rng, rng, criterion)


# --- lookup -------------------------------------------------------------------------


def _same_kind(cells: Array, value: Array) -> tuple[Array, Array]:
    """(cells comparable with value: both numbers or both texts, cell texts casefolded keys)."""
    vt = is_text(value)
    ct = is_text(cells)
    numeric = np.isfinite(cells) & ~vt
    return numeric, ct & vt


def _text_keys(values: Array) -> list[str | None]:
    return [d.casefold() if isinstance(d, str) else None for d in map(decode, values.ravel())]


def _position(value: Array, cells: Array, empty: Array, kind: Array) -> Array:
    """1-based position of ``value`` among ``cells`` (n, scenarios) as MATCH
    finds it: kind 0 the first equal cell (texts case-insensitive, wildcards),
    1 the last cell <= value, -1 the last cell >= value, in a sorted range."""
    n, s = cells.shape
    value = np.broadcast_to(_arr(value), (s,))
    kind = np.broadcast_to(_arr(kind), (s,))
    out = np.empty(s)
    simple = np.isfinite(cells).all() and np.isfinite(value).all() and not empty.any()
    for j in range(s):
        v = float(value[j])
        k = kind[j]
        if not math.isfinite(v) and not is_value(np.array(v)):
            out[j] = v if math.isnan(v) else NUM
            continue
        col = cells[:, j]
        if simple:
            hits = col == v if k == 0 else (col <= v if k > 0 else col >= v)
        elif is_bool(np.array(v)):  # a boolean is found among the booleans only (FALSE < TRUE)
            ok = is_bool(col) & ~empty
            safe, wanted = truth(np.where(ok, col, FALSE)), float(truth(np.array(v)))
            hits = ok & (safe == wanted if k == 0 else (safe <= wanted if k > 0 else safe >= wanted))
        elif is_text(np.array(v)):
            key = str(decode(v))
            keys = _text_keys(col)
            if k == 0:
                pattern = _wildcard(key)
                hits = np.array([c is not None and pattern.fullmatch(c) is not None for c in keys], dtype=bool)
            else:
                kf = key.casefold()
                hits = np.array([c is not None and (c <= kf if k > 0 else c >= kf) for c in keys], dtype=bool)
        else:
            ok = np.isfinite(col) & ~empty
            safe = np.where(ok, col, 0.0)
            hits = ok & (safe == v if k == 0 else (safe <= v if k > 0 else safe >= v))
        if not hits.any():
            out[j] = NA
        elif k == 0:
            out[j] = float(np.argmax(hits) + 1)
        else:
            out[j] = float(n - np.argmax(hits[::-1]))
    return out


def match(value: Array, rng: Range, kind: Array | float = 1.0) -> Array:
    """``MATCH(value, range, type)`` over a row or a column."""
    if len(rng) > 1 and rng[0][0].shape[0] > 1:
        return np.array(NA)
    kind = truth(kind)
    cells, empty = _cells(rng)
    return _guard(_position(value, cells, empty, np.sign(kind)), value, kind)


def _pick(rng: Range, row: Array, col: Array) -> Array:
    """The cell at 1-based (row, col) of a range; outside it is ``#REF!``."""
    rows, cols = rng[0][0].shape[0], len(rng)
    if rng[0][0].shape[1:] == (1,) and np.size(row) == 1 and np.size(col) == 1:
        return _pick_one(rng, row, col, (1,))
    scen = np.broadcast_shapes(rng[0][0].shape[1:], np.shape(row), np.shape(col))
    if math.prod(scen) == 1:
        return _pick_one(rng, row, col, scen)
    row = np.broadcast_to(_arr(row), scen)
    col = np.broadcast_to(_arr(col), scen)
    ok = np.isfinite(row) & np.isfinite(col) & (row >= 1) & (row < rows + 1) & (col >= 1) & (col < cols + 1)
    r = np.where(ok, np.floor(np.where(ok, row, 1.0)) - 1, 0).astype(int)
    c = np.where(ok, np.floor(np.where(ok, col, 1.0)) - 1, 0).astype(int)
    if cols == 1:
        v = np.broadcast_to(rng[0][0], (rows, *scen)) if scen else rng[0][0][:, 0]
        picked = np.take_along_axis(v, r[None], axis=0)[0] if scen else v[r]
    else:
        stacked = np.stack([np.broadcast_to(v, (rows, *scen)) for v, _ in rng])  # (cols, rows, scen)
        picked = stacked[c, r, np.arange(scen[0])] if scen else stacked[c, r]
    bad, first = _first_error(row, col)
    return np.where(bad, first, np.where(ok, picked, REF))


def _pick_one(rng: Range, row: Array, col: Array, shape: tuple[int, ...]) -> Array:
    """:func:`_pick` for one scenario (a workbook's own recalculation), by plain
    indexing: the same rules (the leftmost error of row and column, an infinity
    being ``#NUM!``; ``#REF!`` outside the range) at a hundredth of the cost."""
    r, c = np.ravel(row)[0], np.ravel(col)[0]
    if not (math.isfinite(r) and math.isfinite(c)):  # (a plain float test first: this runs once a row)
        for x in (r, c):
            if is_error(x):
                return np.broadcast_to(x if np.isnan(x) else NUM, shape).copy()
    if not (1 <= r < rng[0][0].shape[0] + 1 and 1 <= c < len(rng) + 1):
        return np.full(shape, REF)
    return np.reshape(rng[int(c) - 1][0][int(r) - 1], shape).copy()


def index(rng: Range, row: Array, col: Array | None = None) -> Array:
    """``INDEX(range, row[, column])``; one position into a single row is its column."""
    rows, cols = rng[0][0].shape[0], len(rng)
    if col is None:
        if rows == 1 and cols > 1:
            return _pick(rng, np.ones(np.shape(row)), row)
        col = np.ones(np.shape(row))
    return _pick(rng, row, col)


def _table_lookup(by_rows: bool) -> Callable[..., Array]:
    def lookup(value: Array, rng: Range, which: Array, approximate: Array | float = 1.0) -> Array:
        if by_rows:  # VLOOKUP: search the first column, return column `which`
            cells, empty = rng[0]
        else:  # HLOOKUP: search the first row
            cells = np.concatenate([v[:1] for v, _ in rng])
            empty = np.concatenate([e[:1] for _, e in rng])
        kind = np.where(truth(approximate) != 0, 1.0, 0.0)
        pos = _position(value, np.asarray(cells, dtype=float), empty, kind)
        which = num(which)
        bad_which = np.isfinite(which) & (which < 1)
        r = _pick(rng, pos, which) if by_rows else _pick(rng, which, pos)
        r = np.where(bad_which, VALUE, r)
        return np.where(np.isnan(pos), pos, r)

    return lookup


vlookup = _table_lookup(True)
hlookup = _table_lookup(False)


def lookup(value: Array, rng: Range, result: Range | None = None) -> Array:
    """``LOOKUP(value, lookup_vector, [result_vector])``: the position of the
    largest value <= ``value`` in the sorted vector (as MATCH type 1), the
    result vector's value there; without one, a table wider than tall is
    searched in its first row and answers from its last row, otherwise its
    first and last columns."""
    if result is None:
        rows, cols = rng[0][0].shape[0], len(rng)
        if cols > rows:
            search = (np.concatenate([v[:1] for v, _ in rng]), np.concatenate([e[:1] for _, e in rng]))
            answers = np.concatenate([v[-1:] for v, _ in rng])
        else:
            search, answers = rng[0], rng[-1][0]
    else:
        search, answers = _cells(rng), _cells(result)[0]
    cells, empty = search
    pos = _position(value, np.asarray(cells, dtype=float), empty, np.array(1.0))
    found = np.isfinite(pos) & (pos <= answers.shape[0])
    index = np.where(found, pos - 1, 0).astype(int)
    shape = np.broadcast_shapes(index.shape, answers.shape[1:])
    picked = np.take_along_axis(
        np.broadcast_to(answers, (answers.shape[0], *shape)), np.broadcast_to(index, shape)[None], axis=0
    )[0]
    return np.where(np.isnan(pos), pos, np.where(found, picked, NA))


def choose(k: Array, *options: Array) -> Array:
    """``CHOOSE(k, v1, v2, ...)``: k outside 1..n is ``#VALUE!``."""
    k = num(k)
    ok = np.isfinite(k) & (k >= 1) & (k < len(options) + 1)
    i = np.where(ok, np.floor(np.where(ok, k, 1.0)) - 1, 0).astype(int)
    shape = np.broadcast_shapes(np.shape(k), *(np.shape(o) for o in options))
    stacked = np.stack([np.broadcast_to(_arr(o), shape) for o in options])
    picked = np.take_along_axis(stacked, np.broadcast_to(i, shape)[None], axis=0)[0]
    return np.where(ok, picked, np.where(np.isnan(k), k, VALUE))


# --- statistics ---------------------------------------------------------------------


# Wichura's algorithm AS 241 (PPND16), "The percentage points of the normal distribution",
# Applied Statistics 37 (1988) 477-484, good to about 1e-16: with q = p - 1/2,
# x = q A(r)/B(r), r = 0.180625 - q^2, for |q| <= 0.425; otherwise, with
# r = sqrt(-ln min(p, 1 - p)), x = C(r - 1.6)/D(r - 1.6) for r <= 5, E(r - 5)/F(r - 5)
# beyond, negative for p < 1/2. Coefficients from the constant term up (B, D and F
# start with 1). Not the solver's algorithm (Moshier's, pysie.distributions.ndtri).
_AS241_A = (
    3.3871328727963666080,
    1.3314166789178437745e2,
    1.9715909503065514427e3,
    1.3731693765509461125e4,
    4.5921953931549871457e4,
    6.7265770927008700853e4,
    3.3430575583588128105e4,
    2.5090809287301226727e3,
)
_AS241_B = (
    1.0,
    4.2313330701600911252e1,
    6.8718700749205790830e2,
    5.3941960214247511077e3,
    2.1213794301586595867e4,
    3.9307895800092710610e4,
    2.8729085735721942674e4,
    5.2264952788528545610e3,
)
_AS241_C = (
    1.42343711074968357734,
    4.63033784615654529590,
    5.76949722146069140550,
    3.64784832476320460504,
    1.27045825245236838258,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
)
_AS241_D = (
    1.0,
    2.05319162663775882187,
    1.67638483018380384940,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
)
_AS241_E = (
    6.65790464350110377720,
    5.46378491116411436990,
    1.78482653991729133580,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_AS241_F = (
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
)


def _polynomial(x: Array, coefficients: tuple[float, ...]) -> Array:
    """c0 + c1 x + ... + cn x^n (Horner's rule from the highest power)."""
    value = np.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        value = value * x + c
    return value


def _normal_quantile(p: Array) -> Array:
    """Phi^-1(p) for p in (0, 1) by AS 241 (above)."""
    q = p - 0.5
    central = np.abs(q) <= 0.425
    r = 0.180625 - q * q
    inner = q * _polynomial(r, _AS241_A) / _polynomial(r, _AS241_B)
    with np.errstate(all="ignore"):
        t = np.sqrt(-np.log(np.where(central, 0.5, np.minimum(p, 1.0 - p))))
    near = t <= 5.0
    u = np.where(near, t - 1.6, t - 5.0)
    tail = np.where(
        near, _polynomial(u, _AS241_C) / _polynomial(u, _AS241_D), _polynomial(u, _AS241_E) / _polynomial(u, _AS241_F)
    )
    return np.where(central, inner, np.where(q < 0, -tail, tail))


def norm_s_inv(p: Array) -> Array:
    """``NORM.S.INV(p)``: the standard normal quantile (:func:`_normal_quantile`); p outside (0, 1) is ``#NUM!``."""
    p = _arr(p)
    ok = (p > 0) & (p < 1)
    return _guard(np.where(ok, _normal_quantile(np.where(ok, p, 0.5)), NUM), p)


def norm_inv(p: Array, mean: Array, sd: Array) -> Array:
    sd = _arr(sd)
    return _guard(np.where(sd <= 0, NUM, mean + sd * norm_s_inv(p)), p, mean, sd)


def lognorm_inv(p: Array, mean: Array, sd: Array) -> Array:
    """``LOGNORM.INV(p, mu, sigma) = EXP(mu + sigma NORM.S.INV(p))``; sigma <= 0 is ``#NUM!``."""
    sd = _arr(sd)
    return _guard(np.where(sd <= 0, NUM, np.exp(mean + sd * norm_s_inv(p))), p, mean, sd)


def norm_s_dist(z: Array, cumulative: Array | float = 1.0) -> Array:
    """``NORM.S.DIST(z, cumulative)``: the distribution function, or the density."""
    from scipy import special

    z = _arr(z)
    density = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return _guard(np.where(truth(cumulative) != 0, special.ndtr(z), density), z, cumulative)


def norm_dist(x: Array, mean: Array, sd: Array, cumulative: Array) -> Array:
    sd = _arr(sd)
    safe = np.where(sd <= 0, 1.0, sd)
    z = (x - _arr(mean)) / safe
    value = np.where(truth(cumulative) != 0, norm_s_dist(z, 1.0), norm_s_dist(z, 0.0) / safe)
    return _guard(np.where(sd <= 0, NUM, value), x, mean, sd, cumulative)


# --- dates (the 1900 date system, with its 29 February 1900) ---------------------------

_EPOCH = _dt.date(1899, 12, 30)


def _date_of(serial: float) -> tuple[int, int, int] | None:
    s = math.floor(serial)
    if s < 0 or s > 2958465:
        return None
    if s == 60:
        return (1900, 2, 29)
    if s == 0:
        return (1900, 1, 0)
    d = _EPOCH + _dt.timedelta(days=s if s > 60 else s + 1)
    return d.year, d.month, d.day


def _serial_of(year: int, month: int, day: int) -> float | XlError:
    """Excel's serial of a (possibly overflowing) year, month and day."""
    months = year * 12 + (month - 1)
    y, m = divmod(months, 12)
    if y < 0 or y > 9999:
        return XlError("#NUM!")
    first = _dt.date(y, m + 1, 1)
    s = (first - _EPOCH).days + (day - 1)
    if s <= 60:  # before 1 March 1900 Excel counts the phantom 29 February 1900
        s -= 1
    if s < 0:
        return XlError("#NUM!")
    return float(s)


def _of_serial(part: Callable[[float], float | XlError]) -> Callable[[Array], Array]:
    """A function of a date serial, element by element (a text is ``#VALUE!``)."""

    def one(serial: float | str) -> float | XlError:
        return XlError("#VALUE!") if isinstance(serial, str) else part(serial)

    def extract(serial: Array) -> Array:
        return _elementwise(one, num(serial))

    return extract


def _date_part(index: int) -> Callable[[Array], Array]:
    """YEAR (0), MONTH (1) or DAY (2) of a serial."""

    def part(serial: float) -> float | XlError:
        ymd = _date_of(serial)
        return XlError("#NUM!") if ymd is None else float(ymd[index])

    return _of_serial(part)


year = _date_part(0)
month = _date_part(1)
day = _date_part(2)


def date(y: Array, m: Array, d: Array) -> Array:
    """``DATE(year, month, day)``: years 0..1899 count from 1900; months and days overflow."""

    def one(yv: float, mv: float, dv: float) -> float | XlError:
        yi = math.trunc(yv)
        if yi < 0 or yi >= 10000:
            return XlError("#NUM!")
        if yi < 1900:
            yi += 1900
        return _serial_of(yi, math.trunc(mv), math.trunc(dv))

    return _elementwise(one, num(y), num(m), num(d))


def edate(start: Array, months: Array) -> Array:
    """``EDATE(start, months)``: the same day ``months`` later, clamped to the month's end."""

    def one(sv: float, mv: float) -> float | XlError:
        ymd = _date_of(sv)
        if ymd is None:
            return XlError("#NUM!")
        y, m, d = ymd
        total_months = y * 12 + (m - 1) + math.trunc(mv)
        ty, tm = divmod(total_months, 12)
        if ty < 1900 or ty > 9999:
            return XlError("#NUM!")
        last = (_dt.date(ty + (tm + 1) // 12, (tm + 1) % 12 + 1, 1) - _dt.timedelta(days=1)).day
        return _serial_of(ty, tm + 1, min(d, last))

    return _elementwise(one, num(start), num(months))


def eomonth(start: Array, months: Array) -> Array:
    """``EOMONTH(start, months)``: the last day of the month ``months`` after ``start``'s."""

    def one(sv: float, mv: float) -> float | XlError:
        ymd = _date_of(sv)
        if ymd is None:
            return XlError("#NUM!")
        y, m, _ = ymd
        return _serial_of(y, m + math.trunc(mv) + 1, 0)

    return _elementwise(one, num(start), num(months))


def days(end: Array, start: Array) -> Array:
    """``DAYS(end, start)``: whole days from ``start`` to ``end``."""

    def one(ev: float, sv: float) -> float | XlError:
        if _date_of(ev) is None or _date_of(sv) is None:
            return XlError("#NUM!")
        return float(math.floor(ev) - math.floor(sv))

    return _elementwise(one, num(end), num(start))


def datedif(start: Array, end: Array, unit: Array) -> Array:
    """``DATEDIF(start, end, unit)``: complete years ("Y"), months ("M"), days
    ("D"), days ignoring months and years ("MD"), months ignoring years ("YM")
    or days ignoring years ("YD"); ``start`` after ``end`` is ``#NUM!``."""

    def one(sv: float, ev: float, u: float | str) -> float | XlError:
        a, b = _date_of(sv), _date_of(ev)
        if a is None or b is None or math.floor(sv) > math.floor(ev):
            return XlError("#NUM!")
        (y1, m1, d1), (y2, m2, d2) = a, b
        months = (y2 - y1) * 12 + (m2 - m1) - (1 if d2 < d1 else 0)
        code = u.upper() if isinstance(u, str) else ""
        if code == "D":
            return float(math.floor(ev) - math.floor(sv))
        if code == "M":
            return float(months)
        if code == "Y":
            return float(months // 12)
        if code == "YM":
            return float(months % 12)
        if code == "MD":
            if d2 >= d1:
                return float(d2 - d1)
            previous = _serial_of(y2, m2, 0)  # the last day of the month before end's
            assert not isinstance(previous, XlError)
            last = _date_of(previous)
            assert last is not None
            return float(last[2] - d1 + d2)  # Excel's rule, negative when d1 > that month's days
        if code == "YD":
            anniversary = _serial_of(y2 if (m1, d1) <= (m2, d2) else y2 - 1, m1, d1)
            return anniversary if isinstance(anniversary, XlError) else float(math.floor(ev) - anniversary)
        return XlError("#NUM!")

    return _elementwise(one, num(start), num(end), unit)


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _last_of_february(y: int, m: int, d: int) -> bool:
    return m == 2 and d == (29 if _leap(y) else 28)


def _year_fraction(s1: int, s2: int, basis: int) -> float | XlError:
    """YEARFRAC of serials ``s1 <= s2`` by ``basis``: 0 US 30/360 (a start at
    the end of February or on the 31st counts as the 30th, an end on the 31st
    too when the start is on the 30th or 31st, an end at the end of February
    when the start is), 1 actual days over the year's length (366 when the span
    is within a year and holds a 29 February, else the mean length of the
    years it touches), 2 actual/360, 3 actual/365, 4 European 30/360."""
    a, b = _date_of(s1), _date_of(s2)
    if a is None or b is None:
        return XlError("#NUM!")
    (y1, m1, d1), (y2, m2, d2) = a, b
    if basis in (0, 4):
        if basis == 0:
            if _last_of_february(y1, m1, d1):
                if _last_of_february(y2, m2, d2):
                    d2 = 30
                d1 = 30
            if d2 == 31 and d1 >= 30:
                d2 = 30
            d1 = min(d1, 30)
        else:
            d1, d2 = min(d1, 30), min(d2, 30)
        return ((y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)) / 360
    days = s2 - s1
    if basis == 2:
        return days / 360
    if basis == 3:
        return days / 365
    if basis != 1:
        return XlError("#NUM!")
    within_a_year = y1 == y2 or (y2 == y1 + 1 and (m1, d1) >= (m2, d2))
    if within_a_year:
        holds_29_feb = (_leap(y1) and (m1, d1) <= (2, 29) and (y1 < y2 or (m2, d2) >= (2, 29))) or (
            y2 != y1 and _leap(y2) and (m2, d2) >= (2, 29)
        )
        return days / (366 if holds_29_feb else 365)
    length = sum(366 if _leap(y) else 365 for y in range(y1, y2 + 1)) / (y2 - y1 + 1)
    return days / length


def yearfrac(start: Array, end: Array, basis: Array | float = 0.0) -> Array:
    """``YEARFRAC(start, end, [basis])``: the years between two dates (in either
    order). As Excel does, the basis is checked first: a text basis is
    ``#VALUE!`` and one outside 0..4 ``#NUM!``, whatever the dates hold. A
    boolean argument is ``#VALUE!``, not 1 or 0 (Excel's saved values in
    pycel's yearfrac.xlsx: ``YEARFRAC(1,200,J9)`` with J9 TRUE)."""

    def one(bv: float, sv: float, ev: float) -> float | XlError:
        if sv < 0 or ev < 0:
            return XlError("#NUM!")
        s1, s2 = sorted((math.floor(sv), math.floor(ev)))
        return _year_fraction(s1, s2, math.trunc(bv))

    b = num(_no_boolean(basis))
    result = _elementwise(one, b, num(_no_boolean(start)), num(_no_boolean(end)))
    with np.errstate(invalid="ignore"):
        outside = (np.trunc(b) < 0) | (np.trunc(b) > 4)
    return np.where(is_error(b), b, np.where(outside, NUM, result))


def _time_part(unit: int, cycle: int) -> Callable[[Array], Array]:
    """HOUR (3600 s, of 24), MINUTE (60 s, of 60) or SECOND (1 s, of 60) of a
    serial's fraction of a day, to the nearest second as Excel rounds it."""

    def part(serial: float) -> float | XlError:
        if serial < 0:
            return XlError("#NUM!")
        seconds = round((serial - math.floor(serial)) * 86400) % 86400
        return float(seconds // unit % cycle)

    return _of_serial(part)


hour = _time_part(3600, 24)
minute = _time_part(60, 60)
second = _time_part(1, 60)


def time_of(h: Array, m: Array, sec: Array) -> Array:
    """``TIME(hour, minute, second)``: the fraction of a day, wrapping past 24 hours."""

    def one(hv: float, mv: float, sv: float) -> float | XlError:
        total = math.trunc(hv) * 3600 + math.trunc(mv) * 60 + math.trunc(sv)
        if total < 0 or max(hv, mv, sv) > 32767:
            return XlError("#NUM!")
        return (total % 86400) / 86400

    return _elementwise(one, num(h), num(m), num(sec))


#: WEEKDAY's return types: type -> (weekday number of Monday, of the day after Sunday's number ...)
_WEEK_STARTS = {1: 6, 2: 0, 3: 0, 11: 0, 12: 1, 13: 2, 14: 3, 15: 4, 16: 5, 17: 6}


def weekday(serial: Array, kind: Array | float = 1.0) -> Array:
    """``WEEKDAY(serial, [type])``: type 1 Sunday = 1 ... Saturday = 7, type 2
    Monday = 1 ... Sunday = 7, type 3 Monday = 0 ... Sunday = 6, types 11-17
    weeks starting Monday ... Sunday, numbered from 1 (serial 1 is a Sunday)."""

    def one(sv: float, kv: float) -> float | XlError:
        k = math.trunc(kv)
        if sv < 0 or k not in _WEEK_STARTS:
            return XlError("#NUM!")
        monday0 = (math.floor(sv) + 5) % 7  # 0 Monday ... 6 Sunday
        first = _WEEK_STARTS[k]  # the weekday (0 Monday) a week starts on
        return float((monday0 - first) % 7 + (0 if k == 3 else 1))

    return _elementwise(one, num(serial), num(kind))


# --- text ---------------------------------------------------------------------------


def _count(n: float | str) -> int | None:
    if isinstance(n, str):
        value = _number_of_text(n)
        if value is None:
            return None
        n = value
    return math.trunc(n) if n >= 0 else None


def length(s: Array) -> Array:
    return _elementwise(lambda v: float(len(_display(v))), s)


def left(s: Array, n: Array | float = 1.0) -> Array:
    def one(v: float | str, k: float | str) -> str | XlError:
        c = _count(k)
        return XlError("#VALUE!") if c is None else _display(v)[:c]

    return _elementwise(one, s, n)


def right(s: Array, n: Array | float = 1.0) -> Array:
    def one(v: float | str, k: float | str) -> str | XlError:
        c = _count(k)
        if c is None:
            return XlError("#VALUE!")
        t = _display(v)
        return t[len(t) - c :] if c else ""

    return _elementwise(one, s, n)


def mid(s: Array, start: Array, n: Array) -> Array:
    def one(v: float | str, a: float | str, k: float | str) -> str | XlError:
        first, c = _count(a), _count(k)
        if first is None or first < 1 or c is None:
            return XlError("#VALUE!")
        return _display(v)[first - 1 : first - 1 + c]

    return _elementwise(one, s, start, n)


def upper(s: Array) -> Array:
    return _elementwise(lambda v: _display(v).upper(), s)


def lower(s: Array) -> Array:
    return _elementwise(lambda v: _display(v).lower(), s)


def trim(s: Array) -> Array:
    """``TRIM``: no leading or trailing spaces, single spaces inside."""
    return _elementwise(lambda v: re.sub(" +", " ", _display(v).strip(" ")), s)


def exact(a: Array, b: Array) -> Array:
    """``EXACT(a, b)``: TRUE when the two texts are the same, case included."""
    return _elementwise(lambda x, y: _display(x) == _display(y), a, b)


def _find(case_sensitive: bool) -> Callable[..., Array]:
    def find(needle: Array, haystack: Array, start: Array | float = 1.0) -> Array:
        def one(n: float | str, h: float | str, k: float | str) -> float | XlError:
            first = _count(k)
            t, hay = _display(n), _display(h)
            if first is None or first < 1 or first > len(hay) + (1 if not t else 0):
                return XlError("#VALUE!")
            if case_sensitive:
                at = hay.find(t, first - 1)
            else:
                m = _wildcard_search(t).search(hay, first - 1)
                at = -1 if m is None else m.start()
            return XlError("#VALUE!") if at < 0 else float(at + 1)

        return _elementwise(one, needle, haystack, start)

    return find


def _wildcard_search(pattern: str) -> re.Pattern[str]:
    """SEARCH's pattern: ``?`` one character, ``*`` any run, ``~`` escapes; case-insensitive."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "~" and i + 1 < len(pattern) and pattern[i + 1] in "?*~":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append("." if c == "?" else ".*?" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


#: ``FIND(find_text, within_text, [start])``: case-sensitive, no wildcards; not found is ``#VALUE!``.
find = _find(True)
#: ``SEARCH(find_text, within_text, [start])``: case-insensitive, with wildcards.
search = _find(False)


def concat_ranges(*args: Array | Range) -> Array:
    """``CONCAT(...)``: every argument's texts joined; a range row by row, its
    empty cells as the empty text; the first error is the result."""
    parts: list[Array] = []
    for a in args:
        if isinstance(a, tuple):
            rows = a[0][0].shape[0]
            for r in range(rows):
                for values, empty in a:
                    parts.append(text("") if empty[r] else values[r])
        else:
            parts.append(a)
    return concat(*parts) if parts else np.array(text(""))


def substitute(s: Array, old: Array, new: Array, instance: Array | None = None) -> Array:
    """``SUBSTITUTE(text, old, new, [instance])``: every ``old`` (or the
    ``instance``-th) replaced by ``new``; an instance below 1 is ``#VALUE!``."""

    def one(t: float | str, o: float | str, n: float | str, k: float | str | None = None) -> str | XlError:
        text_, old_, new_ = _display(t), _display(o), _display(n)
        if k is None:
            return text_.replace(old_, new_) if old_ else text_
        which = _count(k)
        if which is None or which < 1:
            return XlError("#VALUE!")
        at = -1
        for _ in range(which):
            at = text_.find(old_, at + 1) if old_ else -1
            if at < 0:
                return text_
        return text_[:at] + new_ + text_[at + len(old_) :]

    return _elementwise(one, *([s, old, new] if instance is None else [s, old, new, instance]))


def replace(s: Array, start: Array, count: Array, new: Array) -> Array:
    """``REPLACE(text, start, count, new)``: ``count`` characters from ``start`` replaced."""

    def one(t: float | str, a: float | str, k: float | str, n: float | str) -> str | XlError:
        first, c = _count(a), _count(k)
        if first is None or first < 1 or c is None:
            return XlError("#VALUE!")
        text_ = _display(t)
        return text_[: first - 1] + _display(n) + text_[first - 1 + c :]

    return _elementwise(one, s, start, count, new)


def rept(s: Array, n: Array) -> Array:
    """``REPT(text, n)``: ``n`` copies (``#VALUE!`` past Excel's 32,767 characters)."""

    def one(t: float | str, k: float | str) -> str | XlError:
        c = _count(k)
        text_ = _display(t)
        if c is None or len(text_) * c > 32767:
            return XlError("#VALUE!")
        return text_ * c

    return _elementwise(one, s, n)


def value(s: Array) -> Array:
    """``VALUE(text)``: a text that reads as a number, else ``#VALUE!`` (a boolean too)."""
    s = _arr(s)
    return num(np.where(is_bool(s), VALUE, s))


#: TEXT formats understood: [#,##]0[.0...][%] and "General".
_FORMAT = re.compile(r"^(#,##)?0(\.0+)?(%)?$")


def format_supported(fmt: str) -> bool:
    return fmt.lower() == "general" or _FORMAT.match(fmt) is not None


def text_format(x: Array, fmt: Array) -> Array:
    """``TEXT(value, format)`` for the formats of :func:`format_supported`."""

    def one(v: float | str, f: float | str) -> str | XlError:
        f = _display(f)
        if isinstance(v, (str, bool)):
            return _display(v)
        if f.lower() == "general":
            return _display(v)
        m = _FORMAT.match(f)
        if m is None:
            return XlError("#VALUE!")
        decimals = len(m.group(2) or ".") - 1
        shown = v * 100 if m.group(3) else v
        q = Decimal(f"{shown:.15g}").quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        body = f"{q:,.{decimals}f}" if m.group(1) else f"{q:.{decimals}f}"
        if body.startswith("-") and float(q) == 0:
            body = body[1:]
        return body + ("%" if m.group(3) else "")

    return _elementwise(one, x, fmt)


#: The library: operation name -> implementation.
FUNCTIONS: dict[str, Callable[..., Array]] = {
    "add": add,
    "sub": sub,
    "mul": mul,
    "div": div,
    "pow": power,
    "neg": neg,
    "eq": eq,
    "ne": ne,
    "lt": lt,
    "le": le,
    "gt": gt,
    "ge": ge,
    "concat": concat,
    "num": num,
    "truth": truth,
    "empty_text": empty_text,
    "abs": absolute,
    "sign": sign,
    "sqrt": sqrt,
    "exp": exp,
    "ln": ln,
    "log10": log10,
    "log": log,
    "pi": pi,
    "int": floor_int,
    "mod": mod,
    "round": round_half,
    "roundup": round_up,
    "rounddown": round_down,
    "floor": floor,
    "ceiling": ceiling,
    "if": if_,
    "iferror": iferror,
    "ifna": ifna,
    "isnumber": isnumber,
    "iserror": iserror,
    "isna": isna,
    "istext": istext,
    "islogical": islogical,
    "n": n_value,
    "isblank": isblank,
    "and": logical_and,
    "or": logical_or,
    "not": logical_not,
    "na": not_available,
    "sum": total,
    "count": count,
    "counta": counta,
    "average": average,
    "min": minimum,
    "max": maximum,
    "median": median,
    "percentile": percentile,
    "sumproduct": sumproduct,
    "countifs": countifs,
    "sumif": sumif,
    "sumifs": sumifs,
    "averageif": averageif,
    "averageifs": averageifs,
    "match": match,
    "index": index,
    "vlookup": vlookup,
    "hlookup": hlookup,
    "choose": choose,
    "norm_s_inv": norm_s_inv,
    "norm_inv": norm_inv,
    "lognorm_inv": lognorm_inv,
    "norm_s_dist": norm_s_dist,
    "norm_dist": norm_dist,
    "date": date,
    "year": year,
    "month": month,
    "day": day,
    "edate": edate,
    "len": length,
    "left": left,
    "right": right,
    "mid": mid,
    "upper": upper,
    "lower": lower,
    "trim": trim,
    "value": value,
    "text": text_format,
    "eomonth": eomonth,
    "days": days,
    "datedif": datedif,
    "yearfrac": yearfrac,
    "hour": hour,
    "minute": minute,
    "second": second,
    "time": time_of,
    "weekday": weekday,
    "iserr": iserr,
    "isnontext": isnontext,
    "iseven": iseven,
    "isodd": isodd,
    "xor": logical_xor,
    "substitute": substitute,
    "replace": replace,
    "rept": rept,
    "lookup": lookup,
    "exact": exact,
    "find": find,
    "search": search,
    "concat_ranges": concat_ranges,
}
