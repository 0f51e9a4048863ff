"""Personal recommendations on synthetic clustered embeddings (no artifacts needed)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from recommender.engine import Engine
from recommender.personal import (
    allocate,
    build_profile,
    cold_start,
    interleave,
    recommend,
    silhouette,
    spherical_kmeans,
)
from recommender.personal_types import Interaction, PersonalConfig

NOW = datetime(2024, 6, 1, tzinfo=UTC)
DIM = 24


class DummyEncoder:
    """``nearest`` needs no encoder; the engine only reads its id."""

    encoder_id = "test"

    def encode_texts(self, texts):  # pragma: no cover - search is not used here
        raise NotImplementedError

    def encode_ids(self, ids):  # pragma: no cover
        raise NotImplementedError


def make_engine(
    centres: dict[str, np.ndarray], per_cluster: int = 40, noise: float = 0.15, seed: int = 0
) -> Engine:
    """One collection per cluster; piece ids ``<cluster>:<i>``."""
    rng = np.random.default_rng(seed)
    rows, vecs = [], []
    for name, centre in centres.items():
        centre = centre / np.linalg.norm(centre)
        for i in range(per_cluster):
            vecs.append(centre + noise * rng.standard_normal(DIM) / np.sqrt(DIM))
            rows.append(
                {
                    "id": f"{name}:{i}",
                    "title": f"{name} tune {i}",
                    "collection": name,
                    "source": f"{name}/file.abc",
                    "number": str(i),
                    "key": "D major",
                    "meter": "6/8",
                }
            )
    return Engine(pd.DataFrame(rows), np.stack(vecs), DummyEncoder(), describe=lambda row: "")


def basis(i: int) -> np.ndarray:
    v = np.zeros(DIM)
    v[i] = 1.0
    return v


@pytest.fixture(scope="module")
def engine() -> Engine:
    # "between" sits where the average of jigs and chorales lands: the trap for an averaged profile.
    centres = {
        "jigs": basis(0),
        "chorales": basis(1),
        "between": basis(0) + basis(1),
        "chinese": basis(2),
        "reels": basis(3),
        "airs": basis(4),
    }
    return make_engine(centres)


def favs(ids: list[str], days_ago: float = 1.0, kind: str = "favourite") -> list[Interaction]:
    return [
        Interaction(pid, kind, NOW - timedelta(days=days_ago, minutes=i))
        for i, pid in enumerate(ids)
    ]


def clusters_of(hits: list) -> list[str]:
    return [h.id.split(":")[0] for h in hits]


# One averaged profile on embeddings alone (facets would rescue it: that is tested elsewhere).
AVERAGED = PersonalConfig(max_clusters=1, facet_weight=0.0, facet_cluster_weight=0.0)


def test_mixed_taste_user_gets_both_interests_and_average_does_not(engine: Engine) -> None:
    history = favs([f"jigs:{i}" for i in range(5)]) + favs([f"chorales:{i}" for i in range(5)])
    mixed = clusters_of(recommend(engine, history, k=10))
    averaged = clusters_of(recommend(engine, history, k=10, config=AVERAGED))
    assert mixed.count("jigs") >= 3 and mixed.count("chorales") >= 3
    assert "between" not in mixed
    assert averaged.count("between") >= 8  # the average of two tastes is a third thing


def test_seen_and_dismissed_pieces_never_come_back(engine: Engine) -> None:
    history = (
        favs([f"jigs:{i}" for i in range(3)])
        + favs([f"jigs:{i}" for i in range(3, 8)], kind="play")
        + favs([f"jigs:{i}" for i in range(8, 12)], kind="open")
        + favs([f"jigs:{i}" for i in range(12, 20)], kind="dismiss")
    )
    blocked = {f"jigs:{i}" for i in range(20)}
    ids = {h.id for h in recommend(engine, history, k=15)}
    assert len(ids) == 15
    assert not ids & blocked
    assert all(pid.startswith("jigs:") for pid in ids)  # still on taste, just unseen


def test_dismissed_pieces_are_excluded_from_cold_start_too(engine: Engine) -> None:
    first = [h.id for h in recommend(engine, [], k=6)]
    again = recommend(engine, favs(first, kind="dismiss"), k=6)
    assert not {h.id for h in again} & set(first)


def test_recent_signals_outweigh_old_ones_and_favourites_fade_slowly(engine: Engine) -> None:
    history = favs(["jigs:0"], days_ago=121) + favs(["chorales:0"], days_ago=1)
    weights = build_profile(history, PersonalConfig(lasting_half_life_days=30)).weights
    assert weights["chorales:0"] == pytest.approx(16 * weights["jigs:0"], rel=0.01)  # 4 half-lives
    lasting = build_profile(history, PersonalConfig()).weights  # a favourite is a standing taste
    assert lasting["chorales:0"] == pytest.approx(2 ** (120 / 365) * lasting["jigs:0"], rel=0.01)
    only_old = build_profile(favs(["jigs:0"], days_ago=365), PersonalConfig()).weights
    assert only_old["jigs:0"] > 0  # a long pause does not erase a person's taste
    old_and_new = favs([f"jigs:{i}" for i in range(4)], days_ago=200, kind="play") + favs(
        [f"chorales:{i}" for i in range(4)], days_ago=2, kind="play"
    )
    got = clusters_of(recommend(engine, old_and_new, k=10))
    assert got[0] == "chorales"
    assert got.count("chorales") > got.count("jigs")


def test_kinds_unfavourite_and_ratings_shape_the_profile() -> None:
    config = PersonalConfig()
    history = [
        Interaction("a", "favourite", NOW),
        Interaction("b", "favourite", NOW),
        Interaction("b", "unfavourite", NOW + timedelta(hours=1)),
        Interaction("c", "play", NOW),
        Interaction("d", "search_hit", NOW),
        Interaction("e", "favourite", NOW),
        Interaction("e", "rating", NOW, weight=5),
        Interaction("f", "favourite", NOW),
        Interaction("f", "rating", NOW, weight=1),
    ]
    weights = build_profile(history, config).weights
    assert "b" not in weights  # unfavourite cancels the favourite
    assert weights["a"] > weights["c"] > weights["d"]  # favourite > play > search hit
    assert weights["e"] > weights["a"]  # a high rating raises the weight
    assert "f" not in weights  # a 1-star rating means "not my taste"


def test_refavourite_after_unfavourite_counts_again() -> None:
    history = [
        Interaction("a", "favourite", NOW),
        Interaction("a", "unfavourite", NOW + timedelta(days=1)),
        Interaction("a", "favourite", NOW + timedelta(days=2)),
    ]
    assert "a" in build_profile(history, PersonalConfig()).weights


def test_why_names_the_nearest_liked_title_of_the_same_interest(engine: Engine) -> None:
    history = favs([f"jigs:{i}" for i in range(4)]) + favs([f"reels:{i}" for i in range(4)])
    liked = {f"jigs tune {i}" for i in range(4)} | {f"reels tune {i}" for i in range(4)}
    for hit in recommend(engine, history, k=8):
        # shared facts in musical words, then the closest liked piece of the same interest
        facts, _, rest = hit.why.partition(" like ")
        assert facts == "6/8 piece in D major"
        title = rest.split(" and ")[0]
        assert title in liked
        assert title.split()[0] == hit.collection
        assert "because you liked" not in hit.why


def test_cold_start_is_distinct_diverse_and_deterministic(engine: Engine) -> None:
    hits = recommend(engine, [], k=10, seed=3)
    ids = [h.id for h in hits]
    assert len(ids) == len(set(ids)) == 10
    assert len({h.collection for h in hits}) >= 5
    assert ids == [h.id for h in cold_start(engine, 10, seed=3)]
    assert all(h.why for h in hits)


def test_cold_start_fills_k_when_small_collections_run_out() -> None:
    full = make_engine({"big": basis(0), "tiny": basis(1)}, per_cluster=30)
    # "tiny" keeps two pieces
    small = Engine(full.catalog.iloc[:32], full.embeddings[:32], DummyEncoder(), describe=str)
    hits = cold_start(small, 20, seed=0)
    assert len({h.id for h in hits}) == 20
    assert sum(h.collection == "tiny" for h in hits) == 2


def test_history_of_unknown_ids_falls_back_to_cold_start(engine: Engine) -> None:
    hits = recommend(engine, favs(["gone:1", "gone:2"]), k=5)
    assert len({h.collection for h in hits}) >= 3


def test_mmr_reduces_redundancy_against_plain_top_k() -> None:
    # One taste made of tight near-duplicate groups: plain top-k returns copies of one group.
    rng = np.random.default_rng(1)
    centres = {f"g{i}": basis(0) + 0.35 * rng.standard_normal(DIM) for i in range(6)}
    engine = make_engine(centres, per_cluster=15, noise=0.02)
    history = favs([f"g{i}:0" for i in range(6)])

    def ild(config: PersonalConfig) -> float:
        hits = recommend(engine, history, k=10, config=config)
        rows = [int(np.flatnonzero(engine.catalog["id"] == h.id)[0]) for h in hits]
        x = engine.embeddings[rows]
        sims = x @ x.T
        return float((1 - sims[np.triu_indices(len(x), 1)]).mean())

    plain = PersonalConfig(max_clusters=1, mmr_lambda=1.0)
    diverse = PersonalConfig(max_clusters=1, mmr_lambda=0.5)
    assert ild(diverse) > 1.5 * ild(plain)


def test_interaction_rejects_unknown_kind_and_reads_db_rows() -> None:
    with pytest.raises(ValueError, match="kind"):
        Interaction("a", "like", NOW)
    row = {"piece_id": "a", "kind": "rating", "at": "2024-01-01T10:00:00", "value": 4}
    event = Interaction.from_row(row)
    assert event.weight == 4.0 and event.at.tzinfo is not None


def test_config_validation_names_the_value() -> None:
    with pytest.raises(ValueError, match="mmr_lambda"):
        PersonalConfig(mmr_lambda=1.5)


def test_bad_k_is_bad_input(engine: Engine) -> None:
    from cantus.errors import BadInput

    with pytest.raises(BadInput):
        recommend(engine, [], k=0)


def test_allocate_is_proportional_and_gives_everyone_a_turn() -> None:
    assert allocate([0.6, 0.4], 10) == [6, 4]
    assert allocate([100.0, 1.0, 1.0], 10)[1:] == [1, 1]
    assert sum(allocate([3.0, 2.0, 1.0], 7)) == 7
    assert allocate([1.0, 5.0, 3.0], 2) == [0, 1, 1]


def test_interleave_alternates_groups() -> None:
    order = [g for g, _ in interleave([6, 4], [6, 4])]
    assert order.count(0) == 6 and order.count(1) == 4
    assert order[:2] == [0, 1]
    longest_run = max(len(list(run)) for _, run in itertools.groupby(order))
    assert longest_run <= 2  # smooth round robin, not all of one interest first


def test_silhouette_matches_sklearn_and_kmeans_finds_separated_clusters() -> None:
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            basis(0) + 0.2 * rng.standard_normal((10, DIM)),
            basis(5) + 0.2 * rng.standard_normal((8, DIM)),
        ]
    )
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels, _ = spherical_kmeans(x, 2, np.random.default_rng(0))
    assert len(set(labels[:10])) == 1 and len(set(labels[10:])) == 1 and labels[0] != labels[10]
    assert silhouette(x, labels) == pytest.approx(
        silhouette_score(x, labels, metric="cosine"), abs=1e-6
    )


# ---------------------------------------------------------------------------------------------
# CLI: cantus recommend


@pytest.fixture
def cli_env(engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A throw-away database and home, the synthetic engine, and only this CLI module."""
    repo = pytest.importorskip("db.repo")
    from cantus import cli
    from recommender import cli_recommend

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANTUS_DB_URL", f"sqlite:///{tmp_path / 'cantus.db'}")
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("recommender.cli_recommend",))
    monkeypatch.setattr(cli_recommend, "load_engine", lambda: engine)
    return cli, repo


