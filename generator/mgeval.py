"""Musical features of seeds and real openings, and the overlapped area of their distributions.

Features follow Yang & Lerch (2018), "On the evaluation of generative models in music"
(MGEval), computed on the **top line** (highest note per onset) of each piece; pitches are
taken relative to the piece's tonic so pieces in different keys compare:

* ``note_length_hist`` — note lengths in quarters, binned at ``LENGTH_BINS``;
* ``pitch_class_hist`` — duration-free pitch classes relative to the tonic (12 bins);
* ``interval_hist`` — melodic intervals -12..12 semitones (25 bins, clipped);
* ``pitch_range``, ``notes_per_bar``, ``ioi`` (mean inter-onset interval, quarters).

Overlapped area (the paper's "OA"): for a feature, the distances *within* the reference set
(real openings, all pairs) and the distances *between* the generated and the reference set are
each smoothed with a Gaussian KDE; OA is the area under the minimum of the two densities
(1 = seeds are as close to the real pieces as the real pieces are to each other).

Plus what a musician hears: whether the phrase ends on the tonic or the dominant, the number
of distinct note lengths, and per voice the stepwise share (steps of 1-2 semitones among the
moves that change pitch) and range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from generator.vocab import Note, parse_notes

LENGTH_BINS = np.array([0.25, 1 / 3, 0.5, 2 / 3, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])  # quarters
HIST_FEATURES = ("note_length_hist", "pitch_class_hist", "interval_hist")
SCALAR_FEATURES = ("pitch_range", "notes_per_bar", "ioi")
FEATURES = HIST_FEATURES + SCALAR_FEATURES


@dataclass
class Line:
    """One voice of a piece (or seed) with the context its features need."""

    notes: list[Note]
    bars: int
    tonic_pc: int  # pitch class of the tonic


def top_line(notes: Sequence[Note]) -> list[Note]:
    """The melody of a merged texture: the highest note at each onset unless a higher melody
    note is still sounding there (an inner voice moving under it), each note cut where the next
    melody note starts."""
    best: dict[float, Note] = {}
    for n in notes:
        if n.onset not in best or n.pitch > best[n.onset].pitch:
            best[n.onset] = n
    line: list[Note] = []
    for onset in sorted(best):
        n = best[onset]
        held = line and line[-1].onset + line[-1].duration > onset + 1e-9
        if held and line[-1].pitch > n.pitch:
            continue
        line.append(n)
    if not line:  # a texture with no notes (bars cut before the first onset)
        return []
    out = []
    for a, b in zip(line, [*line[1:], None], strict=True):
        dur = a.duration if b is None else min(a.duration, b.onset - a.onset)
        out.append(Note(a.onset, a.pitch, dur, a.bar))
    return out


def bottom_line(notes: Sequence[Note]) -> list[Note]:
    """The bass of a merged texture: the lowest note at each onset, unless a lower bass note is
    still sounding there."""
    low: dict[float, Note] = {}
    for n in notes:
        if n.onset not in low or n.pitch < low[n.onset].pitch:
            low[n.onset] = n
    out: list[Note] = []
    for onset in sorted(low):
        n = low[onset]
        held = out and out[-1].onset + out[-1].duration > onset + 1e-9
        if held and out[-1].pitch < n.pitch:
            continue
        out.append(n)
    return out


def line_of(ids: list[int], tonic_pc: int, bars: int | None = None, which: str = "top") -> Line:
    notes, n_bars = parse_notes(ids)
    if bars is not None:
        notes = [n for n in notes if n.bar < bars]
        n_bars = min(n_bars, bars)
    pick = top_line if which == "top" else bottom_line
    return Line(pick(notes), max(n_bars, 1), tonic_pc)


def reduce_to_texture(ids: list[int], texture: str, bars: int) -> list[int]:
    """The first ``bars`` bars of ``ids`` reduced to a seed's texture: the top line
    (``melody``) or the top line over the bottom line (``melody+bass``), as REMI ids. Real
    pieces and seeds of every decoder reduced alike embed comparably: the music encoder puts a
    two-voice chorale far from a four-voice one (test-split chorales: cosine .29 reduced
    against .72 whole, see ``generator.eval_fidelity``), whatever the notes."""
    from generator.vocab import first_meter, notes_to_ids
    from generator.voices import TEXTURES

    if texture not in TEXTURES:
        msg = f"unknown texture {texture!r} (expected one of {', '.join(TEXTURES)})"
        raise ValueError(msg)
    notes, n_bars = parse_notes(ids)
    meter = first_meter(ids)
    if meter is None:
        return []
    notes = [n for n in notes if n.bar < bars]
    lines = top_line(notes) + (bottom_line(notes) if texture == "melody+bass" else [])
    return notes_to_ids(lines, meter, min(n_bars, bars))


def features(line: Line) -> dict[str, np.ndarray | float]:
    notes = line.notes
    pitches = np.array([n.pitch for n in notes], dtype=float)
    lengths = np.array([n.duration for n in notes], dtype=float)
    onsets = np.array([n.onset for n in notes], dtype=float)
    length_idx = np.abs(lengths[:, None] - LENGTH_BINS[None, :]).argmin(axis=1)
    pcs = (pitches.astype(int) - line.tonic_pc) % 12
    steps = np.clip(np.diff(pitches), -12, 12).astype(int) + 12
    return {
        "note_length_hist": _hist(length_idx, len(LENGTH_BINS)),
        "pitch_class_hist": _hist(pcs, 12),
        "interval_hist": _hist(steps, 25),
        "pitch_range": float(np.ptp(pitches)) if len(pitches) else 0.0,
        "notes_per_bar": len(notes) / line.bars,
        "ioi": float(np.diff(onsets).mean()) if len(onsets) > 1 else 0.0,
    }


def _hist(idx: np.ndarray, bins: int) -> np.ndarray:
    counts = np.bincount(np.asarray(idx, dtype=int), minlength=bins).astype(float)
    return counts / max(counts.sum(), 1.0)


def _distance(a: np.ndarray | float, b: np.ndarray | float) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))


def overlapped_area(intra: np.ndarray, inter: np.ndarray, points: int = 512) -> float:
    """Area under min(KDE(intra), KDE(inter)) (Yang & Lerch's OA)."""
    from scipy.stats import gaussian_kde

    intra, inter = np.asarray(intra, dtype=float), np.asarray(inter, dtype=float)
    if len(intra) < 2 or len(inter) < 2:
        return float("nan")
    lo = min(intra.min(), inter.min())
    hi = max(intra.max(), inter.max())
    scale = max(hi - lo, 1e-3)
    grid = np.linspace(lo - 0.25 * scale, hi + 0.25 * scale, points)
    dens = []
    for sample in (intra, inter):
        if np.ptp(sample) < 1e-9:  # a constant sample: widen it a little so the KDE exists
            sample = sample + np.linspace(-1e-3, 1e-3, len(sample)) * scale
        dens.append(gaussian_kde(sample)(grid))
    return float(np.trapezoid(np.minimum(*dens), grid))


def oa_report(generated: list[Line], reference: list[Line]) -> dict[str, float]:
    """OA per feature of ``generated`` against ``reference`` (see module doc)."""
    gen = [features(x) for x in generated if len(x.notes) > 1]
    ref = [features(x) for x in reference if len(x.notes) > 1]
    out = {}
    for name in FEATURES:
        intra = [_distance(a[name], b[name]) for i, a in enumerate(ref) for b in ref[i + 1 :]]
        inter = [_distance(g[name], r[name]) for g in gen for r in ref]
        out[name] = round(overlapped_area(np.array(intra), np.array(inter)), 4)
    vals = [v for v in out.values() if v == v]
    out["mean"] = round(float(np.mean(vals)), 4) if vals else float("nan")
    return out


def ends_on_tonic_or_dominant(line: Line) -> bool:
    if not line.notes:
        return False
    return (line.notes[-1].pitch - line.tonic_pc) % 12 in (0, 7)


def voice_shape(line: Line) -> dict[str, float]:
    """Stepwise share among pitch changes, range in semitones, distinct note lengths."""
    pitches = np.array([n.pitch for n in line.notes], dtype=int)
    moves = np.abs(np.diff(pitches))
    moves = moves[moves > 0]
    return {
        "stepwise": float(np.mean(moves <= 2)) if moves.size else float("nan"),
        "range": float(np.ptp(pitches)) if pitches.size else 0.0,
        "distinct_lengths": float(len({round(n.duration, 3) for n in line.notes})),
    }


def interval_shares(lines: Sequence[Line], top: int = 12) -> np.ndarray:
    """Shares of melodic interval sizes 0..``top`` semitones (the last bin: ``top`` or more)
    over the moves of ``lines``."""
    moves = [
        min(abs(b.pitch - a.pitch), top)
        for line in lines
        for a, b in zip(line.notes, line.notes[1:], strict=False)
    ]
    counts = np.bincount(np.asarray(moves, dtype=int), minlength=top + 1).astype(float)
    return counts / max(counts.sum(), 1.0)


def musician_report(lines: list[Line], bass: list[Line] | None = None) -> dict[str, float]:
    """Means over pieces of the figures a musician hears (see module doc)."""
    shapes = [voice_shape(x) for x in lines if x.notes]
    out = {
        "phrase_end_tonic_or_dominant": round(
            float(np.mean([ends_on_tonic_or_dominant(x) for x in lines])), 4
        ),
        "n": len(lines),
    }
    for key in ("distinct_lengths", "stepwise", "range"):
        out[f"top_{key}"] = round(float(np.nanmean([s[key] for s in shapes])), 3)
    if bass:
        bass_shapes = [voice_shape(x) for x in bass if x.notes]
        for key in ("stepwise", "range"):
            out[f"bass_{key}"] = round(float(np.nanmean([s[key] for s in bass_shapes])), 3)
    return out


def _worst(oa: dict[str, float]) -> float:
    return min(v for k, v in oa.items() if k != "mean")


def summarise_styles(styles: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per system, the mean over styles of mean OA, phrase-end rate and fidelity."""
    out: dict[str, dict[str, float]] = {}
    for system in ("constrained", "plain", "ngram"):
        rows = [s[system] for s in styles.values() if system in s]
        out[system] = {
            "oa_mean": round(float(np.nanmean([r["oa"]["mean"] for r in rows])), 4),
            "oa_min_feature": round(float(np.nanmin([_worst(r["oa"]) for r in rows])), 4),
            "phrase_end": round(
                float(np.mean([r["phrase_end_tonic_or_dominant"] for r in rows])), 4
            ),
            "fidelity": round(float(np.mean([r["fidelity"] for r in rows])), 4),
            "fidelity_reduced": round(float(np.mean([r["fidelity_reduced"] for r in rows])), 4),
        }
    reals = [s["real"] for s in styles.values()]
    out["real"] = {
        key: round(float(np.nanmean([r[name] for r in reals])), 4)
        for key, name in (
            ("phrase_end", "phrase_end_tonic_or_dominant"),
            ("fidelity_others", "fidelity_others"),
            ("fidelity_others_reduced", "fidelity_others_reduced"),
        )
    }
    return out
