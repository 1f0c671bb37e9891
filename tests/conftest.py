"""Shared fixtures: small workbooks built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysie.models.retraining import MODEL as RETRAINING
from pysie.excel.writer import build_workbook

REPO = Path(__file__).resolve().parent.parent

#: The smallest horizon the retraining model accepts: ~6,000 formula cells,
#: which the formulas package recalculates in seconds rather than a minute.
SHORT = {"horizon_days": 200}


@pytest.fixture(scope="session")
def short_retraining_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("books") / "retraining-short.xlsx"
    build_workbook(RETRAINING, RETRAINING.resolve("note-default", SHORT), path, template="retraining")
    return path
