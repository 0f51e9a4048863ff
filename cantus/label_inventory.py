"""How many of Essen's genre-label words (``R:``) and places (``O:``) the English tables of
``cantus.label_words`` cover, counted in pieces: the inventory (``docs/label_inventory.json``)
lets the tables be checked for coverage rather than grown one complaint at a time. Run
``python -m cantus.label_inventory OUT.json`` to rewrite it from the corpus;
``python -m cantus.label_inventory --chinese`` prints the coverage of the Chinese labels.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from cantus.label_words import THEME_WORDS, label_words
from cantus.metadata import abc_fields, genres_of, label_themes
from cantus.place_words import DROPPED_PLACES, PLACE_WORDS, PLACES_AS_WRITTEN, place_words

MIN_PIECES = 3  # words in fewer pieces are listed, not required to be mapped


def inventory(labels: Iterable[str], split: Callable[[str], list[str]]) -> Counter[str]:
    """Pieces per word (a word counts once per piece)."""
    counts: Counter[str] = Counter()
    for label in labels:
        counts.update(set(split(label)))
    return counts


def coverage(
    labels: Iterable[str], split: Callable[[str], list[str]], covered: Callable[[str], bool]
) -> tuple[int, int]:
    """(pieces whose every word is ``covered``, pieces with at least one word)."""
    full = total = 0
    for label in labels:
        words = split(label)
        if words:
            total += 1
            full += all(covered(w) for w in words)
    return full, total


def label_word_covered(word: str) -> bool:
    """A label word has English: a genre word or a theme word (pinyin read by its parts)."""
    return bool(genres_of(word)) or word in THEME_WORDS or bool(label_themes(word))


def place_covered(place: str) -> bool:
    """A place has English: translated, written the same in English, or a continent (dropped)."""
    key = place.casefold()
    return key in PLACE_WORDS or key in PLACES_AS_WRITTEN or key in DROPPED_PLACES


def top_places(origin: str) -> list[str]:
    """The country and province of an ``O:`` field (the first two places below continents)."""
    return [p for p in place_words(origin) if p.casefold() not in DROPPED_PLACES][:2]


def report(tunes: Iterable[str]) -> dict[str, object]:
    """Inventory and coverage of the labels and places of ABC ``tunes``."""
    labels, origins = [], []
    for tune in tunes:
        fields = abc_fields(tune)
        labels.append("; ".join(fields.get("R", [])))
        origins.append("; ".join(fields.get("O", [])))
    words, places = inventory(labels, label_words), inventory(origins, place_words)

    def share(found: tuple[int, int]) -> dict[str, float | int]:
        return {
            "covered": found[0],
            "pieces": found[1],
            "share": round(found[0] / max(found[1], 1), 4),
        }

    return {
        "coverage": {
            "labels": share(coverage(labels, label_words, label_word_covered)),
            "places_country_province": share(coverage(origins, top_places, place_covered)),
            "places_all_levels": share(coverage(origins, place_words, place_covered)),
        },
        "unmapped_label_words": {
            w: n for w, n in words.most_common() if n >= MIN_PIECES and not label_word_covered(w)
        },
        "label_words": dict(words.most_common()),
        "places": dict(places.most_common()),
    }


def chinese_report(tunes: Iterable[str]) -> dict[str, object]:
    """Coverage of the labels of Essen's Chinese songs (``O:`` in China or Taiwan): distinct
    label phrases (``label_words``) with English, and pieces with a genre word and with English
    for every phrase; the phrases still without English, most pieces first."""
    labels = []
    for tune in tunes:
        fields = abc_fields(tune)
        origin = place_words("; ".join(fields.get("O", [])))
        if any(p.casefold() in ("china", "taiwan") for p in origin):
            labels.append("; ".join(fields.get("R", [])))
    phrases = inventory(labels, label_words)
    covered = [p for p in phrases if label_word_covered(p)]
    full, total = coverage(labels, label_words, label_word_covered)
    return {
        "pieces": len(labels),
        "phrases": len(phrases),
        "phrases_with_english": len(covered),
        "pieces_with_genre": sum(bool(genres_of(label)) for label in labels),
        "pieces_every_phrase_english": full,
        "pieces_with_a_label": total,
        "phrases_without_english": {
            p: n for p, n in phrases.most_common() if not label_word_covered(p)
        },
    }


def essen_tunes() -> list[str]:
    """Every tune of music21's Essen folksong files, as ingest numbers them."""
    from cantus.catalog_metadata import abc_tunes
    from cantus.works import corpus_root

    files = sorted((corpus_root() / "essenFolksong").glob("*.abc"))
    return [tune for path in files for tune in abc_tunes(path).values()]


if __name__ == "__main__" and sys.argv[1:] == ["--chinese"]:
    found = chinese_report(essen_tunes())
    missing = found.pop("phrases_without_english")
    print(json.dumps(found))
    print(
        "without English (pieces):",
        json.dumps(dict(list(missing.items())[:40]), ensure_ascii=False),
    )
elif __name__ == "__main__":
    result = report(essen_tunes())
    for key in ("label_words", "places"):  # the file lists words of two pieces or more
        counts = result[key]
        result[key] = {w: n for w, n in counts.items() if n >= 2}
        result[f"{key}_in_one_piece"] = sum(n == 1 for n in counts.values())
    Path(sys.argv[1]).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(json.dumps(result["coverage"]))
