"""Whole-process time of ``pysie check`` with the LibreOffice engine next to
the formulas engine, on every template's workbook.

Each template is built into a temporary folder; ``python -m pysie.cli check
BOOK --engine E`` is then run as a subprocess (so start-up, reading, solving,
recalculating and comparing are all counted). LibreOffice runs ``--runs``
times (median printed); the formulas engine runs ``--formulas-runs`` times
(default once: it takes over a minute on a full workbook).

    PYTHONPATH=$PWD python3 benchmarks/bench_libreoffice.py [--runs 5] [--formulas-runs 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def time_check(book: Path, engine: str, runs: int) -> tuple[float, int]:
    """Median wall-clock seconds of ``pysie check BOOK --engine engine``, and its exit status."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times, status = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pysie.cli", "check", str(book), "--engine", engine],
            env=env,
            capture_output=True,
            text=True,
        )
        times.append(time.perf_counter() - start)
        status = max(status, done.returncode)
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="LibreOffice runs per workbook")
    parser.add_argument("--formulas-runs", type=int, default=1, help="formulas-engine runs per workbook")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from pysie.build import build_template
    from pysie.recalc import formula_cells
    from pysie.templates import all_templates

    print(f"{'workbook':<28} {'formula cells':>13} {'libreoffice s':>14} {'formulas s':>11} {'ratio':>7}", flush=True)
    with tempfile.TemporaryDirectory(prefix="pysie-bench-") as tmp:
        for template in all_templates(REPO / "templates"):
            book = build_template(template, Path(tmp)).path
            cells = len(formula_cells(book)[1])
            lo, lo_status = time_check(book, "libreoffice", args.runs)
            fo, fo_status = time_check(book, "formulas", args.formulas_runs)
            flag = "" if lo_status == fo_status == 0 else f"  (exit {lo_status}/{fo_status})"
            print(f"{book.name:<28} {cells:>13} {lo:>14.1f} {fo:>11.1f} {fo / lo:>6.1f}x{flag}", flush=True)
    print(
        f"medians of {args.runs} LibreOffice and {args.formulas_runs} formulas run(s); ratio = formulas / libreoffice"
    )


if __name__ == "__main__":
    main()
