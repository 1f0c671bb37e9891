"""Software intelligence explosion with and without retraining.

Source: Tom Davidson, "Will the need to retrain AI models from scratch block a
software intelligence explosion?", Forethought research note, March 2025. The
note's sheets are not public in a readable form; these equations are pysie's
reconstruction, which reproduces the note's published table (months to
infinity 8/27, 5/16, 3/10, 1.3/4.6 for N = 4.3, 3, 2, 1.5 without/with
retraining; effective FLOP about 1.6e29 at day 60 and
2.5e29 at day 100).

All quantities are normalised to day 0; row t+1 is computed from row t:

* research doubling time  T_R = D / (2^(1/r) - 1),  compute per day C = E0 / T_train
* cumulative research     x_{t+1} = x_t + L_t / T_R,   x_0 = 1
* software                S_t = x_t^r   (held at ``infinity_cap`` once it gets there)
* labour                  L_t = S_t (no retraining); E_t / E0 (continuous);
                          E_dep,t / E0 (from scratch)
* effective FLOP          E_{t+1} = E_t + phi C S_t   (continuous retraining)
* from scratch            a run in progress grows by phi C S_start per day and is
                          deployed when it reaches ``upgrade_factor`` x the deployed
                          model's effective FLOP; a new run then starts at today's S.

"Infinity" is the first day with S_t >= infinity_cap (the ``reached_infinity``
flag, shaded on the sheets; an error is no longer read as infinity, so a genuine
error shows on every later row). A cell cannot hold more than about 1.8e308, so
effective FLOP is held at ``FLOP_CAP`` = 1e308 instead of overflowing, and
software counts as infinite the day after its training FLOP got there (where a
cell would have overflowed). From the day a variant reaches infinity its rows
hold that day's values: the sheets show numbers, never a wall of errors.
"""

from __future__ import annotations

from dataclasses import replace

from pysie import theory
from pysie.distributions import Lognormal, LogUniform
from pysie.expr import (
    Cell,
    Col,
    Const,
    Expr,
    Name,
    count_equal,
    eq,
    ge,
    gt,
    if_,
    index,
    int_,
    isnumber,
    ln,
    log2,
    log10,
    match,
    max_,
    na,
    number_or,
    or_,
)
from pysie.spec import Axis, Chart, Column, Model, Parameter, RowListing, Scalar, Series, Table, Uncertainty

SOURCE = (
    'Tom Davidson, "Will the need to retrain AI models from scratch block a software '
    'intelligence explosion?", Forethought research note, March 2025'
)
THEORY_SOURCE = (
    'Davidson and Houlden, "How quick and big would a software intelligence explosion be?", Forethought, 2025'
)
RECONSTRUCTION = "pysie's reconstruction of the note's sheets, calibrated to its published table"

#: Default distributions of ``pysie mc`` (independent). The note gives ranges, not distributions; the
#: shapes are pysie's reading of them, stated in each source.
RETURNS_DIST = Lognormal(
    10 / 9,
    2.0,
    source=(
        'the note: N "very roughly 5; could be as low as 2, or higher than 10"; with N = r / (r - 1) '
        "(lambda = 1) N = 10 and N = 2 are r = 1.11 and r = 2, taken as r's 10th and 90th percentiles "
        "(pysie's reading; about 4% of draws have r <= 1: no explosion)"
    ),
)
DOUBLING_DIST = LogUniform(
    15.0,
    42.0,
    source=(
        "the note's initial software doubling times of 0.5-1.4 months (15-42 days at 30 days a month); "
        "the note gives four values, no distribution: log-uniform over their range is pysie's choice"
    ),
)
TRAINING_DIST = LogUniform(
    30.0,
    100.0,
    source=("the note ran initial training runs of 30 and 100 days; log-uniform between them is pysie's choice"),
)

