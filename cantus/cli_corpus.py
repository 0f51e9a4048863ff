"""CLI commands of the core package: build, ingest, corpus errors, bench ingest.

Handlers import their heavy modules inside the function so ``cantus --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cantus import config
from cantus.errors import BadInput, MissingArtifact
from cantus.output import emit
from cantus.terminal import terminal_safe

STAGE_NAMES = "catalog,encoder,generator"


def register(reg) -> None:  # reg: cantus.cli.Registry
    _register_build(reg)
    _register_ingest(reg)
    _register_corpus_and_bench(reg)


def _register_build(reg) -> None:
    build = reg.add(reg.top, "build", handle_build, help="build catalog, encoder and generator")
    build.add_argument(
        "--corpus",
        nargs="+",
        default=["music21"],
        metavar="music21|PATH",
        help="corpus sources: music21's bundled corpus and/or folders of files",
    )
    build.add_argument(
        "--jobs", type=int, default=config.default_jobs(), help="parallel parse processes"
    )
    build.add_argument(
        "--profile",
        choices=("tiny", "default"),
        default="default",
        help="tiny: a fixed few hundred works (about a minute); default: everything",
    )
    build.add_argument(
        "--out", type=Path, default=None, help="output folder (default: $CANTUS_HOME/data)"
    )
    build.add_argument(
        "--stages", default=STAGE_NAMES, help=f"comma-separated subset of {STAGE_NAMES}"
    )
    _add_ray(build)


def _register_ingest(reg) -> None:
    ingest = reg.add(
        reg.top,
        "ingest",
        handle_ingest,
        help="add your own music files/folders to the catalog",
        description="Add music files and folders to your catalog. Only regular files are "
        "read; symbolic links are never followed (inside a folder or named here), and each "
        "bad file is one line on stderr while the good ones are kept. A file that failed "
        "before is not parsed again until its bytes change (or --retry-failed).",
    )
    ingest.add_argument(
        "paths", nargs="+", metavar="PATH", help=".mid .midi .musicxml .xml .mxl .abc .krn .mei"
    )
    ingest.add_argument(
        "--retry-failed",
        action="store_true",
        help="parse files that failed before even though their bytes did not change",
    )
    ingest.add_argument(
        "--jobs", type=int, default=config.default_jobs(), help="parallel parse processes"
    )
    _add_ray(ingest)


def _register_corpus_and_bench(reg) -> None:
    corpus = reg.top.add_parser("corpus", help="inspect the built corpus")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", metavar="WHAT", required=True)
    errors = reg.add(
        corpus_sub, "errors", handle_corpus_errors, help="works that failed to parse, with reasons"
    )
    errors.add_argument(
        "--data-dir", type=Path, default=None, help="data folder (default: the one in use)"
    )

    vectors = reg.add(
        corpus_sub,
        "vectors",
        handle_corpus_vectors,
        help="the vector store CANTUS_VECTORS names: its collections (--prune drops old ones)",
    )
    vectors.add_argument(
        "--prune",
        action="store_true",
        help="drop the cantus collections of earlier encoders (never the one in use)",
    )

    bench = reg.add(
        reg.bench, "ingest", handle_bench_ingest, help="ingest speed (pieces/s) at 1 and 2 jobs"
    )
    bench.add_argument("--works", type=int, default=600, help="corpus works in the sample")
    bench.add_argument(
        "--midi-files", type=int, default=200, help="MIDI files in the folder sample"
    )
    bench.add_argument(
        "--ray",
        action="store_true",
        help="local pool vs Ray on the same works in one run, plus a cluster projection",
    )


def _add_ray(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ray",
        action="store_true",
        help="parse on Ray: the cluster at RAY_ADDRESS, else a local Ray with --jobs CPUs",
    )


def _ray(args: argparse.Namespace):
    """The Ray session --ray / RAY_ADDRESS ask for (a no-op context without either)."""
    from cantus.distributed import ray_address, ray_session

    return ray_session(ray_address(getattr(args, "ray", False)), args.jobs)


# ------------------------------------------------------------------------------- build
def handle_build(args: argparse.Namespace) -> int:
    from cantus.build import run_build

    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    out_dir = args.out if args.out is not None else config.build_dir()
    with _ray(args) as cluster:
        record = run_build(
            args.corpus, out_dir, args.jobs, args.profile, stages, command=["cantus", *sys.argv[1:]]
        )
    if cluster:
        record["ray"] = cluster
    if Path(out_dir).resolve() == config.data_dir().resolve():  # the build now in use
        record["vectors"] = _sync_vectors()
    emit(record, args.json, text=_build_text(record, out_dir))
    return 0


def _sync_vectors() -> str:
    """Write the catalog's vectors to the store CANTUS_VECTORS names (Milvus); FAISS: no-op."""
    from recommender.vectors import sync_configured_store

    return sync_configured_store()


