"""Software intelligence explosion: how quick and how big (a doubling-by-doubling simulator).

Source: Tom Davidson and Tom Houlden, "How quick and big would a software
intelligence explosion be?", Forethought, August 2025, and its public code
(``thoulden/Accelerated_AI_Progress`` at commit a7b1a79: ``multiple_sims.py``,
the Monte Carlo behind the headline table, and ``single_sim.py``, the single
run), as described in ``shared/models/software_explosion.md``. Time is in months.

Software S doubles again and again; doubling j takes T_j months. With returns
to research r and diminishing returns to parallel labour lambda, the law of
motion S' = R^lambda S^(1 - lambda/r) gives, per doubling,

    T_{j+1} = T_j 2^{q_j} (1 + f_j) / (1 + f_{j+1}),   q_j = lambda (1/r_j - 1),

so r > 1 (q < 0) makes each doubling faster than the last. r falls by
k = r0 / N per doubling and reaches 0 at the ceiling S_max = 2^N, N = (4/s) L
doublings (L years of progress at 4 software doublings a year, software a
share s of progress: 8 doublings a year of progress for s = 0.5). f is the
speed-up of AI research from automation. Compute C = exp((ln 2 / 5) t)
matters only for the gradual boost: f = 0.1 exp(g t), g = ln(f / 0.1) / 60,
while C < 4096, else f.

Rules of the Monte Carlo code (``run_rules`` = 0): T_0 = 3/f (3/1.1 with the
gradual boost); horizon 48 months; while t < 48 and S < S_max and r > 0:
t += T; S *= 2; C *= exp((ln 2/5) T); update f; r -= k; record t; if r > 0:
q = lambda (1/r - 1), the retraining rule, T *= 2^q (1 + f_old)/(1 + f).
Single-run code (``run_rules`` = 1): T_0 = 3/(1 + f); horizon 72 months; a
last partial step dt = min(T, 72 - t) grows S by 2^(dt/T) (clamped at S_max)
and lowers r by k dt/T with k = r0 / (ln S_max / ln 2); C in closed form.

Retraining (``retraining_rule``): 0 none; 1 the appendix and single-run code,
q / (1 + |q|) (software doubles 1/|q| + 1 times before the pace doubles: an
accelerating run slows); 2 the Monte Carlo code, q / |q + 1| (for r > 1 it
makes q more negative: the run speeds up). r = 2, lambda = 0.6: q = -0.3,
rule 1 -0.231, rule 2 -0.429.

Indicators, exactly as the Monte Carlo code counts them: a window of P months
and speed-up m needs K = INT((P/12)(4/s) m) doublings; a run hits if some
i in 0..M-K has t_{i+K} - t_i < P (strict, windows starting at recorded
steps, t_0 = 0 included; a run of fewer than K steps cannot hit).

Where this implementation decides: a doubling time beyond 1e300 months (the
reference code's last step near the ceiling can be inf) is held at 1e300, and
so is compute, so no cell overflows; it is past the horizon either way and never
affects an indicator. Once r <= 0 the run has ended and q holds its last value.
The single-run code's gradual boost (1.1x steps, f from 1 to 32) needs about
930 steps for L = 16, more than the 130 rows of the Steps sheet, and is refused.
The Monte Carlo sheets hold 20 samples of stored uniforms (default_rng(seed));
the headline probabilities come from the solver run over many scenarios of the single-run model :data:`RUN`.

Where the public code departs from itself and from the appendix: first
doubling 3/f (Monte Carlo) vs 3/(1+f) (single run); horizon 48 vs 72 months;
the ceiling clamp (single run only); r lowered per doubling vs per unit of
progress; the retraining formula (above); the gradual boost (0.1 -> f over 60
months vs 1 -> 32 in 1.1x steps; the appendix makes f linear in log compute,
both codes ramp it geometrically in time). Which retraining rule reproduces
the headline table (57%, 41%, 18%, 12%) with the Monte Carlo code's stepping:
100,000 draws from the paper's distributions give 57.2%, 40.1%, 17.4%, 12.3%
with rule 1 (the documented one, this model's default), 56.4%, 40.9%, 16.5%,
12.3% with none, and 57.6%, 41.8%, 19.0%, 14.9% with rule 2, the code's own,
whose 10-years-in-4-months share is outside the error of a 10,000-sample run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from pysie.distributions import LogUniform, Uniform
from pysie.draws import row_numbers, uniform_column
from pysie.expr import (
    Col,
    Const,
    Expr,
    Name,
    abs_,
    and_,
    column_sum,
    eq,
    exp,
    gt,
    if_,
    index,
    int_,
    isnumber,
    le,
    ln,
    log2,
    lt,
    match,
    min_,
    or_,
)
from pysie.spec import (
    Axis,
    Chart,
    Column,
    Model,
    Parameter,
    Scalar,
    Series,
    Table,
    Uncertainty,
    data_column,
    refuse_first,
    value_at,
)

SOURCE = (
    'Tom Davidson and Tom Houlden, "How quick and big would a software intelligence explosion be?", '
    "Forethought, August 2025"
)
CODE = "the paper's public code (thoulden/Accelerated_AI_Progress, commit a7b1a79)"
SPEC = "pysie model spec shared/models/software_explosion.md"

#: Steps (doublings) each run may take: rows 0..MAX_STEPS of the Steps sheet.
MAX_STEPS = 130
ROWS = MAX_STEPS + 1
#: Samples of the workbook's Monte Carlo sheets (each takes ROWS rows of MC steps).
MC_SAMPLES = 20
#: Today's software doubling time, months.
BASE_DOUBLING_MONTHS = 3.0
#: Compute grows 2x every 5 months (C = exp((ln 2 / 5) t)) up to this multiple.
COMPUTE_CAP = 4096.0
COMPUTE_DOUBLING_MONTHS = 5.0
#: Gradual boost (Monte Carlo code): f starts here and would reach the drawn f after BOOST_MONTHS.
BOOST_START = 0.1
BOOST_MONTHS = 60.0
#: Longest doubling time a cell holds (the reference code can reach inf).
DOUBLING_CAP = 1e300
#: Compute a cell holds at most: a 1e300-month last doubling would overflow it;
#: only C < 4096 matters (the gradual boost).
COMPUTE_HELD = 1e300
HORIZONS = (48.0, 72.0)  # months: Monte Carlo code, single-run code

#: (output, window P in months, speed-up m, label, the paper's probability)
INDICATORS = (
    ("hit_3y_in_1y", 12.0, 3.0, ">= 3 years of progress in <= 1 year", 0.57),
    ("hit_3y_in_4m", 4.0, 10.0, ">= 3 years of progress in <= 4 months", 0.41),
    ("hit_10y_in_1y", 12.0, 10.0, ">= 10 years of progress in <= 1 year", 0.18),
    ("hit_10y_in_4m", 4.0, 30.0, ">= 10 years of progress in <= 4 months", 0.12),
)
#: The paper's Monte Carlo distributions (independent draws): the defaults of ``pysie mc``
#: and the ends of the workbook's MC ranges.
PAPER_DISTRIBUTIONS = f"{SOURCE}, Monte Carlo distributions"
DISTRIBUTIONS: dict[str, LogUniform | Uniform] = {
    "initial_speedup": LogUniform(2.0, 32.0, source=PAPER_DISTRIBUTIONS),
    "research_returns": LogUniform(0.4, 3.6, source=PAPER_DISTRIBUTIONS),
    "limit_years": Uniform(6.0, 16.0, source=PAPER_DISTRIBUTIONS),
    "parallel_returns": LogUniform(0.15, 0.6, source=PAPER_DISTRIBUTIONS),
}


def kind_of(dist: LogUniform | Uniform) -> str:
    """How the Docs and Inputs sheets name a range's distribution."""
    return "log-uniform" if isinstance(dist, LogUniform) else "uniform"


