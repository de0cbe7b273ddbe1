"""Snapshots on SQLite: what only SQLite has to prove (README "Snapshots"). The behaviour
suite (tests/test_behaviour_snapshots.py) proves the answers and errors equal PostgreSQL's;
here: a raw sqlite3 writer can neither write into a snapshot, nor unfreeze it, nor change
the snapshot table, nor turn a collection into a snapshot behind calibcert's back (the
triggers of sql/sqlite/schema/snapshot.sql), while a well-formed raw snapshot reads as one;
processes racing snapshots against a writer each get the state of the epoch they were
given; the downgrade is refused while a snapshot exists.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Timespan, migrate
from calibcert.schema import HEAD_REVISION
from helpers import t
from test_sqlite_history import TYPE, answers, det, raw, world


def refused(path: str, statement: str, name: str, params: tuple[Any, ...] = ()) -> None:
    """A raw statement the file refuses with RAISE(ABORT, name); nothing stays changed."""
    conn = raw(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match=name):
            conn.execute(statement, params)
        conn.rollback()
    finally:
        conn.close()


def test_a_raw_writer_cannot_write_into_a_snapshot_or_change_one(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg, ("X",))
        reg.register_collection("C", CollectionType.CHAINED)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        e = reg.snapshot_collection("X", "S")
        reg.snapshot_collection("C", "SC")
        reg.snapshot_collection("run1", "Srun")
        then = answers(reg, "S", None)
        epoch = reg.current_epoch()
    ids = dict(raw(path).execute("SELECT name, collection_id FROM collection").fetchall())
    s, x = ids["S"], ids["X"]
    # No content, no unfreezing, no rename.
    refused(path, "INSERT INTO certification (collection_id, collection_type, dataset_type_id,"
                  " data_id_key, dataset_id, run_id, begin_us, end_us)"
                  " SELECT ?, 'CALIBRATION', dataset_type_id, data_id_key, dataset_id, run_id,"
                  " 0, 1 FROM dataset LIMIT 1", "collection_frozen", (s,))
    refused(path, "INSERT INTO collection_chain (parent_id, parent_type, position, child_id)"
                  " VALUES (?, 'CHAINED', 1, ?)", "collection_frozen", (ids["SC"], x))
    refused(path, "UPDATE dataset SET run_id = ? WHERE run_id = ?", "collection_frozen",
            (ids["Srun"], ids["run1"]))
    for state in ("OPEN", "APPEND_ONLY"):
        refused(path, "UPDATE collection SET state = ? WHERE collection_id = ?",
                "collection_frozen", (state, s))
    refused(path, "UPDATE collection SET name = 'renamed' WHERE collection_id = ?",
            "collection_frozen", (s,))
    # The snapshot table: no row changes, none goes while its collection exists.
    refused(path, "UPDATE snapshot SET epoch = 0 WHERE collection_id = ?",
            "snapshot_immutable", (s,))
    refused(path, "UPDATE snapshot SET source_id = ? WHERE collection_id = ?",
            "snapshot_immutable", (ids["C"], s))
    refused(path, "DELETE FROM snapshot WHERE collection_id = ?", "snapshot_immutable", (s,))
    # Nothing changed: the same answers, no new epoch.
    with calibcert.connect(sqlite_url) as reg:
        assert reg.current_epoch() == epoch
        assert answers(reg, "S", None) == then == answers(reg, "X", e)
        assert reg.check_integrity() == []
        # A raw delete of the snapshot's collection is its removal (allowed, as the admin's
        # remove_collection); its row stays, as on PostgreSQL.
    conn = raw(path)
    conn.execute("DELETE FROM collection WHERE collection_id = ?", (s,))
    conn.commit()
    assert conn.execute("SELECT source_id, epoch FROM snapshot WHERE collection_id = ?",
                        (s,)).fetchone() == (x, e)
    conn.close()


def test_a_raw_writer_cannot_turn_a_collection_into_a_snapshot(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg, ("X", "F"))
        reg.register_collection("tagged", CollectionType.TAGGED)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        reg.set_collection_state("F", "FROZEN")  # an existing, empty, FROZEN collection
        reg.snapshot_collection("X", "S")
        epoch = reg.current_epoch()
    ids = dict(raw(path).execute("SELECT name, collection_id FROM collection").fetchall())
    x = ids["X"]
    insert = "INSERT INTO snapshot (collection_id, source_id, epoch) VALUES (?, ?, ?)"
    # An existing collection (its past reads would change): refused.
    refused(path, insert, "snapshot_collection_new", (ids["F"], x, epoch))

    def new_collection(conn: sqlite3.Connection, name: str, type_: str, state: str) -> int:
        return conn.execute("INSERT INTO collection (collection_id, name, type, state)"
                            " VALUES ((SELECT max(collection_id) + 1 FROM collection), ?, ?, ?)",
                            (name, type_, state)).lastrowid

    for state, source, at, name in (
            ("OPEN", x, epoch, "snapshot_collection_new"),  # not FROZEN
            ("FROZEN", ids["S"], epoch, "snapshot_source"),  # a snapshot as source
            ("FROZEN", x, epoch + 1, "snapshot_source"),  # an epoch not committed
            ("FROZEN", ids["tagged"], epoch, "snapshot_source"),  # another type
            ("FROZEN", x, 1, "snapshot_source")):  # X did not exist at epoch 1
        conn = raw(path)
        cid = new_collection(conn, "raw", "CALIBRATION", state)
        with pytest.raises(sqlite3.IntegrityError, match=name):
            conn.execute(insert, (cid, source, at))
        conn.rollback()
        conn.close()
    # A well-formed raw snapshot (a new FROZEN collection and its row in one transaction)
    # is one: its search path carries the source and epoch.
    conn = raw(path)
    cid = new_collection(conn, "raw", "CALIBRATION", "FROZEN")
    conn.execute(insert, (cid, x, epoch))
    conn.commit()
    assert conn.execute("SELECT snapshot_of, snapshot_epoch FROM search_path"
                        " WHERE collection_id = ?", (cid,)).fetchone() == (x, epoch)
    conn.close()
    with calibcert.connect(sqlite_url) as reg:
        reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
        assert answers(reg, "raw", None) == answers(reg, "X", epoch) != answers(reg, "X", None)
        assert [r.operation for r in reg.history("raw")] == ["sql"]
        assert reg.check_integrity() == []


def _snapshotter(path: str, prefix: str, rounds: int, out: Any) -> None:
    with calibcert.connect(f"sqlite:///{path}") as reg:
        out.put([(f"{prefix}{i}", reg.snapshot_collection("X", f"{prefix}{i}"))
                 for i in range(rounds)])


def _certifier(path: str, rounds: int) -> None:
    with calibcert.connect(f"sqlite:///{path}") as reg:
        refs = {r.data_id["detector"]: r for r in reg.query_datasets("run1", TYPE)}
        for i in range(rounds):
            reg.certify("X", [refs[1 + i % 6]], Timespan(t(2000 + i), t(2001 + i)))


def test_snapshots_racing_a_writer_read_the_epoch_they_return(sqlite_url: str) -> None:
    """Processes take snapshots (default epoch) while another certifies: each returned
    epoch is one the writer had committed, and the snapshot reads exactly X as of it."""
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        world(reg, ("X",))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_snapshotter, args=(path, p, 15, out)) for p in ("A", "B")]
    procs.append(ctx.Process(target=_certifier, args=(path, 40)))
    for p in procs:
        p.start()
    made = out.get(timeout=120) + out.get(timeout=120)
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    with calibcert.connect(sqlite_url) as reg:
        epochs = {e for _, e in made}
        assert len(epochs) > 1  # they raced the writer, not just each other
        for name, e in made:
            assert answers(reg, name, None) == answers(reg, "X", e)
        assert reg.check_integrity() == []


def test_the_downgrade_is_refused_while_a_snapshot_exists(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        refs = world(reg, ("X",))
        reg.register_collection("C", CollectionType.CHAINED)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        reg.snapshot_collection("C", "SC")
        reg.set_chain("C", ["X"])
        live = answers(reg, "C", None)
    with pytest.raises(Exception, match="downgrade_refused_while_snapshot_collections_exist"):
        migrate.downgrade(url, "0014")
    assert migrate.current(url) == HEAD_REVISION  # nothing of the downgrade was applied
    with calibcert.connect(url) as reg:
        reg.remove_collection("SC")
    migrate.downgrade(url, "0014")
    assert migrate.current(url) == "0014"
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        assert answers(reg, "C", None) == live
        reg.snapshot_collection("C", "SC2")
        assert answers(reg, "SC2", None) == live
        assert reg.check_integrity() == []
