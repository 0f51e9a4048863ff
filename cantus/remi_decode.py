"""The one reader of REMI ids: ``read_remi`` walks the tokens into notes, metre changes and a
bar count; ``decode_remi`` makes of it the one-track ``symusic.Score`` miditok's decoder makes,
without miditok (whose import, with torch behind it, is ~4 s of a cold ``cantus inspire``),
checked equal to ``miditok.REMI.decode`` on the whole shipped catalog
(``tests/test_remi_decode.py``). The generator's ``generator.vocab.parse_notes`` is a view of
``read_remi`` in quarter notes.

Rules (miditok 3.1 REMI, no velocities/tempos/programs/rests): ``ticks_per_quarter`` is
``TICKS_PER_QUARTER``; a beat is the time signature's denominator note with
``POSITIONS_PER_BEAT`` positions; each ``Bar`` opens a bar one bar length (of the metre in
force) after the previous one; a ``TimeSig`` that changes the metre takes effect at its bar;
``Position`` sets the onset within the bar; ``Pitch`` then ``Duration`` make one note of
velocity 100; other ids are ignored.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cantus.tokens import BEAT_RES, vocab

if TYPE_CHECKING:
    import symusic

POSITIONS_PER_BEAT = max(BEAT_RES.values())  # 12
TICKS_PER_QUARTER = 2 * POSITIONS_PER_BEAT  # miditok's time division for this grid
VELOCITY = 100  # miditok's default without velocity tokens
TEMPO_QPM = 120  # miditok's default tempo without tempo tokens
KIND_OTHER, KIND_BAR, KIND_TS, KIND_POS, KIND_PITCH, KIND_DUR = range(6)


@dataclass(frozen=True)
class TokenTable:
    """Per music id (lists: much faster than arrays to index one at a time)."""

    kind: list[int]  # KIND_* of each id
    value: list[int]  # position index, MIDI pitch or duration in positions; -1 else
    metre: dict[int, tuple[int, int]]  # TimeSig id -> (numerator, denominator)


@functools.cache
def token_table() -> TokenTable:
    """What each id of the music vocabulary is (ids past it are control tokens: ignored)."""
    names = vocab()
    kind = [KIND_OTHER] * len(names)
    value = [-1] * len(names)
    metre: dict[int, tuple[int, int]] = {}
    for name, idx in names.items():
        head, _, tail = name.partition("_")
        if head == "Bar":
            kind[idx] = KIND_BAR
        elif head == "TimeSig":
            num, den = tail.split("/")
            kind[idx], metre[idx] = KIND_TS, (int(num), int(den))
        elif head == "Position":
            kind[idx], value[idx] = KIND_POS, int(tail)
        elif head == "Pitch":
            kind[idx], value[idx] = KIND_PITCH, int(tail)
        elif head == "Duration":
            beats, sub, res = (int(x) for x in tail.split("."))
            kind[idx] = KIND_DUR
            value[idx] = beats * POSITIONS_PER_BEAT + sub * POSITIONS_PER_BEAT // res
    return TokenTable(kind, value, metre)


@dataclass(frozen=True)
class RemiReading:
    notes: list[tuple[int | float, int | float, int, int]]  # (onset, duration, pitch, bar)
    time_signatures: list[tuple[int | float, int, int]]  # (onset, numerator, denominator)
    bars: int  # Bar tokens read


def read_remi(
    ids: list[int] | np.ndarray, per_quarter: int | float = TICKS_PER_QUARTER
) -> RemiReading:
    """Walk REMI ids (ids outside the music vocabulary and stray tokens are ignored); times in
    ``per_quarter`` units per quarter note: integer ticks as miditok counts them, or a float
    (1.0: quarter notes, ``generator.vocab.parse_notes``) divided as floats, so the generator's
    notes are bitwise what its own reader gave before it became this view."""
    div = operator.truediv if isinstance(per_quarter, float) else operator.floordiv
    table = token_table()
    kind, value, n = table.kind, table.value, len(table.kind)
    notes: list[tuple[int | float, int | float, int, int]] = []
    sigs: list[tuple[int | float, int, int]] = []
    ts = (4, 4)
    per_pos = div(div(per_quarter * 4, ts[1]), POSITIONS_PER_BEAT)
    bar_start, bar, onset, pitch = 0 * per_quarter, -1, 0 * per_quarter, -1
    for i in np.asarray(ids, dtype=np.int64).tolist():
        k = kind[i] if 0 <= i < n else KIND_OTHER
        if k == KIND_BAR:
            bar_start += div(per_quarter * 4 * ts[0], ts[1]) if bar >= 0 else 0
            bar += 1
            onset, pitch = bar_start, -1
        elif k == KIND_TS:
            new = table.metre[i]
            if new != ts or not sigs:
                ts, per_pos = new, div(div(per_quarter * 4, new[1]), POSITIONS_PER_BEAT)
                sigs.append((bar_start, *ts))
        elif k == KIND_POS:
            onset, pitch = bar_start + value[i] * per_pos, -1
        elif k == KIND_PITCH:
            pitch = value[i]
        elif k == KIND_DUR and pitch >= 0:
            notes.append((onset, value[i] * per_pos, pitch, max(bar, 0)))  # bar 0 before any Bar
            pitch = -1  # one Duration per Pitch, as miditok reads them
    return RemiReading(notes, sigs, bar + 1)


def decode_remi(ids: list[int] | np.ndarray) -> symusic.Score:
    """The one-track score miditok's REMI decoder makes of ``ids``."""
    import symusic

    reading = read_remi(ids)
    score = symusic.Score(TICKS_PER_QUARTER)
    for tick, num, den in reading.time_signatures or [(0, 4, 4)]:
        score.time_signatures.append(symusic.TimeSignature(tick, num, den))
    score.tempos.append(symusic.Tempo(0, TEMPO_QPM))
    track = symusic.Track(name="Acoustic Grand Piano", program=0, is_drum=False)
    for tick, duration, pitch, _bar in reading.notes:
        track.notes.append(symusic.Note(tick, duration, pitch, VELOCITY))
    score.tracks.append(track)
    return score
