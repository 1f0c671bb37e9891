"""Tests for the LibreOffice recalculation / rendering backend."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pysie.recalc import libreoffice as lo
from pysie.recalc.libreoffice import (
    EngineFailed,
    EngineUnavailable,
    export_pdf,
    find_soffice,
    recalculate_libreoffice,
    render_pngs,
)

# ---------------------------------------------------------------------------
# Fixtures / helpers
# ---------------------------------------------------------------------------

STALE = 999


@pytest.fixture
def stale_workbook(tmp_path: Path) -> Path:
    """A workbook whose formula cells all carry a deliberately wrong cache."""
    path = tmp_path / "stale.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    other = wb.add_worksheet("Other")
    ws.write("A1", 2)
    ws.write("A2", 5)
    ws.write_formula("B1", "=A1*3", None, STALE)
    wb.define_name("growth", "=Sheet1!$A$2")
    ws.write_formula("C1", "=growth*2", None, STALE)
    ws.write_formula("D1", "=1/0", None, STALE)
    ws.write_formula("E1", "=10^400", None, STALE)
    other.write_formula("A1", "=Sheet1!B1+1", None, STALE)
    wb.close()
    return path


def _values(path: Path) -> dict[str, object]:
    """Cached values of the interesting cells, read with openpyxl."""
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        s1, s2 = wb["Sheet1"], wb["Other"]
        return {
            "B1": s1["B1"].value,
            "C1": s1["C1"].value,
            "D1": s1["D1"].value,
            "E1": s1["E1"].value,
            "Other!A1": s2["A1"].value,
        }
    finally:
        wb.close()


def _decode_png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Minimal PNG decoder (8-bit, non-interlaced): (w, h, bpp, rows)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0, (depth, interlace)
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color]
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1 : i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            if ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def _distinct_colours(path: Path) -> int:
    """Number of distinct pixel colours in a PNG."""
    _, _, bpp, rows = _decode_png(path)
    colours: set[bytes] = set()
    for row in rows:
        for x in range(0, len(row), bpp):
            colours.add(row[x : x + bpp])
    return len(colours)


def _assert_group_dead(pgid: int) -> None:
    """Assert that process group *pgid* has no live (non-zombie) member.

    Orphaned helpers LibreOffice forks (e.g. gpgconf) may linger as zombies
    when PID 1 does not reap children (as in some containers); zombies are
    dead processes, so they are ignored when /proc is available. The tests
    also ask ``pgrep`` independently.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return  # the whole process group is gone
    live = lo._live_group_members(pgid)
    assert live is not None, f"process group {pgid} still exists"
    assert not live, f"live processes left in group {pgid}: {live}"


@pytest.fixture
def started_processes(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen]:
    """Every process the LibreOffice backend starts during the test."""
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(lo.subprocess, "Popen", recording_popen)
    return started


def _pdf_pages(pdf: Path) -> int:
    """Page count via pdfinfo (poppler-utils)."""
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError(f"pdfinfo gave no page count:\n{out}")


# ---------------------------------------------------------------------------
# Tests that need no LibreOffice
# ---------------------------------------------------------------------------


def test_missing_soffice_raises_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stale_workbook: Path
) -> None:
    monkeypatch.setenv("PYSIE_SOFFICE", str(tmp_path / "no-such-soffice"))
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(lo, "_COMMON_SOFFICE_LOCATIONS", ())
    assert find_soffice() is None
    with pytest.raises(EngineUnavailable) as exc:
        recalculate_libreoffice(stale_workbook, tmp_path / "out.xlsx")
    msg = str(exc.value)
    assert "apt-get install libreoffice-calc" in msg
    assert "PYSIE_SOFFICE" in msg
    assert not (tmp_path / "out.xlsx").exists()


def test_pysie_soffice_env_takes_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "my-soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PYSIE_SOFFICE", str(fake))
    assert find_soffice() == str(fake)


def test_missing_pdftoppm_raises_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stale_workbook: Path
) -> None:
    monkeypatch.setattr(lo, "find_pdftoppm", lambda: None)
    with pytest.raises(EngineUnavailable, match="apt-get install poppler-utils"):
        render_pngs(stale_workbook, tmp_path / "png")


def test_dst_equal_to_src_is_refused(stale_workbook: Path) -> None:
    before = stale_workbook.read_bytes()
    with pytest.raises(ValueError):
        recalculate_libreoffice(stale_workbook, stale_workbook)
    assert stale_workbook.read_bytes() == before


# ---------------------------------------------------------------------------
# Tests that run LibreOffice
# ---------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_forced_recalc_replaces_stale_cached_values(tmp_path: Path, stale_workbook: Path) -> None:
    # Precondition: the input really carries stale caches.
    assert _values(stale_workbook)["B1"] == STALE

    forced = tmp_path / "forced.xlsx"
    recalculate_libreoffice(stale_workbook, forced, force=True)
    vals = _values(forced)
    assert vals["B1"] == 6
    assert vals["C1"] == 10  # defined name growth = Sheet1!$A$2 = 5
    assert vals["Other!A1"] == 7  # cross-sheet reference

    # Control: without forcing, LibreOffice keeps the stale cache. This is
    # what proves the forced profile is what makes the check above pass.
    unforced = tmp_path / "unforced.xlsx"
    recalculate_libreoffice(stale_workbook, unforced, force=False)
    vals = _values(unforced)
    assert vals["B1"] == STALE
    assert vals["C1"] == STALE
    assert vals["Other!A1"] == STALE


