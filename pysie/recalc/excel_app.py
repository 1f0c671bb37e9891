"""Recalculate a workbook in Microsoft Excel itself, through xlwings.

``--engine excel`` (``pip install 'pysie[excel]'``, on Windows or macOS with
Excel installed) does, for one workbook:

1. copy it to a private temporary folder (the user's file is never opened,
   so it cannot be changed or locked);
2. start an invisible Excel (``xlwings.App(visible=False, add_book=False)``,
   alerts and screen updating off) and open the copy read-only, links not
   updated;
3. force a full recalculation (``Application.CalculateFullRebuild``: every
   formula is re-parsed and recomputed, whatever the cached values say);
4. read the value of every formula cell, one rectangular block per sheet
   (errors as their codes such as ``#NUM!``, dates back to date serials);
5. close the copy without saving and quit the Excel it started (in
   ``finally`` blocks, so an error on the way leaves no window behind; an
   Excel that was already running before is left running), then remove the
   temporary folder.

Where there is no Excel (Linux) or no xlwings, :func:`require_excel` raises
:class:`~pysie.recalc.libreoffice.EngineUnavailable` with one line saying
what is needed, before any work; the command line turns it into exit
status 2.

Only the refusal and the protocol above (against a stand-in for xlwings)
are tested on the project's Linux machines; the calls into a real Excel are
not exercised there.
"""

from __future__ import annotations

import contextlib
import datetime
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from pysie.dates import EXCEL_EPOCH
from pysie.recalc.libreoffice import EngineFailed, EngineUnavailable

#: Platforms where Microsoft Excel runs (and xlwings can drive it).
EXCEL_PLATFORMS = ("win32", "darwin")

INSTALL_HINT = "install Microsoft Excel and pip install 'pysie[excel]' (xlwings)"
OTHER_ENGINES = "or use --engine compiled, formulas or libreoffice"


def require_excel() -> Any:
    """The xlwings module, or :class:`EngineUnavailable` with one line saying
    why the excel engine cannot run here and how to get it."""
    if sys.platform not in EXCEL_PLATFORMS:
        raise EngineUnavailable(
            f"the excel engine needs Microsoft Excel, which runs on Windows and macOS, not on this machine "
            f"({sys.platform}): there, {INSTALL_HINT}; {OTHER_ENGINES}"
        )
    try:
        import xlwings
    except ImportError:
        raise EngineUnavailable(
            f"the excel engine needs xlwings and Microsoft Excel: {INSTALL_HINT}; {OTHER_ENGINES}"
        ) from None
    return xlwings


def recalculate_excel(path: Path, cells: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The value Excel computes for each ``(sheet, cell)`` of ``cells`` after a
    full recalculation of (a copy of) ``path``; see the module docstring."""
    xw = require_excel()
    wanted = list(cells)
    with tempfile.TemporaryDirectory(prefix="pysie-xl-") as folder:
        copy = Path(folder) / Path(path).name
        shutil.copyfile(path, copy)
        try:
            with _excel(xw) as app:
                book = app.books.open(str(copy), update_links=False, read_only=True)
                try:
                    _full_recalculation(app)
                    return read_values(book, wanted)
                finally:
                    book.close()  # without saving
        except (EngineUnavailable, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise EngineFailed(f"{path}: Excel could not recalculate it ({_one_line(exc)})") from exc


@contextlib.contextmanager
def _excel(xw: Any) -> Iterator[Any]:
    """An invisible Excel for this process; quit afterwards unless it was
    running before (on macOS xlwings may attach to the one Excel there is)."""
    running = {app.pid for app in xw.apps}
    try:
        app = xw.App(visible=False, add_book=False)
    except Exception as exc:
        raise EngineUnavailable(
            f"cannot start Microsoft Excel through xlwings ({_one_line(exc)}); {INSTALL_HINT}"
        ) from exc
    try:
        app.display_alerts = False
        app.screen_updating = False
        yield app
    finally:
        if app.pid not in running:
            try:
                app.quit()
            except Exception:
                with contextlib.suppress(Exception):
                    app.kill()


def _one_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _full_recalculation(app: Any) -> None:
    """Recompute every formula (``CalculateFullRebuild``; AppleScript's
    ``calculate full rebuild`` on macOS)."""
    api = app.api
    if sys.platform == "win32":
        api.CalculateFullRebuild()
    else:
        api.calculate_full_rebuild()


def read_values(book: Any, cells: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Values of ``cells`` of an open xlwings book: one read of the block that
    spans each sheet's cells (a cell at a time through COM or AppleScript
    would take minutes for a workbook of 30,000 formulas)."""
    by_sheet: dict[str, list[tuple[str, int, int]]] = {}
    for sheet, ref in cells:
        letters, row = coordinate_from_string(ref)
        by_sheet.setdefault(sheet, []).append((ref, row, column_index_from_string(letters)))
    out: dict[tuple[str, str], Any] = {}
    for sheet, refs in by_sheet.items():
        top, left = min(r for _, r, _ in refs), min(c for _, _, c in refs)
        bottom, right = max(r for _, r, _ in refs), max(c for _, _, c in refs)
        block = book.sheets[sheet].range(f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}")
        rows = block.options(ndim=2, err_to_str=True).value
        for ref, row, col in refs:
            out[(sheet, ref)] = plain_value(rows[row - top][col - left])
    return out


def plain_value(value: Any) -> Any:
    """An xlwings value as the engines return one: a float, bool, text (error
    codes such as ``#NUM!``) or None; a date or time as its Excel serial."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, datetime.datetime):
        epoch = datetime.datetime.combine(EXCEL_EPOCH, datetime.time(), tzinfo=value.tzinfo)
        return (value - epoch) / datetime.timedelta(days=1)
    if isinstance(value, datetime.date):
        return float((value - EXCEL_EPOCH).days)
    if isinstance(value, datetime.timedelta):
        return value / datetime.timedelta(days=1)
    return float(value)
