"""The fast row loops (pysie.fastpath) against the reference loop: every model,
every preset, random in-bounds parameters, one scenario (Python floats) and
many (numpy arrays); and the float primitives against the numpy primitives on
special values (errors in the same places)."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pysie import fastpath
from pysie.expr import Call, Col, Const, Expr, Name
from pysie.models import MODELS
from pysie.primitives import PRIMITIVES
from pysie.solver import Solution, iter_solutions, solve, solve_scalars
from pysie.spec import Column, DataSource, InputError, Model, Parameter, Table, data_column

CASES = [(m, p) for m, model in MODELS.items() for p in (None, *model.presets)]


#: Milestone-takeoff with 400 Monte Carlo samples instead of its 5,000 in these comparisons:
#: the reference loop solves every sample through the same formulas, so more samples
#: cost time without testing other operations (400 still hold zero SC->SAR gaps and both tails).
SHAPES: dict[str, dict[str, float]] = {"milestone-takeoff": {"samples": 400}}


def _resolve(model: Model, preset: str | None = None, values: dict[str, object] | None = None) -> dict[str, float]:
    """``model.resolve`` with the model's :data:`SHAPES` (``values`` win)."""
    return model.resolve(preset, {**SHAPES.get(model.name, {}), **(values or {})})


#: The compiled loop's tolerance. Its LN, EXP and ^ are the C library's, while numpy's
#: reference uses its own SIMD versions where the CPU has them (AVX-512 here), which
#: differ in the last bit for about 5% of arguments of EXP and ^. Hundreds of rows of
#: compounding growth and differences of nearby values (a pace, an error in days) turn
#: that bit into up to 1.5e-10 relative (300 retraining scenarios) or 1.1e-13 days
#: absolute. The deliberate break below (LN off by 1e-9) is still caught.
JIT_TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}


def mismatches(
    fast: dict[str, np.ndarray], reference: dict[str, np.ndarray], where: str, rtol: float = 1e-12, atol: float = 0.0
) -> list[str]:
    """Names whose arrays differ: errors (NaN) in other places, or a finite
    value more than ``atol + rtol * |reference|`` away (1e-12 relative unless told)."""
    found = []
    for name, expected in reference.items():
        got = fast[name]
        if got.shape != expected.shape:
            found.append(f"{where}{name}: shape {got.shape} != {expected.shape}")
            continue
        if not np.array_equal(np.isnan(got), np.isnan(expected)):
            found.append(f"{where}{name}: errors in other places")
            continue
        ok = ~np.isnan(expected)
        if not np.allclose(got[ok], expected[ok], rtol=rtol, atol=atol):
            found.append(f"{where}{name}: values differ")
    return found


def compare(fast: Solution, reference: Solution, rtol: float = 1e-12, atol: float = 0.0) -> list[str]:
    found = mismatches(fast.values, reference.values, "", rtol, atol)
    for table, columns in reference.tables.items():
        found += mismatches(fast.tables[table], columns, f"{table}.", rtol, atol)
    return found


@contextmanager
def _ln_off(monkeypatch: pytest.MonkeyPatch, module: Any, compiled: Any, part: str) -> Iterator[None]:
    """``module``'s inlined LN off by one part in ``1 / part`` (``part`` as written in the
    generated code), its generated code (``compiled``) made anew before and after."""
    inline = module._inline_scalar

    def wrong(op: str, a: list[str]) -> str | None:
        return f"(_log({a[0]}) * (1 + {part}))" if op == "ln" else inline(op, a)

    monkeypatch.setattr(module, "_inline_scalar", wrong)
    compiled.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        compiled.cache_clear()


