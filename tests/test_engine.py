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
