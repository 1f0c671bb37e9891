"""Trigonometry and base conversion for the compiled engine, from Excel's
function reference (support.microsoft.com): SIN ... ATANH, DEGREES, RADIANS
and DEC2BIN ... HEX2OCT.

Trigonometry follows the operators' rules (:mod:`pysie.recalc.compiled.functions`):
an argument outside the function's domain is ``#NUM!`` (ASIN of 2, ACOSH of 0),
``ATAN2(0, 0)`` is ``#DIV/0!`` and an overflow (SINH of 1000) ``#NUM!``.

Base conversion, as Excel documents it: a binary, octal or hexadecimal number
is a text of at most 10 digits, the top bit of a 10-digit number its sign
(two's complement: ``DEC2BIN(-1)`` is ``1111111111``); each base has its
range (binary -512..511, octal -2^29..2^29-1, hexadecimal -2^39..2^39-1),
outside which the result is ``#NUM!``, as is a digit the base does not have.
``places`` (1 to 10) pads a non-negative result with zeros (``#NUM!`` when the
result is longer or ``places`` is outside 1..10, ``#VALUE!`` when it is not a
number); a negative result ignores a valid ``places``. An empty text is a
number's digits (``BIN2DEC("")`` is 0) but not a decimal (``DEC2BIN("")`` is
``#VALUE!``), as Excel gives them.
A number given where a digit text is expected is read as its digits
(``BIN2DEC(1100100)`` is 100).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pysie.recalc.compiled.functions import _display, _elementwise, _guard, num
from pysie.recalc.compiled.values import DIV0, NUM, Array, XlError

# --- trigonometry -------------------------------------------------------------------


def _unary(
    fn: Callable[[Array], Array], lo: float = -math.inf, hi: float = math.inf, open_ends: bool = False
) -> Callable[[Array], Array]:
    """``fn`` with arguments outside [lo, hi] (or (lo, hi) with ``open_ends``) ``#NUM!`` (errors pass)."""

    def apply(a: Array) -> Array:
        a = np.asarray(a, dtype=float)
        outside = ((a <= lo) | (a >= hi)) if open_ends else ((a < lo) | (a > hi))
        with np.errstate(all="ignore"):
            r = fn(np.where(outside, 0.0, a))
        return _guard(np.where(outside, NUM, r), a)

    return apply


sin = _unary(np.sin)
cos = _unary(np.cos)
tan = _unary(np.tan)
asin = _unary(np.arcsin, -1.0, 1.0)
acos = _unary(np.arccos, -1.0, 1.0)
atan = _unary(np.arctan)
sinh = _unary(np.sinh)
cosh = _unary(np.cosh)
tanh = _unary(np.tanh)
asinh = _unary(np.arcsinh)
acosh = _unary(np.arccosh, 1.0)
atanh = _unary(np.arctanh, -1.0, 1.0, open_ends=True)
degrees = _unary(np.degrees)
radians = _unary(np.radians)


def atan2(x: Array, y: Array) -> Array:
    """``ATAN2(x_num, y_num)``: the angle of the point (x, y), atan2(y, x) in
    numpy's order; the origin is ``#DIV/0!``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    origin = (x == 0) & (y == 0)
    return _guard(np.where(origin, DIV0, np.arctan2(y, x)), x, y)


# --- base conversion ------------------------------------------------------------------

_DIGITS = "0123456789ABCDEF"
#: base -> the largest magnitude of its 10-digit two's complement numbers (2^(10 bits - 1))
_HALF = {2: 2**9, 8: 2**29, 16: 2**39}


def _places(places: float | str | None) -> int | XlError | None:
    """The number of digits asked for: 1 to 10 (truncated), else ``#NUM!``."""
    if places is None:
        return None
    if isinstance(places, str):
        return XlError("#VALUE!")
    p = math.trunc(places)
    return XlError("#NUM!") if p < 1 or p > 10 else p


