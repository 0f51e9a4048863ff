"""``cantus bench ingest --ray``: the local pool and Ray on the same works, in one run.

Both runs parse the same deterministic sample of corpus works (every k-th work, so the mix of
collections is the corpus's own) with the same per-work function and the same number of CPUs.
Ray's start-up is timed apart from its parsing: a cluster starts once, not per batch.

The projection for a cluster scales the *measured* per-work CPU cost: wall time on ``N`` nodes
of ``C`` cores = works x CPU-seconds per work / (N x C x efficiency), where efficiency is the
share of this machine's CPUs that Ray's run actually kept busy (CPU-seconds of work done /
(wall seconds x CPUs)); driver overhead and cluster start-up are added on top.
"""

from __future__ import annotations

import time
from typing import Any

from cantus import config
from cantus.bench_ingest import spread, timed_run
from cantus.distributed import ray_session
from cantus.works import corpus_works

PROJECTION = {"nodes": 10, "cores_per_node": 16, "files": 250_000}  # PDMX-sized library


def bench_ingest_ray(n_works: int = 600, jobs: int | None = None) -> dict[str, Any]:
    """Pieces/s of the local pool vs local Ray on ``n_works`` corpus works, and a projection."""
    jobs = jobs or config.default_jobs()
    specs, _ = corpus_works()
    sample = spread(specs, n_works)
    local = timed_run(sample, jobs)
    started = time.perf_counter()
    with ray_session("", jobs) as cluster:
        startup_s = time.perf_counter() - started
        ray_run = timed_run(sample, jobs)
    ray_run["startup_s"] = round(startup_s, 2)
    return {
        "name": "ingest_ray",
        "works": len(sample),
        "jobs": jobs,
        "cluster": cluster,
        "runs": {"local_pool": local, "ray_local": ray_run},
        "ray_vs_pool": round(ray_run["pieces_per_s"] / max(1e-9, local["pieces_per_s"]), 3),
        "projection": project(ray_run, **PROJECTION),
        "note": "same works, same per-work function, same CPUs; Ray start-up timed apart",
    }


def project(run: dict[str, Any], nodes: int, cores_per_node: int, files: int) -> dict[str, Any]:
    """Wall time for ``files`` one-work files on a cluster, from this run's measured costs."""
    efficiency = max(0.05, min(1.0, run["busy_share"]))
    cores = nodes * cores_per_node
    parse_s = files * run["cpu_s_per_work"] / (cores * efficiency)
    total_s = parse_s + run.get("startup_s", 0.0)
    return {
        "nodes": nodes,
        "cores_per_node": cores_per_node,
        "files": files,
        "cpu_s_per_work": run["cpu_s_per_work"],
        "efficiency": efficiency,
        "hours": round(total_s / 3600, 2),
        "single_machine_hours_at_2_cores": round(
            files * run["cpu_s_per_work"] / (2 * efficiency) / 3600, 1
        ),
        "assumes": "one work per file (Lakh MIDI, PDMX); this machine's per-work CPU cost; "
        "the efficiency Ray reached here; data already on every node (shared storage)",
    }


def summary(report: dict[str, Any]) -> list[str]:
    """The lines the CLI prints."""
    lines = []
    for name, run in report["runs"].items():
        extra = f", start-up {run['startup_s']} s" if "startup_s" in run else ""
        lines.append(
            f"{name}: {run['pieces_per_s']} pieces/s ({run['ok']} ok, {run['failed']} failed, "
            f"{run['seconds']} s, {run['jobs']} CPUs, busy {run['busy_share']:.0%}{extra})"
        )
    lines.append(f"ray / pool throughput: {report['ray_vs_pool']:.2f}")
    p = report["projection"]
    lines.append(
        f"projection: {p['files']:,} files on {p['nodes']} nodes x {p['cores_per_node']} cores "
        f"≈ {p['hours']} h (measured {p['cpu_s_per_work']} CPU-s per work, efficiency "
        f"{p['efficiency']:.0%}; this machine alone: {p['single_machine_hours_at_2_cores']} h)"
    )
    return lines
