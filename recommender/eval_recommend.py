"""Offline evaluation of personal recommendations with simulated listeners.

There are no real listening logs yet, so listeners are simulated from **tastes defined by the
sources** (``recommender.eval_tastes``: ABC header fields and corpus paths, never the catalog
facets the ranker reads). Each listener favourites ``favourites`` pieces of one taste, or of two
tastes (half each), spread over the last ``history_days``; one favourite is held out.

Tastes are split into tune and test. The recommender's facet constants are swept on the tune
split (``sweep``, reported under ``tuned_on_tune_split``); the headline numbers and targets are
the test split's. Metrics per method:

- ``one_taste_precision@k`` — share of the list inside the taste of one-taste listeners;
- ``two_taste_precision@k`` — share inside either taste of two-taste listeners;
- ``two_tastes_both_covered`` — two-taste listeners whose list has >= ``min_per_taste`` of each;
- ``hr@k`` — the held-out favourite is in the list (one item among thousands: compare methods);
- ``ild`` — intra-list diversity (mean pairwise ``1 - cos``); ``coverage`` — catalog share listed;
- ``p50_ms`` / ``p95_ms`` — time per list, warm, in this process.

"Not for me" (``not_for_me``): one-taste listeners hide every piece of their first list outside
their taste, two-taste listeners hide the pieces of their second taste; the second list must
never contain a hidden piece, and should hold more of the taste / less of the hidden taste.

Methods in the same run: ``cantus`` (shipped ``PersonalConfig``), ``before_scale_facet`` (the
taste-facet recommender before the church-mode ``scale`` facet and the last sweep),
``previous`` (the recommender before taste facets: embedding clusters + MMR, favourites fading
in 30 days), ``naive_last_favourite`` (``Engine.similar`` on the newest favourite) and ``random``.
"""

from __future__ import annotations

import itertools
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from cantus.threads import library_threads
from recommender.engine import Engine
from recommender.eval_tastes import PAIRS, TASTES, Taste, taste_masks
from recommender.metrics import (
    coverage,
    hit_rate,
    intra_list_diversity,
    mean,
    summarise,
    targets,
)
from recommender.personal import recommend
from recommender.personal_types import Interaction, PersonalConfig

log = logging.getLogger(__name__)

NOW = datetime(2025, 1, 1, tzinfo=UTC)  # fixed "today" of the simulation: runs are repeatable
SPLITS = ("test", "tune")
# Constants swept on the tune split (every combination; ties go to the earlier value).
SWEEP: dict[str, tuple[float, ...]] = {
    "facet_weight": (0.0, 0.5, 1.0, 2.0),
    "facet_cluster_weight": (0.0, 0.5, 0.8),
    "share_power": (0.5, 1.0),
    "shared_facts_weight": (0.0, 1.0),
}
PREVIOUS = {  # the recommender before taste facets (embedding clusters + MMR), as on main
    "lasting_half_life_days": 30.0,  # favourites faded like every other signal
    "facet_weight": 0.0,
    "facet_cluster_weight": 0.0,
    "hide_similarity": 0.0,
    "hide_facet_weight": 0.0,
    "hide_mass": 0.0,
    "share_power": 1.0,
}

# The taste-facet recommender before this sweep and the `scale` facet (PersonalConfig at
# 08591de). Which facets exist is a design choice, not swept: the tune tastes hold no church
# mode, so they cannot judge `scale` (with or without it differed by 1 piece in 480 there).
BEFORE = {
    "facet_weight": 1.0,
    "facet_cluster_weight": 0.0,
    "share_power": 1.0,
    "shared_facts_weight": 0.0,
    "ignored_facets": ("scale",),
}

Method = Callable[["SimUser", list[Interaction]], list[str]]


@dataclass(frozen=True)
class EvalConfig:
    """Size and seed of the simulation."""

    users_per_taste: int = 12  # listeners per taste and per pair of tastes
    favourites: int = 6  # favourites per listener (two tastes: half each), one held out
    k: int = 10  # list length
    min_per_taste: int = 2  # a two-taste list "covers" a taste with at least this many pieces
    history_days: float = 90.0  # favourites are spread uniformly over this many past days
    min_taste_size: int = 30  # tastes with fewer pieces in the catalog are skipped (reported)
    seed: int = 0  # seeds sampling, recommendation and the random baseline

    def __post_init__(self) -> None:
        if self.favourites < 3:
            msg = f"`favourites` must be >= 3 to hold one out (received {self.favourites})"
            raise ValueError(msg)
        for name in ("users_per_taste", "k", "min_per_taste", "min_taste_size"):
            if getattr(self, name) < 1:
                msg = f"`{name}` must be >= 1 (received {getattr(self, name)})"
                raise ValueError(msg)


