"""Shared fixtures.

PostgreSQL: one real server per test session (calibcert.testing.start_server, started as an
unprivileged user when we are root), a template database built once by the alembic
migrations, and for each test either a rolled-back transaction on a shared database
(``pg_registry``: fast; the caller owns the transaction), a client-owned autocommit registry
on a committed database emptied before the test (``pg_standalone_registry``: every call
standalone, ``transaction()`` a real top-level transaction), or a fresh committed database
cloned from the template (``pg_url``: for concurrency, commits and several sessions). The
behaviour suite's ``backend`` runs each test on the first two and on SQLite. If the server
cannot start, every PostgreSQL test errors: nothing is skipped.

SQLite: a template file built once by the same migrations, copied for each test.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
from collections.abc import Iterator

import psycopg
import pytest

import calibcert
from calibcert.registry import Registry
from calibcert.schema import install_sql
from calibcert.testing import server_url, start_server
from helpers import make_world

TEMPLATE_DB = "calib_template"
SHARED_DB = "calib_shared"
STANDALONE_DB = "calib_standalone"
#: Empties a committed calibcert database: DELETE of every table with triggers (foreign-key
#: checks included) off for the session, so it costs nothing per row; measured per test ~2 ms
#: (the fixture's whole setup ~6 ms), where cloning the template takes ~90 ms and TRUNCATE
#: ~16 ms (used after bulk tests only). Sequences go on counting and search_path_generation
#: keeps its row; nothing in the API shows either.
RESET_TABLES = ("certification", "tag", "dataset", "data_id", "dimension", "dataset_type",
                "collection_chain", "search_path", "collection",
                # history (revision 0014): the versions, then the change log they refer to;
                # the epoch sequence is reset with them (RESET_SEQUENCES).
                "collection_version", "chain_version", "certification_version", "tag_version",
                "dataset_version", "change",
                # snapshots (revision 0014)
                "snapshot")
#: Run after a reset: epochs start again at 1 (calib.current_epoch() is then 0), and the
#: history horizon (one row, kept) is back at 0 (nothing pruned).
RESET_SEQUENCES = ("SELECT pg_catalog.setval('calib.epoch_seq', 1, false);"
                   " UPDATE calib.history_horizon SET earliest_epoch = 0, pruned_at = NULL")
#: Tables the reset leaves alone on purpose.
KEPT_TABLES = ("alembic_version", "installation", "search_path_generation",
               "history_horizon", "epoch_lock")
# CALIBCERT_TEST_INSTALL=sql builds the templates from sql/ (install.sql and its SQLite twin)
# instead of the alembic revisions, whose frozen copies a change to sql/ does not reach. The
# mutation check (tests/mutations/) sets it so that a mutant of sql/ is what the tests run.
# By default the templates come from the migrations, as users' databases do;
# tests/test_migrations.py proves the two give the same schema.
INSTALL_FROM_SQL = os.environ.get("CALIBCERT_TEST_INSTALL", "migrations") == "sql"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin_url(pg_server) -> str:
    """URL of the server's maintenance database (superuser)."""
    return server_url(pg_server, "postgres")


def _create_db(admin_url: str, name: str, template: str | None = None) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        conn.execute(sql)


