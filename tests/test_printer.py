"""The Excel printer (:mod:`pysie.excel.printer`): the exact text it writes
(precedence, function spelling, ``_xlfn.`` prefixes, references, sheet
quoting) and what that text means, checked by recalculating a tiny workbook
of printed formulas with the formulas package (and LibreOffice) against
values Python computes from the same source text or typed in by hand."""

from __future__ import annotations

import math
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

import pysie.excel.printer as printer
from pysie.excel.cache import read_cached_values
from pysie.excel.layout import Layout
from pysie.excel.printer import Where, formula, number
from pysie.expr import (
    Call,
    Cell,
    Col,
    Const,
    Expr,
    Name,
    Range,
    abs_,
    and_,
    column_max,
    column_sum,
    eq,
    exp,
    ge,
    gt,
    if_,
    iferror,
    index,
    int_,
    isnumber,
    le,
    ln,
    log2,
    log10,
    lt,
    match,
    max_,
    min_,
    na,
    norm_s_inv,
    not_,
    or_,
    percentile,
    power,
    sqrt,
)
from pysie.primitives import PRIMITIVES
from pysie.recalc import recalculate
from pysie.spec import Column, Model, Parameter, Table

#: Values of the three defined names of the tiny workbook (y < 0 exposes the -x^2 trap).
VALUES = {"x": 3.0, "y": -2.0, "z": 0.5}
NODES = {name: Name(name) for name in VALUES}
TABLE_SHEET = "It's a table"  # a quote in the name: references must double it
COLUMN_C = (4.0, 1.0, 9.0, 1.0, 5.0)


def _column(name: str) -> Column:
    return Column.every_row(name, Const(0.0), "", name)


def layout_with_table_on(sheet: str) -> Layout:
    """A declaration just big enough to give the printer a layout: three inputs
    and a five-row table of two columns (c holds numbers, d formulas over c)."""
    model = Model(
        "printer-test",
        "Printer test",
        "",
        (),
        tuple(Parameter(n, v, "", n, "test") for n, v in VALUES.items()),
        (),
        (Table("t", sheet, "", (_column("c"), _column("d")), rows_from=len(COLUMN_C)),),
        (),
    )
    return Layout.of(model, model.defaults())


LAYOUT = layout_with_table_on(TABLE_SHEET)
#: The formulas package reads any sheet whose name holds a quote as #REF!, so
#: its workbook keeps a plain (still quoted) name; LibreOffice reads TABLE_SHEET.
PLAIN_LAYOUT = layout_with_table_on("A table")
HERE = Where(LAYOUT)
C = Range("t", "c")
x, y, z = NODES["x"], NODES["y"], NODES["z"]


def text(expr: Expr, where: Where = HERE) -> str:
    return formula(expr, where)


