"""Music-to-music sections of ``cantus eval retrieval``, beside interval TF-IDF and random.

A transposed copy must find its original; versions of a tune in other collections must find
each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from recommender.eval_data import EvalConfig, EvalData
from recommender.melody import MelodyIndex, fuse
from recommender.retrieval_metrics import hit_rate_and_mrr, jitter


def eval_music(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Transposed copies (rank-1 rate) and same title across collections (HR@k, MRR)."""
    tokens = [np.asarray(t, dtype=np.int64) for t in data.catalog["tokens"]]
    tfidf = MelodyIndex(tokens, data.encoder.cfg.max_len)
    return {
        "transposed_copy": _transposed(data, tokens, tfidf, cfg),
        "same_title": _same_title(data, tfidf, cfg),
    }


def _transposed(
    data: EvalData, tokens: list[np.ndarray], tfidf: MelodyIndex, cfg: EvalConfig
) -> dict[str, Any]:
    from cantus.tokens import transpose_bounds, transpose_ids

    rng = np.random.default_rng(cfg.seed)
    picks = rng.choice(len(tokens), size=min(cfg.transposed_pieces, len(tokens)), replace=False)
    copies, originals, shifts = [], [], []
    for row in picks:
        lo, hi = transpose_bounds(tokens[row])
        options = [
            s for s in range(-cfg.max_transpose, cfg.max_transpose + 1) if s and lo <= s <= hi
        ]
        if options:
            shift = int(rng.choice(options))
            copies.append(transpose_ids(tokens[row], shift))
            originals.append(int(row))
            shifts.append(shift)
    start = time.perf_counter()
    vectors = data.encoder.encode_ids(copies)
    rate = len(copies) / max(time.perf_counter() - start, 1e-9)
    same = _duplicate_sets(tokens, originals)
    equivalent = _duplicate_sets(_canonical_windows(tokens, data.encoder.cfg.max_len), originals)
    methods = {
        "cantus": vectors @ data.embeddings.T,
        "interval_tfidf": tfidf.scores(copies),
        # what `similar` ranks by: music cosine fused with interval TF-IDF
        "engine_similar": fuse(vectors @ data.embeddings.T, tfidf.scores(copies)),
        "random": rng.random((len(copies), len(tokens))),
    }
    out: dict[str, Any] = {
        "pieces": len(copies),
        "embed_pieces_per_s": round(rate, 1),
        "mean_cosine_to_original": round(
            float(np.mean((vectors * data.embeddings[originals]).sum(1))), 4
        ),
    }
    for name, scores in methods.items():
        top = np.argmax(jitter(scores, rng), axis=1)
        out[name] = {
            "rank1_rate": _share_in(top, equivalent),
            "rank1_rate_strict": _share_in(top, same),
        }
    out["rank1_rule"] = (
        "rank1_rate: top hit is the original or a piece whose opening window (what the encoder "
        "reads) is the same music in another key; strict: the original or identical tokens"
    )
    return out


def _share_in(top: np.ndarray, sets: list[set[int]]) -> float:
    return round(float(np.mean([int(t) in s for t, s in zip(top, sets, strict=True)])), 4)


def _canonical_windows(tokens: list[np.ndarray], max_len: int) -> list[np.ndarray]:
    """Opening windows with pitches made relative to their lowest note (key-free)."""
    from cantus.tokens import pitch_of_ids

    pitch_of = pitch_of_ids()
    out = []
    for ids in tokens:
        window = np.asarray(ids[:max_len], dtype=np.int64)
        pitch = pitch_of[window]
        canon = window.copy()
        if (pitch >= 0).any():
            canon[pitch >= 0] = 10_000 + pitch[pitch >= 0] - pitch[pitch >= 0].min()
        out.append(canon)
    return out


def _duplicate_sets(tokens: list[np.ndarray], rows: list[int]) -> list[set[int]]:
    """For each row: itself plus every catalog row with identical tokens."""
    by_hash: dict[int, list[int]] = {}
    for i, t in enumerate(tokens):
        by_hash.setdefault(hash(t.tobytes()), []).append(i)
    return [
        {j for j in by_hash[hash(tokens[r].tobytes())] if np.array_equal(tokens[j], tokens[r])}
        for r in rows
    ]


def _same_title(data: EvalData, tfidf: MelodyIndex, cfg: EvalConfig) -> dict[str, Any]:
    """Queries: pieces whose normalised title recurs in another collection or source file."""
    from recommender.train_data import normalize_title

    cat = data.catalog
    keys = cat["title"].astype(str).map(normalize_title).to_numpy()
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if len(k) >= 4 and len(k.split()) >= 2:
            groups.setdefault(k, []).append(i)
    sources, collections = (
        cat["source"].astype(str).to_numpy(),
        cat["collection"].astype(str).to_numpy(),
    )
    queries, relevant = [], []
    for members in groups.values():
        if not 2 <= len(members) <= cfg.max_title_versions:
            continue
        for i in members:
            good = {
                j
                for j in members
                if j != i and (sources[j] != sources[i] or collections[j] != collections[i])
            }
            if good:
                queries.append(i)
                relevant.append(good)
    if not queries:
        return {"skipped": "no titles shared across collections or files"}
    rng = np.random.default_rng(cfg.seed)
    if len(queries) > cfg.max_title_queries:
        keep = np.sort(rng.choice(len(queries), cfg.max_title_queries, replace=False))
        queries, relevant = [queries[i] for i in keep], [relevant[i] for i in keep]
    methods: dict[str, Callable[[list[int]], np.ndarray]] = {
        "cantus": lambda rows: data.embeddings[rows] @ data.embeddings.T,
        "interval_tfidf": lambda rows: tfidf.row_scores(rows),
        "engine_similar": lambda rows: fuse(
            data.embeddings[rows] @ data.embeddings.T, tfidf.row_scores(rows)
        ),
        "random": lambda rows: rng.random((len(rows), len(cat))),
    }
    out: dict[str, Any] = {"queries": len(queries), "titles": len({keys[q] for q in queries})}
    for name, score in methods.items():
        top = np.concatenate(
            [
                _top_excluding_self(score(queries[lo : lo + 256]), queries[lo : lo + 256], rng)
                for lo in range(0, len(queries), 256)
            ]
        )
        hr, rr = hit_rate_and_mrr(top, relevant, cfg.k)
        out[name] = {f"HR@{cfg.k}": round(hr, 4), "MRR@100": round(rr, 4)}
    return out


def _top_excluding_self(
    scores: np.ndarray, rows: list[int], rng: np.random.Generator, n: int = 100
) -> np.ndarray:
    """The best ``n`` columns per row of ``scores`` (Q, N), best first, never the row itself."""
    scores = jitter(scores, rng)
    scores[np.arange(len(rows)), rows] = -np.inf
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)
