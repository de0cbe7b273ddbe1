"""Behaviour suite: history and time travel (README "History and time travel"), the same on
PostgreSQL and SQLite.

History needs commits, so these tests run on the standalone PostgreSQL registry (every call
its own transaction, ``transaction()`` a real one) and on SQLite, not inside a caller's
rolled-back transaction. A scenario of every kind of change (certify, a decertify split,
close_open, chains, tags, states, a removed collection whose name is then reused, several
operations in one transaction, a transaction that changes something and undoes it) is run
with fixed dataset ids; the live answers recorded after each change must equal the as-of
answers read at the end, at every epoch, and the two backends must agree on every epoch's
answers and on every history row. The commit-ordering races are PostgreSQL's
(tests/test_pg_history.py) and SQLite's own (tests/test_sqlite_history.py).
"""

from __future__ import annotations

import getpass
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    ConflictingDefinitionError,
    InvalidArgumentError,
    InvalidTimespanError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from conftest import BACKENDS
from helpers import UTC, t

TYPE = "bias"
DETECTORS = range(1, 7)
#: Fixed dataset ids, so that both backends' rows can be compared as they are.
IDS = {d: uuid.UUID(int=0xCA11B000 + d) for d in DETECTORS}
TIMES = [None, t(2019), t(2020, 6), t(2021, 3), t(2022, 6), t(2023, 6), t(2030),
         Timespan(t(2021), t(2024)), Timespan(None, None)]


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def reg(request) -> Registry:
    """An empty registry whose calls commit (history needs commits)."""
    return request.getfixturevalue(BACKENDS[request.param])


def reopen(reg: Registry, **kwargs: Any) -> Registry:
    """Another registry on the same database (``reason=`` / ``user=`` are per registry)."""
    if reg.backend == "sqlite":
        return calibcert.connect(f"sqlite:///{reg.path}", **kwargs)  # type: ignore[attr-defined]
    info = reg.connection.info  # type: ignore[attr-defined]
    return calibcert.connect(f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}",
                             **kwargs)


def db_role(reg: Registry) -> str:
    """Who a change names as its actor: the database role on PostgreSQL, the operating-system
    user on SQLite (it has no roles)."""
    if reg.backend == "sqlite":
        return getpass.getuser()
    return reg.connection.info.user  # type: ignore[attr-defined]


def world(reg: Registry) -> dict[int, Any]:
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = reg.insert_datasets(TYPE, "run1", [det(d) for d in DETECTORS],
                               ids=[IDS[d] for d in DETECTORS])
    for name, type_ in (("X", "CALIBRATION"), ("Z", "CALIBRATION"), ("tagged", "TAGGED"),
                        ("C", "CHAINED")):
        reg.register_collection(name, type_)
    return {r.data_id["detector"]: r for r in refs}


def answers(reg: Registry, collection: str, as_of: int | None) -> tuple[Any, ...]:
    """Everything a reader can ask of ``collection`` (as of an epoch, or now); an ambiguous
    lookup answers with its error's details."""
    certs = [(c.collection, str(c.ref.id), c.ref.data_id["detector"], c.ref.run, c.timespan)
             for c in reg.certifications(collection, as_of=as_of)]
    found: list[Any] = []
    for d in DETECTORS:
        for at in TIMES:
            try:
                f = reg.find(collection, TYPE, det(d), at, as_of=as_of)
                found.append(None if f is None else (str(f.id), f.run))
            except calibcert.errors.CalibrationLookupError as exc:
                found.append(("ambiguous", exc.details))
    queries = [(det(d), at) for d in DETECTORS for at in TIMES if not isinstance(at, Timespan)]
    many = [None if f is None else str(f.id)
            for f in reg.find_many(collection, TYPE, queries, as_of=as_of)]
    return certs, found, many


