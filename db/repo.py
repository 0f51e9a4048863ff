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

Seeds are acted on by their owner only: ``rate_seed``, ``set_seed_saved`` and ``seed_files``
take the user and refuse another person's seed with the error of an unknown id.

Functions: ``ensure_user(name)``, ``list_users()``, ``delete_user(name)``,
``record_search(user, query, filters, result_ids)``,
``refine_search(user, event_id, filters, result_ids)``,
``record_interaction(user, piece_id, kind, value=None)``, ``interactions(user)``,
``add_favourite(user, piece_id)``, ``remove_favourite(user, piece_id)``,
``list_favourites(user)``, ``hide_piece(user, piece_id)``, ``unhide_piece(user, piece_id)``,
``list_hidden(user)``, ``save_seed(user, conditioned_on, params, model_version, midi,
musicxml, saved=False)``, ``rate_seed(user, seed_id, rating)``,
``set_seed_saved(user, seed_id, saved)``, ``list_seeds(user)``, ``seed_files(user, seed_id)``,
``history(user)``,
``delete_event(user, kind, event_id)``, ``check_piece_ids(ids, known)``.

Users, searches and interactions live here; the rest is re-exported from its own module:
``db.checks`` (input checks), ``db.transactions`` (retried transactions), ``db.favourites``,
``db.hidden``, ``db.seeds`` and ``db.history``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from cantus.errors import BadInput
from db.checks import (
    MAX_QUERY_CHARS,
    as_utc,
    check_piece_ids,
    checked_json,
    checked_piece_id,
    checked_piece_ids,
    checked_value,
    is_row_id,
    validate_user_name,
)
from db.favourites import add_favourite, favourite_rows, list_favourites, remove_favourite
from db.hidden import hidden_rows, hide_piece, list_hidden, unhide_piece
from db.history import delete_event, history
from db.models import HISTORY_MODELS, INTERACTION_KINDS, Interaction, SearchEvent, User
from db.seeds import (
    SeedFiles,
    SeedRow,
    list_seeds,
    rate_seed,
    save_seed,
    seed_files,
    set_seed_saved,
)
from db.transactions import existing_user, insert_event, transaction, user_id_for_write

# The facade: every function of the docstring is importable from here.
__all__ = [
    "InteractionRow",
    "SeedFiles",
    "SeedRow",
    "UserRow",
    "add_favourite",
    "check_piece_ids",
    "delete_event",
    "delete_user",
    "ensure_user",
    "hide_piece",
    "history",
    "interactions",
    "list_favourites",
    "list_hidden",
    "list_seeds",
    "list_users",
    "rate_seed",
    "record_interaction",
    "record_search",
    "refine_search",
    "remove_favourite",
    "save_seed",
    "seed_files",
    "set_seed_saved",
    "unhide_piece",
    "validate_user_name",
]

log = logging.getLogger(__name__)


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


def ensure_user(name: str) -> UserRow:
    """The user called ``name``, created if new."""
    canonical = validate_user_name(name)

    def work(session: Session) -> UserRow:
        user = session.get_one(User, user_id_for_write(session, canonical))
        return UserRow(user.name, as_utc(user.created_at))

    return transaction(work)


def list_users() -> list[UserRow]:
    def work(session: Session) -> list[UserRow]:
        users = session.scalars(select(User).order_by(User.name))
        return [UserRow(user.name, as_utc(user.created_at)) for user in users]

    return transaction(work)


def delete_user(name: str) -> dict[str, int]:
    """Remove the person and all their history; returns how many rows of each kind went."""
    canonical = validate_user_name(name)

    def work(session: Session) -> dict[str, int]:
        user = existing_user(session, canonical)
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

    counts = transaction(work)
    log.info("deleted user %r and %s", canonical, counts)
    return counts


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
        "filters": checked_json(dict(filters or {}), "filters"),
        "result_ids": checked_json(checked_piece_ids(result_ids), "result ids"),
    }
    return insert_event(user, SearchEvent, fields)


def refine_search(
    user: str, event_id: int, filters: dict[str, Any] | None, result_ids: Sequence[str]
) -> None:
    """Replace the filters and results of ``user``'s search ``event_id`` (the same query,
    narrowed or widened in one sitting, stays one search in the history)."""
    fields = {
        "filters": checked_json(dict(filters or {}), "filters"),
        "result_ids": checked_json(checked_piece_ids(result_ids), "result ids"),
    }

    def work(session: Session) -> None:
        user_id = existing_user(session, user).id
        done = (
            is_row_id(event_id)
            and session.execute(
                update(SearchEvent)
                .where(SearchEvent.id == event_id, SearchEvent.user_id == user_id)
                .values(**fields)
            ).rowcount
        )
        if not done:
            raise BadInput(f"no search with id {event_id!r} in {user!r}'s history")

    transaction(work)


def record_interaction(
    user: str, piece_id: str, kind: str, value: float | None = None
) -> int | None:
    """Log what ``user`` did with a piece; returns the event id (None for favourite / hidden
    state)."""
    if kind not in INTERACTION_KINDS:
        raise BadInput(
            f"interaction kind must be one of {', '.join(INTERACTION_KINDS)} (received {kind!r})"
        )
    piece_id = checked_piece_id(piece_id)
    if kind == "favourite":
        add_favourite(user, piece_id)
        return None
    if kind == "unfavourite":
        return remove_favourite(user, piece_id)
    if kind == "dismiss":
        hide_piece(user, piece_id)
        return None
    fields = {"piece_id": piece_id, "kind": kind, "value": checked_value(kind, value)}
    return insert_event(user, Interaction, fields)


def interactions(user: str) -> list[InteractionRow]:
    """Every signal for recommendations, oldest first; current favourites as kind "favourite"."""

    def work(session: Session) -> list[InteractionRow]:
        user_id = existing_user(session, user).id
        events = session.scalars(
            select(Interaction)
            .where(Interaction.user_id == user_id)
            .order_by(Interaction.at, Interaction.id)
        )
        rows = [InteractionRow(e.piece_id, e.kind, as_utc(e.at), e.value) for e in events]
        rows += [
            InteractionRow(f.piece_id, "favourite", as_utc(f.at))
            for f in favourite_rows(session, user_id)
        ]
        rows += [
            InteractionRow(h.piece_id, "dismiss", as_utc(h.at))
            for h in hidden_rows(session, user_id)
        ]
        return sorted(rows, key=lambda row: row.at)

    return transaction(work)
