"""Behaviour suite: dataset types, datasets, TAGGED membership. Runs on every backend."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from calibcert import CollectionType, DatasetRef, DatasetTypeInfo, Registry
from calibcert.errors import (
    CollectionTypeError,
    ConflictingDefinitionError,
    DataIdError,
    InvalidArgumentError,
    InvalidNameError,
    MissingCollectionError,
    MissingDatasetError,
    MissingDatasetTypeError,
)
from helpers import CALIB, INSTRUMENT, RUN, RUN2, World, bias_id, flat_id


def types_by_name(reg: Registry) -> dict[str, DatasetTypeInfo]:
    return {d.name: d for d in reg.list_dataset_types()}


# -- register_dataset_type --------------------------------------------------------------


def test_register_dataset_type_same_definition_is_a_noop(backend: Registry) -> None:
    assert backend.register_dataset_type("bias", ("instrument", "detector")) is True
    assert backend.register_dataset_type("bias", ["instrument", "detector"], True) is False
    assert backend.register_dataset_type("raw", ("instrument",), is_calibration=False) is True
    assert types_by_name(backend) == {
        "bias": DatasetTypeInfo("bias", ("instrument", "detector"), True),
        "raw": DatasetTypeInfo("raw", ("instrument",), False),
    }


@pytest.mark.parametrize(
    ("dimensions", "is_calibration"),
    [
        (("instrument",), True),
        (("instrument", "detector", "exposure"), True),
        (("detector", "instrument"), True),  # the order of dimensions is part of the definition
        (("instrument", "detector"), False),
    ],
)
def test_register_dataset_type_different_definition(
    backend: Registry, dimensions: tuple[str, ...], is_calibration: bool
) -> None:
    backend.register_dataset_type("bias", ("instrument", "detector"))
    with pytest.raises(ConflictingDefinitionError) as info:
        backend.register_dataset_type("bias", dimensions, is_calibration)
    assert info.value.dataset_type == "bias"
    assert types_by_name(backend) == {
        "bias": DatasetTypeInfo("bias", ("instrument", "detector"), True)
    }


def test_register_dataset_type_bad_arguments(backend: Registry) -> None:
    with pytest.raises(InvalidNameError):
        backend.register_dataset_type("", ("instrument",))
    with pytest.raises(InvalidNameError):
        backend.register_dataset_type("x" * 256, ("instrument",))
    with pytest.raises(InvalidNameError):
        backend.register_dataset_type("bias", ("instr\nument",))
    with pytest.raises(InvalidArgumentError):
        backend.register_dataset_type("bias", ("detector", "detector"))
    assert backend.list_dataset_types() == []


# -- insert_datasets --------------------------------------------------------------------


def test_insert_datasets_returns_refs_in_input_order(world: World) -> None:
    reg = world.reg
    data_ids = [bias_id(d) for d in (5, 1, 3, 2, 4)]
    refs = reg.insert_datasets("bias", RUN, data_ids)
    assert [r.data_id for r in refs] == data_ids
    assert all(r.dataset_type == "bias" and r.run == RUN for r in refs)
    assert len({r.id for r in refs}) == 5
    assert all(isinstance(r.id, uuid.UUID) for r in refs)
    assert reg.get_datasets([r.id for r in reversed(refs)]) == list(reversed(refs))
    assert reg.insert_datasets("bias", RUN, []) == []


def test_insert_datasets_with_own_ids(world: World) -> None:
    reg = world.reg
    own = [uuid.uuid4(), uuid.uuid4()]
    refs = reg.insert_datasets("flat", RUN, [flat_id(1), flat_id(1, "g")], ids=own)
    assert [r.id for r in refs] == own
    assert reg.get_datasets(own) == refs
    # String ids are accepted as well.
    third = uuid.uuid4()
    assert reg.insert_datasets("flat", RUN2, [flat_id(1)], ids=[str(third)])[0].id == third


def test_insert_datasets_existing_id(world: World) -> None:
    reg = world.reg
    ref = world.bias(1)
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN2, [bias_id(2), bias_id(3)], ids=[uuid.uuid4(), ref.id])
    assert info.value.dataset == ref.id
    assert reg.query_datasets(RUN2, "bias") == []


def test_insert_datasets_duplicate_in_call(world: World) -> None:
    reg = world.reg
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, [bias_id(1), bias_id(2), {"detector": 1,
                                                                   "instrument": INSTRUMENT}])
    assert info.value.data_id == bias_id(1)
    assert reg.query_datasets(RUN, "bias") == []


def test_insert_datasets_duplicate_in_run(world: World) -> None:
    reg = world.reg
    first = world.bias(1)
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.insert_datasets("bias", RUN, [bias_id(2), bias_id(1)])
    assert info.value.data_id == bias_id(1)
    assert info.value.collection == RUN
    assert reg.query_datasets(RUN, "bias") == [first]


def test_same_data_id_in_two_runs_and_types(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    assert a.id != b.id and a.data_id == b.data_id
    assert reg.find(RUN, "bias", bias_id(1), at=None) == a
    assert reg.find(RUN2, "bias", bias_id(1), at=None) == b
    # The same values under another dataset type are another dataset.
    reg.register_dataset_type("dark", ("instrument", "detector"))
    c = reg.insert_datasets("dark", RUN, [bias_id(1)])[0]
    assert reg.find(RUN, "dark", bias_id(1), at=None) == c
    assert reg.find(RUN, "bias", bias_id(1), at=None) == a


def test_insert_datasets_collection_errors(world: World) -> None:
    reg = world.reg
    with pytest.raises(CollectionTypeError) as info:
        reg.insert_datasets("bias", CALIB, [bias_id(1)])
    assert info.value.collection == CALIB
    with pytest.raises(MissingCollectionError) as info2:
        reg.insert_datasets("bias", "nope", [bias_id(1)])
    assert info2.value.collection == "nope"
    with pytest.raises(MissingDatasetTypeError) as info3:
        reg.insert_datasets("nope", RUN, [bias_id(1)])
    assert info3.value.dataset_type == "nope"
    with pytest.raises(InvalidArgumentError):
        reg.insert_datasets("bias", RUN, [bias_id(1)], ids=[uuid.uuid4(), uuid.uuid4()])
    assert reg.query_datasets(RUN, "bias") == []


BAD_DATA_IDS: list[Any] = [
    {"instrument": INSTRUMENT},  # missing key
    {"instrument": INSTRUMENT, "detector": 1, "exposure": 3},  # extra key
    {"instrument": INSTRUMENT, "detector": 1.0},  # float, even an integral one
    {"instrument": INSTRUMENT, "detector": 2.5},
    {"instrument": INSTRUMENT, "detector": True},  # bool is not an int here
    {"instrument": INSTRUMENT, "detector": None},
    {"instrument": INSTRUMENT, "detector": {"id": 1}},  # nested
    {"instrument": INSTRUMENT, "detector": [1]},
    {"instrument": INSTRUMENT, "detector": 2**63},  # beyond 64-bit
    {"instrument": "C\x00am", "detector": 1},  # NUL: jsonb cannot hold it
    {"instrument": INSTRUMENT, "detector": 1, "de\x00tector": 1},
]


@pytest.mark.parametrize("bad", BAD_DATA_IDS, ids=lambda d: repr(d))
def test_insert_datasets_bad_data_ids(world: World, bad: dict[str, Any]) -> None:
    reg = world.reg
    with pytest.raises(DataIdError) as info:
        reg.insert_datasets("bias", RUN, [bias_id(1), bad])
    assert info.value.data_id == bad
    assert reg.query_datasets(RUN, "bias") == []


def test_data_id_not_a_mapping(world: World) -> None:
    with pytest.raises(DataIdError):
        world.reg.insert_datasets("bias", RUN, [("Cam", 1)])  # type: ignore[list-item]


def test_int_and_str_values_are_never_two_keys(world: World) -> None:
    # Issue 14: a dimension's value type is fixed at first use (calib.dimension), so 1 and
    # "1" can never be two keys; a lookup with the other type is an error, not a miss.
    # (Until revision 0010 this test asserted the opposite: two datasets.)
    reg = world.reg
    as_int = reg.insert_datasets("bias", RUN, [bias_id(1)])[0]
    with pytest.raises(DataIdError) as info:
        reg.insert_datasets("bias", RUN, [{"instrument": INSTRUMENT, "detector": "1"}])
    assert info.value.details["kind"] == "data_id_value_type"
    assert (info.value.dimension, info.value.value_type, info.value.value) == (
        "detector", "integer", "1")
    with pytest.raises(DataIdError):
        reg.find(RUN, "bias", {"instrument": INSTRUMENT, "detector": "1"}, at=None)
    assert reg.find(RUN, "bias", bias_id(1), at=None) == as_int
    assert reg.query_datasets(RUN, "bias") == [as_int]


def test_get_and_query_datasets(world: World) -> None:
    reg = world.reg
    refs = world.biases(1, 2, 3)
    missing = uuid.uuid4()
    with pytest.raises(MissingDatasetError) as info:
        reg.get_datasets([refs[0].id, missing])
    assert info.value.dataset == missing
    assert sorted(reg.query_datasets(RUN, "bias"), key=lambda r: r.data_id["detector"]) == refs
    assert reg.query_datasets(RUN, "bias", where={"detector": 2}) == [refs[1]]
    assert reg.query_datasets(RUN, "flat") == []


def test_query_datasets_where_names_only_dimensions(world: World) -> None:
    # A misspelt dimension is an error naming it, not an empty result (revision 0011).
    reg = world.reg
    world.biases(1, 2)
    with pytest.raises(DataIdError) as info:
        reg.query_datasets(RUN, "bias", where={"detectr": 1, "detector": 1})
    assert info.value.kind == "data_id_dimensions" and info.value.sqlstate == "KC008"
    assert info.value.details["unexpected"] == ["detectr"]
    assert info.value.details["missing"] == []
    assert "unexpected detectr" in str(info.value)


# -- tag / untag ------------------------------------------------------------------------


@pytest.fixture
def tagged(world: World) -> str:
    world.reg.register_collection("tagged", CollectionType.TAGGED)
    return "tagged"


def members(reg: Registry, collection: str) -> set[DatasetRef]:
    return set(reg.query_datasets(collection, "bias"))


def test_tag_and_untag(world: World, tagged: str) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    assert reg.tag(tagged, [b1, b2]) == 2
    assert members(reg, tagged) == {b1, b2}
    assert reg.tag(tagged, [b1]) == 0  # already there: a no-op
    assert reg.tag(tagged, [b1, b1]) == 0
    assert reg.tag(tagged, [str(b2.id)]) == 0
    assert reg.untag(tagged, [b1]) == 1
    assert members(reg, tagged) == {b2}
    assert reg.untag(tagged, [b1]) == 0  # not a member: a no-op
    assert members(reg, tagged) == {b2}
    assert reg.find(tagged, "bias", bias_id(2), at=None) == b2
    assert reg.find(tagged, "bias", bias_id(1), at=None) is None


def test_tag_one_dataset_per_data_id(world: World, tagged: str) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.tag(tagged, [a])
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.tag(tagged, [b])
    err = info.value
    assert err.collection == tagged
    assert err.data_id == bias_id(1)
    assert {err.dataset, err.conflicting_dataset} == {a.id, b.id}
    assert members(reg, tagged) == {a}
    # Swapping is untag then tag.
    reg.untag(tagged, [a])
    assert reg.tag(tagged, [b]) == 1
    assert members(reg, tagged) == {b}


def test_tag_conflict_within_one_call_tags_nothing(world: World, tagged: str) -> None:
    reg = world.reg
    other = world.bias(2)
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    with pytest.raises(ConflictingDefinitionError) as info:
        reg.tag(tagged, [other, a, b])
    assert info.value.data_id == bias_id(1)
    assert {info.value.dataset, info.value.conflicting_dataset} == {a.id, b.id}
    assert members(reg, tagged) == set()


def test_tag_errors(world: World, tagged: str) -> None:
    reg = world.reg
    b1 = world.bias(1)
    missing = uuid.uuid4()
    with pytest.raises(MissingDatasetError) as info:
        reg.tag(tagged, [b1, missing])
    assert info.value.dataset == missing
    assert members(reg, tagged) == set()
    with pytest.raises(CollectionTypeError) as info2:
        reg.tag(CALIB, [b1])
    assert info2.value.collection == CALIB
    with pytest.raises(CollectionTypeError):
        reg.untag(RUN, [b1])
    with pytest.raises(MissingCollectionError):
        reg.tag("nope", [b1])
    with pytest.raises(InvalidArgumentError):
        reg.tag(tagged, b1)  # type: ignore[arg-type]  # a single ref, not a list
