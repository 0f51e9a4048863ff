"""How search mixes its three channels, and how `why` names the words that matched.

score = (dense + w_f · share of the query's facets + w_l · BM25 / best BM25) / (sum of weights)

*dense* is the hybrid cosine (``recommender.engine``), the facet share comes from
``recommender.facets`` and BM25 from ``recommender.lexical``. A weight counts in the
denominator only when its channel has something to say (the query names facets / words the
catalog knows), so scores stay on the cosine scale the weak-match threshold reads.
"""

from __future__ import annotations

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
    dense_weight, w_facets, w_lexical = weights
    scores = dense.astype(np.float64, copy=True)
    total = dense_weight
    if len(facets):
        scores += w_facets * np.mean(facets, axis=0)
        total += w_facets
    if lexical is not None:
        scores += w_lexical * lexical
        total += w_lexical
    return scores / total


def _title_parts(record: dict[str, Any], found: Sequence[str], shown: set[str]) -> list[str]:
    """ "title: Minuet" for words the title has; "title: Regt. = regimental" for a word only
    its English name (``cantus.metadata.title_english``) has: `why` quotes the title itself."""
    from cantus.metadata import title_english_spans
    from recommender.lexical import tokens

    title = set(tokens(str(record.get("title") or "")))
    own = [w for w in found if set(tokens(w)) & title]
    parts = [f"title: {' '.join(own)}"] if own and not set(tokens(" ".join(own))) <= shown else []
    other = set(tokens(" ".join(w for w in found if w not in own)))
    for span, english in title_english_spans(str(record.get("title") or "")):
        named = [w for w in english.split() if set(tokens(w)) & other]
        if named:  # a hymn's English name whole, else the synonyms that matched
            parts.append(f"title: {span} = {english if english[:1].isupper() else ' '.join(named)}")
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
    return part[np.lexsort((part, -scores[part]))]


def matched_words(
    record: dict[str, Any], matches: Sequence[tuple[str, list[str]]], summary: str = ""
) -> str:
    """ "title: Minuet; genre: Wiegen - Lied = lullaby" from ``LexicalIndex.matches`` (words as
    the source spells them); words the ``summary`` (the rest of `why`) already shows are not
    repeated, except a source label translated into English."""
    from cantus.chorale_seasons import chorale_seasons, feast_name
    from cantus.metadata import label_themes
    from recommender.lexical import FEAST, tokens

    shown = set(tokens(summary))
    parts = []
    for label, found in matches:
        genre = str(record.get("genre") or "")
        original = str(record.get("genre_original") or "")
        if label == "genre" and genre and original and original.casefold() != genre.casefold():
            english = ", ".join([genre, *label_themes(original)])
            parts.append(f"genre: {original} = {english}")
        elif label == "title":
            parts += _title_parts(record, found, shown)
        elif label == FEAST:  # the feast the title's hymn is sung at, by its name
            words = set(tokens(" ".join(found)))
            seasons = chorale_seasons(str(record.get("title") or ""))
            feasts = [feast_name(s) for s in seasons if words & set(tokens(s))]
            parts.append(f"feast: {', '.join(dict.fromkeys(feasts))}")
        elif label not in ("meter", "key") and not set(tokens(" ".join(found))) <= shown:
            parts.append(f"{label}: {' '.join(found)}")
    return "; ".join(parts)
