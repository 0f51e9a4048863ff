"""The scale benchmarks' own parts: realistic vectors, Milvus measurement, the GPU guard."""

from __future__ import annotations

import numpy as np
import pytest

from cantus.cli import main
from recommender.bench_scale import realistic_vectors
from recommender.index import exact_knn, gpu_available


def test_realistic_vectors_are_unit_music_tower_outputs_and_cached(tmp_path):
    first = realistic_vectors(48, seed=3, cache_dir=tmp_path)
    assert first.shape == (48, 256) and first.dtype == np.float32
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    assert len(np.unique(first.round(4), axis=0)) > 40  # distinct windows, not one repeated
    assert len(list(tmp_path.glob("bench-vectors-*.npy"))) == 1
    again = realistic_vectors(48, seed=3, cache_dir=tmp_path)  # read back from the cache
    assert np.array_equal(first, again)


def test_milvus_lite_measurement_finds_exact_neighbours(tmp_path):
    pytest.importorskip("milvus_lite", reason="needs the cantus[scale] extra")
    from recommender.bench_milvus import measure_milvus_index

    rng = np.random.default_rng(0)
    xb = rng.standard_normal((600, 16)).astype(np.float32)
    xb /= np.linalg.norm(xb, axis=1, keepdims=True)
    xq = xb[:20] + 0.01
    truth = exact_knn(xb, xq, 10)[1]
    result = measure_milvus_index(tmp_path / "b.db", "FLAT", {}, {}, xb, xq, truth)
    assert result["recall_at_10"] == 1.0 and result["n_indexed"] == 600
    assert result["single_qps"] > 0 and result["batch_qps"] > 0


@pytest.mark.skipif(gpu_available(), reason="checks the message given without a GPU")
def test_bench_search_gpu_without_a_gpu_is_one_clear_line(capsys):
    assert main(["bench", "search", "--gpu", "--n", "2000"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--gpu" in err[0] and "cantus[gpu]" in err[0]
