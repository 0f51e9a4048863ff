"""The same-tune audit: its figures follow from the labels, and the labelled pairs are the
judge's own tune-half pairs (the audit goes stale if the judge changes)."""

from __future__ import annotations

import csv

import numpy as np
import pytest


def _row(case: str, label: str, top1_label: str = "") -> dict[str, str]:
    return {"case": case, "label": label, "top1_label": top1_label}


def test_summary_counts_labels_and_bounds_the_mrr():
    from recommender.audit_same_tune import summarise

    rows = [_row("P0", "same"), _row("P1", "same"), _row("P2", "related"), _row("P3", "different")]
    rows += [_row("M0", "different", "alias"), _row("M1", "same", "different")]
    rows += [_row("N0", "same", "alias"), _row("N1", "same", "different")]
    out = summarise(rows, queries=100, misses=20, near=10)
    assert out["judge_precision"]["share"] == 0.5
    assert out["judge_precision_incl_related"]["share"] == 0.75
    assert out["misses_judged_wrongly"]["share"] == 0.5
    assert out["miss_top1_alias_or_same_file"]["count"] == 1
    assert out["mrr_ceiling"] == pytest.approx(1 - 0.2 * 0.5)
    # half the 10 near misses have an alias at rank 1: each loses about half its reciprocal rank
    assert out["mrr_ceiling_with_aliases"] == pytest.approx(0.9 - 0.5 * 0.1 * 0.5)
    low, high = out["mrr_ceiling_95"]
    assert low < out["mrr_ceiling"] < high


def test_summary_needs_pairs_and_misses():
    from recommender.audit_same_tune import summarise

    with pytest.raises(ValueError, match="P and M"):
        summarise([_row("P0", "same")], queries=10, misses=1)


def test_sample_draws_misses_outside_the_top_k_and_judged_pairs():
    from recommender.audit_same_tune import sample
    from recommender.eval_same_tune import K

    rng = np.random.default_rng(1)
    scores = rng.random((3, 40))
    scores[0, 5] = 9.0  # query 0's tune ranks first: no miss
    scores[1, 6] = -9.0  # query 1's tune ranks last: a miss
    pairs = ([0, 1, 2], [{5}, {6}, {7}])
    scores[2, 7] = 9.0
    drawn = sample(scores, pairs, n_misses=5, n_pairs=5)
    assert drawn["misses"] == 1 and drawn["miss_sample"][0]["query"] == 1
    assert drawn["miss_sample"][0]["rank"] > K
    assert sorted(drawn["pair_sample"]) == [(0, 5), (1, 6), (2, 7)]


def test_near_misses_rank_the_judged_piece_below_another_title():
    from recommender.audit_same_tune import near_sample

    scores = np.tile(np.linspace(1.0, 0.0, 12), (2, 1))  # columns 0 > 1 > 2 ... for both
    titles = np.array(["a", "b", "c", "a"] + ["x"] * 8)
    pairs = ([0, 3], [{3}, {0}])  # both title "a"; row 3 ranks 3rd for query 0
    drawn = near_sample(scores, pairs, titles)
    assert drawn["near"] == 1  # query 3's tune (row 0) ranks first: not a near miss
    assert drawn["near_sample"][0] == {"query": 0, "judged": 3, "rank": 3, "top1": 1}


def test_labelled_pairs_are_tune_half_pairs_of_the_judge():
    import pandas as pd

    from cantus.config import artifacts_dir
    from recommender.audit_same_tune import LABELS
    from recommender.eval_same_tune import PRIMARY_JUDGE, same_tune_pairs

    path = artifacts_dir() / "catalog.parquet"
    if not path.exists():
        pytest.skip("no shipped catalog")
    catalog = pd.read_parquet(path, columns=["id", "title", "collection", "source", "meter"])
    queries, relevant = same_tune_pairs(catalog, PRIMARY_JUDGE)["tune"]
    row_of = {pid: i for i, pid in enumerate(catalog["id"])}
    judged = {(q, j) for q, good in zip(queries, relevant, strict=True) for j in good}
    with LABELS.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["label"] for r in rows} <= {"same", "related", "different"}
    for r in rows:
        assert (row_of[r["query"]], row_of[r["judged"]]) in judged, r["case"]


def _draw() -> dict:
    return {
        "queries": 9, "misses": 4, "near": 3, "judged_pairs": 5,
        "miss_sample": [{"query": 0, "judged": 1, "rank": 40, "top1": 2}],
        "near_sample": [{"query": 3, "judged": 4, "rank": 2, "top1": 5}],
        "pair_sample": [(0, 6)],
    }  # fmt: skip


def _file_rows(draw: dict, ids: list[str]) -> list[dict[str, str]]:
    from recommender.audit_same_tune import drawn_cases

    return [{"case": c, **v, "label": "same"} for c, v in drawn_cases(draw, ids).items()]


def test_counts_come_from_the_draw_only_when_the_labels_are_its_cases():
    from recommender.audit_same_tune import counts_matching

    ids = [f"m21:x#{i}" for i in range(7)]
    rows = _file_rows(_draw(), ids)
    assert counts_matching(rows, _draw(), ids) == {"queries": 9, "misses": 4, "near": 3}
    stale = [dict(r) for r in rows]
    stale[0]["rank"] = "41"  # the same case, ranked otherwise: another catalog or ranker
    with pytest.raises(ValueError, match="M00"):
        counts_matching(stale, _draw(), ids)
    with pytest.raises(ValueError, match="differ in cases"):
        counts_matching(rows[:-1], _draw(), ids)  # a case lost from the file
    with pytest.raises(ValueError, match="differ in cases"):
        counts_matching([*rows, {**rows[0], "case": "M01"}], _draw(), ids)


@pytest.mark.slow  # rebuilds the audited melody index over the shipped catalog (~20-35 s)
def test_audited_counts_match_the_labels_file():
    """The summary's counts (queries, misses, near misses) are those of the draw the file's 85
    cases came from: redrawn from the shipped catalog, case by case (~30 s)."""
    from cantus.config import artifacts_dir
    from recommender.audit_same_tune import audited_counts, read_labels

    if not (artifacts_dir() / "embeddings.npy").exists():
        pytest.skip("no shipped catalog and embeddings")
    rows = read_labels()
    counts = audited_counts(rows)
    misses = sum(r["case"].startswith("M") for r in rows)
    near = sum(r["case"].startswith("N") for r in rows)
    # the file holds a sample of each: the populations are at least as large, and nested
    assert counts["queries"] >= counts["misses"] >= misses and counts["near"] >= near
    assert counts["misses"] + counts["near"] < counts["queries"]
    # the figures docs/same_tune_audit.md states for the audited ranker
    assert counts == {"queries": 628, "misses": 114, "near": 71}
