"""Inspiration seeds: condition the generator on pieces or a motif, sample, guard, export.

``inspire(engine, from_ids=..., ...)`` conditions on the L2-normalised centroid of the pieces'
music embeddings; metre and key default to the majority of those pieces. ``motif_path=...``
conditions on the motif's own embedding and continues it: the motif's bars (at most
``bars - 1``) are the prompt and each seed is motif + continuation, ``bars`` bars in all.

Sampling happens in the canonical key (tonic C, see ``generator.vocab``); each seed is then
transposed to the requested tonic by the smallest shift that keeps it in the piano range.
Seeds whose melody copies more than ``max_copied_notes`` notes of a catalog piece are re-sampled
up to ``MAX_TRIES`` times; one that still copies is dropped (never shown), and a request whose
every seed copies fails with a clear message.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from cantus.errors import BadInput, CantusError
from generator.checks import (  # noqa: F401 (re-exported: callers import them from here)
    MAX_SEEDS,
    check_bars,
    check_guidance,
    check_meter,
    check_sampling,
    parse_key,
)
from generator.novelty import (
    DEFAULT_MAX_COPIED_NOTES,
    NoveltyIndex,
    index_for_catalog,
    melody_events,
)
from generator.sample import DEFAULT_PITCH_RANGE, GrammarError, SampleSpec, sample
from generator.train import GENERATOR_DIR, LoadedGenerator, load_generator
from generator.vocab import (
    canonical_shift,
    count_bars,
    first_meter,
    normalise_mode,
    parse_notes,
    tables,
    tonic_pitch_class,
)

if TYPE_CHECKING:
    from recommender.engine import Engine

log = logging.getLogger(__name__)

MAX_TRIES = 6  # sampling rounds per seed before a copying seed is dropped
DEFAULT_GUIDANCE = 1.0  # classifier-free guidance scale used when none is given
DEFAULT_METER = "4/4"
DEFAULT_KEY = "C major"


@dataclass
class Seed:
    id: str  # "seed-<12 hex>" (hash of the tokens and the request)
    midi: str  # path of the .mid file
    musicxml: str  # path of the .musicxml file
    bars: int  # bars in the seed
    key: str  # "D minor" (music21 spelling of the tonic)
    meter: str  # "3/4"
    conditioned_on: list[str]  # piece ids (or the motif's file id) the seed was conditioned on
    fidelity: float  # cosine of the seed's music embedding to the conditioning vector
    max_copied_notes: int  # longest melody run shared with a catalog piece (notes)
    ids: list[int] = field(default_factory=list)  # music tokens of the seed (in its key)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("ids")
        return out


@dataclass
class Request:
    """A validated inspiration request, in canonical key (tonic C)."""

    cond: np.ndarray | None  # (D,) unit conditioning vector, None for the unconditioned model
    conditioned_on: list[str]  # ids shown to the user
    meter: str  # requested/derived metre
    tonic: str  # requested/derived tonic (music21 spelling)
    mode: str  # requested/derived mode
    bars: int  # total bars of each seed
    prompt: list[int] = field(default_factory=list)  # canonical-key motif ids ([] without motif)

    @property
    def key(self) -> str:
        return f"{self.tonic} {self.mode}"


# --------------------------------------------------------------------------- validation


# --------------------------------------------------------------------------- loading


@functools.cache
def _load_cached(folder: str, mtime: float) -> LoadedGenerator:
    torch.manual_seed(0)
    return load_generator(Path(folder))


def get_generator(folder: Path | None = None) -> LoadedGenerator:
    """The generator of ``folder`` (default: the data dir's), loaded once per process."""
    from cantus.config import data_dir

    folder = Path(folder) if folder is not None else data_dir() / GENERATOR_DIR
    weights = folder / "model.safetensors"
    return _load_cached(str(folder.resolve()), weights.stat().st_mtime if weights.exists() else 0.0)


@functools.cache
def _novelty_cached(data_dir: str, include_user: bool) -> NoveltyIndex:
    from cantus.catalog import load_catalog

    def read_tokens() -> list:
        frame = load_catalog(Path(data_dir), columns=["tokens"], include_user=include_user)
        return list(frame["tokens"])

    frame = load_catalog(Path(data_dir), columns=["id", "n_tokens"], include_user=include_user)
    return index_for_catalog(frame, read_tokens=read_tokens)  # tokens read on a cache miss only


def get_novelty_index(data_dir: Path | None = None) -> NoveltyIndex:
    """Novelty index over the data dir's catalog plus the user's ingested pieces."""
    from cantus.config import data_dir as default_dir

    return _novelty_cached(str(Path(data_dir or default_dir()).resolve()), True)


def model_version(gen: LoadedGenerator) -> str:
    """Short id of the generator weights (stored with each seed in the history)."""
    return "generator-" + str(gen.meta.get("weights_sha256", "unknown"))[:12]


# --------------------------------------------------------------------------- requests


def _majority(values: list[str], default: str) -> str:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else default


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-8)


