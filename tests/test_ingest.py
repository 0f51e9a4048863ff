"""The ingest pool and the build's catalog stage: a fixed tiny subset, stable IDs and rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cantus import catalog, ingest, works


def test_tiny_subset_is_fixed_and_spread() -> None:
    specs, _ = works.corpus_works()
    first, second = ingest.tiny_subset(specs), ingest.tiny_subset(list(reversed(specs)))
    assert [s.piece_id for s in first] == [s.piece_id for s in second]
    assert 200 <= len(first) <= 500
    collections = {s.collection for s in first}
    assert {"essenFolksong", "oneills1850", "ryansMammoth", "bach", "palestrina"} <= collections


def test_ids_stable_across_two_parses() -> None:
    """A slice of the tiny subset parsed twice (fresh pools) yields the same IDs and rows."""
    specs, _ = works.corpus_works()
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
