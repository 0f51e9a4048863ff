"""One BLAS thread for a query's matrix-vector products over the catalog.

A (15k x 640) @ (640,) product is memory-bound: on a pool of BLAS threads competing with the
server's other threads for 2 cores it ran 3-7x slower than on one thread (measured on
`similar`: p50 12.4 ms on the default pool under load, 1.8 ms on one thread).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any


@functools.cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # scans the loaded libraries once (~10 ms)


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy/scipy BLAS limited to one thread inside the block (torch's pool is untouched)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def on_one_blas_thread(method: Any) -> Any:
    """Decorator: the call runs inside :func:`one_blas_thread`."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with one_blas_thread():
            return method(*args, **kwargs)

    return wrapper
