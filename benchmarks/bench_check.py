"""``pysie check`` of every committed workbook against a warm LibreOffice
recalculating the same file, and ``check`` of edited workbooks against the
pristine one, side by side in one run.

    PYTHONPATH=$PWD python3 benchmarks/bench_check.py [--runs 5] [--books workbooks/*.xlsx]

* pysie: whole process, ``python3 -m pysie.cli check BOOK`` (compiled engine),
  median wall seconds of ``--runs`` and the peak resident set of the process.
  pysie's modules are byte-compiled first (``compileall``), as an installed
  package is: where ``PYTHONDONTWRITEBYTECODE`` is set, every process would
  otherwise compile them again from source.
* LibreOffice: ``soffice --headless --convert-to xlsx`` of the same file with
  one private profile that forces recalculation on load (the profile pysie's
  LibreOffice engine writes), warmed by one uncounted conversion, median of
  ``--runs``: the recalculation alone, without reading or comparing.
* Edited retraining workbooks (a word typed into a formula cell with
  openpyxl; a row inserted by LibreOffice): pysie check's median against the
  pristine file's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _one_check(book: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pysie.cli", "check", book], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "status": proc.returncode,
    }


def pysie_check(book: Path, runs: int) -> tuple[float, float, int]:
    """(median seconds, largest peak MB, last exit status) of ``runs`` checks, each in a fresh wrapper."""
    results = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(book)], capture_output=True, text=True, check=True
        ).stdout
        results.append(json.loads(out))
    return (
        statistics.median(r["seconds"] for r in results),
        max(r["peak_mb"] for r in results),
        int(results[-1]["status"]),
    )


def libreoffice_recalc(book: Path, runs: int, work: Path) -> float:
    """Median seconds of a warm LibreOffice recalculating ``book`` on load."""
    from pysie.recalc.libreoffice import XLSX_FILTER, _write_profile, find_soffice

    soffice = find_soffice()
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is not installed")
    profile = work / "profile"
    if not profile.exists():
        _write_profile(profile, force=True)
    command = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        XLSX_FILTER,
        "--outdir",
        str(work / "out"),
        str(book),
    ]
    subprocess.run(command, capture_output=True, check=True, timeout=300)  # warm-up, not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def edited_books(pristine: Path, work: Path) -> dict[str, Path]:
    """The retraining workbook with a word in a formula cell, and with a row inserted by LibreOffice."""
    import openpyxl

    sys.path.insert(0, str(REPO))
    from tests.test_engine_edited import insert_row_with_libreoffice

    word = work / "word.xlsx"
    book = openpyxl.load_workbook(pristine)
    book["No retraining"]["D60"] = "oops"
    book.save(word)
    inserted = insert_row_with_libreoffice(pristine, work / "inserted.xlsx", "No retraining", 61, work)
    return {"a word in a formula cell": word, "a row inserted by LibreOffice": inserted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--books", nargs="*", type=Path, default=sorted((REPO / "workbooks").glob("*.xlsx")))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one_check(args.one)))
        return
    sys.path.insert(0, str(REPO))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "pysie")], check=True)
    print(f"1-minute load before: {os.getloadavg()[0]:.2f}")
    print("| workbook | pysie check s | peak MB | warm LibreOffice s | LibreOffice / pysie |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for book in args.books:
            seconds, peak, status = pysie_check(book, args.runs)
            office = libreoffice_recalc(book, args.runs, work)
            flag = "" if status == 0 else f" (exit {status})"
            print(f"| {book.name}{flag} | {seconds:.2f} | {peak:.0f} | {office:.2f} | {office / seconds:.2f}x |")
        retraining = next((b for b in args.books if b.name == "retraining.xlsx"), None)
        if retraining is not None:
            pristine, _, _ = pysie_check(retraining, args.runs)
            print(f"\n| retraining.xlsx edited | pysie check s | / pristine ({pristine:.2f} s) |")
            print("|---|---:|---:|")
            for what, path in edited_books(retraining, work).items():
                seconds, _, status = pysie_check(path, args.runs)
                print(f"| {what} (exit {status}) | {seconds:.2f} | {seconds / pristine:.2f}x |")
        shutil.rmtree(work / "out", ignore_errors=True)
    print(f"1-minute load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
