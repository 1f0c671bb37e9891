"""Where every quantity of a model sits in its workbook.

One layout serves the writer (where to put each formula), the printer (which
cell a reference means) and the checker (which solver value each formula cell
must equal). Sheets:

* ``Inputs``: a how-to block, then one parameter per row (name, value, unit,
  description, bounds, source), then the derived inputs; every value is a
  workbook-scoped defined name.
* one sheet per table: a header row of names, a row of units, then one row per
  step, one column per quantity.
* ``Summary`` (results) and ``Theory`` (closed-form check cells): one named
  cell per row.
* when the model compares presets (``Model.comparison``): one copy of each
  table per preset (same columns and rows, its own sheet), and ``Compare``:
  a column per preset holding the values of the parameters that differ among
  them (input cells) and every result as a formula over that preset's tables.
  The copies read those cells instead of the workbook-wide names.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

from pysie.expr import Name
from pysie.spec import Model, Scalar, Table

INPUTS = "Inputs"
SUMMARY = "Summary"
THEORY = "Theory"
DOCS = "Docs"
COMPARE = "Compare"
COMPARE_HEADER_ROW = 3  # title, note, header

#: Rows of the how-to block at the top of the Inputs sheet, before the header.
HOWTO_ROWS = 6
TABLE_HEADER_ROWS = 2  # names, units
SCALAR_HEADER_ROWS = 2  # title, column headers
INPUT_COLUMNS = ("name", "value", "unit", "description", "bounds", "source")
SCALAR_COLUMNS = ("name", "value", "unit", "description")


@dataclass(frozen=True)
class FormulaCell:
    """One formula cell of the workbook and what it holds."""

    sheet: str
    cell: str
    variable: str
    row: int | None  # the step for table cells, None for named cells
    table: str | None = None
    preset: str | None = None  # a compared preset's copy (Model.comparison)


@dataclass
class Layout:
    model: Model
    structural: Mapping[str, float]
    named: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sheet, "B7")
    table_rows: dict[str, int] = field(default_factory=dict)
    table_letters: dict[str, dict[str, str]] = field(default_factory=dict)
    input_rows: dict[str, int] = field(default_factory=dict)
    derived_header_row: int = 0
    preset_sheets: dict[tuple[str, str], str] = field(default_factory=dict)  # (preset, table) -> sheet
    compare_inputs: dict[tuple[str, str], str] = field(default_factory=dict)  # (preset, parameter) -> cell on Compare
    compare_outputs: dict[tuple[str, str], str] = field(default_factory=dict)  # (preset, result) -> cell on Compare
    compare_results_row: int = 0

    @classmethod
    def of(cls, model: Model, values: Mapping[str, float]) -> Layout:
        structural = {p.name: float(values[p.name]) for p in model.parameters if p.structural}
        model = model.shaped(structural)  # the columns of the shape these values build (Column.when)
        layout = cls(model, structural)
        row = HOWTO_ROWS + 2  # how-to block, blank, header
        for p in model.parameters:
            row += 1
            layout.input_rows[p.name] = row
            layout.named[p.name] = (INPUTS, f"B{row}")
        layout.derived_header_row = row + 2
        row = layout.derived_header_row
        for s in model.derived:
            row += 1
            layout.input_rows[s.name] = row
            layout.named[s.name] = (INPUTS, f"B{row}")
        for sheet, scalars in ((SUMMARY, model.outputs), (THEORY, model.checks)):
            for i, s in enumerate(scalars):
                layout.named[s.name] = (sheet, f"B{SCALAR_HEADER_ROWS + 1 + i}")
        for table in model.tables:
            layout.table_rows[table.name] = table.rows(structural)
            layout.table_letters[table.name] = {c.name: get_column_letter(i + 1) for i, c in enumerate(table.columns)}
        layout._lay_out_comparison()
        return layout

    def _lay_out_comparison(self) -> None:
        model = self.model
        varying = model.varying_parameters()
        for d in model.derived:
            clash = {n.name for n in d.expr.walk() if isinstance(n, Name)} & set(varying)
            if clash:
                raise ValueError(
                    f"derived input {d.name!r} reads {sorted(clash)}, which differ between compared presets; "
                    "make it a column or an output"
                )
        self.compare_results_row = COMPARE_HEADER_ROW + len(varying) + 2
        used = (
            {t.sheet for t in model.tables} | {INPUTS, SUMMARY, THEORY, DOCS, COMPARE} | {c.sheet for c in model.charts}
        )
        for i, preset in enumerate(model.comparison):
            letter = get_column_letter(2 + i)
            for table in model.tables:
                sheet = preset_sheet(table, preset)
                if len(sheet) > 31 or sheet in used:
                    raise ValueError(
                        f"model {model.name!r}: sheet name {sheet!r} for preset {preset!r} is too long or taken"
                    )
                used.add(sheet)
                self.preset_sheets[(preset, table.name)] = sheet
            for j, name in enumerate(varying):
                self.compare_inputs[(preset, name)] = f"{letter}{COMPARE_HEADER_ROW + 1 + j}"
            for j, s in enumerate(model.outputs):
                self.compare_outputs[(preset, s.name)] = f"{letter}{self.compare_results_row + 1 + j}"

    def preset_names(self, preset: str) -> dict[str, str]:
        """Name -> absolute reference of the cells a preset's copy reads instead
        of the workbook-wide names (its varying parameters and its results)."""
        cells = {n: c for (p, n), c in {**self.compare_inputs, **self.compare_outputs}.items() if p == preset}
        return {n: f"{quote_sheet(COMPARE)}!{absolute(c)}" for n, c in cells.items()}

    def preset_tables(self, preset: str) -> dict[str, str]:
        """Table -> sheet of a preset's copies."""
        return {t: s for (p, t), s in self.preset_sheets.items() if p == preset}

    # --- addresses ----------------------------------------------------------
    def sheet_of(self, table: str) -> str:
        return self.model.table(table).sheet

    @staticmethod
    def excel_row(step: int) -> int:
        """Worksheet row of a table's step (0-based)."""
        return TABLE_HEADER_ROWS + 1 + step

    def table_cell(self, table: str, column: str, step: int, absolute: bool = False) -> str:
        letter = self.table_letters[table][column]
        row = self.excel_row(step)
        return f"${letter}${row}" if absolute else f"{letter}{row}"

    def column_range(self, table: str, column: str, sheet: str | None = None) -> str:
        """``'Sheet'!$C$3:$C$1103``: a whole column of a table (on ``sheet``
        when it is a preset's copy)."""
        letter = self.table_letters[table][column]
        last = self.excel_row(self.table_rows[table] - 1)
        return f"{quote_sheet(sheet or self.sheet_of(table))}!${letter}${self.excel_row(0)}:${letter}${last}"

    def scalars_on(self, sheet: str) -> tuple[Scalar, ...]:
        return {INPUTS: self.model.derived, SUMMARY: self.model.outputs, THEORY: self.model.checks}[sheet]

    def formula_cells(self) -> Iterator[FormulaCell]:
        """Every cell that holds a formula, tables row by row first."""
        for table in self.model.tables:
            for step in range(self.table_rows[table.name]):
                for column in table.columns:
                    if column.is_data:
                        continue  # stored values, not formulas
                    yield FormulaCell(
                        table.sheet, self.table_cell(table.name, column.name, step), column.name, step, table.name
                    )
        for scalar in self.model.scalars:
            sheet, cell = self.named[scalar.name]
            yield FormulaCell(sheet, cell, scalar.name, None)
        for preset in self.model.comparison:
            for table in self.model.tables:
                sheet = self.preset_sheets[(preset, table.name)]
                for step in range(self.table_rows[table.name]):
                    for column in table.columns:
                        if column.is_data:
                            continue  # stored values, as on the table's own sheet
                        yield FormulaCell(
                            sheet, self.table_cell(table.name, column.name, step), column.name, step, table.name, preset
                        )
            for scalar in self.model.outputs:
                yield FormulaCell(COMPARE, self.compare_outputs[(preset, scalar.name)], scalar.name, None, None, preset)

    def tables(self) -> tuple[Table, ...]:
        return self.model.tables


def preset_sheet(table: Table, preset: str) -> str:
    """The sheet of a compared preset's copy of ``table``."""
    return f"{table.sheet} ({preset})"


def model_sheets(model: Model) -> list[str]:
    """The sheets a workbook of ``model`` holds its inputs and formulas on
    (Inputs, each table, Summary, Theory when there are checks, Compare and the
    compared presets' copies), in the order a missing one is reported."""
    sheets = [INPUTS, *(t.sheet for t in model.tables), SUMMARY]
    if model.checks:
        sheets.append(THEORY)
    if model.comparison:
        sheets.append(COMPARE)
        sheets += [preset_sheet(t, preset) for preset in model.comparison for t in model.tables]
    return sheets


def absolute(cell: str) -> str:
    """``B7`` -> ``$B$7``."""
    letters = "".join(ch for ch in cell if ch.isalpha())
    return f"${letters}${cell[len(letters) :]}"


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula reference: quoted, with quotes doubled."""
    return "'" + sheet.replace("'", "''") + "'"
