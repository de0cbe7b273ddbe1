"""The SQL API as another service uses it: plain SQL, as an unprivileged LOGIN role.

Two halves:

* ``tests/sql/*.sql``: scripts a DBA can read and run with psql. Every statement ends with
  its expected outcome as a comment, checked here by :func:`run_script`:

  ``-- ok``                       the statement succeeds
  ``-- ok: <row>``                it returns exactly one row, which psql would print
                                  (unaligned) as ``<row>`` (columns joined by ``|``)
  ``-- rows: <n>``                it returns ``n`` rows
  ``-- error <SQLSTATE> [<constraint>]``  it fails with that SQLSTATE (and constraint)

  ``\\connect - <role>`` switches the session to another role, as in psql. Scripts start as
  the database owner (a superuser here), like ``psql -f`` run by a DBA.
* Python tests for what a script cannot express: diagnostics fields, catalog properties
  (STABLE, SECURITY DEFINER, grants), READ ONLY transactions.

The LOGIN roles ``calib_test_writer`` (member of calib_admin) and ``calib_test_reader``
(member of calib_reader) are created for the test session and dropped afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb
from psycopg.types.string import TextLoader

from calibcert.errors import ConflictingCertificationError, InvalidTimespanError, translate
from search_paths import assert_paths_match, path_of, stored

SCRIPTS = Path(__file__).resolve().parent / "sql"
WRITER = "calib_test_writer"
READER = "calib_test_reader"
LOOKUPS = ("find", "find_many", "certifications")
READ_FUNCTIONS = LOOKUPS + ("query_datasets", "get_datasets", "get_chain", "list_collections",
                            "list_dataset_types", "probe",
                            # lead: reader (the health functions; roles are being reshaped)
                            "check_integrity", "collection_stats",
                            # history (revision 0014)
                            "current_epoch", "epoch_at", "history",
                            # explain (revision 0014, issue 16 item 4)
                            "explain",
                            # issue 16: digests (reader)
                            "collection_digest")
#: Public functions that run as their caller (inlined into the caller's statement; see
#: sql/functions/probe.sql); every other public function is SECURITY DEFINER.
INVOKER_FUNCTIONS = ("probe",)
WRITE_FUNCTIONS = ("register_collection", "set_chain", "remove_collection",
                   "register_dataset_type", "insert_datasets", "tag", "untag", "certify",
                   "certify_series", "decertify", "close_open_range", "copy_collection",
                   # revision 0012's setters (calib_admin's)
                   "set_collection_state", "set_collection_writers",
                   # issue 16, retention (calib_admin's)
                   "prune_history",
                   # snapshots (revision 0014, certifier)
                   "snapshot_collection",
                   # revision 0014 (calib_admin's)
                   "revert")


# -- roles and sessions --------------------------------------------------------------------


@pytest.fixture(scope="module")
def login_roles(pg_admin_url: str) -> Iterator[None]:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role, group in ((WRITER, "calib_admin"), (READER, "calib_reader")):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE {group}")
    yield
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role in (WRITER, READER):
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def as_role(url: str, role: str) -> str:
    """The same database URL, logging in as ``role`` (the test server trusts local logins)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.fixture
def connect_as(pg_url: str, login_roles) -> Iterator:
    opened: list[psycopg.Connection] = []

    def connect(role: str | None, autocommit: bool = True) -> psycopg.Connection:
        conn = psycopg.connect(pg_url if role is None else as_role(pg_url, role),
                               autocommit=autocommit)
        conn.execute("SET TimeZone = 'UTC'")
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


# -- the script runner ---------------------------------------------------------------------


_ANNOTATION = re.compile(r"^(?P<sql>.*;)\s*--\s*(?P<expect>(ok|rows|error)\b.*)$")
_CONNECT = re.compile(r"^\\c(?:onnect)?\s+-\s+(\w+)\s*$")


@dataclass
class Statement:
    line: int
    sql: str
    expect: str


def parse_script(text: str) -> list[Statement | str]:
    """Statements with their expectations, and role names for ``\\connect - role`` lines."""
    out: list[Statement | str] = []
    buf: list[str] = []
    start = 0
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("--")):
            continue
        m = _CONNECT.match(stripped)
        if m and not buf:
            out.append(m.group(1))
            continue
        if not buf:
            start = no
        m = _ANNOTATION.match(line)
        if m:
            buf.append(m.group("sql"))
            out.append(Statement(start, "\n".join(buf), m.group("expect").strip()))
            buf = []
        else:
            assert not stripped.endswith(";"), f"line {no}: statement without an expected outcome"
            buf.append(line)
    assert not buf, f"unterminated statement from line {start}"
    return out


def text_session(url: str) -> psycopg.Connection:
    """An autocommit session that returns every value as PostgreSQL's own text (as psql)."""
    conn = psycopg.connect(url, autocommit=True)
    for (oid,) in conn.execute("SELECT oid FROM pg_type").fetchall():
        conn.adapters.register_loader(oid, TextLoader)
    return conn


