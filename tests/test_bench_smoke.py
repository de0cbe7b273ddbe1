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

#: Every write operation at every batch size of the tiny run (bench/batches.py), then the
#: lookups: before ANALYZE, after, their ratio, and per-call cost at both stored sizes.
OPERATIONS = [
    f"{op} ×{b}/call" for b in (1, 200)
    for op in ("certify", "certify_series", "decertify", "close_open_range", "copy_collection")
] + [
    "find @",
    "find (3-level chain) @",
    "find_many @",
    "certify ×200/call @",
    "find @1e+03 stored, no statistics",
    "find_many @1e+03 stored, no statistics",
    "find @1e+03 stored: before / after ANALYZE",
    "find (3-level chain) @1e+03 stored: before / after ANALYZE",
    "find_many @1e+03 stored: before / after ANALYZE",
    "find per-call time",
    "find (3-level chain) per-call time",
    "find_many per-call time",
    "certify ×200/call per-call time",
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
        # the single-find rows exist at both stored sizes, before and after ANALYZE, with
        # latencies
        finds = [r for r in rows if r["operation"].startswith("find @")
                 and "ANALYZE" not in r["operation"]]
        assert len(finds) == 4
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
    # (PostgresRegistry._find_probe) and leaves every other case to calib.find; inside a
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
    assert fast._fast_find is True
    # and the fast path itself did answer the common cases
    assert fast._find_probe(CALIB, "bias", bias_id(1), t(2020)) == a
    assert fast._find_probe(CALIB, "bias", bias_id(1), t(2019)) is None
    slow.close()
    slow_conn.close()
    fast.close()


def test_find_chain_fast_path_agrees_with_calib_find(pg_url: str) -> None:
    # Chains, RUN and TAGGED collections and at=None take the same fast path
    # (PostgresRegistry._find_probe: names, then calib.probe over the stored search path, in
    # one prepared statement). Over nested chains, repeated members, empty chains, members of
    # every type, known and unknown names and data IDs, instants, None and spans, it must give
    # the same answer or the same error as calib.find (a transaction's registry always calls it),
    # before and after the chains change; and it must itself decide every found / not found
    # answer it is offered for a stored data ID.
    import psycopg

    import calibcert
    from calibcert import CollectionType
    from calibcert.backends.postgres import _UNDECIDED
    from helpers import CALIB, RUN, RUN2, US, bias_id, make_world, t, ts

    fast = calibcert.connect(pg_url)
    world = make_world(fast)
    a, b = world.bias(1), world.bias(1, run=RUN2)
    c, e = world.bias(2), world.bias(3, run=RUN2)
    world.raw(1)
    fast.certify(CALIB, [a], ts(2020, 2021))
    fast.certify(CALIB, [b], ts(2021, None))
    for name, kind in [("tagged", CollectionType.TAGGED), ("other", CollectionType.CALIBRATION),
                       ("cal2", CollectionType.CALIBRATION)]:
        fast.register_collection(name, kind)
    fast.tag("tagged", [c, b])
    fast.certify("other", [c], ts(2019, 2020))
    fast.certify("cal2", [b], ts(2018, 2019))
    fast.certify("cal2", [e], ts(None, 2020))
    chains = {
        "c1": [CALIB], "c2": ["c1"], "c3": ["c2"],  # the benchmark's 3-level chain
        "mixed": ["other", "tagged", CALIB],
        "runfirst": [RUN2, "c3"],
        "empty": [],
        "nested": ["empty", "cal2", "c3", "mixed", RUN, "c1"],  # CALIB reached 3 times
        "onlychains": ["empty", "c2"],
        "top": ["nested", "runfirst"],
    }
    for name, children in chains.items():
        fast.register_collection(name, CollectionType.CHAINED)
        fast.set_chain(name, children)
    slow_conn = psycopg.connect(pg_url, autocommit=False)
    slow = calibcert.connect(slow_conn)

    def outcome(reg, *args):
        try:
            return ("ok", reg.find(*args))
        except calibcert.CalibCertError as exc:
            return (type(exc).__name__, str(exc))

    stored = [bias_id(1), bias_id(2), bias_id(3)]
    types = ["bias", "flat", "raw", "nosuchtype"]
    data_ids = [*stored, {"detector": 1, "instrument": "Cam"}, bias_id(99),
                {"instrument": "Cam"}, {"instrument": "Cam", "detector": 1, "extra": 2}]
    times = [t(2018, 6), t(2019, 6), t(2020), t(2021) - US, t(2021), t(2500), None,
             ts(2020, 2022), ts(None, None)]

    def grid(collections: list[str]) -> tuple[set, int]:
        seen: set = set()
        decided = 0
        fast._can_find_fast()
        for coll in collections:
            for dtype in types:
                for did in data_ids:
                    for at in times:
                        args = (coll, dtype, did, at)
                        got = outcome(fast, *args)
                        want = outcome(slow, *args)
                        slow_conn.rollback()
                        assert got == want, args
                        seen.add(got[0] if got[0] != "ok" else ("ok", got[1] is None))
                        if isinstance(at, calibcert.Timespan):
                            continue
                        direct = fast._find_probe(coll, dtype, did, at)
                        if direct is not _UNDECIDED:
                            decided += 1
                            assert ("ok", direct) == want, args
                        elif want[0] == "ok" and dtype == "bias" and did in stored:
                            raise AssertionError(f"fast path left {args} undecided")
        return seen, decided

    collections = [*chains, CALIB, "tagged", "other", "cal2", RUN, RUN2, "missing"]
    # every known collection x 4 stored data IDs (one in another key order) x 7 times
    every = (len(collections) - 1) * 4 * 7
    seen, decided = grid(collections)
    assert {("ok", True), ("ok", False), "MissingCollectionError", "MissingDatasetTypeError",
            "DataIdError", "CalibrationLookupError"} <= seen, seen
    assert decided == every, decided
    assert fast._find_probe("c3", "bias", bias_id(1), t(2020)) == a
    assert fast._find_probe("runfirst", "bias", bias_id(1), t(2020)) == b  # RUN2 first
    assert fast._find_probe("nested", "bias", bias_id(1), t(2018, 6)) == b  # cal2 first
    assert fast._find_probe("mixed", "bias", bias_id(1), None) == b  # tagged; CALIB skipped
    assert fast._find_probe("c3", "bias", bias_id(1), None) is None
    assert fast._find_probe("top", "bias", bias_id(99), t(2020)) is _UNDECIDED

    # The walk reads the chains live: change them (and a chain's members) and compare again.
    fast.set_chain("mixed", [RUN, "other"])
    fast.set_chain("c1", ["tagged", "cal2"])
    fast.remove_collection("top")
    fast.decertify(CALIB, "bias", ts(2020, t(2020, 7)))
    fast.register_collection("top", CollectionType.CALIBRATION)  # a chain no longer
    fast.certify("top", [c], ts(2020, None))
    seen, decided = grid(collections)
    assert decided == every, decided
    assert fast._find_probe("c3", "bias", bias_id(1), t(2020)) == b  # via tagged now
    assert fast.find("top", "bias", bias_id(2), t(2021)) == c
    slow.close()
    slow_conn.close()
    fast.close()


def test_lock_stress_script_runs_and_checks_its_two_assertions() -> None:
    # bench/stress_locks.py for 2 seconds with 3 processes: it completes, prints the counts
    # per outcome and both checks, and exits 0 (no single call failed with a deadlock,
    # nothing overlaps). Its figures are not looked at.
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "stress_locks.py"), "--seconds", "2",
         "--processes", "3"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "| single: certify | ok |" in proc.stdout
    assert "overlapping pairs: 0" in proc.stdout
    assert "OK: no single call failed with a deadlock, nothing overlaps" in proc.stdout
