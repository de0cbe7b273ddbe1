"""History on SQLite: what only SQLite has to prove (README "History and time travel",
"History on SQLite"). The behaviour suite (tests/test_behaviour_history.py) proves the
answers and rows equal PostgreSQL's; here: writers in other real processes racing while a
reader re-checks its pinned epochs, raw sqlite3 writers recorded as 'sql' (their change
sealed by the next calibcert transaction), the upgrade of a file with content to epoch 1,
and the CLI.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan, migrate
from helpers import t

TYPE = "bias"
DETECTORS = range(1, 7)
TIMES = [None, t(2019), t(2020, 6), t(2021, 3), t(2022, 6), t(2030)]


def det(d: int) -> dict[str, Any]:
    return {"instrument": "Cam", "detector": d}


def world(reg: Registry, calibrations: tuple[str, ...] = ("X",)) -> dict[int, Any]:
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run1", CollectionType.RUN)
    refs = {r.data_id["detector"]: r for r in reg.insert_datasets(
        TYPE, "run1", [det(d) for d in DETECTORS])}
    for name in calibrations:
        reg.register_collection(name, CollectionType.CALIBRATION)
    return refs


def answers(reg: Registry, collection: str, as_of: int | None) -> tuple[Any, ...]:
    certs = [(c.collection, str(c.ref.id), c.timespan)
             for c in reg.certifications(collection, as_of=as_of)]
    found = [None if f is None else str(f.id) for f in reg.find_many(
        collection, TYPE, [(det(d), at) for d in DETECTORS for at in TIMES], as_of=as_of)]
    return certs, found


def raw(path: str) -> sqlite3.Connection:
    """A plain sqlite3 connection, as another tool would open the file (autocommit off:
    Python's sqlite3 opens a transaction before the first write)."""
    return sqlite3.connect(path)


# -- commit order with writers in other processes -------------------------------------


def _writer(path: str, name: str, seed: int, rounds: int, done: Any) -> None:
    rng = random.Random(seed)
    with calibcert.connect(f"sqlite:///{path}") as reg:
        refs = {r.data_id["detector"]: r for r in reg.query_datasets("run1", TYPE)}
        for _ in range(rounds):
            d = rng.choice(DETECTORS)
            with reg.transaction():
                reg.decertify(name, TYPE, Timespan(None, None), [det(d)])
                reg.certify(name, [refs[d]], Timespan(t(rng.randrange(2019, 2023)),
                                                      rng.choice([None, t(2023), t(2025)])))
            time.sleep(rng.random() * 0.01)
    done.put(name)


def test_pinned_answers_hold_while_writer_processes_race(sqlite_url: str) -> None:
    """Three processes commit changes as fast as the write lock lets them; the reader pins
    the current epoch again and again and re-checks every pin taken so far: a pinned
    answer never changes, and every committed transaction took exactly one epoch."""
    path = sqlite_url.removeprefix("sqlite:///")
    names, rounds = ("X1", "X2", "X3"), 15
    with calibcert.connect(sqlite_url) as reg:
        world(reg, names)
        reg.register_collection("C", CollectionType.CHAINED)
        reg.set_chain("C", [*names, "run1"])
        start = reg.current_epoch()
        ctx = multiprocessing.get_context("spawn")
        done = ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(path, n, i, rounds, done))
                 for i, n in enumerate(names)]
        for p in procs:
            p.start()
        pins: dict[int, tuple[Any, ...]] = {}
        try:
            while any(p.is_alive() for p in procs) or len(pins) < 3:
                epoch = reg.current_epoch()
                pins.setdefault(epoch, answers(reg, "C", epoch))
                for pinned, expected in pins.items():
                    assert answers(reg, "C", pinned) == expected, pinned
                if not any(p.is_alive() for p in procs):
                    break
        finally:
            for p in procs:
                p.join(60)
        assert all(p.exitcode == 0 for p in procs)
        assert reg.current_epoch() == start + len(names) * rounds
        assert answers(reg, "C", reg.current_epoch()) == answers(reg, "C", None)
        assert len(pins) > 3  # the reader really read between commits
        for pinned, expected in pins.items():
            assert answers(reg, "C", pinned) == expected, pinned


