"""Overhang-pools model: the post's published figures, an identity read off the
solver's columns, a hand-written loop of the post's rules, bad input, the CLI
and the live workbook checked cell by cell by a second engine."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from pysie.cli import main, run_model
from pysie.compare import check_workbook
from pysie.excel.layout import COMPARE, Layout
from pysie.models.overhang import MODEL, PRESETS
from pysie.solver import solve
from pysie.spec import InputError
from tests.conftest import COARSE, REPO

#: Published (the post) and reconstructed (pysie/models/overhang.py docstring) figures,
#: with the tolerances the spec states.
PUBLISHED = {"baseline": 25.53, "invest-x3": 27.97}
TAKEOFF_YEAR = 2039.7
SPEED_TOL, YEAR_TOL = 0.3, 0.2


def post_rules(mult: float, asymmetry: int, horizon: float = 40, step: float = 0.1) -> dict[str, list[float]]:
    """The post's rules typed out as a plain loop (from the module docstring's equations),
    with the default parameters: an oracle independent of the declaration."""
    P, delay = [4.0, 9.0, 12.0], [10.0, 10.0, 1.0]
    c0, c1, c2, threshold, start, index0 = 0.0037, 0.37, 1 / 33, 36.0, 24.0, 4.0
    R, took = [1.0, 1.0, 1.0], False
    out: dict[str, list[float]] = {
        "capability": [],
        "takeoff": [],
        "speed": [],
        "investment_remaining": [],
        "hardware_remaining": [],
        "software_remaining": [],
    }
    for _ in range(round(horizon / step) + 1):
        capability = start + P[0] * (1 - R[0]) + P[1] * (1 - R[1]) + P[2] * (1 - R[2])
        took = took or capability >= threshold
        rates = []
        for i in range(3):
            if took:
                r = c1 / delay[i]
                if asymmetry and i == 2:
                    # numpy's vectorised pow can differ from the C library's by one ulp;
                    # an array pow keeps the comparison exact (a float detail, not a rule)
                    r *= c2 * float(np.power(np.power(10.0, np.array([index0 + P[0] * (1 - R[0])])), 0.25)[0])
            else:
                r = c0 * (mult if i == 0 else 1)
            rates.append(min(r, 1.0))
        speed = sum(P[i] * R[i] * rates[i] for i in range(3)) / step
        for name, value in zip(
            ("capability", "takeoff", "speed", "investment_remaining", "hardware_remaining", "software_remaining"),
            (capability, float(took), speed, *R),
            strict=False,
        ):
            out[name].append(float(value))
        R = [R[i] * (1 - rates[i]) for i in range(3)]
    return out


@pytest.fixture(scope="module")
def presets() -> dict[str, object]:
    return {name: solve(MODEL, MODEL.resolve(name)) for name in PRESETS}


@pytest.mark.parametrize("preset", sorted(PUBLISHED))
def test_calibration_to_the_published_speeds(presets: dict, preset: str) -> None:
    assert presets[preset].value("max_takeoff_speed") == pytest.approx(PUBLISHED[preset], abs=SPEED_TOL)


def test_baseline_takeoff_is_close_to_2040(presets: dict) -> None:
    assert presets["baseline"].value("takeoff_year") == pytest.approx(TAKEOFF_YEAR, abs=YEAR_TOL)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_speed_is_ten_times_the_capability_gained_next_step(presets: dict, preset: str) -> None:
    s = presets[preset]
    capability, speed = s.column("overhang", "capability"), s.column("overhang", "speed")
    assert s.value("step_years") == 0.1
    np.testing.assert_allclose(speed[:-1], 10 * np.diff(capability), rtol=0, atol=1e-9)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_constant_pool_equals_the_posts_rules_exactly(presets: dict, preset: str) -> None:
    s = presets[preset]
    oracle = post_rules(PRESETS[preset]["pre_takeoff_investment_multiplier"], PRESETS[preset]["asymmetry"])
    for name, expected in oracle.items():
        np.testing.assert_array_equal(s.column("overhang", name), np.array(expected), err_msg=f"{preset}: {name}")
    assert s.value("max_takeoff_speed") == max(oracle["speed"])


def test_a_growing_investment_pool_leaves_more_at_takeoff_without_front_loading() -> None:
    grow = {"investment_pool_doubling_years": 2}
    base, x3 = (solve(MODEL, MODEL.resolve(p, grow)) for p in ("baseline", "invest-x3"))
    assert base.value("investment_remaining_at_takeoff") > x3.value("investment_remaining_at_takeoff")
    # the growth adds to what is left: more remains than with a constant pool
    assert base.value("investment_remaining_at_takeoff") > solve(MODEL, MODEL.resolve("baseline")).value(
        "investment_remaining_at_takeoff"
    )
    s = base
    np.testing.assert_allclose(
        s.column("overhang", "speed")[:-1], 10 * np.diff(s.column("overhang", "capability")), atol=1e-9
    )


BAD = [
    ({"investment_pool_oom": -1}, "investment_pool_oom"),
    ({"hardware_pool_oom": -0.5}, "hardware_pool_oom"),
    ({"software_delay_months": 0}, "software_delay_months"),
    ({"step_years": 0.3}, "step_years"),
]


@pytest.mark.parametrize("overrides,name", BAD)
def test_bad_values_are_refused_naming_the_parameter(
    overrides: dict, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match=name):
        MODEL.resolve("baseline", overrides)
    ((key, value),) = overrides.items()
    assert main(["run", "overhang", "--set", f"{key}={value}"]) == 2
    assert name in capsys.readouterr().err


def test_json_report_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "overhang", "--preset", "invest-x3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "overhang" and result["parameters"]["pre_takeoff_investment_multiplier"] == 3
    assert set(result["remaining_at_takeoff"]) == {"investment", "hardware", "software"}
    assert result["max_takeoff_speed"] == pytest.approx(PUBLISHED["invest-x3"], abs=SPEED_TOL)
    assert result["max_speed_year"] >= result["takeoff_year"] > 2030
    assert "message" not in result


def test_no_takeoff_within_the_horizon_is_null_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "overhang", "--set", "horizon_years=10", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["takeoff_year"] is None and result["remaining_at_takeoff"] == {
        "investment": None,
        "hardware": None,
        "software": None,
    }
    assert "no takeoff" in result["message"]
    assert result["max_takeoff_speed"] is not None  # the pre-takeoff maximum still exists


# --- workbooks ---------------------------------------------------------------


@pytest.fixture
def coarse_book(coarse_overhang_book: Path) -> Path:
    """The session's overhang workbook at COARSE steps, which keep the formulas engine
    to a few seconds (the cell-by-cell comparison does not depend on the step)."""
    return coarse_overhang_book


def test_compare_sheet_holds_formulas_over_each_presets_sheet(coarse_book: Path) -> None:
    book = openpyxl.load_workbook(coarse_book)
    layout = Layout.of(MODEL, MODEL.resolve("baseline", COARSE))
    cell = layout.compare_outputs[("invest-x3-asymmetry", "max_takeoff_speed")]
    speed = layout.table_letters["overhang"]["speed"]
    # 21 rows from row 3
    assert book[COMPARE][cell].value == f"=MAX('Steps (invest-x3-asymmetry)'!${speed}$3:${speed}$23)"
    rate = book["Steps (invest-x3)"][layout.table_cell("overhang", "investment_rate", 1)].value
    assert rate == "=MIN(IF(H4,takeoff_rate_constant/investment_delay_months,pre_takeoff_rate*'Compare'!$C$4),1)"
    assert layout.compare_inputs[("invest-x3", "pre_takeoff_investment_multiplier")] == "C4"
    cached = openpyxl.load_workbook(coarse_book, data_only=True)[COMPARE][cell].value
    assert cached == solve(MODEL, MODEL.resolve("invest-x3-asymmetry", COARSE)).value("max_takeoff_speed")


@pytest.mark.slow
def test_an_edited_preset_input_is_read_back_and_a_broken_preset_cell_is_named(
    coarse_book: Path, tmp_path: Path
) -> None:
    """One formulas-package recalculation for three claims: the package agrees
    with the solver in every formula cell, those of the five preset sheets
    included; the preset input edited on the Compare sheet is what the check
    solves with (else every cell of that preset's sheet would differ); and one
    speed cell off by 0.1% on another preset's sheet is the one difference reported."""
    edited = tmp_path / "edited.xlsx"
    shutil.copy(coarse_book, edited)
    book = openpyxl.load_workbook(edited)
    layout = Layout.of(MODEL, MODEL.resolve("baseline", COARSE))
    assert sum(1 for _ in layout.formula_cells()) == 5 * 21 * len(MODEL.tables[0].columns) + 5 * len(
        MODEL.outputs
    ) + len(MODEL.derived)
    book[COMPARE][layout.compare_inputs[("baseline", "pre_takeoff_investment_multiplier")]] = 2
    ws = book["Steps (invest-x3)"]
    cell = layout.table_cell("overhang", "speed", 17)
    ws[cell] = ws[cell].value + "*1.001"
    book.save(edited)  # no cached values left: the engine recomputes everything
    report = check_workbook(edited, engine="formulas")
    assert report.compared == sum(1 for _ in layout.formula_cells()) and not report.missing_formulas
    assert [(d.sheet, d.cell, d.variable, d.row) for d in report.differences] == [
        ("Steps (invest-x3)", cell, "speed", 17)
    ]
    baseline = solve(MODEL, MODEL.resolve("baseline", COARSE))
    doubled = solve(MODEL, MODEL.resolve("baseline", {**COARSE, "pre_takeoff_investment_multiplier": 2}))
    assert baseline.value("max_takeoff_speed") != doubled.value("max_takeoff_speed")  # the edit matters


@pytest.mark.slow
@pytest.mark.libreoffice
def test_a_broken_cell_fails_in_libreoffice(coarse_book: Path, tmp_path: Path) -> None:
    """The deliberate break of the LibreOffice comparison (the shipped workbook itself agrees
    with LibreOffice cell by cell in tests/test_templates_libreoffice.py, one shared
    recalculation per workbook): one capability cell of the coarse book off by 0.01."""
    broken = tmp_path / "broken.xlsx"
    shutil.copy(coarse_book, broken)
    book = openpyxl.load_workbook(broken)
    cell = Layout.of(MODEL, MODEL.resolve("baseline", COARSE)).table_cell("overhang", "capability", 17)
    book["Steps"][cell] = book["Steps"][cell].value + "+0.01"  # one capability cell
    book.save(broken)
    report = check_workbook(broken, engine="libreoffice")
    first = report.differences[0]
    assert (first.sheet, first.cell, first.variable, first.row) == ("Steps", cell, "capability", 17)


def test_readme_lists_the_presets_as_the_solver_computes_them() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (baseline|invest-x3|baseline-asymmetry|invest-x3-asymmetry) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|",
        readme,
        flags=re.M,
    )
    assert sorted(r[0] for r in rows) == sorted(PRESETS)
    for preset, speed, year, takeoff in rows:
        result = run_model("overhang", preset, {})
        assert result["max_takeoff_speed"] == pytest.approx(float(speed), abs=0.005)
        assert result["max_speed_year"] == pytest.approx(float(year), abs=0.05)
        assert result["takeoff_year"] == pytest.approx(float(takeoff), abs=0.05)
        assert math.isfinite(result["max_takeoff_speed"])
