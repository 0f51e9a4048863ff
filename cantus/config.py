"""Where cantus reads shipped artifacts and writes everything a run produces.

- ``CANTUS_HOME`` (default ``~/.cantus``): the user's catalog additions, rebuilt data, the
  database, generated seeds and benchmark reports.
- ``CANTUS_DB_URL``: any SQLAlchemy URL; default ``sqlite:///$CANTUS_HOME/cantus.db``.
- ``CANTUS_ARTIFACTS``: the shipped artifacts folder; default ``<repo>/artifacts``.

The *data dir* is the folder the app serves from: ``$CANTUS_HOME/data`` once ``cantus build``
wrote a complete build there (it has a ``manifest.json``), otherwise the shipped artifacts.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

C = TypeVar("C")

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"
SENTENCE_CACHE_DIR = "cache/minilm"  # MiniLM sentence vectors, under a data dir or CANTUS_HOME


def cantus_home() -> Path:
    home = Path(os.environ.get("CANTUS_HOME") or Path.home() / ".cantus").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def shared_cache_dir() -> Path:
    """Caches every ``CANTUS_HOME`` of this installation may share (the ONNX exports of the
    query encoder, the generator's decoder and the music tower; the tokenizer's vocabulary):
    inside the virtual environment, filled once by ``make install``; outside a virtual
    environment, the user's own cache."""
    if sys.prefix == sys.base_prefix:
        return cantus_home() / "cache"
    return Path(sys.prefix) / "share" / "cantus"


def artifacts_dir() -> Path:
    return Path(os.environ.get("CANTUS_ARTIFACTS") or REPO_ROOT / "artifacts").expanduser()


def build_dir() -> Path:
    """Default output of ``cantus build``."""
    return cantus_home() / "data"


def data_dir() -> Path:
    """The folder holding the catalog, tokenizer, encoder, embeddings and generator in use."""
    built = build_dir()
    return built if (built / MANIFEST).is_file() else artifacts_dir()


def user_dir() -> Path:
    """Pieces the user ingested on top of the data dir (catalog rows, embeddings)."""
    path = cantus_home() / "user"
    path.mkdir(parents=True, exist_ok=True)
    return path


def seeds_dir() -> Path:
    path = cantus_home() / "seeds"
    path.mkdir(parents=True, exist_ok=True)
    return path


def uploads_dir(user: str | None) -> Path:
    """Files a person uploaded in the app (removed with them by ``cantus user delete``).

    Folders are named by a hash of the name: any name is a safe folder name that way.
    """
    import hashlib

    name = f"u-{hashlib.sha1(user.encode()).hexdigest()[:16]}" if user else "anonymous"
    path = cantus_home() / "uploads" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_dir() -> Path:
    path = cantus_home() / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_url() -> str:
    return os.environ.get("CANTUS_DB_URL") or f"sqlite:///{cantus_home() / 'cantus.db'}"


def default_jobs() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def prune_cache(keep: Path, pattern: str, min_age_s: float = 0.0) -> int:
    """Delete the files beside ``keep`` that match ``pattern`` (older versions of one cache,
    keyed by catalog contents): one copy is kept, not one per ingest. ``min_age_s`` spares
    files written more recently (another live version may still need them). Returns how many
    went."""
    removed = 0
    cutoff = time.time() - min_age_s
    for path in keep.parent.glob(pattern):
        if path != keep and path.is_file() and (min_age_s <= 0 or _mtime(path) < cutoff):
            try:
                path.unlink()
                removed += 1
            except OSError:  # another process may be replacing it; it prunes next time
                continue
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # gone meanwhile: nothing to prune
        return float("inf")


def config_from_dict(cls: type[C], data: Any, what: str) -> C:
    """``cls(**data)`` for a saved dataclass config; fields it does not have (a file written by
    another version) are a ``ValueError`` naming them, not silently dropped."""
    if not isinstance(data, dict):
        msg = f"{what} must be a JSON object (received {type(data).__name__})"
        raise ValueError(msg)
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        msg = f"unknown {what} fields {unknown} (written by another version?)"
        raise ValueError(msg)
    return cls(**data)
