"""An optional compiled row loop (numba), for one scenario or many.

The same generated statements as the Python-float loop of
:mod:`pysie.fastpath` (same float primitives, IF evaluating only the branch it
takes), compiled with numba into one kernel per table: scenarios in the outer
loop, rows inside, so one scenario's state (every column's value in this row
and the row before) stays in scalar locals. Only the columns something reads
afterwards are written to arrays (all of them for full trajectories; in results
only, those a result or a later table reads: :func:`pysie.fastpath.read_columns`),
each value written once with an error stored as NaN, so no pass over the
trajectories follows. LN, LOG10 and EXP are computed only when their argument
changed since the row before (a held value costs a comparison), which gives
the same numbers. With more than one numba thread (``NUMBA_NUM_THREADS``;
``PYSIE_JIT_PARALLEL=0`` turns this off) scenarios are spread over threads
(``prange``), each value the serial kernel's bit for bit (tests compare them).
Invariant subexpressions are computed before, in numpy, by the reference
primitives. A table with an operation that has no float version (MATCH,
PERCENTILE over whole columns, NORM.S.INV, ROUND ...) is not compiled:
:func:`compiled` returns None and the numpy loop runs.

Used only when numba is installed and ``PYSIE_JIT=1`` is set. The compiled
code is cached in :func:`cache_dir` (numba ``cache=True``): compiling costs
seconds per table once per machine and table shape, a later process loads it
in well under a second (``benchmarks/bench_solver.py`` measures both). The
numpy loops stay the reference; ``tests/test_solver_speed_equivalence.py``
compares this one with them when numba is present.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.fastpath import _Gen, _ident, _inline_scalar
from pysie.primitives import PRIMITIVES
from pysie.rowloop import row_order, source
from pysie.spec import Table

_SUPPORTED = {
    "add",
    "sub",
    "mul",
    "neg",
    "abs",
    "if",
    "iferror",
    "isnumber",
    "iserror",
    "na",
    "div",
    "pow",
    "ln",
    "log10",
    "exp",
    "sqrt",
    "int",
    "min",
    "max",
    "and",
    "or",
    "not",
    "ge",
    "gt",
    "le",
    "lt",
    "eq",
    "ne",
    "index",
}


class Unsupported(Exception):
    """The table uses an operation the compiled loop does not have."""


def enabled() -> bool:
    """numba is installed and ``PYSIE_JIT=1``."""
    if os.environ.get("PYSIE_JIT", "") != "1":
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _operations() -> dict[str, Any]:
    """The float primitives compiled: C semantics (no exceptions), so the
    Python versions' exception handlers are replaced by the values C gives
    (overflow inf, a domain error NaN)."""
    import numba

    jit = numba.njit(error_model="numpy", cache=True)
    nan, inf = math.nan, math.inf

    @jit
    def s_div(a: float, b: float) -> float:
        if b - b != 0:
            return nan
        return a / b  # b = 0: inf or NaN, an error

    @jit
    def s_pow(a: float, b: float) -> float:
        if (a == 0 and b == 0) or a - a != 0 or b - b != 0:
            return nan
        return math.pow(a, b)

    @jit
    def s_ln(a: float) -> float:
        if a > 0:
            return math.log(a)
        return -inf if a == 0 else nan

    @jit
    def s_log10(a: float) -> float:
        if a > 0:
            return math.log10(a)
        return -inf if a == 0 else nan

    @jit
    def s_exp(a: float) -> float:
        if a - a != 0:
            return nan
        return math.exp(a)

    @jit
    def s_sqrt(a: float) -> float:
        if a >= 0:
            return math.sqrt(a)
        return nan

    @jit
    def s_int(a: float) -> float:
        if a == 0 or a - a != 0:
            return a
        return np.floor(a)

    @jit
    def s_min(a: float, b: float) -> float:
        if a - a != 0 or b - b != 0:
            return nan
        return min(a, b)

    @jit
    def s_max(a: float, b: float) -> float:
        if a - a != 0 or b - b != 0:
            return nan
        return max(a, b)

    @jit
    def s_and(a: float, b: float) -> float:
        if a - a != 0 or b - b != 0:
            return nan
        return 1.0 if (a != 0 and b != 0) else 0.0

    @jit
    def s_or(a: float, b: float) -> float:
        if a - a != 0 or b - b != 0:
            return nan
        return 1.0 if (a != 0 or b != 0) else 0.0

    @jit
    def s_not(a: float) -> float:
        if a - a != 0:
            return nan
        return 1.0 if a == 0 else 0.0

    found = (s_div, s_pow, s_ln, s_log10, s_exp, s_sqrt, s_int, s_min, s_max, s_and, s_or, s_not)
    names = ("div", "pow", "ln", "log10", "exp", "sqrt", "int", "min", "max", "and", "or", "not")
    return {f"s_{name}": f for name, f in zip(names, found, strict=True)}


def _pairwise(expr: Expr) -> Expr:
    """MIN / MAX / AND / OR of three or more arguments as nested pairs (the
    same value: each is an error if any argument is)."""
    if not isinstance(expr, Call):
        return expr
    args = tuple(_pairwise(a) for a in expr.args)
    if expr.op in ("min", "max", "and", "or") and len(args) > 2:
        nested = Call(expr.op, args[:2])
        for a in args[2:]:
            nested = Call(expr.op, (nested, a))
        return nested
    return Call(expr.op, args)


class _JitGen(_Gen):
    """Statements for one scenario of one row, on scalar locals: ``x_col``
    is the column's value in this row, ``p_col`` in the row before, ``nv_name``
    a name's value in this scenario (``h0v`` a hoisted invariant's); only stored
    columns, fixed cells and references further back read the arrays."""

    def __init__(self, table: Table, prologue: list[str], hoisted: dict[Expr, str], counter: list[int]) -> None:
        super().__init__(True, prologue, hoisted, counter)
        self.data = frozenset(c.name for c in table.columns if c.is_data)
        self.lagged: set[str] = set()  # columns read one row back: p_col carried from row to row
        self.names: set[str] = set()
        self.ranges: set[tuple[str, str]] = set()  # other tables' columns read by INDEX
        self.memos: list[int] = []  # remembered operations: ma{k} their last argument, mr{k} its result

    def leaf(self, expr: Expr, row: str) -> str | None:
        if isinstance(expr, Const):
            return repr(float(expr.value))
        if isinstance(expr, Name):
            self.names.add(expr.name)
            return f"nv_{_ident(expr.name)}"
        if isinstance(expr, Col):
            if expr.name in self.data or expr.lag > 1:
                return f"c_{_ident(expr.name)}[{self.index(expr.name, expr.lag)}, s]"
            if expr.lag == 1:
                self.lagged.add(expr.name)
                return f"p_{_ident(expr.name)}"
            return f"x_{_ident(expr.name)}"
        if isinstance(expr, Cell):
            return f"c_{_ident(expr.name)}[{expr.row}, s]"
        if isinstance(expr, Range):
            raise Unsupported("whole-column reference")
        return None

    def hoist(self, expr: Expr) -> str:
        if expr not in self.hoisted:
            name = f"h{len(self.hoisted)}"
            self.prologue.append(f"{name} = _full({source(expr, '0')}, n)")
            self.hoisted[expr] = name
        return f"{self.hoisted[expr]}v"

    def scalar_call(self, expr: Call) -> str:
        if expr.op not in _SUPPORTED or (expr.op in ("min", "max", "and", "or") and len(expr.args) != 2):
            raise Unsupported(expr.op)
        if expr.op in _REMEMBERED and self.row != "0":
            return self.remembered(expr)
        if expr.op == "index":
            return self.index_of_range(expr)
        return super().scalar_call(expr)

    def index_of_range(self, expr: Call) -> str:
        """``INDEX(table!column, k)``: this scenario's cell k of another
        table's column (rows, n), as :func:`pysie.primitives.index`: k
        truncated, an error unless 1 <= k < rows + 1 (NaN is neither)."""
        column, position = expr.args
        if not isinstance(column, Range):
            raise Unsupported("INDEX of something other than a table column")
        r = f"r_{_ident(column.table)}__{_ident(column.name)}"
        self.ranges.add((column.table, column.name))
        k = self.value(position)
        return self.bind(f"({r}[int({k}) - 1, s] if 1 <= {k} < n{r} else _NAN)")

    def remembered(self, expr: Call) -> str:
        """LN, LOG10 or EXP computed only when its argument differs from the
        one it had the last time this statement ran in this scenario (a
        value held from row to row, software once it reached infinity, say,
        costs a comparison instead of a logarithm). Exact: equal arguments
        give equal results, +0 and -0 included (LN of either is -inf, EXP
        of either 1); a NaN argument is never equal, so it is computed."""
        a = self.value(expr.args[0])
        k = len(self.memos)
        self.memos.append(k)
        call = _inline_scalar(expr.op, [a]) or f"s_{expr.op}({a})"
        self.body += [f"if {a} != ma{k}:", f"    ma{k} = {a}", f"    mr{k} = {call}"]
        return f"mr{k}"


#: operations :meth:`_JitGen.remembered` computes only when their argument changes
_REMEMBERED = frozenset({"ln", "log10", "exp"})


def _full(value: Any, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float), (n,)))


def arrays_needed(table: Table, ring: frozenset[str]) -> list[str]:
    """The columns the compiled loop writes to arrays (every row): those not
    in ``ring`` (the others live in locals only)."""
    return [c.name for c in table.columns if not c.is_data and c.name not in ring]


def parallel_default() -> bool:
    """Whether kernels spread scenarios over threads: unless ``PYSIE_JIT_PARALLEL=0``,
    when numba has more than one thread (``NUMBA_NUM_THREADS``, else the CPU count,
    or what ``numba.set_num_threads`` set)."""
    if os.environ.get("PYSIE_JIT_PARALLEL", "") == "0":
        return False
    import numba

    return int(numba.get_num_threads()) > 1


@lru_cache(maxsize=64)
def compiled(
    table: Table, ring: frozenset[str] = frozenset(), parallel: bool = False
) -> tuple[Callable[..., None], str] | None:
    """The compiled loop of ``table`` (None when it has an unsupported operation).

    One kernel per table: scenarios in the outer loop, rows inside, every
    column a scalar local (its value in this row and the row before), so a
    scenario's state stays in registers; a column outside ``ring`` is also
    stored, every row, with an error stored as NaN (no pass afterwards).
    With ``parallel`` the scenario loop is numba's ``prange``: scenarios are
    independent (each writes only its own cells and reads its own inputs), so
    every value is the one the serial kernel gives, whichever thread computes
    it."""
    exprs = [e for c in table.columns for e in (c.first, c.next)]
    ops = sorted({n.op for e in exprs for n in e.walk() if isinstance(n, Call)})
    prologue: list[str] = []
    hoisted: dict[Expr, str] = {}
    counter = [0]
    stored = set(arrays_needed(table, ring))
    gens: list[_JitGen] = []

    def phase(first: bool, row: str) -> list[str]:
        gen = _JitGen(table, prologue, hoisted, counter)
        gen.row = row
        gens.append(gen)
        for name in row_order(table, first=first):
            column = table.column(name)
            value = gen.value(_pairwise(column.first if first else column.next))
            gen.body.append(f"x_{_ident(name)} = {value}")
            if name in stored:  # an error stored as NaN
                x = f"x_{_ident(name)}"
                gen.body.append(f"c_{_ident(name)}[{row}, s] = {x} if {x} - {x} == 0 else _NAN")
        return gen.body

    try:
        row0, row_t = phase(True, "0"), phase(False, "t")
    except Unsupported:
        return None
    names = sorted(set().union(*(g.names for g in gens)))
    lagged = sorted(set().union(*(g.lagged for g in gens)))
    data = [c.name for c in table.columns if c.is_data]
    arrays = [f"c_{_ident(c)}" for c in [*data, *[c.name for c in table.columns if c.name in stored]]]
    ranges = sorted(set().union(*(g.ranges for g in gens)))
    arrays += [f"r_{_ident(t)}__{_ident(c)}" for t, c in ranges]
    params = [f"n_{_ident(x)}" for x in names] + sorted(hoisted.values(), key=lambda h: int(h[1:]))
    kernel = [f"def kernel(rows, n, {', '.join(arrays + params)}):"]
    kernel += [f"    nr_{_ident(t)}__{_ident(c)} = r_{_ident(t)}__{_ident(c)}.shape[0] + 1" for t, c in ranges]
    memos = [k for g in gens for k in g.memos]
    start = [f"{'nv_' + p[2:] if p.startswith('n_') else p + 'v'} = {p}[s]" for p in params]
    start += [f"ma{k} = _NAN" for k in memos] + [f"mr{k} = _NAN" for k in memos]
    start += [*row0, *[f"p_{_ident(c)} = x_{_ident(c)}" for c in lagged]]
    step = [*row_t, *[f"p_{_ident(c)} = x_{_ident(c)}" for c in lagged]]
    loop = "numba.prange" if parallel else "range"
    kernel += [f"    for s in {loop}(n):", *[f"        {line}" for line in start]]
    kernel += ["        for t in range(1, rows):", *[f"            {line}" for line in step]]
    wrapper = ["def solve_rows(N, C, rows, n, T):"]
    wrapper += [f"    f_{op} = F[{op!r}]" for op in ops]
    every = sorted({n.name for e in exprs for n in e.walk() if isinstance(n, Name)})
    wrapper += [f"    n_{_ident(x)} = N[{x!r}]" for x in every]
    wrapper += [f"    {line}" for line in prologue]
    wrapper += [f"    n_{_ident(x)} = _full(n_{_ident(x)}, n)" for x in names]
    given = [f"C[{c!r}]" for c in [*data, *[c.name for c in table.columns if c.name in stored]]]
    given += [f"T[{t!r}][{c!r}]" for t, c in ranges]
    wrapper += [f"    kernel(rows, n, {', '.join(given + params)})"]
    source = "\n".join(kernel) + "\n\n\n" + "\n".join(wrapper)
    namespace: dict[str, Any] = {"_full": _full, "np": np, "F": {op: p.numpy for op, p in PRIMITIVES.items()}}
    namespace["kernel"] = _load_kernel("\n".join(kernel), parallel)
    exec(compile("\n".join(wrapper), f"<pysie jit wrapper {table.name}>", "exec"), namespace)
    return namespace["solve_rows"], source


_KERNEL_HEAD = """# generated by pysie.jit: a table's row loop, compiled by numba and cached beside this file
import math

