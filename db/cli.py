"""``cantus fav``, ``cantus history`` and ``cantus user``: the user database from the shell.

    cantus fav add|remove|list --user NAME [ID ...]
    cantus fav hide|unhide|hidden --user NAME [ID ...]     # "not for me", undoable
    cantus history --user NAME
    cantus seed rate --user NAME SEED STARS ; cantus seed save --user NAME SEED
    cantus seed export --user NAME SEED --out DIR   # seed-SEED.mid and seed-SEED.musicxml
    cantus user delete NAME ; cantus user list

``fav add`` and ``fav hide`` check ids against the catalog (``cantus.catalog.load_catalog``);
``fav remove`` / ``fav unhide`` check them against the user's favourites / hidden pieces, so
pieces gone from the catalog can still go. Hiding needs an existing user.
All checks happen before anything is written. ``cantus seed`` acts on the user's own seeds
only (ids from ``cantus history``): another person's seed is refused as an unknown id.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cantus.errors import BadInput, MissingArtifact

if TYPE_CHECKING:
    from cantus.cli import Registry


def register(reg: Registry) -> None:
    fav = reg.add(reg.top, "fav", _fav, help="add, remove or list a user's favourite pieces")
    # One sub-parser per action: a flat optional ID list would stop argparse from accepting
    # ids after --user (`cantus fav add --user ana ID`).
    actions = fav.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (
        ("add", "favourite pieces"),
        ("remove", "un-favourite pieces"),
        ("hide", '"not for me": never recommend these, and recommend less like them'),
        ("unhide", 'undo "not for me"'),
    ):
        sub = _action(actions, action, text)
        sub.add_argument("ids", nargs="+", metavar="ID", help="piece ids")
    _action(actions, "list", "list favourite piece ids, oldest first")
    _action(actions, "hidden", 'list "not for me" piece ids, oldest first')

    hist = reg.add(reg.top, "history", _history, help="a user's searches, plays, favourites, seeds")
    hist.add_argument("--user", required=True, help="user name")

    seed = reg.add(reg.top, "seed", _seed, help="rate, keep or export one of a user's seeds")
    seed_actions = seed.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, text in (
        ("rate", "rate a seed 1..5 stars"),
        ("save", "keep a seed (marked saved in the history)"),
        ("export", "write a seed's MIDI and MusicXML to a folder"),
    ):
        sub = _action(seed_actions, action, text)
        sub.add_argument("seed_id", type=int, metavar="SEED", help="seed id (`cantus history`)")
        if action == "rate":
            sub.add_argument("stars", type=int, metavar="STARS", help="1..5")
        if action == "export":
            sub.add_argument("--out", type=Path, required=True, help="folder to write into")

    user = reg.add(reg.top, "user", _user, help="list users, or delete one with all their history")
    user.add_argument("action", choices=("delete", "list"))
    user.add_argument("name", nargs="?", help="user name (delete)")


def _action(actions: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    sub = actions.add_parser(name, help=text)
    sub.add_argument("--user", required=True, help="user name")
    # SUPPRESS: an absent flag here must not reset `cantus fav --json add ...`.
    sub.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    return sub


def _catalog_ids() -> set[str]:
    try:
        from cantus.catalog import load_catalog
    except ImportError as exc:
        msg = f"cannot check piece ids: the catalog module is unavailable ({exc})"
        raise MissingArtifact(msg) from exc
    return set(load_catalog(columns=["id"])["id"].astype(str))


def _fav(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from db import repo

    if args.action == "list":
        ids = repo.list_favourites(args.user)
        emit({"user": args.user, "favourites": ids}, args.json, "\n".join(ids) or "(no favourites)")
        return
    if args.action == "hidden":
        ids = repo.list_hidden(args.user)
        emit({"user": args.user, "hidden": ids}, args.json, "\n".join(ids) or "(nothing hidden)")
        return
    actions = {"add": _fav_add, "remove": _fav_remove, "hide": _hide, "unhide": _unhide}
    result = actions[args.action](args.user, args.ids)
    emit(result, args.json, _fav_text(result))


def _fav_add(user: str, ids: list[str]) -> dict[str, Any]:
    from db import repo

    repo.validate_user_name(user)
    return _mark(user, ids, repo.add_favourite, ("added", "already"))


def _mark(
    user: str, ids: list[str], mark: Callable[[str, str], bool], names: tuple[str, str]
) -> dict[str, Any]:
    """Mark catalog pieces (favourite or hidden) once each: every id is checked first, so one
    typo marks nothing; ``names`` label the newly marked ids and those marked before."""
    from db import repo

    repo.check_piece_ids(ids, _catalog_ids().__contains__)
    done = [piece_id for piece_id in dict.fromkeys(ids) if mark(user, piece_id)]
    return {
        "user": user,
        names[0]: done,
        names[1]: [i for i in dict.fromkeys(ids) if i not in done],
    }


def _fav_remove(user: str, ids: list[str]) -> dict[str, Any]:
    from db import repo

    missing = f"not among the favourites of {user!r}"
    undone = _undo(user, ids, repo.list_favourites(user), repo.remove_favourite, missing)
    return {"user": user, "removed": undone}


def _undo(
    user: str, ids: list[str], current: list[str], undo: Callable[[str, str], Any], missing: str
) -> list[str]:
    """Undo favourites or hidden pieces: every id is checked against ``current`` before any is
    undone, so one typo leaves everything as it was; returns the ids undone, once each."""
    known = set(current)
    absent = [piece_id for piece_id in ids if piece_id not in known]
    if absent:
        raise BadInput(f"{missing}: {', '.join(absent)}")
    for piece_id in dict.fromkeys(ids):
        undo(user, piece_id)
    return list(dict.fromkeys(ids))


def _hide(user: str, ids: list[str]) -> dict[str, Any]:
    from db import repo

    repo.list_hidden(user)  # BadInput for an unknown user, before the catalog is read
    return _mark(user, ids, repo.hide_piece, ("hidden", "already_hidden"))


def _unhide(user: str, ids: list[str]) -> dict[str, Any]:
    from db import repo

    missing = f"not hidden for {user!r}"
    return {
        "user": user,
        "unhidden": _undo(user, ids, repo.list_hidden(user), repo.unhide_piece, missing),
    }


def _fav_text(result: dict[str, Any]) -> str:
    lines = [f"♥ {piece_id}" for piece_id in result.get("added", [])]
    lines += [f"♥ {piece_id} (already a favourite)" for piece_id in result.get("already", [])]
    lines += [f"removed {piece_id}" for piece_id in result.get("removed", [])]
    lines += [f"hidden {piece_id} (not for me)" for piece_id in result.get("hidden", [])]
    lines += [f"hidden {piece_id} (already)" for piece_id in result.get("already_hidden", [])]
    lines += [f"unhidden {piece_id}" for piece_id in result.get("unhidden", [])]
    return "\n".join(lines)


def _history(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from db import repo

    found = repo.history(args.user)
    emit(found, args.json, _history_text(found))


def _history_text(found: dict[str, Any]) -> str:
    lines = [f"{found['user']} (since {found['created_at']})"]
    lines += [f"  search  #{s['id']} {s['at']}  {s['query']!r}" for s in found["searches"]]
    lines += [
        f"  {e['kind']:<11} #{e['id']} {e['at']}  {e['piece_id']}"
        + (f" ({e['value']:g})" if e["value"] is not None else "")
        for e in found["interactions"]
    ]
    lines += [f"  ♥ favourite #{f['id']} {f['at']}  {f['piece_id']}" for f in found["favourites"]]
    lines += [
        f"  seed    #{s['id']} {s['at']}  from {', '.join(s['conditioned_on']) or '-'}"
        + (f" rated {s['rating']}" if s["rating"] is not None else "")
        + (" saved" if s["saved"] else "")
        for s in found["seeds"]
    ]
    lines += [
        f"  not for me #{h['id']} {h['at']}  {h['piece_id']}" for h in found.get("hidden", [])
    ]
    return "\n".join(lines)


def _seed(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from db import repo

    result: dict[str, Any] = {"user": args.user, "seed": args.seed_id}
    if args.action == "rate":
        repo.rate_seed(args.user, args.seed_id, args.stars)
        result["rating"] = args.stars
        text = f"seed #{args.seed_id} rated {args.stars}"
    elif args.action == "save":
        repo.set_seed_saved(args.user, args.seed_id, True)
        result["saved"] = True
        text = f"seed #{args.seed_id} saved"
    else:
        files = repo.seed_files(args.user, args.seed_id)  # refused before anything is written
        if args.out.exists() and not args.out.is_dir():
            raise BadInput(f"--out must be a folder (received the file {str(args.out)!r})")
        midi, xml = (args.out / f"seed-{args.seed_id}.{ext}" for ext in ("mid", "musicxml"))
        try:  # the same seed exported again overwrites its own two files, nothing else
            args.out.mkdir(parents=True, exist_ok=True)
            midi.write_bytes(files.midi)
            xml.write_text(files.musicxml, encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write to --out {str(args.out)!r}: {exc.strerror}") from exc
        result["files"] = [str(midi), str(xml)]
        text = "\n".join(result["files"])
    emit(result, args.json, text)


def _user(args: argparse.Namespace) -> None:
    from cantus.output import emit
    from db import repo

    if args.action == "list":
        users = [
            {"name": u.name, "created_at": u.created_at.isoformat()} for u in repo.list_users()
        ]
        emit({"users": users}, args.json, "\n".join(u["name"] for u in users) or "(no users)")
        return
    if args.name is None:
        raise BadInput("`cantus user delete` needs the user's name")
    from db.erase import erase_user

    erased = erase_user(args.name)  # rows, seed files and uploads
    summary = ", ".join(f"{count} {table}" for table, count in erased["rows"].items())
    summary += f"; {erased['files']} files (seeds, uploads)"
    emit({"deleted": args.name, **erased}, args.json, f"deleted {args.name!r}: {summary}")
