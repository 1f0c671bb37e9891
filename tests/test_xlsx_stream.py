"""The compiled engine's streaming sheet reader gives every cell the value and
type openpyxl gives it, on sheet XML of the kinds other writers produce."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pysie.excel.cache import read_cached_values
from pysie.excel.xlsx import read_book_cells
from tests.conftest import REPO

# shared formulas, inline and shared strings, booleans, errors, a cell without
# a reference, array formulas (one filling two cells), a date-formatted number, formula texts
# stored empty and with xml:space, a merged range below the data
_SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData>
<row r="1"><c r="A1"><v>1.5</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2+$A$1</f><v>4.5</v></c><c r="C1" t="s"><v>0</v></c></row>
<row r="2"><c r="A2"><v>2</v></c><c r="B2"><f t="shared" si="0"/><v>0</v></c><c r="C2" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c></row>
<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3"><f t="shared" si="0"/></c><c r="C3" t="e"><v>#N/A</v></c><c><v>7E-1</v></c></row>
<row r="4"><c r="A4" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="B4"><f t="array" ref="B4:B4">SUM(A1:A2*A1:A2)</f><v>6</v></c><c r="C4" s="1"><v>45000</v></c><c r="D4"/></row>
<row r="5"><c r="A5" t="str"><f>""&amp;""</f><v/></c><c r="B5"><f t="array" ref="B5:C5">TRANSPOSE(A1:A2)*2</f><v>3</v></c><c r="C5"><v>4</v></c><c r="D5" t="str"><f>" x "</f><v xml:space="preserve"> x </v></c></row>
</sheetData>
<mergeCells count="1"><mergeCell ref="E9:F12"/></mergeCells>
</worksheet>"""
_STRINGS = """<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>shared text</t></si></sst>"""
_STRINGS_TYPE = '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'


@pytest.fixture()
def odd_book(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = 1
    ws["C4"] = 1.0
    ws["C4"].number_format = "yyyy-mm-dd"
    wb.create_sheet("Other")["A1"] = "=Sheet!A1"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    out = tmp_path / "odd.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _SHEET.encode()
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _STRINGS_TYPE.encode() + b"</Types>")
            dst.writestr(item, data)
        dst.writestr("xl/sharedStrings.xml", _STRINGS)
    return out


def _comparable(value: object) -> object:
    return (
        value
        if isinstance(value, (str, int, float, bool, type(None)))
        else (type(value).__name__, repr(vars(value)) if hasattr(value, "__dict__") else repr(value))
    )


def test_stream_reader_matches_openpyxl(odd_book: Path) -> None:
    book = openpyxl.load_workbook(odd_book)
    fast = read_book_cells(odd_book)
    assert fast.sheetnames == book.sheetnames
    for ws, streamed in zip(book.worksheets, fast.worksheets, strict=False):
        assert streamed.title == ws.title
        assert streamed.max_row == ws.max_row
        expected = {k: (_comparable(c.value), c.data_type) for k, c in ws._cells.items() if c.value is not None}
        found = {k: (_comparable(v), t) for k, (v, t) in streamed.cells.items() if v is not None}
        assert found == expected
    sheet = fast.worksheets[0].cells
    assert sheet[(3, 2)] == ("=A3*2+$A$1", "f")  # shared formula translated
    assert sheet[(3, 4)] == (0.7, "n")  # no reference: the next column
    assert sheet[(2, 3)] == ("inline", "s")
    assert sheet[(1, 3)] == ("shared text", "s")
    assert sheet[(4, 3)][1] == "d" and sheet[(4, 2)][1] == "f" and not isinstance(sheet[(4, 2)][0], str)
    assert fast.worksheets[0].max_row == 12  # the merged range


def _cached(path: Path) -> dict[tuple[str, str], object]:
    return {
        (ws.title, f"{get_column_letter(col)}{row}"): value
        for ws in read_book_cells(path).worksheets
        for (row, col), value in ws.cached.items()
    }


def test_the_stream_reader_keeps_each_formula_cells_stored_value(odd_book: Path) -> None:
    """The one pass over a sheet also keeps what build --check compares: the value stored with
    every formula cell and every cell an array formula fills (read alike by the regular
    expressions of pysie.excel.cache.read_cached_values)."""
    found = _cached(odd_book)
    expected = {"B1": 4.5, "B2": 0.0, "B3": None, "A4": "ab", "B4": 6.0, "A5": "", "B5": 3.0, "C5": 4.0, "D5": " x "}
    assert found == {("Sheet", cell): value for cell, value in expected.items()} | {("Other", "A1"): None}
    assert read_cached_values(odd_book) == found


@pytest.mark.parametrize(
    "path",
    [*sorted((REPO / "workbooks").glob("*.xlsx")), *sorted((REPO / "tests" / "data" / "corpus").rglob("*.xls[xm]"))],
    ids=lambda p: p.name,
)
def test_both_readers_of_stored_values_agree(path: Path) -> None:
    assert _cached(path) == read_cached_values(path)


def test_document_type_declarations_are_refused(odd_book: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(odd_book) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _SHEET.replace("<worksheet", '<!DOCTYPE w [<!ENTITY a "aaaa">]>\n<worksheet', 1).encode()
            dst.writestr(item, data)
    with pytest.raises(ValueError, match="document type"):
        read_book_cells(bomb)
