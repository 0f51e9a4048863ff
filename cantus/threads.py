"""Thread-count limits for torch, OpenMP (faiss) and BLAS inside a block."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_CONTROLLER: list[Any] = []  # threadpoolctl's controller, made on first use (it scans libraries)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch on ``n`` intra-op threads inside the block (per calling thread under OpenMP).

    torch keeps its own pool size, which threadpoolctl does not set, hence ``set_num_threads``.
    """
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


@contextlib.contextmanager
def library_threads(n: int | None, user_api: str) -> Iterator[None]:
    """Limit the native libraries of ``user_api`` ("openmp": faiss; "blas": numpy) to ``n``
    threads inside the block (None: leave them as they are)."""
    if n is None:
        yield
        return
    with _controller().limit(limits=n, user_api=user_api):
        yield


def _controller() -> Any:
    import faiss  # noqa: F401  (loaded first, so its OpenMP and BLAS libraries are seen)
    from threadpoolctl import ThreadpoolController

    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]
