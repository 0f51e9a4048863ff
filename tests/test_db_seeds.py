"""Seeds: saved, rated, marked kept, listed without payloads, loaded back."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from db import repo


def test_seeds_save_rate_mark_and_load(db_url: str) -> None:
    midi, xml = bytes(range(256)), "<score-partwise>é</score-partwise>"
    seed_id = repo.save_seed(
        "gina", ["m21:a", "m21:b"], {"bars": 8, "key": "D minor"}, "gen-1", midi, xml
    )
    repo.rate_seed(seed_id, 5)
    repo.set_seed_saved(seed_id)
    (row,) = repo.list_seeds("gina")
    assert (row.id, row.rating, row.saved, row.conditioned_on) == (
        seed_id,
        5,
        True,
        ["m21:a", "m21:b"],
    )
    assert (row.midi_bytes, row.musicxml_chars) == (256, len(xml))
    assert repo.seed_files(seed_id) == repo.SeedFiles(midi, xml)
    with pytest.raises(BadInput, match=r"1\.\.5"):
        repo.rate_seed(seed_id, 9)
    with pytest.raises(BadInput, match="unknown seed"):
        repo.rate_seed(seed_id + 100, 3)
