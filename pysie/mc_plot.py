"""``pysie mc --plot``: the distribution of each output as a CDF (matplotlib).

One panel per output: the share of samples at or below each value, so a curve
that ends below 1 shows the samples that never reach the output (their share
is in the panel's title). A 0/1 indicator is a two-step curve whose jump is
its probability. Dates are plotted as years.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pysie.fileio import atomic_output
from pysie.montecarlo import Result

#: Excel date serial of 2000-01-01 and days per year, to plot dates as years.
_SERIAL_2000, _DAYS_PER_YEAR = 36526.0, 365.25


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
        x = np.asarray(result.outputs[name], dtype=float)
        reached = np.sort(x[np.isfinite(x)])
        unit = d.unit(name)
        if d.is_date(name):
            reached = 2000 + (reached - _SERIAL_2000) / _DAYS_PER_YEAR
            unit = "year"
        never = 1 - reached.size / max(x.size, 1)
        if reached.size:
            share = np.arange(1, reached.size + 1) / x.size
            ax.step(reached, share, where="post")
            if reached.size and reached[-1] > 0 and reached[0] > 0 and reached[-1] / reached[0] > 1e3:
                ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_title(f"{name}" + (f" (never: {never:.0%})" if never else ""), fontsize=9)
        ax.set_xlabel(unit or "value", fontsize=8)
        ax.set_ylabel("share of samples at or below", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(f"{d.model.name}: {d.samples:,} samples, seed {d.seed}", fontsize=11)
    fig.tight_layout()
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