# --- the text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        # unary minus binds tighter than ^ in Excel: -(x^2) needs its parentheses
        (-(x**2), "=-(x^2)"),
        ((-x) ** 2, "=(-x)^2"),  # Excel reads -x^2 so too, but the base of ^ is always bracketed
        (-(x * y), "=-(x*y)"),
        (-(x + y), "=-(x+y)"),
        (Call("neg", (-x,)), "=-(-x)"),
        (-ln(x), "=-LN(x)"),
        (x - (-y), "=x--y"),
        (x * (-y), "=x*-y"),
        # left-associative: the right operand of equal precedence keeps parentheses
        (x - (y - z), "=x-(y-z)"),
        ((x - y) - z, "=x-y-z"),
        (x / (y * z), "=x/(y*z)"),
        ((x / y) * z, "=x/y*z"),
        (x / (y / z), "=x/(y/z)"),
        (x ** (y**z), "=x^(y^z)"),
        ((x**y) ** z, "=(x^y)^z"),  # not x^y^z, which Gnumeric reads as x^(y^z)
        # looser operands inside tighter operators
        ((x + y) * z, "=(x+y)*z"),
        (x * (y + z), "=x*(y+z)"),
        ((x * y) ** z, "=(x*y)^z"),
        (x + y * z, "=x+y*z"),
        (x**2 * y, "=x^2*y"),
        # comparisons are loosest of all
        (ge(x + y, z), "=x+y>=z"),
        (ge(x, y) + 1, "=(x>=y)+1"),
        (eq(lt(x, y), gt(y, z)), "=x<y=(y>z)"),  # comparisons are left-associative too
        (le(x, y) * 2, "=(x<=y)*2"),
        # negative constants: -2 reads as one operand
        (x ** Const(-2.0), "=x^-2"),
        (Const(-2.0) ** x, "=(-2)^x"),
        (x - Const(-1.0), "=x--1"),
        # function arguments never need parentheses
        (max_(x + y, -(z**2)), "=MAX(x+y,-(z^2))"),
    ],
)
def test_operators_print_with_the_parentheses_every_spreadsheet_reads_alike(expr: Expr, expected: str) -> None:
    assert text(expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (ln(x), "=LN(x)"),  # Excel's LOG is base 10: natural log must be LN
        (log10(x), "=LOG10(x)"),
        (log2(x), "=LN(x)/LN(2)"),
        (exp(x), "=EXP(x)"),
        (sqrt(x), "=SQRT(x)"),
        (abs_(x), "=ABS(x)"),
        (int_(x), "=INT(x)"),
        (min_(x, y, z), "=MIN(x,y,z)"),
        (power(x, y), "=x^y"),
        (if_(gt(x, 0), y, z), "=IF(x>0,y,z)"),
        (iferror(ln(y), 0), "=IFERROR(LN(y),0)"),
        (isnumber(x), "=ISNUMBER(x)"),
        (and_(x, or_(y, not_(z))), "=AND(x,OR(y,NOT(z)))"),
        (na(), "=NA()"),
        (norm_s_inv(z), "=_xlfn.NORM.S.INV(z)"),
        (match(1, C), "=MATCH(1,'It''s a table'!$A$3:$A$7,0)"),  # exact match: the 0 is appended
        (index(C, 2), "=INDEX('It''s a table'!$A$3:$A$7,2)"),
        (column_max(C), "=MAX('It''s a table'!$A$3:$A$7)"),
        (column_sum(C), "=SUM('It''s a table'!$A$3:$A$7)"),
        (percentile(C, 0.9), "=PERCENTILE('It''s a table'!$A$3:$A$7,0.9)"),
    ],
)
def test_functions_print_as_excel_spells_them(expr: Expr, expected: str) -> None:
    assert text(expr) == expected


#: Functions Excel 2007 already had: written bare in the file.
EXCEL_2007 = {
    "LN", "LOG10", "EXP", "SQRT", "ABS", "INT", "MIN", "MAX", "IF", "IFERROR", "ISNUMBER", "AND", "OR",
    "NOT", "NA", "MATCH", "INDEX", "SUM", "PERCENTILE", "ROUND", "ISERROR", "COUNTIF",
}  # fmt: skip
#: Functions added in Excel 2010 or later: the file must spell them ``_xlfn.NAME``
#: or Excel shows #NAME? (ECMA-376 Part 1, 18.17.7 and Microsoft's "Issue: An
#: _xlfn. prefix is displayed in front of a formula").
EXCEL_2010_AND_LATER = {
    "NORM.S.INV", "NORM.S.DIST", "NORM.INV", "NORM.DIST", "LOGNORM.INV", "LOGNORM.DIST", "PERCENTILE.INC",
    "PERCENTILE.EXC", "STDEV.S", "STDEV.P", "IFS", "MAXIFS", "MINIFS", "SWITCH", "XLOOKUP", "XMATCH",
    "CONCAT", "TEXTJOIN", "LET", "FILTER", "SORT", "UNIQUE", "SEQUENCE",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(p for p in PRIMITIVES if not PRIMITIVES[p].infix and p != "neg"))
def test_every_function_is_classified_and_newer_ones_carry_the_xlfn_prefix(name: str) -> None:
    """A new primitive must be placed in one of the two sets above by hand."""
    spelt = PRIMITIVES[name].excel
    if spelt.startswith("_xlfn."):
        assert spelt.removeprefix("_xlfn.") in EXCEL_2010_AND_LATER, spelt
    else:
        assert spelt in EXCEL_2007, f"{spelt}: an Excel 2010+ function needs the _xlfn. prefix"
    assert spelt != "LOG"  # base 10 in Excel; pysie spells its logs LN and LOG10


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.0, "2"), (-3.0, "-3"), (0.5, "0.5"), (1e300, "1E+300"), (1.5e-7, "1.5E-07"), (-0.25, "-0.25"), (0.0, "0")],
)
def test_numbers_print_as_excel_writes_them(value: float, expected: str) -> None:
    assert number(value) == expected


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_printed_number_reads_back_as_the_same_double(value: float) -> None:
    assert float(number(value)) == value


