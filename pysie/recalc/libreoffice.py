"""Recalculate and render xlsx workbooks with a headless LibreOffice.

Why forcing recalculation matters
---------------------------------
An xlsx file stores, next to every formula, the value that the last program
to save it computed (the *cached* value).  Workbooks written by xlsxwriter or
openpyxl either carry no cached value at all or a placeholder (``0`` or
whatever the caller passed), so the cached values say nothing about what the
formulas really evaluate to.  When LibreOffice loads an OOXML or ODF file its
default policy ("recalculation on file load") is *never* or *prompt*; in
headless mode the prompt is answered "no", so the stale cached values are
carried straight into the converted file.  A cross-check that reads
``data_only=True`` values from such a file would then compare the model with
the numbers the writer made up, not with what a spreadsheet computes.

How the profile forces it
-------------------------
Each call starts soffice with a private, freshly created user profile
(``-env:UserInstallation=file:///tmp/...``) inside a
:class:`tempfile.TemporaryDirectory`.  Before launch the profile's
``user/registrymodifications.xcu`` is written with the configuration keys
``/org.openoffice.Office.Calc/Formula/Load/OOXMLRecalcMode`` and
``.../ODFRecalcMode`` set to ``0`` ("always recalculate").  LibreOffice reads
this file at start-up, so every formula is recomputed when the workbook is
loaded and the converted file carries freshly computed values.  With
``force=False`` the keys are set to ``1`` ("never"), which exists only so the
tests can demonstrate that the forced path is what makes the values right.

A private profile per call also means calls never share state with a desktop
LibreOffice session or with each other, and concurrent conversions do not
collide on the profile lock.

Process handling
----------------
soffice is a shell script that launches ``oosplash`` which launches
``soffice.bin``.  It is therefore started in its own session/process group
(``start_new_session=True``); on timeout, and as a safety net after every
run, the whole group is sent ``SIGKILL`` so no LibreOffice process outlives
the call.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pysie import steps
from pysie.console import terminate_as_exit

__all__ = [
    "EngineFailed",
    "EngineUnavailable",
    "export_pdf",
    "find_pdftoppm",
    "find_soffice",
    "private_tempdir",
    "recalculate_libreoffice",
    "render_pngs",
    "sweep_stale_tempdirs",
]

#: Environment variable that names the soffice binary explicitly.
SOFFICE_ENV = "PYSIE_SOFFICE"

#: Filter used to write xlsx output (the shell form is
#: ``--convert-to xlsx:"Calc MS Excel 2007 XML"``; without a shell the quotes
#: must not be part of the argument).
XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"

#: Filter used to write PDF output.
PDF_FILTER = "pdf:calc_pdf_Export"

_SOFFICE_INSTALL_HINT = (
    "LibreOffice (soffice) was not found. Install it with "
    "'apt-get install libreoffice-calc' (Debian/Ubuntu), or set the "
    f"environment variable {SOFFICE_ENV} to the soffice binary."
)

_PDFTOPPM_INSTALL_HINT = "pdftoppm was not found. Install it with 'apt-get install poppler-utils' (Debian/Ubuntu)."

#: Places where LibreOffice is commonly installed when it is not on PATH.
_COMMON_SOFFICE_LOCATIONS: tuple[str, ...] = (
    "/usr/bin/soffice",
    "/usr/local/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/snap/bin/libreoffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)

_STDERR_TAIL_CHARS = 2000

#: Seconds a LibreOffice run may take before its process group is killed (less
#: when the command's ``--timeout`` leaves less: :func:`pysie.steps.child_timeout`).
TIMEOUT = 180.0


class EngineUnavailable(RuntimeError):
    """A required external program (soffice or pdftoppm) is not installed."""


class EngineFailed(RuntimeError):
    """soffice (or pdftoppm) ran but failed, timed out or produced no output."""


# ---------------------------------------------------------------------------
# Locating binaries
# ---------------------------------------------------------------------------


def _is_executable(path: str | os.PathLike[str]) -> bool:
    """Return True if *path* is an existing, executable regular file."""
    p = Path(path)
    return p.is_file() and os.access(p, os.X_OK)


def find_soffice() -> str | None:
    """Locate the LibreOffice ``soffice`` binary.

    Search order: the ``PYSIE_SOFFICE`` environment variable (an executable
    file, or a command found on PATH), then ``soffice`` and ``libreoffice`` on
    PATH, then a list of common install locations. When ``PYSIE_SOFFICE`` is
    set but names nothing runnable, the search stops there: an explicit choice
    that is wrong should fail, not silently run another LibreOffice.

    Returns:
        The path to the binary, or ``None`` if none was found.
    """
    env = os.environ.get(SOFFICE_ENV, "").strip()
    if env:
        if _is_executable(env):
            return env
        return shutil.which(env)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in _COMMON_SOFFICE_LOCATIONS:
        if _is_executable(candidate):
            return candidate
    return None


def find_pdftoppm() -> str | None:
    """Locate poppler's ``pdftoppm`` on PATH (or ``None`` if missing)."""
    return shutil.which("pdftoppm")


