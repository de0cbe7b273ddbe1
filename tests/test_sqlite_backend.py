"""SQLite backend: what only the SQLite fallback has to prove.

* Several real processes (multiprocessing, spawn) writing one file at once: racing certify
  of overlapping spans of one calibration key, racing close_open certify, decertify racing
  certify. Every outcome must be one a serial order explains, and no key may overlap.
* The busy timeout surfaces as LockTimeoutError while another process holds the write lock
  (readers still read), and the call changed nothing.
* A failure in the middle of a multi-statement operation (injected by a real trigger in the
  file) leaves nothing half-applied, also inside ``transaction()`` (savepoints).
* ``connect`` refuses a file without the schema (or at another revision) and says which
  command fixes it; ``upgrade`` creates the schema through alembic.
* Bulk paths leave every foreign key satisfied; the caches of one connection follow changes
  committed by another; errors equal PostgreSQL's (class, message and details).
"""

from __future__ import annotations

import enum
import multiprocessing
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from queue import Empty
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, DatasetRef, Registry, Timespan
from calibcert.errors import (
    CalibCertError,
    ConflictingCertificationError,
    ConflictingDefinitionError,
    LockTimeoutError,
    MissingCollectionError,
    SchemaVersionError,
)
from calibcert.schema import HEAD_REVISION

UTC = timezone.utc
CAL = "cal"
#: Processes racing in the concurrency tests, rounds each of them plays, and calibration
#: keys per call (enough work per call that the transactions really overlap in time).
PROCESSES = 4
ROUNDS = 6
BATCH = 300


