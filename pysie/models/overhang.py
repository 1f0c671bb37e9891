"""Overhang pools and the maximum takeoff speed.

Source: "An illustrative model of backfire risks from pausing AI research",
LessWrong, November 2023. The post's spreadsheet is not recoverable; these
rules are pysie's reconstruction, stated below, which reproduces the post's
published numbers (maximum takeoff speed 25.5 OOM/year in the baseline,
28 when investment is consumed 3x faster before takeoff; takeoff near 2040).

Capability (log10 effective compute) is the start value plus the orders of
magnitude (OOM) consumed from three pools, investment (inv), hardware (hw) and
software (sw), of sizes P_i. R_i is the share of pool i remaining; row k+1
follows from row k (t = start_year + k * step_years):

* capability  C_k = C_0 + sum_i P_i (1 - R_i,k) (+ the investment pool's growth)
* takeoff     T_k = T_{k-1} OR C_k >= takeoff_threshold_oom (latched, applies in row k)
* rate        r_i,k = c0 before takeoff (investment: c0 x pre_takeoff_investment_multiplier),
              c1 / delay_i after; with the asymmetry switch the software rate after
              takeoff is multiplied by c2 (10^(I_0 + OOM of investment consumed))^(1/4);
              every rate is capped at 1
* speed       s_k = sum_i P_i R_i,k r_i,k / step_years   (OOM/year)
* pools       R_i,k+1 = R_i,k (1 - r_i,k)

Extension (from the post's comments): with ``investment_pool_doubling_years``
= d > 0 the investment pool grows as P_inv(t) = P_inv + log10(2) (t - start_year) / d.
The growth g = log10(2)/d OOM/year adds to what is left: R_inv is then the OOM
remaining as a share of the starting pool (it can exceed 1),
R_inv,k+1 = R_inv,k (1 - r_inv,k) + g step / P_inv, and the OOM consumed is
P_inv (1 - R_inv,k) + g (t - start_year). With d = 0, g = 0 and every number
equals the post's rules exactly.
"""

from __future__ import annotations

from pysie.distributions import Distribution, LogUniform, Uniform
from pysie.expr import Col, Const, Expr, Name, column_max, eq, ge, if_, index, log10, match, min_, number_or, or_
from pysie.spec import Axis, Chart, Column, Model, Parameter, Scalar, Series, Table, Uncertainty

SOURCE = '"An illustrative model of backfire risks from pausing AI research", LessWrong, November 2023'
RECONSTRUCTION = "pysie's reconstruction of the post's model, fitted to its published results"

#: Default distributions of ``pysie mc`` (independent). The post gives point values only: these ranges
#: are pysie's illustration (pools a quarter either side, delays a factor of two either side).
NO_RANGE = "the post gives a point value only; this range is pysie's illustrative choice"
DISTRIBUTIONS: dict[str, Distribution] = {
    "investment_pool_oom": Uniform(3.0, 5.0, source=NO_RANGE),
    "hardware_pool_oom": Uniform(6.75, 11.25, source=NO_RANGE),
    "software_pool_oom": Uniform(9.0, 15.0, source=NO_RANGE),
    "investment_delay_months": LogUniform(5.0, 20.0, source=NO_RANGE),
    "hardware_delay_months": LogUniform(5.0, 20.0, source=NO_RANGE),
    "software_delay_months": LogUniform(0.5, 2.0, source=NO_RANGE),
}
COMMENTS = f"{SOURCE}, comments (the dollar overhang grows as spending on AI chips grows)"

POOLS = ("investment", "hardware", "software")
FIXED = "0.00"
SHARE = "0.0000"

