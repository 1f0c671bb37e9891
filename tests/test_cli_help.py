"""A command line that helps: help on every option, the nearest names on a
typo, ``--set NAME VALUE`` explained, errors as JSON under ``--json`` (the
same message and exit status), ``list --json`` with bounds and units, and a
run title that says "(defaults)" only when nothing was set.

Exit statuses and standard error are read from real processes
(``python -m pysie``), as a shell sees them."""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pysie.cli import build_parser, main
from pysie.models import MODELS
from tests.conftest import REPO

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def pysie(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pysie", *args], env=ENV, capture_output=True, text=True, timeout=300, cwd=REPO
    )


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``main`` called in this process: what
    :func:`pysie` reads from a real one, for the cases where a process adds
    nothing (each costs a second of imports)."""
    try:
        status = main(list(args))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def actions(parser: argparse.ArgumentParser, path: str = "pysie") -> Iterator[tuple[str, argparse.Action]]:
    """Every action of ``parser`` and of its subcommands, each with where it is."""
    for action in parser._actions:
        yield path, action
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the one-line help of each subcommand
                yield path, choice
            for name, sub in action.choices.items():
                yield from actions(sub, f"{path} {name}")


def undocumented(parser: argparse.ArgumentParser) -> list[str]:
    return [f"{path} {a.option_strings or a.dest}" for path, a in actions(parser) if not (a.help or "").strip()]


# --- help ------------------------------------------------------------------------------------


def test_every_option_and_positional_has_help() -> None:
    parser = build_parser()
    assert len(list(actions(parser))) > 60  # the walk reaches the subcommands' options
    assert undocumented(parser) == []


def test_the_walk_finds_an_option_without_help() -> None:
    """The deliberate break of the test above: an option without help is named."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices["sweep"]
    sub.add_argument("--undocumented")
    assert undocumented(parser) == ["pysie sweep ['--undocumented']"]


def test_help_prints_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    done = pysie("--help")
    assert done.returncode == 0 and done.stderr == "" and "COMMAND --help" in done.stdout
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    for command in commands:
        assert command in done.stdout
        status, out, err = in_process(capsys, command, "--help")
        assert status == 0 and err == "" and out.startswith(f"usage: pysie {command}")
    assert "X.parquet" in in_process(capsys, "sweep", "--help")[1]


# --- the nearest names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["rnu", "retraining"], "unknown command 'rnu' (did you mean run?)"),
        (["run", "retrainin"], "unknown model 'retrainin' (did you mean retraining?)"),
        (["run", "retraining", "--preset", "N22"], "model 'retraining' has no preset 'N22' (did you mean N2?)"),
        (
            ["run", "retraining", "--set", "research_return=1.5"],
            "model 'retraining' has no parameter 'research_return' (did you mean research_returns?)",
        ),
        (["list", "overhng"], "unknown model 'overhng' (did you mean overhang?)"),
        (["build", "retrainin", "-o", "out"], "no template or model named 'retrainin' (did you mean retraining?)"),
        (
            ["check", "x.xlsx", "--engine", "compild"],
            "argument --engine: unknown engine 'compild' (did you mean compiled?)",
        ),
        (["run", "retraining", "--presett", "N2"], "unknown option '--presett' (did you mean --preset"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_a_typo_is_answered_with_the_nearest_names(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    status, out, err = in_process(capsys, *args)
    assert status == 2 and out == ""
    assert err.splitlines()[-1].split("error: ", 1)[1].startswith(message), err
    assert "Traceback" not in err and "invalid choice" not in err


@pytest.mark.parametrize(
    "args", [["rnu", "retraining"], ["run", "retrainin"], ["check", "x.xlsx", "--engine", "compild"]]
)
def test_a_typo_exits_2_with_the_nearest_names_in_a_shell(args: list[str]) -> None:
    done = pysie(*args)
    assert done.returncode == 2 and done.stdout == "" and "did you mean" in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


# --- --set NAME VALUE ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        ["research_returns", "1.5"],
        ["research_returns=", "1.5"],
        ["research_returns", "=1.5"],
        ["research_returns", "=", "1.5"],
    ],
    ids=" ".join,
)
def test_set_with_a_space_is_explained(capsys: pytest.CaptureFixture[str], words: list[str]) -> None:
    status, _, err = in_process(capsys, "run", "retraining", "--set", *words)
    assert status == 2
    assert err == "pysie: error: --set takes NAME=VALUE as one word; did you mean --set research_returns=1.5?\n"


def test_sweep_set_with_a_space_is_explained_in_a_shell() -> None:
    done = pysie("sweep", "book.xlsx", "--set", "research_returns", "1:2:5", "-o", "out.csv")
    assert done.returncode == 2
    assert done.stderr == (
        "pysie: error: --set takes NAME=LO:HI:COUNT (or NAME=VALUE) as one word; "
        "did you mean --set research_returns=1:2:5?\n"
    )


