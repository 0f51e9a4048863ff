"""Tastes: the musical facts a listener's favourites share, and how well a piece matches them.

Decisions:

- **Facets are catalog columns** (``TASTE_FACETS``): form, genre, key, meter, mode, tempo
  word, region, origin, collection, and ``scale``: the church mode heard in the notes
  (``recommender.scales``: a Mixolydian tune the catalog calls "D major" is still modal).
  Columns a catalog lacks are skipped, so adding one is a one-line change.
- **Some facets hold several values.** ``genre`` lists genres, main first ("children's song,
  lullaby"): each is a value. ``region`` runs general to specific ("China, Shaanxi, Zizhou"):
  every prefix is a value, so five songs from five Shaanxi villages share "China, Shaanxi".
- **Consistency, not presence.** For one interest (a cluster of liked pieces) each facet value
  gets its share of the interest's weight. A candidate earns ``share ** power`` for its best
  value of each facet (``power`` 2: five lullabies out of five give 1 for "lullaby"; five
  favourites in five different keys give 0.04 for any key). Empty values never count.
- **Telling facts weigh more.** Each value's earning is multiplied by how rare it is in the
  catalog (``info``: ``log(N / pieces with it) / log(N)``): five German lullabies share
  "German" (40% of the catalog, info 0.1) and "lullaby" (64 pieces, info 0.5), and it is the
  lullaby that tells them apart from the German songs around them. The bonus is the sum over
  facets divided by what a piece with all the interest's best values would earn (0..1).
- **"Not for me" is a facet signal too**: values the hidden pieces share, and the liked ones
  do not, pull a candidate down (``negative_bonus``).
- **One code table per engine** (``facet_codes``): each facet becomes small integer codes
  once, at most ``MAX_VALUES`` per piece, so a whole-catalog score is a few gathers per facet.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Catalog columns read as taste facets, in the order `why` names them.
TASTE_FACETS = (
    "form", "genre", "key", "meter", "mode", "scale", "tempo_text", "region", "origin",
    "collection",
)  # fmt: skip
# Facets that name the piece's kind; the first one with a shared value starts the `why`.
KIND_FACETS = ("genre", "form")
MIN_SHARED = 0.6  # a facet value is "shared" (named in `why`) when over half the interest has it
MAX_VALUES = 6  # most values one piece keeps per facet (genre lists, region depth)


def _genres(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _region_prefixes(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return [", ".join(parts[: i + 1]) for i in range(len(parts))]


# Facets whose text splits into several values (see the module docstring).
SPLITTERS: dict[str, Callable[[str], list[str]]] = {
    "genre": _genres,
    "region": _region_prefixes,
    "scale": _genres,  # "dorian, modal"
}


@dataclass(frozen=True)
class FacetCodes:
    """Integer codes of every taste facet for every catalog row."""

    names: tuple[str, ...]  # facet (column) names present in the catalog
    codes: tuple[np.ndarray, ...]  # per facet: (L, N) int32 value codes; 0 = no value
    values: tuple[np.ndarray, ...]  # per facet: code -> value text ("" at 0)
    info: tuple[np.ndarray, ...]  # per facet: code -> log(N / count) / log(N) (0 at 0)

    def row_codes(self, f: int, row: int) -> np.ndarray:
        column = self.codes[f][:, row]
        return column[column > 0]

    def row_values(self, row: int) -> dict[str, str]:
        """Facet -> the row's main value (genre: the first; region: the most specific)."""
        found = {}
        for f, name in enumerate(self.names):
            codes = self.row_codes(f, row)
            pick = codes[-1] if name == "region" and len(codes) else (codes[0] if len(codes) else 0)
            found[name] = str(self.values[f][pick])
        return found


_CODES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def facet_codes(engine: object, catalog: pd.DataFrame) -> FacetCodes:
    """The code table of ``engine``'s catalog (built once per engine)."""
    found = _CODES.get(engine)
    if found is None:
        found = build_codes(with_scale(engine, catalog))
        _CODES[engine] = found
    return found


def with_scale(engine: object, catalog: pd.DataFrame) -> pd.DataFrame:
    """The facet columns plus ``scale`` (church modes heard in the notes,
    ``recommender.scales``) when the engine knows its pieces' music tokens."""
    music_tokens = getattr(engine, "music_tokens", None)
    if "scale" in catalog or music_tokens is None or not {"tonic", "mode"} <= set(catalog):
        return catalog
    from recommender.scales import scale_column

    column = scale_column(
        catalog["id"].astype(str).tolist(),
        catalog["tonic"].fillna("").astype(str).tolist(),
        catalog["mode"].fillna("").astype(str).tolist(),
        music_tokens,
    )
    if column is None:
        return catalog
    present = [name for name in TASTE_FACETS if name in catalog]
    return catalog[present].assign(scale=column)


def build_codes(catalog: pd.DataFrame, facets: Sequence[str] = TASTE_FACETS) -> FacetCodes:
    names = tuple(name for name in facets if name in catalog)
    codes, values, info = [], [], []
    for name in names:
        text = catalog[name].fillna("").astype(str).str.strip().to_numpy()
        distinct, inverse = np.unique(text, return_inverse=True)  # split each text once
        split = SPLITTERS.get(name, lambda t: [t] if t else [])
        lists = [split(t)[:MAX_VALUES] for t in distinct]
        uniques = np.array(["", *sorted({v for parts in lists for v in parts})], dtype=object)
        index = {v: i for i, v in enumerate(uniques)}
        width = max((len(parts) for parts in lists), default=0) or 1
        per_text = np.zeros((width, len(distinct)), dtype=np.int32)
        for column, parts in enumerate(lists):
            per_text[: len(parts), column] = [index[v] for v in parts]
        table = per_text[:, inverse]  # (L, N)
        codes.append(table)
        values.append(uniques)
        info.append(_info(table, len(uniques), len(text)))
    return FacetCodes(names, tuple(codes), tuple(values), tuple(info))


