"""The models pysie knows, by name: each is one :class:`pysie.spec.Model`.

A model module declares ``MODEL`` and nothing that writes cells or reports:
workbooks come from :mod:`pysie.excel.plan`, reports from :mod:`pysie.report`.
"""

from __future__ import annotations

from pysie.models import milestone_takeoff, overhang, retraining, software_explosion
from pysie.spec import InputError, Model, nearest_names

#: model name -> declaration, in the order ``pysie list`` shows them
MODELS: dict[str, Model] = {
    m.name: m for m in (retraining.MODEL, milestone_takeoff.MODEL, overhang.MODEL, software_explosion.MODEL)
}


def get_model(name: str) -> Model:
    """The model called ``name``; :class:`InputError` naming the nearest known ones."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}{nearest_names(name, MODELS)}")
    return MODELS[name]


def model_names() -> list[str]:
    return list(MODELS)
