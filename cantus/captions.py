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
features are skipped, never printed. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from cantus.metadata import GENRE_SYNONYMS, region_adjectives

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

# Pace thresholds. Quarter-note bpm: below 80 is adagio/andante territory, above 126 allegro.
PACE_BPM = (80.0, 126.0)
# Onsets per second per part when no tempo is given (music21 then times pieces at 120 bpm).
# Measured on 166 corpus pieces (Essen, O'Neill, Ryan, Bach, Palestrina, Monteverdi,
# Trecento; none had a metronome mark): medians per part: Palestrina 0.63, Monteverdi 1.6,
# Bach chorales 2.2, Essen 2.7, O'Neill 3.6, Ryan 3.9; jigs/reels ~3.85, hornpipes 7.5.
# Quartiles 1.9 / 2.9 / 3.8. Below 1.6 is slow (~20 %), above 3.4 fast (~40 %: dance tunes).
PACE_DENSITY = (1.6, 3.4)
# Tempo words -> pace (checked before bpm: a written "Adagio" is the clearest evidence).
TEMPO_WORDS: tuple[tuple[str, str], ...] = (
    (r"grave|largo|larghetto|lento|adagio|slow|langsam|lent\b|doloroso", "slow"),
    (r"presto|vivace|allegro|vivo|veloce|fast|quick|schnell|rasch|lively|brisk", "fast"),
    (r"andant|moderato|allegretto|moderate|mäßig|massig|walking", "moderate"),
)
WIDE_AMBITUS = 24  # semitones: two octaves or more is "soaring"
NARROW_AMBITUS = 9  # a sixth or less is "simple", for single melodies
SACRED_FORMS = frozenset({"chorale", "mass", "motet"})


# ------------------------------------------------------------------------ evidence
@dataclass(frozen=True)
class Evidence:
    """The musical facts mood rules look at (empty strings / None when unknown)."""

    mode: str  # "major", "minor", "dorian", ... or ""
    pace: str  # "slow" | "moderate" | "fast" | ""
    meter: str  # "6/8" or ""
    form: str  # one of cantus.features.FORMS or ""
    ambitus: int | None  # semitones
    parts: int | None
    genres: tuple[str, ...] = ()  # every genre the source names (``cantus.metadata``)


@dataclass(frozen=True)
class MoodRule:
    """When ``applies(evidence)`` holds, the piece may be described by ``words``."""

    name: str
    evidence: str  # the condition in words (documentation, shown in reports)
    applies: Callable[[Evidence], bool]
    words: tuple[str, ...]


def _mode_pace(mode: str, pace: str) -> Callable[[Evidence], bool]:
    return lambda e: e.mode == mode and e.pace == pace


