"""Fast row loops: the same stepping as the reference loop of :mod:`pysie.solver`,
generated with less work per row.

The reference loop calls one numpy primitive per operation in every row,
each with its own error guard (``np.where`` over ``isfinite``), and stores
every error as NaN afterwards. Both fast loops keep those semantics exactly
(an error is any non-finite number; every operation that could turn one into a
finite number yields NaN instead) and differ only in how much they compute:

* **Loop-invariant work is done once.** A subexpression that reads only
  constants and names (``LN(infinity_cap)``, ``LN(2)``, ``phi * C``) is
  computed before row 0, with the reference primitives, instead of in every row.
* **Repeated subexpressions of a row are computed once** (``gap_offset + AMR``).
* **Cheaper exact guards (many scenarios, numpy arrays).** ``x - x`` is +0 for
  a finite x and NaN for inf or NaN, and ``r - (+0)`` is r bit for bit (signed
  zeros included), so ``r - (x - x)`` is the guarded result in two cheap passes
  instead of ``isfinite`` + ``where``. A constant operand needs no guard; a
  name (constant over the rows) is checked once per solve. ``IF(c, a, b)``
  picks with a boolean mask from the comparison itself, ``IF(c, 1, 0)`` is the
  comparison, ``IF(ISNUMBER(x), a, b)`` needs no guard at all.
* **One scenario steps with Python floats** (no numpy call per operation, which
  costs about 1 µs even for one element): each primitive has a float version
  below with the same result; ``IF`` and ``IFERROR`` evaluate only the branch
  they pick, as Excel does. Operations without a float version (MATCH, INDEX,
  PERCENTILE ... over whole columns, NORM.S.INV, ROUND) call the numpy primitive.
* **Each mask and error term once per row.** The mask of a condition
  (``reached_{t-1} <> 0``, read by every held column) and ``x - x`` of an
  operand are computed once per row and reused; ``AND``, ``OR`` and ``NOT``
  are boolean masks too, an error where any operand is.
* **Expensive branches only where taken.** LN, EXP and ^ inside an IF branch
  are computed only for the scenarios that take it, gathered by index (numpy's
  ``where=`` costs as much as computing every element).
* **INDEX of a stored column** copies the stored row where every scenario
  reads the same row (a day index), instead of gathering through the transpose;
  where the generator knows k is the same in every scenario (it reads only
  stored-value columns and constants: a window's ``row + 1 + K``) the row is
  read without comparing the scenarios' k (:func:`_index_uniform`).
* **One scenario**: the common operations (AND, OR, NOT, MIN, MAX, /, LN,
  INT, INDEX) are written inline with their error tests, so the usual path
  makes no Python call per operation.
* **A branch nobody takes is skipped.** ``IF(c, a, constant)`` computes ``a``
  only when some scenario's ``c`` holds (a window reaching past every run).
* **Constant columns are read as their expression** (:func:`pysie.fold.constant_columns`):
  what is computed from them is hoisted with the other invariants.
* **Values the same in every scenario are computed once** (:func:`same_columns`: stored
  row numbers, a step counter, another table's such column read at such a row): as arrays
  of one element, and an IF on one picks its branch in Python (a window past the last row
  computes nothing). Results-only tables give such columns to later tables as a broadcast view.
* **A guard is skipped in a row where its operand has no error**: x is checked once per row
  (``isfinite(x).all()``, or, for a comparison's 0/1, its operands' checks), and where no
  scenario's x is an error, ``r - (+0)`` would leave r bit for bit; guards left are applied in
  place. ``IF(c, flag, 0)`` with such a flag is the AND of the two masks.
* **Settled scenarios stop being stepped** (:mod:`pysie.settle`): a scenario
  whose row repeats the previous one bit for bit holds it to the last row.
* Results only (``keep_tables=False``): tables no result reads are not
  computed, nor columns that no kept column reads (:func:`pysie.fold.live_columns`:
  compute C without the gradual boost), and there is no final pass turning inf into NaN in the
  trajectories, which no result can tell apart (every primitive treats inf and
  NaN alike); results are still stored as NaN by the solver. A column read only at its
  last row (:func:`fixed_row_reads`: a run's final state) is stored for two rows, and
  so is one read only as ``ISNUMBER(MATCH(v, range))`` (:func:`found_reads`: a run's
  "some window hits"), whose row loop keeps, per scenario, whether some row equals v.

``tests/test_solver_speed_equivalence.py`` compares both loops with the
reference on every model, preset and random in-bounds parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np

from pysie import fold, settle
from pysie.expr import Call, Cell, Col, Const, Expr, Name, Range
from pysie.primitives import PRIMITIVES
from pysie.rowloop import ident, row_order, source
from pysie.rowloop import solve_table as reference_solve_table
from pysie.spec import Model, Table

_NAN = math.nan
_INF = math.inf

_COMPARISONS = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "eq": "==", "ne": "!="}
_NP_COMPARISONS = {
    "ge": "np.greater_equal",
    "gt": "np.greater",
    "le": "np.less_equal",
    "lt": "np.less",
    "eq": "np.equal",
    "ne": "np.not_equal",
}


def _invariant(expr: Expr) -> bool:
    """Reads only constants and names: the same value in every row."""
    return not any(isinstance(n, (Col, Cell, Range)) for n in expr.walk())


def _ident(name: str) -> str:
    return ident(name)


# --- float versions of the primitives (one scenario) ---------------------------
# Each returns what the numpy primitive returns for one element, with errors as
# inf or NaN (the numpy primitive may give the other of the two: both are errors).
# EXP, LN, LOG10 and ^ call numpy's own functions, not the math module's: where
# numpy uses SIMD implementations (AVX-512 machines) those differ from the C
# library's in the last bit for a few percent of arguments, and one scenario
# must give bit for bit the numbers it gives among many (the same Monte Carlo
# whatever the chunk size). Each call costs about 0.3 us more than math's.


def _log(a: float) -> float:
    return float(np.log(a))


def _err(x: float) -> bool:
    return x - x != 0  # True for inf and NaN


def s_div(a: float, b: float) -> float:
    if b == 0:
        return _NAN if a == 0 or a != a else math.copysign(_INF, a) * math.copysign(1.0, b)
    if _err(b):
        return _NAN
    return a / b


def s_pow(a: float, b: float) -> float:
    if (a == 0 and b == 0) or _err(a) or _err(b):
        return _NAN
    return float(np.power(a, b))  # overflow: inf; a negative base to a fractional power: NaN


def s_ln(a: float) -> float:
    if a > 0:
        return float(np.log(a))
    return -_INF if a == 0 else _NAN


def s_log10(a: float) -> float:
    if a > 0:
        return float(np.log10(a))
    return -_INF if a == 0 else _NAN


def s_exp(a: float) -> float:
    if _err(a):
        return _NAN
    return float(np.exp(a))  # overflow: inf


def s_sqrt(a: float) -> float:
    return math.sqrt(a) if a >= 0 else (_NAN if a == a else a)


def s_int(a: float) -> float:
    return a if a == 0 or _err(a) else float(math.floor(a))


def s_min(*args: float) -> float:
    return _NAN if any(_err(a) for a in args) else min(args)


def s_max(*args: float) -> float:
    return _NAN if any(_err(a) for a in args) else max(args)


def s_and(*args: float) -> float:
    return _NAN if any(_err(a) for a in args) else float(all(a != 0 for a in args))


def s_or(*args: float) -> float:
    return _NAN if any(_err(a) for a in args) else float(any(a != 0 for a in args))


def s_not(a: float) -> float:
    return _NAN if _err(a) else float(a == 0)


_SCALAR: dict[str, Callable[..., float]] = {
    "div": s_div,
    "pow": s_pow,
    "ln": s_ln,
    "log10": s_log10,
    "exp": s_exp,
    "sqrt": s_sqrt,
    "int": s_int,
    "min": s_min,
    "max": s_max,
    "and": s_and,
    "or": s_or,
    "not": s_not,
}


def _via_numpy(fn: Callable[..., Any]) -> Callable[..., float]:
    """A numpy primitive called on one scenario's values, returning a float."""

    def call(*args: Any) -> float:
        return float(np.asarray(fn(*args), dtype=float).reshape(-1)[0])

    return call


