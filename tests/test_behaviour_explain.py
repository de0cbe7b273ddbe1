"""Behaviour suite: explain() (README "Explain", issue 16 item 4) and collection_digest as of
an epoch (item 7), the same on PostgreSQL and SQLite.

explain must explain exactly what find decides. The main test replays random operations
(certify, decertify, tags, chain changes with RUN, TAGGED, CALIBRATION and nested CHAINED
members) and then asks both, for many random lookups (instants, timespans, no time, now and
as of every epoch, data IDs never stored, errors): the deciding member and dataset must be
find's, an ambiguous answer must be find's KC011 (same member, same datasets), an error the
same error, and every member's own row must agree with find asked of that member alone. The
two backends, given the same history, must give the same rows and the same digests at every
epoch (their epochs are numbered alike: one per committed change, from 1, checked here).

History needs commits, so these tests run on the standalone PostgreSQL registry and on
SQLite (as tests/test_behaviour_history.py does). SQLite's own cases (a raw sqlite3 writer,
a writer committing in the middle of an explain) close the file.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any

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
from conftest import BACKENDS
from helpers import t

TYPE = "bias"


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


@pytest.fixture(params=["postgresql-standalone", "sqlite"])
def reg(request) -> Registry:
    """An empty registry whose calls commit (epochs need commits)."""
    return request.getfixturevalue(BACKENDS[request.param])


def url_of(reg: Registry) -> str:
    if reg.backend == "sqlite":
        return f"sqlite:///{reg.path}"  # type: ignore[attr-defined]
    info = reg.connection.info  # type: ignore[attr-defined]
    return f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"


#: Fixed dataset ids, so that both backends' rows compare as they are.
R1 = {d: uuid.UUID(int=0xE1000 + d) for d in range(1, 5)}
R2 = {d: uuid.UUID(int=0xE2000 + d) for d in range(1, 4)}


def world(reg: Registry) -> tuple[dict[int, Any], dict[int, Any]]:
    """run1 (detectors 1-4), run2 (1-3, other datasets), tagged tg, CALIBRATION A and B,
    chains inner = [B, run2] and C = [A, tg, inner, run1]."""
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    reg.register_collection("run2", CollectionType.RUN)
    r1 = {r.data_id["detector"]: r for r in reg.insert_datasets(
        TYPE, "run1", [det(d) for d in R1], ids=list(R1.values()))}
    r2 = {r.data_id["detector"]: r for r in reg.insert_datasets(
        TYPE, "run2", [det(d) for d in R2], ids=list(R2.values()))}
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
    # At 2021 A decides (a direct hit): everything after it is skipped.
    rows = reg.explain("C", TYPE, det(1), t(2021))
    assert [(r.rank, r.member, r.member_type, r.outcome) for r in rows] == [
        (1, "A", "CALIBRATION", "match"), (2, "tg", "TAGGED", "skipped"),
        (3, "B", "CALIBRATION", "skipped"), (4, "run2", "RUN", "skipped"),
        (5, "run1", "RUN", "skipped")]
    assert (rows[0].dataset_id, rows[0].timespan, rows[0].epoch) == (
        r1[1].id, Timespan(t(2020), t(2022)), certified)
    assert all(r.dataset_id is None and r.timespan is None and r.epoch is None
               for r in rows[1:])
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
    # A tag decides before the RUNs, with the epoch that tagged it.
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
    assert reg.find("C", TYPE, det(9), t(2021)) is None
    # A collection that is not a chain is its own search path.
    assert outcomes(reg.explain("run1", TYPE, det(1), None)) == [("run1", "match")]
    reg.register_collection("empty", CollectionType.CHAINED)
    assert reg.explain("empty", TYPE, det(1), t(2021)) == []


def test_a_later_member_that_would_also_match_is_skipped(reg: Registry) -> None:
    r1, r2 = world(reg)
    reg.certify("B", [r2[3]], Timespan(t(2020), None))
    reg.certify("A", [r1[3]], Timespan(t(2020), None))
    # A, B, run2 and run1 all hold detector 3 at 2021: A decides, the others are skipped
    # (not searched), and only A's row names a dataset.
    rows = reg.explain("C", TYPE, det(3), t(2021))
    assert [(r.member, r.outcome, r.dataset_id) for r in rows] == [
        ("A", "match", r1[3].id), ("tg", "skipped", None), ("B", "skipped", None),
        ("run2", "skipped", None), ("run1", "skipped", None)]
    assert reg.find("C", TYPE, det(3), t(2021)).id == r1[3].id
    # Each of them alone would have answered.
    assert [reg.find(m, TYPE, det(3), t(2021)).id for m in ("B", "run2", "run1")] == [
        r2[3].id, r2[3].id, r1[3].id]
    # Before A's certification begins, B decides over run2 and run1.
    assert [(r.member, r.outcome) for r in reg.explain("C", TYPE, det(3), t(2019))] == [
        ("A", "no match"), ("tg", "no match"), ("B", "no match"), ("run2", "match"),
        ("run1", "skipped")]


def test_an_ambiguous_lookup_is_explained_one_row_per_match(reg: Registry) -> None:
    r1, r2 = world(reg)
    reg.certify("B", [r1[1]], Timespan(t(2020), t(2021)))
    reg.certify("B", [r2[1]], Timespan(t(2022), None))
    reg.certify("B", [r1[1]], Timespan(None, t(2019)))
    span = Timespan(t(2018), t(2030))
    with pytest.raises(CalibrationLookupError) as err:
        reg.find("C", TYPE, det(1), span)
    rows = reg.explain("C", TYPE, det(1), span)
    assert outcomes(rows) == [("A", "no match"), ("tg", "no match"), ("B", "ambiguous"),
                              ("B", "ambiguous"), ("B", "ambiguous"), ("run2", "skipped"),
                              ("run1", "skipped")]
    assert [r.dataset_id for r in rows[2:5]] == err.value.details["datasets"]
    # By begin, the unbounded one first; each with the epoch that certified it.
    assert [r.timespan for r in rows[2:5]] == [Timespan(None, t(2019)),
                                               Timespan(t(2020), t(2021)),
                                               Timespan(t(2022), None)]
    assert rows[2].epoch == reg.current_epoch()
    assert rows[4].epoch == rows[3].epoch + 1 == reg.current_epoch() - 1
    # As of the epoch before the third certification: two matches.
    rows = reg.explain("C", TYPE, det(1), span, as_of=reg.current_epoch() - 1)
    assert [r.outcome for r in rows if r.member == "B"] == ["ambiguous"] * 2


def test_explain_as_of_an_epoch_answers_as_find_did_then(reg: Registry) -> None:
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    first = reg.current_epoch()
    reg.decertify("A", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    reg.set_chain("C", ["run1", "A"])
    assert outcomes(reg.explain("C", TYPE, det(1), t(2021, 6))) == [
        ("run1", "match"), ("A", "skipped")]
    # Through the chain as it was then (A first), the certification as it was then.
    rows = reg.explain("C", TYPE, det(1), t(2021, 6), as_of=first)
    assert outcomes(rows) == [("A", "match"), ("tg", "skipped"), ("B", "skipped"),
                              ("run2", "skipped"), ("run1", "skipped")]
    assert (rows[0].timespan, rows[0].epoch) == (Timespan(t(2020), None), first)
    # The piece left after the split was created by the decertify.
    now = reg.explain("A", TYPE, det(1), t(2023))
    assert (now[0].timespan, now[0].epoch) == (Timespan(t(2022), None), first + 1)
    # A collection removed since: as of then it is found, with its members then.
    reg.remove_collection("inner")
    assert outcomes(reg.explain("inner", TYPE, det(1), t(2019), as_of=first)) == [
        ("B", "no match"), ("run2", "match")]


def test_explain_of_run_and_tagged_members(reg: Registry) -> None:
    r1, r2 = world(reg)
    reg.set_chain("C", ["tg", "run2", "run1"])
    reg.tag("tg", [r1[1]])
    tagged = reg.current_epoch()
    reg.untag("tg", [r1[1]])
    reg.tag("tg", [r2[1]])
    retagged = reg.current_epoch()
    rows = reg.explain("C", TYPE, det(1), t(2021))
    assert [(r.member, r.member_type, r.outcome, r.dataset_id, r.timespan, r.epoch)
            for r in rows] == [
        ("tg", "TAGGED", "match", r2[1].id, None, retagged),
        ("run2", "RUN", "skipped", None, None, None),
        ("run1", "RUN", "skipped", None, None, None)]
    rows = reg.explain("C", TYPE, det(1), None, as_of=tagged)
    assert (rows[0].outcome, rows[0].dataset_id, rows[0].epoch) == ("match", r1[1].id, tagged)
    # As of before the tag, run2 decided (its dataset's epoch is that of the insert).
    rows = reg.explain("C", TYPE, det(1), None, as_of=tagged - 1)
    inserted = [h.epoch for h in reg.history("run2", TYPE, det(1))]
    assert outcomes(rows) == [("tg", "no match"), ("run2", "match"), ("run1", "skipped")]
    assert [rows[1].epoch] == inserted


def test_explain_inside_a_transaction_sees_its_own_pending_change(reg: Registry) -> None:
    r1, _ = world(reg)
    with reg.transaction():
        reg.certify("A", [r1[1]], Timespan(t(2020), None))
        (row, *_rest) = reg.explain("C", TYPE, det(1), t(2021))
        assert (row.outcome, row.dataset_id, row.epoch) == ("match", r1[1].id, None)
        # What an earlier, committed change created keeps its epoch.
        rows = reg.explain("C", TYPE, det(4), None)
        assert (rows[-1].member, rows[-1].outcome, [rows[-1].epoch]) == (
            "run1", "match", [h.epoch for h in reg.history("run1", TYPE, det(4))])
        assert rows[-1].epoch is not None
    assert reg.explain("C", TYPE, det(1), t(2021))[0].epoch == reg.current_epoch()


def test_explain_through_a_snapshot_reads_it_as_find_does(reg: Registry) -> None:
    """A snapshot member is explained as find reads it: its source's members as of the
    snapshot's epoch, each row read then (revision 0016; before, the snapshot showed as
    'match' holding nothing on PostgreSQL, and as holding nothing on SQLite). A member
    listed twice (read now, and through the snapshot) decides only where it matches."""
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    certified = reg.current_epoch()
    reg.snapshot_collection("C", "SC")
    reg.decertify("A", TYPE, Timespan(None, None))  # A holds nothing now
    reg.register_collection("E", CollectionType.CHAINED)
    reg.set_chain("E", ["A", "SC", "run2"])
    now = reg.current_epoch()
    expected = [("A", "CALIBRATION", "no match", None, None, None),
                ("A", "CALIBRATION", "match", r1[1].id, Timespan(t(2020), None), certified),
                ("tg", "TAGGED", "skipped", None, None, None),
                ("B", "CALIBRATION", "skipped", None, None, None),
                ("run2", "RUN", "skipped", None, None, None),
                ("run1", "RUN", "skipped", None, None, None),
                ("run2", "RUN", "skipped", None, None, None)]
    assert reg.find("E", TYPE, det(1), t(2021)).id == r1[1].id
    for as_of in (None, now):  # now, and as of the current epoch: the same rows
        rows = reg.explain("E", TYPE, det(1), t(2021), as_of=as_of)
        assert [r.rank for r in rows] == list(range(1, 8))
        assert [(r.member, r.member_type, r.outcome, r.dataset_id, r.timespan, r.epoch)
                for r in rows] == expected, as_of
    # Nothing certified for detector 4: run1, read through the snapshot, decides.
    inserted = [h.epoch for h in reg.history("run1", TYPE, det(4))]
    rows = reg.explain("E", TYPE, det(4), t(2021))
    assert reg.find("E", TYPE, det(4), t(2021)).id == r1[4].id
    assert [(r.member, r.outcome) for r in rows] == [
        ("A", "no match"), ("A", "no match"), ("tg", "no match"), ("B", "no match"),
        ("run2", "no match"), ("run1", "match"), ("run2", "skipped")]
    assert (rows[5].dataset_id, [rows[5].epoch]) == (r1[4].id, inserted)


def test_explain_raises_finds_errors(reg: Registry) -> None:
    world(reg)
    bad = [("nowhere", TYPE, det(1), None, MissingCollectionError),
           ("C", "nothing", det(1), None, MissingDatasetTypeError),
           ("C", TYPE, {"instrument": "Cam"}, None, DataIdError),
           ("C", TYPE, {"instrument": "Cam", "detector": "1"}, None, DataIdError),
           ("C", TYPE, det(1), -1, InvalidArgumentError),
           ("C", TYPE, det(1), 10**6, InvalidArgumentError),
           ("C", TYPE, det(1), 0, MissingCollectionError),
           ("nowhere", "nothing", {"x": 1}, 10**6, InvalidArgumentError),
           ("nowhere", "nothing", {"x": 1}, 1, MissingCollectionError),
           ("C", "nothing", {"x": 1}, 1, MissingCollectionError)]
    for collection, dataset_type, data_id, as_of, kind in bad:
        with pytest.raises(kind) as found:
            reg.find(collection, dataset_type, data_id, t(2021), as_of=as_of)
        with pytest.raises(kind) as explained:
            reg.explain(collection, dataset_type, data_id, t(2021), as_of=as_of)
        assert (str(explained.value), explained.value.details) == (
            str(found.value), found.value.details)
    with pytest.raises(InvalidArgumentError, match="epoch"):
        reg.explain("C", TYPE, det(1), None, as_of=True)  # type: ignore[arg-type]


def test_cli_explain(reg: Registry, tmp_path: Path) -> None:
    from test_cli import cli, ok

    url = url_of(reg)
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    pinned = reg.current_epoch()
    reg.decertify("A", TYPE, Timespan(None, None))
    args = ("explain", "C", TYPE, "-d", "instrument=Cam,detector=1",
            "--at", "2021-01-01T00:00:00Z")
    rows = json.loads(ok(home, url, *args, "--as-of", str(pinned), "--json").out)
    assert [(r["member"], r["outcome"]) for r in rows][:2] == [("A", "match"), ("tg", "skipped")]
    assert rows[0]["dataset_id"] == str(r1[1].id) and rows[0]["epoch"] == pinned
    table = ok(home, url, *args).out.splitlines()
    assert table[0].split()[:4] == ["RANK", "MEMBER", "TYPE", "OUTCOME"]
    assert [line.split()[1:4] for line in table[2:]] == [
        ["A", "CALIBRATION", "no"], ["tg", "TAGGED", "no"], ["B", "CALIBRATION", "no"],
        ["run2", "RUN", "match"], ["run1", "RUN", "skipped"]]
    failed = cli(home, url, "explain", "nowhere", TYPE, "-d", "instrument=Cam,detector=1")
    assert failed.code != 0 and "nowhere" in failed.err
    # digest --as-of: the digest A had when pinned.
    assert ok(home, url, "digest", "A", "--as-of", str(pinned)).out.strip() == \
        reg.collection_digest("A", as_of=pinned) != reg.collection_digest("A")


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


TYPES = {"run1": "RUN", "run2": "RUN", "tg": "TAGGED", "A": "CALIBRATION",
         "B": "CALIBRATION", "inner": "CHAINED", "C": "CHAINED"}


def random_history(reg: Registry, seed: int, steps: int = 60) -> list[int]:
    """Random operations (the same ones for the same seed on any backend); returns the
    epochs, from the world's on."""
    r1, r2 = world(reg)
    rng = random.Random(seed)
    refs = [*r1.values(), *r2.values()]
    epochs = [reg.current_epoch()]
    for _step in range(steps):
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
    return epochs


