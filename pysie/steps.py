"""The named steps of a long command: a time limit over them, and their progress on a terminal.

``pysie check``, ``import``, ``recalc`` and ``sweep`` run inside
:func:`command_steps`; the library marks where each step starts with
:func:`begin` ("reading the workbook", "compiling the formulas",
"recalculating with LibreOffice" ...) and counts a step's work with
:func:`advance`. Outside :func:`command_steps` both do nothing, so library
callers see no change.

The time limit (``--timeout SECONDS``)
--------------------------------------
- Where the operating system has interval timers (POSIX), ``SIGALRM`` fires
  when the limit is reached and its handler raises :class:`TimedOut` in the
  main thread, wherever the work is (parsing XML, numpy, waiting for a child
  process): Python runs signal handlers between bytecodes, so a long loop is
  interrupted within one numpy call.
- Elsewhere (Windows) the deadline is checked at every :func:`begin` and
  :func:`advance`, so a step runs to its end before the limit is noticed.
- A child process (LibreOffice) is given the time that remains
  (:func:`child_timeout`); its process group is killed when the limit is
  reached.

:class:`TimedOut` derives from ``BaseException`` (as ``KeyboardInterrupt``
does) so that no ``except Exception`` of the library turns it into another
error; ``finally`` blocks run, so temporary files go and an output written
through :func:`pysie.fileio.atomic_output` is never left half written.

Progress
--------
With ``progress`` (the command line asks for it only when standard error is a
terminal and neither ``--json`` nor ``--quiet`` is given) each step is one
line on standard error drawn with tqdm, replaced by the next step and removed
when the work is done (:func:`finish`); a step with a count (``total``) shows
a bar. Nothing is written when standard error is not a terminal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

__all__ = [
    "TimedOut",
    "advance",
    "begin",
    "check",
    "child_timeout",
    "command_steps",
    "current",
    "finish",
    "paused",
    "remaining",
]


class TimedOut(BaseException):
    """The ``--timeout`` limit was reached; the message names the step that was running."""


class _Progress:
    """One tqdm line on standard error for the running step."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.bar: Any = None

    def show(self, what: str, total: int | None, unit: str) -> None:
        from tqdm import tqdm

        self.close()
        if total is None:
            fmt = "{desc} ..."
        else:
            fmt = "{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} " + unit + " [{elapsed}<{remaining}]"
        desc = f"pysie {self.command}: {what}"
        self.bar = tqdm(total=total, desc=desc, bar_format=fmt, leave=False, file=sys.stderr, **_terminal_size())
        self.bar.refresh()

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def clear(self) -> None:
        if self.bar is not None:
            self.bar.clear()

    def refresh(self) -> None:
        if self.bar is not None:
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            bar, self.bar = self.bar, None
            bar.close()


def _terminal_size() -> dict[str, int]:
    """tqdm's ``ncols`` and ``nrows``: the terminal's size, or 80 x 24 where it
    reports none (a pseudo-terminal whose size was never set, on which tqdm
    would draw nothing); empty when the size cannot be asked (tqdm asks itself)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return {}
    return {"ncols": size.columns or 80, "nrows": size.lines or 24}


class _Run:
    """The steps of one command: the current step, the deadline, the display."""

    def __init__(self, command: str, timeout: float | None, progress: bool, use_signal: bool) -> None:
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.step = "starting"
        self.display = _Progress(command) if progress else None
        self.previous_handler: Any = None
        self.armed = False
        self.fired = False
        if timeout is not None and use_signal and _signals_usable():
            self.previous_handler = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, max(timeout, 1e-6))
            self.armed = True

    def message(self) -> str:
        return f"the time limit of {self.timeout:g} s (--timeout) was reached while {self.step}"

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.fired or self.deadline is None:
            return
        self.fired = True
        raise TimedOut(self.message())

    def check(self) -> None:
        if self.deadline is not None and not self.fired and time.monotonic() >= self.deadline:
            self.fired = True
            raise TimedOut(self.message())

    def finish(self) -> None:
        """Lift the limit and remove the progress line (idempotent)."""
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous_handler)
            self.armed = False
        self.deadline = None
        if self.display is not None:
            self.display.close()
            self.display = None


_RUN: _Run | None = None


def _signals_usable() -> bool:
    """Interval timers exist (POSIX) and this is the main thread (where Python delivers signals)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _active() -> _Run | None:
    """The command's run, seen from the main thread only (other threads' work is not a step)."""
    if _RUN is None or threading.current_thread() is not threading.main_thread():
        return None
    return _RUN


@contextlib.contextmanager
def command_steps(
    command: str, *, timeout: float | None = None, progress: bool = False, use_signal: bool = True
) -> Iterator[None]:
    """Run a command's steps under ``timeout`` seconds (None: no limit), drawing
    them on standard error when ``progress``; ``use_signal=False`` forces the
    between-steps check used where there is no ``SIGALRM``."""
    global _RUN
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
    outer = _RUN
    run = _Run(command, timeout, progress, use_signal)
    _RUN = run
    try:
        yield
    finally:
        run.finish()
        _RUN = outer


def begin(what: str, total: int | None = None, unit: str = "") -> None:
    """Step ``what`` starts (a phrase that follows "while": "compiling the
    formulas"); ``total`` counts its work for :func:`advance`. Raises
    :class:`TimedOut` when the limit has passed."""
    run = _active()
    if run is None:
        return
    run.check()
    run.step = what
    if run.display is not None:
        run.display.show(what, total, unit)


def advance(n: int = 1) -> None:
    """``n`` more units of the current step are done (raises :class:`TimedOut` past the limit)."""
    run = _active()
    if run is None:
        return
    run.check()
    if run.display is not None:
        run.display.advance(n)


def check() -> None:
    """Raise :class:`TimedOut` if the limit has passed (a point between pieces of work)."""
    run = _active()
    if run is not None:
        run.check()


def current() -> str | None:
    """The step running now (None outside a command)."""
    run = _active()
    return None if run is None else run.step


def remaining() -> float | None:
    """Seconds left before the limit (None: no limit)."""
    run = _active()
    if run is None or run.deadline is None:
        return None
    return run.deadline - time.monotonic()


def child_timeout(default: float) -> float:
    """The time a child process may take: ``default``, or what remains of the
    limit when that is less (:class:`TimedOut` when nothing remains)."""
    check()
    left = remaining()
    return default if left is None else max(min(default, left), 1e-3)


def finish() -> None:
    """The work is done: lift the limit and remove the progress line before the
    report is printed."""
    run = _active()
    if run is not None:
        run.finish()


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Clear the progress line while the block writes to the terminal, then draw it again."""
    run = _active()
    display = run.display if run is not None else None
    if display is not None:
        display.clear()
    try:
        yield
    finally:
        if display is not None:
            display.refresh()
