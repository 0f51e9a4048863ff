"""The corpus's own figures beside ``cantus eval generation``'s seeds, measured with the seeds'
code on training pieces (held-out test pieces excluded): the chorales' melody and bass (the
targets of ``generator.voices.SOPRANO_INTERVALS``) and, per style, the melody's slips and
phrase-final approaches (``generator.spelling``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from generator.eval_styles import STYLES, Context
from generator.mgeval import interval_shares, musician_report
from generator.part_writing import part_writing_report
from generator.spelling import melodic_report

CORPUS_PIECES = 400  # training pieces per style whose openings give the corpus's slip figures


def corpus_voices(ctx: Context) -> dict[str, Any]:
    """Melody and bass figures of the training chorales' openings (held-out test pieces
    excluded), measured with the seeds' code: the targets of the voice-leading preference
    (``generator.voices.SOPRANO_INTERVALS``)."""
    rows = training_chorales(ctx.engine.catalog, ctx.heldout)
    top, bass = ctx.real_lines(rows)
    out: dict[str, Any] = {"pieces": len(rows), **musician_report(top, bass)}
    out.update(part_writing_report(ctx.real_duets(rows)))
    out.update(melodic_report(ctx.real_duets(rows)))
    for name, lines in (("top", top), ("bass", bass)):
        out[f"{name}_intervals_0_to_12"] = np.round(interval_shares(lines), 3).tolist()
    return out


def corpus_melodic(ctx: Context, most: int = CORPUS_PIECES) -> dict[str, Any]:
    """Per style, the slips and phrase-final approaches (``generator.spelling``) of the first
    ``most`` training pieces' openings: how often the sources have what the costs avoid."""
    out = {}
    for style, pick in STYLES.items():
        rows = np.flatnonzero(pick(ctx.engine.catalog).to_numpy()).tolist()
        rows = [r for r in rows if r not in ctx.heldout][:most]
        out[style] = {"pieces": len(rows), **melodic_report(ctx.real_duets(rows))}
    return out


def training_chorales(catalog: Any, heldout: set[int]) -> list[int]:
    rows = np.flatnonzero(STYLES["chorales"](catalog).to_numpy()).tolist()
    return [r for r in rows if r not in heldout]
