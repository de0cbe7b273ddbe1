"""Time of the integrity check and of the collection statistics on a large database.

    python bench/health.py [--keys 10000] [--epochs 10] [--repeats 3] [--backends postgresql,sqlite]

Fills one database per backend (PostgreSQL: its own server, calibcert.testing.start_server,
the test settings; SQLite: a temporary file) with ``keys`` bias datasets in a RUN, each
certified ``epochs`` times in one CALIBRATION collection with certify_series (one day
each, the last open-ended: keys x epochs certifications), the RUN and the CALIBRATION
collection in a chain, every dataset tagged, and two decertifies that split and shorten
every key's first day (history: closed versions for the history checks); then times
``check_integrity()`` and ``collection_stats()`` through the client (median of the repeats,
seconds) and asserts the check finds nothing. Prints one JSON line per backend.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import calibcert
from calibcert import CollectionType

BASE = datetime(2020, 1, 1, tzinfo=timezone.utc)


def fill(reg, keys: int, epochs: int) -> int:
    reg.register_dataset_type("bias", ("instrument", "detector"))
    reg.register_collection("run", CollectionType.RUN)
    reg.register_collection("calib", CollectionType.CALIBRATION)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("chain", CollectionType.CHAINED)
    reg.set_chain("chain", ["calib", "tagged", "run"])
    refs = reg.insert_datasets("bias", "run",
                               [{"instrument": "Cam", "detector": k} for k in range(keys)])
    reg.tag("tagged", refs)
    items = [(ref, BASE + timedelta(days=j)) for j in range(epochs) for ref in refs]
    stored = reg.certify_series("calib", items)
    # History for the history checks: one decertify that splits every key's first day,
    # one that removes the afternoon piece it left: each key keeps `epochs` certifications
    # and gains closed versions.
    noon = BASE + timedelta(hours=12)
    reg.decertify("calib", "bias", calibcert.Timespan(BASE + timedelta(hours=6), noon))
    reg.decertify("calib", "bias", calibcert.Timespan(noon, BASE + timedelta(days=1)))
    return stored


def measure(url: str, keys: int, epochs: int, repeats: int) -> dict[str, object]:
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        stored = fill(reg, keys, epochs)
        out: dict[str, object] = {"certifications": stored}
        for name in ("check_integrity", "collection_stats"):
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = getattr(reg, name)()
                times.append(time.perf_counter() - t0)
            if name == "check_integrity":
                assert result == [], result
            out[f"{name}_s"] = round(statistics.median(times), 3)
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=10_000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--backends", default="postgresql,sqlite")
    args = p.parse_args(argv)
    for backend in args.backends.split(","):
        if backend == "postgresql":
            import psycopg

            from calibcert.testing import server_url, start_server

            server = start_server()
            try:
                with psycopg.connect(server_url(server), autocommit=True) as conn:
                    conn.execute("CREATE DATABASE bench_health")
                result = measure(server_url(server, "bench_health"), args.keys, args.epochs,
                                 args.repeats)
            finally:
                server.stop()
        else:
            with tempfile.TemporaryDirectory() as tmp:
                result = measure(f"sqlite:///{Path(tmp) / 'health.db'}", args.keys,
                                 args.epochs, args.repeats)
        print(json.dumps({"backend": backend, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
