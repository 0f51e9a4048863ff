"""Same search before and after a speed change: dump the hits of every known query, compare.

Usage (one dump per code tree, then the comparison)::

    PYTHONPATH=OLD python -m recommender.search_check dump old.json
    PYTHONPATH=NEW python -m recommender.search_check dump new.json
    python -m recommender.search_check compare old.json new.json

The queries are every text of the evaluation sets (both halves), the blind fresh sets, the
off-topic texts and the bench's, each unfiltered and with ``mode=minor``, top 10. A change
that only makes search faster must give the same ids, order and every other field, and
scores within ``TOLERANCE``. The comparison prints counts only: no result of the blind sets
is shown (they stay unread while developing).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TOLERANCE = 1e-6  # largest score difference allowed for the same hit
FILTERS: tuple[dict[str, str] | None, ...] = (None, {"mode": "minor"})


def query_texts() -> list[str]:
    """Every query text the project evaluates or benches, each once, in a fixed order."""
    from recommender import bench, fresh_queries, fresh_queries2, queries, source_queries

    texts = [q.text for q in queries.QUERIES]
    texts += [q.text for q in (*source_queries.QUERIES, *source_queries.TUNE_ONLY)]
    texts += [*source_queries.OFF_TOPIC, *bench.QUERIES]
    texts += [q.text for q in (*fresh_queries.FRESH, *fresh_queries2.FRESH2)]
    return list(dict.fromkeys(texts))


def dump(path: Path) -> int:
    """Write the hits of every query and filter to ``path``; returns how many runs."""
    from recommender.engine import Engine

    engine = Engine.load()
    runs = {
        f"{text}|{json.dumps(where)}": [h.to_dict() for h in engine.search(text, 10, where)]
        for text in query_texts()
        for where in FILTERS
    }
    path.write_text(json.dumps(runs))
    return len(runs)


def compare(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> dict:
    """Runs whose hits differ (ids, order or any field but the score, or a score by more
    than ``TOLERANCE``), and the largest score difference among the same hits."""
    if before.keys() != after.keys():
        msg = "the two dumps ran different queries; dump both with the same code for the sets"
        raise ValueError(msg)
    differ, worst = 0, 0.0
    for run, hits in before.items():
        other = after[run]
        same = len(hits) == len(other) and all(
            {f: v for f, v in a.items() if f != "score"}
            == {f: v for f, v in b.items() if f != "score"}
            for a, b in zip(hits, other, strict=False)
        )
        gaps = [abs(a["score"] - b["score"]) for a, b in zip(hits, other, strict=False)]
        worst = max([worst, *gaps]) if same else worst
        differ += not same or any(g > TOLERANCE for g in gaps)
    return {"runs": len(before), "differ": differ, "worst_score_gap": worst}


def _read_dump(path: Path) -> dict[str, list[dict[str, Any]]]:
    """A dump written by ``dump``; ValueError naming the file when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the dump {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path} is not a search_check dump (query -> list of hits)")
    return data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "dump":
        try:
            print(f"{dump(Path(args[1]))} runs written to {args[1]}")
        except OSError as exc:
            print(f"search_check: cannot write {args[1]}: {exc}", file=sys.stderr)
            return 2
        return 0
    if len(args) == 3 and args[0] == "compare":
        try:
            found = compare(*(_read_dump(Path(p)) for p in args[1:]))
        except ValueError as exc:
            print(f"search_check: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(found))
        return 1 if found["differ"] else 0
    print("usage: python -m recommender.search_check dump OUT.json | compare A.json B.json")
    return 2


if __name__ == "__main__":
    sys.exit(main())