RANGE_STEMS = {
    "initial_speedup": "speedup",
    "research_returns": "returns",
    "limit_years": "limit",
    "parallel_returns": "parallel",
}

FIXED = "0.000"
SWITCH: dict[str, Any] = {"lower": 0, "upper": 1, "integer": True}
POSITIVE: dict[str, Any] = {"lower": 0, "lower_open": True}


def _p(name: str, default: float, unit: str, description: str, source: str = SOURCE, **kw: Any) -> Parameter:
    """A parameter; the four the paper samples carry its distribution (``pysie mc``)."""
    return Parameter(name, default, unit, description, source, dist=DISTRIBUTIONS.get(name), **kw)


def _range_parameters() -> tuple[Parameter, ...]:
    units = {
        "initial_speedup": "x",
        "research_returns": "doublings per doubling",
        "limit_years": "years",
        "parallel_returns": "exponent",
    }
    uppers = {"initial_speedup": 1000, "research_returns": 100, "limit_years": 100, "parallel_returns": 1}
    out = []
    for name, dist in DISTRIBUTIONS.items():
        stem, kind = RANGE_STEMS[name], kind_of(dist)
        for end, value in (("low", dist.lo), ("high", dist.hi)):
            out.append(
                _p(
                    f"{stem}_{end}",
                    value,
                    units[name],
                    f"Monte Carlo: {name} is {kind} on [{stem}_low, {stem}_high]; the {end} end",
                    upper=uppers[name],
                    **POSITIVE,
                )
            )
    return tuple(out)


