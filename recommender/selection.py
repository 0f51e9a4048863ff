"""Picking the list for a listener's interests: scores, fair shares, MMR, and `why`.

Each interest (a cluster of liked pieces, ``recommender.personal.Interest``) scores the whole
catalog at once:

    score = liking: cos(piece, interest centroid) + facet_weight * taste bonus (recommender.tastes)
            - hide_similarity * max(0, max cos(piece, hidden) - cos(piece, centroid))
            - hide_facet_weight * facet values only the hidden pieces share

A full scan is one (N, D) @ (D,) product per interest (~1 ms for 15k pieces), so facets can
lift pieces the embedding alone ranks far down; past ~1M pieces this would switch to index
candidates. Interests take turns in proportion to their weight (smooth round robin, every
interest first gets one slot); each turn picks by MMR against everything already chosen.
Hidden ("not for me") pieces never come back, and each one near an interest lowers that
interest's share of the list.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from recommender import tastes
from recommender.engine import HIT_FIELDS, Hit

if TYPE_CHECKING:
    from recommender.engine import Engine
    from recommender.personal_types import Interest, PersonalConfig

MAX_HIDDEN = 500  # newest hidden pieces used as negatives (all of them stay excluded)


@dataclass(frozen=True)
class Negatives:
    """What "not for me" says: hidden pieces' unit vectors and facet shares."""

    rows: np.ndarray  # (h,) catalog rows of the hidden pieces
    vectors: np.ndarray  # (h, D)
    shares: list[np.ndarray]  # per facet, as ``tastes.shares``

    @property
    def empty(self) -> bool:
        return len(self.vectors) == 0


def negatives(engine: Engine, table: tastes.FacetCodes, hidden_rows: Sequence[int]) -> Negatives:
    rows = np.asarray(list(hidden_rows)[-MAX_HIDDEN:], dtype=int)
    vectors = np.asarray(engine.embeddings[rows], dtype=np.float32)  # (h, D)
    return Negatives(rows, vectors, tastes.shares(table, rows, np.ones(len(rows))))


def shared_masses(
    interests: list[Interest], likings: list[np.ndarray], neg: Negatives, config: PersonalConfig
) -> np.ndarray:
    """Each interest's claim on the list: its weight after "not for me" (each hidden piece
    lowers the interest that likes it most by ``hide_mass``, never below ``min_mass_left`` of
    what it was), to the power ``share_power``."""
    masses = np.array([i.mass for i in interests], dtype=np.float64)
    if neg.empty or not interests:
        return masses**config.share_power
    nearest = np.argmax(np.stack([liking[neg.rows] for liking in likings]), axis=0)  # (h,)
    lowered = masses - config.hide_mass * np.bincount(nearest, minlength=len(interests))
    return np.maximum(lowered, config.min_mass_left * masses) ** config.share_power


def select(
    engine: Engine,
    interests: list[Interest],
    k: int,
    excluded: np.ndarray,
    neg: Negatives,
    config: PersonalConfig,
) -> list[Hit]:
    """Up to ``k`` hits; ``excluded`` is a (N,) bool mask of rows never to return."""
    table = tastes.facet_codes(engine, engine.catalog)
    cosines = [engine.embeddings @ i.centroid.astype(np.float32) for i in interests]  # (N,) each
    likings = [
        liking(table, interest, cos, config)
        for interest, cos in zip(interests, cosines, strict=True)
    ]
    quotas = allocate(shared_masses(interests, likings, neg, config), k)
    near_hidden = _near_hidden(engine, neg)
    pools = [
        _pool(
            liking_ - _penalty(table, interest, cos, near_hidden, neg, config),
            quota,
            excluded,
            config,
        )
        for interest, cos, liking_, quota in zip(interests, cosines, likings, quotas, strict=True)
    ]
    liked_rows = np.concatenate([i.rows for i in interests])
    chosen: list[Hit] = []
    chosen_rows: set[int] = set()
    chosen_vecs: list[np.ndarray] = []
    spill = [(g, 0) for _ in range(k) for g in range(len(pools))]
    for group, _ in interleave(quotas, quotas) + spill:
        if len(chosen) >= k:
            break
        pick = _mmr_pick(engine, pools[group], chosen_rows, chosen_vecs, config.mmr_lambda)
        if pick is None:
            continue
        row, score = pick
        why = explain(engine, table, interests[group], row, liked_rows)
        chosen.append(hit_from_row(engine, row, score, why))
        chosen_rows.add(row)
        chosen_vecs.append(engine.embeddings[row])
    return chosen


def liking(
    table: tastes.FacetCodes, interest: Interest, cos: np.ndarray, config: PersonalConfig
) -> np.ndarray:
    """(N,) how well every piece fits one interest: its cosine ``cos`` to the interest's centre
    + facet_weight x taste bonus."""
    rel = cos.copy()
    if config.facet_weight:
        liked = scored(table, interest.shares, config)
        rel += config.facet_weight * tastes.bonus(table, liked, config.facet_power)
    return rel


def scored(table: tastes.FacetCodes, shares: list[np.ndarray], config: PersonalConfig) -> list:
    """``shares`` with the facets in ``config.ignored_facets`` emptied."""
    ignored = set(config.ignored_facets)
    return [
        np.zeros_like(s) if n in ignored else s for n, s in zip(table.names, shares, strict=True)
    ]


def _near_hidden(engine: Engine, neg: Negatives) -> np.ndarray | None:
    """(N,) max cosine of every piece to a hidden piece (None without any)."""
    if neg.empty:
        return None
    return (engine.embeddings @ neg.vectors.T).max(axis=1)