MOOD_RULES: tuple[MoodRule, ...] = (
    MoodRule(
        "minor_slow",
        "minor key and slow pace",
        _mode_pace("minor", "slow"),
        ("melancholy", "mournful", "wistful", "sad", "plaintive", "sorrowful"),
    ),
    MoodRule(
        "minor_moderate",
        "minor key at a moderate pace",
        _mode_pace("minor", "moderate"),
        ("pensive", "brooding", "bittersweet", "reflective", "somber"),
    ),
    MoodRule(
        "minor_fast",
        "minor key and fast pace",
        _mode_pace("minor", "fast"),
        ("driving", "urgent", "dark", "restless", "fiery"),
    ),
    MoodRule(
        "major_fast",
        "major key and fast pace",
        _mode_pace("major", "fast"),
        ("lively", "cheerful", "sprightly", "joyful", "bouncy", "upbeat"),
    ),
    MoodRule(
        "major_moderate",
        "major key at a moderate pace",
        _mode_pace("major", "moderate"),
        ("bright", "warm", "pleasant", "sunny", "easygoing"),
    ),
    MoodRule(
        "major_slow",
        "major key and slow pace",
        _mode_pace("major", "slow"),
        ("serene", "calm", "tender", "peaceful", "gentle"),
    ),
    MoodRule(
        "modal",
        "a church mode other than major/minor (dorian, mixolydian, ...)",
        lambda e: e.mode not in ("", "major", "minor"),
        ("modal", "archaic", "haunting", "ancient-sounding"),
    ),
    MoodRule(
        "triple_dance",
        "3/4 or 3/8 at a moderate or fast pace, not sacred",
        lambda e: (
            e.meter in ("3/4", "3/8")
            and e.pace in ("moderate", "fast")
            and e.form not in SACRED_FORMS
        ),
        ("waltz-like", "lilting", "swaying", "graceful"),
    ),
    MoodRule(
        "compound_fast",
        "6/8, 9/8 or 12/8 at a fast pace",
        lambda e: e.meter in ("6/8", "9/8", "12/8") and e.pace == "fast",
        ("jig-like", "rollicking", "skipping", "buoyant"),
    ),
    MoodRule(
        "sacred",
        "chorale, hymn, mass or motet",
        lambda e: e.form in SACRED_FORMS,
        ("solemn", "devotional", "reverent", "prayerful", "stately"),
    ),
    MoodRule(
        "march",
        "a march",
        lambda e: e.form == "march",
        ("martial", "steady", "bold", "stirring"),
    ),
    MoodRule(
        "lament",
        "a lament",
        lambda e: e.form == "lament",
        ("grieving", "mournful", "elegiac", "sorrowful"),
    ),
    MoodRule(
        "lullaby",
        "a lullaby",
        lambda e: e.form == "lullaby",
        ("soothing", "gentle", "tender", "dreamy"),
    ),
    MoodRule(
        "wide_range",
        f"range of {WIDE_AMBITUS} semitones or more",
        lambda e: e.ambitus is not None and e.ambitus >= WIDE_AMBITUS,
        ("soaring", "sweeping", "expansive"),
    ),
    MoodRule(
        "narrow_range",
        f"a single melody within {NARROW_AMBITUS} semitones",
        lambda e: e.ambitus is not None and e.ambitus <= NARROW_AMBITUS and (e.parts or 1) <= 1,
        ("simple", "intimate", "modest", "plain"),
    ),
)

# Form -> ways to name it (the first is the canonical name).
FORM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "jig": ("jig", "Irish jig", "double jig", "6/8 dance tune"),
    "slip jig": ("slip jig", "9/8 jig", "hop jig"),
    "slide": ("slide", "12/8 dance tune", "Kerry slide"),
    "reel": ("reel", "fiddle reel", "dance reel", "Irish reel"),
    "hornpipe": ("hornpipe", "dotted hornpipe", "step-dance hornpipe"),
    "strathspey": ("strathspey", "Scottish strathspey", "Scotch snap dance"),
    "fling": ("fling", "Highland fling"),
    "clog": ("clog", "clog dance"),
    "polka": ("polka", "2/4 polka", "couple dance"),
    "march": ("march", "quickstep", "marching tune"),
    "waltz": ("waltz", "3/4 dance", "valse"),
    "mazurka": ("mazurka", "Polish mazurka", "3/4 dance"),
    "polonaise": ("polonaise", "Polish processional dance"),
    "minuet": ("minuet", "menuet", "courtly 3/4 dance"),
    "gavotte": ("gavotte", "French gavotte", "Baroque dance"),
    "schottische": ("schottische", "German polka", "round dance"),
    "air": ("air", "slow air", "song air", "melody"),
    "lament": ("lament", "caoineadh", "elegy"),
    "lullaby": ("lullaby", "cradle song", "berceuse"),
    "chorale": ("chorale", "hymn", "four-part chorale", "Bach chorale", "chorale harmonisation"),
    "mass": ("mass movement", "mass", "polyphonic mass setting", "Renaissance mass"),
    "motet": ("motet", "sacred motet", "choral motet"),
    "madrigal": ("madrigal", "secular part-song", "Italian madrigal"),
    "ballata": ("ballata", "Trecento ballata", "medieval song"),
    "chanson": ("chanson", "French chanson", "part-song"),
    "quartet": ("string quartet movement", "string quartet", "quartet"),
    "sonata": ("sonata", "sonata movement"),
    "rag": ("rag", "ragtime", "piano rag"),
    "song": ("song", "tune", "melody"),
    "folk song": ("folk song", "folk tune", "traditional song", "folk melody"),
}

for _genre, _names in GENRE_SYNONYMS.items():  # Essen's genres are forms too
    FORM_SYNONYMS.setdefault(_genre, _names)

