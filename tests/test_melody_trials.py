"""The melody-channel variants tried on the tune half (``recommender.melody_trials``)."""

from __future__ import annotations

import numpy as np

from cantus.melody_line import Line
from recommender.melody_trials import deletion_grams, segments, skeleton, trials


def _line(pitch: list[int], lengths: list[float]) -> Line:
    onset = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    return Line(onset, np.array(pitch, dtype=np.int64), np.array(lengths, dtype=float))


def test_skeleton_drops_a_turn_and_keeps_the_tune() -> None:
    plain = _line([67, 69, 71, 72, 74], [1, 1, 1, 1, 2])
    turned = _line([67, 69, 71, 72, 71, 72, 74], [1, 1, 1, 0.5, 0.25, 0.25, 2])  # C B C on a beat
    assert skeleton(plain).pitch.tolist() == [67, 69, 71, 72, 74]
    assert skeleton(turned).pitch.tolist() == [67, 69, 71, 72, 74]
    assert skeleton(_line([60, 62], [0.1, 1])).pitch.tolist() == [60, 62]  # too short to judge


def test_deletion_grams_share_a_term_across_a_passing_note_and_a_key() -> None:
    plain = np.array([60, 64, 67, 65, 64, 62, 60])
    passing = np.array([60, 62, 64, 67, 65, 64, 62, 60]) + 5  # D inserted, a fourth up
    other = np.array([60, 61, 60, 61, 60, 61, 60])
    shared = set(deletion_grams(plain)) & set(deletion_grams(passing))
    assert shared  # the window with the D deleted is the plain window
    assert not set(deletion_grams(plain)) & set(deletion_grams(other))
    assert len(deletion_grams(np.array([60, 62, 64]))) == 0  # shorter than a window


def test_segments_cover_every_symbol_with_full_windows() -> None:
    codes = np.arange(70)
    parts = segments(codes, 32, 16)
    assert all(len(p) == 32 for p in parts)
    assert parts[0][0] == 0 and parts[-1][-1] == 69
    assert len(segments(codes[:10], 32, 16)) == 1


def test_trials_score_every_variant_and_find_an_exact_copy_first() -> None:
    rng = np.random.default_rng(0)
    tunes = [rng.integers(55, 80, 40) for _ in range(6)]
    lines = [_line(t.tolist(), [0.5] * 40) for t in tunes]
    lines += [_line((t + 2).tolist(), [1.0] * 40) for t in tunes[:3]]  # up a tone, slower
    rows = [0, 1, 2]
    pairs = (rows, [{6}, {7}, {8}])
    out = trials(lines, np.zeros((3, len(lines)), np.float32), pairs, lambda _: None)
    assert out["in use (music + melody)"]["MRR@100"] == 1.0
    assert out["melodic 4-gram baseline alone"]["MRR@100"] == 1.0
    assert {"window max at weight 0.5", "deletion alone", "length exponent 0.1"} <= out.keys()
    assert out["music embedding alone"]["MRR@100"] < 1.0  # zeros: ties broken by a jitter
