"""calib.certify's fast way agrees with its general way, case by case.

calib.certify first tries one insert for the common case and leaves every other case to
calib._certify_rows (sql/functions/certify.sql). Here both ways run on the same inputs, in
the same transaction (each in a savepoint that is then rolled back), and must end the same:
the same rows stored, or the same SQLSTATE, message and detail. The grid covers good and
bad collections, dataset lists and timespans, and calls that overlap a stored
certification or each other. PostgreSQL's per-transaction function counters
(track_functions) show which way decided: the fast way must have decided every call that
succeeds, or this test would pass vacuously. (A collection row locked by another writer
sends the call the general way, which waits: tests/test_pg_concurrency.py watches those
waits in pg_locks.)
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

import psycopg

from calibcert import Timespan
from helpers import CALIB, RUN, make_world

BEGIN, END = "2020-01-01 00:00+00", "2021-01-01 00:00+00"
TIMESPANS = [
    f"[{BEGIN},{END})", f"[{BEGIN},)", f"(,{END})", "(,)", f"[-infinity,{END})",
    f"(-infinity,{END})", f"[{BEGIN},infinity]", "[-infinity,infinity]", f"({BEGIN},{END})",
    f"[{BEGIN},{END}]", f"[{END},{BEGIN})", "empty", "[infinity,)", "(,-infinity)", None,
]
COLLECTIONS = [CALIB, RUN, "no such collection", None]
# The general way, exactly as calib.certify runs it when the fast way does not decide.
GENERAL = (
    "SELECT calib._certify_rows(calib._collection(%(c)s::text, ARRAY['CALIBRATION']),"
    " %(i)s::uuid[],"
    " array_fill(lower(calib._timespan(%(s)s::tstzrange)),"
    "            ARRAY[coalesce(cardinality(%(i)s::uuid[]), 0)]),"
    " array_fill(upper(calib._timespan(%(s)s::tstzrange)),"
    "            ARRAY[coalesce(cardinality(%(i)s::uuid[]), 0)]),"
    " false, false)")
FAST = "SELECT calib.certify(%(c)s::text, %(i)s::uuid[], %(s)s::tstzrange)"


def outcome(conn: psycopg.Connection, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """The result or the error of one call, and what it stored, then undone."""
    conn.execute("SAVEPOINT one_case")
    try:
        result: Any = ("ok", conn.execute(sql, params).fetchone()[0])
        stored = conn.execute(
            "SELECT collection_id, dataset_type_id, data_id_key, dataset_id, validity::text"
            " FROM calib.certification ORDER BY 1, 3, 5, 4").fetchall()
    except psycopg.Error as exc:
        diag = exc.diag
        result = ("error", diag.sqlstate, diag.message_primary, diag.message_detail)
        stored = None
    conn.execute("ROLLBACK TO SAVEPOINT one_case")
    return result, stored


def general_calls(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT coalesce(pg_stat_get_xact_function_calls('calib._certify_rows'::regproc), 0)"
    ).fetchone()[0]


def make_datasets(reg) -> list[uuid.UUID]:
    """Biases of detectors 1, 2, 3, a flat and a raw (not a calibration type); detector 3
    certified over [BEGIN, END) for the overlapping cases."""
    world = make_world(reg)
    ids = [r.id for r in world.biases(1, 2, 3)] + [world.flat(1).id, world.raw(1).id]
    reg.certify(CALIB, [ids[2]], Timespan(datetime.fromisoformat(BEGIN),
                                          datetime.fromisoformat(END)))
    return ids


def test_fast_and_general_ways_agree(pg_registry) -> None:
    b1, b2, b3, flat, raw = make_datasets(pg_registry)
    conn = pg_registry.connection  # the table owner, inside the fixture's transaction
    conn.execute("SET track_functions = 'pl'")
    dataset_lists = [
        [b1], [b1, b2, flat], [b3], [b1, b1], [uuid.uuid4()], [raw], [b1, raw], [b1, None],
        [], None,
    ]
    decided_fast = errors = 0
    for coll, ids, span in itertools.product(COLLECTIONS, dataset_lists, TIMESPANS):
        params = {"c": coll, "i": ids, "s": span}
        before = general_calls(conn)
        fast = outcome(conn, FAST, params)
        went_general = general_calls(conn) > before
        assert fast == outcome(conn, GENERAL, params), params
        if fast[0][0] == "ok" and ids:
            assert not went_general, params  # a plain success is the fast way's own
            decided_fast += 1
        errors += fast[0][0] == "error"
    # Guards the grid itself: it has successes and failures of both ways.
    assert decided_fast >= 15 and errors >= 500, (decided_fast, errors)
