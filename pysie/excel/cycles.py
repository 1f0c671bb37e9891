"""Find circular references among a workbook's formulas without evaluating them.

A recalculation engine given a cycle may loop, give up with an error, or (with
iteration switched on) converge to something; pysie refuses a cycle before any
engine runs, naming the cells on it. References are read from the formula text:
cells and ranges (optionally sheet-qualified) and workbook-scoped defined names
that point at one cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from openpyxl.utils.cell import column_index_from_string, get_column_letter

Key = tuple[str, str]  # (SHEET upper-cased, "B7")

_STRING = re.compile(r'"(?:[^"]|"")*"')
_REF = re.compile(
    r"(?<![\w.$])(?:(?P<sheet>'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?"
    r"(?P<ref>\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)(?![\w(!])"
    r"|(?<![\w.$!])(?P<name>[A-Za-z_][\w.]*)(?![\w.!]|\s*\()"
)
#: Ranges larger than this are not expanded (whole-column references).
MAX_RANGE_CELLS = 200_000


def _cells(ref: str) -> Iterator[str]:
    ref = ref.replace("$", "").upper()
    first, _, last = ref.partition(":")
    last = last or first
    c1, r1 = _split(first)
    c2, r2 = _split(last)
    if (abs(c2 - c1) + 1) * (abs(r2 - r1) + 1) > MAX_RANGE_CELLS:
        return
    for col in range(min(c1, c2), max(c1, c2) + 1):
        letter = get_column_letter(col)
        for row in range(min(r1, r2), max(r1, r2) + 1):
            yield f"{letter}{row}"


def _split(cell: str) -> tuple[int, int]:
    letters = cell.rstrip("0123456789")
    return column_index_from_string(letters), int(cell[len(letters) :])


def references(formula: str, sheet: str, names: Mapping[str, Key]) -> Iterator[Key]:
    """Cells ``(SHEET, cell)`` that ``formula`` on ``sheet`` reads."""
    text = _STRING.sub('""', formula)
    for m in _REF.finditer(text):
        if m.group("ref"):
            where = m.group("sheet")
            target = sheet if where is None else where.strip("'").replace("''", "'")
            for cell in _cells(m.group("ref")):
                yield target.upper(), cell
        else:
            key = names.get(m.group("name").lower())
            if key is not None:
                yield key


def find_cycle(seeds: Iterable[Key], formulas: Mapping[Key, str], names: Mapping[str, Key]) -> list[Key] | None:
    """A circular chain of formula cells reachable from ``seeds`` (first cell
    repeated at the end), or None. ``formulas`` maps ``(SHEET, cell)`` to text."""
    state: dict[Key, int] = {}  # 1: on the current path, 2: done
    for seed in seeds:
        if seed not in formulas or state.get(seed):
            continue
        path: list[Key] = [seed]
        stack = [iter(set(references(formulas[seed], seed[0], names)))]
        state[seed] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                state[path.pop()] = 2
                continue
            if child not in formulas or state.get(child) == 2:
                continue
            if state.get(child) == 1:
                return [*path[path.index(child) :], child]
            state[child] = 1
            path.append(child)
            stack.append(iter(set(references(formulas[child], child[0], names))))
    return None


def describe(cycle: list[Key]) -> str:
    return " -> ".join(f"{sheet}!{cell}" for sheet, cell in cycle)
