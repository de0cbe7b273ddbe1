"""Honest retries (calibcert.retry; README "Locks, waits and retries").

PostgreSQL, with real racing connections: a deadlock forced between two transactions run
with ``transaction(retries=N)`` (the victim runs again and its effects appear once), and a
single call chosen as the deadlock victim (retried by the client without the caller
seeing it; inside a caller's transaction it is not retried). Both backends: the loop of
attempts, its refusals, and that a failed attempt leaves nothing behind.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import psycopg
import pytest

import calibcert
import calibcert.retry as retry
import test_pg_concurrency as conc
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import InvalidArgumentError, TransactionConflictError
from test_pg_concurrency import PATIENCE, TYPE, Call, World, X, Y, pid_of, wait_until_blocked

world, sessions, observer, registries = (conc.world, conc.sessions, conc.observer,
                                         conc.registries)
UTC = timezone.utc
SPAN = Timespan(datetime(2020, 1, 1, tzinfo=UTC), None)


@pytest.fixture
def retries_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every retry the client makes (the argument of each backoff), recorded."""
    seen: list[int] = []

    def recording_backoff(n: int, rng=None) -> float:
        seen.append(n)
        return 0.0

    monkeypatch.setattr(retry, "backoff", recording_backoff)
    return seen


def certified(url: str, collection: str) -> list[str]:
    return [r[1] for r in conc.timeline(url, collection)]


# -- a deadlock between two transactions ---------------------------------------------------


def test_a_deadlocked_transaction_block_runs_again_and_its_effects_appear_once(
        world: World, registries, retries_seen) -> None:
    a, b = registries(), registries()
    both_hold = threading.Barrier(2, timeout=PATIENCE)
    attempts: dict[str, list[int]] = {"a": [], "b": []}

    def writer(name: str, reg: Registry, first: str, second: str, run: str) -> None:
        for attempt in reg.transaction(retries=3):
            with attempt:
                attempts[name].append(attempt.number)
                reg.certify(first, [world.ref(run, 1)], SPAN)
                if attempt.number == 1:
                    both_hold.wait()  # A holds X, B holds Y: each now asks for the other
                reg.certify(second, [world.ref(run, 2)], SPAN)

    ta = Call(lambda: writer("a", a, X, Y, "run1"), (a,))
    tb = Call(lambda: writer("b", b, Y, X, "run2"), (b,))
    ta.start()
    tb.start()
    ta.outcome()
    tb.outcome()
    # Exactly one of them was cancelled as the deadlock victim and ran a second time.
    assert sorted(attempts["a"] + attempts["b"]) == [1, 1, 2], attempts
    assert retries_seen == [1]
    # Every certification of both blocks exactly once (the victim's first attempt left none).
    assert sorted(certified(world.url, X)) == sorted(
        [str(world.ref("run1", 1).id), str(world.ref("run2", 2).id)])
    assert sorted(certified(world.url, Y)) == sorted(
        [str(world.ref("run1", 2).id), str(world.ref("run2", 1).id)])


def test_the_last_attempt_raises(world: World, registries, retries_seen) -> None:
    reg = registries()
    runs = []
    with pytest.raises(TransactionConflictError):
        for attempt in reg.transaction(retries=2):
            with attempt:
                runs.append(attempt.number)
                reg.certify(X, [world.ref("run1", len(runs))], SPAN)
                raise TransactionConflictError("deadlock detected (simulated)")
    assert runs == [1, 2, 3] and retries_seen == [1, 2]
    assert certified(world.url, X) == []  # every attempt rolled back


# -- a single call as the deadlock victim --------------------------------------------------


def _force_single_call_victim(world: World, sessions, observer, s: Registry,
                              single_call) -> tuple[Call, psycopg.Connection]:
    """The real scenario: a caller's transaction T holds X's row (a certify) and then asks
    for the chain lock (a set_chain); the single call S (remove_collection of X) took the
    chain lock first and waits for X's row. S waits first and checks for a deadlock first
    (its deadlock_timeout is the shorter), so S is the victim."""
    t = sessions()
    t.execute("SELECT calib.register_collection('c1', 'CHAINED')")
    t.commit()
    t.execute("SET deadlock_timeout = '20s'")
    conc.certify_sql(t, X, world.ids("run1", [1]), "[2020-01-01Z,)")  # T holds X's row
    s.connection.execute("SET deadlock_timeout = '1s'")
    call = Call(single_call, (s,))
    call.start()
    wait_until_blocked(observer, pid_of(s), pid_of(t), call)  # S holds the chain lock
    t_call = Call(lambda: t.execute("SELECT calib.set_chain('c1', ARRAY[%s])", (Y,)), (t,))
    t_call.start()  # T now waits for S: a cycle, found by S one second after S began waiting
    return call, t, t_call