# -- raw writers -----------------------------------------------------------------------


def test_raw_sqlite_writers_are_recorded(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url, reason="review", user="alice") as reg:
        refs = world(reg)
        reg.certify("X", [refs[1], refs[2]], Timespan(t(2020), None))
        certified = reg.current_epoch()
        conn = raw(path)
        conn.execute("UPDATE certification SET end_us = end_us")  # changes nothing
        conn.commit()
        conn.execute("DELETE FROM certification WHERE dataset_id = ?", (refs[1].id.bytes,))
        conn.execute("UPDATE certification SET end_us = ? WHERE dataset_id = ?",
                     (int(t(2024).timestamp()) * 10**6, refs[2].id.bytes))
        conn.commit()
        # A row copied with another change's created_change and operation is stamped as
        # this change's, operation 'sql'.
        conn.execute("INSERT INTO certification (collection_id, collection_type,"
                     " dataset_type_id, data_id_key, dataset_id, run_id, begin_us, end_us,"
                     " created_change, created_operation)"
                     " SELECT collection_id, collection_type, dataset_type_id, data_id_key,"
                     " dataset_id, run_id, begin_us, end_us, 1, 'certify' FROM dataset AS d"
                     " CROSS JOIN (SELECT collection_id, collection_type, begin_us, end_us"
                     "             FROM certification LIMIT 1) WHERE d.dataset_id = ?",
                     (refs[3].id.bytes,))
        conn.commit()
        conn.close()
        # Both raw transactions share one change (no calibcert call between them could
        # seal the first); current_epoch() seals it.
        assert reg.current_epoch() == certified + 1
        rows = [(r.epoch, r.operation, r.app_user, r.reason, r.db_role, r.dataset_id,
                 r.validity_before, r.validity_after) for r in reg.history("X", TYPE)]
        e = certified + 1
        assert rows[-3:] == [
            (e, "sql", None, None, None, refs[1].id, Timespan(t(2020), None), None),
            (e, "sql", None, None, None, refs[2].id, Timespan(t(2020), None),
             Timespan(t(2020), t(2024))),
            (e, "sql", None, None, None, refs[3].id, None, Timespan(t(2020), t(2024))),
        ]
        assert answers(reg, "X", e) == answers(reg, "X", None)
        assert [c.timespan for c in reg.certifications("X", as_of=certified)] == [
            Timespan(t(2020), None)] * 2
        # Raw SQL inside a calibcert transaction is 'sql', in the same change, with the
        # registry's reason.
        with reg.transaction():
            reg.certify("X", [refs[4]], Timespan(t(2020), None))
            reg.connection.execute("DELETE FROM certification WHERE dataset_id = ?",
                                   (refs[2].id.bytes,))
        e = reg.current_epoch()
        assert [(r.epoch, r.operation, r.dataset_id, r.validity_after is None, r.reason)
                for r in reg.history("X", TYPE, since=certified + 2)] == [
            (e, "sql", refs[2].id, True, "review"), (e, "certify", refs[4].id, False, "review")]


def test_a_raw_change_undone_in_its_transaction_changes_no_answer(sqlite_url: str) -> None:
    """As on PostgreSQL: the certification's old version is closed and its row is this
    change's (history shows the same validity before and after); no answer changes."""
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        certified = reg.current_epoch()
        conn = raw(path)
        conn.execute("UPDATE certification SET end_us = begin_us + 1")
        conn.execute(f"UPDATE certification SET end_us = {2**63 - 1}")
        conn.commit()
        conn.close()
        e = reg.current_epoch()
        assert e == certified + 1
        assert answers(reg, "X", certified) == answers(reg, "X", e) == answers(reg, "X", None)
        assert [(r.epoch, r.operation, r.validity_before, r.validity_after)
                for r in reg.history("X", TYPE, since=e)] == [
            (e, "sql", Timespan(t(2020), None), Timespan(t(2020), None))]


