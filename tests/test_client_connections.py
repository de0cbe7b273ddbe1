"""How the client attaches to a database: URLs, $CALIBCERT_URL, and a caller's own
psycopg / SQLAlchemy connection whose transaction the calls join."""

from __future__ import annotations

from datetime import datetime, timezone

import psycopg
import pytest
import sqlalchemy

import calibcert
from calibcert import Timespan
from calibcert.errors import ConflictingCertificationError

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _world(reg: calibcert.Registry):
    reg.register_collection("run", "RUN")
    reg.register_collection("cal", "CALIBRATION")
    reg.register_dataset_type("bias", ["detector"])
    return reg.insert_datasets("bias", "run", [{"detector": 1}])


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM calib.certification").fetchone()[0]


def test_url_from_environment(pg_url, monkeypatch):
    monkeypatch.setenv("CALIBCERT_URL", pg_url)
    with calibcert.connect() as reg:
        assert reg.backend == "postgresql"
        refs = _world(reg)
        reg.certify("cal", refs, Timespan(T0, None))
    assert _count(pg_url) == 1


def test_callers_psycopg_transaction_is_joined(pg_url):
    conn = psycopg.connect(pg_url)  # not autocommit: the caller owns the transaction
    reg = calibcert.connect(conn)
    refs = _world(reg)
    reg.certify("cal", refs, Timespan(T0, None))
    # A failing call inside the caller's transaction changes nothing and leaves it usable.
    with pytest.raises(ConflictingCertificationError):
        reg.certify("cal", refs, Timespan(T0, None))
    assert len(reg.certifications("cal")) == 1
    assert _count(pg_url) == 0  # not committed yet: invisible to others
    conn.rollback()
    reg.close()
    assert not conn.closed  # the caller's connection is left open
    assert calibcert.connect(conn).list_collections() == []  # rolled back with the caller
    conn.close()


def test_sqlalchemy_engine_and_connection(pg_url):
    engine = sqlalchemy.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with calibcert.connect(engine) as reg:
            refs = _world(reg)
            reg.certify("cal", refs, Timespan(T0, None))
        assert _count(pg_url) == 1
        with engine.connect() as sa_conn:
            reg = calibcert.connect(sa_conn)
            reg.decertify("cal", "bias", Timespan(T0, None))
            sa_conn.rollback()  # the caller decides: the decertify is undone
        assert _count(pg_url) == 1
        with engine.connect() as sa_conn:
            reg = calibcert.connect(sa_conn)
            reg.decertify("cal", "bias", Timespan(T0, None))
            assert _count(pg_url) == 1  # not visible before the caller commits
            sa_conn.commit()
        assert _count(pg_url) == 0
    finally:
        engine.dispose()


def test_connect_rejects_other_objects():
    with pytest.raises(TypeError):
        calibcert.connect(42)
    with pytest.raises(calibcert.errors.DatabaseAccessError, match="unsupported database URL"):
        calibcert.connect("mysql://localhost/x")