PARAMETERS = (
    Parameter(
        "investment_pool_oom",
        4,
        "OOM",
        "Size of the investment overhang P_inv (orders of magnitude of $ still to be spent)",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=100,
        symbol="P_inv",
        dist=DISTRIBUTIONS["investment_pool_oom"],
    ),
    Parameter(
        "hardware_pool_oom",
        9,
        "OOM",
        "Size of the hardware-efficiency (FLOP/$) overhang P_hw",
        SOURCE,
        lower=0,
        upper=100,
        symbol="P_hw",
        dist=DISTRIBUTIONS["hardware_pool_oom"],
    ),
    Parameter(
        "software_pool_oom",
        12,
        "OOM",
        "Size of the software-efficiency overhang P_sw",
        SOURCE,
        lower=0,
        upper=100,
        symbol="P_sw",
        dist=DISTRIBUTIONS["software_pool_oom"],
    ),
    Parameter(
        "investment_delay_months",
        10,
        "months",
        "Delay step of the investment pool: takeoff rate c1 / delay",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=1200,
        dist=DISTRIBUTIONS["investment_delay_months"],
    ),
    Parameter(
        "hardware_delay_months",
        10,
        "months",
        "Delay step of the hardware pool",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=1200,
        dist=DISTRIBUTIONS["hardware_delay_months"],
    ),
    Parameter(
        "software_delay_months",
        1,
        "months",
        "Delay step of the software pool",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=1200,
        dist=DISTRIBUTIONS["software_delay_months"],
    ),
    Parameter(
        "pre_takeoff_rate",
        0.0037,
        "per step",
        "c0: pre-takeoff consumption rate, share of what remains consumed per step",
        SOURCE,
        lower=0,
        upper=1,
        symbol="c0",
    ),
    Parameter(
        "takeoff_rate_constant",
        0.37,
        "per step x months",
        "c1: takeoff rate constant (100 x c0); a pool's takeoff rate is c1 / its delay in months",
        SOURCE,
        lower=0,
        upper=1000,
        symbol="c1",
    ),
    Parameter(
        "asymmetry_scale",
        1 / 33,
        "x",
        "c2: scale of the training/inference asymmetry effect on the software rate",
        SOURCE,
        lower=0,
        upper=1000,
        symbol="c2",
    ),
    Parameter(
        "takeoff_threshold_oom",
        36,
        "log10 FLOP",
        "Capability at which takeoff starts (1e36 FLOP)",
        SOURCE,
        lower=0,
        upper=100,
    ),
    Parameter(
        "start_capability_oom",
        24,
        "log10 FLOP",
        "Capability at the start",
        f"fitted; {RECONSTRUCTION}",
        lower=0,
        upper=100,
    ),
    Parameter(
        "start_year",
        2022,
        "year",
        "Year of the first row",
        f"fitted, as in the compute-centric takeoff model; {RECONSTRUCTION}",
        lower=1900,
        upper=2200,
    ),
    Parameter(
        "step_years",
        0.1,
        "years",
        "Length of one row (must divide horizon_years)",
        SOURCE,
        lower=0,
        lower_open=True,
        upper=10,
        structural=True,
    ),
    Parameter(
        "pre_takeoff_investment_multiplier",
        1,
        "x",
        "Investment pool consumed this many times faster before takeoff (3 = invest-x3)",
        SOURCE,
        lower=0,
        upper=270,
    ),
    Parameter(
        "asymmetry",
        0,
        "switch",
        "1: training/inference asymmetry speeds up the software pool during takeoff; 0: off",
        SOURCE,
        lower=0,
        upper=1,
        integer=True,
    ),
    Parameter(
        "investment_index_start_oom",
        4,
        "log10",
        "Value inside the asymmetry's fourth root at the start (log10 of the investment index)",
        f"fitted; {RECONSTRUCTION}",
        lower=-100,
        upper=100,
    ),
    Parameter(
        "horizon_years",
        40,
        "years",
        "Years simulated: rows = horizon_years / step_years + 1 (fixed when the workbook is built)",
        RECONSTRUCTION,
        lower=0,
        lower_open=True,
        upper=1000,
        structural=True,
    ),
    Parameter(
        "investment_pool_doubling_years",
        0,
        "years",
        "Doubling time of global spending on AI chips; the investment pool grows by log10(2) OOM per doubling "
        "(0: constant pool, the post's model)",
        COMMENTS,
        lower=0,
        upper=1000,
    ),
)

_n = {p.name: Name(p.name) for p in PARAMETERS}
P = {pool: _n[f"{pool}_pool_oom"] for pool in POOLS}
step = _n["step_years"]
growth = Name("investment_growth_oom_per_year")

DERIVED = (
    Scalar(
        "investment_growth_oom_per_year",
        if_(eq(_n["investment_pool_doubling_years"], 0), 0, log10(2) / _n["investment_pool_doubling_years"]),
        "OOM/year",
        "g = log10(2) / investment_pool_doubling_years (0 when that is 0: a constant pool)",
        "0.0000",
    ),
)

