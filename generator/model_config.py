"""The seed Transformer's configuration (no torch: serving reads it beside the ONNX decoder)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from cantus.config import config_from_dict


@dataclass
class GeneratorConfig:
    vocab_size: int = 512  # rows of the token embedding: music vocab + control tokens
    n_music: int = 400  # ids below this are music (REMI) tokens; the rest are control tokens
    cond_dim: int = 256  # size of the conditioning vector (music-embedding dimension)
    n_prefix: int = 4  # prefix vectors the condition is projected to
    d_model: int = 192  # residual width (~2M params; ~1.7x faster than 256 on 2 CPU cores)
    n_layers: int = 4  # Transformer blocks
    n_heads: int = 4  # attention heads (d_model must divide evenly)
    ctx: int = 512  # maximum positions: prefix + control tokens + music tokens
    dropout: float = 0.1  # residual/attention dropout during training
    cond_dropout: float = 0.15  # probability a training example gets the null condition
    n_ctrl: int = 3  # leading control tokens (metre, mode, bars) of every sequence
    global_cond: bool = True  # also add condition + control embeddings to every position

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            msg = f"`d_model` must divide by `n_heads` (received {self.d_model}, {self.n_heads})"
            raise ValueError(msg)
        if not 0 < self.n_music < self.vocab_size:
            msg = f"`n_music` must lie in 1..vocab_size-1 (received {self.n_music})"
            raise ValueError(msg)
        for name in ("cond_dim", "n_prefix", "n_layers", "ctx", "n_ctrl"):
            if getattr(self, name) < 1:
                msg = f"`{name}` must be positive (received {getattr(self, name)})"
                raise ValueError(msg)
        if self.ctx <= self.n_prefix:
            msg = (
                f"`ctx` must exceed `n_prefix` (received ctx={self.ctx}, n_prefix={self.n_prefix})"
            )
            raise ValueError(msg)
        for name in ("dropout", "cond_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                msg = f"`{name}` must lie in [0, 1) (received {getattr(self, name)})"
                raise ValueError(msg)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GeneratorConfig:
        return config_from_dict(cls, json.loads(text), "generator config")
