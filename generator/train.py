"""Training of the seed generator (the build stage ``generator``) and its checkpoint I/O.

``build_generator(out_dir, profile, seed)`` reads ``out_dir/catalog.parquet`` and
``out_dir/embeddings.npy`` and writes ``out_dir/generator/{config.json, model.safetensors}``.

Training examples (see :class:`WindowSampler`):

* a bar-aligned window of 1..16 bars of one piece (mostly 8..16, often the opening), transposed
  so its tonic is C (the key control token is the mode; seeds are transposed to the requested
  tonic afterwards), preceded by the control tokens (metre of the window, mode, bars) and
  followed by EOS;
* the condition is ``normalise(a * own + (1 - a) * centroid(k random of its 8 nearest
  neighbours))`` with ``a ~ U(0, 1)``, so the model also sees pure neighbour centroids, which is
  what inference gives it (the centroid of favourites or of the ``--from`` pieces);
* the condition is dropped (null prefix) for ``cond_dropout`` of the examples.

Steps are budgeted by time: the first steps measure the speed, then the number of steps is
fixed (logged and saved) so a run with ``steps=`` given is reproducible.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from generator.checkpoint import GENERATOR_DIR, save_generator
from generator.model import GeneratorConfig, SeedTransformer
from generator.vocab import (
    MAX_BARS,
    Controls,
    canonical_shift,
    default_controls,
    normalise_mode,
    tonic_pitch_class,
)

log = logging.getLogger(__name__)

N_NEIGHBOURS = 8  # neighbours whose centroid is blended into a piece's condition


@dataclass
class TrainConfig:
    batch_size: int = 16  # windows per optimisation step (more updates per token on a slow CPU)
    lr: float = 1.5e-3  # peak AdamW learning rate
    min_lr_frac: float = 0.1  # cosine decay floor, as a fraction of lr
    warmup_steps: int = 60  # linear warm-up
    weight_decay: float = 0.05  # AdamW weight decay on matrices
    grad_clip: float = 1.0  # gradient-norm clip
    time_budget_s: float = 1800.0  # seconds of optimisation steps (steps fixed after calibration)
    max_steps: int = 20000  # upper bound on steps whatever the speed
    calib_steps: int = 30  # steps timed (after the first 5) to turn the budget into a step count
    min_bars: int = 1  # shortest training window, bars
    long_min_bars: int = 8  # windows are drawn from long_min_bars..MAX_BARS with p_long
    p_long: float = 0.75  # probability of a long (8..16 bar) window
    p_opening: float = 0.3  # probability the window starts at the first bar
    heldout_frac: float = 0.05  # pieces held out for NLL
    eval_windows: int = 256  # held-out windows scored at the end
    eval_every: int = 400  # steps between held-out evaluations
    threads: int = (
        0  # torch CPU threads; 0 = time 1 and 2 threads on the first steps, keep the faster
    )
    pool_batches: int = 8  # batches drawn together and sorted by length (less padding)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_steps < 1:
            got = (self.batch_size, self.max_steps)
            msg = f"`batch_size` and `max_steps` must be >= 1 (received {got})"
            raise ValueError(msg)
        if not 0 < self.lr < 1:
            msg = f"`lr` must lie in (0, 1) (received {self.lr})"
            raise ValueError(msg)
        if not 1 <= self.min_bars <= self.long_min_bars <= MAX_BARS:
            got = (self.min_bars, self.long_min_bars)
            msg = f"need 1 <= min_bars <= long_min_bars <= {MAX_BARS} (received {got})"
            raise ValueError(msg)
        if not 0 <= self.heldout_frac < 0.5:
            msg = f"`heldout_frac` must lie in [0, 0.5) (received {self.heldout_frac})"
            raise ValueError(msg)


PROFILES: dict[str, tuple[dict, dict]] = {
    # profile: (GeneratorConfig overrides, TrainConfig overrides)
    "tiny": (
        {"d_model": 64, "n_layers": 2, "n_heads": 2, "ctx": 256, "n_prefix": 2, "dropout": 0.0},
        {
            "batch_size": 16,
            "lr": 2e-3,
            "warmup_steps": 10,
            "time_budget_s": 20.0,
            "max_steps": 100,
            "eval_windows": 32,
            "eval_every": 10_000,
            "calib_steps": 3,
        },
    ),
    "default": ({}, {}),
}


# --------------------------------------------------------------------------- data


@dataclass
class Piece:
    ids: np.ndarray  # canonical-key music ids
    bars: np.ndarray  # indices of the Bar tokens in ids
    mode: str  # normalised mode
    row: int  # catalog row (embedding row)


@dataclass
class Batch:
    idx: torch.Tensor  # (B, T) input ids
    target: torch.Tensor  # (B, T) next ids, -100 where not scored
    cond: torch.Tensor | None  # (B, D)
    drop: torch.Tensor  # (B,) bool: use the null prefix


def prepare_pieces(catalog, controls: Controls) -> tuple[list[Piece], dict]:
    """Canonical-key pieces from catalog rows (columns tokens, tonic, mode)."""
    from cantus import tokens

    pieces: list[Piece] = []
    skipped = {"no_bars": 0, "transpose": 0, "no_key": 0}
    for row, (ids, tonic, mode) in enumerate(
        zip(catalog["tokens"], catalog["tonic"], catalog["mode"], strict=True)
    ):
        arr = np.asarray(ids, dtype=np.int64)
        arr = arr[arr < controls.n_music]
        try:
            shift = canonical_shift(tonic_pitch_class(tonic))
        except ValueError:
            skipped["no_key"] += 1
            shift, mode = 0, "other"
        lo, hi = tokens.transpose_bounds(arr)
        for s in (shift, shift - 12, shift + 12):
            if lo <= s <= hi:
                arr = np.asarray(tokens.transpose_ids(arr, s), dtype=np.int64)
                break
        else:
            skipped["transpose"] += 1
            continue
        bars = np.flatnonzero(arr == tokens.bar_token_id())
        if len(bars) == 0:
            skipped["no_bars"] += 1
            continue
        pieces.append(Piece(ids=arr, bars=bars, mode=normalise_mode(mode), row=row))
    return pieces, skipped


class WindowSampler:
    """Draws training sequences (controls + window + EOS) and their conditions."""

    def __init__(
        self,
        pieces: list[Piece],
        controls: Controls,
        tcfg: TrainConfig,
        max_music: int,
        embeddings: np.ndarray | None,
        neighbours: np.ndarray | None,
        cond_dropout: float = 0.0,
    ) -> None:
        self.pieces, self.controls, self.tcfg = pieces, controls, tcfg
        self.cond_dropout = cond_dropout if embeddings is not None else 1.0  # share of null conds
        self.max_music = max_music  # most music tokens incl. EOS
        self.emb, self.nbrs = embeddings, neighbours
        from generator.vocab import tables

        self.t = tables()

    def window(self, p: Piece, rng: np.random.Generator) -> tuple[list[int], int, str]:
        nb = len(p.bars)
        if rng.random() < self.tcfg.p_long:
            n = int(rng.integers(self.tcfg.long_min_bars, MAX_BARS + 1))
        else:
            n = int(rng.integers(self.tcfg.min_bars, MAX_BARS + 1))
        n = min(n, nb)
        start = 0 if rng.random() < self.tcfg.p_opening else int(rng.integers(0, nb - n + 1))
        ends = np.append(p.bars, len(p.ids))
        while n > 1 and ends[start + n] - p.bars[start] + 1 > self.max_music:
            n -= 1
        music = p.ids[p.bars[start] : ends[start + n]].tolist()
        if len(music) + 1 > self.max_music:  # one bar longer than the context: cut, no EOS
            return music[: self.max_music], n, self._meter(music)
        return [*music, self.t.eos], n, self._meter(music)

    def _meter(self, music: list[int]) -> str:
        ts = self.t.ts_of_id.get(music[1]) if len(music) > 1 else None
        return ts if ts in self.controls.meters else "4/4"

    def condition(self, p: Piece, rng: np.random.Generator) -> np.ndarray | None:
        if self.emb is None:
            return None
        own = self.emb[p.row]
        k = int(rng.integers(1, N_NEIGHBOURS + 1))
        chosen = rng.choice(self.nbrs[p.row], size=k, replace=False)
        centroid = self.emb[chosen].mean(axis=0)
        a = rng.random()
        c = a * own + (1 - a) * centroid
        return c / max(float(np.linalg.norm(c)), 1e-6)

    def example(self, p: Piece, rng: np.random.Generator) -> tuple[list[int], np.ndarray | None]:
        music, n, meter = self.window(p, rng)
        return self.controls.prompt(meter, p.mode, n) + music, self.condition(p, rng)

    def batches(self, rng: np.random.Generator, order: np.ndarray | None = None) -> list[Batch]:
        """``pool_batches`` batches drawn together, sorted by length to limit padding."""
        size = self.tcfg.batch_size * self.tcfg.pool_batches
        picks = order if order is not None else rng.integers(0, len(self.pieces), size=size)
        examples = [self.example(self.pieces[int(i)], rng) for i in picks]
        examples.sort(key=lambda e: len(e[0]))
        chunks = [
            examples[i : i + self.tcfg.batch_size]
            for i in range(0, len(examples), self.tcfg.batch_size)
        ]
        batches = [self.collate(chunk, rng) for chunk in chunks]
        rng.shuffle(batches)
        return batches

    def collate(
        self, chunk: list[tuple[list[int], np.ndarray | None]], rng: np.random.Generator
    ) -> Batch:
        length = max(len(seq) for seq, _ in chunk) - 1
        idx = torch.full((len(chunk), length), self.t.pad, dtype=torch.long)
        target = torch.full((len(chunk), length), -100, dtype=torch.long)
        for r, (seq, _) in enumerate(chunk):
            s = torch.tensor(seq, dtype=torch.long)
            idx[r, : len(seq) - 1] = s[:-1]
            target[r, : len(seq) - 1] = s[1:]
            target[r, :2] = -100  # the mode and bars controls are given, not predicted
        cond = None
        if self.emb is not None:
            cond = torch.from_numpy(np.stack([c for _, c in chunk]).astype(np.float32))
        drop = torch.from_numpy(rng.random(len(chunk)) < self.cond_dropout)
        return Batch(idx=idx, target=target, cond=cond, drop=drop)


def load_embeddings(out_dir: Path, n_rows: int) -> tuple[np.ndarray | None, str | None]:
    """(float32 (N, D) L2-normalised embeddings, encoder_id) or (None, None) with a warning."""
    path = out_dir / "embeddings.npy"
    if not path.is_file():
        log.warning(
            "generator: %s not found; training an UNCONDITIONED generator "
            "(seeds will follow key, metre and length, not favourites)",
            path,
        )
        return None, None
    emb = np.load(path).astype(np.float32)
    if emb.shape[0] != n_rows:
        log.warning(
            "generator: embeddings have %d rows but the catalog %d; training unconditioned",
            emb.shape[0],
            n_rows,
        )
        return None, None
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-6)
    meta = out_dir / "embeddings.json"
    encoder_id = json.loads(meta.read_text()).get("encoder_id") if meta.is_file() else None
    return emb, encoder_id


def nearest_neighbours(emb: np.ndarray, k: int = N_NEIGHBOURS) -> np.ndarray:
    """(N, k) rows of each row's k nearest neighbours by cosine (self excluded)."""
    import faiss

    k = min(k, len(emb) - 1)
    index = faiss.IndexFlatIP(emb.shape[1])
    index.add(emb)
    _, nn = index.search(emb, k + 1)
    out = np.empty((len(emb), k), dtype=np.int64)
    for r, row in enumerate(nn):
        others = [j for j in row if j != r and j >= 0][:k]
        out[r] = others + [others[-1]] * (k - len(others))
    return out