def t(year: int, month: int = 1, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def bias(detector: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": detector}


def setup_world(reg: Registry, runs: int = 1) -> None:
    for r in range(runs):
        reg.register_collection(f"run{r}", CollectionType.RUN)
    reg.register_collection(CAL, CollectionType.CALIBRATION)
    reg.register_dataset_type("bias", ("instrument", "detector"))


def key_rows(reg: Registry, detector: int) -> list[tuple[uuid.UUID, Timespan]]:
    """(dataset, timespan) of the certifications of one key, by begin."""
    rows = [(c.ref.id, c.timespan) for c in reg.certifications(CAL, "bias")
            if c.ref.data_id == bias(detector)]
    low = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: r[1].begin or low)


def assert_no_overlap(rows: list[tuple[uuid.UUID, Timespan]]) -> None:
    for (_, a), (_, b) in zip(rows, rows[1:], strict=False):
        assert not a.overlaps(b), f"{a} overlaps {b}"


def state(reg: Registry) -> tuple[Any, ...]:
    """Everything visible through the API, to compare before / after a failed call."""
    colls = reg.list_collections()
    certs = sorted((c.collection, str(c.ref.id), str(c.timespan))
                   for c in reg.certifications(CAL))
    found = {c.name: reg.query_datasets(c.name, "bias") for c in colls
             if c.type in (CollectionType.RUN, CollectionType.TAGGED)}
    return colls, certs, found


def raw(url: str) -> sqlite3.Connection:
    """A plain connection to the file (foreign keys on, as the backend has them)."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@pytest.fixture
def reg(sqlite_url: str) -> Iterator[Registry]:
    r = calibcert.connect(sqlite_url)
    try:
        yield r
    finally:
        r.close()


# -- schema and connect -------------------------------------------------------------------


def test_upgrade_creates_the_schema_through_alembic(tmp_path) -> None:
    path = tmp_path / "new.db"
    calibcert.upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
        (HEAD_REVISION,)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"collection", "collection_chain", "dataset_type", "data_id", "dataset", "tag",
            "certification"} <= tables
    conn.close()
    reg = calibcert.connect(f"sqlite:///{path}")
    try:
        assert reg.backend == "sqlite" and reg.list_collections() == []
        assert reg.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        reg.close()


def test_connect_refuses_a_missing_file_and_creates_nothing(tmp_path) -> None:
    path = tmp_path / "nothing.db"
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(f"sqlite:///{path}")
    assert "calibcert db upgrade" in info.value.message
    assert info.value.details == {"revision": None, "head": HEAD_REVISION}
    assert not path.exists()


def test_connect_refuses_a_file_without_the_schema(tmp_path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(f"sqlite:///{path}")
    assert "has no calibcert schema" in info.value.message
    assert "calibcert db upgrade" in info.value.message
    # Refused means untouched: not even switched to WAL.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_connect_refuses_another_revision(sqlite_url: str) -> None:
    conn = raw(sqlite_url)
    conn.execute("UPDATE alembic_version SET version_num = '0000'")
    conn.close()
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(sqlite_url)
    assert "is at revision 0000" in info.value.message
    assert "calibcert db upgrade" in info.value.message
    assert info.value.details["revision"] == "0000"


def test_default_file_lives_under_xdg_data_home(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CALIBCERT_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    calibcert.upgrade()
    reg = calibcert.connect()
    try:
        assert reg.path == str(tmp_path / "data" / "calibcert" / "calibcert.db")
        assert reg.register_collection("r", CollectionType.RUN) is True
    finally:
        reg.close()


# -- the database's own rules --------------------------------------------------------------


def test_raw_writes_meet_the_constraints(reg: Registry, sqlite_url: str) -> None:
    setup_world(reg)
    ref = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    reg.certify(CAL, [ref], Timespan(t(2020), None))
    conn = raw(sqlite_url)
    cal_id = conn.execute("SELECT collection_id FROM collection WHERE name = 'cal'").fetchone()[0]
    key, type_id, run_id = conn.execute(
        "SELECT data_id_key, dataset_type_id, run_id FROM dataset").fetchone()
    begin = conn.execute("SELECT begin_us FROM certification").fetchone()[0]
    insert = ("INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
              " dataset_id, run_id, begin_us, end_us) VALUES (?, ?, ?, ?, ?, ?, ?)")
    # The guard triggers (sql/sqlite/schema/guards.sql) refuse before the foreign keys,
    # naming PostgreSQL's constraint.
    with pytest.raises(sqlite3.IntegrityError, match="certification_dataset_fkey"):  # unknown
        conn.execute(insert, (cal_id, type_id, key, uuid.uuid4().bytes, run_id, 0, 1))
    with pytest.raises(sqlite3.IntegrityError, match="certification_dataset_fkey"):  # not its RUN
        conn.execute(insert, (cal_id, type_id, key, ref.id.bytes, cal_id, 0, 1))
    # same key, same begin: an overlap, refused by the guard trigger before the primary key
    with pytest.raises(sqlite3.IntegrityError, match="certification_no_overlap"):
        conn.execute(insert, (cal_id, type_id, key, ref.id.bytes, run_id, begin, 2**62))
    with pytest.raises(sqlite3.IntegrityError, match="certification_validity_bounds"):
        conn.execute(insert, (cal_id, type_id, key, ref.id.bytes, run_id, 5, 5))
    with pytest.raises(sqlite3.IntegrityError, match="certification_collection_fkey"):  # RUN
        conn.execute(insert, (run_id, type_id, key, ref.id.bytes, run_id, 0, 1))
    with pytest.raises(sqlite3.IntegrityError, match="collection_name_check"):
        conn.execute("INSERT INTO collection (name, type) VALUES ('a\x85b', 'RUN')")
    conn.close()
    assert [c.ref for c in reg.certifications(CAL)] == [ref]


def test_bulk_paths_leave_every_foreign_key_satisfied(reg: Registry) -> None:
    setup_world(reg, runs=2)
    n = 3000  # above the bulk threshold: these calls run without per-row FK lookups
    refs = reg.insert_datasets("bias", "run0", [bias(d) for d in range(n)])
    reg.certify(CAL, refs, Timespan(t(2020), None))
    reg.certify_series(CAL, [(r, t(2021)) for r in refs], close_open=True)
    reg.copy_collection(CAL, "cal copy")
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.tag("tagged", refs)
    reg.copy_collection("tagged", "tagged copy")
    conn = reg.connection
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchall()[0][0] == "ok"
    assert len(reg.certifications("cal copy")) == 2 * n


def test_foreign_keys_are_off_exactly_for_outermost_bulk_writes(reg: Registry) -> None:
    """The documented state of PRAGMA foreign_keys (README, "Storage, in short"): on for the
    backend's connection, off only while a bulk write runs at the outermost level (certify,
    certify_series or insert_datasets of at least BULK_ROWS items, and every copy_collection),
    back on afterwards, also after a failure; inside transaction() it stays on (the pragma
    cannot change inside a transaction). A temporary trigger on each table records the
    setting at the moment each row is written. Safe because the guard triggers
    (sql/sqlite/schema/guards.sql) check parents whatever the setting: see
    tests/test_sqlite_guards.py, which writes with it off."""
    from calibcert.backends.sqlite.values import BULK_ROWS

    setup_world(reg, runs=2)
    reg.register_collection("tagged", CollectionType.TAGGED)
    conn = reg.connection
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.execute("CREATE TEMP TABLE fk_seen (tbl TEXT, fk INTEGER, UNIQUE (tbl, fk))")
    for table in ("dataset", "certification", "tag", "collection"):
        conn.execute(f"CREATE TEMP TRIGGER fk_seen_{table} AFTER INSERT ON main.{table}"
                     f" BEGIN INSERT OR IGNORE INTO fk_seen SELECT '{table}', foreign_keys"
                     " FROM pragma_foreign_keys; END")

    def seen(call: Callable[[], Any]) -> set[tuple[str, int]]:
        conn.execute("DELETE FROM fk_seen")
        call()
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # restored
        return {tuple(r) for r in conn.execute("SELECT tbl, fk FROM fk_seen")}

    few, bulk = BULK_ROWS - 1, BULK_ROWS
    refs: list[DatasetRef] = []
    assert seen(lambda: refs.extend(
        reg.insert_datasets("bias", "run0", [bias(d) for d in range(few)]))) == {
        ("dataset", 1)}
    assert seen(lambda: refs.extend(
        reg.insert_datasets("bias", "run0", [bias(d) for d in range(few, few + bulk)]))) == {
        ("dataset", 0)}
    assert seen(lambda: reg.certify(CAL, refs[:few], Timespan(t(2020), None))) == {
        ("certification", 1)}
    assert seen(lambda: reg.certify(CAL, refs[few:], Timespan(t(2020), None))) == {
        ("certification", 0)}
    assert seen(lambda: reg.certify_series(
        CAL, [(r, t(2021)) for r in refs[:bulk]], close_open=True)) == {("certification", 0)}
    assert seen(lambda: reg.tag("tagged", refs)) == {("tag", 1)}  # not a bulk path
    assert seen(lambda: reg.copy_collection("tagged", "tagged copy")) == {
        ("collection", 0), ("tag", 0)}  # copy_collection is always a bulk write

    def inside_a_transaction() -> None:
        with reg.transaction():
            reg.insert_datasets("bias", "run1", [bias(d) for d in range(bulk)])
    assert seen(inside_a_transaction) == {("dataset", 1)}

    def failing_bulk_call() -> None:
        with pytest.raises(ConflictingDefinitionError):
            reg.insert_datasets("bias", "run1", [bias(0)] * bulk)
    assert seen(failing_bulk_call) == set()  # refused before writing; the pragma is back on
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


# -- atomicity -----------------------------------------------------------------------------


def inject_failure(url: str, table: str, when: str) -> None:
    """A trigger that makes one insert into ``table`` fail, as a full disk would: a real
    failure in the middle of an operation, after its first statements have run."""
    conn = raw(url)
    conn.execute(f"CREATE TRIGGER injected_failure BEFORE INSERT ON {table} WHEN {when}"
                 " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
    conn.close()


def us(when: datetime) -> int:
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_decertify_failing_midway_changes_nothing(reg: Registry, sqlite_url: str) -> None:
    setup_world(reg)
    ref = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    reg.certify(CAL, [ref], Timespan(t(2020), t(2030)))
    before = state(reg)
    # The split shortens the row to [2020, 2022) in place, then fails storing [2024, 2030).
    inject_failure(sqlite_url, "certification", f"NEW.begin_us = {us(t(2024))}")
    with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
        reg.decertify(CAL, "bias", Timespan(t(2022), t(2024)))
    assert state(reg) == before


def test_close_open_certify_failing_midway_changes_nothing(reg: Registry,
                                                           sqlite_url: str) -> None:
    setup_world(reg, runs=2)
    old = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    new = reg.insert_datasets("bias", "run1", [bias(1)])[0]
    reg.certify(CAL, [old], Timespan(t(2020), None))
    before = state(reg)
    # close_open first ends the stored row at 2021; then the insert of the new one fails.
    inject_failure(sqlite_url, "certification", f"NEW.begin_us = {us(t(2021))}")
    with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
        reg.certify(CAL, [new], Timespan(t(2021), None), close_open=True)
    assert state(reg) == before
    assert key_rows(reg, 1) == [(old.id, Timespan(t(2020), None))]


def test_insert_datasets_failing_midway_interns_nothing(reg: Registry, sqlite_url: str) -> None:
    setup_world(reg)
    conn = raw(sqlite_url)
    interned = conn.execute("SELECT count(*) FROM data_id").fetchone()
    inject_failure(sqlite_url, "dataset", "1")
    with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
        reg.insert_datasets("bias", "run0", [bias(d) for d in range(5)])
    assert conn.execute("SELECT count(*) FROM data_id").fetchone() == interned
    conn.close()
    assert reg.query_datasets("run0", "bias") == []


def test_copy_failing_midway_creates_no_collection(reg: Registry, sqlite_url: str) -> None:
    setup_world(reg)
    refs = reg.insert_datasets("bias", "run0", [bias(d) for d in range(3)])
    reg.certify(CAL, refs, Timespan(t(2020), None))
    before = state(reg)
    inject_failure(sqlite_url, "certification", "NEW.collection_id <> "
                   "(SELECT collection_id FROM collection WHERE name = 'cal')")
    with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
        reg.copy_collection(CAL, "copy")
    assert state(reg) == before
    with pytest.raises(MissingCollectionError):
        reg.certifications("copy")


def test_failing_call_inside_a_transaction_is_undone_alone(reg: Registry,
                                                           sqlite_url: str) -> None:
    setup_world(reg, runs=2)
    a = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    b = reg.insert_datasets("bias", "run1", [bias(2)])[0]
    inject_failure(sqlite_url, "certification", f"NEW.begin_us = {us(t(2025))}")
    with reg.transaction():
        reg.certify(CAL, [a], Timespan(t(2020), None))
        with pytest.raises(sqlite3.IntegrityError, match="injected failure"):
            reg.certify(CAL, [b], Timespan(t(2025), None))
        with pytest.raises(ConflictingCertificationError):
            reg.certify(CAL, [a], Timespan(t(2021), None))
        # The transaction is still usable and sees its own work.
        assert reg.find(CAL, "bias", bias(1), t(2022)) == a
        reg.certify(CAL, [b], Timespan(t(2020), t(2021)))
        with pytest.raises(ConflictingCertificationError) as info:
            with reg.transaction():  # a nested block is a savepoint, undone as a whole
                reg.decertify(CAL, "bias", Timespan(None, None))
                reg.certify(CAL, [a, a], Timespan(t(2030), None))
        # The certify of one dataset twice (its two items overlap), not anything else.
        assert info.value.sqlstate == "KC001"
        assert info.value.details["kind"] == "certification_conflict"
        assert [(c["dataset"], c["conflicting_dataset"]) for c in info.value.conflicts] == [
            (a.id, a.id)]
    assert sorted((c.ref.id, c.timespan.begin) for c in reg.certifications(CAL)) == sorted(
        [(a.id, t(2020)), (b.id, t(2020))])


def test_an_exception_in_a_transaction_rolls_everything_back(reg: Registry) -> None:
    setup_world(reg)
    ref = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    before = state(reg)
    with pytest.raises(KeyError):
        with reg.transaction():
            reg.certify(CAL, [ref], Timespan(t(2020), None))
            reg.register_collection("chain", CollectionType.CHAINED)
            reg.set_chain("chain", [CAL])
            assert reg.find("chain", "bias", bias(1), t(2021)) == ref
            raise KeyError("user code fails")
    assert state(reg) == before
    with pytest.raises(MissingCollectionError):  # the lookup cache forgot it too
        reg.find("chain", "bias", bias(1), t(2021))


# -- caches follow other connections ----------------------------------------------------------


def test_lookups_follow_changes_committed_by_another_connection(sqlite_url: str) -> None:
    one, two = calibcert.connect(sqlite_url), calibcert.connect(sqlite_url)
    try:
        setup_world(one, runs=2)
        a = one.insert_datasets("bias", "run0", [bias(1)])[0]
        b = one.insert_datasets("bias", "run1", [bias(1)])[0]
        one.certify(CAL, [a], Timespan(t(2020), None))
        one.register_collection("chain", CollectionType.CHAINED)
        one.set_chain("chain", [CAL])
        assert two.find("chain", "bias", bias(1), t(2021)) == a  # now cached in `two`
        assert two.find("chain", "bias", bias(1), None) is None
        one.set_chain("chain", ["run1", CAL])
        assert two.find("chain", "bias", bias(1), t(2021)) == b
        one.set_chain("chain", [])
        assert two.find("chain", "bias", bias(1), t(2021)) is None
        # Removed and registered again with another type: the name means something else.
        assert two.find(CAL, "bias", bias(1), t(2021)) == a
        one.remove_collection("chain")
        one.remove_collection(CAL)
        one.register_collection(CAL, CollectionType.TAGGED)
        one.tag(CAL, [b])
        assert two.find(CAL, "bias", bias(1), t(2021)) == b
        with pytest.raises(MissingCollectionError):
            two.find("chain", "bias", bias(1), t(2021))
    finally:
        one.close()
        two.close()


# -- several processes on one file -----------------------------------------------------------


def _spawn() -> multiprocessing.context.SpawnContext:
    # spawn, not fork: a child must never inherit an open SQLite connection.
    return multiprocessing.get_context("spawn")


def _run_workers(target: Callable[..., None], args_for: Callable[[int, Any, Any], tuple],
                 processes: int) -> list[Any]:
    """Start ``processes`` workers that meet at a barrier before every round; collect what
    they put on the queue (one item per worker per round). A worker that dies fails the
    test at once; no worker outlives it."""
    ctx = _spawn()
    barrier = ctx.Barrier(processes)
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=args_for(i, barrier, queue))
             for i in range(processes)]
    for p in procs:
        p.start()
    try:
        results: list[Any] = []
        waited = 0.0
        while len(results) < processes * ROUNDS:
            try:
                results.append(queue.get(timeout=0.5))
            except Empty:
                waited += 0.5
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if dead or waited > 300:
                    pytest.fail(f"workers failed (exit codes {dead}) or hung")
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0, f"worker exited with {p.exitcode}"
        return results
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(10)


def _batch(values: list[Any], k: int) -> list[Any]:
    """Round k's share of a per-worker list: BATCH consecutive items."""
    return values[k * BATCH:(k + 1) * BATCH]


