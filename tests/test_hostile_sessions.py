"""Hostile sessions (revision 0019, after the s11 hostile-caller review): what a login can
do to calibcert *besides* calling its functions with hostile arguments (tests/hostile.py,
tests/test_security.py).

* The epoch lock (README "History and time travel"): every committing change takes it.
  Up to revision 0018 it was an advisory lock on a key printed in the README, and
  ``pg_advisory_lock`` is executable by every login: a session holding the key, idle
  outside any transaction (so ``idle_in_transaction_session_timeout`` never ends it),
  stopped every write. Now it is the row of ``calib.epoch_lock``, locked FOR UPDATE, which
  only calib_owner can lock: an outsider (a LOGIN with no calibcert role) and a reader try
  every lock their privileges let them try, hold whatever they got in open sessions, and a
  certify still commits without waiting (``calib.lock_timeout = '0'``: any wait is 55P03).
* Private settings: ``calib._replay_call`` set by hand skipped the check that a request id
  belongs to the caller's role (and ``'x'`` gave a raw 22P02); hostile values of
  ``calib._operation``, ``calib._row_operation`` and ``calib._change`` before a call
  change nothing in what the call does or records.
* Documents nested deeper than PostgreSQL's parsers go (``repeat('[', 100000)``, an array
  literal of 7 dimensions) are KC016, not the raw 54001 / 54000.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest

from test_security import as_role

#: The advisory key revisions 0014-0018 took (the bytes 'calibcer'), printed in their README.
OLD_KEY = 7161124082373846386
LOGINS = {"outsider": None, "reader": "calib_reader", "certifier": "calib_certifier",
          "admin": "calib_admin"}
MODES = ("ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE",
         "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE")
ROW_LOCKS = ("FOR UPDATE", "FOR NO KEY UPDATE", "FOR SHARE", "FOR KEY SHARE")
DS = [f"00000000-0000-4000-8000-0000000000{d:02d}" for d in range(1, 40)]


def login(who: str) -> str:
    return f"calib_hostile_session_{who}"


@pytest.fixture(scope="module")
def logins(pg_admin_url: str) -> Iterator[None]:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for who, role in LOGINS.items():
            conn.execute(f"DROP ROLE IF EXISTS {login(who)}")
            conn.execute(f"CREATE ROLE {login(who)} LOGIN" + (f" IN ROLE {role}" if role else ""))
    yield
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for who in LOGINS:
            conn.execute(f"DROP ROLE IF EXISTS {login(who)}")


@pytest.fixture
def db(pg_url: str, logins) -> Iterator[str]:
    """A committed database: a RUN with datasets DS (detectors 1..39) and a CALIBRATION
    collection."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SELECT calib.register_dataset_type('bias', ARRAY['detector'])")
        conn.execute("SELECT calib.register_collection('run', 'RUN')")
        conn.execute("SELECT calib.register_collection('calib', 'CALIBRATION')")
        conn.execute("SELECT count(*) FROM calib.insert_datasets('bias', 'run',"
                     " (SELECT array_agg(jsonb_build_object('detector', d)) FROM"
                     " generate_series(1, %s) d), %s::uuid[])", (len(DS), DS))
    yield pg_url


