"""Time of ``pysie sensitivity`` per model: one at a time and Sobol' indices.

    PYTHONPATH=$PWD python3 benchmarks/bench_sensitivity.py [--samples 1024] [--repeat 3] [--chunk 10000]

For each model that declares distributions: the median seconds of one at a
time (2k + 1 solves) and of a Sobol' run with base N (N (k + 2) solves,
SALib's sampling and estimator included, a never-reached output counted as
0), in this process after one uncounted warm-up run, with the solves per
second and the machine's load average printed beside them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def median_seconds(function: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1024, help="Sobol' base N (a power of 2)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from pysie import sensitivity
    from pysie.models import MODELS

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    print(f"{'model':<20} {'k':>2} {'oat s':>8} {'sobol solves':>13} {'sobol s':>8} {'solves/s':>9}")
    for model in MODELS.values():
        if model.uncertainty is None:
            continue
        d, candidates = sensitivity.design(model, samples=args.samples)
        k = len(d.dists)
        sensitivity.oat(d)  # warm-up
        oat = median_seconds(lambda d=d: sensitivity.oat(d), args.repeat)

        def run(d=d, candidates=candidates) -> None:
            sensitivity.sobol(d, candidates, never_as=0.0, chunk=args.chunk)

        sobol = median_seconds(run, args.repeat)
        solves = sensitivity.evaluations(args.samples, k)
        print(f"{model.name:<20} {k:>2} {oat:>8.3f} {solves:>13,} {sobol:>8.2f} {solves / sobol:>9,.0f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