def _build_text(record: dict, out_dir: Path) -> str:
    lines = [f"built {', '.join(record['stages'])} into {out_dir} (profile {record['profile']})"]
    catalog = record["stages"].get("catalog", {}).get("metrics", {})
    if catalog:
        lines.append(
            f"catalog: {catalog['ok']} ok / {catalog['failed']} failed ({catalog['failed_pct']}%) "
            f"of {catalog['works']} works in {catalog['seconds']} s; "
            f"{len(catalog['skipped_files'])} non-score files skipped (see manifest.json)"
        )
    for name in ("encoder", "generator"):
        if name in record["stages"]:
            stage = record["stages"][name]
            lines.append(f"{name}: {stage['status']} in {stage['seconds']} s")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ ingest
def handle_ingest(args: argparse.Namespace) -> int:
    from cantus.user_ingest import ingest_paths
    from recommender.embed import embed_user_pieces

    if args.jobs < 1:
        raise BadInput(f"--jobs must be >= 1 (received {args.jobs})")
    with _ray(args):
        report = ingest_paths(
            args.paths,
            jobs=args.jobs,
            progress=not args.json,
            retry_failed=args.retry_failed,
            embed=embed_user_pieces,
        )
    if report.added and report.embedded == "embedded":
        report.embedded += f"; {_sync_vectors()}".rstrip("; ")
    for error in report.errors:  # one clear line per bad file/work
        where = f"{error['source']}#{error['number']}" if error["number"] else error["source"]
        print(terminal_safe(f"cantus: skipped {where}: {error['reason']}"), file=sys.stderr)
    text = (
        f"ingested {len(report.added)} piece{'' if len(report.added) == 1 else 's'} "
        f"({len(report.unchanged)} files unchanged, "
        f"{len(report.replaced)} replaced, {len(report.errors)} bad) in {report.seconds:.1f} s"
        + (f"; {report.embedded}" if report.embedded else "")
    )
    emit(report.to_dict(), args.json, text=text)
    nothing = not report.added and not report.unchanged and not report.replaced
    if nothing and not report.errors:
        from cantus.filecheck import MUSIC_SUFFIXES

        paths = ", ".join(str(p) for p in args.paths)
        print(
            f"cantus: no music files in {paths} (looked for {' '.join(MUSIC_SUFFIXES)})",
            file=sys.stderr,
        )
    # any bad file is bad input: scripts see it, while the good files stay ingested
    return 2 if nothing or report.errors else 0


# ------------------------------------------------------------------------ corpus errors
def handle_corpus_errors(args: argparse.Namespace) -> int:
    from cantus.ingest import ERRORS_FILE

    folder = args.data_dir if args.data_dir is not None else config.data_dir()
    path = Path(folder) / ERRORS_FILE
    if not path.is_file():
        raise MissingArtifact(f"no {ERRORS_FILE} in {folder}: run `cantus build`")
    errors = json.loads(path.read_text())
    lines = [f"{e['source']}#{e['number']}: {e['reason']}" for e in errors]
    lines.append(f"{len(errors)} works failed ({path})")
    emit({"errors": errors, "count": len(errors)}, args.json, text="\n".join(lines))
    return 0


def handle_corpus_vectors(args: argparse.Namespace) -> int:
    """The Milvus store's cantus collections: the one in use (synced now) and earlier ones."""
    from recommender.vectors import collections_report

    report = collections_report(prune=args.prune)
    if not report["store"].startswith("milvus"):
        text = "vectors live in FAISS, in process: no store to inspect (CANTUS_VECTORS unset)"
    else:
        old = ", ".join(report["dropped"] or report["others"]) or "none"
        verb = "dropped" if report["dropped"] else "earlier collections"
        hint = "" if args.prune or not report["others"] else " (`--prune` drops them)"
        text = f"{report['store']}: in use {report['in_use']}; {verb}: {old}{hint}"
    emit(report, args.json, text=text)
    return 0


# ------------------------------------------------------------------------------- bench
def handle_bench_ingest(args: argparse.Namespace) -> int:
    from cantus.bench_ingest import bench_ingest

    if getattr(args, "ray", False):
        return _bench_ingest_ray(args)

    report = bench_ingest(
        n_works=getattr(args, "works", 600), n_midi=getattr(args, "midi_files", 200)
    )
    out = config.bench_dir() / "ingest.json"
    out.write_text(json.dumps(report, indent=1))
    lines = [
        f"{name}: {r['pieces_per_s']} pieces/s, {r['jobs']} job(s) ({r['ok']} ok, {r['seconds']} s)"
        for name, r in report["runs"].items()
    ]
    emit(report, args.json, text="\n".join([*lines, f"saved {out}"]))
    return 0


def _bench_ingest_ray(args: argparse.Namespace) -> int:
    from cantus.bench_ray import bench_ingest_ray, summary

    report = bench_ingest_ray(n_works=getattr(args, "works", 600))
    out = config.bench_dir() / "ingest_ray.json"
    out.write_text(json.dumps(report, indent=1))
    emit(report, args.json, text="\n".join([*summary(report), f"saved {out}"]))
    return 0
