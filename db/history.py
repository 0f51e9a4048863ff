"""A person's whole history, JSON-ready, and deleting one entry of it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cantus.errors import BadInput
from db.checks import as_utc, is_row_id
from db.favourites import favourite_rows
from db.hidden import hidden_rows
from db.models import Base, Favourite, HiddenPiece, Interaction, SearchEvent, Seed
from db.seeds import seed_rows
from db.transactions import existing_user, transaction

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


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: as_utc(value).isoformat() if isinstance(value, datetime) else value
        for key, value in row.items()
    }


def history(user: str) -> dict[str, Any]:
    """Everything stored about ``user``, JSON-ready (ISO times), each event with its id."""

    def work(session: Session) -> dict[str, Any]:
        person = existing_user(session, user)
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
            "created_at": as_utc(person.created_at).isoformat(),
            "searches": [
                _iso(_columns(s, "id", "query", "filters", "result_ids", "at")) for s in searches
            ],
            "interactions": [
                _iso(_columns(e, "id", "piece_id", "kind", "value", "at")) for e in events
            ],
            "favourites": [
                _iso(_columns(f, "id", "piece_id", "at"))
                for f in favourite_rows(session, person.id)
            ],
            "seeds": [_iso(asdict(seed)) for seed in seed_rows(session, person.id)],
            "hidden": [
                _iso(_columns(h, "id", "piece_id", "at")) for h in hidden_rows(session, person.id)
            ],
        }

    return transaction(work)


def _columns(row: Base, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


def delete_event(user: str, kind: str, event_id: int) -> None:
    """Delete one history entry; ``kind`` is search | interaction | favourite | seed | hidden."""
    model = EVENT_MODELS.get(EVENT_ALIASES.get(kind, kind)) if isinstance(kind, str) else None
    if model is None:
        raise BadInput(f"event kind must be one of {', '.join(EVENT_MODELS)} (received {kind!r})")

    def work(session: Session) -> None:
        user_id = existing_user(session, user).id
        gone = (
            is_row_id(event_id)
            and session.execute(
                delete(model).where(model.id == event_id, model.user_id == user_id)
            ).rowcount
        )
        if not gone:
            raise BadInput(f"no {kind} with id {event_id!r} in {user!r}'s history")

    transaction(work)
