"""Musical and metadata features of one piece: the catalog's descriptive columns.

``extract_features(score, source, number)`` walks the parsed music21 stream once for notes and
once for meter / key / tempo marks, runs one key analysis, and derives the place of origin and
the form (dance type, genre) from the source path, title words, ABC rhythm field and meter.
It is the only feature extractor; captions and search filters read its output.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from cantus.metadata import (
    GENRE_SYNONYMS,
    META_COLUMNS,
    chorale_title,
    genres_of,
    repair_dos_text,
)

log = logging.getLogger(__name__)

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

DEFAULT_QUARTER_BPM = 120.0  # MIDI's default; used for durations when a piece gives no tempo

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

# Composer when the file names none (only where the whole collection is one composer's).
COLLECTION_COMPOSERS: dict[str, str] = {
    "bach": "J.S. Bach",
    "cpebach": "C.P.E. Bach",
    "palestrina": "Giovanni Pierluigi da Palestrina",
    "monteverdi": "Claudio Monteverdi",
    "beethoven": "Ludwig van Beethoven",
    "mozart": "Wolfgang Amadeus Mozart",
    "haydn": "Joseph Haydn",
    "josquin": "Josquin des Prez",
    "schumann_robert": "Robert Schumann",
    "schumann_clara": "Clara Schumann",
    "chopin": "Frédéric Chopin",
    "handel": "George Frideric Handel",
    "corelli": "Arcangelo Corelli",
    "schubert": "Franz Schubert",
    "verdi": "Giuseppe Verdi",
    "weber": "Carl Maria von Weber",
    "webern": "Anton Webern",
    "schoenberg": "Arnold Schoenberg",
    "beach": "Amy Beach",
    "joplin": "Scott Joplin",
    "ciconia": "Johannes Ciconia",
    "lusitano": "Vicente Lusitano",
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
    genres = genres_of(rhythm)
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


# -------------------------------------------------------------------------------------- key
_FIFTHS = "FCGDAEB"  # letters a fifth apart; C major (0 sharps) sits at index 1, A minor at 4


def tonic_by_sharps(sharps: int, minor: bool) -> str:
    """The key's tonic in music21 spelling ("F#", "B-") from its signature's sharps (-7..7)."""
    step = sharps + (4 if minor else 1)
    accidental = "#" * (step // 7) if step >= 0 else "-" * -(step // 7)
    return _FIFTHS[step % 7] + accidental


@functools.cache
def _key_profiles() -> np.ndarray:
    """(2, 12) Aarden-Essen major/minor weights: music21's default ``analyze("key")`` profile."""
    from music21.analysis.discrete import AardenEssen

    weights = AardenEssen()
    return np.array([weights.getWeights("major"), weights.getWeights("minor")], dtype=float)


def pitch_class_durations(notes: Iterable[Any]) -> np.ndarray:
    """Quarter-length of sounding time per pitch class (chord tones each counted)."""
    dist = np.zeros(12)
    for element in notes:
        length = float(element.quarterLength) or 0.25  # grace notes still count a little
        for pitch in element.pitches:
            dist[pitch.pitchClass] += length
    return dist


def key_correlations(dist: np.ndarray) -> np.ndarray:
    """(2, 12) Pearson r of ``dist`` with each major (row 0) / minor (row 1) key profile.

    The Krumhansl-Schmuckler method with music21's default weights, computed in one numpy
    step instead of music21's per-candidate Key objects (about 70 ms per piece).
    """
    profiles = _key_profiles()
    # rotate the distribution so that index 0 is the candidate tonic: (12 tonics, 12)
    rotated = np.stack([np.roll(dist, -tonic) for tonic in range(12)])
    r = np.zeros((2, 12))
    for mode in (0, 1):
        a = rotated - rotated.mean(axis=1, keepdims=True)
        b = profiles[mode] - profiles[mode].mean()
        denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum())
        r[mode] = np.where(denom > 0, (a @ b) / np.where(denom > 0, denom, 1), 0.0)
    return r


def _sharps(tonic_pc: int, minor: bool) -> int:
    """Key-signature sharps (negative: flats) of a key, in -5..6."""
    major_pc = (tonic_pc + 3) % 12 if minor else tonic_pc
    sharps = (major_pc * 7) % 12
    return sharps - 12 if sharps > 6 else sharps


def _declared_key(flat: Any) -> Any | None:
    """The first key signature in the score (a ``key.Key`` when the source names a mode)."""
    from music21 import key

    sigs = flat.getElementsByClass(key.KeySignature)
    return sigs[0] if len(sigs) else None


def choose_key(r: np.ndarray, declared_sharps: int | None) -> tuple[int, bool, float, int]:
    """(tonic pitch class, minor?, r, sharps) of the best key.

    The written signature settles near-ties (relative major/minor, a fifth away) unless the
    music clearly contradicts it (correlation gap > 0.1).
    """
    order = sorted(((r[m, t], t, bool(m)) for m in (0, 1) for t in range(12)), reverse=True)
    best_r, tonic, minor = order[0]
    chosen = (tonic, minor, best_r, _sharps(tonic, minor))
    if declared_sharps is None:
        return chosen
    for cand_r, cand_tonic, cand_minor in order:
        if best_r - cand_r > 0.1:
            break
        if (_sharps(cand_tonic, cand_minor) - declared_sharps) % 12 == 0:
            return cand_tonic, cand_minor, cand_r, declared_sharps
    return chosen


