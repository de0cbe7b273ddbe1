"""Behaviour suite: snapshots (README "Snapshots", issue 16 item 6), the same on PostgreSQL and
SQLite.

Every read form of a snapshot must equal the as-of read of its source at the snapshot's
epoch, whatever the source does afterwards; a chain that lists a snapshot searches it as
the source was; every write is refused with the same error; creating one copies nothing.
History needs commits, so these run on the standalone PostgreSQL registry and on SQLite
(tests/test_behaviour_history.py's ``reg``). PostgreSQL's own (SQL level, roles, raw
sessions, the as-of branch's cost) are in tests/test_pg_snapshots.py, SQLite's (raw sqlite3
writers, racing processes, the downgrade) in tests/test_sqlite_snapshots.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

import calibcert
from calibcert import CollectionState, CollectionType, Registry, Timespan
from calibcert.errors import (
    CalibrationLookupError,
    CollectionStateError,
    ConflictingDefinitionError,
    InvalidArgumentError,
    MissingCollectionError,
    RevertConflictError,
)
from conftest import BACKENDS
from test_behaviour_history import reopen
from test_cli import cli, ok
from test_pg_history import DETECTORS, TYPE, answers, det, t, world


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def reg(request) -> Registry:
    """An empty registry whose calls commit (history needs commits)."""
    return request.getfixturevalue(BACKENDS[request.param])


def everything(reg: Registry, collection: str, as_of: int | None) -> tuple[Any, ...]:
    """answers() (certifications, find_many over every detector and time, find) and the
    digest (now only: as-of digests are not a public form)."""
    digest = reg.collection_digest(collection) if as_of is None else None
    return answers(reg, collection, as_of), digest


def info(reg: Registry, name: str) -> calibcert.CollectionInfo:
    return next(c for c in reg.list_collections() if c.name == name)


def url_of(reg: Registry) -> str:
    """The URL of the registry's database (for the CLI and other connections)."""
    if reg.backend == "sqlite":
        return f"sqlite:///{reg.path}"  # type: ignore[attr-defined]
    i = reg.connection.info  # type: ignore[attr-defined]
    return f"postgresql://{i.user}@{i.host}:{i.port}/{i.dbname}"