def split_pieces(
    pieces: list[Piece], ids: list[str], frac: float
) -> tuple[list[Piece], list[Piece]]:
    """Stable train / held-out split by a hash of the piece id."""
    import zlib

    held = [p for p in pieces if zlib.crc32(ids[p.row].encode()) % 1000 < frac * 1000]
    train = [p for p in pieces if zlib.crc32(ids[p.row].encode()) % 1000 >= frac * 1000]
    return train, held


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


def lr_at(step: int, total: int, tcfg: TrainConfig) -> float:
    if step < tcfg.warmup_steps:
        return tcfg.lr * (step + 1) / tcfg.warmup_steps
    frac = min(1.0, (step - tcfg.warmup_steps) / max(1, total - tcfg.warmup_steps))
    return tcfg.lr * (
        tcfg.min_lr_frac + (1 - tcfg.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * frac))
    )


def make_optimizer(model: SeedTransformer, tcfg: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "emb" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "emb" not in n)]
    groups = [
        {"params": decay, "weight_decay": tcfg.weight_decay},
        {"params": rest, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=tcfg.lr, betas=(0.9, 0.95))


@dataclass
class TrainResult:
    steps: int
    seconds: float
    losses: list[float] = field(default_factory=list)  # training loss per step


class Pacer:
    """Fits training into ``tcfg.time_budget_s`` on a machine whose speed changes under it.

    * The step count is estimated after ``calib_steps`` and re-estimated every ``RECALIBRATE``
      steps from the mean of recent step times (the cosine schedule follows the estimate).
    * On CPU with ``tcfg.threads == 0`` every ``PROBE_EVERY`` steps a few steps run on the
      other thread count (1 <-> 2) and the faster one is kept: on a shared 2-core box a
      second thread is 2x faster when idle and 3-5x slower when others are busy.

    With ``steps`` given (and fixed threads) nothing adapts, so runs are reproducible.
    """

    RECALIBRATE = 50  # steps between step-count estimates
    PROBE_EVERY = 100  # steps between thread-count probes
    PROBE_LEN = 5  # steps per probe

    def __init__(self, tcfg: TrainConfig, steps: int | None, cpu: bool) -> None:
        self.tcfg, self.fixed = tcfg, steps
        self.total = steps or tcfg.max_steps
        self.start = time.perf_counter()
        self.times: list[float] = []
        self.by_threads: dict[int, list[float]] = {1: [], 2: []}
        self.adaptive = cpu and steps is None and tcfg.threads == 0
        self.current = torch.get_num_threads()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def threads_for(self, step: int) -> int:
        probing = (
            self.adaptive and step >= self.PROBE_EVERY and step % self.PROBE_EVERY < self.PROBE_LEN
        )
        threads = 3 - self.current if probing and self.current in (1, 2) else self.current
        if self.adaptive and threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        return threads

    def record(self, step: int, threads: int, seconds: float) -> None:
        """Book a finished step (``step`` counts from 1) and adapt the plan."""
        self.times.append(seconds)
        self.by_threads.setdefault(threads, []).append(seconds)
        if self.adaptive and step >= self.PROBE_EVERY and step % self.PROBE_EVERY == self.PROBE_LEN:
            self._maybe_switch()
        due = step == self.tcfg.calib_steps or (
            step > self.tcfg.calib_steps and step % self.RECALIBRATE == 0
        )
        if self.fixed is None and due:
            first = step == self.tcfg.calib_steps  # skip warm-up steps on the first estimate
            window = self.times[5:] if first else self.times[-self.RECALIBRATE :]
            recent = float(np.mean(window or self.times))  # mean: batch lengths vary, spikes count
            left = int((self.tcfg.time_budget_s - self.elapsed()) / recent)
            total = max(step + 1, min(self.tcfg.max_steps, step + left))
            if total != self.total:
                log.info(
                    "generator: %.2fs/step -> %d steps for a %.0fs budget",
                    recent,
                    total,
                    self.tcfg.time_budget_s,
                )
            self.total = total

    def _maybe_switch(self) -> None:
        other = 3 - self.current
        probe = float(np.median(self.by_threads[other][-self.PROBE_LEN :]))
        main = float(np.median(self.by_threads[self.current][-20:]))
        if probe < 0.9 * main:
            log.info(
                "generator: %d thread(s) now faster (%.2fs vs %.2fs/step): switching",
                other,
                probe,
                main,
            )
            self.current = other


def train_loop(
    model: SeedTransformer,
    sampler: WindowSampler,
    tcfg: TrainConfig,
    rng: np.random.Generator,
    device: torch.device,
    steps: int | None = None,
    eval_batches: list[Batch] | None = None,
) -> TrainResult:
    """Optimise ``model``; ``steps=None`` fits the step count to ``tcfg.time_budget_s``."""
    opt = make_optimizer(model, tcfg)
    model.train()
    pacer = Pacer(tcfg, steps, cpu=device.type == "cpu")
    queue: list[Batch] = []
    result = TrainResult(steps=0, seconds=0.0)
    step = 0
    while step < pacer.total:
        if not queue:
            queue = sampler.batches(rng)
        threads = pacer.threads_for(step)
        started = time.perf_counter()
        result.losses.append(
            _optimise(model, opt, queue.pop(), lr_at(step, pacer.total, tcfg), tcfg, device)
        )
        step += 1
        pacer.record(step, threads, time.perf_counter() - started)
        if step % 50 == 0 or step == pacer.total:
            eta = pacer.elapsed() / step * (pacer.total - step)
            recent = float(np.mean(result.losses[-50:]))
            log.info(
                "generator step %d/%d loss %.3f (%.0fs, eta %.0fs)",
                step,
                pacer.total,
                recent,
                pacer.elapsed(),
                eta,
            )
        if eval_batches and step % tcfg.eval_every == 0 and step < pacer.total:
            log.info(
                "generator step %d held-out nll %.4f",
                step,
                heldout_nll(model, eval_batches, device),
            )
    result.steps, result.seconds = step, pacer.elapsed()
    return result


def _optimise(
    model: SeedTransformer,
    opt: torch.optim.Optimizer,
    batch: Batch,
    lr: float,
    tcfg: TrainConfig,
    device: torch.device,
) -> float:
    for g in opt.param_groups:
        g["lr"] = lr
    loss, _ = sequence_loss(model, batch, device)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), tcfg.grad_clip)
    opt.step()
    return loss.item()


