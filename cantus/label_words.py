"""English for the words the sources write in German, Chinese romanisation or Latin: genre
labels (Essen's ``R:``), places (``O:``), the themes a label names beside its genre, and the
English names of famous chorales and masses. Tables only; ``cantus.metadata`` applies them.

Checked for coverage against every label word with three or more pieces
(``docs/label_inventory.json``, ``cantus.label_inventory``); a word left out is kept verbatim.
"""

from __future__ import annotations

import re
import unicodedata

# (pattern over a source genre label, English genre word). A label's genres are reported in
# the order they appear in the label; the first is the piece's form.
GENRE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"wiegen|(?<!bei)schlaf|schlummer|schaukel|kose|cradle|lullaby", "lullaby"),  # not Beischlaf
    # a label's feast and nothing broader: Epiphany (Three Kings) and Advent are not Christmas
    (r"weihnacht|krippe|christkind|\bcarols?\b", "christmas song"),
    (r"dreik(oe|ö)nig|drei k(oe|ö)nige", "Epiphany song"),
    (r"neujahr|silvester", "New Year song"),
    (r"ostern|oster", "Easter song"),
    (r"fastnacht|fasching|karneval", "carnival song"),  # Shrovetide, before Lent
    (r"hochzeit|ehestand|braut|heirat", "wedding song"),
    (r"trink|zech|tabak", "drinking song"),
    (r"jaeger|jäger|jagd|wilderer", "hunting song"),
    (r"soldat|landsknecht|rekrut|(?<!knie)(?<!knier)(?<!kni)reiter|deserteur", "soldiers' song"),
    (r"kriegs|krieg\b|sieges", "war song"),  # the sources tell soldiers' songs from war songs
    (r"abschied", "farewell song"),
    (r"kinder|knie?r?reiter|abz(ae|ä)hl", "children's song"),
    (r"begr(ae|ä)bnis|bregr(ae|ä)bnis|trauerlied|totenklage|totenwacht|leichen", "funeral song"),
    (r"klage", "lament"),
    (r"liebe", "love song"),  # Chinese labels: cantus.pinyin_genres
    (r"marien|\bmaria\b", "Marian song"),
    (
        r"geistlich|religi|kirchen(?!\s*-?\s*fest)|marien|heiligen|jesus|passion|wallfahrt|pilger|erbauung",
        "sacred song",
    ),
    (r"gebet", "prayer"),
    (r"\blob|\bdank", "song of praise"),
    (r"moritat|zeitungslied|b(ae|ä)nkel", "Moritat"),
    (r"hirten|sch(ae|ä)fer|kuhreihen|hirt\b", "shepherd's song"),
    (r"bergmann|bergreihen|knappen", "miner's song"),
    (r"seemann|schiffer|matrosen", "sailors' song"),
    (r"boots?lied", "boat song"),
    (r"teepfl(ue|ü)ck", "tea-picking song"),
    (r"fischer", "fishermen's song"),
    (r"berufs|handwerk|bauern|arbeit|flachs", "work song"),
    (r"blumentrommel", "flower drum song"),
    (r"wechselgesang|antiphon", "antiphonal song"),
    (r"\bmai(lied|tanz|en|\b|\s*-)", "May song"),
    (r"reigen|ringelreihen|rundtanz", "ring dance"),
    (r"walzer", "waltz"),
    (r"tanz|reigen", "dance song"),
    (r"spiel(?!mann)", "game song"),
    (r"ballade", "ballad"),
    (r"romanze", "romance"),  # the sources tell Romanze from Ballade: so do we
    (r"scherz|spott|schalk|schelm|schwank|lustig|l(ue|ü)gen", "humorous song"),
    (r"vaterland|politisch|national|patriot|freiheit|\bwehr\b|hymne", "patriotic song"),
    (r"erzaehl|erzähl|sage\b|sagen|maerchen|märchen|legende", "narrative song"),
    (r"histori|\b1[6-9]\d\d\b|napoleon", "historical song"),
    (r"wander", "wandering song"),
    (r"studenten|burschen|turner", "student song"),
    (r"jugend", "youth song"),
    (r"geselligkeit|gem(ue|ü)tlich|rundgesang", "convivial song"),
    (r"fr(ue|ü)hling", "spring song"),
    (r"jahreszeit|sommer|herbst|winter", "seasonal song"),
    (r"abend|tageszeit", "evening song"),
    (r"tagelied|w(ae|ä)chter", "dawn song"),
    (r"st(ae|ä)ndchen|fenstergang|kilt", "serenade"),
    (r"heimat|heimweh", "song of home"),
    (r"natur|tierlied|pflanzen", "nature song"),
    (r"moral|belehrung|mahnlied|trost", "moral song"),
    (r"helden|ehren|ged(ae|ä)chtnis|personen", "song of praise for a person"),
    (r"jodl|jodel", "yodel"),
    (r"kanon", "round"),
    (r"r(ae|ä)tsel", "riddle song"),
    (
        r"brauchtum|ansinge|bettel|heische|kirmes|namenstag|sommertag",
        "custom song",
    ),
    # "Kirchen - Fest" is a feast of the church year (St Martin, New Year): a custom, not sacred
    (r"kirchen\s*-?\s*fest|fest\s*-?\s*lied|festtag", "feast-day song"),
    # erhua spellings are no plain pinyin (cantus.pinyin_genres reads the other Chinese labels)
    (r"hua'?er\b|huar\b|hua'r\b", "hua'er"),
    (r"huar\b|hua'r\b", "shan'ge"),
    (r"lyrisch", "lyrical song"),
)

