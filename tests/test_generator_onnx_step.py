"""Serving's decoding step in onnxruntime: the export equals the torch model, is found by the
weights' sha256 (a retrained generator never meets a stale file), is built on first use with a
log line, and an unreadable or unwritable cache is one clear error, never a traceback."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from cantus.errors import MissingArtifact
from generator import onnx_step
from generator.model import GeneratorConfig, SeedTransformer
from generator.onnx_step import load_onnx_decoder, step_file_name
from generator.step_export import MAX_ABS_DIFF, check_step_export, export_step


@pytest.fixture(scope="module")
def tiny() -> tuple[SeedTransformer, dict[str, np.ndarray]]:
    torch.manual_seed(5)
    cfg = GeneratorConfig(vocab_size=60, n_music=50, cond_dim=8, d_model=32, n_heads=4, ctx=48)
    model = SeedTransformer(cfg).eval()
    with torch.no_grad():  # non-zero biases and norms, so every weight matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    state = {k: v.numpy().copy() for k, v in model.state_dict().items() if k != "head.weight"}
    return model, state


def test_export_equals_torch_and_is_reused(tiny, tmp_path, caplog) -> None:
    model, state = tiny
    with caplog.at_level(logging.INFO, logger="generator.onnx_step"):
        dec = load_onnx_decoder(model.cfg, state, "a" * 64, (tmp_path,), tmp_path)
    assert "exporting the generator's decoding step" in caplog.text
    assert (tmp_path / step_file_name("a" * 64)).is_file()
    assert check_step_export(model, dec) <= MAX_ABS_DIFF
    assert step_file_name("b" * 64) != step_file_name("a" * 64), "other weights, other file"
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="generator.onnx_step"):
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
    wrong = {k: v.copy() for k, v in state.items()}
    noise = np.random.default_rng(0).standard_normal(wrong["pos_emb.weight"].shape)
    wrong["pos_emb.weight"] += 0.5 * noise.astype(np.float32)  # the numpy side embeds these
    # the graph and the reference come from the right weights, the decoder embeds with wrong ones
    monkeypatch.setattr("generator.step_export.torch_model", lambda cfg, s: model)
    with pytest.raises(MissingArtifact, match="differs from the torch model"):
        export_step(model.cfg, wrong, tmp_path / "x.onnx")
    assert not list(tmp_path.iterdir()), "nothing half-written is left"


def test_a_corrupt_or_unwritable_cache_is_one_clear_error(tiny, tmp_path) -> None:
    model, state = tiny
    (tmp_path / step_file_name("c" * 64)).write_bytes(b"not onnx")
    with pytest.raises(MissingArtifact, match="delete it and rerun"):
        load_onnx_decoder(model.cfg, state, "c" * 64, (tmp_path,), tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MissingArtifact, match="cannot write the generator's decoding step"):
        load_onnx_decoder(model.cfg, state, "d" * 64, (), blocker / "sub")


def test_the_format_names_the_file() -> None:
    assert onnx_step.STEP_FORMAT in {f"seed-step-onnx-opset{onnx_step.ONNX_OPSET}-v1"}
