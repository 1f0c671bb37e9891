"""Whole-process time and peak memory of ``pysie check`` per engine, and the
time to evaluate many input sets through the compiled workbook.

    PYTHONPATH=$PWD python3 benchmarks/bench_engines.py [--book workbooks/retraining.xlsx] [--repeat 5] [--no-formulas]

Each check runs in a fresh process (``python3 -m pysie.cli check BOOK --engine E``);
peak memory is the largest resident set among that process and its children
(``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a wrapper process per run). The
formulas package runs once: it takes over a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one_run(book: str, engine: str) -> dict[str, float]:
    """Run one check in a child process; wall seconds and peak MB of the child tree."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pysie.cli", "check", book, "--engine", engine], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "status": proc.returncode}


def measure(book: str, engine: str) -> dict[str, float]:
    """One run in a fresh wrapper, so the memory figure is this run's alone."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", engine, "--book", book], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def scenarios(book: str, count: int, repeat: int) -> tuple[float, float]:
    """(compile seconds, median seconds to evaluate ``count`` input sets)."""
    import numpy as np

    sys.path.insert(0, str(REPO))
    from pysie.recalc.compiled import compile_workbook

    start = time.perf_counter()
    compiled = compile_workbook(Path(book))
    compile_s = time.perf_counter() - start
    side = round(count**0.5)
    r, s = np.meshgrid(np.linspace(1.1, 2.0, side), np.linspace(0.1, 0.5, count // side))
    changes = {"research_returns": r.ravel(), "retraining_share": s.ravel()}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        compiled.evaluate(changes)
        times.append(time.perf_counter() - start)
    return compile_s, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", default=str(REPO / "workbooks" / "retraining.xlsx"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-formulas", action="store_true", help="skip the formulas package (over a minute)")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.book, args.one)))
        return
    runs = {"compiled": args.repeat, "libreoffice": max(1, args.repeat // 2 + 1)}
    if not args.no_formulas:
        runs["formulas"] = 1
    load_before = os.getloadavg()[0]
    results: dict[str, list[dict[str, float]]] = {}
    for engine, n in runs.items():
        results[engine] = [measure(args.book, engine) for _ in range(n)]
    print(
        f"pysie check {Path(args.book).name}: whole process, median of n runs; {os.cpu_count()} cores, 1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"{'engine':<12} {'n':>2} {'median s':>9} {'peak MB':>8} {'exit':>4}  compiled is")
    base = statistics.median(r["seconds"] for r in results["compiled"])
    for engine, rs in results.items():
        med = statistics.median(r["seconds"] for r in rs)
        peak = max(r["peak_mb"] for r in rs)
        status = ",".join(sorted({str(int(r["status"])) for r in rs}))
        ratio = "" if engine == "compiled" else f"{med / base:.1f}x faster"
        print(f"{engine:<12} {len(rs):>2} {med:>9.2f} {peak:>8.0f} {status:>4}  {ratio}")
    compile_s, eval_s = scenarios(args.book, args.scenarios, repeat=3)
    print(
        f"compiled workbook: compile {compile_s:.2f} s; {args.scenarios} input sets evaluated in {eval_s:.2f} s (median of 3)"
    )


if __name__ == "__main__":
    main()
