"""The only way the rest of cantus touches the user database.

Functions take plain values (user names, piece ids) and return plain dataclasses, dicts and
lists, never ORM objects, so callers need no session and nothing leaks a closed one.
Each call is one transaction on ``db.session.get_engine()`` (``CANTUS_DB_URL`` or
``$CANTUS_HOME/cantus.db``).

Users: **writes create the user on first use** (``record_search``, ``record_interaction``,
``add_favourite``, ``save_seed``, or ``ensure_user`` explicitly); **reads and deletes of an
unknown user raise** ``cantus.errors.BadInput``. User names are NFC-normalised, non-empty,
at most 64 printable characters without leading/trailing spaces.

Favourites have one home, the ``favourites`` table: ``record_interaction(kind="favourite")``
is ``add_favourite`` and ``kind="unfavourite"`` is ``remove_favourite`` (which also logs an
``unfavourite`` event, a negative signal). ``interactions(user)`` returns the logged events
plus one ``favourite`` row per current favourite.

"Not for me" also has one home, the ``hidden_pieces`` table: ``record_interaction(kind=
"dismiss")`` is ``hide_piece``; ``unhide_piece`` undoes it; ``interactions(user)`` returns one
``dismiss`` row per hidden piece (a negative signal, never recommended again). Hiding needs an
existing user (you hide what you were shown).

Functions: ``ensure_user(name)``, ``list_users()``, ``delete_user(name)``,
``record_search(user, query, filters, result_ids)``,
``refine_search(user, event_id, filters, result_ids)``,
``record_interaction(user, piece_id, kind, value=None)``, ``interactions(user)``,
``add_favourite(user, piece_id)``, ``remove_favourite(user, piece_id)``,
``list_favourites(user)``, ``hide_piece(user, piece_id)``, ``unhide_piece(user, piece_id)``,
``list_hidden(user)``, ``save_seed(user, conditioned_on, params, model_version, midi,
musicxml, saved=False)``, ``rate_seed(seed_id, rating)``, ``set_seed_saved(seed_id, saved)``,
``list_seeds(user)``, ``seed_files(seed_id)``, ``history(user)``,
``delete_event(user, kind, event_id)``, ``check_piece_ids(ids, known)``.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, load_only

from cantus.errors import BadInput
from db.models import (
    HISTORY_MODELS,
    INTERACTION_KINDS,
    MAX_MODEL_VERSION,
    MAX_PIECE_ID,
    MAX_USER_NAME,
    Base,
    Favourite,
    HiddenPiece,
    Interaction,
    SearchEvent,
    Seed,
    User,
)
from db.session import session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_QUERY_CHARS = 20_000  # a pasted paragraph is fine; a pasted file is not
MAX_JSON_CHARS = 100_000  # filters / params / result id lists
MAX_ATTEMPTS = 6  # retries on "database is locked" and on lost insert races
EVENT_MODELS: dict[str, type[Base]] = {
    "search": SearchEvent,
    "interaction": Interaction,
    "favourite": Favourite,
    "seed": Seed,
    "hidden": HiddenPiece,
}
EVENT_ALIASES = {
    "searches": "search",
    "interactions": "interaction",
    "favourites": "favourite",
    "seeds": "seed",
    "hide": "hidden",
}
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
class UserRow:
    name: str
    created_at: datetime


@dataclass(frozen=True)
class InteractionRow:
    """One signal for recommendations (``recommender.personal.Interaction`` calls value weight)."""

    piece_id: str
    kind: str
    at: datetime
    value: float | None = None


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


# ---------------------------------------------------------------- validation


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def validate_user_name(name: object) -> str:
    """The canonical (NFC) form of a user name, or BadInput naming what is wrong."""
    if not isinstance(name, str):
        raise BadInput(f"user name must be text (received {name!r})")
    canonical = unicodedata.normalize("NFC", name)
    if not canonical.strip():
        raise BadInput("user name must not be empty")
    if len(canonical) > MAX_USER_NAME:
        raise BadInput(
            f"user name must be at most {MAX_USER_NAME} characters (received {len(canonical)})"
        )
    if not canonical.isprintable() or canonical != canonical.strip():
        raise BadInput(
            f"user name must be printable without leading/trailing spaces (received {name!r})"
        )
    return canonical


def _piece_id(piece_id: object) -> str:
    if not isinstance(piece_id, str) or not piece_id.strip():
        raise BadInput(f"piece id must be non-empty text (received {piece_id!r})")
    if len(piece_id) > MAX_PIECE_ID or not piece_id.isprintable():
        shown = piece_id[:80]
        raise BadInput(
            f"piece id must be ≤ {MAX_PIECE_ID} printable characters (received {shown!r})"
        )
    return piece_id


def _piece_ids(ids: Iterable[object]) -> list[str]:
    if isinstance(ids, str):
        raise BadInput(f"expected a list of piece ids, not one string (received {ids[:80]!r})")
    return [_piece_id(piece_id) for piece_id in ids]


def _json_value(value: Any, what: str) -> Any:
    """Reject what JSON cannot hold (or holds too much of) before it reaches the driver."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{what} must be JSON-serialisable ({exc})") from exc
    if len(text) > MAX_JSON_CHARS:
        raise BadInput(
            f"{what} is too large ({len(text)} characters as JSON, limit {MAX_JSON_CHARS})"
        )
    return value


