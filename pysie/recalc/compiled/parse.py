"""Excel formula text -> an expression tree over :mod:`pysie.primitives`.

A small tokenizer and a Pratt parser of our own rather than the ``formulas``
package's parser: that parser returns a token list plus a compiled
dispatcher, not a tree, and building it costs milliseconds per formula,
while here each distinct *relative* formula is parsed once (a few dozen per
workbook) and the tree must name pysie's own operations.

Two steps:

* :func:`relative_key` rewrites a cell's formula with every row-relative
  reference as an offset from the cell's own row (``C4`` in row 5 becomes
  ``C{-1}``), so every cell of a column filled down shares one key. It is a
  single regular-expression pass, cheap enough for every cell.
* :func:`parse_key` parses a key into a tree of :class:`pysie.expr.Const`,
  :class:`pysie.expr.Name`, :class:`pysie.expr.Call` and the reference nodes
  :class:`Ref` and :class:`Area`.

Excel precedence, loosest first: comparisons, ``&`` (not supported),
``+ -``, ``* /``, ``^`` (left-associative), ``%``, unary minus. So
``-2^2`` is ``(-2)^2 = 4`` and ``2^3^2`` is ``(2^3)^2``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from pysie.expr import Call, Const, Expr, Name
from pysie.primitives import COUNTIF_CODES, PRIMITIVES


class Unsupported(ValueError):
    """A formula the compiled engine does not evaluate (the caller falls back)."""


@dataclass(frozen=True)
class Ref(Expr):
    """One cell: ``row`` is an offset from the formula's row when ``relative``."""

    sheet: str | None
    col: str
    row: int
    relative: bool


@dataclass(frozen=True)
class Area(Expr):
    """A range inside one column, rows ``row0..row1`` (each relative or not);
    ``row1`` None means the whole column."""

    sheet: str | None
    col: str
    row0: int
    rel0: bool
    row1: int | None
    rel1: bool


@dataclass(frozen=True)
class Text(Expr):
    """A string literal: only a COUNTIF criterion may use one."""

    value: str


# --- relative keys -------------------------------------------------------------

_KEY_REF = re.compile(
    r"""("(?:[^"]|"")*"|'(?:[^']|'')*')"""  # strings and quoted sheet names stay as they are
    r"""|(?<![A-Za-z0-9_.$\\])(\$?[A-Za-z]{1,3})([0-9]+)(?![A-Za-z0-9_.(!\[{])"""
)


def relative_key(formula: str, row: int) -> str:
    """``formula`` with each row-relative reference written as ``COL{offset}``."""
    parts = _KEY_REF.split(formula)  # text, then the 3 groups of each match, then text ...
    if len(parts) == 1:
        return formula
    out = [parts[0]]
    for quoted, col, digits, text in zip(parts[1::4], parts[2::4], parts[3::4], parts[4::4]):
        out.append(quoted or f"{col.upper()}{{{int(digits) - row}}}")
        out.append(text)
    return "".join(out)


