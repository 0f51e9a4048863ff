"""Church modes heard in the notes: the ``scale`` taste facet.

The catalog's ``mode`` is major or minor unless the source declares a church mode *and* the
key analysis agrees with its signature, so many Dorian and Mixolydian tunes read "A minor" or
"D major" there. This module listens to the notes instead: each piece's pitch-class counts
(from its stored music tokens) are turned to scale degrees above the catalog tonic, and the
mode whose scale holds most of the notes wins. Decisions:

- **Major and minor are the default.** A church mode is named only when its scale holds at
  least ``MODAL_MARGIN`` more of the notes than both major and minor (minor counts the raised
  7th as in scale: harmonic minor is not Dorian); rests, drums and silence count nothing.
- **The facet holds church modes only.** Major and minor are the ``mode`` facet's business;
  a modal piece gets its mode and "modal" (so Dorian and Mixolydian favourites share a value),
  from the notes or from a mode the source declares. Other pieces have no value, which never
  counts (``recommender.tastes``).
- **Computed once per catalog**: one pass over the tokens (~2 s for 15k pieces, mostly
  loading the tokenizer), cached under ``$CANTUS_HOME/cache`` by the catalog's ids.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cantus.atomic import atomic_path

log = logging.getLogger(__name__)

# Semitones above the tonic in each scale. Minor keeps the raised 7th (harmonic minor).
SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
}
COMMON = ("major", "minor")
# A church mode must hold this much more of the notes than major and minor (2 notes in 100:
# one passing F# in a D minor tune does not make it Dorian)
MODAL_MARGIN = 0.02
SCALES_VERSION = 1  # bump when the analysis changes: old caches are then ignored
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def pitch_class_of(name: str) -> int:
    """Pitch class of a music21 note name ("F#", "B-", "E--"); -1 when there is none."""
    name = (name or "").strip()
    if not name or name[0].upper() not in _LETTERS:
        return -1
    shift = name.count("#") - name.count("-")
    return (_LETTERS[name[0].upper()] + shift) % 12


def degree_profiles(tokens: Sequence[np.ndarray], tonics: Sequence[str]) -> np.ndarray:
    """(N, 12) share of each piece's notes on each scale degree above its tonic (zeros
    without notes or tonic)."""
    from cantus.tokens import pitch_of_ids

    pitch_of = pitch_of_ids()
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    flat = np.concatenate([np.asarray(t, dtype=np.int64) for t in tokens]) if len(tokens) else []
    flat = np.asarray(flat, dtype=np.int64)
    inside = (flat >= 0) & (flat < len(pitch_of))
    pitches = np.where(inside, pitch_of[np.clip(flat, 0, len(pitch_of) - 1)], -1)
    rows = np.repeat(np.arange(len(tokens)), lengths)
    tonic = np.array([pitch_class_of(t) for t in tonics], dtype=np.int64)  # (N,)
    notes = (pitches >= 0) & (tonic[rows] >= 0)
    degree = (pitches[notes] - tonic[rows[notes]]) % 12
    counts = np.zeros((len(tokens), 12), dtype=np.float64)
    np.add.at(counts, (rows[notes], degree), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def analysed_modes(profiles: np.ndarray, margin: float = MODAL_MARGIN) -> np.ndarray:
    """(N,) the mode whose scale holds most of each piece's notes ("" without notes)."""
    names = list(SCALES)
    held = np.stack([profiles[:, list(s)].sum(axis=1) for s in SCALES.values()], axis=1)
    best = np.argmax(held, axis=1)
    common = held[:, : len(COMMON)].max(axis=1)
    modal = (best >= len(COMMON)) & (held[np.arange(len(held)), best] - common >= margin)
    fallback = np.where(held[:, 0] >= held[:, 1], "major", "minor")
    found = np.where(modal, np.array(names, dtype=object)[best], fallback)
    return np.where(profiles.sum(axis=1) > 0, found, "").astype(object)


def scale_text(analysed: Sequence[str], declared: Sequence[str]) -> np.ndarray:
    """(N,) the ``scale`` facet text: church modes from the notes and the source, then
    "modal" ("dorian, modal"); "" for major and minor pieces."""
    out = []
    for heard, said in zip(analysed, declared, strict=True):
        modes = [m for m in dict.fromkeys((heard, said)) if m in SCALES and m not in COMMON]
        out.append(", ".join([*modes, "modal"]) if modes else "")
    return np.array(out, dtype=object)


def scale_column(
    ids: Sequence[str],
    tonics: Sequence[str],
    declared: Sequence[str],
    tokens: Callable[[], list[np.ndarray] | None],
) -> np.ndarray | None:
    """The ``scale`` facet text of every row, read from or written to the cache; None when
    ``tokens()`` has none (an engine built without music tokens)."""
    from cantus import config

    digest = hashlib.sha256(f"scales:{SCALES_VERSION}".encode())
    for part in (ids, tonics, declared):
        digest.update("\0".join(map(str, part)).encode())
    path = config.cantus_home() / "cache" / f"scales-{digest.hexdigest()[:16]}.npy"
    if path.is_file():
        try:
            cached = np.load(path, allow_pickle=False)
            if len(cached) == len(ids):
                return cached.astype(object)
        except (OSError, ValueError) as exc:  # a broken cache is rebuilt
            log.info("scale cache %s unreadable (%s); rebuilding", path, exc)
    rows = tokens()
    if rows is None:
        return None
    text = scale_text(analysed_modes(degree_profiles(rows, tonics)), declared)
    _save(path, text)
    return text


def _save(path: Path, text: np.ndarray) -> None:
    from cantus import config

    try:
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            np.save(handle, text.astype(str), allow_pickle=False)
        config.prune_cache(path, "scales-*.npy")  # one scale cache, not one per ingest
    except OSError as exc:
        log.info("cannot cache the scale facet at %s (%s)", path, exc)
