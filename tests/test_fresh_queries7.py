"""The seventh blind fresh set: new beside every earlier set, spread over the families it was
asked for, judged from raw source fields only, and refused by the split and the tuning."""

from __future__ import annotations

from collections import Counter

import pytest

from recommender.eval_fresh import fresh_grades
from recommender.fresh_queries import FRESH, WITHDRAWN
from recommender.fresh_queries2 import FRESH2
from recommender.fresh_queries3 import FRESH3
from recommender.fresh_queries4 import FRESH4
from recommender.fresh_queries5 import FRESH5
from recommender.fresh_queries6 import FRESH6
from recommender.fresh_queries7 import FRESH7, WRITTEN
from recommender.source_queries import ALL_QUERIES
from tests.fresh_fixture import (
    assert_judges_grade_fixture,
    assert_judges_read_raw_fields,
    assert_refused_by_split_and_tuning,
    catalog_source_records,
    thin_queries,
)
from tests.fresh_fixture import norm as _norm
from tests.test_fresh_queries import assert_no_tune_only_query_asks_for_the_same_pieces

# as the brief asked: 72 queries, an "about" family, no mood family
FAMILIES = {
    "genre": 14,
    "region": 12,
    "chinese": 10,
    "sacred": 8,
    "dance": 8,
    "about": 12,
    "combined": 8,
}


def test_seventh_set_is_new_and_has_the_asked_families():
    texts = [_norm(q.text) for q in FRESH7]
    assert len(texts) == 72 and len(set(texts)) == len(texts)
    earlier = (*ALL_QUERIES, *FRESH, *WITHDRAWN, *FRESH2, *FRESH3, *FRESH4, *FRESH5, *FRESH6)
    assert not set(texts) & {_norm(q.text) for q in earlier}  # no query repeated
    assert Counter(q.family for q in FRESH7) == FAMILIES
    assert all(q.fresh for q in FRESH7)
    assert "blind" in WRITTEN and "10s7" in WRITTEN


def test_every_seventh_set_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH7)


def test_every_seventh_set_judge_reads_raw_fields_only():
    assert_judges_read_raw_fields(FRESH7)


def test_seventh_set_judging_choices():
    by_text = {q.text: q for q in FRESH7}
    england = by_text["an English folk song"]  # not New England nor a doubtful "England (?)"
    assert england.grade({"O": "Westeuropa, England"}) == 2
    assert england.grade({"O": "Nord - Amerika, USA, Neuengland"}) == 0
    assert england.grade({"O": "Westeuropa, England (?)"}) == 0
    spinning = by_text["a song for the spinning room"]  # not the doubtful "(?)" label
    assert spinning.grade({"R": "Spinnstuben - Lied"}) == 2
    assert spinning.grade({"R": "Ballade, Indiskretion; Spinnstuben - Lied (?)"}) == 0
    sun = by_text["a Chinese song about the sun coming up"]  # not the red sun, Chairman Mao
    assert sun.grade({"R": "Shange", "T": "Taiyang chulai man tian hong"}) == 2
    assert sun.grade({"R": "Xiaodiao", "T": "Mao zhuxi shi hong taiyang"}) == 0
    peace = by_text["a Bach chorale praying for peace"]  # not the Nunc dimittis
    bach = {"collection": "bach", "source": "bach/x.mxl"}
    assert peace.grade({**bach, "META": "J.S. Bach ; Verleih’ uns Frieden gnädiglich"}) == 2
    assert peace.grade({**bach, "META": "J.S. Bach ; Herr, nun laß in Friede"}) == 1
    irish = by_text["an Irish fiddle tune from O'Neill's collection"]  # the book, O: is empty
    assert irish.grade({"collection": "oneills1850", "source": "oneills1850/x.abc"}) == 2
    assert irish.grade({"collection": "ryansMammoth", "O": "", "source": "x.abc"}) == 0
    credo = by_text["a Palestrina Credo in triple time (3/2)"]
    mass = {"collection": "palestrina", "source": "palestrina/Credo_12.krn", "META": ""}
    assert credo.grade({**mass, "meter": "3/2"}) == 2
    assert credo.grade({**mass, "meter": "4/2"}) == 1


def test_split_and_tuning_refuse_the_seventh_set():
    assert_refused_by_split_and_tuning(FRESH7)


@pytest.mark.slow
def test_every_seventh_set_query_has_three_relevant_pieces_in_the_shipped_catalog():
    records = catalog_source_records()
    grades = fresh_grades(records, FRESH7)
    assert not thin_queries(grades)
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)
