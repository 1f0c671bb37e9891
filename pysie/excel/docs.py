"""The Docs sheet: what the workbook computes, from the declaration itself."""

from __future__ import annotations

from collections.abc import Iterator

from pysie.excel.layout import Layout
from pysie.excel.printer import Where, formula

Line = tuple[str, object]

HOW_TO = (
    "Change inputs only in the yellow cells of the Inputs sheet; every formula reads them through their workbook names.",
    "To check a saved copy against the Python solver: pysie check BOOK.xlsx (exit 0: every formula cell agrees).",
    "To bring an edited copy back: pysie import BOOK.xlsx shows the changed inputs, any edited formulas and the new results.",
    "To start afresh with your inputs: pysie build MODEL --from BOOK.xlsx -o DIR.",
    "Sheets you add and cells outside the generated blocks are kept by pysie import; edited formulas are reported cell by cell.",
)


def docs_lines(layout: Layout) -> Iterator[Line]:
    """(kind, text) lines: kind is 'heading', 'pair' (name, text) or 'text'."""
    m = layout.model
    yield "heading", "What this workbook is"
    for paragraph in m.summary.strip().split("\n\n"):
        yield "text", " ".join(line.strip() for line in paragraph.splitlines())
    yield "heading", "Sources"
    for source in m.sources:
        yield "text", source
    yield "heading", "How to edit and re-import"
    for line in HOW_TO:
        yield "text", line
    for table in m.tables:
        yield "heading", f"Sheet '{table.sheet}': {table.description}"
        for column in table.columns:
            if column.is_data:
                yield (
                    "pair",
                    (
                        column.name,
                        f"{column.description} [{column.unit}]. Stored values (numbers, not formulas), generated from {', '.join(column.data.reads) or 'the declaration'}.",
                    ),
                )
                continue
            first = formula(column.first, Where(layout, table.name, 0))
            later = formula(column.next, Where(layout, table.name, 1))
            yield (
                "pair",
                (
                    column.name,
                    f"{column.description} [{column.unit}]. First {table.row_noun} (0): {first}   "
                    f"every later {table.row_noun} (shown for 1): {later}",
                ),
            )
    yield "heading", "Results (Summary sheet)"
    for s in m.outputs:
        yield "pair", (s.name, f"{s.description} [{s.unit}]. {formula(s.expr, Where(layout))}")
    if m.checks:
        yield "heading", "Closed forms (Theory sheet)"
        for s in m.checks:
            yield "pair", (s.name, f"{s.description}. {formula(s.expr, Where(layout))}")
    if m.notes:
        yield "heading", "Notes"
        for note in m.notes:
            yield "text", note