PARAMETERS = (
    _p(
        "initial_speedup",
        8,
        "x",
        "f: speed-up of software R&D at full automation (8: 9x today's pace, first doubling 3/f months)",
        upper=1000,
        symbol="f",
        **POSITIVE,
    ),
    _p(
        "research_returns",
        1.2,
        "doublings per doubling",
        "r: initial returns to software R&D (software doublings per doubling of research input)",
        upper=100,
        symbol="r",
        **POSITIVE,
    ),
    _p(
        "limit_years",
        11,
        "years",
        "L: distance to the effective limits of software, in years of AI progress",
        upper=100,
        symbol="L",
        **POSITIVE,
    ),
    _p(
        "parallel_returns",
        0.3,
        "exponent",
        "lambda (the paper's p): diminishing returns to parallel labour",
        upper=1,
        symbol="lambda",
        **POSITIVE,
    ),
    _p(
        "software_share",
        0.5,
        "fraction",
        "s: share of AI progress from software; a year of progress is 4/s software doublings",
        upper=1,
        symbol="s",
        **POSITIVE,
    ),
    _p(
        "retraining_rule",
        1,
        "code",
        "0 no retraining; 1 q/(1+|q|) (appendix, single-run code); 2 q/|q+1| (Monte Carlo code)",
        f"{SOURCE}; {CODE}",
        lower=0,
        upper=2,
        integer=True,
    ),
    _p(
        "gradual_boost",
        0,
        "switch",
        "1: f ramps from 0.1 as 0.1 exp(g t), g = ln(f/0.1)/60, first doubling 3/1.1 months (Monte Carlo code)",
        CODE,
        **SWITCH,
    ),
    _p("constant_returns", 0, "switch", "1: r stays at its initial value (k = 0)", SOURCE, **SWITCH),
    _p(
        "run_rules",
        0,
        "code",
        "0 the Monte Carlo code's rules (horizon 48 months, first doubling 3/f); 1 the single-run code's (72, 3/(1+f))",
        CODE,
        **SWITCH,
    ),
    *_range_parameters(),
    _p(
        "seed",
        2025,
        "seed",
        "Seed of numpy's default_rng for the stored uniforms of the MC draws sheet",
        SPEC,
        lower=0,
        upper=2**32 - 1,
        integer=True,
        structural=True,
    ),
)

N = {p.name: p.ref for p in PARAMETERS}
SINGLE = eq(N["run_rules"], 1)
BOOST = eq(N["gradual_boost"], 1)
LN2 = Const(math.log(2.0))
#: ln 2 / 5 per month, as the reference code computes it (np.log(2) / 5)
COMPUTE_RATE = Const(math.log(2.0) / COMPUTE_DOUBLING_MONTHS)


def window_doublings(months: Any, speedup: Any, doublings_per_year: Any) -> Any:
    """K = INT((P/12) (4/s) m): whole software doublings a window must hold."""
    return int_((months / 12.0) * doublings_per_year * speedup)


def retrained(q: Any, rule: Any) -> Any:
    """Rule 1: q / (1 + |q|) (documented); rule 2: q / |q + 1| (Monte Carlo code); else q."""
    return if_(eq(rule, 1), q / (1.0 + abs_(q)), if_(eq(rule, 2), q / abs_(q + 1.0), q))


