"""Facet masks computed column by column agree with ``evidence()`` row by row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cantus import config
from cantus.caption_evidence import evidence, pace
from cantus.catalog import load_catalog
from recommender.facets import EVIDENCE_COLUMNS, FacetRows, query_facets, row_paces

ODD_ROWS = pd.DataFrame(
    {
        "mode": ["minor", "", None, "nan", "Dorian", "major", "", "minor"],
        "key": ["A minor", "B- minor", "C major", "", None, "nan", "F# dorian", "E minor"],
        "meter": ["3/4", "", None, "6/8", "3/4", "2/4", "9/8", "3/8"],
        "form": ["waltz", "", None, "Jig", "lament", "march", "", "air"],
        "ambitus": [12, math.nan, None, 30.0, 5, 0, 40, 19.6],
        "parts": [1, 4, None, math.nan, 0, -2, 2.5, 3],
        "genre": ["lullaby, waltz", "", None, "children's song", "dance", "nan", "", "march"],
        "tempo_text": ["Adagio", "", None, "nan", "allegro vivace", "Slow", "", "andante"],
        "tempo_bpm": [math.nan, 60.0, 200.0, math.inf, math.nan, -5.0, None, 100.0],
        "note_density": [2.0, math.nan, 1.0, 5.0, 3.0, 0.0, 9.0, None],
    }
)


def _per_row(frame: pd.DataFrame) -> list:
    return [evidence(r) for r in frame.to_dict("records")]


def test_facet_rows_match_evidence_on_odd_values():
    rows = FacetRows({c: ODD_ROWS[c].tolist() for c in ODD_ROWS}, len(ODD_ROWS))
    assert [rows.distinct[c] for c in rows._codes] == _per_row(ODD_ROWS)
    columns = [ODD_ROWS[c].tolist() for c in ("tempo_text", "tempo_bpm", "note_density", "parts")]
    assert row_paces(*columns) == [pace(r) for r in ODD_ROWS.to_dict("records")]


def test_facet_rows_match_evidence_on_the_shipped_catalog():
    catalog = load_catalog(config.data_dir(), columns=list(EVIDENCE_COLUMNS))
    rows, per_row = (
        FacetRows({c: catalog[c].tolist() for c in catalog}, len(catalog)),
        _per_row(catalog),
    )
    assert [rows.distinct[c] for c in rows._codes] == per_row
    assert len(rows.distinct) < len(catalog)  # the point: fewer Evidence objects than rows
    for query in ("melancholy waltz", "fast jig", "lullaby", "slow air in dorian", "6/8 march"):
        for name, test in query_facets(query):
            want = np.array([test(e) for e in per_row])
            assert np.array_equal(rows.mask(test), want), (query, name)


def test_missing_columns_read_as_unknown():
    rows = FacetRows({"meter": ["3/4", "6/8"]}, 2)
    assert [rows.distinct[c] for c in rows._codes] == _per_row(
        pd.DataFrame({"meter": ["3/4", "6/8"]})
    )


def _names(query: str) -> list[str]:
    return [name for name, _ in query_facets(query)]


def test_one_mode_per_query_the_first_mood_word_or_the_one_said_outright():
    names = _names("a sad, tender lullaby")  # sad = minor, tender = major: the first wins
    assert "mode:minor" in names and "mode:major" not in names
    names = _names("a cheerful tune in a minor key")  # said outright beats a mood word
    assert "mode:minor" in names and "mode:major" not in names
    assert [n for n in _names("a bright waltz in a major key") if n.startswith("mode:")] == [
        "mode:major"
    ]


def test_mood_words_people_type_read_as_the_captions_moods():
    assert {"mode:minor", "pace:slow"} <= set(_names("a gloomy Chinese folk song"))
    assert "mode:minor" in _names("a sombre soldier's song")
    assert "mode:major" in _names("an uplifting religious folk song")


def test_a_key_named_outright_and_the_article_a_is_no_key():
    from recommender.facets import query_keys

    def keys(query: str) -> list[str]:
        return [name for name, _, _ in query_keys(query)]

    assert keys("a jig in A minor") == ["key:A minor"]
    assert keys("hornpipe in B flat") == keys("a reel in Bb") == ["key:B-"]
    assert keys("a jig in D") == ["key:D"]
    assert keys("E-flat major") == ["key:E- major"]
    assert keys("an air in f sharp minor") == ["key:F# minor"]
    for article in ("Bach chorale in a minor key", "a minor-key ballad", "a song in a major mode"):
        assert keys(article) == [], article


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("hornpipe in B Flat", ["key:B-"]),  # title case reads the accidental too
        ("Reel In E Minor", ["key:E minor"]),
        ("Bb major reel", ["key:B- major"]),
        ("in G-sharp minor", ["key:G# minor"]),
        ("jig in a minor", ["key:A minor"]),  # "in" names it a key
        ("a minor waltz", []),  # the article, not A minor
        ("a major work by Bach", []),
        ("a melody for the b section", []),
        ("in a b section", []),  # a "b" is an accidental only right after its letter
        ("a tune in a minor key", []),
    ],
)
def test_a_key_is_read_whatever_its_case_and_the_article_a_is_none(query, keys) -> None:
    from recommender.facets import query_keys

    assert [name for name, _, _ in query_keys(query)] == keys


def test_a_plural_names_its_form_and_german_title_words_name_none():
    from recommender.facets import query_facets

    def forms(query):
        return [n for n, _ in query_facets(query) if n.startswith("form:")]

    assert forms("lullabies") == forms("lullaby") == ["form:lullaby"]
    assert forms("drinking songs, please") == ["form:drinking song"]
    assert forms("a joyful Christmas song") == ["form:christmas song"]  # no "Christma"
    assert forms("Ein feste Burg ist unser Gott") == []  # "feste" is no feast-day song
    assert forms("work chants") == ["form:work chant"]
    # the head word's plural in -es, and a plural next to a word ending in s (R6)
    assert forms("Christmas songs") == ["form:christmas song"]
    assert forms("waltzes") == forms("waltz") == ["form:waltz"]
    assert forms("two masses") == forms("a mass") == ["form:mass"]
