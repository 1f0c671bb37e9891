"""pysie's Monte Carlo beside the public reference code, side by side in one run.

Software explosion (Davidson and Houlden, "How quick and big would a software
intelligence explosion be?", Forethought, August 2025; reference code GitHub
``thoulden/Accelerated_AI_Progress``):

(a) the reference's Monte Carlo loop ``multiple_sims.run_simulations`` over
    ``--reference-samples`` (10,000) samples, in this process, Streamlit and
    matplotlib stubbed, the "Retraining Cost" box ticked (``--no-retraining``
    unticks it);
(b) pysie solving ``--samples`` (100,000) scenarios of ``software_explosion.RUN``
    in this process with ``solve_scalars(RUN, values, chunk=--chunk)`` from the
    paper's distributions (f log-uniform [2, 32], r log-uniform [0.4, 3.6], L
    uniform [6, 16], lambda log-uniform [0.15, 0.6], drawn with
    ``numpy.random.default_rng(--seed)``), at the code's rules (run_rules 0,
    retraining_rule 2 with the box ticked, else 0), row loops compiled by one
    warm-up call first;
(c) the whole process ``python -m pysie mc software-explosion --samples N
    --seed S --json --set retraining_rule=2 --set run_rules=0`` of the checkout
    ``--pysie-root`` (default this one) where it has that command (else
    reported as not available), and (c') the same at the model's defaults
    (retraining_rule 1), ``pysie mc software-explosion --samples N --seed S --json``;
    with ``--compare-root`` both again for a second checkout, in the same run;
    each checkout's bytecode cache written first, as an installed package has
    it (``--no-compileall``: as found);
(d) ratios per scenario, reference / pysie (the target: a whole process at least 30x faster).

Milestone takeoff (the AI 2027 takeoff forecast, AI Futures Project, April 2025;
reference code GitHub ``uvafan/timelines-takeoff-ai-2027``), with
``--ai2027-dir``: the reference's draws and day-by-day loop over
``--ai2027-samples`` samples in this process, against ``pysie run
milestone-takeoff --samples N --seed S --json`` as a whole process and solved in
process. Both draw their own samples (different generators), so only the speed
and, for orientation, the percentiles of the phases are put side by side.

Every figure is the median of ``--repeat`` runs (wall seconds; CPU seconds of
this process, or of the child for whole processes). The load average is printed
before and after: on a shared machine CPU seconds are the steadier figure.
Without a reference directory its half is skipped with a message.

    python benchmarks/bench_reference.py --reference-dir DIR [--ai2027-dir DIR2] [--repeat 3]

DIR (or env PYSIE_REFERENCE_DIR) and DIR2 (env PYSIE_AI2027_DIR) are checkouts
of the reference code; docs/reference-code.md says how to make them.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
import reference_code as rc  # noqa: E402 - the loader shared with tests/test_reference_code.py

from pysie.models import milestone_takeoff as mt  # noqa: E402
from pysie.models import software_explosion as se  # noqa: E402
from pysie.solver import solve, solve_scalars  # noqa: E402

TARGET = 30.0  # pysie whole-process at least this many times faster per scenario


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min), {os.cpu_count() or 0} cores"


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def timed_process(command: Sequence[str], repeat: int, env: dict[str, str]) -> tuple[float, float, str]:
    """Median wall and CPU (user + system of the child) seconds of a whole process, and its output."""
    walls, cpus, out = [], [], ""
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=env.get("PYSIE_ROOT"))
        walls.append(time.perf_counter() - wall)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        out = done.stdout
    return statistics.median(walls), statistics.median(cpus), out


def pysie_env(root: Path) -> dict[str, str]:
    """The environment of a pysie process of checkout ``root`` (run it with cwd=root: ``-m`` puts the
    working directory first on the path)."""
    return {**os.environ, "PYTHONPATH": str(root), "PYSIE_ROOT": str(root)}


def compile_bytecode(root: Path) -> None:
    """Write the bytecode cache of checkout ``root``'s pysie (``python -m compileall``), as
    installing a package does: where the environment sets PYTHONDONTWRITEBYTECODE no process
    writes one, and every process would compile pysie's modules again first (about a quarter
    of a second of CPU that an installed pysie never spends)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "pysie")], check=True, capture_output=True)


def has_command(root: Path, command: str) -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "pysie", command, "--help"],
        capture_output=True,
        text=True,
        env=pysie_env(root),
        cwd=root,
    )
    return done.returncode == 0


