"""``cantus bench recommend``: warm latency of personal recommendations on the data dir in use.

Listeners are the evaluation's simulated ones (``recommender.eval_recommend``: favourites from
source-defined tastes, one and two tastes), plus the same listeners after a few "not for me"
pieces, so the timed path includes clustering, whole-catalog taste scores, negatives, MMR and
`why`. The first call (facet codes, field arrays) is timed apart as ``first_call_ms``.
Printed and saved to ``cantus.config.bench_dir() / "recommend.json"``.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import numpy as np

REPORT_NAME = "recommend.json"
TARGET_P50_MS = 50.0  # issue 14: recommend p50 <= 50 ms warm


def bench_recommend(engine: Any, listeners: int = 60, k: int = 10, seed: int = 0) -> dict[str, Any]:
    """Time ``recommend`` for ``listeners`` histories (and again with hidden pieces)."""
    from recommender import eval_recommend as ev
    from recommender.eval_tastes import PAIRS, TASTES, taste_masks
    from recommender.personal import recommend
    from recommender.personal_types import Interaction

    config = ev.EvalConfig(users_per_taste=max(1, listeners // (len(TASTES) + len(PAIRS))))
    masks = {n: m for n, m in taste_masks(engine.catalog, TASTES).items() if m.sum() >= 10}
    ids = engine.catalog["id"].astype(str).to_numpy()
    splits = {t.name: t.split for t in TASTES}
    users = ev.simulate_users(ids, masks, splits, PAIRS, config)[:listeners]
    histories = [
        ev.history_of(u, config, np.random.default_rng([seed, n])) for n, u in enumerate(users)
    ]
    started = time.perf_counter()
    first = recommend(engine, histories[0], k=k) if histories else []
    first_ms = 1000 * (time.perf_counter() - started)
    plain, hidden, cpu = [], [], []
    for history in histories:
        hides = [Interaction(h.id, "dismiss", ev.NOW + timedelta(minutes=1)) for h in first[:3]]
        for times, events in ((plain, history), (hidden, history + hides)):
            cpu_before = time.thread_time()
            times.append(_ms(lambda e=events: recommend(engine, e, k=k)))
            cpu.append(1000 * (time.thread_time() - cpu_before))
    both = plain + hidden
    return {
        "pieces": len(engine.catalog),
        "listeners": len(histories),
        "k": k,
        "first_call_ms": round(first_ms, 1),
        "warm_ms": _percentiles(both),
        "warm_ms_favourites_only": _percentiles(plain),
        "warm_ms_with_not_for_me": _percentiles(hidden),
        # CPU time of the calling thread (one BLAS thread): about the wall time on an idle
        # machine, since this one is shared
        "warm_thread_cpu_ms": _percentiles(cpu),
        "target_p50_ms": TARGET_P50_MS,
        "target_met": bool(both) and float(np.percentile(both, 50)) <= TARGET_P50_MS,
    }


def run(engine: Any, as_json: bool, listeners: int = 60) -> dict[str, Any]:
    from cantus.config import bench_dir
    from cantus.output import emit

    report = bench_recommend(engine, listeners=listeners)
    path = bench_dir() / REPORT_NAME
    path.write_text(json.dumps(report, indent=2) + "\n")
    warm = report["warm_ms"]
    text = (
        f"recommend over {report['pieces']} pieces, {report['listeners']} listeners x 2: "
        f"p50 {warm.get('p50')} ms, p95 {warm.get('p95')} ms, thread CPU p50 "
        f"{report['warm_thread_cpu_ms'].get('p50')} ms (first call "
        f"{report['first_call_ms']} ms; target p50 <= {TARGET_P50_MS:g} ms: "
        f"{'met' if report['target_met'] else 'NOT met'}); saved to {path}"
    )
    emit(report, as_json, text)
    return report


def _ms(call: Any) -> float:
    started = time.perf_counter()
    call()
    return 1000 * (time.perf_counter() - started)


def _percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    return {f"p{q}": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)}
