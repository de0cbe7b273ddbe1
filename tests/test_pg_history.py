"""History and time travel on PostgreSQL (README "History and time travel", revision 0014).

The commit-ordering rule is tested the way it fails: real sessions, a writer that has made
its first change and is held before COMMIT while another commits, a reader that pins
``current_epoch()`` in between; the pinned answers must never change. Every other test
replays a scenario: the live answers recorded after each change must equal the as-of
answers read at the end, for every epoch.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

import calibcert
import test_pg_concurrency
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import InvalidArgumentError, MissingCollectionError

UTC = timezone.utc
TYPE = "bias"
DETECTORS = range(1, 7)


def t(year: int, month: int = 1) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


TIMES = [None, t(2019), t(2020, 6), t(2021, 3), t(2022, 6), t(2030)]


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


#: The raw-session factory of tests/test_pg_concurrency.py.
sessions = test_pg_concurrency.sessions


def world(reg: Registry, calibrations: tuple[str, ...] = ("X",)) -> dict[int, Any]:
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = {r.data_id["detector"]: r for r in reg.insert_datasets(TYPE, "run1",
                                                                   [det(d) for d in DETECTORS])}
    for name in calibrations:
        reg.register_collection(name, CollectionType.CALIBRATION)
    return refs


def certify_sql(conn: psycopg.Connection, collection: str, dataset: Any, begin: datetime,
                end: datetime | None) -> None:
    conn.execute("SELECT calib.certify(%s::text, ARRAY[%s]::uuid[], tstzrange(%s, %s, '[)'))",
                 (collection, dataset, begin, end))


def answers(reg: Registry, collection: str, as_of: int | None) -> tuple[Any, ...]:
    """Everything a reader can ask of ``collection`` (as of an epoch, or now)."""
    certs = [(c.collection, str(c.ref.id), c.ref.data_id["detector"], c.timespan)
             for c in reg.certifications(collection, as_of=as_of)]
    queries = [(det(d), at) for d in DETECTORS for at in TIMES]
    found = [None if f is None else str(f.id)
             for f in reg.find_many(collection, TYPE, queries, as_of=as_of)]
    single = [None if f is None else str(f.id)
              for f in (reg.find(collection, TYPE, det(d), t(2021, 3), as_of=as_of)
                        for d in (1, 2))]
    return certs, found, single


def epoch_of(conn: psycopg.Connection, where: str) -> list[int]:
    return [r[0] for r in conn.execute(f"SELECT epoch FROM calib.change WHERE {where}")]


# -- commit order ----------------------------------------------------------------------


def test_a_pinned_epoch_never_changes_when_an_earlier_writer_commits_later(
        pg_url: str, reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    refs = world(reg, ("X", "Y"))
    a, b = sessions(), sessions(autocommit=True)
    # A makes its first change (its change row exists, its transaction is open)...
    certify_sql(a, "X", refs[1].id, t(2020), None)
    a_change = a.execute("SELECT current_setting('calib._change')::bigint").fetchone()[0]
    # ... B starts later, changes another collection and commits first.
    certify_sql(b, "Y", refs[2].id, t(2020), None)
    pinned = reg.current_epoch()
    before = answers(reg, "X", pinned), answers(reg, "Y", pinned)
    assert before[0][0] == [] and len(before[1][0]) == 1
    a.commit()
    after = answers(reg, "X", pinned), answers(reg, "Y", pinned)
    assert after == before
    (a_epoch,) = epoch_of(b, f"change_id = {a_change}")
    assert a_epoch == pinned + 1 == reg.current_epoch()
    # A's change is there as of its own epoch.
    assert [c.ref.id for c in reg.certifications("X", as_of=a_epoch)] == [refs[1].id]


def test_pinned_answers_hold_while_writers_race(
        pg_url: str, reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    """Three writers (one collection each, so none waits for another) make their first
    change, then commit in a random order, round after round; after every commit a reader
    pins the epoch, checks the as-of answers equal the live ones, and re-checks every pin
    taken so far."""
    names = ("X1", "X2", "X3")
    refs = world(reg, names)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", [*names, "run1"])
    rng = random.Random(16)
    writers = {name: sessions() for name in names}
    pins: dict[int, tuple[Any, ...]] = {}
    for _round in range(5):
        for name, conn in writers.items():
            d = rng.choice(DETECTORS)
            conn.execute("SELECT calib.decertify(%s::text, %s::text, '(,)'::tstzrange,"
                         " ARRAY[%s]::jsonb[])", (name, TYPE, Jsonb(det(d))))
            begin = t(rng.randrange(2019, 2023), rng.randrange(1, 13))
            certify_sql(conn, name, refs[d].id, begin,
                        rng.choice([None, t(2023), t(2025)]))
        order = list(writers)
        rng.shuffle(order)
        for name in order:
            writers[name].commit()
            epoch = reg.current_epoch()
            now = answers(reg, "C", None)
            assert answers(reg, "C", epoch) == now
            pins[epoch] = now
            for pinned, expected in pins.items():
                assert answers(reg, "C", pinned) == expected, pinned
    assert sorted(pins) == list(range(min(pins), min(pins) + len(pins)))


# -- as-of answers equal the live answers of their time --------------------------------


def test_as_of_replays_every_epoch(reg: Registry) -> None:
    refs = world(reg, ("X", "Z"))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    recorded: list[tuple[int, dict[str, Any]]] = []

    def record() -> None:
        state: dict[str, Any] = {}
        for name in ("X", "Z", "C"):
            if name in {c.name for c in reg.list_collections()}:
                state[name] = answers(reg, name, None)
        state["chain"] = reg.get_chain("C")
        state["collections"] = reg.list_collections()
        state["held"] = {name: reg.query_datasets(name, TYPE) for name in ("tagged", "run1")}
        state["held_where"] = reg.query_datasets("tagged", TYPE, {"detector": 4})
        state["digests"] = {n: reg.collection_digest(n)
                            for n in ("X", "Z", "C", "tagged", "run1") if n in state or
                            n in ("tagged", "run1", "C")}
        recorded.append((reg.current_epoch(), state))

    reg.set_chain("C", ["X", "tagged", "run1"])
    record()
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    record()
    reg.certify("Z", [refs[3]], Timespan(t(2020), t(2023)))
    record()
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])  # a split
    record()
    reg.close_open_range("X", TYPE, t(2024), [det(2)])
    record()
    reg.tag("tagged", [refs[4]])
    record()
    with reg.transaction():  # one change of several operations
        reg.set_chain("C", ["Z", "X", "run1"])
        reg.untag("tagged", [refs[4]])
        reg.certify("X", [refs[4]], Timespan(t(2019), t(2020)))
    record()
    reg.set_chain("C", ["X", "run1"])
    reg.remove_collection("Z")
    record()
    reg.register_collection("Z", CollectionType.CALIBRATION)  # the name, reused
    reg.certify("Z", [refs[5]], Timespan(None, None))
    reg.set_chain("C", ["Z", "X"])
    record()
    reg.set_collection_state("X", "FROZEN")
    record()
    epochs = [e for e, _ in recorded]
    assert epochs == sorted(set(epochs)) and epochs[-1] == reg.current_epoch()
    for epoch, state in recorded:
        for name, expected in state.items():
            if name == "chain":
                assert reg.get_chain("C", as_of=epoch) == expected, epoch
            elif name == "collections":
                assert reg.list_collections(as_of=epoch) == expected, epoch
                assert reg.list_collections("CALIBRATION", as_of=epoch) == [
                    c for c in expected if c.type is CollectionType.CALIBRATION], epoch
            elif name == "held":
                assert {n: reg.query_datasets(n, TYPE, as_of=epoch)
                        for n in expected} == expected, epoch
            elif name == "digests":
                assert {n: reg.collection_digest(n, as_of=epoch)
                        for n in expected} == expected, epoch
            elif name == "held_where":
                assert reg.query_datasets("tagged", TYPE, {"detector": 4},
                                          as_of=epoch) == expected, epoch
            else:
                assert answers(reg, name, epoch) == expected, (epoch, name)
        if "Z" not in state:
            with pytest.raises(MissingCollectionError, match="did not exist at epoch"):
                reg.certifications("Z", as_of=epoch)
    # Before the first change: nothing existed.
    with pytest.raises(MissingCollectionError):
        reg.find("X", TYPE, det(1), t(2020), as_of=0)


def test_as_of_arguments_are_checked(reg: Registry) -> None:
    world(reg)
    current = reg.current_epoch()
    assert current > 0
    for bad in (current + 1, -1):
        with pytest.raises(InvalidArgumentError, match="out of range"):
            reg.find("X", TYPE, det(1), t(2020), as_of=bad)
        with pytest.raises(InvalidArgumentError, match="out of range"):
            reg.certifications("X", as_of=bad)
    with pytest.raises(InvalidArgumentError, match="epoch"):
        reg.get_chain("X", as_of=True)  # type: ignore[arg-type]
    with pytest.raises(psycopg.Error, match="KC015: as_of must be an epoch"):
        reg.connection.execute("SELECT * FROM calib.find('X', 'bias',"
                               " '{\"instrument\": \"Cam\", \"detector\": 1}', '2020-01-01Z', 'x')")


def test_epoch_at(reg: Registry) -> None:
    assert reg.current_epoch() == 0
    before = datetime.now(UTC)
    world(reg)
    first = reg.current_epoch()
    assert reg.epoch_at(before) == 0
    assert reg.epoch_at(datetime.now(UTC)) == first
    with pytest.raises(psycopg.Error, match="KC015: instant must not be NULL"):
        reg.connection.execute("SELECT calib.epoch_at(NULL)")


# -- the change: who, why, one per transaction -----------------------------------------


def test_history_records_operations_actor_and_reason(pg_url: str, reg: Registry) -> None:
    refs = world(reg)
    with calibcert.connect(pg_url, reason="new biases", user="alice") as alice:
        alice.certify("X", [refs[1]], Timespan(t(2020), None))
        e_certify = alice.current_epoch()
        alice.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
        e_split = alice.current_epoch()
    rows = reg.history("X", TYPE, det(1))
    got = [(r.epoch, r.operation, r.app_user, r.reason, r.validity_before, r.validity_after,
            r.dataset_id) for r in rows]
    whole, first, rest = (Timespan(t(2020), None), Timespan(t(2020), t(2021)),
                          Timespan(t(2022), None))
    ds = refs[1].id
    assert got == [
        (e_certify, "certify", "alice", "new biases", None, whole, ds),
        (e_split, "decertify", "alice", "new biases", whole, None, ds),
        (e_split, "decertify", "alice", "new biases", None, first, ds),
        (e_split, "decertify", "alice", "new biases", None, rest, ds),
    ]
    assert {r.db_role for r in rows} == {reg.connection.info.user}
    # Raw SQL by the owner escapes nothing.
    reg.connection.execute("DELETE FROM calib.certification WHERE lower(validity) = %s",
                           (t(2022),))
    (last,) = reg.history("X", since=reg.current_epoch())
    assert (last.operation, last.validity_before, last.validity_after, last.reason) == (
        "sql", rest, None, None)
    # since / until bound the epochs.
    assert [r.epoch for r in reg.history("X", TYPE, until=e_certify)
            if r.dataset_type] == [e_certify]


def test_one_change_per_transaction_and_no_borrowed_change(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    refs = world(reg, ("X", "Y"))
    other = reg.current_epoch()
    other_id = reg.connection.execute(
        "SELECT change_id FROM calib.change WHERE epoch = %s", (other,)).fetchone()[0]
    conn = sessions()
    # A caller who names another transaction's change does not write under it.
    conn.execute("SELECT set_config('calib._change', %s, true)", (str(other_id),))
    certify_sql(conn, "X", refs[1].id, t(2020), None)
    # A change made in a rolled-back savepoint leaves nothing; the next write still counts.
    conn.execute("SAVEPOINT s")
    certify_sql(conn, "Y", refs[2].id, t(2020), None)
    conn.execute("ROLLBACK TO SAVEPOINT s")
    certify_sql(conn, "Y", refs[3].id, t(2020), None)
    conn.commit()
    rows = reg.connection.execute(
        "SELECT change_id, epoch FROM calib.change WHERE epoch > %s", (other,)).fetchall()
    assert len(rows) == 1 and rows[0][1] == other + 1
    assert [r.epoch for r in reg.history("X") if r.dataset_type] == [other + 1]
    assert [(r.epoch, r.dataset_id) for r in reg.history("Y") if r.dataset_type] == [
        (other + 1, refs[3].id)]
    assert {e for e, in reg.connection.execute(
        "SELECT DISTINCT created_change FROM calib.certification_history")} == {rows[0][0]}
    # The same when the transaction's first write is not a certification (calib._change()
    # checks the remembered change itself).
    conn.execute("SELECT set_config('calib._change', %s, true)", (str(other_id),))
    conn.execute("SELECT calib.register_collection('Z', 'CALIBRATION')")
    conn.commit()
    assert [r.epoch for r in reg.history("Z")] == [other + 2]


def test_raw_sql_naming_its_own_change_or_none_is_recorded_as_this_change(
        reg: Registry) -> None:
    """Current certifications carry their creating change. A raw INSERT that names another
    change, and a raw UPDATE that leaves the old one, are stamped with the writing
    transaction's change all the same (calib._stamp_row): as-of reads of the epochs before
    still answer as they did, and history shows the raw change."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    e1 = reg.current_epoch()
    first = reg.connection.execute("SELECT change_id FROM calib.change WHERE epoch = %s",
                                   (e1,)).fetchone()[0]
    before = answers(reg, "X", e1)
    # As the owner: shorten the certification, and insert one that claims epoch e1's change.
    with reg.connection.transaction():
        reg.connection.execute(
            "UPDATE calib.certification SET validity = tstzrange(lower(validity), %s, '[)')",
            (t(2021),))
        reg.connection.execute(
            "INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
            " dataset_id, validity, created_change, created_operation)"
            " SELECT c.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id,"
            " tstzrange(%s, NULL, '[)'), %s, 'certify'"
            " FROM calib.collection AS c, calib.dataset AS d"
            " WHERE c.name = 'X' AND d.dataset_id = %s", (t(2020), first, refs[2].id))
    e2 = reg.current_epoch()
    assert e2 == e1 + 1
    assert answers(reg, "X", e1) == before
    assert answers(reg, "X", e2) == answers(reg, "X", None)
    assert [(r.operation, r.dataset_id, r.validity_before, r.validity_after)
            for r in reg.history("X", TYPE, since=e2)] == [
        ("sql", refs[1].id, Timespan(t(2020), None), Timespan(t(2020), t(2021))),
        ("sql", refs[2].id, None, Timespan(t(2020), None))]