def stack(model: Model, scenarios: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """One array per parameter, scenario k at position k."""
    return {p.name: np.array([s[p.name] for s in scenarios]) for p in model.parameters}


def scenario(solution: Solution, k: int) -> Solution:
    """Scenario ``k`` of ``solution`` alone, in the shapes a one-scenario solve has:
    the reference loop is elementwise over scenarios, so this is what it computes
    for that scenario by itself (within the comparison's tolerance)."""
    return Solution(
        solution.model,
        {name: v[k : k + 1] for name, v in solution.values.items()},
        {t: {c: v[:, k : k + 1] for c, v in columns.items()} for t, columns in solution.tables.items()},
        1,
    )


@cache
def presets_reference(model_name: str) -> Solution:
    """The reference loop over the defaults and every preset of a model at once
    (scenario k: ``PRESETS[model_name][k]``), solved once per test process."""
    model = MODELS[model_name]
    return solve(model, stack(model, [_resolve(model, q) for q in PRESETS[model_name]]), reference=True)


PRESETS: dict[str, list[str | None]] = {m: [None, *model.presets] for m, model in MODELS.items()}


@pytest.mark.parametrize(("model_name", "preset"), CASES)
def test_one_scenario_same_as_reference(model_name: str, preset: str | None) -> None:
    model = MODELS[model_name]
    reference = scenario(presets_reference(model_name), PRESETS[model_name].index(preset))
    assert compare(solve(model, _resolve(model, preset)), reference) == []


def _random_scenarios(model: Model, n: int, seed: int) -> Iterator[dict[str, float]]:
    """In-bounds parameters: each non-structural one log-uniform within a factor
    10 of its default (uniform over its bounds where the default is 0 or
    negative), clipped to its bounds; scenarios the model refuses are skipped."""
    rng = np.random.default_rng(seed)
    made = 0
    for _ in range(20 * n):
        values: dict[str, object] = {}
        for p in model.parameters:
            if p.structural:
                continue
            lo = -1e3 if p.lower is None else p.lower
            hi = 1e3 if p.upper is None else p.upper
            spread = math.exp(rng.uniform(-math.log(10), math.log(10)))
            x = p.default * spread if p.default > 0 else rng.uniform(lo, hi)
            x = min(max(x, lo), hi)
            if p.integer:
                x = float(round(x))
            values[p.name] = x
        try:
            resolved = _resolve(model, None, values)
        except InputError:
            continue
        yield resolved
        made += 1
        if made == n:
            return


@pytest.mark.parametrize("model_name", list(MODELS))
def test_random_parameters_same_as_reference(model_name: str) -> None:
    model = MODELS[model_name]
    scenarios = list(_random_scenarios(model, 24, seed=len(model_name)))
    assert len(scenarios) >= 12
    reference = solve(model, stack(model, scenarios), reference=True)
    assert compare(solve(model, stack(model, scenarios)), reference) == []  # numpy arrays
    for k, s in enumerate(scenarios[:3]):  # Python floats
        assert compare(solve(model, s), scenario(reference, k)) == []


@pytest.mark.parametrize("model_name", list(MODELS))
def test_bounds_corners_same_as_reference(model_name: str) -> None:
    """Every parameter at its lower and at its upper bound in turn, the others
    at their defaults: overflows and errors are where the reference has them."""
    model = MODELS[model_name]
    scenarios = []
    for p in model.parameters:
        if p.structural:
            continue
        for bound, is_open, inwards in ((p.lower, p.lower_open, 1), (p.upper, p.upper_open, -1)):
            if bound is None:
                continue
            x = bound + inwards * max(abs(bound), 1) * 1e-9 if is_open else bound
            try:
                scenarios.append(_resolve(model, None, {p.name: x}))
            except InputError:
                continue
    stacked = stack(model, scenarios)
    fast, reference = solve(model, stacked), solve(model, stacked, reference=True)
    assert compare(fast, reference) == []
    if model_name != "software-explosion":  # its rules keep every value finite at the bounds
        assert any(np.isnan(v).any() for v in reference.values.values())  # the corners do reach errors


def test_presets_stacked_same_as_reference() -> None:
    for name, model in MODELS.items():
        stacked = stack(model, [_resolve(model, q) for q in PRESETS[name]])
        assert compare(solve(model, stacked), presets_reference(name)) == []


def test_results_only_and_streamed_solutions_same_as_reference() -> None:
    model = MODELS["retraining"]
    values = dict(model.resolve("note-default"))
    values["research_returns"] = np.linspace(0.8, 3.0, 37)  # r <= 1 never reaches infinity: errors
    reference = solve(model, values, reference=True)
    assert mismatches(solve_scalars(model, values, chunk=10), reference.values, "") == []
    pieces = list(iter_solutions(model, values, chunk=16))
    assert [p.scenarios for p in pieces] == [16, 16, 5]
    for table, columns in reference.tables.items():
        joined = {c: np.concatenate([p.tables[table][c] for p in pieces], axis=1) for c in columns}
        assert mismatches(joined, columns, f"{table}.") == []
    # reused arrays: each piece is right while it is the current one
    for k, piece in enumerate(iter_solutions(model, values, chunk=16, reuse=True)):
        part = slice(16 * k, 16 * k + piece.scenarios)
        for table, columns in reference.tables.items():
            assert mismatches(piece.tables[table], {c: v[:, part] for c, v in columns.items()}, f"{table}.") == []


def test_trajectories_store_errors_as_nan() -> None:
    model = MODELS["retraining"]
    solution = solve(model, model.resolve("note-default", {"research_returns": 20}))
    for columns in solution.tables.values():
        for values in columns.values():
            assert not np.isinf(values).any()


@contextmanager
def _regenerated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fast loop's generated code made anew under what the block patches, and again after
    the patches are undone."""
    fastpath._compiled.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        fastpath._compiled.cache_clear()


def _results_equal_the_reference(settings: list[dict[str, int]]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """300 software-explosion runs of each rule setting: results only are the reference loop's
    bit for bit; returns the last setting's (parameters, reference results)."""
    from pysie.models import software_explosion as se
    from tests.test_settle import draws

    for setting in settings:
        values = {k: v[:300] for k, v in draws(setting).items()}
        expected = solve(se.RUN, values, reference=True).values
        assert _same_bits(solve_scalars(se.RUN, values, chunk=128), expected, "") == [], setting
    return values, expected


def test_a_wrong_fast_primitive_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a float ^ off by one part in 1e9."""
    model = MODELS["retraining"]
    values = model.resolve("note-default")
    monkeypatch.setitem(fastpath._SCALAR, "pow", lambda a, b: fastpath.s_pow(a, b) * (1 + 1e-9))
    with _regenerated(monkeypatch):
        assert compare(solve(model, values), solve(model, values, reference=True)) != []


def test_a_wrong_inlined_operation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail for the operations written inline (no call):
    an LN off by one part in 1e9."""
    model = MODELS["retraining"]
    values = model.resolve("note-default")
    with _ln_off(monkeypatch, fastpath, fastpath._compiled, "1e-9"):
        assert compare(solve(model, values), solve(model, values, reference=True)) != []


def test_index_of_a_stored_column_same_as_primitive() -> None:
    """INDEX over a table column (scenarios, rows), as the fast loops read it:
    the same row for every scenario, a row each, errors and positions outside
    the column, per row of a whole-column table; and a column stored in a
    wider buffer (a view whose rows are not contiguous)."""
    rng = np.random.default_rng(5)
    stored = rng.normal(size=(7, 5))
    stored[2, 1] = math.nan
    wide = np.zeros((7, 9))
    wide[:, :5] = stored
    positions = [
        np.full(5, 3.0),
        np.full(5, 7.9),
        np.array([1.0, 2.5, 7.0, 3.0, 4.0]),
        np.array([0.0, 8.0, math.nan, math.inf, -math.inf]),
        np.full(5, 8.0),
        np.tile(np.arange(1.0, 8.0)[:, None], (1, 5)),
        np.arange(1.0, 8.0)[:, None] + np.array([0.0, 1.0, 2.0, 0.5, -1.0]),
    ]
    index = PRIMITIVES["index"].numpy
    for column in (stored.T, wide[:, :5].T):
        for k in positions:
            expected, got = index(column, k), fastpath._index_row(column, k)
            assert got.shape == expected.shape
            assert np.array_equal(got, expected, equal_nan=True)
    wrong = fastpath._index_row(stored.T, np.full(5, 3.0)) + 1e-9  # the comparison can fail
    assert not np.array_equal(wrong, index(stored.T, np.full(5, 3.0)))


def test_index_of_a_position_the_same_in_every_scenario() -> None:
    """INDEX at a k read from stored-value columns and constants (the same in every scenario):
    the primitive's cells, for valid k, k past either end, NaN and the infinities; the windows'
    generated loop uses it for ``row + 1 + K``; a k of another kind is not taken for one."""
    rng = np.random.default_rng(6)
    stored = rng.normal(size=(7, 5))
    stored[2, 1] = math.nan
    wide = np.zeros((7, 9))
    wide[:, :5] = stored
    index = PRIMITIVES["index"].numpy
    for column in (stored.T, wide[:, :5].T):
        for k in (1.0, 3.0, 3.7, 7.0, 7.9, 8.0, 0.0, 0.99, -2.0, math.nan, math.inf, -math.inf):
            expected, got = index(column, np.full(5, k)), fastpath._index_uniform(column, np.full(5, k))
            assert got.shape == expected.shape and np.array_equal(got, expected, equal_nan=True), k
        expected, got = index(column, np.full(5, 3.0)), fastpath._index_uniform(column, np.full(1, 3.0))
        assert np.array_equal(got, expected, equal_nan=True)  # k given once for every scenario
        got = fastpath._index_uniform(column, np.full(1, 9.0))  # past the end: #REF! in every scenario
        assert got.shape == (5,) and np.isnan(got).all()
    wrong = fastpath._index_uniform(stored.T, np.full(5, 4.0))  # the comparison can fail
    assert not np.array_equal(wrong, index(stored.T, np.full(5, 3.0)), equal_nan=True)
    from pysie import fold
    from pysie.models import software_explosion as se

    held = {name: np.full(2, float(v[0])) for name, v in solve(se.RUN, se.RUN.defaults()).values.items()}
    source = fastpath.table_source(fold.specialise(se.WINDOWS, held))  # K held: a constant, as in a Monte Carlo
    assert "_index_uniform(r_steps__months" in source and "_index_uniform(r_steps__recorded" in source
    assert "_index_row(" not in source
    assert "_index_row(r_steps__months" in fastpath.table_source(se.WINDOWS)  # K a name: may differ by scenario


def test_values_the_same_in_every_scenario_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results only: the step counter is the same in every scenario, and so are the windows'
    rows and steps (read from it); what is computed from them alone is computed for one
    scenario and an IF on it picks its branch in Python. Results are the reference's bit for
    bit in every rule setting; a column wrongly taken for one the same everywhere is caught."""
    from pysie.models import software_explosion as se
    from tests.test_settle import SETTINGS

    assert fastpath.same_columns(se.STEPS) == {"step"}
    assert fastpath.same_columns(se.WINDOWS) == {"row"}  # its step reads another table's column
    assert fastpath.same_columns(se.WINDOWS, frozenset({("steps", "step")})) == {"row", "step"}
    from pysie import fold

    held = {name: np.full(2, float(v[0])) for name, v in solve(se.RUN, se.RUN.defaults()).values.items()}
    windows = fold.specialise(se.WINDOWS, held)  # K held: a constant, as in a Monte Carlo
    source = fastpath._compiled(windows, False, frozenset(), frozenset({("steps", "step")}))[1]
    assert "_index_uniform(r_steps__step, v" in source and "[0] == 0:" in source  # step + K <= rows: in Python
    values, expected = _results_equal_the_reference(SETTINGS)
    same = fastpath.same_columns

    def wrongly(table: Table, ranges: frozenset[tuple[str, str]] = frozenset()) -> frozenset[str]:
        return same(table, ranges) | ({"months"} if table.name == "steps" else set())

    monkeypatch.setattr(fastpath, "same_columns", wrongly)
    with _regenerated(monkeypatch):
        assert _same_bits(solve_scalars(se.RUN, values, chunk=128), expected, "") != []


def test_columns_read_only_at_their_last_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results only: a run's years and steps are read only at the last row (its final state),
    so they are stored for two rows, settled runs' last rows filled in; results are the
    reference's bit for bit; a column wrongly taken for one read only there is caught."""
    from pysie.models import software_explosion as se
    from tests.test_settle import SETTINGS

    last = float(se.ROWS)
    assert fastpath.fixed_row_reads(se.RUN)["steps"] == {"years": {last}, "steps_done": {last}}
    assert fastpath.fixed_row_reads(se.RUN)["windows"] == {}  # read through MATCH over every row
    values, expected = _results_equal_the_reference(SETTINGS[:4])
    reads = fastpath.fixed_row_reads(se.RUN)
    wrong = {**reads, "steps": {**reads["steps"], "months": frozenset({last})}}  # the windows read every row
    monkeypatch.setattr(fastpath, "fixed_row_reads", lambda model: wrong)
    assert _same_bits(solve_scalars(se.RUN, values, chunk=128), expected, "") != []


def test_columns_read_only_as_some_row_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Results only: the windows' hits are read only as ISNUMBER(MATCH(1, range)), so the row
    loop keeps whether some row is 1 instead of every row; results are the reference's bit for
    bit; with the values of the four hits kept as one, results differ."""
    from pysie.models import software_explosion as se
    from tests.test_settle import SETTINGS

    hits = {name: frozenset({1.0}) for name, *_ in se.INDICATORS}
    assert fastpath.found_reads(se.RUN) == {"steps": {}, "windows": hits}
    values, expected = _results_equal_the_reference(SETTINGS[::3])
    # one kept value for every column (the keys lose the column): each hit reads whether any hits
    monkeypatch.setattr(fastpath, "found_key", lambda column, value: f"some column found {value!r}")
    with _regenerated(monkeypatch):
        assert _same_bits(solve_scalars(se.RUN, values, chunk=128), expected, "") != []


@pytest.mark.parametrize("share", [0.0, 0.1, 0.5, 0.74, 0.76, 1.0])
def test_masked_operations_where_taken(share: float) -> None:
    """An expensive operation computed only for the scenarios that take an IF
    branch: where they do, the same as on every element (gathered below 3/4)."""
    rng = np.random.default_rng(int(share * 100))
    for shape in ((400,), (6, 400)):
        x, y = rng.uniform(-3, 3, size=shape), rng.uniform(0.1, 3, size=shape)
        mask = rng.uniform(size=shape) < share
        for fn, args in ((np.log, (y,)), (np.exp, (x,)), (np.power, (y, x)), (np.power, (y, 1.5))):
            got = fastpath._masked(fn, mask, *args)
            assert np.array_equal(got[mask], fn(*args)[mask])
        names = rng.uniform(0.5, 2, size=400)  # a name broadcast over the rows of a whole-column table
        assert np.array_equal(fastpath._masked(np.power, mask, y, names)[mask], np.power(y, names)[mask])


def test_results_only_skips_tables_no_result_reads() -> None:
    """Retraining's chart data feeds the charts only: results need the three
    day-by-day tables, and solve_scalars gives the same results without it."""
    model = MODELS["retraining"]
    assert fastpath.needed_tables(model) == {"no_retraining", "continuous_retraining", "from_scratch"}
    values = dict(model.resolve("note-default"))
    values["initial_doubling_days"] = np.array([10.0, 35.0, 200.0])
    assert mismatches(solve_scalars(model, values), solve(model, values, reference=True).values, "") == []


# --- every operation on special values, through a generated table -----------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, 1e308, -1e308, 1e-308, math.inf, -math.inf, math.nan]
PAIRS = list(itertools.product(SPECIAL, SPECIAL))

a, b, p, k = Col("a"), Col("b"), Name("p"), Col("k")


def _ops(a: Expr, b: Expr, tag: str = "") -> dict[str, object]:
    """One column per operation and per form the fast loops treat specially (named with ``tag``)."""
    call = lambda op, *args: Call(op, tuple(args))  # noqa: E731
    exprs = {}
    for op in ("add", "sub", "mul", "div", "pow", "min", "max", "ge", "gt", "le", "lt", "eq", "ne", "and", "or"):
        exprs[f"{op}_ab"] = call(op, a, b)
        exprs[f"{op}_ap"] = call(op, a, p)
        exprs[f"{op}_pa"] = call(op, p, a)
    for op in ("neg", "ln", "log10", "exp", "sqrt", "abs", "int", "not", "isnumber", "iserror"):
        exprs[f"{op}_a"] = call(op, a)
    for const in (0.0, 2.0, 0.5):
        exprs[f"pow_a_{const}"] = call("pow", a, Const(const))
        exprs[f"pow_{const}_a"] = call("pow", Const(const), a)
        exprs[f"div_a_{const}"] = call("div", a, Const(const))
        exprs[f"ge_a_{const}"] = call("ge", a, Const(const))
    exprs["if_abp"] = call("if", a, b, p)
    exprs["if_ge_1_0"] = call("if", call("ge", a, b), Const(1), Const(0))
    exprs["if_a_1_0"] = call("if", a, Const(1), Const(0))
    exprs["if_isnumber"] = call("if", call("isnumber", a), b, p)
    exprs["if_flag"] = call("if", Col(f"lt_ap{tag}"), b, p)  # a comparison's 0/1 (or error) read as a condition
    exprs["if_then_flag"] = call("if", call("lt", a, p), Col(f"ge_ab{tag}"), Const(0))  # IF(c, flag, 0): an AND
    exprs["if_nested_flag"] = call("if", call("ge", b, p), call("if", call("lt", a, b), Const(1), Const(0)), Const(0))
    exprs["if_lt_branches"] = call("if", call("lt", a, p), call("ln", b), call("exp", b))
    exprs["iferror_ab"] = call("iferror", a, b)
    exprs["iferror_div"] = call("iferror", call("div", a, b), p)
    exprs["min3"] = call("min", a, b, p)
    exprs["shared"] = call("add", call("mul", a, b), call("div", call("mul", a, b), p))
    exprs["invariant"] = call("mul", a, call("ln", call("add", p, Const(1))))
    return {f"{name}{tag}": expr for name, expr in exprs.items()}


def _special_model(varying: bool = False) -> Model:
    operands = (Col("va"), Col("vb")) if varying else (a, b)
    first = [x for x, _ in PAIRS]
    second = [y for _, y in PAIRS]
    columns = (
        Column("k", Const(0), k.prev + 1, "", "row"),  # a previous-row reference: the rows are stepped
        data_column("a", DataSource(lambda _v, rows: first[:rows]), "", "first operand"),
        data_column("b", DataSource(lambda _v, rows: second[:rows]), "", "second operand"),
        # varying: the operands through IF(p, x, x), no longer the same in every scenario (p is a name), so the
        # operations run on whole arrays rather than once (stored values are the same in every scenario)
        Column.every_row("va", Call("if", (p, a, a)), "", "a, read as differing by scenario"),
        Column.every_row("vb", Call("if", (p, b, b)), "", "b, read as differing by scenario"),
        *(Column.every_row(name, expr, "", name) for name, expr in _ops(*operands).items()),  # type: ignore[arg-type]
        Column("lagged", Const(0), Call("add", (Col("a", 1), Call("mul", (k, b)))), "", "previous row"),
    )
    return Model(
        name="special",
        title="every operation on special values",
        summary="",
        sources=(),
        parameters=(Parameter("p", 2.0, "", "", ""),),
        derived=(),
        tables=(Table("t", "T", "", columns, rows_from=len(PAIRS)),),
        outputs=(),
    ).validate()


#: Values of the name ``p``: the solver refuses a non-finite parameter (as the
#: workbook's validation does), so infinities and errors reach the operations
#: through the stored columns a and b, which hold every special value.
P_VALUES = [2.0, 0.0, -1.0, 1e308, -1e308, 1e-308]


@pytest.mark.parametrize("p_value", P_VALUES)
@pytest.mark.parametrize("varying", [False, True])
def test_every_operation_on_special_values(p_value: float, varying: bool) -> None:
    model = _special_model(varying)
    assert set(PRIMITIVES) >= {c.next.op for c in model.tables[0].columns if isinstance(c.next, Call)}
    one = {"p": p_value}
    assert compare(solve(model, one), solve(model, one, reference=True)) == []  # floats
    many = {"p": np.array([p_value, 2.0, 0.5])}
    assert compare(solve(model, many), solve(model, many, reference=True)) == []  # arrays


# --- the optional compiled loop (numba), where it is installed ---------------------


@pytest.fixture
def jit_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loop on, with the kernels kept between runs of the suite in
    ``PYSIE_JIT_TEST_CACHE`` (default ``~/.cache/pysie/jit-tests``): compiling them
    takes about three minutes of CPU, so only a machine's first run pays it.
    Kernels are named by a hash of their source, so a changed kernel is compiled
    anew; numba checks its cached code against the kernel file. The kernels are
    the serial ones (parallel kernels take longer to compile): the parallel ones
    are compared with them bit for bit below."""
    pytest.importorskip("numba")
    monkeypatch.setenv("PYSIE_JIT", "1")
    monkeypatch.setenv("PYSIE_JIT_PARALLEL", "0")
    default = Path.home() / ".cache" / "pysie" / "jit-tests"
    monkeypatch.setenv("PYSIE_JIT_CACHE", os.environ.get("PYSIE_JIT_TEST_CACHE") or str(default))


@pytest.mark.usefixtures("jit_on")
@pytest.mark.parametrize("model_name", list(MODELS))
def test_compiled_loop_same_as_reference(model_name: str) -> None:
    model = MODELS[model_name]
    scenarios = list(_random_scenarios(model, 16, seed=1 + len(model_name)))
    scenarios += [_resolve(model, q) for q in model.presets]
    stacked = stack(model, scenarios)
    reference = solve(model, stacked, reference=True)
    assert compare(solve(model, stacked), reference, **JIT_TOLERANCE) == []
    assert mismatches(solve_scalars(model, stacked, chunk=7), reference.values, "", **JIT_TOLERANCE) == []


@pytest.mark.usefixtures("jit_on")
def test_compiled_loop_on_special_values() -> None:
    from pysie import jit

    model = _special_model()
    assert jit.compiled(model.tables[0]) is not None  # every operation of the table compiles
    many = {"p": np.array(P_VALUES)}
    assert compare(solve(model, many), solve(model, many, reference=True), **JIT_TOLERANCE) == []


def _retraining_scenarios(n: int, seed: int) -> dict[str, np.ndarray]:
    """Many retraining scenarios, some of which reach errors: research returns
    from 0.5 (never reaches infinity: every "days to" result an error) to 6,
    doubling times from 1 to 400 days, retraining shares and upgrade factors
    over their ranges."""
    model = MODELS["retraining"]
    rng = np.random.default_rng(seed)
    values = dict(model.resolve("note-default"))
    values["research_returns"] = rng.uniform(0.5, 6.0, n)
    values["initial_doubling_days"] = np.exp(rng.uniform(math.log(1.0), math.log(400.0), n))
    values["retraining_share"] = rng.uniform(0.01, 0.99, n)
    values["upgrade_factor"] = np.exp(rng.uniform(math.log(1.05), math.log(100.0), n))
    return values


@pytest.mark.usefixtures("jit_on")
def test_compiled_loop_many_retraining_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 scenarios through every mode of the compiled loop (full
    trajectories, results only, streamed into reused arrays, one scenario)
    against the reference: values within JIT_TOLERANCE and errors (NaN) in the same
    places, including scenarios that never reach infinity."""
    from pysie import jit

    model = MODELS["retraining"]
    values = _retraining_scenarios(300, seed=11)
    ran: dict[str, bool] = {}
    runner = jit.runner

    def spy(table: Table, ring: frozenset[str]) -> object:
        found = runner(table, ring)
        ran[table.name] = found is not None
        return found

    monkeypatch.setattr(jit, "runner", spy)
    reference = solve(model, values, reference=True)
    assert any(np.isnan(v).any() for v in reference.values.values())  # errors are reached
    assert compare(solve(model, values), reference, **JIT_TOLERANCE) == []
    assert ran == {t.name: True for t in model.tables}  # every table ran compiled, not in the numpy loop
    assert mismatches(solve_scalars(model, values, chunk=128), reference.values, "", **JIT_TOLERANCE) == []
    for k, piece in enumerate(iter_solutions(model, values, chunk=128, reuse=True)):
        part = slice(128 * k, 128 * k + piece.scenarios)
        for table, columns in reference.tables.items():
            assert (
                mismatches(
                    piece.tables[table], {c: v[:, part] for c, v in columns.items()}, f"{table}.", **JIT_TOLERANCE
                )
                == []
            )
    for i in (0, 1, 2):
        one = {name: (v[i] if np.ndim(v) else v) for name, v in values.items()}
        assert compare(solve(model, one), solve(model, one, reference=True), **JIT_TOLERANCE) == []


@pytest.mark.usefixtures("jit_on")
def test_compiled_trajectories_store_errors_as_nan() -> None:
    model = MODELS["retraining"]
    values = _retraining_scenarios(40, seed=3)
    values["research_returns"][:5] = 20.0  # effective FLOP held at its cap, software infinite at once
    for columns in solve(model, values).tables.values():
        for column in columns.values():
            assert not np.isinf(column).any()


@pytest.mark.usefixtures("jit_on")
def test_a_wrong_compiled_operation_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail for the compiled loop: its LN off by one part in 1e9."""
    from pysie import jit

    model = MODELS["retraining"]
    values = _retraining_scenarios(20, seed=5)
    with _ln_off(monkeypatch, jit, jit.compiled, "1e-9"):
        assert compare(solve(model, values), solve(model, values, reference=True), **JIT_TOLERANCE) != []


def test_isnumber_of_match_without_the_position() -> None:
    """ISNUMBER(MATCH(v, range, 0)) as the solver evaluates it (found or not, no first position):
    the primitives' ISNUMBER of MATCH for values found, not found, NaN and inf, a value per
    scenario or one for all; a deliberate break (a found value missed) is seen."""
    from pysie.primitives import matched

    rng = np.random.default_rng(9)
    stored = np.where(rng.random((40, 12)) < 0.1, rng.integers(1, 4, (40, 12)).astype(float), 0.0)
    stored[3, 2], stored[5, 4] = math.nan, math.inf
    column = stored.T  # (scenarios, rows), as a result reads a table column
    isnumber, match = PRIMITIVES["isnumber"].numpy, PRIMITIVES["match"].numpy
    values = [np.arange(12.0) % 4, np.full(12, math.nan), np.full(12, math.inf), np.array(1.0), np.array(7.0)]
    for value in values:
        expected, got = isnumber(match(value, column)), matched(value, column)
        assert got.shape == expected.shape and np.array_equal(got, expected), value
    broken = matched(np.arange(12.0) % 4, column)
    broken[np.argmax(broken)] = 0.0
    assert not np.array_equal(broken, isnumber(match(np.arange(12.0) % 4, column)))
    from pysie.expr import Range
    from pysie.solver import evaluate

    expr = Call("isnumber", (Call("match", (Const(1.0), Range("t", "c"))),))
    tables = {"t": {"c": stored}}
    assert np.array_equal(evaluate(expr, {}, tables), isnumber(match(np.asarray(1.0), stored.T)))


def _same_bits(a: dict[str, np.ndarray], b: dict[str, np.ndarray], where: str) -> list[str]:
    """Names whose arrays differ in any bit (NaN included)."""
    return [
        f"{where}{name}"
        for name, values in b.items()
        if a[name].shape != values.shape
        or not np.array_equal(np.ascontiguousarray(a[name]).view(np.int64), np.ascontiguousarray(values).view(np.int64))
    ]


def _kernel_solutions(
    monkeypatch: pytest.MonkeyPatch, model: Model, values: dict[str, np.ndarray], parallel: bool
) -> tuple[Solution, dict[str, np.ndarray]]:
    """Full solution and results only, every table through the compiled kernel,
    parallel or serial."""
    from pysie import jit

    def runner(table: Table, ring: frozenset[str]) -> object:
        found = jit.compiled(table, ring, parallel)
        return None if found is None else found[0]

    monkeypatch.setattr(jit, "runner", runner)
    return solve(model, values), solve_scalars(model, values, chunk=37)


def _bit_differences(a: tuple[Solution, dict[str, np.ndarray]], b: tuple[Solution, dict[str, np.ndarray]]) -> list[str]:
    found = _same_bits(a[0].values, b[0].values, "") + _same_bits(a[1], b[1], "results ")
    for table, columns in b[0].tables.items():
        found += _same_bits(a[0].tables[table], columns, f"{table}.")
    return found


@pytest.mark.usefixtures("jit_on")
@pytest.mark.parametrize("model_name", ["retraining", "software-explosion"])
def test_parallel_kernel_same_bits_as_serial(model_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenarios spread over threads (prange) give every value, bit for bit,
    of the serial kernel (two threads at least, so both share the work)."""
    import numba

    model = MODELS[model_name]
    if model_name == "retraining":
        values = _retraining_scenarios(97, seed=13)
    else:
        scenarios = list(_random_scenarios(model, 60, seed=17)) + [_resolve(model, q) for q in model.presets]
        values = stack(model, scenarios)
    serial = _kernel_solutions(monkeypatch, model, values, parallel=False)
    threads = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        assert _bit_differences(_kernel_solutions(monkeypatch, model, values, parallel=True), serial) == []
    finally:
        numba.set_num_threads(threads)


@pytest.mark.usefixtures("jit_on")
def test_a_wrong_parallel_kernel_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bit-for-bit comparison can fail: the parallel kernel's LN off by one part in 1e12."""
    from pysie import jit

    model = MODELS["retraining"]
    values = _retraining_scenarios(20, seed=5)
    serial = _kernel_solutions(monkeypatch, model, values, parallel=False)
    with _ln_off(monkeypatch, jit, jit.compiled, "1e-12"):
        assert _bit_differences(_kernel_solutions(monkeypatch, model, values, parallel=True), serial) != []
