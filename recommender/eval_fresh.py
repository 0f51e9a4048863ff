"""The fresh query sets, scored exactly like the source-judged test half after every constant
is fixed on the tune half.

Roles (``SET_ROLES``, in each section as ``"role"``): sets 1 and 2 (``fresh``, ``fresh2``) were
read query by query at the sixth stop of 2026-12-01 and tuned on (label words, lexical rules),
so from then on they are *tune* sets: their figures are no blind test. Sets 3 to 6 followed at
the tenth stop of 2026-12-02 (developed on, read per query: ``TUNING`` says what), set 7
(``fresh7``) at the eleventh, after it gated one change at the tenth, set 8 (``fresh8``) at the
twelfth, after it gated one change at the eleventh, set 9 (``fresh9``) also at the twelfth,
after it gated one change there. The newest set (``fresh10``) stays *test*: never read per
query, never tuned on. ``skip`` leaves a set out (its section says so) for a run whose author
must not see it.

``evaluate_fresh`` grades one blind set (``fresh``: ``recommender.fresh_queries.FRESH``;
``fresh2``: ``recommender.fresh_queries2.FRESH2``, written later by another hand after the first
had been looked at; ``fresh3``: ``recommender.fresh_queries3.FRESH3``, written by a third hand
while the search changes of 2026-12-01's fifth stop were being made; ``fresh4``:
``recommender.fresh_queries4.FRESH4``, by a fourth hand during the sixth stop; ``fresh5``:
``recommender.fresh_queries5.FRESH5``, by a fifth hand during the eighth stop; ``fresh6``:
``recommender.fresh_queries6.FRESH6``, by a sixth hand during the ninth stop; ``fresh7``:
``recommender.fresh_queries7.FRESH7``, by a seventh hand during the tenth stop; ``fresh8``:
``recommender.fresh_queries8.FRESH8``, by an eighth hand during the eleventh stop; ``fresh9``:
``recommender.fresh_queries9.FRESH9``, by a ninth hand during the twelfth stop; ``fresh10``:
``recommender.fresh_queries10.FRESH10``, by a tenth hand later in the twelfth stop) from the
same raw source records as ``recommender.eval_search`` (ABC ``R:``/``O:``/``T:``, music21 corpus
metadata, music21 meter/key), ranks each query with the methods of the test half -- cantus as served
(``SearchConfig``, whose constants the tune half chose), the tune half's grid best of the run,
cantus without its lexical channel, BM25 over all metadata,
MiniLM over captions, random -- and reports mean and per-family nDCG@10 and strict P@10, plus
weak-match accuracy at the threshold tuned on the tune half. It runs after every constant is
fixed and tunes nothing itself. Each set is its own report section, under its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from recommender.engine import Engine
from recommender.eval_search import (
    best_scores,
    engine_top,
    mean_metrics,
    run_source_queries,
    score_queries,
    separation,
    table_lines,
)
from recommender.fresh_queries import FRESH, WRITTEN
from recommender.fresh_queries2 import FRESH2
from recommender.fresh_queries2 import WRITTEN as WRITTEN2
from recommender.fresh_queries3 import FRESH3
from recommender.fresh_queries3 import WRITTEN as WRITTEN3
from recommender.fresh_queries4 import FRESH4
from recommender.fresh_queries4 import WRITTEN as WRITTEN4
from recommender.fresh_queries5 import FRESH5
from recommender.fresh_queries5 import WRITTEN as WRITTEN5
from recommender.fresh_queries6 import FRESH6
from recommender.fresh_queries6 import WRITTEN as WRITTEN6
from recommender.fresh_queries7 import FRESH7
from recommender.fresh_queries7 import WRITTEN as WRITTEN7
from recommender.fresh_queries8 import FRESH8
from recommender.fresh_queries8 import WRITTEN as WRITTEN8
from recommender.fresh_queries9 import FRESH9
from recommender.fresh_queries9 import WRITTEN as WRITTEN9
from recommender.fresh_queries10 import FRESH10
from recommender.fresh_queries10 import WRITTEN as WRITTEN10
from recommender.search_types import SearchConfig
from recommender.source_queries import Record, SourceQuery, split_off_topic

Ranker = Callable[[str], np.ndarray]  # query text -> top-10 catalog rows
# report section names, in the order they are scored
FRESH_SECTIONS = (
    "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6", "fresh7", "fresh8", "fresh9",
    "fresh10",
)  # fmt: skip
SET_ROLES = {  # module doc
    "fresh": "tune",
    "fresh2": "tune",
    "fresh3": "tune",
    "fresh4": "tune",
    "fresh5": "tune",
    "fresh6": "tune",
    "fresh7": "tune",
    "fresh8": "tune",
    "fresh9": "tune",
    "fresh10": "test",
}
ROLE_NOTES = {
    "tune": "tune set (since the stop its TUNING note names): read per query and tuned on; "
    "not a blind test",
    "test": "blind test set: never read per query, no constant tuned on it",
}

# what each choice was tuned on (the grid itself is re-run on the tune half in every report)
TUNING = {
    "fusion weights and lexical shares (eval_search.GRID)": "source-judged tune half",
    "weak_match": "source-judged tune half (its queries vs the off-topic tune half)",
    "label words (cantus.label_words THEME_WORDS/TITLE_SYNONYMS), lexical query rules "
    "(CONTENT_WORDS, word splitting)": "fresh and fresh2 (tune sets), read per query",
    "query mood words (recommender.facets QUERY_MOOD_WORDS), key facet, one mode per query": (
        "fresh and fresh2 (tune sets) and the tune half, read per query"
    ),
    "fresh3": "written blind; its mean with fresh4 gated one change (2026-12-01 22:16); "
    "developed on from the ninth stop, read per query at the tenth: a tune set",
    "fresh4": "written blind at the sixth stop; gated one change with fresh3; developed on from "
    "the ninth stop, read per query at the tenth: a tune set",
    "fresh5": "written blind at the eighth stop; gated one change at the ninth; read per query "
    "at the tenth: a tune set",
    "fresh6": "written blind at the ninth stop; gated one change there; read per query and "
    "tuned on at the tenth (label words, lexical stems): a tune set",
    "fresh7": "written blind at the tenth stop; its mean and family means gated one change "
    "there (2026-12-02 10:30); read per query and tuned on at the eleventh stop (label words' "
    "English, foreign function words, '-lied' stems, label themes as phrases, the ballad facet's "
    "narrative songs): a tune set",
    "fresh8": "written blind at the eleventh stop; its mean and family means gated one change "
    "there; read per query and tuned on at the twelfth stop (w_lexical_alone): a tune set",
    "fresh9": "written blind at the twelfth stop; its mean and family means gated one change "
    "there (w_lexical_alone); then read per query and tuned on later in the twelfth stop (a query "
    "naming forms only weighs words by w_lexical_alone; w_lexical_topic): a tune set",
    "fresh10": "nothing tuned; written blind at the twelfth stop",
    "w_lexical_alone (SearchConfig; a query naming no facet)": "the tune half with fresh .. "
    "fresh8 (all tune sets): best mean nDCG@10 over the nine with no family down > 0.03",
    "a query naming forms only weighed as one naming no facet (recommender.facets."
    "names_musical_facet)": "the tune half with fresh .. fresh9 (all tune sets), read per "
    "query: mean nDCG@10 over the ten up, no family down > 0.03",
    "w_lexical_topic (SearchConfig; a query saying what a piece is about or named for)": "the "
    "tune half with fresh .. fresh9 (all tune sets), read per query: mean nDCG@10 over the ten",
}


def fresh_set(name: str) -> tuple[tuple[SourceQuery, ...], str]:
    """The queries and the "written" note of one blind set; ValueError for an unknown name or a
    query that another blind set also holds (each set is scored on its own)."""
    sets = {
        "fresh": (FRESH, WRITTEN),
        "fresh2": (FRESH2, WRITTEN2),
        "fresh3": (FRESH3, WRITTEN3),
        "fresh4": (FRESH4, WRITTEN4),
        "fresh5": (FRESH5, WRITTEN5),
        "fresh6": (FRESH6, WRITTEN6),
        "fresh7": (FRESH7, WRITTEN7),
        "fresh8": (FRESH8, WRITTEN8),
        "fresh9": (FRESH9, WRITTEN9),
        "fresh10": (FRESH10, WRITTEN10),
    }
    if name not in sets:
        msg = f"no blind query set named {name!r} (known: {', '.join(sets)})"
        raise ValueError(msg)
    texts = [{q.text for q in qs} for qs, _ in sets.values()]
    shared = set().union(*(a & b for i, a in enumerate(texts) for b in texts[i + 1 :]))
    if shared:
        msg = f"blind query sets share queries: {sorted(shared)}"
        raise ValueError(msg)
    return sets[name]


def fresh_grades(records: list[Record], queries: tuple[SourceQuery, ...]) -> dict[str, np.ndarray]:
    """Grades 0/1/2 of every record per fresh query; ValueError for a query that is not fresh or
    that no record fully meets (its nDCG would be undefined)."""
    stale = [q.text for q in queries if not q.fresh]
    if stale:
        msg = f"the fresh report holds fresh queries only (received {stale})"
        raise ValueError(msg)
    grades = {q.text: np.array([q.grade(r) for r in records], dtype=np.float64) for q in queries}
    empty = [t for t, g in grades.items() if not (g == 2).any()]
    if empty:
        msg = f"fresh queries with no relevant piece in this catalog: {empty}"
        raise ValueError(msg)
    return grades


def evaluate_search(engine: Engine, seed: int = 0, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The source-judged report (``recommender.eval_search``) with each fresh set scored after
    it under the same configs (served, grid best, without lexical); a set in ``skip`` gets a
    section saying so."""
    unknown = sorted(set(skip) - set(FRESH_SECTIONS))
    if unknown:
        msg = f"no fresh query set named {unknown} (known: {', '.join(FRESH_SECTIONS)})"
        raise ValueError(msg)
    run = run_source_queries(engine, seed)
    run.report["tuning"] = TUNING
    threshold = run.report["weak_match"]["threshold"]
    for name in FRESH_SECTIONS:
        if name in skip:
            run.report[name] = {
                "set": name,
                "role": SET_ROLES[name],
                "skipped": "left out of this run on request (--skip-set); scored by another hand",
            }
            continue
        run.report[name] = evaluate_fresh(
            engine, run.methods, run.baselines, run.records, threshold, name
        )
    return run.report


