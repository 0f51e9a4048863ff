"""FAISS on GPU over the shipped corpus: the engine's index moves to the GPU when faiss reports
one, and returns what exact search on CPU returns. Skipped without a GPU build and a GPU
(``cantus[gpu]`` on an NVIDIA machine)."""

from __future__ import annotations

import pytest

from recommender.index import VectorIndex, gpu_available
from tests.test_index import assert_same_knn

pytestmark = pytest.mark.skipif(not gpu_available(), reason="needs a faiss GPU build and a GPU")


def test_engine_index_on_gpu_equals_cpu_exact_on_the_default_corpus():
    import numpy as np

    from recommender.bench import QUERIES
    from recommender.engine import Engine

    engine = Engine.load()
    assert engine.index._use_gpu  # faiss reported a GPU: the index went there
    queries = np.stack([engine._search_vector(*engine._embed_query(q))[0] for q in QUERIES])
    music = np.stack([engine._music_query(engine.embeddings[r]) for r in range(0, 14000, 700)])
    cpu = VectorIndex.build(engine._joint_vectors(), use_gpu=False)
    for xq in (queries, music):
        d_cpu, i_cpu = cpu.search(xq, 10)
        d_gpu, i_gpu = engine.index.search(xq, 10)
        assert_same_knn(d_cpu, i_cpu, d_gpu, i_gpu, rtol=1e-3)
    assert engine.index._device_index is not engine.index._cpu  # searched on the GPU copy
