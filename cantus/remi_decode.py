"""REMI ids to a one-track ``symusic.Score`` without miditok (whose import, with torch
behind it, is ~4 s of a cold ``cantus inspire``): the tokenizer's own decoding rules, checked
equal to ``miditok.REMI.decode`` on the whole shipped catalog (``tests/test_remi_decode.py``).

Rules (miditok 3.1 REMI, no velocities/tempos/programs/rests): ``ticks_per_quarter`` is
``TICKS_PER_QUARTER``; a beat is the time signature's denominator note with
``POSITIONS_PER_BEAT`` positions; each ``Bar`` opens a bar one bar length (of the metre in
force) after the previous one; a ``TimeSig`` that changes the metre takes effect at its bar;
``Position`` sets the onset within the bar; ``Pitch`` then ``Duration`` make a note of
velocity 100; other ids are ignored.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from cantus.tokens import BEAT_RES, vocab

if TYPE_CHECKING:
    import symusic

POSITIONS_PER_BEAT = max(BEAT_RES.values())  # 12
TICKS_PER_QUARTER = 2 * POSITIONS_PER_BEAT  # miditok's time division for this grid
VELOCITY = 100  # miditok's default without velocity tokens
TEMPO_QPM = 120  # miditok's default tempo without tempo tokens
_BAR, _TS, _POS, _PITCH, _DUR = range(5)


@functools.cache
def _tables() -> tuple[list[int], list[object]]:
    """Per id: its kind (-1: ignored) and value (positions, pitch, or (num, den))."""
    names = vocab()
    kind: list[int] = [-1] * len(names)
    value: list[object] = [0] * len(names)
    for name, idx in names.items():
        head, _, tail = name.partition("_")
        if head == "Bar":
            kind[idx] = _BAR
        elif head == "TimeSig":
            num, den = tail.split("/")
            kind[idx], value[idx] = _TS, (int(num), int(den))
        elif head == "Position":
            kind[idx], value[idx] = _POS, int(tail)
        elif head == "Pitch":
            kind[idx], value[idx] = _PITCH, int(tail)
        elif head == "Duration":
            beats, sub, res = (int(x) for x in tail.split("."))
            kind[idx], value[idx] = (
                _DUR,
                beats * POSITIONS_PER_BEAT + sub * POSITIONS_PER_BEAT // res,
            )
    return kind, value


def decode_remi(ids: list[int] | np.ndarray) -> symusic.Score:
    """The one-track score miditok's REMI decoder makes of ``ids``."""
    import symusic

    kind, value = _tables()
    notes: list[tuple[int, int, int]] = []  # (tick, duration ticks, pitch)
    sigs: list[tuple[int, int, int]] = []  # (tick, numerator, denominator)
    ts = (4, 4)
    bar_tick, bar_ticks, onset, pitch = 0, 0, 0, -1
    per_pos = TICKS_PER_QUARTER * 4 // ts[1] // POSITIONS_PER_BEAT  # ticks per position
    bars = 0
    for i in np.asarray(ids, dtype=np.int64).tolist():
        k = kind[i] if 0 <= i < len(kind) else -1
        if k == _BAR:
            bar_tick += bar_ticks if bars else 0
            bars += 1
            bar_ticks = TICKS_PER_QUARTER * 4 * ts[0] // ts[1]
            onset, pitch = bar_tick, -1
        elif k == _TS:
            new = value[i]
            if new != ts or not sigs:
                ts = new  # type: ignore[assignment]
                sigs.append((bar_tick, *ts))
                bar_ticks = TICKS_PER_QUARTER * 4 * ts[0] // ts[1]
                per_pos = TICKS_PER_QUARTER * 4 // ts[1] // POSITIONS_PER_BEAT
        elif k == _POS:
            onset, pitch = bar_tick + int(value[i]) * per_pos, -1  # type: ignore[call-overload]
        elif k == _PITCH:
            pitch = int(value[i])  # type: ignore[call-overload]
        elif k == _DUR and pitch >= 0:
            notes.append((onset, int(value[i]) * per_pos, pitch))  # type: ignore[call-overload]
    score = symusic.Score(TICKS_PER_QUARTER)
    for tick, num, den in sigs or [(0, 4, 4)]:
        score.time_signatures.append(symusic.TimeSignature(tick, num, den))
    score.tempos.append(symusic.Tempo(0, TEMPO_QPM))
    track = symusic.Track(name="Acoustic Grand Piano", program=0, is_drum=False)
    for tick, dur, p in notes:
        track.notes.append(symusic.Note(tick, dur, p, VELOCITY))
    score.tracks.append(track)
    return score
