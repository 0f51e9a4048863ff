"""Initial schema: users, searches, interactions, favourites, seeds.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("open", "play", "favourite", "unfavourite", "dismiss", "rating", "search_hit")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _user_id(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
    ]


def _at() -> sa.Column:
    return sa.Column("at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "search_events",
        _id(),
        *_user_id("search_events"),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("result_ids", sa.JSON(), nullable=False),
        _at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_events")),
    )
    op.create_table(
        "interactions",
        _id(),
        *_user_id("interactions"),
        sa.Column("piece_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        _at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interactions")),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")",
            name=op.f("ck_interactions_kind"),
        ),
    )
    op.create_index(op.f("ix_interactions_user_id_at"), "interactions", ["user_id", "at"])
    op.create_table(
        "favourites",
        _id(),
        *_user_id("favourites"),
        sa.Column("piece_id", sa.String(length=255), nullable=False),
        _at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_favourites")),
        sa.UniqueConstraint("user_id", "piece_id", name=op.f("uq_favourites_user_id_piece_id")),
    )
    op.create_table(
        "seeds",
        _id(),
        *_user_id("seeds"),
        sa.Column("conditioned_on", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("midi", sa.LargeBinary(), nullable=False),
        sa.Column("musicxml", sa.Text(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        _at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seeds")),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)", name=op.f("ck_seeds_rating")
        ),
    )


def downgrade() -> None:
    op.drop_table("seeds")
    op.drop_table("favourites")
    op.drop_index(op.f("ix_interactions_user_id_at"), table_name="interactions")
    op.drop_table("interactions")
    op.drop_table("search_events")
    op.drop_table("users")
