"""Export the seed Transformer's decoder to ONNX (torch; once per set of weights).

The two graphs (see ``generator.onnx_decoder``) are built from the model's own modules
(embeddings, condition prefix, layer norms, linears, exact GELU, tied head), with attention
written out so the keys and values come out, and kept only if a whole decode through them
matches the torch model within ``MAX_ABS_DIFF``. Training code and tests hand the decoders an
in-memory ``SeedTransformer``: :func:`module_decoder` exports it to memory (once per weights).
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from torch import nn

from cantus.errors import MissingArtifact
from cantus.onnx_graphs import ONNX_OPSET, onnx_session
from generator.model import SeedTransformer
from generator.model_config import GeneratorConfig
from generator.onnx_decoder import WHAT, OnnxDecoder

MAX_ABS_DIFF = 1e-4  # logits of the export vs the torch model (float32 rounding is ~1e-6)
CHECK_STEPS = 24  # tokens decoded through both in the check
MODULE_CACHE = 4  # in-memory exports kept (tests hold a few small models at a time)
_module_decoders: dict[str, OnnxDecoder] = {}


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None):
    """Softmax attention (R, H, T, hd) over keys (R, H, L, hd); ``mask`` (T, L) True: may see."""
    att = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(q.shape[-1]))  # (R, H, T, L)
    if mask is not None:
        att = att.masked_fill(~mask, float("-inf"))
    return torch.softmax(att, -1) @ v  # (R, H, T, hd)


class _Start(nn.Module):
    """idx (R, T), cond (R, D), drop (R,) -> logits (R, V), kv (P + T, L, 2, R, H, hd),
    glob (R, C)."""

    def __init__(self, model: SeedTransformer) -> None:
        super().__init__()
        self.model = model

    def forward(self, idx: torch.Tensor, cond: torch.Tensor, drop: torch.Tensor):
        m = self.model
        r, c, heads = idx.shape[0], m.cfg.d_model, m.cfg.n_heads
        pre, glob = m.prefix(cond, r, drop)  # (R, P, C), (R, C)
        g = m.global_vector(idx, glob)[:, 0] if m.cfg.global_cond else torch.zeros_like(glob)
        x = torch.cat([pre, m.tok_emb(idx) + g[:, None]], 1)  # (R, P + T, C)
        pos = torch.arange(x.shape[1])
        x = x + m.pos_emb(pos)
        causal = pos[None, :] <= pos[:, None]  # (T', T')
        kv = []
        for block in m.blocks:
            qkv = block.attn.qkv(block.ln1(x)).view(r, -1, 3, heads, c // heads)
            q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (R, H, T', hd)
            y = _attend(q, k, v, causal).transpose(1, 2).reshape(r, -1, c)  # (R, T', C)
            x = x + block.attn.proj(y)
            x = x + block.mlp(block.ln2(x))
            kv.append(torch.stack([k, v]))  # (2, R, H, T', hd)
        kv = torch.stack(kv).permute(4, 0, 1, 2, 3, 5)  # (T', L, 2, R, H, hd)
        return m.head(m.ln_f(x[:, -1])), kv, g


class _Step(nn.Module):
    """token (R,), pos (1,), glob (R, C), past (P, L, 2, R, H, hd) -> logits (R, V),
    kv (L, 2, R, H, hd)."""

    def __init__(self, model: SeedTransformer) -> None:
        super().__init__()
        self.model = model

    def forward(self, token, pos, glob, past):
        m = self.model
        x = m.tok_emb(token) + m.pos_emb(pos) + glob  # (R, C)
        r, c, heads = x.shape[0], m.cfg.d_model, m.cfg.n_heads
        new = []
        for i, block in enumerate(m.blocks):
            q, k, v = block.attn.qkv(block.ln1(x)).view(r, 3, heads, 1, c // heads).unbind(1)
            keys = torch.cat([past[:, i, 0].permute(1, 2, 0, 3), k], 2)  # (R, H, P + 1, hd)
            values = torch.cat([past[:, i, 1].permute(1, 2, 0, 3), v], 2)
            x = x + block.attn.proj(_attend(q, keys, values, None).reshape(r, c))
            x = x + block.mlp(block.ln2(x))
            new.append(torch.stack([k[:, :, 0], v[:, :, 0]]))  # (2, R, H, hd)
        return m.head(m.ln_f(x)), torch.stack(new)  # (R, V), (L, 2, R, H, hd)


def torch_model(cfg: GeneratorConfig, state: dict[str, np.ndarray]) -> SeedTransformer:
    """The eval-mode torch model of ``state`` (float32 arrays, no head: it is tied)."""
    model = SeedTransformer(cfg)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=False)
    model.head.weight = model.tok_emb.weight
    return model.eval()


def export_decoder(
    cfg: GeneratorConfig, state: dict[str, np.ndarray], start: Path, step: Path
) -> float:
    """Write the start and step graphs of these weights, once they have matched the torch
    model; returns the largest logit difference seen."""
    model = torch_model(cfg, state)
    _export_to(model, start, step)
    return check_decoder_export(
        model, OnnxDecoder(cfg, *(onnx_session(p, WHAT) for p in (start, step)))
    )


def module_decoder(model: SeedTransformer) -> OnnxDecoder:
    """An in-memory model's decoder (exported to memory and checked once per weights)."""
    state = {k: v.detach().float().cpu() for k, v in model.state_dict().items()}
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(name.encode() + state[name].numpy().tobytes())
    key = f"{digest.hexdigest()}:{model.cfg.to_json()}"
    if key not in _module_decoders:
        frozen = torch_model(
            model.cfg, {k: v.numpy() for k, v in state.items() if k != "head.weight"}
        )
        graphs = [io.BytesIO(), io.BytesIO()]
        _export_to(frozen, *graphs)
        sessions = (onnx_session(g.getvalue(), WHAT) for g in graphs)
        decoder = OnnxDecoder(model.cfg, *sessions)
        check_decoder_export(frozen, decoder)
        while len(_module_decoders) >= MODULE_CACHE:
            _module_decoders.pop(next(iter(_module_decoders)))
        _module_decoders[key] = decoder
    return _module_decoders[key]


