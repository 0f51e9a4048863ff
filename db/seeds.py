"""Generated seeds (``seeds``): stored, rated, kept, listed without their payloads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from cantus.errors import BadInput
from db.checks import as_utc, checked_json, checked_piece_ids, checked_rating, is_row_id
from db.models import MAX_MODEL_VERSION, Seed
from db.transactions import existing_user, insert_event, transaction

SEED_META_COLUMNS = (
    "id",
    "user_id",
    "conditioned_on",
    "params",
    "model_version",
    "rating",
    "saved",
    "at",
)


@dataclass(frozen=True)
class SeedRow:
    """A generated seed's metadata; the files themselves come from ``seed_files``."""

    id: int
    conditioned_on: list[str]
    params: dict[str, Any]
    model_version: str
    rating: int | None
    saved: bool
    at: datetime
    midi_bytes: int
    musicxml_chars: int


@dataclass(frozen=True)
class SeedFiles:
    midi: bytes
    musicxml: str


def save_seed(
    user: str,
    conditioned_on: Sequence[str],
    params: dict[str, Any],
    model_version: str,
    midi: bytes,
    musicxml: str,
    saved: bool = False,
) -> int:
    """Store a generated seed (every one is history; ``saved`` marks keepers); returns its id."""
    if not isinstance(midi, bytes | bytearray) or not isinstance(musicxml, str):
        raise BadInput("a seed needs MIDI bytes and MusicXML text")
    if not isinstance(model_version, str) or not 0 < len(model_version) <= MAX_MODEL_VERSION:
        raise BadInput(
            f"model version must be 1..{MAX_MODEL_VERSION} characters (received {model_version!r})"
        )
    fields = {
        "conditioned_on": checked_json(checked_piece_ids(conditioned_on), "conditioning ids"),
        "params": checked_json(dict(params), "seed params"),
        "model_version": model_version,
        "midi": bytes(midi),
        "musicxml": musicxml,
        "saved": bool(saved),
    }
    return insert_event(user, Seed, fields)


def _owned_seed(session: Session, user: str, seed_id: int) -> Seed:
    """``user``'s seed ``seed_id``; another person's seed is refused exactly like an unknown id,
    so a caller learns nothing about seeds that are not theirs."""
    user_id = existing_user(session, user).id
    query = select(Seed).where(Seed.id == seed_id, Seed.user_id == user_id)
    seed = session.scalars(query).one_or_none() if is_row_id(seed_id) else None
    if seed is None:
        raise BadInput(f"no seed {seed_id!r} among {user!r}'s seeds")
    return seed


def rate_seed(user: str, seed_id: int, rating: int) -> None:
    """Rate one of ``user``'s seeds 1..5 (rating again overwrites)."""
    value = checked_rating(rating)

    def work(session: Session) -> None:
        _owned_seed(session, user, seed_id).rating = value

    transaction(work)


def set_seed_saved(user: str, seed_id: int, saved: bool = True) -> None:
    """Mark one of ``user``'s seeds kept (or not)."""
    if not isinstance(saved, bool):
        raise BadInput(f"saved must be true or false (received {saved!r})")

    def work(session: Session) -> None:
        _owned_seed(session, user, seed_id).saved = saved

    transaction(work)


def _seed_row(seed: Seed, midi_bytes: int, musicxml_chars: int) -> SeedRow:
    return SeedRow(
        id=seed.id,
        conditioned_on=list(seed.conditioned_on),
        params=dict(seed.params),
        model_version=seed.model_version,
        rating=seed.rating,
        saved=bool(seed.saved),
        at=as_utc(seed.at),
        midi_bytes=midi_bytes,
        musicxml_chars=musicxml_chars,
    )


def list_seeds(user: str) -> list[SeedRow]:
    """The user's seeds, oldest first, without loading the MIDI / MusicXML payloads."""

    return transaction(lambda session: seed_rows(session, existing_user(session, user).id))


def seed_rows(session: Session, user_id: int) -> list[SeedRow]:
    # Sizes are computed in SQL and the payload columns are never selected.
    payload_free = load_only(*(getattr(Seed, c) for c in SEED_META_COLUMNS))
    sizes = (func.length(Seed.midi), func.length(Seed.musicxml))
    query = (
        select(Seed, *sizes)
        .options(payload_free)
        .where(Seed.user_id == user_id)
        .order_by(Seed.at, Seed.id)
    )
    return [_seed_row(seed, midi, xml) for seed, midi, xml in session.execute(query)]


def seed_files(user: str, seed_id: int) -> SeedFiles:
    """The MIDI and MusicXML of one of ``user``'s seeds."""

    def work(session: Session) -> SeedFiles:
        seed = _owned_seed(session, user, seed_id)
        return SeedFiles(midi=seed.midi, musicxml=seed.musicxml)

    return transaction(work)
