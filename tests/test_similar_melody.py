"""`similar`'s melody channel on the synthetic engine: a transposed copy found by its melody,
the melody's own candidates past ``exact_max``, channels that are off, and the `why` cosines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recommender.engine import Engine, SearchConfig
from recommender.music_search import file_token_ids
from tests.test_engine import (
    ABC_TUNE,
    KeywordEncoder,
    caption_vectors,
    fake_describe,
    make_engine,
    music_vectors,
    synthetic_catalog,
)


def _tune_and_its_copy(tmp_path: Path) -> tuple[Path, Engine, list[np.ndarray]]:
    """A tune file, an engine whose row 1 is row 0 transposed with an orthogonal embedding
    (the embedding alone ranks it low), and the rows' tokens."""
    from cantus.tokens import transpose_ids

    music = Path(__file__).parent / "fixtures" / "music"
    others = [file_token_ids(music / name) for name in ("little_waltz.mid", "minor_air.musicxml")]
    path = tmp_path / "tune.abc"
    path.write_text(ABC_TUNE)
    tune = file_token_ids(path)
    base = make_engine(hybrid=False, n=40)
    tokens = [np.asarray(others[i % 2]) for i in range(40)]
    tokens[0], tokens[1] = np.asarray(tune), np.asarray(transpose_ids(tune, 3))
    vectors = base.embeddings.copy()
    v0 = vectors[0] / np.linalg.norm(vectors[0])
    other = np.roll(v0, 1) - (np.roll(v0, 1) @ v0) * v0
    vectors[1] = other / np.linalg.norm(other)
    return path, Engine(base.catalog, vectors, base.encoder, describe=fake_describe), tokens


def test_similar_fuses_melody_so_a_transposed_tune_ranks_first(tmp_path, monkeypatch):
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    path, base, tokens = _tune_and_its_copy(tmp_path)
    calls = []

    def read_tokens() -> list[np.ndarray]:
        calls.append(1)
        return tokens

    def build(melody):
        return Engine(base.catalog, base.embeddings, base.encoder, describe=fake_describe, **melody)

    pid, copy = base.catalog["id"].iloc[0], base.catalog["id"].iloc[1]
    assert build({}).similar(pid, k=10)[0].id != copy
    fused = build({"melody_tokens": read_tokens})
    hits = fused.similar(pid, k=10)
    assert hits[0].id == copy and pid not in {h.id for h in hits}
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert fused.similar(str(path), k=3)[0].id in {pid, copy}  # a file, embedded on the fly
    build({"melody_tokens": read_tokens}).melody_index()  # a second engine reads the cache
    assert calls == [1]


def test_similar_beyond_exact_max_takes_the_melodys_candidates_too(tmp_path, monkeypatch):
    """Past ``exact_max`` the music index proposes a few candidates; the copy is not among
    them (its embedding is orthogonal), so only the melody's own candidates can find it."""
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    _, base, tokens = _tune_and_its_copy(tmp_path)
    config = SearchConfig(exact_max=0, factory="Flat", rerank_pool=1)
    engine = Engine(
        base.catalog, base.embeddings, base.encoder, config=config, describe=fake_describe,
        melody_tokens=lambda: tokens,
    )  # fmt: skip
    pid, copy = base.catalog["id"].iloc[0], base.catalog["id"].iloc[1]
    music_only = Engine(base.catalog, base.embeddings, base.encoder, config=config)
    assert copy not in {h.id for h in music_only.similar(pid, k=4)}
    assert engine.similar(pid, k=1)[0].id == copy


def test_channels_off_name_what_is_missing():
    off = make_engine().channels_off()
    assert "melody" in off and "caption" not in off
    catalog = synthetic_catalog(20)
    no_embedder = Engine(
        catalog,
        music_vectors(catalog),
        KeywordEncoder(),
        caption_embeddings=caption_vectors(catalog),
    )
    assert "MiniLM query embedder" in no_embedder.channels_off()["caption"]


def test_similar_why_gives_the_cosines_it_uses(tmp_path, monkeypatch):
    """The transposed copy is found by its melody, and `why` says so with the cosines used."""
    from recommender.melody import MELODY_WEIGHT

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    _, base, tokens = _tune_and_its_copy(tmp_path)
    engine = Engine(
        base.catalog, base.embeddings, base.encoder, describe=fake_describe,
        melody_tokens=lambda: tokens,
    )  # fmt: skip
    pid = base.catalog["id"].iloc[0]
    hit = engine.similar(pid, k=1)[0]
    melody = float(engine.melody_index().cosines(engine.melody_index().matrix[0])[1])
    music = float(engine.vector(hit.id) @ engine.vector(pid))
    assert f"melody n-grams: cosine {melody:.2f}" in hit.why
    assert f"music embedding: cosine {music:.2f}" in hit.why
    assert "alike" not in hit.why
    assert hit.why.startswith(fake_describe(engine.piece(hit.id)))
    assert hit.score == pytest.approx((music + MELODY_WEIGHT * melody) / (1 + MELODY_WEIGHT))
    assert "melody" not in base.similar(pid, k=1)[0].why  # no melody channel, no such claim


@pytest.mark.parametrize(("below", "same"), [(0.006, False), (0.004, True), (-0.4, True)])
def test_similar_why_says_same_melody_only_from_the_tuned_cosine(below, same):
    """Around SAME_MELODY_COSINE as printed (two decimals), and the 0.11 of issue 10 is no
    "same melody"."""
    from recommender.music_search import SAME_MELODY_COSINE, melody_why

    assert not melody_why(0.11, 0.85).startswith("same melody")
    melody = SAME_MELODY_COSINE - below
    why = melody_why(melody, 0.85)
    assert why.startswith(f"same melody (melody n-grams: cosine {melody:.2f}), ") is same
    assert f"melody n-grams: cosine {melody:.2f}" in why and "music embedding: cosine 0.85" in why
    assert "alike" not in why


def test_similar_why_without_shared_ngrams_names_only_the_music_cosine():
    from recommender.music_search import melody_why

    assert melody_why(0.0, 0.85) == "music embedding: cosine 0.85 (no melody n-gram shared)"
