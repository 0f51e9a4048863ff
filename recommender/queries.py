"""Natural-language test queries with graded relevance over catalog features.

Each ``Query`` names the facets a matching piece must have (form, meter, mode, pace, origin,
...). ``grade(row)`` is 2 when a piece meets every facet, 1 when it meets some, 0 when none;
single-facet queries grade 2 or 0. Facets read only catalog columns and the project's own
evidence rules (``cantus.caption_evidence.pace`` / ``mood_words``), so "melancholy" means what the
captions mean by it (minor and slow, ``MOOD_RULES``). Judged automatically on the whole
catalog by ``recommender.evaluate``.

The queries are written like a user would type them, not like the caption templates: many
combine two or three facets, some use words the metadata never contains (mood, "children's",
"beginners", "two octaves"), so keyword search has to guess.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]
Predicate = Callable[[Row], bool]


@dataclass(frozen=True)
class Facet:
    """One requirement of a query, with the words used in reports."""

    name: str
    test: Predicate


@dataclass(frozen=True)
class Query:
    """A test query and the facets a relevant piece must meet."""

    text: str
    facets: tuple[Facet, ...]

    def grade(self, row: Row) -> int:
        """2 = every facet, 1 = some facets, 0 = none."""
        met = sum(bool(f.test(row)) for f in self.facets)
        if met == len(self.facets):
            return 2
        return 1 if met else 0


# ----------------------------------------------------------------------------- facets


def _s(row: Row, name: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _n(row: Row, name: str) -> float:
    try:
        value = float(row.get(name))
    except (TypeError, ValueError):
        return math.nan
    return value


def form(*names: str) -> Facet:
    return Facet(f"form={'|'.join(names)}", lambda r: _s(r, "form") in names)


def meter(*names: str) -> Facet:
    return Facet(f"meter={'|'.join(names)}", lambda r: _s(r, "meter") in names)


def mode(*names: str) -> Facet:
    return Facet(f"mode={'|'.join(names)}", lambda r: _s(r, "mode") in names)


def key(tonic: str, mode_name: str) -> Facet:
    return Facet(
        f"key={tonic} {mode_name}", lambda r: _s(r, "tonic") == tonic and _s(r, "mode") == mode_name
    )


def with_evidence(row: Row) -> Row:
    """``row`` plus its pace and mood words, computed once (grading reads them often)."""
    from cantus.caption_evidence import mood_words, pace

    return {**row, PACE_KEY: pace(row), MOODS_KEY: frozenset(mood_words(row))}


PACE_KEY, MOODS_KEY = "__pace", "__moods"


def _pace_of(row: Row) -> str:
    from cantus.caption_evidence import pace as pace_of

    return row[PACE_KEY] if PACE_KEY in row else pace_of(row)


def _moods_of(row: Row) -> frozenset[str]:
    from cantus.caption_evidence import mood_words

    return row[MOODS_KEY] if MOODS_KEY in row else frozenset(mood_words(row))


def pace(*paces: str) -> Facet:
    return Facet(f"pace={'|'.join(paces)}", lambda r: _pace_of(r) in paces)


def mood(word: str) -> Facet:
    """The piece may be called ``word`` by ``cantus.caption_evidence.MOOD_RULES``."""
    return Facet(f"mood~{word}", lambda r: word in _moods_of(r))


def origin(*parts: str) -> Facet:
    lowered = tuple(p.lower() for p in parts)
    return Facet(
        f"origin~{'|'.join(parts)}", lambda r: any(p in _s(r, "origin").lower() for p in lowered)
    )


def source(*parts: str) -> Facet:
    return Facet(f"source~{'|'.join(parts)}", lambda r: any(p in _s(r, "source") for p in parts))


def composer(part: str) -> Facet:
    return Facet(
        f"composer~{part}",
        lambda r: (
            part.lower() in _s(r, "composer").lower() or part.lower() in _s(r, "collection").lower()
        ),
    )


def between(name: str, low: float = -math.inf, high: float = math.inf) -> Facet:
    return Facet(f"{low}<={name}<={high}", lambda r: low <= _n(r, name) <= high)


def parts(count: int) -> Facet:
    return Facet(f"parts={count}", lambda r: _n(r, "parts") == count)


TRIPLE = meter("3/4", "3/8")
COMPOUND = meter("6/8", "9/8", "12/8")

QUERIES: tuple[Query, ...] = (
    Query(
        "melancholy waltz",
        (
            mode("minor"),
            Facet("waltz/3-4", lambda r: _s(r, "form") == "waltz" or _s(r, "meter") == "3/4"),
        ),
    ),
    Query("a lively Irish jig", (form("jig"), origin("Irish"), mood("lively"))),
    Query("Bach chorale in a minor key", (form("chorale"), composer("bach"), mode("minor"))),
    Query("slow sad air", (pace("slow"), mode("minor"), form("air", "lament"))),
    Query("cheerful German children's song", (origin("German"), source("kinder"), mode("major"))),
    Query("Chinese folk song", (origin("Chinese"),)),
    Query("Renaissance mass", (form("mass"), origin("Renaissance"))),
    Query("fast reel in D major", (form("reel"), key("D", "major"), pace("fast"))),
    Query("mournful lament", (form("lament"), mode("minor"))),
    Query("march in 2/4", (form("march"), meter("2/4"))),
    Query("hornpipe", (form("hornpipe"),)),
    Query("Scottish strathspey", (form("strathspey"), origin("Scottish"))),
    Query("gentle lullaby to sing a baby to sleep", (form("lullaby"),)),
    Query("a bouncy polka", (form("polka"), mode("major"))),
    Query("slip jig in 9/8", (form("slip jig"), meter("9/8"))),
    Query("four-part hymn harmonisation", (form("chorale"), parts(4))),
    Query("Italian madrigal for voices", (form("madrigal"), origin("Italian"))),
    Query("medieval Italian song", (origin("Trecento", "Medieval"),)),
    Query("a tune in 6/8 time in G major", (meter("6/8"), key("G", "major"))),
    Query("dark driving reel in a minor key", (form("reel"), mode("minor"), pace("fast"))),
    Query("calm peaceful slow melody in a major key", (mode("major"), pace("slow"))),
    Query("folk song from Luxembourg", (origin("Luxembourg"),)),
    Query("traditional melody from Lorraine", (origin("Lorraine"),)),
    Query(
        "American fiddle tune",
        (
            origin("American"),
            Facet(
                "fiddle/dance",
                lambda r: (
                    _s(r, "form")
                    in ("reel", "jig", "hornpipe", "polka", "march", "clog", "strathspey")
                ),
            ),
        ),
    ),
    Query("ragtime piano piece", (form("rag"),)),
    Query("string quartet movement", (form("quartet"),)),
    Query("stately minuet", (form("minuet"),)),
    Query("haunting modal tune in the dorian mode", (mode("dorian"),)),
    Query("soaring melody spanning two octaves", (between("ambitus", 24),)),
    Query("short simple tune for beginners", (between("bars", 1, 16), between("ambitus", 0, 9))),
    Query("Irish air in waltz time", (origin("Irish"), meter("3/4"))),
    Query("quick dance in compound time", (COMPOUND, pace("fast"))),
    Query("slow minor air from Scotland", (origin("Scottish"), pace("slow"), mode("minor"))),
    Query("cheerful tune in common time", (meter("4/4", "2/2"), mood("cheerful"))),
    Query("brooding piece in E minor", (key("E", "minor"),)),
    Query("devotional choral music for a church service", (form("chorale", "mass", "motet"),)),
    Query("a lilting triple-time dance", (TRIPLE, pace("moderate", "fast"))),
    Query("pensive German folk song in a minor key", (origin("German"), mode("minor"))),
    Query("Han Chinese melody in a major key", (origin("Han"), mode("major"))),
    Query("martial quickstep for a fife and drum band", (form("march"),)),
)