import numba
import numpy as np

from pysie.jit import _operations

globals().update(_operations())
_NAN = math.nan
_log = math.log
_floor = np.floor  # math.floor gives an int64 here, which 1e308 overflows

"""


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept:
    ``PYSIE_JIT_CACHE``, else ~/.cache/pysie/jit."""
    return Path(os.environ.get("PYSIE_JIT_CACHE") or Path.home() / ".cache" / "pysie" / "jit")


def _load_kernel(source: str, parallel: bool = False) -> Callable[..., None]:
    """The kernel written to a file named by its hash (numba caches compiled
    code only for functions defined in files), imported and returned; a later
    process with the same table loads the compiled code instead of compiling."""
    decorator = f'@numba.njit(error_model="numpy", cache=True{", parallel=True" if parallel else ""})\n'
    text = _KERNEL_HEAD + "\n\n" + decorator + source + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:20]
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"kernel_{digest}.py"
    if not path.exists() or path.read_text() != text:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text)
        partial.replace(path)  # atomic: a parallel process never reads half a file
    name = f"pysie_jit_kernel_{digest}"
    if name in sys.modules:
        return sys.modules[name].kernel
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds the module again by name
    spec.loader.exec_module(module)
    return module.kernel


def runner(table: Table, ring: frozenset[str]) -> Callable[..., None] | None:
    """``run(names, columns, rows, n, tables)``: the compiled loop of ``table``, with
    the columns outside ``ring`` given as arrays of shape (rows, n) (stored
    values filled, errors among them as NaN); None when the table cannot be
    compiled (:func:`arrays_needed` names the columns it writes). The kernel
    is the parallel one when :func:`parallel_default` says so."""
    found = compiled(table, ring, parallel_default())
    return None if found is None else found[0]
