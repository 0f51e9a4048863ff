"""Inside an ingest worker: one work parsed, time-limited, into catalog rows or failure records.

Each task has a time limit (SIGALRM inside the worker, which interrupts pure-Python music21)
and each file a size limit. A failed work never stops the run: it becomes a
``{"source", "number", "reason"}`` record.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cantus.filecheck import MAX_NOTES, MAX_QUARTERS, check_file, utf8_text
from cantus.works import WorkResult, WorkSpec, work_error

MAX_TUNE_CHARS = 1_000_000  # one ABC tune


WORK_TIME_LIMIT_S = 90  # per work, inside the worker


class WorkTimeout(Exception):
    """Raised inside a worker by SIGALRM."""


def precheck(spec: WorkSpec) -> None:
    """Reject files that would hang or exhaust the parser, before music21 sees them."""
    check_file(Path(spec.path), spec.fmt, follow_links=spec.trusted)


def parse(spec: WorkSpec) -> Any:
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


def expand(parsed: Any) -> list[Any]:
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
            _collect(spec, expand(parse(spec)), result)
    except WorkTimeout:
        result.errors.append(
            work_error(spec.source, spec.number, f"timed out after {time_limit_s} s")
        )
    except MemoryError:
        result.errors.append(work_error(spec.source, spec.number, "ran out of memory"))
    except Exception as exc:
        result.errors.append(work_error(spec.source, spec.number, _reason(exc)))
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
            result.errors.append(work_error(spec.source, number, _reason(exc)))


def init_worker(memory_bytes: int, cap: Callable[[int], None] | None = None) -> None:
    """Cap memory (``cap``: default the address space, ``cantus.limits.cap_memory``), quiet
    music21's warnings, and import the heavy modules once per worker."""
    import warnings

    from cantus.limits import cap_memory

    (cap or cap_memory)(memory_bytes)  # MemoryError in the worker, not the OOM killer
    warnings.simplefilter("ignore")
    logging.getLogger("music21").setLevel(logging.ERROR)
    import music21  # noqa: F401

    from cantus import features, tokens

    tokens.get_tokenizer()
    del features