def _round_rows(reg: Registry, k: int) -> dict[int, list[tuple[str, Timespan]]]:
    """Round k's keys (detectors) -> their certifications (dataset, timespan), by begin."""
    out: dict[int, list[tuple[str, Timespan]]] = {d: [] for d in range(k * BATCH,
                                                                    (k + 1) * BATCH)}
    for c in reg.certifications(CAL, "bias"):
        if c.ref.data_id["detector"] in out:
            out[c.ref.data_id["detector"]].append((str(c.ref.id), c.timespan))
    low = datetime.min.replace(tzinfo=UTC)
    return {d: sorted(rows, key=lambda r: r[1].begin or low) for d, rows in out.items()}


def _datasets_per_worker(reg: Registry, workers: int) -> list[list[str]]:
    """Worker i's datasets live in RUN i, one per key (detector), the same keys for every
    worker: equal data IDs, hence equal calibration keys."""
    return [[str(r.id) for r in reg.insert_datasets(
        "bias", f"run{i}", [bias(d) for d in range(ROUNDS * BATCH)])] for i in range(workers)]


def _race_certify_worker(url: str, i: int, ids: list[str], barrier: Any, queue: Any) -> None:
    reg = calibcert.connect(url)
    try:
        for k in range(ROUNDS):
            barrier.wait()
            try:
                # Every worker certifies its own datasets of the round's keys, open-ended,
                # at a different begin: every item overlaps the other workers' items.
                reg.certify(CAL, _batch(ids, k), Timespan(t(2020, 1, 1 + i), None))
                queue.put((k, i, "ok", None))
            except ConflictingCertificationError as err:
                queue.put((k, i, "conflict", [str(c["conflicting_dataset"])
                                              for c in err.conflicts]))
    finally:
        reg.close()


