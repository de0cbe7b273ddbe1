"""The ``calibcert`` command, run in subprocesses against both backends.

Every test here runs ``python -m calibcert`` (or the installed ``calibcert`` script) as a
real process, so exit codes, stdout / stderr separation and the absence of tracebacks are
what a shell script would see. ``HOME`` and ``XDG_DATA_HOME`` point into the test's tmp
directory, so the real embedded default database is never touched.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

import calibcert
from calibcert import exchange
from calibcert.cli import app
from calibcert.schema import HEAD_REVISION
from calibcert.urls import default_sqlite_path

RUN = "Cam/run/1"
RUN2 = "Cam/run/2"
CALIB = "Cam/calib"
CHAIN = "Cam/defaults"


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    """A fresh, migrated database of each backend in turn (committed: other processes see it)."""
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


def _env(home: Path, url: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALIBCERT_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), COLUMNS="200")
    if url is not None:
        env["CALIBCERT_URL"] = url
    env.update(extra or {})
    return env


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


def cli(home: Path, url: str | None, *args: str, cwd: Path | None = None,
        stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``python -m calibcert ARGS`` with CALIBCERT_URL=url (None: the embedded default)."""
    proc = subprocess.run([sys.executable, "-m", "calibcert", *args], capture_output=True,
                          text=True, env=_env(home, url, env), cwd=cwd or home, input=stdin,
                          timeout=120)
    return Result(proc)


def ok(home: Path, url: str | None, *args: str, **kw: Any) -> Result:
    r = cli(home, url, *args, **kw)
    assert r.code == 0, r
    assert "Traceback" not in r.err, r
    return r


def _setup(home: Path, url: str) -> None:
    """Types, collections and datasets: biases for detectors 1-3 in RUN and RUN2."""
    ok(home, url, "dataset-type", "register", "bias", "instrument", "detector")
    ok(home, url, "dataset-type", "register", "raw", "instrument", "detector", "exposure",
       "--not-calibration")
    for name, kind in ((RUN, "RUN"), (RUN2, "RUN"), (CALIB, "CALIBRATION"), (CHAIN, "CHAINED")):
        ok(home, url, "collection", "register", name, kind)
    data = home / "bias.json"
    data.write_text(json.dumps([{"instrument": "Cam", "detector": d} for d in (1, 2, 3)]))
    ok(home, url, "datasets", "insert", "bias", RUN, str(data))
    csv_file = home / "bias.csv"
    csv_file.write_text("instrument,detector\nCam,1\nCam,2\nCam,3\n")
    ok(home, url, "datasets", "insert", "bias", RUN2, str(csv_file))


def _state(home: Path, url: str) -> Any:
    """Everything in the database, as one comparable value (read in-process: a second
    connection sees only what was committed)."""
    reg = calibcert.connect(url)
    try:
        names = [c.name for c in reg.list_collections()]
        return (exchange.dumps(exchange.export_data(reg, names)) if names else "",
                reg.list_collections(), reg.list_dataset_types())
    finally:
        reg.close()


# -- help, entry points -------------------------------------------------------------------


def test_help_names_url_sources_and_exit_codes(home):
    r = ok(home, None, "--help")
    assert "--url" in r.out and "$CALIBCERT_URL" in r.out
    assert "embedded SQLite" in r.out and "calibcert.db" in r.out
    for code in ("0  success", "1  conflict", "2  bad input", "3  connection", "4  lock timeout"):
        assert code in r.out
    # subcommands say it too, and every mutating one offers --dry-run (checked in-process:
    # help text does not depend on the database)
    runner = CliRunner()
    for cmd in (["certify"], ["decertify"], ["close"], ["certify-series"], ["import"],
                ["collection", "register"], ["collection", "remove"], ["collection", "copy"],
                ["collection", "snapshot"],
                ["collection", "chain"], ["collection", "state"], ["collection", "writers"],
                ["dataset-type", "register"], ["datasets", "insert"],
                ["tag"], ["untag"], ["db", "upgrade"]):
        sub = runner.invoke(app.cli, [*cmd, "--help"], terminal_width=200)
        assert sub.exit_code == 0, (cmd, sub.output)
        assert "--dry-run" in sub.output, cmd
        assert "CALIBCERT_URL" in sub.output, cmd


