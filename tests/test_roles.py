"""Roles (README "Roles"; issue 15, items 2 and 6), over real connections.

* Every public function overload, called as a LOGIN holding exactly one package role
  (reader, certifier, writer, admin) or none: a role the contract allows
  (tests/roles_contract.py, written by hand) gets the function's answer, rows or a calibcert
  error, never 42501; any other gets 42501. The calls are tests/hostile.py's CALLS, each in
  a transaction that is rolled back, on one committed little world.
* Every table: SELECT for reader and up (not for a login without a role); INSERT, UPDATE,
  DELETE and TRUNCATE refused to every role, admin included.
* Two calibcert databases of one cluster, installed with different role prefixes, are
  granted separately; the same prefix twice gets a WARNING; a bad or changed prefix is
  refused.
* Upgrading from 0011: a login granted calib_writer before the upgrade can still certify,
  but not register a collection; with another prefix given to the upgrade, calib_writer
  keeps nothing in that database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

import calibcert
from calibcert import migrate
from calibcert.cli import run as run_cli
from calibcert.schema import expand_script, install_sql, sql_dir
from calibcert.testing import server_url
from hostile import CALLS, CLEAN_WORLD, outcome, public_functions
from roles_contract import LEVEL_OF_ROLE, LOWEST_ROLE, may_call

#: One LOGIN per package role (default prefix), holding only it; NOBODY holds none.
LOGINS = {role: f"calib_roles_{role.removeprefix('calib_')}" for role in LEVEL_OF_ROLE}
NOBODY = "calib_roles_nobody"
#: tests/conftest.py's switch: the mutation check builds databases from sql/.
INSTALL_FROM_SQL = os.environ.get("CALIBCERT_TEST_INSTALL", "migrations") == "sql"
#: Privileges that write a table: nobody but calib_owner holds them.
TABLE_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def as_role(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.fixture(scope="module")
def logins(pg_admin_url: str) -> Iterator[dict[str | None, str]]:
    """Role -> login holding only it (None -> the login holding nothing)."""
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role, login in LOGINS.items():
            conn.execute(f"DROP ROLE IF EXISTS {login}")
            conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
        conn.execute(f"DROP ROLE IF EXISTS {NOBODY}")
        conn.execute(f"CREATE ROLE {NOBODY} LOGIN")
    yield {**LOGINS, None: NOBODY}
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for login in (*LOGINS.values(), NOBODY):
            conn.execute(f"DROP ROLE IF EXISTS {login}")


@pytest.fixture(scope="module")
def world_url(pg_server, pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """A committed database (cloned from the template) holding hostile.CLEAN_WORLD."""
    name = "calib_roles_world"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    url = server_url(pg_server, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(CLEAN_WORLD)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def session(url: str, login: str) -> psycopg.Connection:
    conn = psycopg.connect(as_role(url, login), autocommit=True)
    conn.execute("SET TimeZone = 'UTC'")
    return conn


# -- the declared table is complete ---------------------------------------------------------


def test_every_public_function_is_declared(pg_shared_url: str) -> None:
    # A function added later must be given its lowest role in tests/roles_contract.py.
    with psycopg.connect(pg_shared_url) as conn:
        installed = public_functions(conn)
    assert installed - set(LOWEST_ROLE) == set(), "declare these in tests/roles_contract.py"
    assert set(LOWEST_ROLE) - installed == set(), "declared but not installed"


# -- every function, as every role ----------------------------------------------------------


@pytest.mark.parametrize("role", [*LOGINS, None])
def test_each_role_calls_exactly_what_the_contract_allows(world_url: str, logins,
                                                         role: str | None) -> None:
    level = LEVEL_OF_ROLE.get(role) if role else None
    conn = session(world_url, logins[role])
    wrong: dict[str, tuple] = {}
    worked = 0
    for sig in sorted(LOWEST_ROLE):
        allowed = may_call(level, sig)
        outcomes = [outcome(conn, sql) for sql in CALLS[sig]]  # each rolled back
        for sql, got in zip(CALLS[sig], outcomes, strict=True):
            if not allowed:
                if got[:2] != ("error", "42501"):
                    wrong[sql] = got
            elif got[0] == "error" and not got[1].startswith("KC"):
                wrong[sql] = got  # 42501, or anything but a calibcert error
        worked += sum(got[0] == "rows" for got in outcomes)
    conn.close()
    assert wrong == {}
    # Not vacuous: a role that may call something got answers (a calibcert error, KCnnn,
    # also shows that the function's body ran).
    assert (worked > 20) == (level is not None), worked


@pytest.mark.parametrize("role", [*LOGINS, None])
def test_tables_are_read_by_readers_and_written_by_nobody(world_url: str, logins,
                                                           role: str | None) -> None:
    with psycopg.connect(world_url) as admin:
        tables = admin.execute(
            "SELECT c.relname::text, (SELECT a.attname::text FROM pg_attribute AS a"
            "   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            "   AND a.attidentity = '' AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1)"
            " FROM pg_class AS c WHERE c.relnamespace = 'calib'::regnamespace"
            " AND c.relkind = 'r' ORDER BY 1").fetchall()
    assert len(tables) >= 12, tables
    conn = session(world_url, logins[role])
    may_read = role is not None
    for table, column in tables:
        read = outcome(conn, f"SELECT count(*) FROM calib.{table}")
        assert (read[0] == "rows") == may_read and (may_read or read[1] == "42501"), \
            (table, read)
        for statement in (f"INSERT INTO calib.{table} DEFAULT VALUES",
                          f"UPDATE calib.{table} SET {column} = {column}",
                          f"DELETE FROM calib.{table}",
                          f"TRUNCATE calib.{table}"):
            got = outcome(conn, statement)
            assert got[:2] == ("error", "42501"), (statement, got)
    conn.close()


def test_only_the_owner_holds_a_write_privilege(world_url: str) -> None:
    # The same rule from the catalog, for every role of the cluster (a role granted a
    # package role inherits nothing more than what the package roles hold).
    with psycopg.connect(world_url) as conn:
        holders = conn.execute(
            "SELECT DISTINCT r.rolname::text, p.privilege"
            " FROM pg_class AS c CROSS JOIN pg_roles AS r"
            " CROSS JOIN unnest(%s::text[]) AS p(privilege)"
            " WHERE c.relnamespace = 'calib'::regnamespace AND c.relkind = 'r'"
            " AND NOT r.rolsuper AND r.rolname <> 'calib_owner'"
            " AND r.rolname !~ '^pg_'"  # PostgreSQL's own (pg_write_all_data)
            " AND has_table_privilege(r.oid, c.oid, p.privilege)", (list(TABLE_WRITES),)
        ).fetchall()
    assert holders == []


def test_the_roles_are_a_hierarchy(pg_shared_url: str) -> None:
    with psycopg.connect(pg_shared_url) as conn:
        def member(a: str, b: str) -> bool:
            return conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (a, b)).fetchone()[0]

        assert member("calib_admin", "calib_certifier") and member("calib_admin", "calib_reader")
        assert member("calib_certifier", "calib_reader")
        assert member("calib_writer", "calib_certifier")
        assert not member("calib_certifier", "calib_admin")
        assert not member("calib_reader", "calib_certifier")
        assert not member("calib_writer", "calib_admin")
        # The writer holds nothing of its own: everything comes from calib_certifier.
        assert conn.execute(
            "SELECT count(*) FROM pg_proc AS p, aclexplode(p.proacl) AS a"
            " WHERE p.pronamespace = 'calib'::regnamespace"
            " AND a.grantee = 'calib_writer'::regrole").fetchone()[0] == 0


# -- two databases in one cluster -----------------------------------------------------------

PREFIXES = ("survey_a", "survey_b")


@pytest.fixture
def cluster(empty_databases, pg_admin_url: str) -> Iterator:
    """A factory of empty databases; at the end they are dropped, then the roles the
    tests made (prefixes survey_a, survey_b and their logins)."""
    yield lambda: empty_databases("calib_roles_db")
    empty_databases.drop_all()  # first: the roles hold privileges in them
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for (role,) in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname ~ '^(survey_[ab]|svc_)'"
                " ORDER BY rolcanlogin DESC").fetchall():
            conn.execute(f'DROP ROLE "{role}"')


def install(url: str, prefix: str | None) -> list[str]:
    """Install head with psql's script and ``calib.role_prefix``; the WARNINGs raised."""
    warnings: list[str] = []
    with psycopg.connect(url) as conn:
        conn.add_notice_handler(
            lambda d: warnings.append(d.message_primary) if d.severity == "WARNING" else None)
        if prefix is not None:
            conn.execute("SELECT set_config('calib.role_prefix', %s, false)", (prefix,))
        conn.execute(install_sql().encode())
    return warnings