def test_racing_certify_of_one_key_has_exactly_one_winner(sqlite_url: str) -> None:
    reg = calibcert.connect(sqlite_url)
    setup_world(reg, runs=PROCESSES)
    ids = _datasets_per_worker(reg, PROCESSES)
    results = _run_workers(
        _race_certify_worker, lambda i, b, q: (sqlite_url, i, ids[i], b, q), PROCESSES)
    for k in range(ROUNDS):
        outcomes = {i: (o, c) for kk, i, o, c in results if kk == k}
        winners = [i for i, (o, _) in outcomes.items() if o == "ok"]
        assert len(winners) == 1, outcomes  # each call is all or nothing
        won = _batch(ids[winners[0]], k)
        for o, conflicting in outcomes.values():
            if o == "conflict":  # lost to the stored winner, item by item, listing capped
                assert conflicting == won[:100]
        rows = _round_rows(reg, k)
        assert [rows[d] for d in sorted(rows)] == [
            [(ds, Timespan(t(2020, 1, 1 + winners[0]), None))] for ds in won]
    reg.close()


def _race_close_open_worker(url: str, i: int, ids: list[str], barrier: Any,
                            queue: Any) -> None:
    reg = calibcert.connect(url)
    try:
        for k in range(ROUNDS):
            barrier.wait()
            begin = t(2021, 1 + i)
            try:
                reg.certify(CAL, _batch(ids, k), Timespan(begin, None), close_open=True)
                queue.put((k, i, "ok", begin))
            except ConflictingCertificationError:
                queue.put((k, i, "conflict", begin))
    finally:
        reg.close()


