"""What the ledger (revision 0014, history) costs: the same SQL calls on two databases of one
server, one at revision 0013 (before the ledger) and one at head, interleaved (the order
alternates every repeat), medians. Certify calls of 1 and 200 datasets (each its own
transaction, autocommit) and of 10^5 datasets (one call), a decertify that splits 200
ranges, and point lookups at the current epoch; then, at head, the same lookups as of the
epoch before the last certify. Issue 16 item 10 asks for at most 25% on bulk and 200-row
certify calls and no slower current lookups.

The server runs with PostgreSQL's default durability (fsync and synchronous_commit on), as
users run it; ``--fast`` adds the test suite's settings (fsync off), labelled so.

    python bench/history_cost.py [--bulk 100000] [--calls 200] [--repeats 5] [--fast]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable

import psycopg

import calibcert
from calibcert.testing import server_url, start_server

DURABLE_ARGS = ("-h 127.0.0.1 -c logging_collector=off -c max_connections=50"
                " -c shared_buffers=256MB -c max_locks_per_transaction=256")
FAST_ARGS = DURABLE_ARGS + " -F -c synchronous_commit=off -c full_page_writes=off"
SPAN = "[2020-01-01 00:00+00,)"


class Database:
    """One scratch database at one revision, filled with datasets to certify."""

    def __init__(self, admin_url: str, revision: str, n: int) -> None:
        name = f"hist_{revision}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.url = admin_url.rsplit("/", 1)[0] + "/" + name
        calibcert.upgrade(self.url, revision=revision)
        self.conn = psycopg.connect(self.url, autocommit=True)
        self.conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['d'])")
        self.conn.execute("SELECT calib.register_collection('run', 'RUN')")
        self.ids = [uuid.uuid4() for _ in range(n)]
        with self.conn.transaction():
            self.conn.execute(
                "SELECT count(*) FROM calib.insert_datasets('bias', 'run', %s::jsonb[],"
                " %s::uuid[])",
                ([json.dumps({"d": i}) for i in range(n)], self.ids))
        self.used = 0
        self.serial = 0

    def take(self, k: int) -> list[uuid.UUID]:
        out = self.ids[self.used:self.used + k]
        assert len(out) == k, "not enough datasets: raise --bulk"
        self.used += k
        return out

    def collection(self) -> str:
        self.serial += 1
        name = f"c{self.serial}"
        self.conn.execute("SELECT calib.register_collection(%s, 'CALIBRATION')", (name,))
        return name

    def certify(self, collection: str, ids: list[uuid.UUID]) -> None:
        self.conn.execute("SELECT calib.certify(%s::text, %s::uuid[], %s::tstzrange, false)",
                          (collection, ids, SPAN))


def per_call(fn: Callable[[], None], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(db: Database, bulk: int, calls: int) -> dict[str, float]:
    out: dict[str, float] = {}
    coll = db.collection()
    one = iter(db.take(calls))
    out["certify 1 (per call)"] = per_call(lambda: db.certify(coll, [next(one)]), calls)
    coll = db.collection()
    batches = iter([db.take(200) for _ in range(calls // 10)])
    out["certify 200 (per call)"] = per_call(lambda: db.certify(coll, next(batches)),
                                             calls // 10)
    coll = db.collection()
    lookups = list(range(db.used, db.used + 100))  # data IDs {"d": i} of the bulk certify
    ids = db.take(bulk)
    start = time.perf_counter()
    db.certify(coll, ids)
    out[f"certify {bulk} (one call)"] = time.perf_counter() - start
    split = db.collection()
    db.certify(split, db.take(200))
    start = time.perf_counter()
    db.conn.execute("SELECT calib.decertify(%s, 'bias', '[2021-01-01 00:00+00,2021-02-01 00:00+00)'"
                    "::tstzrange)", (split,))
    out["decertify splitting 200"] = time.perf_counter() - start
    keys = iter(lookups * 10)
    out["find, current (per call)"] = per_call(
        lambda: db.conn.execute(
            "SELECT * FROM calib.find(%s::text, 'bias', %s::jsonb, '2022-01-01 00:00+00'"
            "::timestamptz)", (coll, json.dumps({"d": next(keys)}))).fetchall(),
        len(lookups) * 10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fast", action="store_true", help="fsync off (labelled)")
    args = parser.parse_args()
    server = start_server(postgres_args=FAST_ARGS if args.fast else DURABLE_ARGS)
    try:
        admin = server_url(server)
        need = args.repeats * (args.calls + 20 * args.calls + args.bulk + 200)
        before, after = Database(admin, "0013", need), Database(admin, "head", need)
        results: dict[str, dict[str, list[float]]] = {"0013": {}, "head": {}}
        for repeat in range(args.repeats):
            pair = [("0013", before), ("head", after)]
            for label, db in (pair if repeat % 2 == 0 else pair[::-1]):
                for key, value in measure(db, args.bulk, args.calls).items():
                    results[label].setdefault(key, []).append(value)
        # As of a past epoch at head: the epoch before the last bulk certify.
        past = after.conn.execute("SELECT calib.current_epoch() - 3").fetchone()[0]
        coll = f"c{after.serial - 1}"
        keys = [json.dumps({"d": i}) for i in range(after.used - 200 - args.bulk,
                                                     after.used - 200 - args.bulk + 100)]
        as_of = []
        for _ in range(args.repeats):
            it = iter(keys * 10)
            as_of.append(per_call(lambda: after.conn.execute(
                "SELECT * FROM calib.find(%s::text, 'bias', %s::jsonb, '2022-01-01 00:00+00'"
                "::timestamptz, %s::bigint)", (coll, next(it), past)).fetchall(), 1000))  # noqa: B023
        label = "fsync OFF (test settings)" if args.fast else "default durability"
        print(f"# history cost, {label}; medians of {args.repeats}")
        print("| call | 0013 (no ledger) | head (ledger) | ratio |")
        print("|---|---|---|---|")
        for key in results["0013"]:
            a = statistics.median(results["0013"][key])
            b = statistics.median(results["head"][key])
            unit, scale = ("ms", 1e3) if a < 1 else ("s", 1)
            print(f"| {key} | {a * scale:.3f} {unit} | {b * scale:.3f} {unit} | {b / a:.2f} |")
        past_ms = statistics.median(as_of) * 1e3
        print(f"| find as of a past epoch (head, per call) | | {past_ms:.3f} ms | |")
        before.conn.close()
        after.conn.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