def random_lookup(rng: random.Random, epochs: list[int]) -> tuple[str, int, Any, int | None]:
    instants = [None, *(t(y, m) for y in range(2019, 2027) for m in (1, 7))]
    at: Any = rng.choice(instants)
    if at is not None and rng.random() < 0.5:
        at = Timespan(at, rng.choice([None, t(at.year + rng.randrange(1, 7))]))
    as_of = rng.choice([None, None, 0, *epochs])
    collection = rng.choice(["C", "C", "inner", "A", "B", "tg", "run2"])
    return collection, rng.randrange(1, 6), at, as_of


def test_explain_decides_what_find_decides(reg: Registry) -> None:
    epochs = random_history(reg, 4)
    rng = random.Random(5)
    seen: dict[str, int] = {}
    for _case in range(400):
        collection, d, at, as_of = random_lookup(rng, epochs)
        result = _check(reg, collection, d, at, as_of, TYPES)
        seen[result] = seen.get(result, 0) + 1
    # Every kind of answer was exercised, each several times.
    assert set(seen) == {"error", "ambiguous", "none", "match"}, seen
    assert min(seen.values()) >= 5, seen


# -- both backends, the same history: the same rows and digests at every epoch ----------


def _explained(reg: Registry, collection: str, d: int, at: Any, as_of: int | None) -> Any:
    try:
        return reg.explain(collection, TYPE, det(d), at, as_of=as_of)
    except CalibCertError as exc:
        return (type(exc).__name__, str(exc), exc.details)


