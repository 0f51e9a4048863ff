"""Running works through the parse pool, and the build's catalog stage (``build_catalog``).

Works come from ``cantus.works`` (one task per work: multi-tune ABC files are cut into tunes
first) and are parsed by ``cantus.worker`` in a process pool (``process_works``, or Ray under
``cantus.distributed``); each task has a time limit and each file a size limit. A failed work
never stops the run: it becomes a ``{"source", "number", "reason"}`` record. The user's
``cantus ingest`` is ``cantus.user_ingest.ingest_paths``.
"""

from __future__ import annotations

import json
import logging
import math
import multiprocessing as mp
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cantus import catalog as cat
from cantus.atomic import write_text_atomic
from cantus.errors import BadInput
from cantus.worker import WORK_TIME_LIMIT_S, init_worker, process_chunk
from cantus.works import (
    WorkResult,
    WorkSpec,
    corpus_works,
    find_user_files,
    user_works,
)

log = logging.getLogger(__name__)

ERRORS_FILE = "corpus_errors.json"


def _context() -> mp.context.BaseContext:
    """forkserver: workers fork from a clean server, never from a parent holding torch threads."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["music21", "cantus.features", "cantus.tokens", "cantus.worker"])
    return ctx


def process_works(
    specs: list[WorkSpec],
    jobs: int,
    progress: bool = True,
    desc: str = "parsing",
    time_limit: int = WORK_TIME_LIMIT_S,
    chunk: int | None = None,
) -> Iterator[WorkResult]:
    """Run ``process_work`` over ``specs`` with ``jobs`` processes (biggest works first).

    Each chunk has a deadline (``cantus.work_pool``): a parse stuck in C code or a worker
    killed from outside (OOM killer, segfault) fails its own work only; the rest go on.
    """
    from functools import partial

    from tqdm import tqdm

    from cantus.limits import worker_memory_bytes
    from cantus.work_pool import failure_reason, map_chunks

    ordered = sorted(specs, key=lambda s: -s.size)
    if chunk is None:
        chunk = 1 if len(ordered) < 400 else 4  # small chunks: big works first, balanced ends
    bar = tqdm(
        total=len(ordered),
        desc=desc,
        unit="work",
        disable=not progress or not sys.stderr.isatty(),  # no bar noise in logs and pipes
        mininterval=2,
        smoothing=0.05,
    )
    chunks = [ordered[i : i + chunk] for i in range(0, len(ordered), chunk)]
    task = partial(process_chunk, time_limit=time_limit)
    init = (worker_memory_bytes(jobs),)
    try:
        for done, outcome in map_chunks(
            task, chunks, jobs, time_limit, init_worker, init, _context()
        ):
            if isinstance(outcome, BaseException):
                reason = failure_reason(outcome, time_limit)
                outcome = [WorkResult.failure(s, reason) for s in done]
            for result in outcome:
                bar.update(1)
                yield result
    finally:
        bar.close()


def run_works(
    specs: list[WorkSpec],
    jobs: int,
    progress: bool = True,
    time_limit: int = WORK_TIME_LIMIT_S,
    chunk: int | None = None,
) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """All rows (in spec order), failure records, and per-collection timings."""
    start = time.perf_counter()
    order = {spec.piece_id: i for i, spec in enumerate(specs)}
    keyed: list[tuple[int, int, dict]] = []
    errors: list[dict] = []
    stats: dict[str, dict[str, float]] = {}
    from cantus.distributed import works_runner  # --ray / RAY_ADDRESS: the same work on Ray

    runner = works_runner() or process_works
    results = runner(specs, jobs, progress=progress, time_limit=time_limit, chunk=chunk)
    for result in results:
        keyed += [(order[result.spec_id], j, row) for j, row in enumerate(result.rows)]
        errors += result.errors
        s = stats.setdefault(result.collection, {"works": 0, "ok": 0, "failed": 0, "cpu_s": 0.0})
        s["works"] += 1
        s["ok"] += len(result.rows)
        s["failed"] += len(result.errors)
        s["cpu_s"] += result.seconds
    for s in stats.values():
        s["ms_per_work"] = round(1000 * s["cpu_s"] / max(1, s["works"]), 1)
        s["cpu_s"] = round(s["cpu_s"], 1)
    rows = [row for _, _, row in sorted(keyed, key=lambda k: k[:2])]
    errors.sort(key=lambda e: (e["source"], _num_key(e["number"])))
    return rows, errors, {"seconds": round(time.perf_counter() - start, 2), "collections": stats}


def _num_key(number: str) -> tuple[float, str]:
    try:
        return (float(number), number)
    except ValueError:
        return (math.inf, number)


TINY_PLAN: tuple[tuple[str, int], ...] = (
    # (source prefix, works taken in corpus order): a fixed spread over collections
    ("essenFolksong/han1.abc", 30),
    ("essenFolksong/han2.abc", 10),
    ("essenFolksong/erk10.abc", 25),
    ("essenFolksong/kinder0.abc", 15),
    ("essenFolksong/boehme10.abc", 15),
    ("essenFolksong/lux.abc", 15),
    ("essenFolksong/lot.abc", 10),
    ("essenFolksong/zuccal0.abc", 10),
    ("essenFolksong/irl.abc", 10),
    ("oneills1850/0001-0050.abc", 50),
    ("oneills1850/0101-0200.abc", 30),
    ("airdsAirs/book1.abc", 25),
    ("ryansMammoth/", 40),
    ("miscFolk/americanfifeopus.abc", 10),
    ("bach/bwv2", 20),
    ("palestrina/Kyrie_0", 3),
    ("palestrina/Agnus_I_0", 2),
    ("monteverdi/madrigal.3.1", 3),
)


def tiny_subset(specs: list[WorkSpec]) -> list[WorkSpec]:
    """The ``tiny`` profile: a deterministic few hundred works spread over collections."""
    ordered = sorted(specs, key=lambda s: (s.source, _num_key(s.number)))
    chosen: list[WorkSpec] = []
    for prefix, count in TINY_PLAN:
        chosen += [s for s in ordered if s.source.startswith(prefix)][:count]
    return list(dict.fromkeys(chosen))


def _sources_to_specs(sources: list[str]) -> tuple[list[WorkSpec], list[dict], list[dict]]:
    """Works of the build's corpus sources: "music21" or folders/files of user formats."""
    specs: list[WorkSpec] = []
    skipped: list[dict] = []
    bad: list[dict] = []
    for source in sources or ["music21"]:
        if source == "music21":
            found, skip = corpus_works()
            specs += found
            skipped += skip
            continue
        files, missing = find_user_files([source])
        found, errs = user_works(
            files, collection=Path(source).expanduser().resolve().name or "user"
        )
        specs += found
        bad += missing + errs
    return specs, skipped, bad


