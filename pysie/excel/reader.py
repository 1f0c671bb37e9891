"""Read a workbook back: which model it holds, its inputs by defined name, and
every cell's formula and cached value.

Opening goes through :func:`open_workbook` (openpyxl) or :func:`read_book`
(one streamed parse of the sheet XML, read through the same API), which turn
every way a file can be unreadable into :class:`WorkbookError` with a
one-line reason naming the file. openpyxl parses with defusedxml when it is installed (it is a
dependency), so XML entity expansion never runs.
"""

from __future__ import annotations

import functools
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from pysie import steps
from pysie.excel.layout import DOCS, model_sheets
from pysie.excel.xlsx import BookCells, SheetCells, quiet_openpyxl, read_book_cells
from pysie.spec import InputError, Model


class WorkbookError(ValueError):
    """The file is not a workbook pysie can read; the message says why."""


#: Refuse archives that would unpack to more than this (zip bombs).
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
#: Refuse one member larger than this: the largest sheet pysie writes (100,000
#: rows of the widest table) is about 120 MiB.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
#: Refuse an XML member with a longer stretch than this between two markup
#: characters (``<`` or ``>``). No cell text (32,767 characters) or formula
#: (8,192) comes near it; megabytes of padding would be held as one string by
#: the XML parser (a few KB of zip can hold 500 MB of blanks).
MAX_TEXT_RUN = 1024 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")
#: Strict Open XML (ISO/IEC 29500 Strict) names its main namespace so.
_STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_SCAN_CHUNK = 4 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: An encrypted .xlsx is an OLE container holding this stream (UTF-16 name).
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def check_container(path: Path) -> None:
    """Raise :class:`WorkbookError` unless ``path`` is a readable .xlsx archive."""
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a workbook")
    if not path.is_file():  # a FIFO, socket or device would block or never end
        raise WorkbookError(f"{path}: is not a regular file (a pipe, socket or device), not a workbook")
    stat = path.stat()
    _check_archive(path, stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _check_archive(path: Path, dev: int, ino: int, size: int, mtime_ns: int) -> None:
    """The checks of :func:`check_container` on one version of a file (the
    stat fields key the cache, so an edited file is checked again)."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTION_STREAM in head:
            raise WorkbookError(
                f"{path}: an encrypted (password-protected) workbook; save an unencrypted copy as .xlsx"
            )
        raise WorkbookError(f"{path}: an old binary .xls (or other OLE file), not an .xlsx; save it as .xlsx")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK\x03\x04"):
            raise WorkbookError(f"{path}: a truncated or corrupted .xlsx (the zip archive has no directory at its end)")
        raise WorkbookError(f"{path}: not an .xlsx workbook (not a zip archive)")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                raise WorkbookError(f"{path}: a zip archive but not an .xlsx workbook (no xl/workbook.xml)")
            if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
                raise WorkbookError(
                    f"{path}: unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MiB; refusing to read it"
                )
            for info in z.infolist():
                _check_member(z, info, path)
            with z.open("xl/workbook.xml") as fh:
                if _STRICT_NAMESPACE in fh.read(8192):
                    raise WorkbookError(
                        f"{path}: a Strict Open XML workbook, which pysie does not read; "
                        "save it as a (Transitional) Excel Workbook .xlsx"
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise WorkbookError(f"{path}: corrupted or truncated archive ({exc})") from None


def _check_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    """Stream one member (memory: one chunk): its declared size within
    :data:`MAX_MEMBER_BYTES`, its checksum right (zipfile checks it at the end,
    and never returns more than the declared size) and, for XML, no stretch
    without markup longer than :data:`MAX_TEXT_RUN`."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise WorkbookError(
            f"{path}: member {info.filename} unpacks to {info.file_size / 2**20:.0f} MiB, more than "
            f"{MAX_MEMBER_BYTES // 2**20} MiB; refusing to read it"
        )
    xml = info.filename.lower().endswith(_XML_SUFFIXES)
    run = 0  # bytes since the last markup character
    try:
        with z.open(info) as fh:
            while chunk := fh.read(_SCAN_CHUNK):
                if xml:
                    run = _markup_gap(chunk, run, info.filename, path)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise WorkbookError(f"{path}: corrupted archive (member {info.filename} fails its checksum: {exc})") from None


