"""revert on SQLite: what only SQLite has to prove (README "Revert"). The behaviour suite
(tests/test_behaviour_revert.py) proves the rows, conflicts and messages equal
PostgreSQL's; here: a revert racing a certify of the same collection from another real
process (the file's write lock serializes them: one wins, the other fails whole, no
overlap), raw sqlite3 writers (a raw change can be reverted, and one made after the
reverted change stands in its way even before calibcert sealed it), and the CLI.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan
from calibcert.errors import RevertConflictError
from helpers import t
from test_behaviour_revert import TYPE, content, det, other_det1, world


def _second(path: str, action: str, epoch: int, other: str, ready: Any, out: Any) -> None:
    """In another process: the second writer, waiting for the file's write lock."""
    from calibcert.errors import CalibCertError

    with calibcert.connect(f"sqlite:///{path}") as reg:
        ready.set()
        try:
            if action == "revert":
                reg.revert(epoch)
            else:
                ref = reg.get_datasets([other])[0]
                reg.certify("X", [ref], Timespan(t(2024), None))
            out.put(("ok", None, None))
        except CalibCertError as exc:
            out.put(("error", exc.sqlstate, exc.details.get("kind")))


@pytest.mark.parametrize("first", ["revert", "certify"])
def test_a_revert_racing_a_certify_one_wins(sqlite_url: str, first: str) -> None:
    """The first holds the write lock (uncommitted) while the second, in another process,
    waits for it; once the first commits, the second sees its work and fails whole: a
    certify over the restored certification conflicts (certification_conflict), a revert
    whose restored certification a certify now overlaps conflicts (revert_overlap)."""
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        other = other_det1(reg)
        reg.decertify("X", TYPE, Timespan(None, None), [det(1)])
        e = reg.current_epoch()
        second = "certify" if first == "revert" else "revert"
        ctx = multiprocessing.get_context("spawn")
        ready, out = ctx.Event(), ctx.Queue()
        proc = ctx.Process(target=_second, args=(path, second, e, str(other.id), ready, out))
        with reg.transaction():
            if first == "revert":
                reg.revert(e)
            else:
                reg.certify("X", [other], Timespan(t(2024), None))
            proc.start()
            assert ready.wait(60)
            time.sleep(0.5)
            assert proc.is_alive(), "the second did not wait for the first's write lock"
        proc.join(60)
        assert proc.exitcode == 0
        status, sqlstate, kind = out.get(timeout=10)
        expected = "certification_conflict" if second == "certify" else "revert_overlap"
        assert (status, sqlstate, kind) == ("error", "KC001", expected)
        certs = [c for c in reg.certifications("X") if c.ref.data_id == det(1)]
        winner = refs[1].id if first == "revert" else other.id
        assert [c.ref.id for c in certs] == [winner]
        # The loser wrote nothing: one epoch only after the decertify.
        assert reg.current_epoch() == e + 1
        assert reg.check_integrity() == []


def _racer(path: str, seed: int, rounds: int, out: Any) -> None:
    """Reverts random earlier epochs and certifies at random, as fast as the lock allows."""
    import random

    from calibcert.errors import CalibCertError

    rng = random.Random(seed)
    done = {"revert": 0, "certify": 0}
    with calibcert.connect(f"sqlite:///{path}") as reg:
        refs = [r for r in reg.query_datasets("run1", TYPE)] + [
            r for r in reg.query_datasets("run2", TYPE)]
        for _ in range(rounds):
            try:
                if rng.random() < 0.5:
                    reg.revert(rng.randrange(1, reg.current_epoch() + 1))
                    done["revert"] += 1
                else:
                    reg.certify("X", [rng.choice(refs)],
                                Timespan(t(rng.randrange(2019, 2026)), None), close_open=True)
                    done["certify"] += 1
            except CalibCertError as exc:
                assert exc.sqlstate in ("KC001", "KC019", "KC002", "KC015"), exc
    out.put(done)


def test_reverts_and_certifies_from_processes_never_overlap(sqlite_url: str) -> None:
    """Three processes revert random epochs and certify with close_open at once: every
    call succeeds whole or fails whole; the file never holds an overlap and every
    successful call took exactly one epoch."""
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        world(reg)
        other_det1(reg)
        start = reg.current_epoch()
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(path, seed, 12, out)) for seed in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
        assert all(p.exitcode == 0 for p in procs)
        counts = [out.get(timeout=10) for _ in procs]
        reverts = sum(c["revert"] for c in counts)
        certifies = sum(c["certify"] for c in counts)
        assert reverts and certifies, counts  # both kinds really committed
        assert reg.current_epoch() == start + reverts + certifies
        assert reg.check_integrity() == []
        spans: dict[Any, list[Timespan]] = {}
        for c in reg.certifications("X"):
            spans.setdefault(json.dumps(c.ref.data_id, sort_keys=True), []).append(c.timespan)
        for key, values in spans.items():
            values.sort(key=lambda s: (s.begin is not None, s.begin))
            for a, b in zip(values, values[1:], strict=False):
                assert a.end is not None and b.begin is not None and a.end <= b.begin, key


