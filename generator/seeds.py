"""Seeds as the user gets them: the ``Seed`` record, its files (one MIDI track and one MusicXML
part per voice) and its fidelity to the conditioning."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import BadInput
from generator.novelty import NoveltyIndex
from generator.requests import Request, _unit, fit_shift, key_shift
from generator.vocab import count_bars
from generator.voices import (
    POLYPHONIC_NOTE,
    Voice,
    texture_voices,
    voices_midi_bytes,
    write_voices_musicxml,
)

if TYPE_CHECKING:
    from recommender.engine import Engine


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
    texture: str = "melody"  # "melody", "melody+bass", or "chords" (plain decoder)
    voices: list[str] = field(
        default_factory=list
    )  # parts of the MusicXML / MIDI tracks, top first
    texture_note: str = ""  # said to the user when the texture is a reduction
    form: str = "phrase"  # phrase plan (see generator.phrase)
    ending: str = "closed"  # how the last phrase ends
    conditioned_titles: list[str] = field(default_factory=list)  # titles of conditioned_on
    info: dict = field(default_factory=dict)  # request extras: text query + facets, variation

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("ids")
        out.update(out.pop("info"))
        return out


def export_seed(
    ids: list[int], key: str, out_dir: Path, seed_id: str, voices: tuple[Voice, ...] = ()
) -> tuple[Path, Path]:
    """Write ``seed_id``.mid / .musicxml: one track and one part per voice (one merged staff
    for the plain decoder's chords, ``voices=()``)."""
    from cantus import token_decode

    out_dir = out_dir.expanduser().resolve()  # both paths absolute (music21 resolves its own)
    midi_path = out_dir / f"{seed_id}.mid"
    xml_path = out_dir / f"{seed_id}.musicxml"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if voices:
            midi = voices_midi_bytes(ids, voices)
            midi_path.write_bytes(midi)
            return midi_path, write_voices_musicxml(ids, xml_path, key, voices)
        midi_path.write_bytes(token_decode.ids_to_midi_bytes(ids))
        return midi_path, token_decode.ids_to_musicxml(ids, xml_path, key=key)
    except OSError as exc:  # an unwritable --out is the caller's input, not our failure
        raise BadInput(f"cannot write seeds to {out_dir}: {exc.strerror or exc}") from None


def fidelity(engine: Engine, seeds: list[list[int]], cond: np.ndarray | None) -> list[float]:
    """Cosine of each seed's music embedding to ``cond`` (NaN without a condition)."""
    if cond is None or not seeds:
        return [float("nan")] * len(seeds)
    emb = np.asarray(engine.encoder.encode_ids(seeds), dtype=np.float32)
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-8)
    return [round(float(v), 4) for v in emb @ _unit(cond)]


def _seed_id(ids: list[int], req: Request, seed: int, row: int) -> str:
    text = f"{ids}|{req.key}|{req.meter}|{req.conditioned_on}|{seed}|{row}|{req.texture}"
    return "seed-" + hashlib.sha1(text.encode()).hexdigest()[:12]


def seed_records(
    engine: Engine, req: Request, canon: list[list[int]], runs: list[int], seed: int, out: Path
) -> list[Seed]:
    from cantus import tokens

    voices = () if req.plan is None else texture_voices(req.texture)
    shifts = [fit_shift(ids, key_shift(req.tonic)) for ids in canon]
    seeds_ids = [tokens.transpose_ids(ids, sh) for ids, sh in zip(canon, shifts, strict=True)]
    fids = fidelity(engine, seeds_ids, req.cond)
    source = NoveltyIndex.build([req.source]) if req.source else None
    result = []
    for row, (ids, run, fid) in enumerate(zip(seeds_ids, runs, fids, strict=True)):
        seed_id = _seed_id(ids, req, seed, row)
        moved = tuple(v.shifted(shifts[row] - key_shift(req.tonic)) for v in voices)
        midi, xml = export_seed(ids, req.key, out, seed_id, moved)
        info = dict(req.info)
        if source is not None:
            info["source_copied_notes"] = int(source.longest_copied_run(canon[row]))
        if req.plan is not None:
            info["phrase_ends"] = sorted(req.plan.ends)
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
                texture=req.texture,
                voices=[v.name for v in reversed(voices)],
                texture_note=POLYPHONIC_NOTE if req.texture == "melody+bass" else "",
                form=req.plan.form if req.plan is not None else "free",
                ending=req.plan.ending if req.plan is not None else "",
                conditioned_titles=list(req.titles),
                info=info,
            )
        )
    return result
