"""Training the contrastive encoder: the build's ``encoder`` stage.

``build_encoder(out_dir, profile, seed)`` reads ``out_dir/catalog.parquet`` and writes
``out_dir/encoder/{config.json, model.safetensors, split.json}``, ``out_dir/embeddings.npy``
(+ ``embeddings.json``) and the MiniLM sentence cache ``out_dir/cache/minilm/``.

Steps (one function each):

1. ``split_pieces``: ~5 % of *tunes* (pieces sharing a normalised title) are held out for
   evaluation, so versions of one tune never sit on both sides.
2. ``caption_table``: every caption of the training families is embedded once by MiniLM
   (cached); ``HELD_OUT_FAMILIES`` are never trained on (evaluation queries only).
3. ``train_loop``: each step draws a batch of pieces in a seeded epoch order and, per piece,
   two *views*: each a random caption, a random bar-aligned window (``crop_ids``) and a random
   transposition (``transpose_ids``, up to ±``max_transpose``; skipped when the caption names
   the key, which a transposition would falsify). Loss: symmetric InfoNCE (``ClipLoss``)
   text↔music for each view, plus ``pair_weight`` × InfoNCE between the two views of each
   piece (tune identity and transposition invariance, for ``similar``); AdamW with a
   warm-up + cosine learning rate.
4. ``save_encoder`` + ``recommender.embed.embed_catalog``.

Data steps live in ``recommender.train_data``, settings in ``recommender.train_config``. The
whole run is seeded (``torch.manual_seed``, one numpy ``Generator``) and runs exactly
``TrainConfig.steps`` steps, so a rebuild on any machine gives the same model.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.config import SENTENCE_CACHE_DIR
from cantus.errors import BadInput
from cantus.optim import adamw, warmup_cosine
from cantus.threads import torch_threads
from recommender.train_config import TrainConfig, profile_configs
from recommender.train_data import (
    BatchMaker,
    CaptionTable,
    caption_table,
    read_catalog,
    split_pieces,
)

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from recommender.encoder_config import EncoderConfig
    from recommender.model import ContrastiveEncoder

log = logging.getLogger(__name__)

LR_FLOOR = 0.1  # the cosine decays to this fraction of the peak learning rate


def cpu_threads(requested: int = 0) -> int:
    """Torch CPU threads: ``requested``, else every core, or 1 when other work loads them.

    Measured on the shared 2-core build machine: with another process busy, 2 OpenMP threads
    ran MiniLM at 28-32 sentences/s and training at 20 pieces/s, 1 thread at 60-78 and 67-131.
    """
    if requested:
        return requested
    cores = (
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return 1 if busy > cores - 1 else cores


def _device() -> torch.device:
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def step_loss(
    model: ContrastiveEncoder,
    loss_fn: torch.nn.Module,
    views: list[tuple[np.ndarray, ...]],
    sentences: torch.Tensor,
    tcfg: TrainConfig,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, text temperature): mean text↔music InfoNCE over views + weighted view↔view."""
    import torch

    device = sentences.device
    musics, text_losses, scale = [], [], model.logit_scale
    for view in views:
        ids, groups, intervals, degrees, caps = (torch.as_tensor(a, device=device) for a in view)
        music, text, scale = model(ids, sentences[caps], groups, intervals, degrees)  # (B, D) x2
        musics.append(music)
        text_losses.append(loss_fn(music, text, scale))
    loss = torch.stack(text_losses).mean()
    if len(musics) == 2 and tcfg.pair_weight > 0:
        loss = loss + tcfg.pair_weight * loss_fn(musics[0], musics[1], model.music_logit_scale)
    return loss, scale


