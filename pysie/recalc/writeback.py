"""``pysie recalc``: recalculate a workbook and store the new cached values.

The output keeps the input's bytes except the ``<v>`` of each formula cell,
is written atomically, and never replaces an existing file unless asked. An
output that is BOOK itself (by name, symbolic or hard link) needs
``--in-place``; a symbolic link is written through, so ``recalc link.xlsx
--in-place`` updates the file it points at and the link stays a link.
"""

from __future__ import annotations

from pathlib import Path

from pysie import steps
from pysie.excel.cache import write_cached_values
from pysie.fileio import atomic_output, check_target, same_file
from pysie.recalc import recalculate
from pysie.spec import InputError


def recalc_to_file(
    book: Path, output: Path | None, *, engine: str = "compiled", overwrite: bool = False, in_place: bool = False
) -> Path:
    """Recalculate ``book`` and write it to ``output`` (or over ``book`` with ``in_place``)."""
    book = Path(book)
    inputs: tuple[Path, ...] = (book,)
    if in_place:
        if output is not None and not same_file(Path(output), book):
            raise InputError("give either -o OUTPUT or --in-place, not both")
        output, overwrite, inputs = book, True, ()
    if output is None:
        raise InputError("recalc needs -o OUTPUT (or --in-place to update BOOK itself)")
    if same_file(Path(output), book) and not in_place:
        raise InputError(f"{output}: is BOOK itself; pass --in-place to update it, or name another -o file")
    check_target(Path(output), overwrite=overwrite, inputs=inputs)
    values = recalculate(book, engine)
    steps.begin(f"writing {output}")
    with atomic_output(Path(output), overwrite=overwrite, inputs=inputs) as tmp:
        write_cached_values(book, tmp, values)
    return Path(output)
