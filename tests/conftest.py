"""Shared fixtures: small workbooks built once per session; the committed
workbooks recalculated and printed by LibreOffice once per run (:func:`shared_file`:
once for all pytest-xdist processes); and the one place that decides whether
LibreOffice (and poppler, for pictures) can be used.

Mark a test ``@pytest.mark.libreoffice`` when it runs soffice, and also
``@pytest.mark.poppler`` when it reads PDFs or renders pictures; the hook
below skips it, with the install command as the reason, where the tool is
missing. No test file checks for the binaries itself.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pysie.build import write_workbook
from pysie.models import MODELS
from pysie.models.milestone_takeoff import MODEL as MILESTONE
from pysie.models.overhang import MODEL as OVERHANG
from pysie.models.retraining import MODEL as RETRAINING
from pysie.recalc.libreoffice import export_pdf, find_soffice, recalculate_libreoffice
from pysie.spec import Model

REPO = Path(__file__).resolve().parent.parent

#: The smallest horizon the retraining model accepts: ~6,000 formula cells,
#: which the formulas package recalculates in seconds rather than a minute.
SHORT = {"horizon_days": 200}
#: The retraining workbook the formulas package recalculates: 40 days (about a
#: third of its ~11 s of CPU for 60 days, against ~35 s for 200, the model's lower
#: bound, which its day-200 outputs need). Steeper than the note, so all three
#: variants reach infinity (days 16, 25 and 34) and the rows past the cap are
#: compared too.
PARITY = {"horizon_days": 40, "research_returns": 3.0, "initial_doubling_days": 4, "initial_training_days": 2}
#: Overhang at one-year steps over 20 years: 21 rows per preset copy (the formulas
#: package recalculates all five copies in seconds).
COARSE = {"step_years": 1.0, "horizon_years": 20}
#: Small enough for the formulas package: 50 samples (~1,000 sample cells), and
#: faster milestones than the defaults (SC and SAR multipliers 20 and 100, SAR to
#: SIAR exponent 1), so the point path reaches ASI on day 65 and 80 days of it
#: (~650 cells) cover every milestone.
SMALL = {"samples": 50, "path_days": 80, "sc_multiplier": 20, "sar_multiplier": 100, "sar_siar_exponent": 1}

#: Why a LibreOffice test is skipped (None: soffice was found).
SOFFICE_MISSING = (
    None
    if find_soffice() is not None
    else "LibreOffice (soffice) not installed: apt-get install libreoffice-calc (or set PYSIE_SOFFICE)"
)
#: Why a test that reads PDFs or renders pictures is skipped (None: poppler-utils found).
POPPLER_MISSING = (
    None
    if shutil.which("pdftoppm") and shutil.which("pdfinfo")
    else "poppler-utils not installed: apt-get install poppler-utils"
)
#: Why a test that resaves or recalculates with Gnumeric is skipped (None: ssconvert found).
GNUMERIC_MISSING = (
    None
    if shutil.which("ssconvert")
    else "Gnumeric (ssconvert) not installed: apt-get install --no-install-recommends gnumeric"
)

#: The marker of a test that runs soffice (kept under this name for readers of older tests).
needs_soffice = pytest.mark.libreoffice


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``libreoffice`` / ``poppler`` / ``gnumeric`` tests, naming the install command, where the tool is missing."""
    for marker, reason in (
        ("libreoffice", SOFFICE_MISSING),
        ("poppler", POPPLER_MISSING),
        ("gnumeric", GNUMERIC_MISSING),
    ):
        if reason is None:
            continue
        for item in items:
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def short_retraining_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("books") / "retraining-short.xlsx"
    write_workbook(RETRAINING, RETRAINING.resolve("note-default", SHORT), path, template="retraining")
    return path


def parity_retraining_model() -> Model:
    """The retraining model with a lower bound on ``horizon_days`` that admits
    :data:`PARITY` (the solver validates every value against the declaration it
    is given; nothing else differs)."""
    days = PARITY["horizon_days"]
    bounded = tuple(
        dataclasses.replace(p, lower=days) if p.name == "horizon_days" else p for p in RETRAINING.parameters
    )
    return dataclasses.replace(RETRAINING, parameters=bounded)