class Table:
    """Rows of case, scenarios, median wall s, median CPU s, microseconds per scenario (wall, CPU)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[Any, ...]] = []

    def add(self, case: str, scenarios: int, wall: float, cpu: float) -> tuple[float, float]:
        per = (wall / scenarios * 1e6, cpu / scenarios * 1e6)
        self.rows.append((case, scenarios, wall, cpu, *per))
        return per

    def note(self, case: str, text: str) -> None:
        self.rows.append((case, text))

    def print(self) -> None:
        print(f"\n{self.title}")
        print(f"  {'case':58} {'scenarios':>9} {'wall s':>8} {'CPU s':>8} {'us/scen wall':>12} {'us/scen CPU':>12}")
        for row in self.rows:
            if len(row) == 2:
                print(f"  {row[0]:58} {row[1]}")
            else:
                case, n, wall, cpu, pw, pc = row
                print(f"  {case:58} {n:>9,} {wall:8.2f} {cpu:8.2f} {pw:12.1f} {pc:12.1f}")


def ratio_lines(reference: tuple[float, float] | None, ours: dict[str, tuple[float, float] | None]) -> None:
    print("  ratios per scenario, reference / pysie (wall; CPU):")
    for case, per in ours.items():
        if per is None:
            print(f"    {case:56} not measured")
        elif reference is None:
            print(f"    {case:56} no reference measured")
        else:
            wall, cpu = reference[0] / per[0], reference[1] / per[1]
            met = "met" if wall >= TARGET else "NOT met"
            verdict = f"   target >= {TARGET:g}x: {met}" if "whole process" in case else ""
            print(f"    {case:56} {wall:8.1f}x; {cpu:8.1f}x{verdict}")


def software_explosion(args: argparse.Namespace) -> None:
    table = Table(
        "software explosion: the paper's Monte Carlo, "
        + (
            "retraining q/|q+1| (the code's box ticked, pysie retraining_rule 2)"
            if args.retraining
            else "no retraining"
        )
    )
    reference_per = None
    try:
        checkout = rc.directory(args.reference_dir, rc.SIE_ENV, rc.SIE_FILE)
    except ValueError as error:
        checkout = None
        table.note("(a) reference", f"skipped: {error}")
    if checkout is not None:
        module = rc.load_sie(checkout)
        np.random.seed(args.seed)  # the reference draws from numpy's global generator
        n = args.reference_samples
        wall, cpu, (probabilities, _, _) = timed(lambda: rc.sie_monte_carlo(module, n, args.retraining), args.repeat)
        reference_per = table.add("(a) reference run_simulations, in process", n, wall, cpu)
        shares = ", ".join(f"{100 * probabilities[c]:.1f}%" for c in rc.SIE_CONDITIONS)
        table.note("    its four probabilities (3y/1y, 3y/4m, 10y/1y, 10y/4m)", shares)
    elif not table.rows:
        table.note("(a) reference", f"skipped: no --reference-dir and {rc.SIE_ENV} unset")

    n = args.samples
    values: dict[str, Any] = {
        **se.RUN.defaults(),
        **rc.sie_parameters(rc.sie_raw_draws(n, args.seed)),
        "retraining_rule": 2 if args.retraining else 0,
        "run_rules": 0,
    }
    few = {k: v[:10] if np.ndim(v) else v for k, v in values.items()}
    solve_scalars(se.RUN, few)  # compile the row loops
    wall, cpu, out = timed(lambda: solve_scalars(se.RUN, values, chunk=args.chunk), args.repeat)
    in_process = table.add(f"(b) pysie solve_scalars(RUN, chunk={args.chunk}), in process", n, wall, cpu)
    shares = ", ".join(f"{100 * out[name].mean():.1f}%" for name in rc.SIE_HITS)
    table.note("    its four probabilities", shares)
    compiled = None
    if importlib.util.find_spec("numba") is not None:
        with numba_loops():
            solve_scalars(se.RUN, few)  # compile the numba loops
            wall, cpu, _ = timed(lambda: solve_scalars(se.RUN, values, chunk=args.chunk), args.repeat)
        compiled = table.add("(b') the same with numba (PYSIE_JIT=1), in process", n, wall, cpu)
    else:
        table.note("(b') the same with numba", "not measured: numba is not installed")

    processes: dict[str, tuple[float, float] | None] = {}
    for label, root in (("", args.pysie_root), (" of --compare-root", args.compare_root)):
        if root is None:
            continue
        if not has_command(root, "mc"):
            table.note(f"(c) pysie mc software-explosion{label}", f"not available: no 'mc' command in {root}")
            continue
        if args.bytecode:
            compile_bytecode(root)
        plain = [
            sys.executable,
            "-m",
            "pysie",
            "mc",
            "software-explosion",
            "--samples",
            str(n),
            "--seed",
            str(args.seed),
        ]
        plain.append("--json")
        rules = ["--set", f"retraining_rule={2 if args.retraining else 0}", "--set", "run_rules=0"]
        for case, command in (
            ("(c) ... --json at the code's rules", plain + rules),
            ("(c') ... --json, defaults", plain),
        ):
            wall, cpu, _ = timed_process(command, args.repeat, pysie_env(root))
            processes[f"{case} whole process{label}"] = table.add(f"{case} (process){label}", n, wall, cpu)
    table.print()
    print(f"  (c) is python -m pysie mc software-explosion --samples {n:,} --seed {args.seed}")
    ratio_lines(reference_per, {"(b) in process": in_process, "(b') numba": compiled, **processes})


@contextlib.contextmanager
def numba_loops() -> Iterator[None]:
    """PYSIE_JIT=1 for the duration (pysie.jit reads it at every solve)."""
    before = os.environ.get("PYSIE_JIT")
    os.environ["PYSIE_JIT"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYSIE_JIT"]
        else:
            os.environ["PYSIE_JIT"] = before


def phase_percentiles(days: np.ndarray) -> str:
    years = np.percentile(days / 365.0, [10, 50, 90], axis=0)
    return "; ".join(f"{p}: " + " / ".join(f"{y:.3g}" for y in years[:, j]) for j, p in enumerate(mt.PHASES))


def milestone_takeoff(args: argparse.Namespace) -> None:
    table = Table("milestone takeoff (AI 2027 takeoff forecast): reference day-by-day loop vs pysie")
    reference_per, pct = None, None
    try:
        checkout = rc.directory(args.ai2027_dir, rc.AI2027_ENV, rc.AI2027_FILE)
    except ValueError as error:
        checkout = None
        table.note("(a) reference", f"skipped: {error}")
    if checkout is not None:
        module = rc.load_ai2027(checkout)
        n = args.ai2027_samples
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # a warning per capped phase
            wall, cpu, days = timed(lambda: rc.ai2027_monte_carlo(module, n, args.seed), args.repeat)
        reference_per = table.add("(a) reference get_milestone_samples + daily loop, in process", n, wall, cpu)
        pct = phase_percentiles(np.array(days, dtype=float))
    elif not table.rows:
        table.note("(a) reference", f"skipped: no --ai2027-dir and {rc.AI2027_ENV} unset")

    n = args.samples
    values = mt.MODEL.resolve(None, {"samples": n, "seed": args.seed})
    solve(mt.MODEL, mt.MODEL.resolve(None, {"samples": 10, "seed": args.seed}))  # compile the row loops
    wall, cpu, _ = timed(lambda: solve(mt.MODEL, values), args.repeat)
    in_process = table.add("(b) pysie solve(milestone-takeoff), in process", n, wall, cpu)
    if args.bytecode:
        compile_bytecode(args.pysie_root)
    command = [sys.executable, "-m", "pysie", "run", "milestone-takeoff", "--samples", str(n)]
    command += ["--seed", str(args.seed), "--json"]
    wall, cpu, out = timed_process(command, args.repeat, pysie_env(args.pysie_root))
    whole = table.add("(c) python -m pysie run milestone-takeoff --json (process)", n, wall, cpu)
    table.print()
    ratio_lines(reference_per, {"(b) in process": in_process, "(c) whole process": whole})
    phases = json.loads(out)["phase_years"]
    print("  phase calendar years p10 / p50 / p90 (different draws, for orientation only):")
    if pct is not None:
        print(f"    reference ({args.ai2027_samples:,} samples, 365-day years, phases capped at 1000 y): {pct}")
    ours = "; ".join(f"{p}: " + " / ".join(f"{phases[p][q]:.3g}" for q in ("p10", "p50", "p90")) for p in phases)
    print(f"    pysie ({n:,} samples): {ours}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", help=f"checkout of thoulden/Accelerated_AI_Progress (else ${rc.SIE_ENV})")
    parser.add_argument("--ai2027-dir", help=f"checkout of uvafan/timelines-takeoff-ai-2027 (else ${rc.AI2027_ENV})")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; medians are printed (default 3)")
    parser.add_argument("--samples", type=int, default=100_000, help="pysie's scenarios (default 100,000)")
    parser.add_argument("--reference-samples", type=int, default=10_000, help="the reference's (default 10,000)")
    parser.add_argument("--ai2027-samples", type=int, default=1_000, help="the AI 2027 loop's (default 1,000)")
    parser.add_argument("--chunk", type=int, default=5_000, help="solve_scalars chunk (default 5,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-retraining", dest="retraining", action="store_false", help="untick Retraining Cost")
    parser.add_argument("--pysie-root", type=Path, default=REPO, help="checkout whose pysie the processes run")
    parser.add_argument(
        "--compare-root", type=Path, help="a second checkout (an earlier commit, say) whose processes run beside"
    )
    parser.add_argument("--only", choices=("software-explosion", "milestone-takeoff"), help="run one half")
    parser.add_argument(
        "--no-compileall",
        dest="bytecode",
        action="store_false",
        help="time the processes without writing the checkouts' bytecode cache first",
    )
    args = parser.parse_args(argv)
    print(f"before: {load()}")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; pysie processes from {args.pysie_root}")
    cache = "written first (python -m compileall)" if args.bytecode else "as found (--no-compileall)"
    print(f"bytecode cache of the checkouts' pysie: {cache}")
    if args.only != "milestone-takeoff":
        software_explosion(args)
    if args.only != "software-explosion":
        milestone_takeoff(args)
    print(f"\nafter: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
