"""Read a workbook's cells and group its formulas into families (runs).

A run is a block of consecutive rows of one column whose cells share one
relative formula (one R1C1 formula): a column filled down is one run, the
first row above it usually another, and a cell edited in the middle of a
column splits it into three. Every other non-empty cell is a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from pysie.excel.reader import WorkbookError, check_container
from pysie.expr import Call, Expr, Name
from pysie.recalc.compiled.parse import Area, Ref, Unsupported, parse_key, relative_key
from pysie.excel.xlsx import read_book_cells

ColumnKey = tuple[str, str]  # (sheet, column letter)

_ERROR_TEXT = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


@dataclass(frozen=True)
class Run:
    """Rows ``start..end`` of one column computing one formula (references resolved)."""

    sheet: str
    col: str
    start: int
    end: int
    tree: Expr
    formula: str  # the first cell's formula text, for messages

    @property
    def column(self) -> ColumnKey:
        return (self.sheet, self.col)

    def cell(self, row: int) -> str:
        return f"{self.sheet}!{self.col}{row}"


@dataclass
class Cells:
    """Every cell of a workbook: constants by column, formulas as runs."""

    path: Path
    sheets: list[str]
    numbers: dict[ColumnKey, dict[int, float]] = field(default_factory=dict)
    texts: dict[ColumnKey, set[int]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    names: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # lower-case name -> (sheet, col, row)
    name_spelling: dict[str, str] = field(default_factory=dict)
    max_row: dict[str, int] = field(default_factory=dict)

    def formula_rows(self) -> dict[ColumnKey, list[Run]]:
        out: dict[ColumnKey, list[Run]] = {}
        for run in self.runs:
            out.setdefault(run.column, []).append(run)
        for runs in out.values():
            runs.sort(key=lambda r: r.start)
        return out


def _constant(value: Any) -> float | str | None:
    """A constant cell's number, or its text; errors are NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return math.nan if value in _ERROR_TEXT else value
    raise Unsupported(f"a cell holding {type(value).__name__}")


def read_cells(path: Path) -> Cells:
    """Read ``path`` once (formulas and constants) and find its runs."""
    path = Path(path)
    check_container(path)
    try:
        book = read_book_cells(path)
    except Exception as exc:  # broken parts fail in many ways
        raise WorkbookError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {exc})") from None
    cells = Cells(path, list(book.sheetnames))
    _read_names(book.defined_names, book.sheetnames, cells)
    parsed: dict[str, Expr] = {}
    for ws in book.worksheets:
        sheet = ws.title
        cells.max_row[sheet] = ws.max_row
        pending: dict[str, list[tuple[int, str, str]]] = {}  # col -> [(row, key, formula)]
        for (row, col_idx), (value, data_type) in ws.cells.items():
            if value is None:
                continue
            col = get_column_letter(col_idx)
            if isinstance(value, str) and value.startswith("=") and len(value) > 1:
                pending.setdefault(col, []).append((row, relative_key(value, row), value))
            elif not isinstance(value, str) and data_type == "f":
                raise Unsupported(f"{sheet}!{col}{row}: an array or data-table formula")
            else:
                const = _constant(value)
                if isinstance(const, str):
                    cells.texts.setdefault((sheet, col), set()).add(row)
                else:
                    cells.numbers.setdefault((sheet, col), {})[row] = const
        for col, entries in pending.items():
            entries.sort()
            for start, end, key, formula in _blocks(entries):
                if key not in parsed:
                    try:
                        parsed[key] = parse_key(key)
                    except Unsupported as exc:
                        raise Unsupported(f"{sheet}!{col}{start} ({formula}): {exc}") from None
                tree = _resolve(parsed[key], sheet, cells, f"{sheet}!{col}{start}")
                cells.runs.append(Run(sheet, col, start, end, tree, formula))
    return cells


def _blocks(entries: list[tuple[int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Consecutive rows with one key as (start, end, key, first formula)."""
    out: list[tuple[int, int, str, str]] = []
    for row, key, formula in entries:
        if out and out[-1][2] == key and out[-1][1] == row - 1:
            start, _, _, first = out[-1]
            out[-1] = (start, row, key, first)
        else:
            out.append((row, row, key, formula))
    return out


def _read_names(defined_names: Any, sheetnames: list[str], cells: Cells) -> None:
    """Workbook-scoped names that point at one cell (others are refused when used)."""
    for name, defined in defined_names.items():
        try:
            destinations = list(defined.destinations)
        except Exception:  # a name holding a formula or a constant
            continue
        if len(destinations) != 1:
            continue
        sheet, ref = destinations[0]
        ref = ref.replace("$", "")
        if ":" in ref or sheet not in sheetnames:
            continue
        col, row = coordinate_from_string(ref)
        cells.names[name.lower()] = (sheet, col, row)
        cells.name_spelling[name.lower()] = name


def _resolve(tree: Expr, sheet: str, cells: Cells, where: str) -> Expr:
    """Give every reference its sheet and every defined name its cell."""
    if isinstance(tree, Ref):
        if tree.sheet and tree.sheet not in cells.sheets:
            raise Unsupported(f"{where}: no sheet named {tree.sheet!r}")
        return tree if tree.sheet else Ref(sheet, tree.col, tree.row, tree.relative)
    if isinstance(tree, Area):
        if tree.sheet and tree.sheet not in cells.sheets:
            raise Unsupported(f"{where}: no sheet named {tree.sheet!r}")
        return tree if tree.sheet else Area(sheet, tree.col, tree.row0, tree.rel0, tree.row1, tree.rel1)
    if isinstance(tree, Name):
        target = cells.names.get(tree.name.lower())
        if target is None:
            raise Unsupported(f"{where}: the name {tree.name!r} is not a workbook name of one cell")
        return Ref(target[0], target[1], target[2], False)
    if isinstance(tree, Call):
        return Call(tree.op, tuple(_resolve(a, sheet, cells, where) for a in tree.args))
    return tree


def column_number(col: str) -> int:
    return column_index_from_string(col)
