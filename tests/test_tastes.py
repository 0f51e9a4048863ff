"""Taste facets in recommendations: consistency weighting, "not for me", `why` in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from recommender import tastes
from recommender.engine import Engine
from recommender.personal import recommend
from recommender.personal_types import Interaction, PersonalConfig
from tests.test_personal import DIM, DummyEncoder, basis

NOW = datetime(2024, 6, 1, tzinfo=UTC)
KEYS = ("D major", "G major", "A minor", "E minor", "C major", "F major")


def one_cluster_engine(n: int = 120, noise: float = 0.3, seed: int = 0) -> Engine:
    """Pieces whose embeddings all scatter around one centre, so only facets tell them apart:
    half lullabies, half marches, keys cycling through ``KEYS``."""
    rng = np.random.default_rng(seed)
    vecs = basis(0) + noise * rng.standard_normal((n, DIM)) / np.sqrt(DIM)
    rows = [
        {
            "id": f"p:{i}",
            "title": f"tune {i}",
            "collection": "book",
            "source": "book/file.abc",
            "number": str(i),
            "key": KEYS[(i // 2) % len(KEYS)],
            "meter": "3/4",
            "form": "lullaby" if i % 2 == 0 else "march",
            "origin": "German",
        }
        for i in range(n)
    ]
    return Engine(pd.DataFrame(rows), vecs, DummyEncoder(), describe=lambda row: "")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return one_cluster_engine()


def favs(ids: list[str], kind: str = "favourite", minutes: int = 0) -> list[Interaction]:
    return [
        Interaction(p, kind, NOW - timedelta(days=1) + timedelta(minutes=minutes + i))
        for i, p in enumerate(ids)
    ]


def column(engine: Engine, hits: list, name: str) -> list[str]:
    return [str(engine.catalog[name].iloc[engine.row(h.id)]) for h in hits]


def test_shares_and_bonus_follow_consistency() -> None:
    catalog = pd.DataFrame(
        {
            "form": ["reel"] * 5 + ["jig"] * 5,
            "key": ["D", "G", "A", "E", "B", "D", "G", "A", "E", ""],
        }
    )
    table = tastes.build_codes(catalog, ("form", "key"))
    liked = tastes.shares(table, np.arange(4), np.ones(4))  # four reels in four keys
    bonus = tastes.bonus(table, liked, power=2.0)
    assert bonus[0] == pytest.approx(1.0)  # has every best value
    assert bonus[4] > 5 * bonus[5]  # a reel in another key beats a jig in a liked key
    assert bonus[9] == 0.0  # a jig with no key shares nothing
    facts = tastes.shared_facts(table, 0, liked)
    assert tastes.fact_words(table, facts) == {"form": "reel"}


def test_genre_lists_and_region_paths_are_several_values() -> None:
    catalog = pd.DataFrame(
        {
            "genre": ["children's song, lullaby", "lullaby", "love song", ""],
            "region": ["China, Shaanxi, Zizhou", "China, Shaanxi, Yulin", "China, Hebei", ""],
        }
    )
    table = tastes.build_codes(catalog, ("genre", "region"))
    liked = tastes.shares(table, np.array([0, 1]), np.ones(2))
    bonus = tastes.bonus(table, liked, power=2.0)
    assert bonus[0] == bonus[1] == pytest.approx(1.0)  # both are lullabies from Shaanxi
    # only "China" is shared, and 3 of the 4 pieces are Chinese: it tells little
    assert bonus[2] == pytest.approx(np.log(4 / 3) / np.log(4))
    assert bonus[3] == 0.0
    words = tastes.fact_words(table, tastes.shared_facts(table, 0, liked))
    assert words == {"genre": "lullaby", "region": "China, Shaanxi"}
    assert table.row_values(0) == {"genre": "children's song", "region": "China, Shaanxi, Zizhou"}


def test_favourites_of_one_form_get_that_form_embedding_alone_does_not(engine: Engine) -> None:
    history = favs([f"p:{i}" for i in range(0, 10, 2)])  # five lullabies, five keys
    forms = column(engine, recommend(engine, history, k=10), "form")
    assert forms.count("lullaby") >= 9
    plain = PersonalConfig(facet_weight=0.0, facet_cluster_weight=0.0)
    baseline = column(engine, recommend(engine, history, k=10, config=plain), "form")
    assert baseline.count("lullaby") < forms.count("lullaby")


def test_a_key_the_favourites_share_matters_and_one_they_do_not_share_does_not(
    engine: Engine,
) -> None:
    same_key = favs([f"p:{i}" for i in range(0, 60, 12)])  # lullabies, all in D major
    keys = column(engine, recommend(engine, same_key, k=10), "key")
    assert keys.count("D major") >= 6
    mixed = favs([f"p:{i}" for i in (0, 2, 4, 6, 8)])  # lullabies in five different keys
    keys = column(engine, recommend(engine, mixed, k=10), "key")
    assert max(keys.count(k) for k in KEYS) <= 4


def test_not_for_me_moves_the_list_away_and_never_returns(engine: Engine) -> None:
    history = favs([f"p:{i}" for i in range(0, 12, 2)] + ["p:1", "p:3"])  # lullabies + 2 marches
    first = recommend(engine, history, k=10)
    marches = [h.id for h in first if h.id and column(engine, [h], "form")[0] == "march"]
    assert marches, "the setting needs some marches in the first list"
    second = recommend(engine, history + favs(marches, kind="dismiss", minutes=60), k=10)
    assert not {h.id for h in second} & set(marches)
    assert column(engine, second, "form").count("march") < len(marches)


def test_plays_and_opens_alone_are_weak_positives(engine: Engine) -> None:
    played = favs([f"p:{i}" for i in range(1, 11, 2)], kind="play")  # five marches
    hits = recommend(engine, played + favs(["p:13"], kind="open"), k=10)
    assert column(engine, hits, "form").count("march") >= 8
    assert all("representative" not in h.why for h in hits)  # not a cold start


def test_why_names_shared_facts_the_closest_favourite_and_how_many_more(engine: Engine) -> None:
    history = favs([f"p:{i}" for i in range(0, 60, 12)])  # 3/4 lullabies in D major, German
    for hit in recommend(engine, history, k=5):
        facts, _, rest = hit.why.partition(" like ")
        assert facts.startswith("3/4 lullaby") and "(German)" in facts
        assert rest.split(" and ")[0] in {f"tune {i}" for i in range(0, 60, 12)}
        if "D major" in facts:
            assert rest.endswith("more you liked")


def test_describe_piece_reads_like_a_musician() -> None:
    assert tastes.describe_piece({"form": "reel", "key": "D major", "origin": "Irish"}) == (
        "reel in D major (Irish)"
    )
    assert tastes.describe_piece({"meter": "6/8", "mode": "minor", "form": "jig"}) == (
        "minor 6/8 jig"
    )
    assert tastes.describe({}, {"genre": "lullaby", "form": "folk song"}) == "lullaby"


def test_ignored_facets_leave_scores_as_if_the_facet_were_absent(engine: Engine) -> None:
    history = favs([f"p:{i}" for i in range(0, 10, 2)])  # five lullabies
    forms = column(engine, recommend(engine, history, k=10), "form")
    without = PersonalConfig(ignored_facets=("form", "genre"))
    unfocused = column(engine, recommend(engine, history, k=10, config=without), "form")
    assert forms.count("lullaby") > unfocused.count("lullaby")
    with pytest.raises(ValueError, match="ignored_facets"):
        PersonalConfig(ignored_facets=("colour",))


def test_a_fact_most_favourites_share_holds_in_the_cluster_of_the_odd_one_out() -> None:
    """Two embedding clusters, half lullabies and half marches in each; four of five favourites
    are lullabies, and the cluster holding the march should still lean to lullabies (interests
    clustered on the embedding alone: with facets the march is a taste of its own)."""
    rng = np.random.default_rng(1)
    rows, vecs = [], []
    for name, centre in (("a", basis(0)), ("b", basis(1))):
        for i in range(60):
            vecs.append(centre + 0.2 * rng.standard_normal(DIM) / np.sqrt(DIM))
            form = "lullaby" if i % 2 == 0 else "march"
            rows.append({"id": f"{name}:{i}", "title": f"{name} {i}", "form": form})
    engine = Engine(pd.DataFrame(rows), np.stack(vecs), DummyEncoder(), describe=lambda r: "")
    history = favs(["a:0", "a:2", "a:4", "b:0", "b:1"])  # b:1 is the march

    def lullabies_from_b(weight: float) -> int:
        config = PersonalConfig(shared_facts_weight=weight, facet_cluster_weight=0.0)
        hits = [h for h in recommend(engine, history, k=10, config=config) if h.id[0] == "b"]
        assert hits, "the odd cluster keeps its share of the list"
        return column(engine, hits, "form").count("lullaby")

    assert lullabies_from_b(1.0) > lullabies_from_b(0.0)