def scenario(reg: Registry) -> list[tuple[int, dict[str, Any]]]:
    """Every kind of change, one or several per epoch; returns (epoch, live answers) after
    each step."""
    refs = world(reg)
    recorded: list[tuple[int, dict[str, Any]]] = []

    def record() -> None:
        names = {c.name for c in reg.list_collections()}
        state: dict[str, Any] = {n: answers(reg, n, None) for n in ("X", "Z", "C", "tagged")
                                 if n in names}
        state["chain"] = reg.get_chain("C")
        # What listings answered then (as-of list_collections and query_datasets; the doc
        # has no history, and none of these collections has one).
        state["collections"] = reg.list_collections()
        state["held"] = {n: reg.query_datasets(n, TYPE) for n in ("tagged", "run1")}
        state["held_where"] = reg.query_datasets("tagged", TYPE, {"detector": 4})
        recorded.append((reg.current_epoch(), state))

    record()
    reg.set_chain("C", ["X", "tagged", "run1"])
    record()
    with reopen(reg, reason="new biases", user="alice") as alice:
        alice.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
        record()
        alice.certify("Z", [refs[3]], Timespan(t(2020), t(2023)))
        record()
        alice.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])  # a split
        record()
    reg.close_open_range("X", TYPE, t(2024), [det(2)])
    record()
    reg.certify("X", [refs[6]], Timespan(t(2022, 6), None), close_open=True)
    record()
    reg.certify("X", [refs[5]], Timespan(t(2023), None), close_open=True)  # closes det 1
    record()
    reg.tag("tagged", [refs[4]])
    record()
    with reg.transaction():  # one change of several operations
        reg.set_chain("C", ["Z", "X", "run1"])
        reg.untag("tagged", [refs[4]])
        reg.certify("X", [refs[4]], Timespan(t(2019), t(2020)))
    record()
    with reg.transaction():  # changed and undone in one change: no row in the history
        reg.tag("tagged", [refs[2]])
        reg.untag("tagged", [refs[2]])
        reg.set_chain("C", ["X"])
        reg.set_chain("C", ["Z", "X", "run1"])
    record()
    reg.set_chain("C", ["X", "run1"])
    record()
    reg.remove_collection("Z")
    record()
    reg.register_collection("Z", CollectionType.CALIBRATION)  # the name, reused
    record()
    reg.certify("Z", [refs[5]], Timespan(None, None))
    record()
    reg.set_chain("C", ["Z", "X"])
    record()
    reg.set_collection_state("X", "FROZEN")
    record()
    return recorded


def test_as_of_replays_every_epoch(reg: Registry) -> None:
    recorded = scenario(reg)
    epochs = [e for e, _ in recorded]
    assert epochs[0] > 0 and epochs == sorted(epochs) and epochs[-1] == reg.current_epoch()
    for epoch, state in recorded:
        assert reg.get_chain("C", as_of=epoch) == state["chain"], epoch
        assert reg.list_collections(as_of=epoch) == state["collections"], epoch
        assert reg.list_collections("TAGGED", as_of=epoch) == [
            c for c in state["collections"] if c.type is CollectionType.TAGGED], epoch
        assert {n: reg.query_datasets(n, TYPE, as_of=epoch)
                for n in state["held"]} == state["held"], epoch
        assert reg.query_datasets("tagged", TYPE, {"detector": 4},
                                  as_of=epoch) == state["held_where"], epoch
        for name in ("X", "Z", "C", "tagged"):
            if name in state:
                assert answers(reg, name, epoch) == state[name], (epoch, name)
            else:
                with pytest.raises(MissingCollectionError, match="did not exist at epoch"):
                    reg.certifications(name, as_of=epoch)
    # Every epoch was recorded (one per committed change), and answered as recorded.
    assert epochs == list(range(epochs[0], epochs[-1] + 1))