def _rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int | float) or rating != int(rating):
        raise BadInput(f"rating must be a whole number 1..5 (received {rating!r})")
    if not 1 <= rating <= 5:
        raise BadInput(f"rating must be in 1..5 (received {rating!r})")
    return int(rating)


def _value(kind: str, value: object) -> float | None:
    if kind == "rating":
        if value is None:
            raise BadInput("a rating interaction needs a value in 1..5")
        return float(_rating(value))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"interaction value must be a finite number (received {value!r})")
    return float(value)


def check_piece_ids(ids: Iterable[str], known: Callable[[str], bool]) -> None:
    """Raise BadInput naming the ids ``known`` rejects (callers pass a catalog lookup)."""
    unknown = [piece_id for piece_id in ids if not known(piece_id)]
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:5]) + (
            f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else ""
        )
        raise BadInput(f"unknown piece id: {shown}")


# ---------------------------------------------------------------- transactions


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _transaction(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction, retrying SQLite lock timeouts and insert races.

    Every write function checks before it inserts, so re-running it after losing a race
    (IntegrityError on a unique key) finds the winner's row instead of failing.
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with session_scope() as session:
                return work(session)
        except (OperationalError, IntegrityError) as exc:
            retry = isinstance(exc, IntegrityError) or _is_locked(exc)
            if not retry or attempt == MAX_ATTEMPTS:
                raise
            log.debug("retrying after %s (attempt %d)", type(exc).__name__, attempt)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def _find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def _user(session: Session, name: str) -> User:
    """The existing user, or BadInput (reads and deletes never create people)."""
    user = _find_user(session, validate_user_name(name))
    if user is None:
        raise BadInput(
            f"unknown user: {name!r} (a user appears with their first favourite, "
            "`cantus fav add --user NAME ID`, or when picked in the dashboard)"
        )
    return user


# Built once: constructing statements per call costs more than running them on SQLite.
_USER_ID = select(User.id).where(User.name == bindparam("name"))
_INSERTS = {table.name: insert(table) for table in Base.metadata.tables.values()}


def _insert(session: Session, model: type[Base], **values: Any) -> int:
    """INSERT one row, returning its id (Core: the ORM unit of work costs ~3x per event)."""
    result = session.connection().execute(_INSERTS[model.__tablename__], values)
    return int(result.inserted_primary_key[0])


def _user_id_for_write(session: Session, name: str) -> int:
    canonical = validate_user_name(name)
    user_id = session.connection().scalar(_USER_ID, {"name": canonical})
    if user_id is None:
        # A concurrent creator makes this raise IntegrityError; _transaction then retries.
        user_id = _insert(session, User, name=canonical)
    return user_id


# ---------------------------------------------------------------- users


def ensure_user(name: str) -> UserRow:
    """The user called ``name``, created if new."""
    canonical = validate_user_name(name)

    def work(session: Session) -> UserRow:
        user = session.get_one(User, _user_id_for_write(session, canonical))
        return UserRow(user.name, _utc(user.created_at))

    return _transaction(work)


def list_users() -> list[UserRow]:
    def work(session: Session) -> list[UserRow]:
        users = session.scalars(select(User).order_by(User.name))
        return [UserRow(user.name, _utc(user.created_at)) for user in users]

    return _transaction(work)


def delete_user(name: str) -> dict[str, int]:
    """Remove the person and all their history; returns how many rows of each kind went."""
    canonical = validate_user_name(name)

    def work(session: Session) -> dict[str, int]:
        user = _user(session, canonical)
        # Explicit child deletes give the counts and do not depend on the FK pragma;
        # ON DELETE CASCADE stays as the backstop for anyone deleting users directly.
        counts = {
            model.__tablename__: session.execute(
                delete(model).where(model.user_id == user.id)
            ).rowcount
            for model in HISTORY_MODELS
        }
        session.execute(delete(User).where(User.id == user.id))
        return counts

    counts = _transaction(work)
    log.info("deleted user %r and %s", canonical, counts)
    return counts


# ---------------------------------------------------------------- searches and interactions


def record_search(
    user: str, query: str, filters: dict[str, Any] | None, result_ids: Sequence[str]
) -> int:
    """Log one search and the ids it returned; returns the event id."""
    if not isinstance(query, str):
        raise BadInput(f"query must be text (received {query!r})")
    if "\x00" in query:  # PostgreSQL text cannot hold NUL; refuse it everywhere alike
        raise BadInput("query must not contain NUL characters")
    if len(query) > MAX_QUERY_CHARS:
        raise BadInput(f"query is too long ({len(query)} characters, limit {MAX_QUERY_CHARS})")
    fields = {
        "query": query,
        "filters": _json_value(dict(filters or {}), "filters"),
        "result_ids": _json_value(_piece_ids(result_ids), "result ids"),
    }
    return _insert_event(user, SearchEvent, fields)


def refine_search(
    user: str, event_id: int, filters: dict[str, Any] | None, result_ids: Sequence[str]
) -> None:
    """Replace the filters and results of ``user``'s search ``event_id`` (the same query,
    narrowed or widened in one sitting, stays one search in the history)."""
    fields = {
        "filters": _json_value(dict(filters or {}), "filters"),
        "result_ids": _json_value(_piece_ids(result_ids), "result ids"),
    }

    def work(session: Session) -> None:
        user_id = _user(session, user).id
        done = session.execute(
            update(SearchEvent)
            .where(SearchEvent.id == event_id, SearchEvent.user_id == user_id)
            .values(**fields)
        ).rowcount
        if not done:
            raise BadInput(f"no search with id {event_id!r} in {user!r}'s history")

    _transaction(work)


def _insert_event(
    user: str, model: type[SearchEvent | Interaction | Seed], fields: dict[str, Any]
) -> int:
    validate_user_name(user)

    def work(session: Session) -> int:
        return _insert(session, model, user_id=_user_id_for_write(session, user), **fields)

    return _transaction(work)


def record_interaction(
    user: str, piece_id: str, kind: str, value: float | None = None
) -> int | None:
    """Log what ``user`` did with a piece; returns the event id (None for favourite / hidden
    state)."""
    if kind not in INTERACTION_KINDS:
        raise BadInput(
            f"interaction kind must be one of {', '.join(INTERACTION_KINDS)} (received {kind!r})"
        )
    piece_id = _piece_id(piece_id)
    if kind == "favourite":
        add_favourite(user, piece_id)
        return None
    if kind == "unfavourite":
        return remove_favourite(user, piece_id)
    if kind == "dismiss":
        hide_piece(user, piece_id)
        return None
    fields = {"piece_id": piece_id, "kind": kind, "value": _value(kind, value)}
    return _insert_event(user, Interaction, fields)


def interactions(user: str) -> list[InteractionRow]:
    """Every signal for recommendations, oldest first; current favourites as kind "favourite"."""

    def work(session: Session) -> list[InteractionRow]:
        user_id = _user(session, user).id
        events = session.scalars(
            select(Interaction)
            .where(Interaction.user_id == user_id)
            .order_by(Interaction.at, Interaction.id)
        )
        rows = [InteractionRow(e.piece_id, e.kind, _utc(e.at), e.value) for e in events]
        rows += [
            InteractionRow(f.piece_id, "favourite", _utc(f.at))
            for f in _favourites(session, user_id)
        ]
        rows += [
            InteractionRow(h.piece_id, "dismiss", _utc(h.at)) for h in hidden_rows(session, user_id)
        ]
        return sorted(rows, key=lambda row: row.at)

    return _transaction(work)


# ---------------------------------------------------------------- favourites


def _favourites(session: Session, user_id: int) -> list[Favourite]:
    query = (
        select(Favourite).where(Favourite.user_id == user_id).order_by(Favourite.at, Favourite.id)
    )
    return list(session.scalars(query))


def add_favourite(user: str, piece_id: str) -> bool:
    """Favourite a piece; False if it already was (idempotent)."""
    piece_id = _piece_id(piece_id)
    validate_user_name(user)

    def work(session: Session) -> bool:
        user_id = _user_id_for_write(session, user)
        exists = select(Favourite.id).where(
            Favourite.user_id == user_id, Favourite.piece_id == piece_id
        )
        if session.scalar(exists) is not None:
            return False
        _insert(session, Favourite, user_id=user_id, piece_id=piece_id)
        return True

    return _transaction(work)


def remove_favourite(user: str, piece_id: str) -> int | None:
    """Un-favourite a piece and log an "unfavourite" event (its id); None if it was no favourite."""
    piece_id = _piece_id(piece_id)

    def work(session: Session) -> int | None:
        user_id = _user(session, user).id
        gone = session.execute(
            delete(Favourite).where(Favourite.user_id == user_id, Favourite.piece_id == piece_id)
        ).rowcount
        if not gone:
            return None
        return _insert(session, Interaction, user_id=user_id, piece_id=piece_id, kind="unfavourite")

    return _transaction(work)


def list_favourites(user: str) -> list[str]:
    """Favourite piece ids, oldest first."""

    def work(session: Session) -> list[str]:
        return [f.piece_id for f in _favourites(session, _user(session, user).id)]

    return _transaction(work)


# ---------------------------------------------------------------- seeds


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
        "conditioned_on": _json_value(_piece_ids(conditioned_on), "conditioning ids"),
        "params": _json_value(dict(params), "seed params"),
        "model_version": model_version,
        "midi": bytes(midi),
        "musicxml": musicxml,
        "saved": bool(saved),
    }
    return _insert_event(user, Seed, fields)


