"""Motif uploads for the Inspire page: type, size and content checked, a real tune kept."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from tests.music_helpers import ABC


def test_upload_checks_type_size_and_content() -> None:
    from dashboard import seeding

    with pytest.raises(BadInput, match="not a music file"):
        seeding.check_upload("notes.txt", b"hello")
    with pytest.raises(BadInput, match="limit is 2 MB"):
        seeding.check_upload("big.mid", b"M" * (seeding.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(BadInput, match=r"could not read 'broken\.mid'"):
        seeding.check_upload("broken.mid", b"MThd this is not really midi")


def test_upload_accepts_a_real_tune() -> None:
    from dashboard import seeding

    path = seeding.check_upload("tune.abc", ABC.encode())
    assert path.is_file() and path.suffix == ".abc"
