"""`cantus user delete` removes the person's files too, and ids are never handed out twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cantus import cli, config
from db import repo
from db.models import User
from db.session import session_scope

XML = "<score-partwise version='4.0'/>\n"


@pytest.fixture(autouse=True)
def env(db_commands: str) -> str:
    return db_commands


def seed(user: str, folder: Path, seed_id: str, record_files: bool = True) -> list[Path]:
    """Write a seed's two files as `cantus inspire --user` does and store it."""
    folder.mkdir(parents=True, exist_ok=True)
    midi, xml = folder / f"{seed_id}.mid", folder / f"{seed_id}.musicxml"
    midi.write_bytes(b"MThd" + seed_id.encode())
    xml.write_text(XML, encoding="utf-8")
    params = {"seed_id": seed_id, **({"files": [str(midi), str(xml)]} if record_files else {})}
    repo.save_seed(user, ["m21:x#"], params, "v1", midi.read_bytes(), XML)
    return [midi, xml]


def user_ids() -> dict[str, int]:
    with session_scope() as session:
        return {u.name: u.id for u in session.scalars(select(User))}


def test_user_delete_removes_seed_files_and_uploads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = config.seeds_dir() / "20261201-101500"
    own = [*seed("ana", run, "seed-aaa"), *seed("ana", run, "seed-bbb")]
    old_style = seed("ana", config.seeds_dir() / "older", "seed-ccc", record_files=False)
    custom_out = seed("ana", tmp_path / "my-seeds", "seed-ddd")  # `inspire --out DIR`
    shared = seed("bo", run, "seed-eee")  # same request, same seed id and path as ana's
    repo.save_seed("ana", ["m21:x#"], {"seed_id": "seed-eee"}, "v1", shared[0].read_bytes(), XML)
    edited = seed("ana", run, "seed-fff")
    edited[1].write_text("<changed by hand/>", encoding="utf-8")
    upload = config.uploads_dir("ana") / "0123456789ab.abc"
    upload.write_text("X:1\nK:C\nC|\n")
    others_upload = config.uploads_dir("bo") / "0123456789ab.abc"
    others_upload.write_text("X:1\nK:C\nC|\n")

    assert cli.main(["user", "delete", "ana", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deleted"] == "ana" and out["rows"]["seeds"] == 6
    assert out["files"] == 4 * 2 + 1 + 1  # 4 whole seeds, seed-fff's MIDI, the upload
    gone = [*own, *old_style, *custom_out, edited[0], upload]
    assert not [p for p in gone if p.exists()], "files of the deleted user remain"
    assert all(p.exists() for p in [*shared, edited[1], others_upload]), "removed too much"
    assert not (config.seeds_dir() / "older").exists()  # its emptied run folder goes too
    assert (tmp_path / "my-seeds").is_dir()  # a folder the person chose stays
    assert "ana" not in user_ids() and len(repo.list_seeds("bo")) == 1


def test_a_deleted_users_id_is_never_reused() -> None:
    repo.ensure_user("first")
    repo.ensure_user("newest")
    newest = user_ids()["newest"]
    repo.delete_user("newest")
    repo.ensure_user("next")
    assert user_ids()["next"] > newest
