"""Fidelity beside a fair reference: seeds and real pieces reduced to the seed's texture."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from generator.eval_fidelity import real_fidelity, unit_embeddings
from generator.mgeval import bottom_line, reduce_to_texture, top_line
from generator.vocab import parse_notes
from tests.generator_helpers import HistogramEncoder, duration_id, melody_ids, token_id


def _chorale(chords: list[tuple[int, ...]], meter: str = "4/4") -> list[int]:
    """Four-voice ids: one chord a beat, four beats a bar."""
    out: list[int] = []
    for i, chord in enumerate(chords):
        if i % 4 == 0:
            out += [token_id("Bar_None"), token_id(f"TimeSig_{meter}")]
        out.append(token_id(f"Position_{12 * (i % 4)}"))
        for pitch in sorted(chord):
            out += [token_id(f"Pitch_{pitch}"), duration_id(12)]
    return out


CHORDS = [(48, 55, 64, 72), (43, 55, 62, 71), (45, 57, 64, 72), (41, 57, 65, 69)] * 3


def test_melody_and_bass_keep_the_outer_voices_of_each_chord() -> None:
    ids = _chorale(CHORDS)
    notes = parse_notes(ids)[0]
    reduced = reduce_to_texture(ids, "melody+bass", bars=2)
    got, got_bars = parse_notes(reduced)
    assert got_bars == 2
    want = {(n.onset, n.pitch) for n in top_line(notes) + bottom_line(notes) if n.bar < 2}
    assert {(n.onset, n.pitch) for n in got} == want
    assert len(got) == 2 * 8  # two voices, eight beats
    top = parse_notes(reduce_to_texture(ids, "melody", bars=3))[0]
    assert [n.pitch for n in top] == [max(c) for c in CHORDS[:12]]


def test_bars_before_the_first_note_reduce_to_no_notes() -> None:
    rest_bar = [token_id("Bar_None"), token_id("TimeSig_4/4")]
    ids = rest_bar + _chorale(CHORDS[:4])  # the music starts in the second bar
    assert top_line([]) == [] and bottom_line([]) == []
    got, got_bars = parse_notes(reduce_to_texture(ids, "melody+bass", bars=1))
    assert got == [] and got_bars == 1


def test_a_melody_reduces_to_itself() -> None:
    ids = melody_ids([60, 62, 64, 65, 67, 65, 64, 62], [12] * 8)
    assert reduce_to_texture(ids, "melody", bars=2) == ids
    assert reduce_to_texture(ids, "melody+bass", bars=2) == ids  # one note an onset: no bass


def test_unknown_texture_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown texture"):
        reduce_to_texture(_chorale(CHORDS), "quartet", bars=2)


def test_real_reference_scores_a_request_s_own_pieces_and_the_other_requests_pieces() -> None:
    engine = SimpleNamespace(encoder=HistogramEncoder())
    x = melody_ids([60, 62, 64, 65, 67, 65, 64, 62], [12] * 8)
    y = melody_ids([72, 71, 69, 67, 72, 76, 79, 84], [6, 6, 12, 24, 12, 12, 6, 18])
    tokens = [x, x, y, y]
    pairs = [[0, 1], [2, 3]]
    reqs = [
        SimpleNamespace(cond=unit_embeddings(engine, [ids])[0], texture="melody") for ids in (x, y)
    ]
    got = real_fidelity(engine, tokens, pairs, reqs, bars=8)
    across = float(unit_embeddings(engine, [x])[0] @ unit_embeddings(engine, [y])[0])
    assert got["fidelity_members"] == pytest.approx(1.0, abs=1e-4)
    assert got["fidelity_members_reduced"] == pytest.approx(1.0, abs=1e-4)
    assert got["fidelity_others"] == pytest.approx(across, abs=1e-4)
    assert across < 0.99 and np.isfinite(got["fidelity_others_reduced"])
