"""The ingest's process pool: per-chunk time limits that also stop a parser stuck in C code.

SIGALRM inside each worker (``cantus.worker.time_limit``) stops pure-Python parses; a parse
stuck inside C code, or a worker killed by the OOM killer or a segfault, used to stall the
whole pool until a global watchdog gave up and reported every unfinished work as lost. pebble
gives each chunk its own deadline: the stuck or dead process alone is replaced, its chunk is
retried one work at a time (so only the culprit fails), and the rest of the run goes on.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing as mp
from collections.abc import Callable, Iterator
from typing import Any

SLACK_S = 30  # past the in-worker limits: start-up, import, pickling of big results
MAX_TASKS = 125  # chunks per worker before it is replaced (music21 caches grow)


def map_chunks(
    task: Callable[[list[Any]], Any],
    chunks: list[list[Any]],
    jobs: int,
    seconds_per_item: float,
    initializer: Callable[..., None],
    initargs: tuple,
    context: mp.context.BaseContext,
) -> Iterator[tuple[list[Any], Any]]:
    """``(chunk, task(chunk))`` as chunks finish; the result is the exception (TimeoutError,
    ``pebble.ProcessExpired``) for a single item whose process timed out or died."""
    import pebble

    pool = pebble.ProcessPool(
        max_workers=max(1, jobs),
        max_tasks=MAX_TASKS,
        initializer=initializer,
        initargs=initargs,
        context=context,
    )

    def submit(chunk: list[Any]) -> concurrent.futures.Future:
        return pool.schedule(task, args=(chunk,), timeout=len(chunk) * seconds_per_item + SLACK_S)

    futures = {submit(chunk): chunk for chunk in chunks}
    try:
        while futures:
            done, _ = concurrent.futures.wait(
                futures, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                chunk = futures.pop(future)
                try:
                    yield chunk, future.result()
                except (concurrent.futures.TimeoutError, pebble.ProcessExpired) as exc:
                    if len(chunk) == 1:
                        yield chunk, exc
                    else:  # find the culprit: its neighbours parse again on their own
                        futures.update({submit([item]): [item] for item in chunk})
    finally:
        pool.stop()  # also when the caller stops early: no worker outlives the run
        pool.join()


def failure_reason(exc: BaseException, seconds: float) -> str:
    """One line for a work whose process was stopped or died."""
    if isinstance(exc, concurrent.futures.TimeoutError):
        return f"timed out after {seconds:.0f} s (the parser was stopped)"
    code = getattr(exc, "exitcode", None)
    return f"worker process died (killed or crashed, exit code {code})"
