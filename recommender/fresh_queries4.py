"""A fourth fresh, blind query set: all of it test, none of it ever tuned on.

How it was written: by helper 10w on 2026-12-01, for issue 10, while the search was being changed
by others. The writer read only ``recommender.source_queries`` (the ``Need`` judges and query
helpers), ``recommender.fresh_queries``, ``fresh_queries2`` and ``fresh_queries3`` (format, and
what they already ask), ``recommender.eval_search.source_records`` and the raw source fields it
returns for the shipped catalog -- the ABC ``R:``/``O:``/``T:`` values, music21's corpus metadata
and chorale names, the corpus collections and music21's meter/key/mode analysis -- tallied by a
small script of the writer's own to phrase queries the way a student, a folk fiddler, a choir
director or a composer asks, and to count that each has at least 3 relevant pieces. No search,
engine, BM25 score or other ranking was run while it was written; no evaluation output, report,
README figure or closing note was read; the ranker's translation tables and rules
(``cantus.metadata``, ``cantus.label_words``, ``cantus.label_inventory``, captions,
``recommender.facets``, ``recommender.lexical``) were not opened. No query repeats or paraphrases
one of ``source_queries`` (with ``TUNE_ONLY``) or the three earlier blind sets. Relevance uses the
source-judged set's ``Need`` judges, never a column the ranker writes.

All of it is test: it is marked ``fresh`` like the earlier blind sets, so ``split`` and the
tuning refuse it. It is not scored by ``recommender.eval_fresh`` yet.

Families: genre 15, region 15, chinese 10, sacred 10, dance 10, combined 10 (no mood family).

Judging choices, where the sources leave room:
- Essen's German labels stand for the English words (``Selbstmord``/``Suizid`` suicide,
  ``Verführung`` seduction, ``Schwangerschaft`` pregnancy, ``Standesunterschied`` a love across
  social rank, ``Entführung``/``Frauenraub`` abduction, ``vergebliche Werbung``/``abgewiesener
  Freier`` a suitor turned down, ``Reue`` remorse, ``Habgier``/``Geiz`` greed,
  ``Märchen`` fairy tale, ``Ritter`` knights, ``Treue`` (not ``Untreue``) faithfulness, ``Trost``
  consolation, ``Bettel``/``Bettler`` begging, ``Kniereiter`` a knee-bouncing rhyme,
  ``Flachs(brechen)`` flax work, ``Marien-Lied`` a song to Mary,
  ``Kirchen-Fest`` a church feast, ``biblischer Stoff`` a Bible story, ``Jodler`` a yodel);
- a region is read from ``O:`` alone: Saxony is ``Sachsen`` but not Lower Saxony, the Prussian
  ``Provinz Sachsen`` or Saxony-Anhalt; the Rhineland is ``Rheinland``/``Rheinprovinz``; the
  Palatinate ``Pfalz``/``Rheinpfalz``; Lusatia ``Lausitz`` with the Sorbs (``sorbisch``,
  ``Wenden``); Flanders ``flämisch``/``Flandern``; Chongqing as ``O:`` spells it (inside
  Sichuan). Yugoslavia and Romania are not asked: most of their songs are the Gottschee and
  Transylvania songs an earlier set asks for;
- a Chinese genre is read from its romanised label in ``R:`` only (``cheshui`` water wheel,
  ``chang huahui`` singing the flowers, ``gushi``/``chuanshuo`` a story or legend, ``jiaomai``
  hawking, ``dawo`` tamping, ``chunyou`` a spring outing, ``muniu``/``fangniu`` herding cattle,
  ``ma caizhu``/``ma dizhu`` cursing the landlord, ``bainian`` New Year calls, ``errentai``) --
  not the title, where "bainian" also means "a hundred years";
- a chorale is named by its title wherever the source gives it (music21's ChoraleListRKBWV for
  Bach); a Palestrina Credo is a Credo movement of a mass music21 files as a parody mass;
- a march is a tune book title with "march", but not "of March" (as in the third set).

Pieces shared with earlier queries: a narrower need inside a broader one of another meaning is
kept, as the earlier sets keep theirs (a dance in one key inside "a march", a region's songs of a
genre inside that genre, Chongqing inside "Sichuan folk song", knights' legends inside "a song
that tells an old legend"); no query shares half of its relevant pieces with a tune-only query.
"""