def connect(url: str, who: str, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(as_role(url, login(who)), autocommit=autocommit)


def certify_sql(n: int, year: int = 2020) -> str:
    return (f"SELECT calib.certify('calib', ARRAY['{DS[n]}']::uuid[],"
            f" '[{year}-01-01 00:00+00,{year + 1}-01-01 00:00+00)')")


# -- the epoch lock ------------------------------------------------------------------------


def try_to_hold(url: str, who: str, sql: str, opened: list[psycopg.Connection]) -> str:
    """Run ``sql`` as ``who`` in a new session and leave its transaction open if it worked
    ('held'); else the SQLSTATE."""
    conn = connect(url, who)
    conn.execute("SET lock_timeout = '2s'")  # never hang the test on our own attempt
    try:
        conn.execute(sql)
    except psycopg.Error as exc:
        conn.rollback()
        conn.close()
        return exc.sqlstate or "?"
    opened.append(conn)
    return "held"


#: The old key, in each form: held by the outsider, one form at a time (they conflict).
ADVISORY = {"advisory, session level": f"SELECT pg_advisory_lock({OLD_KEY})",
            "advisory, transaction level": f"SELECT pg_advisory_xact_lock({OLD_KEY})",
            "advisory, shared": f"SELECT pg_advisory_lock_shared({OLD_KEY})"}


def attempts(who: str) -> dict[str, str]:
    out = {"advisory, session level": ADVISORY["advisory, session level"]} if (
        who == "outsider") else {}
    out["read the lock row"] = "SELECT * FROM calib.epoch_lock"
    for mode in MODES:
        out[f"LOCK TABLE IN {mode} MODE"] = f"LOCK TABLE calib.epoch_lock IN {mode} MODE"
    for lock in ROW_LOCKS:
        out[f"SELECT {lock}"] = f"SELECT * FROM calib.epoch_lock {lock}"
    return out


#: What each hostile session gets: the advisory key (anyone may take any key; it is no
#: longer calibcert's), and for the reader what SELECT allows (ACCESS SHARE). Everything
#: else needs UPDATE (or USAGE on the schema, for the outsider): 42501.
GRANTED = {"outsider": {"advisory, session level"},
           "reader": {"read the lock row", "LOCK TABLE IN ACCESS SHARE MODE"}}


def writers_commit_at_once(url: str, n: int) -> None:
    """A certifier and an admin each change something and commit, with calib.lock_timeout
    = '0': any wait for a lock would be a 55P03 at once."""
    for who, sql in (("certifier", certify_sql(n)),
                     ("admin", f"SELECT calib.register_collection('new{n}', 'RUN')")):
        writer = connect(url, who)
        writer.execute("SET calib.lock_timeout = '0'")
        epoch = writer.execute("SELECT calib.current_epoch()").fetchone()[0]
        start = time.monotonic()
        writer.execute(sql)
        writer.commit()
        assert time.monotonic() - start < 5
        assert writer.execute("SELECT calib.current_epoch()").fetchone()[0] == epoch + 1
        writer.close()


def test_no_outsider_or_reader_lock_holds_up_a_commit(db: str) -> None:
    opened: list[psycopg.Connection] = []
    try:
        got = {who: {name: try_to_hold(db, who, sql, opened)
                     for name, sql in attempts(who).items()}
               for who in GRANTED}
        for who, outcomes in got.items():
            assert {n for n, o in outcomes.items() if o == "held"} == GRANTED[who], outcomes
            assert {o for o in outcomes.values() if o != "held"} == {"42501"}, outcomes
        assert len(opened) == sum(len(g) for g in GRANTED.values())
        # Every one of them held (the advisory lock by an idle session, outside any
        # transaction, as in the review): writes commit at once.
        opened[0].commit()
        assert opened[0].execute(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
            " AND locktype = 'advisory' AND granted").fetchone()[0] == 1
        opened[0].commit()
        writers_commit_at_once(db, 0)
        # The key's other forms, one at a time (the reader's locks still held).
        for n, form in enumerate(("advisory, transaction level", "advisory, shared"), 1):
            opened.pop(0).close()
            assert try_to_hold(db, "outsider", ADVISORY[form], opened) == "held"
            opened.insert(0, opened.pop())
            writers_commit_at_once(db, n)
    finally:
        for conn in opened:
            conn.close()


def test_the_epoch_lock_is_a_row_lock_held_to_the_commit(db: str) -> None:
    """What a committing writer holds: a row lock on calib.epoch_lock (ROW SHARE on the
    table, nothing stronger: no ACCESS EXCLUSIVE lock to be logged for hot standbys, and a
    reader's SELECT of the table is not blocked), and another commit waits for it."""
    holder = connect(db, "certifier")
    holder.execute("SET CONSTRAINTS ALL IMMEDIATE")  # numbers now: holds the lock to its end
    holder.execute(certify_sql(1))
    with psycopg.connect(db, autocommit=True) as observer:
        modes = observer.execute(
            "SELECT mode FROM pg_locks WHERE pid = %s AND locktype = 'relation'"
            " AND relation = 'calib.epoch_lock'::regclass", (holder.info.backend_pid,)).fetchall()
        assert modes == [("RowShareLock",)]
        assert observer.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory'",
            (holder.info.backend_pid,)).fetchone()[0] == 0
        reader = connect(db, "reader", autocommit=True)
        reader.execute("SET lock_timeout = '1s'")
        assert reader.execute("SELECT * FROM calib.epoch_lock").fetchall() == [(True,)]
        reader.close()
    other = connect(db, "admin")  # another collection: only the epoch lock is shared
    other.execute("SET calib.lock_timeout = '200ms'")
    other.execute("SELECT calib.register_collection('e2', 'RUN')")
    with pytest.raises(psycopg.errors.LockNotAvailable) as info:
        other.commit()
    assert json.loads(info.value.diag.message_detail)["wait"] == "epoch"
    holder.commit()
    other.execute("SELECT calib.register_collection('e2', 'RUN')")
    other.commit()
    holder.close()
    other.close()


