"""A workbook's Uncertainty sheet read back: its edited distributions, validated.

:func:`read_distributions` reads each drawn parameter's numbers through their
defined names (:func:`pysie.excel.uncertainty_sheet.distribution_name`, so a
moved row still works), rebuilds the distribution with the rule of
``pysie mc --dist`` (:func:`pysie.distributions.parse_spec`, then
:func:`pysie.montecarlo.fitted_distribution`: its numbers in order, inside the
parameter's bounds) and lists the numbers that differ from the declaration.
A refused edit is an :class:`~pysie.spec.InputError` naming the file, sheet,
cells and parameter. The file is only read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pysie import montecarlo
from pysie.distributions import Distribution
from pysie.excel.plan import stored_number
from pysie.excel.reader import ParsedBook, defined_name_target, formula_text
from pysie.excel.uncertainty_sheet import UNCERTAINTY, distribution_rows
from pysie.spec import InputError, Model


@dataclass(frozen=True)
class EditedDistribution:
    """One number of a distribution that differs from the declaration."""

    sheet: str
    cell: str
    parameter: str
    label: str
    declared: float
    found: float

    def describe(self) -> str:
        return f"{self.sheet}!{self.cell} {self.parameter} {self.label} changed {self.declared:g} -> {self.found:g}"

    def as_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "parameter": self.parameter,
            "number": self.label,
            "declared": self.declared,
            "found": self.found,
        }


def read_distributions(
    book: ParsedBook, model: Model, path: Path
) -> tuple[dict[str, Distribution], list[EditedDistribution]]:
    """The distribution of every drawn parameter as the workbook holds it, and
    the numbers edited; ({}, []) for a model without declared distributions or
    a workbook without the sheet (built before it existed: the declarations hold)."""
    if model.uncertainty is None or UNCERTAINTY not in book.sheetnames:
        return {}, []
    dists: dict[str, Distribution] = {}
    edits: list[EditedDistribution] = []
    for row in distribution_rows(model):
        p = row.parameter
        numbers: list[float] = []
        cells: list[str] = []
        edited: list[str] = []
        for label, name, declared in zip(row.labels, row.names(), row.numbers, strict=True):
            target = defined_name_target(book, name)
            if target is None or target[0] not in book.sheetnames:
                raise InputError(
                    f"{path}: defined name {name!r} ({p.name} {label} on the {UNCERTAINTY} sheet) is missing or no "
                    "longer points at one cell; restore it (Formulas > Name Manager) or rebuild with pysie build"
                )
            sheet, cell = target
            number = _number(book[sheet][cell].value, f"{path.name} {sheet}!{cell}: {p.name} {label}")  # type: ignore[index]
            if number == stored_number(declared):
                number = declared  # unedited: the declared number, not its 16-digit copy
            numbers.append(number)
            cells.append(f"{sheet}!{cell}")
            if number != declared:
                edits.append(EditedDistribution(sheet, cell, p.name, label, declared, number))
                edited.append(f"{sheet}!{cell}")
        where = ", ".join(edited or cells)
        try:
            dist = row.rebuilt(tuple(numbers))
            montecarlo.fitted_distribution(p, dist)  # refused as pysie mc --dist refuses it
        except InputError as exc:
            raise InputError(f"{path.name} {where}: {exc}") from None
        dists[p.name] = dist  # as given: the bounds apply when it is sampled
    return dists, edits


def _number(value: object, where: str) -> float:
    """A cell's number, or :class:`InputError` naming ``where``."""
    text = formula_text(value)
    if text is not None:
        raise InputError(f"{where}: distribution cells must hold numbers, found the formula {text}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        found = "an empty cell" if value in (None, "") else repr(value)
        raise InputError(f"{where}: a number is needed, found {found}")
    if not math.isfinite(float(value)):
        raise InputError(f"{where}: a finite number is needed, found {value!r}")
    return float(value)
