"""``cantus recommend`` and ``cantus eval recommendation``.

    cantus recommend --user NAME [-k 10] [--seed 0] [--json]
    cantus eval recommendation [--users-per-taste 12] [--seed 0] [--json]
    cantus bench recommend [--json]

``recommend --json`` prints one line ``{"query": "user:NAME", "results": [Hit fields]}`` (the
DESIGN.md result contract). The evaluation report is printed and saved to
``cantus.config.bench_dir() / "eval_recommendation.json"``.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cantus.cli import Registry
    from recommender.engine import Engine

REPORT_NAME = "eval_recommendation.json"


def register(reg: Registry) -> None:
    rec = reg.add(
        reg.top, "recommend", _recommend, help="personal recommendations from a user's history"
    )
    rec.add_argument("--user", required=True, help="user name")
    rec.add_argument("-k", type=int, default=10, help="number of results (default 10)")
    rec.add_argument(
        "--seed", type=int, default=0, help="seed of the cold-start sample (default 0)"
    )

    ev = reg.add(
        reg.eval, "recommendation", _eval, help="simulated-user evaluation of recommendations"
    )
    ev.add_argument(
        "--users-per-taste",
        type=int,
        default=12,
        help="simulated listeners per taste and per pair of tastes (default 12)",
    )
    ev.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")

    reg.add(reg.bench, "recommend", _bench, help="warm latency of personal recommendations")


def load_engine() -> Engine:
    """The serving engine (a function so tests can hand in a small one)."""
    from recommender.engine import Engine

    return Engine.load()


def _recommend(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from db import repo
    from recommender.engine import check_k
    from recommender.personal import recommend
    from recommender.personal_types import Interaction

    k = check_k(args.k)
    history = [
        Interaction.from_row(row) for row in repo.interactions(args.user)
    ]  # BadInput if unknown
    hits = recommend(load_engine(), history, k=k, seed=args.seed)
    result = {"query": f"user:{args.user}", "results": [hit.to_dict() for hit in hits]}
    emit(result, args.json, None if args.json else _table(args.user, result["results"]))


def _table(user: str, results: list[dict[str, Any]]) -> str:
    """The ranking as a table; the per-interest ``score`` stays in ``--json`` (it is not the
    rank: interests are interleaved, so printed scores would look out of order)."""
    from recommender.cli import render_table

    if not results:
        return "(no recommendations)"
    return render_table({"query": f"recommended for {user}", "results": results}, score=False)


def _eval(args: argparse.Namespace) -> None:
    from cantus.config import bench_dir
    from cantus.errors import BadInput
    from cantus.output import emit
    from recommender.eval_recommend import EvalConfig, evaluate

    try:
        config = EvalConfig(users_per_taste=args.users_per_taste, seed=args.seed)
    except ValueError as exc:
        raise BadInput(str(exc)) from exc
    report = evaluate(load_engine(), config)
    path = bench_dir() / REPORT_NAME
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    emit(report, args.json, _eval_text(report, str(path)))


def _bench(args: argparse.Namespace) -> None:
    from recommender.bench_recommend import run

    run(load_engine(), args.json)


def _eval_text(report: dict[str, Any], path: str) -> str:
    methods = report["splits"]["test"]
    if not report["users"]["test"]:
        return f"no usable tastes in this catalog (see {path})"
    columns = [c for c in next(iter(methods.values())) if c not in ("coverage", "p95_ms")]
    lines = ["test split (tastes never used for tuning):"]
    lines.append(f"{'method':<22}" + "".join(f"{c:>24}" for c in columns))
    for name, row in methods.items():
        cells = "".join(f"{'-' if row[c] is None else row[c]:>24}" for c in columns)
        lines.append(f"{name:<22}{cells}")
    for name, hide in report["not_for_me"]["test"].items():
        lines.append(
            f"not for me, {name}: {hide['hidden_returned']} of {hide['hidden_pieces']} hidden "
            f"pieces returned; wanted share {hide['wanted_share_before']} -> "
            f"{hide['wanted_share_after']} ({hide['listeners']} listeners)"
        )
    tuned = report["tuned_on_tune_split"]
    lines.append(f"tuned on the tune split: {tuned['best']} (shipped {tuned['shipped']})")
    for name, target in report["targets"].items():
        state = "met" if target["met"] else "NOT met"
        lines.append(f"target {name} {target['target']}: {target['value']} ({state})")
    users = report["users"]
    lines.append(
        f"{users['test']} test + {users['tune']} tune listeners, {report['seconds']}s; "
        f"report saved to {path}"
    )
    return "\n".join(lines)
