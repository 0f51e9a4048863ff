"""Metadata the sources carry beyond title and composer: genre, region and notes.

Essen's ABC files label each song's genre in German (``R: Kinder -, Wiegen - Lied``) or in
Chinese romanisation (``R: Xiaodiao``) and its place in ``O:`` ("Europa, Mitteleuropa,
Deutschland, Schlesien"; "China, Shaanxi, Zizhou"); ``N:``, ``S:`` and ``B:`` hold notes and
sources. The tune books' ``R:`` fields name dances in English. This module reads those fields,
maps genre labels to English genre words (the original label is kept beside them) and place
names to English, and names the Bach chorales from music21's Riemenschneider/BWV list.

Decisions:
* Genre words keep the order the label gives them; the first is the piece's main genre (the
  ``form`` facet), the rest stay searchable in ``genre``.
* Unknown labels and places are kept verbatim: a word we cannot translate is still a word a
  user may type.
"""

from __future__ import annotations

import functools
import re
from pathlib import PurePosixPath
from typing import Any

from cantus.label_words import GENRE_PATTERNS, THEME_WORDS, TITLE_SYNONYMS, label_words
from cantus.pinyin_genres import fold as pinyin_fold
from cantus.pinyin_genres import pinyin_genres, pinyin_spans, pinyin_themes
from cantus.place_words import DROPPED_PLACES, PLACE_ADJECTIVES, PLACE_WORDS

_GENRE_RES = tuple((re.compile(p, re.IGNORECASE), g) for p, g in GENRE_PATTERNS)

NOTE_FIELDS = ("N", "S", "B", "H", "Z", "A", "C", "D", "F", "G")  # W:/w: are lyrics
_FIELD = re.compile(r"^([A-Za-z]):[ \t]*(.*?)\s*$", re.MULTILINE)
MAX_NOTES_CHARS = 600  # notes feed keyword search; the tail of long notes is bibliography
MAX_LYRICS_CHARS = 300  # the opening words name a song; later stanzas repeat its vocabulary


def repair_dos_text(text: str) -> str:
    """Essen's files write umlauts in the DOS code page (0x81 = ü, 0x84 = ä, 0x94 = ö), which
    decode as invisible C1 control characters: read them as code page 437 again."""
    return _C1.sub(lambda m: bytes([ord(m.group())]).decode("cp437"), text)


_C1 = re.compile(r"[\x80-\x9f]")


def abc_fields(tune: str) -> dict[str, list[str]]:
    """Every ``X: value`` header/inline field of one ABC tune, by letter, in order."""
    fields: dict[str, list[str]] = {}
    for match in _FIELD.finditer(repair_dos_text(tune or "")):
        value = match.group(2).strip().strip("]").strip()
        if value and not set(value) <= {"?", "y"}:  # Essen writes ??? / yyy for unknown
            fields.setdefault(match.group(1), []).append(value)
    return fields


def genres_of(label: str, chinese: bool = False) -> list[str]:
    """English genre words in a source label, in the label's order, no repeats. Pinyin words
    are read by their syllables (``cantus.pinyin_genres``); where a label names a Chinese genre,
    or belongs to a Chinese song (``chinese``), the German patterns see only its other words
    ("Wuge, Mai zahuo diao" and a Chinese song's "Mai zahuo diao": mai is no May)."""
    label = repair_dos_text(label or "")
    folded = pinyin_fold(label)
    found = pinyin_genres(folded)
    if found or chinese:  # blank the pinyin words, keeping every other word where it stands
        for start, end in pinyin_spans(folded):
            label = label[:start] + " " * (end - start) + label[end:]
    for pattern, genre in _GENRE_RES:
        match = pattern.search(label)
        if match:
            found.append(((match.start(), 0), genre))
    return list(dict.fromkeys(genre for _, genre in sorted(found)))


def label_themes(label: str) -> list[str]:
    """English for the themes a genre label names beside its genres ("Ballade, Mord, Tod" ->
    ["murder", "death"]), each once, in the label's order."""
    label = repair_dos_text(label or "")
    found = [THEME_WORDS.get(w) for w in label_words(label)]
    return list(dict.fromkeys(w for w in [*found, *pinyin_themes(pinyin_fold(label))] if w))


def is_chinese(region: str) -> bool:
    """Whether a piece's ``region`` (English, most general first) is in China: its title and
    label are pinyin, never German ("Die" is no pinyin "die" there)."""
    return (region or "").split(",")[0].strip() in CHINESE_REGIONS


CHINESE_REGIONS = frozenset({"China", "Taiwan"})


