"""Head schema == migrated schema, and the migrations round-trip.

Three ways to install calibcert on PostgreSQL must give the same database:

* ``psql -v ON_ERROR_STOP=1 -1 -f sql/install.sql`` (the DBA's way),
* ``calibcert.schema.install_sql()`` sent through a psycopg connection (the same script,
  ``\\ir`` expanded in Python),
* ``calibcert.upgrade(url)`` on an empty database (alembic, frozen revision files).

"The same" is checked twice, independently: normalised ``pg_dump --schema-only`` text, and a
catalog snapshot (tables, columns, constraints with definitions, indexes, functions with
their full definitions, triggers, grants, comments, extensions). Then: upgrade → downgrade
base → upgrade head leaves an identical schema; ``migrate.current`` reports the revision;
``connect`` refuses a database without the schema or at another revision, naming the command
that fixes it. SQLite gets the same round trip.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import migrate
from calibcert.catalog import CATALOG_QUERIES
from calibcert.catalog import snapshot as catalog
from calibcert.errors import SchemaVersionError
from calibcert.schema import HEAD_REVISION, install_sql
from calibcert.testing import find_bindir
from helpers import pop_upgrade_history
from hostile import security_problems
from search_paths import assert_paths_match, path_of

ROOT = Path(__file__).resolve().parents[1]
INSTALL_SQL = ROOT / "sql" / "install.sql"


# -- installing ----------------------------------------------------------------------------


def client(name: str) -> str:
    """A PostgreSQL client binary of the same version as the test server."""
    path = os.path.join(find_bindir(), name)
    assert os.access(path, os.X_OK), f"{path} not found"
    return path


def install_with_psql(url: str) -> None:
    subprocess.run(
        [client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(INSTALL_SQL),
         "-d", url],
        check=True, capture_output=True, text=True)


def install_with_python(url: str) -> None:
    # No parameters: psycopg sends the script as one simple query, untouched.
    with psycopg.connect(url) as conn:
        conn.execute(install_sql().encode())


# -- comparing -----------------------------------------------------------------------------


def schema_dump(url: str) -> str:
    """``pg_dump --schema-only`` without comments, SET lines and blank lines."""
    out = subprocess.run([client("pg_dump"), "--schema-only", "-d", url],
                         check=True, capture_output=True, text=True).stdout
    keep = [line for line in out.splitlines()
            if line.strip() and not line.startswith("--") and not line.startswith("SET ")
            and not line.startswith("SELECT pg_catalog.set_config(")
            and not line.startswith("\\")]
    assert any("CREATE TABLE calib.certification" in line for line in keep), out[:2000]
    return "\n".join(keep)


def assert_same_schema(a: str, b: str) -> None:
    ca, cb = catalog(a), catalog(b)
    for name in CATALOG_QUERIES:
        ra, rb = list(map(repr, ca[name])), list(map(repr, cb[name]))
        only_a = sorted(set(ra) - set(rb))
        only_b = sorted(set(rb) - set(ra))
        assert ca[name] == cb[name], (
            f"{name} differ:\n  only in {a}: {only_a}\n  only in {b}: {only_b}")
    dump_a, dump_b = schema_dump(a), schema_dump(b)
    if dump_a != dump_b:
        import difflib

        diff = "\n".join(difflib.unified_diff(dump_a.splitlines(), dump_b.splitlines(),
                                              lineterm="", n=1))
        raise AssertionError(f"pg_dump --schema-only differs:\n{diff[:4000]}")


@pytest.fixture
def empty_db(empty_databases):
    """Factory of fresh empty databases (dropped at the end)."""
    return lambda: empty_databases("calib_mig")


# -- PostgreSQL ----------------------------------------------------------------------------


def test_psql_python_and_alembic_installs_are_identical(empty_db) -> None:
    by_psql, by_python, by_alembic = empty_db(), empty_db(), empty_db()
    install_with_psql(by_psql)
    install_with_python(by_python)
    calibcert.upgrade(by_alembic)
    assert_same_schema(by_psql, by_alembic)
    assert_same_schema(by_python, by_alembic)
    # The catalog comparison is not vacuous: it sees every object.
    snap = catalog(by_alembic)
    assert len([f for f in snap["functions"] if not f["signature"].startswith("calib._")]) >= 20
    assert any(c["conname"] == "certification_no_overlap" for c in snap["constraints"])
    assert snap["version"] == [{"version_num": HEAD_REVISION}]


def test_catalog_comparison_notices_a_difference(empty_db) -> None:
    # A changed function body, a dropped grant: both must make the comparison fail.
    a, b = empty_db(), empty_db()
    calibcert.upgrade(a)
    calibcert.upgrade(b)
    with psycopg.connect(b) as conn:
        body = conn.execute(
            "SELECT pg_get_functiondef('calib.get_chain(text)'::regprocedure)").fetchone()[0]
        conn.execute(body.replace("Read-only.", "Read-only!").encode())
    with pytest.raises(AssertionError, match="functions differ"):
        assert_same_schema(a, b)
    with psycopg.connect(b) as conn:
        conn.execute(body.encode())
        conn.execute("REVOKE SELECT ON calib.tag FROM calib_reader")
    with pytest.raises(AssertionError, match="relations differ"):
        assert_same_schema(a, b)


def _migrations_module(name: str) -> Any:
    """A module of migrations/ (not a package: loaded from its file)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"calibcert_migrations_{name}",
                                                  ROOT / "migrations" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _freeze_module() -> Any:
    return _migrations_module("freeze")


