"""Load the public reference code of a model from a checkout, to run it beside pysie.

Nothing of the reference code is in this repository: a checkout of it is read
from a directory given on the command line or in an environment variable
(docs/reference-code.md says how to make one), and imported with its user
interface stubbed (Streamlit, matplotlib, plotly, YAML and tqdm become empty modules
for the duration of the import, so nothing is drawn and nothing else needs
installing). Used by ``tests/test_reference_code.py`` and
``benchmarks/bench_reference.py``.

Two references:

- the software-intelligence-explosion simulator of Tom Davidson and Tom Houlden
  ("How quick and big would a software intelligence explosion be?", Forethought,
  August 2025; GitHub ``thoulden/Accelerated_AI_Progress``): its Monte Carlo is
  ``multiple_sims.run_simulations``, one run ``dynamic_system_with_lambda``, the
  indicators ``calculate_summary_statistics_binary``;
- the AI 2027 takeoff forecast's simulation (AI Futures Project, April 2025;
  GitHub ``uvafan/timelines-takeoff-ai-2027``): draws in
  ``takeoff/forecasting_takeoff.get_milestone_samples``, one sample stepped day
  by day in ``run_single_simulation_with_tracking``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Environment variables naming the checkouts.
SIE_ENV = "PYSIE_REFERENCE_DIR"
AI2027_ENV = "PYSIE_AI2027_DIR"
#: The commits the figures of docs/reference-code.md were measured at.
SIE_COMMIT = "a7b1a79d7965aa6b439ecd45c1488d166acb3f96"
AI2027_COMMIT = "1356db7e4082c9f0e657580346c31a80fa3b12c6"
SIE_FILE = "multiple_sims.py"
AI2027_FILE = "takeoff/forecasting_takeoff.py"

#: The paper's Monte Carlo distributions (Davidson and Houlden 2025), in the order the
#: reference draws them: (pysie parameter, kind, low, high).
SIE_DRAWS = (
    ("initial_speedup", "log-uniform", 2.0, 32.0),
    ("research_returns", "log-uniform", 0.4, 3.6),
    ("limit_years", "uniform", 6.0, 16.0),
    ("parallel_returns", "log-uniform", 0.15, 0.6),
)
#: (window months, speed-up) of the four indicators, as the reference names them, and pysie's outputs.
SIE_CONDITIONS = ((12, 3), (4, 10), (12, 10), (4, 30))
SIE_HITS = ("hit_3y_in_1y", "hit_3y_in_4m", "hit_10y_in_1y", "hit_10y_in_4m")
SOFTWARE_SHARE = 0.5


class _Anything:
    """Stands for any object of a stubbed interface: every attribute and call gives another one."""

    def __getattr__(self, name: str) -> _Anything:
        return _Anything()

    def __call__(self, *args: Any, **kwargs: Any) -> _Anything:
        return _Anything()

    def __iter__(self) -> Iterator[Any]:
        return iter(())


def _stub(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__getattr__ = lambda attr: _Anything()  # type: ignore[method-assign]
    module.__path__ = []  # a package, so that "import matplotlib.pyplot" finds its submodule
    return module


STUBBED = ("streamlit", "matplotlib", "matplotlib.pyplot", "matplotlib.font_manager", "plotly", "yaml", "tqdm")


@contextlib.contextmanager
def stubbed_modules(names: Sequence[str] = STUBBED) -> Iterator[None]:
    """Replace ``names`` in ``sys.modules`` by empty modules, and put back what was there."""
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update({name: _stub(name) for name in names})
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def directory(given: str | os.PathLike[str] | None, env: str, required_file: str) -> Path | None:
    """The checkout named by ``given`` or else by environment variable ``env``
    (None when neither is set); ValueError when it lacks ``required_file``."""
    value = given if given is not None else os.environ.get(env)
    if not value:
        return None
    root = Path(value).expanduser()
    if not (root / required_file).is_file():
        raise ValueError(f"{root} has no {required_file}: not a checkout of the reference code")
    return root


def load(root: Path, relative: str, name: str) -> types.ModuleType:
    """Import ``root/relative`` as module ``name`` with its interface modules stubbed."""
    path = root / relative
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    with stubbed_modules():
        spec.loader.exec_module(module)
    return module


def load_sie(root: Path) -> types.ModuleType:
    """The reference's Monte Carlo module (multiple_sims.py)."""
    return load(root, SIE_FILE, "reference_multiple_sims")


def load_ai2027(root: Path) -> types.ModuleType:
    """The AI 2027 takeoff simulation module (takeoff/forecasting_takeoff.py)."""
    return load(root, AI2027_FILE, "reference_forecasting_takeoff")


# --- the software-explosion Monte Carlo fed given draws ---------------------------------------


