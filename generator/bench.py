"""``cantus bench generate``: how long one 8-bar seed, and four at once, take.

Three timings per case, each with p50/p95 over ``repeats`` runs after one warm-up:

* ``sample`` — constrained decoding alone (model + voice/phrase grammar, one melodic line),
  the part the model owns; ``sample_outer`` the same for a melody + bass seed (hidden inner
  voices, ``generator.outer``);
* ``inspire`` — the whole request as ``cantus inspire`` runs it once the engine is loaded:
  decoding, novelty check, transposition, embedding the seeds (fidelity), MIDI + MusicXML export;
* ``cold_inspire_s`` — wall time of a fresh ``cantus inspire -n 1`` process (imports, loading),
  the median of ``COLD_RUNS``, with each run and the child's CPU time.

Decoding runs on one CPU thread (see ``generator.sample``). The box is shared, so the report
records the load average and, beside each wall-clock p50, the CPU time (``cpu_p50_ms``,
``time.process_time``), which other jobs on the machine change far less.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from generator.checkpoint import LoadedGenerator
from generator.decode import DecodeSpec, decode
from generator.inspire import get_generator, get_novelty_index, inspire
from generator.phrase import check_form
from generator.voices import canonical_voices
from recommender.bench import percentiles

REPORT_NAME = "generate.json"
COLD_RUNS = 3  # fresh processes timed for cold_inspire_s (their median)


def _percentiles(times: tuple[list[float], list[float]]) -> dict[str, float]:
    """p50/p95/mean wall ms and runs of ``times`` (wall, CPU seconds), plus the CPU p50."""
    wall, cpu = times
    stats = percentiles(wall, digits=1)
    stats["runs"] = stats.pop("n")  # this report's name for the count
    stats["cpu_p50_ms"] = percentiles(cpu, digits=1)["p50_ms"]
    return stats


def _time(fn, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``repeats`` calls after one warm-up."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def bench_generate(
    repeats: int = 10,
    engine: Any = None,
    generator: LoadedGenerator | None = None,
    bars: int = 8,
    save: bool = True,
    cold: bool = True,
) -> dict[str, Any]:
    """Time sampling and whole inspire requests; print nothing, return (and save) the report."""
    from cantus.config import bench_dir

    if engine is None:
        from recommender.engine import Engine

        engine = Engine.load()
    gen = generator or get_generator(
        Path(engine.data_dir) / "generator" if getattr(engine, "data_dir", None) else None
    )
    rng = np.random.default_rng(0)
    picks = [
        str(engine.catalog["id"].iloc[int(i)])
        for i in rng.choice(len(engine.catalog), size=3, replace=False)
    ]
    cond = np.mean([engine.vector(p) for p in picks], axis=0)
    cond = (cond / np.linalg.norm(cond)).astype(np.float32) if gen.conditioned else None
    report: dict[str, Any] = {
        "bars": bars,
        "threads": 1,
        "runtime": "onnxruntime",
        "params": int(sum(v.size for v in gen.state.values())),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
    }
    report.update(_time_decoding(gen, cond, bars, repeats))
    for n in (1, 4):
        report[f"inspire_n{n}"] = _time_inspire(engine, gen, picks, n, bars, repeats)
    report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    report["target_p50_ms_one_seed"] = 300
    if cold:
        runs = [_cold_inspire(picks[:2], bars) for _ in range(COLD_RUNS)]
        report["cold_inspire_runs_s"] = [wall for wall, _ in runs]
        report["cold_inspire_cpu_runs_s"] = [cpu for _, cpu in runs]
        report["cold_inspire_s"] = float(np.median(report["cold_inspire_runs_s"]))
        report["load_avg_1m_cold"] = round(os.getloadavg()[0], 2)
    report["target_cold_inspire_s"] = 5.0
    if save:
        (bench_dir() / REPORT_NAME).write_text(json.dumps(report, indent=2))
    return report


def _time_decoding(gen: LoadedGenerator, cond: Any, bars: int, repeats: int) -> dict[str, Any]:
    """p50/p95 of constrained decoding: 1 and 4 melodies, 1 melody + bass (hidden inner)."""
    out: dict[str, Any] = {}
    lengths: list[int] = []
    counter = iter(range(10**6))
    for n, texture in ((1, "melody"), (4, "melody"), (1, "melody+bass")):

        def run(n: int = n, texture: str = texture) -> None:
            spec = DecodeSpec(
                meter="4/4",
                mode="major",
                plan=check_form("phrase", "closed", bars),
                voices=canonical_voices(texture, 0),
                n=n,
                seed=next(counter),
                inner=texture == "melody+bass",
            )
            seeds = decode(gen.decoder, gen.controls, spec, cond)
            if n == 1 and texture == "melody":
                lengths.extend(len(s) for s in seeds)

        name = "sample_outer_n1" if texture != "melody" else f"sample_n{n}"
        out[name] = _percentiles(_time(run, repeats))
    out["tokens_per_seed_mean"] = round(float(np.mean(lengths)), 1)
    return out


def _time_inspire(
    engine: Any, gen: LoadedGenerator, picks: list[str], n: int, bars: int, repeats: int
) -> dict[str, Any]:
    novelty = get_novelty_index(getattr(engine, "data_dir", None))
    counter = iter(range(10**6))
    with tempfile.TemporaryDirectory() as tmp:

        def run() -> None:
            inspire(
                engine,
                from_ids=picks,
                bars=bars,
                n=n,
                seed=next(counter),
                out_dir=tmp,
                generator=gen,
                novelty=novelty,
                key="C major",
                meter="4/4",
                texture="melody",
            )

        return _percentiles(_time(run, repeats))


def _cold_inspire(picks: list[str], bars: int) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of a fresh ``cantus inspire -n 1`` process."""
    import resource
    import subprocess
    import sys

    code = "import sys; from cantus.cli import main; sys.exit(main())"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", code, "inspire", "--from", ",".join(picks), "-n", "1"]
        cmd += ["--bars", str(bars), "--out", tmp]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        msg = f"cold inspire failed: {done.stderr.strip()[-300:]}"
        raise RuntimeError(msg)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return round(seconds, 2), round(cpu, 2)
