"""Collection states on SQLite: plain sqlite3 connections (no calibcert, foreign keys off)
cannot change a FROZEN collection; writer lists, which need roles, are refused."""

from __future__ import annotations

import sqlite3

import pytest

import calibcert
from calibcert import CollectionState, CollectionType, Timespan
from calibcert.errors import InvalidArgumentError, MissingCollectionError
from helpers import CALIB, RUN, bias_id, make_world, t

CHAIN, TAGGED_NAME, OTHER_CALIB = "Cam/chain", "Cam/tagged", "Cam/calib-other"

RAW = {
    "insert_certification": (
        "INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
        " run_id, begin_us, end_us) SELECT k.collection_id, d.dataset_type_id, d.data_id_key,"
        " d.dataset_id, d.run_id, 0, 1 FROM collection AS k, dataset AS d"
        f" WHERE k.name = '{CALIB}' LIMIT 1"),
    "update_certification": "UPDATE certification SET end_us = end_us - 1",
    # Out of the FROZEN collection into an OPEN one: the guard probes the old collection
    # too when a row moves (revision 0017 probes it only then).
    "move_certification_out": (
        "UPDATE certification SET collection_id = (SELECT collection_id FROM collection"
        f" WHERE name = '{OTHER_CALIB}')"),
    "delete_certification": "DELETE FROM certification",
    "insert_tag": (
        "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id, run_id)"
        " SELECT k.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id, d.run_id"
        f" FROM collection AS k, dataset AS d WHERE k.name = '{TAGGED_NAME}' LIMIT 1"),
    "insert_dataset": (
        "INSERT INTO dataset (dataset_id, dataset_type_id, data_id_key, run_id)"
        " SELECT x'00', d.dataset_type_id, d.data_id_key, d.run_id FROM dataset AS d LIMIT 1"),
    "delete_dataset": "DELETE FROM dataset",
    "change_chain": "DELETE FROM collection_chain",
    "rename_collection": f"UPDATE collection SET name = 'x' WHERE name = '{CALIB}'",
    "delete_collection": f"DELETE FROM collection WHERE name = '{CALIB}'",
}
#: The collection each raw statement touches.
TARGET = {"insert_tag": TAGGED_NAME, "insert_dataset": RUN, "delete_dataset": RUN,
          "change_chain": CHAIN}


@pytest.fixture
def url(sqlite_url: str) -> str:
    with calibcert.connect(sqlite_url) as reg:
        w = make_world(reg)
        reg.register_collection(TAGGED_NAME, CollectionType.TAGGED)
        reg.register_collection(CHAIN, CollectionType.CHAINED)
        reg.register_collection(OTHER_CALIB, CollectionType.CALIBRATION)
        reg.set_chain(CHAIN, [CALIB])
        reg.certify(CALIB, w.biases(1), Timespan(t(2020), None))
    return sqlite_url


def dump(path: str) -> list[list[tuple]]:
    with sqlite3.connect(path) as conn:
        return [conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in ("collection", "certification", "tag", "dataset", "collection_chain")]


@pytest.mark.parametrize("statement", list(RAW))
def test_plain_sqlite3_cannot_change_a_frozen_collection(url: str, statement: str) -> None:
    path = url.removeprefix("sqlite:///")
    target = TARGET.get(statement, CALIB)
    with calibcert.connect(url) as reg:
        reg.set_collection_state(target, CollectionState.FROZEN)
    before = dump(path)
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="collection_frozen"):
            conn.execute(RAW[statement])
        conn.commit()
    finally:
        conn.close()
    assert dump(path) == before
    # Unfreezing (the state alone may change) lifts the guard: the same statement then
    # meets only the file's other rules.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE collection SET state = 'OPEN' WHERE name = ?", (target,))
        try:
            conn.execute(RAW[statement])
        except sqlite3.IntegrityError as exc:
            assert "collection_frozen" not in str(exc)


def test_writers_need_postgresql_roles(url: str) -> None:
    with calibcert.connect(url) as reg:
        with pytest.raises(InvalidArgumentError) as info:
            reg.set_collection_writers(CALIB, ["calib_writer"])
        assert str(info.value) == ("writer lists need PostgreSQL roles: set_collection_writers"
                                   " of 'Cam/calib' is not available on SQLite")
        with pytest.raises(MissingCollectionError):
            reg.set_collection_writers("nope", None)
        assert reg.list_collections()[0].writers is None
        assert reg.find(CALIB, "bias", bias_id(1), t(2021)) is not None
