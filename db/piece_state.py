"""A person's per-piece state: favourites (``favourites``) and "not for me" (``hidden_pieces``).

Both tables have one shape — at most one (user, piece) row, added once, deleted on undo, listed
oldest first — so the logic lives here once; ``db.favourites`` and ``db.hidden`` add only what
differs (favouriting creates the user, un-favouriting logs an event, hiding needs a user).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Favourite, HiddenPiece
from db.transactions import existing_user, insert_row, transaction

StateModel = type[Favourite] | type[HiddenPiece]


def state_rows(session: Session, model: StateModel, user_id: int) -> list:
    """The user's rows of ``model``, oldest first."""
    query = select(model).where(model.user_id == user_id).order_by(model.at, model.id)
    return list(session.scalars(query))


def add_state(session: Session, model: StateModel, user_id: int, piece_id: str) -> bool:
    """Add the (user, piece) row unless it is there; True when added."""
    exists = select(model.id).where(model.user_id == user_id, model.piece_id == piece_id)
    if session.scalar(exists) is not None:
        return False
    insert_row(session, model, user_id=user_id, piece_id=piece_id)
    return True


def delete_state(session: Session, model: StateModel, user_id: int, piece_id: str) -> bool:
    """Delete the (user, piece) row; False when there was none."""
    gone = session.execute(
        delete(model).where(model.user_id == user_id, model.piece_id == piece_id)
    ).rowcount
    return bool(gone)


def list_state(model: StateModel, user: str) -> list[str]:
    """The piece ids of the user's rows of ``model``, oldest first (unknown user: BadInput)."""

    def work(session: Session) -> list[str]:
        return [row.piece_id for row in state_rows(session, model, existing_user(session, user).id)]

    return transaction(work)