def test_a_failed_commit_takes_no_epoch(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    refs = world(reg)
    before = reg.current_epoch()
    conn = sessions()
    certify_sql(conn, "X", refs[1].id, t(2020), None)
    conn.rollback()
    assert reg.current_epoch() == before
    assert reg.certifications("X", as_of=before) == []


def test_raw_sql_after_a_function_in_one_transaction_is_recorded_as_sql(
        reg: Registry, sessions: Callable[..., psycopg.Connection]) -> None:
    refs = world(reg)
    reg.certify("X", [refs[2]], Timespan(t(2020), None))
    conn = sessions()
    certify_sql(conn, "X", refs[1].id, t(2020), None)
    conn.execute("DELETE FROM calib.certification WHERE dataset_id = %s", (refs[2].id,))
    conn.commit()
    (e,) = {r.epoch for r in reg.history("X", since=reg.current_epoch())}
    assert [(r.operation, r.dataset_id, r.validity_after is None)
            for r in reg.history("X", TYPE, since=e)] == [
        ("certify", refs[1].id, False), ("sql", refs[2].id, True)]


def test_a_call_that_changes_nothing_takes_no_epoch(reg: Registry) -> None:
    world(reg)
    before = reg.current_epoch()
    assert reg.decertify("X", TYPE, Timespan(None, None)) == 0
    assert reg.close_open_range("X", TYPE, t(2030)) == 0
    assert reg.current_epoch() == before


def test_cli_as_of_and_history(pg_url: str, reg: Registry, tmp_path) -> None:
    import json

    from test_cli import ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    pinned = reg.current_epoch()
    pinned_at = datetime.now(UTC)
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    at = "2021-03-01T00:00:00+00:00"
    for as_of in (str(pinned), pinned_at.isoformat()):
        found = json.loads(ok(home, pg_url, "find", "X", TYPE, "-d", "instrument=Cam,detector=1",
                              "--at", at, "--as-of", as_of, "--json").out)
        assert [r["dataset"]["id"] for r in found] == [str(refs[1].id)]
    now = json.loads(ok(home, pg_url, "find", "X", TYPE, "-d", "instrument=Cam,detector=1",
                        "--at", at, "--json").out)
    assert [r["dataset"] for r in now] == [None]
    listed = json.loads(ok(home, pg_url, "list", "X", "--as-of", str(pinned), "--json").out)
    assert len(listed) == 1
    rows = json.loads(ok(home, pg_url, "history", "X", "--dataset-type", TYPE, "--json").out)
    assert [r["operation"] for r in rows] == ["certify", "decertify", "decertify", "decertify"]
    table = ok(home, pg_url, "history", "X").out
    assert "register_collection" in table and "decertify" in table
    # --reason / --user (before or after the subcommand) go with the change.
    ok(home, pg_url, "--reason", "night 2024-02-10 was bad", "decertify", "X", TYPE,
       "--begin", "2023-01-01T00:00:00+00:00", "--end", "2023-02-01T00:00:00+00:00",
       "--user", "alice")
    (last,) = {(r.reason, r.app_user, r.operation)
               for r in reg.history("X", since=reg.current_epoch())}
    assert last == ("night 2024-02-10 was bad", "alice", "decertify")


def test_cli_export_plot_and_list_as_of(pg_url: str, reg: Registry, tmp_path) -> None:
    """export, plot and list --as-of show the content of that epoch, also of a collection
    removed since, chains as they were, and a RUN / TAGGED collection's datasets then."""
    import json

    from calibcert.lookup_view import lookup_view
    from test_cli import ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    refs = world(reg)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "tagged"])
    reg.tag("tagged", [refs[2]])
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    pinned = reg.current_epoch()
    view_then = lookup_view(reg, "C", as_of=pinned)
    digest_then = reg.collection_digest("X")
    doc_then = json.loads(ok(home, pg_url, "export", "C", "--json").out)
    # Later: the tag goes, the certification is split, the chain loses X, X is removed.
    reg.untag("tagged", [refs[2]])
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))
    reg.set_chain("C", ["tagged"])
    reg.remove_collection("X")
    out = json.loads(ok(home, pg_url, "export", "C", "--as-of", str(pinned), "--json").out)
    assert out == doc_then
    assert ok(home, pg_url, "export", "X", "--as-of", str(pinned), "--format", "csv").out \
        .count("\n") == 2  # the header and the one certification
    tagged = json.loads(ok(home, pg_url, "list", "tagged", "--as-of", str(pinned), "--json").out)
    assert [r["id"] for r in tagged] == [str(refs[2].id)]
    assert json.loads(ok(home, pg_url, "list", "tagged", "--json").out) == []
    assert lookup_view(reg, "C", as_of=pinned) == view_then
    assert [m.name for m in view_then.members] == ["X", "tagged"]
    plotted = json.loads(ok(home, pg_url, "plot", "C", "-o", str(tmp_path / "p.png"),
                            "--as-of", str(pinned), "--json").out)
    assert plotted["members"] == ["X", "tagged"] and plotted["certifications"] == 1
    assert ok(home, pg_url, "digest", "X", "--as-of", str(pinned)).out.strip() == digest_then


