"""What history (revision 0014) costs on SQLite: the same workload run by the client before
the ledger and by this one, in fresh processes, alternating which goes first; medians of a
few repeats. See bench/README.md "History on SQLite".

    git archive <commit-before-the-ledger> pyclient migrations sql | tar -x -C /tmp/before
    python bench/history_cost_sqlite.py --before /tmp/before [--bulk 100000] [--calls 50]
        [--finds 20000] [--repeats 3]

The workload (default durability: WAL, synchronous=NORMAL, as users run it): one certify of
--bulk datasets in one call; --calls certify calls of 200 datasets each (autocommit); --finds
single find calls at the current epoch, and one find_many of 10^4 instants; the
insert_datasets of the datasets is timed too (their versions are copied). Only the public
API is used, so both clients run the very same code here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def workload(bulk: int, calls: int, finds: int) -> dict[str, float]:
    import calibcert
    from calibcert import CollectionType, Timespan

    utc = timezone.utc
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        calibcert.upgrade(url)
        with calibcert.connect(url) as reg:
            reg.register_dataset_type("bias", ("instrument", "detector"))
            reg.register_collection("run", CollectionType.RUN)
            n = max(bulk, calls * 200)
            start = time.perf_counter()
            refs = reg.insert_datasets("bias", "run", [{"instrument": "Cam", "detector": i}
                                                       for i in range(n)])
            inserted = time.perf_counter() - start
            span = Timespan(datetime(2020, 1, 1, tzinfo=utc), None)
            reg.register_collection("bulk", CollectionType.CALIBRATION)
            start = time.perf_counter()
            reg.certify("bulk", refs[:bulk], span)
            out = {"bulk certify (s)": time.perf_counter() - start}
            out["insert_datasets of the same (s)"] = inserted
            reg.register_collection("calls", CollectionType.CALIBRATION)
            start = time.perf_counter()
            for i in range(calls):
                reg.certify("calls", refs[i * 200:(i + 1) * 200], span)
            out["200-row certify (ms/call)"] = (time.perf_counter() - start) / calls * 1e3
            at = datetime(2021, 1, 1, tzinfo=utc)
            start = time.perf_counter()
            for i in range(finds):
                reg.find("bulk", "bias", {"instrument": "Cam", "detector": i % bulk}, at)
            out["find (us/call)"] = (time.perf_counter() - start) / finds * 1e6
            queries = [({"instrument": "Cam", "detector": i % bulk}, at) for i in range(10_000)]
            start = time.perf_counter()
            reg.find_many("bulk", "bias", queries)
            out["find_many 10^4 (ms)"] = (time.perf_counter() - start) * 1e3
    return out


def run(pythonpath: str, args: argparse.Namespace) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--workload", "--bulk", str(args.bulk),
         "--calls", str(args.calls), "--finds", str(args.finds)],
        env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", help="a checkout of the client before the ledger")
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--finds", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workload", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.workload:
        print(json.dumps(workload(args.bulk, args.calls, args.finds)))
        return
    if not args.before:
        parser.error("--before is required")
    paths = {"before": str(Path(args.before).resolve() / "pyclient"),
             "after": str(HERE.parent / "pyclient")}
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for repeat in range(args.repeats):
        for which in (("before", "after") if repeat % 2 == 0 else ("after", "before")):
            results[which].append(run(paths[which], args))
    print(f"| measure | before the ledger | with history | ratio |  (medians of {args.repeats})")
    print("|---|---|---|---|")
    for key in results["before"][0]:
        b = statistics.median(r[key] for r in results["before"])
        a = statistics.median(r[key] for r in results["after"])
        print(f"| {key} | {b:.3g} | {a:.3g} | {a / b:.2f} |")


if __name__ == "__main__":
    main()
