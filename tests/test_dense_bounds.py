"""The low-rank sketch that spares text search the whole dense product: its bounds hold, the
rows it keeps always hold the fused top k, and search returns what it returns without it."""

from __future__ import annotations

import numpy as np
import pytest

from recommender import dense_bounds, text_search
from recommender.dense_bounds import DenseBounds, rows_within
from recommender.engine import SearchConfig
from tests.test_engine import synthetic_catalog
from tests.test_search_lexical import _engine_of


def _vectors(n: int = 600, d: int = 48, rank: int = 6, seed: int = 0) -> np.ndarray:
    """Unit rows near a ``rank``-d subspace (as real embeddings are, roughly)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, d))
    x += 0.05 * rng.standard_normal((n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _queries(x: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Queries in the space the rows span (as a text query's vector is), plus noise."""
    rng = np.random.default_rng(seed)
    return x[rng.integers(0, len(x), n)] + 0.1 * rng.standard_normal((n, x.shape[1]))


def test_every_row_score_lies_within_its_bounds() -> None:
    x = _vectors()
    bounds = DenseBounds.build(x, rank=4)  # a rank below the data's: real residuals
    for q in _queries(x, 20, seed=1).astype(np.float32):
        centre, slack = bounds.estimate(q)
        exact = (x @ q).astype(np.float64)
        assert np.all(np.abs(exact - centre) <= slack)


@pytest.mark.parametrize("k", [1, 10, 40])
def test_the_kept_rows_hold_the_fused_top_k_and_few_others(k: int) -> None:
    x = _vectors()
    bounds = DenseBounds.build(x, rank=8)
    rng = np.random.default_rng(2)
    for trial, q in enumerate(_queries(x, 20, seed=3).astype(np.float32)):
        bonus = np.where(rng.random(len(x)) < 0.2, rng.random(len(x)), 0.0)  # lexical-like
        allowed = rng.random(len(x)) < 0.5 if trial % 2 else None
        fused = (x @ q).astype(np.float64) + bonus
        centre, slack = bounds.estimate(q)
        rows = rows_within(centre + bonus, slack, k, allowed)
        assert rows is not None and len(rows) < len(x) // 4
        ranked = np.where(allowed, fused, -np.inf) if allowed is not None else fused
        best = np.argsort(-ranked, kind="stable")[:k]
        assert set(best.tolist()) <= set(rows.tolist())


def test_no_rows_are_spared_when_k_covers_the_allowed_rows() -> None:
    centre, slack = np.arange(10.0), np.full(10, 0.1)
    assert rows_within(centre, slack, 10, None) is None
    allowed = np.zeros(10, bool)
    assert rows_within(centre, slack, 3, allowed) is None


def test_a_saved_sketch_loads_only_under_its_key(tmp_path) -> None:
    bounds = DenseBounds.build(_vectors(), rank=4)
    path = tmp_path / "b.npz"
    bounds.save(path, "key-1")
    loaded = DenseBounds.load(path, "key-1")
    assert loaded is not None and np.array_equal(loaded.projected, bounds.projected)
    assert DenseBounds.load(path, "key-2") is None
    assert DenseBounds.load(tmp_path / "absent.npz", "key-1") is None


def test_search_returns_the_same_hits_with_the_sketch(monkeypatch) -> None:
    monkeypatch.setattr(dense_bounds, "RANK", 1024)  # spans these 240 rows: tight bounds
    kept: list[int] = []

    def counting(*args, **kwargs):
        rows = dense_bounds.rows_within(*args, **kwargs)
        kept.append(-1 if rows is None else len(rows))
        return rows

    monkeypatch.setattr(text_search, "rows_within", counting)
    catalog = synthetic_catalog(240)
    catalog.loc[18, "title"] = "Lady Coventry's Minuet"
    full = _engine_of(catalog, SearchConfig(bound_min_rows=10**6))
    sketched = _engine_of(catalog, SearchConfig(bound_min_rows=0))
    queries = ("slow waltz in A minor", "Coventry", "lullaby", "fast reel", "tune 17")
    for query in queries:
        for k, filters in ((1, None), (10, None), (10, {"mode": "minor"}), (50, None)):
            want = full.search(query, k=k, filters=filters)
            got = sketched.search(query, k=k, filters=filters)
            assert [h.id for h in got] == [h.id for h in want]
            assert [h.why for h in got] == [h.why for h in want]
            assert np.allclose([h.score for h in got], [h.score for h in want], atol=1e-6)
    assert kept and 0 < min(n for n in kept if n >= 0) < len(catalog) // 4


