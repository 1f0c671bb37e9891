"""Read a workbook's cells and group its formulas into families (runs).

A run is a block of consecutive rows of one column whose cells share one
relative formula (one R1C1 formula): a column filled down is one run, the
first row above it usually another, and a cell edited in the middle of a
column splits it into three. Every other non-empty cell is a constant.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel

from pysie.excel.reader import WorkbookError, check_container
from pysie.excel.xlsx import BookCells, read_book_cells
from pysie.recalc.compiled.parse import (
    Area,
    Call,
    Const,
    Expr,
    KeyTemplate,
    Name,
    Ref,
    Unsupported,
    absolute_rows,
    finish,
    key_at,
    parse_key,
    relative_key,
)
from pysie.recalc.compiled.references import RESOLVERS
from pysie.recalc.compiled.values import ERROR_CODES, XlError, boolean, encode

ColumnKey = tuple[str, str]  # (sheet, column letter)


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
    texts: dict[ColumnKey, dict[int, str]] = field(default_factory=dict)  # text constants
    #: rows holding a boolean constant (TRUE, FALSE), whose values are in ``numbers``
    booleans: dict[ColumnKey, list[int]] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    names: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # lower-case name -> (sheet, col, row)
    other_names: dict[str, Expr] = field(default_factory=dict)  # names of ranges and constants
    name_spelling: dict[str, str] = field(default_factory=dict)
    max_row: dict[str, int] = field(default_factory=dict)

    def formula_rows(self) -> dict[ColumnKey, list[Run]]:
        out: dict[ColumnKey, list[Run]] = {}
        for run in self.runs:
            out.setdefault(run.column, []).append(run)
        for runs in out.values():
            runs.sort(key=lambda r: r.start)
        return out


def _constant(value: Any, data_type: str) -> float | str:
    """A constant cell's value: a number (errors and booleans as coded NaNs,
    dates as serial numbers) or its text."""
    if isinstance(value, bool):
        return boolean(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return encode(XlError(value)) if data_type == "e" and value in ERROR_CODES else value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
        return float(to_excel(value))
    raise Unsupported(f"a cell holding {type(value).__name__}")


def read_cells(path: Path, book: BookCells | None = None) -> Cells:
    """Read ``path`` once (formulas and constants) and find its runs; ``book``
    is the file already parsed (then it is not read again)."""
    path = Path(path)
    if book is None:
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
        last: dict[str, KeyTemplate] = {}  # col -> its last formula's key (see key_at)
        arrays: list[tuple[int, str, str, str]] = []  # array formulas over ranges: (row, col, ref, text)
        for (row, col_idx), (value, data_type) in ws.cells.items():
            if value is None:
                continue
            col = get_column_letter(col_idx)
            if data_type == "f" and isinstance(value, str) and value.startswith("=") and len(value) > 1:
                last[col] = found = key_at(value, row, last.get(col))
                pending.setdefault(col, []).append((row, found[0], value))
            elif data_type == "f" and type(value).__name__ == "ArrayFormula":
                arrays.append((row, col, str(value.ref or ""), value.text or ""))
            elif not isinstance(value, str) and data_type == "f":
                raise Unsupported("a data table").at(f"{sheet}!{col}{row}")
            else:
                try:
                    const = _constant(value, data_type)
                except Unsupported as exc:
                    raise exc.at(f"{sheet}!{col}{row}") from None
                if isinstance(const, str):
                    cells.texts.setdefault((sheet, col), {})[row] = const
                else:
                    cells.numbers.setdefault((sheet, col), {})[row] = const
                    if isinstance(value, bool):
                        cells.booleans.setdefault((sheet, col), []).append(row)
        for col, entries in pending.items():
            entries.sort()
            for start, end, key, formula in _blocks(entries):
                where = f"{sheet}!{col}{start}"
                try:
                    if key not in parsed:
                        parsed[key] = parse_key(key)
                    tree = finish(_resolve(parsed[key], sheet, cells), col)
                except Unsupported as exc:
                    raise exc.at(where) from None
                except RecursionError:
                    raise Unsupported("functions nested hundreds deep").at(where) from None
                cells.runs.append(Run(sheet, col, start, end, tree, formula))
        for row, col, ref, text in arrays:
            _array_runs(cells, sheet, row, col, ref, text, parsed)
    return cells


def _array_runs(cells: Cells, sheet: str, row: int, col: str, ref: str, text: str, parsed: dict[str, Expr]) -> None:
    """The runs of an array formula filling ``ref`` (written in its top-left
    cell ``col``/``row``): one single-cell run per element, each reading the
    ranges' cells at its own offset (:func:`~pysie.recalc.compiled.parse.element_of`);
    the values cached in the block's other cells are replaced."""
    where = f"{sheet}!{col}{row}"
    first, _, last = ref.replace("$", "").partition(":")
    try:
        c0, r0 = coordinate_from_string(first)
        c1, r1 = coordinate_from_string(last or first)
    except ValueError:
        raise Unsupported(f"an array formula over {ref!r}").at(where) from None
    if (c0, r0) != (col, row) or r1 < r0 or column_index_from_string(c1) < column_index_from_string(c0):
        raise Unsupported(f"an array formula over {ref!r}").at(where)
    if (r1 - r0 + 1) * (column_index_from_string(c1) - column_index_from_string(c0) + 1) > 100_000:
        raise Unsupported(f"an array formula over {ref} (more than 100,000 cells)").at(where)
    formula = "{" + (text if text.startswith("=") else "=" + text) + "}"
    key = relative_key(formula[1:-1], row)
    try:
        if key not in parsed:
            parsed[key] = parse_key(key)
        tree = absolute_rows(_resolve(parsed[key], sheet, cells), row)
        for j, c in enumerate(range(column_index_from_string(c0), column_index_from_string(c1) + 1)):
            letter = get_column_letter(c)
            for i, r in enumerate(range(r0, r1 + 1)):
                cells.numbers.get((sheet, letter), {}).pop(r, None)
                cells.texts.get((sheet, letter), {}).pop(r, None)
                cells.runs.append(Run(sheet, letter, r, r, finish(tree, letter, (i, j)), formula))
    except Unsupported as exc:
        raise exc.at(where) from None
    except RecursionError:
        raise Unsupported("functions nested hundreds deep").at(where) from None


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
    """Workbook-scoped names of one cell, of a range or of a number (others
    are refused when a formula uses them)."""
    for name, defined in defined_names.items():
        cells.name_spelling[name.lower()] = name
        text = str(defined.value or "").lstrip("=")
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None:
            cells.other_names[name.lower()] = Const(number)
            continue
        try:
            destinations = list(defined.destinations)
        except Exception:  # a name holding a formula
            continue
        if len(destinations) != 1:
            continue
        sheet, ref = destinations[0]
        ref = ref.replace("$", "")
        if sheet not in sheetnames:
            continue
        if ":" in ref:
            try:
                tree = parse_key(f"={_quoted(sheet)}!{_absolute(ref)}")
            except Unsupported:
                continue
            cells.other_names[name.lower()] = tree
            continue
        col, row = coordinate_from_string(ref)
        cells.names[name.lower()] = (sheet, col, row)


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """``A1:B7`` as ``$A$1:$B$7`` (and ``A:B`` as is)."""
    import re

    return re.sub(r"([A-Za-z]{1,3})([0-9]+)", r"$\1$\2", ref)


