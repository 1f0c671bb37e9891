"""Milestone takeoff: AI R&D progress multipliers from SC to SAR, SIAR and ASI.

Source: the AI 2027 "takeoff forecast" (AI Futures Project, April 2025); the
equations below are pysie's statement of its method. From a superhuman coder
(SC, multiplier 5) AI speeds up AI software research through a superhuman AI
researcher (SAR, 25), a superintelligent AI researcher (SIAR, 250) to
artificial superintelligence (ASI, 2000).

Progress p is counted in years of human-only progress. Within a phase from
milestone A to B, which needs a gap of G such years,

    v(p) = v_A (v_B / v_A) ^ (p / G),      dp/dt = v(p) e^(g t),

where e^(g t) is the optional training-compute growth (g = 0 by default).
Closed form of a phase without compute growth:

    tau = G (1/v_A - 1/v_B) / ln(v_B / v_A)      (G / v_A when v_A = v_B),

and with growth the elapsed calendar time since SC is t = ln(1 + g T) / g,
where T is the sum of the phases' tau (substitute d tau = e^(g t) dt).

The point path steps one calendar day at a time (a year is ``days_per_year``
= 365.25 days, so a day adds v / 365.25 years of progress) with the explicit
midpoint rule: forward Euler would lag the closed form by about
ln(v_B / v_A) / 2 days per phase (1.15 days for SAR->SIAR), the midpoint rule
by a small fraction of a day. Milestone days are interpolated within the day.

Monte Carlo (the forecast's method): a lognormal with 80% interval [L, U] has
mu = (ln L + ln U) / 2, sigma = (ln U - ln L) / (2 * 1.2816). AMR->SAR ~ LN[1, 25];
SC->SAR is 0 with probability 0.15, else LN[1.5, 10] with its normal score
correlated 0.8 with AMR->SAR's (Gaussian copula z2 = rho z1 + sqrt(1 - rho^2) z);
SAR->SIAR: x = 10 + AMR, gap = x (x / 10)^2 - x; SIAR->ASI: s0 = 10 + AMR,
x = s0 + gap(SAR->SIAR), J ~ LN[0.3, 7.5], gap = exp(ln x + J ln(x / s0)) - x,
with the exponent capped at 690 (a gap of about 1e299 years, whose date is far
beyond 9999-12-31 and reported as such). The uniforms come from
numpy's default_rng(seed) and are stored in the Samples sheet as values.

Dates are Excel date serials (days since 1899-12-30; 46477 is 2027-03-31).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import numpy as np

from pysie.dates import DATE_FORMAT, FIRST_SAFE_DATE, LAST_EXCEL_DATE
from pysie.distributions import Lognormal, PointMass
from pysie.draws import row_numbers, uniform_column
from pysie.expr import (
    Col,
    Const,
    Expr,
    Name,
    Range,
    eq,
    exp,
    ge,
    gt,
    if_,
    index,
    ln,
    lt,
    match,
    min_,
    norm_s_inv,
    number_or,
    percentile,
    sqrt,
)
from pysie.models import milestone_stepping as euler
from pysie.spec import (
    Axis,
    Chart,
    Column,
    Model,
    Parameter,
    ReportGrid,
    SampledInput,
    Sampling,
    Scalar,
    Series,
    Snapshot,
    Table,
    data_column,
    refuse_first,
    value_at,
)

SOURCE = 'AI Futures Project, "AI 2027" takeoff forecast (April 2025)'
EXTENSION = "extension listed as missing by the forecast's authors; off by default"
SPEC = "pysie's statement of the forecast's method (this workbook's Docs sheet)"
REFERENCE = "the forecast's public simulation code (takeoff/forecasting_takeoff.py, run_phase_simulation)"

#: Normal quantile of 0.9 as the forecast writes it: sigma = ln(U/L) / (2 * 1.2816).
Z80 = 1.2816
#: The forecast's distributions of the gaps (lognormals by their 80% intervals, z rounded to
#: 1.2816 as the forecast does): the defaults of the interval parameters below, and what the
#: Samples sheet's formulas draw (``tests/test_milestone_distributions.py`` compares them).
SC_SAR_REST = Lognormal(1.5, 10, SOURCE, z=Z80)
SC_SAR_GAP = PointMass(0.15, 0.0, SC_SAR_REST, f"{SOURCE}; normal score correlated gap_correlation with AMR->SAR's")
AMR_SAR_GAP = Lognormal(1, 25, SOURCE, z=Z80)
ASI_EXPONENT = Lognormal(0.3, 7.5, SOURCE, z=Z80)
#: Cap of ln(gap) for SIAR->ASI: exp(690) ~ 1e299 years; any such date is beyond 9999.
LOG_GAP_CAP = 690.0
MILESTONES = ("SAR", "SIAR", "ASI")
PHASES = ("SC->SAR", "SAR->SIAR", "SIAR->ASI")
QUANTILES = (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))
DATE = DATE_FORMAT  # yyyy-mm-dd, and "after 9999-12-31" past Excel's last date
FIXED = "0.000"


def _p(name: str, default: float, unit: str, description: str, source: str = SOURCE, **kw: Any) -> Parameter:
    return Parameter(name, default, unit, description, source, **kw)


POSITIVE: dict[str, Any] = {"lower": 0, "lower_open": True}
SWITCH: dict[str, Any] = {"lower": 0, "upper": 1, "integer": True}

PARAMETERS = (
    _p(
        "sc_multiplier",
        5,
        "x",
        "AI R&D progress multiplier at SC (superhuman coder); the public discussion argues 3",
        upper=1e6,
        **POSITIVE,
    ),
    _p("sar_multiplier", 25, "x", "Multiplier at SAR (superhuman AI researcher)", upper=1e6, **POSITIVE),
    _p("siar_multiplier", 250, "x", "Multiplier at SIAR (superintelligent AI researcher)", upper=1e6, **POSITIVE),
    _p("asi_multiplier", 2000, "x", "Multiplier at ASI (artificial superintelligence)", upper=1e6, **POSITIVE),
    _p(
        "sc_sar_gap_low",
        SC_SAR_REST.p10,
        "years",
        "SC->SAR gap (human-only years), 10th percentile",
        upper=1e4,
        **POSITIVE,
    ),
    _p("sc_sar_gap_high", SC_SAR_REST.p90, "years", "SC->SAR gap, 90th percentile", upper=1e4, **POSITIVE),
    _p(
        "sc_sar_zero_probability",
        SC_SAR_GAP.probability,
        "probability",
        "Probability that the SC->SAR gap is zero (drawn independently)",
        lower=0,
        upper=1,
    ),
    _p(
        "amr_sar_gap_low",
        AMR_SAR_GAP.p10,
        "years",
        "AMR->SAR gap (AMR: automated median researcher), 10th percentile",
        upper=1e4,
        **POSITIVE,
    ),
    _p("amr_sar_gap_high", AMR_SAR_GAP.p90, "years", "AMR->SAR gap, 90th percentile", upper=1e4, **POSITIVE),
    _p(
        "gap_correlation",
        0.8,
        "correlation",
        "Correlation of the normal scores of SC->SAR and AMR->SAR (Gaussian copula)",
        lower=-1,
        upper=1,
    ),
    _p(
        "gap_offset",
        10,
        "years",
        "The 10 of x = 10 + AMR->SAR in the SAR->SIAR and SIAR->ASI gap formulas",
        upper=1e4,
        **POSITIVE,
    ),
    _p("sar_siar_exponent", 2, "exponent", "SAR->SIAR gap = x (x / gap_offset)^exponent - x", lower=0, upper=100),
    _p(
        "asi_exponent_low",
        ASI_EXPONENT.p10,
        "exponent",
        "J of the SIAR->ASI gap x (x / s0)^J - x, 10th percentile",
        upper=1e3,
        **POSITIVE,
    ),
    _p("asi_exponent_high", ASI_EXPONENT.p90, "exponent", "J, 90th percentile", upper=1e3, **POSITIVE),
    _p(
        "sc_date",
        46477,
        "date",
        "Date of SC (2027-03-31; give a date yyyy-mm-dd or its Excel date serial, 46477)",
        lower=FIRST_SAFE_DATE,
        upper=LAST_EXCEL_DATE,
        date=True,
    ),
    _p(
        "days_per_year",
        365.25,
        "days",
        "Calendar days per year (Julian year): one day adds v / days_per_year years of progress",
        SPEC,
        lower=360,
        upper=366,
    ),
    _p(
        "multiplier_uncertainty",
        0,
        "switch",
        "1: each sample draws each multiplier from a lognormal around it",
        EXTENSION,
        **SWITCH,
    ),
    _p(
        "multiplier_spread",
        2,
        "x",
        "With multiplier_uncertainty: 80% of draws lie in [v / spread, v * spread]",
        EXTENSION,
        lower=1,
        upper=100,
    ),
    _p(
        "compute_growth",
        0,
        "switch",
        "1: training compute keeps growing during takeoff, multiplying the progress rate",
        EXTENSION,
        **SWITCH,
    ),
    _p(
        "compute_growth_per_year",
        2,
        "x per year",
        "With compute_growth: the extra multiplier on the progress rate grows this much per calendar year",
        EXTENSION,
        lower=1,
        upper=1000,
    ),
    _p(
        "samples",
        5000,
        "samples",
        "Monte Carlo samples: rows of the Samples sheet",
        SOURCE,
        lower=10,
        upper=100000,
        integer=True,
        structural=True,
    ),
    _p(
        "seed",
        2027,
        "seed",
        "Seed of numpy's default_rng for the stored uniforms",
        SPEC,
        lower=0,
        upper=2**32 - 1,
        integer=True,
        structural=True,
    ),
    _p(
        "path_days",
        730,
        "days",
        "Days of the point path (rows of the Point path sheet)",
        SPEC,
        lower=30,
        upper=100000,
        integer=True,
        structural=True,
    ),
    _p(
        "stepping",
        0,
        "switch",
        "Samples' phase lengths: 0 the exact closed form; 1 the forecast's public code: whole days at the "
        "start-of-day speed, 365-day years (days_per_year unused), a phase over 106751 days dated 9999-12-31; "
        "1 adds 27 day-count columns to Samples",
        REFERENCE,
        structural=True,
        **SWITCH,
    ),
)

INTERVALS = (
    ("sc_sar_gap_low", "sc_sar_gap_high"),
    ("amr_sar_gap_low", "amr_sar_gap_high"),
    ("asi_exponent_low", "asi_exponent_high"),
)


def check_intervals(values: Mapping[str, Any]) -> None:
    """Each 80% interval needs low <= high (in every scenario); then :func:`check_stepping`."""
    for low, high in INTERVALS:

        def message(i: int, low: str = low, high: str = high) -> str:
            return (
                f"{low}: {value_at(values, low, i):g} is above {high} = {value_at(values, high, i):g}; "
                "an 80% interval needs low <= high"
            )

        refuse_first(np.asarray(values[low]) > np.asarray(values[high]), message)
    check_stepping(values)


def check_stepping(values: Mapping[str, Any]) -> None:
    """stepping = 1 is the public code's rule, which has neither extension and
    needs each multiplier above the one before (a rising geometric speed); in every scenario."""
    stepped = np.asarray(values["stepping"]) == 1
    for switch in ("multiplier_uncertainty", "compute_growth"):

        def extension(i: int, switch: str = switch) -> str:
            return f"stepping: 1 (the public code's rule) needs {switch} = 0; it is {value_at(values, switch, i):g}"

        refuse_first(stepped & (np.asarray(values[switch]) != 0), extension)
    for before, after in pairwise(MULTIPLIERS):

        def falling(i: int, before: str = before, after: str = after) -> str:
            return (
                f"stepping: 1 needs {after} above {before}; "
                f"{after} = {value_at(values, after, i):g} <= {value_at(values, before, i):g}"
            )

        refuse_first(stepped & (np.asarray(values[after]) <= np.asarray(values[before])), falling)


# --- closed forms (numbers, arrays or expressions) -------------------------------


def lognormal_mu(low: Any, high: Any) -> Any:
    """mu = (ln L + ln U) / 2 of the lognormal with 80% interval [L, U]."""
    return (ln(low) + ln(high)) / 2.0


def lognormal_sigma(low: Any, high: Any) -> Any:
    """sigma = (ln U - ln L) / (2 * 1.2816)."""
    return (ln(high) - ln(low)) / (2.0 * Z80)


def sar_siar_gap(amr_gap: Any, offset: Any, exponent: Any) -> Any:
    """x (x / offset)^exponent - x with x = offset + AMR->SAR."""
    x = offset + amr_gap
    return x * (x / offset) ** exponent - x


def siar_asi_log_total(amr_gap: Any, sar_siar: Any, j: Any, offset: Any) -> Any:
    """ln(x (x / s0)^J) = ln x + J ln(x / s0), s0 = offset + AMR, x = s0 + gap(SAR->SIAR)."""
    s0 = offset + amr_gap
    x = s0 + sar_siar
    return ln(x) + j * ln(x / s0)


def siar_asi_gap(log_total: Any, amr_gap: Any, sar_siar: Any, offset: Any) -> Any:
    """exp(min(log total, 690)) - x: computed in log space, capped instead of overflowing."""
    return exp(min_(log_total, LOG_GAP_CAP)) - (offset + amr_gap + sar_siar)


def phase_years(gap: Any, v_from: Any, v_to: Any) -> Any:
    """Calendar years of a phase without compute growth: G (1/v_A - 1/v_B) / ln(v_B / v_A)."""
    return if_(eq(v_from, v_to), gap / v_from, gap * (1.0 / v_from - 1.0 / v_to) / ln(v_to / v_from))


def elapsed_years(base_years: Any, growth_rate: Any) -> Any:
    """Calendar years since SC with compute growth e^(g t): ln(1 + g T) / g (T when g = 0)."""
    return if_(gt(growth_rate, 0), ln(1.0 + growth_rate * base_years) / growth_rate, base_years)


# --- names -------------------------------------------------------------------------

N = {p.name: p.ref for p in PARAMETERS}
D = N["days_per_year"]
g = Name("growth_rate")
MULTIPLIERS = ("sc_multiplier", "sar_multiplier", "siar_multiplier", "asi_multiplier")


def _lognormal_scalars(stem: str, low: str, high: str, what: str) -> tuple[Scalar, ...]:
    return (
        Scalar(f"{stem}_mu", lognormal_mu(N[low], N[high]), "", f"mu of {what}: (LN(low) + LN(high)) / 2", "0.0000"),
        Scalar(
            f"{stem}_sigma",
            lognormal_sigma(N[low], N[high]),
            "",
            f"sigma of {what}: (LN(high) - LN(low)) / (2 * 1.2816)",
            "0.0000",
        ),
    )


pg = {k: Name(f"point_{k}") for k in ("sc_sar_gap", "amr_sar_gap", "asi_exponent", "sar_siar_gap", "siar_asi_gap")}

DERIVED = (
    *_lognormal_scalars("sc_sar_gap", "sc_sar_gap_low", "sc_sar_gap_high", "the SC->SAR gap"),
    *_lognormal_scalars("amr_sar_gap", "amr_sar_gap_low", "amr_sar_gap_high", "the AMR->SAR gap"),
    *_lognormal_scalars("asi_exponent", "asi_exponent_low", "asi_exponent_high", "J"),
    Scalar(
        "correlation_complement",
        sqrt(1.0 - N["gap_correlation"] ** 2),
        "",
        "SQRT(1 - rho^2) of the Gaussian copula",
        "0.0000",
    ),
    Scalar(
        "multiplier_sigma",
        N["multiplier_uncertainty"] * ln(N["multiplier_spread"]) / Z80,
        "",
        "sigma of LN(multiplier draw / multiplier): 0 unless multiplier_uncertainty",
        "0.0000",
    ),
    Scalar(
        "growth_rate",
        N["compute_growth"] * ln(N["compute_growth_per_year"]),
        "per year",
        "g of the compute-growth factor e^(g t): 0 unless compute_growth",
        "0.0000",
    ),
    Scalar(
        "point_sc_sar_gap",
        exp(Name("sc_sar_gap_mu")),
        "years",
        "Point SC->SAR gap: the median, geometric mean of low and high",
        FIXED,
    ),
    Scalar("point_amr_sar_gap", exp(Name("amr_sar_gap_mu")), "years", "Point AMR->SAR gap: the median", FIXED),
    Scalar("point_asi_exponent", exp(Name("asi_exponent_mu")), "", "Point J: the median", FIXED),
    Scalar(
        "point_sar_siar_gap",
        sar_siar_gap(pg["amr_sar_gap"], N["gap_offset"], N["sar_siar_exponent"]),
        "years",
        "Point SAR->SIAR gap x (x/10)^2 - x, x = 10 + AMR->SAR",
        FIXED,
    ),
    Scalar(
        "point_siar_asi_gap",
        siar_asi_gap(
            siar_asi_log_total(pg["amr_sar_gap"], pg["sar_siar_gap"], pg["asi_exponent"], N["gap_offset"]),
            pg["amr_sar_gap"],
            pg["sar_siar_gap"],
            N["gap_offset"],
        ),
        "years",
        "Point SIAR->ASI gap exp(MIN(LN x + J LN(x/s0), 690)) - x",
        FIXED,
    ),
    Scalar("point_sar_progress", pg["sc_sar_gap"], "years", "Human-only progress since SC at SAR (point)", FIXED),
    Scalar(
        "point_siar_progress", Name("point_sar_progress") + pg["sar_siar_gap"], "years", "... at SIAR (point)", FIXED
    ),
    Scalar(
        "point_asi_progress", Name("point_siar_progress") + pg["siar_asi_gap"], "years", "... at ASI (point)", FIXED
    ),
)

# --- point path, day by day --------------------------------------------------------

BOUNDARIES = tuple(Name(f"point_{m.lower()}_progress") for m in MILESTONES)
POINT_GAPS = (pg["sc_sar_gap"], pg["sar_siar_gap"], pg["siar_asi_gap"])


def point_multiplier(progress: Any) -> Any:
    """v(p) of the point path: geometric within the phase p falls in, v_ASI after ASI."""
    v = [N[m] for m in MULTIPLIERS]
    starts = (Const(0), *BOUNDARIES[:2])
    value: Any = v[3]
    for k in (2, 1, 0):
        within = v[k] * (v[k + 1] / v[k]) ** ((progress - starts[k]) / POINT_GAPS[k])
        value = if_(lt(progress, BOUNDARIES[k]), within, value)
    return value


day, progress, mult, mid_p, mid_v = (
    Col("day"),
    Col("progress"),
    Col("multiplier"),
    Col("midday_progress"),
    Col("midday_multiplier"),
)

PATH = Table(
    "point_path",
    "Point path",
    "The point estimate day by day: progress grows by the multiplier at mid-day (times e^(g t)) / "
    "days_per_year each day.",
    (
        Column("day", Const(0), day.prev + 1, "days", "Calendar days since SC"),
        Column(
            "progress",
            Const(0),
            progress.prev + mid_v.prev * exp(g * (day.prev + 0.5) / D) / D,
            "years",
            "Human-only years of progress since SC (explicit midpoint step)",
            FIXED,
        ),
        Column(
            "multiplier",
            point_multiplier(progress),
            point_multiplier(progress),
            "x",
            "AI R&D progress multiplier v(p) at the start of the day",
            "0.00",
        ),
        Column(
            "midday_progress",
            progress + mult * exp(g * day / D) / (2 * D),
            progress + mult * exp(g * day / D) / (2 * D),
            "years",
            "Progress half a day on, at the start-of-day rate",
            FIXED,
        ),
        Column(
            "midday_multiplier", point_multiplier(mid_p), point_multiplier(mid_p), "x", "v at mid-day progress", "0.00"
        ),
        *(
            Column(
                f"reached_{m.lower()}",
                if_(ge(progress, b), 1, 0),
                if_(ge(progress, b), 1, 0),
                "flag",
                f"1 once {m} is reached",
            )
            for m, b in zip(MILESTONES, BOUNDARIES, strict=False)
        ),
    ),
    rows_from="path_days",
    row_noun="day",
)

# --- Monte Carlo samples -----------------------------------------------------------

UNIFORMS = (
    "u_amr_sar",
    "u_sc_sar",
    "u_sc_sar_zero",
    "u_asi_exponent",
    "u_sc_multiplier",
    "u_sar_multiplier",
    "u_siar_multiplier",
    "u_asi_multiplier",
)


S = {
    name: Col(name)
    for name in (
        "z_amr_sar",
        "z_sc_sar",
        "amr_sar_gap",
        "sc_sar_gap",
        "sar_siar_gap",
        "asi_exponent",
        "siar_asi_log_total",
        "siar_asi_gap",
        "sc_sar_years",
        "sar_siar_years",
        "siar_asi_years",
        "sar_date",
        "siar_date",
    )
}
U = {name: Col(name) for name in UNIFORMS}
draws = {m: Col(f"{m}_draw") for m in MULTIPLIERS}
base = {k: Col(f"{k}_base_years") for k in ("sc_sar", "sar_siar", "siar_asi")}
offset = N["gap_offset"]


def _same(name: str, expr: Expr, unit: str, description: str, fmt: str = "General", when: int | None = None) -> Column:
    """A column with one equation for every row (a sample); ``when``: it exists only at that ``stepping``."""
    return Column(name, expr, expr, unit, description, fmt, when=None if when is None else ("stepping", when))


def by_stepping(
    name: str, closed_form: Expr, reference: Expr, unit: str, description: str, fmt: str
) -> tuple[Column, ...]:
    """One quantity by either rule: the closed form in a workbook built with stepping = 0,
    the public code's in one built with stepping = 1 (:attr:`pysie.spec.Column.when`)."""
    return (
        _same(name, closed_form, unit, description, fmt, when=0),
        _same(name, reference, unit, f"{description} (the public code's rule)", fmt, when=1),
    )


