"""Retrieval metrics on hand-made rankings, the query set, and one end-to-end report."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from recommender.eval_same_tune import hit_rate_and_mrr, same_tune_pairs, title_half
from recommender.evaluate import (
    REPORT_NAME,
    BM25Scorer,
    EvalConfig,
    dcg,
    evaluate_retrieval,
    mrr,
    ndcg_at_k,
    precision_at_k,
    ranks_of,
    recall_at_k,
    summary_lines,
    text_to_music_metrics,
)
from recommender.queries import QUERIES, Query, form, mode, origin
from tests.test_train import fake_minilm as fake_minilm  # re-exported: a pytest fixture
from tests.test_train import make_data_dir

# --------------------------------------------------------------------------- metrics


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


# --------------------------------------------------------------------------- queries and BM25


def test_the_query_set_is_large_varied_and_graded_0_1_2():
    assert len(QUERIES) >= 30
    assert len({q.text for q in QUERIES}) == len(QUERIES)
    assert sum(len(q.facets) > 1 for q in QUERIES) >= 15
    jig = next(q for q in QUERIES if q.text == "a lively Irish jig")
    base = {
        "form": "jig",
        "origin": "Irish",
        "mode": "major",
        "tempo_text": "Allegro",
        "meter": "6/8",
    }
    assert jig.grade(base) == 2
    assert jig.grade({**base, "form": "reel"}) == 1
    assert jig.grade({"form": "folk song", "origin": "Chinese (Han)", "mode": "minor"}) == 0


def test_single_facet_queries_grade_two_or_zero():
    q = Query("hornpipe", (form("hornpipe"),))
    assert q.grade({"form": "hornpipe"}) == 2 and q.grade({"form": "jig"}) == 0
    two = Query("minor Irish", (mode("minor"), origin("Irish")))
    assert two.grade({"mode": "minor", "origin": "German"}) == 1


def test_bm25_ranks_documents_sharing_the_query_words_first():
    scorer = BM25Scorer(
        ["The Kesh jig oneills1850 Irish 6/8 G major", "Chorale bach 4/4 A minor", "Waltz 3/4"]
    )
    scores = scorer("irish jig in 6/8")
    assert int(np.argmax(scores)) == 0 and scores[1] == 0


# --------------------------------------------------------------------------- end to end


def test_report_has_every_section_and_is_saved(tmp_path, fake_minilm, monkeypatch):
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    make_data_dir(tmp_path / "data", steps=20)
    report = evaluate_retrieval(tmp_path / "data", EvalConfig(transposed_pieces=8))
    saved = json.loads((tmp_path / "home" / "bench" / REPORT_NAME).read_text())
    assert saved["encoder_id"] == report["encoder_id"]
    held = report["heldout_captions"]
    assert {"cantus", "bm25_metadata", "minilm_captions", "hybrid", "random"} <= set(held)
    assert held["cantus"]["queries"] > 0
    natural = report["natural_queries"]
    assert natural["queries"] == len(QUERIES) and natural["judged"] > 0
    assert set(natural["mean"]["cantus"]) == {"nDCG@10", "P@10_lenient", "P@10_strict"}
    copy = report["music_to_music"]["transposed_copy"]
    assert copy["pieces"] == 8 and 0 <= copy["cantus"]["rank1_rate"] <= 1
    assert "skipped" in report["music_to_music"]["same_tune"]  # synthetic titles name no tunes
    assert any(line.startswith("natural queries") for line in summary_lines(report))
    assert "corpus" in report["source_queries"]["skipped"]  # synthetic pieces have no files


def test_transposed_duplicates_count_as_the_same_music():
    from cantus.tokens import transpose_ids
    from recommender.evaluate import _canonical_windows, _duplicate_sets
    from tests.test_train import synthetic_catalog

    tunes = [np.asarray(t) for t in synthetic_catalog(3)["tokens"]]
    tunes.append(np.asarray(transpose_ids(tunes[0], 2)))  # row 3: row 0 in another key
    assert _duplicate_sets(tunes, [0]) == [{0}]
    assert _duplicate_sets(_canonical_windows(tunes, 64), [0]) == [{0, 3}]


def test_same_tune_pairs_need_a_tune_title_in_another_file():
    import pandas as pd

    rows = [
        ("The Kesh Jig", "oneills1850", "a.abc"),
        ("Kesh jig, The (2)", "ryansMammoth", "b.abc"),
        ("Et ascendit", "palestrina", "m1.krn"),  # mass sections share words, not music
        ("Et ascendit", "palestrina", "m2.krn"),
        ("Irish Air", "airdsAirs", "c.abc"),  # a kind of piece, not a tune
        ("Irish Air", "airdsAirs", "d.abc"),
        ("Lone Tune", "oneills1850", "a.abc"),
    ]
    catalog = pd.DataFrame(rows, columns=["title", "collection", "source"])
    halves = same_tune_pairs(catalog)
    half = title_half("kesh jig")
    assert halves[half] == ([0, 1], [{1}, {0}])
    other = "test" if half == "tune" else "tune"
    assert halves[other] == ([], [])