def _markup_gap(chunk: bytes, run: int, member: str, path: Path) -> int:
    """Raise if ``chunk`` (after ``run`` bytes without ``<`` or ``>``) holds a
    stretch longer than :data:`MAX_TEXT_RUN` without one; return the run at its end."""
    data = np.frombuffer(chunk, dtype=np.uint8)
    marks = np.flatnonzero((data == 0x3C) | (data == 0x3E))
    if marks.size == 0:
        longest = run = run + data.size
    else:
        longest = max(run + int(marks[0]), int(np.diff(marks).max()) - 1 if marks.size > 1 else 0)
        run = data.size - 1 - int(marks[-1])
    if longest > MAX_TEXT_RUN:
        raise WorkbookError(
            f"{path}: member {member} holds more than {MAX_TEXT_RUN // 2**20} MiB without markup "
            "(padding, not spreadsheet content); refusing to read it"
        )
    return run


def open_workbook(path: Path, *, data_only: bool = False, read_only: bool = False) -> Any:
    """openpyxl workbook, or :class:`WorkbookError` with the reason.

    ``read_only`` streams each sheet when a cell is asked for instead of
    loading every cell up front: far faster for reading a few inputs; close
    the book afterwards (``book.close()``)."""
    check_container(path)
    try:
        with quiet_openpyxl():
            return openpyxl.load_workbook(path, data_only=data_only, read_only=read_only)
    except WorkbookError:
        raise
    except Exception as exc:  # openpyxl raises many types for broken parts
        cause = exc.__cause__ or exc.__context__
        why = f", because of {type(cause).__name__}" if cause is not None else ""
        first = (str(exc).strip().splitlines() or [""])[0]
        raise WorkbookError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {first}{why})") from None


def defined_name_target(book: Any, name: str) -> tuple[str, str] | None:
    """(sheet, cell) a workbook-scoped defined name points at, or None."""
    defined = book.defined_names.get(name)
    if defined is None:
        for key in book.defined_names:  # names are case-insensitive in Excel
            if key.lower() == name.lower():
                defined = book.defined_names[key]
                break
    if defined is None:
        return None
    destinations = list(defined.destinations)
    if len(destinations) != 1:
        return None
    sheet, ref = destinations[0]
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    if (min_col, min_row) != (max_col, max_row):
        return None
    return sheet, f"{openpyxl.utils.get_column_letter(min_col)}{min_row}"


@dataclass(frozen=True)
class Metadata:
    model: str
    template: str
    template_version: int
    pysie_version: str


def read_metadata(book: Any, path: Path) -> Metadata:
    """The model and template a workbook came from (names ``pysie_*``)."""
    values: dict[str, Any] = {}
    for name in ("pysie_model", "pysie_template", "pysie_template_version", "pysie_version"):
        target = defined_name_target(book, name)
        if target is None or target[0] not in book.sheetnames:
            if name == "pysie_model" and target is not None:
                raise WorkbookError(
                    f"{path}: defined name pysie_model points at sheet {target[0]!r}, which is missing "
                    f"(renamed or deleted); rename the sheet back to {target[0]!r}"
                )
            if name == "pysie_model":
                raise WorkbookError(f"{path}: not a pysie workbook (no defined name pysie_model)")
            values[name] = None
            continue
        values[name] = book[target[0]][target[1]].value
    try:
        version = int(values["pysie_template_version"] or 0)
    except (TypeError, ValueError):
        version = 0
    return Metadata(
        str(values["pysie_model"]),
        str(values["pysie_template"] or values["pysie_model"]),
        version,
        str(values["pysie_version"] or ""),
    )


class MissingSheet(InputError):
    """A sheet the model's inputs or formulas live on is not in the workbook."""

    def __init__(self, message: str, sheet: str) -> None:
        super().__init__(message)
        self.sheet = sheet


