"""``cantus bench vectors``: exact vs IVF vs HNSW on realistic vectors (FAISS, Milvus Lite);
``cantus bench stores``: the serving engine with FAISS vs a Milvus store.

    cantus bench vectors [--n 100000] [--milvus] [--hnsw-budget-s 300] [--json]
    cantus bench stores [--uri ./vectors.db | --uri http://host:19530] [--json]

See ``recommender.bench_scale`` for what is measured; the report is saved to
``$CANTUS_HOME/bench/vectors.json``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cantus.errors import BadInput

if TYPE_CHECKING:
    from cantus.cli import Registry


def register(reg: Registry) -> None:
    bench = reg.add(
        reg.bench, "vectors", _bench_vectors, help="exact/IVF/HNSW on music-tower vectors"
    )
    bench.add_argument(
        "--n", type=int, default=100_000, help="vectors (music-tower windows) to index"
    )
    bench.add_argument("--milvus", action="store_true", help="also FLAT/IVF/HNSW in Milvus Lite")
    bench.add_argument(
        "--hnsw-budget-s", type=float, default=300.0, help="stop adding to HNSW after this long"
    )

    stores = reg.add(
        reg.bench, "stores", _bench_stores, help="serving engine: FAISS vs a Milvus store"
    )
    stores.add_argument(
        "--uri", default=None, help="Milvus URI (default: a fresh Milvus Lite file, removed after)"
    )


def _bench_stores(args: argparse.Namespace) -> None:
    from cantus.config import cantus_home
    from cantus.output import emit
    from recommender.bench_milvus import bench_stores
    from recommender.bench_scale import save

    uri = getattr(args, "uri", None)
    if uri is None:  # a fresh Lite file: the first open measures the fill
        with tempfile.TemporaryDirectory(prefix="cantus-stores-", dir=cantus_home()) as tmp:
            report = bench_stores(str(Path(tmp) / "vectors.db"))
    else:
        report = bench_stores(uri)
    path = save(report, "stores.json")
    lines = [
        f"{report['pieces']} pieces; Milvus first open {report['milvus_first_open_s']} s, "
        f"reopen {report['milvus_reopen_s']} s"
    ]
    for name in ("faiss", "milvus"):
        r = report[name]
        lines.append(
            f"{name}: search p50 {r['search']['p50_ms']} ms, filtered p50 "
            f"{r['search_mode_minor']['p50_ms']} ms, nearest p50 {r['nearest']['p50_ms']} ms"
        )
    emit(report, args.json, "\n".join([*lines, f"saved to {path}"]))


def _bench_vectors(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from recommender.bench_scale import REPORT_NAME, bench_vectors, save, vectors_summary

    n = getattr(args, "n", 100_000)
    budget = getattr(args, "hnsw_budget_s", 300.0)
    if n < 1000 or budget <= 0:
        msg = f"--n must be ≥ 1000 and --hnsw-budget-s > 0 (received {n}, {budget})"
        raise BadInput(msg)
    report = bench_vectors(n, getattr(args, "milvus", False), budget)
    path = save(report, REPORT_NAME)
    emit(report, args.json, "\n".join([*vectors_summary(report), f"saved to {path}"]))
