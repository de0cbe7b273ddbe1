"""Bad input files on the command line (issue 14, item 4).

Every command that reads a file -- ``datasets insert``, ``certify-series``, ``import``
(export JSON / YAML, certification CSV, ``--series``) -- refuses a bad one with exit 2 and
one line naming the file, the line (CSV, JSON / YAML syntax, bytes that are not UTF-8) or
the element (a JSON / YAML list item, an export-file entry) and the problem, and writes
nothing. A UTF-8 byte-order mark is accepted. ``--where`` naming a key that is not a
dimension of the dataset type is exit 2 listing the type's dimensions.

Each case runs the real CLI in a subprocess (as tests/test_cli.py does), on the SQLite
default and, for a few, on PostgreSQL, and compares the whole database before and after.

Against the code before this file, these fail: the ragged rows (exit 5, ``internal error:
TypeError``), the empty and header-only files (``give FILE or at least one --data-id``; a
header-only certify-series file reported success), the byte-order mark (``unexpected
\\ufeffinstrument``), the syntax errors (no line and column), the wrong cell types (no file
or line), the bytes that are not UTF-8 (exit 5, ``UnicodeDecodeError``), the directory
(exit 5, ``IsADirectoryError``) and ``--where detectr=1`` (``no 'bias' datasets matching``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert import cli as cli_module
from test_cli import Result, _state, cli, ok

RUN = "Cam/run/1"
CALIB = "Cam/calib"
TAGGED = "Cam/good"


@pytest.fixture
def home(tmp_path) -> Path:
    """HOME and XDG_DATA_HOME of the processes (as in tests/test_cli.py)."""
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


def _populate(url: str) -> dict[str, str]:
    """A dataset type, a RUN with biases for detectors 1-3, a CALIBRATION and a TAGGED
    collection (in-process: the subject here is the reading of files). Returns the ids."""
    reg = calibcert.connect(url)
    try:
        reg.register_dataset_type("bias", ["instrument", "detector"])
        reg.register_collection(RUN, "RUN")
        reg.register_collection(CALIB, "CALIBRATION")
        reg.register_collection(TAGGED, "TAGGED")
        refs = reg.insert_datasets("bias", RUN, [{"instrument": "Cam", "detector": d}
                                                 for d in (1, 2, 3)])
        return {str(r.data_id["detector"]): str(r.id) for r in refs}
    finally:
        reg.close()


@pytest.fixture
def sqlite_db(sqlite_url) -> tuple[str, dict[str, str]]:
    return sqlite_url, _populate(sqlite_url)


@pytest.fixture
def pg_db(pg_url) -> tuple[str, dict[str, str]]:
    return pg_url, _populate(pg_url)


def refused(r: Result, *words: str) -> str:
    """Exit 2, one line ``calibcert: bad input: ...`` holding ``words``, nothing on stdout."""
    assert r.code == 2, r
    assert "Traceback" not in r.err, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    assert lines[0].startswith("calibcert: bad input: "), r
    for w in words:
        assert w in lines[0], (w, r)
    assert r.out == "", r
    return lines[0]


def _write(home: Path, name: str, content: str | bytes) -> str:
    path = home / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def _unchanged(home: Path, url: str, args: list[str], *words: str) -> str:
    before = _state(home, url)
    line = refused(cli(home, url, *args), *words)
    assert _state(home, url) == before, "a refused input file changed the database"
    return line


# -- datasets insert ----------------------------------------------------------------------

UUID_ZERO = "00000000-0000-4000-8000-000000000000"

#: (file name, content, words the one error line must hold). The file name is always one.
INSERT_CASES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("extra.csv", "instrument,detector\nCam,7\nCam,8,x\n",
     ("line 3", "3 fields", "more than the 2 columns", "'x'")),
    ("missing.csv", "instrument,detector\nCam,7\nCam\n",
     ("line 3", "1 field", "fewer than the 2 columns", "no value for detector")),
    ("trailing-comma.csv", "instrument,detector\nCam,7,\n", ("line 2", "3 fields")),
    ("empty.csv", "", ("the file is empty",)),
    ("blank.csv", "\n  \n", ("the file is empty",)),
    ("header-only.csv", "instrument,detector\n", ("no rows after the header", "no data IDs")),
    ("header-only-bom.csv", "\ufeffinstrument,detector\r\n", ("no rows after the header",)),
    ("empty.json", "", ("the file is empty",)),
    ("empty-list.json", "[]", ("the list is empty",)),
    ("not-a-list.json", '{"instrument": "Cam", "detector": 7}', ("expected a list",)),
    ("syntax.json", '[{"instrument": "Cam", "detector": 7},\n {"instrument": "Cam" "detector": 8}]',
     ("line 2, column 23", "cannot parse JSON")),
    ("syntax.yaml", "- {instrument: Cam, detector: 7}\n- {instrument: Cam, detector: [8}\n",
     ("line 2, column 33", "cannot parse YAML")),
    ("float.json", '[{"instrument": "Cam", "detector": 7}, {"instrument": "Cam", "detector": 8.5}]',
     ("item 2", "detector=8.5", "must be int or str")),
    ("bool.yaml", "- {instrument: Cam, detector: true}\n", ("item 1", "must be int or str")),
    ("null.json", '[{"instrument": null, "detector": 7}]', ("item 1", "must be int or str")),
    ("nested.json", '[{"instrument": ["Cam"], "detector": 7}]', ("item 1", "must be int or str")),
    ("huge-int.json", '[{"instrument": "Cam", "detector": 99999999999999999999}]',
     ("item 1", "64-bit")),
    ("string-item.json", '["instrument=Cam"]', ("item 1", "expected a data ID object")),
    ("empty-cell.csv", "instrument,detector\nCam,\n", ("line 2", "no value for detector")),
    ("bad-quote.csv", 'instrument,detector\nCam,"""1\\q"""\n', ("line 2", "not a valid JSON")),
    ("nul.csv", "instrument,detector\nC\x00am,7\n", ("line 2", "NUL")),
    ("columns.csv", "instrument,detectr\nCam,7\n",
     ("line 1", "unknown column(s) detectr", "missing detector", "instrument, detector")),
    ("repeated-column.csv", "instrument,detector,detector\nCam,7,8\n",
     ("line 1", "repeats column detector")),
    ("nameless-column.csv", "instrument,,detector\nCam,x,7\n", ("line 1", "column 2 has no name")),
    ("keys.json", '[{"instrument": "Cam", "detector": 7}, {"instrument": "Cam", "detectr": 8}]',
     ("item 2", "does not match the dimensions", "unknown detectr", "missing detector")),
    ("bad-id.csv", "instrument,detector,id\nCam,7,zz\n", ("line 2", "id 'zz' is not")),
    ("some-ids.json", json.dumps([{"data_id": {"instrument": "Cam", "detector": 7},
                                   "id": UUID_ZERO},
                                  {"instrument": "Cam", "detector": 8}]),
     ("an id for every dataset or for none",)),
    ("extra-key.json", json.dumps([{"data_id": {"instrument": "Cam", "detector": 7},
                                    "idd": UUID_ZERO}]), ("item 1", "idd")),
    ("latin1.csv", "instrument,detector\nCam,7\nCamé,8\n".encode("latin-1"),
     ("line 3, column 4", "not UTF-8", "0xe9")),
    ("utf16.json", '[{"instrument": "Cam", "detector": 7}]'.encode("utf-16"),
     ("line 1, column 1", "not UTF-8")),
]


@pytest.mark.parametrize("name,content,words", INSERT_CASES, ids=[c[0] for c in INSERT_CASES])
def test_datasets_insert_refuses_a_bad_file(home, sqlite_db, name, content, words):
    url, _ = sqlite_db
    path = _write(home, name, content)
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, path], path, *words)


def test_datasets_insert_duplicate_rows_name_both_lines(home, sqlite_db):
    # A repeated data ID is the server's conflict (exit 1); the message says where.
    url, _ = sqlite_db
    path = _write(home, "dup.csv", "instrument,detector\nCam,7\nCam,8\nCam,7\n")
    before = _state(home, url)
    r = cli(home, url, "datasets", "insert", "bias", RUN, path)
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1, r
    assert f"{path}, lines 2 and 4:" in r.err and "more than once" in r.err, r
    # a row whose data ID is already in the RUN: its line
    path = _write(home, "again.csv", "instrument,detector\nCam,7\nCam,2\n")
    r = cli(home, url, "datasets", "insert", "bias", RUN, path)
    assert r.code == 1 and f"{path}, line 3:" in r.err, r
    assert _state(home, url) == before


def test_datasets_insert_refuses_a_directory_and_a_missing_file(home, sqlite_db):
    url, _ = sqlite_db
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, str(home)], str(home),
               "is a directory")
    missing = str(home / "nope.csv")
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, missing], missing,
               "No such file")


def test_an_unreadable_file_is_refused(home, sqlite_db, monkeypatch, capsys):
    # Tests may run as root, for whom no permission bit makes a file unreadable: the read
    # itself fails here, in-process (the CLI's one reader of files).
    url, _ = sqlite_db
    path = _write(home, "secret.csv", "instrument,detector\nCam,7\n")
    before = _state(home, url)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    monkeypatch.setenv("CALIBCERT_URL", url)
    for args in (["datasets", "insert", "bias", RUN, path], ["certify-series", CALIB, path],
                 ["import", path, "--collection", CALIB]):
        assert cli_module.run(args) == 2
        err = capsys.readouterr().err
        assert err == f"calibcert: bad input: cannot read {path}: Permission denied\n", err
    monkeypatch.undo()
    assert _state(home, url) == before


def test_stdin_empty_and_malformed(home, sqlite_db):
    url, _ = sqlite_db
    before = _state(home, url)
    refused(cli(home, url, "datasets", "insert", "bias", RUN, "-", stdin=""),
            "<stdin>: the file is empty")
    refused(cli(home, url, "datasets", "insert", "bias", RUN, "-", stdin="[{\n"),
            "<stdin>, line 2, column 1", "cannot parse JSON")
    assert _state(home, url) == before


@pytest.mark.parametrize("name,content", [
    ("bom.csv", "\ufeffinstrument,detector\r\nCam,7\r\nCam,8\r\n"),
    ("bom.json", '\ufeff[{"instrument": "Cam", "detector": 7},\n'
                 ' {"instrument": "Cam", "detector": 8}]'),
    ("bom.yaml", "\ufeff- {instrument: Cam, detector: 7}\n- {instrument: Cam, detector: 8}\n"),
])
def test_a_byte_order_mark_is_accepted(home, sqlite_db, name, content):
    url, _ = sqlite_db
    path = _write(home, name, content)
    r = ok(home, url, "--json", "datasets", "insert", "bias", RUN, path)
    assert sorted((d["data_id"]["instrument"], d["data_id"]["detector"]) for d in r.json()) \
        == [("Cam", 7), ("Cam", 8)]


# -- certify-series -----------------------------------------------------------------------


def _series_cases(ids: dict[str, str]) -> list[tuple[str, str | bytes, tuple[str, ...]]]:
    d1, d2 = ids["1"], ids["2"]
    return [
        ("empty.csv", "", ("the file is empty",)),
        ("header-only.csv", "dataset,begin\n", ("no rows after the header", "no series rows")),
        ("header-only.json", "[]", ("the list is empty",)),
        ("extra.csv", f"dataset,begin\n{d1},2024-01-01T00:00Z\n{d2},2024-02-01T00:00Z,x\n",
         ("line 3", "3 fields")),
        ("missing.csv", f"dataset,begin\n{d1}\n", ("line 2", "no value for begin")),
        ("columns.csv", f"id,when\n{d1},2024-01-01T00:00Z\n",
         ("line 1", "needs columns dataset,begin")),
        ("naive.csv", f"dataset,begin\n{d1},2024-01-01T00:00Z\n{d2},2024-02-01T00:00\n",
         ("line 3", "begin '2024-02-01T00:00' has no timezone")),
        ("not-a-time.csv", f"dataset,begin\n{d1},yesterday\n",
         ("line 2", "'yesterday' is not an ISO 8601 time")),
        ("not-a-uuid.csv", "dataset,begin\nd1,2024-01-01T00:00Z\n",
         ("line 2", "'d1' is not a dataset id")),
        ("unknown-dataset.csv", f"dataset,begin\n{d1},2024-01-01T00:00Z\n{UUID_ZERO},"
                                "2024-02-01T00:00Z\n",
         ("line 3", UUID_ZERO, "does not exist")),
        ("data-id.csv", "dataset_type,run,data_id,begin\n"
                        f'bias,{RUN},"{{""instrument"": ""Cam"", ""detector"": 1}}",'
                        "2024-01-01T00:00Z\n"
                        f"bias,{RUN},detector=2,2024-02-01T00:00Z\n",
         ("line 3", "data_id 'detector=2' is not JSON")),
        ("no-such-data-id.json", json.dumps([
            {"dataset_type": "bias", "run": RUN, "data_id": {"instrument": "Cam", "detector": 1},
             "begin": "2024-01-01T00:00Z"},
            {"dataset_type": "bias", "run": RUN, "data_id": {"instrument": "Cam", "detector": 9},
             "begin": "2024-02-01T00:00Z"}]),
         ("item 2", "no 'bias' dataset with data ID")),
        ("number.json", json.dumps([{"dataset": d1, "begin": 20240101}]),
         ("item 1", "begin must be an ISO 8601 string")),
        ("not-object.yaml", f"- {d1}\n", ("item 1", "expected an object with 'begin'")),
        ("syntax.json", f'[{{"dataset": "{d1}",\n  "begin": 2024-01-01}}]',
         ("line 2, column ", "cannot parse JSON")),
        ("latin1.csv", f"dataset,begin\n{d1},2024-01-01T00:00Z # caf\xe9\n".encode("latin-1"),
         ("line 2, column 61", "not UTF-8")),
    ]


def test_certify_series_refuses_bad_files(home, sqlite_db):
    url, ids = sqlite_db
    for name, content, words in _series_cases(ids):
        path = _write(home, name, content)
        _unchanged(home, url, ["certify-series", CALIB, path], path, *words)
        # the same file through import --series (which would also register the collection)
        fmt = ["--format", "csv"] if name.endswith(".csv") else []
        _unchanged(home, url, ["import", path, "--series", "--collection", "Cam/new", *fmt],
                   path, *words)


def test_certify_series_conflict_names_the_line(home, sqlite_db):
    url, ids = sqlite_db
    path = _write(home, "twice.csv", f"dataset,begin\n{ids['1']},2024-01-01T00:00Z\n"
                                     f"{ids['2']},2024-01-01T00:00Z\n{ids['1']},2024-01-01T00:00Z\n")
    before = _state(home, url)
    r = cli(home, url, "certify-series", CALIB, path)
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1, r
    assert f"{path}, line 2:" in r.err, r
    assert _state(home, url) == before


def test_certify_series_with_a_byte_order_mark(home, sqlite_db):
    url, ids = sqlite_db
    path = _write(home, "bom.csv", f"\ufeffdataset,begin\r\n{ids['1']},2024-01-01T00:00Z\r\n")
    r = ok(home, url, "--json", "certify-series", CALIB, path)
    assert r.json()["certified"] == 1


# -- import -------------------------------------------------------------------------------


def _export_doc(**changes: Any) -> dict[str, Any]:
    doc = {"format": "calibcert-export", "version": 1,
           "dataset_types": [{"name": "flat", "dimensions": ["instrument", "detector"],
                              "is_calibration": True}],
           "collections": [{"name": "Other/run", "type": "RUN", "doc": None}],
           "datasets": [{"id": str(uuid.uuid4()), "dataset_type": "flat", "run": "Other/run",
                         "data_id": {"detector": 1, "instrument": "Cam"}},
                        {"id": str(uuid.uuid4()), "dataset_type": "flat", "run": "Other/run",
                         "data_id": {"detector": 2, "instrument": "Cam"}}]}
    doc.update(changes)
    return doc


def _import_cases(ids: dict[str, str]) -> list[tuple[str, str | bytes, list[str],
                                                        tuple[str, ...]]]:
    good = _export_doc()
    bad_value = _export_doc()
    bad_value["datasets"][1]["data_id"]["detector"] = 2.5
    bad_id = _export_doc()
    bad_id["datasets"][0]["id"] = "not-a-uuid"
    bad_cert = _export_doc(collections=[{"name": "Other/calib", "type": "CALIBRATION",
                                         "doc": None, "certifications": [{"begin": None}]}])
    coll = ["--collection", "Cam/copy"]
    header = "dataset_type,data_id,dataset,run,begin,end\n"
    data_id = '"{""detector"": 1, ""instrument"": ""Cam""}"'
    return [
        ("empty.json", "", [], ("the file is empty",)),
        ("syntax.json", json.dumps(good, indent=2)[:-3] + ",\n}", [],
         ("cannot parse JSON", "line ")),
        ("syntax.yaml", "format: calibcert-export\nversion: 1\ndatasets: [\n", [],
         ("cannot parse YAML", "line 4")),
        ("value.json", json.dumps(bad_value), [],
         ("invalid export file", "datasets[1]", "must be int or str")),
        ("id.json", json.dumps(bad_id), [], ("datasets[0]", "not-a-uuid")),
        ("cert.json", json.dumps(bad_cert), [], ("collections[0].certifications[0]",)),
        ("list.json", "[]", [], ("top level must be an object",)),
        ("header-only.csv", header, coll, ("no rows after the header", "certification rows")),
        ("ragged.csv", header + f"bias,{data_id},{ids['1']},{RUN},2024-01-01T00:00Z\n", coll,
         ("line 2", "5 fields", "no value for end")),
        ("columns.csv", "dataset_type,data_id,dataset,run,begin\n", coll,
         ("line 1", "lacks column(s) end")),
        ("data-id.csv", header + f"bias,{data_id},{ids['1']},{RUN},2024-01-01T00:00Z,\n"
                                 f"bias,detector=2,{ids['2']},{RUN},2024-01-01T00:00Z,\n", coll,
         ("line 3", "data_id 'detector=2' is not JSON")),
        ("types.csv", header + f'bias,"{{""detector"": 1.5}}",{ids["1"]},{RUN},,\n', coll,
         ("line 2", "must be int or str")),
        ("naive.csv", header + f"bias,{data_id},{ids['1']},{RUN},2024-01-01T00:00,\n", coll,
         ("line 2", "has no timezone")),
        ("reversed.csv", header + f"bias,{data_id},{ids['1']},{RUN},2024-02-01T00:00Z,"
                                  "2024-01-01T00:00Z\n", coll,
         ("line 2", "empty or reversed")),
        ("unknown.csv", header + f"bias,{data_id},{ids['1']},{RUN},2024-01-01T00:00Z,\n"
                                 f"bias,{data_id},{UUID_ZERO},{RUN},2024-01-01T00:00Z,\n", coll,
         ("line 3", "does not exist")),
        ("lie.csv", header + f"bias,{data_id},{ids['2']},{RUN},2024-01-01T00:00Z,\n", coll,
         ("line 2", "the file says")),
    ]


def test_import_refuses_bad_files(home, sqlite_db):
    url, ids = sqlite_db
    for name, content, extra, words in _import_cases(ids):
        path = _write(home, name, content)
        _unchanged(home, url, ["import", path, *extra], path, *words)


# -- --where ------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00Z", "--where", "detectr=1"],
    ["certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00Z", "--where", "detector=1",
     "--where", "instrument=Cam,detectr=1"],
    ["tag", TAGGED, RUN, "bias", "--where", "detectr=1"],
    ["untag", TAGGED, "bias", "--where", "detectr=1"],
    ["datasets", "list", RUN, "bias", "--where", "detectr=1"],
])
def test_where_naming_an_unknown_dimension(home, sqlite_db, args):
    url, _ = sqlite_db
    line = _unchanged(home, url, args, "detectr=1", "'detectr' is not a dimension",
                      "'bias'", "its dimensions are instrument, detector")
    assert "no 'bias' datasets" not in line


# -- PostgreSQL ---------------------------------------------------------------------------


def test_postgresql_bad_files(home, pg_db):
    url, ids = pg_db
    path = _write(home, "extra.csv", "instrument,detector\nCam,7\nCam,8,x\n")
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, path], path, "line 3", "3 fields")
    path = _write(home, "header-only.csv", "instrument,detector\n")
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, path], path,
               "no rows after the header")
    path = _write(home, "series.csv", "dataset,begin\n")
    _unchanged(home, url, ["certify-series", CALIB, path], path, "no rows after the header")
    path = _write(home, "naive.csv", f"dataset,begin\n{ids['1']},2024-01-01T00:00\n")
    _unchanged(home, url, ["certify-series", CALIB, path], path, "line 2", "no timezone")
    path = _write(home, "syntax.json", '{"format": "calibcert-export",\n "version": 1,,}')
    _unchanged(home, url, ["import", path], path, "line 2, column 15", "cannot parse JSON")
    path = _write(home, "float.json", '[{"instrument": "Cam", "detector": 8.5}]')
    _unchanged(home, url, ["datasets", "insert", "bias", RUN, path], path, "item 1",
               "must be int or str")
    _unchanged(home, url, ["certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00Z",
                           "--where", "detectr=1"], "'detectr' is not a dimension",
               "instrument, detector")
    # a late failure is rolled back too: the second data ID is already in the RUN
    path = _write(home, "again.csv", "instrument,detector\nCam,7\nCam,2\n")
    before = _state(home, url)
    r = cli(home, url, "datasets", "insert", "bias", RUN, path)
    assert r.code == 1 and f"{path}, line 3:" in r.err, r
    assert _state(home, url) == before
    # and a byte-order mark is fine
    path = _write(home, "bom.csv", "\ufeffinstrument,detector\r\nCam,7\r\n")
    r = ok(home, url, "--json", "datasets", "insert", "bias", RUN, path)
    assert [d["data_id"] for d in r.json()] == [{"detector": 7, "instrument": "Cam"}]
