from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cantus import catalog, ingest

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = sorted((FIXTURES / "music").iterdir())
CORRUPT = sorted((FIXTURES / "corrupt").iterdir())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANTUS_ARTIFACTS", str(tmp_path / "no-artifacts"))
    return tmp_path / "home"


@pytest.fixture
def music_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "music"
    shutil.copytree(FIXTURES / "music", folder)
    return folder


def test_split_abc_numbers_and_ids() -> None:
    text = (FIXTURES / "music" / "two_tunes.abc").read_text()
    tunes = ingest.split_abc(text)
    assert [x for x, _ in tunes] == ["1", "2"]
    assert all(t.startswith("X:") for _, t in tunes)
    specs, bad = ingest.user_works([FIXTURES / "music" / "two_tunes.abc"])
    assert not bad
    sha1 = ingest.sha1_12((FIXTURES / "music" / "two_tunes.abc").read_bytes())
    assert [s.piece_id for s in specs] == [f"file:{sha1}#0", f"file:{sha1}#1"]
    assert [s.number for s in specs] == ["1", "2"]
    assert [s.rhythm for s in specs] == ["jig", "reel"]


def test_corpus_ids_follow_the_design_contract() -> None:
    root = ingest.corpus_root()
    files = [root / "oneills1850" / "0001-0050.abc", root / "bach" / "bwv66.6.mxl"]
    specs, _ = ingest.corpus_works(files)
    ids = [s.piece_id for s in specs]
    assert ids[0] == "m21:oneills1850/0001-0050.abc#1"
    assert "m21:oneills1850/0001-0050.abc#50" in ids
    assert ids[-1] == "m21:bach/bwv66.6.mxl#"  # one work in the file: empty number
    assert len(ids) == len(set(ids)) == 51


def test_corpus_enumeration_skips_non_scores() -> None:
    files, skipped = ingest.corpus_files()
    assert len(files) > 3000
    assert all(f.suffix.lower() in ingest.MUSIC_SUFFIXES for f in files)
    reasons = {s["reason"] for s in skipped}
    assert any("Roman-numeral" in r for r in reasons)
    assert any(s["source"].endswith(".png") for s in skipped)


def test_tiny_subset_is_fixed_and_spread() -> None:
    specs, _ = ingest.corpus_works()
    first, second = ingest.tiny_subset(specs), ingest.tiny_subset(list(reversed(specs)))
    assert [s.piece_id for s in first] == [s.piece_id for s in second]
    assert 200 <= len(first) <= 500
    collections = {s.collection for s in first}
    assert {"essenFolksong", "oneills1850", "ryansMammoth", "bach", "palestrina"} <= collections


def test_ids_stable_across_two_parses() -> None:
    """A slice of the tiny subset parsed twice (fresh pools) yields the same IDs and rows."""
    specs, _ = ingest.corpus_works()
    sample = ingest.tiny_subset(specs)[::40]
    rows1, err1, _ = ingest.run_works(sample, jobs=2, progress=False)
    # chunked tasks, as whole-corpus builds use them
    rows2, err2, _ = ingest.run_works(list(reversed(sample)), jobs=1, progress=False, chunk=4)
    assert not err1 and not err2
    assert [r["id"] for r in rows1] == [s.piece_id for s in sample]
    assert sorted(r["id"] for r in rows1) == sorted(r["id"] for r in rows2)
    by_id = {r["id"]: r for r in rows2}
    for row in rows1:
        assert row["tokens"] == by_id[row["id"]]["tokens"]
        assert row["key"] == by_id[row["id"]]["key"]


def test_ingest_every_format(home: Path, music_dir: Path) -> None:
    report = ingest.ingest_paths([music_dir], jobs=2, progress=False)
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
    report = ingest.ingest_paths(paths, jobs=2, progress=False)
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
    first = ingest.ingest_paths([music_dir], jobs=1, progress=False)
    path = home / "user" / catalog.CATALOG_FILE
    before = catalog.read_frame(path)
    again = ingest.ingest_paths([music_dir], jobs=1, progress=False)
    assert again.added == [] and len(again.unchanged) == len(GOOD)
    assert catalog.read_frame(path)["id"].tolist() == before["id"].tolist()

    abc = music_dir / "two_tunes.abc"
    abc.write_text(abc.read_text().split("X:2")[0])  # now a single tune
    changed = ingest.ingest_paths([abc], jobs=1, progress=False)
    assert changed.replaced == [str(abc.resolve())] and len(changed.added) == 1
    after = catalog.read_frame(path)
    assert len(after) == len(before) - 1
    assert after.loc[after["source"] == str(abc.resolve()), "id"].tolist() == changed.added
    old_sha1 = ingest.sha1_12((FIXTURES / "music" / "two_tunes.abc").read_bytes())
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


def test_time_limit_is_a_recorded_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    root = ingest.corpus_root()
    spec = ingest.corpus_works([root / "beethoven" / "opus18no1" / "movement1.mxl"])[0][0]
    real_parse = ingest._parse

    def slow_parse(s: ingest.WorkSpec) -> object:  # a parse that outlives the limit
        time.sleep(3)
        return real_parse(s)

    monkeypatch.setattr(ingest, "_parse", slow_parse)
    result = ingest.process_work(spec, time_limit_s=1)
    assert result.rows == []
    assert result.errors == [{"source": spec.source, "number": "", "reason": "timed out after 1 s"}]


def test_build_catalog_tiny_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """build_catalog writes catalog, errors and tokenizer that load back."""
    monkeypatch.setattr(ingest, "TINY_PLAN", (("essenFolksong/han1.abc", 3), ("bach/bwv2", 1)))
    metrics = ingest.build_catalog(["music21"], tmp_path, jobs=1, profile="tiny", progress=False)
    assert metrics["ok"] == 4 and metrics["failed"] == 0
    frame = catalog.load_catalog(tmp_path, include_user=False)
    assert frame["id"].tolist()[:1] == ["m21:essenFolksong/han1.abc#1"]
    assert json.loads((tmp_path / ingest.ERRORS_FILE).read_text()) == []
    assert (tmp_path / "tokenizer.json").is_file()


def test_run_build_writes_manifest_and_reports_missing_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cantus import build
    from cantus.build import StageUnavailable, run_build

    monkeypatch.setattr(ingest, "TINY_PLAN", (("essenFolksong/lux.abc", 2),))
    monkeypatch.setitem(build.MODEL_STAGES, "encoder", ("no_such_package.train", "build_encoder"))
    with pytest.raises(StageUnavailable, match="stage 'encoder' not available"):
        run_build(["music21"], tmp_path, 1, "tiny", ["catalog", "encoder"], command=["cantus", "x"])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["command"] == ["cantus", "x"] and manifest["profile"] == "tiny"
    assert manifest["stages"]["catalog"]["status"] == "ok"
    assert manifest["stages"]["catalog"]["command"] == ["cantus", "x"]
    assert manifest["rebuild"].startswith("cantus build --corpus music21 --profile tiny --out ")
    assert manifest["stages"]["catalog"]["metrics"]["ok"] == 2
    assert manifest["stages"]["encoder"]["status"] == "not available"
    assert {"music21", "miditok"} <= set(manifest["versions"])
    files = manifest["files"]
    assert set(files) == {"catalog.parquet", "corpus_errors.json", "tokenizer.json"}
    assert files["catalog.parquet"]["bytes"] == (tmp_path / "catalog.parquet").stat().st_size
    assert len(files["catalog.parquet"]["sha256"]) == 64


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
