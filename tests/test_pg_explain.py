"""explain() on PostgreSQL, at the SQL level (README "Explain", issue 16 item 4): the SQL
forms (typed, timespan, all-text) agree. What explain answers, on both backends, is
tests/test_behaviour_explain.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

import calibcert
from calibcert import Registry, Timespan
from test_behaviour_explain import world
from test_pg_history import det, t


@pytest.fixture
def reg(pg_url: str) -> Iterator[Registry]:
    with calibcert.connect(pg_url) as r:
        yield r


def test_sql_forms_agree(reg: Registry, pg_url: str) -> None:
    r1, _ = world(reg)
    reg.certify("B", [r1[2]], Timespan(t(2020), t(2021)))
    reg.certify("B", [r1[3]], Timespan(t(2022), None))
    epoch = reg.current_epoch()
    d2, d3 = json.dumps(det(2)), json.dumps(det(3))
    with psycopg.connect(pg_url) as conn:
        typed = conn.execute(
            "SELECT * FROM calib.explain('C', 'bias', %s::jsonb,"
            " '2020-06-01 00:00+00'::timestamptz)", (d2,)).fetchall()
        text = conn.execute(
            "SELECT * FROM calib.explain('C', 'bias', %s::text,"
            " '2020-06-01T00:00:00Z', %s::text)", (d2, str(epoch))).fetchall()
        assert typed == text and [r[3] for r in typed] == [
            "no match", "no match", "match", "skipped", "skipped"]
        span = conn.execute(
            "SELECT outcome FROM calib.explain('B', 'bias', %s::text,"
            " '[2019-01-01T00:00:00Z,2030-01-01T00:00:00Z)')", (d3,)).fetchall()
        assert span == [("match",)]
