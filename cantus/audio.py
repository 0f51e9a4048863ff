"""MIDI → audio with sampled General MIDI instruments (a SoundFont), loudness-normalised.

Decisions:
- **Synth**: ``midirenderer`` (a Rust SoundFont renderer from PyPI: no system library, no
  ``fluidsynth`` program) with pretty_midi's bundled General MIDI SoundFont ``TimGM6mb.sf2``.
  Either missing is an error, never a silent switch to sine waves.
- **Instruments**: a track keeps the program its MIDI file gives it; tracks left on program 0
  (what verovio and our token decoder write) get one from the part's name ("Soprano" → choir,
  "Viola" → viola), else from the collection (reels → fiddle, chorales → choir).
- **Loudness**: the SoundFont renders quietly (peaks near 10 % of full scale), so every render
  is scaled to ``TARGET_RMS`` with its peak held under ``PEAK_CEILING``.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import re
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import MissingArtifact

SYNTH_RATE = 48_000  # midirenderer always renders 48 kHz stereo
TARGET_RMS = 0.1  # -20 dBFS: speech-like loudness, room for peaks
PEAK_CEILING = 0.89  # -1 dBFS
SILENCE_TAIL_S = 0.5  # kept after the last sound (the release of the last note)

# General MIDI programs (0-based).
PIANO, CHOIR, VOICE, VIOLIN, VIOLA, CELLO, CONTRABASS = 0, 52, 53, 40, 41, 42, 43
# Part names → program; the first pattern that matches the (lower-case) name wins.
NAME_PROGRAMS: tuple[tuple[str, int], ...] = (
    (r"contrabass|double bass|kontrabass", CONTRABASS),
    (
        r"sopran|alto\b|contralto|tenor|bass(?!oon)|bariton|voice|vox|cantus|canto|quintus|"
        r"sextus|altus|bassus|choir|chorus|singer",
        CHOIR,
    ),
    (r"violoncello|cello", CELLO),
    (r"viola\b|viola |alto viol", VIOLA),
    (r"violin|fiddle", VIOLIN),
    (r"piccolo|flute|flauto", 73),
    (r"oboe", 68),
    (r"clarinet", 71),
    (r"bassoon|fagott", 70),
    (r"horn|corno", 60),
    (r"trumpet|tromba", 56),
    (r"trombone", 57),
    (r"harpsichord|cembalo", 6),
    (r"organ", 19),
    (r"guitar|lute", 24),
    (r"harp\b", 46),
    (r"piano", PIANO),
)
# Collection → program for parts whose name says nothing (music21 corpus folder names).
COLLECTION_PROGRAMS: dict[str, int] = {
    "oneills1850": VIOLIN,  # Irish dance tunes: fiddle
    "ryansMammoth": VIOLIN,
    "airdsAirs": 73,  # Scottish airs: flute
    "nottingham-dataset": VIOLIN,
    "essenFolksong": VOICE,  # folk songs: a singing voice
    "bach": CHOIR,
    "palestrina": CHOIR,
    "monteverdi": CHOIR,
    "josquin": CHOIR,
    "ciconia": CHOIR,
    "luca": CHOIR,
    "trecento": CHOIR,
}
# A string quartet's four parts, top to bottom, when the parts have no telling names.
QUARTET = (VIOLIN, VIOLIN, VIOLA, CELLO)
QUARTET_COLLECTIONS = ("haydn", "mozart", "beethoven")


@dataclass(frozen=True)
class Audio:
    wav: bytes  # 16-bit PCM WAV
    seconds: float  # length of the audio (after any cap)
    truncated: bool  # the music is longer than what was rendered
    programs: tuple[int, ...]  # General MIDI program per track, as played


def soundfont_path() -> Path:
    """pretty_midi's bundled General MIDI SoundFont (TimGM6mb.sf2, 6 MB)."""
    spec = importlib.util.find_spec("pretty_midi")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec else None
    path = folder / "TimGM6mb.sf2" if folder else None
    if path is None or not path.is_file():
        msg = "pretty_midi's TimGM6mb.sf2 SoundFont is missing; reinstall with `make install`"
        raise MissingArtifact(msg)
    return path


@functools.cache
def _soundfont_bytes() -> bytes:
    return soundfont_path().read_bytes()


