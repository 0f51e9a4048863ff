"""The melody line of a token stream, read straight from REMI ids with numpy (no decoder).

One home for "the tune of a piece": ``recommender.melody`` (similar's same-tune channel) reads
``melody_line``, ``generator.novelty`` (the copy guard) the highest note of each onset.

Tokens merge every part into one stream and list an onset's pitches low to high, so the pitch
tokens in order interleave the voices (bass, tenor, alto, soprano, bass, ...): their intervals
are not a melody. The line here is a *skyline*: at each onset its highest new note, unless a
higher note struck earlier still sounds (a held soprano note is not interrupted by the alto).
For one-line tunes it is the tune itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

HOLD_LOOKBACK = 8  # earlier line notes checked for a higher note still sounding


class Line(NamedTuple):
    """A melody line: onset and length in quarter notes, and MIDI pitch."""

    onset: np.ndarray  # (L,) float64, quarters from the start
    pitch: np.ndarray  # (L,) int64
    length: np.ndarray  # (L,) float64, quarters


class _Tables(NamedTuple):
    kind: np.ndarray  # per id: 0 other, 1 Bar, 2 TimeSig, 3 Position, 4 Pitch, 5 Duration
    value: np.ndarray  # per id: position, pitch or duration in beats
    bar_q: np.ndarray  # per id: TimeSig bar length in quarters
    beat_q: np.ndarray  # per id: TimeSig beat length in quarters
    per_beat: int  # REMI positions per beat (the finest ``cantus.tokens.BEAT_RES``)


@functools.cache
def _tables() -> _Tables:
    from cantus.tokens import BEAT_RES
    from cantus.tokens import vocab as tokens_vocab

    vocab = tokens_vocab()
    kind = np.zeros(len(vocab), dtype=np.int64)
    value = np.zeros(len(vocab), dtype=np.float64)
    bar_q = np.zeros(len(vocab), dtype=np.float64)
    beat_q = np.zeros(len(vocab), dtype=np.float64)
    for name, idx in vocab.items():
        head, _, tail = name.partition("_")
        if head == "Bar":
            kind[idx] = 1
        elif head == "TimeSig":
            num, den = (int(x) for x in tail.split("/"))
            kind[idx], bar_q[idx], beat_q[idx] = 2, num * 4.0 / den, 4.0 / den
        elif head == "Position":
            kind[idx], value[idx] = 3, int(tail)
        elif head == "Pitch":
            kind[idx], value[idx] = 4, int(tail)
        elif head == "Duration":
            beats, ticks, res = (int(x) for x in tail.split("."))
            kind[idx], value[idx] = 5, beats + ticks / res
    return _Tables(kind, value, bar_q, beat_q, max(BEAT_RES.values()))


def _ffill(mask: np.ndarray, values: np.ndarray, default: float) -> np.ndarray:
    """``values`` carried forward from the last index where ``mask`` holds (``default`` before)."""
    at = np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))
    return np.where(at >= 0, values[np.maximum(at, 0)], default)


def _bars(arr: np.ndarray, t: _Tables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bar number per token, start of each bar in quarters, beat length of each bar)."""
    kind = t.kind[arr]
    is_ts = kind == 2
    bar_q = _ffill(is_ts, t.bar_q[arr], 4.0)  # a stream without TimeSig reads as 4/4
    beat_q = _ffill(is_ts, t.beat_q[arr], 1.0)
    bar_no = np.cumsum(kind == 1) - 1
    n_bars = max(int(bar_no.max()) + 1 if len(arr) else 0, 1)
    length, beat = np.full(n_bars, 4.0), np.full(n_bars, 1.0)
    inside = bar_no >= 0
    length[bar_no[inside]] = bar_q[inside]  # the last token of a bar (after its TimeSig) wins
    beat[bar_no[inside]] = beat_q[inside]
    return np.maximum(bar_no, 0), np.concatenate([[0.0], np.cumsum(length)[:-1]]), beat


def notes_of(ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(onset, pitch, length) of every note of REMI ``ids``, in token order (quarters)."""
    t = _tables()
    arr = np.asarray(ids, dtype=np.int64)
    arr = arr[(arr >= 0) & (arr < len(t.kind))]
    kind, value = t.kind[arr], t.value[arr]
    bar_no, bar_start, bar_beat = _bars(arr, t)
    # a Bar resets the position until the bar's first Position token
    pos = np.where(_ffill((kind == 1) | (kind == 3), (kind == 3) * 1.0, 0.0) > 0,
                   _ffill(kind == 3, value, 0.0), 0.0)  # fmt: skip
    at = np.flatnonzero((kind[:-1] == 4) & (kind[1:] == 5))  # Pitch then its Duration
    beat = bar_beat[bar_no[at]]
    onset = bar_start[bar_no[at]] + pos[at] * beat / t.per_beat
    return onset, value[at].astype(np.int64), value[at + 1] * beat


def top_notes(
    onset: np.ndarray, pitch: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The highest note of each onset, in time order (``notes_of``'s arrays in, same out)."""
    if not len(onset):
        return onset, pitch, length
    order = np.lexsort((-pitch, onset))
    onset, pitch, length = onset[order], pitch[order], length[order]
    top = np.concatenate([[True], np.diff(onset) > 1e-6])
    return onset[top], pitch[top], length[top]


def melody_line(ids: Sequence[int] | np.ndarray) -> Line:
    """The skyline of ``ids`` (see module doc)."""
    onset, pitch, length = top_notes(*notes_of(ids))
    if not len(onset):
        return Line(onset, pitch, length)
    end = onset + length
    covered = np.zeros(len(onset), dtype=bool)
    for back in range(1, HOLD_LOOKBACK + 1):  # a higher earlier note still sounding
        covered[back:] |= (end[:-back] > onset[back:] + 1e-6) & (pitch[:-back] > pitch[back:])
    keep = ~covered
    return Line(onset[keep], pitch[keep], length[keep])
