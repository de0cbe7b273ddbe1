"""One value type per dimension (issue 14, item 2; revision 0010).

A dimension's value type (integer or string) is global per dimension name and fixed at first
use: the first data ID stored with the dimension fixes it (``calib.dimension`` and its
SQLite twin). A data ID whose value has the other type is refused with ``DataIdError``
(KC008, kind ``data_id_value_type``) wherever data IDs come in: insert_datasets, find,
find_many, decertify / close_open_range filters and query_datasets' where; from the
client on both backends, from SQL, and for raw writers (a statement trigger on PostgreSQL,
guard triggers in the SQLite file). So ``1`` and ``"1"`` can never be two keys, and a lookup
with the wrong type is an error, not an empty answer.

Each test names the broken version it catches.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

import calibcert
from calibcert import CollectionType, Timespan, migrate
from calibcert.errors import CalibCertError, DataIdError, InvalidNameError
from calibcert.registry import Registry
from helpers import pop_upgrade_history
from test_pg_concurrency import Call, pid_of, wait_until_blocked

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc


def t(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC)


def setup(reg: Registry) -> None:
    reg.register_collection("run", CollectionType.RUN)
    reg.register_collection("run2", CollectionType.RUN)
    reg.register_collection("calib", CollectionType.CALIBRATION)
    reg.register_dataset_type("bias", ("instrument", "detector"))
    reg.register_dataset_type("flat", ("instrument", "detector", "band"))


def bias(detector: Any) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": detector}


def _type_error(excinfo: pytest.ExceptionInfo[DataIdError], dimension: str, value_type: str,
                value: Any) -> None:
    err = excinfo.value
    assert err.details["kind"] == "data_id_value_type"
    assert (err.dimension, err.value_type, err.value) == (dimension, value_type, value)
    assert repr(dimension) in err.message and value_type in err.message


# -- through the client, on both backends --------------------------------------------------


def test_first_use_fixes_the_type_for_every_dataset_type(backend: Registry) -> None:
    # Broken version caught: a type per (dataset type, dimension), or none at all (revision
    # 0009: "1" and 1 were two keys).
    setup(backend)
    ref = backend.insert_datasets("bias", "run", [bias(1)])[0]
    with pytest.raises(DataIdError) as info:
        backend.insert_datasets("bias", "run2", [bias("1")])
    _type_error(info, "detector", "integer", "1")
    with pytest.raises(DataIdError) as info:  # another dataset type, same dimension name
        backend.insert_datasets("flat", "run", [{"instrument": "Cam", "detector": "1",
                                                 "band": "g"}])
    _type_error(info, "detector", "integer", "1")
    with pytest.raises(DataIdError) as info:  # instrument was fixed as a string
        backend.insert_datasets("flat", "run", [{"instrument": 7, "detector": 1, "band": "g"}])
    _type_error(info, "instrument", "string", 7)
    assert backend.query_datasets("run", "bias") == [ref]
    assert backend.query_datasets("run2", "bias") == []
    assert backend.query_datasets("run", "flat") == []


def test_within_one_call_the_first_value_fixes_the_type_and_a_refusal_fixes_nothing(
        backend: Registry) -> None:
    # Broken versions caught: a batch checked against the stored types only (1 and "2" in one
    # new call would both be stored), and a refused call that leaves its types fixed.
    setup(backend)
    with pytest.raises(DataIdError) as info:
        backend.insert_datasets("bias", "run", [bias(1), bias(2), bias("3")])
    _type_error(info, "detector", "integer", "3")
    assert info.value.data_id == bias("3")
    assert backend.query_datasets("run", "bias") == []
    # Nothing was fixed by the refused call: detector may still become a string dimension.
    refs = backend.insert_datasets("bias", "run", [bias("3"), bias("01")])
    assert [r.data_id["detector"] for r in refs] == ["3", "01"]
    with pytest.raises(DataIdError) as info:
        backend.insert_datasets("bias", "run2", [bias(3)])
    _type_error(info, "detector", "string", 3)


def test_lookups_with_the_other_type_are_errors_not_misses(backend: Registry) -> None:
    # Broken version caught: type checks on writes only; a lookup with "1" then silently
    # finds nothing although detector 1 is certified.
    setup(backend)
    refs = backend.insert_datasets("bias", "run", [bias(1), bias(2)])
    backend.certify("calib", refs, Timespan(t(2020), None))
    assert backend.find("calib", "bias", bias(1), t(2021)) == refs[0]
    calls = [
        lambda: backend.find("calib", "bias", bias("1"), t(2021)),
        lambda: backend.find("run", "bias", bias("1"), None),
        lambda: backend.find_many("calib", "bias", [(bias(2), t(2021)), (bias("1"), t(2021))]),
        lambda: backend.decertify("calib", "bias", Timespan(t(2020), t(2022)), [bias("1")]),
        lambda: backend.close_open_range("calib", "bias", t(2030), [bias(2), bias("1")]),
        lambda: backend.query_datasets("run", "bias", {"detector": "1"}),
        lambda: backend.query_datasets("run", "bias", {"instrument": 5}),
    ]
    for call in calls:
        with pytest.raises(DataIdError) as info:
            call()
        assert info.value.details["kind"] == "data_id_value_type"
    # Nothing changed, and the right types still work.
    assert [c.timespan for c in backend.certifications("calib")] == [Timespan(t(2020), None)] * 2
    assert backend.query_datasets("run", "bias", {"detector": 1}) == [refs[0]]
    assert backend.find_many("calib", "bias", [(bias(2), t(2021))]) == [refs[1]]


def test_a_dimension_never_stored_takes_any_type_in_lookups(backend: Registry) -> None:
    # Broken version caught: lookups that fix types (they must not write) or refuse values of
    # a dimension no data ID has used yet.
    setup(backend)
    assert backend.find("run", "bias", bias("1"), None) is None
    assert backend.find("run", "bias", bias(1), None) is None
    assert backend.query_datasets("run", "bias", {"detector": "x"}) == []
    ref = backend.insert_datasets("bias", "run", [bias("x")])[0]  # lookups fixed nothing
    assert backend.find("run", "bias", bias("x"), None) == ref


def test_both_backends_say_the_same(pg_registry: Registry, sqlite_registry: Registry) -> None:
    # Broken version caught: the SQLite twin raising another kind, message or details than
    # calib._canonical_data_ids / calib._canonical_where.
    def calls(reg: Registry) -> list[Any]:
        return [lambda: reg.insert_datasets("bias", "run2", [bias(2), bias("3")]),
                lambda: reg.find("run", "bias", bias("1"), None),
                lambda: reg.find_many("run", "bias", [(bias(1), None), (bias("1"), None)]),
                lambda: reg.query_datasets("run", "bias", {"detector": "1"}),
                lambda: reg.insert_datasets("flat", "run", [
                    {"instrument": "Cam", "detector": 1, "band": "g"},
                    {"instrument": "Cam", "detector": 2, "band": 3}])]

    outcomes = []
    for reg in (pg_registry, sqlite_registry):
        setup(reg)
        reg.insert_datasets("bias", "run", [bias(1)])
        got = []
        for call in calls(reg):
            with pytest.raises(CalibCertError) as info:
                call()
            got.append((type(info.value), info.value.message, info.value.details))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][-1][2]["dimension"] == "band"  # fixed by the first item of the call


# -- from SQL, and raw writers ----------------------------------------------------------------


def _sql_world(conn: psycopg.Connection) -> None:
    conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'])")
    conn.execute("SELECT calib.register_collection('run', 'RUN')")
    conn.execute("SELECT calib.register_collection('run2', 'RUN')")


def test_sql_functions_enforce_the_rule_themselves(pg_url: str) -> None:
    # Broken version caught: the rule checked by the Python client only (a service calling
    # SQL would store "1" next to 1).
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _sql_world(conn)
        conn.execute("SELECT * FROM calib.insert_datasets('bias', 'run',"
                     " ARRAY['{\"instrument\": \"Cam\", \"detector\": 1}']::jsonb[])")
        assert conn.execute("SELECT name, value_type FROM calib.dimension ORDER BY 1"
                            ).fetchall() == [("detector", "integer"), ("instrument", "string")]
        for sql in (
                "SELECT * FROM calib.insert_datasets('bias', 'run2',"
                " ARRAY['{\"instrument\": \"Cam\", \"detector\": \"1\"}']::jsonb[])",
                "SELECT * FROM calib.find('run', 'bias', '{\"instrument\": \"Cam\","
                " \"detector\": \"1\"}', NULL::timestamptz)",
                "SELECT * FROM calib.query_datasets('run', 'bias', '{\"detector\": \"1\"}')"):
            with pytest.raises(psycopg.Error) as info:
                conn.execute(sql)
            assert info.value.sqlstate == "KC008"
            detail = json.loads(info.value.diag.message_detail)
            assert (detail["kind"], detail["dimension"], detail["value"]) == (
                "data_id_value_type", "detector", "1")
        assert conn.execute("SELECT count(*) FROM calib.data_id").fetchone()[0] == 1


def test_raw_writers_of_postgresql_meet_the_rule(pg_url: str) -> None:
    # Broken version caught: no trigger on calib.data_id (a DBA's INSERT stores "1").
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _sql_world(conn)
        conn.execute("SELECT * FROM calib.insert_datasets('bias', 'run',"
                     " ARRAY['{\"instrument\": \"Cam\", \"detector\": 1}']::jsonb[])")
        type_id = conn.execute("SELECT dataset_type_id FROM calib.dataset_type").fetchone()[0]
        with pytest.raises(psycopg.Error) as info:
            conn.execute("INSERT INTO calib.data_id (dataset_type_id, value) VALUES (%s, %s)",
                         (type_id, Jsonb(bias("1"))))
        assert info.value.sqlstate == "KC008"
        with pytest.raises(psycopg.Error) as info:
            conn.execute("UPDATE calib.data_id SET value = %s", (Jsonb(bias("2")),))
        assert info.value.sqlstate == "KC008"
        # A raw write of a new dimension fixes it, and a mixed statement is refused whole.
        with pytest.raises(psycopg.Error) as info:
            conn.execute("INSERT INTO calib.data_id (dataset_type_id, value) VALUES"
                         " (%s, '{\"zz\": 1}'), (%s, '{\"zz\": \"1\"}')", (type_id, type_id))
        assert info.value.sqlstate == "KC008"
        conn.execute("INSERT INTO calib.data_id (dataset_type_id, value) VALUES"
                     " (%s, '{\"zz\": \"a\"}')", (type_id,))
        assert conn.execute("SELECT value_type FROM calib.dimension WHERE name = 'zz'"
                            ).fetchone()[0] == "string"
        assert conn.execute("SELECT count(*) FROM calib.data_id").fetchone()[0] == 2


def test_raw_writers_of_sqlite_meet_the_rule(sqlite_url: str) -> None:
    # Broken version caught: a file without the guard triggers (a plain sqlite3 script would
    # store "1" next to 1); the same writes on a file downgraded to 0009 go through.
    with calibcert.connect(sqlite_url) as reg:
        setup(reg)
        reg.insert_datasets("bias", "run", [bias(1)])
    path = sqlite_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        type_id = conn.execute("SELECT dataset_type_id FROM dataset_type WHERE name = 'bias'"
                               ).fetchone()[0]
        for sql, args in (
                ("INSERT INTO data_id (dataset_type_id, value) VALUES (?, ?)",
                 (type_id, '{"detector":"1","instrument":"Cam"}')),
                ("UPDATE data_id SET value = ?", ('{"detector":"2","instrument":"Cam"}',)),
                ("INSERT INTO data_id (dataset_type_id, value) VALUES (?, ?), (?, ?)",
                 (type_id, '{"zz":1}', type_id, '{"zz":"1"}'))):
            with pytest.raises(sqlite3.IntegrityError, match="data_id_value_type"):
                conn.execute(sql, args)
        conn.execute("INSERT INTO data_id (dataset_type_id, value) VALUES (?, ?)",
                     (type_id, '{"zz":"a"}'))
        assert conn.execute("SELECT value_type FROM dimension WHERE name = 'zz'"
                            ).fetchone()[0] == "string"
        assert conn.execute("SELECT count(*) FROM data_id").fetchone()[0] == 2
    finally:
        conn.close()
    with calibcert.connect(sqlite_url) as reg:  # the backend sees the raw writer's type
        with pytest.raises(DataIdError):
            reg.find("run", "bias", {"instrument": "Cam", "detector": "1"}, None)
    migrate.downgrade(sqlite_url, "0009")  # the mutant: no guard
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("INSERT INTO data_id (dataset_type_id, value) VALUES (?, ?)",
                     (type_id, '{"detector":"1","instrument":"Cam"}'))
    finally:
        conn.close()


def test_lookup_plans_cached_on_sqlite_see_a_type_fixed_by_another_connection(
        sqlite_url: str) -> None:
    # Broken version caught: the SQLite backend caching a lookup plan's types without the
    # catalog version noticing the new dimension: "1" would then silently find nothing.
    with calibcert.connect(sqlite_url) as a, calibcert.connect(sqlite_url) as b:
        setup(a)
        assert b.find("run", "bias", bias("1"), None) is None  # b caches its plan
        a.insert_datasets("bias", "run", [bias(1)])
        with pytest.raises(DataIdError):
            b.find("run", "bias", bias("1"), None)
        with pytest.raises(DataIdError):
            b.find_many("run", "bias", [(bias("1"), None)])


def test_two_transactions_fixing_one_new_dimension_cannot_both_win(pg_url: str) -> None:
    # Broken version caught: fixing by "SELECT, then INSERT if absent" without a unique key
    # to meet on (or reading the type from the statement's old snapshot): both transactions
    # would see no type and store theirs, 1 in one RUN and "1" in the other.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        _sql_world(conn)
    insert = "SELECT count(*) FROM calib.insert_datasets(%s, %s, ARRAY[%s]::jsonb[])"
    for finish, b_outcome in (("commit", "KC008"), ("rollback", 1)):
        with psycopg.connect(pg_url) as a, psycopg.connect(pg_url) as b, \
                psycopg.connect(pg_url, autocommit=True) as observer:
            det = f"det_{finish}"
            a.execute("SELECT calib.register_dataset_type(%s, ARRAY[%s])", (det, det))
            a.commit()
            assert a.execute(insert, (det, "run", Jsonb({det: 1}))).fetchone()[0] == 1
            call = Call(lambda b=b, det=det: b.execute(insert, (det, "run2", Jsonb({det: "1"})))
                        .fetchone()[0])
            call.start()
            wait_until_blocked(observer, pid_of(b), pid_of(a), call)  # on dimension_pkey
            getattr(a, finish)()
            if b_outcome == "KC008":
                with pytest.raises(psycopg.Error) as info:
                    call.outcome()
                assert info.value.sqlstate == "KC008"
                b.rollback()
            else:
                assert call.outcome() == b_outcome
                b.commit()
            types = observer.execute("SELECT value_type FROM calib.dimension WHERE name = %s",
                                     (det,)).fetchall()
            values = observer.execute(
                "SELECT value -> %s FROM calib.data_id WHERE value ? %s", (det, det)).fetchall()
            expected = "integer" if finish == "commit" else "string"
            assert types == [(expected,)]
            assert values == [(1 if finish == "commit" else "1",)]


# -- upgrading a database written at revision 0009 ----------------------------------------------


@pytest.fixture
def empty_pg(pg_server, pg_admin_url) -> Iterator[str]:
    from calibcert.testing import server_url

    name = f"calib_dims_{os.getpid()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server_url(pg_server, name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_contents(url: str) -> dict[str, list[Any]]:
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT relname, relnatts FROM pg_class WHERE relnamespace = 'calib'::regnamespace"
            " AND relkind = 'r'"  # tables that 0009 has not (0010's, 0012's) are left out
            " AND relname NOT IN ('alembic_version', 'dimension', 'installation')"
            " ORDER BY 1").fetchall()
        # (a one-column table, such as 0019's calib.epoch_lock, orders by its column)
        return {t: conn.execute(f"SELECT * FROM calib.{t} ORDER BY 1{', 2' * (n > 1)}").fetchall()
                for t, n in tables}


def _pg_at_0009(url: str, detectors: list[Any]) -> None:
    migrate.upgrade(url, "0009")
    with psycopg.connect(url, autocommit=True) as conn:  # the client needs head: plain SQL
        _sql_world(conn)
        conn.execute("SELECT calib.register_dataset_type('flat', ARRAY['band'])")
        conn.execute("SELECT * FROM calib.insert_datasets('bias', 'run', %s::jsonb[])",
                     ([Jsonb(bias(d)) for d in detectors],))
        conn.execute("SELECT * FROM calib.insert_datasets('flat', 'run', %s::jsonb[])",
                     ([Jsonb({"band": "g"}), Jsonb({"band": "r"})],))


def test_postgresql_upgrade_keeps_clean_data_and_fills_the_types(empty_pg: str) -> None:
    # Broken version caught: an upgrade that loses or rewrites rows, or leaves calib.dimension
    # empty (then the first new insert could fix "1" next to the stored 1).
    _pg_at_0009(empty_pg, [1, 2, 3])
    before = _pg_contents(empty_pg)
    calibcert.upgrade(empty_pg)
    after = _pg_contents(empty_pg)
    pop_upgrade_history(after)  # 0014: what existed becomes epoch 1
    # Revision 0012: every collection becomes OPEN, with no writer list.
    assert after.pop("collection") == [(*r, "OPEN", None) for r in before.pop("collection")]
    assert after == before
    with psycopg.connect(empty_pg) as conn:
        assert conn.execute("SELECT name, value_type FROM calib.dimension ORDER BY 1").fetchall(
        ) == [("band", "string"), ("detector", "integer"), ("instrument", "string")]
    with calibcert.connect(empty_pg) as reg:
        with pytest.raises(DataIdError):
            reg.insert_datasets("bias", "run2", [bias("1")])
        assert reg.find("run", "bias", bias(2), None) is not None


def test_postgresql_upgrade_refuses_mixed_types_and_changes_nothing(empty_pg: str) -> None:
    # Broken version caught: an upgrade that merges or silently keeps 1 and "1" (or fixes the
    # type of the first one found); also the frozen script without its own guard.
    _pg_at_0009(empty_pg, [1, "1", 2])
    before = _pg_contents(empty_pg)
    with pytest.raises(DataIdError) as info:
        calibcert.upgrade(empty_pg)
    message = str(info.value)
    assert "dimension 'detector' has integer values (e.g. 1) and string values (e.g. \"1\")" \
        in message and "Nothing was changed" in message
    assert "instrument" not in message
    assert migrate.current(empty_pg) == "0009"
    assert _pg_contents(empty_pg) == before
    # The frozen script refuses on its own too (a run that skips the revision module's check).
    frozen = (ROOT / "migrations" / "versions" / "0010_dimension_types.postgresql.sql")
    with psycopg.connect(empty_pg) as conn:
        with pytest.raises(psycopg.Error) as err:
            conn.execute(frozen.read_text().encode())
        assert err.value.sqlstate == "KC008" and "'detector'" in str(err.value)
    assert migrate.current(empty_pg) == "0009"


def test_postgresql_upgrade_refuses_names_that_break_the_rules(empty_pg: str) -> None:
    # Broken version caught: an upgrade that adds the NFC CHECK over stored NFD names
    # (a raw check violation) or leaves them unreachable by NFC lookups.
    migrate.upgrade(empty_pg, "0009")
    with psycopg.connect(empty_pg, autocommit=True) as conn:
        conn.execute("SELECT calib.register_collection(%s, 'RUN')", ("cafe\u0301",))
    with pytest.raises(InvalidNameError, match="collection name 'cafe\u0301'"):
        calibcert.upgrade(empty_pg)
    assert migrate.current(empty_pg) == "0009"


def _sqlite_at_0009(path: Path, detectors: list[Any]) -> None:
    migrate.upgrade(f"sqlite:///{path}", "0009")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("INSERT INTO collection (name, type) VALUES ('run', 'RUN')")
        conn.execute("INSERT INTO dataset_type (name, dimensions, is_calibration)"
                     " VALUES ('bias', '[\"instrument\",\"detector\"]', 1)")
        for i, d in enumerate(detectors):
            conn.execute("INSERT INTO data_id (dataset_type_id, value) VALUES (1, ?)",
                         (json.dumps(bias(d), sort_keys=True, separators=(",", ":")),))
            conn.execute("INSERT INTO dataset (dataset_id, dataset_type_id, data_id_key, run_id)"
                         " VALUES (?, 1, ?, 1)", (bytes([i + 1] * 16), i + 1))
    finally:
        conn.close()


def _sqlite_contents(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("collection", "dataset_type", "data_id", "dataset")}
    finally:
        conn.close()


def test_sqlite_upgrade_keeps_clean_data_and_fills_the_types(tmp_path: Path) -> None:
    path = tmp_path / "clean.db"
    _sqlite_at_0009(path, [1, 2])
    before = _sqlite_contents(path)
    calibcert.upgrade(f"sqlite:///{path}")
    after = _sqlite_contents(path)
    # Revision 0012: every collection becomes OPEN.
    assert after.pop("collection") == [(*r, "OPEN") for r in before.pop("collection")]
    assert after == before
    with calibcert.connect(f"sqlite:///{path}") as reg:
        with pytest.raises(DataIdError):
            reg.insert_datasets("bias", "run", [bias("1")])
        assert reg.find("run", "bias", bias(2), None) is not None


def test_sqlite_upgrade_refuses_mixed_types_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mixed.db"
    _sqlite_at_0009(path, [1, "1"])
    before = _sqlite_contents(path)
    with pytest.raises(DataIdError, match="dimension 'detector' has integer values "
                                          "\\(e.g. 1\\) and string values \\(e.g. \"1\"\\)"):
        calibcert.upgrade(f"sqlite:///{path}")
    assert migrate.current(f"sqlite:///{path}") == "0009"
    assert _sqlite_contents(path) == before
    # The frozen script's own guard, without the revision module's check.
    from calibcert.schema import install_sql  # noqa: F401  (the package is importable)

    frozen = (ROOT / "migrations" / "versions" / "0010_dimension_types.sqlite.sql").read_text()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        with pytest.raises(sqlite3.IntegrityError, match="mix the value types"):
            conn.executescript(frozen)
    finally:
        conn.close()
    assert migrate.current(f"sqlite:///{path}") == "0009"
    assert _sqlite_contents(path) == before