def program_for(name: str, collection: str = "", index: int = 0, n_tracks: int = 1) -> int:
    """The General MIDI program for a part called ``name`` in ``collection`` (see the module)."""
    lowered = name.lower()
    for pattern, program in NAME_PROGRAMS:
        if re.search(pattern, lowered):
            return program
    if collection in QUARTET_COLLECTIONS and n_tracks == len(QUARTET):
        return QUARTET[index]
    return COLLECTION_PROGRAMS.get(collection, PIANO)


def assign_programs(midi: Any, collection: str = "") -> tuple[int, ...]:
    """Give each pitched track on program 0 the instrument of its part (in place)."""
    tracks = [inst for inst in midi.instruments if not inst.is_drum]
    for index, inst in enumerate(tracks):
        if inst.program == PIANO:
            inst.program = program_for(inst.name or "", collection, index, len(tracks))
    return tuple(int(inst.program) for inst in midi.instruments)


def _cap(midi: Any, max_seconds: float) -> bool:
    """Drop notes after ``max_seconds`` and cut the ones that ring past it; True if cut."""
    cut = False
    for inst in midi.instruments:
        kept = [n for n in inst.notes if n.start < max_seconds]
        cut = cut or len(kept) < len(inst.notes)
        for note in kept:
            note.end = min(note.end, max_seconds)
        inst.notes = kept
    return cut


def synthesize(midi_bytes: bytes) -> np.ndarray:
    """(n, 2) float32 samples at ``SYNTH_RATE`` of a MIDI file played through the SoundFont."""
    import midirenderer

    data = midirenderer.render_wave_from(_soundfont_bytes(), bytes(midi_bytes))
    with wave.open(io.BytesIO(bytes(data))) as handle:
        channels = handle.getnchannels()
        frames = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return frames.reshape(-1, channels).astype(np.float32) / 32768.0


def normalise(samples: np.ndarray) -> np.ndarray:
    """Scale to ``TARGET_RMS`` (over the sounding part), peaks no higher than ``PEAK_CEILING``."""
    if samples.size == 0:
        return samples
    peak = float(np.max(np.abs(samples)))
    if peak == 0.0:
        return samples
    level = np.abs(samples).max(axis=-1) if samples.ndim == 2 else np.abs(samples)
    sounding = samples[level > peak * 1e-3]  # leading/trailing silence must not count
    rms = float(np.sqrt(np.mean(np.square(sounding))))
    gain = min(TARGET_RMS / rms, PEAK_CEILING / peak)
    return (samples * gain).astype(np.float32)


def trim_silence(samples: np.ndarray, rate: int) -> np.ndarray:
    """Cut the silence a synth appends after the last note, keeping ``SILENCE_TAIL_S``."""
    if samples.size == 0:
        return samples
    level = np.abs(samples).max(axis=-1) if samples.ndim == 2 else np.abs(samples)
    loud = np.flatnonzero(level > 1e-3 * float(level.max()))
    return samples[: int(loud[-1]) + int(SILENCE_TAIL_S * rate)] if loud.size else samples


def to_wav(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of float samples in [-1, 1], shape (n,) or (n, channels)."""
    frames = np.atleast_2d(samples.T).T if samples.ndim == 1 else samples
    pcm = np.clip(frames * 32767.0, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(frames.shape[1] if frames.ndim == 2 else 1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return buffer.getvalue()


def render_midi(
    midi_bytes: bytes,
    collection: str = "",
    max_seconds: float | None = None,
    rate: int = SYNTH_RATE,
    mono: bool = False,
) -> Audio:
    """MIDI bytes → loudness-normalised WAV with a sampled instrument per part.

    ``max_seconds`` caps what is rendered (the app's players); ``rate``/``mono`` resample and
    downmix (the app sends 22 kHz mono to browsers; the command line keeps 48 kHz stereo).
    """
    import pretty_midi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pretty_midi warns about tempo events on later tracks
        midi = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))
    truncated = _cap(midi, max_seconds) if max_seconds is not None else False
    programs = assign_programs(midi, collection)
    buffer = io.BytesIO()
    midi.write(buffer)
    samples = synthesize(buffer.getvalue())
    if max_seconds is not None:
        samples = samples[: int(max_seconds * SYNTH_RATE)]
    samples = trim_silence(samples, SYNTH_RATE)
    if mono:
        samples = samples.mean(axis=1)
    if rate != SYNTH_RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(rate, SYNTH_RATE)
        samples = resample_poly(samples, rate // g, SYNTH_RATE // g, axis=0).astype(np.float32)
    samples = normalise(samples)
    return Audio(to_wav(samples, rate), samples.shape[0] / rate, truncated, programs)
