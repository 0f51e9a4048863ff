"""Encoder training data: the held-out split by tune, the caption table, and the batches."""

from __future__ import annotations

import contextlib
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import BadInput, MissingArtifact
from recommender.train_config import TrainConfig

if TYPE_CHECKING:
    import pandas as pd

    from recommender.encoder_config import EncoderConfig

CATALOG_COLUMNS = [  # the catalog columns training reads
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
    from cantus.caption_evidence import key_name

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


def _balance_weights(
    rows: np.ndarray, groups: np.ndarray | None, balance: float
) -> np.ndarray | None:
    """Draw probabilities ∝ (pieces in the row's collection)^-balance, or None (plain epochs)."""
    if groups is None or balance == 0:
        return None
    _, inverse, counts = np.unique(groups[rows], return_inverse=True, return_counts=True)
    weights = counts[inverse].astype(np.float64) ** -balance
    return weights / weights.sum()
