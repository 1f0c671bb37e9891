"""Build workbooks from templates (or straight from a model's presets).

Building is three steps, each owned by one module: solve what the workbook
shows (:func:`pysie.excel.plan.solve_workbook`), plan every cell
(:func:`pysie.excel.plan.plan_workbook`) and write the plan
(:func:`pysie.excel.writer.write_plan`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pysie.distributions import Distribution
from pysie.excel.plan import WorkbookSolution, plan_workbook, solve_workbook
from pysie.excel.reader import BuiltShape, Metadata, MissingSheet, WorkbookError, read_book
from pysie.excel.uncertainty_import import read_distributions
from pysie.excel.writer import write_plan
from pysie.freshness import snapshot_dates
from pysie.importer import import_inputs, import_workbook, workbook_template
from pysie.models import MODELS, get_model
from pysie.report import report
from pysie.spec import InputError, Model, nearest_names
from pysie.templates import Template, all_templates, find_template, templates_dir


@dataclass(frozen=True)
class Built:
    """A workbook written: where, which model, and its report (``pysie run --json``)."""

    path: Path
    model: Model
    result: dict[str, Any]


def write_workbook(
    model: Model,
    values: Mapping[str, float],
    path: Path,
    *,
    template: str = "",
    template_version: int = 1,
    overwrite: bool = False,
    dists: Mapping[str, Distribution] | None = None,
) -> WorkbookSolution:
    """Solve ``model`` for ``values`` (its drawn parameters from ``dists`` where
    given) and write its workbook to ``path``. A workbook replaced
    (``overwrite``) whose snapshots are unchanged passes on the dates they were
    computed (so rebuilding it writes the same bytes)."""
    solved = solve_workbook(model, values, dists=dists)
    plan = plan_workbook(model, solved, template=template, template_version=template_version)
    if overwrite and plan.snapshot_sheets() and Path(path).is_file():
        with contextlib.suppress(WorkbookError):  # an unreadable file is replaced, dated today
            plan.restamp(snapshot_dates(Path(path), plan))
    write_plan(plan, path, overwrite=overwrite)
    return solved


def build_template(
    template: Template,
    folder: Path,
    *,
    overwrite: bool = False,
    values: Mapping[str, float] | None = None,
    dists: Mapping[str, Distribution] | None = None,
) -> Built:
    """Write one template's workbook into ``folder`` (``values`` and ``dists``: a workbook's own)."""
    model = get_model(template.model)
    inputs = dict(values) if values is not None else template.values()
    path = Path(folder) / template.filename
    solved = write_workbook(
        model,
        inputs,
        path,
        template=template.name,
        template_version=template.version,
        overwrite=overwrite,
        dists=dists,
    )
    return Built(path, model, report(solved.solution))


def build_target(
    target: str,
    folder: Path,
    *,
    overwrite: bool = False,
    templates: Path | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Built:
    """Build a template by name, or a model by name (its defaults or ``preset``)."""
    template = find_template(target, templates)
    if template is None:
        if target not in MODELS:
            known = dict.fromkeys([*(p.stem for p in sorted(templates_dir(templates).glob("*.toml"))), *MODELS])
            raise InputError(f"no template or model named {target!r}{nearest_names(target, known)}")
        template = Template(name=target, model=target, preset=preset)
    elif preset is not None:
        template = replace(template, preset=preset)
    if overrides:
        template = replace(template, overrides={**template.overrides, **overrides})
    folder.mkdir(parents=True, exist_ok=True)
    return build_template(template, folder, overwrite=overwrite)


def build_all(folder: Path, *, overwrite: bool = False, templates: Path | None = None) -> list[Built]:
    folder.mkdir(parents=True, exist_ok=True)
    return [build_template(t, folder, overwrite=overwrite) for t in all_templates(templates)]


def build_from(
    book: Path, folder: Path, *, target: str | None = None, overwrite: bool = False, engine: str = "compiled"
) -> tuple[Built, list[str]]:
    """A fresh workbook of ``book``'s model and template that keeps its inputs
    and the distributions on its Uncertainty sheet (its snapshot computed again).

    ``target`` (a model or template name), when given, must name the book's
    model. Returns the build and what the fresh workbook does not carry over
    (edited formulas and cells or sheets added by hand, which stay in ``book``).
    The book itself is never replaced.
    """
    book = Path(book)
    dists: dict[str, Distribution] = {}
    try:
        imported = import_workbook(book, engine, recalc=True, edited_results=False)
        dists = read_distributions(read_book(book), get_model(imported.model), book)[0]  # edited ones carry over
    except MissingSheet as exc:  # the inputs still carry over; edits on the missing sheet cannot be listed
        meta, _, inputs = import_inputs(book, engine)
        left = [f"sheet {exc.sheet!r} is missing (renamed or deleted): edits and additions were not looked for"]
    except BuiltShape as exc:  # a shape parameter was changed: the inputs carry over into a workbook of the new shape
        meta, _, inputs = import_inputs(book, engine)
        left = [f"{exc.parameter} changed which columns the sheets hold: edits and additions were not looked for"]
    else:
        meta = Metadata(imported.model, imported.template, imported.template_version, "")
        inputs = imported.inputs
        left = [f"edited formula {e.sheet}!{e.cell}" for e in imported.edited_formulas]
        left += [f"added {a.sheet}" + (f"!{a.cell}" if a.cell else " (sheet)") for a in imported.added]
    template = workbook_template(meta.model, meta.template, meta.template_version)
    if target is not None and target not in (meta.model, template.name):
        raise InputError(f"{book}: holds model {meta.model!r} (template {meta.template!r}), not {target!r}")
    out = Path(folder) / template.filename
    if out.exists() and out.resolve() == book.resolve():
        raise InputError(f"{out}: is the workbook being read; choose another -o folder so the original is kept")
    Path(folder).mkdir(parents=True, exist_ok=True)
    built = build_template(template, Path(folder), overwrite=overwrite, values=inputs, dists=dists)
    return built, left
