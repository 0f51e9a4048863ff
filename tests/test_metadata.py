"""Source metadata: genre labels, places, notes, chorale names, and the catalog refresh."""

from __future__ import annotations

import pytest

from cantus.features import with_metadata
from cantus.forms import form_of
from cantus.metadata import (
    abc_fields,
    abc_metadata,
    chorale_title,
    genres_of,
    region_of,
    repair_dos_text,
    score_metadata,
    source_metadata,
)

ESSEN_TUNE = """X:7
T: SCHLAF KINDLEIN SCHLAF
N: E0123
O: Europa, Mitteleuropa, Deutschland, Schlesien
S: Erk-Boehme, Nr. 1
R: Kinder -, Wiegen - Lied
M: 3/4
L: 1/8
K: F
F2 A2 c2 | f4 c2 | A2 G2 F2 | F6 |]
"""


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Kinder -, Wiegen - Lied", ["children's song", "lullaby"]),
        ("Staende -, Soldaten -, Kriegs - Lied", ["soldiers' song", "war song"]),
        ("Kriegs -, Sieges - Lied", ["war song"]),
        ("Xiaodiao. Nann\x81 liqing", ["xiaodiao", "love song"]),  # DOS ü, repaired below
        ("Shange. Nannü siqing", ["shan'ge", "love song"]),
        ("Romanze, Ballade, Lied, religioeses Lied", ["romance", "ballad", "sacred song"]),
        ("Trink -, Zech - Lied", ["drinking song"]),
        ("Xiaodiao. Biaoda aiqing", ["xiaodiao", "love song"]),
        (
            "Shange, Xintianyou. Geming lishi minge",  # a compound names its kind last
            ["shan'ge", "historical song", "revolutionary song"],
        ),
        ("Weihnachtslied", ["christmas song"]),
        ("Beischlaf, Standesunterschied", []),
        ("reel", []),
        ("", []),
    ],
)
def test_genre_labels_map_to_english_in_label_order(label, expected):
    assert genres_of(label) == expected


def test_tune_book_titles_are_not_carols():
    assert genres_of("O'Carolan's Farewell") == []


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("Europa, Mitteleuropa, Deutschland, Schlesien", "Germany, Silesia"),
        ("China, Shaanxi, Zizhou", "China, Shaanxi, Zizhou"),
        ("Mitteleuropa, Deutschland / Frankreich, Lothringen", "Germany, France, Lorraine"),
        ("", ""),
    ],
)
def test_places_in_english_most_general_first(field, expected):
    assert region_of(field) == expected


def test_abc_metadata_keeps_the_original_label_and_notes():
    meta = abc_metadata(ESSEN_TUNE)
    assert meta["genre"] == "children's song, lullaby"
    assert meta["genre_original"] == "Kinder -, Wiegen - Lied"
    assert meta["region"] == "Germany, Silesia"
    assert "E0123" in meta["notes"] and "Erk-Boehme" in meta["notes"]


def test_unknown_markers_are_not_metadata():
    fields = abc_fields("X:1\nR: ???]\nO: yyy]\nT: A\n")
    assert "R" not in fields and "O" not in fields and fields["T"] == ["A"]


def test_a_genre_word_in_the_title_names_the_genre_without_a_label():
    assert abc_metadata("X:1\nT: Wiegenlied\nK:C\nC|]\n")["genre"] == "lullaby"
    assert abc_metadata("X:1\nT: Ein Liebes - Lied\nK:C\nC|]\n")["genre"] == "love song"


@pytest.mark.parametrize(
    "tune",
    [
        "X:1\nT: Zwei Koenigskinder\nK:C\nC|]\n",  # king's children: a ballad, not a nursery song
        "X:1\nT: Willkommen lieber Mondenschein\nK:C\nC|]\n",  # "lieber" is "dear"
        "X:1\nT: Wiegenlied\nR: Barbara\nK:C\nC|]\n",  # the label (a saint: no genre) speaks
    ],
)
def test_only_a_song_word_in_the_title_names_a_genre_and_never_over_a_label(tune):
    assert abc_metadata(tune)["genre"] == ""


def test_chorale_names_come_from_music21s_list():
    assert chorale_title("bach/bwv269.mxl") == "Aus meines Herzens Grunde"
    assert chorale_title("bach/not-a-chorale.mxl") == ""


def test_score_metadata_keeps_words_and_drops_numbers_and_boilerplate():
    from music21 import metadata

    md = metadata.Metadata()
    md.title = "Agnus"
    md.copyright = "Copyright 2000"
    md.add("parentTitle", "Missa O Rex gloriae")
    notes = score_metadata(md)["notes"]
    assert "Missa O Rex gloriae" in notes and "Copyright" not in notes
    assert source_metadata(None, None)["notes"] == ""


def test_essen_form_is_its_main_genre_and_keyword_text_has_every_word():
    meta = abc_metadata(ESSEN_TUNE)
    form = form_of("SCHLAF KINDLEIN SCHLAF", "essenFolksong", "3/4", "essenFolksong/x.abc",
                   meta["genre_original"])  # fmt: skip
    assert form == "children's song"
    row = with_metadata({"title": "x", "form": "folk song", "meter": "3/4"}, meta)
    assert row["form"] == "children's song"
    for word in ("lullaby", "Wiegen", "Silesia", "E0123"):
        assert word in row["text"]


