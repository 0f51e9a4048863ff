"""The fourth blind fresh set: new beside every earlier set, spread over the families it was asked
for, judged from raw source fields only, and refused by the split and the tuning."""

from __future__ import annotations

from collections import Counter

import pytest

from recommender.eval_fresh import fresh_grades
from recommender.fresh_queries import FRESH, WITHDRAWN
from recommender.fresh_queries2 import FRESH2
from recommender.fresh_queries3 import FRESH3
from recommender.fresh_queries4 import FRESH4, WRITTEN
from recommender.source_queries import ALL_QUERIES, QUERIES
from tests.fresh_fixture import (
    assert_judges_grade_fixture,
    assert_judges_read_raw_fields,
    assert_refused_by_split_and_tuning,
    catalog_source_records,
    thin_queries,
)
from tests.fresh_fixture import norm as _norm
from tests.test_fresh_queries import assert_no_tune_only_query_asks_for_the_same_pieces

# as the brief asked: 70 queries, no mood family
FAMILIES = {"genre": 15, "region": 15, "chinese": 10, "sacred": 10, "dance": 10, "combined": 10}


def test_fourth_set_is_new_and_has_the_asked_families():
    texts = [_norm(q.text) for q in FRESH4]
    assert len(texts) == 70 and len(set(texts)) == len(texts)
    earlier = {_norm(q.text) for q in (*ALL_QUERIES, *FRESH, *WITHDRAWN, *FRESH2, *FRESH3)}
    assert not set(texts) & earlier  # no query repeated from any earlier set
    assert Counter(q.family for q in FRESH4) == FAMILIES
    assert set(FAMILIES) <= {q.family for q in QUERIES}  # the families the reports know
    assert all(q.fresh for q in FRESH4)
    assert "blind" in WRITTEN and "10w" in WRITTEN


def test_every_fourth_set_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH4)


def test_every_fourth_set_judge_reads_raw_fields_only():
    assert_judges_read_raw_fields(FRESH4)


def test_fourth_set_judging_choices():
    by_text = {q.text: q for q in FRESH4}
    saxon = by_text["a Saxon folk song"]  # Saxony, not Lower Saxony or Saxony-Anhalt
    assert saxon.grade({"O": "Europa, Mitteleuropa, Deutschland, Sachsen, Dresden"}) == 2
    assert saxon.grade({"O": "Mitteleuropa, Deutschland, Niedersachsen"}) == 0
    assert saxon.grade({"O": "Mitteleuropa, Deutschland, Sachsen - Anhalt"}) == 0
    assert saxon.grade({"O": "Mitteleuropa, Deutschland, Provinz Sachsen"}) == 0
    faithful = by_text["a song about staying faithful"]  # faithfulness, not its breach
    assert faithful.grade({"R": "Treue, Trennung"}) == 2
    assert faithful.grade({"R": "Liebes - Lied, Untreue"}) == 0
    new_year = by_text["a Chinese New Year visiting song (bainian)"]  # the label, not the title
    assert new_year.grade({"R": "Xiaodiao. Bainian", "T": "Da lian cheng"}) == 2
    assert new_year.grade({"R": "Xiaodiao. Nannü qing", "T": "Wolia jiejiao ding bainian"}) == 0
    credo = by_text["a Credo from one of Palestrina's parody masses"]
    mass = {"collection": "palestrina", "source": "palestrina/Credo_01.krn"}
    assert credo.grade({**mass, "META": "Mass (Parody) ; Missa Viri Galilaei ; Credo"}) == 2
    assert credo.grade({**mass, "META": "Mass (Paraphrase) ; Missa Brevis ; Credo"}) == 1
    march = by_text["a march in G major for the pipes or fiddle"]  # not a reel named for March
    g_major = {"tonic": "G", "mode": "major"}
    assert march.grade({"R": "", "T": "The Duke of Gordon's March", **g_major}) == 2
    assert march.grade({"R": "Reel", "T": "The First of March", **g_major}) == 1


def test_split_and_tuning_refuse_the_fourth_set():
    assert_refused_by_split_and_tuning(FRESH4)


@pytest.mark.slow
def test_every_fourth_set_query_has_three_relevant_pieces_in_the_shipped_catalog():
    records = catalog_source_records()
    grades = fresh_grades(records, FRESH4)
    assert not thin_queries(grades)
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)
