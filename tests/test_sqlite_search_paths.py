"""Chains on SQLite use stored search paths, as on PostgreSQL (revision 0008,
sql/sqlite/schema/search_path.sql): the backend stores the path of every collection after
each chain change, triggers mark the stored paths stale when a raw writer changes a chain,
and a lookup never reads a stale path.

Paths are read from the file with plain ``sqlite3``, as a DBA would, and compared with
the paths worked out by hand from the chains each test builds.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

import calibcert
from calibcert import CollectionType, Timespan, migrate

AT = datetime(2021, 1, 1, tzinfo=timezone.utc)
SINCE_2020 = Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc), None)


def file_of(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def stored(path: Path, name: str) -> list[str]:
    """The stored search path of collection ``name``, member names in rank order."""
    with sqlite3.connect(path) as conn:
        return [n for (n,) in conn.execute(
            "SELECT m.name FROM search_path AS sp"
            " JOIN collection AS c ON c.collection_id = sp.collection_id"
            " JOIN collection AS m ON m.collection_id = sp.member_id"
            " WHERE c.name = ? ORDER BY sp.rank", (name,))]


def stale(path: Path) -> bool:
    with sqlite3.connect(path) as conn:
        return bool(conn.execute("SELECT stale FROM search_path_state").fetchone()[0])


def build(reg: calibcert.Registry) -> dict[str, uuid.UUID]:
    """run with biases a (detector 1) and b (detector 2), calib certifying a from 2020 on,
    calib2 certifying b, tagged; chains inner = [calib, run] and outer = [tagged, inner, run,
    empty]. Detector 2 is found through a chain only if calib2 is on its path."""
    reg.register_dataset_type("bias", ("detector",))
    for name, ctype in (("run", "RUN"), ("calib", "CALIBRATION"), ("calib2", "CALIBRATION"),
                        ("tagged", "TAGGED"), ("inner", "CHAINED"), ("outer", "CHAINED"),
                        ("empty", "CHAINED")):
        reg.register_collection(name, CollectionType(ctype))
    a, b = reg.insert_datasets("bias", "run", [{"detector": 1}, {"detector": 2}])
    reg.certify("calib", [a], SINCE_2020)
    reg.certify("calib2", [b], SINCE_2020)
    reg.set_chain("inner", ["calib", "run"])
    reg.set_chain("outer", ["tagged", "inner", "run", "empty"])
    return {"a": a.id, "b": b.id}


def test_every_chain_change_stores_the_paths_it_changes(sqlite_url: str) -> None:
    path = file_of(sqlite_url)
    with calibcert.connect(sqlite_url) as reg:
        build(reg)
        assert not stale(path)
        assert stored(path, "run") == ["run"] and stored(path, "calib") == ["calib"]
        assert stored(path, "inner") == ["calib", "run"]
        assert stored(path, "outer") == ["tagged", "calib", "run"]
        assert stored(path, "empty") == []
        # Changing inner changes outer above it too.
        reg.set_chain("inner", ["calib2", "calib"])
        assert stored(path, "inner") == ["calib2", "calib"]
        assert stored(path, "outer") == ["tagged", "calib2", "calib", "run"]
        # A chain two levels up, and an empty chain gaining members.
        reg.register_collection("top", CollectionType.CHAINED)
        reg.set_chain("top", ["outer"])
        reg.set_chain("empty", ["calib"])
        assert stored(path, "outer") == ["tagged", "calib2", "calib", "run"]  # calib once
        reg.set_chain("outer", ["empty", "tagged"])
        assert stored(path, "top") == ["calib", "tagged"]
        # A copied chain gets the path of its source; a removed chain takes its path along.
        reg.copy_collection("outer", "outer_copy")
        assert stored(path, "outer_copy") == ["calib", "tagged"]
        reg.remove_collection("outer_copy")
        assert stored(path, "outer_copy") == []
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM search_path AS sp WHERE NOT EXISTS"
                                " (SELECT 1 FROM collection AS c"
                                "  WHERE c.collection_id = sp.collection_id)").fetchone() == (0,)
        assert not stale(path)


def test_a_raw_chain_change_is_never_read_stale(sqlite_url: str) -> None:
    # A DBA script reorders a chain through plain sqlite3: the stored paths are marked
    # stale, lookups through the backend see the new order at once, and the backend's next
    # chain change stores every path again, the raw writer's chain included.
    path = file_of(sqlite_url)
    with calibcert.connect(sqlite_url) as reg:
        refs = build(reg)
        reg.set_chain("inner", ["calib", "calib2"])
        assert reg.find("inner", "bias", {"detector": 2}, AT).id == refs["b"]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM collection_chain WHERE parent_id ="
                 " (SELECT collection_id FROM collection WHERE name = 'inner') AND position = 2")
    conn.close()
    assert stale(path)
    assert stored(path, "inner") == ["calib", "calib2"]  # what a stale read would use
    with calibcert.connect(sqlite_url) as reg:
        assert reg.find("inner", "bias", {"detector": 2}, AT) is None
        assert [c.collection for c in reg.certifications("inner")] == ["calib"]
        assert [c.collection for c in reg.certifications("outer")] == ["calib"]
        reg.set_chain("empty", ["run"])  # any chain change: every path is stored again
    assert not stale(path)
    assert stored(path, "inner") == ["calib"]
    assert stored(path, "outer") == ["tagged", "calib", "run"]
    assert stored(path, "empty") == ["run"]


@pytest.mark.parametrize("foreign_keys", [False, True])
def test_raw_collection_writes_keep_their_own_rows(sqlite_url: str, foreign_keys: bool) -> None:
    path = file_of(sqlite_url)
    with calibcert.connect(sqlite_url) as reg:
        build(reg)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    conn.execute("INSERT INTO collection (name, type) VALUES ('raw_run', 'RUN')")
    conn.execute("INSERT INTO collection (name, type) VALUES ('raw_chain', 'CHAINED')")
    assert stored(path, "raw_run") == ["raw_run"] and stored(path, "raw_chain") == []
    assert not stale(path)  # nothing above a new collection
    conn.execute("DELETE FROM collection WHERE name = 'raw_run'")
    conn.execute("DELETE FROM collection WHERE name = 'outer'")
    assert conn.execute("SELECT count(*) FROM search_path AS sp WHERE NOT EXISTS"
                        " (SELECT 1 FROM collection AS c WHERE c.collection_id = sp.collection_id"
                        "  OR c.collection_id = sp.member_id)").fetchone() == (0,)
    assert stored(path, "outer") == []
    # A type change (raw SQL only) marks every path stale.
    conn.execute("UPDATE collection SET type = 'CALIBRATION' WHERE name = 'tagged'")
    conn.close()
    assert stale(path)
    with calibcert.connect(sqlite_url) as reg:
        assert reg.find("tagged", "bias", {"detector": 1}, AT) is None


def test_upgrade_from_0007_stores_every_search_path(tmp_path: Path) -> None:
    # A file written at 0007 (no stored paths) with nested chains, written as a tool would:
    # revision 0008 stores the path of every collection it holds, and lookups agree.
    path = tmp_path / "calib.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "0007")
    conn = sqlite3.connect(path, isolation_level=None)
    ids = {}
    for name, ctype in (("run", "RUN"), ("calib", "CALIBRATION"), ("tagged", "TAGGED"),
                        ("inner", "CHAINED"), ("outer", "CHAINED"), ("empty", "CHAINED")):
        ids[name] = conn.execute("INSERT INTO collection (name, type) VALUES (?, ?)",
                                 (name, ctype)).lastrowid
    for parent, children in (("inner", ["calib", "run"]),
                             ("outer", ["tagged", "inner", "run", "empty"])):
        conn.executemany("INSERT INTO collection_chain (parent_id, position, child_id)"
                         " VALUES (?, ?, ?)",
                         [(ids[parent], i, ids[c]) for i, c in enumerate(children, 1)])
    conn.close()
    calibcert.upgrade(url)
    assert not stale(path)
    assert stored(path, "outer") == ["tagged", "calib", "run"]
    assert stored(path, "inner") == ["calib", "run"]
    assert stored(path, "run") == ["run"] and stored(path, "empty") == []
    with calibcert.connect(url) as reg:
        reg.register_dataset_type("bias", ("detector",))
        (ref,) = reg.insert_datasets("bias", "run", [{"detector": 1}])
        reg.certify("calib", [ref], SINCE_2020)
        assert reg.find("outer", "bias", {"detector": 1}, AT).id == ref.id