def check(conn: psycopg.Connection, stmt: Statement) -> str | None:
    """Run one statement; None if it behaved as annotated, else what went wrong."""
    kind, _, arg = stmt.expect.partition(" ")
    if kind == "ok:":
        kind, arg = "ok:", stmt.expect[3:].strip()
    try:
        cur = conn.execute(stmt.sql)
        rows = cur.fetchall() if cur.description else []
    except psycopg.Error as exc:
        if kind != "error":
            return f"failed with {exc.sqlstate}: {exc.diag.message_primary}"
        code, _, constraint = arg.partition(" ")
        if exc.sqlstate != code:
            return f"expected {code}, got {exc.sqlstate}: {exc.diag.message_primary}"
        if constraint and exc.diag.constraint_name != constraint.strip():
            return f"expected constraint {constraint}, got {exc.diag.constraint_name}"
        return None
    if kind == "error":
        return f"expected error {arg}, but it succeeded with {rows!r}"
    if kind == "rows:":
        return None if len(rows) == int(arg) else f"expected {arg} rows, got {len(rows)}: {rows}"
    if kind == "ok:":
        if len(rows) != 1:
            return f"expected one row, got {len(rows)}: {rows}"
        got = "|".join("" if v is None else v for v in rows[0])
        return None if got == arg else f"expected {arg!r}, got {got!r}"
    assert kind == "ok", f"unknown expectation {stmt.expect!r}"
    return None


def run_script(path: Path, owner_url: str) -> list[str]:
    """Run a script statement by statement; the list of mismatches (empty = all as
    annotated)."""
    items = parse_script(path.read_text())
    assert any(isinstance(i, Statement) for i in items), f"{path.name}: no statements"
    conn = text_session(owner_url)
    problems: list[str] = []
    try:
        for item in items:
            if isinstance(item, str):
                conn.close()
                conn = text_session(as_role(owner_url, item))
                continue
            problem = check(conn, item)
            if problem:
                problems.append(f"{path.name}:{item.line}: {item.sql.strip()}\n    {problem}")
    finally:
        conn.close()
    return problems


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sql")))
def test_sql_script(script: str, pg_url: str, login_roles) -> None:
    problems = run_script(SCRIPTS / script, pg_url)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sql")))
def test_sql_script_under_psql(script: str, pg_url: str, login_roles) -> None:
    # The DBA's way: psql runs the file and must report exactly the annotated errors, each
    # within the lines of its annotated statement: psql and the runner split alike.
    import os
    import subprocess

    from calibcert.testing import find_bindir

    path = SCRIPTS / script
    done = subprocess.run(
        [os.path.join(find_bindir(), "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=0",
         "-f", str(path), "-d", pg_url], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = [int(m) for m in re.findall(rf"^psql:{re.escape(str(path))}:(\d+): ERROR:",
                                      done.stderr, re.M)]
    statements = [i for i in parse_script(path.read_text()) if isinstance(i, Statement)]
    expected = [(st.line, st.line + st.sql.count("\n")) for st in statements
                if st.expect.startswith("error")]
    assert len(got) == len(expected), done.stderr
    for line, (first, last) in zip(got, expected, strict=True):
        assert first <= line <= last, (line, first, last)


def test_scripts_exist_and_are_fully_annotated() -> None:
    names = {p.name for p in SCRIPTS.glob("*.sql")}
    assert {"certify.sql", "lookups.sql", "permissions.sql", "raw_writes.sql",
            "chains.sql"} <= names
    for name in names:
        stmts = [i for i in parse_script((SCRIPTS / name).read_text()) if isinstance(i, Statement)]
        assert len(stmts) >= 10, name


def test_runner_notices_a_wrong_annotation(pg_url: str, tmp_path: Path, login_roles) -> None:
    # The runner itself must be able to fail, or every script would pass vacuously.
    script = tmp_path / "wrong.sql"
    script.write_text("SELECT 1; -- ok: 2\nSELECT 1/0; -- ok\nSELECT 1; -- error 22012\n"
                      "SELECT 1 UNION SELECT 2; -- rows: 3\nSELECT 1/0; -- error 22012\n")
    problems = run_script(script, pg_url)
    assert len(problems) == 4, problems


# -- the writer role -----------------------------------------------------------------------

IDS = {f"{run}-{det}": f"00000000-0000-4000-8000-0000000000{i}{det}"
       for i, run in ((1, "run1"), (2, "run2")) for det in (1, 2, 3)}


def seed(conn: psycopg.Connection) -> None:
    """Dataset type bias (instrument, detector), RUN run1/run2 with detectors 1-3, a
    CALIBRATION collection calib, as a service would set them up."""
    conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'])")
    conn.execute("SELECT calib.register_collection('calib', 'CALIBRATION')")
    for run in ("run1", "run2"):
        conn.execute("SELECT calib.register_collection(%s, 'RUN')", (run,))
        conn.execute(
            "SELECT * FROM calib.insert_datasets('bias', %s, %s::jsonb[], %s::uuid[])",
            (run, [Jsonb({"instrument": "Cam", "detector": d}) for d in (1, 2, 3)],
             [IDS[f"{run}-{d}"] for d in (1, 2, 3)]))


def test_writer_certifies_and_looks_up_with_plain_sql(connect_as) -> None:
    conn = connect_as(WRITER)
    seed(conn)
    n = conn.execute(
        "SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2020-01-01,infinity)')",
        (IDS["run1-1"],)).fetchone()[0]
    assert n == 1
    # -infinity / infinity and missing bounds are the same thing once stored.
    conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[-infinity,2020-01-01)')",
                 (IDS["run2-1"],))
    rows = conn.execute(
        "SELECT dataset_id::text, lower_inf(validity), upper_inf(validity), validity::text"
        " FROM calib.certifications('calib') ORDER BY lower(validity) NULLS FIRST").fetchall()
    assert rows == [
        (IDS["run2-1"], True, False, '(,"2020-01-01 00:00:00+00")'),
        (IDS["run1-1"], False, True, '["2020-01-01 00:00:00+00",)'),
    ]
    found = conn.execute(
        "SELECT dataset_id::text, run FROM calib.find('calib', 'bias',"
        " '{\"detector\": 1, \"instrument\": \"Cam\"}',"
        " '2019-12-31 23:59:59.999999+00'::timestamptz)"
    ).fetchall()
    assert found == [(IDS["run2-1"], "run2")]
    many = conn.execute(
        "SELECT ord, dataset_id::text FROM calib.find_many('calib', 'bias', %s::jsonb[],"
        " ARRAY['2020-01-01', '1900-01-01', '2020-01-01']::timestamptz[]) ORDER BY ord",
        ([Jsonb({"instrument": "Cam", "detector": d}) for d in (1, 1, 2)],)).fetchall()
    assert many == [(1, IDS["run1-1"]), (2, IDS["run2-1"]), (3, None)]


def test_conflict_diagnostics(connect_as) -> None:
    conn = connect_as(WRITER)
    seed(conn)
    conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2020-01-01,)')",
                 (IDS["run1-1"],))
    with pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT calib.certify('calib', %s::uuid[], '[2021-01-01,2022-01-01)')",
                     ([IDS["run2-1"], IDS["run2-2"]],))
    diag = info.value.diag
    assert diag.sqlstate == "KC001"
    assert "'calib'" in diag.message_primary and IDS["run2-1"] in diag.message_primary
    detail = json.loads(diag.message_detail)
    assert detail["collection"] == "calib"
    assert detail["conflicts"] == [{
        "dataset_type": "bias", "data_id": {"instrument": "Cam", "detector": 1},
        "dataset": IDS["run2-1"],
        "timespan": ["2021-01-01T00:00:00.000000+00:00", "2022-01-01T00:00:00.000000+00:00"],
        "conflicting_dataset": IDS["run1-1"],
        "conflicting_timespan": ["2020-01-01T00:00:00.000000+00:00", None],
    }]
    # The whole call failed: detector 2 was not stored either.
    assert conn.execute("SELECT count(*) FROM calib.certifications('calib')").fetchone()[0] == 1


