"""calibcert benchmarks against the database's own floor.

    python bench/run.py [--sizes tiny|name=value,...] [--repeats N] [--json out.json]
                        [--backends postgresql,sqlite] [--memory]

For each backend, in one run and on the same server (a throw-away PostgreSQL started here,
like the tests; temporary SQLite files), every operation is measured through the Python
client and next to it its floor (bench/floor.py: bare SQL doing the same minimum work on a
table with the same constraint and indexes). Each repeat runs both, alternating which goes
first; the table shows medians over the repeats, the ratio ours/floor, the target and the
spread ((max - min) / median of the repeats). ``--memory`` also measures the client's peak
RSS while certifying ``memory`` datasets in one call (a subprocess, bench/memory.py).
Progress goes to stderr, the table to stdout, the JSON to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

import calibcert
from calibcert import CollectionType, Timespan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batches import datasets_needed, run_batches  # noqa: E402
from floor import PgFloor, SqliteFloor  # noqa: E402
from workload import (  # noqa: E402
    DATASET_TYPE,
    DEFAULT_BATCHES,
    DIMENSIONS,
    TINY_BATCHES,
    TYPE_ID,
    LookupLayout,
    data_id,
    epoch,
    floor_key,
    parse_sizes,
)

HERE = Path(__file__).resolve().parent
#: Data IDs of the datasets the 200-row certify calls use (beyond any lookup key).
EXTRA = 10**8
#: Targets: ratio ours/floor of the medians must be at least this (see README).
#: The write operations' targets depend on the batch size: bench/batches.py target().
TARGETS = {"find": 0.5, "find (3-level chain)": 0.5, "find_many": 0.5}
#: The find_many batch of the per-call scaling row: this many distinct data IDs (the
#: smallest lookup database holds 100).
DISTINCT_MANY = 100
TARGETS[f"find_many ×{DISTINCT_MANY} distinct data IDs"] = TARGETS["find_many"]
#: A lookup right after a bulk certify (no statistics yet) against the same lookup after
#: ANALYZE: median latency ratio at most this (issue 17 item 3).
STATS_TARGET = 1.5
#: find latency at find_large stored certifications / at find_small: at most this.
SCALING_TARGET = 1.5
#: Peak RSS of the client certifying ``memory`` datasets: at most this many MB.
MEMORY_TARGET_MB = 300


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Result:
    backend: str
    operation: str
    size: int
    unit: str
    ours: list[float] = field(default_factory=list)   # rate per repeat (unit)
    floor: list[float] = field(default_factory=list)
    target: float | None = None
    latency_us: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""
    durability: str = ""

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.floor)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(
            ours_median=statistics.median(self.ours),
            floor_median=statistics.median(self.floor),
            ratio=self.ratio,
            ours_spread_pct=spread(self.ours),
            floor_spread_pct=spread(self.floor),
            met=None if self.target is None else self.ratio >= self.target,
            latency_median_us={k: statistics.median(v) for k, v in self.latency_us.items()},
        )
        return d


def spread(values: list[float]) -> float:
    """(max - min) / median, in percent."""
    return 100.0 * (max(values) - min(values)) / statistics.median(values)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


# -- the operations -------------------------------------------------------------------------

class Suite:
    """One backend's run: a registry (the client under test) and a floor on the same
    database, the workload, and the results."""

    def __init__(self, backend: str, sizes: dict[str, int], repeats: int,
                 databases: Callable[[str], Iterator[tuple[str, Any]]],
                 batches: tuple[int, ...] = DEFAULT_BATCHES, durability: str = "") -> None:
        self.backend = backend
        self.batches = batches
        self.durability = durability
        self.sizes = sizes
        self.repeats = repeats
        self.databases = databases  # name -> context manager yielding (url, floor)
        self.results: list[Result] = []
        self._fcoll = 100  # floor collection ids

    def next_floor_coll(self) -> int:
        self._fcoll += 1
        return self._fcoll

    def pair(self, r: int, ours: Callable[[], Any],
             floor: Callable[[], Any]) -> tuple[float, float, Any, Any]:
        """Time both, alternating which goes first: (seconds ours, seconds floor, results)."""
        if r % 2 == 0:
            t_ours, out_ours = timed(ours)
            t_floor, out_floor = timed(floor)
        else:
            t_floor, out_floor = timed(floor)
            t_ours, out_ours = timed(ours)
        return t_ours, t_floor, out_ours, out_floor

    def add(self, op: str, size: int, unit: str, ours: list[float], floor: list[float],
            record: bool = True, **kw: Any) -> Result:
        """A result row (``record`` False: only returned, for the scaling rounds)."""
        res = Result(self.backend, op, size, unit, ours, floor, TARGETS.get(op),
                     durability=self.durability, **kw)
        if not record:
            return res
        self.results.append(res)
        log(f"{self.backend} ({self.durability}) {op}: ours {[round(x) for x in res.ours]}"
            f" floor {[round(x) for x in res.floor]} ratio {res.ratio:.2f}")
        return res

    # -- writes -------------------------------------------------------------------------

    def run_writes(self) -> None:
        s, R = self.sizes, self.repeats
        with self.databases("ops") as (url, floor):
            reg = calibcert.connect(url)
            try:
                self._writes(reg, floor, s, R)
            finally:
                reg.close()

    def _writes(self, reg: calibcert.Registry, floor: Any, s: dict[str, int], R: int) -> None:
        n = datasets_needed(s, list(self.batches))
        reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
        reg.register_collection("run/1", CollectionType.RUN)
        log(f"{self.backend}: inserting {n} datasets")
        refs = reg.insert_datasets(DATASET_TYPE, "run/1", [data_id(k) for k in range(n)])
        keys = [floor_key(k) for k in range(n)]
        ids = [ref.id for ref in refs]
        run_batches(self, reg, floor, refs, keys, ids, list(self.batches))

    # -- lookups ------------------------------------------------------------------------

    def run_lookups(self) -> None:
        """At find_small and find_large stored certifications, in two databases kept side
        by side: every lookup right after the bulk certify that stored them (no statistics:
        autovacuum is off for these tables, as if it had not come round yet), then ANALYZE,
        then every lookup again, then 200-row certify calls. Then the per-call scaling
        (issue 17 item 5): the same calls again on both databases in alternating rounds, so
        that the machine's load moving between the two sizes does not read as growth."""
        layouts = {label: LookupLayout.for_size(self.sizes[label])
                   for label in ("find_small", "find_large")}
        with self.databases("find_small") as small, self.databases("find_large") as large:
            dbs = {"find_small": small, "find_large": large}
            regs = {label: calibcert.connect(url) for label, (url, _) in dbs.items()}
            try:
                state = {label: self._lookups_at(regs[label], dbs[label][1], layouts[label],
                                                 label) for label in dbs}
                self._scaling(regs, {k: v[1] for k, v in dbs.items()}, layouts, state)
            finally:
                for reg in regs.values():
                    reg.close()

    def _lookups_at(self, reg: calibcert.Registry, floor: Any, layout: LookupLayout,
                    label: str) -> tuple[list[calibcert.DatasetRef], list[Any]]:
        """The rows at one stored size; returns what the scaling rounds need (the refs of
        the lookup keys, the datasets of the 200-row certify calls)."""
        refs, extra = self._populate(reg, floor, layout)
        fresh = self._finds(reg, floor, layout, refs, label, ", no statistics")
        fresh_many = self._find_many(reg, floor, layout, refs, ", no statistics")
        floor.analyze_all(reg)
        analysed = self._finds(reg, floor, layout, refs, label)
        many = self._find_many(reg, floor, layout, refs)
        self._find_many(reg, floor, layout, refs, distinct=DISTINCT_MANY)
        for via in ("find", "find (3-level chain)"):
            self._stats_row(f"{via} @{layout.total:.0e} stored",
                            fresh[f"{via}@{label}"], analysed[f"{via}@{label}"],
                            fresh[f"floor@{label}"], analysed[f"floor@{label}"])
        self._stats_row(f"find_many @{layout.total:.0e} stored",
                        1 / statistics.median(fresh_many.ours),
                        1 / statistics.median(many.ours),
                        1 / statistics.median(fresh_many.floor),
                        1 / statistics.median(many.floor))
        self._certify200(reg, floor, layout, extra)
        return refs, extra

    def _scaling(self, regs: dict[str, calibcert.Registry], floors: dict[str, Any],
                 layouts: dict[str, LookupLayout], state: dict[str, Any]) -> None:
        """Median latency per call at find_large / at find_small, ours and the floor's,
        both sizes measured in alternating rounds (one round of each call per size and
        repeat, the order swapped every repeat)."""
        lat: dict[str, dict[str, list[float]]] = {label: {} for label in regs}

        def note(label: str, key: str, seconds: float) -> None:
            lat[label].setdefault(key, []).append(seconds)

        for r in range(self.repeats):
            for label in (list(regs) if r % 2 == 0 else list(reversed(regs))):
                reg, floor, layout = regs[label], floors[label], layouts[label]
                refs, extra = state[label]
                for key, value in self._finds(reg, floor, layout, refs, label,
                                              rounds=1).items():
                    note(label, key.split("@")[0], value)
                for key, distinct in (("find_many", None),
                                      (f"find_many{DISTINCT_MANY}", DISTINCT_MANY)):
                    res = self._find_many(reg, floor, layout, refs, distinct=distinct,
                                          rounds=1 if distinct is None else 10, record=False)
                    note(label, key, 1 / statistics.median(res.ours))
                    note(label, f"floor {key}", 1 / statistics.median(res.floor))
                res = self._certify200(reg, floor, layout, extra, rounds=1, record=False)
                note(label, "certify200", 1 / statistics.median(res.ours))
                note(label, "floor certify200", 1 / statistics.median(res.floor))
        small, large = self.sizes["find_small"], self.sizes["find_large"]
        for via, key in (("find", "find"), ("find (3-level chain)", "find (3-level chain)"),
                         ("find_many", "find_many"),
                         (f"find_many ×{DISTINCT_MANY} distinct data IDs",
                          f"find_many{DISTINCT_MANY}"),
                         ("certify ×200/call", "certify200")):
            fkey = "floor" if key.startswith("find (") or key == "find" else f"floor {key}"
            ratio = (statistics.median(lat["find_large"][key])
                     / statistics.median(lat["find_small"][key]))
            floor_ratio = (statistics.median(lat["find_large"][fkey])
                           / statistics.median(lat["find_small"][fkey]))
            self.results.append(Result(
                self.backend, f"{via} per-call time {large:.0e} / {small:.0e} stored", large,
                "x (median latency ratio)", [ratio], [floor_ratio], None,
                note=f"target <= {SCALING_TARGET}; sizes interleaved",
                durability=self.durability))

    def _stats_row(self, what: str, fresh: float, analysed: float, floor_fresh: float,
                   floor_analysed: float) -> None:
        """Issue 17 item 3: time before ANALYZE / time after, ours and the floor's."""
        self.results.append(Result(
            self.backend, f"{what}: before / after ANALYZE", 0, "x (time ratio)",
            [fresh / analysed], [floor_fresh / floor_analysed], None,
            note=f"target <= {STATS_TARGET}", durability=self.durability))

    def _certify200(self, reg: calibcert.Registry, floor: Any, layout: LookupLayout,
                    extra: list[tuple[int, calibcert.DatasetRef]], rounds: int | None = None,
                    record: bool = True) -> Result:
        """certify calls of 200 datasets each into a CALIBRATION collection of their own,
        in a database holding layout.total certifications (scaling, issue 17 item 5)."""
        n = self.sizes["certify200_calls"]
        span = Timespan(epoch(0), epoch(1))
        ours, flo = [], []
        for r in range(self.repeats if rounds is None else rounds):
            fc = self.next_floor_coll()
            c = f"c200/{fc}"  # a new collection every time (the floor's numbering)
            reg.register_collection(c, CollectionType.CALIBRATION)
            chunks = [extra[i * 200:(i + 1) * 200] for i in range(n)]

            def mine(c: str = c, chunks: list = chunks) -> None:
                for chunk in chunks:
                    reg.certify(c, [ref for _, ref in chunk], span)

            def bare(fc: int = fc, chunks: list = chunks) -> None:
                for chunk in chunks:
                    floor.bulk(fc, TYPE_ID, [floor_key(EXTRA + k) for k, _ in chunk],
                               [ref.id for _, ref in chunk], span.begin, span.end)
            to, tf, _, _ = self.pair(r, mine, bare)
            ours.append(n / to)
            flo.append(n / tf)
        res = self.add(f"certify ×200/call @{layout.total:.0e} stored", 200, "calls/s",
                       ours, flo, note=f"{n} calls", record=record)
        res.target = 0.6
        return res

    def _populate(self, reg: calibcert.Registry, floor: Any,
                  layout: LookupLayout
                  ) -> tuple[list[calibcert.DatasetRef], list[tuple[int, calibcert.DatasetRef]]]:
        """The lookup database (no statistics yet) and the datasets of the 200-row certify
        calls: (refs of the lookup keys, (data-ID number, ref) of the others)."""
        log(f"{self.backend}: storing {layout.total} certifications "
            f"({layout.keys} data IDs x {layout.epochs} epochs)")
        reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
        reg.register_collection("run/1", CollectionType.RUN)
        reg.register_collection("calib", CollectionType.CALIBRATION)
        refs = reg.insert_datasets(DATASET_TYPE, "run/1",
                                   [data_id(k) for k in range(layout.keys)])
        per_call = max(1, 100_000 // layout.epochs)
        for start in range(0, layout.keys, per_call):
            ks = range(start, min(layout.keys, start + per_call))
            items = [(refs[k], epoch(j)) for k in ks for j in range(layout.epochs)]
            reg.certify_series("calib", items)
            floor.series(1, TYPE_ID, [floor_key(k) for k in ks for _ in range(layout.epochs)],
                         [refs[k].id for k in ks for _ in range(layout.epochs)],
                         [epoch(j) for _ in ks for j in range(layout.epochs)])
        # A 3-level chain whose leaf is the calibration collection.
        previous = "calib"
        for level in (1, 2, 3):
            reg.register_collection(f"chain/{level}", CollectionType.CHAINED)
            reg.set_chain(f"chain/{level}", [previous])
            previous = f"chain/{level}"
        n = 200 * self.sizes["certify200_calls"]
        extra = reg.insert_datasets(DATASET_TYPE, "run/1",
                                    [data_id(EXTRA + k) for k in range(n)])
        return refs, list(enumerate(extra))

    def _finds(self, reg: calibcert.Registry, floor: Any, layout: LookupLayout,
               refs: list[calibcert.DatasetRef], label: str, phase: str = "",
               rounds: int | None = None) -> dict[str, float]:
        """find and chain find against the floor's; the median latencies (seconds) by
        '<call>@<label>'. ``rounds`` given: that many rounds, and no result row."""
        n = self.sizes["find"]
        queries = layout.queries(n)
        did = [data_id(k) for k, _ in queries]
        fkeys = [floor_key(k) for k, _ in queries]
        expected = [refs[k].id for k, _ in queries]
        stored = layout.total
        runs: dict[str, list[float]] = {"find": [], "find (3-level chain)": [], "floor": []}
        lat: dict[str, list[float]] = {f"{k} {m}": [] for k in runs for m in ("median", "p99")}

        def ours(collection: str) -> tuple[float, list[float]]:
            each, found = [], []
            for (_, at), d in zip(queries, did, strict=True):
                t0 = time.perf_counter()
                ref = reg.find(collection, DATASET_TYPE, d, at)
                each.append(time.perf_counter() - t0)
                found.append(ref.id)
            assert found == expected
            return sum(each), each

        def bare() -> tuple[float, list[float]]:
            each, found = [], []
            for (_, at), fk in zip(queries, fkeys, strict=True):
                t0 = time.perf_counter()
                got = floor.find(1, fk, at)
                each.append(time.perf_counter() - t0)
                found.append(got)
            assert found == expected
            return sum(each), each

        for r in range(self.repeats if rounds is None else rounds):
            order = [("find", lambda: ours("calib")),
                     ("find (3-level chain)", lambda: ours("chain/3")), ("floor", bare)]
            if r % 2:
                order.reverse()
            for name, fn in order:
                total, each = fn()
                runs[name].append(n / total)
                lat[f"{name} median"].append(1e6 * statistics.median(each))
                lat[f"{name} p99"].append(1e6 * percentile(each, 0.99))
        out = {}
        for via in ("find", "find (3-level chain)"):
            out[f"{via}@{label}"] = statistics.median(lat[f"{via} median"]) / 1e6
            if rounds is not None:
                continue
            self.add(via, n, "calls/s", runs[via], runs["floor"],
                     latency_us={"ours median": lat[f"{via} median"],
                                 "ours p99": lat[f"{via} p99"],
                                 "floor median": lat["floor median"],
                                 "floor p99": lat["floor p99"]},
                     note=f"{stored} stored")
            self.results[-1].operation = f"{via} @{stored:.0e} stored{phase}"
        out[f"floor@{label}"] = statistics.median(lat["floor median"]) / 1e6
        return out

    def _find_many(self, reg: calibcert.Registry, floor: Any, layout: LookupLayout,
                   refs: list[calibcert.DatasetRef], phase: str = "",
                   distinct: int | None = None, rounds: int | None = None,
                   record: bool = True) -> Result:
        """find_many of sizes["find_many"] random pairs (data IDs repeat when the database
        holds fewer), or, with ``distinct``, of that many distinct data IDs: the same batch
        shape at every stored size, for the per-call scaling row (issue 17 item 5)."""
        if distinct is None:
            name, queries = "find_many", layout.queries(self.sizes["find_many"], salt=1)
        else:
            queries = layout.distinct_queries(distinct, salt=2)
            name = f"find_many ×{distinct} distinct data IDs"
        n = len(queries)
        # A batch of 100 takes about a millisecond: ten times the repeats for a steady median.
        repeats = rounds or (self.repeats if distinct is None else 10 * self.repeats)
        pairs = [(data_id(k), at) for k, at in queries]
        fkeys = [floor_key(k) for k, _ in queries]
        ats = [at for _, at in queries]
        expected = [refs[k].id for k, _ in queries]
        ours, flo = [], []
        for r in range(repeats):
            to, tf, got_o, got_f = self.pair(
                r, partial(reg.find_many, "calib", DATASET_TYPE, pairs),
                partial(floor.find_many, 1, fkeys, ats))
            assert [ref.id for ref in got_o] == expected and got_f == expected
            ours.append(n / to)
            flo.append(n / tf)
        res = self.add(name, n, "lookups/s", ours, flo, note=f"{layout.total} stored",
                       record=record)
        res.operation = f"{name} @{layout.total:.0e} stored{phase}"
        return res


# -- backends -------------------------------------------------------------------------------

#: PostgreSQL as users run it: the packaged defaults (fsync, synchronous_commit and
#: full_page_writes on); only the socket, logging and the test suite's sizes are set.
DURABLE_ARGS = ("-h 127.0.0.1 -c logging_collector=off -c max_connections=200"
                " -c shared_buffers=256MB -c max_locks_per_transaction=256")


class Postgres:
    """A throw-away server (calibcert.testing.start_server), one database per workload.
    durability "default": DURABLE_ARGS; "off": the test settings (fsync off,
    synchronous_commit off, full_page_writes off)."""

    backend = "postgresql"

    def __init__(self, durability: str = "default") -> None:
        from calibcert.testing import SERVER_ARGS, server_url, start_server

        self.durability = durability
        self.server = start_server(
            postgres_args=DURABLE_ARGS if durability == "default" else SERVER_ARGS)
        self.admin = server_url(self.server, "postgres")
        self._url = lambda db: server_url(self.server, db)
        with psycopg.connect(self.admin) as conn:
            self.version = conn.execute("SHOW server_version").fetchone()[0]
            self.settings = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in
                             ("fsync", "synchronous_commit", "full_page_writes")}

    def stop(self) -> None:
        self.server.stop()

    @contextmanager
    def database(self, name: str) -> Iterator[tuple[str, PgFloor]]:
        db = f"bench_{name}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
            conn.execute(f'CREATE DATABASE "{db}"')
        url = self._url(db)
        calibcert.upgrade(url)
        floor = PgFloor(url)
        if name.startswith("find"):
            floor.no_autovacuum()
        try:
            yield url, floor
        finally:
            floor.close()
            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


