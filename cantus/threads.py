"""Thread-count limits for torch, OpenMP (faiss) and BLAS inside a block."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

_CONTROLLERS: dict[str, Any] = {}  # threadpoolctl controllers by API, made on first use


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
    # set and restore each library directly: threadpoolctl's own limit() re-reads every
    # library's state and costs ~3x more, measurable beside a 0.5 ms index search
    libraries = _controller(user_api).lib_controllers
    before = [lib.num_threads for lib in libraries]
    for lib in libraries:
        lib.set_num_threads(n)
    try:
        yield
    finally:
        for lib, count in zip(libraries, before, strict=True):
            lib.set_num_threads(count)


def on_one_blas_thread(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: the call's numpy/scipy products run on one BLAS thread. A query's (15k x 640)
    product over the catalog is memory-bound: on a pool competing with a server's other threads
    for 2 cores, `similar` took p50 12.4 ms, on one thread 1.8 ms (measured under load)."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with library_threads(1, "blas"):
            return method(*args, **kwargs)

    return wrapper


def _controller(user_api: str) -> Any:
    """The libraries of one API, scanned once (a scan costs milliseconds)."""
    if user_api not in _CONTROLLERS:
        import faiss  # noqa: F401  (loaded first, so its OpenMP and BLAS libraries are seen)
        from threadpoolctl import ThreadpoolController

        _CONTROLLERS[user_api] = ThreadpoolController().select(user_api=user_api)
    return _CONTROLLERS[user_api]
