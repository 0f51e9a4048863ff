"""How search mixes its channels, and how `why` names the words that matched.

score = (dense + w_f · share of the query's facets + w_l · BM25 / best BM25
         + w_n · share of the query's needs) / (sum of weights)

*dense* is the hybrid cosine (``recommender.engine``), the facet share comes from
``recommender.facets`` and BM25 from ``recommender.lexical``. A weight counts in the
denominator only when its channel has something to say (the query names facets / words the
catalog knows), so scores stay on the cosine scale the weak-match threshold reads.

The needs are the query's facets and its words that name something (not a mood word, which a
facet reads, nor a one-letter token), counted alike: "a German lullaby" needs the lullaby form,
"german" and "lullaby", so a German lullaby (3 of 3) outranks a Yunnan one (2 of 3) whatever
the idf of "german". Only a query with two needs or more has this channel.
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
    needs: tuple[np.ndarray | None, float] = (None, 0.0),
) -> np.ndarray:
    """Fused scores of the same rows: ``dense`` (R,), facet masks and lexical scores already
    restricted to those rows; ``weights`` = (sum of dense weights, w_facets, w_lexical);
    ``needs`` = (share of the query's needs each row meets, or None; w_needs)."""
    dense_weight, w_facets, w_lexical = weights
    share, w_needs = needs
    scores = dense.astype(np.float64, copy=True)
    total = dense_weight
    if len(facets):
        scores += w_facets * np.mean(facets, axis=0)
        total += w_facets
    if lexical is not None:
        scores += w_lexical * lexical
        total += w_lexical
    if share is not None and w_needs > 0:
        scores += w_needs * share
        total += w_needs
    return scores / total


def needs_share(facets: Sequence[np.ndarray], has_terms: np.ndarray | None) -> np.ndarray | None:
    """Share of the query's needs (facet masks, (N, T) word indicators) each row meets;
    None under two needs (see module doc)."""
    columns = [np.asarray(f, np.float64) for f in facets]
    if has_terms is not None:
        columns += list(has_terms.T)
    return np.mean(columns, axis=0) if len(columns) >= 2 else None


def need_words(terms: Sequence[str]) -> list[str]:
    """The query terms that count as needs: not a mood word (a facet reads those: "sad" is a
    minor key, not the word "sad"), not one letter (the "s" of "soldier's")."""
    from recommender.facets import mood_words

    moods = mood_words()
    return [t for t in terms if len(t) > 1 and t not in moods]


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
