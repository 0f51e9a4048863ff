"""Musical evidence and the words it licenses: the tables behind every caption.

``MOOD_RULES`` is the single documented mapping from evidence (mode, pace, metre, form, range,
texture, genre) to mood words; ``FORM_SYNONYMS``, ``METER_NAMES``, ``PACE_WORDS`` and
``COLLECTION_NAMES`` name the rest. ``pace``, ``key_name``, ``evidence``, ``mood_words`` and
``describe`` read a catalog row; missing or NaN features are skipped, never printed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cantus.label_words import GENRE_SYNONYMS

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
    form: str  # one of cantus.forms.FORMS or ""
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


# ------------------------------------------------------------------------ cleaning
def clean_text(value: Any) -> str:
    """A clean string, or "" for None / NaN / "nan"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    return "" if text.lower() in ("nan", "none", "<na>") else text


def clean_number(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def clean_int(value: Any) -> int | None:
    number = clean_number(value)
    return None if number is None else round(number)


def clean_title(value: Any) -> str:
    """Title without trailing punctuation or unmatched brackets (Essen: "Zou xikou, 1)")."""
    title = clean_text(value)
    if title.count(")") > title.count("("):
        title = title.replace(")", "")
    return title.rstrip(" .,;:")


def clean_composer(value: Any) -> str:
    """ "Palestrina, Giovanni Perluigi da" -> "Giovanni Perluigi da Palestrina"."""
    name = clean_text(value)
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
    text = clean_text(features.get("tempo_text")).lower()
    for pattern, word in TEMPO_WORDS:
        if text and re.search(pattern, text):
            return word
    bpm = clean_number(features.get("tempo_bpm"))
    if bpm is not None and bpm > 0:
        return _bucket(bpm, PACE_BPM)
    density = clean_number(features.get("note_density"))
    if density is None or density <= 0:
        return ""
    parts = max(clean_int(features.get("parts")) or 1, 1)
    return _bucket(density / parts, PACE_DENSITY)


def _bucket(value: float, bounds: tuple[float, float]) -> str:
    if value < bounds[0]:
        return "slow"
    return "fast" if value > bounds[1] else "moderate"


def key_name(features: dict[str, Any]) -> str:
    """Prose key, e.g. "B-flat minor" ("" when unknown)."""
    key = clean_text(features.get("key"))
    if key:
        tonic, _, mode = key.partition(" ")
        return f"{_spell(tonic)} {mode}".strip()
    tonic, mode = clean_text(features.get("tonic")), clean_text(features.get("mode"))
    return f"{_spell(tonic)} {mode}".strip() if tonic else ""


def evidence(features: dict[str, Any]) -> Evidence:
    """The facts ``MOOD_RULES`` use."""
    mode = clean_text(features.get("mode")).lower()
    if not mode:
        mode = clean_text(features.get("key")).partition(" ")[2].lower()
    return Evidence(
        mode=mode,
        pace=pace(features),
        meter=clean_text(features.get("meter")),
        form=clean_text(features.get("form")).lower(),
        ambitus=clean_int(features.get("ambitus")),
        parts=clean_int(features.get("parts")),
        genres=tuple(g.lower() for g in clean_text(features.get("genre")).split(", ") if g),
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
    origin = clean_text(features.get("region")) or clean_text(features.get("origin"))
    summary = ", ".join(parts)
    return f"{summary} ({origin})" if origin and summary else summary or origin
