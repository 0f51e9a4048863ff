"""The Inspire page's work: checked motif uploads, seeds generated and logged to the history."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import streamlit as st

from cantus import config
from cantus.errors import BadInput
from dashboard.cli import MAX_UPLOAD_MB
from dashboard.services import current_user, repo, with_engine

MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # also server.maxUploadSize (dashboard.cli)


UPLOAD_SUFFIXES = ("mid", "midi", "mxl", "musicxml", "xml", "abc", "krn")


UPLOAD_PARSE_TIMEOUT_S = 30  # parse in a child process we can kill (music21 import takes ~3 s)


def check_upload(name: str, data: bytes) -> Path:
    """Store an uploaded motif after size, type and parse checks; BadInput says what is wrong.

    The file goes to the current person's upload folder (deleted with them). It is parsed
    once, here, outside the engine lock, in a child process with a time limit and a memory
    cap (``recommender.music_search.file_token_ids``): a hostile or enormous file costs at most
    ``UPLOAD_PARSE_TIMEOUT_S`` and never blocks or crashes the app; generating from it later
    reuses this parse.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_SUFFIXES:
        raise BadInput(f"{name!r} is not a music file we read ({', '.join(UPLOAD_SUFFIXES)})")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadInput(
            f"{name!r} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB"
        )
    if not data.strip():
        raise BadInput(f"{name!r} is empty")
    from recommender.music_search import file_token_ids

    path = config.uploads_dir(current_user()) / f"{hashlib.sha1(data).hexdigest()[:12]}.{suffix}"
    path.write_bytes(data)
    try:
        file_token_ids(path, time_limit_s=UPLOAD_PARSE_TIMEOUT_S)
    except BadInput as exc:
        path.unlink(missing_ok=True)  # a refused file is not kept
        reason = str(exc).replace(f"could not read music from {path}: ", "")
        reason = reason.replace(f"reading {path} ", "it ").replace(str(path), name)
        raise BadInput(f"could not read {name!r}: {reason}") from None
    return path


def inspire(
    params: dict[str, Any],
    from_ids: list[str] | None,
    motif: Path | None,
    text: str | None = None,
) -> list[dict]:
    """Generate seeds (``generator.inspire.inspire``) and log each one to the user's history."""
    from generator.inspire import inspire as generate

    out_dir = config.seeds_dir() / time.strftime("%Y%m%d-%H%M%S")
    seeds = with_engine(
        lambda e: generate(
            e, from_ids=from_ids or None, motif_path=motif, text=text, out_dir=out_dir, **params
        )
    )
    return [_seed_record(seed, params) for seed in seeds]


def _seed_record(seed: Any, params: dict[str, Any]) -> dict:
    record_ = seed.to_dict()
    record_["db_id"] = None
    user = current_user()
    record_["owner"] = user  # only they may save or rate it (db.seeds checks it too)
    if user:
        record_["db_id"] = repo().save_seed(
            user,
            list(seed.conditioned_on),
            # "files": where the seed was written, removed with the user (db.erase)
            {
                **params,
                "seed_id": seed.id,
                "files": [str(Path(p).resolve()) for p in (seed.midi, seed.musicxml)],
            },
            _model_version(),
            Path(seed.midi).read_bytes(),
            Path(seed.musicxml).read_text(encoding="utf-8"),
        )
    return record_


@st.cache_resource(show_spinner=False)
def generator_controls() -> tuple[tuple[str, ...], int]:
    """(meters the generator knows, most bars per seed): the Inspire page offers only these."""
    from generator.inspire import get_generator
    from generator.vocab import MAX_BARS

    return tuple(get_generator().controls.meters), int(MAX_BARS)


@st.cache_resource(show_spinner=False)
def _model_version() -> str:
    """Short id of the generator weights in use (stored with each seed)."""
    from generator.inspire import get_generator, model_version

    return model_version(get_generator())
