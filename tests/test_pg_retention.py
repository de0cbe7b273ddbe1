"""Retention (prune_history) and idempotent request ids on PostgreSQL (README "Retention and
request ids"; issue 16, items 8 and 11).

Retention is proven the way it could fail: every as-of answer (certifications, find_many,
find, get_chain, history) of every epoch is recorded before the prune and compared after
it; the epochs below the horizon must raise ``as_of_pruned`` instead of answering. Request
ids are tested with real sessions: a lost commit acknowledgement (commit, then the same
call again), two connections racing with one id (commit and rollback), another role's id.
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
    ConflictingCertificationError,
    InvalidArgumentError,
    LockTimeoutError,
    MissingCollectionError,
    TransactionConflictError,
)
from test_pg_concurrency import Call, pid_of, wait_until_blocked
from test_pg_history import DETECTORS as DETS
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


VERSION_TABLES = ("certification_version", "collection_version", "chain_version",
                  "tag_version", "dataset_version")


def version_count(conn: psycopg.Connection) -> int:
    return sum(conn.execute(f"SELECT count(*) FROM calib.{v}").fetchone()[0]
               for v in VERSION_TABLES)


def history_rows(reg: Registry, name: str, since: int | None = None) -> list[Any]:
    return reg.history(name, since=since)


# -- retention --------------------------------------------------------------------------


def scenario(reg: Registry) -> None:
    """Changes of every kind: splits, close_open, tags, chains, a removed collection whose
    name is reused, a state change."""
    refs = world(reg, ("X", "Z"))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "tagged", "run1"])
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.certify("Z", [refs[3]], Timespan(t(2020), t(2023)))
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    reg.close_open_range("X", TYPE, t(2024), [det(2)])
    reg.tag("tagged", [refs[4]])
    with reg.transaction():
        reg.set_chain("C", ["Z", "X", "run1"])
        reg.untag("tagged", [refs[4]])
        reg.certify("X", [refs[4]], Timespan(t(2019), t(2020)))
    reg.set_chain("C", ["X", "run1"])
    reg.remove_collection("Z")
    reg.register_collection("Z", CollectionType.CALIBRATION)
    reg.certify("Z", [refs[5]], Timespan(None, None))
    reg.set_chain("C", ["Z", "X"])
    reg.decertify("X", TYPE, Timespan(None, None), [det(4)])
    reg.set_collection_state("X", "FROZEN")


def everything(reg: Registry, epoch: int) -> dict[str, Any]:
    """Every as-of answer at ``epoch`` (lookups, listings, digests), and the history since
    it (a collection missing then: the error's kind)."""

    def ask(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except MissingCollectionError as exc:
            return exc.details["kind"]

    out: dict[str, Any] = {"chain": ask(lambda: reg.get_chain("C", as_of=epoch)),
                           "collections": reg.list_collections(as_of=epoch),
                           "run1": ask(lambda: reg.query_datasets("run1", TYPE, as_of=epoch))}
    for name in ("X", "Z", "C"):
        out[name] = ask(lambda name=name: answers(reg, name, epoch))
        out[f"digest {name}"] = ask(lambda name=name: reg.collection_digest(name, as_of=epoch))
        out[f"history {name}"] = history_rows(reg, name, since=epoch)
    return out


def test_prune_keeps_every_later_epoch_and_refuses_the_earlier_ones(
        reg: Registry, pg_url: str) -> None:
    scenario(reg)
    current = reg.current_epoch()
    before = current - 3  # after the splits, removals and chain changes
    recorded = {e: everything(reg, e) for e in range(0, current + 1)}
    full_history = {n: history_rows(reg, n) for n in ("X", "Z", "C")}
    with psycopg.connect(pg_url, autocommit=True) as conn:
        versions = version_count(conn)
        changes = conn.execute("SELECT count(*) FROM calib.change").fetchone()[0]
        dropped = reg.prune_history(before)
        assert dropped > 0
        assert version_count(conn) == versions - dropped
        # Changes nothing refers to are gone; the ones current versions need stay.
        assert conn.execute("SELECT count(*) FROM calib.change").fetchone()[0] < changes
        assert conn.execute(
            "SELECT count(*) FROM calib.change WHERE epoch >= %s", (before,)
        ).fetchone()[0] == current - before + 1
        assert conn.execute("SELECT earliest_epoch FROM calib.history_horizon"
                            ).fetchone()[0] == before
    for epoch in range(before, current + 1):
        assert everything(reg, epoch) == recorded[epoch], epoch
    for epoch in range(0, before):
        with pytest.raises(InvalidArgumentError) as exc:
            reg.certifications("X", as_of=epoch)
        assert kind_of(exc) == "as_of_pruned"
        assert f"kept from epoch {before} on" in str(exc.value)
        for call in (lambda e=epoch: reg.find("X", TYPE, det(1), t(2021, 3), as_of=e),
                     lambda e=epoch: reg.find_many("X", TYPE, [(det(1), None)], as_of=e),
                     lambda e=epoch: reg.get_chain("C", as_of=e),
                     lambda e=epoch: reg.list_collections(as_of=e),
                     lambda e=epoch: reg.query_datasets("run1", TYPE, as_of=e),
                     lambda e=epoch: reg.collection_digest("X", as_of=e),
                     lambda e=epoch: reg.history("X", since=e)):
            with pytest.raises(InvalidArgumentError) as exc:
                call()
            assert kind_of(exc) == "as_of_pruned"
    # history without since: what is kept, i.e. exactly the changes from the horizon on.
    for name, rows in full_history.items():
        assert history_rows(reg, name) == [r for r in rows if r.epoch >= before], name
    # The horizon never moves back; a later prune drops the rest.
    assert reg.prune_history(before) == 0
    assert reg.prune_history(1) == 0
    reg.prune_history(current)
    assert everything(reg, current) == recorded[current]


def test_prune_arguments(reg: Registry) -> None:
    world(reg)
    current = reg.current_epoch()
    for bad, kind in ((current + 1, "prune_range"), (-1, "prune_range"),
                      (None, "argument_null")):
        with pytest.raises(InvalidArgumentError) as exc:
            reg._prune_history(bad)  # type: ignore[attr-defined]
        assert kind_of(exc) == kind
    with pytest.raises(InvalidArgumentError):
        reg.prune_history("3")  # type: ignore[arg-type]
    assert reg.prune_history(0) == 0


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


def test_a_lost_acknowledgement_retried_returns_the_same_result(reg: Registry) -> None:
    refs = world(reg)
    span = Timespan(t(2020), None)
    with reg.transaction(request_id="job-1"):
        assert reg.certify("X", [refs[1], refs[2]], span) == 2
    state, epoch = certs(reg), reg.current_epoch()
    # The client did not see the commit: it sends the same call again.
    for _ in range(2):
        with reg.transaction(request_id="job-1"):
            assert reg.certify("X", [refs[1], refs[2]], span) == 2
    assert certs(reg) == state and reg.current_epoch() == epoch
    # Without the id the same call is a conflict, as before; with another id too.
    with pytest.raises(ConflictingCertificationError):
        reg.certify("X", [refs[1]], span)
    with pytest.raises(ConflictingCertificationError), reg.transaction(request_id="job-2"):
        reg.certify("X", [refs[1]], span)
    assert certs(reg) == state
    rows = reg.history("X")
    assert [r.request_id for r in rows if r.operation == "certify"] == ["job-1", "job-1"]
    assert {r.request_id for r in rows if r.operation != "certify"} == {None}


def test_a_retried_transaction_replays_its_calls_in_order(reg: Registry) -> None:
    refs = world(reg)

    def work() -> tuple[Any, ...]:
        with reg.transaction(request_id="batch-7"):
            created = reg.register_collection("Y", CollectionType.CALIBRATION)
            n = reg.certify("Y", [refs[1], refs[2], refs[3]], Timespan(t(2020), None))
            gone = reg.decertify("Y", TYPE, Timespan(None, None), [det(2)])
            state = reg.set_collection_state("Y", "FROZEN")
            reg.copy_collection("Y", "Ycopy")
            writers = reg.set_collection_writers("Ycopy", ["calib_writer"])
        return created, n, gone, state, writers

    first = work()
    assert first == (True, 3, 1, "OPEN", None)
    state, epoch = certs(reg, "Y"), reg.current_epoch()
    assert work() == first
    assert certs(reg, "Y") == state and reg.current_epoch() == epoch
    # A retry that is not the same request is refused, and changes nothing.
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="batch-7"):
        reg.register_collection("Y", CollectionType.CALIBRATION)
        reg.decertify("Y", TYPE, Timespan(None, None), [det(1)])
    assert kind_of(exc) == "request_id_mismatch"
    assert "whose call 2 was certify, not decertify" in str(exc.value)
    assert certs(reg, "Y") == state


def test_void_and_tag_calls_replay(reg: Registry) -> None:
    refs = world(reg)
    more = [{"instrument": "Cam", "detector": d} for d in (7, 8)]
    inserted = []
    for _ in range(2):  # a retried insert returns the same datasets, not "already exists"
        with reg.transaction(request_id="insert"):
            inserted.append(reg.insert_datasets(TYPE, "run1", more))
    assert inserted[0] == inserted[1] and len(inserted[0]) == 2
    assert len(reg.query_datasets("run1", TYPE)) == len(refs) + 2
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    for _ in range(2):
        with reg.transaction(request_id="tags"):
            assert reg.tag("tagged", [refs[1], refs[2]]) == 2
            assert reg.untag("tagged", [refs[2]]) == 1
            reg.set_chain("C", ["tagged"])
            assert reg.certify_series("X", [(refs[3], t(2020)), (refs[4], t(2021))]) == 2
            assert reg.close_open_range("X", TYPE, t(2025), [det(4)]) == 1
    for _ in range(2):
        with reg.transaction(request_id="remove"):
            reg.remove_collection("C")
    assert "C" not in {c.name for c in reg.list_collections()}


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


def test_request_id_rules(reg: Registry, sessions: Callable[..., psycopg.Connection],
                          pg_url: str) -> None:
    refs = world(reg)
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="x" * 201):
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
    assert kind_of(exc) == "request_id_invalid"
    for bad in ("", 3, None.__class__):
        with pytest.raises(InvalidArgumentError):
            reg.transaction(request_id=bad)  # type: ignore[arg-type]
    # Set after the transaction's first change: refused (the retry could not match).
    conn = sessions()
    conn.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                  ([refs[1].id], t(2020)))
    conn.execute("SELECT set_config('calib.request_id', 'late', true)")
    with pytest.raises(psycopg.Error) as raised:
        conn.execute("SELECT calib.certify('X'::text, %s::uuid[], tstzrange(%s, NULL))",
                     ([refs[2].id], t(2020)))
    assert '"kind": "request_id_late"' in (raised.value.diag.message_detail or "")
    conn.rollback()
    # Nested inside another transaction: refused by the client.
    with pytest.raises(InvalidArgumentError), reg.transaction():
        with reg.transaction(request_id="inner"):
            pass


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


