"""revert(epoch) on PostgreSQL (README "Revert", issue 16 item 5).

Every operation kind is reverted and the whole content (collections with state and
writers, chains, tags, datasets, certifications with their ids) must equal what it was
before that change, and what ``certifications(as_of=E-1)`` answers; reverting the revert
brings the change back. Each kind of conflict is provoked by a later change and must raise
its precise error and change nothing. A revert races a certify on the same collection with
real sessions: one wins, no overlap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    CollectionStateError,
    ConflictingCertificationError,
    InvalidArgumentError,
    RevertConflictError,
)
from test_pg_history import TYPE, det, t


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


@pytest.fixture
def owner(pg_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


def world(reg: Registry) -> dict[int, Any]:
    """run1 (detectors 1-6), CALIBRATION X with 1 and 2 certified from 2020, TAGGED T with
    dataset 1, CHAINED C = [X, T]."""
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = {r.data_id["detector"]: r for r in reg.insert_datasets(TYPE, "run1",
                                                                   [det(d) for d in range(1, 7)])}
    reg.register_collection("X", CollectionType.CALIBRATION)
    reg.register_collection("T", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.tag("T", [refs[1]])
    reg.set_chain("C", ["X", "T"])
    return refs


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


def as_of_view(reg: Registry, epoch: int | None) -> dict[str, Any]:
    """What lookups answer (now, or as of an epoch) for the world's collections."""
    out: dict[str, Any] = {}
    for name in ("X", "X2", "C"):
        try:
            out[name] = sorted((str(c.ref.id), str(c.timespan), c.collection)
                               for c in reg.certifications(name, as_of=epoch))
        except calibcert.errors.MissingCollectionError:
            out[name] = None
    try:
        out["chain"] = reg.get_chain("C", as_of=epoch)
    except calibcert.errors.MissingCollectionError:
        out["chain"] = None
    return out


