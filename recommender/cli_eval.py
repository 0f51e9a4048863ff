"""``cantus eval retrieval [--json]``: the encoder's retrieval report (see recommender.evaluate)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cantus.cli import Registry


def register(reg: Registry) -> None:
    parser = reg.add(
        reg.eval,
        "retrieval",
        _retrieval,
        help="text→music and music→music retrieval vs BM25 / MiniLM / random",
    )
    parser.add_argument(
        "--data-dir", default=None, help="data dir to evaluate (default: the one in use)"
    )
    parser.add_argument(
        "--transposed", type=int, default=500, help="pieces in the transposed-copy test"
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument(
        "--skip-set",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a fresh query set (fresh .. fresh10) out of this run, e.g. a blind "
        "set someone else scores; repeatable",
    )


def _retrieval(args: argparse.Namespace) -> int:
    from cantus.config import bench_dir
    from cantus.errors import BadInput
    from cantus.output import emit
    from recommender.eval_data import EvalConfig
    from recommender.evaluate import REPORT_NAME, evaluate_retrieval, summary_lines

    if args.transposed < 1:
        msg = f"--transposed must be >= 1 (received {args.transposed})"
        raise BadInput(msg)
    from recommender.eval_fresh import FRESH_SECTIONS

    unknown = sorted(set(args.skip_set) - set(FRESH_SECTIONS))
    if unknown:
        msg = f"--skip-set: no fresh query set {unknown} (known: {', '.join(FRESH_SECTIONS)})"
        raise BadInput(msg)
    cfg = EvalConfig(
        transposed_pieces=args.transposed, seed=args.seed, skip_sets=tuple(args.skip_set)
    )
    report = evaluate_retrieval(args.data_dir, cfg)
    text = "\n".join([*summary_lines(report), f"report: {bench_dir() / REPORT_NAME}"])
    emit(report, args.json, text)
    return 0