FLOP = "0.00E+00"
FIXED = "0.00"
#: Words a result cell shows where it has no number (reports give null).
NOT_REACHED, INFINITE, UNDEFINED = "not reached", "infinite", "undefined"
#: Effective FLOP a cell holds at most (a double overflows at about 1.8e308).
FLOP_CAP = 1e308

PARAMETERS = (
    Parameter(
        "research_returns",
        1.5,
        "doublings per doubling",
        "Software doublings per doubling of cumulative research (r)",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=20,
        symbol="r",
        dist=RETURNS_DIST,
    ),
    Parameter(
        "initial_doubling_days",
        35,
        "days",
        "Days for software to double if day-0 labour were held fixed (D)",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=3650,
        symbol="D",
        dist=DOUBLING_DIST,
    ),
    Parameter(
        "initial_training_flop",
        1e29,
        "FLOP",
        "Effective training compute of the AI deployed on day 0 (E0)",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=1e45,
        symbol="E0",
    ),
    Parameter(
        "initial_training_days",
        100,
        "days",
        "Length of that training run; compute per day C = E0 / T_train",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=3650,
        symbol="T_train",
        dist=TRAINING_DIST,
    ),
    Parameter(
        "retraining_share",
        0.5,
        "fraction",
        "Share of compute spent on retraining (phi)",
        SOURCE,
        lower=0,
        upper=1,
        symbol="phi",
    ),
    Parameter(
        "upgrade_factor",
        2,
        "x",
        "From scratch: a run is deployed when it reaches this multiple of the deployed model's effective FLOP",
        f"Ege Erdil's variant as described in the note; {RECONSTRUCTION}",
        lower=1,
        lower_open=True,
        upper=1000,
    ),
    Parameter(
        "horizon_days",
        1100,
        "days",
        "Days simulated: rows of each day-by-day sheet (fixed when the workbook is built)",
        RECONSTRUCTION,
        lower=200,
        upper=100000,
        integer=True,
        structural=True,
        symbol="H",
    ),
    Parameter(
        "infinity_cap",
        1e300,
        "x",
        "Software level treated as infinity",
        RECONSTRUCTION,
        lower=1,
        lower_open=True,
        upper=1e307,
    ),
    Parameter("days_per_month", 30, "days", "Month length used to report months", SOURCE, lower=1, upper=31),
    Parameter(
        "parallelisation_exponent",
        1,
        "exponent",
        "lambda of the law of motion, used by the Theory sheet only (the day-by-day sheets use 1)",
        THEORY_SOURCE,
        lower=0,
        lower_open=True,
        upper=2,
        symbol="lambda",
    ),
    Parameter(
        "fast_returns_threshold",
        1,
        "doublings per doubling",
        "Returns above which progress is called accelerating (Theory sheet; some authors use about 0.75)",
        THEORY_SOURCE,
        lower=0,
        upper=10,
    ),
)

r = Name("research_returns")
cap = Name("infinity_cap")
E0 = Name("initial_training_flop")
phi = Name("retraining_share")
T_R = Name("research_doubling_days")
C = Name("compute_per_day")

DERIVED = (
    Scalar(
        "research_doubling_days",
        theory.research_doubling_days(r, Name("initial_doubling_days")),
        "days",
        "T_R = D / (2^(1/r) - 1): days for cumulative research to double at day-0 labour",
        FIXED,
    ),
    Scalar("compute_per_day", E0 / Name("initial_training_days"), "FLOP/day", "C = E0 / T_train", FLOP),
)

day, labour, x, S = Col("day"), Col("labour"), Col("cumulative_research"), Col("software")
E, pace, doublings, pace_level = Col("effective_flop"), Col("pace"), Col("software_doublings"), Col("pace_doublings")


reached = Col("reached_infinity")


def held(column: str, equation: Expr) -> Expr:
    """``equation`` until the variant reaches infinity, then the previous row's
    value: IF(reached_{t-1}, c_{t-1}, equation)."""
    return if_(reached.prev, Col(column).prev, equation)


