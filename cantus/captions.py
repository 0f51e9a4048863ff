"""The one caption builder: natural-language descriptions of a piece from its features.

``build_captions(features, seed)`` turns a catalog row (see docs/internals.md) into several
``(family, text)`` pairs. Families (``CAPTION_FAMILIES``) use different evidence and wording,
so evaluation can hold whole families out:

* ``plain``      key, meter, pace and form in everyday words
* ``mood``       mood words from ``MOOD_RULES`` (the single evidence -> mood table)
* ``form``       the form / dance type and its synonyms (``FORM_SYNONYMS``)
* ``origin``     place, tradition and collection ("a German folk song", "an Irish jig")
* ``technical``  numbers: meter, key, tempo, bars, range, notes per second, parts
* ``listener``   how a user would ask for it ("something wistful for a quiet evening")
* ``title``      title, composer and collection

Pace ("slow" / "moderate" / "fast") comes from the tempo text, else the quarter-note bpm,
else the notes per second per part (``PACE_*`` thresholds, see ``pace``). Missing or NaN
features are skipped, never printed. Everything is deterministic for a given seed. The
evidence and its word tables live in ``cantus.caption_evidence``; this module fills the
families' templates from them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cantus.caption_evidence import (
    ACTIVITIES,
    COLLECTION_NAMES,
    ERAS,
    FORM_SYNONYMS,
    METER_NAMES,
    PACE_WORDS,
    SACRED_FORMS,
    TEXTURES,
    WIDE_AMBITUS,
    Evidence,
    clean_composer,
    clean_int,
    clean_number,
    clean_text,
    clean_title,
    evidence,
    key_name,
    mood_words,
)
from cantus.label_words import GENRE_SYNONYMS
from cantus.metadata import region_adjectives

CAPTION_FAMILIES: tuple[str, ...] = (
    "plain",
    "mood",
    "form",
    "origin",
    "technical",
    "listener",
    "title",
)

# Families never trained on: evaluation queries only (the encoder's training and the serving
# caption vectors both leave them out, so evaluating on them stays honest).
HELD_OUT_FAMILIES: tuple[str, ...] = ("listener", "technical")


# ------------------------------------------------------------------------ origin words
@dataclass(frozen=True)
class Origin:
    """An origin string split into adjectives ("Irish"), eras ("Baroque") and a noun."""

    adjectives: tuple[str, ...]
    eras: tuple[str, ...]
    nouns: tuple[str, ...]


_TAIL_NOUNS = {
    "fiddle tunes": ("fiddle tune",),
    "folk": ("folk tune", "folk song"),
    "popular": ("popular song", "standard"),
    "ragtime": ("rag",),
}


def parse_origin(origin: str) -> Origin:
    """ "Chinese (Han)" -> Chinese / Han Chinese; "German Baroque" -> German + Baroque."""
    text = clean_text(origin)
    paren = re.search(r"\(([^)]*)\)", text)
    base = re.sub(r"\([^)]*\)", "", text).strip()
    words = base.replace("/", " ").split()
    eras = [w for w in words if w in ERAS]
    adjectives = [w for w in words if w[:1].isupper() and w not in ERAS]
    tail = " ".join(w for w in words if not w[:1].isupper() and w not in ERAS)
    if paren:
        extra = paren.group(1).strip()
        if eras:
            eras.append(extra)
        elif adjectives:
            adjectives.append(f"{extra} {adjectives[0]}")
    return Origin(tuple(adjectives), tuple(eras), _TAIL_NOUNS.get(tail, (tail,) if tail else ()))


# ------------------------------------------------------------------------ slots
Slots = dict[str, list[str]]


def _piece_nouns(features: dict[str, Any], form: str) -> list[str]:
    if form in FORM_SYNONYMS:
        return list(FORM_SYNONYMS[form])
    parts = clean_int(features.get("parts")) or 0
    return ["tune", "melody", "piece"] if parts <= 1 else ["piece", "composition"]


def _origin_slots(features: dict[str, Any], form: str, nouns: list[str]) -> Slots:
    origin = parse_origin(clean_text(features.get("origin")))
    if not origin.adjectives and not origin.eras:
        return {"origin": [], "origin_piece": []}
    labels = list(origin.adjectives) or list(origin.eras)
    labels += [f"{a} {e}" for a in origin.adjectives[:1] for e in origin.eras]
    # plain nouns only: "Irish jig", never "Irish Irish jig" or "German Bach chorale"
    plain = [n for n in nouns if n[:1].islower() and not n[:1].isdigit()] or list(origin.nouns)
    pieces = [f"{label} {noun}" for label in labels for noun in plain[:3]]
    if not form:
        pieces += [f"{label} {noun}" for label in labels for noun in origin.nouns]
    return {"origin": labels, "origin_piece": pieces}


def _length_words(bars: int | None) -> list[str]:
    if bars is None or bars <= 0:
        return []
    if bars <= 16:
        return ["short", "brief", "compact"]
    return ["long", "extended"] if bars >= 64 else []


def _range_words(ambitus: int | None) -> list[str]:
    if ambitus is None or ambitus <= 0:
        return []
    if ambitus <= 7:
        return ["a narrow range, within a fifth", "a small compass"]
    if ambitus <= 12:
        return ["a range within an octave", "a compass of about an octave"]
    if ambitus < WIDE_AMBITUS:
        return ["a range of more than an octave", "a compass wider than an octave"]
    return ["a wide range of two octaves or more", "a sweeping compass"]


def _texture_words(parts: int | None) -> list[str]:
    if parts is None or parts <= 0:
        return []
    if parts in TEXTURES:
        return list(TEXTURES[parts])
    return [f"{parts}-part piece", f"{parts} voices"]


def _activity_words(ev: Evidence) -> list[str]:
    if ev.form in SACRED_FORMS:
        return list(ACTIVITIES["sacred"])
    return list(ACTIVITIES.get(ev.pace, ()))


def _facts(features: dict[str, Any], ev: Evidence, key: str) -> list[str]:
    """Numeric facts for the technical family."""
    bpm, bars = clean_number(features.get("tempo_bpm")), clean_int(features.get("bars"))
    seconds, notes = clean_number(features.get("seconds")), clean_int(features.get("n_notes"))
    density, parts = clean_number(features.get("note_density")), clean_int(features.get("parts"))
    tempo_text = clean_text(features.get("tempo_text"))
    candidates = [
        (ev.meter, f"time signature {ev.meter}"),
        (key, f"key {key}"),
        (bpm, f"{bpm:.0f} beats per minute" if bpm else ""),
        (tempo_text, f"marked {tempo_text}"),
        (bars, f"{bars} bars"),
        (seconds, f"about {seconds:.0f} seconds" if seconds else ""),
        (ev.ambitus, f"range of {ev.ambitus} semitones"),
        (notes, f"{notes} notes"),
        (density, f"{density:.1f} notes per second" if density else ""),
        (parts, f"{parts} part{'s' if parts != 1 else ''}"),
    ]
    return [fact for value, fact in candidates if value and fact]


def _slots(features: dict[str, Any]) -> Slots:
    """Every phrase a template may use, as alternatives; empty list = unknown."""
    ev = evidence(features)
    key = key_name(features)
    nouns = _piece_nouns(features, ev.form)
    collection = clean_text(features.get("collection"))
    slots: Slots = {
        "pace": list(PACE_WORDS.get(ev.pace, ())),
        "key": [key] if key else [],
        "meter": list(METER_NAMES.get(ev.meter, (ev.meter,) if ev.meter else ())),
        "form": list(FORM_SYNONYMS.get(ev.form, ())),
        "piece": nouns,
        "mood": mood_words(features),
        "texture": _texture_words(ev.parts),
        "length": _length_words(clean_int(features.get("bars"))),
        "range": _range_words(ev.ambitus),
        "activity": _activity_words(ev),
        "title": [t] if (t := clean_title(features.get("title"))) else [],
        "composer": [c] if (c := clean_composer(features.get("composer"))) else [],
        "collection": [COLLECTION_NAMES.get(collection, collection)]
        if collection and collection != "user"
        else [],
        "tempo_text": [t] if (t := clean_text(features.get("tempo_text"))) else [],
        "facts": _facts(features, ev, key),
    }
    slots.update(_origin_slots(features, ev.form, nouns))
    slots["region"] = _region_words(clean_text(features.get("region")))
    slots["region_adj"] = _region_adjective_words(clean_text(features.get("region")))
    slots["genre"] = _genre_words(clean_text(features.get("genre")))
    return slots


def _region_words(region: str) -> list[str]:
    """ "China, Shaanxi, Zizhou" -> ["Zizhou, Shaanxi, China", "Shaanxi", "Zizhou"]."""
    places = [p.strip() for p in region.split(",") if p.strip()]
    if not places:
        return []
    words = [", ".join(reversed(places)), *places[1:]]
    return list(dict.fromkeys(words))


def _region_adjective_words(region: str) -> list[str]:
    """The most specific place's adjective first: "Germany, Silesia" -> ["Silesian", "German"]."""
    return list(reversed(region_adjectives(region)))


