"""Where calibcert's time goes in the Butler workload on PostgreSQL (bench/butler.py's phases).

    python bench/butler_profile.py [--quick] [--backend postgresql|sqlite] [--top 6] [--plans]

Runs calibcert's side of bench/butler.py (the same ``_workload``) on a default-durability
server started with pg_stat_statements (``track = all``: statements inside calib's
functions are counted too), and for each phase prints:

- wall ms per call, client CPU ms per call (``time.process_time``: the Python client's
  share; the rest is the server and the wait for it), and the top client functions by
  cumulative time (cProfile);
- the statements the server ran, per call of the phase: top-level calls (round trips) and
  the nested statements with the most execution time;

then with ``--plans``, auto_explain's plans (with trigger times) of the statements that took over
15 ms; the floors of this server measured the same way (a bare autocommit one-row INSERT, a
bare 200-row INSERT, ``SELECT 1``: a durable commit's cost and a round trip's), and the same
phases again after ``ANALYZE`` (certify on 5 new epochs, lookups, a decertify of another
epoch), since fresh statistics change the plans (issue 17 item 3).

pg_stat_statements and cProfile slow everything down: compare the figures here with each
other, not with bench/butler.py's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

import calibcert
from calibcert import CollectionType, Timespan

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from butler import DURABLE_SERVER_ARGS, _workload, log  # noqa: E402
from butler_workload import DATASET_TYPE, Workload, day  # noqa: E402
from calibcert.testing import server_url, start_server  # noqa: E402

PROFILE_ARGS = (DURABLE_SERVER_ARGS
                + " -c shared_preload_libraries=pg_stat_statements,auto_explain"
                " -c pg_stat_statements.track=all -c pg_stat_statements.track_utility=off"
                " -c pg_stat_statements.track_planning=on"
                " -c auto_explain.log_min_duration=15 -c auto_explain.log_analyze=on"
                " -c auto_explain.log_nested_statements=on -c auto_explain.log_timing=on"
                " -c auto_explain.log_triggers=on")


class Probe:
    """The ``around`` hook of _workload: statements, client CPU and a cProfile per phase."""

    def __init__(self, admin: psycopg.Connection | None, top: int, w: Workload) -> None:
        self.admin = admin
        self.top = top
        #: calls per phase (after ANALYZE the certify phase has 5: see after_analyze)
        self.calls = {"certify": w.epochs, "single certify": w.detectors,
                      "point lookup": w.lookups, "chain lookup": w.lookups,
                      "decertify": w.decertifies}
        self.report: list[str] = []

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        if self.admin is not None:
            self.admin.execute("SELECT pg_stat_statements_reset()")
        prof = cProfile.Profile()
        c0, t0 = time.process_time(), time.perf_counter()
        prof.enable()
        try:
            yield
        finally:
            prof.disable()
            self.summarise(phase, time.perf_counter() - t0, time.process_time() - c0, prof)

    def summarise(self, phase: str, wall: float, cpu: float, prof: cProfile.Profile) -> None:
        n = self.calls[phase]
        if self.admin is None:  # SQLite: the client is everything but the file's waits
            out = [f"## {phase}: {n} calls, wall {1e3 * wall / n:.3f} ms/call, client CPU "
                   f"{1e3 * cpu / n:.3f} ms/call"]
            self.finish(out, prof)
            return
        rows = self.admin.execute(
            "SELECT toplevel, calls, total_exec_time, total_plan_time,"
            " regexp_replace(left(query, 110), '\\s+', ' ', 'g')"
            " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
            " WHERE datname = 'bench_calibcert') AND query NOT LIKE '%pg_stat_statements%'"
            " ORDER BY total_exec_time DESC").fetchall()
        top_calls = sum(r[1] for r in rows if r[0])
        server = sum(r[2] for r in rows if r[0])
        planning = sum(r[3] for r in rows if r[0])
        out = [f"## {phase}: {n} calls, wall {1e3 * wall / n:.3f} ms/call, client CPU "
               f"{1e3 * cpu / n:.3f} ms/call, server execution (top level) "
               f"{server / n:.3f} ms/call, planning (top level) {planning / n:.3f} ms/call, "
               f"round trips {top_calls / n:.1f}/call",
               "   statements (top level T / nested n): calls per phase call, "
               "ms per execution, ms planning per execution"]
        shown = [r for r in rows if r[0]] + [r for r in rows if not r[0]][: self.top]
        for toplevel, c, ms, plan_ms, q in shown:
            out.append(f"   {'T' if toplevel else 'n'} {c / n:6.2f}x {ms / c:8.3f} ms "
                       f"{plan_ms / c:7.3f} ms  {q}")
        self.finish(out, prof)

    def finish(self, out: list[str], prof: cProfile.Profile) -> None:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(self.top + 6)
        lines = [line for line in s.getvalue().splitlines() if line.strip()]
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        out.append("   client (cProfile, cumulative):")
        out += ["   " + line.replace(str(HERE.parent) + "/", "")
                for line in lines[start: start + self.top + 7]]
        self.report.append("\n".join(out))
        print(self.report[-1], flush=True)


def floors(url: str, repeats: int = 200) -> dict[str, float]:
    """ms per call of bare statements on this server (autocommit: each its own commit)."""
    out: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS floor_t (k int, id uuid, PRIMARY KEY (k, id))")
        for name, sql, params in (
            ("SELECT 1 (a round trip)", "SELECT 1", lambda i: ()),
            ("bare 1-row INSERT, autocommit (a durable commit)",
             "INSERT INTO floor_t VALUES (%s, %s)", lambda i: (i, uuid.uuid4())),
        ):
            each = []
            for i in range(repeats):
                t0 = time.perf_counter()
                conn.execute(sql, params(i), prepare=True)
                each.append(time.perf_counter() - t0)
            out[name] = 1e3 * statistics.median(each)
        each = []
        for i in range(50):
            ids = [uuid.uuid4() for _ in range(200)]
            t0 = time.perf_counter()
            conn.execute("INSERT INTO floor_t SELECT %s, unnest(%s::uuid[])", (10_000 + i, ids),
                         prepare=True)
            each.append(time.perf_counter() - t0)
        out["bare 200-row INSERT … unnest, autocommit"] = 1e3 * statistics.median(each)
    return out


def after_analyze(reg: calibcert.Registry, w: Workload, url: str, probe: Probe) -> None:
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("ANALYZE")
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
    print("\n# the same phases after ANALYZE", flush=True)
    extra = range(w.epochs + 1, w.epochs + 6)
    refs = {}
    for j in extra:
        reg.register_collection(f"run/{j}", CollectionType.RUN)
        refs[j] = reg.insert_datasets(DATASET_TYPE, f"run/{j}",
                                      [w.data_id(k) for k in range(w.detectors)])
    probe.calls["certify"] = len(extra)
    with probe("certify"):
        for j in extra:
            reg.certify("calib", refs[j], Timespan(*w.span(j)))
    questions = w.questions()
    for phase, collection in (("point lookup", "calib"), ("chain lookup", "chain/3")):
        with probe(phase):
            found = sum(reg.find(collection, DATASET_TYPE, w.data_id(k), at) is not None
                        for k, _, at in questions)
        log(f"{phase} after ANALYZE: {found} of {len(questions)} found")
    d = w.epochs // 2 + w.decertifies
    probe.calls["decertify"] = 1
    with probe("decertify"):
        reg.decertify("calib", DATASET_TYPE, Timespan(day(d + 0.25), day(d + 0.75)))


def server_log(server: Any) -> str:
    """The server's log (testing.postgresql sends postgres's stderr there)."""
    path = Path(server.base_dir) / f"{server.name}.log"
    text = path.read_text(errors="replace") if path.exists() else f"(no log at {path})"
    return "\n".join(line for line in text.splitlines()
                     if "duration" in line or line.startswith(("\t", " ")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql",
                    help="sqlite: client CPU and cProfile only (the client is the backend)")
    ap.add_argument("--top", type=int, default=6, help="statements / functions shown")
    ap.add_argument("--plans", action="store_true",
                    help="print auto_explain's plans of the statements over 15 ms")
    args = ap.parse_args(argv)
    w = Workload.quick() if args.quick else Workload()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="calibcert-butler-profile-") as tmp:
            url = f"sqlite:///{tmp}/calibcert.db"
            calibcert.upgrade(url)
            profile(url, Probe(None, args.top, w), w)
        return 0
    server = start_server(postgres_args=PROFILE_ARGS)
    try:
        admin_url = server_url(server, "postgres")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "bench_calibcert"')
        url = server_url(server, "bench_calibcert")
        calibcert.upgrade(url)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("CREATE EXTENSION pg_stat_statements")
            profile(url, Probe(admin, args.top, w), w)
        print("\n# floors on this server (median ms per call)")
        for name, ms in floors(url).items():
            print(f"   {ms:8.3f} ms  {name}")
        if args.plans:
            print("\n# plans of the statements over 15 ms (auto_explain)")
            print(server_log(server))
    finally:
        server.stop()
    return 0


def profile(url: str, probe: Probe, w: Workload) -> None:
    reg = calibcert.connect(url)
    try:
        print(f"# {w.detectors} detectors x {w.epochs} epochs, {w.lookups} lookups;"
              " right after the certifies, statistics as autovacuum left them", flush=True)
        result: dict[str, Any] = _workload(reg, w, around=probe)
        for phase, each in result["seconds"].items():
            log(f"{phase}: {1e3 * statistics.mean(each):.3f} ms/call (profiled)")
        after_analyze(reg, w, url, probe)
    finally:
        reg.close()


if __name__ == "__main__":
    sys.exit(main())
