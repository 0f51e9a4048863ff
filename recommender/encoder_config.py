"""Shapes of the contrastive encoder's two towers, without torch.

Apart from ``recommender.model`` so that serving code that only projects text (the numpy
``recommender.text_head``) reads the config without importing torch (~1 s on 2 cores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cantus.config import config_from_dict


@dataclass
class EncoderConfig:
    """Shapes of both towers; saved as ``config.json`` next to the weights and checked on load."""

    vocab_size: int = 335  # music token ids (cantus.tokens.vocab_size())
    pad_id: int = 0  # id of the padding token (cantus.tokens.PAD_ID), masked out of attention
    max_len: int = 384  # longest token window the music tower reads (crop size in training)
    max_events: int = 128  # most events (onsets + bar lines) per window: positions table size
    d_model: int = 192  # width of the music Transformer
    n_layers: int = 3  # Transformer encoder layers
    n_heads: int = 4  # attention heads (d_model must divide evenly)
    ff_mult: int = 3  # feed-forward width = ff_mult * d_model
    dropout: float = 0.0  # dropout inside the towers (training only; costly on CPU, crops augment)
    use_intervals: bool = True  # add a melodic-interval embedding to each Pitch token
    relative_pitch: bool = True  # pitches as degrees from the window's tonic: transposition-proof
    text_dim: int = 384  # size of the frozen sentence vectors (all-MiniLM-L6-v2)
    text_hidden: int = 512  # hidden width of the text projection MLP
    embed_dim: int = 256  # size of the shared, L2-normalised embedding space

    def __post_init__(self) -> None:
        for name in (
            "vocab_size",
            "max_len",
            "max_events",
            "d_model",
            "n_layers",
            "n_heads",
            "ff_mult",
            "text_dim",
            "text_hidden",
            "embed_dim",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                msg = f"`{name}` must be a positive int (received {value!r})"
                raise ValueError(msg)
        if self.d_model % self.n_heads:
            msg = (
                "`d_model` must be divisible by `n_heads` "
                f"(received {self.d_model} and {self.n_heads})"
            )
            raise ValueError(msg)
        if not 0 <= self.pad_id < self.vocab_size:
            msg = f"`pad_id` must lie in 0..vocab_size-1 (received {self.pad_id})"
            raise ValueError(msg)
        if not 0.0 <= self.dropout < 1.0:
            msg = f"`dropout` must lie in [0, 1) (received {self.dropout})"
            raise ValueError(msg)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EncoderConfig:
        return config_from_dict(cls, data, "encoder config")