def require_model_sheets(book: Any, model: Model, path: Path) -> None:
    """Refuse (:class:`MissingSheet`) a workbook without one of the sheets of
    :func:`pysie.excel.layout.model_sheets`, renamed or deleted: the one rule
    every command that reads the model from a workbook (import, check, sweep)
    applies after reading which model it holds and before reading its inputs,
    so a renamed sheet is this one message whether or not its defined names
    were renamed along with it. ``build --from`` still carries the inputs over."""
    present = set(book.sheetnames)
    expected = model_sheets(model)
    missing = [sheet for sheet in expected if sheet not in present]
    if not missing:
        return
    known = {*expected, DOCS, *(c.sheet for c in model.charts), *(s.sheet for s in model.snapshots)}
    strangers = [sheet for sheet in book.sheetnames if sheet not in known]
    hint = f"; the workbook has {', '.join(map(repr, strangers))}, which the model does not" if strangers else ""
    sheet = missing[0]
    raise MissingSheet(
        f"{path}: sheet {sheet!r} of model {model.name} is missing (renamed or deleted{hint}); rename it back to "
        f"{sheet!r}, or carry the inputs into a fresh workbook with pysie build {model.name} --from {path.name} -o DIR",
        sheet,
    )


class BuiltShape(InputError):
    """A shape parameter's cell (:meth:`pysie.spec.Model.shaped`) no longer holds
    the value the sheets' columns were built with; ``parameter`` names it."""

    def __init__(self, message: str, parameter: str) -> None:
        super().__init__(message)
        self.parameter = parameter


def built_shape(book: Any, model: Model, values: Mapping[str, float]) -> dict[str, float] | None:
    """The values of ``model``'s shape parameters whose columns head the table
    sheets of ``book`` (row 1 of each table with a :attr:`~pysie.spec.Column.when`),
    or None when no shape's columns do (e.g. a header typed over)."""
    names = model.shape_parameters()
    tables = [t.name for t in model.tables if any(c.when is not None for c in t.columns)]
    for shape in sorted(model.shapes(), key=lambda s: s != {n: values[n] for n in names}):
        shaped = model.shaped(shape)
        if all(
            _headers(book, shaped.table(t).sheet, len(shaped.table(t).columns) + 1)
            == [c.name for c in shaped.table(t).columns]
            for t in tables
        ):
            return shape
    return None


def _headers(book: Any, sheet: str, width: int) -> list[str]:
    """The non-empty names of row 1 of ``sheet``, up to ``width`` columns."""
    ws = book[sheet]
    cells = (ws[f"{get_column_letter(c)}1"].value for c in range(1, width + 1))
    return [str(v).strip() for v in cells if v not in (None, "")]


def require_built_shape(
    book: Any, model: Model, values: Mapping[str, float], cells: Mapping[str, Any], path: Path
) -> None:
    """Refuse (:class:`BuiltShape`) inputs whose shape parameter differs from the
    value the workbook's columns were built with (:func:`built_shape`): its
    formulas cannot follow such a change, as they cannot follow a changed
    number of rows. Import, check and sweep apply it after reading the inputs;
    ``build --from`` carries the inputs into a fresh workbook of the new shape."""
    built = built_shape(book, model, values)
    if built is None:
        return
    for name, value in built.items():
        if values[name] != value:
            cell = cells[name]
            raise BuiltShape(
                f"{name} ({path.name} {cell.sheet}!{cell.cell}) is {values[name]:g}, but the workbook was built with "
                f"{name} = {value:g}: its sheets hold that value's columns and formulas; rebuild with "
                f"pysie build {model.name} --from {path.name} -o DIR (a fresh workbook with {name} = {values[name]:g})",
                name,
            )


@dataclass(frozen=True)
class InputCell:
    name: str
    sheet: str
    cell: str
    raw: Any


def read_inputs(
    book: Any, model: Model, path: Path, *, evaluate_formula: Any = None
) -> tuple[dict[str, float], dict[str, InputCell]]:
    """Every parameter of ``model`` read through its defined name and validated.

    A formula in an input cell is evaluated by ``evaluate_formula(sheet, cell)``
    when given, else refused. Errors name the file, sheet, cell and parameter.
    """
    values: dict[str, float] = {}
    cells: dict[str, InputCell] = {}
    for p in model.parameters:
        target = defined_name_target(book, p.name)
        if target is None:
            raise InputError(
                f"{path}: defined name {p.name!r} is missing or no longer points at one cell; restore it "
                "(Formulas > Name Manager) or rebuild with pysie build"
            )
        sheet, cell = target
        if sheet not in book.sheetnames:
            raise InputError(
                f"{path}: defined name {p.name!r} points at sheet {sheet!r}, which is missing (renamed or deleted); "
                f"rename the sheet back to {sheet!r}"
            )
        raw = book[sheet][cell].value
        where = f"{path.name} {sheet}!{cell}"
        check_label(book, sheet, cell, p.name, model, where)
        text = formula_text(raw)
        if text is not None:
            if evaluate_formula is None:
                raise InputError(f"{p.name} ({where}): input cells must hold numbers, found the formula {text}")
            try:
                raw = evaluate_formula(sheet, cell)
            except InputError as exc:
                raise InputError(f"{p.name} ({where}): {exc}") from None
            where = f"{where}, formula {text}"
        values[p.name] = p.validate(raw, where)
        cells[p.name] = InputCell(p.name, sheet, cell, raw)
    return values, cells


