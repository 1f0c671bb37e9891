"""``pysie mc``: the command line of :mod:`pysie.montecarlo`.

Text output is one table (an output per row: unit, p10, p50, p90, mean and
the share never reached); ``--json`` prints :meth:`pysie.montecarlo.Result.report`;
``-o`` writes every sample (drawn parameters and outputs) as CSV or Parquet;
``--plot`` draws the CDFs. Files are checked before any sample is solved.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pysie import montecarlo
from pysie.fileio import check_target
from pysie.models import get_model, model_names
from pysie.options import UsageError, integer_in, parse_assignments
from pysie.report import format_value
from pysie.scheduler import SCHEDULERS, check_scheduler, chunk_map
from pysie.tables_out import STDOUT, check_output, write_table

SPEC_FORMS = "lognormal:P10:P90, loguniform:LO:HI, uniform:LO:HI, normal:MEAN:SD or fixed:V"


def _scheduler(text: str) -> str:
    try:
        return check_scheduler(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_mc_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mc",
        help="Monte Carlo over a model's distributions: p10/p50/p90, mean and the share never reached",
        description="Draw a model's uncertain parameters from their distributions (pysie list MODEL shows the "
        "defaults and their sources), solve every sample and summarise each output. The same seed gives the same "
        "numbers on every machine, chunk size and scheduler.",
    )
    p.add_argument("model", metavar="MODEL", help=f"the model to sample: {', '.join(model_names())}")
    p.add_argument(
        "--samples",
        type=integer_in(1),
        metavar="N",
        help=f"samples (default {montecarlo.CHUNK:,}; a model that samples in its workbook: its own default)",
    )
    p.add_argument("--seed", type=integer_in(0), metavar="S", help="random seed (default 0; such a model: its own)")
    p.add_argument(
        "--dist",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        help=f"draw a parameter from SPEC: {SPEC_FORMS} (repeatable; replaces its default distribution)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="hold a parameter at VALUE (a parameter with a distribution is then not drawn; repeatable)",
    )
    p.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="NAME",
        help="summarise only this output (repeatable; default: every output)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout: model, samples, seed, outputs")
    p.add_argument("-o", dest="file", metavar="FILE", help="write every sample as FILE.csv or FILE.parquet")
    p.add_argument("--plot", metavar="FILE.png", help="draw each output's CDF into a PNG")
    p.add_argument("--force", action="store_true", help="replace the -o/--plot files if they exist")
    p.add_argument(
        "--scheduler",
        type=_scheduler,
        default="local",
        metavar="WHERE",
        help=f"where chunks are solved: {', '.join(SCHEDULERS)} (default local; see pysie.scheduler)",
    )
    p.add_argument(
        "--chunk",
        type=integer_in(1),
        default=montecarlo.CHUNK,
        metavar="N",
        help=f"samples solved at once (default {montecarlo.CHUNK:,}; the numbers do not depend on it)",
    )
    p.add_argument(
        "--max-samples",
        type=integer_in(1),
        default=montecarlo.MAX_SAMPLES,
        metavar="N",
        help=f"refuse more samples than this (default {montecarlo.MAX_SAMPLES:,})",
    )
    p.set_defaults(func=cmd_mc)


def _defaults(args: argparse.Namespace) -> tuple[int, int]:
    """--samples and --seed, or the model's own defaults when it samples in its workbook."""
    model = get_model(args.model)
    if model.uncertainty is None and model.sampling is not None and model.sampling.table:
        samples = args.samples if args.samples is not None else int(model.parameter(model.sampling.samples).default)
        seed = args.seed if args.seed is not None else int(model.parameter(model.sampling.seed).default)
        return samples, seed
    return (args.samples if args.samples is not None else montecarlo.CHUNK), (args.seed or 0)


def _check_files(args: argparse.Namespace) -> None:
    if args.file == STDOUT:
        raise UsageError("-o - is not supported; name a file (the summary goes to standard output)")
    if args.file:
        check_output(args.file, overwrite=args.force)
    if args.plot:
        if Path(args.plot).suffix.lower() != ".png":
            raise UsageError(f"--plot {args.plot}: name a PNG file (X.png)")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'pysie[plot]'") from None
        check_target(Path(args.plot), overwrite=args.force)
    if args.force and not (args.file or args.plot):
        raise UsageError("--force replaces the -o/--plot files; give one of them")


def summary_table(result: montecarlo.Result) -> str:
    """The text table of ``pysie mc``."""
    d = result.design
    drawn = ", ".join(f"{name} {dist.spec}" for name, dist in d.dists.items())
    title = f"{d.model.name}: {d.samples:,} samples, seed {d.seed}"
    title += f"\n  drawn: {drawn}" if drawn else f"\n  samples drawn in the workbook ({d.model.sampling.table} sheet)"  # type: ignore[union-attr]
    header = ("output", "unit", "p10", "p50", "p90", "mean", "never")
    rows: list[tuple[str, ...]] = [header]
    for name, stats in result.summary().items():
        shown = [format_value(stats[k]) if stats[k] is not None else "never" for k in ("p10", "p50", "p90", "mean")]
        rows.append((name, d.unit(name), *shown, f"{stats['never']:.1%}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    lines = ["  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([title, *lines, "  " + montecarlo.NEVER_RULE])


def cmd_mc(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    dists = parse_assignments(args.dist, flag="--dist", form="NAME=SPEC")
    values = parse_assignments(args.set)
    samples, seed = _defaults(args)
    d = montecarlo.design(
        model,
        samples,
        seed,
        dists=dists,
        values=values,
        outputs=args.output,
        max_samples=args.max_samples,
    )
    _check_files(args)
    with chunk_map(args.scheduler) as mapped:
        result = montecarlo.run(d, chunk=args.chunk, map_chunks=mapped, progress=sys.stderr.isatty())
    if args.json:
        print(json.dumps(result.report(), indent=2, allow_nan=False))
    else:
        print(summary_table(result))
    notes = sys.stderr if args.json else sys.stdout
    if args.file:
        fields, columns = montecarlo.sample_columns(result)
        rows = write_table(
            args.file, fields, columns, overwrite=args.force, metadata={"model": model.name, "seed": seed}
        )
        print(f"wrote {args.file} ({rows:,} samples)", file=notes)
    if args.plot:
        from pysie.mc_plot import plot_cdfs

        plot_cdfs(result, Path(args.plot), overwrite=args.force)
        print(f"wrote {args.plot}", file=notes)
    return 0