def build_catalog(
    sources: list[str], out_dir: Path, jobs: int, profile: str, progress: bool = True
) -> dict:
    """The build's catalog stage: parse every work, write catalog, errors and tokenizer."""
    from cantus import tokens

    if profile not in ("tiny", "default"):
        raise BadInput(f"unknown profile {profile!r} (expected tiny or default)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs, skipped, bad = _sources_to_specs(sources)
    specs = dedupe(specs)
    if profile == "tiny":
        specs = tiny_subset(specs)
    log.info("catalog: %d works from %s with %d jobs", len(specs), sources, jobs)
    rows, errors, timing = run_works(specs, jobs, progress=progress)
    errors = bad + errors
    frame = cat.rows_to_frame(rows)
    frame = cat.refresh_captions(frame)
    cat.save_catalog(frame, out_dir / cat.CATALOG_FILE)
    write_json_atomic(out_dir / ERRORS_FILE, errors)
    tokens.save_tokenizer(out_dir / "tokenizer.json")
    total = len(frame) + len(errors)
    return {
        "works": total,
        "ok": len(frame),
        "failed": len(errors),
        "failed_pct": round(100 * len(errors) / max(1, total), 2),
        "seconds": timing["seconds"],
        "pieces_per_s": round(len(frame) / max(1e-9, timing["seconds"]), 2),
        "jobs": jobs,
        "skipped_files": skipped,
        "collections": timing["collections"],
        "failure_reasons": _reason_counts(errors),
    }


def dedupe(specs: list[WorkSpec]) -> list[WorkSpec]:
    """One spec per ID (the same user file named twice, or identical bytes at two paths)."""
    return list({s.piece_id: s for s in reversed(specs)}.values())[::-1]


def _reason_counts(errors: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in errors:
        key = re.sub(r"\d+", "N", e["reason"])[:80]
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:20])


def write_json_atomic(path: Path, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, indent=1, ensure_ascii=False))
