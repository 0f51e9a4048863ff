"""List metrics of the recommendation evaluation (pure functions; tested on hand-made cases)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


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
