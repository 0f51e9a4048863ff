"""A key named outright in a query is a facet: the pieces in that key rank first
(``recommender.facets.query_keys``)."""

from __future__ import annotations

from recommender.engine import SearchConfig
from tests.test_engine import synthetic_catalog
from tests.test_search_lexical import _engine_of


def _catalog():
    catalog = synthetic_catalog(240)
    for column in ("genre", "genre_original", "region", "notes", "lyrics"):
        catalog[column] = ""
    return catalog


def test_a_stated_key_ranks_pieces_in_that_key_first():
    catalog = _catalog()
    minor_reels = catalog.index[(catalog["form"] == "reel") & (catalog["mode"] == "minor")]
    e_minor = minor_reels[::2]  # half of the minor reels move to E minor
    catalog.loc[e_minor, ["tonic", "key"]] = ["E", "E minor"]
    engine = _engine_of(catalog, SearchConfig())
    query = "a reel in A minor"  # "a" is a stop word: only the key facet reads the tonic
    key_mask = engine._facet_masks(query)[-1]
    assert key_mask.sum() == ((catalog["tonic"] == "A") & (catalog["mode"] == "minor")).sum()
    hits = engine.search(query, k=5)  # without the key facet an E minor reel ranks first
    assert [h.key for h in hits] == ["A minor"] * 5
    assert [h.key for h in engine.search("a reel in E minor", k=5)] == ["E minor"] * 5
