"""The ingest benchmark (``cantus bench ingest``): pieces/s of the work pipeline."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from cantus.ingest import run_works
from cantus.worker import expand, parse
from cantus.works import WorkSpec, corpus_works, user_works

log = logging.getLogger(__name__)


def spread(specs: list[WorkSpec], n: int) -> list[WorkSpec]:
    """Every k-th work: a deterministic sample with the corpus's own mix of collections."""
    step = max(1, len(specs) // max(1, n))
    return specs[::step][:n]


def timed_run(specs: list[WorkSpec], jobs: int) -> dict[str, Any]:
    """Wall time (starting the pool included: what a user waits for), pieces/s and the CPU
    seconds the works themselves took (summed per work)."""
    start = time.perf_counter()
    rows, errors, timing = run_works(specs, jobs, progress=False)
    seconds = time.perf_counter() - start
    cpu_s = sum(c["cpu_s"] for c in timing["collections"].values())
    return {
        "jobs": jobs,
        "works": len(specs),
        "ok": len(rows),
        "failed": len(errors),
        "seconds": round(seconds, 2),
        "pieces_per_s": round(len(rows) / seconds, 2),
        "work_cpu_s": round(cpu_s, 1),
        "cpu_s_per_work": round(cpu_s / max(1, len(specs)), 4),
        "busy_share": round(cpu_s / (seconds * jobs), 3),
    }


def write_midi_folder(specs: list[WorkSpec], folder: Path) -> list[Path]:
    """Write corpus works as .mid files (the MIDI half of the ingest benchmark)."""
    from cantus.score_bridge import m21_to_midi_bytes

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, spec in enumerate(specs):
        try:
            score = expand(parse(spec))[0]
            data = m21_to_midi_bytes(score)
        except Exception as exc:
            log.debug("bench: cannot write %s as MIDI: %s", spec.piece_id, exc)
            continue
        path = folder / f"{i:04d}.mid"
        path.write_bytes(data)
        written.append(path)
    return written


def bench_ingest(
    n_works: int = 600, n_midi: int = 200, jobs_list: tuple[int, ...] = (1, 2)
) -> dict[str, Any]:
    """Pieces/s of the full work pipeline (parse, features, tokens) on corpus and MIDI samples."""
    import tempfile

    specs, _ = corpus_works()
    sample = spread(specs, n_works)
    runs = {f"corpus_{j}_job": timed_run(sample, j) for j in jobs_list}
    with tempfile.TemporaryDirectory(prefix="cantus-bench-") as tmp:
        files = write_midi_folder(spread(specs, n_midi), Path(tmp) / "midi")
        midi_specs, _ = user_works(files)
        runs |= {f"midi_folder_{j}_job": timed_run(midi_specs, j) for j in jobs_list}
    return {
        "name": "ingest",
        "corpus_sample_works": len(sample),
        "midi_files": len(files),
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "note": "wall time includes starting the worker pool; sample = every k-th corpus work",
    }
