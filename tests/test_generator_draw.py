"""The numpy sampler: the draw is seeded, never picks a masked or zero-probability token and
follows the probabilities; the nucleus keeps the smallest set reaching top_p."""

from __future__ import annotations

import numpy as np
import pytest

from generator.sample import draw, filter_logits


def test_draw_is_seeded_and_never_picks_a_masked_token() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((3, 40)).astype(np.float32)
    mask = rng.random((3, 40)) < 0.3
    mask[:, 0] = True
    probs = filter_logits(logits, mask, temperature=1.3, top_p=0.9)
    a = [draw(probs, np.random.default_rng(7)) for _ in range(3)]
    assert a[0] == a[1] == a[2], "one seed, one draw"
    picks = np.array([draw(probs, np.random.default_rng(s)) for s in range(300)])  # (300, 3)
    for row in range(3):
        assert mask[row, picks[:, row]].all()
        assert (probs[row, picks[:, row]] > 0).all()


def test_draw_follows_the_probabilities() -> None:
    probs = np.array([[0.0, 0.2, 0.0, 0.5, 0.3]], dtype=np.float32)
    rng = np.random.default_rng(1)
    counts = np.bincount([draw(probs, rng)[0] for _ in range(4000)], minlength=5) / 4000
    assert counts[0] == counts[2] == 0
    assert np.abs(counts - probs[0]).max() < 0.03


def test_nucleus_keeps_the_smallest_set_reaching_top_p() -> None:
    logits = np.array([[4.0, 3.0, 2.0, 1.0, 9.0]], dtype=np.float32)
    mask = np.array([[True, True, True, True, False]])
    probs = filter_logits(logits, mask, temperature=1.0, top_p=0.7)
    assert probs[0, 4] == 0, "masked token never sampled"
    assert probs[0, 0] > 0 and probs[0, 1] > 0 and probs[0, 3] == 0
    assert abs(probs.sum() - 1.0) < 1e-6
    greedy = filter_logits(logits, mask, temperature=1.0, top_p=1e-6)
    assert greedy[0].argmax() == 0 and greedy[0, 0] == 1


def test_a_row_with_every_token_masked_is_an_error_not_a_draw() -> None:
    logits = np.zeros((2, 5), np.float32)
    mask = np.ones((2, 5), bool)
    mask[1] = False  # row 1: nothing may follow
    probs = filter_logits(logits, mask, temperature=1.0, top_p=0.95)
    with pytest.raises(RuntimeError, match=r"no token may follow in decoding rows \[1\]"):
        draw(probs, np.random.default_rng(0))
