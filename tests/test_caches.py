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
