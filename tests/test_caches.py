"""Derived caches under $CANTUS_HOME keep one copy, not one per ingest (issue 13, item 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cantus.config import prune_cache
from recommender.engine import Engine, caption_matrix
from recommender.music_search import file_token_ids
from tests.test_engine import bag_of_words, fake_describe, make_engine, synthetic_catalog

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


def test_caption_matrix_is_cached_per_catalog(tmp_path, monkeypatch):
    from cantus.catalog import rows_to_frame, save_catalog

    frame = synthetic_catalog(12)
    rows = []
    for rec in frame.to_dict("records"):
        rec.update(caption_families=["form", "meter"], tokens=[1, 2], n_tokens=2, text="", bars=4)
        rec.update(composer="", tempo_text="", key_confidence=1.0, seconds=1.0, pitch_low=60)
        rec.update(pitch_high=72, ambitus=12, n_notes=8, note_density=1.0, parts=1)
        rec.update(genre="", genre_original="", region="", notes="", lyrics="")
        rows.append(rec)
    save_catalog(rows_to_frame(rows), tmp_path / "catalog.parquet")
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return bag_of_words(texts)

    first = caption_matrix(tmp_path, frame, counting)
    second = caption_matrix(tmp_path, frame, counting)
    assert calls == [24] and (tmp_path / "caption_embeddings.npy").is_file()
    np.testing.assert_allclose(first, second, atol=1e-3)  # cached as float16
    expected = np.stack([bag_of_words(caps).mean(0) for caps in frame["captions"]])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(first, expected, atol=1e-3)  # unit mean of the caption vectors
    # same ids, other captions (a user catalog re-captioned): re-embedded, never the stale cache
    changed = rows_to_frame(
        [{**r, "captions": [c + " again" for c in r["captions"]]} for r in rows]
    )
    save_catalog(changed, tmp_path / "catalog.parquet")
    third = caption_matrix(tmp_path, frame, counting)
    assert calls == [24, 24]
    fresh = np.stack([bag_of_words([c + " again" for c in c_]).mean(0) for c_ in frame["captions"]])
    fresh /= np.linalg.norm(fresh, axis=1, keepdims=True)
    np.testing.assert_allclose(third, fresh, atol=1e-3)
