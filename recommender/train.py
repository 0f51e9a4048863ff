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

The whole run is seeded (``torch.manual_seed``, one numpy ``Generator``); a wall-clock cap
(``TrainConfig.max_minutes``) only cuts the run short on a machine far slower than planned,
and says so in the metrics.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import time
import unicodedata
import zlib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.captions import HELD_OUT_FAMILIES
from cantus.config import SENTENCE_CACHE_DIR
from cantus.errors import BadInput, MissingArtifact

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from recommender.model import ContrastiveEncoder, EncoderConfig

log = logging.getLogger(__name__)

# Caption families never trained on: evaluation queries use them on held-out pieces.
# "listener" is phrased like a user's request ("something wistful for a quiet evening"),
# "technical" is numbers ("time signature 6/8, 32 bars, range of 14 semitones").
CACHE_DIR = SENTENCE_CACHE_DIR
CATALOG_COLUMNS = [
    "id",
    "title",
    "collection",
    "key",
    "tonic",
    "mode",
    "tokens",
    "captions",
    "caption_families",
]


@dataclass
class TrainConfig:
    """Optimisation and data settings of one training run (saved in ``encoder/config.json``)."""

    steps: int = 1300  # optimizer steps
    batch_size: int = 64  # pieces per step (in-batch negatives for InfoNCE)
    balance: float = 0.5  # draw pieces ∝ collection size^-balance (0: plain epochs; Essen is 57 %)
    views: int = 2  # windows per piece and step (2: another crop and key, with its own caption)
    pair_weight: float = 1.0  # weight of the view↔view InfoNCE (tune identity, invariance)
    lr: float = 2e-3  # peak AdamW learning rate
    weight_decay: float = 0.01  # AdamW weight decay (not on norms, biases, temperature)
    warmup_steps: int = 60  # linear warm-up, then cosine decay to 10 % of the peak
    max_transpose: int = 5  # random transposition range in semitones (±)
    transpose_prob: float = 0.7  # chance a sample is transposed (when its caption allows)
    eval_fraction: float = 0.05  # share of tunes held out for evaluation
    max_tune_versions: int = 20  # titles shared by more pieces ("Chorale") always train
    heldout_families: tuple[str, ...] = HELD_OUT_FAMILIES  # caption families never trained on
    captions_per_piece: int = 3  # captions kept per piece, each from another family (MiniLM cost)
    skip_families: tuple[str, ...] = ("title",)  # trainable but not sampled: names, not music
    max_minutes: float = 20.0  # wall-clock cap on the step loop (a slow-machine safety net)
    log_every: int = 25  # steps between progress lines
    threads: int = 0  # torch CPU threads; 0 = all cores, or 1 when others load the machine

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "log_every", "captions_per_piece", "views"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                msg = f"`{name}` must be a positive int (received {value!r})"
                raise ValueError(msg)
        rules = (  # (field, holds, what it must be)
            ("batch_size", self.batch_size >= 2, ">= 2 for in-batch negatives"),
            ("views", self.views in (1, 2), "1 or 2"),
            ("balance", 0 <= self.balance <= 1, "lie in [0, 1]"),
            ("pair_weight", self.pair_weight >= 0, ">= 0"),
            ("lr", 0 < self.lr < 1, "lie in (0, 1)"),
            ("eval_fraction", 0 <= self.eval_fraction < 0.5, "lie in [0, 0.5)"),
            ("max_transpose", 0 <= self.max_transpose <= 12, "lie in 0..12"),
            ("transpose_prob", 0 <= self.transpose_prob <= 1, "lie in [0, 1]"),
            ("threads", self.threads >= 0, ">= 0"),
            ("max_minutes", self.max_minutes > 0, "> 0"),
        )
        for name, holds, rule in rules:
            if not holds:
                msg = f"`{name}` must be {rule} (received {getattr(self, name)})"
                raise ValueError(msg)
        self.heldout_families = tuple(self.heldout_families)
        self.skip_families = tuple(self.skip_families)


