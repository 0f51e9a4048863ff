"""The vector store behind ``CANTUS_VECTORS``: FAISS in-process vs Milvus (Lite, in-process).

Milvus Lite stands in for a Milvus server here: the same ``pymilvus`` client code talks to both.
The default-corpus test checks that search, similar and recommend give the same top-10 with
FAISS exact and Milvus FLAT on the shipped artifacts, starting from an empty store.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cantus.errors import BadInput
from recommender.engine import Engine
from recommender.vectors import (
    SETTING,
    MilvusStore,
    collection_name,
    configured_store,
    connect,
    filter_expression,
    vectors_setting,
)
from tests.test_engine import (
    KeywordEncoder,
    bag_of_words,
    caption_vectors,
    fake_describe,
    music_vectors,
    synthetic_catalog,
)

pytest.importorskip("pymilvus", reason="Milvus tests need the cantus[scale] extra")
pytest.importorskip("milvus_lite", reason="Milvus Lite tests need the cantus[scale] extra")

REPO = Path(__file__).resolve().parent.parent


def _engine(catalog, monkeypatch=None, uri: str | None = None) -> Engine:
    if monkeypatch is not None:
        if uri is None:
            monkeypatch.delenv(SETTING, raising=False)
        else:
            monkeypatch.setenv(SETTING, f"milvus:{uri}")
    return Engine(
        catalog,
        music_vectors(catalog),
        KeywordEncoder(),
        caption_embeddings=caption_vectors(catalog),
        text_embedder=bag_of_words,
        describe=fake_describe,
    )


def _ids(hits) -> list[str]:
    return [h.id for h in hits]


def _assert_same_top(got, expected, tol: float = 1e-4) -> None:
    """Same ranking, tolerating ties: where ids differ, the scores are equal, and the id is
    one the reference ranks with the same score (or ties with its last, cut-off score)."""
    assert len(got) == len(expected)
    g_scores = np.array([h.score for h in got])
    e_scores = np.array([h.score for h in expected])
    assert np.allclose(g_scores, e_scores, atol=tol), (g_scores, e_scores)
    by_id = {h.id: h.score for h in expected}
    for hit, ref in zip(got, expected, strict=True):
        if hit.id != ref.id:
            tied = hit.id in by_id and abs(by_id[hit.id] - hit.score) < tol
            assert tied or abs(hit.score - e_scores[-1]) < tol, (_ids(got), _ids(expected))


# ----------------------------------------------------------------------------- the setting


def test_setting_defaults_to_faiss_and_parses_milvus_uris():
    assert vectors_setting("").backend == "faiss"
    assert vectors_setting("faiss").backend == "faiss"
    lite = vectors_setting("milvus:./vectors.db")
    assert (lite.backend, lite.uri) == ("milvus", "./vectors.db")
    assert vectors_setting("milvus:http://host:19530").uri == "http://host:19530"


@pytest.mark.parametrize(
    "raw", ["milvus", "milvus:", "qdrant:x.db", "milvus:vectors.txt", "pgvector"]
)
def test_bad_setting_names_the_variable(raw):
    with pytest.raises(BadInput, match=SETTING):
        vectors_setting(raw)


def test_unreachable_server_is_one_line_naming_the_setting(monkeypatch):
    catalog = synthetic_catalog(20)
    monkeypatch.setenv(SETTING, "milvus:http://127.0.0.1:1")
    with pytest.raises(BadInput, match=f"{SETTING}=milvus:http://127.0.0.1:1") as info:
        _engine(catalog)
    assert "\n" not in str(info.value)


def test_cli_reports_bad_setting_with_exit_2(tmp_path):
    env = {**os.environ, SETTING: "milvus:/no/such/folder/v.db", "CANTUS_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", "from cantus.cli import main; raise SystemExit(main())",
         "search", "waltz"],
        env=env | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("cantus:") and SETTING in lines[-1]
    assert "Traceback" not in proc.stderr


def test_a_lite_file_held_by_another_process_is_one_clear_line(tmp_path):
    path = tmp_path / "held.db"
    code = (
        "import sys, time\nfrom pymilvus import MilvusClient\n"
        f"MilvusClient({str(path)!r})\nprint('open', flush=True)\ntime.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(BadInput, match="another process") as info:
            connect(vectors_setting(f"milvus:{path}"))
        assert SETTING in str(info.value) and "\n" not in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_filter_expression_ands_fields_and_ors_values():
    expr = filter_expression({"meter": ["3/4", "6/8"], "mode": [" Minor "]}, frozenset({3, 1}))
    assert expr == 'meter in ["3/4", "6/8"] and mode in ["minor"] and row not in [1, 3]'
    with pytest.raises(BadInput, match="filterable"):
        filter_expression({"title": ["x"]})


# ------------------------------------------------------------------ synthetic catalog, Lite


@pytest.fixture
def lite(tmp_path) -> str:
    return str(tmp_path / "vectors.db")


def test_milvus_matches_faiss_exact_with_and_without_filters(lite, monkeypatch):
    catalog = synthetic_catalog(240)
    faiss_engine = _engine(catalog, monkeypatch)
    milvus_engine = _engine(catalog, monkeypatch, lite)
    assert isinstance(milvus_engine.index, MilvusStore)
    assert milvus_engine.index.ntotal == len(catalog)
    cases = [
        ("melancholy waltz", None),
        ("happy march", {"collection": "coll1"}),
        ("sad tune", {"meter": ["3/4", "6/8"], "mode": "minor"}),
        ("bright reel", {"origin": "irish", "form": "reel"}),
    ]
    for query, filters in cases:
        expected = faiss_engine.search(query, 10, filters)
        _assert_same_top(milvus_engine.search(query, 10, filters), expected)
    piece = str(catalog["id"].iloc[7])
    vec = faiss_engine.vector(piece)
    _assert_same_top(
        milvus_engine.nearest(vec, 10, [piece]), faiss_engine.nearest(vec, 10, [piece])
    )
    assert piece not in _ids(milvus_engine.nearest(vec, 10, [piece]))


def test_filtered_search_runs_in_the_store(lite, monkeypatch):
    """Every filtered hit comes from Milvus' scalar-field expression, not from over-fetching."""
    catalog = synthetic_catalog(240)
    store = _engine(catalog, monkeypatch, lite).index
    query = music_vectors(catalog)[0]
    query = np.concatenate([query, np.zeros(384, np.float32)])
    where = {"meter": ["2/4"], "collection": ["coll2"]}
    hits = store.ranked(query, 500, None, frozenset(), where)  # more than ever match
    matching = np.flatnonzero((catalog["meter"] == "2/4") & (catalog["collection"] == "coll2"))
    assert sorted(r for r, _ in hits) == matching.tolist()
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)