def _digest(reg: Registry, collection: str, as_of: int | None) -> Any:
    try:
        return reg.collection_digest(collection, as_of=as_of)
    except CalibCertError as exc:
        return (type(exc).__name__, str(exc), exc.details)


def test_both_backends_explain_and_digest_the_same(
        pg_standalone_registry: Registry, sqlite_registry: Registry) -> None:
    """The same operations give the same epochs on both backends (one per committed
    change, numbered from 1: PostgreSQL's sequence has no gap when no commit fails), so
    explain rows and digests are compared epoch by epoch, as they are."""
    pg, lite = pg_standalone_registry, sqlite_registry
    epochs = [random_history(r, 11) for r in (pg, lite)]
    assert epochs[0] == epochs[1] and epochs[0][0] > 0
    assert epochs[0] == list(range(epochs[0][0], epochs[0][-1] + 1))
    rng = random.Random(12)
    outcomes_seen = set()
    for _case in range(300):
        collection, d, at, as_of = random_lookup(rng, epochs[0])
        got = [_explained(r, collection, d, at, as_of) for r in (pg, lite)]
        assert got[0] == got[1], (collection, d, at, as_of)
        if isinstance(got[0], list):
            outcomes_seen.update(r.outcome for r in got[0])
    assert outcomes_seen == {"match", "no match", "ambiguous", "skipped"}
    differ = set()
    for epoch in [None, *range(0, pg.current_epoch() + 1)]:
        for name in TYPES:
            digests = [_digest(r, name, epoch) for r in (pg, lite)]
            assert digests[0] == digests[1], (epoch, name)
            differ.add(str(digests[0]))
    assert len(differ) > 20  # the digests really followed the history


