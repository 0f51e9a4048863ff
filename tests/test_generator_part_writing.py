"""Outer-voice part-writing: the figures (``generator.part_writing``) and the decoder's costs
against parallels, the natural 7th into the tonic in minor and a cadence bass without the
dominant (``generator.leaning``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from generator.decode import DecodeSpec, make_grammar
from generator.part_writing import Duet, cadence_flags, part_writing_report
from generator.phrase import check_form
from generator.vocab import Note
from generator.voices import canonical_voices
from tests.generator_helpers import random_seed_model


def _line(pitches: list[int], lengths: list[float] | None = None) -> list[Note]:
    lengths = lengths or [1.0] * len(pitches)
    onsets = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    return [
        Note(float(t), p, d, int(t // 4)) for t, p, d in zip(onsets, pitches, lengths, strict=True)
    ]


def test_parallel_fifths_and_octaves_are_counted_and_contrary_motion_is_not() -> None:
    bass = _line([48, 50, 52, 53])
    parallel = Duet(_line([55, 57, 64, 65]), bass, 0, False, "4/4")  # 5ths C-D, then 8ves E-F
    contrary = Duet(_line([67, 65, 64, 62]), bass, 0, False, "4/4")  # 5th, 3rd, 8ve, 6th
    assert part_writing_report([parallel])["parallel_perfect_per_100"] == pytest.approx(200 / 3)
    assert part_writing_report([contrary])["parallel_perfect_per_100"] == 0
    held = Duet(_line([55, 55, 55, 55]), bass, 0, False, "4/4")  # the melody holds: oblique
    assert part_writing_report([held])["parallel_perfect_per_100"] == 0


def test_the_leading_tone_share_counts_minor_steps_into_the_tonic_only() -> None:
    top = _line([71, 72, 70, 72, 70, 68])  # B-C raised, Bb-C natural, Bb-Ab falls (not counted)
    bass = _line([48, 48, 48, 48, 48, 48])
    minor = part_writing_report([Duet(top, bass, 0, True, "4/4")])
    assert minor["minor_leading_tone_raised"] == 0.5 and minor["minor_leading_tone_steps"] == 2
    major = part_writing_report([Duet(top, bass, 0, False, "4/4")])
    assert major["minor_leading_tone_steps"] == 0


def test_a_cadence_is_read_on_the_phrase_end_bar_s_last_strong_long_melody_note() -> None:
    # bar 1: melody E5 D5, then C5 (a half note on beat 3) over bass G2 then C3; flags: (bass
    # from 5 or 4, melody by step, bass from 5)
    top = _line([76, 74, 72], [1.0, 1.0, 2.0])
    top = [Note(n.onset + 4, n.pitch, n.duration, 1) for n in top]
    bass = [Note(4.0, 43, 2.0, 1), Note(6.0, 48, 2.0, 1)]
    assert cadence_flags(Duet(top, bass, 0, False, "4/4", [1])) == [(True, True, True)]
    plagal = [Note(4.0, 41, 2.0, 1), Note(6.0, 48, 2.0, 1)]
    assert cadence_flags(Duet(top, plagal, 0, False, "4/4", [1])) == [(True, True, False)]
    leap = [*top[:1], Note(5.0, 79, 1.0, 1), top[2]]
    assert cadence_flags(Duet(leap, bass, 0, False, "4/4", [1])) == [(True, False, True)]
    assert cadence_flags(Duet(top, bass, 0, False, "4/4", [0])) == [], "no cadence in bar 0"


@pytest.fixture(scope="module")
def random_model():
    return random_seed_model(ctx=512)


def _bias(random_model, mode: str, bars: int = 0, **fields) -> tuple:
    """(grammar, state, pitch -> id) of melody+bass (voice fields overridden, the degree and
    cadence preferences off so only the part-writing costs move)."""
    model, controls = random_model
    base = {"tonal": 0.0, "cadence": False, "anticipation": 0.0, **fields}
    voices = tuple(replace(v, **base) for v in canonical_voices("melody+bass", 0))
    spec = DecodeSpec("4/4", mode, check_form("phrase", "closed", 4), voices)
    grammar = make_grammar(model, controls, spec)
    state = grammar.new_state()
    state.phase, state.bars = "pos", bars

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    return grammar, state, pid


def test_the_melody_pays_for_a_fifth_that_moves_in_parallel_with_the_bass(random_model) -> None:
    def bias(parallels: float) -> tuple:
        grammar, state, pid = _bias(random_model, "major", parallels=parallels)
        # previous onset G4 over C3 (a fifth); the bass has moved up to D3
        state.vert, state.last = (67, 48), [50, 67]
        return grammar.bias(state), pid

    on, pid = bias(3.0)
    off, _ = bias(0.0)
    cost = off - on
    assert cost[pid(69)] == pytest.approx(3.0), "A4 over D3: parallel fifths"
    assert cost[pid(81)] == pytest.approx(3.0), "A5 over D3: compound fifths count too"
    assert cost[pid(65)] == 0 and cost[pid(71)] == 0, "F4 (contrary), B4 (a sixth)"


def test_in_minor_the_natural_seventh_does_not_lead_to_the_tonic(random_model) -> None:
    def cost(mode: str, last: int, bars: int = 0) -> tuple:
        grammar, state, pid = _bias(random_model, mode, bars=bars, leading_tone=2.0)
        state.last = [48, last]
        on = grammar.bias(state)
        grammar, state, _ = _bias(random_model, mode, bars=bars, leading_tone=0.0)
        state.last = [48, last]
        return grammar.bias(state) - on, pid

    rising, pid = cost("minor", 67)  # from G4
    assert rising[pid(70)] == pytest.approx(2.0) and rising[pid(71)] == 0, "Bb4 rising, not B4"
    falling, _ = cost("minor", 72)  # from C5 down: Bb4 may fall on to Ab
    assert falling[pid(70)] == 0
    resolving, _ = cost("minor", 70)  # already on Bb4: not up to C5
    assert resolving[pid(72)] == pytest.approx(2.0)
    cadence, _ = cost("minor", 72, bars=4)  # the cadence bar: Bb4 would lead into the final C
    assert cadence[pid(70)] == pytest.approx(2.0)
    major, _ = cost("major", 67)
    assert not major.any(), "major keys: no cost"


def test_before_a_tonic_cadence_the_bass_leans_to_the_dominant(random_model) -> None:
    def cost(bars: int) -> tuple:
        grammar, state, pid = _bias(random_model, "major", bars=bars, dominant=2.0)
        state.last = [45, 72]
        on = grammar.bias(state)
        grammar, state, _ = _bias(random_model, "major", bars=bars, dominant=0.0)
        state.last = [45, 72]
        return grammar.bias(state) - on, pid

    cadence_bar, pid = cost(4)
    assert cadence_bar[pid(41)] == pytest.approx(2.0), "F2, the 4th"
    assert cadence_bar[pid(45)] == pytest.approx(2.0), "A2, the 6th"
    assert cadence_bar[pid(43)] == 0 and cadence_bar[pid(48)] == 0, "G2, and C3 (own costs)"
    elsewhere, _ = cost(2)
    assert elsewhere[pid(41)] == 0, "only before a cadence"


@pytest.mark.slow
def test_shipped_chorale_seeds_make_fewer_parallels_than_without_the_cost() -> None:
    import torch

    from cantus.config import data_dir
    from generator.inspire import get_generator, sample_batch
    from generator.part_writing import duet_of
    from generator.requests import request_from_ids
    from generator.voices import VoiceTuning
    from recommender.engine import Engine

    if not (data_dir() / "generator" / "model.safetensors").is_file():
        pytest.skip("no shipped generator in this checkout")
    engine, gen = Engine.load(), get_generator(data_dir() / "generator")
    chorales = ["m21:bach/bwv269.mxl#", "m21:bach/bwv347.mxl#"]

    def parallels(tuning: VoiceTuning | None) -> float:
        req = request_from_ids(engine, chorales, 8, "D minor", "4/4", gen.controls.meters)
        req.plan, req.tuning = check_form("phrase", "closed", 8), tuning
        seeds = sample_batch(gen, req, 8, (1.0, 0.95, 0, 1.0), torch.from_numpy(req.cond))
        duets = [duet_of(ids, 0, "minor", 8) for ids in seeds]
        return part_writing_report(duets)["parallel_perfect_per_100"]

    shipped, without = parallels(None), parallels(VoiceTuning(parallels=0.0))
    assert shipped < without, (shipped, without)