def software_from(research: Expr, flop: Expr | None = None) -> Expr:
    """S = x^r, held at the cap: IF(r LN(x) >= LN(cap), cap, x^r) never
    overflows; with ``flop`` (the previous row's training FLOP), S is the cap
    too once that FLOP is at :data:`FLOP_CAP` (where a cell would overflow)."""
    at_cap = ge(r * ln(research), ln(cap))
    if flop is not None:
        at_cap = or_(ge(flop, FLOP_CAP), at_cap)
    return if_(at_cap, cap, research**r)


def accumulated(total: Expr, per_day: Expr, software: Expr) -> Expr:
    """total + per_day * software, held at :data:`FLOP_CAP`:
    IF(software (per_day / FLOP_CAP) >= 1 - total / FLOP_CAP, FLOP_CAP, total + per_day software)
    never overflows (software <= infinity_cap), and below the cap it is the sum itself."""
    return if_(ge(software * (per_day / FLOP_CAP), 1 - total / FLOP_CAP), FLOP_CAP, total + per_day * software)


def _research_and_software(labour_equation: Expr, flop: Col | None = None) -> tuple[Column, ...]:
    return (
        Column("day", Const(0), day.prev + 1, "day", "Day index t"),
        Column.every_row("labour", labour_equation, "x day 0", "AI research labour L_t, relative to day 0", FLOP),
        Column(
            "cumulative_research",
            Const(1),
            held("cumulative_research", x.prev + labour.prev / T_R),
            "x day 0",
            "Cumulative research x_{t+1} = x_t + L_t / T_R (held once infinity is reached)",
            FLOP,
        ),
        Column(
            "software",
            Const(1),
            held("software", software_from(x, None if flop is None else flop.prev)),
            "x day 0",
            "Software S_t = x_t^r, held at infinity_cap"
            + ("" if flop is None else f" (also once {flop.name} reached 1e308 FLOP the day before)"),
            FLOP,
        ),
    )


DIAGNOSTICS = (
    Column.every_row(
        "reached_infinity",
        if_(ge(S, cap), 1, 0),
        "flag",
        "1 from the first day S_t >= infinity_cap (rows from then on hold that day's values; an error in S_t, "
        "which the caps leave to genuine errors, carries on)",
    ),
    Column.every_row("software_doublings", log2(S), "doublings", "log2 S_t", FIXED),
    Column(
        "pace",
        Const(0),
        doublings - doublings.prev,
        "doublings/day",
        "Pace of progress: software doublings on day t (0 on day 0)",
        "0.0000",
    ),
    Column(
        "pace_doublings",
        Const(0),
        max_(
            pace_level.prev,
            if_(isnumber(pace), if_(gt(pace, 0), int_(log2(pace / Cell("pace", 1))), pace_level.prev), pace_level.prev),
        ),
        "doublings",
        "Whole doublings of the pace since day 1 (running maximum)",
    ),
)


def _variant(
    name: str, sheet: str, description: str, labour_equation: Expr, extra: tuple[Column, ...], flop: Col | None = None
) -> Table:
    return Table(
        name,
        sheet,
        description,
        _research_and_software(labour_equation, flop) + extra + DIAGNOSTICS,
        rows_from="horizon_days",
        highlight="reached_infinity",
    )


E_dep, G, g, deployed, S_start = (
    Col("deployed_flop"),
    Col("training_run_flop"),
    Col("training_progress"),
    Col("deployed"),
    Col("run_software"),
)

