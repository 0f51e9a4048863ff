"""``cantus ingest``: every format, corrupt files survived, re-ingest idempotent, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cantus import catalog, user_ingest, works

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = sorted((FIXTURES / "music").iterdir())
CORRUPT = sorted((FIXTURES / "corrupt").iterdir())


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    shutil.copytree(FIXTURES / "music", folder)
    return folder


def test_ingest_every_format(home: Path, music_dir: Path) -> None:
    report = user_ingest.ingest_paths([music_dir], jobs=2, progress=False)
    assert report.errors == []
    frame = catalog.read_frame(home / "user" / catalog.CATALOG_FILE)
    suffixes = {Path(s).suffix for s in frame["source"]}
    assert suffixes == {".mid", ".musicxml", ".mxl", ".abc", ".krn", ".mei"}
    assert len(frame) == 7  # the ABC file holds two tunes
    assert all(i.startswith("file:") and len(i.split("#")[0]) == 5 + 12 for i in frame["id"])
    assert (frame["collection"] == "user").all()
    assert (frame["n_tokens"] > 0).all() and (frame["n_notes"] > 0).all()
    abc = frame[frame["source"].str.endswith(".abc")].set_index("number")
    assert abc.loc["1", "form"] == "jig" and abc.loc["1", "meter"] == "6/8"
    assert abc.loc["2", "mode"] == "dorian"
    assert frame.loc[frame["source"].str.endswith("minor_air.musicxml"), "mode"].item() == "minor"
    assert frame["captions"].map(len).gt(0).all()


def test_ingest_survives_corrupt_files(home: Path, music_dir: Path, tmp_path: Path) -> None:
    bad_dir = tmp_path / "bad"
    shutil.copytree(FIXTURES / "corrupt", bad_dir)
    paths = [music_dir / "little_waltz.mid", *sorted(bad_dir.iterdir())]
    report = user_ingest.ingest_paths(paths, jobs=2, progress=False)
    assert len(report.added) == 1
    reasons = {Path(e["source"]).name: e["reason"] for e in report.errors}
    assert set(reasons) == {p.name for p in CORRUPT}
    assert "empty" in reasons["empty.abc"]
    assert "MIDI" in reasons["truncated.mid"] or "corrupt" in reasons["truncated.mid"]
    assert "MIDI" in reasons["garbage.mid"]
    assert "nested deeper" in reasons["deep_nesting.musicxml"]
    assert "no notes" in reasons["zero_notes.musicxml"]
    assert "unsupported file type" in reasons["not_music.txt"]
    assert reasons["prose.abc"]


def test_reingest_is_idempotent_and_changed_file_replaces(home: Path, music_dir: Path) -> None:
    first = user_ingest.ingest_paths([music_dir], jobs=1, progress=False)
    path = home / "user" / catalog.CATALOG_FILE
    before = catalog.read_frame(path)
    again = user_ingest.ingest_paths([music_dir], jobs=1, progress=False)
    assert again.added == [] and len(again.unchanged) == len(GOOD)
    assert catalog.read_frame(path)["id"].tolist() == before["id"].tolist()

    abc = music_dir / "two_tunes.abc"
    abc.write_text(abc.read_text().split("X:2")[0])  # now a single tune
    changed = user_ingest.ingest_paths([abc], jobs=1, progress=False)
    assert changed.replaced == [str(abc.resolve())] and len(changed.added) == 1
    after = catalog.read_frame(path)
    assert len(after) == len(before) - 1
    assert after.loc[after["source"] == str(abc.resolve()), "id"].tolist() == changed.added
    old_sha1 = works.sha1_12((FIXTURES / "music" / "two_tunes.abc").read_bytes())
    gone = {i for i in first.added if i.startswith(f"file:{old_sha1}#")}
    assert len(gone) == 2 and set(first.added) - set(after["id"]) == gone


def test_cli_ingest_exit_codes(home: Path, music_dir: Path, capsys: pytest.CaptureFixture) -> None:
    from cantus.cli import main

    bad = sorted((FIXTURES / "corrupt").iterdir())
    assert main(["ingest", "--jobs", "1", *map(str, bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("cantus: skipped") == len(bad)
    assert main(["ingest", "--json", "--jobs", "1", str(music_dir / "tiny.krn")]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["added"] == 1 and out["errors"] == []


def test_cli_ingest_partial_failure_and_empty_folder_exit_2(
    home: Path, music_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from cantus.cli import main

    bad = tmp_path / "zero.mid"
    bad.write_bytes(b"")
    assert main(["ingest", "--jobs", "1", str(music_dir / "tiny.krn"), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "ingested 1 piece (" in captured.out and "cantus: skipped" in captured.err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["ingest", "--jobs", "1", str(empty)]) == 2
    assert "cantus: no music files in" in capsys.readouterr().err
