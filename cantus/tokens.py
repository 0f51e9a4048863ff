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
* **Modules**: the bridge (music21 / MIDI -> one-track ``symusic.Score``) is
  ``cantus.score_bridge``; decoding (ids -> score, MIDI, music21, MusicXML) is
  ``cantus.token_decode``.
* **Transposition**: ``transpose_ids`` raises ``TokenError`` (a ``ValueError``) when a
  pitch would leave 21..108; ``transpose_bounds`` tells which shifts are safe.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.atomic import find_or_write
from cantus.errors import MissingArtifact, TokenError
from cantus.score_bridge import m21_to_score, merge_tracks, parse_midi

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
VOCAB_FORMAT = "v1"  # of the cached vocabulary file (see _vocab)


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
    return len(_vocab())


def vocab() -> dict[str, int]:
    """Token name -> id (a copy), read without importing miditok (see ``_vocab``)."""
    return dict(_vocab())


@functools.cache
def _vocab() -> dict[str, int]:
    """The tokenizer's vocabulary from a small JSON cache named by miditok's version and this
    module's settings: importing miditok (and torch through it) is ~4 s of a cold
    ``cantus inspire``, which needs only the ids. Built once with miditok (``make install``
    into the shared cache, else on first use into ``$CANTUS_HOME/cache``)."""
    from cantus.config import cantus_home, shared_cache_dir

    home = cantus_home() / "cache"
    return _find_or_write_vocab((shared_cache_dir(), home), home)


def _vocab_file_name() -> str:
    from importlib.metadata import version

    settings = (VOCAB_FORMAT, version("miditok"), PITCH_RANGE, BEAT_RES, TIME_SIGNATURE_RANGE)
    stamp = hashlib.sha1(repr((settings, SPECIAL_TOKENS)).encode()).hexdigest()[:16]
    return f"tokens-vocab-{stamp}.json"


def _read_vocab(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"cannot read the tokenizer vocabulary {path} ({exc}); delete it and rerun"
        raise MissingArtifact(msg) from exc
    if not isinstance(data, dict) or data.get("PAD_None") != PAD_ID:
        msg = f"the tokenizer vocabulary {path} is malformed; delete it and rerun"
        raise MissingArtifact(msg)
    return {str(k): int(v) for k, v in data.items()}


def build_vocab_cache(folder: Path | None = None) -> dict[str, int]:
    """Write the vocabulary (from miditok) into ``folder`` (default: the shared cache, for
    ``make install``) and return it."""
    from cantus.config import shared_cache_dir

    return _find_or_write_vocab((), Path(folder or shared_cache_dir()))


def _find_or_write_vocab(read_dirs: tuple[Path, ...], write_dir: Path) -> dict[str, int]:
    """The vocabulary file of the first of ``read_dirs`` holding it, else written (miditok)."""

    def write(tmps: list[Path]) -> None:
        log.info("writing the tokenizer vocabulary (once) to %s", write_dir / name)
        tmps[0].write_text(
            json.dumps(dict(get_tokenizer().vocab), sort_keys=True), encoding="utf-8"
        )

    name = _vocab_file_name()
    (path,) = find_or_write((name,), read_dirs, write_dir, write, "the tokenizer vocabulary")
    return _read_vocab(path)


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
    return _names()[int(idx)]


@functools.cache
def _names() -> dict[int, str]:
    return {i: name for name, i in _vocab().items()}


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
    return cut_at_bar(_encode_score(parse_midi(data)), max_len)


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
