"""Every template's workbook in a real spreadsheet application: LibreOffice
agrees with the solver to 1e-12, every function is spelled so Excel and
LibreOffice know it, and no cell shows an error the model does not mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysie.compare import compare_values, evaluation_order, expected_values, workbook_plan
from pysie.excel.cache import read_cached_values
from pysie.excel.compat import describe, formula_problems, unexpected_errors, workbook_path_problems
from tests.conftest import CommittedInLibreOffice, template_names

#: The tolerance LibreOffice is held to (it computes in the same doubles).
RTOL = 1e-12
#: NORM.S.INV near u = 0.5 is ill-conditioned in relative terms (z ~ 5e-5 from
#: u ~ 0.50002 magnifies one ulp of u, 1.1e-16, to 2e-12 of z): LibreOffice's
#: and scipy's results differ by that one absolute ulp there.
ATOL = 1e-15


@pytest.mark.libreoffice
@pytest.mark.parametrize("template", template_names())
def test_libreoffice_agrees_with_the_solver_and_shows_no_unexpected_error(
    template: str, template_books: dict[str, Path], committed_in_libreoffice: CommittedInLibreOffice
) -> None:
    """One LibreOffice recalculation per workbook (shared with
    tests/test_render.py), two claims: every formula cell agrees with the
    solver (what ``pysie check --engine libreoffice`` compares: the cached
    values LibreOffice saved in its formula cells), and no cell is an error
    the solver does not have there (#NAME? for a function LibreOffice does
    not know, #VALUE!, #REF!...)."""
    path = template_books[template]
    plan = workbook_plan(path)
    expected = expected_values(plan)
    saved = read_cached_values(committed_in_libreoffice.recalculated(template))
    found = {(c.sheet, c.cell): saved.get((c.sheet, c.cell)) for c in plan.formula_cells()}
    differences = compare_values(expected, found, RTOL, ATOL, evaluation_order(plan.layout))
    assert expected and not differences, [d.describe() for d in differences[:10]]
    problems = unexpected_errors(found, {key: value for key, (_, _, value) in expected.items()})
    assert not problems, describe(problems)


@pytest.mark.parametrize("template", template_names())
def test_every_function_is_spelled_for_every_engine(template: str, template_books: dict[str, Path]) -> None:
    problems = workbook_path_problems(template_books[template])
    assert not problems, describe(problems)


@pytest.mark.parametrize(
    "formula, wrong",
    [
        ("=NORM.S.INV(0.3)", "_xlfn."),
        ("=1+STDEV.S(A1:A3)", "_xlfn."),
        ("=_xlfn.NORM.S.INV(0.3)", None),
        ('=IF(A1>0,"PERCENTILE.INC(",2)', None),  # inside a string: not a call
        ("='IFS(x'!A1+IFS(A1,1)", "_xlfn."),
        ("=_xlfn.XLOOKUP(A1,B:B,C:C)", "refused"),
        ("=OFFSET(A1,1,0)", "refused"),
        ("=LN(A1)+MATCH(1,A1:A9,0)", None),
    ],
)
def test_the_spelling_check_can_fail(formula: str, wrong: str | None) -> None:
    problems = formula_problems(formula)
    if wrong is None:
        assert problems == []
    else:
        assert problems and wrong in problems[0]


def test_the_error_check_can_fail() -> None:
    expected = {("S", "A1"): float("nan"), ("S", "A2"): 1.0, ("S", "A3"): float("nan")}
    assert unexpected_errors({("S", "A1"): "#NUM!", ("S", "A2"): 1.0, ("S", "A3"): "#N/A"}, expected) == []
    found = {("S", "A1"): "#NAME?", ("S", "A2"): "#DIV/0!", ("S", "A3"): "#REF!"}
    assert [p.cell for p in unexpected_errors(found, expected)] == ["A1", "A2", "A3"]
