"""An optional compiled row loop (numba) for many scenarios.

The same generated statements as the Python-float loop of
:mod:`pysie.fastpath` (same float primitives, IF evaluating only the branch it
takes), wrapped in a loop over scenarios inside the loop over rows and
compiled with numba. Invariant subexpressions are computed before, in numpy,
by the reference primitives. A table with an operation that has no float
version (MATCH, INDEX, PERCENTILE over whole columns, NORM.S.INV, ROUND ...)
is not compiled: :func:`compiled` returns None and the numpy loop runs.

Used only when numba is installed and ``PYSIE_JIT=1`` is set (compiling costs
seconds per table, once per process; see ``benchmarks/bench_solver.py``).
The numpy loops stay the reference; ``tests/test_solver_speed_equivalence.py``
compares this one with them when numba is present.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.fastpath import _Gen, _ident
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
    """Statements for one scenario s of one row, reading arrays."""

    def leaf(self, expr: Expr, row: str) -> str | None:
        if isinstance(expr, Const):
            return repr(float(expr.value))
        if isinstance(expr, Name):
            return f"n_{_ident(expr.name)}[s]"
        if isinstance(expr, Col):
            return f"c_{_ident(expr.name)}[{self.index(expr.name, expr.lag)}, s]"
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
        return f"{self.hoisted[expr]}[s]"

    def scalar_call(self, expr: Call) -> str:
        if expr.op not in _SUPPORTED or (expr.op in ("min", "max", "and", "or") and len(expr.args) != 2):
            raise Unsupported(expr.op)
        return super().scalar_call(expr)


def _full(value: Any, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype=float), (n,)))


@lru_cache(maxsize=64)
def compiled(table: Table, ring: frozenset[str] = frozenset()) -> tuple[Callable[..., None], str] | None:
    """The compiled loop of ``table`` (None when it has an unsupported operation)."""
    exprs = [e for c in table.columns for e in (c.first, c.next)]
    if any(isinstance(n, Range) for e in exprs for n in e.walk()):
        return None
    names = sorted({n.name for e in exprs for n in e.walk() if isinstance(n, Name)})
    ops = sorted({n.op for e in exprs for n in e.walk() if isinstance(n, Call)})
    prologue: list[str] = []
    hoisted: dict[Expr, str] = {}
    counter = [0]

    def phase(first: bool, row: str) -> list[str]:
        gen = _JitGen(True, prologue, hoisted, counter)
        gen.row, gen.ring = row, ring
        for name in row_order(table, first=first):
            column = table.column(name)
            value = gen.value(_pairwise(column.first if first else column.next))
            gen.body.append(f"c_{_ident(name)}[{gen.index(name, 0)}, s] = {value}")
        return gen.body

    try:
        row0, row_t = phase(True, "0"), phase(False, "t")
    except Unsupported:
        return None
    columns = [f"c_{_ident(c.name)}" for c in table.columns]
    params = [f"n_{_ident(n)}" for n in names] + sorted(hoisted.values(), key=lambda h: int(h[1:]))
    kernel = [f"def kernel(rows, n, {', '.join(columns + params)}):", "    for s in range(n):"]
    kernel += [f"        {line}" for line in row0]
    kernel += [
        "    for t in range(1, rows):",
        "        cur = t & 1",
        "        prv = cur ^ 1",
        "        for s in range(n):",
    ]
    kernel += [f"            {line}" for line in row_t]
    wrapper = ["def solve_rows(N, C, rows, n):"]
    wrapper += [f"    f_{op} = F[{op!r}]" for op in ops]
    wrapper += [f"    n_{_ident(x)} = N[{x!r}]" for x in names]
    wrapper += [f"    {line}" for line in prologue]
    wrapper += [f"    kernel(rows, n, {', '.join([f'C[{c.name!r}]' for c in table.columns] + params)})"]
    source = "\n".join(kernel) + "\n\n\n" + "\n".join(wrapper)
    namespace: dict[str, Any] = {"_full": _full, "np": np, "F": {op: p.numpy for op, p in PRIMITIVES.items()}}
    namespace["kernel"] = _load_kernel("\n".join(kernel))
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


@numba.njit(error_model="numpy", cache=True)
"""


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept:
    ``PYSIE_JIT_CACHE``, else ~/.cache/pysie/jit."""
    return Path(os.environ.get("PYSIE_JIT_CACHE") or Path.home() / ".cache" / "pysie" / "jit")


def _load_kernel(source: str) -> Callable[..., None]:
    """The kernel written to a file named by its hash (numba caches compiled
    code only for functions defined in files), imported and returned; a later
    process with the same table loads the compiled code instead of compiling."""
    text = _KERNEL_HEAD + source + "\n"
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


def solve_rows(
    table: Table,
    ring: frozenset[str],
    names: Mapping[str, np.ndarray],
    columns: Mapping[str, np.ndarray],
    rows: int,
    n: int,
) -> bool:
    """Run the compiled loop; False when the table cannot be compiled."""
    found = compiled(table, ring)
    if found is None:
        return False
    found[0](names, columns, rows, n)
    return True
