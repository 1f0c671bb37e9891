"""Build workbooks from templates (or straight from a model's presets)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from pysie.excel.writer import build_workbook
from pysie.models import REGISTRY, model_module
from pysie.spec import InputError
from pysie.templates import Template, all_templates, find_template

Built = tuple[Path, ModuleType, dict[str, Any]]


def build_template(
    template: Template, folder: Path, *, overwrite: bool = False, values: Mapping[str, float] | None = None
) -> Built:
    """Write one template's workbook into ``folder``; returns (path, model module, key results)."""
    module = model_module(template.model)
    inputs = dict(values) if values is not None else template.values()
    path = Path(folder) / template.filename
    extra = tuple(getattr(module, "extra_sheets", lambda t: ())(template))
    solution = build_workbook(
        module.MODEL,
        inputs,
        path,
        template=template.name,
        template_version=template.version,
        overwrite=overwrite,
        extra_sheets=extra,
    )
    return path, module, module.report(solution)


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
        if target not in REGISTRY:
            raise InputError(f"no template or model named {target!r}")
        template = Template(name=target, model=target, preset=preset)
    elif preset is not None:
        template = Template(**{**template.__dict__, "preset": preset})
    if overrides:
        template = Template(**{**template.__dict__, "overrides": {**template.overrides, **overrides}})
    folder.mkdir(parents=True, exist_ok=True)
    return build_template(template, folder, overwrite=overwrite)


def build_all(folder: Path, *, overwrite: bool = False, templates: Path | None = None) -> list[Built]:
    folder.mkdir(parents=True, exist_ok=True)
    return [build_template(t, folder, overwrite=overwrite) for t in all_templates(templates)]


def build_from(
    book: Path, folder: Path, *, target: str | None = None, overwrite: bool = False, engine: str = "compiled"
) -> tuple[Built, list[str]]:
    """A fresh workbook of ``book``'s model and template that keeps its inputs.

    ``target`` (a model or template name), when given, must name the book's
    model. Returns the build and what the fresh workbook does not carry over
    (edited formulas and cells or sheets added by hand, which stay in ``book``).
    The book itself is never replaced.
    """
    from pysie.importer import import_workbook, workbook_template

    book = Path(book)
    report = import_workbook(book, engine, recalc=True, edited_results=False)
    template = workbook_template(report.model, report.template, report.template_version)
    if target is not None and target not in (report.model, template.name):
        raise InputError(f"{book}: holds model {report.model!r} (template {report.template!r}), not {target!r}")
    out = Path(folder) / template.filename
    if out.exists() and out.resolve() == book.resolve():
        raise InputError(f"{out}: is the workbook being read; choose another -o folder so the original is kept")
    Path(folder).mkdir(parents=True, exist_ok=True)
    built = build_template(template, Path(folder), overwrite=overwrite, values=report.inputs)
    left = [f"edited formula {e.sheet}!{e.cell}" for e in report.edited_formulas]
    left += [f"added {a.sheet}" + (f"!{a.cell}" if a.cell else " (sheet)") for a in report.added]
    return built, left
