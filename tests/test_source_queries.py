"""The source-judged query set: fixed halves, grades from raw fields, and the report."""

from __future__ import annotations

import pytest

from recommender.source_queries import QUERIES, split, split_off_topic


def test_halves_are_fixed_disjoint_and_cover_every_family():
    first, second = split(), split()
    assert [q.text for q in first["tune"]] == [q.text for q in second["tune"]]
    tune, test = {q.text for q in first["tune"]}, {q.text for q in first["test"]}
    assert not tune & test and tune | test == {q.text for q in QUERIES}
    families = {q.family for q in QUERIES}
    assert {q.family for q in first["tune"]} == families == {q.family for q in first["test"]}
    assert (
        len(QUERIES) >= 40
        and len(set(split_off_topic()["tune"]) & set(split_off_topic()["test"])) == 0
    )


def test_grades_read_raw_fields_only():
    lullaby = next(q for q in QUERIES if q.text == "German lullaby in 3/4")
    raw = {"R": "Kinder -, Wiegen - Lied", "T": "", "meter": "3/4", "source": "x.abc"}
    assert lullaby.grade(raw) == 2
    assert lullaby.grade({**raw, "meter": "2/4"}) == 1
    assert lullaby.grade({"R": "Liebes - Lied", "meter": "2/4", "source": "x.abc"}) == 0
    # the ranker's English genre column is not what the judge reads
    assert lullaby.grade({"genre": "lullaby", "meter": "2/4", "source": "x.abc"}) == 0


def test_a_jig_in_9_8_is_a_slip_jig_by_its_label_and_meter():
    slip = next(q for q in QUERIES if q.text == "slip jig")
    assert slip.grade({"R": "Slip Jig", "T": "", "meter": "9/8", "source": "x.abc"}) == 2
    assert slip.grade({"R": "Jig", "T": "", "meter": "9/8", "source": "x.abc"}) == 2
    assert slip.grade({"R": "Jig", "T": "", "meter": "6/8", "source": "x.abc"}) == 0
    assert slip.grade({"R": "", "T": "An Air", "meter": "9/8", "source": "x.abc"}) == 0


@pytest.mark.slow
def test_report_on_the_shipped_catalog_tunes_on_one_half_and_reports_the_other():
    from recommender.engine import Engine
    from recommender.eval_search import GRID, evaluate_source_queries

    report = evaluate_source_queries(Engine.load())
    tuned = report["tuned_on_tune_half"]
    assert {"w_lexical", "lexical_coverage", "lexical_title"} <= set(GRID)
    assert set(tuned["constants"]) == set(GRID) and len(tuned["trials"]) > 1
    test = report["test"]["mean"]
    assert test["cantus"]["nDCG@10"] > test["bm25_metadata"]["nDCG@10"]
    assert test["cantus"]["nDCG@10"] > test["random"]["nDCG@10"] + 0.5
    assert 0.0 < report["weak_match"]["threshold"] < 1.0
