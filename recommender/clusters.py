"""Weighted spherical k-means and silhouette for clustering a listener's favourites.

Inputs are tiny (a few dozen liked pieces), so plain numpy is faster than sklearn's set-up here
and fully seeded; cold start reuses ``spherical_kmeans`` for its medoids.
"""

from __future__ import annotations

import numpy as np


def unit(x: np.ndarray) -> np.ndarray:
    """Rows (or a vector) scaled to length 1 (zeros stay zeros)."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def choose_clusters(
    vectors: np.ndarray,
    weights: np.ndarray,
    max_clusters: int,
    min_silhouette: float,
    seed: int,
    restarts: int = 4,
) -> np.ndarray:
    """Cluster labels for unit ``vectors`` (n, D): k in 2..max_clusters by silhouette, or all
    zeros when no split reaches ``min_silhouette``."""
    n = len(vectors)
    best_labels, best_score = np.zeros(n, dtype=int), min_silhouette
    for k in range(2, min(max_clusters, n - 1) + 1):
        labels, _ = spherical_kmeans(
            vectors, k, np.random.default_rng(seed), weights, restarts=restarts
        )
        if len(np.unique(labels)) < k:
            continue
        score = silhouette(vectors, labels)
        if score > best_score:
            best_labels, best_score = labels, score
    return best_labels


def spherical_kmeans(
    x: np.ndarray,
    k: int,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
    iters: int = 30,
    restarts: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means on unit vectors with cosine similarity; returns (labels, centroids)."""
    weights = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(restarts):
        centroids = _kmeans_pp(x, k, rng, weights)
        for _ in range(iters):
            labels = np.argmax(x @ centroids.T, axis=1)
            updated = _recentre(x, labels, weights, centroids)
            if np.allclose(updated, centroids):
                break
            centroids = updated
        labels = np.argmax(x @ centroids.T, axis=1)
        objective = float((weights * (x @ centroids.T)[np.arange(len(x)), labels]).sum())
        if best is None or objective > best[0]:
            best = (objective, labels, centroids)
    return best[1], best[2]


def _kmeans_pp(x: np.ndarray, k: int, rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """k-means++ seeding with cosine distance, weighted by ``weights``."""
    first = rng.choice(len(x), p=weights / weights.sum())
    centres = [x[first]]
    for _ in range(1, k):
        dist = np.clip(1 - (x @ np.stack(centres).T).max(axis=1), 0, None) * weights
        p = dist / dist.sum() if dist.sum() > 0 else weights / weights.sum()
        centres.append(x[rng.choice(len(x), p=p)])
    return np.stack(centres)


def _recentre(
    x: np.ndarray, labels: np.ndarray, weights: np.ndarray, old: np.ndarray
) -> np.ndarray:
    centroids = old.copy()
    for c in range(len(old)):
        members = labels == c
        if members.any():
            centroids[c] = unit((weights[members, None] * x[members]).sum(axis=0))
    return centroids


def silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette with cosine distance (singleton clusters score 0, as in sklearn)."""
    dist = np.clip(1 - x @ x.T, 0, None)  # (n, n)
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return 0.0
    mean_to = np.stack([dist[:, labels == c].sum(axis=1) for c in clusters], axis=1)  # (n, C)
    sizes = np.array([(labels == c).sum() for c in clusters])
    own = np.searchsorted(clusters, labels)
    own_size = sizes[own]
    a = mean_to[np.arange(len(x)), own] / np.maximum(own_size - 1, 1)
    other = mean_to / sizes
    other[np.arange(len(x)), own] = np.inf
    b = other.min(axis=1)
    s = np.where(own_size > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-12), 0.0)
    return float(s.mean())


def medoids(
    embeddings: np.ndarray,
    rows: np.ndarray,
    m: int,
    rng: np.random.Generator,
    sample: int,
) -> list[tuple[int, float]]:
    """``m`` (row, cosine-to-centre) pairs: the real pieces nearest the k-means centres of
    ``rows`` (at most ``sample`` of them, drawn by ``rng``), largest cluster first."""
    if m <= 0 or len(rows) == 0:
        return []
    if len(rows) > sample:
        rows = np.sort(rng.choice(rows, sample, replace=False))
    x = unit(np.asarray(embeddings[rows], dtype=np.float32))
    m = min(m, len(rows))
    labels, centroids = spherical_kmeans(x, m, rng, restarts=1)
    sims = x @ centroids.T  # (n, m)
    picked: dict[int, float] = {}
    for c in np.argsort(-np.bincount(labels, minlength=m), kind="stable"):
        best = next(i for i in np.argsort(-sims[:, c], kind="stable") if int(rows[i]) not in picked)
        picked[int(rows[best])] = float(sims[best, c])
    return list(picked.items())
