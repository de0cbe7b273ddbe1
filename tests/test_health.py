"""The integrity check and the collection statistics (issue 15, item 4), on both backends.

A healthy database of every kind reports nothing. Then, for each check, a database is
corrupted the way only raw SQL by the owner or a superuser could (PostgreSQL: the exclusion
constraint dropped in a throw-away database, triggers and foreign keys off with
``session_replication_role = replica``; SQLite: plain sqlite3 with the guard triggers
dropped and foreign keys off), and the check must report exactly that problem, through the
client and through ``calibcert db check`` (exit 6). Statistics are compared with numbers the
test computes itself from the client's plain reads.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Timespan
from calibcert.schema import HEAD_REVISION
from calibcert.urls import sqlite_path
from helpers import CALIB, RUN, RUN2, make_world, t, ts
from test_cli import cli

UTC = timezone.utc
U = {i: uuid.UUID(int=i) for i in range(1, 6)}
Y2020, Y2021 = datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC)
T2020, T2021 = "2020-01-01T00:00:00.000000+00:00", "2021-01-01T00:00:00.000000+00:00"
DET1 = {"instrument": "Cam", "detector": 1}
DET2 = {"instrument": "Cam", "detector": 2}


# -- healthy databases ----------------------------------------------------------------------


def test_an_empty_database_is_healthy(backend) -> None:
    assert backend.check_integrity() == []
    assert backend.collection_stats() == []


def _every_kind(reg) -> None:
    """Every kind of row the functions write: every collection type, nested chains with a
    repeated member and an empty one, closed, open-ended and unbounded-below
    certifications, split and closed ones, copies, tags, integer and string dimensions."""
    w = make_world(reg)
    reg.register_collection("tagged", CollectionType.TAGGED)
    reg.register_collection("inner", CollectionType.CHAINED)
    reg.register_collection("outer", CollectionType.CHAINED)
    reg.register_collection("empty-chain", CollectionType.CHAINED)
    reg.register_dataset_type("sky", ("band",), is_calibration=False)
    b = w.biases(1, 2, 3)
    b2 = w.biases(1, run=RUN2)
    f = [w.flat(1, "g")]
    w.raw(1)
    sky = reg.insert_datasets("sky", RUN, [{"band": "g"}, {"band": "r"}])
    reg.certify(CALIB, b[:1], ts(2020, 2021))
    reg.certify(CALIB, b[1:2], ts(2020, None))
    reg.certify(CALIB, b[2:3], ts(None, 2021))
    reg.certify(CALIB, b2, ts(2021, None))
    reg.certify(CALIB, f, ts(2020, None))
    reg.decertify(CALIB, "bias", ts(t(2020, 6), t(2020, 7)))
    reg.close_open_range(CALIB, "flat", t(2022))
    reg.tag("tagged", b[:2] + sky)
    reg.set_chain("inner", [CALIB, "tagged"])
    reg.set_chain("outer", ["inner", CALIB, RUN, "empty-chain"])
    reg.copy_collection(CALIB, "calib-copy")
    reg.copy_collection("outer", "outer-copy")


def test_a_healthy_database_of_every_kind_reports_nothing(backend) -> None:
    _every_kind(backend)
    assert len(backend.certifications(CALIB)) == 8  # the decertify split three
    assert backend.check_integrity() == []


# -- statistics --------------------------------------------------------------------------


def _expected_stats(reg) -> list[tuple]:
    """collection_stats() computed from the client's plain reads, not from its SQL."""
    types = [d.name for d in reg.list_dataset_types()]
    out = []
    for c in reg.list_collections():
        datasets = tagged = certs = keys = open_ended = children = 0
        begin = end = None
        if c.type is CollectionType.RUN:
            datasets = sum(len(reg.query_datasets(c.name, t_)) for t_ in types)
        elif c.type is CollectionType.TAGGED:
            tagged = sum(len(reg.query_datasets(c.name, t_)) for t_ in types)
        elif c.type is CollectionType.CALIBRATION:
            rows = reg.certifications(c.name)
            certs = len(rows)
            keys = len({(r.ref.dataset_type, json.dumps(r.ref.data_id, sort_keys=True))
                        for r in rows})
            open_ended = sum(r.timespan.end is None for r in rows)
            if rows and all(r.timespan.begin is not None for r in rows):
                begin = min(r.timespan.begin for r in rows)
            if rows and open_ended == 0:
                end = max(r.timespan.end for r in rows)
        else:
            children = len(reg.get_chain(c.name))
        out.append((c.name, c.type, c.state, datasets, tagged, certs, keys, open_ended, begin,
                    end, children))
    return out


