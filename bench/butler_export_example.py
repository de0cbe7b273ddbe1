"""A small Butler export with calibrations: groundwork for issue 19 (not a test).

    ~/.cache/calibcert/butler-venv/bin/python bench/butler_export_example.py OUT.yaml

Runs inside the Butler's virtual environment (bench/butler.py makes it). Makes a throw-away
Butler repository (SQLite registry) holding:

- instrument ``Cam`` with detectors 0, 1, 2; dataset types ``bias`` and ``flat`` (calibration
  types, dimensions instrument + detector, storage class StructuredDataDict: each dataset is
  a small YAML file written by ``Butler.put``, because ``Butler.export`` exports the files of
  the datasets it saves);
- RUN collections ``Cam/calib/run1`` and ``Cam/calib/run2``;
- CALIBRATION ``Cam/calib``: ``bias`` certified per detector over [2015-06-01, 2017-06-01)
  (run1) and [2017-06-01, open) (run2), then a decertified gap [2016-12-31T12:00,
  2017-01-01T12:00) around the leap second of 2016-12-31 (which splits each first range in
  two), and ``flat`` over (unbounded, 2024-01-01) for detector 0 with a gap decertified
  over [2020-01-01, 2020-02-01) for detector 0 only;
- TAGGED ``Cam/calib/tagged`` with the run2 biases;
- CHAINED ``Cam/calib/chain`` = [``Cam/calib``, ``Cam/calib/tagged``].

then writes ``Butler.export(filename=OUT, format="yaml")`` with ``saveDatasets`` (every
dataset, with its dimension records) and ``saveCollection`` for the three collections, and
checks that ``Butler.import_`` of that file into a fresh repository gives the same
certifications (same dataset ids, same timespans), the same chain and tagged collection,
both with the files (``directory=``, ``transfer="copy"``) and registry-only
(``without_datastore=True``).

What the Butler requires (found here, for issue 19): ``Butler.export`` only exports datasets
whose files its datastore holds (a registry-only dataset made with ``insertDatasets`` raises
FileNotFoundError in ``saveDatasets``); ``Butler.import_`` needs a ``path`` for every dataset
record (without one: ValueError), and reads the files unless ``without_datastore=True``.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime

import astropy.time
from lsst.daf.butler import Butler, CollectionType, DatasetType, Timespan

INSTRUMENT = "Cam"
DETECTORS = (0, 1, 2)
CALIB, TAGGED, CHAIN = "Cam/calib", "Cam/calib/tagged", "Cam/calib/chain"
RUN1, RUN2 = "Cam/calib/run1", "Cam/calib/run2"


def tai(text: str | None) -> astropy.time.Time | None:
    """An ISO UTC instant as the Butler holds it (TAI); None stays unbounded."""
    if text is None:
        return None
    return astropy.time.Time(datetime.fromisoformat(text), scale="utc").tai


def span(begin: str | None, end: str | None) -> Timespan:
    return Timespan(tai(begin), tai(end))


def certifications(butler: Butler) -> set[tuple[str, str, int, str, str]]:
    """(type, id, detector, begin, end) of every certification in CALIB."""
    out = set()
    for name in ("bias", "flat"):
        for assoc in butler.registry.queryDatasetAssociations(name, collections=CALIB):
            ts = assoc.timespan
            out.add((name, str(assoc.ref.id), assoc.ref.dataId["detector"],
                     str(ts.begin and ts.begin.utc.isot), str(ts.end and ts.end.utc.isot)))
    return out


def build(root: str) -> Butler:
    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True)
    reg = butler.registry
    reg.insertDimensionData("instrument", {
        "name": INSTRUMENT, "detector_max": 3, "visit_max": 1, "exposure_max": 1,
        "class_name": "bench.Cam"})
    reg.insertDimensionData("detector", *[
        {"instrument": INSTRUMENT, "id": k, "full_name": f"D{k}"} for k in DETECTORS])
    for name in ("bias", "flat"):
        reg.registerDatasetType(DatasetType(
            name, ("instrument", "detector"), "StructuredDataDict",
            universe=butler.dimensions, isCalibration=True))
    refs: dict[tuple[str, str], list] = {}
    for run in (RUN1, RUN2):
        reg.registerRun(run)
        refs["bias", run] = [
            butler.put({"detector": k, "run": run}, "bias",
                       {"instrument": INSTRUMENT, "detector": k}, run=run)
            for k in DETECTORS]
    refs["flat", RUN1] = [butler.put({"detector": 0}, "flat",
                                     {"instrument": INSTRUMENT, "detector": 0}, run=RUN1)]

    reg.registerCollection(CALIB, CollectionType.CALIBRATION,
                           doc="biases and flats of Cam, with decertified gaps")
    reg.certify(CALIB, refs["bias", RUN1], span("2015-06-01T00:00:00", "2017-06-01T00:00:00"))
    reg.certify(CALIB, refs["bias", RUN2], span("2017-06-01T00:00:00", None))
    reg.certify(CALIB, refs["flat", RUN1], span(None, "2024-01-01T00:00:00"))
    # A gap straddling the leap second at the end of 2016 (TAI - UTC: 36 s -> 37 s).
    reg.decertify(CALIB, "bias", span("2016-12-31T12:00:00", "2017-01-01T12:00:00"))
    reg.decertify(CALIB, "flat", span("2020-01-01T00:00:00", "2020-02-01T00:00:00"),
                  dataIds=[{"instrument": INSTRUMENT, "detector": 0}])

    reg.registerCollection(TAGGED, CollectionType.TAGGED)
    reg.associate(TAGGED, refs["bias", RUN2])
    reg.registerCollection(CHAIN, CollectionType.CHAINED)
    reg.setCollectionChain(CHAIN, [CALIB, TAGGED])
    return butler


def main(out: str) -> int:
    with tempfile.TemporaryDirectory(prefix="butler-export-") as tmp:
        butler = build(f"{tmp}/repo")
        datasets = list(butler.registry.queryDatasets(..., collections=[RUN1, RUN2]))
        with butler.export(filename=out, format="yaml") as export:
            export.saveDatasets(datasets)
            for name in (CALIB, TAGGED, CHAIN):
                export.saveCollection(name)
        # The file must come back through the Butler's own import, unchanged: with the
        # files (directory = the exporting repository), and registry-only
        # (without_datastore=True: the `path` entries are then not read, but must be there).
        before = certifications(butler)
        for name, kwargs in (("copy", {"directory": f"{tmp}/repo", "transfer": "copy"}),
                             ("registry-only", {"without_datastore": True})):
            Butler.makeRepo(f"{tmp}/{name}")
            copy = Butler.from_config(f"{tmp}/{name}", writeable=True)
            copy.import_(filename=out, format="yaml", **kwargs)
            after = certifications(copy)
            if before != after:
                raise AssertionError(f"import_ ({name}) changed the certifications:\n"
                                     f"{before ^ after}")
            chain = list(copy.registry.getCollectionChain(CHAIN))
            if chain != [CALIB, TAGGED]:
                raise AssertionError(f"import_ ({name}) changed the chain: {chain}")
            tagged = {str(r.id) for r in copy.registry.queryDatasets("bias",
                                                                      collections=TAGGED)}
            if len(tagged) != len(DETECTORS):
                raise AssertionError(f"import_ ({name}) changed the tagged collection")
        for row in sorted(before):
            print(*row, sep="\t", file=sys.stderr)
    print(f"wrote {out}: {len(datasets)} datasets, {len(before)} certifications; "
          "Butler.import_ into fresh repositories (with files, registry-only) gives the same",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
