"""``pysie sweep``: every value validated as ``run`` and ``import`` validate it,
structural inputs and unknown names refused, the size capped, large sweeps
streamed; what is accepted agrees with the numpy solver (an independent engine)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pysie.sweep as sweep_module
from pysie.build import write_workbook
from pysie.cli import main
from pysie.models.milestone_takeoff import MODEL as MILESTONE
from pysie.models.retraining import MODEL
from pysie.solver import solve
from tests.conftest import SHORT
from tests.editing import copy_book, digest

RESULT = "continuous_retraining_days_to_infinity"


@pytest.fixture
def book(short_retraining_book: Path, tmp_path: Path) -> Path:
    return copy_book(short_retraining_book, tmp_path / "book.xlsx")


@pytest.fixture(scope="module")
def milestone_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("milestone") / "milestone.xlsx"
    write_workbook(MILESTONE, MILESTONE.resolve(None, {"samples": 20, "path_days": 30}), path)
    return path


def refused(args: list[str], book: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Exit 2, one line naming ``words``, the book unchanged and no output written."""
    out = Path(args[args.index("-o") + 1])
    before, existed = digest(book), out.exists()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pysie: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    assert digest(book) == before
    assert out.exists() == existed
    return err


def solver_value(name: str, overrides: dict[str, float]) -> float:
    return solve(MODEL, MODEL.resolve("note-default", {**SHORT, **overrides})).value(name)


# --- values run would refuse ------------------------------------------------------------


@pytest.mark.parametrize(
    "sets, words",
    [
        (["research_returns=nan"], ["research_returns", "nan is not a finite number"]),
        (["research_returns=inf:2:3"], ["research_returns", "inf is not a finite number"]),
        (["research_returns=-5:100:3"], ["research_returns", "-5 is outside its bounds (0, 20]"]),
        (["research_returns=1:100:3"], ["research_returns", "100 is outside its bounds"]),
        (["research_returns=0:2:3"], ["research_returns", "0 is outside its bounds (0, 20]"]),
        (["retraining_share=0.5:1.5:2"], ["retraining_share", "1.5 is outside its bounds [0, 1]"]),
        (["research_returns=1_000"], ["research_returns", "expected LO:HI:COUNT", "1_000"]),
        (["research_returns=1:2:3:4"], ["research_returns", "1:2:3:4"]),
        (["research_returns=1:2"], ["research_returns", "expected LO:HI:COUNT"]),
        (["research_returns=1:2:0"], ["research_returns", "COUNT must be at least 1"]),
        (["research_returns=1:2:2.5"], ["research_returns", "expected LO:HI:COUNT"]),
        (["research_returns=0x10"], ["research_returns", "0x10"]),
        (["research_returns=1:2:2", "research_returns=1:3:2"], ["research_returns", "given twice"]),
        (["horizon_days=100:5000:3"], ["horizon_days", "structural"]),
        (["horizon_days=300"], ["horizon_days", "structural"]),
        (["pysie_model=1:2:3"], ["pysie_model", "metadata"]),
        (["pysie_template_version=2"], ["pysie_template_version", "metadata"]),
        (["research_return=1:2:3"], ["research_return", "did you mean research_returns"]),
        (["Research_Returns=1:2:2"], ["Research_Returns", "did you mean research_returns"]),
        (["no_such_input=1"], ["no_such_input"]),
        ([f"{RESULT}=1:2:2"], [RESULT, "result computed by a formula"]),
        (["=1:2:2"], ["--set takes NAME="]),
        (["research_returns"], ["--set takes NAME="]),
        ([], ["at least one --set"]),
    ],
    ids=lambda v: "|".join(v) if isinstance(v, list) and v and isinstance(v[0], str) and "=" in v[0] else None,
)
def test_sweep_refuses(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], sets: list[str], words: list[str]
) -> None:
    args = ["sweep", str(book), *(a for s in sets for a in ("--set", s)), "-o", str(tmp_path / "out.csv")]
    refused(args, book, capsys, *words)


