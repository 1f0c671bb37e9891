"""The models pysie knows, by name. Each module defines ``MODEL`` (its
declaration) and ``report(solution, scenario)`` (its key results as JSON)."""

from __future__ import annotations

import importlib
from types import ModuleType

from pysie.spec import InputError

#: model name -> module holding its declaration
REGISTRY: dict[str, str] = {
    "retraining": "pysie.models.retraining",
    "milestone-takeoff": "pysie.models.milestone_takeoff",
    "overhang": "pysie.models.overhang",
    "software-explosion": "pysie.models.software_explosion",
}


def model_module(name: str) -> ModuleType:
    """The module of model ``name``; :class:`InputError` naming the known ones."""
    if name not in REGISTRY:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name])


def model_names() -> list[str]:
    return list(REGISTRY)
