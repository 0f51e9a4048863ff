"""SQLAlchemy 2.x typed models for user history.

Portable on purpose (SQLite by default, PostgreSQL for many users): only generic types, JSON
columns, and constraints named through ``NAMING_CONVENTION`` so Alembic batch mode on SQLite
and plain ALTERs elsewhere can address them by name. Every table hangs off ``users`` with
``ON DELETE CASCADE``, so deleting a person removes their whole history.

The schema is owned by ``migrations/``; ``tests/test_migrations.py`` checks these models and
the migrated schema agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# What a person can do with a piece; "rating" carries a value in 1..5.
INTERACTION_KINDS = ("open", "play", "favourite", "unfavourite", "dismiss", "rating", "search_hit")
MAX_USER_NAME = 64
MAX_PIECE_ID = 255
MAX_MODEL_VERSION = 128


def utcnow() -> datetime:
    return datetime.now(UTC)


def _kinds_sql() -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in INTERACTION_KINDS) + ")"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _user_fk() -> MappedColumn[int]:
    # Every history row belongs to one user and dies with them.
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def _at() -> MappedColumn[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class User(Base):
    __tablename__ = "users"
    # SQLite: AUTOINCREMENT, so a deleted person's id never goes to the next one (rev. 0003)
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_USER_NAME), nullable=False, unique=True)
    created_at: Mapped[datetime] = _at()


class SearchEvent(Base):
    __tablename__ = "search_events"
    __table_args__ = (Index(None, "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    query: Mapped[str] = mapped_column(Text, nullable=False)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    result_ids: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    at: Mapped[datetime] = _at()


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index(None, "user_id", "at"),
        CheckConstraint(_kinds_sql(), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    piece_id: Mapped[str] = mapped_column(String(MAX_PIECE_ID), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    at: Mapped[datetime] = _at()


class Favourite(Base):
    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "piece_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    piece_id: Mapped[str] = mapped_column(String(MAX_PIECE_ID), nullable=False)
    at: Mapped[datetime] = _at()


class Seed(Base):
    __tablename__ = "seeds"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    conditioned_on: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    model_version: Mapped[str] = mapped_column(String(MAX_MODEL_VERSION), nullable=False)
    midi: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    musicxml: Mapped[str] = mapped_column(Text, nullable=False)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Added in revision 0002: generated seeds are all kept as history; "saved" marks keepers.
    saved: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    at: Mapped[datetime] = _at()


class HiddenPiece(Base):
    """A piece the person said "not for me" about (revision 0003): never recommended again and
    a negative signal; un-hiding deletes the row."""

    __tablename__ = "hidden_pieces"
    __table_args__ = (UniqueConstraint("user_id", "piece_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = _user_fk()
    piece_id: Mapped[str] = mapped_column(String(MAX_PIECE_ID), nullable=False)
    at: Mapped[datetime] = _at()


# Child tables in deletion order (for counting what a user deletion removes).
HISTORY_MODELS: tuple[type[Base], ...] = (SearchEvent, Interaction, Favourite, Seed, HiddenPiece)
