"""Optimiser pieces shared by the encoder and generator training loops."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def adamw(
    model: torch.nn.Module,
    lr: float,
    weight_decay: float,
    *,
    keep: str,
    betas: tuple[float, float],
    eps: float = 1e-8,
) -> torch.optim.AdamW:
    """AdamW that decays matrices only: not norms, biases, scalars or parameters named ``keep``.

    ``keep`` names the position/token tables (``"pos"``, ``"emb"``), which decay would shrink.
    """
    import torch

    def decays(name: str, p: torch.nn.Parameter) -> bool:
        return p.ndim >= 2 and keep not in name

    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if decays(n, p)], "weight_decay": weight_decay},
        {"params": [p for n, p in named if not decays(n, p)], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)


def warmup_cosine_factor(step: int, warmup: int, total: int, floor: float) -> float:
    """Learning-rate factor of optimiser step ``step`` (from 0): linear warm-up over ``warmup``
    steps, then cosine decay to ``floor`` at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def warmup_cosine(
    opt: torch.optim.Optimizer, warmup: int, total: int, floor: float
) -> torch.optim.lr_scheduler.LambdaLR:
    """The schedule of ``warmup_cosine_factor`` on ``opt``; call ``.step()`` after each step."""
    import torch

    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: warmup_cosine_factor(step, warmup, total, floor)
    )
