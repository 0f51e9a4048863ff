"""Variations of a piece's opening (``cantus inspire --vary ID --keep rhythm|contour``).

The source is the piece's **top line** over its first ``bars`` bars (the highest note at each
onset, each note cut where the next one starts, so it is one voice), moved to the canonical key:

* ``--keep rhythm`` — the bar structure, onsets and durations are kept note for note (forced
  tokens); every pitch is sampled anew under the melody voice's limits, the last one on the tonic;
* ``--keep contour`` — the direction of each melodic step (up / down / repeat) is kept while the
  rhythm is sampled anew under the usual phrase plan.

The copy guard is measured against the catalog (which holds the source) and, reported apart,
against the source alone (``source_copied_notes``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import BadInput, MissingArtifact
from generator.checks import check_meter, parse_key
from generator.decode import TEMPLATE_PITCH
from generator.mgeval import top_line
from generator.requests import Request, fit_shift
from generator.vocab import (
    KIND_PITCH,
    canonical_shift,
    first_meter,
    notes_to_ids,
    parse_notes,
    tables,
    tonic_pitch_class,
)
from generator.voices import Voice

if TYPE_CHECKING:
    from recommender.engine import Engine

KEEPS = ("rhythm", "contour")


def source_opening(ids: list[int], bars: int) -> tuple[list[int], str, int]:
    """(one-voice ids of the first ``bars`` bars, metre, bars used) of a piece's tokens."""
    meter = first_meter(ids)
    notes, n_bars = parse_notes(ids)
    use = min(bars, n_bars)
    line = [n for n in top_line(notes) if n.bar < use]
    if meter is None or len(line) < 2:
        msg = "the piece has no melody to vary (fewer than two notes or no metre)"
        raise BadInput(msg)
    return notes_to_ids(line, meter, use), meter, use


def rhythm_template(ids: list[int]) -> list[int]:
    """``ids`` with every pitch replaced by ``TEMPLATE_PITCH`` (sampled anew)."""
    t = tables()
    return [TEMPLATE_PITCH if t.kind[i] == KIND_PITCH else int(i) for i in ids]


def contour_of(ids: list[int]) -> list[int]:
    """Directions of the line's melodic steps: -1 down, 0 repeat, 1 up."""
    pitches = [n.pitch for n in parse_notes(ids)[0]]
    return np.sign(np.diff(pitches)).astype(int).tolist()


def piece_tokens(engine: Engine, piece_id: str) -> list[int]:
    """Stored music tokens of a catalog piece, read for that piece alone (BadInput if the id is
    unknown; MissingArtifact if the engine knows it but no catalog file holds it)."""
    from cantus.catalog import load_piece_tokens

    engine.row(piece_id)  # BadInput on unknown ids
    folder = getattr(engine, "data_dir", None)
    tokens = load_piece_tokens(piece_id, Path(folder) if folder else None)
    if tokens is None:
        msg = f"piece {piece_id!r} is in the index but in no catalog file: rebuild the data dir"
        raise MissingArtifact(msg)
    return tokens


def request_from_vary(
    engine: Engine,
    piece_id: str,
    keep: str | None,
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    """A request that varies the opening of ``piece_id`` (see the module docstring)."""
    keep = (keep or "rhythm").strip().lower()
    if keep not in KEEPS:
        msg = f"unknown --keep {keep!r} (expected rhythm or contour)"
        raise BadInput(msg)
    piece_id = str(piece_id or "").strip()
    if not piece_id:
        msg = "--vary needs a piece id"
        raise BadInput(msg)
    row = engine.catalog.iloc[engine.row(piece_id)]
    line, src_meter, used = source_opening(piece_tokens(engine, piece_id), bars)
    if keep == "rhythm" and meter is not None and check_meter(meter, meters) != src_meter:
        msg = f"--keep rhythm keeps the piece's {src_meter}; --meter {meter} would move its bars"
        raise BadInput(msg)
    src_tonic, src_mode = parse_key(str(row["key"]) or "C major")
    shift = fit_shift(line, canonical_shift(tonic_pitch_class(src_tonic)))
    from cantus import tokens

    canon = tokens.transpose_ids(line, shift)
    tonic, mode = parse_key(key) if key is not None else (src_tonic, src_mode)
    vec = np.asarray(engine.embeddings[engine.row(piece_id)], dtype=np.float32)
    req = Request(
        cond=vec / max(float(np.linalg.norm(vec)), 1e-8),
        conditioned_on=[piece_id],
        meter=src_meter if keep == "rhythm" else check_meter(meter or src_meter, meters),
        tonic=tonic,
        mode=mode,
        bars=used if keep == "rhythm" else bars,
        texture="melody",
        titles=[str(row.get("title", ""))],
        info={"variation": {"of": piece_id, "keep": keep, "source_bars": used}},
    )
    if keep == "rhythm":
        req.template = rhythm_template(canon)
    else:
        req.contour = contour_of(canon)
    req.source = canon
    return req


def source_register(voice: Voice, source: list[int], margin: int = 2) -> Voice:
    """``voice`` confined to the source line's register (+- ``margin``, at least an octave wide so
    every degree is reachable), so a variation sits where its source sits."""
    pitches = [n.pitch for n in parse_notes(source)[0]]
    if not pitches:
        return voice
    low, high = min(pitches) - margin, max(pitches) + margin
    high = max(high, low + 12)
    return replace(voice, low=low, high=high)
