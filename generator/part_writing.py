"""What a musician checks first in a melody over a bass: parallels, leading tones, cadences.

Measured alike on seeds and real openings (the top and bottom lines of ``generator.mgeval``):

* **parallel perfect intervals** — consecutive outer-voice verticals (one at every onset of
  either voice, the notes sounding there) a perfect fifth or octave apart (unisons and
  compounds included) both times, the two voices moving the same way: per 100 transitions
  (pairs of verticals where a voice moves);
* **raised leading tone** (minor keys) — of the steps up from the 7th degree to the tonic in
  either voice, the share from the raised 7th (B-C in C minor, not Bb-C);
* **cadences** — at each phrase end whose bass lands on the tonic (the cadence: the last
  melody note of the bar on a strong beat lasting a beat or more): the share whose bass comes
  from the 5th or 4th (authentic or plagal; and from the 5th alone), whose melody comes by
  step, and both;
* **strong-beat verticals** — the share dissonant, and dissonant without a prepared
  suspension (``generator.roughness``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from generator.phrase import strong_positions
from generator.roughness import vertical_report
from generator.spelling import figure_gap
from generator.vocab import Note, first_meter, meter_bar_positions, meter_quarters, parse_notes

# the figures the chorale sweeps match to the pieces', each with the gap that is a full miss:
# ten parallels in 100 moves is one every bar or so, a seed a musician rejects outright
FIGURE_SCALES = {
    "parallel_perfect_per_100": 10.0,
    "minor_leading_tone_raised": 1.0,
    "cadence_bass_5_1": 1.0,
    "cadence_both": 1.0,
}
PERFECT = (0, 7)  # interval classes of unison/octave and fifth
LEADING, SUBTONIC = 11, 10  # the raised and the natural 7th degree, semitones above the tonic
APPROACHES = (7, 5)  # bass degrees a tonic cadence comes from: the 5th (authentic), 4th (plagal)


@dataclass
class Duet:
    """Melody over bass of one seed or opening, with what the figures need."""

    top: list[Note]
    bass: list[Note]
    tonic_pc: int
    minor: bool
    meter: str
    ends: list[int] = field(default_factory=list)  # 0-based bars that end a phrase
    mode: str = ""  # "dorian", "phrygian", ...: how its notes are spelled ("": by ``minor``)

    def __post_init__(self) -> None:
        self.mode = self.mode or ("minor" if self.minor else "major")


def duet_of(ids: list[int], tonic_pc: int, mode: str, bars: int, ends: Iterable[int] = ()) -> Duet:
    """The outer voices of the first ``bars`` bars of ``ids`` (``ends``: 0-based phrase-end
    bars, those past ``bars`` dropped)."""
    from generator.mgeval import bottom_line, top_line

    notes, _ = parse_notes(ids)
    notes = [n for n in notes if n.bar < bars]
    meter = first_meter(ids) or "4/4"
    kept = sorted(b for b in ends if 0 <= b < bars)
    return Duet(top_line(notes), bottom_line(notes), tonic_pc, mode == "minor", meter, kept, mode)


def _sounding(line: Sequence[Note], at: float) -> int:
    """Pitch of ``line`` sounding at ``at`` (-1: a rest)."""
    for n in reversed(line):
        if n.onset <= at + 1e-9:
            return n.pitch if at < n.onset + n.duration - 1e-9 else -1
    return -1


def verticals(duet: Duet) -> list[tuple[int, int]]:
    """(top, bass) pitches at each onset of either voice where both sound."""
    onsets = sorted({n.onset for n in duet.top} | {n.onset for n in duet.bass})
    pairs = [(_sounding(duet.top, t), _sounding(duet.bass, t)) for t in onsets]
    return [(a, b) for a, b in pairs if a >= 0 and b >= 0]


def is_parallel(before: tuple[int, int], after: tuple[int, int]) -> bool:
    """Two verticals a perfect fifth / octave (same class) apart, both voices moving one way."""
    (t0, b0), (t1, b1) = before, after
    same = (t0 - b0) % 12 == (t1 - b1) % 12 in PERFECT
    return same and (t1 - t0) * (b1 - b0) > 0


def parallel_counts(duet: Duet) -> tuple[int, int]:
    """(parallel perfect transitions, transitions where a voice moves)."""
    vert = verticals(duet)
    moves = [(a, b) for a, b in pairwise(vert) if a != b]
    return sum(is_parallel(a, b) for a, b in moves), len(moves)


def leading_tone_counts(duet: Duet) -> tuple[int, int]:
    """(raised, all) steps up from the 7th degree to the tonic in either voice (minor only)."""
    if not duet.minor:
        return 0, 0
    raised = total = 0
    for line in (duet.top, duet.bass):
        for a, b in pairwise(line):
            deg, up = (a.pitch - duet.tonic_pc) % 12, b.pitch - a.pitch
            if (deg, up) in ((LEADING, 1), (SUBTONIC, 2)):
                total += 1
                raised += deg == LEADING
    return raised, total


def cadence_note(duet: Duet, bar: int) -> int | None:
    """Index in ``duet.top`` of the cadence of phrase-end ``bar``: its last melody note on a
    strong beat lasting a beat or more (None: none there)."""
    bar_q = meter_quarters(duet.meter)
    per_pos = bar_q / meter_bar_positions(duet.meter)
    strong = {bar * bar_q + p * per_pos for p in strong_positions(duet.meter)}
    beat = 4 / int(duet.meter.partition("/")[2])
    found = None
    for i, n in enumerate(duet.top):
        on_strong = any(abs(n.onset - s) < 1e-6 for s in strong)
        if n.bar == bar and on_strong and n.duration >= beat - 1e-6:
            found = i
    return found


def cadence_flags(duet: Duet) -> list[tuple[bool, bool, bool]]:
    """Per tonic cadence (bass on the tonic under the cadence note): (bass from the 5th or
    4th, melody by step, bass from the 5th)."""
    out = []
    for bar in duet.ends:
        i = cadence_note(duet, bar)
        if i is None or i == 0:
            continue
        note = duet.top[i]
        below = [n for n in duet.bass if n.onset <= note.onset + 1e-9]
        if len(below) < 2 or (below[-1].pitch - duet.tonic_pc) % 12 != 0:
            continue
        bass_from = (below[-2].pitch - duet.tonic_pc) % 12
        step = 1 <= abs(note.pitch - duet.top[i - 1].pitch) <= 2
        out.append((bass_from in APPROACHES, step, bass_from == APPROACHES[0]))
    return out


def part_writing_report(duets: Sequence[Duet]) -> dict[str, float]:
    """The figures over ``duets``, pooled (NaN where nothing was there to count)."""
    par = np.array([parallel_counts(d) for d in duets] or [(0, 0)]).sum(axis=0)
    lead = np.array([leading_tone_counts(d) for d in duets] or [(0, 0)]).sum(axis=0)
    flags = np.array([f for d in duets for f in cadence_flags(d)], dtype=bool).reshape(-1, 3)

    def share(hits: float, total: float) -> float:
        return round(float(hits / total), 4) if total else float("nan")

    return {
        "parallel_perfect_per_100": share(100 * par[0], par[1]),
        "transitions": int(par[1]),
        "minor_leading_tone_raised": share(lead[0], lead[1]),
        "minor_leading_tone_steps": int(lead[1]),
        "cadence_bass_5_1_or_4_1": share(flags[:, 0].sum(), len(flags)),
        "cadence_bass_5_1": share(flags[:, 2].sum(), len(flags)),
        "cadence_top_by_step": share(flags[:, 1].sum(), len(flags)),
        "cadence_both": share((flags[:, 0] & flags[:, 1]).sum(), len(flags)),
        "tonic_cadences": len(flags),
        **vertical_report(duets),
    }


def part_writing_gap(seeds: dict[str, float], real: dict[str, float]) -> float | None:
    """``generator.spelling.figure_gap`` of the part-writing figures (``FIGURE_SCALES``)."""
    return figure_gap(seeds, real, FIGURE_SCALES)
