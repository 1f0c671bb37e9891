"""Stream the cells of a workbook straight from its sheet XML.

openpyxl builds a Cell object (with styles) for every cell and reads every
chart; the compiled engine only needs each cell's value. The small parts
(manifest, workbook, shared strings, styles, relationships) are read by
openpyxl's own readers; the sheets are parsed here with expat, giving each
cell the value and type openpyxl's ``WorkSheetParser.parse_cell`` would give
it (formula text, shared formulas translated by openpyxl's ``Translator``,
numbers as int or float, date-formatted numbers as dates, shared and inline
strings, booleans, error codes). A document type declaration (the door to
entity expansion) is refused.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from openpyxl.formula.translate import Translator
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.xml.constants import COMMENTS_NS, SHEET_MAIN_NS

from pysie.excel.cache import cached_value

_SEP = "}"
_C, _V, _F, _IS, _T, _R, _ROW = (f"{SHEET_MAIN_NS}{_SEP}{tag}" for tag in ("c", "v", "f", "is", "t", "r", "row"))
_REF_TAGS = {f"{SHEET_MAIN_NS}{_SEP}{tag}" for tag in ("mergeCell", "hyperlink")}
_COMMENT = f"{SHEET_MAIN_NS}{_SEP}comment"


class DocumentTypeRefused(ValueError):
    """An XML part declares a document type (possible entity expansion)."""


@dataclass
class SheetCells:
    """One worksheet: ``cells[(row, column)] = (value, data_type)`` as openpyxl
    reads them (empty cells included), and the last row openpyxl would report."""

    title: str
    cells: dict[tuple[int, int], tuple[Any, str]] = field(default_factory=dict)
    max_row: int = 1
    #: the value stored with every formula cell and every cell an array formula fills,
    #: as :func:`pysie.excel.cache.read_cached_values` reads it from the same XML
    cached: dict[tuple[int, int], float | str | bool | None] = field(default_factory=dict)


@dataclass
class BookCells:
    sheetnames: list[str]  # worksheets and chart sheets, in workbook order
    defined_names: Any  # openpyxl DefinedNameDict of workbook-scoped names
    worksheets: list[SheetCells]


@contextlib.contextmanager
def quiet_openpyxl() -> Iterator[None]:
    """Silence openpyxl's warnings about what other writers leave out and pysie
    never reads: a date-formatted serial past year 9999 (a "never" date) and a
    stylesheet without a default cell style (Gnumeric writes none)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is marked as a date.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*contains no default style.*", category=UserWarning)
        yield


def read_book_cells(path: Path) -> BookCells:
    """Every worksheet cell of ``path``; errors propagate (the caller words them)."""
    reader = ExcelReader(str(path), read_only=True, data_only=False)
    with quiet_openpyxl():
        return _read_cells(reader)


def _read_cells(reader: ExcelReader) -> BookCells:
    """The parts :func:`read_book_cells` reads, through ``reader``."""
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        wb = reader.wb
        names: list[str] = []
        sheets: list[SheetCells] = []
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files:
                continue
            names.append(sheet.name)
            if "chartsheet" in rel.Type:
                continue
            parser = _SheetParser(sheet.name, reader.shared_strings, wb._date_formats, wb._timedelta_formats, wb.epoch)
            _parse(parser, reader.archive.read(rel.target))
            rels_path = get_rels_path(rel.target)
            if rels_path in reader.valid_files:
                for r in get_dependents(reader.archive, rels_path).find(COMMENTS_NS):
                    _parse(_RefCollector(parser, {_COMMENT}), reader.archive.read(r.target))
            sheets.append(parser.sheet)
        return BookCells(names, reader.parser.defined_names.by_sheet().get("global", {}), sheets)
    finally:
        reader.archive.close()


def _refuse_doctype(*_: Any) -> None:
    raise DocumentTypeRefused("a document type declaration in a workbook part")


def _parse(handler: Any, data: bytes) -> None:
    p = expat.ParserCreate(namespace_separator=_SEP)
    p.buffer_text = True
    p.StartDoctypeDeclHandler = _refuse_doctype
    p.StartElementHandler = handler.start
    p.EndElementHandler = handler.end
    p.CharacterDataHandler = handler.text
    p.Parse(data, True)