def test_every_read_of_a_snapshot_is_the_as_of_read_of_its_source(reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.certify("X", [refs[3]], Timespan(t(2019), t(2021)))
    e1 = reg.current_epoch()
    before = everything(reg, "X", None)
    assert reg.snapshot_collection("X", "S") == e1
    assert everything(reg, "S", None) == before
    # The source changes in every way; the snapshot does not.
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    reg.close_open_range("X", TYPE, t(2024), [det(2)])
    reg.certify("X", [refs[4]], Timespan(None, None))
    assert everything(reg, "X", None) != before
    assert everything(reg, "S", None) == before
    assert answers(reg, "S", None) == answers(reg, "X", e1)
    # Read as of a later epoch, a snapshot still reads as its source did at e1; before it
    # existed, it did not.
    assert answers(reg, "S", reg.current_epoch()) == answers(reg, "X", e1)
    with pytest.raises(MissingCollectionError):
        reg.certifications("S", as_of=e1)
    # A timespan overlapping two of the source's certifications then is ambiguous.
    reg.certify("X", [refs[5]], Timespan(t(2019), t(2020)))
    reg.certify("X", [refs[5]], Timespan(t(2020, 3), t(2021)))
    e2 = reg.current_epoch()
    reg.snapshot_collection("X", "S2")
    reg.decertify("X", TYPE, Timespan(None, None), [det(5)])
    span = Timespan(t(2019, 6), t(2020, 6))
    with pytest.raises(CalibrationLookupError) as then:
        reg.find("X", TYPE, det(5), span, as_of=e2)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("C", ["S2"])
    # The error names the member of the source that had the two certifications, and both
    # datasets, whether the snapshot is read now, as of an epoch, or through a chain.
    for name, as_of in (("S2", None), ("S2", reg.current_epoch()), ("C", None)):
        with pytest.raises(CalibrationLookupError) as exc:
            reg.find(name, TYPE, det(5), span, as_of=as_of)
        assert str(exc.value) == str(then.value).replace("in 'X'", f"in {name!r}")
        assert exc.value.details["datasets"] == [refs[5].id] * 2
        assert exc.value.details["collection"] == "X"
    # list_collections: the source's type, FROZEN, and what it is a snapshot of.
    s = info(reg, "S")
    assert (s.type, s.state, s.snapshot_of, s.snapshot_epoch) == (
        CollectionType.CALIBRATION, CollectionState.FROZEN, "X", e1)
    x = info(reg, "X")
    assert (x.snapshot_of, x.snapshot_epoch) == (None, None)
    assert reg.check_integrity() == []


def test_an_explicit_epoch_and_the_default_one(reg: Registry) -> None:
    refs = world(reg, ("X",))
    e0 = reg.current_epoch()
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    assert reg.snapshot_collection("X", "old", as_of=e0) == e0
    assert reg.certifications("old") == []
    assert answers(reg, "old", None) == answers(reg, "X", e0)
    # The default epoch is the latest committed one: a transaction's own uncommitted
    # change is not in its snapshot.
    with reg.transaction():
        reg.certify("X", [refs[2]], Timespan(t(2020), None))
        e = reg.snapshot_collection("X", "mine")
    assert e == reg.current_epoch() - 1
    assert [c.ref.id for c in reg.certifications("mine")] == [refs[1].id]
    for bad in (-1, reg.current_epoch() + 1):
        with pytest.raises(InvalidArgumentError, match="out of range"):
            reg.snapshot_collection("X", "bad", as_of=bad)
    with pytest.raises(ConflictingDefinitionError):
        reg.snapshot_collection("X", "old")
    with pytest.raises(MissingCollectionError):
        reg.snapshot_collection("nope", "bad")
    with pytest.raises(MissingCollectionError):  # X did not exist at epoch 0
        reg.snapshot_collection("X", "bad", as_of=0)
    assert "bad" not in {c.name for c in reg.list_collections()}


def test_snapshots_of_chains_and_chains_of_snapshots(reg: Registry) -> None:
    refs = world(reg, ("X", "Y"))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    reg.certify("Y", [refs[1], refs[2]], Timespan(None, None))
    reg.tag("tagged", [refs[3]])
    reg.set_chain("C", ["X", "tagged", "Y", "run1"])
    e1 = reg.current_epoch()
    chain_then = reg.get_chain("C")
    before = everything(reg, "C", None)
    reg.snapshot_collection("C", "SC")
    reg.snapshot_collection("X", "SX")
    # A chain that lists snapshots (and the live collections next to them).
    reg.register_collection("P", CollectionType.CHAINED)
    reg.set_chain("P", ["SX", "Y", "SC"])
    p_before = everything(reg, "P", None)
    # Everything changes below.
    reg.set_chain("C", ["Y"])
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.untag("tagged", [refs[3]])
    reg.certify("X", [refs[4]], Timespan(None, None))
    assert everything(reg, "C", None) != before
    assert reg.get_chain("SC") == chain_then == reg.get_chain("C", as_of=e1)
    assert everything(reg, "SC", None) == before
    assert answers(reg, "SC", None) == answers(reg, "C", e1)
    sc = info(reg, "SC")
    assert (sc.type, sc.state, sc.snapshot_of, sc.snapshot_epoch) == (
        CollectionType.CHAINED, CollectionState.FROZEN, "C", e1)
    # P: SX answers detector 1 as X did at e1 (Y would answer otherwise), SC after Y.
    assert everything(reg, "P", None) == p_before
    found = reg.find("P", TYPE, det(1), t(2021))
    assert found is not None and found.id == refs[1].id
    assert [c.collection for c in reg.certifications("P")] == ["X", "Y", "Y", "X", "Y", "Y"]
    tagged = reg.find("P", TYPE, det(3), t(2021))  # only the snapshot of C had the tag
    assert tagged is not None and tagged.id == refs[3].id
    # As of an epoch after P was set: the same answers, through the stored and the walked path.
    assert answers(reg, "P", reg.current_epoch()) == answers(reg, "P", None)
    # A snapshot of a chain that lists a snapshot, and a snapshot of a snapshot.
    reg.snapshot_collection("P", "SP")
    reg.snapshot_collection("SX", "SSX")
    sx_epoch = info(reg, "SX").snapshot_epoch
    assert (info(reg, "SSX").snapshot_of, info(reg, "SSX").snapshot_epoch) == ("X", sx_epoch)
    assert answers(reg, "SSX", None) == answers(reg, "X", sx_epoch)
    reg.set_chain("P", [])
    assert answers(reg, "SP", None) == p_before[0]
    assert reg.check_integrity() == []


def test_a_snapshot_survives_its_source(reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    e1 = reg.current_epoch()
    then = answers(reg, "X", None)
    digest = reg.collection_digest("X")
    reg.snapshot_collection("X", "S")
    reg.decertify("X", TYPE, Timespan(None, None), [det(1), det(2)])
    reg.remove_collection("X")
    assert answers(reg, "S", None) == then
    assert reg.collection_digest("S") == digest
    assert info(reg, "S").snapshot_of == "X"
    # Removed (and its name reused), the source can still be snapshotted as it was.
    reg.register_collection("X", CollectionType.TAGGED)
    assert reg.snapshot_collection("X", "S_again", as_of=e1) == e1
    assert answers(reg, "S_again", None) == then
    assert info(reg, "S_again").type == CollectionType.CALIBRATION


def test_copying_a_snapshot_and_listing_its_datasets(reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.register_collection("Y", CollectionType.CALIBRATION)
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.tag("tagged", [refs[3], refs[4]])
    reg.set_chain("C", ["X", "tagged", "Y"])
    e1 = reg.current_epoch()
    tags_then = reg.query_datasets("tagged", TYPE)
    for source in ("X", "tagged", "C", "run1"):
        reg.snapshot_collection(source, "S" + source)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.untag("tagged", [refs[3]])
    reg.insert_datasets(TYPE, "run1", [det(7)])
    reg.set_chain("C", ["X"])
    # query_datasets reads a snapshot (and a chain listing one) as the source was.
    assert reg.query_datasets("Stagged", TYPE) == tags_then
    assert len(reg.query_datasets("Srun1", TYPE)) == len(DETECTORS)
    assert len(reg.query_datasets("run1", TYPE)) == len(DETECTORS) + 1
    assert [r.id for r in reg.query_datasets("SC", TYPE)] == [r.id for r in tags_then]
    # A copy of a snapshot is an ordinary, writable collection with the content of then.
    reg.copy_collection("SX", "copyX")
    reg.copy_collection("Stagged", "copyT")
    reg.copy_collection("SC", "copyC")
    assert answers(reg, "copyX", None)[1:] == answers(reg, "X", e1)[1:]
    assert reg.collection_digest("copyX") == reg.collection_digest("SX")
    assert reg.query_datasets("copyT", TYPE) == tags_then
    assert reg.get_chain("copyC") == ["X", "tagged", "Y"]
    copy_x = info(reg, "copyX")
    assert copy_x.state == CollectionState.OPEN and copy_x.snapshot_of is None
    reg.certify("copyX", [refs[5]], Timespan(None, None))
    # A snapshot of a chain whose member is gone can be read, but not copied.
    reg.set_chain("copyC", [])
    reg.remove_collection("Y")
    with pytest.raises(MissingCollectionError, match="chain member 'Y' has been removed"):
        reg.copy_collection("SC", "copyC2")
    assert reg.get_chain("SC") == ["X", "tagged", "Y"]
    assert reg.collection_digest("SX") != reg.collection_digest("X")


def test_every_write_to_a_snapshot_is_refused(reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    for source in ("X", "tagged", "C", "run1"):
        reg.snapshot_collection(source, "S" + source)
    epoch = reg.current_epoch()
    refused = [
        (lambda: reg.certify("SX", [refs[2]], Timespan(t(2020), None)), "certify"),
        (lambda: reg.certify_series("SX", [(refs[2], t(2020)), (refs[2], t(2021))]),
         "certify_series"),
        (lambda: reg.decertify("SX", TYPE, Timespan(None, None), [det(1)]), "decertify"),
        (lambda: reg.close_open_range("SX", TYPE, t(2030), [det(1)]), "close_open_range"),
        (lambda: reg.tag("Stagged", [refs[1]]), "tag"),
        (lambda: reg.untag("Stagged", [refs[1]]), "untag"),
        (lambda: reg.insert_datasets(TYPE, "Srun1", [det(7)]), "insert_datasets"),
        (lambda: reg.set_chain("SC", ["X"]), "set_chain"),
    ]
    for call, operation in refused:
        with pytest.raises(CollectionStateError) as exc:
            call()
        assert exc.value.kind == "collection_frozen"
        assert exc.value.details["operation"] == operation
    for state in ("OPEN", "APPEND_ONLY"):
        with pytest.raises(CollectionStateError) as exc:
            reg.set_collection_state("SX", state)
        assert exc.value.kind == "snapshot_frozen"
        assert str(exc.value) == (f"collection 'SX' is a snapshot: FROZEN by construction,"
                                  f" it cannot become {state}")
    assert reg.set_collection_state("SX", "FROZEN") == CollectionState.FROZEN  # no change
    assert reg.current_epoch() == epoch
    # An admin may remove it (the one FROZEN collection that can be removed); nothing else
    # changes. An ordinary FROZEN collection still cannot be removed.
    reg.remove_collection("SX")
    reg.remove_collection("SC")
    assert {"SX", "SC"}.isdisjoint(c.name for c in reg.list_collections())
    assert len(reg.certifications("X")) == 1
    reg.set_collection_state("X", "FROZEN")
    with pytest.raises(CollectionStateError):
        reg.remove_collection("X")


def test_creation_is_a_change_in_the_history(reg: Registry) -> None:
    with reopen(reg, reason="freeze what March used", user="alice") as r:
        refs = world(r, ("X",))
        r.certify("X", [refs[1]], Timespan(t(2020), None))
        e1 = r.current_epoch()
        r.snapshot_collection("X", "S")
        rows = r.history("S")
        assert [(x.operation, x.epoch, x.reason, x.app_user) for x in rows] == [
            ("snapshot_collection", e1 + 1, "freeze what March used", "alice")]
        assert rows[0].detail is not None and rows[0].detail["after"]["state"] == "FROZEN"
        # Nothing was copied: the snapshot has no certification of its own, then or now.
        stats = {s.name: s for s in r.collection_stats()}
        assert stats["S"].certifications == 0 and stats["X"].certifications == 1


def test_an_export_of_a_snapshot_holds_its_content_of_then(reg: Registry, sqlite_template: str,
                                                           tmp_path) -> None:
    import shutil

    from calibcert.exchange import export_data, import_data

    other_file = tmp_path / "other.db"  # another SQLite database than reg's
    shutil.copy(sqlite_template, other_file)

    refs = world(reg, ("X",))
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.snapshot_collection("X", "S")
    digest = reg.collection_digest("S")
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    doc = export_data(reg, ["S"])
    with calibcert.connect(f"sqlite:///{other_file}") as other:
        import_data(other, doc)
        assert other.collection_digest("S") == digest
        assert info(other, "S").snapshot_of is None  # an ordinary collection there


def test_cli_collection_snapshot(reg: Registry, tmp_path) -> None:
    url = url_of(reg)
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    pinned = reg.current_epoch()
    pinned_at = datetime.now(timezone.utc)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    made = json.loads(ok(home, url, "collection", "snapshot", "X", "S1", "--as-of",
                         str(pinned), "--json").out)
    assert (made["collection"], made["epoch"]) == ("S1", pinned)
    out = ok(home, url, "collection", "snapshot", "X", "S2", "--as-of",
             pinned_at.isoformat(), "--reason", "freeze March")
    assert f"S2: a snapshot of X as of epoch {pinned}" in out.out + out.err
    assert reg.history("S2")[0].reason == "freeze March"
    ok(home, url, "collection", "snapshot", "X", "S3")
    assert info(reg, "S3").snapshot_epoch == reg.current_epoch() - 1
    # --dry-run: shown, not made.
    ok(home, url, "collection", "snapshot", "X", "S4", "--dry-run")
    assert "S4" not in {c.name for c in reg.list_collections()}
    listed = {c["name"]: c for c in json.loads(ok(home, url, "collection", "list",
                                                  "--json").out)}
    assert (listed["S1"]["snapshot_of"], listed["S1"]["snapshot_epoch"]) == ("X", pinned)
    assert listed["X"]["snapshot_of"] is None
    table = ok(home, url, "collection", "list").out
    assert f"of X at epoch {pinned}" in table
    found = json.loads(ok(home, url, "find", "S1", TYPE, "-d", "instrument=Cam,detector=1",
                          "--at", "2021-03-01T00:00:00+00:00", "--json").out)
    assert [r["dataset"]["id"] for r in found] == [str(refs[1].id)]
    # Writes are refused with the state's exit code and message.
    r = cli(home, url, "decertify", "S1", TYPE, "--begin", "2023-01-01T00:00:00+00:00")
    assert r.code != 0 and "FROZEN" in r.err


def test_list_collections_as_of_names_snapshots(reg: Registry) -> None:
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1]], Timespan(t(2020), None))
    e = reg.snapshot_collection("X", "S")
    reg.remove_collection("X")
    now = {c.name: c for c in reg.list_collections(as_of=reg.current_epoch())}
    assert (now["S"].snapshot_of, now["S"].snapshot_epoch) == ("X", e)
    assert "S" not in {c.name for c in reg.list_collections(as_of=e)}
    assert len(reg.query_datasets("run1", TYPE)) == len(DETECTORS)
    with pytest.raises(InvalidArgumentError):
        reg.snapshot_collection("S", "SS", as_of=reg.current_epoch() + 1)
    with pytest.raises(ConflictingDefinitionError):
        reg.snapshot_collection("S", "run1")
    found = reg.find("S", TYPE, det(1), t(2021))
    assert found is not None and found.id == refs[1].id
    with pytest.raises(MissingCollectionError):
        reg.find("X", TYPE, det(1), t(2021))


def test_the_plot_of_a_snapshot_draws_its_source_as_of_then(reg: Registry) -> None:
    from calibcert.lookup_view import lookup_view

    refs = world(reg, ("X", "Y"))
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), t(2022)))
    reg.certify("Y", [refs[3]], Timespan(None, None))
    reg.tag("tagged", [refs[4]])
    reg.set_chain("C", ["X", "tagged", "Y"])
    e = reg.snapshot_collection("C", "SC")
    reg.snapshot_collection("X", "SX")
    reg.register_collection("P", CollectionType.CHAINED)
    reg.set_chain("P", ["SX", "Y"])
    p_then = lookup_view(reg, "P").answers
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.untag("tagged", [refs[4]])
    reg.set_chain("C", ["Y"])
    then = lookup_view(reg, "C", as_of=e)
    assert len(then.answers) == 4 and then.answers != lookup_view(reg, "C").answers
    assert lookup_view(reg, "SC").answers == then.answers
    assert lookup_view(reg, "SX").answers == lookup_view(reg, "X", as_of=e).answers
    assert lookup_view(reg, "P").answers == p_then