def test_installed_console_script(home):
    exe = shutil.which("calibcert", path=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    assert exe, "the calibcert console script is not installed"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True,
                          env=_env(home, None))
    assert proc.returncode == 0 and calibcert.__version__ in proc.stdout


# -- the workflow -------------------------------------------------------------------------


def test_workflow(home, url):
    _setup(home, url)
    r = ok(home, url, "--json", "datasets", "list", RUN, "bias")
    assert sorted(d["data_id"]["detector"] for d in r.json()) == [1, 2, 3]
    assert all(d["run"] == RUN for d in r.json())

    # certify "all biases of RUN", narrowed to detectors 1 and 2
    r = ok(home, url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z",
           "--where", "detector=1", "--where", "detector=2", "--json")
    assert r.json()["certified"] == 2 and r.json()["end"] is None
    assert "certified 2 bias datasets" in r.err
    # newer ones for every detector, closing the open ones
    ok(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-03-01T00:00:00+01:00",
       "--close-open")
    certs = ok(home, url, "list", CALIB, "--json").json()
    assert len(certs) == 5
    by_run = sorted((c["run"], c["data_id"]["detector"], c["begin"], c["end"]) for c in certs)
    assert by_run[0] == (RUN, 1, "2024-01-01T00:00:00Z", "2024-02-29T23:00:00Z")
    assert by_run[2] == (RUN2, 1, "2024-02-29T23:00:00Z", None)

    # lookups: several data IDs x several times; no time skips CALIBRATION collections
    r = ok(home, url, "find", CALIB, "bias", "-d", "instrument=Cam,detector=1",
           "-d", '{"instrument": "Cam", "detector": 3}', "--at", "2024-02-01T00:00:00Z",
           "--at", "2024-04-01T00:00:00Z", "--json")
    found = [(x["data_id"]["detector"], x["at"], x["dataset"] and x["dataset"]["run"])
             for x in r.json()]
    assert found == [(1, "2024-02-01T00:00:00Z", RUN), (3, "2024-02-01T00:00:00Z", None),
                     (1, "2024-04-01T00:00:00Z", RUN2), (3, "2024-04-01T00:00:00Z", RUN2)]
    table = ok(home, url, "find", CALIB, "bias", "-d", "instrument=Cam,detector=1",
               "--at", "2024-02-01T00:00:00Z").out
    assert "DATASET" in table.splitlines()[0] and RUN in table

    # decertify a night for detector 2, split in two
    r = ok(home, url, "decertify", CALIB, "bias", "--begin", "2024-01-10T12:00:00Z",
           "--end", "2024-01-11T12:00:00Z", "-d", "instrument=Cam,detector=2", "--json")
    assert r.json()["touched"] == 1
    # close every open end of detector 3
    r = ok(home, url, "close", CALIB, "bias", "--end", "2025-01-01T00:00:00Z",
           "-d", "instrument=Cam,detector=3", "--json")
    assert r.json()["closed"] == 1
    spans = sorted((c["data_id"]["detector"], c["begin"], c["end"])
                   for c in ok(home, url, "list", CALIB, "--json").json())
    assert (2, "2024-01-01T00:00:00Z", "2024-01-10T12:00:00Z") in spans
    assert (2, "2024-01-11T12:00:00Z", "2024-02-29T23:00:00Z") in spans
    assert (3, "2024-02-29T23:00:00Z", "2025-01-01T00:00:00Z") in spans

    # copy, chain, look up through the chain
    ok(home, url, "collection", "copy", CALIB, "Cam/calib/v1", "--doc", "release 1")
    ok(home, url, "collection", "chain", CHAIN, "Cam/calib/v1", RUN)
    assert ok(home, url, "collection", "chain", CHAIN, "--json").json()["children"] == [
        "Cam/calib/v1", RUN]
    ok(home, url, "collection", "chain", CHAIN, CALIB, "--prepend")
    assert ok(home, url, "collection", "chain", CHAIN, "--json").json()["children"] == [
        CALIB, "Cam/calib/v1", RUN]
    through = ok(home, url, "list", CHAIN, "--json").json()
    assert {c["collection"] for c in through} == {CALIB, "Cam/calib/v1"}
    colls = {c["name"]: c for c in ok(home, url, "collection", "list", "--json").json()}
    assert colls["Cam/calib/v1"] == {"name": "Cam/calib/v1", "type": "CALIBRATION",
                                     "doc": "release 1", "state": "OPEN", "writers": None,
                                     "snapshot_of": None, "snapshot_epoch": None}
    # no time: CALIBRATION members skipped, the RUN in the chain answers
    r = ok(home, url, "find", CHAIN, "bias", "-d", "instrument=Cam,detector=2", "--json")
    assert r.json()[0]["dataset"]["run"] == RUN

    # tags
    ok(home, url, "collection", "register", "Cam/good", "TAGGED")
    r = ok(home, url, "tag", "Cam/good", RUN2, "bias", "--where", "detector=3", "--json")
    assert r.json()["tagged"] == 1
    assert [d["data_id"]["detector"] for d in
            ok(home, url, "list", "Cam/good", "--json").json()] == [3]
    assert ok(home, url, "untag", "Cam/good", "bias", "--json").json()["untagged"] == 1

    # remove: a chain child is in use (conflict), the chain itself can go
    assert cli(home, url, "collection", "remove", "Cam/calib/v1").code == 1
    ok(home, url, "collection", "remove", CHAIN)
    ok(home, url, "collection", "remove", "Cam/calib/v1")
    names = [c["name"] for c in ok(home, url, "collection", "list", "--json").json()]
    assert CHAIN not in names and "Cam/calib/v1" not in names

    # plot
    r = ok(home, url, "plot", CALIB, "-o", str(home / "t.svg"), "--json")
    assert r.json() == {"output": str(home / "t.svg"), "collection": CALIB,
                        "type": "CALIBRATION", "members": [CALIB], "answering": [CALIB],
                        "certifications": 6, "intervals": 6, "rows": 3, "runs": 2}
    assert (home / "t.svg").read_text().count('id="cert-') == 6


