"""The Rubin Butler's export files (calibcert.butler_format): TAI times converted exactly,
every malformed file refused by element, imports all or nothing on every backend, and the
round trip calibcert -> Butler file -> calibcert. (The test against the real daf_butler is
tests/test_butler_roundtrip.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import calibcert
from calibcert import Registry, Timespan
from calibcert.butler_format import (
    export_to_butler,
    from_butler,
    import_butler,
    tai_to_utc,
    to_butler,
    utc_to_tai,
)
from calibcert.errors import (
    ConflictingCertificationError,
    ConflictingDefinitionError,
    InvalidArgumentError,
)
from test_cli import cli

UTC = timezone.utc
ID1 = "4d4851f4-2890-4d41-8779-5f38a3f50601"
ID2 = "4d4851f4-2890-4d41-8779-5f38a3f50602"
ID3 = "4d4851f4-2890-4d41-8779-5f38a3f50603"
DET1 = {"instrument": "Cam", "detector": 1}
DET2 = {"instrument": "Cam", "detector": 2}


def u(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- TAI <-> UTC ------------------------------------------------------------------------------

@pytest.mark.parametrize(("tai", "utc"), [
    # TAI - UTC was 37 s from 2017 on, 36 s in 2016, 32 s in 1999, 10 s in 1972.
    ("2024-01-01 00:00:37.000000000", u(2024, 1, 1)),
    ("2017-01-01 00:00:37.000000000", u(2017, 1, 1)),
    ("2017-01-01 00:00:35.999999000", u(2016, 12, 31, 23, 59, 59, 999999)),
    ("2016-06-01 00:00:36.000000000", u(2016, 6, 1)),
    ("1999-01-01 00:00:32.000000000", u(1999, 1, 1)),
    ("1998-12-31 23:59:59.000000000", u(1998, 12, 31, 23, 59, 28)),
    ("1972-07-01 00:00:11.000000000", u(1972, 7, 1)),
    ("2024-02-29 12:34:56.123456000", u(2024, 2, 29, 12, 34, 19, 123456)),
])
def test_tai_times_become_the_utc_instant_they_are(tai: str, utc: datetime) -> None:
    assert tai_to_utc(tai) == utc
    assert utc_to_tai(utc) == tai


def test_every_microsecond_around_a_leap_second_survives_the_round_trip() -> None:
    # The last microseconds before the 2016-12-31 leap second and the first after it; and
    # instants in between that UTC cannot name (23:59:60) are refused, not shifted.
    edge = u(2017, 1, 1)
    for delta_us in (-2_000_001, -1_000_000, -1, 0, 1, 999_999, 1_000_000):
        instant = edge + timedelta(microseconds=delta_us)
        assert tai_to_utc(utc_to_tai(instant)) == instant
    for inside in ("2017-01-01 00:00:36.000000000", "2017-01-01 00:00:36.999999000"):
        with pytest.raises(InvalidArgumentError, match="leap second"):
            tai_to_utc(inside)


@pytest.mark.parametrize(("text", "match"), [
    ("2024-01-01 00:00:37.000000500", "not a whole microsecond"),
    ("2024-01-01T00:00:37Z", "not a Butler TAI time"),
    ("yesterday", "not a Butler TAI time"),
])
def test_a_tai_time_calibcert_cannot_hold_exactly_is_refused(text: str, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        tai_to_utc(text)


# -- reading ----------------------------------------------------------------------------------

def export_text(ranges: str = "", extra: str = "", version: str = "1.0.2") -> str:
    """A small Butler export: RUN Cam/run1 with bias for detectors 1 and 2 (and a raw),
    CALIBRATION Cam/calib, TAGGED Cam/good, CHAINED Cam/defaults = [Cam/calib, Cam/run1]."""
    ranges = ranges or f"""
  - timespan: !lsst.daf.butler.Timespan
      begin: !butler_time/tai/iso '2024-01-01 00:00:37.000000000'
      end: !butler_time/tai/iso '2024-06-01 00:00:37.000000000'
    dataset_ids: [!uuid '{ID1}', !uuid '{ID2}']
  - timespan: !lsst.daf.butler.Timespan
      begin: !butler_time/tai/iso '2024-06-01 00:00:37.000000000'
      end: null
    dataset_ids: [!uuid '{ID1}']"""
    return f"""description: Butler Data Repository Export
version: {version}
universe_version: 7
universe_namespace: daf_butler
data:
- type: dimension
  element: instrument
  records:
  - {{name: Cam, visit_max: 100, detector_max: 4, class_name: x.Cam}}
