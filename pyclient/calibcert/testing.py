"""Throw-away PostgreSQL servers for tests and benchmarks (testing.postgresql underneath).

PostgreSQL refuses to run as root, and CI runs as root: when the current user is root the
server binaries are started through ``setpriv`` as an unprivileged account (``postgres``,
or ``$CALIBCERT_PG_USER``), and the server's directory is handed to that account. Nothing
here skips: if no server can be started, :func:`start_server` raises with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import tempfile
from typing import Any

#: Server settings for throw-away clusters: durability off (nothing here must survive a
#: crash), enough connections for the concurrency tests.
SERVER_ARGS = (
    "-h 127.0.0.1 -F -c logging_collector=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB "
    "-c max_locks_per_transaction=256"
)


def find_bindir() -> str:
    """Directory of the PostgreSQL server binaries ($CALIBCERT_PG_BINDIR, else the newest
    /usr/lib/postgresql/*/bin, else PATH)."""
    env = os.environ.get("CALIBCERT_PG_BINDIR")
    if env:
        return env
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if candidates:
        return os.path.dirname(candidates[-1])
    found = shutil.which("postgres")
    if found:
        return os.path.dirname(found)
    raise RuntimeError(
        "PostgreSQL server binaries not found: install them (apt-get install -y postgresql) "
        "or set CALIBCERT_PG_BINDIR"
    )


def _unprivileged_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    name = os.environ.get("CALIBCERT_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"running as root, and there is no user {name!r} to run PostgreSQL as: create one "
            "(useradd --system postgres) or set CALIBCERT_PG_USER"
        ) from None


def _wrapper(directory: str, program: str, user: pwd.struct_passwd) -> str:
    """A script that runs ``program`` as ``user`` (setpriv execs: the pid stays the server's,
    so stopping the wrapper's process stops the server)."""
    path = os.path.join(directory, os.path.basename(program))
    with open(path, "w") as f:
        f.write(
            "#!/bin/sh\ncd /\n"
            f"exec setpriv --reuid={user.pw_uid} --regid={user.pw_gid} --init-groups "
            f'-- {program} "$@"\n'
        )
    os.chmod(path, stat.S_IRWXU)
    return path


def start_server(**settings: Any):
    """Start a PostgreSQL server; returns a testing.postgresql.Postgresql (call .stop())."""
    import testing.postgresql

    bindir = find_bindir()
    user = _unprivileged_user()
    initdb = os.path.join(bindir, "initdb")
    postgres = os.path.join(bindir, "postgres")
    wrapdir = None
    if user is not None:
        wrapdir = tempfile.mkdtemp(prefix="calibcert-pgwrap-")
        initdb = _wrapper(wrapdir, initdb, user)
        postgres = _wrapper(wrapdir, postgres, user)

    class _Server(testing.postgresql.Postgresql):
        def initialize_database(self) -> None:
            if user is not None:
                for root, dirs, files in os.walk(self.base_dir):
                    os.chown(root, user.pw_uid, user.pw_gid)
                    for name in dirs + files:
                        os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)
            super().initialize_database()

        def cleanup(self) -> None:
            super().cleanup()
            if wrapdir:
                shutil.rmtree(wrapdir, ignore_errors=True)

    settings.setdefault("postgres_args", SERVER_ARGS)
    return _Server(initdb=initdb, postgres=postgres, **settings)


def server_url(server, dbname: str = "postgres") -> str:
    dsn = server.dsn()
    return f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}/{dbname}"


# -- the Rubin Butler, for the tests and benchmarks that compare with it -----------------------

#: The Butler's own virtual environment (made once, reused): $CALIBCERT_BUTLER_VENV, else
#: ~/.cache/calibcert/butler-venv.
BUTLER_VENV = os.environ.get("CALIBCERT_BUTLER_VENV",
                             os.path.join(os.path.expanduser("~"), ".cache", "calibcert",
                                          "butler-venv"))
#: What it gets: psycopg (3) is the driver SQLAlchemy picks for a ``postgresql://`` registry.
BUTLER_REQUIREMENTS = ("lsst-daf-butler", "psycopg[binary]")
#: Written last by a complete install, listing BUTLER_REQUIREMENTS: without it, or with
#: another list, the environment is made again.
BUTLER_MARKER = "calibcert-butler-ready"


def butler_python() -> str:
    """The interpreter of a virtual environment holding lsst-daf-butler from the Python
    registry, installed first if needed (once; a few minutes). Raises RuntimeError with
    pip's output when it cannot be installed: callers fail, never skip."""
    import subprocess
    import venv

    python = os.path.join(BUTLER_VENV, "bin", "python")
    marker = os.path.join(BUTLER_VENV, BUTLER_MARKER)
    if os.path.exists(python) and os.path.exists(marker):
        with open(marker) as f:
            if f.read().split() == [*BUTLER_REQUIREMENTS]:
                return python
    if os.path.exists(BUTLER_VENV):
        shutil.rmtree(BUTLER_VENV)
    venv.EnvBuilder(with_pip=True, clear=True).create(BUTLER_VENV)
    cmd = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           *BUTLER_REQUIREMENTS]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot install the Butler ({' '.join(cmd)}):\n"
                           f"{done.stdout[-2000:]}{done.stderr[-3000:]}")
    check = subprocess.run([python, "-c", "import lsst.daf.butler, psycopg"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"the Butler was installed but does not import:\n{check.stderr}")
    with open(marker, "w") as f:
        f.write(" ".join(BUTLER_REQUIREMENTS) + "\n")
    return python