def test_racing_close_open_certify_keeps_one_open_chain(sqlite_url: str) -> None:
    reg = calibcert.connect(sqlite_url)
    setup_world(reg, runs=PROCESSES + 1)
    ids = _datasets_per_worker(reg, PROCESSES + 1)
    base = ids.pop()
    reg.certify(CAL, base, Timespan(t(2020), None))
    results = _run_workers(
        _race_close_open_worker, lambda i, b, q: (sqlite_url, i, ids[i], b, q), PROCESSES)
    for k in range(ROUNDS):
        won = {i: begin for kk, i, o, begin in results if kk == k and o == "ok"}
        lost = [begin for kk, _, o, begin in results if kk == k and o == "conflict"]
        assert won, "the first writer always closes the base rows"
        # A loser found an open row beginning after its own begin: a winner stored first.
        assert all(begin < max(won.values()) for begin in lost)
        order = sorted(won, key=won.get)  # winners commit in the order of their begins
        for j, (d, rows) in enumerate(sorted(_round_rows(reg, k).items())):
            # The base row, then every winner by begin, each closed by the next, the last
            # one open.
            assert [ds for ds, _ in rows] == [base[d]] + [_batch(ids[i], k)[j] for i in order]
            begins = [t(2020)] + [won[i] for i in order]
            assert [span for _, span in rows] == [
                Timespan(b, e) for b, e in zip(begins, begins[1:] + [None], strict=True)]
    reg.close()


def _decertify_vs_certify_worker(url: str, i: int, ids: list[str], barrier: Any,
                                 queue: Any) -> None:
    reg = calibcert.connect(url)
    try:
        for k in range(ROUNDS):
            barrier.wait()
            if i == 0:
                n = reg.decertify(CAL, "bias", Timespan(t(2022), t(2024)),
                                  [bias(d) for d in range(k * BATCH, (k + 1) * BATCH)])
                queue.put((k, i, "decertified", n))
            else:
                try:
                    reg.certify(CAL, _batch(ids, k), Timespan(t(2022), t(2024)))
                    queue.put((k, i, "ok", None))
                except ConflictingCertificationError as err:
                    queue.put((k, i, "conflict", [str(c["conflicting_dataset"])
                                                  for c in err.conflicts]))
    finally:
        reg.close()


def test_decertify_racing_certify_matches_a_serial_order(sqlite_url: str) -> None:
    reg = calibcert.connect(sqlite_url)
    setup_world(reg, runs=2)
    base, other = _datasets_per_worker(reg, 2)
    reg.certify(CAL, base, Timespan(t(2020), t(2030)))
    results = _run_workers(_decertify_vs_certify_worker,
                           lambda i, b, q: (sqlite_url, i, other, b, q), 2)
    for k in range(ROUNDS):
        by_worker = {i: (o, x) for kk, i, o, x in results if kk == k}
        assert by_worker[0] == ("decertified", BATCH)  # the splits happen in either order
        outcome, conflicting = by_worker[1]
        mine = _batch(other, k)
        for j, (d, rows) in enumerate(sorted(_round_rows(reg, k).items())):
            before, after = (base[d], Timespan(t(2020), t(2022))), (base[d],
                                                                    Timespan(t(2024), t(2030)))
            if outcome == "ok":  # decertify first, then certify into the gap
                assert rows == [before, (mine[j], Timespan(t(2022), t(2024))), after]
            else:  # certify first (conflicts with the whole rows), then decertify
                assert rows == [before, after]
        if outcome == "conflict":
            assert conflicting == _batch(base, k)[:100]
    reg.close()


def _hold_write_lock(url: str, ready: Any, release: Any) -> None:
    reg = calibcert.connect(url)
    try:
        with reg.transaction():
            reg.register_collection("held", CollectionType.RUN)
            ready.set()
            release.wait(60)
    finally:
        reg.close()