def test_collection_stats_match_counts_computed_from_plain_reads(backend) -> None:
    _every_kind(backend)
    backend.set_collection_state(RUN2, "FROZEN")
    backend.set_collection_state("tagged", "APPEND_ONLY")
    got = [(s.name, s.type, s.state, s.datasets, s.tagged, s.certifications,
            s.calibration_keys, s.open_ended, s.earliest_begin, s.latest_end, s.children)
           for s in backend.collection_stats()]
    assert got == _expected_stats(backend)
    by_name = {row[0]: row for row in got}
    # Spelled out once, so that a wrong reading of the rule in both places still fails.
    assert by_name[CALIB][2:] == ("OPEN", 0, 0, 8, 4, 2, None, None, 0)  # one unbounded below
    assert by_name["outer"][10] == 4 and by_name["tagged"][4] == 4
    assert by_name[RUN][3] == 7 and by_name[RUN2][3] == 1
    assert (by_name[RUN2][2], by_name["tagged"][2]) == ("FROZEN", "APPEND_ONLY")


def test_collection_stats_times(backend) -> None:
    w = make_world(backend)
    b = w.biases(1, 2)
    backend.certify(CALIB, b[:1], ts(2020, 2021))
    backend.certify(CALIB, b[1:], ts(t(2019, 5), t(2020, 3)))
    (s,) = [s for s in backend.collection_stats() if s.name == CALIB]
    assert (s.earliest_begin, s.latest_end, s.open_ended) == (t(2019, 5), t(2021), 0)
    backend.certify(CALIB, b[1:], ts(2022, None))
    (s,) = [s for s in backend.collection_stats() if s.name == CALIB]
    assert (s.earliest_begin, s.latest_end, s.open_ended, s.calibration_keys) == (
        t(2019, 5), None, 1, 2)


# -- corrupted databases -----------------------------------------------------------------


def _hex(u: uuid.UUID) -> str:
    return f"X'{u.hex}'"