# English words for each genre that users type, beside the genre itself (search and captions).
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "lullaby": ("lullaby", "cradle song", "Wiegenlied"),
    "christmas song": ("Christmas song", "carol", "Christmas carol", "Weihnachtslied"),
    "Epiphany song": ("Epiphany song", "Three Kings song", "Dreikönigslied"),
    "New Year song": ("New Year song", "New Year's Eve song", "Neujahrslied"),
    "Easter song": ("Easter song", "Easter hymn", "Osterlied"),
    "carnival song": ("carnival song", "Shrovetide song", "Fastnacht song", "Mardi Gras song",
                      "Faschingslied"),
    "wedding song": ("wedding song", "marriage song", "Hochzeitslied"),
    "drinking song": ("drinking song", "tavern song", "Trinklied"),
    "hunting song": ("hunting song", "hunter's song", "Jägerlied"),
    "soldiers' song": ("soldiers' song", "soldier's song", "military song", "Soldatenlied"),
    "war song": ("war song", "battle song", "song of war", "Kriegslied"),
    "farewell song": ("farewell song", "parting song", "Abschiedslied"),
    "children's song": ("children's song", "nursery song", "Kinderlied"),
    "funeral song": ("funeral song", "dirge", "burial song", "song of mourning", "Begräbnislied"),
    "lament": ("lament", "song of sorrow", "crying song", "Klagelied"),
    "love song": ("love song", "song of love", "Liebeslied"),
    "Marian song": ("Marian song", "song to the Virgin Mary", "Marienlied"),
    "sacred song": ("sacred song", "religious song", "hymn-like song", "geistliches Lied"),
    "prayer": ("prayer", "prayer song", "Gebet"),
    "song of praise": ("song of praise", "thanksgiving song", "Loblied"),
    "Moritat": ("Moritat", "murder ballad", "broadside ballad", "street ballad"),
    "shepherd's song": ("shepherd's song", "shepherd song", "herdsman's song", "pastoral song",
                        "Hirtenlied"),
    "miner's song": ("miner's song", "miners' song", "mining song", "Bergmannslied"),
    "sailors' song": ("sailors' song", "sea song", "sailor's song", "boatman's song",
                      "Seemannslied"),
    "boatmen's chant": ("boatmen's chant", "boatman's song", "boat hauling chant",
                        "river boatmen's work song", "chuanfu haozi"),
    "tea-picking song": ("tea-picking song", "tea picking song", "tea song", "caicha"),
    "fishermen's song": ("fishermen's song", "fisherman's song", "yuge"),
    "work song": ("work song", "labour song", "worker's song"),
    "work chant": ("work chant", "labour chant", "haozi"),
    "weeding song": ("weeding song", "field work song", "haocao"),
    "field song": ("field song", "rice-field song", "rice-planting song", "tiange"),
    "boat song": ("boat song", "boating song", "Bootslied"),
    "land-boat dance": ("land-boat dance", "boat dance", "hanchuan"),
    "yangge": ("yangge", "yangko", "rice-sprout song", "yangge dance"),
    "errentai": ("errentai", "two-person song and dance"),
    "antiphonal song": ("antiphonal song", "call and response song", "dialogue song",
                        "duichang", "Wechselgesang"),
    "beggars' song": ("beggars' song", "lotus-flower ballad", "lianhualao"),
    "street cry": ("street cry", "street vendor's cry", "jiaomai"),
    "opera tune": ("opera tune", "Chinese opera tune", "xiqu"),
    "flower drum song": ("flower drum song", "flower drum", "huagu"),
    "flower lantern song": ("flower lantern song", "lantern song", "huadeng"),
    "lantern song": ("lantern song", "lantern festival song", "dengge", "denge"),
    "Hakka song": ("Hakka song", "Hakka mountain song", "kejia"),
    "May song": ("May song", "May Day song", "song of May", "Mailied"),
    "ring dance": ("ring dance", "round dance", "circle dance", "Reigen"),
    "dance song": ("dance song", "song for dancing", "Tanzlied"),
    "game song": ("game song", "singing game", "play song", "Spiellied"),
    "ballad": ("ballad", "narrative ballad", "Ballade"),
    # a Romanze is no lyrisches Lied: the sources tell them apart
    "romance": ("romance", "Romanze"),
    "humorous song": ("humorous song", "comic song", "joking song"),
    "revolutionary song": ("revolutionary song", "red song", "song of the revolution"),
    "patriotic song": ("patriotic song", "political song", "national song", "anthem"),
    "narrative song": ("narrative song", "legend song", "story song"),
    "historical song": ("historical song", "song of history", "historisches Lied"),
    "wandering song": ("wandering song", "hiking song", "travelling song", "Wanderlied"),
    "student song": ("student song", "Studentenlied"),
    "youth song": ("youth song", "song of youth", "Jugendlied"),
    "convivial song": ("convivial song", "social song", "party song", "Geselligkeitslied"),
    "spring song": ("spring song", "song of spring", "Frühlingslied"),
    "seasonal song": ("seasonal song", "song of the seasons"),
    "evening song": ("evening song", "song of the evening", "Abendlied"),
    "dawn song": ("dawn song", "watchman's song", "aubade", "Tagelied"),
    "serenade": ("serenade", "courting song", "Ständchen"),
    "song of home": ("song of home", "homeland song", "homesickness song", "Heimatlied"),
    "nature song": ("nature song", "song of nature", "Naturlied"),
    "moral song": ("moral song", "didactic song", "song of consolation"),
    "song of praise for a person": ("song of praise for a person", "heroic song",
                                    "memorial song", "Heldenlied"),
    "yodel": ("yodel", "yodelling song", "Jodler"),
    "round": ("round", "canon", "Kanon"),
    "riddle song": ("riddle song", "Rätsellied"),
    "custom song": ("custom song", "ritual song", "begging song", "Brauchtumslied"),
    "feast-day song": ("feast-day song", "feast song", "festival song", "Festlied"),
    "waltz": ("waltz", "Walzer"),
    "xiaodiao": ("xiaodiao", "ditty", "Chinese ditty", "little tune", "xiao diao"),
    "hua'er": ("hua'er", "huaer", "flower song", "northwest Chinese mountain song"),
    "shan'ge": ("shan'ge", "shange", "shan ge", "mountain song", "Chinese mountain song"),
    "new folk song": ("new folk song", "xin minge"),
    "lyrical song": ("lyrical song", "lyric song", "lyrisches Lied"),
}  # fmt: skip