@pytest.mark.parametrize("table", ["collection", "collection_chain", "dataset_type", "data_id",
                                   "dataset", "tag", "certification", "search_path",
                                   "search_path_generation"])
def test_service_roles_cannot_write_tables(connect_as, table: str) -> None:
    for role in (WRITER, READER):
        conn = connect_as(role)
        conn.execute(f"SELECT count(*) FROM calib.{table}")  # reading is allowed
        for stmt in (f"DELETE FROM calib.{table}", f"TRUNCATE calib.{table}",
                     f"INSERT INTO calib.{table} DEFAULT VALUES",
                     f"UPDATE calib.{table} SET {plain_column(conn, table)} = NULL"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)


def plain_column(conn: psycopg.Connection, table: str) -> str:
    # Not an identity column: updating one fails on its own (428C9) before privileges count.
    return conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND attidentity = '' AND NOT attisdropped ORDER BY attnum LIMIT 1",
        (f"calib.{table}",)).fetchone()[0]


def test_private_helpers_are_not_callable(connect_as) -> None:
    writer = connect_as(WRITER)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        writer.execute("SELECT calib._lock_collections(ARRAY[1])")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        writer.execute("SELECT calib._raise('KC001', 'forged')")
    private = writer.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc AS p"
        " WHERE p.pronamespace = 'calib'::regnamespace AND p.proname LIKE '\\_%%'"
        " AND (has_function_privilege('calib_admin', p.oid, 'EXECUTE')"
        "   OR has_function_privilege('calib_writer', p.oid, 'EXECUTE')"
        "   OR has_function_privilege('calib_reader', p.oid, 'EXECUTE')"
        "   OR has_function_privilege('public', p.oid, 'EXECUTE'))").fetchall()
    # The one exception (revision 0014, snapshots): calib.probe, granted to readers and run
    # with their rights, calls this read-only helper for snapshot members, so readers may
    # execute it (sql/schema/grants.sql); nobody may call any other.
    assert sorted(p for (p,) in private) == [
        "calib._snapshot_ids(integer,integer,tstzrange,bigint)"]
    assert not writer.execute(
        "SELECT has_function_privilege('public',"
        " 'calib._snapshot_ids(integer,integer,tstzrange,bigint)', 'EXECUTE')").fetchone()[0]


