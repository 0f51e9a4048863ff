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
