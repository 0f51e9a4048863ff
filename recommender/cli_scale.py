"""``cantus bench vectors``: exact vs IVF vs HNSW on realistic vectors (FAISS, Milvus Lite).

    cantus bench vectors [--n 100000] [--milvus] [--hnsw-budget-s 300] [--json]

See ``recommender.bench_scale`` for what is measured; the report is saved to
``$CANTUS_HOME/bench/vectors.json``.
"""

from __future__ import annotations

import argparse
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