def request_from_ids(
    engine: Engine,
    ids: list[str],
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    ids = [str(i).strip() for i in ids if str(i).strip()]
    if not ids:
        msg = "--from needs at least one piece id"
        raise BadInput(msg)
    rows = [engine.row(i) for i in ids]  # BadInput on unknown ids
    cond = _unit(np.mean([engine.embeddings[r] for r in rows], axis=0))
    cat = engine.catalog.iloc[rows]
    if meter is None:
        derived = _majority([m for m in cat["meter"].astype(str) if m in meters], DEFAULT_METER)
        meter = derived
    meter = check_meter(meter, meters)
    if key is None:
        key = _majority([k for k in cat["key"].astype(str) if k.strip()], DEFAULT_KEY)
        try:
            tonic, mode = parse_key(key)
        except BadInput:
            tonic, mode = parse_key(DEFAULT_KEY)
    else:
        tonic, mode = parse_key(key)
    return Request(cond=cond, conditioned_on=ids, meter=meter, tonic=tonic, mode=mode, bars=bars)


def request_from_motif(
    engine: Engine,
    path: Path,
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    from cantus import tokens
    from recommender.engine import check_music_file, file_token_ids

    path = check_music_file(path, "motif file")
    ids = [int(i) for i in file_token_ids(path) if int(i) < tables().n_music]
    motif_meter = first_meter(ids) or DEFAULT_METER
    if meter is not None and check_meter(meter, meters) != motif_meter:
        msg = f"the motif is in {motif_meter}; --meter {meter} would move its bar lines"
        raise BadInput(msg)
    meter = check_meter(motif_meter, meters)
    keep = max(1, bars - 1)
    if count_bars(ids) > keep:
        log.warning("the motif has %d bars; its first %d are continued", count_bars(ids), keep)
        starts = np.flatnonzero(np.asarray(ids) == tables().bar)
        ids = ids[: int(starts[keep])]
    motif_tonic, motif_mode = _analyse_key(ids)
    tonic, mode = parse_key(key) if key is not None else (motif_tonic, motif_mode)
    shift = _fit_shift(ids, canonical_shift(tonic_pitch_class(motif_tonic)))
    prompt = tokens.transpose_ids(ids, shift)
    cond = _unit(engine.encoder.encode_ids([ids])[0])
    sha = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    return Request(
        cond=cond,
        conditioned_on=[f"file:{sha}#0"],
        meter=meter,
        tonic=tonic,
        mode=mode,
        bars=bars,
        prompt=prompt,
    )


def _analyse_key(ids: list[int]) -> tuple[str, str]:
    from cantus import tokens

    try:
        k = tokens.ids_to_music21(ids).analyze("key")
        return k.tonic.name, normalise_mode(k.mode)
    except Exception as exc:  # music21 analysis fails on odd input: fall back, say so
        log.warning("could not analyse the motif's key (%s); assuming %s", exc, DEFAULT_KEY)
        return parse_key(DEFAULT_KEY)


def _fit_shift(ids: list[int], shift: int) -> int:
    """``shift`` or its octave neighbour, whichever keeps ``ids`` in range (closest to 0 first)."""
    from cantus import tokens

    lo, hi = tokens.transpose_bounds(ids)
    for s in sorted((shift, shift - 12, shift + 12), key=abs):
        if lo <= s <= hi:
            return s
    return min(max(shift, lo), hi)


def key_shift(tonic: str) -> int:
    """Semitones from the canonical tonic C to ``tonic`` (-5..+6)."""
    pc = tonic_pitch_class(tonic)
    return pc if pc <= 6 else pc - 12


def sampling_range(
    tonic: str, pitch_range: tuple[int, int] = DEFAULT_PITCH_RANGE
) -> tuple[int, int]:
    """The canonical-key pitch range that lands in ``pitch_range`` once moved to ``tonic``."""
    shift = key_shift(tonic)
    return pitch_range[0] - shift, pitch_range[1] - shift


def _to_key(ids: list[int], tonic: str) -> list[int]:
    """Transpose canonical (tonic C) ids to ``tonic`` (an octave off only if a motif needs it)."""
    from cantus import tokens

    return tokens.transpose_ids(ids, _fit_shift(ids, key_shift(tonic)))


# --------------------------------------------------------------------------- generation


def generate(
    gen: LoadedGenerator,
    req: Request,
    n: int,
    temperature: float,
    top_p: float,
    seed: int,
    novelty: NoveltyIndex | None,
    max_copied_notes: int = DEFAULT_MAX_COPIED_NOTES,
    guidance: float = 1.0,
) -> tuple[list[list[int]], list[int]]:
    """``n`` canonical-key seeds and their longest copied runs (re-sampling copies)."""
    cond = torch.from_numpy(req.cond) if req.cond is not None and gen.conditioned else None
    skip = _motif_events(req.prompt)
    seeds: list[list[int] | None] = [None] * n
    runs = [10**9] * n
    todo = list(range(n))
    for attempt in range(MAX_TRIES):
        spec = SampleSpec(
            meter=req.meter,
            mode=req.mode,
            bars=req.bars,
            n=len(todo),
            prompt=req.prompt,
            temperature=temperature,
            top_p=top_p,
            seed=seed + 7919 * attempt,
            guidance=guidance,
            pitch_range=sampling_range(req.tonic),
        )
        try:
            batch = sample(gen.model, gen.controls, spec, cond)
        except GrammarError as exc:
            raise BadInput(f"the motif cannot be continued: {exc}") from exc
        for row, ids in zip(todo, batch, strict=True):
            run = novelty.longest_copied_run(ids, start_event=skip) if novelty is not None else 0
            if run < runs[row]:
                seeds[row], runs[row] = ids, run
        todo = [r for r in range(n) if runs[r] > max_copied_notes]
        if not todo:
            break
        log.info(
            "re-sampling %d seed(s) that copy more than %d notes (try %d)",
            len(todo),
            max_copied_notes,
            attempt + 2,
        )
    if todo:  # never hand out a copy: drop what still copies, or fail when nothing is left
        log.warning(
            "dropped %d seed(s) still sharing over %d notes with a catalog piece after %d tries",
            len(todo),
            max_copied_notes,
            MAX_TRIES,
        )
    kept = [r for r in range(n) if r not in todo and seeds[r] is not None]
    if not kept:
        msg = (
            f"every seed copied more than {max_copied_notes} notes of a corpus piece after "
            f"{MAX_TRIES} tries; try a higher --temperature or other pieces"
        )
        raise CantusError(msg)
    return [seeds[r] for r in kept], [runs[r] for r in kept]


def _motif_events(prompt: list[int]) -> int:
    """Index of the first melody event that involves a generated note."""
    if not prompt:
        return 0
    return max(0, len(melody_events(prompt)))


def export_seed(ids: list[int], key: str, out_dir: Path, seed_id: str) -> tuple[Path, Path]:
    from cantus import tokens

    midi_path = out_dir / f"{seed_id}.mid"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        midi_path.write_bytes(tokens.ids_to_midi_bytes(ids))
        xml_path = tokens.ids_to_musicxml(ids, out_dir / f"{seed_id}.musicxml", key=key)
    except OSError as exc:  # an unwritable --out is the caller's input, not our failure
        raise BadInput(f"cannot write seeds to {out_dir}: {exc.strerror or exc}") from None
    return midi_path.resolve(), xml_path.resolve()  # both absolute (music21 resolves its own)


def fidelity(engine: Engine, seeds: list[list[int]], cond: np.ndarray | None) -> list[float]:
    """Cosine of each seed's music embedding to ``cond`` (NaN without a condition)."""
    if cond is None or not seeds:
        return [float("nan")] * len(seeds)
    emb = np.asarray(engine.encoder.encode_ids(seeds), dtype=np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)
    return [round(float(v), 4) for v in emb @ _unit(cond)]


def _seed_id(ids: list[int], req: Request, seed: int, row: int) -> str:
    text = f"{ids}|{req.key}|{req.meter}|{req.conditioned_on}|{seed}|{row}"
    return "seed-" + hashlib.sha1(text.encode()).hexdigest()[:12]


def inspire(
    engine: Engine,
    from_ids: list[str] | None = None,
    motif_path: str | Path | None = None,
    bars: int = 8,
    key: str | None = None,
    meter: str | None = None,
    n: int = 4,
    temperature: float = 1.0,
    top_p: float = 0.95,
    seed: int = 0,
    out_dir: str | Path | None = None,
    *,
    generator: LoadedGenerator | None = None,
    novelty: NoveltyIndex | None = None,
    max_copied_notes: int = DEFAULT_MAX_COPIED_NOTES,
    guidance: float | None = None,
) -> list[Seed]:
    """Generate ``n`` seeds of ``bars`` bars conditioned on pieces or a motif (see module doc)."""
    from cantus.config import seeds_dir

    if (from_ids is None) == (motif_path is None):
        msg = "give exactly one of --from IDS or --motif FILE (or --user NAME)"
        raise BadInput(msg)
    bars = check_bars(bars)
    check_sampling(n, temperature, top_p)
    guidance = check_guidance(DEFAULT_GUIDANCE if guidance is None else guidance)
    gen = generator or get_generator(engine_generator_dir(engine))
    meters = gen.controls.meters
    if from_ids is not None:
        req = request_from_ids(engine, list(from_ids), bars, key, meter, meters)
    else:
        req = request_from_motif(engine, Path(motif_path), bars, key, meter, meters)
    _check_encoder(engine, gen)
    if novelty is None:
        novelty = get_novelty_index(getattr(engine, "data_dir", None))
    canon, runs = generate(
        gen,
        req,
        int(n),
        float(temperature),
        float(top_p),
        int(seed),
        novelty,
        max_copied_notes,
        guidance,
    )
    seeds_ids = [_to_key(ids, req.tonic) for ids in canon]
    fids = fidelity(engine, seeds_ids, req.cond)
    out = Path(out_dir).expanduser() if out_dir is not None else seeds_dir()
    result = []
    for row, (ids, run, fid) in enumerate(zip(seeds_ids, runs, fids, strict=True)):
        seed_id = _seed_id(ids, req, seed, row)
        midi, xml = export_seed(ids, req.key, out, seed_id)
        result.append(
            Seed(
                id=seed_id,
                midi=str(midi),
                musicxml=str(xml),
                bars=count_bars(ids),
                key=req.key,
                meter=req.meter,
                conditioned_on=list(req.conditioned_on),
                fidelity=fid,
                max_copied_notes=int(run),
                ids=ids,
            )
        )
    return result


def engine_generator_dir(engine: Engine) -> Path | None:
    data = getattr(engine, "data_dir", None)
    return Path(data) / GENERATOR_DIR if data is not None else None


def _check_encoder(engine: Engine, gen: LoadedGenerator) -> None:
    if not gen.conditioned:
        log.warning(
            "the generator was trained without embeddings: seeds follow key, metre and length only"
        )
        return
    current = getattr(engine.encoder, "encoder_id", None)
    if gen.encoder_id and current and gen.encoder_id != current:
        log.warning(
            "the generator was trained on encoder %s but the engine uses %s; run `cantus build`",
            gen.encoder_id,
            current,
        )


def seed_notes(ids: list[int]) -> int:
    """Number of notes in a seed (used by evaluation and tests)."""
    return len(parse_notes(ids)[0])
