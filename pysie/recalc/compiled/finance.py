"""Financial functions of the compiled engine, from Excel's function reference
(support.microsoft.com): PV, FV, PMT, NPV, XNPV, IRR, SLN, DDB and DB.

The annuity functions solve Excel's documented identity, with rate r, nper
periods n, payment p, present value v, future value f and type t (0: payments
at the end of each period, 1: at the start)::

    v (1 + r)^n + p (1 + r t) ((1 + r)^n - 1) / r + f = 0      (r != 0)
    v + p n + f = 0                                             (r = 0)

``NPV(r, v1, v2, ...) = sum_i v_i / (1 + r)^i`` (i from 1, numbers only, as
SUM reads its arguments); ``XNPV(r, values, dates) = sum_i v_i / (1 + r)^((d_i
- d_1) / 365)``; ``IRR`` is the r with ``sum_i v_i / (1 + r)^(i - 1) = 0``,
found by Newton's method from ``guess`` (``#NUM!`` when it does not converge
or the values do not change sign). Depreciation: ``SLN = (cost - salvage) /
life``; ``DDB`` declines the book value by ``factor / life`` a period, never
below the salvage value; ``DB`` declines it by the fixed rate ``1 - (salvage /
cost)^(1 / life)`` rounded to three decimals, the first period prorated to
``month`` months of twelve and the one after the life to the rest. ``VDB``
sums the declining balance from ``start`` to ``end`` (fractional periods
prorated), switching to straight line over the remaining life in the period
where that gives more (unless ``no_switch``), the rule of the OpenDocument
formula standard (ODF 1.2 part 2, VDB); the corpus workbook VDB.xlsx holds
Excel's values for it. With switching and a start that is not a whole period,
Excel's values depart from that rule in a way it does not document, so there
pysie gives ``#NUM!`` rather than a number that may be wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from pysie.recalc.compiled.functions import Range, _cells, _elementwise, _guard, _numbers, _with_error, num
from pysie.recalc.compiled.values import DIV0, NUM, Array, XlError, encode, is_error


def _growth(rate: Array, nper: Array) -> Array:
    with np.errstate(all="ignore"):
        return np.power(1.0 + rate, nper)


def pv(rate: Array, nper: Array, pmt: Array, fv: Array | float = 0.0, kind: Array | float = 0.0) -> Array:
    r, n, p, f, t = (num(np.asarray(a, dtype=float)) for a in (rate, nper, pmt, fv, kind))
    g = _growth(r, n)
    with np.errstate(all="ignore"):
        annuity = np.where(r == 0, n, (g - 1) / np.where(r == 0, 1.0, r))
        v = -(f + p * (1 + r * (t != 0)) * annuity) / g
    return _guard(np.where(r == 0, -(f + p * n), v), r, n, p, f, t)


def fv(rate: Array, nper: Array, pmt: Array, pv_: Array | float = 0.0, kind: Array | float = 0.0) -> Array:
    r, n, p, v, t = (num(np.asarray(a, dtype=float)) for a in (rate, nper, pmt, pv_, kind))
    g = _growth(r, n)
    with np.errstate(all="ignore"):
        annuity = (g - 1) / np.where(r == 0, 1.0, r)
        f = -(v * g + p * (1 + r * (t != 0)) * annuity)
    return _guard(np.where(r == 0, -(v + p * n), f), r, n, p, v, t)


def pmt(rate: Array, nper: Array, pv_: Array, fv_: Array | float = 0.0, kind: Array | float = 0.0) -> Array:
    r, n, v, f, t = (num(np.asarray(a, dtype=float)) for a in (rate, nper, pv_, fv_, kind))
    g = _growth(r, n)
    with np.errstate(all="ignore"):
        level = -(f + v * g) * r / ((1 + r * (t != 0)) * (g - 1))
        flat = np.where(n == 0, NUM, -(v + f) / np.where(n == 0, 1.0, n))
    return _guard(np.where(r == 0, flat, level), r, n, v, f, t)


def npv(rate: Array, *values: Array | Range) -> Array:
    r = num(np.asarray(rate, dtype=float))
    flows, counted, err = _numbers(values)
    # the i-th counted number is discounted i periods, whatever cells lie between
    period = np.cumsum(counted, axis=0)
    with np.errstate(all="ignore"):
        discounted = np.where(counted, flows / np.power(1.0 + r, period), 0.0).sum(axis=0)
    result = np.where(r == -1, DIV0, discounted)
    return _with_error(_guard(result, r), err)


def _pairs(values: Range, dates: Range) -> tuple[Array, Array, Array]:
    v, ve = _cells(values)
    d, de = _cells(dates)
    return np.asarray(v, dtype=float), np.asarray(d, dtype=float), ve | de


def xnpv(rate: Array, values: Range, dates: Range) -> Array:
    v, d, empty = _pairs(values, dates)
    r = num(np.asarray(rate, dtype=float))
    if v.shape != d.shape or empty.any():
        return np.array(encode(XlError("#NUM!")))
    bad = is_error(v).any(axis=0) | is_error(d).any(axis=0) | (r <= -1)
    with np.errstate(all="ignore"):
        total = (v / np.power(1.0 + r, (d - d[:1]) / 365.0)).sum(axis=0)
    return _guard(np.where(bad, NUM, total), r)


def irr(values: Range, guess: Array | float = 0.1) -> Array:
    flows, counted, err = _numbers([values])
    g = num(np.asarray(guess, dtype=float))
    shape = np.broadcast_shapes(flows.shape[1:], np.shape(g))
    out = np.empty(shape)
    flat_g = np.broadcast_to(g, shape).ravel()
    res = out.reshape(-1)
    f2 = flows.reshape(flows.shape[0], -1)
    c2 = counted.reshape(counted.shape[0], -1)
    for s in range(res.size):
        cash = f2[:, s % f2.shape[1]][c2[:, s % c2.shape[1]]]
        res[s] = _irr_one(cash, float(flat_g[s]))
    return _with_error(out, np.broadcast_to(err, shape))


def _irr_one(cash: np.ndarray, guess: float) -> float:
    """Newton's method on NPV(r) = sum_i c_i (1 + r)^-i from ``guess``."""
    if not math.isfinite(guess) or not ((cash > 0).any() and (cash < 0).any()):
        return NUM
    periods = np.arange(cash.size, dtype=float)
    r = guess
    for _ in range(100):
        if r <= -1:
            return NUM
        discount = np.power(1.0 + r, -periods)
        value = float((cash * discount).sum())
        slope = float((-periods * cash * discount / (1.0 + r)).sum())
        if slope == 0 or not math.isfinite(slope):
            return NUM
        step = value / slope
        r -= step
        if abs(step) <= 1e-13 * max(1.0, abs(r)):
            return r
    return NUM


