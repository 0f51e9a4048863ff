"""Deleting a person everywhere: their history rows and the files kept for them on disk.

``cantus user delete`` and the app's "Delete my data" used to drop the database rows only,
leaving every seed file and upload behind. Files are removed only when they are provably
this person's: a seed file whose bytes equal the seed stored for them (so a file someone
replaced is never touched) and that no remaining person's seed shares (identical requests
give identical seed ids and paths), plus their upload folder (``cantus.config.uploads_dir``).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from cantus import config
from db import repo
from db.models import Seed, User
from db.session import session_scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedFile:
    path: Path
    content: bytes | str  # MIDI bytes or MusicXML text, as stored with the seed
    seed_id: str  # generator seed id ("" when unknown)


def erase_user(name: str) -> dict[str, Any]:
    """Delete the person and their files: ``{"rows": {table: count}, "files": count}``."""
    canonical = repo.validate_user_name(name)
    files = _seed_files(canonical)
    rows = repo.delete_user(canonical)  # BadInput for an unknown name: nothing is touched
    shared = _seed_ids_in_use()
    removed = sum(_remove_if_same(f) for f in files if not (f.seed_id and f.seed_id in shared))
    removed += _remove_folder(config.uploads_dir(canonical))
    log.info("erased %r: %s rows, %d files", canonical, rows, removed)
    return {"rows": rows, "files": removed}


def _seed_files(name: str) -> list[SeedFile]:
    """Where each of the person's seeds was written, with the content it must still have."""
    out: list[SeedFile] = []
    with session_scope() as session:
        query = (
            select(Seed.params, Seed.midi, Seed.musicxml)
            .join(User, User.id == Seed.user_id)
            .where(User.name == name)
        )
        for params, midi, musicxml in session.execute(query):
            seed_id = str((params or {}).get("seed_id") or "")
            for path in _candidate_paths(params or {}, seed_id):
                content = midi if path.suffix == ".mid" else musicxml
                out.append(SeedFile(path, content, seed_id))
    return out


def _candidate_paths(params: dict, seed_id: str) -> list[Path]:
    """Recorded paths (``params["files"]``); older seeds: ``<seed id>.*`` in the seeds folder."""
    recorded = [Path(p) for p in params.get("files") or [] if isinstance(p, str)]
    if recorded or not seed_id:
        return recorded
    root = config.seeds_dir()
    return [*root.rglob(f"{seed_id}.mid"), *root.rglob(f"{seed_id}.musicxml")]


def _seed_ids_in_use() -> set[str]:
    with session_scope() as session:
        return {
            str((params or {}).get("seed_id") or "")
            for params in session.scalars(select(Seed.params))
        } - {""}


def _remove_if_same(item: SeedFile) -> bool:
    """Delete ``item.path`` if it still holds the stored content; its folder too if empty."""
    try:
        if item.path.is_symlink() or not item.path.is_file():
            return False
        if isinstance(item.content, bytes):
            same = item.path.read_bytes() == item.content
        else:
            same = item.path.read_text(encoding="utf-8") == item.content
        if not same:
            return False
        item.path.unlink()
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("could not remove seed file %s: %s", item.path, exc)
        return False
    folder, root = item.path.parent, config.seeds_dir()
    if folder != root and folder.is_relative_to(root):  # the app's per-run folder, once empty
        with contextlib.suppress(OSError):
            folder.rmdir()
    return True


def _remove_folder(folder: Path) -> int:
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return count
