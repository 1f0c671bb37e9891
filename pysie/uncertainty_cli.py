"""``pysie mc`` and ``pysie sensitivity``: the command lines of :mod:`pysie.montecarlo`
and :mod:`pysie.sensitivity`.

Text output is one table (an output per row: unit, p10, p50, p90, mean and
the share never reached); ``--json`` prints :meth:`pysie.montecarlo.Result.report`;
``-o`` writes every sample (drawn parameters and outputs) as CSV or Parquet;
``--plot`` draws the CDFs. Files are checked before any sample is solved.

``pysie sensitivity`` prints a tornado table (one at a time: a row per
parameter, its p10 and p90 and the output at each, the swing) or a table of
Sobol' indices, largest first; ``--json`` prints
:meth:`pysie.sensitivity.OAT.report` or :meth:`pysie.sensitivity.Sobol.report`;
``--plot`` draws the bars (:mod:`pysie.sensitivity_plot`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from pysie import montecarlo, sensitivity
from pysie.distributions import Distribution
from pysie.fileio import check_target
from pysie.models import get_model, model_names
from pysie.options import UsageError, integer_in, parse_assignments, parse_decimal
from pysie.report import format_value
from pysie.scheduler import SCHEDULERS, check_scheduler, chunk_map
from pysie.spec import Model
from pysie.tables_out import STDOUT, check_output, write_table

SPEC_FORMS = "lognormal:P10:P90, loguniform:LO:HI, uniform:LO:HI, normal:MEAN:SD or fixed:V"


def _scheduler(text: str) -> str:
    try:
        return check_scheduler(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_draw_options(p: argparse.ArgumentParser) -> None:
    """--dist and --set: what is drawn and what is held."""
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


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """--scheduler, --chunk and --max-samples: where and how many samples are solved."""
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


def add_mc_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mc",
        help="Monte Carlo over a model's distributions: p10/p50/p90, mean and the share never reached",
        description="Draw a model's uncertain parameters from their distributions (pysie list MODEL shows the "
        "defaults and their sources), solve every sample and summarise each output. The same seed gives the same "
        "numbers on every machine, chunk size and scheduler.",
    )
    p.add_argument(
        "model",
        metavar="MODEL",
        help=f"the model to sample: {', '.join(model_names())}; or a workbook BOOK.xlsx, sampled with its inputs "
        "and the distributions on its Uncertainty sheet",
    )
    p.add_argument(
        "--samples",
        type=integer_in(1),
        metavar="N",
        help=f"samples (default {montecarlo.CHUNK:,}; a model that samples in its workbook: its own default)",
    )
    p.add_argument("--seed", type=integer_in(0), metavar="S", help="random seed (default 0; such a model: its own)")
    _add_draw_options(p)
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
    _add_run_options(p)
    p.set_defaults(func=cmd_mc)


def _defaults(args: argparse.Namespace, own: tuple[int, int] | None = None) -> tuple[int, int]:
    """--samples and --seed, or the model's own defaults (``own``: a workbook's) when it samples in its workbook."""
    model = get_model(args.model) if own is None else None
    if model is not None and model.uncertainty is None and model.sampling is not None and model.sampling.table:
        own = (int(model.parameter(model.sampling.samples).default), int(model.parameter(model.sampling.seed).default))
    if own is not None:
        return (args.samples if args.samples is not None else own[0]), (args.seed if args.seed is not None else own[1])
    return (args.samples if args.samples is not None else montecarlo.CHUNK), (args.seed or 0)


def _check_files(args: argparse.Namespace) -> None:
    if args.file == STDOUT:
        raise UsageError("-o - is not supported; name a file (the summary goes to standard output)")
    if args.file:
        check_output(args.file, overwrite=args.force)
    _check_plot(args.plot, args.force)
    if args.force and not (args.file or args.plot):
        raise UsageError("--force replaces the -o/--plot files; give one of them")


def _check_plot(plot: str | None, force: bool) -> None:
    """--plot names a PNG that does not exist (or --force replaces it)."""
    if plot:
        if Path(plot).suffix.lower() != ".png":
            raise UsageError(f"--plot {plot}: name a PNG file (X.png)")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError("--plot needs matplotlib: pip install 'pysie[plot]'") from None
        check_target(Path(plot), overwrite=force)


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
    return "\n".join([title, *_aligned(rows), "  " + montecarlo.NEVER_RULE])


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells as indented lines, each column as wide as its widest cell."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def workbook_inputs(path: Path) -> tuple[Model, dict[str, float], dict[str, Distribution], tuple[int, int] | None]:
    """What ``pysie mc BOOK.xlsx`` samples: the workbook's model; the value of every
    parameter it holds (not drawn); its distributions; and for a model that samples
    in its workbook, the workbook's (samples, seed)."""
    from pysie.excel.reader import read_book  # the workbook modules load only for a workbook
    from pysie.excel.uncertainty_import import read_distributions
    from pysie.importer import import_inputs

    path = Path(path)
    _, model, inputs = import_inputs(path)
    dists, _ = read_distributions(read_book(path), model, path)
    own: tuple[int, int] | None = None
    held = dict(inputs)
    if model.uncertainty is None and model.sampling is not None and model.sampling.table:
        own = (int(held.pop(model.sampling.samples)), int(held.pop(model.sampling.seed)))
    else:
        scenario = model.uncertainty.scenario or model if model.uncertainty is not None else model
        drawn = {p.name for p in scenario.parameters if p.dist is not None} | set(dists)
        held = {k: v for k, v in held.items() if k not in drawn}
    return model, held, dists, own


