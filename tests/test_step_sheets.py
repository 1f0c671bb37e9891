"""Step sheets that stay readable after "infinity".

For every preset of every model the solver's step sheets hold numbers only
and every result is a number or its declared words; a committed workbook
recalculated by the compiled engine shows no error on any sheet but Docs.
The retraining model's ``reached_infinity`` flag is checked against an
independent loop written here in exact decimal arithmetic (no overflow, no
cap on anything but software), rows after that day hold its values, and the
shading rule marks exactly that day. Every value fits its column in the
format it is shown with (a formatter typed in here from Excel's rules).
"""

from __future__ import annotations

import datetime
import math
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from pysie.compare import agree, is_error
from pysie.excel.layout import DOCS, SUMMARY, THEORY
from pysie.excel.plan import WorkbookPlan, plan_workbook, solve_workbook
from pysie.expr import NumberOr
from pysie.models import get_model
from pysie.models.retraining import MODEL as RETRAINING
from pysie.recalc import recalculate
from pysie.solver import Solution, solve
from pysie.spec import Model
from pysie.templates import all_templates
from tests.conftest import REPO
from tests.test_render import plotted_only

TEMPLATES = {t.name: t for t in all_templates(REPO / "templates")}
WORKBOOKS = REPO / "workbooks"


def _cases() -> list[tuple[str, str]]:
    """(template, preset) for every preset of every template's model."""
    return [(name, preset) for name, t in TEMPLATES.items() for preset in get_model(t.model).presets]


def _preset_values(template: str, preset: str) -> dict[str, float]:
    """A preset's values with the template's structural inputs (rows, samples, seed)."""
    t = TEMPLATES[template]
    model = get_model(t.model)
    kept = {k: v for k, v in t.values().items() if model.parameter(k).structural}
    return model.resolve(preset, kept)


def table_errors(solution: Solution, scenario: int = 0) -> list[str]:
    """``table.column@first row (count)`` of every column holding an error
    (NaN), but in tables only charts read (#N/A there is a gap in a line)."""
    out = []
    charts_only = plotted_only(solution.model)
    for table, columns in solution.tables.items():
        if table in charts_only:
            continue
        for column, values in columns.items():
            bad = np.flatnonzero(~np.isfinite(values[:, scenario]))
            if bad.size:
                out.append(f"{table}.{column}@{bad[0]} ({bad.size} rows)")
    return out


def unworded_results(model: Model, solution: Solution, scenario: int = 0) -> list[str]:
    """Results and checks that are an error and have no words to show instead."""
    return [
        s.name
        for s in model.outputs + model.checks
        if not math.isfinite(solution.value(s.name, scenario)) and not isinstance(s.expr, NumberOr)
    ]


@pytest.mark.parametrize("template, preset", _cases())
def test_no_error_in_step_sheets_or_results_for_any_preset(template: str, preset: str) -> None:
    model = get_model(TEMPLATES[template].model)
    # the tables and results only: no Monte Carlo of the Uncertainty sheet, no snapshot sheet
    solved = solve_workbook(model, _preset_values(template, preset), snapshot_numbers=False, snapshot_sheets=False)
    assert table_errors(solved.solution) == []
    assert unworded_results(model, solved.solution) == []
    if solved.presets is not None:  # the Compare sheet's copies, one scenario per compared preset
        for i, _ in enumerate(model.comparison):
            assert table_errors(solved.presets, i) == []
            assert unworded_results(model, solved.presets, i) == []


