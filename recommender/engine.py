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
"waltz" = waltz or 3/4, "fast", "dorian", ...: :func:`query_facets`), the best hybrid
candidates are re-scored with a small bonus for the share of those facts each piece has.

Filters (``meter=3/4``, ``mode=minor``, ...) are applied by over-fetching from the index and
growing the fetch until ``k`` hits pass; a very selective filter falls back to exact scoring of
the matching rows, so a filtered search returns ``k`` whenever ``k`` pieces match.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from cantus.errors import BadInput, MissingArtifact
from cantus.ingest import MUSIC_SUFFIXES  # suffix -> format: what ingest reads, we read
from cantus.precheck import no_match_message
from recommender.checks import (  # noqa: F401 (re-exported: callers import them from here)
    FILTER_FIELDS,
    LIST_FIELDS,
    MAX_K,
    MAX_QUERY_CHARS,
    _fold,
    check_k,
    check_query,
    parse_filters,
)
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
from recommender.facets import EVIDENCE_COLUMNS, FacetRows, query_facets
from recommender.fusion import fuse as fuse_channels
from recommender.fusion import matched_words, top_rows
from recommender.index import EXACT, VectorIndex
from recommender.lexical import LexicalIndex, normalise
from recommender.lexical import data_key as lexical_data_key
from recommender.melody import MELODY_WEIGHT, MelodyIndex, fuse
from recommender.query_text import TextEmbedder, shared_cache_dir

log = logging.getLogger(__name__)

HIT_FIELDS = ("id", "title", "collection", "source", "number", "key", "meter", "score", "why")
FILE_PARSE_LIMIT_S = 60  # a query file is a few bars; longer parses are hostile or huge


class Encoder(Protocol):
    """What the engine needs from ``recommender.encoder.Encoder``."""

    encoder_id: str

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray: ...


@dataclass(frozen=True)
class Hit:
    """One result row; the fields are the DESIGN.md ``--json`` result fields, in order."""

    id: str
    title: str
    collection: str
    source: str
    number: str
    key: str
    meter: str
    score: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchConfig:
    """Ranking weights and index choices for :class:`Engine`."""

    # w_caption, w_facets and w_lexical were chosen on the tune half of the source-judged
    # queries (`recommender.source_queries`; grid in `recommender.eval_search.GRID`, default
    # build): best tune nDCG@10 at 1.0 / 0.8 / 0.3. `cantus eval retrieval` reports the test
    # half (0.864 on 2026-12-01, against BM25 0.590). w_contrastive is the fixed reference.
    w_contrastive: float = 0.5  # weight of cos(text tower(query), music embedding)
    w_caption: float = 1.0  # weight of cos(MiniLM(query), the piece's mean caption vector)
    w_facets: float = 0.8  # weight of the share of the query's facets a piece has
    w_lexical: float = 0.3  # weight of BM25 over the sources' words (0..1, by the best piece)
    rerank_pool: int = 200  # hybrid candidates re-scored when the query names facets
    overfetch: int = 4  # first fetch = overfetch · k (+ exclusions) before filtering
    min_fetch: int = 64  # never fetch fewer candidates than this when filtering
    exact_max: int = 100_000  # catalogs up to this size use exact (Flat) search
    # faiss factory beyond exact_max, tuned to recall@10 ≥ 0.95; "" = IVF with ~sqrt(N) lists
    # (1M x 256 on 2 cores: IVF1024 builds in 25 s, 2.5 ms/query; HNSW32 ~14 min to build)
    factory: str = ""
    query_cache: int = 1024  # query embeddings kept (LRU): repeated queries skip the encoders
    # a best hit below this is a weak match: the widest-margin threshold that best separated
    # the tune half's queries from off-topic text (`recommender.eval_search.tune_weak_match`);
    # test-half accuracy 0.974
    weak_match: float = 0.469
    index_cache_dir: str | None = None  # approximate indexes kept here ($CANTUS_HOME/index)

    def __post_init__(self) -> None:
        weights = (self.w_contrastive, self.w_caption, self.w_facets, self.w_lexical)
        if min(weights) < 0 or sum(weights[:2]) <= 0 or not all(map(math.isfinite, weights)):
            msg = f"search weights must be finite, ≥ 0 and not both 0 (received {weights})"
            raise ValueError(msg)
        if self.overfetch < 1 or self.min_fetch < 1 or self.query_cache < 0:
            msg = f"`overfetch`, `min_fetch` must be ≥ 1, `query_cache` ≥ 0 (received {self})"
            raise ValueError(msg)


