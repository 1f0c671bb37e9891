"""Stored random draws for the Monte Carlo sheets of a workbook.

A model's Monte Carlo sheet holds its uniforms as plain numbers (so the
workbook recomputes every sample from the same draws the solver used) and
its formulas turn them into samples. The draws are k / 10^15 with k from
``numpy.random.default_rng(seed).integers(1, 10**15)``: strictly inside
(0, 1), with at most 15 significant digits, so the decimal text a workbook
stores reads back as exactly the same double.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from pysie.spec import DataSource


@lru_cache(maxsize=16)
def uniforms(seed: int, samples: int, count: int) -> np.ndarray:
    """(samples, count) uniforms strictly inside (0, 1) (see the module docstring). Read-only."""
    draws = np.random.default_rng(int(seed)).integers(1, 10**15, size=(int(samples), int(count)))
    out = draws / 1e15
    out.setflags(write=False)
    return out


def uniform_column(j: int, count: int, reads: tuple[str, ...] = ("seed",)) -> DataSource:
    """Column ``j`` of ``count`` seeded uniforms, one per row (the seed is the ``seed`` parameter)."""

    def values(params: object, rows: int) -> np.ndarray:
        return uniforms(int(params["seed"]), rows, count)[:, j]  # type: ignore[index]

    return DataSource(values, reads)


def row_numbers(start: int = 1, reads: tuple[str, ...] = ()) -> DataSource:
    """``start, start + 1, ...``: one number per row (sample numbers, row indices)."""
    return DataSource(lambda _params, rows: np.arange(start, start + rows, dtype=float), reads)