def test_reader_looks_up_but_cannot_change(connect_as) -> None:
    seed(connect_as(WRITER))
    connect_as(WRITER).execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '(,)')",
                               (IDS["run1-2"],))
    reader = connect_as(READER)
    assert reader.execute(
        "SELECT dataset_id::text FROM calib.find('calib', 'bias',"
        " '{\"instrument\": \"Cam\", \"detector\": 2}', now())").fetchone()[0] == IDS["run1-2"]
    assert reader.execute("SELECT count(*) FROM calib.certifications('calib', 'bias')"
                          ).fetchone()[0] == 1
    for stmt in (f"SELECT calib.certify('calib', ARRAY['{IDS['run2-2']}']::uuid[], '(,)')",
                 "SELECT calib.decertify('calib', 'bias', '(,)')",
                 "SELECT calib.register_collection('x', 'RUN')"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(stmt)


def test_function_grants_match_the_roles(connect_as) -> None:
    conn = connect_as(None)
    rows = conn.execute(
        "SELECT p.proname, has_function_privilege('calib_reader', p.oid, 'EXECUTE'),"
        " has_function_privilege('calib_admin', p.oid, 'EXECUTE'),"
        " has_function_privilege('public', p.oid, 'EXECUTE')"
        " FROM pg_proc AS p WHERE p.pronamespace = 'calib'::regnamespace"
        " AND p.proname NOT LIKE '\\_%%'").fetchall()
    seen = {name for name, *_ in rows}
    assert seen == set(READ_FUNCTIONS) | set(WRITE_FUNCTIONS)
    # (Which role may call what, function by function: tests/test_roles.py.)
    for name, reader, admin, public in rows:
        assert not public, name
        assert admin, name
        assert reader == (name in READ_FUNCTIONS), name


def test_public_functions_are_security_definer(connect_as) -> None:
    # Every public function runs as its owner (callers need no table rights). That they
    # cannot be hijacked through the caller's search_path is tests/test_security.py's.
    rows = connect_as(None).execute(
        "SELECT p.oid::regprocedure::text, p.prosecdef FROM pg_proc AS p"
        " WHERE p.pronamespace = 'calib'::regnamespace AND p.proname NOT LIKE '\\_%%'"
    ).fetchall()
    assert len(rows) > 20
    for sig, secdef in rows:
        assert secdef == (sig.split("(")[0].removeprefix("calib.") not in INVOKER_FUNCTIONS), sig


# -- lookups: STABLE, read-only, as on a hot standby ---------------------------------------


def test_lookups_are_stable_and_writers_volatile(connect_as) -> None:
    rows = connect_as(None).execute(
        "SELECT p.proname, p.provolatile FROM pg_proc AS p"
        " WHERE p.pronamespace = 'calib'::regnamespace AND p.proname NOT LIKE '\\_%%'"
    ).fetchall()
    volatility: dict[str, set[str]] = {}
    for name, vol in rows:
        volatility.setdefault(name, set()).add(vol)
    # The README (SQL API): lookups are STABLE; every overload of find / find_many too.
    for name in READ_FUNCTIONS:
        assert volatility[name] == {"s"}, name
    # A writer must see rows committed while it waited for its lock (a new snapshot per
    # statement), which only VOLATILE functions get.
    for name in WRITE_FUNCTIONS:
        assert volatility[name] == {"v"}, name


def _seed_for_lookups(connect_as) -> None:
    writer = connect_as(WRITER)
    seed(writer)
    writer.execute("SELECT calib.register_collection('chain', 'CHAINED')")
    writer.execute("SELECT calib.set_chain('chain', ARRAY['calib', 'run2'])")
    writer.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2020-01-01,2021-01-01)')",
                   (IDS["run1-1"],))


@pytest.mark.parametrize("how", ["transaction", "session"])
def test_lookups_work_read_only(connect_as, how: str) -> None:
    _seed_for_lookups(connect_as)
    reader = connect_as(READER, autocommit=False)
    if how == "transaction":
        reader.execute("SET TRANSACTION READ ONLY")
    else:
        reader.execute("SET default_transaction_read_only = on")
        reader.commit()
    assert reader.execute("SHOW transaction_read_only").fetchone()[0] == "on"
    did = Jsonb({"instrument": "Cam", "detector": 1})
    queries = [
        ("SELECT dataset_id::text FROM calib.find('chain', 'bias', %s, '2020-06-01'::timestamptz)",
         (did,), [(IDS["run1-1"],)]),
        ("SELECT dataset_id::text FROM calib.find('chain', 'bias', %s, '2022-06-01'::timestamptz)",
         (did,), [(IDS["run2-1"],)]),
        ("SELECT dataset_id::text FROM calib.find('calib', 'bias', %s,"
         " '[2020-06-01,2020-07-01)'::tstzrange)", (did,), [(IDS["run1-1"],)]),
        ("SELECT dataset_id::text FROM calib.find_many('chain', 'bias', ARRAY[%s]::jsonb[],"
         " ARRAY[NULL]::timestamptz[])", (did,), [(IDS["run2-1"],)]),
        ("SELECT dataset_id::text FROM calib.find_many('chain', 'bias', ARRAY[%s]::jsonb[],"
         " ARRAY['[2020-01-01,2020-02-01)']::tstzrange[])", (did,), [(IDS["run1-1"],)]),
        ("SELECT collection, dataset_id::text FROM calib.certifications('chain')", (),
         [("calib", IDS["run1-1"])]),
        ("SELECT calib.get_chain('chain')", (), [(["calib", "run2"],)]),
        ("SELECT count(*) FROM calib.query_datasets('chain', 'bias')", (), [(3,)]),
        ("SELECT run FROM calib.get_datasets(ARRAY[%s]::uuid[])", (IDS["run2-3"],), [("run2",)]),
        ("SELECT count(*) FROM calib.list_collections()", (), [(4,)]),
        ("SELECT name FROM calib.list_dataset_types()", (), [("bias",)]),
    ]
    for sql, params, expected in queries:
        assert reader.execute(sql, params).fetchall() == expected, sql
    reader.rollback()


