"""Same tune, told by titles that name tunes: tune ``MELODY_WEIGHT`` on one half, report the other.

A pair is two pieces from different files or collections whose normalised titles agree, in
collections where a title names a tune: the tune books, the folk song collections (a song's
title is its first line, and variants share it) and the Bach chorales (a chorale's title names
its melody). Mass sections ("Et ascendit"), movements ("String Quartet in F major, Op. 18")
and regimental quick steps share titles without sharing music, so their collections do not
count. Titles are split once into a tune half and a test half by a hash of the title; the
weight of the melody channel in ``similar`` is chosen on the tune half's MRR, and the test half
is reported beside the music embedding alone, the melodic n-gram index alone and random.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from recommender.melody import MELODY_WEIGHT, MelodyIndex
from recommender.metrics import hit_rate_and_mrr, top_excluding_self
from recommender.train_data import normalize_title

# collections whose titles name tunes (see module doc)
TUNE_TITLE_COLLECTIONS = frozenset(
    {"oneills1850", "ryansMammoth", "airdsAirs", "miscFolk", "nottingham-dataset",
     "essenFolksong", "bach"}
)  # fmt: skip
# generic titles that name a kind of piece, not a tune ("Irish Air", "Quick Step 45th Regt.")
GENERIC_TITLE_WORDS = frozenset({"air", "quick", "step", "march", "regt", "chorale", "bwv"})
MELODY_WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)  # the grid tried on the tune half
MAX_VERSIONS = 10  # a title shared by more pieces is too generic to test
K = 10


def title_half(key: str) -> str:
    """The fixed half a normalised title belongs to."""
    return "tune" if hashlib.sha1(key.encode()).digest()[0] % 2 == 0 else "test"


def same_tune_pairs(catalog: Any) -> dict[str, tuple[list[int], list[set[int]]]]:
    """Per half: query rows and, for each, the rows of the same tune elsewhere."""
    keys = catalog["title"].astype(str).map(normalize_title).to_numpy()
    sources = catalog["source"].astype(str).to_numpy()
    collections = catalog["collection"].astype(str).to_numpy()
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        words = key.split()
        if (
            collections[i] in TUNE_TITLE_COLLECTIONS
            and len(key) >= 4
            and len(words) >= 2
            and not GENERIC_TITLE_WORDS.intersection(words)
        ):
            groups.setdefault(key, []).append(i)
    out: dict[str, tuple[list[int], list[set[int]]]] = {"tune": ([], []), "test": ([], [])}
    for key, members in groups.items():
        if not 2 <= len(members) <= MAX_VERSIONS:
            continue
        queries, relevant = out[title_half(key)]
        for i in members:
            good = {
                j
                for j in members
                if j != i and (sources[j] != sources[i] or collections[j] != collections[i])
            }
            if good:
                queries.append(i)
                relevant.append(good)
    return out


def _mrr_and_hits(
    score: Callable[[list[int]], np.ndarray], queries: list[int], relevant: list[set[int]]
) -> dict[str, float]:
    rng = np.random.default_rng(0)
    top = np.concatenate(
        [
            top_excluding_self(score(queries[lo : lo + 256]), queries[lo : lo + 256], rng)
            for lo in range(0, len(queries), 256)
        ]
    )
    hr, rr = hit_rate_and_mrr(top, relevant, K)
    return {f"HR@{K}": round(hr, 4), "MRR@100": round(rr, 4)}


def evaluate_same_tune(embeddings: np.ndarray, melody: MelodyIndex, catalog: Any) -> dict[str, Any]:
    """The report section (see module doc)."""
    halves = same_tune_pairs(catalog)
    if not halves["tune"][0] or not halves["test"][0]:
        return {"skipped": "no tune title shared across files in both halves"}

    # each half's query rows scored once by each channel; the methods below only mix them
    parts = {
        h: (embeddings[q] @ embeddings.T, melody.row_scores(q), {r: i for i, r in enumerate(q)})
        for h, (q, _) in halves.items()
    }

    def fused(weight: float, music: float = 1.0) -> Callable[[list[int]], np.ndarray]:
        def score(rows: list[int]) -> np.ndarray:
            half = next(h for h, (_, _, at) in parts.items() if rows[0] in at)
            cos, tfidf, at = parts[half]
            lo = at[rows[0]]
            block = slice(lo, lo + len(rows))  # batches are consecutive query rows
            return music * cos[block] + weight * tfidf[block]

        return score

    trials = {w: _mrr_and_hits(fused(w), *halves["tune"])["MRR@100"] for w in MELODY_WEIGHTS}
    best = max(trials, key=lambda w: (trials[w], -w))  # ties go to the smaller weight
    rng = np.random.default_rng(0)
    methods: dict[str, Callable[[list[int]], np.ndarray]] = {
        "similar (tuned weight)": fused(best),
        f"similar (weight in use, {MELODY_WEIGHT:g})": fused(MELODY_WEIGHT),
        "music embedding alone": fused(0.0),
        "melodic interval n-grams alone": fused(1.0, music=0.0),
        "random": lambda rows: rng.random((len(rows), len(catalog))),
    }
    report: dict[str, Any] = {
        "judge": "same normalised title in another file, in collections whose titles name tunes",
        "tuned_on_tune_half": {"melody_weight": best, "tune_MRR": trials},
        "in_use": MELODY_WEIGHT,
    }
    for half, (queries, relevant) in halves.items():
        report[half] = {"queries": len(queries)} | {
            name: _mrr_and_hits(score, queries, relevant) for name, score in methods.items()
        }
    return report


def summary_lines(section: dict[str, Any]) -> list[str]:
    """Test-half lines for the text report."""
    if "skipped" in section:
        return [f"same tune: skipped ({section['skipped']})"]
    tuned = section["tuned_on_tune_half"]["melody_weight"]
    test = section["test"]
    lines = [f"same tune, test half ({test['queries']} queries; melody weight {tuned} on tune)"]
    for name, m in test.items():
        if isinstance(m, dict):
            lines.append(f"  {name:34s} HR@10 {m['HR@10']:.3f}  MRR {m['MRR@100']:.3f}")
    return lines