def test_store_is_filled_once_then_synced_with_the_catalog(lite, monkeypatch):
    catalog = synthetic_catalog(60)
    first = _engine(catalog, monkeypatch, lite).index
    name = collection_name(KeywordEncoder.encoder_id, first.meta.dim)
    assert first._client.get_collection_stats(name)["row_count"] == 60
    first.close()
    grown = synthetic_catalog(80)  # the same 60 pieces first, 20 more (an ingest)
    inserted: list[int] = []
    original = MilvusStore._insert
    monkeypatch.setattr(
        MilvusStore,
        "_insert",
        lambda self, rows, vecs: (inserted.extend(rows.tolist()), original(self, rows, vecs)),
    )
    second = _engine(grown, monkeypatch, lite)
    assert inserted == list(range(60, 80))  # only the new pieces were written
    assert second.index.ntotal == 80
    assert second.index._client.get_collection_stats(name)["row_count"] == 80
    second.index.close()
    shrunk = grown.iloc[10:].reset_index(drop=True)  # rows moved: all re-keyed, none stale
    third = _engine(shrunk, monkeypatch, lite)
    stored = third.index._stored_rows()
    assert stored == {pid: i for i, pid in enumerate(shrunk["id"])}
    faiss_engine = _engine(shrunk, monkeypatch)
    assert _ids(third.search("sad waltz", 10)) == _ids(faiss_engine.search("sad waltz", 10))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_first_fill_shows_a_progress_bar_on_a_terminal(lite, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _engine(synthetic_catalog(30), monkeypatch, lite)
    assert f"filling milvus:{lite}" in terminal.getvalue()
    assert "30/30" in terminal.getvalue()


def test_faiss_setting_keeps_the_in_process_index(monkeypatch):
    monkeypatch.setenv(SETTING, "faiss")
    catalog = synthetic_catalog(30)
    assert configured_store(catalog, music_vectors(catalog), "x") is None


# ------------------------------------------------------------------ the shipped corpus


@pytest.fixture(scope="module")
def shipped_parts():
    """The shipped corpus's catalog, embeddings and encoders, read once for every engine."""
    from recommender.engine import load_parts

    os.environ.pop(SETTING, None)
    return load_parts()


# Candidates come from the vector store (not the in-process exact fusion used up to exact_max),
# as on a catalog too big to score whole: the store's answers then shape every ranking.
STORE_PATH = {"exact_max": 0, "factory": "Flat"}


@pytest.mark.slow  # the whole default corpus through a fresh store (~45 s on 2 cores)
def test_default_corpus_same_top10_from_a_fresh_store(shipped_parts, tmp_path, monkeypatch):
    """`CANTUS_VECTORS=milvus:./vectors.db cantus search ...` on a fresh home fills the store
    and answers like FAISS; then search (filters included), similar, nearest and recommend
    through the store agree with FAISS exact in-process."""
    from recommender.engine import SearchConfig

    home = tmp_path / "home"
    home.mkdir()
    env = os.environ | {"CANTUS_HOME": str(home), SETTING: "milvus:./vectors.db",
                        "PYTHONPATH": str(REPO)}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", "from cantus.cli import main; raise SystemExit(main())",
         "search", "melancholy waltz", "--json"],
        cwd=home, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert (home / "vectors.db").exists()
    got = json.loads(proc.stdout)["results"]
    expected = Engine(**shipped_parts).search("melancholy waltz", 10)
    assert [r["id"] for r in got] == _ids(expected)  # no ties among these

    faiss_engine = Engine(**shipped_parts, config=SearchConfig(**STORE_PATH))
    assert faiss_engine.index.is_exact
    monkeypatch.setenv(SETTING, f"milvus:{home / 'vectors.db'}")
    milvus = Engine(**shipped_parts, config=SearchConfig(**STORE_PATH))
    assert isinstance(milvus.index, MilvusStore)
    assert milvus.index.ntotal == len(milvus.catalog)  # already filled by the CLI run
    _same_top10(faiss_engine, milvus)


