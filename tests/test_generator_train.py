"""Generator training: data windows, loss goes down, checkpoints, fallback, reproducibility."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch

from generator.checkpoint import load_generator
from generator.model import GeneratorConfig, SeedTransformer
from generator.train import (
    TrainConfig,
    WindowSampler,
    nearest_neighbours,
    prepare_pieces,
    train_loop,
)
from generator.vocab import default_controls, parse_notes
from tests.generator_helpers import catalog_rows, synthetic_corpus, write_data_dir


@pytest.fixture(scope="module")
def corpus_frame():
    token_lists, meters, keys = synthetic_corpus(n=16, seed=2)
    return catalog_rows(token_lists, meters, keys)


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


def test_tiny_training_reduces_loss(corpus_frame) -> None:
    controls = default_controls()
    pieces, _ = prepare_pieces(corpus_frame, controls)
    cfg = GeneratorConfig(
        vocab_size=controls.vocab_size,
        n_music=controls.n_music,
        cond_dim=8,
        n_prefix=2,
        d_model=32,
        n_layers=1,
        n_heads=2,
        ctx=160,
        dropout=0.0,
    )
    tcfg = TrainConfig(batch_size=8, lr=3e-3, warmup_steps=5, max_steps=30, pool_batches=2)
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


def test_time_budget_fixes_the_step_count(corpus_frame) -> None:
    controls = default_controls()
    pieces, _ = prepare_pieces(corpus_frame, controls)
    cfg = GeneratorConfig(
        vocab_size=controls.vocab_size, n_music=controls.n_music, cond_dim=1, n_prefix=1,
        d_model=16, n_layers=1, n_heads=2, ctx=160, dropout=0.0,
    )  # fmt: skip
    tcfg = TrainConfig(
        batch_size=4, warmup_steps=2, max_steps=60, calib_steps=4, time_budget_s=1.0, pool_batches=1
    )
    sampler = WindowSampler(pieces, controls, tcfg, 150, None, None)
    result = train_loop(
        SeedTransformer(cfg), sampler, tcfg, np.random.default_rng(0), torch.device("cpu")
    )
    assert tcfg.calib_steps < result.steps <= tcfg.max_steps
    assert len(result.losses) == result.steps


def test_build_writes_a_loadable_generator_and_metrics(tmp_path) -> None:
    write_data_dir(tmp_path, train_steps=3)
    meta = json.loads((tmp_path / "generator" / "config.json").read_text())
    metrics = meta["metrics"]
    assert metrics["steps"] == 3 and metrics["conditioned"] is True
    assert np.isfinite(metrics["heldout_nll"]) and metrics["heldout_nll"] > 0
    assert meta["encoder_id"] == "test-histogram"
    loaded = load_generator(tmp_path / "generator")
    assert loaded.conditioned and loaded.model.cfg.cond_dim == 16
    assert all(t.dtype == torch.float16 for t in _weights(tmp_path).values())


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "generator" / "model.safetensors"))


def test_build_without_embeddings_falls_back_to_unconditioned(tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="generator.train"):
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
