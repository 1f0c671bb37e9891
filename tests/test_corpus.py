"""The compiled engine over workbooks pysie did not write (tests/data/corpus,
see its SOURCES.md): at least 95% of their formula cells agree with the value
the saving program cached, and no file crashes, hangs or prints a traceback;
a workbook the engine will not evaluate is refused naming a cell."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus"


def _corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("corpus", REPO / "benchmarks" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module
    spec.loader.exec_module(module)
    return module


def test_the_corpus_agrees_with_the_cached_values(tmp_path: Path) -> None:
    out = tmp_path / "corpus.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "corpus.py"), str(CORPUS), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    report = json.loads(out.read_text())
    summary = report["summary"]
    assert summary["files"] >= 60 and summary["checked"] >= 3000
    assert summary["crashed_files"] == 0 and summary["crashed"] == 0
    assert summary["agree_percent"] >= 95.0, run.stdout[-3000:]
    refused = [f for f in report["files"] if f["status"] == "refused"]
    assert all("!" in f["message"] and "which pysie does not evaluate" in f["message"] for f in refused), refused


def test_a_wrong_value_is_counted_as_a_disagreement() -> None:
    """The deliberate break of the tally: a number off by 1e-6, another error,
    a text for a number and a wrong boolean all disagree; equal ones agree."""
    corpus = _corpus_module()
    cached = {("S", "A1"): 1.0, ("S", "A2"): "#N/A", ("S", "A3"): 2.0, ("S", "A4"): True, ("S", "A5"): "x"}
    values = [["S", "A1", 1.000001], ["S", "A2", "#NUM!"], ["S", "A3", "2"], ["S", "A4", 0.0], ["S", "A5", "x"]]
    result = corpus.tally("book.xlsx", {"status": "ok", "values": values}, cached)
    assert result.counts == Counter({"disagree": 4, "agree": 1}), (result.counts, result.disagreements)
