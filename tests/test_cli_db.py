"""``calibcert db upgrade --dry-run`` on databases that need upgrading, and the SQLite busy
timeout as exit code 4: real ``calibcert`` processes, as in tests/test_cli.py."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import catalog, migrate
from calibcert.schema import HEAD_REVISION, migrations_dir
from calibcert.urls import sqlite_path
from test_cli import _one_line_error, _setup, _state, cli, ok

#: The revision before head (the database "one revision behind").
PREVIOUS = migrate.ScriptDirectory.from_config(
    migrate.alembic_config("sqlite:///unused.db")).get_revision(HEAD_REVISION).down_revision


@pytest.fixture
def home(tmp_path) -> Path:
    """HOME and XDG_DATA_HOME of the processes (as in tests/test_cli.py)."""
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


def _sqlite_schema(url: str) -> list[tuple]:
    conn = sqlite3.connect(sqlite_path(url))
    try:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                            "ORDER BY type, name").fetchall()
    finally:
        conn.close()


def _schema(url: str) -> object:
    """The whole schema, comparable (catalog snapshot / sqlite_master)."""
    return catalog.snapshot(url) if url.startswith("postgresql") else _sqlite_schema(url)


_SIGNS = {"added": "+", "removed": "-", "changed": "~"}


def _objects(preview: dict) -> list[tuple[str, str]]:
    """(+/-/~, object name) of a --json upgrade preview."""
    return sorted((_SIGNS[c["action"]], c["name"]) for c in preview["changes"]
                  if c["kind"] != "revision")


def _real_changes(url: str, before: object, after: object) -> list[tuple[str, str]]:
    """(+/-/~, object name) between two _schema() values, computed independently of the
    preview's code."""
    if url.startswith("postgresql"):
        return sorted((line[0], line.split(": ", 1)[1].split(" (")[0])
                      for line in catalog.changes(before, after)
                      if line.split(": ", 1)[0][2:] != "version")
    # SQLite's own objects (sqlite_autoindex_…) come with their table's constraints: the
    # preview names the table, not them.
    old = {row[1]: row for row in before
           if row[1] != "alembic_version" and not row[1].startswith("sqlite_")}
    new = {row[1]: row for row in after
           if row[1] != "alembic_version" and not row[1].startswith("sqlite_")}
    return sorted([("+", n) for n in new.keys() - old.keys()]
                  + [("-", n) for n in old.keys() - new.keys()]
                  + [("~", n) for n in old.keys() & new.keys() if old[n] != new[n]])


