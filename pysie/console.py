"""The process around a command: standard output that fails, and signals.

- :func:`guarded_stdout`: an ``OSError`` while writing standard output (a full
  disk behind ``> file``, ``/dev/full``) becomes :class:`StdoutFailed`, so the
  command line can tell "the output message was lost" from "the command
  failed": files written before it are whole and stay.
- :func:`terminate_as_exit`: ``SIGTERM`` raises ``SystemExit(143)`` instead of
  ending the process on the spot, so every ``finally`` and context manager
  runs: temporary files and folders (LibreOffice profiles, half-written
  outputs) are removed and child process groups are killed, as on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO


class StdoutFailed(OSError):
    """Standard output could not be written (not a closed pipe)."""


class _GuardedStream:
    """A text stream whose write and flush raise :class:`StdoutFailed`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutFailed(exc.errno, f"cannot write to standard output ({exc.strerror or exc})") from None

    def write(self, text: str) -> int:
        return int(self._call("write", text))

    def flush(self) -> None:
        self._call("flush")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of
    what could not be written does not fail again at exit."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """Run with ``sys.stdout`` guarded; it is flushed before leaving, so an
    error of buffered output shows up here rather than at exit."""
    original = sys.stdout
    sys.stdout = _GuardedStream(original)
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout = original


def _raise_exit(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def terminate_as_exit() -> Iterator[None]:
    """Within the block, SIGTERM raises ``SystemExit(128 + SIGTERM)`` (only in
    the main thread, where Python delivers signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
