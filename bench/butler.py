"""calibcert against the Rubin Butler, on the Butler's own calibration workload.

    python bench/butler.py [--quick] [--backends sqlite,postgresql] [--json FILE]

In one run, on this machine, for each backend: calibcert through ``calibcert.connect`` (in
this interpreter) and the Butler (``lsst-daf-butler`` from the Python registry, in its own
virtual environment, a subprocess running bench/butler_side.py) execute the workload of
bench/butler_workload.py: 200 detectors x 50 epochs, one ``certify`` call of 200 datasets
per epoch, 200 single certifies, 1,000 point and 1,000 chain lookups, one decertify that
splits 200 ranges (timed 3 times, on 3 epochs). SQLite: each system's own file with the
durability it sets itself.
PostgreSQL: one throw-away server with default durability (fsync, synchronous_commit and
full_page_writes on; unlike the test servers), one database per system, over TCP.

Prints, per backend and phase, the mean milliseconds per call of each system, the ratio
theirs / ours of the means (how many times faster calibcert is: the total time of the phase)
and the target of issue 17 item 4, met or MISSED; then the medians and their ratio. For the
write phases it also runs the *floor* (bench/floor.py: bare SQL on a table with
calib.certification's exclusion constraint and indexes, keys already resolved, no history,
locks or checks) in the same database or file with the same durability, and prints Butler /
floor: the most any implementation that keeps that constraint and commits durably could
reach on this machine. Exits
non-zero if the Butler cannot be installed or run, or if either system answers a lookup
wrongly; a missed target is reported, not an error.

The Butler's virtual environment is calibcert.testing.butler_python's (made once with the
``venv`` module and ``pip install lsst-daf-butler psycopg[binary]``, then reused:
``$CALIBCERT_BUTLER_VENV``, default ``~/.cache/calibcert/butler-venv``). ``--quick`` keeps
the call sizes (200 datasets a certify) with 5 epochs and 100 lookups of each kind: a smoke
run of 1-2 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

import calibcert
from calibcert import CollectionType, Timespan

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from butler_workload import CHAIN_DEPTH, DATASET_TYPE, DIMENSIONS, Workload  # noqa: E402
from floor import PgFloor, SqliteFloor  # noqa: E402

PHASES = ("certify", "single certify", "point lookup", "chain lookup", "decertify")
#: Issue 17 item 4: theirs / ours must be at least this, per backend and phase.
TARGETS: dict[str, dict[str, float]] = {
    "sqlite": {"certify": 10, "decertify": 5, "single certify": 20,
               "point lookup": 50, "chain lookup": 30},
    "postgresql": {"certify": 10, "decertify": 5, "single certify": 15,
                   "point lookup": 20, "chain lookup": 20},
}
#: A PostgreSQL as users run it: the test settings (calibcert.testing.SERVER_ARGS) without
#: -F, synchronous_commit=off and full_page_writes=off, so durability is the default.
DURABLE_SERVER_ARGS = "-h 127.0.0.1 -c logging_collector=off -c max_connections=50"


class BenchError(Exception):
    """The benchmark could not run (the Butler not installable or failing): exit 2."""


def log(msg: str) -> None:
    print(f"[butler-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- the Butler's virtual environment -------------------------------------------------------

def ensure_venv() -> Path:
    """The interpreter of the Butler's virtual environment (calibcert.testing.butler_python,
    shared with tests/test_butler_roundtrip.py: installed once, cached)."""
    from calibcert.testing import butler_python

    try:
        return Path(butler_python())
    except RuntimeError as exc:  # pip's or the import's output: fail loudly, never skip
        raise BenchError(str(exc)) from exc


def run_butler(python: Path, w: Workload, root: str, db: str | None) -> dict[str, Any]:
    cmd = [str(python), str(HERE / "butler_side.py"), "--root", root,
           *(["--db", db] if db else []), *(f"--{k}={v}" for k, v in w.as_dict().items())]
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True)
    if done.returncode != 0:
        raise BenchError(f"the Butler's side failed (exit {done.returncode}): {' '.join(cmd)}")
    return json.loads(done.stdout)


# -- calibcert's side -----------------------------------------------------------------------

def run_ours(w: Workload, url: str) -> dict[str, Any]:
    """The same workload through the client, timed the same way as bench/butler_side.py."""
    calibcert.upgrade(url)
    reg = calibcert.connect(url)
    try:
        return _workload(reg, w)
    finally:
        reg.close()


def _workload(reg: calibcert.Registry, w: Workload,
              around: Callable[[str], AbstractContextManager[Any]] = nullcontext,
              ) -> dict[str, Any]:
    """The timed phases; each runs inside ``around(phase)`` (bench/butler_profile.py
    measures statements and client time there)."""
    log(f"calibcert: storing {w.detectors * (w.epochs + 1)} datasets")
    reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
    refs = []
    for j in range(w.epochs + 1):
        reg.register_collection(f"run/{j}", CollectionType.RUN)
        refs.append(reg.insert_datasets(DATASET_TYPE, f"run/{j}",
                                        [w.data_id(k) for k in range(w.detectors)]))
    reg.register_collection("calib", CollectionType.CALIBRATION)
    previous = "calib"
    for level in range(1, CHAIN_DEPTH + 1):
        reg.register_collection(f"chain/{level}", CollectionType.CHAINED)
        reg.set_chain(f"chain/{level}", [previous])
        previous = f"chain/{level}"
    chain = previous

    out: dict[str, list[float]] = {}
    spans = [Timespan(*w.span(j)) for j in range(w.epochs + 1)]
    each = []
    with around("certify"):
        for j in range(w.epochs):
            t0 = time.perf_counter()
            reg.certify("calib", refs[j], spans[j])
            each.append(time.perf_counter() - t0)
    out["certify"] = each

    each = []
    with around("single certify"):
        for ref in refs[w.epochs]:
            t0 = time.perf_counter()
            reg.certify("calib", [ref], spans[w.epochs])
            each.append(time.perf_counter() - t0)
    out["single certify"] = each

    questions = w.questions()
    data_ids = [w.data_id(k) for k, _, _ in questions]
    expected = [refs[j][k].id for k, j, _ in questions]
    for phase, collection in (("point lookup", "calib"), ("chain lookup", chain)):
        each, found = [], []
        with around(phase):
            for d, (_, _, at) in zip(data_ids, questions, strict=True):
                t0 = time.perf_counter()
                ref = reg.find(collection, DATASET_TYPE, d, at)
                each.append(time.perf_counter() - t0)
                found.append(None if ref is None else ref.id)
        wrong = sum(1 for a, b in zip(found, expected, strict=True) if a != b)
        if wrong:
            raise AssertionError(f"calibcert {phase}: {wrong} of {len(found)} answers wrong")
        out[phase] = each

    each = []
    with around("decertify"):
        for cut in [Timespan(*s) for s in w.decertify_spans]:
            t0 = time.perf_counter()
            reg.decertify("calib", DATASET_TYPE, cut)
            each.append(time.perf_counter() - t0)
    out["decertify"] = each
    stored = len(reg.certifications("calib", DATASET_TYPE))
    if stored != w.expected_after:
        raise AssertionError(f"calibcert: {stored} certifications after decertify, "
                             f"expected {w.expected_after}")
    log(f"calibcert: done, {stored} certifications stored")
    return {"seconds": out, "versions": {"calibcert": calibcert.__version__}}


def run_floor(w: Workload, floor: PgFloor | SqliteFloor) -> dict[str, list[float]]:
    """The write phases of the workload on the floor, timed the same way: 200-row bulk
    inserts per epoch, single inserts, the decertify splits (one collection, one type,
    keys 0..detectors-1, fresh dataset ids). What any implementation needs at least."""
    ids = [[uuid.uuid4() for _ in range(w.detectors)] for _ in range(w.epochs + 1)]
    keys = list(range(w.detectors))
    out: dict[str, list[float]] = {"certify": [], "single certify": [], "decertify": []}
    for j in range(w.epochs):
        t0 = time.perf_counter()
        floor.bulk(1, 1, keys, ids[j], *w.span(j))
        out["certify"].append(time.perf_counter() - t0)
    begin, end = w.span(w.epochs)
    for k in keys:
        t0 = time.perf_counter()
        floor.one(1, 1, k, ids[w.epochs][k], begin, end)
        out["single certify"].append(time.perf_counter() - t0)
    for cut in w.decertify_spans:
        t0 = time.perf_counter()
        n = floor.decertify(1, 1, *cut)
        out["decertify"].append(time.perf_counter() - t0)
        if n != w.detectors:
            raise AssertionError(f"floor decertify cut {n} ranges, expected {w.detectors}")
    log("floor: done")
    return out


# -- the two backends -----------------------------------------------------------------------

def run_sqlite(w: Workload, python: Path, workdir: str) -> tuple[dict, dict, dict]:
    ours = run_ours(w, f"sqlite:///{workdir}/calibcert.db")
    floor = SqliteFloor(f"{workdir}/calibcert.db")
    try:
        ours["floor"] = run_floor(w, floor)
    finally:
        floor.close()
    log("Butler, SQLite registry")
    theirs = run_butler(python, w, os.path.join(workdir, "butler-sqlite"), None)
    return ours, theirs, {"sqlite": sqlite3.sqlite_version}


def run_postgresql(w: Workload, python: Path, workdir: str) -> tuple[dict, dict, dict]:
    from calibcert.testing import server_url, start_server

    server = start_server(postgres_args=DURABLE_SERVER_ARGS)
    try:
        admin = server_url(server, "postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                        for name in ("server_version", "fsync", "synchronous_commit",
                                     "full_page_writes")}
            for db in ("bench_calibcert", "bench_butler"):
                conn.execute(f'CREATE DATABASE "{db}"')
        # The Butler needs btree_gist and leaves creating it to an administrator.
        with psycopg.connect(server_url(server, "bench_butler"), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION btree_gist")
        log(f"PostgreSQL {settings}")
        ours = run_ours(w, server_url(server, "bench_calibcert"))
        floor = PgFloor(server_url(server, "bench_calibcert"))
        try:
            ours["floor"] = run_floor(w, floor)
        finally:
            floor.close()
        log("Butler, PostgreSQL registry")
        theirs = run_butler(python, w, os.path.join(workdir, "butler-postgresql"),
                            server_url(server, "bench_butler"))
        return ours, theirs, settings
    finally:
        server.stop()


# -- output ---------------------------------------------------------------------------------

def rows(backend: str, ours: dict, theirs: dict) -> list[dict[str, Any]]:
    out = []
    for phase in PHASES:
        o, t = ours["seconds"][phase], theirs["seconds"][phase]
        ratio = (sum(t) / len(t)) / (sum(o) / len(o))
        target = TARGETS[backend][phase]
        out.append({
            "backend": backend, "phase": phase, "calls": len(o),
            "ours_ms": 1e3 * sum(o) / len(o), "theirs_ms": 1e3 * sum(t) / len(t),
            "ours_median_ms": 1e3 * sorted(o)[len(o) // 2],
            "theirs_median_ms": 1e3 * sorted(t)[len(t) // 2],
            "ratio": ratio, "target": target, "met": ratio >= target,
            # Under load the mean of a sub-millisecond call is its scheduling tail: the
            # ratio of the medians is printed beside it (the targets apply to the means).
            "median_ratio": sorted(t)[len(t) // 2] / sorted(o)[len(o) // 2],
        })
        f = ours.get("floor", {}).get(phase)
        if f:  # the write phases: the floor's time, and the most a ratio could be here
            out[-1]["floor_ms"] = 1e3 * sum(f) / len(f)
            out[-1]["butler_over_floor"] = (sum(t) / len(t)) / (sum(f) / len(f))
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = ["backend", "phase", "calls", "ours ms/call", "Butler ms/call", "Butler / ours",
            "target", "", "medians: ours / Butler ms, ratio", "floor ms/call",
            "Butler / floor"]
    lines = [head]
    for r in results:
        lines.append([r["backend"], r["phase"], str(r["calls"]), f"{r['ours_ms']:.3f}",
                      f"{r['theirs_ms']:.3f}", f"{r['ratio']:.1f}x", f">= {r['target']:g}x",
                      "met" if r["met"] else "MISSED",
                      f"{r['ours_median_ms']:.3f} / {r['theirs_median_ms']:.3f}, "
                      f"{r['median_ratio']:.1f}x",
                      f"{r['floor_ms']:.3f}" if "floor_ms" in r else "-",
                      f"{r['butler_over_floor']:.1f}x" if "floor_ms" in r else "-"])
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = []
    for i, line in enumerate(lines):
        text.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True))
                    + " |")
        if i == 0:
            text.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(text)


def dump_json(doc: dict[str, Any]) -> str:
    """Indented JSON with each list of numbers (the per-call seconds) on one line."""
    text = json.dumps(doc, indent=2, default=str)
    return re.sub(r"\[\s+([-0-9.e,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]",
                  text) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="5 epochs and 100 lookups of each kind (smoke run)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--json", help="write the figures and per-call seconds to this file")
    args = ap.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in backends:
        if b not in TARGETS:
            raise SystemExit(f"unknown backend {b!r} (sqlite, postgresql)")
    w = Workload.quick() if args.quick else Workload()
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    try:
        python = ensure_venv()
        results, raw, systems = [], {}, {}
        for backend in backends:
            with tempfile.TemporaryDirectory(prefix="calibcert-butler-") as workdir:
                run = run_sqlite if backend == "sqlite" else run_postgresql
                ours, theirs, settings = run(w, python, workdir)
            results.extend(rows(backend, ours, theirs))
            raw[backend] = {"calibcert": ours, "butler": theirs}
            systems[backend] = settings
            systems["butler"] = theirs["versions"]
    except BenchError as exc:
        print(f"bench/butler.py: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t0
    print(table(results))
    butler_version = systems.get("butler", {}).get("lsst-daf-butler")
    print(f"\n{w.detectors} detectors x {w.epochs} epochs, {w.lookups} lookups of each kind; "
          f"calibcert {calibcert.__version__}, lsst-daf-butler {butler_version}; "
          f"{elapsed:.0f} s; {os.cpu_count()} cores; "
          f"{sum(not r['met'] for r in results)} of {len(results)} targets missed")
    if args.json:
        doc = {
            "command": " ".join(["python", "bench/butler.py",
                                 *(argv if argv is not None else sys.argv[1:])]),
            "date": started.isoformat(timespec="seconds"), "seconds": elapsed,
            "workload": w.as_dict(), "systems": systems, "results": results, "raw": raw,
        }
        Path(args.json).write_text(dump_json(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
