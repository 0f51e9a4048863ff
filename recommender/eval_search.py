"""Text search judged by the sources' own metadata: tune on one half, report the other.

``evaluate_source_queries(engine)`` (the report without the blind sets) reads every piece's raw
source fields (ABC ``R:``, ``O:``, ``T:``; music21's corpus metadata for other formats; music21's
meter/key analysis from the catalog), grades ``recommender.source_queries`` against them, tunes
the engine's fusion weights (``GRID``: fusion weights and the lexical channel's shares) on the
tune half only, and reports the test half of the served ``SearchConfig`` (whose constants that
tuning chose; this run's grid best is a row of its own, and the served constants are marked
``stale`` when it leads them on the tune half by more than one query's worth) beside the engine
without its lexical channel (the previous version), BM25 over all metadata (rank-bm25 over the
catalog's ``text``), MiniLM over captions, and random, per family.
``recommender.eval_fresh.evaluate_search`` then scores the blind fresh sets the same way
(sections ``fresh`` .. ``fresh10``), after every constant is fixed; this module never imports it."""

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
from recommender.facets import names_musical_facet, names_topic
from recommender.fusion import fuse, top_rows
from recommender.metrics import ndcg_at_k, precision_at_k
from recommender.source_queries import (
    ALL_QUERIES,
    SourceQuery,
    require_tune_half,
    split,
    split_off_topic,
)

log = logging.getLogger(__name__)

K = 10
# the grid searched on the tune half; the channels depend on CHANNEL_KNOBS only, so each tune
# query's channels are found once per value of those and fused for every fusion weight
GRID = {
    "w_lexical": (0.0, 0.15, 0.3, 0.5, 0.8, 1.2, 2.0),
    "w_facets": (0.1, 0.2, 0.4, 0.8),
    # a query naming no mood, pace, meter or key (SearchConfig.w_lexical_alone)
    "w_lexical_alone": (0.5, 0.7, 1.0),
    "w_caption": (0.5, 1.0),  # against w_contrastive 0.5
    "lexical_coverage": (0.0, 0.5, 1.0),
    "lexical_title": (0.0, 0.5, 1.0),
    "lexical_phrase": (0.0, 0.5, 1.0, 2.0, 4.0),
}
FUSION_KNOBS = ("w_lexical", "w_facets", "w_lexical_alone")
CHANNEL_KNOBS = tuple(k for k in GRID if k not in FUSION_KNOBS)


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


def engine_top(engine: Engine, text: str) -> np.ndarray:
    return np.array([engine.row(h.id) for h in engine.search(text, k=K)], dtype=np.int64)


def _metrics(
    top: np.ndarray, grades: np.ndarray, best: np.ndarray | None = None
) -> dict[str, float]:
    """nDCG@10 and strict P@10 of ``top``; ``best``: the K best grades, if already sorted."""
    ranked = grades[top]
    return {
        "nDCG@10": ndcg_at_k(ranked, grades if best is None else best, K),
        "P@10_strict": precision_at_k(ranked, K, 2),
    }


def score_queries(
    queries: list[SourceQuery], grades: dict[str, np.ndarray], rank: Any
) -> dict[str, dict[str, float]]:
    return {q.text: _metrics(rank(q.text), grades[q.text]) for q in queries}


def mean_metrics(per_query: dict[str, dict[str, float]], texts: list[str]) -> dict[str, float]:
    names = next(iter(per_query.values())).keys()
    return {m: round(float(np.mean([per_query[t][m] for t in texts])), 4) for m in names}


def _fused_top(engine: Engine, text: str, config: Any, dense_cache: dict) -> Any:
    """``rank(w_lexical, w_facets, w_lexical_alone)`` -> top rows of ``engine.search(text)``
    under ``config`` with those weights, from channels found once (``recommender.fusion``, as
    search fuses a catalog it scores whole); dense scores are kept per (text, w_caption) in
    ``dense_cache``. ``w_lexical`` weighs a query that names a mood, pace, meter or key; one
    that names none or forms only (or ``w_facets`` 0) gets ``w_lexical_alone`` (default
    ``config``'s; at least ``config.w_lexical_topic`` if it names a topic), as search weighs it."""
    query_vec, weight, facets, lexical, terms = engine.channels(text, config)
    key = (text, config.w_caption)
    if key not in dense_cache:
        dense_cache[key] = engine._dense_scores(query_vec, np.arange(len(engine.catalog)))
    dense = dense_cache[key]
    share = [np.mean(facets, axis=0)] if facets else []  # what fuse takes the mean of, once
    musical, topic = names_musical_facet(text), names_topic(text)
    seen: dict[tuple, np.ndarray] = {}  # grid points that weigh this query alike rank alike

    def rank(w_lexical: float, w_facets: float, w_lexical_alone: float | None = None) -> np.ndarray:
        lex = lexical if terms and w_lexical > 0 else None
        shown = share if w_facets > 0 else []
        if not shown and lex is None:  # search then ranks by the index alone, as here
            return np.array([r for r, _ in engine._ranked(query_vec, K, None, frozenset())])
        alone = config.w_lexical_alone if w_lexical_alone is None else w_lexical_alone
        point_config = dataclasses.replace(config, w_lexical=w_lexical, w_lexical_alone=alone)
        w_lex = point_config.lexical_weight(bool(shown) and musical, topic)  # as search weighs it
        point = (lex is None, w_facets if shown else 0.0, w_lex)
        if point not in seen:
            seen[point] = top_rows(fuse(dense, shown, lex, (weight, w_facets, w_lex)), K)
        return seen[point]

    return rank