# Themes a label names beside its genre (German / pinyin as ``label_inventory.fold`` writes
# them) -> English; searchable, never a form.
THEME_WORDS: dict[str, str] = {
    "lied": "song", "lieder": "songs", "tod": "death", "liebe": "love", "mord": "murder",
    "leid": "sorrow", "verfuehrung": "seduction", "standesunterschied": "difference of rank",
    "selbstmord": "suicide", "schwangerschaft": "pregnancy, pregnant",
    "betrug": "deceit, deception, cheated, tricked and deceived",
    "brautwerbung": "courtship",
    "adelige als dienstmagd": "noblewoman as servant, noble girl working as a maid",
    "vergebliche werbung": "vain courtship, unrequited wooing", "moral": "morals",
    "erzaehlung": "tale",
    "scherz": "jest", "strafe": "punishment, punished",
    "todesahnung": "premonition of death, sensing death is near",
    "hinrichtung": "execution, executed", "trennung": "separation, parting",
    "habgier": "greed",
    "reue": "remorse", "herr": "master", "entfuehrung": "abduction, kidnapping, abducted",
    "ehe": "marriage",
    "magd": "maid, servant girl", "rache": "revenge, vengeance", "treue": "faithfulness, faithful",
    "freude": "joy",
    "kindsmord": "infanticide", "flucht": "escape, flight", "unfall": "accident", "geist": "ghost",
    "werbung": "courtship", "gefangenschaft": "captivity, imprisoned, prisoner",
    "rueckkehr": "return, coming back",
    "familiengeschichte": "family story", "wanderschaft": "journeyman's travels",
    "untreue": "infidelity, unfaithfulness, an unfaithful lover", "rettung": "rescue",
    "beischlaf": "lovemaking",
    "mordversuch": "attempted murder", "vergeltung": "retribution",
    "menschenhandel": "human trafficking", "grab": "grave", "auferstehen": "resurrection",
    "antiphonal": "antiphonal", "sehnsucht": "longing, yearning", "enttaeuschung": "disappointment",
    "verlassen des elternhauses": "leaving home, leaving the parents' house", "geburt": "birth",
    "trauer": "mourning",
    "vergaenglichkeit": "transience", "welt": "world",
    "frau in maennerkleidung": "woman in men's clothes", "indiskretion": "indiscretion",
    "verweigerter beischlaf": "refused lovemaking", "versagen": "failure",
    "verlorene ehre": "lost honour", "waise": "orphan",
    "scheintod": "apparent death, seemingly dead",
    "boese stiefmutter": "wicked stepmother", "vergewaltigung": "rape",
    "weglaufen": "running away from home", "bei der arbeit": "at work",
    "allegorie": "allegory, allegorical",
    "betrogener ehemann": "deceived husband, cheated", "freundschaft": "friendship",
    "eifersucht": "jealousy, jealous", "minderjaehrige": "minor", "gnade": "mercy",
    "heimkehr": "homecoming, coming home", "befreiung": "liberation, set free", "magie": "magic",
    "ehebruch": "adultery", "ehegeloebnis": "betrothal", "verlorene unschuld": "lost innocence",
    "tier": "animal", "verleumdung": "slander", "verwuenschung": "curse", "wald": "forest",
    "nacht": "night", "morgen": "morning", "knecht": "farmhand", "hunger": "hunger",
    "verwechslung": "mistaken identity", "glueck": "happiness", "erotik": "eroticism",
    "geiz": "avarice", "rabenmutter": "cruel mother", "lebenslauf": "course of life",
    "berg": "mountain", "pilgerreise": "pilgrimage, pilgrims' journey", "tragisch": "tragic",
    "wiederfinden": "reunion, found again", "fuhrmann": "carter", "schneider": "tailor",
    "staendelied": "occupational song", "gesellenlied": "journeymen's song",
    "choral": "chorale", "curiosum": "curiosity", "totensage": "legend of the dead",
    "grabesstimme": "voice from the grave", "zaehlgeschichte": "counting story",
    "wettlied": "contest song, debate song, a dispute between two sides",
    "alpenlied": "Alpine song", "biblischer stoff": "biblical story, Bible story",
    "gesellschaftsspiel": "party game", "wunschlied": "wishing song",
    "liebeshandel": "love affair", "abgewiesener freier": "rejected suitor",
    "liebeskummer": "lovesickness", "nonnenklage": "nun's lament",
    "siebenjaehriger krieg": "Seven Years' War", "stimmungslied": "mood song",
    "mengjiangnue diao": "Meng Jiangnü tune", "molihua diao": "jasmine flower tune",
    "xiuhebao diao": "embroidered purse tune", "wugeng diao": "five watches of the night tune",
    "lianhualao": "lotus-flower beggars' song", "jiandianhua diao": "picking indigo flowers tune",
    "siji huahui": "flowers of the four seasons", "chang huahui": "singing of flowers",
    "funue shenghuo": "women's life", "shenghuo xiaochang": "song of daily life",
    "qiongfu duibi": "rich and poor", "dui hua": "flower dialogue song",
    "biaoda aiqing": "expressing love", "xin minge": "new folk song",
    "geming lishi minge": "revolutionary history folk song",
    "changgong suku": "farmhand's lament of bitterness and hardship",
    "zauberlied": "magic song", "barbara": "Saint Barbara", "ritterlied": "knight's song",
    "regenlied": "rain song", "bundeslied": "fraternity song", "bettlerlied": "beggar's song",
    "siebensprung": "Seven Jumps dance", "festtage": "feast days", "verlassenheit": "loneliness",
    "opfer": "sacrifice", "frauenraub": "abduction of a woman", "burlesk": "burlesque",
    "vertreibung": "expulsion", "mythologisch": "mythological, myth", "erpressung": "blackmail",
    "leiden": "suffering", "landleben": "country life", "hoffnung": "hope",
    "zufriedenheit": "contentment", "freimaurergesang": "Freemasons' song",
    "gesellschaftslied": "social song", "prinz eugen": "Prince Eugene",
    "tod koenigin louise": "death of Queen Louise", "pantomime": "pantomime", "wein": "wine",
    "schlaraffenland": "land of Cockaigne", "sankt martin": "Saint Martin",
    "invaliden": "invalid soldiers", "guckkastenlied": "peep-show song",
    "morgenlied": "morning song", "schmerz": "pain", "jagen": "hunting", "ehre": "honour",
    "verzierung": "ornament", "nebel": "fog", "beschwoerung": "incantation",
    "duichang": "antiphonal singing", "changgong ku": "farmhand's lament",
    "chanong shenghuo": "tea farmers' life", "nongtian cheshui shi chang": "waterwheel field song",
    "pashan diao": "mountain-climbing tune", "pingban diao": "flat-beat tune",
    "yinniusi diao": "silver button tune", "wujuzi": "five-line song",
    "dieduanqiao": "falling off the broken bridge",
    "cheshui haozi": "waterwheel chant", "dawo haozi": "tamping chant",
    "nongtian laodong chang": "field work song", "nongtian laodong shi chang": "field work song",
    # what a song is about, in the words people ask with (blind sets 1-2, now tune sets)
    "heiligenlied": "saint's song, a song about a saint", "maitanz": "May dance",
    "luegenlied": "song of lies and tall tales", "luegenmaerchen": "tall tale of lies",
    "suku": "telling of bitterness and hardship",
    "legende": "legend", "legendenlied": "legend song", "sage": "legend, old tale",
    "sagenlied": "legend song", "rittersage": "legend of knights",
    "raeubersage": "legend of robbers", "erzaehlendes volkslied": "tells a story",
    "erzaehlendes lied": "tells a story", "erzaehlende lieder": "tell a story",
    "fenstergang": "courting at her window", "fensterganglieder": "courting at her window",
    "fenstergangslied": "courting at her window", "fensterlied": "song at her window",
    "tiange": "field song of the rice paddies", "yangtiange": "rice-planting field song",
    "qiutiange": "autumn field song", "yueyawugeng diao": "five watches of the night tune",
    "kirmes": "village fair", "kirmeslied": "village fair song",
    "naowugeng": "five watches of the night", "shuangwugeng diao": "five watches of the night tune",
    "schwank": "funny tale", "spott": "mockery, teasing", "spottlied": "mocking, teasing song",
    "scherzlied": "joking, funny song", "lustige romanze": "funny romance",
    "morallied": "song with a moral lesson", "belehrung": "moral lesson",
    "ringelreihen": "children's ring dance",
    # the last label words of three or more pieces without English (docs/label_inventory.json)
    "hofelied": "court song", "banjiage": "bridesmaids' wedding song",
    "diaosheng": "diaosheng tune", "tiaojie jingli": "pacing the work",
    "yanxiqu": "theatre tune", "tuzuling": "Tu people's tune", "eheverdrua": "marital strife",
    "eheverdruss": "marital strife", "hanchuan": "land-boat dance",
    "huanghe wohao": "Yellow River tamping chant", "jiaomai": "street vendor's cry",
    "suizid": "suicide",
    "grundton liegt in der zweigestrichenen oktave": "tonic in the high octave",
    # games, rhymes, seasons and feasts a label names beside its genre (the inventory's words
    # of two or more pieces that had none)
    "spiel": "game", "spiellied": "game song, play song", "kinderspiel": "children's game",
    "tanzspiel": "dance game", "laufspiel": "running game, chasing game",
    "nachahmungsspiel": "imitation game, miming game", "suchspiel": "hide-and-seek game",
    "pfaenderspiel": "forfeits game", "vexierspiel": "trick game", "reimspiel": "rhyming game",
    "brueckenspiel": "bridge game", "wanderspiel": "walking game",
    "plumpsackspiel": "drop-the-handkerchief game", "musikantenspiel": "musicians' game",
    "schaukellied": "rocking song, swinging rhyme for a little child",
    "kniereiterlied": "knee-riding rhyme, dandling rhyme",
    "knierreiterlied": "knee-riding rhyme, dandling rhyme",
    "reiterlied": "riders' song", "deserteur": "deserter",
    "herbst": "autumn", "sommer": "summer", "winter": "winter",
    "streit zwischen sommer": "dispute between summer and winter",
    "streit zwischen wasser": "dispute between water and wine",
    "sommertagslied": "Summer's Day custom song", "fastnacht": "Shrovetide",
}  # fmt: skip

