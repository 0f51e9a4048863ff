"""The one music tokenizer of cantus (encoder and generator both use it).

Decisions
---------
* **REMI** (miditok 3.1) with ``Bar``, ``Position``, ``Pitch``, ``Duration`` and
  ``TimeSig`` tokens; REMI repeats the ``TimeSig`` token after every ``Bar``, so any
  window that starts on a ``Bar`` knows its metre.
* **No velocity, tempo, program, chord or rest tokens**: symbolic corpus files carry no
  meaningful dynamics, and silence is implied by ``Position`` jumps. Decoded notes get
  velocity 100 and 120 bpm (miditok defaults).
* **Pitch range 21..108** (piano keys); notes outside are dropped by miditok.
* **Beat resolution** ``{(0, 4): 12, (4, 12): 4}``: 12 positions per beat holds 16ths
  (3) and 8th/16th triplets (4/2); longer notes use a coarser grid. REMI writes one
  ``Position`` per distinct onset whatever the grid, so 12 (vs miditok's default 8, which
  cannot hold triplets) costs 48 more vocabulary ids but no sequence length.
  Beats follow the time-signature denominator (an 8th in 6/8).
* **Polyphony**: every part of a music21 score is merged into ONE track, so a piece is
  one token stream; chords and voices become notes at the same ``Position``.
* **Bridge**: music21 notes (flattened, ties joined, grace notes skipped) -> one-track
  ``symusic.Score`` -> tokenizer. We read notes directly instead of going through
  music21's MIDI writer: it is 3-10x faster, it does not expand written repeats (tokens
  follow the notated score, as the catalog's ``bars``/``seconds`` do), and it avoids the
  writer's failures on odd ABC (shared TimeSignature objects, malformed repeats).
  MIDI files go ``symusic.Score.from_midi`` -> merged track -> tokenizer. Decoding goes
  ids -> ``symusic.Score`` -> MIDI bytes -> music21 (MusicXML through music21's writer).
* **MIDI-safe**: a note is cut where the next note of the same pitch starts (merged voices
  can hold a key while it is struck again, which MIDI cannot store), so ids survive
  ids -> MIDI -> ids exactly.
* **Pickups**: an incomplete first bar is padded with rests at its start so bar lines of
  the tokens coincide with the score's (a pickup becomes the end of bar 1).
* **No time signature**: miditok assumes 4/4. Unsupported time signatures are dropped
  (the previous one continues), see ``TIME_SIGNATURE_RANGE``.
* **Storage**: ``score_to_ids`` keeps the first bars up to ``MAX_STORED_TOKENS``, cut at
  a bar boundary (``cut_at_bar``); training windows come from ``crop_ids``.
* **Transposition**: ``transpose_ids`` raises ``TokenError`` (a ``ValueError``) when a
  pitch would leave 21..108; ``transpose_bounds`` tells which shifts are safe.
"""

from __future__ import annotations

import functools
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import BadInput, MissingArtifact

if TYPE_CHECKING:
    import miditok
    import music21
    import symusic

log = logging.getLogger(__name__)

PITCH_RANGE = (21, 109)  # miditok's half-open range: MIDI 21..108
BEAT_RES = {(0, 4): 12, (4, 12): 4}  # positions per beat, by note length in beats
TIME_SIGNATURE_RANGE = {  # denominator -> numerators accepted as TimeSig tokens
    2: [1, 2, 3, 4],
    4: [1, 2, 3, 4, 5, 6, 7],
    8: [2, 3, 4, 5, 6, 7, 9, 12],
}
SPECIAL_TOKENS = ["PAD", "BOS", "EOS", "MASK"]
MAX_STORED_TOKENS = 1024  # tokens kept per catalog row (first bars of the piece)
PAD_ID = 0  # miditok puts PAD first; checked in get_tokenizer()


class TokenError(BadInput, ValueError):
    """Music that cannot be tokenised or decoded (a ``ValueError`` and a ``BadInput``)."""


# --------------------------------------------------------------------------- tokenizer


def _tokenizer_config() -> miditok.TokenizerConfig:
    import miditok

    return miditok.TokenizerConfig(
        pitch_range=PITCH_RANGE,
        beat_res=BEAT_RES,
        special_tokens=list(SPECIAL_TOKENS),
        use_velocities=False,
        use_tempos=False,
        use_programs=False,
        use_chords=False,
        use_rests=False,
        use_time_signatures=True,
        time_signature_range=TIME_SIGNATURE_RANGE,
        use_pitchdrum_tokens=False,
        remove_duplicated_notes=True,
    )


@functools.cache
def get_tokenizer() -> miditok.REMI:
    """The project's REMI tokenizer (built from the config above, cached)."""
    import miditok

    tok = miditok.REMI(_tokenizer_config())
    if tok.pad_token_id != PAD_ID:
        msg = f"miditok put PAD at id {tok.pad_token_id}, cantus expects {PAD_ID}"
        raise RuntimeError(msg)
    return tok


