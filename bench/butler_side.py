"""The Butler's half of bench/butler.py: runs inside the Butler's virtual environment.

    BUTLER_VENV/bin/python bench/butler_side.py --root DIR [--db URL] --detectors 200
                                                 --epochs 50 --lookups 1000

Makes a Butler repository in DIR (its SQLite registry there, or its PostgreSQL registry in
the database at ``--db``), stores the workload's datasets (untimed), then times each phase
of bench/butler_workload.py through the Butler's public API (``Registry.certify``,
``Registry.decertify``, ``Butler.find_dataset`` with ``timespan=Timespan.fromInstant``),
checks every answer, and prints one JSON object: seconds per call for each phase and the
versions. Progress goes to stderr. Any failure raises (non-zero exit): the caller reports it.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import astropy.time
import lsst.daf.butler
from lsst.daf.butler import Butler, CollectionType, Config, DatasetType, Timespan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from butler_workload import (  # noqa: E402
    CHAIN_DEPTH,
    DATASET_TYPE,
    DIMENSIONS,
    INSTRUMENT,
    Workload,
)


def log(msg: str) -> None:
    print(f"[butler {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def tai(t: datetime) -> astropy.time.Time:
    """A UTC datetime as the Butler holds times: an astropy Time in TAI."""
    return astropy.time.Time(t.replace(tzinfo=None), scale="utc").tai


def timespan(span: tuple[datetime, datetime]) -> Timespan:
    return Timespan(tai(span[0]), tai(span[1]))


def make_butler(root: str, db: str | None) -> Butler:
    config = Config({"registry": {"db": db}}) if db else None
    Butler.makeRepo(root, config=config)
    return Butler.from_config(root, writeable=True)


def run(w: Workload, root: str, db: str | None) -> dict[str, object]:
    butler = make_butler(root, db)
    reg = butler.registry
    log(f"repository {root} ({'PostgreSQL' if db else 'SQLite'} registry); storing "
        f"{w.detectors * (w.epochs + 1)} datasets")
    reg.insertDimensionData("instrument", {
        "name": INSTRUMENT, "detector_max": max(1000, w.detectors), "visit_max": 1,
        "exposure_max": 1, "class_name": "bench.Cam"})
    reg.insertDimensionData("detector", *[
        {"instrument": INSTRUMENT, "id": k, "full_name": f"D{k:03d}"}
        for k in range(w.detectors)])
    dtype = DatasetType(DATASET_TYPE, DIMENSIONS, "StructuredDataDict",
                        universe=butler.dimensions, isCalibration=True)
    reg.registerDatasetType(dtype)
    refs = []  # refs[j][k]: detector k's dataset of epoch j, in RUN run/j
    for j in range(w.epochs + 1):
        reg.registerRun(f"run/{j}")
        refs.append(reg.insertDatasets(dtype, [w.data_id(k) for k in range(w.detectors)],
                                       run=f"run/{j}"))
    reg.registerCollection("calib", CollectionType.CALIBRATION)
    previous = "calib"
    for level in range(1, CHAIN_DEPTH + 1):
        reg.registerCollection(f"chain/{level}", CollectionType.CHAINED)
        reg.setCollectionChain(f"chain/{level}", [previous])
        previous = f"chain/{level}"
    chain = previous

    out: dict[str, list[float]] = {}

    spans = [timespan(w.span(j)) for j in range(w.epochs + 1)]
    each = []
    for j in range(w.epochs):
        t0 = time.perf_counter()
        reg.certify("calib", refs[j], spans[j])
        each.append(time.perf_counter() - t0)
    out["certify"] = each
    log(f"certify: {w.epochs} calls of {w.detectors}, {sum(each):.2f} s")

    each = []
    for ref in refs[w.epochs]:
        t0 = time.perf_counter()
        reg.certify("calib", [ref], spans[w.epochs])
        each.append(time.perf_counter() - t0)
    out["single certify"] = each
    log(f"single certify: {len(each)} calls, {sum(each):.2f} s")

    questions = w.questions()
    instants = [Timespan.fromInstant(tai(at)) for _, _, at in questions]
    data_ids = [w.data_id(k) for k, _, _ in questions]
    expected = [refs[j][k].id for k, j, _ in questions]
    for phase, collection in (("point lookup", "calib"), ("chain lookup", chain)):
        each, found = [], []
        for d, ts in zip(data_ids, instants, strict=True):
            t0 = time.perf_counter()
            ref = butler.find_dataset(DATASET_TYPE, d, collections=collection, timespan=ts)
            each.append(time.perf_counter() - t0)
            found.append(None if ref is None else ref.id)
        wrong = sum(1 for a, b in zip(found, expected, strict=True) if a != b)
        if wrong:
            raise AssertionError(f"{phase}: {wrong} of {len(found)} answers wrong")
        out[phase] = each
        log(f"{phase}: {len(each)} calls, {sum(each):.2f} s")

    each = []
    for cut in [timespan(s) for s in w.decertify_spans]:
        t0 = time.perf_counter()
        reg.decertify("calib", DATASET_TYPE, cut)
        each.append(time.perf_counter() - t0)
    out["decertify"] = each
    stored = len(list(reg.queryDatasetAssociations(DATASET_TYPE, collections="calib")))
    if stored != w.expected_after:
        raise AssertionError(f"{stored} certifications after decertify, "
                             f"expected {w.expected_after}")
    log(f"decertify: {len(each)} calls, {sum(each):.3f} s; {stored} certifications stored")
    return {
        "seconds": out,
        "versions": {
            "lsst-daf-butler": lsst.daf.butler.__version__,
            "astropy": astropy.__version__, "python": platform.python_version(),
            "sqlalchemy": __import__("sqlalchemy").__version__,
            "dimension universe": butler.dimensions.version,
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", required=True, help="directory for the repository (new)")
    ap.add_argument("--db", help="PostgreSQL URL for the registry (default: SQLite in root)")
    ap.add_argument("--detectors", type=int, default=Workload.detectors)
    ap.add_argument("--epochs", type=int, default=Workload.epochs)
    ap.add_argument("--lookups", type=int, default=Workload.lookups)
    ap.add_argument("--decertifies", type=int, default=Workload.decertifies)
    args = ap.parse_args()
    w = Workload(args.detectors, args.epochs, args.lookups, args.decertifies)
    print(json.dumps(run(w, args.root, args.db)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
