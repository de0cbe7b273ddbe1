"""Behaviour suite: find, find_many, certifications. Runs on every backend."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    CalibrationLookupError,
    DataIdError,
    InvalidTimespanError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from helpers import CALIB, RUN, RUN2, US, World, bias_id, flat_id, rows, t, ts


def chain(reg: Registry, name: str, children: list[str]) -> str:
    reg.register_collection(name, CollectionType.CHAINED)
    reg.set_chain(name, children)
    return name


# -- find in a CALIBRATION collection ---------------------------------------------------


def test_find_instant_begin_inclusive_end_exclusive(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [b], ts(2021, None))

    def find(at):
        return reg.find(CALIB, "bias", bias_id(1), at=at)

    assert find(t(2020) - US) is None
    assert find(t(2020)) == a
    assert find(t(2021) - US) == a
    assert find(t(2021)) == b
    assert find(t(3000)) == b
    assert find(t(2020, 6)).run == RUN
    assert reg.find(CALIB, "bias", bias_id(2), at=t(2020, 6)) is None


def test_find_timespan_overlap(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [b], ts(2022, None))

    def find(span):
        return reg.find(CALIB, "bias", bias_id(1), at=span)

    assert find(ts(2019, 2020)) is None  # touches the begin only
    assert find(Timespan(t(2019), t(2020) + US)) == a
    assert find(ts(2020, 2021)) == a
    assert find(ts(2021, 2022)) is None  # the gap, touching both
    assert find(Timespan(t(2021), t(2022) + US)) == b
    assert find(ts(2023, None)) == b
    assert find(ts(None, 2020)) is None


def test_find_ambiguous(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [b], ts(2021, 2022))
    with pytest.raises(CalibrationLookupError) as info:
        reg.find(CALIB, "bias", bias_id(1), at=ts(2020, 2022))
    err = info.value
    assert err.collection == CALIB
    assert err.dataset_type == "bias"
    assert err.data_id == bias_id(1)
    assert set(err.datasets) == {a.id, b.id}
    with pytest.raises(CalibrationLookupError):
        reg.find(CALIB, "bias", bias_id(1), at=ts(None, None))


def test_find_ambiguous_with_the_same_dataset_twice(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [a], ts(2022, 2023))
    assert reg.find(CALIB, "bias", bias_id(1), at=ts(2020, 2022)) == a
    with pytest.raises(CalibrationLookupError) as info:
        reg.find(CALIB, "bias", bias_id(1), at=ts(2020, 2023))
    assert info.value.data_id == bias_id(1)


def test_find_ambiguous_beside_one_beginning_at_the_span_end(world: World) -> None:
    # The PostgreSQL probe reads a key's certifications newest begin first, from the span's
    # end (revision 0017): the newest may begin exactly at that exclusive end and not
    # overlap, and the two below it must still both be seen.
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [b], ts(2021, 2022))
    reg.certify(CALIB, [a], ts(2022, None))
    for call in (lambda span: reg.find(CALIB, "bias", bias_id(1), at=span),
                 lambda span: reg.find_many(CALIB, "bias", [(bias_id(1), span)])[0]):
        with pytest.raises(CalibrationLookupError) as info:
            call(ts(2020, 2022))
        assert set(info.value.datasets) == {a.id, b.id}
        assert call(ts(2021, 2022)) == b
        with pytest.raises(CalibrationLookupError):
            call(Timespan(t(2021, 6), t(2022) + US))
        assert call(t(2022)) == a
        assert call(t(2022) - US) == b


def test_find_lookup_errors(world: World) -> None:
    reg = world.reg
    with pytest.raises(MissingCollectionError) as info:
        reg.find("nope", "bias", bias_id(1), at=t(2020))
    assert info.value.collection == "nope"
    with pytest.raises(MissingDatasetTypeError) as info2:
        reg.find(CALIB, "nope", bias_id(1), at=t(2020))
    assert info2.value.dataset_type == "nope"
    with pytest.raises(DataIdError) as info3:
        reg.find(CALIB, "bias", {"instrument": "Cam"}, at=t(2020))
    assert info3.value.data_id == {"instrument": "Cam"}
    with pytest.raises(InvalidTimespanError):
        reg.find(CALIB, "bias", bias_id(1), at=datetime(2020, 1, 1))


# -- find through chains ----------------------------------------------------------------


def test_find_chain_order_decides(world: World) -> None:
    reg = world.reg
    reg.register_collection("calib/new", CollectionType.CALIBRATION)
    old = world.bias(1)
    new = world.bias(1, run=RUN2)
    reg.certify(CALIB, [old], ts(2020, None))
    reg.certify("calib/new", [new], ts(2022, None))
    chain(reg, "c1", ["calib/new", CALIB])
    chain(reg, "c2", [CALIB, "calib/new"])
    assert reg.find("c1", "bias", bias_id(1), at=t(2023)) == new
    assert reg.find("c1", "bias", bias_id(1), at=t(2021)) == old  # calib/new has no match
    assert reg.find("c2", "bias", bias_id(1), at=t(2023)) == old
    assert reg.find("c2", "bias", bias_id(1), at=t(2019)) is None


def test_find_nested_chains_depth_first(world: World) -> None:
    reg = world.reg
    for n in ("x", "y", "z"):
        reg.register_collection(n, CollectionType.CALIBRATION)
    refs = {}
    for n in ("x", "y", "z"):
        reg.register_collection(n + "-run", CollectionType.RUN)
        refs[n] = reg.insert_datasets("bias", n + "-run", [bias_id(1)])[0]
        reg.certify(n, [refs[n]], ts(2020, None))
    chain(reg, "inner", ["y", "x"])
    chain(reg, "outer", ["inner", "z"])
    chain(reg, "outer2", ["z", "inner"])
    assert reg.find("outer", "bias", bias_id(1), at=t(2021)) == refs["y"]
    assert reg.find("outer2", "bias", bias_id(1), at=t(2021)) == refs["z"]
    reg.decertify("y", "bias", ts(None, None))
    assert reg.find("outer", "bias", bias_id(1), at=t(2021)) == refs["x"]


def test_find_run_and_tagged_by_position(world: World) -> None:
    reg = world.reg
    reg.register_collection("tagged", CollectionType.TAGGED)
    in_run = world.bias(1)
    tagged = world.bias(1, run=RUN2)
    certified = world.bias(2)  # another key certified, to show per-key decisions
    reg.tag("tagged", [tagged])
    reg.certify(CALIB, [in_run, certified], ts(2020, 2021))
    chain(reg, "run-first", [RUN, CALIB])
    chain(reg, "calib-first", [CALIB, "tagged", RUN])
    chain(reg, "tagged-first", ["tagged", CALIB])
    # A RUN / TAGGED member matches for all time, also where the calibration has nothing.
    assert reg.find("run-first", "bias", bias_id(1), at=t(2030)) == in_run
    assert reg.find("tagged-first", "bias", bias_id(1), at=t(2020, 6)) == tagged
    # Behind a CALIBRATION member they only decide where it has no match.
    assert reg.find("calib-first", "bias", bias_id(1), at=t(2020, 6)) == in_run
    assert reg.find("calib-first", "bias", bias_id(1), at=t(2030)) == tagged
    assert reg.find("calib-first", "bias", bias_id(2), at=t(2020, 6)) == certified
    assert reg.find("calib-first", "bias", bias_id(2), at=t(2030)) == certified  # from RUN
    # at=None skips CALIBRATION members.
    assert reg.find("calib-first", "bias", bias_id(1), at=None) == tagged
    assert reg.find(CALIB, "bias", bias_id(1), at=None) is None
    assert reg.find(RUN, "bias", bias_id(1), at=t(1900)) == in_run


def test_find_ambiguity_only_in_the_deciding_member(world: World) -> None:
    reg = world.reg
    reg.register_collection("calib/b", CollectionType.CALIBRATION)
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify("calib/b", [a], ts(2020, 2021))
    reg.certify("calib/b", [b], ts(2021, 2022))
    chain(reg, "one-first", [CALIB, "calib/b"])
    chain(reg, "two-first", ["calib/b", CALIB])
    assert reg.find("one-first", "bias", bias_id(1), at=ts(2020, 2022)) == a
    with pytest.raises(CalibrationLookupError) as info:
        reg.find("two-first", "bias", bias_id(1), at=ts(2020, 2022))
    assert info.value.collection == "calib/b"


# -- find_many --------------------------------------------------------------------------


def test_find_many_matches_find(world: World) -> None:
    reg = world.reg
    reg.register_collection("tagged", CollectionType.TAGGED)
    b1, b2, b3 = world.biases(1, 2, 3)
    c1 = world.bias(1, run=RUN2)
    reg.certify(CALIB, [b1, b2], ts(2020, 2021))
    reg.certify(CALIB, [c1], ts(2021, None))
    reg.tag("tagged", [b3])
    chain(reg, "chain", [CALIB, "tagged"])
    queries = [
        (bias_id(1), t(2020, 6)),
        (bias_id(1), t(2021)),
        (bias_id(3), t(2020, 6)),
        (bias_id(2), ts(2019, 2020)),
        (bias_id(2), ts(2019, None)),
        (bias_id(1), None),
        (bias_id(3), None),
        (bias_id(4), t(2020, 6)),  # never inserted
        (bias_id(1), t(2020, 6)),  # repeated query
    ]
    found = reg.find_many("chain", "bias", queries)
    assert found == [b1, c1, b3, None, b2, None, b3, None, b1]
    assert found == [reg.find("chain", "bias", d, at=a) for d, a in queries]
    # Every data ID stored (the batch above takes the validating path for bias_id(4)): each
    # distinct data ID resolved once, repeats and order kept.
    stored = [q for q in queries if q[0] != bias_id(4)] * 3
    assert reg.find_many("chain", "bias", stored) == [b1, c1, b3, None, b2, None, b3, b1] * 3
    assert reg.find_many("chain", "bias", []) == []


def test_find_many_ambiguous_and_bad_queries(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [a], ts(2022, 2023))
    with pytest.raises(CalibrationLookupError) as info:
        reg.find_many(CALIB, "bias", [(bias_id(2), t(2020)), (bias_id(1), ts(None, None))])
    assert info.value.data_id == bias_id(1)
    with pytest.raises(DataIdError):
        reg.find_many(CALIB, "bias", [(bias_id(1), t(2020)), ({"detector": 1}, t(2020))])


# -- certifications ---------------------------------------------------------------------


def test_certifications_rows(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    f1 = world.flat(1)
    reg.certify(CALIB, [b1, f1], ts(2020, None))
    reg.certify(CALIB, [b2], ts(None, 2021))
    certs = reg.certifications(CALIB)
    assert len(certs) == 3
    by_id = {c.ref.id: c for c in certs}
    assert by_id[b1.id].ref == b1 and by_id[b1.id].timespan == ts(2020, None)
    assert by_id[f1.id].ref == f1 and by_id[f1.id].ref.data_id == flat_id(1)
    assert by_id[b2.id].timespan == ts(None, 2021)
    assert {c.collection for c in certs} == {CALIB}
    assert rows(reg, CALIB, "flat") == {(CALIB, f1.id, ts(2020, None))}
    assert reg.certifications(CALIB, "raw") == []
    with pytest.raises(MissingDatasetTypeError):
        reg.certifications(CALIB, "nope")
    with pytest.raises(MissingCollectionError):
        reg.certifications("nope")


def test_certifications_through_a_chain_name_the_child(world: World) -> None:
    reg = world.reg
    reg.register_collection("calib/b", CollectionType.CALIBRATION)
    reg.register_collection("tagged", CollectionType.TAGGED)
    a = world.bias(1)
    f = world.flat(1)
    reg.certify(CALIB, [a], ts(2020, None))
    reg.certify("calib/b", [a], ts(2020, None))
    reg.certify("calib/b", [f], ts(2020, None))
    reg.tag("tagged", [a])
    chain(reg, "inner", ["calib/b"])
    chain(reg, "chain", [RUN, "tagged", CALIB, "inner"])
    assert rows(reg, "chain") == {
        (CALIB, a.id, ts(2020, None)), ("calib/b", a.id, ts(2020, None)),
        ("calib/b", f.id, ts(2020, None))}
    # A collection reached twice through nested chains is listed once.
    chain(reg, "diamond", [CALIB, "inner", "chain"])
    assert rows(reg, "diamond") == rows(reg, "chain")
    assert rows(reg, "chain", "bias") == {
        (CALIB, a.id, ts(2020, None)), ("calib/b", a.id, ts(2020, None))}


def test_lookups_accept_uuid_refs_roundtrip(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    reg.certify(CALIB, [a.id], ts(2020, None))
    found = reg.find(CALIB, "bias", bias_id(1), at=t(2021))
    assert found == a and isinstance(found.id, uuid.UUID)
