"""Encoder training data: tune identity across collections, caption choice per piece."""

from __future__ import annotations

from recommender.train_data import choose_captions, normalize_title


def test_normalize_title_matches_versions_across_collections():
    assert normalize_title("The Kesh Jig (2)") == normalize_title("kesh jig") == "kesh jig"
    assert normalize_title("Fáinne Geal an Lae") == "fainne geal lae"
    assert normalize_title("") == ""


def test_choose_captions_spreads_families_and_is_deterministic():
    caps = ["p1", "p2", "m1", "m2", "f1", "t1", "l1"]
    fams = ["plain", "plain", "mood", "mood", "form", "title", "listener"]
    wanted = ("plain", "mood", "form", "title")
    picked = choose_captions(caps, fams, wanted, 3, skip=("title",), key="x")
    assert len(picked) == 3 and {c[0] for c in picked} == {"p", "m", "f"}
    assert picked == choose_captions(caps, fams, wanted, 3, skip=("title",), key="x")
    assert "l1" not in choose_captions(caps, fams, wanted, None)
    assert choose_captions(["t1"], ["title"], wanted, 2, skip=("title",)) == ["t1"]