# -- raw writers -----------------------------------------------------------------------


def test_raw_writers_changes_are_reverted_and_stand_in_the_way(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        before = content(reg)
        # A raw change (operation 'sql') is reverted like any other.
        conn = sqlite3.connect(path)
        conn.execute("DELETE FROM certification WHERE dataset_id = ?", (refs[1].id.bytes,))
        conn.commit()
        raw_epoch = reg.current_epoch()
        assert content(reg) != before
        rows = reg.revert(raw_epoch)
        assert [(r.action, r.dataset) for r in rows] == [("restore certification", refs[1].id)]
        assert content(reg) == before
        # A raw change made after the change to revert, not yet sealed when revert is
        # called: the revert seals it first and finds it in the way.
        reg.certify("X", [refs[3]], Timespan(t(2021), None))
        e = reg.current_epoch()
        conn.execute("UPDATE certification SET end_us = ? WHERE dataset_id = ?",
                     (int(t(2025).timestamp()) * 10**6, refs[3].id.bytes))
        conn.commit()
        conn.close()
        after = content(reg)
        with pytest.raises(RevertConflictError) as info:
            reg.revert(e)
        assert info.value.details["kind"] == "revert_row_changed"
        assert info.value.details["later_epoch"] == e + 1
        assert content(reg) == after
        history = [h for h in reg.history("X") if h.epoch == e + 1]
        assert history and {h.operation for h in history} == {"sql"}


def test_cli_revert(sqlite_url: str, tmp_path: Path) -> None:
    from test_cli import cli, ok

    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    with calibcert.connect(sqlite_url) as reg:
        refs = world(reg)
        before = content(reg)
        reg.certify("X", [refs[3]], Timespan(t(2021), None))
        e = reg.current_epoch()
        after = content(reg)
    dry = json.loads(ok(home, sqlite_url, "revert", str(e), "--dry-run", "--json").out)
    assert [(r["action"], r["collection"], r["data_id"]) for r in dry] == [
        ("remove certification", "X", det(3))]
    table = ok(home, sqlite_url, "revert", str(e), "--dry-run")
    assert "remove certification" in table.out and "dry run" in table.err
    reg2: Registry
    with calibcert.connect(sqlite_url) as reg2:
        assert content(reg2) == after and reg2.current_epoch() == e
    ok(home, sqlite_url, "revert", str(e), "--reason", "wrong detector", "--user", "bob")
    with calibcert.connect(sqlite_url) as reg2:
        assert content(reg2) == before
        (last,) = {(h.operation, h.reason, h.app_user)
                   for h in reg2.history("X", since=reg2.current_epoch())}
    assert last == ("revert", "wrong detector", "bob")
    again = cli(home, sqlite_url, "revert", str(e))
    assert again.code == 1 and "cannot revert epoch" in again.err, again
    missing = cli(home, sqlite_url, "revert", "999")
    assert missing.code == 2 and "nothing to revert" in missing.err, missing


def test_collection_registered_and_removed_by_a_revert_keeps_its_id(sqlite_url: str) -> None:
    """A collection a revert brings back has its old id (its history stays one), and no
    new collection is given an id a removed one had."""
    with calibcert.connect(sqlite_url) as reg:
        world(reg)
        reg.register_collection("Y", CollectionType.CALIBRATION)
        reg.remove_collection("Y")
        e = reg.current_epoch()
        reg.revert(e)
        ids = reg.connection.execute(  # type: ignore[attr-defined]
            "SELECT DISTINCT collection_id FROM collection_version WHERE name = 'Y'").fetchall()
        assert len(ids) == 1
        assert [h.detail["after"]["state"] if h.detail["after"] else None
                for h in reg.history("Y")] == ["OPEN", None, "OPEN"]
        reg.register_collection("Z", CollectionType.TAGGED)
        z = reg.connection.execute(  # type: ignore[attr-defined]
            "SELECT collection_id FROM collection WHERE name = 'Z'").fetchone()[0]
        assert z > ids[0][0]
        assert isinstance(content(reg)["Y"], tuple)


def test_a_revert_of_chain_changes_stores_fresh_search_paths(sqlite_url: str) -> None:
    """A revert that changes chains stores their search paths again, as set_chain does
    (a stale mark would make every lookup walk the chains)."""
    from test_sqlite_search_paths import stale, stored

    path = Path(sqlite_url.removeprefix("sqlite:///"))
    with calibcert.connect(sqlite_url) as reg:
        world(reg)
        reg.register_collection("D", CollectionType.CHAINED)
        reg.set_chain("D", ["C"])
        reg.set_chain("C", ["T"])
        e = reg.current_epoch()
        assert stored(path, "D") == ["T"]
        reg.revert(e)
        assert not stale(path)
        assert stored(path, "C") == ["X", "T"] and stored(path, "D") == ["X", "T"]
        reg.revert(reg.current_epoch())
        assert not stale(path)
        assert stored(path, "D") == ["T"]