def sln(cost: Array, salvage: Array, life: Array) -> Array:
    c, s, n = (num(np.asarray(a, dtype=float)) for a in (cost, salvage, life))
    return _guard(np.where(n == 0, DIV0, (c - s) / np.where(n == 0, 1.0, n)), c, s, n)


def _per_element(fn: Callable[..., float | XlError]) -> Callable[..., Array]:
    """``fn`` over numbers, each argument read with ``num`` (texts as numbers)."""

    def apply(*args: Array) -> Array:
        return _elementwise(lambda *vs: fn(*vs), *(num(np.asarray(a, dtype=float)) for a in args))

    return apply


def _ddb(cost: float, salvage: float, life: float, period: float, factor: float = 2.0) -> float | XlError:
    if min(cost, salvage, factor) < 0 or life <= 0 or period <= 0 or period > life:
        return XlError("#NUM!")
    book, taken = cost, 0.0
    for _ in range(math.ceil(period)):
        taken = min(book * factor / life, max(book - salvage, 0.0))
        book -= taken
    return taken


def _db(cost: float, salvage: float, life: float, period: float, month: float = 12.0) -> float | XlError:
    life_n, period_n, months = math.trunc(life), math.trunc(period), math.trunc(month)
    if cost < 0 or salvage < 0 or life_n <= 0 or months < 1 or months > 12 or period_n < 1:
        return XlError("#NUM!")
    if period_n > life_n + (0 if months == 12 else 1):
        return XlError("#NUM!")
    if cost == 0:
        return 0.0
    rate = round(1 - (salvage / cost) ** (1 / life_n), 3)
    taken = cost * rate * months / 12
    total = taken
    for p in range(2, period_n + 1):
        taken = (cost - total) * rate * ((12 - months) / 12 if p == life_n + 1 else 1.0)
        total += taken
    return taken