# --- per-run constants (Inputs for the Steps sheet, columns of the MC draws sheet) ---------


def run_constants(ref: Callable[[str], Expr]) -> tuple[tuple[str, Expr, str, str, str], ...]:
    """(name, expression, unit, description, format) of the constants of one run;
    ``ref`` reads a parameter or an earlier constant (a defined name or a column)."""
    f, r0, limit = ref("initial_speedup"), ref("research_returns"), ref("limit_years")
    return (
        (
            "ceiling_doublings",
            Name("doublings_per_year") * limit,
            "doublings",
            "N = (4/s) L: doublings to S_max",
            FIXED,
        ),
        ("ceiling_software", 2.0 ** ref("ceiling_doublings"), "x today", "S_max = 2^N", "0.00E+00"),
        (
            "returns_decrement",
            if_(
                eq(N["constant_returns"], 1),
                0,
                r0 / if_(SINGLE, ln(ref("ceiling_software")) / ln(Const(2.0)), ref("ceiling_doublings")),
            ),
            "per step",
            "k = r0 / N (single-run code: r0 / (LN S_max / LN 2)); 0 with constant_returns",
            "0.000000",
        ),
        ("start_speedup", if_(BOOST, BOOST_START, f), "x", "f at t = 0: f, or 0.1 with the gradual boost", FIXED),
        (
            "boost_rate",
            ln(f / ref("start_speedup")) / BOOST_MONTHS,
            "per month",
            "g = LN(f / f_start) / 60 (0 without the gradual boost)",
            "0.000000",
        ),
        (
            "first_doubling_months",
            if_(or_(SINGLE, BOOST), BASE_DOUBLING_MONTHS / (1.0 + ref("start_speedup")), BASE_DOUBLING_MONTHS / f),
            "months",
            "T_0 = 3/f (Monte Carlo code), 3/(1+f) (single-run code), 3/1.1 (gradual boost)",
            "0.0000",
        ),
    )


PER_RUN = tuple(c[0] for c in run_constants(Name))

GLOBAL_DERIVED = (
    Scalar(
        "doublings_per_year",
        4.0 / N["software_share"],
        "doublings/year",
        "Software doublings per year of progress: 4 / s",
        FIXED,
    ),
    Scalar(
        "horizon_months",
        if_(SINGLE, HORIZONS[1], HORIZONS[0]),
        "months",
        "Simulated horizon: 48 (Monte Carlo code) or 72 (single-run code)",
        "0",
    ),
    *(
        Scalar(
            f"{name}_doublings",
            window_doublings(months, m, Name("doublings_per_year")),
            "doublings",
            f"K of {label}: INT(({months:g}/12) (4/s) {m:g})",
            "0",
        )
        for name, months, m, label, _ in INDICATORS
    ),
)

DERIVED = GLOBAL_DERIVED + tuple(
    Scalar(name, expr, unit, description, fmt) for name, expr, unit, description, fmt in run_constants(Name)
)

# --- one run, a row per doubling ------------------------------------------------------------

t, T, S, r = Col("months"), Col("doubling_months"), Col("software"), Col("returns")
q, f, C, step = Col("exponent"), Col("speedup"), Col("compute"), Col("step")
rec, done, sample = Col("recorded"), Col("steps_done"), Col("sample")


