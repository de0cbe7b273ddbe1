"""Collection states and writer lists on PostgreSQL, over real connections: raw SQL by the
table owner refused on a FROZEN collection, writer lists checked against LOGIN roles
(through intermediate roles, and with SET ROLE), and a certify racing a freeze."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import calibcert
import test_pg_concurrency  # noqa: E402 - its fixtures, below
from calibcert import CollectionState, Registry, Timespan
from calibcert.errors import AccessDeniedError, CollectionStateError, InvalidArgumentError
from test_pg_concurrency import (
    Call,
    World,
    X,
    Y,
    make_world,
    pid_of,
    t,
    wait_until_blocked,
)

#: The fixtures of tests/test_pg_concurrency.py this module shares.
registries = test_pg_concurrency.registries
observer = test_pg_concurrency.observer

#: Cluster-wide roles made for this module: a writer group, an intermediate role in it, a
#: LOGIN member through that intermediate role, a LOGIN certifier outside the group, and a
#: pooler LOGIN that is itself in the group but SETs ROLE to an end user.
PROD, MID, ALICE, BOB, POOL = (f"calibcert_states_{n}" for n in
                               ("prod", "mid", "alice", "bob", "pool"))


@pytest.fixture(scope="module")
def roles(pg_admin_url: str) -> Iterator[None]:
    statements = [
        f"CREATE ROLE {PROD} NOLOGIN",
        f"CREATE ROLE {MID} NOLOGIN IN ROLE {PROD}",
        f"CREATE ROLE {ALICE} LOGIN IN ROLE {MID}, calib_writer",
        f"CREATE ROLE {BOB} LOGIN IN ROLE calib_writer",
        f"CREATE ROLE {POOL} LOGIN IN ROLE {PROD}, calib_writer",
        f"GRANT {BOB} TO {POOL}",
    ]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role in (POOL, BOB, ALICE, MID, PROD):
            conn.execute(f"DROP ROLE IF EXISTS {role}")
        for sql in statements:
            conn.execute(sql)
    yield
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for role in (POOL, BOB, ALICE, MID, PROD):
            conn.execute(f"DROP ROLE IF EXISTS {role}")


def as_login(url: str, login: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{login}@{rest.split('@', 1)[1]}"


@pytest.fixture
def world(pg_url: str) -> World:
    w = make_world(pg_url, detectors=5)
    with calibcert.connect(pg_url) as reg:
        reg.certify(X, [w.ref("run1", 1)], Timespan(t(2020), None))
    return w


def certifications(url: str, collection: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT dataset_id::text, validity::text FROM calib.certification AS c"
            " JOIN calib.collection AS k USING (collection_id) WHERE k.name = %s"
            " ORDER BY 1, 2", (collection,)).fetchall()


# -- FROZEN against raw SQL ----------------------------------------------------------------

RAW = {
    "insert_certification": (
        "INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
        " dataset_id, validity) SELECT k.collection_id, d.dataset_type_id, d.data_id_key,"
        " d.dataset_id, '[2010-01-01 00:00+00,2011-01-01 00:00+00)' FROM calib.collection AS k,"
        " calib.dataset AS d WHERE k.name = 'calib/X' LIMIT 1"),
    "update_certification": "UPDATE calib.certification SET validity ="
                            " '[2020-01-01 00:00+00,2021-01-01 00:00+00)'",
    "delete_certification": "DELETE FROM calib.certification",
    "truncate_certification": "TRUNCATE calib.certification",
    "rename_collection": "UPDATE calib.collection SET name = 'calib/Z' WHERE name = 'calib/X'",
    "document_collection": "UPDATE calib.collection SET doc = 'x' WHERE name = 'calib/X'",
    "delete_collection": "DELETE FROM calib.collection WHERE name = 'calib/X'",
}


@pytest.mark.parametrize("as_owner", [True, False], ids=["calib_owner", "superuser"])
@pytest.mark.parametrize("statement", list(RAW))
def test_raw_sql_cannot_change_a_frozen_collection(world: World, statement: str,
                                                   as_owner: bool) -> None:
    with calibcert.connect(world.url) as reg:
        reg.set_collection_state(X, CollectionState.FROZEN)
    before = certifications(world.url, X)
    with psycopg.connect(world.url) as conn:
        if as_owner:
            conn.execute("SET ROLE calib_owner")  # the owner of every table
        with pytest.raises(psycopg.Error) as info:
            conn.execute(RAW[statement])
        assert info.value.sqlstate == "KC018"
        assert info.value.diag.message_primary.startswith("KC018: collection 'calib/X' is FROZEN")
    assert certifications(world.url, X) == before


@pytest.mark.parametrize("statement", [
    "DELETE FROM calib.dataset WHERE run_id = (SELECT collection_id FROM calib.collection"
    " WHERE name = 'run1') AND dataset_id NOT IN (SELECT dataset_id FROM calib.certification)",
    "INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)"
    " SELECT k.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id"
    " FROM calib.collection AS k, calib.dataset AS d WHERE k.name = 'tagged' LIMIT 1",
    "DELETE FROM calib.collection_chain",
    "TRUNCATE calib.tag",
], ids=["dataset", "tag", "chain", "truncate"])
def test_raw_sql_cannot_change_frozen_runs_tags_or_chains(world: World, statement: str) -> None:
    with calibcert.connect(world.url) as reg:
        reg.register_collection("tagged", "TAGGED")
        reg.register_collection("chain", "CHAINED")
        reg.set_chain("chain", [X, "run1"])
        for name in ("run1", "tagged", "chain"):
            reg.set_collection_state(name, CollectionState.FROZEN)
    with psycopg.connect(world.url) as conn:
        conn.execute("SET ROLE calib_owner")
        with pytest.raises(psycopg.Error) as info:
            conn.execute(statement)
        assert info.value.sqlstate == "KC018"


def test_raw_sql_may_change_other_collections_and_unfreeze(world: World) -> None:
    with calibcert.connect(world.url) as reg:
        reg.set_collection_state(X, CollectionState.FROZEN)
    with psycopg.connect(world.url) as conn:
        conn.execute("SET ROLE calib_owner")
        conn.execute(RAW["insert_certification"].replace("calib/X", "calib/Y"))
        conn.execute("UPDATE calib.collection SET state = 'OPEN' WHERE name = 'calib/X'")
        conn.execute("DELETE FROM calib.certification")
    assert certifications(world.url, X) == certifications(world.url, Y) == []


# -- writer lists --------------------------------------------------------------------------


def test_writers_are_checked_through_intermediate_roles(world: World, roles) -> None:
    with calibcert.connect(world.url) as admin:
        assert admin.set_collection_writers(X, [PROD]) is None
        assert admin.list_collections()[0].writers == (PROD,)
    with calibcert.connect(as_login(world.url, ALICE)) as alice:  # alice -> mid -> prod
        assert alice.certify(X, [world.ref("run2", 2)], Timespan(t(2021), None)) == 1
    with calibcert.connect(as_login(world.url, BOB)) as bob:
        before = certifications(world.url, X)
        with pytest.raises(AccessDeniedError) as info:
            bob.decertify(X, "bias", Timespan(None, None))
        err = info.value
        assert (err.role, err.collection, err.writers, err.operation) == (
            BOB, X, [PROD], "decertify")
        assert str(err) == (f"role {BOB!r} may not change collection 'calib/X': only members"
                            f" of {PROD} may (decertify refused)")
        assert err.sqlstate == "KC017"
        # Every writing path is checked, the fast certify path included; Y has no list.
        with pytest.raises(AccessDeniedError):
            bob.certify(X, [world.ref("run2", 3)], Timespan(t(2030), None))
        assert certifications(world.url, X) == before
        assert bob.certify(Y, [world.ref("run2", 3)], Timespan(t(2030), None)) == 1
    with calibcert.connect(world.url) as admin:
        assert admin.set_collection_writers(X, None) == (PROD,)
    with calibcert.connect(as_login(world.url, BOB)) as bob:  # NULL: every certifier again
        assert bob.certify(X, [world.ref("run2", 3)], Timespan(t(2030), None)) == 1


def test_set_role_is_the_identity_checked(world: World, roles) -> None:
    # The pooler logs in as a member of the writer group, then acts as an end user with
    # SET ROLE: the end user's memberships decide, as PostgreSQL's own privileges do.
    with calibcert.connect(world.url) as admin:
        admin.set_collection_writers(X, [PROD])
    conn = psycopg.connect(as_login(world.url, POOL), autocommit=True)
    with calibcert.connect(conn) as pool:
        assert pool.certify(X, [world.ref("run2", 2)], Timespan(t(2021), None)) == 1
        conn.execute(f"SET ROLE {BOB}")
        with pytest.raises(AccessDeniedError) as info:
            pool.certify(X, [world.ref("run3", 3)], Timespan(t(2031), None))
        assert info.value.role == BOB
        conn.execute("RESET ROLE")
        assert pool.certify(X, [world.ref("run3", 3)], Timespan(t(2031), None)) == 1
    conn.close()


def test_a_dropped_writer_role_grants_nothing(world: World, roles, pg_admin_url: str) -> None:
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS calibcert_states_gone")
        conn.execute("CREATE ROLE calibcert_states_gone NOLOGIN")
    with calibcert.connect(world.url) as admin:
        admin.set_collection_writers(X, ["calibcert_states_gone"])
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute("DROP ROLE calibcert_states_gone")
    with calibcert.connect(as_login(world.url, ALICE)) as alice, pytest.raises(
            AccessDeniedError):
        alice.certify(X, [world.ref("run2", 2)], Timespan(t(2021), None))


def test_unknown_writer_role_is_refused(world: World) -> None:
    with calibcert.connect(world.url) as admin:
        with pytest.raises(InvalidArgumentError) as info:
            admin.set_collection_writers(X, ["calib_writer", "no such role"])
        assert str(info.value) == "role 'no such role' (writer of 'calib/X') does not exist"
        with pytest.raises(InvalidArgumentError):
            admin.set_collection_writers(X, [])
        assert admin.list_collections()[0].writers is None
        assert admin.set_collection_writers(X, ["calib_writer", "calib_writer"]) is None
        assert admin.set_collection_writers(X, None) == ("calib_writer",)


def test_set_collection_state_and_writers_need_the_grant(world: World, roles) -> None:
    # calib_reader may not call them (they are calib_admin's: tests/roles_contract.py).
    with psycopg.connect(world.url, autocommit=True) as conn:
        conn.execute("CREATE ROLE calibcert_states_reader LOGIN IN ROLE calib_reader")
    try:
        with psycopg.connect(as_login(world.url, "calibcert_states_reader")) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT calib.set_collection_state('calib/X', 'FROZEN')")
    finally:
        with psycopg.connect(world.url, autocommit=True) as conn:
            conn.execute("DROP ROLE calibcert_states_reader")


# -- a certify racing a freeze -------------------------------------------------------------


def test_a_certify_never_lands_after_the_freeze_commits(world: World, registries,
                                                        observer) -> None:
    freezer = psycopg.connect(world.url)
    writer: Registry = registries()
    try:
        freezer.execute("SELECT calib.set_collection_state('calib/X', 'FROZEN')")
        # The writer saw X OPEN when it started; it must wait for the freezer's lock.
        call = Call(lambda: writer.certify(X, [world.ref("run2", 2)], Timespan(t(2021), None)),
                    (writer,))
        call.start()
        wait_until_blocked(observer, pid_of(writer), freezer.info.backend_pid, call)
        freezer.commit()
        with pytest.raises(CollectionStateError):
            call.outcome()
    finally:
        freezer.close()
    assert certifications(world.url, X) == [(str(world.ref("run1", 1).id),
                                              '["2020-01-01 00:00:00+00",)')]


def test_a_freeze_waits_for_a_certify_in_flight(world: World, registries, observer) -> None:
    writer: Registry = registries()
    freezer: Registry = registries()
    with writer.transaction():
        writer.certify(X, [world.ref("run2", 2)], Timespan(t(2021), None), close_open=True)
        call = Call(lambda: freezer.set_collection_state(X, "FROZEN"), (freezer,))
        call.start()
        wait_until_blocked(observer, pid_of(freezer), pid_of(writer), call)
    assert call.outcome() is CollectionState.OPEN
    assert len(certifications(world.url, X)) == 2
    with pytest.raises(CollectionStateError):
        writer.certify(X, [world.ref("run3", 3)], Timespan(t(2040), None))
