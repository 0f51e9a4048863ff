"""Recommendation metrics, the source-metadata taste judge, and the evaluation end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender import eval_recommend
from recommender.eval_recommend import EvalConfig, evaluate, simulate_users
from recommender.eval_tastes import (
    PAIRS,
    TASTES,
    Taste,
    abc_headers,
    source_headers,
    taste_masks,
)
from recommender.metrics import coverage, hit_rate, intra_list_diversity, ndcg
from tests.test_personal import basis, make_engine


def _folder(name: str) -> Taste:
    """A synthetic taste judged by the source path (the test catalog's sources are
    ``<cluster>/file.abc``), as the real judge reads music21 corpus paths."""
    return Taste(name, "test" if name in ("jigs", "chorales") else "tune", _path_rule(name))


def _path_rule(name: str):
    return lambda path, header: path.startswith(f"{name}/")


SYNTHETIC_TASTES = [_folder(n) for n in ("jigs", "chorales", "chinese", "reels")]
SYNTHETIC_PAIRS = (("jigs", "chorales"), ("chinese", "reels"))


@pytest.fixture(scope="module")
def engine():
    centres = {
        "jigs": basis(0),
        "chorales": basis(1),
        "between": basis(0) + basis(1),
        "chinese": basis(2),
        "reels": basis(3),
    }
    return make_engine(centres, per_cluster=40, noise=0.3)


def test_hit_rate_and_ndcg_on_hand_made_lists() -> None:
    ranked = ["a", "b", "c", "d"]
    assert hit_rate(ranked, "c", k=3) == 1.0
    assert hit_rate(ranked, "d", k=3) == 0.0  # beyond the cut-off
    assert ndcg(ranked, "a", k=3) == 1.0
    assert ndcg(ranked, "b", k=3) == pytest.approx(1 / math.log2(3))
    assert ndcg(ranked, "z", k=3) == 0.0


def test_intra_list_diversity_and_coverage_on_hand_made_cases() -> None:
    assert intra_list_diversity(np.eye(3)) == pytest.approx(1.0)  # orthogonal: 1 - 0
    assert intra_list_diversity(np.ones((4, 5))) == pytest.approx(0.0)  # copies
    assert intra_list_diversity(np.ones((1, 3))) == 0.0
    assert coverage([["a", "b"], ["b", "c"]], n_items=10) == pytest.approx(0.3)
    assert coverage([], n_items=10) == 0.0


ABC = """X: 1
T: Schlaf Kindlein
O: Europa, Mitteleuropa, Deutschland
R: Kinder -, Wiegen - Lied
M: 2/4
K: F
A2GG | F2z2 |

X: 2
T: The Rivals
M: 6/8
K: Ador
ABA c2d |

X: 3
T: Sad Air
N: "Slow"
M: 3/4
K: Dm
D2 F2 A2 |
"""


def test_abc_headers_are_read_per_work_and_judged_by_rules(tmp_path: Path) -> None:
    (tmp_path / "oneills1850").mkdir()
    path = tmp_path / "oneills1850" / "book.abc"
    path.write_text(ABC, encoding="utf-8")
    tunes = abc_headers(path)
    assert set(tunes) == {"1", "2", "3"}
    assert tunes["1"]["R"] == "Kinder -, Wiegen - Lied" and tunes["2"]["K"] == "Ador"
    catalog = pd.DataFrame(
        {
            "source": ["oneills1850/book.abc"] * 3 + ["bach/bwv1.6.mxl"],
            "number": ["1", "2", "3", ""],
        }
    )
    assert source_headers(catalog, tmp_path)[3] == {}  # not ABC: paths only
    masks = taste_masks(catalog, TASTES, tmp_path)
    assert masks["lullabies"].tolist() == [True, False, False, False]
    assert masks["German children's songs"].tolist() == [True, False, False, False]
    assert masks["jigs"].tolist() == [False, True, False, False]  # 6/8 dance-book tune, no R:
    assert masks["Dorian and Mixolydian tunes"].tolist() == [False, True, False, False]
    assert masks["slow airs in 3/4"].tolist() == [False, False, True, False]
    assert masks["Bach chorales"].tolist() == [False, False, False, True]


AIRD = """X:0001
T:Fair Helen
M:3/4
K:G
G2 B2 d2 |

