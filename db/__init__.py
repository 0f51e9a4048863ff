"""User history storage: SQLAlchemy models (``db.models``), engine and sessions
(``db.session``), and the repository functions the rest of cantus calls (``db.repo``)."""
