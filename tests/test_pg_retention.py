"""Retention (prune_history) and idempotent request ids on PostgreSQL (README "Retention and
request ids"; issue 16, items 8 and 11).

What is PostgreSQL's own: a prune that has not committed blocks no reader or writer, who
may prune (roles), request ids claimed by two sessions racing (commit and rollback), the
bounded wait, the REPEATABLE READ case, another role's id, an id set late by SQL, writer
lists and digests. The backend-independent tests (every as-of answer of every epoch kept or
refused by a prune, a lost acknowledgement, retried blocks, the CLI) are
tests/test_behaviour_retention.py; SQLite's own are tests/test_sqlite_retention.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import calibcert
import test_pg_concurrency
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    InvalidArgumentError,
    LockTimeoutError,
    TransactionConflictError,
)
from test_pg_concurrency import Call, pid_of, wait_until_blocked
from test_pg_history import TYPE, answers, det, t, world

#: The fixture of tests/test_pg_concurrency.py this module shares.
observer = test_pg_concurrency.observer


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


#: The raw-session factory of tests/test_pg_concurrency.py.
sessions = test_pg_concurrency.sessions


def kind_of(exc: pytest.ExceptionInfo[Any]) -> str:
    return exc.value.details["kind"]


# -- retention --------------------------------------------------------------------------


def test_prune_blocks_no_lookup_and_is_seen_whole(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """A prune that has deleted but not committed blocks no reader (current or as of any
    epoch) and no writer (lock_timeout 2 s: a wait would fail); once it commits, the
    epochs below the horizon are refused and the later ones answer as before."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    old = reg.current_epoch()
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.certify("X", [refs[1]], Timespan(t(2021), None))
    current = reg.current_epoch()
    expected_old = answers(reg, "X", old)
    pruner, reader = sessions(), sessions(autocommit=True)
    reader.execute("SET lock_timeout = '2s'")
    pruner.execute("SELECT calib.prune_history(%s)", (current,))
    # Uncommitted: the reader still sees all history, without waiting.
    assert answers(reg, "X", old) == expected_old
    assert reader.execute("SELECT count(*) FROM calib.certifications('X', NULL, %s)",
                          (old,)).fetchone()[0] == 1
    assert reader.execute("SELECT count(*) FROM calib.certifications('X', NULL, %s)",
                          (current,)).fetchone()[0] == 1
    # Nor any writer: a decertify (which closes a version) and a certify commit at once.
    reader.execute("SELECT calib.decertify('X', %s, '(,)'::tstzrange)", (TYPE,))
    reader.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                   ([refs[2].id], t(2022)))
    later = reg.current_epoch()
    assert later == current + 2
    pruner.commit()
    assert len(reg.certifications("X", as_of=current)) == 1
    assert [c.ref.id for c in reg.certifications("X", as_of=later)] == [refs[2].id]
    with pytest.raises(InvalidArgumentError) as exc:
        answers(reg, "X", old)
    assert kind_of(exc) == "as_of_pruned"
    assert answers(reg, "X", later) == answers(reg, "X", None)


def test_prune_is_for_admins(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for role, allowed in (("calib_reader", False), ("calib_writer", False),
                              ("calib_admin", True)):
            exists = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s",
                                  (role,)).fetchone()[0]
            if not exists:
                continue
            assert conn.execute(
                "SELECT has_function_privilege(%s, 'calib.prune_history(bigint)', 'EXECUTE')",
                (role,)).fetchone()[0] is allowed, role


# -- request ids ------------------------------------------------------------------------


def certs(reg: Registry, name: str = "X") -> list[Any]:
    return [(c.ref.id, c.timespan) for c in reg.certifications(name)]


def test_two_connections_racing_with_one_id(
        pg_url: str, reg: Registry, sessions: Callable[..., psycopg.Connection],
        observer: psycopg.Connection) -> None:
    refs = world(reg)
    for outcome in ("commit", "rollback"):
        rid = f"race-{outcome}"
        name = f"R{outcome}"
        reg.register_collection(name, CollectionType.CALIBRATION)
        first, second = sessions(), sessions()
        for conn in (first, second):
            conn.execute("SELECT set_config('calib.request_id', %s, true)", (rid,))
        n1 = first.execute(
            "SELECT calib.certify(%s::text, %s::uuid[], tstzrange(%s, NULL))",
            (name, [refs[1].id, refs[2].id], t(2020))).fetchone()[0]
        assert n1 == 2
        call = Call(lambda name=name, second=second: second.execute(
            "SELECT calib.certify(%s::text, %s::uuid[], tstzrange(%s, NULL))",
            (name, [refs[1].id, refs[2].id], t(2020))).fetchone()[0], cancel=(second,))
        call.start()
        wait_until_blocked(observer, pid_of(second), pid_of(first), call)
        getattr(first, outcome)()
        assert call.outcome() == 2  # the first's result, or its own after a rollback
        second.commit()
        assert len(certs(reg, name)) == 2  # never twice, never a conflict
        changes = observer.execute(
            "SELECT count(*) FROM calib.change WHERE request_id = %s", (rid,)).fetchone()[0]
        assert changes == 1


