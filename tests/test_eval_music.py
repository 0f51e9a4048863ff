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


def test_cosine_precision_counts_top_neighbours_above_each_threshold():
    """Query 0's neighbours: row 1 (same tune, cosine 0.9), row 2 (other tune, 0.3)."""
    from recommender.eval_same_tune import K, cosine_precision

    scores = np.zeros((1, K + 3), dtype=np.float32)
    scores[0, :3] = [1.0, 0.9, 0.3]  # the query itself scores highest and is skipped
    table = cosine_precision(scores, ([0], [{1}]))
    assert table[0.25] == (2, 0.5) and table[0.5] == (1, 1.0) and table[0.95] == (0, 0.0)


def test_same_melody_threshold_is_chosen_on_the_tune_half_only():
    from recommender.eval_same_tune import MOSTLY, melody_threshold_report

    class Channels:  # (pitch, rhythm, steps) cosines: tune-half queries see a clean cut at 0.6
        def scores(self, rows, ngrams):
            s = np.zeros((len(rows), 20), dtype=np.float32)
            s[:, 16:] = 0.7 if rows == [0] else 0.1  # rows 16.. are the same tune
            s[:, 1:16] = 0.4  # decoys: 6 of the top 10
            s[np.arange(len(rows)), rows] = 1.0
            return s, s, s

    halves = {"tune": ([0], [set(range(16, 20))]), "test": ([1], [set(range(16, 20))])}
    report = melody_threshold_report(Channels(), halves)
    assert report["tuned"] == 0.45  # lowest grid cosine past the 0.4 decoys on the tune half
    assert report["tune"]["0.45"][1] >= MOSTLY and report["test"]["0.45"] == (0, 0.0)
    assert report["test"]["0.4"] == (10, 0.0)  # the test half is reported, never tuned on
