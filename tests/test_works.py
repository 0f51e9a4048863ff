"""Listing works: ABC files cut into tunes, corpus IDs by the DESIGN contract, non-scores out."""

from __future__ import annotations

from pathlib import Path

from cantus import works
from cantus.filecheck import MUSIC_SUFFIXES

FIXTURES = Path(__file__).parent / "fixtures"


def test_split_abc_numbers_and_ids() -> None:
    text = (FIXTURES / "music" / "two_tunes.abc").read_text()
    tunes = works.split_abc(text)
    assert [x for x, _ in tunes] == ["1", "2"]
    assert all(t.startswith("X:") for _, t in tunes)
    specs, bad = works.user_works([FIXTURES / "music" / "two_tunes.abc"])
    assert not bad
    sha1 = works.sha1_12((FIXTURES / "music" / "two_tunes.abc").read_bytes())
    assert [s.piece_id for s in specs] == [f"file:{sha1}#0", f"file:{sha1}#1"]
    assert [s.number for s in specs] == ["1", "2"]
    assert [s.rhythm for s in specs] == ["jig", "reel"]


def test_corpus_ids_follow_the_design_contract() -> None:
    root = works.corpus_root()
    files = [root / "oneills1850" / "0001-0050.abc", root / "bach" / "bwv66.6.mxl"]
    specs, _ = works.corpus_works(files)
    ids = [s.piece_id for s in specs]
    assert ids[0] == "m21:oneills1850/0001-0050.abc#1"
    assert "m21:oneills1850/0001-0050.abc#50" in ids
    assert ids[-1] == "m21:bach/bwv66.6.mxl#"  # one work in the file: empty number
    assert len(ids) == len(set(ids)) == 51


def test_corpus_enumeration_skips_non_scores() -> None:
    files, skipped = works.corpus_files()
    assert len(files) > 3000
    assert all(f.suffix.lower() in MUSIC_SUFFIXES for f in files)
    reasons = {s["reason"] for s in skipped}
    assert any("Roman-numeral" in r for r in reasons)
    assert any(s["source"].endswith(".png") for s in skipped)
