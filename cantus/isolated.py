"""Parse one query file (``similar FILE``, ``inspire --motif``, a dashboard upload) in a child.

The file comes from whoever runs the command or uses the app, so its parse runs in a child
process with a wall-clock limit and a memory cap (``cantus.limits``): a tune that makes
music21 allocate gigabytes, or loop for minutes, costs the child, never the CLI or the app.
SIGALRM cannot do this in Streamlit's script threads, and ``RLIMIT_AS`` cannot be set on
one thread of the app.

Results are cached by the file's bytes, so the app's upload check and the generation that
follows parse an upload once. Children come from a forkserver that has music21 and the
tokenizer imported, so each parse starts in milliseconds after the first.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import hashlib
import multiprocessing as mp
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cantus.filecheck import MUSIC_SUFFIXES, check_file, read_regular

PARSE_PROCESSES = 2  # parallel query parses per process (app: concurrent uploads)
CACHE_ENTRIES = 64
_PRELOAD = ["music21", "cantus.features", "cantus.tokens", "cantus.isolated"]


class ParseTimeout(Exception):
    """The child ran past its time limit and was stopped."""


class ParseFailed(Exception):
    """The child could not read the file; the message is one short reason."""


_CACHE: OrderedDict[tuple[str, str], list[int]] = OrderedDict()
_LOCK = threading.Lock()
_POOL: list[Any] = []  # the pebble pool, started on first use


def _pool() -> Any:
    import pebble

    from cantus.limits import cap_memory, worker_memory_bytes

    with _LOCK:
        if not _POOL or not _POOL[0].active:
            method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
            ctx = mp.get_context(method)
            if method == "forkserver":
                ctx.set_forkserver_preload(_PRELOAD)
            if not _POOL:
                atexit.register(_shutdown)
            _POOL[:] = [
                pebble.ProcessPool(
                    max_workers=PARSE_PROCESSES,
                    max_tasks=1,  # a fresh child per parse: no state left by a hostile file
                    initializer=cap_memory,
                    initargs=(worker_memory_bytes(PARSE_PROCESSES),),
                    context=ctx,
                )
            ]
        return _POOL[0]


def _shutdown() -> None:
    """Stop the children before the interpreter goes (a child starting as the parent exits
    prints a traceback about its lost semaphore)."""
    for pool in _POOL:
        pool.stop()
        pool.join(timeout=5)


def run_capped(func: Callable[..., Any], args: tuple, time_limit_s: float) -> Any:
    """``func(*args)`` in a capped child; ParseTimeout / ParseFailed when it cannot finish."""
    import pebble

    future = _pool().schedule(func, args=args, timeout=time_limit_s)
    try:
        return future.result()
    except concurrent.futures.TimeoutError:
        raise ParseTimeout(f"took longer than {time_limit_s:g} s") from None
    except pebble.ProcessExpired as exc:
        raise ParseFailed(f"the parser process died (exit code {exc.exitcode})") from None
    except MemoryError:
        raise ParseFailed("ran out of memory (the parse is capped)") from None


def query_file_ids(path: Path, time_limit_s: float) -> list[int]:
    """Music tokens of the first work in ``path`` (read once, parsed in a capped child).

    Raises ParseFailed (unreadable, refused or unparsable file) or ParseTimeout.
    """
    suffix = path.suffix.lower()
    try:
        data = read_regular(path)  # named by the user: links are followed, to a regular file
    except ValueError as exc:
        raise ParseFailed(str(exc)) from None
    key = (hashlib.sha1(data).hexdigest(), suffix)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return list(_CACHE[key])
    status, value = run_capped(child_file_ids, (str(path), suffix), time_limit_s)
    if status != "ok":
        raise ParseFailed(value)
    with _LOCK:
        _CACHE[key] = list(value)
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return list(value)


# ------------------------------------------------------------------------ in the child
def child_file_ids(path: str, suffix: str) -> tuple[str, Any]:
    """("ok", ids) or ("error", reason): exceptions stay here, as one short line."""
    import re

    from cantus import tokens
    from cantus.errors import CantusError

    try:
        check_file(Path(path), MUSIC_SUFFIXES[suffix])
        if MUSIC_SUFFIXES[suffix] == "midi":
            ids = tokens.midi_to_ids(read_regular(path), max_len=tokens.MAX_STORED_TOKENS)
        else:
            ids = tokens.score_to_ids(first_score(path, MUSIC_SUFFIXES[suffix]))
        return "ok", [int(i) for i in ids]
    except MemoryError:
        return "error", "ran out of memory (the parse is capped)"
    except (ValueError, CantusError) as exc:  # our own checks read as reasons
        return "error", str(exc)
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0]
        reason = re.sub(r"<music21\.[^>]*>", "…", reason)  # parser internals mean nothing here
        reason = reason if len(reason) <= 160 else reason[:159] + "…"
        return "error", f"{type(exc).__name__} {reason}".rstrip()


def first_score(path: str, fmt: str) -> Any:
    """The first work music21 reads from ``path`` as format ``fmt`` (ValueError if none)."""
    import music21

    # forceSource: music21's pickle cache keys on the path's UTF-8 (a non-UTF-8 name crashed)
    parsed = music21.converter.parse(path, format=fmt, forceSource=True)
    if isinstance(parsed, music21.stream.Opus):
        scores = list(parsed.scores)
        if not scores:
            raise ValueError("no works found in the file")
        return scores[0]
    return parsed
