"""``cantus dashboard [streamlit options]``: start the Streamlit app.

Options after ``dashboard`` go to ``streamlit run`` unchanged (``--server.port 8502``,
``--server.headless true``, ...), so every Streamlit setting is reachable without a wrapper.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
SERVER = APP.with_name("server.py")  # app.py behind st.App, warming the engine at start-up
MAX_UPLOAD_MB = 2  # a motif is a few bars; the server refuses bigger uploads (not only the page)
# Defaults the user can still override: listen on this computer only (`--server.address
# 0.0.0.0` opens it up, and then a sign-in is required: dashboard.access), no usage stats and
# no external-IP lookup (both are network calls; a serverAddress set by hand skips the
# lookup), no tracebacks, no "Deploy", uploads capped on the server.
DEFAULT_OPTIONS = (
    "--server.address",
    "127.0.0.1",
    "--server.maxUploadSize",
    str(MAX_UPLOAD_MB),
    "--browser.gatherUsageStats",
    "false",
    "--browser.serverAddress",
    "localhost",
    "--client.showErrorDetails",
    "none",
    "--client.toolbarMode",
    "minimal",
)


def register(reg) -> None:
    parser = reg.add(
        reg.top,
        "dashboard",
        run,
        help="start the web dashboard (Streamlit options such as --server.port N pass through)",
        description="Start the cantus web dashboard on 127.0.0.1 (this computer only). Every "
        "other option goes to `streamlit run`, e.g. `cantus dashboard --server.port 8502 "
        "--server.headless true`. `--server.address 0.0.0.0` opens it to the network; then "
        "everyone signs in (CANTUS_AUTH_HEADER from a reverse proxy, or Streamlit's st.login "
        "configured under [auth] in .streamlit/secrets.toml) and sees only their own history.",
    )
    _pass_unknown_options(parser)
    reg.add(
        reg.bench,
        "dashboard",
        _bench,
        help="seconds from `cantus dashboard` to first search results in headless Chromium",
    )


def _bench(args: argparse.Namespace) -> int:
    from cantus.output import emit
    from dashboard.bench import bench_dashboard

    emit(bench_dashboard(), args.json)
    return 0


def _pass_unknown_options(parser: argparse.ArgumentParser) -> None:
    """Keep options argparse does not know (``--server.port 8502``) for Streamlit.

    ``nargs=REMAINDER`` cannot do this when the first extra starts with ``--``, and the top
    parser rejects leftovers, so this sub-parser files them under ``streamlit_args`` itself.
    """
    parse_known = parser.parse_known_args

    def parse_known_args(args=None, namespace=None):
        parsed, extras = parse_known(args, namespace)
        parsed.streamlit_args = [*getattr(parsed, "streamlit_args", []), *extras]
        return parsed, []

    parser.parse_known_args = parse_known_args
    parser.set_defaults(streamlit_args=[])


def streamlit_command(extra: list[str]) -> list[str]:
    """The `python -m streamlit run` command line, user options last so they win."""
    passthrough = [arg for arg in extra if arg != "--"]  # "--" may separate them too
    return [sys.executable, "-m", "streamlit", "run", str(SERVER), *DEFAULT_OPTIONS, *passthrough]


def open_address_note(cmd: list[str]) -> str | None:
    """What to know when the command line opens the app to the network (None on loopback)."""
    address = "127.0.0.1"
    for i, arg in enumerate(cmd):  # the last one wins, as in Streamlit
        if arg == "--server.address" and i + 1 < len(cmd):
            address = cmd[i + 1]
        elif arg.startswith("--server.address="):
            address = arg.split("=", 1)[1]
    if address in ("127.0.0.1", "localhost", "::1"):
        return None
    how = (
        f"signed in by the {os.environ['CANTUS_AUTH_HEADER']} header of your proxy"
        if os.environ.get("CANTUS_AUTH_HEADER")
        else "signed in (set CANTUS_AUTH_HEADER for a reverse proxy, or [auth] in "
        ".streamlit/secrets.toml for st.login); until then the app lets nobody in"
    )
    return f"the dashboard listens on {address or 'every interface'}: people must be {how}"


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    root = str(APP.parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.setdefault("HF_HUB_OFFLINE", "1")  # models are local; never reach for the network
    cmd = streamlit_command(list(args.streamlit_args or []))
    note = open_address_note(cmd)
    if note:
        print(f"cantus: {note}", file=sys.stderr)
    if os.name == "posix":
        # Become the server: a signal to `cantus dashboard` then reaches Streamlit itself,
        # where a child process would be orphaned (and keep its engine in memory) on SIGTERM.
        os.execve(cmd[0], cmd, env)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0