def whole_years(phase: str) -> Expr:
    """The phase's whole days in the public code's 365-day years."""
    return Col(f"{phase}_days") / euler.REFERENCE_DAYS_PER_YEAR


#: Number formats of the day-count columns: values up to ~1e12 (s), at most w_end (w), whole days.
SCIENTIFIC, WHOLE = "0.00E+00", "0"


def euler_columns(phase: str, gap: Col, v_from: Col, v_to: Col) -> tuple[Column, ...]:
    """The day count of one phase under the public code's rule (see :mod:`pysie.models.milestone_stepping`);
    the columns exist only in a workbook built with stepping = 1."""
    s0, skipped, state, refined = (Col(f"{phase}_{k}") for k in ("step_scale", "days_counted", "state", "refined"))
    evens = (1.0 / refined, *(Col(f"{phase}_w{j}") for j in range(2, euler.EXPLICIT_STEPS, 2)))
    end = euler.step_end(s0, v_to / v_from)
    what = phase.upper().replace("_", "->")
    return (
        _same(
            f"{phase}_step_scale",
            euler.scale(gap, v_from, v_to),
            "days",
            f"{what}: s0 = 365 MIN(G, 1e10) / (v_A LN r)",
            SCIENTIFIC,
            when=1,
        ),
        _same(
            f"{phase}_days_counted",
            euler.skipped_days(s0, v_to / v_from),
            "days",
            f"{what}: days counted by the Abel series K",
            WHOLE,
            when=1,
        ),
        _same(
            f"{phase}_state",
            euler.newton_start(s0, skipped),
            "",
            f"{what}: s after the counted days, K(s) = K(s0) - counted (Newton)",
            SCIENTIFIC,
            when=1,
        ),
        _same(
            f"{phase}_refined",
            euler.newton_again(state, s0, skipped),
            "",
            f"{what}: s, second Newton step",
            SCIENTIFIC,
            when=1,
        ),
        *(
            _same(
                f"{phase}_w{j}",
                euler.two_steps(evens[j // 2 - 1], end),
                "",
                f"{what}: step size after {j} more days (held at the end point r / s0)",
                SCIENTIFIC,
                when=1,
            )
            for j in range(2, euler.EXPLICIT_STEPS, 2)
        ),
        _same(
            f"{phase}_days",
            euler.phase_days(gap, v_from, s0, v_to / v_from, skipped, evens),
            "days",
            f"{what}: whole days of the phase under the public code's rule",
            WHOLE,
            when=1,
        ),
    )


EULER_COLUMNS = (
    *euler_columns("sc_sar", S["sc_sar_gap"], draws["sc_multiplier"], draws["sar_multiplier"]),
    *euler_columns("sar_siar", S["sar_siar_gap"], draws["sar_multiplier"], draws["siar_multiplier"]),
    *euler_columns("siar_asi", S["siar_asi_gap"], draws["siar_multiplier"], draws["asi_multiplier"]),
)

SAMPLES = Table(
    "samples",
    "Samples",
    "Monte Carlo: one row per sample; uniforms are stored values from default_rng(seed), the rest are formulas.",
    (
        data_column("sample", row_numbers(1, ("samples",)), "", "Sample number"),
        *(
            data_column(
                u,
                uniform_column(j, len(UNIFORMS), ("seed", "samples")),
                "",
                f"Stored uniform of default_rng(seed), column {j + 1}",
                "0.000000",
            )
            for j, u in enumerate(UNIFORMS)
        ),
        _same("z_amr_sar", norm_s_inv(U["u_amr_sar"]), "", "Normal score of AMR->SAR", "0.0000"),
        _same(
            "z_sc_sar",
            N["gap_correlation"] * S["z_amr_sar"] + Name("correlation_complement") * norm_s_inv(U["u_sc_sar"]),
            "",
            "Normal score of SC->SAR: rho z1 + SQRT(1 - rho^2) z",
            "0.0000",
        ),
        _same(
            "amr_sar_gap",
            exp(Name("amr_sar_gap_mu") + Name("amr_sar_gap_sigma") * S["z_amr_sar"]),
            "years",
            "AMR->SAR gap",
            FIXED,
        ),
        _same(
            "sc_sar_gap",
            if_(
                lt(U["u_sc_sar_zero"], N["sc_sar_zero_probability"]),
                0,
                exp(Name("sc_sar_gap_mu") + Name("sc_sar_gap_sigma") * S["z_sc_sar"]),
            ),
            "years",
            "SC->SAR gap: 0 with probability sc_sar_zero_probability, else lognormal",
            FIXED,
        ),
        _same(
            "sar_siar_gap",
            sar_siar_gap(S["amr_sar_gap"], offset, N["sar_siar_exponent"]),
            "years",
            "SAR->SIAR gap x (x/10)^2 - x",
            FIXED,
        ),
        _same(
            "asi_exponent",
            exp(Name("asi_exponent_mu") + Name("asi_exponent_sigma") * norm_s_inv(U["u_asi_exponent"])),
            "",
            "J",
            "0.0000",
        ),
        _same(
            "siar_asi_log_total",
            siar_asi_log_total(S["amr_sar_gap"], S["sar_siar_gap"], S["asi_exponent"], offset),
            "ln years",
            "LN x + J LN(x / s0)",
            "0.0000",
        ),
        _same(
            "siar_asi_gap",
            siar_asi_gap(S["siar_asi_log_total"], S["amr_sar_gap"], S["sar_siar_gap"], offset),
            "years",
            "SIAR->ASI gap (capped at e^690 years)",
            "0.00E+00",
        ),
        *(
            _same(
                f"{m}_draw",
                N[m] * exp(Name("multiplier_sigma") * norm_s_inv(U[f"u_{m}"])),
                "x",
                f"{m}, times a lognormal factor when multiplier_uncertainty",
                "0.00",
            )
            for m in MULTIPLIERS
        ),
        *EULER_COLUMNS,
        _same(
            "sc_sar_base_years",
            phase_years(S["sc_sar_gap"], draws["sc_multiplier"], draws["sar_multiplier"]),
            "years",
            "SC->SAR calendar years without compute growth",
            "0.0000",
        ),
        _same(
            "sar_siar_base_years",
            phase_years(S["sar_siar_gap"], draws["sar_multiplier"], draws["siar_multiplier"]),
            "years",
            "SAR->SIAR without compute growth",
            "0.0000",
        ),
        _same(
            "siar_asi_base_years",
            phase_years(S["siar_asi_gap"], draws["siar_multiplier"], draws["asi_multiplier"]),
            "years",
            "SIAR->ASI without compute growth",
            "0.00E+00",
        ),
        *by_stepping(
            "sc_sar_years",
            elapsed_years(base["sc_sar"], g),
            whole_years("sc_sar"),
            "years",
            "SC->SAR calendar years",
            "0.0000",
        ),
        *by_stepping(
            "sar_siar_years",
            elapsed_years(base["sc_sar"] + base["sar_siar"], g) - S["sc_sar_years"],
            whole_years("sar_siar"),
            "years",
            "SAR->SIAR calendar years",
            "0.0000",
        ),
        *by_stepping(
            "siar_asi_years",
            elapsed_years(base["sc_sar"] + base["sar_siar"] + base["siar_asi"], g)
            - elapsed_years(base["sc_sar"] + base["sar_siar"], g),
            whole_years("siar_asi"),
            "years",
            "SIAR->ASI calendar years",
            "0.00E+00",
        ),
        *by_stepping(
            "sar_date",
            N["sc_date"] + D * S["sc_sar_years"],
            euler.milestone_date(N["sc_date"], Col("sc_sar_days"), hold_in_9999=False),
            "date",
            "Date of SAR (Excel serial)",
            DATE,
        ),
        *by_stepping(
            "siar_date",
            S["sar_date"] + D * S["sar_siar_years"],
            euler.milestone_date(S["sar_date"], Col("sar_siar_days"), hold_in_9999=True),
            "date",
            "Date of SIAR",
            DATE,
        ),
        *by_stepping(
            "asi_date",
            S["siar_date"] + D * S["siar_asi_years"],
            euler.milestone_date(S["siar_date"], Col("siar_asi_days"), hold_in_9999=True),
            "date",
            "Date of ASI (shown as after 9999-12-31 past Excel's last date)",
            DATE,
        ),
    ),
    rows_from="samples",
    row_noun="sample",
    extra_rows=0,
)

percent = Col("percent")
DISTRIBUTION = Table(
    "distribution",
    "Distribution",
    "Milestone dates at each percentile of the samples (PERCENTILE of the Samples sheet), for the chart.",
    (
        Column("percent", Const(1), percent.prev + 1, "%", "Percentile"),
        *(
            _same(
                f"{m.lower()}_date_percentile",
                percentile(SAMPLES.range(f"{m.lower()}_date"), percent / 100),
                "date",
                f"{m} date at this percentile",
                DATE,
            )
            for m in MILESTONES
        ),
    ),
    rows_from=99,
    row_noun="percentile",
)

# --- results -------------------------------------------------------------------------

PHASE_COLUMNS = dict(zip(PHASES, ("sc_sar_years", "sar_siar_years", "siar_asi_years"), strict=False))


def _percentile_outputs() -> tuple[Scalar, ...]:
    out = []
    for m in MILESTONES:
        for q, k in QUANTILES:
            out.append(
                Scalar(
                    f"{m.lower()}_date_{q}",
                    percentile(SAMPLES.range(f"{m.lower()}_date"), k),
                    "date",
                    f"{m} date, {q} of the samples",
                    DATE,
                    label=f"{m} date, {q}",
                    group="samples",
                    kind="date",
                    report_as=("percentiles", m, q),
                )
            )
    for phase, col in PHASE_COLUMNS.items():
        for q, k in QUANTILES:
            out.append(
                Scalar(
                    f"{col}_{q}",
                    percentile(SAMPLES.range(col), k),
                    "years",
                    f"{phase} calendar years, {q} of the samples",
                    "0.0000",
                    label=f"{phase} years, {q}",
                    group="samples",
                    kind="years_from_origin",
                    report_as=("phase_years", phase, q),
                )
            )
    return tuple(out)


def crossing_day(flag: Range, boundary: Expr) -> Expr:
    """Day the point path reaches ``boundary``, interpolated within the day:
    k = MATCH(1, flag); k = 1 is day 0, else (k - 2) + (B - p[k-1]) / (p[k] - p[k-1])."""
    k = match(1, flag)
    p = PATH.range("progress")
    return if_(eq(k, 1), 0, k - 2 + (boundary - index(p, k - 1)) / (index(p, k) - index(p, k - 1)))


POINT_YEARS = {
    "SC->SAR": Name("point_sc_sar_years"),
    "SAR->SIAR": Name("point_sar_siar_years"),
    "SIAR->ASI": Name("point_siar_asi_years"),
}
_base_point = tuple(phase_years(POINT_GAPS[k], N[MULTIPLIERS[k]], N[MULTIPLIERS[k + 1]]) for k in range(3))


def _point_date(milestone: str, start: Expr, phase: str, note: str = "") -> Scalar:
    """The point estimate's date of ``milestone``: the previous date plus the phase's closed-form years."""
    return Scalar(
        f"point_{milestone.lower()}_date",
        start + D * POINT_YEARS[phase],
        "date",
        f"Point estimate: {milestone} date{note}",
        DATE,
        label=f"{milestone} date",
        group="point estimate",
        kind="date",
        report_as=("point", milestone),
    )


OUTPUTS = (
    _point_date("SAR", N["sc_date"], "SC->SAR", " (closed form)"),
    _point_date("SIAR", Name("point_sar_date"), "SAR->SIAR"),
    _point_date("ASI", Name("point_siar_date"), "SIAR->ASI"),
    *_percentile_outputs(),
    *(
        Scalar(
            f"path_{m.lower()}_day",
            number_or(crossing_day(PATH.range(f"reached_{m.lower()}"), b), "not reached"),
            "days",
            f"Point path: day {m} is reached (not reached: not within path_days)",
            "0.00",
            report_as=("path_days", m),
        )
        for m, b in zip(MILESTONES, BOUNDARIES, strict=False)
    ),
)

CHECKS = (
    Scalar(
        "point_sc_sar_years",
        elapsed_years(_base_point[0], g),
        "years",
        "Closed form: G (1/v_A - 1/v_B) / LN(v_B/v_A), warped by LN(1 + g T)/g",
        "0.0000",
        kind="years_from_origin",
        report_as=("point_phase_years", "SC->SAR"),
    ),
    Scalar(
        "point_sar_siar_years",
        elapsed_years(_base_point[0] + _base_point[1], g) - Name("point_sc_sar_years"),
        "years",
        "Closed form, SAR->SIAR",
        "0.0000",
        kind="years_from_origin",
        report_as=("point_phase_years", "SAR->SIAR"),
    ),
    Scalar(
        "point_siar_asi_years",
        elapsed_years(_base_point[0] + _base_point[1] + _base_point[2], g)
        - elapsed_years(_base_point[0] + _base_point[1], g),
        "years",
        "Closed form, SIAR->ASI",
        "0.0000",
        kind="years_from_origin",
        report_as=("point_phase_years", "SIAR->ASI"),
    ),
    Scalar(
        "path_sc_sar_error_days",
        number_or(Name("path_sar_day") - D * POINT_YEARS["SC->SAR"], "not reached"),
        "days",
        "Path minus closed form, SC->SAR (should be well within 1 day)",
        "0.0000",
    ),
    Scalar(
        "path_sar_siar_error_days",
        number_or(Name("path_siar_day") - Name("path_sar_day") - D * POINT_YEARS["SAR->SIAR"], "not reached"),
        "days",
        "Path minus closed form, SAR->SIAR",
        "0.0000",
    ),
    Scalar(
        "path_siar_asi_error_days",
        number_or(Name("path_asi_day") - Name("path_siar_day") - D * POINT_YEARS["SIAR->ASI"], "not reached"),
        "days",
        "Path minus closed form, SIAR->ASI",
        "0.0000",
    ),
)

PRESETS = {
    "forecast": {},
    "sc-multiplier-3": {"sc_multiplier": 3},
    "extensions": {"multiplier_uncertainty": 1, "compute_growth": 1},
}

#: One-at-a-time changes of the point estimate for the Sensitivity snapshot.
#: Setting an interval's low and high to one value puts the point (median) gap there;
#: both ends are set, so each change is a valid interval whatever the workbook's inputs.
SENSITIVITY: tuple[tuple[str, dict[str, float]], ...] = (
    ("the inputs listed below, unchanged", {}),
    ("SC multiplier 3 (instead of 5)", {"sc_multiplier": 3}),
    ("SC->SAR gap at its 10th percentile (1.5 y)", {"sc_sar_gap_low": 1.5, "sc_sar_gap_high": 1.5}),
    ("SC->SAR gap at its 90th percentile (10 y)", {"sc_sar_gap_low": 10, "sc_sar_gap_high": 10}),
    (
        "AMR->SAR at its 10th percentile (1 y): SAR->SIAR and SIAR->ASI gaps",
        {"amr_sar_gap_low": 1, "amr_sar_gap_high": 1},
    ),
    ("AMR->SAR at its 90th percentile (25 y)", {"amr_sar_gap_low": 25, "amr_sar_gap_high": 25}),
    ("J at its 10th percentile (0.3): SIAR->ASI gap", {"asi_exponent_low": 0.3, "asi_exponent_high": 0.3}),
    ("J at its 90th percentile (7.5)", {"asi_exponent_low": 7.5, "asi_exponent_high": 7.5}),
)


MODEL = Model(
    name="milestone-takeoff",
    title="Milestone takeoff: AI R&D multipliers from SC to SAR, SIAR and ASI",
    summary=__doc__ or "",
    sources=(SOURCE, "Equations and Monte Carlo: " + SPEC),
    parameters=PARAMETERS,
    derived=DERIVED,
    tables=(PATH, SAMPLES, DISTRIBUTION),
    outputs=OUTPUTS,
    checks=CHECKS,
    presets=PRESETS,
    charts=(
        Chart(
            "Milestone dates by percentile of the samples (axis cut at 2060)",
            "Chart",
            tuple(Series("distribution", f"{m.lower()}_date_percentile", f"{m} date") for m in MILESTONES),
            Axis("Percentile of the samples (%)", min=0, max=100, major_unit=10, number_format="0"),
            # Excel date serials of 2025-01-01 and just past 2060-01-01; 1826.25 days (five years
            # of 365.25) from a year after a leap year puts every tick on a 1 January.
            Axis("Date of the milestone (year)", min=45658, max=58442, major_unit=1826.25, number_format="yyyy"),
        ),
    ),
    notes=(
        "Dates are Excel date serials shown as yyyy-mm-dd, and as the words after 9999-12-31 past Excel's last "
        "date (the SIAR->ASI gap is capped at e^690 years instead of overflowing).",
    ),
    check_values=check_intervals,
    sampling=Sampling(
        samples="samples",
        seed="seed",
        table="samples",
        columns=("sc_sar_years", "sar_siar_years", "siar_asi_years", "sar_date", "siar_date", "asi_date"),
        draws=(
            SampledInput.of(
                "sc_sar_gap", SC_SAR_GAP, ("sc_sar_gap_low", "sc_sar_gap_high"), mass="sc_sar_zero_probability"
            ),
            SampledInput.of("amr_sar_gap", AMR_SAR_GAP, ("amr_sar_gap_low", "amr_sar_gap_high")),
            SampledInput.of("asi_exponent", ASI_EXPONENT, ("asi_exponent_low", "asi_exponent_high")),
        ),
    ),
    date_origin=("sc_date", "days_per_year"),
    snapshots=(
        Snapshot(
            "Sensitivity",
            "Sensitivity of the point estimate",
            SENSITIVITY,
            (
                "point_sc_sar_gap",
                "point_sar_siar_gap",
                "point_siar_asi_gap",
                *(name.name for name in POINT_YEARS.values()),
                *(f"point_{m.lower()}_date" for m in MILESTONES),
            ),
        ),
    ),
    grids=(
        ReportGrid(
            "dates",
            "milestone",
            ("point", *(q for q, _ in QUANTILES)),
            tuple(
                (m, (f"point_{m.lower()}_date", *(f"{m.lower()}_date_{q}" for q, _ in QUANTILES))) for m in MILESTONES
            ),
        ),
    ),
).validate()
