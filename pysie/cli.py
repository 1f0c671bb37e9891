"""Command line: each subcommand is one library call.

Exit status: 0 success (and, for ``check``, every cell agrees), 1 a check found
differences, 2 bad input (a one-line reason on stderr: ``pysie: error: ...``;
with ``--json``, the same reason as ``{"error": "..."}``). A mistyped command,
model, preset, parameter, template, engine or option is answered with the
nearest known names (:func:`pysie.spec.nearest_names`).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pysie import __version__, fileio, steps
from pysie.console import StdoutFailed, guarded_stdout, silence_stdout, terminate_as_exit
from pysie.models import MODELS, get_model, model_names
from pysie.options import (
    ENGINES,
    MAX_DPI,
    MAX_SCENARIOS,
    MIN_DPI,
    VALUE_LIKE,
    UsageError,
    finite_above,
    finite_at_least,
    integer_in,
    parse_assignments,
    set_usage,
)
from pysie.report import format_rows, key_rows, report
from pysie.solver import solve
from pysie.spec import InputError, Model, Parameter, nearest_names
from pysie.tables_out import STDOUT, check_output, output_format, trajectory_columns, write_table
from pysie.templates import workbooks_dir
from pysie.uncertainty_cli import add_mc_parser, add_sensitivity_parser

if TYPE_CHECKING:
    from pysie.build import Built
    from pysie.importer import ImportReport

# The workbook, engine and import modules (openpyxl, the recalculation engines)
# are imported by the commands that use them: ``pysie mc`` and ``pysie run``
# start without them.

EXIT_OK, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


def _set_misuse(argv: Sequence[str], command: str | None) -> str | None:
    """The first ``--set`` of ``argv`` that is not ``NAME=VALUE`` in one word
    (``--set r 1.5``, ``--set r= 1.5``, ``--set r =1.5``, ``--set r = 1.5``),
    but followed by a word that reads as its value, explained with the
    spelling meant; None otherwise (the command reports a malformed item)."""
    form = "NAME=LO:HI:COUNT (or NAME=VALUE)" if command == "sweep" else "NAME=VALUE"
    words = list(argv)
    for i, word in enumerate(words[:-1]):
        if word != "--set":
            continue
        item = words[i + 1]
        name, sep, value = item.partition("=")
        if sep and name.strip() and value.strip():
            continue
        if i + 2 == len(words) or not name.strip():
            continue  # the command itself says what is wrong with the item
        following = words[i + 3] if words[i + 2] == "=" and i + 3 < len(words) else words[i + 2]
        if VALUE_LIKE.match(following.lstrip("=")):
            return set_usage(item, form, following)
    return None


# --- subcommands -------------------------------------------------------------------


def model_json(model: Model) -> dict[str, Any]:
    """What ``pysie list --json`` says of a model: presets, every parameter
    with its default, unit, bounds and source, every output with its unit and
    every table with its columns' units."""
    return {
        "title": model.title,
        "summary": model.summary,
        "presets": {name: dict(values) for name, values in model.presets.items()},
        "parameters": {
            p.name: {
                "default": p.default,
                "unit": p.unit,
                "lower": p.lower,
                "upper": p.upper,
                "lower_open": p.lower_open,
                "upper_open": p.upper_open,
                "bounds": p.bounds_text(),
                "integer": p.integer,
                "structural": p.structural,
                "description": p.description,
                "source": p.source,
            }
            for p in model.parameters
        },
        "outputs": {s.name: {"unit": s.unit, "kind": s.kind, "description": s.description} for s in model.outputs},
        "tables": {
            t.name: {
                "sheet": t.sheet,
                "columns": {c.name: {"unit": c.unit, "description": c.description} for c in t.columns},
            }
            for t in model.tables
        },
        "distributions": {
            p.name: {"spec": p.dist.spec, "source": p.dist.source} for p in drawn_parameters(model) if p.dist
        },
    }


def drawn_parameters(model: Model) -> list[Parameter]:
    """The parameters ``pysie mc`` draws by default (none for a model that samples in its workbook)."""
    if model.uncertainty is None:
        return []
    return [p for p in (model.uncertainty.scenario or model).parameters if p.dist is not None]


