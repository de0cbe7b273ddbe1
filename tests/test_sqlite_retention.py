"""Retention and request ids on SQLite: what only SQLite has to prove (README "Retention and
request ids"). The behaviour suite (tests/test_behaviour_retention.py) proves the answers
equal PostgreSQL's; here: processes racing with one request id (BEGIN IMMEDIATE serializes
them: one runs, the other replays its results), a prune in progress that blocks no reader,
raw sqlite3 writers that cannot move the history horizon back, and the request-id rules a
raw write or another user's change reaches.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
import uuid
from contextlib import nullcontext
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Timespan
from calibcert.errors import ConflictingCertificationError, InvalidArgumentError
from helpers import t
from test_sqlite_history import TYPE, answers, det, world


def kind_of(exc: pytest.ExceptionInfo[Any]) -> str:
    return exc.value.details["kind"]


def path_of(url: str) -> str:
    return url.removeprefix("sqlite:///")


# -- request ids: processes racing ------------------------------------------------------


def _certify_as_request(url: str, rid: str, name: str, ids: list[str], go: Any,
                        out: Any) -> None:
    """Another process: certify ``ids`` into ``name`` in a transaction carrying ``rid``
    (after ``go`` is set); puts what the call returned, or the error's class name."""
    with calibcert.connect(url, busy_timeout=30) as reg:
        out.put("ready")
        go.wait(30)
        try:
            with reg.transaction(request_id=rid):
                out.put(reg.certify(name, [uuid.UUID(i) for i in ids],
                                    Timespan(t(2020), None)))
        except Exception as exc:  # noqa: BLE001 - reported to the test
            out.put(type(exc).__name__)


def _changes_with(url: str, rid: str) -> int:
    with sqlite3.connect(path_of(url)) as conn:
        return conn.execute("SELECT count(*) FROM change WHERE request_id = ?",
                            (rid,)).fetchone()[0]


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_a_second_process_with_the_same_id_waits_then_replays_or_runs(
        sqlite_url: str, outcome: str) -> None:
    """This process holds the write lock with request "race" (certified, not committed);
    another process sends the same request and waits for the lock (BEGIN IMMEDIATE). The
    first commits: the second returns the first's result without running (running would
    be a conflict). The first rolls back: the second runs, and its change holds the id."""
    ctx = multiprocessing.get_context("spawn")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        ids = [str(refs[1].id), str(refs[2].id)]
        go, out = ctx.Event(), ctx.Queue()
        other = ctx.Process(target=_certify_as_request,
                            args=(sqlite_url, "race", "X", ids, go, out))
        other.start()
        try:
            assert out.get(timeout=60) == "ready"

            class Undo(Exception):
                pass

            with pytest.raises(Undo) if outcome == "rollback" else nullcontext():
                with reg.transaction(request_id="race"):
                    assert reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None)) == 2
                    go.set()
                    time.sleep(0.5)  # the other process is now waiting for the lock
                    assert other.is_alive() and out.empty()
                    if outcome == "rollback":
                        raise Undo
            assert out.get(timeout=60) == 2
        finally:
            other.join(60)
        assert other.exitcode == 0
        assert [c.ref.id for c in reg.certifications("X")] == [refs[1].id, refs[2].id]
        assert _changes_with(sqlite_url, "race") == 1
        # Run again from here: a replay, whoever ran it.
        with reg.transaction(request_id="race"):
            assert reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None)) == 2


def test_processes_racing_with_one_id_run_it_once(sqlite_url: str) -> None:
    """Three processes send the same request at the same moment: one runs it, the others
    replay its result; the datasets are certified once, one change holds the id."""
    ctx = multiprocessing.get_context("spawn")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        ids = [str(refs[d].id) for d in (1, 2, 3)]
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_certify_as_request, args=(sqlite_url, "all", "X", ids, go, out))
             for _ in range(3)]
    for p in procs:
        p.start()
    try:
        assert [out.get(timeout=60) for _ in procs] == ["ready"] * 3
        go.set()
        assert [out.get(timeout=60) for _ in procs] == [3, 3, 3]
    finally:
        for p in procs:
            p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    with calibcert.connect(sqlite_url) as reg:
        assert len(reg.certifications("X")) == 3
        assert [r.request_id for r in reg.history("X") if r.operation == "certify"] \
            == ["all"] * 3
    assert _changes_with(sqlite_url, "all") == 1


# -- request ids: rules a raw write or another user reaches -----------------------------


