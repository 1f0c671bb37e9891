"""Whole-day forward-Euler day count of a milestone phase, as spreadsheet formulas.

The AI 2027 takeoff forecast's public simulation (AI Futures Project, April
2025, ``takeoff/forecasting_takeoff.py``, ``run_phase_simulation``) steps each
phase one calendar day at a time at the start-of-day speed, in days of
progress (a gap of G years is 365 G days):

    p_0 = 0,   p_{k+1} = p_k + v_A r^(p_k / G_d),   r = v_B / v_A,

and the phase lasts n = min{k : p_k >= G_d} days (0 when G_d = 0; the
simulation stops counting above 365000 days and returns 365000).

Change variable to the step size in u = ln(v / v_A): w_k = c r^(p_k / G_d)
with c = v_A ln r / G_d. The recursion becomes the map w -> w e^w from
w_0 = c, and n = min{k : w_k >= c r}. The map has no closed-form iterate, but
its Abel function (Fatou coordinate) K, with K(f(s)) = K(s) - 1 for the same
map in s = 1/w (s -> s e^(-1/s)), has the asymptotic series

    K(s) = s + ln(s) / 2 + 1/(6 s) - 1/(16 s^2) + 19/(540 s^3) - 1/(48 s^4)
           + 41/(4200 s^5) - 37/(103680 s^6) - 18349/(3175200 s^7) + ...

(pysie's derivation: substitute the series into the Abel equation and match
powers of 1/s). It is accurate to about 1e-8 for s >= 6 and useless near
s = 1, where the last days of a phase with a large step fall. So the count is
done in two parts:

1. k* = INT(K(s_0) - K(max(6, s_end))) days are counted with K, where
   s_0 = G_d / (v_A ln r) and s_end = s_0 / r; the state after them, s_k*,
   solves K(s) = K(s_0) - k* (two Newton steps from s = 6 + K(s_0) - K(6) - k*).
2. From w = 1 / s_k* (at least 1/7), ten explicit steps w -> w e^w reach
   past any end point up to w ~ 1e42; each step still below w_end = r / s_0
   counts one more day.

n = k* + #{j < 10 : w_j < w_end}, capped at 365000 (and 365000 when
s_0 - s_end, the continuous day count, is above 400000). The tests check this
against a day-by-day loop written in them and against the public code run on
the same gaps.

Every cell stays small enough to print and to recalculate alike (LibreOffice
agrees with numpy to 1e-12 relative): a gap is counted as at most 1e10 years,
which is past the 365000-day cap whatever the multipliers (the continuous day
count 365 G (1/v_A - 1/v_B) / ln(v_B / v_A) is at least 365 G / v_B, and
v_B <= 1e6), as the SIAR->ASI gap itself is capped at e^690 years; and a step
size is held at w_end once it reaches it (the count only asks whether
w_j < w_end, and steps only grow), so no cell holds the doubly exponential
w e^w of the steps past the end (about 1e182 in a day, where one rounding of
w is multiplied by w ~ 400).
"""

from __future__ import annotations

from typing import Any

from pysie.dates import LAST_EXCEL_DATE
from pysie.expr import Expr, and_, eq, exp, ge, gt, if_, int_, le, ln, lt, max_, min_, or_

#: Coefficients b_j of 1/s^j in K(s) (j = 1..7).
ABEL_COEFFICIENTS = (1 / 6, -1 / 16, 19 / 540, -1 / 48, 41 / 4200, -37 / 103680, -18349 / 3175200)
#: Below this s the series is not used: the last steps are taken one at a time.
SERIES_FROM = 6.0
#: Explicit steps after the counted ones: from w = 1/7 the tenth step is past 1e42.
EXPLICIT_STEPS = 10
#: The public code's cap on a phase (``MAX_CALENDAR_DAYS = 365 * 1000``).
MAX_PHASE_DAYS = 365000
#: Above this continuous day count the phase is at the cap without counting.
COUNT_UP_TO = 400000.0
#: Days per year of the public code (gaps in years times 365).
REFERENCE_DAYS_PER_YEAR = 365
#: Largest whole number of days pandas 2.2's Timedelta holds (2^63 - 1 ns);
#: a longer phase overflows and the code dates it 9999-12-31.
MAX_TIMEDELTA_DAYS = 106751
#: Excel serial of 9999-01-01: a milestone in year 9999 holds every later one at its date.
YEAR_9999 = 2958101
#: Above this w the next step is written as 1e300 instead of overflowing.
W_CAP = 600.0
#: Longest gap counted (years): past the 365000-day cap whatever the multipliers (see the module docstring).
GAP_CAP = 1e10


def _series(x: Any, coefficients: tuple[float, ...]) -> Any:
    """sum_j a_j x^j (j from 1), by Horner's rule."""
    value: Any = coefficients[-1]
    for a in reversed(coefficients[:-1]):
        value = a + x * value
    return x * value


def abel_difference(s: Any, t: Any) -> Any:
    """K(s) - K(t) = (s - t) + ln(s/t)/2 + sum b_j (s^-j - t^-j)."""
    return (s - t) + 0.5 * ln(s / t) + _series(1.0 / s, ABEL_COEFFICIENTS) - _series(1.0 / t, ABEL_COEFFICIENTS)


