"""A person's history with one of every kind of entry, for the database tests."""

from __future__ import annotations

from db import repo


def fill_history(user: str) -> None:
    """A search, a play, a rating, a favourite and a rated seed for ``user``."""
    repo.record_search(user, "waltz", {"meter": "3/4"}, ["m21:a#1", "m21:b"])
    repo.record_interaction(user, "m21:a#1", "play")
    repo.record_interaction(user, "m21:b", "rating", 5)
    repo.add_favourite(user, "m21:a#1")
    seed_id = repo.save_seed(user, ["m21:a#1"], {"bars": 8}, "gen-1", b"MThd\x00", "<score/>")
    repo.rate_seed(user, seed_id, 4)