def test_both_backends_answer_and_remember_the_same(
        pg_standalone_registry: Registry, sqlite_registry: Registry) -> None:
    """The same calls give the same epochs, the same as-of answers and the same history
    rows (all but commit times and actors, which differ by nature)."""
    runs = [scenario(r) for r in (pg_standalone_registry, sqlite_registry)]
    assert [e for e, _ in runs[0]] == [e for e, _ in runs[1]]
    for epoch in range(pg_standalone_registry.current_epoch() + 1):
        for name in ("X", "C", "tagged"):
            got = []
            for r in (pg_standalone_registry, sqlite_registry):
                try:
                    got.append(answers(r, name, epoch))
                except MissingCollectionError as exc:
                    got.append(str(exc))
            assert got[0] == got[1], (epoch, name)

    def history(r: Registry, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(h.epoch, h.app_user, h.reason, h.operation, h.collection, h.dataset_type,
                 h.data_id, h.dataset_id, h.validity_before, h.validity_after, h.detail)
                for h in r.history(*args, **kwargs)]

    for args, kwargs in ((("X",), {}), (("Z",), {}), (("C",), {}), (("tagged",), {}),
                         (("run1",), {}), (("X", TYPE), {}), (("X", TYPE, det(1)), {}),
                         (("Z",), {"since": 3, "until": 12})):
        pg, lite = (history(r, *args, **kwargs)
                    for r in (pg_standalone_registry, sqlite_registry))
        assert pg == lite, args
        assert pg or args[0] == "tagged"


