"""``cantus bench search``: serving speed on the real corpus and FAISS at scale.

Two parts, printed and saved to ``cantus.config.bench_dir() / "search.json"``:

- **engine** (the data dir in use): cold ``Engine.load`` (in a fresh interpreter, imports
  included, and in-process), warm end-to-end text-query latency p50/p95 over distinct queries
  (cache cleared) with a per-stage breakdown (query encoders vs index vs result rows), cached
  repeat latency, ``similar`` by id latency, and music-tower throughput (pieces/s through
  ``encoder.encode_ids``).
- **faiss**: ``n`` synthetic unit vectors indexed exactly, with IVF and with HNSW. Uniform
  noise would make every neighbour equally far (the worst case, unlike real embeddings) and
  well-separated clusters make IVF trivially exact (nprobe=1 gave recall 0.99), so vectors are
  drawn around ``n / 50`` centres lying on a random 32-d subspace, noise norm 1.0 (at 100k,
  IVF256 then needs nprobe≈4 for 0.95). Per index: build (train + add) time, index bytes and
  RSS growth, the search parameter tuned to recall@10 ≥ 0.95 on held-out queries (tuned on
  one half, reported on the other), single-query latency, batched QPS.
  HNSW construction is the slow one on small machines: vectors are added in chunks until
  ``hnsw_budget_s`` passes, and the number actually indexed is recorded (recall and speed are
  then measured against exact search over those same vectors).
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)

REPORT_NAME = "search.json"
QUERIES = (
    "melancholy waltz", "fast jig in D major", "slow air", "lively reel", "sad minor lament",
    "gentle lullaby", "bright march in 2/4", "Bach chorale in four parts", "stately minuet",
    "dark minor hornpipe", "joyful dance tune", "calm hymn", "Scottish strathspey",
    "Chinese folk song", "German folk song in major", "mournful slow melody", "energetic polka",
    "Renaissance motet", "wide-ranging soaring melody", "simple children's song",
    "triple meter dance in minor", "playful slip jig", "quiet pastoral tune", "heroic march",
    "tender love song", "brisk 6/8 tune", "solemn mass", "cheerful major key air",
    "haunting modal melody", "Irish session tune", "slow waltz in G", "fiddle reel in A dorian",
    "Luxembourg folk song", "grave sarabande", "light mazurka", "a tune for the pipes",
    "wistful ballad", "fast and busy melody", "long flowing phrase", "short dance in 3/8",
)  # fmt: skip


@dataclass
class BenchConfig:
    """What ``cantus bench search`` measures; every field is recorded in the report."""

    n: int = 1_000_000  # synthetic vectors in the FAISS comparison
    dim: int = 256  # their size (the shipped encoder's embedding size)
    points_per_cluster: int = 50  # synthetic vectors are drawn around n / this many centres
    latent_dim: int = 32  # the centres lie on a random subspace of this size (a continuum)
    noise: float = 1.0  # norm of the noise around a (unit) centre: clusters overlap
    n_queries: int = 200  # held-out queries: tuning, recall, latency
    ivf_nlist: int = 0  # IVF lists; 0 = about sqrt(n), rounded to a power of two
    hnsw_m: int = 32  # HNSW graph degree
    hnsw_budget_s: float = 150.0  # stop adding to HNSW after this long (see module doc)
    target_recall: float = 0.95  # recall@10 the approximate indexes are tuned to
    engine: bool = True  # measure the serving engine on the data dir in use
    faiss: bool = True  # run the synthetic FAISS comparison
    engine_repeats: int = 3  # passes over QUERIES for the warm latency
    embed_pieces: int = 512  # pieces pushed through encoder.encode_ids for throughput
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n < 1000 or self.dim < 8:
            msg = f"`n` must be ≥ 1000 and `dim` ≥ 8 (received n={self.n}, dim={self.dim})"
            raise ValueError(msg)
        if self.hnsw_budget_s <= 0 or self.n_queries < 10:
            msg = f"`hnsw_budget_s` must be > 0 and `n_queries` ≥ 10 (received {self})"
            raise ValueError(msg)


def run_bench(config: BenchConfig, as_json: bool = False) -> dict[str, Any]:
    """Run the selected parts, save the report, print it (JSON line or summary)."""
    from cantus.config import bench_dir
    from cantus.output import emit

    report: dict[str, Any] = {"config": asdict(config), "machine": machine_info()}
    started = time.perf_counter()
    if config.engine:
        report["engine"] = bench_engine(config)
    if config.faiss:
        report["faiss"] = bench_faiss(config)
    report["seconds"] = round(time.perf_counter() - started, 1)
    path = bench_dir() / REPORT_NAME
    path.write_text(json.dumps(report, indent=2) + "\n")
    report["saved_to"] = str(path)
    emit(report, as_json, summary(report))
    return report


def machine_info() -> dict[str, Any]:
    import faiss
    import torch

    return {
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),  # others share this machine: context
        "python": platform.python_version(),
        "faiss": faiss.__version__,
        "faiss_gpus": faiss.get_num_gpus(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }


# -------------------------------------------------------------------------------- timing


def percentiles(seconds: list[float], digits: int = 2) -> dict[str, float]:
    """p50 / p95 / mean in milliseconds (rounded to ``digits``) and the number of runs."""
    import numpy as np

    ms = np.asarray(seconds) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), digits),
        "p95_ms": round(float(np.percentile(ms, 95)), digits),
        "mean_ms": round(float(ms.mean()), digits),
        "n": len(ms),
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def timed_cpu(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, calling thread's CPU seconds) of ``fn()``: others share this machine."""
    cpu = time.thread_time()
    wall = timed(fn)[0]
    return wall, time.thread_time() - cpu


def rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


# -------------------------------------------------------------------------------- engine


def bench_engine(config: BenchConfig) -> dict[str, Any]:
    from recommender.engine import Engine

    cold_process = cold_start_seconds()
    load_s, engine = timed(Engine.load)
    out: dict[str, Any] = {
        "pieces": len(engine.catalog),
        "dim": int(engine.embeddings.shape[1]),
        "hybrid": engine.hybrid,
        "index": engine.index.meta.factory,
        "cold_load_s": {"fresh_process_incl_imports": cold_process, "in_process": round(load_s, 2)},
    }
    engine.search("warm up", k=10)
    out["search"] = search_latency(engine, config)
    out["similar_by_id"] = similar_latency(engine, config)
    out["embed_throughput"] = embed_throughput(engine, config)
    return out


def cold_start_seconds() -> float:
    """Wall time of a fresh interpreter that imports and loads the engine (what a CLI pays)."""
    code = "from recommender.engine import Engine; Engine.load()"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return round(time.perf_counter() - started, 2)


def search_latency(engine: Any, config: BenchConfig) -> dict[str, Any]:
    """End-to-end ``engine.search`` over distinct queries (cache cleared), plus stages."""
    cold, cold_cpu, stage_encode, stage_index = [], [], [], []
    for _ in range(config.engine_repeats):
        engine._embed_query.cache_clear()
        for query in QUERIES:
            cpu_before = time.thread_time()
            cold.append(timed(lambda q=query: engine.search(q, k=10))[0])
            cold_cpu.append(time.thread_time() - cpu_before)
    engine._embed_query.cache_clear()
    stage_channels: list[tuple[float, float]] = []
    stage_after: list[tuple[float, float]] = []
    for query in QUERIES:  # the same work split into its stages
        t_enc, (q_music, q_text) = timed(lambda q=query: engine._embed_query(q))
        vec, _ = engine._search_vector(q_music, q_text)
        stage_encode.append(t_enc)
        stage_index.append(timed(lambda v=vec: engine.index.search(v[None], 10))[0])
        # the query's vectors are cached now: facets + BM25, then all of search but encoders
        stage_channels.append(timed_cpu(lambda q=query: engine.channels(q, engine.config)))
        stage_after.append(timed_cpu(lambda q=query: engine.search(q, k=10)))
    cached = [timed(lambda q=query: engine.search(q, k=10))[0] for query in QUERIES * 3]
    filtered = [
        timed(lambda q=query: engine.search(q, k=10, filters={"mode": "minor"}))[0]
        for query in QUERIES
    ]
    return {
        "distinct_queries": percentiles(cold),
        # CPU time of the calling thread: the query path runs on one thread, so this is
        # about what the wall time would be on an idle machine (this one is shared)
        "distinct_queries_thread_cpu": percentiles(cold_cpu),
        "stage_query_encoders": percentiles(stage_encode),
        # the faiss search a query naming no facet and no known word makes; one that does
        # fuses instead (recommender.dense_bounds: a sketch, then exact scores of a few rows)
        "stage_index_search": percentiles(stage_index),
        "stage_facets_and_lexical": percentiles([w for w, _ in stage_channels]),
        "stage_facets_and_lexical_thread_cpu": percentiles([c for _, c in stage_channels]),
        "search_without_encoders": percentiles([w for w, _ in stage_after]),
        "search_without_encoders_thread_cpu": percentiles([c for _, c in stage_after]),
        "repeated_queries_cached": percentiles(cached),
        "filtered_mode_minor_cached": percentiles(filtered),
    }


