""" "Not for me" gets its own table, ``hidden_pieces`` (one row per user and piece, undoable).

Earlier "dismiss" interactions move into it (the earliest moment per user and piece), so an
old database keeps every dismissal; downgrade moves them back as "dismiss" interactions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hidden_pieces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("piece_id", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_hidden_pieces_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hidden_pieces")),
        sa.UniqueConstraint("user_id", "piece_id", name=op.f("uq_hidden_pieces_user_id_piece_id")),
    )
    op.execute(
        "INSERT INTO hidden_pieces (user_id, piece_id, at) "
        "SELECT user_id, piece_id, MIN(at) FROM interactions WHERE kind = 'dismiss' "
        "GROUP BY user_id, piece_id"
    )
    op.execute("DELETE FROM interactions WHERE kind = 'dismiss'")


def downgrade() -> None:
    op.execute(
        "INSERT INTO interactions (user_id, piece_id, kind, value, at) "
        "SELECT user_id, piece_id, 'dismiss', NULL, at FROM hidden_pieces"
    )
    op.drop_table("hidden_pieces")
