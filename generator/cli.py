"""``cantus inspire``, ``cantus eval generation`` and ``cantus bench generate``.

    cantus inspire (--user NAME | --from ID,ID,... | --motif FILE | --text QUERY | --vary ID)
                   [--bars 8] [--key "D minor"] [--meter 3/4] [--form phrase|AB|AABB]
                   [--ending closed|open] [--texture melody|melody+bass] [--keep rhythm|contour]
                   [-n 4] [--temperature 1.0] [--top-p 0.95] [--seed 0] [--out DIR] [--json]

``--json`` prints ``{"seeds": [{"id", "midi", "musicxml", "bars", "key", "meter",
"conditioned_on", "fidelity", "max_copied_notes", "texture", "voices", "texture_note", "form",
"ending", "phrase_ends", "conditioned_titles", ...}]}`` (``--text`` adds ``query`` and
``facets``, ``--vary`` adds ``variation`` and ``source_copied_notes``). With ``--user`` the seeds
are conditioned on the user's favourites and stored in their history (``db.repo.save_seed``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cantus.errors import BadInput
from generator.checks import TEMPERATURE

if TYPE_CHECKING:
    from cantus.cli import Registry

log = logging.getLogger(__name__)


def register(reg: Registry) -> None:
    _register_inspire(reg)
    _register_reports(reg)


def _register_inspire(reg: Registry) -> None:
    p = reg.add(reg.top, "inspire", _inspire, help="generate inspiration seeds (MIDI + MusicXML)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--user", help="condition on this user's favourites (seeds go to their history)"
    )
    src.add_argument(
        "--from", dest="from_ids", metavar="ID,ID,...", help="condition on these piece ids"
    )
    src.add_argument(
        "--motif", metavar="FILE", help="continue this MIDI/MusicXML/ABC/Humdrum/MEI motif"
    )
    src.add_argument(
        "--text",
        metavar="QUERY",
        help='condition on the pieces a description finds ("melancholy waltz")',
    )
    src.add_argument("--vary", metavar="ID", help="write variations of this piece's opening")
    p.add_argument(
        "--keep",
        choices=("rhythm", "contour"),
        help="with --vary: keep the rhythm (new pitches, default) or the contour (new rhythm)",
    )
    p.add_argument(
        "--form",
        default="phrase",
        help="phrase (default), AB (open antecedent + consequent: even --bars, at least 4) or "
        "AABB (dance tune, four strains of 4+ bars: --bars 16)",
    )
    p.add_argument(
        "--ending", default="closed", help="closed (tonic, default) or open (dominant) last phrase"
    )
    p.add_argument(
        "--texture",
        help="melody or melody+bass (default: melody+bass when most pieces have several parts)",
    )
    p.add_argument("--bars", type=int, default=8, help="bars per seed (1..16, default 8)")
    p.add_argument(
        "--key", help='key of the seeds, e.g. "D minor" (default: majority of the pieces)'
    )
    p.add_argument("--meter", help="metre, e.g. 3/4 (default: majority of the pieces)")
    p.add_argument("-n", type=int, default=4, help="number of seeds (default 4)")
    p.add_argument(
        "--temperature",
        type=float,
        default=TEMPERATURE,
        help=f"sampling temperature (default {TEMPERATURE})",
    )
    p.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same seeds)")
    p.add_argument(
        "--guidance",
        type=float,
        help="classifier-free guidance scale, 0..10: above 1 follows the pieces more closely "
        "(default: the generator's tuned value)",
    )
    p.add_argument("--out", help="folder for the .mid/.musicxml files (default $CANTUS_HOME/seeds)")


def _register_reports(reg: Registry) -> None:
    e = reg.add(
        reg.eval,
        "generation",
        _eval,
        help="per style: overlapped areas, phrase endings, voices, fidelity, control, copying "
        "(new decoder vs earlier decoder vs n-gram; tuned on a tune split, test split reported)",
    )
    e.add_argument(
        "--requests",
        type=int,
        default=6,
        help="requests per style and split (default 6; at most what the smallest pool, tune or "
        "test, allows: more is an error naming that limit)",
    )
    e.add_argument("--seed", type=int, default=0, help="random seed")
    e.add_argument(
        "--general",
        action="store_true",
        help="also run the earlier whole-catalog report (fidelity variants, key control, NLL)",
    )

    b = reg.add(reg.bench, "generate", _bench, help="seed generation latency (p50/p95)")
    b.add_argument("--repeats", type=int, default=10, help="timed runs per case (default 10)")


def _split_ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        msg = f"--from needs comma-separated piece ids (received {text!r})"
        raise BadInput(msg)
    return ids


def _favourites(user: str) -> list[str]:
    from db import repo

    ids = repo.list_favourites(user)
    if not ids:
        msg = f"user {user!r} has no favourites; add some with `cantus fav add --user {user} ID`"
        raise BadInput(msg)
    return ids


def _inspire(args: argparse.Namespace) -> int:
    from cantus.output import emit

    from_ids = _precheck(args)  # bad options fail here, before torch and the models load
    from generator.inspire import inspire
    from generator.phrase import check_form
    from recommender.engine import Engine

    check_form(args.form, args.ending, args.bars)
    engine = Engine.load()
    seeds = inspire(
        engine,
        from_ids=from_ids,
        motif_path=args.motif,
        bars=args.bars,
        key=args.key,
        meter=args.meter,
        n=args.n,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        out_dir=args.out,
        guidance=args.guidance,
        text=args.text,
        vary=args.vary,
        keep=args.keep,
        form=args.form,
        ending=args.ending,
        texture=args.texture,
    )
    if args.user is not None:
        _record(args, seeds, engine)
    payload = {"seeds": [s.to_dict() for s in seeds]}
    emit(payload, args.json, _text(payload["seeds"]))
    return 0


def _precheck(args: argparse.Namespace) -> list[str] | None:
    """Every check that needs no model; the conditioning ids (None without --from/--user)."""
    from cantus.config import data_dir
    from cantus.precheck import check_music_path, check_piece_ids
    from generator.checks import (
        check_bars,
        check_guidance,
        check_meter,
        check_sampling,
        generator_meters,
        parse_key,
    )
    from recommender.checks import catalog_key

    check_bars(args.bars)
    check_sampling(args.n, args.temperature, args.top_p)
    if args.guidance is not None:
        check_guidance(args.guidance)
    if args.key is not None:
        args.key = catalog_key(args.key.strip())  # "E-flat major", as tables print it, works
        parse_key(args.key)
    if args.meter is not None:
        check_meter(args.meter, generator_meters(data_dir()))
    if args.motif is not None:
        check_music_path(args.motif, "motif file")
    if getattr(args, "vary", None) is not None:
        args.vary = check_piece_ids([args.vary])[0]
    if args.user is not None:
        return check_piece_ids(_favourites(args.user))
    if args.from_ids is not None:
        return check_piece_ids(_split_ids(args.from_ids))
    return None


def _record(args: argparse.Namespace, seeds: list[Any], engine: Any) -> None:
    from db import repo
    from generator.inspire import engine_generator_dir, get_generator, model_version

    version = model_version(get_generator(engine_generator_dir(engine)))
    params = {
        "form": args.form,
        "ending": args.ending,
        "guidance": args.guidance,
        "bars": args.bars,
        "key": args.key,
        "meter": args.meter,
        "n": args.n,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "seed": args.seed,
    }
    for s in seeds:
        repo.save_seed(
            args.user,
            s.conditioned_on,
            # "files": where the seed was written, removed with the user (db.erase)
            {**params, "seed_id": s.id, "fidelity": s.fidelity, "files": _paths(s)},
            version,
            Path(s.midi).read_bytes(),
            Path(s.musicxml).read_text(encoding="utf-8"),
        )


def _paths(seed: Any) -> list[str]:
    return [str(Path(seed.midi).resolve()), str(Path(seed.musicxml).resolve())]


def _text(seeds: list[dict]) -> str:
    from cantus.caption_evidence import key_name  # "E-flat major", as tables and `why` spell keys

    lines = []
    if seeds:
        first = seeds[0]
        names = ", ".join(first.get("conditioned_titles") or first["conditioned_on"])
        lines.append(f"conditioned on: {names}")
        if first.get("query"):
            lines.append(f"query facets: {', '.join(first.get('facets') or []) or 'none'}")
        if first.get("texture_note"):
            lines.append(f"texture: {first['texture_note']}")
    for s in seeds:
        lines.append(
            f"{s['id']}  {s['bars']} bars  {key_name({'key': s['key']})}  {s['meter']}  {s['form']}"
            f"  fidelity {s['fidelity']:.3f}  longest copied run {s['max_copied_notes']} notes"
            f"\n    {s['midi']}\n    {s['musicxml']}"
        )
    return "\n".join(lines) or "(no seeds)"


def _eval(args: argparse.Namespace) -> int:
    from cantus.config import bench_dir
    from cantus.output import emit
    from generator.eval_styles import evaluate_styles
    from generator.evaluate import evaluate_generation, save_report

    if not 1 <= args.requests <= 50:
        msg = f"--requests must lie in 1..50 (received {args.requests})"
        raise BadInput(msg)
    from recommender.engine import Engine

    examples = bench_dir() / "generation-examples"
    engine = Engine.load()  # one engine for both reports
    report = evaluate_styles(
        per_split=args.requests, seed=args.seed, engine=engine, examples=examples
    )
    if args.general:
        report["general"] = evaluate_generation(seed=args.seed, engine=engine)
    path = save_report(report)
    emit(report, args.json)
    log.info("report saved to %s", path)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from cantus.output import emit
    from generator.bench import bench_generate

    report = bench_generate(repeats=getattr(args, "repeats", 10))
    emit(report, args.json)
    return 0
