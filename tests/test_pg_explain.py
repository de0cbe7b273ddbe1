"""explain() on PostgreSQL (README "Explain", issue 16 item 4).

explain must explain exactly what find decides. The main test replays random operations
(certify, decertify, tags, chain changes with RUN, TAGGED, CALIBRATION and nested CHAINED
members) and then asks both, for many random lookups (instants, timespans, no time, now and
as of every epoch, data IDs never stored, errors): the deciding member and dataset must be
find's, an ambiguous answer must be find's KC011 (same member, same datasets), an error the
same error, and every member's own row must agree with find asked of that member alone.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import (
    CalibCertError,
    CalibrationLookupError,
    DataIdError,
    InvalidArgumentError,
    MissingCollectionError,
    MissingDatasetTypeError,
)
from calibcert.explain import ExplainRow
from test_pg_history import TYPE, det, t


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


def world(reg: Registry) -> tuple[dict[int, Any], dict[int, Any]]:
    """run1 (detectors 1-4), run2 (1-3, other datasets), tagged tg, CALIBRATION A and B,
    chains inner = [B, run2] and C = [A, tg, inner, run1]."""
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    reg.register_collection("run2", CollectionType.RUN)
    r1 = {r.data_id["detector"]: r for r in reg.insert_datasets(TYPE, "run1",
                                                                 [det(d) for d in range(1, 5)])}
    r2 = {r.data_id["detector"]: r for r in reg.insert_datasets(TYPE, "run2",
                                                                 [det(d) for d in range(1, 4)])}
    reg.register_collection("tg", CollectionType.TAGGED)
    for name in ("A", "B"):
        reg.register_collection(name, CollectionType.CALIBRATION)
    reg.register_collection("inner", CollectionType.CHAINED)
    reg.register_collection("C", CollectionType.CHAINED)
    reg.set_chain("inner", ["B", "run2"])
    reg.set_chain("C", ["A", "tg", "inner", "run1"])
    return r1, r2


def outcomes(rows: list[ExplainRow]) -> list[tuple[str, str]]:
    return [(r.member, r.outcome) for r in rows]


# -- the rows, by hand ----------------------------------------------------------------


def test_explain_names_every_member_in_search_order(reg: Registry) -> None:
    r1, r2 = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), t(2022)))
    certified = reg.current_epoch()
    # At 2021 A decides: everything after it is skipped.
    rows = reg.explain("C", TYPE, det(1), t(2021))
    assert [(r.rank, r.member, r.member_type, r.outcome) for r in rows] == [
        (1, "A", "CALIBRATION", "match"), (2, "tg", "TAGGED", "skipped"),
        (3, "B", "CALIBRATION", "skipped"), (4, "run2", "RUN", "skipped"),
        (5, "run1", "RUN", "skipped")]
    assert (rows[0].dataset_id, rows[0].timespan, rows[0].epoch) == (
        r1[1].id, Timespan(t(2020), t(2022)), certified)
    assert all(r.dataset_id is None and r.epoch is None for r in rows[1:])
    # At 2023 nothing in A, tg or B: run2 (inside the nested chain) decides, with the
    # epoch that inserted its dataset and no timespan.
    rows = reg.explain("C", TYPE, det(1), t(2023))
    assert outcomes(rows) == [("A", "no match"), ("tg", "no match"), ("B", "no match"),
                              ("run2", "match"), ("run1", "skipped")]
    inserted = [h.epoch for h in reg.history("run2", TYPE, det(1))]
    assert (rows[3].dataset_id, rows[3].timespan, [rows[3].epoch]) == (r2[1].id, None, inserted)
    # No time: CALIBRATION members are skipped (find does not search them).
    assert outcomes(reg.explain("C", TYPE, det(4), None)) == [
        ("A", "skipped"), ("tg", "no match"), ("B", "skipped"), ("run2", "no match"),
        ("run1", "match")]
    # A tag decides before the RUNs.
    reg.tag("tg", [r2[2]])
    tagged = reg.current_epoch()
    rows = reg.explain("C", TYPE, det(2), None)
    assert outcomes(rows)[1] == ("tg", "match") and (rows[1].dataset_id, rows[1].epoch) == (
        r2[2].id, tagged)
    # Nothing anywhere (detector 4 is not in run2; detector 9 was never stored).
    assert {r.outcome for r in reg.explain("inner", TYPE, det(4), t(2021))} == {"no match"}
    assert outcomes(reg.explain("C", TYPE, det(9), t(2021))) == [
        ("A", "no match"), ("tg", "no match"), ("B", "no match"), ("run2", "no match"),
        ("run1", "no match")]
    # A collection that is not a chain is its own search path.
    assert outcomes(reg.explain("run1", TYPE, det(1), None)) == [("run1", "match")]
    reg.register_collection("empty", CollectionType.CHAINED)
    assert reg.explain("empty", TYPE, det(1), t(2021)) == []


def test_an_ambiguous_lookup_is_explained_one_row_per_match(reg: Registry) -> None:
    r1, r2 = world(reg)
    reg.certify("B", [r1[1]], Timespan(t(2020), t(2021)))
    reg.certify("B", [r2[1]], Timespan(t(2022), None))
    span = Timespan(t(2019), t(2030))
    with pytest.raises(CalibrationLookupError) as err:
        reg.find("C", TYPE, det(1), span)
    rows = reg.explain("C", TYPE, det(1), span)
    assert outcomes(rows) == [("A", "no match"), ("tg", "no match"), ("B", "ambiguous"),
                              ("B", "ambiguous"), ("run2", "skipped"), ("run1", "skipped")]
    assert [r.dataset_id for r in rows[2:4]] == err.value.details["datasets"]
    assert [r.timespan for r in rows[2:4]] == [Timespan(t(2020), t(2021)),
                                               Timespan(t(2022), None)]
    assert rows[2].epoch is not None and rows[3].epoch == rows[2].epoch + 1


def test_explain_as_of_an_epoch_answers_as_find_did_then(reg: Registry) -> None:
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    first = reg.current_epoch()
    reg.decertify("A", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    reg.set_chain("C", ["run1", "A"])
    assert outcomes(reg.explain("C", TYPE, det(1), t(2021, 6))) == [
        ("run1", "match"), ("A", "skipped")]
    rows = reg.explain("C", TYPE, det(1), t(2021, 6), as_of=first)
    assert outcomes(rows)[0] == ("A", "match")
    assert (rows[0].timespan, rows[0].epoch) == (Timespan(t(2020), None), first)
    # The piece left after the split was created by the decertify.
    now = reg.explain("A", TYPE, det(1), t(2023))
    assert (now[0].timespan, now[0].epoch) == (Timespan(t(2022), None), first + 1)


def test_explain_inside_a_transaction_sees_its_own_pending_change(reg: Registry) -> None:
    r1, _ = world(reg)
    with reg.transaction():
        reg.certify("A", [r1[1]], Timespan(t(2020), None))
        (row, *_rest) = reg.explain("C", TYPE, det(1), t(2021))
        assert (row.outcome, row.dataset_id, row.epoch) == ("match", r1[1].id, None)
    assert reg.explain("C", TYPE, det(1), t(2021))[0].epoch == reg.current_epoch()


def test_explain_raises_finds_errors(reg: Registry) -> None:
    world(reg)
    bad = [("nowhere", TYPE, det(1), None, MissingCollectionError),
           ("C", "nothing", det(1), None, MissingDatasetTypeError),
           ("C", TYPE, {"instrument": "Cam"}, None, DataIdError),
           ("C", TYPE, det(1), -1, InvalidArgumentError),
           ("C", TYPE, det(1), 10**6, InvalidArgumentError),
           ("C", TYPE, det(1), 0, MissingCollectionError)]
    for collection, dataset_type, data_id, as_of, kind in bad:
        with pytest.raises(kind) as found:
            reg.find(collection, dataset_type, data_id, t(2021), as_of=as_of)
        with pytest.raises(kind) as explained:
            reg.explain(collection, dataset_type, data_id, t(2021), as_of=as_of)
        assert (str(explained.value), explained.value.details) == (
            str(found.value), found.value.details)


def test_sql_forms_agree(reg: Registry, pg_url: str) -> None:
    r1, _ = world(reg)
    reg.certify("B", [r1[2]], Timespan(t(2020), t(2021)))
    reg.certify("B", [r1[3]], Timespan(t(2022), None))
    epoch = reg.current_epoch()
    d2, d3 = json.dumps(det(2)), json.dumps(det(3))
    with psycopg.connect(pg_url) as conn:
        typed = conn.execute(
            "SELECT * FROM calib.explain('C', 'bias', %s::jsonb,"
            " '2020-06-01 00:00+00'::timestamptz)", (d2,)).fetchall()
        text = conn.execute(
            "SELECT * FROM calib.explain('C', 'bias', %s::text,"
            " '2020-06-01T00:00:00Z', %s::text)", (d2, str(epoch))).fetchall()
        assert typed == text and [r[3] for r in typed] == [
            "no match", "no match", "match", "skipped", "skipped"]
        span = conn.execute(
            "SELECT outcome FROM calib.explain('B', 'bias', %s::text,"
            " '[2019-01-01T00:00:00Z,2030-01-01T00:00:00Z)')", (d3,)).fetchall()
        assert span == [("match",)]


def test_sqlite_refuses_explain_clearly(sqlite_url: str) -> None:
    with calibcert.connect(sqlite_url) as reg, pytest.raises(InvalidArgumentError) as err:
        reg.explain("C", TYPE, det(1), t(2021))
    assert err.value.details["kind"] == "history_postgresql_only"


def test_cli_explain(pg_url: str, reg: Registry, tmp_path) -> None:
    from test_cli import cli, ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    pinned = reg.current_epoch()
    reg.decertify("A", TYPE, Timespan(None, None))
    args = ("explain", "C", TYPE, "-d", "instrument=Cam,detector=1",
            "--at", "2021-01-01T00:00:00Z")
    rows = json.loads(ok(home, pg_url, *args, "--as-of", str(pinned), "--json").out)
    assert [(r["member"], r["outcome"]) for r in rows][:2] == [("A", "match"), ("tg", "skipped")]
    assert rows[0]["dataset_id"] == str(r1[1].id) and rows[0]["epoch"] == pinned
    table = ok(home, pg_url, *args).out.splitlines()
    assert table[0].split()[:4] == ["RANK", "MEMBER", "TYPE", "OUTCOME"]
    assert [line.split()[1:4] for line in table[2:]] == [
        ["A", "CALIBRATION", "no"], ["tg", "TAGGED", "no"], ["B", "CALIBRATION", "no"],
        ["run2", "RUN", "match"], ["run1", "RUN", "skipped"]]
    failed = cli(home, pg_url, "explain", "nowhere", TYPE, "-d", "instrument=Cam,detector=1")
    assert failed.code != 0 and "nowhere" in failed.err


# -- explain decides what find decides, over random histories --------------------------


def _flatten(reg: Registry, name: str, as_of: int | None, types: dict[str, str],
             seen: list[str]) -> None:
    if types[name] != "CHAINED":
        if name not in seen:
            seen.append(name)
        return
    for child in reg.get_chain(name, as_of=as_of):
        _flatten(reg, child, as_of, types, seen)


def _created_epoch(reg: Registry, row: ExplainRow, data_id: dict[str, Any],
                   bound: int) -> int | None:
    """The epoch of the last change at or before ``bound`` that created the matching
    certification (this validity), tag or RUN dataset, read from history()."""
    found = None
    for h in reg.history(row.member, TYPE, data_id, until=bound):
        if h.dataset_id != row.dataset_id:
            continue
        made = (h.validity_after == row.timespan if row.member_type == "CALIBRATION"
                else (h.detail or {}).get("tagged", (h.detail or {}).get("present")) is True)
        if made:
            found = h.epoch
    return found


def _check(reg: Registry, collection: str, d: int, at: Any, as_of: int | None,
           types: dict[str, str]) -> str:
    try:
        ref, found_err = reg.find(collection, TYPE, det(d), at, as_of=as_of), None
    except CalibCertError as exc:
        ref, found_err = None, exc
    try:
        rows, explain_err = reg.explain(collection, TYPE, det(d), at, as_of=as_of), None
    except CalibCertError as exc:
        rows, explain_err = [], exc
    if found_err is not None and not isinstance(found_err, CalibrationLookupError):
        assert explain_err is not None and type(explain_err) is type(found_err)
        assert (str(explain_err), explain_err.details) == (str(found_err), found_err.details)
        return "error"
    assert explain_err is None, explain_err
    # The members, in the order of the chains as they were: one row per member (several
    # for an ambiguous one), ranked 1..n.
    path: list[str] = []
    _flatten(reg, collection, as_of, types, path)
    by_rank: dict[int, str] = {}
    for r in rows:
        assert by_rank.setdefault(r.rank, r.member) == r.member
    assert [r.rank for r in rows] == sorted(r.rank for r in rows)
    assert sorted(by_rank) == list(range(1, len(path) + 1))
    assert [by_rank[k] for k in sorted(by_rank)] == path
    deciding = [r for r in rows if r.outcome in ("match", "ambiguous")]
    if isinstance(found_err, CalibrationLookupError):
        assert {r.member for r in deciding} == {found_err.details["collection"]}
        assert [r.outcome for r in deciding] == ["ambiguous"] * len(deciding) and len(deciding) > 1
        assert [r.dataset_id for r in deciding] == found_err.details["datasets"]
        result = "ambiguous"
    elif ref is None:
        assert deciding == []
        result = "none"
    else:
        assert [(r.outcome, r.dataset_id) for r in deciding] == [("match", ref.id)]
        result = "match"
    rank = deciding[0].rank if deciding else len(path) + 1
    bound = reg.current_epoch() if as_of is None else as_of
    for r in rows:
        alone = None
        if r.member_type == "CALIBRATION" and at is None:
            assert r.outcome == "skipped"
            continue
        if r.rank > rank:
            assert (r.outcome, r.dataset_id, r.timespan, r.epoch) == ("skipped", None, None, None)
            continue
        if r.outcome != "ambiguous":
            alone = reg.find(r.member, TYPE, det(d), at, as_of=as_of)
        if r.rank < rank:
            assert (r.outcome, alone, r.dataset_id) == ("no match", None, None)
            continue
        if r.outcome == "match":
            assert alone is not None and alone.id == r.dataset_id
        if r.member_type == "CALIBRATION":
            assert r.timespan is not None and (r.dataset_id, r.timespan) in {
                (c.ref.id, c.timespan)
                for c in reg.certifications(r.member, TYPE, as_of=as_of)
                if c.ref.data_id == det(d)}
        else:
            assert r.timespan is None
        assert r.epoch is not None and r.epoch == _created_epoch(reg, r, det(d), bound)
    return result


def test_explain_decides_what_find_decides(reg: Registry) -> None:
    r1, r2 = world(reg)
    rng = random.Random(4)
    refs = [*r1.values(), *r2.values()]
    types = {"run1": "RUN", "run2": "RUN", "tg": "TAGGED", "A": "CALIBRATION",
             "B": "CALIBRATION", "inner": "CHAINED", "C": "CHAINED"}
    epochs = [reg.current_epoch()]
    for _step in range(60):
        op = rng.random()
        try:
            if op < 0.4:
                begin = t(rng.randrange(2019, 2026), rng.randrange(1, 13))
                end = rng.choice([None, t(begin.year + rng.randrange(1, 3))])
                reg.certify(rng.choice("AB"), [rng.choice(refs)], Timespan(begin, end),
                            close_open=rng.random() < 0.6)
            elif op < 0.6:
                begin = t(rng.randrange(2019, 2026), rng.randrange(1, 13))
                reg.decertify(rng.choice("AB"), TYPE, Timespan(begin, t(begin.year + 1)),
                              [det(rng.randrange(1, 5))])
            elif op < 0.72:
                reg.tag("tg", [rng.choice(refs)])
            elif op < 0.8:
                reg.untag("tg", [rng.choice(refs)])
            elif op < 0.9:
                members = rng.sample(["A", "tg", "inner", "run1"], rng.randrange(1, 5))
                reg.set_chain("C", members)
            else:
                reg.set_chain("inner", rng.sample(["B", "run2", "A", "tg"], rng.randrange(0, 4)))
        except CalibCertError:
            pass  # a refused change changes nothing
        if reg.current_epoch() != epochs[-1]:
            epochs.append(reg.current_epoch())
    instants = [None, *(t(y, m) for y in range(2019, 2027) for m in (1, 7))]
    seen: dict[str, int] = {}
    for _case in range(500):
        at: Any = rng.choice(instants)
        if at is not None and rng.random() < 0.5:
            at = Timespan(at, rng.choice([None, t(at.year + rng.randrange(1, 7))]))
        as_of = rng.choice([None, None, 0, *epochs])
        collection = rng.choice(["C", "C", "inner", "A", "B", "tg", "run2"])
        result = _check(reg, collection, rng.randrange(1, 6), at, as_of, types)
        seen[result] = seen.get(result, 0) + 1
    # Every kind of answer was exercised, each several times.
    assert set(seen) == {"error", "ambiguous", "none", "match"}, seen
    assert min(seen.values()) >= 5, seen
