"""Benchmark the retraining model through every layer.

Each case runs in a fresh Python process, so its peak memory (maxrss) is its
own. Prints the median wall time of ``--repeat`` runs and the peak memory.

    python benchmarks/bench_retraining.py [--repeat 5] [--skip-formulas]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap

SETUP = """
import json, resource, time, tempfile, pathlib
import numpy as np
from pysie.models.retraining import MODEL
from pysie.solver import solve
values = MODEL.resolve("note-default")
"""

CASES = {
    "solve 1 scenario": "solve(MODEL, values)",
    "solve 10,000 scenarios": "v = dict(values); v['research_returns'] = np.linspace(1.1, 3.0, 10_000); solve(MODEL, v)",
    "solve 10,000, results only": "from pysie.solver import solve_scalars; v = dict(values); v['research_returns'] = np.linspace(1.1, 3.0, 10_000); solve_scalars(MODEL, v)",
    "build the workbook": "from pysie.build import write_workbook; write_workbook(MODEL, values, pathlib.Path(tempfile.mkdtemp()) / 'r.xlsx')",
    "recalculate with formulas": "from pysie.recalc import recalculate; recalculate(pathlib.Path('workbooks/retraining.xlsx'), 'formulas')",
}


def run_case(statement: str) -> dict[str, float]:
    code = SETUP + textwrap.dedent(f"""
        start = time.perf_counter()
        {statement}
        seconds = time.perf_counter() - start
        print(json.dumps({{"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-formulas", action="store_true", help="skip the slow formulas-package case")
    args = parser.parse_args()
    print(f"{'case':<28} {'median s':>10} {'min s':>9} {'peak MB':>9}  runs")
    for name, statement in CASES.items():
        if args.skip_formulas and "formulas" in name:
            continue
        runs = [run_case(statement) for _ in range(1 if "formulas" in name else args.repeat)]
        seconds = [r["seconds"] for r in runs]
        peak = max(r["peak_mb"] for r in runs)
        print(
            f"{name:<28} {statistics.median(seconds):>10.4f} {min(seconds):>9.4f} {peak:>9.0f}  {len(runs)}", flush=True
        )


if __name__ == "__main__":
    main()