def test_the_error_checks_can_fail() -> None:
    """Effective FLOP summed without its cap (as it was) overflows: the check
    finds the errors; a never-reached result without its words is found too."""
    from dataclasses import replace

    from pysie.expr import Col, Name

    table = RETRAINING.table("continuous_retraining")
    E, S = Col("effective_flop"), Col("software")
    raw = E.prev + Name("retraining_share") * Name("compute_per_day") * S.prev
    columns = tuple(replace(c, next=raw) if c.name == "effective_flop" else c for c in table.columns)
    broken = replace(
        RETRAINING,
        tables=(replace(table, columns=columns),),
        outputs=(),
        checks=(),
        listings=(),
        charts=(),
        grids=(),
    )
    solution = solve(broken, RETRAINING.resolve("note-default", {"horizon_days": 600}))
    assert any(e.startswith("continuous_retraining.effective_flop@") for e in table_errors(solution))
    fs = next(s for s in RETRAINING.outputs if s.name == "from_scratch_days_to_infinity")
    assert isinstance(fs.expr, NumberOr)
    bare = replace(fs, expr=fs.expr.value)
    model = replace(RETRAINING, outputs=tuple(bare if s is fs else s for s in RETRAINING.outputs))
    never = solve(RETRAINING, _preset_values("retraining", "N4.3"))  # from scratch never gets there
    assert unworded_results(model, never) == ["from_scratch_days_to_infinity"]
    assert unworded_results(RETRAINING, never) == []


# --- the day of infinity, from an independent loop -----------------------------------------------


def exact_days_to_infinity(values: dict[str, float], horizon: int) -> dict[str, int | None]:
    """First day S_t >= infinity_cap for each variant, stepped as the note
    describes (see the model docstring) in 60-digit decimals with an exponent
    range no FLOP count reaches: nothing overflows and nothing else is capped."""
    with localcontext(Context(prec=60, Emax=10**9, Emin=-(10**9))):
        r = Decimal(values["research_returns"])
        d = Decimal(values["initial_doubling_days"])
        e0 = Decimal(values["initial_training_flop"])
        c = e0 / Decimal(values["initial_training_days"])
        phi, cap, up = (
            Decimal(values["retraining_share"]),
            Decimal(values["infinity_cap"]),
            Decimal(values["upgrade_factor"]),
        )
        t_r = d / (Decimal(2) ** (1 / r) - 1)
        out: dict[str, int | None] = {}
        for variant in ("no_retraining", "continuous_retraining", "from_scratch"):
            x, e = Decimal(1), e0
            s = x**r
            g, e_dep, s_start = Decimal(0), e0, s
            found = None
            for t in range(horizon + 1):
                if t:
                    labour = {"no_retraining": s, "continuous_retraining": e / e0, "from_scratch": e_dep / e0}[variant]
                    e = e + phi * c * s
                    progress = g + phi * c * s_start
                    x = x + labour / t_r
                    s = x**r
                    if progress >= up * e_dep:
                        e_dep, s_start, g = progress, s, Decimal(0)
                    else:
                        g = progress
                if s >= cap:
                    found = t
                    break
            out[variant] = found
    return out


@pytest.mark.parametrize("preset", sorted(RETRAINING.presets))
def test_reached_flag_is_the_first_day_at_the_cap(preset: str) -> None:
    values = _preset_values("retraining", preset)
    horizon = int(values["horizon_days"])
    exact = exact_days_to_infinity(values, horizon)
    solution = solve(RETRAINING, values)
    for variant, day in exact.items():
        flag = solution.column(variant, "reached_infinity")
        expected = np.zeros(horizon + 1) if day is None else (np.arange(horizon + 1) >= day).astype(float)
        np.testing.assert_array_equal(flag, expected, err_msg=f"{preset} {variant}")
        reported = solution.value(f"{variant}_days_to_infinity")
        assert (day is None and math.isnan(reported)) or reported == day
        if day is not None:  # every row from then on holds that day's values
            for column in ("cumulative_research", "software", "labour"):
                held = solution.column(variant, column)[day:]
                assert (held == held[0]).all(), f"{preset} {variant}.{column} moves after day {day}"
            assert solution.column(variant, "software")[day] == values["infinity_cap"]


