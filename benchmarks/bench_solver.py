"""The solver's three row loops side by side in one run: the numpy reference,
the fast loop (numpy arrays; Python floats for one scenario) and the optional
numba loop (``PYSIE_JIT=1``), cold and warm.

Every figure comes from a fresh Python process:

* **reference**: ``solve(..., reference=True)`` (one numpy primitive per
  operation, the loop the others are tested against); for "results only" the
  reference computes the full solution and the results are read from it.
* **fast**: ``PYSIE_JIT=0``, what ``solve`` / ``solve_scalars`` run by default.
* **numba cold**: ``PYSIE_JIT=1`` into an empty compile cache: the "first s"
  column is the first call, which generates and compiles every kernel the
  case needs (the compile time).
* **numba warm**: ``PYSIE_JIT=1`` in a new process with that cache filled:
  "first s" is the first call (loading the compiled code), the median is
  over the later calls. With more than one numba thread the kernels spread
  scenarios over threads (``NUMBA_NUM_THREADS`` of them, see pysie/jit.py).
* **numba serial**: as warm, with ``PYSIE_JIT_PARALLEL=0`` (one thread): its
  "first s" includes compiling the serial kernels, which the cache lacks.

"median s" and "cpu s" are the medians of ``--repeat`` timed calls after the
first call; "peak MB" is the process's peak memory (maxrss, including the
~100 MB of an interpreter with numpy and pysie, and numba's ~60 MB where it
is imported); "x" is the reference's CPU seconds over the line's. The
whole-process case runs ``pysie mc retraining --samples N --seed 1``
(``--mc-samples``) ``--mc-repeat`` times per solver, timed from outside
(wall) and by the child's own CPU clock; its ratio is against the fast loop.
The 1-minute load average is printed before and after each line: on a shared
machine the CPU seconds are the steadier figure.

Scenarios: retraining (``pysie.models.retraining.MODEL``, note-default, 1,100
days) with research_returns uniform on [1.1, 3] and initial_doubling_days
log-uniform on [10, 120] days. Seeded.

    python benchmarks/bench_solver.py [--repeat 3] [--scenarios 10000] [--mc-samples 100000] [--case TEXT]
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json, resource, time
import numpy as np
from pysie.solver import solve, solve_scalars, iter_solutions
from pysie.models.retraining import MODEL
rng = np.random.default_rng(2025)
values = MODEL.resolve("note-default")
many = dict(values)
many["research_returns"] = rng.uniform(1.1, 3.0, {scenarios})
many["initial_doubling_days"] = np.exp(rng.uniform(np.log(10), np.log(120), {scenarios}))


def top(solutions):  # read every piece, as a consumer of a stream would
    return [float(np.nanmax(s.tables["from_scratch"]["software"])) for s in solutions]
"""

#: case label -> (reference statement, statement of the other solvers)
CASES = {
    "1 scenario": ("run = lambda: solve(MODEL, values, reference=True)", "run = lambda: solve(MODEL, values)"),
    "{n} results only": (
        "run = lambda: solve(MODEL, many, reference=True).values",
        "run = lambda: solve_scalars(MODEL, many)",
    ),
    "{n} full trajectories": (
        "run = lambda: solve(MODEL, many, reference=True)",
        "run = lambda: solve(MODEL, many)",
    ),
    "{n} full, streamed 1,000 at a time": (
        None,
        "run = lambda: top(iter_solutions(MODEL, many, chunk=1000, reuse=True))",
    ),
}

TIMER = """
{statement}
first_start = time.perf_counter()
run()
first = time.perf_counter() - first_start
walls, cpus = [], []
for _ in range({repeat}):
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
walls.sort(); cpus.sort()
print(json.dumps({{"seconds": walls[len(walls) // 2], "cpu": cpus[len(cpus) // 2], "first": first,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""

#: a whole ``pysie`` process, its own CPU seconds and peak memory printed last on stderr
WHOLE = """
import json, resource, sys, time
start = time.process_time()
sys.argv = ["pysie", *{argv!r}]
try:
    from pysie.cli import main
    main()
except SystemExit:
    pass
