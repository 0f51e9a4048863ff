"""Musical facts a search query names, in the captions' own vocabulary.

"melancholy" means what ``cantus.caption_evidence`` means by it (minor key, slow pace), "waltz" a
waltz or a 3/4 dance, plus meters, paces and modes named outright. ``recommender.engine``
re-scores its best hybrid candidates with the share of these facts each piece has.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

# Evidence field -> the catalog columns cantus.caption_evidence.evidence() derives it from
EVIDENCE_FIELDS = {
    "mode": ("mode", "key"),
    "meter": ("meter",),
    "form": ("form",),
    "ambitus": ("ambitus",),
    "parts": ("parts",),
    "genres": ("genre",),
}
PACE_COLUMNS = ("tempo_text", "tempo_bpm", "note_density", "parts")  # pace()'s inputs
EVIDENCE_COLUMNS = tuple(dict.fromkeys([*sum(EVIDENCE_FIELDS.values(), ()), *PACE_COLUMNS]))
GENERIC_FORM_NAMES = frozenset({"song", "tune", "melody", "folk song", "folk tune"})
# mood words people type that the captions do not use, and the caption rule each means
# (added from the tune sets' queries and their usual synonyms)
QUERY_MOOD_WORDS = {
    "gloomy": "minor_slow", "melancholic": "minor_slow", "doleful": "minor_slow",
    "dismal": "minor_slow", "sombre": "minor_moderate", "happy": "major_fast",
    "merry": "major_fast", "jolly": "major_fast", "joyous": "major_fast",
    "uplifting": "major_moderate",
}  # fmt: skip
MODE_WORDS = ("major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian")


def query_facets(query: str) -> list[tuple[str, Callable[[Any], bool]]]:
    """Musical facts a query names (see :func:`_query_facets`); cached per query text, since
    matching every synonym's pattern costs milliseconds."""
    return list(_query_facets(" ".join(query.casefold().split())))


@functools.lru_cache(maxsize=1024)
def _query_facets(query: str) -> tuple[tuple[str, Callable[[Any], bool]], ...]:
    """Musical facts a query names, as ``(name, test(Evidence) -> bool)``.

    The vocabulary is ``cantus.caption_evidence``' own (mood rules, form synonyms, meter and pace
    names) plus a few mood words people type (``QUERY_MOOD_WORDS``), so "melancholy" means what
    the captions mean by it: minor key and slow pace. A form also accepts the meter its synonyms
    name ("waltz" ~ "3/4 dance"). Where two words ask for different modes (or paces), one wins
    (:func:`_one_per_attribute`): "a sad, tender lullaby" asks for minor, not also major.
    """
    from cantus.caption_evidence import FORM_SYNONYMS, METER_NAMES, MOOD_RULES, PACE_WORDS

    text = " ".join(query.casefold().split())
    found: list[tuple[str, Callable[[Any], bool], bool, int]] = []  # (+ said outright, where)
    for rule in MOOD_RULES:
        words = [*rule.words, *(w for w, r in QUERY_MOOD_WORDS.items() if r == rule.name)]
        places = [p for p in (_position(text, w) for w in words) if p >= 0]
        if places:
            parts = _rule_parts(rule) or [(f"mood:{rule.name}", rule.applies)]
            found += [(n, t, False, min(places)) for n, t in parts]  # melancholy: minor, slow
    for form in _named_forms(text):
        names = FORM_SYNONYMS[form]
        meters = {m for n in names for m in METER_NAMES if _names(n.casefold(), m)}
        found.append((f"form:{form}", _form_test(form, frozenset(meters)), True, 0))
    for meter, names in METER_NAMES.items():
        if any(_names(text, n.casefold()) for n in names):
            found.append((f"meter:{meter}", lambda e, m=meter: e.meter == m, True, 0))
    for pace, names in PACE_WORDS.items():
        if any(_names(text, n) for n in names):
            found.append((f"pace:{pace}", lambda e, p=pace: e.pace == p, True, 0))
    for mode in MODE_WORDS:
        if _names(text, mode):
            found.append((f"mode:{mode}", lambda e, m=mode: e.mode == m, True, 0))
    facets = [(n, t) for n, t, _, _ in _one_per_attribute(found)]
    return tuple(dict(facets).items())  # one per name


