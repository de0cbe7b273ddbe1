"""The Butler's side of tests/test_butler_roundtrip.py: runs inside the Butler's virtual
environment (calibcert.testing.butler_python), never imports calibcert, and speaks JSON.

    python butler_side.py build ROOT EXPORT.yaml     # a repository, exported; prints its dump
    python butler_side.py find ROOT                  # queries on stdin, answers on stdout
    python butler_side.py load FILE.yaml             # a fresh repository importing FILE
                                                     # registry-only; prints its dump

The repository (``build``): instrument Cam, detectors 0-2; calibration types ``bias`` and
``flat`` (StructuredDataDict: Butler.export only exports datasets whose files exist, so
each is a small YAML file); RUNs ``Cam/calib/run1`` and ``run2``; CALIBRATION ``Cam/calib``:
bias per detector over [2015-06-01, 2017-06-01) (run1) and from 2017-06-01 on (run2), a gap
decertified over [2016-12-31T12:00, 2017-01-01T12:00) around the leap second that ended
2016 (splitting each first range), flat for detector 0 unbounded before 2024 with a gap
in January 2020, and flat for detector 1 over [2016-12-31T23:59:59.999999,
2017-01-01T00:00:00.000001): two microseconds of UTC that hold a leap second of TAI;
TAGGED ``Cam/calib/tagged`` (the run2 biases); CHAINED ``Cam/calib/chain`` = [Cam/calib,
Cam/calib/tagged]. Times on this side's JSON are UTC ISO strings with microseconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime

import astropy.time
from lsst.daf.butler import Butler, CollectionType, DatasetType, Timespan

INSTRUMENT = "Cam"
DETECTORS = (0, 1, 2)
CALIB, TAGGED, CHAIN = "Cam/calib", "Cam/calib/tagged", "Cam/calib/chain"
RUN1, RUN2 = "Cam/calib/run1", "Cam/calib/run2"
TYPES = ("bias", "flat")
ONE_NS = astropy.time.TimeDelta(1e-9, format="sec")


def tai(text: str | None) -> astropy.time.Time | None:
    """A UTC ISO instant as the Butler holds it (TAI); None stays unbounded."""
    if text is None:
        return None
    return astropy.time.Time(datetime.fromisoformat(text.replace("Z", "")), scale="utc").tai


def utc(t: astropy.time.Time | None) -> str | None:
    if t is None:
        return None
    return t.utc.to_datetime().isoformat(timespec="microseconds") + "Z"


def span(begin: str | None, end: str | None) -> Timespan:
    return Timespan(tai(begin), tai(end))


def make_repo(root: str) -> Butler:
    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True)
    reg = butler.registry
    reg.insertDimensionData("instrument", {
        "name": INSTRUMENT, "detector_max": 3, "visit_max": 1, "exposure_max": 1,
        "class_name": "tests.Cam"})
    reg.insertDimensionData("detector", *[
        {"instrument": INSTRUMENT, "id": k, "full_name": f"D{k}"} for k in DETECTORS])
    return butler


def build(root: str, out: str) -> dict:
    butler = make_repo(root)
    reg = butler.registry
    for name in TYPES:
        reg.registerDatasetType(DatasetType(
            name, ("instrument", "detector"), "StructuredDataDict",
            universe=butler.dimensions, isCalibration=True))
    refs: dict[tuple[str, str], list] = {}
    for run in (RUN1, RUN2):
        reg.registerRun(run)
        refs["bias", run] = [butler.put({"detector": k}, "bias",
                                        {"instrument": INSTRUMENT, "detector": k}, run=run)
                             for k in DETECTORS]
    flats = [butler.put({"detector": k}, "flat", {"instrument": INSTRUMENT, "detector": k},
                        run=RUN1) for k in (0, 1)]
    reg.registerCollection(CALIB, CollectionType.CALIBRATION, doc="biases and flats of Cam")
    reg.certify(CALIB, refs["bias", RUN1], span("2015-06-01T00:00:00", "2017-06-01T00:00:00"))
    reg.certify(CALIB, refs["bias", RUN2], span("2017-06-01T00:00:00", None))
    reg.certify(CALIB, flats[:1], span(None, "2024-01-01T00:00:00"))
    reg.certify(CALIB, flats[1:], span("2016-12-31T23:59:59.999999",
                                       "2017-01-01T00:00:00.000001"))
    reg.decertify(CALIB, "bias", span("2016-12-31T12:00:00", "2017-01-01T12:00:00"))
    reg.decertify(CALIB, "flat", span("2020-01-01T00:00:00", "2020-02-01T00:00:00"),
                  dataIds=[{"instrument": INSTRUMENT, "detector": 0}])
    reg.registerCollection(TAGGED, CollectionType.TAGGED)
    reg.associate(TAGGED, refs["bias", RUN2])
    reg.registerCollection(CHAIN, CollectionType.CHAINED)
    reg.setCollectionChain(CHAIN, [CALIB, TAGGED])
    datasets = list(reg.queryDatasets(..., collections=[RUN1, RUN2]))
    with butler.export(filename=out, format="yaml") as export:
        export.saveDatasets(datasets)
        for name in (CALIB, TAGGED, CHAIN):
            export.saveCollection(name)
    return dump(butler)


def dump(butler: Butler) -> dict:
    """Every certification of CALIB, the chain, the tagged collection."""
    reg = butler.registry
    certs = sorted(([name, str(a.ref.id), a.ref.dataId["detector"], utc(a.timespan.begin),
                     utc(a.timespan.end)]
                    for name in TYPES
                    for a in reg.queryDatasetAssociations(name, collections=CALIB)),
                   key=json.dumps)  # rows hold None (unbounded): sorted as JSON text
    return {"certifications": certs,
            "chain": list(reg.getCollectionChain(CHAIN)),
            "tagged": sorted(str(r.id) for r in reg.queryDatasets("bias", collections=TAGGED))}


def find(root: str, queries: list[dict]) -> list[str | None]:
    """For each {collection, dataset_type, detector, time}: the dataset id the Butler finds
    valid at that instant (a timespan of one nanosecond), or None; 'ambiguous' when it
    refuses to choose."""
    butler = Butler.from_config(root)
    out: list[str | None] = []
    for q in queries:
        t = tai(q["time"])
        try:
            ref = butler.registry.findDataset(
                q["dataset_type"], instrument=INSTRUMENT, detector=q["detector"],
                collections=[q["collection"]], timespan=Timespan(t, t + ONE_NS))
        except Exception as exc:  # the Butler's own ambiguity error, named for the test
            out.append(f"error: {type(exc).__name__}")
            continue
        out.append(None if ref is None else str(ref.id))
    return out


def load(root: str, file: str) -> dict:
    butler = make_repo(root)
    butler.import_(filename=file, format="yaml", without_datastore=True)
    return dump(butler)


def main(argv: list[str]) -> int:
    command = argv[0]
    if command == "build":
        result: object = build(argv[1], argv[2])
    elif command == "find":
        result = find(argv[1], json.load(sys.stdin))
    elif command == "load":
        with tempfile.TemporaryDirectory() as tmp:
            result = load(f"{tmp}/repo", argv[1])
    else:
        raise SystemExit(f"unknown command {command!r}")
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
