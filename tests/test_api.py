"""The Python API (pysie.model, run, summary, trajectories, plot, to_workbook,
read_workbook, check_workbook): every call, each refusal, and the same numbers
as the command line (``pysie run --json`` in a separate process)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import pysie
from pysie.fileio import OutputExists
from pysie.models import MODELS
from tests.conftest import REPO
from tests.editing import cell_of, copy_book, digest, edit

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
README = (REPO / "README.md").read_text(encoding="utf-8")

#: The note's own figures (months to infinity without / with continuous retraining),
#: Davidson, Forethought, March 2025, as README quotes them.
NOTE_MONTHS = {"N4.3": (8, 27), "N3": (5, 16), "N2": (3, 10), "N1.5": (1.3, 4.6)}


def cli_json(*args: str) -> dict[str, Any]:
    """``pysie run ... --json`` in a fresh process (the API's values are computed in this one)."""
    done = subprocess.run(
        [sys.executable, "-m", "pysie.cli", "run", *args, "--json"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def as_json_values(row: pd.Series) -> dict[str, Any]:
    """A summary row as ``--json`` spells it: NaN is null, numpy scalars are Python numbers."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            out[str(key)] = None
        else:
            out[str(key)] = value.item() if isinstance(value, np.generic) else value
    return out


# --- models and their declarations -----------------------------------------------------------


def test_model_names_are_the_models_pysie_list_shows(capsys: pytest.CaptureFixture[str]) -> None:
    from pysie.cli import main

    assert main(["list"]) == 0
    listed = re.findall(r"^(\S+): ", capsys.readouterr().out, flags=re.M)
    assert pysie.model_names() == listed
    assert set(listed) == {"retraining", "milestone-takeoff", "overhang", "software-explosion"}


@pytest.mark.parametrize(("name", "nearest"), [("retrainng", "retraining"), ("Overhang", "overhang")])
def test_an_unknown_model_is_refused_naming_the_nearest(name: str, nearest: str) -> None:
    with pytest.raises(pysie.InputError, match=rf"unknown model '{name}' \(did you mean {nearest}\?\)"):
        pysie.model(name)


def test_parameters_frame_holds_each_declared_parameter() -> None:
    m = pysie.model("retraining")
    frame = m.parameters
    assert list(frame.index) == [p.name for p in MODELS["retraining"].parameters]
    assert frame.index.name == "name"
    assert {"default", "unit", "lower", "upper", "description", "source"} <= set(frame.columns)
    # the note's r = 1.5 doublings per doubling, bounded (0, 20]
    row = frame.loc["research_returns"]
    assert (row["default"], row["unit"], row["lower"], row["upper"]) == (1.5, "doublings per doubling", 0, 20)
    assert frame.loc["horizon_days", "structural"] and frame.loc["horizon_days", "integer"]
    assert frame.attrs["units"]["initial_doubling_days"] == "days"


def test_presets_are_what_each_preset_sets_and_a_copy() -> None:
    m = pysie.model("retraining")
    assert list(m.presets) == ["note-default", "N4.3", "N3", "N2", "N1.5"]
    assert m.presets["N2"]["research_returns"] == 2
    m.presets["N2"]["research_returns"] = 9.0
    assert m.presets["N2"]["research_returns"] == 2


# --- runs --------------------------------------------------------------------------------------


def test_run_with_a_sequence_gives_one_scenario_per_value() -> None:
    r = pysie.model("retraining").run(preset="N2", research_returns=[1.2, 1.5, 2.0])
    summary = r.summary()
    assert r.scenarios == 3 and len(summary) == 3
    assert list(summary.columns[:2]) == ["preset", "research_returns"]
    assert list(summary["preset"]) == ["N2"] * 3
    assert list(summary["research_returns"]) == [1.2, 1.5, 2.0]
    outputs = [s.name for s in MODELS["retraining"].outputs]
    assert list(summary.columns[2 : 2 + len(outputs)]) == outputs
    assert summary.attrs["units"]["continuous_retraining_months_to_infinity"] == "months"
    # faster software progress with larger returns to research
    months = summary["no_retraining_months_to_infinity"]
    assert months[0] > months[1] > months[2]


def test_presets_side_by_side_match_the_notes_figures() -> None:
    summary = pysie.model("retraining").run(preset=list(NOTE_MONTHS)).summary()
    assert list(summary["preset"]) == list(NOTE_MONTHS)
    for (_, row), (without, continuous) in zip(summary.iterrows(), NOTE_MONTHS.values(), strict=True):
        assert row["no_retraining_months_to_infinity"] == pytest.approx(without, rel=0.06)
        assert row["continuous_retraining_months_to_infinity"] == pytest.approx(continuous, rel=0.06)
    # only the parameters that differ among the presets are listed
    assert "research_returns" in summary.columns and "retraining_share" not in summary.columns


def test_never_is_nan_with_a_flag_and_counted_by_describe() -> None:
    r = pysie.model("retraining").run(preset=["N4.3", "N2"])
    summary = r.summary()
    # N4.3 retrained from scratch does not reach infinity within 1,100 days (README's table)
    assert math.isnan(summary.loc[0, "from_scratch_months_to_infinity"])
    assert list(summary["from_scratch_months_to_infinity_never"]) == [True, False]
    assert not summary["no_retraining_months_to_infinity_never"].any()
    assert summary["from_scratch_months_to_infinity_never"].dtype == bool
    described = r.describe()
    assert described.loc["never", "from_scratch_months_to_infinity"] == 1
    assert described.loc["count", "from_scratch_months_to_infinity"] == 1
    assert described.loc["never", "no_retraining_months_to_infinity"] == 0
    assert "from_scratch_months_to_infinity_never" not in r.summary(never=False).columns


def test_dates_are_iso_text_as_the_command_line_shows_them() -> None:
    summary = pysie.model("milestone-takeoff").run(samples=200).summary()
    sar = summary.loc[0, "point_sar_date"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", sar)
    assert pd.to_datetime(summary["point_sar_date"]).dt.year.iloc[0] == 2027
    assert summary.loc[0, "point_sar_date"] < summary.loc[0, "point_siar_date"] < summary.loc[0, "point_asi_date"]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_api_and_command_line_give_identical_numbers_at_the_defaults(name: str) -> None:
    r = pysie.model(name).run()
    cli = cli_json(name)
    assert as_json_values(r.summary(never=False).iloc[0]) == cli["outputs"]
    assert r.report() == cli


def test_the_comparison_with_the_command_line_sees_a_last_digit_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deliberate break of the comparison above: one output off by one part in 1e12."""
    import pysie.api

    original = pysie.api.output_value

    def nudged(solution: Any, scalar: Any, scenario: int = 0) -> Any:
        value = original(solution, scalar, scenario)
        return value * (1 + 1e-12) if scalar.name == "retraining_multiplier" else value

    monkeypatch.setattr(pysie.api, "output_value", nudged)
    api = as_json_values(pysie.model("retraining").run().summary(never=False).iloc[0])
    cli = cli_json("retraining")["outputs"]
    assert api != cli
    assert [k for k in api if api[k] != cli[k]] == ["retraining_multiplier"]


def test_api_and_command_line_agree_for_each_scenario_of_a_run() -> None:
    values = [1.2, 1.7]
    r = pysie.model("retraining").run(preset="N3", research_returns=values, retraining_share=0.25)
    summary = r.summary(never=False)
    for i, value in enumerate(values):
        cli = cli_json(
            "retraining", "--preset", "N3", "--set", f"research_returns={value}", "--set", "retraining_share=0.25"
        )
        row = as_json_values(summary.iloc[i])
        assert (row.pop("preset"), row.pop("research_returns")) == ("N3", value)
        assert row == cli["outputs"]


def test_trajectories_are_tidy_and_agree_with_the_results() -> None:
    r = pysie.model("retraining").run(horizon_days=300, research_returns=[1.5, 2.5])
    days = r.trajectories("continuous_retraining")
    columns = [c.name for c in MODELS["retraining"].table("continuous_retraining").columns]
    assert list(days.columns) == ["scenario", "step", *columns]
    assert len(days) == 2 * 301
    steps = days.groupby("scenario")["step"].agg(["min", "max", "count"])
    assert steps.to_dict("index") == {0: {"min": 0, "max": 300, "count": 301}, 1: {"min": 0, "max": 300, "count": 301}}
    np.testing.assert_array_equal(
        days.query("scenario == 1")["software"], r.solution.column("continuous_retraining", "software", 1)
    )
    assert (days["day"] == days["step"]).all()  # one row per day from day 0
    assert (
        days.attrs["units"]["software"] == MODELS["retraining"].table("continuous_retraining").column("software").unit
    )
    # the first day infinity is reached, found in the frame, is the declared result
    first = days[days["reached_infinity"] == 1].groupby("scenario")["day"].min()
    summary = r.summary()
    for scenario, day in first.items():
        assert summary.loc[scenario, "continuous_retraining_days_to_infinity"] == day


def test_trajectories_row_column_is_named_row_when_the_noun_is_a_column() -> None:
    days = pysie.model("milestone-takeoff").run(samples=50, path_days=320).trajectories("samples")
    assert list(days.columns[:3]) == ["scenario", "row", "sample"]
    assert len(days) == 50


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"research_return": 1.5}, r"has no parameter 'research_return' \(did you mean research_returns\?\)"),
        (
            {"research_returns": math.nan},
            r"research_returns: nan is not a finite number \(allowed: finite numbers in \(0, 20\]",
        ),
        (
            {"research_returns": [1.5, math.inf]},
            r"research_returns \(scenario 1\): inf is not a finite number \(allowed",
        ),
        ({"research_returns": 25}, r"research_returns: 25 is outside its bounds \(0, 20\] doublings per doubling"),
        (
            {"horizon_days": 300.5},
            r"horizon_days: a whole number is needed, found 300\.5 \(allowed: whole numbers in \[200, ",
        ),
        ({"horizon_days": [300, 400]}, r"horizon_days: a structural parameter .* must be the same in every scenario"),
        (
            {"research_returns": [1.2, 1.5], "retraining_share": [0.1, 0.2, 0.3]},
            r"research_returns has 2, retraining_share has 3",
        ),
        ({"research_returns": []}, r"research_returns: a number or a 1-D array is needed, found no scenarios"),
        ({"research_returns": True}, r"research_returns: a number is needed, found True"),
    ],
)
def test_run_refuses_bad_values_naming_the_parameter(values: dict[str, Any], message: str) -> None:
    with pytest.raises(pysie.InputError, match=message):
        pysie.model("retraining").run(**values)


