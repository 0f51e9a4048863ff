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
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from cantus.errors import BadInput
from cantus.threads import library_threads
from recommender import selection, tastes
from recommender.clusters import choose_clusters, medoids, silhouette, spherical_kmeans, unit
from recommender.engine import Engine, Hit, check_k
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

KINDS = ("search_hit", "open", "play", "favourite", "unfavourite", "dismiss", "rating")
# Pieces the person has already met: recommending them again adds nothing.
SEEN_KINDS = frozenset({"open", "play", "favourite", "rating"})
LASTING_KINDS = frozenset({"favourite", "rating"})  # fade with `lasting_half_life_days`
SECONDS_PER_DAY = 86_400.0


def _default_kind_weights() -> dict[str, float]:
    return {"favourite": 1.0, "rating": 1.0, "play": 0.5, "open": 0.2, "search_hit": 0.1}


@dataclass(frozen=True)
class Interaction:
    """One thing a person did with a piece.

    ``weight``: for ``rating`` the rating value (1..5); for other kinds an optional multiplier
    of the kind's base weight (``None`` = 1).
    """

    piece_id: str
    kind: str
    at: datetime
    weight: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"`kind` must be one of {', '.join(KINDS)} (received {self.kind!r})"
            raise ValueError(msg)
        if self.weight is not None and not (math.isfinite(self.weight) and self.weight >= 0):
            msg = f"`weight` must be a finite number >= 0 or None (received {self.weight!r})"
            raise ValueError(msg)

    @classmethod
    def from_row(cls, row: Any) -> Interaction:
        """From a ``db.repo.interactions`` row: a mapping or an object with piece_id, kind, at,
        value."""
        if isinstance(row, Mapping):
            get = row.get
        else:

            def get(name: str, default: Any = None) -> Any:
                return getattr(row, name, default)

        value = get("value", None)
        if value is None:
            value = get("weight", None)
        return cls(
            str(get("piece_id")),
            str(get("kind")),
            _to_utc(get("at")),
            None if value is None else float(value),
        )