def evaluate_fresh(
    engine: Engine,
    configs: Mapping[str, SearchConfig],
    baselines: Mapping[str, Ranker],
    records: list[Record],
    weak_threshold: float,
    name: str = "fresh",
) -> dict[str, Any]:
    """The report section of the blind set ``name``. ``configs`` are the engine configs already
    fixed on the tune half (``cantus`` first), ``baselines`` the test half's other rankers."""
    queries, written = fresh_set(name)
    grades = fresh_grades(records, queries)
    per_method: dict[str, dict[str, dict[str, float]]] = {}
    base = engine.config
    try:
        for method, config in configs.items():
            engine.config = config
            per_method[method] = score_queries(
                list(queries), grades, lambda t: engine_top(engine, t)
            )
        engine.config = configs["cantus"]
        weak = _weak_match(engine, queries, weak_threshold)
    finally:
        engine.config = base
    for method, rank in baselines.items():
        per_method[method] = score_queries(list(queries), grades, rank)
    role = {"role": SET_ROLES[name], "role_note": ROLE_NOTES[SET_ROLES[name]]}
    return {"set": name, **role, "written": written, **_report(per_method, queries, grades, weak)}


def _weak_match(
    engine: Engine, queries: tuple[SourceQuery, ...], threshold: float
) -> dict[str, Any]:
    """How well the tune half's weak-match threshold (and the one in use) tell the fresh queries
    from the off-topic test half."""

    on = best_scores(engine, [q.text for q in queries])
    off = best_scores(engine, split_off_topic()["test"])

    def accuracy(cut: float) -> float:
        return round(separation(on, off, cut), 4)

    return {
        "threshold_tuned": threshold,
        "in_use": engine.config.weak_match,
        "accuracy": accuracy(threshold),
        "accuracy_in_use": accuracy(engine.config.weak_match),
        "fresh_flagged_weak": [q.text for q, s in zip(queries, on, strict=True) if s < threshold],
    }


