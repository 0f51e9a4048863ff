"""Search with the lexical channel: a word in a title or genre label is never drowned, `why`
names it, and genre/region filters match any part of the value."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from recommender.engine import Engine, SearchConfig
from tests.test_engine import (
    KeywordEncoder,
    bag_of_words,
    caption_vectors,
    fake_describe,
    music_vectors,
    synthetic_catalog,
)


def _engine(w_lexical: float) -> Engine:
    catalog = synthetic_catalog(240)
    catalog["genre"] = ""
    catalog["genre_original"] = ""
    catalog["region"] = ""
    catalog["notes"] = ""
    catalog["lyrics"] = ""
    catalog.loc[19, ["title", "lyrics"]] = ["Agnus Dei", "Agnus Dei, qui tollis peccata mundi"]
    catalog.loc[17, ["title", "genre", "genre_original", "region"]] = [
        "Schlaf Kindlein", "children's song, lullaby", "Kinder -, Wiegen - Lied",
        "Germany, Silesia",
    ]  # fmt: skip
    catalog.loc[18, ["title", "region"]] = ["Lady Coventry's Minuet", "Scotland"]
    return _engine_of(catalog, SearchConfig(w_lexical=w_lexical))


def _engine_of(catalog, config: SearchConfig) -> Engine:
    """A keyword-encoder engine over ``catalog`` with caption vectors and bag-of-words text."""
    return Engine(
        catalog,
        music_vectors(catalog),
        KeywordEncoder(),
        caption_embeddings=caption_vectors(catalog),
        text_embedder=bag_of_words,
        config=config,
        describe=fake_describe,
    )


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine(1.0)


def test_a_title_word_ranks_its_piece_first_with_the_lexical_channel(engine):
    assert engine.search("Coventry", k=3)[0].title == "Lady Coventry's Minuet"
    assert "Coventry's" not in [h.title for h in _engine(0.0).search("Coventry", k=3)][:1]


def test_why_names_the_genre_label_and_its_english_word(engine):
    hit = engine.search("cradle song", k=1)[0]
    assert hit.title == "Schlaf Kindlein"
    assert "genre: Kinder -, Wiegen - Lied = children's song, lullaby" in hit.why


def test_why_names_the_title_and_region_words(engine):
    hit = engine.search("Silesia", k=1)[0]
    assert hit.title == "Schlaf Kindlein" and "region: Silesia" in hit.why


def test_a_lyric_line_finds_its_piece_and_why_names_it(engine):
    hit = engine.search("qui tollis peccata", k=1)[0]
    assert hit.title == "Agnus Dei" and "lyrics: qui tollis peccata" in hit.why


def test_why_quotes_a_title_as_the_source_spells_it(engine):
    hit = engine.search("lady coventrys minuet", k=1)[0]
    assert hit.title == "Lady Coventry's Minuet"
    assert "title: Lady Coventry's Minuet" in hit.why


def test_genre_and_region_filters_match_any_part(engine):
    hits = engine.search("tune", k=5, filters=["region=Silesia"])
    assert [h.title for h in hits] == ["Schlaf Kindlein"]
    hits = engine.search("tune", k=5, filters={"genre": "lullaby"})
    assert [h.title for h in hits] == ["Schlaf Kindlein"]


def test_a_region_nobody_has_lists_the_known_parts(engine):
    with pytest.raises(BadInput, match="Silesia"):  # as the catalog spells it (issue 13)
        engine.search("tune", filters=["region=Atlantis"])


def test_without_query_words_in_the_metadata_ranking_is_the_dense_one(engine):
    dense = _engine(0.0)
    assert [h.id for h in engine.search("melancholy", k=5)] == [
        h.id for h in dense.search("melancholy", k=5)
    ]


def _mass_engine(lexical_phrase: float) -> Engine:
    """A mass movement named by its parent mass, and two pieces the dense channel prefers
    (captions of the query's words) whose titles share one word each with the query."""
    catalog = synthetic_catalog(240)
    for column in ("genre", "genre_original", "region", "notes", "lyrics"):
        catalog[column] = ""
    catalog.loc[20, ["title", "notes"]] = ["Kyrie", "Missa O Rex gloriae Kyrie"]
    for row, title in ((21, "Domine Deus Rex"), (22, "O Haupt voll Blut")):
        catalog.loc[row, "title"] = title
        catalog.at[row, "captions"] = ["the mass o rex gloriae"]
    return _engine_of(catalog, SearchConfig(lexical_phrase=lexical_phrase))


def test_a_mass_named_whole_outranks_titles_sharing_one_of_its_words():
    query = "the mass O Rex gloriae"
    assert _mass_engine(0.0).search(query, k=1)[0].title == "Domine Deus Rex"  # the trap
    hit = _mass_engine(2.0).search(query, k=1)[0]
    assert hit.title == "Kyrie" and "notes: O Rex gloriae" in hit.why
