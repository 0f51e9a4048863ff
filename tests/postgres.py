"""A throw-away PostgreSQL cluster for the database tests (Debian's ``postgresql`` package).

``pg_server`` runs ``initdb`` into a temporary folder and starts it with ``pg_ctl`` on a free
loopback port, with password (scram) authentication so a wrong password is a real failure.
As root (CI) the server runs as the ``postgres`` user (or ``nobody``): PostgreSQL refuses to run
as root. Without the binaries the tests that need it are skipped, saying why; ``.ci/run``
installs the package as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "cantus"
NOT_INSTALLED = (
    "PostgreSQL is not installed (initdb/pg_ctl not found; `apt-get install postgresql`, "
    "which .ci/run does as root)"
)


@dataclass(frozen=True)
class PgServer:
    port: int
    password: str

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql+psycopg://{USER}:{secret}@127.0.0.1:{self.port}/{database}"


def pg_bin_dir() -> Path | None:
    """Folder holding initdb and pg_ctl: on PATH, else Debian's newest versioned folder."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(versions[-1]).parent if versions else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The account to run the server under when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("running as root and no 'postgres' or 'nobody' account to run PostgreSQL")
    return None


def _cmd(user: str | None, *args: str) -> list[str]:
    return ["runuser", "-u", user, "--", *args] if user else list(args)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = pg_bin_dir()
    if bindir is None:
        pytest.skip(NOT_INSTALLED)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install 'cantus[scale]'")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="cantus-pg-"))
    password = secrets.token_hex(8)
    (root / "pw").write_text(password + "\n")
    if user:
        info = pwd.getpwnam(user)
        os.chmod(root, 0o700)
        os.chown(root, info.pw_uid, info.pw_gid)
        os.chown(root / "pw", info.pw_uid, info.pw_gid)
    data, port = root / "data", _free_port()
    subprocess.run(
        _cmd(user, str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=scram-sha-256",
             f"--pwfile={root / 'pw'}", "-E", "UTF8", "--no-sync"),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _cmd(user, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
             "-l", str(root / "log"), "-w", "-t", "60", "start"),
        check=True, capture_output=True, timeout=90,
    )  # fmt: skip
    try:
        yield PgServer(port, password)
    finally:
        subprocess.run(
            _cmd(user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True, timeout=60,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database on the throw-away server; dropped after the test."""
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    admin = pg_server.url().replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    from db.session import dispose_engines

    dispose_engines()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
