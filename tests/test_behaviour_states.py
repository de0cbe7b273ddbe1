"""Behaviour suite: collection states (OPEN, APPEND_ONLY, FROZEN). Runs on every backend.

Every (state, operation) pair: an allowed operation works, a refused one raises
CollectionStateError naming the collection and the operation, and changes nothing (the
whole registry is compared before and after)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from calibcert import CollectionInfo, CollectionState, CollectionType, Registry
from calibcert.errors import (
    CollectionStateError,
    ConflictingCertificationError,
    InvalidArgumentError,
    MissingCollectionError,
)
from helpers import CALIB, RUN, RUN2, World, bias_id, ids, rows, t, ts

TAGGED, CHAIN, CHAIN2 = "Cam/tagged", "Cam/chain", "Cam/chain2"


@pytest.fixture
def states(world: World) -> World:
    """The standard world plus a TAGGED and a CHAINED collection, with: bias 1 certified
    over [2020, 2021), bias 2 from 2020 on (open-ended), bias 1 tagged, the chain [CALIB]."""
    reg = world.reg
    reg.register_collection(TAGGED, CollectionType.TAGGED)
    reg.register_collection(CHAIN, CollectionType.CHAINED)
    reg.register_collection(CHAIN2, CollectionType.CHAINED)
    b1, b2, b3 = world.biases(1, 2, 3)
    reg.certify(CALIB, [b1], ts(2020, 2021))
    reg.certify(CALIB, [b2], ts(2020, None))
    reg.tag(TAGGED, [b1])
    reg.set_chain(CHAIN, [CALIB])
    world.refs = {"b1": b1, "b2": b2, "b3": b3}  # type: ignore[attr-defined]
    world.refs.update(  # type: ignore[attr-defined]
        zip(("r1", "r2"), world.biases(1, 2, run=RUN2), strict=True))
    return world


def snapshot(reg: Registry) -> tuple[Any, ...]:
    """Everything the operations below can change."""
    names = {c.name for c in reg.list_collections()}
    return (reg.list_collections(), rows(reg, CALIB),
            sorted(ids(reg.query_datasets(TAGGED, "bias"))) if TAGGED in names else None,
            reg.get_chain(CHAIN), reg.get_chain(CHAIN2),
            sorted(ids(reg.query_datasets(RUN, "bias"))))


#: operation name (as errors name it) -> (collection it changes, the call, allowed when
#: APPEND_ONLY). Each call succeeds on an OPEN collection of the fixture.
OPS: dict[str, tuple[str, Callable[[World], Any], bool]] = {
    "certify": (CALIB, lambda w: w.reg.certify(CALIB, [w.refs["b3"]], ts(2022, None)), True),
    "certify-before-latest": (
        CALIB, lambda w: w.reg.certify(CALIB, [w.refs["r1"]], ts(2019, t(2019, 6))), False),
    "certify-close_open": (
        CALIB, lambda w: w.reg.certify(CALIB, [w.refs["r2"]], ts(2022, None), close_open=True),
        True),
    "certify_series": (
        CALIB, lambda w: w.reg.certify_series(CALIB, [(w.refs["b3"], t(2021)),
                                                      (w.refs["r1"], t(2021))]), True),
    "decertify": (CALIB, lambda w: w.reg.decertify(CALIB, "bias", ts(2020, 2021)), False),
    "close_open_range": (
        CALIB, lambda w: w.reg.close_open_range(CALIB, "bias", t(2023)), True),
    "tag": (TAGGED, lambda w: w.reg.tag(TAGGED, [w.refs["b2"]]), True),
    "untag": (TAGGED, lambda w: w.reg.untag(TAGGED, [w.refs["b1"]]), False),
    "insert_datasets": (RUN, lambda w: w.reg.insert_datasets("bias", RUN, [bias_id(9)]), True),
    "set_chain": (CHAIN, lambda w: w.reg.set_chain(CHAIN, [CALIB, RUN]), False),
    "remove_collection": (TAGGED, lambda w: w.reg.remove_collection(TAGGED), False),
}
#: The operation name an error reports for each entry of OPS.
OP_NAME = {name: name.split("-")[0] for name in OPS}


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("state", list(CollectionState))
def test_state_allows_or_refuses_each_operation(states: World, state: CollectionState,
                                                op: str) -> None:
    reg = states.reg
    target, call, append_ok = OPS[op]
    assert reg.set_collection_state(target, state) is CollectionState.OPEN
    allowed = state is CollectionState.OPEN or (state is CollectionState.APPEND_ONLY
                                                and append_ok)
    before = snapshot(reg)
    if allowed:
        call(states)
        assert snapshot(reg) != before  # it did change something
        return
    with pytest.raises(CollectionStateError) as info:
        call(states)
    assert snapshot(reg) == before
    err = info.value
    assert err.collection == target
    assert err.operation == OP_NAME[op]
    assert str(err).startswith(f"collection {target!r} is {state.value}: {OP_NAME[op]} refused")
    assert err.sqlstate == "KC018"


def test_append_only_begin_rule_names_the_key_and_both_begins(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(CALIB, "append_only")
    with pytest.raises(CollectionStateError) as info:
        reg.certify(CALIB, [states.refs["r1"]], ts(2019, t(2019, 6)))
    err = info.value
    assert err.kind == "append_only_begin"
    assert (err.dataset_type, err.data_id) == ("bias", bias_id(1))
    assert (err.begin, err.latest) == ("2019-01-01T00:00:00.000000+00:00",
                                       "2020-01-01T00:00:00.000000+00:00")
    assert str(err) == (
        "collection 'Cam/calib' is APPEND_ONLY: certify refused: 'bias' data ID"
        ' {"detector": 1, "instrument": "Cam"} begins at 2019-01-01T00:00:00.000000+00:00,'
        " before the latest begin 2020-01-01T00:00:00.000000+00:00")
    # After the latest begin is allowed; at it, the append rule lets the call through and
    # the overlap rule decides; an unbounded begin is before every stored begin.
    reg.certify(CALIB, [states.refs["r1"]], ts(2021, 2022))
    with pytest.raises(ConflictingCertificationError):
        reg.certify(CALIB, [states.refs["b1"]], ts(2021, 2023))
    with pytest.raises(CollectionStateError):
        reg.certify(CALIB, [states.refs["r2"]], ts(None, t(2019)))


def test_append_only_series_checks_each_item(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(CALIB, CollectionState.APPEND_ONLY)
    before = rows(reg, CALIB)
    with pytest.raises(CollectionStateError) as info:  # the state first, then overlaps
        reg.certify_series(CALIB, [(states.refs["b3"], t(2021)), (states.refs["r1"], t(2019, 6))])
    assert (info.value.operation, info.value.data_id) == ("certify_series", bias_id(1))
    assert rows(reg, CALIB) == before


def test_append_only_unbounded_begin_is_allowed_only_for_a_new_key(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(CALIB, CollectionState.APPEND_ONLY)
    assert reg.certify(CALIB, [states.refs["b3"]], ts(None, 2019)) == 1  # key 3 is new
    with pytest.raises(CollectionStateError) as info:
        reg.certify(CALIB, [states.refs["r1"]], ts(None, 2019))
    assert info.value.begin is None
    assert "begins at -infinity" in str(info.value)


def test_frozen_collection_is_readable_and_copyable(states: World) -> None:
    reg = states.reg
    before = rows(reg, CALIB)
    reg.set_collection_state(CALIB, CollectionState.FROZEN)
    assert rows(reg, CALIB) == before
    assert reg.find(CALIB, "bias", bias_id(1), t(2020, 6)).id == states.refs["b1"].id
    reg.copy_collection(CALIB, "Cam/calib-copy")
    assert {r[1:] for r in rows(reg, "Cam/calib-copy")} == {r[1:] for r in before}
    # The copy is a new collection: OPEN.
    info = {c.name: c for c in reg.list_collections()}
    assert info["Cam/calib-copy"].state is CollectionState.OPEN
    assert info[CALIB].state is CollectionState.FROZEN
    reg.certify("Cam/calib-copy", [states.refs["b3"]], ts(2022, None))


def test_frozen_child_stays_in_a_chain_whose_parent_changes(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(CALIB, CollectionState.FROZEN)
    # The chain is another collection: adding, reordering or dropping its frozen child
    # changes the chain only.
    reg.set_chain(CHAIN, [RUN, CALIB])
    reg.set_chain(CHAIN2, [CALIB])
    reg.set_chain(CHAIN, [RUN])
    assert reg.get_chain(CHAIN) == [RUN]
    assert reg.get_chain(CHAIN2) == [CALIB]
    assert reg.find(CHAIN2, "bias", bias_id(1), t(2020, 6)).id == states.refs["b1"].id
    # A frozen chain refuses a change of its children, not of its own children's content.
    reg.set_collection_state(CHAIN2, CollectionState.FROZEN)
    with pytest.raises(CollectionStateError):
        reg.set_chain(CHAIN2, [CALIB, RUN])
    reg.set_collection_state(CALIB, CollectionState.OPEN)
    reg.certify(CALIB, [states.refs["b3"]], ts(2022, None))
    assert reg.find(CHAIN2, "bias", bias_id(3), t(2023)).id == states.refs["b3"].id


def test_unfreezing_restores_every_change(states: World) -> None:
    reg = states.reg
    assert reg.set_collection_state(CALIB, "FROZEN") is CollectionState.OPEN
    assert reg.set_collection_state(CALIB, "FROZEN") is CollectionState.FROZEN  # no-op
    with pytest.raises(CollectionStateError):
        reg.decertify(CALIB, "bias", ts(2020, 2021))
    assert reg.set_collection_state(CALIB, "APPEND_ONLY") is CollectionState.FROZEN
    with pytest.raises(CollectionStateError):
        reg.decertify(CALIB, "bias", ts(2020, 2021))
    assert reg.set_collection_state(CALIB, "OPEN") is CollectionState.APPEND_ONLY
    assert reg.decertify(CALIB, "bias", ts(2020, 2021)) == 2


def test_list_collections_shows_state(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(TAGGED, CollectionState.APPEND_ONLY)
    got = {c.name: c for c in reg.list_collections()}
    assert got[TAGGED] == CollectionInfo(TAGGED, CollectionType.TAGGED, None,
                                         CollectionState.APPEND_ONLY, None)
    assert got[CALIB].state is CollectionState.OPEN and got[CALIB].writers is None


def test_a_refused_call_inside_a_transaction_leaves_the_rest(states: World) -> None:
    reg = states.reg
    reg.set_collection_state(TAGGED, CollectionState.FROZEN)
    with reg.transaction():
        reg.certify(CALIB, [states.refs["b3"]], ts(2022, None))
        with pytest.raises(CollectionStateError):
            reg.untag(TAGGED, [states.refs["b1"]])
    assert (CALIB, states.refs["b3"].id, ts(2022, None)) in rows(reg, CALIB)


@pytest.mark.parametrize("bad", ["closed", "", None])
def test_set_collection_state_bad_state(states: World, bad: Any) -> None:
    with pytest.raises(InvalidArgumentError):
        states.reg.set_collection_state(CALIB, bad)
    assert {c.state for c in states.reg.list_collections()} == {CollectionState.OPEN}


def test_set_collection_state_unknown_collection(states: World) -> None:
    with pytest.raises(MissingCollectionError):
        states.reg.set_collection_state("nope", "FROZEN")