def test_table_references_are_relative_in_the_row_and_absolute_when_pinned() -> None:
    row = Where(LAYOUT, "t", 2)  # step 2 is worksheet row 5 (two header rows)
    c = Col("c")
    assert text(c, row) == "=A5"
    assert text(c.prev, row) == "=A4"
    assert text(c.prev.prev, row) == "=A3"
    assert text(Cell("c", 0), row) == "=$A$3"
    assert text(c.at(4) + Col("d"), row) == "=$A$7+B5"
    with pytest.raises(ValueError, match="reads row -1"):
        text(c.prev.prev.prev, row)
    with pytest.raises(ValueError, match="outside a table"):
        text(c, HERE)
    with pytest.raises(ValueError, match="outside a table"):
        text(Cell("c", 0), HERE)


def test_sheet_names_are_quoted_with_inner_quotes_doubled() -> None:
    assert LAYOUT.column_range("t", "c") == "'It''s a table'!$A$3:$A$7"
    assert LAYOUT.column_range("t", "d", "Plain") == "'Plain'!$B$3:$B$7"


def test_a_preset_copy_reads_its_own_cells_and_sheets() -> None:
    where = Where(LAYOUT, None, 0, {"x": "'Compare'!$B$4"}, {"t": "It's a table (p)"})
    assert text(x * y + column_max(C), where) == "='Compare'!$B$4*y+MAX('It''s a table (p)'!$A$3:$A$7)"


def test_an_unprintable_node_is_refused() -> None:
    class Odd(Expr):
        pass

    with pytest.raises(TypeError, match="cannot print"):
        text(Odd())


# --- what the text means: a tiny workbook recalculated ---------------------------------

#: Python source evaluated twice: over Name nodes it builds the tree the printer
#: prints, over floats Python computes the oracle with its own precedence rules.
ARITHMETIC = [
    "-(x**2)", "(-x)**2", "-x**2", "-y**2", "(-y)**2", "-y**3", "-(x*y)", "-(x+y)", "-(-y)", "x - -y",
    "x*-y", "x-(y-z)", "(x-y)-z", "x/(y*z)", "x/y*z", "x/(y/z)", "(x+y)*z", "x*(y+z)", "x**z**2",
    "(x**z)**2", "2**-x", "x**-2", "-2**x", "(-2)**x", "1-(x-y)", "(x+y)/(x-y)", "-x-y", "x*y**2",
    "(x*y)**2", "1/(x+y)*z", "0.1+0.2*x", "1e300*x", "1.5e-7*x", "x+-y", "x+(-y)**2",
]  # fmt: skip

#: Functions and comparisons, with values typed in (TRUE/FALSE read as 1/0).
FUNCTIONS: list[tuple[str, Expr, float]] = [
    ("ln", ln(x), math.log(3.0)),
    ("log10", log10(x), math.log10(3.0)),
    ("log2", log2(x), math.log2(3.0)),
    ("exp", exp(z), math.exp(0.5)),
    ("sqrt", sqrt(x), math.sqrt(3.0)),
    ("abs", abs_(y), 2.0),
    ("int rounds down", int_(-z), -1.0),
    ("min", min_(x, y, z), -2.0),
    ("max", max_(x, y, z), 3.0),
    ("power of a negative base", power(y, 3), -8.0),
    ("if", if_(gt(x, y), x + 1, y), 4.0),
    ("iferror", iferror(ln(y), 7), 7.0),
    ("isnumber of an error", isnumber(ln(y)), 0.0),
    ("comparison looser than +", ge(x + y, z), 1.0),
    ("comparison in arithmetic", ge(x, y) + 1, 2.0),
    ("comparison of comparisons", eq(lt(x, y), gt(y, z)), 1.0),
    ("le", le(x, 3), 1.0),
    ("and", and_(gt(x, 0), lt(z, 1)), 1.0),
    ("or", or_(gt(y, 0), lt(x, 0)), 0.0),
    ("not", not_(gt(y, 0)), 1.0),
    ("normal quantile", norm_s_inv(z + 0.475), 1.959963984540054),
    ("match is exact and 1-based", match(1, C), 2.0),
    ("index is 1-based", index(C, 3), 9.0),
    ("column max", column_max(C), 9.0),
    ("column sum", column_sum(C), 20.0),
    ("percentile interpolates", percentile(C, 0.9), 7.4),  # sorted 1 1 4 5 9: 5 + 0.6 (9 - 5)
]


