"""One transaction per repository call: retries on lock timeouts and insert races, user lookup."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cantus.errors import BadInput
from db.checks import validate_user_name
from db.models import Base, Interaction, SearchEvent, Seed, User
from db.session import session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")


MAX_ATTEMPTS = 6  # retries on "database is locked" and on lost insert races


def _is_locked(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def transaction(work: Callable[[Session], T]) -> T:
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


def find_user(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == name)).one_or_none()


def existing_user(session: Session, name: str) -> User:
    """The existing user, or BadInput (reads and deletes never create people)."""
    user = find_user(session, validate_user_name(name))
    if user is None:
        raise BadInput(
            f"unknown user: {name!r} (a user appears with their first favourite, "
            "`cantus fav add --user NAME ID`, or when picked in the dashboard)"
        )
    return user


# Built once: constructing statements per call costs more than running them on SQLite.
_USER_ID = select(User.id).where(User.name == bindparam("name"))


_INSERTS = {table.name: insert(table) for table in Base.metadata.tables.values()}


def insert_row(session: Session, model: type[Base], **values: Any) -> int:
    """INSERT one row, returning its id (Core: the ORM unit of work costs ~3x per event)."""
    result = session.connection().execute(_INSERTS[model.__tablename__], values)
    return int(result.inserted_primary_key[0])


def user_id_for_write(session: Session, name: str) -> int:
    canonical = validate_user_name(name)
    user_id = session.connection().scalar(_USER_ID, {"name": canonical})
    if user_id is None:
        # A concurrent creator makes this raise IntegrityError; transaction then retries.
        user_id = insert_row(session, User, name=canonical)
    return user_id


def insert_event(
    user: str, model: type[SearchEvent | Interaction | Seed], fields: dict[str, Any]
) -> int:
    validate_user_name(user)

    def work(session: Session) -> int:
        return insert_row(session, model, user_id=user_id_for_write(session, user), **fields)

    return transaction(work)
