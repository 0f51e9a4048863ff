"""Corpus and user-file ingestion: files -> works -> parsed pieces -> catalog rows.

Work is split per *work*, not per file: multi-tune ABC files (one Essen file holds >1000
tunes) are cut into tunes by their ``X:`` lines here, cheaply, and each tune is parsed by
its own task. Tasks run in a process pool; each has a time limit (SIGALRM inside the worker,
which interrupts pure-Python music21) and each file a size limit. A failed work never stops
the run: it becomes a ``{"source", "number", "reason"}`` record.

Public entry points: ``build_catalog`` (the build's catalog stage), ``ingest_paths`` (the
user's ``cantus ingest``), ``corpus_works`` / ``user_works`` (enumeration) and
``process_works`` (the pool).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import math
import multiprocessing as mp
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cantus import catalog as cat
from cantus.errors import BadInput
from cantus.features import abc_meter
from cantus.filecheck import (  # re-exported: callers import these names from here
    MAX_FILE_BYTES,
    MAX_NOTES,
    MAX_QUARTERS,
    MUSIC_SUFFIXES,
    check_file,
    display_path,
    read_regular,
    size_problem,
    unique_paths,
    utf8_text,
    walk_music_files,
)

__all__ = ["MAX_FILE_BYTES", "MUSIC_SUFFIXES", "size_problem"]  # kept importable from here

log = logging.getLogger(__name__)

CORPUS_NON_SCORES = {".rntxt": "Roman-numeral analysis of a score already in the corpus"}
MAX_TUNE_CHARS = 1_000_000  # one ABC tune
WORK_TIME_LIMIT_S = 90  # per work, inside the worker
ERRORS_FILE = "corpus_errors.json"
USER_ERRORS_FILE = "ingest_errors.json"

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


class WorkTimeout(Exception):
    """Raised inside a worker by SIGALRM."""


# ------------------------------------------------------------------------- file helpers
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


def _unique_numbers(numbers: list[str]) -> list[str]:
    """Make X numbers unique within a file (a repeated X gets ``.2``, ``.3``...)."""
    seen: dict[str, int] = {}
    out = []
    for num in numbers:
        seen[num] = seen.get(num, 0) + 1
        out.append(num if seen[num] == 1 else f"{num}.{seen[num]}")
    return out


# ---------------------------------------------------------------------- corpus enumeration
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
    tunes = split_abc(decode_text(data))
    # "X:0001" and "X:1" are the same work number
    raw = [str(int(x)) if x.isdigit() else x for x, _ in tunes]
    numbers = _unique_numbers(raw) if len(tunes) > 1 else [""] * len(tunes)
    specs = []
    for index, ((_, tune), number) in enumerate(zip(tunes, numbers, strict=True)):
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


# ------------------------------------------------------------------------ user enumeration
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
            bad.append(_err(shown, "", "symbolic link: not followed (name the file it points to)"))
        elif path.is_dir():
            found, refused = walk_music_files(path)
            files += found
            bad += [_err(display_path(p), "", reason) for p, reason in refused]
        elif not path.exists():
            bad.append(_err(shown, "", "no such file or folder"))
        elif path.suffix.lower() not in MUSIC_SUFFIXES:
            kinds = ", ".join(sorted(MUSIC_SUFFIXES))
            reason = f"unsupported file type {path.suffix or '(none)'}; expected one of {kinds}"
            bad.append(_err(shown, "", reason))
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
            bad.append(_err(shown, "", str(exc)))
            continue
        specs += found
        if not found:
            bad.append(_err(shown, "", "no tunes found in the ABC file"))
    return specs, bad


def _err(source: str, number: str, reason: str) -> dict[str, str]:
    return {"source": source, "number": number, "reason": reason}


# ----------------------------------------------------------------------- hostile-file checks
def precheck(spec: WorkSpec) -> None:
    """Reject files that would hang or exhaust the parser, before music21 sees them."""
    check_file(Path(spec.path), spec.fmt, follow_links=spec.trusted)


# ------------------------------------------------------------------------------ the worker
def _parse(spec: WorkSpec) -> Any:
    from music21 import converter

    if spec.text is not None:
        if len(spec.text) > MAX_TUNE_CHARS:
            raise ValueError(f"ABC tune too long ({len(spec.text)} characters)")
        with _no_beaming():
            return converter.parseData(spec.text, format="abc", forceSource=True)
    if not spec.trusted:
        precheck(spec)
    fmt = {"midi": "midi", "musicxml": "musicxml", "humdrum": "humdrum", "mei": "mei"}[spec.fmt]
    return converter.parse(spec.path, format=fmt, forceSource=True)


@contextlib.contextmanager
def _no_beaming() -> Iterator[None]:
    """Skip the beaming music21's ABC reader does on every part (~half of its parse time).

    Beams are notation only: no feature or token reads them.
    """
    from music21 import stream

    original = stream.Part.makeBeams
    stream.Part.makeBeams = lambda self, *args, **kwargs: None  # called with inPlace=True only
    try:
        yield
    finally:
        stream.Part.makeBeams = original


def _expand(parsed: Any) -> list[Any]:
    """Scores of a parse: an Opus holds several works, anything else is one."""
    from music21 import stream

    if isinstance(parsed, stream.Opus):
        return list(parsed.scores)
    return [parsed]


def _check_size(features: dict[str, Any], score: Any) -> None:
    if features["n_notes"] == 0:
        raise ValueError("no notes")
    if float(score.highestTime or 0) > MAX_QUARTERS or features["n_notes"] > MAX_NOTES:
        raise ValueError(f"absurdly long ({features['n_notes']} notes)")


def _tokens_for(score: Any, features: dict[str, Any]) -> list[int]:
    """Stored tokens: only the first bars are kept, so only those bars are exported to MIDI."""
    from cantus import tokens

    excerpt = _opening_bars(score, features, tokens.MAX_STORED_TOKENS)
    ids = tokens.score_to_ids(excerpt if excerpt is not None else score)
    if excerpt is not None and len(ids) < 0.75 * tokens.MAX_STORED_TOKENS:
        ids = tokens.score_to_ids(score)  # the estimate cut too early: use the whole piece
    return ids


def _opening_bars(score: Any, features: dict[str, Any], max_tokens: int) -> Any | None:
    """The opening measures holding ~2x ``max_tokens`` (None when the piece is short)."""
    bars, notes = features["bars"], features["n_notes"]
    estimate = 3 * notes + 2 * bars  # REMI: Position+Pitch+Duration per note, Bar+TimeSig per bar
    if bars < 8 or estimate < 3 * max_tokens:
        return None
    from music21 import stream

    keep = max(4, math.ceil(bars * 2 * max_tokens / estimate))
    parts = score.parts if isinstance(score, stream.Score) else [score]
    first = parts[0].getElementsByClass(stream.Measure).first() if parts else None
    start = first.number if first is not None and first.number is not None else 1
    try:
        excerpt = score.measures(start, start + keep - 1)
    except Exception:
        return None
    return excerpt if excerpt.recurse().notes else None


def _row(spec: WorkSpec, score: Any, number: str, piece_id: str) -> dict[str, Any]:
    from cantus.features import extract_features, with_metadata
    from cantus.metadata import source_metadata

    features = extract_features(
        score,
        spec.source,
        number,
        collection=spec.collection,
        rhythm=spec.rhythm,
        meter=spec.meter,
    )
    features = with_metadata(features, source_metadata(spec.text, None if spec.text else score))
    _check_size(features, score)
    # a name that is not UTF-8 can reach the title; the catalog must stay writable
    features = {k: utf8_text(v) if isinstance(v, str) else v for k, v in features.items()}
    ids = _tokens_for(score, features)
    return {
        "id": piece_id,
        **features,
        "captions": [],
        "caption_families": [],
        "tokens": ids,
        "n_tokens": len(ids),
        "sha1": spec.sha1,
    }


def _alarm(_signum: int, _frame: Any) -> None:
    raise WorkTimeout


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise ``WorkTimeout`` in the block after ``seconds`` (SIGALRM: main thread only;
    elsewhere the block runs unlimited, as signals cannot reach other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(max(1, int(seconds)))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = re.sub(r"\s+", " ", text)[:300]
    if isinstance(exc, ValueError) and text:
        return text  # our own checks already read as reasons
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def process_work(spec: WorkSpec, time_limit_s: int = WORK_TIME_LIMIT_S) -> WorkResult:
    """Parse one work, extract features and tokens; never raises (failures are records)."""
    start = time.perf_counter()
    result = WorkResult(collection=spec.collection, spec_id=spec.piece_id)
    try:
        with time_limit(time_limit_s):
            _collect(spec, _expand(_parse(spec)), result)
    except WorkTimeout:
        result.errors.append(_err(spec.source, spec.number, f"timed out after {time_limit_s} s"))
    except MemoryError:
        result.errors.append(_err(spec.source, spec.number, "ran out of memory"))
    except Exception as exc:
        result.errors.append(_err(spec.source, spec.number, _reason(exc)))
    result.seconds = time.perf_counter() - start
    return result


def process_chunk(specs: list[WorkSpec], time_limit: int = WORK_TIME_LIMIT_S) -> list[WorkResult]:
    """``process_work`` over a few small works (fewer round trips to the pool)."""
    return [process_work(spec, time_limit) for spec in specs]


def _collect(spec: WorkSpec, scores: list[Any], result: WorkResult) -> None:
    """Rows for each score of a parse; an opus's works get numbers 1..n."""
    if not scores:
        raise ValueError("no music in the file")
    for i, score in enumerate(scores):
        number, pid = spec.number, spec.piece_id
        if len(scores) > 1:
            number = str(getattr(score.metadata, "number", None) or i + 1)
            pid = f"file:{spec.sha1}#{i}" if not spec.trusted else f"m21:{spec.source}#{number}"
        try:
            result.rows.append(_row(spec, score, number, pid))
        except WorkTimeout:
            raise
        except Exception as exc:
            result.errors.append(_err(spec.source, number, _reason(exc)))


