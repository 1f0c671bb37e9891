"""Print an expression as Excel formula text.

Operator precedence follows Excel: comparisons < ``+ -`` < ``* /`` < ``^`` <
unary minus, all left-associative. The printer adds parentheses where the
tree needs them, so ``neg(pow(x, 2))`` prints ``-(x^2)``, and also around any
operator (or negative constant) that is the base of ``^``: ``(x^y)^z`` and
``(-x)^2``, never ``x^y^z`` or ``-x^2``. Spreadsheets disagree on those two:
Excel and LibreOffice read ``x^y^z`` as ``(x^y)^z``, Gnumeric as ``x^(y^z)``
(and a Gnumeric resave writes its reading back out as ``x^(y^z)``), so a
formula spelled the unambiguous way means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pysie.excel.layout import FormulaCell, Layout
from pysie.expr import Call, Cell, Col, Const, Expr, Name, NumberOr, Range
from pysie.primitives import PRIMITIVES

ATOM = 10  # precedence of anything that never needs parentheses


@dataclass(frozen=True)
class Where:
    """The cell a formula is printed for: a table row, or a named cell (table None).

    A preset's copy (see :mod:`pysie.excel.layout`) prints ``names`` (defined
    name -> cell reference) in place of those names, and reads whole columns
    of table ``t`` from sheet ``sheets[t]``.
    """

    layout: Layout
    table: str | None = None
    step: int = 0
    names: Mapping[str, str] = field(default_factory=dict)
    sheets: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def preset(cls, layout: Layout, preset: str, table: str | None = None, step: int = 0) -> Where:
        """Where a cell of ``preset``'s copy is printed."""
        return cls(layout, table, step, layout.preset_names(preset), layout.preset_tables(preset))


def number(value: float) -> str:
    """A constant as Excel writes it (``1E+300``, ``0.5``, ``2``)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value)).upper()


def formula(expr: Expr, where: Where) -> str:
    """``=...`` text of ``expr`` for the cell described by ``where``."""
    return "=" + _text(expr, where)[0]


def _text(expr: Expr, where: Where) -> tuple[str, int]:
    """Text and precedence of ``expr``."""
    if isinstance(expr, Const):
        text = number(expr.value)
        return text, (5 if text.startswith("-") else ATOM)
    if isinstance(expr, Name):
        return where.names.get(expr.name, expr.name), ATOM
    if isinstance(expr, Col):
        if where.table is None:
            raise ValueError(f"column {expr.name!r} used outside a table")
        if where.step - expr.lag < 0:
            raise ValueError(f"{expr.name} reads row {where.step - expr.lag}")
        return where.layout.table_cell(where.table, expr.name, where.step - expr.lag), ATOM
    if isinstance(expr, Cell):
        if where.table is None:
            raise ValueError(f"cell of {expr.name!r} used outside a table")
        return where.layout.table_cell(where.table, expr.name, expr.row, absolute=True), ATOM
    if isinstance(expr, Range):
        return where.layout.column_range(expr.table, expr.name, where.sheets.get(expr.table)), ATOM
    if isinstance(expr, Call):
        return _call(expr, where)
    if isinstance(expr, NumberOr):
        value = _text(expr.value, where)[0]
        words = '"' + expr.text.replace('"', '""') + '"'
        return f"{PRIMITIVES['if'].excel}({PRIMITIVES['isnumber'].excel}({value}),{value},{words})", ATOM
    raise TypeError(f"cannot print {expr!r}")


def _call(expr: Call, where: Where) -> tuple[str, int]:
    p = PRIMITIVES[expr.op]
    if p.infix:
        (left, lp), (right, rp) = (_text(a, where) for a in expr.args)
        if lp < p.precedence or (expr.op == "pow" and lp < ATOM):  # the base of ^: see the module docstring
            left = f"({left})"
        if rp <= p.precedence:  # left-associative: a-(b-c) keeps its parentheses
            right = f"({right})"
        return f"{left}{p.excel}{right}", p.precedence
    if expr.op == "neg":
        inner, ip = _text(expr.args[0], where)
        return ("-" + (inner if ip >= ATOM else f"({inner})")), p.precedence
    args = ",".join(_text(a, where)[0] for a in expr.args)
    return f"{p.excel}({args}{p.trailing_args})", ATOM


def cell_formula(layout: Layout, cell: FormulaCell) -> str:
    """The formula the declaration generates for one formula cell of ``layout``
    (a table row, a named result, or a compared preset's copy of either)."""
    model = layout.model
    if cell.table is not None:
        column = model.table(cell.table).column(cell.variable)
        expr = column.first if cell.row == 0 else column.next
        step = cell.row or 0
    else:
        expr = next(s.expr for s in model.scalars if s.name == cell.variable)
        step = 0
    where = (
        Where(layout, cell.table, step) if cell.preset is None else Where.preset(layout, cell.preset, cell.table, step)
    )
    return formula(expr, where)
