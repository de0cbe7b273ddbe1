"""Behaviour suite: collections (register, chains, remove, copy). Runs on every backend."""

from __future__ import annotations

import pytest

from calibcert import CollectionInfo, CollectionType, Registry
from calibcert.errors import (
    CalibCertError,
    CollectionCycleError,
    CollectionInUseError,
    CollectionTypeError,
    ConflictingDefinitionError,
    InvalidArgumentError,
    InvalidNameError,
    MissingCollectionError,
)
from helpers import CALIB, RUN, RUN2, World, bias_id, rows, ts


def names(reg: Registry) -> list[str]:
    return [c.name for c in reg.list_collections()]


# -- register_collection ----------------------------------------------------------------


def test_register_collection_creates_then_is_a_noop(backend: Registry) -> None:
    assert backend.register_collection("calib/a", CollectionType.CALIBRATION, doc="first") is True
    assert backend.register_collection("calib/a", CollectionType.CALIBRATION) is False
    assert backend.register_collection("calib/a", "CALIBRATION", doc="other") is False
    assert backend.list_collections() == [
        CollectionInfo("calib/a", CollectionType.CALIBRATION, "first")
    ]


def test_register_collection_with_another_type_is_an_error(backend: Registry) -> None:
    backend.register_collection("c", CollectionType.TAGGED)
    with pytest.raises(ConflictingDefinitionError) as info:
        backend.register_collection("c", CollectionType.RUN)
    assert info.value.collection == "c"
    assert backend.list_collections() == [CollectionInfo("c", CollectionType.TAGGED, None)]


@pytest.mark.parametrize("name", ["", "x" * 256, "bad\nname", "tab\there", "nul\x00", "del\x7f"])
def test_register_collection_bad_names(backend: Registry, name: str) -> None:
    with pytest.raises(InvalidNameError):
        backend.register_collection(name, CollectionType.RUN)
    assert backend.list_collections() == []


def test_register_collection_longest_and_unicode_names(backend: Registry) -> None:
    long_name = "ü" * 255
    assert backend.register_collection(long_name, CollectionType.RUN)
    assert backend.register_collection("calib/Ω/δ ε", CollectionType.CALIBRATION)
    assert sorted(names(backend)) == sorted([long_name, "calib/Ω/δ ε"])


def test_register_collection_unknown_type(backend: Registry) -> None:
    with pytest.raises(InvalidArgumentError):
        backend.register_collection("c", "BOGUS")
    assert backend.list_collections() == []


def test_register_collection_bad_doc(backend: Registry) -> None:
    with pytest.raises(InvalidArgumentError):
        backend.register_collection("c", CollectionType.RUN, doc="nul\x00")
    assert backend.list_collections() == []
    backend.register_collection("c", CollectionType.TAGGED, doc="multi\nline ☃")
    with pytest.raises(InvalidArgumentError):
        backend.copy_collection("c", "d", doc="nul\x00")
    assert backend.list_collections() == [
        CollectionInfo("c", CollectionType.TAGGED, "multi\nline ☃")
    ]


def test_list_collections_by_type(world: World) -> None:
    reg = world.reg
    assert [c.name for c in reg.list_collections(CollectionType.RUN)] == sorted([RUN, RUN2])
    assert [c.name for c in reg.list_collections("CALIBRATION")] == [CALIB]
    assert reg.list_collections(CollectionType.CHAINED) == []


# -- set_chain / get_chain --------------------------------------------------------------


def _chains(reg: Registry, *names_: str) -> None:
    for n in names_:
        reg.register_collection(n, CollectionType.CHAINED)


def test_set_chain_keeps_order_and_replaces(world: World) -> None:
    reg = world.reg
    reg.register_collection("tagged", CollectionType.TAGGED)
    _chains(reg, "chain")
    assert reg.get_chain("chain") == []
    reg.set_chain("chain", [CALIB, RUN2, RUN])
    assert reg.get_chain("chain") == [CALIB, RUN2, RUN]
    reg.set_chain("chain", ["tagged", CALIB])
    assert reg.get_chain("chain") == ["tagged", CALIB]
    reg.set_chain("chain", [])
    assert reg.get_chain("chain") == []