def _inline_scalar(op: str, a: list[str]) -> str | None:
    """An expression with the value of ``s_op(*a)`` for the common cases
    (finite operands), falling back to the function call otherwise: no Python
    call per operation on the usual path."""
    errors = " or ".join(f"{x} - {x} != 0" for x in a)
    if op in ("and", "or") and len(a) >= 2:
        test = f" {op} ".join(f"{x} != 0" for x in a)
        return f"(_NAN if {errors} else (1.0 if {test} else 0.0))"
    if op == "not":
        return f"(_NAN if {errors} else (1.0 if {a[0]} == 0 else 0.0))"
    if op in ("min", "max") and len(a) == 2:  # Python's min / max: the first of two equal values
        keep = "<=" if op == "min" else ">="
        return f"(_NAN if {errors} else ({a[0]} if {a[0]} {keep} {a[1]} else {a[1]}))"
    if op == "div":
        return f"({a[0]} / {a[1]} if {a[1]} != 0 and {a[1]} - {a[1]} == 0 else s_div({a[0]}, {a[1]}))"
    if op == "ln":
        return f"(_log({a[0]}) if {a[0]} > 0 else s_ln({a[0]}))"
    if op == "int":  # INT(0) keeps the sign of zero, INT(error) is the error
        return f"({a[0]} if {a[0]} == 0 or {a[0]} - {a[0]} != 0 else float(_floor({a[0]})))"
    return None


# --- code generation --------------------------------------------------------------


