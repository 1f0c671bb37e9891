"""The workbooks committed in workbooks/ are what the templates build today."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from pysie.cli import main
from pysie.compare import workbook_plan
from pysie.excel.cache import write_cached_values
from pysie.freshness import compare_with_plan
from tests.conftest import REPO


@pytest.mark.slow
def test_committed_workbooks_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["build", "--check", "-o", str(REPO / "workbooks"), "--templates", str(REPO / "templates")])
    out = capsys.readouterr().out
    assert status == 0, out


def _a_table_formula_cell(path: Path) -> tuple[str, str]:
    book = openpyxl.load_workbook(path)
    ws = book.worksheets[1]
    return ws.title, f"B{ws.max_row}"


@pytest.mark.slow
@pytest.mark.parametrize("template", ["overhang"])  # the smallest workbook: one build to check
def test_a_stale_copy_exits_1_naming_the_changed_cell(
    template: str, template_books: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    committed, templates = tmp_path / "workbooks", tmp_path / "templates"
    committed.mkdir()
    templates.mkdir()  # this template alone: the other workbooks would only be rebuilt to pass
    shutil.copyfile(REPO / "templates" / f"{template}.toml", templates / f"{template}.toml")
    book = template_books[template]
    sheet, cell = _a_table_formula_cell(book)
    write_cached_values(book, committed / book.name, {(sheet, cell): 12345.5})
    status = main(["build", "--check", "-o", str(committed), "--templates", str(templates)])
    out = capsys.readouterr().out
    assert status == 1, out
    assert f"{book.name} {sheet}!{cell}: cached value committed 12345.5" in out
    assert out.count("committed") == 1  # only the changed cell is reported


@pytest.mark.slow
def test_a_changed_formula_and_a_missing_workbook_are_named(template_books: dict[str, Path], tmp_path: Path) -> None:
    book = template_books["overhang"]  # the smallest
    edited = tmp_path / book.name
    wb = openpyxl.load_workbook(book)
    ws = wb.worksheets[1]
    ws["A3"] = "=1+1"
    wb.save(edited)  # openpyxl drops cached values too: many cells differ
    stale = compare_with_plan(edited, workbook_plan(book))
    assert any(s.where == f"{ws.title}!A3" and "content" in s.what for s in stale)
    (tmp_path / "empty").mkdir()
    assert main(["build", "--check", "-o", str(tmp_path / "empty"), "--templates", str(REPO / "templates")]) == 1
