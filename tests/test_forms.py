"""Origin and form of a piece from its corpus path, title, ABC rhythm field and meter."""

from __future__ import annotations

import pytest

from cantus import forms


@pytest.mark.parametrize(
    ("source", "origin"),
    [
        ("essenFolksong/han1.abc", "Chinese (Han)"),
        ("essenFolksong/natmin3.abc", "Chinese (national minorities)"),
        ("essenFolksong/shanxi2.abc", "Chinese (Shanxi)"),
        ("essenFolksong/erk10.abc", "German"),
        ("essenFolksong/lux.abc", "Luxembourg"),
        ("essenFolksong/lot.abc", "Lorraine"),
        ("essenFolksong/magyar4.abc", "Hungarian"),
        ("oneills1850/0001-0050.abc", "Irish"),
        ("airdsAirs/book1.abc", "Scottish"),
        ("palestrina/Kyrie_00.krn", "Italian Renaissance"),
    ],
)
def test_origin_of(source: str, origin: str) -> None:
    assert forms.origin_of(source, forms.collection_of(source)) == origin


def test_every_bundled_essen_file_has_an_origin() -> None:
    from cantus.works import corpus_root

    names = sorted(p.name for p in (corpus_root() / "essenFolksong").glob("*.abc"))
    assert names, "music21's Essen files should be present"
    assert all(forms.origin_of(f"essenFolksong/{n}", "essenFolksong") for n in names)


@pytest.mark.parametrize(
    ("title", "collection", "meter", "rhythm", "form"),
    [
        ("The Kesh Jig", "oneills1850", "6/8", "", "jig"),
        ("Untitled", "oneills1850", "6/8", "", "jig"),
        ("Untitled", "oneills1850", "9/8", "", "slip jig"),
        ("Untitled", "ryansMammoth", "4/4", "double jig", "jig"),
        ("The Boys of Bluehill", "ryansMammoth", "4/4", "hornpipe", "hornpipe"),
        ("Untitled", "bach", "4/4", "", "chorale"),
        ("Kyrie", "palestrina", "4/2", "", "mass"),
        ("Wiegenlied", "essenFolksong", "3/4", "", "lullaby"),
        ("Ein Lied", "essenFolksong", "3/4", "", "folk song"),
        ("Some tune", "user", "4/4", "", ""),
    ],
)
def test_form_of(title: str, collection: str, meter: str, rhythm: str, form: str) -> None:
    source = f"{collection}/bwv1.6.mxl" if collection == "bach" else f"{collection}/x.abc"
    assert forms.form_of(title, collection, meter, source, rhythm) == form
    assert form == "" or form in forms.FORMS
