"""Behaviour suite: certify, certify_series, decertify, close_open_range, transactions.

Every failing call is checked for its error class, the facts it names, and that it changed
nothing (certifications compared before / after). Runs on every backend.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from calibcert import CollectionType, Timespan
from calibcert.errors import (
    CollectionTypeError,
    ConflictingCertificationError,
    DataIdError,
    DatasetTypeError,
    InvalidTimespanError,
    MissingCollectionError,
    MissingDatasetError,
    MissingDatasetTypeError,
)
from helpers import (
    CALIB,
    RUN,
    RUN2,
    US,
    World,
    bias_id,
    flat_id,
    rows,
    spans,
    t,
    ts,
)

# -- certify ----------------------------------------------------------------------------


def test_certify_stores_one_row_per_dataset(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    assert reg.certify(CALIB, [b1, b2], ts(2020, 2021)) == 2
    assert rows(reg) == {(CALIB, b1.id, ts(2020, 2021)), (CALIB, b2.id, ts(2020, 2021))}
    assert reg.certify(CALIB, [], ts(2021, 2022)) == 0
    assert reg.certify(CALIB, [str(b1.id)], (t(2021), t(2022))) == 1  # ids and (begin, end)


def test_certify_adjacent_spans_do_not_overlap(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [b], ts(2021, 2022))
    reg.certify(CALIB, [b], ts(None, 2020))
    reg.certify(CALIB, [a], ts(2022, None))
    assert spans(reg, CALIB, "bias", bias_id(1)) == [
        (b.id, ts(None, 2020)), (a.id, ts(2020, 2021)), (b.id, ts(2021, 2022)),
        (a.id, ts(2022, None)),
    ]


def test_certify_same_dataset_in_disjoint_spans(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    reg.certify(CALIB, [a], ts(2020, 2021))
    reg.certify(CALIB, [a], ts(2023, 2024))
    assert spans(reg, CALIB, "bias", bias_id(1)) == [(a.id, ts(2020, 2021)), (a.id, ts(2023, 2024))]
    with pytest.raises(ConflictingCertificationError):
        reg.certify(CALIB, [a], ts(2020, 2024))


def test_certify_overlap_with_stored_row(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    other = world.bias(2)
    reg.certify(CALIB, [a], ts(2020, 2022))
    before = rows(reg)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [other, b], ts(2021, 2023))
    err = info.value
    assert err.collection == CALIB
    assert err.conflicts == [{
        "dataset_type": "bias", "data_id": bias_id(1),
        "dataset": b.id, "timespan": ts(2021, 2023),
        "conflicting_dataset": a.id, "conflicting_timespan": ts(2020, 2022),
    }]
    assert rows(reg) == before  # `other` (no conflict) was not stored either


def test_certify_lists_every_conflict(world: World) -> None:
    reg = world.reg
    old = world.biases(1, 2)
    new = world.biases(1, 2, run=RUN2)
    reg.certify(CALIB, old, ts(2020, None))
    before = rows(reg)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, new, ts(2024, 2025))
    conflicts = info.value.conflicts
    assert sorted((c["data_id"]["detector"], c["dataset"], c["conflicting_dataset"],
                   c["conflicting_timespan"]) for c in conflicts) == [
        (1, new[0].id, old[0].id, ts(2020, None)), (2, new[1].id, old[1].id, ts(2020, None))]
    assert rows(reg) == before


def test_certify_conflict_within_one_call(world: World) -> None:
    reg = world.reg
    reg.certify(CALIB, [world.bias(3)], ts(2019, 2020))
    before = rows(reg)
    ok = world.bias(2)
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [ok, a, b], ts(2020, 2021))
    (conflict,) = info.value.conflicts
    assert conflict["data_id"] == bias_id(1) and conflict["dataset_type"] == "bias"
    assert {conflict["dataset"], conflict["conflicting_dataset"]} == {a.id, b.id}
    assert conflict["timespan"] == conflict["conflicting_timespan"] == ts(2020, 2021)
    assert rows(reg) == before


def test_certify_unbounded_spans(world: World) -> None:
    reg = world.reg
    a, b, c = world.biases(1, 2, 3)
    reg.certify(CALIB, [a], ts(None, None))
    reg.certify(CALIB, [b], ts(None, 2020))
    reg.certify(CALIB, [c], ts(2020, None))
    before = rows(reg)
    a2, b2, c2 = world.biases(1, 2, 3, run=RUN2)
    for span in (ts(1900, 1901), ts(2100, 2101), ts(None, None)):
        with pytest.raises(ConflictingCertificationError):
            reg.certify(CALIB, [a2], span)
    with pytest.raises(ConflictingCertificationError):
        reg.certify(CALIB, [b2], ts(2019, 2021))
    with pytest.raises(ConflictingCertificationError):
        reg.certify(CALIB, [c2], Timespan(t(2019), t(2020, 1, 1, 0, 0, 0, 1)))
    assert rows(reg) == before
    reg.certify(CALIB, [b2], ts(2020, None))
    reg.certify(CALIB, [c2], ts(None, 2020))
    assert len(rows(reg)) == 5


def test_certify_keys_are_per_type_and_collection(world: World) -> None:
    reg = world.reg
    reg.register_collection("calib2", CollectionType.CALIBRATION)
    b = world.bias(1)
    f_r = world.flat(1, "r")
    f_g = world.flat(1, "g")
    reg.certify(CALIB, [b, f_r, f_g], ts(2020, None))
    reg.certify("calib2", [b], ts(2020, None))
    assert len(rows(reg)) == 3 and len(rows(reg, "calib2")) == 1


def test_certify_close_open_closes_earlier_open_range(world: World) -> None:
    reg = world.reg
    old1, old2 = world.biases(1, 2)
    new1, new2 = world.biases(1, 2, run=RUN2)
    reg.certify(CALIB, [old1], ts(2020, None))
    reg.certify(CALIB, [old2], ts(None, None))
    assert reg.certify(CALIB, [new1, new2], ts(2022, 2023), close_open=True) == 2
    assert spans(reg, CALIB, "bias", bias_id(1)) == [(old1.id, ts(2020, 2022)),
                                                      (new1.id, ts(2022, 2023))]
    assert spans(reg, CALIB, "bias", bias_id(2)) == [(old2.id, ts(None, 2022)),
                                                      (new2.id, ts(2022, 2023))]
    # Nothing open any more: close_open is then an ordinary certify.
    reg.certify(CALIB, [old1], ts(2023, None), close_open=True)
    reg.certify(CALIB, [new1], ts(2024, None), close_open=True)
    assert spans(reg, CALIB, "bias", bias_id(1))[-2:] == [(old1.id, ts(2023, 2024)),
                                                           (new1.id, ts(2024, None))]


@pytest.mark.parametrize("stored_begin", [2022, 2023], ids=["same-begin", "later-begin"])
def test_certify_close_open_does_not_close_a_range_beginning_at_or_after(
    world: World, stored_begin: int
) -> None:
    reg = world.reg
    old = world.bias(1)
    new = world.bias(1, run=RUN2)
    reg.certify(CALIB, [old], ts(stored_begin, None))
    before = rows(reg)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [new], ts(2022, None), close_open=True)
    (conflict,) = info.value.conflicts
    assert conflict["conflicting_dataset"] == old.id
    assert conflict["conflicting_timespan"] == ts(stored_begin, None)
    assert rows(reg) == before


def test_certify_close_open_conflict_undoes_the_close(world: World) -> None:
    reg = world.reg
    open1, bounded2 = world.biases(1, 2)
    new1, new2 = world.biases(1, 2, run=RUN2)
    reg.certify(CALIB, [open1], ts(2020, None))
    reg.certify(CALIB, [bounded2], ts(2020, 2025))
    before = rows(reg)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [new1, new2], ts(2022, None), close_open=True)
    (conflict,) = info.value.conflicts
    assert conflict["dataset"] == new2.id
    assert conflict["conflicting_dataset"] == bounded2.id
    assert conflict["conflicting_timespan"] == ts(2020, 2025)
    assert rows(reg) == before  # open1 is still open


def test_certify_close_open_unbounded_new_begin_closes_nothing(world: World) -> None:
    reg = world.reg
    old = world.bias(1)
    reg.certify(CALIB, [old], ts(2020, None))
    before = rows(reg)
    with pytest.raises(ConflictingCertificationError):
        reg.certify(CALIB, [world.bias(1, run=RUN2)], ts(None, 2030), close_open=True)
    assert rows(reg) == before


def test_certify_non_calibration_type(world: World) -> None:
    reg = world.reg
    b = world.bias(1)
    raw = world.raw(1)
    with pytest.raises(DatasetTypeError) as info:
        reg.certify(CALIB, [b, raw], ts(2020, None))
    assert info.value.dataset_type == "raw"
    assert rows(reg) == set()


def test_certify_missing_dataset(world: World) -> None:
    reg = world.reg
    b = world.bias(1)
    missing = uuid.uuid4()
    with pytest.raises(MissingDatasetError) as info:
        reg.certify(CALIB, [b, missing], ts(2020, None))
    assert info.value.dataset == missing
    assert rows(reg) == set()


def test_certify_collection_errors(world: World) -> None:
    reg = world.reg
    reg.register_collection("tagged", CollectionType.TAGGED)
    b = world.bias(1)
    for coll in (RUN, "tagged"):
        with pytest.raises(CollectionTypeError) as info:
            reg.certify(coll, [b], ts(2020, None))
        assert info.value.collection == coll
    with pytest.raises(MissingCollectionError) as info2:
        reg.certify("nope", [b], ts(2020, None))
    assert info2.value.collection == "nope"
    assert rows(reg) == set()


@pytest.mark.parametrize(
    "span",
    [
        (datetime(2020, 1, 1), datetime(2021, 1, 1)),  # naive
        (t(2020), datetime(2021, 1, 1)),
        (datetime(2020, 1, 1), None),
        (t(2020), t(2020)),  # empty
        (t(2021), t(2020)),  # reversed
        (t(2020) + US, t(2020)),
    ],
    ids=["naive", "naive-end", "naive-begin", "empty", "reversed", "reversed-1us"],
)
def test_certify_invalid_timespans(world: World, span: tuple) -> None:
    reg = world.reg
    b = world.bias(1)
    with pytest.raises(InvalidTimespanError):
        reg.certify(CALIB, [b], span)
    with pytest.raises(InvalidTimespanError):
        Timespan(*span)
    assert rows(reg) == set()


# -- certify_series ---------------------------------------------------------------------


def test_certify_series_derives_ends_per_key(world: World) -> None:
    reg = world.reg
    a1, a2 = world.biases(1, 2)
    b1, b2 = world.biases(1, 2, run=RUN2)
    items = [(b1, t(2022)), (a2, t(2020)), (a1, t(2020)), (b2, t(2021)), (a1, t(2024))]
    assert reg.certify_series(CALIB, items) == 5
    assert spans(reg, CALIB, "bias", bias_id(1)) == [
        (a1.id, ts(2020, 2022)), (b1.id, ts(2022, 2024)), (a1.id, ts(2024, None))]
    assert spans(reg, CALIB, "bias", bias_id(2)) == [
        (a2.id, ts(2020, 2021)), (b2.id, ts(2021, None))]


def test_certify_series_unbounded_first_begin(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify_series(CALIB, [(b, t(2020)), (a, None)])
    assert spans(reg, CALIB, "bias", bias_id(1)) == [(a.id, ts(None, 2020)),
                                                      (b.id, ts(2020, None))]


def test_certify_series_several_types(world: World) -> None:
    reg = world.reg
    b = world.bias(1)
    f = world.flat(1)
    f2 = world.flat(1, run=RUN2)
    reg.certify_series(CALIB, [(b, t(2020)), (f, t(2020)), (f2, t(2021))])
    assert spans(reg, CALIB, "bias", bias_id(1)) == [(b.id, ts(2020, None))]
    assert spans(reg, CALIB, "flat", flat_id(1)) == [(f.id, ts(2020, 2021)),
                                                      (f2.id, ts(2021, None))]


def test_certify_series_duplicate_begins(world: World) -> None:
    reg = world.reg
    a1, a2 = world.biases(1, 2)
    b1 = world.bias(1, run=RUN2)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify_series(CALIB, [(a2, t(2020)), (a1, t(2021)), (b1, t(2021))])
    (conflict,) = info.value.conflicts
    assert conflict["data_id"] == bias_id(1)
    assert {conflict["dataset"], conflict["conflicting_dataset"]} == {a1.id, b1.id}
    assert info.value.collection == CALIB
    assert rows(reg) == set()


def test_certify_series_close_open(world: World) -> None:
    reg = world.reg
    old = world.bias(1)
    a = world.bias(1, run=RUN2)
    reg.register_collection("run3", CollectionType.RUN)
    b = reg.insert_datasets("bias", "run3", [bias_id(1)])[0]
    reg.certify(CALIB, [old], ts(2018, None))
    reg.certify_series(CALIB, [(b, t(2022)), (a, t(2020))], close_open=True)
    assert spans(reg, CALIB, "bias", bias_id(1)) == [
        (old.id, ts(2018, 2020)), (a.id, ts(2020, 2022)), (b.id, ts(2022, None))]


def test_certify_series_conflicting_with_stored_rows_stores_nothing(world: World) -> None:
    reg = world.reg
    old1 = world.bias(1)
    reg.certify(CALIB, [old1], ts(2018, 2021))
    before = rows(reg)
    a1, a2 = world.biases(1, 2, run=RUN2)
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify_series(CALIB, [(a2, t(2019)), (a1, t(2020))], close_open=True)
    (conflict,) = info.value.conflicts
    assert conflict["dataset"] == a1.id and conflict["timespan"] == ts(2020, None)
    assert conflict["conflicting_dataset"] == old1.id
    assert conflict["conflicting_timespan"] == ts(2018, 2021)
    assert rows(reg) == before


def test_certify_series_errors(world: World) -> None:
    reg = world.reg
    b = world.bias(1)
    with pytest.raises(InvalidTimespanError):
        reg.certify_series(CALIB, [(b, datetime(2020, 1, 1))])
    with pytest.raises(DatasetTypeError):
        reg.certify_series(CALIB, [(b, t(2020)), (world.raw(1), t(2020))])
    with pytest.raises(MissingDatasetError):
        reg.certify_series(CALIB, [(b, t(2020)), (uuid.uuid4(), t(2021))])
    with pytest.raises(CollectionTypeError):
        reg.certify_series(RUN, [(b, t(2020))])
    assert rows(reg) == set()


# -- decertify --------------------------------------------------------------------------


def test_decertify_removes_shortens_and_splits(world: World) -> None:
    reg = world.reg
    covered, left, right, containing, outside = world.biases(1, 2, 3, 4, 5)
    reg.certify(CALIB, [covered], ts(2021, 2022))
    reg.certify(CALIB, [left], ts(2019, 2021))
    reg.certify(CALIB, [right], ts(2022, 2025))
    reg.certify(CALIB, [containing], ts(2019, 2025))
    reg.certify(CALIB, [outside], ts(2010, 2011))
    assert reg.decertify(CALIB, "bias", ts(2020, 2023)) == 4
    assert rows(reg) == {
        (CALIB, left.id, ts(2019, 2020)),
        (CALIB, right.id, ts(2023, 2025)),
        (CALIB, containing.id, ts(2019, 2020)),
        (CALIB, containing.id, ts(2023, 2025)),
        (CALIB, outside.id, ts(2010, 2011)),
    }


def test_decertify_touching_spans_are_not_touched(world: World) -> None:
    reg = world.reg
    a, b = world.biases(1, 2)
    reg.certify(CALIB, [a], ts(2019, 2020))
    reg.certify(CALIB, [b], ts(2021, 2022))
    before = rows(reg)
    assert reg.decertify(CALIB, "bias", ts(2020, 2021)) == 0
    assert rows(reg) == before


def test_decertify_filters_by_data_id_and_type(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    f1 = world.flat(1)
    reg.certify(CALIB, [b1, b2, f1], ts(2020, None))
    assert reg.decertify(CALIB, "bias", ts(2021, None), data_ids=[bias_id(2), bias_id(9)]) == 1
    assert rows(reg) == {(CALIB, b1.id, ts(2020, None)), (CALIB, b2.id, ts(2020, 2021)),
                         (CALIB, f1.id, ts(2020, None))}
    assert reg.decertify(CALIB, "bias", ts(2021, None), data_ids=[]) == 0
    assert reg.decertify(CALIB, "flat", ts(None, None)) == 1
    assert rows(reg, dataset_type="flat") == set()


def test_decertify_unbounded_spans(world: World) -> None:
    reg = world.reg
    a, b = world.biases(1, 2)
    reg.certify(CALIB, [a], ts(None, None))
    reg.certify(CALIB, [b], ts(2020, 2022))
    assert reg.decertify(CALIB, "bias", ts(None, 2021)) == 2
    assert rows(reg) == {(CALIB, a.id, ts(2021, None)), (CALIB, b.id, ts(2021, 2022))}
    assert reg.decertify(CALIB, "bias", ts(2030, None)) == 1
    assert rows(reg) == {(CALIB, a.id, ts(2021, 2030)), (CALIB, b.id, ts(2021, 2022))}
    assert reg.decertify(CALIB, "bias", ts(None, None)) == 2
    assert rows(reg) == set()


def test_decertify_nothing_matching_is_a_noop(world: World) -> None:
    reg = world.reg
    assert reg.decertify(CALIB, "bias", ts(None, None)) == 0
    reg.certify(CALIB, [world.bias(1)], ts(2020, 2021))
    before = rows(reg)
    assert reg.decertify(CALIB, "bias", ts(2022, 2023)) == 0
    assert reg.decertify(CALIB, "flat", ts(None, None)) == 0
    assert reg.decertify(CALIB, "bias", ts(None, None), data_ids=[bias_id(7)]) == 0
    assert rows(reg) == before


def test_decertify_errors(world: World) -> None:
    reg = world.reg
    reg.certify(CALIB, [world.bias(1)], ts(2020, 2021))
    before = rows(reg)
    with pytest.raises(DatasetTypeError) as info:
        reg.decertify(CALIB, "raw", ts(None, None))
    assert info.value.dataset_type == "raw"
    with pytest.raises(MissingDatasetTypeError) as info2:
        reg.decertify(CALIB, "nope", ts(None, None))
    assert info2.value.dataset_type == "nope"
    with pytest.raises(CollectionTypeError) as info3:
        reg.decertify(RUN, "bias", ts(None, None))
    assert info3.value.collection == RUN
    with pytest.raises(MissingCollectionError):
        reg.decertify("nope", "bias", ts(None, None))
    with pytest.raises(DataIdError) as info4:
        reg.decertify(CALIB, "bias", ts(None, None), data_ids=[{"detector": 1}])
    assert info4.value.data_id == {"detector": 1}
    with pytest.raises(InvalidTimespanError):
        reg.decertify(CALIB, "bias", (t(2021), t(2020)))
    assert rows(reg) == before


# -- close_open_range -------------------------------------------------------------------


def test_close_open_range_closes_only_open_ones(world: World) -> None:
    reg = world.reg
    b1, b2, b3 = world.biases(1, 2, 3)
    f1 = world.flat(1)
    reg.certify(CALIB, [b1, f1], ts(2020, None))
    reg.certify(CALIB, [b2], ts(None, None))
    reg.certify(CALIB, [b3], ts(2020, 2021))
    assert reg.close_open_range(CALIB, "bias", t(2022)) == 2
    assert rows(reg) == {
        (CALIB, b1.id, ts(2020, 2022)), (CALIB, b2.id, ts(None, 2022)),
        (CALIB, b3.id, ts(2020, 2021)), (CALIB, f1.id, ts(2020, None))}
    assert reg.close_open_range(CALIB, "bias", t(2023)) == 0


def test_close_open_range_data_ids_filter(world: World) -> None:
    reg = world.reg
    b1, b2 = world.biases(1, 2)
    reg.certify(CALIB, [b1, b2], ts(2020, None))
    assert reg.close_open_range(CALIB, "bias", t(2022), data_ids=[bias_id(2)]) == 1
    assert rows(reg) == {(CALIB, b1.id, ts(2020, None)), (CALIB, b2.id, ts(2020, 2022))}
    assert reg.close_open_range(CALIB, "bias", t(2022), data_ids=[]) == 0


@pytest.mark.parametrize("end", [t(2021), t(2020, 6)], ids=["at-begin", "before-begin"])
def test_close_open_range_refuses_end_not_after_begin(world: World, end: datetime) -> None:
    reg = world.reg
    early, late = world.biases(1, 2)
    reg.certify(CALIB, [early], ts(2019, None))
    reg.certify(CALIB, [late], ts(2021, None))
    before = rows(reg)
    with pytest.raises(InvalidTimespanError) as info:
        reg.close_open_range(CALIB, "bias", end)
    err = info.value
    assert err.collection == CALIB
    assert err.data_id == bias_id(2)
    assert err.dataset == late.id
    assert err.timespan == ts(2021, None)
    assert rows(reg) == before  # `early` was not closed either
    # Filtering out the offending data ID makes it fine.
    assert reg.close_open_range(CALIB, "bias", end, data_ids=[bias_id(1)]) == 1


def test_close_open_range_errors(world: World) -> None:
    reg = world.reg
    reg.certify(CALIB, [world.bias(1)], ts(2019, None))
    before = rows(reg)
    with pytest.raises(InvalidTimespanError):
        reg.close_open_range(CALIB, "bias", datetime(2022, 1, 1))
    with pytest.raises(DatasetTypeError):
        reg.close_open_range(CALIB, "raw", t(2022))
    with pytest.raises(CollectionTypeError):
        reg.close_open_range(RUN, "bias", t(2022))
    with pytest.raises(DataIdError):
        reg.close_open_range(CALIB, "bias", t(2022), data_ids=[{"instrument": "Cam"}])
    assert rows(reg) == before


# -- transaction() ----------------------------------------------------------------------


def test_transaction_commits_several_operations(world: World) -> None:
    reg = world.reg
    with reg.transaction():
        reg.register_collection("calib2", CollectionType.CALIBRATION)
        b = world.bias(1)
        reg.certify("calib2", [b], ts(2020, None))
        reg.close_open_range("calib2", "bias", t(2021))
    assert rows(reg, "calib2") == {("calib2", b.id, ts(2020, 2021))}


def test_transaction_exception_rolls_back_everything(world: World) -> None:
    reg = world.reg
    reg.certify(CALIB, [world.bias(9)], ts(2000, None))
    before = rows(reg)
    with pytest.raises(RuntimeError, match="boom"):
        with reg.transaction():
            reg.register_collection("calib2", CollectionType.CALIBRATION)
            b = world.bias(1)
            reg.certify(CALIB, [b], ts(2020, None))
            reg.decertify(CALIB, "bias", ts(None, None), data_ids=[bias_id(9)])
            raise RuntimeError("boom")
    assert "calib2" not in [c.name for c in reg.list_collections()]
    assert reg.query_datasets(RUN, "bias") == reg.query_datasets(RUN, "bias", {"detector": 9})
    assert rows(reg) == before


def test_transaction_failed_call_inside_changes_nothing(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    c = world.bias(2)
    with reg.transaction():
        reg.certify(CALIB, [a], ts(2020, None))
        with pytest.raises(ConflictingCertificationError):
            reg.certify(CALIB, [c, b], ts(2021, None), close_open=False)
        with pytest.raises(DataIdError):
            reg.insert_datasets("bias", RUN2, [bias_id(5), {"detector": 5}])
        reg.certify(CALIB, [b], ts(2021, None), close_open=True)
    assert rows(reg) == {(CALIB, a.id, ts(2020, 2021)), (CALIB, b.id, ts(2021, None))}
    assert reg.query_datasets(RUN2, "bias") == [b]


def test_transaction_nesting(world: World) -> None:
    reg = world.reg
    a, b, c = world.biases(1, 2, 3)
    with reg.transaction():
        reg.certify(CALIB, [a], ts(2020, None))
        with pytest.raises(RuntimeError):
            with reg.transaction():
                reg.certify(CALIB, [b], ts(2020, None))
                raise RuntimeError("inner")
        with reg.transaction():
            reg.certify(CALIB, [c], ts(2020, None))
    assert rows(reg) == {(CALIB, a.id, ts(2020, None)), (CALIB, c.id, ts(2020, None))}
    with pytest.raises(RuntimeError):
        with reg.transaction():
            with reg.transaction():
                reg.certify(CALIB, [b], ts(2020, None))
            raise RuntimeError("outer")
    assert rows(reg) == {(CALIB, a.id, ts(2020, None)), (CALIB, c.id, ts(2020, None))}
