"""How search mixes its three channels, and how `why` names the words that matched.

score = (dense + w_f · share of the query's facets + w_l · BM25 / best BM25) / (sum of weights)

*dense* is the hybrid cosine (``recommender.engine``), the facet share comes from
``recommender.facets`` and BM25 from ``recommender.lexical``. A weight counts in the
denominator only when its channel has something to say (the query names facets / words the
catalog knows), so scores stay on the cosine scale the weak-match threshold reads. w_l is
``SearchConfig.lexical_weight``: ``w_lexical`` for a query that names a mood, pace, meter or
key, the larger ``w_lexical_alone`` for one that names none or forms only (its words are then
the only evidence besides the dense guess; a form's name is a word the channel reads too).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np


def fuse(
    dense: np.ndarray,
    facets: Sequence[np.ndarray],
    lexical: np.ndarray | None,
    weights: tuple[float, float, float],
) -> np.ndarray:
    """Fused scores of the same rows: ``dense`` (R,), facet masks and lexical scores already
    restricted to those rows; ``weights`` = (sum of dense weights, w_facets, w_lexical)."""
    _, w_facets, w_lexical = weights
    scores = dense.astype(np.float64, copy=True)
    if len(facets):
        scores += w_facets * np.mean(facets, axis=0)
    if lexical is not None:
        scores += w_lexical * lexical
    return scores / fused_weight(weights, bool(len(facets)), lexical is not None)


def fused_weight(weights: tuple[float, float, float], facets: bool, lexical: bool) -> float:
    """What ``fuse`` divides by: the dense weights, plus each channel's that has something to
    say (``facets``: the query names facets; ``lexical``: words the catalog knows)."""
    dense_weight, w_facets, w_lexical = weights
    total = dense_weight
    if facets:
        total += w_facets
    if lexical:
        total += w_lexical
    return total


def _title_parts(record: dict[str, Any], found: Sequence[str], shown: frozenset[str]) -> list[str]:
    """ "title: Minuet" for words the title has; "title: Regt. = regimental" for a word only
    its English name (``cantus.metadata.title_english``) has: `why` quotes the title itself."""
    from cantus.metadata import title_english_spans
    from recommender.lexical import tokens

    title = set(tokens(str(record.get("title") or "")))
    own = [w for w in found if set(tokens(w)) & title]
    other = set(tokens(" ".join(w for w in found if w not in own)))
    parts, spanned = [], set()
    for span, english in title_english_spans(str(record.get("title") or "")):
        named = [w for w in english.split() if set(tokens(w)) & other]
        stems = {w: tuple(tokens(w)) for w in named}  # one word per stem: "regiment(al)"
        named = [w for w in named if w == max((v for v in named if stems[v] == stems[w]), key=len)]
        if named:  # a hymn's English name whole, else the synonyms that matched
            parts.append(f"title: {span} = {english if english[:1].isupper() else ' '.join(named)}")
            spanned |= set(tokens(span))
    own = [w for w in own if not set(tokens(w)) <= spanned]  # said once, with its English
    if own and not set(tokens(" ".join(own))) <= shown:
        parts.insert(0, f"title: {' '.join(own)}")
    return parts


def top_rows(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Indices of the ``k`` best scores (best first; ties in row order), within ``allowed``."""
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
        k = min(k, int(allowed.sum()))
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    # a score tied with the k-th may lie outside the partition (which one argpartition keeps
    # depends on the array's length): take every tie, so ties go by row whatever rows are given
    part = np.union1d(part, np.flatnonzero(scores == scores[part].min()))
    return part[np.lexsort((part, -scores[part]))][:k]


def matched_words(
    record: dict[str, Any], matches: Sequence[tuple[str, list[str]]], summary: str = ""
) -> str:
    """ "title: Minuet; genre: Wiegen - Lied = lullaby" from ``LexicalIndex.matches`` (words as
    the source spells them); words the ``summary`` (the rest of `why`) already shows are not
    repeated, except a source label translated into English."""
    from cantus.chorale_seasons import chorale_seasons, feast_name
    from recommender.lexical import FEAST, tokens

    shown = _tokens_of(summary)
    parts = []
    for label, found in matches:
        genre = str(record.get("genre") or "")
        original = str(record.get("genre_original") or "")
        if label == "genre" and genre and original and original.casefold() != genre.casefold():
            parts.append(f"genre: {original} = {_in_english(genre, original)}")
        elif label == "title":
            parts += _title_parts(record, found, shown)
        elif label == FEAST:  # the feast the title's hymn is sung at, by its name
            # "chorale" / "hymn" of the field's text are not a feast asked for
            words = set(tokens(" ".join(found))) - _tokens_of("chorale hymn")
            seasons = chorale_seasons(str(record.get("title") or ""))
            feasts = [feast_name(s) for s in seasons if words & set(tokens(s))]
            for name in dict.fromkeys(feasts):  # "funeral" is an occasion, not a feast
                parts.append(f"{'feast' if name[:1].isupper() else 'occasion'}: {name}")
        elif label not in ("meter", "key") and not _tokens_of(" ".join(found)) <= shown:
            parts.append(f"{label}: {' '.join(found)}")
    return "; ".join(parts)


# a shown row's `why` and genre label come back query after query: each is read once
@functools.lru_cache(maxsize=4096)
def _tokens_of(text: str) -> frozenset[str]:
    from recommender.lexical import tokens

    return frozenset(tokens(text))


@functools.lru_cache(maxsize=4096)
def _in_english(genre: str, original: str) -> str:
    from cantus.metadata import label_themes

    # each theme by its first English name: the rest are search synonyms, not a translation
    return ", ".join([genre, *(theme.split(",")[0] for theme in label_themes(original))])