# Each operation kind, as a change of its own.
OPERATIONS: dict[str, Callable[[Registry, dict[int, Any]], Any]] = {
    "certify": lambda r, d: r.certify("X", [d[3], d[4]], Timespan(t(2021), t(2022))),
    # a new RUN, a dataset of detector 1 in it, certified with close_open (which shortens
    # run1's detector 1 certification): one change of four kinds
    "certify close_open": lambda r, d: (
        r.register_collection("run2", CollectionType.RUN),
        r.certify("X", r.insert_datasets(TYPE, "run2", [det(1)]), Timespan(t(2022), None),
                  close_open=True)),
    "decertify split": lambda r, d: r.decertify("X", TYPE, Timespan(t(2021), t(2022))),
    "decertify all": lambda r, d: r.decertify("X", TYPE, Timespan(None, None)),
    "close_open_range": lambda r, d: r.close_open_range("X", TYPE, t(2023)),
    "tag": lambda r, d: r.tag("T", [d[2], d[3]]),
    "untag": lambda r, d: r.untag("T", [d[1]]),
    "insert_datasets": lambda r, d: r.insert_datasets(TYPE, "run1", [det(7), det(8)]),
    "register_collection": lambda r, d: r.register_collection("X2", CollectionType.CALIBRATION),
    "remove_collection": lambda r, d: (r.set_chain("C", ["T"]), r.remove_collection("X")),
    "set_chain": lambda r, d: r.set_chain("C", ["T", "X"]),
    "set_chain shorter": lambda r, d: r.set_chain("C", ["T"]),
    "set_collection_state": lambda r, d: r.set_collection_state("X", "APPEND_ONLY"),
    "set_collection_writers": lambda r, d: r.set_collection_writers("X", ["calib_admin"]),
    "copy_collection": lambda r, d: r.copy_collection("X", "X2"),
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
    before, before_view = content(owner), as_of_view(reg, None)
    epoch = in_one_change(reg, pg_url, OPERATIONS[kind], refs)
    after = content(owner)
    assert after != before, "the operation changed nothing: a vacuous case"
    rows = reg.revert(epoch)
    assert rows, "revert did nothing"
    assert content(owner) == before
    assert as_of_view(reg, None) == before_view == as_of_view(reg, epoch - 1)
    revert_epoch = reg.current_epoch()
    assert revert_epoch == epoch + 1
    ops = {(h.operation, h.reason) for h in reg.history("run1") + reg.history("T")
           + (reg.history("X")) if h.epoch == revert_epoch}
    assert ops <= {("revert", f"revert of epoch {epoch}")}
    # Reverting the revert brings the change back.
    reg.revert(revert_epoch)
    assert content(owner) == after
    # Reverting the change again: the rows it created were removed by the revert (those
    # of the revert of the revert are other versions), so that conflicts; a change that
    # only removed rows is simply undone again.
    if any(r.action.startswith("remove") or r.action == "restore collection settings"
           for r in rows):
        with pytest.raises(RevertConflictError) as info:
            reg.revert(epoch)
        assert info.value.details["later_epoch"] == revert_epoch
        assert content(owner) == after
    else:
        reg.revert(epoch)
        assert content(owner) == before


def test_dry_run_returns_the_same_rows_and_changes_nothing(reg: Registry, owner, pg_url) -> None:
    refs = world(reg)
    before = content(owner)

    def op(r: Registry, d: dict[int, Any]) -> None:
        r.decertify("X", TYPE, Timespan(t(2021), t(2022)))
        r.untag("T", [d[1]])
        r.tag("T", [d[4]])
        r.set_chain("C", ["T"])

    epoch = in_one_change(reg, pg_url, op, refs)
    after = content(owner)
    dry = reg.revert(epoch, dry_run=True)
    assert content(owner) == after and reg.current_epoch() == epoch
    real = reg.revert(epoch)
    assert real == dry
    assert content(owner) == before
    actions = [(r.action, r.collection) for r in real]
    assert actions == [
        ("remove certification", "X"), ("remove certification", "X"),
        ("remove certification", "X"), ("remove certification", "X"),
        ("remove tag", "T"), ("remove chain position", "C"),
        ("restore chain position", "C"), ("restore chain position", "C"),
        ("restore tag", "T"), ("restore certification", "X"), ("restore certification", "X"),
    ], actions
    restored = [r for r in real if r.action == "restore certification"]
    assert {str(r.dataset) for r in restored} == {str(refs[1].id), str(refs[2].id)}
    assert all(r.validity == Timespan(t(2020), None) for r in restored)
    chain = [r.detail for r in real if r.action == "restore chain position"]
    assert chain == [{"position": 1, "child": "X"}, {"position": 2, "child": "T"}]


def test_reason_defaults_and_a_given_reason_is_kept(reg: Registry, pg_url) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    with calibcert.connect(pg_url, reason="bad certify", user="alice") as r2:
        r2.revert(e)
    last = [h for h in reg.history("X") if h.epoch == reg.current_epoch()]
    assert last and {(h.operation, h.reason, h.app_user) for h in last} == {
        ("revert", "bad certify", "alice")}


def test_an_unknown_epoch_is_refused(reg: Registry) -> None:
    world(reg)
    for epoch in (0, reg.current_epoch() + 1, -3):
        with pytest.raises(InvalidArgumentError) as info:
            reg.revert(epoch)
        assert info.value.details["kind"] == "revert_epoch_missing"
    with pytest.raises(InvalidArgumentError):
        reg.revert(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        reg.revert(True)  # type: ignore[arg-type]


# -- conflicts: each kind, and nothing changed ------------------------------------------


def conflict(reg: Registry, owner, epoch: int, exc: type[Exception], kind: str,
             dry_run: bool = False) -> dict[str, Any]:
    before, current = content(owner), reg.current_epoch()
    with pytest.raises(exc) as info:
        reg.revert(epoch, dry_run=dry_run)
    assert info.value.details["kind"] == kind, info.value
    assert content(owner) == before and reg.current_epoch() == current
    return info.value.details


def test_a_certification_changed_since(reg: Registry, owner) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    reg.close_open_range("X", TYPE, t(2025), [det(3)])
    later = reg.current_epoch()
    for dry in (True, False):
        d = conflict(reg, owner, e, RevertConflictError, "revert_row_changed", dry)
        assert (d["epoch"], d["later_epoch"], d["what"], d["collection"]) == (
            e, later, "certification", "X")
        assert d["data_id"] == det(3) and str(d["dataset"]) == str(refs[3].id)


def test_a_tag_a_chain_a_collection_changed_since(reg: Registry, owner) -> None:
    refs = world(reg)
    reg.tag("T", [refs[2]])
    e_tag = reg.current_epoch()
    reg.untag("T", [refs[2]])
    d = conflict(reg, owner, e_tag, RevertConflictError, "revert_row_changed")
    assert d["what"] == "tag" and d["later_epoch"] == reg.current_epoch()
    reg.set_chain("C", ["T"])
    e_chain = reg.current_epoch()
    reg.set_chain("C", ["X"])
    d = conflict(reg, owner, e_chain, RevertConflictError, "revert_row_changed")
    assert d["what"] == "chain position" and d["position"] == 1 and d["child"] == "T"
    reg.set_collection_state("X", "APPEND_ONLY")
    e_state = reg.current_epoch()
    reg.set_collection_state("X", "OPEN")
    d = conflict(reg, owner, e_state, RevertConflictError, "revert_row_changed")
    assert d["what"] == "collection" and d["collection"] == "X"


def test_a_dataset_or_collection_in_use_since(reg: Registry, owner) -> None:
    world(reg)
    new = reg.insert_datasets(TYPE, "run1", [det(9)])
    e_ds = reg.current_epoch()
    reg.certify("X", new, Timespan(t(2030), None))
    d = conflict(reg, owner, e_ds, RevertConflictError, "revert_in_use")
    assert d["what"] == "dataset" and d["later_epoch"] == reg.current_epoch()
    reg.register_collection("X2", CollectionType.CALIBRATION)
    e_coll = reg.current_epoch()
    reg.set_chain("C", ["X", "T", "X2"])
    d = conflict(reg, owner, e_coll, RevertConflictError, "revert_in_use")
    assert d["what"] == "collection" and d["collection"] == "X2"


def test_a_place_taken_since(reg: Registry, owner) -> None:
    refs = world(reg)
    reg.untag("T", [refs[1]])
    e = reg.current_epoch()
    reg.tag("T", [refs[1]])
    d = conflict(reg, owner, e, RevertConflictError, "revert_occupied")
    assert d["what"] == "tag" and d["later_epoch"] == reg.current_epoch()
    reg.set_chain("C", ["T"])
    reg.remove_collection("X")
    e = reg.current_epoch()
    reg.register_collection("X", CollectionType.TAGGED)
    d = conflict(reg, owner, e, RevertConflictError, "revert_occupied")
    assert d["what"] == "collection" and d["later_epoch"] == reg.current_epoch()


def test_a_collection_removed_since(reg: Registry, owner) -> None:
    refs = world(reg)
    reg.untag("T", [refs[1]])
    e = reg.current_epoch()
    reg.set_chain("C", ["X"])
    reg.remove_collection("T")
    d = conflict(reg, owner, e, RevertConflictError, "revert_target_removed")
    assert d["missing"] == "collection" and d["later_epoch"] == reg.current_epoch()


def test_a_restored_chain_that_would_make_a_cycle(reg: Registry, owner) -> None:
    world(reg)
    reg.register_collection("D", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "D"])
    reg.set_chain("C", ["X"])
    e = reg.current_epoch()
    reg.set_chain("D", ["C"])
    d = conflict(reg, owner, e, RevertConflictError, "revert_chain_cycle")
    assert d["collection"] == "C"


def other_det1(reg: Registry) -> Any:
    """A second dataset of detector 1 (in run2): it can overlap run1's."""
    reg.register_collection("run2", CollectionType.RUN)
    return reg.insert_datasets(TYPE, "run2", [det(1)])[0]


def test_a_restored_certification_that_would_overlap(reg: Registry, owner) -> None:
    world(reg)
    other = other_det1(reg)
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    e = reg.current_epoch()
    reg.certify("X", [other], Timespan(t(2021, 6), t(2021, 7)))
    later = reg.current_epoch()
    d = conflict(reg, owner, e, ConflictingCertificationError, "revert_overlap")
    first = d["conflicts"][0]
    assert (d["epoch"], first["conflicting_epoch"], str(first["conflicting_dataset"])) == (
        e, later, str(other.id))


def test_frozen_and_append_only_and_writers(reg: Registry, owner, pg_url) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    reg.set_collection_state("X", "FROZEN")
    d = conflict(reg, owner, e, CollectionStateError, "collection_frozen")
    assert d["operation"] == "revert"
    reg.set_collection_state("X", "APPEND_ONLY")
    d = conflict(reg, owner, e, CollectionStateError, "collection_append_only")
    reg.set_collection_state("X", "OPEN")
    # A state change alone is administration: reverted on a FROZEN collection too.
    reg.set_collection_state("T", "FROZEN")
    reg.revert(reg.current_epoch())
    assert content(owner)["collections"][-1] == ("run1", "RUN", "OPEN", None)
    assert ("T", "TAGGED", "OPEN", None) in content(owner)["collections"]
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
    lite = f"sqlite:///{tmp_path / 'x.db'}"
    ok(home, lite, "db", "upgrade")
    sqlite = cli(home, lite, "revert", "1")
    assert sqlite.code == 2 and "PostgreSQL only" in sqlite.err, sqlite


def test_sqlite_refuses_revert(sqlite_registry) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        sqlite_registry.revert(1)
    assert info.value.details["kind"] == "history_postgresql_only"


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
