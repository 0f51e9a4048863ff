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
    a_minor = [i for i in minor_reels if i not in set(e_minor)]
    engine = _engine_of(catalog, SearchConfig())
    top = [engine.row(h.id) for h in engine.search("a reel in A minor", k=len(a_minor))]
    assert sorted(top) == sorted(a_minor)
    hits = engine.search("a reel in E minor", k=len(e_minor))
    assert {h.key for h in hits} == {"E minor"}