def _require_soffice() -> str:
    """Return the soffice path or raise :class:`EngineUnavailable`."""
    soffice = find_soffice()
    if soffice is None:
        env = os.environ.get(SOFFICE_ENV, "").strip()
        where = f"{SOFFICE_ENV}={env} is not an executable file or command; " if env else ""
        raise EngineUnavailable(where + _SOFFICE_INSTALL_HINT)
    return soffice


# ---------------------------------------------------------------------------
# Private temporary folders
# ---------------------------------------------------------------------------

#: Prefix of the temporary folders holding a LibreOffice profile and files.
TEMP_PREFIX = "pysie-lo-"
#: File in each such folder naming the process that made it: "pid start-time".
_OWNER_FILE = ".pysie-owner"
#: File naming the process group of the program run in the folder.
_GROUP_FILE = ".pysie-group"


def _kill_orphaned_group(folder: Path) -> None:
    """Kill the process group recorded in ``folder`` if one of its processes
    still runs with ``folder`` on its command line (a soffice whose pysie was
    killed); a reused group id of an unrelated program is never touched."""
    try:
        pgid = int((folder / _GROUP_FILE).read_text())
    except (OSError, ValueError):
        return
    for pid in _live_group_members(pgid) or []:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(folder).encode() in cmdline:
            _kill_group(pgid)
            return


def _process_start(pid: int) -> str:
    """Start time of process *pid* in clock ticks since boot (``/proc``), or
    '' where unknown; with the pid it tells a live owner from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def _owner_alive(owner: str) -> bool:
    """Is the process named by an owner file ("pid start-time") still running?"""
    try:
        pid_text, _, start = owner.strip().partition(" ")
        pid = int(pid_text)
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: leave its folder alone
    return not start or not _process_start(pid) or _process_start(pid) == start


def sweep_stale_tempdirs(root: Path | None = None) -> list[Path]:
    """Remove ``pysie-lo-*`` folders left by a pysie process that died without
    cleaning up (SIGKILL, power loss); returns what was removed.

    Only folders of pysie's own making are touched: owned by this user and
    holding an owner file whose process is gone. A folder of a running pysie,
    of another user or without an owner file is left alone."""
    root = Path(root or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        candidates = [p for p in root.iterdir() if p.name.startswith(TEMP_PREFIX)]
    except OSError:
        return removed
    for folder in candidates:
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            owner = (folder / _OWNER_FILE).read_text()
        except OSError:
            continue
        if not _owner_alive(owner):
            _kill_orphaned_group(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def private_tempdir() -> Iterator[Path]:
    """A fresh ``pysie-lo-*`` temporary folder, removed on leaving (also on
    Ctrl-C and, through :func:`pysie.console.terminate_as_exit`, SIGTERM).
    It holds an owner file, so that after a SIGKILL the next call removes it
    (:func:`sweep_stale_tempdirs`, run first)."""
    sweep_stale_tempdirs()
    with terminate_as_exit(), tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
        (Path(tmp) / _OWNER_FILE).write_text(f"{os.getpid()} {_process_start(os.getpid())}\n")
        yield Path(tmp)


# ---------------------------------------------------------------------------
# Profile and process helpers
# ---------------------------------------------------------------------------


def _registry_xcu(recalc_mode: int) -> str:
    """Build a ``registrymodifications.xcu`` setting the recalc-on-load mode.

    Args:
        recalc_mode: 0 = always recalculate, 1 = never, 2 = prompt.
    """
    items = []
    for key in ("OOXMLRecalcMode", "ODFRecalcMode"):
        items.append(
            '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
            f'<prop oor:name="{key}" oor:op="fuse"><value>{recalc_mode}</value>'
            "</prop></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + "\n".join(items) + "\n</oor:items>\n"
    )


def _write_profile(profile_dir: Path, *, force: bool) -> None:
    """Create a fresh LibreOffice user profile that pins the recalc policy."""
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_registry_xcu(0 if force else 1), encoding="utf-8")


def _live_group_members(pgid: int) -> list[int] | None:
    """PIDs of non-zombie processes in group *pgid* (Linux ``/proc`` only).

    Zombies are ignored: they are already dead and only wait to be reaped by
    their parent (orphans are reaped by init, which is outside our control).

    Returns:
        The list of live PIDs, or ``None`` where ``/proc`` is unavailable.
    """
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    live: list[int] = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # Format: pid (comm) state ppid pgrp ...; comm may contain spaces.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in "ZX":
            live.append(int(entry.name))
    return live


def _kill_group(pgid: int, *, settle: float = 5.0) -> None:
    """SIGKILL every process in group *pgid* and wait until they are gone.

    Ignores a group that no longer exists.  Waits at most *settle* seconds
    for the kernel to finish the killed processes, so that on return no live
    process of the group remains.
    """
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        live = _live_group_members(pgid)
        if live is None:  # no /proc: fall back to probing the group
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
        elif not live:
            return
        time.sleep(0.02)


def _tail(path: Path, limit: int = _STDERR_TAIL_CHARS) -> str:
    """Return the last *limit* characters of a text log file ('' if absent)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    text = text.strip()
    return text[-limit:] if len(text) > limit else text


