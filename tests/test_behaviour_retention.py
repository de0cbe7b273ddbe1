"""Behaviour suite: retention (prune_history) and idempotent request ids (README "Retention
and request ids"; issue 16, items 8 and 11), the same on PostgreSQL and SQLite.

Both need commits, so these tests run on the standalone PostgreSQL registry (every call its
own transaction, ``transaction()`` a real one) and on SQLite. Retention is proven the way it
could fail: every as-of answer (certifications, find_many, find, get_chain, list_collections,
query_datasets, history) of every epoch is recorded before the prune and compared after it;
the epochs below the horizon must raise ``as_of_pruned`` instead of answering. Request ids:
a lost commit acknowledgement (commit, then the same block again), a retried block of many
calls, calls returning nothing or datasets, a retry that is not the same request. What only
one backend has stays in tests/test_pg_retention.py (sessions, locks, roles) and
tests/test_sqlite_retention.py (processes racing, raw sqlite3 writers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    ConflictingCertificationError,
    InvalidArgumentError,
    MissingCollectionError,
)
from conftest import BACKENDS
from test_pg_history import DETECTORS as DETS
from test_pg_history import TYPE, answers, det, t, world


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def reg(request) -> Registry:
    """An empty registry whose calls commit (history and request ids need commits)."""
    return request.getfixturevalue(BACKENDS[request.param])


def kind_of(exc: pytest.ExceptionInfo[Any]) -> str:
    return exc.value.details["kind"]


def url_of(reg: Registry) -> str:
    if reg.backend == "sqlite":
        return f"sqlite:///{reg.path}"  # type: ignore[attr-defined]
    info = reg.connection.info  # type: ignore[attr-defined]
    return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"


def scalar(reg: Registry, sql: str, *params: Any) -> Any:
    """A raw read of the registry's own database (``calib.`` tables: schema calib on
    PostgreSQL, the file on SQLite; ``{epoch}``: the change's epoch column, which is its
    change_id on SQLite)."""
    if reg.backend == "sqlite":
        sql = sql.replace("calib.", "").format(epoch="change_id")
        return reg.connection.execute(sql, params).fetchone()[0]  # type: ignore[attr-defined]
    sql = sql.replace("?", "%s").format(epoch="epoch")
    return reg.connection.execute(sql, params).fetchone()[0]  # type: ignore[attr-defined]


VERSION_TABLES = ("certification_version", "collection_version", "chain_version",
                  "tag_version", "dataset_version")


def version_count(reg: Registry) -> int:
    return sum(scalar(reg, f"SELECT count(*) FROM calib.{v}") for v in VERSION_TABLES)


# -- retention --------------------------------------------------------------------------


def scenario(reg: Registry) -> None:
    """Changes of every kind: splits, close_open, tags, chains, a removed collection whose
    name is reused, a state change."""
    refs = world(reg, ("X", "Z"))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "tagged", "run1"])
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.certify("Z", [refs[3]], Timespan(t(2020), t(2023)))
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    reg.close_open_range("X", TYPE, t(2024), [det(2)])
    reg.tag("tagged", [refs[4]])
    with reg.transaction():
        reg.set_chain("C", ["Z", "X", "run1"])
        reg.untag("tagged", [refs[4]])
        reg.certify("X", [refs[4]], Timespan(t(2019), t(2020)))
    reg.set_chain("C", ["X", "run1"])
    reg.remove_collection("Z")
    reg.register_collection("Z", CollectionType.CALIBRATION)
    reg.certify("Z", [refs[5]], Timespan(None, None))
    reg.set_chain("C", ["Z", "X"])
    reg.decertify("X", TYPE, Timespan(None, None), [det(4)])
    reg.set_collection_state("X", "FROZEN")


def everything(reg: Registry, epoch: int) -> dict[str, Any]:
    """Every as-of answer at ``epoch`` (lookups, listings, digests), and the history since
    it (a collection missing then: the error's kind)."""

    def ask(fn: Any) -> Any:
        try:
            return fn()
        except MissingCollectionError as exc:
            return exc.details["kind"]

    out: dict[str, Any] = {"chain": ask(lambda: reg.get_chain("C", as_of=epoch)),
                           "collections": reg.list_collections(as_of=epoch),
                           "run1": ask(lambda: reg.query_datasets("run1", TYPE, as_of=epoch))}
    for name in ("X", "Z", "C"):
        out[name] = ask(lambda name=name: answers(reg, name, epoch))
        out[f"digest {name}"] = ask(lambda name=name: reg.collection_digest(name, as_of=epoch))
        out[f"history {name}"] = reg.history(name, since=epoch)
    return out


def test_prune_keeps_every_later_epoch_and_refuses_the_earlier_ones(reg: Registry) -> None:
    scenario(reg)
    current = reg.current_epoch()
    before = current - 3  # after the splits, removals and chain changes
    recorded = {e: everything(reg, e) for e in range(0, current + 1)}
    full_history = {n: reg.history(n) for n in ("X", "Z", "C")}
    versions = version_count(reg)
    changes = scalar(reg, "SELECT count(*) FROM calib.change")
    dropped = reg.prune_history(before)
    assert dropped > 0
    assert version_count(reg) == versions - dropped
    # Changes nothing refers to are gone; the ones current versions need stay.
    assert scalar(reg, "SELECT count(*) FROM calib.change") < changes
    assert scalar(reg, "SELECT count(*) FROM calib.change WHERE {epoch} >= ?",
                  before) == current - before + 1
    assert scalar(reg, "SELECT earliest_epoch FROM calib.history_horizon") == before
    for epoch in range(before, current + 1):
        assert everything(reg, epoch) == recorded[epoch], epoch
    for epoch in range(0, before):
        with pytest.raises(InvalidArgumentError) as exc:
            reg.certifications("X", as_of=epoch)
        assert kind_of(exc) == "as_of_pruned"
        assert f"epoch {epoch} was pruned: history is kept from epoch {before} on" \
            in str(exc.value)
        # (collection_digest as of a pruned epoch: tests/test_pg_retention.py until the
        # lead folds sq-explain.)
        for call in (lambda e=epoch: reg.find("X", TYPE, det(1), t(2021, 3), as_of=e),
                     lambda e=epoch: reg.find_many("X", TYPE, [(det(1), None)], as_of=e),
                     lambda e=epoch: reg.get_chain("C", as_of=e),
                     lambda e=epoch: reg.list_collections(as_of=e),
                     lambda e=epoch: reg.query_datasets("run1", TYPE, as_of=e),
                     lambda e=epoch: reg.history("X", since=e)):
            with pytest.raises(InvalidArgumentError) as exc:
                call()
            assert kind_of(exc) == "as_of_pruned"
            assert exc.value.details["earliest"] == before
    # history without since: what is kept, i.e. exactly the changes from the horizon on.
    for name, rows in full_history.items():
        assert reg.history(name) == [r for r in rows if r.epoch >= before], name
    # The horizon never moves back; a later prune drops the rest.
    assert reg.prune_history(before) == 0
    assert reg.prune_history(1) == 0
    assert scalar(reg, "SELECT earliest_epoch FROM calib.history_horizon") == before
    reg.prune_history(current)
    assert everything(reg, current) == recorded[current]


def test_prune_arguments(reg: Registry) -> None:
    world(reg)
    current = reg.current_epoch()
    for bad, kind in ((current + 1, "prune_range"), (-1, "prune_range"),
                      (None, "argument_null")):
        with pytest.raises(InvalidArgumentError) as exc:
            reg._prune_history(bad)  # type: ignore[attr-defined]
        assert kind_of(exc) == kind
    with pytest.raises(InvalidArgumentError):
        reg.prune_history("3")  # type: ignore[arg-type]
    assert reg.prune_history(0) == 0
    assert reg.prune_history(current) == 0  # nothing closed yet: nothing to drop
    assert reg.current_epoch() == current  # a prune is no change


def test_a_prune_in_a_rolled_back_transaction_changes_nothing(reg: Registry) -> None:
    """The CLI's --dry-run: prune inside a transaction, then roll it back."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    old = reg.current_epoch()
    reg.decertify("X", TYPE, Timespan(None, None))
    reg.register_collection("Y", CollectionType.CALIBRATION)
    current = reg.current_epoch()
    expected = answers(reg, "X", old)
    with pytest.raises(RuntimeError), reg.transaction():
        assert reg.prune_history(current) == 1
        raise RuntimeError("undo")
    assert answers(reg, "X", old) == expected
    assert scalar(reg, "SELECT earliest_epoch FROM calib.history_horizon") == 0


def test_prune_keeps_what_snapshots_read(reg: Registry) -> None:
    """A snapshot reads its source as of its epoch: a prune past that epoch is refused
    (prune_snapshot) while the snapshot exists or can still be read as of an epoch at or
    after the prune's, and allowed once its removal is older than that."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    e_certify = reg.current_epoch()
    reg.snapshot_collection("X", "S")
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))
    e_split = reg.current_epoch()
    before = answers(reg, "S", None)
    with pytest.raises(InvalidArgumentError) as exc:
        reg.prune_history(e_split)
    assert exc.value.kind == "prune_snapshot"
    assert exc.value.details["snapshot_epoch"] == e_certify
    assert str(exc.value) == (
        f"prune_history before epoch {e_split} would drop what a snapshot reads (epoch"
        f" {e_certify}): remove the snapshot first, or prune before epoch {e_certify} at most")
    assert answers(reg, "S", None) == before
    assert reg.prune_history(e_certify) >= 0  # at the snapshot's epoch: allowed
    reg.remove_collection("S")
    # Removed at this epoch, S can still be read as of the epochs before: the prune must
    # stay at or below S's epoch until that removal is itself older than the horizon.
    e_removed = reg.current_epoch()
    with pytest.raises(InvalidArgumentError):
        reg.prune_history(e_removed)
    reg.register_collection("Y", CollectionType.CALIBRATION)
    assert reg.prune_history(reg.current_epoch()) > 0