def names_musical_facet(query: str) -> bool:
    """Whether ``query`` names a mood, pace, meter, mode or key, not only forms: a form's name
    is a word the lexical channel reads too ("ballad", "madrigal", "game song"), so a query
    naming forms alone weighs the sources' words as one naming no facet
    (``SearchConfig.lexical_weight``)."""
    named = [name for name, _ in query_facets(query)]
    return any(not n.startswith("form:") for n in named) or bool(query_keys(query))


# a query that says what a piece is about or named for ("a song about a widow", "a tune named
# for a young lady"): its topic is a word of the title, lyrics or label, not of the captions
# "about 1800", "about the 1800s", "about c. 1750", "about twenty minutes": an approximation;
# "what about a waltz": a suggestion; neither says what a piece is about
_APPROX = r"(?:the\s+)?(?:\d|c\.|circa\b|ca\.|(?:ten|twenty|thirty|forty|fifty|a\s+hundred|five)\b)"
_TOPIC = re.compile(
    rf"(?<!what )(?<!how )\babout\b(?!\s+{_APPROX})(?!-)|\bnamed\s+(?:for|after)\b", re.IGNORECASE
)


def names_topic(query: str) -> bool:
    """Whether ``query`` says what the piece is about or named for (``SearchConfig.
    lexical_weight``: the sources' words then weigh ``w_lexical_topic``)."""
    return _TOPIC.search(query) is not None


def _one_per_attribute(
    found: list[tuple[str, Callable[[Any], bool], bool, int]],
) -> list[tuple[str, Callable[[Any], bool], bool, int]]:
    """One mode and one pace at most: a piece has one, so a second only lowers every piece's
    share alike. Said outright ("in a minor key", "slow") beats implied by a mood word, else the
    word named first wins (the first adjective is the query's main one)."""

    def attribute(facet: tuple[str, Any, bool, int]) -> str:
        return facet[0].split(":", 1)[0]

    def rank(facet: tuple[str, Any, bool, int]) -> tuple[bool, int]:
        return (not facet[2], facet[3])

    best: dict[str, tuple[bool, int]] = {}
    for facet in found:
        if attribute(facet) in PROBE:
            best[attribute(facet)] = min(best.get(attribute(facet), rank(facet)), rank(facet))
    return [f for f in found if attribute(f) not in best or rank(f) == best[attribute(f)]]


def _position(text: str, phrase: str) -> int:
    """Where ``phrase`` first occurs in ``text`` as whole words; -1 when it does not."""
    match = re.search(rf"(?<![\w-]){re.escape(phrase.casefold())}(?![\w-])", text)
    return match.start() if match else -1


# a key named outright: "in A minor", "B flat major", "in D", "E-flat", "Reel In E Minor"; a
# small "a" is the article ("in a minor key", "a minor waltz") unless "in" names it a key
# with an accidental or a mode ("in a minor", "in a flat")
_KEY = re.compile(
    r"(?:\b(?i:in)\s+|\b(?=[A-Ga-g][-#b♭♯ ]*(?i:flat|sharp)?\s*(?i:major|minor)\b))"
    r"(?P<tonic>[A-Ga-g])(?:(?P<b>b)(?![a-z])|\s*-?\s*(?P<acc>(?i:flat|sharp)|♭|♯|#|-))?"
    r"(?:\s+(?P<mode>(?i:major|minor|dorian|mixolydian)))?(?![\w#-])"
    r"(?!\s+(?i:key|mode|scale)\b)"
)


