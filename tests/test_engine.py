"""Engine ranking, filters, similar/nearest and input checks, on a synthetic catalog.

The encoder and sentence embedder here are small deterministic stand-ins (keyword directions and
hashed bags of words), so each test controls what "relevant" means and checks the engine's
plumbing: hybrid weighting, exact top-k, filtering, exclusions, errors. The real-model check is
the integration test at the bottom (skipped when the tiny build cannot run in this checkout).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cantus.errors import BadInput, MissingArtifact
from recommender.engine import (
    FILTER_FIELDS,
    HIT_FIELDS,
    Engine,
    Hit,
    SearchConfig,
    caption_matrix,
    parse_filters,
)
from recommender.facets import query_facets
from recommender.music_search import file_token_ids

D = 16  # music embedding size of the stand-ins
TEXT_DIM = 384
AXES = {"triple": 0, "duple": 1, "minor": 2, "major": 3, "unknown": 4}
WORDS = {"waltz": "triple", "minuet": "triple", "march": "duple", "reel": "duple",
         "melancholy": "minor", "sad": "minor", "happy": "major", "bright": "major"}  # fmt: skip
METER_AXIS = {"3/4": "triple", "2/4": "duple", "6/8": "duple"}
ABC_TUNE = "X:1\nT:Test Tune\nM:3/4\nL:1/8\nK:Am\nA2 c2 e2 | a4 g2 | e2 d2 c2 | A6 |]\n"


class KeywordEncoder:
    """Text → sum of keyword axes (no keyword: an axis no piece uses); tokens → hashed
    histogram. Counts its calls."""

    encoder_id = "kw-test-1"

    def __init__(self) -> None:
        self.text_calls = 0

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.text_calls += 1
        out = np.zeros((len(texts), D), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, AXES[WORDS.get(word, "unknown")]] += 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        out = np.zeros((len(ids), D), dtype=np.float32)
        for i, seq in enumerate(ids):
            np.add.at(out[i], np.asarray(seq) % D, 1.0)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """MiniLM stand-in: hashed bag of words, unit rows (N, 384)."""
    out = np.zeros((len(texts), TEXT_DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.lower().split():
            out[i, zlib.crc32(word.encode()) % TEXT_DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def synthetic_catalog(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    meters = rng.choice(["3/4", "2/4", "6/8"], n)
    modes = rng.choice(["minor", "major"], n)
    forms = np.where(rng.random(n) < 0.1, "lullaby", np.where(meters == "3/4", "waltz", "reel"))
    rows = []
    for i in range(n):
        tonic = "A" if modes[i] == "minor" else "D"
        rows.append({
            "id": f"m21:test/coll{i % 3}.abc#{i}", "source": f"test/coll{i % 3}.abc",
            "number": str(i), "collection": f"coll{i % 3}", "origin": ["Irish", "German"][i % 2],
            "title": f"Tune {i}", "composer": "", "meter": meters[i], "key": f"{tonic} {modes[i]}",
            "tonic": tonic, "mode": modes[i], "tempo_bpm": float("nan"), "form": forms[i],
            "sha1": f"{i:012x}", "captions": [f"a {forms[i]} in {modes[i]}", f"{meters[i]} tune"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def music_vectors(catalog: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """Each piece points along its meter and mode axes, plus noise in the other dimensions."""
    rng = np.random.default_rng(seed)
    x = 0.3 * rng.standard_normal((len(catalog), D)).astype(np.float32)
    x[:, :5] = 0.0
    for i, (meter, mode) in enumerate(zip(catalog["meter"], catalog["mode"], strict=True)):
        x[i, AXES[METER_AXIS[meter]]] = 1.0
        x[i, AXES[mode]] = 1.0
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def caption_vectors(catalog: pd.DataFrame) -> np.ndarray:
    return bag_of_words([" ".join(c) for c in catalog["captions"]])


def fake_describe(row: dict) -> str:
    return f"{row['meter']}, {row['key']}, {row['form']}"


def make_engine(config: SearchConfig | None = None, hybrid: bool = True, n: int = 240) -> Engine:
    catalog = synthetic_catalog(n)
    return Engine(
        catalog,
        music_vectors(catalog),
        KeywordEncoder(),
        caption_embeddings=caption_vectors(catalog) if hybrid else None,
        text_embedder=bag_of_words if hybrid else None,
        config=config,
        describe=fake_describe,
    )


@pytest.fixture(scope="module")
def engine() -> Engine:
    return make_engine()


# ----------------------------------------------------------------------------- search


def test_search_returns_k_hits_best_first(engine):
    hits = engine.search("melancholy waltz", k=10)
    assert len(hits) == 10 and all(isinstance(h, Hit) for h in hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert list(hits[0].to_dict()) == list(HIT_FIELDS)
    assert hits[0].why == fake_describe(engine.piece(hits[0].id))


def test_melancholy_waltz_finds_minor_triple_pieces(engine):
    hits = engine.search("melancholy waltz", k=10)
    assert all(h.meter == "3/4" and h.key.endswith("minor") for h in hits)


def test_hybrid_score_is_exact_weighted_cosine():
    engine = make_engine(SearchConfig(w_facets=0.0, w_lexical=0.0))  # the dense channel alone
    cfg = engine.config
    query = "sad lullaby"
    q_music = KeywordEncoder().encode_texts([query])[0]
    q_text = bag_of_words([query])[0]
    cap = caption_vectors(engine.catalog)
    brute = (cfg.w_contrastive * engine.embeddings @ q_music + cfg.w_caption * cap @ q_text) / (
        cfg.w_contrastive + cfg.w_caption
    )
    hits = engine.search(query, k=15)
    np.testing.assert_allclose([h.score for h in hits], np.sort(brute)[::-1][:15], atol=1e-4)
    assert {engine.row(h.id) for h in hits if h.score > np.sort(brute)[::-1][15] + 1e-4} <= set(
        np.argsort(-brute)[:15]
    )


def test_caption_part_finds_what_the_music_part_cannot():
    # "lullaby" means nothing to the keyword encoder; only the caption vectors know it
    # facets and the lexical channel know "lullaby" too: leave them out
    no_facets = SearchConfig(w_facets=0.0, w_lexical=0.0)
    hybrid = make_engine(no_facets)
    music_only = make_engine(no_facets, hybrid=False)
    is_lullaby = hybrid.catalog.set_index("id")["form"].eq("lullaby")
    share = {
        name: np.mean([is_lullaby[h.id] for h in eng.search("lullaby", k=10)])
        for name, eng in (("hybrid", hybrid), ("music", music_only))
    }
    assert share["hybrid"] == 1.0 and share["music"] < 0.5


def test_weights_change_the_ranking():
    caption_only = make_engine(SearchConfig(w_contrastive=0.0, w_caption=1.0))
    music_only = make_engine(SearchConfig(w_contrastive=1.0, w_caption=0.0))
    a = [h.id for h in caption_only.search("happy waltz", k=10)]
    b = [h.id for h in music_only.search("happy waltz", k=10)]
    assert a != b


def test_query_facets_use_the_caption_vocabulary():
    names = lambda q: [name for name, _ in query_facets(q)]  # noqa: E731
    assert names("melancholy waltz") == ["mode:minor", "pace:slow", "form:waltz"]
    assert names("a haunting tune") == ["mood:modal"]
    assert names("fast jig in D major") == ["form:jig", "pace:fast", "mode:major"]
    assert names("tune in triple time") == ["meter:3/4"]
    assert names("something nice") == []
    # a word inside a longer form name belongs to that form: a slip jig is no 6/8 jig
    assert names("slip jig") == ["form:slip jig"]
    assert names("a 9/8 jig") == ["form:slip jig", "meter:9/8"]


def test_facet_bonus_promotes_pieces_with_the_named_facts():
    # the keyword encoder knows "lullaby" not at all and the captions only weakly ("a lullaby
    # in minor" vs "3/4 tune"): the facet names it exactly
    plain = make_engine(SearchConfig(w_facets=0.0, w_caption=0.1, w_lexical=0.0))
    facets = make_engine(SearchConfig(w_facets=0.5, w_caption=0.1, w_lexical=0.0))
    share = {
        name: np.mean([h.why.endswith("lullaby") for h in eng.search("march or lullaby", k=10)])
        for name, eng in (("plain", plain), ("facets", facets))
    }
    assert share["facets"] > share["plain"] and share["facets"] == 1.0
    hits = facets.search("march or lullaby", k=10, filters={"mode": "major"})
    assert len(hits) == 10 and all(h.key.endswith("major") for h in hits)


def test_repeated_query_hits_the_cache():
    engine = make_engine()
    engine.search("sad march", k=3)
    calls = engine.encoder.text_calls
    engine.search("sad   march", k=5)  # same words, other spacing and k
    assert engine.encoder.text_calls == calls


def test_concurrent_searches_agree(engine):
    expected = [h.id for h in engine.search("bright reel", k=10)]
    results: list[list[str]] = []

    def worker() -> None:
        for _ in range(20):
            results.append([h.id for h in engine.search("bright reel", k=10)])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and all(r == expected for r in results)


# ---------------------------------------------------------------------------- filters


def test_filter_keeps_k_results_and_only_matches(engine):
    hits = engine.search("happy march", k=12, filters={"meter": "3/4", "mode": "minor"})
    assert len(hits) == 12  # the unfiltered top would be duple major pieces
    assert all(h.meter == "3/4" and h.key.endswith("minor") for h in hits)


def test_filter_strings_case_and_repeats(engine):
    hits = engine.search("waltz", k=20, filters=["MODE=Minor", "meter=2/4", "meter=6/8"])
    assert len(hits) == 20
    assert {h.meter for h in hits} <= {"2/4", "6/8"} and all("minor" in h.key for h in hits)


def test_selective_filter_returns_all_matches():
    engine = make_engine()
    only = engine.catalog["id"].iloc[5]
    engine.catalog.loc[5, "origin"] = "Breton"  # a single Breton piece
    engine._folded.clear()
    hits = engine.search("waltz", k=10, filters={"origin": "breton"})
    assert [h.id for h in hits] == [only]


def test_filters_on_approximate_index_still_fill_k():
    # exact_max=0 forces an HNSW index even for this small catalog
    engine = make_engine(SearchConfig(exact_max=0, factory="HNSW16"))
    assert not engine.index.is_exact
    hits = engine.search("happy march", k=15, filters={"form": "lullaby", "mode": "minor"})
    expected = int(
        ((engine.catalog["form"] == "lullaby") & (engine.catalog["mode"] == "minor")).sum()
    )
    assert len(hits) == min(15, expected) and all("minor" in h.key for h in hits)


def test_approximate_index_is_cached_and_reused(tmp_path):
    config = SearchConfig(exact_max=0, factory="IVF8,Flat", index_cache_dir=str(tmp_path))
    first = make_engine(config)
    (saved,) = tmp_path.glob("index-IVF8_Flat-*.faiss")
    assert first.index.meta.recall_at_10 >= 0.95 and "nprobe" in first.index.meta.params
    second = make_engine(config)  # same catalog and encoder: loaded, not rebuilt
    assert second.index.meta == first.index.meta
    assert [h.id for h in second.search("sad waltz")] == [h.id for h in first.search("sad waltz")]
    assert saved.stat().st_mtime_ns == next(tmp_path.glob("index-*.faiss")).stat().st_mtime_ns


def test_unknown_filter_field_lists_valid_ones(engine):
    with pytest.raises(BadInput, match="valid fields: " + ", ".join(FILTER_FIELDS)):
        engine.search("waltz", filters={"tempo": "fast"})


def test_filter_value_without_match_lists_known_values(engine):
    with pytest.raises(BadInput, match=r"meter=5/4.*2/4, 3/4, 6/8"):
        engine.search("waltz", filters=["meter=5/4"])


@pytest.mark.parametrize("bad", ["meter", "=3/4", "meter=", "meter 3/4"])
def test_malformed_filter_is_bad_input(bad):
    with pytest.raises(BadInput, match="FIELD=VALUE"):
        parse_filters([bad])


# ------------------------------------------------------------------- similar / nearest


def test_similar_by_id_excludes_itself_and_ranks_by_music(engine):
    pid = engine.catalog["id"].iloc[0]
    hits = engine.similar(pid, k=10)
    assert pid not in {h.id for h in hits} and len(hits) == 10
    cos = engine.embeddings @ engine.vector(pid)
    cos[0] = -np.inf
    np.testing.assert_allclose([h.score for h in hits], np.sort(cos)[::-1][:10], atol=1e-5)


def test_nearest_skips_excluded_ids(engine):
    vec = engine.vector(engine.catalog["id"].iloc[3])
    first = [h.id for h in engine.nearest(vec, k=5)]
    again = [h.id for h in engine.nearest(vec, k=5, exclude=[*first[:2], "not-an-id"])]
    assert not set(first[:2]) & set(again) and again[:3] == first[2:]


def test_similar_by_file_excludes_the_same_piece(tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text(ABC_TUNE)
    engine = make_engine()
    vec = KeywordEncoder().encode_ids([file_token_ids(path)])[0]
    catalog = engine.catalog.copy()
    catalog.loc[0, "sha1"] = __import__("hashlib").sha1(path.read_bytes()).hexdigest()[:12]
    vectors = engine.embeddings.copy()
    vectors[0] = vectors[1] = vec  # row 0 is this file; row 1 an identical tune elsewhere
    engine = Engine(catalog, vectors, engine.encoder, describe=fake_describe)
    hits = engine.similar(str(path), k=5)
    ids = [h.id for h in hits]
    assert catalog["id"].iloc[0] not in ids and ids[0] == catalog["id"].iloc[1]
    assert np.allclose(engine.embed_file(path), vec, atol=1e-6)


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


def test_piece_and_vector(engine):
    pid = engine.catalog["id"].iloc[7]
    assert engine.piece(pid)["title"] == "Tune 7"
    assert engine.piece(pid)["tempo_bpm"] is None  # NaN becomes None (JSON-friendly)
    assert engine.vector(pid).shape == (D,)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("query", ["", "   ", "\n\t", None])
def test_empty_query_is_bad_input(engine, query):
    with pytest.raises(BadInput, match="empty"):
        engine.search(query)


@pytest.mark.parametrize("k", [0, -1, 1001, 10**9, 2.5, "ten", None])
def test_bad_k_is_bad_input(engine, k):
    with pytest.raises(BadInput, match="k must be"):
        engine.search("waltz", k=k)
    with pytest.raises(BadInput, match="k must be"):
        engine.similar(engine.catalog["id"].iloc[0], k=k)


def test_unknown_id_is_bad_input(engine):
    with pytest.raises(BadInput, match="not a piece id or a readable file"):
        engine.similar("m21:nope.abc#1")
    with pytest.raises(BadInput, match="unknown piece id"):
        engine.piece("m21:nope.abc#1")


def test_garbage_and_unsupported_files_are_bad_input(engine, tmp_path):
    garbage = tmp_path / "broken.mid"
    garbage.write_bytes(b"MThd\x00\x00\x00\x06garbage" + bytes(range(40)))
    with pytest.raises(BadInput, match=r"broken\.mid"):
        engine.similar(str(garbage))
    text = tmp_path / "notes.txt"
    text.write_text("not music")
    with pytest.raises(BadInput, match=r"unsupported file type '\.txt'"):
        engine.similar(str(text))
    empty = tmp_path / "empty.abc"
    empty.write_text("X:1\nT:Nothing\nK:C\n")
    with pytest.raises(BadInput, match=r"empty\.abc"):
        engine.similar(str(empty))


def test_mismatched_parts_are_missing_artifacts():
    catalog = synthetic_catalog(10)
    with pytest.raises(MissingArtifact, match="cantus build"):
        Engine(catalog, music_vectors(catalog)[:9], KeywordEncoder())


def test_load_without_a_build_says_what_to_run(tmp_path):
    with pytest.raises(MissingArtifact, match="cantus build"):
        Engine.load(tmp_path)


def test_embeddings_from_another_encoder_are_refused(tmp_path):
    from recommender.engine import _read_embeddings

    np.save(tmp_path / "embeddings.npy", np.zeros((3, D), np.float16))
    (tmp_path / "embeddings.json").write_text('{"encoder_id": "old-enc", "dim": 16, "n": 3}')
    with pytest.raises(MissingArtifact, match=r"old-enc.*new-enc.*cantus build"):
        _read_embeddings(tmp_path, 3, "new-enc")
    with pytest.raises(MissingArtifact, match="3 embeddings for 4 catalog rows"):
        _read_embeddings(tmp_path, 4, "old-enc")
    assert _read_embeddings(tmp_path, 3, "old-enc").dtype == np.float32


# ------------------------------------------------------------------ caption embeddings


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


# ------------------------------------------------------------------------- integration


@pytest.mark.slow
def test_tiny_build_melancholy_waltz(tiny_data_dir):
    pytest.importorskip("recommender.encoder")
    engine = Engine.load(tiny_data_dir)
    hits = engine.search("melancholy waltz", k=10)
    assert len(hits) == 10
    minor = sum("minor" in h.key for h in hits)
    triple = sum(h.meter in ("3/4", "3/8", "3/2", "9/8") for h in hits)
    assert minor >= 6 and triple >= 6, [(h.key, h.meter) for h in hits]
    pid = hits[0].id
    assert pid not in {h.id for h in engine.similar(pid, k=5)}


def test_a_file_that_parses_too_long_is_bad_input(tmp_path, monkeypatch):
    from cantus import isolated
    from recommender import music_search as engine_module
    from tests.hostile_helpers import sleepy_file_ids

    path = tmp_path / "tune.abc"
    path.write_text(ABC_TUNE + "% slow\n")  # bytes no other test parsed (no cache hit)
    monkeypatch.setattr(engine_module, "FILE_PARSE_LIMIT_S", 1)
    monkeypatch.setattr(isolated, "child_file_ids", sleepy_file_ids)  # runs in the child
    with pytest.raises(BadInput, match="took longer than 1 s"):
        file_token_ids(path)


def test_channels_off_name_what_is_missing():
    assert (
        "melody" in make_engine().channels_off() and "caption" not in make_engine().channels_off()
    )
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
