"""The ``cantus`` command line: the composition root.

Each area registers its own sub-commands (``register(reg)`` in the modules below) so that one
file does not grow with every feature. Modules are imported lazily from here only; nothing else
in the core package imports ``recommender``, ``generator``, ``db`` or ``dashboard``. Command
modules must keep heavy imports (torch, music21, faiss) inside their handlers so that
``cantus --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from cantus.errors import CantusError
from cantus.output import printable

COMMAND_MODULES = (
    "cantus.cli_corpus",  # build, ingest, corpus errors, bench ingest
    "recommender.cli",  # search, similar, bench search
    "recommender.cli_recommend",  # recommend, eval recommendation
    "recommender.cli_eval",  # eval retrieval
    "recommender.cli_scale",  # bench vectors
    "generator.cli",  # inspire, eval generation, bench generate
    "db.cli",  # fav, history, user delete
    "dashboard.cli",  # dashboard
    "dashboard.cli_render",  # render (the app's audio, to a WAV file)
)

Handler = Callable[[argparse.Namespace], "int | None"]


@dataclass
class Registry:
    """Sub-parser groups a command module adds to."""

    top: argparse._SubParsersAction
    eval: argparse._SubParsersAction
    bench: argparse._SubParsersAction

    def add(
        self, group: argparse._SubParsersAction, name: str, handler: Handler, **kw
    ) -> argparse.ArgumentParser:
        parser = group.add_parser(name, **kw)
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.set_defaults(func=handler)
        return parser


def _run_all_benches(args: argparse.Namespace) -> int:
    for name, parser_func in sorted(_BENCHES.items()):
        logging.getLogger("cantus").info("bench %s", name)
        parser_func(args)
    return 0


_BENCHES: dict[str, Handler] = {}


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line on stderr and exit 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"cantus: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cantus", description="Music search, recommendation and inspiration seeds."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    eval_parser = top.add_parser(
        "eval", help="evaluate retrieval, generation or recommendation (JSON report)"
    )
    bench_parser = top.add_parser(
        "bench", help="speed and memory benchmarks (printed and saved as JSON)"
    )
    bench_parser.add_argument("--json", action="store_true", help="machine-readable output")
    bench_parser.set_defaults(func=_run_all_benches)
    reg = Registry(
        top=top,
        eval=eval_parser.add_subparsers(dest="what", metavar="WHAT", required=True),
        bench=bench_parser.add_subparsers(dest="what", metavar="WHAT"),
    )
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # area not built yet
        module.register(reg)
    _BENCHES.update({name: sub.get_default("func") for name, sub in reg.bench.choices.items()})
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    debug = bool(os.environ.get("CANTUS_DEBUG"))
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.simplefilter("ignore")
            return int(args.func(args) or 0)
    except CantusError as exc:
        print(f"cantus: {printable(exc)}", file=sys.stderr)  # names user values: no raw ESC
        return exc.exit_code
    except KeyboardInterrupt:
        print("cantus: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            raise
        hint = "set CANTUS_DEBUG=1 for a traceback"
        reason = printable(exc)
        print(f"cantus: internal error: {type(exc).__name__}: {reason} ({hint})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
