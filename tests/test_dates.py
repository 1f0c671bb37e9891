"""Dates as dates: a date input is date-formatted and accepts ISO dates (on the
command line, in templates and through the library), bad dates are refused
naming the parameter, dates past 9999-12-31 show as words in the workbook,
and pandas reads every committed workbook without a warning.

Oracles: Excel's own serials (46477 is 2027-03-31 in Excel, 61 is 1900-03-01,
2958465 is 9999-12-31, the last date Excel shows), calendar facts typed in
here (2028 is a leap year: 2027-03-31 to 2028-03-31 is 366 days) and
LibreOffice's rendering of the cells.
"""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pysie.cli import main
from pysie.compare import load_model_inputs
from pysie.dates import AFTER_LAST_DATE, DATE_FORMAT
from pysie.excel.reader import read_book
from pysie.models.milestone_takeoff import MODEL
from pysie.options import date_value, parse_date
from pysie.spec import InputError
from tests.conftest import REPO

#: Excel's serials of these dates (Excel's documented date system, typed in).
EXCEL_SERIALS = {"2027-03-31": 46477.0, "1900-03-01": 61.0, "9999-12-31": 2958465.0, "2000-01-01": 36526.0}


@pytest.mark.parametrize("text, serial", sorted(EXCEL_SERIALS.items()))
def test_iso_dates_read_as_excel_serials(text: str, serial: float) -> None:
    assert parse_date(text) == serial
    assert MODEL.parameter("sc_date").validate(text) == serial


def test_the_library_reads_iso_text_dates_datetimes_and_serials_alike() -> None:
    p = MODEL.parameter("sc_date")
    assert MODEL.resolve(None, {"sc_date": "2027-03-31"})["sc_date"] == 46477.0
    assert p.validate(datetime.date(2027, 3, 31)) == 46477.0
    assert p.validate(datetime.datetime(2027, 3, 31, 12, 0)) == 46477.5  # noon is half a day
    assert p.validate("46477") == 46477.0 and p.validate(46477) == 46477.0
    assert date_value(" 2027-03-31 ") == 46477.0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("2027-02-30", "no such day"),
        ("2027-13-01", "no such day"),
        ("2027/03/31", "yyyy-mm-dd"),
        ("31-03-2027", "yyyy-mm-dd"),
        ("20270331x", "yyyy-mm-dd"),
        ("next spring", "yyyy-mm-dd"),
        ("1800-01-01", "outside its bounds [1900-03-01, 9999-12-31]"),
        ("0", "outside its bounds"),
    ],
)
def test_bad_dates_are_refused_naming_the_parameter(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=r"^sc_date") as caught:
        MODEL.resolve(None, {"sc_date": text})
    assert reason in str(caught.value)


def test_the_command_line_accepts_an_iso_date(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", "milestone-takeoff", "--samples", "200", "--json", "--set"]
    assert main([*args, "sc_date=2027-03-31"]) == 0
    as_date = json.loads(capsys.readouterr().out)
    assert main([*args, "sc_date=46477"]) == 0
    assert json.loads(capsys.readouterr().out) == as_date
    assert main([*args, "sc_date=2028-03-31"]) == 0
    later = json.loads(capsys.readouterr().out)
    assert later["parameters"]["sc_date"] == 46477 + 366
    for milestone in ("SAR", "SIAR", "ASI"):
        shift = datetime.date.fromisoformat(later["point"][milestone]) - datetime.date.fromisoformat(
            as_date["point"][milestone]
        )
        assert abs(shift.days - 366) <= 1  # the same span from a date 366 days later (rounded to whole days)


def test_the_command_line_refuses_a_bad_date_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "milestone-takeoff", "--set", "sc_date=2027-02-30"]) == 2
    err = capsys.readouterr().err
    assert "sc_date" in err and "2027-02-30" in err and "Traceback" not in err


def test_the_date_input_is_date_formatted_and_read_back_as_a_date(small_milestone_book: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(small_milestone_book)
    ((sheet, ref),) = book.defined_names["sc_date"].destinations
    cell = book[sheet][ref.replace("$", "")]
    assert cell.is_date and cell.value == datetime.datetime(2027, 3, 31)
    cell.value = datetime.date(2028, 3, 31)  # as a person or a script edits it
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    _, values, _ = load_model_inputs(read_book(edited), edited)
    assert values["sc_date"] == 46477 + 366


def test_date_cells_show_words_past_the_last_excel_date() -> None:
    """Every date result and column uses the format whose first section holds
    the words (readers that look at the first section read a number)."""
    formats = [c.number_format for t in MODEL.tables for c in t.columns if c.unit == "date"]
    formats += [s.number_format for s in MODEL.outputs if s.unit == "date"]
    assert formats and set(formats) == {DATE_FORMAT}
    assert DATE_FORMAT.startswith('[>=2958466]"after 9999-12-31";')


@pytest.mark.libreoffice
@pytest.mark.poppler
def test_libreoffice_shows_after_9999_not_an_error(tmp_path: Path) -> None:
    """A date cell before, at and after 9999-12-31, rendered by LibreOffice."""
    import xlsxwriter

    path = tmp_path / "dates.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    fmt = book.add_format({"num_format": DATE_FORMAT})
    ws.set_column(0, 0, 18)
    for row, serial in enumerate((46477, 2958465, 2958465.75, 2958466, 3.2e6, 1e300)):
        ws.write_formula(row, 0, f"={serial!r}*1", fmt, serial)
    book.close()
    soffice = shutil.which("soffice") or "soffice"
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "dates.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout.split()
    assert text == ["2027-03-31", "9999-12-31", "9999-12-31", *AFTER_LAST_DATE.split() * 3], text


@pytest.mark.parametrize("book", sorted(p.name for p in (REPO / "workbooks").glob("*.xlsx")))
def test_pandas_reads_each_committed_workbook_without_a_warning(book: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sheets = pd.read_excel(REPO / "workbooks" / book, sheet_name=None)
    assert sheets


def test_the_warning_check_can_fail(tmp_path: Path) -> None:
    """A serial past 9999-12-31 in a plain date format is what made pandas warn per cell."""
    import xlsxwriter

    path = tmp_path / "plain.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("S")
    ws.write_number(0, 0, 3.2e6, book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()
    with warnings.catch_warnings(), pytest.raises(UserWarning, match="outside the limits for dates"):
        warnings.simplefilter("error")
        pd.read_excel(path, sheet_name=None, header=None)
