"""Recalculate a workbook with the ``formulas`` package (pure Python).

It is the reference for Excel semantics, and slow: loading a workbook of
~30,000 formula cells takes about a minute and ~2 GB (see README benchmarks).

The package loads the file with openpyxl, which indexes each comment's author
in the list of authors; Gnumeric (1.12) writes comments with an empty list
(``<authors/>``), so such a file is handed over as a copy with one unnamed
author added (comments take no part in a recalculation; the user's file is
never changed). A file the package still cannot load is refused in one line.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pysie import steps
from pysie.excel.xlsx import quiet_openpyxl
from pysie.recalc.libreoffice import EngineFailed, private_tempdir

_NO_AUTHORS = re.compile(rb"<authors\s*/>|<authors>\s*</authors>")
_KEY = re.compile(r"^'?\[(?P<book>[^\]]+)\](?P<sheet>.*?)'?!(?P<ref>[A-Z]+[0-9]+)$")


def _plain(value: Any) -> Any:
    """A formulas value as a float, bool, str (errors as '#NUM!') or None."""
    import schedula
    from formulas.tokens.operand import XlError

    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else None
    if isinstance(value, XlError):
        return str(value)
    if value is schedula.EMPTY or value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def recalculate_formulas(
    path: Path, sheet_names: list[str], changes: Mapping[tuple[str, str], float] | None = None
) -> dict[tuple[str, str], Any]:
    """Values of every cell the ``formulas`` package computes, keyed
    ``(sheet, cell)`` with the workbook's own sheet-name spelling."""
    steps.begin("loading the workbook into the formulas package")
    with private_tempdir() as tmp:
        model = _load(_with_comment_authors(Path(path), tmp))
    steps.begin("calculating with the formulas package")
    inputs = {}
    book = Path(path).name.upper()
    for (sheet, cell), value in (changes or {}).items():
        inputs[f"'[{book}]{sheet.upper()}'!{cell}"] = value
    solution = model.calculate(inputs=inputs) if inputs else model.calculate()
    by_upper = {name.upper(): name for name in sheet_names}
    values: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        match = _KEY.match(key)
        if not match:
            continue
        found = by_upper.get(match["sheet"].upper())
        if found is None:
            continue
        values[(found, match["ref"])] = _plain(getattr(ranges, "value", ranges))
    return values


def _load(path: Path) -> Any:
    """The package's model of ``path``, or :class:`EngineFailed` naming the file."""
    import formulas

    try:
        with quiet_openpyxl():
            return formulas.ExcelModel().loads(str(path)).finish()
    except Exception as exc:  # the package and openpyxl fail in many ways on unusual files
        first = (str(exc).strip().splitlines() or [""])[0]
        raise EngineFailed(
            f"{path.name}: the formulas package cannot load it ({type(exc).__name__}: {first}); "
            "try --engine compiled or libreoffice"
        ) from None


def _with_comment_authors(path: Path, tmp: Path) -> Path:
    """``path`` itself, or a copy in ``tmp`` whose comment parts with an empty
    author list have one unnamed author (see the module docstring)."""
    with zipfile.ZipFile(path) as z:
        comments = [n for n in z.namelist() if re.fullmatch(r"xl/comments\d*\.xml", n)]
        broken = [n for n in comments if _NO_AUTHORS.search(z.read(n)[:4096])]
        if not broken:
            return path
        copy = tmp / path.name
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
            for info in z.infolist():
                with z.open(info) as src, out.open(info, "w") as dst:
                    if info.filename in broken:
                        dst.write(_NO_AUTHORS.sub(b"<authors><author></author></authors>", src.read(), count=1))
                    else:
                        shutil.copyfileobj(src, dst)
    return copy