def test_two_databases_with_their_own_prefixes_are_granted_separately(
        cluster, pg_admin_url: str) -> None:
    a, b = cluster(), cluster()
    calibcert.upgrade(a, role_prefix="survey_a")  # alembic
    assert install(b, "survey_b") == []  # psql's script; no role shared with another db
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE svc_a LOGIN IN ROLE survey_a_admin")
        conn.execute("CREATE ROLE svc_b LOGIN IN ROLE survey_b_certifier")
        conn.execute("CREATE ROLE svc_calib LOGIN IN ROLE calib_admin")
    for url, prefix in ((a, "survey_a"), (b, "survey_b")):
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT role_prefix FROM calib.installation").fetchone() == (
                prefix,)
            # Only this database's roles hold anything here (the default ones neither).
            holders = {r for (r,) in conn.execute(
                "SELECT DISTINCT pg_get_userbyid(a.grantee)::text FROM pg_class AS c,"
                " aclexplode(c.relacl) AS a WHERE c.relnamespace = 'calib'::regnamespace"
                " UNION SELECT DISTINCT pg_get_userbyid(a.grantee)::text FROM pg_proc AS p,"
                " aclexplode(p.proacl) AS a WHERE p.pronamespace = 'calib'::regnamespace")}
            assert holders == {"calib_owner", f"{prefix}_reader", f"{prefix}_certifier",
                               f"{prefix}_admin"}, holders
    with calibcert.connect(as_role(a, "svc_a")) as reg:  # an admin of a ...
        reg.register_collection("calib", "CALIBRATION")
    with psycopg.connect(as_role(b, "svc_a")) as conn:  # ... is nobody in b
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT calib.list_dataset_types()")
    with psycopg.connect(as_role(b, "svc_b"), autocommit=True) as conn:  # a certifier of b
        conn.execute("SELECT * FROM calib.list_collections(NULL)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT calib.register_collection('x', 'RUN')")
    for url in (a, b):  # the default roles hold nothing in either
        with psycopg.connect(as_role(url, "svc_calib")) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT calib.list_dataset_types()")