k, year, capability, takeoff, speed = Col("step_index"), Col("year"), Col("capability"), Col("takeoff"), Col("speed")
R = {pool: Col(f"{pool}_remaining") for pool in POOLS}
rate = {pool: Col(f"{pool}_rate") for pool in POOLS}
consumed_inv, asym_factor = Col("investment_consumed_oom"), Col("asymmetry_factor")


def _rate(pool: str) -> Expr:
    """min(IF(takeoff, c1 / delay [x asymmetry factor for software], c0 [x multiplier for investment]), 1)."""
    fast: Expr = _n["takeoff_rate_constant"] / _n[f"{pool}_delay_months"]
    slow: Expr = _n["pre_takeoff_rate"]
    if pool == "software":
        fast = fast * asym_factor
    if pool == "investment":
        slow = slow * _n["pre_takeoff_investment_multiplier"]
    return min_(if_(takeoff, fast, slow), 1)


def _remaining_next(pool: str) -> Expr:
    kept = R[pool].prev * (1 - rate[pool].prev)
    return kept + growth * step / P[pool] if pool == "investment" else kept


_threshold = ge(capability, _n["takeoff_threshold_oom"])
_capability = (
    _n["start_capability_oom"]
    + consumed_inv
    + P["hardware"] * (1 - R["hardware"])
    + P["software"] * (1 - R["software"])
)
_speed = (
    P["investment"] * R["investment"] * rate["investment"]
    + P["hardware"] * R["hardware"] * rate["hardware"]
    + P["software"] * R["software"] * rate["software"]
) / step

COLUMNS = (
    Column("year", _n["start_year"], _n["start_year"] + k * step, "year", "t = start_year + k * step_years", "0.0"),
    Column("step_index", Const(0), k.prev + 1, "step", "Row k"),
    *(
        Column(
            f"{pool}_remaining",
            Const(1),
            _remaining_next(pool),
            "share",
            f"R_{pool}: share of the {pool} pool remaining, R_k+1 = R_k (1 - rate_k)"
            + (
                " + g step / P_inv (share of the starting pool; can exceed 1 when the pool grows)"
                if pool == "investment"
                else ""
            ),
            SHARE,
        )
        for pool in POOLS
    ),
    Column(
        "investment_consumed_oom",
        P["investment"] * (1 - R["investment"]) + growth * k * step,
        P["investment"] * (1 - R["investment"]) + growth * k * step,
        "OOM",
        "OOM of investment consumed: P_inv (1 - R_inv) + g (t - start_year)",
        FIXED,
    ),
    Column(
        "capability",
        _capability,
        _capability,
        "log10 FLOP",
        "C_k = start_capability_oom + OOM consumed from the three pools",
        FIXED,
    ),
    Column(
        "takeoff",
        if_(_threshold, 1, 0),
        if_(or_(takeoff.prev, _threshold), 1, 0),
        "flag",
        "1 from the first row with capability >= takeoff_threshold_oom on (latched)",
    ),
    Column(
        "asymmetry_factor",
        if_(
            _n["asymmetry"],
            _n["asymmetry_scale"] * (10 ** (_n["investment_index_start_oom"] + consumed_inv)) ** 0.25,
            1,
        ),
        if_(
            _n["asymmetry"],
            _n["asymmetry_scale"] * (10 ** (_n["investment_index_start_oom"] + consumed_inv)) ** 0.25,
            1,
        ),
        "x",
        "With asymmetry: c2 (10^(investment_index_start_oom + OOM of investment consumed))^(1/4), else 1; "
        "multiplies the software takeoff rate",
        "0.000",
    ),
    *(
        Column(
            f"{pool}_rate",
            _rate(pool),
            _rate(pool),
            "per step",
            f"Share of what remains of the {pool} pool consumed this step",
            SHARE,
        )
        for pool in POOLS
    ),
    Column("speed", _speed, _speed, "OOM/year", "Takeoff speed: sum_i P_i R_i rate_i / step_years", "0.000"),
)

TABLE = Table(
    "overhang",
    "Steps",
    "One row per step: pools remaining, capability, takeoff flag, rates and speed.",
    COLUMNS,
    rows_from="horizon_years",
    step_from="step_years",
    highlight="takeoff",
)

