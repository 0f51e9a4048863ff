"""Chorale preferences of decoding (``generator.leaning``): degrees of the key, cadences
approached by step, a bass that falls from the dominant."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from generator.decode import DecodeSpec, make_grammar
from generator.model import SeedTransformer
from generator.phrase import check_form
from generator.voices import VoiceTuning, canonical_voices
from tests.generator_helpers import random_seed_model


@pytest.fixture(scope="module")
def random_model() -> tuple[SeedTransformer, object]:
    return random_seed_model(ctx=512)


def _chorale_bias(random_model, mode: str, last: list[int], bars: int = 0, **voice) -> tuple:
    """(bias, pitch -> id) of melody+bass with voice fields overridden, e.g. tonal=0."""
    model, controls = random_model
    voices = tuple(replace(v, **voice) for v in canonical_voices("melody+bass", 0))
    plan = check_form("phrase", "closed", 4)
    grammar = make_grammar(model, controls, DecodeSpec("4/4", mode, plan, voices))
    state = grammar.new_state()
    state.phase, state.last, state.bars = "pos", list(last), bars

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    return grammar.bias(state), pid


def test_chorale_voices_lean_toward_their_key_s_degrees(random_model) -> None:
    last = [48, 72]
    for mode, good, bad in (("major", 79, 81), ("minor", 75, 76)):  # 5th over 6th; minor 3rd
        on, pid = _chorale_bias(random_model, mode, last, cadence=False)
        off, _ = _chorale_bias(random_model, mode, last, cadence=False, tonal=0.0)
        tonal = on - off
        assert tonal[pid(good)] > tonal[pid(bad)], mode
    on, pid = _chorale_bias(random_model, "dorian", last, cadence=False)
    off, _ = _chorale_bias(random_model, "dorian", last, cadence=False, tonal=0.0)
    assert np.array_equal(on, off), "no degree shares for a mode the chorales lack"


def test_the_final_cadence_is_approached_by_step_and_the_bass_falls_from_the_dominant(
    random_model,
) -> None:
    def cadence(last: list[int]) -> tuple:
        on, pid = _chorale_bias(random_model, "major", last, bars=4, tonal=0.0)
        off, _ = _chorale_bias(random_model, "major", last, bars=4, tonal=0.0, cadence=False)
        return on - off, pid

    by_step, pid = cadence([55, 74])  # soprano on D5, bass on G3
    by_leap, _ = cadence([52, 79])  # soprano on G5, bass on E3
    assert by_step[pid(72)] > by_leap[pid(72)], "C5 from D5 (2-1), not from G5"
    assert by_step[pid(74)] > by_step[pid(69)], "before the cadence: a step from the tonic"
    assert by_step[pid(48)] > by_leap[pid(48)], "the bass reaches C3 from G3 (5-1), not E3"
    assert by_step[pid(43)] > by_step[pid(45)], "before the cadence the bass takes 5 or 4"
    elsewhere, _ = _chorale_bias(random_model, "major", [52, 79], bars=2, tonal=0.0)
    plain, _ = _chorale_bias(random_model, "major", [52, 79], bars=2, tonal=0.0, cadence=False)
    assert np.array_equal(elsewhere, plain), "only bars that end a phrase"


def test_a_downbeat_cadence_is_approached_from_the_bar_before(random_model) -> None:
    model, controls = random_model
    plan = check_form("phrase", "closed", 4)
    voices = canonical_voices("melody+bass", 0, VoiceTuning(tonal=0.0))
    grammar = make_grammar(model, controls, DecodeSpec("4/4", "major", plan, voices))
    state = grammar.new_state()
    state.phase, state.last, state.bars = "pos", [55, 74], 3
    state.pos = 0
    early = grammar.bias(state)
    state.pos = grammar.bar_len - 2  # the last beat of the bar before the cadence bar

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    late = grammar.bias(state)
    assert late[pid(71)] - early[pid(71)] == 0, "B4 is a step from the final C5"
    assert late[pid(69)] < early[pid(69)], "A4 is not: the soprano would leap to the cadence"


def test_a_repeated_pitch_costs_the_voice_s_repeat_weighted_by_its_leading(random_model) -> None:
    last = [48, 72]
    on, pid = _chorale_bias(random_model, "major", last, cadence=False, repeat=1.0)
    off, _ = _chorale_bias(random_model, "major", last, cadence=False, repeat=0.0)
    leading = canonical_voices("melody+bass", 0)[1].leading
    for pitch in last:
        assert off[pid(pitch)] - on[pid(pitch)] == pytest.approx(leading * 1.0)
    assert on[pid(74)] == off[pid(74)], "a step costs no more"


def test_the_soprano_leans_toward_the_middle_of_its_register(random_model) -> None:
    on, pid = _chorale_bias(random_model, "major", [48, 72], cadence=False, centre=1.5)
    off, _ = _chorale_bias(random_model, "major", [48, 72], cadence=False, centre=0.0)
    pull = on - off
    soprano = canonical_voices("melody+bass", 0)[1]
    middle = (soprano.low + soprano.high) // 2
    assert pull[pid(middle)] > pull[pid(soprano.low)], "mid-register over the lowest note"
    assert pull[pid(middle)] > pull[pid(soprano.high)], "... and over the highest"
    assert pull[pid(soprano.low)] == pytest.approx(-1.5 * (middle + 0.5 - soprano.low) / 12)


def test_the_cadence_degree_waits_for_the_cadence_in_a_phrase_end_bar(random_model) -> None:
    """``Voice.anticipation``: before the cadence bar's last cadence onset, the tonic costs
    (a soprano sitting on C5 before its final C5); at that onset, and in other bars, not."""
    model, controls = random_model
    plan = check_form("phrase", "closed", 4)

    def bias(anticipation: float, bars: int, pos: int) -> tuple:
        voices = canonical_voices("melody+bass", 0, VoiceTuning(anticipation=anticipation))
        grammar = make_grammar(model, controls, DecodeSpec("4/4", "major", plan, voices))
        state = grammar.new_state()
        state.phase, state.last, state.bars, state.pos = "pos", [55, 74], bars, pos
        return grammar.bias(state), grammar

    off, grammar = bias(0.0, 4, 0)
    on, _ = bias(2.0, 4, 0)

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    assert off[pid(72)] - on[pid(72)] == pytest.approx(2.0), "C5 early in the cadence bar"
    assert on[pid(74)] == off[pid(74)], "D5 (2 before 1) costs no more"
    at_cadence = grammar.last_final
    assert np.array_equal(bias(2.0, 4, at_cadence)[0], bias(0.0, 4, at_cadence)[0])
    assert np.array_equal(bias(2.0, 2, 0)[0], bias(0.0, 2, 0)[0]), "bar 2 ends no phrase"


def _bass_under_held_melody(random_model, under: bool) -> tuple[int, list]:
    """(bass onsets inside a sounding melody note, decoded ids) of melody + bass seeds."""
    from generator.decode import decode
    from generator.vocab import parse_notes
    from generator.voices import split_by_voice

    model, controls = random_model
    voices = canonical_voices("melody+bass", 0, VoiceTuning(under=under))
    plan = check_form("phrase", "closed", 8)
    spec = DecodeSpec("4/4", "major", plan, voices, n=4, temperature=1.5, top_p=1.0, seed=3)
    spec = replace(spec, inner=True)
    seeds = decode(model, controls, spec, None)
    inside = 0
    for ids in seeds:
        bass, melody = split_by_voice(parse_notes(ids)[0], voices)
        for b in bass:
            inside += any(m.onset < b.onset < m.onset + m.duration - 1e-9 for m in melody)
    return inside, seeds


def test_the_bass_may_move_under_a_held_melody_note(random_model) -> None:
    """``Voice.under``: an onset may be the bass's alone while the legato melody holds (a
    walking bass under a half note); without it every onset is the melody's."""
    import itertools

    from generator.vocab import parse_notes
    from generator.voices import split_by_voice

    moved, seeds = _bass_under_held_melody(random_model, True)
    assert moved > 0
    assert _bass_under_held_melody(random_model, False)[0] == 0
    voices = canonical_voices("melody+bass", 0)
    for ids in seeds:  # the melody stays one legato line inside each bar
        melody = split_by_voice(parse_notes(ids)[0], voices)[1]
        for a, b in itertools.pairwise(melody):
            if a.bar == b.bar:
                assert b.onset == pytest.approx(a.onset + a.duration)
