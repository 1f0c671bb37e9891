"""Workbooks resaved by Gnumeric import and check as the workbook pysie wrote.

Gnumeric (1.12) writes an .xlsx its own way: comments with an empty author list
(which openpyxl's full reader fails on with IndexError), no default cell style,
PERCENTILE as ``_xlfn.PERCENTILE.INC``, numbers as 0.100000000000000000001 and
every chain of ``^`` with Gnumeric's own (right-associative) reading made
explicit, so pysie writes the base of a power in parentheses (see
:mod:`pysie.excel.printer`; tests/test_printer.py recalculates with Gnumeric).

``tests/data/overhang-gnumeric.xlsx`` (45 KB) lets this run where Gnumeric is
not installed. It was made with::

    pysie build overhang --preset baseline --set step_years=1 --set horizon_years=5 -o /tmp/o
    ssconvert /tmp/o/overhang.xlsx tests/data/overhang-gnumeric.xlsx   # Gnumeric 1.12.55

(rebuild it so whenever the overhang template or the printer changes its formulas).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pysie.build import write_workbook
from pysie.cli import main
from pysie.models.overhang import MODEL as OVERHANG
from pysie.recalc import recalculate
from tests.editing import copy_book, digest

FIXTURE = Path(__file__).parent / "data" / "overhang-gnumeric.xlsx"
FIXTURE_INPUTS = {"step_years": 1.0, "horizon_years": 5}


def import_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    before = digest(path)
    assert main(["import", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # no warning from openpyxl about the missing default style
    assert digest(path) == before
    out: dict[str, Any] = json.loads(captured.out)
    return out


def assert_imports_as_written(written: Path, resaved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The resave imports with the inputs and results of the book pysie wrote,
    no edited formulas, no added cells, no structural message, and checks clean."""
    ours, theirs = import_json(written, capsys), import_json(resaved, capsys)
    for key in ("model", "template_version", "inputs", "changed_inputs", "results", "structural"):
        assert theirs[key] == ours[key], key
    assert theirs["edited_formulas"] == [] and theirs["added"] == [] and theirs["structural"] == []
    assert main(["check", str(resaved)]) == 0
    captured = capsys.readouterr()
    assert "all agree" in captured.out and captured.err == ""


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    return copy_book(FIXTURE, tmp_path / FIXTURE.name)


def test_the_committed_gnumeric_resave_imports_as_the_book_pysie_writes(
    fixture_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "overhang.xlsx"
    write_workbook(OVERHANG, OVERHANG.resolve("baseline", FIXTURE_INPUTS), written, template="overhang")
    assert b"<authors/>" in member(fixture_copy, "xl/comments1.xml")  # the file is what it says
    assert_imports_as_written(written, fixture_copy, capsys)


def member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


@pytest.mark.slow
def test_the_formulas_package_reads_a_gnumeric_resave(fixture_copy: Path) -> None:
    """Its openpyxl load fails on comments without authors; the engine hands it a
    copy with one (the file itself is unchanged) and computes what the compiled
    engine computes."""
    before = digest(fixture_copy)
    theirs = recalculate(fixture_copy, "formulas")
    ours = recalculate(fixture_copy, "compiled")
    assert digest(fixture_copy) == before
    assert theirs.keys() == ours.keys()
    for key, value in ours.items():
        if isinstance(value, float):
            assert theirs[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert theirs[key] == value, key


@pytest.mark.gnumeric
def test_every_small_book_resaved_by_gnumeric_imports_as_written(
    small_books: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``ssconvert BOOK.xlsx resaved.xlsx``, for the retraining, overhang and
    milestone-takeoff small books (PERCENTILE, chains of ^, comments)."""
    ssconvert = shutil.which("ssconvert")
    assert ssconvert is not None
    for model, book in small_books.items():
        resaved = tmp_path / f"{model}-gnumeric.xlsx"
        subprocess.run([ssconvert, str(book), str(resaved)], check=True, capture_output=True, timeout=120)
        assert_imports_as_written(book, resaved, capsys)
