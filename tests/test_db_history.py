"""A person's history: JSON-ready, entries deleted one by one, only by their owner."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from db import repo
from tests.db_helpers import fill_history


def test_history_is_json_ready_and_events_can_be_deleted(db_url: str) -> None:
    import json

    fill_history("hana")
    found = repo.history("hana")
    assert json.loads(json.dumps(found)) == found
    assert [len(found[k]) for k in ("searches", "interactions", "favourites", "seeds")] == [
        1,
        2,
        1,
        1,
    ]
    repo.delete_event("hana", "search", found["searches"][0]["id"])
    repo.delete_event("hana", "seeds", found["seeds"][0]["id"])
    after = repo.history("hana")
    assert (after["searches"], after["seeds"]) == ([], [])
    assert len(after["interactions"]) == 2
    with pytest.raises(BadInput, match="no search with id"):
        repo.delete_event("hana", "search", found["searches"][0]["id"])
    with pytest.raises(BadInput, match="event kind"):
        repo.delete_event("hana", "everything", 1)


def test_one_user_cannot_delete_anothers_events(db_url: str) -> None:
    event_id = repo.record_interaction("ivan", "m21:a", "play")
    repo.ensure_user("judy")
    with pytest.raises(BadInput, match="no interaction"):
        repo.delete_event("judy", "interaction", event_id)  # type: ignore[arg-type]
    assert len(repo.interactions("ivan")) == 1


@pytest.mark.parametrize("event_id", [True, 2**31, 2**64, -1, "1"])
def test_delete_event_refuses_odd_ids_and_deletes_nothing(db_url: str, event_id: object) -> None:
    fill_history("kim")
    before = repo.history("kim")
    for kind in ("search", "seed"):
        with pytest.raises(BadInput, match=r"no .* with id"):
            repo.delete_event("kim", kind, event_id)  # type: ignore[arg-type]
    assert repo.history("kim") == before
