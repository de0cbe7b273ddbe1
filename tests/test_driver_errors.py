"""Failures a caller can cause reach it as calibcert errors, never raw driver exceptions
(issue 14, item 3, the client's side): a lost connection or terminated backend, values the
database cannot store (too large, not encodable), a SQLite file that cannot be used.

``calibcert.errors.translate`` is the one mapping (SQLSTATE, psycopg's own errors, sqlite3
result codes, UnicodeEncodeError); both backends and the CLI go through it.

Against the code before this file, every test here fails: a terminated backend raised
``psycopg.errors.AdminShutdown`` (then ``psycopg.OperationalError``), and the CLI said only
the server's text; a 3 kB data-ID value on PostgreSQL raised ``ProgramLimitExceeded``, which
the CLI reported as a *connection* problem (exit 3); a lone surrogate raised
``UnicodeEncodeError`` (SQLite, names on PostgreSQL) or ``InvalidTextRepresentation``
(data IDs on PostgreSQL); 22021 was left a raw psycopg error; a SQLite file that is not a
database raised ``sqlite3.DatabaseError`` (CLI exit 5), a directory ``sqlite3.OperationalError``,
a value over SQLite's length limit ``sqlite3.DataError``; a closed registry raised the
drivers' own errors.
"""

from __future__ import annotations

import os
import random
import sqlite3
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import errors
from calibcert.errors import (
    CalibCertError,
    ConnectionLostError,
    DatabaseAccessError,
    DataIdError,
    InvalidArgumentError,
    InvalidNameError,
)
from calibcert.types import Timespan
from helpers import t
from test_cli import _env, _state, cli

RUN = "Cam/run/1"
CALIB = "Cam/calib"


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    (h / "data").mkdir(parents=True)
    return h


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def _populate(url: str) -> None:
    reg = calibcert.connect(url)
    try:
        reg.register_dataset_type("bias", ["instrument", "detector"])
        reg.register_collection(RUN, "RUN")
        reg.register_collection(CALIB, "CALIBRATION")
        refs = reg.insert_datasets("bias", RUN, [{"instrument": "Cam", "detector": d}
                                                 for d in (1, 2)])
        reg.certify(CALIB, refs, Timespan(t(2024), None))
    finally:
        reg.close()


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- a lost connection --------------------------------------------------------------------


def _terminate(admin_url: str, pid: int) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", (pid,)).fetchone()[0]


@pytest.mark.parametrize("call", ["list_collections", "certify", "find", "find_many",
                                  "transaction"])
def test_a_terminated_backend_is_connection_lost(pg_url, pg_admin_url, call):
    _populate(pg_url)
    reg = calibcert.connect(pg_url)
    try:
        ref = reg.find(CALIB, "bias", {"instrument": "Cam", "detector": 1}, t(2024, 2))
        assert ref is not None  # the connection works, and the fast find path is decided
        _terminate(pg_admin_url, reg.connection.info.backend_pid)
        calls = {
            "list_collections": lambda: reg.list_collections(),
            "certify": lambda: reg.certify(CALIB, [ref], Timespan(t(2020), t(2021))),
            "find": lambda: reg.find(CALIB, "bias", {"instrument": "Cam", "detector": 1},
                                     t(2024, 2)),
            "find_many": lambda: reg.find_many(CALIB, "bias", [({"instrument": "Cam",
                                                                 "detector": 1}, t(2024, 2))]),
            "transaction": lambda: _in_transaction(reg, ref),
        }
        with pytest.raises(ConnectionLostError) as info:
            calls[call]()
        err = info.value
        assert isinstance(err, DatabaseAccessError) and isinstance(err, CalibCertError)
        assert isinstance(err.__cause__, psycopg.OperationalError)
        assert err.sqlstate == "08006"
        assert "connection" in err.message
        # and so is every later call on the dead connection
        with pytest.raises(ConnectionLostError, match="lost the connection"):
            reg.list_collections()
    finally:
        reg.close()
    # nothing of the interrupted call was kept
    again = calibcert.connect(pg_url)
    try:
        assert len(again.certifications(CALIB)) == 2
    finally:
        again.close()


