"""``pysie import`` and ``pysie build --from``: an edited workbook comes back
with its inputs, its edits and its additions, and nothing is lost."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from pysie.cli import main, run_model
from pysie.excel.cache import sheet_parts
from pysie.excel.reader import normalise_formula
from pysie.importer import import_workbook
from tests.conftest import template_names
from tests.editing import cell_of, copy_book, digest, edit, rewrite_part, set_cell_xml


@pytest.fixture
def book(short_retraining_book: Path, tmp_path: Path) -> Path:
    return copy_book(short_retraining_book, tmp_path / "edited.xlsx")


def import_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["import", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def set_input(name: str, value: Any) -> Any:
    def change(b: Any) -> None:
        cell_of(b, name).value = value

    return change


def test_round_trip_of_an_edited_input(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, set_input("research_returns", 1.3))
    out = import_json(book, capsys)
    assert out["model"] == "retraining" and out["template_version"] == 1
    assert out["inputs"]["research_returns"] == 1.3
    assert out["changed_inputs"]["research_returns"] == [1.5, 1.3]
    assert out["results"] == json.loads(
        json.dumps(run_model("retraining", "note-default", {"horizon_days": "200", "research_returns": "1.3"}))
    )
    assert out["edited_formulas"] == [] and out["added"] == [] and out["structural"] == []
    assert "results_as_edited" not in out


def test_text_report_shows_the_change_next_to_the_template(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, set_input("research_returns", 1.3))
    assert main(["import", str(book)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"research_returns\s+1\.5 -> 1\.3", text)
    assert re.search(r"no retraining: months to infinity\s+4\.63333\s+6\.43333\s+\+1\.8", text)


def test_inputs_are_read_through_their_names_when_rows_move(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def move(b: Any) -> None:
        b["Inputs"]["H30"] = 1.25
        b.defined_names["research_returns"].attr_text = "Inputs!$H$30"

    edit(book, move)
    out = import_json(book, capsys)
    assert out["inputs"]["research_returns"] == 1.25
    assert out["edited_formulas"] == []


def test_input_formula_is_evaluated(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A formula in an input cell is accepted with its value: the cached value
    when the file has one (here written into the XML as Excel would)."""
    set_cell_xml(book, "Inputs", "B9", "<f>1.2+0.3</f><v>1.5</v>")
    out = import_json(book, capsys)
    assert out["inputs"]["research_returns"] == 1.5


@pytest.mark.libreoffice
def test_input_formula_without_cached_value_is_recalculated(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, set_input("research_returns", "=1.1+0.2"))  # openpyxl stores no cached value
    out = import_json(book, capsys, "--engine", "libreoffice")
    assert out["inputs"]["research_returns"] == pytest.approx(1.3)


def test_edited_formulas_are_listed_cell_by_cell(book: Path) -> None:
    def change(b: Any) -> None:
        b["No retraining"]["C10"] = "=C9*2"
        b["Summary"]["B4"] = 7  # a formula replaced by a number

    edit(book, change)
    report = import_workbook(book, recalc=False)
    edits = {(e.sheet, e.cell): e for e in report.edited_formulas}
    assert set(edits) == {("No retraining", "C10"), ("Summary", "B4")}
    assert edits[("No retraining", "C10")].expected == "=IF(E9,C9,C9+B9/research_doubling_days)"
    assert edits[("No retraining", "C10")].found == "=C9*2"
    assert edits[("Summary", "B4")].found == "the value 7"


