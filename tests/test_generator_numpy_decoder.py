"""The numpy decoder serving uses is the torch model's math: logits within 1e-4 on a tiny
random model, at the start (prefix, control tokens, prompt; guidance's null rows) and at every
cached step; and the numpy sampler is seeded, respects masks and keeps the nucleus."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cantus.numpy_nn import erf as _erf
from generator.model import GeneratorConfig, KVCache, SeedTransformer
from generator.numpy_decoder import NumpyDecoder
from generator.sample import draw, filter_logits

TOL = 1e-4


@pytest.fixture(scope="module")
def pair() -> tuple[SeedTransformer, NumpyDecoder]:
    torch.manual_seed(3)
    cfg = GeneratorConfig(vocab_size=60, n_music=50, cond_dim=8, d_model=32, n_heads=4, ctx=48)
    model = SeedTransformer(cfg).eval()
    with torch.no_grad():  # non-zero biases and norms, so every weight matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model, NumpyDecoder.from_module(model)


def test_start_and_steps_equal_torch(pair) -> None:
    model, dec = pair
    rng = np.random.default_rng(0)
    head = rng.integers(0, 60, size=(4, 6))  # control tokens + a prompt, 4 rows
    cond = rng.standard_normal((4, 8)).astype(np.float32)
    drop = np.array([False, False, True, True])  # guidance: the second half gets null vectors
    follow = rng.integers(0, 50, size=(4, 20))
    with torch.no_grad():
        full = model(
            torch.from_numpy(np.concatenate([head, follow], 1)),
            torch.from_numpy(cond),
            cond_drop=torch.from_numpy(drop),
        ).numpy()  # (4, 26, V): one full forward pass, no cache
    logits, cache = dec.start(head, cond, drop)
    worst = np.abs(logits - full[:, head.shape[1] - 1]).max()
    for i in range(follow.shape[1] - 1):
        logits = dec.step(follow[:, i], cache)
        worst = max(worst, np.abs(logits - full[:, head.shape[1] + i]).max())
    assert worst < TOL, f"numpy logits differ from torch by {worst}"


def test_unconditioned_start_equals_torch_cache(pair) -> None:
    model, dec = pair
    head = np.array([[51, 52, 53, 1, 2]])
    with torch.no_grad():
        want = model(torch.from_numpy(head), None, cache=KVCache(model.cfg.n_layers)).numpy()
    got, _ = dec.start(head, None)
    assert np.abs(got - want[:, -1]).max() < TOL


def test_context_and_shapes_fail_clearly(pair) -> None:
    _, dec = pair
    with pytest.raises(ValueError, match="control tokens"):
        dec.start(np.array([[1]]), None)
    with pytest.raises(ValueError, match="exceeds the model context"):
        dec.start(np.zeros((1, 60), dtype=np.int64), None)
    with pytest.raises(ValueError, match="`cond` must have shape"):
        dec.start(np.array([[51, 52, 53]]), np.zeros((1, 5), np.float32))
    _, cache = dec.start(np.array([[51, 52, 53]]), None)
    for _ in range(48 - 4 - 3):
        dec.step(np.array([1]), cache)
    with pytest.raises(ValueError, match="within the model context"):
        dec.step(np.array([1]), cache)


def test_erf_is_float32_exact() -> None:
    import math

    x = np.linspace(-6, 6, 2001)
    want = np.array([math.erf(v) for v in x])
    assert np.abs(_erf(x) - want).max() < 2e-7


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
