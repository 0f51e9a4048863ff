"""Derived caches under $CANTUS_HOME keep one copy, not one per ingest (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cantus.config import prune_cache
from recommender.engine import Engine
from recommender.music_search import file_token_ids
from tests.test_engine import fake_describe, make_engine

MUSIC = Path(__file__).parent / "fixtures" / "music"


def test_prune_cache_keeps_the_named_file_only(tmp_path) -> None:
    for name in ("melody-a.pkl", "melody-b.pkl", "melody-c.pkl", "other.pkl"):
        (tmp_path / name).write_bytes(b"x")
    assert prune_cache(tmp_path / "melody-b.pkl", "melody-*.pkl") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["melody-b.pkl", "other.pkl"]


def test_a_changed_catalog_replaces_the_melody_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    tune = np.asarray(file_token_ids(MUSIC / "little_waltz.mid"))
    cache = tmp_path / "home" / "cache"
    for n in (30, 31, 32):  # three catalogs, as after three ingests
        base = make_engine(hybrid=False, n=n)
        engine = Engine(
            base.catalog,
            base.embeddings,
            base.encoder,
            describe=fake_describe,
            melody_tokens=lambda n=n: [tune] * n,
        )
        assert engine.melody_index() is not None
        assert len(list(cache.glob("melody-*.pkl"))) == 1


def test_a_new_home_reads_the_shared_melody_index(tmp_path, monkeypatch) -> None:
    """`make install` puts the shipped catalog's index in the venv: a new home reads it and
    never parses tokens (nor imports the tokenizer) for its first `similar`."""
    from recommender import engine_data

    shared = tmp_path / "venv-share"
    monkeypatch.setattr(engine_data, "shared_cache_dir", lambda: shared)
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    tune = np.asarray(file_token_ids(MUSIC / "little_waltz.mid"))
    base = make_engine(hybrid=False, n=12)
    ids = base.catalog["id"].astype(str)
    built = engine_data._cached_melody_index(ids, lambda: [tune] * 12, shared)
    engine = Engine(
        base.catalog,
        base.embeddings,
        base.encoder,
        describe=fake_describe,
        melody_tokens=lambda: 1 / 0,  # reading tokens would fail the test
    )
    found = engine.melody_index()
    assert (found.matrix != built.matrix).nnz == 0
    assert not (tmp_path / "home" / "cache").exists() or not any(
        (tmp_path / "home" / "cache").glob("melody-*.pkl")
    )


def test_a_new_home_reads_the_shared_bm25_index(tmp_path, monkeypatch) -> None:
    from cantus.caption_evidence import COLLECTION_NAMES
    from recommender import text_search as engine_module
    from recommender.engine import SearchConfig
    from recommender.lexical import LexicalIndex, data_key

    shared = tmp_path / "venv-share"
    base = make_engine(SearchConfig(index_cache_dir=str(tmp_path / "home-index")), n=24)
    key = data_key(base.catalog)
    built = LexicalIndex.build(base.catalog.to_dict("records"), COLLECTION_NAMES)
    built.save(shared / f"lexical-{key}.npz", key)  # what `make install` does
    monkeypatch.setattr(engine_module, "shared_cache_dir", lambda: shared)

    def no_build(*args, **kwargs):
        raise AssertionError("the shared BM25 index was not used")

    monkeypatch.setattr(LexicalIndex, "build", no_build)
    scores, terms = base.lexical_index().scores("waltz")
    want, want_terms = built.scores("waltz")
    assert terms and terms == want_terms and np.allclose(scores, want)
    assert not (tmp_path / "home-index").exists()
