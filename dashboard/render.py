"""Scores and audio for the dashboard, rendered on the server (no CDN, no Streamlit here).

- **Scores**: verovio engraves SVG from the piece's own source file (ABC tune, Humdrum,
  MusicXML, MEI), which takes ~20 ms and needs no music21; only MIDI-only pieces go through
  music21 (tokens → MusicXML), which costs seconds on a cold process.
- **Audio**: MIDI → 16-bit mono WAV for ``st.audio``, capped at ``MAX_AUDIO_SECONDS``, played
  with sampled General MIDI instruments through :mod:`cantus.audio` (SoundFont synth).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cantus.audio import Audio

log = logging.getLogger(__name__)

MAX_AUDIO_SECONDS = 45.0  # long enough to hear a tune's A part, short enough to render in <1 s
SAMPLE_RATE = 22_050
THUMBNAIL_BARS = 4
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
    """The tune numbered ``number`` of an ABC file, numbered the way ``cantus.works`` does."""
    from cantus.works import numbered_tunes

    return numbered_tunes(text).get(number)


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
    from cantus.works import decode_text

    text = decode_text(path.read_bytes())
    if fmt == "abc":
        tune = abc_tune(text, number)
        return ScoreSource(tune, fmt) if tune else None
    # one work per file for the other formats; an opus member falls back to tokens
    return ScoreSource(text, fmt) if not number else None


def tokens_source(ids: list[int], key: str | None = None) -> ScoreSource:
    """MusicXML decoded from music tokens (slow path: imports music21)."""
    from cantus.token_decode import ids_to_musicxml

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


def piece_midi(row: dict, token_ids: Callable[[], list[int]]) -> bytes:
    """MIDI of a catalog piece as its score shows it (a track per part, from verovio);
    from its stored opening tokens (one track) when verovio cannot read the source."""
    direct = read_source(row)
    if direct is not None:
        with contextlib.suppress(ValueError):
            return source_midi(direct)
    from cantus.token_decode import ids_to_midi_bytes

    return ids_to_midi_bytes(token_ids())


# ------------------------------------------------------------------------------ audio


def midi_to_audio(
    data: bytes,
    max_seconds: float = MAX_AUDIO_SECONDS,
    rate: int = SAMPLE_RATE,
    collection: str = "",
) -> Audio:
    """Render MIDI bytes to mono WAV with sampled instruments (see :mod:`cantus.audio`)."""
    from cantus.audio import render_midi

    started = time.perf_counter()
    audio = render_midi(data, collection, max_seconds=max_seconds, rate=rate, mono=True)
    log.info("rendered %.1f s of audio in %.2f s", audio.seconds, time.perf_counter() - started)
    return audio
