from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from cantus import catalog
from cantus.errors import MissingArtifact


def _row(i: int, **overrides) -> dict:
    row = {
        "id": f"m21:test/{i}.abc#",
        "source": f"test/{i}.abc",
        "number": "",
        "collection": "test",
        "origin": "German",
        "title": f"Tune {i}",
        "composer": "",
        "meter": "3/4",
        "key": "G major",
        "tonic": "G",
        "mode": "major",
        "key_confidence": 0.8,
        "tempo_bpm": math.nan,
        "tempo_text": "",
        "bars": 16,
        "seconds": 24.0,
        "pitch_low": 60,
        "pitch_high": 79,
        "ambitus": 19,
        "n_notes": 48,
        "note_density": 2.0,
        "parts": 1,
        "form": "waltz",
        "genre": "waltz",
        "genre_original": "",
        "region": "",
        "notes": "",
        "lyrics": "",
        "captions": [],
        "caption_families": [],
        "tokens": list(range(4, 4 + i % 50 + 1)),
        "n_tokens": i % 50 + 1,
        "sha1": "0123456789ab",
        "text": f"Tune {i} waltz",
    }
    return row | overrides


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_save_then_load_round_trip(tmp_path: Path, home: Path) -> None:
    rows = [_row(i) for i in range(5)]
    rows[1]["tempo_bpm"] = 96.0
    rows[2]["captions"], rows[2]["caption_families"] = ["a waltz"], ["form"]
    catalog.save_catalog(catalog.rows_to_frame(rows), tmp_path / catalog.CATALOG_FILE)
    frame = catalog.load_catalog(tmp_path)
    assert list(frame.columns) == list(catalog.COLUMNS)
    assert frame["id"].tolist() == [r["id"] for r in rows]
    assert frame.loc[3, "tokens"] == rows[3]["tokens"]
    assert isinstance(frame.loc[3, "tokens"], list) and isinstance(frame.loc[3, "tokens"][0], int)
    assert frame.loc[2, "captions"] == ["a waltz"]
    assert math.isnan(frame.loc[0, "tempo_bpm"]) and frame.loc[1, "tempo_bpm"] == 96.0
    assert frame["bars"].dtype.kind == "i"
    subset = catalog.load_catalog(tmp_path, columns=["id", "meter"])
    assert list(subset.columns) == ["id", "meter"]


def test_user_rows_follow_data_rows(tmp_path: Path, home: Path) -> None:
    catalog.save_catalog(catalog.rows_to_frame([_row(1), _row(2)]), tmp_path / catalog.CATALOG_FILE)
    user = [_row(3, id="file:aaaaaaaaaaaa#0", collection="user")]
    catalog.save_catalog(catalog.rows_to_frame(user), home / "user" / catalog.CATALOG_FILE)
    assert catalog.load_catalog(tmp_path)["id"].tolist()[-1] == "file:aaaaaaaaaaaa#0"
    assert len(catalog.load_catalog(tmp_path, include_user=False)) == 2


def test_failed_save_keeps_the_old_catalog(tmp_path: Path) -> None:
    path = tmp_path / catalog.CATALOG_FILE
    catalog.save_catalog(catalog.rows_to_frame([_row(1)]), path)
    with pytest.raises(ValueError, match="duplicate"):
        catalog.save_catalog(catalog.rows_to_frame([_row(2), _row(2)]), path)
    assert catalog.read_frame(path)["id"].tolist() == [_row(1)["id"]]
    assert [p.name for p in tmp_path.iterdir()] == [catalog.CATALOG_FILE]  # no temp files left


def test_missing_catalog_names_the_fix(tmp_path: Path, home: Path) -> None:
    with pytest.raises(MissingArtifact, match="cantus build"):
        catalog.load_catalog(tmp_path)


def test_unknown_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown catalog columns"):
        catalog.read_frame(tmp_path / "x.parquet", columns=["id", "nope"])


def test_refresh_captions_is_deterministic_and_per_piece() -> None:
    frame = catalog.rows_to_frame([_row(i) for i in range(3)])
    first, second = catalog.refresh_captions(frame), catalog.refresh_captions(frame)
    assert first["captions"].tolist() == second["captions"].tolist()
    for caps, fams in zip(first["captions"], first["caption_families"], strict=True):
        assert caps and len(caps) == len(fams)
    assert frame["captions"].map(len).eq(0).all()  # the input frame is not modified


@pytest.mark.slow
def test_load_15k_rows_under_two_seconds(tmp_path: Path, home: Path) -> None:
    rows = [_row(i, tokens=list(range(4, 600)), n_tokens=596) for i in range(15_000)]
    catalog.save_catalog(catalog.rows_to_frame(rows), tmp_path / catalog.CATALOG_FILE)
    start = time.perf_counter()
    frame = catalog.load_catalog(tmp_path)
    assert len(frame) == 15_000
    assert time.perf_counter() - start < 2.0


def test_a_catalog_written_before_the_metadata_columns_reads_them_as_empty(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = catalog.rows_to_frame([_row(i) for i in range(3)])
    old = frame.drop(columns=["genre", "genre_original", "region", "notes", "lyrics"])
    old_schema = pa.schema([f for f in catalog._schema() if f.name in old.columns])
    path = tmp_path / catalog.CATALOG_FILE
    pq.write_table(pa.Table.from_pandas(old, schema=old_schema, preserve_index=False), path)
    read = catalog.read_frame(path)
    assert list(read.columns) == list(catalog.COLUMNS)
    assert read["genre"].tolist() == ["", "", ""] and read["title"].tolist() == [
        "Tune 0",
        "Tune 1",
        "Tune 2",
    ]


def test_one_pieces_tokens_are_read_alone(tmp_path: Path, home: Path) -> None:
    """``load_piece_tokens`` (``cantus inspire --vary``) matches the whole-catalog read, across
    row groups and into the user's pieces, and says None for an id no file holds."""
    import pyarrow.parquet as pq

    path = catalog.save_catalog(
        catalog.rows_to_frame([_row(i) for i in range(7)]), tmp_path / catalog.CATALOG_FILE
    )
    pq.write_table(pq.read_table(path), path, row_group_size=3)  # rows 6.. in the third group
    user = [_row(60, id="file:aaaaaaaaaaaa#0", collection="user")]
    catalog.save_catalog(catalog.rows_to_frame(user), home / "user" / catalog.CATALOG_FILE)
    frame = catalog.load_catalog(tmp_path, columns=["id", "tokens"])
    for piece_id, tokens in zip(frame["id"], frame["tokens"], strict=True):
        assert catalog.load_piece_tokens(piece_id, tmp_path) == tokens, piece_id
    assert catalog.load_piece_tokens("file:aaaaaaaaaaaa#0", tmp_path, include_user=False) is None
    assert catalog.load_piece_tokens("m21:test/99.abc#", tmp_path) is None
    assert catalog.load_piece_tokens("", tmp_path) is None


def test_piece_tokens_refuse_odd_ids_and_corrupt_catalogs(tmp_path: Path, home: Path) -> None:
    from cantus.errors import BadInput

    with pytest.raises(BadInput, match="piece id is text"):
        catalog.load_piece_tokens(None, tmp_path)  # type: ignore[arg-type]
    assert catalog.load_piece_tokens("m21:test/1.abc#", tmp_path) is None  # no catalog at all
    (tmp_path / catalog.CATALOG_FILE).write_bytes(b"PAR1 not really parquet")
    with pytest.raises(MissingArtifact, match="cannot be read"):
        catalog.load_piece_tokens("m21:test/1.abc#", tmp_path)