class _Gen:
    """Generates the statements of one phase (row 0 or row t) of a table."""

    def __init__(self, scalar: bool, prologue: list[str], hoisted: dict[Expr, str], counter: list[int]) -> None:
        self.scalar = scalar
        self.prologue = prologue  # statements before row 0 (invariants, once per solve)
        self.hoisted = hoisted
        self.counter = counter
        self.body: list[str] = []
        self.memo: dict[Expr, str] = {}
        self.row = "0"
        self.checked: set[str] = set()
        self.mask: str | None = None  # arrays: the scenarios a branch is computed for
        self.conditions: dict[Expr, tuple[str, list[str]]] = {}  # arrays: masks of this row, computed once
        self.errors: dict[str, str] = {}  # arrays: x - x (0 or NaN) of an operand, or None, computed once
        self.finite_flags: dict[str, str] = {}  # arrays: a flag's test of no error (its operands have none)
        self.flag_masks: dict[str, str] = {}  # arrays: the boolean mask a flag (1.0 / 0.0) was made from
        self.ring: frozenset[str] = frozenset()  # columns kept for two rows only (t and t-1)
        self.data: frozenset[str] = frozenset()  # stored-value columns: the same in every scenario
        self.same: frozenset[str] = frozenset()  # arrays: columns the same in every scenario (data included)
        self.same_ranges: frozenset[tuple[str, str]] = frozenset()  # arrays: other tables' such columns
        self.uniform_values: set[str] = set()  # arrays: temporaries holding one scenario's value (a 1-wide array)

    def index(self, name: str, lag: int) -> str:
        """The row index of column ``name``, ``lag`` rows back, in this phase."""
        if name in self.ring and self.row != "0":
            return "cur" if lag == 0 else "prv"
        return f"{self.row}-{lag}" if lag else self.row

    def temp(self) -> str:
        self.counter[0] += 1
        return f"v{self.counter[0]}"

    # leaves and invariants
    def leaf(self, expr: Expr, row: str) -> str | None:
        if isinstance(expr, Const):
            return repr(float(expr.value))
        if isinstance(expr, Name):
            return f"n_{_ident(expr.name)}"
        if isinstance(expr, (Col, Cell)) and not self.scalar and expr in self.memo:
            return self.memo[expr]
        if isinstance(expr, Col):
            ref = f"c_{_ident(expr.name)}[{self.index(expr.name, expr.lag)}]"
            if self.scalar:
                return ref
            if expr.name in self.same:  # the same in every scenario: its first scenario only
                self.memo[expr] = self.bind(f"{ref[:-1]}, :1]")
                self.uniform_values.add(self.memo[expr])
                return self.memo[expr]
            self.memo[expr] = self.bind(ref)
            return self.memo[expr]
        if isinstance(expr, Cell):
            ref = f"c_{_ident(expr.name)}[{expr.row}]"
            if self.scalar:
                return ref
            self.memo[expr] = self.bind(ref)
            return self.memo[expr]
        if isinstance(expr, Range):
            return f"r_{_ident(expr.table)}__{_ident(expr.name)}"
        return None

    def bind(self, code: str) -> str:
        name = self.temp()
        self.body.append(f"{name} = {code}")
        return name

    def hoist(self, expr: Expr) -> str:
        """An invariant subexpression: computed once, by the reference primitives."""
        if expr not in self.hoisted:
            name = f"h{len(self.hoisted)}"
            code = source(expr, "0")
            if self.scalar:
                self.prologue.append(f"{name} = _to_float({code})")
            else:
                self.prologue.append(f"{name} = {code}")
            self.hoisted[expr] = name
        return self.hoisted[expr]

    def value(self, expr: Expr) -> str:
        """A name or literal holding ``expr`` for this row."""
        found = self.leaf(expr, self.row)
        if found is not None:
            return found
        if _invariant(expr):
            return self.hoist(expr)
        if expr in self.memo:
            return self.memo[expr]
        assert isinstance(expr, Call)
        name = self.scalar_call(expr) if self.scalar else self.vector_call(expr)
        self.memo[expr] = name
        if not self.scalar and self.same_value(expr):
            self.uniform_values.add(name)
        return name

    # --- one scenario: Python floats ---------------------------------------------
    def scalar_call(self, expr: Call) -> str:
        op, args = expr.op, expr.args
        if op == "if":
            c = self.value(args[0])
            return self.branch(
                f"if {c} == 0:", args[2], f"elif {c} - {c} == 0:", args[1], "else:", None
            )  # c = 0: otherwise; finite c: then; error: NaN
        if op == "iferror":
            v = self.value(args[0])
            return self.branch(f"if {v} - {v} == 0:", None, "else:", args[1], None, None, keep=v)
        a = [self.value(x) for x in args]
        if op in ("add", "sub", "mul"):
            return self.bind(f"{a[0]} {'+-*'[['add', 'sub', 'mul'].index(op)]} {a[1]}")
        if op == "neg":
            return self.bind(f"-{a[0]}")
        if op == "abs":
            return self.bind(f"abs({a[0]})")
        if op in _COMPARISONS:
            test = f"{a[0]} {_COMPARISONS[op]} {a[1]}"
            return self.bind(f"(_NAN if {a[0]} - {a[0]} != 0 or {a[1]} - {a[1]} != 0 else (1.0 if {test} else 0.0))")
        if op == "isnumber":
            return self.bind(f"(1.0 if {a[0]} - {a[0]} == 0 else 0.0)")
        if op == "iserror":
            return self.bind(f"(0.0 if {a[0]} - {a[0]} == 0 else 1.0)")
        if op == "na":
            return "_NAN"
        inline = _inline_scalar(op, a)
        if inline is not None:
            return self.bind(inline)
        if op in _SCALAR:
            return self.bind(f"s_{op}({', '.join(a)})")
        if op == "index" and isinstance(args[0], Range):  # the column as a list of floats
            k = a[1]  # a valid k (1 <= k < rows + 1, False for NaN) reads cell k, truncated; others are errors
            return self.bind(f"(l{a[0][1:]}[int({k}) - 1] if 1 <= {k} < nl{a[0][1:]} else _NAN)")
        return self.bind(f"g_{op}({', '.join(a)})")  # the numpy primitive, one element

    def branch(
        self,
        test1: str,
        expr1: Expr | None,
        test2: str,
        expr2: Expr | None,
        test3: str | None,
        expr3: Expr | None,
        keep: str | None = None,
    ) -> str:
        """An if/elif/else statement that computes only the branch it takes
        (a branch of None yields ``keep``, or NaN when there is no ``keep``)."""
        name = self.temp()
        for test, expr in ((test1, expr1), (test2, expr2), (test3, expr3)):
            if test is None:
                continue
            self.body.append(test)
            saved_body, saved_memo = self.body, dict(self.memo)
            self.body = []
            result = (keep or "_NAN") if expr is None else self.value(expr)
            inner = self.body
            self.body, self.memo = saved_body, saved_memo  # a branch's temps are not visible outside it
            self.body += [f"    {line}" for line in inner] + [f"    {name} = {result}"]
        return name

    # --- many scenarios: numpy arrays --------------------------------------------
    def guard(self, result: str, operands: list[str]) -> list[str]:
        """``result`` becomes NaN wherever an operand is an error: r - (x - x). Returns, per
        operand, a Python test that holds when it has no error in any scenario this row."""
        finite = []
        for x in operands:
            if _is_literal(x):
                continue
            if x in self.uniform_values:  # the same in every scenario: its one value is checked
                self.body.append(f"if {x}[0] - {x}[0] != 0: {result} = {result} - ({x} - {x})")
                finite.append(f"{x}[0] - {x}[0] == 0")
            elif x.startswith(("n_", "h")):  # constant over rows: checked once
                flag = f"ok_{x}"
                if flag not in self.checked:
                    self.prologue.append(f"{flag} = bool(np.isfinite({x}).all())")
                    self.checked.add(flag)
                self.body.append(f"if not {flag}: {result} = {result} - ({x} - {x})")
                finite.append(flag)
            else:
                error = self.error_term(x)
                # in place: ``result`` was just computed by this row's code, and nothing else reads it yet
                self.body.append(f"if {error} is not None: np.subtract({result}, {error}, out={result})")
                finite.append(f"{error} is None")
        return finite

    def error_term(self, x: str) -> str:
        """A name holding ``x - x`` (+0, or NaN where x is an error) when some scenario's x
        is an error this row, None when none is: r - (+0) is r bit for bit, so where every x
        is finite the guards that read it are skipped. Checked once per row; a flag whose
        operands are all finite is finite without a check (:attr:`finite_flags`)."""
        if x not in self.errors:
            error = self.temp()
            finite = self.finite_flags.get(x, f"np.isfinite({x}).all()")
            self.body.append(f"{error} = None if {finite} else np.subtract({x}, {x})")
            self.errors[x] = error
        return self.errors[x]

    def condition(self, expr: Expr) -> tuple[str, list[str]]:
        """A boolean mask (True where ``expr`` is nonzero) and the operands whose
        errors make it an error (each computed once per row)."""
        if expr not in self.conditions:
            self.conditions[expr] = self.new_condition(expr)
        return self.conditions[expr]

    def new_condition(self, expr: Expr) -> tuple[str, list[str]]:
        if isinstance(expr, Call) and expr.op in _NP_COMPARISONS:
            a, b = (self.value(x) for x in expr.args)
            return self.bind(f"{_NP_COMPARISONS[expr.op]}({a}, {b})"), [a, b]
        if isinstance(expr, Call) and expr.op == "isnumber":
            return self.bind(f"np.isfinite({self.value(expr.args[0])})"), []
        if isinstance(expr, Call) and expr.op in ("and", "or") and expr not in self.memo:
            # AND / OR: an error if any argument is (hence the union of their operands)
            parts = [self.condition(x) for x in expr.args]
            mask, operands = parts[0][0], list(parts[0][1])
            for other, more in parts[1:]:
                mask = self.bind(f"np.logical_{expr.op}({mask}, {other})")
                operands += more
            return mask, operands
        if isinstance(expr, Call) and expr.op == "not" and expr not in self.memo:
            v = self.value(expr.args[0])
            return self.bind(f"np.equal({v}, 0.0)"), [v]
        v = self.value(expr)
        return self.bind(f"np.not_equal({v}, 0.0)"), [v]

    def lazy(self, expr: Expr, mask: str, taken: bool) -> str:
        """A branch of IF computed only for the scenarios that take it, where it
        holds an expensive operation (LN, EXP, ^): those run with numpy's
        ``where=``; the other scenarios hold garbage that IF never picks, so
        nothing computed inside is reused outside the branch."""
        if expr in self.memo or self.leaf_or_none(expr) or not _costly(expr):
            return self.value(expr)
        branch = mask if taken else self.bind(f"np.logical_not({mask})")
        if self.mask is not None:
            branch = self.bind(f"np.logical_and({self.mask}, {branch})")
        saved = dict(self.memo), self.mask, dict(self.conditions), dict(self.errors)
        self.mask = branch
        name = self.value(expr)
        self.memo, self.mask, self.conditions, self.errors = saved
        return name

    def skippable(self, mask: str, then: Expr, otherwise: str) -> str:
        """``np.where(mask, then, otherwise)`` (errors of the condition are
        guarded after), with ``then`` computed only when some scenario takes
        it: where none does, the result is ``otherwise`` in every scenario
        (a window past the last row, say), and its work is skipped. Nothing
        computed inside is reused outside."""
        name = self.temp()
        saved = self.body, dict(self.memo), dict(self.conditions), dict(self.errors)
        self.body = []
        picked = self.lazy(then, mask, True)
        inner = self.body
        self.body, self.memo, self.conditions, self.errors = saved
        self.body.append(f"if {mask}.any():")
        self.body += [f"    {line}" for line in inner]
        self.body += [f"    {line}" for line in self.where(name, mask, picked, otherwise)]
        # where nobody takes it: ``otherwise`` in every scenario (a literal: filled, a third of where's cost)
        fill = f"np.full(np.shape({mask}), {otherwise})" if _is_literal(otherwise) else None
        self.body += ["else:", f"    {name} = {fill or f'np.where({mask}, {otherwise}, {otherwise})'}"]
        return name

    def where(self, name: str, mask: str, then: str, otherwise: str) -> list[str]:
        """Statements setting ``name`` to ``np.where(mask, then, otherwise)``. ``IF(c, flag, 0)``,
        a comparison's 0/1 where c holds (a window's hit where its last step is recorded), is
        the AND of the two masks as 1.0 / 0.0, in a fraction of where's time, in a row where the
        flag has no error (:attr:`finite_flags`); where it has one, where picks it."""
        flag = self.flag_masks.get(then)
        if flag is None or otherwise != "0.0":
            return [f"{name} = np.where({mask}, {then}, {otherwise})"]
        return [
            f"if {self.finite_flags[then]}:",
            f"    {name} = np.logical_and({mask}, {flag}).astype(np.float64)",
            "else:",
            f"    {name} = np.where({mask}, {then}, {otherwise})",
        ]

    def leaf_or_none(self, expr: Expr) -> bool:
        return isinstance(expr, (Const, Name, Range)) or _invariant(expr)

    def vector_call(self, expr: Call) -> str:
        op, args = expr.op, expr.args
        if op == "if":
            then, otherwise = args[1], args[2]
            if then == Const(1.0) and otherwise == Const(0.0):
                return (
                    self.vector_call(Call("ne", (args[0], Const(0.0))))
                    if not _is_flag(args[0])
                    else self.value(args[0])
                )
            if self.same_value(args[0]) and not _invariant(args[0]):
                return self.picked(args[0], then, otherwise, self.same_value(expr))
            mask, operands = self.condition(args[0])
            if self.leaf_or_none(otherwise) and not self.leaf_or_none(then) and then not in self.memo:
                name = self.skippable(mask, then, self.value(otherwise))
            else:
                picked = self.lazy(then, mask, True), self.lazy(otherwise, mask, False)
                name = self.temp()
                self.body += self.where(name, mask, *picked)
            self.guard(name, operands)
            return name
        if op in _NP_COMPARISONS or op in ("isnumber", "and", "or", "not"):
            mask, operands = self.condition(expr)
            name = self.bind(f"{mask}.astype(np.float64)")  # 1.0 / 0.0, as np.add(mask, 0.0) gives, in half the time
            # a comparison or logic of finite operands is 0 or 1: no error
            self.finite_flags[name] = " and ".join(f"({test})" for test in self.guard(name, operands)) or "True"
            self.flag_masks[name] = mask
            return name
        a = [self.value(x) for x in args]
        if self.mask is not None and op in _MASKED:
            name = self.bind(f"_masked({_MASKED[op]}, {self.mask}, {', '.join(a)})")
            if op == "exp":
                self.guard(name, [a[0]])
            elif op == "pow":
                self.pow_guard(name, a)
            return name
        simple = {
            "add": "np.add({0}, {1})",
            "sub": "np.subtract({0}, {1})",
            "mul": "np.multiply({0}, {1})",
            "neg": "np.negative({0})",
            "ln": "np.log({0})",
            "log10": "np.log10({0})",
            "sqrt": "np.sqrt({0})",
            "abs": "np.abs({0})",
            "int": "np.floor({0})",
        }
        if op in simple:
            return self.bind(simple[op].format(*a))
        if op == "div":
            name = self.bind(f"np.divide({a[0]}, {a[1]})")
            self.guard(name, [a[1]])
            return name
        if op == "exp":
            name = self.bind(f"np.exp({a[0]})")
            self.guard(name, [a[0]])
            return name
        if op in ("min", "max") and len(a) == 2:
            name = self.bind(f"np.{'minimum' if op == 'min' else 'maximum'}({a[0]}, {a[1]})")
            self.guard(name, a)
            return name
        if op == "pow":
            name = self.bind(f"np.power({a[0]}, {a[1]})")
            self.pow_guard(name, a)
            return name
        if op == "iferror":
            return self.bind(f"np.where(np.isfinite({a[0]}), {a[0]}, {a[1]})")
        if op == "index" and isinstance(args[0], Range):
            if self.same_value(expr):  # the same row of a column the same in every scenario: one value
                return self.bind(f"_index_uniform({a[0]}, {a[1]})[:1]")
            helper = "_index_uniform" if self.uniform(args[1]) else "_index_row"
            return self.bind(f"{helper}({a[0]}, {a[1]})")
        return self.bind(f"f_{op}({', '.join(a)})")  # the numpy primitive

    def same_value(self, expr: Expr) -> bool:
        """``expr`` has the same value in every scenario: it reads only constants, columns of
        this table that are the same in every scenario (:attr:`same`: stored values, a step
        counter) and such columns of other tables (:attr:`same_ranges`). Such values are computed
        for one scenario (arrays of one element) and an IF whose condition is one picks its
        branch in Python: ``IF(step + K <= rows, ...)`` computes nothing for a window past the
        last row, and no mask or guard for one within it."""
        for n in expr.walk():
            if isinstance(n, Col) and n.name in self.same:
                continue
            if isinstance(n, Range) and (n.table, n.name) in self.same_ranges:
                continue
            if not isinstance(n, (Const, Call)):
                return False
        return True

    def picked(self, condition: Expr, then: Expr, otherwise: Expr, one: bool) -> str:
        """``IF(c, a, b)`` where ``c`` is the same in every scenario: an if statement computes
        only the branch it takes (``b`` where c = 0, ``a`` where c is finite, the error NaN
        where c is an error), as the scalar loop does; ``one``: the result too is the same in
        every scenario (an array of one element), otherwise a literal is filled to every scenario."""
        c = self.value(condition)
        name = self.temp()
        width = "1" if one else "w_shape"
        for test, expr in ((f"if {c}[0] == 0:", otherwise), (f"elif {c}[0] - {c}[0] == 0:", then), ("else:", None)):
            self.body.append(test)
            saved = self.body, dict(self.memo), dict(self.conditions), dict(self.errors)
            self.body = []
            result = "_NAN" if expr is None else self.value(expr)
            inner = self.body
            self.body, self.memo, self.conditions, self.errors = saved
            if result == "_NAN" or _is_literal(result):
                result = f"np.full({width}, {result})"
            elif not one and (result in self.uniform_values or result.startswith(("n_", "h"))):
                result = f"np.broadcast_to({result}, {width})"  # read only: generated code never writes an operand
            self.body += [f"    {line}" for line in inner] + [f"    {name} = {result}"]
        return name

    def uniform(self, expr: Expr) -> bool:
        """``expr`` reads only constants and stored-value columns (a row number): the same
        value in every scenario, whatever the scenarios' parameters."""
        return all(isinstance(n, (Const, Call)) or (isinstance(n, Col) and n.name in self.data) for n in expr.walk())

    def pow_guard(self, name: str, a: list[str]) -> None:
        """``a^b`` is an error where a or b is, and at 0^0."""
        self.guard(name, a)
        if not any(_is_literal(x) and float(x) != 0 for x in a):  # 0^0 is an error
            constant = [x for x in a if x.startswith(("n_", "h"))]
            check = f"{name} = _zero_to_zero({name}, {a[0]}, {a[1]})"
            if constant:  # a constant exponent or base that is never 0: no 0^0 in any row
                flag = f"z_{constant[0]}"
                if flag not in self.checked:
                    self.prologue.append(f"{flag} = bool(np.any(np.equal({constant[0]}, 0)))")
                    self.checked.add(flag)
                check = f"if {flag}: {check}"
            self.body.append(check)


