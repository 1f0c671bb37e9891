"""Render the chart sheets of a workbook to PNG through LibreOffice.

How only the charts are printed: the workbook is copied to a temporary file in
which every *worksheet* is marked ``state="hidden"`` in ``xl/workbook.xml``
(the first chart sheet becomes the active tab). LibreOffice's PDF export skips
hidden sheets, so the PDF holds exactly one page per chart sheet (each chart
sheet is set to fit one landscape page), which ``pdftoppm`` turns into one PNG
per chart sheet, named after the sheet. Nothing else of the workbook changes,
and the original file is never touched.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import unescape

import defusedxml.ElementTree as SafeET

from pysie.excel.cache import sheet_parts
from pysie.excel.reader import check_container
from pysie.options import MAX_DPI, MIN_DPI
from pysie.spec import InputError

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET_TAG = re.compile(rb"<sheet\b[^>]*?/>")


def chart_sheet_names(path: Path) -> list[str]:
    """Names of the chart sheets of ``path``, in tab order."""
    with zipfile.ZipFile(path) as book:
        worksheets = set(sheet_parts(book))
        workbook = SafeET.fromstring(book.read("xl/workbook.xml"))
    names = [s.get("name") for s in workbook.iter(f"{{{_NS_MAIN}}}sheet")]
    return [n for n in names if n is not None and n not in worksheets]


def _hide_worksheets(workbook_xml: bytes, keep: set[str]) -> bytes:
    """``xl/workbook.xml`` with every sheet not in ``keep`` hidden and the
    first kept sheet made the active tab."""
    tags = _SHEET_TAG.findall(workbook_xml)
    first_kept = None
    for i, tag in enumerate(tags):
        found = re.search(rb'\sname="([^"]*)"', tag)
        name = unescape(found.group(1).decode("utf-8"), {"&quot;": '"', "&apos;": "'"}) if found else None
        if name in keep:
            first_kept = i if first_kept is None else first_kept
            continue
        hidden = re.sub(rb'\s+state="[^"]*"', b"", tag).replace(b"<sheet ", b'<sheet state="hidden" ', 1)
        workbook_xml = workbook_xml.replace(tag, hidden, 1)
    view = re.sub(rb'\s+(activeTab|firstSheet)="\d+"', b"", workbook_xml)
    return re.sub(
        rb"<workbookView\b",
        f'<workbookView activeTab="{first_kept or 0}" firstSheet="{first_kept or 0}"'.encode(),
        view,
        count=1,
    )


def charts_only_copy(src: Path, dst: Path) -> list[str]:
    """Copy ``src`` to ``dst`` with only its chart sheets visible; returns their names.

    Raises :class:`InputError` when the workbook has no chart sheet."""
    check_container(src)
    charts = chart_sheet_names(src)
    if not charts:
        raise InputError(f"{src}: has no chart sheet to render")
    sheets_only_copy(src, dst, set(charts))
    return charts


def sheets_only_copy(src: Path, dst: Path, keep: set[str]) -> None:
    """Copy ``src`` to ``dst`` with only the sheets named in ``keep`` visible (LibreOffice
    then prints those alone), the first of them the active tab."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = _hide_worksheets(data, keep)
            zout.writestr(item, data)


def _file_stem(sheet: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", sheet).strip("-") or "chart"


def render_charts(book: Path, out_dir: Path, *, dpi: int = 80, timeout: float = 180.0) -> list[Path]:
    """Write ``out_dir/<book stem>-<chart sheet>.png`` for every chart sheet of
    ``book`` (and the PDF they came from, ``out_dir/<book stem>-charts.pdf``).

    Raises :class:`~pysie.recalc.libreoffice.EngineUnavailable` without soffice or
    pdftoppm, and :class:`~pysie.recalc.libreoffice.EngineFailed` when the page
    count differs from the number of chart sheets (a chart spilling over pages).
    """
    from pysie.recalc.libreoffice import EngineFailed, render_pngs

    book, out_dir = Path(book), Path(out_dir)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise InputError(f"dpi: a whole number between {MIN_DPI} and {MAX_DPI} is needed, found {dpi!r}")
    check_container(book)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is not a folder; -o names the folder for the PNGs")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pysie-render-") as tmp:
        staged = Path(tmp) / f"{book.stem}-charts.xlsx"
        charts = charts_only_copy(book, staged)
        pages = render_pngs(staged, Path(tmp) / "pages", dpi=dpi, timeout=timeout)
        if len(pages) != len(charts):
            raise EngineFailed(
                f"{book}: {len(charts)} chart sheet(s) printed as {len(pages)} page(s); each chart must fit one page"
            )
        shutil.copyfile(Path(tmp) / "pages" / f"{staged.stem}.pdf", out_dir / f"{staged.stem}.pdf")
        written = []
        for sheet, page in zip(charts, pages, strict=False):
            target = out_dir / f"{book.stem}-{_file_stem(sheet)}.png"
            shutil.copyfile(page, target)
            written.append(target)
    return written