@dataclass(frozen=True)
class SimUser:
    tastes: tuple[str, ...]  # one or two taste names
    split: str  # "tune" | "test"
    history: tuple[str, ...]  # favourited piece ids, without the held-out one
    held_out: str
    draw: int = 0  # which of its group's listeners this is

    @property
    def name(self) -> str:
        return " + ".join(self.tastes)

    def history_rng(self, seed: int) -> np.random.Generator:
        """Seeded by the group's name and the draw: adding a taste changes no other listener."""
        return np.random.default_rng([seed, zlib.crc32(self.name.encode()), self.draw])


def simulate_users(
    ids: np.ndarray,
    masks: dict[str, np.ndarray],
    splits: dict[str, str],
    pairs: Sequence[tuple[str, str]],
    config: EvalConfig,
) -> list[SimUser]:
    """``users_per_taste`` listeners for every usable taste and pair of tastes."""
    groups = [(name,) for name in masks] + [p for p in pairs if all(t in masks for t in p)]
    users = []
    for tastes in groups:
        # one stream per group: adding or dropping a taste leaves the other listeners alone
        rng = np.random.default_rng([config.seed, zlib.crc32(" + ".join(tastes).encode())])
        for draw in range(config.users_per_taste):
            shares = np.array_split(np.arange(config.favourites), len(tastes))
            picked = [
                rng.choice(np.flatnonzero(masks[t]), len(s), replace=False)
                for t, s in zip(tastes, shares, strict=True)
            ]
            liked = list(ids[np.concatenate(picked)])
            held_out = liked.pop(int(rng.integers(len(liked))))
            users.append(SimUser(tastes, splits[tastes[0]], tuple(liked), held_out, draw))
    return users


def history_of(user: SimUser, config: EvalConfig, rng: np.random.Generator) -> list[Interaction]:
    """The favourites as interactions at random moments of the last ``history_days``, newest
    last (``naive_last_favourite`` reads the last one)."""
    ages = np.sort(rng.uniform(0, config.history_days, len(user.history)))[::-1]
    return [
        Interaction(pid, "favourite", NOW - timedelta(days=float(d)))
        for pid, d in zip(user.history, ages, strict=True)
    ]


def make_methods(
    engine: Engine, config: EvalConfig, personal: PersonalConfig | None = None
) -> dict[str, Method]:
    """Every method compared in one run, keyed by the name used in the report."""
    ids = engine.catalog["id"].astype(str).to_numpy()
    rng = np.random.default_rng(config.seed + 1)

    def ranker(personal_config: PersonalConfig) -> Method:
        def run(user: SimUser, history: list[Interaction]) -> list[str]:
            hits = recommend(engine, history, k=config.k, seed=config.seed, config=personal_config)
            return [h.id for h in hits]

        return run

    def naive(user: SimUser, history: list[Interaction]) -> list[str]:
        seen = set(user.history)
        last = max(history, key=lambda e: e.at).piece_id
        hits = engine.similar(last, k=config.k + len(seen))
        return [h.id for h in hits if h.id not in seen][: config.k]

    def random(user: SimUser, history: list[Interaction]) -> list[str]:
        seen = set(user.history)
        pool = rng.choice(len(ids), min(len(ids), config.k + len(seen)), replace=False)
        return [pid for pid in ids[pool] if pid not in seen][: config.k]

    shipped = personal or PersonalConfig()
    return {
        "cantus": ranker(shipped),
        "before_scale_facet": ranker(replace(shipped, **BEFORE)),
        "previous": ranker(replace(shipped, **PREVIOUS)),
        "naive_last_favourite": naive,
        "random": random,
    }


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Tally:
    """Per-listener numbers of one method on one split."""

    one: list[float] = field(default_factory=list)  # one-taste precision
    two: list[float] = field(default_factory=list)  # two-taste precision (either taste)
    both: list[float] = field(default_factory=list)  # two-taste: both covered
    hr: list[float] = field(default_factory=list)
    ild: list[float] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    lists: list[list[str]] = field(default_factory=list)