# What a listener might do with each kind of piece (listener family).
ACTIVITIES: dict[str, tuple[str, ...]] = {
    "slow": ("a quiet evening", "winding down", "reflection", "a rainy afternoon"),
    "moderate": ("a walk", "background while reading", "practising", "a Sunday morning"),
    "fast": ("dancing", "a session with friends", "getting energised", "a party"),
    "sacred": ("a church service", "quiet contemplation", "a choir rehearsal"),
}

METER_NAMES: dict[str, tuple[str, ...]] = {
    "2/4": ("2/4", "two-four time", "duple time"),
    "3/4": ("3/4", "three-four time", "triple time", "waltz time"),
    "4/4": ("4/4", "common time", "four-four time"),
    "2/2": ("2/2", "cut time", "alla breve"),
    "3/2": ("3/2", "three-two time", "slow triple time"),
    "6/8": ("6/8", "six-eight time", "compound duple time"),
    "9/8": ("9/8", "nine-eight time", "compound triple time"),
    "12/8": ("12/8", "twelve-eight time", "compound quadruple time"),
    "3/8": ("3/8", "three-eight time", "quick triple time"),
    "6/4": ("6/4", "six-four time"),
    "5/4": ("5/4", "five-four time", "quintuple time"),
}

PACE_WORDS: dict[str, tuple[str, ...]] = {
    "slow": ("slow", "unhurried", "leisurely", "slow-moving"),
    "moderate": ("moderate", "moderately paced", "medium-tempo", "walking-pace"),
    "fast": ("fast", "quick", "brisk", "up-tempo"),
}

TEXTURES: dict[int, tuple[str, ...]] = {
    1: ("solo melody", "single melodic line", "unaccompanied tune"),
    2: ("two-part piece", "duet texture", "two voices"),
    3: ("three-part piece", "trio texture", "three voices"),
    4: ("four-part piece", "four voices", "four-part harmony"),
}

COLLECTION_NAMES: dict[str, str] = {
    "oneills1850": "O'Neill's Music of Ireland (1850)",
    "ryansMammoth": "Ryan's Mammoth Collection",
    "airdsAirs": "Aird's Selection of Scotch, English, Irish and Foreign Airs",
    "essenFolksong": "the Essen folksong collection",
    "nottingham-dataset": "the Nottingham folk music database",
    "bach": "the Bach chorales",
    "palestrina": "Palestrina's masses",
    "monteverdi": "Monteverdi's madrigals",
}

ERAS = ("Baroque", "Renaissance", "Classical", "Romantic", "medieval", "Medieval", "modernist")
_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight")