- type: collection
  collection_type: RUN
  name: Cam/run1
  host: null
  timespan_begin: null
  timespan_end: null
- type: collection
  collection_type: CALIBRATION
  name: Cam/calib
  doc: curated biases
- type: collection
  collection_type: TAGGED
  name: Cam/good
- type: collection
  collection_type: CHAINED
  name: Cam/defaults
  children: [Cam/calib, Cam/run1]
- type: dataset_type
  name: bias
  dimensions: [instrument, detector]
  storage_class: ExposureF
  is_calibration: true
- type: dataset
  dataset_type: bias
  run: Cam/run1
  records:
  - dataset_id: [!uuid '{ID1}']
    data_id: [{{instrument: Cam, detector: 1}}]
    path: bias/1.fits
    formatter: lsst.obs.base.FitsExposureFormatter
  - dataset_id: [!uuid '{ID2}']
    data_id: [{{instrument: Cam, detector: 2}}]
    path: bias/2.fits
- type: associations
  collection: Cam/good
  collection_type: TAGGED
  dataset_ids: [!uuid '{ID2}']
- type: associations
  collection: Cam/calib
  collection_type: CALIBRATION
  validity_ranges:{ranges}
{extra}"""


def test_an_export_reads_as_the_document_calibcert_imports() -> None:
    read = from_butler(export_text(), "x.yaml")
    doc = read.doc
    assert doc["dataset_types"] == [
        {"name": "bias", "dimensions": ["instrument", "detector"], "is_calibration": True}]
    colls = {c["name"]: c for c in doc["collections"]}
    assert {n: c["type"] for n, c in colls.items()} == {
        "Cam/run1": "RUN", "Cam/calib": "CALIBRATION", "Cam/good": "TAGGED",
        "Cam/defaults": "CHAINED"}
    assert colls["Cam/calib"]["doc"] == "curated biases"
    assert colls["Cam/defaults"]["children"] == ["Cam/calib", "Cam/run1"]
    assert colls["Cam/good"]["tags"] == [ID2]
    assert sorted((x["dataset"], x["begin"], x["end"])
                  for x in colls["Cam/calib"]["certifications"]) == [
        (ID1, "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z"),
        (ID1, "2024-06-01T00:00:00Z", None),
        (ID2, "2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z")]
    assert [(d["id"], d["run"], d["data_id"]) for d in doc["datasets"]] == [
        (ID1, "Cam/run1", {"detector": 1, "instrument": "Cam"}),
        (ID2, "Cam/run1", {"detector": 2, "instrument": "Cam"})]
    # What does not travel is counted, for the CLI's summary.
    assert read.dropped == {"dimension_records": 1, "file_artifacts": 2, "storage_classes": 1}


def test_a_file_the_real_butler_wrote_reads_as_the_butler_holds_it() -> None:
    # tests/data/butler/export_small.yaml: written by lsst-daf-butler 30.2026.4300 through
    # tests/butler_side.py build (the repository test_butler_roundtrip.py makes); the
    # expected rows are that Butler's own dump of its certifications in UTC. TAI - UTC is
    # 35 s in 2015, 36 s in 2016 and 37 s after; one range holds the 2016 leap second.
    text = (Path(__file__).parent / "data" / "butler" / "export_small.yaml").read_text()
    read = from_butler(text, "export_small.yaml")
    colls = {c["name"]: c for c in read.doc["collections"]}
    types = {d["id"]: d["dataset_type"] for d in read.doc["datasets"]}
    got = sorted((types[x["dataset"]], x["begin"] or "", x["end"] or "")
                 for x in colls["Cam/calib"]["certifications"])
    first, last, leap = "2015-06-01T00:00:00Z", "2016-12-31T12:00:00Z", "2017-01-01T12:00:00Z"
    assert got == sorted(
        [("bias", first, last)] * 3 + [("bias", leap, "2017-06-01T00:00:00Z")] * 3
        + [("bias", "2017-06-01T00:00:00Z", "")] * 3
        + [("flat", "", "2020-01-01T00:00:00Z"),
           ("flat", "2020-02-01T00:00:00Z", "2024-01-01T00:00:00Z"),
           ("flat", "2016-12-31T23:59:59.999999Z", "2017-01-01T00:00:00.000001Z")])
    assert colls["Cam/calib/chain"]["children"] == ["Cam/calib", "Cam/calib/tagged"]
    assert len(colls["Cam/calib/tagged"]["tags"]) == 3
    assert read.dropped["dimension_records"] == 4


def test_implied_dimensions_are_not_part_of_the_key() -> None:
    # What lsst-daf-butler 30.2026.4300 writes for a flat: its dataset type lists the implied
    # band, its data IDs carry the required dimensions only.
    text = export_text().replace(
        "  dimensions: [instrument, detector]\n",
        "  dimensions: [band, instrument, detector, physical_filter]\n").replace(
        "{instrument: Cam, detector: 1}", "{instrument: Cam, detector: 1, physical_filter: g_01}"
    ).replace(
        "{instrument: Cam, detector: 2}", "{instrument: Cam, detector: 2, physical_filter: g_01}")
    doc = from_butler(text).doc
    assert doc["dataset_types"][0]["dimensions"] == ["instrument", "detector", "physical_filter"]
    # Data IDs of one type that name different dimensions are refused.
    mixed = text.replace("{instrument: Cam, detector: 2, physical_filter: g_01}",
                         "{instrument: Cam, detector: 2, band: g, physical_filter: g_01}")
    with pytest.raises(InvalidArgumentError, match="name different dimensions"):
        from_butler(mixed)


BAD = {
    "unknown YAML tag": (export_text(extra="- type: run\n  name: !foo x"),
                         "line 60, column 9: cannot parse YAML: could not determine a "
                         "constructor for the tag '!foo'"),
    "unknown entry": (export_text(extra="- type: quantum\n  name: q"),
                      "data[9]: unknown entry type 'quantum'"),
    "newer format": (export_text(version="1.1.0"), "Butler export format 1.1.0 is not one"),
    "dataset not exported": (
        export_text(ranges=f"\n  - timespan: !lsst.daf.butler.Timespan {{begin: null, end: null}}"
                           f"\n    dataset_ids: [!uuid '{ID3}']"),
        f"data[8].validity_ranges[0].dataset_ids[0]: dataset {ID3} of collection 'Cam/calib'"
        " is not among the export's datasets"),
    "undeclared collection": (
        export_text(extra="- type: associations\n  collection: Cam/other\n"
                          "  collection_type: TAGGED\n  dataset_ids: []"),
        "data[9]: associations of collection 'Cam/other', which the export does not declare"),
    "untagged time": (
        export_text(ranges="\n  - timespan: !lsst.daf.butler.Timespan"
                           " {begin: '2024-01-01 00:00:37', end: null}"
                           f"\n    dataset_ids: [!uuid '{ID1}']"),
        "data[8].validity_ranges[0].timespan.begin: expected a !butler_time/tai/iso time"),
    "integer dataset id": (export_text().replace(f"[!uuid '{ID2}']\n    data_id", "[7]\n"
                                                 "    data_id"),
                           "data[6].records[1]: dataset_id 7 is not a !uuid"),
    "not an export": ("- 1\n- 2\n", "top level: expected a mapping with a 'data' list"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_malformed_export_is_refused_naming_the_element(case: str) -> None:
    text, message = BAD[case]
    with pytest.raises(InvalidArgumentError) as info:
        from_butler(text, "x.yaml")
    assert str(info.value.message).startswith("x.yaml"), info.value.message
    assert message in info.value.message, info.value.message


# -- importing, on every backend ----------------------------------------------------------------

def state(reg: Registry) -> tuple:
    """Everything an import can create, comparable across backends."""
    certs = sorted((c.collection, c.ref.dataset_type, str(c.ref.id), c.timespan.begin,
                    c.timespan.end or u(9999, 1, 1))
                   for coll in reg.list_collections() if coll.type.value == "CALIBRATION"
                   for c in reg.certifications(coll.name))
    colls = sorted((c.name, c.type.value, c.doc) for c in reg.list_collections())
    chains = {c.name: reg.get_chain(c.name) for c in reg.list_collections()
              if c.type.value == "CHAINED"}
    return certs, colls, chains


def test_an_import_answers_lookups_at_every_boundary(backend: Registry) -> None:
    summary = import_butler(backend, export_text(), "x.yaml")
    assert (summary.dataset_types, summary.collections, summary.datasets,
            summary.certifications, summary.tags, summary.chains) == (1, 4, 2, 3, 1, 1)
    boundary = u(2024, 6, 1)
    tick = timedelta(microseconds=1)
    for when, det, expected in ((u(2024, 1, 1) - tick, DET1, None),
                                (u(2024, 1, 1), DET1, ID1), (boundary - tick, DET2, ID2),
                                (boundary, DET2, None), (boundary, DET1, ID1),
                                (u(2999, 1, 1), DET1, ID1)):
        ref = backend.find("Cam/calib", "bias", det, when)
        assert (str(ref.id) if ref else None) == expected, (when, det)
    # Through the chain, the RUN answers where the calibration collection has nothing.
    assert str(backend.find("Cam/defaults", "bias", DET2, boundary).id) == ID2
    assert backend.get_chain("Cam/defaults") == ["Cam/calib", "Cam/run1"]
    assert [str(r.id) for r in backend.query_datasets("Cam/good", "bias")] == [ID2]


def test_an_overlapping_range_imports_nothing(backend: Registry) -> None:
    backend.register_dataset_type("bias", ["instrument", "detector"])
    backend.register_collection("Cam/run0", "RUN")
    backend.register_collection("Cam/calib", "CALIBRATION", "curated biases")
    (old,) = backend.insert_datasets("bias", "Cam/run0", [DET2])
    backend.certify("Cam/calib", [old], Timespan(u(2024, 5, 1), u(2024, 5, 2)))
    before = state(backend)
    with pytest.raises(ConflictingCertificationError):
        import_butler(backend, export_text(), "x.yaml")
    assert state(backend) == before


def test_a_dataset_type_clash_imports_nothing(backend: Registry) -> None:
    backend.register_dataset_type("bias", ["instrument"])
    before = state(backend)
    with pytest.raises(ConflictingDefinitionError):
        import_butler(backend, export_text(), "x.yaml")
    assert state(backend) == before


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(backend: Registry) -> None:
    before = state(backend)
    summary = import_butler(backend, export_text(), "x.yaml", dry_run=True)
    assert summary.certifications == 3
    assert state(backend) == before
    # ... and conflicts show in a dry run too.
    backend.register_dataset_type("bias", ["instrument"])
    with pytest.raises(ConflictingDefinitionError):
        import_butler(backend, export_text(), "x.yaml", dry_run=True)


def test_export_to_butler_and_back_is_the_identity(backend: Registry, sqlite_url: str) -> None:
    import_butler(backend, export_text(), "x.yaml")
    backend.decertify("Cam/calib", "bias", Timespan(u(2024, 3, 1), u(2024, 3, 2, 0, 0, 0, 5)))
    text = export_to_butler(backend, ["Cam/defaults", "Cam/good"],
                            storage_classes={"bias": "ExposureF"})
    # Times are TAI again; every range the decertify split is there.
    assert "begin: !butler_time/tai/iso '2024-03-02 00:00:37.000005000'" in text
    assert "storage_class: ExposureF" in text
    with calibcert.connect(sqlite_url) as other:
        import_butler(other, text, "back.yaml")
        assert state(other) == state(backend)
    assert from_butler(to_butler(from_butler(text).doc, {"bias": "ExposureF"})).doc \
        == from_butler(text).doc


# -- the command line ---------------------------------------------------------------------------

def test_the_cli_imports_and_exports_butler_files(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert cli(home, url, "db", "upgrade").code == 0
    src = tmp_path / "export.yaml"
    src.write_text(export_text())
    r = cli(home, url, "import", "--from-butler", str(src), "--dry-run")
    assert r.code == 0 and "nothing was changed" in r.err, r
    assert ("not carried (registry content only): 1 dimension records, 2 file artifacts,"
            " 1 storage classes") in r.err, r
    r = cli(home, url, "import", "--from-butler", str(src))
    assert r.code == 0 and "3 certifications" in r.err, r
    out = tmp_path / "back.yaml"
    r = cli(home, url, "export", "Cam/defaults", "--to-butler", "-o", str(out))
    assert r.code == 0, r
    assert from_butler(out.read_text()).doc["collections"] == [
        c for c in from_butler(export_text()).doc["collections"] if c["name"] != "Cam/good"]
    # Without --storage-class the file defines no dataset type: a database that lacks it
    # refuses the import, naming it.
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert cli(home, fresh, "db", "upgrade").code == 0
    r = cli(home, fresh, "import", "--from-butler", str(out))
    assert r.code == 2 and "dataset type 'bias' does not exist" in r.err, r
    bad = tmp_path / "bad.yaml"
    bad.write_text(export_text(version="2.0.0"))
    r = cli(home, url, "import", "--from-butler", str(bad))
    assert r.code == 2 and "Butler export format 2.0.0" in r.err, r
    r = cli(home, url, "export", "Cam/calib", "--storage-class", "bias=ExposureF")
    assert r.code == 2 and "--to-butler only" in r.err, r