def similar_latency(engine: Any, config: BenchConfig) -> dict[str, Any]:
    import numpy as np

    rng = np.random.default_rng(config.seed)
    ids = engine.catalog["id"].to_numpy()[
        rng.choice(len(engine.catalog), min(200, len(engine.catalog)), replace=False)
    ]
    melody = getattr(engine, "melody_index", None)
    build_ms = round(timed(melody)[0] * 1000, 1) if melody is not None else None  # then cached
    out = percentiles([timed(lambda i=pid: engine.similar(i, k=10))[0] for pid in ids])
    return {**out, "melody_index_ready_ms": build_ms}


def embed_throughput(engine: Any, config: BenchConfig) -> dict[str, Any]:
    """Pieces per second through the music tower, from stored catalog tokens."""
    import numpy as np

    from cantus.catalog import load_catalog

    tokens = load_catalog(columns=["tokens"])["tokens"]
    rng = np.random.default_rng(config.seed)
    rows = rng.choice(len(tokens), min(config.embed_pieces, len(tokens)), replace=False)
    batch = [list(tokens.iloc[r]) for r in rows]
    engine.encoder.encode_ids(batch[:8])  # warm-up
    seconds, _ = timed(lambda: engine.encoder.encode_ids(batch))
    return {
        "pieces": len(batch),
        "seconds": round(seconds, 2),
        "pieces_per_s": round(len(batch) / seconds, 1),
    }


# --------------------------------------------------------------------------------- faiss


