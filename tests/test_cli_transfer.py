"""``calibcert export`` / ``import`` from the command line (JSON, YAML, certification CSV
with ``--collection``, round trips between databases), and big inputs: rows are sent in
chunks of 10 000 inside one transaction, so a failure in a late chunk leaves nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import calibcert
from calibcert import cli as cli_module
from calibcert import exchange
from calibcert.cli import base as cli_base
from test_cli import (
    CALIB,
    CHAIN,
    RUN,
    RUN2,
    _one_line_error,
    _setup,
    _state,
    cli,
    ok,
)


@pytest.fixture
def home(tmp_path) -> Path:
    """HOME and XDG_DATA_HOME of the processes (as in tests/test_cli.py)."""
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    """A fresh, migrated database of each backend in turn (committed)."""
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def _world(home: Path, url: str) -> None:
    """Every collection type: certifications with a split and open ends, tags, a chain."""
    _setup(home, url)
    ok(home, url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z")
    ok(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-03-01T00:00:00Z",
       "--close-open")
    ok(home, url, "decertify", CALIB, "bias", "--begin", "2024-02-01T00:00:00Z",
       "--end", "2024-02-02T00:00:00.5Z", "-d", "instrument=Cam,detector=2")
    ok(home, url, "collection", "register", "Cam/good", "TAGGED", "--doc", "good ones")
    ok(home, url, "tag", "Cam/good", RUN2, "bias", "--where", "detector=1")
    ok(home, url, "collection", "chain", CHAIN, CALIB, "Cam/good")


def test_export_yaml_and_json_import_round_trip(home, url, tmp_path):
    _world(home, url)
    as_json, as_yaml, as_yml = home / "x.json", home / "x.yaml", home / "x.yml"
    r = ok(home, url, "export", CHAIN, "-o", str(as_json))
    assert "exported 5 collections, 6 datasets, 7 certifications" in r.err
    ok(home, url, "export", CHAIN, "-o", str(as_yaml))
    ok(home, url, "export", CHAIN, "-o", str(as_yml))
    stdout_yaml = ok(home, url, "export", CHAIN, "--format", "yaml").out
    stdout_json = ok(home, url, "export", CHAIN).out  # the default: JSON on stdout
    text = as_json.read_text()
    assert stdout_json == text and json.loads(text)["format"] == "calibcert-export"
    # YAML is the same document, in YAML (not JSON, which YAML would also parse)
    assert as_yaml.read_text() == as_yml.read_text() == stdout_yaml
    assert not as_yaml.read_text().lstrip().startswith("{")
    assert yaml.safe_load(as_yaml.read_text()) == json.loads(text)
    doc = json.loads(text)
    assert {c["name"] for c in doc["collections"]} == {CHAIN, CALIB, "Cam/good", RUN, RUN2}
    # YAML into another database (SQLite), exported again: byte-identical JSON
    target = f"sqlite:///{tmp_path / 'target.db'}"
    ok(home, None, "db", "upgrade", "--url", target)
    r = ok(home, target, "import", str(as_yaml), "--json")
    assert {k: r.json()[k] for k in ("dataset_types", "collections", "datasets",
                                     "certifications", "tags", "chains")} == {
        "dataset_types": 1, "collections": 5, "datasets": 6, "certifications": 7, "tags": 1,
        "chains": 1}
    again = home / "again.json"
    ok(home, target, "export", CHAIN, "-o", str(again))
    assert again.read_text() == text
    # and back into the source kind of database from that file: the identity again
    back = f"sqlite:///{tmp_path / 'back.db'}"
    ok(home, None, "db", "upgrade", "--url", back)
    ok(home, back, "import", str(again))
    assert ok(home, back, "export", CHAIN, "--format", "yaml").out == stdout_yaml
    # importing the same file twice is a no-op
    before = _state(home, target)
    r = ok(home, target, "import", str(as_json), "--json")
    assert r.json()["datasets"] == r.json()["certifications"] == 0
    assert r.json()["datasets_present"] == 6 and r.json()["certifications_present"] == 7
    assert _state(home, target) == before
    # a file that conflicts changes nothing (exit 1)
    doc["collections"] = [c for c in doc["collections"] if c["name"] != CHAIN]
    calib = next(c for c in doc["collections"] if c["name"] == CALIB)
    calib["certifications"][0]["end"] = "2030-01-01T00:00:00Z"
    doc["collections"].append({"name": "Cam/extra", "type": "RUN", "doc": None})
    bad = home / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    _one_line_error(cli(home, target, "import", str(bad)), 1, "conflict")
    assert _state(home, target) == before


def test_certification_csv_export_and_import_collection(home, url, tmp_path):
    _world(home, url)
    csv_path = home / "certs.csv"
    r = ok(home, url, "export", CALIB, "-o", str(csv_path))
    assert "exported 7 certifications" in r.err
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "dataset_type,data_id,dataset,run,begin,end"
    assert len(lines) == 1 + 7
    certs = ok(home, url, "list", CALIB, "--json").json()
    expected = sorted((c["id"], c["begin"] or "", c["end"] or "") for c in certs)
    assert sorted((ln.split(",")[-4], ln.split(",")[-2], ln.split(",")[-1])
                  for ln in lines[1:]) == expected
    assert '2024-02-02T00:00:00.500000Z' in csv_path.read_text()  # microseconds kept
    # into a new collection of the same database: registered, same certifications
    r = ok(home, url, "import", str(csv_path), "--collection", "Cam/calib/copy", "--json")
    assert r.json()["certifications"] == 7 and r.json()["collections"] == 1
    copy = ok(home, url, "list", "Cam/calib/copy", "--json").json()
    assert [dict(c, collection=CALIB) for c in copy] == certs
    assert ok(home, url, "export", "Cam/calib/copy", "--format", "csv").out == \
        csv_path.read_text()
    colls = {c["name"]: c["type"] for c in ok(home, url, "collection", "list", "--json").json()}
    assert colls["Cam/calib/copy"] == "CALIBRATION"
    # again: every row already stored, nothing added
    r = ok(home, url, "import", str(csv_path), "--collection", "Cam/calib/copy", "--json")
    assert r.json()["certifications"] == 0 and r.json()["certifications_present"] == 7
    # a dry run into yet another collection shows the rows and changes nothing
    before = _state(home, url)
    r = ok(home, url, "import", str(csv_path), "--collection", "Cam/calib/dry", "--dry-run",
           "--json")
    kinds = sorted((c["kind"], c["action"]) for c in r.json()["changes"])
    assert kinds == [("certification", "added")] * 7 + [("collection", "added")]
    assert _state(home, url) == before
    # into another database: after the datasets travelled (YAML), the CSV certifies them
    target = f"sqlite:///{tmp_path / 'target.db'}"
    ok(home, None, "db", "upgrade", "--url", target)
    runs = home / "runs.yaml"
    ok(home, url, "export", RUN, RUN2, "-o", str(runs))
    # without the datasets the CSV is bad input, and nothing is registered
    _one_line_error(cli(home, target, "import", str(csv_path), "--collection", "Other/calib"),
                    2, "does not exist")
    assert ok(home, target, "collection", "list", "--json").json() == []
    ok(home, target, "import", str(runs))
    ok(home, target, "import", str(csv_path), "--collection", "Other/calib")
    assert ok(home, target, "export", "Other/calib", "--format", "csv").out == \
        csv_path.read_text()
    # a row that does not describe its dataset truthfully is refused, nothing changes
    before = _state(home, target)
    lied = home / "lied.csv"
    lied.write_text(csv_path.read_text().replace(RUN2, RUN, 1).replace(
        f",{RUN},", f",{RUN2},", 1))
    _one_line_error(cli(home, target, "import", str(lied), "--collection", "Other/two"), 2,
                    "line 2")
    assert _state(home, target) == before
    # usage errors
    _one_line_error(cli(home, url, "import", str(csv_path)), 2, "--collection")
    _one_line_error(cli(home, url, "import", str(runs), "--collection", "X"), 2, "--collection")
    _one_line_error(cli(home, url, "export", CHAIN, "-o", str(home / "c.csv")), 2,
                    "CALIBRATION")
    _one_line_error(cli(home, url, "export", CALIB, RUN, "--format", "csv"), 2, "exactly one")
    _one_line_error(cli(home, url, "import", str(csv_path), "--collection", "Cam/good"), 1,
                    "Cam/good")  # a TAGGED collection of that name: a definition clash
    assert not (home / "c.csv").exists()


# -- big inputs: chunks of 10 000 in one transaction --------------------------------------


class _Spy:
    """Wraps the CLI's registry: records the size of every insert_datasets call and
    whether it raised."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[int, str]] = []
        real_open = cli_base.open_registry

        def open_spied() -> Any:
            reg = real_open()
            real_insert = reg.insert_datasets

            def insert(dataset_type: str, run: str, data_ids: Any, ids: Any = None) -> Any:
                try:
                    out = real_insert(dataset_type, run, data_ids, ids)
                except Exception as exc:
                    self.calls.append((len(data_ids), type(exc).__name__))
                    raise
                self.calls.append((len(data_ids), "ok"))
                return out

            reg.insert_datasets = insert
            return reg

        monkeypatch.setattr(cli_base, "open_registry", open_spied)