def test_certify_series_from_csv(home, url):
    _setup(home, url)
    refs = ok(home, url, "datasets", "list", RUN, "bias", "--json").json()
    refs2 = ok(home, url, "datasets", "list", RUN2, "bias", "--json").json()
    lines = ["dataset,begin"]
    for r1, r2 in zip(refs, refs2, strict=True):
        lines += [f"{r1['id']},2024-01-01T00:00:00Z", f"{r2['id']},2024-06-01T00:00:00Z"]
    series = home / "series.csv"
    series.write_text("\n".join(lines) + "\n")
    r = ok(home, url, "certify-series", CALIB, str(series), "--json")
    assert r.json()["certified"] == 6
    spans = {(c["run"], c["data_id"]["detector"]): (c["begin"], c["end"])
             for c in ok(home, url, "list", CALIB, "--json").json()}
    assert spans[(RUN, 2)] == ("2024-01-01T00:00:00Z", "2024-06-01T00:00:00Z")
    assert spans[(RUN2, 2)] == ("2024-06-01T00:00:00Z", None)
    # the same by data ID, through import --series (curated calibrations with start dates)
    by_data_id = home / "curated.csv"
    by_data_id.write_text(
        "dataset_type,run,data_id,begin\n"
        'bias,Cam/run/1,"{""instrument"": ""Cam"", ""detector"": 1}",2020-01-01T00:00:00Z\n'
        'bias,Cam/run/2,"{""instrument"": ""Cam"", ""detector"": 1}",2021-01-01T00:00:00Z\n')
    r = ok(home, url, "import", str(by_data_id), "--series", "--collection", "Cam/curated",
           "--json")
    assert r.json()["certifications"] == 2
    curated = ok(home, url, "list", "Cam/curated", "--json").json()
    assert [(c["run"], c["begin"], c["end"]) for c in curated] == [
        (RUN, "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),
        (RUN2, "2021-01-01T00:00:00Z", None)]


# -- dry runs -----------------------------------------------------------------------------


def test_dry_run_shows_changes_and_changes_nothing(home, url):
    _setup(home, url)
    ok(home, url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z")
    before = _state(home, url)

    def dry(*args: str) -> list[dict[str, Any]]:
        r = ok(home, url, *args, "--dry-run", "--json")
        doc = r.json()
        assert doc["dry_run"] is True
        assert "nothing was changed" in r.err
        assert _state(home, url) == before, f"{args} changed the database"
        return doc["changes"]

    def actions(changes: list[dict[str, Any]], kind: str = "certification") -> list[str]:
        return sorted(c["action"] for c in changes if c["kind"] == kind)

    ch = dry("certify", RUN2, CALIB, "bias", "--begin", "2024-03-01T00:00:00Z", "--close-open")
    assert actions(ch) == ["added"] * 3 + ["closed"] * 3
    closed = next(c for c in ch if c["action"] == "closed")
    assert closed["timespans_before"] == [{"begin": "2024-01-01T00:00:00Z", "end": None}]
    assert closed["timespans_after"] == [{"begin": "2024-01-01T00:00:00Z",
                                          "end": "2024-03-01T00:00:00Z"}]
    ch = dry("decertify", CALIB, "bias", "--begin", "2024-02-01T00:00:00Z",
             "--end", "2024-02-02T00:00:00Z", "-d", "instrument=Cam,detector=1")
    assert actions(ch) == ["split"]
    assert len(ch[0]["timespans_after"]) == 2
    ch = dry("decertify", CALIB, "bias", "--end", "2025-01-01T00:00:00Z")
    assert actions(ch) == ["shortened"] * 3
    ch = dry("decertify", CALIB, "bias", "--begin", "2023-01-01T00:00:00Z")
    assert actions(ch) == ["removed"] * 3
    ch = dry("close", CALIB, "bias", "--end", "2024-06-01T00:00:00Z")
    assert actions(ch) == ["closed"] * 3
    ch = dry("collection", "remove", CALIB)
    assert actions(ch) == ["removed"] * 3 and actions(ch, "collection") == ["removed"]
    ch = dry("collection", "copy", CALIB, "Cam/copy")
    assert actions(ch) == ["added"] * 3 and actions(ch, "collection") == ["added"]
    ch = dry("collection", "register", "Cam/new", "TAGGED")
    assert actions(ch, "collection") == ["added"]
    ch = dry("collection", "chain", CHAIN, CALIB, RUN)
    assert [(c["kind"], c["after"]) for c in ch] == [("chain", f"{CALIB}, {RUN}")]
    ch = dry("dataset-type", "register", "dark", "instrument", "detector")
    assert actions(ch, "dataset_type") == ["added"]
    ch = dry("datasets", "insert", "bias", RUN, "-d", "instrument=Cam,detector=9")
    assert actions(ch, "dataset") == ["added"]
    ok(home, url, "collection", "register", "Cam/good", "TAGGED")
    before = _state(home, url)
    ch = dry("tag", "Cam/good", RUN, "bias")
    assert actions(ch, "tag") == ["added"] * 3
    series = home / "s.csv"
    rid = ok(home, url, "datasets", "list", RUN2, "bias", "--json").json()[0]["id"]
    series.write_text(f"dataset,begin\n{rid},2030-01-01T00:00:00Z\n")
    before = _state(home, url)
    ch = dry("certify-series", CALIB, str(series), "--close-open")
    assert actions(ch) == ["added", "closed"]
    exported = home / "x.json"
    ok(home, url, "export", CALIB, "-o", str(exported))
    ch = dry("import", str(exported))  # everything present already: no changes
    assert ch == []
    before_upgrade = _state(home, url)
    r = ok(home, url, "db", "upgrade", "--dry-run", "--json")
    assert r.json()["result"]["changed"] is False
    assert _state(home, url) == before_upgrade
    # a dry run that would conflict fails exactly like the real command, and changes nothing
    r = cli(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-03-01T00:00:00Z",
            "--dry-run")
    assert r.code == 1 and "conflict" in r.err
    assert _state(home, url) == before_upgrade


# -- errors and exit codes ----------------------------------------------------------------


def _one_line_error(r: Result, code: int, *words: str) -> None:
    assert r.code == code, r
    assert "Traceback" not in r.err, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    assert lines[0].startswith("calibcert: "), r
    for w in words:
        assert w in lines[0], (w, r)
    assert r.out == "", r


def test_exit_codes(home, url):
    _setup(home, url)
    ok(home, url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z")
    # 1: conflicts
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "bias",
                        "--begin", "2024-02-01T00:00:00Z"), 1, "conflict", CALIB)
    _one_line_error(cli(home, url, "collection", "register", CALIB, "TAGGED"), 1, CALIB)
    _one_line_error(cli(home, url, "dataset-type", "register", "bias", "detector"), 1, "bias")
    ok(home, url, "collection", "chain", CHAIN, CALIB)
    _one_line_error(cli(home, url, "collection", "remove", CALIB), 1, CALIB)
    # 2: bad input
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "bias",
                        "--begin", "2024-02-01T00:00:00"), 2, "timezone")
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "bias",
                        "--begin", "2024-02-01T00:00:00Z", "--end", "2024-01-01T00:00:00Z"),
                    2, "begin must be before end")
    _one_line_error(cli(home, url, "certify", "Cam/nope", CALIB, "bias",
                        "--begin", "2024-02-01T00:00:00Z"), 2, "Cam/nope")
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "bias", "--where", "detector=7",
                        "--begin", "2024-02-01T00:00:00Z"), 2, "no 'bias' datasets")
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "raw",
                        "--begin", "2024-02-01T00:00:00Z"), 2)
    _one_line_error(cli(home, url, "find", CALIB, "bias", "-d", "detector=1",
                        "--at", "2024-02-01T00:00:00Z"), 2, "instrument")
    _one_line_error(cli(home, url, "certify", RUN2, CALIB, "nodtype",
                        "--begin", "2024-02-01T00:00:00Z"), 2, "nodtype")
    _one_line_error(cli(home, url, "certify", CALIB, CALIB, "bias",
                        "--begin", "2024-02-01T00:00:00Z"), 2)  # CALIBRATION as input
    _one_line_error(cli(home, url, "import", str(home / "missing.json")), 2, "missing.json")
    _one_line_error(cli(home, url, "frobnicate"), 2, "frobnicate")
    _one_line_error(cli(home, url, "certify", RUN2, CALIB), 2, "Missing argument")
    # 1: an ambiguous lookup (two certifications overlap the looked-up timespan)
    ok(home, url, "close", CALIB, "bias", "--end", "2024-06-01T00:00:00Z")
    ok(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-06-01T00:00:00Z")
    _one_line_error(cli(home, url, "find", CALIB, "bias", "-d", "instrument=Cam,detector=1",
                        "--at", "2024-05-01T00:00:00Z/2024-07-01T00:00:00Z"), 1)
    # --json: the error is one JSON line with the exit code and the details
    r = cli(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-02-01T00:00:00Z",
            "--json")
    assert r.code == 1 and r.out == ""
    err = json.loads(r.err)
    assert err["error"] == "ConflictingCertificationError" and err["exit_code"] == 1
    assert err["details"]["collection"] == CALIB and err["details"]["conflicts"]
    # --traceback shows it
    r = cli(home, url, "certify", RUN2, CALIB, "bias", "--begin", "2024-02-01T00:00:00Z",
            "--traceback")
    assert r.code == 1 and "Traceback" in r.err and "ConflictingCertificationError" in r.err


def test_connection_and_schema_errors(home, tmp_path, empty_pg_url):
    # unreachable server, unsupported URL, a database without the schema
    _one_line_error(cli(home, "postgresql://nobody@127.0.0.1:1/none", "collection", "list"),
                    3, "connection")
    _one_line_error(cli(home, None, "collection", "list", "--url", "mysql://h/db"), 3, "mysql")
    _one_line_error(cli(home, empty_pg_url, "collection", "list"), 3, "calibcert db upgrade")
    r = cli(home, empty_pg_url, "db", "check")
    assert r.code == 3 and "(none)" in r.out
    _one_line_error(cli(home, "postgresql://nobody@127.0.0.1:1/none", "db", "check"), 3)
    empty_file = tmp_path / "empty.db"
    empty_file.touch()
    _one_line_error(cli(home, f"sqlite:///{empty_file}", "collection", "list"), 3, "upgrade")
    # db upgrade works on the empty database, after which check passes
    ok(home, empty_pg_url, "db", "upgrade")
    r = ok(home, empty_pg_url, "db", "check", "--json")
    assert r.json() == {"current": HEAD_REVISION, "head": HEAD_REVISION, "at_head": True,
                        "healthy": True, "problems": []}


def test_lock_timeout_is_exit_4(home, pg_url):
    _setup(home, pg_url)
    with psycopg.connect(pg_url) as conn:  # holds the collection's row lock until rollback
        conn.execute("SELECT * FROM calib.collection WHERE name = %s FOR UPDATE", (CALIB,))
        r = cli(home, pg_url, "certify", RUN, CALIB, "bias", "--begin", "2024-01-01T00:00:00Z",
                env={"PGOPTIONS": "-c lock_timeout=300ms"})
        conn.rollback()
    _one_line_error(r, 4, "retry")
    assert ok(home, pg_url, "list", CALIB, "--json").json() == []


# -- the embedded default and the demo ----------------------------------------------------


def test_embedded_default_upgrade_and_use(home):
    env = _env(home, None)
    target = Path(env["XDG_DATA_HOME"]) / "calibcert" / "calibcert.db"
    assert not target.exists()
    r = cli(home, None, "collection", "list")
    assert r.code == 3 and "calibcert db upgrade" in r.err
    ok(home, None, "db", "upgrade")
    assert target.exists()
    assert ok(home, None, "db", "current", "--json").json()["current"] == HEAD_REVISION
    ok(home, None, "collection", "register", "Cam/x", "RUN")
    assert ok(home, None, "collection", "list", "--json").json()[0]["name"] == "Cam/x"
    # and the real default file was never touched
    assert default_sqlite_path() != target


def test_demo_on_embedded_default(home):
    r = ok(home, None, "demo")
    # the README's transcript shows the real `db upgrade` line (tests/test_cli_review.py)
    assert f"database at revision {HEAD_REVISION} (head)" in r.err
    png = home / "calibcert-demo.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "$ calibcert certify" in r.err and "--close-open" in r.err
    assert "split" in r.out  # the decertify preview
    # the lookups table: the exposure during the bad night finds no bias
    lookups = [line for line in r.out.splitlines() if line.startswith("2024-02-11T02:30:00Z")]
    assert lookups and all(" - " in line or line.rstrip().endswith("-") for line in lookups[:2])
    # the demo left its collections in the embedded default for the user to explore
    names = [c["name"] for c in ok(home, None, "collection", "list", "--json").json()]
    assert "DemoCam/calib" in names and "DemoCam/calib/v1" in names
    chain = ok(home, None, "collection", "chain", "DemoCam/calib", "--json").json()
    assert chain["children"] == ["DemoCam/calib/v1"]
    # running it again starts from a fresh file
    ok(home, None, "demo", "--plot", str(home / "again.svg"))
    assert len(ok(home, None, "list", "DemoCam/calib/run/2024-01", "--json").json()) == 12
    # a default database with other content is not replaced without --replace
    ok(home, None, "collection", "register", "Mine/precious", "RUN")
    r = cli(home, None, "demo")
    assert r.code == 1 and "--replace" in r.err
    assert "Mine/precious" in ok(home, None, "collection", "list").out
    ok(home, None, "demo", "--replace")
    assert "Mine/precious" not in ok(home, None, "collection", "list").out


def test_demo_on_postgresql(home, pg_url):
    r = ok(home, pg_url, "demo", "--plot", str(home / "demo.svg"))
    assert (home / "demo.svg").read_text().count('id="cert-') == len(
        ok(home, pg_url, "list", "DemoCam/calib", "--json").json())
    assert "demo finished" in r.err
    # its collections exist now: a second run refuses (conflict) instead of mixing data
    assert cli(home, pg_url, "demo").code == 1


# -- progress bar -------------------------------------------------------------------------


def test_progress_bar_only_on_a_terminal(home, url):
    ok(home, url, "dataset-type", "register", "bias", "instrument", "detector")
    ok(home, url, "collection", "register", RUN, "RUN")
    big = home / "many.csv"
    big.write_text("instrument,detector\n" + "".join(f"Cam,{d}\n" for d in range(5000)))
    # not a terminal: no bar
    r = ok(home, url, "datasets", "insert", "bias", RUN, str(big), "--json")
    assert len(r.json()) == 5000 and "inserting" not in r.err
    # stderr on a pseudo-terminal: a bar, and still the data on stdout
    ok(home, url, "collection", "register", RUN2, "RUN")
    main, sub = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "calibcert", "datasets", "insert", "bias",
                               RUN2, str(big), "--json"], stdout=subprocess.PIPE, stderr=sub,
                              env=_env(home, url), cwd=home, timeout=120)
        os.close(sub)
        chunks = []
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main)
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)) == 5000
    tty_err = b"".join(chunks).decode(errors="replace")
    assert "inserting bias" in tty_err and "5000/5000" in tty_err


