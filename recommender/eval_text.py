"""Text-to-music sections of ``cantus eval retrieval``, each beside its baselines.

Held-out captions, natural queries and source queries, beside BM25, MiniLM-caption, hybrid
and random baselines.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import MissingArtifact
from recommender.eval_data import EvalConfig, EvalData, cache_dir
from recommender.metrics import (
    jitter,
    ndcg_at_k,
    precision_at_k,
    query_targets,
    rank_metrics,
    ranks_of,
)


def _tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:/[0-9]+)?", str(text).lower())


class BM25Scorer:
    """BM25 (rank-bm25 Okapi) over the catalog's metadata ``text`` column."""

    def __init__(self, texts: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.bm25 = BM25Okapi([_tokenize(t) or ["_"] for t in texts])

    def __call__(self, query: str) -> np.ndarray:
        return np.asarray(self.bm25.get_scores(_tokenize(query)), dtype=np.float64)


def caption_means(table: Any, rows: np.ndarray | None = None) -> np.ndarray:
    """Mean MiniLM caption vector per catalog row (N, 384), unit length (zero if none)."""
    n = len(table.per_piece)
    out = np.zeros((n, table.vectors.shape[1]), dtype=np.float32)
    for row in range(n) if rows is None else rows:
        picks = table.per_piece[row]
        if len(picks):
            out[row] = table.vectors[picks].mean(0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def hybrid_weights() -> tuple[float, float]:
    """(w_contrastive, w_caption) of the engine's search."""
    from recommender.engine import SearchConfig

    cfg = SearchConfig()
    return cfg.w_contrastive, cfg.w_caption


def eval_heldout(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Held-out families on held-out pieces: cantus vs BM25, MiniLM captions, hybrid, random."""
    from recommender.train_data import caption_table

    rows = np.flatnonzero(data.held)
    if len(rows) < 2 or not data.heldout_families:
        return {"skipped": "no held-out pieces or families recorded in encoder/split.json"}
    cache = cache_dir(data.folder)
    queries = caption_table(data.catalog, data.heldout_families, cache, rows=rows)
    q_index, targets = query_targets(queries.per_piece, rows)
    if not len(q_index):
        return {"skipped": "held-out pieces have no captions of the held-out families"}
    texts = [queries.texts[i] for i in q_index]
    docs = _training_captions(data, cache, rows)
    means = caption_means(docs, rows)[rows]  # (P, 384)
    minilm_q = queries.vectors[q_index]  # (Q, 384)
    cantus = data.encoder.encode_sentence_vectors(minilm_q) @ data.embeddings[rows].T  # (Q, P)
    caption = minilm_q @ means.T
    bm25 = BM25Scorer(data.catalog["text"].to_numpy()[rows])
    w_c, w_t = hybrid_weights()
    rng = np.random.default_rng(cfg.seed)
    methods = {
        "cantus": cantus,
        "bm25_metadata": np.stack([bm25(t) for t in texts]),
        "minilm_captions": caption,
        "hybrid": w_c * cantus + w_t * caption,
        "random": rng.random(cantus.shape),
    }
    out: dict[str, Any] = {
        "pieces": len(rows),
        "families": list(data.heldout_families),
        "captions_per_piece_for_minilm": _train_config(data).captions_per_piece,
    }
    for name, scores in methods.items():
        out[name] = rank_metrics(ranks_of(jitter(scores, rng), targets), cfg.k)
    by_family = {}
    fam_of = _families_of_queries(data, rows, queries)
    for family in data.heldout_families:
        mask = np.array([fam_of.get(int(q)) == family for q in q_index])
        if mask.any():
            by_family[family] = {
                name: rank_metrics(ranks_of(jitter(s[mask], rng), targets[mask]), cfg.k)
                for name, s in methods.items()
                if name in ("cantus", "bm25_metadata", "minilm_captions")
            }
    out["by_family"] = by_family
    return out


def _train_config(data: EvalData) -> Any:
    """The encoder's ``TrainConfig`` as saved in ``encoder/config.json``."""
    from recommender.train_config import TrainConfig

    return TrainConfig.from_saved(_saved(data, "train"))


def _saved(data: EvalData, key: str) -> Any:
    """One setting of the encoder's ``config.json``; MissingArtifact when absent (a default
    would build the MiniLM-captions baseline from other captions than the encoder saw)."""
    if key not in data.train:
        msg = f"the encoder config in {data.folder} has no {key!r}; rebuild with `cantus build`"
        raise MissingArtifact(msg)
    return data.train[key]


def _training_captions(data: EvalData, cache: Path, rows: np.ndarray | None = None) -> Any:
    """The cached training-family captions per piece (the MiniLM-captions baseline's documents)."""
    from recommender.train_data import caption_table

    tcfg = _train_config(data)
    trained = tuple(_saved(data, "trained_families"))
    return caption_table(
        data.catalog,
        trained,
        cache,
        rows=rows,
        per_piece=tcfg.captions_per_piece,
        skip=tcfg.skip_families,
        seed=int(_saved(data, "seed")),
    )


def _families_of_queries(data: EvalData, rows: np.ndarray, table: Any) -> dict[int, str]:
    index = {t: i for i, t in enumerate(table.texts)}
    fam: dict[int, str] = {}
    caps, fams = data.catalog["captions"].to_numpy(), data.catalog["caption_families"].to_numpy()
    for row in rows:
        for c, f in zip(caps[row], fams[row], strict=False):
            if c in index:
                fam.setdefault(index[c], f)
    return fam


def eval_natural(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """The ``recommender.queries`` set over the whole catalog, cantus vs baselines."""
    from recommender.queries import QUERIES, with_evidence

    records = data.catalog.drop(columns=["tokens", "captions", "caption_families"])
    rows_all = [with_evidence(r) for r in records.to_dict("records")]
    grades = np.array([[q.grade(r) for r in rows_all] for q in QUERIES], dtype=np.float64)  # (Q, N)
    texts = [q.text for q in QUERIES]
    rng = np.random.default_rng(cfg.seed)
    methods = _natural_methods(data, texts, rng)
    engine_scores = _engine_rankings(data, texts)
    per_query: list[dict[str, Any]] = []
    summary: dict[str, dict[str, list[float]]] = {m: {} for m in [*methods, "engine"]}
    for qi, query in enumerate(QUERIES):
        entry: dict[str, Any] = {
            "query": query.text,
            "facets": [f.name for f in query.facets],
            "grade2": int((grades[qi] == 2).sum()),
            "grade1": int((grades[qi] == 1).sum()),
        }
        if not (grades[qi] > 0).any():
            entry["skipped"] = "no relevant piece in the catalog"
        else:
            rankings = {
                m: np.argsort(-jitter(s[qi], rng), kind="stable")[: cfg.k]
                for m, s in methods.items()
            }
            rankings["engine"] = engine_scores[qi]
            entry |= _graded_scores(rankings, grades[qi], cfg.k, summary)
        per_query.append(entry)
    means = {
        name: {m: round(float(np.mean(v)), 4) for m, v in ms.items()}
        for name, ms in summary.items()
    }
    return {
        "queries": len(QUERIES),
        "judged": sum("skipped" not in e for e in per_query),
        "mean": means,
        "mean_by_half": _half_means(per_query, [*methods, "engine"]),
        "per_query": per_query,
        "grades": "2 = every facet, 1 = some facets; lenient P@k counts grade >= 1, strict grade 2",
        "judge": "the project's own facets and caption rules (kept for continuity; the "
        "source_queries section is judged from the sources' metadata)",
        "tuned_here": "nothing: the engine's weights are tuned on source_queries' tune half",
    }


def _natural_methods(
    data: EvalData, texts: list[str], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """(Q, N) scores of every method but the served engine, for the natural queries."""
    from recommender.text import embed_sentences

    minilm_q = embed_sentences(texts)
    docs = _training_captions(data, cache_dir(data.folder))
    cantus = data.encoder.encode_sentence_vectors(minilm_q) @ data.embeddings.T  # (Q, N)
    caption = minilm_q @ caption_means(docs).T
    bm25 = BM25Scorer(data.catalog["text"].to_numpy())
    w_c, w_t = hybrid_weights()
    return {
        "cantus": cantus,
        "bm25_metadata": np.stack([bm25(t) for t in texts]),
        "minilm_captions": caption,
        "hybrid": w_c * cantus + w_t * caption,
        "random": rng.random(cantus.shape),
    }


def _graded_scores(
    rankings: dict[str, np.ndarray],
    grades: np.ndarray,
    k: int,
    summary: dict[str, dict[str, list[float]]],
) -> dict[str, dict[str, float]]:
    """nDCG@k and lenient / strict P@k of each method's top rows; judged values join ``summary``."""
    out = {}
    for name, top in rankings.items():
        ranked = grades[top]
        scores = {
            f"nDCG@{k}": ndcg_at_k(ranked, grades, k),
            f"P@{k}_lenient": precision_at_k(ranked, k, 1),
            f"P@{k}_strict": precision_at_k(ranked, k, 2),
        }
        out[name] = {m: round(v, 4) for m, v in scores.items()}
        for m, v in scores.items():
            if not math.isnan(v):
                summary[name].setdefault(m, []).append(v)
    return out


def _half_means(per_query: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    """Mean nDCG@10 per method on fixed tune / test halves (alternately by text hash)."""
    import hashlib

    judged = sorted(
        (e for e in per_query if "skipped" not in e),
        key=lambda e: hashlib.sha1(e["query"].encode()).hexdigest(),
    )
    halves = {"tune": judged[0::2], "test": judged[1::2]}
    return {
        half: {m: round(float(np.mean([e[m]["nDCG@10"] for e in rows])), 4) for m in methods}
        for half, rows in halves.items()
        if rows
    }


def _engine_rankings(data: EvalData, texts: list[str]) -> list[np.ndarray]:
    """Top rows of ``recommender.engine.Engine.search`` (the served ranking)."""
    engine = _engine(data.folder)
    rows = {pid: i for i, pid in enumerate(data.catalog["id"].astype(str))}
    hits = [engine.search(t, k=10) for t in texts]
    return [np.array([rows[h.id] for h in ranked]) for ranked in checked_hits(hits, rows)]


def checked_hits(hits: list[list[Any]], rows: Mapping[str, int]) -> list[list[Any]]:
    """``hits`` unchanged when every id is in the evaluated catalog; else ValueError naming
    them (a dropped hit would shorten a top-10 and skew its score without a word)."""
    unknown = sorted({h.id for ranked in hits for h in ranked if h.id not in rows})
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        msg = (
            f"the engine ranked {len(unknown)} pieces that are not in the evaluated catalog "
            f"({shown}); ingested user pieces? evaluate with a CANTUS_HOME that has none"
        )
        raise ValueError(msg)
    return hits


@functools.cache
def _engine(folder: Path) -> Any:
    from recommender.engine import Engine

    return Engine.load(folder)


def eval_source_queries(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Queries judged by the sources' own metadata, tuned on one half, reported on the other
    (``recommender.eval_search``)."""
    from cantus.works import corpus_root
    from recommender.eval_fresh import evaluate_search

    root = corpus_root()
    sources = data.catalog.loc[data.catalog["collection"] != "user", "source"].astype(str)
    if not any((root / s).is_file() for s in sources.head(200)):
        # a synthetic or user-only catalog: the judge reads the corpus files themselves
        return {"skipped": "no music21 corpus piece in this catalog; the judge reads their files"}
    return evaluate_search(_engine(data.folder), seed=cfg.seed, skip=cfg.skip_sets)
