"""Where chunks of scenarios are solved: in this process, or on a Dask cluster.

``--scheduler`` of ``pysie mc`` and ``pysie sensitivity``:

- ``local`` (the default): one chunk after another in this process.
- ``dask``: a Dask ``LocalCluster`` on this machine (one single-threaded
  worker process per core), started for the run and closed after it.
- ``tcp://HOST:PORT``: an existing Dask scheduler (``dask scheduler`` and
  ``dask worker tcp://HOST:PORT`` on the machines); its workers need pysie
  installed at the same version.

Each chunk is a pure function of (design, start, stop) (:func:`pysie.montecarlo.solve_chunk`:
sample i's draws come from its own random block, whatever chunk holds it), so
the results are the same on every scheduler; they are gathered in chunk order.
Dask pays off past one machine: one core solves about 3,000 to 50,000 samples a
second depending on the model (README), and a LocalCluster costs a few seconds
to start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pysie.spec import InputError

SCHEDULERS = ("local", "dask", "tcp://HOST:PORT")
#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT = 10

ChunkMap = Callable[[Callable[[int, int], Any], Sequence[tuple[int, int]]], Iterator[Any]]


def check_scheduler(text: str) -> str:
    """``text`` if it names a scheduler, else :class:`InputError` listing them."""
    if text in ("local", "dask") or (text.startswith("tcp://") and ":" in text.removeprefix("tcp://")):
        return text
    raise InputError(f"scheduler: {text!r} is not one of {', '.join(SCHEDULERS)}")


@contextlib.contextmanager
def chunk_map(scheduler: str = "local") -> Iterator[ChunkMap | None]:
    """A map of ``function(start, stop)`` over chunk ranges for ``scheduler``
    (None: in-process), open for the block."""
    check_scheduler(scheduler)
    if scheduler == "local":
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("scheduler: Dask is not installed (pip install 'pysie[dask]')") from None
    with contextlib.ExitStack() as stack:
        if scheduler == "dask":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=40,
                    env={"NUMBA_NUM_THREADS": "1"},  # one worker a core: its compiled loop on one thread
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(scheduler, timeout=CONNECT_TIMEOUT))
            except OSError as exc:
                raise InputError(f"scheduler: no Dask scheduler answered at {scheduler} ({exc})") from None

        def mapped(function: Callable[[int, int], Any], ranges: Sequence[tuple[int, int]]) -> Iterator[Any]:
            futures = client.map(function, [r[0] for r in ranges], [r[1] for r in ranges], pure=False)
            for future in futures:
                yield future.result()

        yield mapped
