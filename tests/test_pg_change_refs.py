"""The references of calib.certification_version to calib.change (revision 0017): checked
once per statement by triggers (calib._version_change_check, calib._change_refs_check)
instead of two declared foreign keys checked once per row. These tests hold the triggers to
the guarantees of the constraints they replace, with raw SQL as the table owner (the one
writer the functions do not already keep right) and with real racing sessions:

- a version never names a change that does not exist (insert and update, either column);
- a change that a version names cannot be deleted, re-keyed or truncated away;
- the writer locks the changes it names (FOR KEY SHARE), so a delete racing a writer waits
  for it and then fails, in both orders (writer first: the delete fails; delete first: the
  writer fails; a rollback of the first lets the second through);
- under REPEATABLE READ a delete that cannot see a version committed after its snapshot is
  a serialization failure (the constraints raised 40001 there too), and is not one when
  nothing was written meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import calibcert
import test_pg_concurrency
from calibcert import Registry, Timespan
from test_pg_concurrency import Call, pid_of, wait_until_blocked
from test_pg_history import TYPE, det, t, world

observer = test_pg_concurrency.observer
sessions = test_pg_concurrency.sessions

COLUMNS = ("certification_id, collection_id, dataset_type_id, data_id_key, dataset_id,"
           " validity, created_change, removed_change, created_operation, removed_operation")


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


def certified(reg: Registry) -> tuple[dict[int, Any], int]:
    """One committed certification; returns the datasets and the change that created it."""
    refs = world(reg)
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    with psycopg.connect(reg_url(reg)) as conn:
        (change,) = conn.execute(
            "SELECT DISTINCT created_change FROM calib.certification").fetchone()
    return refs, change


def reg_url(reg: Registry) -> str:
    return reg.connection.info.dsn


def owner(sessions: Callable[..., psycopg.Connection], autocommit: bool = False,
          ) -> psycopg.Connection:
    conn = sessions(autocommit=autocommit)
    conn.execute("SET ROLE calib_owner")  # the owner of the history tables
    if not autocommit:
        conn.commit()  # SET ROLE outlives the transaction that ran it
    return conn


def bare_change(sessions: Callable[..., psycopg.Connection]) -> int:
    """A committed change that nothing names."""
    conn = owner(sessions)
    (change,) = conn.execute(
        "INSERT INTO calib.change (db_role) VALUES ('test') RETURNING change_id").fetchone()
    conn.commit()
    return change


def insert_version(conn: psycopg.Connection, created: int, removed: int) -> None:
    conn.execute(
        f"INSERT INTO calib.certification_version ({COLUMNS})"
        " SELECT certification_id, collection_id, dataset_type_id, data_id_key, dataset_id,"
        "        validity, %s, %s, 'sql', 'sql'"
        " FROM calib.certification LIMIT 1", (created, removed))


def kind(exc: pytest.ExceptionInfo[Any]) -> str:
    return exc.value.diag.message_detail and __import__("json").loads(
        exc.value.diag.message_detail)["kind"]


# -- one session ----------------------------------------------------------------------------


def test_a_version_naming_a_missing_change_is_refused(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    _, change = certified(reg)
    conn = owner(sessions)
    for created, removed in ((change, 10**12), (10**12, change)):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            insert_version(conn, created, removed)
        assert kind(exc) == "version_change_missing"
        conn.rollback()
    insert_version(conn, change, change)  # both exist: kept
    conn.commit()
    for column in ("created_change", "removed_change"):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            conn.execute(f"UPDATE calib.certification_version SET {column} = 10^12")
        assert kind(exc) == "version_change_missing"
        conn.rollback()
    assert conn.execute("SELECT count(*) FROM calib.certification_version"
                        " WHERE created_change = %s AND removed_change = %s",
                        (change, change)).fetchone()[0] == 1


def test_a_change_that_versions_name_is_not_deleted_rekeyed_or_truncated(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    _, created = certified(reg)
    reg.decertify("X", TYPE, Timespan(t(2021), None), [det(1)])
    conn = owner(sessions)
    (removed,) = conn.execute(
        "SELECT removed_change FROM calib.certification_version").fetchone()
    # Each side of the reference, deleted alone or among others, and re-keyed.
    for ids in ([created], [removed], [created, removed]):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            conn.execute("DELETE FROM calib.change WHERE change_id = ANY (%s)", (ids,))
        assert kind(exc) == "change_referenced"
        conn.rollback()
    for change in (created, removed):
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            conn.execute("UPDATE calib.change SET change_id = DEFAULT WHERE change_id = %s",
                         (change,))
        assert kind(exc) == "change_referenced"
        conn.rollback()
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
        conn.execute("TRUNCATE calib.change CASCADE")  # cascades to nothing declared
    assert kind(exc) == "change_referenced"
    conn.rollback()
    # Nothing was half-applied; a change nothing names can go, and the versions with it.
    assert conn.execute("SELECT count(*) FROM calib.change WHERE change_id = ANY (%s)",
                        ([created, removed],)).fetchone()[0] == 2
    spare = bare_change(sessions)
    conn.execute("DELETE FROM calib.change WHERE change_id = %s", (spare,))
    conn.execute("TRUNCATE calib.certification_version, calib.change CASCADE")
    conn.rollback()


# -- racing sessions ------------------------------------------------------------------------


@pytest.mark.parametrize("writer_ends", ["commit", "rollback"])
def test_a_delete_waits_for_a_writer_naming_the_change(
        reg: Registry, sessions: Callable[..., psycopg.Connection],
        observer: psycopg.Connection, writer_ends: str) -> None:
    """Writer first: a decertify (through the function, as every user writes) closes a
    version naming the change that created the row, and holds it FOR KEY SHARE; a delete
    of that change waits for it, then fails if the writer committed, or goes through if it
    rolled back."""
    _, change = certified(reg)
    writer, deleter = sessions(), owner(sessions)
    writer.execute("SELECT calib.decertify('X', %s, tstzrange(%s, NULL))", (TYPE, t(2021)))
    delete = Call(lambda: deleter.execute(
        "DELETE FROM calib.change WHERE change_id = %s", (change,)).rowcount, (deleter,))
    delete.start()
    wait_until_blocked(observer, pid_of(deleter), pid_of(writer), delete)
    getattr(writer, writer_ends)()
    if writer_ends == "commit":
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            delete.outcome()
        assert kind(exc) == "change_referenced"
        deleter.rollback()
        assert observer.execute("SELECT count(*) FROM calib.certification_version"
                                " WHERE created_change = %s", (change,)).fetchone()[0] == 2
    else:
        assert delete.outcome() == 1
        deleter.commit()
    assert observer.execute(
        "SELECT count(*) FROM calib.certification_version AS v WHERE NOT EXISTS"
        " (SELECT FROM calib.change AS c WHERE c.change_id = v.created_change)"
        " OR NOT EXISTS (SELECT FROM calib.change AS c WHERE c.change_id = v.removed_change)"
    ).fetchone()[0] == 0


@pytest.mark.parametrize("deleter_ends", ["commit", "rollback"])
def test_a_writer_waits_for_a_delete_of_the_change_it_names(
        reg: Registry, sessions: Callable[..., psycopg.Connection],
        observer: psycopg.Connection, deleter_ends: str) -> None:
    """Delete first: a raw writer naming a change being deleted waits for the deleter, then
    fails if it committed, or keeps its row if it rolled back."""
    certified(reg)
    change = bare_change(sessions)
    deleter, writer = owner(sessions), owner(sessions)
    assert deleter.execute("DELETE FROM calib.change WHERE change_id = %s",
                           (change,)).rowcount == 1
    write = Call(lambda: insert_version(writer, change, change), (writer,))
    write.start()
    wait_until_blocked(observer, pid_of(writer), pid_of(deleter), write)
    getattr(deleter, deleter_ends)()
    if deleter_ends == "commit":
        with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
            write.outcome()
        assert kind(exc) == "version_change_missing"
        writer.rollback()
        assert observer.execute("SELECT count(*) FROM calib.certification_version"
                                ).fetchone()[0] == 0
    else:
        write.outcome()
        writer.commit()
        assert observer.execute("SELECT count(*) FROM calib.certification_version"
                                " WHERE created_change = %s", (change,)).fetchone()[0] == 1


@pytest.mark.parametrize("writer", ["decertify", "raw"])
def test_a_repeatable_read_delete_that_cannot_see_a_new_version_is_a_conflict(
        reg: Registry, sessions: Callable[..., psycopg.Connection], writer: str) -> None:
    """REPEATABLE READ: the delete's snapshot predates a writer that committed a version
    naming the change (a decertify, or the owner's raw INSERT, which has no change of its
    own until the check makes one): refused with 40001 (the constraints' check raised it
    too), nothing deleted. Without a writer since the snapshot the same delete of a change
    nothing names goes through."""
    _, change = certified(reg)
    spare = bare_change(sessions)
    deleter = owner(sessions)
    deleter.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    deleter.execute("SELECT count(*) FROM calib.certification_version")  # the snapshot
    if writer == "decertify":
        reg.decertify("X", TYPE, Timespan(t(2021), None), [det(1)])
    else:
        raw = owner(sessions)
        insert_version(raw, change, change)
        raw.commit()
    with pytest.raises(psycopg.errors.SerializationFailure) as exc:
        deleter.execute("DELETE FROM calib.change WHERE change_id = %s", (change,))
    assert kind(exc) == "change_delete_snapshot"
    deleter.rollback()
    with psycopg.connect(reg_url(reg)) as conn:
        assert conn.execute("SELECT count(*) FROM calib.change WHERE change_id = %s",
                            (change,)).fetchone()[0] == 1
    deleter.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    assert deleter.execute("DELETE FROM calib.change WHERE change_id = %s",
                           (spare,)).rowcount == 1
    deleter.commit()


def test_prune_history_still_drops_what_nothing_names(reg: Registry) -> None:
    """The delete side's check lets retention through: versions closed before the horizon
    go, then their changes (tests/test_pg_retention.py has the rest)."""
    refs, _ = certified(reg)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.certify("X", [refs[1]], Timespan(t(2021), None))
    with psycopg.connect(reg_url(reg), autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM calib.change").fetchone()[0]
        conn.execute("SELECT calib.prune_history(calib.current_epoch())")
        after = conn.execute("SELECT count(*) FROM calib.change").fetchone()[0]
    assert after < before


def test_a_repeatable_read_delete_sees_a_writer_that_was_in_progress_at_its_snapshot(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """The writer's change is older than a change committed before the snapshot, so only
    the snapshot's in-progress list tells that it may have written versions since: a
    decertify open at the snapshot commits, then the REPEATABLE READ delete of the change
    its versions name is refused with 40001."""
    _, change = certified(reg)
    writer = sessions()
    writer.execute("SELECT calib.decertify('X', %s, tstzrange(%s, NULL))", (TYPE, t(2021)))
    bare_change(sessions)  # a later change id, committed before the snapshot
    deleter = owner(sessions)
    deleter.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    deleter.execute("SELECT count(*) FROM calib.certification_version")  # the snapshot
    writer.commit()
    with pytest.raises(psycopg.errors.SerializationFailure) as exc:
        deleter.execute("DELETE FROM calib.change WHERE change_id = %s", (change,))
    assert kind(exc) == "change_delete_snapshot"
    deleter.rollback()
