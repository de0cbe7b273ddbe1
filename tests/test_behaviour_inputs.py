"""Behaviour suite: input hygiene (time zones, precision, data-ID values, big batches).
Runs on every backend."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

import calibcert
from calibcert import Timespan
from calibcert.errors import (
    ConflictingCertificationError,
    DataIdError,
    InvalidArgumentError,
    InvalidTimespanError,
    SchemaVersionError,
)
from helpers import CALIB, INSTRUMENT, RUN, RUN2, US, UTC, World, bias_id, rows, t, ts

PLUS5 = timezone(timedelta(hours=5))
MINUS8 = timezone(timedelta(hours=-8))


def test_non_utc_datetimes_are_their_utc_instant(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    begin = datetime(2020, 1, 1, 5, 0, tzinfo=PLUS5)  # 2020-01-01T00:00Z
    end = datetime(2020, 12, 31, 16, 0, tzinfo=MINUS8)  # 2021-01-01T00:00Z
    reg.certify(CALIB, [a], Timespan(begin, end))
    (cert,) = reg.certifications(CALIB)
    assert cert.timespan == ts(2020, 2021)
    for value in (cert.timespan.begin, cert.timespan.end):
        assert value.utcoffset() == timedelta(0)
    # The next span begins at the same instant written in another zone: adjacent, no overlap.
    reg.certify(CALIB, [b], Timespan(datetime(2020, 12, 31, 19, tzinfo=timezone(
        timedelta(hours=-5))), None))
    assert reg.find(CALIB, "bias", bias_id(1), at=datetime(2020, 1, 1, 5, tzinfo=PLUS5)) == a
    assert reg.find(CALIB, "bias", bias_id(1),
                    at=datetime(2020, 1, 1, 4, 59, 59, 999999, tzinfo=PLUS5)) is None
    assert reg.find(CALIB, "bias", bias_id(1), at=end) == b
    # An overlap expressed in another zone is still an overlap.
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, [a], Timespan(datetime(2020, 12, 31, 15, 59, tzinfo=MINUS8), end))
    assert info.value.conflicts[0]["conflicting_timespan"] == ts(2020, 2021)


def test_close_open_range_and_series_convert_to_utc(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    reg.certify_series(CALIB, [(a, datetime(2020, 1, 1, 5, tzinfo=PLUS5)),
                               (b, datetime(2020, 12, 31, 16, tzinfo=MINUS8))])
    assert reg.close_open_range(CALIB, "bias", datetime(2021, 12, 31, 16, tzinfo=MINUS8)) == 1
    assert rows(reg) == {(CALIB, a.id, ts(2020, 2021)), (CALIB, b.id, ts(2021, 2022))}


def test_microseconds_round_trip(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    b = world.bias(1, run=RUN2)
    begin = t(2020, 3, 4, 5, 6, 7, 123457)
    end = begin + US
    reg.certify(CALIB, [a], Timespan(begin, end))  # a one-microsecond span
    reg.certify(CALIB, [b], Timespan(end, end + timedelta(seconds=1)))
    assert rows(reg) == {(CALIB, a.id, Timespan(begin, end)),
                         (CALIB, b.id, Timespan(end, end + timedelta(seconds=1)))}
    assert reg.find(CALIB, "bias", bias_id(1), at=begin - US) is None
    assert reg.find(CALIB, "bias", bias_id(1), at=begin) == a
    assert reg.find(CALIB, "bias", bias_id(1), at=end) == b
    assert reg.find(CALIB, "bias", bias_id(1), at=Timespan.at(begin)) == a
    reg.decertify(CALIB, "bias", Timespan(end + US, end + 2 * US))
    assert sorted(c.timespan.begin for c in reg.certifications(CALIB)) == [
        begin, end, end + 2 * US]


def test_extreme_but_valid_times(world: World) -> None:
    reg = world.reg
    a = world.bias(1)
    early = datetime(1, 1, 2, tzinfo=UTC)
    late = datetime(9999, 12, 30, tzinfo=UTC)
    reg.certify(CALIB, [a], Timespan(early, late))
    assert rows(reg) == {(CALIB, a.id, Timespan(early, late))}
    assert reg.find(CALIB, "bias", bias_id(1), at=early) == a


def test_naive_lookup_and_bad_at_types(world: World) -> None:
    reg = world.reg
    with pytest.raises(InvalidTimespanError):
        reg.find(CALIB, "bias", bias_id(1), at=datetime(2020, 1, 1))
    with pytest.raises(InvalidTimespanError):
        reg.find_many(CALIB, "bias", [(bias_id(1), "2020-01-01")])  # type: ignore[list-item]
    with pytest.raises(InvalidTimespanError):
        reg.certify(CALIB, [], "2020")  # type: ignore[arg-type]


def test_data_id_values_round_trip(world: World) -> None:
    reg = world.reg
    reg.register_dataset_type("odd", ("instrument", "detector", "label"))
    data_ids = [
        {"instrument": INSTRUMENT, "detector": 2**63 - 1, "label": "ünïcødé ☃"},
        {"instrument": INSTRUMENT, "detector": -(2**63), "label": "x" * 255},  # the longest
        {"instrument": INSTRUMENT, "detector": 0, "label": 'quote" \\ back'},
        {"instrument": INSTRUMENT, "detector": 1, "label": "v1.0"},  # a '.' in a string
        {"label": "x", "detector": 7, "instrument": INSTRUMENT},  # key order is irrelevant
    ]
    refs = reg.insert_datasets("odd", RUN, data_ids)
    assert [r.data_id for r in refs] == data_ids
    reg.certify(CALIB, refs, ts(2020, None))
    found = reg.find_many(CALIB, "odd", [(d, t(2021)) for d in data_ids])
    assert found == refs
    reordered = {"detector": 7, "label": "x", "instrument": INSTRUMENT}
    assert reg.find(CALIB, "odd", reordered, at=t(2021)) == refs[-1]
    with pytest.raises(DataIdError):
        reg.insert_datasets("odd", RUN2, [{"instrument": INSTRUMENT, "detector": 2**63,
                                           "label": "big"}])
    # An empty string value was stored until revision 0010; now values have 1-255 characters.
    with pytest.raises(DataIdError):
        reg.insert_datasets("odd", RUN2, [{"instrument": INSTRUMENT, "detector": 3, "label": ""}])


def test_argument_shapes(world: World) -> None:
    reg = world.reg
    ref = world.bias(1)
    with pytest.raises(InvalidArgumentError):
        reg.certify(CALIB, ref, ts(2020, None))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        reg.certify(CALIB, ["not-a-uuid"], ts(2020, None))
    with pytest.raises(InvalidArgumentError):
        reg.decertify(CALIB, "bias", ts(2020, None), data_ids=bias_id(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        reg.certify_series(CALIB, [ref])  # type: ignore[list-item]
    assert rows(reg) == set()


def test_large_batch(world: World) -> None:
    reg = world.reg
    n = 20_000
    refs = reg.insert_datasets("bias", RUN, [bias_id(d) for d in range(n)])
    assert [r.data_id["detector"] for r in refs[:3]] == [0, 1, 2] and len(refs) == n
    assert reg.certify(CALIB, refs, ts(2020, None)) == n
    # The same keys again: every item conflicts, and nothing of the batch is stored.
    again = reg.insert_datasets("bias", RUN2, [bias_id(d) for d in range(n)])
    with pytest.raises(ConflictingCertificationError) as info:
        reg.certify(CALIB, again, ts(2021, None))
    conflicts = info.value.conflicts
    assert conflicts and all(c["conflicting_timespan"] == ts(2020, None) for c in conflicts)
    assert len(reg.certifications(CALIB)) == n
    # One close_open call closes all of them.
    assert reg.certify(CALIB, again, ts(2021, None), close_open=True) == n
    sample = [0, 1, n // 2, n - 1]
    assert reg.find_many(CALIB, "bias", [(bias_id(d), t(2020, 6)) for d in sample]) == [
        refs[d] for d in sample]
    assert reg.find_many(CALIB, "bias", [(bias_id(d), t(2022)) for d in sample]) == [
        again[d] for d in sample]
    assert reg.decertify(CALIB, "bias", ts(None, None)) == 2 * n
    assert reg.certifications(CALIB) == []


@pytest.fixture(params=["postgresql", "sqlite"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A reachable database without the calibcert schema, on each backend."""
    if request.param == "postgresql":
        return request.getfixturevalue("empty_pg_url")
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    return f"sqlite:///{path}"


def test_connect_refuses_a_database_without_schema(unmigrated_url: str) -> None:
    with pytest.raises(SchemaVersionError) as info:
        calibcert.connect(unmigrated_url)
    assert "calibcert db upgrade" in str(info.value)
    calibcert.upgrade(unmigrated_url)
    reg = calibcert.connect(unmigrated_url)
    try:
        assert reg.list_collections() == []
    finally:
        reg.close()
