"""Scores and audio for the dashboard, rendered on the server (no CDN, no Streamlit here).

- **Scores**: verovio engraves SVG from the piece's own source file (ABC tune, Humdrum,
  MusicXML, MEI), which takes ~20 ms and needs no music21; only MIDI-only pieces go through
  music21 (tokens → MusicXML), which costs seconds on a cold process.
- **Audio**: MIDI → 16-bit mono WAV for ``st.audio``, capped at ``MAX_AUDIO_SECONDS``. Backends
  in order of quality: the ``fluidsynth`` program, the ``fluidsynth`` Python binding (both
  with pretty_midi's bundled TimGM6mb.sf2), then ``PrettyMIDI.synthesize`` (pure numpy).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import logging
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAX_AUDIO_SECONDS = 45.0  # long enough to hear a tune's A part, short enough to render in <1 s
SAMPLE_RATE = 22_050
THUMBNAIL_BARS = 4
FLUIDSYNTH_TIMEOUT_S = 20
# verovio input formats by file suffix; .mxl is zipped MusicXML, loaded as bytes
VEROVIO_FORMATS = {
    ".abc": "abc",
    ".krn": "humdrum",
    ".musicxml": "musicxml",
    ".xml": "musicxml",
    ".mxl": "mxl",
    ".mei": "mei",
}
_VEROVIO_LOCK = threading.Lock()  # verovio keeps some process-wide state; renders are short


@dataclass(frozen=True)
class ScoreSource:
    """Notation verovio can load: text for most formats, bytes for zipped MusicXML."""

    data: str | bytes
    fmt: str  # a VEROVIO_FORMATS value


@dataclass(frozen=True)
class Audio:
    wav: bytes
    seconds: float  # length of the rendered audio (after the cap)
    backend: str  # "fluidsynth-cli" | "fluidsynth" | "numpy"
    truncated: bool  # the piece is longer than what was rendered


# ------------------------------------------------------------------------------ sources


def music21_corpus_root() -> Path | None:
    """music21's corpus folder, found without importing music21 (a 1.5 s import)."""
    spec = importlib.util.find_spec("music21")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "corpus"


def source_path(piece: dict) -> Path | None:
    """The file a catalog row came from: corpus-relative for bundled pieces, absolute else."""
    source = str(piece.get("source") or "")
    if not source:
        return None
    path = Path(source)
    if not path.is_absolute():
        root = music21_corpus_root()
        if root is None:
            return None
        path = root / source
    return path if path.is_file() else None


def abc_tune(text: str, number: str) -> str | None:
    """The tune numbered ``number`` of an ABC file, numbered the way ``cantus.ingest`` does."""
    from cantus.ingest import split_abc

    tunes = split_abc(text)
    if len(tunes) == 1 and not number:
        return tunes[0][1]
    seen: dict[str, int] = {}
    for x, tune in tunes:
        # a repeated X number becomes "<x>.2", "<x>.3" in piece ids (cantus.ingest rule)
        seen[x] = seen.get(x, 0) + 1
        if (x if seen[x] == 1 else f"{x}.{seen[x]}") == number:
            return tune
    return None


def read_source(piece: dict) -> ScoreSource | None:
    """The piece's notation straight from its file, or None when verovio should not read it.

    Only music21's own corpus goes to verovio directly: verovio crashes the whole process
    (segfault) on some malformed input, so user files take the tokens → MusicXML path.
    """
    if Path(str(piece.get("source") or "")).is_absolute():
        return None
    path = source_path(piece)
    fmt = VEROVIO_FORMATS.get(path.suffix.lower()) if path else None
    if path is None or fmt is None:
        return None
    number = str(piece.get("number") or "")
    if fmt == "mxl":
        return ScoreSource(path.read_bytes(), fmt) if not number else None
    from cantus.ingest import decode_text

    text = decode_text(path.read_bytes())
    if fmt == "abc":
        tune = abc_tune(text, number)
        return ScoreSource(tune, fmt) if tune else None
    # one work per file for the other formats; an opus member falls back to tokens
    return ScoreSource(text, fmt) if not number else None


def tokens_source(ids: list[int], key: str | None = None) -> ScoreSource:
    """MusicXML decoded from music tokens (slow path: imports music21)."""
    from cantus.tokens import ids_to_musicxml

    with tempfile.TemporaryDirectory(prefix="cantus-score-") as tmp:
        path = ids_to_musicxml(list(ids), Path(tmp) / "score.musicxml", key=key or None)
        return ScoreSource(path.read_text(encoding="utf-8"), "musicxml")


def musicxml_source(path: str | Path) -> ScoreSource:
    path = Path(path)
    if path.suffix.lower() == ".mxl":
        return ScoreSource(path.read_bytes(), "mxl")
    return ScoreSource(path.read_text(encoding="utf-8"), "musicxml")


# ------------------------------------------------------------------------------ verovio


def _toolkit(source: ScoreSource, options: dict) -> object:
    import verovio

    verovio.enableLog(verovio.LOG_OFF)  # it warns on stderr about every open tie
    # verovio's default resource path is thread-local and set only in the importing thread;
    # Streamlit renders each session in its own thread, so point every toolkit at the fonts.
    tk = verovio.toolkit(False)
    tk.setResourcePath(str(Path(verovio.__file__).resolve().parent / "data"))
    base = {"svgViewBox": True, "adjustPageHeight": True, "header": "none", "footer": "none"}
    tk.setOptions(
        {**base, **options, "inputFrom": source.fmt if source.fmt != "mxl" else "musicxml"}
    )
    if source.fmt == "mxl":
        ok = tk.loadZipDataBase64(base64.b64encode(source.data).decode("ascii"))
    else:
        ok = tk.loadData(source.data)
    if not ok or tk.getPageCount() < 1:
        msg = f"verovio could not read this {source.fmt} score"
        raise ValueError(msg)
    return tk