def test_released_frozen_files_are_never_rewritten() -> None:
    # Databases in the field ran exactly these files: a change to sql/ needs a new revision.
    freeze = _freeze_module()
    assert {p.name for p in (ROOT / "migrations" / "versions").glob("00[01][0-9]_*.sql")} \
        <= set(freeze.RELEASED)
    for name, digest in freeze.RELEASED.items():
        assert freeze.sha256(ROOT / "migrations" / "versions" / name) == digest, (
            f"{name} is released and must not change: add a new revision instead")


def test_unreleased_frozen_files_are_fresh(pg_admin_url: str) -> None:
    # The frozen files of every revision not released yet are what migrations/freeze.py
    # writes from sources/ and sql/ now (forgetting to re-run it after an edit to sql/ fails
    # here), and the head revision is among them.
    freeze = _freeze_module()
    texts = freeze.unreleased_texts(pg_admin_url)
    head_files = [p.name for p in (ROOT / "migrations" / "versions").glob(
        f"{HEAD_REVISION}_*.sql")]
    assert head_files
    if not all(name in freeze.RELEASED for name in head_files):
        assert any(name.startswith(HEAD_REVISION) for name in texts)
    for name, text in texts.items():
        path = ROOT / "migrations" / "versions" / name
        assert path.read_text() == text, (
            f"{name} is stale: run python migrations/freeze.py; if the revision is released "
            "(freeze.RELEASED), the change to sql/ needs a new revision instead")


def test_freeze_completes_a_delta_revisions_downgrade(pg_admin_url: str) -> None:
    # A revision after 0003 holds only what it changes; freeze.py finds, on a database at
    # the previous revision, what its down must restore (re-created functions, as they were)
    # and drop (new functions), and refuses a function re-created unchanged. Tried here as
    # if 0003 had re-created get_chain with another body and added a function.
    freeze = _freeze_module()
    # The file's first function only (revision 0014 added an as-of overload after it).
    old = (ROOT / "sql" / "functions" / "get_chain.sql").read_text().split(
        "\n\nCREATE OR REPLACE FUNCTION")[0] + "\n"
    changed = old.replace("Read-only.", "Read-only!")
    assert changed != old
    new_function = ("CREATE OR REPLACE FUNCTION calib.brand_new(p integer) RETURNS integer\n"
                    "LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$ SELECT p $$;\n")
    restore, drop = freeze.function_reverts("0003", changed + new_function, pg_admin_url)
    assert len(restore) == 1 and "Read-only." in restore[0]
    assert restore[0].startswith("CREATE OR REPLACE FUNCTION calib.get_chain(p_parent text)")
    assert drop == ["DROP FUNCTION calib.brand_new(integer);\n"]
    with pytest.raises(SystemExit, match="get_chain.*unchanged"):
        freeze.function_reverts("0003", restore[0], pg_admin_url)


def test_freeze_shows_what_a_revision_changes(pg_admin_url: str) -> None:
    freeze = _freeze_module()
    lines = freeze.show("0003", pg_admin_url)
    assert "postgresql ~ functions: calib.certify(text,uuid[],tstzrange,boolean)" \
        " (definition, proconfig, acl, owner)" in lines
    assert "postgresql ~ schema: calib (acl, owner)" in lines
    assert not [line for line in lines if line.split()[1] in "+-"], lines
    assert "postgresql + relations: search_path" in freeze.show("0002", pg_admin_url)


