"""Decoding token ids: ids outside the vocabulary or only padding are refused by name."""

from __future__ import annotations

import pytest

from cantus import token_decode, tokens


def test_bad_ids_raise_value_error() -> None:
    with pytest.raises(ValueError, match="vocabulary"):
        token_decode.ids_to_score([tokens.vocab_size() + 3])
    with pytest.raises(ValueError, match="empty"):
        token_decode.ids_to_score([tokens.PAD_ID] * 4)
