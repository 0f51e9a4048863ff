"""Text search judged by the sources' own metadata: tune on one half, report the other.

``evaluate_source_queries(engine)`` reads every piece's raw source fields (ABC ``R:``, ``O:``,
``T:``; music21's corpus metadata for other formats; music21's meter/key analysis from the
catalog), grades ``recommender.source_queries`` against them, tunes the engine's fusion weights
(``w_lexical``, ``w_facets``, ``w_caption``, ``lexical_coverage``) on the tune half only, and
reports the test half beside the engine without its lexical channel (the previous version), BM25
over all metadata (rank-bm25 over the catalog's ``text``), MiniLM over captions, and random, per
family. The blind fresh set is then scored the same way (``recommender.eval_fresh``, section
``fresh``), after every constant is fixed."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from cantus.catalog_metadata import abc_tunes, corpus_metadata
from cantus.metadata import abc_fields, chorale_title
from cantus.works import corpus_root
from recommender.engine import Engine
from recommender.metrics import ndcg_at_k, precision_at_k
from recommender.source_queries import (
    QUERIES,
    SourceQuery,
    require_tune_half,
    split,
    split_off_topic,
)

log = logging.getLogger(__name__)

K = 10
# the grid searched on the tune half (w_lexical x w_facets)
GRID = {
    "w_lexical": (0.0, 0.15, 0.3, 0.5, 0.8, 1.2, 2.0),
    "w_facets": (0.1, 0.2, 0.4, 0.8),
    "w_caption": (0.5, 1.0),  # against w_contrastive 0.5
    "lexical_coverage": (0.0, 0.5, 1.0),
    "lexical_title": (0.0, 0.5, 1.0),
}


# ----------------------------------------------------------------------------- judge data
def source_records(catalog: Any) -> list[dict[str, Any]]:
    """Raw source fields per catalog row: R, O, T (ABC, as written), META (music21 corpus
    metadata and chorale names, other formats), plus source, collection, meter, tonic, mode."""
    root = corpus_root()
    tunes: dict[str, dict[str, str] | None] = {}
    out = []
    for row in catalog[["source", "number", "collection", "meter", "tonic", "mode"]].itertuples():
        record = {
            "source": str(row.source),
            "collection": str(row.collection),
            "meter": str(row.meter or ""),
            "tonic": str(row.tonic or ""),
            "mode": str(row.mode or ""),
        }
        if row.collection != "user":
            record.update(_raw_fields(root, str(row.source), str(row.number or ""), tunes))
        out.append(record)
    return out


def _raw_fields(
    root: Path, source: str, number: str, tunes: dict[str, dict[str, str] | None]
) -> dict[str, str]:
    if source not in tunes:
        path = root / source
        tunes[source] = abc_tunes(path) if path.suffix.lower() == ".abc" else None
    book = tunes[source]
    if book is not None:
        fields = abc_fields(book.get(number, ""))
        return {letter: " ; ".join(fields.get(letter, [])) for letter in ("R", "O", "T")}
    texts = [str(v) for _, v in corpus_metadata(source, number).all()]
    return {"META": " ; ".join([*texts, chorale_title(source)]), "T": ""}


# ----------------------------------------------------------------------------- methods
def _bm25(texts: list[str]) -> Any:
    from rank_bm25 import BM25Okapi

    def tok(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+(?:/[0-9]+)?", str(text).lower())

    bm25 = BM25Okapi([tok(t) or ["_"] for t in texts])
    return lambda q: np.asarray(bm25.get_scores(tok(q)), dtype=np.float64)


def _top(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    jitter = rng.random(scores.shape) * 1e-9  # ties broken at random, not by row order
    return np.argsort(-(scores + jitter), kind="stable")[:K]


def _engine_top(engine: Engine, text: str) -> np.ndarray:
    return np.array([engine.row(h.id) for h in engine.search(text, k=K)], dtype=np.int64)


def _metrics(top: np.ndarray, grades: np.ndarray) -> dict[str, float]:
    ranked = grades[top]
    return {
        "nDCG@10": ndcg_at_k(ranked, grades, K),
        "P@10_strict": precision_at_k(ranked, K, 2),
    }


def _score_queries(
    queries: list[SourceQuery], grades: dict[str, np.ndarray], rank: Any
) -> dict[str, dict[str, float]]:
    return {q.text: _metrics(rank(q.text), grades[q.text]) for q in queries}


def _mean(per_query: dict[str, dict[str, float]], texts: list[str]) -> dict[str, float]:
    names = next(iter(per_query.values())).keys()
    return {m: round(float(np.mean([per_query[t][m] for t in texts])), 4) for m in names}


def tune_weights(
    engine: Engine, queries: list[SourceQuery], grades: dict[str, np.ndarray]
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The grid point with the best mean nDCG@10 on ``queries`` (the tune half)."""
    require_tune_half(queries, split()["tune"])
    base = engine.config
    trials = []
    for values in itertools.product(*GRID.values()):
        point = dict(zip(GRID, values, strict=True))
        engine.config = dataclasses.replace(base, **point)
        per = _score_queries(queries, grades, lambda t: _engine_top(engine, t))
        trials.append({**point, **_mean(per, [q.text for q in queries])})
    engine.config = base
    # ties go to the smaller weights (the grid's earlier points)
    best = max(trials, key=lambda t: t["nDCG@10"])
    return {name: best[name] for name in GRID}, trials


