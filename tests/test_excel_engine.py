"""``--engine excel`` (Microsoft Excel through xlwings).

This machine has no Excel, so these tests cover what it can: the refusal (exit
2, one line, no traceback, the file untouched, nothing written) and the option
plumbing through recalc, check and import; and the engine's protocol against a
stand-in for xlwings: a temporary copy is opened (never the file itself), in
an invisible app, fully recalculated, read, closed without saving and the
app quit, also when reading fails. A real Excel is not exercised here (see
README, Engines)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pysie.excel.cache import read_cached_values
from pysie.recalc import ENGINES, excel_app, recalculate
from pysie.recalc.libreoffice import EngineFailed, EngineUnavailable
from tests.conftest import REPO
from tests.editing import copy_book, digest

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
COMMITTED = REPO / "workbooks" / "retraining.xlsx"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pysie.cli", *args], env=ENV, cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(sys.platform in excel_app.EXCEL_PLATFORMS, reason="a machine that may have Excel")
@pytest.mark.parametrize(
    "command",
    [["check", "BOOK"], ["import", "BOOK"], ["import", "BOOK", "--json"], ["recalc", "BOOK", "-o", "out.xlsx"]],
)
def test_without_excel_each_command_exits_2_with_one_line(command: list[str], tmp_path: Path) -> None:
    book = copy_book(COMMITTED, tmp_path / "retraining.xlsx")
    before = digest(book)
    done = cli(*[str(book) if a == "BOOK" else a for a in command], "--engine", "excel", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    # under --json the one line is a JSON object with the same message
    message = json.loads(done.stderr)["error"] if "--json" in command else done.stderr.removeprefix("pysie: error: ")
    assert message.startswith("the excel engine needs Microsoft Excel")
    assert "pip install 'pysie[excel]'" in message
    assert digest(book) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retraining.xlsx"]


@pytest.mark.skipif(sys.platform in excel_app.EXCEL_PLATFORMS, reason="a machine that may have Excel")
def test_python_m_pysie_check_of_the_committed_workbook(tmp_path: Path) -> None:
    before = digest(COMMITTED)
    done = subprocess.run(
        [sys.executable, "-m", "pysie", "check", str(COMMITTED), "--engine", "excel"],
        env=ENV,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (2, "", 1), done.stderr
    assert "needs Microsoft Excel" in done.stderr and "Traceback" not in done.stderr
    assert digest(COMMITTED) == before


def test_excel_is_an_engine_choice_of_each_command() -> None:
    assert "excel" in ENGINES
    from pysie.cli import build_parser

    parser = build_parser()
    for command in (["check", "b.xlsx"], ["import", "b.xlsx"], ["recalc", "b.xlsx", "-o", "o.xlsx"]):
        assert parser.parse_args([*command, "--engine", "excel"]).engine == "excel"


def test_without_xlwings_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "xlwings", None)
    with pytest.raises(EngineUnavailable, match=r"needs xlwings and Microsoft Excel: .*pip install 'pysie\[excel\]'"):
        excel_app.require_excel()


# --- the protocol, against a stand-in for xlwings ------------------------------------------------------


class FakeRange:
    def __init__(self, book: FakeBook, sheet: str, address: str) -> None:
        self.book, self.sheet, self.address = book, sheet, address
        self.opts: dict[str, Any] = {}

    def options(self, **opts: Any) -> FakeRange:
        self.opts = opts
        return self

    @property
    def value(self) -> list[list[Any]]:
        """The block as xlwings gives it (ndim=2): the copy's cached values
        (what Excel would show after recalculating a workbook pysie wrote)."""
        from openpyxl.utils.cell import range_boundaries

        app = self.book.app
        app.log.append(("read", self.sheet, self.address, tuple(sorted(self.opts.items()))))
        if app.fail_reading:
            raise RuntimeError("COM error 0x800A03EC\nsecond line")
        left, top, right, bottom = range_boundaries(self.address)
        cached = self.book.cached
        rows = []
        for r in range(top, bottom + 1):
            from openpyxl.utils.cell import get_column_letter

            rows.append([cached.get((self.sheet, f"{get_column_letter(c)}{r}")) for c in range(left, right + 1)])
        return rows


class FakeSheet:
    def __init__(self, book: FakeBook, name: str) -> None:
        self.book, self.name = book, name

    def range(self, address: str) -> FakeRange:
        return FakeRange(self.book, self.name, address)


class FakeBook:
    def __init__(self, app: FakeApp, path: str) -> None:
        self.app, self.path = app, Path(path)
        self.cached = read_cached_values(self.path)
        self.sheets = {name: FakeSheet(self, name) for name in {s for s, _ in self.cached}}

    def close(self) -> None:
        self.app.log.append(("close", self.path.name))


class FakeBooks:
    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def open(self, fullname: str, **kwargs: Any) -> FakeBook:
        self.app.log.append(("open", fullname, tuple(sorted(kwargs.items()))))
        self.app.opened.append(Path(fullname))
        return FakeBook(self.app, fullname)


class FakeApi:
    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def CalculateFullRebuild(self) -> None:  # Windows (COM)
        self.app.log.append(("CalculateFullRebuild",))

    def calculate_full_rebuild(self) -> None:  # macOS (AppleScript)
        self.app.log.append(("calculate_full_rebuild",))


class FakeApp:
    instances: ClassVar[list[FakeApp]] = []

    def __init__(self, visible: bool = True, add_book: bool = True, pid: int = 4242) -> None:
        self.visible, self.add_book, self.pid = visible, add_book, pid
        self.log: list[tuple[Any, ...]] = [("start", visible, add_book)]
        self.opened: list[Path] = []
        self.fail_reading = FakeApp.fail_next
        self.books = FakeBooks(self)
        self.api = FakeApi(self)
        self.display_alerts = True
        self.screen_updating = True
        FakeApp.instances.append(self)

    fail_next: ClassVar[bool] = False

    def quit(self) -> None:
        self.log.append(("quit",))

    def kill(self) -> None:
        self.log.append(("kill",))


@pytest.fixture
def fake_excel(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """xlwings replaced by the stand-in, on a platform where Excel runs."""
    FakeApp.instances = []
    FakeApp.fail_next = False
    module = types.ModuleType("xlwings")
    state = types.SimpleNamespace(running=[], module=module)
    module.App = FakeApp  # type: ignore[attr-defined]
    module.apps = state.running  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xlwings", module)
    monkeypatch.setattr(sys, "platform", "win32")
    return state


def test_excel_engine_protocol_on_a_copy(
    fake_excel: types.SimpleNamespace, short_retraining_book: Path, tmp_path: Path
) -> None:
    book = copy_book(short_retraining_book, tmp_path / "book.xlsx")
    before = digest(book)
    values = recalculate(book, "excel")
    (app,) = FakeApp.instances
    kinds = [entry[0] for entry in app.log]
    assert kinds[:3] == ["start", "open", "CalculateFullRebuild"]
    assert kinds[-2:] == ["close", "quit"]
    assert app.log[0] == ("start", False, False)  # invisible, no blank book
    assert not app.display_alerts and not app.screen_updating
    assert dict(app.log[1][2]) == {"read_only": True, "update_links": False}
    (opened,) = app.opened
    assert opened != book and opened.name == book.name and opened.parent.name.startswith("pysie-xl-")
    assert not opened.parent.exists()  # the temporary folder is gone
    assert digest(book) == before
    reads = [entry for entry in app.log if entry[0] == "read"]
    assert len(reads) == len({s for s, _ in values})  # one block per sheet
    assert all(dict(r[3]) == {"ndim": 2, "err_to_str": True} for r in reads)
    assert values == {key: value for key, value in read_cached_values(book).items() if key in values}


def test_check_through_the_excel_engine_compares_every_formula(
    fake_excel: types.SimpleNamespace, short_retraining_book: Path
) -> None:
    from pysie.compare import check_workbook

    checked = check_workbook(short_retraining_book, engine="excel")
    assert checked.ok and checked.engine == "excel" and checked.compared > 1000, checked.summary()


def test_a_failure_in_excel_still_closes_the_book_and_quits(
    fake_excel: types.SimpleNamespace, short_retraining_book: Path
) -> None:
    FakeApp.fail_next = True
    with pytest.raises(EngineFailed, match=r"Excel could not recalculate it \(RuntimeError: COM error 0x800A03EC\)$"):
        recalculate(short_retraining_book, "excel")
    (app,) = FakeApp.instances
    assert [entry[0] for entry in app.log][-2:] == ["close", "quit"]


def test_an_excel_running_before_is_left_running_on_macos(
    fake_excel: types.SimpleNamespace, short_retraining_book: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    fake_excel.running.append(types.SimpleNamespace(pid=4242))  # the pid the stand-in's App gets
    recalculate(short_retraining_book, "excel")
    (app,) = FakeApp.instances
    kinds = [entry[0] for entry in app.log]
    assert "calculate_full_rebuild" in kinds and "close" in kinds
    assert "quit" not in kinds and "kill" not in kinds


def test_excel_values_become_the_engines_plain_values() -> None:
    # 46477 is 2027-03-31 (pysie.dates); noon is half a day
    assert excel_app.plain_value(datetime.datetime(2027, 3, 31, 12)) == 46477.5
    assert excel_app.plain_value(datetime.date(2027, 3, 31)) == 46477.0
    assert excel_app.plain_value(3) == 3.0 and isinstance(excel_app.plain_value(3), float)
    assert excel_app.plain_value("#NUM!") == "#NUM!"
    assert excel_app.plain_value(True) is True
    assert excel_app.plain_value(None) is None
