"""Thread-count limits hold inside the block and are restored after it."""

from __future__ import annotations

import faiss
import torch

from cantus.threads import library_threads, torch_threads


def test_torch_threads_are_restored() -> None:
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_openmp_limit_reaches_faiss_and_is_restored() -> None:
    before = faiss.omp_get_max_threads()
    with library_threads(1, "openmp"):
        assert faiss.omp_get_max_threads() == 1
    assert faiss.omp_get_max_threads() == before
    with library_threads(None, "openmp"):  # None leaves the setting alone
        assert faiss.omp_get_max_threads() == before