@pytest.mark.parametrize("rank", [8, 32])
def test_search_with_real_residuals_matches_search_without_the_sketch(monkeypatch, rank) -> None:
    monkeypatch.setattr(dense_bounds, "RANK", rank)  # below the rows' span: the slack is used
    catalog = synthetic_catalog(1200, seed=3)
    for w_facets, w_lexical in ((0.25, 0.5), (1.0, 2.0)):
        config = {"w_facets": w_facets, "w_lexical": w_lexical}
        full = _engine_of(catalog, SearchConfig(bound_min_rows=10**6, **config))
        sketched = _engine_of(catalog, SearchConfig(bound_min_rows=0, **config))
        for query in ("slow waltz in A minor", "lullaby", "minuet in 3/4"):
            for k, filters in ((3, None), (10, {"mode": "major"}), (50, None)):
                want = full.search(query, k=k, filters=filters)
                got = sketched.search(query, k=k, filters=filters)
                assert [(h.id, h.why) for h in got] == [(h.id, h.why) for h in want]


def test_a_broken_vector_costs_the_sketch_nothing_but_its_own_row() -> None:
    catalog = synthetic_catalog(240)
    hits = []
    for bound_min_rows in (10**6, 0):
        engine = _engine_of(catalog, SearchConfig(bound_min_rows=bound_min_rows))
        engine.embeddings = engine.embeddings.copy()
        engine.embeddings[7] = np.nan
        hits.append([h.id for h in engine.search("slow waltz in A minor", k=10)])
    assert len(hits[1]) == 10 and hits[1] == hits[0]


def test_a_corrupt_cached_sketch_is_rebuilt_not_raised(tmp_path) -> None:
    x = _vectors()
    first = dense_bounds.cached_bounds((x,), str(tmp_path))
    (cached,) = tmp_path.glob("dense-bounds-*.npz")
    cached.write_bytes(cached.read_bytes()[:100])  # truncated by a crash or a full disk
    again = dense_bounds.cached_bounds((x,), str(tmp_path))
    assert np.array_equal(again.projected, first.projected)
    assert DenseBounds.load(cached, cached.stem.removeprefix("dense-bounds-")) is not None
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_fused_top_rows_takes_ties_at_the_cut_by_row() -> None:
    from recommender.fusion import top_rows

    scores = np.zeros(5000)
    scores[[4000, 10]] = 2.0
    scores[[4999, 3000, 7]] = 1.0  # three ties for the last two places
    assert top_rows(scores, 4).tolist() == [10, 4000, 7, 3000]
    allowed = np.ones(5000, bool)
    allowed[7] = False
    assert top_rows(scores, 4, allowed).tolist() == [10, 4000, 3000, 4999]
    subset = np.array([7, 10, 3000, 4000, 4999])  # the same rows, fewer others: same answer
    assert subset[top_rows(scores[subset], 4)].tolist() == [10, 4000, 7, 3000]


def test_search_check_counts_runs_whose_hits_differ() -> None:
    from recommender.search_check import compare, query_texts

    hit = {"id": "a", "title": "A", "score": 0.5, "why": ""}
    other = {**hit, "id": "b"}
    before = {"q1": [hit, other], "q2": [hit], "q3": [hit]}
    after = {
        "q1": [other, hit],
        "q2": [{**hit, "score": 0.5 + 1e-8}],
        "q3": [{**hit, "score": 0.6}],
    }
    found = compare(before, after)
    assert found["differ"] == 2 and found["runs"] == 3  # a swap and a score beyond tolerance
    assert compare(before, before)["differ"] == 0
    with pytest.raises(ValueError, match="different queries"):
        compare(before, {"q1": []})
    texts = query_texts()
    assert len(texts) == len(set(texts)) > 200


def test_search_check_compare_refuses_a_missing_or_foreign_file_in_one_line(tmp_path, capsys):
    from recommender.search_check import main

    good = tmp_path / "a.json"
    good.write_text('{"q": []}')
    bad = tmp_path / "b.json"
    bad.write_text("[1, 2]")
    assert main(["compare", str(good), str(tmp_path / "absent.json")]) == 2
    assert main(["compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "cannot read the dump" in err[0] and "not a search_check" in err[1]
    assert main(["compare", str(good), str(good)]) == 0


def test_a_sketch_in_the_shared_cache_is_read_not_rebuilt(tmp_path, monkeypatch) -> None:
    from recommender import query_text

    x = _vectors()
    shared, home = tmp_path / "shared", tmp_path / "home"
    made = dense_bounds.cached_bounds((x,), str(shared))  # as `make install` leaves it
    monkeypatch.setattr(query_text, "shared_cache_dir", lambda: shared)

    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt although the shared cache holds the sketch")

    monkeypatch.setattr(DenseBounds, "build", no_build)
    again = dense_bounds.cached_bounds((x,), str(home))
    assert np.array_equal(again.projected, made.projected)
    assert not home.exists() or not list(home.iterdir())  # nothing copied into the home
