"""The expression tree (:mod:`pysie.expr`): what Python's operators and the
helper functions build, how a tree is walked, and what the helpers compute at
once when handed plain numbers (oracles: the math module and literal trees
typed out here)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

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
    as_expr,
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
    references,
    sqrt,
)

x, y, z = Name("x"), Name("y"), Name("z")


def call(op: str, *args: Expr) -> Call:
    return Call(op, tuple(args))


# --- building -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (x + y, call("add", x, y)),
        (x - y, call("sub", x, y)),
        (x * y, call("mul", x, y)),
        (x / y, call("div", x, y)),
        (x**y, call("pow", x, y)),
        (-x, call("neg", x)),
        # a number on the left keeps its place: 1 - x is not x - 1
        (1 - x, call("sub", Const(1.0), x)),
        (2 / x, call("div", Const(2.0), x)),
        (2**x, call("pow", Const(2.0), x)),
        (3 + x, call("add", Const(3.0), x)),
        (3 * x, call("mul", Const(3.0), x)),
        (x - 1, call("sub", x, Const(1.0))),
        # Python's own precedence decides the tree: -x**2 is -(x**2), x**y**z is x**(y**z)
        (-(x**2), call("neg", call("pow", x, Const(2.0)))),  # what Python makes of -x**2 too
        ((-x) ** 2, call("pow", call("neg", x), Const(2.0))),
        (x**y**z, call("pow", x, call("pow", y, z))),
        (x - y - z, call("sub", call("sub", x, y), z)),
        (x + y * z, call("add", x, call("mul", y, z))),
    ],
)
def test_python_operators_build_the_tree_python_parses(built: Expr, expected: Expr) -> None:
    assert built == expected


def test_as_expr_turns_numbers_into_float_constants_and_refuses_the_rest() -> None:
    assert as_expr(2) == Const(2.0) and isinstance(as_expr(2).value, float)  # type: ignore[attr-defined]
    assert as_expr(np.int64(7)) == Const(7.0)
    assert as_expr(np.float32(0.5)) == Const(0.5)
    assert as_expr(True) == Const(1.0) and as_expr(np.bool_(False)) == Const(0.0)
    assert as_expr(x) is x
    for bad in ("x", None, [1.0], np.array([1.0, 2.0])):
        with pytest.raises(TypeError, match="cannot use"):
            as_expr(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        x + "1"  # type: ignore[operator]


def test_an_unknown_operation_is_refused_when_the_node_is_made() -> None:
    with pytest.raises(ValueError, match="unknown operation 'log'"):
        Call("log", (x,))


def test_columns_step_back_and_pin_rows() -> None:
    c = Col("software")
    assert c.lag == 0 and c.prev == Col("software", 1) and c.prev.prev.lag == 2
    assert c.prev.name == "software"
    assert c.at(3) == Cell("software", 3) and c.prev.at(3) == Cell("software", 3)


def test_nodes_are_values_equal_by_content_and_hashable() -> None:
    assert Name("x") == Name("x") and Name("x") != Name("y")
    assert Col("a") != Col("a", 1) and Col("a") != Name("a")
    assert len({x + 1, x + 1, x + 2}) == 2
    with pytest.raises(AttributeError):
        x.name = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (ln(x), call("ln", x)),
        (log10(x), call("log10", x)),
        (log2(x), call("div", call("ln", x), call("ln", Const(2.0)))),
        (exp(x), call("exp", x)),
        (sqrt(x), call("sqrt", x)),
        (abs_(x), call("abs", x)),
        (int_(x), call("int", x)),
        (min_(x, 1, y), call("min", x, Const(1.0), y)),
        (max_(2, x), call("max", Const(2.0), x)),
        (power(2, x), call("pow", Const(2.0), x)),
        (if_(ge(x, 1), y, 0), call("if", call("ge", x, Const(1.0)), y, Const(0.0))),
        (iferror(x, -1), call("iferror", x, Const(-1.0))),
        (isnumber(x), call("isnumber", x)),
        (and_(gt(x, 0), lt(x, 1)), call("and", call("gt", x, Const(0.0)), call("lt", x, Const(1.0)))),
        (or_(le(x, 0), eq(x, 1)), call("or", call("le", x, Const(0.0)), call("eq", x, Const(1.0)))),
        (not_(x), call("not", x)),
        (na(), Call("na", ())),
        (norm_s_inv(x), call("norm_s_inv", x)),
        (match(1, Range("t", "c")), call("match", Const(1.0), Range("t", "c"))),
        (index(Range("t", "c"), x), call("index", Range("t", "c"), x)),
        (column_max(Range("t", "c")), call("range_max", Range("t", "c"))),
        (column_sum(Range("t", "c")), call("range_sum", Range("t", "c"))),
        (percentile(Range("t", "c"), 0.9), call("percentile", Range("t", "c"), Const(0.9))),
    ],
)
def test_functions_build_a_node_when_any_argument_is_an_expression(built: Expr, expected: Expr) -> None:
    assert built == expected


# --- walking --------------------------------------------------------------------


def test_walk_is_depth_first_preorder() -> None:
    tree = (x + Col("c").prev) * ln(y)
    assert list(tree.walk()) == [
        tree,
        call("add", x, Col("c", 1)),
        x,
        Col("c", 1),
        call("ln", y),
        y,
    ]
    assert list(x.walk()) == [x] and x.children() == ()


def test_walk_reaches_every_leaf_of_a_deep_tree() -> None:
    tree: Expr = Const(0.0)
    for i in range(200):
        tree = tree + Name(f"n{i}")
    leaves = [n for n in tree.walk() if not isinstance(n, Call)]
    assert len(leaves) == 201
    assert sum(isinstance(n, Call) for n in tree.walk()) == 200


def test_references_are_the_defined_names_read_and_nothing_else() -> None:
    expr = if_(ge(Col("a"), x), Cell("b", 0) + y, index(Range("t", "z"), x)) + 2
    assert references(expr) == {"x", "y"}
    assert references(Const(1.0) + Col("x")) == set()


# --- computing at once on plain numbers -----------------------------------------------


@pytest.mark.parametrize(
    ("computed", "expected"),
    [
        (ln(math.e**2), 2.0),
        (log10(1000.0), 3.0),
        (log2(8.0), 3.0),
        (exp(1.0), math.e),
        (sqrt(2.25), 1.5),
        (abs_(-4.0), 4.0),
        (int_(-2.5), -3.0),  # Excel's INT rounds down, not towards zero
        (int_(2.5), 2.0),
        (min_(3.0, -1.0, 2.0), -1.0),
        (max_(3.0, -1.0, 2.0), 3.0),
        (power(2.0, 10.0), 1024.0),
        (if_(1.0, 2.0, 3.0), 2.0),
        (if_(0.0, 2.0, 3.0), 3.0),
        (iferror(math.inf, 7.0), 7.0),
        (iferror(5.0, 7.0), 5.0),
        (isnumber(1.0), 1.0),
        (ge(2.0, 2.0), 1.0),
        (gt(2.0, 2.0), 0.0),
        (and_(1.0, 0.0), 0.0),
        (or_(1.0, 0.0), 1.0),
        (not_(0.0), 1.0),
        (norm_s_inv(0.975), 1.959963984540054),  # the 97.5% normal quantile
    ],
)
def test_functions_compute_at_once_on_plain_numbers(computed: float, expected: float) -> None:
    assert isinstance(computed, float)
    assert computed == pytest.approx(expected, rel=1e-14)


def test_functions_map_over_arrays_and_keep_errors_quiet() -> None:
    out = ln(np.array([1.0, math.e, 0.0, -1.0]))
    assert isinstance(out, np.ndarray)
    assert out[:2] == pytest.approx([0.0, 1.0])
    assert out[2] == -math.inf and math.isnan(out[3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's divide/invalid warnings are silenced
        assert math.isnan(sqrt(-1.0)) and math.isnan(norm_s_inv(1.5))
    # an error operand is an error, even where a plain max would pick the other one
    assert math.isnan(max_(np.nan, 5.0))