@pytest.fixture(params=["postgresql", "sqlite"])
def behind_url(request, tmp_path) -> str:
    """A database one revision behind head, holding data."""
    if request.param == "postgresql":
        url = request.getfixturevalue("empty_pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'behind.db'}"
    calibcert.upgrade(url, revision=PREVIOUS)
    assert migrate.current(url) == PREVIOUS
    return url


def test_dry_run_upgrade_previews_the_pending_revision_and_changes_nothing(home, behind_url):
    schema_before = _schema(behind_url)
    r = ok(home, behind_url, "db", "upgrade", "--dry-run", "--json")
    doc = r.json()
    assert doc["dry_run"] is True
    assert doc["result"] == {"from": PREVIOUS, "to": HEAD_REVISION, "changed": True,
                             "revisions": [HEAD_REVISION]}
    applied = [c for c in doc["changes"] if c["kind"] == "revision"]
    assert [(c["action"], c["name"]) for c in applied] == [("apply", HEAD_REVISION)]
    assert "nothing was changed" in r.err and f"{PREVIOUS} → {HEAD_REVISION}" in r.err
    # the database is untouched: revision and schema
    assert migrate.current(behind_url) == PREVIOUS
    assert _schema(behind_url) == schema_before
    # the preview is what the upgrade then really does: the same schema objects change
    ok(home, behind_url, "db", "upgrade")
    assert _objects(doc) == _real_changes(behind_url, schema_before, _schema(behind_url))
    # Not an empty comparison: the head revision changes objects on this backend exactly
    # when it has a frozen file for it.
    backend = "postgresql" if behind_url.startswith("postgresql") else "sqlite"
    frozen = list((migrations_dir() / "versions").glob(
        f"{HEAD_REVISION}_*.{backend}.sql"))
    assert bool(_objects(doc)) == bool(frozen), (backend, frozen, _objects(doc))
    assert migrate.current(behind_url) == HEAD_REVISION
    # at head: nothing to do, said so
    r = ok(home, behind_url, "db", "upgrade", "--dry-run", "--json")
    assert r.json()["result"] == {"from": HEAD_REVISION, "to": HEAD_REVISION,
                                  "changed": False, "revisions": []}
    assert r.json()["changes"] == []


def test_dry_run_upgrade_of_an_older_sqlite_file_lists_objects(home, tmp_path):
    """Three revisions behind on SQLite: 0005's guard triggers are in the preview (and not
    in the file afterwards); the table output names them."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    calibcert.upgrade(url, revision="0004")
    before = _sqlite_schema(url)
    r = ok(home, url, "db", "upgrade", "--dry-run")
    lines = r.out.splitlines()
    assert lines[0].split() == ["ACTION", "KIND", "NAME", "DETAIL"]
    applied = [ln.split()[2] for ln in lines[2:] if ln.startswith("apply")]
    assert applied == [f"{n:04d}" for n in range(5, int(HEAD_REVISION) + 1)]
    assert any(ln.split()[:3] == ["added", "trigger", "certification_guard_insert"]
               for ln in lines), r.out
    assert _sqlite_schema(url) == before and migrate.current(url) == "0004"
    assert not any(row[1] == "certification_guard_insert" for row in before)
    r = ok(home, url, "db", "upgrade", "--dry-run", "--json")
    ok(home, url, "db", "upgrade")
    assert _objects(r.json()) == _real_changes(url, before, _sqlite_schema(url))


def test_dry_run_upgrade_of_an_empty_database_creates_nothing(home, tmp_path, empty_pg_url):
    missing = tmp_path / "nothing-here.db"
    r = ok(home, f"sqlite:///{missing}", "db", "upgrade", "--dry-run", "--json")
    assert r.json()["result"]["from"] is None
    assert r.json()["result"]["to"] == HEAD_REVISION
    assert any(c["kind"] == "table" and c["name"] == "certification"
               for c in r.json()["changes"])
    assert not missing.exists()
    r = ok(home, empty_pg_url, "db", "upgrade", "--dry-run", "--json")
    assert r.json()["result"]["from"] is None and r.json()["result"]["to"] == HEAD_REVISION
    assert any(c["kind"] == "function" and c["name"].startswith("calib.certify(")
               for c in r.json()["changes"])
    with psycopg.connect(empty_pg_url) as conn:  # not even the schema was left behind
        assert conn.execute("SELECT to_regnamespace('calib')").fetchone() == (None,)
    assert migrate.current(empty_pg_url) is None


# -- SQLite busy timeout -> exit 4 --------------------------------------------------------


def test_sqlite_busy_timeout_is_exit_4(home, sqlite_url):
    _setup(home, sqlite_url)
    before = _state(home, sqlite_url)
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another connection holds the file's write lock
        start = time.monotonic()
        # cli() bounds the process (timeout=120): a wait that never ends fails, not hangs
        r = cli(home, sqlite_url, "certify", "Cam/run/1", "Cam/calib", "bias",
                "--begin", "2024-01-01T00:00:00Z", env={"CALIBCERT_BUSY_TIMEOUT": "0.3"})
        elapsed = time.monotonic() - start
        # readers are not blocked meanwhile
        assert ok(home, sqlite_url, "list", "Cam/calib", "--json").json() == []
    finally:
        holder.rollback()
        holder.close()
    _one_line_error(r, 4, "retry", "0.3 s", "busy timeout", "nothing was changed")
    assert elapsed < 100
    assert _state(home, sqlite_url) == before
    # a bad setting is bad input, not a wait
    _one_line_error(cli(home, sqlite_url, "collection", "list",
                        env={"CALIBCERT_BUSY_TIMEOUT": "soon"}), 2, "CALIBCERT_BUSY_TIMEOUT")


def test_sqlite_busy_timeout_on_a_dry_run(home, sqlite_url):
    """A dry run takes the write lock too (its snapshot and the action share one
    transaction), so it waits and fails the same way."""
    _setup(home, sqlite_url)
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        r = cli(home, sqlite_url, "certify", "Cam/run/1", "Cam/calib", "bias",
                "--begin", "2024-01-01T00:00:00Z", "--dry-run",
                env={"CALIBCERT_BUSY_TIMEOUT": "0.2"})
    finally:
        holder.rollback()
        holder.close()
    _one_line_error(r, 4, "retry", "0.2 s")


def test_sqlite_upgrade_failing_midway_changes_nothing(tmp_path):
    path = tmp_path / "midway.db"
    conn = sqlite3.connect(path)
    # The upgrade is one transaction (migrations/env.py): before, pysqlite's legacy mode
    # committed each DDL statement before a revision's first INSERT, and 0001's collection
    # table was kept.
    try:  # a file with a table in the way of 0001's second statement
        conn.execute("CREATE TABLE catalog_version (mine INTEGER)")
        conn.commit()
    finally:
        conn.close()
    url = f"sqlite:///{path}"
    before = _sqlite_schema(url)
    with pytest.raises(Exception, match="catalog_version"):
        calibcert.upgrade(url)
    assert migrate.current(url) is None
    assert _sqlite_schema(url) == before
