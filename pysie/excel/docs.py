"""The Docs sheet: what the workbook computes, from the declaration itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pysie.excel.layout import Layout
from pysie.excel.printer import Where, formula
from pysie.excel.uncertainty_sheet import UNCERTAINTY as UNCERTAINTY_SHEET
from pysie.excel.uncertainty_sheet import has_sheet, sheet_summary

Line = tuple[str, object]

HOW_TO = (
    "Change inputs only in the yellow cells of the Inputs sheet; every formula reads them through their "
    "workbook names.",
    "To check a saved copy against the Python solver: pysie check BOOK.xlsx (exit 0: every formula cell agrees).",
    "To bring an edited copy back: pysie import BOOK.xlsx shows the changed inputs, any edited formulas and "
    "the new results.",
    "To start afresh with your inputs: pysie build MODEL --from BOOK.xlsx -o DIR.",
    "Sheets you add and cells outside the generated blocks are kept by pysie import; edited formulas are "
    "reported cell by cell.",
)


def readable_lines(text: str) -> Iterator[str]:
    """A docstring as rows a person reads: one paragraph, bullet or equation
    per row, without reStructuredText markup (````x```` becomes ``x``)."""
    for paragraph in text.strip().split("\n\n"):
        lines = [line.rstrip() for line in paragraph.splitlines() if line.strip()]
        items: list[list[str]] = []
        for line in lines:
            stripped = line.strip()
            starts_item = stripped.startswith(("* ", "- ")) or (line.startswith("    ") and not items)
            if starts_item or not items or (line.startswith("    ") and not line.startswith("      ")):
                items.append([stripped])
            else:
                items[-1].append(stripped)
        for item in items:
            yield re.sub(r"``([^`]*)``", r"\1", " ".join(item)).replace("::", ":")


def docs_lines(layout: Layout) -> Iterator[Line]:
    """(kind, text) lines: kind is 'heading', 'pair' (name, text) or 'text'."""
    m = layout.model
    yield "heading", "What this workbook is"
    for line in readable_lines(m.summary):
        yield "text", line
    yield "heading", "Sources"
    for source in m.sources:
        yield "text", source
    yield "heading", "How to edit and re-import"
    for line in HOW_TO:
        yield "text", line
    for table in m.tables:
        yield "heading", f"Sheet '{table.sheet}': {table.description}"
        for column in table.columns:
            if column.data is not None:
                yield (
                    "pair",
                    (
                        column.name,
                        f"{column.description} [{column.unit}]. Stored values (numbers, not formulas), "
                        f"generated from {', '.join(column.data.reads) or 'the declaration'}.",
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
    if has_sheet(m):
        yield "heading", f"Sheet '{UNCERTAINTY_SHEET}': distributions, Monte Carlo summary and tornado"
        yield "text", sheet_summary(m)
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