def test_run_refuses_an_unknown_preset_naming_the_nearest() -> None:
    m = pysie.model("retraining")
    with pytest.raises(pysie.InputError, match=r"no preset 'n2' \(did you mean N2\?\)"):
        m.run(preset="n2")
    with pytest.raises(pysie.InputError, match="preset: a preset name or a list of them is needed, found 3"):
        m.run(preset=3)  # type: ignore[arg-type]
    with pytest.raises(pysie.InputError, match="preset is an empty list"):
        m.run(preset=[])
    with pytest.raises(pysie.InputError, match="preset has 2, research_returns has 3"):
        m.run(preset=["N2", "N3"], research_returns=[1.2, 1.5, 2.0])


def test_a_list_of_presets_and_sequences_pair_up_by_scenario() -> None:
    r = pysie.model("retraining").run(preset=["N2", "N3"], research_returns=[1.2, 1.3], retraining_share=0.3)
    parameters = r.parameters()
    assert parameters["initial_doubling_days"].tolist() == [33, 36]  # each preset's own value
    assert parameters["research_returns"].tolist() == [1.2, 1.3]  # the sequence over the presets' values
    assert parameters["retraining_share"].tolist() == [0.3, 0.3]
    summary = r.summary()
    assert list(summary.columns[:4]) == [
        "preset",
        "research_returns",
        "initial_doubling_days",
        "no_retraining_days_to_infinity",
    ]
    assert summary["preset"].tolist() == ["N2", "N3"] and "retraining_share" not in summary.columns
    assert r.label(1) == "N3, research_returns=1.3, initial_doubling_days=36"


