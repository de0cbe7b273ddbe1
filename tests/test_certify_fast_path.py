"""certify's fast way agrees with its general way whenever it answers by itself, and hands
over exactly the cases it is meant to hand over.

PostgreSQL: calib.certify first tries one insert for the common case (no close_open, a
non-empty list, the collection row free to lock now) and leaves every other case, and every
input a table constraint refuses, to the general way: calib._collection, calib._timespan,
calib._certify_rows (sql/functions/certify.sql). Comparing calib.certify with the general
way is only a check of the fast way when the fast way answered, so every call is watched:
PostgreSQL's per-transaction function counters (track_functions) show whether any function
of the general way ran. A call the fast way answered (no general function ran) must have
succeeded and must end exactly as the general way alone ends on the same input (same count,
same rows); a call that was handed over must be one the fast way is not meant to decide
(an input the general way refuses, close_open, an empty or NULL list), and every call the
fast way is meant to decide must have been decided by it. (A collection row locked by another
writer also sends the call the general way, which waits: tests/test_pg_concurrency.py
watches those waits in pg_locks.)

SQLite (pyclient/calibcert/backends/sqlite/certify.py): certify and certify_series of at
most FEW datasets first try _certify_few, which writes and lets the guard trigger refuse an
overlap; it returns False (hands over) when any rule fails. A wrapper records what it
returned; each call is compared with the same call whose _certify_few always hands over
(the general way alone).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
import pytest

from calibcert import CalibCertError, Timespan
from calibcert.backends.sqlite.values import FEW, _begin_us, _end_us
from helpers import CALIB, RUN, bias_id, make_world

BEGIN, END = "2020-01-01 00:00+00", "2021-01-01 00:00+00"
TIMESPANS = [
    f"[{BEGIN},{END})", f"[{BEGIN},)", f"(,{END})", "(,)", f"[-infinity,{END})",
    f"(-infinity,{END})", f"[{BEGIN},infinity]", "[-infinity,infinity]", f"({BEGIN},{END})",
    f"[{BEGIN},{END}]", f"[{END},{BEGIN})", "empty", "[infinity,)", "(,-infinity)", None,
    f"[{END},)",  # adjacent to the stored certification of detector 3: no overlap
]
COLLECTIONS = [CALIB, RUN, "no such collection", None]
# The general way alone, exactly as calib.certify runs it when the fast way does not decide.
GENERAL = (
    "SELECT calib._certify_rows(calib._collection(%(c)s::text, ARRAY['CALIBRATION']),"
    " %(i)s::uuid[],"
    " array_fill(lower(calib._timespan(%(s)s::tstzrange)),"
    "            ARRAY[coalesce(cardinality(%(i)s::uuid[]), 0)]),"
    " array_fill(upper(calib._timespan(%(s)s::tstzrange)),"
    "            ARRAY[coalesce(cardinality(%(i)s::uuid[]), 0)]),"
    " false, coalesce(%(o)s::boolean, false))")
CERTIFY = "SELECT calib.certify(%(c)s::text, %(i)s::uuid[], %(s)s::tstzrange, %(o)s::boolean)"
# Every function of the general way: calib.certify calls them only when the fast way hands over.
GENERAL_FUNCTIONS = ("calib._collection", "calib._timespan", "calib._certify_rows")
#: Their signatures, and calib.certify's typed form (the one the client calls: the JSON and
#: text forms are overloads of the same name).
WATCHED = ("calib.certify(text,uuid[],tstzrange,boolean)", "calib._collection(text,text[])",
           "calib._timespan(tstzrange)",
           "calib._certify_rows(calib.collection,uuid[],timestamptz[],timestamptz[],boolean,"
           "boolean)")


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


def watch(conn: psycopg.Connection, functions: tuple[str, ...]) -> list[str]:
    """Wrap each function, given by its signature (in this transaction only), so that every
    call of it sends a notice naming it before the real function runs; returns the list the
    notices go to (function names). Notices
    reach the client at once, even from a call that then fails and is rolled back (a failed
    call never reaches PostgreSQL's function counters)."""
    seen: list[str] = []
    conn.add_notice_handler(
        lambda d: seen.append(d.message_primary[len("called "):])
        if d.message_primary.startswith("called ") else None)
    for signature in functions:
        name = signature.split("(")[0]
        identity, args, result, n = conn.execute(
            "SELECT pg_get_function_identity_arguments(p.oid), pg_get_function_arguments(p.oid),"
            " pg_get_function_result(p.oid), p.pronargs FROM pg_proc AS p"
            " WHERE p.oid = %s::regprocedure", [signature]).fetchone()
        short = name.split(".")[1]
        conn.execute(f"ALTER FUNCTION {name}({identity}) RENAME TO {short}_watched")
        forward = ", ".join(f"${i}" for i in range(1, n + 1))
        conn.execute(
            f"CREATE FUNCTION {name}({args}) RETURNS {result} LANGUAGE plpgsql"
            f" SET search_path = pg_catalog, pg_temp AS $w$ BEGIN"
            f" RAISE NOTICE 'called {name}';"
            f" RETURN calib.{short}_watched({forward}); END $w$")
    return seen


def make_datasets(reg) -> list[uuid.UUID]:
    """Biases of detectors 1, 2, 3, a flat and a raw (not a calibration type); detector 3
    certified over [BEGIN, END) for the overlapping cases."""
    world = make_world(reg)
    ids = [r.id for r in world.biases(1, 2, 3)] + [world.flat(1).id, world.raw(1).id]
    reg.certify(CALIB, [ids[2]], Timespan(datetime.fromisoformat(BEGIN),
                                          datetime.fromisoformat(END)))
    return ids


def test_postgresql_fast_way_alone_agrees_with_the_general_way(pg_registry) -> None:
    b1, b2, b3, flat, raw = make_datasets(pg_registry)
    conn = pg_registry.connection  # the table owner, inside the fixture's transaction
    seen = watch(conn, WATCHED)
    dataset_lists = [
        [b1], [b1, b2, flat], [flat], [b3], [b1, b1], [uuid.uuid4()], [raw], [b1, raw],
        [b1, None], [b1, b3], [], None,
    ]
    # The watch itself must see the general way, or every call would look fast.
    outcome(conn, GENERAL, {"c": "no such collection", "i": [b1], "s": TIMESPANS[0], "o": False})
    assert seen == ["calib._collection"]
    decided_fast = handed_over = not_called = 0
    for coll, ids, span, close_open in itertools.product(
            COLLECTIONS, dataset_lists, TIMESPANS, [False, None, True]):
        params = {"c": coll, "i": ids, "s": span, "o": close_open}
        seen.clear()
        got = outcome(conn, CERTIFY, params)
        called = "calib.certify" in seen
        went_general = bool(set(seen) & set(GENERAL_FUNCTIONS))
        general = outcome(conn, GENERAL, params)
        if not called:  # the argument itself is refused (an inverted range literal)
            assert got == general and got[0][:2] == ("error", "22000"), params
            not_called += 1
            continue
        # What the fast way must decide by itself: every call the general way would store
        # with a non-empty list and without close_open. Everything else it hands over.
        must_be_fast = general[0][0] == "ok" and bool(ids) and not close_open
        assert went_general is not must_be_fast, (params, got, general)
        assert got == general, params
        if went_general:
            handed_over += 1
        else:
            # An honest comparison: the fast way answered alone, and answered a success.
            assert got[0][0] == "ok" and got[0][1] == len(ids), params
            decided_fast += 1
    # Guards the grid itself: many calls of each kind.
    assert decided_fast >= 50 and handed_over >= 2000, (decided_fast, handed_over)
    assert not_called == len(COLLECTIONS) * len(dataset_lists) * 3  # the one inverted span


# -- SQLite -------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def sqlite_outcome(reg, call: Callable[[], int]) -> tuple[Any, ...]:
    """The result or the error of one call, and what it stored, then undone."""
    stored = None
    try:
        with reg.transaction():
            try:
                result: Any = ("ok", call())
                stored = reg.connection.execute(
                    "SELECT collection_id, dataset_type_id, data_id_key, dataset_id,"
                    " begin_us, end_us FROM certification ORDER BY 1, 3, 5, 4").fetchall()
                stored = [tuple(r) for r in stored]
            except CalibCertError as exc:
                result = ("error", type(exc), str(exc), exc.details)
            raise _Rollback
    except _Rollback:
        pass
    return result, stored


def test_sqlite_fast_way_alone_agrees_with_the_general_way(sqlite_registry) -> None:
    reg = sqlite_registry
    b1, b2, b3, flat, raw = make_datasets(reg)
    many = [r.id for r in reg.insert_datasets("bias", RUN, [bias_id(d)
                                                            for d in range(10, 11 + FEW)])]
    assert len(many) == FEW + 1
    real_few = reg._certify_few
    answers: list[bool] = []

    def recording_few(*args: Any, **kwargs: Any) -> bool:
        answers.append(real_few(*args, **kwargs))
        return answers[-1]

    def general_only(*args: Any, **kwargs: Any) -> bool:
        return False

    begin, end = datetime.fromisoformat(BEGIN), datetime.fromisoformat(END)
    spans = [Timespan(begin, end), Timespan(begin, None), Timespan(None, end),
             Timespan(None, None), Timespan(end, None)]
    dataset_lists = [[b1], [b1, b2, flat], [b3], [b1, b1], [uuid.uuid4()], [raw], [b1, raw],
                     [b1, b3], [], many[:FEW], many]
    calls: list[tuple[str, int, Callable[[], int]]] = []  # (name, datasets, call)
    for coll, ids, span, close_open in itertools.product(
            [CALIB, RUN, "no such collection"], dataset_lists, spans, [False, True]):
        calls.append((f"certify {coll} {ids} {span} {close_open}", len(ids),
                      lambda c=coll, i=ids, s=span, o=close_open: reg.certify(c, i, s, o)))
    for coll, ids, begins, close_open in itertools.product(
            [CALIB, RUN], dataset_lists[:-2],
            [[begin] * 2, [None, end], [end, begin], [begin, begin]], [False, True]):
        items = list(zip(ids, itertools.cycle(begins)))
        calls.append((f"series {coll} {items} {close_open}", len(items),
                      lambda c=coll, it=items, o=close_open: reg.certify_series(c, it, o)))

    decided_fast = handed_over = 0
    for name, size, call in calls:
        answers.clear()
        reg._certify_few = recording_few
        got = sqlite_outcome(reg, call)
        asked = list(answers)
        reg._certify_few = general_only
        general = sqlite_outcome(reg, call)
        assert got == general, name
        # The fast way is asked once for every call of at most FEW datasets that reaches
        # the backend's checks (a known CALIBRATION collection), and never for more.
        reaches = general[0][0] == "ok" or general[0][1].__name__ not in (
            "MissingCollectionError", "CollectionTypeError")
        assert len(asked) == (1 if reaches and size <= FEW else 0), (name, asked)
        if asked and asked[0]:
            # An honest comparison: the fast way answered alone, and answered a success.
            assert got[0][0] == "ok", name
            decided_fast += 1
        else:
            # It hands over exactly what the general way refuses, and the oversized call.
            assert general[0][0] == "error" or size > FEW, (name, asked, general)
            handed_over += 1
        if general[0][0] == "ok" and size <= FEW:
            assert asked == [True], name  # every success it may decide, it decides
    reg._certify_few = real_few
    assert decided_fast >= 70 and handed_over >= 350, (decided_fast, handed_over)


@pytest.mark.parametrize("close_open", [False, True])
def test_sqlite_fast_way_leaves_nothing_when_it_hands_over(sqlite_registry,
                                                           close_open: bool) -> None:
    """_certify_few's refused attempt (an overlap after close_open's update) is undone
    before the general way runs: the general way then reports the conflict on the file as
    it was, and nothing is stored."""
    reg = sqlite_registry
    b1, b2, b3, flat, raw = make_datasets(reg)
    before = reg.connection.execute("SELECT * FROM certification").fetchall()
    with reg.transaction():
        coll = reg._collection(CALIB, ("CALIBRATION",))
        b = _begin_us(datetime.fromisoformat(BEGIN))
        assert reg._certify_few(coll, [b1, b3], [b, b], _end_us(None), close_open) is False
        assert [tuple(r) for r in reg.connection.execute("SELECT * FROM certification")] == [
            tuple(r) for r in before]