def _sheet_of(name: str | None, cells: Cells) -> str | None:
    """The workbook's spelling of a sheet name (Excel matches them case-insensitively)."""
    if name is None or name in cells.sheets:
        return name
    for s in cells.sheets:
        if s.lower() == name.lower():
            return s
    raise Unsupported(f"a reference to a sheet that does not exist ({name!r})")


def _resolve(tree: Expr, sheet: str, cells: Cells) -> Expr:
    """Give every reference its sheet and every defined name what it names."""
    if isinstance(tree, Ref):
        return Ref(_sheet_of(tree.sheet, cells) or sheet, tree.col, tree.row, tree.relative)
    if isinstance(tree, Area):
        return Area(
            _sheet_of(tree.sheet, cells) or sheet, tree.col, tree.row0, tree.rel0, tree.row1, tree.rel1, tree.col1
        )
    if isinstance(tree, Name):
        target = cells.names.get(tree.name.lower())
        if target is not None:
            return Ref(target[0], target[1], target[2], False)
        other = cells.other_names.get(tree.name.lower())
        if other is None:
            raise Unsupported(f"the name {tree.name!r}, which the workbook does not define as a cell, range or number")
        return _resolve(other, sheet, cells)
    if isinstance(tree, Call):
        call = Call(tree.op, tuple(_resolve(a, sheet, cells) for a in tree.args))
        resolver = RESOLVERS.get(call.op)  # OFFSET and INDIRECT: the reference they name
        return call if resolver is None else _resolve(resolver(call), sheet, cells)
    return tree


def column_number(col: str) -> int:
    return column_index_from_string(col)