def evaluate_source_queries(engine: Engine, seed: int = 0) -> dict[str, Any]:
    """The report section (see module doc)."""
    off = engine.channels_off().get("caption")
    if off:  # the tuned weights and the minilm_captions baseline both need the caption channel
        msg = f"source queries need the caption channel, which is off: {off}"
        raise ValueError(msg)
    records = source_records(engine.catalog)
    grades = {q.text: np.array([q.grade(r) for r in records], dtype=np.float64) for q in QUERIES}
    empty = [t for t, g in grades.items() if not (g > 0).any()]
    if empty:
        msg = f"source queries with no relevant piece in this catalog: {empty}"
        raise ValueError(msg)
    halves = split()
    tuned, trials = tune_weights(engine, halves["tune"], grades)
    rng = np.random.default_rng(seed)
    from cantus.catalog import load_catalog

    texts = load_catalog(engine.data_dir, columns=["text"])["text"].astype(str).tolist()
    bm25 = _bm25(texts)
    embed = engine._text_embedder
    captions = engine.caption_embeddings
    base = engine.config
    methods = {
        "cantus": dataclasses.replace(base, **tuned),
        "cantus_without_lexical": dataclasses.replace(base, w_lexical=0.0),
    }
    per_method: dict[str, dict[str, dict[str, float]]] = {}
    for name, config in methods.items():
        engine.config = config
        per_method[name] = _score_queries(list(QUERIES), grades, lambda t: _engine_top(engine, t))
    engine.config = base
    n = len(engine.catalog)
    baselines = {
        "bm25_metadata": lambda t: _top(bm25(t), rng),
        "minilm_captions": lambda t: _top(captions @ embed([t])[0], rng),
        "random": lambda t: rng.choice(n, K, replace=False),
    }
    for name, rank in baselines.items():
        per_method[name] = _score_queries(list(QUERIES), grades, rank)
    engine.config = methods["cantus"]
    weak = tune_weak_match(engine, halves)
    engine.config = base
    report = _report(per_method, halves, tuned, trials, grades)
    report["weak_match"] = weak
    from recommender.eval_fresh import evaluate_fresh  # it scores with this module's helpers

    report["fresh"] = evaluate_fresh(engine, methods, baselines, records, weak["threshold"])
    return report


def _margin(threshold: float, points: list[float]) -> float:
    return min(abs(threshold - p) for p in points)


