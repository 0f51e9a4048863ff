"""English for every source label word: compounds, pinyin, Latin titles, and the inventory's
coverage count."""

import pytest

from cantus.label_inventory import label_word_covered, place_covered, report, top_places
from cantus.label_words import GENRE_SYNONYMS, THEME_WORDS, label_words
from cantus.metadata import abc_metadata, genres_of, label_themes, region_of, title_english
from cantus.place_words import place_words


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("Staende -, Soldaten -, Kriegs - Lied", ["staendelied", "soldatenlied", "kriegslied"]),
        (
            "Staende - Lied, Hirten -,  Schaefer - Lied",
            ["staendelied", "hirtenlied", "schaeferlied"],
        ),
        ("Hochzeits-, Ehestandslied", ["hochzeitslied", "ehestandslied"]),
        ("Shange. Nannü qing", ["shange", "nannue qing"]),
        ("Ballade, Mord / Unfall, Tod", ["ballade", "mord", "unfall", "tod"]),
        ("Vaterland und Wehr", ["vaterland", "wehr"]),
        ("Ballade, ???", ["ballade"]),
    ],
)
def test_label_words_split_compounds_and_romanised_labels(label, words):
    assert label_words(label) == words


@pytest.mark.parametrize(
    ("label", "genres"),
    [
        ("Staende - Lied, Hirten -,  Schaefer - Lied", ["shepherd's song"]),
        ("Staende -, Bergmanns - Lied", ["miner's song"]),
        ("Moritat", ["Moritat"]),
        (
            "Kinder - Lied, Reigen, Tanz - Spiel",
            ["children's song", "dance song", "ring dance", "game song"],
        ),
        ("Jahreszeiten - Lied, Fruehling", ["seasonal song", "spring song"]),
        ("Haozi, Chuanjiang chuanfu haozi", ["work chant", "work song", "boatmen's chant"]),
        ("Xiaodiao, Huadeng diao", ["xiaodiao", "lantern song", "flower lantern song"]),
        ("Shange, Kejia shange", ["shan'ge", "Hakka song"]),
        ("Shange, Huar", ["shan'ge", "hua'er"]),
        ("Xiaodiao, Chage", ["xiaodiao", "tea-picking song"]),
        ("Kinder -, Kniereiter - Lied", ["children's song"]),  # a knee rider is no cavalryman
        ("Kinder -, Knierreiter - Lied", ["children's song"]),  # as Essen also spells it
        ("Knierreiter - Lied", ["children's song"]),  # the spelling alone, no "Kinder" to lean on
        ("Knireiter", ["children's song"]),
        ("Kniereiter", ["children's song"]),
        ("Scherz - Lied, Fastnacht", ["humorous song", "carnival song"]),
        ("Faschings - Lied", ["carnival song"]),
        ("Karnevalslied?", ["carnival song"]),
        # a label's feast and nothing broader: Three Kings is Epiphany, a church feast no hymn
        ("Dreikoenigs - Lied, Brauchtum", ["Epiphany song", "custom song"]),
        ("Ansinge -, Brauchtums - Lied, Kirchen - Fest, Kirmes", ["custom song", "feast-day song"]),
        (
            "geistlich, Fest - Lied, Weihnachten",
            ["sacred song", "feast-day song", "christmas song"],
        ),
        ("Abschiedslied nach einem Fest", ["farewell song"]),
        ("Tanz - Lied, Walzer", ["dance song", "waltz"]),
    ],
)
def test_german_and_pinyin_genre_labels_have_english_genres(label, genres):
    assert genres_of(label) == genres


def test_themes_beside_genres_are_english_and_never_the_form():
    tune = "X:1\nT: Es war ein Mord\nR: Ballade, Mord, Tod\nO: Europa, Deutschland\nK:C\nC|]\n"
    meta = abc_metadata(tune)
    assert meta["genre"] == "ballad"
    assert label_themes(meta["genre_original"]) == ["murder", "death"]


def test_places_in_german_become_english_exonyms():
    assert region_of("Amerika, Mittelamerika, Mexiko") == "America, Central America, Mexico"
    assert region_of("Europa, Mitteleuropa, Deutschland, Koeln") == "Germany, Cologne"


