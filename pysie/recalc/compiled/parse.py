"""Excel formula text -> an expression tree of the compiled engine's operations.

A small tokenizer and a Pratt parser of our own rather than the ``formulas``
package's parser: that parser returns a token list plus a compiled
dispatcher, not a tree, and building it costs milliseconds per formula,
while here each distinct *relative* formula is parsed once (a few dozen per
workbook) and the tree must name the engine's own operations
(:mod:`pysie.recalc.compiled.functions`).

Two steps:

* :func:`relative_key` rewrites a cell's formula with every row-relative
  reference as an offset from the cell's own row (``C4`` in row 5 becomes
  ``C{-1}``), so every cell of a column filled down shares one key. It is a
  single regular-expression pass, cheap enough for every cell.
* :func:`parse_key` parses a key into a tree of :class:`Const`,
  :class:`Name`, :class:`Call`, :class:`Text` and the
  reference nodes :class:`Ref` and :class:`Area`.

Excel precedence, loosest first: comparisons, ``&``, ``+ -``, ``* /``,
``^`` (left-associative), ``%``, unary minus. So ``-2^2`` is ``(-2)^2 = 4``
and ``2^3^2`` is ``(2^3)^2``. A chain of ``+`` and ``-`` becomes one n-ary
``add`` (``a - b`` as ``a + (-b)``, bit-identical in IEEE arithmetic), and
chains of ``*`` and ``&`` one ``mul`` / ``concat``: a 2,000-term sum is one
node, not a tree 2,000 deep.

What the engine does not evaluate raises :class:`Unsupported` (an
:class:`~pysie.spec.InputError`) naming the cell and the construct, before
any evaluation: structured references, links to other workbooks, functions
outside the library (WEBSERVICE ...); OFFSET and INDIRECT are resolved to the
reference they name when their arguments are written in the formula
(:mod:`pysie.recalc.compiled.references`) and refused otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pysie.recalc.compiled import library
from pysie.recalc.compiled.functions import format_supported
from pysie.recalc.compiled.values import FALSE, TRUE, error
from pysie.spec import InputError


class Unsupported(InputError):
    """A formula the compiled engine does not evaluate; the message names the
    cell and what it uses: "Sheet!C4 uses WEBSERVICE, which pysie does not evaluate"."""

    def __init__(self, what: str, function: bool = False, where: str = "") -> None:
        self.what, self.function, self.where = what, function, where
        super().__init__(f"{where + ' ' if where else ''}uses {what}, which pysie does not evaluate")

    def at(self, where: str) -> Unsupported:
        """The same refusal, naming the cell."""
        return Unsupported(self.what, self.function, where)


class Expr:
    """A node of a formula's tree (the engine's own, apart from :mod:`pysie.expr`)."""


@dataclass(frozen=True)
class Const(Expr):
    """A number (or an error value) written in the formula."""

    value: float


@dataclass(frozen=True)
class Name(Expr):
    """A defined name, until it is resolved to what it names."""

    name: str


@dataclass(frozen=True)
class Call(Expr):
    """An operation of :data:`pysie.recalc.compiled.functions.FUNCTIONS` on its arguments."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Ref(Expr):
    """One cell: ``row`` is an offset from the formula's row when ``relative``."""

    sheet: str | None
    col: str
    row: int
    relative: bool


@dataclass(frozen=True)
class Area(Expr):
    """A range of columns ``col..col1``, rows ``row0..row1`` (each relative or
    not); ``row1`` None means whole columns."""

    sheet: str | None
    col: str
    row0: int
    rel0: bool
    row1: int | None
    rel1: bool
    col1: str | None = None  # None: the single column ``col``

    @property
    def last_col(self) -> str:
        return self.col1 or self.col


@dataclass(frozen=True)
class Text(Expr):
    """A string literal."""

    value: str


@dataclass(frozen=True)
class RowNumber(Expr):
    """``ROW(...)``: the row number, an offset from the formula's row when ``relative``."""

    row: int
    relative: bool