@pytest.mark.libreoffice
def test_error_cells_round_trip_as_excel_error_strings(tmp_path: Path, stale_workbook: Path) -> None:
    out = tmp_path / "out.xlsx"
    recalculate_libreoffice(stale_workbook, out)
    vals = _values(out)
    assert vals["D1"] == "#DIV/0!"
    assert vals["E1"] == "#NUM!"


@pytest.mark.libreoffice
def test_src_unchanged_and_existing_dst_replaced(tmp_path: Path, stale_workbook: Path) -> None:
    before = stale_workbook.read_bytes()
    mtime = stale_workbook.stat().st_mtime_ns
    dst = tmp_path / "sub" / "result.xlsx"
    dst.parent.mkdir()
    dst.write_bytes(b"old contents, not a workbook")

    recalculate_libreoffice(stale_workbook, dst)

    assert stale_workbook.read_bytes() == before
    assert stale_workbook.stat().st_mtime_ns == mtime
    assert _values(dst)["B1"] == 6
    # No temp files or lock files left in either directory.
    assert sorted(p.name for p in dst.parent.iterdir()) == ["result.xlsx"]
    assert sorted(p.name for p in stale_workbook.parent.iterdir()) == sorted(["stale.xlsx", "sub"])


@pytest.mark.libreoffice
def test_same_basename_output_in_same_directory(tmp_path: Path, stale_workbook: Path) -> None:
    """A dst next to src with the same basename in another dir must work."""
    other = tmp_path / "copy"
    other.mkdir()
    dst = other / stale_workbook.name
    before = stale_workbook.read_bytes()
    recalculate_libreoffice(stale_workbook, dst)
    assert stale_workbook.read_bytes() == before
    assert _values(dst)["B1"] == 6


@pytest.mark.libreoffice
def test_missing_input_raises_engine_failed(tmp_path: Path) -> None:
    with pytest.raises(EngineFailed, match="does not exist"):
        recalculate_libreoffice(tmp_path / "nope.xlsx", tmp_path / "out.xlsx")


@pytest.mark.libreoffice
def test_timeout_kills_process_group(
    tmp_path: Path, stale_workbook: Path, started_processes: list[subprocess.Popen]
) -> None:
    started = started_processes
    dst = tmp_path / "out.xlsx"
    with pytest.raises(EngineFailed) as exc:
        recalculate_libreoffice(stale_workbook, dst, timeout=0.01)
    assert "timed out" in str(exc.value)
    assert str(stale_workbook) in str(exc.value)
    assert not dst.exists()

    assert len(started) == 1
    proc = started[0]
    assert proc.returncode is not None  # reaped
    _assert_group_dead(proc.pid)
    profile_arg = next(a for a in proc.args if "UserInstallation" in a)
    profile_uri = profile_arg.split("=", 1)[1]
    if shutil.which("pgrep"):
        res = subprocess.run(["pgrep", "-f", profile_uri], capture_output=True)
        assert res.returncode == 1, res.stdout  # 1 = no process matched


@pytest.mark.libreoffice
def test_no_soffice_left_after_normal_run(
    tmp_path: Path, stale_workbook: Path, started_processes: list[subprocess.Popen]
) -> None:
    started = started_processes
    recalculate_libreoffice(stale_workbook, tmp_path / "out.xlsx")
    assert len(started) == 1
    _assert_group_dead(started[0].pid)


@pytest.fixture
def chart_workbook(tmp_path: Path) -> Path:
    """Two printable sheets: data plus one line chart, and a notes sheet."""
    path = tmp_path / "chart.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, ["t", "y"])
    for i in range(10):
        ws.write_number(i + 1, 0, i)
        ws.write_formula(i + 1, 1, f"=A{i + 2}^2", None, 0)
    chart = wb.add_chart({"type": "line"})
    chart.add_series({"name": "y", "values": "=Data!$B$2:$B$11"})
    ws.insert_chart("A13", chart)
    notes = wb.add_worksheet("Notes")
    notes.write("A1", "second page")
    wb.close()
    return path


@pytest.mark.libreoffice
@pytest.mark.poppler
def test_render_pngs_chart_pages(tmp_path: Path, chart_workbook: Path) -> None:
    out_dir = tmp_path / "png"
    pngs = render_pngs(chart_workbook, out_dir, dpi=40)
    pdf = out_dir / "chart.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    expected_pages = 2  # Data (table + chart) and Notes
    assert _pdf_pages(pdf) == expected_pages
    assert len(pngs) == expected_pages
    assert [p.name for p in pngs] == ["chart-1.png", "chart-2.png"]
    # The chart page is not blank: many colours (lines, text, anti-aliasing).
    assert _distinct_colours(pngs[0]) > 2
    assert _distinct_colours(pngs[1]) > 1


@pytest.mark.libreoffice
def test_export_pdf_overwrites_atomically(tmp_path: Path, chart_workbook: Path) -> None:
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(b"stale")
    assert export_pdf(chart_workbook, pdf) == pdf
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