def cmd_list(args: argparse.Namespace) -> int:
    models = [get_model(args.model)] if args.model else list(MODELS.values())
    if args.json:
        print(json.dumps({m.name: model_json(m) for m in models}, indent=2, allow_nan=False))
        return EXIT_OK
    for model in models:
        print(f"{model.name}: {model.title}")
        print(f"  presets: {', '.join(model.presets) or '(none)'}")
        print(f"  tables (run --table): {', '.join(t.name for t in model.tables)}")
        rows = [("parameter", "default", "bounds", "unit", "description")]
        for p in model.parameters:
            note = " [structural]" if p.structural else ""
            rows.append((p.name, f"{p.default:g}", p.bounds_text(), p.unit, p.description + note))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
        drawn = drawn_parameters(model)
        if drawn:
            print("  distributions (pysie mc draws these; --dist replaces one, --set holds it):")
            width = max(len(p.name) for p in drawn)
            for p in drawn:
                print(f"  {p.name.ljust(width)}  {p.dist.spec}  ({p.dist.source})")  # type: ignore[union-attr]
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


def run_title(model: Model, preset: str | None, overrides: Mapping[str, str]) -> str:
    """The run table's title: what was set, or "(defaults)" when nothing was."""
    given = [f"preset {preset}"] if preset else []
    given += [f"{k}={v}" for k, v in overrides.items()]
    return f"{model.title} ({', '.join(given) or 'defaults'})"


def trajectory_outputs(model: Model, args: argparse.Namespace) -> list[tuple[str, Path | str]]:
    """(table, file) of every trajectory ``--csv``/``--parquet`` write, checked
    before anything is solved. One table (``--table``, or a model with one)
    goes to the file named; several go to ``X.<table>.csv`` (``.parquet``)."""
    targets = [(flag, path) for flag, path in (("--csv", args.csv), ("--parquet", args.parquet)) if path]
    if args.table and not targets:
        raise UsageError("--table chooses the tables --csv/--parquet write; give --csv FILE or --parquet FILE")
    known = [t.name for t in model.tables]
    for name in args.table:
        if name not in known:
            raise UsageError(f"model {model.name!r} has no table {name!r}{nearest_names(name, known)}")
    tables = list(dict.fromkeys(args.table)) or known
    out: list[tuple[str, Path | str]] = []
    for flag, path in targets:
        kind = output_format(path)
        if kind != flag[2:]:
            raise UsageError(f"{flag} {path}: name a {flag[2:].upper()} file X.{flag[2:]}")
        if path == STDOUT:
            if len(tables) > 1:
                raise UsageError(f"{flag} - writes one table; choose it with --table (tables: {', '.join(tables)})")
            if args.json:
                raise UsageError(f"--json and {flag} - both write to standard output; name a file for {flag}")
            out.append((tables[0], STDOUT))
            continue
        file = Path(path)
        for table in tables:
            target = file if len(tables) == 1 else file.with_name(f"{file.stem}.{table}{file.suffix}")
            check_output(target, overwrite=args.force)
            out.append((table, target))
    return out


