"""Every wait inside a calib function is bounded (README "Locks, waits and retries").

One case per place a calib function can wait for another open transaction, each reproduced
with two real sessions: A does the first half and stays open, B (another session) runs the
call that must wait for A. B's wait must end with SQLSTATE 55P03 after the bound, its
DETAIL naming the kind of wait, what it waited for and the bound used; B's session keeps
its own lock_timeout. Before revision 0012 the unique-key waits (a new name, data ID,
dataset id, a dimension's first use) had no bound unless the session set lock_timeout:
B would hang, ``within`` would cancel it after PATIENCE and the test fail.

The bound: ``calib.lock_timeout`` (default 10s), or the session's own ``lock_timeout``
when it is set and shorter; ``calib.lock_timeout = '0'`` means "do not wait".
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import psycopg
import pytest

import test_pg_concurrency as conc
from calibcert.errors import LockTimeoutError
from test_pg_concurrency import TYPE, Call, World, X, pid_of, wait_until_blocked, within

# The fixtures of the concurrency tests (each test gets its own committed database).
world, sessions, observer, registries = (conc.world, conc.sessions, conc.observer,
                                         conc.registries)

NEW_ID = "6f0d3b6e-6d6c-4c47-9d6f-1f3a6c6f0001"


@dataclass(frozen=True)
class Site:
    """One place a calib function waits: A's statements (left open), B's waiting call,
    the kind of wait and facts B's DETAIL must hold."""

    id: str
    setup: tuple[str, ...]  # committed first, by A
    holder: tuple[str, ...]  # A, left uncommitted
    waiter: str  # B
    wait: str
    facts: dict[str, object]


def _insert(run: str, detector: int, type_: str = TYPE, dataset_id: str | None = None,
            data_id: dict | None = None) -> str:
    d = json.dumps(data_id or {"instrument": "Cam", "detector": detector})
    ids = "NULL" if dataset_id is None else f"ARRAY['{dataset_id}']::uuid[]"
    return (f"SELECT * FROM calib.insert_datasets('{type_}', '{run}',"
            f" ARRAY['{d}']::jsonb[], {ids})")


SITES = [
    Site("collection row", (), (
        "SELECT calib.certify('calib/X', ARRAY(SELECT dataset_id FROM calib.dataset"
        " LIMIT 1), '[2020-01-01Z,)'::tstzrange)",),
         "SELECT calib.decertify('calib/X', 'bias', '[2020-01-01Z,)'::tstzrange)",
         "collection", {"collection": X, "collections": [X], "mode": "FOR NO KEY UPDATE"}),
    Site("copy source", (), ("SELECT calib.decertify('calib/X', 'bias', '(,)'::tstzrange)",),
         "SELECT calib.copy_collection('calib/X', 'calib/X2')",
         "collection", {"collection": X, "mode": "FOR SHARE"}),
    Site("chain lock", ("SELECT calib.register_collection('c1', 'CHAINED')",
                        "SELECT calib.register_collection('c2', 'CHAINED')"),
         ("SELECT calib.set_chain('c1', ARRAY['calib/X'])",),
         "SELECT calib.set_chain('c2', ARRAY['calib/Y'])", "chain_graph", {}),
    Site("new collection name", (), ("SELECT calib.register_collection('new', 'RUN')",),
         "SELECT calib.register_collection('new', 'RUN')",
         "collection_name", {"collection": "new"}),
    Site("copy into a name being created", (),
         ("SELECT calib.register_collection('dest', 'CALIBRATION')",),
         "SELECT calib.copy_collection('calib/X', 'dest')",
         "collection_name", {"collection": "dest", "source": X}),
    Site("new dataset type name", (),
         ("SELECT calib.register_dataset_type('flat', ARRAY['instrument'])",),
         "SELECT calib.register_dataset_type('flat', ARRAY['instrument'])",
         "dataset_type_name", {"dataset_type": "flat"}),
    Site("first use of a dimension",
         ("SELECT calib.register_dataset_type('dark', ARRAY['exposure'])",),
         (_insert("run1", 0, "dark", data_id={"exposure": 1}),),
         _insert("run2", 0, "dark", data_id={"exposure": 2}),
         "dimension", {"dataset_type": "dark", "dimensions": ["exposure"]}),
    Site("new data ID", (), (_insert("run1", 777),), _insert("run2", 777),
         "data_id", {"dataset_type": TYPE, "collection": "run2", "n_data_ids": 1,
                     "data_ids": [{"instrument": "Cam", "detector": 777}]}),
    # History (revision 0014): a transaction that numbers its change early (SET
    # CONSTRAINTS ALL IMMEDIATE) holds the epoch lock to its end; another commit waits.
    Site("epoch lock", (), ("SET CONSTRAINTS ALL IMMEDIATE",
                            "SELECT calib.register_collection('e1', 'RUN')"),
         "SELECT calib.register_collection('e2', 'RUN'); COMMIT",  # waits at COMMIT
         "epoch", {}),
    # Request ids (issue 16, item 11): a transaction holding the same request id.
    Site("request id", (), ("SELECT set_config('calib.request_id', 'job', true)",
                            "SELECT calib.register_collection('r1', 'RUN')"),
         "SELECT set_config('calib.request_id', 'job', true);"
         " SELECT calib.register_collection('r1', 'RUN')",
         "request_id", {"request_id": "job"}),
    # Retention (issue 16, item 8): two prunes take turns on the history horizon.
    Site("history horizon", (), ("SELECT calib.prune_history(0)",),
         "SELECT calib.prune_history(0)", "history_horizon", {}),
    Site("new dataset id", (), (_insert("run1", 778, dataset_id=NEW_ID),),
         _insert("run2", 779, dataset_id=NEW_ID),
         "dataset_id", {"collection": "run2", "datasets": [NEW_ID], "n_datasets": 1}),
]


