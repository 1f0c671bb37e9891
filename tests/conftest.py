"""Shared fixtures: small workbooks built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pysie.build import write_workbook
from pysie.models.retraining import MODEL as RETRAINING

REPO = Path(__file__).resolve().parent.parent

#: The smallest horizon the retraining model accepts: ~6,000 formula cells,
#: which the formulas package recalculates in seconds rather than a minute.
SHORT = {"horizon_days": 200}


def _has_soffice() -> bool:
    from pysie.recalc.libreoffice import find_soffice

    return find_soffice() is not None


#: Skip, with the install command as the reason, where LibreOffice is missing.
needs_soffice = pytest.mark.skipif(
    not _has_soffice(), reason="LibreOffice (soffice) not installed: apt-get install libreoffice-calc"
)


@pytest.fixture(scope="session")
def short_retraining_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("books") / "retraining-short.xlsx"
    write_workbook(RETRAINING, RETRAINING.resolve("note-default", SHORT), path, template="retraining")
    return path


def template_names() -> list[str]:
    """Every template in the repository, for parametrising tests over all of them."""
    from pysie.templates import all_templates

    return [t.name for t in all_templates(REPO / "templates")]


@pytest.fixture(scope="session")
def template_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every template built once into a temporary folder: template name -> workbook."""
    from pysie.build import build_template
    from pysie.templates import all_templates

    folder = tmp_path_factory.mktemp("templates")
    return {t.name: build_template(t, folder).path for t in all_templates(REPO / "templates")}
