"""``--timeout``, progress on a terminal, and an import that keeps what it found.

- ``--timeout SECONDS`` of ``check``, ``import``, ``recalc`` and ``sweep``
  interrupts the work where it is (a step patched to loop over numpy for ever,
  in a child process), exits 2 with one line naming the step, prints no
  traceback and leaves no output file; a LibreOffice run (a stand-in soffice
  that sleeps, with a child of its own) has its process group killed; where
  there is no SIGALRM the limit is noticed between steps.
- Progress is drawn on standard error when it is a terminal (a
  pseudo-terminal here), never on a pipe, under ``--quiet`` or ``--json``.
- ``import`` prints the changes it found before recalculating and keeps them
  when the recalculation fails (an engine refusing WEBSERVICE, LibreOffice
  missing, the time limit), in its text and in its ``--json``, exit 2.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pysie import steps
from pysie.cli import main
from pysie.recalc import recalculate
from pysie.recalc.libreoffice import EngineUnavailable
from tests.conftest import REPO
from tests.editing import cell_of

ENV = {**os.environ, "PYTHONPATH": str(REPO)}

#: A compile step that never ends by itself: numpy work in the main thread (a
#: 2 ms sort, then a 10 ms pause that leaves the cores to the other tests).
ENDLESS_COMPILE = """
import time
import numpy as np
import pysie.recalc.compiled as compiled

def endless(plan):
    rng = np.random.default_rng(0)
    while True:
        np.sort(rng.random(40_000))
        time.sleep(0.01)

