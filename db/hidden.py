""" "Not for me": pieces a person hid (``hidden_pieces``); re-exported by ``db.repo``.

A hidden piece is state, like a favourite (the shared row logic is ``db.piece_state``): hiding
twice keeps one row, un-hiding deletes it, and deleting the person deletes their rows
(``db.models.HISTORY_MODELS``). Unlike favouriting, hiding needs an existing user.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.checks import checked_piece_id
from db.models import HiddenPiece
from db.piece_state import add_state, delete_state, list_state, state_rows
from db.transactions import existing_user, transaction


def hidden_rows(session: Session, user_id: int) -> list[HiddenPiece]:
    return state_rows(session, HiddenPiece, user_id)


def hide_piece(user: str, piece_id: str) -> bool:
    """Mark a piece "not for me" for an existing user; False if it already was (idempotent)."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> bool:
        return add_state(session, HiddenPiece, existing_user(session, user).id, piece_id)

    return transaction(work)


def unhide_piece(user: str, piece_id: str) -> bool:
    """Undo "not for me"; False if the piece was not hidden."""
    piece_id = checked_piece_id(piece_id)

    def work(session: Session) -> bool:
        return delete_state(session, HiddenPiece, existing_user(session, user).id, piece_id)

    return transaction(work)


def list_hidden(user: str) -> list[str]:
    """Hidden piece ids, oldest first."""
    return list_state(HiddenPiece, user)