class Sqlite:
    """Temporary SQLite files, one per workload, removed afterwards."""

    backend = "sqlite"
    version = sqlite3.sqlite_version
    durability = "WAL, synchronous=NORMAL (as the backend sets it)"

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="calibcert-bench-")

    def stop(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextmanager
    def database(self, name: str) -> Iterator[tuple[str, SqliteFloor]]:
        path = os.path.join(self.dir, f"{name}.db")
        url = f"sqlite:///{path}"
        calibcert.upgrade(url)
        floor = SqliteFloor(path)
        try:
            yield url, floor
        finally:
            floor.close()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)


def memory_probe(db: Postgres | Sqlite, n: int) -> Result:
    """Peak RSS of a fresh client process certifying ``n`` datasets in one call."""
    with db.database("memory") as (url, _floor):
        reg = calibcert.connect(url)
        try:
            reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
            reg.register_collection("run/1", CollectionType.RUN)
            reg.register_collection("mem", CollectionType.CALIBRATION)
            log(f"{db.backend}: inserting {n} datasets for the memory probe")
            step = 100_000
            for start in range(0, n, step):
                ks = range(start, min(n, start + step))
                reg.insert_datasets(DATASET_TYPE, "run/1", [data_id(k) for k in ks],
                                    ids=[memory_id(k) for k in ks])
        finally:
            reg.close()
        out = subprocess.run([sys.executable, str(HERE / "memory.py"), url, str(n)],
                             check=True, capture_output=True, text=True)
        probe = json.loads(out.stdout)
    log(f"{db.backend} memory: {probe}")
    return Result(db.backend, "certify (bulk) client peak RSS", n, "MB",
                  [probe["peak_mb"]], [probe["baseline_mb"]], None,
                  note=f"target < {MEMORY_TARGET_MB} MB; floor column = peak RSS after connect"
                       f" (VmHWM); {probe['seconds']:.1f} s, {n / probe['seconds']:.0f} rows/s")


