"""PostgreSQL small writes, before against after, by the server's CPU time (revision 0018).

    python bench/writes_cpu_ab.py [--ref main] [--ops decertify,close_open_range,certify]
                                  [--rows 1] [--calls 400] [--helpers _check_change]
                                  [--epoch-lock]

One throw-away server with the test settings (fsync off: the per-call work shows), one
database upgraded to head. The typed form of each operation is installed again from git
``--ref`` under the name ``calib.<op>_ref``, calling the ``--ref`` definitions of the
``--helpers`` as ``calib.<helper>_ref`` (so the old side runs the old helpers too). Each of
``--calls`` rounds (after 10 untimed ones) makes one call on each side, the order
alternating, on a collection set up beforehand with ``--rows`` certifications of one
dataset type (as bench/writes_ab.py: decertify splits each, close_open_range closes each);
a call is timed by
the CPU time the server process spent on it (/proc/PID/schedstat: time on a CPU, not
waiting for one) and by the wall clock. The machine is shared: alternating call by call
spreads the load over both sides, and CPU time does not count the time the process waited
for a core. Prints the medians (and quartiles) of each side and new / ref. A control:
``--ref HEAD`` measures two identical definitions under two names (the ratio is then the
noise and the bias of the method, ~0.97-1.03 in revision 0018's runs).

``--epoch-lock`` (revision 0019) compares the commit instead: the ref side's changes are
numbered by ``--ref``'s ``calib._stamp_epoch`` (installed as ``calib._stamp_epoch_ref``),
the new side's by the head's. The trigger change_epoch is replaced by two constraint
triggers, each with a WHEN clause on the setting ``bench.side`` (set before each call,
untimed), so both sides evaluate the same two conditions; with ``--ref HEAD`` it is the
control. Op ``certify`` certifies the ``--rows`` datasets into a fresh collection.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

import calibcert

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 10
CALLS = {
    "decertify": ("select calib.{fn}(%s::text, 'bias'::text,"
                  " tstzrange('2020-01-02+00', '2020-01-03+00'))", "'2020-01-05+00'"),
    "close_open_range": ("select calib.{fn}(%s::text, 'bias'::text,"
                         " '2020-01-02+00'::timestamptz)", "NULL"),
    # (revision 0019) into a fresh collection: nothing certified beforehand
    "certify": ("select calib.{fn}(%s::text, {ids}, tstzrange('2020-01-01+00', NULL))", None),
}
#: --epoch-lock: the one trigger that numbers a change, split in two by the side.
EPOCH_TRIGGERS = """
DROP TRIGGER change_epoch ON calib.change;
CREATE CONSTRAINT TRIGGER change_epoch AFTER INSERT ON calib.change
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (pg_catalog.current_setting('bench.side', true) IS DISTINCT FROM 'ref')
    EXECUTE FUNCTION calib._stamp_epoch();
CREATE CONSTRAINT TRIGGER change_epoch_ref AFTER INSERT ON calib.change
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (pg_catalog.current_setting('bench.side', true) = 'ref')
    EXECUTE FUNCTION calib._stamp_epoch_ref();
