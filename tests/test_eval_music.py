"""Music to music evaluation: transposed identical-token duplicates count as the same music."""

from __future__ import annotations

import numpy as np


def test_transposed_duplicates_count_as_the_same_music():
    from cantus.tokens import transpose_ids
    from recommender.eval_music import _canonical_windows, _duplicate_sets
    from tests.test_train import synthetic_catalog

    tunes = [np.asarray(t) for t in synthetic_catalog(3)["tokens"]]
    tunes.append(np.asarray(transpose_ids(tunes[0], 2)))  # row 3: row 0 in another key
    assert _duplicate_sets(tunes, [0]) == [{0}]
    assert _duplicate_sets(_canonical_windows(tunes, 64), [0]) == [{0, 3}]
