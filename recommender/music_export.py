"""Export the encoder's music tower to ONNX (torch; once per set of weights).

The graph is the tower's own modules with two changes the tracer needs: tokens are pooled into
events by a one-hot product (the event count, ``groups.max() + 1``, stays a graph value instead
of a traced constant), and the encoder layers are written out (the fused fast path of
``nn.TransformerEncoderLayer`` has no ONNX form). It is kept only if it matches the torch tower
within ``MAX_ABS_DIFF`` on random windows with padding.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cantus.errors import MissingArtifact
from cantus.onnx_graphs import ONNX_OPSET, onnx_session
from recommender.encoder_config import EncoderConfig
from recommender.model import N_DEGREE_IDS, N_INTERVAL_IDS, MusicTower
from recommender.music_onnx import WHAT, OnnxMusicTower

MAX_ABS_DIFF = 1e-5  # of the unit vectors (float32 rounding is ~1e-7)
PREFIX = "music."  # the tower's weights inside the encoder's safetensors file
INPUTS = ("ids", "groups", "intervals", "degrees")


class _Tower(nn.Module):
    def __init__(self, tower: MusicTower) -> None:
        super().__init__()
        self.tower = tower

    def forward(self, ids, groups, intervals, degrees) -> torch.Tensor:
        t = self.tower
        x = t.tok(ids) + t.degree(degrees)  # (B, T, C)
        if t.interval is not None:
            x = x + t.interval(intervals)
        slots = torch.arange(groups.max().clamp_min(0) + 1)  # (G,)
        onehot = (groups[..., None] == slots).to(x.dtype)  # (B, T, G); padding (-1) in none
        events = onehot.transpose(1, 2) @ x  # (B, G, C)
        filled = (onehot.sum(1) > 0) | (slots == 0)  # an empty window keeps its first slot
        h = events + t.pos(slots)
        for layer in t.blocks.layers:
            h = _encoder_layer(layer, h, filled)
        h = t.norm(h)
        keep = filled.unsqueeze(-1).to(h.dtype)  # (B, G, 1)
        pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)  # (B, C)
        return F.normalize(t.proj(pooled), dim=-1)  # (B, D)


def _encoder_layer(layer: nn.TransformerEncoderLayer, x: torch.Tensor, filled: torch.Tensor):
    """``layer`` (norm_first, gelu) in eval mode on (B, G, C), keys where ``filled``."""
    b, g, c = x.shape
    attn = layer.self_attn
    heads = attn.num_heads
    qkv = F.linear(layer.norm1(x), attn.in_proj_weight, attn.in_proj_bias)
    q, k, v = qkv.view(b, g, 3, heads, c // heads).permute(2, 0, 3, 1, 4).unbind(0)
    att = (q @ k.transpose(2, 3)) * (1.0 / math.sqrt(c // heads))  # (B, H, G, G)
    att = torch.softmax(att.masked_fill(~filled[:, None, None, :], float("-inf")), -1)
    x = x + attn.out_proj((att @ v).transpose(1, 2).reshape(b, g, c))
    return x + layer.linear2(F.gelu(layer.linear1(layer.norm2(x))))


def tower_of(cfg: EncoderConfig, weights: Path) -> MusicTower:
    """The eval-mode torch tower of an encoder's weights file."""
    from safetensors.torch import load_file

    found = load_file(str(weights)).items()
    state = {k[len(PREFIX) :]: v.float() for k, v in found if k.startswith(PREFIX)}
    tower = MusicTower(cfg)
    try:
        tower.load_state_dict(state)
    except (RuntimeError, ValueError) as exc:
        msg = f"encoder weights in {weights.parent} do not fit this version's model; "
        raise MissingArtifact(msg + "run `cantus build`") from exc
    return tower.eval()


def export_music_tower(cfg: EncoderConfig, weights: Path, path: Path) -> float:
    """Write the tower of ``weights`` to ``path`` once it has matched the torch tower;
    returns the largest difference seen."""
    tower = tower_of(cfg, weights)
    export_tower(tower, path)
    return check_tower_export(tower, OnnxMusicTower(cfg, onnx_session(path, WHAT)))


def export_tower(tower: MusicTower, path: Path) -> None:
    example = tuple(torch.from_numpy(a) for a in _windows(tower.cfg, np.random.default_rng(0)))
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS} | {"music": {0: "batch"}}
    with torch.inference_mode(), warnings.catch_warnings():
        # check_tower_export, not the tracer's heuristics, decides whether the export is kept
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Tower(tower).eval(),
            example,
            str(path),
            input_names=list(INPUTS),
            output_names=["music"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def _windows(cfg: EncoderConfig, rng: np.random.Generator, b: int = 3, t: int = 24) -> tuple:
    """Random windows (four (B, T) int64 arrays): two tokens per event, one row padded."""
    t = min(t, 2 * cfg.max_events)
    ids = rng.integers(1, cfg.vocab_size, size=(b, t))
    groups = np.repeat(np.arange(t // 2 + 1), 2)[None, :t].repeat(b, 0)
    ids[-1, t // 2 :], groups[-1, t // 2 :] = cfg.pad_id, -1  # a padded window
    intervals = rng.integers(0, N_INTERVAL_IDS, size=(b, t))
    degrees = rng.integers(0, N_DEGREE_IDS, size=(b, t))
    return ids, groups, intervals, degrees


def check_tower_export(tower: MusicTower, onnx: OnnxMusicTower) -> float:
    """Largest |difference| between ``onnx`` and the torch tower on windows of two lengths
    (the event count is a graph value); MissingArtifact above ``MAX_ABS_DIFF``."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for b, t in ((3, 24), (2, 9)):
        arrays = _windows(tower.cfg, rng, b, t)
        with torch.inference_mode():
            want = tower(*(torch.from_numpy(a) for a in arrays)).numpy()
        worst = max(worst, float(np.abs(onnx(*arrays) - want).max()))
    if not worst <= MAX_ABS_DIFF:
        msg = f"the ONNX music tower differs from the torch tower (max |diff| {worst:.2e})"
        raise MissingArtifact(msg)
    return worst
