"""Favourites: one row per piece, removing twice is a no-op."""

from __future__ import annotations

from db import repo


def test_favourites_are_idempotent(db_url: str) -> None:
    assert repo.add_favourite("eve", "m21:a") is True
    assert repo.add_favourite("eve", "m21:a") is False
    assert repo.list_favourites("eve") == ["m21:a"]
    assert repo.remove_favourite("eve", "m21:a") is not None
    assert repo.remove_favourite("eve", "m21:a") is None
    assert repo.list_favourites("eve") == []