#: operations worth computing only where an IF branch needs them
_MASKED = {"ln": "np.log", "log10": "np.log10", "exp": "np.exp", "pow": "np.power"}


def _costly(expr: Expr) -> bool:
    return any(isinstance(n, Call) and n.op in _MASKED and not _invariant(n) for n in expr.walk())


def _masked(fn: Callable[..., Any], mask: np.ndarray, *args: Any) -> np.ndarray:
    """``fn(*args)`` where ``mask`` is True; anything elsewhere. LN, EXP and ^
    cost 10-60 ns an element while gathering one costs about 2 (and numpy's
    ``where=`` saves nothing), so when at most 3/4 of the scenarios take the
    branch (the others have reached infinity and hold their values, say) only
    theirs are gathered and computed; when more do, every element is."""
    out = np.empty(mask.shape)
    taken = int(np.count_nonzero(mask))
    if taken == 0:
        return out
    if any(isinstance(a, np.ndarray) and a.ndim and a.shape != mask.shape for a in args):
        fn(*args, out=out, where=mask)  # operands broadcast: computed where taken, in place
        return out
    if 4 * taken > 3 * mask.size:
        fn(*args, out=out)
        return out
    rows = np.flatnonzero(mask)
    out.reshape(-1)[rows] = fn(*(a.reshape(-1)[rows] if isinstance(a, np.ndarray) and a.ndim else a for a in args))
    return out