# sq-revert (folded by the lead): the revert half of tests/test_pg_retention.py's
# test_prune_keeps_what_snapshots_read_and_revert_stays_above_the_horizon (revert below the
# horizon is as_of_pruned) moves here once SQLite has revert; SQLite's revert refuses a
# pruned epoch if it resolves it through epochs.py's _as_of, as calib.revert does through
# calib._as_of.


# -- request ids ------------------------------------------------------------------------


def test_a_revert_below_the_horizon_is_refused(reg: Registry) -> None:
    """A change below the horizon lost the versions a revert restores: its revert is
    refused (as_of_pruned); one above it still works."""
    refs = world(reg)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)))
    e_split = reg.current_epoch()
    reg.register_collection("Y", CollectionType.CALIBRATION)
    assert reg.prune_history(reg.current_epoch()) > 0
    with pytest.raises(InvalidArgumentError) as exc:
        reg.revert(e_split)
    assert kind_of(exc) == "as_of_pruned"
    reg.certify("Y", [refs[2]], Timespan(t(2020), None))
    assert [r.action for r in reg.revert(reg.current_epoch())]
    assert reg.certifications("Y") == []


def certs(reg: Registry, name: str = "X") -> list[Any]:
    return [(c.ref.id, c.timespan) for c in reg.certifications(name)]


