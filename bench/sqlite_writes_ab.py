"""CPU time per call of two versions of the SQLite backend's writes, interleaved call by call
in one process (issue 17 item 2; bench/README.md "SQLite writes (revision 0018)").

    git -C /work/main archive HEAD | tar -x -C /tmp/sqmain      # the old tree
    PYTHONPATH=<new tree>/pyclient python bench/sqlite_writes_ab.py --old /tmp/sqmain
        [--ops certify,decertify,close_open_range,copy_collection] [--batches 1,10,200,2000]
        [--calls 200] [--datasets N]

bench/sqlite_writes_cpu.py run once per version in alternating processes still moved by
10-30 % between runs of the same code on the shared 2-core machine (its load moves the CPU
time too). Here the old tree's package is imported as ``calibcert_old`` (a copy under a
scratch directory, next to links to its sql/ and migrations/), each version gets a file of
its own with the same content, and the calls alternate one by one (old, new, then new, old),
so both see the same load. Prints the median and the mean CPU time per call of each and
their ratio (new / old). Both files are upgraded by the new tree: use it only when the schema
of both is the same.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import calibcert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import DATASET_TYPE, DIMENSIONS, data_id, epoch  # noqa: E402


def _old_package(tree: Path) -> Any:
    """The old tree's calibcert, importable as calibcert_old."""
    scratch = Path(tempfile.mkdtemp(prefix="calibcert-ab-"))
    shutil.copytree(tree / "pyclient" / "calibcert", scratch / "pyclient" / "calibcert_old")
    for name in ("sql", "migrations"):  # found as in a source tree (schema._resource_dir)
        (scratch / name).symlink_to(tree.resolve() / name)
    sys.path.insert(0, str(scratch / "pyclient"))
    return importlib.import_module("calibcert_old")


def _calls(mod: Any, reg: Any, refs: list[Any], op: str, b: int, n: int,
           serial: Any) -> list[Callable[[], Any]]:
    """bench/sqlite_writes_cpu.py's calls (set up here, untimed)."""
    span = mod.Timespan

    def calib(prefix: str) -> str:
        name = f"{prefix}/{next(serial)}"
        reg.register_collection(name, mod.CollectionType.CALIBRATION)
        return name

    calls: list[Callable[[], Any]] = []
    if op == "decertify":
        for _ in range(n):
            c = calib("decertify")
            reg.certify(c, refs[:b], span(epoch(0), epoch(4)))
            calls.append(lambda c=c: reg.decertify(c, DATASET_TYPE, span(epoch(1), epoch(2))))
    elif op == "close_open_range":
        for _ in range(n):
            c = calib("close")
            reg.certify(c, refs[:b], span(epoch(0), None))
            calls.append(lambda c=c: reg.close_open_range(c, DATASET_TYPE, epoch(1)))
    elif op == "copy_collection":
        src = calib("copy-source")
        reg.certify(src, refs[:b], span(epoch(0), epoch(1)))
        calls = [lambda: reg.copy_collection(src, f"copy/{next(serial)}") for _ in range(n)]
    elif op == "certify":
        c = calib("certify")
        calls = [lambda lo=i * b, hi=(i + 1) * b: reg.certify(c, refs[lo:hi],
                                                             span(epoch(0), epoch(1)))
                 for i in range(min(n, len(refs) // b))]
    else:
        raise SystemExit(f"unknown operation {op!r}")
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, type=Path, help="the old tree (its root)")
    ap.add_argument("--ops", default="certify,decertify,close_open_range,copy_collection")
    ap.add_argument("--batches", default="1,10,200,2000")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--datasets", type=int, default=20_000)
    args = ap.parse_args()
    batches = [int(x) for x in args.batches.split(",")]
    versions: dict[str, tuple[Any, Any, list[Any]]] = {}
    for name, mod in (("old", _old_package(args.old)), ("new", calibcert)):
        url = f"sqlite:///{tempfile.mkdtemp(prefix='calibcert-ab-')}/bench.db"
        calibcert.upgrade(url)
        reg = mod.connect(url)
        reg.register_dataset_type(DATASET_TYPE, DIMENSIONS)
        reg.register_collection("run/1", mod.CollectionType.RUN)
        refs = reg.insert_datasets(DATASET_TYPE, "run/1", [
            data_id(k) for k in range(max(args.datasets, max(batches)))])
        versions[name] = (mod, reg, refs)
    serial = iter(range(10**9))
    for b in batches:
        n = max(1, min(args.calls, 20_000 // b))
        for op in args.ops.split(","):
            calls = {name: _calls(mod, reg, refs, op, b, n, serial)
                     for name, (mod, reg, refs) in versions.items()}
            cpu: dict[str, list[float]] = {"old": [], "new": []}
            for i in range(min(len(c) for c in calls.values())):
                for name in (("old", "new") if i % 2 == 0 else ("new", "old")):
                    t0 = time.process_time()
                    calls[name][i]()
                    cpu[name].append(time.process_time() - t0)
            mo, mn = (statistics.median(cpu[v]) * 1e6 for v in ("old", "new"))
            ao, an = (statistics.fmean(cpu[v]) * 1e6 for v in ("old", "new"))
            print(f"{op:18s} {b:6d} rows/call: median old {mo:9.1f} new {mn:9.1f} us"
                  f" ({mn / mo:.2f}); mean old {ao:9.1f} new {an:9.1f} us ({an / ao:.2f});"
                  f" {len(cpu['old'])} calls each", flush=True)


if __name__ == "__main__":
    main()
