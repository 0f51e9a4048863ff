"""Generator training: loss goes down, fixed step count, checkpoints, fallback, reproducibility."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch

from generator.checkpoint import load_generator
from generator.model import SeedTransformer
from generator.train import train_loop
from generator.train_config import TrainConfig
from generator.vocab import default_controls
from generator.windows import WindowSampler, nearest_neighbours, prepare_pieces
from tests.generator_helpers import tiny_config, write_data_dir


def test_tiny_training_reduces_loss(corpus_frame) -> None:
    controls = default_controls()
    pieces, _ = prepare_pieces(corpus_frame, controls)
    cfg = tiny_config()
    tcfg = TrainConfig(batch_size=8, lr=3e-3, warmup_steps=5, steps=30, pool_batches=2)
    emb = np.random.default_rng(1).normal(size=(len(corpus_frame), 8)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    sampler = WindowSampler(pieces, controls, tcfg, 150, emb, nearest_neighbours(emb))
    torch.manual_seed(0)
    model = SeedTransformer(cfg)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: a second thread only adds contention
    try:
        result = train_loop(
            model, sampler, tcfg, np.random.default_rng(0), torch.device("cpu"), steps=30
        )
    finally:
        torch.set_num_threads(threads)
    assert result.steps == 30
    first, last = np.mean(result.losses[:5]), np.mean(result.losses[-5:])
    assert last < first - 1.0, (first, last)


def test_training_stops_at_the_step_count(corpus_frame) -> None:
    controls = default_controls()
    pieces, _ = prepare_pieces(corpus_frame, controls)
    cfg = tiny_config(cond_dim=1, n_prefix=1, d_model=16)
    tcfg = TrainConfig(batch_size=4, warmup_steps=2, steps=7, pool_batches=1)
    sampler = WindowSampler(pieces, controls, tcfg, 150, None, None)
    result = train_loop(
        SeedTransformer(cfg), sampler, tcfg, np.random.default_rng(0), torch.device("cpu")
    )
    assert result.steps == len(result.losses) == 7


def test_default_profile_runs_a_fixed_step_count_on_a_fixed_thread_count() -> None:
    from generator.train_config import PROFILES

    tcfg = TrainConfig(**PROFILES["default"][1])
    assert (tcfg.steps, tcfg.threads) == (3167, 1)  # the shipped weights' run


def test_build_writes_a_loadable_generator_and_metrics(tmp_path) -> None:
    write_data_dir(tmp_path, train_steps=3)
    meta = json.loads((tmp_path / "generator" / "config.json").read_text())
    metrics = meta["metrics"]
    assert metrics["steps"] == 3 and metrics["conditioned"] is True
    assert metrics["threads"] == 1  # the profile's fixed count, recorded
    assert np.isfinite(metrics["heldout_nll"]) and metrics["heldout_nll"] > 0
    assert meta["encoder_id"] == "test-histogram"
    loaded = load_generator(tmp_path / "generator")
    assert loaded.conditioned and loaded.model.cfg.cond_dim == 16
    assert all(t.dtype == torch.float16 for t in _weights(tmp_path).values())


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "generator" / "model.safetensors"))


def test_build_without_embeddings_falls_back_to_unconditioned(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="generator.windows"):
        write_data_dir(tmp_path, embeddings=False, train_steps=2)
    assert "UNCONDITIONED" in caplog.text
    loaded = load_generator(tmp_path / "generator")
    assert loaded.conditioned is False


def test_seeded_build_is_reproducible(tmp_path) -> None:
    write_data_dir(tmp_path / "a", train_steps=3)
    write_data_dir(tmp_path / "b", train_steps=3)
    a, b = _weights(tmp_path / "a"), _weights(tmp_path / "b")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_unknown_profile_is_refused(tmp_path) -> None:
    from generator.train import build_generator

    with pytest.raises(ValueError, match="profile"):
        build_generator(tmp_path, "huge")