def _index_row(column: np.ndarray, position: Any) -> np.ndarray:
    """``INDEX(range, k)`` for many scenarios, the same as the primitive:
    ``column`` is (scenarios, rows), the transpose of a stored table column,
    and ``position`` holds one k per scenario (or per row and scenario for a
    whole-column table). Where every scenario reads the same row (a day
    index), whole stored rows are copied; otherwise cell k of scenario s is
    gathered from row k of the stored layout, not through the transpose."""
    p = np.asarray(position, dtype=float)
    stored = column.T  # (rows, scenarios)
    if column.ndim != 2 or p.ndim == 0 or p.shape[-1] != stored.shape[1] or not p.size:
        return PRIMITIVES["index"].numpy(column, position)
    rows, n = stored.shape
    first = p[..., :1]
    if bool(np.equal(p, first).all()) and bool(((first >= 1) & (first < rows + 1)).all()):  # one row per row of k
        # the stored row itself (NaN and the infinities are not valid): generated code never writes into
        # an operand, it binds new arrays, so a view of another table's column is never changed
        return stored[first[..., 0].astype(np.intp) - 1]
    valid = (p >= 1) & (p < rows + 1)  # False for NaN and the infinities
    k = np.where(valid, p, 1.0).astype(np.intp) - 1
    return np.where(valid, stored[k, np.arange(n)], _NAN)


def _index_uniform(column: np.ndarray, position: Any) -> np.ndarray:
    """:func:`_index_row` where the generator knows k is the same in every scenario (it reads
    only stored-value columns and constants, as a window's ``row + 1 + K``): the stored row k
    of cell k = INT(k) when 1 <= k < rows + 1, else #REF! (NaN) in every scenario, without
    comparing the scenarios' k."""
    p = np.asarray(position, dtype=float)
    stored = column.T  # (rows, scenarios)
    if column.ndim != 2 or p.ndim != 1 or p.shape[0] not in (1, stored.shape[1]) or not p.size:
        return _index_row(column, position)
    k = float(p[0])
    if 1 <= k < stored.shape[0] + 1:
        return stored[int(k) - 1]  # a view, as _index_row returns: generated code never writes into an operand
    return np.full(stored.shape[1], _NAN)


