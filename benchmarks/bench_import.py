"""Whole-process ``pysie import BOOK`` against ``pysie check BOOK``, side by side.

    PYTHONPATH=$PWD python3 benchmarks/bench_import.py [--book workbooks/retraining.xlsx] [--repeat 5]

The two commands run alternately in fresh processes (so a change of machine
load hits both alike); the script prints the median and spread of each, their
ratio, and the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def seconds(command: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pysie.cli", *command], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pysie {' '.join(command)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", default=str(REPO / "workbooks" / "retraining.xlsx"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    commands = {"import": ["import", args.book], "check": ["check", args.book]}
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            times[name].append(seconds(command))
    load_after = os.getloadavg()[0]
    print(
        f"{Path(args.book).name}, {args.repeat} runs each, alternating; 1-minute load {load_before:.2f} -> {load_after:.2f}"
    )
    print(f"{'command':<14} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, values in times.items():
        print(f"pysie {name:<8} {statistics.median(values):>9.2f} {min(values):>7.2f} {max(values):>7.2f}")
    ratio = statistics.median(times["import"]) / statistics.median(times["check"])
    print(f"import / check: {ratio:.2f}")


if __name__ == "__main__":
    main()