def check_label(book: Any, sheet: str, cell: str, name: str, model: Model, where: str) -> None:
    """Refuse an input whose label (the cell to its left, where pysie writes
    the parameter's name) names another parameter: the rows were moved, e.g.
    sorted, without their defined names, so the value read is another's."""
    col, row = openpyxl.utils.cell.coordinate_from_string(cell)
    index = openpyxl.utils.column_index_from_string(col)
    if index < 2:
        return
    label = book[sheet][f"{openpyxl.utils.get_column_letter(index - 1)}{row}"].value
    if isinstance(label, str) and label.strip() != name and label.strip() in {p.name for p in model.parameters}:
        raise InputError(
            f"{name} ({where}): the label beside it says {label.strip()!r}; the rows were moved (sorted?) "
            "without their names; undo the move, or put each value back beside its name"
        )


def formula_text(value: Any) -> str | None:
    """``'=...'`` when an openpyxl cell value is a formula (plain, array or
    data table), else None. openpyxl (3.1) already translates shared formulas
    to each cell's own text with ``openpyxl.formula.translate.Translator``."""
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    if isinstance(value, str) and value.startswith("=") and len(value) > 1:
        return value
    return None


_STRING_LITERAL = re.compile(r'("(?:[^"]|"")*")')
_QUOTED_SHEET = re.compile(r"'((?:[^']|'')+)'!")
_PREFIXES = re.compile(r"_xl(?:fn|ws|udf)\.", re.I)
#: Functions spelt two ways for the same computation: Gnumeric (1.12) resaves
#: PERCENTILE as PERCENTILE.INC, the name Excel 2010 gave the same inclusive
#: percentile (Microsoft's function reference lists PERCENTILE as kept for
#: compatibility with it); QUARTILE.INC likewise.
_SAME_FUNCTION = re.compile(r"(?<![A-Z0-9_.])(PERCENTILE|QUARTILE)\.INC\(")
_NUMBER = re.compile(r"(?<![A-Z0-9_.])(\d+\.?\d*(?:E[+-]?\d+)?|\.\d+(?:E[+-]?\d+)?)(?![A-Z0-9_(])")


def normalise_formula(text: str) -> str:
    """Formula text in a canonical spelling, so that formulas Excel, LibreOffice
    and pysie write differently but mean the same compare equal: no leading
    ``=``, no ``_xlfn.``/``_xlws.`` prefixes, no ``$``, no whitespace, no quotes
    around sheet names, upper case outside string literals, numbers in one form
    (``0.5``, ``.5`` and ``5E-1`` alike), and ``PERCENTILE.INC`` as ``PERCENTILE``."""
    text = text.strip()
    if text.startswith("="):
        text = text[1:]
    parts = _STRING_LITERAL.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a string literal: kept as written
            out.append(part)
            continue
        part = _QUOTED_SHEET.sub(lambda m: m.group(1).replace("''", "'") + "!", part)
        part = _PREFIXES.sub("", part).replace("$", "")
        part = _SAME_FUNCTION.sub(r"\1(", re.sub(r"\s+", "", part).upper())
        out.append(_NUMBER.sub(lambda m: repr(float(m.group(1))).upper(), part))
    return "".join(out)


# --- one parse of the sheet XML, read like an openpyxl workbook ---------------------------


class ParsedCell:
    """A cell of a :class:`ParsedBook`: its value as openpyxl gives it
    (formula text for formulas) and its coordinate."""

    __slots__ = ("coordinate", "value")

    def __init__(self, coordinate: str, value: Any) -> None:
        self.coordinate, self.value = coordinate, value