def test_the_flag_oracle_can_fail() -> None:
    """A cap ten times lower is reached earlier: the oracle tells the days apart."""
    values = _preset_values("retraining", "note-default")
    exact = exact_days_to_infinity(values, int(values["horizon_days"]))
    lower = exact_days_to_infinity({**values, "infinity_cap": 1e200}, int(values["horizon_days"]))
    assert all(lower[v] is not None and exact[v] is not None and lower[v] < exact[v] for v in exact)  # type: ignore[operator]
    assert exact["no_retraining"] != solve(RETRAINING, {**values, "infinity_cap": 1e200}).value(
        "no_retraining_days_to_infinity"
    )


def test_the_day_of_infinity_is_shaded_and_marked() -> None:
    """The committed workbook's step sheets: one rule marks the first flagged
    row, one shades every flagged row, both over the whole table."""
    from pysie.excel.layout import Layout

    book = openpyxl.load_workbook(WORKBOOKS / "retraining.xlsx")
    letters = Layout.of(RETRAINING, TEMPLATES["retraining"].values()).table_letters
    for table in (t for t in RETRAINING.tables if t.highlight):
        ws = book[table.sheet]
        letter = letters[table.name][table.highlight]
        rules = [(str(rng.sqref), rule.formula) for rng in ws.conditional_formatting for rule in rng.rules]
        last = 2 + int(TEMPLATES["retraining"].values()["horizon_days"]) + 1
        assert (
            f"A3:{ws.cell(3, len(table.columns)).column_letter}{last}",
            [f"AND(${letter}3=1,${letter}2<>1)"],
        ) in rules
        assert any(formula == [f"${letter}3=1"] for _, formula in rules)


# --- what the committed workbooks show ----------------------------------------------------------


@pytest.fixture(scope="module")
def committed_values() -> dict[str, dict[tuple[str, str], Any]]:
    return {name: recalculate(WORKBOOKS / t.filename, "compiled") for name, t in TEMPLATES.items()}


def _plan(template: str) -> WorkbookPlan:
    t = TEMPLATES[template]
    model = get_model(t.model)
    return plan_workbook(model, solve_workbook(model, t.values()), template=t.name, template_version=t.version)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_a_committed_workbook_shows_no_error_after_recalculation(
    template: str, committed_values: dict[str, dict[tuple[str, str], Any]]
) -> None:
    found = committed_values[template]
    model = get_model(TEMPLATES[template].model)
    gaps = {t.sheet for t in model.tables if t.name in plotted_only(model)}  # #N/A: where a chart's line stops
    errors = [
        f"{s}!{c} = {v}" for (s, c), v in found.items() if s != DOCS and is_error(v) and not (s in gaps and v == "#N/A")
    ]
    assert errors == []
    plan = _plan(template)
    worded = [c for c in plan.formula_cells() if c.words is not None and c.sheet in (SUMMARY, THEORY)]
    for cell in worded:  # words where the solver has none, numbers elsewhere
        assert agree(cell.expected, found[(cell.sheet, cell.cell)], words=cell.words)


def test_worded_cells_must_show_their_words() -> None:
    assert agree(math.nan, "not reached", words="not reached")
    assert not agree(math.nan, "#N/A", words="not reached")
    assert not agree(math.nan, "never", words="not reached")
    assert not agree(3.0, "not reached", words="not reached")
    assert agree(math.nan, "#N/A") and not agree(math.nan, "not reached")


# --- number formats that fit ----------------------------------------------------------------------


def shown(value: float, number_format: str) -> str:
    """What Excel shows for ``value`` in ``number_format`` (the formats pysie
    writes; another format fails the test until it is added here)."""
    fixed = {"0": 0, "0.0": 1, "0.00": 2, "0.000": 3, "0.0000": 4, "0.000000": 6}
    if number_format in fixed:
        return f"{value:.{fixed[number_format]}f}"
    if number_format == "0.00E+00":
        return f"{value:.2E}"
    if number_format == "0.0%":
        return f"{100 * value:.1f}%"
    if number_format in ("General", ""):
        text = str(int(value)) if value == int(value) and abs(value) < 1e11 else f"{value:.6g}"
        return text  # General never shows ###: it rounds to the column (at most 11 characters)
    if number_format.endswith("yyyy-mm-dd"):
        if '"after 9999-12-31"' in number_format and value >= 2958466:
            return "after 9999-12-31"
        return (datetime.date(1899, 12, 30) + datetime.timedelta(days=math.floor(value))).isoformat()
    raise AssertionError(f"number format {number_format!r} is not known to this test")


