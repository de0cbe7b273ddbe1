"""Security: no caller can make calibcert's functions run its code (README "Security").

Three layers, each tested here on real PostgreSQL:

* the rules read from the catalog (:func:`hostile.security_problems`): every function pins
  ``search_path = pg_catalog, pg_temp`` (one declared inline-only helper excepted), every
  object belongs to the NOLOGIN, powerless role calib_owner, PUBLIC has no right on the
  schema or any function, now or for functions calib_owner creates later; each rule with a
  mutant that breaks it and must be reported;
* a hostile caller (tests/hostile.py), as an unprivileged LOGIN holding each of the
  package's roles (reader, certifier, writer, admin): with shadows of every type, built-in
  and table planted in its pg_temp and in public and put first on its search_path, every
  public function answers exactly as for a clean session, no shadow runs, and the caller
  gains nothing; the same harness catches a function with revision 0002's search_path
  (the exploit of issue 11);
* installing: a non-superuser installer needs membership in calib_owner, and is told so.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import calibcert
from calibcert import migrate
from hostile import (
    CALLS,
    CLEAN_WORLD,
    CORE_TYPES,
    OWNER,
    plant,
    public_functions,
    role_state,
    run_calls,
    security_problems,
    used_names,
)
from roles_contract import LEVEL_OF_ROLE, LOWEST_ROLE, may_call

#: The package's roles (NOLOGIN roles named calib_*, the owner aside), with the default
#: prefix: the three levels, and calib_writer (revisions up to 0011), a certifier.
PACKAGE_ROLES = tuple(LEVEL_OF_ROLE)
#: One hostile LOGIN per package role, plus one that holds none of them.
LOGINS = {role: f"calib_hostile_{role.removeprefix('calib_')}" for role in PACKAGE_ROLES}
NOBODY = "calib_hostile_nobody"
#: Every statement that mutates holds a write (tests/roles_contract.py: above reader level):
#: the first call of each writing function works for a role that may call it (the world is
#: built for that), so such a role's calls are not all errors.
WRITES = {sig for sig in CALLS if LOWEST_ROLE[sig] != "reader"}


def as_role(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.fixture(scope="module")
def hostile_logins(pg_admin_url: str) -> Iterator[None]:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role, login in LOGINS.items():
            conn.execute(f"DROP ROLE IF EXISTS {login}")
            conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
        conn.execute(f"DROP ROLE IF EXISTS {NOBODY}")
        conn.execute(f"CREATE ROLE {NOBODY} LOGIN")
    yield
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for login in (*LOGINS.values(), NOBODY):
            conn.execute(f"DROP ROLE IF EXISTS {login}")


@pytest.fixture
def world(pg_url: str, hostile_logins) -> Iterator[tuple[str, psycopg.Connection]]:
    """A committed little world (hostile.CLEAN_WORLD) and a superuser session on it. The
    hostile logins may create in public, as on databases made before PostgreSQL 15."""
    admin = psycopg.connect(pg_url, autocommit=True)
    admin.execute("SET TimeZone = 'UTC'")
    admin.execute(CLEAN_WORLD)
    admin.execute("GRANT CREATE ON SCHEMA public TO " + ", ".join(LOGINS.values()))
    try:
        yield pg_url, admin
    finally:
        admin.close()


def session(url: str, login: str, path: str | None = None) -> psycopg.Connection:
    conn = psycopg.connect(as_role(url, login), autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    if path:
        conn.execute(f"SET search_path = {path}")
    return conn


def calls_of(signatures) -> list[str]:
    return [sql for sig in signatures for sql in CALLS[sig]]


def calib_tables(conn: psycopg.Connection) -> list[str]:
    return [t for (t,) in conn.execute(
        "SELECT relname::text FROM pg_catalog.pg_class"
        " WHERE relnamespace = 'calib'::regnamespace AND relkind = 'r' ORDER BY 1")]


def plant_all(conn: psycopg.Connection, admin: psycopg.Connection):
    types, functions, operators = used_names(admin)
    return plant(conn, types, functions, operators, calib_tables(admin))


# -- the rules in the catalog --------------------------------------------------------------


def test_every_public_function_has_hostile_calls(pg_shared_url: str) -> None:
    # A new function is not done until the hostile caller calls it.
    with psycopg.connect(pg_shared_url) as conn:
        assert public_functions(conn) == set(CALLS)


def test_package_roles_are_the_tested_ones(pg_shared_url: str) -> None:
    with psycopg.connect(pg_shared_url) as conn:
        roles = {r for (r,) in conn.execute(
            "SELECT rolname::text FROM pg_roles WHERE rolname LIKE 'calib\\_%%'"
            " AND NOT rolcanlogin")}
    assert roles == {*PACKAGE_ROLES, OWNER}


def test_the_installed_schema_keeps_every_security_rule(pg_shared_url: str) -> None:
    with psycopg.connect(pg_shared_url) as conn:
        assert security_problems(conn) == []


# Each rule, broken once (inside a transaction that is rolled back): the check must say so.
MUTANTS = {
    "revision 0002's search_path": (
        "ALTER FUNCTION calib.certify(text, uuid[], tstzrange, boolean)"
        " SET search_path = pg_catalog",
        "calib.certify(text,uuid[],tstzrange,boolean): search_path"),
    "pg_temp searched first": (
        "ALTER FUNCTION calib._timespan(tstzrange) SET search_path = pg_temp, pg_catalog",
        "calib._timespan(tstzrange): search_path"),
    "a helper without SET": (
        "ALTER FUNCTION calib._raise(text, text, jsonb) RESET search_path",
        "calib._raise(text,text,jsonb): search_path is not set"),
    "the inline-only helper made callable": (
        "GRANT EXECUTE ON FUNCTION calib._flatten(integer) TO calib_reader",
        "calib._flatten(integer): inline-only"),
    "the inline-only probe granted beyond its roles": (
        "GRANT EXECUTE ON FUNCTION calib.probe(integer, integer, tstzrange) TO pg_monitor",
        "calib.probe(integer,integer,tstzrange): inline-only"),
    "the inline-only probe given a SET clause": (
        "ALTER FUNCTION calib.probe(integer, integer, tstzrange) SET search_path = pg_catalog",
        "calib.probe(integer,integer,tstzrange): inline-only"),
    "the inline-only helper made a definer": (
        "ALTER FUNCTION calib._flatten(integer) SECURITY DEFINER",
        "calib._flatten(integer): inline-only"),
    "a function for PUBLIC": (
        "GRANT EXECUTE ON FUNCTION calib._lookup(text, text, jsonb[], tstzrange[], bigint)"
        " TO PUBLIC",
        "calib._lookup(text,text,jsonb[],tstzrange[],bigint): executable by PUBLIC"),
    "a function the installer forgot to hand over": (
        "CREATE FUNCTION calib.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "calib.sneaky(): owned by"),
    "a table owned by someone else": (
        "ALTER TABLE calib.tag OWNER TO CURRENT_USER", "relation calib.tag (r): owned by"),
    "the schema open to PUBLIC": (
        "GRANT USAGE ON SCHEMA calib TO PUBLIC", "schema calib: PUBLIC has USAGE"),
    "a table writable by a service role": (
        "GRANT INSERT ON calib.certification TO calib_admin",
        "relation calib.certification: calib_admin has INSERT"),
    "a column writable by a service role": (
        "GRANT UPDATE (validity) ON calib.certification TO calib_certifier",
        "relation calib.certification.validity: calib_certifier has UPDATE"),
    "a table truncatable by PUBLIC": (
        "GRANT TRUNCATE ON calib.tag TO PUBLIC", "relation calib.tag: PUBLIC has TRUNCATE"),
    "the inline-only probe granted to the certifier directly": (
        "GRANT EXECUTE ON FUNCTION calib.probe(integer, integer, tstzrange) TO calib_certifier",
        "calib.probe(integer,integer,tstzrange): inline-only"),
    "a powerful owner": ("ALTER ROLE calib_owner CREATEDB", "role calib_owner: has ['CREATEDB']"),
    "an owner that inherits powers": (
        "GRANT pg_execute_server_program TO calib_owner",
        "role calib_owner: has [], LOGIN=False, member of ['pg_execute_server_program']"),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_security_check_reports_each_broken_rule(pg_url: str, mutant: str) -> None:
    sql, expected = MUTANTS[mutant]
    with psycopg.connect(pg_url) as conn:
        conn.execute(sql)
        problems = security_problems(conn)
        conn.rollback()
        assert any(p.startswith(expected) for p in problems), problems
        assert security_problems(conn) == []


def test_functions_calib_owner_creates_later_are_not_for_public(pg_url: str) -> None:
    # Default privileges: what a later revision creates as calib_owner is closed to PUBLIC
    # without anyone remembering a REVOKE. The mutant (PostgreSQL's default restored) shows
    # that the check can fail.
    def public_may_execute_a_new_function(conn: psycopg.Connection) -> bool:
        conn.execute("SET LOCAL ROLE calib_owner")
        conn.execute("CREATE FUNCTION calib.later() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        conn.execute("RESET ROLE")
        return conn.execute(
            "SELECT has_function_privilege('public', 'calib.later()', 'EXECUTE')").fetchone()[0]

    with psycopg.connect(pg_url) as conn:
        assert not public_may_execute_a_new_function(conn)
        conn.rollback()
        conn.execute("ALTER DEFAULT PRIVILEGES FOR ROLE calib_owner"
                     " GRANT EXECUTE ON FUNCTIONS TO PUBLIC")
        assert public_may_execute_a_new_function(conn)
        conn.rollback()


# -- the hostile caller --------------------------------------------------------------------


@pytest.mark.parametrize("role", PACKAGE_ROLES)
def test_hostile_caller_runs_no_code_and_changes_no_answer(world, role: str) -> None:
    url, admin = world
    login = LOGINS[role]
    calls = calls_of(CALLS)
    # What a clean session of the same role gets (no shadows anywhere yet).
    clean = session(url, login, "pg_catalog, pg_temp")
    expected, heard = run_calls(clean, calls)
    assert heard == []
    clean.close()
    before = role_state(admin, login)

    hostile = session(url, login)
    planted = plant_all(hostile, admin)
    made = {kind: len(objects) for kind, objects in planted.made.items()}
    # Not vacuous: every kind of shadow exists, in both schemas.
    assert made["domain"] >= 2 * len(CORE_TYPES), made
    assert made["function"] >= 40 and made["operator"] >= 20 and made["aggregate"] >= 2, made
    assert made["table"] == made["view"] == len(calib_tables(admin)), made
    got, heard = run_calls(hostile, calls)
    hostile.close()

    assert heard == [], "shadow objects ran inside calibcert's functions"
    assert role_state(admin, login) == before
    changed = {sql: (expected[sql], got[sql]) for sql in calls if got[sql] != expected[sql]}
    assert changed == {}
    # The calls did real work: each write worked for a role that may call it and was
    # refused (42501) to the others.
    for sig in WRITES:
        first = expected[CALLS[sig][0]]
        if may_call(LEVEL_OF_ROLE[role], sig):
            assert first[0] == "rows", (sig, first)
        else:
            assert first[:2] == ("error", "42501"), (sig, first)
    assert any(expected[CALLS[sig][0]][0] == "rows" for sig in CALLS if sig not in WRITES)
    assert any(o[0] == "error" and o[1].startswith("KC") for o in expected.values())


REVISION_0002_PATHS = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace AND p.proconfig IS NOT NULL LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog', r.f);
    END LOOP;
END
$$"""