def key_features(flat: Any, notes: list[Any] | None = None) -> dict[str, Any]:
    """Key name, tonic, mode and confidence (Pearson r of the chosen key, clipped to 0..1)."""
    dist = pitch_class_durations(notes if notes is not None else flat.notes)
    if dist.sum() <= 0:
        return {"key": "", "tonic": "", "mode": "", "key_confidence": 0.0}
    declared = _declared_key(flat)
    declared_sharps = declared.sharps if declared is not None else None
    _pc, minor, corr, sharps = choose_key(key_correlations(dist), declared_sharps)
    tonic, mode = tonic_by_sharps(sharps, minor), "minor" if minor else "major"
    declared_mode = getattr(declared, "mode", None)
    if declared_mode and declared_mode not in ("major", "minor") and declared_sharps == sharps:
        # the source names a church mode (e.g. ABC "K:Ador"); trust it over major/minor
        tonic, mode = declared.tonic.name, declared_mode
    confidence = float(max(0.0, min(1.0, corr)))
    return {"key": f"{tonic} {mode}", "tonic": tonic, "mode": mode, "key_confidence": confidence}


# ---------------------------------------------------------------------------- meter / tempo
def meter_of(flat: Any) -> str:
    """The time signature in force at the first note; else the most frequent one.

    music21's ABC reader sometimes drops the opening signature and writes a short one (1/16)
    for a mid-tune pickup bar, so ABC callers should pass the ``M:`` field instead.
    """
    from music21 import meter

    sigs = list(flat.getElementsByClass(meter.TimeSignature))
    if not sigs:
        return ""
    first_note = flat.notes.first()
    start = first_note.offset if first_note is not None else 0.0
    in_force = [ts for ts in sigs if ts.offset <= start]
    if in_force:
        return in_force[-1].ratioString
    names = [ts.ratioString for ts in sigs]
    return max(names, key=names.count)


def abc_meter(field: str) -> str | None:
    """Meter from an ABC ``M:`` field ("C" -> 4/4, "C|" -> 2/2); None when unusable."""
    field = field.strip().split("%")[0].strip()
    if field in ("C", "c"):
        return "4/4"
    if field in ("C|", "c|"):
        return "2/2"
    if field.lower() in ("none", "free"):
        return ""
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", field)
    return f"{int(match.group(1))}/{int(match.group(2))}" if match else None


def tempo_of(flat: Any) -> tuple[float, str, float]:
    """(explicit quarter bpm or NaN, tempo text or "", bpm to time the piece with)."""
    from music21 import tempo

    bpm, text, timing = math.nan, "", DEFAULT_QUARTER_BPM
    for mark in flat.getElementsByClass(tempo.TempoIndication):
        if not text and getattr(mark, "text", None):
            text = str(mark.text).strip()
        if isinstance(mark, tempo.MetronomeMark) and math.isnan(bpm):
            quarter = _quarter_bpm(mark)
            if quarter:
                timing = quarter
                if mark.number is not None:
                    bpm = quarter
        if text and not math.isnan(bpm):
            break
    return bpm, text, timing


def _quarter_bpm(mark: Any) -> float | None:
    try:
        value = mark.getQuarterBPM()
    except Exception:
        return None
    return float(value) if value and 10 <= value <= 400 else None


# ------------------------------------------------------------------------------------ notes
def note_stats(notes: Iterable[Any]) -> dict[str, Any]:
    """Note count (chord tones counted), lowest / highest MIDI pitch, ambitus."""
    low, high, count = 128, -1, 0
    for element in notes:
        for pitch in element.pitches:
            midi = pitch.midi
            count += 1
            low, high = min(low, midi), max(high, midi)
    if count == 0:
        return {"n_notes": 0, "pitch_low": 0, "pitch_high": 0, "ambitus": 0}
    return {"n_notes": count, "pitch_low": low, "pitch_high": high, "ambitus": high - low}


def bar_count(score: Any, length_ql: float, meter: str) -> int:
    """Measures in the first part; from the length and meter when the score has no measures."""
    from music21 import stream

    part = score.parts[0] if isinstance(score, stream.Score) and score.parts else score
    measures = len(part.getElementsByClass(stream.Measure))
    if measures:
        return measures
    if length_ql:
        # unmeasured music: count 4/4 bars, as the tokenizer does without a time signature
        num, den = (int(x) for x in meter.split("/")[:2]) if meter else (4, 4)
        return max(1, math.ceil(length_ql / (4 * num / den)))
    return 0


def part_count(score: Any) -> int:
    from music21 import stream

    return max(1, len(score.parts)) if isinstance(score, stream.Score) else 1