def synthetic_vectors(config: BenchConfig) -> tuple[Any, Any]:
    """(database (n, dim), queries (n_queries, dim)): unit float32 around shared centres."""
    import numpy as np

    rng = np.random.default_rng(config.seed)
    n_centres = max(1, config.n // config.points_per_cluster)
    basis = rng.standard_normal((config.latent_dim, config.dim), dtype=np.float32)
    centres = rng.standard_normal((n_centres, config.latent_dim), dtype=np.float32) @ basis
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    spread = config.noise / np.sqrt(config.dim)  # per-coordinate sd giving that noise norm

    def draw(count: int) -> np.ndarray:
        out = np.empty((count, config.dim), dtype=np.float32)
        for start in range(0, count, 100_000):  # chunks keep the temporaries small
            stop = min(count, start + 100_000)
            out[start:stop] = centres[rng.integers(0, n_centres, stop - start)]
            out[start:stop] += (
                rng.standard_normal((stop - start, config.dim), dtype=np.float32) * spread
            )
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    return draw(config.n), draw(config.n_queries)


def bench_faiss(config: BenchConfig) -> dict[str, Any]:
    """Exact vs IVF vs HNSW on synthetic vectors (see module doc)."""
    from recommender.index import exact_knn

    t_data, (xb, xq) = timed(lambda: synthetic_vectors(config))
    half = len(xq) // 2
    tune_q, eval_q = xq[:half], xq[half:]  # tune on one half, report on the other
    out: dict[str, Any] = {"n": config.n, "dim": config.dim, "data_s": round(t_data, 1)}
    out["Flat"] = _measure_index(config, xb, "Flat", tune_q, eval_q, None)
    nlist = config.ivf_nlist or 2 ** round(math.log2(math.sqrt(config.n)))
    out[f"IVF{nlist},Flat"] = _measure_index(config, xb, f"IVF{nlist},Flat", tune_q, eval_q, None)
    hnsw = f"HNSW{config.hnsw_m}"
    out[hnsw] = _measure_index(config, xb, hnsw, tune_q, eval_q, config.hnsw_budget_s)
    out["exact_truth_s"] = round(timed(lambda: exact_knn(xb, xq, 10))[0], 2)
    return out


def _measure_index(
    config: BenchConfig, xb: Any, factory: str, tune_q: Any, eval_q: Any, budget_s: float | None
) -> dict[str, Any]:
    from recommender.index import VectorIndex, exact_knn, recall_at_k

    gc.collect()
    rss_before = rss_bytes()
    index = VectorIndex(xb.shape[1], factory, encoder_id="synthetic", use_gpu=False)
    train_s, _ = timed(lambda: index.train(xb, train_size=_train_size(factory), seed=config.seed))
    add_s, n_indexed = timed(lambda: _add_within(index, xb, budget_s))
    build_rss = rss_bytes() - rss_before
    base = xb[:n_indexed]
    tuned = index.tune(tune_q, truth=exact_knn(base, tune_q, 10)[1], target=config.target_recall)
    found = index.search(eval_q, 10)[1]
    single = [timed(lambda q=q: index.search(q[None], 10))[0] for q in eval_q]
    batch_s, _ = timed(lambda: index.search(eval_q, 10))
    result = {
        "n_indexed": n_indexed,
        "train_s": round(train_s, 2),
        "add_s": round(add_s, 2),
        "build_s": round(train_s + add_s, 2),
        "index_bytes": index.nbytes(),
        "rss_delta_bytes": build_rss,
        "params": {k: v for k, v in tuned.items() if k != "recall_at_10"},
        "recall_at_10": round(recall_at_k(found, exact_knn(base, eval_q, 10)[1], 10), 4),
        "single_query": percentiles(single),
        "single_qps": round(len(eval_q) / sum(single), 1),
        "batch_qps": round(len(eval_q) / batch_s, 1),
        "batch_size": len(eval_q),
    }
    log.info("bench %s: %s", factory, result)
    return result  # the index is freed here, before the next one is built


def _train_size(factory: str) -> int:
    """IVF k-means on 40 points per list (faiss's minimum without a warning): fast enough."""
    if not factory.startswith("IVF"):
        return 0
    return 40 * int(factory[3:].split(",")[0].split("_")[0])


def _add_within(index: Any, xb: Any, budget_s: float | None, chunk: int = 50_000) -> int:
    """Add ``xb`` in chunks, stopping once ``budget_s`` has passed; returns how many went in."""
    started = time.perf_counter()
    for start in range(0, len(xb), chunk):
        index.add(xb[start : start + chunk])
        if budget_s is not None and time.perf_counter() - started > budget_s:
            break
    return index.ntotal


# ------------------------------------------------------------------------------- summary


def summary(report: dict[str, Any]) -> str:
    """A few lines for people; the full report is the JSON file."""
    load = report["machine"]["load_avg_1m"]
    lines = [f"search benchmark ({report['seconds']}s, load avg {load})"]
    if report.get("engine"):
        lines += _engine_lines(report["engine"])
    if report.get("faiss"):
        lines += _faiss_lines(report["faiss"])
    lines.append(f"saved to {report['saved_to']}")
    return "\n".join(lines)


def _engine_lines(engine: dict[str, Any]) -> list[str]:
    s, cold = engine["search"], engine["cold_load_s"]
    distinct, similar = s["distinct_queries"], engine["similar_by_id"]
    return [
        f"engine: {engine['pieces']} pieces, index {engine['index']}, hybrid={engine['hybrid']}",
        f"  cold load: {cold['fresh_process_incl_imports']}s fresh process, "
        f"{cold['in_process']}s in process",
        f"  search, distinct queries: p50 {distinct['p50_ms']} ms, p95 {distinct['p95_ms']} ms"
        f" (thread CPU p50 {s['distinct_queries_thread_cpu']['p50_ms']} ms)",
        f"    stages p50: encoders {s['stage_query_encoders']['p50_ms']} ms, "
        f"index {s['stage_index_search']['p50_ms']} ms, facets + BM25 "
        f"{s['stage_facets_and_lexical']['p50_ms']} ms; search but encoders "
        f"{s['search_without_encoders']['p50_ms']} ms (thread CPU "
        f"{s['search_without_encoders_thread_cpu']['p50_ms']} ms)",
        f"  search, repeated (cached): p50 {s['repeated_queries_cached']['p50_ms']} ms",
        f"  similar by id: p50 {similar['p50_ms']} ms, p95 {similar['p95_ms']} ms",
        f"  music tower: {engine['embed_throughput']['pieces_per_s']} pieces/s",
    ]


def _faiss_lines(part: dict[str, Any]) -> list[str]:
    head = ("index", "n", "build s", "MB", "recall", "p50 ms", "QPS 1", "QPS batch")
    widths = (16, 9, 9, 8, 8, 8, 8, 10)
    lines = [
        f"faiss: {part['n']} x {part['dim']} synthetic vectors",
        "  "
        + "".join(
            f"{h:>{w}}" if i else f"{h:<{w}}"
            for i, (h, w) in enumerate(zip(head, widths, strict=True))
        )
        + "  params",
    ]
    for name, r in part.items():
        if not isinstance(r, dict):
            continue
        cells = (
            r["n_indexed"], r["build_s"], round(r["index_bytes"] / 2**20), r["recall_at_10"],
            r["single_query"]["p50_ms"], r["single_qps"], r["batch_qps"],
        )  # fmt: skip
        row = f"{name:<16}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths[1:], strict=True))
        lines.append(f"  {row}  {r['params']}")
    return lines
