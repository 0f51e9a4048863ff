"""Precomputed `similar` neighbours (``recommender.neighbours``) on a small synthetic engine:
the table's top-k is the live ranking's (ids, scores, `why`, ties by row), a changed catalog or
embedding never reads a stale table, and a k beyond the table ranks live."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from recommender.engine import Engine
from recommender.music_search import file_token_ids
from recommender.neighbours import build_neighbours, neighbours_key, save_neighbours, top_rows
from tests.test_engine import fake_describe, make_engine

N_ROWS = 40
WIDTH = 8  # a table narrower than the catalog, so k > WIDTH must rank live


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Catalog, embeddings and tokens of 40 rows: two real tunes, each transposed, so the
    melody cosines matter; rows 4 and 5 are exact copies (a tie for every query)."""
    from cantus.tokens import transpose_ids

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    music = Path(__file__).parent / "fixtures" / "music"
    tunes = [file_token_ids(music / n) for n in ("little_waltz.mid", "minor_air.musicxml")]
    tokens = [np.asarray(transpose_ids(tunes[i % 2], i % 5)) for i in range(N_ROWS)]
    base = make_engine(hybrid=False, n=N_ROWS)
    vectors = base.embeddings.copy()
    vectors[5], tokens[5] = vectors[4], tokens[4]
    return {"catalog": base.catalog, "vectors": vectors, "encoder": base.encoder, "tokens": tokens}


def _engine(parts: dict) -> Engine:
    return Engine(
        parts["catalog"], parts["vectors"], parts["encoder"], describe=fake_describe,
        melody_tokens=lambda: parts["tokens"],
    )  # fmt: skip


def _save_table(engine: Engine, width: int = WIDTH) -> None:
    from cantus import config

    ids = engine.catalog["id"].astype(str).tolist()
    table = build_neighbours(engine.embeddings, engine.melody_index(), n=width)
    save_neighbours(table, neighbours_key(ids, engine.embeddings), config.cantus_home() / "cache")


def _live(engine: Engine, pid: str, k: int) -> list:
    engine._neighbours, engine._neighbours_read = None, True  # no table: the live path
    return engine.similar(pid, k=k)


def test_table_top_k_equals_the_live_ranking(parts):
    _save_table(_engine(parts))
    served, live = _engine(parts), _engine(parts)
    assert served.neighbours() is not None
    ids = parts["catalog"]["id"].astype(str).tolist()
    for row in (0, 1, 4, 5, 17, 39):
        for k in (1, 3, WIDTH):
            got, want = served.similar(ids[row], k=k), _live(live, ids[row], k)
            assert [h.id for h in got] == [h.id for h in want]
            assert np.allclose([h.score for h in got], [h.score for h in want], atol=1e-5)
            assert [h.why for h in got] == [h.why for h in want]
            assert ids[row] not in {h.id for h in got} and len(got) == k
    # the copies tie for every other query: the lower row first, in both paths
    both = [[h.id for h in served.similar(p, k=WIDTH)] for p in ids if p not in ids[4:6]]
    both = [hits for hits in both if ids[4] in hits and ids[5] in hits]
    assert both and all(hits.index(ids[4]) + 1 == hits.index(ids[5]) for hits in both)


def test_a_changed_catalog_or_embedding_never_reads_the_table(parts, caplog):
    _save_table(_engine(parts))
    renamed = dict(parts, catalog=parts["catalog"].copy())
    renamed["catalog"].loc[3, "id"] = "m21:renamed#"  # e.g. after `cantus ingest`
    moved = dict(parts, vectors=parts["vectors"].copy())
    moved["vectors"][7] = -moved["vectors"][7]  # a new encoder, the same ids
    for changed in (renamed, moved):
        engine = _engine(changed)
        with caplog.at_level(logging.DEBUG, logger="recommender.neighbours"):
            assert engine.neighbours() is None
        assert "similar ranks live" in caplog.text
        pid = str(changed["catalog"]["id"].iloc[3])
        assert [h.id for h in engine.similar(pid, k=5)] == [
            h.id for h in _live(_engine(changed), pid, 5)
        ]


def test_k_beyond_the_table_ranks_live(parts, caplog, monkeypatch):
    _save_table(_engine(parts))
    engine = _engine(parts)
    live_calls = []
    ranked = engine._similar
    monkeypatch.setattr(
        engine, "_similar", lambda *a, **kw: live_calls.append(1) or ranked(*a, **kw)
    )
    pid = str(parts["catalog"]["id"].iloc[2])
    engine.similar(pid, k=WIDTH)
    assert live_calls == []  # served from the table
    with caplog.at_level(logging.DEBUG, logger="recommender.music_search"):
        hits = engine.similar(pid, k=WIDTH + 4)
    assert live_calls == [1] and "ranked live" in caplog.text and len(hits) == WIDTH + 4
    assert [h.id for h in hits] == [h.id for h in _live(_engine(parts), pid, WIDTH + 4)]


def test_a_table_as_wide_as_the_catalog_serves_every_k(parts):
    engine = _engine(parts)
    _save_table(engine, width=N_ROWS + 10)  # clipped to the 39 other rows
    served = _engine(parts)
    assert served.neighbours().serves(500)
    pid = str(parts["catalog"]["id"].iloc[9])
    assert [h.id for h in served.similar(pid, k=500)] == [
        h.id for h in _live(_engine(parts), pid, 500)
    ]


def test_top_rows_orders_ties_by_row_even_across_the_cut():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1, 0.5])
    assert top_rows(scores, 3).tolist() == [1, 3, 0]
    assert top_rows(scores, 4).tolist() == [1, 3, 0, 2]
    assert top_rows(scores, 0).tolist() == []


def test_the_install_step_builds_the_table_the_engine_reads(tiny_data_dir, tmp_path, monkeypatch):
    """``build_shared_neighbours`` (``make install``) and ``Engine.neighbours`` agree on the key:
    after the build, ``similar`` of the tiny build reads the table and ranks as live."""
    from recommender import query_text
    from recommender.neighbours import build_shared_neighbours

    shared = tmp_path / "shared"
    monkeypatch.setenv("CANTUS_ARTIFACTS", str(tiny_data_dir))
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(query_text, "shared_cache_dir", lambda: shared)
    assert Engine.load(tiny_data_dir).neighbours() is None  # nothing built yet
    path = build_shared_neighbours()
    assert path is not None and path.parent == shared
    engine = Engine.load(tiny_data_dir)
    assert engine.neighbours() is not None
    for row in (0, 3, 7):
        piece = str(engine.catalog["id"].iloc[row])
        live = engine._similar(engine.embeddings[row], 10, (piece,), row=row)
        assert [h.id for h in engine.similar(piece, k=10)] == [h.id for h in live]