def test_a_deleted_lock_row_stops_commits_instead_of_numbering_without_the_lock(
        db: str) -> None:
    with psycopg.connect(db) as owner:
        owner.execute("DELETE FROM calib.epoch_lock")
        owner.execute("SELECT calib.register_collection('x', 'RUN')")
        with pytest.raises(psycopg.errors.NoDataFound):
            owner.commit()


# -- private settings ----------------------------------------------------------------------


def foreign_id(exc: pytest.ExceptionInfo[psycopg.Error]) -> bool:
    detail = json.loads(exc.value.diag.message_detail or "{}")
    return (exc.value.sqlstate == "KC015" and detail.get("kind") == "request_id_foreign"
            and "result" not in detail)


REPLAY_FORGERIES = ("'0'", "'x'", "'-1'", "'1e400'", "''",
                    # the position with this transaction's start, as calib._request writes it
                    "'0 ' || extract(epoch FROM transaction_timestamp())::text")


def test_another_roles_request_id_is_refused_whatever_replay_call_says(db: str) -> None:
    """The review's sequence: the admin commits a certify under a request id; a certifier
    with the same id is refused (request_id_foreign), and stays refused when it sets
    calib._replay_call by hand (up to 0018 '0' replayed the admin's result, 'x' raised a raw
    22P02)."""
    admin = connect(db, "admin")
    admin.execute("SELECT set_config('calib.request_id', 'nightly-secret-43', true)")
    assert admin.execute(certify_sql(3, 2031)).fetchone()[0] == 1
    admin.commit()
    cert = connect(db, "certifier")
    for forged in (None, *REPLAY_FORGERIES):
        cert.execute("SELECT set_config('calib.request_id', 'nightly-secret-43', true)")
        if forged is not None:
            cert.execute(f"SELECT set_config('calib._replay_call', {forged}, true)")
        with pytest.raises(psycopg.Error) as info:
            cert.execute(certify_sql(3, 2031))
        assert foreign_id(info), (forged, info.value.sqlstate, info.value.diag.message_primary)
        cert.rollback()
        # Set for the session (SET, not SET LOCAL) too.
        if forged is not None and "transaction_timestamp" not in forged:
            cert.execute(f"SET calib._replay_call = {forged}")
            cert.execute("SELECT set_config('calib.request_id', 'nightly-secret-43', true)")
            with pytest.raises(psycopg.Error) as info:
                cert.execute(certify_sql(3, 2031))
            assert foreign_id(info), forged
            cert.rollback()
            cert.execute("RESET calib._replay_call")
            cert.commit()
    cert.close()
    with psycopg.connect(db) as owner:
        assert owner.execute("SELECT count(*) FROM calib.certification").fetchone()[0] == 1


def test_a_replay_position_set_by_hand_is_ignored(db: str) -> None:
    """The caller's own request: two calls recorded (1, then 2 certifications). A retry
    replays them in order; a position set by hand that this transaction did not leave (a
    stale start, garbage) is ignored: the first call of the retry still gets the first
    result."""
    first = connect(db, "certifier")
    first.execute("SELECT set_config('calib.request_id', 'mine', true)")
    one = first.execute(certify_sql(4)).fetchone()[0]
    two = first.execute(
        f"SELECT calib.certify('calib', ARRAY['{DS[5]}', '{DS[6]}']::uuid[],"
        " '[2020-01-01 00:00+00,)')").fetchone()[0]
    first.commit()
    assert (one, two) == (1, 2)
    stale = "'1 ' || extract(epoch FROM now() - interval '1 second')::text"
    for forged in ("'1'", "'1 x'", stale, "'1 1 1'", "'01 '"):
        first.execute("SELECT set_config('calib.request_id', 'mine', true)")
        first.execute(f"SELECT set_config('calib._replay_call', {forged}, true)")
        assert first.execute(certify_sql(4)).fetchone()[0] == 1, forged
        assert first.execute(
            f"SELECT calib.certify('calib', ARRAY['{DS[5]}', '{DS[6]}']::uuid[],"
            " '[2020-01-01 00:00+00,)')").fetchone()[0] == 2, forged
        first.commit()
    first.close()


