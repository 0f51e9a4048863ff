"""Alembic migrations: round trips, models == migrated schema, old databases keep their rows."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text

from cantus.config import REPO_ROOT
from db import repo
from db.models import Base, User
from db.session import (
    _sqlite_pragmas,
    alembic_config,
    current_revision,
    dispose_engines,
    get_engine,
    head_revision,
    run_alembic,
    session_scope,
)
from tests.postgres import pg_server, pg_url  # noqa: F401 (fixtures)

FIRST = "0001"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """An empty database, not yet migrated: a SQLite file with the app's pragmas, or a fresh
    database on a throw-away PostgreSQL server (tests/postgres.py)."""
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cantus.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("CANTUS_DB_URL", url)
    raw = create_engine(url)
    if request.param == "sqlite":
        event.listen(raw, "connect", _sqlite_pragmas)
    yield raw
    raw.dispose()
    dispose_engines()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _diffs(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_revisions_form_one_line_ending_at_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    chain = [rev.revision for rev in script.walk_revisions()]
    assert chain[-1] == FIRST and chain[0] == head_revision() and len(chain) >= 2


def test_upgrade_downgrade_upgrade_on_an_empty_database(engine: Engine) -> None:
    run_alembic(engine, "upgrade", "head")
    assert _tables(engine) == set(Base.metadata.tables)
    run_alembic(engine, "downgrade", "base")
    assert _tables(engine) == set()
    assert current_revision(engine) is None
    run_alembic(engine, "upgrade", "head")
    assert current_revision(engine) == head_revision()
    assert _diffs(engine) == []


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    run_alembic(engine, "upgrade", "head")
    assert _diffs(engine) == []
    seeds = {c["name"]: c for c in inspect(engine).get_columns("seeds")}
    assert seeds["saved"]["nullable"] is False


def _raw_insert(conn: Connection, table: str, **values: object) -> None:
    columns, params = ", ".join(values), ", ".join(f":{name}" for name in values)
    conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


def _fill_at_first_revision(engine: Engine) -> None:
    """Rows as the revision-1 app wrote them (no seeds.saved column yet)."""
    at = datetime(2024, 5, 1, tzinfo=UTC)
    with engine.begin() as conn:
        _raw_insert(conn, "users", id=1, name="old", created_at=at)
        filters, ids = '{"meter": "6/8"}', '["m21:a"]'
        _raw_insert(
            conn,
            "search_events",
            user_id=1,
            query="jig in D",
            filters=filters,
            result_ids=ids,
            at=at,
        )
        _raw_insert(
            conn, "interactions", user_id=1, piece_id="m21:a", kind="rating", value=4, at=at
        )
        _raw_insert(conn, "favourites", user_id=1, piece_id="m21:a", at=at)
        seed = {"conditioned_on": ids, "params": '{"bars": 8}', "model_version": "gen-0"}
        _raw_insert(
            conn,
            "seeds",
            user_id=1,
            **seed,
            midi=b"MThd\x00\x01",
            musicxml="<score/>",
            rating=3,
            at=at,
        )


def test_a_database_from_the_first_schema_migrates_without_loss(engine: Engine) -> None:
    run_alembic(engine, "upgrade", FIRST)
    assert "saved" not in {c["name"] for c in inspect(engine).get_columns("seeds")}
    _fill_at_first_revision(engine)
    get_engine()  # the app's first use migrates the file to head
    assert current_revision(engine) == head_revision()
    found = repo.history("old")
    assert found["searches"][0]["query"] == "jig in D"
    assert found["searches"][0]["filters"] == {"meter": "6/8"}
    assert [(i["kind"], i["value"]) for i in found["interactions"]] == [("rating", 4.0)]
    assert repo.list_favourites("old") == ["m21:a"]
    (seed,) = repo.list_seeds("old")
    assert (seed.rating, seed.saved, seed.model_version, seed.midi_bytes) == (3, False, "gen-0", 6)
    assert repo.seed_files("old", seed.id).midi == b"MThd\x00\x01"
    assert found["searches"][0]["at"].startswith("2024-05-01")


def test_get_engine_migrates_a_new_database_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'fresh.db'}"
    try:
        engine = get_engine(url)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == set(Base.metadata.tables)
    finally:
        dispose_engines()


def test_alembic_config_works_from_another_directory(tmp_path: Path) -> None:
    """The CLI entry point and an installed package must not depend on the cwd."""
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    code = (
        "from db.session import get_engine, current_revision; print(current_revision(get_engine()))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CANTUS_DB_URL": url,
        "CANTUS_HOME": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == head_revision()


def test_offline_mode_renders_sql_for_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    """The models stay portable: the whole chain renders for PostgreSQL without a server."""
    from alembic import command

    command.upgrade(alembic_config("postgresql://u@localhost/cantus"), "head", sql=True)
    sql = capsys.readouterr().out
    assert "CREATE TABLE users" in sql and "ON DELETE CASCADE" in sql
    assert "ALTER TABLE seeds ADD COLUMN saved BOOLEAN DEFAULT false NOT NULL" in sql


def test_processes_migrating_one_new_file_at_once_agree(tmp_path: Path) -> None:
    """Several app processes starting on a fresh file: one migrates, the others wait (file lock)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    code = textwrap.dedent(
        """
        import sys
        from db import repo
        repo.add_favourite(sys.argv[1], "m21:a")
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "CANTUS_DB_URL": url,
        "CANTUS_HOME": str(tmp_path),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, f"p{i}"], env=env, stderr=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    results = [
        (proc.wait(timeout=120), proc.stderr.read() if proc.stderr else "") for proc in procs
    ]
    assert [rc for rc, _ in results] == [0, 0], results
    try:
        engine = get_engine(url)
        assert current_revision(engine) == head_revision()
        with session_scope(engine) as session:
            assert sorted(session.scalars(select(User.name))) == ["p0", "p1"]
    finally:
        dispose_engines()
