"""``pysie import``: bring an edited workbook back, and lose nothing of it.

:func:`import_workbook` reads a workbook pysie built (for any registered
model), and reports:

* which model and template version it holds (the ``pysie_*`` names on Docs);
* every input, read through its defined name (so moved rows still work) and
  validated; the inputs that differ from the template's values; the model
  solved with them, next to the results for the template's values;
* every formula cell whose text differs from what the declaration generates
  (normalised: case, ``$``, ``_xlfn.``, spacing, LibreOffice's spelling);
* every sheet or cell a person added (the file is only read, so nothing is
  dropped; ``pysie build --from`` lists what it does not carry over);
* a structural input (one that sets how many rows a table has) that no longer
  matches the rows on the sheet: such a change needs ``pysie build --from``;
  one that decides which columns exist (:meth:`pysie.spec.Model.shaped`) and
  no longer matches the sheets' columns is refused, naming its cell
  (:func:`pysie.excel.reader.require_built_shape`), as check refuses it;
* when formulas were edited, the workbook recalculated as it is (through
  :func:`pysie.recalc.recalculate`) and its key results next to the solver's.

A formula in an input cell is evaluated: its cached value when the file has
one (Excel and LibreOffice store one), else the value the recalculation engine
computes. Circular references are refused before any engine runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pysie import steps
from pysie.excel.cache import read_cached_values
from pysie.excel.cycles import Key, describe, find_cycle
from pysie.excel.layout import TABLE_HEADER_ROWS, Layout
from pysie.excel.plan import WorkbookPlan, plan_workbook, solve_workbook, stored_number
from pysie.excel.reader import (
    Metadata,
    ParsedBook,
    ParsedSheet,
    WorkbookError,
    defined_name_target,
    formula_text,
    normalise_formula,
    read_book,
    read_inputs,
    read_metadata,
    require_built_shape,
    require_model_sheets,
)
from pysie.excel.uncertainty_import import EditedDistribution, read_distributions
from pysie.models import get_model
from pysie.recalc import UnknownEngine, recalculate, require_engine
from pysie.recalc.libreoffice import EngineFailed, EngineUnavailable
from pysie.report import key_rows, report
from pysie.solver import Solution, solve
from pysie.spec import InputError, Model
from pysie.templates import Template, find_template

#: The errors of a step that :func:`import_workbook` reports with what it found before
#: (the command line's bad-input errors); anything else is a bug and is not caught.
FAILURES: tuple[type[BaseException], ...] = (InputError, WorkbookError, EngineUnavailable, EngineFailed, OSError)
_STOPPED_BY: tuple[type[BaseException], ...] = (*FAILURES, steps.TimedOut)


@dataclass(frozen=True)
class EditedFormula:
    """A formula cell whose text is not what the declaration generates."""

    sheet: str
    cell: str
    variable: str
    expected: str
    found: str

    def as_json(self) -> dict[str, str]:
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "variable": self.variable,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass(frozen=True)
class Added:
    """A sheet (``cell`` None) or a cell a person added."""

    sheet: str
    cell: str | None
    content: str

    def as_json(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "cell": self.cell, "content": self.content}


@dataclass
class ImportReport:
    book: Path
    model: str
    template: str
    template_version: int
    inputs: dict[str, float]
    defaults: dict[str, float]
    input_cells: dict[str, str]
    results: dict[str, Any]
    default_results: dict[str, Any]
    key_rows: list[tuple[str, Any, Any]]
    edited_formulas: list[EditedFormula] = field(default_factory=list)
    added: list[Added] = field(default_factory=list)
    structural: list[str] = field(default_factory=list)
    engine: str | None = None
    results_as_edited: dict[str, Any] | None = None
    edited_key_rows: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: numbers of the Uncertainty sheet's distributions that differ from the declaration
    edited_distributions: list[EditedDistribution] = field(default_factory=list)
    #: why a step failed after the changes above were found, and which step (None: every step ran)
    failure: str | None = None
    failed_step: str | None = None

    @property
    def changed_inputs(self) -> dict[str, list[float]]:
        return {
            k: [self.defaults[k], v]
            for k, v in self.inputs.items()
            if k in self.defaults and stored_number(self.defaults[k]) != v
        }

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "book": str(self.book),
            "model": self.model,
            "template": self.template,
            "template_version": self.template_version,
            "inputs": self.inputs,
            "changed_inputs": self.changed_inputs,
            "structural": self.structural,
            "edited_formulas": [e.as_json() for e in self.edited_formulas],
            "added": [a.as_json() for a in self.added],
            "results": self.results,
        }
        if self.edited_distributions:
            out["edited_distributions"] = [e.as_json() for e in self.edited_distributions]
        if self.results_as_edited is not None:
            out["results_as_edited"] = self.results_as_edited
            out["engine"] = self.engine
        if self.failure is not None:
            out["error"] = self.failure
            out["failed_step"] = self.failed_step
        return _json_safe(out)

    def summary(self, limit: int = 20) -> str:
        """The whole report: :meth:`summary_known`, then :meth:`summary_recalculated`
        and, when a step failed, the line saying which."""
        return "\n".join(part for part in (self.summary_known(limit), self.summary_rest()) if part)

    def summary_rest(self) -> str:
        """What follows :meth:`summary_known`: the recalculated results and the failure, if any."""
        return "\n".join(part for part in (self.summary_recalculated(), self.summary_failure()) if part)

    def summary_known(self, limit: int = 20) -> str:
        """What is known before any recalculation: inputs, structural changes,
        the solver's key results, edited formulas and added content."""
        lines = [f"{self.book}: model {self.model}, template {self.template} version {self.template_version}"]
        changed = self.changed_inputs
        if changed:
            lines.append(f"Changed inputs ({len(changed)}), template value -> workbook value:")
            lines += [
                f"  {name:<36} {_fmt(old)} -> {_fmt(new)}  ({self.input_cells[name]})"
                for name, (old, new) in changed.items()
            ]
        else:
            lines.append("Inputs: all as in the template")
        lines += [f"STRUCTURAL: {s}" for s in self.structural]
        if self.edited_distributions:
            count = len(self.edited_distributions)
            lines.append(f"Edited distributions ({count}; pysie mc {self.book.name} draws them):")
            lines += [f"  {e.describe()}" for e in self.edited_distributions]
        if self.key_rows:
            lines.append("")
            lines += _table("Key results", ("template", "workbook inputs"), self.key_rows)
        if self.edited_formulas:
            lines.append("")
            lines.append(f"Edited formulas ({len(self.edited_formulas)}), expected vs found:")
            for e in self.edited_formulas[:limit]:
                lines.append(f"  {e.sheet}!{e.cell} ({e.variable}): expected {e.expected}  found {e.found}")
            if len(self.edited_formulas) > limit:
                lines.append(f"  ... and {len(self.edited_formulas) - limit} more (--json lists all)")
        if self.added:
            lines.append("")
            lines.append(f"Added by hand ({len(self.added)}; kept in the workbook, not part of the model):")
            for a in self.added[:limit]:
                lines.append(f"  {a.sheet}" + (f"!{a.cell}" if a.cell else "") + f": {a.content}")
            if len(self.added) > limit:
                lines.append(f"  ... and {len(self.added) - limit} more (--json lists all)")
        return "\n".join(lines)

    def summary_recalculated(self) -> str:
        """The key results of the workbook as edited, next to the declared model's ('' when not recalculated)."""
        if not self.edited_key_rows:
            return ""
        title = f"Key results: declared model vs workbook as edited ({self.engine} engine)"
        return "\n".join(["", *_table(title, ("declared", "as edited"), self.edited_key_rows)])

    def summary_failure(self) -> str:
        """The step that failed and why ('' when none did)."""
        if self.failure is None:
            return ""
        return f"\nStopped while {self.failed_step}: {self.failure}\n(everything above was found before that step)"