# --------------------------------------------------------------------------- build stage


def pick_device() -> torch.device:
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def pick_threads(model: SeedTransformer, batch: Batch, device: torch.device) -> int:
    """1 or 2 CPU threads, whichever runs a forward+backward pass faster right now.

    On a shared 2-core machine a second thread often *slows* training (measured 2x slower under
    load), so the choice is measured, not assumed. The model's weights are left unchanged.
    """
    timings = {}
    for threads in (1, 2, 1, 2):
        torch.set_num_threads(threads)
        start = time.perf_counter()
        loss, _ = sequence_loss(model, batch, device)
        loss.backward()
        timings[threads] = min(timings.get(threads, float("inf")), time.perf_counter() - start)
    model.zero_grad(set_to_none=True)
    best = min(timings, key=timings.get)
    log.info(
        "generator: %s s per pass by threads -> %d thread(s)",
        {k: round(v, 2) for k, v in timings.items()},
        best,
    )
    return best


def build_generator(out_dir: Path, profile: str, seed: int = 0, steps: int | None = None) -> dict:
    """Train the generator on ``out_dir``'s catalog (+ embeddings) and save it there."""
    from cantus.catalog import load_catalog

    if profile not in PROFILES:
        msg = f"unknown profile {profile!r} (expected one of {sorted(PROFILES)})"
        raise ValueError(msg)
    out_dir = Path(out_dir)
    model_kw, train_kw = PROFILES[profile]
    tcfg = TrainConfig(**train_kw)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = pick_device()
    catalog = load_catalog(out_dir, columns=["id", "tokens", "tonic", "mode"], include_user=False)
    controls = default_controls()
    emb, encoder_id = load_embeddings(out_dir, len(catalog))
    cfg = GeneratorConfig(
        vocab_size=controls.vocab_size,
        n_music=controls.n_music,
        cond_dim=emb.shape[1] if emb is not None else 1,
        **model_kw,
    )
    pieces, skipped = prepare_pieces(catalog, controls)
    ids = list(catalog["id"])
    train_p, held_p = split_pieces(pieces, ids, tcfg.heldout_frac)
    if not held_p:  # tiny catalogs: hold out a few pieces anyway
        held_p, train_p = (
            train_p[: max(1, len(train_p) // 20)],
            train_p[max(1, len(train_p) // 20) :],
        )
    nbrs = nearest_neighbours(emb) if emb is not None else None
    max_music = cfg.ctx - cfg.n_prefix - 3
    sampler = WindowSampler(train_p, controls, tcfg, max_music, emb, nbrs, cfg.cond_dropout)
    held_sampler = WindowSampler(held_p, controls, tcfg, max_music, emb, nbrs)
    eval_rng = np.random.default_rng(seed + 1)
    eval_order = eval_rng.integers(0, len(held_p), size=tcfg.eval_windows)
    eval_batches = held_sampler.batches(eval_rng, order=eval_order)
    model = SeedTransformer(cfg).to(device)
    log.info(
        "generator: %d params, %d train / %d held-out pieces, device %s",
        model.n_params(),
        len(train_p),
        len(held_p),
        device,
    )
    threads_before = torch.get_num_threads()
    try:
        if device.type == "cpu":
            torch.set_num_threads(tcfg.threads or pick_threads(model, eval_batches[0], device))
        result = train_loop(
            model, sampler, tcfg, rng, device, steps=steps, eval_batches=eval_batches
        )
    finally:
        torch.set_num_threads(threads_before)
    metrics = {
        "params": model.n_params(),
        "steps": result.steps,
        "train_seconds": round(result.seconds, 1),
        "train_loss_first": round(float(np.mean(result.losses[:10])), 4),
        "train_loss_last": round(float(np.mean(result.losses[-50:])), 4),
        "heldout_nll": round(heldout_nll(model, eval_batches, device), 4),
        "heldout_nll_uncond": round(heldout_nll(model, eval_batches, device, drop_all=True), 4),
        "train_pieces": len(train_p),
        "heldout_pieces": len(held_p),
        "skipped": skipped,
        "conditioned": emb is not None,
        "device": device.type,
        "seed": seed,
        "profile": profile,
    }
    save_generator(out_dir / GENERATOR_DIR, model, controls, tcfg, encoder_id, metrics)
    log.info("generator: %s", metrics)
    return metrics
