"""House rules every registered model keeps, checked over the whole registry.

A new model is held to the same rules as soon as it is registered: its
parameters carry unit, description, source and bounds; its outputs are
declared and land on the Summary sheet of its workbook plan; every formula
cell of every committed workbook is a cell the plan owns; README's tables are
what the solver computes today.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pysie.excel.layout import SUMMARY
from pysie.excel.plan import plan_workbook, solve_workbook
from pysie.excel.reader import formula_cells, read_book
from pysie.models import MODELS, MODULES
from pysie.report import refresh_markdown, report
from pysie.solver import solve
from pysie.spec import OUTPUT_KINDS
from pysie.templates import all_templates
from tests.conftest import REPO
from tests.editing import without_cells

MODEL_NAMES = list(MODELS)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_the_registry_names_each_model_as_its_module_does(name: str) -> None:
    """The registry imports a model's module on first use, by the name listed in MODULES."""
    module = importlib.import_module(f"pysie.models.{MODULES[name]}")
    assert module.MODEL.name == name
    assert MODELS[name] is module.MODEL


def test_a_command_about_one_model_imports_no_other_model_or_workbook_module() -> None:
    """``pysie mc software-explosion`` starts without openpyxl, the engines or the other models."""
    code = (
        "import sys; from pysie.cli import main; main(['mc', 'software-explosion', '--samples', '3', '--json']); "
        "print(sorted(m for m in sys.modules if m.startswith(('pysie.models.', 'openpyxl', 'pysie.recalc'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip().splitlines()[-1] == "['pysie.models.software_explosion']"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_parameter_has_unit_description_source_and_bounds(name: str) -> None:
    for p in MODELS[name].parameters:
        assert p.unit.strip(), f"{name}.{p.name}: no unit"
        assert p.description.strip(), f"{name}.{p.name}: no description"
        assert p.source.strip(), f"{name}.{p.name}: no source"
        assert p.lower is not None and p.upper is not None, f"{name}.{p.name}: bounds {p.bounds_text()}"
        assert p.validate(p.default) == p.default, f"{name}.{p.name}: default outside its bounds"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_output_is_declared_and_lands_on_the_summary(name: str) -> None:
    model = MODELS[name]
    # where cells are, in the smallest workbook of the model (its whole-number structural
    # parameters, such as rows and samples, at their lower bounds): sizes do not move outputs
    smallest = {p.name: p.lower for p in model.parameters if p.structural and p.integer and p.lower is not None}
    plan = plan_workbook(model, solve_workbook(model, model.resolve(None, smallest), snapshot_numbers=False))
    on_summary = {c.computes.variable for c in plan.formula_cells() if c.sheet == SUMMARY and c.computes}
    for s in model.outputs:
        assert s.unit.strip() and s.description.strip(), f"{name}.{s.name}: unit and description are needed"
        assert s.kind in OUTPUT_KINDS
        assert s.name in on_summary, f"{name}.{s.name} is not a formula on the Summary sheet"
    result = report(solve(model, model.resolve()))
    assert list(result["outputs"]) == [s.name for s in model.outputs]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_no_output_is_a_number_where_the_workbook_shows_an_error(name: str) -> None:
    """A report's None is exactly the solver's error (NaN): never a number for an error."""
    model = MODELS[name]
    solution = solve(model, model.resolve())
    outputs = report(solution)["outputs"]
    for s in model.outputs:
        assert (outputs[s.name] is None) == (not math.isfinite(solution.value(s.name))), s.name


@pytest.mark.parametrize("template", all_templates(REPO / "templates"), ids=lambda t: t.name)
def test_every_formula_cell_of_a_committed_workbook_is_in_the_plan(template: object) -> None:
    model = MODELS[template.model]  # type: ignore[attr-defined]
    # the cells' places (tests/test_plan_positions.py: the same cells as with the snapshot numbers)
    solved = solve_workbook(model, template.values(), snapshot_numbers=False)  # type: ignore[attr-defined]
    owned = plan_workbook(model, solved, template=template.name).owned()  # type: ignore[attr-defined]
    found = formula_cells(read_book(REPO / "workbooks" / template.filename))  # type: ignore[attr-defined]
    assert found
    stray = [f"{sheet}!{cell}" for sheet, cell in found if getattr(owned.get((sheet, cell)), "kind", None) != "formula"]
    assert not stray, f"formula cells the plan does not own: {stray[:5]}"


def test_readme_tables_are_what_the_solver_computes() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "<!-- table:" in readme
    assert refresh_markdown(readme, MODELS) == readme, "README tables are stale: python -m pysie.report README.md"


def test_a_changed_readme_number_is_caught() -> None:
    """The README comparison can fail: a table with one number changed is stale."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- table:")
    row = readme.index("\n|", readme.index("|---", start)) + 1
    cells = readme[row : readme.index("\n", row)].split("|")
    cells[2] = " 999.99 "
    broken = readme[:row] + "|".join(cells) + readme[readme.index("\n", row) :]
    assert refresh_markdown(broken, MODELS) != broken


def _rule_accepts(rule: object, cell: str, value: float) -> bool:
    """Does a data-validation rule accept ``value``? Custom rules are evaluated
    by the formulas package (an engine pysie did not write); the built-in
    comparisons by Excel's documented meaning of each operator."""
    import formulas

    kind = rule.type  # type: ignore[attr-defined]
    if kind == "custom":
        function = formulas.Parser().ast("=" + rule.formula1.lstrip("="))[1].compile()  # type: ignore[attr-defined]
        assert [k.replace("$", "") for k in function.inputs] == [cell], function.inputs
        return bool(function(value))
    if kind == "whole" and value != int(value):
        return False
    low, high = float(rule.formula1), float(rule.formula2) if rule.formula2 is not None else None  # type: ignore[attr-defined]
    operator = rule.operator or "between"  # type: ignore[attr-defined]
    tests = {
        "between": lambda v: low <= v <= high,  # type: ignore[operator]
        "greaterThan": lambda v: v > low,
        "greaterThanOrEqual": lambda v: v >= low,
        "lessThan": lambda v: v < low,
        "lessThanOrEqual": lambda v: v <= low,
    }
    return bool(tests[operator](value))


@pytest.mark.parametrize("template", all_templates(REPO / "templates"), ids=lambda t: t.name)
def test_input_validation_enforces_exactly_the_stated_bounds(template: object, tmp_path: Path) -> None:
    """Every input's data-validation rule accepts a value iff the parameter's
    bounds (the ones its message states) do, at and around each bound."""
    model = MODELS[template.model]  # type: ignore[attr-defined]
    # the rules and the names lie outside the cells, which are left out of the copy
    book = openpyxl.load_workbook(without_cells(REPO / "workbooks" / template.filename, tmp_path / "rules.xlsx"))  # type: ignore[attr-defined]
    ws = book["Inputs"]
    for p in model.parameters:
        ((_sheet, ref),) = book.defined_names[p.name].destinations
        cell = ref.replace("$", "")
        (rule,) = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
        probes = [p.default]
        for bound in (p.lower, p.upper):
            if bound is not None:
                step = max(abs(bound) * 1e-6, 1e-9 if not p.integer else 1.0)
                probes += [bound, bound - step, bound + step]
        if p.integer:
            probes.append(p.default + 0.5)
        for value in probes:
            try:
                p.validate(value)
                allowed = True
            except ValueError:
                allowed = False
            assert _rule_accepts(rule, cell, value) == allowed, f"{p.name} ({cell}) = {value!r}: rule {rule.type}"


def _imports_of(path: object) -> set[str]:
    """Every pysie module a module imports, at module level or inside functions,
    with the packages Python runs on the way (``a.b.c`` runs ``a`` and ``a.b``,
    unless the importing module lives inside them: those are already running)."""
    import ast
    from pathlib import Path

    source = Path(str(path))
    tree = ast.parse(source.read_text(encoding="utf-8"))
    package = ".".join(source.relative_to(REPO).with_suffix("").parts)
    package = package.removesuffix(".__init__") if source.name == "__init__.py" else package.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    ancestors = {".".join(package.split(".")[: i + 1]) for i in range(len(package.split(".")))}
    out: set[str] = set()
    for name in names:
        if name == "pysie" or name.startswith("pysie."):
            parts = name.split(".")
            out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return out - ancestors


def test_the_package_has_no_import_cycles() -> None:
    """No pysie module imports, even inside a function, a module that imports it back."""
    files = {p for p in (REPO / "pysie").rglob("*.py")}
    modules = {}
    for path in files:
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph = {name: {m for m in _imports_of(path) if m in modules and m != name} for name, path in modules.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            assert cycle is None, " -> ".join(cycle)
