"""Files people load: ``pysie sweep -o X.parquet | X.csv | -`` and ``pysie run
--csv/--parquet``. Columns in declaration order, units beside the values,
dates as dates, floats written as the shortest text that reads back as the
same number; the numbers are the solver's (an independent engine from the
compiled workbook a sweep evaluates) and satisfy the model's own closed forms."""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import pysie.sweep as sweep_module
from pysie.cli import main
from pysie.models.milestone_takeoff import MODEL as MILESTONE
from pysie.models.retraining import MODEL
from pysie.models.retraining import TABLES as VARIANT_TABLES
from pysie.solver import solve
from pysie.tables_out import Field, write_table
from tests.conftest import REPO, SHORT, SMALL
from tests.editing import copy_book, digest

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
RESULT = "continuous_retraining_days_to_infinity"
#: Swept in the order opposite to the declaration (upgrade_factor is declared after research_returns).
SETS = ["--set", "upgrade_factor=2:3:2", "--set", "research_returns=1.1:2:5"]


def pysie(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pysie", *args], env=ENV, capture_output=True, text=True, timeout=300, **kwargs
    )


def is_shortest(text: str) -> bool:
    """Is ``text`` the shortest decimal that reads back as float(text)? Judged
    by trying every shorter precision, not by repr."""
    x = float(text)
    digits = len(re.sub(r"[^0-9]", "", text.split("e")[0]).strip("0") or "0")  # significant digits written
    return all(float(f"{x:.{k}g}") != x for k in range(1, digits))


@pytest.fixture
def book(short_retraining_book: Path, tmp_path: Path) -> Path:
    return copy_book(short_retraining_book, tmp_path / "book.xlsx")


