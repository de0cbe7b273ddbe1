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
