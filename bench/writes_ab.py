"""PostgreSQL writes, before against after, interleaved on one server (revision 0016).

    python bench/writes_ab.py [--ref main] [--durability default|off] [--rounds 5]
                              [--batches 1,10,200,2000] [--calls 40]
                              [--ops decertify,close_open_range,copy_collection]
                              [--old-sql ablation.sql]

Two databases on one throw-away server, both upgraded to head; in ``old`` the functions of
FILES are put back as they are at git ``--ref`` (CREATE OR REPLACE as the superuser keeps
their owner). Each round times, for every operation and batch size, ``calls`` calls on
``old``, on ``new`` and on the floor (bench/floor.py, in ``new``'s database), in an order
rotated every round: the machine is shared, so only figures of the same round compare. The
setup of each call (collections, the certifications to cut, close or copy) is untimed, as
in bench/batches.py. Prints the medians over the rounds: rows/s of each, ours/floor for old
and new, new/old of the medians, and the median (range) of the rounds' own new/old.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

import calibcert
from calibcert import CollectionType, Timespan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import PgFloor  # noqa: E402
from run import DURABLE_ARGS  # noqa: E402
from workload import DATASET_TYPE, DIMENSIONS, TYPE_ID, data_id, epoch, floor_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: The definitions revision 0016's pg-writes block changes (put back from --ref in ``old``).
FILES = ("sql/functions/decertify.sql", "sql/functions/close_open_range.sql",
         "sql/functions/copy_collection.sql", "sql/functions/_certification_statement.sql",
         "sql/functions/_change.sql", "sql/functions/_operation.sql",
         "sql/functions/_record_versions.sql", "sql/functions/_stamp_row.sql",
         "sql/functions/_search_path_trigger.sql", "sql/functions/_lock_collections.sql",
         "sql/functions/_collection.sql", "sql/functions/_check_change.sql",
         "sql/functions/_current_operation.sql", "sql/functions/_caller.sql",
         "sql/functions/_data_id_keys.sql", "sql/functions/_forbidden_character.sql",
         "sql/schema/history_triggers.sql")


class Side:
    """One database: a registry and the datasets its calls certify."""

    def __init__(self, url: str, n: int) -> None:
        self.reg = calibcert.connect(url)
        self.reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
        self.reg.register_collection("run/1", CollectionType.RUN)
        self.refs = self.reg.insert_datasets(DATASET_TYPE, "run/1",
                                             [data_id(k) for k in range(n)])
        self.serial = 0

    def name(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}/{self.serial}"

    def calib(self, prefix: str) -> str:
        name = self.name(prefix)
        self.reg.register_collection(name, CollectionType.CALIBRATION)
        return name


def setups(op: str, b: int, side: Side | None, floor: PgFloor, fcoll: list[int],
           ids: list[Any]) -> Callable[[], None]:
    """One call's untimed setup; returns the timed call (side None: the floor)."""
    long, cut = Timespan(epoch(0), epoch(4)), Timespan(epoch(1), epoch(2))
    if side is None:
        fcoll[0] += 1
        fc = fcoll[0]
        if op == "decertify":
            floor.bulk(fc, TYPE_ID, [floor_key(k) for k in range(b)], ids[:b], long.begin,
                       long.end)
            return lambda: floor.decertify(fc, TYPE_ID, cut.begin, cut.end)
        if op == "close_open_range":
            floor.bulk(fc, TYPE_ID, [floor_key(k) for k in range(b)], ids[:b], epoch(0), None)
            return lambda: floor.close_open(fc, TYPE_ID, epoch(1))
        fcoll[0] += 1
        src, dst = fc, fcoll[0]
        floor.bulk(src, TYPE_ID, [floor_key(k) for k in range(b)], ids[:b], epoch(0), epoch(1))
        return lambda: floor.copy(src, dst)
    reg = side.reg
    if op == "decertify":
        c = side.calib("decertify")
        reg.certify(c, side.refs[:b], long)
        return lambda: reg.decertify(c, DATASET_TYPE, cut)
    if op == "close_open_range":
        c = side.calib("close")
        reg.certify(c, side.refs[:b], Timespan(epoch(0), None))
        return lambda: reg.close_open_range(c, DATASET_TYPE, epoch(1))
    src = side.calib("copy-source")
    reg.certify(src, side.refs[:b], Timespan(epoch(0), epoch(1)))
    dst = side.name("copy")
    return lambda: reg.copy_collection(src, dst)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="main")
    ap.add_argument("--durability", default="default", choices=("default", "off"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batches", default="1,10,200,2000")
    ap.add_argument("--calls", type=int, default=40, help="calls per batch size of <= 10 rows")
    ap.add_argument("--rows", type=int, default=4000, help="rows per round per batch size")
    ap.add_argument("--ops", default="decertify,close_open_range,copy_collection")
    ap.add_argument("--old-sql", help="an SQL file run in old after --ref's definitions (an"
                    " ablation: --ref HEAD --old-sql drop_something.sql)")
    args = ap.parse_args(argv)
    from calibcert.testing import SERVER_ARGS, server_url, start_server

    batches = [int(x) for x in args.batches.split(",")]
    ops = args.ops.split(",")
    server = start_server(postgres_args=DURABLE_ARGS if args.durability == "default"
                          else SERVER_ARGS)
    try:
        admin = server_url(server, "postgres")
        urls = {}
        for db in ("ab_old", "ab_new"):
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {db}")
            urls[db] = server_url(server, db)
            calibcert.upgrade(urls[db])
        with psycopg.connect(urls["ab_old"], autocommit=True) as conn:
            for f in FILES:
                sql = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.ref}:{f}"],
                                     check=True, capture_output=True, text=True).stdout
                conn.execute(sql)
            if args.old_sql:
                conn.execute(Path(args.old_sql).read_text())
        n = max(batches)
        sides = {"old": Side(urls["ab_old"], n), "new": Side(urls["ab_new"], n)}
        floor = PgFloor(urls["ab_new"])
        ids = [r.id for r in sides["new"].refs]
        fcoll = [100]
        got: dict[tuple[str, int, str], list[float]] = {}
        for r in range(args.rounds):
            for op in ops:
                for b in batches:
                    calls = max(1, min(args.calls, args.rows // b))
                    order = ["old", "new", "floor"]
                    order = order[r % 3:] + order[:r % 3]
                    for who in order:
                        calls_ = [setups(op, b, sides.get(who), floor, fcoll, ids)
                                  for _ in range(calls)]
                        t0 = time.perf_counter()
                        for c in calls_:
                            c()
                        dt = time.perf_counter() - t0
                        got.setdefault((op, b, who), []).append(calls * b / dt)
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        print(f"durability {args.durability}, {args.rounds} rounds, old = {args.ref}")
        print("| operation | rows/call | old rows/s | new rows/s | floor rows/s "
              "| old/floor | new/floor | new/old | new/old per round |")
        print("|---|---|---|---|---|---|---|---|---|")
        for op in ops:
            for b in batches:
                o, w, f = (statistics.median(got[(op, b, k)]) for k in ("old", "new", "floor"))
                paired = sorted(n_ / o_ for n_, o_ in zip(got[(op, b, "new")],
                                                          got[(op, b, "old")], strict=True))
                print(f"| {op} | {b:,} | {o:,.0f} | {w:,.0f} | {f:,.0f} | {o / f:.2f} "
                      f"| {w / f:.2f} | {w / o:.2f} | {statistics.median(paired):.2f}"
                      f" ({paired[0]:.2f}–{paired[-1]:.2f}) |")
        for s in sides.values():
            s.reg.close()
        floor.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
