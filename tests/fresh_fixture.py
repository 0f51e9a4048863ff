"""What the blind query sets' tests share: the fixture of raw source records (for each query of
the fresh sets, the first ``MIN_RELEVANT`` pieces in catalog order it grades 2, from
``recommender.eval_search.source_records`` over the shipped catalog) and the raw fields a judge
may read."""

from __future__ import annotations

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
