"""OFFSET and INDIRECT, resolved to the references they name before planning.

The compiled engine orders cells by what they read, so a reference must be
known before evaluation. ``OFFSET(ref, rows, cols, [height], [width])`` and
``INDIRECT(text, [a1])`` name one when their arguments are written in the
formula: ``OFFSET(B7, 1, 0)`` is ``B8``, ``OFFSET(B7, 0, 0, 3, 2)`` is
``B7:C9``, ``INDIRECT("Sheet2!B7")`` is ``Sheet2!B7`` (Excel's function
reference: height and width must be positive and a result off the sheet is
``#REF!``). Arguments computed by formulas or read
from cells could name a different reference in every recalculation, so such a
use is refused by name ("OFFSET with its rows computed from cells"), as is
INDIRECT's R1C1 style (``a1`` FALSE).
"""

from __future__ import annotations

import re

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from pysie.recalc.compiled.parse import (
    OMITTED,
    Area,
    Call,
    Const,
    Expr,
    Ref,
    Text,
    Unsupported,
    parse_key,
)
from pysie.recalc.compiled.values import error, truth_of

_MAX_ROW, _MAX_COL = 1_048_576, 16_384


def _number(arg: Expr, what: str) -> int:
    """A whole number written in the formula (``-2`` too); Excel truncates."""
    if isinstance(arg, Const):
        return int(truth_of(arg.value))
    if isinstance(arg, Call) and arg.op == "neg" and isinstance(arg.args[0], Const):
        return -int(arg.args[0].value)
    raise Unsupported(f"OFFSET with its {what} computed from cells or formulas")


def offset(call: Call) -> Expr:
    """``OFFSET(ref, rows, cols, [height], [width])`` as the reference it names."""
    base, *rest = call.args
    if not isinstance(base, (Ref, Area)):
        raise Unsupported("OFFSET of something other than a reference")
    if isinstance(base, Area) and base.row1 is None:
        raise Unsupported("OFFSET of whole columns")
    rows, cols = _number(rest[0], "rows"), _number(rest[1], "columns")
    if isinstance(base, Ref):
        row0, rel, col0 = base.row, base.relative, column_index_from_string(base.col)
        height = width = 1
    else:
        if base.rel0 != base.rel1:
            raise Unsupported("OFFSET of a range with one end fixed and one relative")
        assert base.row1 is not None
        row0, rel, col0 = base.row0, base.rel0, column_index_from_string(base.col)
        height, width = base.row1 - base.row0 + 1, column_index_from_string(base.last_col) - col0 + 1
    if len(rest) > 2 and rest[2] is not OMITTED:
        height = _number(rest[2], "height")
    if len(rest) > 3 and rest[3] is not OMITTED:
        width = _number(rest[3], "width")
    if height < 1 or width < 1:
        return Const(error("#REF!"))
    top, left = row0 + rows, col0 + cols
    if left < 1 or left + width - 1 > _MAX_COL or (not rel and (top < 1 or top + height - 1 > _MAX_ROW)):
        return Const(error("#REF!"))
    first, last = get_column_letter(left), get_column_letter(left + width - 1)
    if height == 1 and width == 1:
        return Ref(base.sheet, first, top, rel)
    return Area(base.sheet, first, top, rel, top + height - 1, rel, last if width > 1 else None)


def _text(arg: Expr) -> str:
    """A text written in the formula (joined with ``&`` too)."""
    if isinstance(arg, Text):
        return arg.value
    if isinstance(arg, Call) and arg.op == "concat" and all(isinstance(a, Text) for a in arg.args):
        return "".join(a.value for a in arg.args if isinstance(a, Text))
    raise Unsupported("INDIRECT of a text computed from cells or formulas")


_CELL_OR_RANGE = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)(?::\$?([A-Za-z]{1,3})\$?([0-9]+))?")


def indirect(call: Call) -> Expr:
    """``INDIRECT(text)`` as the reference ``text`` names (A1 style)."""
    if len(call.args) > 1:
        style = call.args[1]
        if not (isinstance(style, Const) and truth_of(style.value) != 0) and style is not OMITTED:
            raise Unsupported("INDIRECT with R1C1 references (its second argument FALSE or computed)")
    target = _text(call.args[0]).strip()
    sheet, bang, ref = target.rpartition("!")
    m = _CELL_OR_RANGE.fullmatch(ref)
    if m is None:
        return Const(error("#REF!"))  # Excel: a text that is no reference
    c0, r0, c1, r1 = m.groups()
    absolute = f"${c0}${r0}" + (f":${c1}${r1}" if c1 else "")
    return parse_key("=" + (f"{sheet}!" if bang else "") + absolute)


#: operation -> its static resolution
RESOLVERS = {"offset": offset, "indirect": indirect}