def test_a_removed_snapshot_comes_back_with_a_revert(reg: Registry) -> None:
    """revert of a snapshot's removal restores a snapshot that reads its source as of its
    epoch again (its own search path carries the source and epoch), not an empty
    collection; reverting that revert removes it again (FROZEN by construction: no state
    check stands in the way), and a snapshot's creation reverts cleanly unless it changed
    since."""
    refs = world(reg, ("X",))
    reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
    reg.snapshot_collection("X", "S")
    then = answers(reg, "S", None)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    reg.remove_collection("S")
    reg.revert(reg.current_epoch())
    assert answers(reg, "S", None) == then
    assert info(reg, "S").snapshot_of == "X"
    assert reg.check_integrity() == []
    created = next(h.epoch for h in reg.history("S") if h.operation == "snapshot_collection")
    reg.revert(reg.current_epoch())
    assert "S" not in {c.name for c in reg.list_collections()}
    reg.revert(reg.current_epoch())  # the revert of the revert of the removal
    assert answers(reg, "S", None) == then
    with pytest.raises(RevertConflictError):  # its creation: S was removed since
        reg.revert(created)
    reg.snapshot_collection("X", "T")  # a fresh one's creation reverts cleanly
    reg.revert(reg.current_epoch())
    assert "T" not in {c.name for c in reg.list_collections()}
    assert reg.check_integrity() == []