def test_a_lost_acknowledgement_retried_returns_the_same_result(reg: Registry) -> None:
    refs = world(reg)
    span = Timespan(t(2020), None)
    with reg.transaction(request_id="job-1"):
        assert reg.certify("X", [refs[1], refs[2]], span) == 2
    state, epoch = certs(reg), reg.current_epoch()
    # The client did not see the commit: it sends the same call again.
    for _ in range(2):
        with reg.transaction(request_id="job-1"):
            assert reg.certify("X", [refs[1], refs[2]], span) == 2
    assert certs(reg) == state and reg.current_epoch() == epoch
    # Without the id the same call is a conflict, as before; with another id too.
    with pytest.raises(ConflictingCertificationError):
        reg.certify("X", [refs[1]], span)
    with pytest.raises(ConflictingCertificationError), reg.transaction(request_id="job-2"):
        reg.certify("X", [refs[1]], span)
    assert certs(reg) == state
    rows = reg.history("X")
    assert [r.request_id for r in rows if r.operation == "certify"] == ["job-1", "job-1"]
    assert {r.request_id for r in rows if r.operation != "certify"} == {None}
    # The id and the result are the change's: one change carries it.
    assert scalar(reg, "SELECT count(*) FROM calib.change WHERE request_id = ?", "job-1") == 1