compiled.compile_plan = endless
"""

WEBSERVICE = '=no_retraining_days_to_infinity/days_per_month+0*LEN(WEBSERVICE("http://example.com"))'


def edited_book(src: Path, dst: Path, formula: str | None = WEBSERVICE) -> Path:
    """``src`` with research_returns set to 1.7 and, unless None, Summary's
    no_retraining_months_to_infinity formula replaced by ``formula``."""
    book = openpyxl.load_workbook(src)
    cell_of(book, "research_returns").value = 1.7
    if formula is not None:
        cell_of(book, "no_retraining_months_to_infinity").value = formula
    book.save(dst)
    return dst


def _patched_command(patch: str, args: list[str]) -> list[str]:
    """The command line of ``pysie ARGS`` in a child process after running ``patch`` in it."""
    code = f"import sys\n{patch}\nfrom pysie.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return [sys.executable, "-c", code, *args]


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# --- the time limit -------------------------------------------------------------------


LIMIT = 4


def test_timeout_interrupts_numpy_work_with_one_line_and_no_output(short_retraining_book: Path, tmp_path: Path) -> None:
    """check, recalc, sweep and import, each in a child process of its own, all at once
    (each spends its time limit waiting, half of it asleep); the limit leaves four
    children sharing two cores time to reach the step that never ends."""
    out = {"recalc": ["-o", "out.xlsx"], "sweep": ["-o", "out.csv"]}
    extra = {"sweep": ["--set", "research_returns=1.2:2:5"]}
    running = {}
    for command in ("check", "recalc", "sweep", "import"):
        folder = tmp_path / command
        folder.mkdir()
        book = edited_book(short_retraining_book, folder / "book.xlsx", formula="=1+no_retraining_days_to_infinity/30")
        args = [command, str(book), *out.get(command, []), *extra.get(command, []), "--timeout", str(LIMIT)]
        running[command] = subprocess.Popen(
            _patched_command(ENDLESS_COMPILE, args),
            cwd=folder,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    start = time.monotonic()
    for command, child in running.items():
        stdout, stderr = child.communicate(timeout=120)
        assert time.monotonic() - start < 100  # interrupted: the compile step never ends by itself
        assert child.returncode == 2, (command, stderr)
        lines = stderr.splitlines()
        assert len(lines) == 1 and "Traceback" not in stderr, (command, stderr)
        assert lines[0].startswith(
            f"pysie: error: the time limit of {LIMIT} s (--timeout) was reached while compiling the formulas"
        ), command
        if command in out:
            assert lines[0].endswith(f"; {out[command][1]} was not written"), command
        assert leftovers(tmp_path / command, {"book.xlsx"}) == [], command  # no output, no half-written file
        if command == "import":  # what was found before the recalculation is printed, and the step that stopped
            assert "research_returns                     1.5 -> 1.7" in stdout
            assert "Edited formulas (1)" in stdout
            assert "Stopped while recalculating the edited workbook (compiled engine): the time limit" in stdout
        else:
            assert stdout == "", command


def test_timeout_is_refused_unless_a_positive_finite_number(
    short_retraining_book: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for value in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit) as stopped:
            main(["check", str(short_retraining_book), "--timeout", value])
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        assert "--timeout" in err and "a finite number > 0 is needed" in err, err


def test_without_sigalrm_the_limit_is_noticed_between_steps() -> None:
    """The fallback where there are no interval timers (Windows): the step
    that overran is named when the next one begins."""
    with steps.command_steps("check", timeout=0.05, use_signal=False):
        steps.begin("reading the workbook")
        time.sleep(0.2)
        with pytest.raises(steps.TimedOut, match=r"0\.05 s \(--timeout\) was reached while reading the workbook$"):
            steps.begin("compiling the formulas")
    steps.begin("outside a command nothing is limited")  # no run: a no-op


def test_a_limit_lifted_by_finish_no_longer_fires() -> None:
    with steps.command_steps("check", timeout=0.2):
        steps.finish()
        time.sleep(0.4)  # the alarm would have fired here
        steps.begin("printing")


SLEEPY_SOFFICE = """#!/bin/sh
# a stand-in soffice that never finishes, with a child of its own (same process group)
sleep 300 &
echo $$ $! > "{pids}"
wait
"""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see the processes are gone")
@pytest.mark.parametrize("use_signal", [True, False], ids=["sigalrm", "between-steps"])
def test_timeout_kills_the_libreoffice_process_group(
    use_signal: bool, short_retraining_book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pids = tmp_path / "pids"
    fake = tmp_path / "soffice"
    fake.write_text(SLEEPY_SOFFICE.format(pids=pids))
    fake.chmod(0o755)
    temp = tmp_path / "tmp"
    temp.mkdir()
    if use_signal:  # the command line, in a child process
        env = {**ENV, "PYSIE_SOFFICE": str(fake), "TMPDIR": str(temp)}
        out = tmp_path / "out.xlsx"
        args = [sys.executable, "-m", "pysie", "recalc", str(short_retraining_book), "-o", str(out)]
        done = subprocess.run(
            [*args, "--engine", "libreoffice", "--timeout", "3"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert done.stderr == (
            "pysie: error: the time limit of 3 s (--timeout) was reached while recalculating with LibreOffice; "
            f"{out} was not written\n"
        )
        assert not out.exists()
    else:  # the library with the between-steps check: the child is given the time that remains
        monkeypatch.setenv("PYSIE_SOFFICE", str(fake))
        monkeypatch.setenv("TMPDIR", str(temp))
        monkeypatch.setattr("tempfile.tempdir", None)
        with (
            pytest.raises(steps.TimedOut, match="was reached while recalculating with LibreOffice"),
            steps.command_steps("check", timeout=3, use_signal=False),
        ):
            recalculate(short_retraining_book, "libreoffice")
    shell, child = (int(p) for p in pids.read_text().split())
    assert not _alive(shell) and not _alive(child)
    assert list(temp.iterdir()) == []  # the private LibreOffice folder is gone


# --- import keeps what it found ---------------------------------------------------------


def test_import_prints_the_changes_before_the_refusal_and_exits_2(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = edited_book(short_retraining_book, tmp_path / "web.xlsx")
    assert main(["import", str(book)]) == 2
    captured = capsys.readouterr()
    out = captured.out
    assert "Changed inputs (2), template value -> workbook value:" in out  # horizon_days was 200 already
    assert "research_returns                     1.5 -> 1.7  (Inputs!" in out
    assert "Edited formulas (1), expected vs found:" in out and "WEBSERVICE" in out
    assert "Key results\n" in out  # the solver's results for the workbook's inputs
    refusal = "uses WEBSERVICE, which pysie does not evaluate"
    assert out.rstrip().endswith("(everything above was found before that step)")
    assert "Stopped while recalculating the edited workbook (compiled engine): Summary!" in out and refusal in out
    assert out.index("Changed inputs") < out.index("Edited formulas") < out.index("Stopped while")
    assert captured.err.startswith("pysie: error: Summary!") and refusal in captured.err
    assert len(captured.err.splitlines()) == 1 and "Traceback" not in captured.err


def test_import_json_keeps_the_diff_with_the_error(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = edited_book(short_retraining_book, tmp_path / "web.xlsx")
    assert main(["import", str(book), "--json"]) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["changed_inputs"] == {"research_returns": [1.5, 1.7], "horizon_days": [1100, 200]}
    assert [e["variable"] for e in report["edited_formulas"]] == ["no_retraining_months_to_infinity"]
    assert "WEBSERVICE, which pysie does not evaluate" in report["error"]
    assert report["failed_step"] == "recalculating the edited workbook (compiled engine)"
    assert "results_as_edited" not in report
    assert json.loads(captured.err) == {"error": report["error"]}


def test_import_shows_what_it_knows_before_the_engine_runs(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine is a stand-in that records what was printed when it was
    called, then fails as a missing LibreOffice does."""
    book = edited_book(short_retraining_book, tmp_path / "edited.xlsx", formula="=1+no_retraining_days_to_infinity/30")
    printed_before: list[str] = []

    def missing(*_: Any, **__: Any) -> None:
        printed_before.append(capsys.readouterr().out)
        raise EngineUnavailable("LibreOffice (soffice) was not found. Install it with 'apt-get install ...'")

    monkeypatch.setattr("pysie.importer.recalculate", missing)
    assert main(["import", str(book), "--engine", "libreoffice"]) == 2
    (before,) = printed_before
    assert "research_returns                     1.5 -> 1.7" in before and "Edited formulas (1)" in before
    assert "Stopped" not in before
    captured = capsys.readouterr()
    assert captured.out.startswith(
        "\nStopped while recalculating the edited workbook (libreoffice engine): LibreOffice"
    )
    assert captured.err == "pysie: error: LibreOffice (soffice) was not found. Install it with 'apt-get install ...'\n"