def cases() -> Iterator[tuple[str, Expr, float]]:
    for source in ARITHMETIC:
        yield source, eval(source, {}, dict(NODES)), eval(source, {}, dict(VALUES))
    yield from FUNCTIONS


def random_trees(count: int, seed: int = 20240601) -> list[tuple[str, Expr, float]]:
    """Random trees of + - * / ^ and negation over x, y, z and small constants,
    with a plain-Python evaluation as the oracle (integer exponents keep every
    power real; trees whose value Python cannot compute are dropped)."""
    rng = random.Random(seed)
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
        "/": lambda a, b: a / b,
    }

    def tree(depth: int) -> tuple[Any, float]:
        if depth == 0 or rng.random() < 0.2:
            leaf = rng.choice([*VALUES, 2.0, 0.5, -1.5])
            return (NODES[leaf], VALUES[leaf]) if isinstance(leaf, str) else (Const(leaf), leaf)
        kind = rng.random()
        if kind < 0.2:
            e, v = tree(depth - 1)
            return -e, -v
        if kind < 0.35:
            e, v = tree(depth - 1)
            k = rng.choice([2, 3, -1])
            return e**k, v**k
        a, va = tree(depth - 1)
        b, vb = tree(depth - 1)
        op = rng.choice(list(ops))
        return ops[op](a, b), ops[op](va, vb)

    out = []
    while len(out) < count:
        try:
            expr, value = tree(4)
        except (ZeroDivisionError, OverflowError):
            continue
        if isinstance(expr, Call) and math.isfinite(value) and abs(value) < 1e100:
            out.append((f"random {len(out)}", expr, value))
    return out


ALL_CASES = [*cases(), *random_trees(120)]


def write_book(path: Path, layout: Layout) -> dict[str, tuple[str, str]]:
    """The tiny workbook: the three names on Inputs, column c of the table and
    one formula per case on Cases; relative references in column d of the
    table. Returns case id -> (sheet, cell)."""
    book = xlsxwriter.Workbook(str(path))
    inputs = book.add_worksheet("Inputs")
    for i, (name, value) in enumerate(VALUES.items()):
        inputs.write(i, 0, name)
        inputs.write_number(i, 1, value)
        book.define_name(name, f"=Inputs!$B${i + 1}")
    sheet_name = layout.sheet_of("t")
    table = book.add_worksheet(sheet_name)
    table.write_row(0, 0, ["c", "d"])
    at: dict[str, tuple[str, str]] = {}
    for step, value in enumerate(COLUMN_C):
        row = layout.excel_row(step)  # 1-based; XlsxWriter counts from 0
        table.write_number(row - 1, 0, value)
        if step:  # d = c + c.prev * c at step 0, printed for its own row
            d = Col("c") + Col("c").prev * Cell("c", 0)
            table.write_formula(row - 1, 1, formula(d, Where(layout, "t", step)))
            at[f"relative row {step}"] = (sheet_name, f"B{row}")
    sheet = book.add_worksheet("Cases")
    for i, (case, expr, _) in enumerate(ALL_CASES):
        sheet.write_formula(i, 0, formula(expr, Where(layout)))
        at[case] = ("Cases", f"A{i + 1}")
    book.close()
    return at


def expected_values() -> dict[str, float]:
    relative = {f"relative row {k}": COLUMN_C[k] + COLUMN_C[k - 1] * COLUMN_C[0] for k in range(1, len(COLUMN_C))}
    return {**{case: value for case, _, value in ALL_CASES}, **relative}


def disagreements(path: Path, engine: str, layout: Layout = PLAIN_LAYOUT) -> dict[str, tuple[Any, float]]:
    """Cases whose recalculated value differs from the oracle (relative 1e-12)."""
    at = write_book(path, layout)
    values = recalculate_gnumeric(path) if engine == "gnumeric" else recalculate(path, engine)
    out = {}
    for case, expected in expected_values().items():
        found = values.get(at[case])
        number_found = float(found) if isinstance(found, (bool, int, float)) else math.nan
        if number_found != pytest.approx(expected, rel=1e-12, abs=1e-300):
            out[case] = (found, expected)
    return out