class ImportFailed(InputError):
    """A step of the import failed after the workbook's changes were found:
    ``report`` holds them, with ``failure`` and ``failed_step`` set."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.failure)
        self.report = report


# --- the import ----------------------------------------------------------------------


def import_workbook(
    path: Path,
    engine: str = "compiled",
    *,
    recalc: bool = True,
    reference: bool = True,
    edited_results: bool = True,
    on_known: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Read an edited workbook and report inputs, results, edits and additions.

    ``recalc=False`` never runs an engine (edited formulas are still listed;
    an input formula without a cached value is then refused);
    ``edited_results=False`` lists edited formulas without recalculating them.
    ``reference=False``
    skips building the reference workbook that added cells are found with.
    ``on_known(report)`` is called with what is known before any
    recalculation of edited formulas starts (``pysie import`` prints it then).
    Raises :class:`~pysie.excel.reader.WorkbookError` or
    :class:`~pysie.spec.InputError` with a one-line reason for bad input read
    before the inputs are known; a failure after that (an engine refusing a
    formula, a missing LibreOffice, ``--timeout``) raises :class:`ImportFailed`
    holding the report of what was found, so it is never lost.
    """
    path = Path(path)
    if recalc:
        require_engine(engine)  # refused before any work, whether or not the book needs recalculating
    book = read_book(path)
    meta, model = _model_of(book, path)
    require_model_sheets(book, model, path)
    names = _single_cell_names(book)
    formulas_at = _formula_texts(book)
    evaluate = _InputEvaluator(path, book, engine, recalc, formulas_at, names)
    steps.begin("reading the inputs")
    inputs, cells = read_inputs(book, model, path, evaluate_formula=evaluate)
    require_built_shape(book, model, inputs, cells, path)
    _, edited_distributions = read_distributions(book, model, path)
    as_built, structural = sheet_structure(book, model, inputs, path)
    template = workbook_template(meta.model, meta.template, meta.template_version)
    if template.version != meta.template_version:
        structural.append(
            f"built from template {meta.template} version {meta.template_version}; the current template is version "
            f"{template.version}: rebuild with pysie build {model.name} --from {path.name} -o DIR"
        )
    defaults = _defaults(template, model)
    imported = ImportReport(
        book=path,
        model=model.name,
        template=meta.template,
        template_version=meta.template_version,
        inputs={p.name: (int(inputs[p.name]) if p.integer else inputs[p.name]) for p in model.parameters},
        defaults=defaults,
        input_cells={n: f"{c.sheet}!{c.cell}" for n, c in cells.items()},
        results={},
        default_results={},
        key_rows=[],
        structural=structural,
        edited_distributions=edited_distributions,
    )
    doing = "solving the model"
    try:
        steps.begin(doing)
        solutions = _Solutions(model)
        solved = solve_workbook(model, as_built, snapshot_numbers=False)
        solutions.remember(as_built, solved.solution)
        plan = plan_workbook(model, solved, template=meta.template, template_version=meta.template_version)
        imported.results = report(solutions.of(inputs))
        imported.default_results = report(solutions.of(defaults))
        imported.key_rows = _pair_rows(model, imported.default_results, imported.results)
        doing = "comparing the formulas with the model's"
        steps.begin(doing)
        located = _located(book, plan.layout, names)
        imported.edited_formulas = edited_formulas(book, plan, located, formulas_at)
        if reference:
            doing = "looking for added sheets and cells"
            steps.begin(doing)
            generated = set(located.values()) | {(c.sheet, c.cell) for c in cells.values()}
            imported.added = added_content(book, plan, generated)
        if on_known is not None:
            on_known(imported)
        if imported.edited_formulas and recalc and edited_results:
            doing = f"recalculating the edited workbook ({engine} engine)"
            edited_keys = [(e.sheet.upper(), e.cell) for e in imported.edited_formulas]
            _refuse_cycle(path, edited_keys, formulas_at, names, book.sheetnames)
            values = evaluate.recalculated()
            doing = "reading the edited workbook's key results"
            steps.begin(doing)
            declared = report(solved.solution)
            as_edited = report(solution_from_cells(model, plan.layout, located, values, as_built))
            imported.engine = engine
            imported.results_as_edited = as_edited
            imported.edited_key_rows = _pair_rows(model, declared, as_edited)
    except _STOPPED_BY as exc:
        imported.failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        imported.failed_step = doing
        raise ImportFailed(imported) from exc
    return imported


