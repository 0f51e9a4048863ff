"""The music tower (``recommender.model.MusicTower``) at inference in numpy: an encoder
loaded from its files embeds music without importing torch (~3 s of a cold ``cantus inspire``,
which embeds its seeds for their fidelity). A forward pass is one batch of at most
``max_events`` positions through a few small layers: numpy's per-call cost is a few ms.

Same math as the torch tower in eval mode (tokens + interval + degree embeddings summed per
event, learned positions, pre-norm encoder layers with key padding, final norm, masked mean,
projection, L2 norm); ``tests/test_music_numpy.py`` compares the two within 1e-5.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cantus.errors import MissingArtifact
from cantus.numpy_nn import gelu, layer_norm, softmax
from recommender.encoder_config import EncoderConfig

PREFIX = "music."  # the tower's weights inside the encoder's safetensors file


class NumpyMusicTower:
    """Event-pooled token windows (four (B, T) arrays, ``window_arrays``) → (B, D) unit vectors."""

    def __init__(self, cfg: EncoderConfig, state: dict[str, np.ndarray]) -> None:
        self.cfg = cfg
        w = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}
        self.tok, self.degree, self.pos = w["tok.weight"], w["degree.weight"], w["pos.weight"]
        self.interval = w.get("interval.weight") if cfg.use_intervals else None
        self.norm = (w["norm.weight"], w["norm.bias"])
        self.proj = (np.ascontiguousarray(w["proj.weight"].T), w["proj.bias"])
        self.layers = [_layer(w, f"blocks.layers.{i}.") for i in range(cfg.n_layers)]

    @classmethod
    def from_file(cls, weights: Path, cfg: EncoderConfig) -> NumpyMusicTower:
        from safetensors.numpy import load_file

        state = {
            k[len(PREFIX) :]: v for k, v in load_file(str(weights)).items() if k.startswith(PREFIX)
        }
        try:
            return cls(cfg, state)
        except KeyError as exc:
            msg = f"encoder weights in {weights.parent} lack {exc}; run `cantus build`"
            raise MissingArtifact(msg) from exc

    def __call__(
        self, ids: np.ndarray, groups: np.ndarray, intervals: np.ndarray, degrees: np.ndarray
    ) -> np.ndarray:
        x = self.tok[ids] + self.degree[degrees]  # (B, T, C)
        if self.interval is not None:
            x = x + self.interval[intervals]
        events, filled = _pool_events(x, groups)  # (B, G, C), (B, G)
        g = events.shape[1]
        if self.cfg.max_events < g:
            msg = f"{g} events exceed max_events {self.cfg.max_events}"
            raise ValueError(msg)
        h = events + self.pos[:g]
        bias = np.where(filled, np.float32(0.0), np.float32(-np.inf))[:, None, None, :]
        for layer in self.layers:
            h = _encoder_layer(h, layer, bias, self.cfg.n_heads)
        h = layer_norm(h, *self.norm)
        keep = filled[..., None].astype(np.float32)  # (B, G, 1)
        pooled = (h * keep).sum(1) / np.maximum(keep.sum(1), 1.0)  # (B, C)
        out = pooled @ self.proj[0] + self.proj[1]  # (B, D)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _layer(w: dict[str, np.ndarray], p: str) -> tuple[np.ndarray, ...]:
    def t(name: str) -> np.ndarray:  # (out, in) -> (in, out) for x @ W
        return np.ascontiguousarray(w[p + name].T)

    return (
        *(w[p + "norm1.weight"], w[p + "norm1.bias"], t("self_attn.in_proj_weight")),
        *(w[p + "self_attn.in_proj_bias"], t("self_attn.out_proj.weight")),
        *(w[p + "self_attn.out_proj.bias"], w[p + "norm2.weight"], w[p + "norm2.bias"]),
        *(t("linear1.weight"), w[p + "linear1.bias"], t("linear2.weight"), w[p + "linear2.bias"]),
    )


def _encoder_layer(
    x: np.ndarray, w: tuple[np.ndarray, ...], bias: np.ndarray, heads: int
) -> np.ndarray:
    """``nn.TransformerEncoderLayer(norm_first=True, activation="gelu")`` in eval mode."""
    b, g, c = x.shape
    hd = c // heads
    qkv = (layer_norm(x, w[0], w[1]) @ w[2] + w[3]).reshape(b, g, 3, heads, hd)
    q, k, v = qkv.transpose(2, 0, 3, 1, 4)  # each (B, H, G, hd)
    att = softmax((q @ k.transpose(0, 1, 3, 2)) * np.float32(1.0 / math.sqrt(hd)) + bias)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(b, g, c)
    x = x + (y @ w[4] + w[5])
    return x + (gelu(layer_norm(x, w[6], w[7]) @ w[8] + w[9]) @ w[10] + w[11])


def _pool_events(x: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token vectors (B, T, C) summed per event → (B, G, C) and which events exist (B, G)."""
    b, t, c = x.shape
    g = max(int(groups.max()) + 1 if groups.size else 1, 1)
    slot = np.where(groups < 0, g, groups)  # padding goes to a dummy slot g
    out = np.zeros((b, g + 1, c), np.float32)
    rows = np.repeat(np.arange(b), t)
    np.add.at(out, (rows, slot.ravel()), x.reshape(b * t, c))
    count = np.zeros((b, g + 1), np.float32)
    np.add.at(count, (rows, slot.ravel()), 1.0)
    filled = count[:, :g] > 0
    filled[:, 0] = True  # an empty window attends to its (zero) first slot, as the tower does
    return out[:, :g], filled