def _in_transaction(reg: Any, ref: Any) -> None:
    with reg.transaction():
        reg.certify(CALIB, [ref], Timespan(t(2020), t(2021)))


def test_admin_shutdown_maps_by_sqlstate(pg_url, pg_admin_url):
    # The first error after pg_terminate_backend carries SQLSTATE 57P01 (AdminShutdown):
    # the message says what happened, with the server's text.
    conn = psycopg.connect(pg_url, autocommit=True)
    try:
        _terminate(pg_admin_url, conn.info.backend_pid)
        with pytest.raises(psycopg.OperationalError) as info:
            conn.execute("SELECT 1")
    finally:
        conn.close()
    err = errors.translate(info.value)
    assert type(err) is ConnectionLostError and err.__cause__ is info.value
    if info.value.sqlstate == "57P01":
        assert err.message.startswith("the server ended the connection: terminating "
                                      "connection due to administrator command"), err.message
        assert err.details["sqlstate"] == "57P01"
    else:  # the socket closed before the error message was read
        assert err.message.startswith("lost the connection to the database"), err.message


def test_the_cli_exits_3_when_its_backend_is_terminated(home, pg_url, pg_admin_url):
    """A certify waiting for a lock another session holds is terminated by an admin: one
    line, exit 3, nothing certified."""
    _populate(pg_url)
    before = _state(home, pg_url)
    holder = psycopg.connect(pg_url)  # a transaction holding the CALIBRATION row
    proc = None
    try:
        holder.execute("SELECT 1 FROM calib.collection WHERE name = %s FOR UPDATE", (CALIB,))
        env = _env(home, pg_url, {"PGOPTIONS": "-c lock_timeout=60s"})
        proc = subprocess.Popen(
            [sys.executable, "-m", "calibcert", "certify", RUN, CALIB, "bias", "--begin",
             "2020-01-01T00:00Z", "--end", "2021-01-01T00:00Z"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=home)
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            waiter = None
            deadline = time.monotonic() + 60
            while waiter is None and time.monotonic() < deadline:
                assert proc.poll() is None, proc.communicate()
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    (holder.info.backend_pid,)).fetchone()
                waiter = row[0] if row else None
                time.sleep(0.05)
            assert waiter is not None, "the CLI never waited for the lock"
            assert admin.execute("SELECT pg_terminate_backend(%s, 10000)",
                                 (waiter,)).fetchone()[0]
        out, err = proc.communicate(timeout=60)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        holder.rollback()
        holder.close()
    assert proc.returncode == 3, (out, err)
    line = _one_line(err)
    assert line.startswith("calibcert: connection: "), line
    assert "ended the connection" in line or "lost the connection" in line, line
    assert out == ""
    assert _state(home, pg_url) == before


def test_a_closed_registry_is_connection_lost(url):
    reg = calibcert.connect(url)
    reg.close()
    with pytest.raises(ConnectionLostError):
        reg.list_collections()
    with pytest.raises(ConnectionLostError):
        reg.register_collection("x", "RUN")


def test_cannot_connect_is_a_database_access_error(pg_server):
    dsn = pg_server.dsn()
    with pytest.raises(DatabaseAccessError) as info:
        calibcert.connect(f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}/no_such_db")
    assert not isinstance(info.value, ConnectionLostError)
    assert "cannot connect to the database" in info.value.message
    assert "no_such_db" in info.value.message
    assert isinstance(info.value.__cause__, psycopg.OperationalError)


# -- values the database cannot take --------------------------------------------------------


def _noise(n: int, seed: int = 14) -> str:
    """Incompressible text (a repeated character would be compressed below the limit)."""
    rnd = random.Random(seed)
    return "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(n))