def test_writes_fail_in_a_read_only_transaction(connect_as) -> None:
    _seed_for_lookups(connect_as)
    writer = connect_as(WRITER, autocommit=False)
    writer.execute("SET TRANSACTION READ ONLY")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        writer.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2030-01-01,)')",
                       (IDS["run1-2"],))
    writer.rollback()


# -- raw writes by a superuser: the table constraints still hold --------------------------


def _raw_session(connect_as) -> tuple[psycopg.Connection, dict[str, int]]:
    owner = connect_as(None)
    seed(owner)
    keys = dict(owner.execute(
        "SELECT d.dataset_id::text, d.data_id_key FROM calib.dataset AS d").fetchall())
    return owner, keys


RAW_INSERT = (
    "INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
    " validity) SELECT c.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id, %s"
    " FROM calib.collection AS c, calib.dataset AS d WHERE c.name = %s AND d.dataset_id = %s"
    " RETURNING validity::text"
)


def test_raw_overlapping_insert_hits_the_exclusion_constraint(connect_as) -> None:
    owner, _ = _raw_session(connect_as)
    owner.execute(RAW_INSERT, ("[2020-01-01,2021-01-01)", "calib", IDS["run1-1"]))
    with pytest.raises(psycopg.errors.ExclusionViolation) as info:
        owner.execute(RAW_INSERT, ("[2020-06-01,2022-01-01)", "calib", IDS["run2-1"]))
    assert info.value.sqlstate == "23P01"
    assert info.value.diag.constraint_name == "certification_no_overlap"
    err = translate(info.value)
    assert isinstance(err, ConflictingCertificationError) and err.__cause__ is info.value
    # Adjacent is not overlapping, for raw writers too.
    owner.execute(RAW_INSERT, ("[2021-01-01,2022-01-01)", "calib", IDS["run2-1"]))


@pytest.mark.parametrize(("given", "stored"), [
    ("[2020-01-01,infinity)", '["2020-01-01 00:00:00+00",)'),
    ("[-infinity,2020-01-01)", '(,"2020-01-01 00:00:00+00")'),
    ("[-infinity,infinity)", "(,)"),
    ("[-infinity,infinity]", "(,)"),
    ("(,)", "(,)"),
])
def test_raw_infinity_is_normalised_to_unbounded(connect_as, given: str, stored: str) -> None:
    owner, _ = _raw_session(connect_as)
    assert owner.execute(RAW_INSERT, (given, "calib", IDS["run1-1"])).fetchone()[0] == stored


def test_raw_update_to_infinity_is_normalised(connect_as) -> None:
    owner, _ = _raw_session(connect_as)
    owner.execute(RAW_INSERT, ("[2020-01-01,2021-01-01)", "calib", IDS["run1-1"]))
    got = owner.execute("UPDATE calib.certification SET validity = '[2020-01-01,infinity)'"
                        " RETURNING validity::text").fetchone()[0]
    assert got == '["2020-01-01 00:00:00+00",)'


@pytest.mark.parametrize("given", [
    "(2020-01-01,2021-01-01]", "(2020-01-01,2021-01-01)", "[2020-01-01,2021-01-01]",
    "empty", "[2020-01-01,2020-01-01)", "[2020-01-01,2020-01-01]", "[infinity,infinity]",
    "[-infinity,-infinity]",
])
def test_raw_bad_bounds_are_rejected_by_the_check(connect_as, given: str) -> None:
    owner, _ = _raw_session(connect_as)
    with pytest.raises(psycopg.errors.CheckViolation) as info:
        owner.execute(RAW_INSERT, (given, "calib", IDS["run1-1"]))
    assert info.value.diag.constraint_name == "certification_validity_bounds"
    assert isinstance(translate(info.value), InvalidTimespanError)


def test_raw_certification_outside_a_calibration_collection_is_refused(connect_as) -> None:
    owner, _ = _raw_session(connect_as)
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
        owner.execute(RAW_INSERT, ("[2020-01-01,)", "run1", IDS["run1-1"]))
    assert info.value.diag.constraint_name == "certification_collection_fkey"
    # A certification whose data ID is not its dataset's is refused too.
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
        owner.execute(
            "INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
            " dataset_id, validity) SELECT c.collection_id, d.dataset_type_id, d.data_id_key + 1,"
            " d.dataset_id, '[2020-01-01,)' FROM calib.collection AS c, calib.dataset AS d"
            " WHERE c.name = 'calib' AND d.dataset_id = %s", (IDS["run1-1"],))
    assert info.value.diag.constraint_name == "certification_dataset_fkey"


# -- the stored search path ----------------------------------------------------------------
# calib.search_path holds every collection's search path flattened, kept by triggers; after
# every kind of write it must equal the recursive walk that calib._flatten used to run
# (tests/search_paths.py).


def _register(conn: psycopg.Connection, **types: str) -> None:
    for name, type_ in types.items():
        conn.execute("SELECT calib.register_collection(%s, %s)", (name, type_))


def _set_chain(conn: psycopg.Connection, parent: str, children: list[str]) -> None:
    conn.execute("SELECT calib.set_chain(%s, %s::text[])", (parent, children))


def _raw_links(owner: psycopg.Connection, links: list[tuple[str, int, str]]) -> None:
    """INSERT (parent, position, child) rows into collection_chain in one raw statement."""
    owner.execute(
        "INSERT INTO calib.collection_chain (parent_id, position, child_id)"
        " SELECT p.collection_id, v.position, c.collection_id"
        " FROM unnest(%s::text[], %s::int[], %s::text[]) AS v(parent, position, child)"
        " JOIN calib.collection AS p ON p.name = v.parent"
        " JOIN calib.collection AS c ON c.name = v.child",
        ([lk[0] for lk in links], [lk[1] for lk in links], [lk[2] for lk in links]))


