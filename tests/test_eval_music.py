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
        ("The Kesh Jig", "oneills1850", "a.abc", "6/8"),
        ("Kesh jig, The (2)", "ryansMammoth", "b.abc", "6/8"),
        ("Et ascendit", "palestrina", "m1.krn", "4/4"),  # mass sections share words, not music
        ("Et ascendit", "palestrina", "m2.krn", "4/4"),
        ("Irish Air", "airdsAirs", "c.abc", "3/4"),  # a kind of piece, not a tune
        ("Irish Air", "airdsAirs", "d.abc", "3/4"),
        ("Lone Tune", "oneills1850", "a.abc", "2/4"),
    ]
    catalog = pd.DataFrame(rows, columns=["title", "collection", "source", "meter"])
    for judge in ("title", "title+metre"):
        halves = same_tune_pairs(catalog, judge)
        half = title_half("kesh jig")
        assert halves[half] == ([0, 1], [{1}, {0}])
        other = "test" if half == "tune" else "tune"
        assert halves[other] == ([], [])


def test_the_metre_judge_drops_the_dance_type_and_splits_by_kind_of_metre():
    import pandas as pd

    from recommender.eval_same_tune import metre_kind, same_tune_pairs, title_half

    assert metre_kind("2/4") == metre_kind("2/2") == metre_kind("4/4") == "duple"
    assert metre_kind("6/8") != metre_kind("3/4") and metre_kind("") == ""
    rows = [
        ("The Money Musk", "oneills1850", "a.abc", "4/4"),
        ("MONEY MUSK -- STRATHSPEY", "ryansMammoth", "b.abc", "2/2"),
        ("Pretty Peggy", "oneills1850", "a.abc", "3/4"),  # a waltz and a reel: two tunes
        ("Pretty Peggy", "oneills1850", "c.abc", "2/2"),
        ("MISS JOHNSON'S -- REEL", "ryansMammoth", "d.abc", "2/4"),  # two tunes of one name
        ("MISS JOHNSON'S -- HORNPIPE", "ryansMammoth", "e.abc", "2/4"),
    ]
    catalog = pd.DataFrame(rows, columns=["title", "collection", "source", "meter"])
    strict = same_tune_pairs(catalog, "title+metre")
    assert strict[title_half("money musk")][0] == [0, 1]
    assert not {2, 3, 4, 5} & set(strict["tune"][0] + strict["test"][0])
    by_title = same_tune_pairs(catalog, "title")
    assert sorted(by_title[title_half("pretty peggy")][0]) == [2, 3]
    assert 0 not in by_title["tune"][0] + by_title["test"][0]
