"""The one Krumhansl-Schmuckler key finder: pitch classes against rotated key profiles.

Catalog keys (``key_features``) use music21's default Aarden-Essen weights on sounding time and
let the written signature settle near-ties; the encoder's tonic for scale-degree ids
(``estimate_tonic``) uses the Krumhansl-Kessler weights on note counts, as it was trained.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np

# Krumhansl-Kessler key profiles (major, minor), tonic first.
_KRUMHANSL_KESSLER = np.array(
    [
        [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
        [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
    ]
)

_FIFTHS = "FCGDAEB"  # letters a fifth apart; C major (0 sharps) sits at index 1, A minor at 4


def tonic_by_sharps(sharps: int, minor: bool) -> str:
    """The key's tonic in music21 spelling ("F#", "B-") from its signature's sharps (-7..7)."""
    step = sharps + (4 if minor else 1)
    accidental = "#" * (step // 7) if step >= 0 else "-" * -(step // 7)
    return _FIFTHS[step % 7] + accidental


def _aarden_essen() -> np.ndarray:
    """(2, 12) Aarden-Essen major/minor weights: music21's default ``analyze("key")`` profile."""
    from music21.analysis.discrete import AardenEssen

    weights = AardenEssen()
    return np.array([weights.getWeights("major"), weights.getWeights("minor")], dtype=float)


def pitch_class_durations(notes: Iterable[Any]) -> np.ndarray:
    """Quarter-length of sounding time per pitch class (chord tones each counted)."""
    dist = np.zeros(12)
    for element in notes:
        length = float(element.quarterLength) or 0.25  # grace notes still count a little
        for pitch in element.pitches:
            dist[pitch.pitchClass] += length
    return dist


def key_correlations(dist: np.ndarray, weights: str = "aarden-essen") -> np.ndarray:
    """(2, 12) Pearson r of ``dist`` with each major (row 0) / minor (row 1) key profile.

    The Krumhansl-Schmuckler method in one matrix product (music21's per-candidate Key
    objects took about 70 ms per piece); ``weights`` names the profiles (``PROFILES``).
    """
    std = dist.std()
    if std == 0:
        return np.zeros((2, 12))
    z = (dist - dist.mean()) / std
    return (_rotated_profiles(weights) @ z).reshape(2, 12) / 12  # mean of z-score products


@functools.cache
def _rotated_profiles(weights: str) -> np.ndarray:
    """(24, 12) z-scored profiles: 12 major then 12 minor keys, each rotated to its tonic."""
    if weights not in PROFILES:
        msg = f"unknown key profile {weights!r} (expected one of {sorted(PROFILES)})"
        raise ValueError(msg)
    rows = np.array([np.roll(p, t) for p in PROFILES[weights]() for t in range(12)])
    return (rows - rows.mean(1, keepdims=True)) / rows.std(1, keepdims=True)


def _sharps(tonic_pc: int, minor: bool) -> int:
    """Key-signature sharps (negative: flats) of a key, in -5..6."""
    major_pc = (tonic_pc + 3) % 12 if minor else tonic_pc
    sharps = (major_pc * 7) % 12
    return sharps - 12 if sharps > 6 else sharps


def _declared_key(flat: Any) -> Any | None:
    """The first key signature in the score (a ``key.Key`` when the source names a mode)."""
    from music21 import key

    sigs = flat.getElementsByClass(key.KeySignature)
    return sigs[0] if len(sigs) else None


def choose_key(r: np.ndarray, declared_sharps: int | None) -> tuple[int, bool, float, int]:
    """(tonic pitch class, minor?, r, sharps) of the best key.

    The written signature settles near-ties (relative major/minor, a fifth away) unless the
    music clearly contradicts it (correlation gap > 0.1).
    """
    order = sorted(((r[m, t], t, bool(m)) for m in (0, 1) for t in range(12)), reverse=True)
    best_r, tonic, minor = order[0]
    chosen = (tonic, minor, best_r, _sharps(tonic, minor))
    if declared_sharps is None:
        return chosen
    for cand_r, cand_tonic, cand_minor in order:
        if best_r - cand_r > 0.1:
            break
        if (_sharps(cand_tonic, cand_minor) - declared_sharps) % 12 == 0:
            return cand_tonic, cand_minor, cand_r, declared_sharps
    return chosen


def key_features(flat: Any, notes: list[Any] | None = None) -> dict[str, Any]:
    """Key name, tonic, mode and confidence (Pearson r of the chosen key, clipped to 0..1)."""
    dist = pitch_class_durations(notes if notes is not None else flat.notes)
    if dist.sum() <= 0:
        return {"key": "", "tonic": "", "mode": "", "key_confidence": 0.0}
    declared = _declared_key(flat)
    declared_sharps = declared.sharps if declared is not None else None
    _pc, minor, corr, sharps = choose_key(key_correlations(dist), declared_sharps)
    tonic, mode = tonic_by_sharps(sharps, minor), "minor" if minor else "major"
    declared_mode = getattr(declared, "mode", None)
    if declared_mode and declared_mode not in ("major", "minor") and declared_sharps == sharps:
        # the source names a church mode (e.g. ABC "K:Ador"); trust it over major/minor
        tonic, mode = declared.tonic.name, declared_mode
    confidence = float(max(0.0, min(1.0, corr)))
    return {"key": f"{tonic} {mode}", "tonic": tonic, "mode": mode, "key_confidence": confidence}


def estimate_tonic(pitches: np.ndarray) -> int:
    """Pitch class (0-11) of the best Krumhansl-Kessler key for note counts; 0 without pitches."""
    if pitches.size == 0:
        return 0
    hist = np.bincount(pitches % 12, minlength=12).astype(np.float64)
    if hist.std() == 0:
        return int(pitches.min() % 12)
    h = (hist - hist.mean()) / hist.std()
    return int(np.argmax(_rotated_profiles("krumhansl-kessler") @ h) % 12)


PROFILES = {  # (2, 12) major / minor weights, tonic first, by name
    "aarden-essen": _aarden_essen,
    "krumhansl-kessler": lambda: _KRUMHANSL_KESSLER,
}