class ParsedSheet:
    """A worksheet of a :class:`ParsedBook` (the parts of openpyxl's API pysie uses)."""

    def __init__(self, cells: SheetCells) -> None:
        self.title = cells.title
        self.max_row = cells.max_row
        self._cells = cells.cells
        self.max_column = max((c for _, c in self._cells), default=1)

    def __getitem__(self, cell: str) -> ParsedCell:
        row, col = coordinate_to_tuple(cell.replace("$", ""))
        return ParsedCell(cell, self._cells.get((row, col), (None, "n"))[0])

    def stored(self) -> Iterator[tuple[str, Any]]:
        """(coordinate, value) of every cell the sheet's XML holds a value or formula for,
        row by row: what :meth:`iter_rows` yields without the empty cells of the grid."""
        for row, col in sorted(self._cells):
            value = self._cells[(row, col)][0]
            if value is not None:
                yield f"{get_column_letter(col)}{row}", value

    def iter_rows(
        self, min_row: int = 1, max_col: int | None = None, values_only: bool = False
    ) -> Iterator[tuple[Any, ...]]:
        """Rows from ``min_row`` to the last, each a tuple of cells (or values)."""
        last_col = max_col or self.max_column
        for row in range(min_row, self.max_row + 1):
            values = [self._cells.get((row, col), (None, "n"))[0] for col in range(1, last_col + 1)]
            if values_only:
                yield tuple(values)
            else:
                yield tuple(
                    ParsedCell(f"{get_column_letter(col)}{row}", value) for col, value in enumerate(values, start=1)
                )


class ParsedChartSheet:
    """A chart sheet: a name and no cells."""

    def __init__(self, title: str) -> None:
        self.title = title


class ParsedBook:
    """A workbook parsed once from its sheet XML (:func:`pysie.excel.xlsx.read_book_cells`),
    read through the parts of openpyxl's API pysie uses (``sheetnames``,
    ``defined_names``, ``book[sheet][cell].value``, ``iter_rows``). ``cells`` is
    the parse itself, which the compiled engine compiles without reading again."""

    def __init__(self, cells: BookCells) -> None:
        self.cells = cells
        self.sheetnames = list(cells.sheetnames)
        self.defined_names = cells.defined_names
        self.worksheets = [ParsedSheet(ws) for ws in cells.worksheets]
        by_name = {ws.title: ws for ws in self.worksheets}
        self._sheets: dict[str, ParsedSheet | ParsedChartSheet] = {
            name: by_name.get(name) or ParsedChartSheet(name) for name in self.sheetnames
        }

    def __getitem__(self, sheet: str) -> ParsedSheet | ParsedChartSheet:
        return self._sheets[sheet]

    def close(self) -> None:
        pass


def read_book(path: Path) -> ParsedBook:
    """Parse ``path`` once (every worksheet cell, names and sheet list), or
    :class:`WorkbookError` with the reason."""
    check_container(path)
    steps.begin("reading the workbook")
    try:
        return ParsedBook(read_book_cells(path))
    except Exception as exc:  # broken parts fail in many ways
        first = (str(exc).strip().splitlines() or [""])[0]
        raise WorkbookError(f"{path}: cannot be read as a workbook ({type(exc).__name__}: {first})") from None


def formula_cells(book: ParsedBook) -> dict[tuple[str, str], str]:
    """Every formula cell of ``book``: ``(sheet, cell) -> '=...'``; every cell
    an array formula fills holds its ``'{=...}'``."""
    cells: dict[tuple[str, str], str] = {}
    for ws in book.cells.worksheets:
        for (row, col), (value, data_type) in ws.cells.items():
            if data_type != "f":
                continue
            if not isinstance(value, ArrayFormula):
                cells[(ws.title, f"{get_column_letter(col)}{row}")] = str(value)
                continue
            text = value.text or ""
            shown = "{" + (text if text.startswith("=") else "=" + text) + "}"
            try:
                c0, r0, c1, r1 = range_boundaries(str(value.ref or "").replace("$", ""))
            except (TypeError, ValueError):
                c0 = c1 = col
                r0 = r1 = row
            for r in range(r0 or row, (r1 or row) + 1):
                for c in range(c0 or col, (c1 or col) + 1):
                    cells[(ws.title, f"{get_column_letter(c)}{r}")] = shown
    return cells
