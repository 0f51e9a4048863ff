"""Shared optimiser pieces: AdamW decay groups and the warm-up + cosine schedule."""

from __future__ import annotations

import itertools

import pytest
import torch

from cantus.optim import adamw, warmup_cosine, warmup_cosine_factor


class _Toy(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 4)
        self.pos = torch.nn.Parameter(torch.zeros(8, 4))


def test_adamw_decays_matrices_but_not_biases_or_kept_tables() -> None:
    model = _Toy()
    opt = adamw(model, 1e-3, 0.1, keep="pos", betas=(0.9, 0.98), eps=1e-6)
    decayed, plain = opt.param_groups
    assert [p.shape for p in decayed["params"]] == [model.linear.weight.shape]
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert {id(p) for p in plain["params"]} == {id(model.linear.bias), id(model.pos)}
    assert decayed["eps"] == 1e-6


def test_schedule_warms_up_then_decays_to_the_floor() -> None:
    model = _Toy()
    opt = adamw(model, 1e-2, 0.0, keep="pos", betas=(0.9, 0.95))
    schedule = warmup_cosine(opt, warmup=4, total=20, floor=0.1)
    lrs = []
    for _ in range(24):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert lrs[:4] == pytest.approx([2.5e-3, 5e-3, 7.5e-3, 1e-2])
    assert all(a >= b for a, b in itertools.pairwise(lrs[4:]))
    assert lrs[20:] == pytest.approx([1e-3] * 4)  # the floor holds past the end
    assert warmup_cosine_factor(12, 4, 20, 0.1) == pytest.approx(0.55)