def _is_literal(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return True


def _is_flag(expr: Expr) -> bool:
    """Values in {0, 1, error} only, so IF(expr, 1, 0) is expr itself."""
    return isinstance(expr, Call) and expr.op in {*_COMPARISONS, "and", "or", "not", "isnumber"}


def _zero_to_zero(result: np.ndarray, a: Any, b: Any) -> np.ndarray:
    """``0^0`` is an error (NaN)."""
    both = np.equal(a, 0) & np.equal(b, 0)
    return np.where(both, _NAN, result) if np.any(both) else result


def _to_float(value: Any) -> float:
    return float(np.asarray(value, dtype=float).reshape(-1)[0])


@lru_cache(maxsize=128)
def same_columns(table: Table, same_ranges: frozenset[tuple[str, str]] = frozenset()) -> frozenset[str]:
    """The columns of ``table`` that hold the same value in every scenario: stored values, and
    columns whose equations read only constants, such columns (at any lag) and the columns of
    other tables in ``same_ranges`` (a step counter ``step = step_{t-1} + 1``; a window's
    ``INDEX(steps.step, row + 1)``)."""
    same = {c.name for c in table.columns if c.is_data}
    changed = True
    while changed:
        changed = False
        for c in table.columns:
            if c.name in same:
                continue
            nodes = [n for e in (c.first, c.next) for n in e.walk()]
            if all(
                isinstance(n, (Const, Call))
                or (isinstance(n, Col) and n.name in same | {c.name})
                or (isinstance(n, Range) and (n.table, n.name) in same_ranges)
                for n in nodes
            ):
                same.add(c.name)
                changed = True
    return frozenset(same)


@lru_cache(maxsize=128)
def _compiled(
    table: Table,
    scalar: bool,
    ring: frozenset[str] = frozenset(),
    same_ranges: frozenset[tuple[str, str]] = frozenset(),
    found: frozenset[tuple[str, float]] = frozenset(),
) -> tuple[Callable[..., None], str]:
    """Generate and compile the fast row loop of ``table`` once per mode;
    columns in ``ring`` are stored for the current and previous row only
    (arrays of two rows, row t at index t & 1). The function steps rows
    ``start`` to ``stop - 1`` (default all; row 0 from the ``first``
    equations): :mod:`pysie.settle` steps a block of rows at a time.
    ``same_ranges``: the columns of other tables that hold the same value in
    every scenario (arrays: values computed from them only are computed once).
    ``found``: (column, v) whose row loop also ORs ``cell == v`` of every row
    into the boolean array ``C[found_key(column, v)]``."""
    exprs = [e for c in table.columns for e in (c.first, c.next)]
    names = sorted({n.name for e in exprs for n in e.walk() if isinstance(n, Name)})
    ops = sorted({n.op for e in exprs for n in e.walk() if isinstance(n, Call)})
    ranges = _ranges(table)
    head = ["def solve_rows(N, C, rows, F, T, start=0, stop=None):"]
    head += [f"    f_{op} = F[{op!r}]" for op in ops]
    head += [f"    g_{op} = _via_numpy(F[{op!r}])" for op in ops] if scalar else []
    head += [f"    n_{_ident(n)} = {'float(N[' + repr(n) + '][0])' if scalar else 'N[' + repr(n) + ']'}" for n in names]
    head += [f"    r_{_ident(t)}__{_ident(c)} = T[{t!r}][{c!r}].T" for t, c in ranges]
    if scalar:  # whole columns read by INDEX: lists of floats, and their length + 1
        head += [f"    l_{_ident(t)}__{_ident(c)} = T[{t!r}][{c!r}][:, 0].tolist()" for t, c in ranges]
        head += [f"    nl_{_ident(t)}__{_ident(c)} = len(l_{_ident(t)}__{_ident(c)}) + 1" for t, c in ranges]
    head += [f"    c_{_ident(c.name)} = C[{c.name!r}]" for c in table.columns]
    head += [] if scalar else ["    w_shape = next(iter(C.values())).shape[1:]  # (scenarios,)"]
    accumulators = {pair: f"a{i}" for i, pair in enumerate(sorted(found))}
    head += [f"    {name} = C[{found_key(*pair)!r}]" for pair, name in accumulators.items()]
    same = frozenset() if scalar else same_columns(table, same_ranges)
    prologue: list[str] = []
    hoisted: dict[Expr, str] = {}
    counter = [0]

    def phase(first: bool, row: str) -> list[str]:
        gen = _Gen(scalar, prologue, hoisted, counter)
        gen.row, gen.ring = row, ring
        gen.data = frozenset(c.name for c in table.columns if c.is_data)
        gen.same, gen.same_ranges = same, same_ranges
        for name in row_order(table, first=first):
            column = table.column(name)
            value = gen.value(column.first if first else column.next)
            gen.body.append(f"c_{_ident(name)}[{gen.index(name, 0)}] = {value}")
            for (found_in, v), accumulator in accumulators.items():
                if found_in == name:  # some row equal to v: the cell as stored, compared
                    gen.body.append(f"np.logical_or({accumulator}, np.equal({value}, {v!r}), out={accumulator})")
            if not scalar and not _is_literal(value):
                gen.memo[Col(name)] = value  # later cells of this row read it without indexing
        return gen.body

    row0, row_t = phase(True, "0"), phase(False, "t")
    lines = head + [f"    {line}" for line in prologue] + ["    stop = rows if stop is None else stop"]
    lines += ["    if start == 0:"] + [f"        {line}" for line in row0] + ["        pass"]
    lines.append("    for t in range(max(start, 1), stop):")
    lines += ["        cur = t & 1", "        prv = cur ^ 1"] if ring else []
    lines += [f"        {line}" for line in row_t]
    source = "\n".join(lines)
    namespace: dict[str, object] = {
        "np": np,
        "_NAN": _NAN,
        "_via_numpy": _via_numpy,
        "_to_float": _to_float,
        "_zero_to_zero": _zero_to_zero,
        "_masked": _masked,
        "_index_row": _index_row,
        "_index_uniform": _index_uniform,
        "_log": _log,
        "_floor": math.floor,
        **{f"s_{op}": fn for op, fn in _SCALAR.items()},
        **{f"f_{op}": p.numpy for op, p in PRIMITIVES.items()},
    }
    exec(compile(source, f"<pysie fast {'scalar' if scalar else 'vector'} {table.name}>", "exec"), namespace)
    return namespace["solve_rows"], source  # type: ignore[return-value]


@lru_cache(maxsize=64)
def _ranges(table: Table) -> tuple[tuple[str, str], ...]:
    """(table, column) of every whole column ``table`` reads."""
    exprs = [e for c in table.columns for e in (c.first, c.next)]
    return tuple(sorted({(n.table, n.name) for e in exprs for n in e.walk() if isinstance(n, Range)}))


def _same_in_every(values: np.ndarray) -> bool:
    """A (rows, scenarios) column given as one scenario's rows broadcast to all (results only)."""
    return values.ndim == 2 and values.shape[1] > 1 and values.strides[1] == 0


def table_source(table: Table, scalar: bool = False) -> str:
    """The generated fast row loop, for reading and debugging."""
    return _compiled(table, scalar)[1]


_T = TypeVar("_T")


def _per_model(function: Callable[[Model], _T]) -> Callable[[Model], _T]:
    """``function`` computed once per model (models are not hashable: kept by
    identity, with the model itself so that a reused id is not mistaken)."""
    known: dict[int, tuple[Model, _T]] = {}

    @functools.wraps(function)
    def cached(model: Model) -> _T:
        hit = known.get(id(model))
        if hit is None or hit[0] is not model:
            hit = known[id(model)] = (model, function(model))
        return hit[1]

    return cached


@_per_model
def read_columns(model: Model) -> dict[str, frozenset[str]]:
    """Per table, the columns whose every row may be read after the row
    loop (by a result, a check or a later table through a whole-column
    reference) or inside it (a fixed cell, or a reference more than one row
    back); the others are needed only for the row being computed and the one
    before it."""
    exprs = [s.expr for s in model.scalars] + [e for t in model.tables for c in t.columns for e in (c.first, c.next)]
    ranges = {(n.table, n.name) for e in exprs for n in e.walk() if isinstance(n, Range)}
    read = {}
    for table in model.tables:
        own = [e for c in table.columns for e in (c.first, c.next)]
        cells = {n.name for e in own for n in e.walk() if isinstance(n, Cell) or (isinstance(n, Col) and n.lag > 1)}
        stored = {c.name for c in table.columns if c.is_data}
        read[table.name] = frozenset({c for t, c in ranges if t == table.name} | cells | stored)
    return read


def _reads_only_as(
    model: Model, pattern: Callable[[Expr], tuple[Range, float] | None]
) -> dict[str, dict[str, frozenset[float]]]:
    """Per table, the columns that every read of (after the row loop or by another table) is
    ``pattern``'s: ``pattern(node)`` gives (the range read, a constant) for a read of that
    kind, else None; each such column maps to the constants its reads use."""
    exprs = [s.expr for s in model.scalars] + [e for t in model.tables for c in t.columns for e in (c.first, c.next)]
    reads: dict[tuple[str, str], int] = {}
    constants: dict[tuple[str, str], set[float]] = {}
    for expr in exprs:
        for n in expr.walk():
            if isinstance(n, Range):
                reads[(n.table, n.name)] = reads.get((n.table, n.name), 0) + 1
            found = pattern(n)
            if found is not None:
                column, value = found
                key = (column.table, column.name)
                constants.setdefault(key, set()).add(value)
                reads[key] = reads.get(key, 0) - 1  # this read of the range is one of the pattern's
    out: dict[str, dict[str, frozenset[float]]] = {t.name: {} for t in model.tables}
    for (table, name), values in constants.items():
        if reads[(table, name)] == 0 and table in out:
            out[table][name] = frozenset(values)
    return out


def _index_at_a_constant(n: Expr) -> tuple[Range, float] | None:
    """``INDEX(range, k)`` with a constant k: (range, k)."""
    if isinstance(n, Call) and n.op == "index" and len(n.args) == 2:
        column, position = n.args
        if isinstance(column, Range) and isinstance(position, Const):
            return column, float(position.value)
    return None


def _some_row_equal(n: Expr) -> tuple[Range, float] | None:
    """``ISNUMBER(MATCH(v, range))`` with a constant finite v: (range, v)."""
    if not (isinstance(n, Call) and n.op == "isnumber" and isinstance(n.args[0], Call) and n.args[0].op == "match"):
        return None
    if len(n.args[0].args) != 2:
        return None
    sought, column = n.args[0].args
    if isinstance(column, Range) and isinstance(sought, Const) and math.isfinite(sought.value):
        return column, float(sought.value)
    return None


@_per_model
def fixed_row_reads(model: Model) -> dict[str, dict[str, frozenset[float]]]:
    """Per table, the columns that every read of takes as ``INDEX(range, k)`` at constant
    positions k, and those positions: a column read only at its last row (a run's final
    state) need not keep the others."""
    return _reads_only_as(model, _index_at_a_constant)


@_per_model
def found_reads(model: Model) -> dict[str, dict[str, frozenset[float]]]:
    """Per table, the columns that every read of takes as ``ISNUMBER(MATCH(v, range))`` with a
    constant finite v (a run's "some window hits"), and those values: such a column need not
    be stored, only whether some row of it equals v (:func:`found_key`)."""
    return _reads_only_as(model, _some_row_equal)


def found_key(column: str, value: float) -> str:
    """The key, among a results-only table's arrays, of "some row of ``column`` equals ``value``"
    (a boolean per scenario) for a column read only that way (:func:`found_reads`)."""
    return f"{column} found {value!r}"


@_per_model
def needed_tables(model: Model) -> frozenset[str]:
    """The tables some result or check reads, directly or through the tables
    they read (whole-column references): the others (chart data, say) need not
    be computed when only results are wanted."""
    pending = [n.table for s in model.scalars for n in s.expr.walk() if isinstance(n, Range)]
    needed: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            table = model.table(name)
            own = [e for c in table.columns for e in (c.first, c.next)]
            pending += [n.table for e in own for n in e.walk() if isinstance(n, Range)]
    return frozenset(needed)


def results_bytes_per_scenario(model: Model, structural: Mapping[str, float]) -> int:
    """Bytes of table arrays one scenario needs when only results are wanted
    (``keep_tables=False``): every row of the columns results read, two rows
    of the others, in the tables results read."""
    keep, needed = read_columns(model), needed_tables(model)
    total = 0
    for table in model.tables:
        if table.name in needed:
            rows = table.rows(structural)
            total += sum(8 * (rows if c.name in keep[table.name] else 2) for c in table.columns)
    return total


class Buffers:
    """Column arrays kept from one chunk of scenarios to the next: fresh memory
    costs a page fault per 4 KiB on first write, as much as the arithmetic.
    ``get`` returns a (rows, n) view of an array of at least n columns; with
    ``by_scenario`` each scenario's rows are contiguous (the transpose of an
    (n, rows) array: the layout the compiled loop writes, one scenario at a time)."""

    def __init__(self) -> None:
        self.arrays: dict[tuple[str, str, bool], np.ndarray] = {}

    def get(self, table: str, column: str, rows: int, n: int, by_scenario: bool = False) -> np.ndarray:
        key = (table, column, by_scenario)
        array = self.arrays.get(key)
        if by_scenario:
            if array is None or array.shape[1] != rows or array.shape[0] < n:
                array = self.arrays[key] = np.empty((n, rows))
            return array[:n].T
        if array is None or array.shape[0] != rows or array.shape[1] < n:
            array = self.arrays[key] = np.empty((rows, n))
        return array[:, :n]


def solve_table(
    table: Table,
    names: Mapping[str, np.ndarray],
    tables: Mapping[str, Mapping[str, np.ndarray]],
    structural: Mapping[str, float],
    n: int,
    keep_tables: bool = True,
    keep: frozenset[str] | None = None,
    buffers: Buffers | None = None,
    compiled_rows: Callable[[Table, frozenset[str]], Callable[..., None] | None] | None = None,
    fixed_rows: Mapping[str, frozenset[float]] | None = None,
    found_values: Mapping[str, frozenset[float]] | None = None,
) -> dict[str, np.ndarray]:
    """Fill stored-value columns, then run the fast row loop (floats for one
    scenario, arrays for many; tables whose rows are independent are computed
    whole columns at a time by the reference loop). ``compiled_rows`` (:func:`pysie.jit.runner`,
    when enabled) gives the compiled loop of the table, or None when it has
    none; that loop then runs the rows, for one scenario too, and stores
    errors as NaN itself.

    With ``keep`` (a set of column names), the other columns are stored for
    two rows only and hold no trajectory; with ``buffers`` the arrays are
    reused from the last call (and overwritten by the next). ``fixed_rows``
    (:func:`fixed_row_reads`): kept columns read only at constant rows; in
    the numpy loop one read only at its last row is stored for two rows too,
    and given as its last row broadcast to every row (read only).
    ``found_values`` (:func:`found_reads`): kept columns read only as
    ``ISNUMBER(MATCH(v, range))``; in the numpy loop of a table that does not
    settle, such a column is stored for two rows and the row loop keeps, for
    each v, whether some row equals v (``found_key(column, v)``)."""
    if table.independent_rows and n == 1:
        return reference_solve_table(table, names, tables, structural, n)
    rows = table.rows(structural)
    functions = {op: p.numpy for op, p in PRIMITIVES.items()}
    ring: frozenset[str] = frozenset()
    run = None
    if n > 1 or compiled_rows is not None:
        table = fold.specialise(table, names)  # switches held in every scenario: one branch computed
        if keep is not None:
            ring = frozenset(c.name for c in table.columns if c.name not in keep)
        run = None if compiled_rows is None else compiled_rows(table, ring)
    if run is not None:  # the compiled loop: columns in ring live in its locals only
        # each scenario's rows contiguous, as the loop writes them and reads them back (INDEX, MATCH):
        # 10,000 streamed trajectories took 3.8 s of CPU with each row contiguous instead, 2.2 s so
        pool = buffers or Buffers()
        columns = {
            c.name: pool.get(table.name, c.name, rows, n, by_scenario=True)
            for c in table.columns
            if c.name not in ring or c.is_data
        }
        for c in table.columns:
            if c.data is not None:
                values = np.asarray(c.data.values(structural, rows), dtype=float).reshape(rows, 1)
                columns[c.name][:] = np.where(np.isfinite(values), values, _NAN)
        run(names, columns, rows, n, tables)  # stores every error as NaN
        return {name: values for name, values in columns.items() if name not in ring}
    if n == 1:
        solve_rows, _ = _compiled(table, True)
        lists: dict[str, Any] = {}
        for c in table.columns:
            data = np.asarray(c.data.values(structural, rows), dtype=float) if c.data is not None else None
            lists[c.name] = data.reshape(rows).tolist() if data is not None else [0.0] * rows
        solve_rows(names, lists, rows, functions, tables)
        columns = {name: np.array(values, dtype=float).reshape(rows, 1) for name, values in lists.items()}
    else:
        table = fold.constant_columns(table)  # a column of one expression of names: computed once
        last: frozenset[str] = frozenset()
        if keep is not None:  # results only: a column nothing kept reads is not computed
            table = fold.live_columns(table, keep)
            last = frozenset(
                c.name
                for c in table.columns
                if not c.is_data and (fixed_rows or {}).get(c.name) == {float(rows)} and rows > 1
            )
            ring |= last
        settling = settle.plan(table)
        found: frozenset[tuple[str, float]] = frozenset()
        if keep is not None and settling is None:  # every row of every scenario is computed
            found = frozenset(
                (c.name, v) for c in table.columns if not c.is_data for v in (found_values or {}).get(c.name, ())
            )
            ring |= {name for name, _ in found}
        pool = buffers or Buffers()
        columns = {c.name: pool.get(table.name, c.name, 2 if c.name in ring else rows, n) for c in table.columns}
        columns |= {found_key(*pair): np.zeros(n, dtype=bool) for pair in found}
        for c in table.columns:
            if c.data is not None:
                columns[c.name][:] = np.asarray(c.data.values(structural, rows), dtype=float).reshape(rows, 1)
        same_ranges = frozenset(
            (t, c) for t, c in _ranges(table) if t in tables and c in tables[t] and _same_in_every(tables[t][c])
        )
        solve_rows, _ = _compiled(table, False, ring, same_ranges, found)
        if settling is None:
            solve_rows(names, columns, rows, functions, tables)
        else:  # scenarios whose rows repeat stop being stepped
            settle.run_rows(solve_rows, settling, ring, names, columns, rows, n, functions, tables, last=last)
        for name in last:  # INDEX(range, rows) reads the last row, whichever row it is given as
            columns[name] = np.broadcast_to(columns[name][(rows - 1) & 1], (rows, n))
        columns = {name: values for name, values in columns.items() if name not in ring or name in last}
        if keep is not None:  # results only: a column the same in every scenario is read as one (later tables)
            for name in same_columns(table, same_ranges) & columns.keys():
                columns[name] = np.broadcast_to(columns[name][:, :1], columns[name].shape)
    if keep_tables:
        for values in columns.values():
            np.copyto(values, np.nan, where=~np.isfinite(values))
    return columns
