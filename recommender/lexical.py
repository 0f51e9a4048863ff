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

Tokens (``recommender.lexical_tokens``) are folded to ASCII lower case (Essen's "ae" for "ä")
and stemmed by Snowball's English stemmer on both sides ("lullabies" = "lullaby"); a German or
pinyin word gets the same stem in a query as in the catalog. A label's themes in English are
phrases of the piece (``_pairs``), as its title's word pairs are.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.atomic import atomic_path
from cantus.caption_evidence import key_name
from cantus.chorale_seasons import SEASONS, chorale_seasons
from cantus.forms import COLLECTION_FORMS, meter_only_form
from cantus.label_words import GENRE_SYNONYMS, THEME_WORDS, TITLE_SYNONYMS
from cantus.metadata import label_themes, region_adjectives, title_english, title_themes
from cantus.pinyin_genres import THEME_PARTS
from recommender.lexical_columns import _column_sum, _idf, _ones, _pieces, _share
from recommender.lexical_tokens import (  # noqa: F401 (tokens, _fold: this module's API too)
    _SOURCE_WORD,
    QUERY_STOP_WORDS,
    _fold,
    _stem,
    query_tokens,
    tokens,
    word_pairs,
)

if TYPE_CHECKING:  # scipy is imported where a matrix is made: `inspire` never makes one
    from scipy import sparse

FEAST = "feast"  # not a catalog column: a chorale's feast, read from its title
MIN_SPLIT = 3  # letters of each part when a query word is read as two source words
VERSION = "22"  # bump when tokens (lexical_tokens), fields or weights change: caches rebuilt
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
# where a phrase counts: text the source wrote, not the English genre words the catalog adds (a
# "folk song" form is what an Essen song without a genre label keeps); a label's themes in
# English count too (``_pairs``), but for pairs with a genre's head word (as tokens)
GENRE_HEADS = frozenset({"song", "folk", "tune", "lied"})
PAIR_COLUMNS = ("title", "genre_original", "notes", "lyrics")


@dataclass(frozen=True)
class FieldWords:
    """One field of a piece as ``matches`` reads it, tokenised once: a shown row's ``why`` is
    rebuilt per query, and tokenising its fields was most of a query's time."""

    label: str
    token_set: frozenset[str]
    words: tuple[tuple[str, tuple[str, ...]], ...]  # each word as written, and its tokens

    @classmethod
    def of(cls, label: str, text: str) -> FieldWords:
        words = tuple((w, tuple(tokens(w))) for w in _SOURCE_WORD.findall(text))
        return cls(label, frozenset(tokens(text)), words)

    def source_words(self, terms: Sequence[str]) -> list[str]:
        """The field's words whose tokens are among ``terms``, spelled as the source spells
        them, each once, in text order; a term no single word yields (folding split it) is
        added as is."""
        wanted, out, seen = set(terms), [], set()
        for word, folded in self.words:
            if wanted.intersection(folded) and folded not in seen:
                seen.add(folded)
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
            if column == "title":  # a Chinese title's pinyin: "Tiqi balujun" = Eighth Route Army
                value = " ".join([value, *title_themes(value, str(record.get("region") or ""))])
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
        found = _pairs(record)
        for pair in found:
            rows.append(i)
            cols.append(pairs.setdefault(pair, len(pairs)))
    data = np.ones(len(rows), np.float32)
    return sparse.csc_matrix((data, (rows, cols)), shape=(len(records), len(pairs))), pairs


def _pairs(record: dict[str, Any]) -> set[str]:
    """A piece's phrases: word pairs of each of ``PAIR_COLUMNS``, of the English of each theme
    its label names, one by one ("Tod Koenigin Louise" = "death of Queen Louise of Prussia": the
    label's own phrase, in English; no pair across two themes), less a theme pair with a genre
    head word ("new folk song", "custom song": the genre, not a phrase of its own), and of each
    English name of a title's or note's chorale or mass ("A Mighty Fortress"; a list of names
    read name by name). A theme's synonyms stay one text: its pairs across their commas ("magic,
    spell"; "biblical story, Bible story" = "story ... Bible") carried three tune-set queries, and
    splitting them at the commas lost those (2026-12-02, twelfth stop)."""
    found = {p for c in PAIR_COLUMNS for p in word_pairs(str(record.get(c) or ""))}
    for theme in label_themes(str(record.get("genre_original") or "")):
        found.update(p for p in word_pairs(theme) if GENRE_HEADS.isdisjoint(p.split()))
    for column in ("title", "notes"):
        for english in title_english(str(record.get(column) or "")):
            found.update(p for name in _NAME_BREAK.split(english) for p in word_pairs(name))
    return found


# between two names of an English list ("Pentecost; Whitsun"; "... (Sleepers, Wake)"): a
# comma stays inside a name ("O Sacred Head, Now Wounded")
_NAME_BREAK = re.compile(r"[;()]")


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
        scores = normalise(_column_sum(self.weights, cols))
        if coverage <= 0 and title <= 0 and phrase <= 0:
            return scores, terms
        idf = _idf(self.weights, cols)  # (T,)
        if coverage > 0:
            scores = (1 - coverage) * scores + coverage * _share(self.weights, cols, idf)
        if title > 0:
            scores = scores + title * _share(self.titles, cols, idf)
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
                if self._pieces_split(_stem(token[:i]), _stem(token[i:])) > joined:
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
        found = _column_sum(self.pairs, known, _idf(self.pairs, known))
        return np.minimum(found / words_idf, 1.0)

    def matches(
        self,
        record: dict[str, Any],
        terms: Sequence[str],
        fields: Sequence[FieldWords] | None = None,
    ) -> list[tuple[str, list[str]]]:
        """``[(field label, the field's words that matched, as the source spells them)]`` for
        one piece, field order ("Herzens" for the query term "herzen"); ``fields``: the
        piece's :meth:`field_words`, when the caller keeps them."""
        out = []
        for field in self.field_words(record) if fields is None else fields:
            found = [t for t in terms if t in field.token_set]
            if found:
                out.append((field.label, field.source_words(found)))
        return out

    def field_words(self, record: dict[str, Any]) -> tuple[FieldWords, ...]:
        """Every field of one piece (``FIELDS`` order), tokenised for :meth:`matches`."""
        return tuple(
            FieldWords.of(label, _field_text(record, columns, self.collection_names))
            for label, columns in FIELDS
        )

    def save(self, path: Path, key: str) -> None:
        """Write the index (one .npz) for :meth:`load` with the same ``key``."""
        w, titles, pairs = self.weights, self.titles, self.pairs
        meta = [key, list(self.vocabulary), self.collection_names, list(self.pair_vocabulary)]
        with atomic_path(path, suffix=".tmp.npz") as tmp:
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
                meta=np.array(json.dumps(meta)),
            )

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


def data_key(catalog: Any) -> str:
    """Hash of everything an index is built from (version, ids, the fields' text)."""
    from importlib.metadata import version

    # the stemmer's own rules change with its release: its version keys the index too
    digest = hashlib.sha1(f"{VERSION} snowball {version('snowballstemmer')}".encode())
    # the tables the index reads besides the columns: a change to one rebuilds it too
    tables = (
        FIELDS, PAIR_COLUMNS, sorted(QUERY_STOP_WORDS), sorted(GENRE_SYNONYMS.items()),
        sorted(THEME_WORDS.items()), TITLE_SYNONYMS, sorted(SEASONS.items()),
        sorted(THEME_PARTS.items()),  # the English themes of Chinese labels' pinyin parts
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