def vocab_size() -> int:
    """Number of token ids (embedding table size)."""
    return len(get_tokenizer())


@functools.cache
def _vocab() -> dict[str, int]:
    return dict(get_tokenizer().vocab)


def bar_token_id() -> int:
    """Id of the ``Bar_None`` token that opens every bar."""
    return _vocab()["Bar_None"]


def token_kinds() -> dict[str, np.ndarray]:
    """Ids by token type: ``{"Bar": ids, "Position": ids, "Pitch": ids, ...}`` (sorted)."""
    kinds: dict[str, list[int]] = {}
    for name, idx in _vocab().items():
        kinds.setdefault(name.split("_", 1)[0], []).append(idx)
    return {kind: np.array(sorted(ids), dtype=np.int64) for kind, ids in kinds.items()}


@functools.cache
def _pitch_maps() -> tuple[np.ndarray, dict[int, int]]:
    """(pitch of each id or -1, id of each pitch) for Pitch tokens."""
    vocab = _vocab()
    pitch_of = np.full(len(vocab), -1, dtype=np.int64)
    id_of: dict[int, int] = {}
    for name, idx in vocab.items():
        if name.startswith("Pitch_"):
            pitch = int(name.split("_", 1)[1])
            pitch_of[idx] = pitch
            id_of[pitch] = idx
    return pitch_of, id_of


def pitch_of_ids() -> np.ndarray:
    """Array indexed by token id: the MIDI pitch of a Pitch token, -1 for other tokens."""
    return _pitch_maps()[0].copy()


def id_to_token(idx: int) -> str:
    """Token name of an id, e.g. ``"Pitch_60"`` (for debugging and constrained sampling)."""
    return get_tokenizer()[int(idx)]


def save_tokenizer(path: str | Path) -> Path:
    """Write the tokenizer to ``path`` (a ``tokenizer.json`` file or a folder)."""
    path = Path(path)
    if path.suffix != ".json":
        path = path / "tokenizer.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    get_tokenizer().save(path)
    return path


def load_tokenizer(path: str | Path, check: bool = True) -> miditok.REMI:
    """Load a saved tokenizer; with ``check`` its vocabulary must equal ``get_tokenizer()``'s.

    Raises ``MissingArtifact`` when the file is absent or was built by another version
    of this module (its vocabulary differs).
    """
    import miditok

    path = Path(path)
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        msg = f"tokenizer file not found: {path} (run `cantus build`)"
        raise MissingArtifact(msg)
    tok = miditok.REMI(params=path)
    if check and dict(tok.vocab) != _vocab():
        msg = f"tokenizer at {path} differs from cantus.tokens' vocabulary (run `cantus build`)"
        raise MissingArtifact(msg)
    return tok


# --------------------------------------------------------------------------- encoding

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


def _parse_midi(data: bytes) -> symusic.Score:
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