def test_a_retried_transaction_replays_its_calls_in_order(reg: Registry) -> None:
    refs = world(reg)

    def work() -> tuple[Any, ...]:
        with reg.transaction(request_id="batch-7"):
            created = reg.register_collection("Y", CollectionType.CALIBRATION)
            n = reg.certify("Y", [refs[1], refs[2], refs[3]], Timespan(t(2020), None))
            gone = reg.decertify("Y", TYPE, Timespan(None, None), [det(2)])
            state = reg.set_collection_state("Y", "FROZEN")
            reg.copy_collection("Y", "Ycopy")
            again = reg.register_collection("Y", CollectionType.CALIBRATION)
        return created, n, gone, state, again

    first = work()
    assert first == (True, 3, 1, "OPEN", False)
    state, epoch = certs(reg, "Y"), reg.current_epoch()
    assert work() == first
    assert certs(reg, "Y") == state and reg.current_epoch() == epoch
    # A retry that is not the same request is refused, and changes nothing.
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="batch-7"):
        reg.register_collection("Y", CollectionType.CALIBRATION)
        reg.decertify("Y", TYPE, Timespan(None, None), [det(1)])
    assert kind_of(exc) == "request_id_mismatch"
    assert "whose call 2 was certify, not decertify" in str(exc.value)
    assert certs(reg, "Y") == state
    # More calls than the change made: refused too.
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="batch-7"):
        for _ in range(6):
            reg.register_collection("Y", CollectionType.CALIBRATION)
    assert kind_of(exc) == "request_id_mismatch" and exc.value.details["call"] == 2
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="batch-7"):
        work_calls = (lambda: reg.register_collection("Y", CollectionType.CALIBRATION),
                      lambda: reg.certify("Y", [refs[1]], Timespan(t(2020), None)),
                      lambda: reg.decertify("Y", TYPE, Timespan(None, None), [det(2)]),
                      lambda: reg.set_collection_state("Y", "FROZEN"),
                      lambda: reg.copy_collection("Y", "Ycopy"),
                      lambda: reg.register_collection("Y", CollectionType.CALIBRATION),
                      lambda: reg.register_collection("Y", CollectionType.CALIBRATION))
        assert [call() for call in work_calls[:6]] == list(first[:4]) + [None, False]
        work_calls[6]()
    assert kind_of(exc) == "request_id_mismatch" and exc.value.details["call"] == 7
    assert exc.value.details["recorded"] is None
    assert certs(reg, "Y") == state and reg.current_epoch() == epoch


def test_void_and_tag_calls_replay(reg: Registry) -> None:
    refs = world(reg)
    more = [{"instrument": "Cam", "detector": d} for d in (7, 8)]
    inserted = []
    for _ in range(2):  # a retried insert returns the same datasets, not "already exists"
        with reg.transaction(request_id="insert"):
            inserted.append(reg.insert_datasets(TYPE, "run1", more))
    assert inserted[0] == inserted[1] and len(inserted[0]) == 2
    assert len(reg.query_datasets("run1", TYPE)) == len(refs) + 2
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    epoch = None
    for _ in range(2):
        with reg.transaction(request_id="tags"):
            assert reg.tag("tagged", [refs[1], refs[2]]) == 2
            assert reg.untag("tagged", [refs[2]]) == 1
            reg.set_chain("C", ["tagged"])
            assert reg.certify_series("X", [(refs[3], t(2020)), (refs[4], t(2021))]) == 2
            assert reg.close_open_range("X", TYPE, t(2025), [det(4)]) == 1
            assert reg.register_dataset_type("dark", ("instrument", "detector")) is True
        assert epoch in (None, reg.current_epoch())
        epoch = reg.current_epoch()
    for _ in range(2):
        with reg.transaction(request_id="remove"):
            reg.remove_collection("C")
    assert "C" not in {c.name for c in reg.list_collections()}


def test_a_failed_call_of_a_request_records_nothing(reg: Registry) -> None:
    """A call that fails inside a request's transaction is undone with what it recorded: the
    committed request replays only the calls that succeeded."""
    refs = world(reg)
    with reg.transaction(request_id="partial"):
        assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
        with pytest.raises(ConflictingCertificationError):
            reg.certify("X", [refs[1]], Timespan(t(2021), None))
        assert reg.decertify("X", TYPE, Timespan(t(2030), None)) == 1
    with reg.transaction(request_id="partial"):
        assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
        assert reg.decertify("X", TYPE, Timespan(t(2030), None)) == 1
    assert certs(reg) == [(refs[1].id, Timespan(t(2020), t(2030)))]
    # A replayed call undone with its nested transaction is replayed again: the position
    # goes back with the savepoint.
    with reg.transaction(request_id="partial"):
        with pytest.raises(RuntimeError), reg.transaction():
            assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
            raise RuntimeError("undo")
        assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
        assert reg.decertify("X", TYPE, Timespan(t(2030), None)) == 1
    assert certs(reg) == [(refs[1].id, Timespan(t(2020), t(2030)))]


