"""Behaviour suite: revert(epoch) (README "Revert", issue 16 item 5), the same on PostgreSQL
and SQLite.

Every operation kind is reverted and the whole content (collections with their state,
chains, tags, datasets, certifications) must equal what it was before that change, and
what ``certifications(as_of=E-1)`` answers; reverting the revert brings the change back.
Each kind of conflict is provoked by a later change and must raise its precise error (the
same message on both backends) and change nothing. History needs commits: these run on the
standalone PostgreSQL registry and on SQLite. What only PostgreSQL has (writer lists, roles,
the certification ids, collection locks, the SQL level) is tests/test_pg_revert.py; the
SQLite races and raw writers are tests/test_sqlite_revert.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    CollectionStateError,
    ConflictingCertificationError,
    InvalidArgumentError,
    MissingCollectionError,
    RevertConflictError,
)
from conftest import BACKENDS
from helpers import t

TYPE = "bias"


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


def content(reg: Registry) -> dict[str, Any]:
    """Everything the registry holds now, through the API: collections (type, state),
    chains, the datasets of RUNs and TAGGED collections, certifications."""
    out: dict[str, Any] = {}
    for info in reg.list_collections():
        entry: Any = (info.type.value, info.state.value)
        if info.type == CollectionType.CHAINED:
            entry += (tuple(reg.get_chain(info.name)),)
        elif info.type == CollectionType.CALIBRATION:
            entry += (tuple(sorted((str(c.ref.id), str(c.timespan))
                                   for c in reg.certifications(info.name))),)
        else:
            entry += (tuple(sorted(str(r.id) for r in reg.query_datasets(info.name, TYPE))),)
        out[info.name] = entry
    return out


def as_of_view(reg: Registry, epoch: int | None) -> dict[str, Any]:
    """What lookups answer (now, or as of an epoch) for the world's collections."""
    out: dict[str, Any] = {}
    for name in ("X", "X2", "C"):
        try:
            out[name] = sorted((str(c.ref.id), str(c.timespan), c.collection)
                               for c in reg.certifications(name, as_of=epoch))
        except MissingCollectionError:
            out[name] = None
    try:
        out["chain"] = reg.get_chain("C", as_of=epoch)
    except MissingCollectionError:
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
    "copy_collection": lambda r, d: r.copy_collection("X", "X2"),
}


def in_one_change(reg: Registry, op: Callable[[Registry, dict[int, Any]], Any],
                  refs: dict[int, Any]) -> int:
    """Run op in one transaction (one change); its epoch."""
    with reg.transaction():
        op(reg, refs)
    return reg.current_epoch()


def check_revert_round_trip(reg: Registry, content: Callable[[], Any],
                            change: Callable[[], int]) -> None:
    """Run ``change`` (one change; returns its epoch) and revert it: the content
    (``content()``) and the as-of view are those before it; the revert's own change says
    so in history; reverting the revert brings the change back; reverting the change again
    conflicts when it created rows (the revert removed those versions), else undoes it
    again. Shared with tests/test_pg_revert.py, which reads PostgreSQL's own facts."""
    before, before_view = content(), as_of_view(reg, None)
    epoch = change()
    after = content()
    assert after != before, "the operation changed nothing: a vacuous case"
    rows = reg.revert(epoch)
    assert rows, "revert did nothing"
    assert content() == before
    assert as_of_view(reg, None) == before_view == as_of_view(reg, epoch - 1)
    revert_epoch = reg.current_epoch()
    assert revert_epoch == epoch + 1
    ops = {(h.operation, h.reason) for h in reg.history("run1") + reg.history("T")
           + (reg.history("X")) if h.epoch == revert_epoch}
    assert ops <= {("revert", f"revert of epoch {epoch}")}
    reg.revert(revert_epoch)
    assert content() == after
    if any(r.action.startswith("remove") or r.action == "restore collection settings"
           for r in rows):
        with pytest.raises(RevertConflictError) as info:
            reg.revert(epoch)
        assert info.value.details["later_epoch"] == revert_epoch
        assert content() == after
    else:
        reg.revert(epoch)
        assert content() == before


