"""Melodic slips spelled in the key (``generator.spelling``) and the decoder's costs against them
and against a leap into a phrase's final note (``generator.leaning``)."""

from __future__ import annotations

import numpy as np
import pytest

from generator.decode import DecodeSpec, decode, make_grammar
from generator.part_writing import Duet
from generator.phrase import check_form
from generator.spelling import melodic_report, slip_counts, slips
from generator.vocab import Note, parse_notes
from generator.voices import VoiceTuning, canonical_voices
from tests.generator_helpers import random_seed_model

A = 9  # pitch class of A: a tune in A minor


@pytest.fixture(scope="module")
def random_model():
    return random_seed_model(ctx=512)


def test_a_semitone_on_one_letter_and_an_augmented_second_are_slips() -> None:
    # A minor: G#4 (68) then G4 (67) is the jig's slip; F4-G#4 the augmented second
    assert slips(68, np.array([67]), "minor", A)[0]
    assert slips(65, np.array([68]), "minor", A)[0]
    # G#-A, E-F, F-E, a minor third C-A: written by every fiddler
    assert not slips(68, np.array([69, 64, 67 - 3]), "minor", A).any()
    assert not slips(65, np.array([64, 62]), "minor", A).any()
    # C major: Bb-B and F-F# slip, B-C and F#-G do not
    assert slips(70, np.array([71]), "major", 0)[0] and slips(65, np.array([66]), "major", 0)[0]
    assert not slips(71, np.array([72]), "major", 0)[0]
    assert not slips(66, np.array([67]), "major", 0)[0]


def test_slip_counts_per_line_skip_repeated_notes() -> None:
    # A minor: A G# G G A F G# A — moves: 6 (G-G repeated); slips G#-G; augmented F-G#
    line = [69, 68, 67, 67, 69, 65, 68, 69]
    assert slip_counts(line, "minor", A) == (1, 1, 6)


