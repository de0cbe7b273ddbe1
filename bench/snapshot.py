"""What a snapshot costs (README "Snapshots", revision 0014, issue 16 item 6).

1. Creation, flat in the size of the source: ``calib.snapshot_collection`` of a CALIBRATION
   collection holding 10^4 and then 10^6 certifications (each call its own transaction,
   autocommit, into a new name; and the call alone in a transaction rolled back, without
   the commit's WAL flush; medians of ``--calls``). Nothing is copied, so both sizes must
   take the same time.
2. The lookup rule's fast path for collections without snapshots: ``calib.find`` through a
   chain of 3 members (two CALIBRATION collections that do not hold the data ID, then the
   one that does: every member is probed), with ``calib.probe`` as it is (with the snapshot
   branch) and as it was before it (the same body without that branch, put back with
   CREATE OR REPLACE on a second database), interleaved, medians.
3. For reference: ``find`` on a snapshot (an as-of read) and on its source.

The server runs with PostgreSQL's default durability (fsync and synchronous_commit on), as
users run it. Filling 10^6 certifications is done with fsync off (``ALTER SYSTEM SET fsync
= off`` and ``synchronous_commit = off`` for the filling session, then both back and a
CHECKPOINT before anything is measured), labelled in the output; ``--fast`` keeps fsync off
throughout (the test suite's settings), labelled so.

    python bench/snapshot.py [--sizes 10000,1000000] [--calls 50] [--lookups 2000]
                             [--repeats 5] [--fast]

``--backend sqlite`` measures 1. and 3. on a SQLite file (revision 0015) with the client's
default durability (WAL, synchronous=NORMAL), through the Python API: each
``snapshot_collection`` its own transaction, and the call alone in a ``transaction()``
rolled back; the fill uses the API's bulk insert_datasets and certify. (2. is
PostgreSQL's: on SQLite a snapshot member costs a lookup nothing until it is met, since the
plan is cached per connection.)

    python bench/snapshot.py --backend sqlite [--sizes 10000,1000000] [--calls 50]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import psycopg

import calibcert
from calibcert.testing import server_url, start_server

DURABLE_ARGS = ("-h 127.0.0.1 -c logging_collector=off -c max_connections=50"
                " -c shared_buffers=256MB -c max_locks_per_transaction=256")
FAST_ARGS = DURABLE_ARGS + " -F -c synchronous_commit=off -c full_page_writes=off"
CHUNK = 100_000
AT = "2022-01-01 00:00+00"


def scratch(admin_url: str, label: str) -> psycopg.Connection:
    name = f"snap_{label}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    calibcert.upgrade(url)
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['d'])")
    conn.execute("SELECT calib.register_collection('run', 'RUN')")
    return conn


def fill(conn: psycopg.Connection, collection: str, first: int, n: int) -> None:
    """Datasets {"d": first .. first+n-1} in 'run', certified into ``collection`` (chunks)."""
    conn.execute("SELECT calib.register_collection(%s, 'CALIBRATION')", (collection,))
    for start in range(first, first + n, CHUNK):
        size = min(CHUNK, first + n - start)
        ids = [uuid.uuid4() for _ in range(size)]
        with conn.transaction():
            conn.execute("SELECT count(*) FROM calib.insert_datasets('bias', 'run',"
                         " %s::jsonb[], %s::uuid[])",
                         ([json.dumps({"d": i}) for i in range(start, start + size)], ids))
            conn.execute("SELECT calib.certify(%s::text, %s::uuid[],"
                         " '[2020-01-01 00:00+00,)'::tstzrange, false)", (collection, ids))


def unsafe(conn: psycopg.Connection, on: bool) -> None:
    """fsync off for a fill (server-wide, reloaded), back on afterwards with a CHECKPOINT."""
    if on:
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("SET synchronous_commit = off")
    else:
        conn.execute("ALTER SYSTEM RESET fsync")
        conn.execute("RESET synchronous_commit")
    conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    if not on:
        conn.execute("CHECKPOINT")


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def creation(conn: psycopg.Connection, source: str, calls: int) -> tuple[float, float]:
    """Medians: (a committed call, autocommit: what a user waits for, mostly the commit's
    WAL flush; the call alone, in a transaction rolled back: the function's own work)."""
    committed, alone = [], []
    for _ in range(calls):
        name = f"snap-{uuid.uuid4().hex[:10]}"
        start = time.perf_counter()
        conn.execute("SELECT calib.snapshot_collection(%s, %s)", (source, name))
        committed.append(time.perf_counter() - start)
        conn.execute("BEGIN")
        start = time.perf_counter()
        conn.execute("SELECT calib.snapshot_collection(%s, %s)", (source, name + "-rb"))
        alone.append(time.perf_counter() - start)
        conn.execute("ROLLBACK")
    return statistics.median(committed), statistics.median(alone)


def find(conn: psycopg.Connection, collection: str, keys: list[int]) -> float:
    it = iter(keys)
    return per_call(lambda: conn.execute(
        "SELECT * FROM calib.find(%s::text, 'bias', %s::jsonb, %s::timestamptz)",
        (collection, json.dumps({"d": next(it)}), AT)).fetchall(), len(keys))


def probe_without_snapshots(conn: psycopg.Connection) -> None:
    """Put back calib.probe as it was before snapshots: its body without the snapshot branch
    (the UNION ALL that calls calib._snapshot_ids)."""
    (definition,) = conn.execute(
        "SELECT pg_get_functiondef('calib.probe(integer, integer, tstzrange)'::regprocedure)"
    ).fetchone()
    old, n = re.subn(r"\s*UNION ALL\s*SELECT pg_catalog\.unnest.*?(?=\s*LIMIT 2\))", "",
                     definition,
                     flags=re.S)
    assert n == 1 and "calib._snapshot_ids(m." not in old, "the snapshot branch was not found"
    conn.execute(old)


class _Rollback(Exception):
    """Leaves a transaction() block, undoing it."""


def main_sqlite(args: argparse.Namespace) -> None:
    """1. and 3. on a SQLite file (see the module docstring)."""
    import tempfile
    from pathlib import Path

    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'snap.db'}"
        calibcert.upgrade(url)
        reg = calibcert.connect(url)
        reg.register_dataset_type("bias", ["d"])
        reg.register_collection("run", "RUN")
        created: dict[int, tuple[float, float]] = {}
        filled = 0
        for size in sizes:
            start = time.perf_counter()
            source = f"X{size}"
            reg.register_collection(source, "CALIBRATION")
            for first in range(filled, filled + size, CHUNK):
                n = min(CHUNK, filled + size - first)
                refs = reg.insert_datasets("bias", "run", [{"d": i} for i in range(first,
                                                                                 first + n)])
                reg.certify(source, refs, calibcert.Timespan(
                    datetime(2020, 1, 1, tzinfo=timezone.utc), None))
            filled += size
            print(f"# filled {size} certifications in {time.perf_counter() - start:.1f} s")
            committed, alone = [], []
            for _ in range(args.calls):
                name = f"snap-{uuid.uuid4().hex[:10]}"
                start = time.perf_counter()
                reg.snapshot_collection(source, name)
                committed.append(time.perf_counter() - start)
                try:
                    with reg.transaction():
                        start = time.perf_counter()
                        reg.snapshot_collection(source, name + "-rb")
                        alone.append(time.perf_counter() - start)
                        raise _Rollback
                except _Rollback:
                    pass
            created[size] = statistics.median(committed), statistics.median(alone)
        direct = through = 0.0
        if sizes:
            big = f"X{sizes[-1]}"
            reg.snapshot_collection(big, "S")
            at = datetime(2022, 1, 1, tzinfo=timezone.utc)  # AT
            keys = [filled - sizes[-1] + (i * 7919) % sizes[-1] for i in range(args.lookups)]

            def finds(collection: str) -> float:
                it = iter(keys)
                return per_call(lambda: reg.find(collection, "bias", {"d": next(it)}, at),
                                len(keys))

            direct = statistics.median(finds(big) for _ in range(args.repeats))
            through = statistics.median(finds("S") for _ in range(args.repeats))
        reg.close()
    print("# snapshots on SQLite, default durability (WAL, synchronous=NORMAL); medians")
    print("| certifications in the source | snapshot_collection, committed"
          " | the call alone (rolled back) |")
    print("|---|---|---|")
    for size, (committed_s, alone_s) in created.items():
        print(f"| {size:,} | {committed_s * 1e3:.2f} ms | {alone_s * 1e3:.2f} ms |")
    if sizes:
        print()
        print(f"| find, {sizes[-1]:,} certifications (per call) | |")
        print("|---|---|")
        print(f"| the source | {direct * 1e6:.0f} us |")
        print(f"| its snapshot (the as-of rule) | {through * 1e6:.0f} us |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fast", action="store_true", help="fsync off throughout (labelled)")
    args = parser.parse_args()
    if args.backend == "sqlite":
        main_sqlite(args)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]  # "": only the chain comparison
    server = start_server(postgres_args=FAST_ARGS if args.fast else DURABLE_ARGS)
    label = "fsync OFF throughout (test settings)" if args.fast else "default durability"
    try:
        admin = server_url(server)
        # 1. creation at each size, in one database (the source grows between sizes).
        conn = scratch(admin, "create")
        created: dict[int, tuple[float, float]] = {}
        filled = 0
        for size in sizes:
            if not args.fast:
                unsafe(conn, True)
            start = time.perf_counter()
            fill(conn, f"X{size}", filled, size)
            fill_s = time.perf_counter() - start
            filled += size
            if not args.fast:
                unsafe(conn, False)
            conn.execute("ANALYZE")
            created[size] = creation(conn, f"X{size}", args.calls)
            print(f"# filled {size} certifications in {fill_s:.1f} s"
                  f"{'' if args.fast else ' (fsync off for the fill only)'}")
        # 3. find on a snapshot of the largest source against find on the source.
        direct = through = 0.0
        if sizes:
            big = f"X{sizes[-1]}"
            conn.execute("SELECT calib.snapshot_collection(%s, 'S')", (big,))
            keys = [filled - sizes[-1] + (i * 7919) % sizes[-1] for i in range(args.lookups)]
            direct = statistics.median(find(conn, big, keys) for _ in range(args.repeats))
            through = statistics.median(find(conn, "S", keys) for _ in range(args.repeats))

        # 2. a chain of 3 members without snapshots: probe with and without the branch.
        dbs = {}
        for name in ("with the snapshot branch", "before snapshots"):
            db = scratch(admin, "chain")
            fill(db, "A", 0, 10)
            fill(db, "B", 10, 10)
            fill(db, "C", 20, 1000)
            db.execute("SELECT calib.register_collection('chain', 'CHAINED')")
            db.execute("SELECT calib.set_chain('chain', ARRAY['A', 'B', 'C'])")
            db.execute("ANALYZE")
            dbs[name] = db
        probe_without_snapshots(dbs["before snapshots"])
        chain_keys = [20 + (i * 31) % 1000 for i in range(args.lookups)]
        chain: dict[str, list[float]] = {name: [] for name in dbs}
        for repeat in range(args.repeats):
            order = list(dbs.items())
            for name, db in (order if repeat % 2 == 0 else order[::-1]):
                chain[name].append(find(db, "chain", chain_keys))

        print(f"# snapshots, {label}; medians")
        print("| certifications in the source | snapshot_collection, committed (autocommit)"
              " | the call alone (rolled back) |")
        print("|---|---|---|")
        for size, (committed, alone) in created.items():
            print(f"| {size:,} | {committed * 1e3:.2f} ms | {alone * 1e3:.2f} ms |")
        print()
        print("| find through a chain of 3 members (per call) | median of "
              f"{args.repeats} x {args.lookups} |")
        print("|---|---|")
        for name, values in chain.items():
            print(f"| calib.probe {name} | {statistics.median(values) * 1e6:.0f} us |")
        if sizes:
            print()
            print(f"| find, {sizes[-1]:,} certifications (per call) | |")
            print("|---|---|")
            print(f"| the source | {direct * 1e6:.0f} us |")
            print(f"| its snapshot (the as-of rule) | {through * 1e6:.0f} us |")
        conn.close()
        for db in dbs.values():
            db.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
