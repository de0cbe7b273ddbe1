"""Errors read well in psql (issue 14, item 3; revision 0011).

Each failing call runs in its own psql session at psql's default settings, logged in as a
role holding only calib_admin, as a DBA or a service author would see it: the first line
is ``ERROR:  KCnnn: <message>``, the DETAIL is the JSON facts with their ``kind``, and every
CONTEXT line names a function and a line, never the text of a statement or expression (the
internal source that ``PERFORM calib._raise(...)`` used to print, about twenty lines per
error). Catches a _raise without the SQLSTATE in its message and any helper call or raise
written back as PERFORM on the path of these errors.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import psycopg
import pytest

from calibcert.testing import find_bindir
from test_sql_level import WRITER, as_role, login_roles  # noqa: F401 (fixture)

SEED = """
SELECT calib.register_collection('run', 'RUN');
SELECT calib.register_collection('calib', 'CALIBRATION');
SELECT calib.register_collection('tagged', 'TAGGED');
SELECT calib.register_collection('chain', 'CHAINED');
SELECT calib.register_collection('chain2', 'CHAINED');
SELECT calib.set_chain('chain', ARRAY['calib', 'chain2']);
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']);
SELECT calib.insert_datasets('bias', 'run', ARRAY['{"instrument": "Cam", "detector": 1}',
    '{"instrument": "Cam", "detector": 2}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000001',
          '00000000-0000-4000-8000-000000000002']::uuid[]);
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000001']::uuid[],
                     '[2020-01-01 00:00+00,)');
"""

#: (call, SQLSTATE, kind): the common mistakes, one or more per kind of function.
CASES = [
    ("SELECT calib.register_collection('', 'RUN')", "KC014", "name_length"),
    ("SELECT calib.register_collection('run', 'TAGGED')", "KC010", "collection_exists_as"),
    ("SELECT calib.register_dataset_type('bias', ARRAY['instrument'])", "KC010",
     "dataset_type_exists_as"),
    ("SELECT calib.insert_datasets('bias', 'run', ARRAY['{\"detector\": 3}']::jsonb[])",
     "KC008", "data_id_dimensions"),
    ("SELECT calib.insert_datasets('bias', 'run',"
     " ARRAY['{\"instrument\": \"Cam\", \"detector\": \"3\"}']::jsonb[])",
     "KC008", "data_id_value_type"),
    ("SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000001']::uuid[],"
     " '[2021-01-01 00:00+00,2022-01-01 00:00+00)')", "KC001", "certification_conflict"),
    ("SELECT calib.certify('run', ARRAY['00000000-0000-4000-8000-000000000002']::uuid[],"
     " '[2021-01-01 00:00+00,)')", "KC003", "collection_type"),
    ("SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-00000000dead']::uuid[],"
     " '[2021-01-01 00:00+00,)')", "KC007", "dataset_missing"),
    ("SELECT calib.decertify('calib', 'bias', '[2022-01-01 00:00+00,2021-01-01 00:00+00)')",
     "KC009", "timespan_reversed"),
    ("SELECT calib.close_open_range('calib', 'bias', '2030-01-01 00:00')", "KC009",
     "time_naive"),
    ("SELECT * FROM calib.find('nope', 'bias', '{\"instrument\": \"Cam\", \"detector\": 1}',"
     " '2021-01-01 00:00+00'::timestamptz)", "KC002", "collection_missing"),
    ("SELECT * FROM calib.find('calib', 'flat', '{\"instrument\": \"Cam\", \"detector\": 1}',"
     " '2021-01-01 00:00+00'::timestamptz)", "KC005", "dataset_type_missing"),
    ("SELECT calib.set_chain('chain2', ARRAY['chain'])", "KC004", "chain_cycle"),
    ("SELECT calib.tag('calib', ARRAY['00000000-0000-4000-8000-000000000002']::uuid[])",
     "KC003", "collection_type"),
    ("SELECT calib.tag('tagged', '[1]'::jsonb)", "KC016", "document_element"),
    ("SELECT calib.copy_collection('calib', 'tagged')", "KC010", "collection_exists"),
    ("SELECT calib.remove_collection('calib')", "KC013", "collection_in_chain"),
    ("SELECT * FROM calib.query_datasets('run', 'bias', '{\"detector\": \"1\"}')", "KC008",
     "data_id_value_type"),
]

#: A CONTEXT line that names a function and a line, and nothing else.
_FRAME = re.compile(r'^(PL/pgSQL function calib\.\w+\(.*\) line \d+ (at [A-Za-z][A-Za-z ]*'
                    r'|during statement block local variable initialization)'
                    r'|SQL function "\w+" statement \d+'
                    # a query a function runs (find's fallback reads calib._lookup's rows):
                    # its one line of text, which PostgreSQL always shows; never a call made
                    # for its effect ("SELECT calib.f(...)", what PERFORM printed)
                    r'|SQL statement "SELECT (?!calib\.)[^"]* FROM calib\.\w+\([^"]*"'
                    r')$')


def psql(url: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [os.path.join(find_bindir(), "psql"), "-X", "-q", "-f", "-", "-d", url],
        input=script, capture_output=True, text=True, timeout=120)


@pytest.fixture
def writer_url(pg_url: str, login_roles) -> str:  # noqa: F811
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(SEED)
    return as_role(pg_url, WRITER)


def test_the_known_kinds_are_the_cases_kinds() -> None:
    from calibcert import messages

    for _, code, kind in CASES:
        assert messages.sqlstate(kind) == code, kind


@pytest.mark.parametrize(("sql", "code", "kind"), CASES, ids=[c[2] for c in CASES])
def test_psql_prints_sqlstate_message_detail_and_a_short_context(writer_url: str, sql: str,
                                                                 code: str, kind: str) -> None:
    done = psql(writer_url, sql + ";\n")
    lines = [re.sub(r"^psql:<stdin>:\d+: ", "", line) for line in done.stderr.splitlines()
             if line.strip()]
    assert lines and lines[0].startswith(f"ERROR:  {code}: "), done.stderr
    detail = [line for line in lines if line.startswith("DETAIL:  ")]
    assert len(detail) == 1 and json.loads(detail[0][len("DETAIL:  "):])["kind"] == kind, (
        done.stderr)
    context_at = next(i for i, line in enumerate(lines) if line.startswith("CONTEXT:  "))
    context = [lines[context_at][len("CONTEXT:  "):], *lines[context_at + 1:]]
    assert context and all(_FRAME.match(line) for line in context), done.stderr
    assert len(lines) == 2 + len(context), done.stderr  # ERROR, DETAIL, CONTEXT: nothing else
