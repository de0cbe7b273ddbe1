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
- changes are deleted, re-keyed or truncated only under READ COMMITTED: under REPEATABLE
  READ or SERIALIZABLE the check's snapshot could not see a version committed after it
  (0A000); a writer under REPEATABLE READ cannot name a change deleted after its snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import calibcert
import test_migrations
import test_pg_concurrency
from calibcert import Registry, Timespan, migrate
from calibcert.schema import HEAD_REVISION
from test_pg_concurrency import Call, pid_of, wait_until_blocked
from test_pg_history import TYPE, det, t, world

observer = test_pg_concurrency.observer
sessions = test_pg_concurrency.sessions
empty_db = test_migrations.empty_db

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


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
@pytest.mark.parametrize("writer", ["decertify", "raw"])
def test_changes_are_deleted_rekeyed_or_truncated_only_under_read_committed(
        reg: Registry, sessions: Callable[..., psycopg.Connection], writer: str,
        isolation: str) -> None:
    """Under REPEATABLE READ or SERIALIZABLE the delete side's check would read the
    transaction's snapshot, which cannot see a version committed after it: a decertify, or
    the owner's raw INSERT (whose version names a change that already existed, so neither
    the change sequence nor the snapshot's transactions would tell), commits a version
    naming the change after the snapshot; the delete is refused (0A000), as is any delete,
    re-key or TRUNCATE of calib.change, and calib.prune_history, in such a transaction;
    nothing is deleted. Under READ COMMITTED the same delete is refused as referenced and a
    change nothing names goes."""
    _, change = certified(reg)
    spare = bare_change(sessions)
    deleter = owner(sessions)
    deleter.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
    deleter.execute("SELECT count(*) FROM calib.certification_version")  # the snapshot
    if writer == "decertify":
        reg.decertify("X", TYPE, Timespan(t(2021), None), [det(1)])
    else:
        raw = owner(sessions)
        raw.execute("SELECT set_config('calib._change', %s, true)", (str(change),))
        insert_version(raw, change, change)
        raw.commit()
    statements = [("DELETE FROM calib.change WHERE change_id = %s", (change,)),
                  ("DELETE FROM calib.change WHERE change_id = %s", (spare,)),
                  ("UPDATE calib.change SET change_id = DEFAULT WHERE change_id = %s",
                   (spare,)),
                  ("TRUNCATE calib.change CASCADE", ()),
                  ("SELECT calib.prune_history(calib.current_epoch())", ())]
    for i, (sql, args) in enumerate(statements):
        if i:
            deleter.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as exc:
            deleter.execute(sql, args)
        assert kind(exc) == "change_delete_isolation", sql
        assert isolation.lower() in str(exc.value)
        deleter.rollback()
    with psycopg.connect(reg_url(reg)) as conn:
        assert conn.execute("SELECT count(*) FROM calib.change WHERE change_id = ANY (%s)",
                            ([change, spare],)).fetchone()[0] == 2
    with pytest.raises(psycopg.errors.ForeignKeyViolation) as exc:
        deleter.execute("DELETE FROM calib.change WHERE change_id = %s", (change,))
    assert kind(exc) == "change_referenced"
    deleter.rollback()
    assert deleter.execute("DELETE FROM calib.change WHERE change_id = %s",
                           (spare,)).rowcount == 1
    deleter.commit()


def test_a_change_nothing_names_can_be_rekeyed(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """The re-key check is a row trigger, which has no transition table: a re-key of a
    change no version names goes through (it did under the foreign keys), one of a named
    change is refused (test above)."""
    certified(reg)
    spare = bare_change(sessions)
    conn = owner(sessions)
    (new,) = conn.execute("UPDATE calib.change SET change_id = DEFAULT WHERE change_id = %s"
                          " RETURNING change_id", (spare,)).fetchone()
    conn.commit()
    assert new != spare
    assert conn.execute("SELECT count(*) FROM calib.change WHERE change_id = %s",
                        (new,)).fetchone()[0] == 1


def test_a_statement_on_versions_that_changes_no_row_is_no_change(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """The writer's check makes no change of its own: raw statements on the versions that
    change no row leave calib.change and the epoch as they were (a statement that changes
    nothing is no change, README "History and time travel")."""
    certified(reg)
    conn = owner(sessions, autocommit=True)
    before = conn.execute("SELECT count(*), calib.current_epoch() FROM calib.change").fetchone()
    conn.execute("UPDATE calib.certification_version SET removed_change = removed_change"
                 " WHERE false")
    conn.execute(f"INSERT INTO calib.certification_version ({COLUMNS})"
                 f" SELECT {COLUMNS} FROM calib.certification_version WHERE false")
    assert conn.execute("SELECT count(*), calib.current_epoch() FROM calib.change"
                        ).fetchone() == before


def test_a_repeatable_read_writer_cannot_name_a_change_deleted_after_its_snapshot(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """The writer's half under REPEATABLE READ: a change deleted (READ COMMITTED) and
    committed after the writer's snapshot is still visible to it, but locking it FOR KEY
    SHARE fails (40001, PostgreSQL's own, as under the foreign keys): no version is left
    naming a deleted change."""
    certified(reg)
    spare = bare_change(sessions)
    writer, deleter = owner(sessions), owner(sessions)
    writer.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    writer.execute("SELECT count(*) FROM calib.change")  # the snapshot
    assert deleter.execute("DELETE FROM calib.change WHERE change_id = %s",
                           (spare,)).rowcount == 1
    deleter.commit()
    with pytest.raises(psycopg.errors.SerializationFailure):
        insert_version(writer, spare, spare)
    writer.rollback()
    assert deleter.execute("SELECT count(*) FROM calib.certification_version"
                           " WHERE created_change = %s", (spare,)).fetchone()[0] == 0


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


# -- the revision ---------------------------------------------------------------------------


def test_the_downgrade_restores_the_foreign_keys_or_says_why_it_cannot(empty_db) -> None:
    """Down to 0016 with history in the database: the two foreign keys come back validated
    and the triggers go; with a version naming a missing change (left by a superuser
    bypassing the triggers) the downgrade is refused with a message naming the fix, and
    the database stays at 0017 with check_integrity reporting the version."""
    urls = empty_db(), empty_db()
    for url in urls:
        calibcert.upgrade(url)
        with calibcert.connect(url) as reg:
            refs = world(reg)
            reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
            reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    healthy, broken = urls
    migrate.downgrade(healthy, "0016")
    with psycopg.connect(healthy) as conn:
        assert sorted(conn.execute(
            "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'calib.certification_version'::regclass").fetchall()) == [
            ("certification_version_created_fkey", True),
            ("certification_version_removed_fkey", True)]
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE"
                            " ANY (ARRAY['change_refs_%', 'certification_version_change_%'])"
                            ).fetchone()[0] == 0
    with psycopg.connect(broken, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        (gone,) = conn.execute("DELETE FROM calib.change WHERE change_id = (SELECT"
                               " max(removed_change) FROM calib.certification_version)"
                               " RETURNING change_id").fetchone()
    with pytest.raises(Exception, match="delete those versions first"):
        migrate.downgrade(broken, "0016")
    assert migrate.current(broken) == HEAD_REVISION
    with psycopg.connect(broken) as conn:
        assert ("missing_reference", {"table": "certification_version", "references": "change",
                                      "key": {"removed_change": gone}, "rows": 1}) in \
            conn.execute("SELECT * FROM calib.check_integrity()").fetchall()