def recalculate_gnumeric(path: Path) -> dict[tuple[str, str], Any]:
    """Every formula cell's value as Gnumeric computes it (``ssconvert --recalc``,
    read from the values it caches in the file it writes)."""
    out = path.with_name(f"{path.stem}-gnumeric.xlsx")
    subprocess.run(["ssconvert", "--recalc", str(path), str(out)], check=True, capture_output=True, timeout=120)
    return read_cached_values(out)


def formulas_package_misreads(case: str) -> bool:
    """The formulas package (1.2/1.3) reads ``a+-b`` as ``a-b``, so ``x+-y^2``
    comes out as x-(y^2) where Excel and LibreOffice compute x+(-y)^2; the
    printer's text is right (the LibreOffice test below checks these too)."""
    expr = next(e for c, e, _ in ALL_CASES if c == case)
    return "+-" in formula(expr, HERE)


def test_the_formulas_package_computes_what_python_computes(tmp_path: Path) -> None:
    wrong = disagreements(tmp_path / "printed.xlsx", "formulas")
    assert {case for case in wrong if not formulas_package_misreads(case)} == set()


@pytest.mark.libreoffice
def test_libreoffice_computes_what_python_computes(tmp_path: Path) -> None:
    """Also reads the sheet whose name holds a quote, which the references double."""
    assert disagreements(tmp_path / "printed.xlsx", "libreoffice", LAYOUT) == {}


@pytest.mark.gnumeric
def test_gnumeric_computes_what_python_computes(tmp_path: Path) -> None:
    """Gnumeric reads ``x^y^z`` as ``x^(y^z)`` where Excel and LibreOffice read
    ``(x^y)^z``, and ``-x^2`` as Excel does; the printer brackets the base of every
    power, so Gnumeric computes every case as Python does. (Gnumeric 1.12 reads
    a sheet name holding a doubled quote as an error, so this uses the plain name.)"""
    assert disagreements(tmp_path / "printed.xlsx", "gnumeric") == {}


@pytest.mark.gnumeric
def test_gnumeric_disagrees_with_a_bare_chain_of_powers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberate break: the base of ^ bracketed only where Excel needs it (the
    printer before), and Gnumeric computes the chains of powers otherwise."""
    original = printer._call

    def excel_only(expr: Call, where: Where) -> tuple[str, int]:
        if expr.op != "pow":
            return original(expr, where)
        (left, lp), (right, rp) = (printer._text(a, where) for a in expr.args)
        left = f"({left})" if lp < PRIMITIVES["pow"].precedence else left
        right = f"({right})" if rp <= PRIMITIVES["pow"].precedence else right
        return f"{left}^{right}", PRIMITIVES["pow"].precedence

    monkeypatch.setattr(printer, "_call", excel_only)
    assert "(x**z)**2" in disagreements(tmp_path / "bare.xlsx", "gnumeric")


def test_a_printer_that_drops_parentheses_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberate break: operands printed without any parentheses."""

    def careless(expr: Call, where: Where) -> tuple[str, int]:
        p = PRIMITIVES[expr.op]
        if p.infix:
            left, right = (printer._text(a, where)[0] for a in expr.args)
            return f"{left}{p.excel}{right}", p.precedence
        if expr.op == "neg":
            return "-" + printer._text(expr.args[0], where)[0], p.precedence
        return f"{p.excel}({','.join(printer._text(a, where)[0] for a in expr.args)}{p.trailing_args})", 10

    monkeypatch.setattr(printer, "_call", careless)
    wrong = disagreements(tmp_path / "careless.xlsx", "formulas")
    assert {"-(x**2)", "-y**2", "x-(y-z)", "(x+y)*z", "comparison in arithmetic"} <= set(wrong)
    assert sum(case.startswith("random") for case in wrong) > 20


def test_a_printer_that_spells_ln_as_log_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliberate break: Excel's LOG is base 10, so LN(x) written LOG(x) is wrong."""
    monkeypatch.setitem(PRIMITIVES, "ln", PRIMITIVES["ln"].__class__(**{**PRIMITIVES["ln"].__dict__, "excel": "LOG"}))
    wrong = disagreements(tmp_path / "log.xlsx", "formulas")
    # LOG(x)/LOG(2) is still log2(x): any base cancels
    assert {case for case in wrong if not formulas_package_misreads(case)} == {"ln"}
