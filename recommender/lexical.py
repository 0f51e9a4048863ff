"""The lexical channel: BM25 over every word the sources carry, as one sparse matrix.

Each piece's document is its title, composer, collection (short and long name), origin, form,
genre words (English, with their synonyms such as "cradle song"), the source's own label
("Kinder -, Wiegen - Lied") with the English of the themes it names ("Mord" = murder), region,
notes, lyrics, meter and key (in words: "B-flat major"); titles and notes also carry the English
names of famous chorales and masses ("Ein feste Burg" = "A Mighty Fortress Is Our God") and
a chorale's feast (``cantus.chorale_seasons``: "Christ lag in Todesbanden" = Easter). A
form the catalog only guessed from the meter (an unlabelled 9/8 tune taken for a slip jig) is
left to the facets. A query's BM25 score is a sum of precomputed per-(piece, term) weights,
so scoring the whole catalog is one sparse column slice (well under a millisecond for 15k
pieces), and ``matches`` says which query words hit which field, for the ``why`` of a result.

Tokens are folded to ASCII lower case ("Jäger" = "jaeger" = "jager" is not attempted; Essen
spells umlauts as "ae"/"oe"/"ue", which ``_fold`` also produces), and a light plural rule
maps "lullabies" to "lullaby" and "jigs" to "jig".
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.caption_evidence import key_name
from cantus.chorale_seasons import SEASONS, chorale_seasons
from cantus.forms import COLLECTION_FORMS, meter_only_form
from cantus.label_words import GENRE_SYNONYMS, THEME_WORDS, TITLE_SYNONYMS
from cantus.metadata import label_themes, region_adjectives, title_english
from recommender.stop_words import ENGLISH_STOP_WORDS  # not sklearn's: its import costs a torch

if TYPE_CHECKING:  # scipy is imported where a matrix is made: `inspire` never makes one
    from scipy import sparse

FEAST = "feast"  # not a catalog column: a chorale's feast, read from its title
MIN_SPLIT = 3  # letters of each part when a query word is read as two source words
VERSION = "11"  # bump when tokens, fields or weights change: cached indexes are rebuilt
# (field label shown in `why`, catalog columns); order = order of labels in `why`
FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("title", ("title",)),
    ("feast", (FEAST,)),
    ("genre", ("genre", "genre_original", "form")),
    ("region", ("region", "origin")),
    ("composer", ("composer",)),
    ("collection", ("collection",)),
    ("notes", ("notes",)),
    ("lyrics", ("lyrics",)),
    ("meter", ("meter",)),
    ("key", ("key",)),
)
# where a phrase counts: text the source wrote, not the English words the catalog adds (a
# "folk song" form is what an Essen song without a genre label keeps)
PAIR_COLUMNS = ("title", "genre_original", "notes", "lyrics")
# nouns in the stop-word list that name what a song is about ("a May dance" is a Mai-Tanz,
# "The Mill", "Fire on the Mountain"): a query keeps them
CONTENT_WORDS = frozenset({"may", "fire", "mill", "cry", "bottom"})
# words that say nothing about which piece is wanted ("a song", "music for", "something")
QUERY_STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - CONTENT_WORDS) | {
    "music", "piece", "pieces", "something", "play", "want", "looking", "find", "like",
    "give", "tune", "melody", "sound", "sounds", "kind", "sort", "type",
}  # fmt: skip
_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"}
)
_WORD = re.compile(r"[a-z0-9]+(?:/[0-9]+)?")
_SOURCE_WORD = re.compile(r"[^\W_]+(?:['’/][^\W_]+)*")  # a word as written: "Coventry's", "3/4"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).translate(_UMLAUTS))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Folded, stemmed word tokens ("Lullabies in 3/4" -> ["lullaby", "in", "3/4"])."""
    return [_stem(t) for t in _WORD.findall(_fold(text))]


def query_tokens(text: str) -> list[str]:
    """Tokens of a query, stop words dropped, each once."""
    return list(dict.fromkeys(t for t in tokens(text) if t not in QUERY_STOP_WORDS))


def word_pairs(text: str) -> list[str]:
    """Neighbouring tokens once stop words are dropped ("the mass O Rex gloriae" -> "mass o",
    "o rex", "rex gloriae"): a query's phrases, and what a field must have to match them."""
    kept = [t for t in tokens(text) if t not in QUERY_STOP_WORDS]
    return list(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(kept)))


