"""Favourites (``favourites``): state, one row per piece; re-exported by ``db.repo``."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.checks import checked_piece_id, validate_user_name
from db.models import Favourite, Interaction
from db.transactions import (
    existing_user,
    insert_piece_once,
    insert_row,
    transaction,
    user_id_for_write,
)


def favourite_rows(session: Session, user_id: int) -> list[Favourite]:
    query = (
        select(Favourite).where(Favourite.user_id == user_id).order_by(Favourite.at, Favourite.id)
    )
    return list(session.scalars(query))


def add_favourite(user: str, piece_id: str) -> bool:
    """Favourite a piece; False if it already was (idempotent)."""
    piece_id = checked_piece_id(piece_id)
    validate_user_name(user)

    def work(session: Session) -> bool:
        return insert_piece_once(session, Favourite, user_id_for_write(session, user), piece_id)

    return transaction(work)


def remove_favourite(user: str, piece_id: str) -> int | None:
    """Un-favourite a piece and log an "unfavourite" event (its id); None if it was no favourite."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> int | None:
        user_id = existing_user(session, user).id
        gone = session.execute(
            delete(Favourite).where(Favourite.user_id == user_id, Favourite.piece_id == piece_id)
        ).rowcount
        if not gone:
            return None
        return insert_row(
            session, Interaction, user_id=user_id, piece_id=piece_id, kind="unfavourite"
        )

    return transaction(work)


def list_favourites(user: str) -> list[str]:
    """Favourite piece ids, oldest first."""

    def work(session: Session) -> list[str]:
        return [f.piece_id for f in favourite_rows(session, existing_user(session, user).id)]

    return transaction(work)