_takeoff_row = Name("takeoff_row")
#: What a result cell shows where capability never reaches the threshold (reports give null).
NO_TAKEOFF = "no takeoff"
OUTPUTS = (
    Scalar(
        "max_takeoff_speed",
        column_max(TABLE.range("speed")),
        "OOM/year",
        "Maximum over the rows of the takeoff speed",
        "0.00",
        label="max takeoff speed (OOM/year)",
        report_as=("max_takeoff_speed",),
    ),
    Scalar(
        "max_speed_year",
        index(TABLE.range("year"), match(Name("max_takeoff_speed"), TABLE.range("speed"))),
        "year",
        "Year of the first row with the maximum speed",
        "0.0",
        label="year of max speed",
        kind="year",
        report_as=("max_speed_year",),
    ),
    Scalar(
        "takeoff_row",
        number_or(match(1, TABLE.range("takeoff")), NO_TAKEOFF),
        "row",
        f"1-based row of the first step with takeoff ({NO_TAKEOFF}: none within horizon_years)",
        kind="integer",
    ),
    Scalar(
        "takeoff_year",
        number_or(index(TABLE.range("year"), _takeoff_row), NO_TAKEOFF),
        "year",
        f"First year with takeoff ({NO_TAKEOFF}: none within horizon_years)",
        "0.0",
        label="takeoff year",
        kind="year",
        report_as=("takeoff_year",),
        never="no takeoff within horizon_years = {horizon_years:g}: capability stays below takeoff_threshold_oom",
    ),
    *(
        Scalar(
            f"{pool}_remaining_at_takeoff",
            number_or(index(TABLE.range(f"{pool}_remaining"), _takeoff_row), NO_TAKEOFF),
            "share",
            f"R_{pool} in the first takeoff row" + (" (share of the starting pool)" if pool == "investment" else ""),
            SHARE,
            label=f"{pool} pool remaining at takeoff (share)",
            report_as=("remaining_at_takeoff", pool),
        )
        for pool in POOLS
    ),
    *(
        Scalar(
            f"{pool}_remaining_oom_at_takeoff",
            number_or(Name(f"{pool}_remaining_at_takeoff") * P[pool], NO_TAKEOFF),
            "OOM",
            f"The {pool} pool left at takeoff in orders of magnitude: R_{pool} x {pool}_pool_oom",
            "0.00",
            report_as=("remaining_oom_at_takeoff", pool),
        )
        for pool in POOLS
    ),
)

PRESETS = {
    "baseline": {"pre_takeoff_investment_multiplier": 1, "asymmetry": 0},
    "invest-x3": {"pre_takeoff_investment_multiplier": 3, "asymmetry": 0},
    "baseline-asymmetry": {"pre_takeoff_investment_multiplier": 1, "asymmetry": 1},
    "invest-x3-asymmetry": {"pre_takeoff_investment_multiplier": 3, "asymmetry": 1},
}

#: Calendar years on the x axis of both charts, a tick every five years.
YEARS_AXIS = Axis("Year (calendar year)", major_unit=5, number_format="0")

MODEL = Model(
    name="overhang",
    title="Overhang pools and the maximum takeoff speed",
    summary=__doc__ or "",
    sources=(SOURCE, COMMENTS, "Rules: " + RECONSTRUCTION),
    parameters=PARAMETERS,
    derived=DERIVED,
    tables=(TABLE,),
    outputs=OUTPUTS,
    presets=PRESETS,
    comparison=tuple(PRESETS),
    uncertainty=Uncertainty(),
    charts=(
        Chart(
            "Takeoff speed by preset (log scale)",
            "Speed chart",
            (Series("overhang", "speed", "Takeoff speed"),),
            YEARS_AXIS,
            Axis("Takeoff speed (OOM/year, log scale)", min=0.01, max=100, log=True),
            per_preset=True,
        ),
        Chart(
            "Capability by preset",
            "Capability chart",
            (Series("overhang", "capability", "Capability"),),
            YEARS_AXIS,
            Axis("Capability (log10 FLOP)", min=20, max=55, major_unit=5, number_format="0"),
            per_preset=True,
        ),
    ),
    notes=(
        "Compare sheet: the four presets side by side, each computed live on its own 'Steps (preset)' sheet "
        "from the Inputs sheet and the preset's own cells.",
        "Front-loading investment (invest-x3) uses up the investment overhang before takeoff, which comes "
        "earlier and, with hardware and software pools still full, faster.",
    ),
).validate()