# -- collection states and writers (issue 15, item 3) --------------------------------------


def test_collection_state_prints_sets_and_refuses(home, url):
    _setup(home, url)
    assert ok(home, url, "collection", "state", CALIB, "--json").json() == {
        "collection": CALIB, "state": "OPEN"}
    assert "OPEN" in ok(home, url, "collection", "state", CALIB).out
    ch = ok(home, url, "collection", "state", CALIB, "frozen", "--dry-run", "--json").json()
    assert [(c["kind"], c["before"], c["after"]) for c in ch["changes"]] == [
        ("state", "OPEN", "FROZEN")]
    assert ok(home, url, "collection", "state", CALIB, "--json").json()["state"] == "OPEN"
    r = ok(home, url, "collection", "state", CALIB, "FROZEN", "--json")
    assert r.json() == {"collection": CALIB, "state": "FROZEN", "previous": "OPEN"}
    assert f"{CALIB}: OPEN -> FROZEN" in r.err
    rows = {c["name"]: c for c in ok(home, url, "collection", "list", "--json").json()}
    assert (rows[CALIB]["state"], rows[CALIB]["writers"]) == ("FROZEN", None)
    assert "FROZEN" in ok(home, url, "collection", "list").out
    before = _state(home, url)
    r = cli(home, url, "collection", "remove", CALIB)
    assert r.code == 1 and f"collection {CALIB!r} is FROZEN: remove_collection refused" in r.err
    assert _state(home, url) == before
    assert cli(home, url, "collection", "state", CALIB, "CLOSED").code == 2
    assert cli(home, url, "collection", "state", "nope").code == 2
    ok(home, url, "collection", "state", CALIB, "OPEN")
    ok(home, url, "collection", "remove", CALIB)


def test_collection_writers_prints_sets_and_resets(home, url):
    _setup(home, url)
    assert ok(home, url, "collection", "writers", CALIB, "--json").json() == {
        "collection": CALIB, "writers": None}
    assert "every certifier" in ok(home, url, "collection", "writers", CALIB).out
    if url.startswith("sqlite"):  # no roles on SQLite: a clear refusal, exit 2
        r = cli(home, url, "collection", "writers", CALIB, "calib_writer")
        assert r.code == 2 and "PostgreSQL roles" in r.err
        return
    r = ok(home, url, "collection", "writers", CALIB, "calib_writer", "calib_reader", "--json")
    assert r.json()["writers"] == ["calib_writer", "calib_reader"]
    assert ok(home, url, "collection", "writers", CALIB, "--json").json()["writers"] == [
        "calib_writer", "calib_reader"]
    assert cli(home, url, "collection", "writers", CALIB, "no_such_role").code == 2
    assert cli(home, url, "collection", "writers", CALIB, "x", "--all").code == 2
    r = ok(home, url, "collection", "writers", CALIB, "--all", "--json")
    assert r.json() == {"collection": CALIB, "writers": None,
                        "previous": ["calib_writer", "calib_reader"]}
