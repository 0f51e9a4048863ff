"""Chinese song labels read by their pinyin parts (cantus.pinyin_genres) and the genres,
themes, captions and coverage they give."""

from __future__ import annotations

import pytest

from cantus.label_inventory import chinese_report, label_word_covered
from cantus.label_words import GENRE_SYNONYMS
from cantus.metadata import genres_of, label_themes
from cantus.pinyin_genres import (
    GENRE_PARTS,
    fold,
    label_syllables,
    pinyin_genres,
    pinyin_themes,
    syllables,
)


@pytest.mark.parametrize(
    ("word", "cut"),
    [
        ("shange", ("shan", "ge")),  # never shang+e: an inner syllable starts with a consonant
        ("muniushange", ("mu", "niu", "shan", "ge")),
        ("gutianshange", ("gu", "tian", "shan", "ge")),
        ("xian", ("xian",)),  # one syllable beats xi+an
        ("kuaiban", ("kuai", "ban")),  # not ku+ai+ban
        ("yaoerge", ("yao", "er", "ge")),  # an inner vowel where nothing else cuts
        ("wugeng", ("wu", "geng")),  # five watches: no wu+ge (dance song)
        ("yvge", ("yu", "ge")),  # ü after y is written u
        ("nannv", ("nan", "nv")),
    ],
)
def test_syllables_cut_pinyin_as_written_pinyin_would(word, cut):
    assert syllables(word) == cut


@pytest.mark.parametrize(
    "word", ["", "tanzlied", "kinder", "huar", "3/4", "x" * 41, "ballade", "ß"]
)
def test_words_that_are_no_pinyin_are_not_cut(word):
    assert syllables(word) is None


@pytest.mark.parametrize(
    ("label", "genres"),
    [
        ("Muniu shange", ["shan'ge", "shepherd's song"]),  # a compound names its kind last
        ("Shan ge", ["shan'ge"]),  # spaced and joined spellings alike
        ("Gutianshange", ["shan'ge"]),
        ("Xiao diao", ["xiaodiao"]),
        ("Haozi", ["work chant", "work song"]),
        ("Dawo haozi", ["work chant", "work song"]),
        ("Wuge, Yangge", ["dance song", "yangge"]),
        ("Huagu", ["flower drum song"]),
        ("Caicha diao", ["tea-picking song"]),
        ("Yaolanqu", ["lullaby"]),
        ("Cuimian qu", ["lullaby"]),
        ("Kuge", ["lament"]),
        ("Funü ku", ["lament"]),
        ("Qingge", ["love song"]),
        ("Nannü liqing", ["love song"]),
        ("Erge", ["children's song"]),
        ("Tongyao", ["children's song"]),
        ("Bainian", ["New Year song"]),
        ("Chunyou", ["spring song"]),
        ("Xiaodiao, Yüge", ["xiaodiao", "fishermen's song"]),
        ("Errentai", ["errentai"]),
        ("Duichang", ["antiphonal song"]),
        ("Xin minge", ["new folk song"]),
    ],
)
def test_chinese_labels_get_english_genres_by_their_parts(label, genres):
    assert genres_of(label) == genres


def test_german_patterns_skip_the_pinyin_words_of_a_chinese_label():
    assert genres_of("Wuge, Mai zahuo diao") == ["dance song"]  # mai (to sell) is no May
    assert genres_of("Xiaodiao, Yueyawugeng diao") == ["xiaodiao"]  # wugeng is no wuge
    assert genres_of("Mai - Lied") == ["May song"]  # a German label keeps them
    assert genres_of("Haozi zum Tragen, Arbeit") == ["work chant", "work song"]
    # a Chinese song's label alone, without a genre part: its "mai" is still no May
    assert genres_of("Mai zahuo diao") == ["May song"]  # who knows it is Chinese: the caller
    assert genres_of("Mai zahuo diao", chinese=True) == []
    assert genres_of("Mai zahuo diao, Arbeit", chinese=True) == ["work song"]


def test_a_chinese_songs_label_is_read_as_pinyin_in_the_catalog():
    from cantus.forms import form_of
    from cantus.metadata import abc_metadata

    chinese = abc_metadata("X:1\nT:Zahuo\nO:China, Hebei\nR:Mai zahuo diao\nK:C\nC|\n")
    assert chinese["genre"] == "" and chinese["genre_original"] == "Mai zahuo diao"
    german = abc_metadata("X:1\nT:Mai\nO:Europa, Deutschland\nR:Mai - Lied\nK:C\nC|\n")
    assert german["genre"] == "May song"
    assert (
        form_of("Zahuo", "essenFolksong", "2/4", "essenFolksong/han0001.abc", "Mai zahuo diao")
        != "May song"
    )
    assert (
        form_of("Mai", "essenFolksong", "2/4", "essenFolksong/erk5.abc", "Mai - Lied") == "May song"
    )


@pytest.mark.parametrize(
    ("label", "wine"),
    [
        ("Xiaodiao, Shibeijiu", True),  # ten cups of wine
        ("Xiaodiao, Jiuling, Xiuhebao diao. Yinjiu shi chang", True),  # a drinking game
        ("Xiaodiao, Jiujinshan diao", False),  # jiu = old
        ("Xiaodiao, Dengdiao, Fangxiandiao Jiuliandeng", False),  # jiu = nine
        ("Xiaodiao, Fengsuge, Jiuqu", False),
    ],
)
def test_jiu_is_wine_only_in_its_drinking_compounds(label, wine):
    themes = " ".join(label_themes(label))
    assert ("wine" in themes or "drinking" in themes) == wine, themes


