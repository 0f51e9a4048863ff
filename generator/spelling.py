"""Melodic slips a musician hears in one line: chromatic slips, augmented seconds, and how the
melody reaches each phrase's final note.

Tokens carry MIDI pitches, not spellings, so notes are **spelled in the key**: each degree
(semitones above the tonic) gets the letter a musician writes for it in that mode — the
scale's own letters, and for the chromatic degrees the usual alterations (major, dorian,
lydian, mixolydian: C# Eb F# G# Bb; minor, aeolian, phrygian: Db E F# A B; locrian: Gb for F#;
tonic C). The same rule reads seeds and real music. Then, between two adjacent notes of a line:

* a **chromatic slip** is a semitone on one letter (G#-G, Bb-B in A minor and C major);
* an **augmented second** is three semitones between adjacent letters (Ab-B in C minor: F-G#
  in A minor; Bb-C# in C major).

Per 100 melodic moves (pairs of adjacent notes of different pitch). The **phrase-final note**
of a phrase-end bar is its cadence note (``generator.part_writing.cadence_note``: the last
note on a strong beat lasting a beat or more); the share reached by step (1-2 semitones) and
by leap (3 or more) from the note before. Beside them, the share of lines that end flat
(``generator.roughness.flat_ending``) and how much a line recites one pitch
(``generator.roughness.recite_figures``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from generator.roughness import ending_report, recite_report

# letter (0 = the tonic's, 1 = the 2nd's, ...) of each degree 0..11 above the tonic
LETTERS = {
    "major": (0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6),  # C C# D Eb E F F# G G# A Bb B
    "minor": (0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6),  # C Db D Eb E F F# G Ab A Bb B
    "locrian": (0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 6),  # its 5th is Gb, not F#
}
# modes with a minor third and sixth spell as minor (phrygian's Db, aeolian's Ab are its own
# steps); the rest (dorian, lydian, mixolydian) keep every degree of the major table's letters
SPELLED_AS = {"minor": "minor", "aeolian": "minor", "phrygian": "minor", "locrian": "locrian"}


def letters(mode: str) -> np.ndarray:
    return np.asarray(LETTERS[SPELLED_AS.get(mode, "major")], dtype=np.int64)


def slips(last: int, pitches: np.ndarray, mode: str, tonic_pc: int = 0) -> np.ndarray:
    """True where the move from ``last`` to each of ``pitches`` is a chromatic slip or an
    augmented second, spelled in the key (``tonic_pc`` and ``mode``; canonical seeds: 0)."""
    table = letters(mode)
    pitches = np.asarray(pitches, dtype=np.int64)
    move = pitches - last
    low = np.minimum(pitches, last) - tonic_pc
    high = np.maximum(pitches, last) - tonic_pc
    steps = (table[high % 12] - table[low % 12]) % 7  # letters from the lower note up
    return ((np.abs(move) == 1) & (steps == 0)) | ((np.abs(move) == 3) & (steps == 1))


def slip_counts(pitches: Sequence[int], mode: str, tonic_pc: int) -> tuple[int, int, int]:
    """(chromatic slips, augmented seconds, moves) along one line's ``pitches``."""
    chromatic = augmented = moves = 0
    for a, b in pairwise(pitches):
        if a == b:
            continue
        moves += 1
        if slips(a, np.array([b]), mode, tonic_pc)[0]:
            chromatic += abs(b - a) == 1
            augmented += abs(b - a) == 3
    return chromatic, augmented, moves


def melodic_report(duets: Sequence) -> dict[str, float]:
    """Slips and phrase-final approaches of the top lines of ``duets``
    (``generator.part_writing.Duet``), pooled (NaN where nothing was there to count)."""
    from generator.part_writing import cadence_note

    counts = np.zeros(3, dtype=np.int64)
    finals: list[int] = []  # semitones into each phrase-final note
    for d in duets:
        counts += slip_counts([n.pitch for n in d.top], d.mode, d.tonic_pc)
        for bar in d.ends:
            i = cadence_note(d, bar)
            if i:  # None or the line's first note: nothing leads into it
                finals.append(abs(d.top[i].pitch - d.top[i - 1].pitch))
    moves = int(counts[2])
    into = np.array(finals)

    def share(hits: float, total: int) -> float:
        return round(float(hits / total), 4) if total else float("nan")

    return {
        "chromatic_slips_per_100": share(100 * counts[0], moves),
        "augmented_seconds_per_100": share(100 * counts[1], moves),
        "melodic_moves": moves,
        "final_by_step": share(((into >= 1) & (into <= 2)).sum(), len(into)),
        "final_by_leap": share((into >= 3).sum(), len(into)),
        "phrase_finals": len(into),
        **ending_report(duets),
        **recite_report(duets),
    }


# the figures the melodic sweeps match to the pieces', each with the gap that is a full miss
FIGURE_SCALES = {
    "chromatic_slips_per_100": 5.0,
    "augmented_seconds_per_100": 5.0,
    "final_by_step": 1.0,
    "final_by_leap": 1.0,
}


def melodic_gap(seeds: dict[str, float], real: dict[str, float]) -> float | None:
    """:func:`figure_gap` of the melodic figures (``FIGURE_SCALES``)."""
    return figure_gap(seeds, real, FIGURE_SCALES)


def figure_gap(
    seeds: dict[str, float], real: dict[str, float], scales: dict[str, float]
) -> float | None:
    """Mean gap, each capped at a full miss (``scales``: the gap that counts as one), between
    the seeds' figures and the real openings' (None: no figure both have; NaN is none)."""
    gaps = [
        min(abs(seeds[k] - real[k]) / scale, 1.0)
        for k, scale in scales.items()
        if k in seeds and k in real and seeds[k] == seeds[k] and real[k] == real[k]
    ]
    return float(np.mean(gaps)) if gaps else None
