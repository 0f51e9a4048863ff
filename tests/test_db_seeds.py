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
    repo.rate_seed("gina", seed_id, 5)
    repo.set_seed_saved("gina", seed_id)
    (row,) = repo.list_seeds("gina")
    assert (row.id, row.rating, row.saved, row.conditioned_on) == (
        seed_id,
        5,
        True,
        ["m21:a", "m21:b"],
    )
    assert (row.midi_bytes, row.musicxml_chars) == (256, len(xml))
    assert repo.seed_files("gina", seed_id) == repo.SeedFiles(midi, xml)
    with pytest.raises(BadInput, match=r"1\.\.5"):
        repo.rate_seed("gina", seed_id, 9)
    with pytest.raises(BadInput, match="no seed"):
        repo.rate_seed("gina", seed_id + 100, 3)


def _stored(user: str) -> list[tuple]:
    return [(r.id, r.rating, r.saved, r.midi_bytes) for r in repo.list_seeds(user)]


def test_another_users_seed_is_refused_like_an_unknown_id(db_url: str) -> None:
    """Rating, keeping or downloading someone else's seed fails with the unknown-id error (the
    seed's existence is not revealed) and changes nothing stored."""
    mine = repo.save_seed("ana", ["m21:a"], {"bars": 8}, "gen-1", b"MThd", "<score/>")
    repo.ensure_user("bo")
    before = _stored("ana")
    unknown = mine + 1000
    calls = (
        lambda sid: repo.rate_seed("bo", sid, 1),
        lambda sid: repo.set_seed_saved("bo", sid, True),
        lambda sid: repo.seed_files("bo", sid),
    )
    for call in calls:
        messages = []
        for seed_id in (mine, unknown):
            with pytest.raises(BadInput) as caught:
                call(seed_id)
            messages.append(str(caught.value).replace(str(seed_id), "ID"))
        assert messages[0] == messages[1], "a stranger's seed must look like an unknown one"
    assert _stored("ana") == before
    assert _stored("bo") == []


@pytest.mark.parametrize(
    "seed_id", [True, "1", 1.0, None, -1, 0, 2**31, 2**64, float("nan"), [1], "1; DROP TABLE seeds"]
)
def test_hostile_seed_ids_are_refused_and_change_nothing(db_url: str, seed_id: object) -> None:
    repo.save_seed("ana", [], {}, "gen-1", b"MThd", "<score/>")  # id 1: True must not reach it
    before = _stored("ana")
    for call in (
        lambda: repo.rate_seed("ana", seed_id, 2),
        lambda: repo.set_seed_saved("ana", seed_id, True),
        lambda: repo.seed_files("ana", seed_id),
    ):
        with pytest.raises(BadInput, match="no seed"):
            call()
    assert _stored("ana") == before


def test_seed_calls_refuse_unknown_users_and_odd_flags(db_url: str) -> None:
    seed_id = repo.save_seed("ana", [], {}, "gen-1", b"MThd", "<score/>")
    with pytest.raises(BadInput, match="unknown user"):
        repo.seed_files("nobody", seed_id)
    with pytest.raises(BadInput, match="user name"):
        repo.rate_seed("", seed_id, 3)
    with pytest.raises(BadInput, match="true or false"):
        repo.set_seed_saved("ana", seed_id, "no")  # truthy text must not save
    assert _stored("ana") == [(seed_id, None, False, 4)]