# English names of famous chorales, masses and hymns (regex over a title or notes, English).
TITLE_SYNONYMS: tuple[tuple[str, str], ...] = (
    (r"ein.? feste burg", "A Mighty Fortress Is Our God"),
    (r"o haupt voll blut", "O Sacred Head, Now Wounded"),
    (r"wachet auf", "Wake, Awake, for Night Is Flying (Sleepers, Wake)"),
    (r"jesu,? meine freude", "Jesus, My Joy"),
    (r"nun danket alle gott", "Now Thank We All Our God"),
    (r"wie sch(ö|oe)n leuchtet der morgenstern", "How Brightly Shines the Morning Star"),
    (r"vom himmel hoch", "From Heaven Above to Earth I Come"),
    (r"herzliebster jesu", "Ah, Holy Jesus"),
    (r"wer nur den lieben gott", "If You But Trust in God to Guide You"),
    (r"befiehl du deine wege", "Commit Thy Way to Jesus"),
    (r"jesu,? der du meine seele", "Jesus, Who Didst My Soul"),
    (r"lobe den herren", "Praise to the Lord, the Almighty"),
    (r"christ lag in todesbanden", "Christ Lay in Death's Bonds"),
    (r"papae marcelli", "Pope Marcellus Mass"),
    (r"de beata (mari(a|ae|e) )?virgin|beatae mariae virginis", "Mass of the Blessed Virgin Mary"),
    (r"pro defunctis|requiem", "Requiem Mass for the Dead"),
    (r"ave maria", "Hail Mary"),
    # tune-book spellings and abbreviations a user types in full
    (r"\bcotillon\b", "cotillion"),
    (r"\ballemand(a)?\b", "allemande"),
    (r"\bregt\b|\bregiment", "regiment regimental"),
    (r"stabat mater", "Sorrowful Mother"),
)


