"""The source-judged query set: fixed halves, grades from raw fields, and the report."""

from __future__ import annotations

import pytest

from recommender.source_queries import ALL_QUERIES, QUERIES, TUNE_ONLY, split, split_off_topic


def test_halves_are_fixed_disjoint_and_cover_every_family():
    first, second = split(), split()
    assert [q.text for q in first["tune"]] == [q.text for q in second["tune"]]
    tune, test = {q.text for q in first["tune"]}, {q.text for q in first["test"]}
    assert not tune & test and tune | test == {q.text for q in ALL_QUERIES}
    families = {q.family for q in QUERIES}
    assert {q.family for q in first["tune"]} == families == {q.family for q in first["test"]}
    assert (
        len(QUERIES) >= 40
        and len(set(split_off_topic()["tune"]) & set(split_off_topic()["test"])) == 0
    )


def test_tune_only_queries_join_the_tune_half_and_move_no_other_query():
    without = split(tune_only=())
    halves = split()
    assert [q.text for q in halves["test"]] == [q.text for q in without["test"]]
    assert [q.text for q in halves["tune"]] == [q.text for q in without["tune"] + list(TUNE_ONLY)]
    assert not {q.text for q in TUNE_ONLY} & {q.text for q in QUERIES}


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


def test_tuning_fuses_each_grid_point_as_search_ranks_it(monkeypatch):
    """Channels found once per channel setting, fused for every fusion weight: the best point's
    score is the one `search` gives with those settings (the function raises otherwise)."""
    import numpy as np

    import recommender.eval_search as eval_search
    from recommender.source_queries import SourceQuery
    from tests.test_search_lexical import _mass_engine

    grid = {
        **eval_search.GRID,
        "w_lexical": (0.0, 0.3),
        "w_facets": (0.8,),
        "w_lexical_alone": (0.7,),
    }
    grid.update({"w_caption": (0.5,), "lexical_coverage": (1.0,), "lexical_title": (0.5,)})
    grid["lexical_phrase"] = (0.0, 2.0)
    monkeypatch.setattr(eval_search, "GRID", grid)
    engine = _mass_engine(0.0)
    query = SourceQuery("the mass O Rex gloriae", "sacred", ())
    grades = np.zeros(len(engine.catalog))
    grades[20] = 2.0  # the Kyrie of that mass
    monkeypatch.setattr(eval_search, "split", lambda: {"tune": [query], "test": []})
    tuned, trials = eval_search.tune_weights(engine, [query], {query.text: grades})
    assert len(trials) == 4 and tuned["lexical_phrase"] == 2.0 and tuned["w_lexical"] == 0.3
    assert max(t["nDCG@10"] for t in trials) == 1.0 > min(t["nDCG@10"] for t in trials)
    assert engine.config.lexical_phrase == 0.0  # the engine's own settings are restored


def test_the_report_scores_the_served_constants_and_marks_them_stale_beside_a_better_grid():
    from recommender.eval_search import GRID, served_against_grid
    from recommender.search_types import SearchConfig
    from recommender.source_queries import SourceQuery

    tune = [SourceQuery(f"q{i}", "genre", ()) for i in range(4)]
    halves = {"tune": tune, "test": []}

    def per(scores: list[float]) -> dict[str, dict[str, float]]:
        return {q.text: {"nDCG@10": s, "P@10_strict": s} for q, s in zip(tune, scores, strict=True)}

    served = SearchConfig()
    close = served_against_grid(
        served, {"cantus": per([1, 1, 1, 0.5]), "cantus_grid_best": per([1, 1, 1, 1])}, halves
    )
    assert close["constants"] == {name: getattr(served, name) for name in GRID}
    assert (close["tune_nDCG@10"], close["grid_best_tune_nDCG@10"]) == (0.875, 1.0)
    assert not close["stale"]  # 0.125 behind: half a query of four
    far = served_against_grid(
        served, {"cantus": per([1, 1, 0, 0.5]), "cantus_grid_best": per([1, 1, 1, 1])}, halves
    )
    assert far["stale"]  # 0.375 behind: more than one query's worth


def test_the_lullaby_judge_reads_a_lullaby_label_not_every_sleep_word() -> None:
    lullaby = next(q for q in QUERIES if q.text == "lullaby")

    def grade(r: str, t: str) -> int:
        return lullaby.grade({"source": "essenFolksong/x.abc", "R": r, "O": "", "T": t})

    assert grade("Kinder -, Wiegen -, Schlaf - Lied", "SCHLAF KINDLEIN SCHLAF") == 2
    assert grade("Schlaflied", "") == 2
    assert grade("geistlich, Fest - Lied, Weihnachten", "SCHLAF MEIN KINDELEIN") == 2
    assert grade("Ballade, Beischlaf, Leiden", "Es war ein Markgraf") == 0
    assert grade("Ballade, Verfuehrung, Versagen, Spott", "Verschlafener Jaeger") == 0
    assert grade("Jahreszeiten - Lied, Fruehling", "AUS IHREM SCHLAF ERWACHET") == 0
