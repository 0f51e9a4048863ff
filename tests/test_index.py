"""VectorIndex against brute-force numpy search, persistence, tuning and encoder checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cantus.errors import BadInput, MissingArtifact
from recommender.index import VectorIndex, exact_knn, gpu_available, recall_at_k, sidecar


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _clustered(rng: np.random.Generator, n: int, d: int, centers: int = 20) -> np.ndarray:
    """Vectors around a few centres: like real embeddings, unlike uniform noise (IVF-friendly)."""
    c = _unit(rng, centers, d)
    x = c[rng.integers(0, centers, n)] + 0.3 * rng.standard_normal((n, d)).astype(
        np.float32
    ) / np.sqrt(d)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _brute_force(xb: np.ndarray, xq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    scores = xq @ xb.T  # (Q, N)
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


def assert_same_knn(d_ref, i_ref, d_new, i_new, rtol=1e-5):
    """Scores match, and ids match except among ties at the cut-off (faiss contrib/evaluation)."""
    np.testing.assert_allclose(d_ref, d_new, rtol=rtol, atol=1e-5)
    for q in range(len(i_ref)):
        boundary = d_ref[q, -1]
        inside = ~np.isclose(d_ref[q], boundary, rtol=rtol, atol=1e-6)  # strictly above the tie
        assert set(i_ref[q][inside]) == set(
            i_new[q][~np.isclose(d_new[q], boundary, rtol=rtol, atol=1e-6)]
        )


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return _unit(rng, 2000, 32), _unit(rng, 50, 32)


def test_flat_matches_brute_force(data):
    xb, xq = data
    index = VectorIndex.build(xb, use_gpu=False)
    d_new, i_new = index.search(xq, 10)
    d_ref, i_ref = _brute_force(xb, xq, 10)
    assert_same_knn(d_ref, i_ref, d_new, i_new)


def test_flat_tolerates_ties():
    # duplicate vectors make ranks among equals arbitrary; the checker must accept any order
    rng = np.random.default_rng(1)
    base = _unit(rng, 20, 8)
    xb = np.concatenate([base, base, base])
    index = VectorIndex.build(xb, use_gpu=False)
    d_new, i_new = index.search(base[:5], 4)
    d_ref, i_ref = _brute_force(xb, base[:5], 4)
    assert_same_knn(d_ref, i_ref, d_new, i_new)
    assert np.allclose(d_new[:, :3], 1.0, atol=1e-5)  # each query finds its three copies first


def test_ids_map_to_given_rows(data):
    xb, _ = data
    ids = np.arange(len(xb)) * 3 + 7
    index = VectorIndex.build(xb, ids=ids, use_gpu=False)
    _, i_new = index.search(xb[:5], 1)
    assert i_new[:, 0].tolist() == ids[:5].tolist()


def test_k_larger_than_index_is_clamped():
    rng = np.random.default_rng(2)
    xb = _unit(rng, 5, 8)
    scores, rows = VectorIndex.build(xb, use_gpu=False).search(xb[:1], 50)
    assert rows.shape == (1, 5) and sorted(rows[0].tolist()) == list(range(5))
    assert np.all(np.diff(scores[0]) <= 1e-6)  # best first


@pytest.mark.parametrize(("factory", "param"), [("IVF32,Flat", "nprobe"), ("HNSW16", "efSearch")])
def test_tune_reaches_recall_target(factory, param):
    rng = np.random.default_rng(3)
    xb = _clustered(rng, 4000, 32)
    queries = _clustered(rng, 100, 32)
    index = VectorIndex.build(xb, factory=factory, use_gpu=False)
    chosen = index.tune(queries, vectors=xb, target=0.95)
    assert chosen["recall_at_10"] >= 0.95
    assert index.meta.params[param] == chosen[param]
    truth = exact_knn(xb, queries, 10)[1]
    assert recall_at_k(index.search(queries, 10)[1], truth) >= 0.95


def test_tune_on_exact_index_is_noop(data):
    xb, xq = data
    assert VectorIndex.build(xb, use_gpu=False).tune(xq, vectors=xb) == {}


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    xb = _clustered(rng, 3000, 16)
    index = VectorIndex.build(xb, factory="IVF16,Flat", encoder_id="enc-a", use_gpu=False)
    index.tune(xb[:50], vectors=xb)
    path = index.save(tmp_path / "index.faiss")
    meta = json.loads(sidecar(path).read_text())
    assert meta["encoder_id"] == "enc-a" and meta["dim"] == 16 and meta["n"] == 3000
    assert meta["factory"] == "IVF16,Flat" and "nprobe" in meta["params"]

    loaded = VectorIndex.load(path, encoder_id="enc-a", use_gpu=False)
    assert loaded.meta == index.meta
    np.testing.assert_array_equal(loaded.search(xb[:20], 10)[1], index.search(xb[:20], 10)[1])


def test_load_with_other_encoder_names_builder_and_fix(tmp_path):
    rng = np.random.default_rng(5)
    path = VectorIndex.build(_unit(rng, 10, 8), encoder_id="enc-a", use_gpu=False).save(
        tmp_path / "i.faiss"
    )
    with pytest.raises(MissingArtifact, match=r"enc-a.*enc-b.*cantus build"):
        VectorIndex.load(path, encoder_id="enc-b")


def test_load_missing_index_says_build(tmp_path):
    with pytest.raises(MissingArtifact, match="cantus build"):
        VectorIndex.load(tmp_path / "nope.faiss")


def test_bad_factory_and_shapes():
    with pytest.raises(BadInput, match="factory"):
        VectorIndex(8, factory="NotAnIndex")
    index = VectorIndex.build(np.eye(4, dtype=np.float32), use_gpu=False)
    with pytest.raises(ValueError, match="shape"):
        index.search(np.ones((1, 5), dtype=np.float32), 1)


@pytest.mark.skipif(not gpu_available(), reason="needs a faiss GPU build and a GPU")
def test_gpu_search_matches_cpu(data):
    xb, xq = data
    cpu = VectorIndex.build(xb, use_gpu=False).search(xq, 10)
    gpu = VectorIndex.build(xb, use_gpu=True).search(xq, 10)
    assert_same_knn(cpu[0], cpu[1], gpu[0], gpu[1], rtol=1e-3)
