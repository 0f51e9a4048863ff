"""Novelty guard: how many notes of a seed's melody were copied from a catalog piece.

A melody is the *top line* of the token stream (the highest pitch at each onset,
``cantus.melody_line.top_notes``). Each note
after the first becomes one event ``(interval in semitones, inter-onset interval in 1/24
quarter)``, so matches are transposition-invariant and rhythm-exact. For every order
``n = 1..MAX_ORDER`` the index holds the sorted, unique 64-bit rolling hashes of all n-event
windows of every catalog melody (one numpy array per order).

``longest_copied_run(ids)`` hashes the seed's windows the same way and looks them up with
``np.searchsorted`` (no scan over the corpus): the longest run starting at event ``i`` is the
largest ``n`` whose window is present (a window present implies all its prefixes are); runs
longer than ``MAX_ORDER`` events are measured by chaining consecutive full-order hits (an upper
bound: consecutive windows may come from different pieces). A run of ``n`` events is ``n + 1``
notes.

The index of the data dir is built once and cached under ``$CANTUS_HOME/cache`` keyed by a
fingerprint of the catalog rows, so a rebuild or an ingest makes a new one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cantus.melody_line import notes_of, top_notes

log = logging.getLogger(__name__)

MAX_ORDER = 8  # longest hashed window, in events (a 9-note run)
DEFAULT_MAX_COPIED_NOTES = 8  # seeds whose longest copied run exceeds this are re-sampled
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling hash
_IOI_UNITS = 24  # inter-onset intervals are counted in 1/24 quarter notes
INDEX_VERSION = 1  # bump when the event definition changes (invalidates caches)


def melody_events(ids: list[int] | np.ndarray) -> np.ndarray:
    """(E,) int64 event symbols of the top line of ``ids`` (E = notes in the top line - 1)."""
    onset, pitch, length = notes_of(ids)
    # onsets on the 1/24-quarter grid first: the highest note of each grid point
    ticks, pitches, _ = top_notes(np.round(onset * _IOI_UNITS), pitch, length)
    if len(ticks) < 2:
        return np.zeros(0, dtype=np.int64)
    onsets = ticks.astype(np.int64)
    intervals = np.clip(np.diff(pitches), -63, 63) + 64  # 1..127
    iois = np.clip(np.diff(onsets), 0, 4095)
    return (intervals << 12) | iois


def window_hashes(events: np.ndarray, max_order: int = MAX_ORDER) -> list[np.ndarray]:
    """For n = 1..max_order, the uint64 hashes of every n-event window (length E - n + 1)."""
    ev = events.astype(np.uint64) + np.uint64(1)
    out: list[np.ndarray] = []
    h = np.zeros(len(ev), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for n in range(1, max_order + 1):
            if len(ev) < n:
                out.append(np.zeros(0, dtype=np.uint64))
                continue
            h = h[: len(ev) - n + 1] * _MULT + ev[n - 1 :]
            h = h ^ (h >> np.uint64(29))  # mix so windows of one symbol repeated differ by order
            out.append(h.copy())
    return out


@dataclass
class NoveltyIndex:
    """Sorted unique window hashes per order (``orders[n - 1]`` holds the n-event windows)."""

    orders: list[np.ndarray]  # MAX_ORDER sorted uint64 arrays
    n_melodies: int  # catalog melodies indexed

    @classmethod
    def build(cls, token_lists: list[list[int]] | list[np.ndarray]) -> NoveltyIndex:
        per_order: list[list[np.ndarray]] = [[] for _ in range(MAX_ORDER)]
        for ids in token_lists:
            for n, hashes in enumerate(window_hashes(melody_events(ids))):
                per_order[n].append(hashes)
        orders = [_sorted_unique(*h) if h else np.zeros(0, np.uint64) for h in per_order]
        return cls(orders=orders, n_melodies=len(token_lists))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp.npz")
        arrays = {f"order_{n + 1}": a for n, a in enumerate(self.orders)}
        np.savez(
            tmp, version=np.array(INDEX_VERSION), n_melodies=np.array(self.n_melodies), **arrays
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> NoveltyIndex | None:
        """The saved index, or None if absent or of another version."""
        if not path.is_file():
            return None
        with np.load(path) as z:
            if int(z["version"]) != INDEX_VERSION:
                return None
            orders = [z[f"order_{n}"] for n in range(1, MAX_ORDER + 1)]
            return cls(orders=orders, n_melodies=int(z["n_melodies"]))

    def present(self, events: np.ndarray) -> np.ndarray:
        """(MAX_ORDER, E) bool: window of order n starting at event i occurs in the catalog."""
        out = np.zeros((MAX_ORDER, len(events)), dtype=bool)
        for n, hashes in enumerate(window_hashes(events)):
            table = self.orders[n]
            if len(hashes) == 0 or len(table) == 0:
                continue
            pos = np.clip(np.searchsorted(table, hashes), 0, len(table) - 1)
            out[n, : len(hashes)] = table[pos] == hashes
        return out

    def longest_copied_run(self, ids: list[int] | np.ndarray, start_event: int = 0) -> int:
        """Notes in the longest stretch of the seed's melody that also occurs in the catalog.

        Only stretches starting at melody event ``start_event`` or later count (a motif prompt's
        own events are skipped that way).
        """
        events = melody_events(ids)
        if len(events) <= start_event:
            return 0 if len(notes_of(ids)[0]) == 0 else 1
        hit = self.present(events)  # (MAX_ORDER, E)
        run = np.cumprod(hit, axis=0).sum(axis=0)[
            start_event:
        ]  # (E',) events matched from each start
        best = int(run.max())
        if best == MAX_ORDER:
            best = MAX_ORDER - 1 + _longest_true_stretch(run == MAX_ORDER)
        return best + 1 if best > 0 else 1


def _sorted_unique(*parts: np.ndarray) -> np.ndarray:
    """Sorted distinct hashes of ``parts``. pandas' hash table, then a sort: numpy 2.4's
    ``np.unique`` took ~0.5 s per million uint64 (3.7 s of a first ``inspire``), this 0.04 s."""
    import pandas as pd

    return np.sort(pd.unique(np.concatenate(parts).astype(np.uint64, copy=False)))


def _longest_true_stretch(flags: np.ndarray) -> int:
    best = cur = 0
    for f in flags:
        cur = cur + 1 if f else 0
        best = max(best, cur)
    return best


# --------------------------------------------------------------------------- data-dir index


def catalog_fingerprint(ids: list[str], n_tokens: list[int]) -> str:
    digest = hashlib.sha256(f"v{INDEX_VERSION}".encode())
    for piece, n in zip(ids, n_tokens, strict=True):
        digest.update(f"{piece}:{n};".encode())
    return digest.hexdigest()[:16]


def index_for_catalog(
    catalog,
    cache_dir: Path | None = None,
    read_tokens: Callable[[], list] | None = None,
    shared_dir: Path | None = None,
) -> NoveltyIndex:
    """The novelty index of a catalog frame, cached on disk. The frame has columns ``id`` and
    ``tokens``, or ``id`` and ``n_tokens`` with ``read_tokens()`` giving the token lists: then
    the tokens (seconds to read for the whole corpus) are read only when the cache misses.
    ``shared_dir`` is only read: the virtual environment's copy for the shipped catalog
    (``make install``), so a new ``CANTUS_HOME`` skips the ~3 s build."""
    from cantus.config import cantus_home, prune_cache

    tokens = list(catalog["tokens"]) if "tokens" in catalog else None
    lengths = (
        [len(t) for t in tokens] if tokens is not None else list(map(int, catalog["n_tokens"]))
    )
    name = f"novelty-{catalog_fingerprint(list(catalog['id']), lengths)}.npz"
    path = (cache_dir or cantus_home() / "cache") / name
    for found in (path, *([Path(shared_dir) / name] if shared_dir else [])):
        index = NoveltyIndex.load(found)
        if index is not None:
            return index
    start = time.perf_counter()
    index = NoveltyIndex.build(tokens if tokens is not None else read_tokens())
    log.info(
        "novelty index: %d melodies in %.1fs -> %s",
        index.n_melodies,
        time.perf_counter() - start,
        path,
    )
    try:
        index.save(path)
        prune_cache(path, "novelty-*.npz")  # one per data home, not one per ingest
    except OSError as exc:  # a read-only home still gets a working (in-memory) index
        log.warning("could not cache the novelty index at %s: %s", path, exc)
    return index