@pytest.mark.parametrize(
    ("title", "english"),
    [
        ("Ein feste Burg ist unser Gott", "A Mighty Fortress Is Our God"),
        ("O Haupt voll Blut und Wunden", "O Sacred Head, Now Wounded"),
        ("Missa Papae Marcelli", "Pope Marcellus Mass"),
        ("Missa de Beata Virgine", "Mass of the Blessed Virgin Mary"),
        ("Missa pro defunctis", "Requiem Mass for the Dead"),
    ],
)
def test_famous_german_and_latin_titles_have_english_names(title, english):
    assert english in title_english(title)


def test_inventory_counts_pieces_and_coverage_on_a_fixture():
    tunes = [
        "X:1\nR: Hirten - Lied\nO: Europa, Mitteleuropa, Deutschland, Bayern\nK:C\nC|]\n",
        "X:2\nR: Hirten -, Staende - Lied\nO: Amerika, Mexiko\nK:C\nC|]\n",
        "X:3\nR: Quatschwort\nO: China, Shaanxi, Zizhou\nK:C\nC|]\n",
        "X:4\nK:C\nC|]\n",  # no label, no place: outside both shares
    ]
    result = report(tunes)
    assert result["label_words"] == {"hirtenlied": 2, "staendelied": 1, "quatschwort": 1}
    assert result["coverage"]["labels"] == {"covered": 2, "pieces": 3, "share": 0.6667}
    # country + province: Zizhou is a town, Bavaria and Mexico are translated
    assert result["coverage"]["places_country_province"]["share"] == 1.0
    assert result["coverage"]["places_all_levels"] == {"covered": 2, "pieces": 3, "share": 0.6667}
    assert result["places"]["Mexiko"] == 1
    assert not label_word_covered("quatschwort") and place_covered("Mexiko")
    assert top_places("Europa, Mitteleuropa, Deutschland, Hessen, Odenwald") == [
        "Deutschland",
        "Hessen",
    ]
    assert place_words("China, Shaanxi, Zizhou") == ["China", "Shaanxi", "Zizhou"]


def test_why_names_the_label_with_its_genre_and_theme_in_english():
    from recommender.fusion import matched_words

    record = {"genre": "ballad", "genre_original": "Ballade, Mord, Tod"}
    assert matched_words(record, [("genre", ["murder"])]) == (
        "genre: Ballade, Mord, Tod = ballad, murder, death"
    )


@pytest.mark.parametrize(
    ("label", "english"),
    [  # the word forms people use for what the label means, beside its noun
        ("Ballade, Betrug", ["deceit", "deceived"]),
        ("Ballade, Untreue", ["infidelity", "unfaithful"]),
        ("Ballade, Ehe, Heimkehr", ["homecoming", "coming home"]),
        ("Ballade, Schein - Tod", ["apparent death", "seemingly dead"]),
        ("Ballade, Allegorie", ["allegory", "allegorical"]),
        ("Ballade, Adelige als Dienstmagd", ["noblewoman", "maid"]),
        ("Kinder - Lied, Lauf - Spiel", ["running game"]),
        ("Kinder -, Schaukel -, Reiter - Lied", ["rocking song"]),
        ("Wett - Lied, Streit zwischen Sommer und Winter", ["debate song", "summer and winter"]),
        ("Soldaten - Lied, Deserteur", ["deserter"]),
        ("Jahreszeiten - Lied, Herbst", ["autumn"]),
        ("Scherz - Lied, Fastnacht", ["Shrovetide"]),
    ],
)
def test_label_themes_say_what_the_label_means_in_english(label, english):
    said = " ".join(label_themes(label))
    assert all(word in said for word in english), (label, said)


def test_a_romance_is_not_called_lyrical_and_duichang_no_duet():
    # the sources tell "Romanze" from "lyrisches Lied"; an antiphonal song is sung by two sides
    assert not any("lyric" in name for name in GENRE_SYNONYMS["romance"])
    assert "duet" not in THEME_WORDS["duichang"]
