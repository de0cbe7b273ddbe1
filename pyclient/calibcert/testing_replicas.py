"""Throw-away replicated clusters for tests and benchmarks: a primary, hot standbys made by
``pg_basebackup -R`` (streaming replication), and PgBouncer in transaction pooling mode.

As in :mod:`calibcert.testing`, every server runs as an unprivileged account when we are
root (PostgreSQL and PgBouncer both refuse root), and nothing skips: a binary that is
missing or a server that does not come up raises with the reason. Everything listens on
127.0.0.1 only; :meth:`Cluster.stop` stops every process it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Any

import psycopg

from .testing import (
    SERVER_ARGS,
    _unprivileged_user,
    _wrapper,
    find_bindir,
    server_url,
    start_server,
)

#: The primary's extra settings: WAL for streaming standbys, feedback so that long
#: standby reads do not get cancelled by vacuum on the primary.
PRIMARY_ARGS = SERVER_ARGS + " -c wal_level=replica -c max_wal_senders=10 -c wal_keep_size=256MB"
#: A standby's settings: readable while it replays; replay reports back promptly.
STANDBY_ARGS = ("-h 127.0.0.1 -F -c logging_collector=off -c max_connections=200"
                " -c shared_buffers=128MB -c max_locks_per_transaction=256 -c hot_standby=on"
                " -c hot_standby_feedback=on -c wal_receiver_status_interval=1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except psycopg.Error:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


class _Runner:
    """Runs server programs as the unprivileged account (or ourselves when not root)."""

    def __init__(self, base: str) -> None:
        self.user = _unprivileged_user()
        self.base = base
        self.wrapdir = os.path.join(base, "bin")
        os.makedirs(self.wrapdir)

    def program(self, path: str) -> str:
        return path if self.user is None else _wrapper(self.wrapdir, path, self.user)

    def own(self, path: str) -> None:
        """Hand ``path`` (a directory) to the account the servers run as."""
        if self.user is None:
            return
        for root, dirs, files in os.walk(path):
            os.chown(root, self.user.pw_uid, self.user.pw_gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), self.user.pw_uid, self.user.pw_gid)


class Standby:
    """A hot standby of the cluster's primary (its own data directory and port)."""

    def __init__(self, runner: _Runner, bindir: str, primary_port: int, name: str) -> None:
        self.name, self._runner, self._bindir = name, runner, bindir
        self.datadir = os.path.join(runner.base, name)
        os.makedirs(self.datadir, mode=0o700)
        runner.own(self.datadir)
        self.port = free_port()
        subprocess.run(
            [runner.program(os.path.join(bindir, "pg_basebackup")), "-h", "127.0.0.1",
             "-p", str(primary_port), "-U", "postgres", "-D", self.datadir, "-R",
             "-X", "stream", "-c", "fast", "--no-sync"],
            check=True, capture_output=True, timeout=120)
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        log = open(os.path.join(self._runner.base, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(
            [self._runner.program(os.path.join(self._bindir, "postgres")), "-D", self.datadir,
             "-p", str(self.port), "-k", self.datadir, *STANDBY_ARGS.split()],
            stdout=log, stderr=log)
        log.close()
        _wait_until(self._ready, f"standby {self.name} to accept connections")

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"standby {self.name} exited: see "
                               f"{self._runner.base}/{self.name}.log")
        with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
            return conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is not None

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT), as an operator or a crash would take it away."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def promote(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("SELECT pg_promote(true, 30)")


class PgBouncer:
    """PgBouncer in transaction pooling mode in front of ``targets`` ({alias: (port, db)})."""

    def __init__(self, runner: _Runner, targets: dict[str, tuple[int, str]],
                 pool_size: int = 2) -> None:
        binary = os.environ.get("CALIBCERT_PGBOUNCER") or shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
        if binary is None:
            raise RuntimeError("pgbouncer not found: install it (apt-get install -y pgbouncer)"
                               " or set CALIBCERT_PGBOUNCER")
        self.dir = os.path.join(runner.base, "pgbouncer")
        os.makedirs(self.dir)
        self.port = free_port()
        dbs = "\n".join(f"{alias} = host=127.0.0.1 port={port} dbname={db}"
                        for alias, (port, db) in targets.items())
        with open(os.path.join(self.dir, "userlist.txt"), "w") as f:
            f.write('"postgres" ""\n')
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(ini, "w") as f:
            f.write(f"[databases]\n{dbs}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
                    f"listen_port = {self.port}\nunix_socket_dir =\nauth_type = trust\n"
                    f"auth_file = {self.dir}/userlist.txt\npool_mode = transaction\n"
                    f"default_pool_size = {pool_size}\nmax_client_conn = 500\n"
                    f"logfile = {self.dir}/pgbouncer.log\n")
        runner.own(self.dir)
        self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            [runner.program(binary), ini], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dir, "stderr.log"), "wb"))
        first = next(iter(targets))

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: see {self.dir}/pgbouncer.log")
            with psycopg.connect(self.url(first), connect_timeout=2,
                                 prepare_threshold=None) as conn:
                return conn.execute("SELECT 1").fetchone()[0] == 1

        _wait_until(ready, "pgbouncer to accept connections")

    def url(self, alias: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{alias}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Cluster:
    """A primary (a calibcert.testing server), hot standbys and optionally PgBouncer."""

    def __init__(self) -> None:
        self.base = tempfile.mkdtemp(prefix="calibcert-cluster-")
        os.chmod(self.base, 0o755)
        self.runner = _Runner(self.base)
        self.bindir = find_bindir()
        self.primary = start_server(postgres_args=PRIMARY_ARGS)
        self.primary_port = self.primary.dsn()["port"]
        self.standbys: list[Standby] = []
        self.bouncer: PgBouncer | None = None

    def primary_url(self, dbname: str) -> str:
        return server_url(self.primary, dbname)

    def add_standby(self) -> Standby:
        s = Standby(self.runner, self.bindir, self.primary_port,
                    f"standby{len(self.standbys) + 1}")
        self.standbys.append(s)
        return s

    def add_bouncer(self, dbname: str, pool_size: int = 2) -> PgBouncer:
        """PgBouncer with aliases ``primary`` and ``standby1``, ``standby2``... for
        ``dbname`` on each server."""
        targets = {"primary": (self.primary_port, dbname)}
        targets.update({s.name: (s.port, dbname) for s in self.standbys})
        self.bouncer = PgBouncer(self.runner, targets, pool_size)
        return self.bouncer

    def wait_replayed(self, standby: Standby, dbname: str = "postgres",
                      timeout: float = 30.0) -> None:
        """Until ``standby`` has replayed everything the primary has written so far."""
        with psycopg.connect(self.primary_url("postgres")) as conn:
            target = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]

        def replayed() -> bool:
            with psycopg.connect(standby.url(dbname)) as conn:
                return conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                    (str(target),)).fetchone()[0]

        _wait_until(replayed, f"{standby.name} to replay {target}", timeout)

    def stop(self) -> None:
        if self.bouncer is not None:
            self.bouncer.stop()
        for s in self.standbys:
            s.stop()
        self.primary.stop()
        shutil.rmtree(self.base, ignore_errors=True)
