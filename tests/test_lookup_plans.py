"""Lookups probe indexes whatever the statistics (issue 17 item 3).

Right after a bulk certify the tables have no statistics (nothing has analysed them yet),
and a plan chosen on guesses may scan a table where it should probe an index: the old
client statement for CALIBRATION collections did (2.6 ms a lookup instead of 0.46 ms until
autovacuum had analysed the tables). These tests look at the plans, never at a time: every
statement that `find` (the client's prepared `_FIND_PROBE`, and `calib.find` with the
statements it runs inside) and `find_many` (`calib.find_many`, `calib._lookup`) run, on a
freshly certified database without statistics and again after ANALYZE, must reach the
tables that grow with the data (certifications, datasets, data IDs, tags) through their
indexes (on PostgreSQL, a calibration key's certifications through the btree
certification_lookup_idx, newest begin first, never the exclusion constraint's GiST index:
revision 0017), and find_many's statements are never JIT-compiled. PostgreSQL: the plans of
every statement, nested ones included, by auto_explain
sent to the client as NOTICEs, with custom plans and with generic plans (what a prepared
statement or a PL/pgSQL function switches to after five calls). SQLite: EXPLAIN QUERY PLAN
of every statement the backend ran (traced, parameters expanded), without sqlite_stat1 and
after ANALYZE.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

import calibcert
from calibcert import CollectionType, Registry, Timespan

TYPE = "bias"
# 10^4 certifications of 2,000 data IDs: tens of pages per table, so that a scan is a real
# (and wrong) choice with statistics too
KEYS, EPOCHS = 2_000, 5
BASE = datetime(2020, 1, 1, tzinfo=timezone.utc)
#: Tables that grow with the data: reached only through an index.
GROWING = ("certification", "dataset", "data_id", "tag")
_SEQ = re.compile(r"Seq Scan on (\w+)")


def day(j: float) -> datetime:
    return BASE + timedelta(days=j)


def did(k: int) -> dict[str, object]:
    return {"instrument": "Cam", "detector": k}


def fill(reg: Registry) -> list[calibcert.DatasetRef]:
    """KEYS datasets in a RUN, certified per epoch in bulk calls (the last epoch open), all
    tagged, and a 3-level chain over (TAGGED, CALIBRATION, RUN)."""
    reg.register_dataset_type(TYPE, ("instrument", "detector"))
    reg.register_collection("run", CollectionType.RUN)
    reg.register_collection("calib", CollectionType.CALIBRATION)
    reg.register_collection("tagged", CollectionType.TAGGED)
    refs = reg.insert_datasets(TYPE, "run", [did(k) for k in range(KEYS)])
    for j in range(EPOCHS):
        reg.certify("calib", refs, Timespan(day(j), day(j + 1) if j < EPOCHS - 1 else None))
    reg.tag("tagged", refs[: KEYS // 2])
    reg.register_collection("chain/1", CollectionType.CHAINED)
    reg.set_chain("chain/1", ["calib", "run"])
    reg.register_collection("chain/2", CollectionType.CHAINED)
    reg.set_chain("chain/2", ["chain/1"])
    reg.register_collection("chain/3", CollectionType.CHAINED)
    reg.set_chain("chain/3", ["tagged", "chain/2"])
    return refs


def lookups(reg: Registry, refs: list[calibcert.DatasetRef]) -> None:
    """Point, chain, timespan and batched lookups; each answer checked."""
    at = day(2.5)
    for k in range(0, KEYS, 97):
        assert reg.find("calib", TYPE, did(k), at).id == refs[k].id
        assert reg.find("chain/1", TYPE, did(k), at).id == refs[k].id
        assert reg.find("chain/3", TYPE, did(k), at).id == refs[k].id
        assert reg.find("calib", TYPE, did(k), Timespan(day(2.2), day(2.8))).id == refs[k].id
    pairs = [(did(k), day(k % EPOCHS + 0.5)) for k in range(0, KEYS, 7)]
    want = [refs[k].id for k in range(0, KEYS, 7)]
    for coll in ("calib", "chain/1", "chain/3"):
        assert [r.id for r in reg.find_many(coll, TYPE, pairs)] == want, coll
    spans = [(d, Timespan(t, t + timedelta(hours=1))) for d, t in pairs]
    assert [r.id for r in reg.find_many("chain/1", TYPE, spans)] == want


# -- PostgreSQL ----------------------------------------------------------------------------


def pg_plans(conn: psycopg.Connection, run: Callable[[], None]) -> list[str]:
    """The plans of every statement (nested ones included) that ``run`` executes on
    ``conn``, custom and generic."""
    notices: list[str] = []

    def keep(diag: psycopg.errors.Diagnostic) -> None:
        if diag.message_primary and "plan:" in diag.message_primary:
            notices.append(diag.message_primary)

    conn.add_notice_handler(keep)
    conn.execute("LOAD 'auto_explain'")
    for name, value in (("log_min_duration", "0"), ("log_nested_statements", "on"),
                        ("log_level", "notice")):
        conn.execute(f"SET auto_explain.{name} = {value}")
    try:
        for mode in ("force_custom_plan", "force_generic_plan"):
            conn.execute(f"SET plan_cache_mode = {mode}")
            for _ in range(2):  # the second time from the prepared / cached statements
                run()
    finally:
        conn.execute("RESET plan_cache_mode")
        conn.execute("SET auto_explain.log_min_duration = -1")
        conn.remove_notice_handler(keep)
    return notices


def assert_index_probes(plans: list[str]) -> None:
    lookup = [p for p in plans if "certification" in p]
    assert lookup, plans
    # the client's own statement and the functions' statements were all seen
    assert any("calib.probe" in p and "calib.collection AS co" in p for p in plans), plans
    assert any("calib._lookup" in p or "unnest" in p for p in lookup), plans
    scans = [plan for plan in plans if set(_SEQ.findall(plan)) & set(GROWING)]
    assert not scans, "\n\n".join(dict.fromkeys(scans))
    # the probe's shape (revision 0017): a key's certifications newest begin first, by the
    # btree; never the exclusion constraint's GiST index (~10x the time at 10^6 rows)
    assert any(re.search(r"Index Scan Backward using certification_lookup_idx on certification",
                         p) for p in lookup), lookup
    gist = [p for p in lookup if "certification_no_overlap" in p]
    assert not gist, "\n\n".join(dict.fromkeys(gist))


def pg_stats(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_catalog.pg_stats WHERE schemaname = 'calib'"
        " AND tablename = ANY(%s)", (list(GROWING),)).fetchone()[0]


def test_pg_lookups_probe_indexes_without_and_with_statistics(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        for table in GROWING:  # the test decides when statistics appear, not autovacuum
            admin.execute(f"ALTER TABLE calib.{table} SET (autovacuum_enabled = false)")
    reg = calibcert.connect(pg_url)
    try:
        refs = fill(reg)
        conn = reg.connection
        assert pg_stats(conn) == 0  # freshly certified: no statistics at all
        assert_index_probes(pg_plans(conn, lambda: lookups(reg, refs)))
        conn.execute("ANALYZE")
        assert pg_stats(conn) > 0
        assert_index_probes(pg_plans(conn, lambda: lookups(reg, refs)))
    finally:
        reg.close()


JIT_ANYWAY = (("jit", "on"), ("jit_above_cost", "0"), ("jit_inline_above_cost", "0"),
              ("jit_optimize_above_cost", "0"))


def test_pg_find_many_is_never_jit_compiled(pg_url: str) -> None:
    """find_many's statements are planned without JIT, whatever their estimated cost.

    A statement's estimated cost grows with the batch, and more so on guesses: right after
    a bulk certify, a 10^4-pair find_many at 10^3 stored was costed past
    jit_optimize_above_cost and spent 300 ms compiling for 200 ms of index probes (1.8x its
    time after ANALYZE; bench/README.md "find_many whatever the statistics"). Here the
    session's JIT thresholds are 0, so that any statement planned with JIT allowed is
    compiled: the client's own statement is (which proves that the server can JIT at all),
    and no statement that reads a table (calib._lookup's, SET jit = off) may be."""
    with psycopg.connect(pg_url, autocommit=True) as admin:
        for table in GROWING:
            admin.execute(f"ALTER TABLE calib.{table} SET (autovacuum_enabled = false)")
    reg = calibcert.connect(pg_url)
    try:
        refs = fill(reg)
        conn = reg.connection
        assert pg_stats(conn) == 0
        assert conn.execute("SELECT pg_catalog.pg_jit_available()").fetchone()[0], \
            "this check needs a server built with LLVM JIT (the Debian/Ubuntu packages are)"
        pairs = [(did(k), day(k % EPOCHS + 0.5)) for k in range(0, KEYS, 7)]
        spans = [(d, Timespan(t, t + timedelta(hours=1))) for d, t in pairs]
        want = [refs[k].id for k in range(0, KEYS, 7)]

        def many() -> None:
            for coll in ("calib", "chain/3"):
                assert [r.id for r in reg.find_many(coll, TYPE, pairs)] == want, coll
            assert [r.id for r in reg.find_many("chain/1", TYPE, spans)] == want

        for name, value in JIT_ANYWAY:
            conn.execute(f"SET {name} = {value}")
        plans = pg_plans(conn, many)
    finally:
        reg.close()
    client = [p for p in plans if "calib.find_many(p_collection =>" in p]
    assert client and all("JIT:" in p for p in client), client
    reading = [p for p in plans if re.search(r"Scan (using \w+ )?on (\w+)", p)
               and set(re.findall(r"Scan (?:using \w+ )?on (\w+)", p)) & set(GROWING)]
    assert len(reading) >= 3, plans  # data IDs, probes, RUN names, in each call
    compiled = [p for p in reading if "JIT:" in p]
    assert not compiled, "\n\n".join(dict.fromkeys(compiled))


# -- SQLite --------------------------------------------------------------------------------


def sqlite_plans(conn: sqlite3.Connection, run: Callable[[], None]) -> dict[str, str]:
    """EXPLAIN QUERY PLAN of every SELECT that ``run`` executes on ``conn``."""
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        run()
    finally:
        conn.set_trace_callback(None)
    plans = {}
    for sql in seen:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")) or sql in plans:
            continue
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        plans[sql] = "\n".join(r[-1] for r in rows)
    return plans


def assert_sqlite_index_probes(plans: dict[str, str]) -> None:
    lookup = {sql: p for sql, p in plans.items() if "certification" in sql}
    assert lookup, plans
    for sql, plan in plans.items():
        # SQLite names a table scan "SCAN t" (or "SCAN t USING COVERING INDEX": a full index
        # walk, no better); a probe is "SEARCH t USING ... INDEX / PRIMARY KEY (...)".
        for line in plan.splitlines():
            m = re.match(r"\s*SCAN (\w+)", line)
            if m and m.group(1) in GROWING + ("c", "d", "g", "di"):
                raise AssertionError(f"{line}\n{plan}\n{sql}")
    assert any(re.search(r"SEARCH c USING (PRIMARY KEY|INDEX)", p) for p in lookup.values()), \
        lookup


def test_sqlite_lookups_probe_indexes_without_and_with_statistics(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    calibcert.upgrade(url)
    reg = calibcert.connect(url)
    try:
        refs = fill(reg)
        conn = reg.connection
        has_stat = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        assert conn.execute(has_stat).fetchone()[0] == 0  # never analysed
        assert_sqlite_index_probes(sqlite_plans(conn, lambda: lookups(reg, refs)))
        conn.execute("ANALYZE")
        assert conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
        reg.close()
        reg = calibcert.connect(url)  # a new connection reads the statistics
        assert_sqlite_index_probes(sqlite_plans(reg.connection, lambda: lookups(reg, refs)))
    finally:
        reg.close()


@pytest.mark.parametrize("table", GROWING)
def test_a_scan_of_a_growing_table_is_caught(table: str) -> None:
    """The checks above do see a table scan (they are not vacuous)."""
    probe = "Index Scan Backward using certification_lookup_idx on certification"
    with pytest.raises(AssertionError):
        assert_index_probes([f"Query Text: select calib.probe from calib.collection AS co"
                             f" unnest\n  ->  Seq Scan on {table} x\n{probe}"])
    with pytest.raises(AssertionError):  # the GiST index instead of the btree
        assert_index_probes(["Query Text: select calib.probe from calib.collection AS co"
                             f" unnest\n{probe}\n"
                             "Index Scan using certification_no_overlap on certification"])
    assert_index_probes(["Query Text: select calib.probe from calib.collection AS co"
                         f" unnest\n{probe}"])
    with pytest.raises(AssertionError):
        assert_sqlite_index_probes({"SELECT * FROM certification": f"SCAN {table}"})