def nodes(tree: Expr) -> Iterator[Expr]:
    """Every node of ``tree``, without recursion (trees may be very wide or deep)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Call):
            stack.extend(reversed(node.args))


#: Excel's last column, where a range of whole rows ends.
LAST_COLUMN = "XFD"


def columns_between(first: str, last: str) -> list[str]:
    """Column letters ``first..last`` (``B``, ``C``, ``D``)."""
    from openpyxl.utils.cell import column_index_from_string, get_column_letter

    a, b = column_index_from_string(first), column_index_from_string(last)
    return [get_column_letter(i) for i in range(min(a, b), max(a, b) + 1)]


# --- relative keys -------------------------------------------------------------

_KEY_REF = re.compile(
    r"""("(?:[^"]|"")*"|'(?:[^']|'')*')"""  # strings and quoted sheet names stay as they are
    r"""|(?<![A-Za-z0-9_.$\\])(\$?[A-Za-z]{1,3})([0-9]+)(?![A-Za-z0-9_.(!\[{])"""
)


def relative_key(formula: str, row: int) -> str:
    """``formula`` with each row-relative reference written as ``COL{offset}``."""
    return key_template(formula, row)[0]


KeyTemplate = tuple[str, str, tuple[int, ...]]


def key_template(formula: str, row: int) -> KeyTemplate:
    """(:func:`relative_key` of ``formula``, a ``%``-template of it, the
    offsets): ``template % tuple(r + o for o in offsets)`` is the formula
    that has this key in row ``r``, written as Excel writes a filled-down
    formula (see :func:`key_at`)."""
    parts = _KEY_REF.split(formula)  # text, then the 3 groups of each match, then text ...
    if len(parts) == 1:
        return formula, formula.replace("%", "%%"), ()
    out, pieces, offsets = [parts[0]], [parts[0].replace("%", "%%")], []
    for quoted, col, digits, text in zip(parts[1::4], parts[2::4], parts[3::4], parts[4::4], strict=False):
        if quoted:
            out.append(quoted)
            pieces.append(quoted.replace("%", "%%"))
        else:
            offset = int(digits) - row
            out.append(f"{col.upper()}{{{offset}}}")
            pieces.append(f"{col.upper()}%d")
            offsets.append(offset)
        out.append(text)
        pieces.append(text.replace("%", "%%"))
    return "".join(out), "".join(pieces), tuple(offsets)


def key_at(formula: str, row: int, previous: KeyTemplate | None) -> KeyTemplate:
    """:func:`key_template` of ``formula`` in ``row``, reusing ``previous``
    (the same column's last formula) when ``formula`` is that formula filled
    down to ``row``: its relative rows moved, every other character the same,
    so the regular expression would find the same references and the same
    key (one string formatting instead of a parse)."""
    if previous is not None:
        _, template, offsets = previous
        if all(row + o > 0 for o in offsets) and template % tuple(row + o for o in offsets) == formula:
            return previous
    return key_template(formula, row)


