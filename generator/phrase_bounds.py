"""Phrase ends of catalog pieces, in bar indices of their stored tokens, read from the sources.

Used by the generator stage so training windows can start and stop on phrase boundaries
(``generator.windows.WindowSampler``, ``p_phrase``). Read cheaply, without building scores:

* **Essen ABC** (``essenFolksong``): each line of music is one phrase (EsAC's phrase lines);
* **other ABC tune books** (O'Neill's, Ryan's, Aird's, miscFolk): a part ends at ``:|``, ``||``
  or ``|]`` (first and second endings both end the part);
* **Bach chorales** (MusicXML, read as XML): a fermata in the top part ends a phrase;
* every other piece: no boundaries (today's windows).

ABC goes through music21's ``ABCHandler`` (tokens and note lengths only, ~3 ms a tune), and
phrase ends are mapped to token bars by *time*: the stored tokens' bars are laid out by metre
(an incomplete first bar is padded at its start, so two notated half bars mid-tune make one
token bar), so counting notated bar lines would drift. A piece whose notated length and token
length disagree by a bar or more (uncut tokens only) gets no boundaries: misaligned ends would
teach EOS mid-phrase, the very thing this fixes. Stored tokens may cover only the first bars
(``MAX_STORED_TOKENS``); ends past them are dropped.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

from cantus.tokens import MAX_STORED_TOKENS

log = logging.getLogger(__name__)

PHRASES_FILE = "phrases.json"  # beside the generator's weights: {"ends": {id: [bar, ...]}, ...}
# an unreadable chorale file (ET.ParseError is a SyntaxError; a missing element, AttributeError)
XML_ERRORS = (OSError, ValueError, AttributeError, StopIteration, SyntaxError, zipfile.BadZipFile)
LINE_MARK = "[|"  # appended to each Essen line so the line end survives ABC tokenising
PART_END_BARS = (":|", "||", "|]")  # ABC bar lines that close a part
# monophonic ABC tune collections (josquin's ABC is polyphonic: voices would add up in time)
ABC_BOOKS = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")


# --------------------------------------------------------------------------- token bars


def token_bar_starts(ids: np.ndarray, t) -> np.ndarray:
    """(n_bars + 1,) start of each token bar in quarter notes, then the end of the last bar."""
    bars = np.flatnonzero(ids == t.bar)
    starts, pos, length = [], Fraction(0), Fraction(4)
    for b in bars:
        ts = t.ts_of_id.get(int(ids[b + 1])) if b + 1 < len(ids) else None
        if ts is not None:
            num, den = ts.split("/")
            length = Fraction(int(num) * 4, int(den))
        starts.append(pos)
        pos += length
    starts.append(pos)
    return np.array([float(s) for s in starts])


def ends_to_bars(ends: list[float], starts: np.ndarray) -> list[int]:
    """Token bar (0-based) holding the end of each phrase (a phrase ending on a bar line
    belongs to the bar before it); ends past the stored bars are dropped."""
    n_bars = len(starts) - 1
    out = {int(np.searchsorted(starts, e - 1e-6) - 1) for e in ends}
    return sorted(b for b in out if 0 <= b < n_bars)


# --------------------------------------------------------------------------- ABC


def split_tunes(text: str) -> dict[str, str]:
    """``X:`` number -> that tune's text (the first tune also under "" for one-tune files)."""
    tunes: dict[str, str] = {}
    for chunk in re.split(r"(?m)^(?=X:)", text):
        m = re.match(r"X:\s*(\d+)", chunk)
        if m:
            tunes.setdefault(str(int(m.group(1))), chunk)
            tunes.setdefault("", chunk)
    return tunes


def mark_lines(tune: str) -> str:
    """The tune with ``LINE_MARK`` after each line of music (header and field lines kept)."""
    out = []
    for line in tune.splitlines():
        body = line.split("%", 1)[0].rstrip()
        is_field = re.match(r"^[A-Za-z]:", body) is not None
        if body and not is_field and not body.endswith("\\"):
            body += " " + LINE_MARK
        out.append(body)
    return "\n".join(out) + "\n"


def abc_phrase_ends(tune: str, by_line: bool) -> tuple[list[float], float, float]:
    """(phrase-end offsets, total length, pickup pad) in quarter notes of one ABC tune.

    ``by_line``: every line ends a phrase (Essen); else part-closing bar lines do. The tune's
    end always ends a phrase. Offsets include the pad an incomplete first bar gets in tokens.
    """
    from music21.abcFormat import ABCHandler

    handler = ABCHandler()
    handler.process(mark_lines(tune) if by_line else tune)
    ends: list[float] = []
    pos, grace, first_bar, bar_len = Fraction(0), False, None, None
    for tok in handler.tokens:
        name = type(tok).__name__
        if name == "ABCGraceStart":
            grace = True
        elif name == "ABCGraceStop":
            grace = False
        elif name == "ABCMetadata" and bar_len is None and tok.isMeter():
            ts = tok.getTimeSignatureObject()
            bar_len = Fraction(ts.barDuration.quarterLength) if ts is not None else None
        elif name in ("ABCNote", "ABCChord") and not grace:
            ql = Fraction(tok.quarterLength).limit_denominator(96)
            if tok.activeTuplet is not None:
                ql *= Fraction(tok.activeTuplet.tupletMultiplier()).limit_denominator(96)
            pos += ql
        elif name == "ABCBar" and pos > 0:
            first_bar = pos if first_bar is None else first_bar
            if tok.src == LINE_MARK if by_line else tok.src in PART_END_BARS:
                ends.append(pos)
    pad = Fraction(0)
    if bar_len is not None and first_bar is not None and 0 < first_bar < bar_len:
        pad = bar_len - first_bar
    ends.append(pos)
    return [float(e + pad) for e in ends], float(pos + pad), float(pad)