def _generation(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT generation FROM calib.search_path_generation").fetchone()
    return row[0] if row else 0


KINDS = {"run1": "RUN", "run2": "RUN", "tagged": "TAGGED", "calib": "CALIBRATION",
         "top": "CHAINED", "mid": "CHAINED", "low": "CHAINED", "empty": "CHAINED"}


def test_search_path_follows_set_chain(connect_as) -> None:
    conn = connect_as(WRITER)  # through the functions, with a service role's rights
    _register(conn, **KINDS)
    assert_paths_match(conn)
    assert path_of(conn, "run1") == ["run1"] and path_of(conn, "calib") == ["calib"]
    assert path_of(conn, "top") == []
    steps: list[tuple[str, list[str], dict[str, list[str]]]] = [
        # nested, with an empty chain inside
        ("low", ["calib", "empty"], {"low": ["calib"]}),
        ("mid", ["low", "run2"], {"mid": ["calib", "run2"]}),
        # repeated members: each collection once, at its first occurrence
        ("top", ["run1", "mid", "run2", "tagged", "low", "mid"],
         {"top": ["run1", "calib", "run2", "tagged"]}),
        # a change deep down changes every chain above it
        ("low", ["tagged", "calib"], {"mid": ["tagged", "calib", "run2"],
                                      "top": ["run1", "tagged", "calib", "run2"]}),
        # re-ordering
        ("mid", ["run2", "low"], {"top": ["run1", "run2", "tagged", "calib"]}),
        ("empty", ["run1"], {"empty": ["run1"], "low": ["tagged", "calib"]}),
        ("low", ["empty", "empty"], {"low": ["run1"], "mid": ["run2", "run1"],
                                     "top": ["run1", "run2", "tagged"]}),
        # emptied chains
        ("empty", [], {"low": [], "mid": ["run2"], "top": ["run1", "run2", "tagged"]}),
        ("top", [], {"top": [], "mid": ["run2"]}),
    ]
    for parent, children, expected in steps:
        _set_chain(conn, parent, children)
        assert_paths_match(conn)
        for name, members in expected.items():
            assert path_of(conn, name) == members, (parent, children, name)


def test_search_path_after_copy_and_remove(connect_as) -> None:
    conn = connect_as(WRITER)
    _register(conn, **KINDS)
    _set_chain(conn, "low", ["calib", "run1"])
    _set_chain(conn, "mid", ["low", "run2"])
    conn.execute("SELECT calib.copy_collection('mid', 'mid-copy')")
    conn.execute("SELECT calib.copy_collection('calib', 'calib-copy')")  # not chains
    conn.execute("SELECT calib.copy_collection('tagged', 'tagged-copy')")
    assert_paths_match(conn)
    assert path_of(conn, "mid-copy") == ["calib", "run1", "run2"]
    assert path_of(conn, "calib-copy") == ["calib-copy"]
    assert path_of(conn, "tagged-copy") == ["tagged-copy"]
    # Removing a chain runs the trigger through the foreign-key cascade of its links.
    before = _generation(conn)
    conn.execute("SELECT calib.remove_collection('mid')")
    assert _generation(conn) > before
    assert_paths_match(conn)
    assert path_of(conn, "mid") == []
    conn.execute("SELECT calib.remove_collection('mid-copy')")
    conn.execute("SELECT calib.remove_collection('tagged-copy')")
    _set_chain(conn, "low", [])
    conn.execute("SELECT calib.remove_collection('calib')")
    assert_paths_match(conn)
    assert path_of(conn, "calib") == [] and path_of(conn, "run1") == ["run1"]


def test_search_path_follows_raw_chain_writes(connect_as) -> None:
    owner = connect_as(None)  # the table owner, writing the table directly
    _register(owner, **KINDS)
    # Several parents in one statement.
    _raw_links(owner, [("top", 1, "mid"), ("top", 2, "run1"), ("mid", 1, "low"),
                       ("mid", 2, "tagged"), ("low", 1, "calib"), ("low", 2, "run2")])
    assert_paths_match(owner)
    assert path_of(owner, "top") == ["calib", "run2", "tagged", "run1"]
    # UPDATE: reverse the order of low, then point one link elsewhere.
    owner.execute("UPDATE calib.collection_chain SET position = -position"
                  " WHERE parent_id = (SELECT collection_id FROM calib.collection"
                  " WHERE name = 'low')")
    assert path_of(owner, "top") == ["run2", "calib", "tagged", "run1"]
    owner.execute("UPDATE calib.collection_chain SET child_id = (SELECT collection_id"
                  " FROM calib.collection WHERE name = 'empty')"
                  " WHERE child_id = (SELECT collection_id FROM calib.collection"
                  " WHERE name = 'tagged')")
    assert_paths_match(owner)
    assert path_of(owner, "mid") == ["run2", "calib"]
    # DELETE of some links, then of a chain (its links and its path go by cascade).
    owner.execute("DELETE FROM calib.collection_chain WHERE child_id = (SELECT collection_id"
                  " FROM calib.collection WHERE name = 'run2')")
    assert_paths_match(owner)
    assert path_of(owner, "top") == ["calib", "run1"]
    owner.execute("DELETE FROM calib.collection_chain WHERE child_id = (SELECT collection_id"
                  " FROM calib.collection WHERE name = 'mid')")
    owner.execute("DELETE FROM calib.collection WHERE name = 'mid'")
    assert_paths_match(owner)
    assert path_of(owner, "top") == ["run1"]
    # A statement that changes nothing, and TRUNCATE.
    owner.execute("DELETE FROM calib.collection_chain WHERE false")
    assert_paths_match(owner)
    owner.execute("TRUNCATE calib.collection_chain")
    assert_paths_match(owner)
    assert path_of(owner, "top") == [] and path_of(owner, "low") == []


def test_raw_type_change_of_a_linked_collection(connect_as) -> None:
    # No function changes a type; raw SQL may while no foreign key objects (an empty chain
    # becomes a RUN and back; a RUN without datasets becomes TAGGED) and the paths follow.
    owner = connect_as(None)
    _register(owner, **KINDS)
    _set_chain(owner, "top", ["empty", "run1"])
    _set_chain(owner, "mid", ["top", "run2"])
    for name, new_type, expected in (
            ("empty", "RUN", ["empty", "run1", "run2"]),
            ("run1", "TAGGED", ["empty", "run1", "run2"]),
            ("empty", "CHAINED", ["run1", "run2"])):
        owner.execute("UPDATE calib.collection SET type = %s WHERE name = %s", (new_type, name))
        assert_paths_match(owner)
        assert path_of(owner, "mid") == expected
    assert ("mid", 1, "run1", "TAGGED") in stored(owner)


def test_raw_cycle_is_refused_and_changes_nothing(connect_as) -> None:
    owner = connect_as(None)
    _register(owner, **KINDS)
    _set_chain(owner, "top", ["mid", "run1"])
    _set_chain(owner, "mid", ["low"])
    before = stored(owner)
    with pytest.raises(psycopg.Error) as info:
        _raw_links(owner, [("low", 1, "calib"), ("low", 2, "top")])
    assert info.value.sqlstate == "KC004"
    detail = json.loads(info.value.diag.message_detail)
    assert detail["collection"] in {"top", "mid", "low"} and detail["child"] in {"top", "mid",
                                                                                  "low"}
    assert stored(owner) == before
    assert owner.execute("SELECT calib.get_chain('low')").fetchone()[0] == []


def test_raw_writer_without_rights_on_search_path_keeps_it_right(connect_as) -> None:
    # The trigger function runs as its owner: a role allowed to write collection_chain
    # (granted by a DBA) need not be allowed to write search_path.
    owner = connect_as(None)
    _register(owner, **KINDS)
    owner.execute("GRANT INSERT, DELETE ON calib.collection_chain TO calib_test_writer")
    writer = connect_as(WRITER)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        writer.execute("DELETE FROM calib.search_path")
    _raw_links(writer, [("top", 1, "calib"), ("top", 2, "run2")])
    assert path_of(owner, "top") == ["calib", "run2"]
    writer.execute("DELETE FROM calib.collection_chain")
    assert_paths_match(owner)
    assert path_of(owner, "top") == []


def test_search_path_random_chain_changes(connect_as) -> None:
    # Random set_chain / copy / remove calls over a small pool of nested chains (repeats,
    # empty chains and refused cycles included); stored and walked paths agree throughout.
    import random

    conn = connect_as(WRITER)
    leaves = {"run1": "RUN", "run2": "RUN", "tagged": "TAGGED", "calib": "CALIBRATION",
              "calib2": "CALIBRATION"}
    chains = [f"c{i}" for i in range(6)]
    _register(conn, **leaves, **dict.fromkeys(chains, "CHAINED"))
    rng = random.Random(20240501)
    cycles = copies = 0
    for step in range(120):
        roll = rng.random()
        if roll < 0.1:
            name = f"copy{step}"
            conn.execute("SELECT calib.copy_collection(%s, %s)", (rng.choice(chains), name))
            chains.append(name)
            copies += 1
        elif roll < 0.15 and len(chains) > 4:
            victim = chains.pop(rng.randrange(len(chains)))
            for parent in chains:  # a chain still listed cannot be removed: unlink it first
                children = conn.execute("SELECT calib.get_chain(%s)", (parent,)).fetchone()[0]
                if victim in children:
                    _set_chain(conn, parent, [c for c in children if c != victim])
            conn.execute("SELECT calib.remove_collection(%s)", (victim,))
        else:
            pool = list(leaves) + chains
            children = [rng.choice(pool) for _ in range(rng.randrange(0, 5))]
            try:
                _set_chain(conn, rng.choice(chains), children)
            except psycopg.Error as exc:
                assert exc.sqlstate == "KC004", exc
                cycles += 1
        assert_paths_match(conn)
    assert cycles > 0 and copies > 0  # the walk met the interesting cases


def test_flatten_reads_the_stored_path(connect_as) -> None:
    owner = connect_as(None)
    _register(owner, **KINDS)
    _set_chain(owner, "mid", ["calib", "run2"])
    _set_chain(owner, "top", ["tagged", "mid", "run2", "empty"])
    for name in KINDS:
        rows = owner.execute(
            "SELECT f.ord, f.name, f.type FROM calib._flatten((SELECT collection_id"
            " FROM calib.collection WHERE name = %s)) AS f ORDER BY f.ord", (name,)).fetchall()
        assert [r[1] for r in rows] == path_of(owner, name)
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        assert all(r[2] == KINDS[r[1]] for r in rows)
    assert path_of(owner, "top") == ["tagged", "calib", "run2"]


# -- a real hot standby --------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    """PostgreSQL programs refuse to run as root: run them as the test server's account."""
    import os
    import pwd

    if os.geteuid() != 0:
        return argv
    user = pwd.getpwnam(os.environ.get("CALIBCERT_PG_USER", "postgres"))
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
            "--", *argv]


