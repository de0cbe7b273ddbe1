"""A newcomer's review of the client and the command line (s11): each finding, as the caller
who met it.

- F1: PostgreSQL's own permission error (42501: no calibcert role, so no USAGE on schema
  calib; a function the login's role may not call) is ``AccessDeniedError`` naming the
  role that allows it, CLI exit 1 (``access denied``), not a raw psycopg error / exit 5.
- F3: a time with a UTC offset that leaves years 1..9999 in UTC is ``InvalidTimespanError``
  (CLI exit 2) on every option, in files and in ``Timespan(...)``, not ``OverflowError``.
- F4: a SQLite busy timeout beyond SQLite's int milliseconds waits (the longest SQLite
  can), instead of not waiting at all while the message claimed it had.
- F5: ``sqlite://x``, ``sqlite://``, ``bogus://x``: unsupported URL, ``DatabaseAccessError``
  (CLI exit 3), not ``ValueError`` (exit 5).
- F6, F7: an output file that cannot be written is exit 2 before any work; a demo whose
  SQLite file is a directory is exit 3.
- F8: a time error in an export file names the file and the entry; so does an error the
  database finds about a certification of the file.
- F9: ``calibcert`` alone prints its help (exit 2), not one squashed line.
- F10: ``--url ''`` is refused; a JSON (or YAML, or KEY=VALUE) data ID repeating a key is
  refused on every path that reads one; the README demo transcript's revision is the real one.

Against the code before this file every test here fails (exit 5 or a raw exception, a
silent fallback, a squashed line, a file or entry not named).
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest

import calibcert
from calibcert import Timespan
from calibcert.errors import (
    AccessDeniedError,
    CalibCertError,
    DatabaseAccessError,
    InvalidArgumentError,
    InvalidTimespanError,
    translate,
)
from calibcert.schema import HEAD_REVISION
from calibcert.urls import sqlite_path
from test_cli import Result, _env, _one_line_error, _setup, _state, cli, ok

ROOT = Path(__file__).resolve().parents[1]
RUN = "Cam/run/1"
CALIB = "Cam/calib"
NOBODY = "calibcert_review_nobody"  # a login without any calibcert role
READER = "calibcert_review_reader"  # a login holding calib_reader only


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


def _as(url: str, login: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{login}@{rest.split('@', 1)[1]}"


@pytest.fixture
def logins(pg_admin_url):
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role, grant in ((NOBODY, ""), (READER, " IN ROLE calib_reader")):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            conn.execute(f"CREATE ROLE {role} LOGIN{grant}")
    yield
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role in (NOBODY, READER):
            conn.execute(f"DROP ROLE IF EXISTS {role}")


# -- F1: PostgreSQL's 42501 --------------------------------------------------------------


def test_function_roles_match_the_role_contract() -> None:
    # errors.FUNCTION_ROLES (which role a 42501 asks for) against the contract's table.
    sys.path.insert(0, str(ROOT / "tests"))
    from calibcert.errors import FUNCTION_ROLES
    from roles_contract import LOWEST_ROLE

    contract: dict[str, set[str]] = {}
    for signature, level in LOWEST_ROLE.items():
        contract.setdefault(signature.split("(")[0].removeprefix("calib."), set()).add(level)
    assert {name: {level} for name, level in FUNCTION_ROLES.items()} == contract


def test_a_login_without_a_calibcert_role_is_told_so(pg_url, logins, home) -> None:
    with pytest.raises(AccessDeniedError) as raised:
        calibcert.connect(_as(pg_url, NOBODY))
    err = raised.value
    assert isinstance(err, PermissionError) and isinstance(err, CalibCertError)
    assert isinstance(err.__cause__, psycopg.errors.InsufficientPrivilege)
    assert "schema calib" in err.message and "no calibcert role" in err.message
    assert "calib_reader" in err.message and "has no calibcert schema" not in err.message
    assert err.details["sqlstate"] == "42501"
    assert err.details["needs"] == ["calib_reader", "calib_certifier", "calib_admin"]
    r = cli(home, _as(pg_url, NOBODY), "collection", "list")
    _one_line_error(r, 1, "calibcert: access denied: permission denied for schema calib",
                    "calib_reader")
    assert "internal error" not in r.err and "--traceback" not in r.err


def test_a_reader_calling_a_certifier_or_admin_function(pg_url, logins, home) -> None:
    with calibcert.connect(pg_url) as owner:
        owner.register_dataset_type("bias", ["instrument", "detector"])
        owner.register_collection(RUN, "RUN")
        owner.register_collection(CALIB, "CALIBRATION")
        ref, = owner.insert_datasets("bias", RUN, [{"instrument": "Cam", "detector": 1}])
    with calibcert.connect(_as(pg_url, READER)) as reg:
        assert [c.name for c in reg.list_collections()] == [CALIB, RUN]  # reads work
        with pytest.raises(AccessDeniedError) as raised:
            reg.register_collection("Cam/other", "RUN")
        assert raised.value.details["needs"] == ["calib_admin"]
        assert "calib.register_collection needs the calibcert role calib_admin" in \
            raised.value.message
        with pytest.raises(AccessDeniedError) as raised:
            reg.certify(CALIB, [ref], Timespan(datetime(2024, 1, 1, tzinfo=timezone.utc), None))
        assert raised.value.details["needs"] == ["calib_certifier", "calib_admin"]
    reader = _as(pg_url, READER)
    _one_line_error(cli(home, reader, "certify", RUN, CALIB, "bias", "--begin",
                        "2024-01-01T00:00Z"), 1, "access denied", "function certify",
                    "calib_certifier or calib_admin")
    r = cli(home, reader, "collection", "register", "Cam/x", "RUN", "--json")
    assert r.code == 1, r
    err = json.loads(r.err)
    assert err["error"] == "AccessDeniedError" and err["details"]["needs"] == ["calib_admin"]
    with calibcert.connect(pg_url) as owner:
        assert owner.certifications(CALIB) == []


def test_a_42501_of_other_code_keeps_its_hint(pg_url) -> None:
    # An installer's 42501 (sql/schema/roles.sql) carries a HINT with the fix.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as raised:
            conn.execute("DO $$ BEGIN RAISE EXCEPTION 'role x cannot hand it over' USING"
                         " ERRCODE = '42501', HINT = 'grant calib_owner to x'; END $$")
    err = translate(raised.value)
    assert isinstance(err, AccessDeniedError) and err.__cause__ is raised.value
    assert err.message == "role x cannot hand it over (grant calib_owner to x)"


# -- F3: times out of range in UTC --------------------------------------------------------

EARLY = "0001-01-01T00:00+01:00"  # 31 Dec of year 0 in UTC
LATE = "9999-12-31T23:00-01:00"  # 1 Jan of year 10000 in UTC


def test_timespans_out_of_range_in_utc_are_invalid_timespans(url) -> None:
    for text in (EARLY, LATE):
        when = datetime.fromisoformat(text)
        with pytest.raises(InvalidTimespanError, match="out of range"):
            Timespan(when, None)
        with pytest.raises(InvalidTimespanError, match="out of range"):
            Timespan(None, when)
        with calibcert.connect(url) as reg:
            reg.register_dataset_type("bias", ["instrument", "detector"])
            reg.register_collection(CALIB, "CALIBRATION")
            with pytest.raises(InvalidTimespanError, match="out of range"):
                reg.find(CALIB, "bias", {"instrument": "Cam", "detector": 1}, when)
    # the extremes themselves are fine, and so is the shortest span at the last instant
    last = datetime.max.replace(tzinfo=timezone.utc)
    assert Timespan.at(last) == Timespan(last, None)
    Timespan(datetime.min.replace(tzinfo=timezone.utc), last)


@pytest.mark.parametrize("args", [
    ("certify", RUN, CALIB, "bias", "--where", "detector=1", "--dry-run", "--begin", EARLY),
    ("find", CALIB, "bias", "-d", "instrument=Cam,detector=1", "--at", LATE),
    ("find", CALIB, "bias", "-d", "instrument=Cam,detector=1", "--at", f"{EARLY}/"),
    ("close", CALIB, "bias", "--end", EARLY),
    ("decertify", CALIB, "bias", "--begin", LATE),
    ("list", CALIB, "--as-of", EARLY),
    ("explain", CALIB, "bias", "-d", "instrument=Cam,detector=1", "--at", EARLY),
    ("collection", "snapshot", CALIB, "Cam/snap", "--as-of", LATE),
], ids=["certify", "find-at", "find-span", "close", "decertify", "list", "explain",
        "snapshot"])
def test_cli_times_out_of_range_are_bad_input(home, sqlite_url, args) -> None:
    _setup(home, sqlite_url)
    before = _state(home, sqlite_url)
    _one_line_error(cli(home, sqlite_url, *args), 2, "bad input", "out of range")
    r = cli(home, sqlite_url, *args, "--json")
    assert r.code == 2 and json.loads(r.err)["error"] != "OverflowError", r
    assert _state(home, sqlite_url) == before


def test_files_with_times_out_of_range_name_file_and_place(home, url) -> None:
    _setup(home, url)
    with calibcert.connect(url) as reg:
        ref = reg.query_datasets(RUN, "bias", {"instrument": "Cam", "detector": 1})[0]
    before = _state(home, url)
    series = home / "ovf.csv"
    series.write_text(f"dataset,begin\n{ref.id},2024-01-01T00:00Z\n{ref.id},{LATE}\n")
    _one_line_error(cli(home, url, "certify-series", CALIB, str(series)), 2,
                    "ovf.csv, line 3", "out of range")
    export = _export_with(home, url, ref.id, "2024-01-01T00:00:00Z", LATE)
    _one_line_error(cli(home, url, "import", str(export)), 2, "ovf.json",
                    "collections[0].certifications[0]", "out of range")
    assert _state(home, url) == before


def _export_with(home: Path, url: str, dataset, begin, end, name: str = "ovf.json") -> Path:
    """An export file of CALIB holding one certification of ``dataset`` (written raw)."""
    ok(home, url, "export", RUN, CALIB, "-o", str(home / "base.json"))
    doc = json.loads((home / "base.json").read_text())
    calib, = (c for c in doc["collections"] if c["name"] == CALIB)
    calib["certifications"] = [{"dataset": str(dataset), "begin": begin, "end": end}]
    doc["collections"] = [calib] + [c for c in doc["collections"] if c is not calib]
    path = home / name
    path.write_text(json.dumps(doc))
    return path


# -- F8: export-file entries named --------------------------------------------------------


@pytest.mark.parametrize("begin,end,words", [
    ("2024-01-01T00:00:00", None, ("begin", "has no timezone")),
    ("2024-01-01T00:00:00Z", "NaN", ("end 'NaN'",)),
    ("2024-01-01T00:00:00Z", "infinity", ("end 'infinity'",)),
    ("2024-02-01T00:00:00Z", "2024-01-01T00:00:00Z", ("empty or reversed",)),
])
def test_time_errors_in_an_export_file_name_file_and_entry(home, sqlite_url, begin, end,
                                                           words) -> None:
    _setup(home, sqlite_url)
    with calibcert.connect(sqlite_url) as reg:
        ref = reg.query_datasets(RUN, "bias", {"instrument": "Cam", "detector": 1})[0]
    before = _state(home, sqlite_url)
    path = _export_with(home, sqlite_url, ref.id, begin, end, "e2.json")
    _one_line_error(cli(home, sqlite_url, "import", str(path)), 2,
                    "e2.json: invalid export file: collections[0].certifications[0] in "
                    "'Cam/calib'", *words)
    assert _state(home, sqlite_url) == before


def test_a_certification_of_a_missing_dataset_names_its_entry(home, url) -> None:
    _setup(home, url)
    before = _state(home, url)
    path = _export_with(home, url, "7d9e6bb2-1c1a-4a43-8f55-3b1e2f1e0a11",
                        "2024-01-01T00:00:00Z", None, "e3.json")
    _one_line_error(cli(home, url, "import", str(path)), 2,
                    "e3.json: collections[0].certifications[0]: ",
                    "7d9e6bb2-1c1a-4a43-8f55-3b1e2f1e0a11")
    assert _state(home, url) == before


# -- F4: SQLite busy timeout beyond SQLite's int milliseconds -----------------------------


@pytest.mark.parametrize("seconds", ["1e9", "inf", "2147484"])
def test_a_huge_busy_timeout_waits(home, sqlite_url, seconds) -> None:
    _setup(home, sqlite_url)
    holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another connection holds the file's write lock
    try:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "calibcert", "collection", "register", "Cam/x", "RUN"],
            env=_env(home, sqlite_url, {"CALIBCERT_BUSY_TIMEOUT": seconds}), cwd=home,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)
        early = proc.poll()  # before: exit 4 at once, "within 1e+09 s (busy timeout)"
    finally:
        holder.rollback()
        holder.close()
    out, err = proc.communicate(timeout=60)
    r = Result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    assert early is None and r.code == 0, r
    assert time.monotonic() - start >= 2.0
    assert "Cam/x" in ok(home, sqlite_url, "collection", "list").out


def test_python_busy_timeout_is_clamped_to_what_sqlite_takes(sqlite_url) -> None:
    from calibcert.backends.sqlite.connection import MAX_BUSY_TIMEOUT

    with calibcert.connect(sqlite_url, busy_timeout=float("inf")) as reg:
        assert reg._busy_timeout == MAX_BUSY_TIMEOUT
        assert int(MAX_BUSY_TIMEOUT * 1000) <= 2**31 - 1
        # what SQLite was given: a wait, not "no busy handler"
        holder = sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None,
                                 check_same_thread=False)  # released by the timer's thread
        holder.execute("BEGIN IMMEDIATE")
        threading.Timer(1.0, holder.rollback).start()
        start = time.monotonic()
        reg.register_collection("Cam/y", "RUN")
        assert time.monotonic() - start >= 0.9
        holder.close()


# -- F5: unsupported URLs -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["sqlite://t.db", "sqlite://", "bogus://x",
                                 "bogus://me:s3cret@host/db"])
def test_unsupported_urls_are_database_access_errors(home, bad) -> None:
    for call in (calibcert.connect, calibcert.upgrade):
        with pytest.raises(DatabaseAccessError, match="unsupported database URL") as raised:
            call(bad)
        assert not isinstance(raised.value, ValueError)
        assert "s3cret" not in raised.value.message
    r = cli(home, None, "--url", bad, "collection", "list")
    _one_line_error(r, 3, "unsupported database URL")
    assert "s3cret" not in r.err
    assert not (home / "t.db").exists()


# -- F6, F7: output files -----------------------------------------------------------------


def test_output_files_that_cannot_be_written(home, url) -> None:
    _setup(home, url)
    (home / "adir").mkdir()
    for args, words in [
        (("export", CALIB, "-o", str(home / "adir")), ("it is a directory",)),
        (("export", CALIB, "-o", str(home / "missing" / "x.json")), ("does not exist",)),
        (("plot", CALIB, "-o", str(home / "missing" / "x.png")), ("does not exist",)),
        (("plot", CALIB, "-o", str(home / "adir" / "x.png" / "y.png")), ("does not exist",)),
        (("export", CALIB, "-o", "/proc/version"), ()),
    ]:
        _one_line_error(cli(home, url, *args), 2, "bad input: cannot write", *words)
    assert not (home / "missing").exists() and list((home / "adir").iterdir()) == []


def test_demo_checks_its_plot_path_before_it_starts(home) -> None:
    r = cli(home, None, "demo", "--plot", str(home / "nonexistent" / "p.png"))
    _one_line_error(r, 2, "cannot write", "nonexistent")
    assert not (home / "data" / "calibcert" / "calibcert.db").exists()  # nothing ran


def test_demo_on_a_directory_cannot_open_it(home) -> None:
    target = home / "data" / "calibcert" / "calibcert.db"
    target.mkdir(parents=True)
    (target / "mine").write_text("keep")
    for args in (("demo",), ("demo", "--replace"), ("demo", "--url", f"sqlite:///{target}")):
        _one_line_error(cli(home, None, *args), 3, "cannot open the SQLite database",
                        "directory")
    assert (target / "mine").read_text() == "keep"


# -- F9: no command -----------------------------------------------------------------------


def test_no_command_prints_the_help(home) -> None:
    for args in ((), ("db",)):
        r = cli(home, None, *args)
        assert r.code == 2 and r.out == "", r
        lines = r.err.splitlines()
        assert lines[0].startswith("Usage: calibcert"), r
        assert len(lines) > 10 and "Commands:" in r.err and "calibcert: bad input" not in r.err


# -- F10: empty URL, repeated keys, the demo transcript -----------------------------------


def test_an_empty_url_is_refused(home, sqlite_url) -> None:
    _setup(home, sqlite_url)  # $CALIBCERT_URL holds data: --url '' must not fall back to it
    _one_line_error(cli(home, sqlite_url, "--url", "", "collection", "list"), 2, "empty URL")
    _one_line_error(cli(home, sqlite_url, "collection", "list", "--url", " "), 2, "empty URL")
    with pytest.raises(InvalidArgumentError, match="empty URL"):
        calibcert.connect("")


def test_a_data_id_repeating_a_key_is_refused(home, url) -> None:
    _setup(home, url)
    with calibcert.connect(url) as reg:
        ref = reg.query_datasets(RUN, "bias", {"instrument": "Cam", "detector": 1})[0]
    before = _state(home, url)
    dup_json = home / "dup.json"
    dup_json.write_text('[{"instrument": "Cam", "detector": 11, "detector": 12}]')
    dup_yaml = home / "dup.yaml"
    dup_yaml.write_text("- instrument: Cam\n  detector: 11\n  detector: 12\n")
    series = home / "series.json"
    series.write_text('[{"dataset_type": "bias", "run": "Cam/run/1", "begin": "2024-01-01T00:00Z",'
                      ' "data_id": {"instrument": "Cam", "detector": 1, "detector": 2}}]')
    certs = home / "certs.csv"
    certs.write_text('dataset_type,data_id,dataset,run,begin,end\nbias,"{""instrument"": '
                     f'""Cam"", ""detector"": 1, ""detector"": 2}}",{ref.id},{RUN},'
                     "2024-01-01T00:00:00Z,\n")
    repeats, twice = "repeats the key 'detector'", "the key 'detector' is given twice"
    for args, words in [
        (("datasets", "insert", "bias", RUN, str(dup_json)), ("dup.json: ", repeats)),
        (("datasets", "insert", "bias", RUN, str(dup_yaml)), ("dup.yaml, line 3", repeats)),
        (("datasets", "insert", "bias", RUN, "-d",
          '{"instrument": "Cam", "detector": 11, "detector": 12}'), (repeats,)),
        (("datasets", "insert", "bias", RUN, "-d", "instrument=Cam,detector=11,detector=12"),
         (twice,)),
        (("find", CALIB, "bias", "-d", '{"instrument": "Cam", "detector": 1, "detector": 2}',
          "--at", "2024-01-01T00:00Z"), (repeats,)),
        (("certify-series", CALIB, str(series)), ("series.json: ", repeats)),
        (("import", str(certs), "--collection", CALIB), ("certs.csv, line 2", repeats)),
    ]:
        _one_line_error(cli(home, url, *args), 2, "bad input", *words)
    assert _state(home, url) == before


def test_the_readme_demo_transcript_shows_the_head_revision() -> None:
    readme = (ROOT / "README.md").read_text()
    demo = readme[readme.index("$ calibcert demo\n"):]
    shown = re.search(r"\$ calibcert db upgrade\n(database at revision \S+ \(head\))", demo)
    assert shown and shown.group(1) == f"database at revision {HEAD_REVISION} (head)"
    # and that is the line `db upgrade` prints (tests/test_cli.py runs the demo itself)
    source = (ROOT / "pyclient" / "calibcert" / "cli" / "db.py").read_text()
    assert 'f"database at revision {head} (head)"' in source
