"""The lexical rules of the twelfth stop's second round: a query naming forms only weighs the
sources' words as one naming no facet (a form's name is a word the lexical channel reads too);
one that says what a piece is about or named for weighs them by w_lexical_topic; the tuning grid
tries w_lexical_alone."""

from __future__ import annotations

import dataclasses

import pytest

from recommender.eval_search import _fused_top
from recommender.facets import names_musical_facet, names_topic
from recommender.search_types import SearchConfig
from tests.test_search_lexical import _engine


@pytest.fixture(scope="module")
def engine():
    return _engine(0.5)


@pytest.mark.parametrize(
    ("query", "musical"),
    [
        ("a ballad about a king's daughter", False),
        ("a madrigal by Jacopo da Bologna", False),
        ("Coventry minuet", False),
        ("Coventry", False),
        ("a sad ballad", True),  # a mood
        ("a fast reel", True),  # a pace
        ("a minuet in 3/4", True),  # a meter
        ("a jig in D", True),  # a key
    ],
)
def test_a_form_is_no_musical_facet_but_mood_pace_meter_and_key_are(query, musical):
    assert names_musical_facet(query) is musical


def _scores(engine, query: str, alone: float) -> list[tuple[str, float]]:
    engine.config = dataclasses.replace(engine.config, w_lexical_alone=alone)
    try:
        return [(h.id, round(h.score, 9)) for h in engine.search(query, k=10)]
    finally:
        engine.config = SearchConfig(w_lexical=0.5)


def test_a_form_only_query_is_weighed_by_w_lexical_alone_a_mood_query_is_not(engine):
    # "minuet" names a form only: w_lexical_alone moves its ranking's scores
    assert _scores(engine, "Coventry minuet", 0.1) != _scores(engine, "Coventry minuet", 3.0)
    # "sad" names a mood: w_lexical weighs it, whatever w_lexical_alone is
    sad = "a sad Coventry minuet"
    assert _scores(engine, sad, 0.1) == _scores(engine, sad, 3.0)


def test_search_and_the_tuning_fusion_weigh_facet_free_form_and_mood_queries_alike(engine):
    # the tuning grid checks its best point against search and refuses a mismatch
    queries = ("Coventry minuet", "a sad Coventry minuet", "lullaby Silesia", "Agnus Dei in 3/4")
    for alone in (0.0, 0.1, 0.7, 3.0):
        engine.config = dataclasses.replace(engine.config, w_lexical_alone=alone)
        try:
            for query in (*queries, "cradle song Silesia"):
                served = [engine.row(h.id) for h in engine.search(query, k=10)]
                grid = _fused_top(engine, query, engine.config, {})
                rows = grid(engine.config.w_lexical, engine.config.w_facets)
                assert served == list(rows), (alone, query)
        finally:
            engine.config = SearchConfig(w_lexical=0.5)


def test_the_tuning_grid_tries_w_lexical_alone(monkeypatch):
    # "Coventry" names no facet: only w_lexical_alone moves it, and the grid finds the value
    # that puts Lady Coventry's Minuet (row 18) first
    import numpy as np

    import recommender.eval_search as eval_search
    from recommender.source_queries import SourceQuery

    assert "w_lexical_alone" in eval_search.GRID
    grid = {k: v[:1] for k, v in eval_search.GRID.items()}
    grid.update({"w_lexical": (0.5,), "w_lexical_alone": (0.0, 4.0)})
    monkeypatch.setattr(eval_search, "GRID", grid)
    engine = _engine(0.5)
    query = SourceQuery("Coventry", "dance", ())
    grades = np.zeros(len(engine.catalog))
    grades[18] = 2.0
    monkeypatch.setattr(eval_search, "split", lambda: {"tune": [query], "test": []})
    tuned, trials = eval_search.tune_weights(engine, [query], {query.text: grades})
    assert len(trials) == 2 and tuned["w_lexical_alone"] == 4.0
    assert trials[0]["nDCG@10"] < 1.0 == trials[1]["nDCG@10"]
    assert engine.config.w_lexical_alone == 0.7  # the engine's own settings are restored


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("a song about a widow", True),
        ("a tune named for a young lady (Miss ...)", True),
        ("a reel named after a town", True),
        ("ABOUT the Rhine", True),
        ("a roundabout dance", False),  # a word, not the phrasing
        ("a tune for the fiddle", False),
        ("named", False),
        ("a tune from about 1800", False),  # an approximate date, no topic
        ("music from about the 1800s", False),
        ("a piece about c. 1750", False),
        ("about twenty minutes of music", False),
        ("what about a waltz", False),  # a suggestion
        ("a piece about-face", False),
        ("a song about the sea", True),
    ],
)
def test_a_topic_is_what_a_query_says_a_piece_is_about_or_named_for(query, topic):
    assert names_topic(query) is topic


def test_a_topic_query_naming_no_musical_facet_weighs_words_by_w_lexical_topic():
    config = SearchConfig(w_lexical=0.5, w_lexical_alone=0.7, w_lexical_topic=1.5)
    assert config.lexical_weight(facets=False, topic=True) == 1.5
    assert config.lexical_weight(facets=False, topic=False) == 0.7
    assert config.lexical_weight(facets=True, topic=True) == 0.5  # a mood keeps w_lexical
    assert SearchConfig(w_lexical_alone=2.0, w_lexical_topic=1.0).lexical_weight(False, True) == 2.0
    with pytest.raises(ValueError, match="finite"):
        SearchConfig(w_lexical_topic=-1.0)


def test_search_weighs_a_topic_query_by_w_lexical_topic_and_tuning_alike(engine):
    def ranked(query: str, topic: float) -> list[tuple[str, float]]:
        engine.config = dataclasses.replace(engine.config, w_lexical_topic=topic)
        try:
            served = [engine.row(h.id) for h in engine.search(query, k=10)]
            rows = _fused_top(engine, query, engine.config, {})(0.5, engine.config.w_facets)
            assert served == list(rows), (query, topic)
            return [(h.id, round(h.score, 9)) for h in engine.search(query, k=10)]
        finally:
            engine.config = SearchConfig(w_lexical=0.5)

    assert ranked("a tune about Coventry", 0.1) != ranked("a tune about Coventry", 3.0)
    assert ranked("a tune from Coventry", 0.1) == ranked("a tune from Coventry", 3.0)
    sad = "a sad minuet about Coventry"  # names a mood: w_lexical weighs it
    assert ranked(sad, 0.1) == ranked(sad, 3.0)