@pytest.fixture(scope="session")
def parity_retraining_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The :data:`PARITY` retraining workbook (read it with :func:`parity_retraining`)."""
    model = parity_retraining_model()
    path = tmp_path_factory.mktemp("parity") / f"retraining-{PARITY['horizon_days']}.xlsx"
    write_workbook(model, model.resolve("note-default", PARITY), path, template="retraining")
    return path


@pytest.fixture
def parity_retraining(monkeypatch: pytest.MonkeyPatch) -> Model:
    """:func:`parity_retraining_model`, registered as ``retraining`` for one test,
    so ``check`` and ``import`` read the :data:`PARITY` workbook."""
    model = parity_retraining_model()
    monkeypatch.setitem(MODELS, RETRAINING.name, model)
    return model


@pytest.fixture(scope="session")
def coarse_overhang_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The overhang workbook (four compared presets) at :data:`COARSE` resolution."""
    path = tmp_path_factory.mktemp("overhang") / "overhang-coarse.xlsx"
    write_workbook(OVERHANG, OVERHANG.resolve("baseline", COARSE), path, template="overhang")
    return path


@pytest.fixture(scope="session")
def small_milestone_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The milestone-takeoff workbook with :data:`SMALL` samples and path."""
    path = tmp_path_factory.mktemp("milestone") / "milestone-small.xlsx"
    write_workbook(MILESTONE, MILESTONE.resolve(None, SMALL), path, template="milestone-takeoff")
    return path


@pytest.fixture(scope="session")
def small_books(short_retraining_book: Path, coarse_overhang_book: Path, small_milestone_book: Path) -> dict[str, Path]:
    """Model name -> its small workbook (the three above)."""
    return {
        RETRAINING.name: short_retraining_book,
        OVERHANG.name: coarse_overhang_book,
        MILESTONE.name: small_milestone_book,
    }


def template_names() -> list[str]:
    """Every template in the repository, for parametrising tests over all of them."""
    from pysie.templates import all_templates

    return [t.name for t in all_templates(REPO / "templates")]


@pytest.fixture(scope="session")
def template_books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every template's workbook, copied into a temporary folder: template name -> workbook.

    These are the committed workbooks, not a fresh build: building all four
    took ~40 s per test process, and ``test_committed_workbooks`` proves each
    committed file is exactly what its template builds today (``build --check``),
    so a stale copy fails there, by name, rather than here."""
    from pysie.templates import all_templates

    folder = tmp_path_factory.mktemp("templates")
    books = {}
    for template in all_templates(REPO / "templates"):
        books[template.name] = folder / template.filename
        shutil.copyfile(REPO / "workbooks" / template.filename, books[template.name])
    return books


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock`` (POSIX ``flock``); elsewhere no lock,
    so two processes may each make the same file (the later replaces it whole)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_file(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], object]) -> Path:
    """The file ``name``, made by ``make(path)`` once per test run: the
    pytest-xdist processes of one run share the parent of their temporary
    folders, and the first to ask makes the file while the others wait for it
    (so a LibreOffice run needed by tests in both processes runs once)."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "shared"
    folder.mkdir(exist_ok=True)
    target = folder / name
    with _exclusive(folder / f"{name}.lock"):
        if not target.exists():
            partial = folder / f"partial-{os.getpid()}-{name}"
            make(partial)
            os.replace(partial, target)
    return target


class CommittedInLibreOffice:
    """Each committed workbook recalculated by LibreOffice (an xlsx) and
    printed to PDF, each once per test run, on first use."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory

    def recalculated(self, template: str) -> Path:
        source = _committed(template)
        return shared_file(
            self.factory, f"{template}-recalculated.xlsx", lambda out: recalculate_libreoffice(source, out)
        )

    def printed(self, template: str) -> Path:
        source = _committed(template)
        return shared_file(self.factory, f"{template}.pdf", lambda out: export_pdf(source, out))


def _committed(template: str) -> Path:
    from pysie.templates import all_templates

    (found,) = [t for t in all_templates(REPO / "templates") if t.name == template]
    return REPO / "workbooks" / found.filename


@pytest.fixture(scope="session")
def committed_in_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> CommittedInLibreOffice:
    return CommittedInLibreOffice(tmp_path_factory)
