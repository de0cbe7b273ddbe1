"""revert(epoch) on PostgreSQL (README "Revert", issue 16 item 5): what only PostgreSQL has.

The behaviour (every operation kind reverted, dry runs, reasons, every conflict and its
message, states) runs on both backends in tests/test_behaviour_revert.py. Here: the whole
content read at the SQL level (certification ids and writer lists: a restored
certification is the same row, a writer list change is reverted), writer lists and roles,
the collection locks (a revert races a certify on the same collection with real sessions:
one wins, no overlap; a revert waits for a decertify in flight), and the CLI on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import Registry, Timespan
from test_behaviour_revert import check_revert_round_trip, other_det1, world
from test_pg_history import TYPE, det, t


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


@pytest.fixture
def owner(pg_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


def content(conn: psycopg.Connection) -> dict[str, Any]:
    """Everything the registry holds now, by name (ids of certifications included: a
    restored certification is the same row)."""
    q = {
        "collections": "SELECT name, type, state, writers FROM calib.collection ORDER BY name",
        "chains": "SELECT p.name, ch.position, c.name FROM calib.collection_chain AS ch"
                  " JOIN calib.collection AS p ON p.collection_id = ch.parent_id"
                  " JOIN calib.collection AS c ON c.collection_id = ch.child_id ORDER BY 1, 2",
        "tags": "SELECT c.name, t.dataset_id FROM calib.tag AS t"
                " JOIN calib.collection AS c USING (collection_id) ORDER BY 1, 2",
        "datasets": "SELECT c.name, d.dataset_id FROM calib.dataset AS d"
                    " JOIN calib.collection AS c ON c.collection_id = d.run_id ORDER BY 1, 2",
        "certifications": "SELECT k.certification_id, c.name, k.dataset_id, k.validity"
                          " FROM calib.certification AS k"
                          " JOIN calib.collection AS c USING (collection_id) ORDER BY 1",
    }
    return {k: conn.execute(v).fetchall() for k, v in q.items()}


# Kinds whose PostgreSQL-level facts matter: restored certification ids, a collection
# restored with its id and writers, a writer list reverted (every kind runs on both
# backends in tests/test_behaviour_revert.py).
OPERATIONS: dict[str, Callable[[Registry, dict[int, Any]], Any]] = {
    "decertify split": lambda r, d: r.decertify("X", TYPE, Timespan(t(2021), t(2022))),
    "remove_collection": lambda r, d: (r.set_chain("C", ["T"]), r.remove_collection("X")),
    "set_collection_writers": lambda r, d: r.set_collection_writers("X", ["calib_admin"]),
}


def in_one_change(reg: Registry, pg_url: str, op: Callable[[Registry, dict[int, Any]], Any],
                  refs: dict[int, Any]) -> int:
    """Run op in one transaction (one change); its epoch."""
    with psycopg.connect(pg_url) as conn:
        op(calibcert.connect(conn), refs)
        conn.commit()
    return reg.current_epoch()


@pytest.mark.parametrize("kind", sorted(OPERATIONS))
def test_revert_restores_the_state_before_the_change(reg: Registry, owner, pg_url, kind) -> None:
    refs = world(reg)
    check_revert_round_trip(reg, lambda: content(owner),
                            lambda: in_one_change(reg, pg_url, OPERATIONS[kind], refs))


# -- writer lists and roles (the conflicts: tests/test_behaviour_revert.py) ----------


def test_writer_lists(reg: Registry, owner, pg_url) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    # Writers: an admin that is not a writer of X may not revert a change of X.
    owner.execute("CREATE ROLE revert_admin LOGIN IN ROLE calib_admin")
    owner.execute("CREATE ROLE revert_writers NOLOGIN")
    reg.set_collection_writers("X", ["revert_writers"])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET ROLE revert_admin")
        before = content(owner)
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT * FROM calib.revert(%s)", (e,))
        assert info.value.sqlstate == "KC017"
        assert content(owner) == before
        owner.execute("GRANT revert_writers TO revert_admin")
        rows = conn.execute("SELECT action FROM calib.revert(%s)", (e,)).fetchall()
        assert rows == [("remove certification",)]
    owner.execute("DROP OWNED BY revert_admin")


def test_only_admins_may_revert(reg: Registry, owner, pg_url) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    owner.execute("CREATE ROLE revert_certifier LOGIN IN ROLE calib_certifier")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SET ROLE revert_certifier")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM calib.revert(%s)", (e,))


# -- a revert racing a certify -----------------------------------------------------------


@pytest.mark.parametrize("first", ["revert", "certify"])
def test_a_revert_racing_a_certify_one_wins(reg: Registry, pg_url, first: str) -> None:
    refs = world(reg)
    other = other_det1(reg)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    e = reg.current_epoch()
    revert_sql = "SELECT * FROM calib.revert(%s)"
    certify_sql = ("SELECT calib.certify('X'::text, ARRAY[%s]::uuid[],"
                   " tstzrange('2024-01-01 00:00+00', NULL, '[)'))")
    a, b = psycopg.connect(pg_url), psycopg.connect(pg_url)
    try:
        stmts = {"revert": (revert_sql, (e,)), "certify": (certify_sql, (other.id,))}
        second = "certify" if first == "revert" else "revert"
        a.execute(*stmts[first])  # holds X's lock, uncommitted
        outcome: dict[str, Any] = {}

        def run_second() -> None:
            try:
                b.execute(*stmts[second])
                b.commit()
                outcome["ok"] = True
            except psycopg.Error as exc:
                b.rollback()
                outcome["error"] = exc.sqlstate

        th = threading.Thread(target=run_second)
        th.start()
        time.sleep(0.5)
        assert th.is_alive(), "the second did not wait for the first's lock"
        a.commit()
        th.join(30)
        assert outcome == {"error": "KC001"}, outcome
    finally:
        a.close()
        b.close()
    certs = [c for c in reg.certifications("X") if c.ref.data_id == det(1)]
    winner = refs[1].id if first == "revert" else other.id
    assert [c.ref.id for c in certs] == [winner]


# -- the command line --------------------------------------------------------------------


def test_cli_revert(pg_url: str, reg: Registry, owner, tmp_path) -> None:
    import json

    from test_cli import cli, ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    refs = world(reg)
    before = content(owner)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    after = content(owner)
    dry = json.loads(ok(home, pg_url, "revert", str(e), "--dry-run", "--json").out)
    assert [(r["action"], r["collection"], r["data_id"]) for r in dry] == [
        ("remove certification", "X", det(3))]
    assert content(owner) == after
    table = ok(home, pg_url, "revert", str(e), "--dry-run")
    assert "remove certification" in table.out and "dry run" in table.err
    ok(home, pg_url, "revert", str(e), "--reason", "wrong detector", "--user", "bob")
    assert content(owner) == before
    (last,) = {(h.operation, h.reason, h.app_user)
               for h in reg.history("X", since=reg.current_epoch())}
    assert last == ("revert", "wrong detector", "bob")
    again = cli(home, pg_url, "revert", str(e))
    assert again.code == 1 and "cannot revert epoch" in again.err, again
    missing = cli(home, pg_url, "revert", "999")
    assert missing.code == 2 and "nothing to revert" in missing.err, missing


def test_a_revert_waits_for_a_decertify_in_flight_and_reports_it(reg: Registry, pg_url) -> None:
    """The revert's checks run after its collection locks: a decertify of the row it would
    remove, uncommitted when the revert starts, is seen once it commits (a revert that
    checked first would find the row current, then delete nothing and succeed)."""
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    a, b = psycopg.connect(pg_url), psycopg.connect(pg_url)
    try:
        a.execute("SELECT calib.decertify('X'::text, 'bias'::text,"
                  " tstzrange('2021-06-01 00:00+00', NULL, '[)'), NULL::jsonb[])")
        outcome: dict[str, Any] = {}

        def run_revert() -> None:
            try:
                b.execute("SELECT * FROM calib.revert(%s)", (e,))
                b.commit()
                outcome["ok"] = True
            except psycopg.Error as exc:
                b.rollback()
                outcome["error"] = (exc.sqlstate, exc.diag.message_detail)

        th = threading.Thread(target=run_revert)
        th.start()
        time.sleep(0.5)
        assert th.is_alive(), "the revert did not wait for the decertify's lock"
        a.commit()
        th.join(30)
        assert outcome.get("error", ("",))[0] == "KC019", outcome
        assert '"revert_row_changed"' in outcome["error"][1]
    finally:
        a.close()
        b.close()
