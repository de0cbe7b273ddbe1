"""The locking protocol, tested with real concurrent PostgreSQL sessions.

Every test runs on its own committed database (``pg_url``) and interleaves several real
connections: Python client registries (``calibcert.connect``) for client-level races, raw
psycopg sessions calling ``SELECT calib.certify(...)`` for SQL-level ones. "B waits for A" is
never inferred from timing: the test observes it in ``pg_locks`` / ``pg_blocking_pids`` from a
third connection before it lets A finish. Nothing here sleeps to make a race happen.

The protocol under test (see ``calib._lock_collections``): a writer locks the rows of the
collections it changes FOR NO KEY UPDATE, in ascending id, held to commit; chain changes
first take SHARE ROW EXCLUSIVE on ``calib.collection_chain``; a copy locks its source FOR
SHARE; readers take no locks. Waits are bounded by ``calib.lock_timeout`` (default 10s) or
the session's shorter ``lock_timeout``, and fail with SQLSTATE 55P03 (every wait site, with
its DETAIL: tests/test_pg_waits.py).
"""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, DatasetRef, Registry, Timespan
from calibcert.errors import (
    CalibCertError,
    CollectionCycleError,
    ConflictingCertificationError,
    ConflictingDefinitionError,
    LockTimeoutError,
    TransactionConflictError,
    translate,
)
from model import Model, freeze
from search_paths import assert_paths_match, path_of

UTC = timezone.utc
TYPE = "bias"
X = "calib/X"
Y = "calib/Y"
RUNS = ("run1", "run2", "run3")
#: How long a test waits for something it expects to happen (a session to start waiting,
#: a thread to finish) before it fails. Never reached when the code is right.
PATIENCE = 30.0


