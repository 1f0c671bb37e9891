"""Bad input: exit status 2, a one-line reason naming file, sheet, cell and
parameter where they exist, and the file on disk byte-for-byte unchanged."""

from __future__ import annotations

import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from pysie.cli import main
from tests.editing import cell_of, copy_book, digest, edit, rewrite_part, set_cell_xml


@pytest.fixture
def book(short_retraining_book: Path, tmp_path: Path) -> Path:
    return copy_book(short_retraining_book, tmp_path / "edited.xlsx")


def refused(args: list[str], path: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Run the CLI; assert exit 2, one line naming ``words``, ``path`` unchanged."""
    before = digest(path) if path.is_file() else None
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pysie: error: "), err
    for word in words:
        assert word in err, (word, err)
    assert (digest(path) if path.is_file() else None) == before
    return err


def import_refused(path: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    return refused(["import", str(path)], path, capsys, str(path.name), *words)


# --- not a workbook -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"name,value\nresearch_returns,1.5\n", "not a zip archive"),  # a CSV renamed
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096), "old binary .xls"),
        (random.Random(4).randbytes(5000), "not a zip archive"),
        (b"", "not a zip archive"),
    ],
    ids=["csv-renamed", "old-xls", "random-bytes", "empty-file"],
)
def test_not_an_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(content)
    import_refused(path, capsys, reason)


def test_truncated_zip(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book.write_bytes(book.read_bytes()[: book.stat().st_size // 2])
    import_refused(book, capsys, "truncated or corrupted")


def test_corrupted_zip_member(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(book) as z:
        info = z.getinfo("xl/worksheets/sheet2.xml")
    data = bytearray(book.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[start : start + 64] = bytes(64)
    book.write_bytes(bytes(data))
    import_refused(book, capsys, "corrupted")


def test_encrypted_workbook(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    msoffcrypto = pytest.importorskip(
        "msoffcrypto", reason="msoffcrypto-tool (dev extra) creates the encrypted fixture"
    )
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = tmp_path / "locked.xlsx"
    with open(book, "rb") as src, open(encrypted, "wb") as out:
        OOXMLFile(src).encrypt("secret", out)
    with open(encrypted, "rb") as fh:
        assert msoffcrypto.OfficeFile(fh).is_encrypted()
    import_refused(encrypted, capsys, "encrypted")


def test_zip_bomb_is_refused_by_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """~2 MB on disk, 528 MiB unpacked: refused from the sizes in the zip directory,
    before anything is decompressed."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = bytes(8 << 20)
            for _ in range(66):
                f.write(chunk)
    import_refused(path, capsys, "unpacks to more than")


def test_entity_expansion_never_runs(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A billion-laughs sharedStrings.xml: openpyxl parses with defusedxml, which
    refuses entity declarations instead of expanding them."""
    assert openpyxl.DEFUSEDXML is True
    lol = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
        + "]>"
    )
    bomb = f'<?xml version="1.0"?>{lol}<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    rewrite_part(book, "xl/sharedStrings.xml", lambda _: bomb.encode())
    import_refused(book, capsys, "cannot be read as a workbook", "Entities")


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import_refused(tmp_path / "nowhere.xlsx", capsys, "no such file")


def test_a_folder_is_not_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dir.xlsx").mkdir()
    refused(["import", str(tmp_path / "dir.xlsx")], tmp_path / "dir.xlsx", capsys, "is a folder")


# --- a workbook, but not of a known model ---------------------------------------------


def test_workbook_of_another_model(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, lambda b: b["Docs"].__setitem__("B2", "no_such_model"))
    import_refused(book, capsys, "pysie_model", "unknown model 'no_such_model'")


def test_workbook_of_no_model(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, lambda b: b.defined_names.pop("pysie_model"))
    import_refused(book, capsys, "not a pysie workbook")


def test_plain_spreadsheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(path)
    import_refused(path, capsys, "not a pysie workbook")


def test_missing_defined_name(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, lambda b: b.defined_names.pop("research_returns"))
    import_refused(book, capsys, "defined name 'research_returns' is missing")


def test_renamed_defined_name(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def rename(b: Any) -> None:
        old = b.defined_names.pop("research_returns")
        b.defined_names["research_return"] = DefinedName("research_return", attr_text=old.attr_text)

    edit(book, rename)
    import_refused(book, capsys, "defined name 'research_returns' is missing")


# --- bad values -------------------------------------------------------------------------


def _set(name: str, value: Any) -> Callable[[Any], None]:
    def change(b: Any) -> None:
        cell_of(b, name).value = value

    return change


@pytest.mark.parametrize(
    "value, reason",
    [
        ("abc", "a number is needed, found 'abc'"),
        (None, "found an empty cell"),
        ("inf", "inf is not a finite number"),
        ("nan", "nan is not a finite number"),
        (-1.0, "outside its bounds (0, 20]"),
        (25, "outside its bounds (0, 20]"),
        (True, "a number is needed, found True"),
    ],
    ids=["text", "empty", "text-inf", "text-nan", "below", "above", "bool"],
)
def test_bad_input_value(book: Path, capsys: pytest.CaptureFixture[str], value: Any, reason: str) -> None:
    edit(book, _set("research_returns", value))
    import_refused(book, capsys, "research_returns", "Inputs!B9", reason)


def test_whole_number_needed(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, _set("horizon_days", 250.5))
    import_refused(book, capsys, "horizon_days", "Inputs!B15", "a whole number is needed")


def test_error_value_of_an_input_formula(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """=1/0 saved with its cached #DIV/0! (as Excel or LibreOffice would)."""
    set_cell_xml(book, "Inputs", "B9", "<f>1/0</f><v>#DIV/0!</v>", ' t="e"')
    import_refused(book, capsys, "research_returns", "Inputs!B9", "formula =1/0", "#DIV/0!")


def test_circular_reference_in_an_input(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, _set("research_returns", "=research_returns*1"))
    import_refused(book, capsys, "circular reference Inputs!B9 -> Inputs!B9")


def test_circular_reference_through_two_inputs(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(b: Any) -> None:
        cell_of(b, "research_returns").value = "=Inputs!H40"
        b["Inputs"]["H40"] = "=research_returns+0"

    edit(book, change)
    import_refused(book, capsys, "circular reference", "Inputs!H40")


def test_circular_reference_in_the_model_formulas(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(b: Any) -> None:
        b["No retraining"]["C10"] = "=C11+B9/research_doubling_days"
        b["No retraining"]["C11"] = "=C10+B10/research_doubling_days"

    edit(book, change)
    import_refused(book, capsys, "circular reference", "No retraining!C10", "No retraining!C11")


def test_deleted_model_sheet(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, lambda b: b.remove(b["From scratch"]))
    import_refused(book, capsys, "sheet 'From scratch'", "is missing")


# --- writing --------------------------------------------------------------------------


def test_recalc_never_overwrites_unless_asked(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = copy_book(book, tmp_path / "out.xlsx")
    refused(["recalc", str(book), "-o", str(out)], out, capsys, "exists; pass --force")


def test_build_never_overwrites_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "retraining.xlsx").write_bytes(b"a person's file")
    refused(["build", "retraining", "-o", str(tmp_path)], tmp_path / "retraining.xlsx", capsys, "exists; pass --force")


def test_output_folder_missing(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(
        ["recalc", str(book), "-o", str(tmp_path / "missing" / "out.xlsx")], book, capsys, "folder", "does not exist"
    )


def test_output_folder_is_a_file(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "afile").write_text("x")
    refused(["build", "retraining", "--from", str(book), "-o", str(tmp_path / "afile" / "out")], book, capsys, "afile")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write into read-only folders")
def test_output_folder_read_only(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        refused(["recalc", str(book), "-o", str(folder / "out.xlsx")], book, capsys, "not writable")
    finally:
        folder.chmod(0o755)


def test_crash_while_writing_recalc_keeps_the_old_file(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pysie.recalc.writeback as writeback

    def half_written(src: Path, dst: Path, values: Any) -> int:
        Path(dst).write_bytes(Path(src).read_bytes()[:1000])
        raise RuntimeError("power cut")

    monkeypatch.setattr(writeback, "recalculate", lambda path, engine: {})
    monkeypatch.setattr(writeback, "write_cached_values", half_written)
    before = digest(book)
    with pytest.raises(RuntimeError, match="power cut"):
        writeback.recalc_to_file(book, None, in_place=True)
    assert digest(book) == before
    assert sorted(p.name for p in book.parent.iterdir()) == [book.name]  # no temporary file left


def test_crash_while_writing_build_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter

    assert main(["build", "retraining", "-o", str(tmp_path), "--set", "horizon_days=200"]) == 0
    path = tmp_path / "retraining.xlsx"
    before = digest(path)

    def half_written(self: Any) -> None:
        Path(self.filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise RuntimeError("disk full")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", half_written)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["build", "retraining", "-o", str(tmp_path), "--force", "--set", "horizon_days=300"])
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retraining.xlsx"]
