"""The contrastive text↔music model: two towers into one L2-normalised space, and the loss.

Pure torch (no files, no catalog, no tokenizer): ids and precomputed sentence vectors come in,
unit vectors and a scalar loss go out. Training lives in ``recommender.train``; loading
weights in ``recommender.encoder``.

- ``MusicTower``: token embedding (+ an optional melodic-interval embedding, which makes the
  melody line transposition invariant by construction), summed per *event* (a ``Bar`` with its
  ``TimeSig``, or one onset: ``Position`` + its ``Pitch``/``Duration`` tokens) so the
  Transformer runs over ~3x fewer positions than tokens (the CPU budget), + learned event
  positions → a few pre-norm Transformer encoder layers → masked mean pooling → linear
  projection → L2-norm. Which token opens an event is decided by the caller (``groups``).
- ``TextHead``: a small MLP from frozen MiniLM sentence vectors (384-d) to the shared space.
- ``ClipLoss``: symmetric InfoNCE with a learnable temperature clamped like CLIP; used for
  text↔music pairs and, with its own temperature, for two views of one piece (another crop
  and key), which teaches the music tower tune identity and transposition invariance.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from recommender.encoder_config import EncoderConfig

N_INTERVAL_IDS = 52  # 0 = not a pitch token, 1 = first pitch, 2..51 = interval -24..+24 (clipped)
N_DEGREE_IDS = 62  # 0 = not a pitch token, 1..61 = semitones -24..+36 from the window's tonic


class MusicTower(nn.Module):
    """Token ids (B, T) grouped into events (B, T) → unit vectors (B, embed_dim)."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=cfg.pad_id)
        self.interval = (
            nn.Embedding(N_INTERVAL_IDS, cfg.d_model, padding_idx=0) if cfg.use_intervals else None
        )
        self.degree = nn.Embedding(N_DEGREE_IDS, cfg.d_model, padding_idx=0)
        self.pos = nn.Embedding(cfg.max_events, cfg.d_model)
        layer = nn.TransformerEncoderLayer(
            cfg.d_model,
            cfg.n_heads,
            cfg.ff_mult * cfg.d_model,
            cfg.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.blocks = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.embed_dim)
        nn.init.normal_(self.pos.weight, std=0.02)
        nn.init.normal_(self.tok.weight, std=0.02)

    def forward(
        self,
        ids: torch.Tensor,
        groups: torch.Tensor | None = None,
        intervals: torch.Tensor | None = None,
        degrees: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``ids`` (B, T); ``groups`` (B, T) event index of each token, -1 for padding (None:
        one event per non-pad token); ``intervals`` (B, T) ids below ``N_INTERVAL_IDS``;
        ``degrees`` (B, T) ids below ``N_DEGREE_IDS``."""
        pad = ids == self.cfg.pad_id  # (B, T)
        if groups is None:
            groups = torch.where(
                pad, -1, torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
            )
        x = self.tok(ids)  # (B, T, C)
        if self.interval is not None and intervals is not None:
            x = x + self.interval(intervals)
        if degrees is not None:
            x = x + self.degree(degrees)
        events, filled = self._pool_events(x, groups)  # (B, G, C), (B, G)
        G = events.shape[1]
        if self.cfg.max_events < G:
            msg = f"{G} events exceed max_events {self.cfg.max_events}"
            raise ValueError(msg)
        h = events + self.pos(torch.arange(G, device=ids.device))  # (B, G, C)
        h = self.blocks(h, src_key_padding_mask=~filled)  # (B, G, C)
        h = self.norm(h)
        keep = filled.unsqueeze(-1).to(h.dtype)  # (B, G, 1)
        pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)  # (B, C)
        return F.normalize(self.proj(pooled), dim=-1)  # (B, D)

    @staticmethod
    def _pool_events(x: torch.Tensor, groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum token vectors (B, T, C) per event → (B, G, C) and which events exist (B, G)."""
        B, T, C = x.shape
        G = int(groups.max().item()) + 1 if groups.numel() else 1
        G = max(G, 1)
        slot = torch.where(groups < 0, G, groups)  # padding goes to a dummy slot G
        out = x.new_zeros(B, G + 1, C).scatter_add(1, slot.unsqueeze(-1).expand(B, T, C), x)
        count = x.new_zeros(B, G + 1).scatter_add(1, slot, torch.ones_like(x[..., 0]))
        filled = count[:, :G] > 0  # (B, G)
        if not bool(filled[:, 0].all()):
            # an empty window would give NaN attention; let it attend to its (zero) first slot
            filled = filled.clone()
            filled[:, 0] = True
        return out[:, :G], filled


class TextHead(nn.Module):
    """Frozen sentence vectors (B, text_dim) → unit vectors (B, embed_dim)."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(cfg.text_dim, cfg.text_hidden),
            nn.GELU(),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.text_hidden, cfg.embed_dim),
        )
        self.skip = nn.Linear(cfg.text_dim, cfg.embed_dim, bias=False)

    def forward(self, sent: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.mlp(sent) + self.skip(sent), dim=-1)  # (B, D)


class ContrastiveEncoder(nn.Module):
    """Both towers and the learnable temperature, saved and loaded as one state dict."""

    def __init__(self, cfg: EncoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.music = MusicTower(cfg)
        self.text = TextHead(cfg)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # text↔music
        self.music_logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))  # view↔view

    def forward(
        self,
        ids: torch.Tensor,
        sent: torch.Tensor,
        groups: torch.Tensor | None = None,
        intervals: torch.Tensor | None = None,
        degrees: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(music (B, D), text (B, D), logit_scale scalar)."""
        music = self.music(ids, groups, intervals, degrees)
        return music, self.text(sent), self.logit_scale


class ClipLoss(nn.Module):
    """Symmetric InfoNCE over a batch of matched (text, music) pairs (row i ↔ column i)."""

    def __init__(self, max_logit_scale: float = math.log(100.0)) -> None:
        super().__init__()
        self.max_logit_scale = max_logit_scale

    def forward(
        self, music: torch.Tensor, text: torch.Tensor, logit_scale: torch.Tensor
    ) -> torch.Tensor:
        """Mean of the text→music and music→text cross-entropies (a scalar).

        Identical captions of two pieces in one batch have identical vectors, so each of the
        two pairs is capped at probability 1/2 and their gradients balance: no soft labels needed.
        """
        scale = logit_scale.clamp(max=self.max_logit_scale).exp()
        logits_per_text = scale * text @ music.T  # (B, B)
        logits_per_music = logits_per_text.T  # (B, B)
        labels = torch.arange(text.shape[0], device=text.device)  # (B,)
        return (
            F.cross_entropy(logits_per_text, labels) + F.cross_entropy(logits_per_music, labels)
        ) / 2