@dataclass
class Db:
    """A throw-away database holding a small world, and a raw writer that bypasses every
    guard: what only the owner or a superuser can do."""

    kind: str
    url: str
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def s(self) -> str:
        return "calib." if self.kind == "postgresql" else ""

    def uuid(self, u: uuid.UUID) -> str:
        return f"'{u}'::uuid" if self.kind == "postgresql" else _hex(u)

    def raw(self, *statements: str) -> None:
        if self.kind == "postgresql":
            with psycopg.connect(self.url) as conn:
                conn.execute("SET session_replication_role = replica")  # no trigger, no FK
                for st in statements:
                    conn.execute(st.encode())
            return
        conn = sqlite3.connect(sqlite_path(self.url))
        try:
            guards = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                                  " AND name LIKE '%guard%'").fetchall()
            for name, _ in guards:
                conn.execute(f'DROP TRIGGER "{name}"')
            conn.execute("PRAGMA foreign_keys = OFF")
            for st in statements:
                conn.execute(st)
            # The guards back (a missing one is a problem of its own: missing_guard).
            for _, sql in guards:
                conn.execute(sql)
            conn.commit()
        finally:
            conn.close()

    def read_ids(self) -> None:
        """Internal ids, for the details that name them (missing_reference)."""
        if self.kind == "postgresql":
            with psycopg.connect(self.url) as conn:
                rows = conn.execute(
                    "SELECT 'c:' || name, collection_id FROM calib.collection UNION ALL"
                    " SELECT 't:' || name, dataset_type_id FROM calib.dataset_type UNION ALL"
                    " SELECT 'k:' || dataset_id, data_id_key FROM calib.dataset UNION ALL"
                    # the epochs that created each certification and collection (history)
                    " SELECT 'e:' || c.dataset_id, h.epoch FROM calib.certification AS c"
                    " JOIN calib.change AS h ON h.change_id = c.created_change UNION ALL"
                    " SELECT 'e:' || v.name, h.epoch FROM calib.collection_version AS v"
                    " JOIN calib.change AS h ON h.change_id = v.created_change").fetchall()
        else:
            conn = sqlite3.connect(sqlite_path(self.url))
            try:
                rows = [(k, v) for k, v in conn.execute(
                    "SELECT 'c:' || name, collection_id FROM collection UNION ALL"
                    " SELECT 't:' || name, dataset_type_id FROM dataset_type UNION ALL"
                    " SELECT 'r:' || name, collection_id FROM collection")]
                rows += [("k:" + str(uuid.UUID(bytes=d)), k) for d, k in conn.execute(
                    "SELECT dataset_id, data_id_key FROM dataset")]
                # the epochs (change ids on SQLite) that created certifications, collections
                rows += [("e:" + str(uuid.UUID(bytes=d)), e) for d, e in conn.execute(
                    "SELECT dataset_id, created_change FROM certification")]
                rows += conn.execute(
                    "SELECT 'e:' || name, created_change FROM collection_version").fetchall()
            finally:
                conn.close()
        self.ids = dict(rows)

    def dataset_key(self, u: uuid.UUID, run: str) -> dict[str, Any]:
        key = {"dataset_id": str(u), "dataset_type_id": self.ids["t:bias"],
               "data_id_key": self.ids[f"k:{u}"]}
        if self.kind == "sqlite":
            key["run_id"] = self.ids[f"c:{run}"]
        return key


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request) -> Db:
    """Collections run, run2 (RUN), calib (CALIBRATION), tagged (TAGGED), chain = [calib,
    run] and outer = [chain, tagged] (CHAINED); bias U1 (detector 1) and U2 (detector 2)
    and raw U3 (detector 1) in run, bias U4 (detector 1) in run2; U1 certified over
    [2020, 2021), U2 from 2020 on; U1 tagged."""
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    with calibcert.connect(url) as reg:
        reg.register_dataset_type("bias", ("instrument", "detector"))
        reg.register_dataset_type("raw", ("instrument", "detector"), is_calibration=False)
        for name, kind in (("run", "RUN"), ("run2", "RUN"), ("calib", "CALIBRATION"),
                           ("tagged", "TAGGED"), ("chain", "CHAINED"), ("outer", "CHAINED")):
            reg.register_collection(name, kind)
        reg.set_chain("chain", ["calib", "run"])
        reg.set_chain("outer", ["chain", "tagged"])
        reg.insert_datasets("bias", "run", [DET1, DET2], [U[1], U[2]])
        reg.insert_datasets("raw", "run", [DET1], [U[3]])
        reg.insert_datasets("bias", "run2", [DET1], [U[4]])
        reg.certify("calib", [U[1]], Timespan(Y2020, Y2021))
        reg.certify("calib", [U[2]], Timespan(Y2020, None))
        reg.tag("tagged", [U[1]])
        assert reg.check_integrity() == []
    d = Db(request.param, url)
    d.read_ids()
    return d


def _cid(db: Db, name: str) -> str:
    return f"(SELECT collection_id FROM {db.s}collection WHERE name = '{name}')"


T_JUNE, T_JULY = "2020-06-01T00:00:00.000000+00:00", "2020-07-01T00:00:00.000000+00:00"


def _overlap(db: Db) -> list[str]:
    if db.kind == "postgresql":
        return ["ALTER TABLE calib.certification DROP CONSTRAINT certification_no_overlap",
                "INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
                " dataset_id, validity) SELECT collection_id, dataset_type_id, data_id_key,"
                " dataset_id, '[2020-06-01 00:00+00,2020-07-01 00:00+00)' FROM"
                f" calib.certification WHERE dataset_id = {db.uuid(U[2])}"]
    return ["INSERT INTO certification (collection_id, collection_type, dataset_type_id,"
            " data_id_key, dataset_id, run_id, begin_us, end_us)"
            " SELECT collection_id, collection_type, dataset_type_id,"
            " data_id_key, dataset_id, run_id, 1590969600000000, 1593561600000000"
            f" FROM certification WHERE dataset_id = {db.uuid(U[2])}"]


