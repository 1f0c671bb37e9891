"""A wheel holds everything pysie needs: installed into a fresh virtual
environment (not editable), every README example runs from a folder outside
the repository and prints what the checkout prints (this is where README's
examples run: tests/test_readme.py checks the rest of README)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from pysie.cli import main
from tests.conftest import REPO
from tests.test_readme import EXAMPLES


def test_every_package_folder_is_listed_in_pyproject() -> None:
    """The mapped templates folder needs an explicit package list; a new
    subpackage missing from it would be left out of the wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(REPO).parts)
        for p in (REPO / "pysie").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found | {"pysie._templates"} == set(config["packages"])
    assert config["package-dir"] == {"pysie._templates": "templates"}


def test_build_check_says_where_it_looks_for_workbooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--check", "-o", str(tmp_path / "nowhere")]) == 2
    assert "no such folder of workbooks" in capsys.readouterr().err


#: Runs each README example (argv[1]: a JSON list of them) through the installed
#: package's ``pysie.cli.main`` and prints a JSON list of [status, stdout, stderr].
DRIVER = """
import contextlib, io, json, shlex, sys
from pysie.cli import main
results = []
for example in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(shlex.split(example)[1:])
        except SystemExit as stop:
            status = stop.code
    results.append([status, out.getvalue(), err.getvalue()])
sys.stdout.write(json.dumps(results))
"""


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_wheel_runs_every_readme_example_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(REPO), "-w", str(wheels)], tmp_path, env)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("pysie-*.whl")
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env).returncode == 0
    python = venv / "bin" / "python"
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)], tmp_path, env
    )
    assert installed.returncode == 0, installed.stderr
    # the dependencies come from this interpreter's site-packages, added as a plain
    # path (its .pth files, among them an editable pysie, are not processed)
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, env
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run([str(python), "-c", "import pysie; print(pysie.__file__)"], elsewhere, env).stdout.strip()
    assert where.startswith(str(site)), where
    pysie = str(venv / "bin" / "pysie")

    # every template ships, byte for byte (a missing one would fail `pysie build` of it)
    shipped = site / "pysie" / "_templates"
    assert {p.name: p.read_bytes() for p in shipped.glob("*.toml")} == {
        p.name: p.read_bytes() for p in (REPO / "templates").glob("*.toml")
    }

    inside = tmp_path / "inside"
    (inside / "out").mkdir(parents=True)
    monkeypatch.chdir(inside)
    # README's examples run here, and only here: in one process of the installed
    # package (each a process of its own would start Python a dozen times); the
    # console script itself runs below
    ran = _run([str(python), "-c", DRIVER, json.dumps(EXAMPLES)], elsewhere, env)
    assert ran.returncode == 0, ran.stderr
    for example, (status, stdout, stderr) in zip(EXAMPLES, json.loads(ran.stdout), strict=True):
        args = shlex.split(example)[1:]
        assert status == 0, (example, stderr)
        if "--json" in args:
            assert json.loads(stdout)["model"] == args[1], example
        if args[0] in ("list", "run"):  # the checkout's pysie, in this process, prints the same
            assert main(args) == 0, example
            assert stdout == capsys.readouterr().out, example
    assert (elsewhere / "out" / "recalculated.xlsx").exists()
    assert len((elsewhere / "out" / "sweep.csv").read_text().splitlines()) == 1 + 4 * 3

    # the installed package finds no checkout: it says where it looked
    nowhere = tmp_path / "empty"
    nowhere.mkdir()
    lost = _run([pysie, "build", "--check"], nowhere, env)
    assert lost.returncode == 2 and re.search(r"looked in .*workbooks", lost.stderr), lost.stderr
    # and the console script prints what the checkout prints
    listed = _run([pysie, "list"], elsewhere, env)
    assert listed.returncode == 0 and main(["list"]) == 0 and listed.stdout == capsys.readouterr().out


def test_build_check_from_another_folder_finds_the_checkout_workbooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pysie.templates import templates_dir, workbooks_dir

    monkeypatch.chdir(tmp_path)
    assert templates_dir() == REPO / "templates"
    assert workbooks_dir() == REPO / "workbooks"
