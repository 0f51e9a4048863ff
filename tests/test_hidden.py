""" "Not for me": db.hidden through db.repo, `cantus fav hide/unhide/hidden`, migration 0004."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, event, text

from cantus import cli
from cantus.errors import BadInput
from db import repo
from db.session import _sqlite_pragmas, dispose_engines, run_alembic

CATALOG_IDS = ["m21:bach/bwv1.6.mxl#", "m21:oneills1850/0001-0050.abc#7"]


@pytest.fixture(autouse=True)
def env(db_commands: str, catalog_ids) -> str:
    """A temporary database, a small catalog, and only the db commands registered."""
    catalog_ids(CATALOG_IDS)
    return db_commands


def test_hide_is_idempotent_undoable_and_a_dismiss_signal() -> None:
    repo.add_favourite("ana", "m21:a")
    assert repo.hide_piece("ana", "m21:b") is True
    assert repo.hide_piece("ana", "m21:b") is False  # one row per piece
    assert repo.record_interaction("ana", "m21:c", "dismiss") is None  # the same home
    assert repo.list_hidden("ana") == ["m21:b", "m21:c"]
    kinds = [(row.piece_id, row.kind) for row in repo.interactions("ana")]
    assert ("m21:b", "dismiss") in kinds and ("m21:c", "dismiss") in kinds
    assert [h["piece_id"] for h in repo.history("ana")["hidden"]] == ["m21:b", "m21:c"]
    assert repo.unhide_piece("ana", "m21:b") is True
    assert repo.unhide_piece("ana", "m21:b") is False
    assert repo.list_hidden("ana") == ["m21:c"]
    assert repo.list_favourites("ana") == ["m21:a"]  # nothing else touched


def test_hiding_needs_a_known_user_and_deleting_the_user_deletes_hidden_rows() -> None:
    with pytest.raises(BadInput, match="unknown user"):
        repo.hide_piece("nobody", "m21:a")
    repo.add_favourite("ben", "m21:a")
    repo.add_favourite("cy", "m21:a")
    repo.hide_piece("ben", "m21:b")
    repo.hide_piece("cy", "m21:b")
    assert repo.delete_user("ben")["hidden_pieces"] == 1
    assert repo.list_hidden("cy") == ["m21:b"]


def test_history_entry_of_a_hidden_piece_can_be_deleted() -> None:
    repo.add_favourite("dee", "m21:a")
    repo.hide_piece("dee", "m21:b")
    (entry,) = repo.history("dee")["hidden"]
    repo.delete_event("dee", "hidden", entry["id"])
    assert repo.list_hidden("dee") == []


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_hide_unhide_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "fav", "add", "--user", "ana", CATALOG_IDS[0])
    code, out, _ = run(capsys, "fav", "hide", "--user", "ana", CATALOG_IDS[1], "--json")
    assert code == 0
    assert json.loads(out) == {"user": "ana", "hidden": [CATALOG_IDS[1]], "already_hidden": []}
    code, out, _ = run(capsys, "fav", "hidden", "--user", "ana")
    assert (code, out.split()) == (0, [CATALOG_IDS[1]])
    code, out, _ = run(capsys, "fav", "unhide", "--user", "ana", CATALOG_IDS[1])
    assert (code, out.strip()) == (0, f"unhidden {CATALOG_IDS[1]}")
    assert repo.list_hidden("ana") == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("fav", "hide", "--user", "ghost", CATALOG_IDS[0]), "unknown user: 'ghost'"),
        (("fav", "hide", "--user", "ana", "m21:nope#1"), "unknown piece id: 'm21:nope#1'"),
        (("fav", "unhide", "--user", "ana", CATALOG_IDS[0]), "not hidden for 'ana'"),
    ],
)
def test_cli_bad_hide_input_is_one_line_exit_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    run(capsys, "fav", "add", "--user", "ana", CATALOG_IDS[0])
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert repo.list_hidden("ana") == [] and repo.list_favourites("ana") == [CATALOG_IDS[0]]


def test_migration_0004_moves_dismissals_and_downgrade_moves_them_back(env: str) -> None:
    raw = create_engine(env)
    event.listen(raw, "connect", _sqlite_pragmas)
    at = datetime(2024, 5, 1, tzinfo=UTC)
    run_alembic(raw, "upgrade", "0002")
    with raw.begin() as conn:
        conn.execute(
            text("INSERT INTO users (id, name, created_at) VALUES (1, 'old', :at)"), {"at": at}
        )
        for piece, kind in (("m21:x", "dismiss"), ("m21:x", "dismiss"), ("m21:y", "play")):
            conn.execute(
                text(
                    "INSERT INTO interactions (user_id, piece_id, kind, at) "
                    "VALUES (1, :piece, :kind, :at)"
                ),
                {"piece": piece, "kind": kind, "at": at},
            )
    run_alembic(raw, "upgrade", "0004")
    assert repo.list_hidden("old") == ["m21:x"]
    assert [e["kind"] for e in repo.history("old")["interactions"]] == ["play"]
    dispose_engines()
    run_alembic(raw, "downgrade", "0003")
    with raw.connect() as conn:
        kinds = conn.execute(text("SELECT piece_id, kind FROM interactions ORDER BY id")).all()
    assert sorted(kinds) == [("m21:x", "dismiss"), ("m21:y", "play")]
    raw.dispose()