def test_request_id_rules(reg: Registry) -> None:
    refs = world(reg)
    with pytest.raises(InvalidArgumentError) as exc, reg.transaction(request_id="x" * 201):
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
    assert kind_of(exc) == "request_id_invalid" and exc.value.details["length"] == 201
    with reg.transaction(request_id="x" * 200):
        assert reg.certify("X", [refs[1]], Timespan(t(2020), None)) == 1
    for bad in ("", 3, None.__class__):
        with pytest.raises(InvalidArgumentError):
            reg.transaction(request_id=bad)  # type: ignore[arg-type]
    # Nested inside another transaction: refused by the client.
    with pytest.raises(InvalidArgumentError) as raised, reg.transaction():
        with reg.transaction(request_id="inner"):
            pass
    assert "outermost" in str(raised.value)
    # The id is the transaction's only: the next transaction without one is not a replay.
    with reg.transaction(request_id="once"):
        reg.certify("X", [refs[2]], Timespan(t(2020), None))
    with pytest.raises(ConflictingCertificationError):
        reg.certify("X", [refs[2]], Timespan(t(2020), None))
    # The retry loop carries the id on every attempt.
    for attempt in reg.transaction(retries=1, request_id="once"):
        with attempt:
            assert reg.certify("X", [refs[2]], Timespan(t(2020), None)) == 1
    assert scalar(reg, "SELECT count(*) FROM calib.change WHERE request_id = ?", "once") == 1


def test_a_pruned_request_is_no_longer_recognised(reg: Registry) -> None:
    """A request id goes with its change row: once pruned, a retry runs again."""
    refs = world(reg)
    with reg.transaction(request_id="old"):
        reg.register_collection("Y", CollectionType.CALIBRATION)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.prune_history(reg.current_epoch())
    assert scalar(reg, "SELECT count(*) FROM calib.change WHERE request_id = ?", "old") == 1
    # Its change still created the current collection Y: kept, and still replayed.
    with reg.transaction(request_id="old"):
        assert reg.register_collection("Y", CollectionType.CALIBRATION) is True
    reg.remove_collection("Y")
    reg.register_collection("W", CollectionType.CALIBRATION)
    reg.prune_history(reg.current_epoch())
    assert scalar(reg, "SELECT count(*) FROM calib.change WHERE request_id = ?", "old") == 0
    with reg.transaction(request_id="old"):
        assert reg.register_collection("Y", CollectionType.CALIBRATION) is True
    assert "Y" in {c.name for c in reg.list_collections()}


# -- command line -----------------------------------------------------------------------


def test_cli_prune_history_and_request_id(reg: Registry, tmp_path: Path) -> None:
    from test_cli import cli, ok

    url = url_of(reg)
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    world(reg)
    # --request-id: the whole command is one request; a rerun prints the same and changes
    # nothing (without the id, the rerun is a conflict).
    args = ("certify", "run1", "X", TYPE, "--begin", "2020-01-01T00:00:00+00:00",
            "--request-id", "cli-1", "--json")
    first = json.loads(ok(home, url, *args).out)
    epoch = reg.current_epoch()
    assert json.loads(ok(home, url, *args).out) == first
    assert reg.current_epoch() == epoch and len(reg.certifications("X")) == len(DETS)
    assert cli(home, url, *args[:-3]).code == 1
    assert {r.request_id for r in reg.history("X", since=epoch)} == {"cli-1"}
    assert "REQUEST" in ok(home, url, "history", "X").out.splitlines()[0]
    assert "cli-1" in ok(home, url, "history", "X").out
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.decertify("X", TYPE, Timespan(None, None), [det(2)])
    current = reg.current_epoch()
    # --dry-run reports and keeps everything; then the real prune.
    dry = json.loads(ok(home, url, "db", "prune-history", "--before", str(current),
                        "--dry-run", "--json").out)
    assert dry["versions_dropped"] > 0 and dry["before"] == current
    assert len(reg.certifications("X", as_of=epoch)) == len(DETS)
    done = json.loads(ok(home, url, "db", "prune-history", "--before", str(current),
                         "--json").out)
    assert done == {**dry, "dry_run": False}
    for command in (("list", "X"), ("export", "X"), ("plot", "X", "-o", str(tmp_path / "p.png")),
                    ("find", "X", TYPE, "-d", "instrument=Cam,detector=3",
                     "--at", "2021-01-01T00:00:00+00:00")):
        r = cli(home, url, *command, "--as-of", str(epoch))
        assert r.code == 2 and f"history is kept from epoch {current} on" in r.err, r
    r = cli(home, url, "history", "X", "--since", str(epoch))
    assert r.code == 2 and f"history is kept from epoch {current} on" in r.err, r
