"""The models pysie knows, by name: each is one :class:`pysie.spec.Model`.

A model module declares ``MODEL`` and nothing that writes cells or reports:
workbooks come from :mod:`pysie.excel.plan`, reports from :mod:`pysie.report`.
A model's module is imported (and its declaration built and validated) the
first time the model is asked for, so a command about one model does not pay
for the others (``tests/test_conventions.py`` checks the names below against
the modules' own).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

from pysie.spec import InputError, Model, nearest_names

#: model name -> its module in this package, in the order ``pysie list`` shows them
MODULES = {
    "retraining": "retraining",
    "milestone-takeoff": "milestone_takeoff",
    "overhang": "overhang",
    "software-explosion": "software_explosion",
}


class Registry(MutableMapping[str, Model]):
    """Model name -> declaration; each module is imported on first use.
    Assigning a name (tests replace a model) holds that declaration instead."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = dict(modules)
        self._names = list(modules)
        self._models: dict[str, Model] = {}

    def __getitem__(self, name: str) -> Model:
        if name not in self._models:
            if name not in self._modules:
                raise KeyError(name)
            self._models[name] = importlib.import_module(f"pysie.models.{self._modules[name]}").MODEL
        return self._models[name]

    def __setitem__(self, name: str, model: Model) -> None:
        if name not in self._names:
            self._names.append(name)
        self._models[name] = model

    def __delitem__(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        self._names.remove(name)
        self._models.pop(name, None)
        self._modules.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


#: model name -> declaration, in the order ``pysie list`` shows them
MODELS = Registry(MODULES)


def get_model(name: str) -> Model:
    """The model called ``name``; :class:`InputError` naming the nearest known ones."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}{nearest_names(name, list(MODELS))}")
    return MODELS[name]


def model_names() -> list[str]:
    return list(MODELS)
