"""The ninth blind fresh set: new beside every earlier set, spread over the families it was
asked for, judged from raw source fields only, and refused by the split and the tuning."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from recommender.eval_fresh import SET_ROLES, fresh_grades
from recommender.fresh_queries9 import FRESH9, WRITTEN
from tests.fresh_fixture import (
    assert_judges_grade_fixture,
    assert_judges_read_raw_fields,
    assert_new_beside,
    assert_refused_by_split_and_tuning,
    catalog_source_records,
    queries_before,
    thin_queries,
)
from tests.test_fresh_queries import assert_no_tune_only_query_asks_for_the_same_pieces

# as the brief asked: about 72 queries, set 8's families, no mood family
FAMILIES = {
    "genre": 16,
    "region": 14,
    "chinese": 8,
    "sacred": 8,
    "dance": 8,
    "about": 10,
    "combined": 8,
}
EARLIER = queries_before("fresh9")


def test_ninth_set_is_new_and_has_the_asked_families():
    assert_new_beside(FRESH9, EARLIER, 72)
    assert Counter(q.family for q in FRESH9) == FAMILIES
    assert "blind" in WRITTEN and "10s9" in WRITTEN
    assert SET_ROLES["fresh9"] == "tune" and SET_ROLES["fresh8"] == "tune"  # tuned on at the 12th


def test_every_ninth_set_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH9)


def test_every_ninth_set_judge_reads_raw_fields_only():
    assert_judges_read_raw_fields(FRESH9)


def test_ninth_set_judging_choices():
    by_text = {q.text: q for q in FRESH9}
    cavalry = by_text["a cavalry trooper's song"]  # a rider, not a knee-bouncing rhyme
    assert cavalry.grade({"R": "Staende -, Soldaten - Lied, Reiter"}) == 2
    assert cavalry.grade({"R": "Kinder -, Kniereiter - Lied"}) == 0
    roses = by_text["a song about roses"]  # a rose, not a rosary or a quickstep named Rosette
    assert roses.grade({"R": "", "T": "Sah ein Knab ein Röslein stehn"}) == 2
    assert roses.grade({"R": "Marien - Lied", "T": "Der goldene Rosenkranz"}) == 0
    assert roses.grade({"R": "", "T": "Rosette. Quick Step."}) == 0
    sprite = by_text["a song about the water sprite (Wassermann, Nixe)"]  # not dialect "nix"
    assert sprite.grade({"R": "Sage", "T": "Es freit ein wilder Wassermann"}) == 2
    assert sprite.grade({"R": "", "T": "Es geht nix ueber die Gemuetlichkeit"}) == 0
    jacobite = by_text["a Jacobite tune for Bonnie Prince Charlie"]  # not Lady Charlotte
    assert jacobite.grade({"R": "", "T": "Over the Water to Charlie."}) == 2
    assert jacobite.grade({"R": "", "T": "Lady Charlotte Campbell's Strathspey."}) == 0
    reformation = by_text["a Bach chorale for Reformation Day"]  # not the tune-only Feste Burg
    bach = {"collection": "bach", "source": "bach/x.mxl"}
    assert (
        reformation.grade({**bach, "META": "J.S. Bach ; Erhalt’ uns, Herr, bei deinem Wort"}) == 2
    )
    assert reformation.grade({**bach, "META": "J.S. Bach ; Ein’ feste Burg ist unser Gott"}) == 1
    south = by_text["a South German folk song"]  # with or without the hyphen Essen writes
    assert south.grade({"O": "Europa, Mitteleuropa, Deutschland, Sueddeutschland"}) == 2
    assert south.grade({"O": "Europa, Mitteleuropa, Deutschland, Sued - Deutschland"}) == 2
    ciconia = by_text["a Gloria by Johannes Ciconia"]  # both needs, from music21's metadata
    assert ciconia.grade({"META": "Johannes Ciconia ; Credo", "source": "trecento/x.xml"}) == 1


def test_split_and_tuning_refuse_the_ninth_set():
    assert_refused_by_split_and_tuning(FRESH9)


@pytest.mark.slow
def test_every_ninth_set_query_has_three_relevant_pieces_in_the_shipped_catalog():
    records = catalog_source_records()
    grades = fresh_grades(records, FRESH9)
    assert not thin_queries(grades)
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)  # at most .33 (jigs)
    # a paraphrase of an earlier query would ask for exactly its pieces
    mine = {tuple(np.flatnonzero(g == 2)): t for t, g in grades.items()}
    same = [
        (mine[rows], q.text)
        for q in EARLIER
        if (rows := tuple(i for i, r in enumerate(records) if q.grade(r) == 2)) in mine
    ]
    assert not same