def _seed(session: Session, seed_id: int) -> Seed:
    seed = session.get(Seed, seed_id) if isinstance(seed_id, int) else None
    if seed is None:
        raise BadInput(f"unknown seed id: {seed_id!r}")
    return seed


def rate_seed(seed_id: int, rating: int) -> None:
    """Rate a seed 1..5 (rating again overwrites)."""
    value = _rating(rating)

    def work(session: Session) -> None:
        _seed(session, seed_id).rating = value

    _transaction(work)


def set_seed_saved(seed_id: int, saved: bool = True) -> None:
    def work(session: Session) -> None:
        _seed(session, seed_id).saved = bool(saved)

    _transaction(work)


def _seed_row(seed: Seed, midi_bytes: int, musicxml_chars: int) -> SeedRow:
    return SeedRow(
        id=seed.id,
        conditioned_on=list(seed.conditioned_on),
        params=dict(seed.params),
        model_version=seed.model_version,
        rating=seed.rating,
        saved=bool(seed.saved),
        at=_utc(seed.at),
        midi_bytes=midi_bytes,
        musicxml_chars=musicxml_chars,
    )


def list_seeds(user: str) -> list[SeedRow]:
    """The user's seeds, oldest first, without loading the MIDI / MusicXML payloads."""

    return _transaction(lambda session: _seed_rows(session, _user(session, user).id))