@pytest.mark.parametrize(
    "engine",
    [pytest.param("formulas", marks=pytest.mark.slow), pytest.param("libreoffice", marks=pytest.mark.libreoffice)],
)
def test_edited_formula_moves_the_recalculated_results(
    book: Path, capsys: pytest.CaptureFixture[str], engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if engine == "formulas":  # the 40-day book: the formulas package takes ~35 s of CPU for 200 days
        request.getfixturevalue("parity_retraining")
        book = copy_book(request.getfixturevalue("parity_retraining_book"), tmp_path / "parity.xlsx")
    edit(book, lambda b: b["Summary"].__setitem__("B4", "=no_retraining_days_to_infinity/days_per_month*2"))
    out = import_json(book, capsys, "--engine", engine)
    assert [(e["sheet"], e["cell"]) for e in out["edited_formulas"]] == [("Summary", "B4")]
    declared = out["results"]["variants"]["no_retraining"]["months_to_infinity"]
    assert out["results_as_edited"]["variants"]["no_retraining"]["months_to_infinity"] == pytest.approx(2 * declared)
    as_edited, declared_flop = (
        out["results_as_edited"]["variants"]["continuous_retraining"],
        out["results"]["variants"]["continuous_retraining"],
    )
    edited_flop, flop = as_edited["effective_flop"], declared_flop["effective_flop"]
    assert edited_flop.keys() == flop.keys()  # days past the 40-day horizon are None in both
    assert {k: v for k, v in edited_flop.items() if v is not None} == pytest.approx(
        {k: v for k, v in flop.items() if v is not None}, rel=1e-12
    )  # LibreOffice keeps 15 digits
    assert [k for k, v in edited_flop.items() if v is None] == [k for k, v in flop.items() if v is None]


def test_spellings_of_the_same_formula_are_not_edits(book: Path) -> None:
    """Lower case, no ``$``, spaces, ``_xlfn.``, unquoted sheet names, other number
    spellings: the same formula; a changed reference is not."""
    assert normalise_formula("=_xlfn.IFERROR($A$1 + 'Sheet'!C3:C10, 0.5)") == normalise_formula(
        "=iferror(A1+Sheet!c3:c10,.5)"
    )
    assert normalise_formula('=IF(A1="a b",1E+300,1)') != normalise_formula('=IF(A1="A B",1E+300,1)')
    assert normalise_formula("=C9+B9") != normalise_formula("=C9+B10")

    def change(b: Any) -> None:
        b["Summary"]["B3"] = (
            "=if(isnumber(match(1, 'No retraining'!E3:E203, 0) - 1), match(1,'No retraining'!E3:E203,0)-1, \"not reached\")"
        )
        b["No retraining"]["C10"] = "=if( e9, c9, c9 + b9 / Research_Doubling_Days)"

    edit(book, change)
    assert import_workbook(book, recalc=False).edited_formulas == []


def _to_shared(data: bytes, first: int, last: int, column: str = "C") -> bytes:
    """Rewrite ``column`` rows first..last as one shared formula, as Excel saves it."""

    def repl(m: re.Match[bytes]) -> bytes:
        row = int(m.group(1))
        if not first <= row <= last:
            return m.group(0)
        f = m.group(3)
        shared = (
            f'<f t="shared" ref="{column}{first}:{column}{last}" si="0">'.encode() + f + b"</f>"
            if row == first
            else b'<f t="shared" si="0"/>'
        )
        return b'<c r="' + column.encode() + m.group(1) + b'"' + m.group(2) + b">" + shared

    return re.sub(rb'<c r="' + column.encode() + rb'(\d+)"([^>]*)><f>(.*?)</f>', repl, data)


def test_shared_formulas_are_translated_for_every_cell(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        part = sheet_parts(z)["No retraining"]
    rewrite_part(book, part, lambda d: _to_shared(d, 4, 203))
    ws = openpyxl.load_workbook(book)["No retraining"]
    assert ws["C100"].value == "=IF(E99,C99,C99+B99/research_doubling_days)"  # openpyxl's Translator
    assert import_workbook(book, recalc=False).edited_formulas == []


def test_deliberate_break_an_edited_shared_formula_shows_in_every_cell(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        part = sheet_parts(z)["No retraining"]
    rewrite_part(
        book,
        part,
        lambda d: _to_shared(
            d.replace(
                b"<f>IF(E3,C3,C3+B3/research_doubling_days)</f>", b"<f>IF(E3,C3,C3+B3/research_doubling_days*2)</f>"
            ),
            4,
            203,
        ),
    )
    edits = import_workbook(book, recalc=False).edited_formulas
    assert len(edits) == 200 and edits[-1].cell == "C203"
    assert edits[-1].found == "=IF(E202,C202,C202+B202/research_doubling_days*2)"


def test_added_sheets_and_cells_are_listed_and_kept(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(b: Any) -> None:
        b.create_sheet("My notes")["A1"] = "why r = 1.3"
        b["Inputs"]["H3"] = "checked with the note"
        b["Summary"]["F2"] = "=no_retraining_months_to_infinity*30"

    edit(book, change)
    out = import_json(book, capsys)
    assert {(a["sheet"], a["cell"]) for a in out["added"]} == {("My notes", None), ("Inputs", "H3"), ("Summary", "F2")}
    before = digest(book)
    assert main(["build", "retraining", "--from", str(book), "-o", str(tmp_path / "fresh")]) == 0
    text = capsys.readouterr().out
    assert "not carried over (still in" in text and "My notes" in text
    assert digest(book) == before  # the person's file is untouched
    assert openpyxl.load_workbook(book)["My notes"]["A1"].value == "why r = 1.3"


def test_build_from_keeps_the_inputs(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit(book, set_input("research_returns", 1.3))
    edited = import_json(book, capsys)
    assert main(["build", "--from", str(book), "-o", str(tmp_path / "fresh")]) == 0
    capsys.readouterr()
    fresh = import_json(tmp_path / "fresh" / "retraining.xlsx", capsys)
    assert fresh["inputs"] == edited["inputs"]
    assert fresh["results"] == edited["results"]
    assert fresh["edited_formulas"] == [] and fresh["added"] == []


def test_a_changed_structural_input_is_reported_and_rebuilt(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(book, set_input("horizon_days", 300))
    assert main(["import", str(book)]) == 0
    text = capsys.readouterr().out
    assert "horizon_days is 300 but sheet 'No retraining' has 201 rows" in text
    assert f"pysie build retraining --from {book.name}" in text
    out = import_json(book, capsys)
    assert out["edited_formulas"] == []  # the formulas match the sheet as built
    assert out["structural"]
    assert main(["build", "retraining", "--from", str(book), "-o", str(tmp_path / "fresh")]) == 0
    capsys.readouterr()
    fresh = tmp_path / "fresh" / "retraining.xlsx"
    assert openpyxl.load_workbook(fresh)["No retraining"]["A303"].value == "=A302+1"
    assert import_json(fresh, capsys)["structural"] == []


def test_build_from_refuses_a_book_of_another_model(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "overhang", "--from", str(book), "-o", str(tmp_path)]) == 2
    assert "holds model 'retraining'" in capsys.readouterr().err


def test_build_from_never_replaces_the_book_it_reads(book: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = book.parent / "retraining.xlsx"
    book.rename(target)
    before = digest(target)
    assert main(["build", "--from", str(target), "-o", str(target.parent), "--force"]) == 2
    assert "is the workbook being read" in capsys.readouterr().err
    assert digest(target) == before


@pytest.mark.libreoffice
def test_a_libreoffice_save_imports_the_same(book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Edited with openpyxl, then opened, recalculated and saved by LibreOffice
    (its own formula spelling, cached values): the same inputs, no edits, no additions."""
    from pysie.recalc.libreoffice import recalculate_libreoffice

    def change(b: Any) -> None:
        cell_of(b, "research_returns").value = 1.3
        b["Summary"]["B3"] = (  # lower case, as typed
            "=if(isnumber(match(1,'No retraining'!$E$3:$E$203,0)-1),match(1,'No retraining'!$E$3:$E$203,0)-1,"
            '"not reached")'
        )

    edit(book, change)
    saved = tmp_path / "saved-by-libreoffice.xlsx"
    recalculate_libreoffice(book, saved)
    assert digest(saved) != digest(book)
    ours = import_json(book, capsys)
    theirs = import_json(saved, capsys)
    for key in ("model", "template_version", "inputs", "changed_inputs", "edited_formulas", "added", "results"):
        assert theirs[key] == ours[key], key
    assert theirs["edited_formulas"] == []


def test_readme_editing_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editing a workbook", 1)[1].split("\n## ", 1)[0]
    python = re.search(r"```python\n(.*?)\n```", section, flags=re.S).group(1)  # type: ignore[union-attr]
    commands = [line[len("$ pysie ") :].split() for line in re.findall(r"^\$ pysie .*$", section, flags=re.M)]
    monkeypatch.chdir(tmp_path)
    assert main(commands[0]) == 0  # build
    exec(compile(python, "README.md", "exec"), {})
    capsys.readouterr()
    assert main(commands[1]) == 0  # import
    assert re.search(r"research_returns\s+1\.5 -> 1\.3", capsys.readouterr().out)
    assert main(commands[2]) == 0  # build --from
    assert openpyxl.load_workbook("fresh/retraining.xlsx")["Inputs"]["B9"].value == 1.3


@pytest.mark.parametrize("template", template_names())
def test_an_untouched_workbook_of_every_template_imports_as_unchanged(
    template: str, template_books: dict[str, Path]
) -> None:
    """No input reads as changed (numbers survive the file's 16 digits) and no
    formula as edited (compared presets' copies included)."""
    report = import_workbook(template_books[template], recalc=False).as_json()
    assert report["changed_inputs"] == {}
    assert report["edited_formulas"] == []
    assert report["added"] == []


def test_deliberate_break_an_edited_formula_on_a_preset_sheet_is_listed(
    template_books: dict[str, Path], tmp_path: Path
) -> None:
    source = template_books["overhang"]
    edited = copy_book(source, tmp_path / "overhang.xlsx")
    book = openpyxl.load_workbook(edited)
    sheet = next(name for name in book.sheetnames if name.startswith("Steps ("))
    book[sheet]["C10"] = "=C9*1.5"
    book.save(edited)
    report = import_workbook(edited, recalc=False).as_json()
    assert [(e["sheet"], e["cell"]) for e in report["edited_formulas"]] == [(sheet, "C10")]