# --------------------------------------------------------------------------- chorales


def _musicxml_bytes(path: Path) -> bytes:
    if path.suffix != ".mxl":
        return path.read_bytes()
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if not n.startswith("META-INF") and n[-1] != "/")
        return z.read(name)


def chorale_phrase_ends(path: Path) -> tuple[list[float], float, float]:
    """(ends of the top part's measures holding a fermata, total length, pickup pad) in
    quarter notes. Measures are timed from their notes: a chorale's repeat splits a bar into
    two notated measures (3 + 1 beats) that make one token bar."""
    import xml.etree.ElementTree as ET

    part = ET.fromstring(_musicxml_bytes(path)).find("part")
    ends, pos, divisions, first, bar_len = [], Fraction(0), 1, None, None
    for measure in part.iter("measure"):
        d = measure.find("attributes/divisions")
        divisions = int(d.text) if d is not None else divisions
        beats, kind = (
            measure.find("attributes/time/beats"),
            measure.find("attributes/time/beat-type"),
        )
        if bar_len is None and beats is not None and kind is not None:
            bar_len = Fraction(4 * int(beats.text), int(kind.text))
        length = Fraction(0)
        for el in measure:
            dur = el.find("duration")
            if dur is None or (el.tag == "note" and el.find("chord") is not None):
                continue
            sign = -1 if el.tag == "backup" else 1 if el.tag in ("note", "forward") else 0
            length += sign * Fraction(int(dur.text), divisions)
        pos += max(length, Fraction(0))
        first = pos if first is None else first
        if measure.find(".//fermata") is not None:
            ends.append(pos)
    pad = Fraction(0)
    if bar_len is not None and first is not None and 0 < first < bar_len:
        pad = bar_len - first
    return [float(e + pad) for e in ends], float(pos + pad), float(pad)


# --------------------------------------------------------------------------- catalog


def _corpus_root() -> Path:
    from music21 import common

    return Path(common.getCorpusFilePath())


def _abc_rows(rows, root: Path, t, stats: Counter) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for source, group in rows.groupby("source"):
        tunes = split_tunes((root / source).read_text("latin-1"))
        by_line = source.startswith("essenFolksong/")
        for pid, number, ids in zip(group["id"], group["number"], group["tokens"], strict=True):
            coll = source.split("/")[0]
            tune = tunes.get(str(int(number)) if str(number).isdigit() else "")
            if tune is None:
                stats[f"{coll}:no_tune"] += 1
                continue
            try:
                ends, total, _ = abc_phrase_ends(tune, by_line)
            except Exception as exc:  # music21's ABC reader raises many kinds
                log.debug("phrases: %s unreadable (%s)", pid, exc)
                stats[f"{coll}:unreadable"] += 1
                continue
            out_bars = _aligned(np.asarray(ids), ends, total, t, coll, stats)
            if out_bars:
                out[pid] = out_bars
    return out


def _aligned(ids: np.ndarray, ends, total: float, t, coll: str, stats: Counter) -> list[int]:
    starts = token_bar_starts(ids, t)
    cut = len(ids) >= MAX_STORED_TOKENS - 64  # stored tokens may stop before the tune ends
    last_len = starts[-1] - starts[-2] if len(starts) > 1 else 0.0
    if not cut and abs(starts[-1] - total) >= max(last_len, 1e-6):
        stats[f"{coll}:misaligned"] += 1
        return []
    bars = ends_to_bars(ends, starts)
    stats[f"{coll}:ok" if bars else f"{coll}:none_stored"] += 1
    return bars


def _chorale_rows(rows, root: Path, t, stats: Counter) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for pid, source, ids in zip(rows["id"], rows["source"], rows["tokens"], strict=True):
        try:
            ends, total, _ = chorale_phrase_ends(root / source)
        except XML_ERRORS as exc:
            log.debug("phrases: %s unreadable (%s)", pid, exc)
            stats["bach:unreadable"] += 1
            continue
        if len(ends) < 2:  # no fermatas (or only the last): no phrases marked
            stats["bach:no_fermata"] += 1
            continue
        bars = _aligned(np.asarray(ids), [*ends, total], total, t, "bach", stats)
        if bars:
            out[pid] = bars
    return out


def phrase_ends(catalog) -> tuple[dict[str, list[int]], dict[str, int]]:
    """{piece id: sorted phrase-end bars} for catalog rows (columns id, source, collection, number,
    tokens) whose source marks phrases, and counts by collection:outcome."""
    from generator.vocab import tables

    t, root, stats = tables(), _corpus_root(), Counter()
    ids = catalog["id"].astype(str)
    abc = catalog[ids.str.startswith("m21:") & catalog["collection"].isin(ABC_BOOKS)]
    bach = catalog[
        ids.str.startswith("m21:bach/")
        & catalog["source"].str.contains(r"\.(?:mxl|xml)$", regex=True)
    ]
    out = _abc_rows(abc, root, t, stats)
    out.update(_chorale_rows(bach, root, t, stats))
    return out, dict(sorted(stats.items()))


def save_phrases(path: Path, ends: dict[str, list[int]], stats: dict[str, int]) -> Path:
    path.write_text(json.dumps({"stats": stats, "ends": ends}, separators=(",", ":")))
    return path


def load_phrases(path: Path) -> dict[str, list[int]]:
    return json.loads(path.read_text())["ends"] if path.is_file() else {}
