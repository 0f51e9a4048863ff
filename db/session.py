"""Engine and session factory; the database is migrated to head on first use.

``get_engine(url)`` caches one engine per URL and process. SQLite connections get WAL journal
mode (readers never block the writer), ``foreign_keys=ON`` (so ``ON DELETE CASCADE`` works),
``synchronous=NORMAL`` (safe with WAL: a power cut may lose the last commits, never corrupts)
and a busy timeout so concurrent writers wait instead of failing. Any other SQLAlchemy URL
(PostgreSQL for many users) is used as is.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from cantus.errors import CantusError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_engines_pid = os.getpid()


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic ``Config`` for ``url`` that works from any cwd and from an installed package."""
    from alembic.config import Config

    import migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))  # ini interpolation
    return cfg


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or "mode=memory" in str(url)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    try:
        # busy_timeout first: switching to WAL on a fresh file may itself have to wait.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _set_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _set_wal(cursor: Any) -> None:
    """WAL mode; SQLite may answer "locked" at once (no busy wait) while another process
    converts the same fresh file, so retry for up to the busy timeout."""
    import sqlite3

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _create_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":  # SQLAlchemy's default is psycopg2; cantus[scale] has v3
        url = url.set(drivername="postgresql+psycopg")
    if not _is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    if _is_memory(url):
        # One shared connection, or every new connection would see an empty database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _forget_engines_after_fork() -> None:
    """A forked child must not reuse the parent's pooled connections."""
    global _engines_pid
    if os.getpid() != _engines_pid:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()
        _engines_pid = os.getpid()


def get_engine(url: str | URL | None = None) -> Engine:
    """The engine for ``url`` (default ``cantus.config.db_url()``), migrated to head."""
    from cantus.config import db_url

    raw = url if url is not None else db_url()
    # Keyed by the URL as given: parsing it on every call costs more than the lookup.
    key = raw if isinstance(raw, str) else raw.render_as_string(hide_password=False)
    with _lock:
        _forget_engines_after_fork()
        engine = _engines.get(key)
        if engine is None:
            engine = _create_engine(make_url(raw))
            try:
                upgrade_to_head(engine)
            except DatabaseError as exc:  # e.g. a file that is not SQLite: say so, touch nothing
                engine.dispose()
                where = make_url(raw).render_as_string(hide_password=True)
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                msg = f"the user database {where} cannot be opened ({' '.join(reason.split())}); "
                if _is_sqlite(make_url(raw)):
                    msg += "move it away or set CANTUS_DB_URL to another database"
                else:  # a server: unreachable, wrong password, no such database
                    msg += "check CANTUS_DB_URL (host, port, user, password, database)"
                raise CantusError(msg) from exc
            _engines[key] = engine
    return engine


def dispose_engines() -> None:
    """Close and forget every cached engine (tests, or before switching databases)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _session_factory.cache_clear()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes sharing one SQLite file."""
    url = engine.url
    if not _is_sqlite(url) or _is_memory(url):
        yield
        return
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; first-use races are then possible
        yield
        return
    lock_path = Path(url.database or "").expanduser().with_suffix(".migrate.lock")
    try:
        handle = open(lock_path, "a")  # noqa: SIM115 (closed below)
    except OSError:  # a read-only folder: nothing can be migrated there anyway
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending Alembic revision to ``engine``'s database."""
    head = head_revision()
    # under the lock even to look: first connections to a fresh file race on setting it up
    with _migration_lock(engine):
        if current_revision(engine) == head:
            return  # the common case: no Alembic machinery
        run_alembic(engine, "upgrade", "head")
    log.info("database %s migrated to %s", engine.url.render_as_string(), head)


def run_alembic(engine: Engine, command_name: str, revision: str) -> None:
    """Run ``alembic upgrade|downgrade REVISION`` on ``engine``'s connection."""
    from alembic import command
    from alembic.util import CommandError

    cfg = alembic_config(engine.url)
    with engine.connect() as conn, _foreign_keys_off(conn):
        with conn.begin():
            if conn.dialect.name == "postgresql":
                # Many app servers may start at once; one migrates, the others wait.
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7243551)")
            cfg.attributes["connection"] = conn
            try:
                getattr(command, command_name)(cfg, revision)
            except CommandError as exc:
                msg = f"cannot {command_name} the database to {revision!r}: {exc}"
                msg += " (was it written by a newer cantus?)"
                raise CantusError(msg) from exc
        _check_foreign_keys(conn)


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite batch mode copies and drops tables; with foreign keys on, dropping ``users``
    would cascade-delete every history row. The pragma only works outside a transaction."""
    if conn.dialect.name != "sqlite":
        yield
        return
    conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    conn.commit()
    try:
        yield
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    conn.commit()
    if broken:
        raise CantusError(
            f"migration left {len(broken)} rows with dangling foreign keys: {broken[:3]}"
        )


@functools.lru_cache(maxsize=32)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: values read in a scope stay readable after it commits.
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = _session_factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
