"""pysie: software-intelligence-explosion models declared once, solved in numpy,
generated as live Excel workbooks, recalculated headlessly and cross-checked.

The Python API (:mod:`pysie.api`; its names load on first use, so the command
line does not import pandas)::

    import pysie
    pysie.model_names()
    m = pysie.model("retraining")
    r = m.run(preset="N2", research_returns=[1.2, 1.5, 2.0])
    r.summary()
    r.trajectories("continuous_retraining")
    r.to_workbook("out.xlsx")
    book = pysie.read_workbook("out.xlsx")
    pysie.check_workbook("out.xlsx")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pysie.spec import InputError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pysie.api import Model as Model
    from pysie.api import Result as Result
    from pysie.api import WorkbookImport as WorkbookImport
    from pysie.api import check_workbook as check_workbook
    from pysie.api import model as model
    from pysie.api import model_names as model_names
    from pysie.api import read_workbook as read_workbook

#: public name -> the module that defines it
_LAZY = {
    name: "pysie.api"
    for name in ("Model", "Result", "WorkbookImport", "check_workbook", "model", "model_names", "read_workbook")
}

__all__ = ["InputError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pysie' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
