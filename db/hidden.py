""" "Not for me": pieces a person hid (``hidden_pieces``); re-exported by ``db.repo``.

A hidden piece is state, like a favourite: hiding twice keeps one row, un-hiding deletes it,
and deleting the person deletes their rows (``db.models.HISTORY_MODELS``).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.checks import checked_piece_id
from db.models import HiddenPiece
from db.transactions import existing_user, insert_piece_once, transaction


def hidden_rows(session: Session, user_id: int) -> list[HiddenPiece]:
    query = (
        select(HiddenPiece)
        .where(HiddenPiece.user_id == user_id)
        .order_by(HiddenPiece.at, HiddenPiece.id)
    )
    return list(session.scalars(query))


def hide_piece(user: str, piece_id: str) -> bool:
    """Mark a piece "not for me" for an existing user; False if it already was (idempotent)."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> bool:
        return insert_piece_once(session, HiddenPiece, existing_user(session, user).id, piece_id)

    return transaction(work)


def unhide_piece(user: str, piece_id: str) -> bool:
    """Undo "not for me"; False if the piece was not hidden."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> bool:
        user_id = existing_user(session, user).id
        gone = session.execute(
            delete(HiddenPiece).where(
                HiddenPiece.user_id == user_id, HiddenPiece.piece_id == piece_id
            )
        ).rowcount
        return bool(gone)

    return transaction(work)


def list_hidden(user: str) -> list[str]:
    """Hidden piece ids, oldest first."""

    def work(session: Session) -> list[str]:
        return [h.piece_id for h in hidden_rows(session, existing_user(session, user).id)]

    return transaction(work)
