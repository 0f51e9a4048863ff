"""``cantus eval retrieval``: how well the encoder finds music, beside baselines, in one run.

1. **Held-out captions** (text→music): captions of the held-out families
   (``encoder/split.json``) of the held-out pieces query the held-out pieces; R@1, R@10, MRR.
2. **Natural queries** (``recommender.queries``) over the whole catalog, graded 0/1/2 from
   catalog features: nDCG@10 (gain 2^grade − 1), P@10 with grade ≥ 1 ("lenient") and with
   grade = 2 ("strict").
3. **Baselines** for 1 and 2: BM25 over the metadata ``text`` column, MiniLM over the captions
   alone (mean vector of each piece's cached training-family captions vs the query), the
   hybrid of cantus and that MiniLM score with ``recommender.engine.SearchConfig`` weights,
   and random.
4. **Music→music**: a transposed copy of each of ~500 pieces must find its original at rank 1
   (among all pieces; an identical-token duplicate counts); pieces sharing a normalised title
   in another collection/file: HR@10, MRR. Baselines: interval n-gram TF-IDF, random.

The report is printed and saved to ``cantus.config.bench_dir() / "eval_retrieval.json"``.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import MissingArtifact
from recommender.melody import MelodyIndex, fuse

if TYPE_CHECKING:
    import pandas as pd

    from recommender.encoder import Encoder

log = logging.getLogger(__name__)

REPORT_NAME = "eval_retrieval.json"
EVAL_COLUMNS = [
    "id",
    "source",
    "number",
    "collection",
    "origin",
    "title",
    "composer",
    "meter",
    "key",
    "tonic",
    "mode",
    "tempo_bpm",
    "tempo_text",
    "bars",
    "ambitus",
    "n_notes",
    "note_density",
    "parts",
    "form",
    "captions",
    "caption_families",
    "tokens",
    "text",
]


@dataclass
class EvalConfig:
    """Sizes of the evaluation (saved in the report)."""

    k: int = 10  # cut-off of R@k / nDCG@k / P@k / HR@k
    transposed_pieces: int = 500  # pieces whose transposed copy is searched
    max_transpose: int = 5  # transpositions are drawn from ±1..max_transpose semitones
    max_title_versions: int = 10  # titles shared by more pieces are too generic to test
    max_title_queries: int = 2000  # same-title queries sampled at most (time and memory)
    seed: int = 0  # sampling of pieces, transpositions and the random baseline

    def __post_init__(self) -> None:
        if self.k < 1 or self.transposed_pieces < 1 or not 1 <= self.max_transpose <= 12:
            msg = f"invalid evaluation sizes (received {self})"
            raise ValueError(msg)


# --------------------------------------------------------------------------- metrics


def ranks_of(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of ``targets[i]`` in row i of ``scores`` (Q, P); ties count against."""
    scores = np.asarray(scores, dtype=np.float64)
    target_scores = scores[np.arange(len(targets)), targets]
    return (scores >= target_scores[:, None]).sum(1)


def recall_at_k(ranks: np.ndarray, k: int) -> float:
    """Share of queries whose target ranks within the top ``k``."""
    ranks = np.asarray(ranks)
    return float((ranks <= k).mean()) if ranks.size else math.nan


