"""Personal recommendations from a person's listening history.

``recommend(engine, interactions, k)`` turns plain interaction records into a ranked list:

1. **Profile** — each piece gets a weight: favourites and ratings count most, plays less,
   opens and search hits least; every event fades with an exponential half-life (favourites
   and ratings with a far longer one: they are standing statements of taste); an
   ``unfavourite`` cancels the earlier favourites of that piece, a ``dismiss`` cancels all its
   earlier signals. Because the decay is exponential, only *differences* in time matter, so the
   reference "now" is the newest event and results do not drift with the wall clock.
2. **Interests** — the liked pieces are split with weighted spherical k-means
   (``recommender.clusters``) on their embeddings joined with their facets
   (``facet_cluster_weight``), the number of clusters chosen by silhouette (capped, and one
   cluster unless the split is clear), so someone who likes jigs *and* chorales is not served
   the average of the two. Values most favourites share keep that share in every cluster
   (``shared_facts_weight``).
3. **Scores** — each interest scores the catalog by embedding cosine plus how well a piece
   matches the facet values its liked pieces share (genre, form, key, meter, mode, region,
   ...: ``recommender.tastes``), weighted by how consistently they share them and how telling
   each value is; "not for me" (``dismiss``) pieces push scores and their interest's share
   down (``recommender.selection``).
4. **Selection** — interests take turns in proportion to their weight (smooth round robin, one
   slot each first), and each turn picks its candidate by MMR against everything chosen.
5. **Exclusions and reasons** — pieces already favourited, played, opened, rated or dismissed
   never come back; each result names the facts it shares with its interest and the closest
   liked piece ("reel in D major (Irish) like Toss the Feathers and 3 more you liked").

With no usable history (**cold start**) the list is a representative sample across
collections: k-means medoids within each collection, collections interleaved, deterministic
by ``seed``.

Inputs are plain Python (``Interaction`` records); nothing here touches the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from cantus.errors import BadInput
from cantus.threads import library_threads
from recommender import selection, tastes
from recommender.clusters import choose_clusters, medoids, silhouette, spherical_kmeans, unit
from recommender.engine import Engine, Hit, check_k
from recommender.personal_types import (
    LASTING_KINDS,
    SECONDS_PER_DAY,
    SEEN_KINDS,
    Interaction,
    Interest,
    PersonalConfig,
    Profile,
    to_utc,
)
from recommender.selection import allocate, interleave

__all__ = [
    "allocate",
    "build_profile",
    "choose_clusters",
    "cold_start",
    "interleave",
    "recommend",
    "silhouette",
    "spherical_kmeans",
]

log = logging.getLogger(__name__)


def recommend(
    engine: Engine,
    interactions: Iterable[Interaction | Any],
    k: int = 10,
    seed: int = 0,
    config: PersonalConfig | None = None,
) -> list[Hit]:
    """Up to ``k`` ``Hit``s for a person with this history (cold start when there is none).

    ``interactions`` are ``Interaction``s, or rows with piece_id, kind, at, value (``db.repo``).
    The list order is the ranking (interests interleaved, MMR within each turn); ``score`` is
    the piece's relevance to the interest it serves (``selection.liking``).
    """
    k = check_k(k)
    config = config or PersonalConfig()
    with library_threads(1, "blas"):  # one query: one thread beats a pool
        return _recommend(engine, interactions, k, seed, config)


def _recommend(
    engine: Engine,
    interactions: Iterable[Interaction | Any],
    k: int,
    seed: int,
    config: PersonalConfig,
) -> list[Hit]:
    events = [i if isinstance(i, Interaction) else Interaction.from_row(i) for i in interactions]
    profile = build_profile(events, config)
    rows = {pid: _row_of(engine, pid) for pid in profile.weights}
    liked = [(rows[pid], w) for pid, w in profile.weights.items() if rows[pid] is not None]
    if len(liked) < len(profile.weights):
        log.debug("ignored %d liked ids not in the catalog", len(profile.weights) - len(liked))
    if not liked:
        return cold_start(engine, k, seed=seed, exclude=profile.excluded, config=config)
    interests = find_interests(engine, liked, seed, config)
    excluded = _rows_mask(engine, profile.excluded)
    hidden = [r for r in (_row_of(engine, p) for p in profile.dismissed) if r is not None]
    table = tastes.facet_codes(engine, engine.catalog)
    negatives = selection.negatives(engine, table, hidden)
    picks = selection.select(engine, interests, k, excluded, negatives, config)
    if len(picks) < k:  # tiny catalog or everything near the profile already seen
        taken = profile.excluded | {h.id for h in picks}
        picks += cold_start(
            engine, k - len(picks), seed=seed, exclude=taken, config=config, reason=""
        )
    return picks


def build_profile(events: Sequence[Interaction], config: PersonalConfig) -> Profile:
    """Per-piece weights from the history (recency, kind, cancellations, ratings)."""
    ordered = sorted(events, key=lambda e: to_utc(e.at))
    signals, ratings, dismissed = _accumulate(ordered, config)
    weights = {}
    for pid, per_kind in signals.items():
        weight = min(sum(per_kind.values()), config.piece_weight_cap)
        if pid in ratings:
            weight *= _rating_factor(ratings[pid], config)
        weights[pid] = weight
    # relative cut-off: a person whose whole history is a year old keeps their tastes
    floor = config.min_relative_weight * max(weights.values(), default=0.0)
    seen = frozenset(e.piece_id for e in events if e.kind in SEEN_KINDS)
    return Profile({p: w for p, w in weights.items() if w > floor}, seen, frozenset(dismissed))


def _accumulate(
    ordered: Sequence[Interaction], config: PersonalConfig
) -> tuple[dict[str, dict[str, float]], dict[str, float], set[str]]:
    """Replay the history in time order: decayed weight per piece and kind, latest ratings,
    dismissed pieces. The newest event is "now" (only time differences matter)."""
    signals: dict[str, dict[str, float]] = {}  # piece -> kind -> decayed weight
    ratings: dict[str, float] = {}
    dismissed: set[str] = set()
    now = to_utc(ordered[-1].at) if ordered else None
    for event in ordered:
        pid = event.piece_id
        if event.kind == "unfavourite":
            signals.get(pid, {}).pop("favourite", None)
        elif event.kind == "dismiss":  # cancels everything said about the piece so far
            signals.pop(pid, None)
            ratings.pop(pid, None)
            dismissed.add(pid)
        else:
            if event.kind == "rating" and event.weight is not None:
                ratings[pid] = event.weight  # the latest rating wins
            multiplier = 1.0 if event.kind == "rating" or event.weight is None else event.weight
            lasting = event.kind in LASTING_KINDS
            half_life = config.lasting_half_life_days if lasting else config.half_life_days
            decay = 0.5 ** (_age_days(now, event.at) / half_life)
            weight = config.kind_weights.get(event.kind, 0.0) * decay * multiplier
            per_kind = signals.setdefault(pid, {})
            per_kind[event.kind] = per_kind.get(event.kind, 0.0) + weight
    return signals, ratings, dismissed


def _rating_factor(rating: float, config: PersonalConfig) -> float:
    """1 at the neutral rating, 0 at the lowest (a 1-star piece is no taste), 2 at 5 stars."""
    span = config.rating_neutral - config.rating_low
    return max(rating - config.rating_low, 0.0) / span


def find_interests(
    engine: Engine,
    liked: Sequence[tuple[int, float]],
    seed: int,
    config: PersonalConfig,
) -> list[Interest]:
    """Cluster the liked (row, weight) pairs; one ``Interest`` per cluster, heaviest first."""
    index = np.array([row for row, _ in liked])
    vectors = unit(np.asarray(engine.embeddings[index], dtype=np.float32))  # (n, D)
    weights = np.array([w for _, w in liked], dtype=np.float64)
    table = tastes.facet_codes(engine, engine.catalog)
    labels = choose_clusters(
        _taste_features(vectors, tastes.one_hot(table, index), config.facet_cluster_weight),
        weights,
        config.max_clusters,
        config.min_silhouette,
        seed,
        config.kmeans_restarts,
    )
    titles = _titles(engine, index)
    # a value most favourites share (4 of 5 minor) keeps that share in every cluster, also
    # in one holding the odd favourite out
    everyone = tastes.shares(table, index, weights)
    interests = []
    for label in np.unique(labels):
        members = labels == label
        centroid = unit((weights[members, None] * vectors[members]).sum(axis=0))
        member_titles = [t for t, m in zip(titles, members, strict=True) if m]
        shares = [
            np.maximum(own, config.shared_facts_weight * whole)
            for own, whole in zip(
                tastes.shares(table, index[members], weights[members]), everyone, strict=True
            )
        ]
        interests.append(
            Interest(
                centroid,
                float(weights[members].sum()),
                vectors[members],
                member_titles,
                index[members],
                shares,
            )
        )
    total = sum(i.mass for i in interests)
    # a stray search hit forming its own cluster must not claim a slot of its own
    kept = [i for i in interests if i.mass >= config.min_interest_share * total]
    return sorted(kept, key=lambda i: -i.mass)


def _taste_features(vectors: np.ndarray, facets: np.ndarray, facet_part: float) -> np.ndarray:
    """Unit rows whose cosine is (1 - facet_part) x embedding cosine + facet_part x facet
    overlap: favourites from one book in one form group even where the embedding wavers."""
    if facets.shape[1] == 0 or facet_part == 0:
        return vectors
    return np.concatenate([np.sqrt(1 - facet_part) * vectors, np.sqrt(facet_part) * facets], 1)


def cold_start(
    engine: Engine,
    k: int,
    seed: int = 0,
    exclude: Iterable[str] = (),
    config: PersonalConfig | None = None,
    reason: str = " (no listening history yet)",
) -> list[Hit]:
    """A representative sample across collections: k-means medoids per collection."""
    config = config or PersonalConfig()
    rng = np.random.default_rng(seed)
    taken = set(exclude)
    picks: list[tuple[int, float]] = []
    while len(picks) < k:  # a second pass only when small collections ran out of pieces
        batch = _cold_start_pass(engine, k - len(picks), taken, rng, config)
        if not batch:
            break
        picks += batch
        taken |= {str(engine.catalog["id"].iloc[row]) for row, _ in batch}
    collections = _column(engine.catalog, "collection")
    return [
        selection.hit_from_row(
            engine,
            row,
            score,
            f"a representative piece from {collections[row] or 'the catalog'}{reason}",
        )
        for row, score in picks
    ]


def _cold_start_pass(
    engine: Engine, k: int, taken: set[str], rng: np.random.Generator, config: PersonalConfig
) -> list[tuple[int, float]]:
    """Up to ``k`` (row, score) medoids, collections interleaved."""
    allowed = ~engine.catalog["id"].astype(str).isin(taken).to_numpy()
    collections = _column(engine.catalog, "collection")
    groups = {
        name: np.flatnonzero(allowed & (collections == name))
        for name in np.unique(collections[allowed])
    }
    names = sorted(groups, key=lambda n: (-len(groups[n]), n))
    # sqrt: big collections get more slots, small ones still get a voice.
    quotas = allocate(np.sqrt([len(groups[n]) for n in names]), k)
    per_group = [
        medoids(engine.embeddings, groups[n], q, rng, config.cold_start_sample)
        for n, q in zip(names, quotas, strict=True)
    ]
    return [per_group[g][turn] for g, turn in interleave([len(p) for p in per_group], quotas)]


# ---------------------------------------------------------------------------------------------
# Small helpers


def _age_days(now: datetime, at: Any) -> float:
    return max((now - to_utc(at)).total_seconds(), 0.0) / SECONDS_PER_DAY


def _rows_mask(engine: Engine, piece_ids: Iterable[str]) -> np.ndarray:
    """(N,) True at the rows of ``piece_ids`` (ids gone from the catalog are skipped)."""
    mask = np.zeros(len(engine.catalog), dtype=bool)
    rows = [r for r in (_row_of(engine, p) for p in piece_ids) if r is not None]
    mask[rows] = True
    return mask


def _row_of(engine: Engine, piece_id: str) -> int | None:
    """Catalog row (= embedding row) of a piece, None when it is gone from the catalog."""
    try:
        return engine.row(piece_id)
    except BadInput:
        return None


def _column(catalog: Any, name: str) -> np.ndarray:
    if name not in catalog:
        return np.array([""] * len(catalog), dtype=object)
    return catalog[name].fillna("").astype(str).to_numpy()


def _titles(engine: Engine, index: np.ndarray) -> list[str]:
    fields = selection.field_values(engine)
    return [t or i for t, i in zip(fields["title"][index], fields["id"][index], strict=True)]