def _report(
    per_method: dict[str, dict[str, dict[str, float]]],
    queries: tuple[SourceQuery, ...],
    grades: dict[str, np.ndarray],
    weak: dict[str, Any],
) -> dict[str, Any]:
    texts = [q.text for q in queries]
    families = {
        f: [q.text for q in queries if q.family == f]
        for f in dict.fromkeys(q.family for q in queries)
    }
    return {
        "judge": "raw source fields with the source-judged set's Need judges; never the ranker's "
        "genre/region columns or captions",
        "reports": "scored after the tune half fixed every constant; see role",
        "queries": len(queries),
        "mean": {m: mean_metrics(per, texts) for m, per in per_method.items()},
        "families": {
            f: {m: mean_metrics(per, members) for m, per in per_method.items()}
            for f, members in families.items()
        },
        "weak_match": weak,
        "per_query": [
            {
                "query": q.text,
                "family": q.family,
                "needs": [n.name for n in q.needs],
                "relevant": int((grades[q.text] == 2).sum()),
                **{m: per[q.text]["nDCG@10"] for m, per in per_method.items()},
            }
            for q in queries
        ],
    }


def summary_lines(section: dict[str, Any]) -> list[str]:
    """Fresh-set means, weak-match accuracy and per-family nDCG@10, one line each."""
    if "skipped" in section:
        return [f"{section['set']} ({section['role']} set): {section['skipped']}"]
    weak = section["weak_match"]
    lines = [
        f"{section['set']} queries ({section['queries']}, {section['role']} set: "
        f"{ROLE_NOTES[section['role']]})",
        f"  weak-match threshold {weak['threshold_tuned']} (tune) -> fresh accuracy "
        f"{weak['accuracy']:.3f}; in use {weak['in_use']}: {weak['accuracy_in_use']:.3f}",
    ]
    return lines + table_lines(section)
