"""Generator training data: canonical-key pieces, bar-aligned controlled windows."""

from __future__ import annotations

import numpy as np

from generator.train_config import TrainConfig
from generator.vocab import default_controls, parse_notes
from generator.windows import WindowSampler, nearest_neighbours, prepare_pieces


def test_pieces_are_moved_to_the_canonical_tonic(corpus_frame) -> None:
    controls = default_controls()
    pieces, skipped = prepare_pieces(corpus_frame, controls)
    assert len(pieces) == len(corpus_frame) and not any(skipped.values())
    for p in pieces:
        original = parse_notes(corpus_frame["tokens"][p.row])[0]
        moved = parse_notes(p.ids)[0]
        shift = {m.pitch - o.pitch for o, m in zip(original, moved, strict=True)}
        tonic = corpus_frame["tonic"][p.row]
        expected = {"C": 0, "D": -2, "G": 5, "B-": 2}[tonic]
        assert shift == {expected}


def test_windows_are_bar_aligned_and_controlled(corpus_frame) -> None:
    controls = default_controls()
    pieces, _ = prepare_pieces(corpus_frame, controls)
    emb = np.random.default_rng(0).normal(size=(len(corpus_frame), 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    sampler = WindowSampler(pieces, controls, TrainConfig(), 120, emb, nearest_neighbours(emb))
    rng = np.random.default_rng(0)
    bar = int(np.asarray(pieces[0].ids)[0])
    for p in pieces:
        seq, cond = sampler.example(p, rng)
        meter_id, mode_id, bars_id = seq[:3]
        music = seq[3:]
        assert music[0] == bar
        assert len(music) <= 120
        n_bars = bars_id - (controls.n_music + len(controls.meters) + len(controls.modes)) + 1
        if music[-1] == 2:  # EOS: the window is complete and has exactly the announced bars
            assert sum(1 for t in music if t == bar) == n_bars
        assert controls.meters[meter_id - controls.n_music] == corpus_frame["meter"][p.row]
        assert mode_id == controls.mode_id(corpus_frame["mode"][p.row])
        assert cond is not None and np.isclose(np.linalg.norm(cond), 1.0, atol=1e-5)
