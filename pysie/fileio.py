"""Safe file writing: never overwrite unless asked, never leave half a file,
never write over an input, and write through symbolic links.

The rules every command follows for its output ``path``:

- ``path`` is checked before any slow work (:func:`check_target`): a folder
  is refused, an output that is the same file as an input is refused, and an
  existing name (a dangling symbolic link included) needs ``--force``.
- A symbolic link is written through: the file it points at is replaced and
  the link stays (:func:`resolve_output`).
- The bytes go to a temporary file beside the target, moved into place only
  when complete. Without ``--force`` the final name is created exclusively
  (``os.link``), so of two processes racing for one name exactly one wins
  and the other is refused; nothing is ever replaced unasked.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from pysie.spec import InputError

#: Every output written by this process, in order (the command line reports
#: them when standard output fails after the work is done).
WRITTEN: list[Path] = []


class OutputExists(FileExistsError):
    """The output file exists and overwriting was not asked for."""


def _default_mode() -> int:
    """Permissions a newly created file gets (mkstemp's are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def resolve_output(path: Path) -> Path:
    """The file a write to ``path`` lands in: every symbolic link followed,
    a dangling one included (its target is created)."""
    return Path(os.path.realpath(path))


def same_file(a: Path, b: Path) -> bool:
    """Do ``a`` and ``b`` name one file (through symbolic or hard links)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return resolve_output(a) == resolve_output(b)


def check_target(path: Path, *, overwrite: bool = False, inputs: Iterable[Path] = ()) -> None:
    """Raise now, before any slow work, if ``path`` cannot be written:
    :class:`InputError` when it is a folder or one of ``inputs``,
    :class:`OutputExists` when it exists (a dangling symbolic link counts) and
    ``overwrite`` is false, ``OSError`` when its folder is missing or read-only."""
    path = Path(path)
    target = resolve_output(path)
    if target.is_dir():
        raise InputError(f"{path}: is a folder; name the output file")
    for source in inputs:
        if same_file(path, Path(source)):
            raise InputError(f"{path}: is the input file {source}; write to another file so the input is kept")
    if os.path.lexists(path) and not overwrite:
        link = f" (a symbolic link to {os.readlink(path)})" if path.is_symlink() else ""
        raise OutputExists(f"{path} exists{link}; pass --force to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise OSError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OSError(f"cannot write {path}: folder {folder} is not writable")


def _install(tmp: Path, final: Path, path: Path, *, overwrite: bool) -> None:
    """Move the complete ``tmp`` to ``final``; without ``overwrite`` the name is
    created exclusively, so an existing file (made meanwhile) is never replaced."""
    if overwrite:
        os.replace(tmp, final)
        return
    try:
        os.link(tmp, final)  # fails if final exists: the atomic no-overwrite check
        return
    except FileExistsError:
        raise OutputExists(f"{path} exists (created while this ran); pass --force to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
    # a file system without hard links: reserve the name exclusively, then move onto it
    try:
        os.close(os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise OutputExists(f"{path} exists (created while this ran); pass --force to replace it") from None
    os.replace(tmp, final)


@contextlib.contextmanager
def atomic_output(path: Path, *, overwrite: bool = False, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``path``'s target; on success move it into place.

    The temporary file lives in the target's folder so the final move is
    atomic: a crash leaves either the old file whole or the new one whole.
    Raises as :func:`check_target` does; an error of the writer caused by an
    ``OSError`` (e.g. a full disk inside XlsxWriter) is raised as ``OSError``
    naming ``path``.
    """
    path = Path(path)
    inputs = list(inputs)
    check_target(path, overwrite=overwrite, inputs=inputs)
    final = resolve_output(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
        except OSError:
            raise
        except Exception as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, OSError) and not isinstance(exc, ValueError):
                raise OSError(f"cannot write {path}: {cause}") from exc
            raise
        os.chmod(tmp, final.stat().st_mode & 0o7777 if final.exists() else _default_mode())
        _install(tmp, final, path, overwrite=overwrite)
        WRITTEN.append(path)
    finally:
        if tmp.exists():
            tmp.unlink()