def test_trajectories_refuse_an_unknown_table_and_a_run_without_them() -> None:
    m = pysie.model("retraining")
    with pytest.raises(pysie.InputError, match=r"no table 'continuous' \(did you mean continuous_retraining"):
        m.run().trajectories("continuous")
    light = m.run(research_returns=[1.3, 1.6], trajectories=False)
    with pytest.raises(pysie.InputError, match="trajectories=False"):
        light.trajectories("no_retraining")
    # the results without trajectories are the same numbers
    pd.testing.assert_frame_equal(light.summary(), m.run(research_returns=[1.3, 1.6]).summary())


# --- plots -------------------------------------------------------------------------------------


def test_plot_draws_the_models_chart_for_every_scenario() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = pysie.model("retraining").run(horizon_days=300, research_returns=[1.5, 2.5])
    ax = r.plot()
    chart = MODELS["retraining"].charts[0]
    assert len(ax.lines) == len(chart.series) * 2
    assert ax.get_yscale() == ("log" if chart.y.log else "linear") and ax.get_title() == chart.title
    assert [line.get_label() for line in ax.lines[:2]] == [
        f"{chart.series[0].label}, research_returns=1.5",
        f"{chart.series[0].label}, research_returns=2.5",
    ]
    ax = r.plot("no_retraining", "software")
    assert len(ax.lines) == 2
    _, y = ax.lines[1].get_data()
    np.testing.assert_array_equal(y, r.trajectories("no_retraining").query("scenario == 1")["software"])
    with pytest.raises(pysie.InputError, match=r"no column 'softwar' \(did you mean software"):
        r.plot("no_retraining", "softwar")
    plt.close("all")


def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install 'pysie\[plot\]'"):
        pysie.model("overhang").run().plot()


