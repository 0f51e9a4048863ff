"""Audit of the same-tune judge (``recommender.eval_same_tune``), on its tune half only.

The judge says two pieces are the same tune when their titles (and kinds of metre) agree; a
musician says so when the melodies agree. This module draws the cases a musician reads
(``sample``: queries whose first judged-relevant piece ranks worse than ``K``, and random
judged-relevant pairs), prints the first notes of both melodies from the sources with music21
(``show``), and turns the labels written down in ``docs/same_tune_audit.csv`` into the judge's
precision and the MRR the judge lets any ranker reach (``summarise``).

Labels: ``same`` (the same tune, possibly varied), ``related`` (a shared phrase, then another
tune), ``different``. For a miss, the ranker's top 1 is also labelled: ``alias`` (the same tune
under another title, which the judge counts as wrong), ``same-file`` (the same title in the
same file, which the judge ignores), ``related`` or ``different``.

    python -m recommender.audit_same_tune sample     # the 40 misses and 30 pairs, with notes
    python -m recommender.audit_same_tune summary    # the figures from the labels file
    python -m recommender.audit_same_tune summary-test  # the blind test-half audit (see
                                                        # recommender.audit_test_half)

``sample`` draws the labelled cases again with the ranker that was audited (the channel before
the scale-step document, ``_data``), whatever the constants in use. ``summary`` draws them again
too: the counts the figures need (queries, misses, near misses of the tune half) come from that
draw, after checking that its cases are the file's, case by case (``audited_counts``), so the
figures cannot pair the labels with another catalog's counts.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recommender.eval_same_tune import PRIMARY_JUDGE, K, same_tune_pairs
from recommender.metrics import top_excluding_self

LABELS = Path(__file__).resolve().parents[1] / "docs" / "same_tune_audit.csv"
SEED = 10  # the draw of the labelled sample (misses and pairs)
NEAR_SEED = 11  # the draw of the near misses
FIRST_NOTES = 16


def sample(
    scores: np.ndarray, pairs: tuple[list[int], list[set[int]]], n_misses: int = 40,
    n_pairs: int = 30, seed: int = SEED,
) -> dict[str, Any]:  # fmt: skip
    """Misses (first judged-relevant row ranks worse than K) and random judged pairs (rows)."""
    queries, relevant = pairs
    top = top_excluding_self(scores, queries, np.random.default_rng(0))
    misses = []
    for i, (q, good) in enumerate(zip(queries, relevant, strict=True)):
        if not any(int(r) in good for r in top[i, :K]):
            best = max(good, key=lambda j: scores[i, j])
            rank = int((scores[i] > scores[i, best]).sum())  # self ranks above, so 1-based
            misses.append({"query": q, "judged": best, "rank": rank, "top1": int(top[i, 0])})
    rng = np.random.default_rng(seed)
    every = [
        (q, j) for q, good in zip(queries, relevant, strict=True) for j in sorted(good) if q < j
    ]
    picked = sorted(rng.choice(len(misses), min(n_misses, len(misses)), replace=False))
    drawn = sorted(rng.choice(len(every), min(n_pairs, len(every)), replace=False))
    return {
        "queries": len(queries), "misses": len(misses), "judged_pairs": len(every),
        "miss_sample": [misses[i] for i in picked], "pair_sample": [every[i] for i in drawn],
    }  # fmt: skip


def near_sample(
    scores: np.ndarray, pairs: tuple[list[int], list[set[int]]], titles: np.ndarray,
    n: int = 15, seed: int = NEAR_SEED,
) -> dict[str, Any]:  # fmt: skip
    """Near misses: the first judged row ranks 2..K and rank 1 has another title (``titles``:
    the judge's title key per row). Is rank 1 an alias, or a ranker error?"""
    queries, relevant = pairs
    top = top_excluding_self(scores, queries, np.random.default_rng(0), n=K)
    near = []
    for i, (q, good) in enumerate(zip(queries, relevant, strict=True)):
        at = [k for k, r in enumerate(top[i]) if int(r) in good]
        if at and at[0] > 0 and titles[top[i, 0]] != titles[q]:
            near.append({"query": q, "judged": int(top[i, at[0]]), "rank": at[0] + 1,
                         "top1": int(top[i, 0])})  # fmt: skip
    picked = sorted(np.random.default_rng(seed).choice(len(near), min(n, len(near)), replace=False))
    return {"near": len(near), "near_sample": [near[i] for i in picked]}


def first_notes(source: str, number: str, n: int = FIRST_NOTES) -> str:
    """The first ``n`` notes of a corpus piece's melody ("G4/0.5 | F#4/1 ..."), read by music21
    from the source (a chorale's soprano part, else the first part)."""
    from music21 import corpus

    score = (
        corpus.parse(source, number=int(number)) if str(number).strip() else corpus.parse(source)
    )
    sopranos = [p for p in score.parts if "soprano" in str(p.partName or p.id).lower()]
    part = sopranos[0] if sopranos else (score.parts[0] if score.parts else score)
    out, bar = [], None
    for note in part.flatten().notes[:n]:
        top = note.pitches[-1]
        head = "| " if bar is not None and note.measureNumber != bar else ""
        out.append(f"{head}{top.nameWithOctave}/{float(note.quarterLength):g}")
        bar = note.measureNumber
    return " ".join(out)


def summarise(
    rows: list[dict[str, str]], queries: int, misses: int, near: int = 0
) -> dict[str, Any]:
    """Judge precision on the random pairs, what the misses are, and the MRR ceiling: a query
    whose judged pieces are all another tune scores nothing for a ranker that finds tunes, so
    at best ``1 - miss rate * share of misses judged wrongly``; a near miss with an alias at
    rank 1 scores at most about 1/2 for such a ranker (``mrr_ceiling_with_aliases``)."""

    def share(part: list[dict[str, str]], field: str, values: set[str]) -> dict[str, Any]:
        return wilson(sum(r[field] in values for r in part), len(part))

    pairs = [r for r in rows if r["case"].startswith("P")]
    missed = [r for r in rows if r["case"].startswith("M")]
    near_rows = [r for r in rows if r["case"].startswith("N")]
    if not pairs or not missed:
        raise ValueError(f"the labels need both P and M cases (received {len(rows)} rows)")
    wrong = share(missed, "label", {"different"})
    rate = misses / queries
    ceiling = 1 - rate * wrong["share"]
    alias = {"alias", "same-file"}
    near_alias = share(near_rows, "top1_label", alias)["share"] if near_rows else 0.0
    extra = (
        {"near_top1_alias_or_same_file": share(near_rows, "top1_label", alias)} if near_rows else {}
    )
    return extra | {
        "judge_precision": share(pairs, "label", {"same"}),
        "judge_precision_incl_related": share(pairs, "label", {"same", "related"}),
        "misses_judged_wrongly": wrong,
        "misses_related": share(missed, "label", {"related"}),
        "misses_same_tune": share(missed, "label", {"same"}),
        "miss_top1_alias_or_same_file": share(missed, "top1_label", {"alias", "same-file"}),
        "miss_rate": round(rate, 4),
        "mrr_ceiling": round(ceiling, 3),
        "mrr_ceiling_with_aliases": round(ceiling - 0.5 * near / queries * near_alias, 3),
        "mrr_ceiling_95": [round(1 - rate * w, 3) for w in reversed(wrong["wilson_95"])],
    }


def _data() -> tuple[Any, np.ndarray, tuple[list[int], list[set[int]]]]:
    """The shipped catalog, the audited ranker's ``similar`` scores of the tune half (the
    channel of main at 762a3ea, ``TWO_DOCUMENTS``) and its pairs."""
    import pandas as pd

    from cantus.config import artifacts_dir
    from recommender.eval_same_tune import TWO_DOCUMENTS as AT
    from recommender.melody import MelodyIndex

    catalog = pd.read_parquet(artifacts_dir() / "catalog.parquet")
    embeddings = np.load(artifacts_dir() / "embeddings.npy").astype(np.float32)
    pairs = same_tune_pairs(catalog, PRIMARY_JUDGE)["tune"]
    tokens = [np.asarray(t, dtype=np.int64) for t in catalog["tokens"]]
    melody = MelodyIndex(tokens, AT["RHYTHM_WEIGHT"], AT["NGRAM_RANGE"], steps_weight=0.0)
    rows = pairs[0]
    tune = (melody.matrix[rows] @ melody.matrix.T).toarray()
    return catalog, embeddings[rows] @ embeddings.T + AT["MELODY_WEIGHT"] * tune, pairs


def redraw(catalog: Any, scores: np.ndarray, pairs: tuple[list[int], list[set[int]]]) -> dict:
    """The labelled sample drawn again: misses, random pairs and near misses (catalog rows)."""
    from recommender.eval_same_tune import tune_key

    drawn = sample(scores, pairs)
    titles = catalog["title"].astype(str).map(tune_key).to_numpy()
    return drawn | near_sample(scores, pairs, titles)


def drawn_cases(drawn: dict[str, Any], ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """The draw as the labels file writes it: case -> query, judged, rank, top1 (piece ids)."""
    cases = {}
    for prefix, key in (("M", "miss_sample"), ("N", "near_sample")):
        for i, m in enumerate(drawn[key]):
            cases[f"{prefix}{i:02d}"] = {
                "query": ids[m["query"]], "judged": ids[m["judged"]],
                "rank": str(m["rank"]), "top1": ids[m["top1"]],
            }  # fmt: skip
    for i, (a, b) in enumerate(drawn["pair_sample"]):
        cases[f"P{i:02d}"] = {"query": ids[a], "judged": ids[b], "rank": "", "top1": ""}
    return cases


def counts_matching(
    rows: list[dict[str, str]], drawn: dict[str, Any], ids: Sequence[str]
) -> dict[str, int]:
    """The draw's counts (queries, misses, near misses), once every labelled case is the draw's;
    ValueError naming the first case that is not (the labels came from another catalog)."""
    cases = drawn_cases(drawn, ids)
    labelled = {r["case"]: {k: r[k] for k in ("query", "judged", "rank", "top1")} for r in rows}
    if labelled.keys() != cases.keys():
        extra = sorted(labelled.keys() ^ cases.keys())
        raise ValueError(f"the labels file and the redrawn sample differ in cases: {extra[:5]}")
    for case, found in cases.items():
        if labelled[case] != found:
            msg = f"labelled case {case} is {labelled[case]}, the redrawn sample has {found}"
            raise ValueError(msg)
    return {"queries": drawn["queries"], "misses": drawn["misses"], "near": drawn["near"]}


def case_line(catalog: Any, row: int) -> str:
    """A piece's id, title, metre, key and first notes (from the source, by music21)."""
    r = catalog.iloc[row]
    notes = first_notes(r["source"], r["number"])
    return f"{r['id']} | {r['title']} | {r['meter']} {r['key']}\n      {notes}"


def wilson(hits: int, total: int) -> dict[str, Any]:
    """``hits`` of ``total`` as a share with its Wilson 95 % interval."""
    from scipy.stats import binomtest

    low, high = binomtest(hits, total).proportion_ci(method="wilson")
    return {"count": hits, "of": total, "share": round(hits / total, 3),
            "wilson_95": [round(low, 3), round(high, 3)]}  # fmt: skip


def read_labels(path: Path = LABELS) -> list[dict[str, str]]:
    """The rows of a labels file; ValueError when it is missing."""
    if not path.is_file():
        raise ValueError(f"no labels file {path}")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def audited_counts(rows: list[dict[str, str]]) -> dict[str, int]:
    """Queries, misses and near misses of the audited ranker's tune half, from the shipped
    catalog, checked against the labels ``rows`` (about 30 s: the melody index is rebuilt)."""
    catalog, scores, pairs = _data()
    return counts_matching(rows, redraw(catalog, scores, pairs), catalog["id"].astype(str).tolist())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    test_half = ("sample-test", "top1-test", "summary-test")
    parser.add_argument("what", choices=("sample", "summary", *test_half))
    args = parser.parse_args(argv)
    if args.what.endswith("-test"):  # the blind test-half audit lives beside this module
        from recommender.audit_test_half import main_test

        return main_test(args.what)
    if args.what == "summary":
        rows = read_labels()
        print(json.dumps(summarise(rows, **audited_counts(rows)), indent=1))
        return 0
    catalog, scores, pairs = _data()
    drawn = redraw(catalog, scores, pairs)

    print(json.dumps({k: v for k, v in drawn.items() if not k.endswith("sample")}))
    for i, m in enumerate(drawn["miss_sample"]):
        print(f"## M{i:02d} rank {m['rank']}")
        for role in ("query", "judged", "top1"):
            print(f"  {role:6s} {case_line(catalog, m[role])}")
    for i, m in enumerate(drawn["near_sample"]):
        print(f"## N{i:02d} rank {m['rank']}")
        for role in ("query", "judged", "top1"):
            print(f"  {role:6s} {case_line(catalog, m[role])}")
    for i, (a, b) in enumerate(drawn["pair_sample"]):
        print(f"## P{i:02d}\n  {case_line(catalog, a)}\n  {case_line(catalog, b)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