def test_cli_recommend_json_follows_the_result_contract(cli_env, capsys) -> None:
    cli, repo = cli_env
    for i in range(3):
        repo.record_interaction("ann", f"jigs:{i}", "favourite")
    repo.record_interaction("ann", "jigs:3", "play")
    repo.record_interaction("ann", "jigs:4", "dismiss")
    assert cli.main(["recommend", "--user", "ann", "-k", "5", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"query", "results"} and out["query"] == "user:ann"
    fields = ["id", "title", "collection", "source", "number", "key", "meter", "score", "why"]
    assert len(out["results"]) == 5
    for result in out["results"]:
        assert list(result) == fields
        assert result["id"] not in {f"jigs:{i}" for i in range(5)}
        assert " like jigs tune " in result["why"]


def test_cli_recommend_unknown_user_and_bad_k_exit_2(cli_env, capsys) -> None:
    cli, repo = cli_env
    assert cli.main(["recommend", "--user", "nobody", "--json"]) == 2
    assert "nobody" in capsys.readouterr().err
    repo.ensure_user("bob")
    assert cli.main(["recommend", "--user", "bob", "-k", "0"]) == 2


def test_cli_recommend_new_user_gets_cold_start_table(cli_env, capsys) -> None:
    cli, repo = cli_env
    repo.ensure_user("carol")
    assert cli.main(["recommend", "--user", "carol", "-k", "4"]) == 0
    out = capsys.readouterr().out
    # title, header, rule, then one row per piece
    assert "representative piece" in out and len(out.splitlines()) == 3 + 4
