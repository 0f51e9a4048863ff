"""``cantus search``, ``cantus similar`` and ``cantus bench search``.

    cantus search QUERY ... [-k 10] [--filter meter=3/4 --filter mode=minor ...] [--json]
    cantus similar ID_OR_FILE ... [-k 10] [--json]
    cantus bench search [--n 1000000] [--json]

A QUERY (or ID_OR_FILE) of ``-`` reads one per line from stdin, blank lines skipped. With
``--json`` each query prints one line ``{"query": ..., "results": [{"id", "title",
"collection", "source", "number", "key", "meter", "score", "why"}]}`` (DESIGN.md), plus
``"channels_off": {channel: why}`` when a search channel could not run; without it, a table per
query. Inputs are checked before the engine loads, so typos fail fast (exit 2).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cantus import precheck
from cantus.errors import BadInput

if TYPE_CHECKING:
    from cantus.cli import Registry
    from recommender.engine import Engine, Hit

SCORE_DECIMALS = 4


def register(reg: Registry) -> None:
    search = reg.add(reg.top, "search", _search, help="find pieces from a text description")
    search.add_argument(
        "queries", nargs="+", metavar="QUERY", help='text, e.g. "melancholy waltz"; "-" reads stdin'
    )
    _add_k(search)
    search.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="keep only matching pieces: meter, mode, key, collection, origin, form, genre "
        "(e.g. lullaby), region (e.g. Shaanxi: any part matches), lyrics=yes|no (pieces with "
        "or without sung words); repeatable (same field: either value; fields: all); an "
        "unknown field or empty value exits 2",
    )
    similar = reg.add(reg.top, "similar", _similar, help="pieces whose music is like a piece/file")
    similar.add_argument(
        "items",
        nargs="+",
        metavar="ID_OR_FILE",
        help='piece id or MIDI/MusicXML/ABC/Humdrum/MEI file; "-": stdin',
    )
    _add_k(similar)
    bench = reg.add(
        reg.bench, "search", _bench, help="search latency, embedding speed, FAISS scale"
    )
    _add_bench_args(bench)


def _add_k(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=int, default=10, help="results per query (default 10)")


def _add_bench_args(parser: argparse.ArgumentParser) -> None:
    from recommender.bench import BenchConfig

    defaults = BenchConfig()
    parser.add_argument("--n", type=int, default=defaults.n, help="synthetic vectors for FAISS")
    parser.add_argument("--dim", type=int, default=defaults.dim, help="synthetic vector size")
    parser.add_argument(
        "--hnsw-budget-s",
        type=float,
        default=defaults.hnsw_budget_s,
        help="stop adding to HNSW after this many seconds (the vectors indexed are recorded)",
    )
    parser.add_argument("--skip-engine", action="store_true", help="only the FAISS comparison")
    parser.add_argument("--skip-faiss", action="store_true", help="only the engine latencies")
    parser.add_argument(
        "--gpu", action="store_true", help="exact search on GPU vs CPU (needs cantus[gpu])"
    )


@functools.cache
def load_engine() -> Engine:
    """The engine every command in this process shares (a function so tests can swap it)."""
    from recommender.engine import Engine

    return Engine.load()


# ----------------------------------------------------------------------------- commands


def _search(args: argparse.Namespace) -> None:
    from recommender.checks import (
        LIST_FIELDS,
        PRESENCE_FIELDS,
        check_k,
        check_query,
        parse_filters,
    )

    queries = [check_query(q) for q in _expand_stdin(args.queries, "query")]
    k, filters = check_k(args.k), parse_filters(args.filter)
    # before the engine: typos fail in < 1 s (yes/no fields were checked by parse_filters)
    by_value = {n: v for n, v in filters.items() if n not in PRESENCE_FIELDS}
    precheck.check_filter_values(by_value, LIST_FIELDS)
    engine = load_engine()
    off = _off(engine, "caption")
    for query in queries:
        _emit_results(query, engine.search(query, k=k, filters=filters), args.json, off)


def _similar(args: argparse.Namespace) -> None:
    from recommender.checks import check_k

    k = check_k(args.k)
    items = [precheck.check_id_or_file(i) for i in _expand_stdin(args.items, "piece id or file")]
    engine = load_engine()
    off = _off(engine, "melody")
    for item in items:
        _emit_results(item, engine.similar(item, k=k), args.json, off)


def _off(engine: Engine, channel: str) -> dict[str, str]:
    """``{channel: why}`` when the engine cannot use that channel, else empty."""
    reason = engine.channels_off().get(channel)
    return {channel: reason} if reason else {}


def _bench(args: argparse.Namespace) -> None:
    from recommender.bench import BenchConfig, run_bench

    defaults = BenchConfig()
    if getattr(args, "gpu", False):
        return _bench_gpu(getattr(args, "n", defaults.n), args.json)
    try:
        config = BenchConfig(
            n=getattr(args, "n", defaults.n),  # `cantus bench` (all) passes no sub-options
            dim=getattr(args, "dim", defaults.dim),
            hnsw_budget_s=getattr(args, "hnsw_budget_s", defaults.hnsw_budget_s),
            engine=not getattr(args, "skip_engine", False),
            faiss=not getattr(args, "skip_faiss", False),
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    run_bench(config, as_json=args.json)


def _bench_gpu(n: int, as_json: bool) -> None:
    from cantus.output import emit
    from recommender.bench_scale import GPU_REPORT_NAME, bench_gpu, save

    report = bench_gpu(n)
    path = save(report, GPU_REPORT_NAME)
    lines = [
        f"{device}: single p50 {r['single_query']['p50_ms']} ms ({r['single_qps']} QPS), "
        f"batch of {r['batch_size']}: {r['batch_qps']} QPS"
        for device, r in ((d, report[d]) for d in ("cpu", "gpu"))
    ]
    lines.append(f"same top-10 ids: {report['same_top10_share']:.1%}; saved to {path}")
    emit(report, as_json, "\n".join([f"exact search, {n} x {report['dim']}", *lines]))


# ------------------------------------------------------------------------------ helpers


def _expand_stdin(values: Iterable[str], what: str) -> list[str]:
    """Arguments with each "-" replaced by stdin's non-blank lines (stdin is read once)."""
    out: list[str] = []
    stdin_lines: list[str] | None = None
    for value in values:
        if value != "-":
            out.append(value)
            continue
        if stdin_lines is None:
            stdin_lines = [line.strip() for line in sys.stdin if line.strip()]
        out.extend(stdin_lines)
    if not out:
        msg = f"no {what} given (stdin was empty or blank)"
        raise BadInput(msg)
    return out


