"""Lock stress: racing writers, counted outcomes, two assertions (not a timed test).

    python bench/stress_locks.py [--seconds 60] [--processes 8] [--url postgresql://...]

Starts a throw-away PostgreSQL (calibcert.testing.start_server, like the tests and
bench/run.py) unless ``--url`` names an empty database, installs calibcert, then runs
``--processes`` processes for ``--seconds`` seconds. Each one loops over a random mix of

* single calls on one collection: ``certify`` (with and without ``close_open``),
  ``decertify``, ``tag``;
* single calls on several collections: ``set_chain`` (the chain lock, then the chain's
  row), ``copy_collection`` of a chain, ``remove_collection`` of a copy;
* multi-collection transactions with retries, ``for attempt in
  reg.transaction(retries=5)``: certify into two CALIBRATION collections in a random order
  (the pattern that deadlocks), or certify and then change a chain (which can make a
  single ``set_chain`` / ``remove_collection`` the deadlock victim).

It prints counts per (operation, outcome) and the retries the client made, the server's
deadlock count, and then asserts (exit 1 otherwise) that no single call failed with a
deadlock (TransactionConflictError) and that no two certifications of one key overlap
in any collection. bench/README.md records a run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pyclient"))

import psycopg  # noqa: E402

import calibcert  # noqa: E402
import calibcert.retry as retry  # noqa: E402
from calibcert import CollectionType, Timespan  # noqa: E402
from calibcert.errors import CalibCertError, TransactionConflictError  # noqa: E402

TYPE = "bias"
CALIBS = [f"calib/{c}" for c in "ABCD"]
TAGGED = "tagged"
CHAINS = ["chain/1", "chain/2"]
DATASETS_PER_RUN = 40
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)

#: Overlapping certifications of one key in one collection (must be none).
OVERLAPS = """
SELECT count(*) FROM calib.certification AS a JOIN calib.certification AS b
  ON a.collection_id = b.collection_id AND a.dataset_type_id = b.dataset_type_id
 AND a.data_id_key = b.data_id_key AND a.ctid < b.ctid AND a.validity && b.validity