def test_hostile_caller_catches_revision_0002s_search_path(world) -> None:
    # The mutant: every search_path as revision 0002 left it (pg_catalog alone: pg_temp is
    # then searched first for types). The harness must see a shadow domain run as
    # calib_owner, and calib_owner, powerless, must not have given the caller anything even
    # then (its attempts to make the caller a superuser or a member fail).
    url, admin = world
    login = LOGINS["calib_reader"]
    admin.execute(REVISION_0002_PATHS)
    before = role_state(admin, login)
    hostile = session(url, login)
    plant_all(hostile, admin)
    _, heard = run_calls(hostile, calls_of(CALLS))
    hostile.close()
    assert heard and all("ran as calib_owner" in notice for notice in heard), heard
    assert any("domain pg_temp." in notice for notice in heard), heard
    assert role_state(admin, login) == before


def test_a_role_without_calibcert_roles_can_call_nothing(world) -> None:
    url, _ = world
    nobody = session(url, NOBODY)
    outcomes, _ = run_calls(nobody, calls_of(CALLS))
    nobody.close()
    assert {o[:2] for o in outcomes.values()} == {("error", "42501")}


# -- installing ----------------------------------------------------------------------------


@pytest.fixture
def dba(empty_pg_url: str, pg_admin_url: str) -> Iterator[str]:
    """A non-superuser DBA who may create in the database (and btree_gist, a trusted
    extension, in public): the URL of its session."""
    name = "calib_test_dba"
    db = empty_pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {name}")
        conn.execute(f"CREATE ROLE {name} LOGIN CREATEROLE")
        conn.execute(f'GRANT CREATE ON DATABASE "{db}" TO {name}')
    with psycopg.connect(empty_pg_url, autocommit=True) as conn:
        conn.execute(f"GRANT CREATE ON SCHEMA public TO {name}")
    yield as_role(empty_pg_url, name)
    with psycopg.connect(empty_pg_url, autocommit=True) as conn:
        conn.execute(f"REASSIGN OWNED BY {name} TO CURRENT_USER")
        conn.execute(f"DROP OWNED BY {name}")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE {name}")