def test_history_records_each_kind_of_decertify(reg: Registry) -> None:
    """A decertify that only shortens, one that only removes and one that only splits
    (on PostgreSQL each runs a different set of statements, revision 0018) all record the
    old row closed and every remaining piece as a new row of the decertify."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), t(2024)))
    reg.certify("X", [refs[2]], Timespan(t(2020), t(2021)))
    reg.certify("X", [refs[3]], Timespan(t(2020), None))
    cases = (
        (1, Timespan(t(2023), t(2025)), [(Timespan(t(2020), t(2024)), None),
                                         (None, Timespan(t(2020), t(2023)))]),
        (2, Timespan(t(2019), t(2022)), [(Timespan(t(2020), t(2021)), None)]),
        (3, Timespan(t(2021), t(2022)), [(Timespan(t(2020), None), None),
                                         (None, Timespan(t(2020), t(2021))),
                                         (None, Timespan(t(2022), None))]),
    )
    for d, span, changes in cases:
        assert reg.decertify("X", TYPE, span, [det(d)]) == 1
        epoch = reg.current_epoch()
        got = [(h.operation, h.validity_before, h.validity_after, h.dataset_id)
               for h in reg.history("X", TYPE, det(d), since=epoch)]
        assert got == [("decertify", before, after, refs[d].id)
                       for before, after in changes], d
    assert {(c.ref.data_id["detector"], c.timespan) for c in reg.certifications("X")} == {
        (1, Timespan(t(2020), t(2023))), (3, Timespan(t(2020), t(2021))),
        (3, Timespan(t(2022), None))}
    # Nothing matching: no statement writes, no change.
    epoch = reg.current_epoch()
    assert reg.decertify("X", TYPE, Timespan(t(2000), t(2001))) == 0
    assert reg.current_epoch() == epoch


def test_history_records_operations_actor_and_reason(reg: Registry) -> None:
    refs = world(reg)
    with reopen(reg, reason="new biases", user="alice") as alice:
        alice.certify("X", [refs[1]], Timespan(t(2020), None))
        e_certify = alice.current_epoch()
        alice.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
        e_split = alice.current_epoch()
    reg.close_open_range("X", TYPE, t(2030))
    e_close = reg.current_epoch()
    rows = reg.history("X", TYPE, det(1))
    got = [(r.epoch, r.operation, r.app_user, r.reason, r.validity_before, r.validity_after,
            r.dataset_id, r.data_id, r.dataset_type, r.collection) for r in rows]
    whole, first, rest = (Timespan(t(2020), None), Timespan(t(2020), t(2021)),
                          Timespan(t(2022), None))
    ds, x = refs[1].id, ("X",)
    assert [g[:7] for g in got] == [
        (e_certify, "certify", "alice", "new biases", None, whole, ds),
        (e_split, "decertify", "alice", "new biases", whole, None, ds),
        (e_split, "decertify", "alice", "new biases", None, first, ds),
        (e_split, "decertify", "alice", "new biases", None, rest, ds),
        (e_close, "close_open_range", None, None, rest, Timespan(t(2022), t(2030)), ds),
    ]
    assert [g[7:] for g in got] == [(det(1), TYPE, *x)] * 5
    assert {r.db_role for r in rows} == {db_role(reg)}
    assert all(r.committed_at is not None for r in rows)
    assert [r.committed_at for r in rows] == sorted(r.committed_at for r in rows)
    # since / until bound the epochs.
    assert [r.epoch for r in reg.history("X", TYPE, until=e_certify)] == [e_certify]
    assert {r.epoch for r in reg.history("X", since=e_split)} == {e_split, e_close}
    # Each operation names itself, the collection's own rows included.
    reg.tag("tagged", [refs[2]])
    reg.untag("tagged", [refs[2]])
    reg.copy_collection("X", "X2")
    reg.set_collection_state("X2", "APPEND_ONLY")
    reg.insert_datasets(TYPE, "run1", [det(9)])
    ops = {r.operation for name in ("tagged", "X2", "run1") for r in reg.history(name)}
    assert ops == {"register_collection", "tag", "untag", "copy_collection",
                   "set_collection_state", "insert_datasets"}
    (tagged, untagged) = [r.detail for r in reg.history("tagged") if r.dataset_id]
    assert (tagged, untagged) == ({"what": "tag", "tagged": True},
                                  {"what": "tag", "tagged": False})


def test_history_of_the_collection_itself(reg: Registry) -> None:
    world(reg)
    reg.set_chain("C", ["X"])
    reg.set_chain("C", ["run1", "X"])
    reg.set_collection_state("X", "APPEND_ONLY")
    reg.set_collection_state("X", "OPEN")
    reg.set_chain("C", [])
    reg.remove_collection("X")
    x = [(r.operation, r.detail) for r in reg.history("X")]
    state = {"name": "X", "type": "CALIBRATION", "writers": None}
    assert x == [
        ("register_collection", {"what": "collection", "before": None,
                                 "after": {**state, "state": "OPEN"}}),
        ("set_collection_state", {"what": "collection", "before": {**state, "state": "OPEN"},
                                  "after": {**state, "state": "APPEND_ONLY"}}),
        ("set_collection_state", {"what": "collection",
                                  "before": {**state, "state": "APPEND_ONLY"},
                                  "after": {**state, "state": "OPEN"}}),
        ("remove_collection", {"what": "collection", "before": {**state, "state": "OPEN"},
                               "after": None}),
    ]
    chain = [(r.operation, r.detail) for r in reg.history("C") if r.detail["what"] == "chain"]
    assert chain == [
        ("set_chain", {"what": "chain", "position": 1, "child_before": None, "child_after": "X"}),
        ("set_chain", {"what": "chain", "position": 1, "child_before": "X",
                       "child_after": "run1"}),
        ("set_chain", {"what": "chain", "position": 2, "child_before": None, "child_after": "X"}),
        ("set_chain", {"what": "chain", "position": 1, "child_before": "run1",
                       "child_after": None}),
        ("set_chain", {"what": "chain", "position": 2, "child_before": "X", "child_after": None}),
    ]
    with pytest.raises(MissingCollectionError, match="never did"):
        reg.history("nowhere")


def test_epochs_count_committed_changes_only(reg: Registry) -> None:
    assert reg.current_epoch() == 0
    refs = world(reg)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "run1"])
    before = reg.current_epoch()
    # A call that changes nothing takes no epoch; nor does a failed call.
    reg.set_chain("C", ["X", "run1", "X"])  # the same chain (a repeat keeps its first place)
    assert reg.decertify("X", TYPE, Timespan(None, None)) == 0
    assert reg.close_open_range("X", TYPE, t(2030)) == 0
    assert reg.register_collection("X", CollectionType.CALIBRATION) is False
    assert reg.certify("X", [], Timespan(t(2020), None)) == 0
    assert reg.certify_series("X", []) == 0
    assert reg.insert_datasets(TYPE, "run1", []) == []
    assert reg.untag("tagged", []) == 0
    with pytest.raises(ConflictingDefinitionError):
        reg.register_dataset_type(TYPE, ("instrument",))
    with pytest.raises(calibcert.errors.ConflictingCertificationError):
        reg.certify("X", [refs[1], refs[1]], Timespan(t(2020), None))
    with pytest.raises(RuntimeError), reg.transaction():
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        raise RuntimeError("rolled back")
    assert reg.current_epoch() == before
    assert reg.certifications("X", as_of=before) == []
    # Several operations in one transaction: one epoch.
    with reg.transaction():
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        reg.tag("tagged", [refs[2]])
    assert reg.current_epoch() == before + 1
    assert {r.epoch for n in ("X", "tagged") for r in reg.history(n)
            if r.dataset_id is not None} == {before + 1}


def test_epoch_at(reg: Registry) -> None:
    assert reg.epoch_at(datetime.now(UTC)) == 0
    before = datetime.now(UTC)
    world(reg)
    first = reg.current_epoch()
    after = datetime.now(UTC)
    assert first > 0
    assert reg.epoch_at(before - timedelta(days=1)) == 0
    assert reg.epoch_at(after) == first
    stamps = {r.epoch: r.committed_at for r in reg.history("X")}
    for epoch, at in stamps.items():
        assert reg.epoch_at(at) >= epoch
        assert reg.epoch_at(at - timedelta(microseconds=1)) < epoch
    with pytest.raises(InvalidTimespanError, match="naive"):
        reg.epoch_at(datetime(2020, 1, 1))


def test_as_of_and_history_arguments_are_checked(reg: Registry) -> None:
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    current = reg.current_epoch()
    for bad in (current + 1, -1):
        for call in (lambda e: reg.find("X", TYPE, det(1), t(2020), as_of=e),
                     lambda e: reg.find_many("X", TYPE, [(det(1), t(2020))], as_of=e),
                     lambda e: reg.certifications("X", as_of=e),
                     lambda e: reg.get_chain("C", as_of=e)):
            with pytest.raises(InvalidArgumentError, match="out of range") as info:
                call(bad)
            assert info.value.details["kind"] == "as_of_range"
            assert (info.value.details["as_of"], info.value.details["current"]) == (bad,
                                                                                    current)
    with pytest.raises(InvalidArgumentError, match="epoch"):
        reg.get_chain("C", as_of=True)  # type: ignore[arg-type]
    # Before the first change nothing existed; a collection is looked up as it was then.
    with pytest.raises(MissingCollectionError, match="did not exist at epoch 0") as info:
        reg.find("X", TYPE, det(1), t(2020), as_of=0)
    assert info.value.details["kind"] == "collection_missing_as_of"
    with pytest.raises(calibcert.errors.CollectionTypeError):
        reg.get_chain("X", as_of=current)
    with pytest.raises(MissingDatasetTypeError):
        reg.certifications("X", "nothing", as_of=current)
    with pytest.raises(calibcert.errors.DataIdError):
        reg.find("X", TYPE, {"instrument": "Cam"}, t(2020), as_of=current)
    with pytest.raises(MissingCollectionError, match="never did"):
        reg.history("nowhere")
    with pytest.raises(InvalidArgumentError, match="needs its dataset type") as info:
        reg.history("X", data_id=det(1))
    assert info.value.details["kind"] == "history_data_id_type"
    assert reg.history("X", TYPE, det(5)) == []  # stored, never certified in X
    # An ambiguous lookup as of an epoch names what was ambiguous then.
    reg.certify("Z", [refs[1]], Timespan(t(2020), t(2021)))
    reg.certify("Z", [refs[1]], Timespan(t(2021), t(2022)))
    e = reg.current_epoch()
    reg.decertify("Z", TYPE, Timespan(None, None))
    assert reg.find("Z", TYPE, det(1), Timespan(t(2020), t(2022))) is None
    with pytest.raises(calibcert.errors.CalibrationLookupError) as info:
        reg.find("Z", TYPE, det(1), Timespan(t(2020), t(2022)), as_of=e)
    assert (info.value.details["collection"], info.value.details["datasets"]) == (
        "Z", [refs[1].id] * 2)
