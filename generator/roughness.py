"""Two faults a musician hears at once, measured alike on seeds, real openings and the corpus:

* **rough strong-beat verticals** (melody over bass): at the verticals on a strong beat (an
  onset of either voice there, both sounding: beats 1 and 3 in 4/4 and 12/8 — a bar of four
  beats —, the downbeat in 2/4, 3/4, 6/8, ...), the share whose interval class is dissonant
  (seconds and ninths, the tritone, sevenths: ``DISSONANT``; the fourth is left out, as the
  brief of issue 9 counts it) and not a **prepared suspension**: a voice holding or repeating
  its pitch from the previous vertical that then falls by step (1-2 semitones). Bach's strong
  beats between soprano and bass are consonant or suspensions; a whole bar of A4 over G3 is not;
* **flat endings** (top line): the share of lines whose last ``FLAT_NOTES`` notes are one
  pitch (A3 A3 A3 at the close, where real tunes hold the final or reach it by a figure).
  Three, not two: a repeated final (A A at a cadence, a jig's "A2 A") is common in the sources;
  three is the shortest run that is the fault and not the idiom (the report of task 9n gives
  the sources' shares for 2, 3 and 4);
* **reciting** (top line): the share of its notes that **recite** — whose pitch already
  sounded ``RECITED`` times or more among the ``RECITE_WINDOW`` notes before (A4 G4 A4 A4 B4 A4
  F4 G4, then A4 again) —, the share of its notes on its commonest pitch, and its longest run
  of one pitch struck again as separate notes. A soprano that keeps coming back to A4 (eleven
  times in eight bars) recites, though no note is held long (``REPEAT_COST`` never fires).
  The window, not the whole line, tells it: a whole line's commonest pitch has the same share
  in seeds and sources (chorales .30 / .28 on the eval's tune split), the notes reciting in
  eight do not (.20 against .12 in the training chorales' openings; airs .20 / .10).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from generator.vocab import Note, meter_bar_positions, meter_quarters

DISSONANT = frozenset({1, 2, 6, 10, 11})  # interval classes: 2nds / 9ths, tritone, 7ths
FLAT_NOTES = 3  # a top line whose last 3 notes are one pitch ends flat
# a note recites when its pitch is already 3 or more of the 8 notes before it (the training
# openings' shares of such notes: .10-.12, Chinese and German Essen songs .16-.19)
RECITE_WINDOW, RECITED = 8, 3


@functools.cache
def accent_positions(meter: str) -> tuple[int, ...]:
    """Strong beats of a bar of ``meter`` in positions from the bar line: the downbeat, and the
    half bar in bars of four beats (4/4, 4/2, 12/8)."""
    num = int(meter.partition("/")[0])
    return (0, meter_bar_positions(meter) // 2) if num in (4, 12) else (0,)


def accent_offsets(meter: str) -> tuple[float, ...]:
    """:func:`accent_positions` in quarters."""
    scale = meter_quarters(meter) / meter_bar_positions(meter)
    return tuple(p * scale for p in accent_positions(meter))


def _at(line: Sequence[Note], t: float) -> int:
    """Index of the note of ``line`` sounding at ``t`` (-1: a rest)."""
    for i in range(len(line) - 1, -1, -1):
        n = line[i]
        if n.onset <= t + 1e-9:
            return i if t < n.onset + n.duration - 1e-9 else -1
    return -1


def _suspended(line: Sequence[Note], i: int, before: int) -> bool:
    """Note ``i`` of ``line`` holds or repeats the pitch of note ``before`` and the next note
    falls from it by step."""
    if i + 1 >= len(line) or line[i].pitch != line[before].pitch:
        return False
    return 1 <= line[i].pitch - line[i + 1].pitch <= 2


def strong_counts(top: Sequence[Note], bass: Sequence[Note], meter: str) -> tuple[int, int, int]:
    """(strong-beat verticals, dissonant ones, dissonant ones not a prepared suspension)."""
    bar = meter_quarters(meter)
    accents = accent_offsets(meter)
    onsets = sorted({n.onset for n in top} | {n.onset for n in bass})
    verts = [(t, _at(top, t), _at(bass, t)) for t in onsets]
    verts = [(t, i, j) for t, i, j in verts if i >= 0 and j >= 0]
    total = rough = unprepared = 0
    for k, (t, i, j) in enumerate(verts):
        if not any(abs(t % bar - a) < 1e-6 or abs(t % bar - a - bar) < 1e-6 for a in accents):
            continue
        total += 1
        if (top[i].pitch - bass[j].pitch) % 12 not in DISSONANT:
            continue
        rough += 1
        _, i0, j0 = verts[k - 1] if k else (t, -1, -1)
        prepared = k > 0 and (_suspended(top, i, i0) or _suspended(bass, j, j0))
        unprepared += not prepared
    return total, rough, unprepared


def flat_ending(top: Sequence[Note], n: int = FLAT_NOTES) -> bool:
    """True where the last ``n`` notes of ``top`` are one pitch."""
    return len(top) >= n and len({x.pitch for x in top[-n:]}) == 1


def recited(pitches: Sequence[int]) -> tuple[int, int]:
    """(notes of ``pitches`` that recite, notes with a full window before them)."""
    hits = sum(
        pitches[i - RECITE_WINDOW : i].count(pitches[i]) >= RECITED
        for i in range(RECITE_WINDOW, len(pitches))
    )
    return hits, max(len(pitches) - RECITE_WINDOW, 0)


def recite_figures(top: Sequence[Note]) -> tuple[float, int]:
    """(share of ``top``'s notes on its commonest pitch, longest run of one pitch as separate
    notes); (NaN, 0) for an empty line."""
    if not top:
        return float("nan"), 0
    pitches = [n.pitch for n in top]
    commonest = max(pitches.count(p) for p in set(pitches))
    longest = run = 1
    for a, b in pairwise(pitches):
        run = run + 1 if a == b else 1
        longest = max(longest, run)
    return commonest / len(pitches), longest


def _share(hits: float, total: float) -> float:
    return round(float(hits / total), 4) if total else float("nan")


def vertical_report(duets: Sequence[Any]) -> dict[str, float]:
    """Strong-beat verticals of ``duets`` (``generator.part_writing.Duet``), pooled: the share
    dissonant and the share dissonant without a prepared suspension (NaN: none counted)."""
    counts = np.array([strong_counts(d.top, d.bass, d.meter) for d in duets] or [(0, 0, 0)])
    total, rough, unprepared = counts.sum(axis=0)
    return {
        "strong_dissonant": _share(rough, total),
        "strong_dissonant_unprepared": _share(unprepared, total),
        "strong_verticals": int(total),
    }


def ending_report(duets: Sequence[Any]) -> dict[str, float]:
    """Share of ``duets``' top lines that end flat (:func:`flat_ending`)."""
    tops = [d.top for d in duets if d.top]
    return {"flat_ending": _share(sum(flat_ending(t) for t in tops), len(tops))}