class _SheetParser:
    """expat handlers reproducing ``openpyxl.worksheet._reader.WorkSheetParser``."""

    def __init__(
        self, title: str, shared_strings: list[str], date_formats: set[int], timedelta_formats: set[int], epoch: Any
    ) -> None:
        self.sheet = SheetCells(title)
        self.shared_strings = shared_strings
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self.epoch = epoch
        self.shared: dict[str, Translator] = {}
        self.row = 0
        self.col = 0
        self.attrs: dict[str, str] | None = None  # the open <c>
        self.formula: dict[str, str] | None = None
        self.buffer: list[str] | None = None
        self.value: str | None = None
        self.formula_text: str | None = None
        self.inline: list[str] | None = None
        self.text_depth = 0  # inside <is>: 1, inside <is><r>: 2
        self.arrays: list[tuple[int, int, int, int]] = []  # (first col, first row, last col, last row)

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == _C:
            self.attrs, self.formula, self.value, self.formula_text, self.inline = attrs, None, None, None, None
        elif self.attrs is not None:
            if tag in (_V, _F):
                self.buffer = []
                if tag == _F:
                    self.formula = attrs
            elif tag == _IS:
                self.inline = []
            elif self.inline is not None and tag == _T:
                self.buffer = []
        elif tag == _ROW:
            r = attrs.get("r")
            self.row = self.row + 1 if r is None else _row_number(r)
            self.col = 0
        elif tag in _REF_TAGS and "ref" in attrs:
            self.note_ref(attrs["ref"])

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def end(self, tag: str) -> None:
        if self.attrs is None:
            return
        if tag == _V:
            self.value, self.buffer = "".join(self.buffer or ()), None
        elif tag == _F:
            self.formula_text, self.buffer = ("".join(self.buffer) if self.buffer else None), None
        elif tag == _T and self.inline is not None and self.buffer is not None:
            self.inline.append("".join(self.buffer))
            self.buffer = None
        elif tag == _C:
            self.finish_cell(self.attrs)
            self.attrs = None

    def finish_cell(self, attrs: dict[str, str]) -> None:
        data_type = attrs.get("t", "n")
        coordinate = attrs.get("r")
        style_id: Any = attrs.get("s", 0)
        if style_id:
            style_id = int(style_id)
        value: Any = None if data_type == "inlineStr" else (self.value or None)
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col = column
        else:
            self.col += 1
            row, column = self.row, self.col
        if self.formula is not None or (self.arrays and self.filled(row, column)):
            self.sheet.cached[(row, column)] = cached_value(self.value, attrs.get("t", "n"))
        if self.formula is not None:
            data_type, value = "f", self.parse_formula(coordinate)
        elif value is not None:
            if data_type == "n":
                value = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                if style_id in self.date_formats:
                    data_type = "d"
                    try:
                        value = from_excel(value, self.epoch, timedelta=style_id in self.timedelta_formats)
                    except (OverflowError, ValueError):
                        data_type, value = "e", "#VALUE!"
            elif data_type == "s":
                value = self.shared_strings[int(value)]
            elif data_type == "b":
                value = bool(int(value))
            elif data_type == "str":
                data_type = "s"
            elif data_type == "d":
                value = from_ISO8601(value)
        elif data_type == "inlineStr" and self.inline is not None:
            data_type, value = "s", "".join(self.inline)
        self.sheet.cells[(row, column)] = (value, data_type)
        if row > self.sheet.max_row:
            self.sheet.max_row = row

    def parse_formula(self, coordinate: str | None) -> Any:
        formula = self.formula or {}
        kind = formula.get("t")
        value: Any = "=" + (self.formula_text or "")
        if kind == "array":
            try:
                c0, r0, c1, r1 = range_boundaries(str(formula.get("ref") or "").replace("$", ""))
                self.arrays.append((c0 or 1, r0 or 1, c1 or 1, r1 or 1))
            except (TypeError, ValueError):
                pass  # no range: the formula's own cell only
            return ArrayFormula(ref=formula.get("ref"), text=value)
        if kind == "shared":
            idx = formula.get("si", "")
            if idx in self.shared:
                return self.shared[idx].translate_formula(coordinate)
            if value != "=":
                self.shared[idx] = Translator(value, coordinate)
        elif kind == "dataTable":
            return DataTableFormula(**formula)
        return value

    def filled(self, row: int, column: int) -> bool:
        """Whether an array formula seen above fills the cell."""
        return any(c0 <= column <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in self.arrays)

    def note_ref(self, ref: str) -> None:
        """A merged range, hyperlink or comment creates (empty) cells in openpyxl."""
        last = ref.replace("$", "").split(":")[-1]
        digits = last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        if digits.isdigit() and int(digits) > self.sheet.max_row:
            self.sheet.max_row = int(digits)


class _RefCollector:
    """Cell references of ``tags`` in another part (comments) extend the sheet."""

    def __init__(self, sheet: _SheetParser, tags: set[str]) -> None:
        self.sheet, self.tags = sheet, tags

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in self.tags and "ref" in attrs:
            self.sheet.note_ref(attrs["ref"])

    def end(self, tag: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(value)
