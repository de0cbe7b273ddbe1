"""Peak RSS of a client certifying N datasets in one call (run by bench/run.py --memory).

    python bench/memory.py URL N

The datasets (ids UUID(int=1..N), see run.memory_id) already exist; this process connects,
notes its RSS, then certifies all N into CALIBRATION collection ``mem`` in one ``certify``
call fed by a generator, and prints JSON: baseline and peak RSS (MB), seconds.

Peak RSS is VmHWM from /proc/self/status, the high-water mark of this program's own memory.
getrusage's ru_maxrss is not usable here: Linux carries the parent's resident size over
into a child's ru_maxrss at exec, so a probe started by a 200 MB benchmark process would
report at least 200 MB whatever it did. ru_maxrss is printed too, for the record.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import uuid
from datetime import datetime, timezone

import calibcert
from calibcert import Timespan


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2])
    reg = calibcert.connect(url)
    baseline = status_mb("VmHWM")
    t0 = time.perf_counter()
    stored = reg.certify("mem", (uuid.UUID(int=k + 1) for k in range(n)),
                         Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc), None))
    seconds = time.perf_counter() - t0
    reg.close()
    assert stored == n, stored
    print(json.dumps({"n": n, "baseline_mb": baseline, "peak_mb": status_mb("VmHWM"),
                      "ru_maxrss_mb": maxrss_mb(), "seconds": seconds}))


if __name__ == "__main__":
    main()
