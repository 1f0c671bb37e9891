"""The solver before and after, side by side in one run.

"before" is the solver of an earlier commit (``--before``, default 800776b),
extracted with ``git archive`` into a temporary folder and imported from there;
"after" is this checkout's; "jit" is this checkout's with the optional numba
rows (``PYSIE_JIT=1``, where numba is installed), timed with its compiled code
cached (the compile time, into an empty cache, is printed first).

Each case runs in a fresh Python process per solver: one warm-up call (which
generates and compiles the row loops: the "first s" column), then ``--repeat``
timed calls; the figures are the median wall and CPU seconds of those calls
and the process's peak memory (maxrss, which includes the ~100 MB of an
interpreter with numpy and pysie imported). ``os.getloadavg()`` is printed
before and after every case: on a shared machine the CPU seconds are the
steadier figure.

Scenarios: retraining (``pysie.models.retraining.MODEL``, note-default) with
research_returns uniform on [1.1, 3] and initial_doubling_days log-uniform on
[10, 120] days (both inside their bounds); software_explosion.RUN with
initial_speedup log-uniform 2-32, research_returns log-uniform 0.4-3.6,
limit_years uniform 6-16 and parallel_returns log-uniform 0.15-0.6. Seeded.

    python benchmarks/bench_solver.py [--repeat 5] [--scenarios 10000] [--no-jit] [--case TEXT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP = """
import json, resource, time
import numpy as np
from pysie.solver import solve, solve_scalars, iter_solutions
from pysie.models.retraining import MODEL
from pysie.models.software_explosion import RUN
rng = np.random.default_rng(2025)


def log_uniform(low, high, n):
    return np.exp(rng.uniform(np.log(low), np.log(high), n))


values = MODEL.resolve("note-default")
many = dict(values)
many["research_returns"] = rng.uniform(1.1, 3.0, {scenarios})
many["initial_doubling_days"] = log_uniform(10, 120, {scenarios})
run_values = RUN.resolve(None)
run_many = dict(run_values)
n_run = 10 * {scenarios}
run_many.update(
    initial_speedup=log_uniform(2, 32, n_run),
    research_returns=log_uniform(0.4, 3.6, n_run),
    limit_years=rng.uniform(6, 16, n_run),
    parallel_returns=log_uniform(0.15, 0.6, n_run),
)


def top(solutions):  # read every piece, as a consumer of a stream would
    return [float(np.nanmax(s.tables["from_scratch"]["software"])) for s in solutions]
"""

#: case label -> statement defining ``run`` (the same API before and after)
CASES = {
    "retraining, one scenario": "run = lambda: solve(MODEL, values)",
    "retraining, {n} results only": "run = lambda: solve_scalars(MODEL, many)",
    "retraining, {n} full trajectories": "run = lambda: solve(MODEL, many)",
    "retraining, {n} full, streamed 1,000 at a time": (
        "run = lambda: top(iter_solutions(MODEL, many, chunk=1000, reuse=True))"
    ),
    "software_explosion.RUN, one scenario": "run = lambda: solve(RUN, run_values)",
    "software_explosion.RUN, {n10} results only": "run = lambda: solve_scalars(RUN, run_many)",
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
print(json.dumps({{"seconds": sorted(walls)[len(walls) // 2], "cpu": sorted(cpus)[len(cpus) // 2], "first": first,
                   "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_case(statement: str, scenarios: int, repeat: int, env: dict[str, str]) -> dict[str, float]:
    code = SETUP.format(scenarios=scenarios) + textwrap.dedent(TIMER.format(statement=statement, repeat=repeat))
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env={**os.environ, **env}
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def extract(commit: str) -> str:
    """The ``pysie`` package of ``commit``, in a temporary folder to import from."""
    folder = tempfile.mkdtemp(prefix=f"pysie-{commit}-")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "pysie"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per case and solver (default 5)")
    parser.add_argument("--scenarios", type=int, default=10_000, help="retraining scenarios (RUN: ten times as many)")
    parser.add_argument("--before", default="800776b", help="commit of the solver to compare with")
    parser.add_argument("--no-jit", action="store_true", help="skip the numba rows even where numba is installed")
    parser.add_argument("--case", action="append", help="run only cases whose name contains this (repeatable)")
    args = parser.parse_args()
    variants: dict[str, dict[str, str]] = {
        "before": {"PYTHONPATH": extract(args.before), "PYSIE_JIT": "0"},
        "after": {"PYTHONPATH": str(ROOT), "PYSIE_JIT": "0"},
    }
    if not args.no_jit and importlib.util.find_spec("numba") is not None:
        cache = tempfile.mkdtemp(prefix="pysie-jit-")
        variants["jit"] = {"PYTHONPATH": str(ROOT), "PYSIE_JIT": "1", "PYSIE_JIT_CACHE": cache}
    print(f"load average (1, 5, 15 min) at start: {load()}")
    if "jit" in variants:  # compile into the empty cache: the first call of this process is the compile time
        cold = run_case(CASES["retraining, {n} results only"], 100, 1, variants["jit"])
        print(f"numba: first call into an empty cache (compiles every kernel) {cold['first']:.2f} s")
        run_case(CASES["software_explosion.RUN, {n10} results only"], 100, 1, variants["jit"])
    header = f"{'case':<50} {'solver':<7} {'median s':>9} {'cpu s':>8} {'first s':>8} {'peak MB':>8}"
    print(f"{header} {'x (cpu)':>8}  load before -> after")
    for label, statement in CASES.items():
        name = label.format(n=f"{args.scenarios:,}", n10=f"{10 * args.scenarios:,}")
        if args.case and not any(c in name for c in args.case):
            continue
        results = {}
        for solver, env in variants.items():
            before = load()
            results[solver] = run_case(statement, args.scenarios, args.repeat, env)
            r = results[solver]
            ratio = results["before"]["cpu"] / r["cpu"]
            figures = f"{r['seconds']:>9.3f} {r['cpu']:>8.3f} {r['first']:>8.3f} {r['peak_mb']:>8.0f} {ratio:>7.1f}x"
            print(f"{name:<50} {solver:<7} {figures}  {before} -> {load()}", flush=True)
    print(f"load average at end: {load()}")
    print(f"(medians of {args.repeat} calls after one warm-up, fresh process per line)")


if __name__ == "__main__":
    main()