def _seed_rows(session: Session, user_id: int) -> list[SeedRow]:
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


def seed_files(seed_id: int) -> SeedFiles:
    def work(session: Session) -> SeedFiles:
        seed = _seed(session, seed_id)
        return SeedFiles(midi=seed.midi, musicxml=seed.musicxml)

    return _transaction(work)


# ---------------------------------------------------------------- history


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _utc(value).isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
    }


def history(user: str) -> dict[str, Any]:
    """Everything stored about ``user``, JSON-ready (ISO times), each event with its id."""

    def work(session: Session) -> dict[str, Any]:
        person = _user(session, user)
        searches = session.scalars(
            select(SearchEvent)
            .where(SearchEvent.user_id == person.id)
            .order_by(SearchEvent.at, SearchEvent.id)
        )
        events = session.scalars(
            select(Interaction)
            .where(Interaction.user_id == person.id)
            .order_by(Interaction.at, Interaction.id)
        )
        return {
            "user": person.name,
            "created_at": _utc(person.created_at).isoformat(),
            "searches": [
                _iso(_columns(s, "id", "query", "filters", "result_ids", "at")) for s in searches
            ],
            "interactions": [
                _iso(_columns(e, "id", "piece_id", "kind", "value", "at")) for e in events
            ],
            "favourites": [
                _iso(_columns(f, "id", "piece_id", "at")) for f in _favourites(session, person.id)
            ],
            "seeds": [_iso(asdict(seed)) for seed in _seed_rows(session, person.id)],
            "hidden": [
                _iso(_columns(h, "id", "piece_id", "at")) for h in hidden_rows(session, person.id)
            ],
        }

    return _transaction(work)


def _columns(row: Base, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def delete_event(user: str, kind: str, event_id: int) -> None:
    """Delete one history entry; ``kind`` is search | interaction | favourite | seed | hidden."""
    model = EVENT_MODELS.get(EVENT_ALIASES.get(kind, kind)) if isinstance(kind, str) else None
    if model is None:
        raise BadInput(f"event kind must be one of {', '.join(EVENT_MODELS)} (received {kind!r})")

    def work(session: Session) -> None:
        user_id = _user(session, user).id
        gone = session.execute(
            delete(model).where(model.id == event_id, model.user_id == user_id)
        ).rowcount
        if not gone:
            raise BadInput(f"no {kind} with id {event_id!r} in {user!r}'s history")

    _transaction(work)


# "Not for me" lives in its own module (it needs the helpers above); re-exported here.
from db.hidden import hidden_rows, hide_piece, list_hidden, unhide_piece  # noqa: E402, F401
