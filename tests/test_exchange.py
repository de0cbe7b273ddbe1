"""Export / import (calibcert.exchange): the versioned file format, determinism across
backends, atomic imports that refuse conflicts, CSV and series files."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest
import yaml

import calibcert
from calibcert import CollectionType, Registry, Timespan, exchange
from calibcert.errors import (
    ConflictingCertificationError,
    ConflictingDefinitionError,
    InvalidArgumentError,
    MissingDatasetError,
)

UTC = timezone.utc


def t(year: int, month: int = 1, day: int = 1, hour: int = 0, us: int = 0) -> datetime:
    return datetime(year, month, day, hour, 0, 0, us, tzinfo=UTC)


def populate(reg: Registry) -> dict[str, list]:
    """A small world using every collection type, gaps, splits, unbounded ends, str and int
    data-ID values, microsecond times and a chain of a chain."""
    reg.register_dataset_type("bias", ["instrument", "detector"])
    reg.register_dataset_type("flat", ["instrument", "detector", "physical_filter"])
    reg.register_dataset_type("raw", ["instrument", "exposure"], is_calibration=False)
    for name, kind, doc in (("Cam/run/a", "RUN", "first run"), ("Cam/run/b", "RUN", None),
                            ("Cam/calib", "CALIBRATION", "curated"), ("Cam/good", "TAGGED", None),
                            ("Cam/inner", "CHAINED", None), ("Cam/default", "CHAINED", "default"),
                            ("Cam/unrelated", "CALIBRATION", None)):
        reg.register_collection(name, kind, doc)
    bias_a = reg.insert_datasets("bias", "Cam/run/a", [{"instrument": "Cam", "detector": d}
                                                        for d in (3, 1, 2)])
    bias_b = reg.insert_datasets("bias", "Cam/run/b", [{"instrument": "Cam", "detector": d}
                                                        for d in (1, 2, 3)])
    flats = reg.insert_datasets("flat", "Cam/run/b", [
        {"instrument": "Cam", "detector": 1, "physical_filter": f} for f in ("r", "g")])
    reg.insert_datasets("raw", "Cam/run/a", [{"instrument": "Cam", "exposure": 7}])
    reg.certify("Cam/calib", bias_a, Timespan(None, t(2024, 1, 1, us=123456)))
    reg.certify("Cam/calib", bias_b, Timespan(t(2024, 2, 1), None))
    reg.certify("Cam/calib", flats, Timespan(t(2023, 6, 1), t(2025, 1, 1)))
    reg.decertify("Cam/calib", "flat", Timespan(t(2024, 1, 1), t(2024, 1, 2)))
    reg.tag("Cam/good", bias_b[:2])
    reg.set_chain("Cam/inner", ["Cam/good", "Cam/calib"])
    reg.set_chain("Cam/default", ["Cam/inner", "Cam/run/a"])
    other = reg.insert_datasets("bias", "Cam/run/b", [{"instrument": "Other", "detector": 1}])
    reg.certify("Cam/unrelated", other, Timespan(t(2020), None))
    return {"bias_a": bias_a, "bias_b": bias_b, "flats": flats}


def test_export_document(backend):
    populate(backend)
    doc = exchange.export_data(backend, ["Cam/default"])
    assert doc["format"] == "calibcert-export" and doc["version"] == 1
    names = [c["name"] for c in doc["collections"]]
    # the chain closure plus the runs; not the unrelated collection
    assert names == sorted(["Cam/default", "Cam/inner", "Cam/good", "Cam/calib", "Cam/run/a",
                            "Cam/run/b"])
    colls = {c["name"]: c for c in doc["collections"]}
    assert colls["Cam/default"]["children"] == ["Cam/inner", "Cam/run/a"]
    assert set(colls["Cam/run/a"]) == {"name", "type", "doc"}
    assert colls["Cam/run/a"]["doc"] == "first run"
    certs = colls["Cam/calib"]["certifications"]
    assert len(certs) == 3 + 3 + 4  # the decertify split both flats
    assert {"begin": None, "end": "2024-01-01T00:00:00.123456Z"} == {
        k: certs[0][k] for k in ("begin", "end")}
    assert len(colls["Cam/good"]["tags"]) == 2
    # Cam/run/a was reached through the chain: all its datasets, the raw one included;
    # Cam/run/b is only the home of certified / tagged datasets: "Other" stays out
    ds = doc["datasets"]
    assert any(d["dataset_type"] == "raw" for d in ds)
    assert not any(d["data_id"].get("instrument") == "Other" for d in ds)
    assert len(ds) == 3 + 1 + 3 + 2
    assert [t["name"] for t in doc["dataset_types"]] == ["bias", "flat", "raw"]
    assert doc["dataset_types"][1]["dimensions"] == ["instrument", "detector", "physical_filter"]
    # data-ID values keep their types, keys are sorted
    assert all(list(d["data_id"]) == sorted(d["data_id"]) for d in ds)
    assert all(isinstance(d["data_id"]["detector"], int) for d in ds if "detector" in d["data_id"])
    # deterministic
    assert exchange.dumps(doc) == exchange.dumps(exchange.export_data(backend, ["Cam/default"]))


def test_postgresql_file_sqlite_file_is_identity(pg_url, sqlite_url, tmp_path):
    src = calibcert.connect(pg_url)
    try:
        populate(src)
        first = exchange.dumps(exchange.export_data(src, ["Cam/default", "Cam/unrelated"]))
    finally:
        src.close()
    dst = calibcert.connect(sqlite_url)
    try:
        exchange.import_data(dst, exchange.loads(first))
        second = exchange.dumps(exchange.export_data(dst, ["Cam/default", "Cam/unrelated"]))
    finally:
        dst.close()
    assert second == first
    # the same through the command line, and back into another PostgreSQL-free file
    path1, path2 = tmp_path / "one.json", tmp_path / "two.json"
    path1.write_text(first)
    other = tmp_path / "other.db"
    env_cmd = [sys.executable, "-m", "calibcert"]
    for args in (["db", "upgrade", "--url", f"sqlite:///{other}"],
                 ["import", str(path1), "--url", f"sqlite:///{other}"],
                 ["export", "Cam/default", "Cam/unrelated", "-o", str(path2),
                  "--url", f"sqlite:///{other}"]):
        proc = subprocess.run(env_cmd + args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    assert path2.read_text() == first


def test_yaml_holds_the_same_document(backend):
    populate(backend)
    doc = exchange.export_data(backend, ["Cam/default"])
    text = exchange.dumps(doc, "yaml")
    assert yaml.safe_load(text) == json.loads(exchange.dumps(doc))
    assert exchange.loads(text, "yaml") == json.loads(exchange.dumps(doc))


def test_import_recreates_and_is_idempotent(pg_registry, sqlite_registry):
    populate(pg_registry)
    doc = exchange.loads(exchange.dumps(exchange.export_data(pg_registry, ["Cam/default"])))
    s = exchange.import_data(sqlite_registry, doc)
    assert (s.dataset_types, s.collections, s.datasets, s.tags, s.chains) == (3, 6, 9, 2, 2)
    assert s.certifications == 10
    again = exchange.import_data(sqlite_registry, doc)
    assert (again.datasets, again.certifications, again.collections) == (0, 0, 0)
    assert (again.datasets_present, again.certifications_present) == (9, 10)
    # lookups agree
    q = [({"instrument": "Cam", "detector": d}, t(2024, 3, 1)) for d in (1, 2, 3)]
    assert [r.id for r in pg_registry.find_many("Cam/default", "bias", q)] == [
        r.id for r in sqlite_registry.find_many("Cam/default", "bias", q)]


def _names(reg: Registry) -> list[str]:
    return [c.name for c in reg.list_collections()]


def test_import_conflicts_abort_everything(backend):
    world = populate(backend)
    everything = exchange.dumps(exchange.export_data(backend, _names(backend)))
    doc = exchange.export_data(backend, ["Cam/default"])
    # the target: a fresh collection name whose certification overlaps the file's
    doc = json.loads(json.dumps(doc))
    doc["collections"].append({"name": "Cam/new", "type": "TAGGED", "doc": None, "tags": []})
    before_names = _names(backend)
    before = backend.certifications("Cam/calib")
    # make one certification of the file overlap a stored one (a different timespan)
    calib = next(c for c in doc["collections"] if c["name"] == "Cam/calib")
    calib["certifications"][0]["end"] = "2024-06-01T00:00:00Z"
    with pytest.raises(ConflictingCertificationError):
        exchange.import_data(backend, doc)
    assert _names(backend) == before_names  # Cam/new was not created
    assert backend.certifications("Cam/calib") == before
    # a dataset id already used with another data ID
    doc2 = exchange.export_data(backend, ["Cam/calib"])
    doc2["datasets"][0]["data_id"] = {"instrument": "Cam", "detector": 99}
    doc2["collections"].append({"name": "Cam/new2", "type": "RUN", "doc": None})
    with pytest.raises(ConflictingDefinitionError):
        exchange.import_data(backend, doc2)
    assert "Cam/new2" not in _names(backend)
    # a collection of another type, a dataset type with other dimensions
    doc3 = exchange.export_data(backend, ["Cam/good"])
    next(c for c in doc3["collections"] if c["name"] == "Cam/good")["type"] = "CALIBRATION"
    with pytest.raises(ConflictingDefinitionError):
        exchange.import_data(backend, doc3)
    doc4 = exchange.export_data(backend, ["Cam/good"])
    doc4["dataset_types"][0]["dimensions"] = ["detector"]
    with pytest.raises(ConflictingDefinitionError):
        exchange.import_data(backend, doc4)
    # a chain with other children
    doc5 = exchange.export_data(backend, ["Cam/inner"])
    next(c for c in doc5["collections"] if c["name"] == "Cam/inner")["children"] = ["Cam/good"]
    with pytest.raises(ConflictingDefinitionError):
        exchange.import_data(backend, doc5)
    assert backend.get_chain("Cam/inner") == ["Cam/good", "Cam/calib"]
    # the world is still intact: every dataset, collection, certification, tag and chain
    assert exchange.dumps(exchange.export_data(backend, _names(backend))) == everything
    refs = [r for refs in world.values() for r in refs]
    assert backend.get_datasets([r.id for r in refs]) == refs
    assert backend.certifications("Cam/calib") == before


def test_file_format_checks():
    good = {"format": "calibcert-export", "version": 1, "dataset_types": [], "collections": [],
            "datasets": []}
    assert exchange.validate(dict(good)) == good
    with pytest.raises(InvalidArgumentError, match="newer"):
        exchange.validate(dict(good, version=2))
    with pytest.raises(InvalidArgumentError, match="format"):
        exchange.validate(dict(good, format="something-else"))
    with pytest.raises(InvalidArgumentError, match="collections"):
        exchange.validate(dict(good, collections={}))
    with pytest.raises(InvalidArgumentError, match="bad collection"):
        exchange.validate(dict(good, collections=[{"name": "x", "type": "BOX"}]))
    with pytest.raises(InvalidArgumentError, match="parse"):
        exchange.loads("{not json")


def test_certification_csv_round_trip(backend):
    populate(backend)
    text = exchange.export_certifications_csv(backend, "Cam/calib")
    lines = text.splitlines()
    assert lines[0] == "dataset_type,data_id,dataset,run,begin,end"
    assert len(lines) == 1 + 10
    rows = exchange.read_certifications_csv(text)
    s = exchange.import_certifications(backend, "Cam/calib/copy", rows)
    assert s.certifications == 10 and s.collections == 1
    assert exchange.export_certifications_csv(backend, "Cam/calib/copy") == text
    # rows must describe their dataset truthfully
    bad = text.replace('"{""detector"": 1, ""instrument"": ""Cam""}"',
                       '"{""detector"": 5, ""instrument"": ""Cam""}"', 1)
    with pytest.raises(InvalidArgumentError, match="line 2"):
        exchange.import_certifications(backend, "Cam/calib/other",
                                       exchange.read_certifications_csv(bad))
    assert "Cam/calib/other" not in _names(backend)


def test_series_import(backend):
    w = populate(backend)
    a, b = w["bias_a"], w["bias_b"]
    csv_text = "dataset,begin\n" + "".join(
        f"{r.id},2030-01-01T00:00:00Z\n" for r in a) + "".join(
        f"{r.id},2031-01-01T00:00:00+02:00\n" for r in b)
    items = exchange.read_series(csv_text, "csv")
    pairs = exchange.resolve_series(backend, items)
    backend.register_collection("Cam/curated", CollectionType.CALIBRATION)
    assert backend.certify_series("Cam/curated", pairs) == 6
    spans = {(c.ref.run, c.ref.data_id["detector"]): c.timespan
             for c in backend.certifications("Cam/curated")}
    assert spans[("Cam/run/a", 2)] == Timespan(t(2030), t(2030, 12, 31, 22))
    assert spans[("Cam/run/b", 2)] == Timespan(t(2030, 12, 31, 22), None)
    # by data ID, JSON form
    items = exchange.read_series(json.dumps([
        {"dataset_type": "bias", "run": "Cam/run/a", "data_id": {"instrument": "Cam",
                                                                   "detector": 1},
         "begin": "2040-01-01T00:00:00Z"}]), "json")
    [(ident, begin)] = exchange.resolve_series(backend, items)
    assert uuid.UUID(ident) == next(r.id for r in a if r.data_id["detector"] == 1)
    assert begin == t(2040)
    with pytest.raises(MissingDatasetError):
        exchange.resolve_series(backend, exchange.read_series(json.dumps([
            {"dataset_type": "bias", "run": "Cam/run/a",
             "data_id": {"instrument": "Cam", "detector": 77}, "begin": None}]), "json"))
    with pytest.raises(InvalidArgumentError, match="series CSV"):
        exchange.read_series("id,when\n", "csv")
