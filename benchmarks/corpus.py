"""Run the compiled engine over workbooks pysie did not write and tally how
many formula cells agree with the value the saving program (Excel) cached.

    PYTHONPATH=$PWD python3 benchmarks/corpus.py [DIR ...] [--timeout 20] [--json out.json]

DIR defaults to ``tests/data/corpus`` (see its ``SOURCES.md``). Every file is
evaluated on a copy by one worker process (``recalculate(copy)``, what
``pysie recalc`` does); the parent waits at most ``--timeout`` seconds per
file, so a hang is killed, counted and the worker restarted for the rest.
Per formula cell the result is one of:

* ``agree``: the engine's value equals the cached one (numbers to a relative
  1e-9, texts exactly, errors by code, booleans as booleans or 0/1);
* ``disagree``: a different value;
* ``refused``: the engine refused the workbook with a message naming a cell
  (an :class:`~pysie.spec.InputError`): not a crash, but not agreeing;
* ``crashed``: any other exception, a traceback on stderr, or a hang;
* ``unchecked``: the file holds no cached value for the cell (not counted in
  the percentage; with ``--libreoffice`` such files are recalculated by
  LibreOffice and compared with its values instead).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus"
KINDS = ("agree", "disagree", "refused", "crashed", "unchecked")
RTOL = 1e-9
ATOL = 1e-12


@dataclass
class FileResult:
    """One workbook's tally and, for a refusal or crash, the message."""

    name: str
    status: str  # ok, refused, crashed, hung
    message: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    disagreements: list[str] = field(default_factory=list)


def _worker() -> None:
    """Read one path per line on stdin, answer one JSON line per path on stdout."""
    from pysie.recalc import recalculate
    from pysie.spec import InputError

    for line in sys.stdin:
        src = Path(line.strip())
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / src.name
            shutil.copyfile(src, copy)
            try:
                values = recalculate(copy)
                answer: dict[str, Any] = {"status": "ok", "values": [[s, c, _plain(v)] for (s, c), v in values.items()]}
            except InputError as exc:
                answer = {"status": "refused", "message": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
            except Exception as exc:  # what the tally calls a crash
                answer = {"status": "crashed", "message": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "#NUM!"
    return value


class _Worker:
    """The worker process, restarted after a hang or a death."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the worker)

    def start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            self.proc = subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                text=True,
                env=env,
            )
        return self.proc

    def ask(self, path: Path, timeout: float) -> dict[str, Any]:
        proc = self.start()
        assert proc.stdin is not None and proc.stdout is not None
        start = self.stderr.tell()
        proc.stdin.write(f"{path}\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            self.kill()
            return {"status": "crashed", "message": f"no answer within {timeout:g} s" if not ready else "worker died"}
        self.stderr.seek(start)
        printed = self.stderr.read()
        answer: dict[str, Any] = json.loads(line)
        if "Traceback" in printed:
            answer = {"status": "crashed", "message": "printed a traceback: " + printed.strip().splitlines()[-1]}
        return answer

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
            self.proc = None


def same(expected: Any, got: Any) -> bool:
    """Excel's cached value against the engine's (see the module notes)."""
    if isinstance(expected, bool) or isinstance(got, bool):
        if isinstance(got, str) or isinstance(expected, str):
            return False
        return float(expected) == float(got)
    if isinstance(expected, str) or isinstance(got, str):
        if got is None:
            return expected == ""
        return isinstance(expected, str) and isinstance(got, str) and expected == got
    if got is None:
        return float(expected) == 0.0
    return math.isclose(float(expected), float(got), rel_tol=RTOL, abs_tol=ATOL)


def tally(name: str, answer: Mapping[str, Any], cached: Mapping[tuple[str, str], Any]) -> FileResult:
    """Compare one worker answer with the file's cached values."""
    result = FileResult(name, answer["status"], answer.get("message", ""))
    if answer["status"] != "ok":
        kind = "refused" if answer["status"] == "refused" else "crashed"
        result.counts[kind] = sum(1 for v in cached.values() if v is not None)
        result.counts["unchecked"] = sum(1 for v in cached.values() if v is None)
        return result
    got = {(s, c): v for s, c, v in answer["values"]}
    for key, expected in cached.items():
        if expected is None:
            result.counts["unchecked"] += 1
        elif key in got and same(expected, got[key]):
            result.counts["agree"] += 1
        else:
            result.counts["disagree"] += 1
            result.disagreements.append(f"{key[0]}!{key[1]}: cached {expected!r}, engine {got.get(key, 'nothing')!r}")
    return result


def libreoffice_values(path: Path) -> dict[tuple[str, str], Any]:
    """Every formula cell's value as LibreOffice recalculates ``path``."""
    from pysie.excel.cache import read_cached_values
    from pysie.recalc.libreoffice import private_tempdir, recalculate_libreoffice

    with private_tempdir() as tmp:
        out = tmp / path.name
        recalculate_libreoffice(path, out)
        return read_cached_values(out)


def measure(paths: Iterable[Path], timeout: float = 20.0, libreoffice: bool = False) -> list[FileResult]:
    """Tally every workbook in ``paths`` (see the module notes)."""
    from pysie.excel.cache import read_cached_values

    worker = _Worker()
    results = []
    try:
        for path in paths:
            try:
                cached = read_cached_values(path)
            except Exception:  # a damaged file: no value to compare, but the engine must still not crash on it
                cached = {}
            if libreoffice and any(v is None for v in cached.values()):
                fresh = libreoffice_values(path)
                cached = {k: (fresh.get(k) if v is None else v) for k, v in cached.items()}
            results.append(tally(path.name, worker.ask(path, timeout), cached))
    finally:
        worker.close()
    return results


def corpus_files(folders: Iterable[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in Path(folder).rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))


def summary(results: list[FileResult]) -> dict[str, Any]:
    total: Counter[str] = Counter()
    for r in results:
        total.update(r.counts)
    checked = total["agree"] + total["disagree"] + total["refused"] + total["crashed"]
    return {
        "files": len(results),
        "formula_cells": checked + total["unchecked"],
        "checked": checked,
        **{k: total[k] for k in KINDS},
        "agree_percent": 100.0 * total["agree"] / checked if checked else 100.0,
        "crashed_files": sum(r.status in ("crashed", "hung") for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[CORPUS])
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per workbook")
    parser.add_argument("--libreoffice", action="store_true", help="recalculate files lacking cached values")
    parser.add_argument("--json", type=Path, help="write every file's tally here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker()
        return 0
    results = measure(corpus_files(args.folders), args.timeout, args.libreoffice)
    for r in results:
        counts = " ".join(f"{k}={r.counts[k]}" for k in KINDS if r.counts[k])
        print(f"{r.name}: {r.status} {counts} {r.message}".rstrip())
        for line in r.disagreements[:5]:
            print(f"    {line}")
    s = summary(results)
    print(
        f"{s['files']} files, {s['formula_cells']} formula cells, {s['checked']} with a value to compare: "
        f"{s['agree']} agree ({s['agree_percent']:.1f}%), {s['disagree']} disagree, {s['refused']} refused, "
        f"{s['crashed']} in {s['crashed_files']} crashed or hung files"
    )
    if args.json:
        args.json.write_text(json.dumps({"summary": s, "files": [r.__dict__ for r in results]}, default=list, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