def title_themes(title: str, region: str) -> list[str]:
    """English for what a Chinese song's pinyin title names ("Tiqi balujun" -> "Eighth Route
    Army"; ``cantus.pinyin_genres`` THEME_PARTS); nothing for a song from elsewhere."""
    return pinyin_themes(pinyin_fold(title or ""), title=True) if is_chinese(region) else []


def title_english(text: str) -> list[str]:
    """English names of a famous chorale, mass or hymn that ``text`` names in German or Latin
    ("Ein feste Burg ist unser Gott" -> ["A Mighty Fortress Is Our God"])."""
    return [english for pattern, english in _TITLE_RES if pattern.search(text or "")]


def title_english_spans(text: str) -> list[tuple[str, str]]:
    """(the words of ``text`` a ``TITLE_SYNONYMS`` pattern matched, their English) for each
    pattern that matches: ("Quick Step 42d. Regt.") -> [("Regt", "regiment regimental")]."""
    text = text or ""
    found = ((p.search(text), e) for p, e in _TITLE_RES)
    return [(_whole_words(text, m.start(), m.end()), e) for m, e in found if m]


def _whole_words(text: str, start: int, end: int) -> str:
    """The words a match touches, whole ("de Beata Virgin" of "... Virgine" -> "... Virgine")."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end].strip()


_TITLE_RES = tuple((re.compile(p, re.IGNORECASE), e) for p, e in TITLE_SYNONYMS)


def title_genres(title: str) -> list[str]:
    """Genres a title names as a song word ("Wiegenlied", "Liebes-Lied"): only words ending in
    "lied", since a title's other words mislead ("Koenigskinder" is a ballad, "lieber" = dear)."""
    words = re.findall(r"[^\W\d_]+(?:\s*-\s*[^\W\d_]+)*", title or "")
    songs = [w for w in words if re.search(r"lied(?:er|chen)?$", w, re.IGNORECASE)]
    return genres_of(" ".join(songs)) if songs else []


def region_of(origin_field: str) -> str:
    """Essen's O: field in English, most general first: "Germany, Silesia"."""
    places: list[str] = []
    for part in re.split(r"[,;/]", origin_field or ""):
        name = " ".join(part.split())
        if not name or name.casefold() in DROPPED_PLACES:
            continue
        english = PLACE_WORDS.get(name.casefold(), name)
        if english not in places:
            places.append(english)
    return ", ".join(places)


def region_adjectives(region: str) -> list[str]:
    """ "Germany, Silesia" -> ["German", "Silesian"] (places without a known adjective skipped)."""
    places = (p.strip() for p in region.split(","))
    return list(dict.fromkeys(PLACE_ADJECTIVES[p] for p in places if p in PLACE_ADJECTIVES))


@functools.cache
def _chorale_titles() -> dict[str, str]:
    from music21.corpus.chorales import ChoraleListRKBWV

    return {bwv: entry["title"] for bwv, entry in ChoraleListRKBWV().byBWV.items()}


def chorale_title(source: str) -> str:
    """The chorale's name for a Bach corpus file ("bach/bwv269.mxl" -> "Aus meines Herzens
    Grunde"); "" when music21's list does not know the BWV number."""
    stem = PurePosixPath(source).stem.lower()
    if not stem.startswith("bwv"):
        return ""
    number = stem[3:]
    titles = _chorale_titles()
    return titles.get(number) or titles.get(number.split(".")[0] + ".1", "")


# Sections of the Mass Ordinary by the short name scores give them -> the liturgy's name.
MASS_SECTIONS: dict[str, str] = {"agnus": "Agnus Dei", "pleni": "Pleni sunt caeli"}


def mass_section_title(title: str, parent_title: str) -> str:
    """A mass movement's title with its liturgical name: "Agnus I" of "Missa Brevis" ->
    "Agnus Dei I". Only inside a source that names its parent work a Missa; else unchanged."""
    if not re.match(r"missa\b", parent_title or "", re.IGNORECASE):
        return title
    first, _, rest = (title or "").partition(" ")
    name = MASS_SECTIONS.get(first.casefold())
    if name is None or rest.casefold().startswith(name.split()[1].casefold()):
        return title
    return f"{name} {rest}".strip()


@functools.cache
def roman_text_title(path: str) -> str:
    """The ``Title:`` line of the RomanText analysis music21 ships beside a score
    ("madrigal.3.10.mxl" -> "Poi Ch'ella in Sé Tornó, ..."); "" when there is none."""
    companion = PurePosixPath(path).with_suffix(".rntxt")
    try:
        with open(companion, encoding="utf-8") as handle:
            head = [next(handle, "") for _ in range(8)]
    except FileNotFoundError:
        return ""
    found = next((line for line in head if line.startswith("Title:")), "")
    return " ".join(found.removeprefix("Title:").split())