TABLES = (
    _variant("no_retraining", "No retraining", "Better algorithms apply at once to the running AIs: L_t = S_t.", S, ()),
    _variant(
        "continuous_retraining",
        "Continuous retraining",
        "A share phi of compute keeps training the model; labour follows its effective FLOP: L_t = E_t / E0.",
        E / E0,
        (
            Column(
                "effective_flop",
                E0,
                held("effective_flop", accumulated(E.prev, phi * C, S.prev)),
                "FLOP",
                "Cumulative effective training FLOP E_{t+1} = E_t + phi C S_t (at most 1e308)",
                FLOP,
            ),
        ),
        flop=E,
    ),
    _variant(
        "from_scratch",
        "From scratch",
        "Reconstruction of retraining from scratch (generations): a run uses the software of the day it "
        "started and is deployed at upgrade_factor x the deployed model.",
        E_dep / E0,
        (
            Column(
                "training_progress",
                Const(0),
                held("training_progress", accumulated(G.prev, phi * C, S_start.prev)),
                "FLOP",
                "Effective FLOP of the run in progress before a deployment check: G_{t-1} + phi C S_start "
                "(at most 1e308)",
                FLOP,
            ),
            Column(
                "deployed",
                Const(0),
                if_(or_(reached.prev, ge(g, FLOP_CAP)), 0, if_(ge(g, Name("upgrade_factor") * E_dep.prev), 1, 0)),
                "flag",
                "1 on the day a run is deployed (none at 1e308 FLOP or after infinity)",
            ),
            Column(
                "training_run_flop",
                Const(0),
                held("training_run_flop", if_(deployed, 0, g)),
                "FLOP",
                "Effective FLOP of the run in progress (0 after a deployment)",
                FLOP,
            ),
            Column(
                "deployed_flop",
                E0,
                held("deployed_flop", if_(deployed, g, E_dep.prev)),
                "FLOP",
                "Effective FLOP of the deployed model E_dep",
                FLOP,
            ),
            Column(
                "run_software",
                S,
                held("run_software", if_(deployed, S, S_start.prev)),
                "x day 0",
                "Software efficiency frozen when the run in progress started",
                FLOP,
            ),
        ),
        flop=g,
    ),
)

VARIANTS = tuple(t.name for t in TABLES)


def _until_infinity(table: Table, value: Expr) -> Expr:
    """``value`` of ``table`` on this row's day, ``#N/A`` from the day the
    table reaches infinity on (a chart skips #N/A, so its line stops there)."""
    row = Col("day") + 1
    return if_(eq(index(table.range("reached_infinity"), row), 1), na(), value)


def _plotted(table: Table, column: str) -> Expr:
    return index(table.range(column), Col("day") + 1)


CHART_DATA = Table(
    "chart_data",
    "Chart data",
    "What the charts plot, row by row from the day-by-day sheets: #N/A (a gap in the chart's line) "
    "from the day a variant reaches infinity_cap.",
    (
        Column("day", Const(0), Col("day").prev + 1, "day", "Day index t"),
        *(
            Column.every_row(
                f"{t.name}_software_doublings",
                _until_infinity(t, _plotted(t, "software_doublings")),
                "doublings",
                f"{t.sheet}: software doublings since day 0, log2 S_t (#N/A once infinite)",
                FIXED,
            )
            for t in TABLES
        ),
        *(
            Column.every_row(
                f"{t.name}_log10_flop",
                _until_infinity(t, log10(_plotted(t, column))),
                "log10 FLOP",
                f"{t.sheet}: log10 of the deployed model's effective training FLOP (#N/A once infinite)",
                FIXED,
            )
            for t, column in ((TABLES[1], "effective_flop"), (TABLES[2], "deployed_flop"))
        ),
    ),
    rows_from="horizon_days",
)
FLOP_DAYS = (60, 100, 200)