def result_object(
    query: str, hits: list[Hit], channels_off: dict[str, str] | None = None
) -> dict[str, Any]:
    """The DESIGN.md ``--json`` object for one query; ``channels_off`` (channel -> why) is
    added only when a search channel was off, so a degraded ranking is never silent."""
    results = []
    for hit in hits:
        row = hit.to_dict()
        row["score"] = round(float(row["score"]), SCORE_DECIMALS)
        results.append(row)
    obj: dict[str, Any] = {"query": query, "results": results}
    if channels_off:
        obj["channels_off"] = dict(channels_off)
    return obj


def _emit_results(
    query: str, hits: list[Hit], as_json: bool, channels_off: dict[str, str] | None = None
) -> None:
    from cantus.output import emit

    obj = result_object(query, hits, channels_off)
    emit(obj, as_json, None if as_json else render_table(obj))


# Result columns for people; on a narrow terminal `why` goes first (it wraps, but never into
# fewer than WHY_MIN_WIDTH characters), then collection, meter, key; titles wrap.
WHY_MIN_WIDTH = 30
# Ids and scores never wrap or shorten, so a result's id can always be copied whole.
RESULT_COLUMNS = (
    ("#", "right", False, 0),
    ("score", "right", False, 0),
    ("title", "left", True, 0),
    ("key", "left", False, 2),
    ("meter", "left", False, 3),
    ("collection", "left", False, 4),
    ("why", "left", True, 5),
    ("id", "left", False, 0),
)


def render_table(obj: dict[str, Any], width: int | None = None, score: bool = True) -> str:
    """A people-readable table of one query's results (titles and queries printed literally)."""
    from cantus.caption_evidence import key_name  # "E-flat major", as `why` spells keys
    from cantus.output import WRAP_MIN_WIDTH, Column, table

    columns = [
        Column(name, justify, wrap, drop, WHY_MIN_WIDTH if name == "why" else WRAP_MIN_WIDTH)
        for name, justify, wrap, drop in RESULT_COLUMNS
        if score or name != "score"
    ]
    rows = []
    for rank, hit in enumerate(obj["results"], 1):
        cells = {
            "#": rank,
            "score": f"{hit['score']:.3f}",
            **{name: hit[name] for name in ("title", "meter", "collection", "why", "id")},
            "key": key_name({"key": hit["key"]}),
        }
        rows.append([cells[c.name] for c in columns])
    if not rows:
        rows = [["" if c.name != "title" else "(no results)" for c in columns]]
    return table(columns, rows, title=obj["query"], width=width)