def _same_top10(faiss_engine: Engine, milvus: Engine) -> None:
    from recommender.personal import recommend
    from recommender.personal_types import Interaction

    cases = [
        ("a lively irish jig", None),
        ("bach chorale in a minor key", None),
        ("slow air", {"meter": "3/4", "mode": "minor"}),
        ("dance tune", {"collection": "oneills1850"}),
        ("march", {"meter": ["2/4", "6/8"]}),
        ("Bach", {"mode": "major", "collection": "bach"}),
    ]
    for query, filters in cases:
        _assert_same_top(milvus.search(query, 10, filters), faiss_engine.search(query, 10, filters))
    for row in (0, 5000, 12000):
        piece = str(faiss_engine.catalog["id"].iloc[row])
        _assert_same_top(milvus.similar(piece, 10), faiss_engine.similar(piece, 10))
        vec = faiss_engine.vector(piece)
        _assert_same_top(milvus.nearest(vec, 10, [piece]), faiss_engine.nearest(vec, 10, [piece]))
    now = datetime.now(UTC)
    liked = [str(faiss_engine.catalog["id"].iloc[r]) for r in (10, 2000, 7000)]
    history = [Interaction(pid, "favourite", now) for pid in liked]
    _assert_same_top(recommend(milvus, history, k=10), recommend(faiss_engine, history, k=10))


def test_prune_drops_earlier_encoders_collections_only(lite, monkeypatch, capsys):
    from cantus.cli import main
    from recommender import engine as engine_module

    catalog = synthetic_catalog(30)
    store = _engine(catalog, monkeypatch, lite).index
    client = store._client
    client.create_collection("cantus_0123456789abcdef", dimension=8)  # an earlier encoder's
    client.create_collection("someone_else", dimension=8)  # not ours: never touched
    assert store.other_collections() == ["cantus_0123456789abcdef"]
    with pytest.raises(BadInput, match="in use"):
        store.drop_collections([store.name])
    in_use = store.name
    store.close()
    monkeypatch.setattr(
        engine_module.Engine, "load", classmethod(lambda cls: _engine(catalog, monkeypatch, lite))
    )
    assert main(["corpus", "vectors", "--json"]) == 0  # lists, drops nothing
    listed = json.loads(capsys.readouterr().out)
    assert listed["in_use"] == in_use and listed["dropped"] == []
    assert main(["corpus", "vectors", "--prune", "--json"]) == 0
    pruned = json.loads(capsys.readouterr().out)
    assert pruned["dropped"] == ["cantus_0123456789abcdef"]
    check = _engine(catalog, monkeypatch, lite).index
    assert sorted(check._client.list_collections()) == sorted([in_use, "someone_else"])
    check.close()


def test_corpus_vectors_without_a_store_says_faiss(monkeypatch, capsys):
    from cantus.cli import main

    monkeypatch.delenv(SETTING, raising=False)
    assert main(["corpus", "vectors"]) == 0
    assert "FAISS" in capsys.readouterr().out
