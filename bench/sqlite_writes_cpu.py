"""CPU time per call of the SQLite backend's writes (issue 17 item 2; bench/README.md "SQLite
writes (revision 0017)").

    PYTHONPATH=<tree>/pyclient python bench/sqlite_writes_cpu.py
        [--ops certify,decertify,close_open_range,copy_collection] [--batches 1,10,200,2000]
        [--calls 60] [--datasets N] [--statements]

A fresh file under a temporary directory, the calls of bench/batches.py (decertify splits
every certification of its own collection, close_open_range closes every open one of its
own, copy_collection copies one source into a new collection per call, certify certifies
datasets not yet certified), ``calls`` calls per operation and batch size (at most 20,000
rows in all; setup untimed). Prints ``time.process_time`` per call: the figure that does not
move with the machine's load or with SQLite's WAL checkpoints (the writer whose commit
crosses the checkpoint threshold pays it, so the wall time of one writer depends on what
the writers before it left in the log). To compare two versions of the code, run this with
each one's ``PYTHONPATH`` in alternating rounds. ``--statements`` adds, per operation and
batch size, the CPU time of each SQL statement the client sent (trigger programs included
in their statement), largest first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import calibcert
from calibcert import CollectionType, Timespan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import DATASET_TYPE, DIMENSIONS, data_id, epoch  # noqa: E402


class _Timed:
    """The registry's sqlite3 connection, timing each statement (CPU) by its text."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.cpu = conn, {}

    def _timed(self, method: str, sql: str, *args: Any) -> Any:
        t0 = time.process_time()
        cur = getattr(self.conn, method)(sql, *args)
        rows = cur.fetchall() if cur.description else None
        key = " ".join(sql.split())[:100]
        self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - t0
        return _Fetched(cur, rows)

    def execute(self, sql: str, *args: Any) -> Any:
        return self._timed("execute", sql, *args)

    def executemany(self, sql: str, *args: Any) -> Any:
        return self._timed("executemany", sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


class _Fetched:
    """A cursor whose rows were read while timed."""

    def __init__(self, cur: Any, rows: list[Any] | None) -> None:
        self.rows, self.rowcount, self.lastrowid = rows, cur.rowcount, cur.lastrowid
        self.description = cur.description

    def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[Any]:
        return self.rows or []

    def __iter__(self) -> Any:
        return iter(self.rows or [])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", default="certify,decertify,close_open_range,copy_collection")
    ap.add_argument("--batches", default="1,10,200,2000")
    ap.add_argument("--calls", type=int, default=60)
    ap.add_argument("--datasets", type=int, default=20_000)
    ap.add_argument("--statements", action="store_true")
    args = ap.parse_args()
    ops = args.ops.split(",")
    batches = [int(x) for x in args.batches.split(",")]
    url = f"sqlite:///{tempfile.mkdtemp(prefix='calibcert-cpu-')}/bench.db"
    calibcert.upgrade(url)
    reg = calibcert.connect(url)
    reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
    reg.register_collection("run/1", CollectionType.RUN)
    n_ds = max(args.datasets, max(batches))
    refs = reg.insert_datasets(DATASET_TYPE, "run/1", [data_id(k) for k in range(n_ds)])
    first, long = Timespan(epoch(0), epoch(1)), Timespan(epoch(0), epoch(4))
    cut = Timespan(epoch(1), epoch(2))
    serial = iter(range(10**9))

    def calib(prefix: str) -> str:
        name = f"{prefix}/{next(serial)}"
        reg.register_collection(name, CollectionType.CALIBRATION)
        return name

    for b in batches:
        n = max(1, min(args.calls, 20_000 // b))
        for op in ops:
            calls: list[Callable[[], Any]] = []
            if op == "decertify":
                for _ in range(n):
                    c = calib("decertify")
                    reg.certify(c, refs[:b], long)
                    calls.append(lambda c=c: reg.decertify(c, DATASET_TYPE, cut))
            elif op == "close_open_range":
                for _ in range(n):
                    c = calib("close")
                    reg.certify(c, refs[:b], Timespan(epoch(0), None))
                    calls.append(lambda c=c: reg.close_open_range(c, DATASET_TYPE, epoch(1)))
            elif op == "copy_collection":
                src = calib("copy-source")
                reg.certify(src, refs[:b], first)
                calls = [lambda s=src: reg.copy_collection(s, f"copy/{next(serial)}")
                         for _ in range(n)]
            elif op == "certify":
                c = calib("certify")
                calls = [lambda c=c, lo=i * b, hi=(i + 1) * b: reg.certify(c, refs[lo:hi], first)
                         for i in range(min(n, n_ds // b))]
            else:
                raise SystemExit(f"unknown operation {op!r}")
            timed = None
            if args.statements:
                timed = _Timed(reg._conn)  # type: ignore[attr-defined]
                reg._conn = timed  # type: ignore[attr-defined]
            t0 = time.process_time()
            for call in calls:
                call()
            cpu = (time.process_time() - t0) / len(calls)
            print(f"{op:18s} {b:7d} rows/call: {cpu * 1e6:10.1f} us CPU a call"
                  f" ({len(calls)} calls)", flush=True)
            if timed is not None:
                reg._conn = timed.conn  # type: ignore[attr-defined]
                for sql, t in sorted(timed.cpu.items(), key=lambda kv: -kv[1])[:12]:
                    print(f"    {t / len(calls) * 1e6:10.1f} us  {sql}")


if __name__ == "__main__":
    main()