_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)
_PARTS = re.compile(r"\s*(?:[,;.:()\"]|\bund\b|\bbzw\b|/)\s*", re.IGNORECASE)
_JOIN = re.compile(r"\s*-\s*")


def fold(word: str) -> str:
    """Lower case, umlauts as Essen spells them ("ae"), accents dropped ("Nannü" -> "nannue")."""
    text = unicodedata.normalize("NFKD", word.translate(_UMLAUTS))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


def label_words(label: str) -> list[str]:
    """A genre label's words, compounds joined: "Staende -, Soldaten - Lied" ->
    ["staendelied", "soldatenlied"]; "Shange. Nannü qing" -> ["shange", "nannue qing"]."""
    parts = [p for p in _PARTS.split(label or "") if p and not set(p) <= {"?", " ", "-"}]
    words: list[str] = []
    for i, part in enumerate(parts):
        if re.search(r"-\s*$", part):  # "Soldaten -": borrows the next compound's tail
            tail = next((_tail(p) for p in parts[i + 1 :] if not p.rstrip().endswith("-")), "")
            part = part.rstrip(" -") + tail
        words.append(fold(_JOIN.sub("", part)).strip("?+ "))  # "Beischlaf ?" = doubtful
    return list(dict.fromkeys(w for w in words if w))


def _tail(part: str) -> str:
    """The shared tail of a compound: "Kriegs - Lied" -> "Lied", "Ehestandslied" -> "lied"."""
    if "-" in part:
        return _JOIN.split(part)[-1]
    found = re.search(r"(lied(?:er)?|sage|spiel|klage)$", part, re.IGNORECASE)
    return found.group(1) if found else ""