# -- upgrade ---------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ["0013", "0008"])
def test_upgrade_makes_existing_content_epoch_1(tmp_path: Path, revision: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        refs = world(reg, ("X", "F"))
        reg.register_collection("tagged", CollectionType.TAGGED)
        reg.register_collection("C", CollectionType.CHAINED)
        reg.certify("X", [refs[1]], Timespan(t(2020), t(2021)))
        reg.certify("F", [refs[2]], Timespan(t(2020), None))
        reg.tag("tagged", [refs[3]])
        reg.set_chain("C", ["X", "tagged", "run1"])
        if revision >= "0012":
            reg.set_collection_state("F", "FROZEN")
        live = {n: answers(reg, n, None) for n in ("X", "F", "C")}
    migrate.downgrade(url, revision)
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        assert reg.current_epoch() == 1
        assert {n: answers(reg, n, 1) for n in ("X", "F", "C")} == live
        assert {n: answers(reg, n, None) for n in ("X", "F", "C")} == live
        assert reg.get_chain("C", as_of=1) == ["X", "tagged", "run1"]
        rows = reg.history("X")
        assert {(r.epoch, r.operation, r.reason, r.app_user) for r in rows} == {
            (1, "upgrade", "revision 0014: existing content", None)}
        assert [r.validity_after for r in rows if r.dataset_id] == [
            Timespan(t(2020), t(2021))]
        reg.decertify("X", TYPE, Timespan(None, None))
        assert [r.operation for r in reg.history("X", TYPE)] == ["upgrade", "decertify"]
        assert answers(reg, "X", 1) == live["X"]


def test_an_empty_file_starts_at_epoch_0(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate.upgrade(url, "0013")
    calibcert.upgrade(url)
    with calibcert.connect(url) as reg:
        assert reg.current_epoch() == 0
        reg.register_collection("X", CollectionType.CALIBRATION)
        assert reg.current_epoch() == 1
        assert [r.operation for r in reg.history("X")] == ["register_collection"]


# -- the command line ------------------------------------------------------------------


def test_cli_as_of_history_and_reason(sqlite_url: str, tmp_path: Path) -> None:
    from test_cli import ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        reg.certify("X", [refs[1]], Timespan(t(2020), None))
        pinned = reg.current_epoch()
        reg.decertify("X", TYPE, Timespan(t(2021), t(2022)), [det(1)])
    at = "2021-03-01T00:00:00+00:00"
    found = json.loads(ok(home, sqlite_url, "find", "X", TYPE, "-d",
                          "instrument=Cam,detector=1", "--at", at, "--as-of", str(pinned),
                          "--json").out)
    assert [r["dataset"]["id"] for r in found] == [str(refs[1].id)]
    listed = json.loads(ok(home, sqlite_url, "list", "X", "--as-of", str(pinned),
                           "--json").out)
    assert len(listed) == 1
    rows = json.loads(ok(home, sqlite_url, "history", "X", "--dataset-type", TYPE,
                         "--json").out)
    assert [r["operation"] for r in rows] == ["certify", "decertify", "decertify", "decertify"]
    ok(home, sqlite_url, "--reason", "night 2024-02-10 was bad", "decertify", "X", TYPE,
       "--begin", "2023-01-01T00:00:00+00:00", "--end", "2023-02-01T00:00:00+00:00",
       "--user", "alice")
    with calibcert.connect(sqlite_url) as reg:
        (last,) = {(r.reason, r.app_user, r.operation)
                   for r in reg.history("X", since=reg.current_epoch())}
    assert last == ("night 2024-02-10 was bad", "alice", "decertify")


def test_a_removed_collections_id_is_never_given_again(sqlite_url: str) -> None:
    """history(name) gathers every collection id that ever bore the name: a new collection
    must not get the id of a removed one (SQLite would give the largest rowid + 1 again)."""
    with calibcert.connect(sqlite_url) as reg:
        reg.register_collection("A", CollectionType.TAGGED)
        reg.remove_collection("A")
        reg.register_collection("B", CollectionType.CALIBRATION)
        assert [(r.operation, r.detail["after"] and r.detail["after"]["name"])
                for r in reg.history("A")] == [("register_collection", "A"),
                                               ("remove_collection", None)]
        assert [r.operation for r in reg.history("B")] == ["register_collection"]