# ------------------------------------------------------------------------------- the pool
def _init_worker(memory_bytes: int) -> None:
    """Cap memory, quiet music21's warnings, and import the heavy modules once per worker."""
    import warnings

    from cantus.limits import cap_memory

    cap_memory(memory_bytes)  # MemoryError in the worker, not the OOM killer
    warnings.simplefilter("ignore")
    logging.getLogger("music21").setLevel(logging.ERROR)
    import music21  # noqa: F401

    from cantus import features, tokens

    tokens.get_tokenizer()
    del features


def _context() -> mp.context.BaseContext:
    """forkserver: workers fork from a clean server, never from a parent holding torch threads."""
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["music21", "cantus.features", "cantus.tokens", "cantus.ingest"])
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
            task, chunks, jobs, time_limit, _init_worker, init, _context()
        ):
            if isinstance(outcome, BaseException):
                reason = failure_reason(outcome, time_limit)
                outcome = [
                    WorkResult(
                        errors=[_err(s.source, s.number, reason)],
                        collection=s.collection,
                        spec_id=s.piece_id,
                    )
                    for s in done
                ]
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


# ------------------------------------------------------------------------ the build stage
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
    specs = _dedupe(specs)
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


def _dedupe(specs: list[WorkSpec]) -> list[WorkSpec]:
    """One spec per ID (the same user file named twice, or identical bytes at two paths)."""
    return list({s.piece_id: s for s in reversed(specs)}.values())[::-1]