def test_functions_before_a_revision_are_those_of_the_previous_one() -> None:
    # The downgrade of 0002 restores every function of 0001, each exactly as 0001 froze it.
    freeze = _freeze_module()
    old = (ROOT / "migrations" / "versions" / "0001_initial.postgresql.sql").read_text()
    restored = freeze.functions_before("0002")
    assert len(restored) == old.count("CREATE OR REPLACE FUNCTION") > 30
    assert all(text in old for text in restored)


EARLIER_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008",
                     "0009", "0010", "0011", "0012", "0013", "0014", "0015", "0016",
                     "0017", "0018")


def test_earlier_revisions_are_all_tested() -> None:
    assert [*EARLIER_REVISIONS, HEAD_REVISION] == [
        p.name.split("_", 1)[0] for p in sorted((ROOT / "migrations" / "versions").glob("*.py"))]


@pytest.mark.parametrize("revision", EARLIER_REVISIONS)
def test_downgrade_to_an_earlier_revision_restores_its_schema(empty_db, revision: str) -> None:
    # An earlier revision installed directly, and head downgraded to it (with data in it),
    # are the same: functions, owners, grants and search paths included.
    direct, down = empty_db(), empty_db()
    migrate.upgrade(direct, revision)
    calibcert.upgrade(down)
    with calibcert.connect(down) as reg:
        reg.register_collection("calib", "CALIBRATION")
        reg.register_collection("chain", "CHAINED")
        reg.set_chain("chain", ["calib"])
    migrate.downgrade(down, revision)
    assert migrate.current(down) == revision
    assert_same_schema(direct, down)
    migrate.upgrade(down)  # and up again, data kept
    with calibcert.connect(down) as reg:
        assert reg.get_chain("chain") == ["calib"]


def test_upgrade_from_0001_fills_every_search_path(empty_db) -> None:
    # A database written at 0001 (its own functions, through plain SQL) gets the stored
    # search path of every collection it holds when it moves to 0002, and lookups through
    # its chains answer as before.
    url = empty_db()
    migrate.upgrade(url, "0001")
    with psycopg.connect(url, autocommit=True) as conn:
        for name, ctype in (("run", "RUN"), ("calib", "CALIBRATION"), ("tagged", "TAGGED"),
                            ("inner", "CHAINED"), ("outer", "CHAINED"), ("empty", "CHAINED")):
            conn.execute("SELECT calib.register_collection(%s, %s)", (name, ctype))
        conn.execute("SELECT calib.set_chain('inner', ARRAY['calib', 'run'])")
        conn.execute("SELECT calib.set_chain('outer', ARRAY['tagged', 'inner', 'run', 'empty'])")
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'], true)")
        (ds,) = conn.execute("SELECT dataset_id FROM calib.insert_datasets("
                             "'bias', 'run', ARRAY['{\"detector\": 1}']::jsonb[])").fetchone()
        conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2020-01-01,)')", (ds,))
    calibcert.upgrade(url)
    with psycopg.connect(url) as conn:
        assert_paths_match(conn)
        assert path_of(conn, "outer") == ["tagged", "calib", "run"]
        assert path_of(conn, "run") == ["run"] and path_of(conn, "empty") == []
    with calibcert.connect(url) as reg:
        at = datetime(2021, 1, 1, tzinfo=timezone.utc)
        assert reg.find("outer", "bias", {"detector": 1}, at).id == ds
        assert reg.find("calib", "bias", {"detector": 1}, at).id == ds


def _table_contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT relname, relnatts FROM pg_class WHERE relnamespace = 'calib'::regnamespace"
            " AND relkind = 'r' AND relname <> 'alembic_version' ORDER BY 1").fetchall()
        # (a one-column table, such as 0019's calib.epoch_lock, orders by its column)
        return {t: conn.execute(f"SELECT * FROM calib.{t} ORDER BY 1{', 2' * (n > 1)}").fetchall()
                for t, n in tables}


