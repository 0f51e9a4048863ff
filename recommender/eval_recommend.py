"""Offline evaluation of personal recommendations with simulated users.

There are no real listening logs yet, so users are simulated from catalog facets ("minor-key
Irish jigs", "Bach chorales in major", ... and mixtures of two tastes). Each simulated user
favourites ``favourites`` pieces of their taste (mixtures: half from each), spread over the last
``history_days``; one favourite is held out and the rest are the history (leave-one-out, one
hold-out per user, ``users_per_taste`` users per taste).

Metrics per method, over all users:

- ``hr@k`` — the held-out piece is in the list; ``ndcg@k`` — the same, discounted by rank.
  One relevant item among thousands: small numbers for everyone; compare methods, not absolutes.
- ``taste_precision@k`` — fraction of the list inside the user's taste (facet, or either facet
  of a mixture): the softer, more telling measure with one held-out item.
- ``mixture_both_tastes`` — mixture users whose list serves *both* tastes.
- ``ild`` — intra-list diversity, mean pairwise ``1 - cos`` among the list's embeddings.
- ``coverage`` — fraction of the catalog appearing in any list.

Methods, in the same run: ``cantus`` (``recommender.personal.recommend``), two ablations
(``no_clusters``: one averaged profile; ``no_mmr``: relevance only), and two baselines:
``random`` (uniform over unseen pieces) and ``popularity``. There are no plays yet, so
popularity is defined as *hubness*: how often a piece is among the ``hub_k`` nearest neighbours
of other pieces — the pieces an embedding-based recommender would push on everyone.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from recommender.engine import Engine
from recommender.personal import Interaction, PersonalConfig, cold_start, recommend

log = logging.getLogger(__name__)

NOW = datetime(2025, 1, 1, tzinfo=UTC)  # fixed "today" of the simulation: runs are repeatable

Mask = Callable[[pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class EvalConfig:
    """Size and seed of the simulation."""

    users_per_taste: int = 8  # simulated users per facet or mixture (one hold-out each)
    favourites: int = 10  # favourites per user, one of which is held out
    k: int = 10  # list length
    history_days: float = 90.0  # favourites are spread uniformly over this many past days
    hub_k: int = 10  # neighbours per piece counted for the hubness "popularity" baseline
    min_facet_size: int = 30  # facets with fewer pieces are skipped (reported as such)
    seed: int = 0  # seeds sampling, recommendation and the random baseline

    def __post_init__(self) -> None:
        if self.favourites < 2:
            msg = f"`favourites` must be >= 2 to hold one out (received {self.favourites})"
            raise ValueError(msg)
        for name in ("users_per_taste", "k", "hub_k", "min_facet_size"):
            if getattr(self, name) < 1:
                msg = f"`{name}` must be >= 1 (received {getattr(self, name)})"
                raise ValueError(msg)


@dataclass(frozen=True)
class SimUser:
    taste: str  # facet or "a + b" mixture name
    facets: tuple[str, ...]  # the facet names the user's favourites come from
    history: tuple[str, ...]  # favourited piece ids, without the held-out one
    held_out: str


# ---------------------------------------------------------------------------------------------
# Metrics (pure functions; tested on hand-made cases)


def hit_rate(ranked: Sequence[str], held_out: str, k: int) -> float:
    """1.0 when ``held_out`` is among the first ``k``, else 0.0."""
    return float(held_out in ranked[:k])


def ndcg(ranked: Sequence[str], held_out: str, k: int) -> float:
    """NDCG@k with one relevant item: 1 / log2(rank + 2) (rank from 0), 0 when absent."""
    top = list(ranked[:k])
    return 1.0 / math.log2(top.index(held_out) + 2) if held_out in top else 0.0


def intra_list_diversity(vectors: np.ndarray) -> float:
    """Mean pairwise ``1 - cos`` among the rows of ``vectors`` (n, D); 0 for fewer than two."""
    if len(vectors) < 2:
        return 0.0
    x = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    sims = x @ x.T
    return float((1 - sims[np.triu_indices(len(x), 1)]).mean())


def coverage(lists: Sequence[Sequence[str]], n_items: int) -> float:
    """Fraction of the ``n_items`` catalog appearing in at least one list."""
    return len({pid for ids in lists for pid in ids}) / n_items if n_items else 0.0


# ---------------------------------------------------------------------------------------------
# Tastes


def _text(catalog: pd.DataFrame, column: str) -> pd.Series:
    if column not in catalog:
        return pd.Series([""] * len(catalog), index=catalog.index)
    return catalog[column].fillna("").astype(str).str.lower()


def _facet(**conditions: Callable[[pd.Series], pd.Series]) -> Mask:
    """A mask that is true where every ``column=predicate`` holds."""

    def mask(catalog: pd.DataFrame) -> np.ndarray:
        keep = np.ones(len(catalog), dtype=bool)
        for column, predicate in conditions.items():
            keep &= predicate(_text(catalog, column)).to_numpy()
        return keep

    return mask


def _is(*values: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.isin([v.lower() for v in values])


def _starts(prefix: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.str.startswith(prefix.lower())


def _contains(part: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.str.contains(part.lower(), regex=False)


FACETS: dict[str, Mask] = {
    "minor-key Irish jigs": _facet(origin=_is("Irish"), form=_is("jig"), mode=_is("minor")),
    "Bach chorales in major": _facet(form=_is("chorale"), mode=_is("major")),
    "Chinese folk songs": _facet(origin=_starts("Chinese")),
    "German children's songs": _facet(source=_contains("/kinder")),
    "slow airs": _facet(form=_is("air", "lament", "lullaby")),
    "reels in D": _facet(form=_is("reel"), key=_is("D major")),
    "Palestrina masses": _facet(collection=_is("palestrina")),
    "Luxembourg folk songs": _facet(origin=_is("Luxembourg")),
}
MIXTURES: tuple[tuple[str, str], ...] = (
    ("minor-key Irish jigs", "Bach chorales in major"),
    ("Chinese folk songs", "reels in D"),
    ("German children's songs", "Palestrina masses"),
    ("slow airs", "Chinese folk songs"),
)


def taste_masks(
    catalog: pd.DataFrame, facets: dict[str, Mask], min_size: int
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Usable facet masks, and the size of every facet (skipped ones included)."""
    masks = {name: facet(catalog) for name, facet in facets.items()}
    sizes = {name: int(mask.sum()) for name, mask in masks.items()}
    return {n: m for n, m in masks.items() if sizes[n] >= min_size}, sizes


