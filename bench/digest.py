"""Time of collection_digest on a large collection.

    python bench/digest.py [--keys 10000] [--epochs 10] [--repeats 3] [--backends postgresql,sqlite]

Fills one database per backend as bench/health.py does (``keys`` bias datasets in a RUN,
here with fixed ids, each certified ``epochs`` times with certify_series in one CALIBRATION
collection, all tagged, the three in a chain: keys x epochs certifications), then times
``collection_digest()`` of the CALIBRATION collection, the RUN, the TAGGED collection and
the chain through the client (median of the repeats, seconds). On PostgreSQL the digest is
computed inside the database (one statement); on SQLite in Python. Prints one JSON line per
backend, with the digests, and asserts that both backends gave the same ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import calibcert
from calibcert import CollectionType
from health import BASE

COLLECTIONS = ("calib", "run", "tagged", "chain")


def fill(reg, keys: int, epochs: int) -> int:
    """bench/health.py's content, with dataset ids 1, 2, ... so both backends hold the same."""
    reg.register_dataset_type("bias", ("instrument", "detector"))
    for name, kind in (("run", "RUN"), ("calib", "CALIBRATION"), ("tagged", "TAGGED"),
                       ("chain", "CHAINED")):
        reg.register_collection(name, CollectionType(kind))
    reg.set_chain("chain", ["calib", "tagged", "run"])
    refs = reg.insert_datasets("bias", "run",
                               [{"instrument": "Cam", "detector": k} for k in range(keys)],
                               ids=[uuid.UUID(int=k + 1) for k in range(keys)])
    reg.tag("tagged", refs)
    items = [(ref, BASE + timedelta(days=j)) for j in range(epochs) for ref in refs]
    return reg.certify_series("calib", items)


def measure(url: str, keys: int, epochs: int, repeats: int) -> dict[str, object]:
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        out: dict[str, object] = {"certifications": fill(reg, keys, epochs)}
        digests = {}
        for name in COLLECTIONS:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                digests[name] = reg.collection_digest(name)
                times.append(time.perf_counter() - t0)
            out[f"{name}_s"] = round(statistics.median(times), 3)
        out["digests"] = digests
    return out


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keys", type=int, default=10_000)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--backends", default="postgresql,sqlite")
    args = p.parse_args(argv)
    seen: dict[str, str] = {}
    for backend in args.backends.split(","):
        if backend == "postgresql":
            import psycopg

            from calibcert.testing import server_url, start_server

            server = start_server()
            try:
                with psycopg.connect(server_url(server), autocommit=True) as conn:
                    conn.execute("CREATE DATABASE bench_digest")
                result = measure(server_url(server, "bench_digest"), args.keys, args.epochs,
                                 args.repeats)
            finally:
                server.stop()
        else:
            with tempfile.TemporaryDirectory() as tmp:
                result = measure(f"sqlite:///{Path(tmp) / 'digest.db'}", args.keys,
                                 args.epochs, args.repeats)
        print(json.dumps({"backend": backend, **result}), flush=True)
        seen = seen or result["digests"]
        assert result["digests"] == seen, "the backends disagree"
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