def _checked(svg: str, fmt: str) -> str:
    if 'class="measure"' not in svg:
        msg = f"verovio could not read this {fmt} score (no bars found)"
        raise ValueError(msg)
    return svg


def score_svgs(
    source: ScoreSource, width: int = 1800, scale: int = 45, max_pages: int = 20
) -> list[str]:
    """Every page of the score as SVG (capped: a 300-page opera is not a dashboard view)."""
    with _VEROVIO_LOCK:
        tk = _toolkit(source, {"pageWidth": width, "pageHeight": 2970, "scale": scale})
        pages = min(tk.getPageCount(), max_pages)
        return [_checked(tk.renderToSVG(page), source.fmt) for page in range(1, pages + 1)]


def thumbnail_svg(source: ScoreSource, bars: int = THUMBNAIL_BARS) -> str:
    """The first ``bars`` bars on one system, for result cards."""
    with _VEROVIO_LOCK:
        # adjustPageWidth crops to the music, so short openings fill the card's picture too
        options = {"pageWidth": 1600, "scale": 45, "adjustPageWidth": True, "pageMarginTop": 40}
        tk = _toolkit(
            source, {**options, "pageMarginBottom": 20, "pageMarginLeft": 20, "pageMarginRight": 20}
        )
        tk.select({"measureRange": f"1-{bars}"})
        tk.redoLayout()
        return _checked(tk.renderToSVG(1), source.fmt)


def source_midi(source: ScoreSource) -> bytes:
    """MIDI of what the score shows (verovio's own export: fast, no music21)."""
    with _VEROVIO_LOCK:
        tk = _toolkit(source, {})
        _checked(tk.renderToSVG(1), source.fmt)  # an empty engraving means verovio read no music
        return base64.b64decode(tk.renderToMIDI())


# ------------------------------------------------------------------------------ audio


def soundfont_path() -> Path | None:
    """pretty_midi's bundled General MIDI soundfont (TimGM6mb.sf2, 6 MB)."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "TimGM6mb.sf2"
    return path if path.is_file() else None


def audio_backend() -> str:
    """The best synthesiser available here (see the module docstring)."""
    if shutil.which("fluidsynth") and soundfont_path():
        return "fluidsynth-cli"
    if importlib.util.find_spec("fluidsynth") is not None and soundfont_path():
        return "fluidsynth"
    return "numpy"


def _cap(midi: object, max_seconds: float) -> bool:
    """Drop notes after ``max_seconds`` and cut the ones that ring past it; True if cut."""
    cut = False
    for inst in midi.instruments:
        kept = [n for n in inst.notes if n.start < max_seconds]
        cut = cut or len(kept) < len(inst.notes)
        for note in kept:
            note.end = min(note.end, max_seconds)
        inst.notes = kept
    return cut


def _fluidsynth_cli(midi: object, rate: int) -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="cantus-audio-") as tmp:
        mid, wav = Path(tmp) / "in.mid", Path(tmp) / "out.wav"
        midi.write(str(mid))
        # -R 0 -C 0: no reverb/chorus, which halves render time on a busy 2-core machine
        options = ["-ni", "-q", "-R", "0", "-C", "0", "-g", "0.8", "-r", str(rate), "-F", str(wav)]
        cmd = ["fluidsynth", *options, str(soundfont_path()), str(mid)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=FLUIDSYNTH_TIMEOUT_S)
        with wave.open(str(wav)) as handle:
            frames = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
            channels = handle.getnchannels()
    return frames.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0


def _synthesize(midi: object, backend: str, rate: int) -> np.ndarray:
    if backend == "fluidsynth-cli":
        return _fluidsynth_cli(midi, rate)
    if backend == "fluidsynth":
        return midi.fluidsynth(fs=rate, sf2_path=str(soundfont_path()))
    return midi.synthesize(fs=rate)


def _trim_silence(samples: np.ndarray, rate: int, tail_s: float = 0.3) -> np.ndarray:
    """Cut the silence synthesisers append after the last note (FluidSynth adds seconds)."""
    loud = np.flatnonzero(
        np.abs(samples) > 1e-3 * (float(np.max(np.abs(samples))) if samples.size else 0)
    )
    return samples[: int(loud[-1]) + int(tail_s * rate)] if loud.size else samples


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """Peak-normalised 16-bit mono WAV."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    pcm = (samples / peak * 0.9 * 32767 if peak > 0 else samples).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return buffer.getvalue()


def midi_to_audio(
    data: bytes, max_seconds: float = MAX_AUDIO_SECONDS, rate: int = SAMPLE_RATE
) -> Audio:
    """Render MIDI bytes to WAV with the best backend, falling back to numpy on failure."""
    import pretty_midi

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pretty_midi warns about tempo events on later tracks
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
    truncated = _cap(midi, max_seconds)
    backend = audio_backend()
    try:
        samples = _synthesize(midi, backend, rate)
    except (OSError, subprocess.SubprocessError, ImportError) as exc:
        log.warning("audio backend %s failed (%s); using numpy synthesis", backend, exc)
        backend, samples = "numpy", midi.synthesize(fs=rate)
    samples = _trim_silence(np.asarray(samples, dtype=np.float32)[: int(max_seconds * rate)], rate)
    log.info(
        "rendered %.1f s of audio with %s in %.2f s",
        samples.size / rate,
        backend,
        time.perf_counter() - started,
    )
    return Audio(wav_bytes(samples, rate), samples.size / rate, backend, truncated)