def _to_base(n: int, base: int, places: float | str | None) -> str | XlError:
    """``n`` as a text in ``base`` (10-digit two's complement when negative)."""
    half = _HALF[base]
    pad = _places(places)
    if not -half <= n < half:
        return XlError("#NUM!")
    if isinstance(pad, XlError):
        return pad
    if n < 0:
        n += 2 * half
        pad = None
    digits = ""
    while True:
        n, d = divmod(n, base)
        digits = _DIGITS[d] + digits
        if n == 0:
            break
    if pad is not None:
        if len(digits) > pad:
            return XlError("#NUM!")
        digits = digits.rjust(pad, "0")
    return digits


def _from_base(digits: float | str, base: int) -> int | XlError:
    """The number a text of at most 10 digits in ``base`` stands for."""
    t = _display(digits).strip().upper() if isinstance(digits, str) else _display(digits)
    if len(t) > 10 or (t and any(c not in _DIGITS[:base] for c in t)):
        return XlError("#NUM!")
    n = int(t, base) if t else 0
    half = _HALF[base]
    return n - 2 * half if len(t) == 10 and n >= half else n


def _from_decimal(base: int) -> Callable[..., Array]:
    def convert(number: Array, places: Array | None = None) -> Array:
        def one(v: float | str, p: float | str | None = None) -> str | XlError:
            pad = _places(p)
            if isinstance(pad, XlError):  # Excel checks places first: DEC2BIN("E", 0) is #NUM!
                return pad
            if isinstance(v, str):
                return XlError("#VALUE!")
            return _to_base(math.trunc(v), base, p)

        args = [num(number)] if places is None else [num(number), num(places)]
        return _elementwise(one, *args)

    return convert


def _to_decimal(base: int) -> Callable[[Array], Array]:
    def convert(number: Array) -> Array:
        def one(v: float | str) -> float | XlError:
            n = _from_base(v, base)
            return n if isinstance(n, XlError) else float(n)

        return _elementwise(one, number)

    return convert


def _between(source: int, target: int) -> Callable[..., Array]:
    def convert(number: Array, places: Array | None = None) -> Array:
        def one(v: float | str, p: float | str | None = None) -> str | XlError:
            n = _from_base(v, source)
            return n if isinstance(n, XlError) else _to_base(n, target, p)

        return _elementwise(one, *([number] if places is None else [number, num(places)]))

    return convert


#: Excel name -> implementation, fewest and most arguments, and whether it gives text.
BASE_FUNCTIONS: dict[str, tuple[Callable[..., Array], int, int, bool]] = {}
for _name, _base in (("BIN", 2), ("OCT", 8), ("HEX", 16)):
    BASE_FUNCTIONS[f"DEC2{_name}"] = (_from_decimal(_base), 1, 2, True)
    BASE_FUNCTIONS[f"{_name}2DEC"] = (_to_decimal(_base), 1, 1, False)
    for _other, _other_base in (("BIN", 2), ("OCT", 8), ("HEX", 16)):
        if _other != _name:
            BASE_FUNCTIONS[f"{_name}2{_other}"] = (_between(_base, _other_base), 1, 2, True)

#: Excel name -> implementation, fewest and most arguments (all numeric).
TRIG_FUNCTIONS: dict[str, tuple[Callable[..., Array], int, int]] = {
    "SIN": (sin, 1, 1),
    "COS": (cos, 1, 1),
    "TAN": (tan, 1, 1),
    "ASIN": (asin, 1, 1),
    "ACOS": (acos, 1, 1),
    "ATAN": (atan, 1, 1),
    "ATAN2": (atan2, 2, 2),
    "SINH": (sinh, 1, 1),
    "COSH": (cosh, 1, 1),
    "TANH": (tanh, 1, 1),
    "ASINH": (asinh, 1, 1),
    "ACOSH": (acosh, 1, 1),
    "ATANH": (atanh, 1, 1),
    "DEGREES": (degrees, 1, 1),
    "RADIANS": (radians, 1, 1),
}
