"""Listing works: corpus and user files cut into one ``WorkSpec`` per work (ABC tunes by X:).

Work is split per *work*, not per file: multi-tune ABC files (one Essen file holds >1000
tunes) are cut into tunes by their ``X:`` lines here, cheaply, and each tune is parsed by
its own task (``cantus.worker``).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cantus.features import abc_meter
from cantus.filecheck import (
    MUSIC_SUFFIXES,
    display_path,
    read_regular,
    unique_paths,
    walk_music_files,
)

CORPUS_NON_SCORES = {".rntxt": "Roman-numeral analysis of a score already in the corpus"}


_X_LINE = re.compile(r"^X:[ \t]*(\S*)", re.MULTILINE)


_FIELD = re.compile(r"^([A-Za-z]):[ \t]*(.*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class WorkSpec:
    """One work to parse: where it lives, its ID parts, and (for ABC tunes) its text."""

    piece_id: str  # DESIGN.md ID; for files that turn out to hold an opus, "#<index>" is appended
    source: str  # music21 corpus-relative path, or absolute path for user files
    number: str  # work number in the file; "" when the file holds one work
    path: str  # absolute path of the file to read
    collection: str
    sha1: str  # 12 hex of the file's bytes
    fmt: str  # "abc" | "midi" | "musicxml" | "humdrum" | "mei"
    text: str | None = None  # the tune's ABC text when the file was split
    rhythm: str = ""  # ABC R: field (dance type), when present
    meter: str | None = None  # from the ABC M: field (music21's ABC meters are unreliable)
    trusted: bool = True  # music21's own corpus: skip hostile-file pre-checks
    size: int = 0  # bytes of work to parse, for scheduling big works first
    user_index: int | None = None  # index of the work in a user file (ID suffix)


@dataclass
class WorkResult:
    """What one task returns: rows for the catalog and/or failure records."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    collection: str = ""
    seconds: float = 0.0
    spec_id: str = ""  # the spec's piece_id, to restore corpus order after the pool

    @classmethod
    def failure(cls, spec: WorkSpec, reason: str) -> WorkResult:
        """The record of a work that never came back (its task or worker failed)."""
        return cls(
            errors=[work_error(spec.source, spec.number, reason)],
            collection=spec.collection,
            spec_id=spec.piece_id,
        )


def sha1_12(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:12]


def decode_text(data: bytes) -> str:
    """ABC files are ASCII/UTF-8 by spec; older collections use Latin-1."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_abc(text: str) -> list[tuple[str, str]]:
    """``[(X number, tune text)]``; a file without X: lines is one tune numbered ""."""
    starts = [m.start() for m in _X_LINE.finditer(text)]
    if not starts:
        return [("", text)] if text.strip() else []
    bounds = [*starts, len(text)]
    tunes = []
    for begin, end in itertools.pairwise(bounds):
        chunk = text[begin:end]
        tunes.append((_X_LINE.match(chunk).group(1), chunk))
    return tunes


def abc_field(tune: str, letter: str) -> str:
    for m in _FIELD.finditer(tune):
        if m.group(1) == letter:
            return m.group(2)
    return ""


def unique_numbers(numbers: list[str]) -> list[str]:
    """Make X numbers unique within a file (a repeated X gets ``.2``, ``.3``...)."""
    seen: dict[str, int] = {}
    out = []
    for num in numbers:
        seen[num] = seen.get(num, 0) + 1
        out.append(num if seen[num] == 1 else f"{num}.{seen[num]}")
    return out


def numbered_tunes(text: str) -> dict[str, str]:
    """An ABC file's tunes by work number, as piece ids number them: "X:0001" and "X:1" are
    the same number, a repeated X becomes "<x>.2", a file of one tune has number ""."""
    tunes = split_abc(text)
    raw = [str(int(x)) if x.isdigit() else x for x, _ in tunes]
    numbers = unique_numbers(raw) if len(tunes) > 1 else [""] * len(tunes)
    return {number: tune for number, (_, tune) in zip(numbers, tunes, strict=True)}


def corpus_root() -> Path:
    from music21 import corpus

    return Path(corpus.__file__).resolve().parent


def corpus_files() -> tuple[list[Path], list[dict[str, str]]]:
    """Music files of music21's core corpus, and the files skipped with a reason."""
    from music21 import corpus

    root = corpus_root()
    listed = sorted({Path(p).resolve() for p in corpus.getCorePaths()})
    keep, skipped = [], []
    for path in listed:
        rel = path.relative_to(root).as_posix()
        if path.suffix.lower() in CORPUS_NON_SCORES:
            skipped.append({"source": rel, "reason": CORPUS_NON_SCORES[path.suffix.lower()]})
        elif path.suffix.lower() in MUSIC_SUFFIXES:
            keep.append(path)
        else:
            skipped.append({"source": rel, "reason": f"unsupported format {path.suffix}"})
    skipped += _unlisted_corpus_files(root, set(listed))
    return keep, skipped