def is_workbook(target: str) -> bool:
    """Does ``target`` name a workbook file rather than a model?"""
    return Path(target).suffix.lower() in {".xlsx", ".xlsm"}


def cmd_mc(args: argparse.Namespace) -> int:
    dists: dict[str, Distribution | str] = dict(parse_assignments(args.dist, flag="--dist", form="NAME=SPEC"))
    values: dict[str, object] = dict(parse_assignments(args.set))
    if is_workbook(args.model):
        model, held, book_dists, own = workbook_inputs(Path(args.model))
        dists = {**{k: v for k, v in book_dists.items() if k not in values}, **dists}
        values = {**{k: v for k, v in held.items() if k not in dists}, **values}
        samples, seed = _defaults(args, own if own is not None else (montecarlo.CHUNK, 0))
    else:
        model = get_model(args.model)
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


# --- pysie sensitivity --------------------------------------------------------------------------


def _number(text: str) -> float:
    try:
        value = parse_decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a finite number is needed, found {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a finite number is needed, found {text!r}")
    return value


def add_sensitivity_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sensitivity",
        help="which uncertain parameters move an output: a tornado (one at a time) or Sobol' indices",
        description="Rank a model's drawn parameters (pysie list MODEL; the same distributions as pysie mc) by how "
        "much they move one output. --method oat (default): each parameter at its 10th and 90th percentile, the "
        "others at their medians (2k + 1 solves for k parameters). --method sobol: first-order and total Sobol' "
        "indices estimated by SALib from N (k + 2) solves, N = --samples (a power of 2); the inputs must be "
        "independent.",
    )
    p.add_argument("model", metavar="MODEL", help=f"the model: {', '.join(model_names())}")
    p.add_argument(
        "--method", default="oat", metavar="METHOD", help=f"{' or '.join(sensitivity.METHODS)} (default oat)"
    )
    p.add_argument(
        "--output",
        metavar="NAME",
        help="the output to explain (default: the model's first headline output that each sample solves)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout: model, method, output, parameters")
    p.add_argument(
        "--samples",
        type=integer_in(1),
        metavar="N",
        help=f"sobol: SALib's base sample N, a power of 2 (default {sensitivity.SOBOL_SAMPLES:,}; "
        "N (k + 2) model solves)",
    )
    p.add_argument("--seed", type=integer_in(0), metavar="S", help="sobol: seed of the scrambled Sobol' sequence (0)")
    p.add_argument(
        "--never-as",
        type=_number,
        metavar="VALUE",
        help="count a sample where the output is never reached as VALUE (Sobol' needs a number in every sample)",
    )
    _add_draw_options(p)
    p.add_argument("--plot", metavar="FILE.png", help="draw the tornado (oat) or the indices (sobol) into a PNG")
    p.add_argument("--force", action="store_true", help="replace the --plot file if it exists")
    _add_run_options(p)
    p.set_defaults(func=cmd_sensitivity)