"""


def setup(url: str, processes: int) -> None:
    with calibcert.connect(url) as reg:
        reg.register_dataset_type(TYPE, ("instrument", "detector"))
        for p in range(processes):
            reg.register_collection(f"run/{p}", CollectionType.RUN)
            reg.insert_datasets(TYPE, f"run/{p}", [{"instrument": "Cam", "detector": d}
                                                   for d in range(DATASETS_PER_RUN)])
        for c in CALIBS:
            reg.register_collection(c, CollectionType.CALIBRATION)
        reg.register_collection(TAGGED, CollectionType.TAGGED)
        for c in CHAINS:
            reg.register_collection(c, CollectionType.CHAINED)


def span(rng: random.Random) -> Timespan:
    begin = EPOCH + timedelta(days=rng.randrange(0, 400))
    if rng.random() < 0.3:
        return Timespan(begin, None)
    return Timespan(begin, begin + timedelta(days=rng.randrange(1, 60)))


def worker(url: str, index: int, seconds: float, lock_timeout: str, out: mp.Queue) -> None:
    rng = random.Random(index)
    counts: Counter[tuple[str, str]] = Counter()
    retries: Counter[str] = Counter()
    current = ["?"]
    real_backoff = retry.backoff

    def counting_backoff(n: int, rng_: object = random.random) -> float:
        retries[current[0]] += 1
        return real_backoff(n)

    retry.backoff = counting_backoff  # count the client's retries, per operation
    reg = calibcert.connect(url)
    reg.connection.execute(f"SET calib.lock_timeout = '{lock_timeout}'")
    refs = reg.query_datasets(f"run/{index}", TYPE)
    copies = 0

    def some(k: int) -> list:
        return rng.sample(refs, k)

    def certify_two() -> None:
        a, b = rng.sample(CALIBS, 2)
        for attempt in reg.transaction(retries=5):
            with attempt:
                reg.certify(a, some(2), span(rng))
                reg.certify(b, some(2), span(rng))

    def certify_then_chain() -> None:
        c = rng.choice(CALIBS)
        for attempt in reg.transaction(retries=5):
            with attempt:
                reg.certify(c, some(1), span(rng))
                reg.set_chain(rng.choice(CHAINS), rng.sample(CALIBS, 2))

    def copy_and_remove() -> None:
        nonlocal copies
        copies += 1
        name = f"copy/{index}/{copies}"
        current[0] = "single: copy_collection (chain)"
        reg.copy_collection(rng.choice(CHAINS), name)
        current[0] = "single: remove_collection"
        reg.remove_collection(name)

    ops = [
        ("single: certify", 6, lambda: reg.certify(rng.choice(CALIBS), some(1), span(rng))),
        ("single: certify close_open", 2, lambda: reg.certify(
            rng.choice(CALIBS), some(1), Timespan(span(rng).begin, None), close_open=True)),
        ("single: decertify", 2, lambda: reg.decertify(rng.choice(CALIBS), TYPE, span(rng))),
        ("single: tag", 1, lambda: reg.tag(TAGGED, some(2))),
        ("single: set_chain", 2, lambda: reg.set_chain(rng.choice(CHAINS),
                                                       rng.sample(CALIBS, 2))),
        ("single: copy_collection + remove_collection", 1, copy_and_remove),
        ("transaction: certify into two collections", 4, certify_two),
        ("transaction: certify, then set_chain", 2, certify_then_chain),
    ]
    names = [o[0] for o in ops]
    weights = [o[1] for o in ops]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        i = rng.choices(range(len(ops)), weights)[0]
        name, _, fn = ops[i]
        current[0] = name
        try:
            fn()
            outcome = "ok"
        except CalibCertError as exc:
            outcome = type(exc).__name__
            if isinstance(exc, TransactionConflictError):
                outcome += f" ({getattr(exc.__cause__, 'sqlstate', '?')})"
            name = current[0] if name.startswith("single: copy") else name
        counts[(name, outcome)] += 1
    reg.close()
    out.put((dict(counts), dict(retries), names))


def run(url: str, processes: int, seconds: float, lock_timeout: str) -> int:
    setup(url, processes)
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, i, seconds, lock_timeout, out))
             for i in range(processes)]
    with psycopg.connect(url, autocommit=True) as conn:
        deadlocks_before = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]
    for p in procs:
        p.start()
    counts: Counter[tuple[str, str]] = Counter()
    retries: Counter[str] = Counter()
    for _ in procs:
        c, r, _names = out.get(timeout=seconds + 600)
        counts.update(c)
        retries.update(r)
    for p in procs:
        p.join()
    time.sleep(1.0)  # the statistics collector reports deadlocks with a short delay
    with psycopg.connect(url, autocommit=True) as conn:
        deadlocks = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0] - deadlocks_before
        overlaps = conn.execute(OVERLAPS).fetchone()[0]
        stored = conn.execute("SELECT count(*) FROM calib.certification").fetchone()[0]

    print(f"{processes} processes, {seconds:g} s, calib.lock_timeout = {lock_timeout}")
    print("| operation | outcome | count |")
    print("|---|---|---:|")
    for (name, outcome), n in sorted(counts.items()):
        print(f"| {name} | {outcome} | {n} |")
    print()
    print("| operation | client retries (deadlock / serialization victims run again) |")
    print("|---|---:|")
    for name, n in sorted(retries.items()):
        print(f"| {name} | {n} |")
    print()
    print(f"deadlocks detected by the server: {deadlocks}")
    print(f"certifications stored: {stored}; overlapping pairs: {overlaps}")
    single_deadlocks = sum(n for (name, outcome), n in counts.items()
                           if name.startswith("single") and "TransactionConflict" in outcome)
    print(f"single calls failed with a deadlock: {single_deadlocks}")
    failed = []
    if single_deadlocks:
        failed.append(f"{single_deadlocks} single calls failed with a deadlock")
    if overlaps:
        failed.append(f"{overlaps} overlapping certifications")
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print("OK: no single call failed with a deadlock, nothing overlaps")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--processes", type=int, default=8)
    ap.add_argument("--lock-timeout", default="10s", help="calib.lock_timeout of each writer")
    ap.add_argument("--url", help="an empty PostgreSQL database to use (default: a "
                                  "throw-away server started here)")
    args = ap.parse_args(argv)
    if args.url:
        calibcert.upgrade(args.url)
        return run(args.url, args.processes, args.seconds, args.lock_timeout)
    from calibcert.testing import server_url, start_server

    server = start_server()
    try:
        url = server_url(server, "stress")
        with psycopg.connect(server_url(server, "postgres"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "stress"')
        calibcert.upgrade(url)
        return run(url, args.processes, args.seconds, args.lock_timeout)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