def test_digest_as_of_is_the_digest_of_that_time(reg: Registry) -> None:
    r1, r2 = world(reg)
    recorded: list[tuple[int, dict[str, str]]] = []

    def record() -> None:
        recorded.append((reg.current_epoch(), {
            c.name: reg.collection_digest(c.name) for c in reg.list_collections()}))

    record()
    reg.certify("A", [r1[1], r1[2]], Timespan(t(2020), None))
    record()
    reg.decertify("A", TYPE, Timespan(t(2021), t(2022)), [det(1)])  # a split
    record()
    reg.certify("A", [r2[1]], Timespan(t(2023), None), close_open=True)  # closes one
    record()
    reg.tag("tg", [r1[3]])
    reg.insert_datasets(TYPE, "run2", [det(7)])
    record()
    reg.set_chain("C", ["tg", "A"])
    record()
    reg.set_collection_state("A", "FROZEN")  # not content: the same digests
    record()
    reg.set_chain("C", [])
    reg.remove_collection("inner")
    reg.register_collection("inner", CollectionType.TAGGED)  # the name, reused
    record()
    epochs = [e for e, _ in recorded]
    assert epochs == sorted(set(epochs))
    for epoch, digests in recorded:
        assert {n: reg.collection_digest(n, as_of=epoch) for n in digests} == digests, epoch
    assert recorded[-2][1]["A"] == recorded[-3][1]["A"]
    assert len({d["A"] for _, d in recorded}) == 4  # empty, certified, split, closed
    assert len({d["C"] for _, d in recorded}) == 3 and len({d["tg"] for _, d in recorded}) == 2
    # The errors are find's: an epoch out of range, a name that did not exist then.
    for bad in (-1, reg.current_epoch() + 1):
        with pytest.raises(InvalidArgumentError) as info:
            reg.collection_digest("A", as_of=bad)
        assert info.value.details["kind"] == "as_of_range"
    with pytest.raises(MissingCollectionError) as info:
        reg.collection_digest("A", as_of=0)
    assert info.value.details["kind"] == "collection_missing_as_of"


