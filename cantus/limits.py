"""Memory caps for processes that parse files nobody vetted.

music21 can be made to allocate without bound (an ABC tune of 74 bytes with ``L:1000000/1``
took 7.1 GB), so every parse runs in a process whose address space is capped with
``RLIMIT_AS``: the parse then fails with MemoryError instead of the machine swapping or the
OOM killer picking a victim. The cap is sized to the machine, because a fixed 6 GB per
worker times one worker per core is more memory than most machines have.
"""

from __future__ import annotations

import contextlib
import os

MAX_WORKER_BYTES = 6 * 1024**3  # no single symbolic file needs more
MIN_WORKER_BYTES = 3 * 1024**3 // 2  # a worker with music21 and torch imported maps ~0.7 GB


def total_memory_bytes() -> int:
    """Physical memory of the machine (0 when the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def worker_memory_bytes(jobs: int = 1) -> int:
    """Address-space cap per parse process: half the memory shared by ``jobs`` processes,
    at most ``MAX_WORKER_BYTES``, at least ``MIN_WORKER_BYTES``."""
    total = total_memory_bytes()
    share = total // (2 * max(1, jobs)) if total else MAX_WORKER_BYTES
    return max(MIN_WORKER_BYTES, min(MAX_WORKER_BYTES, share))


def cap_memory(limit: int) -> None:
    """Lower this process's address-space limit to ``limit`` bytes (never raises it)."""
    _lower_limit("RLIMIT_AS", limit)


def cap_heap(limit: int) -> None:
    """Lower this process's data-segment limit (``RLIMIT_DATA``: heap and private writable
    mappings, not shared memory) to ``limit`` bytes, never raising it. For processes that map
    large shared memory, such as Ray workers, where an address-space cap would break them."""
    _lower_limit("RLIMIT_DATA", limit)


def _lower_limit(name: str, limit: int) -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        which = getattr(resource, name)
        _soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(which, (limit, hard))