def run_columns(p: Callable[[str], Expr], blocks: bool) -> tuple[Column, ...]:
    """The Steps sheet's columns: row j holds the state after j doublings (time,
    software, returns, exponent, speed-up, compute) and the next doubling time.
    A row whose previous state fails the loop condition t < H, S < S_max, r > 0
    is not a step: it repeats that state. ``p`` reads a run constant; with
    ``blocks`` the table holds one run per block of ROWS rows (step restarts at 0)."""
    horizon, s_max, k = Name("horizon_months"), p("ceiling_software"), p("returns_decrement")
    single, boost = N["run_rules"], N["gradual_boost"]  # 0/1 switches, read as IF conditions
    go = if_(and_(lt(t.prev, horizon), lt(S.prev, s_max), gt(r.prev, 0)), 1, 0)
    dt = Col("step_months")

    def stepped(name: str, init: Expr, new: Expr, unit: str, description: str, fmt: str = "General") -> Column:
        later = if_(rec, new, Col(name).prev)
        return Column(name, init, if_(step, later, init) if blocks else later, unit, description, fmt)

    growth = 2.0**q * (1.0 + f.prev) / (1.0 + f)
    log_next = ln(T.prev) + q * LN2 + ln((1.0 + f.prev) / (1.0 + f))
    next_doubling = if_(lt(log_next, math.log(DOUBLING_CAP)), T.prev * growth, DOUBLING_CAP)
    columns = (
        stepped(
            "months", Const(0), t.prev + dt, "months", "Time t_j since full automation (recorded step times)", FIXED
        ),
        Column(
            "step_months",
            Const(0),
            if_(single, min_(T.prev, horizon - t.prev), T.prev),
            "months",
            "dt: the time this step takes, T_{j-1} (single-run code: MIN(T, horizon - t), a partial last step)",
            "0.000000",
        ),
        Column(
            "step",
            Const(0),
            if_(eq(step.prev, MAX_STEPS), 0, step.prev + 1) if blocks else step.prev + 1,
            "doublings",
            "Row j: the state after j steps",
        ),
        Column(
            "recorded",
            Const(1),
            if_(step, go, 1) if blocks else go,
            "flag",
            "1 when this row is a step (the previous row met t < horizon, S < S_max, r > 0); row 0 is t_0",
        ),
        stepped("steps_done", Const(0), done.prev + 1, "steps", "Steps (doublings) simulated so far"),
        stepped(
            "software",
            Const(1),
            if_(single, min_(S.prev * 2.0 ** (dt / T.prev), s_max), S.prev * 2.0),
            "x today",
            "S_j: doubles each step (single-run code: 2^(dt/T), clamped at S_max)",
            "0.00E+00",
        ),
        Column.every_row(
            "years",
            log2(S) / Name("doublings_per_year"),
            "years",
            "Years of progress: LOG2(S) / (4/s)",
            FIXED,
        ),
        stepped(
            "returns",
            p("research_returns"),
            if_(single, r.prev - k * dt / T.prev, r.prev - k),
            "",
            "r_j: r_{j-1} - k (repeated subtraction; single-run code: - k dt/T)",
            "0.000000",
        ),
        Column(
            "base_exponent",
            p("parallel_returns") * (1.0 / r - 1.0),
            if_(gt(r, 0), p("parallel_returns") * (1.0 / r - 1.0), Col("base_exponent").prev),
            "",
            "q = lambda (1/r - 1); once r <= 0 (the run has ended) it holds its last value, which no step uses",
            "0.000000",
        ),
        Column.every_row(
            "exponent",
            retrained(Col("base_exponent"), N["retraining_rule"]),
            "",
            "q after the retraining rule: T_{j+1} = T_j 2^q (1 + f_old)/(1 + f)",
            "0.000000",
        ),
        stepped(
            "compute",
            Const(1),
            if_(
                single,
                exp(COMPUTE_RATE * t),
                if_(
                    lt(COMPUTE_RATE * T.prev, math.log(COMPUTE_HELD) - ln(C.prev)),
                    C.prev * exp(COMPUTE_RATE * T.prev),
                    COMPUTE_HELD,
                ),
            ),
            "x today",
            "C: times EXP((LN 2/5) T) each step, held at 1e300 (single-run code: EXP((LN 2/5) t))",
            "0.00E+00",
        ),
        Column.every_row(
            "speedup",
            if_(
                boost,
                if_(lt(C, COMPUTE_CAP), p("start_speedup") * exp(p("boost_rate") * t), p("initial_speedup")),
                p("start_speedup"),
            ),
            "x",
            "f: constant, or 0.1 EXP(g t) while C < 4096 with the gradual boost",
            FIXED,
        ),
        stepped(
            "doubling_months",
            p("first_doubling_months"),
            if_(gt(r, 0), next_doubling, T.prev),
            "months",
            "T_j: months the next doubling takes (held at 1e300 instead of overflowing)",
            "0.000000",
        ),
    )
    if not blocks:
        return columns
    return (Column("sample", Const(1), if_(step, sample.prev, sample.prev + 1), "", "Sample"), *columns)


