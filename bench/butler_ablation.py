"""What each part of the certification table costs calibcert's writes in the Butler workload.

    python bench/butler_ablation.py [--epochs 20] [--rounds 3] [--decertifies 8]

A measurement, not a proposal: on a default-durability PostgreSQL (bench/butler.py's), one
database per variant, each a copy of one upgraded template with one part taken away by a
superuser (a foreign key dropped, the history trigger disabled, the exclusion constraint
dropped, or commits made asynchronous), runs the write phases of bench/butler_workload.py
(200-dataset certifies, single certifies, decertifies splitting 200 ranges) through the
client and prints ms per call for each variant and its difference from the intact schema.
Variants run in rounds, in a rotated order each round; the figure is the median over the
rounds of each round's mean. Without a part the database no longer keeps calibcert's rules:
these databases are thrown away.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import psycopg

import calibcert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from butler import DURABLE_SERVER_ARGS, _workload, log  # noqa: E402
from butler_workload import Workload  # noqa: E402
from calibcert.testing import server_url, start_server  # noqa: E402

#: variant -> statements run as superuser in its database before the workload
VARIANTS: dict[str, list[str]] = {
    "intact": [],
    "without certification_dataset_fkey": [
        "ALTER TABLE calib.certification DROP CONSTRAINT certification_dataset_fkey"],
    "without certification_collection_fkey": [
        "ALTER TABLE calib.certification DROP CONSTRAINT certification_collection_fkey"],
    "without the history trigger on delete": [
        "ALTER TABLE calib.certification DISABLE TRIGGER certification_versions_delete"],
    "without certification_no_overlap (GiST)": [
        "ALTER TABLE calib.certification DROP CONSTRAINT certification_no_overlap"],
    "synchronous_commit = off": [],  # set on the database: see database()
}
PHASES = ("certify", "single certify", "decertify")


def database(server, template: str, name: str, variant: str) -> str:
    admin = server_url(server, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        if variant == "synchronous_commit = off":
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = server_url(server, name)
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in VARIANTS[variant]:
            conn.execute(sql)
    return url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--decertifies", type=int, default=8,
                    help="decertify calls per variant and round (at most epochs / 2)")
    args = ap.parse_args(argv)
    w = Workload(detectors=200, epochs=args.epochs, lookups=0, decertifies=args.decertifies)
    server = start_server(postgres_args=DURABLE_SERVER_ARGS)
    try:
        with psycopg.connect(server_url(server, "postgres"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "template_calib"')
        calibcert.upgrade(server_url(server, "template_calib"))
        names = list(VARIANTS)
        figures: dict[str, dict[str, list[float]]] = {v: {p: [] for p in PHASES} for v in names}
        for r in range(args.rounds):
            for i in range(len(names)):
                variant = names[(i + r) % len(names)]
                url = database(server, "template_calib", f"v{i}", variant)
                reg = calibcert.connect(url)
                try:
                    seconds = _workload(reg, w)["seconds"]
                finally:
                    reg.close()
                for p in PHASES:
                    figures[variant][p].append(1e3 * statistics.mean(seconds[p]))
                log(f"round {r}: {variant}: " + ", ".join(
                    f"{p} {figures[variant][p][-1]:.2f} ms" for p in PHASES))
    finally:
        server.stop()
    base = {p: statistics.median(figures["intact"][p]) for p in PHASES}
    print(f"| variant | {' | '.join(f'{p} ms/call (Δ)' for p in PHASES)} |")
    print("|---|" + "---|" * len(PHASES))
    for v in names:
        cells = []
        for p in PHASES:
            m = statistics.median(figures[v][p])
            cells.append(f"{m:.2f}" if v == "intact" else f"{m:.2f} ({m - base[p]:+.2f})")
        print(f"| {v} | {' | '.join(cells)} |")
    print(f"\n{w.epochs} certify calls of 200, {w.detectors} single certifies, "
          f"{w.decertifies} decertifies of 200 per variant and round; {args.rounds} rounds; "
          "median over rounds of each round's mean")
    return 0


if __name__ == "__main__":
    sys.exit(main())
