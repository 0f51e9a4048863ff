"""The twelfth stop's lexical rules: a query naming no facet weighs the sources' words more,
English chorale names are phrases, "Dominic" is no "Domine", and a query of function words only
says that no word was read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cantus.errors import BadInput
from cantus.metadata import title_english
from recommender.lexical import LexicalIndex, _pairs, tokens
from recommender.lexical_tokens import query_tokens, word_pairs
from recommender.search_types import SearchConfig
from recommender.text_search import (
    NO_LATIN_NOTE,
    NO_LETTERS_NOTE,
    NO_WORD_NOTE,
    UNKNOWN_WORDS_NOTE,
)
from tests.test_search_lexical import _engine


@pytest.fixture(scope="module")
def engine():
    return _engine(0.5)


def test_a_query_naming_no_facet_weighs_the_lexical_channel_by_w_lexical_alone():
    config = SearchConfig(w_lexical=0.5, w_lexical_alone=1.5)
    assert config.lexical_weight(facets=True) == 0.5
    assert config.lexical_weight(facets=False) == 1.5
    with pytest.raises(ValueError, match="finite"):
        SearchConfig(w_lexical_alone=-1.0)


def test_a_larger_w_lexical_alone_lifts_a_title_word_over_dense_neighbours(engine):
    scores = {}
    for alone in (0.0, 4.0):
        engine.config = dataclasses.replace(engine.config, w_lexical_alone=alone)
        hits = engine.search("Coventry", k=240)
        scores[alone] = [h.title for h in hits].index("Lady Coventry's Minuet")
    engine.config = SearchConfig(w_lexical=0.5)
    assert scores[4.0] == 0 and scores[0.0] > 0


def test_english_names_of_a_chorale_are_phrases_read_name_by_name():
    found = _pairs({"title": "Wachet auf, ruft uns die Stimme"})
    assert "night flying" in found  # "Wake, Awake, for Night Is Flying (Sleepers, Wake)"
    assert "flying sleeper" not in found  # no pair across two names of the list
    assert "fortress mighti" not in _pairs({"title": "Ein feste Burg"})
    assert "mighti fortress" in _pairs({"title": "Ein feste Burg"})


def test_a_comma_inside_an_english_name_keeps_its_pairs_and_a_list_splits_at_semicolons():
    found = _pairs({"title": "O Haupt voll Blut und Wunden"})
    assert "head wound" in found  # "O Sacred Head, Now Wounded": one name, comma inside
    found = _pairs({"title": "Missa Veni Creator Spiritus"})
    assert "whitsun holi" not in found and "holi spirit" in found  # "Pentecost; Whitsun; ..."


def test_only_bachs_wachet_auf_is_sleepers_wake_not_a_journeymans_song():
    assert title_english("Wachet auf, ruft uns die Stimme (BWV 140.7)")
    assert title_english("WACHET AUF WACHET AUF") == []


def test_the_saint_dominic_is_no_latin_domine_and_biblical_is_bible():
    assert tokens("Dominic") != tokens("Domine")
    assert tokens("Dominic's") == ["dominic", "s"]
    assert tokens("biblical") == tokens("Bible") == tokens("bibles")
    index = LexicalIndex.build([{"title": "Domine Deus"}, {"title": "St Dominic's Reel"}])
    scores, terms = index.scores("Dominic")
    assert terms == ["dominic"] and int(np.argmax(scores)) == 1 and scores[0] == 0


def test_a_query_no_word_of_which_was_read_says_why(engine):
    for query in ("the of and", "der und das", "\x01 the \x02", "I am looking for something"):
        hits = engine.search(query, k=3)
        assert len(hits) == 3 and all(NO_WORD_NOTE in h.why for h in hits), query
    for query, note in (
        ("茉莉花", NO_LATIN_NOTE),
        ("Молитва", NO_LATIN_NOTE),
        ("!!!", NO_LETTERS_NOTE),
        ("zzqx", UNKNOWN_WORDS_NOTE),
    ):
        hits = engine.search(query, k=3)
        assert hits and all(note in h.why for h in hits), query
    # a query with a word the catalog has carries no such note
    assert not any("note: " in h.why for h in engine.search("Coventry", k=3))
    # with the lexical channel off no word is read, and no note says the catalog lacks them
    engine.config = dataclasses.replace(engine.config, w_lexical=0.0)
    try:
        assert not any("note: " in h.why for h in engine.search("zzqx", k=3))
    finally:
        engine.config = SearchConfig(w_lexical=0.5)


def test_stop_words_are_dropped_as_typed_not_only_as_stemmed():
    # "something" stems to "someth", "melody" to "melodi", "looking" to "look": no stop word
    # spells those stems, so checking only the stem kept them as topics
    assert query_tokens("I am looking for something") == []
    assert query_tokens("please play something by Bach") == ["bach"]
    assert query_tokens("a melody from Ireland") == ["ireland"]
    assert word_pairs("a melody from Ireland") == []
    # a content word whose stem meets a stop word's stem keeps its meaning
    assert query_tokens("Look before you") == ["look"] and query_tokens("at noon") == ["noon"]


def test_hostile_queries_still_fail_in_one_line(engine):
    for query in ("", "   ", "x" * 10_000):
        with pytest.raises(BadInput) as info:
            engine.search(query, k=3)
        assert "\n" not in str(info.value)
