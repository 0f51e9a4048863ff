"""Voices and phrase endings as decoding constraints: hold for any weights, any metre, any form."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from generator.decode import DecodeSpec, check_seed, decode, make_grammar
from generator.model import SeedTransformer
from generator.phrase import (
    DOMINANT,
    TONIC,
    check_form,
    form_plan,
    min_final_length,
    strong_positions,
)
from generator.sample import GrammarError
from generator.vocab import (
    POSITIONS_PER_BEAT,
    meter_bar_positions,
    meter_quarters,
    parse_notes,
)
from generator.voices import VOICE_LEADING_AVOIDS, VoiceTuning, canonical_voices, split_by_voice
from tests.generator_helpers import random_seed_model


@pytest.fixture(scope="module")
def random_model() -> tuple[SeedTransformer, object]:
    return random_seed_model(ctx=512)


def _decode(
    random_model, meter, texture, form="phrase", ending="closed", bars=4, n=3, seed=0, inner=False
):
    model, controls = random_model
    spec = DecodeSpec(
        meter=meter,
        mode="major",
        plan=form_plan(form, ending, bars),  # short plans: the decoder, not the minimums
        voices=canonical_voices(texture, 0),
        n=n,
        temperature=1.5,  # random weights at a high temperature explore odd corners
        top_p=1.0,
        seed=seed,
        inner=inner,  # melody + bass over hidden inner notes
    )
    return spec, decode(model, controls, spec, None)


def _bar_quarters(meter: str) -> float:
    return meter_quarters(meter)


def _check_voices(ids: list[int], spec: DecodeSpec) -> None:
    notes, bars = parse_notes(ids)
    assert bars == spec.plan.bars
    per_voice = split_by_voice(notes, spec.voices)
    for voice, group in zip(spec.voices, per_voice, strict=True):
        assert all(voice.low <= n.pitch <= voice.high for n in group)
        for a, b in itertools.pairwise(group):
            assert b.onset >= a.onset + a.duration - 1e-9, f"{voice.name} sounds two notes at once"
    onsets: dict[float, int] = {}
    for n in notes:
        onsets[n.onset] = onsets.get(n.onset, 0) + 1
    assert max(onsets.values()) <= len(spec.voices)


def _check_phrase_end(ids: list[int], spec: DecodeSpec, bar: int, target: int) -> None:
    notes, _ = parse_notes(ids)
    in_bar = [n for n in notes if n.bar == bar - 1]
    assert in_bar, f"bar {bar} is empty"
    last_onset = max(n.onset for n in in_bar)
    final = [n for n in in_bar if n.onset == last_onset]
    assert len(final) == len(spec.voices), "every voice sounds the cadence"
    assert all(n.pitch % 12 == target for n in final)
    start = (bar - 1) * _bar_quarters(spec.meter)
    q_per_pos = meter_quarters(spec.meter) / meter_bar_positions(spec.meter)
    pos = round((last_onset - start) / q_per_pos)
    assert pos in strong_positions(spec.meter)
    assert all(n.duration >= min_final_length(spec.meter) * q_per_pos - 1e-9 for n in final)
    assert all(n.onset + n.duration <= last_onset + 1e-9 for n in in_bar if n.onset < last_onset)


METERS = ["4/4", "3/4", "6/8", "2/4", "2/2", "9/8", "12/8", "5/4"]


@pytest.mark.parametrize("meter", METERS)
@pytest.mark.parametrize("texture", ["melody", "melody+bass"])
def test_voices_and_cadence_hold_for_random_weights(random_model, meter, texture) -> None:
    spec, seeds = _decode(random_model, meter, texture)
    for ids in seeds:
        check_seed(ids, make_grammar(random_model[0], random_model[1], spec))
        _check_voices(ids, spec)
        _check_phrase_end(ids, spec, spec.plan.bars, TONIC)
        notes, _ = parse_notes(ids)
        assert min(n.onset for n in notes) == 0, "no leading silence"


@pytest.mark.parametrize("meter", METERS)
@pytest.mark.parametrize("form", ["phrase", "AABB"])
def test_a_melody_seed_ends_on_a_note_held_to_the_bar_line(random_model, meter, form) -> None:
    spec, seeds = _decode(random_model, meter, "melody", form=form, bars=8 if form == "AABB" else 4)
    bar_end = spec.plan.bars * _bar_quarters(meter)
    for ids in seeds:
        notes, _ = parse_notes(ids)
        last = max(notes, key=lambda n: n.onset)
        assert last.onset + last.duration == pytest.approx(bar_end), "no short note and rests"


def test_chorale_voices_avoid_the_melodic_tritone_and_sevenths(random_model) -> None:
    """Soft limits: at random weights a voice may still need one (to reach a cadence), but
    rarely (1-4 in ~120 moves over seeds 0-2, before and after the voice-leading preference)."""
    spec, seeds = _decode(random_model, "4/4", "melody+bass", n=8)
    moves = []
    for ids in seeds:
        for voice in split_by_voice(parse_notes(ids)[0], spec.voices):
            moves += [abs(b.pitch - a.pitch) for a, b in itertools.pairwise(voice)]
    avoided = sum(m in VOICE_LEADING_AVOIDS for m in moves)
    assert moves and avoided <= 0.05 * len(moves), (avoided, len(moves))


def test_open_ending_lands_on_the_dominant(random_model) -> None:
    spec, seeds = _decode(random_model, "3/4", "melody", ending="open")
    for ids in seeds:
        _check_phrase_end(ids, spec, spec.plan.bars, DOMINANT)


def test_ab_form_has_an_open_antecedent_and_a_closed_consequent(random_model) -> None:
    spec, seeds = _decode(random_model, "4/4", "melody+bass", form="AB", bars=4)
    for ids in seeds:
        _check_phrase_end(ids, spec, 2, DOMINANT)
        _check_phrase_end(ids, spec, 4, TONIC)


def test_aabb_repeats_each_section_note_for_note(random_model) -> None:
    spec, seeds = _decode(random_model, "6/8", "melody", form="AABB", bars=8)
    for ids in seeds:
        notes, _ = parse_notes(ids)
        bar_q = _bar_quarters("6/8")

        def section(first: int, last: int, notes=notes, bar_q=bar_q) -> list[tuple]:
            return [
                (round(n.onset - (first - 1) * bar_q, 4), n.pitch, n.duration)
                for n in notes
                if first - 1 <= n.bar <= last - 1
            ]

        assert section(1, 2) == section(3, 4) and section(1, 2)
        assert section(5, 6) == section(7, 8) and section(5, 6)
        _check_phrase_end(ids, spec, 8, TONIC)


def test_the_budget_still_reaches_the_cadence(random_model) -> None:
    model, controls = random_model
    spec = DecodeSpec("4/4", "major", check_form("phrase", None, 16), canonical_voices("melody", 0))
    grammar = make_grammar(model, controls, spec)
    grammar.max_len = grammar.reserve(grammar.new_state(), 0) + 6
    state = grammar.new_state()
    steps = 0
    while state.phase != "done":  # uniformly random legal tokens until the seed closes
        allowed = grammar.allowed(state).nonzero()[0]
        grammar.advance(state, int(allowed[steps * 7919 % len(allowed)]))
        steps += 1
        assert steps < 400
    assert state.bars == 16 and state.final_ok


def test_a_motif_that_fills_the_context_is_the_users_error(random_model) -> None:
    model, controls = random_model
    plan, voices = check_form("phrase", None, 16), canonical_voices("melody", 0)
    spec = DecodeSpec("4/4", "major", plan, voices, prompt=[1] * (model.cfg.ctx - 20))
    with pytest.raises(GrammarError, match="ask for fewer bars or give a shorter motif"):
        make_grammar(model, controls, spec)


def _walk(grammar, rng):
    """The final state of one walk through ``grammar``, each legal token chosen uniformly."""
    state = grammar.new_state()
    while state.phase != "done":
        allowed = np.flatnonzero(grammar.allowed(state))
        assert allowed.size, f"dead end at bar {state.bars}, pos {state.pos}"
        grammar.advance(state, int(rng.choice(allowed)))
    return state


@pytest.mark.parametrize("meter", METERS)
@pytest.mark.parametrize("form", ["phrase", "AB", "AABB"])
def test_uniform_random_walks_never_reach_a_dead_end(random_model, meter, form) -> None:
    """Any legal token, chosen uniformly, leads to a closed seed: no mask is ever empty."""
    model, controls = random_model
    rng = np.random.default_rng(0)
    for texture, inner, ending in (
        ("melody", False, "closed"),
        ("melody+bass", False, "open"),
        ("melody+bass", True, "closed"),  # the outer voices over hidden inner notes
        ("melody+bass", True, "open"),
    ):
        voices = canonical_voices(texture, 0)
        spec = DecodeSpec(meter, "major", form_plan(form, ending, 8), voices, inner=inner)
        grammar = make_grammar(model, controls, spec)
        for _ in range(15):
            state = _walk(grammar, rng)
            assert state.bars == 8 and state.final_ok


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8"])
@pytest.mark.parametrize("inner", [False, True])
def test_a_tight_token_budget_is_never_overrun(random_model, meter, inner) -> None:
    """Closing moves finish within ``max_len`` (the model context): an overrun was an internal
    error of chorale seeds that filled the budget with hidden inner notes."""
    model, controls = random_model
    rng = np.random.default_rng(1)
    spec = DecodeSpec(
        meter, "major", check_form("phrase", None, 8), canonical_voices("melody+bass", 0),
        inner=inner,
    )  # fmt: skip
    loose = make_grammar(model, controls, spec)
    for slack in (0, 20, 60):
        grammar = replace(loose, max_len=loose.reserve(loose.new_state(), 0) + slack)
        for _ in range(10):
            state = _walk(grammar, rng)
            assert state.length <= grammar.max_len


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "2/2", "12/8"])
@pytest.mark.parametrize("form", ["phrase", "AB", "AABB"])
def test_hidden_inner_voices_leave_a_clean_melody_and_bass(random_model, meter, form) -> None:
    """The model may write up to four notes an onset; the seed keeps bass + legato melody."""
    spec, seeds = _decode(random_model, meter, "melody+bass", form, None, 8, 3, 7, inner=True)
    for ids in seeds:
        _check_voices(ids, spec)
        for bar, target in spec.plan.ends.items():
            _check_phrase_end(ids, spec, bar, target)
        melody = split_by_voice(parse_notes(ids)[0], spec.voices)[1]
        for a, b in itertools.pairwise(melody):  # legato inside a bar: no rest between notes
            if a.bar == b.bar:
                assert b.onset == pytest.approx(a.onset + a.duration)


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "2/2"])
@pytest.mark.parametrize(("form", "ending"), [("phrase", "closed"), ("AB", "open"), ("AABB", None)])
def test_every_voice_of_melody_and_bass_holds_its_last_note_to_the_bar_line(
    random_model, meter, form, ending
) -> None:
    """No quarter note and rests at the end: melody and bass both sound the final chord to the
    bar line (AABB: the repeated B's cadence too, which is a copy of the first B's)."""
    spec, seeds = _decode(random_model, meter, "melody+bass", form, ending, 8, 4, 3, inner=True)
    plan = spec.plan
    bar_end = plan.bars * meter_quarters(meter)
    target = plan.ends[plan.bars]
    for ids in seeds:
        for voice in split_by_voice(parse_notes(ids)[0], spec.voices):
            last = voice[-1]
            assert last.onset + last.duration == pytest.approx(bar_end), (meter, form, last)
            assert last.pitch % 12 == target


def _melody_and_bass(random_model, leading: float, seed: int = 5) -> tuple[list, list]:
    model, controls = random_model
    voices = canonical_voices("melody+bass", 0, VoiceTuning(leading=leading))
    spec = DecodeSpec("4/4", "major", check_form("phrase", None, 8), voices, inner=True)
    spec.n, spec.temperature, spec.top_p, spec.seed = 6, 1.0, 1.0, seed
    tops, basses = [], []
    for ids in decode(model, controls, spec, None):
        bass, top = split_by_voice(parse_notes(ids)[0], spec.voices)
        tops.append(top)
        basses.append(bass)
    return tops, basses


def _stepwise(lines: list) -> float:
    moves = [abs(b.pitch - a.pitch) for line in lines for a, b in itertools.pairwise(line)]
    moves = [m for m in moves if m]
    return sum(m <= 2 for m in moves) / len(moves)


def test_voice_leading_makes_random_weights_move_by_step(random_model) -> None:
    """The preference is soft but real: a random model's melody and bass move by step far more
    often with it than without, and the voices stay voices (one note at a time, cadence)."""
    free_top, free_bass = _melody_and_bass(random_model, 0.0)
    led_top, led_bass = _melody_and_bass(random_model, 2.0)
    assert _stepwise(led_top) > _stepwise(free_top) + 0.2
    assert _stepwise(led_bass) > _stepwise(free_bass) + 0.1
    for line in led_top + led_bass:
        for a, b in itertools.pairwise(line):
            assert b.onset >= a.onset + a.duration - 1e-9
        assert line[-1].pitch % 12 == TONIC


def test_voice_leading_bias_prefers_steps_recovers_leaps_and_avoids_long_repeats(
    random_model,
) -> None:
    model, controls = random_model
    plan = check_form("phrase", None, 4)
    voices = canonical_voices("melody+bass", 0, VoiceTuning(tonal=0.0, centre=0.0))  # intervals
    grammar = make_grammar(model, controls, DecodeSpec("4/4", "major", plan, voices))

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(grammar.is_pitch & (grammar.value == pitch))[0])

    state = grammar.new_state()
    state.phase, state.last, state.moves, state.runs = "pos", [48, 72], [0, 0], [12, 12]
    bias = grammar.bias(state)
    assert bias[pid(74)] == 0, "a whole step is the chorale soprano's commonest move"
    assert bias[pid(74)] > bias[pid(76)] > bias[pid(78)]  # a step, a third, a tritone
    assert bias[pid(47)] > bias[pid(45)]  # the bass too
    state.moves = [0, 7]  # the melody just leapt up a fifth
    after_leap = grammar.bias(state)
    assert after_leap[pid(71)] > after_leap[pid(74)], "the step back down is preferred"
    state.runs = [12, 2 * POSITIONS_PER_BEAT]  # the melody has sat on its pitch for two beats
    assert grammar.bias(state)[pid(72)] < after_leap[pid(72)]
    state.runs, state.moves = [12, 12], [0, 2]  # a step up: going on beats turning back
    assert grammar.bias(state)[pid(70)] < grammar.bias(state)[pid(74)]
    # a one-line melody leans only away from slips, leaps into a final (generator.spelling),
    # flat closes and reciting (generator.roughness)
    off = VoiceTuning(slip=0.0, final_leap=0.0, flat_close=0.0, recite=0.0)
    no_slips = canonical_voices("melody", 0, off)
    assert (
        make_grammar(model, controls, DecodeSpec("4/4", "major", plan, no_slips)).bias(state)
        is None
    )
    melody = make_grammar(
        model, controls, DecodeSpec("4/4", "major", plan, canonical_voices("melody", 0))
    )
    state.last = [72]
    costly = melody.value[np.flatnonzero(melody.bias(state))]
    assert costly.tolist() == [73], "from C5 in C major only C#5 slips (bar 1 ends no phrase)"


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8"])
def test_the_bass_of_melody_and_bass_never_rests_inside_a_bar(random_model, meter) -> None:
    """From its first note of a bar to the bar line the bass sounds without a gap (but where
    no length on the metre's grid fits: random weights mix triplet and sixteenth onsets)."""
    spec, seeds = _decode(random_model, meter, "melody+bass", "AB", None, 8, 4, 11, inner=True)
    bar_q = meter_quarters(meter)
    for ids in seeds:
        bass = split_by_voice(parse_notes(ids)[0], spec.voices)[0]
        for bar in range(8):
            notes = [n for n in bass if n.bar == bar]
            ends = [n.onset + n.duration for n in notes]
            starts = [n.onset for n in notes[1:]] + [(bar + 1) * bar_q]
            gaps = [b - a for a, b in zip(ends, starts, strict=True)]
            assert all(-1e-9 < g < 0.25 - 1e-9 for g in gaps), f"a bass rest in bar {bar + 1}"


@pytest.mark.parametrize("meter", ["4/4", "3/4"])
def test_melody_and_bass_open_on_the_tonic_chord(random_model, meter) -> None:
    """No opening on the leading tone over the tonic, or on a non-tonic bass."""
    spec, seeds = _decode(random_model, meter, "melody+bass", "phrase", None, 4, 6, 2, inner=True)
    for ids in seeds:
        bass, melody = split_by_voice(parse_notes(ids)[0], spec.voices)
        assert bass[0].onset == melody[0].onset == 0
        assert bass[0].pitch % 12 == TONIC and melody[0].pitch % 12 in (0, 3, 4, 7)


@pytest.mark.parametrize("meter", ["4/4", "3/4"])
def test_melody_and_bass_hold_every_phrase_end_like_a_fermata(random_model, meter) -> None:
    spec, seeds = _decode(random_model, meter, "melody+bass", "AB", None, 8, 4, 5, inner=True)
    bar_q = meter_quarters(meter)
    for ids in seeds:
        for voice in split_by_voice(parse_notes(ids)[0], spec.voices):
            last = [n for n in voice if n.bar == 3][-1]  # the antecedent's half cadence
            assert last.onset + last.duration == pytest.approx(4 * bar_q)
            assert last.pitch % 12 == DOMINANT


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8"])
@pytest.mark.parametrize("form", ["AB", "AABB"])
def test_a_melody_holds_every_phrase_end_to_the_bar_line(random_model, meter, form) -> None:
    spec, seeds = _decode(random_model, meter, "melody", form=form, bars=8, n=4, seed=3)
    bar_q = meter_quarters(meter)
    for ids in seeds:
        notes, _ = parse_notes(ids)
        for bar, target in spec.plan.ends.items():
            last = max((n for n in notes if n.bar == bar - 1), key=lambda n: n.onset)
            assert last.pitch % 12 == target
            assert last.onset + last.duration == pytest.approx(bar * bar_q), "no short note + rest"


def test_both_chorale_voices_turn_back_reluctantly_after_their_allowed_turns(random_model) -> None:
    """The zigzag rule (``Voice.zigzag``): after a step, turning back costs once the voice has
    turned ``zigzag_after`` times in a row; going on, or turning after a leap, does not."""
    model, controls = random_model
    plan = check_form("phrase", None, 4)

    def bias(zigzag: tuple[int, float], moves: list[int], turns: list[int]) -> np.ndarray:
        tuning = VoiceTuning(tonal=0.0, zigzag=zigzag, centre=0.0)
        voices = tuple(
            replace(v, cadence=False) for v in canonical_voices("melody+bass", 0, tuning)
        )
        grammar = make_grammar(model, controls, DecodeSpec("4/4", "major", plan, voices))
        state = grammar.new_state()
        state.phase, state.last, state.runs = "pos", [48, 72], [4, 4]
        state.moves, state.turns = list(moves), list(turns)
        return grammar.bias(state)

    model_pid = make_grammar(
        model, controls, DecodeSpec("4/4", "major", plan, canonical_voices("melody+bass", 0))
    )

    def pid(pitch: int) -> int:
        return int(np.flatnonzero(model_pid.is_pitch & (model_pid.value == pitch))[0])

    def turn_cost(zigzag, moves, turns, voice):  # turning back minus going on, same interval
        b = bias(zigzag, moves, turns)
        last = (48, 72)[voice]
        way = 1 if moves[voice] > 0 else -1
        return b[pid(last + 2 * way)] - b[pid(last - 2 * way)]

    for voice, moves in ((0, [2, 0]), (1, [0, -2])):  # bass stepped up, soprano stepped down
        assert turn_cost((0, 2.0), moves, [0, 0], voice) > 0, "any turn after a step costs"
        assert turn_cost((1, 2.0), moves, [0, 0], voice) == 0, "a first turn is free at 1"
        assert turn_cost((1, 2.0), moves, [1, 1], voice) > 0, "... a second is not"
        assert turn_cost((0, 3.0), moves, [0, 0], voice) > turn_cost((0, 2.0), moves, [0, 0], voice)
    leapt = [7, 7]
    assert turn_cost((0, 2.0), leapt, [0, 0], 0) == 0, "after a leap the bass may turn freely"
