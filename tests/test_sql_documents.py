"""Lists as JSON documents and the all-text forms (README "Calling from another service").

Every public function that takes a list has a JSON-document form and an all-text form, thin
wrappers that convert their arguments and call the typed form. Checked here, as the test
LOGIN roles of tests/test_sql_level.py (members of calib_admin / calib_reader):

* **Same answers.** For every list function, over good and bad input, each way of calling it
  (typed arrays; lists as ``jsonb`` documents; every argument ``text``, lists as JSON or as
  PostgreSQL array literals; every argument an ``unknown`` parameter) gives the same rows,
  the same state afterwards, or the same SQLSTATE, message and DETAIL (kind included).
  Catches a wrapper that converts an element wrongly (order, NULLs, a lost argument), that
  refuses what the typed form takes, or that raises its own error for what the typed form
  judges.
* **Documents that are not arrays of the right things** are KC016 with the argument and the
  element's 1-based position. Catches a wrapper that lets PostgreSQL's own cast error
  through (22P02), or a position counted from 0.
* **Times** in text and inside JSON need a UTC offset (KC009 ``time_naive``); with one, the
  result equals the typed call's. Catches a wrapper that casts with ``::timestamptz`` (which
  reads a naive time in the session's TimeZone).
* **Resolution**: which overload a call reaches, read from ``pg_stat_xact_user_functions``
  (``track_functions = 'all'``), for every function: all untyped literals, all ``text``,
  lists as ``jsonb`` with untyped scalars, typed arrays. Catches a missing overload ("is not
  unique" / "does not exist") and a default that makes two forms ambiguous.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest

from test_sql_level import READER, WRITER, as_role, login_roles  # noqa: F401 (fixture)

DS = {d: f"00000000-0000-4000-8000-0000000000{d:02d}" for d in range(1, 10)}
D = {d: {"instrument": "Cam", "detector": d} for d in range(10)}
WORLD = f"""
SET TimeZone = 'UTC';
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'], true);
SELECT calib.register_dataset_type('raw', ARRAY['instrument', 'detector'], false);
SELECT calib.register_collection('run1', 'RUN');
SELECT calib.register_collection('calib', 'CALIBRATION');
SELECT calib.register_collection('tagged', 'TAGGED');
SELECT calib.register_collection('chain', 'CHAINED');
SELECT calib.set_chain('chain', ARRAY['calib', 'run1']);
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{json.dumps(D[1])}', '{json.dumps(D[2])}', '{json.dumps(D[3])}']::jsonb[],
    ARRAY['{DS[1]}', '{DS[2]}', '{DS[3]}']::uuid[]);
SELECT count(*) FROM calib.insert_datasets('raw', 'run1', ARRAY['{json.dumps(D[1])}']::jsonb[],
    ARRAY['{DS[4]}']::uuid[]);
SELECT calib.certify('calib', ARRAY['{DS[1]}']::uuid[], '[2020-01-01 00:00+00,)'::tstzrange);
SELECT calib.certify('calib', ARRAY['{DS[2]}']::uuid[],
                     '[2020-01-01 00:00+00,2021-01-01 00:00+00)'::tstzrange);
SELECT calib.tag('tagged', ARRAY['{DS[2]}']::uuid[]);
"""
#: Everything a call may change, read after it (in the same, rolled-back, transaction).
STATE = """
SELECT (SELECT json_agg(c ORDER BY c.dataset_id, lower(c.validity))
        FROM calib.certifications('calib') AS c),
       (SELECT json_agg(d ORDER BY d.dataset_id) FROM calib.query_datasets('tagged', 'bias') AS d),
       (SELECT json_agg(d ORDER BY d.dataset_id) FROM calib.query_datasets('run1', 'bias') AS d),
       calib.get_chain('chain'),
       (SELECT json_agg(t ORDER BY t.name) FROM calib.list_dataset_types() AS t)
