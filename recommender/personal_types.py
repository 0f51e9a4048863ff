"""What personal recommendations read and keep: history events, settings, the profile and its
taste clusters (dataclasses only; the logic is ``recommender.personal``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from recommender import tastes

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
            to_utc(get("at")),
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


def to_utc(at: Any) -> datetime:
    """Datetimes without a zone are UTC (SQLite drops zones); ISO strings and epoch seconds too."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    elif isinstance(at, int | float):
        at = datetime.fromtimestamp(at, UTC)
    if not isinstance(at, datetime):
        msg = f"`at` must be a datetime, ISO string or epoch seconds (received {at!r})"
        raise ValueError(msg)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
