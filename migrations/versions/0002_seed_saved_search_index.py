"""Seeds get a "saved" flag; searches get a (user_id, at) index for history pages.

Existing seeds become unsaved (server default false), so an old database upgrades in place.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seeds") as batch:
        batch.add_column(
            sa.Column("saved", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(op.f("ix_search_events_user_id_at"), "search_events", ["user_id", "at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_search_events_user_id_at"), table_name="search_events")
    with op.batch_alter_table("seeds") as batch:
        batch.drop_column("saved")
