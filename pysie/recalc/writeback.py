"""``pysie recalc``: recalculate a workbook and store the new cached values.

The output keeps the input's bytes except the ``<v>`` of each formula cell,
is written atomically, and never replaces an existing file unless asked.
"""

from __future__ import annotations

from pathlib import Path

from pysie.excel.cache import write_cached_values
from pysie.fileio import atomic_output, check_target
from pysie.recalc import recalculate
from pysie.spec import InputError


def recalc_to_file(
    book: Path, output: Path | None, *, engine: str = "compiled", overwrite: bool = False, in_place: bool = False
) -> Path:
    """Recalculate ``book`` and write it to ``output`` (or over ``book`` with ``in_place``)."""
    if in_place:
        if output is not None and Path(output).resolve() != Path(book).resolve():
            raise InputError("give either -o OUTPUT or --in-place, not both")
        output, overwrite = book, True
    if output is None:
        raise InputError("recalc needs -o OUTPUT (or --in-place to update BOOK itself)")
    check_target(Path(output), overwrite=overwrite)
    values = recalculate(book, engine)
    with atomic_output(Path(output), overwrite=overwrite) as tmp:
        write_cached_values(book, tmp, values)
    return Path(output)