def evaluate(
    engine: Engine,
    config: EvalConfig | None = None,
    tastes: Sequence[Taste] | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    personal: PersonalConfig | None = None,
) -> dict[str, Any]:
    """Simulate listeners, run every method on each, and return the report (JSON-able).
    ``tastes`` / ``pairs`` default to ``eval_tastes.TASTES`` / ``PAIRS``."""
    config = config or EvalConfig()
    tastes = TASTES if tastes is None else tastes
    pairs = PAIRS if pairs is None else pairs
    started = time.perf_counter()
    with library_threads(1, "openmp"):  # one query: one thread beats a pool
        all_masks, masks, users, rows = _listeners(engine, tastes, pairs, config)
        sweep_report = sweep(engine, [u for u in users if u.split == "tune"], masks, rows, config)
        methods = make_methods(engine, config, personal)
        tallies, per_taste = _run(engine, users, methods, masks, rows, config)
        hides = {
            s: _not_for_me(engine, [u for u in users if u.split == s], methods, masks, rows, config)
            for s in SPLITS
        }
    n = len(engine.catalog)
    splits_report = {
        s: {name: summarise(t[s], n, config.k) for name, t in tallies.items()} for s in SPLITS
    }
    return {
        "catalog_size": n,
        **_design(config, tastes, pairs, all_masks, masks, users),
        "reported_split": "test",
        "tuned_on_tune_split": sweep_report,
        "splits": splits_report,
        "not_for_me": hides,
        **{
            f"per_taste_{s}": {
                taste: {name: _brief(summarise(t, n, config.k), config.k) for name, t in g.items()}
                for taste, g in per_taste[s].items()
            }
            for s in SPLITS
        },
        "targets": targets(
            splits_report["test"]["cantus"], hides["test"].get("cantus", {}), config.k
        ),
        "config": asdict(config),
        "personal_config": asdict(personal or PersonalConfig()),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _design(
    config: EvalConfig,
    tastes: Sequence[Taste],
    pairs: Sequence[tuple[str, str]],
    all_masks: dict[str, np.ndarray],
    masks: dict[str, np.ndarray],
    users: Sequence[Any],
) -> dict[str, Any]:
    """The report's description of the judge, the tastes and the simulated listeners."""
    return {
        "judge": (
            "tastes from the sources: ABC header fields (R: rhythm/genre, O: origin, M: meter, "
            "K: key and mode, N: tempo notes) and music21 corpus paths; never the catalog facets"
        ),
        "tastes": {
            t.name: {
                "split": t.split,
                "pieces": int(all_masks[t.name].sum()),
                "used": t.name in masks,
            }
            for t in tastes
        },
        "pairs": [" + ".join(p) for p in pairs],
        "users": {s: sum(u.split == s for u in users) for s in SPLITS},
        "protocol": (
            f"{config.favourites} favourites from one taste or half from each of two, one held "
            f"out; {config.users_per_taste} listeners per taste and per pair; lists of {config.k}"
        ),
    }


def _listeners(
    engine: Engine, tastes: Sequence[Taste], pairs: Sequence[tuple[str, str]], config: EvalConfig
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[SimUser], dict[str, int]]:
    """Every taste's mask, the usable ones, the simulated listeners, and id -> row."""
    all_masks = taste_masks(engine.catalog, tastes)
    masks = {n: m for n, m in all_masks.items() if m.sum() >= config.min_taste_size}
    ids = engine.catalog["id"].astype(str).to_numpy()
    users = simulate_users(ids, masks, {t.name: t.split for t in tastes}, pairs, config)
    return all_masks, masks, users, {pid: i for i, pid in enumerate(ids)}


def _brief(row: dict[str, Any], k: int) -> dict[str, Any]:
    keep = (f"precision@{k}", "two_tastes_both_covered")
    return {name: row[name] for name in keep if row[name] is not None}


def _run(
    engine: Engine,
    users: list[SimUser],
    methods: dict[str, Method],
    masks: dict[str, np.ndarray],
    rows: dict[str, int],
    config: EvalConfig,
) -> tuple[dict[str, dict[str, Tally]], dict[str, dict[str, dict[str, Tally]]]]:
    """Every method on every listener; tallies per split, and per split and taste group."""
    tallies = {name: {s: Tally() for s in SPLITS} for name in methods}
    per_taste: dict[str, dict[str, dict[str, Tally]]] = {s: {} for s in SPLITS}
    for user in users:
        history = history_of(user, config, user.history_rng(config.seed))
        group = per_taste[user.split].setdefault(user.name, {})
        for name, method in methods.items():
            tick = time.perf_counter()
            ranked = method(user, history)
            took = 1000 * (time.perf_counter() - tick)
            for tally in (tallies[name][user.split], group.setdefault(name, Tally())):
                score(tally, user, ranked, masks, rows, engine.embeddings, config)
                tally.ms.append(took)
    log.info("evaluated %d listeners x %d methods", len(users), len(methods))
    return tallies, per_taste


def score(
    tally: Tally,
    user: SimUser,
    ranked: list[str],
    masks: dict[str, np.ndarray],
    rows: dict[str, int],
    embeddings: np.ndarray,
    config: EvalConfig,
) -> None:
    index = np.array([rows[pid] for pid in ranked[: config.k]], dtype=int)
    inside = [masks[t][index] for t in user.tastes]  # per taste: (k,) bool
    precision = float(np.logical_or.reduce(inside).mean()) if len(index) else 0.0
    if len(user.tastes) == 1:
        tally.one.append(precision)
    else:
        tally.two.append(precision)
        tally.both.append(float(all(hits.sum() >= config.min_per_taste for hits in inside)))
    tally.hr.append(hit_rate(ranked, user.held_out, config.k))
    tally.ild.append(intra_list_diversity(np.asarray(embeddings[index], dtype=np.float32)))
    tally.lists.append(ranked[: config.k])


def sweep(
    engine: Engine,
    users: list[SimUser],
    masks: dict[str, np.ndarray],
    rows: dict[str, int],
    config: EvalConfig,
) -> dict[str, Any]:
    """Every combination of ``SWEEP`` on the tune listeners; best by the mean of one-taste
    precision and two-taste coverage."""
    grid = []
    for values in itertools.product(*SWEEP.values()):
        setting = dict(zip(SWEEP, values, strict=True))
        method = make_methods(engine, config, PersonalConfig(**setting))["cantus"]
        tally = Tally()
        for user in users:
            history = history_of(user, config, user.history_rng(config.seed))
            score(tally, user, method(user, history), masks, rows, engine.embeddings, config)
        one, both = mean(tally.one), mean(tally.both)
        grid.append({**setting, "one_taste_precision": one, "two_tastes_both_covered": both})
    best = max(
        grid, key=lambda g: (g["one_taste_precision"] or 0) + (g["two_tastes_both_covered"] or 0)
    )
    shipped = {name: getattr(PersonalConfig(), name) for name in SWEEP}
    return {
        "constants": list(SWEEP),
        "grid": grid,
        "best": {name: best[name] for name in SWEEP},
        "shipped": shipped,
        "shipped_is_best": all(shipped[n] == best[n] for n in SWEEP),
    }


def _not_for_me(
    engine: Engine,
    users: list[SimUser],
    methods: dict[str, Method],
    masks: dict[str, np.ndarray],
    rows: dict[str, int],
    config: EvalConfig,
) -> dict[str, dict[str, Any]]:
    """Hide what a listener would reject, ask again, and compare (see the module docstring)."""
    report = {}
    for name in ("cantus", "before_scale_facet", "previous"):
        before, after, returned, hidden_total = [], [], 0, 0
        for user in users:
            history = history_of(user, config, user.history_rng(config.seed))
            first = methods[name](user, history)
            hidden = _rejected(user, first, masks, rows)
            if not hidden:
                continue
            hides = [Interaction(p, "dismiss", NOW + timedelta(minutes=1)) for p in hidden]
            second = methods[name](user, history + hides)
            returned += len(set(second) & set(hidden))
            hidden_total += len(hidden)
            before.append(_wanted_share(user, first, masks, rows))
            after.append(_wanted_share(user, second, masks, rows))
        report[name] = {
            "listeners": len(before),
            "hidden_pieces": hidden_total,
            "hidden_returned": returned,
            "wanted_share_before": mean(before),
            "wanted_share_after": mean(after),
        }
    return report


def _rejected(
    user: SimUser, ranked: list[str], masks: dict[str, np.ndarray], rows: dict[str, int]
) -> list[str]:
    """One taste: the list's pieces outside it. Two tastes: the pieces of the second taste."""
    if len(user.tastes) == 1:
        return [p for p in ranked if not masks[user.tastes[0]][rows[p]]]
    first, second = (masks[t] for t in user.tastes)
    return [p for p in ranked if second[rows[p]] and not first[rows[p]]]


def _wanted_share(
    user: SimUser, ranked: list[str], masks: dict[str, np.ndarray], rows: dict[str, int]
) -> float:
    """Share of the list inside the taste the listener keeps (the first one)."""
    if not ranked:
        return 0.0
    return float(np.mean([masks[user.tastes[0]][rows[p]] for p in ranked]))


__all__ = ["EvalConfig", "SimUser", "coverage", "evaluate", "history_of", "simulate_users"]
