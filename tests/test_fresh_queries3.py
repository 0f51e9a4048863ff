"""The third blind fresh set: new beside every earlier set, spread over the families, judged from
raw source fields only, and refused by the split and the tuning."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from recommender.eval_fresh import fresh_grades
from recommender.fresh_queries import FRESH, WITHDRAWN
from recommender.fresh_queries2 import FRESH2
from recommender.fresh_queries3 import FRESH3, WRITTEN
from recommender.source_queries import ALL_QUERIES, QUERIES
from tests.fresh_fixture import (
    RAW_NEEDS,
    assert_judges_grade_fixture,
    assert_refused_by_split_and_tuning,
    catalog_source_records,
    thin_queries,
)
from tests.fresh_fixture import norm as _norm
from tests.test_fresh_queries import assert_no_tune_only_query_asks_for_the_same_pieces


def test_third_set_is_new_large_and_spread_over_every_family():
    texts = [_norm(q.text) for q in FRESH3]
    assert len(texts) >= 60 and len(set(texts)) == len(texts)
    earlier = {_norm(q.text) for q in (*ALL_QUERIES, *FRESH, *WITHDRAWN, *FRESH2)}
    assert not set(texts) & earlier  # no query repeated from any earlier set
    per_family = Counter(q.family for q in FRESH3)
    assert set(per_family) == {q.family for q in QUERIES}
    assert all(8 <= n <= 10 for n in per_family.values()), per_family
    assert all(q.fresh for q in FRESH3)
    assert "blind" in WRITTEN and "10k" in WRITTEN


def test_every_third_set_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH3)


def test_every_third_set_judge_reads_raw_fields_only():
    for query in FRESH3:  # a need of alternatives ("a or (b and c)") is checked part by part
        parts = [p.strip("() ") for n in query.needs for p in re.split(r" or | and ", n.name)]
        assert all(p.startswith(RAW_NEEDS) for p in parts), query.text
    # the ranker's own columns, filled with the query's own words, never make a piece relevant
    for query in FRESH3:
        columns = ("genre", "region", "form", "origin", "title", "caption", "text")
        ranker_only = {"source": "x.abc", **dict.fromkeys(columns, query.text)}
        assert query.grade(ranker_only) == 0, query.text


def test_third_set_judging_choices():
    by_text = {q.text: q for q in FRESH3}
    swabian = by_text["a Swabian folk song"]  # Swabia, not the Danube Swabians
    assert swabian.grade({"O": "Europa, Mitteleuropa, Deutschland, Schwaben, Ulm"}) == 2
    assert swabian.grade({"O": "Suedosteuropa, Donauschwaben, Batschka"}) == 0
    stepmother = by_text["a song about a wicked stepmother"]
    assert stepmother.grade({"R": "Ballade, Waise, boese Stiefmutter, Klage am Grab"}) == 2
    assert stepmother.grade({"R": "Ballade, Tod, Waise, gute Stiefmutter"}) == 0
    march = by_text["a march in D major"]  # a march, not a reel named for the month
    d_major = {"tonic": "D", "mode": "major"}
    assert march.grade({"R": "", "T": "Duke of York's March", **d_major}) == 2
    assert march.grade({"R": "Reel", "T": "The First of March", **d_major}) == 1
    new_year = by_text["a Bach chorale for New Year's Day"]
    chorale = {"collection": "bach", "source": "bach/bwv16.6.mxl"}
    assert new_year.grade({**chorale, "META": "J.S. Bach ; Helft mir Gott’s Güte preisen"}) == 2
    assert new_year.grade({**chorale, "META": "J.S. Bach ; Vom Himmel hoch"}) == 1
    ascension = by_text["a Palestrina mass for Ascension Day"]
    mass = {"collection": "palestrina", "source": "palestrina/Credo_01.krn"}
    assert ascension.grade({**mass, "META": "Mass (Parody) ; Missa Viri Galilaei ; Credo"}) == 2
    assert ascension.grade({**mass, "META": "Mass (Parody) ; Missa Brevis ; Credo"}) == 1
    praise = by_text["a chorale of praise and thanksgiving"]  # Bach's, or Essen's hymns
    assert praise.grade({"collection": "bach", "source": "b", "META": "Nun danket alle Gott"}) == 2
    assert praise.grade({"R": "geistlich, Dank - Lied, Choral", "source": "x.abc"}) == 2
    assert praise.grade({"R": "geistlich, Dank - Lied", "source": "x.abc"}) == 0
    assert praise.grade({"collection": "bach", "source": "b", "META": "Vom Himmel hoch"}) == 0
    molihua = by_text["the jasmine flower song, Molihua"]  # the tune family's label or title
    assert molihua.grade({"R": "Xiaodiao", "T": "Yiduo molihua"}) == 2
    assert molihua.grade({"R": "Xiaodiao", "T": "Xiu hebao"}) == 0


def test_split_and_tuning_refuse_the_third_set():
    assert_refused_by_split_and_tuning(FRESH3)


@pytest.mark.slow
def test_every_third_set_query_has_three_relevant_pieces_in_the_shipped_catalog():
    records = catalog_source_records()
    grades = fresh_grades(records, FRESH3)
    assert not thin_queries(grades)
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)  # at most .14 (jigs)
