"""The compiled engine's whole library: the core functions and operators
(:mod:`pysie.recalc.compiled.functions`) with trigonometry and base conversion
(:mod:`~pysie.recalc.compiled.engineering`), the financial functions
(:mod:`~pysie.recalc.compiled.finance`) and statistical aggregates
(:mod:`~pysie.recalc.compiled.stats`).

Each added Excel function's operation is its lower-case name (:func:`_op`); the tables
below are what the parser needs of them (how many arguments, which are
ranges, which results may be text, which arguments are read as numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pysie.recalc.compiled import functions
from pysie.recalc.compiled.engineering import BASE_FUNCTIONS, TRIG_FUNCTIONS
from pysie.recalc.compiled.finance import FINANCE_FUNCTIONS
from pysie.recalc.compiled.stats import STAT_FUNCTIONS


def _op(name: str) -> str:
    """The operation of an added Excel function: its name in lower case, a
    dot as an underscore (``VAR.S`` is ``var_s``), an identifier in generated code."""
    return name.lower().replace(".", "_")


#: Excel name -> (operation, fewest and most arguments) of the added functions.
EXCEL_NAMES: dict[str, tuple[str, int, int]] = {
    **{name: (_op(name), lo, hi) for name, (_, lo, hi) in TRIG_FUNCTIONS.items()},
    **{name: (_op(name), lo, hi) for name, (_, lo, hi, _text) in BASE_FUNCTIONS.items()},
    **{name: (_op(name), lo, hi) for name, (_, lo, hi, _kinds) in FINANCE_FUNCTIONS.items()},
    **{name: (_op(name), lo, hi) for name, (_, lo, hi, _kinds) in STAT_FUNCTIONS.items()},
}
#: Argument kinds of the added operations that take ranges.
ARGUMENT_KINDS: dict[str, tuple[str, str]] = {
    _op(name): kinds
    for table in (FINANCE_FUNCTIONS, STAT_FUNCTIONS)
    for name, (_, _, _, kinds) in table.items()
    if kinds != ("", "v")
}
#: Added operations whose arguments are numbers (a text argument is read as one).
NUMERIC: set[str] = {_op(name) for name in TRIG_FUNCTIONS} | {
    _op(name) for name, (_, _, _, kinds) in FINANCE_FUNCTIONS.items() if kinds == ("", "v")
}
#: Added operations that give text.
TEXT_RESULTS: set[str] = {_op(name) for name, (_, _, _, gives_text) in BASE_FUNCTIONS.items() if gives_text}

#: operation -> implementation, the whole library.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    **functions.FUNCTIONS,
    **{_op(name): fn for name, (fn, _, _) in TRIG_FUNCTIONS.items()},
    **{_op(name): fn for name, (fn, _, _, _) in BASE_FUNCTIONS.items()},
    **{_op(name): fn for name, (fn, _, _, _) in FINANCE_FUNCTIONS.items()},
    **{_op(name): fn for name, (fn, _, _, _) in STAT_FUNCTIONS.items()},
}
