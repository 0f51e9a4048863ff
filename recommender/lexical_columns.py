"""Column arithmetic of the lexical index's sparse (CSC) matrices: BM25 idf, per-row sums and
shares over a query's columns, read straight from the arrays (scipy's slicing costs ~1 ms a
query) and added in scipy's order, so the floats are the same."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


def _idf(matrix: sparse.csc_matrix, cols: Sequence[int]) -> np.ndarray:
    """BM25's idf of columns ``cols`` of ``matrix`` (pieces having the term or pair)."""
    at = np.asarray(cols, dtype=np.int64)
    df = (matrix.indptr[at + 1] - matrix.indptr[at]).astype(np.float64)
    return np.log1p((matrix.shape[0] - df + 0.5) / (df + 0.5))


def _column_sum(
    matrix: sparse.csc_matrix, cols: Sequence[int], values: np.ndarray | None = None
) -> np.ndarray:
    """Each row's sum over columns ``cols`` of ``matrix``: of its entries (their dtype), or
    with ``values`` of ``values[i]`` where column ``cols[i]`` has a positive entry (float64).
    What scipy's ``matrix[:, cols]`` sum or product gives, added in the same order (so the
    same floats), without making the slice: scipy's bookkeeping cost ~1 ms a query."""
    out = np.zeros(matrix.shape[0], matrix.dtype if values is None else np.float64)
    for i, col in enumerate(cols):
        lo, hi = matrix.indptr[col], matrix.indptr[col + 1]
        rows, data = matrix.indices[lo:hi], matrix.data[lo:hi]
        if values is None:
            out[rows] += data  # a column holds a row once: no repeated index
        else:
            out[rows[data > 0]] += values[i]
    return out


def _share(has: sparse.csc_matrix, cols: Sequence[int], idf: np.ndarray) -> np.ndarray:
    """Idf-weighted share of the query terms (columns ``cols`` of ``has``) each piece has."""
    return _column_sum(has, cols, idf) / max(float(idf.sum()), 1e-12)


def _pieces(columns: sparse.csc_matrix, column: int | None) -> int:
    """How many pieces have ``column`` (0 for None: a word or pair the catalog lacks)."""
    return 0 if column is None else int(columns.indptr[column + 1] - columns.indptr[column])


def _ones(indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sparse.csc_matrix:
    from scipy import sparse

    return sparse.csc_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=shape)