def profile_configs(profile: str) -> tuple[EncoderConfig, TrainConfig]:
    """Model and training settings of a build profile (``tiny`` or ``default``)."""
    from cantus import tokens
    from recommender.model import EncoderConfig

    vocab = {"vocab_size": tokens.vocab_size(), "pad_id": tokens.PAD_ID}
    if profile == "tiny":  # a few dozen steps of a toy model: < 1 minute, for tests and CI
        return (
            EncoderConfig(
                **vocab,
                max_len=128,
                max_events=64,
                d_model=64,
                n_layers=1,
                n_heads=2,
                ff_mult=2,
                text_hidden=128,
                embed_dim=64,
            ),
            TrainConfig(
                steps=30,
                batch_size=16,
                lr=3e-3,
                warmup_steps=5,
                eval_fraction=0.1,
                captions_per_piece=2,
                max_minutes=2.0,
                log_every=10,
            ),
        )
    if profile == "default":  # sized for ~15-20 minutes on a shared 2-core CPU
        return (
            EncoderConfig(
                **vocab,
                max_len=256,
                max_events=96,
                d_model=128,
                n_layers=2,
                n_heads=4,
                ff_mult=2,
                text_hidden=512,
                embed_dim=256,
            ),
            TrainConfig(),
        )
    msg = f"unknown profile {profile!r} (expected tiny or default)"
    raise BadInput(msg)


# --------------------------------------------------------------------------- data


def normalize_title(title: str) -> str:
    """Tune identity across collections: lower case, no accents/punctuation/articles/numbers.

    "The Kesh Jig (2)" and "Kesh jig, The" both become "kesh jig".
    """
    text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    text = re.sub(r"[^a-z ]+", " ", text)
    words = [w for w in text.split() if w not in ("the", "a", "an", "no", "nr")]
    return " ".join(words)


def split_pieces(
    catalog: pd.DataFrame, fraction: float, seed: int, max_versions: int = 20
) -> np.ndarray:
    """Boolean mask (N,) of held-out pieces: whole tunes, chosen by a seeded hash of the title.

    A hash (not a shuffle) keeps a tune on the same side when the catalog grows. Titles
    shared by more than ``max_versions`` pieces (generic ones such as "Chorale") always train.
    """
    keys = catalog["title"].astype(str).map(normalize_title)
    sizes = keys.map(keys.value_counts())
    limit = int(fraction * 1_000_000)
    held = np.array(
        [bool(k) and zlib.crc32(f"{seed}|{k}".encode()) % 1_000_000 < limit for k in keys]
    )
    return held & (sizes.to_numpy() <= max_versions)


@dataclass
class CaptionTable:
    """Training captions: distinct sentences, their MiniLM vectors, and each piece's choices."""

    texts: list[str]  # distinct caption sentences
    vectors: np.ndarray  # (S, 384) float32 MiniLM vectors of ``texts``
    per_piece: list[np.ndarray]  # per catalog row: indices into ``texts`` (may be empty)
    # per catalog row: which of its captions name the key (no transposition for those)
    names_key: list[np.ndarray] = field(default_factory=list)


def caption_table(
    catalog: pd.DataFrame,
    families: tuple[str, ...],
    cache_dir: Path,
    rows: np.ndarray | None = None,
    per_piece: int | None = None,
    skip: tuple[str, ...] = (),
    seed: int = 0,
) -> CaptionTable:
    """Embed (once, cached) captions of ``families`` for the catalog ``rows``.

    With ``per_piece`` only that many captions are kept per piece (``choose_captions``).
    """
    from recommender.text import embed_cached

    rows = np.arange(len(catalog)) if rows is None else rows
    index: dict[str, int] = {}
    chosen: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(catalog)
    names_key: list[np.ndarray] = [np.zeros(0, dtype=bool)] * len(catalog)
    caps_col, fams_col = catalog["captions"].to_numpy(), catalog["caption_families"].to_numpy()
    ids = catalog["id"].astype(str).to_numpy()
    keys = _key_names(catalog)
    for row in rows:
        caps = choose_captions(
            list(caps_col[row]),
            list(fams_col[row]),
            families,
            per_piece,
            skip,
            f"{seed}|{ids[row]}",
        )
        chosen[row] = np.array([index.setdefault(c, len(index)) for c in caps], dtype=np.int64)
        names_key[row] = np.array([_names_key(c, keys[row]) for c in caps], dtype=bool)
    texts = list(index)
    vectors = embed_cached(texts, cache_dir) if texts else np.zeros((0, 384), np.float32)
    return CaptionTable(texts, vectors, chosen, names_key)


