"""The taste judge of ``cantus eval recommendation``: tastes read from the sources themselves.

A judge that shares the ranker's facets measures agreement, not quality, so nothing here reads
the catalog's derived columns (form, origin, genre, region, mode, ...). Each taste is a rule
over what the source files say: the ABC header fields written by the editors of the Essen,
O'Neill, Ryan and Aird collections (``R:`` rhythm or genre, ``O:`` origin, ``M:`` meter,
``K:`` key with its mode, ``N:`` notes such as "Slow") and music21's corpus paths (``bach/bwv``
chorales, ``palestrina/`` masses). The catalog only supplies each piece's source path and work
number, which is how a piece is found in its file.

Tastes are split once into **tune** (constants of the recommender are swept on these) and
**test** (the reported numbers); two-taste listeners pair tastes of the same split.

Caveat: since the catalog carries the sources' own labels (``genre`` from ``R:``, ``region``
from ``O:``), judge and ranker read the same fields through different code; a taste defined by
an ``R:`` label measures whether the ranker follows labelled tastes, not musical similarity.
Tastes that no catalog column names directly (slow airs in 3/4 from ``M:`` + tempo notes,
Dorian/Mixolydian from ``K:``) are the harder, less circular ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

Header = dict[str, str]  # ABC field letter -> its lines joined by " | " ("" when absent)
Rule = Callable[[str, Header], bool]  # (corpus path, header) -> inside the taste


@dataclass(frozen=True)
class Taste:
    name: str
    split: str  # "tune" | "test"
    rule: Rule


def _field(header: Header, letter: str) -> str:
    return header.get(letter, "").lower()


def _rhythm(*words: str, exclude: tuple[str, ...] = ()) -> Rule:
    """``R:`` names one of ``words`` (and none of ``exclude``)."""

    def rule(path: str, header: Header) -> bool:
        text = _field(header, "R")
        return any(w in text for w in words) and not any(w in text for w in exclude)

    return rule


def _origin(prefix: str) -> Rule:
    return lambda path, header: _field(header, "O").startswith(prefix.lower())


def _path(*prefixes: str) -> Rule:
    return lambda path, header: path.lower().startswith(tuple(p.lower() for p in prefixes))


def _key_mode(*modes: str) -> Rule:
    """``K:`` spells one of ``modes`` ("Ador", "E Dorian", "Dmix" ...)."""
    pattern = re.compile(r"^\s*[a-g][#b]?\s*(" + "|".join(modes) + ")", re.IGNORECASE)
    return lambda path, header: bool(pattern.match(header.get("K", "")))


# The editor calls a tune slow or an air: slow, plaintive, lament, andante, adagio, larghetto
# (and -ly, -s forms), air(s). Whole words: "air" must not match "Fair" or "Aird's".
_SLOW = re.compile(r"\b(?:slow|plaintive|lament|andante|adagio|larghetto)\w*|\bairs?\b")
_MARCH = re.compile(r"\bmarch")
DANCE_BOOKS = ("oneills1850/", "ryansmammoth/", "airdsairs/")


def _jig(path: str, header: Header) -> bool:
    """``R:`` says jig (not slip jig); or, in the dance-tune books where many tunes carry no
    ``R:``, a 6/8 tune the editor calls neither slow, an air nor a march."""
    rhythm = _field(header, "R")
    if rhythm:
        return "jig" in rhythm and "slip" not in rhythm
    said = " ".join(_field(header, f) for f in ("N", "T", "Q"))
    quiet = not (_SLOW.search(said) or _MARCH.search(said))
    return path.lower().startswith(DANCE_BOOKS) and _field(header, "M").strip() == "6/8" and quiet


def _slow_air_in_3_4(path: str, header: Header) -> bool:
    """In 3/4, and the editor calls it slow or an air (tempo note, rhythm or title)."""
    said = " ".join(_field(header, f) for f in ("N", "R", "T", "Q"))
    return _field(header, "M").strip() == "3/4" and bool(_SLOW.search(said))


def _slow_air_not_in_3_4(path: str, header: Header) -> bool:
    """A dance-book tune in 2/4, 4/4 or 6/8 that the editor calls slow or an air."""
    said = " ".join(_field(header, f) for f in ("N", "R", "T", "Q"))
    meter = _field(header, "M").strip()
    duple = meter in ("c", "c|", "2/2", "2/4", "4/4", "6/8")
    return path.lower().startswith(DANCE_BOOKS) and duple and bool(_SLOW.search(said))


_MINOR_KEY = re.compile(r"^\s*[a-g][#b]?\s*(m|min|minor|aeo\w*)\b", re.IGNORECASE)


def _minor_dance_tune(path: str, header: Header) -> bool:
    """A dance-book tune whose ``K:`` names a minor (Aeolian) key: "Em", "A minor"."""
    return path.lower().startswith(DANCE_BOOKS) and bool(_MINOR_KEY.match(header.get("K", "")))


TASTES: tuple[Taste, ...] = (
    Taste("reels", "tune", _rhythm("reel")),
    Taste("hornpipes", "tune", _rhythm("hornpipe")),
    Taste("German children's songs", "tune", _rhythm("kinder")),
    Taste("Bach chorales", "tune", _path("bach/bwv")),
    Taste("Luxembourg songs", "tune", _origin("Luxemburg")),
    Taste("songs from Lorraine", "tune", _origin("Lothringen")),
    # tune-split kin of the test's slow airs and church modes: tastes no catalog column names
    Taste("slow airs in 2/4, 4/4 or 6/8", "tune", _slow_air_not_in_3_4),
    Taste("minor-key dance tunes", "tune", _minor_dance_tune),
    Taste("jigs", "test", _jig),
    Taste("Chinese folk songs", "test", _origin("China")),
    Taste("slow airs in 3/4", "test", _slow_air_in_3_4),
    Taste("lullabies", "test", _rhythm("wiegen")),
    Taste("Renaissance sacred music", "test", _path("palestrina/", "josquin/")),
    Taste("German love songs", "test", _rhythm("liebes")),
    Taste("Dorian and Mixolydian tunes", "test", _key_mode("dor", "mix")),
    Taste("ballads", "test", _rhythm("ballade")),
)
# Two-taste listeners: pairs inside one split, chosen to be musically far apart.
PAIRS: tuple[tuple[str, str], ...] = (
    ("reels", "Bach chorales"),
    ("German children's songs", "hornpipes"),
    ("Luxembourg songs", "reels"),
    ("slow airs in 2/4, 4/4 or 6/8", "songs from Lorraine"),
    ("minor-key dance tunes", "German children's songs"),
    ("jigs", "Chinese folk songs"),
    ("slow airs in 3/4", "Renaissance sacred music"),
    ("lullabies", "Dorian and Mixolydian tunes"),
    ("German love songs", "Chinese folk songs"),
    ("ballads", "jigs"),
)


# ---------------------------------------------------------------------------------------------
# Reading the sources


def corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def work_number(text: str) -> str:
    """``X:`` numbers as the catalog writes them: Aird's "0001" is work "1"."""
    text = text.strip()
    return str(int(text)) if text.isdigit() else text


