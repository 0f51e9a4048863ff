"""Recommendation metrics on hand-made cases, and the simulated-user evaluation end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from recommender import eval_recommend
from recommender.eval_recommend import (
    EvalConfig,
    coverage,
    evaluate,
    hit_rate,
    hubness,
    intra_list_diversity,
    ndcg,
    simulate_users,
    taste_masks,
)
from tests.test_personal import basis, make_engine


def _collection(name: str):
    return lambda catalog: (catalog["collection"] == name).to_numpy()


SYNTHETIC_FACETS = {name: _collection(name) for name in ("jigs", "chorales", "chinese", "reels")}
SYNTHETIC_MIXTURES = (("jigs", "chorales"),)


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


def test_intra_list_diversity_on_hand_made_vectors() -> None:
    assert intra_list_diversity(np.eye(3)) == pytest.approx(1.0)  # orthogonal: 1 - 0
    assert intra_list_diversity(np.ones((4, 5))) == pytest.approx(0.0)  # copies
    assert intra_list_diversity(np.array([[1.0, 0.0], [-1.0, 0.0]])) == pytest.approx(2.0)
    assert intra_list_diversity(np.ones((1, 3))) == 0.0


def test_coverage_counts_distinct_pieces_over_all_lists() -> None:
    assert coverage([["a", "b"], ["b", "c"]], n_items=10) == pytest.approx(0.3)
    assert coverage([], n_items=10) == 0.0


def test_hubness_counts_how_often_a_piece_is_a_neighbour() -> None:
    angles = np.radians([0, 10, 15, 40])
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # nearest of 0° is 10°, of 10° is 15°, of 15° is 10°, of 40° is 15°
    assert hubness(x, k=1).tolist() == [0, 2, 2, 0]


def test_simulated_users_hold_out_one_favourite_of_their_taste(engine) -> None:
    config = EvalConfig(users_per_taste=3, favourites=6, min_facet_size=10)
    masks, _ = taste_masks(engine.catalog, SYNTHETIC_FACETS, config.min_facet_size)
    users = simulate_users(engine.catalog, masks, SYNTHETIC_MIXTURES, config)
    assert len(users) == 3 * (len(SYNTHETIC_FACETS) + 1)
    for user in users:
        assert len(user.history) == 5 and user.held_out not in user.history
        prefixes = {pid.split(":")[0] for pid in (*user.history, user.held_out)}
        assert prefixes == set(user.facets)  # mixtures draw from both tastes, singles from one


def test_small_facets_are_skipped_and_reported(engine) -> None:
    facets = {**SYNTHETIC_FACETS, "tiny": lambda c: (c["id"] == "jigs:0").to_numpy()}
    masks, sizes = taste_masks(engine.catalog, facets, min_size=10)
    assert "tiny" not in masks and sizes["tiny"] == 1


def test_evaluation_ranks_cantus_above_baselines_and_clusters_serve_mixtures(engine) -> None:
    config = EvalConfig(users_per_taste=4, favourites=8, min_facet_size=10)
    report = evaluate(engine, config, facets=SYNTHETIC_FACETS, mixtures=SYNTHETIC_MIXTURES)
    methods = report["methods"]
    assert set(methods) == {"cantus", "no_clusters", "no_mmr", "popularity", "random"}
    cantus = methods["cantus"]
    for baseline in ("popularity", "random"):
        assert cantus["taste_precision@10"] > methods[baseline]["taste_precision@10"] + 0.3
    assert cantus["mixture_both_tastes"] == 1.0
    mixture = report["per_taste"]["jigs + chorales"]
    assert mixture["cantus"]["taste_precision@10"] > mixture["no_clusters"]["taste_precision@10"]
    assert 0 < cantus["coverage"] <= 1
    assert len(report["cold_start"]["collections"]) >= 3
    json.dumps(report)  # the CLI saves it as JSON


def test_eval_cli_prints_and_saves_the_report(engine, monkeypatch, capsys, tmp_path) -> None:
    from cantus import cli
    from recommender import cli_recommend

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("recommender.cli_recommend",))
    monkeypatch.setattr(cli_recommend, "load_engine", lambda: engine)
    monkeypatch.setattr(eval_recommend, "FACETS", SYNTHETIC_FACETS)
    monkeypatch.setattr(eval_recommend, "MIXTURES", SYNTHETIC_MIXTURES)
    assert cli.main(["eval", "recommendation", "--json", "--users-per-taste", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads((tmp_path / "home" / "bench" / "eval_recommendation.json").read_text())
    assert printed == saved and printed["users"] == 2 * 5
    assert cli.main(["eval", "recommendation", "--users-per-taste", "0"]) == 2


def test_history_timestamps_are_within_the_window() -> None:
    user = eval_recommend.SimUser("t", ("t",), ("a", "b", "c"), "d")
    config = EvalConfig(history_days=30)
    events = eval_recommend.history_of(user, config, np.random.default_rng(0))
    ages = [(eval_recommend.NOW - e.at).days for e in events]
    assert [e.piece_id for e in events] == ["a", "b", "c"] and all(0 <= a <= 30 for a in ages)


def test_eval_config_rejects_nothing_to_hold_out() -> None:
    with pytest.raises(ValueError, match="favourites"):
        EvalConfig(favourites=1)


@pytest.mark.slow
def test_default_catalog_cantus_beats_baselines_and_serves_mixtures() -> None:
    """On the shipped catalog + embeddings (skipped until they exist)."""
    from cantus.config import artifacts_dir
    from cantus.errors import MissingArtifact
    from recommender.engine import Engine

    if not (artifacts_dir() / "catalog.parquet").is_file():
        pytest.skip("no shipped catalog in artifacts/ yet")
    try:
        engine = Engine.load(artifacts_dir())
    except MissingArtifact as exc:  # artifacts mid-rebuild: encoder and embeddings disagree
        pytest.skip(str(exc))
    report = evaluate(engine, EvalConfig(users_per_taste=4))
    methods = report["methods"]
    cantus = methods["cantus"]
    for baseline in ("popularity", "random"):
        assert cantus["taste_precision@10"] > methods[baseline]["taste_precision@10"]
        assert cantus["hr@10"] >= methods[baseline]["hr@10"]
    assert cantus["mixture_both_tastes"] >= methods["no_clusters"]["mixture_both_tastes"]