def window_columns(steps: Table, blocks: bool) -> tuple[Column, ...]:
    """Per row i, for each indicator: the run's number (1 on the Steps sheet, the
    sample on MC steps) when the window starting at step i holds K more recorded
    steps within P months (t_{i+K} - t_i < P, strict), else 0. Every row stands
    alone, so the whole table is computed at once."""
    row = Col("row")
    run = Col("sample") if blocks else Const(1)
    out = [
        data_column("row", row_numbers(0), "", "Row of the steps sheet (0-based)"),
        Column.every_row("step", index(steps.range("step"), row + 1), "doublings", "Step i of the run"),
    ]
    if blocks:
        out.append(Column.every_row("sample", index(steps.range("sample"), row + 1), "", "Sample"))
    for name, months, _, label, _ in INDICATORS:
        K = Name(f"{name}_doublings")
        span = index(steps.range("months"), row + 1 + K) - index(steps.range("months"), row + 1)
        ends = index(steps.range("recorded"), row + 1 + K)
        hit = if_(le(Col("step") + K, MAX_STEPS), if_(eq(ends, 1), if_(lt(span, months), run, 0), 0), 0)
        out.append(
            Column.every_row(
                name,
                hit,
                "run",
                f"{label}: the run's number when t_(i+K) - t_i < {months:g} months from this step, else 0",
            )
        )
    return tuple(out)


def any_window(windows: Table, name: str, run: Any) -> Expr:
    """1 when some row of ``windows`` marks run ``run`` for indicator ``name``."""
    return if_(isnumber(match(run, windows.range(name))), 1, 0)


STEPS = Table(
    "steps",
    "Steps",
    "One run, a row per doubling; rows after the run ends repeat its last state.",
    run_columns(lambda name: Name(name), blocks=False),
    rows_from=ROWS,
)
WINDOWS = Table(
    "windows",
    "Windows",
    "The window rule on the Steps sheet: K recorded doublings within P months, windows starting at steps.",
    window_columns(STEPS, blocks=False),
    rows_from=ROWS,
)

LAST = ROWS  # 1-based position of the last row


def run_outputs(steps: Table, windows: Table, last: Any, run: Any, prefix: str = "") -> tuple[tuple[str, Expr], ...]:
    """(name, expression) of one run's results: its state at its last row and
    whether any window of the run hits."""
    return (
        (f"{prefix}years_of_progress", index(steps.range("years"), last)),
        (f"{prefix}steps", index(steps.range("steps_done"), last)),
        (f"{prefix}months_simulated", index(steps.range("months"), last)),
        *((f"{prefix}{name}", any_window(windows, name, run)) for name, *_ in INDICATORS),
    )


_DESCRIPTIONS = {
    "years_of_progress": ("years", "Years of progress reached by the end of the run: LOG2(S) / (4/s)", FIXED),
    "steps": ("doublings", "Steps (doublings) simulated", "0"),
    "months_simulated": (
        "months",
        "Time of the last step (may pass the horizon; 1e300: the last doubling never ends)",
        FIXED,
    ),
    **{
        name: ("flag", f"1 when the run has {label} (window rule of the Monte Carlo code)", "0")
        for name, _, _, label, _ in INDICATORS
    },
}

_LABELS = {
    "years_of_progress": "years of progress",
    "steps": "steps (doublings)",
    "months_simulated": "months simulated",
    **{name: label for name, _, _, label, _ in INDICATORS},
}


def _run_output(name: str, expr: Expr) -> Scalar:
    """An output of one run, as reports show it (indicators and steps are whole numbers)."""
    kind = "number" if name in ("years_of_progress", "months_simulated") else "integer"
    place = (name,) if name in ("years_of_progress", "steps", "months_simulated") else ("indicators", name)
    return Scalar(name, expr, *_DESCRIPTIONS[name], label=_LABELS[name], kind=kind, report_as=place)


RUN_OUTPUTS = tuple(_run_output(name, expr) for name, expr in run_outputs(STEPS, WINDOWS, LAST, 1))

