"""``cantus eval generation``: seeds per style, beside the earlier decoder and an n-gram baseline.

Styles (pools of catalog pieces): O'Neill's jigs and reels, Aird's airs, Bach chorales (4+
parts), Chinese and German Essen songs. A request is two pieces of one style (favourites); seeds
are 8 bars in their majority key and metre. Requests are drawn once per style and split: **test**
from the pieces the generator held out of training (``generator.windows.is_heldout``: ~5 %,
17..306 per style), **tune** from the training pieces. The n-gram fits on training pieces only;
the chorale voice targets (``generator.voices.SOPRANO_INTERVALS``) on the training chorales.

The test split is reported **as users get the generator**: the shipped decoding temperature
(``generator.checks.TEMPERATURE``, the CLI's and dashboard's default) and the shipped voice
limits. The tune-split sweeps stay in the JSON as information (``tuning``): the temperature by
the mean over styles of (mean overlapped area + phrase-end rate) / 2; the voice limits
(``generator.voices.VoiceTuning``: melody + bass leaps, voice-leading, degree and zigzag
strengths on the chorales, the one-line melody's range on the other styles) by (mean OA +
phrase-end rate + 1 - stepwise gap of melody and bass to the pieces' same voices) / 3; a shipped
constant changes only when its sweep says so. Only the n-gram baseline's order is tuned and
applied (best on the tune split). The corpus's own chorale voice figures are reported beside
(``corpus_voices``, same code). Every figure reported is the test split's, all systems in
the same run:

* ``constrained`` — the shipped generator under ``generator.decode`` (voices, phrase plan);
* ``plain`` — the same weights under the earlier decoder (``generator.sample``);
* ``ngram`` — ``generator.ngram`` fitted per request on the 64 nearest pieces;
* ``real`` — the conditioning pieces' own 8-bar openings (the target).

Per style and system: overlapped areas (``generator.mgeval``) against the conditioning
pieces' openings, the musician's figures (phrase end on tonic/dominant, distinct lengths,
stepwise share and range of the top voice and the bass; for melody + bass styles the outer
voices' part-writing, ``generator.part_writing``: parallel fifths / octaves per 100 moves, the
raised leading tone in minor, cadences from the bass's 5th or 4th with the melody by step — the
seeds read at the request's phrase ends, the real openings at their fermatas; unprepared
dissonant strong beats, ``generator.roughness``), top lines ending on one pitch thrice,
their notes reciting a pitch (already 3 of the 8 notes before: ``top_recited``),
the melody's chromatic slips and augmented seconds per 100 moves and its phrase-final notes
reached by step or leap (``generator.spelling``; the training pieces' own in
``corpus_melodic``), fidelity (cosine to the centroid), meter and bar control, music21's key
analysis vs the request, longest copied run, diversity.
Fidelity is also given with seeds and real pieces reduced to the request's texture, beside
real held-out pieces of the style (``generator.eval_fidelity``): the fair reference for a
melody + bass seed of four-voice favourites.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import BadInput
from generator.checks import TEMPERATURE
from generator.eval_fidelity import control_figures, real_fidelity
from generator.eval_grids import (
    AMBITUS,
    CHORALE_SWEEPS,
    LEADING,
    LEAPS,
    MELODIC_SWEEPS,
    NGRAM_ORDERS,
    PART_WRITING_SWEEPS,
    ROUGH_SWEEPS,
    TEMPERATURES,
    TONAL,
    VOICE_KEYS,
    ZIGZAG,
    shipped_settings,
    tuned_on_note,
)
from generator.inspire import get_generator, get_novelty_index, sample_batch
from generator.mgeval import (
    Line,
    line_of,
    musician_report,
    oa_report,
    summarise_styles,
)
from generator.ngram import NGram, sample_ngram, training_sequences
from generator.part_writing import Duet, duet_of, part_writing_gap, part_writing_report
from generator.phrase import check_form
from generator.phrase_bounds import PHRASES_FILE, load_phrases
from generator.requests import request_from_ids, sampling_range
from generator.roughness import sweep_gap
from generator.sample import SampleSpec
from generator.spelling import melodic_gap, melodic_report
from generator.vocab import tonic_pitch_class
from generator.voices import VoiceTuning, texture_voices
from generator.windows import is_heldout

log = logging.getLogger(__name__)

STYLES = {
    "jigs": lambda c: (c["collection"] == "oneills1850") & (c["form"] == "jig"),
    "reels": lambda c: (c["collection"] == "oneills1850") & (c["form"] == "reel"),
    "airs": lambda c: c["collection"] == "airdsAirs",
    "chorales": lambda c: (c["collection"] == "bach") & (c["parts"] >= 4),
    "chinese": lambda c: (
        (c["collection"] == "essenFolksong") & c["origin"].astype(str).str.startswith("Chinese")
    ),
    "german": lambda c: (c["collection"] == "essenFolksong") & (c["origin"] == "German"),
}
BARS = 8
SEEDS = 4  # seeds per request and system
PIECES_PER_REQUEST = 2
NGRAM_NEIGHBOURS = 64


def style_requests(
    catalog: Any, per_split: int, seed: int, heldout: set[int]
) -> dict[str, dict[str, list]]:
    """{style: {"tune": [[row, row], ...], "test": [...]}}: test pieces from the ``heldout``
    rows (never trained on), tune pieces from the others. BadInput when a pool is too small for
    ``per_split`` requests (it used to give fewer, silently: O'Neill's reels have 17 held-out
    pieces, 8 requests)."""
    pools = {}
    for style, pick in STYLES.items():
        pool = np.flatnonzero(pick(catalog).to_numpy())
        held = np.isin(pool, sorted(heldout))
        for split, mask in (("tune", ~held), ("test", held)):
            pools[style, split] = pool[mask]
    style, split = min(pools, key=lambda k: len(pools[k]))
    most = len(pools[style, split]) // PIECES_PER_REQUEST
    if per_split > most:
        msg = (
            f"--requests {per_split} is more than the {style} {split} pool allows: its "
            f"{len(pools[style, split])} pieces make {most} requests of {PIECES_PER_REQUEST} "
            f"(largest --requests: {most})"
        )
        raise BadInput(msg)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, list]] = {style: {} for style in STYLES}
    for (style, split), pool in pools.items():  # tune then test per style, as drawn before
        out[style][split] = _pairs(rng, pool, per_split)
    return out


def _pairs(rng: np.random.Generator, pool: np.ndarray, n: int) -> list[list[int]]:
    rows = rng.choice(pool, size=n * PIECES_PER_REQUEST, replace=False).tolist()
    return [rows[i : i + PIECES_PER_REQUEST] for i in range(0, len(rows), PIECES_PER_REQUEST)]


def heldout_rows(catalog: Any, frac: float) -> set[int]:
    """Catalog rows the generator held out of training (its own train / held-out split)."""
    return {r for r, pid in enumerate(catalog["id"]) if is_heldout(str(pid), frac)}


class Context:
    """What every system needs: engine, generator, tokens, canonical pieces, novelty index."""

    def __init__(self, engine: Any, data_dir: Path) -> None:
        from cantus.catalog import load_catalog
        from generator.windows import prepare_pieces

        self.engine = engine
        self.gen = get_generator(data_dir / "generator")
        self.novelty = get_novelty_index(data_dir)
        frame = load_catalog(data_dir, columns=["id", "tokens", "tonic", "mode"])
        self.tokens = [list(map(int, t)) for t in frame["tokens"]]
        self.modes = [str(m) for m in frame["mode"]]
        # 0-based phrase-end bars of the pieces whose sources mark them (chorale fermatas)
        self.phrase_ends = load_phrases(data_dir / "generator" / PHRASES_FILE)
        pieces, _ = prepare_pieces(frame, self.gen.controls)
        self.canonical = {p.row: p for p in pieces}
        self.emb = np.asarray(engine.embeddings, dtype=np.float32)
        self.heldout = heldout_rows(engine.catalog, self.gen.meta["train"]["heldout_frac"])
        self.tuning = VoiceTuning()  # voice overrides, set by tuning
        self._corpus: dict[str, Any] | None = None

    def corpus_melodic(self) -> dict[str, Any]:
        """Per style, the training pieces' slips and finals (the melodic sweeps' target)."""
        if self._corpus is None:
            from generator.eval_corpus import corpus_melodic

            self._corpus = corpus_melodic(self)
        return self._corpus

    def request(self, rows: list[int]) -> Any:
        ids = [str(self.engine.catalog["id"].iloc[r]) for r in rows]
        req = request_from_ids(self.engine, ids, BARS, None, None, self.gen.controls.meters)
        req.plan = check_form("phrase", "closed", BARS)
        req.tuning = self.tuning
        return req

    def real_lines(self, rows: list[int]) -> tuple[list[Line], list[Line]]:
        top, bass = [], []
        for r in rows:
            pc = _tonic_pc(str(self.engine.catalog["tonic"].iloc[r]))
            top.append(line_of(self.tokens[r], pc, BARS, "top"))
            bass.append(line_of(self.tokens[r], pc, BARS, "bottom"))
        return top, bass

    def real_duets(self, rows: list[int]) -> list[Duet]:
        out = []
        for r in rows:
            pc = _tonic_pc(str(self.engine.catalog["tonic"].iloc[r]))
            ends = self.phrase_ends.get(str(self.engine.catalog["id"].iloc[r]), [])
            out.append(duet_of(self.tokens[r], pc, self.modes[r], BARS, ends))
        return out


def _tonic_pc(tonic: str) -> int:
    try:
        return tonic_pitch_class(tonic)
    except ValueError:
        return 0


def run_system(ctx: Context, system: str, req: Any, setting: float, seed: int) -> list[list[int]]:
    """Canonical-key seeds of one system for one request."""
    cond = req.cond if ctx.gen.conditioned else None
    if system == "constrained":
        return sample_batch(ctx.gen, req, SEEDS, (setting, 0.95, seed, 1.0), cond)
    if system == "plain":
        plan, req.plan = req.plan, None
        try:
            return sample_batch(ctx.gen, req, SEEDS, (setting, 0.95, seed, 1.0), cond)
        finally:
            req.plan = plan
    model = _ngram_for(ctx, req, int(setting))
    spec = SampleSpec(
        meter=req.meter,
        mode=req.mode,
        bars=BARS,
        n=SEEDS,
        seed=seed,
        pitch_range=sampling_range(req.tonic),
    )
    return sample_ngram(model, ctx.gen.controls, spec)


def _ngram_for(ctx: Context, req: Any, order: int) -> NGram:
    sims = ctx.emb @ req.cond
    # training pieces only, as for the generator: a test request's own pieces are held out
    near = [int(r) for r in np.argsort(-sims) if r in ctx.canonical and r not in ctx.heldout]
    same = [r for r in near if str(ctx.engine.catalog["meter"].iloc[r]) == req.meter]
    rows = (same if len(same) >= 8 else near)[:NGRAM_NEIGHBOURS]
    pieces = [ctx.canonical[r] for r in rows]
    seqs = training_sequences(pieces, ctx.gen.controls, req.meter, req.mode)
    return NGram(order, ctx.gen.controls.vocab_size).fit(seqs)


def score_lines(seeds: list[list[int]]) -> tuple[list[Line], list[Line]]:
    """Top lines and bass lines of canonical seeds (tonic pitch class 0)."""
    top = [line_of(s, 0, BARS, "top") for s in seeds]
    bass = [line_of(s, 0, BARS, "bottom") for s in seeds]
    return top, bass


def split_scores(
    ctx: Context, pairs: list[list[int]], system: str, setting: float, seed: int
) -> dict[str, Any]:
    """Seeds of ``system`` for every request of one style and split, with their figures."""
    seeds, reqs, real_top, real_bass, duets, real_duets = [], [], [], [], [], []
    for i, rows in enumerate(pairs):
        req = ctx.request(rows)
        got = run_system(ctx, system, req, setting, seed + 101 * i)
        seeds.append(got)
        reqs.append(req)
        top, bass = ctx.real_lines(rows)
        real_top += top
        real_bass += bass
        ends = [b - 1 for b in req.plan.ends]  # each system is read at the plan's phrase ends
        duets += [duet_of(ids, 0, req.mode, BARS, ends) for ids in got]
        real_duets += ctx.real_duets(rows)
    lines = [score_lines(group) for group in seeds]
    tops = [line for top, _ in lines for line in top]
    basses = [line for _, bass in lines for line in bass]
    poly = any(r.texture == "melody+bass" for r in reqs)
    out = {
        "seeds": seeds,
        "requests": reqs,
        "oa": oa_report(tops, real_top),
        "musician": musician_report(tops, basses if poly else None),
        "real": musician_report(real_top, real_bass if poly else None),
    }
    if poly:
        out["musician"].update(part_writing_report(duets))
        out["real"].update(part_writing_report(real_duets))
    out["musician"].update(melodic_report(duets))
    out["real"].update(melodic_report(real_duets))
    return out


def tune(ctx: Context, requests: dict, seed: int) -> dict[str, Any]:
    """Tune-split sweeps (temperature; n-gram order; chorale and folk voices) and their best
    values; ``ctx.tuning`` is left as shipped."""
    sweep: dict[str, dict[str, float]] = {"constrained": {}, "ngram": {}}
    for system, grid in (("constrained", TEMPERATURES), ("ngram", NGRAM_ORDERS)):
        for setting in grid:
            vals = []
            for pairs in (r["tune"] for r in requests.values()):
                res = split_scores(ctx, pairs, system, setting, seed)
                ends = res["musician"]["phrase_end_tonic_or_dominant"]
                vals.append((res["oa"]["mean"] + ends) / 2)
            sweep[system][str(setting)] = round(float(np.nanmean(vals)), 4)
            log.info("tune %s %s: %.4f", system, setting, sweep[system][str(setting)])
    best = {s: float(max(v, key=v.get)) for s, v in sweep.items()}
    temp = TEMPERATURE  # the voice sweeps run at the shipped temperature
    chorales = requests["chorales"]["tune"]
    sweep["leaps_chorales"] = _sweep(ctx, {"chorales": chorales}, temp, seed, "leaps", LEAPS)
    sweep["leading_chorales"] = _sweep(ctx, {"chorales": chorales}, temp, seed, "leading", LEADING)
    sweep["tonal_chorales"] = _sweep(ctx, {"chorales": chorales}, temp, seed, "tonal", TONAL)
    sweep["zigzag_chorales"] = _sweep(ctx, {"chorales": chorales}, temp, seed, "zigzag", ZIGZAG)
    for name, grid in CHORALE_SWEEPS.items():
        sweep[f"{name}_chorales"] = _sweep(ctx, {"chorales": chorales}, temp, seed, name, grid)
    folk = {style: r["tune"] for style, r in requests.items() if style != "chorales"}
    sweep["ambitus_folk"] = _sweep(ctx, folk, temp, seed, "ambitus", AMBITUS)
    every = {style: r["tune"] for style, r in requests.items()}
    for name, grid in MELODIC_SWEEPS.items():
        sweep[f"{name}_all"] = _sweep(ctx, every, temp, seed, name, grid)
    best_on_tune = {
        "constrained_temperature": best["constrained"],
        "ngram_order": int(best["ngram"]),
        "bass_melody_leaps": list(ctx.tuning.leaps or ()),
        "voice_leading": ctx.tuning.leading,
        "degree_preference": ctx.tuning.tonal,
        "zigzag_turns_cost": list(ctx.tuning.zigzag or ()),
        "folk_melody_ambitus": ctx.tuning.ambitus,
        **{f"melody_bass_{name}": getattr(ctx.tuning, name) for name in CHORALE_SWEEPS},
        **{f"melody_{name}": getattr(ctx.tuning, name) for name in MELODIC_SWEEPS},
    }
    ctx.tuning = VoiceTuning()  # the test split runs as shipped
    return {"sweep": sweep, "best_on_tune": best_on_tune, "shipped": shipped_settings()}


def _sweep(
    ctx: Context, pairs: dict[str, list], temperature: float, seed: int, name: str, grid: tuple
) -> dict[str, float]:
    """Tune-split score of each value of the voice override ``name`` (``ctx.tuning`` keeps the
    best): the mean over ``pairs``' styles of (mean OA + phrase-end rate + 1 - mean stepwise
    gap of melody and bass to the pieces' same voices) / 3 — the gap is 0 for one-line styles;
    the part-writing sweeps add 1 - the part-writing gap (``part_writing_gap``) as a 4th term,
    the melodic ones 1 - the gap to the style's training pieces (``melodic_gap``), the
    roughness ones (dissonance, flat_close) 1 - the gap on their own figure instead
    (``generator.roughness.sweep_gap``)."""
    out = {}
    for value in grid:
        ctx.tuning = replace(ctx.tuning, **{name: value})
        scores = []
        for style, style_pairs in pairs.items():
            res = split_scores(ctx, style_pairs, "constrained", temperature, seed)
            keys = [k for k in VOICE_KEYS if k in res["real"]]
            gap = np.mean([abs(res["musician"][k] - res["real"][k]) for k in keys]) if keys else 0
            ends = res["musician"]["phrase_end_tonic_or_dominant"]
            terms = [res["oa"]["mean"], ends, 1 - gap]
            writing = part_writing_gap(res["musician"], res["real"])
            if name in MELODIC_SWEEPS:  # few folk openings end a phrase by bar 8: the corpus's
                writing = melodic_gap(res["musician"], ctx.corpus_melodic()[style])
            if name in ROUGH_SWEEPS:
                corpus = ctx.corpus_melodic()[style]
                writing = sweep_gap(name, res["musician"], res["real"], corpus)
            scored = (*PART_WRITING_SWEEPS, *MELODIC_SWEEPS, *ROUGH_SWEEPS)
            if name in scored and writing is not None:
                terms.append(1 - writing)
            scores.append(float(np.mean(terms)))
        out[str(value)] = round(float(np.mean(scores)), 4)
        log.info("tune %s %s: %.4f", name, value, out[str(value)])
    best = max(grid, key=lambda x: out[str(x)])
    ctx.tuning = replace(ctx.tuning, **{name: best})
    return out


def _save_examples(folder: Path, style: str, seeds: list[list[int]], req: Any) -> None:
    """MusicXML + MIDI of a style's first test request's seeds (canonical key: tonic C)."""
    from generator.seeds import export_seed

    voices = texture_voices(req.texture)
    for i, ids in enumerate(seeds[:2]):
        export_seed(ids, f"C {req.mode}", folder, f"{style}-{i + 1}", voices)


def evaluate_styles(
    data_dir: Path | None = None,
    per_split: int = 6,
    seed: int = 0,
    engine: Any = None,
    examples: Path | None = None,
) -> dict[str, Any]:
    """The whole per-style report (see the module docstring)."""
    from cantus.config import data_dir as default_data_dir
    from generator.eval_corpus import corpus_voices

    started = time.perf_counter()
    folder = Path(data_dir or getattr(engine, "data_dir", None) or default_data_dir())
    if engine is None:
        from recommender.engine import Engine

        engine = Engine.load(folder)
    ctx = Context(engine, folder)
    requests = style_requests(engine.catalog, per_split, seed, ctx.heldout)
    tuned = tune(ctx, requests, seed)
    settings = {
        "constrained": TEMPERATURE,
        "plain": TEMPERATURE,
        "ngram": tuned["best_on_tune"]["ngram_order"],
    }
    styles = {
        style: _score_style(ctx, style, split["test"], settings, seed, examples)
        for style, split in requests.items()
    }
    return {
        "split": "test",
        "test_pieces": "held out of the generator's training; n-gram fits on training pieces",
        "tuned_on": tuned_on_note(),
        "tuning": tuned,
        "requests_per_style": per_split,
        "pieces_per_request": PIECES_PER_REQUEST,
        "seeds_per_request": SEEDS,
        "bars": BARS,
        "styles": styles,
        "summary": summarise_styles(styles),
        "corpus_voices": {"chorales": corpus_voices(ctx)},
        "corpus_melodic": ctx.corpus_melodic(),
        "examples": str(examples) if examples is not None else None,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _score_style(
    ctx: Context,
    style: str,
    test: list,
    settings: dict[str, Any],
    seed: int,
    examples: Path | None,
) -> dict[str, Any]:
    """One style's test-split figures for every system, beside the real openings'."""
    row: dict[str, Any] = {}
    for system, setting in settings.items():
        res = split_scores(ctx, test, system, setting, seed + 1)
        row[system] = {"oa": res["oa"], **res["musician"]}
        row[system].update(control_figures(ctx, res["seeds"], res["requests"], BARS))
        row["real"] = res["real"]
        if system == "constrained" and examples is not None:
            _save_examples(examples, style, res["seeds"][0], res["requests"][0])
    row["real"].update(real_fidelity(ctx.engine, ctx.tokens, test, res["requests"], BARS))
    log.info("style %s done", style)
    return row
