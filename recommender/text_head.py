"""The trained text projection in numpy: ``recommender.model.TextHead`` without torch.

Why: a text search needs only this small MLP (MiniLM 384 → 512 → 256, plus a linear skip) on
top of the query's MiniLM vector; importing torch for it cost ~1 s of every cold
``cantus search`` on 2 cores. Same weights (read with ``safetensors.numpy``), same maths
(exact-erf GELU, as ``nn.GELU()``); tests hold it equal to the torch head.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import MissingArtifact
from recommender.encoder_config import EncoderConfig

# erf elementwise: math's own, not scipy.special, whose import is 0.1-0.2 s of a cold search
_ERF = np.frompyfunc(math.erf, 1, 1)


class TextProjection:
    """MiniLM sentence vectors (N, text_dim) → unit vectors (N, embed_dim), float32."""

    def __init__(self, weights: Mapping[str, np.ndarray], cfg: EncoderConfig) -> None:
        shapes = {
            "mlp.0.weight": (cfg.text_hidden, cfg.text_dim),
            "mlp.0.bias": (cfg.text_hidden,),
            "mlp.3.weight": (cfg.embed_dim, cfg.text_hidden),
            "mlp.3.bias": (cfg.embed_dim,),
            "skip.weight": (cfg.embed_dim, cfg.text_dim),
        }
        for name, shape in shapes.items():
            got = None if name not in weights else tuple(np.shape(weights[name]))
            if got != shape:
                msg = f"text head weight `text.{name}` has shape {got}, the config says {shape}"
                raise MissingArtifact(msg)
        # transposed once, so a batch is rows @ weight (N, in) @ (in, out)
        self._w1 = np.ascontiguousarray(np.asarray(weights["mlp.0.weight"], np.float32).T)
        self._b1 = np.asarray(weights["mlp.0.bias"], np.float32)
        self._w2 = np.ascontiguousarray(np.asarray(weights["mlp.3.weight"], np.float32).T)
        self._b2 = np.asarray(weights["mlp.3.bias"], np.float32)
        self._skip = np.ascontiguousarray(np.asarray(weights["skip.weight"], np.float32).T)
        self.dim = cfg.embed_dim

    @classmethod
    def from_file(cls, path: Path, cfg: EncoderConfig) -> TextProjection:
        """The ``text.*`` tensors of an encoder's ``model.safetensors`` (fp16 → float32)."""
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as handle:
                names = [k for k in handle.keys() if k.startswith("text.")]  # noqa: SIM118
                weights = {k.removeprefix("text."): handle.get_tensor(k) for k in names}
        except (SafetensorError, OSError) as exc:
            msg = f"cannot read the encoder weights {path} ({exc}); run `cantus build`"
            raise MissingArtifact(msg) from exc
        return cls(weights, cfg)

    @classmethod
    def from_module(cls, model: Any) -> TextProjection:
        """The text head of an in-memory ``ContrastiveEncoder``."""
        state = model.text.state_dict()
        return cls({k: v.detach().float().cpu().numpy() for k, v in state.items()}, model.cfg)

    def __call__(self, vectors: np.ndarray) -> np.ndarray:
        x = np.asarray(vectors, dtype=np.float32).reshape(-1, self._w1.shape[0])  # (N, 384)
        hidden = x @ self._w1 + self._b1  # (N, 512)
        erf = _ERF(hidden / np.float32(math.sqrt(2.0))).astype(np.float32)
        hidden = 0.5 * hidden * (1.0 + erf)  # exact GELU
        out = hidden @ self._w2 + self._b2 + x @ self._skip  # (N, D)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)  # F.normalize
