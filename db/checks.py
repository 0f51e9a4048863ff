"""Checks on what callers hand the repository: user names, piece ids, JSON payloads, ratings."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from cantus.errors import BadInput
from db.models import MAX_PIECE_ID, MAX_USER_NAME

MAX_QUERY_CHARS = 20_000  # a pasted paragraph is fine; a pasted file is not


MAX_JSON_CHARS = 100_000  # filters / params / result id lists


def as_utc(moment: datetime) -> datetime:
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


def checked_piece_id(piece_id: object) -> str:
    if not isinstance(piece_id, str) or not piece_id.strip():
        raise BadInput(f"piece id must be non-empty text (received {piece_id!r})")
    if len(piece_id) > MAX_PIECE_ID or not piece_id.isprintable():
        shown = piece_id[:80]
        raise BadInput(
            f"piece id must be ≤ {MAX_PIECE_ID} printable characters (received {shown!r})"
        )
    return piece_id


def checked_piece_ids(ids: Iterable[object]) -> list[str]:
    if isinstance(ids, str):
        raise BadInput(f"expected a list of piece ids, not one string (received {ids[:80]!r})")
    return [checked_piece_id(piece_id) for piece_id in ids]


def checked_json(value: Any, what: str) -> Any:
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


def checked_rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int | float) or rating != int(rating):
        raise BadInput(f"rating must be a whole number 1..5 (received {rating!r})")
    if not 1 <= rating <= 5:
        raise BadInput(f"rating must be in 1..5 (received {rating!r})")
    return int(rating)


def checked_value(kind: str, value: object) -> float | None:
    if kind == "rating":
        if value is None:
            raise BadInput("a rating interaction needs a value in 1..5")
        return float(checked_rating(value))
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


def is_row_id(value: object) -> bool:
    """Whether ``value`` can be a row id: a positive int below 2**31 (ids are 32-bit INTEGER on
    PostgreSQL, where a larger number is a database error), and not a bool (True reads row 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31