def test_the_same_prefix_in_two_databases_is_warned_about(cluster) -> None:
    a, b = cluster(), cluster()
    assert install(a, "survey_a") == []
    warned = install(b, "survey_a")
    assert len(warned) == 1, warned
    assert "survey_a_reader, survey_a_certifier and survey_a_admin" in warned[0]
    assert f'database(s) {a.rsplit("/", 1)[1]}' in warned[0]
    assert migrate.current(b) == migrate.head()  # a warning: the install went through


@pytest.mark.parametrize("prefix", ["Survey", "9lives", "pg", "pg_x", "a-b", "", "x" * 54])
def test_a_bad_prefix_is_refused_and_nothing_installed(cluster, prefix: str) -> None:
    url = cluster()
    if prefix == "":  # an empty setting is no setting: the default
        install(url, prefix)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT role_prefix FROM calib.installation").fetchone() == (
                "calib",)
        return
    with pytest.raises(psycopg.errors.InvalidParameterValue) as info:
        install(url, prefix)
    assert "is not a role-name prefix" in str(info.value)
    assert migrate.current(url) is None


def test_a_53_character_prefix_works(cluster) -> None:
    url = cluster()
    prefix = "survey_a" + "x" * 45
    install(url, prefix)
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT to_regrole(%s) IS NOT NULL",
                            (f"{prefix}_certifier",)).fetchone()[0]
        conn.execute(f"DROP OWNED BY {prefix}_reader, {prefix}_certifier, {prefix}_admin")


def test_the_prefix_never_changes(cluster, capsys) -> None:
    url = cluster()
    calibcert.upgrade(url, role_prefix="survey_a")
    assert run_cli(["db", "upgrade", "--role-prefix", "survey_b", "--url", url]) == 2
    assert "have the prefix survey_a, chosen at its first install" in capsys.readouterr().err
    assert run_cli(["db", "upgrade", "--role-prefix", "survey_a", "--url", url]) == 0
    # From psql: sql/schema/roles.sql (which every revision that touches roles runs)
    # refuses it too, 55000.
    with psycopg.connect(url) as conn:
        conn.execute("SELECT set_config('calib.role_prefix', 'survey_b', false)")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            conn.execute(expand_script(sql_dir() / "schema" / "roles.sql").encode())


def test_the_upgrade_script_carries_the_prefix(cluster) -> None:
    url = cluster()
    script = migrate.upgrade_sql(url, None, role_prefix="survey_b")
    with psycopg.connect(url) as conn:
        conn.execute(script.encode())
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT role_prefix FROM calib.installation").fetchone() == (
            "survey_b",)
        assert conn.execute("SELECT has_function_privilege('survey_b_certifier',"
                            " 'calib.certify(text, text, text, text)', 'EXECUTE')").fetchone()[0]


# -- upgrading from 0011 --------------------------------------------------------------------