def lock_timeout_of(conn: psycopg.Connection) -> str:
    return conn.execute("SHOW lock_timeout").fetchone()[0]


def hold(world: World, sessions, site: Site) -> psycopg.Connection:
    """A session with the site's first half done and its transaction left open."""
    a = sessions()
    for sql in site.setup:
        a.execute(sql)
    a.commit()
    for sql in site.holder:
        a.execute(sql)
    return a


def timed_out(b: psycopg.Connection, sql: str) -> tuple[psycopg.Error, float]:
    start = time.monotonic()
    with pytest.raises(psycopg.errors.LockNotAvailable) as info:
        within(lambda: b.execute(sql).fetchall(), b)
    return info.value, time.monotonic() - start


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.id)
def test_every_wait_ends_after_calib_lock_timeout_naming_what_it_waited_for(
        world: World, sessions, observer, site: Site) -> None:
    a = hold(world, sessions, site)
    b = sessions()
    b.execute("SET calib.lock_timeout = '300ms'")  # the session's own lock_timeout: 0
    b.commit()
    # B waits for A (seen in pg_locks), then gives up on its own after the bound.
    call = Call(lambda: timed_out(b, site.waiter), (b,))
    call.start()
    wait_until_blocked(observer, pid_of(b), pid_of(a), call)
    exc, elapsed = call.outcome()
    assert 0.25 < elapsed < 10, elapsed
    detail = json.loads(exc.diag.message_detail)
    assert detail["kind"] == "lock_timeout" and detail["wait"] == site.wait, detail
    assert detail["lock_timeout"] == "300ms", detail
    assert {k: detail.get(k) for k in site.facts} == site.facts
    assert exc.diag.message_primary.startswith("55P03: lock timeout: gave up after 300ms")
    b.rollback()
    assert lock_timeout_of(b) == "0"
    # Once A has ended, the same call goes through.
    a.rollback()
    b.execute(site.waiter).fetchall()
    b.commit()


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.id)
def test_calib_lock_timeout_zero_means_do_not_wait(world: World, sessions, site: Site) -> None:
    a = hold(world, sessions, site)
    b = sessions()
    b.execute("SET calib.lock_timeout = '0'")
    exc, elapsed = timed_out(b, site.waiter)
    assert elapsed < 2.0, elapsed  # never "wait forever"
    assert json.loads(exc.diag.message_detail)["lock_timeout"] == "1ms"
    b.rollback()
    a.rollback()