def test_a_set_that_does_not_look_like_a_value_is_left_to_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """``--set horizon_days`` then ``--json``: no guess, the command names the item."""
    assert main(["run", "retraining", "--set", "horizon_days", "--json"]) == 2
    assert json.loads(capsys.readouterr().err) == {"error": "--set takes NAME=VALUE; 'horizon_days' has no =VALUE"}


# --- errors under --json ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["run", "retrainin"],
        ["run", "retraining", "--set", "research_returns=-1"],
        ["run", "retraining", "--set", "research_returns", "1.5"],
        ["run", "retraining", "--samples", "10"],
        ["run", "retraining", "--presett", "N2"],
        ["run"],
        ["list", "overhng"],
        ["import", "no-such-book.xlsx"],
        ["import", "x.xlsx", "--engine", "nope"],
    ],
    ids=" ".join,
)
def test_errors_under_json_are_one_json_line_with_the_same_message_and_status(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    plain, as_json = in_process(capsys, *args), in_process(capsys, *args, "--json")
    assert plain[0] == as_json[0] == 2
    assert as_json[1] == "" and as_json[2].count("\n") == 1
    error = json.loads(as_json[2])
    assert list(error) == ["error"] and "\n" not in error["error"]
    assert plain[2].splitlines()[-1].split(": error: ", 1)[1] == error["error"]


def test_an_error_under_json_in_a_shell() -> None:
    plain, as_json = (
        pysie("run", "retraining", "--set", "research_returns=-1"),
        pysie("run", "retraining", "--set", "research_returns=-1", "--json"),
    )
    assert plain.returncode == as_json.returncode == 2 and as_json.stdout == ""
    assert json.loads(as_json.stderr) == {"error": plain.stderr.removeprefix("pysie: error: ").rstrip("\n")}


# --- list ----------------------------------------------------------------------------------------


def test_list_json_has_bounds_and_units_of_every_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = in_process(capsys, "list", "--json")
    assert status == 0
    listed = json.loads(out)
    assert list(listed) == list(MODELS)
    rr = listed["retraining"]["parameters"]["research_returns"]
    # the published range of the note: returns r in (0, 20], in doublings per doubling
    assert (rr["lower"], rr["upper"], rr["lower_open"], rr["upper_open"]) == (0, 20, True, False)
    assert rr["unit"] == "doublings per doubling" and rr["bounds"] == "(0, 20]"
    assert listed["retraining"]["presets"]["N2"]["research_returns"] == 2
    assert listed["retraining"]["tables"]["continuous_retraining"]["columns"]["effective_flop"]["unit"] == "FLOP"
    for name, model in listed.items():
        assert set(model["parameters"]) == {p.name for p in MODELS[name].parameters}
        for p in model["parameters"].values():
            assert p["unit"] and p["description"]
            lo, hi = -math.inf if p["lower"] is None else p["lower"], math.inf if p["upper"] is None else p["upper"]
            assert lo <= p["default"] <= hi


def test_list_shows_bounds_to_a_person(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "retraining"]) == 0
    out = capsys.readouterr().out
    assert "milestone-takeoff" not in out
    line = next(line for line in out.splitlines() if line.strip().startswith("research_returns"))
    assert line.split()[:3] == ["research_returns", "1.5", "(0,"]


# --- the run title ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, title",
    [
        ([], "(defaults)"),
        (["--preset", "N2"], "(preset N2)"),
        (["--preset", "note-default"], "(preset note-default)"),
        (["--set", "research_returns=1.5"], "(research_returns=1.5)"),
        (["--preset", "N2", "--set", "upgrade_factor=3"], "(preset N2, upgrade_factor=3)"),
    ],
)
def test_the_title_says_defaults_only_when_nothing_was_set(
    capsys: pytest.CaptureFixture[str], args: list[str], title: str
) -> None:
    assert main(["run", "retraining", *args]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(title) and ("defaults" in first) == (not args)


def test_the_title_of_a_sampled_run_names_the_samples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "milestone-takeoff", "--samples", "50"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("(samples=50)")


def test_two_assignments_after_one_set_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = in_process(capsys, "run", "retraining", "--set", "research_returns=1.5", "upgrade_factor=3")
    assert status == 2
    assert err.splitlines()[-1] == (
        "pysie run: error: unexpected 'upgrade_factor=3': give each NAME=VALUE its own --set (--set upgrade_factor=3)"
    )


def test_a_name_set_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = in_process(
        capsys, "run", "retraining", "--set", "research_returns=1.5", "--set", "research_returns=2"
    )
    assert status == 2 and "research_returns: given twice" in err