@dataclass(frozen=True)
class PersonalConfig:
    """Knobs of the personal recommender. facet_weight, facet_cluster_weight, share_power and
    shared_facts_weight are the best of ``cantus eval recommendation``'s sweep on its tune
    tastes (12 listeners per taste; ``eval_recommend.SWEEP``); the others are set by hand."""

    half_life_days: float = 30.0  # an event's weight halves every this many days
    # favourites and ratings are standing statements of taste: they fade far slower
    lasting_half_life_days: float = 365.0
    # base weight per kind: favourites and ratings count most, search hits least
    kind_weights: dict[str, float] = field(default_factory=_default_kind_weights)
    rating_neutral: float = 3.0  # rating that leaves a piece's weight unchanged (5 stars: x2)
    rating_low: float = 1.0  # rating that cancels a piece's weight (1 star: not a taste)
    piece_weight_cap: float = 3.0  # one piece played fifty times must not drown everything else
    # pieces fainter than this fraction of the strongest one (a search hit months ago) are ignored
    min_relative_weight: float = 0.01
    max_clusters: int = 3  # most separate interests kept apart; 1 = a single averaged profile
    min_silhouette: float = 0.1  # split interests only when the clusters are at least this clear
    min_interest_share: float = 0.1  # interests lighter than this share of the profile are dropped
    candidates_per_interest: int = 20  # fewest index hits fetched per interest before MMR
    candidates_per_slot: int = 4  # and at least this many per slot the interest fills
    mmr_lambda: float = 0.7  # MMR trade-off: 1 = pure relevance, 0 = pure novelty
    facet_weight: float = 2.0  # taste bonus (0..1, shared facet values) added to the cosine
    facet_power: float = 2.0  # share ** power: inconsistent facets (5 keys in 5 pieces) fade
    facet_cluster_weight: float = 0.8  # facets' part in clustering tastes (0 = embedding only)
    # each cluster counts a value at least at this x its share of all favourites (1: what
    # most favourites share is not diluted when they split into clusters; 0: the cluster's own)
    shared_facts_weight: float = 1.0
    ignored_facets: tuple[str, ...] = ()  # taste facets left out of scores (for comparisons)
    # "not for me": score minus this x how much closer a piece is to a hidden one than to
    # the interest's centre
    hide_similarity: float = 0.5
    hide_facet_weight: float = 0.25  # and minus this x facet values only hidden pieces share
    hide_mass: float = 0.5  # each hidden piece lowers its nearest interest's weight by this
    min_mass_left: float = 0.2  # an interest keeps at least this fraction of its weight
    share_power: float = 1.0  # list slots follow weight ** this: 0.5 keeps a lighter taste heard
    kmeans_restarts: int = 4  # k-means restarts (best objective kept)
    cold_start_sample: int = 2000  # most pieces per collection fed to cold-start k-means

    def __post_init__(self) -> None:
        checks = {
            "half_life_days": self.half_life_days > 0,
            "lasting_half_life_days": self.lasting_half_life_days > 0,
            "rating_neutral": self.rating_neutral > self.rating_low,
            "piece_weight_cap": self.piece_weight_cap > 0,
            "min_relative_weight": 0 <= self.min_relative_weight < 1,
            "max_clusters": self.max_clusters >= 1,
            "min_silhouette": -1 <= self.min_silhouette <= 1,
            "min_interest_share": 0 <= self.min_interest_share < 1,
            "candidates_per_interest": self.candidates_per_interest >= 1,
            "candidates_per_slot": self.candidates_per_slot >= 1,
            "mmr_lambda": 0 <= self.mmr_lambda <= 1,
            "facet_weight": self.facet_weight >= 0,
            "facet_power": self.facet_power > 0,
            "facet_cluster_weight": 0 <= self.facet_cluster_weight <= 1,
            "shared_facts_weight": 0 <= self.shared_facts_weight <= 1,
            "ignored_facets": set(self.ignored_facets) <= set(tastes.TASTE_FACETS),
            "hide_similarity": self.hide_similarity >= 0,
            "hide_facet_weight": self.hide_facet_weight >= 0,
            "hide_mass": self.hide_mass >= 0,
            "min_mass_left": 0 < self.min_mass_left <= 1,
            "share_power": 0 <= self.share_power <= 1,
            "kmeans_restarts": self.kmeans_restarts >= 1,
            "cold_start_sample": self.cold_start_sample >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                msg = f"`{name}` is out of range (received {getattr(self, name)!r})"
                raise ValueError(msg)
        unknown = set(self.kind_weights) - set(KINDS)
        if unknown:
            msg = f"`kind_weights` has unknown kinds (received {sorted(unknown)})"
            raise ValueError(msg)


@dataclass(frozen=True)
class Profile:
    """What the history says: liked pieces with weights, and pieces not to recommend."""

    weights: dict[str, float]  # piece id -> weight (> 0)
    seen: frozenset[str]
    dismissed: frozenset[str]

    @property
    def excluded(self) -> frozenset[str]:
        return self.seen | self.dismissed


@dataclass
class Interest:
    """One cluster of liked pieces."""

    centroid: np.ndarray  # (D,) unit vector
    mass: float  # summed weight of its pieces
    vectors: np.ndarray  # (m, D) embeddings of its liked pieces
    titles: list[str]  # their titles, for `why`
    rows: np.ndarray  # (m,) their catalog rows
    shares: list[np.ndarray]  # per taste facet: each value's share of the weight (tastes.shares)


# ---------------------------------------------------------------------------------------------
# Public API


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
    ordered = sorted(events, key=lambda e: _to_utc(e.at))
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
    now = _to_utc(ordered[-1].at) if ordered else None
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


def _to_utc(at: Any) -> datetime:
    """Datetimes without a zone are UTC (SQLite drops zones); ISO strings and epoch seconds too."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    elif isinstance(at, int | float):
        at = datetime.fromtimestamp(at, UTC)
    if not isinstance(at, datetime):
        msg = f"`at` must be a datetime, ISO string or epoch seconds (received {at!r})"
        raise ValueError(msg)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _age_days(now: datetime, at: Any) -> float:
    return max((now - _to_utc(at)).total_seconds(), 0.0) / SECONDS_PER_DAY


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
