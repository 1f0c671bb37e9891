"""How the compiled engine holds Excel values in float64 arrays.

Every cell value is one float64, so a whole column over many scenarios is one
numpy array:

* a number is itself (finite);
* an Excel error is a quiet NaN whose payload is the error's code
  (:data:`ERROR_CODES`): ``#DIV/0!``, ``#NUM!``, ``#VALUE!``, ``#N/A``,
  ``#REF!``, ``#NAME?`` and ``#NULL!`` stay distinct through arithmetic,
  because IEEE 754 hardware passes a NaN operand's payload on to the result;
* a text is a quiet NaN whose payload is ``TEXT_TAG`` plus the text's number
  in a table of interned strings (:func:`text`, :func:`text_of`);
* a boolean (Excel's TRUE and FALSE, a type of their own) is a quiet NaN
  whose payload is ``BOOL_TAG`` plus 1 or 0 (:data:`TRUE`, :data:`FALSE`,
  :func:`boolean`); being NaN, it never passes a finite-only fast path, and
  every operation that reads it as a number goes through
  :func:`pysie.recalc.compiled.functions.num` (TRUE is 1, FALSE 0);
* a NaN without a payload (``inf - inf``, ``sqrt(-1)`` inside numpy) and an
  infinity (an overflow) read as ``#NUM!``, as Excel reports overflow.

An empty cell is 0 in its column (what arithmetic reads); functions over
ranges are told which cells are empty by a separate mask.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray

#: Excel's error values and the payload each carries.
ERROR_CODES: dict[str, int] = {
    "#NULL!": 1,
    "#DIV/0!": 2,
    "#VALUE!": 3,
    "#REF!": 4,
    "#NAME?": 5,
    "#NUM!": 6,
    "#N/A": 7,
}
ERROR_NAMES: dict[int, str] = {code: name for name, code in ERROR_CODES.items()}

_QUIET_NAN = 0x7FF8_0000_0000_0000
_PAYLOAD = 0x0007_FFFF_FFFF_FFFF
TEXT_TAG = 1 << 40
#: The payload of FALSE; TRUE's is one more. Below TEXT_TAG, above every error code.
BOOL_TAG = 1 << 39


_DOUBLE, _UINT64 = struct.Struct("<d"), struct.Struct("<Q")


def bits(x: float) -> int:
    """The 64 bits of the float ``x`` (no array work: for a value at a time)."""
    return int(_UINT64.unpack(_DOUBLE.pack(x))[0])


def _nan_with(payload: int) -> float:
    return float(np.array([_QUIET_NAN | payload], dtype=np.uint64).view(np.float64)[0])


def error(name: str) -> float:
    """The float that holds the error ``name`` (``'#N/A'``)."""
    return _nan_with(ERROR_CODES[name])


NULL, DIV0, VALUE, REF, NAME, NUM, NA = (error(n) for n in ERROR_CODES)

#: Excel's TRUE and FALSE.
TRUE, FALSE = _nan_with(BOOL_TAG + 1), _nan_with(BOOL_TAG)


def boolean(value: bool) -> float:
    """The float that holds the boolean ``value``."""
    return TRUE if value else FALSE


def booleans(mask: Array) -> Array:
    """TRUE where ``mask`` holds, FALSE elsewhere (an array of booleans)."""
    return np.where(mask, TRUE, FALSE)


_strings: list[str] = []
_string_ids: dict[str, int] = {}


def text(value: str) -> float:
    """The float that holds the text ``value`` (interned once per process)."""
    i = _string_ids.get(value)
    if i is None:
        i = _string_ids[value] = len(_strings)
        _strings.append(value)
    return _nan_with(TEXT_TAG + i)


def payloads(x: Array) -> Array:
    """The NaN payload bits of every element (meaningless where finite)."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    return (a.view(np.uint64) & np.uint64(_PAYLOAD)).reshape(np.shape(x))


