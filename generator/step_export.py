"""Export the seed Transformer's decoding step to ONNX (torch; run once per set of weights).

The graph (see ``generator.onnx_step``) takes one new position per row, already embedded,
``x`` (R, C), and the earlier positions' keys and values ``past`` (P, L, 2, R, H, hd); it
returns the logits (R, V) and the new position's keys and values (L, 2, R, H, hd). It is built
from the model's own modules (layer norms, linears, exact GELU), with attention written out,
and kept only if a whole decode through it matches the torch model within ``MAX_ABS_DIFF``.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from cantus.errors import MissingArtifact
from generator.model import SeedTransformer
from generator.model_config import GeneratorConfig
from generator.onnx_step import ONNX_OPSET, OnnxDecoder, step_session

MAX_ABS_DIFF = 1e-4  # logits of the export vs the torch model (float32 rounding is ~1e-6)
CHECK_STEPS = 24  # tokens decoded through both in the check


class _Step(nn.Module):
    def __init__(self, model: SeedTransformer) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, past: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m, (r, c) = self.model, x.shape  # x: (R, C); past: (P, L, 2, R, H, hd)
        heads = m.cfg.n_heads
        hd = c // heads
        new = []
        for i, block in enumerate(m.blocks):
            q, k, v = block.attn.qkv(block.ln1(x)).view(r, 3, heads, 1, hd).unbind(1)
            keys = torch.cat([past[:, i, 0].permute(1, 2, 0, 3), k], 2)  # (R, H, P + 1, hd)
            values = torch.cat([past[:, i, 1].permute(1, 2, 0, 3), v], 2)
            att = torch.softmax((q @ keys.transpose(2, 3)) * (1.0 / math.sqrt(hd)), -1)
            x = x + block.attn.proj((att @ values).reshape(r, c))
            x = x + block.mlp(block.ln2(x))
            new.append(torch.stack([k[:, :, 0], v[:, :, 0]]))  # (2, R, H, hd)
        return m.head(m.ln_f(x)), torch.stack(new)  # (R, V), (L, 2, R, H, hd)


def torch_model(cfg: GeneratorConfig, state: dict[str, np.ndarray]) -> SeedTransformer:
    """The eval-mode torch model of ``state`` (float32 arrays, no head: it is tied)."""
    model = SeedTransformer(cfg)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    model.head.weight = model.tok_emb.weight
    return model.eval()


def export_step(cfg: GeneratorConfig, state: dict[str, np.ndarray], path: Path) -> float:
    """Write the step graph of these weights to ``path`` (atomically), once it has matched
    the torch model; returns the largest logit difference seen."""
    model = torch_model(cfg, state)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _export_to(model, tmp)
        worst = check_step_export(model, OnnxDecoder(cfg, state, step_session(tmp)))
        tmp.replace(path)  # a concurrent reader sees no half-written file
    except OSError as exc:
        msg = f"cannot write the generator's decoding step to {path.parent} ({exc})"
        raise MissingArtifact(msg) from exc
    finally:
        if tmp.exists():  # False, not an error, when the folder could not be made
            tmp.unlink()
    return worst


def _export_to(model: SeedTransformer, path: Path) -> None:
    cfg = model.cfg
    hd = cfg.d_model // cfg.n_heads
    x = torch.zeros(2, cfg.d_model)
    past = torch.zeros(3, cfg.n_layers, 2, 2, cfg.n_heads, hd)
    axes = {
        "x": {0: "rows"},
        "past": {0: "positions", 3: "rows"},
        "logits": {0: "rows"},
        "kv": {2: "rows"},
    }
    with torch.inference_mode(), warnings.catch_warnings():
        # check_step_export, not the tracer's heuristics, decides whether the export is kept
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Step(model).eval(),  # export restores the wrapper's mode on the model: eval
            (x, past),
            str(path),
            input_names=["x", "past"],
            output_names=["logits", "kv"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def check_step_export(model: SeedTransformer, decoder: OnnxDecoder) -> float:
    """Largest |logit| difference between ``decoder`` and one full torch forward pass over a
    random sequence (4 rows, two of them with the null condition, as guidance runs them);
    MissingArtifact above ``MAX_ABS_DIFF``."""
    cfg = model.cfg
    rng = np.random.default_rng(0)
    steps = min(CHECK_STEPS, cfg.ctx - cfg.n_prefix - cfg.n_ctrl - 1)
    head = rng.integers(cfg.n_music, cfg.vocab_size, size=(4, cfg.n_ctrl))
    follow = rng.integers(0, cfg.n_music, size=(4, steps))
    cond = rng.standard_normal((4, cfg.cond_dim)).astype(np.float32)
    drop = np.array([False, False, True, True])
    with torch.inference_mode():
        want = model(
            torch.from_numpy(np.concatenate([head, follow], 1)),
            torch.from_numpy(cond),
            cond_drop=torch.from_numpy(drop),
        ).numpy()  # (4, T, V)
    logits, cache = decoder.start(head, cond, drop)
    worst = float(np.abs(logits - want[:, cfg.n_ctrl - 1]).max())
    for i in range(steps - 1):
        logits = decoder.step(follow[:, i], cache)
        worst = max(worst, float(np.abs(logits - want[:, cfg.n_ctrl + i]).max()))
    if not worst <= MAX_ABS_DIFF:
        msg = f"the ONNX decoding step differs from the torch model (max |logit diff| {worst:.2e})"
        raise MissingArtifact(msg)
    return worst
