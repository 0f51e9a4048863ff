"""The bridge into the tokenizer: a music21 stream or MIDI file as one symusic ``Score``.

music21 notes are read directly (flattened, ties joined, grace notes skipped), all parts into
one track with an incomplete first bar padded; see the "Bridge" decision in ``cantus.tokens``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import TokenError

if TYPE_CHECKING:
    import music21
    import symusic

BRIDGE_TPQ = 480  # ticks per quarter of the music21 -> symusic bridge (divisible by 3 and 16)


def _pickup_quarters(stream: music21.stream.Stream) -> float:
    """Quarter lengths missing from an incomplete first bar (0 if none)."""
    from music21 import stream as m21stream

    parts = list(stream.parts) if isinstance(stream, m21stream.Score) else []
    measures = (parts[0] if parts else stream).getElementsByClass(m21stream.Measure)
    if len(measures) < 2:
        return 0.0
    first = measures[0]
    ts = first.timeSignature or first.getContextByClass("TimeSignature")
    if ts is None:
        return 0.0
    bar = float(ts.barDuration.quarterLength)
    if 0 < first.paddingLeft < bar:
        return float(first.paddingLeft)
    filled = float(first.highestTime)
    return bar - filled if 0 < filled < bar else 0.0


def _note_events(flat: music21.stream.Stream) -> list[tuple[float, int, float]]:
    """(onset, MIDI pitch, duration) in quarters of sounding notes; ties joined, graces skipped."""
    events: list[tuple[float, int, float]] = []
    tied: dict[int, int] = {}  # pitch -> index of the event a tie continues
    for element in flat.notes:
        if element.duration.isGrace:
            continue
        onset, length = float(element.offset), float(element.duration.quarterLength)
        members = element.notes if element.isChord else [element]
        for member in members:
            pitch = getattr(member, "pitch", None)
            if pitch is None:  # unpitched percussion
                continue
            tie = member.tie or element.tie
            kind = tie.type if tie is not None else None
            if kind in ("stop", "continue") and pitch.midi in tied:
                idx = tied[pitch.midi]
                start = events[idx][0]
                events[idx] = (start, pitch.midi, onset + length - start)
                if kind == "stop":
                    del tied[pitch.midi]
                continue
            events.append((onset, pitch.midi, length))
            if kind == "start":
                tied[pitch.midi] = len(events) - 1
    return events


def _time_signatures(flat: music21.stream.Stream) -> list[tuple[float, int, int]]:
    """(offset, numerator, denominator), one per offset (parts repeat them)."""
    seen: dict[float, tuple[int, int]] = {}
    for ts in flat.getElementsByClass("TimeSignature"):
        seen.setdefault(float(ts.offset), (int(ts.numerator), int(ts.denominator)))
    return [(offset, *nd) for offset, nd in sorted(seen.items())]


def m21_to_score(stream: music21.stream.Stream) -> symusic.Score:
    """One-track ``symusic.Score`` of a music21 stream: all parts merged, pickup padded.

    Reads notes directly (not through music21's MIDI writer), so written repeats are
    not expanded: tokens follow the notated score, like the catalog's bars and seconds.
    """
    import symusic

    try:
        flat = stream.flatten()
        events, sigs = _note_events(flat), _time_signatures(flat)
        shift = _pickup_quarters(stream)
    except Exception as exc:  # music21 raises many types on odd streams
        msg = f"music21 could not read the notes of this {type(stream).__name__}: {exc}"
        raise TokenError(msg) from exc
    if not events:
        msg = f"the music21 {type(stream).__name__} holds no pitched notes"
        raise TokenError(msg)
    ticks = np.array(events)  # (N, 3): onset, pitch, duration
    ticks[:, [0, 2]] = np.round(ticks[:, [0, 2]] * BRIDGE_TPQ)
    ticks = ticks.astype(np.int64)
    offset = round(shift * BRIDGE_TPQ)
    score = symusic.Score(BRIDGE_TPQ)
    track = symusic.Track(name="merged", program=0, is_drum=False)
    for start, pitch, dur in ticks[ticks[:, 2] > 0].tolist():
        track.notes.append(symusic.Note(start + offset, dur, int(pitch), 100))
    track.notes.sort()
    score.tracks.append(track)
    for i, (at, num, den) in enumerate(sigs):
        # the first signature stays at 0 so the padded pickup bar has a meter
        time = 0 if i == 0 else round(at * BRIDGE_TPQ) + offset
        score.time_signatures.append(symusic.TimeSignature(time, num, den))
    return score


def m21_to_midi_bytes(stream: music21.stream.Stream) -> bytes:
    """MIDI bytes of the merged one-track score that ``score_to_ids`` tokenises."""
    return m21_to_score(stream).dumps_midi()


def parse_midi(data: bytes) -> symusic.Score:
    import symusic

    if not isinstance(data, bytes | bytearray) or len(data) < 14 or data[:4] != b"MThd":
        msg = f"not a MIDI file ({len(data) if data else 0} bytes, no MThd header)"
        raise TokenError(msg)
    try:
        return symusic.Score.from_midi(bytes(data))
    except Exception as exc:  # symusic raises RuntimeError/ValueError on bad chunks
        msg = f"unreadable MIDI data: {exc}"
        raise TokenError(msg) from exc


def merge_tracks(score: symusic.Score) -> symusic.Score:
    """One piano track holding every pitched note of ``score`` (drums dropped)."""
    import symusic

    merged = symusic.Score(score.ticks_per_quarter)
    merged.time_signatures = score.time_signatures.copy()
    track = symusic.Track(name="merged", program=0, is_drum=False)
    for src in score.tracks:
        if not src.is_drum:
            track.notes.extend(src.notes)
    track.notes.sort()
    merged.tracks.append(track)
    return merged