# -- SQLite: raw writers and writers committing meanwhile ------------------------------


def test_sqlite_explain_names_a_raw_writers_change_by_its_epoch(
        sqlite_registry: Registry) -> None:
    """A raw sqlite3 writer's committed change gets its epoch before explain answers (it
    is not shown as the caller's own pending change), and a certification copied with
    another change's created_change is the raw change's all the same."""
    reg = sqlite_registry
    r1, _ = world(reg)
    reg.certify("A", [r1[1]], Timespan(t(2020), None))
    certified = reg.current_epoch()
    conn = sqlite3.connect(reg.path)  # type: ignore[attr-defined]
    conn.execute("INSERT INTO certification (collection_id, collection_type, dataset_type_id,"
                 " data_id_key, dataset_id, run_id, begin_us, end_us, created_change,"
                 " created_operation)"
                 " SELECT c.collection_id, 'CALIBRATION', d.dataset_type_id, d.data_id_key,"
                 " d.dataset_id, d.run_id, 0, 1, 1, 'certify' FROM dataset AS d"
                 " CROSS JOIN collection AS c WHERE c.name = 'A' AND d.dataset_id = ?",
                 (r1[2].id.bytes,))
    conn.execute("INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id,"
                 " run_id) SELECT c.collection_id, d.dataset_type_id, d.data_id_key,"
                 " d.dataset_id, d.run_id FROM dataset AS d CROSS JOIN collection AS c"
                 " WHERE c.name = 'tg' AND d.dataset_id = ?", (r1[3].id.bytes,))
    conn.commit()
    conn.close()
    rows = reg.explain("C", TYPE, det(3), None)
    assert (rows[1].member, rows[1].outcome, rows[1].epoch) == ("tg", "match", certified + 1)
    assert reg.current_epoch() == certified + 1
    (row, *_rest) = reg.explain("C", TYPE, det(2), Timespan(None, None))
    assert (row.outcome, row.dataset_id, row.epoch) == ("match", r1[2].id, certified + 1)
    assert [h.epoch for h in reg.history("A", TYPE, det(2))] == [certified + 1]
    # As of before the raw change, neither was there.
    assert [r.outcome for r in reg.explain("C", TYPE, det(3), None, as_of=certified)] == [
        "skipped", "no match", "skipped", "match", "skipped"]
    # A raw chain change (the stored search paths go stale): explain walks the chains as
    # they are, as find does, and as of before it, as they were.
    conn = sqlite3.connect(reg.path)  # type: ignore[attr-defined]
    conn.execute("DELETE FROM collection_chain WHERE parent_id ="
                 " (SELECT collection_id FROM collection WHERE name = 'C') AND position <= 2")
    conn.commit()
    conn.close()
    rows = reg.explain("C", TYPE, det(3), None)
    assert outcomes(rows) == [("B", "skipped"), ("run2", "match"), ("run1", "skipped")]
    assert reg.find("C", TYPE, det(3), None).id == rows[1].dataset_id == R2[3]
    assert [r.member for r in reg.explain("C", TYPE, det(3), None,
                                          as_of=reg.current_epoch() - 1)] == [
        "A", "tg", "B", "run2", "run1"]


