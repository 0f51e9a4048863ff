"""English genre words for Essen's Chinese song labels, read by their pinyin parts.

Essen labels its Chinese songs in toneless pinyin, with or without spaces ("Shange", "Shan ge",
"Muniu shange", "Gutianshange"), and most label phrases occur in one or two pieces, so a
table of whole phrases never covers them. Here a label is cut into syllables (``syllables``)
and known genre words are found as runs of syllables (``GENRE_PARTS``: shan+ge = mountain song,
hao+zi = work chant), wherever they stand in a compound; other known words give themes
(``THEME_PARTS``: si+ji = the four seasons). The original label is always kept beside them
(``cantus.metadata``).

Cutting: written pinyin puts an apostrophe before a syllable that starts with a vowel inside a
word (Xi'an), and Essen drops it, so the cut with the fewest vowel-initial inner syllables wins,
then the one with the fewest syllables ("shange" = shan+ge, never shang+e; "xian" = xian).
A word that is no pinyin at all (German, a typo) is left to the German patterns.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Every toneless pinyin syllable (ü written "v", "u" after j/q/x/y, or "ue" as Essen folds it).
_INITIAL_FINALS = {
    "": "a ai an ang ao e ei en eng er o ou",
    "b": "a ai an ang ao ei en eng i ian iao ie in ing o u",
    "p": "a ai an ang ao ei en eng i ian iao ie in ing o ou u",
    "m": "a ai an ang ao e ei en eng i ian iao ie in ing iu o ou u",
    "f": "a an ang ei en eng o ou u",
    "d": "a ai an ang ao e ei en eng i ian iao ie ing iu ong ou u uan ui un uo",
    "t": "a ai an ang ao e eng i ian iao ie ing ong ou u uan ui un uo",
    "n": "a ai an ang ao e ei en eng i ian iang iao ie in ing iu ong ou u uan uo v ve ue",
    "l": "a ai an ang ao e ei eng i ia ian iang iao ie in ing iu o ong ou u uan un uo v ve ue",
    "g": "a ai an ang ao e ei en eng ong ou u ua uai uan uang ui un uo",
    "k": "a ai an ang ao e en eng ong ou u ua uai uan uang ui un uo",
    "h": "a ai an ang ao e ei en eng ong ou u ua uai uan uang ui un uo",
    "j": "i ia ian iang iao ie in ing iong iu u uan ue un",
    "q": "i ia ian iang iao ie in ing iong iu u uan ue un",
    "x": "i ia ian iang iao ie in ing iong iu u uan ue un",
    "zh": "a ai an ang ao e ei en eng i ong ou u ua uai uan uang ui un uo",
    "ch": "a ai an ang ao e en eng i ong ou u ua uai uan uang ui un uo",
    "sh": "a ai an ang ao e ei en eng i ou u ua uai uan uang ui un uo",
    "r": "an ang ao e en eng i ong ou u ua uan ui un uo",
    "z": "a ai an ang ao e ei en eng i ong ou u uan ui un uo",
    "c": "a ai an ang ao e en eng i ong ou u uan ui un uo",
    "s": "a ai an ang ao e en eng i ong ou u uan ui un uo",
    "y": "a an ang ao e i in ing o ong ou u uan ue un",
    "w": "a ai an ang ei en eng o u",
}
SYLLABLES = frozenset(i + f for i, finals in _INITIAL_FINALS.items() for f in finals.split())
_LONGEST = max(map(len, SYLLABLES))

# Runs of syllables that name a song type -> English genre words (``cantus.label_words``
# GENRE_SYNONYMS gives each its other names). Checked against every Chinese label of the
# Essen collection (``python -m cantus.label_inventory --chinese``); longer runs first where
# they say more than their parts (chuan+fu+hao+zi is a boatmen's chant, not only a chant).
GENRE_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("xiao diao", ("xiaodiao",)), ("shi diao", ("xiaodiao",)), ("xiao qu", ("xiaodiao",)),
    ("shan ge", ("shan'ge",)), ("shan qu", ("shan'ge",)), ("xin tian you", ("shan'ge",)),
    ("hua er", ("hua'er",)),  # "Huar" and "hua'r" are no plain pinyin: cantus.label_words
    ("chuan fu", ("boatmen's chant", "work chant")), ("chuan gong", ("boatmen's chant",)),
    ("chuan hao zi", ("boatmen's chant", "work chant")),
    ("xing chuan", ("boatmen's chant",)), ("long chuan", ("boat song",)),
    ("han chuan", ("land-boat dance", "dance song")), ("cai lian chuan", ("land-boat dance",)),
    ("hao zi", ("work chant", "work song")), ("hao yang", ("work chant",)),
    ("wo hao", ("work chant",)), ("da hang", ("work chant",)), ("da wo", ("work chant",)),
    ("tai mu", ("work chant",)), ("lao dong", ("work song",)), ("hao cao", ("weeding song",)),
    ("che cao", ("weeding song",)), ("che shui ge", ("work song",)), ("zao fang", ("work song",)),
    ("zhu di", ("work song",)), ("xiu di", ("work song",)), ("xian shui ge", ("fishermen's song",)),
    ("zhu ma", ("dance song",)), ("gao qiao", ("dance song",)), ("ba wang bian", ("dance song",)),
    ("tian ge", ("field song", "work song")), ("yang tian", ("field song",)),
    ("cha yang", ("field song",)),
    ("nong tian", ("field song",)), ("chun geng", ("field song", "spring song")),
    ("cai cha", ("tea-picking song",)), ("cha ge", ("tea-picking song",)),
    ("cha shan", ("tea-picking song",)),
    ("yang ge", ("yangge", "dance song")), ("wu ge", ("dance song",)), ("ge wu", ("dance song",)),
    ("hua gu", ("flower drum song",)), ("hua deng", ("flower lantern song", "lantern song")),
    ("deng diao", ("lantern song",)), ("deng ge", ("lantern song",)),
    ("guan deng", ("lantern song",)), ("er ren tai", ("errentai",)),
    ("e ren tai", ("errentai",)),
    ("yao lan", ("lullaby",)), ("cui mian", ("lullaby",)), ("yao er ge", ("lullaby",)),
    ("hong hai zi", ("lullaby",)), ("shui jiao", ("lullaby",)),
    ("fu nue ku", ("lament",)), ("chang gong ku", ("lament",)), ("qiong ren ku", ("lament",)),
    ("ku ge", ("lament",)), ("ku diao", ("lament",)), ("ku jia", ("lament", "wedding song")),
    ("ku qi", ("lament",)), ("su ku", ("lament",)),
    ("qing ge", ("love song",)), ("ai qing", ("love song",)), ("nan nue", ("love song",)),
    ("nan nu qing", ("love song",)), ("si qing", ("love song",)),
    ("er ge", ("children's song",)), ("tong yao", ("children's song",)),
    ("ke jia", ("Hakka song",)),
    ("mu ge", ("shepherd's song",)), ("mu niu", ("shepherd's song",)),
    ("fang niu", ("shepherd's song",)), ("mu yang", ("shepherd's song",)),
    ("fang yang", ("shepherd's song",)), ("mu ma", ("shepherd's song",)),
    ("mu tong", ("shepherd's song",)),
    ("yue ge", ("fishermen's song",)),  # "Yüge" as label_words folds it ("yue" + "ge")
    ("yu ge", ("fishermen's song",)), ("yu min", ("fishermen's song",)),
    ("bu yu", ("fishermen's song",)), ("yu qun", ("fishermen's song",)),
    ("hun jia", ("wedding song",)), ("chu jia", ("wedding song",)),
    ("hun yan", ("wedding song",)), ("ban jia", ("wedding song",)),
    ("song jia", ("wedding song",)),
    ("bai nian", ("New Year song",)), ("chun you", ("spring song",)),
    ("you chun", ("spring song",)), ("chun diao", ("spring song",)),
    ("chun jing", ("spring song",)), ("chun lai", ("spring song",)),
    ("si ji", ("seasonal song",)), ("shi er yue", ("seasonal song",)),
    ("yin jiu", ("drinking song",)), ("jiu ling", ("drinking song",)),
    ("bei jiu", ("drinking song",)),
    ("dui chang", ("antiphonal song",)), ("dui ge", ("antiphonal song",)),
    ("dui hua", ("antiphonal song",)),
    ("gu shi", ("narrative song",)), ("chuan shuo", ("narrative song",)),
    ("xu shi", ("narrative song",)), ("shuo chang", ("narrative song",)),
    ("li shi", ("historical song",)), ("ge ming", ("revolutionary song",)),
    ("feng su", ("custom song",)), ("fen su", ("custom song",)), ("she huo", ("custom song",)),
    ("miao hui", ("feast-day song",)), ("lian hua lao", ("beggars' song",)),
    ("jiao mai", ("street cry",)), ("xi qu", ("opera tune",)), ("mei xi", ("opera tune",)),
    ("zai xi", ("opera tune",)), ("xin min ge", ("new folk song",)),
    ("xin ming ge", ("new folk song",)),
)  # fmt: skip

# Runs of syllables that name what a song is about -> English (searchable, never a form).
THEME_PARTS: dict[str, str] = {
    "si ji": "four seasons", "shi er yue": "twelve months", "wu geng": "five watches of the night",
    "fu nue": "women", "fu nv": "women", "gu niang": "girl", "chang gong": "hired farmhand",
    "sheng huo": "daily life", "lao dong": "labour", "nong tian": "farm fields",
    "mian hua": "cotton", "hua hui": "flowers", "xiu hua": "embroidery", "he bao": "purse",
    "mo li hua": "jasmine flower", "meng jiang nue": "Meng Jiangnü", "qiong ren": "the poor",
    "qiong fu": "rich and poor", "ai qing": "love", "si xiang": "longing",
    "gu shi": "story", "chuan shuo": "legend", "li shi": "history", "ge ming": "revolution",
"chu jia": "a bride leaving home", "yu min": "fishermen",
    "cha nong": "tea farmers", "shu zhuang": "dressing up", "che shui": "waterwheel",
    "da wo": "tamping", "tiao dan": "carrying pole", "sen lin": "forest",
    "mei kuang": "coal mine", "bai nian": "New Year greetings", "chun you": "spring outing",
    "yuan xiao": "Lantern Festival", "duan wu": "Dragon Boat Festival", "yu le": "amusement",
    "huang he": "Yellow River", "feng jing": "scenery", "hua niao": "flowers and birds",
    "ma cai zhu": "cursing the landlord", "di zhu": "landlord",
    # jiu alone is nine (jiu lian huan) or old (jiu qu) as often as wine: only its compounds
    "yin jiu": "drinking wine", "bei jiu": "cups of wine", "jiu ling": "drinking game",
    "jiu lian": "nine linked",
    "su ku": "telling of bitterness", "ji mo": "loneliness", "feng zheng": "kite",
    "tong yi dong zuo": "keeping in step", "tong yi bu fa": "keeping in step",
    "kai hua": "blossoming flowers", "lian hua": "lotus flower", "ma tou": "wharf",
    "xi gua": "watermelon", "ying tao": "cherries", "zhu ma": "bamboo horse",
    "gao qiao": "stilts", "cai hua": "picking flowers", "cai lian": "picking lotus",
    "min jian": "folk", "niu lang": "cowherd", "zhi nue": "weaver girl",
    # people, armies and events the songs of the revolution name (titles and labels)
    "mao zhu xi": "Chairman Mao", "mao ze dong": "Chairman Mao Zedong",
    "hong tai yang": "the red sun (Chairman Mao)", "gong chan dang": "Communist Party",
    "ba lu jun": "Eighth Route Army", "xin si jun": "New Fourth Army", "hong jun": "Red Army",
    "jie fang jun": "People's Liberation Army", "fan shen": "fanshen, land reform, liberation",
    "tu gai": "land reform", "jie fang": "liberation",
    # things and scenes
    "bian dan": "carrying pole", "mu dan": "peony",
    "long chuan": "dragon boat", "song lang": "seeing a sweetheart off", "song bie": "farewell",
    "huang mei": "Huangmei", "yue liang": "moon", "hu die": "butterfly",
}  # fmt: skip


def _spellings(part: str) -> list[tuple[str, ...]]:
    """A part's syllables as Essen folds ü ("nue") and as ``fold`` here writes it ("nv")."""
    written = tuple(part.split())
    other = tuple(re.sub(r"^([nl])ue$", r"\1v", s) for s in written)
    return list(dict.fromkeys([written, other]))