"""


@pytest.fixture(scope="module")
def world_url(pg_server, pg_admin_url: str, pg_template: str, login_roles) -> Iterator[str]:  # noqa: F811
    from calibcert.testing import server_url

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "calib_documents"')
        conn.execute(f'CREATE DATABASE "calib_documents" TEMPLATE "{pg_template}"')
    url = server_url(pg_server, "calib_documents")
    with psycopg.connect(as_role(url, WRITER), autocommit=True) as conn:
        conn.execute(WORLD)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "calib_documents" WITH (FORCE)')


@pytest.fixture(scope="module")
def writer(world_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(as_role(world_url, WRITER), autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn


@pytest.fixture(scope="module")
def reader(world_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(as_role(world_url, READER), autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn


def outcome(conn: psycopg.Connection, sql: str, params: Any = None) -> tuple:
    """("rows", rows, state after) or ("error", SQLSTATE, message, DETAIL); never commits."""
    try:
        with conn.transaction(force_rollback=True):
            rows = conn.execute(sql, params).fetchall()
            state = conn.execute(STATE).fetchone()
        return ("rows", rows, state)
    except psycopg.Error as exc:
        detail = exc.diag.message_detail
        if exc.sqlstate and exc.sqlstate.startswith("KC") and detail:
            detail = json.loads(detail)
        return ("error", exc.sqlstate, exc.diag.message_primary, detail)


# -- the forms of one call -----------------------------------------------------------------

#: Argument kinds: (typed cast, is a list).
KINDS = {
    "name": ("text", False), "uuids": ("uuid[]", True), "data_ids": ("jsonb[]", True),
    "names": ("text[]", True), "instants": ("timestamptz[]", True),
    "spans": ("tstzrange[]", True), "span": ("tstzrange", False),
    "instant": ("timestamptz", False), "bool": ("boolean", False),
    "data_id": ("jsonb", False),
}


def _element_text(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value) if kind in ("data_ids", "data_id") else str(value)


def typed_param(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "data_ids":
        return [_element_text(kind, v) for v in value]
    if kind == "data_id":
        return json.dumps(value)
    return value


def text_param(kind: str, value: Any) -> str | None:
    """The argument as a driver binding text sends it: lists as JSON arrays."""
    if value is None:
        return None
    if KINDS[kind][1] or kind == "data_id":
        return json.dumps(value)
    if kind == "bool":
        return "true" if value else "false"
    return str(value)


def literal_param(kind: str, value: Any) -> str | None:
    """A list as a PostgreSQL array literal (data IDs: each element JSON text)."""
    if value is None or not KINDS[kind][1]:
        return text_param(kind, value)

    def quote(v: Any) -> str:
        t = _element_text(kind, v)
        if t is None:
            return "NULL"
        return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "{" + ",".join(quote(v) for v in value) + "}"


@dataclass
class Call:
    function: str
    kinds: tuple[str, ...]
    args: tuple[Any, ...]

    def sql(self, casts: list[str]) -> str:
        body = ", ".join(f"%s::{c}" if c else "%s" for c in casts)
        return f"SELECT * FROM calib.{self.function}({body})"

    def forms(self) -> dict[str, tuple[str, list]]:
        """Every way to send this call: name -> (SQL, parameters)."""
        k, a = self.kinds, self.args
        out = {
            "typed": (self.sql([KINDS[x][0] for x in k]),
                      [typed_param(x, v) for x, v in zip(k, a, strict=True)]),
            "text": (self.sql(["text"] * len(k)),
                     [text_param(x, v) for x, v in zip(k, a, strict=True)]),
            "unknown": (self.sql([""] * len(k)),
                        [text_param(x, v) for x, v in zip(k, a, strict=True)]),
        }
        if any(KINDS[x][1] for x in k):
            out["document"] = (
                self.sql(["jsonb" if KINDS[x][1] else KINDS[x][0] for x in k]),
                [json.dumps(v) if KINDS[x][1] and v is not None else typed_param(x, v)
                 for x, v in zip(k, a, strict=True)])
            out["array literal"] = (self.sql(["text"] * len(k)),
                                    [literal_param(x, v) for x, v in zip(k, a, strict=True)])
        if "data_id" in k:
            # find: a typed data ID next to an untyped time
            out["jsonb data ID"] = (
                self.sql(["jsonb" if x == "data_id" else "" for x in k]),
                [text_param(x, v) for x, v in zip(k, a, strict=True)])
        return out


_SPAN = "[2020-06-01 00:00:00+00,2020-07-01 00:00:00+00)"
_OPEN = "[2020-06-01T00:00:00Z,)"
_C = ("name", "uuids", "span", "bool")
_CS = ("name", "uuids", "instants", "bool")
_DEC = ("name", "name", "span", "data_ids")
_COR = ("name", "name", "instant", "data_ids")
_INS = ("name", "name", "data_ids", "uuids")
_FM_AT = ("name", "name", "data_ids", "instants")
_FM_SPAN = ("name", "name", "data_ids", "spans")
_FIND_AT = ("name", "name", "data_id", "instant")
_FIND_SPAN = ("name", "name", "data_id", "span")
_RDT = ("name", "names", "bool")

#: (function, kinds, args): good and bad input for every function with a list (and find,
#: whose untyped call had two candidates).
CASES: list[tuple[str, tuple[str, ...], tuple[Any, ...]]] = [
    ("certify", _C, ("calib", [DS[3]], _SPAN, False)),
    ("certify", _C, ("calib", [DS[3], DS[1]], _OPEN, True)),
    ("certify", _C, ("calib", [DS[1]], _OPEN, False)),  # KC001
    ("certify", _C, ("calib", [], _SPAN, False)),
    ("certify", _C, ("nope", [DS[3]], _SPAN, False)),  # KC002
    ("certify", _C, ("run1", [DS[3]], _SPAN, False)),  # KC003
    ("certify", _C, ("calib", [DS[9]], _SPAN, False)),  # KC007
    ("certify", _C, ("calib", [DS[4]], _SPAN, False)),  # KC006
    ("certify", _C, ("calib", [None], _SPAN, False)),  # KC015
    ("certify", _C, ("calib", [DS[3]], "(2020-06-01 00:00+00,2020-07-01 00:00+00]", False)),
    ("certify", _C, ("calib", [DS[3]], "[2020-06-01 00:00+00,2020-06-01 00:00+00)", False)),
    ("certify", _C, ("calib", [DS[3]], "[-infinity,infinity)", False)),
    ("certify", _C, ("calib", None, _SPAN, False)),
    ("certify_series", _CS, ("calib", [DS[3], DS[3]],
                             ["2020-01-01T00:00Z", "2021-01-01 00:00+01:00"], False)),
    ("certify_series", _CS, ("calib", [DS[3], DS[1]],
                             ["2020-01-01T00:00Z", "2021-01-01T00:00Z"], True)),
    ("certify_series", _CS, ("calib", [DS[3], DS[3]],
                             ["2020-01-01T00:00Z", "2020-01-01T00:00Z"], False)),  # KC001
    ("certify_series", _CS, ("calib", [DS[3]], [], False)),  # KC015
    ("certify_series", _CS, ("calib", [DS[3]], ["infinity"], False)),  # KC009
    ("certify_series", _CS, ("calib", [DS[3]], [None], False)),
    ("certify_series", _CS, ("calib", [DS[9]], ["2020-01-01T00:00Z"], False)),  # KC007
    ("decertify", _DEC, ("calib", "bias", _SPAN, None)),
    ("decertify", _DEC, ("calib", "bias", _SPAN, [D[2]])),
    ("decertify", _DEC, ("calib", "bias", "(,)", [D[7], D[1]])),
    ("decertify", _DEC, ("calib", "bias", _SPAN, [{"instrument": "Cam"}])),  # KC008
    ("decertify", _DEC, ("calib", "bias", _SPAN, [D[1], 5])),  # KC008 not an object
    ("decertify", _DEC, ("calib", "bias", _SPAN, [None])),  # KC008 NULL
    ("decertify", _DEC, ("calib", "nope", _SPAN, None)),  # KC005
    ("decertify", _DEC, ("calib", "raw", _SPAN, None)),  # KC006
    ("decertify", _DEC, ("calib", "bias", "(2020-01-01 00:00+00,)", None)),  # KC009
    ("close_open_range", _COR, ("calib", "bias", "2020-06-01T00:00Z", None)),
    ("close_open_range", _COR, ("calib", "bias", "2020-06-01T00:00Z", [D[1]])),
    ("close_open_range", _COR, ("calib", "bias", "2020-06-01T00:00Z", [D[2]])),
    ("close_open_range", _COR, ("calib", "bias", "2019-01-01T00:00Z", None)),  # KC009
    ("close_open_range", _COR, ("calib", "bias", "infinity", None)),  # KC009
    ("close_open_range", _COR, ("nope", "bias", "2020-06-01T00:00Z", None)),  # KC002
    ("close_open_range", _COR, ("calib", "bias", "2020-06-01T00:00Z", [{}])),  # KC008
    ("insert_datasets", _INS, ("bias", "run1", [D[7], D[8]], [DS[7], DS[8]])),
    ("insert_datasets", _INS, ("bias", "run1", [D[1]], [DS[7]])),  # KC010 in the run
    ("insert_datasets", _INS, ("bias", "run1", [D[7], D[7]], [DS[7], DS[8]])),  # KC010
    ("insert_datasets", _INS, ("bias", "run1", [D[7]], [DS[1]])),  # KC010 id used
    ("insert_datasets", _INS, ("bias", "run1", [{"instrument": "Cam"}], [DS[7]])),  # KC008
    ("insert_datasets", _INS, ("bias", "run1", [D[7]], [DS[7], DS[8]])),  # KC015
    ("insert_datasets", _INS, ("bias", "calib", [D[7]], [DS[7]])),  # KC003
    ("insert_datasets", _INS, ("nope", "run1", [D[7]], [DS[7]])),  # KC005
    ("insert_datasets", _INS, ("bias", "run1", None, [DS[7]])),
    ("tag", ("name", "uuids"), ("tagged", [DS[3], DS[1]])),
    ("tag", ("name", "uuids"), ("tagged", [DS[2]])),
    ("tag", ("name", "uuids"), ("tagged", [DS[9]])),  # KC007
    ("tag", ("name", "uuids"), ("calib", [DS[3]])),  # KC003
    ("tag", ("name", "uuids"), ("tagged", [None])),  # KC015
    ("untag", ("name", "uuids"), ("tagged", [DS[2], DS[3]])),
    ("untag", ("name", "uuids"), ("tagged", [])),
    ("untag", ("name", "uuids"), ("nope", [DS[2]])),  # KC002
    ("get_datasets", ("uuids",), ([DS[4], DS[1]],)),
    ("get_datasets", ("uuids",), ([],)),
    ("get_datasets", ("uuids",), ([DS[9]],)),  # KC007
    ("get_datasets", ("uuids",), ([None],)),
    ("set_chain", ("name", "names"), ("chain", ["tagged", "calib", "tagged"])),
    ("set_chain", ("name", "names"), ("chain", [])),
    ("set_chain", ("name", "names"), ("chain", ["chain"])),  # KC004
    ("set_chain", ("name", "names"), ("chain", ["nope"])),  # KC002
    ("set_chain", ("name", "names"), ("calib", ["run1"])),  # KC003
    ("set_chain", ("name", "names"), ("chain", [None])),  # KC015
    ("set_chain", ("name", "names"), ("chain", None)),  # KC015
    # Writer lists (revision 0012; the login is a member of calib_admin).
    ("set_collection_writers", ("name", "names"),
     ("calib", ["calib_writer", "calib_reader", "calib_writer"])),
    ("set_collection_writers", ("name", "names"), ("calib", None)),  # reset
    ("set_collection_writers", ("name", "names"), ("calib", [])),  # KC015
    ("set_collection_writers", ("name", "names"), ("calib", ["no such role"])),  # KC015
    ("set_collection_writers", ("name", "names"), ("calib", [None])),  # KC015
    ("set_collection_writers", ("name", "names"), ("nope", ["calib_writer"])),  # KC002
    ("register_dataset_type", _RDT, ("dark", ["instrument", "detector"], True)),
    ("register_dataset_type", _RDT, ("bias", ["instrument", "detector"], True)),
    ("register_dataset_type", _RDT, ("bias", ["detector"], True)),  # KC010
    ("register_dataset_type", _RDT, ("dark", ["a", "a"], False)),  # KC015
    ("register_dataset_type", _RDT, ("dark", ["a"], None)),  # KC015
    ("register_dataset_type", _RDT, ("dark", ["bad\tname"], True)),  # KC014
    ("find_many", _FM_AT, ("chain", "bias", [D[1], D[2], D[3], D[7]],
                           ["2020-06-01T00:00Z", "2021-06-01T00:00Z", None, None])),
    ("find_many", _FM_AT, ("chain", "bias", [D[1]], ["2020-06-01T00:00Z", None])),  # KC015
    ("find_many", _FM_AT, ("calib", "bias", [{}], ["2020-06-01T00:00Z"])),  # KC008
    ("find_many", _FM_AT, ("nope", "bias", [D[1]], ["2020-06-01T00:00Z"])),  # KC002
    ("find_many", _FM_SPAN, ("calib", "bias", [D[1], D[2]], [_SPAN, None])),
    ("find_many", _FM_SPAN, ("calib", "bias", [D[1]], ["(2020-06-01 00:00+00,)"])),  # KC009
    ("find", _FIND_AT, ("chain", "bias", D[1], "2020-06-01T00:00Z")),
    ("find", _FIND_AT, ("chain", "bias", D[3], "2020-06-01T00:00Z")),
    ("find", _FIND_AT, ("chain", "bias", D[2], None)),
    ("find", _FIND_AT, ("calib", "bias", {"instrument": "Cam"}, "2020-06-01T00:00Z")),
    ("find", _FIND_SPAN, ("calib", "bias", D[2], _SPAN)),
    ("find", _FIND_SPAN, ("calib", "bias", D[2], "[2020-06-01 00:00+00,2020-06-01 00:00+00]")),
    ("query_datasets", ("name", "name", "data_id"), ("chain", "bias", {"detector": 2})),
    ("query_datasets", ("name", "name", "data_id"), ("run1", "bias", None)),
    ("query_datasets", ("name", "name", "data_id"), ("nope", "bias", {"detector": 2})),
]
#: Functions whose lists have two typed forms: the untyped and text forms may reach either.
LIST_FUNCTIONS = {"certify", "certify_series", "decertify", "close_open_range",
                  "insert_datasets", "tag", "untag", "get_datasets", "set_chain",
                  "register_dataset_type", "find_many", "set_collection_writers"}


def test_every_list_function_has_cases() -> None:
    assert LIST_FUNCTIONS <= {f for f, _, _ in CASES}
    # ...with input that works and input that fails
    for function in LIST_FUNCTIONS:
        kinds = {c for f, k, a in CASES if f == function for c in [k]}
        assert kinds, function


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[2]!r}"[:90])
def test_every_form_gives_what_the_typed_form_gives(writer, case) -> None:
    call = Call(*case)
    forms = call.forms()
    expected = outcome(writer, *forms.pop("typed"))
    assert expected[0] == "rows" or expected[1].startswith("KC"), expected
    for name, (sql, params) in forms.items():
        assert outcome(writer, sql, params) == expected, (name, sql, params)


def test_the_cases_cover_success_and_each_kind_of_failure(writer) -> None:
    # Guards the table above: if the typed calls stopped failing, the comparison would
    # check only the easy half.
    seen = {o[1] for c in CASES for o in [outcome(writer, *Call(*c).forms()["typed"])]
            if o[0] == "error"}
    assert {"KC001", "KC002", "KC003", "KC004", "KC005", "KC006", "KC007", "KC008", "KC009",
            "KC010", "KC014", "KC015"} <= seen


def test_lookup_forms_work_for_a_reader(reader) -> None:
    for case in CASES:
        if case[0] in ("find", "find_many", "get_datasets", "query_datasets"):
            forms = Call(*case).forms()
            expected = outcome(reader, *forms.pop("typed"))
            for name, (sql, params) in forms.items():
                assert outcome(reader, sql, params) == expected, (name, sql)
    # ...and a reader may not call a writer's document form
    got = outcome(reader, "SELECT calib.tag('tagged', %s::jsonb)", (json.dumps([DS[3]]),))
    assert got[:2] == ("error", "42501")


# -- documents that are not arrays of the right things ----------------------------------------

_UUID_EXPECTED = "a dataset id (a UUID string)"
#: (SQL, kind, what, position, value in DETAIL or None)
BAD_DOCUMENTS = [
    ("SELECT calib.certify('calib', '{\"a\": 1}'::jsonb, %s)", "document_not_array",
     "datasets", None),
    ("SELECT calib.certify('calib', '\"x\"'::jsonb, %s)", "document_not_array", "datasets", None),
    ("SELECT calib.certify('calib', '1'::jsonb, %s)", "document_not_array", "datasets", None),
    (f"SELECT calib.certify('calib', '[\"{DS[3]}\", 7]'::jsonb, %s)", "document_element",
     "datasets", 2),
    (f"SELECT calib.certify('calib', '[\"{DS[3]}\", \"nope\"]'::jsonb, %s)", "document_element",
     "datasets", 2),
    (f"SELECT calib.certify('calib', '[\"{DS[3]}\", {{}}]', %s)", "document_element",
     "datasets", 2),
    ("SELECT calib.certify('calib', '[1, 2', %s)", "document_syntax", "datasets", None),
    ("SELECT calib.certify('calib', '{1,2', %s)", "document_syntax", "datasets", None),
    ("SELECT calib.certify('calib', 'datasets', %s)", "document_syntax", "datasets", None),
    ("SELECT calib.certify('calib', '{\"a\": 1}', %s)", "document_not_array", "datasets", None),
    ("SELECT calib.certify('calib', '{nope}', %s)", "document_element", "datasets", 1),
    (f"SELECT calib.certify('calib', '[\"{DS[3]}\"]', %s, 'maybe')", "argument_text",
     "close_open", None),
    ("SELECT * FROM calib.insert_datasets('bias', 'run1', '{\"detector\": 1}'::jsonb)",
     "document_not_array", "data_ids", None),
    ("SELECT * FROM calib.insert_datasets('bias', 'run1', '[]'::jsonb, '[1]'::jsonb)",
     "document_element", "ids", 1),
    ("SELECT * FROM calib.insert_datasets('bias', 'run1', '{\"{x\"}')",
     "document_syntax", "data_ids", 1),
    ("SELECT calib.set_chain('chain', '[\"calib\", 2]'::jsonb)", "document_element",
     "children", 2),
    ("SELECT calib.register_dataset_type('dark', '[\"a\", [\"b\"]]')", "document_element",
     "dimensions", 2),
    ("SELECT calib.certify_series('calib', '[]'::jsonb, '[\"2020-01-01T00:00Z\", 5]'::jsonb)",
     "document_element", "begins", 2),
    ("SELECT * FROM calib.find_many('calib', 'bias', '[]', '[true]')", "document_element",
     "at", 1),
    ("SELECT * FROM calib.find_many('calib', 'bias', '[]', '{\"at\": 1}')",
     "document_not_array", "at", None),
    ("SELECT * FROM calib.find('calib', 'bias', '{\"detector\": ', %s)", "document_syntax",
     "data_id", None),
    ("SELECT * FROM calib.query_datasets('run1', 'bias', 'detector = 1'::text)",
     "document_syntax", "where", None),
    ("SELECT calib.decertify('calib', 'bias', %s, 'true')", "document_not_array",
     "data_ids", None),
    ("SELECT * FROM calib.get_datasets('[\"00000000-0000-4000-8000-00000000000\"]')",
     "document_element", "ids", 1),
]


@pytest.mark.parametrize("sql, kind, what, position", BAD_DOCUMENTS,
                         ids=[f"{k}-{w}-{i}" for i, (_, k, w, _) in enumerate(BAD_DOCUMENTS)])
def test_a_document_that_is_not_an_array_of_the_right_things_is_kc016(
        writer, sql: str, kind: str, what: str, position: int | None) -> None:
    params = ("[2020-06-01T00:00Z,)",) * sql.count("%s")
    got = outcome(writer, sql, params or None)
    assert got[:2] == ("error", "KC016"), got
    detail = got[3]
    assert (detail["kind"], detail["what"], detail.get("position")) == (kind, what, position)
    assert what in got[2] and (position is None or f"(element {position})" in got[2]), got[2]


def test_kc016_reaches_the_client_as_invalid_document_error(world_url: str) -> None:
    from calibcert.errors import InvalidArgumentError, InvalidDocumentError, translate

    with psycopg.connect(as_role(world_url, WRITER), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT calib.tag('tagged', '[1]'::jsonb)")
    err = translate(info.value)
    assert isinstance(err, InvalidDocumentError) and isinstance(err, InvalidArgumentError)
    assert (err.what, err.position, err.value) == ("datasets", 1, 1)
    assert str(err) == f"datasets (element 1) must be {_UUID_EXPECTED}, not 1"
    assert info.value.diag.message_primary == f"KC016: {err}"


# -- times ---------------------------------------------------------------------------------

NAIVE = [
    ("SELECT calib.certify('calib', %s, '[2020-06-01 00:00,)')", "timespan", None),
    ("SELECT calib.certify('calib', %s, '[2020-06-01T00:00:00Z,2020-07-01)')", "timespan", None),
    ("SELECT calib.certify_series('calib', %s, '[\"2020-06-01T00:00\"]')", "begins", 1),
    ("SELECT calib.certify_series('calib', %s::jsonb,"
     " '[\"2020-06-01T00:00Z\", \"2020-07-01\"]'::jsonb)", "begins", 2),
    ("SELECT * FROM calib.find_many('calib', 'bias', '[{}]',"
     " '[\"[2020-06-01 00:00,)\"]')", "at", 1),
    ("SELECT * FROM calib.find_many('calib', 'bias', '[{}, {}]'::jsonb,"
     " '[\"2020-06-01T00:00Z\", \"2020-06-01 12:00:00.5\"]'::jsonb)", "at", 2),
    ("SELECT * FROM calib.find('calib', 'bias', '{}', '2020-06-01 00:00')", "at", None),
    ("SELECT * FROM calib.find('calib', 'bias', '{}'::jsonb, '2020-06-01')", "at", None),
    ("SELECT calib.close_open_range('calib', 'bias', '2020-06-01T00:00')", "end", None),
    ("SELECT calib.decertify('calib', 'bias', '[,2020-06-01 00:00)')", "timespan", None),
]


@pytest.mark.parametrize("sql, what, position", NAIVE)
def test_a_time_without_an_offset_is_refused_in_text_and_in_json(
        writer, sql: str, what: str, position: int | None) -> None:
    params = (json.dumps([DS[3]]),) if "%s" in sql else None
    for zone in ("UTC", "Europe/Paris"):
        writer.execute(f"SET TimeZone = '{zone}'")
        got = outcome(writer, sql, params)
        writer.execute("SET TimeZone = 'UTC'")
        assert got[:2] == ("error", "KC009"), got
        detail = got[3]
        assert (detail["kind"], detail["what"], detail["position"]) == (
            "time_naive", what, position), detail


def test_a_typed_naive_time_is_read_in_the_session_time_zone(writer) -> None:
    # What README "Calling from another service" says: a typed tstzrange is converted by
    # PostgreSQL, in TimeZone, before calibcert sees it.
    sql = (f"SELECT calib.certify('calib', ARRAY['{DS[3]}']::uuid[],"
           " '[2020-06-01 00:00,)'::tstzrange); SELECT lower(validity) FROM"
           f" calib.certifications('calib') WHERE dataset_id = '{DS[3]}'")
    writer.execute("SET TimeZone = 'Europe/Paris'")
    try:
        with writer.transaction(force_rollback=True):
            cur = writer.execute(sql)
            cur.nextset()
            (begin,) = cur.fetchone()
    finally:
        writer.execute("SET TimeZone = 'UTC'")
    assert begin == datetime(2020, 5, 31, 22, tzinfo=timezone.utc)


@pytest.mark.parametrize("written, utc", [
    ("2020-06-01T02:00+02:00", "2020-06-01 00:00+00"),
    ("2020-06-01 02:00:00+0200", "2020-06-01 00:00+00"),
    ("2020-05-31T19:30:00.25-04:30", "2020-06-01 00:00:00.25+00"),
    ("2020-06-01T00:00:00Z", "2020-06-01 00:00+00"),
    ("2020-06-01t00:00z", "2020-06-01 00:00+00"),
])
def test_a_time_with_an_offset_gives_the_typed_result(writer, written: str, utc: str) -> None:
    state = "SELECT validity FROM calib.certifications('calib') ORDER BY dataset_id, validity"
    results = []
    for sql, params in [
        ("SELECT calib.certify('calib', %s::uuid[], %s::tstzrange)",
         ([DS[3]], f"[{utc},)")),
        ("SELECT calib.certify('calib', %s, %s)", (json.dumps([DS[3]]), f"[{written},)")),
        ("SELECT calib.certify('calib', %s::text, %s::text)",
         (f"{{{DS[3]}}}", f'["{written}",)')),
        ("SELECT calib.certify_series('calib', %s::jsonb, %s::jsonb)",
         (json.dumps([DS[3]]), json.dumps([written]))),
        ("SELECT calib.certify_series('calib', %s, %s)",
         (f"{{{DS[3]}}}", f"{{{written}}}")),
    ]:
        writer.execute("SET TimeZone = 'America/New_York'")  # irrelevant with an offset
        with writer.transaction(force_rollback=True):
            writer.execute(sql, params)
            writer.execute("SET LOCAL TimeZone = 'UTC'")
            results.append(writer.execute(state).fetchall())
        writer.execute("SET TimeZone = 'UTC'")
    assert all(r == results[0] for r in results), results


@pytest.mark.parametrize("text, kind", [
    ("2020-06-01T00:00 Europe/Paris", "time_syntax"),
    ("June 1 2020 00:00+00", "time_syntax"),
    ("2020-13-01T00:00Z", "time_syntax"),
    ("2020-06-01T25:00Z", "time_syntax"),
    ("now", "time_syntax"),
    ("2020-06-01", "time_naive"),
])
def test_only_iso_instants_are_read(writer, text: str, kind: str) -> None:
    got = outcome(writer, "SELECT calib.close_open_range('calib', 'bias', %s::text)", (text,))
    assert got[:2] == ("error", "KC009") and got[3]["kind"] == kind, got
    assert outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s, %s)",
                   (json.dumps(D[1]), f"[{text},)"))[3]["kind"] == kind


def test_infinity_and_unbounded_sides_are_read(writer) -> None:
    for text in ("[-infinity,infinity)", "(,)", "[,)", '["-infinity",)', "[ , infinity )"):
        typed = outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s::jsonb,"
                        " %s::tstzrange)", (json.dumps(D[1]), text.replace(" ", "")))
        assert outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s, %s)",
                       (json.dumps(D[1]), text)) == typed, text
    got = outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s, %s)",
                  (json.dumps(D[1]), "2020-06-01T00:00Z/2020-07-01T00:00Z"))
    assert got[3]["kind"] == "time_syntax"
    got = outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s, %s)",
                  (json.dumps(D[1]), "[2020-06-01T00:00Z,2020-07-01T00:00Z,)"))
    assert got[3]["kind"] == "timespan_syntax"
    got = outcome(writer, "SELECT * FROM calib.find('calib', 'bias', %s, %s)",
                  (json.dumps(D[1]), "[2021-06-01T00:00Z,2020-07-01T00:00Z)"))
    assert got[:2] == ("error", "KC009") and got[3]["kind"] == "timespan_reversed", got


# -- resolution ------------------------------------------------------------------------------

def _lit(value: str | None, cast: str = "") -> str:
    if value is None:
        return "NULL" + (f"::{cast}" if cast else "")
    return "'" + value.replace("'", "''") + "'" + (f"::{cast}" if cast else "")


#: function -> (kinds, args, typed form's signature): one call per function for resolution.
RESOLUTION = {
    "certify": (_C, ("calib", [DS[3]], _SPAN, False)),
    "certify_series": (_CS, ("calib", [DS[3]], ["2020-01-01T00:00Z"], False)),
    "decertify": (_DEC, ("calib", "bias", _SPAN, [D[2]])),
    "close_open_range": (_COR, ("calib", "bias", "2020-06-01T00:00Z", [D[1]])),
    "insert_datasets": (_INS, ("bias", "run1", [D[7]], [DS[7]])),
    "tag": (("name", "uuids"), ("tagged", [DS[3]])),
    "untag": (("name", "uuids"), ("tagged", [DS[2]])),
    "get_datasets": (("uuids",), ([DS[1]],)),
    "set_chain": (("name", "names"), ("chain", ["calib"])),
    "register_dataset_type": (_RDT, ("dark", ["instrument"], True)),
    "find_many": (_FM_AT, ("chain", "bias", [D[1]], ["2020-06-01T00:00Z"])),
    "find": (_FIND_AT, ("chain", "bias", D[1], "2020-06-01T00:00Z")),
    "query_datasets": (("name", "name", "data_id"), ("run1", "bias", {"detector": 2})),
}


def _resolution_calls(function: str) -> dict[str, tuple[str, str]]:
    """way of calling -> (literal SQL, the signature it must reach first)."""
    kinds, args = RESOLUTION[function]
    texts = [text_param(k, a) for k, a in zip(kinds, args, strict=True)]
    n = len(kinds)
    text_sig = ",".join(["text"] * n)

    def call(parts: list[str]) -> str:
        return f"SELECT * FROM calib.{function}({', '.join(parts)})"

    typed_sig = ",".join(KINDS[k][0].replace("timestamptz", "timestamp with time zone")
                         for k in kinds)
    out = {
        "untyped": (call([_lit(t) for t in texts]), text_sig),
        "text": (call([_lit(t, "text") for t in texts]), text_sig),
    }
    has_list = any(KINDS[k][1] for k in kinds)
    if has_list:
        doc_sig = ",".join("jsonb" if KINDS[k][1] else
                           KINDS[k][0].replace("timestamptz", "timestamp with time zone")
                           for k in kinds)
        out["jsonb lists, untyped scalars"] = (
            call([_lit(t, "jsonb") if KINDS[k][1] else _lit(t)
                  for k, t in zip(kinds, texts, strict=True)]), doc_sig)
        lits = [literal_param(k, a) for k, a in zip(kinds, args, strict=True)]
        out["typed arrays, untyped scalars"] = (
            call([_lit(t, KINDS[k][0]) if KINDS[k][1] else _lit(t)
                  for k, t in zip(kinds, lits, strict=True)]), typed_sig)
        if function == "find_many":  # two typed forms: the times must be typed too
            out["typed arrays, untyped scalars"] = (
                call([_lit(t, KINDS[k][0]) if KINDS[k][1] else _lit(t)
                      for k, t in zip(kinds, lits, strict=True)]), typed_sig)
    if "data_id" in kinds:
        out["jsonb data ID, untyped rest"] = (
            call([_lit(t, "jsonb") if k == "data_id" else _lit(t)
                  for k, t in zip(kinds, texts, strict=True)]),
            ",".join("jsonb" if k == "data_id" else "text" for k in kinds))
    if function == "find":
        out["typed"] = (call([_lit(t, KINDS[k][0]) for k, t in zip(kinds, texts, strict=True)]),
                        typed_sig)
    return out


@pytest.mark.parametrize("function", sorted(RESOLUTION))
def test_each_way_of_calling_reaches_its_form(world_url: str, function: str) -> None:
    # As the superuser only to set track_functions; pg_stat_xact_user_functions then names
    # every function the call ran, in this transaction.
    text_form = f"calib.{function}({','.join(['text'] * len(RESOLUTION[function][0]))})"
    for way, (sql, signature) in _resolution_calls(function).items():
        # A session per call: the view also shows counts of earlier transactions that the
        # session has not reported yet.
        with psycopg.connect(world_url, autocommit=True) as conn:
            conn.execute("SET track_functions = 'all'")
            conn.execute("SET search_path = pg_catalog")
            with conn.transaction(force_rollback=True):
                conn.execute(sql).fetchall()
                called = {s for (s,) in conn.execute(
                    "SELECT funcid::regprocedure::text FROM pg_stat_xact_user_functions"
                    " WHERE schemaname = 'calib' AND funcname = %s", (function,))}
            assert f"calib.{function}({signature})" in called, (way, sql, called)
            # the all-text form exactly when every argument is text or untyped
            assert (text_form in called) == (way in ("untyped", "text")), (way, sql, called)
            if way.startswith("typed"):
                assert called == {f"calib.{function}({signature})"}, (way, sql, called)


def test_the_issues_calls_resolve(writer) -> None:
    data_id = '{"instrument":"Cam","detector":1}'
    rows = writer.execute(
        f"SELECT * FROM calib.find('chain', 'bias', '{data_id}', '2020-06-01T00:00Z')").fetchall()
    assert [r[0] for r in rows] == [uuid.UUID(DS[1])]
    rows = writer.execute(
        f"SELECT * FROM calib.find('chain', 'bias', '{data_id}'::jsonb, '2020-06-01T00:00Z')"
    ).fetchall()
    assert [r[0] for r in rows] == [uuid.UUID(DS[1])]
    with writer.transaction(force_rollback=True):
        rows = writer.execute(
            "SELECT * FROM calib.insert_datasets('bias', 'run1',"
            " '[{\"instrument\":\"Cam\",\"detector\":5}]'::jsonb)").fetchall()
        assert [r[1] for r in rows] == [D[5]]
