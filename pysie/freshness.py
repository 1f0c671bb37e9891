"""Are the committed workbooks what the templates build today?

``pysie build --check`` regenerates every template into a temporary folder and
compares each result with the committed workbook cell by cell: the sheet list,
every cell's content (formula text, or constant) and every cached value
(numbers within a relative tolerance, everything else exactly). Bytes are not
compared, so a rebuilt file that differs only in zip timestamps or ordering
is still current.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysie.excel.reader import open_workbook

DEFAULT_RTOL = 1e-9

Cells = dict[tuple[str, str], Any]


@dataclass(frozen=True)
class Stale:
    """One way a committed workbook differs from a fresh build."""

    book: str
    where: str  # "Sheet!A1", or "" for the whole file
    what: str

    def describe(self) -> str:
        return f"{self.book} {self.where}: {self.what}" if self.where else f"{self.book}: {self.what}"


def _cells(path: Path, *, data_only: bool) -> tuple[list[str], Cells]:
    book = open_workbook(path, data_only=data_only)
    cells: Cells = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    cells[(ws.title, c.coordinate)] = c.value
    return book.sheetnames, cells


def _same_value(a: Any, b: Any, rtol: float) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rtol * max(abs(a), abs(b))
    return bool(a == b)


def _differences(name: str, kind: str, old: Cells, new: Cells, rtol: float) -> list[Stale]:
    out = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[0], len(k[1]), k[1])):
        a, b = old.get(key), new.get(key)
        if not _same_value(a, b, rtol):
            out.append(Stale(name, f"{key[0]}!{key[1]}", f"{kind} committed {a!r}, fresh build {b!r}"))
    return out


def compare_books(committed: Path, fresh: Path, rtol: float = DEFAULT_RTOL) -> list[Stale]:
    """How ``committed`` differs from ``fresh``: sheets, cell contents
    (formulas and constants) and cached values; [] when they agree."""
    name = Path(committed).name
    sheets_old, contents_old = _cells(committed, data_only=False)
    sheets_new, contents_new = _cells(fresh, data_only=False)
    if sheets_old != sheets_new:
        return [Stale(name, "", f"sheets committed {sheets_old}, fresh build {sheets_new}")]
    out = _differences(name, "content", contents_old, contents_new, rtol)
    out += _differences(
        name, "cached value", _cells(committed, data_only=True)[1], _cells(fresh, data_only=True)[1], rtol
    )
    return out


def check_committed(folder: Path, templates: Path | None = None, rtol: float = DEFAULT_RTOL) -> list[Stale]:
    """Build every template into a temporary folder and compare each workbook
    with its committed copy in ``folder``; [] when all are current."""
    from pysie.build import build_all

    folder = Path(folder)
    out: list[Stale] = []
    with tempfile.TemporaryDirectory(prefix="pysie-check-") as tmp:
        for path, _, _ in build_all(Path(tmp), templates=templates):
            committed = folder / path.name
            if not committed.exists():
                out.append(Stale(path.name, "", f"missing from {folder}; run pysie build --force"))
                continue
            out += compare_books(committed, path, rtol)
    return out