def choose_captions(
    captions: list[str],
    families: list[str],
    wanted: tuple[str, ...],
    k: int | None,
    skip: tuple[str, ...] = (),
    key: str = "",
) -> list[str]:
    """Up to ``k`` captions of the ``wanted`` families (all when ``k`` is None).

    Families are visited in a random order seeded by ``key``, one caption each per round, so
    the kept captions describe different facets; ``skip`` families serve only when nothing
    else is left.
    """
    by_family: dict[str, list[str]] = {}
    for caption, family in zip(captions, families, strict=False):
        if family in wanted and str(caption).strip():
            by_family.setdefault(family, []).append(str(caption))
    if k is None:
        return [
            c for c, f in zip(captions, families, strict=False) if f in by_family and str(c).strip()
        ]
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    names = [f for f in sorted(by_family) if f not in skip] or sorted(by_family)
    names = [names[i] for i in rng.permutation(len(names))]
    pools = {f: [by_family[f][i] for i in rng.permutation(len(by_family[f]))] for f in names}
    kept: list[str] = []
    while len(kept) < k and any(pools.values()):
        for family in names:
            if pools[family] and len(kept) < k:
                kept.append(pools[family].pop())
    return kept


def training_captions(
    captions: list[str], families: list[str], piece_id: str, seed: int = 0
) -> list[str]:
    """The captions of one piece that a default build trains on and caches in MiniLM's cache.

    Use these (not every caption) for per-piece caption vectors: they are already embedded
    in ``<data dir>/cache/minilm``, so nothing new has to go through MiniLM.
    """
    tcfg = TrainConfig()
    wanted = tuple(f for f in dict.fromkeys(families) if f not in tcfg.heldout_families)
    return choose_captions(
        list(captions),
        list(families),
        wanted,
        tcfg.captions_per_piece,
        tcfg.skip_families,
        f"{seed}|{piece_id}",
    )


def _key_names(catalog: pd.DataFrame) -> list[str]:
    """Each piece's key as captions spell it ("B-flat minor"), "" when unknown."""
    from cantus.captions import key_name

    cols = [c for c in ("key", "tonic", "mode") if c in catalog]
    return [
        key_name(dict(zip(cols, values, strict=True)))
        for values in zip(*(catalog[c] for c in cols), strict=True)
    ]


def _names_key(caption: str, key: str) -> bool:
    """Whether a caption states the key (transposing the music would falsify it)."""
    return bool(key) and key.lower() in caption.lower()


def read_catalog(out_dir: Path) -> pd.DataFrame:
    """The build's catalog with the columns training needs."""
    import pandas as pd

    path = Path(out_dir) / "catalog.parquet"
    if not path.is_file():
        msg = f"no catalog at {path}: run the catalog stage first (`cantus build --stages catalog`)"
        raise MissingArtifact(msg)
    frame = pd.read_parquet(path, columns=CATALOG_COLUMNS)
    if frame.empty:
        msg = f"the catalog at {path} is empty"
        raise MissingArtifact(msg)
    return frame


