"""Functions the capped child runs in tests (a child imports them by name, so they live here)."""

from __future__ import annotations

import time
from typing import Any


def sleepy_file_ids(path: str, suffix: str) -> tuple[str, Any]:
    """A parse that outlives any short time limit."""
    del path, suffix
    time.sleep(30)
    return "ok", [1]


def greedy(n_bytes: int) -> int:
    """Allocate far more than the child's memory cap."""
    return len(bytearray(n_bytes))


def stubborn_chunk(items: list[str]) -> list[str]:
    """A pool task: "hang" blocks SIGALRM first (as a parse stuck in C code would not see it),
    "die" kills its own process (as the OOM killer would)."""
    import os
    import signal

    for item in items:
        if item == "hang":
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            time.sleep(60)
        if item == "die":
            os.kill(os.getpid(), signal.SIGKILL)
    return items