def source_words(text: str, terms: Sequence[str]) -> list[str]:
    """The words of ``text`` whose tokens are among ``terms``, spelled as ``text`` spells them,
    each once, in text order; a term no single word yields (folding split it) is added as is."""
    wanted, out, seen = set(terms), [], set()
    for word in _SOURCE_WORD.findall(text):
        folded = tokens(word)
        if wanted.intersection(folded) and tuple(folded) not in seen:
            seen.add(tuple(folded))
            out.append(word)
    covered = {t for key in seen for t in key}
    return out + [t for t in terms if t not in covered]


def _field_text(record: dict[str, Any], columns: Sequence[str], names: dict[str, str]) -> str:
    parts = []
    for column in columns:
        value = str(record.get(column) or "")
        if column in ("genre", "form") and value and value == _guessed_form(record):
            continue  # the facets weigh a form guessed from the meter; this channel reads words
        if column == "genre":  # every English name of each genre, e.g. "cradle song"
            value = " ".join(n for g in value.split(", ") if g for n in GENRE_SYNONYMS.get(g, (g,)))
        elif column == "form":  # an Essen lullaby is still a folk song: "... folk song" finds it
            kind = COLLECTION_FORMS.get(str(record.get("collection") or ""), "")
            value = " ".join(dict.fromkeys(v for v in (value, kind) if v))
        elif column == "genre_original":  # "Ballade, Mord" also says "murder"
            value = " ".join([value, *label_themes(value)])
        elif column == FEAST:  # a hymn's feast, from its title (`why` says "feast", not "title")
            value = " ".join(chorale_seasons(str(record.get("title") or "")))
        elif column in ("title", "notes"):  # "Ein feste Burg" is "A Mighty Fortress"
            value = " ".join([value, *title_english(value)])
        elif column == "region":  # "Switzerland" is also "Swiss"
            value = " ".join([value, *region_adjectives(value)])
        elif column == "collection":
            value = f"{value} {names.get(value, '')}"
        elif column == "key":  # "B- major" is typed "B flat major"
            value = key_name({"key": value})
        parts.append(value)
    return " ".join(parts)


def _guessed_form(record: dict[str, Any]) -> str:
    """The form the catalog guessed from the meter alone (``cantus.forms.meter_only_form``)."""
    return meter_only_form(
        str(record.get("title") or ""),
        str(record.get("collection") or ""),
        str(record.get("meter") or ""),
        str(record.get("source") or ""),
        str(record.get("genre_original") or ""),
    )


def _title_matrix(records: list[dict[str, Any]], vocabulary: dict[str, int]) -> sparse.csc_matrix:
    """(N, V) 1 where a term is a word of the piece's title."""
    from scipy import sparse

    rows, cols = [], []
    for i, record in enumerate(records):
        for term in set(tokens(str(record.get("title") or ""))):
            rows.append(i)
            cols.append(vocabulary[term])
    data = np.ones(len(rows), np.float32)
    return sparse.csc_matrix((data, (rows, cols)), shape=(len(records), len(vocabulary)))


def _pair_matrix(records: list[dict[str, Any]]) -> tuple[sparse.csc_matrix, dict[str, int]]:
    """(N, P) 1 where a piece has a word pair (``word_pairs``) within one of the
    ``PAIR_COLUMNS``; the pairs."""
    from scipy import sparse

    pairs: dict[str, int] = {}
    rows, cols = [], []
    for i, record in enumerate(records):
        found = {p for c in PAIR_COLUMNS for p in word_pairs(str(record.get(c) or ""))}
        for pair in found:
            rows.append(i)
            cols.append(pairs.setdefault(pair, len(pairs)))
    data = np.ones(len(rows), np.float32)
    return sparse.csc_matrix((data, (rows, cols)), shape=(len(records), len(pairs))), pairs


def _idf(columns: sparse.csc_matrix) -> np.ndarray:
    """BM25's idf of each column (pieces having the term or pair)."""
    df = np.diff(columns.indptr).astype(np.float64)
    return np.log1p((columns.shape[0] - df + 0.5) / (df + 0.5))


def _share(has: sparse.csc_matrix, idf: np.ndarray) -> np.ndarray:
    """Idf-weighted share of the query terms (columns of ``has``, 0/1) each piece has."""
    return np.asarray((has > 0).astype(np.float64) @ idf).ravel() / max(float(idf.sum()), 1e-12)


