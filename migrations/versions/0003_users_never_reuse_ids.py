"""Users get AUTOINCREMENT ids on SQLite: a deleted person's id is never given to the next one.

SQLite's plain ``INTEGER PRIMARY KEY`` hands out max(id) + 1, so deleting the newest user
and adding another reused the id (any row or file keyed by it would follow the new person).
``AUTOINCREMENT`` keeps the highest id ever used in ``sqlite_sequence``. PostgreSQL sequences
never reuse ids, so there the table is left alone. Batch mode copies the rows (with foreign
keys off, see ``db.session``), so no one's history is lost.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "users", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
