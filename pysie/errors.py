"""The one exception of bad input, shared by every layer (declarations,
distributions, the CLI, the workbook reader)."""

from __future__ import annotations


class InputError(ValueError):
    """A bad parameter value or name; the message names the parameter (and,
    when read from a workbook, the sheet and cell)."""
