"""Argument types for the numeric command-line options.

:func:`set_usage` explains a ``--set`` that is not ``NAME=VALUE`` in one word.

Each factory returns an ``argparse`` ``type=`` function that parses one option
value strictly and raises :class:`argparse.ArgumentTypeError` with the rule it
breaks, so ``argparse`` prints one usage line naming the option and exits 2
before any work is done. Numbers are read as Python reads a decimal literal
without underscores (``1_000`` is refused), and a float must be finite.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

#: ``pysie render --dpi``: below 10 a chart is unreadable, above 1200 a page is
#: hundreds of megapixels (pdftoppm then writes a 1x1 PNG or runs out of memory).
MIN_DPI, MAX_DPI = 10, 1200

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|infinity|nan)$", re.I)


def parse_integer(text: str) -> int:
    """A whole number written in decimal digits (``ValueError`` otherwise)."""
    if not _INTEGER.match(text.strip()):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def parse_decimal(text: str) -> float:
    """A decimal number (``1.5``, ``.5``, ``2e-3``, ``inf``, ``nan``): what
    ``float`` reads, without underscores, hex or surrounding junk."""
    if not _DECIMAL.match(text.strip()):
        raise ValueError(f"{text!r} is not a number")
    return float(text)


def integer_in(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """A whole number ``lo <= n`` (and ``<= hi`` when given)."""
    where = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"

    def parse(text: str) -> int:
        try:
            value = parse_integer(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a whole number {where} is needed, found {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"a whole number {where} is needed, found {value}")
        return value

    parse.__name__ = "whole number"
    return parse


def finite_at_least(lo: float) -> Callable[[str], float]:
    """A finite number ``>= lo``."""

    def parse(text: str) -> float:
        try:
            value = parse_decimal(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a finite number >= {lo:g} is needed, found {text!r}") from None
        if not math.isfinite(value) or value < lo:
            raise argparse.ArgumentTypeError(f"a finite number >= {lo:g} is needed, found {value:g}")
        return value

    parse.__name__ = "number"
    return parse


#: A word that reads as a value or a range (``1.5``, ``-2``, ``1e3``, ``1:2:5``, ``inf``).
VALUE_LIKE = re.compile(r"^[-+]?(?:[0-9]|\.[0-9]|inf|nan)[0-9a-z.:+_-]*$", re.I)


def set_usage(item: str, form: str, following: str | None = None) -> str:
    """Why ``--set item`` (perhaps followed by the word ``following``) is not
    ``--set NAME=VALUE``, with the spelling meant when it can be told."""
    name, sep, value = item.partition("=")
    name, value = name.strip(), value.strip()
    if name and not value and following is not None and VALUE_LIKE.match(following.lstrip("=")):
        return f"--set takes {form} as one word; did you mean --set {name}={following.lstrip('=')}?"
    if not name:
        return f"--set takes {form}; {item!r} has no name before ="
    if not sep:
        return f"--set takes {form}; {item!r} has no =VALUE"
    return f"--set takes {form}; {name} has no value after ="