def test_sweep_refuses_a_structural_input_of_the_milestone_workbook(
    milestone_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("samples", "seed", "path_days"):
        refused(
            ["sweep", str(milestone_book), "--set", f"{name}=100:200:2", "-o", str(tmp_path / "o.csv")],
            milestone_book,
            capsys,
            name,
            "structural",
        )


def test_sweep_refuses_a_fraction_for_a_whole_number_input(
    milestone_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(
        ["sweep", str(milestone_book), "--set", "multiplier_uncertainty=0:1:3", "-o", str(tmp_path / "o.csv")],
        milestone_book,
        capsys,
        "multiplier_uncertainty",
        "a whole number is needed, found 0.5",
    )


def test_sweep_applies_the_cross_parameter_checks_to_every_scenario(
    milestone_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sc_sar_gap_low above the workbook's sc_sar_gap_high (10) is refused by
    ``run``; the sweep names the scenario and the rule."""
    refused(
        ["sweep", str(milestone_book), "--set", "sc_sar_gap_low=5:20:4", "-o", str(tmp_path / "o.csv")],
        milestone_book,
        capsys,
        "scenario 2",
        "sc_sar_gap_low",
        "low <= high",
    )


def test_whole_number_inputs_are_sampled_as_whole_numbers(milestone_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    args = ["sweep", str(milestone_book), "--set", "multiplier_uncertainty=0:1:2", "--random", "40", "-o", str(out)]
    assert main(args) == 0
    assert set(pd.read_csv(out)["multiplier_uncertainty"]) == {0.0, 1.0}


def test_an_input_of_the_workbook_is_used_with_the_swept_values(book: Path, tmp_path: Path) -> None:
    """The grid against the solver: each row's result is the solver's for that
    row's inputs and the workbook's other inputs."""
    out = tmp_path / "o.csv"
    assert (
        main(
            ["sweep", str(book), "--set", "research_returns=0.8:2.4:3", "--set", "upgrade_factor=2:4:2", "-o", str(out)]
        )
        == 0
    )
    table = pd.read_csv(out)
    assert list(table["research_returns"]) == [0.8, 0.8, 1.6, 1.6, 2.4, 2.4]
    assert list(table["upgrade_factor"]) == [2.0, 4.0] * 3
    for _, row in table.iterrows():
        want = solver_value(RESULT, {"research_returns": row.research_returns, "upgrade_factor": row.upgrade_factor})
        got = row[RESULT]
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12)


# --- size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--set", "research_returns=1.2:2:10000000"], ["10,000,000 scenarios", "--max-scenarios"]),
        (["EIGHT"], ["100,000,000 scenarios"]),
        (["--set", "research_returns=1.2:2:3", "--random", "1000000000"], ["1,000,000,000 scenarios"]),
        (
            ["--set", "research_returns=1.2:2:3", "--set", "upgrade_factor=2:3:2", "--max-scenarios", "5"],
            ["6 scenarios"],
        ),
    ],
    ids=["long-axis", "eight-axes", "samples", "own-limit"],
)
def test_sweep_size_is_capped_before_anything_is_allocated(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], words: list[str]
) -> None:
    if extra == ["EIGHT"]:  # eight distinct inputs of 10 values each
        names = [p.name for p in MODEL.parameters if not p.structural][:8]
        extra = [
            a for n in names for a in ("--set", f"{n}={MODEL.parameter(n).default!r}:{MODEL.parameter(n).default!r}:10")
        ]
    start = time.monotonic()
    refused(["sweep", str(book), *extra, "-o", str(tmp_path / "o.csv")], book, capsys, *words)
    assert time.monotonic() - start < 10


def test_the_limit_can_be_raised(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    args = ["sweep", str(book), "--set", "research_returns=1.2:2:6", "-o", str(out)]
    assert main([*args, "--max-scenarios", "6"]) == 0 and len(pd.read_csv(out)) == 6


@pytest.mark.parametrize("value", ["-5", "0", "1.5", "1e3", "many"])
def test_samples_must_be_a_positive_whole_number(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", str(book), "--set", "research_returns=1:2:2", "--random", value, "-o", str(tmp_path / "o.csv")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --random" in err and "whole number" in err and "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_a_large_sweep_is_streamed_in_chunks(book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With chunks of 7 scenarios, no evaluation sees more than 7, and the file
    equals the one written in a single chunk."""
    args = ["sweep", str(book), "--set", "research_returns=1.1:2:5", "--set", "retraining_share=0:1:4"]
    assert main([*args, "-o", str(tmp_path / "one.csv")]) == 0
    seen: list[int] = []
    evaluate = sweep_module._evaluate

    def spy(compiled: Any, chunk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        seen.append(len(next(iter(chunk.values()))))
        return evaluate(compiled, chunk)

    monkeypatch.setattr(sweep_module, "CHUNK_SCENARIOS", 7)
    monkeypatch.setattr(sweep_module.SweepPlan.chunks, "__defaults__", (7,))
    monkeypatch.setattr(sweep_module, "_evaluate", spy)
    assert main([*args, "-o", str(tmp_path / "chunked.csv")]) == 0
    assert seen == [7, 7, 6]
    assert (tmp_path / "chunked.csv").read_text() == (tmp_path / "one.csv").read_text()


def test_samples_do_not_depend_on_the_chunk_size(book: Path) -> None:
    plan = sweep_module.plan_sweep(book, {"research_returns": (1.0, 2.0, 1), "upgrade_factor": (2, 3, 1)}, samples=50)
    whole = next(plan.chunks(50))[1]
    parts = [c for _, c in plan.chunks(8)]
    for name in whole:
        assert np.array_equal(whole[name], np.concatenate([p[name] for p in parts]))
        assert whole[name].min() >= plan.spans[name][0] and whole[name].max() <= plan.spans[name][1]


# --- property: any value is solved correctly or refused naming the parameter --------------

PARAMETERS = [p.name for p in MODEL.parameters]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-50, max_value=50),
    st.sampled_from([0.0, 1.0, 20.0, 20.000001, 1e300, 1e307, 1e308, -0.0]),
    st.integers(min_value=-1000, max_value=200_000),
)


def acceptable(name: str, value: float) -> bool:
    """Would ``run`` take this value? Judged here from the declared bounds, not by pysie."""
    p = MODEL.parameter(name)
    if not math.isfinite(value) or (p.integer and value != int(value)):
        return False
    if p.lower is not None and (value < p.lower or (p.lower_open and value == p.lower)):
        return False
    return not (p.upper is not None and (value > p.upper or (p.upper_open and value == p.upper)))


@pytest.fixture(scope="module")
def compiled_short(short_retraining_book: Path) -> Any:
    return sweep_module._compile(short_retraining_book)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(PARAMETERS), lo=numbers, hi=numbers, count=st.integers(1, 3))
def test_any_swept_value_is_solved_correctly_or_refused_by_name(
    short_retraining_book: Path,
    compiled_short: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    lo: float,
    hi: float,
    count: int,
) -> None:
    monkeypatch.setattr(sweep_module, "_compile", lambda book: compiled_short)
    out = tmp_path / "p.csv"
    out.unlink(missing_ok=True)
    (tmp_path / "p.units.csv").unlink(missing_ok=True)  # the CSV's units sidecar
    text = f"{lo!r}:{hi!r}:{count}"
    status = main(["sweep", str(short_retraining_book), "--set", f"{name}={text}", "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    p = MODEL.parameter(name)
    axis = np.linspace(float(lo), float(hi), count) if all(map(math.isfinite, (lo, hi))) else None
    fine = (
        not p.structural
        and axis is not None
        and acceptable(name, float(lo))
        and acceptable(name, float(hi))
        and all(acceptable(name, float(v)) for v in axis)
    )
    if not fine:
        assert status == 2 and name in err and err.count("\n") == 1, (text, err)
        assert not out.exists()
        return
    assert status == 0, (text, err)
    table = pd.read_csv(out)
    assert len(table) == count
    for value, got in zip(table[name], table[RESULT], strict=True):
        want = solver_value(RESULT, {name: value})
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-9, abs=1e-12), (text, value)