# --- workbooks ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook of scenario 1 of a short two-scenario run."""
    r = pysie.model("retraining").run(horizon_days=200, research_returns=[1.3, 1.8])
    return r.to_workbook(tmp_path_factory.mktemp("api") / "out.xlsx", scenario=1)


def test_to_workbook_writes_the_scenario_and_passes_check(written: Path) -> None:
    checked = pysie.check_workbook(written)
    assert checked.ok and checked.compared > 1000, checked.summary()
    book = pysie.read_workbook(written)
    assert book.inputs.loc["research_returns", "value"] == 1.8
    assert book.inputs.loc["horizon_days", "value"] == 200


def test_check_workbook_finds_a_broken_formula(written: Path, tmp_path: Path) -> None:
    broken = copy_book(written, tmp_path / "broken.xlsx")
    edit(broken, lambda b: b["No retraining"].__setitem__("D20", "=1"))
    checked = pysie.check_workbook(broken)
    assert not checked.ok
    assert any(d.sheet == "No retraining" and d.cell == "D20" for d in checked.differences)


def test_to_workbook_never_replaces_a_file_unasked(written: Path, tmp_path: Path) -> None:
    target = copy_book(written, tmp_path / "mine.xlsx")
    before = digest(target)
    r = pysie.model("retraining").run(horizon_days=200)
    with pytest.raises(OutputExists, match=r"mine\.xlsx exists; pass overwrite=True"):
        r.to_workbook(target)
    assert digest(target) == before
    r.to_workbook(target, overwrite=True)
    assert digest(target) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.xlsx"]  # no temporary file left
    with pytest.raises(pysie.InputError, match="scenario 1: this result has scenarios 0 to 0"):
        r.to_workbook(tmp_path / "other.xlsx", scenario=1)


def test_read_workbook_reports_an_edited_input(written: Path, tmp_path: Path) -> None:
    edited = copy_book(written, tmp_path / "edited.xlsx")
    edit(edited, lambda b: setattr(cell_of(b, "initial_doubling_days"), "value", 30))
    book = pysie.read_workbook(edited)
    assert book.model.name == "retraining"
    # against the template's values (note-default, 1,100 days): the edit, and the run's own values
    assert set(book.changed.index) == {"initial_doubling_days", "research_returns", "horizon_days"}
    row = book.changed.loc["initial_doubling_days"]
    assert row["value"] == 30 and row["template_value"] == 35 and row["cell"].startswith("Inputs!B")
    assert book.inputs.loc["research_returns", "changed"]  # 1.8 against the template's 1.5
    assert book.edited_formulas.empty and book.added.empty and book.structural == []
    # the workbook's results are the model solved with the workbook's inputs
    inputs = {name: value for name, value in book.inputs["value"].items()}
    expected = pysie.model("retraining").run(**inputs).summary(never=False).iloc[0]
    results = book.results
    assert list(results.columns) == ["template", "workbook", "unit"]
    assert (
        results.loc["no_retraining_months_to_infinity", "workbook"]
        < results.loc["no_retraining_months_to_infinity", "template"]
    )
    for name, value in expected.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(results.loc[name, "workbook"]), name
        else:
            assert results.loc[name, "workbook"] == pytest.approx(value, rel=1e-12), name
    assert results.loc["continuous_retraining_months_to_infinity", "unit"] == "months"


def test_read_workbook_lists_an_edited_formula(written: Path, tmp_path: Path) -> None:
    edited = copy_book(written, tmp_path / "formula.xlsx")
    edit(edited, lambda b: b["No retraining"].__setitem__("D20", "=D19*2"))
    book = pysie.read_workbook(edited)
    formulas = book.edited_formulas
    assert list(formulas[["sheet", "cell"]].itertuples(index=False)) == [("No retraining", "D20")]
    assert formulas.loc[0, "found"].replace("$", "") == "=D19*2"
    assert "as_edited" in book.results.columns


def test_read_workbook_refuses_what_import_refuses(tmp_path: Path) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(ValueError, match=r"notes\.xlsx"):
        pysie.read_workbook(text)


# --- the package -------------------------------------------------------------------------------


def test_import_pysie_does_not_load_pandas_until_the_api_is_used() -> None:
    code = (
        "import sys, pysie; before = 'pandas' in sys.modules; pysie.model_names(); "
        "print(before, 'pandas' in sys.modules, sorted(set(pysie.__all__) - set(dir(pysie))))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True", "[]"]


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)\n```", section, flags=re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md (Python API)", "exec"), namespace)
    assert set(namespace["imported"].changed.index) == {"initial_doubling_days", "research_returns"}
    assert namespace["imported"].changed.loc["initial_doubling_days", "value"] == 30
    assert namespace["summary"]["research_returns"].tolist() == [1.2, 1.5, 2.0]
