"""The music tower in onnxruntime (what a loaded encoder embeds seeds with, no torch) equals the
torch tower: tiny random weights, windows with padding and several tokens per event; its graph
is found by the weights' id, exported once with a log line, and a corrupt one is one clear
error."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from cantus.errors import MissingArtifact
from recommender.encoder_config import EncoderConfig
from recommender.model import MusicTower
from recommender.music_export import MAX_ABS_DIFF, check_tower_export
from recommender.music_onnx import load_music_tower


@pytest.fixture(scope="module")
def tower_file(tmp_path_factory) -> tuple[MusicTower, EncoderConfig, object]:
    torch.manual_seed(1)
    cfg = EncoderConfig(vocab_size=40, d_model=32, n_layers=2, n_heads=4, max_len=24, max_events=16)
    tower = MusicTower(cfg).eval()
    with torch.no_grad():  # non-zero biases and norms, so every weight matters
        for p in tower.parameters():
            p.add_(0.1 * torch.randn_like(p))
    weights = tmp_path_factory.mktemp("enc") / "model.safetensors"
    save_file({f"music.{k}": v.contiguous() for k, v in tower.state_dict().items()}, str(weights))
    return tower, cfg, weights


def test_onnx_tower_equals_torch_and_is_reused(tower_file, tmp_path, caplog) -> None:
    tower, cfg, weights = tower_file
    with caplog.at_level(logging.INFO, logger="cantus.onnx_graphs"):
        onnx = load_music_tower(cfg, weights, "a" * 16, (tmp_path,), tmp_path)
    assert "exporting the encoder's music tower" in caplog.text
    rng = np.random.default_rng(0)
    b, t = 3, 24
    ids = rng.integers(1, 40, size=(b, t))
    groups = np.repeat(np.arange(t // 2), 2)[None].repeat(b, 0)  # two tokens per event
    ids[1, 14:], groups[1, 14:] = 0, -1  # a padded window
    intervals = rng.integers(0, 52, size=(b, t))
    degrees = rng.integers(0, 62, size=(b, t))
    with torch.no_grad():
        want = tower(*(torch.from_numpy(a) for a in (ids, groups, intervals, degrees))).numpy()
    got = onnx(ids, groups, intervals, degrees)
    assert got.shape == want.shape
    assert np.abs(got - want).max() < 1e-5
    assert check_tower_export(tower, onnx) <= MAX_ABS_DIFF
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cantus.onnx_graphs"):
        again = load_music_tower(cfg, weights, "a" * 16, (tmp_path,), tmp_path)
    assert "exporting" not in caplog.text, "a cached export is read, not rebuilt"
    assert np.array_equal(again(ids, groups, intervals, degrees), got)
    with pytest.raises(ValueError, match="exceed max_events"):
        onnx(ids, np.full_like(groups, 16), intervals, degrees)


def test_a_corrupt_tower_graph_is_one_clear_error(tower_file, tmp_path) -> None:
    _tower, cfg, weights = tower_file
    load_music_tower(cfg, weights, "b" * 16, (tmp_path,), tmp_path)
    (path,) = tmp_path.glob("music-tower-*.onnx")
    path.write_bytes(b"not onnx")
    with pytest.raises(MissingArtifact, match="delete it and rerun"):
        load_music_tower(cfg, weights, "b" * 16, (tmp_path,), tmp_path)
