"""Lookups from N client processes: the primary alone vs primary + two hot standbys; and
the cost of a connection with and without PgBouncer (README "Deploying at scale").

    python bench/replicas.py                      # 4 processes x 5 s per setup, ~40 s
    python bench/replicas.py --processes 8 --seconds 10 --json out.json
    python bench/replicas.py --tiny               # a smoke run (~40 s, mostly starting servers)

It starts its own cluster (calibcert.testing_replicas: a primary, two standbys made by
pg_basebackup, PgBouncer in transaction mode, all on 127.0.0.1, the test settings), stores
``--keys`` calibrations, and runs:

* lookups/s: each process opens one registry (``connect(primary)`` or ``connect(primary,
  read_urls=[standby1, standby2])``) and calls ``find`` for a random key for ``--seconds``;
  the figure is the sum over processes of calls / time. Every answer is checked against
  the expected dataset (a wrong answer aborts the run).
* connection cost: ``--connects`` times connect + one find + close, directly to the primary
  and through PgBouncer (``pooled=True``); median and p90 in ms.

On one machine every server shares the same cores, so primary + standbys cannot show more
throughput than the primary alone: the figure shows the routing overhead and that the
answers stay right; the scaling model for separate machines is in the README.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyclient"))

import psycopg  # noqa: E402

import calibcert  # noqa: E402
from calibcert import Timespan  # noqa: E402
from calibcert.testing_replicas import Cluster  # noqa: E402

DB = "calib_bench"
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
AT = datetime(2020, 6, 1, tzinfo=timezone.utc)


def populate(url: str, keys: int) -> dict[int, str]:
    with calibcert.connect(url) as reg:
        reg.register_collection("run", "RUN")
        reg.register_collection("calib", "CALIBRATION")
        reg.register_dataset_type("bias", ["detector"])
        refs = reg.insert_datasets("bias", "run", [{"detector": k} for k in range(keys)])
        reg.certify("calib", refs, Timespan(T0, None))
        return {k: str(r.id) for k, r in enumerate(refs)}


def _client(url: str, read_urls: list[str], expected: dict[int, str], seconds: float,
            seed: int, out: multiprocessing.Queue) -> None:
    rng = random.Random(seed)
    keys = list(expected)
    with calibcert.connect(url, read_urls=read_urls or None) as reg:
        reg.find("calib", "bias", {"detector": keys[0]}, AT)  # connected, warmed
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            k = rng.choice(keys)
            got = reg.find("calib", "bias", {"detector": k}, AT)
            if got is None or str(got.id) != expected[k]:
                out.put(("wrong", k))
                return
            n += 1
        out.put(("ok", n / (time.perf_counter() - start)))


def lookups_per_second(url: str, read_urls: list[str], expected: dict[int, str],
                       processes: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, read_urls, expected, seconds, i, out))
             for i in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    bad = [r for r in results if r[0] != "ok"]
    if bad:
        raise SystemExit(f"wrong answers: {bad}")
    return sum(r[1] for r in results)


def connection_cost(url: str, pooled: bool, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        with calibcert.connect(url, pooled=pooled) as reg:
            reg.find("calib", "bias", {"detector": 0}, AT)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--connects", type=int, default=50)
    ap.add_argument("--tiny", action="store_true", help="2 processes, 0.5 s, 10 connects")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    if args.tiny:
        args.processes, args.seconds, args.keys, args.connects = 2, 0.5, 50, 10
    cluster = Cluster()
    try:
        with psycopg.connect(cluster.primary_url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DB}")
        primary = cluster.primary_url(DB)
        calibcert.upgrade(primary)
        expected = populate(primary, args.keys)
        standbys = [cluster.add_standby(), cluster.add_standby()]
        for s in standbys:
            cluster.wait_replayed(s, DB)
        bouncer = cluster.add_bouncer(DB, pool_size=4)
        print(f"{args.processes} processes x {args.seconds} s, {args.keys} keys, "
              f"nproc {os.cpu_count()}", file=sys.stderr)
        # One process first: the client's own cost per lookup, on an idle cluster: to the
        # primary, to a standby directly (no routing), through the routing layer.
        rows = [
            ("lookups/s, 1 process, primary", lookups_per_second(
                primary, [], expected, 1, args.seconds), "calls/s"),
            ("lookups/s, 1 process, a standby directly", lookups_per_second(
                standbys[0].url(DB), [], expected, 1, args.seconds), "calls/s"),
            ("lookups/s, 1 process, primary + 2 standbys", lookups_per_second(
                primary, [s.url(DB) for s in standbys], expected, 1, args.seconds), "calls/s"),
            (f"lookups/s, {args.processes} processes, primary alone", lookups_per_second(
                primary, [], expected, args.processes, args.seconds), "calls/s"),
            (f"lookups/s, {args.processes} processes, primary + 2 standbys", lookups_per_second(
                primary, [s.url(DB) for s in standbys], expected, args.processes,
                args.seconds), "calls/s"),
        ]
        for label, url, pooled in (("direct", primary, False),
                                   ("through PgBouncer", bouncer.url("primary"), True)):
            med, p90 = connection_cost(url, pooled, args.connects)
            rows.append((f"connect + find + close, {label}, median", med, "ms"))
            rows.append((f"connect + find + close, {label}, p90", p90, "ms"))
    finally:
        cluster.stop()
    print("| measure | value | unit |\n|---|---:|---|")
    for label, value, unit in rows:
        print(f"| {label} | {value:,.1f} | {unit} |")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"processes": args.processes, "seconds": args.seconds, "keys": args.keys,
             "nproc": os.cpu_count(),
             "results": [{"measure": m, "value": v, "unit": u} for m, v, u in rows]},
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