@dataclass
class LexicalIndex:
    """BM25 weights and title-word indicators (both N pieces x V terms, CSC), vocabulary, and
    the word pairs each piece's fields have (N x P, CSC) with their own vocabulary."""

    weights: sparse.csc_matrix
    vocabulary: dict[str, int]
    collection_names: dict[str, str]
    titles: sparse.csc_matrix
    pairs: sparse.csc_matrix
    pair_vocabulary: dict[str, int]

    @classmethod
    def build(
        cls,
        records: Iterable[dict[str, Any]],
        collection_names: dict[str, str] | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> LexicalIndex:
        from scipy import sparse

        names = collection_names or {}
        records = list(records)
        docs: list[list[str]] = []
        for record in records:
            per_field = [tokens(_field_text(record, cols, names)) for _, cols in FIELDS]
            docs.append([t for ts in per_field for t in ts])
        vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for i, doc in enumerate(docs):
            for term, n in Counter(doc).items():
                rows.append(i)
                cols.append(vocabulary.setdefault(term, len(vocabulary)))
                counts.append(n)
        n_docs = max(len(docs), 1)
        tf = sparse.csr_matrix(
            (np.asarray(counts, np.float32), (rows, cols)), shape=(len(docs), len(vocabulary))
        )
        lengths = np.array([len(d) for d in docs], np.float32)
        avg = float(lengths.mean()) if len(docs) else 1.0
        df = np.bincount(cols, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))  # (N,)
        tf = tf.tocoo()
        data = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        weights = sparse.csc_matrix((data, (tf.row, tf.col)), shape=tf.shape)
        return cls(
            weights, vocabulary, names, _title_matrix(records, vocabulary),
            *_pair_matrix(records),
        )  # fmt: skip

    def scores(
        self, query: str, coverage: float = 0.0, title: float = 0.0, phrase: float = 0.0
    ) -> tuple[np.ndarray, list[str]]:
        """Lexical score of every piece (N,) and the query terms the catalog knows: BM25 scaled
        to 0..1 by the best piece, mixed with share ``coverage`` of the idf-weighted share of
        those terms the piece has (a piece with every rare query word is never drowned by one
        that repeats a common word), plus ``title`` x the same share among its title's words
        (a query that names a title finds it), plus ``phrase`` x :meth:`phrase_share`."""
        query = self.with_split_words(query)
        terms = [t for t in query_tokens(query) if t in self.vocabulary]
        if not terms:
            return np.zeros(self.weights.shape[0], np.float32), []
        cols = [self.vocabulary[t] for t in terms]
        columns = self.weights[:, cols]
        scores = normalise(np.asarray(columns.sum(axis=1)).ravel())
        if coverage <= 0 and title <= 0 and phrase <= 0:
            return scores, terms
        idf = _idf(columns)  # (T,)
        if coverage > 0:
            scores = (1 - coverage) * scores + coverage * _share(columns, idf)
        if title > 0:
            scores = scores + title * _share(self.titles[:, cols], idf)
        if phrase > 0:
            scores = scores + phrase * self.phrase_share(query, float(idf.sum()))
        return scores, terms

    def with_split_words(self, query: str) -> str:
        """``query`` plus the two words each of its words joins where the sources write them
        side by side ("walkaround" -> "... walk around": the minstrel books' "Walk Around"),
        when more pieces have the pair than the joined word (so "natural" never becomes the
        OCR fragment "nat ural"); parts of three letters or more."""
        found = []
        for token in query_tokens(query):
            joined = _pieces(self.weights, self.vocabulary.get(token))
            for i in range(MIN_SPLIT, len(token) - MIN_SPLIT + 1):
                if self._pieces_split(token[:i], _stem(token[i:])) > joined:
                    found.append(f"{token[:i]} {token[i:]}")
                    break
        return " ".join([query, *found]) if found else query

    def _pieces_split(self, first: str, second: str) -> int:
        """Pieces with the words side by side; where one is a stop word (pairs skip those:
        "Walk Around"), pieces whose title has both words (anywhere in a piece, German "mit"
        beside any "her" would read "hermit" as "her mit")."""
        stops = [w in QUERY_STOP_WORDS for w in (first, second)]
        if all(stops):
            return 0
        if any(stops):
            cols = [self.vocabulary.get(w) for w in (first, second)]
            if None in cols:
                return 0
            both = self.titles[:, cols[0]].multiply(self.titles[:, cols[1]])
            return int(both.getnnz())
        return _pieces(self.pairs, self.pair_vocabulary.get(f"{first} {second}"))

    def phrase_share(self, query: str, words_idf: float) -> np.ndarray:
        """Idf of the query's word pairs a piece has side by side in one field, over
        ``words_idf`` (the idf of the query's words), at most 1: "O Rex gloriae" in a mass's
        name outweighs "Rex" in one title and "O" in another, and a pair as common as "folk
        song" weighs little beside a query's rare words."""
        known = [self.pair_vocabulary[p] for p in word_pairs(query) if p in self.pair_vocabulary]
        if not known or words_idf <= 0:
            return np.zeros(self.pairs.shape[0])
        columns = self.pairs[:, known]
        found = np.asarray(columns @ _idf(columns)).ravel()
        return np.minimum(found / words_idf, 1.0)

    def matches(self, record: dict[str, Any], terms: Sequence[str]) -> list[tuple[str, list[str]]]:
        """``[(field label, the field's words that matched, as the source spells them)]`` for
        one piece, field order ("Herzens" for the query term "herzen")."""
        out = []
        for label, columns in FIELDS:
            text = _field_text(record, columns, self.collection_names)
            have = set(tokens(text))  # once per field, not once per term
            found = [t for t in terms if t in have]
            if found:
                out.append((label, source_words(text, found)))
        return out

    def save(self, path: Path, key: str) -> None:
        """Write the index (one .npz) for :meth:`load` with the same ``key``."""
        w, titles, pairs = self.weights, self.titles, self.pairs
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            tmp,
            data=w.data,
            indices=w.indices,
            indptr=w.indptr,
            shape=np.array(w.shape),
            title_indices=titles.indices,
            title_indptr=titles.indptr,
            pair_indices=pairs.indices,
            pair_indptr=pairs.indptr,
            meta=np.array(
                json.dumps(
                    [key, list(self.vocabulary), self.collection_names, list(self.pair_vocabulary)]
                )
            ),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, key: str) -> LexicalIndex | None:
        """The index saved under ``key`` at ``path``; None when absent or for other data."""
        from scipy import sparse

        if not path.is_file():
            return None
        with np.load(path) as z:
            saved_key, vocab, names, pair_vocab = json.loads(str(z["meta"]))
            if saved_key != key:
                return None
            shape = tuple(z["shape"])
            weights = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
            titles = _ones(z["title_indices"], z["title_indptr"], shape)
            pairs = _ones(z["pair_indices"], z["pair_indptr"], (shape[0], len(pair_vocab)))
        return cls(
            weights, {t: i for i, t in enumerate(vocab)}, names, titles,
            pairs, {p: i for i, p in enumerate(pair_vocab)},
        )  # fmt: skip