def cmd_run(args: argparse.Namespace) -> int:
    model = get_model(args.model)
    overrides = parse_assignments(args.set)
    sampled = sampling_overrides(model, args.samples, args.seed)
    clash = sorted(set(overrides) & set(sampled))
    if clash:
        raise UsageError(f"{clash[0]} is given twice (--set and --samples/--seed); give it once")
    if args.force and not (args.csv or args.parquet):
        raise UsageError("--force replaces the files of --csv/--parquet; give one of them")
    files = trajectory_outputs(model, args)
    solution = solve(model, model.resolve(args.preset, {**overrides, **sampled}))
    result = report(solution)
    to_stdout = any(path == STDOUT for _, path in files)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    elif not to_stdout:
        print(format_rows(run_title(model, args.preset, {**overrides, **sampled}), key_rows(model, result)))
    for table, path in files:
        fields, columns = trajectory_columns(solution, table)
        rows = write_table(path, fields, columns, overwrite=args.force, metadata={"model": model.name, "table": table})
        if path != STDOUT:
            print(f"wrote {path} ({table}: {rows:,} rows)", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


def _print_built(built: Built) -> None:
    print(format_rows(built.model.title, key_rows(built.model, built.result)))


def cmd_build(args: argparse.Namespace) -> int:
    from pysie.build import build_all, build_target

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
    from pysie.freshness import check_committed

    folder = workbooks_dir(args.output, args.templates)
    stale = check_committed(folder, args.templates)
    for item in stale[: args.limit]:
        print(item.describe())
    if len(stale) > args.limit:
        print(f"... and {len(stale) - args.limit} more")
    print(f"{folder}: {'stale, rebuild with pysie build --force' if stale else 'every workbook matches its template'}")
    return EXIT_DIFFERENT if stale else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from pysie.render import render_charts

    for png in render_charts(Path(args.book), Path(args.output), dpi=args.dpi):
        print(f"wrote {png}")
    return EXIT_OK


def build_from_book(args: argparse.Namespace) -> int:
    from pysie.build import build_from

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
    """The report in two parts: what is known is printed before any
    recalculation starts, and kept (printed, or in the JSON) when a later step
    fails, which then exits 2 with the reason on stderr."""
    from pysie.importer import ImportFailed, import_workbook

    shown: list[bool] = []

    def show_known(imported: ImportReport) -> None:
        if not args.json:
            with steps.paused():
                print(imported.summary_known(limit=args.limit), flush=True)
            shown.append(True)

    try:
        imported = import_workbook(Path(args.book), engine=args.engine, on_known=show_known)
    except ImportFailed as exc:
        steps.finish()
        _print_import(exc.report, args, known_shown=bool(shown))
        raise
    steps.finish()
    _print_import(imported, args, known_shown=bool(shown))
    return EXIT_OK


def _print_import(imported: ImportReport, args: argparse.Namespace, *, known_shown: bool) -> None:
    if args.json:
        print(json.dumps(imported.as_json(), indent=2, allow_nan=False))
        return
    text = imported.summary_rest() if known_shown else imported.summary(limit=args.limit)
    if text:
        print(text)


def cmd_recalc(args: argparse.Namespace) -> int:
    from pysie.recalc.writeback import recalc_to_file

    out = recalc_to_file(
        Path(args.book),
        Path(args.output) if args.output else None,
        engine=args.engine,
        overwrite=args.force,
        in_place=args.in_place,
    )
    steps.finish()
    print(f"wrote {out} ({args.engine} engine)")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from pysie.compare import check_workbook

    checked = check_workbook(Path(args.book), engine=args.engine, rtol=args.rtol, atol=args.atol)
    steps.finish()
    print(checked.summary(limit=args.limit))
    return EXIT_OK if checked.ok else EXIT_DIFFERENT


def cmd_sweep(args: argparse.Namespace) -> int:
    from pysie.sweep import parse_sets, sweep_to_file

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
    steps.finish()
    if args.output != STDOUT:  # standard output holds the table alone
        print(f"wrote {args.output} ({rows:,} scenarios, {results} results)")
    return EXIT_OK


class CommandLineError(Exception):
    """argparse refused the command line: ``message`` is its reason, ``usage``
    the usage line of the (sub)command it was parsing."""

    def __init__(self, message: str, usage: str, prog: str) -> None:
        super().__init__(message)
        self.usage, self.prog = usage, prog


class Parser(argparse.ArgumentParser):
    """argparse's parser, raising :class:`CommandLineError` instead of printing
    and exiting, so :func:`main` reports it (as JSON under ``--json``)."""

    def error(self, message: str) -> NoReturn:
        raise CommandLineError(message, self.format_usage(), self.prog)


def choice_of(what: str, known: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type=`` accepting one of ``known``; anything else is
    refused naming the nearest (argparse's own ``choices`` lists them all)."""

    def parse(text: str) -> str:
        if text not in known:
            raise argparse.ArgumentTypeError(f"unknown {what} {text!r}{nearest_names(text, known)}")
        return text

    parse.__name__ = what
    return parse


ENGINE_HELP = (
    "recalculation engine: {choices} (default compiled: pysie's own, fast; formulas: the pure-Python "
    "reference, a minute or more; libreoffice: runs soffice; excel: Microsoft Excel through xlwings, "
    "Windows and macOS only)"
)


def _engine_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--engine",
        default="compiled",
        type=choice_of("engine", ENGINES),
        metavar="ENGINE",
        help=f"{what}; " + ENGINE_HELP.format(choices=", ".join(ENGINES)),
    )


def _book(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("book", metavar="BOOK", help=what)


def _long_command_options(p: argparse.ArgumentParser) -> None:
    """``--timeout`` and ``--quiet`` of the commands that read and evaluate a workbook (:mod:`pysie.steps`)."""
    p.add_argument(
        "--timeout",
        type=finite_above(0),
        metavar="SECONDS",
        help="stop with exit status 2, naming the step that was running, when the work takes longer than this "
        "(nothing is written; a LibreOffice run is killed)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="show no progress (it is shown on stderr only when that is a terminal)"
    )


def _set_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=what)


def build_parser() -> Parser:
    parser = Parser(
        prog="pysie",
        description="Software-intelligence-explosion models: solve, build live workbooks, recalculate and cross-check.",
        epilog="pysie COMMAND --help describes each command. Exit status: 0 done, 1 a check found differences, "
        "2 bad input (one line on stderr saying why).",
    )
    parser.add_argument(
        "--version", action="version", version=f"pysie {__version__}", help="print the version and exit"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", help="what to do (one of these):")
    models = ", ".join(model_names())

    p = sub.add_parser(
        "list",
        help="models, presets and parameters with bounds and units",
        description="List the models: presets, and each parameter's default, bounds, unit and description.",
    )
    p.add_argument("model", nargs="?", metavar="MODEL", help=f"list only this model ({models})")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object on stdout: models by name, with presets, parameters (default, unit, bounds, source), "
        "outputs and tables",
    )
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "run",
        help="solve a model and print its key results",
        description="Solve one scenario of a model and print its headline results (all of them with --json); "
        "--csv/--parquet also write its trajectories.",
    )
    p.add_argument("model", metavar="MODEL", help=f"the model to solve: {models}")
    p.add_argument(
        "--preset", metavar="PRESET", help="start from this preset's values (pysie list shows each model's presets)"
    )
    _set_option(p, "set one parameter, e.g. --set research_returns=1.5 (repeatable; pysie list shows names and bounds)")
    p.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout: model, parameters and every output"
    )
    p.add_argument(
        "--samples", metavar="N", help="Monte Carlo samples of a model that samples (same as --set samples=N)"
    )
    p.add_argument("--seed", metavar="S", help="random seed of a model that samples (same as --set seed=S)")
    p.add_argument(
        "--csv",
        metavar="FILE",
        help="write the trajectories (a row per table row) as CSV, units in FILE's .units.csv sidecar; - for standard "
        "output; several tables: FILE.<table>.csv each",
    )
    p.add_argument(
        "--parquet",
        metavar="FILE",
        help="write the trajectories as Parquet (units in the schema); several tables: FILE.<table>.parquet each",
    )
    p.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="TABLE",
        help="write only this table's trajectory (repeatable; pysie list names each model's tables)",
    )
    p.add_argument("--force", action="store_true", help="replace the --csv/--parquet files if they exist")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "build",
        help="write workbooks: one template or model, or every template into workbooks/",
        description="Write live workbooks: a template or a model by name, or every template into workbooks/.",
    )
    p.add_argument("target", nargs="?", metavar="TARGET", help="template or model name (default: every template)")
    p.add_argument("-o", "--output", metavar="DIR", help="folder (default workbooks/)")
    p.add_argument("--preset", metavar="PRESET", help="with a TARGET: build this preset of the model")
    _set_option(p, "with a TARGET: set one parameter in the workbook, e.g. --set horizon_days=400 (repeatable)")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--templates", type=Path, metavar="DIR", help="templates folder (default ./templates)")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the cells where the workbooks in -o (default workbooks/) differ "
        "from a fresh build",
    )
    p.add_argument(
        "--limit", type=integer_in(0), default=20, metavar="N", help="with --check: differences to print (default 20)"
    )
    p.add_argument(
        "--from", dest="from_book", metavar="BOOK", help="a fresh workbook with the inputs of BOOK (an edited workbook)"
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser(
        "recalc",
        help="recalculate a workbook headlessly and write the values",
        description="Recalculate a workbook and store the values beside its formulas.",
    )
    _book(p, "the workbook to recalculate (never modified unless --in-place)")
    p.add_argument("-o", "--output", metavar="OUT", help="the recalculated copy to write (needed unless --in-place)")
    _engine_option(p, "how to recalculate")
    p.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")
    p.add_argument("--in-place", action="store_true", help="write the values into BOOK itself (atomically)")
    _long_command_options(p)
    p.set_defaults(func=cmd_recalc)

    p = sub.add_parser(
        "check",
        help="recalculate a workbook and compare every formula cell with the solver",
        description="Recalculate a workbook, read its inputs back and compare every formula cell with the numpy "
        "solver. Exit 0: all agree; 1: differences.",
    )
    _book(p, "the workbook to check (never modified)")
    _engine_option(p, "how to recalculate BOOK")
    p.add_argument(
        "--rtol", type=finite_at_least(0), default=1e-9, metavar="R", help="relative tolerance (default 1e-9)"
    )
    p.add_argument(
        "--atol",
        type=finite_at_least(0),
        default=0.0,
        metavar="A",
        help="absolute tolerance added to it, for values near zero (default 0)",
    )
    p.add_argument("--limit", type=integer_in(0), default=20, metavar="N", help="differences to print (default 20)")
    _long_command_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "render",
        help="export each chart sheet to PNG through LibreOffice",
        description="Export each chart sheet of a workbook to a PNG through LibreOffice and pdftoppm.",
    )
    _book(p, "the workbook whose chart sheets to export")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the PNGs (created if missing)")
    p.add_argument(
        "--dpi", type=integer_in(MIN_DPI, MAX_DPI), default=80, help=f"resolution, {MIN_DPI} to {MAX_DPI} (default 80)"
    )
    p.set_defaults(func=cmd_render)

    p = sub.add_parser(
        "import",
        help="read an edited workbook: changed inputs and results, edited formulas, added cells",
        description="Read an edited workbook: the inputs that differ from its template, the results they give, edited "
        "formulas and added cells.",
    )
    _book(p, "the edited workbook (never modified)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _engine_option(p, "recalculates edited formulas")
    p.add_argument(
        "--limit",
        type=integer_in(0),
        default=20,
        metavar="N",
        help="edited formulas and added cells to print (default 20)",
    )
    _long_command_options(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "sweep",
        help="evaluate a workbook for a grid (or a sample) of input values; a row per scenario in CSV or Parquet",
        description="Evaluate a workbook for every combination of input values (or random draws within ranges) and "
        "write one row per scenario: the swept inputs, then every result, in declaration order.",
    )
    _book(p, "the workbook to evaluate, as it is (edited formulas included; never modified)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=LO:HI:COUNT",
        help="an input and its values: COUNT evenly spaced from LO to HI, or one VALUE (repeatable; the grid is every "
        "combination, the last --set varying fastest)",
    )
    p.add_argument(
        "--random",
        dest="samples",
        metavar="N",
        type=integer_in(1),
        help="draw N uniform random input sets within the ranges instead of the grid (a model's own Monte Carlo "
        "is not this: set it with --set samples=... in pysie run)",
    )
    p.add_argument("--seed", type=integer_in(0), default=0, metavar="S", help="seed of the --random draws (default 0)")
    p.add_argument(
        "--max-scenarios",
        type=integer_in(1),
        default=MAX_SCENARIOS,
        metavar="N",
        help=f"refuse a grid or sample larger than this (default {MAX_SCENARIOS:,})",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="X.parquet (Parquet, units in the schema), X.csv (CSV, units in X.units.csv) or - (CSV on standard "
        "output)",
    )
    p.add_argument("--force", action="store_true", help="replace OUT (and its units file) if it exists")
    _long_command_options(p)
    p.set_defaults(func=cmd_sweep)

    add_mc_parser(sub)
    add_sensitivity_parser(sub)
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command(argv: Sequence[str]) -> str | None:
    """The subcommand word of ``argv`` (the first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def _precheck(parser: Parser, argv: Sequence[str]) -> str | None:
    """What argparse would answer badly, said plainly: an unknown command
    (with the nearest) and a ``--set`` that is not ``NAME=VALUE`` in one word."""
    commands = _subparsers(parser)
    command = _command(argv)
    if command is not None and command not in commands:
        return f"unknown command {command!r}{nearest_names(command, commands)}"
    return _set_misuse(argv, command)


def _explain(error: CommandLineError, parser: Parser, argv: Sequence[str]) -> tuple[str, str, str]:
    """(reason, usage, prog) of an argparse refusal; an unrecognised option is
    answered with the nearest options of the subcommand, and its usage line
    (argparse reports it from the top-level parser)."""
    message = str(error)
    sub = _subparsers(parser).get(_command(argv) or "")
    if not message.startswith("unrecognized arguments: ") or sub is None:
        return message, error.usage, error.prog
    options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
    for word in message.removeprefix("unrecognized arguments: ").split():
        if "=" in word and not word.startswith("-") and "--set" in sub._option_string_actions:
            message = f"unexpected {word!r}: give each NAME=VALUE its own --set (--set {word})"
            break
        if word.startswith("--"):
            name = word.split("=")[0]
            message = f"unknown option {name!r}{_nearest_options(name, options)}"
            break
    return message, sub.format_usage(), sub.prog


def _nearest_options(name: str, options: Sequence[str]) -> str:
    """What :func:`pysie.spec.nearest_names` says of an option, judged on the
    names without their leading ``--`` (which every option shares, so with
    it every option looks near)."""
    bare = [option.removeprefix("--") for option in options]
    close = difflib.get_close_matches(name.removeprefix("--"), bare, n=3, cutoff=0.6)
    if close:
        return f" (did you mean {', '.join('--' + c for c in close)}?)"
    return f"; known: {', '.join(options)}"


def _json_mode(argv: Sequence[str]) -> bool:
    """Does ``argv`` ask a command that has ``--json`` for it (so errors are JSON too)?"""
    words = list(argv)
    words = words[: words.index("--")] if "--" in words else words
    return "--json" in words and _command(words) in {"list", "run", "import", "mc", "sensitivity"}


def _report_error(
    message: str, as_json: bool, usage: str = "", prog: str = "pysie", status: int = EXIT_BAD_INPUT
) -> int:
    """One line on stderr (after the usage line argparse would show), or
    ``{"error": message}`` under ``--json``; returns the exit ``status``."""
    if as_json:
        print(json.dumps({"error": message}), file=sys.stderr)
    else:
        print(f"{usage}{prog}: error: {message}", file=sys.stderr)
    return status


def _steps_of(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """The time limit and progress display of a command that has ``--timeout``
    (:mod:`pysie.steps`); progress only on a terminal, never under ``--json``
    or ``--quiet``, nor while a table goes to a terminal on standard output."""
    if not hasattr(args, "timeout"):
        return contextlib.nullcontext()
    progress = sys.stderr.isatty() and not getattr(args, "json", False) and not args.quiet
    if getattr(args, "output", None) == STDOUT and args.command == "sweep" and sys.stdout.isatty():
        progress = False
    return steps.command_steps(args.command, timeout=args.timeout, progress=progress)


def _timed_out(message: str, args: argparse.Namespace) -> str:
    """The time-limit message, saying that the command's output file was not written."""
    if getattr(args, "in_place", False):
        return f"{message}; {args.book} is unchanged"
    output = getattr(args, "output", None)
    if output and output != STDOUT:
        return f"{message}; {output} was not written"
    return message


def _refusals() -> tuple[type[BaseException], ...]:
    """The errors reported as bad input (exit 2). Evaluated only when an error
    reaches :func:`main`: the workbook and engine modules load then, not at start."""
    from pysie.excel.reader import WorkbookError
    from pysie.recalc.libreoffice import EngineFailed, EngineUnavailable

    return (InputError, UsageError, WorkbookError, fileio.OutputExists, EngineUnavailable, EngineFailed, OSError)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    as_json = _json_mode(words)
    parser = build_parser()
    # A command line refused before any work exits with SystemExit(2), as argparse does.
    problem = _precheck(parser, words)
    if problem is not None:
        sys.exit(_report_error(problem, as_json))
    try:
        args = parser.parse_args(words)
    except CommandLineError as exc:
        message, usage, prog = _explain(exc, parser, words)
        sys.exit(_report_error(message, as_json, usage, prog))
    written = len(fileio.WRITTEN)
    try:
        with terminate_as_exit(), guarded_stdout(), _steps_of(args):
            return int(args.func(args))
    except steps.TimedOut as exc:
        return _report_error(_timed_out(str(exc), args), as_json)
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except StdoutFailed as exc:  # the report was lost; say whether the files were written
        silence_stdout()
        files = [str(p) for p in fileio.WRITTEN[written:]]
        if files:
            print(f"pysie: warning: wrote {', '.join(files)}, but {exc.strerror}", file=sys.stderr)
            return EXIT_OK
        return _report_error(str(exc.strerror), as_json)
    except KeyboardInterrupt:
        return _report_error("interrupted; nothing was left half written", as_json, status=130)
    except _refusals() as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _report_error(message, as_json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
