"""Metrics of ranked lists, one module for every evaluation (pure functions, tested on hand-made
cases): ranks, R@k, MRR, graded nDCG@k, P@k and HR@k for retrieval; hit rate, nDCG of a held-out
item, diversity and coverage for recommendations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

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
    ideal = dcg(np.sort(np.asarray(all_grades, dtype=np.float64))[::-1][:k])  # numpy: 15k grades
    return dcg(list(ranked_grades)[:k]) / ideal if ideal > 0 else math.nan


def precision_at_k(ranked_grades: Sequence[float], k: int, threshold: float) -> float:
    """Share of the top ``k`` with grade ≥ ``threshold``."""
    top = np.asarray(list(ranked_grades)[:k], dtype=np.float64)
    return float((top >= threshold).sum() / k)


def hit_rate_and_mrr(
    ranked: np.ndarray, relevant: Sequence[set[int]], k: int
) -> tuple[float, float]:
    """HR@k and MRR of the first relevant item, for rankings (Q, ≥k) of candidate rows."""
    rr, hits = first_relevant_ranks([[int(r) for r in row] for row in ranked], relevant, k)
    return (float(np.mean(hits)), float(np.mean(rr))) if hits else (math.nan, math.nan)


def first_relevant_ranks(
    ranked: Sequence[Sequence[Any]], relevant: Sequence[set], k: int
) -> tuple[list[float], list[bool]]:
    """Per query: 1 / rank of its first relevant item (0 past the list) and whether that item
    is in the first ``k``."""
    rr, hits = [], []
    for row, good in zip(ranked, relevant, strict=True):
        at = next((i for i, r in enumerate(row) if r in good), None)
        rr.append(0.0 if at is None else 1.0 / (at + 1))
        hits.append(at is not None and at < k)
    return rr, hits


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


# ------------------------------------------------------------------ recommendation lists


def hit_rate(ranked: Sequence[str], held_out: str, k: int) -> float:
    """1.0 when ``held_out`` is among the first ``k``, else 0.0."""
    return float(held_out in ranked[:k])


def ndcg(ranked: Sequence[str], held_out: str, k: int) -> float:
    """NDCG@k with one relevant item: 1 / log2(rank + 2) (rank from 0), 0 when absent."""
    top = list(ranked[:k])
    return 1.0 / math.log2(top.index(held_out) + 2) if held_out in top else 0.0


def intra_list_diversity(vectors: np.ndarray) -> float:
    """Mean pairwise ``1 - cos`` among the rows of ``vectors`` (n, D); 0 for fewer than two."""
    if len(vectors) < 2:
        return 0.0
    x = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = x @ x.T
    return float((1 - sims[np.triu_indices(len(x), 1)]).mean())


def coverage(lists: Sequence[Sequence[str]], n_items: int) -> float:
    """Fraction of the ``n_items`` catalog appearing in at least one list."""
    return len({pid for ids in lists for pid in ids}) / n_items if n_items else 0.0


def mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def summarise(tally: Any, n_items: int, k: int) -> dict[str, float | None]:
    """The report row of one method (``tally``: ``eval_recommend.Tally``)."""
    ms = np.asarray(tally.ms, dtype=np.float64)
    return {
        f"one_taste_precision@{k}": mean(tally.one),
        f"two_taste_precision@{k}": mean(tally.two),
        "two_tastes_both_covered": mean(tally.both),
        f"precision@{k}": mean([*tally.one, *tally.two]),
        f"hr@{k}": mean(tally.hr),
        "ild": mean(tally.ild),
        "coverage": round(coverage(tally.lists, n_items), 4),
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
        "p95_ms": round(float(np.percentile(ms, 95)), 2) if len(ms) else None,
    }


def targets(cantus: dict[str, Any], hides: dict[str, Any], k: int) -> dict[str, dict[str, Any]]:
    """The issue's targets on the test split, each with its value and whether it is met."""
    rows = {
        f"one_taste_precision@{k}": (cantus.get(f"one_taste_precision@{k}"), 0.90, ">="),
        "two_tastes_both_covered": (cantus.get("two_tastes_both_covered"), 0.90, ">="),
        "hidden_returned": (hides.get("hidden_returned"), 0, "=="),
        "recommend_p50_ms": (cantus.get("p50_ms"), 50.0, "<="),
    }
    checks = {">=": lambda v, t: v >= t, "<=": lambda v, t: v <= t, "==": lambda v, t: v == t}
    return {
        name: {
            "value": value,
            "target": f"{op} {target}",
            "met": value is not None and checks[op](value, target),
        }
        for name, (value, target, op) in rows.items()
    }