def _penalty(
    table: tastes.FacetCodes,
    interest: Interest,
    cos: np.ndarray,
    near_hidden: np.ndarray | None,
    neg: Negatives,
    config: PersonalConfig,
) -> np.ndarray | float:
    """(N,) what "not for me" takes off one interest's scores: hide_similarity x how much
    closer a piece is to a hidden piece than to the interest's centre (a piece as near the
    favourites as the rejected one is not punished for it), plus hide_facet_weight x facet
    values the hidden pieces share and the interest does not."""
    if near_hidden is None:
        return 0.0
    closer = np.clip(near_hidden - cos, 0, None)
    penalty = config.hide_similarity * closer
    if config.hide_facet_weight:
        against = tastes.negative_bonus(
            table, scored(table, neg.shares, config), interest.shares, config.facet_power
        )
        penalty += config.hide_facet_weight * against
    return penalty


def _pool(
    rel: np.ndarray, quota: int, excluded: np.ndarray, config: PersonalConfig
) -> list[tuple[int, float]]:
    """The best (row, relevance) pairs of one interest, best first."""
    if quota == 0:  # more interests than slots: the lightest ones sit this list out
        return []
    rel = np.where(excluded, -np.inf, rel)
    n = min(max(config.candidates_per_interest, config.candidates_per_slot * quota), len(rel))
    top = np.argpartition(-rel, n - 1)[:n]
    top = top[np.argsort(-rel[top], kind="stable")]
    return [(int(r), float(rel[r])) for r in top if np.isfinite(rel[r])]


def _mmr_pick(
    engine: Engine,
    pool: list[tuple[int, float]],
    chosen_rows: set[int],
    chosen_vecs: list[np.ndarray],
    lam: float,
) -> tuple[int, float] | None:
    """The pool entry maximising lam * relevance - (1 - lam) * max similarity to the chosen."""
    live = [c for c in pool if c[0] not in chosen_rows]
    if not live:
        return None
    rel = np.array([c[1] for c in live])
    if chosen_vecs:
        vecs = engine.embeddings[[c[0] for c in live]]
        redundancy = (vecs @ np.stack(chosen_vecs).T).max(axis=1)
    else:
        redundancy = np.zeros(len(live))
    return live[int(np.argmax(lam * rel - (1 - lam) * redundancy))]


def explain(
    engine: Engine,
    table: tastes.FacetCodes,
    interest: Interest,
    row: int,
    liked_rows: np.ndarray,
) -> str:
    """Why, in musical words ("reel in D major (Irish) like Toss the Feathers and 3 more you
    liked"): the facts the piece shares with the interest, its closest liked piece, and how
    many other liked pieces (of any interest) share those facts."""
    closest = int(np.argmax(interest.vectors @ engine.embeddings[row]))
    title = interest.titles[closest].rstrip(" .,;")  # no full stop mid-sentence
    facts = tastes.shared_facts(table, row, interest.shares)
    if not facts:
        own = tastes.describe({}, table.row_values(row))
        return f"{own}, close in melody and rhythm to {title}"
    same = tastes.has_facts(table, facts, liked_rows)
    others = int(same.sum()) - int(interest.rows[closest] in liked_rows[same])
    text = f"{tastes.describe(tastes.fact_words(table, facts), table.row_values(row))} like {title}"
    return text + (f" and {others} more you liked" if others else "")


def allocate(masses: Sequence[float] | np.ndarray, k: int) -> list[int]:
    """Split ``k`` slots in proportion to ``masses``: one each first (heaviest first, while
    slots last), the rest by largest remainder."""
    masses = np.asarray(masses, dtype=np.float64)
    quotas = np.zeros(len(masses), dtype=int)
    if len(masses) == 0 or k <= 0:
        return quotas.tolist()
    if masses.sum() <= 0:
        masses = np.ones(len(masses))
    quotas[np.argsort(-masses, kind="stable")[:k]] = 1  # every group gets a voice first
    left = k - int(quotas.sum())
    if left > 0:
        owed = np.clip(masses / masses.sum() * k - quotas, 0, None)  # slots still owed
        owed = (
            owed / owed.sum() * left if owed.sum() > 0 else np.full(len(masses), left / len(masses))
        )
        quotas += np.floor(owed).astype(int)
        for idx in np.argsort(-(owed - np.floor(owed)), kind="stable")[: k - int(quotas.sum())]:
            quotas[idx] += 1
    return quotas.tolist()


def interleave(sizes: Sequence[int], quotas: Sequence[int]) -> list[tuple[int, int]]:
    """(group, turn) pairs in smooth round-robin order: group g's j-th turn sits at
    (j + 0.5) / quota_g, so a 6:4 split reads A B A B A A B A B A, not A A A A A A B B B B."""
    turns = [
        ((j + 0.5) / quota, group, j)
        for group, (size, quota) in enumerate(zip(sizes, quotas, strict=True))
        for j in range(min(size, quota))
    ]
    return [(group, j) for _, group, j in sorted(turns)]


def hit_from_row(engine: Engine, row: int, score: float, why: str) -> Hit:
    values = {name: str(column[row]) for name, column in field_values(engine).items()}
    return Hit(**values, score=round(float(score), 4), why=why)


_FIELDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def field_values(engine: Engine) -> dict[str, np.ndarray]:
    """The Hit text fields of every row as arrays ("" where missing), built once per engine:
    reading ten catalog rows through pandas cost more than the whole ranking."""
    found = _FIELDS.get(engine)
    if found is None:
        catalog = engine.catalog
        found = {
            name: (
                catalog[name].fillna("").astype(str).to_numpy(dtype=object)
                if name in catalog
                else np.full(len(catalog), "", dtype=object)
            )
            for name in HIT_FIELDS[:7]
        }
        _FIELDS[engine] = found
    return found