def tornado_table(result: sensitivity.OAT) -> str:
    """The text table of ``pysie sensitivity --method oat``: a row per parameter, largest swing first."""
    d = result.design
    unit = d.unit(result.output)
    title = f"{d.model.name}: one at a time, output {result.output}" + (f" ({unit})" if unit else "")
    note = (
        f"  each drawn parameter at its p10 and p90, the others at their medians (output there: {_shown(result.base)})"
    )
    rows: list[tuple[str, ...]] = [("parameter", "p10", "output", "p90", "output", "swing")]
    for s in result.swings:
        rows.append(
            (s.parameter, f"{s.low_value:.4g}", _shown(s.low), f"{s.high_value:.4g}", _shown(s.high), _shown(s.swing))
        )
    never = [f"  never reached counted as {result.never_as:g}"] if result.never_as is not None else []
    return "\n".join([title, note, *_aligned(rows), *never])


def sobol_table(result: sensitivity.Sobol) -> str:
    """The text table of ``pysie sensitivity --method sobol``: a row per parameter, largest total index first."""
    d = result.design
    unit = d.unit(result.output)
    title = f"{d.model.name}: Sobol' indices, output {result.output}" + (f" ({unit})" if unit else "")
    note = (
        f"  {d.samples:,} base samples, seed {d.seed}: {result.evaluations:,} model solves "
        f"(N (k + 2), k = {len(d.dists)} drawn parameters); +/-: 95% bootstrap interval (SALib)"
    )
    rows: list[tuple[str, ...]] = [("parameter", "S1", "+/-", "ST", "+/-")]
    for name in result.ranked():
        rows.append(
            (
                name,
                *(
                    f"{v[name]:.3f}" if math.isfinite(v[name]) else "n.a."
                    for v in (result.S1, result.S1_conf, result.ST, result.ST_conf)
                ),
            )
        )
    never = (
        [f"  never reached in {result.never:.1%} of the samples, counted as {result.never_as:g}"]
        if result.never_as is not None and result.never
        else []
    )
    return "\n".join([title, note, *_aligned(rows), *never])


def _shown(value: float) -> str:
    return format_value(value) if math.isfinite(value) else "never"


def cmd_sensitivity(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    method = sensitivity.check_method(args.method)
    if method == "oat":
        given = [flag for flag, value in (("--samples", args.samples), ("--seed", args.seed)) if value is not None]
        if given:
            raise UsageError(f"{' and '.join(given)}: only --method sobol samples; one at a time solves 2k + 1 runs")
    samples = args.samples if args.samples is not None else sensitivity.SOBOL_SAMPLES
    d, candidates = sensitivity.design(
        model,
        output=args.output,
        samples=samples if method == "sobol" else 1,
        seed=args.seed or 0,
        dists=parse_assignments(args.dist, flag="--dist", form="NAME=SPEC"),
        values=parse_assignments(args.set),
        max_samples=args.max_samples,
    )
    _check_plot(args.plot, args.force)
    if args.force and not args.plot:
        raise UsageError("--force replaces the --plot file; give --plot")
    result: sensitivity.OAT | sensitivity.Sobol
    if method == "oat":
        result = sensitivity.oat(d, never_as=args.never_as)
    else:
        with chunk_map(args.scheduler) as mapped:
            result = sensitivity.sobol(
                d,
                candidates,
                never_as=args.never_as,
                chunk=args.chunk,
                map_chunks=mapped,
                progress=sys.stderr.isatty(),
                max_samples=args.max_samples,
            )
    if args.json:
        print(json.dumps(result.report(), indent=2, allow_nan=False))
    else:
        print(tornado_table(result) if isinstance(result, sensitivity.OAT) else sobol_table(result))
    if args.plot:
        from pysie.sensitivity_plot import plot_sensitivity

        plot_sensitivity(result, Path(args.plot), overwrite=args.force)
        print(f"wrote {args.plot}", file=sys.stderr if args.json else sys.stdout)
    return 0