def _unlisted_corpus_files(root: Path, listed: set[Path]) -> list[dict[str, str]]:
    """Non-music files inside the corpus collections (images, licences, code): reported."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.resolve() not in listed and "__pycache__" not in path.parts:
                out.append({"source": path.relative_to(root).as_posix(), "reason": "not a score"})
    return out


def corpus_works(
    files: Iterable[Path] | None = None,
) -> tuple[list[WorkSpec], list[dict[str, str]]]:
    """Every work of the music21 corpus (ABC files split into tunes), plus skipped files."""
    skipped: list[dict[str, str]] = []
    if files is None:
        files, skipped = corpus_files()
    root = corpus_root()
    specs: list[WorkSpec] = []
    for path in files:
        rel = Path(path).resolve().relative_to(root).as_posix()
        specs += _file_works(Path(path), rel, rel.split("/")[0], trusted=True)
    return specs, skipped


def _file_works(path: Path, source: str, collection: str, trusted: bool) -> list[WorkSpec]:
    """Works of one file: ABC tunes by X:, other formats one task per file.

    User files are read by ``read_regular`` (ValueError when refused); the format comes
    from the entry's own name.
    """
    data = path.read_bytes() if trusted else read_regular(path, follow_links=False)
    sha1 = sha1_12(data)
    fmt = MUSIC_SUFFIXES[path.suffix.lower()]
    user = not trusted
    base = dict(
        source=source, path=str(path), collection=collection, sha1=sha1, fmt=fmt, trusted=trusted
    )
    if fmt != "abc":
        pid = f"file:{sha1}#0" if user else f"m21:{source}#"
        return [
            WorkSpec(
                piece_id=pid, number="", size=len(data), user_index=0 if user else None, **base
            )
        ]
    specs = []
    for index, (number, tune) in enumerate(numbered_tunes(decode_text(data)).items()):
        pid = f"file:{sha1}#{index}" if user else f"m21:{source}#{number}"
        specs.append(
            WorkSpec(
                piece_id=pid,
                number=number,
                text=tune,
                rhythm=abc_field(tune, "R"),
                meter=abc_meter(abc_field(tune, "M")),
                size=len(tune),
                user_index=index if user else None,
                **base,
            )
        )
    return specs


def find_user_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[dict[str, str]]]:
    """Supported files under the given files/folders; named files of other types are errors.

    Symbolic links are never followed, neither inside folders nor as named files (a folder
    named on the command line is walked even when it is itself a link).
    """
    files, bad = [], []
    for raw in paths:
        path = Path(os.path.abspath(Path(raw).expanduser()))
        shown = display_path(path)
        if path.is_symlink() and not path.is_dir():
            bad.append(
                work_error(shown, "", "symbolic link: not followed (name the file it points to)")
            )
        elif path.is_dir():
            found, refused = walk_music_files(path)
            files += found
            bad += [work_error(display_path(p), "", reason) for p, reason in refused]
        elif not path.exists():
            bad.append(work_error(shown, "", "no such file or folder"))
        elif path.suffix.lower() not in MUSIC_SUFFIXES:
            kinds = ", ".join(sorted(MUSIC_SUFFIXES))
            reason = f"unsupported file type {path.suffix or '(none)'}; expected one of {kinds}"
            bad.append(work_error(shown, "", reason))
        else:
            files.append(path)
    return unique_paths(files), bad


def user_works(
    files: Iterable[Path], collection: str = "user"
) -> tuple[list[WorkSpec], list[dict[str, str]]]:
    """Works of user files (IDs ``file:<sha1>#<index>``); unreadable, special, oversized or
    empty files are errors, one per file."""
    specs, bad = [], []
    for path in files:
        shown = display_path(path)
        try:
            found = _file_works(path, shown, collection, trusted=False)
        except ValueError as exc:
            bad.append(work_error(shown, "", str(exc)))
            continue
        specs += found
        if not found:
            bad.append(work_error(shown, "", "no tunes found in the ABC file"))
    return specs, bad


def work_error(source: str, number: str, reason: str) -> dict[str, str]:
    """A failure record, as ``corpus_errors.json`` and ``cantus ingest`` report it."""
    return {"source": source, "number": number, "reason": reason}