def test_the_shorter_of_the_two_bounds_applies(world: World, sessions) -> None:
    site = next(s for s in SITES if s.wait == "collection_name")
    a = hold(world, sessions, site)
    b = sessions()
    # A session may shorten its waits...
    b.execute("SET lock_timeout = '200ms'")
    b.execute("SET calib.lock_timeout = '20s'")
    b.commit()
    exc, elapsed = timed_out(b, site.waiter)
    assert json.loads(exc.diag.message_detail)["lock_timeout"] == "200ms"
    b.rollback()
    assert lock_timeout_of(b) == "200ms"
    # ...but not lengthen them past calib.lock_timeout.
    b.execute("SET lock_timeout = '5min'")
    b.execute("SET calib.lock_timeout = '250ms'")
    b.commit()
    exc, elapsed = timed_out(b, site.waiter)
    assert json.loads(exc.diag.message_detail)["lock_timeout"] == "250ms"
    assert elapsed < 10
    b.rollback()
    assert lock_timeout_of(b) == "5min"
    a.rollback()


@pytest.mark.parametrize("session_value", ["0", "3s"])
def test_waiting_calls_leave_the_sessions_lock_timeout(world: World, sessions,
                                                       session_value: str) -> None:
    # Inside one open transaction (where a SET LOCAL not put back would show), every
    # function with a bounded wait, taking the way that sets the bound.
    conn = sessions()
    conn.execute(f"SET lock_timeout = '{session_value}'")
    conn.commit()
    for sql in ("SELECT calib.register_collection('r', 'RUN')",
                "SELECT calib.register_dataset_type('dark', ARRAY['exposure'])",
                _insert("r", 0, "dark", data_id={"exposure": 1}),
                "SELECT calib.copy_collection('calib/X', 'calib/X3')",
                "SELECT calib.register_collection('ch', 'CHAINED')",
                "SELECT calib.set_chain('ch', ARRAY['calib/X'])"):
        conn.execute(sql).fetchall()
        assert lock_timeout_of(conn) == session_value, sql
    conn.commit()
    assert lock_timeout_of(conn) == session_value


def test_the_client_raises_lock_timeout_error_with_the_facts(world: World, sessions,
                                                             registries) -> None:
    site = next(s for s in SITES if s.wait == "data_id")
    a = hold(world, sessions, site)
    b = registries()
    b.connection.execute("SET calib.lock_timeout = '200ms'")
    with pytest.raises(LockTimeoutError) as info:
        within(lambda: b.insert_datasets(TYPE, "run2", [{"instrument": "Cam",
                                                         "detector": 777}]), b)
    err = info.value
    assert err.details["wait"] == "data_id"
    assert err.details["dataset_type"] == TYPE
    assert err.details["lock_timeout"] == "200ms"
    assert str(err).startswith("lock timeout: gave up after 200ms waiting for another"
                               " transaction creating a 'bias' data ID of this call")
    a.rollback()
    assert [r.data_id["detector"] for r in b.insert_datasets(
        TYPE, "run2", [{"instrument": "Cam", "detector": 777}])] == [777]



def test_psql_shows_the_lock_timeout_with_its_facts(world: World, sessions) -> None:
    # What a DBA sees in psql: the SQLSTATE first, then the DETAIL as JSON (via calib._raise).
    from test_psql_errors import psql

    site = next(s for s in SITES if s.wait == "collection_name")
    a = hold(world, sessions, site)
    out = psql(world.url, "SET calib.lock_timeout = '300ms';\n" + site.waiter + ";\n")
    a.rollback()
    assert ("ERROR:  55P03: lock timeout: gave up after 300ms waiting for another transaction"
            " creating collection 'new'; nothing was changed, retry") in out.stderr, out.stderr
    detail = next(line for line in out.stderr.splitlines() if line.startswith("DETAIL:"))
    facts = json.loads(detail.removeprefix("DETAIL:").strip())
    assert facts["kind"] == "lock_timeout" and facts["wait"] == "collection_name"
    assert facts["collection"] == "new" and facts["lock_timeout"] == "300ms"