def test_sqlite_explain_reads_one_snapshot_while_a_writer_commits(
        sqlite_registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer on another connection commits while explain is between two members: the
    rows are those of the state explain started from (one read snapshot), never a mix."""
    reg = sqlite_registry
    r1, _ = world(reg)
    reg.set_chain("C", ["A", "tg", "run1"])
    reg.tag("tg", [r1[1]])
    before = reg.current_epoch()
    real = type(reg)._candidates  # type: ignore[attr-defined]
    writer = calibcert.connect(f"sqlite:///{reg.path}")  # type: ignore[attr-defined]
    calls = []

    def candidates(self: Any, member: Any, *args: Any) -> Any:
        if member.name == "A" and not calls:
            calls.append(member.name)
            writer.untag("tg", [r1[1]])  # commits: the write lock is free (WAL readers)
        return real(self, member, *args)

    monkeypatch.setattr(type(reg), "_candidates", candidates)
    try:
        rows = reg.explain("C", TYPE, det(1), t(2021))
    finally:
        writer.close()
    assert calls == ["A"] and reg.current_epoch() == before + 1
    assert [(r.member, r.outcome, r.epoch) for r in rows] == [
        ("A", "no match", None), ("tg", "match", before), ("run1", "skipped", None)]
    monkeypatch.undo()
    assert outcomes(reg.explain("C", TYPE, det(1), t(2021))) == [
        ("A", "no match"), ("tg", "no match"), ("run1", "match")]
