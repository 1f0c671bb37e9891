"""Tables of scenarios as files people load: CSV and Parquet, written in chunks.

A table is a list of :class:`Field` (name, unit, description, whether the
values are dates) and chunks of rows, each chunk a ``{name: array}``. The
format follows the output's name:

- ``X.parquet``: Parquet (pyarrow), one row group per chunk. Numbers are
  float64 (whole-number fields int64), an error value (NaN, infinity) is
  null, a date is a ``timestamp[ms]`` at midnight (pandas reads it as
  ``datetime64``; years past 9999 are kept, which Python's ``datetime.date``
  could not hold). Each field's unit and description are in the field
  metadata (``unit``, ``description``), and the schema metadata holds
  ``PANDAS_ATTRS`` = ``{"units": {name: unit}}``, which pandas 2.1 and later
  restore as ``pd.read_parquet(X).attrs["units"]``.
- ``X.csv``: comma-separated text, one header row of the field names, so
  ``pd.read_csv(X)`` reads it as it is. Numbers are written to the 15
  significant digits Excel keeps, in the shortest text of that (``0.1``;
  ``1e+27`` for ``1e29 / 100``, whose double is 9.999999999999999e+26), an
  error value is an empty cell, a date is an ISO date (``2027-03-31``;
  ``after 9999-12-31`` past Excel's last date, as every pysie report says).
  The units go to a sidecar ``X.units.csv`` with the columns
  ``column,unit,description`` (one row per field).
- ``-``: the CSV on standard output (no sidecar: the units of every input and
  output are in ``pysie list --json``).

A file is written as every pysie output is (:mod:`pysie.fileio`): checked
before any slow work, to a temporary name moved into place when complete, and
never over an existing file unless ``overwrite``; the sidecar follows the same
rules and is installed just after the table.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import math
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from pysie.dates import EXCEL_EPOCH, iso_date
from pysie.fileio import atomic_output, check_target, same_file
from pysie.solver import Solution
from pysie.spec import Column, InputError, Parameter, Scalar

#: The output name that means "CSV on standard output".
STDOUT = "-"
FORMATS = {".csv": "csv", ".parquet": "parquet"}
#: Excel serial of 1970-01-01, the epoch of Parquet timestamps.
_UNIX_EPOCH_SERIAL = (datetime.date(1970, 1, 1) - EXCEL_EPOCH).days
_MS_PER_DAY = 86_400_000
#: Days either side of 1970 that a millisecond timestamp holds (2**63 ms).
_MAX_DAYS = 2**63 // _MS_PER_DAY - 1


@dataclass(frozen=True)
class Field:
    """One column: its name, unit, description and how its values are kept.

    ``date``: the values are Excel date serials (days since 1899-12-30),
    written as dates. ``integer``: whole numbers (a row or scenario number)."""

    name: str
    unit: str = ""
    description: str = ""
    date: bool = False
    integer: bool = False


#: Units of values that are Excel date serials (written as dates).
DATE_UNITS = ("date", "Excel date")


def parameter_field(p: Parameter) -> Field:
    """The column of a model parameter."""
    date = p.unit in DATE_UNITS
    return Field(p.name, "date" if date else p.unit, p.description, date=date)


def scalar_field(s: Scalar) -> Field:
    """The column of a derived input, output or check."""
    date = s.kind == "date" or s.unit in DATE_UNITS
    return Field(s.name, "date" if date else s.unit, s.description, date=date)


def column_field(c: Column) -> Field:
    """The column of a table column (a trajectory)."""
    date = c.unit in DATE_UNITS
    return Field(c.name, "date" if date else c.unit, c.description, date=date)


def output_format(path: str | Path) -> str:
    """``"csv"`` or ``"parquet"`` from the output's name (``-`` is CSV), or
    :class:`InputError` saying which names are understood."""
    if str(path) == STDOUT:
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: name the output X.csv (CSV), X.parquet (Parquet) or - (CSV on standard output); "
            f"{suffix or 'no extension'} is not a table format pysie writes"
        )
    return FORMATS[suffix]


def units_path(path: Path) -> Path:
    """The sidecar of a CSV table: ``X.csv`` -> ``X.units.csv``."""
    return path.with_name(f"{path.stem}.units.csv")


def check_output(path: str | Path, *, overwrite: bool = False, inputs: Sequence[Path] = ()) -> None:
    """Raise now, before any slow work, if the table (or its units sidecar)
    cannot be written (see :func:`pysie.fileio.check_target`)."""
    if str(path) == STDOUT:
        return
    path = Path(path)
    if path.is_dir() or any(same_file(path, Path(source)) for source in inputs):
        check_target(path, overwrite=True, inputs=inputs)  # says which (before the file's name is judged)
    kind = output_format(path)
    check_target(path, overwrite=overwrite, inputs=inputs)
    if kind == "csv":
        check_target(units_path(path), overwrite=overwrite, inputs=inputs)


# --- values as text and as Arrow arrays ----------------------------------------------------


def csv_text(values: np.ndarray, field: Field) -> list[str]:
    """The cells of one CSV column: shortest round-trip text of each number
    (``repr``), an empty cell for an error (NaN, infinity), ISO dates for a
    date field."""
    if field.date:
        return [iso_date(v) or "" for v in values.tolist()]
    if field.integer:
        return [str(int(v)) if math.isfinite(v) else "" for v in np.asarray(values, dtype=float).tolist()]
    return [
        "" if v != v or v in (math.inf, -math.inf) else number_text(v) for v in np.asarray(values, dtype=float).tolist()
    ]


def number_text(value: float) -> str:
    """``value`` to the 15 significant digits Excel keeps and shows, in the
    shortest text of that (``1e+27`` for ``1e29 / 100``, whose double is
    9.999999999999999e+26; ``1.325``): no digits invented by floating-point
    arithmetic or by formatting."""
    return repr(float(f"{value:.15g}"))


def arrow_array(values: np.ndarray, field: Field) -> Any:
    """One Parquet column: float64 (int64 for a whole-number field) with
    nulls for errors, or midnight timestamps for a date field (the day of
    the serial, as :func:`pysie.dates.iso_date` takes it)."""
    import pyarrow as pa

    numbers = np.asarray(values, dtype=float)
    if field.date:
        days = np.floor(numbers) - _UNIX_EPOCH_SERIAL
        bad = ~np.isfinite(days) | (np.abs(np.nan_to_num(days)) > _MAX_DAYS)
        ms = np.where(bad, 0, np.nan_to_num(days)).astype(np.int64) * _MS_PER_DAY
        return pa.array(ms, type=pa.timestamp("ms"), mask=bad)
    bad = ~np.isfinite(numbers)
    if field.integer:
        return pa.array(np.where(bad, 0, numbers).astype(np.int64), type=pa.int64(), mask=bad)
    return pa.array(numbers, type=pa.float64(), mask=bad)


def arrow_schema(fields: Sequence[Field], metadata: Mapping[str, Any] | None = None) -> Any:
    """The Parquet schema: each field's unit and description in its metadata;
    the units again, and ``metadata``, as ``PANDAS_ATTRS`` (``DataFrame.attrs``)."""
    import pyarrow as pa

    def kind(f: Field) -> Any:
        return pa.timestamp("ms") if f.date else pa.int64() if f.integer else pa.float64()

    attrs = {"units": {f.name: f.unit for f in fields}, **(metadata or {})}
    return pa.schema(
        [pa.field(f.name, kind(f), metadata={"unit": f.unit, "description": f.description}) for f in fields],
        metadata={"PANDAS_ATTRS": json.dumps(attrs)},
    )


# --- writers ---------------------------------------------------------------------------------


class TableWriter(Protocol):
    def write(self, chunk: Mapping[str, np.ndarray]) -> None: ...


class _CsvWriter:
    def __init__(self, stream: TextIO, fields: Sequence[Field]) -> None:
        self.fields = list(fields)
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow([f.name for f in self.fields])

    def write(self, chunk: Mapping[str, np.ndarray]) -> None:
        columns = [csv_text(chunk[f.name], f) for f in self.fields]
        self.writer.writerows(zip(*columns, strict=True))


class _ParquetWriter:
    def __init__(self, writer: Any, fields: Sequence[Field], schema: Any) -> None:
        self.parquet, self.fields, self.schema = writer, list(fields), schema

    def write(self, chunk: Mapping[str, np.ndarray]) -> None:
        import pyarrow as pa

        arrays = [arrow_array(chunk[f.name], f) for f in self.fields]
        self.parquet.write_table(pa.Table.from_arrays(arrays, schema=self.schema))  # one row group per chunk


def _write_units(path: Path, fields: Sequence[Field]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["column", "unit", "description"])
        writer.writerows([f.name, f.unit, f.description] for f in fields)


@contextlib.contextmanager
def open_table(
    path: str | Path,
    fields: Sequence[Field],
    *,
    overwrite: bool = False,
    inputs: Sequence[Path] = (),
    metadata: Mapping[str, Any] | None = None,
) -> Iterator[TableWriter]:
    """A writer of the table ``path`` (see the module docstring); call its
    ``write`` once per chunk. The file (and sidecar) appear only when the
    block ends without an error. ``metadata`` (JSON-ready) goes into the
    Parquet schema beside the units."""
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise AssertionError(f"a table cannot have two columns of one name: {names}")
    kind = output_format(path)
    if str(path) == STDOUT:
        yield _CsvWriter(sys.stdout, fields)
        return
    path = Path(path)
    check_output(path, overwrite=overwrite, inputs=inputs)
    if kind == "parquet":
        import pyarrow.parquet as pq

        schema = arrow_schema(fields, metadata)
        with (
            atomic_output(path, overwrite=overwrite, inputs=inputs) as tmp,
            pq.ParquetWriter(tmp, schema) as parquet,
        ):
            yield _ParquetWriter(parquet, fields, schema)
        return
    with (
        atomic_output(units_path(path), overwrite=overwrite, inputs=inputs) as units_tmp,
        atomic_output(path, overwrite=overwrite, inputs=inputs) as tmp,
    ):
        _write_units(units_tmp, fields)
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            yield _CsvWriter(fh, fields)


def write_table(
    path: str | Path,
    fields: Sequence[Field],
    columns: Mapping[str, np.ndarray],
    *,
    overwrite: bool = False,
    inputs: Sequence[Path] = (),
    metadata: Mapping[str, Any] | None = None,
) -> int:
    """Write in-memory ``columns`` (one array per field) as one chunk; returns the number of rows."""
    rows = len(columns[fields[0].name]) if fields else 0
    with open_table(path, fields, overwrite=overwrite, inputs=inputs, metadata=metadata) as writer:
        writer.write(columns)
    return rows


# --- trajectories of a solved model -------------------------------------------------------------


def trajectory_columns(solution: Solution, table: str) -> tuple[list[Field], dict[str, np.ndarray]]:
    """The tidy table of one of ``solution``'s tables: a row per (scenario,
    row), scenario-major; the columns ``scenario`` (from 0), ``row`` (the row
    below the sheet's header, from 0; ``row_index`` when the table declares a
    column called ``row``), then every declared column in its order."""
    declared = solution.model.table(table)
    arrays = solution.tables[table]
    n = solution.scenarios
    rows = next(iter(arrays.values())).shape[0]
    index = "row_index" if any(c.name == "row" for c in declared.columns) else "row"
    fields = [
        Field("scenario", "", "scenario number from 0", integer=True),
        Field(index, "", f"row of the {declared.sheet} sheet from 0 (one {declared.row_noun} per row)", integer=True),
        *(column_field(c) for c in declared.columns),
    ]
    columns = {"scenario": np.repeat(np.arange(n), rows), index: np.tile(np.arange(rows), n)}
    for c in declared.columns:
        columns[c.name] = np.broadcast_to(arrays[c.name], (rows, n)).T.reshape(-1)
    return fields, columns
