"""Inspiration seeds: condition the generator on pieces, words, a motif or a piece to vary;
sample under voice and phrase constraints; guard against copies; export.

Sources (exactly one): ``from_ids`` (centroid of the pieces' music embeddings; metre and key
default to their majority), ``text`` (the search engine's neighbours of a description, metre and
key from the query's facets, see ``generator.requests``), ``motif_path`` (the motif's own
embedding; its bars, at most ``bars - 1``, are the prompt and each seed continues it) and
``vary`` (a catalog piece's opening with its rhythm or its contour kept, see
``generator.variation``).

Seeds are decoded by ``generator.decode`` under ``generator.constrained``: one melodic line for
one-part favourites, a melody over a bass line for polyphonic ones (``generator.voices``), and
phrases that close as ``form`` / ``ending`` ask (``generator.phrase``). ``decoder="plain"``
runs the earlier unconstrained decoder (kept for the evaluation).

Seeds whose melody copies more than ``max_copied_notes`` notes of a catalog piece are re-sampled
up to ``MAX_TRIES`` times; one that still copies is dropped (never shown), and a request whose
every seed copies fails with a clear message.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import BadInput, CantusError
from generator.checkpoint import GENERATOR_DIR, LoadedGenerator, load_generator
from generator.checks import (
    MAX_SEEDS,
    TEMPERATURE,
    check_bars,
    check_guidance,
    check_meter,
    check_sampling,
    parse_key,
)
from generator.decode import DecodeSpec, decode
from generator.novelty import (
    DEFAULT_MAX_COPIED_NOTES,
    NoveltyIndex,
    index_for_catalog,
    melody_events,
)
from generator.phrase import DOMINANT, TONIC, PhrasePlan, check_form
from generator.requests import (
    DEFAULT_KEY,
    DEFAULT_METER,
    Request,
    key_shift,
    request_from_ids,
    request_from_motif,
    request_from_text,
    sampling_range,
    to_key,
)
from generator.sample import GrammarError, SampleSpec, sample
from generator.seeds import Seed, seed_records
from generator.voices import (
    TEXTURES,
    canonical_voices,
)

if TYPE_CHECKING:
    from recommender.engine import Engine

log = logging.getLogger(__name__)

MAX_TRIES = 6  # sampling rounds per seed before a copying seed is dropped
DEFAULT_GUIDANCE = 1.0  # classifier-free guidance scale used when none is given
DECODERS = ("constrained", "plain")
__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_METER",
    "MAX_SEEDS",
    "Request",
    "Seed",
    "check_bars",
    "check_guidance",
    "check_meter",
    "check_sampling",
    "inspire",
    "key_shift",
    "parse_key",
    "sampling_range",
]
_to_key = to_key  # kept for callers of the earlier private name


# --------------------------------------------------------------------------- loading


@functools.cache
def _load_cached(folder: str, mtime: float) -> LoadedGenerator:
    return load_generator(Path(folder))


def get_generator(folder: Path | None = None) -> LoadedGenerator:
    """The generator of ``folder`` (default: the data dir's), loaded once per process."""
    from cantus.config import data_dir

    folder = Path(folder) if folder is not None else data_dir() / GENERATOR_DIR
    weights = folder / "model.safetensors"
    return _load_cached(str(folder.resolve()), weights.stat().st_mtime if weights.exists() else 0.0)


@functools.cache
def _novelty_cached(data_dir: str, include_user: bool, cache_dir: str = "") -> NoveltyIndex:
    from cantus.catalog import load_catalog
    from recommender.query_text import shared_cache_dir

    def read_tokens() -> list:
        frame = load_catalog(Path(data_dir), columns=["tokens"], include_user=include_user)
        return list(frame["tokens"])

    frame = load_catalog(Path(data_dir), columns=["id", "n_tokens"], include_user=include_user)
    return index_for_catalog(  # tokens read on a cache miss only
        frame, Path(cache_dir) if cache_dir else None, read_tokens, shared_cache_dir()
    )


def build_shared_novelty_index() -> None:
    """The data dir's novelty index (no user pieces) into the virtual environment's cache,
    where every new ``CANTUS_HOME`` finds it (``make install``)."""
    from cantus.config import data_dir
    from recommender.query_text import shared_cache_dir

    _novelty_cached(str(data_dir().resolve()), False, str(shared_cache_dir()))


def build_shared_step() -> None:
    """The data dir's generator's decoder, exported to ONNX graphs into the virtual
    environment's cache (``make install``): no request then needs torch to export it."""
    from cantus.config import data_dir, shared_cache_dir
    from generator.onnx_decoder import load_onnx_decoder

    gen = get_generator(data_dir() / GENERATOR_DIR)
    shared = shared_cache_dir()
    load_onnx_decoder(gen.cfg, gen.state, gen.meta["weights_sha256"], (shared,), shared)


def get_novelty_index(data_dir: Path | None = None) -> NoveltyIndex:
    """Novelty index over the data dir's catalog plus the user's ingested pieces."""
    from cantus.config import data_dir as default_dir

    return _novelty_cached(str(Path(data_dir or default_dir()).resolve()), True)


def model_version(gen: LoadedGenerator) -> str:
    """Short id of the generator weights (stored with each seed in the history)."""
    return "generator-" + str(gen.meta.get("weights_sha256", "unknown"))[:12]


# --------------------------------------------------------------------------- generation


def sample_batch(
    gen: LoadedGenerator,
    req: Request,
    rows: int,
    sampling: tuple[float, float, int, float],
    cond: np.ndarray | None,
) -> list[list[int]]:
    """One decoding round of ``rows`` canonical-key seeds; ``sampling`` is (temperature, top_p,
    seed, guidance). Constrained decoding unless ``req.plan`` is None (the plain decoder)."""
    temperature, top_p, seed, guidance = sampling
    if req.plan is None:
        spec = SampleSpec(
            meter=req.meter,
            mode=req.mode,
            bars=req.bars,
            n=rows,
            prompt=req.prompt,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            guidance=guidance,
            pitch_range=sampling_range(req.tonic),
        )
        return sample(gen.decoder, gen.controls, spec, cond)
    final = req.plan.ends.get(req.bars, TONIC if req.plan.ending == "closed" else DOMINANT)
    voices = canonical_voices(req.texture, key_shift(req.tonic), req.tuning)
    if req.source:  # a variation sits in its source's register
        from generator.variation import source_register

        voices = (*voices[:-1], source_register(voices[-1], req.source))
    spec = DecodeSpec(
        meter=req.meter,
        mode=req.mode,
        plan=req.plan,
        voices=voices,
        n=rows,
        prompt=req.prompt,
        template=req.template,
        contour=req.contour,
        template_final=final if req.template is not None else None,
        inner=req.texture == "melody+bass",
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        guidance=guidance,
    )
    return decode(gen.decoder, gen.controls, spec, cond)


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
    cond = req.cond if req.cond is not None and gen.conditioned else None
    skip = _motif_events(req.prompt)
    seeds: list[list[int] | None] = [None] * n
    runs = [10**9] * n
    todo = list(range(n))
    for attempt in range(MAX_TRIES):
        sampling = (temperature, top_p, seed + 7919 * attempt, guidance)
        try:
            batch = sample_batch(gen, req, len(todo), sampling, cond)
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


def build_request(
    engine: Engine,
    gen: LoadedGenerator,
    sources: dict[str, Any],
    bars: int,
    key: str | None,
    meter: str | None,
    shape: dict[str, Any],
) -> Request:
    """The request for exactly one source (``from_ids``, ``motif_path``, ``text``, ``vary``);
    ``shape`` holds ``form``, ``ending``, ``texture``, ``keep`` and ``decoder``."""
    given = [name for name, value in sources.items() if value is not None]
    if len(given) != 1:
        msg = "give exactly one of --from IDS, --motif FILE, --text QUERY or --vary ID (or --user)"
        raise BadInput(msg)
    bars = check_bars(bars)
    plan = check_form(shape.get("form"), shape.get("ending"), bars)
    decoder, texture = shape.get("decoder") or "constrained", shape.get("texture")
    if decoder not in DECODERS or texture not in (None, *TEXTURES):
        msg = f"unknown decoder {decoder!r} or texture {texture!r} (textures: {TEXTURES})"
        raise BadInput(msg)
    if shape.get("keep") is not None and sources["vary"] is None:
        msg = "--keep goes with --vary ID"
        raise BadInput(msg)
    if sources["vary"] is not None and texture not in (None, "melody"):
        msg = "--vary writes one melodic line (its source's top line); drop --texture"
        raise BadInput(msg)
    if sources["vary"] is not None and shape.get("keep") != "contour" and plan.form != "phrase":
        msg = "--keep rhythm keeps the source's bars and phrases; --form needs --keep contour"
        raise BadInput(msg)
    meters = gen.controls.meters
    if sources["from_ids"] is not None:
        req = request_from_ids(engine, list(sources["from_ids"]), bars, key, meter, meters)
    elif sources["text"] is not None:
        req = request_from_text(engine, sources["text"], bars, key, meter, meters)
    elif sources["vary"] is not None:
        from generator.variation import request_from_vary

        req = request_from_vary(
            engine, sources["vary"], shape.get("keep"), bars, key, meter, meters
        )
    else:
        req = request_from_motif(engine, Path(sources["motif_path"]), bars, key, meter, meters)
    req.texture = texture or req.texture
    req.plan = plan if req.template is None else PhrasePlan("phrase", plan.ending, req.bars)
    if decoder == "plain":
        req.plan, req.texture = None, "chords"
    return req


def inspire(
    engine: Engine,
    from_ids: list[str] | None = None,
    motif_path: str | Path | None = None,
    bars: int = 8,
    key: str | None = None,
    meter: str | None = None,
    n: int = 4,
    temperature: float = TEMPERATURE,
    top_p: float = 0.95,
    seed: int = 0,
    out_dir: str | Path | None = None,
    *,
    text: str | None = None,
    vary: str | None = None,
    keep: str | None = None,
    form: str | None = None,
    ending: str | None = None,
    texture: str | None = None,
    decoder: str = "constrained",
    generator: LoadedGenerator | None = None,
    novelty: NoveltyIndex | None = None,
    max_copied_notes: int = DEFAULT_MAX_COPIED_NOTES,
    guidance: float | None = None,
) -> list[Seed]:
    """Generate ``n`` seeds of ``bars`` bars from one source (see the module docstring)."""
    from cantus.config import seeds_dir

    check_bars(bars)
    check_sampling(n, temperature, top_p)
    guidance = check_guidance(DEFAULT_GUIDANCE if guidance is None else guidance)
    gen = generator or get_generator(engine_generator_dir(engine))
    sources = {"from_ids": from_ids, "motif_path": motif_path, "text": text, "vary": vary}
    shape = {"form": form, "ending": ending, "texture": texture, "keep": keep, "decoder": decoder}
    req = build_request(engine, gen, sources, bars, key, meter, shape)
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
    out = Path(out_dir).expanduser() if out_dir is not None else seeds_dir()
    return seed_records(engine, req, canon, runs, seed, out)


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