def history_of_last_change(conn: psycopg.Connection) -> tuple:
    return conn.execute(
        "SELECT c.db_role, c.epoch = (SELECT max(epoch) FROM calib.change),"
        " array_agg(DISTINCT h.created_operation)"
        " FROM calib.change AS c JOIN calib.certification AS h ON h.created_change = c.change_id"
        " WHERE c.epoch = (SELECT max(epoch) FROM calib.change)"
        " GROUP BY c.change_id, c.db_role, c.epoch").fetchone()


def test_hostile_private_settings_before_a_call_change_nothing(db: str) -> None:
    """calib._operation, calib._row_operation and calib._change set by hand (for the session
    or the transaction) to garbage, to another transaction's change or to a forged label:
    every certify still works, in a change of its own (its role, a new epoch) recorded as
    'certify', and the other change is untouched."""
    with psycopg.connect(db, autocommit=True) as owner:
        owner.execute(certify_sql(7))
        other = owner.execute(
            "SELECT change_id, epoch, db_role FROM calib.change ORDER BY epoch DESC LIMIT 1"
        ).fetchone()
        before = owner.execute("SELECT count(*) FROM calib.certification"
                               " WHERE created_change = %s", (other[0],)).fetchone()[0]
        cert = connect(db, "certifier")
        values = ("x", "", "-1", "0", "99999999999999999999", str(other[0]), "sql",
                  "certify", "decertify 1", "evil")
        forged_label = "'evil ' || extract(epoch FROM statement_timestamp())::text"
        year = 2100
        for setting in ("calib._operation", "calib._row_operation", "calib._change"):
            for value in (*(f"'{v}'" for v in values), forged_label):
                for local in (True, False):
                    cert.execute(f"SELECT set_config('{setting}', {value}, {local})")
                    if not local:
                        cert.commit()
                    year += 1
                    assert cert.execute(certify_sql(8, year)).fetchone()[0] == 1, (
                        setting, value)
                    cert.commit()
                    got = history_of_last_change(owner)
                    assert got == (login("certifier"), True, ["certify"]), (
                        setting, value, local, got)
                    cert.execute(f"RESET {setting}")
                    cert.commit()
        cert.close()
        assert owner.execute(
            "SELECT change_id, epoch, db_role FROM calib.change WHERE change_id = %s",
            (other[0],)).fetchone() == other
        assert owner.execute("SELECT count(*) FROM calib.certification"
                             " WHERE created_change = %s", (other[0],)).fetchone()[0] == before


# -- documents nested too deep -------------------------------------------------------------

DEEP = {
    "JSON nested 100000 deep": "repeat('[', 100000)",
    "JSON object holding it": "'{\"a\": ' || repeat('[', 100000)",
    "array literal of 7 dimensions": "repeat('{', 7) || '1' || repeat('}', 7)",
    "array literal nested 100000 deep": "repeat('{', 100000)",
}


@pytest.mark.parametrize("document", sorted(DEEP))
def test_documents_nested_too_deep_are_kc016(pg_shared_url: str, logins,
                                              document: str) -> None:
    calls = (f"SELECT * FROM calib.get_datasets({DEEP[document]})",
             f"SELECT * FROM calib.find('calib', 'bias', {DEEP[document]}, '2020-01-01Z')",
             f"SELECT * FROM calib.query_datasets('run', 'bias', {DEEP[document]})")
    with psycopg.connect(as_role(pg_shared_url, login("reader"))) as conn:
        for sql in calls:
            with pytest.raises(psycopg.Error) as info:
                conn.execute(sql)
            assert info.value.sqlstate == "KC016", (sql, info.value.sqlstate,
                                                    info.value.diag.message_primary[:200])
            assert json.loads(info.value.diag.message_detail)["kind"] == "document_syntax"
            conn.rollback()