def _genre_words(genre: str) -> list[str]:
    """Every English name of every genre the source gives (secondary genres included)."""
    names = [n for g in genre.split(", ") if g for n in GENRE_SYNONYMS.get(g, (g,))]
    return [n for n in dict.fromkeys(names) if n[:1].islower()]


# ------------------------------------------------------------------------ templates
# {slot} picks one alternative; {slot2} picks a different one of the same slot.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "plain": (
        "a {pace} {piece} in {key}",
        "a {piece} in {key}, {meter}",
        "{key} {piece} in {meter}, {pace}",
        "a {pace} {meter} {piece} in {key}",
        "{piece} in {meter} and {key}",
        "a {length} {piece} in {key}",
        "a {pace} {piece} in {meter}",
        "{key}, {meter}, {pace}",
        "a {piece} in {key}",
        "a {piece} in {meter}",
    ),
    "mood": (
        "a {mood} and {mood2} {piece}",
        "{mood}, {mood2} music in {key}",
        "something {mood} and {mood2}",
        "a {mood} {piece} that feels {mood2}",
        "{mood} music in {meter}",
        "a {mood} {pace} {piece}",
        "{mood} and {mood2}",
    ),
    "form": (
        "a {form} in {meter}",
        "this is a {form}",
        "a {form} in {key}",
        "a {pace} {form}",
        "a {form}, {form2}",
        "a {form} with {range}",
        "a {form} for {texture}",
        "a {genre}",
        "a {form}; also a {genre}",
    ),
    "origin": (
        "a {origin_piece}",
        "a {origin_piece} in {key}",
        "{origin} music in {meter}",
        "a {piece} from {collection}",
        "a {origin} {piece} from {collection}",
        "a {pace} {origin_piece}",
        "traditional {origin} music",
        "a {piece} from {region}",
        "a {genre} from {region}",
        "{origin} {genre}",
        "a {region_adj} {piece}",
    ),
    "technical": (),  # built by _technical: a random subset of the facts
    "listener": (
        "something {mood} for {activity}",
        "I want a {mood} {piece} for {activity}",
        "music for {activity}: {mood} and {pace}",
        "play me a {pace} {piece} in {key}",
        "looking for a {mood} {piece} in {meter}",
        "a {mood} {origin} {piece}",
        "find me something {mood} in {key}",
        "a {piece} with {range}",
    ),
    "title": (
        "{title}",
        '"{title}" by {composer}',
        "{title}, a {piece} from {collection}",
        "{title} ({composer})",
        "the {piece} called {title}",
        "{title}, {key}",
    ),
}

