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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping

from openpyxl.utils import get_column_letter

from pysie.spec import Model, Scalar, Table

INPUTS = "Inputs"
SUMMARY = "Summary"
THEORY = "Theory"
DOCS = "Docs"

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


@dataclass
class Layout:
    model: Model
    structural: Mapping[str, float]
    named: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (sheet, "B7")
    table_rows: dict[str, int] = field(default_factory=dict)
    table_letters: dict[str, dict[str, str]] = field(default_factory=dict)
    input_rows: dict[str, int] = field(default_factory=dict)
    derived_header_row: int = 0

    @classmethod
    def of(cls, model: Model, values: Mapping[str, float]) -> Layout:
        structural = {p.name: float(values[p.name]) for p in model.parameters if p.structural}
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
        return layout

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

    def column_range(self, table: str, column: str) -> str:
        """``'Sheet'!$C$3:$C$1103``: a whole column of a table."""
        letter = self.table_letters[table][column]
        last = self.excel_row(self.table_rows[table] - 1)
        return f"{quote_sheet(self.sheet_of(table))}!${letter}${self.excel_row(0)}:${letter}${last}"

    def scalars_on(self, sheet: str) -> tuple[Scalar, ...]:
        return {INPUTS: self.model.derived, SUMMARY: self.model.outputs, THEORY: self.model.checks}[sheet]

    def formula_cells(self) -> Iterator[FormulaCell]:
        """Every cell that holds a formula, tables row by row first."""
        for table in self.model.tables:
            for step in range(self.table_rows[table.name]):
                for column in table.columns:
                    if column.is_data:
                        continue  # stored values, not formulas
                    yield FormulaCell(table.sheet, self.table_cell(table.name, column.name, step), column.name, step, table.name)
        for scalar in self.model.scalars:
            sheet, cell = self.named[scalar.name]
            yield FormulaCell(sheet, cell, scalar.name, None)

    def tables(self) -> tuple[Table, ...]:
        return self.model.tables


def quote_sheet(sheet: str) -> str:
    """A sheet name as a formula reference: quoted, with quotes doubled."""
    return "'" + sheet.replace("'", "''") + "'"