def _tagged(x: Array, test: Callable[[Array], Array]) -> Array:
    """Where ``x`` is a NaN whose payload passes ``test`` (all False, no payload read, when
    nothing is NaN: the common case of plain numbers)."""
    x = np.asarray(x, dtype=float)
    nan = np.isnan(x)
    if not nan.any():
        return nan
    return nan & test(payloads(x))


def is_text(x: Array) -> Array:
    return _tagged(x, lambda p: p >= TEXT_TAG)


def is_bool(x: Array) -> Array:
    """Booleans: NaNs whose payload is ``BOOL_TAG`` or ``BOOL_TAG + 1``."""
    return _tagged(x, lambda p: (p >> np.uint64(1)) == np.uint64(BOOL_TAG >> 1))


def is_boolean(x: float) -> bool:
    """Whether the one value ``x`` is TRUE or FALSE (no array work: for a value at a time)."""
    return x != x and isinstance(decode(x), bool)


def is_value(x: Array) -> Array:
    """Texts and booleans: the non-finite values that are not errors."""
    return _tagged(x, lambda p: p >= BOOL_TAG)


def is_error(x: Array) -> Array:
    """Errors: every non-finite value that is neither a text nor a boolean."""
    x = np.asarray(x, dtype=float)
    bad = ~np.isfinite(x)
    if not bad.any():
        return bad
    return bad & ~is_value(x)


_NO_SIGN = 0x7FFF_FFFF_FFFF_FFFF
_TRUE_BITS, _FALSE_BITS = (bits(b) & _NO_SIGN for b in (TRUE, FALSE))


def truth_of(x: float) -> float:
    """:func:`truth` of one value: TRUE 1.0, FALSE 0.0, any other value as it
    is (:data:`TRUE` and :data:`FALSE` themselves, what the one-scenario
    operations return, by identity; any other by its bits)."""
    if x is TRUE:
        return 1.0
    if x is FALSE:
        return 0.0
    if x == x:
        return x
    b = bits(x) & _NO_SIGN
    return 1.0 if b == _TRUE_BITS else 0.0 if b == _FALSE_BITS else x


def truth(x: Array) -> Array:
    """Booleans as the numbers Excel reads them as (TRUE 1, FALSE 0); every other value as it is."""
    x = np.asarray(x, dtype=float)
    if np.isfinite(x).all():
        return x
    b = is_bool(x)
    if not b.any():
        return x
    return np.where(b, (payloads(x) & np.uint64(1)).astype(float), x)


def error_code(x: float) -> int:
    """The code of the error in ``x`` (non-finite, neither text nor boolean): 6 (#NUM!) for an
    infinity or a payload-free NaN."""
    if math.isinf(x):
        return ERROR_CODES["#NUM!"]
    p = bits(x) & _PAYLOAD
    return p if p in ERROR_NAMES else ERROR_CODES["#NUM!"]


def text_of(x: float) -> str:
    """The text held in ``x`` (a text value)."""
    p = bits(x) & _PAYLOAD
    return _strings[p - TEXT_TAG]


class XlError(str):
    """An Excel error as a Python value (the error's text, e.g. ``'#N/A'``)."""


Plain = float | str | bool | XlError


def decode(x: float) -> Plain:
    """One value as a Python float, str, bool or :class:`XlError`."""
    if math.isfinite(x):
        return x
    if math.isnan(x):
        p = bits(x) & _PAYLOAD
        if p >= TEXT_TAG:
            return _strings[p - TEXT_TAG]
        if p >> 1 == BOOL_TAG >> 1:
            return bool(p & 1)
        if p in ERROR_NAMES:
            return XlError(ERROR_NAMES[p])
    return XlError("#NUM!")


def encode(value: Any) -> float:
    """A Python value (float, bool, str, :class:`XlError`) as a float."""
    if isinstance(value, XlError):
        return error(str(value))
    if isinstance(value, str):
        return text(value)
    if isinstance(value, (bool, np.bool_)):
        return TRUE if value else FALSE
    f = float(value)
    return f if math.isfinite(f) else NUM