def _run_group(
    cmd: list[str],
    *,
    timeout: float,
    logs_dir: Path,
    what: str,
    env: dict[str, str] | None = None,
) -> str:
    """Run *cmd* in its own process group, enforcing *timeout*.

    The whole group is killed on timeout and, as a safety net, after a
    normal exit (LibreOffice helpers could otherwise linger).

    Args:
        cmd: Command line.
        timeout: Seconds before the group is killed.
        logs_dir: Directory receiving the stdout/stderr capture files.
        what: Human-readable description used in error messages.
        env: Environment for the child (default: inherit).

    Returns:
        The tail of the captured stderr (for diagnostics).

    Raises:
        EngineFailed: on timeout or non-zero exit status.
    """
    out_path = logs_dir / "stdout.log"
    err_path = logs_dir / "stderr.log"
    # Files rather than pipes: a lingering grandchild holding a pipe open
    # cannot then block us after the direct child has exited.
    with open(out_path, "wb") as out_f, open(err_path, "wb") as err_f:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out_f,
            stderr=err_f,
            start_new_session=True,
            env=env,
        )
        pgid = proc.pid  # session leader: its pid is the process-group id
        # for sweep_stale_tempdirs, should this process die before killing the group
        (logs_dir / _GROUP_FILE).write_text(f"{pgid}\n")
        program = Path(cmd[0]).name
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(pgid)
            proc.wait()
            steps.check()  # the command's --timeout, not this run's own limit, was reached
            raise EngineFailed(
                f"{what}: timed out after {timeout:g} s (process group killed)."
                + _format_stderr(_tail(err_path), program)
            ) from None
        except BaseException:  # KeyboardInterrupt etc.: never leak soffice
            _kill_group(pgid)
            proc.wait()
            raise
        finally:
            _kill_group(pgid)
    if returncode != 0:
        raise EngineFailed(f"{what}: exited with status {returncode}." + _format_stderr(_tail(err_path), program))
    return _tail(err_path)


def _format_stderr(tail: str, program: str = "soffice") -> str:
    """Format the stderr *tail* of *program* for an exception message."""
    if not tail:
        return f"\n({program} wrote nothing to stderr)"
    return f"\n{program} stderr (tail):\n{tail}"