def test_busy_timeout_surfaces_as_lock_timeout_error(sqlite_url: str) -> None:
    reg = calibcert.connect(sqlite_url, busy_timeout=0.2)
    setup_world(reg)
    ref = reg.insert_datasets("bias", "run0", [bias(1)])[0]
    ctx = _spawn()
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(sqlite_url, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        before = state(reg)
        with pytest.raises(LockTimeoutError) as info:
            reg.certify(CAL, [ref], Timespan(t(2020), None))
        assert "busy timeout" in info.value.message
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        with pytest.raises(LockTimeoutError):
            with reg.transaction():
                pass
        # Readers never wait for the writer (WAL), and the failed call changed nothing.
        assert state(reg) == before
        assert reg.find(CAL, "bias", bias(1), t(2021)) is None
    finally:
        release.set()
        holder.join(60)
    assert holder.exitcode == 0
    assert reg.certify(CAL, [ref], Timespan(t(2020), None)) == 1
    assert "held" in {c.name for c in reg.list_collections()}
    reg.close()


# -- the same errors as PostgreSQL -----------------------------------------------------------


def _world(reg: Registry) -> tuple[list[Any], list[Any], Any]:
    """A small world with fixed dataset ids, so that messages can be compared verbatim."""
    setup_world(reg, runs=2)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("chain", CollectionType.CHAINED)
    reg.register_dataset_type("raw", ("instrument", "detector", "exposure"),
                              is_calibration=False)
    a = reg.insert_datasets("bias", "run0", [bias(d) for d in (1, 2, 3, 99)],
                            ids=[uuid.UUID(int=i) for i in range(1, 5)])
    b = reg.insert_datasets("bias", "run1", [bias(d) for d in (1, 2)],
                            ids=[uuid.UUID(int=i) for i in range(11, 13)])
    r = reg.insert_datasets("raw", "run0", [{"instrument": "Cam", "detector": 1, "exposure": 5}],
                            ids=[uuid.UUID(int=21)])[0]
    return a, b, r


def _conflicts(reg: Registry) -> None:
    a, b, _ = _world(reg)
    reg.certify(CAL, a[:2], Timespan(t(2020), None))
    reg.certify(CAL, [a[0], a[0], b[0], a[2], a[1]], Timespan(t(2019), t(2021)))


def _close_open_conflicts(reg: Registry) -> None:
    a, b, _ = _world(reg)
    reg.certify(CAL, [a[0]], Timespan(t(2020), None))
    reg.certify(CAL, [a[0]], Timespan(t(2018), t(2019)))
    reg.certify(CAL, [b[0], a[1]], Timespan(t(2019, 6), t(2022)), close_open=True)


def _many_conflicts(reg: Registry) -> None:
    _world(reg)
    refs = reg.insert_datasets("bias", "run1", [{"instrument": "Z", "detector": d}
                                                for d in range(60)],
                               ids=[uuid.UUID(int=100 + i) for i in range(60)])
    reg.certify(CAL, refs, Timespan(None, t(2020)))
    reg.certify(CAL, refs + refs, Timespan(t(2019), t(2021)))


def _series_duplicates(reg: Registry) -> None:
    a, b, _ = _world(reg)
    reg.certify_series(CAL, [(a[0], t(2020)), (a[1], t(2020)), (b[0], t(2020)),
                             (a[1], t(2020)), (b[1], None), (a[1], None)])


def _not_calibration(reg: Registry) -> None:
    a, _, r = _world(reg)
    reg.certify(CAL, [a[0], r], Timespan(t(2020), None))


def _close_range_begins_later(reg: Registry) -> None:
    a, _, _ = _world(reg)
    reg.certify(CAL, [a[0]], Timespan(t(2020), None))
    reg.certify(CAL, [a[1]], Timespan(t(2022), None))
    reg.close_open_range(CAL, "bias", t(2021))


def _ambiguous(reg: Registry) -> None:
    a, b, _ = _world(reg)
    reg.certify(CAL, [a[0]], Timespan(t(2020), t(2021)))
    reg.certify(CAL, [b[0]], Timespan(t(2021), t(2022)))
    reg.set_chain("chain", ["tagged", CAL])
    reg.find_many("chain", "bias", [(bias(1), t(2020, 5)),
                                    (bias(1), Timespan(t(2020, 6), t(2021, 6)))])


def _bad_data_id(reg: Registry) -> None:
    _world(reg)
    reg.decertify(CAL, "bias", Timespan(t(2020), None),
                  [bias(1), {"instrument": "Cäm\n", "detector": 1, "zz": 2, "a": "b"}])


def _cycle(reg: Registry) -> None:
    _world(reg)
    reg.register_collection("chain2", CollectionType.CHAINED)
    reg.set_chain("chain2", ["chain"])
    reg.set_chain("chain", ["run0", "chain2"])


def _definitions(reg: Registry) -> None:
    reg.register_dataset_type("w", ("a b", "NULL", 'q"\\', "x,y", "{"), is_calibration=False)
    reg.register_dataset_type("w", ("a",))


def _tag_clash(reg: Registry) -> None:
    a, b, _ = _world(reg)
    reg.tag("tagged", [a[0]])
    reg.tag("tagged", [a[1], a[0], b[0]])


def _duplicate_in_run(reg: Registry) -> None:
    _world(reg)
    reg.insert_datasets("bias", "run1", [bias(5), bias(2), bias(1)])


def _quoted_names(reg: Registry) -> None:
    _world(reg)
    reg.remove_collection("it's a\\b")


def _results(reg: Registry) -> list[Any]:
    """Not an error: values that depend on interning and search order."""
    a, b, _ = _world(reg)
    refs = reg.insert_datasets("bias", "run1", [{"instrument": i, "detector": d}
                                                for d in (9, 8, 70, 10, 7)
                                                for i in ("Cam", "B", "Zz")],
                               ids=[uuid.UUID(int=300 + i) for i in range(15)])
    reg.certify(CAL, refs, Timespan(t(2020), t(2021)))
    reg.certify(CAL, refs[::2], Timespan(None, t(2020)), close_open=True)
    reg.register_collection("cal2", CollectionType.CALIBRATION)
    reg.certify("cal2", a, Timespan(t(2020), None))
    reg.certify_series("cal2", [(b[0], t(2021)), (b[1], t(2022))], close_open=True)
    reg.tag("tagged", [b[1]])
    reg.set_chain("chain", ["cal2", "tagged", "run0", CAL])
    return [[(c.collection, c.ref, c.timespan) for c in reg.certifications("chain")],
            reg.find_many("chain", "bias", [(bias(d), w) for d in (1, 2, 3, 99, 9)
                                            for w in (None, t(2019, 6), t(2022))]),
            reg.query_datasets("chain", "bias"), reg.decertify(CAL, "bias", Timespan(
                t(2019, 6), t(2020, 6))), reg.certifications(CAL)]


class _Detector(enum.IntEnum):
    ONE = 1


def _find_many_batches(reg: Registry) -> list[Any]:
    """Not an error: find_many in one CALIBRATION collection, where SQLite has a statement
    for batches of instants (data IDs checked and encoded once per distinct one): repeats
    in either key order, values that need escaping, times before 1970 and at both ends of
    datetime, each span's edges, an offset that is not UTC, an int subclass, several RUNs;
    then some of them with a timespan or None among them (the general statement)."""
    a, b, _ = _world(reg)
    # (Strings with control characters and a string detector were here until revision 0010,
    # which refuses them: issue 14.)
    odd_ids = [{"instrument": v, "detector": 7} for v in ('50% "q"', "Cäm\\", "ü\\n\\x01")]
    odd = reg.insert_datasets("bias", "run1", odd_ids,
                              ids=[uuid.UUID(int=400 + i) for i in range(3)])
    reg.certify(CAL, [a[0], odd[0]], Timespan(None, t(1960)))
    reg.certify(CAL, [b[0], a[1], odd[1]], Timespan(t(1960), t(2020)))
    reg.certify(CAL, [a[0], odd[2]], Timespan(t(2020), None))
    data_ids = [bias(1), {"detector": 1, "instrument": "Cam"}, bias(2), bias(3), bias(99),
                bias(9), {"instrument": "Cam", "detector": _Detector.ONE}, *odd_ids]
    times = [datetime.min.replace(tzinfo=UTC), t(1959, 12, 31), t(1960),
             datetime(1960, 1, 1, 5, tzinfo=timezone(timedelta(hours=5))), t(1965),
             t(2019, 12, 31), t(2020), datetime.max.replace(tzinfo=UTC)]
    queries = [(d, w) for w in times for d in data_ids]
    found = reg.find_many(CAL, "bias", queries)
    assert found == [reg.find(CAL, "bias", d, w) for d, w in queries]
    assert found[0] is not None and found[1] is not None
    assert found[0] == found[1] and found[0].data_id is not found[1].data_id
    mixed = [*queries[:20], (bias(1), Timespan(t(1959), t(1959, 6))), (bias(2), None)]
    return [found, reg.find_many(CAL, "bias", mixed)]


def _find_many_bad_data_id(reg: Registry) -> None:
    """The first bad data ID in input order, after repeats of good ones and before a
    repeat of itself."""
    a, _, _ = _world(reg)
    reg.certify(CAL, a, Timespan(t(2020), None))
    reg.find_many(CAL, "bias", [
        (bias(1), t(2020)), ({"detector": 1, "instrument": "Cam"}, t(2021)),
        (bias(2), t(2020)), ({"detector": 2, "instrument": "Cam", "x": 1}, t(2020)),
        ({"detector": 1}, t(2020)), ({"detector": 2, "instrument": "Cam", "x": 1}, t(2021))])


PARITY = [_conflicts, _close_open_conflicts, _many_conflicts, _series_duplicates,
          _not_calibration, _close_range_begins_later, _ambiguous, _bad_data_id, _cycle,
          _definitions, _tag_clash, _duplicate_in_run, _quoted_names, _results,
          _find_many_batches, _find_many_bad_data_id]


def _outcome(reg: Registry, scenario: Callable[[Registry], Any]) -> tuple[Any, ...]:
    try:
        return ("returned", scenario(reg))
    except CalibCertError as err:
        return ("raised", type(err), err.message, err.details)


@pytest.mark.parametrize("scenario", PARITY, ids=lambda f: f.__name__.strip("_"))
def test_outcomes_equal_postgresql(scenario: Callable[[Registry], Any], pg_url: str,
                                   sqlite_url: str) -> None:
    pg, lite = calibcert.connect(pg_url), calibcert.connect(sqlite_url)
    try:
        expected = _outcome(pg, scenario)
        assert _outcome(lite, scenario) == expected
        assert expected[0] == ("returned" if scenario in (_results, _find_many_batches)
                               else "raised")
    finally:
        pg.close()
        lite.close()



# -- random operation sequences, compared with PostgreSQL outcome by outcome -------------------


#: Seeds and steps of the random comparison (more: CALIBCERT_SQLITE_SEEDS=50 ..._STEPS=400).
SEEDS = range(1, 1 + int(os.environ.get("CALIBCERT_SQLITE_SEEDS", "3")))
STEPS = int(os.environ.get("CALIBCERT_SQLITE_STEPS", "150"))


class _Script:
    """A reproducible random sequence of API calls over a tiny world (two RUNs, a TAGGED, two
    CALIBRATION and two CHAINED collections, one calibration and one non-calibration type,
    three detectors, times on a small grid) so that conflicts, chains, ambiguity and every
    error path come up often."""

    GRID = [t(2020, m) for m in (1, 3, 5, 7, 9)]
    COLLECTIONS = ("run0", "run1", "tagged", "cal", "cal2", "chain", "chain2", "new")

    def __init__(self, seed: int) -> None:
        import random

        self.rng = random.Random(seed)
        self.refs: list[Any] = []  # refs as returned by the first backend
        self.next_id = seed * 10_000

    def time(self) -> datetime | None:
        return self.rng.choice([*self.GRID, None])

    def span(self) -> Timespan:
        b, e = self.rng.sample([*self.GRID, None, None], 2)
        if b is not None and e is not None and b >= e:
            b, e = e, b
        return Timespan(b, e) if b != e or b is None else Timespan(b, None)

    def data_id(self, type_: str = "bias") -> dict[str, Any]:
        d = {"instrument": "Cam", "detector": self.rng.choice([1, 2, 3, "x"])}
        if type_ == "raw":
            d["exposure"] = 1
        if self.rng.random() < 0.05:
            d["extra"] = 1  # a bad data ID now and then
        return d

    def some_refs(self) -> list[Any]:
        if not self.refs:
            return []
        return self.rng.sample(self.refs, self.rng.randint(1, min(3, len(self.refs))))

    def coll(self) -> str:
        return self.rng.choice(self.COLLECTIONS)

    def op(self) -> tuple[str, Callable[[Registry], Any]]:
        r = self.rng
        kind = r.choice(["insert", "certify", "certify", "series", "decertify", "close",
                         "find", "find_many", "certs", "tag", "untag", "chain", "copy",
                         "remove", "register", "query", "transaction"])
        c, d = self.coll(), self.coll()
        if kind == "transaction":  # two calls in one transaction: each its own savepoint
            calls = [self.op()[1] for _ in range(2)]
            return kind, lambda reg: _in_transaction(reg, calls)
        if kind == "insert":
            type_ = r.choice(["bias", "bias", "raw"])
            dids = [self.data_id(type_) for _ in range(r.randint(1, 2))]
            ids = [uuid.UUID(int=self.next_id + i) for i in range(len(dids))]
            self.next_id += len(dids)
            return kind, lambda reg: reg.insert_datasets(type_, c, dids, ids=ids)
        if kind == "certify":
            refs, span, co = self.some_refs(), self.span(), r.random() < 0.3
            return kind, lambda reg: reg.certify(c, refs, span, close_open=co)
        if kind == "series":
            items = [(ref, self.time()) for ref in self.some_refs()]
            co = r.random() < 0.3
            return kind, lambda reg: reg.certify_series(c, items, close_open=co)
        if kind == "decertify":
            span = self.span()
            dids = None if r.random() < 0.5 else [self.data_id()]
            return kind, lambda reg: reg.decertify(c, "bias", span, dids)
        if kind == "close":
            end = r.choice(self.GRID)
            dids = None if r.random() < 0.5 else [self.data_id()]
            return kind, lambda reg: reg.close_open_range(c, "bias", end, dids)
        if kind == "find":
            did, at = self.data_id(), r.choice([self.time(), self.span()])
            return kind, lambda reg: reg.find(c, "bias", did, at)
        if kind == "find_many":
            qs = [(self.data_id(), r.choice([self.time(), self.span()])) for _ in range(3)]
            return kind, lambda reg: reg.find_many(c, "bias", qs)
        if kind == "certs":
            return kind, lambda reg: reg.certifications(c)
        if kind in ("tag", "untag"):
            refs = self.some_refs()
            return kind, lambda reg: getattr(reg, kind)(c, refs)
        if kind == "chain":
            children = [self.coll() for _ in range(r.randint(0, 3))]
            return kind, lambda reg: reg.set_chain(c, children)
        if kind == "copy":
            return kind, lambda reg: reg.copy_collection(c, d)
        if kind == "remove":
            return kind, lambda reg: reg.remove_collection(c)
        if kind == "register":
            ctype = r.choice(list(CollectionType))
            return kind, lambda reg: reg.register_collection(c, ctype)
        return kind, lambda reg: reg.query_datasets(c, "bias")


def _in_transaction(reg: Registry, calls: list[Callable[[Registry], Any]]) -> list[Any]:
    with reg.transaction():
        return [_outcome(reg, call) for call in calls]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_equal_postgresql(seed: int, pg_url: str, sqlite_url: str) -> None:
    """Every call returns the same value or raises the same error (class, message and
    details) on both backends; the lists come in the same order."""
    pg, lite = calibcert.connect(pg_url), calibcert.connect(sqlite_url)
    try:
        for reg in (pg, lite):
            setup_world(reg, runs=2)
            reg.register_collection("tagged", CollectionType.TAGGED)
            reg.register_collection("cal2", CollectionType.CALIBRATION)
            reg.register_collection("chain", CollectionType.CHAINED)
            reg.register_collection("chain2", CollectionType.CHAINED)
            reg.register_dataset_type("raw", ("instrument", "detector", "exposure"),
                                      is_calibration=False)
        script = _Script(seed)
        for step in range(STEPS):
            kind, call = script.op()
            expected = _outcome(pg, call)
            assert _outcome(lite, call) == expected, f"step {step}: {kind}"
            if kind == "insert" and expected[0] == "returned":
                script.refs.extend(expected[1])
            if kind == "transaction" and expected[0] == "returned":
                script.refs.extend(ref for out in expected[1] if out[0] == "returned"
                                   and isinstance(out[1], list) for ref in out[1]
                                   if isinstance(ref, DatasetRef))
        assert _outcome(lite, lambda reg: [reg.certifications(c.name)
                                           for c in reg.list_collections()
                                           if c.type != CollectionType.RUN]) == _outcome(
            pg, lambda reg: [reg.certifications(c.name) for c in reg.list_collections()
                             if c.type != CollectionType.RUN])
    finally:
        pg.close()
        lite.close()