# ----------------------------------------------------------------------------------- engine


class Engine:
    """Catalog + embeddings + encoders + index; build with :meth:`load` or inject the parts.

    ``catalog`` rows, ``embeddings`` rows and ``caption_embeddings`` rows are the same pieces in
    the same order. Without caption embeddings (or ``text_embedder``) search is contrastive only.
    ``describe(row_dict) -> str`` writes each hit's ``why`` (default ``cantus.captions.describe``).
    """

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
        self._evidence: FacetRows | None = None  # cantus.captions.Evidence of the rows, lazily
        self._shown: dict[int, dict[str, str]] = {}  # row -> Hit fields but the score
        # rows' music tokens, read only when `similar` first needs its melody index
        self._melody_tokens = melody_tokens
        self._melody: MelodyIndex | None = None
        self._melody_lock = threading.Lock()
        self._lexical: LexicalIndex | None = None
        self._records: dict[int, dict[str, Any]] = {}  # row -> plain catalog record
        self._embed_query = functools.lru_cache(maxsize=self.config.query_cache)(
            self._embed_query_uncached
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

    def embed_file(self, path: Path | str) -> np.ndarray:
        """Music embedding (D,) of the first work in a MIDI/MusicXML/ABC/Humdrum/MEI file."""
        return self._embed_ids(file_token_ids(Path(path)))

    def _embed_ids(self, ids: Sequence[int]) -> np.ndarray:
        return _unit_rows(self.encoder.encode_ids([list(ids)]))[0]

    def melody_index(self) -> MelodyIndex | None:
        """The interval TF-IDF of every row (built or read from cache once); None if unknown."""
        if self._melody is None and self._melody_tokens is not None:
            with self._melody_lock:
                if self._melody is None:
                    self._melody = _cached_melody_index(
                        self.catalog["id"].astype(str), self._melody_tokens, self.encoder
                    )
        return self._melody

    # -- queries ----------------------------------------------------------------------------

    def lexical_index(self) -> LexicalIndex:
        """BM25 over every piece's metadata words (built once, then read from the cache)."""
        if self._lexical is None:
            with self._melody_lock:
                if self._lexical is None:
                    self._lexical = self._load_lexical()
        return self._lexical

    def _load_lexical(self) -> LexicalIndex:
        from cantus.captions import COLLECTION_NAMES

        key = lexical_data_key(self.catalog)
        cache = self.config.index_cache_dir
        path = Path(cache) / f"lexical-{key}.npz" if cache else None
        index = LexicalIndex.load(path, key) if path is not None else None
        if index is None:  # the shipped catalog's, made by `make install`
            index = LexicalIndex.load(shared_cache_dir() / f"lexical-{key}.npz", key)
        if index is None:
            index = LexicalIndex.build(self.catalog.to_dict("records"), COLLECTION_NAMES)
            if path is not None:
                try:
                    index.save(path, key)
                except OSError as exc:
                    log.info("cannot cache the lexical index at %s (%s)", path, exc)
        return index

    def search(
        self, query: str, k: int = 10, filters: Mapping[str, Any] | Iterable[str] | None = None
    ) -> list[Hit]:
        """Top-``k`` pieces for a text description, optionally filtered (see module doc)."""
        query, k = check_query(query), check_k(k)
        mask, where = self.filter_mask(filters), parse_filters(filters)
        query_vec, total_weight = self._search_vector(*self._embed_query(query))
        facets = self._facet_masks(query) if self.config.w_facets > 0 else []
        lexical, terms = (
            self.lexical_index().scores(query) if self.config.w_lexical > 0 else (None, [])
        )
        if not facets and not terms:
            ranked = self._ranked(query_vec, k, mask, frozenset(), where)
            return [self._hit(r, s / total_weight) for r, s in ranked]
        return self._fused(query_vec, total_weight, facets, lexical, terms, k, mask, where)

    def _fused(
        self,
        query_vec: np.ndarray,
        weight: float,
        facets: list[np.ndarray],
        lexical: np.ndarray | None,
        terms: list[str],
        k: int,
        mask: np.ndarray | None,
        where: dict[str, list[str]] | None = None,
    ) -> list[Hit]:
        """Dense hybrid, facet share and BM25 mixed by ``recommender.fusion.fuse``: over every
        row up to ``exact_max`` pieces, else over the index's candidates plus the best BM25
        pieces and the best pieces having every facet."""
        lex = normalise(lexical) if terms else None
        if len(self.catalog) <= self.config.exact_max:
            rows = np.arange(len(self.catalog))
        else:
            rows = self._candidates(query_vec, facets, lex, k, mask, where)
        scores = fuse_channels(
            self._dense_scores(query_vec, rows),
            [f[rows] for f in facets],
            None if lex is None else lex[rows],
            (weight, self.config.w_facets, self.config.w_lexical),
        )
        top = top_rows(scores, k, None if mask is None else mask[rows])
        return [
            self._hit(int(rows[i]), float(scores[i]), self._matched(int(rows[i]), terms))
            for i in top
        ]

    def _candidates(
        self,
        query_vec: np.ndarray,
        facets: list[np.ndarray],
        lex: np.ndarray | None,
        k: int,
        mask: np.ndarray | None,
        where: dict[str, list[str]] | None = None,
    ) -> np.ndarray:
        """Rows worth fusing in a catalog too big to score whole."""
        pool = max(k, self.config.rerank_pool)
        candidates = {r for r, _ in self._ranked(query_vec, pool, mask, frozenset(), where)}
        if facets:
            every = np.logical_and.reduce(facets) & (True if mask is None else mask)
            if every.any():
                ranked = self._ranked(query_vec, k, every, frozenset(), where)
                candidates.update(r for r, _ in ranked)
        if lex is not None:
            allowed = lex if mask is None else np.where(mask, lex, 0.0)
            candidates.update(int(r) for r in top_rows(allowed, pool) if allowed[r] > 0)
        return np.fromiter(sorted(candidates), dtype=np.int64)

    def _dense_scores(self, query_vec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact hybrid scores of ``rows`` (what the index would return for them)."""
        dim = self.embeddings.shape[1]
        every = len(rows) == len(self.embeddings)  # no gather copy for the whole catalog
        music = self.embeddings if every else self.embeddings[rows]
        scores = (music @ query_vec[:dim]).astype(np.float64)
        if self.caption_embeddings is not None and len(query_vec) > dim:
            captions = self.caption_embeddings if every else self.caption_embeddings[rows]
            scores += captions @ query_vec[dim:]
        return scores

    def _matched(self, row: int, terms: list[str]) -> str:
        """The query words a piece's metadata has (``recommender.fusion.matched_words``)."""
        if not terms or self._lexical is None:
            return ""
        record = self._record(row)
        summary = self._hit(row, 0.0).why
        return matched_words(record, self._lexical.matches(record, terms), summary)

    def _record(self, row: int) -> dict[str, Any]:
        if row not in self._records:  # catalog.iloc is slow; each shown row is read once
            self._records[row] = _plain(self.catalog.iloc[row].to_dict())
        return self._records[row]

    def similar(self, id_or_path: str, k: int = 10) -> list[Hit]:
        """Pieces whose music is closest to a catalog piece or a music file (itself excluded)."""
        k = check_k(k)
        text = str(id_or_path).strip()
        if text in self._rows:
            row = self._rows[text]
            return self._similar(self.embeddings[row], k, (text,), row=row)
        path = Path(text).expanduser()
        if not path.exists():
            msg = f"not a piece id or a readable file: {text!r} (ids look like 'm21:bach/x.mxl#')"
            raise BadInput(msg)
        ids = file_token_ids(check_music_file(path))
        vector = self._embed_ids(ids)
        return self._similar(vector, k, self._same_piece(path, vector), tokens=ids)

    def _similar(
        self,
        vector: np.ndarray,
        k: int,
        exclude: Iterable[str],
        row: int | None = None,
        tokens: Sequence[int] | None = None,
    ) -> list[Hit]:
        """Music cosine fused with the melody index (``recommender.melody``); music alone
        without one. Exact over the catalog up to ``exact_max`` rows, else a re-rank of the
        index's best candidates."""
        melody = self.melody_index()
        if melody is None:
            return self.nearest(vector, k, exclude)
        skip = frozenset(self._rows[e] for e in exclude if e in self._rows)
        vec = _unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        query = melody.matrix[row] if row is not None else melody.query_vector(tokens or [])
        if len(self.catalog) <= self.config.exact_max:
            rows = np.arange(len(self.catalog))
            scores = fuse(self.embeddings @ vec, melody.cosines(query))
        else:
            pool = max(self.config.rerank_pool, 4 * k)
            rows = np.array([h[0] for h in self._ranked(self._music_query(vec), pool, None, skip)])
            scores = fuse(self.embeddings[rows] @ vec, melody.cosines(query, rows))
        scores /= 1.0 + MELODY_WEIGHT  # back to the cosine scale
        keep = ~np.isin(rows, list(skip))
        rows, scores = rows[keep], scores[keep]
        if len(scores) > 4 * k:  # partial sort: the catalog's tail is never ordered
            part = np.argpartition(-scores, 4 * k)[: 4 * k]
            rows, scores = rows[part], scores[part]
        top = np.argsort(-scores, kind="stable")[:k]
        return [self._hit(int(rows[i]), float(scores[i])) for i in top]

    def _music_query(self, vec: np.ndarray) -> np.ndarray:
        """A music vector as an index query (zero weight on the caption part)."""
        if self.caption_embeddings is None:
            return vec
        return np.concatenate([vec, np.zeros(self.caption_embeddings.shape[1], np.float32)])

    def nearest(self, vector: np.ndarray, k: int = 10, exclude: Iterable[str] = ()) -> list[Hit]:
        """Top-``k`` pieces by music cosine to ``vector`` (D,), skipping ids in ``exclude``."""
        k = check_k(k)
        vec = _unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        if vec.shape[0] != self.embeddings.shape[1]:
            dim = self.embeddings.shape[1]
            msg = f"vector has {vec.shape[0]} dimensions, the catalog embeddings {dim}"
            raise BadInput(msg)
        skip = frozenset(self._rows[e] for e in exclude if e in self._rows)
        return [self._hit(r, s) for r, s in self._ranked(self._music_query(vec), k, None, skip)]

    def filter_mask(self, filters: Mapping[str, Any] | Iterable[str] | None) -> np.ndarray | None:
        """Boolean row mask for the filters (None when there are none); BadInput on no match."""
        parsed = parse_filters(filters)
        if not parsed:
            return None
        mask = np.ones(len(self.catalog), dtype=bool)
        for name, values in parsed.items():
            column = self._folded_column(name)
            wanted = {_fold(v) for v in values}
            if name in LIST_FIELDS:  # "region=Shaanxi" matches "China, Shaanxi, Zizhou"
                hit = np.fromiter(
                    (bool(wanted & {p.strip() for p in v.split(",")}) for v in column),
                    bool,
                    len(column),
                )
            else:
                hit = np.isin(column, list(wanted))
            if not hit.any():
                raw = self.catalog.get(name, [])
                raise BadInput(no_match_message(name, values, raw, name in LIST_FIELDS))
            mask &= hit
        return mask

    # -- internals --------------------------------------------------------------------------

    def _embed_query_uncached(self, query: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(music-space query (D,), MiniLM query (384,) or None), both unit, read-only."""
        q_text = None
        project = getattr(self.encoder, "encode_sentence_vectors", None)
        if self._text_embedder is not None and (self.hybrid or project is not None):
            q_text = _unit_rows(self._text_embedder([query]))[0]
        if project is not None and q_text is not None:  # one MiniLM pass serves both parts
            q_music = _unit_rows(project(q_text[None]))[0]
        else:
            q_music = _unit_rows(self.encoder.encode_texts([query]))[0]
        for arr in (q_music, q_text):
            if arr is not None:
                arr.flags.writeable = False  # shared through the LRU cache
        return q_music, q_text if self.hybrid else None

    def _search_vector(
        self, q_music: np.ndarray, q_text: np.ndarray | None
    ) -> tuple[np.ndarray, float]:
        """(index query, sum of weights): ``[w_c·q_music | w_t·q_text]``, or music alone."""
        if self.caption_embeddings is None:
            return q_music, 1.0
        if q_text is None:  # caption vectors but no sentence model: music part only
            return np.concatenate(
                [q_music, np.zeros(self.caption_embeddings.shape[1], np.float32)]
            ), 1.0
        w_c, w_t = self.config.w_contrastive, self.config.w_caption
        return np.concatenate([w_c * q_music, w_t * q_text]), w_c + w_t

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

    def _facet_masks(self, query: str) -> list[np.ndarray]:
        """One boolean row mask per facet the query names (see :func:`query_facets`)."""
        masks = []
        for name, test in query_facets(query):
            if name not in self._facets:
                if self._evidence is None:
                    names = [c for c in EVIDENCE_COLUMNS if c in self.catalog]
                    columns = {c: self.catalog[c].tolist() for c in names}
                    self._evidence = FacetRows(columns, len(self.catalog))
                self._facets[name] = self._evidence.mask(test)
            masks.append(self._facets[name])
        return masks

    def _folded_column(self, name: str) -> np.ndarray:
        if name not in self._folded:
            column = (
                self.catalog[name] if name in self.catalog else pd.Series([""] * len(self.catalog))
            )
            self._folded[name] = np.array([_fold(v) for v in column], dtype=object)
        return self._folded[name]

    def _same_piece(self, path: Path, vector: np.ndarray) -> tuple[str, ...]:
        """Ids of catalog rows that are this very file's music (same bytes, same embedding)."""
        if "sha1" not in self.catalog:
            return ()
        sha1 = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
        rows = np.flatnonzero(self.catalog["sha1"].astype(str).to_numpy() == sha1)
        same = [r for r in rows if float(self.embeddings[r] @ vector) > 0.999]
        return tuple(str(self.catalog["id"].iloc[r]) for r in same)


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
    from cantus.captions import describe

    return describe


def check_music_file(path: Path | str, what: str = "music file") -> Path:
    """``path`` when it names a file; BadInput saying whether it is missing or a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        msg = f"{path} is a folder; give one {what} ({', '.join(MUSIC_SUFFIXES)})"
        raise BadInput(msg)
    if not path.is_file():
        if os.path.lexists(path):  # a FIFO, a device, a socket or a dangling link
            raise BadInput(f"{what} {path} is not a regular file")
        raise BadInput(f"{what} not found: {path}")
    return path


def file_token_ids(path: Path, time_limit_s: float | None = None) -> list[int]:
    """Music tokens of the first work in a music file; BadInput when it cannot be used.

    The file is parsed in a child process with a time limit and a memory cap
    (``cantus.isolated``); the same bytes are parsed once per process.
    """
    from cantus import isolated

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MUSIC_SUFFIXES:
        kinds = ", ".join(MUSIC_SUFFIXES)
        msg = f"unsupported file type {suffix or '(none)'!r} for {path}; use one of {kinds}"
        raise BadInput(msg)
    limit = FILE_PARSE_LIMIT_S if time_limit_s is None else time_limit_s
    try:
        ids = isolated.query_file_ids(path, time_limit_s=limit)
    except isolated.ParseTimeout:
        msg = f"reading {path} took longer than {limit:g} s; try a shorter file"
        raise BadInput(msg) from None
    except isolated.ParseFailed as exc:
        raise BadInput(f"could not read music from {path}: {exc}") from None
    if not ids:
        msg = f"no notes found in {path}"
        raise BadInput(msg)
    return ids
