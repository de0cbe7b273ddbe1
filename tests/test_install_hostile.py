"""Installs and upgrades that nothing planted beforehand can bind into, and the integrity
check's view of the guards (security review s11, findings 1 and 3; revision 0019).

Finding 1: DDL resolves the built-ins it names once, at creation, under the installing
session's ``search_path``, and stores the OID for good. A function planted in ``public``
whose argument types match exactly (``public.lower(tstzrange)``) beats pg_catalog's
polymorphic one even with pg_catalog first; it then ran as ``calib_owner`` on every write.
Here a superuser plants such spies (every polymorphic built-in calibcert's DDL names, with
the right result type, so the install still works) and an event trigger that records the
``search_path`` of every DDL command, BEFORE an install by each path (alembic online,
``calibcert db upgrade --sql`` + psql, ``sql/install.sql`` + psql) and before an upgrade
from 0018. Then a service role certifies: no spy may have run, every DDL command of the
install must have run under ``pg_catalog, pg_temp``, and no calib object may depend on
anything in public (``check_integrity``'s ``foreign_dependency``).

Finding 3: btree_gist in ``public`` went with ``DROP SCHEMA public CASCADE``, and the
exclusion constraint with it, silently. Fresh installs put it in ``calib_ext``;
``check_integrity`` (``missing_guard``) names every exclusion constraint and guard trigger
that is missing or disabled (each one of a fresh install, dropped in turn; on SQLite every
trigger of a fresh file), and a planted dependency (``foreign_dependency``);
``calibcert db check`` then exits 6.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import migrate
from calibcert.schema import HEAD_REVISION
from calibcert.urls import sqlite_path
from test_cli import cli
from test_migrations import INSTALL_SQL, client

#: The spies: every polymorphic pg_catalog function calibcert's DDL calls unqualified
#: (sql/schema/tables.sql's CHECKs and index, triggers.sql's WHEN), as a concrete overload
#: that records who ran it and returns what the built-in would.
SPIES = """
CREATE TABLE public.loot (who text, what text);
GRANT ALL ON public.loot TO PUBLIC;
CREATE FUNCTION public.spy(what text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN INSERT INTO public.loot VALUES (current_user, what); END $f$;
GRANT EXECUTE ON FUNCTION public.spy(text) TO PUBLIC;
""" + "".join(
    f"CREATE FUNCTION public.{name}(r {arg}) RETURNS {result} LANGUAGE plpgsql IMMUTABLE"
    f" AS $f$ BEGIN PERFORM public.spy('{name}'); RETURN pg_catalog.{name}(r); END $f$;\n"
    for name, arg, result in (
        ("isempty", "tstzrange", "boolean"), ("lower", "tstzrange", "timestamptz"),
        ("upper", "tstzrange", "timestamptz"), ("lower_inc", "tstzrange", "boolean"),
        ("upper_inc", "tstzrange", "boolean"), ("lower_inf", "tstzrange", "boolean"),
        ("upper_inf", "tstzrange", "boolean"), ("cardinality", "text[]", "integer"))
) + """
CREATE FUNCTION public.array_position(a text[], v text) RETURNS integer LANGUAGE plpgsql
    IMMUTABLE AS $f$ BEGIN PERFORM public.spy('array_position');
    RETURN pg_catalog.array_position(a, v); END $f$;
CREATE TABLE public.ddl_path (tag text, path text);
CREATE FUNCTION public.record_path() RETURNS event_trigger LANGUAGE plpgsql AS $f$
BEGIN
    /* Commands of an extension's own script run under the path CREATE EXTENSION sets. */
    IF NOT coalesce((SELECT bool_or(c.in_extension)
                     FROM pg_catalog.pg_event_trigger_ddl_commands() AS c), false) THEN
        INSERT INTO public.ddl_path VALUES (tg_tag, pg_catalog.current_setting('search_path'));
    END IF;
END $f$;
CREATE EVENT TRIGGER calib_test_record_path ON ddl_command_end
    EXECUTE FUNCTION public.record_path();
"""
PINNED = "pg_catalog, pg_temp"
#: Calls of a service role that run every spied expression: a certification bounded on
#: both sides and one open-ended (the CHECK, the index, the normalizing trigger's WHEN), and
#: a writer list (the collection's CHECK).
WORK = """
SET ROLE calib_admin;
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']);
SELECT calib.register_collection('run/1', 'RUN');
SELECT calib.register_collection('cal/1', 'CALIBRATION');
SELECT calib.insert_datasets('bias', 'run/1',
    ARRAY['{"instrument": "X", "detector": 1}', '{"instrument": "X", "detector": 2}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']::uuid[]);
SELECT calib.certify('cal/1', ARRAY['00000000-0000-4000-8000-000000000001']::uuid[],
    '[2024-01-01,2025-01-01)');
SELECT calib.certify('cal/1', ARRAY['00000000-0000-4000-8000-000000000002']::uuid[],
    '[2024-01-01,infinity)');
SELECT calib.set_collection_writers('cal/1', ARRAY['calib_certifier']);
RESET ROLE;
"""


def psql(url: str, path: Path | str) -> None:
    r = subprocess.run([client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f",
                        str(path), "-d", url], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def install(url: str, how: str, tmp_path: Path) -> None:
    if how == "alembic":
        calibcert.upgrade(url)
    elif how == "upgrade_sql":
        script = tmp_path / "upgrade.sql"
        script.write_text(migrate.upgrade_sql(url, None))
        psql(url, script)
    elif how == "install_sql":
        psql(url, INSTALL_SQL)
    else:
        raise AssertionError(how)


def assert_spies_never_ran(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(WORK)
        conn.execute("SET search_path = pg_catalog, pg_temp")
        assert conn.execute("SELECT * FROM public.loot").fetchall() == []
        paths = conn.execute("SELECT DISTINCT path FROM public.ddl_path").fetchall()
        assert paths == [(PINNED,)], paths
        bound = conn.execute(
            "SELECT pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend AS d"
            " JOIN pg_proc AS p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid"
            " WHERE p.pronamespace = 'public'::regnamespace"
            " AND d.classid <> 'pg_event_trigger'::regclass").fetchall()
        assert bound == []
        assert conn.execute("SELECT * FROM calib.check_integrity()").fetchall() == []
        # The spies are real: called by name, they record.
        conn.execute("SELECT public.lower('[2024-01-01,)'::tstzrange)")
        assert conn.execute("SELECT what FROM public.loot").fetchall() == [("lower",)]


@pytest.mark.parametrize("how", ["alembic", "upgrade_sql", "install_sql"])
def test_spies_planted_before_an_install_never_run(empty_databases, how, tmp_path) -> None:
    url = empty_databases("calib_spied")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SPIES)
    install(url, how, tmp_path)
    assert migrate.current(url) == HEAD_REVISION
    assert_spies_never_ran(url)


@pytest.mark.parametrize("how", ["alembic", "upgrade_sql"])
def test_spies_planted_before_an_upgrade_from_0018_never_run(empty_databases, how,
                                                             tmp_path) -> None:
    url = empty_databases("calib_spied")
    calibcert.upgrade(url, "0018")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SPIES)
    if how == "alembic":
        calibcert.upgrade(url)
    else:
        script = tmp_path / "upgrade.sql"
        script.write_text(migrate.upgrade_sql(url, "0018"))
        psql(url, script)
    assert migrate.current(url) == HEAD_REVISION
    assert_spies_never_ran(url)


def test_the_upgrade_script_pins_the_path_before_anything_else(empty_databases) -> None:
    text = migrate.upgrade_sql(empty_databases("calib_spied"), None)
    statements = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("--")]
    assert statements[0] == f"SET search_path = {PINNED};"


# -- btree_gist and the guards ----------------------------------------------------------------


def test_btree_gist_is_out_of_public_and_survives_drop_schema_public(pg_url) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute(
            "SELECT n.nspname, pg_get_userbyid(n.nspowner) = pg_get_userbyid(x.extowner)"
            " FROM pg_extension AS x JOIN pg_namespace AS n ON n.oid = x.extnamespace"
            " WHERE x.extname = 'btree_gist'").fetchone() == ("calib_ext", True)
        conn.execute("DROP SCHEMA public CASCADE")
        assert conn.execute("SELECT count(*) FROM pg_constraint"
                            " WHERE conname = 'certification_no_overlap'").fetchone() == (1,)
        assert conn.execute("SELECT * FROM calib.check_integrity()").fetchall() == []


def test_a_calib_ext_made_beforehand_by_another_role_is_refused(empty_databases,
                                                               pg_admin_url) -> None:
    # The database owner (here: a role without SUPERUSER) could make calib_ext first and
    # then drop it, with btree_gist and the exclusion constraint, whenever it liked.
    url = empty_databases("calib_spied")
    role = f"calib_test_ext_owner_{os.getpid()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} NOLOGIN")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA calib_ext AUTHORIZATION {role}")
        with pytest.raises(Exception) as caught:
            calibcert.upgrade(url)
        error = caught.value
        while not isinstance(error, psycopg.Error) and error.__cause__ is not None:
            error = error.__cause__
        assert isinstance(error, psycopg.Error), caught.value
        assert error.sqlstate == "42501"
        assert error.diag.message_primary == (
            f"schema calib_ext belongs to role {role}, not to the installer: btree_gist in it"
            " would be at that role's mercy")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM pg_extension"
                                " WHERE extname = 'btree_gist'").fetchone() == (0,)
            assert conn.execute("SELECT to_regnamespace('calib')").fetchone() == (None,)
            conn.execute("DROP SCHEMA calib_ext")
        calibcert.upgrade(url)  # once it is gone, the install goes through
        assert migrate.current(url) == HEAD_REVISION
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role} CASCADE")
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")


def _guards(conn: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    """Every exclusion constraint and trigger on calib's tables: (table, kind, name, the
    statement that drops it)."""
    return conn.execute(
        "SELECT c.relname, 'constraint', k.conname,"
        "  format('ALTER TABLE calib.%I DROP CONSTRAINT %I', c.relname, k.conname)"
        " FROM pg_constraint AS k JOIN pg_class AS c ON c.oid = k.conrelid"
        " WHERE k.contype = 'x' AND c.relnamespace = 'calib'::regnamespace"
        " UNION ALL"
        " SELECT c.relname, 'trigger', t.tgname,"
        "  format('DROP TRIGGER %I ON calib.%I', t.tgname, c.relname)"
        " FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid"
        " WHERE NOT t.tgisinternal AND c.relnamespace = 'calib'::regnamespace"
        " ORDER BY 1, 2, 3").fetchall()


def _problems(conn: psycopg.Connection) -> list[tuple[str, dict]]:
    return conn.execute("SELECT * FROM calib.check_integrity()").fetchall()


def test_each_guard_dropped_or_disabled_is_reported(pg_url) -> None:
    with psycopg.connect(pg_url) as conn:
        guards = _guards(conn)
        assert ("certification", "constraint", "certification_no_overlap") in [
            g[:3] for g in guards]
        assert len(guards) > 50
        for table, kind, name, drop in guards:
            with conn.transaction(force_rollback=True):
                conn.execute(drop)
                assert _problems(conn) == [("missing_guard", {
                    "table": table, "kind": kind, "guard": name, "state": "missing"})], drop
        with conn.transaction(force_rollback=True):
            conn.execute("ALTER TABLE calib.tag DISABLE TRIGGER tag_versions_update")
            conn.execute("ALTER TABLE calib.certification"
                         " ENABLE REPLICA TRIGGER certification_frozen_insert")
            assert _problems(conn) == [
                ("missing_guard", {"table": "certification", "kind": "trigger",
                                   "guard": "certification_frozen_insert",
                                   "state": "disabled"}),
                ("missing_guard", {"table": "tag", "kind": "trigger",
                                   "guard": "tag_versions_update", "state": "disabled"})]
            conn.execute("ALTER TABLE calib.tag ENABLE ALWAYS TRIGGER tag_versions_update")
            assert len(_problems(conn)) == 1  # ALWAYS fires too
        assert _problems(conn) == []


def test_drop_schema_public_of_a_database_installed_before_0019_is_reported(
        pg_url, tmp_path) -> None:
    # Before 0019, btree_gist went into public; there the owner of public (the database
    # owner on PostgreSQL 15) can drop it with the exclusion constraint.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER EXTENSION btree_gist SET SCHEMA public")
        conn.execute("DROP SCHEMA public CASCADE")
        assert _problems(conn) == [("missing_guard", {
            "table": "certification", "kind": "constraint",
            "guard": "certification_no_overlap", "state": "missing"})]
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    r = cli(home, pg_url, "db", "check", "--json")
    assert r.code == 6, r
    assert [p["check"] for p in r.json()["problems"]] == ["missing_guard"]


def test_a_dependency_on_a_function_outside_pg_catalog_is_reported(pg_url, tmp_path) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION public.lower(r tstzrange) RETURNS timestamptz"
                     " LANGUAGE sql IMMUTABLE AS 'SELECT pg_catalog.lower(r)'")
        conn.execute("CREATE FUNCTION public.overlap(a tstzrange, b tstzrange) RETURNS boolean"
                     " LANGUAGE sql IMMUTABLE AS 'SELECT a OPERATOR(pg_catalog.&&) b';"
                     " CREATE OPERATOR public.&& (LEFTARG = tstzrange, RIGHTARG = tstzrange,"
                     " FUNCTION = public.overlap)")
        conn.execute("CREATE INDEX planted_idx ON calib.certification (public.lower(validity))")
        conn.execute("ALTER TABLE calib.certification ADD CONSTRAINT planted_check"
                     " CHECK (NOT validity OPERATOR(public.&&) '[1900-01-01,1900-01-02)')")
        # Another extension's members are outside too.
        conn.execute("CREATE EXTENSION pg_trgm SCHEMA public")
        conn.execute("CREATE INDEX planted_trgm ON calib.collection"
                     " USING gin (name public.gin_trgm_ops)")
        # btree_gist's own members are fine wherever it lives (here: moved to public).
        conn.execute("ALTER EXTENSION btree_gist SET SCHEMA public")
        assert _problems(conn) == [
            ("foreign_dependency", {"object": "constraint planted_check on table"
                                              " calib.certification",
                                    "depends_on": "operator public.&&(tstzrange,tstzrange)"}),
            ("foreign_dependency", {"object": "index calib.planted_idx",
                                    "depends_on": "function public.lower(tstzrange)"}),
            ("foreign_dependency", {"object": "index calib.planted_trgm",
                                    "depends_on": "operator class public.gin_trgm_ops"
                                                  " for access method gin"})]
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    r = cli(home, pg_url, "db", "check", "--json")
    assert r.code == 6, r
    assert {p["check"] for p in r.json()["problems"]} == {"foreign_dependency"}


def test_each_sqlite_trigger_dropped_is_reported(sqlite_url) -> None:
    # The SQLite twin: every trigger of a fresh file (guards, FROZEN, history, stored search
    # paths, cache bumps) dropped in turn is named; put back, the file is healthy again.
    path = sqlite_path(sqlite_url)
    with closing(sqlite3.connect(path)) as raw, calibcert.connect(sqlite_url) as reg:
        triggers = raw.execute("SELECT tbl_name, name, sql FROM sqlite_master"
                               " WHERE type = 'trigger' ORDER BY 1, 2").fetchall()
        assert len(triggers) > 50
        for table, name, sql in triggers:
            raw.execute(f'DROP TRIGGER "{name}"')
            raw.commit()
            assert reg.check_integrity() == [("missing_guard", {
                "table": table, "kind": "trigger", "guard": name, "state": "missing"})], name
            raw.execute(sql)
            raw.commit()
        assert reg.check_integrity() == []