def test_as_of_lookups_probe_indexes_in_their_generic_plan(reg: Registry) -> None:
    """calib._probe_all_as_of runs its statement with a generic plan (planned once per
    session): that plan must probe the certification indexes (current rows: the exclusion
    index; closed versions: their GiST index), never scan a table, whatever the
    statistics (here: none, the tables were never analysed)."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))
    conn = reg.connection
    conn.execute("SET plan_cache_mode = force_generic_plan")
    try:
        conn.execute(
            "PREPARE q(integer, integer[], tstzrange[], bigint) AS"
            " SELECT u.ord, p.dataset_id FROM unnest($2, $3) WITH ORDINALITY AS u(k, span, ord)"
            " LEFT JOIN LATERAL calib._probe_as_of($1, u.k, u.span, $4) AS p ON u.k IS NOT NULL")
        coll, key = conn.execute(
            "SELECT collection_id, data_id_key FROM calib.certification LIMIT 1").fetchone()
        epoch = int(reg.current_epoch())
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN EXECUTE q({int(coll)}, ARRAY[{int(key)}],"
            f" ARRAY['[2020-06-01 00:00+00,2020-06-01 00:00+00]'::tstzrange], {epoch})"))
    finally:
        conn.execute("DEALLOCATE ALL")
        conn.execute("RESET plan_cache_mode")
    assert "Index Scan using certification_no_overlap on certification" in plan, plan
    assert "certification_version_probe_idx on certification_version" in plan, plan
    assert "Seq Scan" not in plan, plan