def _pieces(columns: sparse.csc_matrix, column: int | None) -> int:
    """How many pieces have ``column`` (0 for None: a word or pair the catalog lacks)."""
    return 0 if column is None else int(columns.indptr[column + 1] - columns.indptr[column])


def _ones(indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sparse.csc_matrix:
    from scipy import sparse

    return sparse.csc_matrix((np.ones(len(indices), np.float32), indices, indptr), shape=shape)


def data_key(catalog: Any) -> str:
    """Hash of everything an index is built from (version, ids, the fields' text)."""
    digest = hashlib.sha1(VERSION.encode())
    # the tables the index reads besides the columns: a change to one rebuilds it too
    tables = (
        FIELDS, PAIR_COLUMNS, sorted(QUERY_STOP_WORDS), sorted(GENRE_SYNONYMS.items()),
        sorted(THEME_WORDS.items()), TITLE_SYNONYMS, sorted(SEASONS.items()),
    )  # fmt: skip
    digest.update(repr(tables).encode())
    for column in ("id", "source", *(c for _, cols in FIELDS for c in cols)):
        if column in catalog:
            digest.update("\x1e".join(catalog[column].astype(str)).encode("utf-8", "replace"))
    return digest.hexdigest()[:16]


def normalise(scores: np.ndarray) -> np.ndarray:
    """BM25 scores scaled to 0..1 by the best piece (all zeros stay zeros)."""
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 and math.isfinite(top) else np.zeros_like(scores)
