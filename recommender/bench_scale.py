"""Vector search at scale: ``cantus bench vectors`` and ``cantus bench search --gpu``.

``bench vectors`` compares exact, IVF and HNSW in FAISS (and FLAT / IVF_FLAT / HNSW in Milvus
Lite with ``--milvus``) on *realistic* vectors: the shipped music tower over random bar-aligned
windows of catalog pieces, each transposed by a random safe shift, so the set has the real
embedding distribution (many near-duplicates: the same tune in other keys and crops), unlike
the synthetic clusters of ``bench search``. The music tower runs at ~100-150 windows/s on two
cores, so a million real windows takes hours there: ``--n`` sets the size and the report says
what was run. Vectors are cached under ``$CANTUS_HOME/cache`` so a rerun skips the embedding.
Per index: build time, index bytes and RSS growth, the search parameter tuned to recall@10 ≥
0.95 (tuned on one half of the held-out queries, reported on the other), single-query latency
and QPS, batched QPS.

``bench search --gpu`` times the exact index on GPU vs CPU in one run, single queries and
batches, and checks both return the same neighbours; without a GPU it says so and stops.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import BadInput

log = logging.getLogger(__name__)

REPORT_NAME = "vectors.json"
GPU_REPORT_NAME = "search_gpu.json"
N_QUERIES = 200
MAX_SHIFT = 6  # semitones either way: the keys a folk tune is commonly played in


# ------------------------------------------------------------------------------ the vectors


def realistic_vectors(n: int, seed: int = 0, cache_dir: Path | None = None) -> np.ndarray:
    """(n, D) unit float32: the music tower over transposed, cropped windows of the catalog."""
    from cantus.catalog import load_catalog
    from recommender.encoder import load_encoder

    encoder = load_encoder()
    path = None
    if cache_dir is not None:
        path = cache_dir / f"bench-vectors-v2-{encoder.encoder_id[:12]}-{n}-{seed}.npy"
        if path.is_file():
            return np.load(path)
    tokens = load_catalog(columns=["tokens"])["tokens"]
    rng = np.random.default_rng(seed)
    out = np.empty((n, encoder.dim), dtype=np.float32)
    started, step = time.perf_counter(), 1024
    for lo in range(0, n, step):
        count = min(step, n - lo)
        windows = [_window(tokens.iloc[int(r)], encoder.cfg.max_len, rng)
                   for r in rng.integers(0, len(tokens), count)]  # fmt: skip
        out[lo : lo + count] = encoder.encode_ids(windows, batch_size=256)
        log.info("embedded %d/%d windows (%.0f/s)", lo + count, n,
                 (lo + count) / (time.perf_counter() - started))  # fmt: skip
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out)
    return out


def _window(ids: Any, max_len: int, rng: np.random.Generator) -> list[int]:
    """A random bar-aligned crop of 1/4 to all of the tower's window, randomly transposed.

    The shipped tower reads relative pitch, so a transposed copy embeds exactly like the
    original: the varied crop lengths are what make the windows (mostly) distinct."""
    from cantus.tokens import crop_ids, transpose_bounds, transpose_ids

    ids = [int(t) for t in ids]
    lo, hi = transpose_bounds(ids)
    lo, hi = max(lo, -MAX_SHIFT), min(hi, MAX_SHIFT)
    shift = int(rng.integers(lo, hi + 1)) if lo <= hi else 0
    length = int(rng.integers(max(8, max_len // 4), max_len + 1))
    return crop_ids(transpose_ids(ids, shift) if shift else ids, length, rng)


# ------------------------------------------------------------------------------ FAISS / Milvus


def bench_vectors(n: int, milvus: bool, hnsw_budget_s: float, seed: int = 0) -> dict[str, Any]:
    """Exact vs IVF vs HNSW (FAISS; Milvus Lite too with ``milvus``) on realistic vectors."""
    from cantus.config import cantus_home
    from recommender.bench import BenchConfig, _measure_index, machine_info, timed
    from recommender.index import exact_knn

    embed_s, data = timed(lambda: realistic_vectors(n + N_QUERIES, seed, cantus_home() / "cache"))
    xb, xq = data[:n], data[n:]
    # Short pieces give the same window more than once (and shifts embed alike): exact twins
    # make recall@10 ambiguous (which twin is "the" neighbour) and stall HNSW's graph walk
    # (measured at 100k: efSearch 2048 stuck at recall 0.933), so each is indexed once.
    _, first = np.unique(xb.round(5), axis=0, return_index=True)
    duplicates = len(xb) - len(first)
    xb = xb[np.sort(first)]
    tune_q, eval_q = xq[: N_QUERIES // 2], xq[N_QUERIES // 2 :]
    config = BenchConfig(n=max(len(xb), 1000), dim=xb.shape[1], hnsw_budget_s=hnsw_budget_s,
                         engine=False, n_queries=N_QUERIES, seed=seed)  # fmt: skip
    nlist = 2 ** round(np.log2(np.sqrt(len(xb))))
    faiss_part: dict[str, Any] = {}
    for factory, budget in (("Flat", None), (f"IVF{nlist},Flat", None), ("HNSW32", hnsw_budget_s)):
        faiss_part[factory] = _measure_index(config, xb, factory, tune_q, eval_q, budget)
    report: dict[str, Any] = {
        "name": "vectors",
        "vectors": "music tower over transposed, cropped windows of the catalog",
        "n": len(xb),
        "windows_embedded": n,
        "exact_duplicates_dropped": duplicates,
        "dim": int(xb.shape[1]),
        "embed_or_cache_s": round(embed_s, 1),
        "machine": machine_info(),
        "faiss": faiss_part,
    }
    if milvus:
        truth = exact_knn(xb, eval_q, 10)[1]
        report["milvus_lite"] = bench_milvus_lite(xb, eval_q, truth, nlist)
    return report


def bench_milvus_lite(
    xb: np.ndarray, xq: np.ndarray, truth: np.ndarray, nlist: int
) -> dict[str, Any]:
    """FLAT, IVF_FLAT and HNSW in a throw-away Milvus Lite file (same client as a server)."""
    import tempfile

    from recommender.bench_milvus import measure_milvus_index

    out = {}
    with tempfile.TemporaryDirectory(prefix="cantus-milvus-bench-") as tmp:
        for kind, build, search in (
            ("FLAT", {}, {}),
            ("IVF_FLAT", {"nlist": nlist}, {"nprobe": 16}),
            ("HNSW", {"M": 32, "efConstruction": 200}, {"ef": 64}),
        ):
            try:
                out[kind] = measure_milvus_index(
                    Path(tmp) / "bench.db", kind, build, search, xb, xq, truth
                )
            except Exception as exc:  # e.g. an index type this Milvus Lite lacks: say so
                out[kind] = {"error": " ".join(str(exc).split())[:300]}
    return out


# ------------------------------------------------------------------------------------ GPU


def bench_gpu(n: int, seed: int = 0) -> dict[str, Any]:
    """Exact search on GPU vs CPU over ``n`` realistic-distribution vectors, in one run."""
    from recommender.bench import BenchConfig, machine_info, percentiles, synthetic_vectors, timed
    from recommender.index import VectorIndex, gpu_available

    if not gpu_available():
        import faiss

        has_gpu_build = hasattr(faiss, "StandardGpuResources")
        why = "no GPU visible to faiss" if has_gpu_build else "this faiss build has no GPU support"
        msg = (
            f"bench search --gpu: {why} (faiss {faiss.__version__}, "
            f"{faiss.get_num_gpus()} GPUs); install cantus[gpu] on a machine with an NVIDIA GPU"
        )
        raise BadInput(msg)
    xb, xq = synthetic_vectors(BenchConfig(n=n, engine=False, seed=seed))
    out: dict[str, Any] = {"n": n, "dim": int(xb.shape[1]), "machine": machine_info()}
    found = {}
    for device, use_gpu in (("cpu", False), ("gpu", True)):
        index = VectorIndex.build(xb, "Flat", encoder_id="bench", use_gpu=use_gpu)
        index.search(xq[:1], 10)  # moves the index to the GPU (timed apart from queries)
        single = [timed(lambda q=q, i=index: i.search(q[None], 10))[0] for q in xq]
        batch_s, (_, found[device]) = timed(lambda i=index: i.search(xq, 10))
        out[device] = {
            "single_query": percentiles(single),
            "single_qps": round(len(xq) / sum(single), 1),
            "batch_qps": round(len(xq) / batch_s, 1),
            "batch_size": len(xq),
        }
    out["same_top10_share"] = float(np.mean(found["cpu"] == found["gpu"]))
    return out


def save(report: dict[str, Any], name: str) -> Path:
    from cantus.config import bench_dir

    path = bench_dir() / name
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path


def vectors_summary(report: dict[str, Any]) -> list[str]:
    """The lines the CLI prints (the JSON file has everything)."""
    from recommender.bench import _faiss_lines

    part = {"n": report["n"], "dim": report["dim"], **report["faiss"]}
    lines = _faiss_lines(part)
    lines[0] = f"faiss: {report['n']} x {report['dim']} music-tower vectors (transposed crops)"
    for kind, r in report.get("milvus_lite", {}).items():
        if "error" in r:
            lines.append(f"  milvus-lite {kind:<9} failed: {r['error']}")
            continue
        lines.append(
            f"  milvus-lite {kind:<9} build {r['build_s']} s, recall@10 {r['recall_at_10']}, "
            f"single p50 {r['single_query']['p50_ms']} ms ({r['single_qps']} QPS), "
            f"batch {r['batch_qps']} QPS  {r['params']}"
        )
    return lines
