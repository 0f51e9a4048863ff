"""Favourites (``favourites``): state, one row per piece; re-exported by ``db.repo``.

The row logic is shared with hidden pieces (``db.piece_state``); a favourite differs in that
adding one creates the user and removing one logs an "unfavourite" event (a negative signal).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.checks import checked_piece_id, validate_user_name
from db.models import Favourite, Interaction
from db.piece_state import add_state, delete_state, list_state, state_rows
from db.transactions import existing_user, insert_row, transaction, user_id_for_write


def favourite_rows(session: Session, user_id: int) -> list[Favourite]:
    return state_rows(session, Favourite, user_id)


def add_favourite(user: str, piece_id: str) -> bool:
    """Favourite a piece; False if it already was (idempotent)."""
    piece_id = checked_piece_id(piece_id)
    validate_user_name(user)

    def work(session: Session) -> bool:
        return add_state(session, Favourite, user_id_for_write(session, user), piece_id)

    return transaction(work)


def remove_favourite(user: str, piece_id: str) -> int | None:
    """Un-favourite a piece and log an "unfavourite" event (its id); None if it was no favourite."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> int | None:
        user_id = existing_user(session, user).id
        if not delete_state(session, Favourite, user_id, piece_id):
            return None
        return insert_row(
            session, Interaction, user_id=user_id, piece_id=piece_id, kind="unfavourite"
        )

    return transaction(work)


def list_favourites(user: str) -> list[str]:
    """Favourite piece ids, oldest first."""
    return list_state(Favourite, user)
