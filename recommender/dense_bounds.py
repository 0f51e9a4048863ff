"""Which rows can reach a fused top-k, from a low-rank sketch of the stored vectors: exact.

Why: a text query fuses the dense hybrid cosine of every piece with its facet and BM25 bonus,
and the dense product over the whole catalog ((N, 640) float32, 38 MB at 15k pieces) was the
largest part of a warm query after the encoders (about 5 ms of CPU, memory-bound). Here each
stored vector ``x`` is split once as ``mean + P·Uᵀ + r`` with ``U`` the top ``RANK`` principal
directions (orthonormal) and ``r`` the residual, so for a query ``q``

    x·q = mean·q + P·(Uᵀq) + r·q,   |r·q| ≤ ‖r‖·‖q − UUᵀq‖   (r ⟂ U, Cauchy-Schwarz)

gives every row's dense score within a known slack from an (N, RANK) product. A row whose
upper bound (with its exact bonus) is below the k-th best lower bound cannot be in the top k;
the others (a few hundred) are scored exactly as before, so results and scores are unchanged.
``MARGIN`` covers float32 rounding in the sketch and in the exact scores.

Measured at 15k pieces, rank 128: 182 candidate rows at the median query, 3,245 at p90; the
sketch is built once (~0.6 s on one core) and cached beside the approximate indexes.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cantus.atomic import atomic_path

log = logging.getLogger(__name__)

RANK = 128  # principal directions kept: rank 64 left ~1.6k candidates at the median query
VERSION = "1"  # bump when the sketch's layout or maths change: cached sketches are rebuilt
MARGIN = 1e-3  # added to every slack (dense-score units): float32 rounding is ~1e-6
FULL_SHARE = 0.25  # beyond this share of the rows, one full product beats gathering them


@dataclass
class DenseBounds:
    """``mean`` (D,), ``basis`` U (D, R) orthonormal, ``projected`` P (N, R) float32 and the
    residual norm ‖r‖ of each row (N,), for the bounds in the module doc."""

    mean: np.ndarray
    basis: np.ndarray
    projected: np.ndarray
    residual: np.ndarray

    @classmethod
    def build(cls, vectors: np.ndarray, rank: int | None = None) -> DenseBounds:
        """The sketch of ``vectors`` (N, D): the top ``rank`` (default ``RANK``) principal
        directions, from the D x D covariance."""
        rank = RANK if rank is None else rank
        x = np.asarray(vectors, dtype=np.float64)
        finite = np.isfinite(x).all(axis=1)  # a row with NaN / inf gets an endless slack
        mean = x[finite].mean(axis=0) if finite.any() else np.zeros(x.shape[1])
        centred = np.where(finite[:, None], x - mean, 0.0)  # (N, D)
        _, vecs = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
        basis = np.ascontiguousarray(vecs[:, ::-1][:, : min(rank, x.shape[1])])  # (D, R)
        projected = (centred @ basis).astype(np.float32)  # (N, R)
        residual = np.linalg.norm(centred - projected.astype(np.float64) @ basis.T, axis=1)
        residual[~finite] = np.inf  # always kept, then scored exactly as without a sketch
        return cls(mean, basis, projected, residual)

    def estimate(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(centre, slack), each (N,) float64: every row's dense score lies within
        centre ± slack."""
        q = np.asarray(query, dtype=np.float64)
        if q.shape != self.mean.shape:
            msg = f"query of shape {q.shape} for a sketch of {self.mean.shape[0]}-d vectors"
            raise ValueError(msg)
        along = self.basis.T @ q  # (R,)
        centre = (self.projected @ along.astype(np.float32)).astype(np.float64)
        centre += float(self.mean @ q)
        outside = float(np.linalg.norm(q - self.basis @ along))
        # rounding grows with the query's norm (the channel weights scale it)
        margin = MARGIN * max(1.0, float(np.linalg.norm(q)))
        with np.errstate(invalid="ignore"):  # inf residual x 0 outside: still endless
            slack = np.where(np.isinf(self.residual), np.inf, self.residual * outside)
        return centre, slack + margin

    def save(self, path: Path, key: str) -> None:
        """Write the sketch (one .npz) for :meth:`load` with the same ``key``."""
        with atomic_path(path) as tmp, tmp.open("wb") as out:
            np.savez(
                out, key=np.array(key), mean=self.mean, basis=self.basis,
                projected=self.projected, residual=self.residual,
            )  # fmt: skip

    @classmethod
    def load(cls, path: Path, key: str) -> DenseBounds | None:
        """The sketch saved under ``key`` at ``path``; None when absent, unreadable (it is then
        rebuilt) or of other vectors."""
        try:
            with np.load(path) as z:
                if str(z["key"]) != key:
                    return None
                return cls(z["mean"], z["basis"], z["projected"], z["residual"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("unreadable dense-bounds cache %s (%s): rebuilding it", path, exc)
            return None


def rows_within(
    centre: np.ndarray, slack: np.ndarray, k: int, allowed: np.ndarray | None
) -> np.ndarray | None:
    """Rows (ascending) whose fused score (within ``centre ± slack``) can reach the best
    ``k`` among ``allowed`` rows; None when that is so large a share that scoring every row
    is cheaper (the caller then does)."""
    low = centre - slack
    if allowed is not None:
        low = np.where(allowed, low, -np.inf)
        k = min(k, int(allowed.sum()))
    if k <= 0 or k >= len(low):
        return None
    threshold = np.partition(low, len(low) - k)[len(low) - k]  # k-th best lower bound
    keep = centre + slack >= threshold
    if allowed is not None:
        keep &= allowed
    rows = np.flatnonzero(keep)
    return None if len(rows) > FULL_SHARE * len(low) else rows


def data_key(*arrays: np.ndarray) -> str:
    """Hash of the vectors a sketch is made from (and of its version and rank)."""
    digest = hashlib.sha1(f"{VERSION}:{RANK}".encode())
    for arr in arrays:
        digest.update(str(arr.shape).encode())
        digest.update(np.ascontiguousarray(arr).data)
    return digest.hexdigest()[:16]


def cached_bounds(parts: tuple[np.ndarray, ...], cache_dir: str | None) -> DenseBounds:
    """The sketch of the vectors ``np.hstack(parts)``, read from ``cache_dir`` when made
    before, else built (and kept there when it is writable)."""
    from recommender.query_text import shared_cache_dir

    key = data_key(*parts)
    name = f"dense-bounds-{key}.npz"
    path = Path(cache_dir) / name if cache_dir else None
    # the shipped catalog's sketch is made once per installation by ``make install``
    found = (DenseBounds.load(p, key) for p in (path, shared_cache_dir() / name) if p is not None)
    bounds = next((b for b in found if b is not None), None)
    if bounds is None:
        bounds = DenseBounds.build(np.hstack(parts))
        if path is not None:
            try:
                bounds.save(path, key)
            except OSError as exc:
                log.warning("cannot cache the dense bounds at %s (%s)", path, exc)
            else:
                from cantus.config import prune_cache

                prune_cache(path, "dense-bounds-*.npz")
    return bounds


def build_shared_dense_bounds() -> Path:
    """The shipped catalog's sketch into the installation's shared cache (``make install``),
    from the vectors the engine searches; returns the folder."""
    from recommender.engine import Engine, SearchConfig
    from recommender.engine_data import load_parts
    from recommender.query_text import shared_cache_dir

    engine = Engine(**load_parts(with_user=False), config=SearchConfig())
    parts = (engine.embeddings, engine.caption_embeddings)
    cached_bounds(tuple(p for p in parts if p is not None), str(shared_cache_dir()))
    return shared_cache_dir()