def memory_id(k: int):
    import uuid

    return uuid.UUID(int=k + 1)


# -- output ---------------------------------------------------------------------------------

def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def verdict(res: Result) -> str:
    if res.unit == "MB":
        return "met" if res.ours[0] < MEMORY_TARGET_MB else "MISSED"
    if res.unit.startswith("x "):
        limit = SCALING_TARGET if res.unit.startswith("x (median") else STATS_TARGET
        return "met" if res.ours[0] <= limit else "MISSED"
    if res.target is None:
        return ""
    return "met" if res.ratio >= res.target else "MISSED"


def table(results: list[Result]) -> str:
    head = ["backend", "operation", "size", "ours", "floor", "unit", "ratio", "target",
            "", "spread ours/floor"]
    rows = [head]
    for res in results:
        if res.unit == "MB":
            target, ratio = f"< {MEMORY_TARGET_MB}", ""
        elif res.unit.startswith("x "):
            limit = SCALING_TARGET if res.unit.startswith("x (median") else STATS_TARGET
            target, ratio = f"<= {limit}", ""
        else:
            target = "" if res.target is None else f">= {res.target}"
            ratio = f"{res.ratio:.2f}"
        backend = res.backend + (" (fsync off)" if res.durability.startswith("OFF") else "")
        rows.append([
            backend, res.operation, f"{res.size:,}",
            fmt(statistics.median(res.ours)), fmt(statistics.median(res.floor)), res.unit,
            ratio, target, verdict(res),
            "" if len(res.ours) < 2 else f"{spread(res.ours):.0f}% / {spread(res.floor):.0f}%",
        ])
        if res.latency_us:
            lat = {k: statistics.median(v) for k, v in res.latency_us.items()}
            rows.append(["", "  latency µs: ours median / p99, floor median / p99", "",
                         f"{lat['ours median']:.0f} / {lat['ours p99']:.0f}",
                         f"{lat['floor median']:.0f} / {lat['floor p99']:.0f}",
                         "", "", "", "", ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine(pg_version: str | None) -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1), "cpu": cpu,
        "postgresql": pg_version, "sqlite": sqlite3.sqlite_version,
        "python": platform.python_version(), "psycopg": psycopg.__version__,
        "calibcert": calibcert.__version__, "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", help="'tiny' or name=value,... (defaults: see bench/README.md)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats per operation "
                    "(default 3; 1 with --sizes tiny)")
    ap.add_argument("--json", help="write the results as JSON to this file")
    ap.add_argument("--backends", default="postgresql,sqlite")
    ap.add_argument("--memory", action="store_true",
                    help="also measure the client's peak RSS certifying 'memory' datasets")
    ap.add_argument("--only", default="writes,lookups",
                    help="parts to run: writes, lookups, memory (memory = --memory)")
    ap.add_argument("--batches", help="rows per call of the write operations "
                    "(default 1,10,200,2000,1e5; 1,200 with --sizes tiny)")
    ap.add_argument("--durability", default="default",
                    help="PostgreSQL server settings, in order: 'default' (fsync and "
                    "synchronous_commit on: the headline), 'off' (the test settings), or both "
                    "'default,off'")
    args = ap.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    repeats = args.repeats or (1 if args.sizes and "tiny" in args.sizes else 3)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    tiny = bool(args.sizes and "tiny" in args.sizes)
    batches = (tuple(int(float(b)) for b in args.batches.split(",")) if args.batches
               else TINY_BATCHES if tiny else DEFAULT_BATCHES)
    durabilities = [d.strip() for d in args.durability.split(",") if d.strip()]
    if not set(durabilities) <= {"default", "off"}:
        raise SystemExit(f"--durability: 'default' and/or 'off', not {args.durability!r}")
    runs = [(b, d) for b in backends for d in (durabilities if b == "postgresql" else [""])]
    parts = {p.strip() for p in args.only.split(",")}
    if "memory" in parts:
        args.memory = True
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    results: list[Result] = []
    pg_version = None
    settings: dict[str, Any] = {}
    for name, durability in runs:
        if name not in ("postgresql", "sqlite"):
            raise SystemExit(f"unknown backend {name!r}")
        db = Postgres(durability) if name == "postgresql" else Sqlite()
        try:
            if isinstance(db, Postgres):
                pg_version = db.version
                label = ("default: " if durability == "default" else "OFF: ") + ", ".join(
                    f"{k}={v}" for k, v in db.settings.items())
            else:
                label = db.durability
            settings[f"{name} {durability}".strip()] = label
            suite = Suite(name, sizes, repeats, db.database, batches, label)
            if "writes" in parts:
                suite.run_writes()
            if "lookups" in parts:
                suite.run_lookups()
            results.extend(suite.results)
            if args.memory and (name == "sqlite" or durability == durabilities[0]):
                results.append(memory_probe(db, sizes["memory"]))
        finally:
            db.stop()
    elapsed = time.perf_counter() - t0
    info = machine(pg_version)
    print(table(results))
    print(f"\n{len(results)} rows; repeats={repeats}; {elapsed:.0f} s; "
          f"{info['nproc']} cores, {info['memory_gib']} GiB, PostgreSQL {pg_version}, "
          f"SQLite {info['sqlite']}")
    for name, value in settings.items():
        print(f"durability {name}: {value}")
    if args.json:
        doc = {
            "command": " ".join([os.path.basename(sys.executable), "bench/run.py",
                                 *(argv if argv is not None else sys.argv[1:])]),
            "date": started.isoformat(timespec="seconds"), "seconds": elapsed,
            "machine": info, "sizes": sizes, "repeats": repeats, "batches": batches,
            "durability": settings,
            "results": [r.summary() | {"verdict": verdict(r)} for r in results],
        }
        Path(args.json).write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