def test_upgrade_from_0002_secures_in_place(empty_db) -> None:
    # Revision 0003 touches no row: the data written at 0002 is the same afterwards, every
    # security rule holds (tests/hostile.py), and lookups answer as before.
    url = empty_db()
    migrate.upgrade(url, "0002")
    with psycopg.connect(url, autocommit=True) as conn:  # the client needs head: plain SQL
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'], true)")
        for name, ctype in (("run", "RUN"), ("calib", "CALIBRATION"), ("chain", "CHAINED")):
            conn.execute("SELECT calib.register_collection(%s, %s)", (name, ctype))
        conn.execute("SELECT calib.set_chain('chain', ARRAY['calib', 'run'])")
        ids = [i for (i,) in conn.execute(
            "SELECT dataset_id FROM calib.insert_datasets('bias', 'run',"
            " ARRAY['{\"detector\": 1}', '{\"detector\": 2}']::jsonb[])")]
        conn.execute("SELECT calib.certify('calib', %s::uuid[], '[2020-01-01,)')", (ids,))
    before = _table_contents(url)
    assert sum(map(len, before.values())) > 10
    calibcert.upgrade(url)
    after = _table_contents(url)
    pop_upgrade_history(after)  # 0014: what existed becomes epoch 1
    # Revision 0009's table of dimension types, filled from the stored data IDs.
    assert after.pop("dimension") == [("detector", "integer")]
    # Revision 0012's one-row table: the database keeps the default role prefix.
    assert after.pop("installation") == [(True, "calib")]
    # Revision 0012: every existing collection is OPEN, with no writer list.
    assert after.pop("collection") == [(*row, "OPEN", None) for row in before.pop("collection")]
    assert after == before
    with psycopg.connect(url) as conn:
        assert security_problems(conn) == []
    with calibcert.connect(url) as reg:
        at = datetime(2021, 1, 1, tzinfo=timezone.utc)
        assert reg.find("chain", "bias", {"detector": 2}, at).id == ids[1]
        # 0014: the content as of epoch 1 is the content the upgrade found.
        assert reg.find("chain", "bias", {"detector": 2}, at, as_of=1).id == ids[1]
        assert reg.certifications("chain", as_of=1) == reg.certifications("chain")


def test_upgrade_downgrade_upgrade_round_trip(empty_db) -> None:
    fresh, url = empty_db(), empty_db()
    calibcert.upgrade(fresh)
    assert migrate.current(url) is None
    calibcert.upgrade(url)
    assert migrate.current(url) == HEAD_REVISION
    with calibcert.connect(url) as reg:  # usable, and leaves data behind for the downgrade
        reg.register_collection("calib", "CALIBRATION")

    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    with psycopg.connect(url) as conn:
        left = conn.execute(
            "SELECT c.relname FROM pg_class AS c WHERE c.relnamespace = 'calib'::regnamespace"
            " AND c.relkind IN ('r', 'v', 'S')"
            " UNION ALL SELECT p.proname FROM pg_proc AS p"
            " WHERE p.pronamespace = 'calib'::regnamespace").fetchall()
    assert left == [("alembic_version",)]
    with pytest.raises(SchemaVersionError):
        calibcert.connect(url)

    calibcert.upgrade(url)
    assert migrate.current(url) == HEAD_REVISION
    assert_same_schema(fresh, url)
    with calibcert.connect(url) as reg:
        assert reg.list_collections() == []


def test_upgrade_is_idempotent_and_recognises_a_psql_install(empty_db) -> None:
    url = empty_db()
    install_with_psql(url)
    assert migrate.current(url) == HEAD_REVISION
    before = catalog(url)
    calibcert.upgrade(url)  # already at head: nothing to do
    calibcert.upgrade(url)
    assert catalog(url) == before
    with calibcert.connect(url) as reg:
        assert reg.list_collections() == []


@pytest.mark.parametrize("install", ["psql", "alembic"])
def test_service_roles_can_connect_to_either_install(empty_db, pg_admin_url: str,
                                                     install: str) -> None:
    url = empty_db()
    install_with_psql(url) if install == "psql" else calibcert.upgrade(url)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS calib_mig_service")
        conn.execute("CREATE ROLE calib_mig_service LOGIN IN ROLE calib_admin")
    try:
        scheme, rest = url.split("://", 1)
        service_url = f"{scheme}://calib_mig_service@{rest.split('@', 1)[1]}"
        with calibcert.connect(service_url) as reg:
            reg.register_collection("calib", "CALIBRATION")
            assert [c.name for c in reg.list_collections()] == ["calib"]
        assert migrate.current(service_url) == HEAD_REVISION
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute("DROP ROLE calib_mig_service")


