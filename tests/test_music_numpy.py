"""The numpy music tower (what a loaded encoder embeds seeds with, no torch) equals the torch
tower: tiny random weights, windows with padding and several events per token group."""

from __future__ import annotations

import numpy as np
import torch

from recommender.encoder_config import EncoderConfig
from recommender.model import MusicTower
from recommender.music_numpy import NumpyMusicTower


def test_numpy_tower_equals_torch() -> None:
    torch.manual_seed(1)
    cfg = EncoderConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, max_len=24, max_events=16)
    tower = MusicTower(cfg).eval()
    with torch.no_grad():  # non-zero biases and norms, so every weight matters
        for p in tower.parameters():
            p.add_(0.1 * torch.randn_like(p))
    rng = np.random.default_rng(0)
    b, t = 3, 24
    ids = rng.integers(1, 40, size=(b, t))
    groups = np.repeat(np.arange(t // 2), 2)[None].repeat(b, 0)  # two tokens per event
    ids[1, 14:], groups[1, 14:] = 0, -1  # a padded window
    intervals = rng.integers(0, 52, size=(b, t))
    degrees = rng.integers(0, 62, size=(b, t))
    with torch.no_grad():
        want = tower(*(torch.from_numpy(a) for a in (ids, groups, intervals, degrees))).numpy()
    state = {k: v.numpy() for k, v in tower.state_dict().items()}
    got = NumpyMusicTower(cfg, state)(ids, groups, intervals, degrees)
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