def too_wide(plan: WorkbookPlan) -> list[str]:
    """Cells whose shown text is wider than their column (a character of margin)."""
    out = []
    for sheet in plan.sheets:
        widths = {c: col.width for col in sheet.columns for c in range(col.first, col.last + 1)}
        for cell in sheet.cells:
            if cell.kind == "label" or cell.col not in widths:
                continue
            value = float(cell.expected if cell.kind == "formula" else cell.content)
            text = cell.words if not math.isfinite(value) and cell.words else None
            if text is None:
                if not math.isfinite(value):
                    continue  # an error: the tests above
                text = shown(value, cell.number_format or "General")
            if len(text) + 1 > widths[cell.col]:
                out.append(f"{sheet.name}!{cell.cell} shows {text[:24]!r} in width {widths[cell.col]}")
    return out


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_value_fits_its_column(template: str) -> None:
    assert too_wide(_plan(template))[:10] == []


def test_the_width_check_can_fail() -> None:
    assert shown(1e300, "0.00") != "###" and len(shown(1e300, "0.00")) > 300
    assert shown(3.2e6, '[>=2958466]"after 9999-12-31";yyyy-mm-dd') == "after 9999-12-31"
    assert shown(46477, '[>=2958466]"after 9999-12-31";yyyy-mm-dd') == "2027-03-31"
    with pytest.raises(AssertionError, match="not known"):
        shown(1.0, "#,##0")


@pytest.fixture(scope="module")
def short_plan() -> WorkbookPlan:
    values = RETRAINING.resolve("note-default", {"horizon_days": 200})
    return plan_workbook(RETRAINING, solve_workbook(RETRAINING, values))


def test_a_fixed_format_on_huge_values_is_caught(short_plan: WorkbookPlan, tmp_path: Path) -> None:
    from dataclasses import replace

    sheet = next(s for s in short_plan.sheets if s.name == "No retraining")
    column = next(i for i, c in enumerate(RETRAINING.table("no_retraining").columns) if c.name == "software")
    sheet.cells[:] = [replace(c, number_format="0.00") if c.col == column else c for c in sheet.cells]
    assert any(p.startswith("No retraining!D") for p in too_wide(short_plan))


# --- words in result cells: what the declaration may do with them ----------------------------------


def _with_outputs(*extra: Any) -> Model:
    from dataclasses import replace

    return replace(RETRAINING, outputs=RETRAINING.outputs + tuple(extra))


def test_a_worded_result_prints_as_isnumber_and_is_read_only_where_text_acts_as_an_error() -> None:
    from pysie.excel.layout import Layout
    from pysie.excel.printer import Where, formula
    from pysie.expr import Name, min_, number_or
    from pysie.spec import Scalar

    layout = Layout.of(RETRAINING, RETRAINING.resolve("note-default"))
    text = formula(number_or(Name("research_returns") - 1, 'say "no"'), Where(layout))
    assert text == '=IF(ISNUMBER(research_returns-1),research_returns-1,"say ""no""")'
    days = Name("no_retraining_days_to_infinity")
    with pytest.raises(ValueError, match="wrap it in number_or"):
        _with_outputs(Scalar("twice", days * 2, "days", "d")).validate()
    with pytest.raises(ValueError, match="MIN reads a result shown in words"):
        _with_outputs(Scalar("least", number_or(min_(days, 5), "x"), "days", "d")).validate()
    with pytest.raises(ValueError, match="whole expression"):
        _with_outputs(Scalar("inner", number_or(number_or(days, "x") * 2, "y"), "days", "d")).validate()
    _with_outputs(Scalar("twice", number_or(days * 2, "not reached"), "days", "d")).validate()
