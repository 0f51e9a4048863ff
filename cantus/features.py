"""Musical and metadata features of one piece: the catalog's descriptive columns.

``extract_features(score, source, number)`` walks the parsed music21 stream once for notes and
once for meter / key / tempo marks, runs one key analysis, and derives the place of origin and
the form (dance type, genre) from the source path, title words, ABC rhythm field and meter.
It is the only feature extractor; captions and search filters read its output. Origin and
form come from ``cantus.forms``, the key from ``cantus.keys``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from cantus.forms import GENERIC_FORMS, collection_of, form_of, origin_of
from cantus.keys import key_features
from cantus.metadata import (
    META_COLUMNS,
    chorale_title,
    mass_section_title,
    repair_dos_text,
    roman_text_title,
)

log = logging.getLogger(__name__)


DEFAULT_QUARTER_BPM = 120.0  # MIDI's default; used for durations when a piece gives no tempo

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
        # these files name the part ("CANTO") or OCR noise as title and the poet as composer;
        # the RomanText analysis beside each names the madrigal
        named = fallback_title(source, number, collection)
        title = title if _NUMBERED_TITLE.match(title) and named.startswith("Madrigal ") else named
        composer = COLLECTION_COMPOSERS[collection]
    if not title or _SCORE_SUFFIX.search(title) or title == PurePosixPath(source).stem:
        title = fallback_title(source, number, collection)
    title = mass_section_title(title, _clean(getattr(md, "parentTitle", "") if md else ""))
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
    "lyrics",
    "meter",
    "key",
)


def keyword_text(features: dict[str, Any]) -> str:
    """Metadata text for keyword search: title, composer, collection, origin, form, genre (English
    and original), region, notes, lyrics, meter, key."""
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


def fallback_title(source: str, number: str, collection: str) -> str:
    stem = PurePosixPath(source).stem
    if collection == "bach" and stem.lower().startswith("bwv"):
        name = chorale_title(source)
        return f"{name} (BWV {stem[3:]})" if name else f"Chorale BWV {stem[3:]}"
    if collection == "monteverdi" and stem.startswith("madrigal."):
        from cantus.works import corpus_root

        named = roman_text_title(str(corpus_root() / source))
        return named or f"Madrigal {stem.split('.', 1)[1]}"
    stem = stem.replace("_", " ")
    return f"{stem} #{number}" if number else stem
