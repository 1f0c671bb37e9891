"""Helpers that edit a built workbook the way a person (or another program) would."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from pysie.excel.cache import sheet_parts


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def copy_book(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def edit(path: Path, change: Callable[[Any], None], out: Path | None = None) -> Path:
    """Open ``path`` with openpyxl, apply ``change(book)``, save to ``out`` (or over it)."""
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(out or path)
    return Path(out or path)


def cell_of(book: Any, name: str) -> Any:
    """The cell a workbook-scoped defined name points at."""
    ((sheet, ref),) = book.defined_names[name].destinations
    return book[sheet][ref.replace("$", "")]


def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes], out: Path | None = None) -> Path:
    """Rewrite one member of the zip (bytes in, bytes out), keeping the rest."""
    out = Path(out or path)
    tmp = out.with_suffix(".rewrite")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, change(data) if item.filename == part else data)
    tmp.replace(out)
    return out


def set_cell_xml(path: Path, sheet: str, ref: str, inner: str, attrs: str = "") -> Path:
    """Replace cell ``ref`` of ``sheet`` by ``<c r=ref attrs>inner</c>`` in the XML."""
    with zipfile.ZipFile(path) as z:
        part = sheet_parts(z)[sheet]
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)

    def change(data: bytes) -> bytes:
        new, n = pattern.subn(f'<c r="{ref}"{attrs}>{inner}</c>'.encode(), data, count=1)
        assert n == 1, f"{sheet}!{ref} not found"
        return new

    return rewrite_part(path, part, change)


_SHEET_DATA = re.compile(rb"<sheetData>.*?</sheetData>|<sheetData/>", re.S)


def without_cells(path: Path, out: Path) -> Path:
    """A copy of ``path`` whose worksheets hold no cells (an empty sheetData):
    openpyxl then reads what lies outside the cells (print setup, data validation,
    defined names) in a
    fraction of the time a whole workbook takes."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/") and item.filename.endswith(".xml"):
                data, n = _SHEET_DATA.subn(b"<sheetData/>", data, count=1)
                assert n == 1, item.filename
            zout.writestr(item, data)
    return out
