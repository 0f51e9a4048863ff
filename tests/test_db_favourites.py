"""Favourites: one row per piece, removing twice is a no-op; the state shared with hidden pieces."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from db import repo


def test_favourites_are_idempotent(db_url: str) -> None:
    assert repo.add_favourite("eve", "m21:a") is True
    assert repo.add_favourite("eve", "m21:a") is False
    assert repo.list_favourites("eve") == ["m21:a"]
    assert repo.remove_favourite("eve", "m21:a") is not None
    assert repo.remove_favourite("eve", "m21:a") is None
    assert repo.list_favourites("eve") == []


# Favourites and hidden pieces share their row logic (db.piece_state); each keeps its own rule
# for users: favouriting creates the user, hiding needs an existing one.
STATES = {
    "favourite": (repo.add_favourite, repo.remove_favourite, repo.list_favourites),
    "hidden": (repo.hide_piece, repo.unhide_piece, repo.list_hidden),
}


@pytest.mark.parametrize("state", STATES)
def test_piece_state_keeps_one_row_per_piece_oldest_first(db_url: str, state: str) -> None:
    add, undo, listed = STATES[state]
    repo.ensure_user("eve")
    for piece_id in ("m21:b", "m21:a", "m21:b"):
        add("eve", piece_id)
    assert listed("eve") == ["m21:b", "m21:a"]
    assert undo("eve", "m21:b") not in (None, False)
    assert undo("eve", "m21:b") in (None, False)  # the second undo finds nothing
    assert listed("eve") == ["m21:a"]
    repo.ensure_user("ida")
    assert listed("ida") == [], "one person's rows are not another's"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("piece_id", ["", "m21:a\x00", "x" * 10_000, None, 7, ["m21:a"]])
def test_piece_state_refuses_hostile_ids_and_stores_nothing(
    db_url: str, state: str, piece_id: object
) -> None:
    add, undo, listed = STATES[state]
    repo.ensure_user("eve")
    add("eve", "m21:a")
    for call in (add, undo):
        with pytest.raises(BadInput):
            call("eve", piece_id)
    assert listed("eve") == ["m21:a"]


def test_hiding_for_an_unknown_user_creates_nobody(db_url: str) -> None:
    with pytest.raises(BadInput, match="unknown user"):
        repo.hide_piece("ghost", "m21:a")
    assert repo.add_favourite("ghost", "m21:a") is True  # favouriting does create the user
    assert [u.name for u in repo.list_users()] == ["ghost"]
