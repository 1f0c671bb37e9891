"""Excel's booleans in the compiled engine, on small workbooks written with openpyxl.

TRUE and FALSE are a type of their own (:mod:`pysie.recalc.compiled.values`):
a typed TRUE cell reads as a boolean, :meth:`CompiledWorkbook.values` gives a
Python ``bool`` wherever Excel shows TRUE or FALSE (whatever formula gave it),
arithmetic reads them as 1 and 0, and functions over ranges skip them. Each
workbook is evaluated both ways the engine evaluates one scenario (row steps
on Python floats, and as arrays), which must agree value for value and type
for type.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from pysie.excel.cache import read_cached_values
from pysie.recalc.compiled import compile_workbook
from pysie.recalc.writeback import recalc_to_file


def _write(path: Path, cells: dict[str, Any]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "T"
    for ref, value in cells.items():
        sheet[ref] = value
    book.save(path)
    return path


def _both_ways(path: Path) -> dict[tuple[str, str], Any]:
    """values() with the one-scenario row steps and as arrays; they must agree, types included."""
    compiled = compile_workbook(path)
    scalar = compiled.values()
    compiled.scalar_rows = False
    arrays = compiled.values()
    assert {k: (type(v), v) for k, v in scalar.items()} == {k: (type(v), v) for k, v in arrays.items()}
    return scalar


#: formula -> Excel's value, over A1 = TRUE (typed), A2 = 2, A3 = 3, A4 = FALSE (typed), A5 = "x"
EXCEL: dict[str, Any] = {
    "=A1": True,
    "=A4": False,
    "=ISLOGICAL(A1)": True,
    "=ISLOGICAL(A2)": False,
    "=ISNUMBER(A1)": False,
    "=ISNUMBER(TRUE)": False,
    "=ISTEXT(A1)": False,
    "=A1+1": 2.0,
    "=A4*5": 0.0,
    "=-A1": -1.0,
    "=TRUE*2": 2.0,
    "=(A2>1)*10": 10.0,
    "=N(A1)": 1.0,
    "=SUM(A1:A5)": 5.0,
    "=SUM(A1,1)": 1.0,
    "=SUM(TRUE,1)": 2.0,
    "=COUNT(A1:A5)": 2.0,
    "=COUNTA(A1:A5)": 5.0,
    "=AVERAGE(A1:A5)": 2.5,
    "=MIN(A1:A5)": 2.0,
    "=MAX(A1:A4)": 3.0,
    '=A1&""': "TRUE",
    '=A4&"!"': "FALSE!",
    '=TEXT(A1,"0")': "TRUE",
    "=A2=TRUE": False,
    "=A1=TRUE": True,
    "=A1>A3": True,
    "=A1>A5": True,
    "=A5>A3": True,
    "=A4<A1": True,
    "=A1=1": False,
    "=IF(A2>0,TRUE,5)": True,
    "=IF(A2>5,1)": False,
    '=IF(A1,"yes","no")': "yes",
    '=IF(A4,"yes","no")': "no",
    "=IF(A4,1,A1)": True,
    "=AND(A1,A2)": True,
    "=AND(2,0)": False,
    "=OR(A4,0)": False,
    "=NOT(A4)": True,
    "=MATCH(TRUE,A1:A5,0)": 1.0,
    "=MATCH(FALSE,A1:A5,0)": 4.0,
    "=INDEX(A1:A5,4)": False,
    "=COUNTIF(A1:A5,TRUE)": 1.0,
    "=YEARFRAC(1,200,A1)": "#VALUE!",
    "=YEARFRAC(1,200,A2>0)": "#VALUE!",
    "=ROUND(A1,0)": 1.0,
    '=INDIRECT("A2",TRUE)': 2.0,
    "=OFFSET(A1,TRUE,0)": 2.0,
}


@pytest.fixture(scope="module")
def booleans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cells: dict[str, Any] = {"A1": True, "A2": 2, "A3": 3, "A4": False, "A5": "x"}
    cells.update({f"C{row}": formula for row, formula in enumerate(EXCEL, start=1)})
    return _write(tmp_path_factory.mktemp("booleans") / "booleans.xlsx", cells)


def test_every_boolean_case_is_excels_value(booleans: Path) -> None:
    values = _both_ways(booleans)
    bad = []
    for row, (formula, want) in enumerate(EXCEL.items(), start=1):
        found = values[("T", f"C{row}")]
        if type(found) is not type(want) or found != want:
            bad.append(f"C{row} {formula}: {found!r}, Excel {want!r}")
    assert not bad, "\n".join(bad)


def test_booleans_from_cells_in_a_row_loop(tmp_path: Path) -> None:
    """A column reading its own row above (a row step): B flips a typed FALSE down
    the rows through IF of a boolean read from a cell, C counts the TRUEs as 1."""
    cells: dict[str, Any] = {"B1": False, "C1": 0}
    for row in range(2, 9):
        cells[f"B{row}"] = f"=IF(B{row - 1},FALSE,TRUE)"
        cells[f"C{row}"] = f"=C{row - 1}+B{row}"
    values = _both_ways(_write(tmp_path / "loop.xlsx", cells))
    assert [values[("T", f"B{row}")] for row in range(2, 9)] == [row % 2 == 0 for row in range(2, 9)]
    assert all(type(values[("T", f"B{row}")]) is bool for row in range(2, 9))
    assert values[("T", "C8")] == 4.0


def test_a_boolean_input_and_evaluate(tmp_path: Path) -> None:
    """An input set to a Python bool is that boolean; evaluate() gives TRUE as 1.0."""
    path = _write(tmp_path / "input.xlsx", {"A1": 5, "B1": "=A1>3", "C1": "=ISLOGICAL(A1)"})
    book = openpyxl.load_workbook(path)
    book.defined_names["big"] = DefinedName("big", attr_text="T!$B$1")
    book.save(path)
    compiled = compile_workbook(path)
    assert compiled.values() == {("T", "B1"): True, ("T", "C1"): False}
    assert compiled.values({("T", "A1"): True})[("T", "C1")] is True
    assert compiled.evaluate({("T", "A1"): [1.0, 4.0]})["big"].tolist() == [0.0, 1.0]


def test_cached_booleans_are_written_as_booleans(booleans: Path, tmp_path: Path) -> None:
    """``pysie recalc`` writes a boolean result with the type t="b", which reads back as a bool."""
    out = recalc_to_file(booleans, tmp_path / "out.xlsx")
    cached = read_cached_values(out)
    row = list(EXCEL).index("=ISLOGICAL(A1)") + 1
    assert cached[("T", f"C{row}")] is True
    with zipfile.ZipFile(out) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(rf'<c r="C{row}"[^>]*\bt="b"', xml), "the cell is not written as a boolean"
    assert not re.search(r'<c r="C8"[^>]*\bt="b"', xml), "a number is written as a boolean"
    assert cached[("T", "C1")] is True and cached[("T", "C8")] == 2.0