def simulate_users(
    catalog: pd.DataFrame,
    masks: dict[str, np.ndarray],
    mixtures: Sequence[tuple[str, str]],
    config: EvalConfig,
) -> list[SimUser]:
    """``users_per_taste`` users for every usable facet and mixture."""
    rng = np.random.default_rng(config.seed)
    ids = catalog["id"].astype(str).to_numpy()
    tastes = [(name,) for name in masks] + [m for m in mixtures if all(f in masks for f in m)]
    users = []
    for facets in tastes:
        for _ in range(config.users_per_taste):
            shares = np.array_split(np.arange(config.favourites), len(facets))
            picked = [
                rng.choice(np.flatnonzero(masks[f]), len(s), replace=False)
                for f, s in zip(facets, shares, strict=True)
            ]
            liked = list(ids[np.concatenate(picked)])
            held_out = liked.pop(int(rng.integers(len(liked))))
            users.append(SimUser(" + ".join(facets), facets, tuple(liked), held_out))
    return users


def history_of(user: SimUser, config: EvalConfig, rng: np.random.Generator) -> list[Interaction]:
    """The user's favourites as interactions, at random moments of the last ``history_days``."""
    days = rng.uniform(0, config.history_days, len(user.history))
    return [
        Interaction(pid, "favourite", NOW - timedelta(days=float(d)))
        for pid, d in zip(user.history, days, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# Methods: (user, history) -> ranked ids


Method = Callable[[SimUser, list[Interaction]], list[str]]


def hubness(embeddings: np.ndarray, k: int, chunk: int = 4096) -> np.ndarray:
    """How often each piece is among the ``k`` nearest neighbours of the other pieces."""
    import faiss

    x = np.ascontiguousarray(embeddings, dtype=np.float32)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    counts = np.zeros(len(x), dtype=np.int64)
    n_neighbours = min(k + 1, len(x))
    for start in range(0, len(x), chunk):
        _, found = index.search(x[start : start + chunk], n_neighbours)  # (chunk, k + 1)
        for offset, row in enumerate(found):
            others = row[(row != start + offset) & (row >= 0)][:k]
            counts[others] += 1
    return counts


def make_methods(engine: Engine, config: EvalConfig) -> dict[str, Method]:
    """Every method compared in one run, keyed by the name used in the report."""
    ids = engine.catalog["id"].astype(str).to_numpy()
    hubs = ids[np.argsort(-hubness(engine.embeddings, config.hub_k), kind="stable")]
    rng = np.random.default_rng(config.seed + 1)

    def personal(personal_config: PersonalConfig) -> Method:
        def run(user: SimUser, history: list[Interaction]) -> list[str]:
            hits = recommend(engine, history, k=config.k, seed=config.seed, config=personal_config)
            return [h.id for h in hits]

        return run

    def popularity(user: SimUser, history: list[Interaction]) -> list[str]:
        seen = set(user.history)
        return [pid for pid in hubs[: config.k + len(seen)] if pid not in seen][: config.k]

    def random(user: SimUser, history: list[Interaction]) -> list[str]:
        seen = set(user.history)
        pool = rng.choice(len(ids), min(len(ids), config.k + len(seen)), replace=False)
        return [pid for pid in ids[pool] if pid not in seen][: config.k]

    return {
        "cantus": personal(PersonalConfig()),
        "no_clusters": personal(PersonalConfig(max_clusters=1)),
        "no_mmr": personal(PersonalConfig(mmr_lambda=1.0)),
        "popularity": popularity,
        "random": random,
    }


# ---------------------------------------------------------------------------------------------
# The run


@contextlib.contextmanager
def _one_faiss_thread() -> Iterator[None]:
    """Single-query searches run several times faster on one OpenMP thread than on a pool
    fighting over shared cores; restore the setting afterwards."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


@dataclass
class _Tally:
    """Per-user numbers of one method."""

    hr: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)
    precision: list[float] = field(default_factory=list)
    both: list[float] = field(default_factory=list)
    ild: list[float] = field(default_factory=list)
    lists: list[list[str]] = field(default_factory=list)
    seconds: float = 0.0


def evaluate(
    engine: Engine,
    config: EvalConfig | None = None,
    facets: dict[str, Mask] | None = None,
    mixtures: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Simulate users, run every method on each, and return the report (a JSON-able dict)."""
    config = config or EvalConfig()
    with _one_faiss_thread():
        return _evaluate(
            engine,
            config,
            FACETS if facets is None else facets,
            MIXTURES if mixtures is None else mixtures,
        )


def _evaluate(
    engine: Engine, config: EvalConfig, facets: dict[str, Mask], mixtures: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    started = time.perf_counter()
    masks, sizes = taste_masks(engine.catalog, facets, config.min_facet_size)
    users = simulate_users(engine.catalog, masks, mixtures, config)
    tallies, per_taste = _run_methods(engine, users, masks, config)
    n, k = len(engine.catalog), config.k
    return {
        "catalog_size": n,
        "users": len(users),
        "tastes": {name: {"pieces": size, "used": name in masks} for name, size in sizes.items()},
        "protocol": (
            f"simulated users: {config.favourites} favourites from a facet (mixtures: half from "
            f"each of two), one held out; {config.users_per_taste} users per taste"
        ),
        "popularity_definition": (
            f"hubness: how often a piece is among the {config.hub_k} nearest neighbours of the "
            "other pieces (no real plays exist yet)"
        ),
        "methods": {name: _summary(t, n, k) for name, t in tallies.items()},
        "per_taste": {
            taste: {name: _summary(t, n, k) for name, t in methods.items()}
            for taste, methods in per_taste.items()
        },
        "cold_start": _cold_start_summary(engine, config),
        "config": asdict(config),
        "personal_config": asdict(PersonalConfig()),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _run_methods(
    engine: Engine, users: list[SimUser], masks: dict[str, np.ndarray], config: EvalConfig
) -> tuple[dict[str, _Tally], dict[str, dict[str, _Tally]]]:
    """Every method on every user; tallies overall and per taste."""
    methods = make_methods(engine, config)
    rows = {pid: i for i, pid in enumerate(engine.catalog["id"].astype(str))}
    tallies = {name: _Tally() for name in methods}
    per_taste: dict[str, dict[str, _Tally]] = {}
    for number, user in enumerate(users):
        history = history_of(user, config, np.random.default_rng([config.seed, number]))
        for name, method in methods.items():
            tick = time.perf_counter()
            ranked = method(user, history)
            took = time.perf_counter() - tick
            for tally in (
                tallies[name],
                per_taste.setdefault(user.taste, {}).setdefault(name, _Tally()),
            ):
                tally.seconds += took
                _score(tally, user, ranked, masks, rows, engine.embeddings, config.k)
    log.info("evaluated %d users x %d methods", len(users), len(methods))
    return tallies, per_taste


def _cold_start_summary(engine: Engine, config: EvalConfig) -> dict[str, Any]:
    """What a newcomer sees: how many collections and forms the first list spans."""
    hits = cold_start(engine, config.k, seed=config.seed)
    rows = [engine.row(h.id) for h in hits]
    forms = engine.catalog["form"].iloc[rows] if "form" in engine.catalog else []
    return {
        "collections": sorted({h.collection for h in hits}),
        "forms": sorted({str(f) for f in forms if isinstance(f, str) and f}),
        "ild": round(
            intra_list_diversity(np.asarray(engine.embeddings[rows], dtype=np.float32)), 4
        ),
    }


def _score(
    tally: _Tally,
    user: SimUser,
    ranked: list[str],
    masks: dict[str, np.ndarray],
    rows: dict[str, int],
    embeddings: np.ndarray,
    k: int,
) -> None:
    index = np.array([rows[pid] for pid in ranked[:k]], dtype=int)
    in_facet = [masks[f][index] for f in user.facets]
    tally.hr.append(hit_rate(ranked, user.held_out, k))
    tally.ndcg.append(ndcg(ranked, user.held_out, k))
    tally.precision.append(float(np.logical_or.reduce(in_facet).mean()) if len(index) else 0.0)
    if len(user.facets) > 1:
        tally.both.append(float(all(hits.any() for hits in in_facet)))
    tally.ild.append(intra_list_diversity(np.asarray(embeddings[index], dtype=np.float32)))
    tally.lists.append(ranked[:k])


def _summary(tally: _Tally, n_items: int, k: int) -> dict[str, float | None]:
    def mean(values: list[float]) -> float | None:
        return round(float(np.mean(values)), 4) if values else None

    return {
        f"hr@{k}": mean(tally.hr),
        f"ndcg@{k}": mean(tally.ndcg),
        f"taste_precision@{k}": mean(tally.precision),
        "mixture_both_tastes": mean(tally.both),
        "ild": mean(tally.ild),
        "coverage": round(coverage(tally.lists, n_items), 4),
        "ms_per_user": round(1000 * tally.seconds / max(len(tally.lists), 1), 2),
    }