def _export_to(model: SeedTransformer, start: Path | BinaryIO, step: Path | BinaryIO) -> None:
    cfg = model.cfg
    hd = cfg.d_model // cfg.n_heads
    idx = torch.full((2, cfg.n_ctrl + 1), cfg.n_music, dtype=torch.long)
    cond, drop = torch.zeros(2, cfg.cond_dim), torch.tensor([False, True])
    step_in = (
        torch.zeros(2, dtype=torch.long),
        torch.tensor([3]),
        torch.zeros(2, cfg.d_model),
        torch.zeros(3, cfg.n_layers, 2, 2, cfg.n_heads, hd),
    )
    rows = {"idx": {0: "rows", 1: "tokens"}, "cond": {0: "rows"}, "drop": {0: "rows"}}
    out = {"logits": {0: "rows"}, "kv": {0: "positions", 3: "rows"}, "glob": {0: "rows"}}
    names = (["idx", "cond", "drop"], ["logits", "kv", "glob"])
    _export(_Start(model), (idx, cond, drop), start, names, {**rows, **out})
    axes = {"token": {0: "rows"}, "glob": {0: "rows"}, "past": {0: "positions", 3: "rows"}}
    axes |= {"logits": {0: "rows"}, "kv": {2: "rows"}}
    _export(_Step(model), step_in, step, (["token", "pos", "glob", "past"], ["logits", "kv"]), axes)


def _export(
    module: nn.Module, args: tuple, dest: Path | BinaryIO, names: tuple[list, list], axes: dict
) -> None:
    inputs, outputs = names
    with torch.inference_mode(), warnings.catch_warnings():
        # check_decoder_export, not the tracer's heuristics, decides whether the export is kept
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            args,
            dest if not isinstance(dest, Path) else str(dest),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def check_decoder_export(model: SeedTransformer, decoder: OnnxDecoder) -> float:
    """Largest |logit| difference between ``decoder`` and full torch forward passes over a
    random sequence (4 rows, two with the null condition, as guidance runs them; and all four
    without a condition); MissingArtifact above ``MAX_ABS_DIFF``."""
    cfg = model.cfg
    rng = np.random.default_rng(0)
    steps = min(CHECK_STEPS, cfg.ctx - cfg.n_prefix - cfg.n_ctrl - 1)
    head = rng.integers(cfg.n_music, cfg.vocab_size, size=(4, cfg.n_ctrl))
    follow = rng.integers(0, cfg.n_music, size=(4, steps))
    cond = rng.standard_normal((4, cfg.cond_dim)).astype(np.float32)
    drop = np.array([False, False, True, True])
    worst = 0.0
    for c, d in ((cond, drop), (None, None)):
        with torch.inference_mode():
            tc, td = (None if a is None else torch.from_numpy(a) for a in (c, d))
            full = torch.from_numpy(np.concatenate([head, follow], 1))
            want = model(full, tc, cond_drop=td).numpy()  # (4, T, V)
        logits, cache = decoder.start(head, c, d)
        worst = max(worst, float(np.abs(logits - want[:, cfg.n_ctrl - 1]).max()))
        for i in range(steps - 1):
            logits = decoder.step(follow[:, i], cache)
            worst = max(worst, float(np.abs(logits - want[:, cfg.n_ctrl + i]).max()))
    if not worst <= MAX_ABS_DIFF:
        msg = f"the ONNX decoder differs from the torch model (max |logit diff| {worst:.2e})"
        raise MissingArtifact(msg)
    return worst