def train_loop(
    model: ContrastiveEncoder, batches: BatchMaker, table: CaptionTable, tcfg: TrainConfig
) -> dict[str, Any]:
    """Optimise ``model`` in place for ``tcfg.steps`` steps; returns loss/speed metrics."""
    import torch

    from recommender.model import ClipLoss

    device = next(model.parameters()).device
    sentences = torch.as_tensor(table.vectors, device=device)  # (S, 384)
    loss_fn = ClipLoss()
    # no decay on the position tables; eps 1e-6 keeps fp16-scale updates stable
    opt = adamw(model, tcfg.lr, tcfg.weight_decay, keep="pos", betas=(0.9, 0.98), eps=1e-6)
    schedule = warmup_cosine(opt, tcfg.warmup_steps, tcfg.steps, LR_FLOOR)
    model.train()
    start, history, ema = time.perf_counter(), [], None
    for step in range(1, tcfg.steps + 1):
        loss, scale = step_loss(model, loss_fn, batches.next(), sentences, tcfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        schedule.step()
        history.append(float(loss.detach()))
        ema = history[-1] if ema is None else 0.95 * ema + 0.05 * history[-1]
        if step % tcfg.log_every == 0 or step == tcfg.steps:
            log.info(
                "encoder step %d/%d loss %.3f (ema %.3f) temp %.1f epoch %d %.2f steps/s",
                step,
                tcfg.steps,
                history[-1],
                ema,
                float(scale.detach().exp()),
                batches.epoch,
                step / (time.perf_counter() - start),
            )
    model.eval()
    return _loop_metrics(model, batches, tcfg, history, time.perf_counter() - start)


def _loop_metrics(
    model: ContrastiveEncoder,
    batches: BatchMaker,
    tcfg: TrainConfig,
    history: list[float],
    seconds: float,
) -> dict[str, Any]:
    steps = len(history)
    head = history[: max(1, min(10, steps // 5))]
    tail = history[-max(1, min(50, steps // 5)) :]
    per_s = steps / max(seconds, 1e-9)
    return {
        "steps": steps,
        "epochs": batches.epoch,
        "train_seconds": round(seconds, 1),
        "steps_per_s": round(per_s, 3),
        "pieces_per_s": round(per_s * tcfg.batch_size, 1),
        "windows_per_s": round(per_s * tcfg.batch_size * tcfg.views, 1),
        "loss_first": round(float(np.mean(head)), 4),
        "loss_last": round(float(np.mean(tail)), 4),
        "logit_scale": round(float(model.logit_scale.detach().exp()), 2),
        "device": str(next(model.parameters()).device),
    }


# --------------------------------------------------------------------------- stage


def _quick_heldout_eval(
    out_dir: Path,
    catalog: pd.DataFrame,
    held: np.ndarray,
    tcfg: TrainConfig,
    embeddings: np.ndarray,
) -> dict[str, Any]:
    """Text→music R@1/R@10/MRR of held-out families on held-out pieces (pool = held-out)."""
    from recommender.encoder import load_encoder
    from recommender.metrics import text_to_music_metrics

    rows = np.flatnonzero(held)
    if len(rows) < 2:
        return {}
    table = caption_table(
        catalog, tcfg.heldout_families, Path(out_dir) / SENTENCE_CACHE_DIR, rows=rows
    )
    encoder = load_encoder(out_dir)
    queries = encoder.encode_sentence_vectors(table.vectors)
    return text_to_music_metrics(queries, table.per_piece, rows, embeddings)


def build_encoder(
    out_dir: Path | str,
    profile: str,
    seed: int = 0,
    *,
    model_config: EncoderConfig | None = None,
    train_config: TrainConfig | None = None,
) -> dict[str, Any]:
    """Train the encoder on ``out_dir/catalog.parquet`` and embed the catalog; return metrics.

    ``model_config`` / ``train_config`` replace the profile's settings (tests, experiments).
    """
    import torch

    out_dir = Path(out_dir)
    mcfg, tcfg = profile_configs(profile)
    mcfg, tcfg = model_config or mcfg, train_config or tcfg
    # later build stages choose their own thread count
    threads = cpu_threads(tcfg.threads) if _device().type == "cpu" else torch.get_num_threads()
    with torch_threads(threads):
        return _build(out_dir, profile, seed, mcfg, tcfg)


def _build(
    out_dir: Path, profile: str, seed: int, mcfg: EncoderConfig, tcfg: TrainConfig
) -> dict[str, Any]:
    """The stage's steps: split, captions, training, saving, embedding, a quick evaluation."""
    import torch

    from recommender.encoder import save_encoder
    from recommender.model import ContrastiveEncoder
    from recommender.text import verify_text_model

    started = time.perf_counter()
    text_model_sha256 = verify_text_model()  # train only on the upstream MiniLM
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    catalog = read_catalog(out_dir)
    held = split_pieces(catalog, tcfg.eval_fraction, seed, tcfg.max_tune_versions)
    families = _training_families(catalog, tcfg)
    t0 = time.perf_counter()
    table = caption_table(
        catalog, families, out_dir / SENTENCE_CACHE_DIR, per_piece=tcfg.captions_per_piece,
        skip=tcfg.skip_families, seed=seed,
    )  # fmt: skip
    caption_seconds = time.perf_counter() - t0
    tokens = [np.asarray(t, dtype=np.int64) for t in catalog["tokens"]]
    if tcfg.batch_size > int((~held).sum()):  # a catalog smaller than one batch
        tcfg = replace(tcfg, batch_size=max(2, int((~held).sum())))
    collections = catalog["collection"].astype(str).to_numpy()
    batches = BatchMaker(tokens, table, np.flatnonzero(~held), mcfg, tcfg, rng, collections)
    model = ContrastiveEncoder(mcfg).to(_device())
    millions = sum(p.numel() for p in model.parameters()) / 1e6
    log.info(
        "encoder: %d train / %d held-out pieces, %d captions, %.2fM parameters",
        len(batches.rows), int(held.sum()), len(table.texts), millions,
    )  # fmt: skip
    metrics = train_loop(model, batches, table, tcfg)
    extra = {
        "profile": profile,
        "seed": seed,
        "train": asdict(tcfg),
        "text_model": "all-MiniLM-L6-v2",
        "text_model_sha256": text_model_sha256,
        "trained_families": list(families),
        "metrics": metrics,
    }
    encoder_id = save_encoder(model, out_dir, extra)
    metrics.update(
        encoder_id=encoder_id,
        pieces=len(catalog),
        train_pieces=len(batches.rows),
        heldout_pieces=int(held.sum()),
        train_captions=len(table.texts),
        caption_embed_seconds=round(caption_seconds, 1),
    )
    metrics.update(_save_split_and_embed(out_dir, catalog, held, tcfg, seed))
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    log.info("encoder %s: %s", encoder_id, metrics)
    return metrics


def _save_split_and_embed(
    out_dir: Path, catalog: pd.DataFrame, held: np.ndarray, tcfg: TrainConfig, seed: int
) -> dict[str, Any]:
    """Write ``split.json``, embed pieces and captions, and score the held-out pieces."""
    from recommender.embed import embed_catalog
    from recommender.encoder import SPLIT_FILE
    from recommender.engine import build_caption_embeddings

    split = {
        "seed": seed,
        "heldout_families": list(tcfg.heldout_families),
        "eval_ids": catalog["id"][held].astype(str).tolist(),
    }
    (out_dir / "encoder" / SPLIT_FILE).write_text(json.dumps(split))
    embed_metrics = embed_catalog(out_dir)
    caption_metrics = build_caption_embeddings(out_dir)  # serving never embeds captions
    embeddings = np.load(out_dir / "embeddings.npy").astype(np.float32)
    return {
        "embed_pieces_per_s": embed_metrics["pieces_per_s"],
        "caption_embed_build_seconds": caption_metrics["seconds"],
        "heldout": _quick_heldout_eval(out_dir, catalog, held, tcfg, embeddings),
    }


def _training_families(catalog: pd.DataFrame, tcfg: TrainConfig) -> tuple[str, ...]:
    present = sorted({f for fams in catalog["caption_families"] for f in fams})
    families = tuple(f for f in present if f not in tcfg.heldout_families)
    if not families:
        msg = (
            f"no caption families left to train on (present {present}, "
            f"held out {tcfg.heldout_families})"
        )
        raise BadInput(msg)
    return families
