"""Read replicas (README "Deploying at scale"; calibcert.replicas): a real primary, two
streaming hot standbys (pg_basebackup -R, run as the unprivileged user) and a real PgBouncer
in transaction pooling mode, on loopback. If any of them cannot start, every test here
errors: nothing skips.

Which server answered is seen by counting spies on the registries; that a standby would
have answered wrongly is seen by pausing its replay (pg_wal_replay_pause) and reading it
directly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import datetime, timezone

import psycopg
import pytest

import calibcert
from calibcert import Timespan
from calibcert.errors import (
    ConflictingCertificationError,
    ConnectionLostError,
    InvalidArgumentError,
)
from calibcert.replicas import ReplicatedRegistry, parse_lsn
from calibcert.schema import install_sql
from calibcert.testing_replicas import Cluster

DB = "calib_rep"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
T1 = datetime(2026, 6, 1, tzinfo=timezone.utc)
AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        with psycopg.connect(c.primary_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DB}")
        if os.environ.get("CALIBCERT_TEST_INSTALL", "migrations") == "sql":
            with psycopg.connect(c.primary_url(DB)) as conn:
                conn.execute(install_sql().encode())
        else:
            calibcert.upgrade(c.primary_url(DB))
        c.add_standby()
        c.add_standby()
        # One server connection per database: the pooled clients below share it.
        c.add_bouncer(DB, pool_size=1)
        yield c
    finally:
        c.stop()


@pytest.fixture
def names():
    """Collection names of this test only (the module shares one database)."""
    tag = uuid.uuid4().hex[:8]
    return {"run": f"run_{tag}", "calib": f"calib_{tag}", "type": f"bias_{tag}"}


def replicated(cluster, **kwargs) -> ReplicatedRegistry:
    kwargs.setdefault("read_wait", 5.0)  # a loaded machine: generous, never waited in vain
    return calibcert.connect(cluster.primary_url(DB),
                             read_urls=[s.url(DB) for s in cluster.standbys[:2]], **kwargs)


def world(reg, n, detectors=(1,)):
    """A RUN, a CALIBRATION collection and dataset type; one dataset per detector certified
    over [T0, T1). Returns the refs."""
    reg.register_collection(n["run"], "RUN")
    reg.register_collection(n["calib"], "CALIBRATION")
    reg.register_dataset_type(n["type"], ["detector"])
    refs = reg.insert_datasets(n["type"], n["run"], [{"detector": d} for d in detectors])
    reg.certify(n["calib"], refs, Timespan(T0, T1))
    return refs


class Spy:
    """Counts the calls of ``method`` on each registry it wraps."""

    def __init__(self, method: str) -> None:
        self.method, self.counts = method, {}

    def wrap(self, label: str, reg) -> None:
        inner = getattr(reg, self.method)
        self.counts.setdefault(label, 0)

        def counted(*a, **k):
            self.counts[label] += 1
            return inner(*a, **k)

        setattr(reg, self.method, counted)


def spy_all(reg: ReplicatedRegistry, method: str) -> Spy:
    """A spy on ``method`` of the primary and of every standby (connected first)."""
    spy = Spy(method)
    spy.wrap("primary", reg.primary)
    for i, s in enumerate(reg.standbys):
        assert s.look(), f"standby {i} is not usable"
        spy.wrap(f"standby{i + 1}", s.registry)
    return spy


def paused(cluster, pause: bool) -> None:
    """Pause (after letting them catch up) or resume replay on the two standbys."""
    fn = "pg_wal_replay_pause" if pause else "pg_wal_replay_resume"
    for s in cluster.standbys[:2]:
        if pause:
            cluster.wait_replayed(s, DB)
        with psycopg.connect(s.url(DB), autocommit=True) as conn:
            conn.execute(f"SELECT {fn}()")


def standby_find(cluster, n, detector=1):
    """What standby1 itself answers now (read directly, no routing)."""
    with calibcert.connect(cluster.standbys[0].url(DB)) as reg:
        return reg.find(n["calib"], n["type"], {"detector": detector}, AT)


# -- 1: lookups on the standbys, writes on the primary -------------------------------------


def test_lookups_are_spread_over_both_standbys_with_the_primarys_answers(cluster, names):
    with calibcert.connect(cluster.primary_url(DB)) as primary, replicated(cluster) as reg:
        refs = world(reg, names, detectors=(1, 2))
        # The primary's own first reads below write WAL (about 14 kB, measured: pruning and
        # hint bits on the pages the writes left), and a standby still replaying it would
        # rightly pass its turn to the other (a read does not wait for a lagging standby
        # when another is fresh), which is not what this test counts. So those reads run
        # once first, and both standbys replay everything before the counted reads.
        primary.certifications(names["calib"])
        primary.history(names["calib"])
        primary.explain(names["calib"], names["type"], {"detector": 1}, AT)
        primary.collection_digest(names["calib"])
        for s in cluster.standbys[:2]:
            cluster.wait_replayed(s, DB)
        spies = {m: spy_all(reg, m) for m in ("find", "find_many", "certifications",
                                               "history", "explain", "collection_digest")}
        for _ in range(4):
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            assert reg.find_many(names["calib"], names["type"],
                                 [({"detector": 2}, AT), ({"detector": 1}, T1)]) == [refs[1], None]
            assert reg.certifications(names["calib"]) == primary.certifications(names["calib"])
            assert reg.history(names["calib"]) == primary.history(names["calib"])
            assert reg.explain(names["calib"], names["type"], {"detector": 1}, AT) == \
                primary.explain(names["calib"], names["type"], {"detector": 1}, AT)
            assert reg.collection_digest(names["calib"]) == \
                primary.collection_digest(names["calib"])
        # Round robin over every read: 24 reads, 12 on each standby, none on the primary; but
        # a standby that has not yet replayed what a read needs passes its turn to the other
        # (right, and a matter of timing: seen about once in five runs, at 11 / 13, even
        # after the warm-up above), so up to two passed turns are allowed. A router stuck on
        # one standby (24 / 0) or skewed (16 / 8) still fails.
        totals = {k: sum(s.counts[k] for s in spies.values())
                  for k in ("primary", "standby1", "standby2")}
        assert totals["primary"] == 0 and totals["standby1"] + totals["standby2"] == 24, totals
        assert min(totals["standby1"], totals["standby2"]) >= 10, totals


def test_writes_and_transactions_go_to_the_primary(cluster, names):
    with replicated(cluster) as reg:
        world(reg, names)
        spy = spy_all(reg, "find")
        with reg.transaction():
            reg.register_collection(names["run"] + "_x", "RUN")
            # Inside the transaction the read belongs to it: only the primary sees the row.
            assert [c.name for c in reg.list_collections("RUN")
                    if c.name == names["run"] + "_x"] == [names["run"] + "_x"]
            reg.find(names["calib"], names["type"], {"detector": 1}, AT)
        assert spy.counts["primary"] == 1
        for s in reg.standbys:  # the standbys are read-only: a write there would fail
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                s.registry.register_collection("never", "RUN")


# -- 2: read-your-writes, bounded staleness, pinned reads ----------------------------------


def test_a_read_after_a_write_never_sees_the_state_before_it(cluster, names, caplog):
    with replicated(cluster, read_wait=0.3) as reg:
        refs = world(reg, names, detectors=(1, 2))
        epoch = reg.current_epoch()
        spy = spy_all(reg, "find")
        paused(cluster, True)
        try:
            reg.decertify(names["calib"], names["type"], Timespan(T0, T1), [{"detector": 1}])
            # The standbys still hold the certification: a routed read there would be stale.
            assert standby_find(cluster, names) == refs[0]
            with caplog.at_level(logging.INFO, logger="calibcert.replicas"):
                assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
            assert spy.counts == {"primary": 1, "standby1": 0, "standby2": 0}
            assert any("served by the primary" in r.getMessage() for r in caplog.records)
            # Pinned to the epoch before the write: any standby has it, same answer.
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT,
                            as_of=epoch) == refs[0]
            assert spy.counts["primary"] == 1
            assert reg.primary.find(names["calib"], names["type"], {"detector": 1}, AT,
                                    as_of=epoch) == refs[0]
        finally:
            paused(cluster, False)
        # Replayed: the standbys serve it again, now with the new state.
        assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
        assert spy.counts["standby1"] + spy.counts["standby2"] == 2  # the pinned one too


def test_a_read_waits_for_a_standby_to_replay_the_clients_write(cluster, names):
    with replicated(cluster, read_wait=10.0) as reg:
        refs = world(reg, names)
        spy = spy_all(reg, "find")
        paused(cluster, True)
        try:
            reg.decertify(names["calib"], names["type"], Timespan(T0, T1))
            resume = threading.Timer(0.3, paused, (cluster, False))
            resume.start()
            assert standby_find(cluster, names) == refs[0]
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
            resume.join()
        finally:
            paused(cluster, False)
        assert spy.counts["primary"] == 0  # it waited for a standby rather than give up


def test_a_pinned_read_waits_for_a_standby_that_reached_the_epoch(cluster, names, caplog):
    with replicated(cluster, read_wait=0.3) as reg:
        refs = world(reg, names)
        spy = spy_all(reg, "find")
        paused(cluster, True)
        try:
            with calibcert.connect(cluster.primary_url(DB)) as other:
                other.decertify(names["calib"], names["type"], Timespan(T0, T1))
                epoch = other.current_epoch()
            assert standby_find(cluster, names) == refs[0]
            # The standbys have not reached that epoch: the primary answers it.
            with caplog.at_level(logging.INFO, logger="calibcert.replicas"):
                assert reg.find(names["calib"], names["type"], {"detector": 1}, AT,
                                as_of=epoch) is None
            assert spy.counts["primary"] == 1
            assert any(f"reached epoch {epoch}" in r.getMessage() for r in caplog.records)
        finally:
            paused(cluster, False)


def test_another_clients_write_is_seen_within_max_lag(cluster, names):
    with replicated(cluster, read_wait=0.2, max_lag=1.5) as reg, \
            calibcert.connect(cluster.primary_url(DB)) as other:
        refs = world(reg, names)
        paused(cluster, True)
        try:
            # A read now samples the primary's position: the paused standbys have it.
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            other.decertify(names["calib"], names["type"], Timespan(T0, T1))
            # Within max_lag the standby's older state is allowed ...
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            time.sleep(1.6)
            # ... past it, no longer: the primary answers.
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
        finally:
            paused(cluster, False)


def test_a_new_client_never_reads_older_than_the_primary_when_it_connected(cluster, names):
    with calibcert.connect(cluster.primary_url(DB)) as other:
        refs = world(other, names)
        cluster.wait_replayed(cluster.standbys[0], DB)
        cluster.wait_replayed(cluster.standbys[1], DB)
        paused(cluster, True)
        try:
            other.decertify(names["calib"], names["type"], Timespan(T0, T1))
            assert standby_find(cluster, names) == refs[0]
            with replicated(cluster, read_wait=0.2) as reg:
                assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
        finally:
            paused(cluster, False)


# -- 3: a standby that stops or is promoted -------------------------------------------------


def test_a_stopped_standby_fails_over_with_a_log_line(cluster, names, caplog):
    s1, s2 = cluster.standbys[:2]
    with replicated(cluster) as reg:
        refs = world(reg, names)
        spy = spy_all(reg, "find")
        reg.check_interval = 60.0  # no look first: the read itself meets the dead connection
        try:
            s1.stop()
            with caplog.at_level(logging.WARNING, logger="calibcert.replicas"):
                for _ in range(4):
                    assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            assert spy.counts["standby2"] == 4 and spy.counts["primary"] == 0
            assert any("failed" in r.getMessage() and str(s1.port) in r.getMessage()
                       for r in caplog.records)
            s2.stop()
            with caplog.at_level(logging.INFO, logger="calibcert.replicas"):
                started = time.monotonic()
                assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
                # Both down: straight to the primary, without waiting read_wait (5 s).
                assert time.monotonic() - started < 2.5
                assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            assert spy.counts["primary"] == 2
            assert any("no standby is available" in r.getMessage() for r in caplog.records)
        finally:
            if s1.proc is None:
                s1.start()
            if s2.proc is None:
                s2.start()


def test_a_promoted_standby_is_never_read_again(cluster, names, caplog):
    s3 = cluster.add_standby()  # this test's own: promotion ends it as a standby
    with calibcert.connect(cluster.primary_url(DB), read_urls=[s3.url(DB)],
                           read_wait=0.3) as reg:
        refs = world(reg, names, detectors=(1, 2))
        cluster.wait_replayed(s3, DB)
        assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
        s3.promote()
        # Writes on the promoted server diverge from the primary's history.
        with calibcert.connect(s3.url(DB)) as ghost:
            ghost.decertify(names["calib"], names["type"], Timespan(T0, T1), [{"detector": 2}])
        reg.decertify(names["calib"], names["type"], Timespan(T0, T1), [{"detector": 1}])
        # The promoted server numbered its own change with an epoch the primary has also
        # committed, meaning another state there: a pinned read on it would answer wrongly.
        with calibcert.connect(s3.url(DB)) as ghost:
            epoch = ghost.current_epoch()
            for i in range(64):  # the primary's epochs catch up with the ghost's number
                if reg.current_epoch() >= epoch:
                    break
                reg.register_collection(f"{names['run']}_{i}", "RUN")
            assert epoch <= reg.current_epoch()
            assert ghost.find(names["calib"], names["type"], {"detector": 2}, AT,
                              as_of=epoch) is None
        with caplog.at_level(logging.WARNING, logger="calibcert.replicas"):
            assert reg.find(names["calib"], names["type"], {"detector": 2}, AT,
                            as_of=epoch) == refs[1]
            assert reg.find_many(names["calib"], names["type"],
                                 [({"detector": 1}, AT), ({"detector": 2}, AT)]) == [None, refs[1]]
        assert any("promoted" in r.getMessage() for r in caplog.records)
        assert reg.standbys[0].promoted
    # A client that starts after the promotion does not use it either, even without writes.
    with calibcert.connect(cluster.primary_url(DB), read_urls=[s3.url(DB)],
                           read_wait=0.3) as reg:
        assert reg.find(names["calib"], names["type"], {"detector": 2}, AT) == refs[1]
        assert reg.standbys[0].promoted
    s3.stop()


# -- the exclusion constraint under concurrent writers while standbys serve reads ----------


def test_the_exclusion_constraint_guards_the_primary_while_standbys_serve_reads(cluster, names):
    rounds = 8
    with replicated(cluster) as setup:
        runs = (names["run"], names["run"] + "_b")
        for run in runs:
            setup.register_collection(run, "RUN")
        setup.register_collection(names["calib"], "CALIBRATION")
        setup.register_dataset_type(names["type"], ["detector"])
        # Two candidates per round for the same data ID (detector = round), one per RUN.
        per_run = [setup.insert_datasets(names["type"], run,
                                         [{"detector": r} for r in range(rounds)])
                   for run in runs]
        cands = [(per_run[0][r], per_run[1][r]) for r in range(rounds)]
    barrier = threading.Barrier(2)
    outcome: dict[int, list[str]] = {r: [] for r in range(rounds)}
    seen: list[tuple[int, object]] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            with replicated(cluster) as reg:
                for r in range(rounds):
                    barrier.wait(30)
                    try:
                        reg.certify(names["calib"], [cands[r][k]], Timespan(T0, T1))
                        outcome[r].append(f"won{k}")
                    except ConflictingCertificationError:
                        outcome[r].append("conflict")
                    # Read-your-writes holds under the race: the winner is visible now.
                    got = reg.find(names["calib"], names["type"], {"detector": r}, AT)
                    assert got is not None and got.id in {c.id for c in cands[r]}
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            barrier.abort()

    served: list[Spy] = []

    def reader() -> None:
        try:
            with replicated(cluster) as reg:
                served.append(spy_all(reg, "find"))
                while not stop.is_set():
                    for r in range(rounds):
                        seen.append((r, reg.find(names["calib"], names["type"],
                                                 {"detector": r}, AT)))
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in (0, 1)]
    rd = threading.Thread(target=reader)
    rd.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    rd.join(60)
    assert not failures, failures
    for r in range(rounds):
        assert sorted(outcome[r]) in (["conflict", "won0"], ["conflict", "won1"]), outcome[r]
    with calibcert.connect(cluster.primary_url(DB)) as primary:
        assert primary.check_integrity() == []
        winners = {}
        for c in primary.certifications(names["calib"]):
            assert c.ref.data_id["detector"] not in winners  # one per data ID
            winners[c.ref.data_id["detector"]] = c.ref.id
    assert len(winners) == rounds
    assert seen and all(got is None or got.id == winners[r] for r, got in seen)
    counts = served[0].counts  # the reads did go to the standbys while the writers raced
    assert counts["standby1"] > 0 and counts["standby2"] > 0, counts


# -- 4: PgBouncer in transaction pooling mode, psycopg_pool --------------------------------


def test_pooled_clients_sharing_one_server_connection_keep_their_own_reasons(cluster, names):
    b = cluster.bouncer
    with calibcert.connect(b.url("primary"), pooled=True, reason="why-a", user="alice") as a, \
            calibcert.connect(b.url("primary"), pooled=True, reason="why-b", user="bob") as bb:
        a.register_collection(names["run"], "RUN")
        bb.register_collection(names["calib"], "CALIBRATION")
        with a.transaction():
            a.register_dataset_type(names["type"], ["detector"])
            a.insert_datasets(names["type"], names["run"], [{"detector": 1}])
        bb.set_collection_state(names["calib"], "APPEND_ONLY")
        # Prepared statements: more finds than psycopg's prepare threshold, interleaved on
        # the one server connection.
        for _ in range(8):
            assert a.find(names["run"], names["type"], {"detector": 1}, None) is not None
            assert bb.find(names["run"], names["type"], {"detector": 1}, None) is not None
    with calibcert.connect(cluster.primary_url(DB)) as primary:
        rows = primary.history(names["run"]) + primary.history(names["calib"])
        actors = {(r.operation, r.reason, r.app_user) for r in rows}
        assert actors == {("register_collection", "why-a", "alice"),
                          ("register_collection", "why-b", "bob"),
                          ("insert_datasets", "why-a", "alice"),
                          ("set_collection_state", "why-b", "bob")}, actors
    # Nothing is left in the shared server session for the next client.
    with psycopg.connect(b.url("primary"), prepare_threshold=None) as conn:
        assert conn.execute("SELECT current_setting('calib.reason', true),"
                            " current_setting('calib.user', true)").fetchone() in \
            ((None, None), ("", ""))


def test_replicas_through_pgbouncer_read_their_writes(cluster, names):
    b = cluster.bouncer
    with calibcert.connect(b.url("primary"), pooled=True, reason="via bouncer",
                           read_urls=[b.url("standby1"), b.url("standby2")],
                           read_wait=5.0) as reg:
        refs = world(reg, names, detectors=(1, 2))
        spy = spy_all(reg, "find")
        for d in (1, 2):
            reg.decertify(names["calib"], names["type"], Timespan(T0, T1), [{"detector": d}])
            assert reg.find(names["calib"], names["type"], {"detector": d}, AT) is None
            assert reg.find(names["calib"], names["type"], {"detector": 3 - d}, AT) == (
                refs[1] if d == 1 else None)
        assert spy.counts["primary"] == 0
        reasons = [r.reason for r in reg.history(names["calib"])]
        assert len(reasons) >= 4 and set(reasons) == {"via bouncer"}, reasons


def test_psycopg_pool_connections_are_returned_without_our_settings(cluster, names):
    from psycopg_pool import ConnectionPool

    with ConnectionPool(cluster.primary_url(DB), min_size=1, max_size=1, open=True) as pool:
        with pool.connection() as conn:
            reg = calibcert.connect(conn, pooled=True, reason="pooled-a")
            reg.register_collection(names["run"], "RUN")
            reg.close()
        with pool.connection() as conn:
            assert conn.execute("SELECT current_setting('calib.reason', true)").fetchone()[0] \
                in (None, "")
            reg = calibcert.connect(conn, pooled=True, reason="pooled-b")
            reg.register_collection(names["calib"], "CALIBRATION")
            reg.close()
    with calibcert.connect(cluster.primary_url(DB)) as primary:
        assert [r.reason for r in primary.history(names["run"])] == ["pooled-a"]
        assert [r.reason for r in primary.history(names["calib"])] == ["pooled-b"]


# -- the CLI and the arguments --------------------------------------------------------------


def test_cli_read_urls_from_options_and_environment(cluster, names, monkeypatch, capsys):
    from calibcert.cli import run

    with calibcert.connect(cluster.primary_url(DB)) as reg:
        refs = world(reg, names)
    args = ["find", names["calib"], names["type"], "-d", "detector=1", "--at",
            AT.isoformat(), "--json", "--url", cluster.primary_url(DB)]
    s1, s2 = (s.url(DB) for s in cluster.standbys[:2])
    assert run([*args, "--read-url", s1, "--read-url", s2]) == 0
    assert str(refs[0].id) in capsys.readouterr().out
    monkeypatch.setenv("CALIBCERT_READ_URLS", f"{s1}, {s2}")
    assert run(args) == 0
    assert str(refs[0].id) in capsys.readouterr().out
    assert run([*args, "--read-url", "sqlite:///x.db"]) == 3
    assert "not a postgresql" in capsys.readouterr().err
    monkeypatch.setenv("CALIBCERT_READ_URLS", f"{s1} postgresql://postgres@127.0.0.1:1/{DB}")
    assert run(args) == 0  # a standby that is down: logged, the lookup still answers
    capsys.readouterr()


def test_cli_pooled_through_pgbouncer_records_each_commands_reason(cluster, names,
                                                                  monkeypatch, capsys):
    from calibcert.cli import run

    b = cluster.bouncer
    common = ["--url", b.url("primary"), "--read-url", b.url("standby1")]
    assert run(["collection", "register", names["run"], "RUN", *common, "--pooled",
                "--reason", "first"]) == 0
    monkeypatch.setenv("CALIBCERT_POOLED", "1")
    assert run(["collection", "register", names["calib"], "CALIBRATION", *common,
                "--reason", "second"]) == 0
    capsys.readouterr()
    with calibcert.connect(cluster.primary_url(DB)) as primary:
        assert [r.reason for r in primary.history(names["run"])] == ["first"]
        assert [r.reason for r in primary.history(names["calib"])] == ["second"]
    with psycopg.connect(b.url("primary"), prepare_threshold=None) as conn:
        assert conn.execute("SELECT current_setting('calib.reason', true)").fetchone()[0] \
            in (None, "")


def test_arguments_are_checked(cluster):
    with pytest.raises(ValueError):
        calibcert.connect(cluster.primary_url(DB), read_urls=["sqlite:///x.db"])
    with pytest.raises(InvalidArgumentError):
        calibcert.connect(cluster.primary_url(DB), read_urls=[cluster.standbys[0].url(DB)],
                          read_wait=-1)
    assert parse_lsn("1/A") == (1 << 32) + 10 and parse_lsn(None) == 0


def test_a_reader_role_reads_from_the_standbys(cluster, names):
    # The positions and the epoch the routing asks for are readable by calib_reader: no
    # superuser, no pg_monitor.
    with calibcert.connect(cluster.primary_url(DB)) as admin:
        refs = world(admin, names)
        admin.connection.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rep_reader')"
            " THEN CREATE ROLE rep_reader LOGIN IN ROLE calib_reader; END IF; END $$")
    for s in cluster.standbys[:2]:  # the role reaches the standbys with the WAL
        cluster.wait_replayed(s, DB)
    url = cluster.primary_url(DB).replace("postgres@", "rep_reader@")
    with calibcert.connect(url, read_urls=[s.url(DB).replace("postgres@", "rep_reader@")
                                           for s in cluster.standbys[:2]],
                           read_wait=5.0) as reg:
        assert reg.primary.connection.execute("SELECT current_user").fetchone()[0] == \
            "rep_reader"
        spy = spy_all(reg, "find")
        for _ in range(2):
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
        assert spy.counts == {"primary": 0, "standby1": 1, "standby2": 1}
        with pytest.raises(calibcert.errors.AccessDeniedError):  # 42501, translated
            reg.register_collection("not_for_readers", "RUN")


def test_a_psycopg_pool_connection_as_primary_with_standbys(cluster, names):
    from psycopg_pool import ConnectionPool

    with ConnectionPool(cluster.primary_url(DB), min_size=1, max_size=2, open=True,
                        kwargs={"autocommit": True}) as pool, pool.connection() as conn:
        with calibcert.connect(conn, pooled=True, reason="pool+replicas", read_wait=5.0,
                               read_urls=[s.url(DB) for s in cluster.standbys[:2]]) as reg:
            refs = world(reg, names)
            spy = spy_all(reg, "find")
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
            reg.decertify(names["calib"], names["type"], Timespan(T0, T1))
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) is None
            assert spy.counts["primary"] == 0
        assert not conn.closed  # the pool's connection stays the pool's


def test_pinned_reads_need_no_primary(cluster, names):
    with replicated(cluster, max_lag=1.0) as reg:
        refs = world(reg, names)
        epoch = reg.current_epoch()
        assert reg.find(names["calib"], names["type"], {"detector": 1}, AT) == refs[0]
        reg.primary.connection.close()  # the primary is out of reach from now on
        for _ in range(2):
            assert reg.find(names["calib"], names["type"], {"detector": 1}, AT,
                            as_of=epoch) == refs[0]
            assert reg.certifications(names["calib"], as_of=epoch) != []
        # Past max_lag a current read needs the primary's position: it fails rather than
        # answer a state of unknown age.
        time.sleep(1.1)
        with pytest.raises(ConnectionLostError):
            reg.find(names["calib"], names["type"], {"detector": 1}, AT)