#: Files every revision re-runs whole at its end; they name the functions of every later
#: revision too, so a replay of the sources from sql/ runs them once, after the last one.
_CLOSING_FILES = ("schema/comments.sql", "schema/grants.sql", "schema/security.sql")


def upgrade_to_0012(url: str, prefix: str | None = None) -> None:
    """Upgrade a database at 0011 to head with alembic (the frozen revisions); when the
    mutation check builds databases from sql/, then run sql/'s closing files (comments,
    grants, security) again, so that a mutant of grants.sql acts on the upgrade. (Replaying
    every later revision's source from sql/ no longer works: a source's \\ir lines reach
    today's files, which may need objects of a later revision, e.g. 0012's state setters
    now read 0014's calib.snapshot.) grants.sql revokes everything and grants exactly, so
    running it last gives the rights the mutated file gives."""
    calibcert.upgrade(url, role_prefix=prefix)
    if not INSTALL_FROM_SQL:
        return
    with psycopg.connect(url) as conn:
        for name in _CLOSING_FILES:
            conn.execute(expand_script(sql_dir() / name).encode())


def _world_at_0011(url: str, pg_admin_url: str) -> None:
    migrate.upgrade(url, "0011")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE svc_writer LOGIN IN ROLE calib_writer")
    with psycopg.connect(as_role(url, "svc_writer"), autocommit=True) as conn:
        # At 0011 a writer registers collections and dataset types itself.
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'], true)")
        conn.execute("SELECT calib.register_collection('run', 'RUN')")
        conn.execute("SELECT calib.register_collection('calib', 'CALIBRATION')")
        conn.execute("SELECT calib.insert_datasets('bias', 'run',"
                     " ARRAY['{\"detector\": 1}', '{\"detector\": 2}']::jsonb[])")


def test_a_writer_granted_before_0012_is_a_certifier_after_it(cluster, pg_admin_url) -> None:
    url = cluster()
    _world_at_0011(url, pg_admin_url)
    upgrade_to_0012(url)
    with psycopg.connect(as_role(url, "svc_writer"), autocommit=True) as conn:
        ids = [i for (i,) in conn.execute(
            "SELECT dataset_id FROM calib.query_datasets('run', 'bias', '{}'::jsonb)")]
        assert len(ids) == 2
        assert conn.execute("SELECT calib.certify('calib', %s::uuid[], '[2020-01-01,)')",
                            (ids[:1],)).fetchone() == (1,)
        conn.execute("SELECT calib.decertify('calib', 'bias',"
                     " '[2020-01-01,2020-02-01)'::tstzrange)")
        for forbidden in ("SELECT calib.register_collection('mine', 'RUN')",
                          "SELECT calib.remove_collection('calib')",
                          "SELECT calib.set_chain('calib', ARRAY['run'])",
                          "SELECT calib.register_dataset_type('flat', ARRAY['band'], true)",
                          "DELETE FROM calib.certification"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)


def test_grants_take_back_what_an_earlier_revision_gave_the_writer(cluster) -> None:
    """Before 0012, calib_writer held EXECUTE on mutating functions directly. grants.sql
    (which every revision that changes grants runs, the upgrade to 0012 first) revokes
    everything from the package roles and calib_writer before it grants exactly: a direct
    grant left from an earlier revision does not survive it."""
    url = cluster()
    calibcert.upgrade(url)
    direct = ("SELECT EXISTS (SELECT FROM pg_catalog.pg_proc AS p,"
              " aclexplode(p.proacl) AS a WHERE p.oid = 'calib.remove_collection(text)'"
              "::regprocedure AND a.grantee = 'calib_writer'::regrole)")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("GRANT EXECUTE ON FUNCTION calib.remove_collection(text) TO calib_writer")
        assert conn.execute(direct).fetchone() == (True,)
        conn.execute(expand_script(sql_dir() / "schema/grants.sql").encode())
        assert conn.execute(direct).fetchone() == (False,)


def test_an_upgrade_to_0012_with_a_prefix_moves_the_database_to_new_roles(
        cluster, pg_admin_url) -> None:
    url = cluster()
    _world_at_0011(url, pg_admin_url)
    upgrade_to_0012(url, "survey_b")
    with psycopg.connect(as_role(url, "svc_writer")) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT calib.list_dataset_types()")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("GRANT survey_b_certifier TO svc_writer")
    with psycopg.connect(as_role(url, "svc_writer"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM calib.certify('calib', ARRAY(SELECT"
                            " dataset_id FROM calib.query_datasets('run', 'bias', '{}'::jsonb)"
                            " LIMIT 1), '[2020-01-01,)')").fetchone() == (1,)