def _info(table: np.ndarray, n_values: int, n_rows: int) -> np.ndarray:
    """Per code: log(N / pieces with it) / log(N), in 0..1 (rare values tell more)."""
    counts = np.bincount(table.ravel(), minlength=n_values).astype(np.float64)
    info = np.log(n_rows / np.maximum(counts, 1)) / np.log(max(n_rows, 2))
    info[0] = 0.0
    return np.clip(info, 0.0, 1.0).astype(np.float32)


def shares(table: FacetCodes, rows: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """Per facet: the share of the total weight of ``rows`` that has each value (a piece with
    several values counts for each; empty values get 0)."""
    total = float(np.sum(weights))
    rows = np.asarray(rows, dtype=int)
    out = []
    for f, codes in enumerate(table.codes):
        picked = codes[:, rows]  # (L, n)
        share = np.bincount(
            picked.ravel(),
            np.broadcast_to(weights, picked.shape).ravel(),
            minlength=len(table.values[f]),
        )
        share = share / total if total > 0 else share
        share[0] = 0.0
        out.append(np.minimum(share, 1.0))
    return out


def _best(codes: np.ndarray, per_value: np.ndarray) -> np.ndarray:
    """(N,) the best of ``per_value`` over each row's values."""
    return per_value.astype(np.float32)[codes].max(axis=0)


def bonus(table: FacetCodes, liked: list[np.ndarray], power: float) -> np.ndarray:
    """(N,) per row: the sum over facets of ``share ** power x info`` of its best value, over
    the most any row could earn (0..1; 0 when the liked pieces share nothing)."""
    return _earned(table, [share**power for share in liked])


def negative_bonus(
    table: FacetCodes, hidden: list[np.ndarray], liked: list[np.ndarray], power: float
) -> np.ndarray:
    """(N,) like ``bonus`` for the hidden pieces, where the liked pieces do not share the value."""
    return _earned(
        table, [np.clip(h**power - s, 0.0, None) for h, s in zip(hidden, liked, strict=True)]
    )


def _earned(table: FacetCodes, per_value: list[np.ndarray]) -> np.ndarray:
    score = np.zeros(table.codes[0].shape[1] if table.codes else 0, dtype=np.float32)
    best_total = 0.0
    for f, values in enumerate(per_value):
        weighted = values * table.info[f]
        top = float(weighted.max()) if len(weighted) else 0.0
        if top <= 0:
            continue
        score += _best(table.codes[f], weighted)
        best_total += top
    return score / best_total if best_total > 0 else score


def one_hot(table: FacetCodes, rows: np.ndarray) -> np.ndarray:
    """(n, C) unit rows: facet values of ``rows`` as one-hot blocks (for clustering tastes)."""
    blocks = []
    for codes in table.codes:
        picked = codes[:, rows]  # (L, n)
        present = np.unique(picked[picked > 0])
        blocks.append((picked[:, :, None] == present[None, None, :]).any(axis=0).astype(np.float32))
    if not blocks:
        return np.zeros((len(rows), 0), dtype=np.float32)
    x = np.concatenate(blocks, axis=1)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def shared_facts(table: FacetCodes, row: int, liked: list[np.ndarray]) -> list[tuple[str, int]]:
    """(facet, code) of ``row``'s values that at least ``MIN_SHARED`` of the interest has; per
    facet the main genre / the most specific region."""
    facts = []
    for f, name in enumerate(table.names):
        codes = [c for c in table.row_codes(f, row) if liked[f][c] >= MIN_SHARED]
        if codes:
            facts.append((name, int(codes[-1] if name == "region" else codes[0])))
    return facts


def has_facts(table: FacetCodes, facts: list[tuple[str, int]], rows: np.ndarray) -> np.ndarray:
    """(len(rows),) True where a row has every (facet, code) of ``facts``."""
    keep = np.ones(len(rows), dtype=bool)
    for name, code in facts:
        keep &= (table.codes[table.names.index(name)][:, rows] == code).any(axis=0)
    return keep


def fact_words(table: FacetCodes, facts: list[tuple[str, int]]) -> dict[str, str]:
    return {name: str(table.values[table.names.index(name)][code]) for name, code in facts}


def describe(found: dict[str, str], fallback: dict[str, str]) -> str:
    """Musical words for shared facts (facet -> value), e.g. "6/8 jig in D major (Irish)";
    with no musical fact shared, the piece's own kind, key and meter (``fallback``)."""
    if not any(found.get(f) for f in ("genre", "form", "key", "meter", "mode", "scale")):
        own = describe_piece(fallback)  # names its own region already
        if found.get("collection") and not (found.get("region") or found.get("origin")):
            return f"{own}, from {found['collection']}"
        return own
    return describe_piece(found)


def describe_piece(values: dict[str, str]) -> str:
    """ "[meter] [church mode] [kind or 'piece'] in [key | mode] ([region])" from facet ->
    value."""
    kind = next((values[f] for f in KIND_FACETS if values.get(f)), "piece")
    words = [values["meter"]] if values.get("meter") else []
    scale = values.get("scale", "")
    if scale and scale not in values.get("key", ""):  # "dorian jig", not "A dorian (dorian)"
        words.append(scale)
    words.append(kind)
    if values.get("key"):
        words.append(f"in {values['key']}")
    elif values.get("mode"):
        words.insert(0, values["mode"])
    region = values.get("region") or values.get("origin")
    if region:
        words.append(f"({region})")
    return " ".join(words)
