"""A query naming two needs (genre + region, genre + mood, genre + key) ranks the pieces that
meet both first (``recommender.fusion`` needs share, ``recommender.facets`` key facet)."""

from __future__ import annotations

import numpy as np

from recommender.engine import SearchConfig
from tests.test_engine import synthetic_catalog
from tests.test_search_lexical import _engine_of


def _catalog():
    catalog = synthetic_catalog(240)
    for column in ("genre", "genre_original", "region", "notes", "lyrics"):
        catalog[column] = ""
    return catalog


def test_a_stated_region_and_genre_rank_pieces_with_both_first():
    catalog = _catalog()
    lullabies = catalog.index[catalog["form"] == "lullaby"]
    german = [i for i in lullabies if catalog.at[i, "origin"] == "German"]
    irish = [i for i in lullabies if catalog.at[i, "origin"] == "Irish"]
    for i in irish:  # the dense channel prefers them a little, as it did the Yunnan lullaby
        catalog.at[i, "captions"] = [*catalog.at[i, "captions"], "lullaby"]
    irish_in_top = {}
    for w_needs in (0.5, 0.0):  # 0.0: the ranking before the needs channel
        engine = _engine_of(catalog, SearchConfig(w_needs=w_needs))
        top = [engine.row(h.id) for h in engine.search("a German lullaby", k=len(german))]
        irish_in_top[w_needs] = len(set(top) & set(irish))
    assert irish_in_top[0.5] == 0 < irish_in_top[0.0]


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


def test_needs_share_counts_facets_and_words_alike():
    from recommender.fusion import need_words, needs_share

    facets = [np.array([True, True, False])]
    has = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    assert np.allclose(needs_share(facets, has), [1.0, 2 / 3, 0.0])
    assert needs_share(facets, None) is None  # one need: nothing to cover
    assert need_words(["sad", "soldier", "s", "lullaby"]) == ["soldier", "lullaby"]