def query_keys(query: str) -> list[tuple[str, str, str]]:
    """Keys a query names outright, as (facet name, tonic as the catalog spells it: "B-",
    "F#", mode or "" for any): "a hornpipe in B flat" -> [("key:B-", "B-", "")]."""
    out = []
    for m in _KEY.finditer(" ".join(query.split())):
        letter, mode = m["tonic"], (m["mode"] or "").casefold()
        acc = (m["acc"] or m["b"] or "").casefold()  # "Bb": a "b" only right after its letter
        named = m[0][:2].casefold() == "in"
        if letter == "a" and not (named and (acc or mode)):
            continue  # the article: "in a", "a minor waltz", "a flat mood"
        tonic = letter.upper() + ("-" if acc in ("flat", "♭", "-", "b") else "#" if acc else "")
        out.append((f"key:{tonic} {mode}".strip(), tonic, mode))
    return list(dict((o[0], o) for o in out).values())


def _named_forms(text: str) -> list[str]:
    """Forms the text names, longest names first: a word inside a longer form name is that
    form's ("slip jig" names the slip jig, not also the 6/8 jig). A name's plural names its
    form too ("lullabies", "Christmas songs", "masses"; :func:`_name_pattern`): the names are
    inflected, never the text, so no word of a German title turns into a form name ("Ein
    feste Burg" is no *Fest*)."""
    found: list[str] = []
    for name, form in _form_names():
        pattern = _name_pattern(name)
        if re.search(pattern, text):
            if form not in found:
                found.append(form)
            text = re.sub(pattern, " | ", text)
    return found


@functools.cache  # every query tries every form name
def _name_pattern(name: str) -> str:
    """A form name, its last word singular or plural ("lullaby|lullabies", "waltz(es)")."""
    core = re.escape(name)
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        core = core[:-1] + "(?:y|ies)"
    elif name[-1:].isalpha():
        core += "(?:e?s)?"
    return rf"(?<![\w-]){core}(?![\w-])"


@functools.cache
def _form_names() -> list[tuple[str, str]]:
    """(folded name, form) of every specific form name, longest first."""
    from cantus.caption_evidence import FORM_SYNONYMS

    pairs = {
        (n.casefold(), form)
        for form, names in FORM_SYNONYMS.items()
        if form not in GENERIC_FORM_NAMES
        for n in names
        if n.casefold() not in GENERIC_FORM_NAMES
    }
    return sorted(pairs, key=lambda p: (-len(p[0]), p))


PROBE = {
    "mode": ("major", "minor", "dorian", "mixolydian", ""),
    "pace": ("slow", "moderate", "fast", ""),
}


@functools.cache
def _rule_parts(rule: Any) -> list[tuple[str, Callable[[Any], bool]]]:
    """The mode / pace a mood rule requires, found by probing it (so a minor piece at a
    moderate pace still half-matches "melancholy"); empty when it requires neither."""
    import dataclasses
    import itertools

    from cantus.caption_evidence import Evidence

    other = itertools.product(("", "3/4", "6/8", "4/4"), ("", "waltz", "lament", "chorale"))
    grid = itertools.product(PROBE["mode"], PROBE["pace"], other, (12, 30, 5, None), (1, 4))
    candidates = (
        Evidence(m, p, meter, form, amb, parts) for m, p, (meter, form), amb, parts in grid
    )
    example = next((e for e in candidates if rule.applies(e)), None)
    if example is None:
        return []
    parts = []
    for attr, values in PROBE.items():
        value = getattr(example, attr)
        others = [dataclasses.replace(example, **{attr: v}) for v in values if v != value]
        if value and not any(rule.applies(e) for e in others):
            parts.append((f"{attr}:{value}", lambda e, a=attr, v=value: getattr(e, a) == v))
    return parts


def _names(text: str, phrase: str) -> bool:
    """``phrase`` occurs in ``text`` as whole words."""
    return re.search(rf"(?<![\w-]){re.escape(phrase.casefold())}(?![\w-])", text) is not None


