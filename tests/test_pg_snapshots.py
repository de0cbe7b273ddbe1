"""Snapshots on PostgreSQL (README "Snapshots", revision 0014, issue 16 item 6): what only
PostgreSQL has (raw SQL by the owner, the reader role's prepared finds, calib.probe's as-of
branch and its cost, real sessions, revert). The behaviour of snapshots on both backends is
tests/test_behaviour_snapshots.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from test_pg_history import DETECTORS, TIMES, TYPE, answers, det, t, world


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


def test_raw_sql_by_the_owner_cannot_write_a_snapshot(pg_url: str, reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.snapshot_collection("X", "SX")
    epoch = reg.current_epoch()
    with psycopg.connect(pg_url) as conn:
        for statement in (
                "UPDATE calib.collection SET state = 'OPEN' WHERE name = 'SX'",
                "UPDATE calib.collection SET name = 'renamed' WHERE name = 'SX'"):
            with pytest.raises(psycopg.Error, match="FROZEN"):
                conn.execute(statement)
            conn.rollback()
        # Nothing was copied: no certification row, no version, for the snapshot.
        assert conn.execute(
            "SELECT count(*) FROM calib.certification_history AS c"
            " JOIN calib.collection AS k USING (collection_id) WHERE k.name = 'SX'"
        ).fetchone() == (0,)
    assert reg.current_epoch() == epoch


def test_the_lookup_of_a_collection_without_snapshots_never_runs_the_as_of_branch(
        reg: Registry) -> None:
    """The snapshot branch of calib.probe is the CASE arm of snapshot members only: a chain of
    three ordinary members never calls calib._search_path_as_of (counted by
    pg_stat_user_functions)."""
    refs = world(reg, ("X", "Y"))
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "Y", "run1"])
    reg.certify("Y", [refs[1]], Timespan(None, None))
    conn = reg._conn  # type: ignore[attr-defined]
    conn.execute("SET track_functions = 'all'")

    def calls() -> int:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute("SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions"
                           " WHERE funcname = '_search_path_as_of'").fetchone()
        return int(row[0])

    start = calls()
    for d in DETECTORS:
        for at in TIMES:
            reg.find("C", TYPE, det(d), at)
    reg.find_many("C", TYPE, [(det(d), t(2021)) for d in DETECTORS])
    conn.execute("SELECT pg_stat_force_next_flush()")
    assert calls() == start
    reg.snapshot_collection("C", "SC")
    reg.find("SC", TYPE, det(1), t(2021))
    conn.execute("SELECT pg_stat_force_next_flush()")
    assert calls() > start


def test_a_reader_finds_through_snapshots_on_the_fast_path(pg_url: str, pg_admin_url: str,
                                                           reg: Registry) -> None:
    """calib.probe runs with its caller's rights: a reader's prepared find (the client's
    fast path) must reach snapshot members too, and keep the fast path on."""
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.snapshot_collection("X", "SX")
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["SX", "run1"])
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    login = "snapshot_test_reader"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {login}")
        conn.execute(f"CREATE ROLE {login} LOGIN IN ROLE calib_reader")
    try:
        scheme, rest = pg_url.split("://", 1)
        with calibcert.connect(f"{scheme}://{login}@{rest.split('@', 1)[1]}") as reader:
            for name in ("SX", "C"):
                found = reader.find(name, TYPE, det(1), t(2021))
                assert found is not None and found.id == refs[1].id
            assert reader._fast_find is True  # type: ignore[attr-defined]
            found = reader.find("C", TYPE, det(2), t(2021))  # the RUN member
            assert found is not None and found.id == refs[2].id
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f"DROP ROLE IF EXISTS {login}")


def test_a_snapshot_waits_for_no_writer_and_never_sees_an_uncommitted_change(
        pg_url: str, reg: Registry) -> None:
    """Real sessions: a writer holds the source's row lock with an uncommitted certify; the
    snapshot is made at once (calib.lock_timeout 0 would fail any wait) and reads the
    committed state, also after the writer commits."""
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    before = answers(reg, "X", None)
    with psycopg.connect(pg_url) as writer, psycopg.connect(pg_url, autocommit=True) as other:
        writer.execute("SELECT calib.certify('X', ARRAY[%s]::uuid[], '[2020-01-01 00:00+00,)')",
                       (refs[2].id,))
        other.execute("SET calib.lock_timeout = '0'")
        (epoch,) = other.execute("SELECT calib.snapshot_collection('X', 'S')").fetchone()
        writer.commit()
    assert epoch == reg.current_epoch() - 2  # S's own change, then the writer's
    assert answers(reg, "S", None) == before != answers(reg, "X", None)
