"""Statistical aggregates of the compiled engine, from Excel's function
reference (support.microsoft.com): PRODUCT, SUMSQ, LARGE, SMALL, STDEV(.S),
STDEV.P, VAR(.S), VAR.P, QUARTILE(.INC), COUNTBLANK, MAXIFS and MINIFS.

They read their arguments as SUM does (:func:`pysie.recalc.compiled.functions._numbers`):
a range's numbers (empty cells and texts skipped, an error is the result), a
single argument as a number. With n numbers x_i of mean m::

    VAR.S = sum (x_i - m)^2 / (n - 1)    (#DIV/0! for n < 2)
    VAR.P = sum (x_i - m)^2 / n          (#DIV/0! for n = 0)
    STDEV.S, STDEV.P = their square roots

``LARGE(range, k)`` / ``SMALL(range, k)`` are the k-th largest / smallest
(``#NUM!`` for k outside 1..n); ``QUARTILE(range, q)`` is
``PERCENTILE(range, q / 4)`` for q = 0..4 (truncated), ``#NUM!`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pysie.recalc.compiled.functions import (
    Range,
    _cells,
    _criteria_mask,
    _numbers,
    _quantile,
    _sorted_numbers,
    _with_error,
    num,
)
from pysie.recalc.compiled.values import DIV0, NUM, VALUE, Array, text


def product(*args: Array | Range) -> Array:
    values, ok, err = _numbers(args)
    return _with_error(np.where(ok.any(axis=0), np.where(ok, values, 1.0).prod(axis=0), 0.0), err)


def sumsq(*args: Array | Range) -> Array:
    values, ok, err = _numbers(args)
    return _with_error(np.where(ok, values * values, 0.0).sum(axis=0), err)


def _variance(sample: bool) -> Callable[..., Array]:
    def variance(*args: Array | Range) -> Array:
        values, ok, err = _numbers(args)
        n = ok.sum(axis=0)
        mean = np.where(ok, values, 0.0).sum(axis=0) / np.maximum(n, 1)
        squares = np.where(ok, (values - mean) ** 2, 0.0).sum(axis=0)
        dof = n - 1 if sample else n
        return _with_error(np.where(dof < 1, DIV0, squares / np.maximum(dof, 1)), err)

    return variance


var_s = _variance(True)
var_p = _variance(False)


def _root(variance: Callable[..., Array]) -> Callable[..., Array]:
    def deviation(*args: Array | Range) -> Array:
        v = variance(*args)
        return np.where(np.isfinite(v), np.sqrt(np.where(np.isfinite(v), v, 0.0)), v)

    return deviation


stdev_s = _root(var_s)
stdev_p = _root(var_p)


def _kth(largest: bool) -> Callable[[Range, Array], Array]:
    def kth(rng: Range, k: Array) -> Array:
        ordered, n, err = _sorted_numbers([rng])  # ascending, non-numbers as +inf at the end
        k = num(np.asarray(k, dtype=float))
        ki = np.ceil(np.where(np.isfinite(k), k, 0.0)).astype(int)
        bad = ~np.isfinite(k) | (ki < 1) | (ki > n)
        index = np.where(bad, 0, n - ki if largest else ki - 1)
        picked = np.take_along_axis(ordered, np.broadcast_to(index, n.shape)[None], axis=0)[0]
        return _with_error(np.where(bad, np.where(np.isnan(k), k, NUM), picked), err)

    return kth


large = _kth(True)
small = _kth(False)


def quartile(rng: Range, q: Array) -> Array:
    ordered, n, err = _sorted_numbers([rng])
    q = num(np.asarray(q, dtype=float))
    qi = np.trunc(np.where(np.isfinite(q), q, -1.0))
    bad = ~np.isfinite(q) | (qi < 0) | (qi > 4) | (n == 0)
    r = _quantile(ordered, n, np.where(bad, 0.0, qi / 4))
    return _with_error(np.where(bad, np.where(np.isnan(q), q, NUM), r), err)


def countblank(rng: Range) -> Array:
    """Empty cells and cells holding the empty text."""
    values, empty = _cells(rng)
    bits = np.ascontiguousarray(values, dtype=float).view(np.uint64)
    blank = empty[:, None] | (bits == _EMPTY_TEXT)
    return blank.sum(axis=0).astype(float)


_EMPTY_TEXT = np.array([text("")]).view(np.uint64)[0]


def _extreme_ifs(pick: Callable[..., Array]) -> Callable[..., Array]:
    def extreme(target: Range, *args: Any) -> Array:
        mask, err = _criteria_mask(list(zip(args[0::2], args[1::2], strict=False)))
        values, empty = _cells(target)
        if values.shape[0] != mask.shape[0]:
            return np.array(VALUE)
        use = mask & ~empty[:, None] & np.isfinite(values)
        fill = np.inf if pick is np.min else -np.inf
        r = np.where(use.any(axis=0), pick(np.where(use, values, fill), axis=0), 0.0)
        return r if err is None else _with_error(r, err)

    return extreme


maxifs = _extreme_ifs(np.max)
minifs = _extreme_ifs(np.min)

#: Excel name -> (implementation, fewest and most arguments, argument kinds).
STAT_FUNCTIONS: dict[str, tuple[Callable[..., Array], int, int, tuple[str, str]]] = {
    "PRODUCT": (product, 1, 255, ("", "a")),
    "SUMSQ": (sumsq, 1, 255, ("", "a")),
    "VAR": (var_s, 1, 255, ("", "a")),
    "VAR.S": (var_s, 1, 255, ("", "a")),
    "VAR.P": (var_p, 1, 255, ("", "a")),
    "VARP": (var_p, 1, 255, ("", "a")),
    "STDEV": (stdev_s, 1, 255, ("", "a")),
    "STDEV.S": (stdev_s, 1, 255, ("", "a")),
    "STDEV.P": (stdev_p, 1, 255, ("", "a")),
    "STDEVP": (stdev_p, 1, 255, ("", "a")),
    "LARGE": (large, 2, 2, ("rv", "")),
    "SMALL": (small, 2, 2, ("rv", "")),
    "QUARTILE": (quartile, 2, 2, ("rv", "")),
    "QUARTILE.INC": (quartile, 2, 2, ("rv", "")),
    "COUNTBLANK": (countblank, 1, 1, ("r", "")),
    "MAXIFS": (maxifs, 3, 255, ("r", "rv")),
    "MINIFS": (minifs, 3, 255, ("r", "rv")),
}
