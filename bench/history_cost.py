"""What history (revision 0014) costs a certify: the same calls with the version triggers
enabled and disabled (ALTER TABLE ... DISABLE TRIGGER, as the owner, on a scratch
database), back to back, alternating which goes first. Rough: medians of a few repeats on
whatever else the machine runs; see bench/README.md "History".

    python bench/history_cost.py [--url postgresql://owner@host:port/postgres] [--bulk 100000]
        [--one 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import datetime, timezone

import psycopg

import calibcert
from calibcert import CollectionType, Timespan

TABLES = ("certification", "collection", "collection_chain", "tag", "dataset")


def _triggers(admin: psycopg.Connection, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for table in TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            admin.execute(f"ALTER TABLE calib.{table} {verb} TRIGGER {table}_versions_{event}")


def _measure(url: str, bulk: int, one: int) -> tuple[float, float]:
    """Seconds for one certify of ``bulk`` datasets, and per call for ``one`` single-dataset
    certify calls (autocommit), each into a new collection."""
    tag = uuid.uuid4().hex[:8]
    span = Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc), None)
    with calibcert.connect(url) as reg:
        run = f"run-{tag}"
        reg.register_collection(run, CollectionType.RUN)
        refs = reg.insert_datasets("bias", run, [{"d": i} for i in range(bulk)])
        reg.register_collection(f"bulk-{tag}", CollectionType.CALIBRATION)
        reg.register_collection(f"one-{tag}", CollectionType.CALIBRATION)
        start = time.perf_counter()
        reg.certify(f"bulk-{tag}", refs, span)
        bulk_s = time.perf_counter() - start
        start = time.perf_counter()
        for ref in refs[:one]:
            reg.certify(f"one-{tag}", [ref], span)
        one_s = (time.perf_counter() - start) / one
    return bulk_s, one_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url")
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--one", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    server = None
    admin_url = args.url
    if admin_url is None:
        from calibcert.testing import server_url, start_server

        server = start_server()
        admin_url = server_url(server)
    name = f"history_cost_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        calibcert.upgrade(url)
        with calibcert.connect(url) as reg:
            reg.register_dataset_type("bias", ("d",))
        results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        with psycopg.connect(url, autocommit=True) as admin:
            for repeat in range(args.repeats):
                for enabled in ((True, False) if repeat % 2 == 0 else (False, True)):
                    _triggers(admin, enabled)
                    results[enabled].append(_measure(url, args.bulk, args.one))
            _triggers(admin, True)
        print("| certify | without history | with history | ratio |\n|---|---|---|---|")
        for i, label, unit, scale in ((0, f"{args.bulk} datasets, one call", "s", 1),
                                      (1, "1 dataset per call", "us", 1e6)):
            off = statistics.median(r[i] for r in results[False]) * scale
            on = statistics.median(r[i] for r in results[True]) * scale
            print(f"| {label} | {off:.3g} {unit} | {on:.3g} {unit} | {on / off:.2f} |")
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
