"""``pysie sensitivity --plot``: the tornado or the Sobol' indices as bars (matplotlib).

One at a time: a horizontal bar per parameter, largest swing at the top,
drawn from the output at every median (the vertical line) to the output with
the parameter at its p10 and at its p90 (two colours), so a bar's length is
the swing and its side the sign of the effect; an end never reached has no
bar. Sobol': a pair of bars per parameter, first-order S1 and total ST, with
their 95% bootstrap intervals as error bars.
"""

from __future__ import annotations

import math
from pathlib import Path

from pysie.fileio import atomic_output
from pysie.sensitivity import OAT, Sobol


def plot_sensitivity(result: OAT | Sobol, path: Path, *, overwrite: bool = False) -> None:
    """Write the bars of ``result`` to ``path`` (PNG), atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.design
    k = len(d.dists)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.45 * k))
    unit = d.unit(result.output)
    if isinstance(result, OAT):
        names = [s.parameter for s in result.swings][::-1]
        labelled: set[str] = set()
        for row, s in enumerate(result.swings[::-1]):
            for end, value, colour in (("p10", s.low, "tab:blue"), ("p90", s.high, "tab:orange")):
                if math.isfinite(value) and math.isfinite(result.base):
                    label = None if end in labelled else end
                    labelled.add(end)
                    ax.barh(row, value - result.base, left=result.base, color=colour, label=label)
        ax.axvline(result.base, color="black", linewidth=0.8)
        ax.set_xlabel(f"{result.output}" + (f" [{unit}]" if unit else ""), fontsize=9)
        ax.set_title(f"{d.model.name}: one at a time (others at their medians)", fontsize=10)
    else:
        names = result.ranked()[::-1]
        rows = range(len(names))
        ax.barh(
            [r + 0.2 for r in rows],
            [result.S1[n] for n in names],
            0.4,
            xerr=[result.S1_conf[n] for n in names],
            label="S1 (first order)",
            color="tab:blue",
        )
        ax.barh(
            [r - 0.2 for r in rows],
            [result.ST[n] for n in names],
            0.4,
            xerr=[result.ST_conf[n] for n in names],
            label="ST (total)",
            color="tab:orange",
        )
        ax.set_xlabel("share of the output's variance", fontsize=9)
        ax.set_title(
            f"{d.model.name}: Sobol' indices of {result.output} ({d.samples:,} base samples, seed {d.seed})",
            fontsize=10,
        )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