def test_connect_refuses_a_database_without_the_schema(empty_pg_url: str) -> None:
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(empty_pg_url)
    assert "calibcert db upgrade" in str(info.value)
    assert info.value.revision is None


def test_connect_refuses_an_older_revision(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE calib.alembic_version SET version_num = '0000'")
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(pg_url)
    message = str(info.value)
    assert "calibcert db upgrade" in message and "0000" in message and HEAD_REVISION in message
    assert info.value.revision == "0000"


def test_migrate_head_is_the_clients_revision() -> None:
    assert migrate.head() == HEAD_REVISION


# -- SQLite --------------------------------------------------------------------------------


def sqlite_schema(path: Path) -> list[tuple[str, str, str, str | None]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()


def sqlite_state(path: Path) -> dict[str, Any]:
    """Schema (SQL text with white space folded: alembic writes its own table with tabs),
    journal mode, recorded revision and the catalog counter."""
    with sqlite3.connect(path) as conn:
        return {
            "schema": [(kind, name, table, " ".join((sql or "").replace("(", " ( ").split()))
                       for kind, name, table, sql in sqlite_schema(path)],
            "journal": conn.execute("PRAGMA journal_mode").fetchone(),
            "version": conn.execute("SELECT version_num FROM alembic_version").fetchall(),
            "catalog": conn.execute("SELECT * FROM catalog_version").fetchall(),
        }


def test_sqlite_fresh_install_equals_migrated(tmp_path: Path) -> None:
    # sql/sqlite/install.sql (the SQLite twin of sql/install.sql) and the alembic revisions
    # give the same file.
    fresh, migrated = tmp_path / "fresh.db", tmp_path / "migrated.db"
    conn = sqlite3.connect(fresh, isolation_level=None)
    script = install_sql(backend="sqlite")
    for statement in _migrations_module("_frozen")._sqlite_statements(script):
        conn.execute(statement)
    conn.close()
    calibcert.upgrade(f"sqlite:///{migrated}")
    assert sqlite_state(fresh) == sqlite_state(migrated)
    assert sqlite_state(fresh)["version"] == [(HEAD_REVISION,)]
    assert len(sqlite_state(fresh)["schema"]) > 20


@pytest.mark.parametrize("revision", EARLIER_REVISIONS)
def test_sqlite_downgrade_to_an_earlier_revision_restores_its_schema(
        tmp_path: Path, revision: str) -> None:
    direct, down = tmp_path / "direct.db", tmp_path / "down.db"
    migrate.upgrade(f"sqlite:///{direct}", revision)
    calibcert.upgrade(f"sqlite:///{down}")
    with calibcert.connect(f"sqlite:///{down}") as reg:
        reg.register_collection("calib", "CALIBRATION")
    migrate.downgrade(f"sqlite:///{down}", revision)
    state = sqlite_state(down)
    assert state["schema"] == sqlite_state(direct)["schema"]
    assert state["version"] == [(revision,)]
    calibcert.upgrade(f"sqlite:///{down}")  # and up again, data kept
    with calibcert.connect(f"sqlite:///{down}") as reg:
        assert [c.name for c in reg.list_collections()] == ["calib"]


def test_sqlite_upgrade_downgrade_upgrade_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "calib.db"
    url = f"sqlite:///{path}"
    assert migrate.current(url) is None
    calibcert.upgrade(url)
    assert migrate.current(url) == HEAD_REVISION
    head = sqlite_schema(path)
    names = {name for kind, name, *_ in head if kind == "table"}
    assert {"collection", "collection_chain", "dataset_type", "data_id", "dataset", "tag",
            "certification", "alembic_version"} <= names

    migrate.downgrade(url, "base")
    assert migrate.current(url) is None
    left = [name for kind, name, *_ in sqlite_schema(path) if not name.startswith("sqlite_")]
    assert left == ["alembic_version"]

    calibcert.upgrade(url)
    assert migrate.current(url) == HEAD_REVISION
    assert sqlite_schema(path) == head



def test_sqlite_upgrade_leaves_the_file_in_wal_mode(tmp_path: Path) -> None:
    # The upgrade runs in one transaction, where SQLite ignores 0001's PRAGMA journal_mode;
    # migrations/env.py switches WAL on after the commit, before the backend opens the file.
    path = tmp_path / "wal.db"
    calibcert.upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()
