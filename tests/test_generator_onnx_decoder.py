"""Serving's decoder in onnxruntime is the torch model: logits within 1e-4 on a tiny random model
at the start (prefix, control tokens, prompt; guidance's null rows; no condition; no global
conditioning) and at every cached step. Its graphs are found by the weights' sha256 (a retrained
generator never meets a stale file), exported on first use with a log line, never kept when they
differ from torch; a corrupt or unwritable cache is one clear error."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest
import torch

from cantus.errors import MissingArtifact
from generator.decoder_export import (
    MAX_ABS_DIFF,
    check_decoder_export,
    export_decoder,
    module_decoder,
)
from generator.model import GeneratorConfig, KVCache, SeedTransformer
from generator.onnx_decoder import decoder_file_names, load_onnx_decoder

TOL = 1e-4


def _random_model(seed: int, **extra) -> SeedTransformer:
    torch.manual_seed(seed)
    cfg = GeneratorConfig(
        vocab_size=60, n_music=50, cond_dim=8, d_model=32, n_heads=4, ctx=48, **extra
    )
    model = SeedTransformer(cfg).eval()
    with torch.no_grad():  # non-zero biases and norms, so every weight matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


@pytest.fixture(scope="module")
def tiny() -> tuple[SeedTransformer, dict[str, np.ndarray]]:
    model = _random_model(5)
    state = {k: v.numpy().copy() for k, v in model.state_dict().items() if k != "head.weight"}
    return model, state


@pytest.mark.parametrize("global_cond", [True, False])
def test_start_and_steps_equal_torch(global_cond) -> None:
    model = _random_model(3, global_cond=global_cond)
    dec = module_decoder(model)
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
    assert worst < TOL, f"onnxruntime logits differ from torch by {worst}"


def test_unconditioned_start_equals_torch_cache(tiny) -> None:
    model, _ = tiny
    head = np.array([[51, 52, 53, 1, 2]])
    with torch.no_grad():
        want = model(torch.from_numpy(head), None, cache=KVCache(model.cfg.n_layers)).numpy()
    got, _ = module_decoder(model).start(head, None)
    assert np.abs(got - want[:, -1]).max() < TOL


def test_context_and_shapes_fail_clearly(tiny) -> None:
    dec = module_decoder(tiny[0])
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


def test_export_equals_torch_and_is_reused(tiny, tmp_path, caplog) -> None:
    model, state = tiny
    with caplog.at_level(logging.INFO, logger="cantus.onnx_graphs"):
        dec = load_onnx_decoder(model.cfg, state, "a" * 64, (tmp_path,), tmp_path)
    assert "exporting the generator's decoder" in caplog.text
    assert all((tmp_path / n).is_file() for n in decoder_file_names("a" * 64, model.cfg))
    assert check_decoder_export(model, dec) <= MAX_ABS_DIFF
    names = set(decoder_file_names("a" * 64, model.cfg))
    assert names.isdisjoint(decoder_file_names("b" * 64, model.cfg)), "other weights"
    edited = dataclasses.replace(model.cfg, dropout=model.cfg.dropout / 2 + 0.01)
    assert names.isdisjoint(decoder_file_names("a" * 64, edited)), "an edited config"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cantus.onnx_graphs"):
        again = load_onnx_decoder(model.cfg, state, "a" * 64, (tmp_path,), tmp_path)
    assert "exporting" not in caplog.text, "a cached export is read, not rebuilt"
    head = np.array([[51, 52, 53], [51, 52, 53]])
    a, cache_a = dec.start(head, None)
    b, cache_b = again.start(head, None)
    assert np.array_equal(a, b)
    assert np.array_equal(
        dec.step(np.array([3, 4]), cache_a), again.step(np.array([3, 4]), cache_b)
    )


def test_an_export_that_differs_from_torch_is_not_kept(tiny, tmp_path, monkeypatch) -> None:
    model, state = tiny
    other = _random_model(9)  # the graphs come from other weights than the reference's
    real = check_decoder_export
    monkeypatch.setattr(
        "generator.decoder_export.check_decoder_export", lambda m, dec: real(other, dec)
    )
    with pytest.raises(MissingArtifact, match="differs from the torch model"):
        load_onnx_decoder(model.cfg, state, "e" * 64, (tmp_path,), tmp_path)
    assert not list(tmp_path.iterdir()), "nothing half-written is left"


def test_a_corrupt_or_unwritable_cache_is_one_clear_error(tiny, tmp_path) -> None:
    model, state = tiny
    for name in decoder_file_names("c" * 64, model.cfg):
        (tmp_path / name).write_bytes(b"not onnx")
    with pytest.raises(MissingArtifact, match="delete it and rerun"):
        load_onnx_decoder(model.cfg, state, "c" * 64, (tmp_path,), tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MissingArtifact, match="cannot write the generator's decoder"):
        load_onnx_decoder(model.cfg, state, "d" * 64, (), blocker / "sub")


def test_export_decoder_writes_both_graphs(tiny, tmp_path) -> None:
    model, state = tiny
    worst = export_decoder(model.cfg, state, tmp_path / "s.onnx", tmp_path / "t.onnx")
    assert worst <= MAX_ABS_DIFF
    assert (tmp_path / "s.onnx").stat().st_size > 0 and (tmp_path / "t.onnx").stat().st_size > 0