@pytest.fixture(scope="module")
def swept(short_retraining_book: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One sweep written as CSV, Parquet and to standard output."""
    folder = tmp_path_factory.mktemp("swept")
    book = copy_book(short_retraining_book, folder / "book.xlsx")
    out = {"csv": folder / "s.csv", "parquet": folder / "s.parquet", "stdout": folder / "stdout.csv"}
    for kind in ("csv", "parquet"):
        assert main(["sweep", str(book), *SETS, "-o", str(out[kind])]) == 0
    done = pysie("sweep", str(book), *SETS, "-o", "-")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    out["stdout"].write_text(done.stdout)
    return out


# --- columns, units, values ---------------------------------------------------------------


def test_columns_are_scenario_then_inputs_then_results_in_declaration_order(swept: dict[str, Path]) -> None:
    table = pd.read_parquet(swept["parquet"])
    declared = [s.name for s in MODEL.scalars]
    results = list(table.columns[3:])
    assert list(table.columns[:3]) == ["scenario", "research_returns", "upgrade_factor"]
    assert results == [n for n in declared if n in results] and set(results) == set(declared)
    assert list(pd.read_csv(swept["csv"]).columns) == list(table.columns)


def test_the_three_outputs_hold_the_same_numbers(swept: dict[str, Path]) -> None:
    """CSV text reads back as the Parquet doubles to the 15 significant digits it keeps."""
    parquet, csv, stdout = (pd.read_parquet(swept["parquet"]), pd.read_csv(swept["csv"]), pd.read_csv(swept["stdout"]))
    pd.testing.assert_frame_equal(csv, stdout)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, rtol=5e-15, atol=0)
    assert list(parquet["scenario"]) == list(range(10)) and parquet["scenario"].dtype == np.int64


def test_rows_are_the_solvers_values(swept: dict[str, Path]) -> None:
    """The grid: the last --set varies fastest; each row's result is the solver's for its inputs."""
    table = pd.read_parquet(swept["parquet"])
    assert list(table["upgrade_factor"]) == [2.0] * 5 + [3.0] * 5
    assert list(table["research_returns"]) == [1.1, 1.325, 1.55, 1.775, 2.0] * 2
    for row in table.itertuples():
        values = MODEL.resolve(
            "note-default", {**SHORT, "research_returns": row.research_returns, "upgrade_factor": row.upgrade_factor}
        )
        want = solve(MODEL, values).value(RESULT)
        got = getattr(row, RESULT)
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12)


def test_units_travel_with_the_table(swept: dict[str, Path]) -> None:
    declared = {p.name: p.unit for p in MODEL.parameters} | {s.name: s.unit for s in MODEL.scalars}
    table = pd.read_parquet(swept["parquet"])
    units = table.attrs["units"]
    assert units["research_returns"] == "doublings per doubling" and units[RESULT] == "days"
    assert {k: v for k, v in units.items() if k != "scenario"} == {k: declared[k] for k in table.columns[1:]}
    schema = pq.read_schema(swept["parquet"])
    assert schema.field("compute_per_day").metadata[b"unit"] == b"FLOP/day"
    assert schema.field("research_returns").metadata[b"description"].startswith(b"Software doublings")
    sidecar = pd.read_csv(swept["csv"].with_name("s.units.csv"), index_col="column", keep_default_na=False)
    assert list(sidecar.index) == list(table.columns)
    assert sidecar["unit"].to_dict() == units


def test_floats_are_written_without_noise(swept: dict[str, Path]) -> None:
    """Every number cell is the shortest text of its value, and the grid's
    values are the decimals typed (1.325, not 1.3250000000000002)."""
    lines = swept["csv"].read_text().splitlines()
    assert lines[2].split(",")[1] == "1.325"
    column = lines[0].split(",").index("compute_per_day")  # 1e29 / 100, the double 9.999999999999999e+26
    assert {line.split(",")[column] for line in lines[1:]} == {"1e+27"}
    cells = [c for line in lines[1:] for c in line.split(",")[1:] if c]
    assert cells and all(is_shortest(c) for c in cells), [c for c in cells if not is_shortest(c)][:5]


def test_the_shortest_text_check_catches_noisy_formatting() -> None:
    """The deliberate break of the check above: 17 significant digits invent noise."""
    assert is_shortest(repr(0.1)) and is_shortest("1e+27") and is_shortest("1.325")
    assert not is_shortest(format(0.1, ".17g")) and not is_shortest(format(1.1, ".17g"))


def test_the_table_is_written_in_row_groups_of_one_chunk(
    book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_module.SweepPlan.chunks, "__defaults__", (4,))
    assert main(["sweep", str(book), *SETS, "-o", str(tmp_path / "c.parquet")]) == 0
    parquet = pq.ParquetFile(tmp_path / "c.parquet")
    assert [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)] == [4, 4, 2]
    monkeypatch.setattr(sweep_module.SweepPlan.chunks, "__defaults__", (3,))
    assert main(["sweep", str(book), *SETS, "-o", str(tmp_path / "c.csv")]) == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "c.csv"), pd.read_parquet(tmp_path / "c.parquet"), check_dtype=False
    )


# --- dates --------------------------------------------------------------------------------


def excel_day(serial: float) -> datetime.date:
    return datetime.date(1899, 12, 30) + datetime.timedelta(days=math.floor(serial))


def test_dates_are_dates(small_milestone_book: Path, tmp_path: Path) -> None:
    book = copy_book(small_milestone_book, tmp_path / "m.xlsx")
    args = ["sweep", str(book), "--set", "sc_multiplier=4:6:3"]
    assert main([*args, "-o", str(tmp_path / "m.csv")]) == 0 and main([*args, "-o", str(tmp_path / "m.parquet")]) == 0
    csv, parquet = pd.read_csv(tmp_path / "m.csv"), pd.read_parquet(tmp_path / "m.parquet")
    assert parquet.attrs["units"]["sar_date_p50"] == "date"
    assert str(parquet["sar_date_p50"].dtype).startswith("datetime64")
    for row, multiplier in enumerate([4.0, 5.0, 6.0]):
        solution = solve(MILESTONE, MILESTONE.resolve(None, {**SMALL, "sc_multiplier": multiplier}))
        for name in ("point_sar_date", "sar_date_p50", "asi_date_p90"):
            want = excel_day(solution.value(name))
            assert csv[name][row] == want.isoformat()
            assert parquet[name][row].date() == want


def test_a_date_past_9999_is_kept_in_parquet_and_named_in_csv(tmp_path: Path) -> None:
    fields = [Field("when", "date", date=True), Field("x", "m")]
    serials = np.array([46477.0, 2958465.0 + 400, np.nan])
    columns = {"when": serials, "x": np.array([1.0, np.inf, np.nan])}
    write_table(tmp_path / "d.parquet", fields, columns)
    write_table(tmp_path / "d.csv", fields, columns)
    when = pd.read_parquet(tmp_path / "d.parquet")["when"]
    assert when[0].date() == datetime.date(2027, 3, 31) and when[1].year == 10001 and pd.isna(when[2])
    assert (tmp_path / "d.csv").read_text().splitlines() == ["when,x", "2027-03-31,1.0", "after 9999-12-31,", ","]


# --- files: formats, overwriting ------------------------------------------------------------


def test_an_output_that_is_not_a_table_format_is_refused_before_any_work(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", str(book), *SETS, "-o", str(tmp_path / "s.txt")]) == 2
    err = capsys.readouterr().err
    assert "X.csv" in err and "X.parquet" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


@pytest.mark.parametrize("existing", ["s.parquet", "s.csv", "s.units.csv"])
def test_an_existing_file_is_kept_without_force(
    book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: str
) -> None:
    target = tmp_path / existing
    target.write_text("mine\n")
    out = tmp_path / ("s.parquet" if existing == "s.parquet" else "s.csv")
    assert main(["sweep", str(book), *SETS, "-o", str(out)]) == 2
    assert f"{target} exists; pass --force" in capsys.readouterr().err
    assert target.read_text() == "mine\n"
    assert main(["sweep", str(book), *SETS, "-o", str(out), "--force"]) == 0
    assert target.read_bytes() != b"mine\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_standard_output_holds_the_table_alone(book: Path) -> None:
    done = pysie("sweep", str(book), "--set", "research_returns=1.2:2:3", "-o", "-")
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[0].startswith("scenario,research_returns,") and len(done.stdout.splitlines()) == 4


# --- run --csv / --parquet: trajectories --------------------------------------------------------


def test_run_writes_a_tidy_file_per_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["run", "retraining", "--preset", "N2", "--set", "horizon_days=300", "--csv", str(tmp_path / "t.csv")])
        == 0
    )
    out = capsys.readouterr().out
    for table in MODEL.tables:
        assert f"wrote {tmp_path / f't.{table.name}.csv'} ({table.name}: 301 rows)" in out
    for table in VARIANT_TABLES:
        path = tmp_path / f"t.{table.name}.csv"
        frame = pd.read_csv(path)
        assert list(frame.columns) == ["scenario", "row", *(c.name for c in table.columns)]
        assert (frame["scenario"] == 0).all() and list(frame["row"]) == list(range(301))
        assert list(frame["day"]) == list(range(301))  # the sheet's day column is its row
        units = pd.read_csv(tmp_path / f"t.{table.name}.units.csv", index_col="column", keep_default_na=False)["unit"]
        assert units["software"] == "x day 0" and units["day"] == "day"
        # the model's law of motion S_t = x_t^r, with r = 2 in preset N2, row by row below the cap
        finite = frame["software"] < 1e300
        assert np.allclose(frame["software"][finite], frame["cumulative_research"][finite] ** 2.0, rtol=1e-12)


def test_run_writes_one_chosen_table_as_parquet_beside_json(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    done = pysie("run", "retraining", "--table", "continuous_retraining", "--parquet", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model"] == "retraining"  # standard output is the JSON alone
    assert f"wrote {path}" in done.stderr
    frame = pd.read_parquet(path)
    assert frame.attrs["units"]["effective_flop"] == "FLOP" and frame.attrs["table"] == "continuous_retraining"
    solution = solve(MODEL, MODEL.resolve(None))
    assert np.array_equal(
        frame["effective_flop"].to_numpy(), solution.column("continuous_retraining", "effective_flop"), equal_nan=True
    )


def test_run_trajectories_of_a_sampling_model_carry_dates(tmp_path: Path) -> None:
    done = pysie("run", "milestone-takeoff", "--samples", "40", "--table", "samples", "--csv", "-")
    assert done.returncode == 0 and done.stderr == ""
    frame = pd.read_csv(io.StringIO(done.stdout))
    assert len(frame) == 40 and list(frame["row"]) == list(range(40))
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in frame["sar_date"])


@pytest.mark.parametrize(
    "args, words",
    [
        (["--csv", "-"], ["writes one table", "no_retraining, continuous_retraining, from_scratch"]),
        (["--table", "continuous", "--csv", "t.csv"], ["no table 'continuous'", "did you mean continuous_retraining"]),
        (["--table", "from_scratch"], ["--table chooses", "--csv FILE"]),
        (["--csv", "t.parquet"], ["--csv t.parquet", "X.csv"]),
        (["--parquet", "t.txt"], ["t.txt", "X.parquet"]),
        (["--table", "from_scratch", "--csv", "-", "--json"], ["both write to standard output"]),
        (["--force"], ["--force replaces the files of --csv/--parquet"]),
    ],
)
def test_run_refuses_trajectory_options_that_do_not_fit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    words: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "retraining", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for word in words:
        assert word in err, (word, err)
    assert list(tmp_path.iterdir()) == []


def test_run_never_overwrites_a_trajectory_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "o.csv"
    path.write_text("mine\n")
    before = digest(path)
    assert main(["run", "overhang", "--csv", str(path)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and digest(path) == before
    assert main(["run", "overhang", "--csv", str(path), "--force"]) == 0 and digest(path) != before


def test_a_table_with_its_own_row_column_keeps_it(capsys: pytest.CaptureFixture[str]) -> None:
    """software-explosion's windows table declares ``row`` (its 0-based row), so the index is ``row_index``."""
    assert main(["run", "software-explosion", "--table", "windows", "--csv", "-"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns[:3]) == ["scenario", "row_index", "row"]
    assert list(frame["row_index"]) == list(range(len(frame))) == list(frame["row"])