def test_tune_book_dance_form_becomes_its_genre():
    row = with_metadata({"title": "x", "form": "reel"}, abc_metadata("X:1\nR:reel\nK:D\nD|]\n"))
    assert row["genre"] == "reel" and row["form"] == "reel"


@pytest.mark.slow  # re-parses source files of every collection (~60-100 s on 2 cores)
def test_refreshing_a_fresh_build_changes_no_metadata(tiny_data_dir, tmp_path):
    """The build's metadata stage and ingest read the same fields the same way: on a few pieces
    of every collection and source file of the tiny build (the whole of it takes minutes)."""
    from cantus.catalog import read_frame, save_catalog
    from cantus.catalog_metadata import refresh_metadata

    whole = read_frame(tiny_data_dir / "catalog.parquet")
    sample = whole.groupby("source", sort=False).head(2).groupby("collection").head(6)
    save_catalog(sample.reset_index(drop=True), tmp_path / "catalog.parquet")
    columns = ["id", "title", "form", "genre", "genre_original", "region", "lyrics", "text"]
    built = read_frame(tmp_path / "catalog.parquet", columns)
    assert built["id"].tolist() == sample["id"].tolist()
    counts = refresh_metadata(tmp_path)
    refreshed = read_frame(tmp_path / "catalog.parquet", columns)
    assert counts["rows"] == len(built) and counts["with_genre"] > 0
    essen = built["id"].str.contains("essenFolksong")
    assert essen.any() and (built.loc[essen, "genre_original"] != "").any()
    for column in ("id", "title", "form", "genre", "genre_original", "region", "lyrics"):
        assert refreshed[column].tolist() == built[column].tolist(), column


def test_part_and_track_names_are_kept_as_notes():
    from music21 import note, stream

    score = stream.Score()
    for name in ("Flute", "Cello", "Flute"):
        part = stream.Part([note.Note("C4")])
        part.partName = name
        score.insert(0, part)
    assert source_metadata(None, score)["notes"].endswith("Flute Cello")


def test_dos_umlauts_are_read_as_umlauts():
    assert repair_dos_text("K\x81nzi, sch\x94n, M\x84dchen") == "Künzi, schön, Mädchen"
    meta = abc_metadata("X:1\nT:x\nR:Xiaodiao. Nann\x81 liqing\nO:China\nK:C\nC|]\n")
    assert meta["genre_original"] == "Xiaodiao. Nannü liqing"
    assert meta["genre"] == "xiaodiao, love song"
    assert with_metadata({"title": "Xiao n\x81xu", "form": "folk song"}, meta)["title"] == (
        "Xiao nüxu"
    )


def test_abc_lyrics_come_from_w_fields_without_syllable_marks():
    under = abc_metadata("X:1\nT:x\nK:G\nGAB|\nw:La gio-vi-net-ta pian-ta_ si\nw:fa *bel-la\n")
    assert under["lyrics"] == "La giovinetta pianta si fa bella"
    words = abc_metadata("X:1\nT:x\nK:G\nGAB|\nW:Per illud ave prolatum\nw:ig-nored\n")
    assert words["lyrics"] == "Per illud ave prolatum" and "Per illud" not in words["notes"]
    assert len(abc_metadata("X:1\nK:G\nG|\nW:" + "amen " * 200 + "\n")["lyrics"]) <= 300


def test_score_lyrics_are_the_first_sung_part():
    from music21 import note, stream

    score = stream.Score()
    for words in ([], ["Aus", "mei-", "nes"]):
        part = stream.Part()
        for word in words or ["", ""]:
            n = note.Note("C4")
            if word:
                n.addLyric(word.rstrip("-"))
                n.lyrics[0].syllabic = "begin" if word.endswith("-") else "single"
            part.append(n)
        score.insert(0, part)
    assert source_metadata(None, score)["lyrics"].startswith("Aus mei")


def test_mass_sections_get_their_liturgical_name_only_inside_a_missa():
    from cantus.metadata import mass_section_title

    assert mass_section_title("Agnus I", "Missa Brevis") == "Agnus Dei I"
    assert mass_section_title("Agnus", "Missa O Rex gloriae") == "Agnus Dei"
    assert mass_section_title("Agnus Dei", "Missa Brevis") == "Agnus Dei"
    assert mass_section_title("Pleni", "Missa Brevis") == "Pleni sunt caeli"
    assert mass_section_title("Agnus", "Motetti") == "Agnus"  # not said to be a mass


def test_monteverdi_madrigals_take_the_title_of_their_analysis():
    from cantus.features import fallback_title

    title = fallback_title("monteverdi/madrigal.3.10.mxl", "", "monteverdi")
    assert title.startswith("Poi Ch'ella")


def test_lyrics_markup_is_found_in_utf16_and_compressed_scores(tmp_path):
    import zipfile

    from cantus.catalog_metadata import has_lyric_markup

    plain = tmp_path / "a.musicxml"
    plain.write_text("<score><lyric><text>la</text></lyric></score>", encoding="utf-16")
    packed = tmp_path / "b.mxl"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("b.xml", "<score><note/></score>")
    assert has_lyric_markup(plain) and not has_lyric_markup(packed)