def test_a_request_after_a_raw_write_in_its_transaction_is_late(sqlite_url: str) -> None:
    """A raw write through the registry's connection opened the transaction's change
    without the id: the first call is refused (request_id_late), nothing is kept."""
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        epoch = reg.current_epoch()
        with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="late"):
            reg.connection.execute("UPDATE collection SET doc = 'raw' WHERE name = 'X'")
            reg.connection.execute("UPDATE collection SET state = 'APPEND_ONLY'"
                                   " WHERE name = 'X'")
            reg.certify("X", [refs[1]], Timespan(t(2020), None))
        assert kind_of(exc) == "request_id_late"
        assert exc.value.details["request_id"] == "late"
        assert reg.current_epoch() == epoch and reg.certifications("X") == []


def test_another_users_request_id_is_refused_without_its_result(sqlite_url: str) -> None:
    """SQLite's db_role is the operating-system user: a change another user committed
    (here its db_role rewritten, as another user's client would have sealed it) does not
    replay for this one, and its result is not shown."""
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        with reg.transaction(request_id="owner-job"):
            reg.certify("X", [refs[1]], Timespan(t(2020), None))
        with sqlite3.connect(path_of(sqlite_url)) as conn:
            conn.execute("UPDATE change SET db_role = 'someone-else'"
                         " WHERE request_id = 'owner-job'")
        with pytest.raises(InvalidArgumentError) as exc, \
                reg.transaction(request_id="owner-job"):
            reg.certify("X", [refs[2]], Timespan(t(2020), None))
        assert kind_of(exc) == "request_id_foreign"
        assert "result" not in exc.value.details
        assert [c.ref.id for c in reg.certifications("X")] == [refs[1].id]
        with pytest.raises(ConflictingCertificationError):
            reg.certify("X", [refs[1]], Timespan(t(2020), None))


# -- retention ------------------------------------------------------------------------


def test_a_prune_in_progress_blocks_no_reader_and_is_seen_whole(sqlite_url: str) -> None:
    """A prune that has deleted but not committed: a reader on another connection (WAL)
    reads every epoch as before without waiting; once it commits, the epochs below the
    horizon are refused and the later ones answer as before."""
    with calibcert.connect(sqlite_url) as pruner, \
            calibcert.connect(sqlite_url, busy_timeout=0.2) as reader:
        refs = world(pruner)
        pruner.certify("X", [refs[1]], Timespan(t(2020), None))
        old = pruner.current_epoch()
        pruner.decertify("X", TYPE, Timespan(None, None), [det(1)])
        pruner.certify("X", [refs[1]], Timespan(t(2021), None))
        current = pruner.current_epoch()
        expected_old, expected_now = answers(reader, "X", old), answers(reader, "X", current)
        with pruner.transaction():
            assert pruner.prune_history(current) == 1
            assert answers(reader, "X", old) == expected_old
            assert answers(reader, "X", current) == expected_now
            with pytest.raises(InvalidArgumentError) as exc:
                answers(pruner, "X", old)  # the pruner sees its own prune
            assert kind_of(exc) == "as_of_pruned"
        with pytest.raises(InvalidArgumentError) as exc:
            answers(reader, "X", old)
        assert kind_of(exc) == "as_of_pruned"
        assert answers(reader, "X", current) == expected_now


def test_raw_writers_cannot_move_the_horizon_back(sqlite_url: str) -> None:
    """A plain sqlite3 writer of the file cannot make pruned epochs answer again: the
    horizon never moves back, and its one row can be neither removed nor doubled."""
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        old = reg.current_epoch()
        reg.decertify("X", TYPE, Timespan(None, None))
        reg.register_collection("Y", CollectionType.CALIBRATION)
        horizon = reg.current_epoch()
        reg.prune_history(horizon)
    conn = sqlite3.connect(path_of(sqlite_url))
    try:
        for sql, name in (("UPDATE history_horizon SET earliest_epoch = 0",
                           "history_horizon_backwards"),
                          ("UPDATE history_horizon SET only_row = 2", "history_horizon_backwards"),
                          ("DELETE FROM history_horizon", "history_horizon_kept")):
            with pytest.raises(sqlite3.IntegrityError, match=name):
                conn.execute(sql)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO history_horizon (only_row, earliest_epoch) VALUES (2, 0)")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO history_horizon (only_row, earliest_epoch) VALUES (1, 0)")
        conn.rollback()
    finally:
        conn.close()
    with calibcert.connect(sqlite_url) as reg:
        with pytest.raises(InvalidArgumentError) as exc:
            reg.certifications("X", as_of=old)
        assert kind_of(exc) == "as_of_pruned"
        assert exc.value.details["earliest"] == horizon