def test_an_oversized_data_id_value(url):
    """3 kB of incompressible text in a data ID: stored exactly, or DataIdError (never a
    raw driver error, and never anything else); on PostgreSQL a btree index row holds at
    most ~2.7 kB, so there it is refused."""
    _populate(url)
    big = _noise(3000)
    reg = calibcert.connect(url)
    try:
        before = reg.query_datasets(RUN, "bias")
        try:
            [ref] = reg.insert_datasets("bias", RUN, [{"instrument": big, "detector": 7}])
        except DataIdError as err:
            assert "too large" in err.message or "long" in err.message, err.message
            assert reg.query_datasets(RUN, "bias") == before
            stored = False
        else:
            assert ref.data_id["instrument"] == big
            found = reg.find(RUN, "bias", {"instrument": big, "detector": 7}, None)
            assert found is not None and found.data_id["instrument"] == big
            stored = True
        if reg.backend == "postgresql":
            assert not stored
        # a lookup with such a value is never a driver error either
        try:
            assert (reg.find(RUN, "bias", {"instrument": _noise(3000, 2), "detector": 7}, None)
                    is None)
        except DataIdError:
            pass
    finally:
        reg.close()


def test_the_cli_reports_an_oversized_value_as_bad_input(home, pg_url):
    _populate(pg_url)
    before = _state(home, pg_url)
    r = cli(home, pg_url, "datasets", "insert", "bias", RUN, "-d",
            f"instrument={_noise(3000)},detector=7")
    assert r.code == 2, r
    line = _one_line(r.err)
    assert line.startswith("calibcert: bad input: ") and "1 to 255 characters" in line, line
    assert _state(home, pg_url) == before


def test_sqlite_length_limit_is_invalid_argument(sqlite_url):
    # SQLite's own limit (SQLITE_TOOBIG), lowered on this connection to be reachable.
    _populate(sqlite_url)
    reg = calibcert.connect(sqlite_url)
    try:
        # A collection doc (calibcert sets no limit on it) longer than SQLite's.
        reg.connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1000)
        with pytest.raises((InvalidArgumentError, DataIdError)) as info:
            reg.register_collection("Cam/long-doc", "RUN", "x" * 2000)
        assert "too large" in info.value.message
        assert isinstance(info.value.__cause__, sqlite3.Error)
        reg.connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000_000)
        assert len(reg.query_datasets(RUN, "bias")) == 2
        assert "Cam/long-doc" not in [c.name for c in reg.list_collections()]
    finally:
        reg.close()


def test_character_not_in_repertoire_is_invalid_argument(pg_admin_url):
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT convert_from('\\xc3'::bytea, 'UTF8')")
    assert info.value.sqlstate == "22021"
    err = errors.translate(info.value)
    assert type(err) is InvalidArgumentError and err.__cause__ is info.value
    assert err.details["sqlstate"] == "22021"
    assert "character" in err.message


SURROGATE = "a\ud800b"


def _surrogate_calls() -> dict[str, tuple[Any, type[CalibCertError]]]:
    d = {"instrument": "Cam", "detector": 1}
    return {
        "collection name": (lambda r: r.register_collection(SURROGATE, "RUN"), InvalidNameError),
        "collection doc": (lambda r: r.register_collection("Cam/x", "RUN", SURROGATE),
                           InvalidArgumentError),
        "dataset type name": (lambda r: r.register_dataset_type(SURROGATE, ["a"]),
                              InvalidNameError),
        "dimension name": (lambda r: r.register_dataset_type("x", [SURROGATE]),
                           InvalidNameError),
        "data ID value": (lambda r: r.insert_datasets("bias", RUN,
                                                      [{**d, "instrument": SURROGATE}]),
                          DataIdError),
        "data ID key": (lambda r: r.insert_datasets("bias", RUN, [{**d, SURROGATE: 1}]),
                        DataIdError),
        "find data ID": (lambda r: r.find(CALIB, "bias", {**d, "instrument": SURROGATE},
                                          t(2024, 2)), DataIdError),
        "find collection": (lambda r: r.find(SURROGATE, "bias", d, t(2024, 2)),
                            InvalidNameError),
        "find_many data ID": (lambda r: r.find_many(CALIB, "bias", [
            ({**d, "instrument": SURROGATE}, t(2024, 2))]), DataIdError),
        "decertify data ID": (lambda r: r.decertify(CALIB, "bias", Timespan(t(2024), t(2025)),
                                                    [{**d, "instrument": SURROGATE}]),
                              DataIdError),
        "where": (lambda r: r.query_datasets(RUN, "bias", {"instrument": SURROGATE}),
                  DataIdError),
        # A name given to a lookup or a removal is a name too (KC014, revision 0010).
        "certifications": (lambda r: r.certifications(SURROGATE), InvalidNameError),
        "remove collection": (lambda r: r.remove_collection(SURROGATE), InvalidNameError),
        "dataset type of a lookup": (lambda r: r.query_datasets(RUN, SURROGATE),
                                     InvalidNameError),
    }


