"""The client's point lookup statement against the pre-issue-12 one (issue 12 item 9).

    python bench/probe_shape.py [--sizes 1000,100000] [--rounds 7] [--calls 500]
                                [--variants FILE.sql]

On a throw-away PostgreSQL (calibcert.testing.start_server), one database per size (N
certifications: N/5 data IDs x 5 epochs in a CALIBRATION collection, a RUN holding the
datasets, a TAGGED collection with every other one, a 3-level chain over the CALIBRATION
collection and a chain [TAGGED, CALIBRATION, RUN]), each statement is prepared on one
connection and run in alternating rounds of ``calls`` lookups of random keys (best and
median round, microseconds per lookup: wall clock, and the server process's CPU time, which
other jobs on a shared machine barely disturb), with plan_cache_mode default and
force_generic_plan. Statements: ``old`` is revision 0003's ``_FIND_FAST`` (CALIBRATION
collections only; kept here verbatim as the yardstick), ``probe`` the client's
``_FIND_PROBE`` as installed. ``--variants`` loads a file of SQL functions ``calib.probe_*``
into each database and measures ``_FIND_PROBE`` through each of them too, so that shapes
can be compared without a migration. Every statement's answer is checked against the
expected dataset.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

import calibcert
from calibcert import CollectionType, Timespan
from calibcert.backends.postgres import _FIND_PROBE

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import DATASET_TYPE, DIMENSIONS, data_id, epoch  # noqa: E402

EPOCHS = 5
#: Revision 0003's client statement for CALIBRATION collections (git log -S _FIND_FAST).
OLD = (
    "SELECT co.type, c.dataset_id, t.name, di.value, r.name"
    " FROM calib.collection AS co"
    " JOIN calib.dataset_type AS t ON t.name = %(t)s::text"
    " JOIN calib.data_id AS di"
    " ON di.dataset_type_id = t.dataset_type_id AND di.value = %(d)s::jsonb"
    " LEFT JOIN calib.certification AS c"
    "   ON co.type = 'CALIBRATION' AND c.collection_id = co.collection_id"
    "  AND c.data_id_key = di.data_id_key"
    "  AND c.validity && pg_catalog.tstzrange(%(a)s::timestamptz, %(a)s::timestamptz, '[]')"
    " LEFT JOIN calib.dataset AS d ON d.dataset_id = c.dataset_id"
    " LEFT JOIN calib.collection AS r ON r.collection_id = d.run_id"
    " WHERE co.name = %(c)s::text"
    " LIMIT 2"
)


def populate(url: str, n: int) -> list[Any]:
    keys = n // EPOCHS
    with calibcert.connect(url) as reg:
        reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
        reg.register_collection("run/1", CollectionType.RUN)
        reg.register_collection("calib", CollectionType.CALIBRATION)
        reg.register_collection("tagged", CollectionType.TAGGED)
        refs = reg.insert_datasets(DATASET_TYPE, "run/1", [data_id(k) for k in range(keys)])
        for j in range(EPOCHS):
            reg.certify("calib", refs, Timespan(epoch(j), epoch(j + 1)))
        reg.tag("tagged", refs[::2])
        previous = "calib"
        for level in (1, 2, 3):
            reg.register_collection(f"chain/{level}", CollectionType.CHAINED)
            reg.set_chain(f"chain/{level}", [previous])
            previous = f"chain/{level}"
        reg.register_collection("mixed", CollectionType.CHAINED)
        reg.set_chain("mixed", ["tagged", "calib", "run/1"])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return [r.id for r in refs]


def statements(variants: list[str]) -> dict[str, str]:
    out = {"old": OLD, "probe": _FIND_PROBE}
    for v in variants:
        out[v] = _FIND_PROBE.replace("calib.probe(", f"calib.{v}(")
    return out


def backend_cpu_ns(pid: int) -> int:
    """CPU time the server process ``pid`` has run, in ns (Linux schedstat; same machine):
    unlike the wall clock, barely disturbed by other jobs on the shared cores."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])


def rounds(url: str, ids: list[Any], stmts: dict[str, str], collection: str, mode: str,
           n_rounds: int, calls: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per statement: wall-clock and backend-CPU microseconds per lookup, one per round."""
    rng = random.Random(1)
    times: dict[str, list[float]] = {k: [] for k in stmts}
    cpu: dict[str, list[float]] = {k: [] for k in stmts}
    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.info.backend_pid
        if mode != "default":
            conn.execute(f"SET plan_cache_mode = {mode}")
        cur = conn.cursor()
        names = [k for k in stmts if not (k == "old" and collection != "calib")]
        for r in range(n_rounds + 1):  # round 0 warms up (prepares, caches)
            order = names if r % 2 else names[::-1]
            for name in order:
                sql = stmts[name]
                ks = [rng.randrange(len(ids)) for _ in range(calls)]
                ps = [{"t": DATASET_TYPE, "d": Jsonb(data_id(k)), "c": collection,
                       "a": epoch(rng.randrange(EPOCHS) + 0.5)} for k in ks]
                c0, t0 = backend_cpu_ns(pid), time.perf_counter()
                for p in ps:
                    cur.execute(sql, p, prepare=True).fetchall()
                dt, dc = time.perf_counter() - t0, backend_cpu_ns(pid) - c0
                if r:
                    times[name].append(dt / calls * 1e6)
                    cpu[name].append(dc / calls / 1e3)
                row = cur.execute(sql, ps[-1], prepare=True).fetchall()
                want = ids[ks[-1]]
                got = row[0][1 if name == "old" else 0]  # old: (type, dataset, ...)
                # the mixed chain answers the tagged dataset first: the same dataset here
                assert got == want, (name, collection, got, want)
    return ({k: v for k, v in times.items() if v}, {k: v for k, v in cpu.items() if v})


def summary(t: dict[str, list[float]]) -> str:
    """best / median round per statement, and best against old's (else the first's) best."""
    base = min(t["old"]) if "old" in t else min(next(iter(t.values())))
    return "  ".join(f"{k} {min(v):6.1f}/{statistics.median(v):6.1f} ({min(v) / base:.2f}x)"
                     for k, v in t.items())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,100000")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--variants", type=Path)
    args = ap.parse_args(argv)
    from calibcert.testing import SERVER_ARGS, server_url, start_server

    extra = args.variants.read_text() if args.variants else ""
    # the variants: functions of calib.probe's signature (helpers they call are not)
    variants = sorted(set(re.findall(
        r"FUNCTION calib\.(probe_\w+)\(p_collection_id integer, p_data_id_key integer,"
        r" p_span tstzrange\)", extra)))
    stmts = statements(variants)
    server = start_server(postgres_args=SERVER_ARGS)
    try:
        admin = server_url(server, "postgres")
        for n in (int(s) for s in args.sizes.split(",")):
            db = f"probe_{n}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{db}"')
            url = server_url(server, db)
            calibcert.upgrade(url)
            if extra:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(extra)
            ids = populate(url, n)
            for collection in ("calib", "chain/3", "mixed"):
                for mode in ("default", "force_generic_plan"):
                    wall, cpu = rounds(url, ids, stmts, collection, mode, args.rounds,
                                       args.calls)
                    for what, t in (("wall", wall), ("server CPU", cpu)):
                        print(f"{n:>7} {collection:8} {mode:18} {what:10} {summary(t)}",
                              flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
