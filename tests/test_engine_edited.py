"""Workbooks as people edit them, against LibreOffice cell by cell, and
`pysie check` on them finishing in seconds with the compiled engine (no
fallback): a row inserted by LibreOffice itself, a word typed into a formula
cell, an added sheet with a 2,000-term sum and cross-sheet formulas."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pysie.compare import check_workbook
from pysie.excel.cache import read_cached_values
from pysie.recalc import recalculate
from pysie.recalc.compiled import compile_workbook
from pysie.recalc.libreoffice import find_soffice
from tests.conftest import needs_soffice
from tests.test_compiled_engine import assert_same

_MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub InsertRow
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden"
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL("{src}", "_blank", 0, args())
  doc.Sheets.getByName("{sheet}").Rows.insertByIndex({index}, 1)
  doc.calculateAll()
  Dim out(0) As New com.sun.star.beans.PropertyValue
  out(0).Name = "FilterName"
  out(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL("{dst}", out())
  doc.close(True)
End Sub
</script:module>
"""


def insert_row_with_libreoffice(src: Path, dst: Path, sheet: str, before_row: int, work: Path) -> Path:
    """Insert an empty row above ``before_row`` of ``sheet`` with LibreOffice
    (a Basic macro in a private profile), recalculate and save as .xlsx."""
    soffice = find_soffice()
    assert soffice is not None
    profile = work / "profile"
    env = f"-env:UserInstallation={profile.as_uri()}"
    subprocess.run([soffice, "--headless", "--norestore", env, "--terminate_after_init"], timeout=180, check=False)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    module.write_text(
        _MACRO.format(src=src.resolve().as_uri(), dst=dst.resolve().as_uri(), sheet=sheet, index=before_row - 1)
    )
    subprocess.run(
        [soffice, "--headless", "--norestore", env, "macro:///Standard.Module1.InsertRow"], timeout=180, check=False
    )
    assert dst.exists(), "LibreOffice did not write the edited workbook"
    return dst


def _edited(src: Path, dst: Path, change: Any) -> Path:
    book = openpyxl.load_workbook(src)
    change(book)
    book.save(dst)
    return dst


def _word(book: Any) -> None:
    book["No retraining"]["D60"] = "oops"


def _added_sheet(book: Any) -> None:
    ws = book.create_sheet("Added")
    for i in range(1, 101):
        ws[f"A{i}"] = i * 0.25
    ws["B1"] = "=" + "+".join(f"A{i % 100 + 1}" for i in range(2000))
    ws["B2"] = "=SUM('No retraining'!D3:D150)/COUNT('No retraining'!D3:D150)"
    ws["B3"] = "=INDEX('No retraining'!B3:H150,MATCH(40,'No retraining'!A3:A150,0),3)"
    ws["B4"] = "=VLOOKUP(10,'No retraining'!A3:H150,4,FALSE)&\" at day 10\""
    ws["B5"] = "=B1/B2-Inputs!B9"


def _timed_check(path: Path) -> tuple[float, Any]:
    start = time.perf_counter()
    report = check_workbook(path)
    return time.perf_counter() - start, report


@needs_soffice
@pytest.mark.libreoffice
def test_a_row_inserted_by_libreoffice(short_retraining_book: Path, tmp_path: Path) -> None:
    path = insert_row_with_libreoffice(short_retraining_book, tmp_path / "inserted.xlsx", "No retraining", 61, tmp_path)
    values = compile_workbook(path).values()
    office = read_cached_values(path)
    assert len(values) > 6000
    assert_same(values, {k: office.get(k) for k in values}, rtol=1e-12)
    base, _ = _timed_check(short_retraining_book)
    took, report = _timed_check(path)
    assert not report.ok  # the row moved every cell below it
    assert took < 2 * base + 1.0, (took, base)


@needs_soffice
@pytest.mark.libreoffice
@pytest.mark.parametrize("change", [_word, _added_sheet], ids=["word-in-a-formula-cell", "added-sheet"])
def test_edited_workbooks_agree_with_libreoffice(change: Any, short_retraining_book: Path, tmp_path: Path) -> None:
    path = _edited(short_retraining_book, tmp_path / "edited.xlsx", change)
    values = compile_workbook(path).values()
    assert_same(values, recalculate(path, "libreoffice"), rtol=1e-12)
    base, _ = _timed_check(short_retraining_book)
    took, _ = _timed_check(path)
    assert took < 2 * base + 1.0, (took, base)


def test_a_word_in_a_formula_cell_gives_value_errors_below(short_retraining_book: Path, tmp_path: Path) -> None:
    """Excel's rules, by hand: ``=D60`` shows the word, ``LN(D60)`` is
    #VALUE!, a text compares above every number (``D60>=infinity_cap`` is
    TRUE), so the flag column reads 1 and the next row holds the word:
    ``IF(E60,D60,...)``, while ``IF(E60,C60,...)`` holds C60's number."""
    values = compile_workbook(_edited(short_retraining_book, tmp_path / "w.xlsx", _word)).values()
    ws = "No retraining"
    assert values[(ws, "B60")] == "oops"
    assert values[(ws, "F60")] == "#VALUE!" and values[(ws, "D61")] == "oops"
    assert values[(ws, "E60")] == 1.0 and values[(ws, "C61")] == values[(ws, "C60")]
    assert isinstance(values[(ws, "D59")], float)
