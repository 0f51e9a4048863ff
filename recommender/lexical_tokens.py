"""Words of the lexical channel (``recommender.lexical``): folding, stemming, a query's words and
its phrases. Tokens are folded to ASCII lower case (Essen spells umlauts "ae", which ``_fold``
also produces) and stemmed by Snowball's English stemmer on both sides, with the exceptions
``_stem`` lists (German "-lied" compounds, short stems, "-liness"); a query drops English stop
words and the sources' other languages' function words (``recommender.stop_words``)."""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata

from recommender.stop_words import (  # not sklearn's: its import costs a torch
    ENGLISH_STOP_WORDS,
    FOREIGN_FUNCTION_WORDS,
)

MAX_STEMMED = 40  # letters: a longer "word" is a paste accident, kept whole (and cheap)
# nouns in the stop-word list that name what a song is about ("a May dance" is a Mai-Tanz,
# "The Mill", "Fire on the Mountain"): a query keeps them
CONTENT_WORDS = frozenset({"may", "fire", "mill", "cry", "bottom"})
# words that say nothing about which piece is wanted ("a song", "music for", "something")
# ("s" and "t": what is left of "nun's" and "don't": "a nun's lament" is no "Martyr's Lament")
QUERY_STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - CONTENT_WORDS) | {
    "music", "piece", "pieces", "something", "play", "want", "looking", "find", "like",
    "give", "tune", "melody", "sound", "sounds", "kind", "sort", "type", "s", "t",
}  # fmt: skip
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
)
_WORD = re.compile(r"[a-z0-9]+(?:/[0-9]+)?")
_SOURCE_WORD = re.compile(r"[^\W_]+(?:['’/][^\W_]+)*")  # a word as written: "Coventry's", "3/4"


def _fold(text: str) -> str:
    text = str(text).translate(_UMLAUTS)
    if text.isascii():  # NFKD leaves ASCII as is: most words skip the per-letter pass
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


_STEMMERS = threading.local()  # a snowball stemmer keeps state between calls: one per thread


@functools.lru_cache(maxsize=1 << 16)  # a `why` tokenises the same few thousand words again
def _stem(token: str) -> str:
    """Snowball's English stem ("seduced" and "seduces" -> "seduc", "lullabies" -> "lullabi");
    numbers and meters ("3/4") stay as they are; words of three letters or fewer are kept, so
    "was" and "has" never lose their "s" (the light plural rule this replaced kept them too),
    and so are words over ``MAX_STEMMED`` letters."""
    if len(token) <= 3 or len(token) > MAX_STEMMED or not token.isalpha():
        return token
    if token in _STEM_FIXES:
        return _STEM_FIXES[token]
    if _german_song(token):  # "Kiltlied" is no "kilt", "Weinlied" no "weine": kept whole
        return token[:-2] if token.endswith("lieder") else token
    if token.endswith("liness"):  # "loneliness" = "lonely" (Snowball: "loneli" / "lone")
        token = token[:-5] + "y"
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    stem = stemmer.stemWord(token)
    if len(stem) < 4:  # a short stem is a short word of the sources' other tongues ("dying" ->
        return _singular(token)  # "die" is German's "the"): only a plural's "s" goes ("jigs")
    # a derivation Snowball leaves apart: "seduction" (seduct) = "seduced" (seduc). Snowball's
    # "-ic" stays: cutting it met "classical" (classic) with "class" ("canonic" = "canon" and
    # "Dominic" = "Domine" are Snowball's own)
    if len(stem) > 4 and stem.endswith("ct"):
        return stem[:-1]
    return stem


# Snowball stems that meet a word of another meaning or miss their own: the saint "Dominic" is
# no Latin "Domine" (both "domin"), "biblical" (biblic) is "Bible" (bibl)
_STEM_FIXES = {"dominic": "dominic", "dominics": "dominic", "biblical": "bibl"}


def _german_song(token: str) -> bool:
    """A German compound on "-lied(er)" ("kinderlied", "tagelieder", "spiellied"), not an English
    past tense ("applied", "rallied"): Snowball's English rules cut it to its first word
    ("kiltlied" -> "kilt")."""
    base = token[:-2] if token.endswith("lieder") else token
    return len(base) >= 7 and base.endswith("lied") and base not in _ENGLISH_LIED


# every English word on "-lied" of seven letters or more (past tenses of verbs on "-ly")
_ENGLISH_LIED = frozenset(
    """applied reapplied misapplied replied implied complied supplied multiplied rallied
    bullied sullied tallied dallied jellied unallied unsullied""".split()  # noqa: SIM905
)


def _singular(token: str) -> str:
    """The light plural rule: "jigs" -> "jig", "weddings" -> "wedding", "ladies" -> "lady"."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# the foreign function words as the query's tokens spell them (stemmed: "meine" -> "mein")
QUERY_STOP_WORDS |= FOREIGN_FUNCTION_WORDS | {_stem(w) for w in FOREIGN_FUNCTION_WORDS}


def tokens(text: str) -> list[str]:
    """Folded, stemmed word tokens ("Lullabies in 3/4" -> ["lullaby", "in", "3/4"])."""
    return [_stem(t) for t in _WORD.findall(_fold(text))]


def _content_tokens(text: str) -> list[str]:
    """Stemmed tokens less stop words, each read as typed and as stemmed: "something" stems to
    "someth" and "melody" to "melodi", which no stop word spells; checking the stem alone kept 75
    of the list's words as topics ("looking for something" found "LOOK BEFORE YOU!")."""
    out = []
    for word in _WORD.findall(_fold(text)):
        stem = _stem(word)
        if word not in QUERY_STOP_WORDS and stem not in QUERY_STOP_WORDS:
            out.append(stem)
    return out


def query_tokens(text: str) -> list[str]:
    """Tokens of a query, stop words dropped, each once."""
    return list(dict.fromkeys(_content_tokens(text)))


def word_pairs(text: str) -> list[str]:
    """Neighbouring tokens once stop words are dropped ("the mass O Rex gloriae" -> "mass o",
    "o rex", "rex gloriae"): a query's phrases, and what a field must have to match them."""
    kept = _content_tokens(text)
    return list(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(kept)))