CHECKS = (
    Scalar(
        "stopped_within_sheet",
        if_(lt(index(STEPS.range("steps_done"), LAST), MAX_STEPS), 1, 0),
        "flag",
        "1 when the run ended before the last row of the Steps sheet (the sheet holds the whole run)",
    ),
    Scalar(
        "documented_retraining_example",
        retrained(0.6 * (1.0 / Const(2.0) - 1.0), 1),
        "",
        "r = 2, lambda = 0.6: q = -0.3 -> q/(1+|q|) = -0.231 (slows an accelerating run)",
        "0.000",
    ),
    Scalar(
        "code_retraining_example",
        retrained(0.6 * (1.0 / Const(2.0) - 1.0), 2),
        "",
        "r = 2, lambda = 0.6: q = -0.3 -> q/|q+1| = -0.429 (speeds it up)",
        "0.000",
    ),
)

# --- the Monte Carlo sheets -----------------------------------------------------------------

UNIFORMS = tuple(f"u_{RANGE_STEMS[name]}" for name in DISTRIBUTIONS)


def draw(kind: str, u: Any, low: Any, high: Any) -> Any:
    """Inverse CDF: log-uniform EXP(LN lo + u (LN hi - LN lo)), uniform lo + u (hi - lo)."""
    if kind == "log-uniform":
        return exp(ln(low) + u * (ln(high) - ln(low)))
    return low + u * (high - low)


def _draw_columns() -> tuple[Column, ...]:
    out: list[Column] = [data_column("sample", row_numbers(1), "", "Sample number")]
    for j, u in enumerate(UNIFORMS):
        out.append(
            data_column(
                u,
                uniform_column(j, len(UNIFORMS)),
                "",
                f"Stored uniform of default_rng(seed), column {j + 1}",
                "0.000000",
            )
        )
    for name, dist in DISTRIBUTIONS.items():
        stem, kind = RANGE_STEMS[name], kind_of(dist)
        value = draw(kind, Col(f"u_{stem}"), N[f"{stem}_low"], N[f"{stem}_high"])
        unit = next(p.unit for p in PARAMETERS if p.name == name)
        out.append(Column.every_row(name, value, unit, f"{name}: {kind} on [{stem}_low, {stem}_high]", "0.0000"))
    for name, expr, unit, description, fmt in run_constants(Col):
        out.append(Column.every_row(name, expr, unit, description, fmt))
    return tuple(out)


MC_DRAWS = Table(
    "mc_draws",
    "MC draws",
    "Monte Carlo: one row per sample; uniforms are stored values from default_rng(seed), the rest are formulas.",
    _draw_columns(),
    rows_from=MC_SAMPLES,
)


def _per_sample(name: str) -> Expr:
    return index(MC_DRAWS.range(name), sample) if name in PER_RUN or name in DISTRIBUTIONS else Name(name)


MC_STEPS = Table(
    "mc_steps",
    "MC steps",
    f"Each sample's run, a block of {ROWS} rows (steps 0..{MAX_STEPS}); the same rules as the Steps sheet.",
    run_columns(_per_sample, blocks=True),
    rows_from=MC_SAMPLES * ROWS,
)
MC_WINDOWS = Table(
    "mc_windows",
    "MC windows",
    "The window rule on each sample's block of the MC steps sheet.",
    window_columns(MC_STEPS, blocks=True),
    rows_from=MC_SAMPLES * ROWS,
)
_last = Col("last_row")
MC_RESULTS = Table(
    "mc_results",
    "MC results",
    "Each sample's results, read at the last row of its block.",
    (
        data_column("sample", row_numbers(1), "", "Sample number"),
        Column.every_row("last_row", Col("sample") * ROWS, "", f"Last row of the sample's block: sample x {ROWS}"),
        *(
            Column.every_row(name.removeprefix("mc_"), expr, *_DESCRIPTIONS[name.removeprefix("mc_")])
            for name, expr in run_outputs(MC_STEPS, MC_WINDOWS, _last, Col("sample"), "mc_")
        ),
    ),
    rows_from=MC_SAMPLES,
)

