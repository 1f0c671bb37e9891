"""Reports of a solved model, built from its declaration alone.

No model writes report code: every output is declared once (name, unit,
label, number format, group, kind; see :class:`pysie.spec.Scalar`), and this
module turns a :class:`~pysie.solver.Solution` into

* :func:`report`: the JSON of ``pysie run --json``. Its ``"outputs"`` object
  holds every output by its defined name; beside it, the nested shape each
  output declares with ``report_as`` (e.g. ``variants.no_retraining.
  months_to_infinity``), ``parameters``, ``samples``/``seed`` for models that
  sample, listed rows (:class:`~pysie.spec.RowListing`) and a ``message`` for
  outputs that are "never" (their declared ``never`` text);
* :func:`key_rows`: the terminal table (every output with a label, by group);
* :func:`preset_table` and :func:`grid_table`: the Markdown tables of README,
  which a test regenerates and compares (see :func:`refresh_markdown`).

A value that is an error in the workbook (NaN in the solver) is ``None`` in
every report: "never reached" or "undefined", never a number.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pysie.dates import AFTER_LAST_DATE, iso_date
from pysie.fileio import atomic_output
from pysie.models import MODELS
from pysie.solver import Solution, solve
from pysie.spec import Model, Scalar

NEVER = "never / n.a."


def output_value(solution: Solution, scalar: Scalar, scenario: int = 0) -> Any:
    """One output as a report shows it (see :data:`pysie.spec.OUTPUT_KINDS`)."""
    value = solution.value(scalar.name, scenario)
    if not math.isfinite(value):
        return None
    if scalar.kind == "integer":
        return int(value)
    if scalar.kind == "date":
        return iso_date(value)
    if scalar.kind == "years_from_origin":
        origin = solution.model.date_origin
        assert origin is not None  # Model.validate requires it for this kind
        start, days_per_year = (solution.value(name, scenario) for name in origin)
        marker = iso_date(start + days_per_year * value)
        return marker if marker in (None, AFTER_LAST_DATE) else value
    return value


def _place(tree: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def report(solution: Solution, scenario: int = 0) -> dict[str, Any]:
    """The JSON-ready report of one scenario (see the module docstring)."""
    model = solution.model
    parameters = solution.parameter_values(scenario)
    out: dict[str, Any] = {"model": model.name, "parameters": parameters}
    if model.sampling is not None:
        out["samples"] = int(parameters[model.sampling.samples])
        out["seed"] = int(parameters[model.sampling.seed])
    values = {s.name: output_value(solution, s, scenario) for s in model.outputs + model.checks}
    for scalar in model.outputs + model.checks:
        if scalar.report_as:
            _place(out, scalar.report_as, values[scalar.name])
    for listing in model.listings:
        flags = solution.column(listing.table, listing.flag, scenario)
        rows = solution.column(listing.table, listing.value, scenario)[flags == 1]
        _place(out, listing.report_as or (listing.name,), [int(v) if v == int(v) else float(v) for v in rows])
    messages = [s.never.format(**parameters) for s in model.outputs if s.never and values[s.name] is None]
    if messages:
        out["message"] = "; ".join(dict.fromkeys(messages))
    out["outputs"] = {s.name: values[s.name] for s in model.outputs}
    return out


def headline_outputs(model: Model) -> tuple[Scalar, ...]:
    """The outputs a terminal table shows: those declared with a label."""
    return tuple(s for s in model.outputs if s.label)


def key_rows(model: Model, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, value) rows of a report's headline outputs; a group's outputs are
    labelled ``group: label``."""
    outputs = result["outputs"]
    rows: list[tuple[str, Any]] = []
    for s in headline_outputs(model):
        label = f"{s.group}: {s.label}" if s.group else s.label
        rows.append((label, _shown(s, outputs[s.name])))
    if "message" in result:
        rows.append(("note", result["message"]))
    return rows


def _shown(scalar: Scalar, value: Any) -> Any:
    if scalar.kind == "year" and isinstance(value, float):
        return f"{value:.1f}"  # 4 significant digits would round 2039.7 to 2040
    return value


def format_value(value: Any, digits: int = 4) -> str:
    """A report value for a table: None is "never / n.a.", floats to ``digits``
    significant digits."""
    if value is None:
        return NEVER
    if isinstance(value, float):
        return "n.a." if math.isnan(value) else f"{value:.{digits}g}"
    return str(value)


def format_rows(title: str, rows: Sequence[tuple[str, Any]]) -> str:
    """A titled two-column text table."""
    width = max((len(label) for label, _ in rows), default=0)
    return "\n".join([title, "-" * len(title)] + [f"{label:<{width}}  {format_value(value)}" for label, value in rows])


# --- README tables -----------------------------------------------------------------


def _markdown_cell(scalar: Scalar, value: Any, never: str) -> str:
    if value is None:
        return never
    if isinstance(value, float):
        if scalar.kind == "year":
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def preset_table(model: Model, outputs: Sequence[str], never: str = "not within the horizon") -> str:
    """A Markdown table: a row per preset, a column per output (its label)."""
    scalars = [_output(model, name) for name in outputs]
    head = "| preset | " + " | ".join(s.label or s.name for s in scalars) + " |"
    lines = [head, "|---" * (len(scalars) + 1) + "|"]
    for preset in model.presets:
        result = report(solve(model, model.resolve(preset)))["outputs"]
        cells = [_markdown_cell(s, result[s.name], never) for s in scalars]
        lines.append(f"| {preset} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def grid_table(model: Model, corner: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]]) -> str:
    """A Markdown table of one solve at the model's defaults: ``rows`` are
    (row label, output names), one name per column of ``columns``."""
    result = report(solve(model, model.resolve(None)))["outputs"]
    lines = [f"| {corner} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, names in rows:
        cells = [_markdown_cell(_output(model, n), result[n], "never") for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _output(model: Model, name: str) -> Scalar:
    for s in model.outputs:
        if s.name == name:
            return s
    raise KeyError(f"model {model.name!r} has no output {name!r}")


#: ``<!-- table: MODEL presets OUTPUT ... -->`` or ``<!-- table: MODEL grid NAME -->``,
#: then the generated table (up to the first blank line).
_MARKER = re.compile(r"^<!-- table: (?P<spec>[^>]*?) -->\n(?P<table>(?:\|.*\n)*)", re.M)


def markdown_for(spec: str, models: Mapping[str, Model]) -> str:
    """The table a README marker asks for."""
    model_name, how, *names = spec.split()
    model = models[model_name]
    if how == "presets":
        return preset_table(model, names)
    if how == "grid":
        (grid,) = [g for g in model.grids if g.name == names[0]]
        return grid_table(model, grid.corner, grid.columns, grid.rows)
    raise ValueError(f"unknown README table kind {how!r} in {spec!r}")


def refresh_markdown(text: str, models: Mapping[str, Model]) -> str:
    """``text`` with every marked table regenerated from the solver."""
    return _MARKER.sub(lambda m: f"<!-- table: {m['spec']} -->\n{markdown_for(m['spec'], models)}\n", text)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pysie.report README.md``: regenerate the marked tables in place."""
    for name in argv if argv is not None else sys.argv[1:]:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        fresh = refresh_markdown(text, MODELS)
        if fresh != text:
            with atomic_output(path, overwrite=True) as tmp:
                tmp.write_text(fresh, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
