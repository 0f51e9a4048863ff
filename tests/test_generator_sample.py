"""Constrained sampling: every seed is well-formed, exact in bars and metre, and reproducible."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from cantus import token_decode
from generator.model import GeneratorConfig, SeedTransformer
from generator.sample import (
    DEFAULT_PITCH_RANGE,
    GrammarError,
    SampleSpec,
    check_ids,
    sample,
)
from generator.vocab import (
    KIND_DUR,
    KIND_PITCH,
    KIND_POS,
    count_bars,
    meter_bar_positions,
    parse_notes,
    tables,
)
from tests.generator_helpers import melody_ids, random_seed_model, token_id


@pytest.fixture(scope="module")
def random_model() -> tuple[SeedTransformer, object]:
    return random_seed_model(ctx=320)


def _assert_well_formed(ids: list[int], meter: str, bars: int) -> None:
    check_ids(ids, meter, bars)  # raises on any grammar break
    t = tables()
    assert count_bars(ids) == bars
    assert ids[0] == t.bar and ids[1] == t.ts_ids[meter]
    assert {t.ts_of_id[i] for i in ids if i in t.ts_of_id} == {meter}
    bar_len = meter_bar_positions(meter)
    pos = -1
    for prev, tok in itertools.pairwise(ids):
        kind = t.kind[tok]
        if kind == KIND_POS:
            pos = t.value[tok]
            assert 0 <= pos < bar_len
        elif kind == KIND_PITCH:
            assert DEFAULT_PITCH_RANGE[0] <= t.value[tok] <= DEFAULT_PITCH_RANGE[1]
        elif kind == KIND_DUR:
            assert t.kind[prev] == KIND_PITCH
            assert pos + t.value[tok] <= bar_len, "a note runs past the bar line"
    notes, n_bars = parse_notes(ids)
    assert n_bars == bars and notes
    assert any(n.bar == bars - 1 for n in notes), "the last bar holds a note"


@pytest.mark.parametrize("meter", ["4/4", "3/4", "6/8", "2/2", "5/4", "9/8", "12/8", "1/4"])
def test_random_weights_always_give_well_formed_seeds(random_model, meter: str) -> None:
    model, controls = random_model
    for bars in (1, 3, 8):
        seeds = sample(
            model,
            controls,
            SampleSpec(
                meter=meter, mode="minor", bars=bars, n=6, seed=bars, temperature=1.5, top_p=1.0
            ),
            torch.randn(8),
        )
        assert len(seeds) == 6
        for ids in seeds:
            _assert_well_formed(ids, meter, bars)


def test_budget_forces_closing(random_model) -> None:
    """A context too short for free sampling still ends with exactly the requested bars."""
    model, controls = random_model
    small_ctx = GeneratorConfig(**{**model.cfg.__dict__, "ctx": 60})
    short = SeedTransformer(small_ctx).eval()
    for ids in sample(
        short, controls, SampleSpec(meter="4/4", mode="major", bars=12, n=4, seed=3), None
    ):
        _assert_well_formed(ids, "4/4", 12)
        assert len(ids) + 1 <= 60 - small_ctx.n_prefix - 3


@pytest.mark.parametrize("meter", ["3/4", "6/8"])
def test_seeds_reread_in_music21_with_their_bars_and_meter(
    random_model, meter: str, tmp_path
) -> None:
    import music21

    model, controls = random_model
    for i, ids in enumerate(
        sample(model, controls, SampleSpec(meter=meter, mode="major", bars=4, n=3, seed=11), None)
    ):
        path = token_decode.ids_to_musicxml(ids, tmp_path / f"s{i}.musicxml", key="D major")
        score = music21.converter.parse(str(path))
        assert len(score.parts[0].getElementsByClass("Measure")) == 4
        assert score.recurse().getElementsByClass("TimeSignature").first().ratioString == meter
        midi_score = token_decode.ids_to_music21(ids)
        assert len(midi_score.parts[0].getElementsByClass("Measure")) == 4


def test_seeded_sampling_is_reproducible(random_model) -> None:
    model, controls = random_model
    spec = SampleSpec(meter="4/4", mode="major", bars=4, n=3, seed=42)
    cond = torch.randn(8)
    first = sample(model, controls, spec, cond)
    assert sample(model, controls, spec, cond) == first
    other = sample(
        model, controls, SampleSpec(meter="4/4", mode="major", bars=4, n=3, seed=43), cond
    )
    assert other != first
    assert len({tuple(s) for s in first}) == 3, "rows of one batch differ"


def test_guidance_runs_and_stays_well_formed(random_model) -> None:
    model, controls = random_model
    for ids in sample(
        model,
        controls,
        SampleSpec(meter="3/4", mode="minor", bars=2, n=2, guidance=2.0),
        torch.randn(8),
    ):
        _assert_well_formed(ids, "3/4", 2)


def test_prompt_is_continued_to_the_requested_bars(random_model) -> None:
    model, controls = random_model
    motif = melody_ids([60, 62, 64, 65, 67], [12, 12, 12, 12, 48], "4/4")  # 2 bars
    assert count_bars(motif) == 2
    for ids in sample(
        model, controls, SampleSpec(meter="4/4", mode="major", bars=5, n=2, prompt=motif), None
    ):
        assert ids[: len(motif)] == motif
        check_ids(ids, "4/4", 5)
    with pytest.raises(GrammarError, match="more than"):
        sample(model, controls, SampleSpec(meter="4/4", mode="major", bars=1, prompt=motif), None)


def test_grammar_rejects_ill_formed_sequences() -> None:
    good = melody_ids([60, 64, 67], [12, 12, 24], "4/4")
    check_ids(good, "4/4", 1)
    t = tables()
    with pytest.raises(GrammarError):
        check_ids(good, "3/4", 1)  # wrong time signature
    with pytest.raises(GrammarError):
        check_ids(good, "4/4", 2)  # too few bars
    with pytest.raises(GrammarError):
        check_ids([t.bar, t.ts_ids["4/4"], token_id("Pitch_60")], "4/4", 1)  # pitch before position
    backwards = [
        t.bar,
        t.ts_ids["4/4"],
        token_id("Position_12"),
        token_id("Pitch_60"),
        int(np.flatnonzero(t.kind == KIND_DUR)[0]),
        token_id("Position_0"),
        token_id("Pitch_62"),
        int(np.flatnonzero(t.kind == KIND_DUR)[0]),
    ]
    with pytest.raises(GrammarError):
        check_ids(backwards, "4/4", 1)  # positions must rise
    with pytest.raises(GrammarError):
        check_ids(melody_ids([20 + 5, 60], [12, 12], "4/4"), "4/4", 1)  # pitch 25 below the range


def test_sample_spec_validates() -> None:
    with pytest.raises(ValueError, match="temperature"):
        SampleSpec(meter="4/4", mode="major", bars=2, temperature=0)
    with pytest.raises(ValueError, match="top_p"):
        SampleSpec(meter="4/4", mode="major", bars=2, top_p=1.5)
