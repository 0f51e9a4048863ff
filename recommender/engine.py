"""Search, similar and nearest over the catalog: the one object every front end shares.

Hybrid text search scores each piece as

    score = w_c · cos(text tower(query), music embedding) + w_t · cos(MiniLM(query), captions)

where *captions* is the piece's mean caption sentence vector (precomputed, see
:func:`caption_matrix`). Both parts live in **one** faiss index over the concatenated unit
vectors ``[music | captions]``: searching it with ``[w_c·q_music | w_t·q_text]`` returns the
exact hybrid top-k in a single pass, and ``[v | 0]`` gives plain music similarity for
``similar`` / ``nearest``. Weights live in :class:`SearchConfig` and act on the query side, so
changing them needs no rebuild.

When the query names musical facts in the captions' vocabulary ("melancholy" = minor and slow,
"waltz" = waltz or 3/4, "fast", "dorian", ...: :func:`query_facets`; a key named outright:
``query_keys``), the best hybrid candidates are re-scored with a small bonus for the share of
those facts each piece has.

Filters (``meter=3/4``, ``mode=minor``, ...) are applied by over-fetching from the index and
growing the fetch until ``k`` hits pass; a very selective filter falls back to exact scoring of
the matching rows, so a filtered search returns ``k`` whenever ``k`` pieces match.

This module holds the engine's state (catalog, vectors, index, lookups, filters);
``recommender.text_search`` (``search``: dense hybrid + facets + BM25) and
``recommender.music_search`` (``similar``, ``nearest``, music files) are mixed into it.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantus.errors import BadInput, MissingArtifact
from cantus.precheck import no_match_message
from recommender.checks import (  # noqa: F401 (re-exported: callers import them from here)
    FILTER_FIELDS,
    LIST_FIELDS,
    MAX_K,
    MAX_QUERY_CHARS,
    PRESENCE_FIELDS,
    _fold,
    check_k,
    check_query,
    parse_filters,
)
from recommender.dense_bounds import DenseBounds
from recommender.engine_data import (  # noqa: F401 (re-exported: callers import them from here)
    CAPTION_FILE,
    CATALOG_COLUMNS,
    _cached_melody_index,
    _plain,
    _read_embeddings,
    _sha_of_ids,
    _text,
    _unit_rows,
    build_caption_embeddings,
    caption_matrix,
    load_parts,
)
from recommender.facets import FacetRows
from recommender.index import EXACT, VectorIndex
from recommender.lexical import FieldWords, LexicalIndex
from recommender.melody import MelodyIndex
from recommender.music_search import MusicSearch
from recommender.neighbours import Neighbours
from recommender.query_text import TextEmbedder
from recommender.search_types import HIT_FIELDS, Encoder, Hit, SearchConfig
from recommender.text_search import TextSearch

log = logging.getLogger(__name__)
_USED_BY = {"caption": "search", "melody": "similar"}  # the command each channel serves


class Engine(TextSearch, MusicSearch):
    def __init__(
        self,
        catalog: pd.DataFrame,
        embeddings: np.ndarray,
        encoder: Encoder,
        caption_embeddings: np.ndarray | None = None,
        text_embedder: TextEmbedder | None = None,
        config: SearchConfig | None = None,
        describe: Callable[[dict[str, Any]], str] | None = None,
        index: VectorIndex | None = None,
        melody_tokens: Callable[[], list[np.ndarray]] | None = None,
    ) -> None:
        self.config = config or SearchConfig()
        self.data_dir: Path | None = None  # the data dir :meth:`load` read (None if injected)
        self.catalog = catalog.reset_index(drop=True)
        self.embeddings = _unit_rows(embeddings)  # (N, D) float32
        self.encoder = encoder
        self.caption_embeddings = (
            None if caption_embeddings is None else _unit_rows(caption_embeddings)
        )
        self._text_embedder = text_embedder
        self._describe = describe
        self._check_shapes()
        self._rows = {pid: i for i, pid in enumerate(self.catalog["id"].astype(str))}
        self.index = index if index is not None else self._build_index()
        self._folded: dict[str, np.ndarray] = {}  # filter field -> folded column values
        self._facets: dict[str, np.ndarray] = {}  # facet name -> rows that have it
        self._evidence: FacetRows | None = None  # rows' Evidence, lazily
        self._shown: dict[int, dict[str, str]] = {}  # row -> Hit fields but the score
        # rows' music tokens, read only when `similar` first needs its melody index
        self._melody_tokens = melody_tokens
        self._melody: MelodyIndex | None = None
        self._melody_lock = threading.Lock()
        self._neighbours: Neighbours | None = None  # read with the melody index, once
        self._neighbours_read = False
        self._lexical: LexicalIndex | None = None
        self._bounds: DenseBounds | None = None  # sketch of the vectors, on the first search
        self._field_words: dict[int, tuple[FieldWords, ...]] = {}  # row -> `why`'s fields
        self._records: dict[int, dict[str, Any]] = {}  # row -> plain catalog record
        self._columns: dict[str, list[Any]] | None = None  # catalog columns as Python lists
        self._embed_query = functools.lru_cache(maxsize=self.config.query_cache)(
            self._embed_query_uncached
        )
        for channel, reason in self.channels_off().items():  # said once, not per query
            log.warning(
                "%s channel off (%s runs without it): %s", channel, _USED_BY[channel], reason
            )

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def load(cls, data_dir: Path | str | None = None, config: SearchConfig | None = None) -> Engine:
        """The engine over a data dir (default ``cantus.config.data_dir()``) plus user pieces."""
        from cantus.config import cantus_home
        from recommender.vectors import vectors_setting

        vectors_setting()  # a malformed CANTUS_VECTORS fails before the slow load
        config = config or SearchConfig(index_cache_dir=str(cantus_home() / "index"))
        started = time.perf_counter()
        folder = Path(data_dir) if data_dir is not None else None
        engine = cls(**load_parts(folder), config=config)
        engine.data_dir = folder or _default_data_dir()
        log.info(
            "engine loaded %d pieces in %.2fs", len(engine.catalog), time.perf_counter() - started
        )
        return engine

    def _check_shapes(self) -> None:
        n = len(self.catalog)
        if self.embeddings.shape[0] != n:
            got = self.embeddings.shape[0]
            msg = f"{got} embeddings for {n} catalog rows; re-embed with `cantus build`"
            raise MissingArtifact(msg)
        if self.caption_embeddings is not None and self.caption_embeddings.shape[0] != n:
            msg = f"{self.caption_embeddings.shape[0]} caption embeddings for {n} catalog rows"
            raise MissingArtifact(msg)
        if n == 0:
            msg = "the catalog is empty; run `cantus build` or `cantus ingest PATH`"
            raise MissingArtifact(msg)

    @property
    def hybrid(self) -> bool:
        """True when search mixes in caption similarity (caption vectors and MiniLM present)."""
        return self.caption_embeddings is not None and self._text_embedder is not None

    def channels_off(self) -> dict[str, str]:
        """Channels this engine cannot use, each with the reason (empty: all on): ``caption``
        (text search) and ``melody`` (similar). Both commands still run without them, but say
        so: the CLI's ``--json`` carries them as ``channels_off``, and the engine logs a
        warning when it is made."""
        off = {}
        if self.caption_embeddings is None:
            off["caption"] = "no caption vectors (caption_embeddings.npy) for this catalog"
        elif self._text_embedder is None:
            off["caption"] = "no MiniLM query embedder to compare queries with captions"
        if self._melody_tokens is None:
            off["melody"] = "no stored music tokens to build the melody index from"
        return off

    def _joint_vectors(self) -> np.ndarray:
        """Rows the index stores: ``[music | captions]`` when hybrid, else music alone."""
        if self.caption_embeddings is None:
            return self.embeddings
        return np.hstack([self.embeddings, self.caption_embeddings])  # (N, D + 384)

    def _build_index(self) -> VectorIndex:
        """Exact index up to ``exact_max`` pieces; beyond, a tuned approximate one, cached."""
        vectors = self._joint_vectors()
        encoder_id = getattr(self.encoder, "encoder_id", "")
        from recommender.vectors import configured_store

        store = configured_store(self.catalog, vectors, encoder_id)  # CANTUS_VECTORS
        if store is not None:
            return store  # type: ignore[return-value]  # same search interface
        if len(vectors) <= self.config.exact_max:
            return VectorIndex.build(vectors, factory=EXACT, encoder_id=encoder_id)
        path = self._index_cache_path(vectors.shape[1])
        if path is not None and path.is_file():
            try:
                return VectorIndex.load(path, encoder_id=encoder_id)
            except MissingArtifact as exc:
                log.warning("rebuilding the index: %s", exc)
        started = time.perf_counter()
        factory = self._factory(len(vectors))
        index = VectorIndex.build(vectors, factory=factory, encoder_id=encoder_id)
        index.tune(_held_out_queries(vectors, self.embeddings.shape[1]), vectors=vectors)
        seconds = time.perf_counter() - started
        log.info("built %s over %d pieces in %.1fs", factory, len(vectors), seconds)
        if path is not None:
            index.save(path)
            _prune_index_cache(path)
        return index

    def _factory(self, n: int) -> str:
        return self.config.factory or f"IVF{2 ** round(math.log2(math.sqrt(n)))},Flat"

    def _index_cache_path(self, dim: int) -> Path | None:
        """Where the approximate index of exactly this catalog, encoder and layout is kept."""
        if self.config.index_cache_dir is None:
            return None
        ids = self.catalog["id"].astype(str)
        key = _sha_of_ids([getattr(self.encoder, "encoder_id", ""), str(dim), *ids])
        name = re.sub(r"[^A-Za-z0-9]+", "_", self._factory(len(self.catalog)))
        return Path(self.config.index_cache_dir) / f"index-{name}-{key}.faiss"

    # -- lookups ----------------------------------------------------------------------------

    def __contains__(self, piece_id: object) -> bool:
        return piece_id in self._rows

    def row(self, piece_id: str) -> int:
        """Catalog row of ``piece_id``; BadInput if unknown."""
        try:
            return self._rows[str(piece_id).strip()]
        except KeyError:
            msg = f"unknown piece id {piece_id!r} (ids look like 'm21:oneills1850/0001-0050.abc#1')"
            raise BadInput(msg) from None

    def piece(self, piece_id: str) -> dict[str, Any]:
        """All catalog columns of one piece, JSON-friendly."""
        return _plain(self.catalog.iloc[self.row(piece_id)].to_dict())

    def vector(self, piece_id: str) -> np.ndarray:
        """The piece's music embedding (D,)."""
        return self.embeddings[self.row(piece_id)].copy()

    def _record(self, row: int) -> dict[str, Any]:
        if row not in self._records:  # each shown row is read once
            if self._columns is None:  # catalog.iloc costs ~0.2 ms a row: read columns once
                self._columns = {c: self.catalog[c].tolist() for c in self.catalog.columns}
            self._records[row] = _plain({c: v[row] for c, v in self._columns.items()})
        return self._records[row]

    def filter_mask(self, filters: Mapping[str, Any] | Iterable[str] | None) -> np.ndarray | None:
        """Boolean row mask for the filters (None when there are none); BadInput on no match."""
        parsed = parse_filters(filters)
        if not parsed:
            return None
        mask = np.ones(len(self.catalog), dtype=bool)
        for name, values in parsed.items():
            hit = self._filter_hit(name, values)
            if not hit.any():
                raw = self.catalog.get(name, [])
                if name in PRESENCE_FIELDS:  # never list the rows' texts as "values"
                    raise BadInput(f"no piece in this catalog has {name}={'|'.join(values)}")
                raise BadInput(no_match_message(name, values, raw, name in LIST_FIELDS))
            mask &= hit
        return mask

    def _filter_hit(self, name: str, values: list[str]) -> np.ndarray:
        """Rows passing one parsed filter field (any of its values)."""
        column = self._folded_column(name)
        if name in PRESENCE_FIELDS:  # "lyrics=yes": the row has any; "no": it has none
            has = column != ""
            return ("yes" in values) & has | ("no" in values) & ~has
        wanted = {_fold(v) for v in values}
        if name in LIST_FIELDS:  # "region=Shaanxi" matches "China, Shaanxi, Zizhou"
            return np.fromiter(
                (bool(wanted & {p.strip() for p in v.split(",")}) for v in column),
                bool,
                len(column),
            )
        return np.isin(column, list(wanted))

    # -- internals --------------------------------------------------------------------------

    def _ranked(
        self,
        query_vec: np.ndarray,
        k: int,
        mask: np.ndarray | None,
        skip: frozenset[int],
        where: dict[str, list[str]] | None = None,
    ) -> list[tuple[int, float]]:
        """Best ``k`` (row, score) passing ``mask`` and not in ``skip``: over-fetch, then widen.

        A store that filters itself (Milvus, ``recommender.vectors``) gets the parsed filters
        ``where`` (whose rows ``mask`` holds) instead."""
        if getattr(self.index, "filters_in_store", False):
            return self.index.ranked(query_vec, k, mask, skip, where)  # type: ignore[attr-defined]
        n = self.index.ntotal
        allowed = (
            n - len(skip) if mask is None else int(mask.sum()) - sum(bool(mask[r]) for r in skip)
        )
        want = min(k, max(allowed, 0))
        fetch = min(
            n,
            k + len(skip)
            if mask is None
            else max(self.config.overfetch * k + len(skip), self.config.min_fetch),
        )
        while True:
            scores, rows = self.index.search(query_vec[None], fetch)
            kept = [
                (int(r), float(s))
                for r, s in zip(rows[0], scores[0], strict=True)
                if r >= 0 and int(r) not in skip and (mask is None or mask[r])
            ]
            if len(kept) >= want or fetch >= n:
                break
            fetch = min(n, fetch * 4)
        if len(kept) < want and mask is not None:  # approximate index missed filtered rows
            kept = self._exact_subset(query_vec, np.flatnonzero(mask), skip)
        return kept[:want]

    def _exact_subset(
        self, query_vec: np.ndarray, rows: np.ndarray, skip: frozenset[int]
    ) -> list[tuple[int, float]]:
        rows = np.array([r for r in rows if r not in skip], dtype=np.int64)
        dim = self.embeddings.shape[1]
        scores = self.embeddings[rows] @ query_vec[:dim]
        if self.caption_embeddings is not None:
            scores += self.caption_embeddings[rows] @ query_vec[dim:]
        order = np.argsort(-scores, kind="stable")
        return [(int(rows[i]), float(scores[i])) for i in order]

    def _hit(self, row: int, score: float, matched: str = "") -> Hit:
        if row not in self._shown:  # fields and `why` per row, computed once
            record = self._record(row)
            describe = self._describe or _default_describe()
            fields = {name: _text(record.get(name)) for name in HIT_FIELDS[:7]}
            self._shown[row] = {**fields, "why": describe(record)}
        shown = self._shown[row]
        if matched:
            shown = {**shown, "why": f"{shown['why']}; {matched}" if shown["why"] else matched}
        return Hit(**shown, score=float(score))

    def _folded_column(self, name: str) -> np.ndarray:
        if name not in self._folded:
            column = (
                self.catalog[name] if name in self.catalog else pd.Series([""] * len(self.catalog))
            )
            self._folded[name] = np.array([_fold(v) for v in column], dtype=object)
        return self._folded[name]


# ----------------------------------------------------------------------------------- helpers


def _prune_index_cache(keep: Path) -> None:
    """One cached index (and its sidecar) per data home, not one per ingest."""
    from cantus.config import prune_cache

    prune_cache(keep, "index-*.faiss")
    prune_cache(keep.with_name(keep.name + ".json"), "index-*.faiss.json")


def _held_out_queries(
    vectors: np.ndarray, music_dim: int, n: int = 500, seed: int = 0
) -> np.ndarray:
    """Tuning queries: noisy copies of random rows, music half only (as `nearest` asks)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(vectors), min(n, len(vectors)), replace=False)
    queries = vectors[rows].copy()
    queries[:, music_dim:] = 0.0
    queries[:, :music_dim] += rng.normal(0, 0.05, (len(rows), music_dim)).astype(np.float32)
    return queries


def _default_data_dir() -> Path:
    from cantus.config import data_dir

    return data_dir()


@functools.cache
def _default_describe() -> Callable[[dict[str, Any]], str]:
    from cantus.caption_evidence import describe

    return describe
