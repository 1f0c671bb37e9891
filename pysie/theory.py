"""Closed forms for how fast software progress accelerates.

Sources: Tom Davidson, "Will the need to retrain AI models from scratch block
a software intelligence explosion?" (Forethought, March 2025), its
"theoretical analysis" section; Davidson and Houlden, "How quick and big would
a software intelligence explosion be?" (Forethought, 2025).

Law of motion: dS/dt = theta * L^lambda * S^(1 - beta), r = lambda / beta.
Each function accepts numbers, numpy arrays or expressions
(:mod:`pysie.expr`): with expressions it returns the Excel check cell of the
Theory sheet, so the formula is written once. Undefined values (r <= 1,
where progress never accelerates) are NaN, ``#N/A`` in a workbook.
"""

from __future__ import annotations

from typing import Any

from pysie.expr import Expr, abs_, gt, if_, na, power


def _when_accelerating(r: Any, value: Any) -> Any:
    """``value`` where r > 1, else undefined."""
    undefined = na() if isinstance(r, Expr) or isinstance(value, Expr) else float("nan")
    return if_(gt(r, 1.0), value, undefined)


def research_doubling_days(research_returns: Any, initial_doubling_days: Any) -> Any:
    """T_R = D / (2^(1/r) - 1): days for cumulative research to double at day-0
    labour, given software doubles every D days then (S = x^r)."""
    return initial_doubling_days / (power(2.0, 1.0 / research_returns) - 1.0)


def doublings_before_pace_doubles(research_returns: Any, parallelisation: Any = 1.0) -> Any:
    """N = r / (lambda (r - 1)) = 1 / (lambda - beta), for r > 1."""
    r = research_returns
    return _when_accelerating(r, r / (parallelisation * (r - 1.0)))


def doubling_time_exponent(research_returns: Any, parallelisation: Any = 1.0) -> Any:
    """q = lambda (1/r - 1): per software doubling the doubling time is
    multiplied by 2^q (q = -1/N when r > 1)."""
    return parallelisation * (1.0 / research_returns - 1.0)


def retraining_exponent(q: Any) -> Any:
    """q_retrain = q / (1 + |q|), the serial-step rule (N_retrain = N + 1).

    A public simulator writes q / |q + 1| in one path; for -1 < q < 0 that
    would make retraining speed progress up. This is the corrected form.
    """
    return q / (1.0 + abs_(q))


def retraining_slowdown(n_doublings: Any) -> Any:
    """(1 - 2^(-1/N)) / (1 - 2^(-1/(N+1))): how much longer the time to infinity
    is with retraining, in a per-doubling model (about 1.19 for N = 5)."""
    n = n_doublings
    return (1.0 - power(2.0, -1.0 / n)) / (1.0 - power(2.0, -1.0 / (n + 1.0)))


def blow_up_days(research_returns: Any, research_doubling_days_: Any) -> Any:
    """Continuous time without retraining, lambda = 1: dx/dt = x^r / T_R from
    x(0) = 1 blows up at exactly T_R / (r - 1) days."""
    r = research_returns
    return _when_accelerating(r, research_doubling_days_ / (r - 1.0))


def time_to_infinity(first_doubling: Any, q: Any) -> Any:
    """T1 / (1 - 2^q): total time when each doubling takes 2^q times the last."""
    return first_doubling / (1.0 - power(2.0, q))
