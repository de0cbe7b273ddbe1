"""The benchmark suite still runs: a tiny-size run of ``bench/run.py`` on both backends.

Benchmarks are not tests: nothing here looks at a timing. This only proves that the one
command documented in bench/README.md completes, measures every operation and its floor,
and prints both figures and their ratio, in the table and in the JSON.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

OPERATIONS = [
    "certify (bulk)",
    "certify (one per call)",
    "certify_series",
    "decertify",
    "close_open_range",
    "copy_collection",
    "find @",
    "find (3-level chain) @",
    "find_many",
    "find latency",
    "find (3-level chain) latency",
    "certify (bulk) client peak RSS",
]


def test_tiny_benchmark_run_reports_every_operation_with_its_floor(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "tiny", "--memory",
         "--backends", "postgresql,sqlite", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    doc = json.loads(out.read_text())
    assert doc["machine"]["nproc"] and doc["machine"]["postgresql"]
    results = doc["results"]
    for backend in ("postgresql", "sqlite"):
        rows = [r for r in results if r["backend"] == backend]
        for op in OPERATIONS:
            matching = [r for r in rows if r["operation"].startswith(op)]
            assert matching, (backend, op)
            for r in matching:
                for key in ("ours_median", "floor_median", "ratio"):
                    assert isinstance(r[key], float) and math.isfinite(r[key]), (r, key)
                    assert r[key] > 0, (r, key)
        # the single-find rows exist at both stored sizes, with latencies
        finds = [r for r in rows if r["operation"].startswith("find @")]
        assert len(finds) == 2
        assert all(set(r["latency_median_us"]) == {"ours median", "ours p99", "floor median",
                                                   "floor p99"} for r in finds)
    # the printed table carries the same rows: both figures and a ratio on each line
    table = [line for line in proc.stdout.splitlines() if line.startswith("| postgresql")
             or line.startswith("| sqlite")]
    assert len(table) == len(results)
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[3] and cells[4], line  # ours, floor


# -- the single-find fast path (added for the benchmark targets) agrees with calib.find ----


def test_find_fast_path_agrees_with_calib_find(pg_url: str) -> None:
    # An autocommit registry answers the common find with one prepared statement of its own
    # (PostgresRegistry._find_fast) and leaves every other case to calib.find; inside a
    # transaction it always calls calib.find. Both must give the same result or the same
    # error, for every kind of collection, name, data ID and time.
    import psycopg

    import calibcert
    from calibcert import CollectionType
    from helpers import CALIB, RUN, RUN2, bias_id, make_world, t, ts

    fast = calibcert.connect(pg_url)
    world = make_world(fast)
    a, b = world.bias(1), world.bias(1, run=RUN2)
    c = world.bias(2)
    world.raw(1)
    fast.certify(CALIB, [a], ts(2020, 2021))
    fast.certify(CALIB, [b], ts(2021, None))
    fast.register_collection("tagged", CollectionType.TAGGED)
    fast.tag("tagged", [c])
    fast.register_collection("other", CollectionType.CALIBRATION)
    fast.certify("other", [c], ts(2019, 2020))
    fast.register_collection("chain", CollectionType.CHAINED)
    fast.set_chain("chain", ["other", "tagged", CALIB])
    slow_conn = psycopg.connect(pg_url, autocommit=False)
    slow = calibcert.connect(slow_conn)
    assert fast._conn.autocommit and not slow_conn.autocommit

    def outcome(reg, *args):
        try:
            return ("ok", reg.find(*args))
        except calibcert.CalibCertError as exc:
            return (type(exc).__name__, str(exc))

    collections = [CALIB, "chain", "tagged", "other", RUN, "missing"]
    types = ["bias", "raw", "nosuchtype"]
    data_ids = [bias_id(1), bias_id(2), bias_id(99), {"instrument": "Cam"},
                {"instrument": "Cam", "detector": 1, "extra": 2}]
    times = [t(2019, 6), t(2020), t(2021) - (t(2021) - t(2020, 12, 31, 23, 59)), t(2021),
             t(2500), None, ts(2020, 2022), ts(None, None)]
    seen = set()
    for coll in collections:
        for dtype in types:
            for did in data_ids:
                for at in times:
                    args = (coll, dtype, did, at)
                    got = outcome(fast, *args)
                    assert got == outcome(slow, *args), args
                    seen.add(got[0] if got[0] != "ok" else ("ok", got[1] is None))
                    slow_conn.rollback()
    # the grid reached answers, misses and errors alike (including an ambiguous lookup)
    assert {("ok", True), ("ok", False), "MissingCollectionError", "MissingDatasetTypeError",
            "DataIdError", "CalibrationLookupError"} <= seen, seen
    assert fast._fast_find is True and "chain" in fast._not_calibration
    # and the fast path itself did answer the common cases
    assert fast._find_fast(CALIB, "bias", bias_id(1), t(2020)) == a
    assert fast._find_fast(CALIB, "bias", bias_id(1), t(2019)) is None
    slow.close()
    slow_conn.close()
    fast.close()