def abc_headers(path: Path) -> dict[str, Header]:
    """Work number (``X:``, leading zeros dropped) -> header fields of every tune in a file."""
    tunes: dict[str, Header] = {}
    current: Header | None = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"^([A-Za-z]):\s?(.*)$", line)
        if match is None:
            continue
        letter, value = match.group(1), match.group(2).strip()
        if letter == "X":
            current = {}
            tunes[work_number(value)] = current
        elif current is not None and letter.isupper():
            current[letter] = f"{current[letter]} | {value}" if letter in current else value
    return tunes


def source_headers(catalog: pd.DataFrame, root: Path | None = None) -> list[Header]:
    """The header of each catalog row's work, read from its source file ({} when not ABC)."""
    root = root or corpus_root()
    files: dict[str, dict[str, Header]] = {}
    headers = []
    for source, number in zip(
        catalog["source"].astype(str), catalog["number"].fillna("").astype(str), strict=True
    ):
        if source not in files:
            path = root / source
            files[source] = abc_headers(path) if path.suffix == ".abc" and path.is_file() else {}
        tunes = files[source]
        header = tunes.get(work_number(number)) if number else next(iter(tunes.values()), None)
        headers.append(header or {})
    return headers


def taste_masks(
    catalog: pd.DataFrame, tastes: Iterable[Taste] = TASTES, root: Path | None = None
) -> dict[str, np.ndarray]:
    """(N,) bool per taste: which catalog rows the sources put inside it."""
    headers = source_headers(catalog, root)
    paths = catalog["source"].astype(str).tolist()
    return {
        taste.name: np.array([taste.rule(p, h) for p, h in zip(paths, headers, strict=True)])
        for taste in tastes
    }
