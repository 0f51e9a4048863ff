"""Retrieval metrics on hand-made rankings, the query set, and one end-to-end report."""

from __future__ import annotations

import json

import numpy as np

from recommender.eval_data import EvalConfig
from recommender.eval_text import BM25Scorer
from recommender.evaluate import REPORT_NAME, evaluate_retrieval, summary_lines
from recommender.queries import QUERIES, Query, form, mode, origin
from tests.test_train import fake_minilm as fake_minilm  # re-exported: a pytest fixture
from tests.test_train import make_data_dir

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


def test_engine_hits_outside_the_evaluated_catalog_are_an_error_naming_them():
    """A hit the evaluated catalog lacks (an ingested user piece) is never dropped quietly."""
    import pytest

    from recommender.eval_text import checked_hits
    from tests.test_engine import make_engine

    engine = make_engine(n=20)
    hits = [engine.search("waltz", k=3)]
    rows = {pid: i for i, pid in enumerate(engine.catalog["id"])}
    assert checked_hits(hits, rows) == hits
    del rows[hits[0][1].id]
    with pytest.raises(ValueError, match="not in the evaluated catalog") as err:
        checked_hits(hits, rows)
    assert hits[0][1].id in str(err.value)


def test_source_queries_refuse_an_engine_without_its_caption_channel():
    import pytest

    from recommender.eval_search import evaluate_source_queries
    from tests.test_engine import make_engine

    with pytest.raises(ValueError, match="caption channel, which is off"):
        evaluate_source_queries(make_engine(hybrid=False, n=20))


def test_an_encoder_config_without_its_training_settings_is_an_error(tmp_path):
    """The MiniLM-captions baseline reads the captions the encoder trained on; no defaults."""
    import pytest

    from cantus.errors import MissingArtifact
    from recommender.eval_data import EvalData
    from recommender.eval_text import _training_captions

    data = EvalData(tmp_path, None, None, np.zeros((0, 4)), np.zeros(0, bool), (), {})
    with pytest.raises(MissingArtifact, match="has no 'train'"):
        _training_captions(data, tmp_path)
