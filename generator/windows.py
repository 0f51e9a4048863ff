"""Generator training data: canonical-key pieces, bar-aligned windows and their conditions.

Training examples (see :class:`WindowSampler`):

* a bar-aligned window of 1..16 bars of one piece (mostly 8..16, often the opening), transposed
  so its tonic is C (the key control token is the mode; seeds are transposed to the requested
  tonic afterwards), preceded by the control tokens (metre of the window, mode, bars) and
  followed by EOS;
* for pieces whose sources mark phrases (``generator.phrase_bounds``), with ``p_phrase`` the
  window is whole phrases instead: it starts at a phrase start and stops at the phrase end
  nearest the drawn length, so EOS follows a phrase end rather than an arbitrary bar line;
* the condition is ``normalise(a * own + (1 - a) * centroid(k random of its 8 nearest
  neighbours))`` with ``a ~ U(0, 1)``, so the model also sees pure neighbour centroids, which is
  what inference gives it (the centroid of favourites or of the ``--from`` pieces);
* the condition is dropped (null prefix) for ``cond_dropout`` of the examples.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from generator.train_config import TrainConfig
from generator.vocab import MAX_BARS, Controls, canonical_shift, normalise_mode, tonic_pitch_class

log = logging.getLogger(__name__)

N_NEIGHBOURS = 8  # neighbours whose centroid is blended into a piece's condition


@dataclass
class Piece:
    ids: np.ndarray  # canonical-key music ids
    bars: np.ndarray  # indices of the Bar tokens in ids
    mode: str  # normalised mode
    row: int  # catalog row (embedding row)
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # phrase-end bars


@dataclass
class Batch:
    idx: torch.Tensor  # (B, T) input ids
    target: torch.Tensor  # (B, T) next ids, -100 where not scored
    cond: torch.Tensor | None  # (B, D)
    drop: torch.Tensor  # (B,) bool: use the null prefix


def prepare_pieces(
    catalog, controls: Controls, phrases: dict[str, list[int]] | None = None
) -> tuple[list[Piece], dict]:
    """Canonical-key pieces from catalog rows (columns tokens, tonic, mode; and id when
    ``phrases`` maps piece ids to their phrase-end bars)."""
    from cantus import tokens

    piece_ids = list(catalog["id"]) if phrases else None
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
        ends = np.asarray(
            phrases[piece_ids[row]] if piece_ids and piece_ids[row] in phrases else [],
            dtype=np.int64,
        )
        ends = ends[ends < len(bars)]
        pieces.append(Piece(ids=arr, bars=bars, mode=normalise_mode(mode), row=row, ends=ends))
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
        p_phrase: float | None = None,
    ) -> None:
        self.pieces, self.controls, self.tcfg = pieces, controls, tcfg
        # share of whole-phrase windows (None: the run's setting; 0 keeps held-out NLL
        # windows identical to those of models trained before phrase windows)
        self.p_phrase = tcfg.p_phrase if p_phrase is None else p_phrase
        self.cond_dropout = cond_dropout if embeddings is not None else 1.0  # share of null conds
        self.max_music = max_music  # most music tokens incl. EOS
        self.emb, self.nbrs = embeddings, neighbours
        from generator.vocab import tables

        self.t = tables()

    def _length(self, rng: np.random.Generator) -> int:
        if rng.random() < self.tcfg.p_long:
            return int(rng.integers(self.tcfg.long_min_bars, MAX_BARS + 1))
        return int(rng.integers(self.tcfg.min_bars, MAX_BARS + 1))

    def window(self, p: Piece, rng: np.random.Generator) -> tuple[list[int], int, str]:
        if self.p_phrase > 0 and len(p.ends) and rng.random() < self.p_phrase:
            aligned = self.phrase_window(p, rng)
            if aligned is not None:
                return aligned
        nb = len(p.bars)
        n = min(self._length(rng), nb)
        start = 0 if rng.random() < self.tcfg.p_opening else int(rng.integers(0, nb - n + 1))
        ends = np.append(p.bars, len(p.ids))
        while n > 1 and ends[start + n] - p.bars[start] + 1 > self.max_music:
            n -= 1
        music = p.ids[p.bars[start] : ends[start + n]].tolist()
        if len(music) + 1 > self.max_music:  # one bar longer than the context: cut, no EOS
            return music[: self.max_music], n, self._meter(music)
        return [*music, self.t.eos], n, self._meter(music)

    def phrase_window(
        self, p: Piece, rng: np.random.Generator
    ) -> tuple[list[int], int, str] | None:
        """Whole phrases: from a phrase start to the phrase end nearest the drawn length, within
        MAX_BARS and the context; None when no phrase fits (today's window is used)."""
        n = self._length(rng)
        starts = np.concatenate(([0], p.ends[:-1] + 1))
        start = 0 if rng.random() < self.tcfg.p_opening else int(rng.choice(starts))
        tok_end = np.append(p.bars, len(p.ids))  # token index where bar b ends: tok_end[b + 1]
        ends = p.ends[p.ends >= start]
        ends = ends[(ends - start + 1 <= MAX_BARS)]
        ends = ends[tok_end[ends + 1] - p.bars[start] + 1 <= self.max_music]
        if len(ends) == 0:
            return None
        end = int(ends[np.argmin(np.abs(ends - start + 1 - n))])
        music = p.ids[p.bars[start] : tok_end[end + 1]].tolist()
        return [*music, self.t.eos], end - start + 1, self._meter(music)

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


def is_heldout(piece_id: str, frac: float) -> bool:
    """Whether the generator holds ``piece_id`` out of training (stable hash of the id): the
    evaluation draws its test requests from these pieces only."""
    import zlib

    return zlib.crc32(piece_id.encode()) % 1000 < frac * 1000


def split_pieces(
    pieces: list[Piece], ids: list[str], frac: float
) -> tuple[list[Piece], list[Piece]]:
    """Stable train / held-out split by a hash of the piece id (``is_heldout``)."""
    held = [p for p in pieces if is_heldout(ids[p.row], frac)]
    train = [p for p in pieces if not is_heldout(ids[p.row], frac)]
    return train, held
