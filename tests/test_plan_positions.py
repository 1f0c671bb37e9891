"""Check and import plan a workbook without its Uncertainty snapshot numbers
(``solve_workbook(..., snapshot_numbers=False)``): the plan must own exactly the
cells the written plan owns, or import would report pysie's own grey cells as a
person's additions and check would miscount the cells it does not compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysie.excel.plan import WorkbookPlan, plan_workbook, solve_workbook
from pysie.excel.writer import write_plan
from pysie.models import MODELS
from tests.conftest import COARSE, SHORT, SMALL

#: Small versions of each model's workbook (the cells' places do not depend on the size).
SMALLER = {"retraining": SHORT, "overhang": COARSE, "milestone-takeoff": SMALL}


def _plans(name: str) -> tuple[WorkbookPlan, WorkbookPlan]:
    model = MODELS[name]
    values = model.resolve(None, SMALLER.get(name))
    full = plan_workbook(model, solve_workbook(model, values))
    positions = plan_workbook(model, solve_workbook(model, values, snapshot_numbers=False))
    return full, positions


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_plan_without_numbers_owns_the_same_cells(name: str) -> None:
    full, positions = _plans(name)
    full_cells, position_cells = full.owned(), positions.owned()
    assert position_cells.keys() == full_cells.keys()
    assert [(c.sheet, c.cell) for c in positions.snapshot_cells()] == [(c.sheet, c.cell) for c in full.snapshot_cells()]
    owned = {k for k, c in full_cells.items() if c.content not in ("", None)}
    assert {k for k, c in position_cells.items() if c.content not in ("", None)} == owned
    snapshots = set(positions.snapshot_sheets())
    for key, cell in full_cells.items():
        other = position_cells[key]
        if cell.sheet in snapshots and cell.sheet == "Uncertainty":
            continue  # its numbers, their formats and the tornado's order are what was left out
        assert (other.kind, other.content, other.number_format) == (cell.kind, cell.content, cell.number_format), key


def test_the_numbers_are_really_left_out() -> None:
    """The deliberate break of the comparison above: a plan without numbers differs
    from the written one in its snapshot cells (else the test above proves nothing)."""
    full, positions = _plans("retraining")
    position_cells = positions.owned()
    differ = [
        c for c in full.snapshot_cells() if c.kind == "value" and c.content != position_cells[(c.sheet, c.cell)].content
    ]
    assert differ


def test_a_plan_without_numbers_is_never_written(tmp_path: Path) -> None:
    _, positions = _plans("retraining")
    with pytest.raises(ValueError, match="no snapshot numbers"):
        write_plan(positions, tmp_path / "book.xlsx")
    assert not list(tmp_path.iterdir())