def abel_slope(s: Any) -> Any:
    """K'(s) = 1 + 1/(2s) - sum j b_j s^-(j+1)."""
    x = 1.0 / s
    weighted = tuple(-(j + 1) * b for j, b in enumerate(ABEL_COEFFICIENTS))
    return 1.0 + 0.5 * x + x * _series(x, weighted)


def step(w: Any) -> Any:
    """One day in the step-size variable: w e^w (1e300 once w is above 600)."""
    bounded = min_(w, W_CAP)
    return if_(gt(w, W_CAP), 1e300, bounded * exp(bounded))


def scale(gap_years: Any, v_from: Any, v_to: Any) -> Any:
    """s_0 = 365 G / (v_A ln(v_B / v_A)) with G at most 1e10 years (:data:`GAP_CAP`);
    0 for a zero gap or a multiplier that does not rise."""
    rises = gt(v_to, v_from)
    log_ratio = ln(if_(rises, v_to, 2.0 * v_from) / v_from)
    counted = REFERENCE_DAYS_PER_YEAR * min_(gap_years, GAP_CAP)
    return if_(and_(gt(gap_years, 0), rises), counted / (v_from * log_ratio), 0)


def _continuous_days(s0: Any, ratio: Any) -> Any:
    return s0 - s0 / ratio


def skipped_days(s0: Any, ratio: Any) -> Any:
    """k* = INT(K(s_0) - K(max(6, s_end))), 0 when s_0 is 0 or the phase is at the cap."""
    safe = if_(gt(s0, 0), s0, 1.0)
    counted = max_(0, int_(abel_difference(safe, max_(SERIES_FROM, safe / ratio))))
    return if_(or_(eq(s0, 0), gt(_continuous_days(s0, ratio), COUNT_UP_TO)), 0, counted)


def newton_start(s0: Any, skipped: Any) -> Any:
    """s solving K(s) = K(s_0) - k*, first Newton step from 6 + K(s_0) - K(6) - k*;
    s_0 itself when nothing is skipped (1 when s_0 is 0, unused)."""
    safe = if_(gt(s0, 0), s0, 1.0)
    guess = SERIES_FROM + abel_difference(safe, SERIES_FROM) - skipped
    return if_(eq(skipped, 0), safe, _newton(guess, safe, skipped))


def newton_again(s: Any, s0: Any, skipped: Any) -> Any:
    """The second Newton step (s unchanged when nothing is skipped)."""
    safe = if_(gt(s0, 0), s0, 1.0)
    return if_(eq(skipped, 0), s, _newton(s, safe, skipped))


def _newton(s: Any, s0: Any, skipped: Any) -> Any:
    return s - (abel_difference(s, s0) + skipped) / abel_slope(s)


def step_end(s0: Any, ratio: Any) -> Any:
    """w_end = r / s_0, where the phase ends (r when s_0 is 0, unused)."""
    return ratio / if_(gt(s0, 0), s0, 1.0)


def two_steps(w: Any, end: Any) -> Any:
    """w after two days, step(step(w)), held at ``end`` = w_end once it gets there."""
    return min_(step(step(w)), end)


def phase_days(gap_years: Any, v_from: Any, s0: Any, ratio: Any, skipped: Any, evens: tuple[Expr, ...]) -> Any:
    """n = k* + #{j < 10 : w_j < r / s_0}, with w_0, w_2, ... w_8 given (odd ones are one step on;
    an even one may be held at w_end, :func:`two_steps`);
    0 for a zero gap, 1 when the first day's v_A days of progress cover the gap (365 G <= v_A,
    decided exactly rather than by rounding at the tie), capped at 365000."""
    if len(evens) * 2 != EXPLICIT_STEPS:
        raise ValueError(f"phase_days needs {EXPLICIT_STEPS // 2} even steps, got {len(evens)}")
    end = step_end(s0, ratio)
    count: Any = skipped
    for w in evens:
        count = count + if_(lt(w, end), 1, 0) + if_(lt(step(w), end), 1, 0)
    capped = if_(gt(_continuous_days(s0, ratio), COUNT_UP_TO), MAX_PHASE_DAYS, min_(count, MAX_PHASE_DAYS))
    one_day = if_(le(REFERENCE_DAYS_PER_YEAR * gap_years, v_from), 1, capped)
    return if_(eq(s0, 0), 0, one_day)


def milestone_date(previous: Any, days: Any, hold_in_9999: bool) -> Any:
    """The public code's date: previous + days, 9999-12-31 when the phase overflows
    pandas' Timedelta (over 106751 days) or the date passes 9999-12-31; a milestone
    in year 9999 holds the later ones at its date (``hold_in_9999``)."""
    moved = if_(gt(days, MAX_TIMEDELTA_DAYS), LAST_EXCEL_DATE, min_(previous + days, LAST_EXCEL_DATE))
    return if_(ge(previous, YEAR_9999), previous, moved) if hold_in_9999 else moved