@pytest.mark.parametrize("kind", sorted(OPERATIONS))
def test_revert_restores_the_state_before_the_change(reg: Registry, kind) -> None:
    refs = world(reg)
    check_revert_round_trip(reg, lambda: content(reg),
                            lambda: in_one_change(reg, OPERATIONS[kind], refs))


def test_dry_run_returns_the_same_rows_and_changes_nothing(reg: Registry) -> None:
    refs = world(reg)
    before = content(reg)

    def op(r: Registry, d: dict[int, Any]) -> None:
        r.decertify("X", TYPE, Timespan(t(2021), t(2022)))
        r.untag("T", [d[1]])
        r.tag("T", [d[4]])
        r.set_chain("C", ["T"])

    epoch = in_one_change(reg, op, refs)
    after = content(reg)
    dry = reg.revert(epoch, dry_run=True)
    assert content(reg) == after and reg.current_epoch() == epoch
    real = reg.revert(epoch)
    assert real == dry
    assert content(reg) == before
    actions = [(r.action, r.collection) for r in real]
    assert actions == [
        ("remove certification", "X"), ("remove certification", "X"),
        ("remove certification", "X"), ("remove certification", "X"),
        ("remove tag", "T"), ("remove chain position", "C"),
        ("restore chain position", "C"), ("restore chain position", "C"),
        ("restore tag", "T"), ("restore certification", "X"), ("restore certification", "X"),
    ], actions
    removed = [(r.data_id, r.validity) for r in real if r.action == "remove certification"]
    assert removed == [(det(1), Timespan(t(2020), t(2021))), (det(1), Timespan(t(2022), None)),
                       (det(2), Timespan(t(2020), t(2021))), (det(2), Timespan(t(2022), None))]
    restored = [r for r in real if r.action == "restore certification"]
    assert [str(r.dataset) for r in restored] == [str(refs[1].id), str(refs[2].id)]
    assert all(r.validity == Timespan(t(2020), None) for r in restored)
    assert all(r.dataset_type == TYPE for r in restored)
    chain = [r.detail for r in real if r.action == "restore chain position"]
    assert chain == [{"position": 1, "child": "X"}, {"position": 2, "child": "T"}]
    assert [r.detail for r in real if r.action == "remove chain position"] == [
        {"position": 1, "child": "T"}]


def test_collection_rows_name_type_state_and_writers(reg: Registry) -> None:
    world(reg)
    reg.set_collection_state("X", "APPEND_ONLY")
    e = reg.current_epoch()
    rows = reg.revert(e, dry_run=True)
    assert [(r.action, r.collection, r.detail) for r in rows] == [
        ("restore collection settings", "X",
         {"type": "CALIBRATION", "state": "OPEN", "writers": None})]
    reg.register_collection("X2", CollectionType.TAGGED)
    rows = reg.revert(reg.current_epoch(), dry_run=True)
    assert [(r.action, r.collection, r.detail) for r in rows] == [
        ("remove collection", "X2", None)]


def test_reason_defaults_and_a_given_reason_is_kept(reg: Registry) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    with reopen(reg, reason="bad certify", user="alice") as r2:
        r2.revert(e)
    last = [h for h in reg.history("X") if h.epoch == reg.current_epoch()]
    assert last and {(h.operation, h.reason, h.app_user) for h in last} == {
        ("revert", "bad certify", "alice")}
    # Inside a transaction that changed something first, the change keeps that call's
    # (empty) reason, as the change is named when it is opened.
    reg.certify("X", [refs[4]], Timespan(t(2021), None))
    e = reg.current_epoch()
    with reg.transaction():
        reg.certify("X", [refs[5]], Timespan(t(2021), None))
        reg.revert(e)
    last = [h for h in reg.history("X") if h.epoch == reg.current_epoch()]
    assert {(h.operation, h.reason) for h in last} == {("certify", None), ("revert", None)}


