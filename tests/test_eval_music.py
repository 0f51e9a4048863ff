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


def test_same_tune_pairs_need_a_tune_title_in_another_file():
    import pandas as pd

    from recommender.eval_same_tune import same_tune_pairs, title_half

    rows = [
        ("The Kesh Jig", "oneills1850", "a.abc"),
        ("Kesh jig, The (2)", "ryansMammoth", "b.abc"),
        ("Et ascendit", "palestrina", "m1.krn"),  # mass sections share words, not music
        ("Et ascendit", "palestrina", "m2.krn"),
        ("Irish Air", "airdsAirs", "c.abc"),  # a kind of piece, not a tune
        ("Irish Air", "airdsAirs", "d.abc"),
        ("Lone Tune", "oneills1850", "a.abc"),
    ]
    catalog = pd.DataFrame(rows, columns=["title", "collection", "source"])
    halves = same_tune_pairs(catalog)
    half = title_half("kesh jig")
    assert halves[half] == ([0, 1], [{1}, {0}])
    other = "test" if half == "tune" else "tune"
    assert halves[other] == ([], [])