def tune_weak_match(engine: Engine, halves: dict[str, list[SourceQuery]]) -> dict[str, Any]:
    """The best-hit score below which a search is flagged as a weak match: the threshold that
    best separates the tune half's queries from off-topic text, checked on the test half."""
    require_tune_half(halves["tune"], split()["tune"])
    off = split_off_topic()

    def best(texts: list[str]) -> list[float]:
        return [engine.search(t, k=1)[0].score for t in texts]

    scores = {h: (best([q.text for q in halves[h]]), best(off[h])) for h in ("tune", "test")}

    def accuracy(threshold: float, half: str) -> float:
        on, off_scores = scores[half]
        right = sum(s >= threshold for s in on) + sum(s < threshold for s in off_scores)
        return right / (len(on) + len(off_scores))

    on, off_tune = scores["tune"]
    points = sorted({*on, *off_tune})
    # midpoints between neighbouring scores: the widest margin among the most accurate
    candidates = [round((a + b) / 2, 3) for a, b in itertools.pairwise(points)] or points
    threshold = max(candidates, key=lambda t: (accuracy(t, "tune"), _margin(t, points)))
    return {
        "threshold": threshold,
        "in_use": engine.config.weak_match,
        "tune_accuracy": round(accuracy(threshold, "tune"), 4),
        "test_accuracy": round(accuracy(threshold, "test"), 4),
        "test_accuracy_in_use": round(accuracy(engine.config.weak_match, "test"), 4),
        "off_topic_test_best": [round(s, 3) for s in scores["test"][1]],
        "queries_test_lowest": round(min(scores["test"][0]), 3),
    }


def _report(
    per_method: dict[str, dict[str, dict[str, float]]],
    halves: dict[str, list[SourceQuery]],
    tuned: dict[str, float],
    trials: list[dict[str, Any]],
    grades: dict[str, np.ndarray],
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "judge": "raw source fields (ABC R:/O:/T:, music21 corpus metadata, music21 meter/key)"
        "; never the ranker's genre/region columns",
        "reports": "test half",
        "tuned_on_tune_half": {"constants": tuned, "grid": GRID, "trials": trials},
        "queries": {h: [q.text for q in qs] for h, qs in halves.items()},
    }
    for half, queries in halves.items():
        texts = [q.text for q in queries]
        families = dict.fromkeys(q.family for q in queries)
        report[half] = {
            "mean": {m: _mean(per, texts) for m, per in per_method.items()},
            "families": {
                f: {
                    m: _mean(per, [q.text for q in queries if q.family == f])
                    for m, per in per_method.items()
                }
                for f in families
            },
        }
    report["per_query"] = [
        {
            "query": q.text,
            "family": q.family,
            "half": "tune" if q in halves["tune"] else "test",
            "needs": [n.name for n in q.needs],
            "relevant": int((grades[q.text] == 2).sum()),
            **{m: per[q.text]["nDCG@10"] for m, per in per_method.items()},
        }
        for q in QUERIES
    ]
    return report


def summary_lines(section: dict[str, Any]) -> list[str]:
    """Test-half means and per-family nDCG@10, one line each."""
    if "skipped" in section:
        return [f"source-judged queries: skipped ({section['skipped']})"]
    test = section["test"]
    tuned = section["tuned_on_tune_half"]["constants"]
    lines = [f"source-judged queries, test half (tuned on the tune half: {tuned})"]
    if "weak_match" in section:
        weak = section["weak_match"]
        lines.append(
            f"  weak-match threshold {weak['threshold']} (tune) -> test accuracy "
            f"{weak['test_accuracy']:.3f}; in use {weak['in_use']}: "
            f"{weak['test_accuracy_in_use']:.3f}"
        )
    for name, m in test["mean"].items():
        lines.append(f"  {name:24s} nDCG@10 {m['nDCG@10']:.3f}  P@10 strict {m['P@10_strict']:.3f}")
    for family, methods in test["families"].items():
        cells = "  ".join(f"{m} {v['nDCG@10']:.2f}" for m, v in methods.items())
        lines.append(f"  family {family:10s} {cells}")
    return lines
