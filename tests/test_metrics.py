"""Metrics of ranked lists on hand-made rankings: ranks, R@k, MRR, nDCG, P@k, HR@k."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recommender.metrics import (
    dcg,
    hit_rate_and_mrr,
    mrr,
    ndcg_at_k,
    precision_at_k,
    ranks_of,
    recall_at_k,
    text_to_music_metrics,
)


def test_ranks_recall_and_mrr_on_a_hand_made_ranking():
    scores = np.array(
        [
            [0.9, 0.1, 0.2],  # target 0 ranks 1
            [0.9, 0.5, 0.7],  # target 1 ranks 3
            [0.1, 0.8, 0.3],  # target 2 ranks 2
        ]
    )
    ranks = ranks_of(scores, np.array([0, 1, 2]))
    np.testing.assert_array_equal(ranks, [1, 3, 2])
    assert recall_at_k(ranks, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranks, 2) == pytest.approx(2 / 3)
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 1 / 2) / 3)


def test_ties_count_against_the_target():
    assert ranks_of(np.array([[0.5, 0.5, 0.5]]), np.array([0]))[0] == 3


def test_ndcg_and_precision_on_hand_made_grades():
    all_grades = [2, 1, 0, 0, 1]
    assert ndcg_at_k([2, 1, 1, 0, 0], all_grades, 5) == pytest.approx(1.0)
    worst = ndcg_at_k([0, 0, 1, 1, 2], all_grades, 5)
    expected = dcg([0, 0, 1, 1, 2]) / dcg([2, 1, 1, 0, 0])
    assert worst == pytest.approx(expected) and 0 < worst < 1
    assert dcg([2]) == pytest.approx(3.0)  # gain 2^2 - 1 at rank 1
    assert math.isnan(ndcg_at_k([0, 0], [0, 0, 0], 2))
    assert precision_at_k([2, 1, 0, 2], 4, 1) == pytest.approx(0.75)
    assert precision_at_k([2, 1, 0, 2], 4, 2) == pytest.approx(0.5)


def test_hit_rate_and_mrr_find_the_first_relevant():
    ranked = np.array([[5, 3, 9], [1, 2, 4]])
    hr, rr = hit_rate_and_mrr(ranked, [{3}, {7}], k=2)
    assert hr == pytest.approx(0.5) and rr == pytest.approx(0.25)


def test_text_to_music_metrics_use_the_pool_of_rows():
    embeddings = np.eye(4, dtype=np.float32)
    queries = np.eye(4, dtype=np.float32)[[2, 3, 0]]
    per_piece = [
        np.array([], dtype=np.int64),
        np.array([], dtype=np.int64),
        np.array([0]),
        np.array([1, 2]),
    ]
    metrics = text_to_music_metrics(queries, per_piece, np.array([2, 3]), embeddings)
    # query 0 -> piece 2 (rank 1), query 1 -> piece 3 (rank 1); query 2 is piece 0 (not in the
    # pool) and ties at 0 with both
    assert metrics["queries"] == 3 and metrics["R@1"] == pytest.approx(2 / 3, abs=1e-3)
