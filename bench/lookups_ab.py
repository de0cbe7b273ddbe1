"""PostgreSQL lookups, before against after revision 0017's pg-findmany block, interleaved.

    python bench/lookups_ab.py [--ref efd189b] [--sizes 1e3,1e6] [--rounds 4]

One throw-away server (bench/run.py's default durability); per stored size one database
built at head by bench/run.py's own ``_populate`` (ours and the floor's rows, no
statistics), copied into a ``fresh`` one (never analysed) and an ``analysed`` one. Three
variants are swapped in by CREATE OR REPLACE / ALTER FUNCTION as the superuser (owners and
grants are kept) before each variant's turn, in an order reversed every round: ``old``
(``calib.probe`` as at ``--ref``, through the GiST index, and ``calib._lookup`` with JIT
allowed), ``jit`` (the old probe, ``_lookup`` with ``jit = off``) and ``new`` (head). The
index certification_lookup_idx is present for all three (only ``new`` reads it). Per
database and variant: find_many of the bench's 10^4 pairs and of its 100 distinct data IDs
(10 calls), wall time through the client and server time (``EXPLAIN (ANALYZE, TIMING OFF)``
execution time of the client's statement, the same arguments), and 1,000 single finds
(direct and through the 3-level chain); the floor once per round. The machine may be
shared: read the server times and the ratios of one run. Prints medians over the rounds
(the first round is a warm-up and not counted), then before / after ANALYZE and the
per-call growth between the first and the last size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

import calibcert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import PgFloor  # noqa: E402
from run import Postgres, Suite, parse_sizes  # noqa: E402
from workload import DATASET_TYPE, LookupLayout, data_id, floor_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOOKUP = "calib._lookup(text, text, jsonb[], tstzrange[], bigint)"
FIND_MANY = ("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON)"
             " SELECT * FROM calib.find_many(p_collection => %(c)s::text,"
             " p_dataset_type => %(t)s::text, p_data_ids => %(d)b::jsonb[],"
             " p_at => %(s)b::timestamptz[])")
VARIANTS = ("old", "jit", "new")


def build(db: Postgres, n: int) -> dict[str, str]:
    """Databases ``fresh`` and ``analysed`` holding n certifications (bench/run.py's
    layout); their URLs by name."""
    tmpl = f"find_ab_{n}"  # "find…": bench/run.py turns autovacuum off for it
    with db.database(tmpl) as (url, floor):
        reg = calibcert.connect(url)
        try:
            Suite("postgresql", parse_sizes(None), 1, None)._populate(
                reg, floor, LookupLayout.for_size(n))
        finally:
            reg.close()
        floor.close()
        urls = {}
        with psycopg.connect(db.admin, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = %s AND pid <> pg_backend_pid()", (f"bench_{tmpl}",))
            for state in ("fresh", "analysed"):
                conn.execute(f'DROP DATABASE IF EXISTS "{tmpl}_{state}"')
                conn.execute(f'CREATE DATABASE "{tmpl}_{state}" TEMPLATE "bench_{tmpl}"')
                urls[state] = db.admin.rsplit("/", 1)[0] + f"/{tmpl}_{state}"
    with psycopg.connect(urls["analysed"], autocommit=True) as conn:
        conn.execute("ANALYZE")
    return urls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="efd189b", help="git ref of the old definitions")
    ap.add_argument("--sizes", default="1e3,1e6", help="stored certifications")
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    probe_old = subprocess.run(["git", "-C", str(ROOT), "show",
                                f"{args.ref}:sql/functions/probe.sql"],
                               check=True, capture_output=True, text=True).stdout
    probe_new = (ROOT / "sql/functions/probe.sql").read_text()
    sizes = [int(float(x)) for x in args.sizes.split(",")]
    db = Postgres("default")
    try:
        dbs = {n: build(db, n) for n in sizes}
        run(args.rounds, sizes, dbs, probe_old, probe_new)
    finally:
        db.stop()
    return 0


def run(rounds: int, sizes: list[int], dbs: dict[int, dict[str, str]], probe_old: str,
        probe_new: str) -> None:
    keys = [(n, s) for n in sizes for s in ("fresh", "analysed")]
    regs = {k: calibcert.connect(dbs[k[0]][k[1]]) for k in keys}
    floors = {k: PgFloor(dbs[k[0]][k[1]]) for k in keys}
    admins = {k: psycopg.connect(dbs[k[0]][k[1]], autocommit=True) for k in keys}
    batches = {n: {"many": LookupLayout.for_size(n).queries(10_000, salt=1),
                   "distinct": LookupLayout.for_size(n).distinct_queries(100, salt=2),
                   "find": LookupLayout.for_size(n).queries(1_000, salt=3)} for n in sizes}
    res: dict[tuple[Any, ...], list[float]] = {}

    def note(key: tuple[Any, ...], x: float) -> None:
        res.setdefault(key, []).append(x)

    for r in range(rounds + 1):
        order = VARIANTS if r % 2 == 0 else VARIANTS[::-1]
        for v in order:
            for admin in admins.values():
                admin.execute(f"ALTER FUNCTION {LOOKUP} "
                              + ("RESET jit" if v == "old" else "SET jit = off"))
                admin.execute(probe_new if v == "new" else probe_old)
            for (n, s), reg in regs.items():
                for shape, reps in (("many", 1), ("distinct", 10)):
                    q = batches[n][shape]
                    pairs = [(data_id(k), at) for k, at in q]
                    params = {"c": "calib", "t": DATASET_TYPE, "d": [Jsonb(d) for d, _ in pairs],
                              "s": [at for _, at in pairs]}
                    for _ in range(reps):
                        t0 = time.perf_counter()
                        reg.find_many("calib", DATASET_TYPE, pairs)
                        wall = time.perf_counter() - t0
                        plan = reg.connection.execute(FIND_MANY, params).fetchone()[0][0]
                        if r:
                            note((n, s, shape, v, "wall"), wall)
                            note((n, s, shape, v, "server"), plan["Execution Time"] / 1e3)
                    if v == order[0]:
                        fk, ats = [floor_key(k) for k, _ in q], [at for _, at in q]
                        for _ in range(reps):
                            t0 = time.perf_counter()
                            floors[n, s].find_many(1, fk, ats)
                            if r:
                                note((n, s, shape, "floor", "wall"), time.perf_counter() - t0)
                for coll in ("calib", "chain/3"):
                    each = []
                    for k, at in batches[n]["find"]:
                        t0 = time.perf_counter()
                        reg.find(coll, DATASET_TYPE, data_id(k), at)
                        each.append(time.perf_counter() - t0)
                    if r:
                        note((n, s, f"find {coll}", v, "wall"), statistics.median(each))
    for c in list(regs.values()) + list(floors.values()) + list(admins.values()):
        c.close()
    med = {k: statistics.median(v) for k, v in res.items()}
    print("median ms: size, state, call, variant, wall/server")
    for k in sorted(med, key=str):
        print(" ", *k, f"{1e3 * med[k]:.3f}")
    shapes = ("many", "distinct", "find calib", "find chain/3")
    print("before / after ANALYZE (wall, server):")
    for n in sizes:
        for shape in shapes:
            for v in VARIANTS + ("floor",):
                row = [med[n, "fresh", shape, v, m] / med[n, "analysed", shape, v, m]
                       for m in ("wall", "server") if (n, "fresh", shape, v, m) in med]
                if row:
                    print(f"  {n:.0e} {shape} {v}: " + " ".join(f"{x:.2f}x" for x in row))
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        print(f"per call {large:.0e} / {small:.0e} (analysed, fresh):")
        for shape in shapes:
            for v in VARIANTS + ("floor",):
                for m in ("wall", "server"):
                    if (small, "analysed", shape, v, m) in med:
                        print(f"  {shape} {v} {m}: " + " ".join(
                            f"{med[large, s, shape, v, m] / med[small, s, shape, v, m]:.2f}x"
                            for s in ("analysed", "fresh")))


if __name__ == "__main__":
    sys.exit(main())