MC_OUTPUTS = tuple(
    Scalar(
        f"probability_{name.removeprefix('hit_')}",
        column_sum(MC_RESULTS.range(name)) / MC_SAMPLES,
        "probability",
        f"Share of the {MC_SAMPLES} samples with {label} (the paper, from many more samples: {paper:.0%})",
        "0.0%",
        label=f"P({label}), {MC_SAMPLES} samples (paper {paper:.0%})",
        group="workbook Monte Carlo",
        report_as=("monte_carlo", f"probability_{name.removeprefix('hit_')}"),
    )
    for name, _, _, label, paper in INDICATORS
)


def check_values(values: Mapping[str, Any]) -> None:
    """Ranges need low <= high; every run must fit the Steps sheet; the single-run
    code's gradual boost (1.1x steps) does not (in every scenario)."""

    def v(name: str) -> np.ndarray:
        return np.asarray(values[name], dtype=float)

    for name in DISTRIBUTIONS:
        low, high = f"{RANGE_STEMS[name]}_low", f"{RANGE_STEMS[name]}_high"

        def reversed_range(i: int, low: str = low, high: str = high) -> str:
            return (
                f"{low}: {value_at(values, low, i):g} is above {high} = {value_at(values, high, i):g}; "
                "a range needs low <= high"
            )

        refuse_first(v(low) > v(high), reversed_range)
    refuse_first(
        (v("gradual_boost") == 1) & (v("run_rules") == 1),
        lambda i: (
            "gradual_boost: the single-run code's gradual boost takes 1.1x steps (about 930 for L = 16), "
            f"more than the {MAX_STEPS} rows of the Steps sheet; use run_rules = 0"
        ),
    )

    def too_many_steps(i: int, name: str) -> str:
        share, years = value_at(values, "software_share", i), value_at(values, name, i)
        doublings = 4.0 / share * years
        return (
            f"{name}: {years:g} years at software_share {share:g} is {doublings:g} doublings to the ceiling; "
            f"a run may take {math.ceil(doublings) + 1} steps, the Steps sheet holds {MAX_STEPS} "
            f"((4/s) L must be at most {MAX_STEPS - 1})"
        )

    for name in ("limit_years", "limit_high"):
        steps = np.ceil(4.0 / v("software_share") * v(name)) + 1
        refuse_first(steps > MAX_STEPS, functools.partial(too_many_steps, name=name))


PRESETS = {
    "paper": {},
    "no-retraining": {"retraining_rule": 0},
    "code-retraining": {"retraining_rule": 2},
    "single-run-code": {"run_rules": 1},
}

_COMMON = dict(
    summary=__doc__ or "",
    sources=(SOURCE, "Rules and options: " + SPEC, "Reference code: " + CODE),
    parameters=PARAMETERS,
    derived=DERIVED,
    presets=PRESETS,
    check_values=check_values,
)

#: One run only (Steps and Windows): solve it with arrays of parameters for a Monte Carlo.
RUN = Model(
    name="software-explosion-run",
    title="Software intelligence explosion: one run",
    tables=(STEPS, WINDOWS),
    outputs=RUN_OUTPUTS,
    checks=CHECKS,
    uncertainty=Uncertainty(),
    **_COMMON,  # type: ignore[arg-type]
).validate()

MODEL = Model(
    name="software-explosion",
    title="Software intelligence explosion: how quick and how big (Davidson and Houlden)",
    tables=(STEPS, WINDOWS, MC_DRAWS, MC_STEPS, MC_WINDOWS, MC_RESULTS),
    outputs=RUN_OUTPUTS + MC_OUTPUTS,
    checks=CHECKS,
    charts=(
        Chart(
            "Years of progress against months (Steps sheet)",
            "Chart",
            (Series("steps", "years", "Years of progress"),),
            Axis("Months since full automation (months)", min=0, major_unit=6, number_format="0"),
            Axis("Years of progress (years)", min=0, number_format="0"),
        ),
    ),
    notes=(
        f"The MC sheets hold {MC_SAMPLES} samples; the paper's probabilities need many more "
        "(pysie solves the Steps sheet's rules for 100,000 scenarios at once).",
        "A doubling time beyond 1e300 months is held at 1e300, and compute at 1e300 "
        "(the reference code's last step near the ceiling can be infinite).",
    ),
    uncertainty=Uncertainty(scenario=RUN),
    **_COMMON,  # type: ignore[arg-type]
).validate()