_PART_RUNS = tuple((run, g) for p, g in GENRE_PARTS for run in _spellings(p))
_THEME_RUNS = tuple((run, e) for p, e in THEME_PARTS.items() for run in _spellings(p))
_WORD = re.compile(r"[a-z']+")


def fold(text: str) -> str:
    """Lower case, ü as "v" (so "Yüge" = yu+ge, not yue+ge), other accents dropped; one
    character for one, so positions in the folded text are positions in ``text``."""
    out = []
    for char in text:
        low = char.lower()  # "İ".lower() is two characters: keep the first
        low = low[:1] if low else char
        if low == "ü":
            out.append("v")
        else:
            base = unicodedata.normalize("NFKD", low)[:1]
            out.append(base if base.isascii() else low)
    return "".join(out)


def pinyin_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every word of a folded label that is pinyin."""
    return [m.span() for m in _WORD.finditer(text) if syllables(m.group()) is not None]


@functools.lru_cache(maxsize=8192)
def syllables(word: str) -> tuple[str, ...] | None:
    """The pinyin syllables of one folded word ("muniushange" -> mu niu shan ge), or None
    when it is no pinyin (see module doc for how a cut is chosen)."""
    word = re.sub(r"(?<=[jqxy])v", "u", word.replace("'", "").replace("ü", "v"))
    if not word or not word.isascii() or not word.isalpha() or len(word) > 40:
        return None
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (len(word) + 1)
    best[0] = (0, 0, ())
    for start in range(len(word)):
        here = best[start]
        if here is None:
            continue
        for end in range(start + 1, min(len(word), start + _LONGEST) + 1):
            piece = word[start:end]
            if piece not in SYLLABLES:
                continue
            inner_vowel = int(start > 0 and piece[0] in "aeo")
            cand = (here[0] + inner_vowel, here[1] + 1, (*here[2], piece))
            if best[end] is None or cand[:2] < best[end][:2]:  # type: ignore[index]
                best[end] = cand
    found = best[len(word)]
    return found[2] if found is not None else None


def label_syllables(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(where in ``text``, syllables) of each run of pinyin words in a folded label: spaced
    and joined spellings read alike ("shan ge" = "shange"); punctuation or a word that is no
    pinyin ends a run ("Xiaodiao, Wuge" is two)."""
    return [(start, run) for start, run, _ in _word_runs(text)]