# forms that are a kind of another form, by what the words mean: a ballad is a narrative song
# (Essen's "erzaehlendes Volkslied", the German folklorists' word for the folk ballad), and a
# Moritat a (murder) ballad; a "ballad" query asks for them too
FORM_KINDS = {"ballad": ("narrative song", "Moritat")}


def _form_test(form: str, meters: frozenset[str]) -> Callable[[Any], bool]:
    kinds = (form, *(k.casefold() for k in FORM_KINDS.get(form, ())))  # Evidence folds case
    return lambda e: (
        e.form in kinds or any(k in e.genres for k in kinds) or (bool(meters) and e.meter in meters)
    )


class FacetRows:
    """``cantus.caption_evidence.evidence`` of every catalog row, found column by column.

    Why: a cold search built 14,960 Evidence objects, one ``evidence()`` call per row
    (0.28 s profiled). Here each Evidence field comes from ``evidence()`` once per distinct
    value of the columns it reads (a few hundred), pace from ``row_paces`` (numpy), and each
    facet test runs once per distinct Evidence; rows take the answer by code.
    """

    def __init__(self, columns: Mapping[str, Sequence[Any]], n: int) -> None:
        from cantus.caption_evidence import Evidence, evidence

        def column(name: str) -> list[Any]:
            return list(columns[name]) if name in columns else [None] * n

        def field(attr: str, names: tuple[str, ...]) -> list[Any]:
            memo: dict[tuple, Any] = {}
            out = []
            for value in zip(*(column(c) for c in names), strict=True):
                if value not in memo:
                    memo[value] = getattr(evidence(dict(zip(names, value, strict=True))), attr)
                out.append(memo[value])
            return out

        values = {attr: field(attr, names) for attr, names in EVIDENCE_FIELDS.items()}
        values["pace"] = row_paces(*(column(c) for c in PACE_COLUMNS))
        codes: dict[tuple, int] = {}
        rows = zip(*values.values(), strict=True)
        self._codes = np.fromiter((codes.setdefault(r, len(codes)) for r in rows), np.int64, n)
        self.distinct = [Evidence(**dict(zip(values, k, strict=True))) for k in codes]

    def mask(self, test: Callable[[Any], bool]) -> np.ndarray:
        """Rows whose Evidence passes ``test`` (boolean, one per row)."""
        passed = np.fromiter(map(test, self.distinct), bool, len(self.distinct))
        return passed[self._codes]


def row_paces(
    tempo_text: Sequence[Any], bpm: Sequence[Any], density: Sequence[Any], parts: Sequence[Any]
) -> list[str]:
    """``caption_evidence.pace`` of many rows: the tempo text's word (per distinct text), else
    the bpm's bucket, else notes per second per part bucketed."""
    import pandas as pd

    from cantus.caption_evidence import PACE_BPM, PACE_DENSITY, pace

    words = {t: pace({"tempo_text": t}) for t in set(map(str, tempo_text))}
    by_text = np.array([words[str(t)] for t in tempo_text], dtype=object)

    def finite(values: Sequence[Any]) -> np.ndarray:  # pace()'s _number: NaN if not finite
        out = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(float)
        return np.where(np.isfinite(out), out, np.nan)

    def bucket(value: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
        fast = np.where(value > bounds[1], "fast", "moderate")
        return np.where(value < bounds[0], "slow", fast).astype(object)

    tempo, notes = finite(bpm), finite(density)
    voices = np.maximum(np.nan_to_num(np.round(finite(parts)), nan=1.0), 1.0)  # max(parts or 1, 1)
    with np.errstate(invalid="ignore"):
        out = np.where(notes > 0, bucket(notes / voices, PACE_DENSITY), "")
        out = np.where(tempo > 0, bucket(tempo, PACE_BPM), out)
    return list(np.where(by_text != "", by_text, out))
