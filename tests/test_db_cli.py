"""`cantus fav`, `cantus history`, `cantus user` through the real CLI entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cantus import cli
from db import repo

CATALOG_IDS = ["m21:bach/bwv1.6.mxl#", "m21:oneills1850/0001-0050.abc#7", "file:0123456789ab#0"]


@pytest.fixture(autouse=True)
def env(db_commands: str, catalog_ids) -> str:
    """A temporary database, a small catalog, and only the db commands registered."""
    catalog_ids(CATALOG_IDS)
    return db_commands


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fav_add_list_remove_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "fav", "add", "--user", "ana", CATALOG_IDS[0], CATALOG_IDS[1], "--json"
    )
    assert code == 0
    assert json.loads(out) == {"user": "ana", "added": CATALOG_IDS[:2], "already": []}
    code, out, _ = run(capsys, "fav", "add", "--user", "ana", CATALOG_IDS[0], "--json")
    assert json.loads(out)["already"] == [CATALOG_IDS[0]]
    code, out, _ = run(capsys, "fav", "list", "--user", "ana")
    assert (code, out.split()) == (0, CATALOG_IDS[:2])
    code, out, _ = run(capsys, "fav", "remove", "--user", "ana", CATALOG_IDS[0], "--json")
    assert json.loads(out) == {"user": "ana", "removed": [CATALOG_IDS[0]]}
    assert repo.list_favourites("ana") == [CATALOG_IDS[1]]


def test_unknown_piece_id_is_named_and_nothing_is_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "fav", "add", "--user", "ben", CATALOG_IDS[0], "m21:nope#1")
    assert code == 2 and out == ""
    assert err.strip() == "cantus: unknown piece id: 'm21:nope#1'"
    assert repo.list_users() == []


def test_removing_a_non_favourite_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    repo.add_favourite("cy", CATALOG_IDS[0])
    code, _, err = run(capsys, "fav", "remove", "--user", "cy", CATALOG_IDS[0], CATALOG_IDS[2])
    assert code == 2 and CATALOG_IDS[2] in err and len(err.strip().splitlines()) == 1
    assert repo.list_favourites("cy") == [CATALOG_IDS[0]]


@pytest.mark.parametrize(
    "argv",
    [
        ("fav", "list", "--user", "ghost"),
        ("history", "--user", "ghost"),
        ("user", "delete", "ghost"),
        ("fav", "add", "--user", "", CATALOG_IDS[0]),
        ("user", "delete"),
    ],
)
def test_unknown_users_and_missing_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("cantus: ") and len(err.strip().splitlines()) == 1


def test_fav_add_without_ids_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["fav", "add", "--user", "dee"])
    assert exc.value.code == 2
    assert "required: ID" in capsys.readouterr().err


def test_history_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    repo.record_search("eva", "sad waltz", {"meter": "3/4"}, CATALOG_IDS[:2])
    repo.record_interaction("eva", CATALOG_IDS[1], "rating", 5)
    repo.add_favourite("eva", CATALOG_IDS[1])
    repo.save_seed("eva", CATALOG_IDS[1:2], {"bars": 8}, "gen-1", b"MThd", "<score/>")
    code, out, _ = run(capsys, "history", "--user", "eva", "--json")
    found = json.loads(out)
    assert code == 0 and found == repo.history("eva")
    code, out, _ = run(capsys, "history", "--user", "eva")
    assert code == 0 and "'sad waltz'" in out and "rating" in out and "gen-1" not in out


def test_user_delete_removes_one_person_only(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("fay", "gus"):
        repo.add_favourite(name, CATALOG_IDS[0])
        repo.record_interaction(name, CATALOG_IDS[0], "play")
    code, out, _ = run(capsys, "user", "delete", "fay", "--json")
    assert code == 0
    assert json.loads(out) == {
        "deleted": "fay",
        "rows": {
            "search_events": 0,
            "interactions": 1,
            "favourites": 1,
            "seeds": 0,
            "hidden_pieces": 0,
        },
        "files": 0,  # seed files and uploads (tests/test_user_erase.py)
    }
    code, out, _ = run(capsys, "user", "list", "--json")
    assert [u["name"] for u in json.loads(out)["users"]] == ["gus"]
    assert len(repo.interactions("gus")) == 2


def test_missing_catalog_module_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "cantus.catalog", None)  # import now raises ImportError
    code, _, err = run(capsys, "fav", "add", "--user", "hal", CATALOG_IDS[0])
    assert code == 1
    assert "cannot check piece ids" in err and len(err.strip().splitlines()) == 1


def test_help_lists_the_db_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("fav", "history", "user"))


def test_seed_commands_act_on_the_users_own_seeds(capsys, tmp_path) -> None:
    seed_id = repo.save_seed("ana", [CATALOG_IDS[0]], {"bars": 8}, "gen-1", b"MThd\x00", "<x/>")
    assert run(capsys, "seed", "rate", "--user", "ana", str(seed_id), "4")[0] == 0
    assert run(capsys, "seed", "save", "--user", "ana", str(seed_id))[0] == 0
    code, out, _ = run(capsys, "seed", "export", "--json", "--user", "ana", str(seed_id),
                       "--out", str(tmp_path / "out"))  # fmt: skip
    midi, xml = json.loads(out)["files"]
    assert code == 0 and Path(midi).read_bytes() == b"MThd\x00" and Path(xml).read_text() == "<x/>"
    (row,) = repo.list_seeds("ana")
    assert (row.rating, row.saved) == (4, True)


@pytest.mark.parametrize("action", [["rate", "SEED", "1"], ["save", "SEED"], ["export", "SEED"]])
def test_another_users_seed_is_one_line_exit_2_like_an_unknown_one(capsys, tmp_path, action):
    seed_id = repo.save_seed("ana", [], {}, "gen-1", b"MThd", "<x/>")
    repo.ensure_user("bo")
    before = repo.list_seeds("ana")
    errors = []
    for target in (seed_id, seed_id + 50):  # ana's seed, then no seed at all
        argv = [a.replace("SEED", str(target)) for a in action]
        out_dir = tmp_path / f"out-{target}"
        extra = ["--out", str(out_dir)] if action[0] == "export" else []
        code, out, err = run(capsys, "seed", argv[0], "--user", "bo", *argv[1:], *extra)
        assert (code, out) == (2, "") and err.count("\n") == 1, err
        assert not out_dir.exists()
        errors.append(err.replace(str(target), "ID"))
    assert errors[0] == errors[1], "a stranger's seed must read like an unknown id"
    assert repo.list_seeds("ana") == before


@pytest.mark.parametrize(
    "argv",
    [["rate", "--user", "ana", "x1", "3"], ["rate", "--user", "ana", "1", "9"],
     ["rate", "--user", "ana", "1", "3; DROP TABLE seeds"], ["save", "--user", "", "1"],
     ["export", "--user", "ana", "1"], ["export", "--user", "ana", "1", "--out", "FILE"],
     ["export", "--user", "ana", "1", "--out", "FILE/sub"]],
)  # fmt: skip
def test_bad_seed_commands_are_one_line_exit_2(capsys, tmp_path, argv) -> None:
    repo.save_seed("ana", [], {}, "gen-1", b"MThd", "<x/>")
    (tmp_path / "f").write_text("")
    argv = [a.replace("FILE", str(tmp_path / "f")) for a in argv]
    try:
        code = cli.main(["seed", *argv])
    except SystemExit as exc:  # argparse's usage errors (one line, exit 2 via cantus.cli._Parser)
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("cantus: ") and err.count("\n") == 1, err
    assert [(r.rating, r.saved) for r in repo.list_seeds("ana")] == [(None, False)]
