"""Origin and form (dance type, genre) of a piece from its path, title, rhythm field and meter."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from cantus.label_words import GENRE_SYNONYMS
from cantus.metadata import genres_of

FORMS: tuple[str, ...] = (
    "jig",
    "slip jig",
    "slide",
    "reel",
    "hornpipe",
    "strathspey",
    "fling",
    "clog",
    "polka",
    "march",
    "waltz",
    "mazurka",
    "polonaise",
    "minuet",
    "gavotte",
    "schottische",
    "air",
    "lament",
    "lullaby",
    "chorale",
    "mass",
    "motet",
    "madrigal",
    "ballata",
    "chanson",
    "quartet",
    "sonata",
    "rag",
    "song",
    "folk song",
    *GENRE_SYNONYMS,  # Essen's genres ("lullaby" is already above)
)
FORMS = tuple(dict.fromkeys(FORMS))

# Essen file-name prefixes -> origin (the Essen Folksong Collection's region files).
ESSEN_ORIGINS: tuple[tuple[str, str], ...] = (
    ("han", "Chinese (Han)"),
    ("natmin", "Chinese (national minorities)"),
    ("shanxi", "Chinese (Shanxi)"),
    ("xinhua", "Chinese"),
    ("altdeu", "German"),
    ("ballad", "German"),
    ("boehme", "German"),
    ("dva", "German"),
    ("erk", "German"),
    ("fink", "German"),
    ("kinder", "German"),
    ("zuccal", "German"),
    ("allerkbd", "German"),
    ("test", "German"),
    ("variant", "German"),
    ("folkhaydn", "German"),
    ("irl", "Irish"),
    ("lux", "Luxembourg"),
    ("lot", "Lorraine"),
    ("elsass", "Alsace"),
    ("schweiz", "Swiss"),
    ("oestr", "Austrian"),
    ("jugos", "Yugoslav"),
    ("rossiya", "Russian"),
    ("magyar", "Hungarian"),
    ("polska", "Polish"),
    ("france", "French"),
    ("nederlan", "Dutch"),
    ("danmark", "Danish"),
    ("czech", "Czech"),
    ("romania", "Romanian"),
    ("sverige", "Swedish"),
    ("italia", "Italian"),
    ("england", "English"),
    ("usa", "American"),
    ("mexico", "Mexican"),
    ("brasil", "Brazilian"),
)

# music21 corpus top folders -> origin / tradition.
COLLECTION_ORIGINS: dict[str, str] = {
    "oneills1850": "Irish",
    "ryansMammoth": "Irish/Scottish/American fiddle tunes",
    "airdsAirs": "Scottish",
    "nottingham-dataset": "English/American folk",
    "miscFolk": "British/American folk",
    "bach": "German Baroque",
    "cpebach": "German Classical",
    "handel": "German-English Baroque",
    "corelli": "Italian Baroque",
    "monteverdi": "Italian Renaissance/Baroque",
    "palestrina": "Italian Renaissance",
    "josquin": "Franco-Flemish Renaissance",
    "lusitano": "Portuguese Renaissance",
    "trecento": "Italian medieval (Trecento)",
    "ciconia": "Italian medieval (Trecento)",
    "luca": "Medieval",
    "haydn": "Austrian Classical",
    "mozart": "Austrian Classical",
    "beethoven": "German Classical",
    "schubert": "Austrian Romantic",
    "weber": "German Romantic",
    "schumann_robert": "German Romantic",
    "schumann_clara": "German Romantic",
    "chopin": "Polish Romantic",
    "verdi": "Italian Romantic",
    "schoenberg": "Austrian modernist",
    "webern": "Austrian modernist",
    "beach": "American Romantic",
    "joplin": "American ragtime",
    "johnson_j_r": "American",
    "liliuokalani": "Hawaiian",
    "leadSheet": "American popular",
}

# Collection -> form when nothing more specific is known.
COLLECTION_FORMS: dict[str, str] = {
    "essenFolksong": "folk song",
    "palestrina": "mass",
    "monteverdi": "madrigal",
    "haydn": "quartet",
    "beethoven": "quartet",
    "joplin": "rag",
}

# Collections of instrumental dance tunes, where the meter is good evidence of the dance.
DANCE_COLLECTIONS = frozenset({"oneills1850", "ryansMammoth", "airdsAirs", "nottingham-dataset"})
DANCE_METERS: dict[str, str] = {"6/8": "jig", "9/8": "slip jig", "12/8": "slide"}

# Title / rhythm-field words -> form; first match wins, so specific names come first.
_FORM_WORDS: tuple[tuple[str, str], ...] = (
    (r"slip[\s-]*jig", "slip jig"),
    (r"double jig|single jig|\bjigg?s?\b", "jig"),
    (r"\bslides?\b", "slide"),
    (r"\breels?\b", "reel"),
    (r"hornpipe", "hornpipe"),
    (r"strathspey", "strathspey"),
    (r"\bfling\b", "fling"),
    (r"\bclog\b", "clog"),
    (r"\bpolkas?\b", "polka"),
    (r"\bmarch\b|\bmarsch\b|quick\s*step", "march"),
    (r"\bwaltz|\bwalzer|\bvalse\b", "waltz"),
    (r"mazur", "mazurka"),
    (r"polonaise", "polonaise"),
    (r"minuet|menuett|menuet", "minuet"),
    (r"gavott", "gavotte"),
    (r"schottis", "schottische"),
    (r"lament|\bcaoine", "lament"),
    (r"lullaby|wiegenlied|cradle song|schlaflied", "lullaby"),
    (r"\bchoral", "chorale"),
    (r"\bmissa\b|\bmass\b|\bkyrie\b|\bgloria\b|\bcredo\b|\bsanctus\b|\bagnus\b|benedictus", "mass"),
    (r"\bmotet", "motet"),
    (r"madrigal", "madrigal"),
    (r"ballata", "ballata"),
    (r"chanson", "chanson"),
    (r"quartet", "quartet"),
    (r"sonat", "sonata"),
    (r"\brag\b|ragtime", "rag"),
    (r"\bairs?\b", "air"),
    (r"\bsong\b|\blied\b", "song"),
)
_FORM_PATTERNS = tuple((re.compile(pat, re.IGNORECASE), form) for pat, form in _FORM_WORDS)


# ----------------------------------------------------------------------------------- origin
def collection_of(source: str) -> str:
    """Top folder of a music21 corpus path; ``user`` for absolute (user) paths."""
    path = PurePosixPath(source)
    if path.is_absolute() or len(path.parts) < 2:
        return "user"
    return path.parts[0]


def origin_of(source: str, collection: str) -> str:
    """People-readable place / tradition from the collection and (for Essen) the file name."""
    if collection == "essenFolksong":
        stem = PurePosixPath(source).stem.lower()
        for prefix, origin in ESSEN_ORIGINS:
            if stem.startswith(prefix):
                return origin
        return ""
    return COLLECTION_ORIGINS.get(collection, "")


# ------------------------------------------------------------------------------------- form
def form_of(title: str, collection: str, meter: str, source: str = "", rhythm: str = "") -> str:
    """Dance type / genre from the ABC rhythm field, title, path, collection and meter."""
    # a Chinese book's label is pinyin throughout ("Mai zahuo diao": mai is no German May)
    genres = genres_of(rhythm, origin_of(source, collection).startswith("Chinese"))
    if genres:  # Essen's own genre label ("Wiegen - Lied" -> lullaby) is the best evidence
        return genres[0]
    stem = PurePosixPath(source).stem.replace("_", " ") if collection != "user" else ""
    for text in (rhythm, title, stem):
        for pattern, form in _FORM_PATTERNS:
            if text and pattern.search(text):
                # a generic "song" says less than the collection's own genre (Essen: folk song)
                return COLLECTION_FORMS.get(collection, form) if form == "song" else form
    if collection == "bach" and PurePosixPath(source).stem.startswith("bwv"):
        return "chorale"  # the bach folder is the Riemenschneider chorale set
    if collection in COLLECTION_FORMS:
        return COLLECTION_FORMS[collection]
    if collection in DANCE_COLLECTIONS:
        return DANCE_METERS.get(meter, "")
    return ""


def meter_only_form(
    title: str, collection: str, meter: str, source: str = "", rhythm: str = ""
) -> str:
    """The form :func:`form_of` gives only because of the meter (an unlabelled 9/8 tune in a
    tune book is taken for a slip jig), else "": a guess, not a word the source wrote."""
    if collection not in DANCE_COLLECTIONS or meter not in DANCE_METERS:
        return ""
    form = form_of(title, collection, meter, source, rhythm)
    return form if form != form_of(title, collection, "", source, rhythm) else ""


# forms that say less than a source genre label (``cantus.features.with_metadata``)
GENERIC_FORMS = frozenset({"", "song", "folk song"})
