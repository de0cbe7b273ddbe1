"""find_many on PostgreSQL through the client: before against after fm-client, interleaved.

    python bench/find_many_client_ab.py [--stored 1e3] [--rounds 6]

One throw-away server (bench/run.py's default durability), one analysed database of
``--stored`` certifications built by bench/run.py's own ``_populate``. Per round, in an order
reversed every round: ``old``, the client's find_many path as it was before fm-client
(every pair's data ID canonicalised and dumped as Jsonb, ``SELECT *`` as dict rows, each
returned data ID parsed by psycopg's jsonb loader), and ``new``, the registry's find_many
now; the floor (bench/floor.py) once per round. Batches: the bench's 10^4 pairs (few
distinct data IDs) and its 100 distinct data IDs (10 calls). Per call: wall time, the client
process's CPU time (``time.process_time``: the client's own share, whatever the load), and
server time (``EXPLAIN (ANALYZE, TIMING OFF)`` execution time of that variant's statement).
Prints medians over the rounds (the first round is a warm-up and not counted).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from psycopg.types.json import Jsonb

import calibcert
from calibcert.registry import _no_cyclic_gc
from calibcert.types import DatasetRef, canonical_data_id

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import PgFloor  # noqa: E402
from lookups_ab import build  # noqa: E402
from run import Postgres  # noqa: E402
from workload import DATASET_TYPE, LookupLayout, data_id, floor_key  # noqa: E402

_OLD_SQL = ("SELECT * FROM calib.find_many(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_data_ids => %(d)b::jsonb[],"
            " p_at => %(s)b::timestamptz[])")
_NEW_SQL = ("SELECT dataset_id, dataset_type, data_id::text, run FROM calib.find_many("
            "p_collection => %(c)s::text, p_dataset_type => %(t)s::text,"
            " p_data_ids => %(d)b::jsonb[], p_at => %(s)b::timestamptz[])")


def old_find_many(reg: Any, collection: str, dataset_type: str,
                  pairs: list[tuple[dict[str, Any], Any]]) -> list[DatasetRef | None]:
    """The client's path before fm-client (registry.find_many + PostgresRegistry._find_many
    at 8fff024), for all-instant batches of known names."""
    from calibcert.query_batch import normalize_at

    data_ids, times = [], []
    for d, at in pairs:
        data_ids.append(canonical_data_id(d, None, dataset_type))
        times.append(normalize_at(at))
    with _no_cyclic_gc():
        rows = reg._run(_OLD_SQL, {"c": collection, "t": dataset_type,
                                   "d": [Jsonb(d) for d in data_ids], "s": times})
        return [None if r["dataset_id"] is None else
                DatasetRef(r["dataset_id"], r["dataset_type"], r["data_id"], r["run"])
                for r in rows]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stored", default="1e3", help="stored certifications")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    n = int(float(args.stored))
    db = Postgres("default")
    try:
        url = build(db, n)["analysed"]
        run(args.rounds, n, url)
    finally:
        db.stop()
    return 0


def run(rounds: int, n: int, url: str) -> None:
    reg = calibcert.connect(url)
    floor = PgFloor(url)
    layout = LookupLayout.for_size(n)
    batches = {"many": (layout.queries(10_000, salt=1), 1),
               "distinct": (layout.distinct_queries(100, salt=2), 10)}
    res: dict[tuple[str, str, str], list[float]] = {}
    calls = {"old": lambda p: old_find_many(reg, "calib", DATASET_TYPE, p),
             "new": lambda p: reg.find_many("calib", DATASET_TYPE, p)}
    for r in range(rounds + 1):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for shape, (q, reps) in batches.items():
            pairs = [(data_id(k), at) for k, at in q]
            expected = calls["old"](pairs)
            assert calls["new"](pairs) == expected
            for v in order:
                sql = _OLD_SQL if v == "old" else _NEW_SQL
                params = {"c": "calib", "t": DATASET_TYPE, "d": [Jsonb(d) for d, _ in pairs],
                          "s": [at for _, at in pairs]}
                for _ in range(reps):
                    c0, t0 = time.process_time(), time.perf_counter()
                    calls[v](pairs)
                    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                    plan = reg.connection.execute(
                        "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params
                    ).fetchone()[0][0]
                    if r:
                        for m, x in (("wall", wall), ("client cpu", cpu),
                                     ("server", plan["Execution Time"] / 1e3)):
                            res.setdefault((shape, v, m), []).append(x)
            fk, ats = [floor_key(k) for k, _ in q], [at for _, at in q]
            for _ in range(reps):
                t0 = time.perf_counter()
                floor.find_many(1, fk, ats)
                if r:
                    res.setdefault((shape, "floor", "wall"), []).append(
                        time.perf_counter() - t0)
    reg.close()
    floor.close()
    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"median ms at {n:.0e} stored, analysed ({rounds} rounds): shape, variant, measure")
    for k in sorted(med):
        print(" ", *k, f"{1e3 * med[k]:.3f}")
    for shape in batches:
        f = med[shape, "floor", "wall"]
        print(f"  {shape}: ours / floor (wall) old {f / med[shape, 'old', 'wall']:.2f},"
              f" new {f / med[shape, 'new', 'wall']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