# --- tokens --------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<string>"(?:[^"]|"")*")
    |(?P<error>\#NULL!|\#DIV/0!|\#VALUE!|\#REF!|\#NAME\?|\#NUM!|\#N/A)
    |(?P<sheet>(?:'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.]*)!)
    |(?P<cols>\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}(?![A-Za-z0-9_.({$]))
    |(?P<cell>\$?[A-Za-z]{1,3}(?:\$[0-9]+|\{-?[0-9]+\}))
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)
    |(?P<func>[A-Za-z_][A-Za-z0-9_.]*\()
    |(?P<name>[A-Za-z_\\][A-Za-z0-9_.]*)
    |(?P<op><>|<=|>=|[-+*/^&=<>%:(),])""",
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
            raise Unsupported(f"cannot read {text[pos : pos + 20]!r} in formula ={text}")
        pos = m.end()
        kind = m.lastgroup or ""
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
    if name.startswith("["):
        raise Unsupported(f"reference to another workbook {name}")
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
_ERROR = Const(math.nan)


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
        kind, got = self.take()
        if got != text:
            raise Unsupported(f"expected {text!r}, found {got or 'the end'!r} in {self.key}")

    def parse(self) -> Expr:
        tree = self.expr(0)
        if self.peek()[0] != "end":
            raise Unsupported(f"unexpected {self.peek()[1]!r} in {self.key}")
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
            if op == "concat":
                raise Unsupported("text concatenation (&)")
            left = Call(op, (left, self.expr(bp)))

    def prefix(self) -> Expr:
        kind, text = self.take()
        if kind == "number":
            return Const(float(text))
        if kind == "string":
            return Text(text[1:-1].replace('""', '"'))
        if kind == "error":
            return _ERROR
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
        if kind in ("cell", "cols"):
            return self.reference(None, kind, text)
        if kind == "func":
            return self.call(text[:-1])
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE"):
                return Const(1.0 if upper == "TRUE" else 0.0)
            return Name(text)
        raise Unsupported(f"unexpected {text or 'end'!r} in {self.key}")

    def reference(self, sheet: str | None, kind: str, text: str) -> Expr:
        if kind == "cols":
            a, b = (part.replace("$", "").upper() for part in text.split(":"))
            if a != b:
                raise Unsupported(f"a range over several columns ({text})")
            return Area(sheet, a, 1, False, None, False)
        if kind != "cell":
            raise Unsupported(f"a reference to {text!r} (names scoped to a sheet, rows or other references)")
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
        if col2 != col:
            raise Unsupported(f"a range over several columns ({col}:{col2})")
        return Area(sheet, col, row, rel, row2, rel2)

    def call(self, name: str) -> Expr:
        args: list[Expr] = []
        if self.peek() == ("op", ")"):
            self.take()
        else:
            while True:
                if self.peek() in (("op", ","), ("op", ")")):
                    raise Unsupported(f"an omitted argument of {name}")
                args.append(self.expr(0))
                kind, text = self.take()
                if text == ")":
                    break
                if text != ",":
                    raise Unsupported(f"expected ',' or ')' in {name}(...), found {text!r}")
        upper = name.upper()
        for prefix in ("_XLFN.", "_XLWS."):
            if upper.startswith(prefix):
                upper = upper[len(prefix) :]
        build = FUNCTIONS.get(upper)
        if build is None:
            raise Unsupported(f"function {upper}")
        return build(upper, args)


def parse_key(key: str) -> Expr:
    """The tree of a relative key (see :func:`relative_key`)."""
    tree = _Parser(key).parse()
    if isinstance(tree, (Area, Text)):
        raise Unsupported(f"a formula whose value is {'a range' if isinstance(tree, Area) else 'text'}: {key}")
    for node in tree.walk():
        _check_arguments(node)
    return tree


# --- functions ---------------------------------------------------------------------

Builder = Callable[[str, list[Expr]], Expr]


def _arity(name: str, args: list[Expr], lo: int, hi: int) -> None:
    if not lo <= len(args) <= hi:
        raise Unsupported(f"{name} with {len(args)} arguments")


def _simple(op: str, lo: int, hi: int) -> Builder:
    def build(name: str, args: list[Expr]) -> Expr:
        _arity(name, args, lo, hi)
        return Call(op, tuple(args))

    return build


def _if(name: str, args: list[Expr]) -> Expr:
    _arity(name, args, 2, 3)
    return Call("if", (args[0], args[1], args[2] if len(args) == 3 else Const(0.0)))


def _aggregate(op: str, range_op: str) -> Builder:
    def build(name: str, args: list[Expr]) -> Expr:
        _arity(name, args, 1, 255)
        parts = [Call(range_op, (a,)) if isinstance(a, Area) else a for a in args]
        return parts[0] if len(parts) == 1 and isinstance(args[0], Area) else Call(op, tuple(parts))

    return build


def _constant(arg: Expr, what: str) -> float:
    if not isinstance(arg, Const):
        raise Unsupported(f"{what} that is not a number written in the formula")
    return arg.value


def _match(name: str, args: list[Expr]) -> Expr:
    _arity(name, args, 2, 3)
    kind = _constant(args[2], "a MATCH type") if len(args) == 3 else 1.0
    if kind == 0:
        return Call("match", (args[0], args[1]))
    return Call("match_sorted", (args[0], args[1], Const(1.0 if kind < 0 else 0.0)))


def _index(name: str, args: list[Expr]) -> Expr:
    _arity(name, args, 2, 3)
    if len(args) == 3 and _constant(args[2], "an INDEX column") != 1:
        raise Unsupported("INDEX into a column other than the first")
    return Call("index", (args[0], args[1]))


_CRITERION = re.compile(r"\s*(<>|<=|>=|=|<|>)?\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][+-]?[0-9]+)?)\s*")


def _countif(name: str, args: list[Expr]) -> Expr:
    _arity(name, args, 2, 2)
    criterion = args[1]
    if isinstance(criterion, Text):
        m = _CRITERION.fullmatch(criterion.value)
        if m is None:
            raise Unsupported(f"COUNTIF criterion {criterion.value!r}")
        code = COUNTIF_CODES.index(m.group(1) or "=")
        return Call("countif", (args[0], Const(float(m.group(2))), Const(float(code))))
    return Call("countif", (args[0], criterion))


def _log(name: str, args: list[Expr]) -> Expr:
    _arity(name, args, 1, 1)
    return Call("log10", (args[0],))


FUNCTIONS: dict[str, Builder] = {
    "EXP": _simple("exp", 1, 1),
    "LN": _simple("ln", 1, 1),
    "LOG10": _simple("log10", 1, 1),
    "LOG": _log,
    "SQRT": _simple("sqrt", 1, 1),
    "ABS": _simple("abs", 1, 1),
    "INT": _simple("int", 1, 1),
    "POWER": _simple("pow", 2, 2),
    "ROUND": _simple("round", 2, 2),
    "IF": _if,
    "IFERROR": _simple("iferror", 2, 2),
    "ISNUMBER": _simple("isnumber", 1, 1),
    "ISERROR": _simple("iserror", 1, 1),
    "AND": _simple("and", 1, 255),
    "OR": _simple("or", 1, 255),
    "NOT": _simple("not", 1, 1),
    "NA": _simple("na", 0, 0),
    "TRUE": lambda name, args: Const(1.0),
    "FALSE": lambda name, args: Const(0.0),
    "MIN": _aggregate("min", "range_min"),
    "MAX": _aggregate("max", "range_max"),
    "SUM": _aggregate("sum", "range_sum"),
    "MATCH": _match,
    "INDEX": _index,
    "COUNTIF": _countif,
    "PERCENTILE": _simple("percentile", 2, 2),
    "PERCENTILE.INC": _simple("percentile", 2, 2),
    "NORM.S.INV": _simple("norm_s_inv", 1, 1),
    "NORMSINV": _simple("norm_s_inv", 1, 1),
}

#: Which argument of an operation over ranges is the range.
RANGE_ARGUMENT = {
    "match": 1,
    "match_sorted": 1,
    "index": 0,
    "range_max": 0,
    "range_min": 0,
    "range_sum": 0,
    "countif": 0,
    "percentile": 0,
}


def _check_arguments(tree: Expr) -> None:
    """A range only where an operation over ranges expects one; text nowhere."""
    if not isinstance(tree, Call):
        return
    wanted = RANGE_ARGUMENT.get(tree.op)
    if tree.op in PRIMITIVES and PRIMITIVES[tree.op].over_ranges and wanted is None:
        raise Unsupported(f"operation {tree.op} over ranges")
    for i, arg in enumerate(tree.args):
        if isinstance(arg, Text):
            raise Unsupported("text in a formula")
        if (i == wanted) != isinstance(arg, Area):
            what = "a range" if i == wanted else "a single value"
            raise Unsupported(f"{PRIMITIVES[tree.op].excel} needs {what} as argument {i + 1}")
