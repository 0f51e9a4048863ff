"""Decoding token ids: a symusic score, MIDI bytes, notes, a music21 score or MusicXML."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.remi_decode import decode_remi
from cantus.tokens import PAD_ID, TokenError, vocab_size

if TYPE_CHECKING:
    import music21
    import symusic


def _check_ids(ids: list[int] | np.ndarray) -> list[int]:
    arr = np.asarray(ids, dtype=np.int64).ravel()
    n = vocab_size()
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        msg = f"token ids outside the vocabulary 0..{n - 1}: {bad[:5].tolist()}"
        raise TokenError(msg)
    return [int(i) for i in arr if i != PAD_ID]


def ids_to_score(ids: list[int] | np.ndarray) -> symusic.Score:
    """Decode ids into a one-track ``symusic.Score`` (PAD ignored), as miditok's REMI decoder
    does but without importing it (``cantus.remi_decode``)."""
    clean = _check_ids(ids)
    if not clean:
        msg = "cannot decode an empty token sequence"
        raise TokenError(msg)
    return decode_remi(clean)


def ids_to_midi_bytes(ids: list[int] | np.ndarray) -> bytes:
    """Standard MIDI file bytes of decoded ids."""
    return ids_to_score(ids).dumps_midi()


def ids_to_notes(ids: list[int] | np.ndarray) -> list[tuple[float, int, float]]:
    """Decoded notes as ``(onset_beats, pitch, duration_beats)`` in quarter notes, sorted."""
    score = ids_to_score(ids)
    tpq = float(score.ticks_per_quarter)
    notes = [(n.time / tpq, int(n.pitch), n.duration / tpq) for t in score.tracks for n in t.notes]
    return sorted(notes)


def ids_to_music21(ids: list[int] | np.ndarray, key: str | None = None) -> music21.stream.Score:
    """Decode ids into a quantised music21 score; ``key`` ("D minor") sets the spelling."""
    from music21 import midi

    mf = midi.MidiFile()
    mf.readstr(ids_to_midi_bytes(ids))
    score = midi.translate.midiFileToStream(mf)
    # tokens carry no instrument: drop the MIDI default "Acoustic Grand Piano" staff label
    for part in score.parts:
        part.partName, part.partAbbreviation = "", ""
        for inst in part.recurse().getElementsByClass("Instrument"):
            inst.partName, inst.partAbbreviation = "", ""
    if key:
        apply_key(score, key)
    return score


def apply_key(score: music21.stream.Score, key_name: str) -> None:
    """Insert a key signature and respell pitches in that key."""
    from music21 import key as m21key

    try:
        tonic, _, mode = key_name.strip().partition(" ")
        k = m21key.Key(tonic, mode or "major")
    except Exception as exc:
        msg = f"unknown key {key_name!r} (expected e.g. 'D minor')"
        raise TokenError(msg) from exc
    for part in score.parts:
        for old in part.recurse().getElementsByClass("KeySignature"):
            old.activeSite.remove(old)
        first = part.getElementsByClass("Measure").first()
        (first or part).insert(0, m21key.Key(k.tonic, k.mode))
    scale_names = {p.name: p for p in k.pitches}
    for p in score.pitches:
        enh = p.getEnharmonic()
        if p.name not in scale_names and enh is not None and enh.name in scale_names:
            p.getEnharmonic(inPlace=True)


def ids_to_musicxml(ids: list[int] | np.ndarray, path: str | Path, key: str | None = None) -> Path:
    """Write decoded ids as MusicXML at ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = ids_to_music21(ids, key=key).write("musicxml", fp=str(path))
    return Path(written)