def test_waiting_for_a_holder_is_bounded(
        pg_url: str, reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    refs = world(reg)
    first = sessions()
    first.execute("SELECT set_config('calib.request_id', 'slow', true)")
    first.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                  ([refs[1].id], t(2020)))
    conn = sessions(autocommit=True)
    conn.execute("SET calib.lock_timeout = '200ms'")
    with calibcert.connect(conn) as other:
        with pytest.raises(LockTimeoutError) as exc, other.transaction(request_id="slow"):
            other.certify("X", [refs[1]], Timespan(t(2020), None))
    assert exc.value.details["wait"] == "request_id"
    first.rollback()
    with calibcert.connect(conn) as other, other.transaction(request_id="slow"):
        assert other.certify("X", [refs[1]], Timespan(t(2020), None)) == 1


def test_a_snapshot_that_cannot_see_the_holder_commit_is_a_conflict(
        reg: Registry, sessions: Callable[..., psycopg.Connection],
        observer: psycopg.Connection) -> None:
    refs = world(reg)
    first, second = sessions(), sessions()
    second.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    second.execute("SELECT set_config('calib.request_id', 'rr', true)")
    second.execute("SELECT 1 FROM calib.collection LIMIT 1")  # the snapshot
    first.execute("SELECT set_config('calib.request_id', 'rr', true)")
    first.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                  ([refs[1].id], t(2020)))
    first.commit()
    with pytest.raises(psycopg.errors.SerializationFailure) as exc:
        second.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                       ([refs[1].id], t(2020)))
    assert '"kind": "request_id_snapshot"' in (exc.value.diag.message_detail or "")
    second.rollback()
    # The client's retry loop runs the block again, and then it replays.
    for attempt in reg.transaction(retries=1, request_id="rr"):
        with attempt:
            assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
    assert len(certs(reg)) == 1
    assert TransactionConflictError.sqlstate == "40001"


def test_a_request_id_set_late_is_refused(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """Set after the transaction's first change (SQL: SET LOCAL after a call): refused, the
    retry could not match the calls. (The client-side rules, on both backends:
    tests/test_behaviour_retention.py.)"""
    refs = world(reg)
    conn = sessions()
    conn.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                  ([refs[1].id], t(2020)))
    conn.execute("SELECT set_config('calib.request_id', 'late', true)")
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                     ([refs[2].id], t(2020)))
    assert '"kind": "request_id_late"' in (raised.value.diag.message_detail or "")
    conn.rollback()


def test_writer_lists_and_digests_as_of_the_horizon(reg: Registry) -> None:
    """What SQLite does not have (yet): set_collection_writers replays in a retried
    request; collection_digest as of a pruned epoch is refused (the rest of the as-of reads:
    tests/test_behaviour_retention.py)."""
    refs = world(reg)
    for _ in range(2):
        with reg.transaction(request_id="writers"):
            assert reg.set_collection_writers("X", ["calib_writer"]) is None
            assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
    epoch = reg.current_epoch()
    digest = reg.collection_digest("X", as_of=epoch)
    reg.decertify("X", TYPE, Timespan(None, None))
    reg.register_collection("Y", CollectionType.CALIBRATION)
    assert reg.prune_history(reg.current_epoch()) > 0
    with pytest.raises(InvalidArgumentError) as exc:
        reg.collection_digest("X", as_of=epoch)
    assert kind_of(exc) == "as_of_pruned"
    assert reg.collection_digest("X", as_of=reg.current_epoch()) != digest


def test_another_roles_request_id_is_refused_without_its_result(
        reg: Registry, pg_url: str, sessions: Callable[..., psycopg.Connection]) -> None:
    """A hostile caller who guesses (or sees) another role's request id neither replays
    its result nor changes anything: the id is refused."""
    refs = world(reg)
    with reg.transaction(request_id="owner-job"):
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
    conn = sessions()
    conn.execute("SET ROLE calib_writer")
    conn.execute("SELECT set_config('calib.request_id', 'owner-job', true)")
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                     ([refs[2].id], t(2020)))
    detail = raised.value.diag.message_detail or ""
    assert '"kind": "request_id_foreign"' in detail and "result" not in detail
    conn.rollback()
    # Nor can it write calib.change (its request ids or results) directly.
    conn.execute("SET ROLE calib_writer")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE calib.change SET request_id = 'stolen'")
    conn.rollback()
    assert [c.ref.id for c in reg.certifications("X")] == [refs[1].id]