# --------------------------------------------------------------------------------- metadata
_SCORE_SUFFIX = re.compile(r"\.(mxl|xml|musicxml|krn|abc|mid|midi|mei)$", re.IGNORECASE)
_NUMBERED_TITLE = re.compile(r"^\d+\.\s+\S")  # "1. LA GIOVINETTA PIANTA"


def title_composer(score: Any, source: str, number: str, collection: str) -> tuple[str, str]:
    """Title and composer from the metadata, repaired where corpus files misfile them."""
    md = score.metadata
    title = _clean((md.title or md.movementName) if md is not None else "")
    composer = _clean(md.composer if md is not None else "")
    if _NUMBERED_TITLE.match(composer):
        # some Finale exports (Monteverdi madrigals) put the title in the composer field
        title, composer = composer, ""
    if collection == "monteverdi":
        # these files name the part ("CANTO") or OCR noise as title and the poet as composer
        title = (
            title if _NUMBERED_TITLE.match(title) else _fallback_title(source, number, collection)
        )
        composer = COLLECTION_COMPOSERS[collection]
    if not title or _SCORE_SUFFIX.search(title) or title == PurePosixPath(source).stem:
        title = _fallback_title(source, number, collection)
    return display_title(title), composer or COLLECTION_COMPOSERS.get(collection, "")


def _clean(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


_TRAILING_JOINERS = re.compile(r"[\s,;:]+$")


def display_title(title: Any) -> str:
    """A title as shown: without the trailing commas/colons tune books leave ("Morfa
    Rhuddlan,"). Periods stay: they end abbreviations ("St.") as often as titles."""
    return _TRAILING_JOINERS.sub("", _clean(title))


KEYWORD_FIELDS = (
    "title",
    "composer",
    "collection",
    "origin",
    "form",
    "genre",
    "genre_original",
    "region",
    "notes",
    "meter",
    "key",
)


def keyword_text(features: dict[str, Any]) -> str:
    """Metadata text for keyword search: title, composer, collection, origin, form, genre (English
    and original), region, notes, meter, key."""
    fields = KEYWORD_FIELDS
    return " ".join(str(features.get(f) or "") for f in fields if features.get(f)).strip()


# ------------------------------------------------------------------------------------- main
def extract_features(
    score: Any,
    source: str,
    number: str,
    collection: str | None = None,
    rhythm: str = "",
    title: str | None = None,
    meter: str | None = None,
) -> dict[str, Any]:
    """All descriptive catalog columns of one parsed piece.

    ``rhythm`` is the ABC ``R:`` field when known (e.g. "double jig"); ``title`` overrides the
    score's metadata title; ``meter`` the one read from the score (ABC ``M:``, see
    ``abc_meter``).
    """
    collection = collection or collection_of(source)
    flat = score.flatten()
    meta_title, composer = title_composer(score, source, number, collection)
    title = _clean(title) or meta_title
    meter = meter if meter is not None else meter_of(flat)
    bpm, tempo_text, timing_bpm = tempo_of(flat)
    length_ql = float(score.highestTime or 0.0)
    seconds = length_ql * 60.0 / timing_bpm
    note_list = list(flat.notes)  # iterated twice below; music21 iterators are slow
    notes = note_stats(note_list)
    features: dict[str, Any] = {
        "source": source,
        "number": str(number or ""),
        "collection": collection,
        "origin": origin_of(source, collection),
        "title": title,
        "composer": composer,
        "meter": meter,
        **key_features(flat, note_list),
        "tempo_bpm": bpm,
        "tempo_text": tempo_text,
        "bars": bar_count(score, length_ql, meter),
        "seconds": round(seconds, 3),
        **notes,
        "note_density": round(notes["n_notes"] / seconds, 4) if seconds > 0 else 0.0,
        "parts": part_count(score),
        "form": form_of(title, collection, meter, source, rhythm),
    }
    features["text"] = keyword_text(features)
    return features


GENERIC_FORMS = frozenset({"", "song", "folk song"})


def with_metadata(features: dict[str, Any], meta: dict[str, str]) -> dict[str, Any]:
    """``features`` plus the source metadata columns (``cantus.metadata``); a tune book's dance
    form is its genre when the source names no other; keyword text recomputed."""
    out = {**features, **{name: meta.get(name, "") for name in META_COLUMNS}}
    out["title"] = repair_dos_text(str(out.get("title") or ""))
    if not out["genre"] and out.get("form") not in GENERIC_FORMS:
        out["genre"] = out["form"]
    elif out["genre"] and out.get("form") in GENERIC_FORMS:
        out["form"] = out["genre"].split(", ")[0]
    out["text"] = keyword_text(out)
    return out


def _fallback_title(source: str, number: str, collection: str) -> str:
    stem = PurePosixPath(source).stem
    if collection == "bach" and stem.lower().startswith("bwv"):
        name = chorale_title(source)
        return f"{name} (BWV {stem[3:]})" if name else f"Chorale BWV {stem[3:]}"
    if collection == "monteverdi" and stem.startswith("madrigal."):
        return f"Madrigal {stem.split('.', 1)[1]}"
    stem = stem.replace("_", " ")
    return f"{stem} #{number}" if number else stem
