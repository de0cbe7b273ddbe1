"""Peak RSS of a client certifying N datasets in one call (run by bench/run.py --memory).

    python bench/memory.py URL N

The datasets (ids UUID(int=1..N), see run.memory_id) already exist; this process connects,
notes its RSS, then certifies all N into CALIBRATION collection ``mem`` in one ``certify``
call fed by a generator, and prints JSON: baseline and peak RSS (MB), seconds.
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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    url, n = sys.argv[1], int(sys.argv[2])
    reg = calibcert.connect(url)
    baseline = rss_mb()
    t0 = time.perf_counter()
    stored = reg.certify("mem", (uuid.UUID(int=k + 1) for k in range(n)),
                         Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc), None))
    seconds = time.perf_counter() - t0
    reg.close()
    assert stored == n, stored
    print(json.dumps({"n": n, "baseline_mb": baseline, "peak_mb": rss_mb(),
                      "seconds": seconds}))


if __name__ == "__main__":
    main()
