"""README's tables match the solver and its test command is the one CI uses.
Its examples run as written in tests/test_packaging.py, from the installed
wheel in a folder outside the repository (once, not again here)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
EXAMPLES = [line[2:] for line in re.findall(r"^\$ pysie .*$", README, flags=re.M)]


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```console\n(.*?)\n```", README, flags=re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.strip() in [line.strip() for line in ci.splitlines()]


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 5


def test_readme_table_matches_the_solver() -> None:
    from pysie.cli import run_model

    rows = re.findall(r"^\| (note-default|N4\.3|N3|N2|N1\.5) \| ([\d.]+) \| ([\d.]+) \|", README, flags=re.M)
    assert len(rows) == 5
    for preset, none, continuous in rows:
        result = run_model("retraining", preset, {})
        assert result["variants"]["no_retraining"]["months_to_infinity"] == pytest.approx(float(none), abs=0.005)
        assert result["variants"]["continuous_retraining"]["months_to_infinity"] == pytest.approx(
            float(continuous), abs=0.005
        )


def test_readme_milestone_table_matches_the_solver() -> None:
    from pysie.cli import run_model

    rows = re.findall(r"^\| (SAR|SIAR|ASI) \| ([\d-]+) \| ([\d-]+) \| ([\d-]+) \| ([\d-]+) \|", README, flags=re.M)
    assert [r[0] for r in rows] == ["SAR", "SIAR", "ASI"]
    result = run_model("milestone-takeoff", None, {})
    for milestone, point, p10, p50, p90 in rows:
        assert result["point"][milestone] == point
        assert [result["percentiles"][milestone][q] for q in ("p10", "p50", "p90")] == [p10, p50, p90]
