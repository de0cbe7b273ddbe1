"""Tests the mutation check (tests/mutations/) found missing: each is selected for the mutant
it catches there, and each says which breakage it guards against.

Behaviour tests run on every backend (the ``backend`` / ``world`` fixtures); the mutation
check selects the parameter where the breakage lives. SQL-level tests call the functions
directly, as a service would: the Python layer's own checks would otherwise stop the bad
input before the SQL ever sees it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    ConflictingCertificationError,
    InvalidArgumentError,
    MissingCollectionError,
)
from helpers import CALIB, RUN, RUN2, World, bias_id, rows, t, ts

# -- copy_collection inherits the doc (mutants pg-copy-forgets-doc, sqlite-copy-forgets-doc) -


def test_copy_collection_inherits_the_doc(backend: Registry) -> None:
    # README/API: "p_doc defaults to the source's doc".
    backend.register_collection("src", CollectionType.CALIBRATION, doc="the source's doc")
    backend.register_collection("chain", CollectionType.CHAINED)
    backend.copy_collection("src", "copy")
    backend.copy_collection("src", "own", doc="its own doc")
    backend.copy_collection("chain", "chain-copy")
    docs = {c.name: c.doc for c in backend.list_collections()}
    assert docs == {"src": "the source's doc", "copy": "the source's doc",
                    "own": "its own doc", "chain": None, "chain-copy": None}


# -- the shared client layer's argument checks (mutants client-*) -----------------------------


def test_insert_datasets_ids_count_is_checked(world: World) -> None:
    # One id per data ID, refused by the shared layer as InvalidArgumentError on every backend
    # (without that check the SQLite backend failed with a bare ValueError from zip()).
    reg = world.reg
    with pytest.raises(InvalidArgumentError):
        reg.insert_datasets("bias", RUN, [bias_id(1), bias_id(2)], ids=[uuid.uuid4()])
    with pytest.raises(InvalidArgumentError):
        reg.insert_datasets("bias", RUN, [bias_id(1)], ids=[uuid.uuid4(), uuid.uuid4()])
    assert reg.query_datasets(RUN, "bias") == []


def test_set_chain_refuses_a_string_of_children(backend: Registry) -> None:
    # A string is a sequence of one-letter names: with collections "a" and "b" registered,
    # set_chain("chain", "ab") would silently chain them.
    backend.register_collection("chain", CollectionType.CHAINED)
    backend.register_collection("a", CollectionType.RUN)
    backend.register_collection("b", CollectionType.RUN)
    with pytest.raises(InvalidArgumentError):
        backend.set_chain("chain", "ab")  # type: ignore[arg-type]
    assert backend.get_chain("chain") == []


# -- overlap with the latest of several stored rows (mutant sqlite-guard-probe-first) --------


def test_certify_overlapping_the_latest_of_several_stored_rows_is_refused(world: World) -> None:
    # The overlap check must look at every stored row of the key, not only the earliest:
    # here only the last of three rows overlaps the new span.
    reg = world.reg
    a, b = world.bias(1), world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [a], ts(2021, 2022))
    reg.certify(CALIB, [a], ts(2023, None))
    before = rows(reg)
    for span in (ts(2024, 2025), ts(2022, 2024), ts(2023, None)):
        with pytest.raises(ConflictingCertificationError):
            reg.certify(CALIB, [b], span)
        with pytest.raises(ConflictingCertificationError):
            reg.certify_series(CALIB, [(b, span.begin)])
    assert rows(reg) == before
    assert reg.certify(CALIB, [b], ts(2022, 2023)) == 1  # the gap is free


# -- raw SQLite update stretching a row forward (mutant sqlite-guard-update-weak) --------------


def _us(year: int) -> int:
    return int((t(year) - t(1970)).total_seconds()) * 10**6


def test_raw_update_stretching_over_a_later_row_is_refused(sqlite_url: str) -> None:
    # guards.sql's update trigger: an end moved past the begin of the key's next row is an
    # overlap (the existing raw test moves a begin backwards only).
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type("bias", ("detector",))
        reg.register_collection("run", CollectionType.RUN)
        reg.register_collection("calib", CollectionType.CALIBRATION)
        ref = reg.insert_datasets("bias", "run", [{"detector": 1}])[0]
        reg.certify("calib", [ref], Timespan(t(2020), t(2021)))
        reg.certify("calib", [ref], Timespan(t(2022), t(2023)))
    conn = sqlite3.connect(Path(sqlite_url.removeprefix("sqlite:///")), isolation_level=None)
    try:
        for end in (_us(2022) + 1, _us(2024)):
            with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
                conn.execute("UPDATE certification SET end_us = ? WHERE begin_us = ?",
                             (end, _us(2020)))
        conn.execute("UPDATE certification SET end_us = ? WHERE begin_us = ?",
                     (_us(2022), _us(2020)))  # up to the next row: adjacent, no overlap
        spans = conn.execute("SELECT begin_us, end_us FROM certification"
                             " ORDER BY begin_us").fetchall()
        assert spans == [(_us(2020), _us(2022)), (_us(2022), _us(2023))]
    finally:
        conn.close()


# -- SQL-level validation, called directly (mutants pg-dataset-type-name-unchecked, ---------
# -- pg-canonical-fractions) ------------------------------------------------------------------


def _sqlstate(conn: psycopg.Connection, sql: str, params: tuple) -> str | None:
    try:
        with conn.transaction():
            conn.execute(sql, params)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def test_sql_register_dataset_type_refuses_bad_names(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in ("", "x" * 256, "bad\x01name", "tab\tname", "del\x7f"):
            assert _sqlstate(conn, "SELECT calib.register_dataset_type(%s, ARRAY['detector'])",
                             (name,)) == "KC014", repr(name)
            assert _sqlstate(conn, "SELECT calib.register_dataset_type('bias', ARRAY[%s])",
                             (name,)) == "KC014", repr(name)
        assert conn.execute("SELECT count(*) FROM calib.dataset_type").fetchone()[0] == 0


def test_sql_insert_datasets_refuses_fractional_values(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'])")
        conn.execute("SELECT calib.register_collection('run', 'RUN')")
        insert = "SELECT * FROM calib.insert_datasets('bias', 'run', ARRAY[%s::jsonb])"
        for value in ("1.5", "-0.25", "1e20", "9223372036854775808"):
            assert _sqlstate(conn, insert, (f'{{"detector": {value}}}',)) == "KC008", value
        assert conn.execute("SELECT count(*) FROM calib.dataset").fetchone()[0] == 0
        # an integral number written with a fraction is that integer, stored canonically
        (data_id,) = conn.execute(insert.replace("*", "data_id"),
                                  ('{"detector": 2.0}',)).fetchone()
        assert data_id == {"detector": 2}


# -- untag takes the collection lock (mutant pg-untag-no-lock) --------------------------------


def _waits_for_a_lock(observer: psycopg.Connection, pid: int) -> bool:
    row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                           (pid,)).fetchone()
    return row is not None and row[0] == "Lock"


def test_untag_waiting_for_a_removal_reports_the_missing_collection(pg_url: str) -> None:
    # untag locks the collection row (calib._lock_collections) like every writer: one that
    # waited for a concurrent remove_collection then reports the missing collection, as the
    # other writers do, instead of "untagged 0" from a collection that no longer exists.
    with calibcert.connect(pg_url) as setup:
        setup.register_dataset_type("bias", ("detector",))
        setup.register_collection("run", CollectionType.RUN)
        setup.register_collection("tagged", CollectionType.TAGGED)
        ref = setup.insert_datasets("bias", "run", [{"detector": 1}])[0]
        setup.tag("tagged", [ref])
    remover = psycopg.connect(pg_url)
    observer = psycopg.connect(pg_url, autocommit=True)
    writer = calibcert.connect(pg_url)
    outcome: list[object] = []

    def untag() -> None:
        try:
            outcome.append(writer.untag("tagged", [ref]))
        except Exception as exc:  # noqa: BLE001 - the outcome is checked below
            outcome.append(exc)

    try:
        remover.execute("SELECT calib.remove_collection('tagged')")  # uncommitted
        thread = threading.Thread(target=untag, daemon=True)
        thread.start()
        pid = writer.connection.info.backend_pid
        deadline = time.monotonic() + 30
        while thread.is_alive() and not _waits_for_a_lock(observer, pid):
            assert time.monotonic() < deadline, "untag neither waited nor finished"
            time.sleep(0.02)
        remover.commit()
        thread.join(30)
        assert not thread.is_alive(), "untag still waits after the removal committed"
        assert len(outcome) == 1
        assert isinstance(outcome[0], MissingCollectionError), outcome[0]
        assert outcome[0].collection == "tagged"
    finally:
        remover.close()
        observer.close()
        writer.close()


# -- set_chain keeps a repeated child once, at its first position (pg-set-chain-repeat-last) --


def test_set_chain_keeps_a_repeated_child_at_its_first_position(world: World) -> None:
    reg = world.reg
    reg.register_collection("chain", CollectionType.CHAINED)
    reg.set_chain("chain", [RUN, CALIB, RUN, RUN2, CALIB])
    assert reg.get_chain("chain") == [RUN, CALIB, RUN2]


# -- interning order (mutant pg-intern-in-input-order) ----------------------------------------


def test_interning_the_same_new_data_ids_in_opposite_orders_never_deadlocks(pg_url: str) -> None:
    # insert_datasets interns new data IDs in sorted order, so two calls given the same new
    # data IDs in opposite orders (into different RUNs: different collection locks) queue
    # on the first one instead of each waiting for the other halfway through. Every interned
    # row is slowed down here (a trigger of this test database), so that the two calls
    # surely overlap in time: interned in input order they meet in the middle, deadlock
    # (40P01) every time; sorted, the second waits for the first and both succeed.
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'])")
        admin.execute("SELECT calib.register_collection('run1', 'RUN')")
        admin.execute("SELECT calib.register_collection('run2', 'RUN')")
        # The dimension's type fixed beforehand (revision 0010): a call that fixes a new
        # dimension locks its row first, which would queue the two calls before they intern
        # anything and hide the interning order.
        admin.execute("SELECT calib.register_collection('run0', 'RUN')")
        admin.execute("SELECT calib.insert_datasets('bias', 'run0',"
                      " ARRAY['{\"detector\": 1000}']::jsonb[])")
        admin.execute("CREATE FUNCTION public.slow_row() RETURNS trigger LANGUAGE plpgsql"
                      " AS $$BEGIN PERFORM pg_catalog.pg_sleep(0.005); RETURN NEW; END$$")
        admin.execute("CREATE TRIGGER slow_row BEFORE INSERT ON calib.data_id"
                      " FOR EACH ROW EXECUTE FUNCTION public.slow_row()")
    data_ids = [psycopg.types.json.Jsonb({"detector": d}) for d in range(40)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def insert(run: str, order: list) -> None:
        with psycopg.connect(pg_url) as conn:
            barrier.wait()
            try:
                n = len(conn.execute("SELECT * FROM calib.insert_datasets('bias', %s, %s)",
                                     (run, order)).fetchall())
                conn.commit()
                outcomes[run] = n
            except psycopg.Error as exc:
                outcomes[run] = exc.sqlstate

    threads = [threading.Thread(target=insert, args=("run1", data_ids), daemon=True),
               threading.Thread(target=insert, args=("run2", data_ids[::-1]), daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "insert_datasets still waits"
    assert outcomes == {"run1": 40, "run2": 40}


# -- the collection is checked before the dataset type (mutant sqlite-collection-and-type-order:
#    SQLite's decertify and close_open_range read both in one statement since revision 0018) --


def test_a_wrong_collection_is_reported_before_a_wrong_dataset_type(world: World) -> None:
    from calibcert.errors import CollectionTypeError
    reg = world.reg
    for call in (lambda c, d: reg.decertify(c, d, ts(None, None)),
                 lambda c, d: reg.close_open_range(c, d, t(2022))):
        with pytest.raises(MissingCollectionError) as info:
            call("nope", "no-such-type")
        assert info.value.collection == "nope"
        with pytest.raises(CollectionTypeError) as info2:
            call(RUN, "no-such-type")
        assert info2.value.collection == RUN
