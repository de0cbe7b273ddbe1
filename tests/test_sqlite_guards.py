"""A calibcert SQLite file guards its own invariants against every writer (revision 0005,
sql/sqlite/schema/guards.sql): raw SQL through plain ``sqlite3`` (a DBA script, another
tool) can store neither overlapping certifications of one calibration key nor rows that
point at a missing parent, with foreign keys off (a plain connection's default) or on.

Each test writes as such a tool would, on a file the client filled, and names the
constraint it expects, as PostgreSQL's errors do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

import calibcert
from calibcert import CollectionType, Timespan

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
OPEN_END = 9223372036854775807


def us(year: int) -> int:
    return int((datetime(year, 1, 1, tzinfo=timezone.utc) - EPOCH).total_seconds()) * 10**6


@pytest.fixture
def filled(sqlite_url: str) -> Iterator[Path]:
    """A file with a RUN of three biases, a CALIBRATION collection holding detector 1 over
    [2020, 2021) and detector 2 from 2020 on, a TAGGED collection and a chain."""
    with calibcert.connect(sqlite_url) as reg:
        reg.register_dataset_type("bias", ("detector",))
        reg.register_collection("run", CollectionType.RUN)
        reg.register_collection("calib", CollectionType.CALIBRATION)
        reg.register_collection("tagged", CollectionType.TAGGED)
        reg.register_collection("chain", CollectionType.CHAINED)
        reg.set_chain("chain", ["calib"])
        refs = reg.insert_datasets("bias", "run", [{"detector": d} for d in (1, 2, 3)])
        t = [datetime(y, 1, 1, tzinfo=timezone.utc) for y in (2020, 2021)]
        reg.certify("calib", refs[:1], Timespan(t[0], t[1]))
        reg.certify("calib", refs[1:2], Timespan(t[0], None))
        reg.tag("tagged", refs[:1])
    yield Path(sqlite_url.removeprefix("sqlite:///"))


def raw(path: Path, foreign_keys: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    return conn


def refused(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> str:
    with pytest.raises(sqlite3.IntegrityError) as info:
        conn.execute(sql, params)
    return str(info.value)


def cert_row(conn: sqlite3.Connection, detector: int) -> dict:
    """The stored certification of a detector, as a dict of its columns."""
    cur = conn.execute(
        "SELECT c.* FROM certification AS c JOIN data_id AS k USING (data_id_key)"
        " WHERE json_extract(k.value, '$.detector') = ? ORDER BY c.begin_us LIMIT 1",
        (detector,))
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def insert_cert(conn: sqlite3.Connection, row: dict, **changes) -> None:
    row = {**row, **changes}
    conn.execute(f"INSERT INTO certification ({', '.join(row)})"
                 f" VALUES ({', '.join('?' * len(row))})", tuple(row.values()))


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- no overlap, whoever writes ------------------------------------------------------------


@pytest.mark.parametrize("foreign_keys", [False, True])
def test_raw_overlapping_certifications_are_refused(filled: Path, foreign_keys: bool) -> None:
    conn = raw(filled, foreign_keys)
    one = cert_row(conn, 1)  # [2020, 2021)
    for begin, end in [(us(2019), us(2021)), (us(2020) + 1, us(2020) + 2),
                       (us(2019), OPEN_END), (us(2020) + 5, us(2022))]:
        message = refused(conn, "INSERT INTO certification"
                          f" ({', '.join(one)}) VALUES ({', '.join('?' * len(one))})",
                          tuple({**one, "begin_us": begin, "end_us": end}.values()))
        assert "certification_no_overlap" in message, (begin, end)
    # adjacent on either side is no overlap
    insert_cert(conn, one, begin_us=us(2021), end_us=us(2022))
    insert_cert(conn, one, begin_us=us(2019), end_us=us(2020))
    assert count(conn, "certification") == 4
    conn.close()


def test_raw_rows_of_one_statement_are_checked_against_each_other(filled: Path) -> None:
    conn = raw(filled, False)
    one = cert_row(conn, 1)
    conn.execute("DELETE FROM certification")
    cols = ", ".join(one)
    message = refused(
        conn, f"INSERT INTO certification ({cols}) SELECT {cols} FROM ("
        f"SELECT {', '.join(f'? AS {c}' for c in one)} UNION ALL "
        f"SELECT {', '.join(f'? AS {c}' for c in one)})",
        (*{**one, "begin_us": us(2010), "end_us": us(2012)}.values(),
         *{**one, "begin_us": us(2011), "end_us": us(2013)}.values()))
    assert "certification_no_overlap" in message
    assert count(conn, "certification") == 0  # the statement is undone whole


def test_raw_update_into_an_overlap_is_refused(filled: Path) -> None:
    conn = raw(filled, False)
    one = cert_row(conn, 1)
    insert_cert(conn, one, begin_us=us(2022), end_us=us(2023))
    # stretching [2022, 2023) back over [2020, 2021) is an overlap; shortening, moving
    # within the free gap, or changing the row's own bounds are not
    assert "certification_no_overlap" in refused(
        conn, "UPDATE certification SET begin_us = ? WHERE begin_us = ?", (us(2020) + 7,
                                                                          us(2022)))
    conn.execute("UPDATE certification SET begin_us = ? WHERE begin_us = ?",
                 (us(2021), us(2022)))
    conn.execute("UPDATE certification SET end_us = ? WHERE begin_us = ? AND end_us = ?",
                 (us(2020) + 10, us(2020), us(2021)))
    assert count(conn, "certification") == 3


# -- the foreign keys, also with foreign_keys off ------------------------------------------


def test_raw_certification_needs_its_dataset_and_calibration_collection(filled: Path) -> None:
    conn = raw(filled, False)
    one = cert_row(conn, 1)
    free = {"begin_us": us(2030), "end_us": us(2031)}
    assert "certification_dataset_fkey" in refused(
        conn, *_insert(one | free | {"dataset_id": b"\x00" * 16}))
    assert "certification_dataset_fkey" in refused(
        conn, *_insert(one | free | {"run_id": 9999}))
    assert "certification_collection_fkey" in refused(
        conn, *_insert(one | free | {"collection_id": 9999}))
    tagged = conn.execute("SELECT collection_id FROM collection WHERE name = 'tagged'"
                          ).fetchone()[0]
    assert "certification_collection_fkey" in refused(
        conn, *_insert(one | free | {"collection_id": tagged}))
    assert "certification_dataset_fkey" in refused(
        conn, "UPDATE certification SET dataset_id = zeroblob(16)")
    assert count(conn, "certification") == 2


def _insert(row: dict, table: str = "certification") -> tuple[str, tuple]:
    return (f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()))


def test_raw_rows_elsewhere_need_their_parents(filled: Path) -> None:
    conn = raw(filled, False)
    tag = dict(zip([d[0] for d in conn.execute("SELECT * FROM tag").description],
                   conn.execute("SELECT * FROM tag").fetchone(), strict=True))
    assert "tag_dataset_fkey" in refused(conn, *_insert(tag | {"dataset_id": b"\x01" * 16},
                                                        "tag"))
    assert "tag_collection_fkey" in refused(conn, *_insert(tag | {"collection_id": 9999},
                                                           "tag"))
    ds = dict(zip([d[0] for d in conn.execute("SELECT * FROM dataset").description],
                  conn.execute("SELECT * FROM dataset").fetchone(), strict=True))
    assert "dataset_run_fkey" in refused(
        conn, *_insert(ds | {"dataset_id": b"\x02" * 16, "run_id": 9999}, "dataset"))
    assert "dataset_data_id_fkey" in refused(
        conn, *_insert(ds | {"dataset_id": b"\x02" * 16, "data_id_key": 9999}, "dataset"))
    assert "data_id_dataset_type_fkey" in refused(
        conn, "INSERT INTO data_id (dataset_type_id, value) VALUES (9999, '{}')")
    chain = conn.execute("SELECT collection_id FROM collection WHERE name = 'chain'"
                         ).fetchone()[0]
    assert "collection_chain_child_fkey" in refused(
        conn, "INSERT INTO collection_chain (parent_id, position, child_id) VALUES (?, 2, 9999)",
        (chain,))
    assert "collection_chain_parent_fkey" in refused(
        conn, "INSERT INTO collection_chain (parent_id, position, child_id) VALUES (9999, 1, ?)",
        (chain,))


def test_raw_deletes_neither_orphan_nor_lose_children(filled: Path) -> None:
    conn = raw(filled, False)
    # datasets are referred to by certifications and tags; data IDs by datasets; dataset
    # types by data IDs; a RUN by its datasets; a chain's child by the chain
    assert "certification_dataset_fkey" in refused(conn, "DELETE FROM dataset")
    assert "dataset_data_id_fkey" in refused(conn, "DELETE FROM data_id")
    assert "data_id_dataset_type_fkey" in refused(conn, "DELETE FROM dataset_type")
    assert "dataset_run_fkey" in refused(conn, "DELETE FROM collection WHERE name = 'run'")
    assert "collection_chain_child_fkey" in refused(
        conn, "DELETE FROM collection WHERE name = 'calib'")
    assert "certification_collection_fkey" in refused(
        conn, "UPDATE collection SET type = 'TAGGED' WHERE name = 'calib'")
    # a chain, a TAGGED and (once no chain lists it) a CALIBRATION collection go with their
    # rows, as ON DELETE CASCADE does
    conn.execute("DELETE FROM collection WHERE name = 'chain'")
    conn.execute("DELETE FROM collection WHERE name = 'tagged'")
    conn.execute("DELETE FROM collection WHERE name = 'calib'")
    assert [count(conn, t) for t in ("collection_chain", "tag", "certification")] == [0, 0, 0]
    assert count(conn, "dataset") == 3


@pytest.mark.parametrize("foreign_keys", [False, True])
def test_lookups_see_what_raw_writers_may_store(filled: Path, foreign_keys: bool) -> None:
    # What a raw writer may still store is what the client stores: a lookup afterwards
    # answers from it, through the chain too.
    conn = raw(filled, foreign_keys)
    one = cert_row(conn, 1)
    insert_cert(conn, one, begin_us=us(2021), end_us=us(2022))
    conn.close()
    with calibcert.connect(f"sqlite:///{filled}") as reg:
        found = reg.find("chain", "bias", {"detector": 1},
                         datetime(2021, 6, 1, tzinfo=timezone.utc))
        assert found is not None and found.data_id == {"detector": 1}


def test_without_the_guards_the_same_raw_writes_are_stored(filled: Path) -> None:
    # The mutant: the file as revision 0004 left it. The writes refused above go through,
    # which is what the tests above would catch.
    from calibcert import migrate

    migrate.downgrade(f"sqlite:///{filled}", "0004")
    conn = raw(filled, False)
    one = cert_row(conn, 1)
    insert_cert(conn, one, begin_us=us(2020) + 1, end_us=us(2022))  # overlaps [2020, 2021)
    insert_cert(conn, one, begin_us=us(2030), end_us=us(2031), dataset_id=b"\x00" * 16)
    conn.execute("DELETE FROM dataset")
    assert count(conn, "certification") == 4 and count(conn, "dataset") == 0


def test_an_overlapping_file_is_not_upgraded(filled: Path) -> None:
    # Lookups at an instant rely on the rule the guards keep (an instant meets at most one
    # certification of a key). A file that got overlapping rows before the guards existed
    # (written at revision 0004) is refused by the upgrade, unchanged, with the fix; once
    # the overlap is gone it upgrades.
    from calibcert import migrate
    from calibcert.schema import HEAD_REVISION

    url = f"sqlite:///{filled}"
    migrate.downgrade(url, "0004")
    conn = raw(filled, False)
    one = cert_row(conn, 1)
    insert_cert(conn, one, begin_us=us(2020) + 1, end_us=us(2022))
    conn.close()
    with pytest.raises(Exception, match="overlap.*decertify them, then upgrade"):
        calibcert.upgrade(url)
    assert migrate.current(url) == "0004"
    conn = raw(filled, False)
    assert count(conn, "certification") == 3
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE '%guard%'"
                        ).fetchone() == (0,)
    conn.execute("DELETE FROM certification WHERE begin_us = ?", (us(2020) + 1,))
    conn.close()
    calibcert.upgrade(url)
    assert migrate.current(url) == HEAD_REVISION
