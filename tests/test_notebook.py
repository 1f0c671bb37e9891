"""examples/quickstart.ipynb is committed without outputs and runs from top to bottom."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

NOTEBOOK = REPO / "examples" / "quickstart.ipynb"

nbformat = pytest.importorskip("nbformat")


def test_notebook_is_committed_with_outputs_cleared() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 8
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.slow
def test_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    shutil.copy(NOTEBOOK, tmp_path / NOTEBOOK.name)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # no display; the notebook saves its figure
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(tmp_path / NOTEBOOK.name, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, when a cell fails

    def text(index: int) -> str:
        cell = [c for c in notebook.cells if c.cell_type == "code"][index]
        parts = [o.get("text", "") for o in cell.outputs]
        parts += [o.get("data", {}).get("text/plain", "") for o in cell.outputs]
        return "\n".join(parts)

    assert "retraining" in text(0)
    presets = text(2)
    for preset in ("note-default", "N4.3", "N3", "N2", "N1.5"):
        assert preset in presets
    assert "never" in text(4)
    png = tmp_path / "quickstart-out" / "quickstart.png"
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "research_returns" in text(6) and "1.8" in text(6)
    assert "all agree" in text(8)
    assert (tmp_path / "quickstart-out" / "retraining-N2-edited.xlsx").is_file()
