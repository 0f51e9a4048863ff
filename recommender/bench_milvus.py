"""One Milvus index measured like the FAISS ones in ``recommender.bench`` (used by bench_scale).

Milvus Lite runs in this process and stands in for a server (same ``pymilvus`` client); its
numbers say what the client path costs, not what a Milvus cluster would serve.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

INSERT_BATCH = 5000


def measure_milvus_index(
    path: Path,
    kind: str,
    build_params: dict[str, Any],
    search_params: dict[str, Any],
    xb: np.ndarray,
    xq: np.ndarray,
    truth: np.ndarray,
) -> dict[str, Any]:
    """Build ``kind`` over ``xb`` in a fresh collection; recall@10 vs ``truth``, QPS, time."""
    from pymilvus import DataType, MilvusClient

    from recommender.bench import percentiles, rss_bytes, timed
    from recommender.index import recall_at_k

    client = MilvusClient(str(path))
    name = f"bench_{kind.lower()}"
    if client.has_collection(name):
        client.drop_collection(name)
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=int(xb.shape[1]))
    index = client.prepare_index_params()
    index.add_index(field_name="vector", index_type=kind, metric_type="IP", params=build_params)
    rss_before, started = rss_bytes(), time.perf_counter()
    from recommender.vectors import _quiet  # Milvus Lite's shim logs a harmless traceback

    with _quiet("grpc._server"):
        client.create_collection(name, schema=schema, consistency_level="Strong")
    for lo in range(0, len(xb), INSERT_BATCH):
        chunk = xb[lo : lo + INSERT_BATCH]
        client.insert(name, [{"id": lo + i, "vector": v.tolist()} for i, v in enumerate(chunk)])
    client.flush(name)
    with _quiet("grpc._server"):
        client.create_index(name, index)
    client.load_collection(name)
    build_s = time.perf_counter() - started
    params = {"metric_type": "IP", "params": search_params}

    def search(queries: np.ndarray) -> np.ndarray:
        hits = client.search(name, data=queries.tolist(), limit=10, search_params=params)
        return np.array([[h["id"] for h in row] + [-1] * (10 - len(row)) for row in hits])

    search(xq[:1])  # warm-up
    single = [timed(lambda q=q: search(q[None]))[0] for q in xq]
    batch_s, found = timed(lambda: search(xq))
    client.drop_collection(name)
    client.close()
    return {
        "n_indexed": len(xb),
        "build_s": round(build_s, 2),
        "rss_delta_bytes": rss_bytes() - rss_before,
        "params": {**build_params, **search_params},
        "recall_at_10": round(recall_at_k(found, truth, 10), 4),
        "single_query": percentiles(single),
        "single_qps": round(len(xq) / sum(single), 1),
        "batch_qps": round(len(xq) / batch_s, 1),
        "batch_size": len(xq),
    }


def bench_stores(uri: str, n_queries: int = 40, n_pieces: int = 100) -> dict[str, Any]:
    """The serving engine on the data dir in use: FAISS in-process vs the Milvus store at
    ``uri`` (filled first if empty), both serving candidates from the store as on a catalog
    beyond ``exact_max``; per-call latency of search, filtered search and nearest."""
    from recommender.bench import QUERIES, timed
    from recommender.engine import Engine, SearchConfig, load_parts
    from recommender.vectors import vectors_setting

    setting = vectors_setting(f"milvus:{uri}")
    parts = load_parts()
    config = {"exact_max": 0, "factory": "Flat"}
    faiss_s, faiss_engine = timed(lambda: Engine(**parts, config=SearchConfig(**config)))
    before = os.environ.get("CANTUS_VECTORS")
    os.environ["CANTUS_VECTORS"] = setting.text
    try:
        open_s, milvus = timed(lambda: Engine(**parts, config=SearchConfig(**config)))
        reopen_s, milvus = timed(lambda: Engine(**parts, config=SearchConfig(**config)))
    finally:
        os.environ.pop("CANTUS_VECTORS")
        if before is not None:
            os.environ["CANTUS_VECTORS"] = before
    queries = list(QUERIES[:n_queries])
    pieces = [
        str(p) for p in parts["catalog"]["id"].iloc[:: max(1, len(parts["catalog"]) // n_pieces)]
    ]
    out: dict[str, Any] = {"pieces": len(parts["catalog"]), "store": setting.text,
                           "faiss_index_build_s": round(faiss_s, 2),
                           "milvus_first_open_s": round(open_s, 2),
                           "milvus_reopen_s": round(reopen_s, 2)}  # fmt: skip
    out["faiss"] = _engine_latency(faiss_engine, queries, pieces)
    out["milvus"] = _engine_latency(milvus, queries, pieces)
    milvus.index.close()
    return out


def _engine_latency(engine: Any, queries: list[str], pieces: list[str]) -> dict[str, Any]:
    from recommender.bench import percentiles, timed

    for q in queries:  # warm: the query encoders are cached, what is left is the store's part
        engine.search(q, 10)

    def search(q: str, filters: dict[str, str] | None = None) -> float:
        return timed(lambda: engine.search(q, 10, filters))[0]

    def nearest(p: str) -> float:
        return timed(lambda: engine.nearest(engine.vector(p), 10, [p]))[0]

    return {
        "search": percentiles([search(q) for q in queries]),
        "search_mode_minor": percentiles([search(q, {"mode": "minor"}) for q in queries]),
        "nearest": percentiles([nearest(p) for p in pieces]),
    }