def _soffice_convert(
    src: Path,
    out_dir: Path,
    convert_to: str,
    out_suffix: str,
    *,
    timeout: float,
    force: bool = True,
) -> Path:
    """Convert *src* with headless soffice into *out_dir*; return the result.

    This is the one place that invokes LibreOffice.  It creates a private
    profile (pinning the recalc-on-load policy, see the module docstring),
    copies *src* into a private input directory (so LibreOffice never writes
    lock files next to, or output over, the caller's file), runs
    ``soffice --headless --convert-to`` into a private output directory, and
    moves the result into *out_dir* under a temporary name.

    Args:
        src: Workbook to convert.
        out_dir: Existing directory that receives the converted file.
        convert_to: Value of ``--convert-to`` (e.g. ``'pdf'``).
        out_suffix: Suffix of the file LibreOffice writes (e.g. ``'.pdf'``).
        timeout: Seconds before the soffice process group is killed.
        force: Always recalculate on load (``True``) or never (``False``).

    Returns:
        Path of the converted file, placed in *out_dir* under a unique
        temporary name; the caller renames it into place.

    Raises:
        EngineUnavailable: soffice is not installed.
        EngineFailed: the conversion failed, timed out or produced no file.
    """
    soffice = _require_soffice()
    src = Path(src)
    if not src.is_file():
        raise EngineFailed(f"Cannot convert {src}: input file does not exist.")
    what = f"LibreOffice conversion of {src} to {convert_to}"
    with private_tempdir() as tmp_path:
        profile = tmp_path / "profile"
        in_dir = tmp_path / "in"
        conv_dir = tmp_path / "out"
        for d in (profile, in_dir, conv_dir):
            d.mkdir()
        _write_profile(profile, force=force)
        # Plain ASCII basename: avoids surprises with odd characters.
        stem = "workbook"
        staged = in_dir / (stem + (src.suffix or ".xlsx"))
        shutil.copyfile(src, staged)
        cmd = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--nofirststartwizard",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            convert_to,
            "--outdir",
            str(conv_dir),
            str(staged),
        ]
        env = dict(os.environ)
        env.setdefault("HOME", str(tmp_path))  # soffice insists on a HOME
        env["TMPDIR"] = str(tmp_path)  # soffice's own lu*.tmp files go with the folder
        stderr_tail = _run_group(cmd, timeout=timeout, logs_dir=tmp_path, what=what, env=env)
        produced = conv_dir / (stem + out_suffix)
        if not produced.is_file() or produced.stat().st_size == 0:
            raise EngineFailed(
                f"{what}: soffice exited normally but wrote no {out_suffix} file."
                + _format_stderr(stderr_tail, Path(soffice).name)
            )
        fd, tmp_name = tempfile.mkstemp(prefix=".pysie-", suffix=out_suffix + ".part", dir=out_dir)
        os.close(fd)
        try:
            shutil.move(str(produced), tmp_name)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return Path(tmp_name)


def _install_atomically(tmp_file: Path, dst: Path) -> None:
    """``os.replace`` *tmp_file* onto *dst*, removing *tmp_file* on failure."""
    try:
        os.replace(tmp_file, dst)
    except BaseException:
        tmp_file.unlink(missing_ok=True)
        raise


def _check_distinct(src: Path, dst: Path) -> None:
    """Refuse to write the output over the input file."""
    if dst.exists() and src.exists() and os.path.samefile(src, dst):
        raise ValueError(f"dst must differ from src (both are {src}).")
    if dst.resolve() == src.resolve():
        raise ValueError(f"dst must differ from src (both are {src}).")


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def recalculate_libreoffice(src: Path, dst: Path, *, timeout: float = 180.0, force: bool = True) -> None:
    """Recalculate every formula of *src* with LibreOffice and save to *dst*.

    The workbook is opened headlessly with a private profile that forces a
    full recalculation on load (see the module docstring), converted back to
    xlsx, and written to *dst* atomically (temp file in the destination
    directory, then ``os.replace``).  *src* is never modified.

    Args:
        src: Input ``.xlsx`` workbook.
        dst: Output path (overwritten atomically if it exists).  Must differ
            from *src*.
        timeout: Seconds before soffice is killed and :class:`EngineFailed`
            is raised.
        force: Always recalculate on load (default).  ``False`` tells
            LibreOffice never to recalculate; only useful to demonstrate
            that forcing matters.

    Raises:
        EngineUnavailable: soffice is not installed.
        EngineFailed: the conversion failed, timed out or the result is not
            a valid xlsx (zip) file.
        ValueError: *dst* is the same file as *src*.
    """
    src, dst = Path(src), Path(dst)
    _check_distinct(src, dst)
    out_dir = dst.parent if str(dst.parent) else Path(".")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_file = _soffice_convert(src, out_dir, XLSX_FILTER, ".xlsx", timeout=timeout, force=force)
    if not zipfile.is_zipfile(tmp_file):
        tmp_file.unlink(missing_ok=True)
        raise EngineFailed(f"LibreOffice recalculation of {src}: the converted file is not a valid xlsx (zip) archive.")
    _install_atomically(tmp_file, dst)