def _duet(pitches: list[int], durations: list[float]) -> Duet:
    notes, onset = [], 0.0
    for p, d in zip(pitches, durations, strict=True):
        notes.append(Note(onset, p, d, int(onset // 4)))
        onset += d
    return Duet(notes, [], 0, False, "4/4", [0])


def test_the_phrase_final_note_is_read_with_the_note_before_it() -> None:
    by_step = _duet([64, 62, 60], [1.0, 1.0, 2.0])  # E D | C held: 2-1
    by_leap = _duet([64, 67, 60], [1.0, 1.0, 2.0])  # E G | C: a fifth down
    report = melodic_report([by_step, by_leap])
    assert report["phrase_finals"] == 2
    assert report["final_by_step"] == 0.5 and report["final_by_leap"] == 0.5
    assert report["chromatic_slips_per_100"] == 0.0 and report["melodic_moves"] == 4


def _bias(random_model, mode: str, last: int, bars: int, pos: int, texture: str, **tuning):
    model, controls = random_model
    voices = canonical_voices(texture, 0, VoiceTuning(**tuning))
    grammar = make_grammar(
        model, controls, DecodeSpec("4/4", mode, check_form("phrase", "closed", 4), voices)
    )
    state = grammar.new_state()
    state.phase, state.bars, state.pos = "pos", bars, pos
    state.last = [last] * len(voices) if texture == "melody" else [48, last]

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    out = grammar.bias(state)
    return (np.zeros(grammar.vocab_size) if out is None else out), pid, grammar


@pytest.mark.parametrize("texture", ["melody", "melody+bass"])
def test_the_slip_cost_hits_only_the_candidates_that_slip(random_model, texture) -> None:
    # C minor (canonical): from B4 (the raised 7th), Bb4 slips and Ab4 is an augmented second;
    # A4, C5, G4 and D5 (a minor third) are not
    on, pid, _ = _bias(random_model, "minor", 71, 1, 0, texture, slip=4.0, final_leap=0.0)
    off, _, _ = _bias(random_model, "minor", 71, 1, 0, texture, slip=0.0, final_leap=0.0)
    cost = off - on
    for slip in (70, 68):
        assert cost[pid(slip)] == pytest.approx(4.0), slip
    for fine in (69, 72, 67, 74):
        assert cost[pid(fine)] == 0.0, fine
    assert np.count_nonzero(cost) == 2, "only the two candidates that slip"


def test_the_final_is_not_reached_by_a_leap(random_model) -> None:
    # phrase-end bar (bar 4), at the last onset before the final: the tonic C5 from D5 is a
    # step, from G5 a leap; on the beat before the final, a note a leap from every C costs
    lead = None
    for last in (74, 79):
        on, pid, grammar = _bias(random_model, "major", last, 4, 0, "melody", final_leap=3.0)
        off, _, _ = _bias(random_model, "major", last, 4, 0, "melody", final_leap=0.0)
        cost = off - on
        assert cost[pid(72)] == (0.0 if last == 74 else pytest.approx(3.0)), last
        lead = grammar.last_final - grammar.min_final
    on, pid, _ = _bias(random_model, "major", 74, 4, lead, "melody", final_leap=3.0)
    off, _, _ = _bias(random_model, "major", 74, 4, lead, "melody", final_leap=0.0)
    cost = off - on
    assert cost[pid(76)] == pytest.approx(3.0), "E5 leads into C5 by a leap"
    assert cost[pid(74)] == 0.0 and cost[pid(71)] == 0.0, "D5 and B4 lead into C5 by step"
    elsewhere, _, _ = _bias(random_model, "major", 79, 2, 0, "melody", final_leap=3.0)
    plain, _, _ = _bias(random_model, "major", 79, 2, 0, "melody", final_leap=0.0)
    assert np.array_equal(elsewhere, plain), "bar 2 ends no phrase"


def _tops(seeds: list[list[int]]) -> list[Duet]:
    from generator.mgeval import top_line

    out = []
    for ids in seeds:
        notes = parse_notes(ids)[0]
        out.append(Duet(top_line(notes), [], 0, True, "4/4", [3]))
    return out


def test_a_fixed_seed_decode_slips_and_leaps_into_finals_less(random_model) -> None:
    """Random weights at a high temperature slip often; the costs cut both figures."""
    model, controls = random_model
    figures = {}
    for cost in (0.0, 8.0):
        voices = canonical_voices("melody", 0, VoiceTuning(slip=cost, final_leap=cost))
        plan = check_form("phrase", "closed", 4)
        spec = DecodeSpec("4/4", "minor", plan, voices, n=12, temperature=1.5, top_p=1.0, seed=5)
        figures[cost] = melodic_report(_tops(decode(model, controls, spec, None)))
    before, after = figures[0.0], figures[8.0]
    slipped = before["chromatic_slips_per_100"] + before["augmented_seconds_per_100"]
    assert slipped > 0, "the check needs slips to remove"
    assert after["chromatic_slips_per_100"] + after["augmented_seconds_per_100"] < slipped / 2
    assert after["final_by_leap"] < before["final_by_leap"]


def test_a_modes_own_steps_are_never_slips() -> None:
    """Phrygian's b2 and b6 and locrian's b5 are the mode's own letters (spelled as minor, with
    locrian's Gb), not a chromatic slip as the major table would read them."""
    phrygian = [60, 61, 63, 65, 67, 68, 70, 72]  # C Db Eb F G Ab Bb C
    locrian = [60, 61, 63, 65, 66, 68, 70, 72]  # C Db Eb F Gb Ab Bb C
    dorian = [60, 62, 63, 65, 67, 69, 70, 72]  # C D Eb F G A Bb C
    assert slip_counts(phrygian, "phrygian", 0) == (0, 0, 7)
    assert slip_counts(locrian, "locrian", 0) == (0, 0, 7)
    assert slip_counts(dorian, "dorian", 0) == (0, 0, 7)
    assert slip_counts(phrygian, "major", 0)[0] == 2  # the major table reads C-C#, G-G#
    assert slips(60, np.array([61]), "phrygian", 0).sum() == 0
