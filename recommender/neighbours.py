"""Precomputed ``similar`` neighbours of every catalog row: the top ``NEIGHBOURS`` rows and
scores of the very ranking :meth:`MusicSearch._similar` computes live (music cosine fused with
the melody cosine, the row itself left out, ties by row), built in blocks of rows (the melody
cosines one sparse product per block, the music cosines row by row: the product ``similar``
makes, so the scores agree to the bit) and cached beside the melody index.

The cache is keyed by the melody index's key (the rows' ids and the melody constants), the
fusion constants and the embeddings' bytes, so a changed catalog (``cantus ingest``, a new
encoder) never reads stale neighbours: ``similar`` ranks live until a table is built for that
catalog.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cantus.atomic import atomic_path
from cantus.threads import on_one_blas_thread
from recommender.engine_data import _unit_rows, melody_key
from recommender.melody import MELODY_WEIGHT, MelodyIndex, fuse

log = logging.getLogger(__name__)

NEIGHBOURS = 50  # the largest k served from the table; larger k ranks live
NEIGHBOURS_VERSION = "1"  # bump when the file layout or the ranking it stores changes
BLOCK = 256  # query rows per block: (256, N) float32 scores, ~15 MB at 15k rows


@dataclass(frozen=True)
class Neighbours:
    """Per catalog row: neighbour rows (R, n) int32, fused scores and melody cosines (R, n)
    float32, best first."""

    rows: np.ndarray
    scores: np.ndarray
    tune: np.ndarray

    def serves(self, k: int) -> bool:
        """Whether a top-``k`` is in the table (all of it when the catalog is that small)."""
        return k <= self.rows.shape[1] or self.rows.shape[1] == len(self.rows) - 1


def neighbours_key(ids: list[str], embeddings: np.ndarray) -> str:
    """What the table is made from: the melody index's key, the fusion and the embeddings."""
    digest = hashlib.sha1(f"neighbours:{NEIGHBOURS_VERSION}:{NEIGHBOURS}:{MELODY_WEIGHT}".encode())
    digest.update(melody_key(ids).encode())
    digest.update(np.ascontiguousarray(embeddings, dtype=np.float32).tobytes())
    return digest.hexdigest()[:16]


@on_one_blas_thread  # as `similar`: the same products, the same rounding
def build_neighbours(
    embeddings: np.ndarray, melody: MelodyIndex, n: int = NEIGHBOURS, block: int = BLOCK
) -> Neighbours:
    """The top-``n`` of every row, as ``_similar`` ranks them over the exact catalog;
    ``embeddings`` as the engine holds them (unit rows, ``Engine.embeddings``)."""
    emb = np.asarray(embeddings, dtype=np.float32)
    units = _unit_rows(emb)
    total = len(emb)
    width = min(n, total - 1)
    rows = np.zeros((total, width), dtype=np.int32)
    scores = np.zeros((total, width), dtype=np.float32)
    tune = np.zeros((total, width), dtype=np.float32)
    for start in range(0, total, block):
        stop = min(start + block, total)
        # one product per row, the very one `_similar` makes: a block product (gemm) rounds
        # differently in the last bit and reorders near-ties (8 of 600 top lists, shipped)
        music = np.stack([emb @ units[q] for q in range(start, stop)])
        cos = melody.block_cosines(melody.matrix[start:stop])  # as `cosines`, a block at once
        fused = fuse(music, cos) / (1.0 + MELODY_WEIGHT)
        fused[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # never itself
        for i in range(stop - start):
            top = top_rows(fused[i], width)
            rows[start + i], scores[start + i], tune[start + i] = top, fused[i, top], cos[i, top]
    return Neighbours(rows, scores, tune)


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best ``scores``, best first, ties by index (as ``_similar``)."""
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = np.argpartition(-scores, k - 1)[:k] if len(scores) > k else np.arange(len(scores))
    # a score tied with the k-th may lie outside the partition: take every tie, then order
    cand = np.union1d(cand, np.flatnonzero(scores == scores[cand].min()))
    return cand[np.lexsort((cand, -scores[cand]))][:k]


def cached_neighbours(
    ids: list[str], embeddings: np.ndarray, cache_dirs: list[Path]
) -> Neighbours | None:
    """The table for these rows from the first of ``cache_dirs`` that holds it; None (and the
    reason in the debug log) when none does."""
    key = neighbours_key(ids, embeddings)
    for folder in cache_dirs:
        path = folder / f"neighbours-{key}.npz"
        if not path.is_file():
            continue
        with np.load(path) as data:  # our own file (no pickles): plain arrays
            if str(data["key"]) == key and data["rows"].shape[0] == len(ids):
                return Neighbours(data["rows"], data["scores"], data["tune"])
        log.debug("neighbours file %s does not match its name; ignored", path)
    log.debug("no precomputed neighbours for key %s in %s: similar ranks live", key, cache_dirs)
    return None


def save_neighbours(table: Neighbours, key: str, folder: Path) -> Path:
    """Write ``table`` as ``neighbours-<key>.npz`` in ``folder`` (atomically), older ones pruned."""
    from cantus import config

    path = folder / f"neighbours-{key}.npz"
    with atomic_path(path, suffix=".tmp.npz") as tmp:
        np.savez(tmp, key=np.array(key), rows=table.rows, scores=table.scores, tune=table.tune)
    config.prune_cache(path, "neighbours-*.npz")  # one table, not one per ingest
    return path


def build_shared_neighbours(cache_dir: Path | None = None) -> Path | None:
    """The data dir's neighbours (no user pieces) into the virtual environment's cache beside
    the melody index (``make install``); None when the catalog is beyond ``exact_max``, where
    ``similar`` ranks an approximate pool live that a table of exact neighbours would not match."""
    from cantus import config
    from recommender.encoder import load_encoder
    from recommender.engine_data import (
        _cached_melody_index,
        _read_catalog,
        _read_embeddings,
        _read_tokens,
    )
    from recommender.query_text import shared_cache_dir
    from recommender.search_types import SearchConfig

    folder = config.data_dir()
    ids = _read_catalog(folder)["id"].astype(str).tolist()
    if len(ids) > SearchConfig().exact_max:
        log.info("catalog of %d rows is beyond exact_max: no neighbours table", len(ids))
        return None
    # the engine's unit rows: the table is keyed by (and ranks with) what the engine holds
    embeddings = _unit_rows(_read_embeddings(folder, len(ids), load_encoder(folder).encoder_id))
    out = cache_dir or shared_cache_dir()
    melody = _cached_melody_index(ids, lambda: _read_tokens([folder]), out)
    started = time.perf_counter()
    table = build_neighbours(embeddings, melody)
    log.info("neighbours of %d rows in %.1fs", len(ids), time.perf_counter() - started)
    return save_neighbours(table, neighbours_key(ids, embeddings), out)