def test_set_chain_unknown_child_changes_nothing(world: World) -> None:
    reg = world.reg
    _chains(reg, "chain")
    reg.set_chain("chain", [RUN, CALIB])
    with pytest.raises(MissingCollectionError) as info:
        reg.set_chain("chain", [RUN2, "nope"])
    assert info.value.collection == "nope"
    assert reg.get_chain("chain") == [RUN, CALIB]


def test_set_chain_parent_errors(world: World) -> None:
    reg = world.reg
    with pytest.raises(CollectionTypeError) as info:
        reg.set_chain(CALIB, [RUN])
    assert info.value.collection == CALIB
    with pytest.raises(MissingCollectionError) as info2:
        reg.set_chain("nope", [RUN])
    assert info2.value.collection == "nope"
    with pytest.raises(CollectionTypeError) as info3:
        reg.get_chain(RUN)
    assert info3.value.collection == RUN
    with pytest.raises(MissingCollectionError):
        reg.get_chain("nope")


def test_set_chain_refuses_self_cycle(world: World) -> None:
    reg = world.reg
    _chains(reg, "a")
    reg.set_chain("a", [RUN])
    with pytest.raises(CollectionCycleError) as info:
        reg.set_chain("a", [RUN, "a"])
    assert info.value.collection == "a"
    assert reg.get_chain("a") == [RUN]


def test_set_chain_refuses_indirect_cycles(world: World) -> None:
    reg = world.reg
    _chains(reg, "a", "b", "c")
    reg.set_chain("a", ["b", RUN])
    reg.set_chain("b", ["c"])
    reg.set_chain("c", [CALIB])
    with pytest.raises(CollectionCycleError) as info:
        reg.set_chain("c", [CALIB, "a"])
    assert info.value.collection == "c"
    with pytest.raises(CollectionCycleError):
        reg.set_chain("b", ["a"])
    assert [reg.get_chain(n) for n in "abc"] == [["b", RUN], ["c"], [CALIB]]
    # A diamond is not a cycle.
    _chains(reg, "d")
    reg.set_chain("d", ["b", "c"])
    assert reg.get_chain("d") == ["b", "c"]


# -- remove_collection ------------------------------------------------------------------


def test_remove_calibration_keeps_datasets(world: World) -> None:
    reg = world.reg
    ref = world.bias(1)
    reg.certify(CALIB, [ref], ts(2020, None))
    reg.remove_collection(CALIB)
    assert CALIB not in names(reg)
    with pytest.raises(MissingCollectionError) as info:
        reg.certifications(CALIB)
    assert info.value.collection == CALIB
    assert reg.find(RUN, "bias", bias_id(1), at=None) == ref
    assert reg.get_datasets([ref.id]) == [ref]
    # The name is free again, and the new collection starts empty.
    reg.register_collection(CALIB, CollectionType.CALIBRATION)
    assert rows(reg) == set()


def test_remove_tagged_and_chain_keep_datasets_and_children(world: World) -> None:
    reg = world.reg
    ref = world.bias(1)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.tag("tagged", [ref])
    _chains(reg, "chain")
    reg.set_chain("chain", ["tagged", CALIB])
    reg.remove_collection("chain")
    assert reg.find("tagged", "bias", bias_id(1), at=None) == ref
    reg.remove_collection("tagged")
    assert sorted(names(reg)) == sorted([RUN, RUN2, CALIB])
    assert reg.find(RUN, "bias", bias_id(1), at=None) == ref


