"""Rough strong-beat verticals and flat endings (``generator.roughness``): the figures."""

from __future__ import annotations

import numpy as np
import pytest

from generator.part_writing import Duet, part_writing_report
from generator.roughness import accent_offsets, ending_report, flat_ending, strong_counts
from generator.spelling import melodic_report
from generator.vocab import Note


def _line(pitches: list[int], lengths: list[float] | None = None) -> list[Note]:
    lengths = lengths or [1.0] * len(pitches)
    onsets = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    return [
        Note(float(t), p, d, int(t // 4)) for t, p, d in zip(onsets, pitches, lengths, strict=True)
    ]


def test_strong_beats_are_1_and_3_in_four_beats_and_the_downbeat_otherwise() -> None:
    assert accent_offsets("4/4") == (0.0, 2.0)
    assert accent_offsets("12/8") == (0.0, 3.0)
    assert accent_offsets("3/4") == (0.0,)
    assert accent_offsets("6/8") == (0.0,)


def test_a_ninth_on_the_downbeat_is_rough_and_one_on_a_weak_beat_is_not_counted() -> None:
    bass = _line([43, 43], [4.0, 4.0])  # G2 for two bars
    # bar 1: A3 over G2 on beat 1 (a ninth), B on 2, D on 3, B on 4; bar 2: G on 1, A on 2
    top = _line([57, 59, 62, 59, 55, 57, 59, 55])
    total, rough, unprepared = strong_counts(top, bass, "4/4")
    assert (total, rough, unprepared) == (4, 1, 1)  # beats 1, 3 of two bars; the ninth
    report = part_writing_report([Duet(top, bass, 7, False, "4/4")])
    assert report["strong_dissonant_unprepared"] == pytest.approx(0.25)
    assert report["strong_verticals"] == 4


def test_a_suspension_held_from_the_vertical_before_and_falling_by_step_is_prepared() -> None:
    # C4 over A2 (a 10th), then the bass moves to D3 under the held C4: a 7th on beat 3
    # that falls to B3 (a 6th), a 7-6 suspension
    top = [Note(0.0, 60, 3.0, 0), Note(3.0, 59, 1.0, 0)]
    bass = _line([45, 50], [2.0, 2.0])
    assert strong_counts(top, bass, "4/4") == (2, 1, 0)
    # the same 7th struck fresh on beat 3 (the melody leapt to it) is not prepared
    fresh = [Note(0.0, 57, 2.0, 0), Note(2.0, 60, 1.0, 0), Note(3.0, 59, 1.0, 0)]
    assert strong_counts(fresh, bass, "4/4") == (2, 1, 1)
    # held but rising out of it is no suspension either
    rising = [Note(0.0, 60, 3.0, 0), Note(3.0, 62, 1.0, 0)]
    assert strong_counts(rising, bass, "4/4") == (2, 1, 1)


def test_a_line_ends_flat_on_three_repeats_not_on_two() -> None:
    assert flat_ending(_line([62, 60, 57, 57, 57]))
    assert not flat_ending(_line([62, 59, 57, 57]))  # a repeated final is the idiom
    assert not flat_ending(_line([57, 57]))
    duets = [Duet(_line(p), [], 9, True, "4/4") for p in ([60, 57, 57, 57], [64, 62, 57])]
    assert ending_report(duets)["flat_ending"] == 0.5
    assert melodic_report(duets)["flat_ending"] == 0.5