@pytest.fixture(scope="module")
def standby(pg_server, pg_admin_url: str, pg_template: str, login_roles) -> Iterator[dict]:
    """A streaming-replication hot standby of the test server, with database
    ``calib_standby`` (seeded on the primary before the base backup)."""
    import os
    import pwd
    import shutil
    import subprocess
    import tempfile
    import time

    from calibcert.testing import SERVER_ARGS, find_bindir, server_url

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS calib_standby")
        conn.execute(f'CREATE DATABASE calib_standby TEMPLATE "{pg_template}"')
    primary = server_url(pg_server, "calib_standby")
    with psycopg.connect(as_role(primary, WRITER), autocommit=True) as conn:
        seed(conn)
        conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2020-01-01,)')",
                     (IDS["run1-1"],))

    base = tempfile.mkdtemp(prefix="calibcert-standby-")
    data = os.path.join(base, "data")
    if os.geteuid() == 0:
        user = pwd.getpwnam(os.environ.get("CALIBCERT_PG_USER", "postgres"))
        os.chown(base, user.pw_uid, user.pw_gid)
    bindir = find_bindir()
    dsn = pg_server.dsn()
    subprocess.run(_as_server_user([
        os.path.join(bindir, "pg_basebackup"), "-h", dsn["host"], "-p", str(dsn["port"]),
        "-U", "postgres", "-D", data, "-R", "-X", "stream", "--checkpoint=fast"]),
        check=True, capture_output=True, text=True, cwd="/")
    port = _free_port()
    proc = subprocess.Popen(_as_server_user([
        # The primary's settings: a standby refuses lower max_connections and the like.
        os.path.join(bindir, "postgres"), "-D", data, "-p", str(port), "-k", base,
        *SERVER_ARGS.split(), "-c", "hot_standby=on"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")
    url = f"postgresql://postgres@127.0.0.1:{port}/calib_standby"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(url) as conn:
                    assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                break
            except psycopg.OperationalError as exc:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"standby did not start: {proc.stderr.read()!r}") from exc
                time.sleep(0.1)
        yield {"primary": primary, "standby": url}
    finally:
        proc.terminate()  # SIGTERM: smart shutdown; nothing but us is connected
        proc.wait(60)
        shutil.rmtree(base, ignore_errors=True)
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS calib_standby WITH (FORCE)")


def _wait_for_replay(primary: str, standby: str) -> None:
    import time

    with psycopg.connect(primary, autocommit=True) as conn:
        # The insert position: the test server commits asynchronously, so the write
        # position may still be behind the commit we are waiting for.
        lsn = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
    deadline = time.monotonic() + 60
    with psycopg.connect(standby, autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                               (lsn,)).fetchone()[0]:
            assert time.monotonic() < deadline, "standby does not replay"
            time.sleep(0.05)


def test_lookups_on_a_hot_standby(standby: dict) -> None:
    import calibcert
    from calibcert.types import Timespan

    reader_url = as_role(standby["standby"], READER)
    did = Jsonb({"instrument": "Cam", "detector": 1})
    with psycopg.connect(reader_url, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        assert conn.execute(
            "SELECT dataset_id::text FROM calib.find('calib', 'bias', %s,"
            " '2021-01-01'::timestamptz)", (did,)).fetchone()[0] == IDS["run1-1"]
        assert conn.execute(
            "SELECT count(*) FROM calib.find_many('calib', 'bias', ARRAY[%s, %s]::jsonb[],"
            " ARRAY['2021-01-01', '2019-01-01']::timestamptz[]) WHERE dataset_id IS NOT NULL",
            (did, did)).fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM calib.certifications('calib')"
                            ).fetchone()[0] == 1
    # The Python client reads from the standby too (connect checks the schema revision).
    with calibcert.connect(reader_url) as reg:
        [cert] = reg.certifications("calib")
        assert str(cert.ref.id) == IDS["run1-1"]
        assert cert.timespan.end is None

    # A change committed on the primary shows on the standby once replayed.
    with psycopg.connect(as_role(standby["primary"], WRITER), autocommit=True) as conn:
        conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2030-01-01,)', true)",
                     (IDS["run2-1"],))
    _wait_for_replay(standby["primary"], standby["standby"])
    with calibcert.connect(reader_url) as reg:
        from datetime import datetime, timezone

        assert str(reg.find("calib", "bias", {"instrument": "Cam", "detector": 1},
                            datetime(2031, 1, 1, tzinfo=timezone.utc)).id) == IDS["run2-1"]
        spans = [c.timespan for c in reg.certifications("calib")]
        assert spans[0] == Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc),
                                    datetime(2030, 1, 1, tzinfo=timezone.utc))

    # Writers cannot write there, even with every privilege.
    with psycopg.connect(as_role(standby["standby"], WRITER), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("SELECT calib.certify('calib', ARRAY[%s]::uuid[], '[2040-01-01,)')",
                         (IDS["run2-2"],))