from __future__ import annotations

from recommender.source_queries import (
    BACH,
    MARCH,
    MD,
    PALESTRINA,
    RT,
    O,
    R,
    SourceQuery,
    fresh_query,
    key,
    meter,
    named,
)

WRITTEN = "2026-12-01, blind (no ranking run or read), by helper 10w; all test, no tune half"
_f = fresh_query

REEL = RT(r"\breel")
DANCE_SONG = R(r"tanz|reigen")
# Saxony, not Lower Saxony, the Prussian province or Saxony-Anhalt
SAXONY = O(r"(?<!provinz )\bsachsen\b(?! ?- ?anhalt)")

FRESH4: tuple[SourceQuery, ...] = (
    # what a song is about or for, asked in English of sources labelled in German (Essen R:)
    _f("a ballad where a lover takes their own life", "genre", R(r"selbstmord|suizid")),
    _f("a song about a girl who is seduced", "genre", R(r"verf(ue|ü)hrung")),
    _f("a folk song about an unwanted pregnancy", "genre", R(r"schwangerschaft")),
    _f(
        "love between a rich and a poor person, across social rank",
        "genre",
        R(r"standesunterschied"),
    ),
    _f("a ballad about a girl carried off by force", "genre", R(r"entf(ue|ü)hrung|frauenraub")),
    _f(
        "a song about a suitor who gets turned down", "genre", R(r"vergebliche werbung|abgewiesene")
    ),
    _f("a song of remorse and repentance", "genre", R(r"\breue")),
    _f("a song about greed and avarice", "genre", R(r"habgier|\bgeiz")),
    _f("a fairy-tale song", "genre", R(r"m(ae|ä)rchen")),
    _f("a song about knights", "genre", R(r"ritter")),
    _f("a song about staying faithful", "genre", R(r"(?<!un)treue")),
    _f("a song of comfort and consolation", "genre", R(r"\btrost")),
    _f("a beggar's song", "genre", R(r"bettel|bettler")),
    _f("a knee-bouncing rhyme for a toddler", "genre", R(r"knie?r?reiter")),
    _f("a song sung while breaking flax", "genre", R(r"flachs")),
    # places named in O:
    _f("a folk song from the Rhineland", "region", O(r"rheinland|rheinprovinz")),
    _f("Brandenburg folk songs", "region", O(r"brandenburg")),
    _f("a Saxon folk song", "region", SAXONY),
    _f("a song from the Odenwald", "region", O(r"odenwald")),
    _f("a tune from the Westerwald", "region", O(r"westerwald")),
    _f("a Berlin song", "region", O(r"berlin")),
    _f("a Flemish folk song", "region", O(r"fl(ae|ä)misch|flandern")),
    _f("a folk song from Guangxi", "region", O(r"guangxi")),
    _f("a song from Chongqing", "region", O(r"chongqing")),
    _f("a Schleswig-Holstein folk song", "region", O(r"schleswig")),
    _f("a folk song from Baden", "region", O(r"\bbaden\b")),
    _f("a song from Lusatia, Sorbian country", "region", O(r"lausitz|sorbisch|wenden")),
    _f("a Guizhou folk song", "region", O(r"guizhou")),
    _f("songs from the Taunus hills", "region", O(r"taunus")),
    _f("a folk song from the Palatinate", "region", O(r"pfalz")),
    # Chinese genres from romanised labels in R:
    _f("a chant for pedalling the water wheel in the rice fields", "chinese", R(r"cheshui")),
    _f(
        "a Chinese song that names the flowers (chang huahui)",
        "chinese",
        R(r"chang (siji )?huahui"),
    ),
    _f(
        "a Chinese song telling a folk legend, like the White Snake or the Butterfly Lovers",
        "chinese",
        R(r"gushi|chuanshuo"),
    ),
    _f("a street hawker's song (jiaomai)", "chinese", R(r"jiaomai|mai zahuo")),
    _f("a tamping chant for pounding earth (dawo haozi)", "chinese", R(r"dawo|feststampfen")),
    _f("a Chinese song about a spring outing", "chinese", R(r"chunyou|youchun")),
    _f("a Chinese cowherd's song", "chinese", R(r"muniu|fangniu")),
    _f("a Chinese song cursing the landlord", "chinese", R(r"ma (caizhu|dizhu)")),
    _f("a Chinese New Year visiting song (bainian)", "chinese", R(r"bainian")),
    _f("an errentai duet tune from Shanxi", "chinese", R(r"er ?ren ?tai")),
    # sacred music by the names the sources give
    _f("Was Gott tut, das ist wohlgetan", "sacred", named(r"was gott tut")),
    _f("Bach's settings of Meinen Jesum laß ich nicht", "sacred", named(r"meinen jesum")),
    _f("the chorale Jesu, der du meine Seele", "sacred", named(r"jesu, der du meine")),
    _f("Was mein Gott will, das g'scheh allzeit", "sacred", named(r"was mein gott will")),
    _f(
        "Allein Gott in der Höh sei Ehr, the German Gloria hymn",
        "sacred",
        named(r"allein gott in der h"),
    ),
    _f(
        "a Credo from one of Palestrina's parody masses",
        "sacred",
        PALESTRINA,
        MD(r"credo"),
        MD(r"mass \(parody\)"),
    ),
    _f("Palestrina's Missa brevis", "sacred", MD(r"missa brevis")),
    _f("a German folk hymn to the Virgin Mary", "sacred", R(r"marien|maria\b")),
    _f("a song for a church feast day", "sacred", R(r"kirchen ?- ?fest")),
    _f("a folk song that retells a story from the Bible", "sacred", R(r"biblisch")),
    # dance forms of the tune books with a key, and German dance songs
    _f("a reel in A major", "dance", REEL, key("A", "major")),
    _f("a planxty in D major for the harp", "dance", RT(r"planxty"), key("D", "major")),
    _f("an easy hornpipe in C major", "dance", RT(r"hornpipe"), key("C", "major")),
    _f("a march in G major for the pipes or fiddle", "dance", MARCH, key("G", "major")),
    _f("a strathspey in A", "dance", RT(r"strathspey"), key("A", "major")),
    _f("a reel in F major", "dance", REEL, key("F", "major")),
    _f("a hornpipe in B minor", "dance", RT(r"hornpipe"), key("B", "minor")),
    _f("a reel in A minor", "dance", REEL, key("A", "minor")),
    _f("a highland fling in A major", "dance", RT(r"fling"), key("A", "major")),
    _f("a German dance song in 2/4", "dance", DANCE_SONG, meter("2/4")),
    # two needs at once
    _f("a love song from Hesse", "combined", O(r"hessen"), R(r"liebe")),
    _f("a Swiss yodel", "combined", O(r"schweiz"), R(r"jod")),
    _f("a Silesian soldiers' song", "combined", O(r"schlesien"), R(r"soldat")),
    _f("a drinking song from Lorraine", "combined", O(r"lothringen"), R(r"trink|zech")),
    _f("a wedding song from Luxembourg", "combined", O(r"luxemburg"), R(r"hochzeit|braut")),
    _f("a mountain song from Hubei", "combined", O(r"hubei"), R(r"shange")),
    _f("a lantern song from Yunnan", "combined", O(r"yunnan"), R(r"huadeng|deng")),
    _f("a Bach chorale in F major", "combined", BACH, key("F", "major")),
    _f("a religious song from Silesia", "combined", O(r"schlesien"), R(r"geistlich|religi")),
    _f("a xiaodiao from Shaanxi", "combined", O(r"shaanxi"), R(r"xiaodiao")),
)