def export_pdf(src: Path, pdf: Path, *, timeout: float = 180.0) -> Path:
    """Export every non-empty sheet of *src* to a PDF at *pdf*.

    Formulas are recalculated on load (forced), so the PDF shows computed
    values.  The PDF is written atomically.

    Args:
        src: Input workbook.
        pdf: Output PDF path (overwritten atomically if it exists).
        timeout: Seconds before soffice is killed.

    Returns:
        The path of the written PDF (*pdf*).

    Raises:
        EngineUnavailable: soffice is not installed.
        EngineFailed: export failed, timed out or produced no valid PDF.
    """
    src, pdf = Path(src), Path(pdf)
    _check_distinct(src, pdf)
    out_dir = pdf.parent if str(pdf.parent) else Path(".")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp_file = _soffice_convert(src, out_dir, PDF_FILTER, ".pdf", timeout=timeout)
    with open(tmp_file, "rb") as fh:
        magic = fh.read(5)
    if magic != b"%PDF-":
        tmp_file.unlink(missing_ok=True)
        raise EngineFailed(f"LibreOffice PDF export of {src}: the output is not a PDF file.")
    _install_atomically(tmp_file, pdf)
    return pdf


def _page_number(path: Path) -> int:
    """Page number from a pdftoppm file name such as ``name-07.png``."""
    m = re.search(r"-(\d+)\.png$", path.name)
    return int(m.group(1)) if m else 0


def render_pngs(src: Path, out_dir: Path, *, dpi: int = 110, timeout: float = 180.0) -> list[Path]:
    """Render every page of *src* as a PNG (one file per PDF page).

    The workbook is exported to ``out_dir/<stem>.pdf`` with
    :func:`export_pdf` and rasterised with ``pdftoppm -png -r dpi`` to
    ``out_dir/<stem>-<page>.png``.  Stale PNGs with that prefix are removed
    first so the result reflects only this rendering.

    Args:
        src: Input workbook.
        out_dir: Directory for the PDF and the PNGs (created if missing).
        dpi: Raster resolution.
        timeout: Seconds allowed for each of the soffice and pdftoppm runs.

    Returns:
        PNG paths in page order.

    Raises:
        EngineUnavailable: soffice or pdftoppm is not installed.
        EngineFailed: export or rasterisation failed or timed out.
    """
    pdftoppm = find_pdftoppm()
    if pdftoppm is None:
        raise EngineUnavailable(_PDFTOPPM_INSTALL_HINT)
    src, out_dir = Path(src), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = export_pdf(src, out_dir / f"{src.stem}.pdf", timeout=timeout)
    prefix = out_dir / src.stem
    pattern = re.compile(re.escape(src.stem) + r"-\d+\.png$")
    for old in out_dir.iterdir():
        if pattern.fullmatch(old.name):
            old.unlink()
    with tempfile.TemporaryDirectory(prefix="pysie-ppm-") as logs:
        _run_group(
            [pdftoppm, "-png", "-r", str(int(dpi)), str(pdf), str(prefix)],
            timeout=timeout,
            logs_dir=Path(logs),
            what=f"pdftoppm rendering of {pdf}",
        )
    pngs = sorted(
        (p for p in out_dir.iterdir() if pattern.fullmatch(p.name)),
        key=_page_number,
    )
    if not pngs:
        raise EngineFailed(f"pdftoppm rendering of {pdf}: no PNG was produced.")
    return pngs
