"""Columns that exist for one value of a structural parameter (``Column.when``,
``Model.shaped``), on a toy model: each shape's columns in the solution and the
layout, against formulas and sums written here; declarations that cannot work
are refused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pysie.excel.layout import Layout
from pysie.expr import Col, Const, Name, column_max
from pysie.solver import solve
from pysie.spec import Column, Model, Parameter, Scalar, Table


def toy(rule_structural: bool = True, twice: bool = False) -> Model:
    """x doubles each row; y is x + 1 (rule 0) or x + d with the helper d = 10 x (rule 1)."""
    x = Col("x")
    columns = (
        Column("x", Const(1.0), x.prev * 2, "", "x"),
        Column.every_row("d", 10 * x, "", "helper of rule 1") if not twice else Column.every_row("y", x, "", "y"),
        Column.every_row("y", x + 1, "", "y by rule 0"),
        Column.every_row("y", x + Col("d"), "", "y by rule 1"),
    )
    when = {1: ("rule", 1.0), 2: ("rule", 0.0), 3: ("rule", 1.0)}
    table = Table("t", "T", "rows", tuple(replace(c, when=when.get(i)) for i, c in enumerate(columns)), 4)
    return Model(
        "toy",
        "Toy",
        "",
        (),
        (
            Parameter(
                "rule", 0, "switch", "which y", "typed in", lower=0, upper=1, integer=True, structural=rule_structural
            ),
        ),
        (),
        (table,),
        (Scalar("top", column_max(table.range("y")) + 0 * Name("rule"), "", "largest y"),),
    ).validate()


def test_each_shape_has_its_own_columns_and_rule() -> None:
    model = toy()
    x = 2.0 ** np.arange(4)
    for rule, names, y in ((0, ["x", "y"], x + 1), (1, ["x", "d", "y"], 11 * x)):
        solution = solve(model, {"rule": rule})
        assert list(solution.tables["t"]) == names
        assert np.array_equal(solution.tables["t"]["y"][:, 0], y)
        assert solution.value("top") == y.max()
        assert list(Layout.of(model, {"rule": rule}).table_letters["t"]) == names


def test_a_model_of_one_shape_is_itself() -> None:
    model = toy()
    assert model.shaped({"rule": 1}) is model.shaped({"rule": 1.0})
    shaped = model.shaped({"rule": 0})
    assert shaped.shape_parameters() == () and shaped.shaped({}) is shaped


def test_a_when_on_an_input_that_is_not_structural_is_refused() -> None:
    with pytest.raises(ValueError, match="'rule', which is not a structural parameter"):
        toy(rule_structural=False)


def test_a_name_twice_in_one_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        toy(twice=True)
