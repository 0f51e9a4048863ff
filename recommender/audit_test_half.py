"""Blind audit of the same-tune judge's TEST half (``docs/same_tune_audit.md``, last section).

``sample-test`` draws ``TEST_QUERIES`` random test-half queries (judge title+metre), each with
its judged-relevant pieces (``PER_QUERY`` drawn at random when it has more), and prints the first
notes of every melody; it computes no ranking, so the labels in ``TEST_LABELS`` are written
blind. ``summary-test`` then ranks those queries (the shipped ``similar`` and its baselines) and
reprints every figure from the labels: the judge's precision, MRR and HR@10 (a) under the judge,
(b) with only the pieces labelled ``same`` relevant, (c) with the ranker's rank 1 labelled
``alias`` (``TOP1_LABELS``, a second pass that is not blind) counted as a hit.

    python -m recommender.audit_same_tune sample-test
    python -m recommender.audit_same_tune summary-test
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

DOCS = Path(__file__).resolve().parents[1] / "docs"
TEST_LABELS = DOCS / "same_tune_audit_test.csv"  # blind: (query, judged piece) labels
TOP1_LABELS = DOCS / "same_tune_audit_test_top1.csv"  # second pass: the ranker's rank 1
TEST_SEED = 2026  # the draw of the test-half queries and of their judged pieces
TEST_QUERIES = 80
PER_QUERY = 3  # judged pieces read per query at most


def draw_test_sample(
    pairs: tuple[list[int], list[set[int]]], n: int = TEST_QUERIES, per_query: int = PER_QUERY,
    seed: int = TEST_SEED,
) -> list[tuple[int, list[int]]]:  # fmt: skip
    """``n`` random queries (rows) of ``pairs``, each with at most ``per_query`` of its judged
    rows drawn at random; in the order of ``pairs``."""
    queries, relevant = pairs
    if not queries:
        raise ValueError("no test-half queries to draw from")
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(queries), min(n, len(queries)), replace=False))
    out = []
    for i in picked:
        judged = sorted(relevant[i])
        if len(judged) > per_query:
            judged = sorted(int(j) for j in rng.choice(judged, per_query, replace=False))
        out.append((int(queries[i]), judged))
    return out


def print_test_sample(catalog: Any, drawn: list[tuple[int, list[int]]]) -> None:
    """The cases to read: query and judged pieces, each with its first notes (no ranks)."""
    from recommender.audit_same_tune import first_notes

    def line(row: int) -> str:
        r = catalog.iloc[row]
        notes = first_notes(r["source"], r["number"])
        return f"{r['id']} | {r['title']} | {r['meter']} {r['key']}\n      {notes}"

    for i, (q, judged) in enumerate(drawn):
        print(f"## T{i:02d}\n  query  {line(q)}", flush=True)
        for j in judged:
            print(f"  judged {line(j)}", flush=True)


def main_test(what: str) -> int:
    """``sample-test`` or ``summary-test`` (see module doc)."""
    import pandas as pd

    from cantus.config import artifacts_dir
    from recommender.eval_same_tune import PRIMARY_JUDGE, same_tune_pairs

    catalog = pd.read_parquet(artifacts_dir() / "catalog.parquet")
    pairs = same_tune_pairs(catalog, PRIMARY_JUDGE)["test"]
    drawn = draw_test_sample(pairs)
    if what == "sample-test":
        print(f"# test half: {len(pairs[0])} queries; {len(drawn)} drawn (seed {TEST_SEED})")
        print_test_sample(catalog, drawn)
        return 0
    raise ValueError(f"unknown command {what!r}")