def test_a_single_call_chosen_as_deadlock_victim_is_retried_transparently(
        world: World, sessions, observer, registries, retries_seen) -> None:
    s = registries()
    call, t, t_call = _force_single_call_victim(world, sessions, observer, s,
                                                lambda: s.remove_collection(X))
    t_call.outcome()  # T got the chain lock once S was cancelled
    t.commit()
    call.outcome()  # S's retry waited for T, then removed X: no error reached the caller
    assert retries_seen == [1]
    assert X not in [c.name for c in s.list_collections()]
    assert s.get_chain("c1") == [Y]


def test_a_single_call_inside_the_callers_transaction_is_not_retried(
        world: World, sessions, observer, registries, retries_seen) -> None:
    s = registries()

    def in_transaction() -> None:
        with s.transaction():
            s.remove_collection(X)

    call, t, t_call = _force_single_call_victim(world, sessions, observer, s, in_transaction)
    with pytest.raises(TransactionConflictError) as info:
        call.outcome()
    assert info.value.__cause__.sqlstate == "40P01"
    assert retries_seen == []
    t_call.outcome()
    t.commit()
    assert X in [c.name for c in s.list_collections()]


# -- the API, on every backend -------------------------------------------------------------


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def top_level(request) -> Registry:
    """A registry whose transaction() is the outermost one (the retrying loop's place)."""
    reg = request.getfixturevalue(
        {"postgresql-standalone": "pg_standalone_registry",
         "sqlite": "sqlite_registry"}[request.param])
    reg.register_collection("run", CollectionType.RUN)
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    return reg


def test_a_failed_attempt_leaves_nothing_and_the_next_one_commits(top_level: Registry,
                                                                  retries_seen) -> None:
    reg = top_level
    for attempt in reg.transaction(retries=1):
        with attempt:
            reg.insert_datasets(TYPE, "run", [{"instrument": "Cam", "detector": 1}])
            if attempt.number == 1:
                raise TransactionConflictError("serialization failure (simulated)")
    assert [r.data_id for r in reg.query_datasets("run", TYPE)] == [
        {"instrument": "Cam", "detector": 1}]
    assert retries_seen == [1]


def test_a_block_that_succeeds_runs_once_and_other_errors_are_not_retried(
        top_level: Registry, retries_seen) -> None:
    reg = top_level
    runs = []
    for attempt in reg.transaction(retries=3):
        with attempt:
            runs.append(attempt.number)
    assert runs == [1]
    with pytest.raises(ZeroDivisionError):
        for attempt in reg.transaction(retries=3):
            with attempt:
                runs.append(attempt.number)
                1 / 0  # noqa: B018
    assert runs == [1, 1] and retries_seen == []


def test_with_and_retries_is_refused_and_plain_with_still_works(top_level: Registry) -> None:
    reg = top_level
    with pytest.raises(InvalidArgumentError, match="cannot be run again"):
        with reg.transaction(retries=2):
            pass
    with reg.transaction():
        reg.register_collection("other", CollectionType.TAGGED)
    assert "other" in [c.name for c in reg.list_collections()]
    for bad in (-1, 1.5, True):
        with pytest.raises(InvalidArgumentError):
            reg.transaction(retries=bad)


def test_retries_only_as_the_outermost_transaction(top_level: Registry) -> None:
    reg = top_level
    with reg.transaction():
        with pytest.raises(InvalidArgumentError, match="outermost"):
            for _attempt in reg.transaction(retries=2):
                pass


def test_backoff_is_jittered_growing_and_capped() -> None:
    assert retry.backoff(1, lambda: 0.0) == pytest.approx(retry.BACKOFF_BASE * 0.5)
    assert retry.backoff(3, lambda: 0.5) == pytest.approx(retry.BACKOFF_BASE * 4)
    assert retry.backoff(50, lambda: 0.99) <= retry.BACKOFF_CAP * 1.5
    assert len({retry.backoff(2) for _ in range(20)}) > 1


def test_connect_gives_a_registry_with_the_retrying_api(pg_url: str) -> None:
    with calibcert.connect(pg_url) as reg:
        assert isinstance(reg.transaction(retries=1), retry.Transaction)
