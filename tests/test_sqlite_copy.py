"""copy_collection and decertify on SQLite without the per-row insert probes (revision
0017): copy's one INSERT ... SELECT of the source's current rows into the collection it has
just created, and decertify's INSERT of the second pieces of the rows it split, run while
change_context.checked_into names their collection, and the file's certification insert
guards (overlap, parents, FROZEN) step aside for rows stamped with the call's operation into
it (sql/sqlite/schema/guards.sql says why those rows hold the rules). Proved here: the copy
is what it was; the flag is cleared when the call returns (raw writers in the same
transaction, and after it, are probed); a raw insert stamped 'copy_collection' or
'decertify' is probed like any other. The values of both calls are the behaviour suite's.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from helpers import t

TYPE = "bias"


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


def _world(reg: Registry) -> list[Any]:
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in range(1, 6)],
                               ids=[uuid.UUID(int=d) for d in range(1, 6)])
    reg.register_collection("X", CollectionType.CALIBRATION)
    reg.certify("X", refs, Timespan(t(2020), t(2022)))
    reg.certify("X", refs, Timespan(t(2023), None))
    return refs


#: A raw insert of X's closed rows ([2020, 2022)) into collection :c shifted by :shift
#: microseconds, stamped as copy_collection stamps its rows.
_SHIFTED = (
    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
    " run_id, begin_us, end_us, created_change, created_operation)"
    " SELECT :c, dataset_type_id, data_id_key, dataset_id, run_id,"
    " begin_us + :shift, end_us + :shift, created_change, 'copy_collection'"
    " FROM certification WHERE collection_id = (SELECT collection_id FROM collection"
    "   WHERE name = 'X') AND end_us < 9223372036854775807")
_YEAR = 365 * 86_400_000_000


def _overlapping(c: int) -> dict[str, int]:
    return {"c": c, "shift": _YEAR}  # [2021, 2023): overlaps the copy of [2020, 2022)


def _id(conn: sqlite3.Connection, name: str) -> int:
    return conn.execute("SELECT collection_id FROM collection WHERE name = ?",
                        (name,)).fetchone()[0]


def test_copy_equals_its_source_and_clears_the_flag(sqlite_url: str) -> None:
    with calibcert.connect(sqlite_url) as reg:
        _world(reg)
        reg.copy_collection("X", "Y")
        src = [(c.ref.id, c.timespan) for c in reg.certifications("X")]
        assert [(c.ref.id, c.timespan) for c in reg.certifications("Y")] == src
        assert len(src) == 10
        assert tuple(reg.connection.execute(
            "SELECT operation, versions, checked_into FROM change_context").fetchone()) == (
            None, None, None)
        # Copied rows belong to the copy's change, as the insert trigger would stamp them.
        e = reg.current_epoch()
        assert {(r.epoch, r.operation) for r in reg.history("Y", TYPE)} == {
            (e, "copy_collection")}


def test_raw_writers_around_a_copy_are_probed(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        _world(reg)
        with reg.transaction():
            reg.copy_collection("X", "Y")
            # Raw SQL in the same transaction, after the call, into the new collection:
            # the flag is gone, the guard refuses the overlap.
            with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
                reg.connection.execute(_SHIFTED, _overlapping(_id(reg.connection, "Y")))
        assert len(reg.certifications("Y")) == 10
        with reg.transaction():
            assert reg.decertify("Y", TYPE, Timespan(t(2020, 6), t(2021))) == 5  # splits
            x = _id(reg.connection, "X")
            with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
                reg.connection.execute(
                    _SHIFTED.replace("'copy_collection'", "'decertify'"),
                    _overlapping(_id(reg.connection, "Y")))
            with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
                reg.connection.execute(_SHIFTED.replace("'copy_collection'", "'decertify'"),
                                       {"c": x, "shift": _YEAR})
    raw = sqlite3.connect(path)
    try:
        y = _id(raw, "Y")
        # After the transaction, plain sqlite3 with the copy's stamp: probed.
        with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
            raw.execute(_SHIFTED, _overlapping(y))
        # The same rows a century earlier are stored (the probe refused, not the stamp).
        assert raw.execute(_SHIFTED, {"c": y, "shift": -100 * _YEAR}).rowcount == 5
        raw.commit()
    finally:
        raw.close()


def test_a_raw_insert_stamped_as_a_checked_into_a_frozen_collection_is_refused(
        sqlite_url: str) -> None:
    # The FROZEN insert guard steps aside only for the copy's own statement. A raw insert
    # stamped with the open change and 'copy_collection' (so that the history's insert
    # trigger, whose stamping UPDATE meets the FROZEN update guard, stays silent) into a
    # FROZEN collection, inside a calibcert transaction: refused by the insert guard.
    with calibcert.connect(sqlite_url) as reg:
        refs = _world(reg)
        reg.register_collection("Z", CollectionType.CALIBRATION)
        reg.set_collection_state("Z", "FROZEN")
        conn = reg.connection
        with reg.transaction():
            reg.certify("X", refs[:1], Timespan(t(2022), t(2023)))  # opens the change
            change = conn.execute("SELECT change_id FROM change WHERE open = 1").fetchone()[0]
            with pytest.raises(sqlite3.IntegrityError, match="collection_frozen"):
                conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us, created_change, created_operation)"
                    " SELECT ?, dataset_type_id, data_id_key, dataset_id, run_id, begin_us,"
                    " end_us, ?, 'copy_collection' FROM certification WHERE collection_id = ?",
                    (_id(conn, "Z"), change, _id(conn, "X")))
        assert reg.certifications("Z") == []


@pytest.mark.parametrize("bulk_rows", [1, 10**9], ids=["bulk", "small"])
def test_copy_counts_its_source_under_the_write_lock(
        sqlite_url: str, bulk_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy outside any transaction counts its source's rows under the write lock
    (revision 0018: before the transaction, in a read of its own, before): a large one is
    undone before its first write and runs again with the foreign keys off (_write's
    ``bulk``), once; a small one runs once with them on; inside a transaction the pragma
    never changes. The copies and the history are the same either way."""
    from calibcert.backends.sqlite import collections
    monkeypatch.setattr(collections, "BULK_ROWS", bulk_rows)
    with calibcert.connect(sqlite_url) as reg:
        _world(reg)
        reg.register_collection("T", CollectionType.TAGGED)
        reg.tag("T", reg.query_datasets("run1", TYPE))
        conn = reg.connection
        sent: list[str] = []
        conn.set_trace_callback(sent.append)
        reg.copy_collection("X", "X2")
        reg.copy_collection("T", "T2")
        with reg.transaction():
            reg.copy_collection("X", "X3")
        conn.set_trace_callback(None)
        pragmas = [s for s in sent if s.startswith("PRAGMA")]
        begins = [s for s in sent if s == "BEGIN IMMEDIATE"]
        if bulk_rows == 1:
            assert pragmas == ["PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"] * 2
            assert len(begins) == 5 and sent.count("ROLLBACK") == 2
        else:
            assert pragmas == [] and len(begins) == 3 and "ROLLBACK" not in sent
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        for copy, source in (("X2", "X"), ("X3", "X")):
            assert [(c.ref.id, c.timespan) for c in reg.certifications(copy)] == [
                (c.ref.id, c.timespan) for c in reg.certifications(source)]
        assert {r.id for r in reg.query_datasets("T2", TYPE)} == {
            r.id for r in reg.query_datasets("T", TYPE)}
        ops = [r.operation for r in reg.history("X2", TYPE)]
        assert ops and set(ops) == {"copy_collection"}
        # One change per copy: the undone first run left no change behind.
        assert conn.execute("SELECT count(*) FROM change WHERE open = 1").fetchone()[0] == 0
        epochs = {r.epoch for name in ("X2", "X3") for r in reg.history(name, TYPE)}
        assert len(epochs) == 2