def recite_report(duets: Sequence[Any]) -> dict[str, float]:
    """The share of ``duets``' top-line notes that recite (:func:`recited`, pooled) and the
    means over the lines of :func:`recite_figures` (NaN: no line)."""
    tops = [d.top for d in duets if d.top]
    if not tops:
        nan = float("nan")
        return {"top_recited": nan, "top_commonest_share": nan, "top_longest_repeat": nan}
    hits, notes = np.sum([recited([n.pitch for n in top]) for top in tops], axis=0)
    shares, runs = zip(*(recite_figures(top) for top in tops), strict=True)
    return {
        "top_recited": _share(hits, notes),
        "top_commonest_share": round(float(np.mean(shares)), 4),
        "top_longest_repeat": round(float(np.mean(runs)), 3),
    }


# what each roughness sweep of ``cantus eval generation`` matches (``generator.eval_styles``):
# the figure, the gap that is a full miss, and the reference — the requests' own openings, or
# the style's training openings (few folk openings end a phrase by bar 8)
SWEEP_FIGURES = {
    "dissonance": ("strong_dissonant_unprepared", 0.2, "real"),
    "bass_dissonance": ("strong_dissonant_unprepared", 0.2, "real"),
    "flat_close": ("flat_ending", 0.5, "corpus"),
    "recite": ("top_recited", 0.2, "corpus"),
}


def sweep_gap(
    name: str, seeds: dict[str, Any], real: dict[str, Any], corpus: dict[str, Any]
) -> float | None:
    """The seeds' gap to the reference on sweep ``name``'s figure, capped at 1 (None: a figure
    missing or NaN)."""
    figure, scale, ref = SWEEP_FIGURES[name]
    a, b = seeds.get(figure), (real if ref == "real" else corpus).get(figure)
    if a is None or b is None or a != a or b != b:
        return None
    return min(abs(a - b) / scale, 1.0)