def _variant_outputs(table: Table) -> tuple[Scalar, ...]:
    v = table.name
    days = Name(f"{v}_days_to_infinity")
    sd, level = table.range("software_doublings"), table.range("pace_doublings")
    return (
        Scalar(
            f"{v}_days_to_infinity",
            number_or(match(1, table.range("reached_infinity")) - 1, NOT_REACHED),
            "days",
            f"{table.sheet}: first day with S >= infinity_cap ({NOT_REACHED}: not within horizon_days)",
            kind="integer",
            report_as=("variants", v, "days_to_infinity"),
        ),
        Scalar(
            f"{v}_months_to_infinity",
            number_or(days / Name("days_per_month"), NOT_REACHED),
            "months",
            f"{table.sheet}: months to infinity",
            FIXED,
            label=f"{table.sheet.lower()}: months to infinity",
            report_as=("variants", v, "months_to_infinity"),
        ),
        Scalar(
            f"{v}_measured_doublings_per_pace_doubling",
            number_or(index(sd, match(2, level)) - index(sd, match(1, level)), "not measured"),
            "doublings",
            f"{table.sheet}: software doublings while the pace goes from 2x to 4x its day-1 value "
            "(not measured: the pace does not double twice before infinity)",
            FIXED,
            label=f"measured doublings per pace doubling, {table.sheet.lower()}" if v != "from_scratch" else "",
            report_as=("variants", v, "measured_doublings_per_pace_doubling"),
        ),
    )


def _flop_outputs() -> tuple[Scalar, ...]:
    effective, infinite = TABLES[1].range("effective_flop"), TABLES[1].range("reached_infinity")
    return tuple(
        Scalar(
            f"effective_flop_day_{d}",
            number_or(
                if_(or_(index(infinite, d), ge(index(effective, d + 1), FLOP_CAP)), na(), index(effective, d + 1)),
                INFINITE,
            ),
            "FLOP",
            f"Continuous retraining: cumulative effective training FLOP on day {d} "
            f"({INFINITE}: the variant reached infinity before, or the FLOP reached 1e308)",
            FLOP,
            label=f"effective FLOP on day {d}",
            report_as=("variants", "continuous_retraining", "effective_flop", str(d)),
        )
        for d in FLOP_DAYS
    )


_months = {v: Name(f"{v}_months_to_infinity") for v in VARIANTS}

OUTPUTS = (
    *(s for t in TABLES for s in _variant_outputs(t)),
    Scalar(
        "retraining_multiplier",
        number_or(_months["continuous_retraining"] / _months["no_retraining"], NOT_REACHED),
        "x",
        "Months to infinity with continuous retraining / without",
        FIXED,
        label="retraining multiplier (continuous / none)",
        report_as=("retraining_multiplier",),
    ),
    Scalar(
        "from_scratch_multiplier",
        number_or(_months["from_scratch"] / _months["no_retraining"], NOT_REACHED),
        "x",
        "Months to infinity retraining from scratch / without",
        FIXED,
        report_as=("from_scratch_multiplier",),
    ),
    Scalar(
        "doublings_before_pace_doubles",
        number_or(theory.doublings_before_pace_doubles(r), UNDEFINED),
        "doublings",
        f"N = r / (r - 1): software doublings before the pace doubles (lambda = 1; {UNDEFINED} for r <= 1)",
        FIXED,
        label="N = r/(r-1), doublings before the pace doubles",
        report_as=("doublings_before_pace_doubles",),
    ),
    *_flop_outputs(),
    Scalar(
        "deployments",
        count_equal(TABLES[2].range("deployed"), 1),
        "count",
        "From scratch: runs deployed within the horizon",
        kind="integer",
        label="from-scratch deployments",
    ),
)

