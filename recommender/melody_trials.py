"""Melody-channel variants tried against the same-tune misses, on the TUNE half only.

Issue 10 item 4 (2026-12-01). Each variant adds one document to the channel in use
(``recommender.melody``: pitch + STEPS_WEIGHT x steps n-grams) at weight w, or reweighs it, and
is scored like ``similar`` (music cosine + MELODY_WEIGHT x melody cosine) by MRR@100 and HR@10
on the tune half of ``recommender.eval_same_tune`` (judge title+metre). The test half is never
read here. Variants, each aimed at a kind of miss read in the tune half's same-tune pairs:

* ``skeleton``: notes whose gap to the next onset is below SHORT x the piece's median gap
  dropped before the n-grams (grace notes, turns, passing notes in runs), pitch or steps;
* ``deletion``: every window of DELETION_WINDOW notes with any one note deleted, its intervals
  one term (two windows that differ by one inserted note share a term: passing notes);
* ``window max``: the best cosine between SEGMENT-interval windows (hop HOP) of the two
  pieces (a plain tune inside a variation set, a second part, another start point);
* ``length``: the melody cosine times (length / median length) ** e (long pieces dilute);
* ``baseline``: the standard melodic interval 4-gram TF-IDF, alone and fused.

    python -m recommender.melody_trials        # ~8 min on 2 shared cores; JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cantus.melody_line import Line
from recommender import melody
from recommender.melody import _Tfidf, line_codes

SHORT = 0.5  # a note shorter than this share of the median gap is an ornament
DELETION_WINDOW = 6  # notes per window of the deletion document (one deleted: 4 intervals)
SEGMENT, HOP = 32, 16  # window-max segments, in intervals
WEIGHTS = (0.5, 1.0, 2.0)  # weight of an added document beside pitch (1) + steps
LENGTH_EXPONENTS = (-0.25, -0.1, 0.1, 0.25)
BASELINE_NGRAMS = (4, 4)  # the melodic 4-gram baseline


def skeleton(line: Line, short: float = SHORT) -> Line:
    """``line`` without the notes whose gap to the next onset is below ``short`` x the median
    gap (the last note's gap is its length); the first note is always kept."""
    if len(line.onset) < 3:
        return line
    gaps = np.diff(np.append(line.onset, line.onset[-1] + line.length[-1]))
    keep = gaps >= short * np.median(gaps[:-1]) - 1e-9
    keep[0] = True
    return Line(line.onset[keep], line.pitch[keep], line.length[keep])


def deletion_grams(pitch: np.ndarray, window: int = DELETION_WINDOW) -> np.ndarray:
    """One int64 term per (window of ``window`` notes, note deleted): the intervals of the
    ``window - 1`` notes left (semitones, clipped to MAX_INTERVAL)."""
    if len(pitch) < window:
        return np.zeros(0, dtype=np.int64)
    win = np.lib.stride_tricks.sliding_window_view(np.asarray(pitch, np.int64), window)
    out = []
    for gone in range(window):
        steps = np.diff(np.delete(win, gone, axis=1), axis=1)  # (W, window - 2)
        steps = np.clip(steps, -melody.MAX_INTERVAL, melody.MAX_INTERVAL) + melody.MAX_INTERVAL
        code = np.zeros(len(steps), dtype=np.int64)
        for k in range(steps.shape[1]):
            code = code * 64 + steps[:, k]  # 49 values: 64 keeps each exact
        out.append(code)
    return np.concatenate(out)


def segments(codes: np.ndarray, length: int = SEGMENT, hop: int = HOP) -> list[np.ndarray]:
    """Windows of ``length`` symbols every ``hop``, the last one flush with the end (one
    window when ``codes`` is no longer than ``length``)."""
    if len(codes) <= length:
        return [codes]
    starts = list(range(0, len(codes) - length + 1, hop))
    if starts[-1] + length < len(codes):
        starts.append(len(codes) - length)
    return [codes[a : a + length] for a in starts]


def cosines(docs: Sequence[np.ndarray], rows: list[int], ngrams: tuple[int, int]) -> np.ndarray:
    """(Q, N) TF-IDF cosine of the ``rows`` documents to every document."""
    matrix = _Tfidf(ngrams).fit_transform(docs).tocsr().astype(np.float32)
    return (matrix[rows] @ matrix.T).toarray()


def window_max(codes: list[tuple[np.ndarray, np.ndarray]], rows: list[int]) -> np.ndarray:
    """(Q, N) best cosine between any window of a query and any window of a piece, over
    pitch + steps windows weighted as the channel in use."""
    from scipy import sparse

    owner, pitch, steps = [], [], []
    for i, (p, s) in enumerate(codes):
        for a, b in zip(segments(p), segments(s), strict=True):
            owner.append(i)
            pitch.append(a)
            steps.append(b)
    owner_arr = np.asarray(owner)
    w = np.sqrt(np.array([1.0, melody.STEPS_WEIGHT]) / (1.0 + melody.STEPS_WEIGHT))
    docs = (pitch, steps)
    parts = [_Tfidf(melody.NGRAM_RANGE).fit_transform(d) * s for d, s in zip(docs, w, strict=True)]
    matrix = sparse.hstack(parts, format="csr").astype(np.float32)
    by_term = matrix.T.tocsr()
    starts = np.flatnonzero(np.r_[True, owner_arr[1:] != owner_arr[:-1]])
    out = np.zeros((len(rows), len(codes)), dtype=np.float32)
    for qi, q in enumerate(rows):
        best = (matrix[np.flatnonzero(owner_arr == q)] @ by_term).toarray().max(axis=0)
        out[qi] = np.maximum.reduceat(best, starts)
    return out


def scored(scores: np.ndarray, pairs: tuple[list[int], list[set[int]]]) -> dict[str, float]:
    """MRR@100 and HR@10 of (Q, N) scores (self excluded, ties broken by a fixed jitter)."""
    from recommender.metrics import hit_rate_and_mrr, top_excluding_self

    top = top_excluding_self(scores, pairs[0], np.random.default_rng(0))
    hr, rr = hit_rate_and_mrr(top, pairs[1], 10)
    return {"MRR@100": round(rr, 4), "HR@10": round(hr, 4)}


def _documents(lines: list[Line]) -> dict[str, tuple[list[np.ndarray], tuple[int, int]]]:
    """Each added document's per-piece symbols and n-gram range."""
    skel = [line_codes(skeleton(line)) for line in lines]
    return {
        "skeleton pitch": ([c[0] for c in skel], melody.NGRAM_RANGE),
        "skeleton steps": ([c[2] for c in skel], melody.NGRAM_RANGE),
        "deletion": ([deletion_grams(line.pitch) for line in lines], (1, 1)),
    }


def trials(lines: list[Line], music: np.ndarray, pairs: tuple[list[int], list[set[int]]],
           log: Callable[[str], None]) -> dict[str, Any]:  # fmt: skip
    """Every variant's tune-half figures beside the channel in use (module doc)."""
    rows, mw, sw = pairs[0], melody.MELODY_WEIGHT, melody.STEPS_WEIGHT
    codes = [line_codes(line) for line in lines]
    pitch = cosines([c[0] for c in codes], rows, melody.NGRAM_RANGE)
    steps = cosines([c[2] for c in codes], rows, melody.NGRAM_RANGE)
    in_use = (pitch + sw * steps) / (1 + sw)
    base = cosines([c[0] for c in codes], rows, BASELINE_NGRAMS)
    out: dict[str, Any] = {
        "in use (music + melody)": scored(music + mw * in_use, pairs),
        "melody in use alone": scored(in_use, pairs),
        "music embedding alone": scored(music, pairs),
        "melodic 4-gram baseline alone": scored(base, pairs),
        "music + melodic 4-gram baseline": scored(music + mw * base, pairs),
    }
    log("channel in use and baseline scored")
    lengths = np.array([max(len(line.pitch), 1) for line in lines], dtype=float)
    for e in LENGTH_EXPONENTS:
        factor = (lengths / np.median(lengths)) ** e
        out[f"length exponent {e}"] = scored(music + mw * in_use * factor[None, :], pairs)
    added = {name: cosines(d, rows, n) for name, (d, n) in _documents(lines).items()}
    added["window max"] = window_max([(c[0], c[2]) for c in codes], rows)
    for name, extra in added.items():
        out[f"{name} alone"] = scored(extra, pairs)
        for w in WEIGHTS:
            mixed = (pitch + sw * steps + w * extra) / (1 + sw + w)
            out[f"{name} at weight {w}"] = scored(music + mw * mixed, pairs)
        log(f"{name} scored")
    return out


def main(argv: list[str] | None = None) -> int:
    """Print every trial's tune-half figures as JSON (module doc)."""
    import sys

    import pandas as pd

    from cantus.config import artifacts_dir
    from cantus.melody_line import melody_line
    from recommender.eval_same_tune import PRIMARY_JUDGE, same_tune_pairs

    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    started = time.perf_counter()

    def log(what: str) -> None:
        print(f"[{time.perf_counter() - started:.0f}s] {what}", file=sys.stderr, flush=True)

    catalog = pd.read_parquet(artifacts_dir() / "catalog.parquet")
    embeddings = np.load(artifacts_dir() / "embeddings.npy").astype(np.float32)
    pairs = same_tune_pairs(catalog, PRIMARY_JUDGE)["tune"]  # the tune half only
    lines = [melody_line(np.asarray(t, dtype=np.int64)) for t in catalog["tokens"]]
    log(f"{len(lines)} melody lines, {len(pairs[0])} tune-half queries")
    music = embeddings[pairs[0]] @ embeddings.T
    report = {"half": "tune", "judge": PRIMARY_JUDGE, "queries": len(pairs[0])}
    print(json.dumps(report | trials(lines, music, pairs, log), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
