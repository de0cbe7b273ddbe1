"""Behaviour suite: find_many reads each distinct data ID of a call once
(calibcert.query_batch): a batch repeating data IDs, in the same or other spellings,
answers every pair exactly as that pair alone would be answered. Runs on every backend."""

from __future__ import annotations

import unicodedata
from types import MappingProxyType

import pytest

from calibcert.errors import DataIdError, InvalidTimespanError
from conftest import BACKENDS
from helpers import CALIB, INSTRUMENT, RUN, RUN2, World, bias_id, make_world, t, ts


def _two_epochs(world: World):
    a, b = world.biases(1, 2)
    a2, b2 = world.biases(1, 2, run=RUN2)
    world.reg.certify(CALIB, [a, b], ts(2020, 2021))
    world.reg.certify(CALIB, [a2, b2], ts(2021, None))
    return a, b, a2, b2


def test_repeats_in_other_spellings_answer_each_pair_in_order(world: World) -> None:
    a, b, a2, b2 = _two_epochs(world)
    reversed_1 = {"detector": 1, "instrument": INSTRUMENT}  # another key order
    queries = [
        (bias_id(1), t(2020, 6)),
        (reversed_1, t(2021, 6)),
        (MappingProxyType(bias_id(1)), t(2020, 6)),  # a Mapping, not a dict
        (bias_id(2), t(2021, 6)),
        (bias_id(1), t(2021, 6)),
        (reversed_1, t(2019)),  # before any certification
        (bias_id(2), t(2020, 6)),
        ({"instrument": INSTRUMENT, "detector": 3}, t(2020, 6)),  # never stored
        (bias_id(1), t(2020, 7)),
    ]
    got = world.reg.find_many(CALIB, "bias", queries)
    assert got == [a, a2, a, b2, a2, None, b, None, a]
    # the same answers as each pair alone
    assert got == [world.reg.find(CALIB, "bias", d, at) for d, at in queries]
    assert [r.data_id for r in got if r is not None] == [
        bias_id(1), bias_id(1), bias_id(1), bias_id(2), bias_id(1), bias_id(2), bias_id(1)]


def test_repeated_string_values_in_both_normal_forms_are_one_data_id(world: World) -> None:
    reg = world.reg
    composed = unicodedata.normalize("NFC", "caf\u00e9")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    reg.register_dataset_type("note", ["instrument", "label"], is_calibration=True)
    (ref,) = reg.insert_datasets("note", RUN, [{"instrument": INSTRUMENT,
                                                       "label": composed}])
    reg.certify(CALIB, [ref], ts(2020, None))
    got = reg.find_many(CALIB, "note", [
        ({"instrument": INSTRUMENT, "label": decomposed}, t(2021)),
        ({"instrument": INSTRUMENT, "label": composed}, t(2021)),
        ({"instrument": INSTRUMENT, "label": decomposed}, t(2019)),
        ({"instrument": INSTRUMENT, "label": decomposed}, t(2022))])
    assert got == [ref, ref, None, ref]
    assert got[0].data_id["label"] == composed and got[3].data_id["label"] == composed


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_a_repeat_equal_in_value_but_not_in_type_is_checked_on_its_own(
        world: World, bad: object) -> None:
    # True == 1 == 1.0 and they hash alike: a batch must not take the second pair for a
    # repeat of the first. The error is the one that data ID gets alone.
    a, _b, _a2, _b2 = _two_epochs(world)
    wrong = {"instrument": INSTRUMENT, "detector": bad}
    with pytest.raises(DataIdError) as alone:
        world.reg.find(CALIB, "bias", wrong, t(2020, 6))
    with pytest.raises(DataIdError) as batched:
        world.reg.find_many(CALIB, "bias", [(bias_id(1), t(2020, 6)), (wrong, t(2020, 6))])
    assert str(batched.value) == str(alone.value)
    assert batched.value.details == alone.value.details
    assert world.reg.find_many(CALIB, "bias", [(bias_id(1), t(2020, 6))]) == [a]


def test_the_first_bad_pair_raises_even_after_repeats(world: World) -> None:
    _two_epochs(world)
    bad_id = {"instrument": INSTRUMENT, "detector": True}
    repeats = [(bias_id(1), t(2020, 6))] * 3
    with pytest.raises(DataIdError):
        world.reg.find_many(CALIB, "bias", [*repeats, (bad_id, t(2020, 6)),
                                            (bias_id(1), "not a time")])
    with pytest.raises(InvalidTimespanError):
        world.reg.find_many(CALIB, "bias", [*repeats, (bias_id(1), "not a time"),
                                            (bad_id, t(2020, 6))])


def test_refs_of_a_repeated_data_id_do_not_share_it(world: World) -> None:
    a, _b, a2, _b2 = _two_epochs(world)
    asked = bias_id(1)
    got = world.reg.find_many(CALIB, "bias", [(asked, t(2020, 6)), (asked, t(2021, 6)),
                                              (asked, t(2020, 7))])
    assert got == [a, a2, a]
    got[0].data_id["detector"] = 99  # the caller's to change: no other ref sees it
    assert got[1].data_id == bias_id(1) and got[2].data_id == bias_id(1)
    assert asked == bias_id(1)
    again = world.reg.find_many(CALIB, "bias", [(asked, t(2020, 6))] * 2, as_of=None)
    again[1].data_id["detector"] = 98
    assert again[0].data_id == bias_id(1)


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def committing(request) -> World:
    """The standard world on a registry whose calls commit (epochs need commits)."""
    return make_world(request.getfixturevalue(BACKENDS[request.param]))


def test_repeats_as_of_an_epoch_answer_each_pair(committing: World) -> None:
    world = committing
    a, b, a2, b2 = _two_epochs(world)
    epoch = world.reg.current_epoch()
    world.reg.decertify(CALIB, "bias", ts(2020, None))
    queries = [(bias_id(1), t(2020, 6)), (bias_id(2), t(2021, 6)), (bias_id(1), t(2021, 6)),
               ({"detector": 2, "instrument": INSTRUMENT}, t(2020, 6))]
    assert world.reg.find_many(CALIB, "bias", queries) == [None] * 4
    got = world.reg.find_many(CALIB, "bias", queries, as_of=epoch)
    assert got == [a, b2, a2, b]
    got[0].data_id["detector"] = 99
    assert got[2].data_id == bias_id(1)


class _Sly(str):
    """A str that claims to equal every other one (and hashes alike)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


def _outcome(call):
    try:
        return ("answer", call())
    except DataIdError as exc:
        return ("error", str(exc))


def test_values_of_other_types_are_never_taken_for_repeats(world: World) -> None:
    # Only exactly-int / exactly-str spellings are recognised as repeats: a caller's own
    # type decides its own equality, and must not make one data ID answer for another.
    # (Whether such a value is accepted at all is the backend's rule, unchanged: the batch
    # answers, or fails, as its pairs one by one do.)
    _two_epochs(world)
    cam = {"instrument": _Sly(INSTRUMENT), "detector": 1}
    other = {"instrument": _Sly("Other"), "detector": 1}
    queries = [(cam, t(2020, 6)), (other, t(2020, 6))]
    alone = [_outcome(lambda d=d, at=at: world.reg.find(CALIB, "bias", d, at))
             for d, at in queries]
    errors = [o for o in alone if o[0] == "error"]
    expected = errors[0] if errors else ("answer", [o[1] for o in alone])
    assert _outcome(lambda: world.reg.find_many(CALIB, "bias", queries)) == expected
