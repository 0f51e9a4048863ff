"""db.repo and db.session: behaviour, isolation, hostile input, concurrent writers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cantus.config import REPO_ROOT
from cantus.errors import BadInput
from db import repo
from db.models import Favourite, Interaction, SearchEvent, Seed, User
from db.session import get_engine, session_scope
from tests.db_helpers import fill_history
from tests.postgres import pg_server  # noqa: F401 (fixture)


def _count(model: type) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# ---------------------------------------------------------------- engine


def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = get_engine()
    assert engine is get_engine(sqlite_url)  # cached per URL
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


def test_session_scope_rolls_back_on_error(db_url: str) -> None:
    with pytest.raises(RuntimeError), session_scope() as session:
        session.add(User(name="ghost"))
        session.flush()
        raise RuntimeError("boom")
    assert [u.name for u in repo.list_users()] == []


def test_in_memory_url_keeps_its_schema() -> None:
    engine = get_engine("sqlite://")
    with session_scope(engine) as session:
        session.add(User(name="mem"))
    with session_scope(engine) as session:
        assert session.scalar(select(User.name)) == "mem"


# ---------------------------------------------------------------- users


def test_writes_create_users_reads_of_unknown_users_fail(db_url: str) -> None:
    with pytest.raises(BadInput, match="unknown user: 'nobody'"):
        repo.list_favourites("nobody")
    with pytest.raises(BadInput, match="unknown user"):
        repo.history("nobody")
    with pytest.raises(BadInput, match="unknown user"):
        repo.delete_user("nobody")
    repo.record_interaction("newcomer", "m21:x", "open")
    assert [u.name for u in repo.list_users()] == ["newcomer"]
    assert repo.ensure_user("newcomer").name == "newcomer"
    assert len(repo.list_users()) == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "tab\tname", " padded", "line\nbreak", None])
def test_bad_user_names_are_rejected(db_url: str, name: object) -> None:
    with pytest.raises(BadInput, match="user name"):
        repo.ensure_user(name)  # type: ignore[arg-type]


def test_unicode_names_are_normalised_to_one_user(db_url: str) -> None:
    composed, decomposed = "Zoë", "Zoe\u0308"
    repo.add_favourite(composed, "m21:a")
    assert repo.list_favourites(decomposed) == ["m21:a"]
    assert [u.name for u in repo.list_users()] == [composed]


def test_delete_user_removes_their_history_and_nothing_else(db_url: str) -> None:
    fill_history("alice")
    fill_history("bob")
    removed = repo.delete_user("alice")
    assert removed == {
        "search_events": 1,
        "interactions": 2,
        "favourites": 1,
        "seeds": 1,
        "hidden_pieces": 0,
    }
    assert [u.name for u in repo.list_users()] == ["bob"]
    assert (_count(SearchEvent), _count(Interaction), _count(Favourite), _count(Seed)) == (
        1,
        2,
        1,
        1,
    )
    assert repo.history("bob")["favourites"][0]["piece_id"] == "m21:a#1"
    with pytest.raises(BadInput, match="unknown user"):
        repo.history("alice")


def test_database_cascade_removes_children_without_the_repo(db_url: str) -> None:
    fill_history("carol")
    with session_scope() as session:
        session.execute(text("DELETE FROM users WHERE name = 'carol'"))
    assert (_count(SearchEvent), _count(Interaction), _count(Favourite), _count(Seed)) == (
        0,
        0,
        0,
        0,
    )


# ---------------------------------------------------------------- events


def test_interactions_merge_logged_events_and_current_favourites(db_url: str) -> None:
    repo.record_interaction("dan", "m21:a", "play")
    repo.add_favourite("dan", "m21:b")
    repo.record_interaction("dan", "m21:c", "favourite")  # same as add_favourite
    repo.record_interaction("dan", "m21:b", "unfavourite")
    rows = repo.interactions("dan")
    assert [(r.piece_id, r.kind) for r in rows] == [
        ("m21:a", "play"),
        ("m21:c", "favourite"),
        ("m21:b", "unfavourite"),
    ]
    assert all(r.at.tzinfo is not None for r in rows)
    assert [r.at for r in rows] == sorted(r.at for r in rows)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("like", None, "interaction kind"),
        ("rating", None, "needs a value"),
        ("rating", 6, r"1\.\.5"),
        ("rating", 0, r"1\.\.5"),
        ("rating", 2.5, "whole number"),
        ("play", float("nan"), "finite"),
    ],
)
def test_interaction_validation(db_url: str, kind: str, value: float | None, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        repo.record_interaction("frank", "m21:a", kind, value)
    assert _count(Interaction) == 0


def test_check_piece_ids_names_the_unknown_ones() -> None:
    known = {"m21:a", "m21:b"}.__contains__
    repo.check_piece_ids(["m21:a", "m21:b"], known)
    with pytest.raises(BadInput, match=r"unknown piece id: 'm21:zzz', 'file:0#1'$"):
        repo.check_piece_ids(["m21:a", "m21:zzz", "file:0#1"], known)


# ---------------------------------------------------------------- hostile input

HOSTILE = [
    "'; DROP TABLE users; --",
    'Robert"); DELETE FROM interactions WHERE ("1"="1',
    "%s %(x)s ? :name",
    "音楽 🎻 مرحبا Ωμέγα",
    "\\x00 \\\\ NULL",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_stored_verbatim(db_url: str, value: str) -> None:
    repo.record_search(value[:64], value, {"q": value}, [value])
    repo.add_favourite(value[:64], value)
    found = repo.history(value[:64])
    assert found["searches"][0]["query"] == value
    assert found["searches"][0]["filters"] == {"q": value}
    assert found["favourites"][0]["piece_id"] == value
    assert _count(User) == 1


def test_ten_kilobyte_query_is_kept_and_a_megabyte_is_refused(db_url: str) -> None:
    long_query = "melancholy waltz " * 600  # ~10 kB
    repo.record_search("kim", long_query, None, [])
    assert repo.history("kim")["searches"][0]["query"] == long_query
    with pytest.raises(BadInput, match="too long"):
        repo.record_search("kim", "x" * 1_000_000, None, [])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: repo.record_search("lee", "q", {"bad": object()}, []), "JSON"),
        (lambda: repo.record_search("lee", "q", None, "m21:a"), "list of piece ids"),
        (lambda: repo.record_search("lee", 42, None, []), "query must be text"),
        (lambda: repo.record_search("lee", "nul\x00byte", None, []), "NUL"),
        (lambda: repo.add_favourite("lee", ""), "piece id"),
        (lambda: repo.add_favourite("lee", "bad\x00id"), "piece id"),
        (lambda: repo.add_favourite("lee", "x" * 300), "piece id"),
        (lambda: repo.save_seed("lee", [], {}, "", b"", ""), "model version"),
        (lambda: repo.save_seed("lee", [], {}, "v", "not bytes", ""), "MIDI bytes"),
    ],
)
def test_malformed_values_are_rejected_before_writing(db_url: str, call, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        call()
    assert _count(User) == 0


# ---------------------------------------------------------------- concurrency

WRITES_PER_WORKER = 500
WRITER_SCRIPT = textwrap.dedent(
    """
    import sys
    from db import repo
    name, n = sys.argv[1], int(sys.argv[2])
    for i in range(n):
        repo.record_interaction(name, f"m21:piece#{i}", "play")
    """
)


def _thread_writer(name: str, errors: list[BaseException]) -> None:
    try:
        for i in range(WRITES_PER_WORKER):
            repo.record_interaction(name, f"m21:piece#{i}", "play")
    except BaseException as exc:  # collected and re-raised in the test thread
        errors.append(exc)


def test_threads_and_processes_writing_at_once_lose_nothing(db_url: str) -> None:
    # No migration up front: the processes and the first thread race to create the schema too.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, f"proc{i}", str(WRITES_PER_WORKER)], env=env
        )
        for i in range(2)
    ]
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_thread_writer, args=(f"thread{i}", errors)) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]
    assert errors == []
    elapsed = time.perf_counter() - started
    assert _count(Interaction) == 10 * WRITES_PER_WORKER, f"lost writes after {elapsed:.1f}s"
    assert {len(repo.interactions(u.name)) for u in repo.list_users()} == {WRITES_PER_WORKER}


def test_wrong_postgresql_password_is_one_line_naming_the_setting(pg_server) -> None:  # noqa: F811
    from cantus.errors import CantusError

    url = pg_server.url(password="wrong")
    with pytest.raises(CantusError, match="CANTUS_DB_URL") as info:
        get_engine(url)
    message = str(info.value)
    assert "password authentication failed" in message and "\n" not in message
    assert "wrong" not in message  # the password is never echoed


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    from cantus.errors import CantusError
    from db.session import get_engine

    path = tmp_path / "cantus.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CantusError, match=r"cannot be opened .*file is not a database"):
        get_engine(f"sqlite:///{path}")
    assert path.read_bytes() == b"this is not sqlite" * 100  # left as it was


def test_refine_search_updates_only_the_owners_entry() -> None:
    event = repo.record_search("refine-owner", "jig", {}, ["m21:a#1"])
    repo.refine_search("refine-owner", event, {"mode": "minor"}, ["m21:b#1"])
    (search,) = repo.history("refine-owner")["searches"]
    assert search["filters"] == {"mode": "minor"} and search["result_ids"] == ["m21:b#1"]
    repo.ensure_user("refine-other")
    with pytest.raises(BadInput, match="no search with id"):
        repo.refine_search("refine-other", event, {}, [])
    for odd in (True, 0, -1, 2**31, 10**30):  # True would read row 1; past 32 bits, a PG error
        with pytest.raises(BadInput, match="no search with id"):
            repo.refine_search("refine-owner", odd, {}, [])
    (search,) = repo.history("refine-owner")["searches"]
    assert search["result_ids"] == ["m21:b#1"], "a refused refine writes nothing"