# ------------------------------------------------------------------------ cleaning
def _text(value: Any) -> str:
    """A clean string, or "" for None / NaN / "nan"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text


def _number(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _title(value: Any) -> str:
    """Title without trailing punctuation or unmatched brackets (Essen: "Zou xikou, 1)")."""
    title = _text(value)
    if title.count(")") > title.count("("):
        title = title.replace(")", "")
    return title.rstrip(" .,;:")


def _composer(value: Any) -> str:
    """ "Palestrina, Giovanni Perluigi da" -> "Giovanni Perluigi da Palestrina"."""
    name = _text(value)
    last, sep, first = name.partition(", ")
    return f"{first} {last}" if sep and "," not in first else name


def _spell(name: str) -> str:
    """music21 note name -> prose: "B-" -> "B-flat", "F#" -> "F-sharp"."""
    if not name:
        return ""
    letter, rest = name[0].upper(), name[1:]
    accidental = {"-": "-flat", "--": "-double-flat", "#": "-sharp", "##": "-double-sharp"}
    return letter + accidental.get(rest, rest)


# ------------------------------------------------------------------------ evidence
def pace(features: dict[str, Any]) -> str:
    """ "slow" / "moderate" / "fast" from tempo text, bpm or density; "" if unknown."""
    text = _text(features.get("tempo_text")).lower()
    for pattern, word in TEMPO_WORDS:
        if text and re.search(pattern, text):
            return word
    bpm = _number(features.get("tempo_bpm"))
    if bpm is not None and bpm > 0:
        return _bucket(bpm, PACE_BPM)
    density = _number(features.get("note_density"))
    if density is None or density <= 0:
        return ""
    parts = max(_int(features.get("parts")) or 1, 1)
    return _bucket(density / parts, PACE_DENSITY)


def _bucket(value: float, bounds: tuple[float, float]) -> str:
    if value < bounds[0]:
        return "slow"
    return "fast" if value > bounds[1] else "moderate"


def key_name(features: dict[str, Any]) -> str:
    """Prose key, e.g. "B-flat minor" ("" when unknown)."""
    key = _text(features.get("key"))
    if key:
        tonic, _, mode = key.partition(" ")
        return f"{_spell(tonic)} {mode}".strip()
    tonic, mode = _text(features.get("tonic")), _text(features.get("mode"))
    return f"{_spell(tonic)} {mode}".strip() if tonic else ""


def evidence(features: dict[str, Any]) -> Evidence:
    """The facts ``MOOD_RULES`` use."""
    mode = _text(features.get("mode")).lower()
    if not mode:
        mode = _text(features.get("key")).partition(" ")[2].lower()
    return Evidence(
        mode=mode,
        pace=pace(features),
        meter=_text(features.get("meter")),
        form=_text(features.get("form")).lower(),
        ambitus=_int(features.get("ambitus")),
        parts=_int(features.get("parts")),
        genres=tuple(g.lower() for g in _text(features.get("genre")).split(", ") if g),
    )


def mood_words(features: dict[str, Any]) -> list[str]:
    """Every mood word the evidence supports, rule order, no repeats."""
    ev = evidence(features)
    words: list[str] = []
    for rule in MOOD_RULES:
        if rule.applies(ev):
            words.extend(w for w in rule.words if w not in words)
    return words


def describe(features: dict[str, Any]) -> str:
    """Short summary for search results, e.g. "3/4, A minor, slow air (Irish)"."""
    ev = evidence(features)
    what = " ".join(w for w in (ev.pace, ev.form) if w)
    parts = [p for p in (ev.meter, key_name(features), what) if p]
    origin = _text(features.get("region")) or _text(features.get("origin"))
    summary = ", ".join(parts)
    return f"{summary} ({origin})" if origin and summary else summary or origin


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
    text = _text(origin)
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
    parts = _int(features.get("parts")) or 0
    return ["tune", "melody", "piece"] if parts <= 1 else ["piece", "composition"]


def _origin_slots(features: dict[str, Any], form: str, nouns: list[str]) -> Slots:
    origin = parse_origin(_text(features.get("origin")))
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
    bpm, bars = _number(features.get("tempo_bpm")), _int(features.get("bars"))
    seconds, notes = _number(features.get("seconds")), _int(features.get("n_notes"))
    density, parts = _number(features.get("note_density")), _int(features.get("parts"))
    tempo_text = _text(features.get("tempo_text"))
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
    collection = _text(features.get("collection"))
    slots: Slots = {
        "pace": list(PACE_WORDS.get(ev.pace, ())),
        "key": [key] if key else [],
        "meter": list(METER_NAMES.get(ev.meter, (ev.meter,) if ev.meter else ())),
        "form": list(FORM_SYNONYMS.get(ev.form, ())),
        "piece": nouns,
        "mood": mood_words(features),
        "texture": _texture_words(ev.parts),
        "length": _length_words(_int(features.get("bars"))),
        "range": _range_words(ev.ambitus),
        "activity": _activity_words(ev),
        "title": [t] if (t := _title(features.get("title"))) else [],
        "composer": [c] if (c := _composer(features.get("composer"))) else [],
        "collection": [COLLECTION_NAMES.get(collection, collection)]
        if collection and collection != "user"
        else [],
        "tempo_text": [t] if (t := _text(features.get("tempo_text"))) else [],
        "facts": _facts(features, ev, key),
    }
    slots.update(_origin_slots(features, ev.form, nouns))
    slots["region"] = _region_words(_text(features.get("region")))
    slots["region_adj"] = _region_adjective_words(_text(features.get("region")))
    slots["genre"] = _genre_words(_text(features.get("genre")))
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
    ident = "|".join(_text(features.get(k)) for k in ("id", "source", "number", "title"))
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