def _cert_into(db: Db, collection: str) -> list[str]:
    if db.kind == "postgresql":
        return ["INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
                f" dataset_id, validity) SELECT {_cid(db, collection)}, dataset_type_id,"
                " data_id_key, dataset_id, validity FROM calib.certification"
                f" WHERE dataset_id = {db.uuid(U[1])}"]
    return ["INSERT INTO certification (collection_id, collection_type, dataset_type_id,"
            " data_id_key, dataset_id, run_id, begin_us, end_us)"
            f" SELECT {_cid(db, collection)}, collection_type,"
            " dataset_type_id, data_id_key, dataset_id, run_id, begin_us, end_us"
            f" FROM certification WHERE dataset_id = {db.uuid(U[1])}"]


def _tag_into(db: Db, collection: str) -> list[str]:
    if db.kind == "postgresql":
        return ["INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)"
                f" SELECT {_cid(db, collection)}, dataset_type_id, data_id_key, dataset_id"
                f" FROM calib.tag WHERE dataset_id = {db.uuid(U[1])}"]
    return [f"INSERT INTO tag SELECT {_cid(db, collection)}, collection_type, dataset_type_id,"
            f" data_id_key, dataset_id, run_id FROM tag WHERE dataset_id = {db.uuid(U[1])}"]


def _second_tag(db: Db) -> list[str]:
    """U4 (detector 1, like the tagged U1) tagged too: on PostgreSQL with the primary key
    dropped; SQLite's cannot be dropped, so the raw row there lies about its data ID (the
    check reads the data ID from the dataset, and also reports the row's broken key)."""
    if db.kind == "postgresql":
        return ["ALTER TABLE calib.tag DROP CONSTRAINT tag_pkey CASCADE",
                "INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)"
                f" SELECT {_cid(db, 'tagged')}, dataset_type_id, data_id_key, dataset_id"
                f" FROM calib.dataset WHERE dataset_id = {db.uuid(U[4])}"]
    return [f"INSERT INTO tag SELECT {_cid(db, 'tagged')}, 'TAGGED', dataset_type_id,"
            f" (SELECT data_id_key FROM dataset WHERE dataset_id = {db.uuid(U[2])}),"
            f" dataset_id, run_id FROM dataset WHERE dataset_id = {db.uuid(U[4])}"]


def _drop_instrument(db: Db) -> list[str]:
    value = ("value - 'instrument'" if db.kind == "postgresql"
             else "json_remove(value, '$.instrument')")
    return [f"UPDATE {db.s}data_id SET value = {value} WHERE dataset_type_id ="
            f" (SELECT dataset_type_id FROM {db.s}dataset_type WHERE name = 'raw')"]


def _history_overlap(db: Db) -> list[str]:
    """A closed version of U2's certification over June 2020, visible from U2's own epoch
    until the latest change: while both were visible, they overlapped."""
    if db.kind == "postgresql":
        return ["INSERT INTO calib.certification_version (certification_id, collection_id,"
                " dataset_type_id, data_id_key, dataset_id, validity, created_change,"
                " removed_change, created_operation, removed_operation)"
                " SELECT certification_id + 1000, collection_id, dataset_type_id, data_id_key,"
                " dataset_id, '[2020-06-01 00:00+00,2020-07-01 00:00+00)', created_change,"
                " (SELECT max(change_id) FROM calib.change), 'sql', 'sql'"
                f" FROM calib.certification WHERE dataset_id = {db.uuid(U[2])}"]
    return ["INSERT INTO certification_version (collection_id, data_id_key, begin_us, end_us,"
            " dataset_type_id, dataset_id, run_id, created_change, removed_change,"
            " created_operation, removed_operation)"
            " SELECT collection_id, data_id_key, 1590969600000000, 1593561600000000,"
            " dataset_type_id, dataset_id, run_id, created_change,"
            " (SELECT max(change_id) FROM change), 'sql', 'sql'"
            f" FROM certification WHERE dataset_id = {db.uuid(U[2])}"]