def test_a_non_superuser_installs_once_member_of_calib_owner(dba: str, empty_pg_url: str,
                                                           pg_admin_url: str) -> None:
    with pytest.raises(Exception) as info:
        calibcert.upgrade(dba)
    message = str(info.value)
    assert "cannot hand calibcert's objects to calib_owner" in message, message
    assert migrate.current(empty_pg_url) is None  # nothing half-installed:
    with psycopg.connect(empty_pg_url) as conn:  # no schema, no extension either
        left = conn.execute(
            "SELECT nspname::text FROM pg_catalog.pg_namespace"
            " WHERE nspname IN ('calib', 'calib_ext')"
            " UNION ALL SELECT extname::text FROM pg_catalog.pg_extension"
            " WHERE extname = 'btree_gist'").fetchall()
    assert left == []
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        # README "Who installs": the fix (the failed install created no role either, so
        # on a fresh cluster the role is made here, as the README's first line says)
        conn.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles"
                     " WHERE rolname = 'calib_owner') THEN CREATE ROLE calib_owner NOLOGIN;"
                     " END IF; END $$")
        conn.execute("GRANT calib_owner TO calib_test_dba")
    calibcert.upgrade(dba)
    with psycopg.connect(empty_pg_url) as conn:
        assert security_problems(conn) == []
    with calibcert.connect(dba) as reg:
        reg.register_collection("calib", "CALIBRATION")
        assert [c.name for c in reg.list_collections()] == ["calib"]
