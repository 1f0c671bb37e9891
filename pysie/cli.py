"""Command line: each subcommand is one library call.

Exit status: 0 success (and, for ``check``, every cell agrees), 1 a check found
differences, 2 bad input (a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pysie import __version__, fileio
from pysie.build import Built, build_all, build_from, build_target
from pysie.compare import check_workbook
from pysie.console import StdoutFailed, guarded_stdout, silence_stdout, terminate_as_exit
from pysie.excel.reader import WorkbookError
from pysie.freshness import check_committed
from pysie.importer import import_workbook
from pysie.models import MODELS, get_model, model_names
from pysie.options import MAX_DPI, MIN_DPI, finite_at_least, integer_in
from pysie.recalc import ENGINES
from pysie.recalc.libreoffice import EngineFailed, EngineUnavailable
from pysie.recalc.writeback import recalc_to_file
from pysie.render import render_charts
from pysie.report import format_rows, key_rows, report
from pysie.solver import solve
from pysie.spec import InputError, Model
from pysie.sweep import MAX_SCENARIOS, parse_sets, sweep_to_file
from pysie.tables_out import STDOUT
from pysie.templates import workbooks_dir

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(ValueError):
    pass


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings as a dict; values are validated by the model."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


# --- subcommands -------------------------------------------------------------------


def cmd_list(args: argparse.Namespace) -> int:
    for name, model in MODELS.items():
        print(f"{name}: {model.title}")
        print(f"  presets: {', '.join(model.presets) or '(none)'}")
        for p in model.parameters:
            print(f"  {p.name:<36} {p.default:<10g} {p.unit:<24} {p.description}")
        print()
    return EXIT_OK


def sampling_overrides(model: Model, samples: str | None, seed: str | None) -> dict[str, str]:
    """``--samples``/``--seed`` as parameter values of a model that samples;
    a model with nothing to sample refuses them."""
    given = {flag: value for flag, value in (("--samples", samples), ("--seed", seed)) if value is not None}
    if not given:
        return {}
    if model.sampling is None:
        raise UsageError(f"model {model.name!r} draws no random samples; drop {' and '.join(given)}")
    names = {"--samples": model.sampling.samples, "--seed": model.sampling.seed}
    return {names[flag]: value for flag, value in given.items()}


def run_model(name: str, preset: str | None, overrides: dict[str, str]) -> dict[str, Any]:
    """Solve a model for one scenario and return its JSON report."""
    model = get_model(name)
    return report(solve(model, model.resolve(preset, overrides)))


def cmd_run(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    overrides = parse_assignments(args.set)
    sampled = sampling_overrides(model, args.samples, args.seed)
    clash = sorted(set(overrides) & set(sampled))
    if clash:
        raise UsageError(f"{clash[0]} is given twice (--set and --samples/--seed); give it once")
    result = run_model(args.model, args.preset, {**overrides, **sampled})
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        given = [args.preset] if args.preset else []
        given += [f"{k}={v}" for k, v in {**overrides, **sampled}.items()]
        print(format_rows(f"{model.title} ({', '.join(given) or 'defaults'})", key_rows(model, result)))
    return EXIT_OK


def _print_built(built: Built) -> None:
    print(format_rows(built.model.title, key_rows(built.model, built.result)))


def cmd_build(args: argparse.Namespace) -> int:
    if args.check:
        return cmd_build_check(args)
    if args.from_book is not None:
        return build_from_book(args)
    folder = Path(args.output or "workbooks")
    if args.target is None:
        results = build_all(folder, overwrite=args.force, templates=args.templates)
    else:
        overrides = parse_assignments(args.set)
        built = build_target(
            args.target, folder, overwrite=args.force, templates=args.templates, preset=args.preset, overrides=overrides
        )
        results = [built]
    for built in results:
        print(f"wrote {built.path}")
        _print_built(built)
        print()
    return EXIT_OK


def cmd_build_check(args: argparse.Namespace) -> int:
    """``build --check``: exit 1 listing every cell where workbooks/ is stale."""
    if args.target is not None:
        raise UsageError("build --check compares every template; give no TARGET")
    folder = workbooks_dir(args.output, args.templates)
    stale = check_committed(folder, args.templates)
    for item in stale[: args.limit]:
        print(item.describe())
    if len(stale) > args.limit:
        print(f"... and {len(stale) - args.limit} more")
    print(f"{folder}: {'stale, rebuild with pysie build --force' if stale else 'every workbook matches its template'}")
    return EXIT_DIFFERENT if stale else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    for png in render_charts(Path(args.book), Path(args.output), dpi=args.dpi):
        print(f"wrote {png}")
    return EXIT_OK


def build_from_book(args: argparse.Namespace) -> int:
    if args.preset or args.set:
        raise UsageError("--from takes the inputs from BOOK; drop --preset/--set (edit BOOK instead)")
    built, left = build_from(
        Path(args.from_book), Path(args.output or "workbooks"), target=args.target, overwrite=args.force
    )
    print(f"wrote {built.path} with the inputs of {args.from_book}")
    for item in left:
        print(f"not carried over (still in {args.from_book}): {item}")
    _print_built(built)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    imported = import_workbook(Path(args.book), engine=args.engine)
    print(
        json.dumps(imported.as_json(), indent=2, allow_nan=False) if args.json else imported.summary(limit=args.limit)
    )
    return EXIT_OK


def cmd_recalc(args: argparse.Namespace) -> int:
    out = recalc_to_file(
        Path(args.book),
        Path(args.output) if args.output else None,
        engine=args.engine,
        overwrite=args.force,
        in_place=args.in_place,
    )
    print(f"wrote {out} ({args.engine} engine)")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    checked = check_workbook(Path(args.book), engine=args.engine, rtol=args.rtol, atol=args.atol)
    print(checked.summary(limit=args.limit))
    return EXIT_OK if checked.ok else EXIT_DIFFERENT


def cmd_sweep(args: argparse.Namespace) -> int:
    spans, texts = parse_sets(args.set)
    rows, results = sweep_to_file(
        Path(args.book),
        args.output,
        spans,
        samples=args.samples,
        seed=args.seed,
        texts=texts,
        overwrite=args.force,
        max_scenarios=args.max_scenarios,
    )
    where = "standard output" if args.output == STDOUT else args.output
    print(f"wrote {where} ({rows:,} scenarios, {results} results)", file=sys.stderr if args.output == STDOUT else sys.stdout)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pysie",
        description="Software-intelligence-explosion models: solve, build live workbooks, recalculate and cross-check.",
    )
    parser.add_argument("--version", action="version", version=f"pysie {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="models, presets and parameters with units")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="solve a model and print its key results")
    p.add_argument("model", choices=model_names())
    p.add_argument("--preset")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--samples", help="Monte Carlo samples (same as --set samples=N)")
    p.add_argument("--seed", help="random seed (same as --set seed=S)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("build", help="write workbooks: one template or model, or every template into workbooks/")
    p.add_argument("target", nargs="?", help="template or model name (default: every template)")
    p.add_argument("-o", "--output", help="folder (default workbooks/)")
    p.add_argument("--preset")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--templates", type=Path, help="templates folder (default ./templates)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the cells where the workbooks in -o (default workbooks/) differ "
        "from a fresh build",
    )
    p.add_argument("--limit", type=integer_in(0), default=20, help="with --check: differences to print")
    p.add_argument(
        "--from", dest="from_book", metavar="BOOK", help="a fresh workbook with the inputs of BOOK (an edited workbook)"
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("recalc", help="recalculate a workbook headlessly and write the values")
    p.add_argument("book")
    p.add_argument("-o", "--output")
    p.add_argument(
        "--engine",
        default="compiled",
        choices=ENGINES,
        help="compiled (default), formulas (the reference) or libreoffice",
    )
    p.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    p.add_argument("--in-place", action="store_true", help="write the values into BOOK itself (atomically)")
    p.set_defaults(func=cmd_recalc)

    p = sub.add_parser("check", help="recalculate a workbook and compare every formula cell with the solver")
    p.add_argument("book")
    p.add_argument(
        "--engine",
        default="compiled",
        choices=ENGINES,
        help="compiled (default), formulas (the reference) or libreoffice",
    )
    p.add_argument("--rtol", type=finite_at_least(0), default=1e-9, help="relative tolerance (default 1e-9)")
    p.add_argument(
        "--atol",
        type=finite_at_least(0),
        default=0.0,
        help="absolute tolerance added to it, for values near zero (default 0)",
    )
    p.add_argument("--limit", type=integer_in(0), default=20, help="differences to print")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("render", help="export each chart sheet to PNG through LibreOffice")
    p.add_argument("book")
    p.add_argument("-o", "--output", required=True, help="folder for the PNGs (created if missing)")
    p.add_argument(
        "--dpi", type=integer_in(MIN_DPI, MAX_DPI), default=80, help=f"resolution, {MIN_DPI} to {MAX_DPI} (default 80)"
    )
    p.set_defaults(func=cmd_render)
    p = sub.add_parser(
        "import", help="read an edited workbook: changed inputs and results, edited formulas, added cells"
    )
    p.add_argument("book")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument(
        "--engine",
        default="compiled",
        choices=ENGINES,
        help="recalculates edited formulas: compiled (default), formulas or libreoffice",
    )
    p.add_argument("--limit", type=integer_in(0), default=20, help="edited formulas and added cells to print")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "sweep", help="evaluate a workbook for a grid (or a sample) of input values; one CSV row per scenario"
    )
    p.add_argument("book")
    p.add_argument("--set", action="append", default=[], metavar="NAME=LO:HI:COUNT", help="an input name and its range")
    p.add_argument(
        "--random",
        dest="samples",
        metavar="N",
        type=integer_in(1),
        help="draw N uniform random input sets within the ranges instead of the grid (a model's own Monte Carlo "
        "is not this: set it with --set samples=... in pysie run)",
    )
    p.add_argument("--seed", type=integer_in(0), default=0, help="seed of the --random draws (default 0)")
    p.add_argument(
        "--max-scenarios",
        type=integer_in(1),
        default=MAX_SCENARIOS,
        help=f"refuse a grid or sample larger than this (default {MAX_SCENARIOS:,})",
    )
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    p.set_defaults(func=cmd_sweep)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    written = len(fileio.WRITTEN)
    try:
        with terminate_as_exit(), guarded_stdout():
            return int(args.func(args))
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except StdoutFailed as exc:  # the report was lost; say whether the files were written
        silence_stdout()
        files = [str(p) for p in fileio.WRITTEN[written:]]
        if files:
            print(f"pysie: warning: wrote {', '.join(files)}, but {exc.strerror}", file=sys.stderr)
            return EXIT_OK
        print(f"pysie: error: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("pysie: interrupted; nothing was left half written", file=sys.stderr)
        return 130
    except (
        InputError,
        UsageError,
        WorkbookError,
        fileio.OutputExists,
        EngineUnavailable,
        EngineFailed,
        OSError,
    ) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"pysie: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
