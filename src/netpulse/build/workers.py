"""The build's per-network Python work, on several processes when there is enough of it.

The Python models (graph measures, stage classifier, warning signs) compute each network on its
own, so their input can be cut into parts of whole networks and the parts computed in parallel.
Worker processes come from a ``forkserver``: never a fork of the build's process, which holds a
DuckDB connection (and its threads and locks). The server imports the model code once; each
worker is forked from it, so starting two or more costs about a second, once per build.

That second is worth it only for large inputs: each model says when its input is large enough
(``parallel``); below that the work runs in the build's own process, so tests, the demo and an
incremental build of a few networks never start a process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver

from netpulse.progress import Progress

log = logging.getLogger(__name__)

PARTS_PER_WORKER = 4  # smaller parts even out networks of different sizes
PRELOAD = ["netpulse.measures.graph", "netpulse.measures.stages", "netpulse.measures.warning_signs",
           "netpulse.build.python_runtime"]
# Each worker is one process doing one thing: BLAS threads of its own would only compete for the
# same cores (measured: two workers with two BLAS threads each were 50% slower than with one).
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Workers:
    """A lazily started pool of ``count`` processes; use as a context manager around a build."""

    def __init__(self, count: int):
        self.count = max(1, int(count))
        self._pool: Executor | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def pool(self) -> Executor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            # The server starts now, with the environment its workers inherit.
            saved = {name: os.environ.get(name) for name in SINGLE_THREADED}
            os.environ.update(SINGLE_THREADED)
            try:
                forkserver.ensure_running()
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            self._pool = ProcessPoolExecutor(max_workers=self.count, mp_context=context)
        return self._pool

    @property
    def parts(self) -> int:
        """How many parts to cut a large input into."""
        return self.count * PARTS_PER_WORKER if self.count > 1 else 1

    def map(self, function: Callable, parts: Iterable[tuple], *, what: str, networks: Sequence[int],
            parallel: bool) -> list:
        """``function(*part)`` for every part, in order; on the worker processes if ``parallel``.

        ``networks`` is how many networks each part holds, for the "networks n of N" progress line.
        ``parts`` may be a generator: a part is taken from it only when a worker is about to be free
        (at most one waiting per worker), so a model can read its input part by part instead of
        holding all of it.
        """
        progress = Progress(f"{what}: networks", sum(networks))
        remaining = iter(parts)
        results: list = []

        def here(part: tuple, count: int) -> None:
            results.append(function(*part))
            progress.advance(count)

        counts = iter(networks)
        if self.count < 2 or len(networks) < 2 or not parallel:
            for part, count in zip(remaining, counts, strict=True):
                here(part, count)
            return results
        pending: deque = deque()  # (future, part, networks), in order
        try:
            for part, count in zip(remaining, counts, strict=True):
                pending.append((None, part, count))  # held until its result is in, should the pool break
                pending[-1] = (self.pool().submit(function, *part), part, count)
                while len(pending) > self.count or (pending and pending[0][0].done()):
                    self._collect(pending, results, progress)
            while pending:
                self._collect(pending, results, progress)
        except BrokenProcessPool as exc:
            # A worker could not start or died (e.g. a script that starts a build without an
            # ``if __name__ == "__main__":`` guard, which every worker would run again).
            log.warning("worker processes failed (%s); computing %s in this process", exc, what)
            self.__exit__()
            self.count = 1
            for _, part, count in pending:
                here(part, count)
            for part, count in zip(remaining, counts, strict=True):
                here(part, count)
        return results

    @staticmethod
    def _collect(pending: deque, results: list, progress: Progress) -> None:
        future, _, count = pending[0]
        results.append(future.result())
        progress.advance(count)
        pending.popleft()


def split(weights: Sequence[int], parts: int) -> list[list[int]]:
    """Consecutive groups of indices with about equal total weight (at most ``parts`` groups)."""
    total = sum(weights)
    if not weights:
        return []
    target = max(total / max(parts, 1), 1)
    groups: list[list[int]] = [[]]
    held = 0
    for index, weight in enumerate(weights):
        if groups[-1] and held + weight / 2 > target:
            groups.append([])
            held = 0
        groups[-1].append(index)
        held += weight
    return groups