@pytest.mark.parametrize("what", list(_surrogate_calls()))
def test_a_lone_surrogate_is_refused_alike(url, what):
    _populate(url)
    call, cls = _surrogate_calls()[what]
    reg = calibcert.connect(url)
    try:
        before = (reg.list_collections(), reg.list_dataset_types(),
                  reg.query_datasets(RUN, "bias"), reg.certifications(CALIB))
        with pytest.raises(cls) as info:
            call(reg)
        # Named as a lone surrogate, or (names and data IDs, revision 0010's Unicode rules)
        # as the forbidden character it is.
        assert "surrogate" in info.value.message or "U+D800" in info.value.message, (
            info.value.message)
        after = (reg.list_collections(), reg.list_dataset_types(),
                 reg.query_datasets(RUN, "bias"), reg.certifications(CALIB))
        assert after == before
    finally:
        reg.close()


def test_the_cli_reports_a_surrogate_as_bad_input(home, sqlite_url):
    _populate(sqlite_url)
    env_args = ["datasets", "list", "\udcff", "bias"]
    r = subprocess.run([sys.executable, "-m", "calibcert", *env_args], capture_output=True,
                       env=_env(home, sqlite_url), cwd=home, timeout=120)
    # The shell hands Python bytes that are not UTF-8 as lone surrogates (surrogateescape).
    assert r.returncode == 2, r
    line = _one_line(r.stderr.decode("utf-8", "replace"))
    assert line.startswith("calibcert: bad input: ") and (
        "surrogate" in line or "U+DCFF" in line), line


# -- SQLite files that cannot be used -----------------------------------------------------


def test_a_file_that_is_not_a_database(home, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    url = f"sqlite:///{path}"
    with pytest.raises(DatabaseAccessError) as info:
        calibcert.connect(url)
    assert "not a SQLite database" in info.value.message and str(path) in info.value.message
    assert isinstance(info.value.__cause__, sqlite3.DatabaseError)
    r = cli(home, url, "collection", "list")
    assert r.code == 3, r
    line = _one_line(r.err)
    assert line.startswith("calibcert: connection: ") and "not a SQLite database" in line
    assert path.read_text().startswith("these are my notes")


def test_a_directory_as_the_database(home, tmp_path):
    url = f"sqlite:///{tmp_path}"
    with pytest.raises(DatabaseAccessError) as info:
        calibcert.connect(url)
    assert "cannot open the SQLite database" in info.value.message
    r = cli(home, url, "collection", "list")
    assert r.code == 3, r
    assert _one_line(r.err).startswith("calibcert: connection: cannot open")


def test_a_corrupt_database(home, sqlite_url):
    """Pages overwritten behind SQLite's back: 'database disk image is malformed' is an
    access error naming the file (exit 3), not an internal error."""
    _populate(sqlite_url)
    path = sqlite_url.removeprefix("sqlite:///")
    reg = calibcert.connect(sqlite_url)
    reg.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    reg.close()
    size = os.path.getsize(path)
    page = 4096
    with open(path, "r+b") as f:  # every page but the first (the schema) is garbage
        f.seek(page)
        f.write(bytes(random.Random(1).getrandbits(8) for _ in range(size - page)))
    failure: CalibCertError | None = None
    try:
        reg = calibcert.connect(sqlite_url)
        try:
            reg.list_collections()
            reg.certifications(CALIB)
            reg.query_datasets(RUN, "bias")
        finally:
            reg.close()
    except CalibCertError as err:
        failure = err
    assert isinstance(failure, DatabaseAccessError), failure
    assert "corrupt" in failure.message and path in failure.message, failure.message
    r = cli(home, sqlite_url, "list", CALIB)
    assert r.code == 3, r
    assert _one_line(r.err).startswith("calibcert: connection: ")