def t(year: int, month: int = 1) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def bias(detector: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": detector}


# -- the world every test starts from ------------------------------------------------------


@dataclass
class World:
    """Datasets of type ``bias`` for detectors 1..n in each RUN, two CALIBRATION
    collections X and Y."""

    url: str
    refs: dict[tuple[str, int], DatasetRef]

    def ref(self, run: str, detector: int) -> DatasetRef:
        return self.refs[(run, detector)]

    def ids(self, run: str, detectors: Any) -> list[str]:
        return [str(self.refs[(run, d)].id) for d in detectors]


def make_world(url: str, detectors: int = 50) -> World:
    refs: dict[tuple[str, int], DatasetRef] = {}
    with calibcert.connect(url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        for run in RUNS:
            reg.register_collection(run, CollectionType.RUN)
            for ref in reg.insert_datasets(TYPE, run, [bias(d) for d in range(1, detectors + 1)]):
                refs[(run, ref.data_id["detector"])] = ref
        for coll in (X, Y):
            reg.register_collection(coll, CollectionType.CALIBRATION)
    return World(url, refs)


@pytest.fixture
def world(pg_url: str) -> World:
    return make_world(pg_url)


# -- sessions, threads and lock observation ------------------------------------------------


@pytest.fixture
def sessions(pg_url: str) -> Iterator[Callable[..., psycopg.Connection]]:
    """Factory of raw psycopg sessions (closed at the end of the test)."""
    opened: list[psycopg.Connection] = []

    def open_session(autocommit: bool = False) -> psycopg.Connection:
        conn = psycopg.connect(pg_url, autocommit=autocommit)
        opened.append(conn)
        return conn

    yield open_session
    for conn in opened:
        conn.close()


@pytest.fixture
def registries(pg_url: str) -> Iterator[Callable[[], Registry]]:
    """Factory of client registries, one connection each (closed at the end)."""
    opened: list[Registry] = []

    def open_registry() -> Registry:
        reg = calibcert.connect(pg_url)
        opened.append(reg)
        return reg

    yield open_registry
    for reg in opened:
        reg.close()


@pytest.fixture
def observer(pg_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit session that watches the others (pg_locks, pg_stat_activity)."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


class Call(threading.Thread):
    """Run ``fn`` in a thread; keep its result or exception. ``cancel``: the sessions whose
    running statement is cancelled if the call has not finished within PATIENCE (so a test
    that fails on the ceiling leaves no statement blocked behind it)."""

    def __init__(self, fn: Callable[[], Any],
                 cancel: tuple[psycopg.Connection | Registry, ...] = ()) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.cancel = cancel
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    def outcome(self) -> Any:
        """Join, then return the result or raise the thread's exception here."""
        self.join(PATIENCE)
        if self.is_alive():
            for conn in self.cancel:
                (conn.connection if isinstance(conn, Registry) else conn).cancel_safe()
            raise AssertionError(f"call did not finish within {PATIENCE}s: blocked or "
                                 "deadlocked (an unbounded wait)")
        if self.error is not None:
            raise self.error
        return self.result


def within(fn: Callable[[], Any], *cancel: psycopg.Connection | Registry) -> Any:
    """Run ``fn`` (a call that may wait for a lock) with a ceiling: its result, or its
    exception raised here; if it is still running after PATIENCE, the statements of
    ``cancel`` are cancelled and the test fails instead of hanging. Every call of this file
    that is expected to wait for a lock and then time out runs through here (or a Call)."""
    call = Call(fn, cancel)
    call.start()
    return call.outcome()


def pid_of(conn: psycopg.Connection | Registry) -> int:
    raw = conn.connection if isinstance(conn, Registry) else conn
    return raw.info.backend_pid


@dataclass
class Wait:
    """What a blocked backend waits for (from pg_locks)."""

    waiting: list[tuple[str, str | None]] = field(default_factory=list)  # (locktype, relation)
    holding_tuple_on: list[str] = field(default_factory=list)  # relations of granted tuple locks


def wait_until_blocked(observer: psycopg.Connection, waiter: int, holder: int | list[int],
                       call: Call) -> Wait:
    """Return once backend ``waiter`` is waiting for a lock held by ``holder`` (or by one of
    several: a third session queues behind the second one's tuple lock). Fails if ``call``
    finishes first (it did not wait) or nothing happens within PATIENCE."""
    holders = holder if isinstance(holder, list) else [holder]
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        blocked = observer.execute(
            "SELECT pg_blocking_pids(%s) && %s::int[]", (waiter, holders)).fetchone()[0]
        if blocked:
            rows = observer.execute(
                "SELECT locktype, relation::regclass::text, granted FROM pg_locks"
                " WHERE pid = %s AND locktype IN ('relation', 'tuple', 'transactionid')",
                (waiter,)).fetchall()
            return Wait([(lt, rel) for lt, rel, granted in rows if not granted],
                        [rel for lt, rel, granted in rows if granted and lt == "tuple"])
        if not call.is_alive():
            call.join()
            raise AssertionError(f"expected backend {waiter} to wait for {holder}, but the call "
                                 f"finished: result={call.result!r} error={call.error!r}")
        time.sleep(0.005)
    raise AssertionError(f"backend {waiter} never waited for {holder}")


def assert_waits_for_collection_row(wait: Wait) -> None:
    # A row-lock wait: the waiter holds the tuple lock on the collection row and waits for
    # the holder's transaction id. (An exclusion-constraint wait would hold no tuple lock.)
    assert ("transactionid", None) in wait.waiting, wait
    assert "calib.collection" in wait.holding_tuple_on, wait


# -- SQL-level helpers ---------------------------------------------------------------------


def certify_sql(conn: psycopg.Connection, collection: str, ids: list[str], span: str,
                close_open: bool = False) -> int:
    return conn.execute(
        "SELECT calib.certify(%s, %s::uuid[], %s::tstzrange, %s)",
        (collection, ids, span, close_open)).fetchone()[0]


def decertify_sql(conn: psycopg.Connection, collection: str, span: str,
                  detectors: list[int] | None = None) -> int:
    data_ids = None if detectors is None else [psycopg.types.json.Jsonb(bias(d))
                                               for d in detectors]
    return conn.execute(
        "SELECT calib.decertify(%s, %s, %s::tstzrange, %s::jsonb[])",
        (collection, TYPE, span, data_ids)).fetchone()[0]


def timeline(url: str, collection: str) -> list[tuple[int, str, str]]:
    """(detector, dataset id, validity text) of every certification, in time order."""
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return [(r[0], str(r[1]), r[2]) for r in conn.execute(
            "SELECT (di.value->>'detector')::int, c.dataset_id, c.validity::text"
            " FROM calib.certification AS c JOIN calib.collection AS k USING (collection_id)"
            " JOIN calib.data_id AS di USING (data_id_key)"
            " WHERE k.name = %s ORDER BY 1, lower(c.validity) NULLS FIRST", (collection,))]


def utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def stored_certifications(url: str) -> list[tuple[str, uuid.UUID, datetime | None,
                                                  datetime | None]]:
    """Every committed certification: (collection, dataset id, begin, end) in UTC, None for
    an unbounded side, sorted."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT k.name, c.dataset_id, lower(c.validity), upper(c.validity)"
            " FROM calib.certification AS c JOIN calib.collection AS k USING (collection_id)"
        ).fetchall()
    return sorted(((n, d, utc(b), utc(e)) for n, d, b, e in rows), key=repr)


def contents(url: str) -> set[tuple[Any, ...]]:
    """Every committed association, by collection name: certifications, tags, chain links
    and datasets (with their RUN), and the collections themselves."""
    with psycopg.connect(url) as conn:
        return set(conn.execute(
            "SELECT 'certification', k.name, c.dataset_id::text, c.validity::text"
            " FROM calib.certification AS c JOIN calib.collection AS k USING (collection_id)"
            " UNION ALL SELECT 'tag', k.name, t.dataset_id::text, NULL FROM calib.tag AS t"
            " JOIN calib.collection AS k USING (collection_id)"
            " UNION ALL SELECT 'chain', p.name, ch.position::text, k.name"
            " FROM calib.collection_chain AS ch"
            " JOIN calib.collection AS p ON p.collection_id = ch.parent_id"
            " JOIN calib.collection AS k ON k.collection_id = ch.child_id"
            " UNION ALL SELECT 'dataset', k.name, d.dataset_id::text, NULL FROM calib.dataset AS d"
            " JOIN calib.collection AS k ON k.collection_id = d.run_id"
            " UNION ALL SELECT 'collection', name, type, NULL FROM calib.collection").fetchall())


# -- 1. overlapping certifications: one winner ---------------------------------------------


def test_second_writer_waits_for_the_collection_lock_then_conflicts(
        world: World, registries, observer) -> None:
    a, b, c = registries(), registries(), registries()
    d1, d2, d3 = world.ref("run1", 1), world.ref("run2", 1), world.ref("run3", 1)
    with a.transaction():
        assert a.certify(X, [d1], Timespan(t(2020), None)) == 1
        # B and C overlap A's still uncommitted certification of the same key.
        call_b = Call(lambda: b.certify(X, [d2], Timespan(t(2021), t(2022))))
        call_c = Call(lambda: c.certify(X, [d3], Timespan(None, t(2020, 6))))
        call_b.start()
        assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call_b))
        call_c.start()
        wait_until_blocked(observer, pid_of(c), [pid_of(a), pid_of(b)], call_c)
        assert call_b.is_alive() and call_c.is_alive()
    # A committed: both waiters see its row and fail as a whole.
    for call, ref in ((call_b, d2), (call_c, d3)):
        with pytest.raises(ConflictingCertificationError) as info:
            call.outcome()
        [conflict] = info.value.conflicts
        assert conflict["dataset"] == ref.id
        assert conflict["conflicting_dataset"] == d1.id
        assert conflict["conflicting_timespan"] == Timespan(t(2020), None)
    assert timeline(world.url, X) == [(1, str(d1.id), '["2020-01-01 00:00:00+00",)')]


def test_sql_level_race_rollback_lets_the_waiter_through(world: World, sessions,
                                                         observer) -> None:
    a, b = sessions(), sessions()
    ids1, ids2 = world.ids("run1", [1, 2]), world.ids("run2", [2, 3])
    assert certify_sql(a, X, ids1, "[2020-01-01,)") == 2
    call = Call(lambda: certify_sql(b, X, ids2, "[2020-06-01,2021-01-01)"))
    call.start()
    assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
    a.rollback()  # A gives up: B no longer conflicts with anything.
    assert call.outcome() == 2
    b.commit()
    assert [r[1] for r in timeline(world.url, X)] == ids2


def test_sql_level_race_commit_makes_the_waiter_fail(world: World, sessions, observer) -> None:
    a, b = sessions(), sessions()
    assert certify_sql(a, X, world.ids("run1", [5]), "[2020-01-01,2021-01-01)") == 1
    call = Call(lambda: certify_sql(b, X, world.ids("run2", [4, 5]), "[2020-12-01,2022-01-01)"))
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    a.commit()
    with pytest.raises(psycopg.Error) as info:
        call.outcome()
    assert info.value.sqlstate == "KC001"
    assert X in info.value.diag.message_primary
    assert world.ids("run1", [5])[0] in info.value.diag.message_detail
    b.rollback()
    # Nothing of B's call is stored, not even the non-conflicting detector 4.
    assert [r[:2] for r in timeline(world.url, X)] == [(5, world.ids("run1", [5])[0])]


def test_simultaneous_overlapping_certifies_have_exactly_one_winner(world: World,
                                                                    registries) -> None:
    n = 6
    regs = [registries() for _ in range(n)]
    # Every session certifies a different dataset of detector 7 over overlapping spans.
    refs = [world.ref(RUNS[i % 3], 7) for i in range(n)]
    spans = [Timespan(t(2020 + i % 2), t(2023 + i % 3)) for i in range(n)]
    barrier = threading.Barrier(n)

    def attempt(i: int) -> Callable[[], int]:
        def go() -> int:
            barrier.wait()
            return regs[i].certify(X, [refs[i]], spans[i])
        return go

    calls = [Call(attempt(i)) for i in range(n)]
    for call in calls:
        call.start()
    wins, conflicts = 0, 0
    for call in calls:
        try:
            assert call.outcome() == 1
            wins += 1
        except ConflictingCertificationError:
            conflicts += 1
    assert (wins, conflicts) == (1, n - 1)
    assert len(timeline(world.url, X)) == 1


# A random concurrent workload checked against the reference model (tests/model.py). Six
# workers run transactions of one or two operations on one collection (X or Y) through raw
# SQL. A transaction whose operations all succeeded still holds its collection lock; it
# takes a ticket under a Python lock and COMMITs under the same lock, so the tickets are the
# commit order, and (every operation locking its collection first and keeping the lock to
# the end) the order in which the writers of one collection held its lock. The model replays
# the committed transactions serially in that order: each must return what the database
# returned, and the final certifications of every collection must be the model's.
# A failed operation aborts its transaction, and PostgreSQL releases the locks of an aborted
# transaction at the error, not at the ROLLBACK: its place in the order is only known to lie
# between the commits counted before its first statement and those counted after its error.
# The model must fail it the same way (same operation, same error class, same conflicting
# keys, same results of the operations before it) from one of the states in that window.
# The exclusion constraint alone guarantees none of this: a certify that stores fewer rows
# than it reports, a decertify that keeps one half of a split or misses rows committed while
# it waited, a close_open that decides before it locks, a writer that fails on rows already
# gone: each ends here as a mismatch.

GRID: list[datetime | None] = [None, t(2020), t(2021), t(2022), t(2023), t(2024), None]
RACE_DETECTORS = (11, 12, 13)


@dataclass
class Op:
    name: str  # certify | certify_series | decertify | close_open_range
    collection: str
    args: dict[str, Any]

    def __repr__(self) -> str:
        return f"{self.name}({self.collection!r}, {self.args})"


def random_op(rng: random.Random, world: World, collection: str) -> Op:
    def span() -> tuple[datetime | None, datetime | None]:
        i, j = sorted(rng.sample(range(len(GRID)), 2))
        return (GRID[i] if i > 0 else None, GRID[j] if j < len(GRID) - 1 else None)

    def data_ids() -> list[int] | None:
        return None if rng.random() < 0.5 else rng.sample(RACE_DETECTORS, rng.choice([1, 2]))

    kind = rng.choices(["certify", "certify_series", "decertify", "close_open_range"],
                       [5, 2, 3, 2])[0]
    if kind == "certify":
        begin, end = span()
        dets = rng.sample(RACE_DETECTORS, rng.choice([1, 1, 2, 3]))
        return Op(kind, collection, {
            "ids": [world.ref(rng.choice(RUNS), d).id for d in dets], "begin": begin,
            "end": end, "close_open": begin is not None and rng.random() < 0.6})
    if kind == "certify_series":
        items = [(world.ref(rng.choice(RUNS), rng.choice(RACE_DETECTORS)).id,
                  rng.choice(GRID[:-1])) for _ in range(rng.choice([1, 2, 3]))]
        return Op(kind, collection, {"items": items, "close_open": rng.random() < 0.6})
    if kind == "decertify":
        begin, end = span()
        return Op(kind, collection, {"begin": begin, "end": end, "detectors": data_ids()})
    return Op(kind, collection, {"end": rng.choice(GRID[1:-1]), "detectors": data_ids()})


def run_op_sql(conn: psycopg.Connection, op: Op) -> int:
    a = op.args
    jsonb = psycopg.types.json.Jsonb
    dets = None if a.get("detectors") is None else [jsonb(bias(d)) for d in a["detectors"]]
    if op.name == "certify":
        sql = "SELECT calib.certify(%s, %s::uuid[], tstzrange(%s, %s, '[)'), %s)"
        params: tuple[Any, ...] = (op.collection, a["ids"], a["begin"], a["end"],
                                   a["close_open"])
    elif op.name == "certify_series":
        sql = "SELECT calib.certify_series(%s, %s::uuid[], %s::timestamptz[], %s)"
        params = (op.collection, [i for i, _ in a["items"]], [b for _, b in a["items"]],
                  a["close_open"])
    elif op.name == "decertify":
        sql = "SELECT calib.decertify(%s, %s, tstzrange(%s, %s, '[)'), %s::jsonb[])"
        params = (op.collection, TYPE, a["begin"], a["end"], dets)
    else:
        sql = "SELECT calib.close_open_range(%s, %s, %s, %s::jsonb[])"
        params = (op.collection, TYPE, a["end"], dets)
    return conn.execute(sql, params).fetchone()[0]


def run_op_model(model: Model, op: Op) -> int:
    a = op.args
    dets = None if a.get("detectors") is None else [bias(d) for d in a["detectors"]]
    if op.name == "certify":
        return model.certify(op.collection, a["ids"], Timespan(a["begin"], a["end"]),
                             close_open=a["close_open"])
    if op.name == "certify_series":
        return model.certify_series(op.collection, a["items"], close_open=a["close_open"])
    if op.name == "decertify":
        return model.decertify(op.collection, TYPE, Timespan(a["begin"], a["end"]), dets)
    return model.close_open_range(op.collection, TYPE, a["end"], dets)


@dataclass
class Txn:
    """One worker transaction as it ended: the results of its operations, and the error of
    the operation that failed (then it was rolled back). ``window``: how many transactions
    had committed before its first statement and after its end."""

    ops: list[Op]
    results: list[int]
    error: BaseException | None
    window: tuple[int, int]


def error_signature(exc: BaseException) -> tuple[Any, ...]:
    """What must match between the database and the model: the error class and, for a
    conflict, the conflicting calibration keys."""
    keys: Any = None
    if isinstance(exc, ConflictingCertificationError):
        keys = sorted({(c["dataset_type"], freeze(c["data_id"])) for c in exc.conflicts},
                      key=repr)
    return (type(exc).__name__, keys)


def model_of(world: World) -> Model:
    model = Model()
    model.register_dataset_type(TYPE, ("instrument", "detector"))
    for run in RUNS:
        model.register_collection(run, CollectionType.RUN)
    for (run, _), ref in sorted(world.refs.items()):
        model.insert_datasets(TYPE, run, [ref.data_id], ids=[ref.id])
    for coll in (X, Y):
        model.register_collection(coll, CollectionType.CALIBRATION)
    return model


def model_outcome(model: Model, txn: Txn) -> tuple[list[int], Any]:
    """Run ``txn`` on ``model`` (undone if it fails): (results, error signature or None)."""
    results: list[int] = []
    try:
        with model.transaction():
            for op in txn.ops:
                results.append(run_op_model(model, op))
    except CalibCertError as exc:
        return results, error_signature(exc)
    return results, None


def replay(world: World, committed: list[Txn], failed: list[Txn]) -> list[str]:
    """Replay the committed transactions serially in commit order through the model, then
    place each failed one in its window; every mismatch found (after a committed one
    mismatches, the states differ and the replay stops)."""
    model = model_of(world)
    states = [copy.deepcopy(model.certs)]
    for n, txn in enumerate(committed):
        expected = model_outcome(model, txn)
        if expected != (txn.results, None):
            return [f"committed transaction #{n} of {len(committed)} {txn.ops}: database "
                    f"returned {txn.results}, the model {expected}; the ones before it: "
                    f"{committed[max(0, n - 4):n]}"]
        states.append(copy.deepcopy(model.certs))
    problems = []
    for txn in failed:
        db = (txn.results, error_signature(txn.error))
        seen = []
        for k in range(txn.window[0], txn.window[1] + 1):
            model.certs = copy.deepcopy(states[k])
            seen.append(model_outcome(model, txn))
        if db not in seen:
            problems.append(f"failed transaction {txn.ops} (after {txn.window[0]} to "
                            f"{txn.window[1]} commits): database {db}, model {seen}")
    model.certs = states[-1]
    expected_rows = sorted(((name, c.dataset, utc(c.begin), utc(c.end))
                            for name, certs in model.certs.items() for c in certs), key=repr)
    stored = stored_certifications(world.url)
    if stored != expected_rows:
        problems.append(f"final certifications differ: only in the database "
                        f"{sorted(set(stored) - set(expected_rows), key=repr)}, only in the "
                        f"model {sorted(set(expected_rows) - set(stored), key=repr)}")
    return problems


def test_random_concurrent_writers_match_a_serial_replay_in_commit_order(
        world: World, sessions) -> None:
    threads, transactions = 6, 25
    committed: list[Txn] = []
    failed: list[Txn] = []
    ticket = threading.Lock()
    unexpected: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = sessions()
        barrier.wait()
        for _ in range(transactions):
            collection = rng.choice([X, X, Y])
            ops = [random_op(rng, world, collection) for _ in range(rng.choice([1, 1, 2]))]
            results: list[int] = []
            with ticket:
                before = len(committed)
            try:
                for op in ops:
                    results.append(run_op_sql(conn, op))
            except psycopg.Error as exc:
                with ticket:
                    failed.append(Txn(ops, results, translate(exc), (before, len(committed))))
                conn.rollback()
                continue
            except BaseException as exc:  # noqa: BLE001 - reported below
                unexpected.append(exc)
                conn.rollback()
                return
            with ticket:  # still holding the collection lock: the ticket is commit order
                committed.append(Txn(ops, results, None, (before, len(committed))))
                conn.commit()

    calls = [Call(lambda s=s: worker(s)) for s in range(threads)]
    for call in calls:
        call.start()
    for call in calls:
        call.outcome()
    assert unexpected == []
    assert len(committed) + len(failed) == threads * transactions
    # The workload did race: writers waited for each other (a window wider than one state),
    # some conflicted, and rows were stored.
    assert committed and any(isinstance(txn.error, ConflictingCertificationError)
                             for txn in failed)
    assert any(a < b for txn in committed + failed for a, b in [txn.window])
    mismatch = replay(world, committed, failed)
    assert not mismatch, "\n".join(mismatch)


# -- 2. batches in opposite key orders: no deadlock ----------------------------------------


@pytest.mark.parametrize("overlap", [False, True], ids=["disjoint", "overlapping"])
def test_batches_in_opposite_key_orders_never_deadlock(world: World, sessions,
                                                       overlap: bool) -> None:
    a, b = sessions(autocommit=True), sessions(autocommit=True)
    up, down = world.ids("run1", range(1, 51)), world.ids("run2", range(50, 0, -1))
    outcomes: list[str] = []
    expected: set[tuple[str, uuid.UUID, datetime | None, datetime | None]] = set()
    for rnd in range(8):
        year = 2000 + 3 * rnd
        span_a = f"[{year}-01-01,{year + 1}-01-01)"
        span_b = span_a if overlap else f"[{year + 1}-01-01,{year + 2}-01-01)"
        begin_a, begin_b = t(year), t(year + (0 if overlap else 1))
        barrier = threading.Barrier(2)

        def go(conn: psycopg.Connection, ids: list[str], span: str,
               barrier: threading.Barrier = barrier) -> Callable[[], int]:
            def run() -> int:
                barrier.wait()
                return certify_sql(conn, X, ids, span)
            return run

        calls = [Call(go(a, up, span_a)), Call(go(b, down, span_b))]
        for call in calls:
            call.start()
        for call, ids, begin in ((calls[0], up, begin_a), (calls[1], down, begin_b)):
            try:
                assert call.outcome() == 50
                outcomes.append("ok")
                # The winner's batch, whole: (collection, dataset, begin, end).
                expected |= {(X, uuid.UUID(i), begin, begin.replace(year=begin.year + 1))
                             for i in ids}
            except psycopg.Error as exc:
                # 40P01 (deadlock) must never appear; the only acceptable failure is KC001.
                assert exc.sqlstate == "KC001", exc
                outcomes.append("conflict")
    if overlap:
        assert outcomes.count("ok") == 8 and outcomes.count("conflict") == 8
    else:
        assert outcomes == ["ok"] * 16
    # Exactly the batches that reported success are stored, each whole, nothing of a loser.
    stored = stored_certifications(world.url)
    assert len(stored) == len(expected) and set(stored) == expected


def test_inserting_the_same_new_data_ids_in_opposite_orders_never_deadlocks(
        world: World, sessions) -> None:
    # insert_datasets interns data IDs (a unique index shared by every RUN) in sorted order,
    # so two RUNs receiving the same new data IDs in opposite orders cannot deadlock.
    for rnd in range(5):
        a, b = sessions(), sessions()
        dets = list(range(1000 + 100 * rnd, 1040 + 100 * rnd))
        barrier = threading.Barrier(2)

        def go(conn: psycopg.Connection, run: str, order: list[int],
               barrier: threading.Barrier = barrier) -> Callable[[], int]:
            def run_it() -> int:
                barrier.wait()
                rows = conn.execute(
                    "SELECT * FROM calib.insert_datasets(%s, %s, %s::jsonb[])",
                    (TYPE, run, [psycopg.types.json.Jsonb(bias(d)) for d in order])).fetchall()
                conn.commit()
                return len(rows)
            return run_it

        calls = [Call(go(a, "run1", dets)), Call(go(b, "run2", dets[::-1]))]
        for call in calls:
            call.start()
        assert [call.outcome() for call in calls] == [40, 40]
    with psycopg.connect(world.url) as conn:
        assert conn.execute("SELECT count(*) FROM calib.data_id WHERE (value->>'detector')::int"
                            " >= 1000").fetchone()[0] == 5 * 40


def test_the_same_new_dataset_ids_into_two_runs_in_opposite_orders_never_deadlock(
        world: World, sessions) -> None:
    # Two single insert_datasets calls into different RUNs (different collection locks),
    # with different data IDs (so their interning does not queue them) but the same dataset
    # ids in opposite orders: insert_datasets inserts in id order, so one waits for the
    # other on the first id and then fails on it (23505 dataset_pkey, or KC010 if the other
    # committed first; nothing kept) instead of a deadlock (40P01). Inserted in input order
    # (revision 0006), this deadlocked in the first round.
    outcomes = []
    for rnd in range(20):
        a, b = sessions(), sessions()
        ids = sorted(str(uuid.uuid4()) for _ in range(400))
        barrier = threading.Barrier(2)

        def go(conn: psycopg.Connection, run: str, order: list[str], first: int,
               barrier: threading.Barrier = barrier) -> Callable[[], str]:
            def run_it() -> str:
                data_ids = [psycopg.types.json.Jsonb(bias(first + i)) for i in range(len(order))]
                barrier.wait()
                try:
                    conn.execute("SELECT count(*) FROM calib.insert_datasets(%s, %s,"
                                 " %s::jsonb[], %s::uuid[])", (TYPE, run, data_ids, order))
                    conn.commit()
                    return "ok"
                except psycopg.Error as exc:
                    conn.rollback()
                    return exc.sqlstate or "?"
            return run_it

        calls = [Call(go(a, "run1", ids, 2000 + 1000 * rnd)),
                 Call(go(b, "run2", ids[::-1], 2500 + 1000 * rnd))]
        for call in calls:
            call.start()
        outcomes.append(sorted(call.outcome() for call in calls))
    assert "40P01" not in {o for pair in outcomes for o in pair}, outcomes
    for pair in outcomes:  # one call stored its 400 datasets, the other nothing
        assert pair[1] == "ok" and pair[0] in ("KC010", "23505", "ok"), pair
    with psycopg.connect(world.url) as conn:
        stored = conn.execute("SELECT count(*) FROM calib.dataset AS d"
                              " JOIN calib.data_id AS di USING (data_id_key)"
                              " WHERE (di.value->>'detector')::int >= 2000").fetchone()[0]
    assert stored == 20 * 400


def test_a_callers_own_transaction_across_collections_can_deadlock_and_is_reported(
        world: World, registries, observer) -> None:
    # The protocol orders locks within one call. A caller who spans two calls over two
    # collections in opposite orders can deadlock; PostgreSQL breaks it and the client
    # reports TransactionConflictError (retryable), with nothing of that transaction kept.
    a, b = registries(), registries()
    ra, rb = world.ref("run1", 20), world.ref("run2", 21)
    ctx_a, ctx_b = a.transaction(), b.transaction()
    ctx_a.__enter__()
    ctx_b.__enter__()
    a.certify(X, [ra], Timespan(t(2020), None))
    b.certify(Y, [rb], Timespan(t(2020), None))

    def second(reg: Registry, coll: str, ref: DatasetRef, ctx: Any) -> str:
        try:
            reg.certify(coll, [ref], Timespan(t(2020), None))
        except TransactionConflictError as exc:
            ctx.__exit__(type(exc), exc, exc.__traceback__)
            assert exc.__cause__.sqlstate == "40P01"
            return "deadlock"
        ctx.__exit__(None, None, None)
        return "committed"

    call_a = Call(lambda: second(a, Y, ra, ctx_a))
    call_a.start()
    wait_until_blocked(observer, pid_of(a), pid_of(b), call_a)
    call_b = Call(lambda: second(b, X, rb, ctx_b))
    call_b.start()
    assert sorted([call_a.outcome(), call_b.outcome()]) == ["committed", "deadlock"]
    total = len(timeline(world.url, X)) + len(timeline(world.url, Y))
    assert total == 2  # the survivor's two rows; the victim's first certify was rolled back


def collection_id(conn: psycopg.Connection, name: str) -> int:
    return conn.execute("SELECT collection_id FROM calib.collection WHERE name = %s",
                        (name,)).fetchone()[0]


def test_several_collections_are_locked_in_ascending_order_so_opposite_orders_queue(
        world: World, sessions, observer) -> None:
    # No public function locks more than one collection row today; calib._lock_collections,
    # the one place of the protocol, takes a list, and must lock it in ascending id whatever
    # the order given. H holds X (the lower id). B asks for [X, Y], then A for [Y, X]: both
    # must wait for X before touching Y. So Y stays free, and when H commits, B takes X and
    # Y while A waits for B (not the other way round, and no 40P01). Locked in the order
    # given, A would hold Y and B wait for it: a deadlock.
    h, a, b, probe = sessions(), sessions(), sessions(), sessions()
    x, y = collection_id(h, X), collection_id(h, Y)
    assert x < y
    for conn in (a, b):
        conn.execute("SET lock_timeout = '20s'")  # bounded; PATIENCE is the ceiling
    certify_sql(h, X, world.ids("run1", [1]), "[2020-01-01,)")
    lock = "SELECT calib._lock_collections(%s::int[])"
    call_b = Call(lambda: b.execute(lock, ([x, y],)), (b,))
    call_b.start()
    assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(h), call_b))
    call_a = Call(lambda: a.execute(lock, ([y, x],)), (a,))
    call_a.start()
    wait_until_blocked(observer, pid_of(a), [pid_of(h), pid_of(b)], call_a)
    # Neither took Y out of order: a writer of Y gets its lock at once.
    probe.execute("SELECT FROM calib.collection WHERE collection_id = %s"
                  " FOR NO KEY UPDATE NOWAIT", (y,))
    probe.rollback()
    h.commit()
    call_b.outcome()  # B has X and Y now
    wait_until_blocked(observer, pid_of(a), pid_of(b), call_a)
    with pytest.raises(psycopg.errors.LockNotAvailable):  # Y is B's, not free, not A's
        probe.execute("SELECT FROM calib.collection WHERE collection_id = %s"
                      " FOR NO KEY UPDATE NOWAIT", (y,))
    probe.rollback()
    b.commit()
    call_a.outcome()  # no 40P01: A gets both once B is done
    with pytest.raises(psycopg.errors.LockNotAvailable):
        probe.execute("SELECT FROM calib.collection WHERE collection_id IN (%s, %s)"
                      " FOR NO KEY UPDATE NOWAIT", (x, y))
    a.commit()


# -- 3. decertify / close_open races -------------------------------------------------------


def test_certify_waits_for_decertify_and_fills_the_gap_it_left(world: World, sessions,
                                                               observer) -> None:
    setup = sessions()
    d1, d2 = world.ids("run1", [3])[0], world.ids("run2", [3])[0]
    certify_sql(setup, X, [d1], "[2020-01-01,)")
    setup.commit()
    a, b = sessions(), sessions()
    assert decertify_sql(a, X, "[2021-01-01,2022-01-01)") == 1  # splits d1's range
    call = Call(lambda: certify_sql(b, X, [d2], "[2021-01-01,2022-01-01)"))
    call.start()
    assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
    a.commit()
    assert call.outcome() == 1  # the gap exists now
    b.commit()
    assert timeline(world.url, X) == [
        (3, d1, '["2020-01-01 00:00:00+00","2021-01-01 00:00:00+00")'),
        (3, d2, '["2021-01-01 00:00:00+00","2022-01-01 00:00:00+00")'),
        (3, d1, '["2022-01-01 00:00:00+00",)'),
    ]


def test_certify_waiting_for_a_rolled_back_decertify_conflicts(world: World, sessions,
                                                               observer) -> None:
    setup = sessions()
    d1, d2 = world.ids("run1", [3])[0], world.ids("run2", [3])[0]
    certify_sql(setup, X, [d1], "[2020-01-01,)")
    setup.commit()
    a, b = sessions(), sessions()
    decertify_sql(a, X, "[2021-01-01,2022-01-01)")
    call = Call(lambda: certify_sql(b, X, [d2], "[2021-01-01,2022-01-01)"))
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    a.rollback()
    with pytest.raises(psycopg.Error) as info:
        call.outcome()
    assert info.value.sqlstate == "KC001"
    b.rollback()
    assert timeline(world.url, X) == [(3, d1, '["2020-01-01 00:00:00+00",)')]


def test_decertify_waits_for_certify_and_then_sees_its_rows(world: World, sessions,
                                                            observer) -> None:
    a, b = sessions(), sessions()
    certify_sql(a, X, world.ids("run1", [1, 2, 3]), "[2020-01-01,2023-01-01)")
    call = Call(lambda: decertify_sql(b, X, "[2021-01-01,2022-01-01)", [1, 2]))
    call.start()
    assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
    a.commit()
    assert call.outcome() == 2  # the decertify ran after A and split A's rows 1 and 2
    b.commit()
    spans = [(d, v) for d, _, v in timeline(world.url, X)]
    assert spans == [
        (1, '["2020-01-01 00:00:00+00","2021-01-01 00:00:00+00")'),
        (1, '["2022-01-01 00:00:00+00","2023-01-01 00:00:00+00")'),
        (2, '["2020-01-01 00:00:00+00","2021-01-01 00:00:00+00")'),
        (2, '["2022-01-01 00:00:00+00","2023-01-01 00:00:00+00")'),
        (3, '["2020-01-01 00:00:00+00","2023-01-01 00:00:00+00")'),
    ]


@pytest.mark.parametrize(
    ("b_begin", "b_wins"),
    [(2021, False), (2020, False), (2022, True)],
    ids=["same-begin", "earlier-begin", "later-begin"],
)
def test_close_open_racing_close_open(world: World, sessions, observer, b_begin: int,
                                      b_wins: bool) -> None:
    # d1 is open from 2019. A closes it at 2021 and opens d2; B, waiting, then runs against
    # A's committed result: it conflicts unless its begin is after A's (then it closes d2).
    setup = sessions()
    d1, d2, d3 = (world.ids(run, [9])[0] for run in RUNS)
    certify_sql(setup, X, [d1], "[2019-01-01,)")
    setup.commit()
    a, b = sessions(), sessions()
    assert certify_sql(a, X, [d2], "[2021-01-01,)", close_open=True) == 1
    call = Call(lambda: certify_sql(b, X, [d3], f"[{b_begin}-01-01,)", close_open=True))
    call.start()
    assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
    a.commit()
    expected = [
        (9, d1, '["2019-01-01 00:00:00+00","2021-01-01 00:00:00+00")'),
        (9, d2, '["2021-01-01 00:00:00+00",)'),
    ]
    if b_wins:
        assert call.outcome() == 1
        b.commit()
        expected[1] = (9, d2, '["2021-01-01 00:00:00+00","2022-01-01 00:00:00+00")')
        expected.append((9, d3, '["2022-01-01 00:00:00+00",)'))
    else:
        with pytest.raises(psycopg.Error) as info:
            call.outcome()
        assert info.value.sqlstate == "KC001"
        b.rollback()
    assert timeline(world.url, X) == expected


def test_simultaneous_close_open_same_begin_one_winner(world: World, registries) -> None:
    setup = registries()
    setup.certify(X, [world.ref("run1", 8)], Timespan(t(2019), None))
    a, b = registries(), registries()
    barrier = threading.Barrier(2)

    def go(reg: Registry, ref: DatasetRef) -> Callable[[], int]:
        def run() -> int:
            barrier.wait()
            return reg.certify(X, [ref], Timespan(t(2021), None), close_open=True)
        return run

    calls = [Call(go(a, world.ref("run2", 8))), Call(go(b, world.ref("run3", 8)))]
    for call in calls:
        call.start()
    results = []
    for call in calls:
        try:
            results.append(call.outcome())
        except ConflictingCertificationError:
            results.append("conflict")
    assert sorted(results, key=str) == [1, "conflict"]
    rows = timeline(world.url, X)
    assert [r[2] for r in rows] == ['["2019-01-01 00:00:00+00","2021-01-01 00:00:00+00")',
                                    '["2021-01-01 00:00:00+00",)']
    winner = world.ref("run2", 8) if results[0] == 1 else world.ref("run3", 8)
    assert rows[1][1] == str(winner.id)


# -- 4. who does not block whom ------------------------------------------------------------


def test_writers_of_different_collections_do_not_block_each_other(
        world: World, registries) -> None:
    a, b = registries(), registries()
    # If B had to wait for A it would fail with LockTimeoutError instead of hanging.
    b.connection.execute("SET lock_timeout = '2s'")
    shared = world.ref("run1", 30)

    def b_writes() -> None:
        # Same datasets, another collection: no lock in common.
        assert b.certify(Y, [shared, world.ref("run1", 31)], Timespan(t(2020), None)) == 2
        assert b.decertify(Y, TYPE, Timespan(t(2021), t(2022)), [bias(31)]) == 1
        assert b.close_open_range(Y, TYPE, t(2025)) == 2
        b.register_collection("calib/Z", CollectionType.CALIBRATION)
        b.insert_datasets(TYPE, "run1", [bias(500)])
        b.copy_collection(Y, "calib/Y-copy")

    with a.transaction():
        a.certify(X, [shared, world.ref("run1", 31)], Timespan(t(2020), None))
        within(b_writes, b)
        assert a.connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert len(timeline(world.url, X)) == 2
    assert len(timeline(world.url, "calib/Y-copy")) == 3


def test_readers_never_block_and_see_the_committed_state(world: World, registries,
                                                         sessions) -> None:
    writer = registries()
    writer.register_collection("chain", CollectionType.CHAINED)
    writer.set_chain("chain", [X])
    before = world.ref("run1", 40)
    writer.certify(X, [before], Timespan(t(2020), None))

    a = sessions()
    # A holds every kind of write lock: the X row (certify, decertify), the chain table.
    certify_sql(a, X, world.ids("run2", [41]), "[2020-01-01,)")
    decertify_sql(a, X, "[2021-01-01,2022-01-01)", [40])
    a.execute("SELECT calib.set_chain('chain', ARRAY[%s, %s])", (Y, X))

    reader = registries()
    # A reader that did wait would be cancelled after 20s instead of hanging the suite.
    reader.connection.execute("SET statement_timeout = '20s'")
    at = t(2021, 6)
    assert reader.find(X, TYPE, bias(40), at) == before  # A's decertify not visible
    assert reader.find("chain", TYPE, bias(41), at) is None  # A's certify not visible
    assert reader.find_many("chain", TYPE, [(bias(40), at), (bias(41), at)]) == [before, None]
    assert [(c.ref, c.timespan) for c in reader.certifications("chain")] == [
        (before, Timespan(t(2020), None))]
    assert reader.get_chain("chain") == [X]
    # The same through SQL, in a READ ONLY transaction.
    with reader.transaction():
        reader.connection.execute("SET TRANSACTION READ ONLY")
        assert reader.find(X, TYPE, bias(40), at) == before
    a.commit()
    assert reader.find(X, TYPE, bias(40), at) is None
    assert reader.get_chain("chain") == [Y, X]


def test_copy_waits_for_a_writer_and_copies_its_whole_result(world: World, registries,
                                                             observer) -> None:
    a, b = registries(), registries()
    with a.transaction():
        a.certify(X, [world.ref("run1", d) for d in (1, 2, 3)], Timespan(t(2020), None))
        call = Call(lambda: b.copy_collection(X, "calib/X-copy"))
        call.start()
        wait = wait_until_blocked(observer, pid_of(b), pid_of(a), call)
        assert "calib.collection" in wait.holding_tuple_on
        a.certify(X, [world.ref("run1", 4)], Timespan(t(2020), None))
    call.outcome()
    assert [r[0] for r in timeline(world.url, "calib/X-copy")] == [1, 2, 3, 4]


# -- 5. lock timeouts ----------------------------------------------------------------------


def lock_timeout_of(conn: psycopg.Connection) -> str:
    return conn.execute("SHOW lock_timeout").fetchone()[0]


@pytest.mark.parametrize("setting", ["lock_timeout", "calib.lock_timeout"])
def test_lock_timeout_raises_and_changes_nothing(world: World, registries, setting: str) -> None:
    a, b = registries(), registries()
    b.connection.execute(f"SET {setting} = '200ms'")
    session_value = lock_timeout_of(b.connection)
    with a.transaction():
        a.certify(X, [world.ref("run1", 1)], Timespan(t(2020), t(2021)))
        # Each wait must end with LockTimeoutError after 200ms; were the bound lost, the
        # call would be cancelled after PATIENCE and the test fail (within), not hang.
        with pytest.raises(LockTimeoutError) as info:
            # Two datasets, neither conflicting with A: only the lock is in the way.
            within(lambda: b.certify(X, [world.ref("run2", 2), world.ref("run2", 3)],
                                     Timespan(t(2020), None)), b)
        assert info.value.__cause__.sqlstate == "55P03"
        with pytest.raises(LockTimeoutError):
            within(lambda: b.decertify(X, TYPE, Timespan(None, None)), b)
        with pytest.raises(LockTimeoutError):
            within(lambda: b.close_open_range(X, TYPE, t(2030)), b)
        assert lock_timeout_of(b.connection) == session_value
    assert [r[0] for r in timeline(world.url, X)] == [1]
    # Once A is gone the same call goes through.
    assert b.certify(X, [world.ref("run2", 2), world.ref("run2", 3)], Timespan(t(2020), None)) == 2


def test_set_chain_lock_timeout(world: World, registries) -> None:
    a, b = registries(), registries()
    for name in ("c1", "c2"):
        a.register_collection(name, CollectionType.CHAINED)
    b.connection.execute("SET calib.lock_timeout = '200ms'")
    with a.transaction():
        a.set_chain("c1", [X])
        # A different chain, but the chain graph is changed by one writer at a time.
        with pytest.raises(LockTimeoutError):
            within(lambda: b.set_chain("c2", [Y]), b)
    assert b.get_chain("c2") == []
    b.set_chain("c2", [Y])
    assert b.get_chain("c2") == [Y]


@pytest.mark.slow
def test_default_lock_timeout_bounds_the_wait(world: World, registries) -> None:
    # No lock_timeout and no calib.lock_timeout: the built-in 10s bound still applies.
    a, b = registries(), registries()
    assert lock_timeout_of(b.connection) == "0"
    with a.transaction():
        a.certify(X, [world.ref("run1", 1)], Timespan(t(2020), t(2021)))
        with pytest.raises(LockTimeoutError):
            within(lambda: b.certify(X, [world.ref("run2", 2)], Timespan(t(2020), None)), b)
    assert lock_timeout_of(b.connection) == "0"


@pytest.mark.parametrize("session_value", ["0", "3s"])
def test_calib_functions_restore_the_sessions_lock_timeout(world: World, sessions,
                                                           session_value: str) -> None:
    conn = sessions()
    conn.execute(f"SET lock_timeout = '{session_value}'")
    conn.commit()
    # Inside one open transaction, where a SET LOCAL that was not undone would still show.
    certify_sql(conn, X, world.ids("run1", [1]), "[2020-01-01,)")
    assert lock_timeout_of(conn) == session_value
    decertify_sql(conn, X, "[2021-01-01,2022-01-01)")
    assert lock_timeout_of(conn) == session_value
    conn.execute("SELECT calib.close_open_range(%s, %s, '2030-01-01T00:00Z')", (X, TYPE))
    conn.execute("SELECT calib.register_collection('chain', 'CHAINED')")
    conn.execute("SELECT calib.set_chain('chain', ARRAY[%s])", (X,))
    conn.execute("SELECT calib.copy_collection(%s, 'calib/copy')", (X,))
    assert lock_timeout_of(conn) == session_value
    conn.commit()
    assert lock_timeout_of(conn) == session_value


def test_lock_timeout_inside_a_savepoint_leaves_the_session_setting(world: World, sessions,
                                                                    observer) -> None:
    a, b = sessions(), sessions()
    b.execute("SET calib.lock_timeout = '200ms'")
    b.commit()
    certify_sql(a, X, world.ids("run1", [1]), "[2020-01-01,)")
    certify_sql(b, Y, world.ids("run1", [1]), "[2020-01-01,)")  # B's own work, kept
    b.execute("SAVEPOINT s")
    with pytest.raises(psycopg.errors.LockNotAvailable):
        within(lambda: certify_sql(b, X, world.ids("run2", [2]), "[2020-01-01,)"), b)
    b.execute("ROLLBACK TO SAVEPOINT s")
    assert lock_timeout_of(b) == "0"
    a.commit()
    assert certify_sql(b, X, world.ids("run2", [2]), "[2020-01-01,)") == 1
    b.commit()
    assert [r[0] for r in timeline(world.url, X)] == [1, 2]
    assert [r[0] for r in timeline(world.url, Y)] == [1]


# -- 6. a writer killed mid-transaction ----------------------------------------------------


@pytest.mark.parametrize("operation", ["certify", "decertify"])
def test_a_killed_writer_leaves_nothing_and_others_proceed(world: World, sessions, observer,
                                                           operation: str) -> None:
    setup = sessions()
    d1 = world.ids("run1", [6])[0]
    certify_sql(setup, X, [d1], "[2020-01-01,2024-01-01)")
    setup.commit()
    before = timeline(world.url, X)
    a, b = sessions(), sessions()
    if operation == "certify":
        certify_sql(a, X, world.ids("run2", [6, 7]), "[2024-01-01,)")
    else:
        assert decertify_sql(a, X, "[2021-01-01,2022-01-01)") == 1
    # B wants the same collection (and, for certify, the same time slot A took).
    call = Call(lambda: certify_sql(b, X, world.ids("run3", [6]), "[2024-01-01,2025-01-01)"))
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    assert observer.execute("SELECT pg_terminate_backend(%s)", (pid_of(a),)).fetchone()[0]
    assert call.outcome() == 1
    b.commit()
    with pytest.raises(psycopg.OperationalError):
        a.execute("SELECT 1")
    assert timeline(world.url, X) == before + [
        (6, world.ids("run3", [6])[0], '["2024-01-01 00:00:00+00","2025-01-01 00:00:00+00")')]


# -- 7. chains -----------------------------------------------------------------------------


def test_set_chain_race_that_would_make_a_cycle(world: World, registries, sessions,
                                                observer) -> None:
    setup = registries()
    for name in ("cx", "cy"):
        setup.register_collection(name, CollectionType.CHAINED)
    a, b = sessions(), sessions()
    a.execute("SELECT calib.set_chain('cx', ARRAY['cy'])")
    call = Call(lambda: b.execute("SELECT calib.set_chain('cy', ARRAY['cx'])"))
    call.start()
    wait = wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    assert ("relation", "calib.collection_chain") in wait.waiting
    a.commit()
    with pytest.raises(psycopg.Error) as info:
        call.outcome()
    assert info.value.sqlstate == "KC004"
    b.rollback()
    assert (setup.get_chain("cx"), setup.get_chain("cy")) == (["cy"], [])


def test_simultaneous_set_chain_cycle_one_winner(world: World, registries) -> None:
    setup = registries()
    for name in ("cx", "cy"):
        setup.register_collection(name, CollectionType.CHAINED)
    a, b = registries(), registries()
    for _ in range(10):
        setup.set_chain("cx", [])
        setup.set_chain("cy", [])
        barrier = threading.Barrier(2)

        def go(reg: Registry, parent: str, child: str,
               barrier: threading.Barrier = barrier) -> Callable[[], str]:
            def run() -> str:
                barrier.wait()
                try:
                    reg.set_chain(parent, [child, X])
                except CollectionCycleError:
                    return "cycle"
                return "ok"
            return run

        calls = [Call(go(a, "cx", "cy")), Call(go(b, "cy", "cx"))]
        for call in calls:
            call.start()
        results = [call.outcome() for call in calls]
        assert sorted(results) == ["cycle", "ok"]
        chains = (setup.get_chain("cx"), setup.get_chain("cy"))
        assert chains == ((["cy", X], []) if results[0] == "ok" else ([], ["cx", X]))
        # Searching either chain terminates (no cycle was stored).
        assert setup.find("cx", TYPE, bias(1), t(2020)) is None


def test_concurrent_registration_of_one_name(world: World, sessions, observer) -> None:
    a, b, c = sessions(), sessions(), sessions()
    assert a.execute("SELECT calib.register_collection('new', 'RUN')").fetchone()[0] is True
    same = Call(lambda: b.execute("SELECT calib.register_collection('new', 'RUN')").fetchone()[0])
    other = Call(lambda: c.execute("SELECT calib.register_collection('new', 'TAGGED')"))
    same.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), same)
    other.start()
    wait_until_blocked(observer, pid_of(c), pid_of(a), other)
    a.commit()
    assert same.outcome() is False  # the same definition: a no-op
    with pytest.raises(psycopg.Error) as info:
        other.outcome()
    assert info.value.sqlstate == "KC010"
    # The client reports it as the conflicting definition it is, naming the collection,
    # and the definition that won is A's, stored once.
    error = translate(info.value)
    assert isinstance(error, ConflictingDefinitionError), error
    assert error.details["collection"] == "new"
    with psycopg.connect(world.url) as conn:
        assert conn.execute("SELECT type FROM calib.collection WHERE name = 'new'"
                            ).fetchall() == [("RUN",)]


# -- 7b. the stored search path (calib.search_path) under concurrent chain changes --------
# Every change of collection_chain recomputes the paths of the changed chains and of the
# chains above them, under the chain lock. Whatever the interleaving, the stored paths must
# equal the recursive walk over the committed chains (tests/search_paths.py).


def _chain_world(world: World, registries) -> Registry:
    """top -> [left, right, run3]; left and right empty chains under it."""
    setup = registries()
    for name in ("top", "left", "right"):
        setup.register_collection(name, CollectionType.CHAINED)
    setup.set_chain("top", ["left", "right", "run3"])
    return setup


def _paths(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _raw_link(conn: psycopg.Connection, parent: str, position: int, child: str) -> None:
    conn.execute(
        "INSERT INTO calib.collection_chain (parent_id, position, child_id)"
        " SELECT p.collection_id, %s, c.collection_id FROM calib.collection AS p,"
        " calib.collection AS c WHERE p.name = %s AND c.name = %s", (position, parent, child))


def test_set_chain_waits_and_then_sees_the_other_chain_change(world: World, registries,
                                                              observer) -> None:
    _chain_world(world, registries)
    a, b = registries(), registries()
    with a.transaction():
        a.set_chain("left", [X, "run1"])
        call = Call(lambda: b.set_chain("right", [Y, "run1", "run2"]))
        call.start()
        wait = wait_until_blocked(observer, pid_of(b), pid_of(a), call)
        assert ("relation", "calib.collection_chain") in wait.waiting
    call.outcome()
    # B recomputed "top" after A committed: both changes are in it.
    with _paths(world.url) as conn:
        assert_paths_match(conn)
        assert path_of(conn, "top") == [X, "run1", Y, "run2", "run3"]


def test_raw_chain_writers_that_skip_the_lock_deadlock_and_one_is_rolled_back(
        world: World, registries, sessions, observer) -> None:
    # Two raw writers each hold ROW EXCLUSIVE on collection_chain (as their own statements
    # take it) before their triggers ask for the chain lock: neither can get it. PostgreSQL
    # rolls one back (40P01); the other commits, and no path is computed from a graph that
    # misses the other's change.
    _chain_world(world, registries)
    a, b = sessions(), sessions()
    for conn in (a, b):
        conn.execute("LOCK TABLE calib.collection_chain IN ROW EXCLUSIVE MODE")
    call_a = Call(lambda: _raw_link(a, "left", 1, X))
    call_a.start()
    wait_until_blocked(observer, pid_of(a), pid_of(b), call_a)  # A's trigger waits for B
    call_b = Call(lambda: _raw_link(b, "right", 1, Y))
    call_b.start()
    # The victim's locks go when its statement fails; the survivor then proceeds.
    outcomes: dict[str, psycopg.Connection] = {}
    for conn, call in ((a, call_a), (b, call_b)):
        try:
            call.outcome()
            outcomes.setdefault("ok", conn)
        except psycopg.errors.DeadlockDetected:
            outcomes.setdefault("deadlock", conn)
            conn.rollback()
    assert set(outcomes) == {"ok", "deadlock"}, outcomes
    survivor = outcomes["ok"]
    survivor.commit()
    with _paths(world.url) as conn:
        assert_paths_match(conn)
        assert path_of(conn, "top") == ([X, "run3"] if survivor is a else [Y, "run3"])


def test_raw_chain_writers_that_take_the_chain_lock_first_queue(world: World, registries,
                                                                sessions, observer) -> None:
    # The documented way for raw writers: SHARE ROW EXCLUSIVE first (as set_chain does):
    # the second waits for the first to commit, then sees its change. No deadlock.
    _chain_world(world, registries)
    a, b = sessions(), sessions()
    a.execute("LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE")
    _raw_link(a, "left", 1, X)

    def b_writes() -> None:
        b.execute("LOCK TABLE calib.collection_chain IN SHARE ROW EXCLUSIVE MODE")
        _raw_link(b, "right", 1, Y)

    call = Call(b_writes)
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    a.commit()
    call.outcome()
    b.commit()
    with _paths(world.url) as conn:
        assert_paths_match(conn)
        assert path_of(conn, "top") == [X, Y, "run3"]


def test_random_chain_changes_racing_keep_search_paths_right(world: World, registries,
                                                            sessions) -> None:
    # set_chain through the protocol and raw DELETE + INSERT transactions race on chains
    # below a common parent; deadlocks of raw writers are retried. The committed paths are
    # right after every round.
    _chain_world(world, registries)
    for name in ("deep", "deeper"):
        registries().register_collection(name, CollectionType.CHAINED)
    # top -> left -> deep -> deeper and top -> right: protocol writers change left and deep,
    # raw writers right and deeper; every change reaches top.
    pool = [X, Y, *RUNS]
    unexpected: list[BaseException] = []
    lock = threading.Lock()

    def protocol_worker(seed: int, parent: str, below: str,
                        barrier: threading.Barrier) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            reg = registries()
            barrier.wait()
            for _ in range(15):
                try:
                    reg.set_chain(parent, rng.sample([*pool, below], rng.randrange(0, 4)))
                except BaseException as exc:  # noqa: BLE001 - reported below
                    with lock:
                        unexpected.append(exc)
                    return
        return run

    def raw_worker(seed: int, parent: str, barrier: threading.Barrier) -> Callable[[], None]:
        def run() -> None:
            rng = random.Random(seed)
            conn = sessions()
            barrier.wait()
            for _ in range(15):
                children = rng.sample(pool, rng.randrange(0, 4))
                for _attempt in range(20):
                    try:
                        conn.execute("DELETE FROM calib.collection_chain WHERE parent_id ="
                                     " (SELECT collection_id FROM calib.collection"
                                     " WHERE name = %s)", (parent,))
                        for pos, child in enumerate(children, 1):
                            _raw_link(conn, parent, pos, child)
                        conn.commit()
                        break
                    except psycopg.errors.DeadlockDetected:
                        conn.rollback()  # two raw writers met: retry
                    except BaseException as exc:  # noqa: BLE001 - reported below
                        conn.rollback()
                        with lock:
                            unexpected.append(exc)
                        return
        return run

    barrier = threading.Barrier(4)
    calls = [Call(protocol_worker(1, "left", "deep", barrier)),
             Call(protocol_worker(2, "deep", "deeper", barrier)),
             Call(raw_worker(3, "right", barrier)), Call(raw_worker(4, "deeper", barrier))]
    for call in calls:
        call.start()
    for call in calls:
        call.outcome()
    assert unexpected == []
    with _paths(world.url) as conn:
        assert_paths_match(conn)
    # The final state is reachable from top, so the check above covered a deep path.
    setup = registries()
    setup.set_chain("left", ["deep"])
    setup.set_chain("deep", ["deeper", "run1"])
    with _paths(world.url) as conn:
        assert_paths_match(conn)
        assert "run1" in path_of(conn, "top")


def test_chain_change_from_a_stale_snapshot_fails_instead_of_storing_a_stale_path(
        world: World, registries, sessions) -> None:
    # REPEATABLE READ: a transaction whose snapshot predates another chain change cannot see
    # it; recomputing paths from that snapshot would store them stale. It fails (40001).
    # The case where the two transactions write no search_path row in common: "top" lists
    # only the empty chain "left", so its path is empty before and after the other change.
    setup = _chain_world(world, registries)
    for how in ("raw", "set_chain"):
        setup.set_chain("top", ["left"])
        setup.set_chain("left", [])
        a = sessions()
        a.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        a.execute("SELECT count(*) FROM calib.collection_chain")  # the snapshot is taken
        setup.set_chain("top", [])  # commits: "left" is no longer under "top"
        if how == "raw":
            with pytest.raises(psycopg.errors.SerializationFailure):
                _raw_link(a, "left", 1, X)
        else:  # the client, in the caller's REPEATABLE READ transaction: retryable
            with pytest.raises(TransactionConflictError):
                calibcert.connect(a, check_schema=False).set_chain("left", [X])
        a.rollback()
        with _paths(world.url) as conn:
            assert_paths_match(conn)
            assert path_of(conn, "top") == []


# -- 8. removal racing writers -------------------------------------------------------------


def _prepare_removal_race(world: World, registries) -> tuple[Registry, Registry]:
    setup = registries()
    setup.certify(X, [world.ref("run1", 1)], Timespan(t(2020), None))
    setup.register_collection("chain", CollectionType.CHAINED)
    setup.register_collection("tagged", CollectionType.TAGGED)
    setup.tag("tagged", [world.ref("run1", 2)])
    setup.register_collection("empty-run", CollectionType.RUN)
    return registries(), registries()


REMOVAL_RACES: dict[str, tuple[str, Callable[[Registry, World], Any]]] = {
    "certify": (X, lambda r, w: r.certify(X, [w.ref("run2", 2)], Timespan(t(2020), None))),
    "certify_series": (X, lambda r, w: r.certify_series(X, [(w.ref("run2", 2), t(2020))])),
    "decertify": (X, lambda r, w: r.decertify(X, TYPE, Timespan(None, None))),
    "close_open_range": (X, lambda r, w: r.close_open_range(X, TYPE, t(2030))),
    "copy_collection": (X, lambda r, w: r.copy_collection(X, "calib/X-copy")),
    "copy_collection(chain)": ("chain", lambda r, w: r.copy_collection("chain", "calib/X-copy")),
    "set_chain": ("chain", lambda r, w: r.set_chain("chain", [Y])),
    "tag": ("tagged", lambda r, w: r.tag("tagged", [w.ref("run1", 1)])),
    "untag": ("tagged", lambda r, w: r.untag("tagged", [w.ref("run1", 2)])),
    "insert_datasets": ("empty-run", lambda r, w: r.insert_datasets(TYPE, "empty-run",
                                                                    [bias(1)])),
    "remove_collection": (X, lambda r, w: r.remove_collection(X)),
}


@pytest.mark.parametrize("operation", sorted(REMOVAL_RACES))
def test_a_writer_that_waited_for_a_removal_reports_the_missing_collection(
        world: World, registries, observer, operation: str) -> None:
    from calibcert.errors import MissingCollectionError

    a, b = _prepare_removal_race(world, registries)
    target, call_it = REMOVAL_RACES[operation]
    before = contents(world.url)
    with a.transaction():
        a.remove_collection(target)
        call = Call(lambda: call_it(b, world))
        call.start()
        wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    # B looked the collection up before A committed, then waited for A's lock. It must not
    # write into (or copy, or report success on) a collection that no longer exists.
    with pytest.raises(MissingCollectionError) as info:
        call.outcome()
    assert info.value.collection == target
    names = {c.name for c in b.list_collections()}
    assert target not in names and "calib/X-copy" not in names
    # Nothing changed but the removal: every row that did not name the removed collection
    # is still there, and B added none.
    assert contents(world.url) == {row for row in before if target not in row}


def test_remove_waits_for_set_chain_and_then_sees_the_new_parent(world: World, registries,
                                                                 observer) -> None:
    from calibcert.errors import CollectionInUseError

    a, b = registries(), registries()
    a.register_collection("chain", CollectionType.CHAINED)
    with a.transaction():
        a.set_chain("chain", [Y])
        call = Call(lambda: b.remove_collection(Y))
        call.start()
        wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    with pytest.raises(CollectionInUseError) as info:
        call.outcome()
    assert info.value.parent == "chain"
    assert b.get_chain("chain") == [Y]


# -- 9. waits outside the collection lock --------------------------------------------------


@pytest.mark.parametrize("statement", [
    "SELECT * FROM calib.insert_datasets('bias', '{run}', ARRAY['{{\"instrument\": \"Cam\","
    " \"detector\": 777}}']::jsonb[])",
    "SELECT calib.register_collection('new', 'RUN')",
    "SELECT calib.register_dataset_type('flat', ARRAY['instrument'])",
])
def test_unique_index_waits_end_with_the_other_transaction_or_lock_timeout(
        world: World, sessions, observer, statement: str) -> None:
    # Two writers creating the same new name / data ID (in different RUNs: no collection
    # lock in common) meet on a unique index: the second waits for the first to end, or
    # for its bound (here the session's lock_timeout, shorter than calib.lock_timeout;
    # calib.lock_timeout alone: tests/test_pg_waits.py).
    a, b, c = sessions(), sessions(), sessions()
    a.execute(statement.format(run="run1"))
    c.execute("SET lock_timeout = '200ms'")
    with pytest.raises(psycopg.errors.LockNotAvailable):
        within(lambda: c.execute(statement.format(run="run2")), c)
    c.rollback()
    call = Call(lambda: b.execute(statement.format(run="run2")).fetchall())
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    a.commit()
    call.outcome()  # same definition / another RUN: fine once A has committed
    b.commit()


# -- 10. untag, copy_collection, raw writes and foreign-key checks ------------------------


def tagged_ids(url: str, collection: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT t.dataset_id::text FROM calib.tag AS t JOIN calib.collection AS k"
            " USING (collection_id) WHERE k.name = %s ORDER BY 1", (collection,))]


def test_untag_waits_for_a_tag_in_flight_and_then_removes_what_it_tagged(
        world: World, registries, observer) -> None:
    # untag locks the TAGGED collection's row: it waits for A's uncommitted tag of the same
    # collection, then sees (and removes) the dataset A tagged. Without the lock it would
    # not wait, find nothing to remove, and A's tag would stay.
    setup = registries()
    setup.register_collection("tagged", CollectionType.TAGGED)
    a, b = registries(), registries()
    d1, d2 = world.ref("run1", 1), world.ref("run1", 2)
    with a.transaction():
        assert a.tag("tagged", [d1, d2]) == 2
        call = Call(lambda: b.untag("tagged", [d1]), (b,))
        call.start()
        assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
    assert call.outcome() == 1
    assert tagged_ids(world.url, "tagged") == [str(d2.id)]


def test_untag_holds_its_lock_until_commit(world: World, registries, observer) -> None:
    # The other way round: a tag of the same collection waits for an uncommitted untag
    # (and then may tag the dataset again); a writer of another collection does not.
    setup = registries()
    setup.register_collection("tagged", CollectionType.TAGGED)
    d1 = world.ref("run1", 1)
    setup.tag("tagged", [d1])
    a, b, c = registries(), registries(), registries()
    c.connection.execute("SET lock_timeout = '2s'")
    with a.transaction():
        assert a.untag("tagged", [d1]) == 1
        call = Call(lambda: b.tag("tagged", [d1]), (b,))
        call.start()
        assert_waits_for_collection_row(wait_until_blocked(observer, pid_of(b), pid_of(a), call))
        assert within(lambda: c.certify(X, [d1], Timespan(t(2020), None)), c) == 1
    assert call.outcome() == 1  # A's untag was committed: d1 is tagged anew
    assert tagged_ids(world.url, "tagged") == [str(d1.id)]


def test_copy_holds_a_share_lock_on_its_source_and_is_invisible_until_commit(
        world: World, registries, observer) -> None:
    # copy_collection locks its source FOR SHARE until it commits: a writer of the source
    # waits for the copy (and the copy does not get the writer's rows), another copy of the
    # same source does not wait (FOR SHARE does not conflict with itself). The new
    # collection is invisible to every other session until the copy commits.
    from calibcert.errors import MissingCollectionError

    setup = registries()
    setup.certify(X, [world.ref("run1", d) for d in (1, 2)], Timespan(t(2020), None))
    a, other_copy, writer, reader = registries(), registries(), registries(), registries()
    other_copy.connection.execute("SET lock_timeout = '2s'")
    with a.transaction():
        a.copy_collection(X, "calib/X-copy")
        assert [c.ref.id for c in a.certifications("calib/X-copy")] == [
            world.ref("run1", 1).id, world.ref("run1", 2).id]
        # Invisible to the others: not listed, not found, not writable, and its name not
        # yet taken for good (registering it waits on the unique index, not tested here).
        assert "calib/X-copy" not in {c.name for c in reader.list_collections()}
        with pytest.raises(MissingCollectionError):
            reader.certifications("calib/X-copy")
        with pytest.raises(MissingCollectionError):
            reader.find("calib/X-copy", TYPE, bias(1), t(2021))
        with pytest.raises(MissingCollectionError):
            within(lambda: writer.certify("calib/X-copy", [world.ref("run2", 3)],
                                          Timespan(t(2020), None)), writer)
        # A second copy of the same source shares the lock: it neither waits nor fails.
        within(lambda: other_copy.copy_collection(X, "calib/X-copy2"), other_copy)
        # A writer of the source waits for the copy.
        call = Call(lambda: writer.certify(X, [world.ref("run2", 3)], Timespan(t(2020), None)),
                    (writer,))
        call.start()
        wait = wait_until_blocked(observer, pid_of(writer), pid_of(a), call)
        assert_waits_for_collection_row(wait)
    assert call.outcome() == 1
    assert "calib/X-copy" in {c.name for c in reader.list_collections()}
    assert [r[0] for r in timeline(world.url, "calib/X-copy")] == [1, 2]
    assert [r[0] for r in timeline(world.url, "calib/X-copy2")] == [1, 2]
    assert [r[0] for r in timeline(world.url, X)] == [1, 2, 3]


RAW_TAG = ("INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)"
           " SELECT %s, d.dataset_type_id, d.data_id_key, d.dataset_id FROM calib.dataset AS d"
           " WHERE d.dataset_id = %s")


def test_raw_tag_writes_meet_tag_collection_fkey(world: World, registries, sessions,
                                                 observer) -> None:
    # calib.tag's composite foreign key (collection_id, 'TAGGED'): a raw INSERT (as the
    # owner, bypassing the functions) naming no collection, or one that is not TAGGED,
    # fails; one racing the removal of its collection waits for the removal (the key check
    # wants FOR KEY SHARE on the row being deleted) and then fails too.
    setup = registries()
    setup.register_collection("tagged", CollectionType.TAGGED)
    raw = sessions()
    d1 = str(world.ref("run1", 1).id)
    tagged, x = collection_id(raw, "tagged"), collection_id(raw, X)
    for target in (999_999, x):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
            raw.execute(RAW_TAG, (target, d1))
        assert info.value.diag.constraint_name == "tag_collection_fkey"
        raw.rollback()
    a = registries()
    with a.transaction():
        a.remove_collection("tagged")
        call = Call(lambda: raw.execute(RAW_TAG, (tagged, d1)), (raw,))
        call.start()
        wait_until_blocked(observer, pid_of(raw), pid_of(a), call)
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as info:
        call.outcome()
    assert info.value.diag.constraint_name == "tag_collection_fkey"
    raw.rollback()
    with psycopg.connect(world.url) as conn:
        assert conn.execute("SELECT count(*) FROM calib.tag").fetchone()[0] == 0


@pytest.mark.parametrize("holder", ["certify", "decertify"])
def test_a_writers_collection_lock_does_not_block_foreign_key_checks(
        world: World, sessions, observer, holder: str) -> None:
    # A holds X's row FOR NO KEY UPDATE (an uncommitted certify: the fast way's own lock;
    # or decertify: calib._lock_collections). Foreign-key checks of other transactions
    # that reference X's row take FOR KEY SHARE, which does not conflict: B inserts a raw
    # certification into X (another key) and makes X a chain child (set_chain) without
    # waiting. Were the writers' lock FOR UPDATE, B would wait for A and time out.
    setup = sessions()
    certify_sql(setup, X, world.ids("run1", [5]), "[2020-01-01,)")
    setup.execute("SELECT calib.register_collection('chain', 'CHAINED')")
    setup.commit()
    a, b, probe = sessions(), sessions(), sessions()
    if holder == "certify":
        assert certify_sql(a, X, world.ids("run1", [1]), "[2020-01-01,)") == 1
    else:
        assert decertify_sql(a, X, "[2021-01-01,2022-01-01)", [5]) == 1
    # A really holds the row: another writer's lock is refused, a key-share lock is not.
    with pytest.raises(psycopg.errors.LockNotAvailable):
        probe.execute("SELECT FROM calib.collection WHERE name = %s FOR NO KEY UPDATE NOWAIT",
                      (X,))
    probe.rollback()
    probe.execute("SELECT FROM calib.collection WHERE name = %s FOR KEY SHARE NOWAIT", (X,))
    probe.rollback()
    b.execute("SET lock_timeout = '2s'")

    def b_references_x() -> None:
        b.execute(
            "INSERT INTO calib.certification"
            " (collection_id, dataset_type_id, data_id_key, dataset_id, validity)"
            " SELECT k.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id,"
            " '[2020-01-01,)' FROM calib.collection AS k, calib.dataset AS d"
            " WHERE k.name = %s AND d.dataset_id = %s", (X, world.ids("run2", [2])[0]))
        b.execute("SELECT calib.set_chain('chain', ARRAY[%s])", (X,))

    within(b_references_x, b)
    # Neither waited: B is done, A still open, and nobody waits for anybody.
    assert a.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert observer.execute(
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = ANY (%s)",
        ([pid_of(a), pid_of(b)],)).fetchone()[0] == 0
    assert observer.execute("SELECT pg_blocking_pids(%s) || pg_blocking_pids(%s)",
                            (pid_of(a), pid_of(b))).fetchone()[0] == []
    b.commit()
    a.commit()
    assert [r[0] for r in timeline(world.url, X)] == (
        [1, 2, 5] if holder == "certify" else [2, 5, 5])
