"""The blind test-half audit: its figures follow from a tiny labels fixture and fixed rankings,
and the draw keeps at most PER_QUERY judged pieces per query."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "audit_test_half"


def _rows(name: str) -> list[dict[str, str]]:
    with (FIXTURE / name).open(newline="") as f:
        return list(csv.DictReader(f))


# per case, ids best first: T00's same piece "a" ranks 2nd below the alias "x"; T02's "d" 1st
RANKED = {
    "shipped": {"T00": ["x", "a", "b"], "T01": ["y", "c"], "T02": ["d", "z"]},
    "baseline": {"T00": ["b", "z", "z2", "a"], "T01": ["c", "y"], "T02": ["z", "d"]},
}
JUDGED = {"T00": {"a", "b"}, "T01": {"c"}, "T02": {"d"}}


def _summary(top1: list[dict[str, str]] | None = None) -> dict:
    from recommender.audit_test_half import summarise_test

    top1 = _rows("top1.csv") if top1 is None else top1
    return summarise_test(_rows("labels.csv"), top1, RANKED, JUDGED, "shipped")


def test_judge_precision_counts_same_pairs_and_queries():
    out = _summary()
    assert out["judge_precision"]["count"] == 2 and out["judge_precision"]["of"] == 4
    low, high = out["judge_precision"]["wilson_95"]
    assert low < 0.5 < high
    assert out["judge_precision_incl_related"]["count"] == 3
    assert out["queries_with_a_same_piece"]["count"] == 2
    assert out["top1_second_pass"] == {"alias": 1, "same-file": 0, "related": 0, "different": 1}


def test_mrr_under_the_judge_the_labels_and_with_aliases():
    out = _summary()
    shipped, baseline = out["shipped"], out["baseline"]
    # (a) judge: T00 "a" at 2, T01 "c" at 2, T02 "d" at 1
    assert shipped["a_judge"]["MRR@100"] == pytest.approx((0.5 + 0.5 + 1) / 3, abs=1e-3)
    assert baseline["a_judge"]["MRR@100"] == pytest.approx((1 + 1 + 0.5) / 3, abs=1e-3)
    # (b) only pieces labelled same, over T00 and T02 (T01 has none)
    assert shipped["b_labelled_same"]["queries"] == 2
    assert shipped["b_labelled_same"]["MRR@100"] == pytest.approx(0.75, abs=1e-3)
    assert baseline["b_labelled_same"]["MRR@100"] == pytest.approx((0.25 + 0.5) / 2, abs=1e-3)
    assert shipped["b_gain_over"]["baseline"]["MRR_gain"] == pytest.approx(0.375, abs=1e-3)
    # (c) T00's rank 1 "x" is an alias: a hit
    assert shipped["c_alias_counted"]["MRR@100"] == pytest.approx(1.0)
    low, high = shipped["b_labelled_same"]["MRR_95"]
    assert low <= 0.75 <= high
    assert [m["case"] for m in shipped["b_not_first"]] == ["T00"]
    assert shipped["b_not_first"][0]["top1_label"] == "alias"


def test_missing_rank1_label_fails_loudly():
    with pytest.raises(ValueError, match="missing for \\['T00'\\]"):
        _summary(top1=[r for r in _rows("top1.csv") if r["case"] != "T00"])


def test_a_stale_rank1_label_fails_loudly():
    stale = [dict(r, top1="other") if r["case"] == "T00" else r for r in _rows("top1.csv")]
    with pytest.raises(ValueError, match="stale for \\['T00'\\]"):
        _summary(top1=stale)


def test_draw_is_fixed_and_keeps_at_most_per_query_judged():
    from recommender.audit_test_half import draw_test_sample

    pairs = ([10, 11, 12, 13], [{1, 2, 3, 4, 5}, {6}, {7, 8}, {9}])
    drawn = draw_test_sample(pairs, n=3, per_query=3, seed=1)
    assert drawn == draw_test_sample(pairs, n=3, per_query=3, seed=1)
    assert len(drawn) == 3
    for q, judged in drawn:
        good = pairs[1][pairs[0].index(q)]
        assert set(judged) <= good and len(judged) == min(3, len(good))


def test_bad_labels_file_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    from recommender import audit_test_half

    monkeypatch.setattr(audit_test_half, "TEST_LABELS", tmp_path / "absent.csv")
    assert audit_test_half.main_test("summary-test") == 2
    err = capsys.readouterr().err
    assert "no labels file" in err and len(err.strip().splitlines()) == 1


def test_labelled_cases_are_the_draw_of_the_test_half():
    """The committed labels are exactly the seeded draw (the audit goes stale if the judge or
    the draw changes)."""
    import pandas as pd

    from cantus.config import artifacts_dir
    from recommender.audit_test_half import TEST_LABELS, TOP1_LABELS, draw_test_sample
    from recommender.eval_same_tune import PRIMARY_JUDGE, same_tune_pairs

    path = artifacts_dir() / "catalog.parquet"
    if not path.exists():
        pytest.skip("no shipped catalog")
    catalog = pd.read_parquet(path, columns=["id", "title", "collection", "source", "meter"])
    ids = catalog["id"].astype(str).to_numpy()
    drawn = draw_test_sample(same_tune_pairs(catalog, PRIMARY_JUDGE)["test"])
    want = {(f"T{i:02d}", ids[q], ids[j]) for i, (q, js) in enumerate(drawn) for j in js}
    with TEST_LABELS.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["case"], r["query"], r["judged"]) for r in rows} == want
    assert {r["label"] for r in rows} <= {"same", "related", "different"}
    with TOP1_LABELS.open(newline="") as f:
        top1 = list(csv.DictReader(f))
    assert {r["label"] for r in top1} <= {"alias", "same-file", "related", "different"}