def _reason_counts(errors: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in errors:
        key = re.sub(r"\d+", "N", e["reason"])[:80]
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1])[:20])


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, ensure_ascii=False))
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- user ingest
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


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One writer of the user catalog at a time (read-modify-write)."""
    import fcntl

    with open(folder / ".ingest.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    with _locked(folder):
        existing = cat.read_frame(folder / cat.CATALOG_FILE)
        memory = failures.load(folder)
        files = _new_or_changed(files, existing, report, {} if retry_failed else memory)
        specs, bad = user_works(files)
        report.errors += bad
        specs = _dedupe(specs)
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


# ------------------------------------------------------------------------------ benchmark
def _spread(specs: list[WorkSpec], n: int) -> list[WorkSpec]:
    """Every k-th work: a deterministic sample with the corpus's own mix of collections."""
    step = max(1, len(specs) // max(1, n))
    return specs[::step][:n]


def _timed_run(specs: list[WorkSpec], jobs: int) -> dict[str, Any]:
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
    from cantus.tokens import m21_to_midi_bytes

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, spec in enumerate(specs):
        try:
            score = _expand(_parse(spec))[0]
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
    sample = _spread(specs, n_works)
    runs = {f"corpus_{j}_job": _timed_run(sample, j) for j in jobs_list}
    with tempfile.TemporaryDirectory(prefix="cantus-bench-") as tmp:
        files = write_midi_folder(_spread(specs, n_midi), Path(tmp) / "midi")
        midi_specs, _ = user_works(files)
        runs |= {f"midi_folder_{j}_job": _timed_run(midi_specs, j) for j in jobs_list}
    return {
        "name": "ingest",
        "corpus_sample_works": len(sample),
        "midi_files": len(files),
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "note": "wall time includes starting the worker pool; sample = every k-th corpus work",
    }
