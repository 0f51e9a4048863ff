"""Tastes: the musical facts a listener's favourites share, and how well a piece matches them.

Decisions:

- **Facets are catalog columns** (``TASTE_FACETS``): form, genre, region, origin, meter, mode,
  key, collection. Columns a catalog lacks are skipped, so adding one is a one-line change.
- **Consistency, not presence.** For one interest (a cluster of liked pieces) each facet value
  gets its share of the interest's weight. A candidate earns ``share ** power`` per facet
  (``power`` 2: five lullabies out of five give 1 for "lullaby"; five favourites in five
  different keys give 0.04 for any key), averaged over the facets the interest has values for.
  Empty values ("" = unknown) never count.
- **"Not for me" is a facet signal too**: values the hidden pieces share, and the liked ones
  do not, pull a candidate down (``negative_bonus``).
- **One code table per engine** (``facet_codes``): each facet column becomes small integer
  codes once, so a whole-catalog score is a few gathers per facet (~0.1 ms for 15k pieces).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Catalog columns read as taste facets, in the order `why` names them.
TASTE_FACETS = (
    "form", "genre", "key", "meter", "mode", "tempo_text", "region", "origin", "collection",
)  # fmt: skip
# Facets that name the piece's kind; the first one with a shared value starts the `why`.
KIND_FACETS = ("genre", "form")
MIN_SHARED = 0.6  # a facet value is "shared" (named in `why`) when over half the interest has it


@dataclass(frozen=True)
class FacetCodes:
    """Integer codes of every taste facet for every catalog row."""

    names: tuple[str, ...]  # facet (column) names present in the catalog
    codes: np.ndarray  # (F, N) int32; 0 = empty value
    values: tuple[np.ndarray, ...]  # per facet: code -> value text ("" at 0)

    def row_values(self, row: int) -> dict[str, str]:
        return {name: str(self.values[f][self.codes[f, row]]) for f, name in enumerate(self.names)}


_CODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def facet_codes(engine: object, catalog: pd.DataFrame) -> FacetCodes:
    """The code table of ``engine``'s catalog (built once per engine)."""
    found = _CODES.get(engine)
    if found is None:
        found = build_codes(catalog)
        _CODES[engine] = found
    return found


def build_codes(catalog: pd.DataFrame, facets: Sequence[str] = TASTE_FACETS) -> FacetCodes:
    names = tuple(name for name in facets if name in catalog)
    codes = np.zeros((len(names), len(catalog)), dtype=np.int32)
    values = []
    for f, name in enumerate(names):
        text = catalog[name].fillna("").astype(str).str.strip().to_numpy()
        uniques, inverse = np.unique(text, return_inverse=True)
        if uniques[0] != "":  # code 0 is always "empty"
            uniques, inverse = np.concatenate([[""], uniques]), inverse + 1
        codes[f] = inverse
        values.append(uniques.astype(object))
    return FacetCodes(names, codes, tuple(values))


def shares(table: FacetCodes, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """Per facet: each value's share of the total weight of ``rows`` (empty values get 0)."""
    total = float(np.sum(weights))
    out = []
    for f in range(len(table.names)):
        share = np.bincount(table.codes[f, rows], weights, minlength=len(table.values[f]))
        share = share / total if total > 0 else share
        share[0] = 0.0
        out.append(share)
    return out


def bonus(table: FacetCodes, liked: list[np.ndarray], power: float) -> np.ndarray:
    """(N,) mean over facets of ``share ** power`` of each row's value; facets where no liked
    piece has a value are left out of the mean."""
    score = np.zeros(table.codes.shape[1], dtype=np.float32)
    used = 0
    for f, share in enumerate(liked):
        if share.sum() <= 0:
            continue
        score += (share**power).astype(np.float32)[table.codes[f]]
        used += 1
    return score / max(used, 1)


def negative_bonus(
    table: FacetCodes, hidden: list[np.ndarray], liked: list[np.ndarray], power: float
) -> np.ndarray:
    """(N,) like ``bonus`` for the hidden pieces, where the liked pieces do not share the value."""
    score = np.zeros(table.codes.shape[1], dtype=np.float32)
    for f, share in enumerate(hidden):
        against = np.clip(share**power - liked[f], 0.0, None)
        score += against.astype(np.float32)[table.codes[f]]
    return score / max(len(hidden), 1)


def one_hot(table: FacetCodes, rows: np.ndarray) -> np.ndarray:
    """(n, C) unit rows: facet values of ``rows`` as one-hot blocks (for clustering tastes)."""
    blocks = []
    for f in range(len(table.names)):
        codes = table.codes[f, rows]
        present = np.unique(codes[codes > 0])
        blocks.append((codes[:, None] == present[None, :]).astype(np.float32))
    if not blocks:
        return np.zeros((len(rows), 0), dtype=np.float32)
    x = np.concatenate(blocks, axis=1)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def shared_facts(table: FacetCodes, row: int, liked: list[np.ndarray]) -> list[tuple[str, str]]:
    """(facet, value) of ``row`` that at least ``MIN_SHARED`` of the interest also has."""
    facts = []
    for f, name in enumerate(table.names):
        code = table.codes[f, row]
        if code > 0 and liked[f][code] >= MIN_SHARED:
            facts.append((name, str(table.values[f][code])))
    return facts


def describe(facts: list[tuple[str, str]], fallback: dict[str, str]) -> str:
    """Musical words for shared facts, e.g. "6/8 jig in D major (Irish)"; with none shared,
    the piece's own kind, key and meter (``fallback``: facet -> value)."""
    found = dict(facts)
    if not any(found.get(f) for f in ("genre", "form", "key", "meter", "mode")):
        own = describe_piece(fallback)  # names its own region already
        if found.get("collection") and not (found.get("region") or found.get("origin")):
            return f"{own}, from {found['collection']}"
        return own
    return describe_piece(found)


def describe_piece(values: dict[str, str]) -> str:
    """ "[meter] [kind or 'piece'] in [key | mode] ([region])" from facet -> value."""
    kind = next((values[f] for f in KIND_FACETS if values.get(f)), "piece")
    words = [values["meter"]] if values.get("meter") else []
    words.append(kind)
    if values.get("key"):
        words.append(f"in {values['key']}")
    elif values.get("mode"):
        words.insert(0, values["mode"])
    region = values.get("region") or values.get("origin")
    if region:
        words.append(f"({region})")
    return " ".join(words)