def tune_weights(
    engine: Engine, queries: list[SourceQuery], grades: dict[str, np.ndarray]
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The grid point with the best mean nDCG@10 on ``queries`` (the tune half); the winner's
    rankings are checked against ``engine.search`` itself (a mismatch is an error)."""
    require_tune_half(queries, split()["tune"])
    if len(engine.catalog) > engine.config.exact_max:
        msg = f"tuning fuses whole catalogs; this one has {len(engine.catalog)} pieces"
        raise ValueError(msg)
    base, texts = engine.config, [q.text for q in queries]
    best_grades = {t: np.sort(grades[t])[::-1][:K] for t in texts}  # the ideal ranking's
    trials, dense_cache = [], {}
    for values in itertools.product(*(GRID[k] for k in CHANNEL_KNOBS)):
        channel = dict(zip(CHANNEL_KNOBS, values, strict=True))
        config = dataclasses.replace(base, **channel, w_lexical=1.0, w_facets=1.0)
        ranks = {t: _fused_top(engine, t, config, dense_cache) for t in texts}
        for fusion in itertools.product(*(GRID[k] for k in FUSION_KNOBS)):
            point = dict(zip(FUSION_KNOBS, fusion, strict=True))
            per = {t: _metrics(ranks[t](**point), grades[t], best_grades[t]) for t in texts}
            trials.append({**channel, **point, **mean_metrics(per, texts)})
    trials.sort(key=lambda t: tuple(GRID[k].index(t[k]) for k in GRID))  # grid order
    best = max(trials, key=lambda t: t["nDCG@10"])  # ties go to the grid's earlier points
    tuned = {name: best[name] for name in GRID}
    engine.config = dataclasses.replace(base, **tuned)
    served = mean_metrics(score_queries(queries, grades, lambda t: engine_top(engine, t)), texts)
    engine.config = base
    if abs(served["nDCG@10"] - best["nDCG@10"]) > 1e-9:
        msg = f"tuning's fused rankings differ from search's: {best} vs {served}"
        raise ValueError(msg)
    return tuned, trials


@dataclasses.dataclass
class SourceRun:
    """What scoring the source-judged queries fixed, for the blind sets scored after it
    (``recommender.eval_fresh.evaluate_search``): the report, the judge's records, the engine
    configs (``cantus`` first: the served ``SearchConfig``; then the run's tune-half grid best
    and the config without lexical channel) and the baseline rankers."""

    report: dict[str, Any]
    records: list[dict[str, Any]]
    methods: dict[str, Any]
    baselines: dict[str, Any]


def evaluate_source_queries(engine: Engine, seed: int = 0) -> dict[str, Any]:
    """The report section without the blind sets (see module doc)."""
    return run_source_queries(engine, seed).report


def run_source_queries(engine: Engine, seed: int = 0) -> SourceRun:
    """Tune on the tune half, score every method on both halves (see module doc)."""
    off = engine.channels_off().get("caption")
    if off:  # the tuned weights and the minilm_captions baseline both need the caption channel
        msg = f"source queries need the caption channel, which is off: {off}"
        raise ValueError(msg)
    records = source_records(engine.catalog)
    grades = {
        q.text: np.array([q.grade(r) for r in records], dtype=np.float64) for q in ALL_QUERIES
    }
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
    methods = {  # "cantus" is what search serves: SearchConfig's constants, tune-half chosen
        "cantus": base,
        "cantus_grid_best": dataclasses.replace(base, **tuned),  # this run's tune-half best
        "cantus_without_lexical": dataclasses.replace(base, w_lexical=0.0),
    }
    per_method: dict[str, dict[str, dict[str, float]]] = {}
    for name, config in methods.items():
        engine.config = config
        per_method[name] = score_queries(list(ALL_QUERIES), grades, lambda t: engine_top(engine, t))
    engine.config = base
    n = len(engine.catalog)
    baselines = {
        "bm25_metadata": lambda t: _top(bm25(t), rng),
        "minilm_captions": lambda t: _top(captions @ embed([t])[0], rng),
        "random": lambda t: rng.choice(n, K, replace=False),
    }
    for name, rank in baselines.items():
        per_method[name] = score_queries(list(ALL_QUERIES), grades, rank)
    engine.config = methods["cantus"]
    weak = tune_weak_match(engine, halves)
    engine.config = base
    report = _report(per_method, halves, tuned, trials, grades)
    report["tuned_on_tune_half"]["served"] = served_against_grid(base, per_method, halves)
    report["weak_match"] = weak
    return SourceRun(report, records, methods, baselines)


def served_against_grid(
    served: Any, per_method: dict[str, dict[str, dict[str, float]]], halves: dict[str, list]
) -> dict[str, Any]:
    """The served constants beside this run's grid best on the tune half. The report scores
    the served ones (what a user gets); a grid best ahead by more than one query's worth
    (1 / tune queries) marks them ``stale``: re-tune ``SearchConfig``, do not report the grid."""
    texts = [q.text for q in halves["tune"]]
    methods = ("cantus", "cantus_grid_best")
    tune = {m: mean_metrics(per_method[m], texts)["nDCG@10"] for m in methods}
    gap = tune["cantus_grid_best"] - tune["cantus"]
    return {
        "constants": {name: getattr(served, name) for name in GRID},
        "tune_nDCG@10": round(tune["cantus"], 4),
        "grid_best_tune_nDCG@10": round(tune["cantus_grid_best"], 4),
        "stale": bool(gap > 1.0 / len(texts)),
    }


def _margin(threshold: float, points: list[float]) -> float:
    return min(abs(threshold - p) for p in points)


def best_scores(engine: Engine, texts: list[str]) -> list[float]:
    """The best hit's score of each text: what the weak-match notice reads."""
    return [engine.search(t, k=1)[0].score for t in texts]


def separation(on: list[float], off: list[float], threshold: float) -> float:
    """Share of music queries at or above ``threshold`` and off-topic texts below it."""
    right = sum(s >= threshold for s in on) + sum(s < threshold for s in off)
    return right / (len(on) + len(off))


def tune_weak_match(engine: Engine, halves: dict[str, list[SourceQuery]]) -> dict[str, Any]:
    """The best-hit score below which a search is flagged as a weak match: the threshold that
    best separates the tune half's queries from off-topic text, checked on the test half."""
    require_tune_half(halves["tune"], split()["tune"])
    off = split_off_topic()
    scores = {
        h: (best_scores(engine, [q.text for q in halves[h]]), best_scores(engine, off[h]))
        for h in ("tune", "test")
    }

    def accuracy(threshold: float, half: str) -> float:
        return separation(*scores[half], threshold)

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
            "mean": {m: mean_metrics(per, texts) for m, per in per_method.items()},
            "families": {
                f: {
                    m: mean_metrics(per, [q.text for q in queries if q.family == f])
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
        for q in ALL_QUERIES
    ]
    return report


def summary_lines(section: dict[str, Any]) -> list[str]:
    """Test-half means and per-family nDCG@10, one line each."""
    if "skipped" in section:
        return [f"source-judged queries: skipped ({section['skipped']})"]
    test = section["test"]
    tuned = section["tuned_on_tune_half"]
    lines = [f"source-judged queries, test half (tune half's grid best: {tuned['constants']})"]
    if "served" in tuned:
        served = tuned["served"]
        lines.append(
            f"  served (row 'cantus'): {served['constants']}, tune nDCG@10 "
            f"{served['tune_nDCG@10']} vs grid best {served['grid_best_tune_nDCG@10']}"
            + ("; STALE: re-tune SearchConfig" if served["stale"] else "")
        )
    if "weak_match" in section:
        weak = section["weak_match"]
        lines.append(
            f"  weak-match threshold {weak['threshold']} (tune) -> test accuracy "
            f"{weak['test_accuracy']:.3f}; in use {weak['in_use']}: "
            f"{weak['test_accuracy_in_use']:.3f}"
        )
    return lines + table_lines(test)


def table_lines(half: dict[str, Any]) -> list[str]:
    """Per-method means, then per-family nDCG@10, of one scored half or fresh set."""
    lines = []
    for name, m in half["mean"].items():
        lines.append(f"  {name:24s} nDCG@10 {m['nDCG@10']:.3f}  P@10 strict {m['P@10_strict']:.3f}")
    for family, methods in half["families"].items():
        cells = "  ".join(f"{m} {v['nDCG@10']:.2f}" for m, v in methods.items())
        lines.append(f"  family {family:10s} {cells}")
    return lines