def test_a_chinese_title_says_what_the_song_is_about():
    from cantus.metadata import title_themes

    assert title_themes("Tiqi balujun", "China, Liaoning") == ["Eighth Route Army"]
    assert title_themes("Yonghu balu jun", "China, Shaanxi") == ["Eighth Route Army"]
    assert title_themes("Xiu mudan", "China, Zhejiang") == ["peony"]
    assert "twelve months" in title_themes("Shier yue hua", "China, Hubei")
    assert title_themes("Tiqi balujun", "Germany") == []  # only a Chinese song's title is pinyin
    assert title_themes("Die Sage", "China") == []
    for hostile in ["", " ", "中国", "a" * 5000, "\u200b\x00", "İİ"]:
        assert isinstance(title_themes(hostile, "China"), list)


def test_runs_end_at_punctuation():
    assert [run for _, run in label_syllables(fold("Xiaodiao, Wuge"))] == [
        ("xiao", "diao"),
        ("wu", "ge"),
    ]
    assert genres_of("Shan, Ge") == []  # two words apart are no compound


def test_themes_of_pinyin_parts_with_the_german_themes():
    assert label_themes("Siji huahui") == ["flowers of the four seasons", "four seasons", "flowers"]
    assert label_themes("Ballade, Mord") == ["murder"]
    assert "women" in label_themes("Funue shenghuo")


def test_every_genre_a_part_names_has_english_names():
    named = {g for _, genres in GENRE_PARTS for g in genres}
    assert named <= set(GENRE_SYNONYMS)
    assert all(g in GENRE_SYNONYMS[g] for g in named)  # the genre word itself is searchable


@pytest.mark.parametrize(
    "label", ["", "   ", "???", "中国民歌", "ǚǘ", "a" * 10_000, "shange " * 2000, "\u200b\x00"]
)
def test_hostile_labels_give_lists(label):
    assert isinstance(genres_of(label), list)
    assert isinstance(label_themes(label), list)
    assert isinstance(pinyin_genres(fold(label)), list)


def test_chinese_report_counts_phrases_and_pieces():
    tunes = [
        "X:1\nO:China, Shaanxi\nR:Muniu shange\nK:C\nC|\n",
        "X:2\nO:China, Hunan\nR:Zzqq\nK:C\nC|\n",
        "X:3\nO:Europa, Deutschland\nR:Wiegen - Lied\nK:C\nC|\n",
    ]
    found = chinese_report(tunes)
    assert found["pieces"] == 2
    assert found["phrases"] == 2
    assert found["phrases_with_english"] == 1
    assert found["pieces_with_genre"] == 1
    assert found["phrases_without_english"] == {"zzqq": 1}
    assert label_word_covered("muniu shange")
    assert not label_word_covered("zzqq")


def test_a_chinese_label_reaches_the_catalog_search_and_why():
    from cantus.metadata import abc_metadata
    from recommender.fusion import matched_words
    from recommender.lexical import LexicalIndex

    meta = abc_metadata("X:1\nT:Fangniu\nO:China, Hunan\nR:Muniu shange\nK:C\nC|\n")
    assert meta["genre"] == "shan'ge, shepherd's song" and meta["genre_original"] == "Muniu shange"
    records = [{"title": "Fangniu", **meta}, {"title": "Other", "genre": "reel"}]
    index = LexicalIndex.build(records)
    for query in ["a Chinese mountain song", "herdsman's songs", "shan ge", "muniu"]:
        scores, terms = index.scores(query)
        assert terms and int(scores.argmax()) == 0, query
    _, terms = index.scores("mountain songs")
    why = matched_words(records[0], index.matches(records[0], terms))
    assert why == "genre: Muniu shange = shan'ge, shepherd's song"


def test_a_chinese_title_reaches_search_in_english():
    from recommender.lexical import LexicalIndex

    records = [
        {"title": "Tiqi balujun", "region": "China, Liaoning", "genre": "xiaodiao"},
        {"title": "Soldatenlied", "region": "Germany", "genre": "soldiers' song"},
    ]
    index = LexicalIndex.build(records)
    scores, terms = index.scores("a song of the Eighth Route Army")
    assert scores[0] == 1 and scores[1] < 0.7, terms  # the other has "song" only
    assert index.matches(records[0], terms) == [("title", ["Eighth", "Route", "Army"])]


def test_fold_keeps_one_character_for_one():
    # "İ".lower() is two characters: spans found in the folded label must still fit the label
    label = "İİİİ Shange, Maitanz"
    assert len(fold(label)) == len(label)
    assert genres_of(label) == genres_of("Shange, Maitanz")


@pytest.mark.parametrize(
    ("title", "absent"),
    [
        ("Huang meigui", "Huangmei"),  # a yellow rose, no Huangmei opera
        ("Hong junzi", "Red Army"),  # a red gentleman
        ("Zhouzongli shicha gongshelai", "history"),  # li|shi across two words
    ],
)
def test_a_title_reads_a_part_across_words_only_where_it_ends_a_word(title, absent):
    from cantus.metadata import title_themes

    assert absent not in title_themes(title, "China, Shaanxi")


def test_a_title_still_reads_spaced_and_joined_parts():
    from cantus.metadata import title_themes

    assert "Red Army" in title_themes("Hongjun laidao zunyicheng", "China")
    assert "Red Army" in title_themes("Hong jun lai le", "China")
    assert "peony" in title_themes("Mudanhua kai", "China")


def test_a_label_keeps_compounds_whose_kind_ends_a_word():
    assert "lantern song" in [g for _, g in pinyin_genres(fold("Xiaodiao. Madeng diao"))]
    assert "cursing the landlord" in pinyin_themes(fold("Ma caizhupo"))
