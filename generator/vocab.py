"""Control tokens and the REMI grammar tables the generator uses on top of ``cantus.tokens``.

The music ids are ``cantus.tokens``' (the one tokenizer), read by ``cantus.remi_decode`` (the one
REMI reader: ``tables`` and ``parse_notes`` are views of it), which knows, per id, which kind of
token it is and what it means in time:

* a bar of metre ``n/d`` holds ``n * POSITIONS_PER_BEAT`` positions (beats follow the
  denominator, ``cantus.tokens.BEAT_RES`` gives 12 positions per beat);
* ``Duration_a.b.r`` lasts ``(a + b / r) * POSITIONS_PER_BEAT`` positions.

Control tokens are appended after the music vocabulary: one per metre (every ``TimeSig`` the
tokenizer knows), one per mode, one per length in bars. The key is handled by transposing every
training window to a canonical tonic (C) — the key control token is the *mode* only, and seeds are
transposed to the requested tonic after sampling.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

import numpy as np

from cantus import tokens
from cantus.remi_decode import KIND_BAR as KIND_BAR  # the kinds are re-exported for the generator
from cantus.remi_decode import KIND_DUR as KIND_DUR
from cantus.remi_decode import KIND_OTHER as KIND_OTHER
from cantus.remi_decode import KIND_PITCH as KIND_PITCH
from cantus.remi_decode import KIND_POS as KIND_POS
from cantus.remi_decode import KIND_TS as KIND_TS
from cantus.remi_decode import POSITIONS_PER_BEAT, read_remi, token_table

MODES = ("major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian", "other")
MODE_ALIASES = {"ionian": "major", "aeolian": "minor"}
MAX_BARS = 16  # longest seed (and training window) in bars
PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


@dataclass(frozen=True)
class Tables:
    """Per-id lookups over the music vocabulary (arrays indexed by token id)."""

    n_music: int  # size of the music vocabulary
    bar: int  # id of Bar_None
    eos: int  # id of EOS_None
    pad: int  # id of PAD_None
    kind: np.ndarray  # (V,) int: 0 other, 1 Bar, 2 TimeSig, 3 Position, 4 Pitch, 5 Duration
    value: np.ndarray  # (V,) int: position index, MIDI pitch, or duration in positions; -1 else
    ts_ids: dict[str, int]  # "3/4" -> TimeSig id
    ts_of_id: dict[int, str]  # TimeSig id -> "3/4"

    def bar_positions(self, meter: str) -> int:
        return meter_bar_positions(meter)


def meter_bar_positions(meter: str) -> int:
    """Positions in one bar of ``meter`` ("6/8" -> 72)."""
    num, _, _den = meter.partition("/")
    return int(num) * POSITIONS_PER_BEAT


def meter_quarters(meter: str) -> float:
    """Quarter notes per bar of ``meter`` ("6/8" -> 3.0)."""
    num, _, den = meter.partition("/")
    return int(num) * 4.0 / int(den)


@functools.cache
def tables() -> Tables:
    """``cantus.remi_decode.token_table`` as arrays, with the ids the generator names."""
    table = token_table()
    vocab = tokens.vocab()
    ts_ids = {f"{num}/{den}": idx for idx, (num, den) in table.metre.items()}
    return Tables(
        n_music=len(table.kind),
        bar=vocab["Bar_None"],
        eos=vocab["EOS_None"],
        pad=tokens.PAD_ID,
        kind=np.array(table.kind, dtype=np.int64),
        value=np.array(table.value, dtype=np.int64),
        ts_ids=ts_ids,
        ts_of_id={v: k for k, v in ts_ids.items()},
    )


def vocab_fingerprint() -> str:
    """sha256 prefix of the music vocabulary (checked when a generator is loaded)."""
    items = sorted(tokens.vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(repr(items).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- control tokens


@dataclass(frozen=True)
class Controls:
    """Ids of the control tokens, laid out after the music vocabulary."""

    n_music: int  # first control id
    meters: tuple[str, ...]  # metres with a control token (the tokenizer's TimeSig names)
    modes: tuple[str, ...] = MODES  # modes with a control token
    max_bars: int = MAX_BARS  # length tokens for 1..max_bars bars

    @property
    def vocab_size(self) -> int:
        return self.n_music + len(self.meters) + len(self.modes) + self.max_bars

    def meter_id(self, meter: str) -> int:
        return self.n_music + self.meters.index(meter)

    def mode_id(self, mode: str) -> int:
        return self.n_music + len(self.meters) + self.modes.index(normalise_mode(mode))

    def bars_id(self, bars: int) -> int:
        if not 1 <= bars <= self.max_bars:
            msg = f"`bars` must lie in 1..{self.max_bars} (received {bars})"
            raise ValueError(msg)
        return self.n_music + len(self.meters) + len(self.modes) + bars - 1

    def prompt(self, meter: str, mode: str, bars: int) -> list[int]:
        """The three control tokens that open every sequence."""
        return [self.meter_id(meter), self.mode_id(mode), self.bars_id(bars)]

    def to_dict(self) -> dict:
        return {
            "n_music": self.n_music,
            "meters": list(self.meters),
            "modes": list(self.modes),
            "max_bars": self.max_bars,
        }


def default_controls() -> Controls:
    t = tables()
    return Controls(n_music=t.n_music, meters=tuple(sorted(t.ts_ids, key=_meter_sort_key)))


def _meter_sort_key(meter: str) -> tuple[int, int]:
    num, _, den = meter.partition("/")
    return int(den), int(num)


def normalise_mode(mode: str) -> str:
    """Map a catalog/user mode name onto ``MODES`` (unknown names become "other")."""
    mode = MODE_ALIASES.get((mode or "").strip().lower(), (mode or "").strip().lower())
    return mode if mode in MODES else "other"


def tonic_pitch_class(tonic: str) -> int:
    """Pitch class of a music21-spelt tonic ("B-" -> 10, "F#" -> 6); ValueError if unreadable."""
    name = (tonic or "").strip()
    if not name or name[0].upper() not in PITCH_CLASSES:
        msg = f"unknown tonic {tonic!r} (expected a letter A-G with optional #/-/b)"
        raise ValueError(msg)
    pc = PITCH_CLASSES[name[0].upper()]
    for ch in name[1:]:
        if ch == "#":
            pc += 1
        elif ch in "-b":
            pc -= 1
        else:
            msg = f"unknown tonic {tonic!r} (expected a letter A-G with optional #/-/b)"
            raise ValueError(msg)
    return pc % 12


def canonical_shift(tonic_pc: int) -> int:
    """Semitones that move ``tonic_pc`` to C by the smallest step (-5..+6)."""
    shift = (-tonic_pc) % 12
    return shift - 12 if shift > 6 else shift


# --------------------------------------------------------------------------- parsing ids


@dataclass
class Note:
    onset: float  # quarter notes from the start
    pitch: int  # MIDI pitch
    duration: float  # quarter notes
    bar: int  # 0-based bar index


def parse_notes(ids: list[int] | np.ndarray) -> tuple[list[Note], int]:
    """Notes of a REMI id sequence and its number of bars, in quarter notes: a view of
    ``cantus.remi_decode.read_remi`` (the one REMI reader; fast, no miditok decode)."""
    reading = read_remi(ids, per_quarter=1.0)
    return [Note(on, pitch, dur, bar) for on, dur, pitch, bar in reading.notes], reading.bars


def notes_to_ids(notes: list[Note], meter: str, bars: int) -> list[int]:
    """REMI ids of ``notes`` (one line, or several lines' notes) over ``bars`` bars of
    ``meter``, as the tokenizer writes them: one Position per onset, its pitches rising, one
    note per pitch and onset, each note cut at its bar line; onsets off the grid are skipped."""
    t = tables()
    vocab = tokens.vocab()
    bar_q = meter_quarters(meter)
    bar_len = meter_bar_positions(meter)
    per_q = bar_len / bar_q  # positions per quarter note
    durs = np.flatnonzero(t.kind == KIND_DUR)
    out: list[int] = []
    for bar in range(bars):
        out += [t.bar, t.ts_ids[meter]]
        seen: set[tuple[int, int]] = set()
        last_pos = -1
        for n in sorted((n for n in notes if n.bar == bar), key=lambda n: (n.onset, n.pitch)):
            pos = round((n.onset - bar * bar_q) * per_q)
            fits = durs[t.value[durs] <= min(round(n.duration * per_q), bar_len - pos)]
            if f"Position_{pos}" not in vocab or not len(fits) or (pos, n.pitch) in seen:
                continue  # off the tokenizer's grid (skipped, as the tokenizer would) or doubled
            if pos != last_pos:
                out.append(vocab[f"Position_{pos}"])
            seen.add((pos, n.pitch))
            last_pos = pos
            out += [vocab[f"Pitch_{n.pitch}"], int(fits[np.argmax(t.value[fits])])]
    return out


def count_bars(ids: list[int] | np.ndarray) -> int:
    arr = np.asarray(ids, dtype=np.int64)
    return int((arr == tables().bar).sum())


def first_meter(ids: list[int] | np.ndarray) -> str | None:
    """Metre of the first TimeSig token, or None."""
    t = tables()
    for i in ids:
        if int(i) in t.ts_of_id:
            return t.ts_of_id[int(i)]
    return None


def bar_starts(ids: list[int] | np.ndarray) -> np.ndarray:
    """Indices of the Bar tokens in ``ids``."""
    return np.flatnonzero(np.asarray(ids, dtype=np.int64) == tables().bar)
