"""Property: whatever a person types into an input cell, ``pysie import`` either
accepts it with the right value (exit 0) or refuses it naming the parameter
(exit 2); never a traceback. No formula is edited, so nothing is recalculated."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pysie.cli import main
from pysie.models.retraining import MODEL
from tests.editing import digest, set_cell_xml

PARAMETERS = [p.name for p in MODEL.parameters]

values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e3, max_value=1e3),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1.0, 200.0, 1e29]),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["1.5", " 2 ", "inf", "-inf", "nan", "1e400", "#DIV/0!", "=1+"]),
    st.none(),
    st.booleans(),
)


def cell_xml(value: Any) -> tuple[str, str]:
    """(inner XML, attributes) of a cell holding ``value``, as openpyxl writes it
    (a non-finite float becomes an empty number, which Excel shows as blank)."""
    if value is None:
        return "", ""
    if isinstance(value, bool):
        return f"<v>{int(value)}</v>", ' t="b"'
    if isinstance(value, (int, float)):
        return ("<v/>" if not math.isfinite(value) else f"<v>{value!r}</v>"), ' t="n"'
    return f'<is><t xml:space="preserve">{escape(value)}</t></is>', ' t="inlineStr"'


def acceptable(name: str, value: Any) -> float | None:
    """The value a correct import must read, judged without pysie's validator:
    a finite real number (or text spelling one) inside the bounds."""
    p = MODEL.parameter(name)
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or (p.integer and number != int(number)):
        return None
    if p.lower is not None and (number < p.lower or (p.lower_open and number == p.lower)):
        return None
    if p.upper is not None and (number > p.upper or (p.upper_open and number == p.upper)):
        return None
    return number


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, short_retraining_book: Path) -> Path:
    return short_retraining_book


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(name=st.sampled_from(PARAMETERS), value=values)
def test_any_input_value_imports_or_is_refused_by_name(
    pristine: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, value: Any
) -> None:
    book = tmp_path / "typed.xlsx"
    shutil.copyfile(pristine, book)
    from pysie.excel.layout import Layout

    sheet, cell = Layout.of(MODEL, MODEL.resolve("note-default", {"horizon_days": 200})).named[name]
    inner, attrs = cell_xml(value)
    set_cell_xml(book, sheet, cell, inner, attrs)
    before = digest(book)
    status = main(["import", str(book), "--json"])
    out, err = capsys.readouterr()
    assert digest(book) == before
    expected = acceptable(name, value)
    if expected is None:
        assert status == 2, (name, value, out)
        assert err.count("\n") == 1 and name in json.loads(err)["error"], err  # --json: the error as JSON
    else:
        assert status == 0, (name, value, err)
        assert json.loads(out)["inputs"][name] == expected