def _word_runs(text: str) -> list[tuple[int, tuple[str, ...], tuple[int, ...]]]:
    """``label_syllables`` with, per syllable, the index of the written word it is in."""
    runs: list[tuple[int, tuple[str, ...], tuple[int, ...]]] = []
    start, current, words, last_end = -1, (), (), 0
    for n, match in enumerate(_WORD.finditer(text)):
        cut = syllables(match.group())
        joined = current and not text[last_end : match.start()].strip()
        if current and (cut is None or not joined):
            runs.append((start, current, words))
            current, words = (), ()
        if cut is not None:
            start = match.start() if not current else start
            current, words = (*current, *cut), (*words, *(n,) * len(cut))
        last_end = match.end()
    if current:
        runs.append((start, current, words))
    return runs


def _find(run: tuple[str, ...], part: tuple[str, ...], words: tuple[int, ...] | None = None) -> int:
    """Index of ``part`` as a contiguous run of ``run``; -1 when absent. With ``words`` (each
    syllable's written word), a part across words must end where a word ends, as a compound's
    kind ends it ("Madeng diao": deng diao), so "Huang meigui" is no Huangmei."""
    n = len(part)
    for i in range(len(run) - n + 1):
        if run[i : i + n] != part:
            continue
        if words is None or words[i] == words[i + n - 1] or i + n == len(run):
            return i
        if words[i + n] != words[i + n - 1]:
            return i
    return -1


def pinyin_genres(text: str) -> list[tuple[tuple[int, int], str]]:
    """((position, rank), English genre) for every genre word a folded label names in pinyin:
    runs in label order; within a run the part that ends last first, since a Chinese compound
    names its kind last ("muniu shange", a herding mountain song, is a mountain song first)."""
    found = []
    for where, run in label_syllables(text):
        for part, genres in _PART_RUNS:
            at = _find(run, part)
            if at >= 0:
                found += [((where, -(at + len(part))), g) for g in genres]
    return found


def pinyin_themes(text: str, title: bool = False) -> list[str]:
    """English for the themes a folded label names in pinyin ("siji huahui" -> "four
    seasons", "flowers"), each once, in the label's order. A ``title`` (a song's first words,
    not an editor's label) reads a part across words only where it ends a word: "Hong junzi"
    (a red gentleman) names no Red Army, "Zhouzongli shicha" no history."""
    found = []
    for _, run, words in _word_runs(text):
        hits = [(_find(run, p, words if title else None), e) for p, e in _THEME_RUNS]
        found += [e for at, e in sorted(h for h in hits if h[0] >= 0)]
    return list(dict.fromkeys(found))