def test_sqlite_refuses_request_ids_and_prune(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    calibcert.upgrade(url)
    with calibcert.connect(url) as lite:
        for call in (lambda: lite.prune_history(1),
                     lambda: lite.transaction(request_id="a")):
            with pytest.raises(InvalidArgumentError) as exc:
                call()
            assert kind_of(exc) == "history_postgresql_only"


# -- command line -----------------------------------------------------------------------


def test_cli_prune_history_and_request_id(pg_url: str, reg: Registry, tmp_path: Any) -> None:
    import json

    from test_cli import cli, ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    world(reg)
    # --request-id: the whole command is one request; a rerun prints the same and changes
    # nothing (without the id, the rerun is a conflict).
    args = ("certify", "run1", "X", TYPE, "--begin", "2020-01-01T00:00:00+00:00",
            "--request-id", "cli-1", "--json")
    first = json.loads(ok(home, pg_url, *args).out)
    epoch = reg.current_epoch()
    assert json.loads(ok(home, pg_url, *args).out) == first
    assert reg.current_epoch() == epoch and len(reg.certifications("X")) == len(DETS)
    assert cli(home, pg_url, *args[:-3]).code == 1
    assert {r.request_id for r in reg.history("X", since=epoch)} == {"cli-1"}
    assert "REQUEST" in ok(home, pg_url, "history", "X").out.splitlines()[0]
    assert "cli-1" in ok(home, pg_url, "history", "X").out
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.decertify("X", TYPE, Timespan(None, None), [det(2)])
    current = reg.current_epoch()
    # --dry-run reports and keeps everything; then the real prune.
    dry = json.loads(ok(home, pg_url, "db", "prune-history", "--before", str(current),
                        "--dry-run", "--json").out)
    assert dry["versions_dropped"] > 0 and dry["before"] == current
    assert len(reg.certifications("X", as_of=epoch)) == len(DETS)
    done = json.loads(ok(home, pg_url, "db", "prune-history", "--before", str(current),
                         "--json").out)
    assert done == {**dry, "dry_run": False}
    r = cli(home, pg_url, "list", "X", "--as-of", str(epoch))
    assert r.code == 2 and f"history is kept from epoch {current} on" in r.err


def test_prune_keeps_what_snapshots_read_and_revert_stays_above_the_horizon(
        reg: Registry) -> None:
    """A snapshot reads its source as of its epoch: a prune past that epoch is refused
    (prune_snapshot) while the snapshot exists, and allowed once it is removed. A change
    below the horizon lost the versions a revert restores: its revert is refused
    (as_of_pruned), and one above it still works."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    e_certify = reg.current_epoch()
    reg.snapshot_collection("X", "S")
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))
    e_split = reg.current_epoch()
    before = answers(reg, "S", None)
    with pytest.raises(InvalidArgumentError) as exc:
        reg.prune_history(e_split)
    assert kind_of(exc) == "prune_snapshot" and exc.value.details["snapshot_epoch"] == e_certify
    assert answers(reg, "S", None) == before
    reg.remove_collection("S")
    # Removed at this epoch, S can still be read as of the epochs before: the prune must
    # stay at or below S's epoch until that removal is itself older than the horizon.
    with pytest.raises(InvalidArgumentError):
        reg.prune_history(e_split)
    reg.register_collection("Y", CollectionType.CALIBRATION)
    horizon = reg.current_epoch()
    assert reg.prune_history(horizon) > 0
    with pytest.raises(InvalidArgumentError) as exc:
        reg.revert(e_split)
    assert kind_of(exc) == "as_of_pruned"
    reg.certify("Y", [refs[2]], Timespan(t(2020), None))
    assert [r.action for r in reg.revert(reg.current_epoch())]
    assert reg.certifications("Y") == []
