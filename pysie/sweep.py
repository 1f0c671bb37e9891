"""``pysie sweep``: evaluate a workbook for many input sets and tabulate them.

The workbook is compiled once (:mod:`pysie.recalc.compiled`) and evaluated for
every input set at once. Inputs are defined names; the grid is the product of
``NAME=LO:HI:COUNT`` ranges, or ``samples`` uniform random draws within them.
The output has one row per scenario: the inputs, then every defined name on
a formula cell (the Summary and Theory results); errors are empty.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pysie.fileio import atomic_output
from pysie.spec import InputError

Span = tuple[float, float, int]


def parse_span(text: str) -> Span:
    """``LO:HI:COUNT`` (or a single value) as (lo, hi, count)."""
    parts = text.split(":")
    try:
        if len(parts) == 1:
            value = float(parts[0])
            return value, value, 1
        lo, hi, count = float(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        raise InputError(f"expected LO:HI:COUNT, got {text!r}") from None
    if count < 1:
        raise InputError(f"COUNT must be at least 1 in {text!r}")
    return lo, hi, count


def scenarios(spans: Mapping[str, Span], samples: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Input arrays over scenarios: the grid over every span, or random draws."""
    if samples is not None:
        rng = np.random.default_rng(seed)
        return {name: rng.uniform(lo, hi, samples) for name, (lo, hi, _) in spans.items()}
    axes = [np.linspace(lo, hi, count) for lo, hi, count in spans.values()]
    grid = list(zip(*itertools.product(*axes))) if axes else []
    return {name: np.asarray(values, dtype=float) for name, values in zip(spans, grid)}


def sweep(
    book: Path,
    spans: Mapping[str, Span],
    samples: int | None = None,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(inputs, outputs) arrays over scenarios for ``book``."""
    from pysie.recalc.compiled import compile_workbook

    compiled = compile_workbook(Path(book))
    unknown = [name for name in spans if name.lower() not in compiled.cells.names]
    if unknown:
        raise InputError(f"{book}: no input named {', '.join(unknown)}")
    inputs = scenarios(spans, samples, seed)
    try:
        results = compiled.evaluate(inputs, outputs)
    except (KeyError, ValueError) as exc:
        raise InputError(str(exc).strip("'\"")) from None
    return inputs, {str(k): v for k, v in results.items()}


def write_csv(
    path: Path, inputs: Mapping[str, np.ndarray], outputs: Mapping[str, np.ndarray], *, overwrite: bool = False
) -> int:
    """Write one row per scenario, atomically; returns the number of rows."""
    columns = {**inputs, **outputs}
    n = len(next(iter(columns.values()))) if columns else 0
    with atomic_output(Path(path), overwrite=overwrite) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["scenario", *columns])
        for i in range(n):
            writer.writerow([i, *("" if not math.isfinite(v[i]) else repr(float(v[i])) for v in columns.values())])
    return n
