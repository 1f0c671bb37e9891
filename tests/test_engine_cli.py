"""The LibreOffice engine through the CLI: a missing soffice, private profiles,
and why recalculation must be forced (a stale-cache workbook)."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pysie.cli import main
from pysie.compare import check_workbook
from pysie.excel.cache import sheet_parts
from pysie.excel.layout import Layout
from pysie.models.retraining import MODEL as RETRAINING
from pysie.recalc import libreoffice as lo
from tests.conftest import REPO, SHORT


def test_missing_soffice_exits_2_with_the_install_hint_on_one_line(short_retraining_book: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYSIE_SOFFICE": str(tmp_path / "nowhere" / "soffice"),
        "PATH": str(tmp_path),
        "PYTHONPATH": str(REPO),
    }
    for command in (
        ["check", str(short_retraining_book)],
        ["recalc", str(short_retraining_book), "-o", str(tmp_path / "out.xlsx")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "pysie.cli", *command, "--engine", "libreoffice"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "apt-get install libreoffice-calc" in lines[0] and "PYSIE_SOFFICE" in lines[0]
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.libreoffice
def test_each_run_has_its_own_profile_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = openpyxl.Workbook()  # a workbook of two cells: the profiles, not the sheets, are the point
    book.active["A1"], book.active["A2"] = 2, "=A1*3"
    book.save(tmp_path / "small.xlsx")
    commands: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording(cmd: list[str], *args: object, **kwargs: object) -> subprocess.Popen:  # type: ignore[type-arg]
        commands.append(list(cmd))
        return real_popen(cmd, *args, **kwargs)  # type: ignore[call-overload]

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(lo.subprocess, "Popen", recording)
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    for _ in range(2):
        assert (
            main(
                [
                    "recalc",
                    str(tmp_path / "small.xlsx"),
                    "-o",
                    str(tmp_path / "out.xlsx"),
                    "--force",
                    "--engine",
                    "libreoffice",
                ]
            )
            == 0
        )
    profiles = [next(a for a in cmd if a.startswith("-env:UserInstallation=")) for cmd in commands]
    assert len(profiles) == 2 and profiles[0] != profiles[1]
    assert all("/scratch/" in p for p in profiles)
    assert list(scratch.iterdir()) == []  # profiles, staged copies and logs removed


def _set_constant(book: Path, out: Path, sheet: str, cell: str, value: float) -> None:
    """Copy ``book`` with the constant in ``sheet!cell`` rewritten in the XML,
    leaving every formula's cached value as it was (now stale)."""
    pattern = re.compile(rb'(<c r="' + cell.encode() + rb'"[^>]*>)<v>[^<]*</v>')
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        part = sheet_parts(zin)[sheet]
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                data, count = pattern.subn(rb"\g<1><v>" + repr(value).encode() + rb"</v>", data)
                assert count == 1, f"{sheet}!{cell} not found as a constant"
            zout.writestr(item, data)


@pytest.fixture
def stale_generated_book(short_retraining_book: Path, tmp_path: Path) -> Path:
    """The generated workbook with research_returns changed to 2.0 in the XML only."""
    values = RETRAINING.resolve("note-default", SHORT)
    assert values["research_returns"] != 2.0
    sheet, cell = Layout.of(RETRAINING, values).named["research_returns"]
    out = tmp_path / "stale.xlsx"
    _set_constant(short_retraining_book, out, sheet, cell, 2.0)
    return out


@pytest.mark.libreoffice
def test_stale_cached_values_pass_only_because_recalculation_is_forced(
    stale_generated_book: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(stale_generated_book), "--engine", "libreoffice", "--rtol", "1e-12"]) == 0
    assert "all agree" in capsys.readouterr().out
    # Deliberate break: LibreOffice told never to recalculate keeps the stale cache.
    monkeypatch.setattr(lo, "recalculate_libreoffice", functools.partial(lo.recalculate_libreoffice, force=False))
    report = check_workbook(stale_generated_book, engine="libreoffice")
    assert not report.ok
    assert len(report.differences) > 1000
