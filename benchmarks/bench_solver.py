"""The solver, old (reference loop) and new (fast loops) side by side in one run.

Every case runs ``--repeat`` times, each time in a fresh Python process (so
its peak memory, maxrss, is its own and no warm cache carries over); the
figures are the median wall and CPU seconds of those runs and the largest
peak. "one scenario" times the median of 5 calls in that process after one
warm-up call (which generates and compiles the row loops; its time is the
"first call" column). The machine's load (``uptime``) is printed before and
after: CPU seconds are the steadier figure on a shared machine.

    python benchmarks/bench_solver.py [--repeat 5] [--scenarios 10000] [--no-jit]

Solvers: "old" is the reference loop (``solve(..., reference=True)``; for
results only the previous ``solve_scalars``: it, 1,000 scenarios at a time);
"new" the fast numpy / Python-float loops; "jit" the same with numba
(``PYSIE_JIT=1``, where numba is installed), timed with its compiled code
cached (the compile time is printed first, measured into an empty cache).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

SETUP = """
import json, resource, time
import numpy as np
from pysie.models.retraining import MODEL
from pysie import solver
from pysie.solver import solve, solve_scalars, iter_solutions
values = MODEL.resolve("note-default")
many = dict(values)
many["research_returns"] = np.linspace(1.1, 3.0, {scenarios})


def pieces(size=1000):
    n = len(many["research_returns"])
    for i in range(0, n, size):
        yield {{k: np.asarray(a)[i : i + size] if np.ndim(a) else a for k, a in many.items()}}


def top(solutions):  # read every piece, as a consumer of a stream would
    return [float(np.nanmax(s.tables["from_scratch"]["software"])) for s in solutions]
"""

#: (case, old statement, new statement); ``run()`` is what is timed
CASES = {
    "one scenario (warm, in-process median of 5)": (
        "run = lambda: solve(MODEL, values, reference=True)",
        "run = lambda: solve(MODEL, values)",
    ),
    "{n} scenarios, results only": (
        # the previous solve_scalars: the reference loop, 1,000 scenarios at a time, all trajectories
        "run = lambda: [solver._solve(MODEL, piece, 'reference', True).values for piece in pieces()]",
        "run = lambda: solve_scalars(MODEL, many)",
    ),
    "{n} scenarios, full trajectories": (
        "run = lambda: solve(MODEL, many, reference=True)",
        "run = lambda: solve(MODEL, many)",
    ),
    "{n} full, streamed 1,000 at a time": (
        "run = lambda: top(solve(MODEL, piece, reference=True) for piece in pieces())",
        "run = lambda: top(iter_solutions(MODEL, many, chunk=1000, reuse=True))",
    ),
}

TIMER = """
{statement}
in_process = {in_process}
first_start = time.perf_counter()
if in_process:
    run()
first = time.perf_counter() - first_start
walls, cpus = [], []
for _ in range(5 if in_process else 1):
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
walls.sort(); cpus.sort()
print(json.dumps({{"seconds": walls[len(walls) // 2], "cpu": cpus[len(cpus) // 2], "first": first,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_case(statement: str, scenarios: int, in_process: bool, env: dict[str, str] | None = None) -> dict[str, float]:
    code = SETUP.format(scenarios=scenarios) + textwrap.dedent(TIMER.format(statement=statement, in_process=in_process))
    environment = {**os.environ, **(env or {})}
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment)
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_mb(scenarios: int) -> float:
    code = SETUP.format(scenarios=scenarios) + "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per case (default 5)")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--no-jit", action="store_true", help="skip the numba rows even where numba is installed")
    parser.add_argument("--case", action="append", help="run only cases whose name contains this (repeatable)")
    args = parser.parse_args()
    variants: dict[str, dict[str, str] | None] = {"old": None, "new": None}
    if not args.no_jit and importlib.util.find_spec("numba") is not None:
        variants["jit"] = {"PYSIE_JIT": "1", "PYSIE_JIT_CACHE": tempfile.mkdtemp(prefix="pysie-jit-")}
    print(f"load before: {uptime()}")
    print(f"peak MB of a process that only imports and sets up: {baseline_mb(args.scenarios):.0f}")
    if "jit" in variants:
        # compile into an empty cache (the compile time), then every timed run loads the compiled code
        results_only, full = CASES["{n} scenarios, results only"][1], CASES["{n} scenarios, full trajectories"][1]
        cold = run_case(results_only, args.scenarios, False, variants["jit"])
        warm = run_case(results_only, args.scenarios, False, variants["jit"])
        run_case(full, args.scenarios, False, variants["jit"])
        print(
            f"numba, results only: empty cache {cold['seconds']:.2f} s (cpu {cold['cpu']:.2f}),"
            f" compiled code cached {warm['seconds']:.2f} s (cpu {warm['cpu']:.2f})"
        )
    header = f"{'case':<44} {'solver':<6} {'median s':>9} {'cpu s':>8} {'first s':>8} {'peak MB':>8}"
    print(f"{header}  {'speed-up (cpu)':>14}")
    for label, (old, new) in CASES.items():
        name = label.format(n=f"{args.scenarios:,}")
        if args.case and not any(c in name for c in args.case):
            continue
        in_process = label.startswith("one scenario")
        results = {}
        for solver_name, env in variants.items():
            if solver_name == "jit" and in_process:
                continue  # one scenario always steps with Python floats
            statement = old if solver_name == "old" else new
            repeat = 1 if in_process else args.repeat
            runs = [run_case(statement, args.scenarios, in_process, env) for _ in range(repeat)]
            results[solver_name] = {
                "seconds": statistics.median(r["seconds"] for r in runs),
                "cpu": statistics.median(r["cpu"] for r in runs),
                "first": statistics.median(r["first"] for r in runs),
                "peak_mb": max(r["peak_mb"] for r in runs),
            }
        for solver_name, r in results.items():
            speedup = results["old"]["cpu"] / r["cpu"]
            first = f"{r['first']:>8.3f}" if in_process else f"{'':>8}"
            figures = f"{r['seconds']:>9.3f} {r['cpu']:>8.3f} {first} {r['peak_mb']:>8.0f}"
            print(f"{name:<44} {solver_name:<6} {figures}  {speedup:>13.1f}x", flush=True)
    print(f"load after:  {uptime()}")


if __name__ == "__main__":
    main()
