"""Blind audit of the same-tune judge's TEST half (``docs/same_tune_audit.md``, last section).

``sample-test`` draws ``TEST_QUERIES`` random test-half queries (judge title+metre), each with
its judged-relevant pieces (``PER_QUERY`` drawn at random when it has more), and prints the first
notes of every melody; it computes no ranking, so the labels in ``TEST_LABELS`` are written
blind. ``summary-test`` then ranks those queries (the shipped ``similar`` and its baselines,
the melodic interval 4-gram one among them) and reprints every figure from the labels: the
judge's precision, MRR and HR@10 (a) under the judge, (b) with only the pieces labelled
``same`` relevant, (c) with the ranker's rank 1 labelled ``alias`` (``TOP1_LABELS``, a second
pass that is not blind) counted as a hit.

    python -m recommender.audit_same_tune sample-test
    python -m recommender.audit_same_tune summary-test
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from recommender.audit_same_tune import case_line, read_labels, wilson
from recommender.eval_same_tune import K
from recommender.metrics import first_relevant_ranks

DOCS = Path(__file__).resolve().parents[1] / "docs"
TEST_LABELS = DOCS / "same_tune_audit_test.csv"  # blind: (query, judged piece) labels
TOP1_LABELS = DOCS / "same_tune_audit_test_top1.csv"  # second pass: the ranker's rank 1
TEST_SEED = 2026  # the draw of the test-half queries and of their judged pieces
TEST_QUERIES = 80
PER_QUERY = 3  # judged pieces read per query at most
BOOTSTRAP = 2000  # resamples of the queries for each MRR interval
SHIPPED = "similar (shipped)"
BASELINE = "melodic 4-gram baseline"  # the standard interval 4-gram TF-IDF (issue 10 item 4)


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
    for i, (q, judged) in enumerate(drawn):
        print(f"## T{i:02d}\n  query  {case_line(catalog, q)}", flush=True)
        for j in judged:
            print(f"  judged {case_line(catalog, j)}", flush=True)


def bootstrap_ci(values: list[float], n: int = BOOTSTRAP, seed: int = 0) -> list[float]:
    """95 % percentile interval of the mean of ``values``, queries resampled ``n`` times."""
    v = np.asarray(values, dtype=float)
    means = v[np.random.default_rng(seed).integers(0, len(v), (n, len(v)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 3), round(float(np.percentile(means, 97.5)), 3)]


def _reciprocal(
    by_case: dict[str, list[str]], relevant: dict[str, set[str]]
) -> tuple[list[str], list[float], list[bool]]:
    cases = [c for c in sorted(relevant) if relevant[c]]
    if not cases:
        raise ValueError("no query with a relevant piece to score")
    rr, hits = first_relevant_ranks([by_case[c] for c in cases], [relevant[c] for c in cases], K)
    return cases, rr, hits


def scored(by_case: dict[str, list[str]], relevant: dict[str, set[str]]) -> dict[str, Any]:
    """MRR (bootstrap 95 %) and HR@K over the cases of ``relevant`` that have a relevant id."""
    cases, rr, hits = _reciprocal(by_case, relevant)
    return {"queries": len(cases), "MRR@100": round(float(np.mean(rr)), 3),
            "MRR_95": bootstrap_ci(rr), "HR@10": round(float(np.mean(hits)), 3)}  # fmt: skip


def gain(
    better: dict[str, list[str]], base: dict[str, list[str]], relevant: dict[str, set[str]]
) -> dict[str, Any]:
    """MRR of ``better`` minus ``base`` on the same queries, with a paired bootstrap 95 %."""
    diff = np.subtract(_reciprocal(better, relevant)[1], _reciprocal(base, relevant)[1])
    return {"MRR_gain": round(float(diff.mean()), 3), "gain_95": bootstrap_ci(list(diff))}


def not_first(
    by_case: dict[str, list[str]], same: dict[str, set[str]], top1: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Queries with a ``same`` piece that the ranker does not put first: where that piece
    ranks and what the second pass called rank 1."""
    out = []
    for c in sorted(same):
        at = next((i for i, r in enumerate(by_case[c]) if r in same[c]), None)
        if same[c] and at != 0:
            label = top1[c]["label"] if c in top1 else "?"
            out.append({"case": c, "first_same_rank": None if at is None else at + 1,
                        "top1": by_case[c][0], "top1_label": label})  # fmt: skip
    return out


def top1_to_label(labels: list[dict[str, str]], shipped: dict[str, list[str]]) -> list[str]:
    """Cases whose shipped rank 1 is not a piece labelled ``same`` (the second pass)."""
    same = _labelled(labels, {"same"})
    return [c for c in sorted(shipped) if shipped[c][0] not in same.get(c, set())]