def test_an_unknown_epoch_is_refused(reg: Registry) -> None:
    world(reg)
    current = reg.current_epoch()
    for epoch in (0, current + 1, -3):
        with pytest.raises(InvalidArgumentError) as info:
            reg.revert(epoch)
        assert info.value.details["kind"] == "revert_epoch_missing"
        if epoch >= 0:
            assert str(info.value) == (f"epoch {epoch} is not a committed change: nothing to"
                                       f" revert (current epoch {current})")
    with pytest.raises(InvalidArgumentError):
        reg.revert(None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        reg.revert(True)  # type: ignore[arg-type]
    assert reg.current_epoch() == current


# -- conflicts: each kind, and nothing changed ------------------------------------------


def conflict(reg: Registry, epoch: int, exc: type[Exception], kind: str,
             dry_run: bool = False) -> dict[str, Any]:
    before, current = content(reg), reg.current_epoch()
    with pytest.raises(exc) as info:
        reg.revert(epoch, dry_run=dry_run)
    assert info.value.details["kind"] == kind, info.value
    assert content(reg) == before and reg.current_epoch() == current
    return {**info.value.details, "message": str(info.value)}


def test_a_certification_changed_since(reg: Registry) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    reg.close_open_range("X", TYPE, t(2025), [det(3)])
    later = reg.current_epoch()
    for dry in (True, False):
        d = conflict(reg, e, RevertConflictError, "revert_row_changed", dry)
        assert (d["epoch"], d["later_epoch"], d["what"], d["collection"]) == (
            e, later, "certification", "X")
        assert d["data_id"] == det(3) and str(d["dataset"]) == str(refs[3].id)
        row = (f'bias data ID {{"detector": 3, "instrument": "Cam"}}, dataset {refs[3].id}'
               " over [2021-01-01T00:00:00.000000+00:00, +inf)")
        assert "row" not in d  # facts only: the message renders the row from them
        assert d["message"] == (f"cannot revert epoch {e}: certification {row} in 'X' was"
                                f" changed or removed since, by epoch {later}")


def test_a_tag_a_chain_a_collection_changed_since(reg: Registry) -> None:
    refs = world(reg)
    reg.tag("T", [refs[2]])
    e_tag = reg.current_epoch()
    reg.untag("T", [refs[2]])
    d = conflict(reg, e_tag, RevertConflictError, "revert_row_changed")
    assert d["what"] == "tag" and d["later_epoch"] == reg.current_epoch()
    reg.set_chain("C", ["T"])
    e_chain = reg.current_epoch()
    reg.set_chain("C", ["X"])
    d = conflict(reg, e_chain, RevertConflictError, "revert_row_changed")
    assert d["what"] == "chain position" and d["position"] == 1 and d["child"] == "T"
    assert d["missing"] is None and "row" not in d
    assert "chain position 1 (child 'T') in 'C'" in d["message"]
    reg.set_collection_state("X", "APPEND_ONLY")
    e_state = reg.current_epoch()
    reg.set_collection_state("X", "OPEN")
    d = conflict(reg, e_state, RevertConflictError, "revert_row_changed")
    assert d["what"] == "collection" and d["collection"] == "X" and "row" not in d
    assert f"cannot revert epoch {e_state}: collection 'X' in 'X' was changed" in d["message"]


def test_a_dataset_or_collection_in_use_since(reg: Registry) -> None:
    world(reg)
    new = reg.insert_datasets(TYPE, "run1", [det(9)])
    e_ds = reg.current_epoch()
    reg.certify("X", new, Timespan(t(2030), None))
    d = conflict(reg, e_ds, RevertConflictError, "revert_in_use")
    assert d["what"] == "dataset" and d["later_epoch"] == reg.current_epoch()
    reg.register_collection("X2", CollectionType.CALIBRATION)
    e_coll = reg.current_epoch()
    reg.set_chain("C", ["X", "T", "X2"])
    d = conflict(reg, e_coll, RevertConflictError, "revert_in_use")
    assert d["what"] == "collection" and d["collection"] == "X2"
    assert d["later_epoch"] == reg.current_epoch()


def test_a_place_taken_since(reg: Registry) -> None:
    refs = world(reg)
    reg.untag("T", [refs[1]])
    e = reg.current_epoch()
    reg.tag("T", [refs[1]])
    d = conflict(reg, e, RevertConflictError, "revert_occupied")
    assert d["what"] == "tag" and d["later_epoch"] == reg.current_epoch()
    reg.set_chain("C", ["T"])
    reg.remove_collection("X")
    e = reg.current_epoch()
    reg.register_collection("X", CollectionType.TAGGED)
    d = conflict(reg, e, RevertConflictError, "revert_occupied")
    assert d["what"] == "collection" and d["later_epoch"] == reg.current_epoch()


def test_a_chain_position_taken_since(reg: Registry) -> None:
    world(reg)
    reg.set_chain("C", [])
    e = reg.current_epoch()
    reg.set_chain("C", ["T"])
    d = conflict(reg, e, RevertConflictError, "revert_occupied")
    assert (d["what"], d["position"], d["child"], d["later_epoch"]) == (
        "chain position", 1, "X", reg.current_epoch())


def test_a_collection_removed_since(reg: Registry) -> None:
    refs = world(reg)
    reg.untag("T", [refs[1]])
    e = reg.current_epoch()
    reg.set_chain("C", ["X"])
    reg.remove_collection("T")
    d = conflict(reg, e, RevertConflictError, "revert_target_removed")
    assert d["missing"] == "collection" and d["later_epoch"] == reg.current_epoch()
    assert d["message"].endswith(f"cannot be restored: its collection was removed by epoch"
                                 f" {reg.current_epoch()}")


def test_a_chain_child_removed_since(reg: Registry) -> None:
    world(reg)
    reg.set_chain("C", ["X"])
    e = reg.current_epoch()
    reg.remove_collection("T")
    d = conflict(reg, e, RevertConflictError, "revert_target_removed")
    assert (d["what"], d["missing"], d["child"], d["position"]) == (
        "chain position", "child collection", "T", 2)


def test_a_restored_chain_that_would_make_a_cycle(reg: Registry) -> None:
    world(reg)
    reg.register_collection("D", CollectionType.CHAINED)
    reg.set_chain("C", ["X", "D"])
    reg.set_chain("C", ["X"])
    e = reg.current_epoch()
    reg.set_chain("D", ["C"])
    d = conflict(reg, e, RevertConflictError, "revert_chain_cycle")
    assert d["collection"] == "C"
    assert d["message"] == f"cannot revert epoch {e}: restoring the chain 'C' would create a cycle"


def other_det1(reg: Registry) -> Any:
    """A second dataset of detector 1 (in run2): it can overlap run1's."""
    reg.register_collection("run2", CollectionType.RUN)
    return reg.insert_datasets(TYPE, "run2", [det(1)])[0]


def test_a_restored_certification_that_would_overlap(reg: Registry) -> None:
    refs = world(reg)
    other = other_det1(reg)
    reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    e = reg.current_epoch()
    reg.certify("X", [other], Timespan(t(2021, 6), t(2021, 7)))
    later = reg.current_epoch()
    d = conflict(reg, e, ConflictingCertificationError, "revert_overlap")
    first = d["conflicts"][0]
    assert (d["epoch"], first["conflicting_epoch"], str(first["conflicting_dataset"])) == (
        e, later, str(other.id))
    assert len(d["conflicts"]) == 1 and d["collection"] == "X"
    assert d["message"] == (
        f'cannot revert epoch {e}: restoring bias data ID {{"detector": 1, "instrument":'
        f' "Cam"}}, dataset {refs[1].id} over [2020-01-01T00:00:00.000000+00:00, +inf) in'
        f" 'X' overlaps dataset {other.id} over [2021-06-01T00:00:00.000000+00:00,"
        f" 2021-07-01T00:00:00.000000+00:00), certified by epoch {later}")


def test_frozen_and_append_only(reg: Registry) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    reg.set_collection_state("X", "FROZEN")
    d = conflict(reg, e, CollectionStateError, "collection_frozen")
    assert d["operation"] == "revert"
    assert d["message"] == "collection 'X' is FROZEN: revert refused"
    reg.set_collection_state("X", "APPEND_ONLY")
    d = conflict(reg, e, CollectionStateError, "collection_append_only")
    assert d["message"] == "collection 'X' is APPEND_ONLY: revert refused"
    reg.set_collection_state("X", "OPEN")
    e_open = reg.current_epoch()
    # A state change alone is administration: reverted on a FROZEN collection too.
    reg.set_collection_state("T", "FROZEN")
    reg.revert(reg.current_epoch())
    assert content(reg)["T"][1] == "OPEN"
    # Reverting the unfreezing of X freezes it again, content untouched.
    reg.revert(e_open)
    assert content(reg)["X"][1] == "APPEND_ONLY"


def test_a_revert_inside_a_transaction_is_undone_with_it(reg: Registry) -> None:
    refs = world(reg)
    reg.certify("X", [refs[3]], Timespan(t(2021), None))
    e = reg.current_epoch()
    after = content(reg)
    with pytest.raises(RuntimeError):
        with reg.transaction():
            assert [r.action for r in reg.revert(e)] == ["remove certification"]
            raise RuntimeError("roll back")
    assert content(reg) == after and reg.current_epoch() == e
    # A dry run inside a transaction leaves the transaction's own work in place.
    with reg.transaction():
        reg.certify("X", [refs[4]], Timespan(t(2021), None))
        reg.revert(e, dry_run=True)
    assert det(4) in [c.ref.data_id for c in reg.certifications("X")]
    assert det(3) in [c.ref.data_id for c in reg.certifications("X")]


def test_restoring_a_certification_a_revert_of_the_revert_brought_back(reg: Registry) -> None:
    """Found by the model test: reverting a change twice over a revert of its revert. The
    second restore meets the very certification the first brought back (on PostgreSQL the
    same certification_id): an overlap, refused as such, nothing changed."""
    refs = world(reg)
    reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
    e = reg.current_epoch()
    reg.revert(e)  # restores detector 1's certification
    reg.revert(reg.current_epoch())  # removes it again
    r2 = reg.current_epoch()
    reg.revert(r2)  # and brings it back once more
    d = conflict(reg, r2, ConflictingCertificationError, "revert_overlap")
    first = d["conflicts"][0]
    assert (str(first["dataset"]), str(first["conflicting_dataset"])) == (
        str(refs[1].id), str(refs[1].id))
    assert first["conflicting_epoch"] == reg.current_epoch()
    # Cut since: still the same version, still an overlap.
    reg.decertify("X", TYPE, Timespan(t(2021), None), [det(1)])
    conflict(reg, r2, ConflictingCertificationError, "revert_overlap")


def test_the_open_change_is_not_an_epoch(reg: Registry) -> None:
    """Inside a transaction that changed something, its own change has no epoch yet: it
    cannot be reverted (on SQLite its number is already taken, and still refused)."""
    refs = world(reg)
    current = reg.current_epoch()
    with reg.transaction():
        reg.certify("X", [refs[3]], Timespan(t(2021), None))
        with pytest.raises(InvalidArgumentError) as info:
            reg.revert(current + 1)
        assert info.value.details["kind"] == "revert_epoch_missing"
        assert info.value.details["current"] == current
    assert reg.current_epoch() == current + 1
    assert det(3) in [c.ref.data_id for c in reg.certifications("X")]


def test_as_of_answers_keep_what_a_revert_removed(reg: Registry) -> None:
    """Found by the model test: a dataset (and a RUN) a revert removes were there at earlier
    epochs, and as-of answers then still name and list them."""
    world(reg)
    with reg.transaction():
        reg.register_collection("run3", CollectionType.RUN)
        (new,) = reg.insert_datasets(TYPE, "run3", [det(9)])
    e = reg.current_epoch()
    reg.certify("X", [new], Timespan(t(2030), None))
    certified = reg.current_epoch()
    reg.decertify("X", TYPE, Timespan(None, None), [det(9)])
    was_found = reg.find("run3", TYPE, det(9), None, as_of=e)
    listed = reg.certifications("X", as_of=certified)
    assert [c.ref for c in listed if c.ref.id == new.id] == [new]
    assert was_found == new and new.run == "run3"
    reg.revert(e)
    with pytest.raises(MissingCollectionError):
        reg.find("run3", TYPE, det(9), None)
    assert reg.find("run3", TYPE, det(9), None, as_of=e) == was_found
    assert reg.certifications("X", as_of=certified) == listed