def _datasets(url: str, run: str) -> list[Any]:
    reg = calibcert.connect(url)  # a connection of its own: sees only what was committed
    try:
        if run not in {c.name for c in reg.list_collections()}:
            return []
        return reg.query_datasets(run, "bias")
    finally:
        reg.close()


def test_insert_failure_in_a_late_chunk_leaves_nothing(url, tmp_path, monkeypatch, capsys):
    assert exchange.CHUNK == 10_000
    reg = calibcert.connect(url)
    try:
        reg.register_dataset_type("bias", ["instrument", "detector"])
        reg.register_collection(RUN, "RUN")
    finally:
        reg.close()
    monkeypatch.setenv("CALIBCERT_URL", url)
    spy = _Spy(monkeypatch)
    n = 10_004
    rows = "".join(f"Cam,{d}\n" for d in range(n))
    bad = tmp_path / "bad.csv"
    bad.write_text("instrument,detector\n" + rows + "Cam,0\n")  # row n+1 repeats row 1
    assert cli_module.run(["datasets", "insert", "bias", RUN, str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("calibcert: conflict:") and len(err.strip().splitlines()) == 1
    # the first chunk went in, the second (the last 5 rows) failed ...
    assert spy.calls == [(10_000, "ok"), (5, "ConflictingDefinitionError")]
    # ... and nothing at all was committed
    assert _datasets(url, RUN) == []
    # the same file without the repeated row: every row, in two chunks
    spy.calls.clear()
    good = tmp_path / "good.csv"
    good.write_text("instrument,detector\n" + rows)
    assert cli_module.run(["--json", "datasets", "insert", "bias", RUN, str(good)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == n
    assert spy.calls == [(10_000, "ok"), (4, "ok")]
    assert len(_datasets(url, RUN)) == n


def test_import_failure_in_a_late_chunk_leaves_nothing(url, tmp_path, monkeypatch, capsys):
    reg = calibcert.connect(url)
    try:
        reg.register_dataset_type("bias", ["instrument", "detector"])
        reg.register_collection(RUN2, "RUN")
        [other] = reg.insert_datasets("bias", RUN2, [{"instrument": "Other", "detector": 1}])
        before = exchange.dumps(exchange.export_data(reg, [RUN2]))
    finally:
        reg.close()
    n = 10_001
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(1, n)] + [str(other.id)]
    doc = {"format": "calibcert-export", "version": 1,
           "dataset_types": [{"name": "bias", "dimensions": ["instrument", "detector"],
                              "is_calibration": True}],
           "collections": [{"name": RUN, "type": "RUN", "doc": None}],
           "datasets": [{"id": ident, "dataset_type": "bias", "run": RUN,
                         "data_id": {"detector": d, "instrument": "Cam"}}
                        for d, ident in enumerate(ids)]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setenv("CALIBCERT_URL", url)
    spy = _Spy(monkeypatch)
    # the last dataset's id is already used in another RUN: the second chunk fails
    assert cli_module.run(["import", str(path)]) == 1
    assert capsys.readouterr().err.startswith("calibcert: conflict:")
    assert spy.calls == [(10_000, "ok"), (1, "ConflictingDefinitionError")]
    assert _datasets(url, RUN) == []  # not even the collection RUN exists
    reg = calibcert.connect(url)
    try:
        assert exchange.dumps(exchange.export_data(reg, [RUN2])) == before
        assert RUN not in {c.name for c in reg.list_collections()}
    finally:
        reg.close()
    # without the clash: all of it
    spy.calls.clear()
    doc["datasets"][-1]["id"] = f"00000000-0000-4000-8000-{n:012d}"
    path.write_text(json.dumps(doc))
    assert cli_module.run(["import", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["datasets"] == n
    assert spy.calls == [(10_000, "ok"), (1, "ok")]
    assert len(_datasets(url, RUN)) == n