def test_remove_chain_child_is_in_use(world: World) -> None:
    reg = world.reg
    _chains(reg, "chain")
    reg.set_chain("chain", [CALIB])
    with pytest.raises(CollectionInUseError) as info:
        reg.remove_collection(CALIB)
    assert info.value.collection == CALIB
    assert CALIB in names(reg)
    reg.set_chain("chain", [])
    reg.remove_collection(CALIB)
    assert CALIB not in names(reg)


def test_remove_run(world: World) -> None:
    reg = world.reg
    world.bias(1)
    with pytest.raises(CollectionInUseError) as info:
        reg.remove_collection(RUN)
    assert info.value.collection == RUN
    assert RUN in names(reg)
    reg.remove_collection(RUN2)  # empty: fine
    assert RUN2 not in names(reg)


def test_remove_unknown_collection(backend: Registry) -> None:
    with pytest.raises(MissingCollectionError) as info:
        backend.remove_collection("nope")
    assert info.value.collection == "nope"


# -- copy_collection --------------------------------------------------------------------


def test_copy_calibration_preserves_timespans_and_is_independent(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    reg.certify(CALIB, [b1], ts(2020, 2021))
    reg.certify(CALIB, [b1], ts(2022, None))
    reg.certify(CALIB, [b2], ts(None, 2021))
    reg.copy_collection(CALIB, "copy", doc="a copy")
    assert CollectionInfo("copy", CollectionType.CALIBRATION, "a copy") in reg.list_collections()
    assert rows(reg, "copy") == {("copy", i, s) for (_, i, s) in rows(reg)}
    assert len(rows(reg, "copy")) == 3

    before = rows(reg)
    reg.certify("copy", [b2], ts(2021, None))
    reg.decertify("copy", "bias", ts(None, None), [bias_id(1)])
    assert rows(reg) == before
    assert rows(reg, "copy") == {("copy", b2.id, ts(None, 2021)), ("copy", b2.id, ts(2021, None))}
    reg.decertify(CALIB, "bias", ts(None, None))
    assert rows(reg) == set()
    assert len(rows(reg, "copy")) == 2


def test_copy_tagged(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.tag("tagged", [b1, b2])
    reg.copy_collection("tagged", "tagged2")
    assert reg.query_datasets("tagged2", "bias") == reg.query_datasets("tagged", "bias")
    reg.untag("tagged", [b1])
    assert reg.find("tagged2", "bias", bias_id(1), at=None) == b1
    assert reg.find("tagged", "bias", bias_id(1), at=None) is None


def test_copy_chain(world: World) -> None:
    reg = world.reg
    _chains(reg, "chain")
    reg.set_chain("chain", [CALIB, RUN])
    reg.copy_collection("chain", "chain2")
    assert reg.get_chain("chain2") == [CALIB, RUN]
    reg.set_chain("chain", [RUN2])
    assert reg.get_chain("chain2") == [CALIB, RUN]


def test_copy_collection_errors(world: World) -> None:
    reg = world.reg
    reg.certify(CALIB, [world.bias(1)], ts(2020, None))
    before = sorted(names(reg))
    with pytest.raises(CollectionTypeError) as info:
        reg.copy_collection(RUN, "run-copy")
    assert info.value.collection == RUN
    with pytest.raises(ConflictingDefinitionError) as info2:
        reg.copy_collection(CALIB, RUN2)
    assert info2.value.collection == RUN2
    with pytest.raises(MissingCollectionError) as info3:
        reg.copy_collection("nope", "x")
    assert info3.value.collection == "nope"
    with pytest.raises(InvalidNameError):
        reg.copy_collection(CALIB, "")
    assert sorted(names(reg)) == before
    assert CollectionInfo(RUN2, CollectionType.RUN, None) in reg.list_collections()


def test_errors_share_one_root(backend: Registry) -> None:
    with pytest.raises(CalibCertError):
        backend.remove_collection("nope")
    with pytest.raises(CalibCertError):
        backend.register_collection("", CollectionType.RUN)