def _declining(cost: float, salvage: float, life: float, period: int, factor: float) -> float:
    """Period ``period``'s declining-balance depreciation at rate ``factor / life``
    (at most 1), never taking the book value below ``salvage``."""
    rate = min(factor / life, 1.0)
    before = cost * (1 - rate) ** (period - 1) if rate < 1 else (cost if period == 1 else 0.0)
    after = cost * (1 - rate) ** period
    return max(before - salvage if after < salvage else before - after, 0.0)


def _switching(cost: float, salvage: float, life: float, remaining: float, period: float, factor: float) -> float:
    """Depreciation over the first ``period`` periods (the last one prorated),
    declining balance until straight line over the ``remaining`` life gives more."""
    total, left, straight, switched = 0.0, cost - salvage, 0.0, False
    last = math.ceil(period)
    for i in range(1, last + 1):
        if not switched:
            declining = _declining(cost, salvage, life, i, factor)
            straight = left / (remaining - (i - 1))
            if straight > declining:
                term, switched = straight, True
            else:
                term = declining
                left -= declining
        else:
            term = straight
        total += term * ((period + 1 - last) if i == last else 1.0)
    return total


def _vdb(
    cost: float, salvage: float, life: float, start: float, end: float, factor: float = 2.0, no_switch: float = 0.0
) -> float | XlError:
    if start < 0 or end < start or end > life or cost < 0 or salvage > cost or factor <= 0 or life <= 0:
        return XlError("#NUM!")
    first, last = math.floor(start), math.ceil(end)
    if no_switch:
        total = 0.0
        for i in range(first + 1, last + 1):
            term = _declining(cost, salvage, life, i, factor)
            if i == first + 1:
                term *= min(end, first + 1) - start
            elif i == last:
                term *= end + 1 - last
            total += term
        return total
    if start != first:
        return XlError("#NUM!")  # see the module docstring: a fractional start with switching
    cost -= _switching(cost, salvage, life, life, start, factor)
    return _switching(cost, salvage, life, life - start, end - start, factor)


ddb = _per_element(_ddb)
db = _per_element(_db)
vdb = _per_element(_vdb)

#: Excel name -> (implementation, fewest and most arguments, argument kinds as in
#: :data:`pysie.recalc.compiled.parse.ARGUMENTS`).
FINANCE_FUNCTIONS: dict[str, tuple[Callable[..., Array], int, int, tuple[str, str]]] = {
    "PV": (pv, 3, 5, ("", "v")),
    "FV": (fv, 3, 5, ("", "v")),
    "PMT": (pmt, 3, 5, ("", "v")),
    "NPV": (npv, 2, 255, ("v", "a")),
    "XNPV": (xnpv, 3, 3, ("vrr", "")),
    "IRR": (irr, 1, 2, ("rv", "")),
    "SLN": (sln, 3, 3, ("", "v")),
    "DDB": (ddb, 4, 5, ("", "v")),
    "DB": (db, 4, 5, ("", "v")),
    "VDB": (vdb, 5, 7, ("", "v")),
}