def _version_of_a_missing_change(db: Db) -> list[str]:
    """A closed version of U2's certification created by a change that does not exist
    (PostgreSQL: with the trigger that refuses it disabled, as a superuser can)."""
    if db.kind == "postgresql":
        return ["ALTER TABLE calib.certification_version"
                " DISABLE TRIGGER certification_version_change_insert",
                "INSERT INTO calib.certification_version (certification_id, collection_id,"
                " dataset_type_id, data_id_key, dataset_id, validity, created_change,"
                " removed_change, created_operation, removed_operation)"
                " SELECT certification_id + 1000, collection_id, dataset_type_id, data_id_key,"
                " dataset_id, '[1990-06-01 00:00+00,1990-07-01 00:00+00)', 1000000000000,"
                " created_change, 'sql', 'sql'"
                f" FROM calib.certification WHERE dataset_id = {db.uuid(U[2])}",
                # and back on (a disabled guard is a problem of its own: missing_guard)
                "ALTER TABLE calib.certification_version"
                " ENABLE TRIGGER certification_version_change_insert"]
    return ["INSERT INTO certification_version (collection_id, data_id_key, begin_us, end_us,"
            " dataset_type_id, dataset_id, run_id, created_change, removed_change,"
            " created_operation, removed_operation)"
            " SELECT collection_id, data_id_key, 644198400000000, 646790400000000,"
            " dataset_type_id, dataset_id, run_id, 1000000000000, created_change, 'sql', 'sql'"
            f" FROM certification WHERE dataset_id = {db.uuid(U[2])}"]


PATH = {"calib": ["calib", "CALIBRATION"], "run": ["run", "RUN"], "tagged": ["tagged", "TAGGED"]}