lam = Name("parallelisation_exponent")
_q = Name("theory_doubling_time_exponent")
_N = Name("theory_doublings_before_pace_doubles")
CHECKS: tuple[Scalar, ...] = (
    Scalar(
        "theory_doublings_before_pace_doubles",
        number_or(theory.doublings_before_pace_doubles(r, lam), UNDEFINED),
        "doublings",
        f"N = r / (lambda (r - 1)); {UNDEFINED} when r <= 1",
        FIXED,
    ),
    Scalar(
        "theory_doubling_time_exponent",
        theory.doubling_time_exponent(r, lam),
        "",
        "q = lambda (1/r - 1) = -1/N",
        "0.0000",
    ),
    Scalar(
        "theory_retraining_exponent",
        theory.retraining_exponent(_q),
        "",
        "q_retrain = q / (1 + |q|) (serial-step rule)",
        "0.0000",
    ),
    Scalar("theory_doublings_with_retraining", number_or(_N + 1, UNDEFINED), "doublings", "N_retrain = N + 1", FIXED),
    Scalar(
        "theory_retraining_slowdown",
        number_or(theory.retraining_slowdown(_N), UNDEFINED),
        "x",
        "(1 - 2^(-1/N)) / (1 - 2^(-1/(N+1))): about 1.19 for N = 5",
        "0.000",
    ),
    Scalar(
        "theory_blow_up_days",
        number_or(theory.blow_up_days(r, T_R), UNDEFINED),
        "days",
        "Continuous time, no retraining: x' = x^r / T_R blows up at T_R / (r - 1)",
        FIXED,
    ),
    Scalar(
        "theory_blow_up_months",
        number_or(Name("theory_blow_up_days") / Name("days_per_month"), UNDEFINED),
        "months",
        "The same in months",
        FIXED,
    ),
    Scalar(
        "sheet_over_blow_up",
        number_or(Name("no_retraining_days_to_infinity") / Name("theory_blow_up_days"), UNDEFINED),
        "x",
        "Day-by-day sheet / continuous blow-up (the daily recursion reaches its cap a little later)",
        "0.000",
    ),
    Scalar(
        "returns_above_threshold",
        if_(gt(r, Name("fast_returns_threshold")), 1, 0),
        "flag",
        "1 when r exceeds fast_returns_threshold",
    ),
)

CHECKS = tuple(replace(c, report_as=("theory", c.name)) for c in CHECKS)

PRESETS: dict[str, dict[str, float]] = {
    "note-default": {"research_returns": 1.5, "initial_doubling_days": 35, "initial_training_days": 100},
    "N4.3": {"research_returns": 1.3, "initial_doubling_days": 42, "initial_training_days": 100},
    "N3": {"research_returns": 1.5, "initial_doubling_days": 36, "initial_training_days": 100},
    "N2": {"research_returns": 2, "initial_doubling_days": 33, "initial_training_days": 100},
    "N1.5": {"research_returns": 3, "initial_doubling_days": 15, "initial_training_days": 100},
}

#: Days on the x axis of both charts (ticks every 100 days).
DAYS_AXIS = Axis("Time (days since day 0)", min=0, major_unit=100, number_format="0")

MODEL = Model(
    name="retraining",
    title="Software intelligence explosion with and without retraining",
    summary=__doc__ or "",
    sources=(SOURCE, THEORY_SOURCE, "Equations: " + RECONSTRUCTION),
    parameters=PARAMETERS,
    derived=DERIVED,
    tables=(*TABLES, CHART_DATA),
    outputs=OUTPUTS,
    checks=CHECKS,
    presets=PRESETS,
    uncertainty=Uncertainty(),
    listings=(
        RowListing(
            "deployment_days",
            "from_scratch",
            "deployed",
            "day",
            "From scratch: the days a run is deployed",
            report_as=("variants", "from_scratch", "deployments"),
        ),
    ),
    charts=(
        Chart(
            "Software: doublings since day 0, up to the day each variant reaches infinity",
            "Software chart",
            tuple(Series("chart_data", f"{t.name}_software_doublings", t.sheet) for t in TABLES),
            DAYS_AXIS,
            Axis("Software (doublings since day 0; axis cut at 40)", min=0, max=40, major_unit=5, number_format="0"),
        ),
        Chart(
            "Effective training FLOP of the deployed model, up to the day each variant reaches infinity",
            "FLOP chart",
            (
                Series("chart_data", "continuous_retraining_log10_flop", "Continuous retraining (effective FLOP)"),
                Series("chart_data", "from_scratch_log10_flop", "From scratch (deployed run's effective FLOP)"),
            ),
            DAYS_AXIS,
            Axis(
                "Effective training FLOP (log10 FLOP; axis cut at 40)", min=29, max=40, major_unit=1, number_format="0"
            ),
        ),
    ),
).validate()
