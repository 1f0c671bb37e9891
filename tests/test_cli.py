"""The command line: list, run, build with templates, exit statuses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest

from pysie.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["run", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_list_shows_models_presets_and_units(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "retraining" in out and "note-default" in out and "N1.5" in out
    assert "research_returns" in out and "doublings per doubling" in out


def test_run_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "retraining", "--preset", "N2")
    assert out["model"] == "retraining"
    assert out["parameters"]["research_returns"] == 2.0
    assert set(out["variants"]) == {"no_retraining", "continuous_retraining", "from_scratch"}
    assert set(out["variants"]["continuous_retraining"]["effective_flop"]) == {"60", "100", "200"}
    assert isinstance(out["variants"]["from_scratch"]["deployments"], list)
    assert out["retraining_multiplier"] == pytest.approx(
        out["variants"]["continuous_retraining"]["months_to_infinity"]
        / out["variants"]["no_retraining"]["months_to_infinity"]
    )


def test_run_reports_never_as_null(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, "retraining", "--set", "research_returns=1")
    assert out["variants"]["no_retraining"]["days_to_infinity"] is None
    assert out["doublings_before_pace_doubles"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "research_returns=-1"], "research_returns: -1 is outside its bounds"),
        (["--set", "research_returns=x"], "research_returns: a number is needed"),
        (["--set", "no_such_input=1"], "no parameter 'no_such_input'"),
        (["--set", "research_returns"], "--set takes NAME=VALUE"),
        (["--preset", "N9"], "no preset 'N9'"),
        (["--set", "horizon_days=300.5"], "horizon_days: a whole number is needed"),
        (["--set", "infinity_cap=nan"], "infinity_cap: nan is not a finite number"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_parameter(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "retraining", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_user_template_builds_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "fast-takeoff.toml").write_text('model = "retraining"\npreset = "N1.5"\n[set]\nhorizon_days = 400\n')
    assert main(["build", "--templates", str(folder), "-o", str(tmp_path / "out")]) == 0
    book = openpyxl.load_workbook(tmp_path / "out" / "fast-takeoff.xlsx")
    ((sheet, ref),) = book.defined_names["research_returns"].destinations
    assert book[sheet][ref.replace("$", "")].value == 3
    assert book["No retraining"].max_row == 2 + 401


def test_a_template_with_an_unknown_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "typo.toml").write_text('model = "retraining"\n[set]\nresearch_return = 2\n')
    assert main(["build", "--templates", str(folder), "-o", str(tmp_path)]) == 2
    assert "typo.toml" in capsys.readouterr().err


def test_build_never_overwrites_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "retraining", "-o", str(tmp_path), "--set", "horizon_days=200"]) == 0
    target = tmp_path / "retraining.xlsx"
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    assert main(["build", "retraining", "-o", str(tmp_path), "--set", "horizon_days=300"]) == 2
    assert "exists" in capsys.readouterr().err
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert main(["build", "retraining", "-o", str(tmp_path), "--set", "horizon_days=300", "--force"]) == 0
    assert hashlib.sha256(target.read_bytes()).hexdigest() != before
    assert [p.name for p in tmp_path.iterdir()] == ["retraining.xlsx"]  # no temporary file left behind


def test_output_piped_into_a_reader_that_stops_is_not_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pysie list | head -1`: the reader closes the pipe; exit 0, no error line."""
    import os
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    closed_pipe = os.fdopen(write_end, "w", buffering=1)  # line-buffered: the first line hits the closed pipe
    monkeypatch.setattr(sys, "stdout", closed_pipe)
    assert main(["list"]) == 0
    assert "error" not in capsys.readouterr().err
