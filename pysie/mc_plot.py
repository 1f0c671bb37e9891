"""``pysie mc --plot``: the distribution of each output as a CDF (matplotlib).

One panel per output: the share of samples at or below each value, so a curve
that ends below 1 shows the samples that never reach the output (their share
is in the panel's title); the x axis runs from the 1st to the 99th percentile.
A 0/1 indicator is a bar of its probability. Dates are plotted as years.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from pysie.fileio import atomic_output
from pysie.montecarlo import Result

#: Excel date serial of 2000-01-01 and days per year, to plot dates as years.
_SERIAL_2000, _DAYS_PER_YEAR = 36526.0, 365.25
_LAST_YEAR = 10000.0


def _panel(ax: Any, result: Result, name: str) -> None:
    from matplotlib.ticker import MaxNLocator

    """One output: a bar of P(1) for a 0/1 indicator, else the CDF with its
    x axis from the 1st to the 99th percentile of the reached values (log
    scale when they span more than three orders of magnitude)."""
    d = result.design
    x = np.asarray(result.outputs[name], dtype=float)
    reached = np.sort(x[np.isfinite(x)])
    never = 1 - reached.size / max(x.size, 1)
    unit = d.unit(name)
    title = name + (f" (never: {never:.0%})" if never else "")
    if reached.size and np.isin(reached, (0.0, 1.0)).all():
        share = float((x == 1).mean())
        ax.barh([0], [share], height=0.5)
        ax.set_xlim(0, 1)
        ax.set_yticks([])
        ax.text(min(share + 0.02, 0.8), 0, f"P = {share:.1%}", va="center", fontsize=9)
        ax.set_xlabel("share of samples where it holds", fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
        return
    if d.is_date(name):
        reached = 2000 + (reached - _SERIAL_2000) / _DAYS_PER_YEAR
        unit = "year"
    if reached.size:
        ax.step(reached, np.arange(1, reached.size + 1) / x.size, where="post")
        lo, hi = np.quantile(reached, [0.01, 0.99])
        if d.is_date(name) and hi > _LAST_YEAR:  # dates past 9999-12-31 are "after 9999-12-31"
            hi, title = _LAST_YEAR, title + ", axis to 9999"
        elif hi < reached[-1]:
            title += ", axis to p99"
        if hi > lo:
            ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        if lo > 0 and hi / lo > 1e3 and not d.is_date(name):
            ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(unit or "value", fontsize=8)
    ax.set_ylabel("share of samples at or below", fontsize=8)
    ax.grid(alpha=0.3)


def plot_cdfs(result: Result, path: Path, *, overwrite: bool = False) -> None:
    """Write the CDF panels of ``result`` to ``path`` (PNG), atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.design
    names = d.outputs
    columns = min(3, len(names))
    rows = math.ceil(len(names) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        _panel(ax, result, name)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(f"{d.model.name}: {d.samples:,} samples, seed {d.seed}", fontsize=11)
    fig.tight_layout()
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
