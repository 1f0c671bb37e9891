"""Templates: editable recipes in ``templates/*.toml`` saying which model a
workbook holds, with which preset and overrides, and under which file name.

A template file::

    model = "retraining"          # a model name from `pysie list`
    version = 1                   # bump when the layout of the workbook changes
    preset = "note-default"       # optional: the inputs start from this preset
    workbook = "retraining.xlsx"  # optional: file name under workbooks/
    description = "..."

    [set]                         # optional: inputs that differ from the preset
    horizon_days = 1100
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pysie.models import get_model
from pysie.spec import InputError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: Where a non-editable install keeps the templates (pyproject.toml maps the
#: repository's templates/ there).
INSTALLED_TEMPLATES = Path(__file__).resolve().parent / "_templates"


@dataclass(frozen=True)
class Template:
    name: str
    model: str
    version: int = 1
    preset: str | None = None
    workbook: str = ""
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return self.workbook or f"{self.name}.xlsx"

    def values(self) -> dict[str, float]:
        """Validated inputs: model defaults, then the preset, then ``[set]``."""
        return get_model(self.model).resolve(self.preset, self.overrides)


def templates_dir(explicit: Path | None = None) -> Path:
    """``explicit``, else ./templates, else the repository's templates/ beside
    the package (a checkout), else the templates installed with it."""
    if explicit is not None:
        if not Path(explicit).is_dir():
            raise InputError(f"{explicit}: no such templates folder")
        return Path(explicit)
    candidates = (Path.cwd() / "templates", PACKAGE_ROOT / "templates", INSTALLED_TEMPLATES)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise InputError(f"no templates folder found (looked in {', '.join(map(str, candidates))}); pass --templates DIR")


def workbooks_dir(explicit: Path | str | None = None, templates: Path | None = None) -> Path:
    """The committed workbooks ``pysie build --check`` compares: ``explicit``
    (``-o``), else ./workbooks, else the workbooks/ beside the templates folder
    in use (a checkout run from another folder); :class:`InputError` saying
    where it looked when none exists."""
    if explicit is not None:
        if not Path(explicit).is_dir():
            raise InputError(f"{explicit}: no such folder of workbooks to check")
        return Path(explicit)
    candidates = list(
        dict.fromkeys([Path.cwd() / "workbooks", templates_dir(templates).resolve().parent / "workbooks"])
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise InputError(f"no workbooks folder to check (looked in {' and '.join(map(str, candidates))}); pass -o DIR")


def load_template(path: Path) -> Template:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: cannot read template ({exc})") from None
    if "model" not in data:
        raise InputError(f'{path}: a template needs `model = "..."`')
    known = {"model", "version", "preset", "workbook", "description", "set"}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"{path}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    template = Template(
        name=path.stem,
        model=str(data["model"]),
        version=int(data.get("version", 1)),
        preset=data.get("preset"),
        workbook=str(data.get("workbook", "")),
        description=str(data.get("description", "")),
        overrides=dict(data.get("set", {})),
    )
    try:
        template.values()
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    return template


def all_templates(folder: Path | None = None) -> list[Template]:
    return [load_template(p) for p in sorted(templates_dir(folder).glob("*.toml"))]


def find_template(name: str, folder: Path | None = None) -> Template | None:
    path = templates_dir(folder) / f"{name}.toml"
    return load_template(path) if path.exists() else None
