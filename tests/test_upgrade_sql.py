"""``calibcert db upgrade --sql``: the upgrade as a SQL script a DBA reviews and applies
with ``psql -X -v ON_ERROR_STOP=1 -1 -f`` (alembic's offline mode, issue 15 item 1).

A database upgraded by the script equals one upgraded by the client (catalog and
``pg_dump --schema-only``), keeps its data, and is accepted by ``calibcert.connect``; a
script applied to a database at another revision stops before changing anything.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import migrate
from calibcert.schema import HEAD_REVISION
from helpers import pop_upgrade_history
from test_cli import cli
from test_migrations import _table_contents, assert_same_schema, client, empty_db  # noqa: F401 (fixture)


@pytest.fixture
def new_db(empty_db):  # noqa: F811
    """Factory of fresh empty databases (test_migrations' empty_db)."""
    return empty_db


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def script(home: Path, url: str, *args: str) -> str:
    """The script ``calibcert db upgrade --sql ARGS`` prints for ``url``."""
    r = cli(home, url, "db", "upgrade", "--sql", *args)
    assert r.code == 0, r
    assert "Traceback" not in r.err, r
    return r.out


def apply(url: str, text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "upgrade.sql"
    path.write_text(text)
    return subprocess.run([client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f",
                           str(path), "-d", url], capture_output=True, text=True)


def _state(url: str) -> object:
    """The catalog snapshot, or None for a database without schema calib."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regnamespace('calib')").fetchone()[0] is None:
            return None
    return calibcert.catalog.snapshot(url)


def _fill(url: str, mixed: bool = False) -> None:
    """Data written with plain SQL at revision 0008 (the client needs head)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'], true)")
        for name, ctype in (("run", "RUN"), ("calib", "CALIBRATION"), ("chain", "CHAINED")):
            conn.execute("SELECT calib.register_collection(%s, %s)", (name, ctype))
        conn.execute("SELECT calib.set_chain('chain', ARRAY['calib', 'run'])")
        second = '"2"' if mixed else "2"
        ids = [i for (i,) in conn.execute(
            "SELECT dataset_id FROM calib.insert_datasets('bias', 'run',"
            f" ARRAY['{{\"detector\": 1}}', '{{\"detector\": {second}}}']::jsonb[])")]
        conn.execute("SELECT calib.certify('calib', %s::uuid[], '[2020-01-01,)')", (ids,))


def test_script_from_an_empty_database_equals_the_clients_upgrade(
        new_db, home: Path, tmp_path: Path) -> None:
    by_client, by_psql = new_db(), new_db()
    calibcert.upgrade(by_client)
    text = script(home, by_psql)  # the database is empty: the script starts from base
    first = text.splitlines()[0]
    assert first == ("-- calibcert upgrade script: from an empty database to revision "
                     f"{HEAD_REVISION}")
    assert "BEGIN;" not in text and "COMMIT;" not in text  # psql -1 makes the transaction
    assert script(home, by_psql) == text  # deterministic
    done = apply(by_psql, text, tmp_path)
    assert done.returncode == 0, done.stderr
    assert migrate.current(by_psql) == HEAD_REVISION
    assert_same_schema(by_client, by_psql)
    with calibcert.connect(by_psql) as reg:  # at head: the client accepts it
        reg.register_dataset_type("bias", ["detector"], is_calibration=True)


def test_script_from_0008_keeps_the_data(new_db, home: Path, tmp_path: Path) -> None:
    by_client, by_psql = new_db(), new_db()
    for url in (by_client, by_psql):
        migrate.upgrade(url, "0008")
        _fill(url)
    before = _table_contents(by_psql)
    assert sum(map(len, before.values())) > 10
    calibcert.upgrade(by_client)
    text = script(home, by_psql, "--from", "0008")
    assert text.splitlines()[0] == (
        f"-- calibcert upgrade script: from revision 0008 to revision {HEAD_REVISION}")
    assert script(home, by_psql) == text  # --from defaults to the database's revision
    done = apply(by_psql, text, tmp_path)
    assert done.returncode == 0, done.stderr
    assert migrate.current(by_psql) == HEAD_REVISION
    assert_same_schema(by_client, by_psql)
    after = _table_contents(by_psql)  # (dataset ids are random: the client's copy differs)
    pop_upgrade_history(after)  # 0014: what existed becomes epoch 1
    assert after.pop("dimension") == [("detector", "integer")]
    assert after.pop("installation") == [(True, "calib")]  # 0012: the default role prefix
    # Revision 0012: every collection becomes OPEN, with no writer list.
    assert after.pop("collection") == [(*r, "OPEN", None) for r in before.pop("collection")]
    assert after == before
    with calibcert.connect(by_psql) as reg:
        assert len(reg.query_datasets("chain", "bias")) == 2


@pytest.mark.parametrize("at", [None, "0007", "0009", HEAD_REVISION])
def test_script_at_another_revision_stops_and_changes_nothing(
        new_db, home: Path, tmp_path: Path, at: str | None) -> None:
    url = new_db()
    if at is not None:
        migrate.upgrade(url, at)
    text = script(home, url, "--from", "0008")
    before, snapshot = migrate.current(url), _state(url)
    done = apply(url, text, tmp_path)
    assert done.returncode != 0
    assert "this script upgrades a database at revision 0008, this one is at revision" \
        f" {at or 'none'}" in done.stderr, done.stderr
    assert migrate.current(url) == before
    assert _state(url) == snapshot


def test_script_from_base_refuses_a_calibcert_database(
        new_db, home: Path, tmp_path: Path) -> None:
    url = new_db()
    migrate.upgrade(url, "0008")
    snapshot = calibcert.catalog.snapshot(url)
    done = apply(url, script(home, url, "--from", "base"), tmp_path)
    assert done.returncode != 0
    assert "at no calibcert revision, this one is at revision 0008" in done.stderr
    assert calibcert.catalog.snapshot(url) == snapshot


def test_script_through_0010_refuses_mixed_dimension_types(
        new_db, home: Path, tmp_path: Path) -> None:
    # Revision 0010 reads the stored data in Python online; the script (its frozen file)
    # checks it in SQL.
    url = new_db()
    migrate.upgrade(url, "0008")
    _fill(url, mixed=True)
    before, snapshot = _table_contents(url), calibcert.catalog.snapshot(url)
    done = apply(url, script(home, url), tmp_path)
    assert done.returncode != 0
    assert "cannot upgrade to revision 0010: stored data IDs mix the value types of a" \
        " dimension: dimension 'detector' has integer values (e.g. 1) and string values" \
        in done.stderr, \
        done.stderr
    assert migrate.current(url) == "0008"
    assert _table_contents(url) == before
    assert calibcert.catalog.snapshot(url) == snapshot


def test_sql_is_for_postgresql_only(home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    r = cli(home, url, "db", "upgrade", "--sql")
    assert r.code == 2, r
    assert r.out == ""
    assert "--sql prints an upgrade script for psql and is for PostgreSQL only" in r.err
    assert not (tmp_path / "c.db").exists()


def test_sql_options(home: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"  # never connected with --from
    assert script(home, url, "--from", "0010", "--to", "0011").count("-- Running upgrade") == 1
    for args, said in ((["--from", "zzzz"], "zzzz"), (["--from", "0011", "--to", "0008"],
                                                       "is not before"),
                       (["--from", "0008", "--dry-run"], "--dry-run")):
        r = cli(home, url, "db", "upgrade", "--sql", *args)
        assert r.code == 2 and said in r.err, r
    r = cli(home, url, "db", "upgrade", "--sql")  # no --from and no database to read it
    assert r.code == 3 and "--from REV" in r.err, r
    r = cli(home, url, "db", "upgrade", "--from", "0008")
    assert r.code == 2 and "--sql" in r.err, r


@pytest.mark.parametrize("name", ["e\u0301", "zero\u200bwidth", "soft\u00adhyphen",
                                  "tag\U000e0001"])
def test_script_through_0010_refuses_names_the_client_refuses(
        new_db, home: Path, tmp_path: Path, name: str) -> None:
    # The same stored names stop the client's upgrade (in Python) and the script (in SQL).
    by_client, by_psql = new_db(), new_db()
    for url in (by_client, by_psql):
        migrate.upgrade(url, "0008")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT calib.register_collection(%s, 'RUN')", (name,))
    with pytest.raises(calibcert.errors.InvalidNameError):
        calibcert.upgrade(by_client)
    snapshot = calibcert.catalog.snapshot(by_psql)
    done = apply(by_psql, script(home, by_psql), tmp_path)
    assert done.returncode != 0
    assert "cannot upgrade to revision 0010: stored names or values break its rules" \
        in done.stderr, done.stderr
    assert migrate.current(by_psql) == "0008"
    assert calibcert.catalog.snapshot(by_psql) == snapshot
