"""Fidelity (cosine of a seed's music embedding to the request's centroid) beside a fair
reference, for ``cantus eval generation``.

The music encoder embeds texture as much as notes: Bach chorales reduced to their top and
bottom lines sit far from the four-voice chorales they came from (test-split chorales of
``cantus eval generation``: .72 whole, .29 as melody + bass). A melody + bass seed is therefore
compared with real pieces reduced the same way, and every system's seeds are also scored
reduced to the request's texture (``generator.mgeval.reduce_to_texture``), so a decoder that
writes chords (the plain one) and one that writes two voices meet on the same ground:

* ``fidelity`` — seeds as delivered (as before);
* ``fidelity_reduced`` — seeds reduced to the request's texture (a no-op for one-line seeds);
* real pieces (``real``): ``fidelity_members`` / ``_members_reduced`` — the request's own pieces
  (they make the centroid, so an upper bound), ``fidelity_others`` / ``_others_reduced`` —
  held-out pieces of the same style from the split's other requests: what a new piece in the
  style scores, the fair reference for a seed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from generator.evaluate import opening
from generator.mgeval import reduce_to_texture
from generator.requests import to_key
from generator.vocab import count_bars, first_meter, tonic_pitch_class

log = logging.getLogger(__name__)


def unit_embeddings(engine: Any, seqs: list[list[int]]) -> np.ndarray:
    """(N, D) unit music embeddings of ``seqs``."""
    emb = np.asarray(engine.encoder.encode_ids(seqs), dtype=np.float32)
    return emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)


def reduced_fidelity(engine: Any, keyed: list[list[int]], req: Any, bars: int) -> list[float]:
    """Cosines to ``req.cond`` of seeds (in the request's key) reduced to its texture."""
    reduced = [reduce_to_texture(ids, req.texture, bars) for ids in keyed]
    return (unit_embeddings(engine, reduced) @ req.cond).tolist()


def real_fidelity(
    engine: Any, tokens: list[list[int]], pairs: list[list[int]], reqs: list, bars: int
) -> dict[str, float]:
    """Real pieces' fidelity, whole and reduced to each request's texture (module docstring);
    ``pairs``: each request's catalog rows, ``tokens``: the catalog's ids by row."""
    vals: dict[str, list[float]] = {
        f"fidelity_{who}{how}": [] for who in ("members", "others") for how in ("", "_reduced")
    }
    for i, (rows, req) in enumerate(zip(pairs, reqs, strict=True)):
        others = [r for j, p in enumerate(pairs) if j != i for r in p if r not in rows]
        for who, group in (("members", rows), ("others", others)):
            whole = [opening(tokens[r], bars) for r in group]
            reduced = [reduce_to_texture(ids, req.texture, bars) for ids in whole]
            keep = [k for k, ids in enumerate(reduced) if ids]  # a piece without a metre: none
            for how, seqs in (("", whole), ("_reduced", reduced)):
                if keep:
                    emb = unit_embeddings(engine, [seqs[k] for k in keep])
                    vals[f"fidelity_{who}{how}"] += (emb @ req.cond).tolist()
    empty = [k for k, v in vals.items() if not v]
    if empty:  # NaN, which the summary's nanmean leaves out: say so
        log.warning("no real piece with a metre for %s: reported as NaN", ", ".join(empty))
    return {k: round(float(np.mean(v)), 4) if v else float("nan") for k, v in vals.items()}


def control_figures(
    ctx: Any, seeds: list[list[list[int]]], reqs: list, bars: int
) -> dict[str, float]:
    """Fidelity, metre/bars, key (music21), copying and diversity of one system's seeds
    (``ctx``: ``generator.eval_styles.Context``)."""
    from cantus import token_decode

    fid, reduced, meter_ok, key_ok, runs, div = [], [], [], [], [], []
    for group, req in zip(seeds, reqs, strict=True):
        keyed = [to_key(s, req.tonic) for s in group]
        emb = unit_embeddings(ctx.engine, keyed)
        fid += (emb @ req.cond).tolist()
        reduced += reduced_fidelity(ctx.engine, keyed, req, bars)
        sims = emb @ emb.T
        div.append(float(np.mean(1 - sims[np.triu_indices(len(group), 1)])))
        for s, k in zip(group, keyed, strict=True):
            meter_ok.append(first_meter(s) == req.meter and count_bars(s) == bars)
            runs.append(ctx.novelty.longest_copied_run(s))
            try:
                found = token_decode.ids_to_music21(k).analyze("key")
                want_pc, want_mode = tonic_pitch_class(req.tonic), req.mode
                key_ok.append(found.tonic.pitchClass == want_pc and found.mode == want_mode)
            except Exception:  # a seed music21 cannot analyse counts as a miss
                key_ok.append(False)
    return {
        "fidelity": round(float(np.mean(fid)), 4),
        "fidelity_reduced": round(float(np.mean(reduced)), 4),
        "meter_and_bars": round(float(np.mean(meter_ok)), 4),
        "key_music21": round(float(np.mean(key_ok)), 4),
        "copied_run_p50": float(np.median(runs)),
        "copied_run_max": int(np.max(runs)),
        "diversity_1_minus_cos": round(float(np.mean(div)), 4),
    }
