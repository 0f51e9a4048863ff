"""Adding a user's files to the user catalog (``cantus ingest``), one writer at a time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from cantus import catalog as cat
from cantus.filecheck import display_path, read_regular
from cantus.ingest import dedupe, run_works, write_json_atomic
from cantus.works import find_user_files, sha1_12, user_works

log = logging.getLogger(__name__)

LOCK_FILE = ".ingest.lock"

USER_ERRORS_FILE = "ingest_errors.json"


@dataclass
class IngestReport:
    """Outcome of ``ingest_paths``: what was added, what was bad, what was already there."""

    added: list[str] = field(default_factory=list)  # piece IDs
    replaced: list[str] = field(default_factory=list)  # paths whose old pieces were replaced
    unchanged: list[str] = field(default_factory=list)  # paths already ingested with these bytes
    errors: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    embedded: str = ""  # what happened to the embeddings

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "ids": self.added,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "embedded": self.embedded,
        }


def ingest_paths(
    paths: list[str | Path],
    jobs: int = 1,
    user_dir: Path | None = None,
    progress: bool = True,
    embed: Callable[[], Any] | None = None,
    retry_failed: bool = False,
) -> IngestReport:
    """Add users' files/folders to ``user_dir()/catalog.parquet``; bad files become records.

    ``embed`` (the CLI passes ``recommender.embed.embed_user_pieces``) embeds the new pieces;
    the core package never imports the recommender itself.

    Files that failed before with the same bytes are reported again without parsing unless
    ``retry_failed`` (``cantus.ingest_failures``).
    """
    from cantus import config
    from cantus import ingest_failures as failures

    start = time.perf_counter()
    folder = Path(user_dir) if user_dir is not None else config.user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    report = IngestReport()
    files, report.errors = find_user_files(paths)
    with FileLock(folder / LOCK_FILE):  # one writer of the user catalog (read-modify-write)
        existing = cat.read_frame(folder / cat.CATALOG_FILE)
        memory = failures.load(folder)
        files = _new_or_changed(files, existing, report, {} if retry_failed else memory)
        specs, bad = user_works(files)
        report.errors += bad
        specs = dedupe(specs)
        rows, errors, _ = run_works(specs, jobs, progress=progress)
        report.errors += errors
        _store_user_rows(folder, existing, rows, report)
        failures.save(folder, failures.update(memory, specs, rows, errors))
    report.seconds = time.perf_counter() - start
    if report.added and embed is not None:
        report.embedded = _embed_user_pieces(embed)
    return report


def _new_or_changed(
    files: list[Path], existing: Any, report: IngestReport, known_bad: dict | None = None
) -> list[Path]:
    """Drop files whose bytes are already in the catalog (or in ``known_bad``, reported again
    from there); note changed paths for replacement."""
    from cantus.ingest_failures import remembered

    known = set(existing["sha1"]) if len(existing) else set()
    by_path = dict(zip(existing["source"], existing["sha1"], strict=True)) if len(existing) else {}
    todo = []
    for path in files:
        shown = display_path(path)
        try:
            sha1 = sha1_12(read_regular(path, follow_links=False))
        except ValueError:
            sha1 = ""  # user_works reports why
        if sha1 and sha1 in known:
            report.unchanged.append(shown)
            continue
        if sha1 and sha1 in (known_bad or {}):
            report.errors += remembered(known_bad, sha1, shown)
            continue
        if shown in by_path:
            report.replaced.append(shown)
        todo.append(path)
    return todo


def _store_user_rows(folder: Path, existing: Any, rows: list[dict], report: IngestReport) -> None:
    """Replace changed paths' pieces with the new rows; atomic write."""
    import pandas as pd

    new = cat.refresh_captions(cat.rows_to_frame(rows))
    replaced = set(report.replaced)
    if replaced and len(existing):
        existing = existing[~existing["source"].isin(replaced)]
    if not len(new) and not replaced:
        return
    frame = pd.concat([existing, new], ignore_index=True) if len(existing) else new
    cat.save_catalog(frame, folder / cat.CATALOG_FILE)
    write_json_atomic(folder / USER_ERRORS_FILE, report.errors)
    report.added = list(new["id"])


def _embed_user_pieces(embed: Callable[[], Any]) -> str:
    """Run the recommender's embedding; a failure is reported (the rows stay stored)."""
    try:
        embed()
    except Exception as exc:
        log.warning("embedding the new pieces failed: %s", exc)
        return f"not embedded: {type(exc).__name__}: {exc}"
    return "embedded"