X:0002
T:The Maids in the Morning
M:6/8
Q:3/8=104 "Slow"
K:A Dorian
ABA c2d |

X:0003
T:Lament for the Fair Maid
M:3/4
K:Em
E2 G2 B2 |
"""


def test_zero_padded_work_numbers_and_whole_slow_words(tmp_path: Path) -> None:
    """Aird's books number tunes "X:0001" (the catalog says work "1"); "air" in "Fair" is
    no air, and a slow 6/8 tune in a dance book is no jig."""
    (tmp_path / "airdsAirs").mkdir()
    (tmp_path / "airdsAirs" / "book1.abc").write_text(AIRD, encoding="utf-8")
    catalog = pd.DataFrame({"source": ["airdsAirs/book1.abc"] * 3, "number": ["1", "2", "3"]})
    headers = source_headers(catalog, tmp_path)
    assert [h["T"] for h in headers] == [
        "Fair Helen", "The Maids in the Morning", "Lament for the Fair Maid",
    ]  # fmt: skip
    masks = taste_masks(catalog, TASTES, tmp_path)
    assert masks["slow airs in 3/4"].tolist() == [False, False, True]
    assert masks["Dorian and Mixolydian tunes"].tolist() == [False, True, False]
    assert masks["jigs"].tolist() == [False, False, False]  # 6/8 but marked slow
    assert masks["slow airs in 2/4, 4/4 or 6/8"].tolist() == [False, True, False]
    assert masks["minor-key dance tunes"].tolist() == [False, False, True]


def test_adding_a_taste_leaves_the_other_listeners_alone(engine) -> None:
    config = EvalConfig(users_per_taste=3)
    masks = taste_masks(engine.catalog, SYNTHETIC_TASTES)
    ids = engine.catalog["id"].astype(str).to_numpy()
    splits = {t.name: t.split for t in SYNTHETIC_TASTES}
    some = {name: masks[name] for name in ("jigs", "reels")}
    fewer = simulate_users(ids, some, splits, (), config)
    more = simulate_users(ids, masks, splits, SYNTHETIC_PAIRS, config)
    assert set(fewer) <= set(more)
    histories = [eval_recommend.history_of(u, config, u.history_rng(0)) for u in fewer]
    again = [eval_recommend.history_of(u, config, u.history_rng(0)) for u in fewer]
    assert histories == again


def test_tastes_split_into_tune_and_test_and_pairs_stay_inside_a_split() -> None:
    split = {t.name: t.split for t in TASTES}
    assert set(split.values()) == {"tune", "test"}
    assert all(split[a] == split[b] for a, b in PAIRS)


def test_simulated_listeners_hold_out_one_favourite_of_their_tastes(engine) -> None:
    config = EvalConfig(users_per_taste=3, favourites=6)
    masks = taste_masks(engine.catalog, SYNTHETIC_TASTES)
    ids = engine.catalog["id"].astype(str).to_numpy()
    splits = {t.name: t.split for t in SYNTHETIC_TASTES}
    users = simulate_users(ids, masks, splits, SYNTHETIC_PAIRS, config)
    assert len(users) == 3 * (len(SYNTHETIC_TASTES) + len(SYNTHETIC_PAIRS))
    for user in users:
        assert len(user.history) == 5 and user.held_out not in user.history
        prefixes = {pid.split(":")[0] for pid in (*user.history, user.held_out)}
        assert prefixes == set(user.tastes)  # pairs draw from both tastes, singles from one
        assert user.split == splits[user.tastes[0]]


def test_evaluation_beats_baselines_covers_both_tastes_and_never_returns_hidden(engine) -> None:
    config = EvalConfig(users_per_taste=3, favourites=6, min_taste_size=10)
    report = evaluate(engine, config, tastes=SYNTHETIC_TASTES, pairs=SYNTHETIC_PAIRS)
    test = report["splits"]["test"]
    methods = {"cantus", "before_scale_facet", "previous", "naive_last_favourite", "random"}
    assert set(test) == methods
    assert set(report["per_taste_tune"]) == {"chinese", "reels", "chinese + reels"}
    assert test["cantus"]["one_taste_precision@10"] > test["random"]["one_taste_precision@10"] + 0.3
    assert test["cantus"]["two_tastes_both_covered"] == 1.0
    assert test["naive_last_favourite"]["two_tastes_both_covered"] < 1.0  # one taste only
    hides = report["not_for_me"]["test"]["cantus"]
    assert hides["hidden_pieces"] > 0 and hides["hidden_returned"] == 0
    assert report["targets"]["hidden_returned"]["met"] is True
    grid = report["tuned_on_tune_split"]["grid"]
    assert len(grid) == math.prod(len(v) for v in eval_recommend.SWEEP.values())
    assert report["reported_split"] == "test" and report["users"] == {"test": 9, "tune": 9}
    json.dumps(report)  # the CLI saves it as JSON


@pytest.mark.slow  # a whole evaluation / a Ray build: minutes under load (CI's test-slow)
def test_eval_cli_prints_and_saves_the_report(engine, monkeypatch, capsys, tmp_path) -> None:
    from cantus import cli
    from recommender import cli_recommend

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("recommender.cli_recommend",))
    monkeypatch.setattr(cli_recommend, "load_engine", lambda: engine)
    monkeypatch.setattr(eval_recommend, "TASTES", SYNTHETIC_TASTES)
    monkeypatch.setattr(eval_recommend, "PAIRS", SYNTHETIC_PAIRS)
    assert cli.main(["eval", "recommendation", "--json", "--users-per-taste", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "home" / "bench" / "eval_recommendation.json").read_text())
    assert printed == saved and printed["users"] == {"test": 2 * 3, "tune": 2 * 3}
    assert cli.main(["eval", "recommendation", "--users-per-taste", "1"]) == 0  # the text form
    assert "test split" in capsys.readouterr().out
    assert cli.main(["eval", "recommendation", "--users-per-taste", "0"]) == 2


def test_history_timestamps_are_within_the_window_newest_last() -> None:
    user = eval_recommend.SimUser(("t",), "test", ("a", "b", "c"), "d")
    config = EvalConfig(history_days=30)
    events = eval_recommend.history_of(user, config, np.random.default_rng(0))
    ages = [(eval_recommend.NOW - e.at).days for e in events]
    assert [e.piece_id for e in events] == ["a", "b", "c"] and all(0 <= a <= 30 for a in ages)
    assert ages == sorted(ages, reverse=True)


def test_eval_config_rejects_nothing_to_hold_out() -> None:
    with pytest.raises(ValueError, match="favourites"):
        EvalConfig(favourites=2)


@pytest.mark.slow
def test_default_catalog_cantus_beats_naive_and_random_and_hides_stay_hidden() -> None:
    """On the shipped catalog + embeddings and music21's corpus files (the judge's sources)."""
    from cantus.config import artifacts_dir
    from cantus.errors import MissingArtifact
    from recommender.engine import Engine

    if not (artifacts_dir() / "catalog.parquet").is_file():
        pytest.skip("no shipped catalog in artifacts/ yet")
    try:
        engine = Engine.load(artifacts_dir())
    except MissingArtifact as exc:  # artifacts mid-rebuild: encoder and embeddings disagree
        pytest.skip(str(exc))
    report = evaluate(engine, EvalConfig(users_per_taste=3))
    test = report["splits"]["test"]
    for baseline in ("naive_last_favourite", "random"):
        assert test["cantus"]["one_taste_precision@10"] > test[baseline]["one_taste_precision@10"]
        assert test["cantus"]["two_tastes_both_covered"] > test[baseline]["two_tastes_both_covered"]
    assert report["not_for_me"]["test"]["cantus"]["hidden_returned"] == 0


def test_bench_recommend_times_warm_lists_and_saves_json(engine, monkeypatch, tmp_path) -> None:
    from recommender import bench_recommend, eval_tastes

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(eval_tastes, "TASTES", SYNTHETIC_TASTES)
    monkeypatch.setattr(eval_tastes, "PAIRS", SYNTHETIC_PAIRS)
    report = bench_recommend.run(engine, as_json=True, listeners=6)
    assert report["listeners"] == 6 and report["warm_ms"]["p50"] > 0
    saved = json.loads((tmp_path / "home" / "bench" / "recommend.json").read_text())
    assert saved["warm_ms"] == report["warm_ms"]