def import_inputs(path: Path, engine: str = "compiled") -> tuple[Metadata, Model, dict[str, float]]:
    """(metadata, model, validated inputs) of a pysie workbook, read as
    :func:`import_workbook` reads them but whichever of the model's sheets are
    missing (what ``build --from`` carries over from such a book)."""
    path = Path(path)
    require_engine(engine)
    book = read_book(path)
    meta, model = _model_of(book, path)
    evaluate = _InputEvaluator(path, book, engine, True, _formula_texts(book), _single_cell_names(book))
    inputs, _ = read_inputs(book, model, path, evaluate_formula=evaluate)
    return meta, model, inputs


def _model_of(book: ParsedBook, path: Path) -> tuple[Metadata, Model]:
    """The metadata and (registered) model of a parsed pysie workbook."""
    meta = read_metadata(book, path)
    try:
        return meta, get_model(meta.model)
    except InputError as exc:
        raise InputError(f"{path}: Docs pysie_model: {exc}") from None


class _Solutions:
    """Solutions by input values, so identical inputs are solved once."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.known: list[tuple[dict[str, float], Solution]] = []

    def remember(self, values: Mapping[str, float], solution: Solution) -> None:
        self.known.append((dict(values), solution))

    def of(self, values: Mapping[str, float]) -> Solution:
        for known, solution in self.known:
            if all(known[p.name] == values[p.name] for p in self.model.parameters):
                return solution
        solution = solve(self.model, values)
        self.remember(values, solution)
        return solution


def sheet_structure(
    book: Any, model: Model, inputs: Mapping[str, float], path: Path
) -> tuple[dict[str, float], list[str]]:
    """The inputs with each structural value the sheets were built with (read
    from the rows of formulas on each table sheet), and a message for every
    structural input that no longer matches its sheet."""
    as_built = dict(inputs)
    mismatched: dict[str, list[str]] = {}
    for table in model.tables:  # every table sheet is there (require_model_sheets)
        rows = _formula_rows(book[table.sheet])
        step = float(inputs[table.step_from]) if table.step_from else 1.0
        if rows and table.rows(inputs) != rows and isinstance(table.rows_from, str):
            as_built[table.rows_from] = (rows - 1) * step
            mismatched.setdefault(table.rows_from, []).append(
                f"{table.sheet!r} has {rows} rows (up to {_fmt((rows - 1) * step)})"
            )
    messages = [
        f"{name} is {_fmt(inputs[name])} but sheet {', '.join(sheets)}; the workbook's formulas still use those rows: "
        f"rebuild with pysie build {model.name} --from {path.name} -o DIR"
        for name, sheets in mismatched.items()
    ]
    return as_built, messages


def _formula_rows(ws: Any) -> int:
    """How many consecutive rows of a table sheet hold formulas in column A."""
    rows = 0
    for (value,) in ws.iter_rows(min_row=TABLE_HEADER_ROWS + 1, max_col=1, values_only=True):
        if formula_text(value) is None:
            break
        rows += 1
    return rows


def _located(book: Any, layout: Layout, names: Mapping[str, Key]) -> dict[tuple[str, str], tuple[str, str]]:
    """Layout address -> where the cell is now, for the results a person may have
    moved (their defined name says where they went); every other cell is in place,
    so look cells up with ``located.get(address, address)``."""
    sheets = {s.upper(): s for s in book.sheetnames}
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for scalar in layout.model.scalars:
        if scalar.name.lower() in names:
            sheet_upper, cell = names[scalar.name.lower()]
            address = layout.named[scalar.name]
            out[address] = (sheets.get(sheet_upper, address[0]), cell)
    return out


def edited_formulas(
    book: ParsedBook,
    plan: WorkbookPlan,
    located: Mapping[tuple[str, str], tuple[str, str]],
    formulas_at: Mapping[Key, str],
) -> list[EditedFormula]:
    """Every formula cell of ``plan`` whose text differs from the declaration's
    (``formulas_at``: the book's formulas, :func:`_formula_texts`)."""
    out: list[EditedFormula] = []
    for planned in plan.formula_cells():
        fc = planned.computes
        assert fc is not None
        expected = str(planned.content)
        sheet, cell = located.get((fc.sheet, fc.cell), (fc.sheet, fc.cell))  # cells outside the layout stay put
        found = formulas_at.get((sheet.upper(), cell.replace("$", "")))
        if found is None:
            ws = book[sheet] if sheet in book.sheetnames else None
            value = ws[cell].value if isinstance(ws, ParsedSheet) else None
            shown = "(empty)" if value is None else f"the value {value!r}"
            out.append(EditedFormula(sheet, cell, fc.variable, expected, shown))
        elif found != expected and normalise_formula(found) != normalise_formula(expected):
            out.append(EditedFormula(sheet, cell, fc.variable, expected, found))
    return out


def added_content(book: ParsedBook, plan: WorkbookPlan, generated: set[tuple[str, str]]) -> list[Added]:
    """Sheets and non-empty cells of ``book`` that are not in the workbook
    ``plan``; ``generated`` are cells known to be the model's wherever they now
    sit (named inputs and results found through their defined names)."""
    owned = {key for key, planned in plan.owned().items() if planned.content not in ("", None)}
    planned_sheets = set(plan.sheet_names())
    added: list[Added] = []
    for name in book.sheetnames:
        ws = book[name]
        if name not in planned_sheets:
            if isinstance(ws, ParsedSheet):
                count = sum(1 for _ in ws.stored())
                added.append(Added(name, None, f"a sheet with {count} non-empty cells"))
            else:
                added.append(Added(name, None, "a chart sheet"))
            continue
        if not isinstance(ws, ParsedSheet):
            continue
        for cell, value in ws.stored():
            key = (name, cell)
            if key not in owned and key not in generated:
                added.append(Added(name, cell, _content(value)))
    return added


def solution_from_cells(
    model: Model,
    layout: Layout,
    located: Mapping[tuple[str, str], tuple[str, str]],
    values: Mapping[tuple[str, str], Any],
    inputs: Mapping[str, float],
) -> Solution:
    """A :class:`Solution` holding a recalculated workbook's values (errors as
    NaN), so :func:`pysie.report.report` turns it into key results."""
    named: dict[str, np.ndarray] = {p.name: np.array([float(inputs[p.name])]) for p in model.parameters}
    tables: dict[str, dict[str, np.ndarray]] = {}
    for fc in layout.formula_cells():
        v = _number(values.get(located.get((fc.sheet, fc.cell), (fc.sheet, fc.cell))))
        if fc.table is None:
            named[fc.variable] = np.array([v])
        else:
            column = tables.setdefault(fc.table, {}).setdefault(
                fc.variable, np.full((layout.table_rows[fc.table], 1), np.nan)
            )
            column[fc.row, 0] = v
    return Solution(model, named, tables, 1)


# --- helpers -------------------------------------------------------------------------


class _InputEvaluator:
    """Values of formulas in input cells: the cached value, else the engine's."""

    def __init__(
        self,
        path: Path,
        book: ParsedBook,
        engine: str,
        recalc: bool,
        formulas_at: Mapping[Key, str],
        names: Mapping[str, Key],
    ) -> None:
        self.path, self.book, self.engine, self.recalc, self.sheetnames = path, book, engine, recalc, book.sheetnames
        self.formulas_at, self.names = formulas_at, names
        self._cached: Any = None
        self._computed: Mapping[tuple[str, str], Any] | None = None

    def __call__(self, sheet: str, cell: str) -> Any:
        _refuse_cycle(self.path, [(sheet.upper(), cell)], self.formulas_at, self.names, self.sheetnames)
        if self._cached is None:
            self._cached = read_cached_values(self.path)
        if (sheet, cell) not in self._cached:  # text that merely starts with "=", not a formula
            return self.book[sheet][cell].value  # type: ignore[index]
        value = self._cached.get((sheet, cell))
        if value is not None:
            return value
        if not self.recalc:
            raise InputError(
                f"{self.path.name} {sheet}!{cell}: the input formula has no saved value; open and save the "
                "workbook, or import with recalculation"
            )
        return self.recalculated().get((sheet, cell))

    def recalculated(self) -> Mapping[tuple[str, str], Any]:
        """Every formula cell's value, recalculated once by the engine from the parsed book."""
        if self._computed is None:
            self._computed = _recalculate(self.path, self.engine, self.book)
        return self._computed


def _recalculate(path: Path, engine: str, book: ParsedBook) -> Mapping[tuple[str, str], Any]:
    try:
        return recalculate(path, engine, book)
    except (InputError, UnknownEngine, OSError):
        raise
    except Exception as exc:  # an engine failing on a person's formula
        name = type(exc).__name__
        if name in {"EngineUnavailable", "EngineFailed", "WorkbookError"}:
            raise
        raise InputError(
            f"{path}: the {engine} engine cannot recalculate it ({name}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None


def _refuse_cycle(
    path: Path, seeds: list[Key], formulas_at: Mapping[Key, str], names: Mapping[str, Key], sheetnames: list[str]
) -> None:
    cycle = find_cycle(seeds, formulas_at, names)
    if cycle:
        proper = {s.upper(): s for s in sheetnames}
        text = describe([(proper.get(s, s), c) for s, c in cycle])
        raise InputError(f"{path}: circular reference {text}; break the loop and import again")


def _formula_texts(book: ParsedBook) -> dict[Key, str]:
    """Every formula of ``book``: (sheet in upper case, cell) -> its text."""
    out: dict[Key, str] = {}
    for ws in book.worksheets:
        sheet = ws.title.upper()
        for cell, value in ws.stored():
            text = formula_text(value)
            if text is not None:
                out[(sheet, cell)] = text
    return out


def _single_cell_names(book: Any) -> dict[str, Key]:
    out: dict[str, Key] = {}
    for name in book.defined_names:
        target = defined_name_target(book, name)
        if target is not None:
            out[name.lower()] = (target[0].upper(), target[1])
    return out


def workbook_template(model: str, name: str, version: int) -> Template:
    """The template a workbook names, if it is known and holds ``model``; else
    a template of the model's defaults under that name."""
    try:
        found = find_template(name)
    except InputError:
        found = None
    if found is not None and found.model == model:
        return found
    return Template(name=name, model=model, version=version)


def _defaults(template: Template, model: Model) -> dict[str, float]:
    try:
        return template.values()
    except InputError:
        return model.defaults()


def _pair_rows(model: Model, left: dict[str, Any], right: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    rows = zip(key_rows(model, left), key_rows(model, right), strict=False)
    return [(label, a, b) for (label, a), (_, b) in rows]


def _table(title: str, heads: tuple[str, str], rows: list[tuple[str, Any, Any]]) -> list[str]:
    width = max([len(label) for label, _, _ in rows] + [10])
    lines = [title, "-" * len(title), f"{'':<{width}}  {heads[0]:>14}  {heads[1]:>16}  change"]
    for label, a, b in rows:
        lines.append(f"{label:<{width}}  {_fmt(a):>14}  {_fmt(b):>16}  {_change(a, b)}")
    return lines


def _change(a: Any, b: Any) -> str:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (a, b))
    if a == b or (numbers and math.isclose(a, b, rel_tol=1e-9)):
        return "="
    if numbers:
        diff = b - a
        rel = f" ({diff / a:+.1%})" if a else ""
        return f"{diff:+.4g}{rel}"
    return "changed"


def _fmt(value: Any) -> str:
    if value is None:
        return "never/n.a."
    if isinstance(value, float):
        return "n.a." if math.isnan(value) else f"{value:.6g}"
    return str(value)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if value is None:
        return 0.0  # Excel reads an empty result as 0
    if isinstance(value, (int, float)):
        return float(value)
    return math.nan  # error codes and text


def _content(value: Any) -> str:
    text = formula_text(value)
    return text if text is not None else repr(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