"""


def ref_definition(ref: str, name: str, helpers: list[str]) -> str:
    """The first CREATE FUNCTION of sql/functions/<name>.sql at ``ref``, renamed <name>_ref,
    its calls of ``helpers`` renamed likewise."""
    sql = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:sql/functions/{name}.sql"],
                         check=True, capture_output=True, text=True).stdout
    second = sql.find(f"CREATE OR REPLACE FUNCTION calib.{name}(", 10)
    sql = sql if second < 0 else sql[:second]
    sql = sql.replace(f"FUNCTION calib.{name}(", f"FUNCTION calib.{name}_ref(", 1)
    for h in helpers:
        if h != name:
            sql = re.sub(rf"calib\.{h}\(", f"calib.{h}_ref(", sql)
    return sql


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="main")
    ap.add_argument("--ops", default="decertify,close_open_range")
    ap.add_argument("--rows", type=int, default=1, help="certifications per call")
    ap.add_argument("--calls", type=int, default=400, help="calls per side")
    ap.add_argument("--helpers", default="_check_change",
                    help="helpers whose --ref definitions the old side calls")
    ap.add_argument("--epoch-lock", action="store_true",
                    help="the ref side's commits numbered by --ref's calib._stamp_epoch")
    args = ap.parse_args(argv)
    from calibcert.testing import SERVER_ARGS, server_url, start_server

    helpers = [h for h in args.helpers.split(",") if h]
    server = start_server(postgres_args=SERVER_ARGS)
    try:
        url = server_url(server, "postgres")
        calibcert.upgrade(url)
        conn = psycopg.connect(url, autocommit=True)
        for h in helpers:
            conn.execute(ref_definition(args.ref, h, helpers))
        for op in args.ops.split(","):
            conn.execute(ref_definition(args.ref, op, helpers))
        if args.epoch_lock:
            conn.execute(ref_definition(args.ref, "_stamp_epoch", []))
            conn.execute(EPOCH_TRIGGERS)
        conn.execute("select calib.register_dataset_type('bias', ARRAY['detector'])")
        conn.execute("select calib.register_collection('run', 'RUN')")
        ids = [r[0] for r in conn.execute(
            "select dataset_id from calib.insert_datasets('bias', 'run', (select"
            " array_agg(jsonb_build_object('detector', d)) from generate_series(1, %s) d))",
            (args.rows,))]
        pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        stat = Path(f"/proc/{pid}/schedstat")
        serial = 0
        for op in args.ops.split(","):
            call, upper = CALLS[op]
            names = []
            for _ in range(2 * (args.calls + WARMUP)):
                serial += 1
                names.append(f"c{serial}")
                conn.execute("select calib.register_collection(%s::text, 'CALIBRATION')",
                             (names[-1],))
                if upper is not None:
                    conn.execute("select calib.certify(%s::text, %s::uuid[],"
                                 f" tstzrange('2020-01-01+00', {upper}))", (names[-1], ids))
            literal = "ARRAY[" + ", ".join(f"'{i}'" for i in ids) + "]::uuid[]"
            queries = {"ref": call.format(fn=f"{op}_ref", ids=literal),
                       "new": call.format(fn=op, ids=literal)}
            cpu: dict[str, list[float]] = {"ref": [], "new": []}
            wall: dict[str, list[float]] = {"ref": [], "new": []}
            for _ in range(WARMUP):  # PL/pgSQL compiles, plans cached: not timed
                for side in ("ref", "new"):
                    conn.execute("select set_config('bench.side', %s, false)", (side,))
                    conn.execute(queries[side], (names.pop(),))
            for i in range(args.calls):
                for side in (("ref", "new") if i % 2 == 0 else ("new", "ref")):
                    conn.execute("select set_config('bench.side', %s, false)", (side,))
                    c0 = int(stat.read_text().split()[0])
                    w0 = time.perf_counter()
                    conn.execute(queries[side], (names.pop(),))
                    wall[side].append((time.perf_counter() - w0) * 1e6)
                    cpu[side].append((int(stat.read_text().split()[0]) - c0) / 1000)
            print(f"{op} x{args.rows}, {args.calls} calls per side, ref = {args.ref}"
                  + (" (ref side: --ref's calib._stamp_epoch)" if args.epoch_lock else ""))
            for side in ("ref", "new"):
                q = statistics.quantiles(cpu[side], n=4)
                print(f"  {side}: server CPU median {statistics.median(cpu[side]):.0f} us"
                      f" (quartiles {q[0]:.0f}-{q[2]:.0f}), wall median"
                      f" {statistics.median(wall[side]):.0f} us")
            med = {k: (statistics.median(cpu[k]), statistics.median(wall[k])) for k in cpu}
            print(f"  new/ref: CPU {med['new'][0] / med['ref'][0]:.3f},"
                  f" wall {med['new'][1] / med['ref'][1]:.3f}")
        conn.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