def _labelled(labels: list[dict[str, str]], values: set[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in labels:
        out.setdefault(r["case"], set())
        if r["label"] in values:
            out[r["case"]].add(r["judged"])
    return out


def _with_top1(
    same: dict[str, set[str]], top1: dict[str, dict[str, str]], values: set[str]
) -> dict[str, set[str]]:
    """``same`` plus each case's rank 1 where the second pass labelled it one of ``values``."""
    return {c: good | {r["top1"] for r in [top1.get(c)] if r and r["label"] in values}
            for c, good in same.items()}  # fmt: skip


def summarise_test(
    labels: list[dict[str, str]], top1_rows: list[dict[str, str]],
    ranked: dict[str, dict[str, list[str]]], judged: dict[str, set[str]], shipped: str,
) -> dict[str, Any]:  # fmt: skip
    """Every figure of the test-half audit from the labels (see module doc). ``ranked``: per
    method, per case, the ids best first; ``judged``: every judged-relevant id per case;
    ``shipped``: the method whose rank 1 the second pass labelled."""
    if not labels:
        raise ValueError("no labels in the test-half audit")
    top1 = {r["case"]: r for r in top1_rows}
    missing = [c for c in top1_to_label(labels, ranked[shipped]) if c not in top1]
    shipped_top = ranked[shipped]  # a labelled case outside the draw is stale too
    stale = [c for c, r in top1.items() if c not in shipped_top or r["top1"] != shipped_top[c][0]]
    if missing or stale:
        msg = f"rank-1 labels missing for {missing} or stale for {stale}: run top1-test, label"
        raise ValueError(msg)
    same = _labelled(labels, {"same"})
    n_same = sum(len(v) for v in same.values())
    out: dict[str, Any] = {
        "queries": len(same), "pairs_read": len(labels),
        "judge_precision": wilson(n_same, len(labels)),
        "judge_precision_incl_related": wilson(
            sum(r["label"] in ("same", "related") for r in labels), len(labels)),
        "queries_with_a_same_piece": wilson(sum(bool(v) for v in same.values()), len(same)),
        "top1_second_pass": {v: sum(r["label"] == v for r in top1.values())
                             for v in ("alias", "same-file", "related", "different")},
    }  # fmt: skip
    for name, by_case in ranked.items():
        out[name] = {
            "a_judge": scored(by_case, {c: judged[c] for c in same}),
            "b_labelled_same": scored(by_case, same),
        }
    out[shipped]["b_gain_over"] = {
        name: gain(ranked[shipped], by_case, same) for name, by_case in ranked.items()
        if name != shipped
    }  # fmt: skip
    out[shipped]["b_not_first"] = not_first(ranked[shipped], same, top1)
    out[shipped]["c_alias_counted"] = scored(ranked[shipped], _with_top1(same, top1, {"alias"}))
    out[shipped]["c_alias_or_same_file"] = scored(
        ranked[shipped], _with_top1(same, top1, {"alias", "same-file"})
    )
    return out


def test_rankings(catalog: Any, rows: list[int]) -> dict[str, np.ndarray]:
    """The best 100 rows (Q, 100) per method for the query ``rows``, self excluded: the shipped
    ``similar`` score (music cosine fused with the melody cosine, constants in use), each of
    its two parts alone, the melodic interval 4-gram baseline (``BASELINE``: TF-IDF of the
    melody line's semitone 4-grams, nothing else) and random."""
    from cantus.config import artifacts_dir
    from recommender.melody import MelodyIndex, fuse, melody_codes
    from recommender.metrics import top_excluding_self

    embeddings = np.load(artifacts_dir() / "embeddings.npy").astype(np.float32)
    codes = [melody_codes(np.asarray(t, dtype=np.int64)) for t in catalog["tokens"]]
    index = MelodyIndex.from_codes(codes)  # the shipped constants
    melody = (index.matrix[rows] @ index.matrix.T).toarray()  # (Q, N)
    base = MelodyIndex.from_codes(codes, 0.0, (4, 4), 0.0)  # pitch 4-grams only
    music = embeddings[rows] @ embeddings.T  # (Q, N)
    scores = {
        SHIPPED: fuse(music, melody),
        "melody n-grams alone": melody,
        "music embedding alone": music,
        BASELINE: (base.matrix[rows] @ base.matrix.T).toarray(),
        "random": np.random.default_rng(0).random(music.shape),
    }
    return {m: top_excluding_self(s, rows, np.random.default_rng(0)) for m, s in scores.items()}


def main_test(what: str) -> int:
    """``sample-test``, ``top1-test`` (the rank-1 cases of the second pass, with notes) or
    ``summary-test`` (see module doc); a bad labels file is one line and exit 2."""
    import sys

    try:
        return _run(what)
    except ValueError as exc:
        print(f"audit_same_tune {what}: {exc}", file=sys.stderr)
        return 2


def _run(what: str) -> int:
    import json

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
    labels = read_labels(TEST_LABELS)  # before the rankings: a missing file fails at once
    ids = catalog["id"].astype(str).to_numpy()
    cases = [f"T{i:02d}" for i in range(len(drawn))]
    tops = test_rankings(catalog, pairs[0])  # the whole test half, once
    at = [pairs[0].index(q) for q, _ in drawn]
    ranked = {m: {c: list(ids[top[i]]) for c, i in zip(cases, at, strict=True)}
              for m, top in tops.items()}  # fmt: skip
    if what == "top1-test":  # the second pass, not blind: rank 1 beside the query
        row_of = {pid: i for i, pid in enumerate(ids)}
        for c in top1_to_label(labels, ranked[SHIPPED]):
            print(f"## {c}\n  query {case_line(catalog, drawn[cases.index(c)][0])}")
            print(f"  top1  {case_line(catalog, row_of[ranked[SHIPPED][c][0]])}", flush=True)
        return 0
    relevant = dict(zip(pairs[0], pairs[1], strict=True))
    judged = {c: {ids[j] for j in relevant[q]} for c, (q, _) in zip(cases, drawn, strict=True)}
    top1 = read_labels(TOP1_LABELS) if TOP1_LABELS.is_file() else []
    whole = {m: dict(zip(map(str, range(len(top))), map(list, top), strict=True))
             for m, top in tops.items()}  # fmt: skip
    every = {str(i): set(good) for i, good in enumerate(pairs[1])}
    out = {"whole_test_half_judge": {m: scored(w, every) for m, w in whole.items()}}
    out |= summarise_test(labels, top1, ranked, judged, SHIPPED)
    print(json.dumps(out, indent=1))
    return 0
