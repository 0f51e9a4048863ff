"""``cantus build``: run the stages catalog -> encoder -> generator, then write manifest.json.

The encoder and generator stages live in other packages and are imported lazily; a stage
whose package is missing is reported as "not available" (and fails the build) rather than
silently skipped. ``manifest.json`` records every file in the output folder (sha256, bytes),
the exact command line, the profile, each stage's metrics and timings, and library versions.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cantus.atomic import write_text_atomic
from cantus.errors import BadInput, CantusError

log = logging.getLogger(__name__)

STAGES: tuple[str, ...] = ("catalog", "metadata", "encoder", "generator")
PROFILES: tuple[str, ...] = ("tiny", "default")
MANIFEST = "manifest.json"
CACHE_PREFIX = "cache/"  # build-time caches: neither shipped nor listed
# stage -> (module, function) called as function(out_dir, profile, seed=0)
MODEL_STAGES: dict[str, tuple[str, str]] = {
    "encoder": ("recommender.train", "build_encoder"),
    "generator": ("generator.train", "build_generator"),
}


class StageUnavailable(CantusError):
    """A stage's package or function is not installed / not written yet."""


def validate(corpus: list[str], jobs: int, profile: str, stages: list[str]) -> None:
    if profile not in PROFILES:
        raise BadInput(f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise BadInput(f"unknown stages {unknown or stages} (expected some of {', '.join(STAGES)})")
    if jobs < 1:
        raise BadInput(f"--jobs must be >= 1 (received {jobs})")
    for source in corpus:
        if source != "music21" and not Path(source).expanduser().exists():
            raise BadInput(f"corpus source {source!r} is neither 'music21' nor an existing path")


def _stage_function(stage: str) -> Callable[..., dict]:
    module_name, func_name = MODEL_STAGES[stage]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise StageUnavailable(
            f"stage {stage!r} not available: {module_name} is not installed ({exc})"
        ) from exc
    func = getattr(module, func_name, None)
    if func is None:
        raise StageUnavailable(
            f"stage {stage!r} not available: {module_name}.{func_name} does not exist"
        )
    return func


def _run_stage(stage: str, corpus: list[str], out_dir: Path, jobs: int, profile: str) -> dict:
    if stage == "catalog":
        from cantus.ingest import build_catalog

        return build_catalog(corpus, out_dir, jobs, profile)
    if stage == "metadata":
        return _metadata_stage(out_dir)
    return _stage_function(stage)(out_dir, profile, seed=0)


def _metadata_stage(out_dir: Path) -> dict:
    """Source metadata and captions refreshed in place; the caption vectors (made by the
    encoder stage) rebuilt when the folder already has an encoder."""
    from cantus.catalog_metadata import refresh_metadata

    metrics = refresh_metadata(out_dir)
    captions = out_dir / "caption_embeddings.npy"
    if (out_dir / "encoder").is_dir():
        from recommender.engine import build_caption_embeddings

        for stale in (captions, captions.with_suffix(".json")):
            stale.unlink(missing_ok=True)
        metrics["caption_embeddings"] = build_caption_embeddings(out_dir)
    return metrics


def file_entries(out_dir: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file under ``out_dir`` (manifest excluded)."""
    entries = {}
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(out_dir).as_posix()
        if rel == MANIFEST or path.name.startswith(".") or rel.startswith(CACHE_PREFIX):
            continue
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
        entries[rel] = {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}
    return entries


def _versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in ("music21", "miditok", "symusic", "torch", "faiss-cpu", "sentence-transformers"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # an absent library is simply left out
            continue
    from cantus import __version__

    versions["cantus"] = __version__
    return versions


def write_manifest(out_dir: Path, record: dict[str, Any]) -> Path:
    """Merge this run into ``manifest.json`` (stages not rerun keep their earlier metrics)."""
    path = out_dir / MANIFEST
    previous = json.loads(path.read_text()) if path.is_file() else {}
    stages = {**previous.get("stages", {}), **record["stages"]}
    manifest = {
        **record,
        # every stage from scratch, as one command (each stage also records the run that made it)
        "rebuild": f"cantus build --corpus {' '.join(record['corpus'])} --profile "
        f"{record['profile']} --out {_display_path(out_dir)}",
        "stages": stages,
        "files": file_entries(out_dir),
    }
    write_text_atomic(path, json.dumps(manifest, indent=1, ensure_ascii=False, default=str))
    return path


def _display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_build(
    corpus: list[str],
    out_dir: Path,
    jobs: int,
    profile: str,
    stages: list[str],
    command: list[str] | None = None,
) -> dict:
    """Run ``stages`` in pipeline order into ``out_dir`` and write its manifest; returns it.

    A failing stage stops the build (later stages need its output); the manifest still
    records what ran, with the error.
    """
    corpus = list(corpus or ["music21"])
    validate(corpus, jobs, profile, stages)
    out_dir = Path(out_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "command": command if command is not None else [Path(sys.argv[0]).name, *sys.argv[1:]],
        "corpus": corpus,
        "profile": profile,
        "jobs": jobs,
        "started": _now(),
        "versions": _versions(),
        "stages": {},
    }
    failure: Exception | None = None
    for stage in (s for s in STAGES if s in stages):
        start = time.perf_counter()
        log.info("stage %s: start", stage)
        try:
            metrics = _run_stage(stage, corpus, out_dir, jobs, profile)
            status = "ok"
        except StageUnavailable as exc:
            metrics, status, failure = {"error": str(exc)}, "not available", exc
        except Exception as exc:  # recorded in the manifest, then re-raised
            metrics, status, failure = {"error": f"{type(exc).__name__}: {exc}"}, "failed", exc
        record["stages"][stage] = {
            "command": record["command"],
            "status": status,
            "seconds": round(time.perf_counter() - start, 2),
            "finished": _now(),
            "metrics": metrics,
        }
        if failure is not None:
            break
    record["finished"] = _now()
    write_manifest(out_dir, record)
    if failure is not None:
        raise failure
    return record
