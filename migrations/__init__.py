"""Alembic environment and revisions for the cantus user database (see ``db.session``)."""