def test_a_completed_import_prints_the_same_report_as_its_summary(
    short_retraining_book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Printed in two parts (before and after the recalculation), the report is
    the one ``summary()`` gives, recalculated results included."""
    from pysie.importer import import_workbook

    book = edited_book(short_retraining_book, tmp_path / "edited.xlsx", formula="=1+no_retraining_days_to_infinity/30")
    assert main(["import", str(book)]) == 0
    out = capsys.readouterr().out
    assert out == import_workbook(book).summary() + "\n"
    assert "Key results: declared model vs workbook as edited (compiled engine)" in out


# --- progress ---------------------------------------------------------------------------


def run_on_pty(args: list[str]) -> tuple[int, str, str]:
    """``pysie ARGS`` with standard error on a pseudo-terminal: (status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "pysie", *args], env=ENV, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    received = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(master)
    stdout = proc.communicate(timeout=120)[0]
    return proc.returncode, stdout.decode(), received.decode(errors="replace")


def test_progress_is_drawn_on_a_terminal_and_never_on_a_pipe(short_retraining_book: Path) -> None:
    args = ["check", str(short_retraining_book)]
    code, out, terminal = run_on_pty(args)
    assert code == 0
    for step in ("reading the workbook", "compiling the formulas", "comparing every formula cell with the solver"):
        assert f"pysie check: {step}" in terminal, terminal
    piped = subprocess.run([sys.executable, "-m", "pysie", *args], env=ENV, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == out  # the report is the same either way


@pytest.mark.parametrize("flag", ["--quiet", "--json"])
def test_no_progress_under_quiet_or_json(flag: str, short_retraining_book: Path) -> None:
    code, out, terminal = run_on_pty(["import", str(short_retraining_book), flag])
    assert code == 0 and out
    assert terminal == ""


def test_sweep_shows_a_bar_of_scenarios(short_retraining_book: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, stdout, terminal = run_on_pty(
        ["sweep", str(short_retraining_book), "--set", "research_returns=1.2:2:7", "-o", str(out)]
    )
    assert code == 0 and stdout.startswith(f"wrote {out} (7 scenarios")
    assert "pysie sweep: evaluating the scenarios" in terminal and "7/7 scenarios" in terminal, terminal