# --- tokens --------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<string>"(?:[^"]|"")*")
    |(?P<error>\#NULL!|\#DIV/0!|\#VALUE!|\#REF!|\#NAME\?|\#NUM!|\#N/A)
    |(?P<external>\[[^\]]*\][^!]*!)
    |(?P<sheet>(?:'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.]*)!)
    |(?P<structured>[A-Za-z_\\][A-Za-z0-9_.]*\[|\[)
    |(?P<rows>\$?[0-9]+:\$?[0-9]+)
    |(?P<cols>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![A-Za-z0-9_.({$]))
    |(?P<cell>\$?[A-Za-z]{1,3}(?:\$[0-9]+|\{-?[0-9]+\}))
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)
    |(?P<func>[A-Za-z_][A-Za-z0-9_.]*\()
    |(?P<name>[A-Za-z_\\][A-Za-z0-9_.]*)
    |(?P<op><>|<=|>=|[-+*/^&=<>%:(),{};])""",
    re.X,
)

Token = tuple[str, str]


def tokens(key: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    text = key[1:] if key.startswith("=") else key
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise Unsupported(f"the text {text[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind == "external" or (kind == "sheet" and m.group(0).startswith("'[")):
            raise Unsupported(f"a link to another workbook ({m.group(0)})")
        if kind == "structured":
            raise Unsupported(f"a structured reference ({m.group(0)}...])")
        if kind == "op" and m.group(0) in "{};":
            raise Unsupported("an array constant ({...})")
        if kind != "ws":
            out.append((kind, m.group(0)))
    return out


def _cell(text: str) -> tuple[str, int, bool]:
    """(column, row or offset, relative) of a key's cell token."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})(?:\$([0-9]+)|\{(-?[0-9]+)\})", text)
    assert m is not None
    if m.group(2) is not None:
        return m.group(1).upper(), int(m.group(2)), False
    return m.group(1).upper(), int(m.group(3)), True


def _sheet(text: str) -> str:
    name = text[:-1]
    if name.startswith("'"):
        name = name[1:-1].replace("''", "'")
    return name


# --- the parser --------------------------------------------------------------------

_BINARY = {
    "=": ("eq", 1),
    "<>": ("ne", 1),
    "<": ("lt", 1),
    "<=": ("le", 1),
    ">": ("gt", 1),
    ">=": ("ge", 1),
    "&": ("concat", 1.5),
    "+": ("add", 2),
    "-": ("sub", 2),
    "*": ("mul", 3),
    "/": ("div", 3),
    "^": ("pow", 4),
}
_PERCENT_BP = 5
_PREFIX_BP = 6
#: An omitted argument (``IF(a,,b)``) reads as 0, as in Excel.
OMITTED = Const(0.0)


def _chain(op: str, left: Expr, right: Expr) -> Expr:
    """``left op right``, extending an n-ary chain (see the module notes)."""
    if op in ("add", "sub"):
        term = Call("neg", (right,)) if op == "sub" else right
        if isinstance(left, Call) and left.op == "add":
            return Call("add", (*left.args, term))
        if isinstance(left, Call) and left.op == "sub":
            return Call("add", (left.args[0], Call("neg", (left.args[1],)), term))
        return Call(op, (left, right))
    if op in ("mul", "concat") and isinstance(left, Call) and left.op == op:
        return Call(op, (*left.args, right))
    return Call(op, (left, right))


class _Parser:
    def __init__(self, key: str) -> None:
        self.key = key
        self.toks = tokens(key)
        self.pos = 0

    def peek(self) -> Token:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("end", "")

    def take(self) -> Token:
        tok = self.peek()
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        _, got = self.take()
        if got != text:
            raise Unsupported(f"a formula that does not parse (expected {text!r}, found {got or 'the end'!r})")

    def parse(self) -> Expr:
        tree = self.expr(0)
        if self.peek()[0] != "end":
            raise Unsupported(f"a formula that does not parse (unexpected {self.peek()[1]!r})")
        return tree

    def expr(self, rbp: float) -> Expr:
        left = self.prefix()
        while True:
            kind, text = self.peek()
            if kind != "op":
                return left
            if text == "%" and rbp < _PERCENT_BP:
                self.take()
                left = Call("div", (left, Const(100.0)))
                continue
            if text not in _BINARY or _BINARY[text][1] <= rbp:
                return left
            op, bp = _BINARY[text]
            self.take()
            left = _chain(op, left, self.expr(bp))

    def prefix(self) -> Expr:
        kind, text = self.take()
        if kind == "number":
            return Const(float(text))
        if kind == "string":
            return Text(text[1:-1].replace('""', '"'))
        if kind == "error":
            return Const(error(text.upper()))
        if kind == "op" and text == "-":
            return Call("neg", (self.expr(_PREFIX_BP),))
        if kind == "op" and text == "+":
            return self.expr(_PREFIX_BP)
        if kind == "op" and text == "(":
            inner = self.expr(0)
            self.expect(")")
            return inner
        if kind == "sheet":
            return self.reference(_sheet(text), *self.take())
        if kind in ("cell", "cols", "rows"):
            return self.reference(None, kind, text)
        if kind == "func":
            return self.call(text[:-1])
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE"):
                return Const(TRUE if upper == "TRUE" else FALSE)
            return Name(text)
        raise Unsupported(f"a formula that does not parse (unexpected {text or 'end'!r})")

    def reference(self, sheet: str | None, kind: str, text: str) -> Expr:
        if kind == "cols":
            a, b = (part.replace("$", "").upper() for part in text.split(":"))
            return Area(sheet, a, 1, False, None, False, b if b != a else None)
        if kind == "rows":  # whole rows: every column, A to XFD (as written: the text holds each cell's rows)
            r0, r1 = sorted(int(part.replace("$", "")) for part in text.split(":"))
            return Area(sheet, "A", r0, False, r1, False, LAST_COLUMN)
        if kind == "error":  # a reference Excel rewrote when its target was deleted: Sheet1!#REF!
            return Const(error(text.upper()))
        if kind == "name" and sheet is not None:
            raise Unsupported(f"a name scoped to the sheet {sheet!r} ({text})")
        if kind != "cell":
            raise Unsupported(f"a reference to {text!r}")
        col, row, rel = _cell(text)
        if self.peek() != ("op", ":"):
            return Ref(sheet, col, row, rel)
        self.take()
        kind2, text2 = self.take()
        if kind2 == "sheet":
            if _sheet(text2) != sheet and sheet is not None:
                raise Unsupported("a range across sheets")
            kind2, text2 = self.take()
        if kind2 != "cell":
            raise Unsupported(f"a range ending in {text2!r}")
        col2, row2, rel2 = _cell(text2)
        cols = columns_between(col, col2)
        (top, rtop), (bottom, rbottom) = (
            sorted([(row, rel), (row2, rel2)]) if rel == rel2 else ((row, rel), (row2, rel2))
        )
        return Area(sheet, cols[0], top, rtop, bottom, rbottom, cols[-1] if len(cols) > 1 else None)

    def call(self, name: str) -> Expr:
        args: list[Expr] = []
        if self.peek() == ("op", ")"):
            self.take()
        else:
            while True:
                if self.peek() in (("op", ","), ("op", ")")):
                    args.append(OMITTED)
                else:
                    args.append(self.expr(0))
                _, text = self.take()
                if text == ")":
                    break
                if text != ",":
                    raise Unsupported(f"a formula that does not parse (in {name}(...), found {text!r})")
        upper = name.upper()
        for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
            if upper.startswith(prefix):
                upper = upper[len(prefix) :]
        spec = EXCEL_FUNCTIONS.get(upper)
        if spec is None:
            raise Unsupported(upper, function=True)
        op, lo, hi = spec
        if not lo <= len(args) <= hi:
            raise Unsupported(f"{upper} with {len(args)} arguments")
        if op == "text" and not (isinstance(args[1], Text) and format_supported(args[1].value)):
            shown = args[1].value if isinstance(args[1], Text) else "a format computed by a formula"
            raise Unsupported(f"TEXT with the format {shown!r}")
        if op == "const":
            return Const(TRUE if upper == "TRUE" else FALSE)
        if op == "ifs":
            return _nested_if(args)
        if op == "ifs_chain":
            return _ifs(args)
        if op == "switch":
            return _switch(args)
        return Call(op, tuple(args))


def _nested_if(args: list[Expr]) -> Expr:
    """IF(c, a, b) with the Excel default FALSE for a missing b."""
    return Call("if", (args[0], args[1], args[2] if len(args) == 3 else Const(FALSE)))


def _ifs(args: list[Expr]) -> Expr:
    """``IFS(c1, v1, c2, v2, ...)``: the value of the first true condition, else ``#N/A``."""
    if len(args) % 2:
        raise Unsupported(f"IFS with {len(args)} arguments (it takes pairs)")
    tree: Expr = Const(error("#N/A"))
    for condition, value in reversed(list(zip(args[0::2], args[1::2], strict=True))):
        tree = Call("if", (condition, value, tree))
    return tree


def _switch(args: list[Expr]) -> Expr:
    """``SWITCH(x, v1, r1, v2, r2, ..., [default])``: the result of the first
    value equal to x, else the default, else ``#N/A``."""
    subject, rest = args[0], args[1:]
    tree: Expr = rest.pop() if len(rest) % 2 else Const(error("#N/A"))
    for candidate, result in reversed(list(zip(rest[0::2], rest[1::2], strict=True))):
        tree = Call("if", (Call("eq", (subject, candidate)), result, tree))
    return tree


def parse_key(key: str) -> Expr:
    """The tree of a relative key (see :func:`relative_key`)."""
    try:
        return _Parser(key).parse()
    except RecursionError:
        raise Unsupported("brackets nested hundreds deep") from None


# --- functions ---------------------------------------------------------------------

#: Excel function -> (operation, fewest and most arguments).
EXCEL_FUNCTIONS: dict[str, tuple[str, int, int]] = {
    "ABS": ("abs", 1, 1),
    "SIGN": ("sign", 1, 1),
    "SQRT": ("sqrt", 1, 1),
    "EXP": ("exp", 1, 1),
    "LN": ("ln", 1, 1),
    "LOG10": ("log10", 1, 1),
    "LOG": ("log", 1, 2),
    "POWER": ("pow", 2, 2),
    "PI": ("pi", 0, 0),
    "INT": ("int", 1, 1),
    "MOD": ("mod", 2, 2),
    "ROUND": ("round", 2, 2),
    "ROUNDUP": ("roundup", 2, 2),
    "ROUNDDOWN": ("rounddown", 2, 2),
    "TRUNC": ("rounddown", 1, 2),
    "FLOOR": ("floor", 2, 2),
    "CEILING": ("ceiling", 2, 2),
    "IF": ("ifs", 2, 3),
    "IFERROR": ("iferror", 2, 2),
    "IFNA": ("ifna", 2, 2),
    "ISNUMBER": ("isnumber", 1, 1),
    "ISERROR": ("iserror", 1, 1),
    "ISNA": ("isna", 1, 1),
    "ISTEXT": ("istext", 1, 1),
    "ISLOGICAL": ("islogical", 1, 1),
    "N": ("n", 1, 1),
    "ISBLANK": ("isblank", 1, 1),
    "AND": ("and", 1, 255),
    "OR": ("or", 1, 255),
    "NOT": ("not", 1, 1),
    "NA": ("na", 0, 0),
    "TRUE": ("const", 0, 0),
    "FALSE": ("const", 0, 0),
    "SUM": ("sum", 1, 255),
    "COUNT": ("count", 1, 255),
    "COUNTA": ("counta", 1, 255),
    "AVERAGE": ("average", 1, 255),
    "MIN": ("min", 1, 255),
    "MAX": ("max", 1, 255),
    "MEDIAN": ("median", 1, 255),
    "PERCENTILE": ("percentile", 2, 2),
    "PERCENTILE.INC": ("percentile", 2, 2),
    "SUMPRODUCT": ("sumproduct", 1, 255),
    "COUNTIF": ("countifs", 2, 2),
    "COUNTIFS": ("countifs", 2, 254),
    "SUMIF": ("sumif", 2, 3),
    "SUMIFS": ("sumifs", 3, 255),
    "AVERAGEIF": ("averageif", 2, 3),
    "AVERAGEIFS": ("averageifs", 3, 255),
    "MATCH": ("match", 2, 3),
    "INDEX": ("index", 2, 3),
    "VLOOKUP": ("vlookup", 3, 4),
    "HLOOKUP": ("hlookup", 3, 4),
    "CHOOSE": ("choose", 2, 255),
    "ROW": ("row", 0, 1),
    "COLUMN": ("column", 0, 1),
    "ROWS": ("rows", 1, 1),
    "COLUMNS": ("columns", 1, 1),
    "NORM.S.INV": ("norm_s_inv", 1, 1),
    "NORMSINV": ("norm_s_inv", 1, 1),
    "NORM.INV": ("norm_inv", 3, 3),
    "NORMINV": ("norm_inv", 3, 3),
    "LOGNORM.INV": ("lognorm_inv", 3, 3),
    "LOGINV": ("lognorm_inv", 3, 3),
    "NORM.S.DIST": ("norm_s_dist", 2, 2),
    "NORMSDIST": ("norm_s_dist", 1, 1),
    "NORM.DIST": ("norm_dist", 4, 4),
    "NORMDIST": ("norm_dist", 4, 4),
    "DATE": ("date", 3, 3),
    "YEAR": ("year", 1, 1),
    "MONTH": ("month", 1, 1),
    "DAY": ("day", 1, 1),
    "EDATE": ("edate", 2, 2),
    "LEN": ("len", 1, 1),
    "LEFT": ("left", 1, 2),
    "RIGHT": ("right", 1, 2),
    "MID": ("mid", 3, 3),
    "CONCATENATE": ("concat", 1, 255),
    "UPPER": ("upper", 1, 1),
    "LOWER": ("lower", 1, 1),
    "TRIM": ("trim", 1, 1),
    "VALUE": ("value", 1, 1),
    "TEXT": ("text", 2, 2),
    "EOMONTH": ("eomonth", 2, 2),
    "DAYS": ("days", 2, 2),
    "DATEDIF": ("datedif", 3, 3),
    "YEARFRAC": ("yearfrac", 2, 3),
    "HOUR": ("hour", 1, 1),
    "MINUTE": ("minute", 1, 1),
    "SECOND": ("second", 1, 1),
    "TIME": ("time", 3, 3),
    "WEEKDAY": ("weekday", 1, 2),
    "ISERR": ("iserr", 1, 1),
    "ISNONTEXT": ("isnontext", 1, 1),
    "ISEVEN": ("iseven", 1, 1),
    "ISODD": ("isodd", 1, 1),
    "XOR": ("xor", 1, 254),
    "IFS": ("ifs_chain", 2, 254),
    "SWITCH": ("switch", 3, 254),
    "SUBSTITUTE": ("substitute", 3, 4),
    "REPLACE": ("replace", 4, 4),
    "REPT": ("rept", 2, 2),
    "LOOKUP": ("lookup", 2, 3),
    "EXACT": ("exact", 2, 2),
    "FIND": ("find", 2, 3),
    "SEARCH": ("search", 2, 3),
    "CONCAT": ("concat_ranges", 1, 253),
    "OFFSET": ("offset", 3, 5),  # both resolved to a reference before planning (references.py)
    "INDIRECT": ("indirect", 1, 2),
    **library.EXCEL_NAMES,
}

#: Argument kinds of each operation: (fixed, repeated) with one letter per
#: argument: ``v`` a single value, ``r`` a range (a cell counts as a range of
#: one), ``a`` either (the arguments of SUM, COUNT ...).
ARGUMENTS: dict[str, tuple[str, str]] = {
    "sum": ("", "a"),
    "count": ("", "a"),
    "counta": ("", "a"),
    "average": ("", "a"),
    "min": ("", "a"),
    "max": ("", "a"),
    "median": ("", "a"),
    "percentile": ("rv", ""),
    "sumproduct": ("", "r"),
    "countifs": ("", "rv"),
    "sumif": ("rvr", ""),
    "sumifs": ("r", "rv"),
    "averageif": ("rvr", ""),
    "averageifs": ("r", "rv"),
    "match": ("vrv", ""),
    "index": ("rvv", ""),
    "vlookup": ("vrvv", ""),
    "hlookup": ("vrvv", ""),
    "isblank": ("r", ""),
    "concat_ranges": ("", "a"),
    "and": ("", "a"),
    "or": ("", "a"),
    "xor": ("", "a"),
    "lookup": ("vrr", ""),
    **library.ARGUMENT_KINDS,
}

#: Operations that can give a boolean (TRUE / FALSE): an argument holding one,
#: given to an operation that wants a number, is read through ``num``.
BOOLEAN_RESULTS = {
    "ge",
    "gt",
    "le",
    "lt",
    "eq",
    "ne",
    "and",
    "or",
    "not",
    "isnumber",
    "iserror",
    "isna",
    "istext",
    "isblank",
    "islogical",
    "exact",
    "xor",
    "iserr",
    "isnontext",
    "iseven",
    "isodd",
}
#: Operations that want numbers: an argument that may hold text or a boolean is read through ``num``
#: (YEARFRAC reads its own, refusing booleans).
NUMERIC_OPS = {
    "add", "sub", "mul", "div", "pow", "neg", "abs", "sign", "sqrt", "exp", "ln", "log10", "log", "int", "mod",
    "round", "roundup", "rounddown", "floor", "ceiling", "norm_s_inv", "norm_inv", "lognorm_inv", "norm_s_dist",
    "norm_dist", "eomonth", "days", "hour", "minute", "second", "time", "weekday", *library.NUMERIC,
}  # fmt: skip
#: Operations that can give text (or pass an argument's text on: these argument positions, None for all).
TEXT_OPS = {
    "concat", "concat_ranges", "left", "right", "mid", "upper", "lower", "trim", "text", "substitute", "replace",
    "rept", *library.TEXT_RESULTS,
}  # fmt: skip
#: Operations over values and ranges alike (SUM, MAX ...).
AGGREGATES = {op for op, (fixed, repeat) in ARGUMENTS.items() if repeat == "a"}
#: Operations that read an empty cell as the empty text, not 0.
TEXT_READERS = {
    "concat", "len", "left", "right", "mid", "upper", "lower", "trim", "text", "exact", "find", "search", "substitute",
    "replace", "rept",
}  # fmt: skip
PASS_THROUGH: dict[str, tuple[int, ...] | None] = {
    "if": (1, 2), "iferror": None, "ifna": None, "choose": None, "lookup": None,
}  # fmt: skip
#: Operations passing on a value read from a range argument.
RANGE_PICKS = {"index", "vlookup", "hlookup"}
_EXCEL_NAME = {op: name for name, (op, _, _) in reversed(EXCEL_FUNCTIONS.items())}


def _kind(op: str, i: int) -> str:
    fixed, repeat = ARGUMENTS.get(op, ("", "v"))
    if i < len(fixed):
        return fixed[i]
    return repeat[(i - len(fixed)) % len(repeat)] if repeat else "v"


def _as_range(arg: Expr) -> Expr:
    if isinstance(arg, Ref):
        return Area(arg.sheet, arg.col, arg.row, arg.relative, arg.row, arg.relative)
    return arg


def _rows_of(area: Area) -> Expr:
    if area.row1 is None:
        return Const(1048576.0)
    if area.rel0 != area.rel1:
        raise Unsupported("ROWS of a range with one end fixed and one relative")
    return Const(float(area.row1 - area.row0 + 1))


def _position_call(tree: Call, col: str) -> Expr:
    """ROW, COLUMN, ROWS and COLUMNS, which read positions, not values."""
    from openpyxl.utils.cell import column_index_from_string

    arg = tree.args[0] if tree.args else None
    if tree.op == "row":
        if arg is None:
            return RowNumber(0, True)
        if isinstance(arg, Ref):
            return RowNumber(arg.row, arg.relative)
        if isinstance(arg, Area):
            return RowNumber(arg.row0, arg.rel0)
    elif tree.op == "column":
        if arg is None:
            return Const(float(column_index_from_string(col)))
        if isinstance(arg, (Ref, Area)):
            return Const(float(column_index_from_string(arg.col)))
    elif isinstance(arg, Ref):
        return Const(1.0)
    elif isinstance(arg, Area):
        if tree.op == "rows":
            return _rows_of(arg)
        return Const(float(len(columns_between(arg.col, arg.last_col))))
    raise Unsupported(f"{tree.op.upper()} of something other than a reference")


def finish(tree: Expr, col: str, element: tuple[int, int] | None = None) -> Expr:
    """A resolved tree made ready to evaluate in column ``col``: positions
    (ROW, COLUMN ...) become numbers, cells given where a range is expected
    become ranges of one cell, and a range where one value is expected is
    refused, except in an array formula over a range: there ``element`` is
    the cell's (row, column) offset in the array and such a range gives its
    cell at that offset (see :func:`element_of`)."""
    try:
        return _finish(tree, col, element, inside_range=False)
    except RecursionError:
        raise Unsupported("functions nested hundreds deep") from None


def _finish(tree: Expr, col: str, element: tuple[int, int] | None, inside_range: bool) -> Expr:
    if not isinstance(tree, Call):
        if isinstance(tree, Area):
            if element is None:
                raise Unsupported("a range where one value is expected")
            if inside_range:
                raise Unsupported("an array formula that computes an array inside a function of ranges")
            return element_of(tree, element)
        return tree
    if tree.op in ("row", "column", "rows", "columns"):
        return _position_call(tree, col)
    args = []
    for i, arg in enumerate(tree.args):
        kind = _kind(tree.op, i)
        if kind == "v":
            args.append(_finish(arg, col, element, inside_range))
        elif isinstance(arg, (Ref, Area)):
            args.append(_as_range(arg))
        elif kind == "r":
            name = _EXCEL_NAME.get(tree.op, tree.op.upper())
            raise Unsupported(f"{name} with a computed value where it needs a range (argument {i + 1})")
        else:
            args.append(_finish(arg, col, element, inside_range=True))
    return Call(tree.op, tuple(args))


def element_of(area: Area, element: tuple[int, int]) -> Expr:
    """The cell of ``area`` (rows absolute) that an array formula's element at
    offset ``element`` reads, as Excel pairs them: the cell at the same offset;
    a range of one row (or column) gives every element its own column (row)
    of it; an element past the range's size is ``#N/A``."""
    if area.row1 is None or area.rel0 or area.rel1:
        raise Unsupported("an array formula over whole columns")
    from openpyxl.utils.cell import column_index_from_string, get_column_letter

    di, dj = element
    first = column_index_from_string(area.col)
    width = column_index_from_string(area.last_col) - first + 1
    rows = area.row1 - area.row0 + 1
    if (rows > 1 and di >= rows) or (width > 1 and dj >= width):
        return Const(error("#N/A"))
    col = get_column_letter(first + (dj if width > 1 else 0))
    return Ref(area.sheet, col, area.row0 + (di if rows > 1 else 0), False)


def absolute_rows(tree: Expr, row: int) -> Expr:
    """``tree`` of a formula in ``row`` with its relative rows made absolute
    (an array formula's references do not move from cell to cell)."""
    if isinstance(tree, Ref) and tree.relative:
        return Ref(tree.sheet, tree.col, row + tree.row, False)
    if isinstance(tree, Area) and (tree.rel0 or tree.rel1):
        row0 = row + tree.row0 if tree.rel0 else tree.row0
        row1 = None if tree.row1 is None else (row + tree.row1 if tree.rel1 else tree.row1)
        return Area(tree.sheet, tree.col, row0, False, row1, False, tree.col1)
    if isinstance(tree, Call):
        return Call(tree.op, tuple(absolute_rows(a, row) for a in tree.args))
    return tree