# Captions per family; together about 10 per piece.
PER_FAMILY: dict[str, int] = {"plain": 2, "mood": 2, "listener": 2}

_FIELD = re.compile(r"\{([a-z_]+?)(\d?)\}")


def _fields(template: str) -> dict[str, int]:
    """Slot name -> number of distinct alternatives the template needs."""
    need: dict[str, int] = {}
    for name, index in _FIELD.findall(template):
        need[name] = max(need.get(name, 0), int(index or 1))
    return need


def _usable(template: str, slots: Slots) -> bool:
    return all(len(set(slots.get(n, ()))) >= k for n, k in _fields(template).items())


def _fill(template: str, slots: Slots, rng: random.Random) -> str:
    picks = {n: rng.sample(sorted(set(slots[n])), k) for n, k in _fields(template).items()}

    def one(match: re.Match[str]) -> str:
        return picks[match.group(1)][int(match.group(2) or 1) - 1]

    return _polish(_FIELD.sub(one, template))


_VOWEL_LETTERS = re.compile(r"^(?:[AEFHILMNORSX](?:$|[-\s])|[aeiou]|8|11|18|Irish|Italian)")


def _polish(text: str) -> str:
    """Fix "a"/"an", spacing and the first capital letter."""

    def article(match: re.Match[str]) -> str:
        word = match.group(2)
        an = bool(_VOWEL_LETTERS.match(word)) and not word.lower().startswith(("one", "uni"))
        first = match.group(1)[0]
        return f"{first}{'n' if an else ''} {word}"

    # "Irish" + "Irish jig" must not read "Irish Irish jig"
    text = re.sub(r"\b(\w{3,}) \1\b", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"\b([Aa]n?) (\S+)", article, text)
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    return text[:1].upper() + text[1:]


def _technical(slots: Slots, count: int, rng: random.Random) -> list[str]:
    """``count`` lists of 3..6 numeric facts in random order."""
    facts = slots["facts"]
    texts: list[str] = []
    for _ in range(count if facts else 0):
        k = rng.randint(min(3, len(facts)), min(6, len(facts)))
        text = _polish(rng.choice((", ", "; ")).join(rng.sample(facts, k)))
        if text not in texts:
            texts.append(text)
    return texts


def _family_captions(family: str, slots: Slots, count: int, rng: random.Random) -> list[str]:
    if family == "technical":
        return _technical(slots, count, rng)
    usable = [t for t in TEMPLATES[family] if _usable(t, slots)]
    rng.shuffle(usable)
    texts: list[str] = []
    for template in usable:
        if len(texts) == count:
            break
        text = _fill(template, slots, rng)
        if text not in texts:
            texts.append(text)
    return texts


def _rng(features: dict[str, Any], seed: int) -> random.Random:
    # a string seed is hashed with sha512 by random: stable across processes, unlike hash()
    ident = "|".join(clean_text(features.get(k)) for k in ("id", "source", "number", "title"))
    return random.Random(f"{seed}|{ident}")


def build_captions(features: dict[str, Any], seed: int) -> list[tuple[str, str]]:
    """Several ``(family, text)`` descriptions of one piece; deterministic for ``seed``."""
    slots = _slots(features)
    rng = _rng(features, seed)
    captions: list[tuple[str, str]] = []
    for family in CAPTION_FAMILIES:
        count = PER_FAMILY.get(family, 1)
        captions.extend((family, text) for text in _family_captions(family, slots, count, rng))
    return captions


def families_of(captions: Iterable[tuple[str, str]]) -> list[str]:
    """The family column for a list of captions (catalog ``caption_families``)."""
    return [family for family, _ in captions]