def _drop_db(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class EmptyDatabases:
    """A factory of fresh empty databases on the test server: ``make(prefix)`` returns the
    URL of a new one; ``drop_all()`` (also run at the fixture's end) drops them."""

    def __init__(self, server, admin_url: str) -> None:
        self._server, self._admin_url, self.names = server, admin_url, []

    def __call__(self, prefix: str = "calib_db") -> str:
        name = f"{prefix}_{os.getpid()}_{len(self.names)}"
        _drop_db(self._admin_url, name)
        _create_db(self._admin_url, name)
        self.names.append(name)
        return server_url(self._server, name)

    def drop_all(self) -> None:
        while self.names:
            _drop_db(self._admin_url, self.names.pop())


@pytest.fixture
def empty_databases(pg_server, pg_admin_url) -> Iterator[EmptyDatabases]:
    """Fresh empty databases for one test (see EmptyDatabases), dropped at its end."""
    factory = EmptyDatabases(pg_server, pg_admin_url)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def pg_template(pg_server, pg_admin_url) -> str:
    """Name of a database brought to head by the alembic migrations (the template)."""
    _create_db(pg_admin_url, TEMPLATE_DB)
    url = server_url(pg_server, TEMPLATE_DB)
    if INSTALL_FROM_SQL:
        with psycopg.connect(url) as conn:
            conn.execute(install_sql().encode())
    else:
        calibcert.upgrade(url)
    return TEMPLATE_DB


@pytest.fixture
def pg_url(pg_server, pg_admin_url, pg_template) -> Iterator[str]:
    """A fresh, empty calibcert database (cloned from the template); dropped afterwards."""
    name = f"calib_test_{next(_counter)}"
    _create_db(pg_admin_url, name, pg_template)
    try:
        yield server_url(pg_server, name)
    finally:
        _drop_db(pg_admin_url, name)


@pytest.fixture
def empty_pg_url(pg_server, pg_admin_url) -> Iterator[str]:
    """A fresh database without any calibcert schema."""
    name = f"calib_empty_{next(_counter)}"
    _create_db(pg_admin_url, name)
    try:
        yield server_url(pg_server, name)
    finally:
        _drop_db(pg_admin_url, name)


@pytest.fixture(scope="session")
def pg_shared_url(pg_server, pg_admin_url, pg_template) -> str:
    _create_db(pg_admin_url, SHARED_DB, pg_template)
    return server_url(pg_server, SHARED_DB)


@pytest.fixture
def pg_registry(pg_shared_url) -> Iterator[Registry]:
    """A registry inside a transaction that is rolled back after the test."""
    conn = psycopg.connect(pg_shared_url, autocommit=False)
    try:
        reg = calibcert.connect(conn)
        yield reg
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def pg_standalone_admin(pg_server, pg_admin_url, pg_template) -> Iterator[psycopg.Connection]:
    """An autocommit owner connection to STANDALONE_DB, a committed database that
    ``pg_standalone_registry`` empties before each test."""
    _create_db(pg_admin_url, STANDALONE_DB, pg_template)
    conn = psycopg.connect(server_url(pg_server, STANDALONE_DB), autocommit=True)
    try:
        tables = {r[0] for r in conn.execute(
            "SELECT relname FROM pg_catalog.pg_class WHERE relkind IN ('r', 'p')"
            " AND relnamespace = 'calib'::regnamespace")}
        # A new table must be emptied too (or kept on purpose): fail rather than leak rows.
        assert tables == set(RESET_TABLES) | set(KEPT_TABLES), tables
        conn.execute("SET session_replication_role = replica")  # no trigger fires
        yield conn
    finally:
        conn.close()


@pytest.fixture
def pg_standalone_registry(pg_standalone_admin) -> Iterator[Registry]:
    """A registry the client owns (``calibcert.connect(url)``: autocommit, so every call is
    standalone and ``transaction()`` is a real top-level transaction) on a committed
    database emptied before the test."""
    admin = pg_standalone_admin
    if admin.execute("SELECT count(*) > 1000 FROM calib.dataset").fetchone()[0]:
        # After a bulk test: TRUNCATE, so that no test runs on tables and indexes full of
        # dead rows (DELETE leaves them to autovacuum; a 50,000-row certify then crawled).
        admin.execute(f"TRUNCATE {', '.join(f'calib.{t}' for t in RESET_TABLES)}")
    else:
        admin.execute("; ".join(f"DELETE FROM calib.{t}" for t in RESET_TABLES))
    admin.execute(RESET_SEQUENCES)
    dsn = admin.info.get_parameters()
    reg = calibcert.connect(
        f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}/{dsn['dbname']}")
    try:
        assert reg.connection.autocommit  # what makes every call standalone
        yield reg
    finally:
        reg.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    if INSTALL_FROM_SQL:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.executescript(install_sql(backend="sqlite"))
        finally:
            conn.close()
    else:
        calibcert.upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    """A fresh calibcert SQLite database file (a copy of the migrated template)."""
    path = tmp_path / "calibcert.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_registry(sqlite_url) -> Iterator[Registry]:
    reg = calibcert.connect(sqlite_url)
    try:
        yield reg
    finally:
        reg.close()


BACKENDS = {
    # Inside the caller's transaction: every call gets a savepoint, transaction() nests.
    "postgresql-in-transaction": "pg_registry",
    # Client-owned autocommit connection: the standalone fast paths (_scalar, the find
    # probe, single-chunk batches without a transaction) and real top-level transactions.
    "postgresql-standalone": "pg_standalone_registry",
    "sqlite": "sqlite_registry",
}


@pytest.fixture(params=list(BACKENDS))
def backend(request) -> Registry:
    """The behaviour suite's fixture: an empty registry on each backend (and each way of
    owning a PostgreSQL connection) in turn. Tests never branch on which one they got."""
    return request.getfixturevalue(BACKENDS[request.param])


@pytest.fixture
def world(backend: Registry):
    """The behaviour suite's standard little world (tests/helpers.py) on each backend."""
    return make_world(backend)
