"""Ray for ``cantus build`` / ``cantus ingest``: the same per-work function as the local pool.

``--ray`` (or ``RAY_ADDRESS`` set) sends the parse → features → tokens work of each work
(:func:`cantus.worker.process_chunk`) through Ray Data instead of the local process pool, and
the embedding of the new rows (``recommender.embed_ray``) to Ray actors. With
an address (``RAY_ADDRESS=host:6379``, ``ray://host:10001`` or ``auto``) it joins that
cluster; without one it starts a local Ray on this machine with ``--jobs`` CPUs. Results come
back as the same :class:`cantus.works.WorkResult` records, so ordering, the progress bar,
per-work error records and the manifest are exactly those of the local path. A work that
fails is a record, never an exception; a Ray task that dies (a worker killed from outside) is
retried by Ray and, past that, the works not done are reported as failed.

The CLI opens a session with :func:`ray_session`; ``cantus.ingest.run_works`` asks
:func:`works_runner` which runner is active (a context variable, so nothing else changes).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import os
import pickle
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cantus.errors import BadInput, CantusError

log = logging.getLogger(__name__)

ADDRESS_ENV = "RAY_ADDRESS"
PROBE_TIMEOUT_S = 5.0
WORKS_PER_TASK = 8  # works per Ray task: small enough to balance, big enough to amortise

_runner: contextvars.ContextVar[Callable[..., Iterator[Any]] | None] = contextvars.ContextVar(
    "cantus_works_runner", default=None
)


@dataclass(frozen=True)
class ActiveRay:
    """The Ray of the active session: the module and the CPUs the cluster offers."""

    module: Any
    cpus: int


_active: contextvars.ContextVar[ActiveRay | None] = contextvars.ContextVar(
    "cantus_active_ray", default=None
)


def ray_address(flag: bool) -> str | None:
    """The cluster to use: ``RAY_ADDRESS`` when set, "" (local Ray) for ``--ray``, else None."""
    address = os.environ.get(ADDRESS_ENV, "").strip()
    if address:
        return address
    return "" if flag else None


def works_runner() -> Callable[..., Iterator[Any]] | None:
    """The runner of the active :func:`ray_session` (None: the local process pool)."""
    return _runner.get()


def active_ray() -> ActiveRay | None:
    """The Ray of the active :func:`ray_session` (None: work stays in this process)."""
    return _active.get()


@contextlib.contextmanager
def ray_session(address: str | None, jobs: int) -> Iterator[dict[str, Any]]:
    """Inside the block, ingest work runs on Ray (``address`` None: nothing changes).

    Yields a dict describing the cluster (recorded in the build's manifest)."""
    if address is None:
        yield {}
        return
    ray = _import_ray(address)
    info = _init_ray(ray, address, jobs)
    token = _runner.set(functools.partial(process_works_ray, ray=ray))
    active = _active.set(ActiveRay(ray, max(1, int(info["cpus"]))))
    try:
        yield info
    finally:
        _active.reset(active)
        _runner.reset(token)
        ray.shutdown()


def _import_ray(address: str) -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        where = f"{ADDRESS_ENV}={address}" if address else "--ray"
        msg = f"{where} needs Ray: pip install 'cantus[scale]' ({exc})"
        raise CantusError(msg) from exc
    return ray


def _init_ray(ray: Any, address: str, jobs: int) -> dict[str, Any]:
    """Join the cluster at ``address`` (probed first, so a dead address fails in seconds) or
    start a local one with ``jobs`` CPUs."""
    if address and address != "auto":
        _probe(address)
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if not address:
        kwargs["num_cpus"] = jobs
    try:
        ray.init(address=address or "local", configure_logging=False, **kwargs)
    except Exception as exc:  # ConnectionError, RuntimeError: Ray raises several kinds
        what = f"{ADDRESS_ENV}={address}" if address else "a local Ray"
        raise BadInput(f"{what}: cannot start or join Ray ({_one_line(exc)})") from exc
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours counts works; Ray's would count blocks
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # progress INFO lines, bar notices
    resources = ray.cluster_resources()
    info = {"address": address or "local", "cpus": resources.get("CPU", 0),
            "nodes": len(ray.nodes())}  # fmt: skip
    log.info("ray: %s", info)
    return info


def _probe(address: str) -> None:
    """One TCP connect to ``host:port``: an address nobody answers is one clear line."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        msg = f"{ADDRESS_ENV}={address}: expected host:port, ray://host:port or auto"
        raise BadInput(msg)
    try:
        with socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as exc:
        msg = f"{ADDRESS_ENV}={address}: nothing answers at {host}:{port} ({_one_line(exc)})"
        raise BadInput(msg) from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# ---------------------------------------------------------------------------- the work


def process_works_ray(
    specs: list[Any],
    jobs: int,
    progress: bool = True,
    desc: str = "parsing",
    time_limit: int | None = None,
    chunk: int | None = None,
    *,
    ray: Any,
) -> Iterator[Any]:
    """Like :func:`cantus.ingest.process_works`, through Ray Data; yields ``WorkResult``."""
    from tqdm import tqdm

    from cantus import worker, works

    limit = time_limit or worker.WORK_TIME_LIMIT_S
    ordered = sorted(specs, key=lambda s: -s.size)  # big works first, as the pool does
    size = chunk or WORKS_PER_TASK
    chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    pending = {s.piece_id: s for s in ordered}
    bar = tqdm(total=len(ordered), desc=f"{desc} (ray)", unit="work", mininterval=2,
               disable=not progress or not sys.stderr.isatty())  # fmt: skip
    try:
        for batch in _ray_results(ray, chunks, limit):
            for result in batch:
                pending.pop(result.spec_id, None)
                bar.update(1)
                yield result
    except Exception as exc:  # the dataset gave up (e.g. a task failed past its retries)
        log.error("ray stopped with %d works left: %s", len(pending), _one_line(exc))
    finally:
        bar.close()
    for spec in pending.values():
        reason = "ray task failed (worker died or was killed)"
        yield works.WorkResult.failure(spec, reason)


def _ray_results(ray: Any, chunks: list[list[Any]], limit: int) -> Iterator[list[Any]]:
    """Ray Data over the chunks: one row per chunk in, one pickled result list out."""
    items = [{"specs": pickle.dumps(c, protocol=pickle.HIGHEST_PROTOCOL)} for c in chunks]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    # Ray Data re-runs a task whose worker died (its own retry policy); past that the
    # iteration raises and the caller reports the works still missing.
    mapped = dataset.map(functools.partial(_run_chunk, time_limit=limit), num_cpus=1)
    for row in mapped.iter_rows():
        yield pickle.loads(row["results"])


def _run_chunk(row: dict[str, Any], time_limit: int) -> dict[str, bytes]:
    """On a Ray worker: the local pool's own per-work function over one chunk."""
    from cantus import worker

    _init_ray_worker()
    results = worker.process_chunk(pickle.loads(row["specs"]), time_limit=time_limit)
    return {"results": pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)}


@functools.cache
def _init_ray_worker() -> None:
    """Once per Ray worker: the pool's initializer, with a heap (data-segment) cap where the pool
    caps the address space, which Ray's shared-memory mappings would exceed: a hostile file
    fails with MemoryError as that work's error, not by the node's memory monitor killing it."""
    import os

    from cantus.limits import cap_heap, worker_memory_bytes
    from cantus.worker import init_worker

    init_worker(worker_memory_bytes(os.cpu_count() or 1), cap=cap_heap)  # a worker per CPU