def mrr(ranks: np.ndarray) -> float:
    """Mean reciprocal rank."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return float((1.0 / ranks).mean()) if ranks.size else math.nan


def dcg(grades: Sequence[float]) -> float:
    """Discounted cumulative gain with gain 2^grade − 1 and log2(rank + 1) discount."""
    g = np.asarray(grades, dtype=np.float64)
    return float(((2.0**g - 1) / np.log2(np.arange(2, len(g) + 2))).sum())


def ndcg_at_k(ranked_grades: Sequence[float], all_grades: Sequence[float], k: int) -> float:
    """nDCG@k of a ranking given the grades of every candidate (for the ideal ranking)."""
    ideal = dcg(sorted(all_grades, reverse=True)[:k])
    return dcg(list(ranked_grades)[:k]) / ideal if ideal > 0 else math.nan


def precision_at_k(ranked_grades: Sequence[float], k: int, threshold: float) -> float:
    """Share of the top ``k`` with grade ≥ ``threshold``."""
    top = np.asarray(list(ranked_grades)[:k], dtype=np.float64)
    return float((top >= threshold).sum() / k)


def hit_rate_and_mrr(
    ranked: np.ndarray, relevant: Sequence[set[int]], k: int
) -> tuple[float, float]:
    """HR@k and MRR of the first relevant item, for rankings (Q, ≥k) of candidate rows."""
    hits, rr = [], []
    for row, good in zip(ranked, relevant, strict=True):
        positions = [i for i, r in enumerate(row) if int(r) in good]
        hits.append(bool(positions) and positions[0] < k)
        rr.append(1.0 / (positions[0] + 1) if positions else 0.0)
    return (float(np.mean(hits)), float(np.mean(rr))) if hits else (math.nan, math.nan)


def text_to_music_metrics(
    queries: np.ndarray,
    per_piece: Sequence[np.ndarray],
    rows: np.ndarray,
    embeddings: np.ndarray,
    k: int = 10,
) -> dict[str, float]:
    """R@1, R@k, MRR of caption queries against the pieces ``rows`` (the candidate pool).

    ``per_piece[row]`` lists the query indices describing catalog row ``row``.
    """
    q_index, targets = _query_targets(per_piece, rows)
    if not len(q_index):
        return {}
    scores = queries[q_index] @ embeddings[rows].T  # (Q, P)
    return _rank_metrics(ranks_of(scores, targets), k)


def _query_targets(
    per_piece: Sequence[np.ndarray], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    q_index, targets = [], []
    for pos, row in enumerate(rows):
        for q in per_piece[row]:
            q_index.append(int(q))
            targets.append(pos)
    return np.asarray(q_index, dtype=np.int64), np.asarray(targets, dtype=np.int64)


def _rank_metrics(ranks: np.ndarray, k: int) -> dict[str, float]:
    return {
        "R@1": round(recall_at_k(ranks, 1), 4),
        f"R@{k}": round(recall_at_k(ranks, k), 4),
        "MRR": round(mrr(ranks), 4),
        "queries": len(ranks),
    }


# --------------------------------------------------------------------------- scorers


def _tokenize(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:/[0-9]+)?", str(text).lower())


class BM25Scorer:
    """BM25 (rank-bm25 Okapi) over the catalog's metadata ``text`` column."""

    def __init__(self, texts: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.bm25 = BM25Okapi([_tokenize(t) or ["_"] for t in texts])

    def __call__(self, query: str) -> np.ndarray:
        return np.asarray(self.bm25.get_scores(_tokenize(query)), dtype=np.float64)


def caption_means(table: Any, rows: np.ndarray | None = None) -> np.ndarray:
    """Mean MiniLM caption vector per catalog row (N, 384), unit length (zero if none)."""
    n = len(table.per_piece)
    out = np.zeros((n, table.vectors.shape[1]), dtype=np.float32)
    for row in range(n) if rows is None else rows:
        picks = table.per_piece[row]
        if len(picks):
            out[row] = table.vectors[picks].mean(0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def hybrid_weights() -> tuple[float, float]:
    """(w_contrastive, w_caption) of the engine's search."""
    from recommender.engine import SearchConfig

    cfg = SearchConfig()
    return cfg.w_contrastive, cfg.w_caption


# --------------------------------------------------------------------------- data


@dataclass
class EvalData:
    """Everything the evaluation reads from a data dir."""

    folder: Path
    catalog: pd.DataFrame
    encoder: Encoder
    embeddings: np.ndarray  # (N, D) float32
    held: np.ndarray  # (N,) bool: held-out pieces
    heldout_families: tuple[str, ...]
    train: dict  # the encoder's training settings and metrics


def load_eval_data(data_dir: Path | str | None = None) -> EvalData:
    """Catalog, encoder, embeddings and the held-out split of a data dir."""
    import pandas as pd

    from cantus.config import data_dir as default_data_dir
    from recommender.encoder import ENCODER_DIR, SPLIT_FILE, load_encoder

    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    encoder = load_encoder(folder)
    path = folder / "catalog.parquet"
    if not path.is_file():
        msg = f"no catalog at {path}: run `cantus build`"
        raise MissingArtifact(msg)
    catalog = pd.read_parquet(path, columns=EVAL_COLUMNS)
    meta = (
        json.loads((folder / "embeddings.json").read_text())
        if (folder / "embeddings.json").is_file()
        else {}
    )
    if meta.get("encoder_id") != encoder.encoder_id:
        msg = f"embeddings in {folder} are missing or from another encoder; run `cantus build`"
        raise MissingArtifact(msg)
    embeddings = np.load(folder / "embeddings.npy").astype(np.float32)
    split_path = folder / ENCODER_DIR / SPLIT_FILE
    split = json.loads(split_path.read_text()) if split_path.is_file() else {}
    held = catalog["id"].astype(str).isin(set(split.get("eval_ids", []))).to_numpy()
    families = tuple(split.get("heldout_families", []))
    return EvalData(folder, catalog, encoder, embeddings, held, families, encoder.meta)


def _cache_dir(folder: Path) -> Path:
    """The build's MiniLM sentence cache, or one under CANTUS_HOME if that is read-only."""
    import os

    from cantus.config import SENTENCE_CACHE_DIR, cantus_home

    cache = folder / SENTENCE_CACHE_DIR
    if cache.is_dir() and os.access(cache, os.W_OK):
        return cache
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return cache
    except OSError:
        pass
    return cantus_home() / "cache" / "minilm"


# --------------------------------------------------------------------------- sections


def eval_heldout(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Held-out families on held-out pieces: cantus vs BM25, MiniLM captions, hybrid, random."""
    from recommender.train_data import caption_table

    rows = np.flatnonzero(data.held)
    if len(rows) < 2 or not data.heldout_families:
        return {"skipped": "no held-out pieces or families recorded in encoder/split.json"}
    cache = _cache_dir(data.folder)
    queries = caption_table(data.catalog, data.heldout_families, cache, rows=rows)
    q_index, targets = _query_targets(queries.per_piece, rows)
    if not len(q_index):
        return {"skipped": "held-out pieces have no captions of the held-out families"}
    texts = [queries.texts[i] for i in q_index]
    docs = _training_captions(data, cache, rows)
    means = caption_means(docs, rows)[rows]  # (P, 384)
    minilm_q = queries.vectors[q_index]  # (Q, 384)
    cantus = data.encoder.encode_sentence_vectors(minilm_q) @ data.embeddings[rows].T  # (Q, P)
    caption = minilm_q @ means.T
    bm25 = BM25Scorer(data.catalog["text"].to_numpy()[rows])
    w_c, w_t = hybrid_weights()
    rng = np.random.default_rng(cfg.seed)
    methods = {
        "cantus": cantus,
        "bm25_metadata": np.stack([bm25(t) for t in texts]),
        "minilm_captions": caption,
        "hybrid": w_c * cantus + w_t * caption,
        "random": rng.random(cantus.shape),
    }
    out: dict[str, Any] = {
        "pieces": len(rows),
        "families": list(data.heldout_families),
        "captions_per_piece_for_minilm": _train_config(data).captions_per_piece,
    }
    for name, scores in methods.items():
        out[name] = _rank_metrics(ranks_of(_jitter(scores, rng), targets), cfg.k)
    by_family = {}
    fam_of = _families_of_queries(data, rows, queries)
    for family in data.heldout_families:
        mask = np.array([fam_of.get(int(q)) == family for q in q_index])
        if mask.any():
            by_family[family] = {
                name: _rank_metrics(ranks_of(_jitter(s[mask], rng), targets[mask]), cfg.k)
                for name, s in methods.items()
                if name in ("cantus", "bm25_metadata", "minilm_captions")
            }
    out["by_family"] = by_family
    return out


def _train_config(data: EvalData) -> Any:
    """The encoder's ``TrainConfig`` as saved in ``encoder/config.json``."""
    from recommender.train_config import TrainConfig

    saved = data.train.get("train") or {}
    return TrainConfig.from_saved(saved) if saved else TrainConfig()


def _training_captions(data: EvalData, cache: Path, rows: np.ndarray | None = None) -> Any:
    """The cached training-family captions per piece (the MiniLM-captions baseline's documents)."""
    from recommender.train_data import caption_table

    tcfg = _train_config(data)
    trained = tuple(data.train.get("trained_families", ()))
    return caption_table(
        data.catalog,
        trained,
        cache,
        rows=rows,
        per_piece=tcfg.captions_per_piece,
        skip=tcfg.skip_families,
        seed=int(data.train.get("seed", 0)),
    )


def _jitter(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Break exact ties (BM25 zeros) at random instead of in the target's disfavour."""
    return np.asarray(scores, dtype=np.float64) + rng.random(np.shape(scores)) * 1e-9


def _families_of_queries(data: EvalData, rows: np.ndarray, table: Any) -> dict[int, str]:
    index = {t: i for i, t in enumerate(table.texts)}
    fam: dict[int, str] = {}
    caps, fams = data.catalog["captions"].to_numpy(), data.catalog["caption_families"].to_numpy()
    for row in rows:
        for c, f in zip(caps[row], fams[row], strict=False):
            if c in index:
                fam.setdefault(index[c], f)
    return fam


def eval_natural(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """The ``recommender.queries`` set over the whole catalog, cantus vs baselines."""
    from recommender.queries import QUERIES, with_evidence
    from recommender.text import embed_sentences

    rows_all = [
        with_evidence(r)
        for r in data.catalog.drop(columns=["tokens", "captions", "caption_families"]).to_dict(
            "records"
        )
    ]
    grades = np.array([[q.grade(r) for r in rows_all] for q in QUERIES], dtype=np.float64)  # (Q, N)
    texts = [q.text for q in QUERIES]
    minilm_q = embed_sentences(texts)
    docs = _training_captions(data, _cache_dir(data.folder))
    cantus = data.encoder.encode_sentence_vectors(minilm_q) @ data.embeddings.T  # (Q, N)
    caption = minilm_q @ caption_means(docs).T
    bm25 = BM25Scorer(data.catalog["text"].to_numpy())
    w_c, w_t = hybrid_weights()
    rng = np.random.default_rng(cfg.seed)
    methods: dict[str, np.ndarray] = {
        "cantus": cantus,
        "bm25_metadata": np.stack([bm25(t) for t in texts]),
        "minilm_captions": caption,
        "hybrid": w_c * cantus + w_t * caption,
        "random": rng.random(cantus.shape),
    }
    engine_scores = _engine_rankings(data, texts)
    per_query: list[dict[str, Any]] = []
    summary: dict[str, dict[str, list[float]]] = {m: {} for m in [*methods, "engine"]}
    for qi, query in enumerate(QUERIES):
        entry: dict[str, Any] = {
            "query": query.text,
            "facets": [f.name for f in query.facets],
            "grade2": int((grades[qi] == 2).sum()),
            "grade1": int((grades[qi] == 1).sum()),
        }
        if not (grades[qi] > 0).any():
            entry["skipped"] = "no relevant piece in the catalog"
            per_query.append(entry)
            continue
        rankings = {
            m: np.argsort(-_jitter(s[qi], rng), kind="stable")[: cfg.k] for m, s in methods.items()
        }
        rankings["engine"] = engine_scores[qi]
        for name, top in rankings.items():
            ranked = grades[qi][top]
            scores = {
                f"nDCG@{cfg.k}": ndcg_at_k(ranked, grades[qi], cfg.k),
                f"P@{cfg.k}_lenient": precision_at_k(ranked, cfg.k, 1),
                f"P@{cfg.k}_strict": precision_at_k(ranked, cfg.k, 2),
            }
            entry[name] = {m: round(v, 4) for m, v in scores.items()}
            for m, v in scores.items():
                if not math.isnan(v):
                    summary[name].setdefault(m, []).append(v)
        per_query.append(entry)
    means = {
        name: {m: round(float(np.mean(v)), 4) for m, v in ms.items()}
        for name, ms in summary.items()
    }
    used = sum("skipped" not in e for e in per_query)
    return {
        "queries": len(QUERIES),
        "judged": used,
        "mean": means,
        "mean_by_half": _half_means(per_query, [*methods, "engine"]),
        "per_query": per_query,
        "grades": "2 = every facet, 1 = some facets; lenient P@k counts grade >= 1, strict grade 2",
        "judge": "the project's own facets and caption rules (kept for continuity; the "
        "source_queries section is judged from the sources' metadata)",
        "tuned_here": "nothing: the engine's weights are tuned on source_queries' tune half",
    }


def _half_means(per_query: list[dict[str, Any]], methods: list[str]) -> dict[str, Any]:
    """Mean nDCG@10 per method on fixed tune / test halves (alternately by text hash)."""
    import hashlib

    judged = sorted(
        (e for e in per_query if "skipped" not in e),
        key=lambda e: hashlib.sha1(e["query"].encode()).hexdigest(),
    )
    halves = {"tune": judged[0::2], "test": judged[1::2]}
    return {
        half: {m: round(float(np.mean([e[m]["nDCG@10"] for e in rows])), 4) for m in methods}
        for half, rows in halves.items()
        if rows
    }


def _engine_rankings(data: EvalData, texts: list[str]) -> list[np.ndarray]:
    """Top rows of ``recommender.engine.Engine.search`` (the served ranking)."""
    engine = _engine(data.folder)
    rows = {pid: i for i, pid in enumerate(data.catalog["id"].astype(str))}
    return [np.array([rows[h.id] for h in engine.search(t, k=10) if h.id in rows]) for t in texts]


@functools.cache
def _engine(folder: Path) -> Any:
    from recommender.engine import Engine

    return Engine.load(folder)


def eval_source_queries(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Queries judged by the sources' own metadata, tuned on one half, reported on the other
    (``recommender.eval_search``)."""
    from cantus.works import corpus_root
    from recommender.eval_search import evaluate_source_queries

    root = corpus_root()
    sources = data.catalog.loc[data.catalog["collection"] != "user", "source"].astype(str)
    if not any((root / s).is_file() for s in sources.head(200)):
        # a synthetic or user-only catalog: the judge reads the corpus files themselves
        return {"skipped": "no music21 corpus piece in this catalog; the judge reads their files"}
    return evaluate_source_queries(_engine(data.folder), seed=cfg.seed)


def eval_music(data: EvalData, cfg: EvalConfig) -> dict[str, Any]:
    """Transposed copies (rank-1 rate) and same title across collections (HR@k, MRR)."""
    tokens = [np.asarray(t, dtype=np.int64) for t in data.catalog["tokens"]]
    tfidf = MelodyIndex(tokens, data.encoder.cfg.max_len)
    return {
        "transposed_copy": _transposed(data, tokens, tfidf, cfg),
        "same_title": _same_title(data, tfidf, cfg),
    }


def _transposed(
    data: EvalData, tokens: list[np.ndarray], tfidf: MelodyIndex, cfg: EvalConfig
) -> dict[str, Any]:
    from cantus.tokens import transpose_bounds, transpose_ids

    rng = np.random.default_rng(cfg.seed)
    picks = rng.choice(len(tokens), size=min(cfg.transposed_pieces, len(tokens)), replace=False)
    copies, originals, shifts = [], [], []
    for row in picks:
        lo, hi = transpose_bounds(tokens[row])
        options = [
            s for s in range(-cfg.max_transpose, cfg.max_transpose + 1) if s and lo <= s <= hi
        ]
        if options:
            shift = int(rng.choice(options))
            copies.append(transpose_ids(tokens[row], shift))
            originals.append(int(row))
            shifts.append(shift)
    start = time.perf_counter()
    vectors = data.encoder.encode_ids(copies)
    rate = len(copies) / max(time.perf_counter() - start, 1e-9)
    same = _duplicate_sets(tokens, originals)
    equivalent = _duplicate_sets(_canonical_windows(tokens, data.encoder.cfg.max_len), originals)
    methods = {
        "cantus": vectors @ data.embeddings.T,
        "interval_tfidf": tfidf.scores(copies),
        # what `similar` ranks by: music cosine fused with interval TF-IDF
        "engine_similar": fuse(vectors @ data.embeddings.T, tfidf.scores(copies)),
        "random": rng.random((len(copies), len(tokens))),
    }
    out: dict[str, Any] = {
        "pieces": len(copies),
        "embed_pieces_per_s": round(rate, 1),
        "mean_cosine_to_original": round(
            float(np.mean((vectors * data.embeddings[originals]).sum(1))), 4
        ),
    }
    for name, scores in methods.items():
        top = np.argmax(_jitter(scores, rng), axis=1)
        out[name] = {
            "rank1_rate": _share_in(top, equivalent),
            "rank1_rate_strict": _share_in(top, same),
        }
    out["rank1_rule"] = (
        "rank1_rate: top hit is the original or a piece whose opening window (what the encoder "
        "reads) is the same music in another key; strict: the original or identical tokens"
    )
    return out


def _share_in(top: np.ndarray, sets: list[set[int]]) -> float:
    return round(float(np.mean([int(t) in s for t, s in zip(top, sets, strict=True)])), 4)


def _canonical_windows(tokens: list[np.ndarray], max_len: int) -> list[np.ndarray]:
    """Opening windows with pitches made relative to their lowest note (key-free)."""
    from cantus.tokens import pitch_of_ids

    pitch_of = pitch_of_ids()
    out = []
    for ids in tokens:
        window = np.asarray(ids[:max_len], dtype=np.int64)
        pitch = pitch_of[window]
        canon = window.copy()
        if (pitch >= 0).any():
            canon[pitch >= 0] = 10_000 + pitch[pitch >= 0] - pitch[pitch >= 0].min()
        out.append(canon)
    return out


def _duplicate_sets(tokens: list[np.ndarray], rows: list[int]) -> list[set[int]]:
    """For each row: itself plus every catalog row with identical tokens."""
    by_hash: dict[int, list[int]] = {}
    for i, t in enumerate(tokens):
        by_hash.setdefault(hash(t.tobytes()), []).append(i)
    return [
        {j for j in by_hash[hash(tokens[r].tobytes())] if np.array_equal(tokens[j], tokens[r])}
        for r in rows
    ]


def _same_title(data: EvalData, tfidf: MelodyIndex, cfg: EvalConfig) -> dict[str, Any]:
    """Queries: pieces whose normalised title recurs in another collection or source file."""
    from recommender.train_data import normalize_title

    cat = data.catalog
    keys = cat["title"].astype(str).map(normalize_title).to_numpy()
    groups: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if len(k) >= 4 and len(k.split()) >= 2:
            groups.setdefault(k, []).append(i)
    sources, collections = (
        cat["source"].astype(str).to_numpy(),
        cat["collection"].astype(str).to_numpy(),
    )
    queries, relevant = [], []
    for members in groups.values():
        if not 2 <= len(members) <= cfg.max_title_versions:
            continue
        for i in members:
            good = {
                j
                for j in members
                if j != i and (sources[j] != sources[i] or collections[j] != collections[i])
            }
            if good:
                queries.append(i)
                relevant.append(good)
    if not queries:
        return {"skipped": "no titles shared across collections or files"}
    rng = np.random.default_rng(cfg.seed)
    if len(queries) > cfg.max_title_queries:
        keep = np.sort(rng.choice(len(queries), cfg.max_title_queries, replace=False))
        queries, relevant = [queries[i] for i in keep], [relevant[i] for i in keep]
    methods: dict[str, Callable[[list[int]], np.ndarray]] = {
        "cantus": lambda rows: data.embeddings[rows] @ data.embeddings.T,
        "interval_tfidf": lambda rows: tfidf.row_scores(rows),
        "engine_similar": lambda rows: fuse(
            data.embeddings[rows] @ data.embeddings.T, tfidf.row_scores(rows)
        ),
        "random": lambda rows: rng.random((len(rows), len(cat))),
    }
    out: dict[str, Any] = {"queries": len(queries), "titles": len({keys[q] for q in queries})}
    for name, score in methods.items():
        top = np.concatenate(
            [
                _top_excluding_self(score(queries[lo : lo + 256]), queries[lo : lo + 256], rng)
                for lo in range(0, len(queries), 256)
            ]
        )
        hr, rr = hit_rate_and_mrr(top, relevant, cfg.k)
        out[name] = {f"HR@{cfg.k}": round(hr, 4), "MRR@100": round(rr, 4)}
    return out


def _top_excluding_self(
    scores: np.ndarray, rows: list[int], rng: np.random.Generator, n: int = 100
) -> np.ndarray:
    """The best ``n`` columns per row of ``scores`` (Q, N), best first, never the row itself."""
    scores = _jitter(scores, rng)
    scores[np.arange(len(rows)), rows] = -np.inf
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


# --------------------------------------------------------------------------- report


def evaluate_retrieval(
    data_dir: Path | str | None = None, cfg: EvalConfig | None = None
) -> dict[str, Any]:
    """Run every section, save the JSON report to ``bench_dir()``, and return it."""
    from cantus.config import bench_dir

    cfg = cfg or EvalConfig()
    start = time.perf_counter()
    data = load_eval_data(data_dir)
    report: dict[str, Any] = {
        "data_dir": str(data.folder),
        "encoder_id": data.encoder.encoder_id,
        "pieces": len(data.catalog),
        "config": asdict(cfg),
        "training": data.train.get("metrics", {}),
    }
    for name, section in (
        ("heldout_captions", eval_heldout),
        ("natural_queries", eval_natural),
        ("source_queries", eval_source_queries),
        ("music_to_music", eval_music),
    ):
        t0 = time.perf_counter()
        report[name] = section(data, cfg)
        log.info("eval %s done in %.1fs", name, time.perf_counter() - t0)
    report["seconds"] = round(time.perf_counter() - start, 1)
    (bench_dir() / REPORT_NAME).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A short table of the headline numbers for people."""
    lines = [f"encoder {report.get('encoder_id')} over {report.get('pieces')} pieces"]
    held = report.get("heldout_captions", {})
    for name in ("cantus", "hybrid", "minilm_captions", "bm25_metadata", "random"):
        if name in held:
            m = held[name]
            lines.append(
                f"held-out captions  {name:16s} R@1 {m['R@1']:.3f}  "
                f"R@10 {m.get('R@10', 0):.3f}  MRR {m['MRR']:.3f}"
            )
    nat = report.get("natural_queries", {}).get("mean", {})
    for name, m in nat.items():
        lines.append(
            f"natural queries    {name:16s} nDCG@10 {m.get('nDCG@10', 0):.3f}  "
            f"P@10 lenient {m.get('P@10_lenient', 0):.3f}  strict {m.get('P@10_strict', 0):.3f}"
        )
    if "source_queries" in report:
        from recommender.eval_search import summary_lines as source_lines

        lines += source_lines(report["source_queries"])
    music = report.get("music_to_music", {})
    for name, m in music.get("transposed_copy", {}).items():
        if isinstance(m, dict):
            lines.append(
                f"transposed copy    {name:16s} rank-1 {m['rank1_rate']:.3f}  "
                f"(strict {m['rank1_rate_strict']:.3f})"
            )
    for name, m in music.get("same_title", {}).items():
        if isinstance(m, dict):
            lines.append(
                f"same title         {name:16s} HR@10 {m.get('HR@10', 0):.3f}  "
                f"MRR {m.get('MRR@100', 0):.3f}"
            )
    return lines
