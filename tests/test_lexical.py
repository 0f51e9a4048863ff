"""BM25 over the sources' words, its cache, and its part in search ranking and `why`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cantus.forms import meter_only_form
from cantus.label_words import THEME_WORDS
from recommender.lexical import LexicalIndex, data_key, normalise, query_tokens, tokens, word_pairs

RECORDS = [
    {"title": "Miss Callander's Minuet", "collection": "airdsAirs", "form": "minuet"},
    {"title": "SCHLAF KINDLEIN", "genre": "lullaby", "genre_original": "Wiegen - Lied",
     "region": "Germany, Silesia", "form": "lullaby"},
    {"title": "Renmin gongshe", "genre": "dance song", "genre_original": "Wuge",
     "region": "China, Shaanxi, Zizhou"},
    {"title": "The Silver Spear", "genre": "reel", "form": "reel"},
]  # fmt: skip


def test_tokens_fold_accents_umlauts_and_stem_words():
    assert tokens("Jäger-Lieder, lullabies & Reels in 3/4") == [
        "jaeger", "lieder", "lullabi", "reel", "in", "3/4",
    ]  # fmt: skip
    assert query_tokens("a lullaby for a lullaby") == ["lullabi"]
    assert query_tokens("lullabies") == query_tokens("lullaby")


def test_scores_find_title_genre_synonym_and_region_words():
    index = LexicalIndex.build(RECORDS)
    for query, best in [("minuet", 0), ("cradle song", 1), ("Wiegen", 1), ("Shaanxi", 2)]:
        scores, terms = index.scores(query)
        assert terms and int(np.argmax(scores)) == best, query
    scores, terms = index.scores("zzz unknownword")
    assert terms == [] and not scores.any()


def test_matches_name_the_field_of_each_word():
    index = LexicalIndex.build(RECORDS)
    _, terms = index.scores("Silesia lullaby")
    assert index.matches(RECORDS[1], terms) == [("genre", ["lullaby"]), ("region", ["Silesia"])]


def test_coverage_ranks_a_piece_with_every_rare_word_above_one_repeating_one():
    records = [
        {"title": "Kyrie Kyrie Kyrie", "form": "mass"},
        {"title": "Kyrie", "composer": "Palestrina", "form": "mass"},
        {"title": "Gloria", "composer": "Palestrina", "form": "mass"},
        {"title": "Hornpipe", "key": "B- major"},
    ]
    index = LexicalIndex.build(records)
    share, _ = index.scores("Kyrie Palestrina", coverage=1.0)
    assert share[1] == 1.0 and share[0] < 1.0 and share[2] < 1.0
    mixed, _ = index.scores("Kyrie Palestrina", coverage=0.5)
    assert int(np.argmax(mixed)) == 1 and mixed.max() <= 1.0
    flat, terms = index.scores("hornpipe in B flat")
    assert "flat" in terms and flat[3] == 1.0  # keys are words: "B- major" is "B-flat major"


def test_a_query_naming_a_title_ranks_that_title_above_pieces_sharing_one_word():
    records = [
        {"title": "Zwei Herzen im Leben", "genre": "love song"},
        {"title": "Jesu, meine Freude", "lyrics": "Jesu, meine Freude, meines Herzens Weide"},
        {"title": "Aus meines Herzens Grunde", "composer": "Bach"},
        {"title": "Vom Himmel hoch"},
    ]
    index = LexicalIndex.build(records)
    plain, _ = index.scores("Aus meines Herzens Grunde")
    titled, _ = index.scores("Aus meines Herzens Grunde", title=0.5)
    assert int(np.argmax(titled)) == 2 and titled[3] == 0.0
    gain = titled - plain
    assert gain[2] == 0.5 and 0 < gain[0] < gain[2] and gain[1] < gain[2]  # share of the title


def test_a_form_guessed_from_the_meter_is_no_word_of_the_piece():
    """An unlabelled 9/8 tune of a tune book is catalogued a slip jig; the lexical channel reads
    only what the source wrote, so the labelled slip jig alone has the words."""
    labelled = {
        "title": "The Butterfly",
        "collection": "oneills1850",
        "meter": "9/8",
        "genre": "slip jig",
        "genre_original": "slip jig",
        "form": "slip jig",
    }
    guessed = {
        "title": "Sheela na Gigg",
        "collection": "airdsAirs",
        "meter": "9/8",
        "genre": "slip jig",
        "form": "slip jig",
    }
    titled = {**guessed, "title": "Drops of Brandy -- Slip Jig"}  # the title says it
    index = LexicalIndex.build([labelled, guessed, titled, {"title": "x"}])
    scores, _ = index.scores("slip jig", coverage=1.0)
    assert scores[0] == 1.0 and scores[1] == 0.0 and scores[2] == 1.0
    assert meter_only_form("Sheela na Gigg", "airdsAirs", "9/8") == "slip jig"
    assert meter_only_form("Drops of Brandy -- Slip Jig", "airdsAirs", "9/8") == ""
    assert meter_only_form("Sheela na Gigg", "airdsAirs", "9/8", rhythm="Hornpipe") == ""
    assert meter_only_form("Sheela na Gigg", "essenFolksong", "9/8") == ""  # no dance guess


def test_a_whole_phrase_in_a_mass_name_outranks_its_words_in_other_titles():
    """ "the mass O Rex gloriae": a movement whose parent mass carries the phrase must not lose
    to titles that share "O" or "Rex" once the phrase counts."""
    records = [
        {"title": "Kyrie", "form": "mass", "notes": "Missa O Rex gloriae Kyrie"},
        {"title": "O Rex mundi", "form": "motet"},
        {"title": "Gloria: Rex coeli", "form": "mass", "notes": "Missa de O gloriae"},
        *({"title": f"Song {i}", "form": "folk song"} for i in range(20)),
    ]  # fmt: skip
    index = LexicalIndex.build(records)
    query = "the mass O Rex gloriae"
    words, _ = index.scores(query, coverage=1.0, title=0.5)
    phrased, _ = index.scores(query, coverage=1.0, title=0.5, phrase=2.0)
    gain = phrased - words
    assert gain[0] > gain[1] > 0 and gain[2] == 0.0  # two pairs, one pair ("O Rex"), none
    assert phrased[0] - max(phrased[1:]) > words[0] - max(words[1:])
    assert word_pairs(query) == ["mass o", "o rex", "rex gloria"]


def test_a_phrase_as_common_as_folk_song_weighs_little_beside_rare_words():
    records = [
        *({"title": f"Lied {i}", "notes": "a folk song"} for i in range(30)),
        {"title": "Shanxi", "region": "China, Shanxi"},
    ]  # fmt: skip
    index = LexicalIndex.build(records)
    query = "folk song from Shanxi"
    words, _ = index.scores(query, coverage=1.0)
    phrased, _ = index.scores(query, coverage=1.0, phrase=2.0)
    gain = phrased - words
    assert gain[:30].min() > 0 and gain.max() < 0.1 and gain[-1] == 0.0
    assert int(np.argmax(phrased)) == 30  # the rare word still decides


def test_an_essen_song_with_its_own_genre_is_still_a_folk_song():
    """The label gives the form ("lullaby"), but the piece is an Essen folk song: "Hungarian
    folk song" must not favour the Essen songs that have no label, nor a genre whose English
    happens to hold "folk"."""
    labelled = {
        "title": "A",
        "collection": "essenFolksong",
        "form": "lullaby",
        "genre": "lullaby",
        "region": "Hungary",
    }
    plain = {"title": "B", "collection": "essenFolksong", "form": "folk song", "region": "Hungary"}
    other = {"title": "C", "collection": "essenFolksong", "form": "folk song", "region": "Lorraine"}
    index = LexicalIndex.build([labelled, plain, other, {"title": "x", "form": "reel"}])
    scores, _ = index.scores("Hungarian folk song", coverage=1.0)
    assert scores[0] == scores[1] > scores[2] > scores[3] == 0.0
    found = dict(index.matches(labelled, query_tokens("folk song")))["genre"]
    assert "folk" in [w.lower() for w in found]


def test_lyrics_are_a_field_why_can_name():
    record = {"title": "Aus meines Herzens Grunde", "lyrics": "sag ich dir Lob und Dank"}
    index = LexicalIndex.build([record, {"title": "x"}])
    _, terms = index.scores("Lob und Dank")
    # "und" is a German function word: no topic, so no matched word (recommender.stop_words)
    assert index.matches(record, terms) == [("lyrics", ["Lob", "Dank"])]


def test_matches_quote_the_source_spelling_not_the_folded_stems():
    """ "Herzens" stays as written (folding and stemming give "herzen")."""
    record = {"title": "Aus meines Herzens Grunde", "lyrics": "Lady Coventry's Jäger, Jäger"}
    index = LexicalIndex.build([record, {"title": "x"}])
    _, terms = index.scores("aus meines herzens grunde coventry jager jaeger")
    assert index.matches(record, terms) == [
        ("title", ["Herzens", "Grunde"]),  # "aus", "meines": German function words
        ("lyrics", ["Coventry's", "Jäger"]),
    ]


def test_normalise_scales_by_the_best():
    assert normalise(np.array([0.0, 2.0, 1.0])).tolist() == [0.0, 1.0, 0.5]
    assert normalise(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_save_then_load_and_a_changed_catalog_is_rebuilt(tmp_path):
    frame = pd.DataFrame(RECORDS).fillna("")
    frame["id"] = [f"p{i}" for i in range(len(frame))]
    index = LexicalIndex.build(frame.to_dict("records"))
    key = data_key(frame)
    path = tmp_path / "lexical.npz"
    index.save(path, key)
    loaded = LexicalIndex.load(path, key)
    assert loaded is not None
    assert np.allclose(loaded.scores("minuet")[0], index.scores("minuet")[0])
    phrased = loaded.scores("Wiegen Lied", coverage=1.0, phrase=1.0)[0]
    assert np.allclose(phrased, index.scores("Wiegen Lied", coverage=1.0, phrase=1.0)[0])
    assert loaded.pair_vocabulary == index.pair_vocabulary and phrased[1] > 1.0
    changed = frame.assign(title=frame["title"] + " x")
    assert data_key(changed) != key
    assert LexicalIndex.load(path, data_key(changed)) is None


def test_label_themes_and_english_chorale_and_mass_names_are_words_of_the_piece():
    records = [
        {"title": "Es war einmal", "genre": "ballad", "genre_original": "Ballade, Mord, Tod"},
        {"title": "Ein feste Burg ist unser Gott (BWV 302)", "form": "chorale"},
        {"title": "Agnus Dei", "notes": "Missa Papae Marcelli Agnus I", "form": "mass"},
        {"title": "Es waren zwei Koenigskinder", "genre": "ballad", "genre_original": "Ballade"},
    ]
    index = LexicalIndex.build(records)
    for query, best in [("murder ballad", 0), ("a mighty fortress", 1), ("Pope Marcellus", 2)]:
        scores, terms = index.scores(query)
        assert int(np.argmax(scores)) == best, query
    _, terms = index.scores("murder")
    assert index.matches(records[0], terms) == [("genre", ["murder"])]


def test_word_forms_meet_on_their_stems():
    # what people type beside what the label themes say (cantus.label_words THEME_WORDS)
    pairs = [("seduced", "seduction"), ("faithful", "faithfulness"),
             ("Bible", THEME_WORDS["biblischer stoff"]),
             ("lullabies", "lullaby"), ("dancing", "dances"),
             ("drinking songs", "drinking song"), ("jigs", "jig"), ("weddings", "wedding"),
             ("airs", "air"), ("ladies", "lady")]  # fmt: skip
    for typed, written in pairs:
        assert set(query_tokens(typed)) <= set(tokens(written)), (typed, written)
    # numbers, meters and short words are kept as they are
    assert tokens("3/4 was has 1850") == ["3/4", "was", "has", "1850"]
    assert tokens("jigs dying") == ["jig", "dying"]  # a short stem: only the plural's s goes
    assert query_tokens("shange") != query_tokens("shan ge")  # pinyin words are not split here


def test_a_query_word_finds_a_theme_in_another_word_form():
    records = [
        {"title": "A", "genre": "ballad", "genre_original": "Ballade, Verfuehrung"},
        {"title": "B", "genre": "ballad", "genre_original": "Ballade, Treue"},
        {"title": "C", "genre": "ballad", "genre_original": "Ballade"},
    ]
    index = LexicalIndex.build(records)
    for query, best in [("a ballad about a seduced girl", 0), ("faithful lovers", 1)]:
        scores, terms = index.scores(query)
        assert terms and int(np.argmax(scores)) == best, query


def test_hostile_queries_score_nothing_or_something_without_error():
    index = LexicalIndex.build(RECORDS)
    # recommender.checks caps a query at MAX_QUERY_CHARS (1000): each is at most that long
    for query in ["", " ", "\x00\u200b", "🎻🎻", "中国 民歌", "ǚ" * 50, "minuet " * 140,
                  "x" * 1000, "'''///---"]:  # fmt: skip
        scores, terms = index.scores(query)
        assert scores.shape == (len(RECORDS),) and np.isfinite(scores).all(), query[:20]
        assert all(isinstance(t, str) and t for t in terms)
    assert index.scores("minuet " * 140)[1] == ["minuet"]


def test_an_ic_word_keeps_its_ic():
    # cutting Snowball's "-ic" met "classical" with "class"
    assert tokens("classical") != tokens("class")
    assert tokens("classical") == tokens("classic")  # Snowball's own "-ical" = "-ic" stays
    assert tokens("canonic") == tokens("canon")  # and so does its own cut of a bare "-ic"
    assert tokens("historical") == tokens("historic") and tokens("catholics") == tokens("catholic")


def test_a_stem_of_three_letters_keeps_its_word():
    # "dying" would stem to "die", German's "the" in every title
    assert tokens("dying lying") == ["dying", "lying"]
    assert tokens("Die Rose") == ["die", "rose"]