class BatchMaker:
    """Draws training batches: seeded epoch order, random caption, crop and transposition."""

    def __init__(
        self,
        tokens: list[np.ndarray],
        table: CaptionTable,
        rows: np.ndarray,
        mcfg: EncoderConfig,
        tcfg: TrainConfig,
        rng: np.random.Generator,
        groups: np.ndarray | None = None,
    ) -> None:
        """``groups`` (N,) names each catalog row's collection for ``tcfg.balance``."""
        self.tokens, self.table, self.mcfg, self.tcfg, self.rng = tokens, table, mcfg, tcfg, rng
        self.rows = np.array([r for r in rows if len(table.per_piece[r]) and len(tokens[r])])
        if len(self.rows) < tcfg.batch_size:
            msg = f"only {len(self.rows)} trainable pieces for batch size {tcfg.batch_size}"
            raise BadInput(msg)
        self.order: np.ndarray = np.zeros(0, dtype=np.int64)
        self.epoch = 0
        self.weights = _balance_weights(self.rows, groups, tcfg.balance)
        self.drawn = 0

    def _next_rows(self) -> np.ndarray:
        if self.weights is not None:  # weighted draws; an "epoch" is len(rows) draws
            batch = self.rng.choice(self.rows, self.tcfg.batch_size, replace=False, p=self.weights)
            self.drawn += len(batch)
            self.epoch = self.drawn // len(self.rows) + 1
            return batch
        if len(self.order) < self.tcfg.batch_size:
            self.order = self.rng.permutation(self.rows)
            self.epoch += 1
        batch, self.order = self.order[: self.tcfg.batch_size], self.order[self.tcfg.batch_size :]
        return batch

    def _sample(self, row: int) -> tuple[list[int], int]:
        from cantus.tokens import TokenError, crop_ids, transpose_bounds, transpose_ids

        choices = self.table.per_piece[row]
        pick = int(self.rng.integers(len(choices)))
        window = crop_ids(self.tokens[row], self.mcfg.max_len, self.rng)
        if not self.table.names_key[row][pick] and self.rng.random() < self.tcfg.transpose_prob:
            lo, hi = transpose_bounds(window)
            lo, hi = max(lo, -self.tcfg.max_transpose), min(hi, self.tcfg.max_transpose)
            shift = int(self.rng.integers(lo, hi + 1)) if lo <= hi else 0
            if shift:
                with contextlib.suppress(TokenError):  # cannot happen within bounds
                    window = transpose_ids(window, shift)
        return window, int(choices[pick])

    def next(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Per view: (ids, groups, intervals, degrees) (B, T) and caption indices (B,).

        Views of one piece differ in crop, transposition and caption; row i is piece i in all.
        """
        from recommender.encoder import window_arrays

        rows = self._next_rows()
        views = []
        for _ in range(self.tcfg.views):
            windows, captions = zip(*(self._sample(int(r)) for r in rows), strict=True)
            arrays = window_arrays(
                windows, self.mcfg.max_len, self.mcfg.max_events, self.mcfg.relative_pitch
            )
            views.append((*arrays, np.asarray(captions, dtype=np.int64)))
        return views


# --------------------------------------------------------------------------- loop


def _balance_weights(
    rows: np.ndarray, groups: np.ndarray | None, balance: float
) -> np.ndarray | None:
    """Draw probabilities ∝ (pieces in the row's collection)^-balance, or None (plain epochs)."""
    if groups is None or balance == 0:
        return None
    _, inverse, counts = np.unique(groups[rows], return_inverse=True, return_counts=True)
    weights = counts[inverse].astype(np.float64) ** -balance
    return weights / weights.sum()


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


def _optimizer(model: ContrastiveEncoder, tcfg: TrainConfig) -> torch.optim.Optimizer:
    import torch

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos" not in n)]
    groups = [
        {"params": decay, "weight_decay": tcfg.weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=tcfg.lr, betas=(0.9, 0.98), eps=1e-6)


def lr_at(step: int, tcfg: TrainConfig) -> float:
    """Warm-up then cosine decay to 10 % of the peak."""
    if step < tcfg.warmup_steps:
        return tcfg.lr * (step + 1) / tcfg.warmup_steps
    progress = (step - tcfg.warmup_steps) / max(1, tcfg.steps - tcfg.warmup_steps)
    return tcfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


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
    loss_fn, opt = ClipLoss(), _optimizer(model, tcfg)
    model.train()
    start, history, ema, steps_done = time.perf_counter(), [], None, 0
    for step in range(tcfg.steps):
        if time.perf_counter() - start > tcfg.max_minutes * 60:
            log.warning(
                "encoder: stopping at step %d of %d (over %.0f min)",
                step,
                tcfg.steps,
                tcfg.max_minutes,
            )
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(step, tcfg)
        loss, scale = step_loss(model, loss_fn, batches.next(), sentences, tcfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        steps_done = step + 1
        value = float(loss.detach())
        history.append(value)
        ema = value if ema is None else 0.95 * ema + 0.05 * value
        if steps_done % tcfg.log_every == 0 or steps_done == tcfg.steps:
            elapsed = time.perf_counter() - start
            log.info(
                "encoder step %d/%d loss %.3f (ema %.3f) temp %.1f epoch %d %.2f steps/s",
                steps_done,
                tcfg.steps,
                value,
                ema,
                float(scale.detach().exp()),
                batches.epoch,
                steps_done / elapsed,
            )
    seconds = time.perf_counter() - start
    model.eval()
    head = history[: max(1, min(10, len(history) // 5))]
    tail = history[-max(1, min(50, len(history) // 5)) :]
    return {
        "steps": steps_done,
        "stopped_early": steps_done < tcfg.steps,
        "epochs": batches.epoch,
        "train_seconds": round(seconds, 1),
        "steps_per_s": round(steps_done / max(seconds, 1e-9), 3),
        "pieces_per_s": round(steps_done * tcfg.batch_size / max(seconds, 1e-9), 1),
        "windows_per_s": round(steps_done * tcfg.batch_size * tcfg.views / max(seconds, 1e-9), 1),
        "loss_first": round(float(np.mean(head)), 4),
        "loss_last": round(float(np.mean(tail)), 4),
        "logit_scale": round(float(model.logit_scale.detach().exp()), 2),
        "device": str(device),
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
    from recommender.evaluate import text_to_music_metrics

    rows = np.flatnonzero(held)
    if len(rows) < 2:
        return {}
    table = caption_table(catalog, tcfg.heldout_families, Path(out_dir) / CACHE_DIR, rows=rows)
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
    threads = torch.get_num_threads()
    try:
        if _device().type == "cpu":
            torch.set_num_threads(cpu_threads(tcfg.threads))
        return _build(out_dir, profile, seed, mcfg, tcfg)
    finally:
        torch.set_num_threads(threads)  # later build stages choose their own


def _build(
    out_dir: Path, profile: str, seed: int, mcfg: EncoderConfig, tcfg: TrainConfig
) -> dict[str, Any]:
    """The stage's steps: split, captions, training, saving, embedding, a quick evaluation."""
    import torch

    from recommender.embed import embed_catalog
    from recommender.encoder import SPLIT_FILE, save_encoder
    from recommender.engine import build_caption_embeddings
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
        catalog,
        families,
        out_dir / CACHE_DIR,
        per_piece=tcfg.captions_per_piece,
        skip=tcfg.skip_families,
        seed=seed,
    )
    caption_seconds = time.perf_counter() - t0
    tokens = [np.asarray(t, dtype=np.int64) for t in catalog["tokens"]]
    if tcfg.batch_size > int((~held).sum()):  # a catalog smaller than one batch
        tcfg = replace(tcfg, batch_size=max(2, int((~held).sum())))
    collections = catalog["collection"].astype(str).to_numpy()
    batches = BatchMaker(tokens, table, np.flatnonzero(~held), mcfg, tcfg, rng, collections)
    model = ContrastiveEncoder(mcfg).to(_device())
    log.info(
        "encoder: %d train / %d held-out pieces, %d captions, %.2fM parameters",
        len(batches.rows),
        int(held.sum()),
        len(table.texts),
        sum(p.numel() for p in model.parameters()) / 1e6,
    )
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
    split = {
        "seed": seed,
        "heldout_families": list(tcfg.heldout_families),
        "eval_ids": catalog["id"][held].astype(str).tolist(),
    }
    (out_dir / "encoder" / SPLIT_FILE).write_text(json.dumps(split))
    embed_metrics = embed_catalog(out_dir)
    caption_metrics = build_caption_embeddings(out_dir)  # serving never embeds captions
    embeddings = np.load(out_dir / "embeddings.npy").astype(np.float32)
    metrics.update(
        encoder_id=encoder_id,
        pieces=len(catalog),
        train_pieces=len(batches.rows),
        heldout_pieces=int(held.sum()),
        train_captions=len(table.texts),
        caption_embed_seconds=round(caption_seconds, 1),
        embed_pieces_per_s=embed_metrics["pieces_per_s"],
        caption_embed_build_seconds=caption_metrics["seconds"],
        heldout=_quick_heldout_eval(out_dir, catalog, held, tcfg, embeddings),
        seconds=round(time.perf_counter() - started, 1),
    )
    log.info("encoder %s: %s", encoder_id, metrics)
    return metrics


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