def _ticks_per_beat_at(score: symusic.Score, times: np.ndarray) -> np.ndarray:
    """Ticks per beat (the time-signature denominator's note) at each tick in ``times``."""
    tpq = score.ticks_per_quarter
    sigs = sorted((ts.time, ts.denominator) for ts in score.time_signatures) or [(0, 4)]
    starts = np.array([t for t, _ in sigs])
    tpb = np.array([tpq * 4 // d for _, d in sigs])
    return tpb[np.clip(np.searchsorted(starts, times, side="right") - 1, 0, None)]


def _cut_overlaps(score: symusic.Score) -> None:
    """End each note where the next note of the same pitch starts (in place).

    Merged voices can hold a key while it is struck again; MIDI cannot store that, so
    without this the ids would not survive ids -> MIDI -> ids.
    """
    import symusic

    notes = score.tracks[0].notes.numpy()
    order = np.lexsort((notes["time"], notes["pitch"]))
    time, dur, pitch = (notes[k][order].astype(np.int64) for k in ("time", "duration", "pitch"))
    nxt = np.flatnonzero((pitch[:-1] == pitch[1:]) & (time[:-1] + dur[:-1] > time[1:]))
    if nxt.size == 0:
        return
    log.debug("cutting %d notes held while their pitch is struck again", nxt.size)
    new = time[nxt + 1] - time[nxt]
    # long durations use the coarse grid (BEAT_RES beyond 4 beats): round down onto it
    tpb = _ticks_per_beat_at(score, time[nxt])
    step = tpb // BEAT_RES[(4, 12)]
    dur[nxt] = np.where(new >= 4 * tpb, new - new % step, new)
    keep = dur > 0
    velocity = notes["velocity"][order][keep]
    score.tracks[0].notes = symusic.Note.from_numpy(
        time=time[keep], duration=dur[keep], pitch=pitch[keep], velocity=velocity
    )
    # miditok's own order (time, pitch, duration): simultaneous notes keep one spelling
    score.tracks[0].notes.sort(key=lambda n: (n.time, n.pitch, n.duration))


def _encode_score(score: symusic.Score) -> list[int]:
    tok = get_tokenizer()
    merged = merge_tracks(score)
    if merged.tracks[0].note_num() == 0:
        msg = "the music holds no pitched notes to tokenise"
        raise TokenError(msg)
    with warnings.catch_warnings():
        # miditok warns per unsupported time signature; they are dropped by design
        warnings.simplefilter("ignore", UserWarning)
        ready = tok.preprocess_score(merged)
        if not ready.tracks or ready.tracks[0].note_num() == 0:
            msg = "no notes left within the tokenizer's pitch range 21..108"
            raise TokenError(msg)
        _cut_overlaps(ready)
        seqs = tok.encode(ready, no_preprocess_score=True)
    return list(seqs[0].ids)


def cut_at_bar(ids: list[int], max_len: int | None) -> list[int]:
    """First whole bars of ``ids`` within ``max_len`` (a plain prefix if bar 1 is longer)."""
    if max_len is None or len(ids) <= max_len:
        return list(ids)
    bar = bar_token_id()
    # the last Bar token at index <= max_len ends the kept prefix
    starts = [i for i in range(1, max_len + 1) if ids[i] == bar]
    end = starts[-1] if starts else max_len
    return list(ids[:end])


def score_to_ids(
    m21_stream: music21.stream.Stream, max_len: int | None = MAX_STORED_TOKENS
) -> list[int]:
    """Token ids of a music21 score/part (all parts merged), cut at a bar to ``max_len``.

    Pass ``max_len=None`` for the whole piece. Raises ``TokenError`` for empty music.
    """
    if m21_stream is None:
        msg = "no music21 stream given"
        raise TokenError(msg)
    return cut_at_bar(_encode_score(m21_to_score(m21_stream)), max_len)


def midi_to_ids(data: bytes, max_len: int | None = None) -> list[int]:
    """Token ids of a MIDI file's bytes (all tracks merged); ``TokenError`` if unreadable."""
    return cut_at_bar(_encode_score(_parse_midi(data)), max_len)


# --------------------------------------------------------------------------- decoding


def _check_ids(ids: list[int] | np.ndarray) -> list[int]:
    arr = np.asarray(ids, dtype=np.int64).ravel()
    n = vocab_size()
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        msg = f"token ids outside the vocabulary 0..{n - 1}: {bad[:5].tolist()}"
        raise TokenError(msg)
    return [int(i) for i in arr if i != PAD_ID]


def ids_to_score(ids: list[int] | np.ndarray) -> symusic.Score:
    """Decode ids into a one-track ``symusic.Score`` (PAD ignored)."""
    clean = _check_ids(ids)
    if not clean:
        msg = "cannot decode an empty token sequence"
        raise TokenError(msg)
    return get_tokenizer().decode([clean])


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
        _apply_key(score, key)
    return score


def _apply_key(score: music21.stream.Score, key_name: str) -> None:
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


# --------------------------------------------------------------------------- editing


def transpose_bounds(ids: list[int] | np.ndarray) -> tuple[int, int]:
    """(lowest, highest) semitone shifts that keep every Pitch token in range."""
    pitch_of, id_of = _pitch_maps()
    arr = np.asarray(ids, dtype=np.int64)
    pitches = pitch_of[arr[(arr >= 0) & (arr < len(pitch_of))]]
    pitches = pitches[pitches >= 0]
    lo, hi = min(id_of), max(id_of)
    if pitches.size == 0:
        return lo - hi, hi - lo
    return lo - int(pitches.min()), hi - int(pitches.max())


def transpose_ids(ids: list[int] | np.ndarray, semitones: int) -> list[int]:
    """Shift every Pitch token by ``semitones``; other tokens unchanged.

    Raises ``TokenError`` (a ``ValueError``) if a pitch would leave 21..108; use
    ``transpose_bounds`` to pick a safe shift.
    """
    pitch_of, id_of = _pitch_maps()
    lo, hi = transpose_bounds(ids)
    if not lo <= semitones <= hi:
        msg = f"transposing by {semitones} leaves the pitch range 21..108 (allowed {lo}..{hi})"
        raise TokenError(msg)
    out = []
    for i in ids:
        pitch = pitch_of[i]
        out.append(id_of[int(pitch) + semitones] if pitch >= 0 else int(i))
    return out


def crop_ids(
    ids: list[int] | np.ndarray, max_len: int, rng: np.random.Generator | None = None
) -> list[int]:
    """A window of at most ``max_len`` ids that starts on a Bar token, at a random bar.

    Starts are drawn among bars leaving a full window when any do, else the first bar.
    """
    if max_len < 1:
        msg = f"`max_len` must be >= 1 (received {max_len})"
        raise ValueError(msg)
    arr = np.asarray(ids, dtype=np.int64)
    bars = np.flatnonzero(arr == bar_token_id())
    if bars.size == 0:
        return arr[:max_len].tolist()
    full = bars[bars <= len(arr) - max_len]
    choices = full if full.size else bars[:1]
    rng = rng if rng is not None else np.random.default_rng()
    start = int(rng.choice(choices))
    return arr[start : start + max_len].tolist()
