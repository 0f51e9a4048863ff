"""Metrics of ranked lists: ranks, R@k, MRR, graded nDCG@k and P@k, HR@k (retrieval reports)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def ranks_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of ``targets[i]`` in row i of ``scores`` (Q, P); ties count against."""
    scores = np.asarray(scores, dtype=np.float64)
    target_scores = scores[np.arange(len(targets)), targets]
    return (scores >= target_scores[:, None]).sum(1)


def recall_at_k(ranks: np.ndarray, k: int) -> float:
    """Share of queries whose target ranks within the top ``k``."""
    ranks = np.asarray(ranks)
    return float((ranks <= k).mean()) if ranks.size else math.nan


def mrr(ranks: np.ndarray) -> float:
    """Mean reciprocal rank."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return float((1.0 / ranks).mean()) if ranks.size else math.nan


def dcg(grades: Sequence[float]) -> float:
    """Discounted cumulative gain with gain 2^grade − 1 and log2(rank + 1) discount."""
    g = np.asarray(grades, dtype=np.float64)
    return float(((2.0**g - 1) / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg_at_k(ranked_grades: Sequence[float], all_grades: Sequence[float], k: int) -> float:
    """nDCG@k of a ranking given the grades of every candidate (for the ideal ranking)."""
    ideal = dcg(sorted(all_grades, reverse=True)[:k])
    return dcg(list(ranked_grades)[:k]) / ideal if ideal > 0 else math.nan


def precision_at_k(ranked_grades: Sequence[float], k: int, threshold: float) -> float:
    """Share of the top ``k`` with grade ≥ ``threshold``."""
    top = np.asarray(list(ranked_grades)[:k], dtype=np.float64)
    return float((top >= threshold).sum() / k)


def hit_rate_and_mrr(
    ranked: np.ndarray, relevant: Sequence[set[int]], k: int
) -> tuple[float, float]:
    """HR@k and MRR of the first relevant item, for rankings (Q, ≥k) of candidate rows."""
    hits, rr = [], []
    for row, good in zip(ranked, relevant, strict=True):
        positions = [i for i, r in enumerate(row) if int(r) in good]
        hits.append(bool(positions) and positions[0] < k)
        rr.append(1.0 / (positions[0] + 1) if positions else 0.0)
    return (float(np.mean(hits)), float(np.mean(rr))) if hits else (math.nan, math.nan)


def text_to_music_metrics(
    queries: np.ndarray,
    per_piece: Sequence[np.ndarray],
    rows: np.ndarray,
    embeddings: np.ndarray,
    k: int = 10,
) -> dict[str, float]:
    """R@1, R@k, MRR of caption queries against the pieces ``rows`` (the candidate pool).

    ``per_piece[row]`` lists the query indices describing catalog row ``row``.
    """
    q_index, targets = query_targets(per_piece, rows)
    if not len(q_index):
        return {}
    scores = queries[q_index] @ embeddings[rows].T  # (Q, P)
    return rank_metrics(ranks_of(scores, targets), k)


def query_targets(
    per_piece: Sequence[np.ndarray], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    q_index, targets = [], []
    for pos, row in enumerate(rows):
        for q in per_piece[row]:
            q_index.append(int(q))
            targets.append(pos)
    return np.asarray(q_index, dtype=np.int64), np.asarray(targets, dtype=np.int64)


def rank_metrics(ranks: np.ndarray, k: int) -> dict[str, float]:
    return {
        "R@1": round(recall_at_k(ranks, 1), 4),
        f"R@{k}": round(recall_at_k(ranks, k), 4),
        "MRR": round(mrr(ranks), 4),
        "queries": len(ranks),
    }


def jitter(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Break exact ties (BM25 zeros) at random instead of in the target's disfavour."""
    return np.asarray(scores, dtype=np.float64) + rng.random(np.shape(scores)) * 1e-9


def top_excluding_self(
    scores: np.ndarray, rows: list[int], rng: np.random.Generator, n: int = 100
) -> np.ndarray:
    """The best ``n`` columns per row of ``scores`` (Q, N), best first, never the row itself."""
    scores = jitter(scores, rng)
    scores[np.arange(len(rows)), rows] = -np.inf
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)