finally:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({{"cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}}), file=sys.stderr)
"""


def run_case(statement: str, scenarios: int, repeat: int, env: dict[str, str]) -> dict[str, float]:
    code = SETUP.format(scenarios=scenarios) + textwrap.dedent(TIMER.format(statement=statement, repeat=repeat))
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env={**os.environ, **env}
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_whole(argv: list[str], repeat: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall (from outside) and CPU seconds, and peak MB, of ``repeat`` whole processes."""
    walls, cpus, peaks = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", WHOLE.format(argv=argv)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )
        walls.append(time.perf_counter() - start)
        usage = json.loads(done.stderr.strip().splitlines()[-1])
        cpus.append(usage["cpu"])
        peaks.append(usage["peak_mb"])
    return {"seconds": statistics.median(walls), "cpu": statistics.median(cpus), "peak_mb": max(peaks)}


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per case and solver after the first")
    parser.add_argument("--scenarios", type=int, default=10_000, help="scenarios of the many-scenario cases")
    parser.add_argument("--mc-samples", type=int, default=100_000, help="samples of the whole-process pysie mc case")
    parser.add_argument("--mc-repeat", type=int, default=1, help="whole pysie mc processes per solver (median)")
    parser.add_argument("--case", action="append", help="run only cases whose name contains this (repeatable)")
    args = parser.parse_args()
    base = {"PYTHONPATH": str(ROOT)}
    solvers: dict[str, dict[str, str]] = {"reference": {**base, "PYSIE_JIT": "0"}, "fast": {**base, "PYSIE_JIT": "0"}}
    if importlib.util.find_spec("numba") is not None:
        solvers["numba cold"] = {**base, "PYSIE_JIT": "1"}  # a new empty cache per line
        solvers["numba warm"] = {**base, "PYSIE_JIT": "1"}  # the cache the cold line filled
        solvers["numba serial"] = {**base, "PYSIE_JIT": "1", "PYSIE_JIT_PARALLEL": "0"}
    else:
        print("numba is not installed: pip install 'pysie[fast]' for the numba lines")
    print(f"1-minute load at start: {load()}")
    print(f"{'case':<42} {'solver':<12} {'median s':>9} {'cpu s':>8} {'first s':>8} {'peak MB':>8} {'x':>7}  load")
    cases = {label.format(n=f"{args.scenarios:,}"): statements for label, statements in CASES.items()}
    cases[f"pysie mc retraining --samples {args.mc_samples:,}"] = (None, None)
    for name, (reference, statement) in cases.items():
        if args.case and not any(c in name for c in args.case):
            continue
        results: dict[str, dict[str, float]] = {}
        cache = ""
        for solver, env in solvers.items():
            if solver == "numba cold":
                cache = tempfile.mkdtemp(prefix="pysie-jit-")
            env = {**env, "PYSIE_JIT_CACHE": cache} if solver.startswith("numba") else env
            before = load()
            if statement is None:  # the whole process
                if solver == "reference":
                    continue
                argv = ["mc", "retraining", "--samples", str(args.mc_samples), "--seed", "1"]
                results[solver] = r = run_whole(argv, args.mc_repeat, env)
                baseline = results["fast"]
            else:
                chosen = reference if solver == "reference" else statement
                if chosen is None:
                    continue
                results[solver] = r = run_case(chosen, args.scenarios, args.repeat, env)
                baseline = results["reference"] if "reference" in results else results["fast"]
            first = f"{r['first']:>8.3f}" if "first" in r else f"{'-':>8}"
            ratio = baseline["cpu"] / r["cpu"]
            figures = f"{r['seconds']:>9.3f} {r['cpu']:>8.3f} {first} {r['peak_mb']:>8.0f} {ratio:>6.1f}x"
            print(f"{name:<42} {solver:<12} {figures}  {before} -> {load()}", flush=True)
    print(f"1-minute load at end: {load()}")
    print(f"(medians of {args.repeat} calls after the first, fresh process per line; x: against the reference's CPU s,")
    print(" or the fast loop's where there is no reference line)")


if __name__ == "__main__":
    main()
