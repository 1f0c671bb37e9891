"""Argument types for the numeric command-line options, and the reading of
parameter values given as text.

:func:`date_value` reads the value of a date parameter (``sc_date``) as the
command line, templates and the library give it: an ISO date
(``2027-03-31``), a ``datetime.date``, or a date serial; a text that is
neither is refused with the rule it breaks. :meth:`pysie.spec.Parameter.validate`
calls it, so ``pysie run --set sc_date=2027-03-31`` and
``Model.resolve(overrides={"sc_date": "2027-03-31"})`` read the same.

:func:`set_usage` explains a ``--set`` that is not ``NAME=VALUE`` in one word.

Each factory returns an ``argparse`` ``type=`` function that parses one option
value strictly and raises :class:`argparse.ArgumentTypeError` with the rule it
breaks, so ``argparse`` prints one usage line naming the option and exits 2
before any work is done. Numbers are read as Python reads a decimal literal
without underscores (``1_000`` is refused), and a float must be finite.
"""

from __future__ import annotations

import argparse
import datetime
import math
import re
from collections.abc import Callable, Sequence

from pysie.dates import EXCEL_EPOCH, date_serial

#: ``pysie render --dpi``: below 10 a chart is unreadable, above 1200 a page is
#: hundreds of megapixels (pdftoppm then writes a 1x1 PNG or runs out of memory).
MIN_DPI, MAX_DPI = 10, 1200

#: the recalculation engines ``--engine`` takes (:mod:`pysie.recalc`)
ENGINES = ("compiled", "formulas", "libreoffice", "excel")

#: Refuse a sweep of more scenarios than this unless ``max_scenarios`` says
#: otherwise: a million scenarios of the retraining workbook take minutes.
MAX_SCENARIOS = 1_000_000

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


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_date(text: str) -> float:
    """An ISO date ``yyyy-mm-dd`` as an Excel date serial (``ValueError`` otherwise,
    also for a day that does not exist such as ``2027-02-30``)."""
    if not _ISO_DATE.match(text.strip()):
        raise ValueError(f"{text!r} is not a date written yyyy-mm-dd")
    try:
        return date_serial(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (no such day)") from None


def date_value(value: object) -> object:
    """The value of a date parameter as a date serial where it is given as a
    date: an ISO text (:func:`parse_date`), a ``datetime.date`` or
    ``datetime.datetime`` (a time of day is a fraction of the day, as Excel
    stores it). A number, or a text that reads as one, is a serial and is
    returned unchanged for the number checks; any other text is ``ValueError``."""
    if isinstance(value, datetime.datetime):
        midnight = datetime.datetime.combine(EXCEL_EPOCH, datetime.time(), tzinfo=value.tzinfo)
        return (value - midnight).total_seconds() / 86400.0
    if isinstance(value, datetime.date):
        return date_serial(value.isoformat())
    if isinstance(value, str) and value.strip():
        try:
            parse_decimal(value)
        except ValueError:
            pass
        else:
            return value
        if _ISO_DATE.match(value.strip()):
            return parse_date(value)
        raise ValueError(f"a date written yyyy-mm-dd (or a date serial) is needed, found {value!r}")
    return value


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


def finite_above(lo: float) -> Callable[[str], float]:
    """A finite number ``> lo`` (a duration such as ``--timeout``)."""

    def parse(text: str) -> float:
        try:
            value = parse_decimal(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a finite number > {lo:g} is needed, found {text!r}") from None
        if not math.isfinite(value) or value <= lo:
            raise argparse.ArgumentTypeError(f"a finite number > {lo:g} is needed, found {value:g}")
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


class UsageError(ValueError):
    """A command line pysie cannot act on; the message says what to give instead."""


def parse_assignments(items: Sequence[str], flag: str = "--set", form: str = "NAME=VALUE") -> dict[str, str]:
    """``NAME=VALUE`` strings (of the option ``flag``) as a dict; values are validated by the model."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UsageError(set_usage(item, form).replace("--set", flag))
        if name in out:
            raise UsageError(f"{name}: given twice ({flag} {name}={out[name]} and {flag} {item.strip()}); give it once")
        out[name] = value
    return out
