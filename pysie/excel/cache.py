"""Read the cells of an .xlsx, and write new cached values beside its formulas.

openpyxl drops every cached value when it saves a workbook it loaded with
formulas, so recalculated values are written by rewriting the ``<v>`` of
each formula cell in the sheet XML, leaving everything else byte for byte.
"""

from __future__ import annotations

import math
import re
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(/>|>(.*?)</c>)', re.S)
_FORMULA = re.compile(rb"<f[ >/].*?(?:</f>|/>)", re.S)


@dataclass(frozen=True)
class CellValue:
    """A cached value: a number, text, or an error code."""

    value: float | str | None
    error: bool = False


def sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part inside the zip, for worksheets."""
    workbook = SafeET.fromstring(book.read("xl/workbook.xml"))
    rels = SafeET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    parts: dict[str, str] = {}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        if "worksheets/" not in target:
            continue
        target = target.lstrip("/")
        parts[sheet.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
    return parts


def _value_xml(value: float | str | bool | None) -> tuple[bytes, bytes]:
    """(type attribute, ``<v>`` element) of a cached value."""
    if isinstance(value, bool):
        return b' t="b"', f"<v>{int(value)}</v>".encode()
    if value is None:
        return b"", b""
    if isinstance(value, str):
        if value in ERROR_CODES:
            return b' t="e"', f"<v>{value}</v>".encode()
        return b' t="str"', f"<v>{escape(value)}</v>".encode()
    if not math.isfinite(value):
        return b' t="e"', b"<v>#NUM!</v>"
    return b"", f"<v>{float(value)!r}</v>".encode()


def write_cached_values(src: Path, dst: Path, values: Mapping[tuple[str, str], float | str | bool | None]) -> int:
    """Copy ``src`` to ``dst`` with the cached value of each formula cell
    ``(sheet, cell)`` in ``values`` replaced. Returns how many were written."""
    by_sheet: dict[str, dict[bytes, float | str | bool | None]] = {}
    for (sheet, cell), value in values.items():
        by_sheet.setdefault(sheet.upper(), {})[cell.encode()] = value
    written = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        parts = {part: name.upper() for name, part in sheet_parts(zin).items()}
        for item in zin.infolist():
            data = zin.read(item.filename)
            wanted = by_sheet.get(parts.get(item.filename, ""), {})
            if wanted:
                filled = _array_blocks(data)

                def replace(
                    match: re.Match[bytes],
                    wanted: Mapping[bytes, float | str | bool | None] = wanted,
                    filled: list[tuple[int, int, int, int]] = filled,
                ) -> bytes:
                    nonlocal written
                    ref, attrs, body = match.group(1), match.group(2), match.group(4) or b""
                    formula = _FORMULA.search(body)
                    if ref not in wanted or (formula is None and not (filled and _inside(ref.decode(), filled))):
                        return match.group(0)  # (a cell an array formula fills has a value and no formula)
                    written += 1
                    kind, v = _value_xml(wanted[ref])
                    attrs = re.sub(rb'\s+t="[^"]*"', b"", attrs)
                    kept = formula.group(0) if formula is not None else b""
                    return b'<c r="' + ref + b'"' + attrs + kind + b">" + kept + v + b"</c>"

                data = _CELL.sub(replace, data)
            zout.writestr(item, data)
    return written


#: a ``<v>`` with or without attributes (``xml:space="preserve"``), or an empty ``<v/>``
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>(.*?)</v>|<v\s*/>", re.S)
_TYPE = re.compile(rb'\st="([^"]*)"')


def read_cached_values(path: Path) -> dict[tuple[str, str], float | str | bool | None]:
    """The cached value of every formula cell, ``(sheet, cell) -> value``, read
    from the sheet XML as stored: numbers stay numbers whatever their number
    format (openpyxl turns a date-formatted cell into a datetime, and a serial
    past 9999-12-31 into an error); errors are their codes."""
    from xml.sax.saxutils import unescape

    values: dict[tuple[str, str], float | str | bool | None] = {}
    with zipfile.ZipFile(path) as book:
        for sheet, part in sheet_parts(book).items():
            xml = book.read(part)
            filled = _array_blocks(xml)
            for match in _CELL.finditer(xml):
                body = match.group(4) or b""
                if _FORMULA.search(body) is None and not (filled and _inside(match.group(1).decode(), filled)):
                    continue
                kind = _TYPE.search(match.group(2))
                raw = _VALUE.search(body)
                text = unescape((raw.group(1) or b"").decode()) if raw else None
                values[(sheet, match.group(1).decode())] = cached_value(text, kind.group(1).decode() if kind else "n")
    return values


def cached_value(text: str | None, data_type: str) -> float | str | bool | None:
    """A formula cell's cached value from the text of its ``<v>`` and its type attribute
    ``t``: None for no value (or an empty ``<v/>`` where a number goes), a bool for ``b``,
    the text itself for errors and texts, else the number."""
    if text is None or (text.strip() == "" and data_type not in ("str", "inlineStr", "s")):
        return None
    if data_type == "b":
        return text.strip() == "1"
    if data_type in ("e", "str", "inlineStr", "s"):
        return text
    return float(text)


_ARRAY = re.compile(
    rb'<f[^>]*?\bt="array"[^>]*?\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"|<f[^>]*?\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"[^>]*?\bt="array"'
)


def _array_blocks(xml: bytes) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of every array formula
    filling a range: its cells other than the first hold cached values only."""
    from openpyxl.utils.cell import range_boundaries

    out = []
    for m in _ARRAY.finditer(xml):
        c0, r0, c1, r1 = range_boundaries((m.group(1) or m.group(2)).decode())
        out.append((c0 or 1, r0 or 1, c1 or 1, r1 or 1))
    return out


def _inside(cell: str, blocks: list[tuple[int, int, int, int]]) -> bool:
    from openpyxl.utils.cell import coordinate_to_tuple

    row, col = coordinate_to_tuple(cell)
    return any(c0 <= col <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in blocks)


def copy_file(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
