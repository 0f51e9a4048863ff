"""Text search over the catalog: the dense hybrid, the query's facets and BM25, fused.

Mixed into :class:`recommender.engine.Engine` (whose state it reads): the query is embedded
once per text (cached), each channel scores the rows (exactly up to ``exact_max`` pieces: every
row a low-rank sketch of the vectors cannot rule out of the top k, ``recommender.dense_bounds``;
else the index's candidates plus the best BM25 and every-facet rows), and
``recommender.fusion.fuse`` mixes them.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cantus.threads import on_one_blas_thread
from recommender.checks import check_k, check_query, parse_filters
from recommender.dense_bounds import DenseBounds, cached_bounds, rows_within
from recommender.engine_data import _unit_rows
from recommender.facets import (
    EVIDENCE_COLUMNS,
    FacetRows,
    names_musical_facet,
    names_topic,
    query_facets,
    query_keys,
)
from recommender.fusion import fuse as fuse_channels
from recommender.fusion import fused_weight, matched_words, top_rows
from recommender.lexical import LexicalIndex
from recommender.lexical import data_key as lexical_data_key
from recommender.lexical_tokens import query_tokens
from recommender.query_text import shared_cache_dir
from recommender.search_types import Hit, SearchConfig

log = logging.getLogger(__name__)
# `why` of every hit of a query no word of which the lexical channel read, by cause: the ranking
# is then the text model's guess alone and says so
NO_WORD_NOTE = "note: no query word read (only function words); ranked by the text model alone"
NO_LATIN_NOTE = (
    "note: no query word read (the sources' words are read in Latin script); "
    "ranked by the text model alone"
)
NO_LETTERS_NOTE = "note: the query has no word; ranked by the text model alone"
UNKNOWN_WORDS_NOTE = (
    "note: no query word is in the catalog's titles, labels or notes; "
    "ranked by the text model alone"
)


class TextSearch:
    """``search`` and its channels (see module doc); needs the :class:`Engine` attributes."""

    def lexical_index(self) -> LexicalIndex:
        """BM25 over every piece's metadata words (built once, then read from the cache)."""
        if self._lexical is None:
            with self._melody_lock:
                if self._lexical is None:
                    self._lexical = self._load_lexical()
        return self._lexical

    def _load_lexical(self) -> LexicalIndex:
        from cantus.caption_evidence import COLLECTION_NAMES

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

    @on_one_blas_thread
    def search(
        self, query: str, k: int = 10, filters: Mapping[str, Any] | Iterable[str] | None = None
    ) -> list[Hit]:
        """Top-``k`` pieces for a text description, optionally filtered (see module doc)."""
        query, k = check_query(query), check_k(k)
        where = parse_filters(filters)
        mask = self.filter_mask(where)
        query_vec, total_weight, facets, lexical, terms = self.channels(query, self.config)
        if not facets and not terms:
            ranked = self._ranked(query_vec, k, mask, frozenset(), where)
            note = self._unread_note(query)
            return [self._hit(r, s / total_weight, note) for r, s in ranked]
        # a query naming forms only weighs words as one naming no facet (a form is a word too)
        musical = bool(facets) and names_musical_facet(query)
        w_lexical = self.config.lexical_weight(musical, names_topic(query))
        return self._fused(
            query_vec, total_weight, facets, lexical, terms, k, mask, where, w_lexical
        )

    def _unread_note(self, query: str) -> str:
        """Why no query word reached the lexical channel ("": the channel is off)."""
        if self.config.w_lexical <= 0:  # the channel is off (`channels`): nothing was read
            return ""
        if query_tokens(query):
            return UNKNOWN_WORDS_NOTE
        latin = any(c.isascii() and c.isalpha() for c in query)
        foreign = any(c.isalpha() and not _latin_letter(c) for c in query)
        if foreign:
            return NO_LATIN_NOTE
        return NO_WORD_NOTE if latin else NO_LETTERS_NOTE

    def channels(
        self, query: str, config: SearchConfig
    ) -> tuple[np.ndarray, float, list[np.ndarray], np.ndarray | None, list[str]]:
        """What ``search`` fuses under ``config``: (index query, sum of dense weights, facet
        masks, lexical scores of every piece or None, the query terms the catalog knows)."""
        w_c, w_t = config.w_contrastive, config.w_caption
        query_vec, total_weight = self._search_vector(*self._embed_query(query), (w_c, w_t))
        facets = self._facet_masks(query) if config.w_facets > 0 else []
        if config.w_lexical <= 0:
            return query_vec, total_weight, facets, None, []
        lexical, terms = self.lexical_index().scores(
            query, config.lexical_coverage, config.lexical_title, config.lexical_phrase
        )
        return query_vec, total_weight, facets, lexical, terms

    def _fused(
        self,
        query_vec: np.ndarray,
        weight: float,
        facets: list[np.ndarray],
        lexical: np.ndarray | None,
        terms: list[str],
        k: int,
        mask: np.ndarray | None,
        where: dict[str, list[str]] | None,
        w_lexical: float,
    ) -> list[Hit]:
        """Dense hybrid, facet share and BM25 (weighed by ``w_lexical``) mixed by
        ``recommender.fusion.fuse``: up to ``exact_max`` pieces over every row that can reach
        the top ``k`` (:meth:`_reachable`), else over the index's candidates plus the best BM25
        pieces and the best pieces having every facet."""
        lex = lexical if terms else None
        weights = (weight, self.config.w_facets, w_lexical)
        if len(self.catalog) <= self.config.exact_max:
            rows = self._reachable(query_vec, facets, lex, weights, k, mask)
        else:
            rows = self._candidates(query_vec, facets, lex, k, mask, where)
        scores = fuse_channels(
            self._dense_scores(query_vec, rows),
            [f[rows] for f in facets],
            None if lex is None else lex[rows],
            weights,
        )
        top = top_rows(scores, k, None if mask is None else mask[rows])
        return [
            self._hit(int(rows[i]), float(scores[i]), self._matched(int(rows[i]), terms))
            for i in top
        ]

    def _reachable(
        self,
        query_vec: np.ndarray,
        facets: list[np.ndarray],
        lex: np.ndarray | None,
        weights: tuple[float, float, float],
        k: int,
        mask: np.ndarray | None,
    ) -> np.ndarray:
        """Every row, or only the rows whose fused score can reach the best ``k``
        (``recommender.dense_bounds``: the same hits without the whole dense product)."""
        bounds = self.dense_bounds()
        rows = None
        if bounds is not None:
            centre, slack = bounds.estimate(query_vec)
            total = fused_weight(weights, bool(facets), lex is not None)
            rows = rows_within(fuse_channels(centre, facets, lex, weights), slack / total, k, mask)
        return np.arange(len(self.catalog)) if rows is None else rows

    def dense_bounds(self) -> DenseBounds | None:
        """The low-rank sketch of the stored vectors (made once; None below
        ``bound_min_rows`` pieces, where the whole product costs little)."""
        if len(self.catalog) < self.config.bound_min_rows:
            return None
        if self._bounds is None:
            with self._melody_lock:
                if self._bounds is None:
                    parts = (self.embeddings, self.caption_embeddings)
                    self._bounds = cached_bounds(
                        tuple(p for p in parts if p is not None), self.config.index_cache_dir
                    )
        return self._bounds

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
        if row not in self._field_words:  # tokenised once per shown row, not once per query
            self._field_words[row] = self._lexical.field_words(record)
        found = self._lexical.matches(record, terms, self._field_words[row])
        return matched_words(record, found, self._hit(row, 0.0).why)

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
        self,
        q_music: np.ndarray,
        q_text: np.ndarray | None,
        weights: tuple[float, float] | None = None,
    ) -> tuple[np.ndarray, float]:
        """(index query, sum of weights): ``[w_c·q_music | w_t·q_text]`` for ``weights`` =
        (w_c, w_t) (default: the engine's), or music alone."""
        if self.caption_embeddings is None or q_text is None:  # music part only
            return self._music_query(q_music), 1.0
        w_c, w_t = weights or (self.config.w_contrastive, self.config.w_caption)
        return np.concatenate([w_c * q_music, w_t * q_text]), w_c + w_t

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
        for name, tonic, mode in query_keys(query):  # a key named outright: "a jig in D"
            if name not in self._facets:
                self._facets[name] = self._key_mask(tonic, mode)
            masks.append(self._facets[name])
        return masks

    def _key_mask(self, tonic: str, mode: str) -> np.ndarray:
        """Rows in ``tonic`` (catalog spelling, "B-"), and in ``mode`` unless it is empty."""
        missing = [c for c in ("tonic", "mode") if c not in self.catalog]
        if missing:
            msg = f"a query names a key but the catalog has no {' or '.join(missing)} column"
            raise ValueError(msg)
        mask = (self.catalog["tonic"].astype(str) == tonic).to_numpy()
        return mask & (self.catalog["mode"].astype(str) == mode).to_numpy() if mode else mask


def _latin_letter(char: str) -> bool:
    """A letter of the Latin script ("e", "é", "ß"), which the lexical channel folds and reads."""
    return unicodedata.name(char, "").startswith("LATIN")
