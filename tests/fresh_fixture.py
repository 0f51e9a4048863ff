"""What the blind query sets' tests share: the fixture of raw source records (for each query of
the fresh sets, the first ``MIN_RELEVANT`` pieces in catalog order it grades 2, from
``recommender.eval_search.source_records`` over the shipped catalog) and the raw fields a judge
may read."""

from __future__ import annotations

import functools
import json
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "fresh_records.jsonl"
# what each judge may read: the raw ABC fields, music21's metadata and path, its analysis
RAW_NEEDS = ("R~", "O~", "R|T~", "R|T|meta~", "meta~", "meter=", "key=", "mode=", "collection=")


def fixture_records() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines()]


def norm(text: str) -> str:
    """A query's text as compared across sets: case and spacing folded."""
    return " ".join(text.casefold().split())


def assert_refused_by_split_and_tuning(queries: tuple) -> None:
    """A blind set is in no half of the split, and the split and every tuner refuse it."""
    import pytest

    from recommender.eval_search import tune_weak_match, tune_weights
    from recommender.source_queries import QUERIES, split

    assert not {q.text for half in split().values() for q in half} & {q.text for q in queries}
    with pytest.raises(ValueError, match="fresh queries are all test"):
        split(QUERIES + queries[:1])
    with pytest.raises(ValueError, match="only the tune half"):
        tune_weights(None, [queries[0]], {})  # refused before the engine is touched
    with pytest.raises(ValueError, match="only the tune half"):
        tune_weak_match(None, {"tune": [*split()["tune"], queries[0]], "test": []})


@functools.cache  # read once for every blind set's slow test in a run (a minute each)
def catalog_source_records() -> list[dict]:
    from cantus.catalog import load_catalog
    from recommender.eval_search import source_records

    columns = ["source", "number", "collection", "meter", "tonic", "mode"]
    return source_records(load_catalog(columns=columns, include_user=False))


def thin_queries(grades: dict) -> dict[str, int]:
    """Queries with fewer than ``MIN_RELEVANT`` relevant pieces, and how many they have."""
    from recommender.source_queries import MIN_RELEVANT

    return {t: int((g == 2).sum()) for t, g in grades.items() if (g == 2).sum() < MIN_RELEVANT}


def assert_judges_grade_fixture(queries: tuple) -> None:
    """Every judge grades at least ``MIN_RELEVANT`` fixture pieces relevant, and some not."""
    from collections import Counter

    from recommender.source_queries import MIN_RELEVANT

    records = fixture_records()
    for query in queries:
        grades = Counter(query.grade(r) for r in records)
        assert grades[2] >= MIN_RELEVANT, query.text
        assert grades[0] > 0, query.text  # a judge that passes everything measures nothing


def assert_judges_read_raw_fields(queries: tuple) -> None:
    """Every judge reads the raw source fields only: the ranker's own columns, filled with the
    query's own words, never make a piece relevant."""
    import re

    for query in queries:
        parts = [p.strip("() ") for n in query.needs for p in re.split(r" or | and ", n.name)]
        assert all(p.startswith(RAW_NEEDS) for p in parts), query.text
    for query in queries:
        columns = ("genre", "region", "form", "origin", "title", "caption", "text")
        ranker_only = {"source": "x.abc", **dict.fromkeys(columns, query.text)}
        assert query.grade(ranker_only) == 0, query.text


def queries_before(name: str) -> tuple:
    """Every query written before the blind set ``name``: the source-judged set (tune-only
    queries too), set 1's withdrawn queries and each earlier blind set."""
    from recommender.eval_fresh import FRESH_SECTIONS, fresh_set
    from recommender.fresh_queries import WITHDRAWN
    from recommender.source_queries import ALL_QUERIES

    earlier = FRESH_SECTIONS[: FRESH_SECTIONS.index(name)]
    return (*ALL_QUERIES, *WITHDRAWN, *(q for s in earlier for q in fresh_set(s)[0]))


def assert_new_beside(queries: tuple, earlier: tuple, size: int) -> None:
    """``size`` distinct queries, none repeating an earlier query's text or its judge."""
    texts = [norm(q.text) for q in queries]
    assert len(texts) == size and len(set(texts)) == len(texts)
    assert not set(texts) & {norm(q.text) for q in earlier}  # no query repeated
    # nor the same judge under other words
    asked = {frozenset(n.name for n in q.needs) for q in earlier}
    assert not [q.text for q in queries if frozenset(n.name for n in q.needs) in asked]
    assert all(q.fresh for q in queries)