def abc_metadata(tune: str) -> dict[str, str]:
    """Genre, region and notes of one ABC tune (empty strings when it has none). Without an
    ``R:`` label, a genre word in the title ("Wiegenlied", "Fruehlingslied") names the genre."""
    fields = abc_fields(tune)
    label = "; ".join(fields.get("R", []))
    origin = "; ".join(fields.get("O", []))
    region = region_of(origin)
    chinese = is_chinese(region)
    genres = genres_of(label, chinese) if label else title_genres(fields.get("T", [""])[0])
    notes = " ".join(v for letter in NOTE_FIELDS for v in fields.get(letter, []))
    return {
        "genre": ", ".join(genres),
        "genre_original": label,
        "region": region,
        "notes": " ".join(filter(None, (origin, notes)))[:MAX_NOTES_CHARS],
        "lyrics": abc_lyrics(fields),
    }


def trim_words(text: str, limit: int = MAX_LYRICS_CHARS) -> str:
    """``text`` with spaces collapsed, cut at the last word boundary within ``limit``."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] if " " in cut else cut


def abc_lyrics(fields: dict[str, list[str]]) -> str:
    """The words of an ABC tune: ``W:`` (whole words after the tune), else the ``w:`` lines
    under the notes with their syllable marks removed ("gio-vi-net-ta" -> "giovinetta")."""
    if fields.get("W"):
        return trim_words(" ".join(fields["W"]))
    lines = " ".join(fields.get("w", []))
    lines = re.sub(r"\s*-\s*", "", lines.replace("\\-", "\x00"))  # "\-" is a literal hyphen
    return trim_words(re.sub(r"[_*|~]", " ", lines).replace("\x00", "-"))


def score_lyrics(score: Any) -> str:
    """The sung words of a parsed score: its first part that carries lyrics (the top voice in
    chorales and madrigals), syllables joined by music21's ``text.assembleLyrics``."""
    from music21 import text

    for part in getattr(score, "parts", None) or [score]:
        words = text.assembleLyrics(part)
        if words and words.strip():
            return trim_words(words)
    return ""


# metadata fields that hold numbers, file facts or licence boilerplate, not words about the music
SKIPPED_FIELDS = frozenset(
    {
        "ambitus", "noteCount", "quarterLength", "scoreQuarterLength", "pitchHighest",
        "pitchLowest", "keySignatureFirst", "keySignatures", "numberOfParts", "tempoFirst",
        "tempos", "timeSignatureFirst", "timeSignatures", "sourcePath", "fileFormat", "filePath",
        "corpusFilePath", "software", "copyright", "electronicEditor", "humdrum:YEM",
        "humdrum:EMD", "humdrum:YEN", "humdrum:END", "humdrum:CDT", "dateCreated", "number",
    }
)  # fmt: skip


def score_metadata(md: Any) -> dict[str, str]:
    """Words a score's metadata carries besides title/composer (MusicXML work and movement
    titles, creators, Humdrum reference records such as the parent mass, MEI headers)."""
    texts: list[str] = []
    if md is not None:
        for name, value in md.all(skipContributors=False):
            text = " ".join(str(value).split())
            if name not in SKIPPED_FIELDS and text and text not in texts:
                texts.append(text)
    notes = " ".join(texts)
    return {
        "genre": "",
        "genre_original": "",
        "region": "",
        "notes": notes[:MAX_NOTES_CHARS],
        "lyrics": "",
    }


META_COLUMNS = ("genre", "genre_original", "region", "notes", "lyrics")


def source_metadata(tune: str | None = None, score: Any | None = None) -> dict[str, str]:
    """Genre, region and notes of one work: from its ABC text when it has one, else from the
    parsed score."""
    if tune:
        return abc_metadata(tune)
    meta = score_metadata(getattr(score, "metadata", None))
    meta["lyrics"] = score_lyrics(score) if score is not None else ""
    names = part_names(score)  # MIDI track names, MusicXML/MEI part names ("Flute", "Alto")
    if names:
        meta["notes"] = " ".join(filter(None, [meta["notes"], *names]))[:MAX_NOTES_CHARS]
    return meta


def part_names(score: Any) -> list[str]:
    """Distinct part (MIDI track) names of a parsed score, in order."""
    names = (getattr(p, "partName", None) for p in getattr(score, "parts", ()) or ())
    return list(dict.fromkeys(" ".join(str(n).split()) for n in names if n and str(n).strip()))


def primary_genre(genre: str) -> str:
    """The main genre of a ``genre`` column value ("children's song, lullaby" -> first)."""
    return genre.split(", ")[0] if genre else ""
