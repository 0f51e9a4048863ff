"""Music-to-music sections of ``cantus eval retrieval``, beside melody n-grams and random.

A transposed copy must find its original; versions of a tune in other collections must find
each other.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from recommender.eval_data import EvalConfig, EvalData
from recommender.eval_same_tune import evaluate_same_tune
from recommender.melody import MelodyIndex, fuse
from recommender.metrics import jitter


def eval_music(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Transposed copies (rank-1 rate) and the same tune in other files (``eval_same_tune``)."""
    tokens = [np.asarray(t, dtype=np.int64) for t in data.catalog["tokens"]]
    melody = MelodyIndex(tokens)
    max_len = data.encoder.cfg.max_len
    return {
        "transposed_copy": _transposed(data, tokens, melody, cfg),
        "same_tune": evaluate_same_tune(data.embeddings, tokens, data.catalog, max_len),
    }


def _transposed(
    data: EvalData, tokens: list[np.ndarray], melody: MelodyIndex, cfg: EvalConfig
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
    tunes = melody.scores(copies)
    methods = {
        "cantus": vectors @ data.embeddings.T,
        "melody_ngrams": tunes,
        # what `similar` ranks by: music cosine fused with the melody n-grams
        "engine_similar": fuse(vectors @ data.embeddings.T, tunes),
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
