"""The second blind fresh set: new beside both earlier sets, spread over the families, judged
from raw source fields, refused by the split and the tuning, and scored as its own section."""

from __future__ import annotations

from collections import Counter

import pytest

from recommender.eval_fresh import FRESH_SECTIONS, fresh_grades, fresh_set
from recommender.fresh_queries import FRESH
from recommender.fresh_queries2 import FRESH2
from recommender.source_queries import ALL_QUERIES, QUERIES
from tests.fresh_fixture import (
    assert_judges_grade_fixture,
    assert_refused_by_split_and_tuning,
    catalog_source_records,
    thin_queries,
)
from tests.fresh_fixture import norm as _norm
from tests.test_fresh_queries import assert_no_tune_only_query_asks_for_the_same_pieces


def test_second_set_is_new_large_and_spread_over_every_family():
    texts = [_norm(q.text) for q in FRESH2]
    assert len(texts) >= 60 and len(set(texts)) == len(texts)
    assert not set(texts) & {_norm(q.text) for q in (*ALL_QUERIES, *FRESH)}  # none repeated
    per_family = Counter(q.family for q in FRESH2)
    assert set(per_family) == {q.family for q in QUERIES}
    assert all(8 <= n <= 10 for n in per_family.values()), per_family
    assert all(q.fresh for q in FRESH2)


def test_every_second_set_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH2)


def test_second_set_judges_read_raw_fields_not_the_rankers_columns():
    by_text = {q.text: q for q in FRESH2}
    polish = by_text["a Polish folk song"]  # Poland itself, not the German border lands
    assert polish.grade({"O": "Osteuropa, Polen, Galizien", "source": "x.abc"}) == 2
    assert polish.grade({"O": "Mitteleuropa, Deutschland / Polen, Schlesien", "source": "x"}) == 0
    wuge = by_text["a Chinese song-and-dance tune (wuge)"]  # Wugeng diao is another family
    assert wuge.grade({"R": "Wuge, Yangge", "source": "x.abc"}) == 2
    assert wuge.grade({"R": "Xiaodiao, Wugeng diao", "source": "x.abc"}) == 0
    yodel = by_text["a yodel"]
    assert yodel.grade({"R": "Tanz - Lied, Jodler", "source": "x.abc"}) == 2
    assert yodel.grade({"R": "", "genre": "yodel", "source": "x.abc"}) == 0
    reel = by_text["a reel in the Dorian mode"]
    assert reel.grade({"R": "reel", "T": "", "mode": "dorian", "source": "x.abc"}) == 2
    assert reel.grade({"R": "reel", "T": "", "mode": "minor", "source": "x.abc"}) == 1


def test_split_and_tuning_refuse_the_second_set():
    assert_refused_by_split_and_tuning(FRESH2)


def test_each_section_names_its_own_set_and_an_unknown_name_is_refused():
    sections = list(FRESH_SECTIONS)
    assert sections == ["fresh", *(f"fresh{i}" for i in range(2, 11))]  # fresh .. fresh10
    assert fresh_set("fresh")[0] == FRESH and fresh_set("fresh2")[0] == FRESH2
    assert "10i" in fresh_set("fresh2")[1] and "blind" in fresh_set("fresh2")[1]
    with pytest.raises(ValueError, match="no blind query set named 'fresh11'"):
        fresh_set("fresh11")


def test_blind_sets_sharing_a_query_are_refused(monkeypatch):
    from recommender import eval_fresh

    monkeypatch.setattr(eval_fresh, "FRESH2", (*FRESH2, FRESH[0]))
    with pytest.raises(ValueError, match="share queries"):
        fresh_set("fresh2")


@pytest.mark.slow
def test_every_second_set_query_has_three_relevant_pieces_in_the_shipped_catalog():
    records = catalog_source_records()
    grades = fresh_grades(records, FRESH2)
    assert not thin_queries(grades)
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)  # at most .31 (jigs)
