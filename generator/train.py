"""Training of the seed generator: the build stage ``generator``.

``build_generator(out_dir, profile, seed)`` reads ``out_dir/catalog.parquet`` and
``out_dir/embeddings.npy`` and writes ``out_dir/generator/{config.json, model.safetensors}``.
Training windows and conditions come from ``generator.windows``; the settings from
``generator.train_config``. The run is a fixed number of steps (``TrainConfig.steps``), so a
rebuild on a faster or slower machine gives the same model.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from cantus.optim import adamw, warmup_cosine
from cantus.threads import torch_threads
from generator.checkpoint import GENERATOR_DIR, save_generator
from generator.model import GeneratorConfig, SeedTransformer
from generator.phrase_bounds import PHRASES_FILE, phrase_ends, save_phrases
from generator.train_config import PROFILES, TrainConfig
from generator.vocab import default_controls
from generator.windows import (
    Batch,
    Piece,
    WindowSampler,
    load_embeddings,
    nearest_neighbours,
    prepare_pieces,
    split_pieces,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- loop


def sequence_loss(
    model: SeedTransformer, batch: Batch, device: torch.device
) -> tuple[torch.Tensor, int]:
    """Mean next-token cross-entropy over scored targets, and their count."""
    cond = batch.cond.to(device) if batch.cond is not None else None
    logits = model(batch.idx.to(device), cond, cond_drop=batch.drop.to(device))  # (B, T, V)
    target = batch.target.to(device)
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(), target.reshape(-1), ignore_index=-100
    )
    return loss, int((target != -100).sum())


@torch.no_grad()
def heldout_nll(
    model: SeedTransformer, batches: list[Batch], device: torch.device, drop_all: bool = False
) -> float:
    """Per-token NLL (nats) of held-out batches; ``drop_all`` scores the unconditioned model."""
    was = model.training
    model.eval()
    total, count = 0.0, 0
    for b in batches:
        if drop_all:
            b = Batch(b.idx, b.target, b.cond, torch.ones_like(b.drop))
        loss, n = sequence_loss(model, b, device)
        total += float(loss) * n
        count += n
    model.train(was)
    return total / max(count, 1)


@dataclass
class TrainResult:
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # training loss per step


def train_loop(
    model: SeedTransformer,
    sampler: WindowSampler,
    tcfg: TrainConfig,
    rng: np.random.Generator,
    device: torch.device,
    steps: int | None = None,
    eval_batches: list[Batch] | None = None,
) -> TrainResult:
    """Optimise ``model`` for ``steps`` (default ``tcfg.steps``) steps."""
    total = steps or tcfg.steps
    # no decay on the token/position embeddings; betas as in GPT training; the per-tensor loop,
    # as the shipped weights ran (fused saves ~4 % of a step but rounds differently)
    opt = adamw(model, tcfg.lr, tcfg.weight_decay, keep="emb", betas=(0.9, 0.95))
    schedule = warmup_cosine(opt, tcfg.warmup_steps, total, tcfg.min_lr_frac)
    model.train()
    queue: list[Batch] = []
    result = TrainResult(steps=0, seconds=0.0)
    start = time.perf_counter()
    for step in range(1, total + 1):
        if not queue:
            queue = sampler.batches(rng)
        result.losses.append(_optimise(model, opt, queue.pop(), tcfg.grad_clip, device))
        schedule.step()
        if step % 50 == 0 or step == total:
            elapsed = time.perf_counter() - start
            log.info(
                "generator step %d/%d loss %.3f (%.0fs, eta %.0fs)",
                step,
                total,
                float(np.mean(result.losses[-50:])),
                elapsed,
                elapsed / step * (total - step),
            )
        if eval_batches and step % tcfg.eval_every == 0 and step < total:
            nll = heldout_nll(model, eval_batches, device)
            log.info("generator step %d held-out nll %.4f", step, nll)
    result.steps, result.seconds = total, time.perf_counter() - start
    return result


def _optimise(
    model: SeedTransformer,
    opt: torch.optim.Optimizer,
    batch: Batch,
    grad_clip: float,
    device: torch.device,
) -> float:
    loss, _ = sequence_loss(model, batch, device)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    return loss.item()


# --------------------------------------------------------------------------- build stage


def pick_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


@dataclass
class TrainingData:
    """What one build trains and scores on."""

    sampler: WindowSampler  # training windows
    eval_batches: list[Batch]  # fixed held-out batches (today's windows, comparable across runs)
    phrase_batches: list[Batch]  # fixed held-out whole-phrase windows (where phrases are marked)
    train_pieces: list[Piece]
    heldout_pieces: list[Piece]
    skipped: dict  # pieces left out, by reason
    encoder_id: str | None  # encoder of the conditioning embeddings (None: unconditioned)
    conditioned: bool
    phrases: dict[str, list[int]]  # piece id -> phrase-end bars (generator.phrase_bounds)
    phrase_stats: dict[str, int]  # pieces by collection:outcome of the phrase reading


def training_data(
    out_dir: Path, cfg_kw: dict, tcfg: TrainConfig, seed: int
) -> tuple[TrainingData, GeneratorConfig]:
    """Catalog pieces split into train / held-out windows, and the model config that fits."""
    from cantus.catalog import load_catalog

    columns = ["id", "source", "collection", "number", "tokens", "tonic", "mode"]
    catalog = load_catalog(out_dir, columns=columns, include_user=False)
    controls = default_controls()
    phrases, phrase_stats = phrase_ends(catalog)
    emb, encoder_id = load_embeddings(out_dir, len(catalog))
    cfg = GeneratorConfig(
        vocab_size=controls.vocab_size,
        n_music=controls.n_music,
        cond_dim=emb.shape[1] if emb is not None else 1,
        **cfg_kw,
    )
    pieces, skipped = prepare_pieces(catalog, controls, phrases)
    train_p, held_p = split_pieces(pieces, list(catalog["id"]), tcfg.heldout_frac)
    if not held_p:  # tiny catalogs: hold out a few pieces anyway
        cut = max(1, len(train_p) // 20)
        held_p, train_p = train_p[:cut], train_p[cut:]
    nbrs = nearest_neighbours(emb) if emb is not None else None
    max_music = cfg.ctx - cfg.n_prefix - 3
    sampler = WindowSampler(train_p, controls, tcfg, max_music, emb, nbrs, cfg.cond_dropout)
    eval_batches = _heldout_batches(held_p, controls, tcfg, max_music, emb, nbrs, seed + 1, 0.0)
    phrase_batches = _heldout_batches(held_p, controls, tcfg, max_music, emb, nbrs, seed + 2, 1.0)
    data = TrainingData(
        sampler=sampler,
        eval_batches=eval_batches,
        phrase_batches=phrase_batches,
        train_pieces=train_p,
        heldout_pieces=held_p,
        skipped=skipped,
        encoder_id=encoder_id,
        conditioned=emb is not None,
        phrases=phrases,
        phrase_stats=phrase_stats,
    )
    return data, cfg


def _heldout_batches(held_p, controls, tcfg, max_music, emb, nbrs, seed, p_phrase) -> list[Batch]:
    """Fixed held-out batches; ``p_phrase`` 0 gives the windows of earlier builds (same seed)."""
    sampler = WindowSampler(held_p, controls, tcfg, max_music, emb, nbrs, p_phrase=p_phrase)
    rng = np.random.default_rng(seed)
    order = rng.integers(0, len(held_p), size=tcfg.eval_windows)
    return sampler.batches(rng, order=order)


def build_generator(out_dir: Path, profile: str, seed: int = 0, steps: int | None = None) -> dict:
    """Train the generator on ``out_dir``'s catalog (+ embeddings) and save it there.

    ``steps`` replaces the profile's step count (tests, experiments).
    """
    if profile not in PROFILES:
        msg = f"unknown profile {profile!r} (expected one of {sorted(PROFILES)})"
        raise ValueError(msg)
    out_dir = Path(out_dir)
    model_kw, train_kw = PROFILES[profile]
    tcfg = TrainConfig(**train_kw)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = pick_device()
    data, cfg = training_data(out_dir, model_kw, tcfg, seed)
    model = SeedTransformer(cfg).to(device)
    log.info(
        "generator: %d params, %d train / %d held-out pieces, device %s",
        model.n_params(),
        len(data.train_pieces),
        len(data.heldout_pieces),
        device,
    )
    threads = tcfg.threads if device.type == "cpu" else torch.get_num_threads()
    with torch_threads(threads):
        result = train_loop(model, data.sampler, tcfg, rng, device, steps, data.eval_batches)
    metrics = {
        "params": model.n_params(),
        "steps": result.steps,
        "threads": threads,  # torch threads of the run: sums (so the weights) depend on it
        "train_seconds": round(result.seconds, 1),
        "train_loss_first": round(float(np.mean(result.losses[:10])), 4),
        "train_loss_last": round(float(np.mean(result.losses[-50:])), 4),
        "heldout_nll": round(heldout_nll(model, data.eval_batches, device), 4),
        "heldout_nll_uncond": round(
            heldout_nll(model, data.eval_batches, device, drop_all=True), 4
        ),
        "heldout_nll_phrase": round(heldout_nll(model, data.phrase_batches, device), 4),
        "p_phrase": tcfg.p_phrase,
        "phrase_pieces": len(data.phrases),
        "phrase_stats": data.phrase_stats,
        "train_pieces": len(data.train_pieces),
        "heldout_pieces": len(data.heldout_pieces),
        "skipped": data.skipped,
        "conditioned": data.conditioned,
        "device": device.type,
        "seed": seed,
        "profile": profile,
    }
    controls = data.sampler.controls
    save_generator(out_dir / GENERATOR_DIR, model, controls, tcfg, data.encoder_id, metrics)
    save_phrases(out_dir / GENERATOR_DIR / PHRASES_FILE, data.phrases, data.phrase_stats)
    log.info("generator: %s", metrics)
    return metrics
