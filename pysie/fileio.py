"""Safe file writing: never overwrite unless asked, never leave half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputExists(FileExistsError):
    """The output file exists and overwriting was not asked for."""


def _default_mode() -> int:
    """Permissions a newly created file gets (mkstemp's are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_target(path: Path, *, overwrite: bool = False) -> None:
    """Raise :class:`OutputExists` or ``OSError`` now if ``path`` cannot be
    written, before any slow work is done for it."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExists(f"{path} exists; pass --force to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OSError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"cannot write {path}: folder {folder} is not writable")


@contextlib.contextmanager
def atomic_output(path: Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place.

    The temporary file lives in the same folder so the final ``os.replace`` is
    atomic: a crash leaves either the old file whole or the new one whole.
    Raises :class:`OutputExists` when ``path`` exists and ``overwrite`` is false,
    and ``OSError`` (with the path) when the folder cannot be written.
    """
    path = Path(path)
    check_target(path, overwrite=overwrite)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