#: name -> (raw statements, the problems that must be reported exactly, other checks that
#: the same corruption may also trip (a raw writer bypasses the triggers that keep derived
#: rows, or the row breaks two rules at once)).
CASES: dict[str, tuple[Any, Any, frozenset[str]]] = {
    "certification_overlap": (
        _overlap,
        lambda db: [("certification_overlap", {
            "collection": "calib", "dataset_type": "bias", "data_id": DET2,
            "dataset": str(U[2]), "timespan": [T2020, None],
            "other_dataset": str(U[2]), "other_timespan": [T_JUNE, T_JULY]})],
        # PostgreSQL: the constraint dropped to let the overlap in is reported too
        frozenset({"missing_guard"})),
    "history_overlap": (
        _history_overlap,
        lambda db: [("history_overlap", {
            "collection": "calib", "dataset_type": "bias", "data_id": DET2,
            "epoch": db.ids[f"e:{U[2]}"], "dataset": str(U[2]), "timespan": [T_JUNE, T_JULY],
            "other_dataset": str(U[2]), "other_timespan": [T2020, None]})],
        frozenset()),
    "history_version_order": (
        lambda db: [f"UPDATE {db.s}collection_version SET removed_change = created_change"
                    " WHERE name = 'run2'"],
        lambda db: [("history_version_order", {
            "table": "collection_version", "created_epoch": db.ids["e:run2"],
            "removed_epoch": db.ids["e:run2"], "versions": 1})],
        frozenset()),
    "certification_not_calibration_type": (
        lambda db: [f"UPDATE {db.s}dataset_type SET is_calibration = (1 = 0)"
                    " WHERE name = 'bias'"],
        lambda db: [("certification_not_calibration_type",
                     {"collection": "calib", "dataset_type": "bias", "rows": 2})],
        frozenset()),
    "certification_outside_calibration": (
        lambda db: _cert_into(db, "run"),
        lambda db: [("certification_outside_calibration",
                     {"collection": "run", "type": "RUN", "rows": 1})],
        frozenset()),
    "tag_outside_tagged": (
        lambda db: _tag_into(db, "calib"),
        lambda db: [("tag_outside_tagged",
                     {"collection": "calib", "type": "CALIBRATION", "rows": 1})],
        frozenset()),
    "tag_duplicate_data_id": (
        _second_tag,
        lambda db: [("tag_duplicate_data_id", {
            "collection": "tagged", "dataset_type": "bias", "data_id": DET1,
            "datasets": sorted([str(U[1]), str(U[4])])})],
        frozenset({"missing_reference"})),
    "chain_cycle": (
        lambda db: [f"INSERT INTO {db.s}collection_chain (parent_id, position, child_id)"
                    f" VALUES ({_cid(db, 'chain')}, 3, {_cid(db, 'outer')})"],
        lambda db: [("chain_cycle", {"collection": "chain"}),
                    ("chain_cycle", {"collection": "outer"})],
        frozenset({"search_path_mismatch"})),
    "missing_reference_collection": (
        lambda db: [f"DELETE FROM {db.s}collection WHERE name = 'tagged'"],
        lambda db: [("missing_reference", {
                        "table": "collection_chain", "references": "collection",
                        "key": {"child_id": db.ids["c:tagged"]}, "rows": 1}),
                    ("missing_reference", {
                        "table": "tag", "references": "collection",
                        "key": {"collection_id": db.ids["c:tagged"]}, "rows": 1})],
        frozenset({"search_path_mismatch"})),
    "missing_reference_change": (
        lambda db: _version_of_a_missing_change(db),
        lambda db: [("missing_reference", {
            "table": "certification_version", "references": "change",
            "key": {"created_change": 10**12}, "rows": 1})],
        frozenset({"history_version_order"})),
    "missing_reference_dataset": (
        lambda db: [f"DELETE FROM {db.s}dataset WHERE dataset_id = {db.uuid(U[1])}"],
        lambda db: [("missing_reference", {
                        "table": "certification", "references": "dataset",
                        "key": db.dataset_key(U[1], "run"), "rows": 1}),
                    ("missing_reference", {
                        "table": "tag", "references": "dataset",
                        "key": db.dataset_key(U[1], "run"), "rows": 1})],
        frozenset()),
    "search_path_mismatch": (
        lambda db: [f"DELETE FROM {db.s}search_path WHERE collection_id = {_cid(db, 'outer')}"
                    " AND rank = 3"],
        lambda db: [("search_path_mismatch", {
            "collection": "outer", "stored": [PATH["calib"], PATH["run"]],
            "expected": [PATH["calib"], PATH["run"], PATH["tagged"]]})],
        frozenset()),
    "data_id_dimensions": (
        _drop_instrument,
        lambda db: [("data_id_dimensions", {"dataset_type": "raw", "data_id": {"detector": 1},
                                            "dimensions": ["instrument", "detector"]})],
        frozenset()),
    "dimension_value_type": (
        lambda db: [f"UPDATE {db.s}dimension SET value_type = 'string'"
                    " WHERE name = 'detector'"],
        lambda db: [("dimension_value_type", {"dimension": "detector", "expected": "string",
                                              "found": "integer", "data_ids": 3,
                                              "example": DET1})],
        frozenset()),
    "dimension_value_type_number": (
        lambda db: [f"UPDATE {db.s}data_id SET value = "
                    + ("jsonb_set(value, '{detector}', '1.5')" if db.kind == "postgresql"
                       else "json_set(value, '$.detector', 1.5)")
                    + f" WHERE dataset_type_id = (SELECT dataset_type_id FROM {db.s}dataset_type"
                    " WHERE name = 'raw')"],
        lambda db: [("dimension_value_type", {"dimension": "detector", "expected": "integer",
                                              "found": "number", "data_ids": 1,
                                              "example": {"instrument": "Cam",
                                                          "detector": 1.5}})],
        frozenset()),
    "dataset_outside_run": (
        lambda db: [f"UPDATE {db.s}collection SET type = 'TAGGED' WHERE name = 'run2'"],
        lambda db: [("dataset_outside_run", {"collection": "run2", "type": "TAGGED",
                                             "rows": 1})],
        frozenset({"search_path_mismatch"})),
    "chain_outside_chained": (
        lambda db: [f"UPDATE {db.s}collection SET type = 'TAGGED' WHERE name = 'outer'"],
        lambda db: [("chain_outside_chained", {"collection": "outer", "type": "TAGGED",
                                               "rows": 2})],
        frozenset({"search_path_mismatch"})),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_corruption_is_reported_exactly(db: Db, case: str, tmp_path) -> None:
    statements, expected, also = CASES[case]
    db.raw(*statements(db))
    with calibcert.connect(db.url) as reg:
        problems = reg.check_integrity()
    want = expected(db)
    got = [(p.check, p.detail) for p in problems]
    for item in want:
        assert item in got, (item, got)
    allowed = {c for c, _ in want} | also
    assert {c for c, _ in got} <= allowed, got
    assert len([c for c, _ in got if c in {c for c, _ in want}]) == len(want), got
    # The command line: the report on stdout, exit 6.
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    r = cli(home, db.url, "db", "check", "--json")
    assert r.code == 6, r
    assert "integrity check failed" in r.err and want[0][0] in r.err, r
    report = r.json()
    assert report["healthy"] is False
    assert [(p["check"], p["detail"]) for p in report["problems"]] == got
    if case == "certification_overlap":  # the table, for people
        r = cli(home, db.url, "db", "check")
        assert r.code == 6 and r.out.startswith("CHECK") and want[0][0] in r.out, r


def test_a_schema_revision_other_than_the_functions_is_reported(db: Db) -> None:
    with calibcert.connect(db.url) as reg:  # opened at head, before the raw change
        db.raw(f"UPDATE {db.s}alembic_version SET version_num = '0007'")
        assert reg.check_integrity() == [
            ("schema_revision", {"expected": HEAD_REVISION, "found": ["0007"]})]


def test_the_functions_name_the_package_revision(pg_shared_url: str) -> None:
    # A later revision that forgets to re-create calib._revision() with its number fails
    # here (check_integrity would then report every database as schema_revision).
    with psycopg.connect(pg_shared_url) as conn:
        assert conn.execute("SELECT calib._revision()").fetchone()[0] == HEAD_REVISION


def test_a_raw_chain_change_within_the_rules_is_healthy(db: Db) -> None:
    # A DBA's raw SQL that keeps every rule (triggers on): PostgreSQL's triggers refresh the
    # stored paths; SQLite marks them stale and lookups walk the chains, so stale stored
    # paths are not a problem there.
    statement = (f"INSERT INTO {db.s}collection_chain (parent_id, position, child_id)"
                 f" VALUES ({_cid(db, 'chain')}, 3, {_cid(db, 'tagged')})")
    if db.kind == "postgresql":
        with psycopg.connect(db.url) as conn:
            conn.execute(statement)
    else:
        with sqlite3.connect(sqlite_path(db.url)) as conn:
            conn.execute(statement)
        conn.close()
    with calibcert.connect(db.url) as reg:
        assert reg.get_chain("chain") == ["calib", "run", "tagged"]
        assert reg.check_integrity() == []


def test_a_history_of_every_write_kind_is_healthy(db: Db) -> None:
    # The history checks must not mistake what the functions keep for corruption: ranges
    # split, shortened, closed, certified again over the freed span, in one transaction and
    # across many; tags, chains and collections changed and removed.
    jul, aug = datetime(2020, 7, 1, tzinfo=UTC), datetime(2020, 8, 1, tzinfo=UTC)
    with calibcert.connect(db.url) as reg:
        reg.decertify("calib", "bias", Timespan(jul, aug))          # splits U1 and U2
        reg.certify("calib", [U[4]], Timespan(jul, aug))            # U4 (detector 1) in the gap
        reg.close_open_range("calib", "bias", Y2021)                # U2's open end closed
        with reg.transaction():
            reg.decertify("calib", "bias", Timespan(Y2020, jul))    # removed in one change ...
            reg.certify("calib", [U[1]], Timespan(Y2020, jul))      # ... and certified again
            reg.certify("calib", [U[2]], Timespan(datetime(2021, 6, 1, tzinfo=UTC), None))
        reg.untag("tagged", [U[1]])
        reg.tag("tagged", [U[1]])
        reg.set_chain("chain", ["run", "calib"])
        reg.remove_collection("outer")
        assert len(reg.certifications("calib")) == 5
        assert reg.check_integrity() == []
