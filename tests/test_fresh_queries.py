"""The blind fresh query set: new, spread over the families, judged from raw source fields,
never split into a tune half, never read by tuning, and reported beside the test half."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from recommender.eval_fresh import fresh_grades
from recommender.fresh_queries import FRESH, WITHDRAWN
from recommender.source_queries import (
    ALL_QUERIES,
    MIN_RELEVANT,
    QUERIES,
    RT,
    TUNE_ONLY,
    O,
    SourceQuery,
    meter,
    mode,
    require_tune_half,
    split,
)
from tests.fresh_fixture import assert_judges_grade_fixture
from tests.fresh_fixture import fixture_records as _records
from tests.fresh_fixture import norm as _norm


def test_fresh_set_is_new_large_and_spread_over_every_family():
    texts = [_norm(q.text) for q in FRESH]
    assert len(texts) >= 60 and len(set(texts)) == len(texts)
    assert not set(texts) & {_norm(q.text) for q in ALL_QUERIES}  # no query repeated
    per_family = Counter(q.family for q in FRESH)
    assert set(per_family) == {q.family for q in QUERIES}
    # 8..10 per family as written; sacred lost 4 and genre 1 to the withdrawn queries
    assert all(6 <= n <= 10 for n in per_family.values()), per_family
    assert all(q.fresh for q in FRESH) and not any(q.fresh for q in QUERIES)


def test_every_fresh_judge_grades_its_fixture_pieces_relevant_and_others_not():
    assert_judges_grade_fixture(FRESH)


def test_fresh_judges_read_raw_fields_not_the_rankers_columns():
    by_text = {q.text: q for q in (*FRESH, *WITHDRAWN)}
    funeral = by_text["a song for a funeral"]
    assert funeral.grade({"R": "Trauer -, Bregraebnis -, Trost - Lied", "source": "x.abc"}) == 2
    assert funeral.grade({"R": "", "genre": "funeral song", "source": "x.abc"}) == 0
    double = by_text["double jig"]
    assert double.grade({"R": "jig", "T": "", "meter": "6/8", "source": "x.abc"}) == 2
    assert double.grade({"R": "slip jig", "T": "", "meter": "9/8", "source": "x.abc"}) == 1
    easter = by_text["a Bach chorale for Easter"]
    chorale = {"collection": "bach", "source": "bach/bwv4.8.mxl"}
    assert easter.grade({**chorale, "META": "J.S. Bach ; Christ lag in Todesbanden"}) == 2
    assert easter.grade({**chorale, "META": "J.S. Bach ; Vom Himmel hoch"}) == 1
    wedding = by_text["songs for a wedding"]  # a ballad's bride-wooing is not a wedding song
    assert wedding.grade({"R": "Ballade, Braut - Werbung, Tod", "T": "", "source": "x.abc"}) == 0
    assert wedding.grade({"R": "Hochzeits -, Ehestands - Lied", "T": "", "source": "x"}) == 2


def test_split_never_puts_a_fresh_query_in_a_half():
    assert not any(q.fresh for half in split().values() for q in half)
    with pytest.raises(ValueError, match="fresh queries are all test"):
        split(QUERIES + FRESH)


def test_tuning_reads_only_the_tune_half():
    from recommender.eval_search import tune_weak_match, tune_weights

    require_tune_half(split()["tune"], split()["tune"])  # the tune half itself passes
    for outside in ([FRESH[0]], split()["test"][:1]):
        with pytest.raises(ValueError, match="only the tune half"):
            tune_weights(None, outside, {})  # refused before the engine is touched
    with pytest.raises(ValueError, match="only the tune half"):
        tune_weak_match(None, {"tune": [*split()["tune"], FRESH[0]], "test": []})


def test_fresh_grades_refuse_a_stale_query_and_a_judge_nothing_meets():
    with pytest.raises(ValueError, match="fresh queries only"):
        fresh_grades(_records(), (QUERIES[0],))
    with pytest.raises(ValueError, match="no relevant piece"):
        fresh_grades([{"R": "", "T": "", "O": "", "source": "x.abc"}], FRESH[:1])


# --------------------------------------------------------------------------- wiring


def _tiny_sets() -> tuple[tuple[SourceQuery, ...], ...]:
    tuned = (
        SourceQuery("lullaby", "genre", (RT("lullaby"),)),
        SourceQuery("a waltz", "genre", (RT("waltz"),)),
        SourceQuery("reel in a minor key", "mood", (RT("reel"), mode("minor"))),
        SourceQuery("a minor waltz", "mood", (RT("waltz"), mode("minor"))),
        SourceQuery("German tune", "region", (O("german"),)),
        SourceQuery("Irish tune", "region", (O("irish"),)),
    )
    fresh = (
        SourceQuery("a cradle song", "genre", (RT("lullaby"),), fresh=True),
        SourceQuery("a reel from Germany", "combined", (RT("reel"), O("german")), fresh=True),
        SourceQuery("something happy in 3/4", "mood", (meter("3/4"), mode("major")), fresh=True),
    )
    fresh2 = (
        SourceQuery("a German waltz", "combined", (RT("waltz"), O("german")), fresh=True),
        SourceQuery("a sad reel", "mood", (RT("reel"), mode("minor")), fresh=True),
    )
    fresh3 = (SourceQuery("an Irish lullaby", "combined", (RT("lullaby"), O("irish")), fresh=True),)
    fresh4 = (SourceQuery("a German reel", "combined", (RT("reel"), O("german")), fresh=True),)
    fresh5 = (SourceQuery("an Irish waltz", "combined", (RT("waltz"), O("irish")), fresh=True),)
    fresh6 = (
        SourceQuery("a German lullaby", "combined", (RT("lullaby"), O("german")), fresh=True),
    )
    fresh7 = (SourceQuery("an Irish reel", "combined", (RT("reel"), O("irish")), fresh=True),)
    fresh8 = (
        SourceQuery("a German waltz tune", "combined", (RT("waltz"), O("german")), fresh=True),
    )
    fresh9 = (
        SourceQuery("an Irish waltz tune", "combined", (RT("waltz"), O("irish")), fresh=True),
    )
    fresh10 = (
        SourceQuery("a German lullaby tune", "combined", (RT("lullaby"), O("german")), fresh=True),
    )
    return tuned, fresh, fresh2, fresh3, fresh4, fresh5, fresh6, fresh7, fresh8, fresh9, fresh10


@pytest.fixture
def tiny_fresh_run(monkeypatch):
    """A tiny synthetic engine with tiny tune and fresh sets patched in: (engine, sets)."""
    from cantus import catalog as catalog_module
    from recommender import eval_fresh, eval_search, source_queries
    from tests.test_engine import make_engine

    engine = make_engine(n=48)
    rows = engine.catalog
    records = [
        {"source": r.source, "collection": r.collection, "meter": r.meter, "tonic": r.tonic,
         "mode": r.mode, "R": r.form, "T": r.title, "O": r.origin}
        for r in rows.itertuples()
    ]  # fmt: skip
    tuned, *sets = _tiny_sets()
    texts = rows.assign(text=rows["title"] + " " + rows["form"] + " " + rows["origin"])
    monkeypatch.setattr(eval_search, "ALL_QUERIES", tuned)
    monkeypatch.setattr(eval_search, "split", lambda: source_queries.split(tuned, ()))
    monkeypatch.setattr(eval_search, "GRID", {k: v[:1] for k, v in eval_search.GRID.items()})
    monkeypatch.setattr(eval_search, "source_records", lambda catalog: records)
    monkeypatch.setattr(catalog_module, "load_catalog", lambda *a, **k: texts)
    for i, queries in enumerate(sets, start=1):  # FRESH, FRESH2 .. FRESH10
        monkeypatch.setattr(eval_fresh, f"FRESH{i if i > 1 else ''}", queries)
    return engine, tuple(sets)


def test_the_fresh_sections_are_scored_beside_the_test_half(tiny_fresh_run):
    """Each fresh set (``fresh`` .. ``fresh10``) gets every test-half method, is scored with the
    tuned constants, and never enters the tune or test half."""
    from recommender import eval_fresh

    engine, (fresh, fresh2, *_) = tiny_fresh_run
    base = engine.config

    report = eval_fresh.evaluate_search(engine)

    section = report["fresh"]
    assert engine.config == base  # restored after scoring with the tuned constants
    assert section["queries"] == len(fresh) and "after the tune half" in section["reports"]
    assert section["role"] == "tune" and report["fresh3"]["role"] == "tune"  # tenth stop on
    assert "fresh and fresh2 (tune sets), read per query" in report["tuning"].values()
    assert list(section["mean"]) == list(report["test"]["mean"])  # the same methods, in order
    assert set(section["families"]) == {"genre", "combined", "mood"}
    assert {e["query"] for e in section["per_query"]} == {q.text for q in fresh}
    assert all(e["relevant"] >= 1 for e in section["per_query"])
    halves = report["queries"]["tune"] + report["queries"]["test"]
    assert not {q.text for q in fresh} & set(halves)
    weak = section["weak_match"]
    assert weak["threshold_tuned"] == report["weak_match"]["threshold"]
    assert 0.0 <= weak["accuracy"] <= 1.0 and 0.0 <= weak["accuracy_in_use"] <= 1.0
    second = report["fresh2"]  # scored exactly like the first, on its own queries
    assert second["set"] == "fresh2" and section["set"] == "fresh"
    assert second["queries"] == len(fresh2) and second["role"] == "tune"
    assert list(second["mean"]) == list(section["mean"])
    assert set(second["families"]) == {"combined", "mood"}
    assert {e["query"] for e in second["per_query"]} == {q.text for q in fresh2}
    assert not {q.text for q in fresh2} & set(halves)
    assert second["weak_match"]["threshold_tuned"] == weak["threshold_tuned"]


def test_blind_sets_are_test_sections_and_can_be_skipped(tiny_fresh_run):
    """Sets 3 to 6 are tune sections since the tenth stop, set 7 since the eleventh and sets 8
    and 9 since the twelfth, set 10 the blind test section, in the report and its summary;
    ``skip`` leaves one out (its section says so), an unknown name is refused."""
    from recommender import eval_fresh
    from recommender.evaluate import summary_lines

    engine, sets = tiny_fresh_run
    _, _, fresh3, fresh4, fresh5, fresh6, fresh7, fresh8, fresh9, fresh10 = sets
    report = eval_fresh.evaluate_search(engine)
    lines = summary_lines({"source_queries": report})
    assert any(line.startswith("fresh queries (") and "tune set" in line for line in lines)
    assert any(line.startswith("fresh2 queries (") for line in lines)
    third = report["fresh3"]
    assert third["queries"] == 1 and {e["query"] for e in third["per_query"]} == {fresh3[0].text}
    assert any(line.startswith("fresh3 queries (") and "tune set" in line for line in lines)
    fourth = report["fresh4"]
    assert fourth["queries"] == 1 and {e["query"] for e in fourth["per_query"]} == {fresh4[0].text}
    assert any(line.startswith("fresh4 queries (") and "tune set" in line for line in lines)
    fifth = report["fresh5"]
    assert fifth["role"] == "tune" and fifth["written"] == eval_fresh.WRITTEN5
    assert fifth["queries"] == 1 and {e["query"] for e in fifth["per_query"]} == {fresh5[0].text}
    assert any(line.startswith("fresh5 queries (") and "tune set" in line for line in lines)
    sixth = report["fresh6"]
    assert sixth["role"] == "tune" and sixth["written"] == eval_fresh.WRITTEN6
    assert sixth["queries"] == 1 and {e["query"] for e in sixth["per_query"]} == {fresh6[0].text}
    assert any(line.startswith("fresh6 queries (") and "tune set" in line for line in lines)
    seventh = report["fresh7"]
    assert seventh["role"] == "tune" and seventh["written"] == eval_fresh.WRITTEN7
    assert seventh["queries"] == 1
    assert {e["query"] for e in seventh["per_query"]} == {fresh7[0].text}
    assert any(line.startswith("fresh7 queries (") and "tune set" in line for line in lines)
    assert "gated one change" in report["tuning"]["fresh7"]
    assert "tuned on at the eleventh stop" in report["tuning"]["fresh7"]
    eighth = report["fresh8"]
    assert eighth["role"] == "tune" and eighth["written"] == eval_fresh.WRITTEN8
    assert eighth["queries"] == 1
    assert {e["query"] for e in eighth["per_query"]} == {fresh8[0].text}
    assert any(line.startswith("fresh8 queries (") and "tune set" in line for line in lines)
    assert "tuned on at the twelfth stop" in report["tuning"]["fresh8"]
    ninth = report["fresh9"]
    assert ninth["role"] == "tune" and ninth["written"] == eval_fresh.WRITTEN9
    assert ninth["queries"] == 1
    assert {e["query"] for e in ninth["per_query"]} == {fresh9[0].text}
    assert any(line.startswith("fresh9 queries (") and "tune set" in line for line in lines)
    assert "gated one change there" in report["tuning"]["fresh9"]
    tenth = report["fresh10"]
    assert tenth["role"] == "test" and tenth["written"] == eval_fresh.WRITTEN10
    assert tenth["queries"] == 1
    assert {e["query"] for e in tenth["per_query"]} == {fresh10[0].text}
    assert any(line.startswith("fresh10 queries (") and "blind test" in line for line in lines)
    skipped = eval_fresh.evaluate_search(engine, skip=("fresh10",))["fresh10"]
    assert skipped["role"] == "test" and "per_query" not in skipped and skipped["skipped"]
    with pytest.raises(ValueError, match="no fresh query set named"):
        eval_fresh.evaluate_search(engine, skip=("fresh11",))


@pytest.mark.slow
def test_every_fresh_query_has_three_relevant_pieces_in_the_shipped_catalog():
    from cantus.catalog import load_catalog
    from recommender.eval_search import source_records

    columns = ["source", "number", "collection", "meter", "tonic", "mode"]
    records = source_records(load_catalog(columns=columns, include_user=False))
    grades = fresh_grades(records, FRESH)
    thin = {t: int((g == 2).sum()) for t, g in grades.items() if (g == 2).sum() < MIN_RELEVANT}
    assert not thin
    assert_no_tune_only_query_asks_for_the_same_pieces(records, grades)


def assert_no_tune_only_query_asks_for_the_same_pieces(records, grades) -> None:
    """Tune-only queries are tuned on: none may share half of a fresh query's relevant pieces
    (four that did are ``WITHDRAWN``); related queries share less, as the two halves' do."""
    for query in TUNE_ONLY:
        tuned = np.array([query.grade(r) == 2 for r in records])
        shares = {t: (tuned & (g == 2)).sum() / (g == 2).sum() for t, g in grades.items()}
        assert max(shares.values()) < 0.5, (query.text, max(shares, key=shares.get))