def sie_raw_draws(n: int, seed: int) -> list[np.ndarray]:
    """What the reference's four ``np.random.uniform`` calls return, drawn from
    ``numpy.random.default_rng(seed)`` instead: ln f, ln r, L, ln lambda."""
    rng = np.random.default_rng(seed)
    return [
        rng.uniform(np.log(low), np.log(high), n) if kind == "log-uniform" else rng.uniform(low, high, n)
        for _, kind, low, high in SIE_DRAWS
    ]


def sie_parameters(raw: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """pysie's parameter arrays from the raw draws: exp of the log-uniform ones, as the reference does."""
    return {
        name: np.exp(values) if kind == "log-uniform" else values
        for (name, kind, _, _), values in zip(SIE_DRAWS, raw, strict=True)
    }


@contextlib.contextmanager
def replayed_uniforms(raw: Sequence[np.ndarray]) -> Iterator[None]:
    """Make ``np.random.uniform`` return ``raw`` call by call, checking each call
    asks for the range the draw was made from (so a reordered reference fails loudly)."""
    queue = list(zip(SIE_DRAWS, raw, strict=True))
    original = np.random.uniform

    def uniform(low: float, high: float, size: int) -> np.ndarray:
        (name, kind, lo, hi), values = queue.pop(0)
        expected = (np.log(lo), np.log(hi)) if kind == "log-uniform" else (lo, hi)
        if (low, high) != expected or size != len(values):
            raise AssertionError(f"reference drew {name} from ({low}, {high}, {size}), expected {expected}")
        return values

    np.random.uniform = uniform  # type: ignore[assignment]
    try:
        yield
    finally:
        np.random.uniform = original


def sie_monte_carlo(
    module: types.ModuleType,
    n: int,
    retraining: bool,
    gradual_boost: bool = False,
    constant_returns: bool = False,
    raw: Sequence[np.ndarray] | None = None,
) -> tuple[dict[tuple[int, int], float], list[list[float]], list[list[float]]]:
    """The reference's ``run_simulations`` with the paper's bounds: probabilities per
    condition, each run's times and sizes. ``raw`` replays given draws; without it the
    reference draws from numpy's global generator, as it does in its interface."""
    args = (n, list(SIE_CONDITIONS), 0.4, 3.6, 6.0, 16.0, 0.15, 0.6, 2.0, 32.0, SOFTWARE_SHARE)
    with contextlib.ExitStack() as stack:
        stack.enter_context(np.errstate(over="ignore"))  # its last doubling near the ceiling may be inf
        if raw is not None:
            stack.enter_context(replayed_uniforms(raw))
        probabilities, times, sizes, _ = module.run_simulations(*args, retraining, gradual_boost, constant_returns)
    return probabilities, times, sizes


def sie_run_results(module: types.ModuleType, times: Sequence[float], sizes: Sequence[float]) -> dict[str, float]:
    """One reference run in pysie's output names: steps, months_simulated,
    years_of_progress (log2 S / (4/s)) and the four indicators (1 or 0)."""
    hits = module.calculate_summary_statistics_binary(list(times), list(SIE_CONDITIONS), SOFTWARE_SHARE)
    out = {
        "steps": float(len(times) - 1),
        "months_simulated": float(times[-1]),
        "years_of_progress": float(np.log2(sizes[-1]) / (4 / SOFTWARE_SHARE)),
    }
    out.update({name: float(hits[c] == "yes") for name, c in zip(SIE_HITS, SIE_CONDITIONS, strict=True)})
    return out


# --- the AI 2027 takeoff simulation ------------------------------------------------------------

#: The takeoff forecast's settings (its takeoff/params.yaml at the commit above): SC on
#: 2027-03-31; SC->SAR 0 with probability 0.15, else lognormal with 80% interval [1.5, 10]
#: years (the other gaps are computed); multipliers SC 5, SAR 25, SIAR 250, ASI 2000.
AI2027_CONFIG: dict[str, Any] = {
    "starting_time": "March 31 2027",
    "times": {
        "SC to SAR": [0.15, 1.5, 10],
        "SAR to SIAR": [0, 2, 250],
        "SIAR to ASI": [0, 3, 500],
        "ASI to WS": [0, 4, 1000],
    },
    "speedups": {"SC": 5, "SAR": 25, "SIAR": 250, "ASI": 2000, "WS": 10000},
}


def ai2027_monte_carlo(module: types.ModuleType, n: int, seed: int) -> list[list[float]]:
    """The takeoff simulation's loop (``run_takeoff_simulation`` without its plots):
    draw ``n`` samples from numpy's global generator seeded with ``seed``, step each
    day by day; each sample's calendar days per phase (SC->SAR, SAR->SIAR, SIAR->ASI)."""
    np.random.seed(seed)
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # it prints percentiles of its draws
        samples = module.get_milestone_samples(AI2027_CONFIG, n)
    step: Callable[[dict[str, Any], int], tuple[Any, list[float]]] = module.run_single_simulation_with_tracking
    return [step(samples, i)[1] for i in range(n)]
