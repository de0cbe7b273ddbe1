"""Every public function from outside the Python client: two other drivers, JSON documents.

A service holding JSON and a login calls the SQL API with its own driver. Here one scenario
(every public function, each list as a JSON document, every time with a UTC offset, some
calls that fail) runs as the test LOGIN role holding calib_admin through:

* **psycopg with every parameter bound as text** (``StrDumper``: the server receives type
  ``text`` for each parameter, as most drivers send strings), text result format;
* **pg8000** (``pg8000.native``), another driver with its own protocol code, which sends
  strings as ``unknown``.

Each step must give what the scenario expects, through both drivers alike (the rows as
JSON: the datasets found, the certifications stored; or the SQLSTATE and kind of a
failure). Catches a function that a text-bound or untyped call cannot reach (``is not
unique`` / ``does not exist``), and a form whose results differ by how the call was
bound. ``probe`` takes internal ids and is called with integers, as README "Calling from
another service" says.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import psycopg
from psycopg.types.string import StrDumper

from test_sql_level import WRITER, as_role, login_roles  # noqa: F401 (fixture)


def _sha(form: str) -> str:
    return "sha256:" + hashlib.sha256(form.encode()).hexdigest()


U1, U2, U3 = (f"6f1c9a52-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
D1, D2 = ({"instrument": "Cam", "detector": d} for d in (1, 2))

#: (SQL with :name parameters, parameters, expected: a JSON value of the rows, or
#: ("error", SQLSTATE, kind)). Every call is wrapped as SELECT json_agg(r) FROM call AS r: a
#: list of rows, or of the one value of a scalar function.
SCENARIO: list[tuple[str, dict, object]] = [
    # history (revision 0014): a fresh database is at epoch 0
    ("calib.current_epoch()", {}, [0]),
    ("calib.epoch_at(:t)", {"t": "2000-01-01T00:00Z"}, [0]),
    ("calib.register_collection(:n, :t, :d)", {"n": "Cam/run1", "t": "RUN", "d": None},
     [True]),
    ("calib.register_collection(:n, :t, :d)",
     {"n": "Cam/calib", "t": "CALIBRATION", "d": "curated"}, [True]),
    ("calib.register_collection(:n, :t, :d)", {"n": "Cam/tagged", "t": "TAGGED", "d": None},
     [True]),
    ("calib.register_collection(:n, :t, :d)", {"n": "Cam/chain", "t": "CHAINED", "d": None},
     [True]),
    ("calib.register_dataset_type(:n, :dims, :cal)",
     {"n": "bias", "dims": '["instrument", "detector"]', "cal": "true"},
     [True]),
    ("calib.register_dataset_type(:n, :dims, :cal)",
     {"n": "raw", "dims": "{instrument,detector}", "cal": "false"},
     [True]),
    ("calib.list_dataset_types()", {},
     [{"name": "bias", "dimensions": ["instrument", "detector"], "is_calibration": True},
      {"name": "raw", "dimensions": ["instrument", "detector"], "is_calibration": False}]),
    ("calib.set_chain(:p, :c)", {"p": "Cam/chain", "c": '["Cam/calib", "Cam/run1"]'},
     [""]),
    ("calib.get_chain(:p)", {"p": "Cam/chain"}, [["Cam/calib", "Cam/run1"]]),
    ("calib.list_collections(:t)", {"t": "TAGGED"},
     [{"name": "Cam/tagged", "type": "TAGGED", "doc": None, "state": "OPEN",
       "writers": None, "snapshot_of": None, "snapshot_epoch": None}]),
    ("calib.insert_datasets(:t, :r, :d, :i)",
     {"t": "bias", "r": "Cam/run1", "d": json.dumps([D1, D2]), "i": json.dumps([U1, U2])},
     [{"dataset_id": U1, "data_id": D1}, {"dataset_id": U2, "data_id": D2}]),
    ("calib.insert_datasets(:t, :r, :d, :i)",
     {"t": "raw", "r": "Cam/run1", "d": json.dumps([D1]), "i": json.dumps([U3])},
     [{"dataset_id": U3, "data_id": D1}]),
    ("calib.insert_datasets(:t, :r, :d, :i)",
     {"t": "bias", "r": "Cam/run1", "d": json.dumps([D1]), "i": None},
     ("error", "KC010", "run_data_id_exists")),
    ("calib.get_datasets(:i)", {"i": json.dumps([U1])},
     [{"dataset_id": U1, "dataset_type": "bias", "data_id": D1, "run": "Cam/run1"}]),
    ("calib.query_datasets(:c, :t, :w)", {"c": "Cam/run1", "t": "bias", "w": '{"detector": 2}'},
     [{"dataset_id": U2, "dataset_type": "bias", "data_id": D2, "run": "Cam/run1"}]),
    ("calib.tag(:c, :d)", {"c": "Cam/tagged", "d": json.dumps([U1, U2])}, [2]),
    ("calib.untag(:c, :d)", {"c": "Cam/tagged", "d": json.dumps([U1])}, [1]),
    ("calib.tag(:c, :d)", {"c": "Cam/tagged", "d": "[1]"},
     ("error", "KC016", "document_element")),
    ("calib.certify(:c, :d, :s, :o)",
     {"c": "Cam/calib", "d": json.dumps([U1]), "s": "[2024-01-01T00:00Z,)", "o": "false"},
     [1]),
    ("calib.certify(:c, :d, :s, :o)",
     {"c": "Cam/calib", "d": json.dumps([U1]), "s": "[2024-01-01 00:00,)", "o": "false"},
     ("error", "KC009", "time_naive")),
    ("calib.certify(:c, :d, :s, :o)",
     {"c": "Cam/calib", "d": json.dumps([U3]), "s": "[2024-01-01T00:00Z,)", "o": "false"},
     ("error", "KC006", "not_calibration_certify")),
    ("calib.certify_series(:c, :d, :b, :o)",
     {"c": "Cam/calib", "d": json.dumps([U2, U2]),
      "b": json.dumps(["2024-01-01T00:00Z", "2024-02-01T01:00+01:00"]), "o": "false"},
     [2]),
    ("calib.decertify(:c, :t, :s, :d)",
     {"c": "Cam/calib", "t": "bias", "s": "[2024-01-10T00:00Z,2024-01-11T00:00Z)",
      "d": json.dumps([D2])}, [1]),
    ("calib.close_open_range(:c, :t, :e, :d)",
     {"c": "Cam/calib", "t": "bias", "e": "2025-01-01T00:00Z", "d": None},
     [2]),
    ("calib.copy_collection(:s, :d, :doc)", {"s": "Cam/calib", "d": "Cam/calib/v1", "doc": "v1"},
     [""]),
    ("calib.remove_collection(:n)", {"n": "Cam/calib/v1"}, [""]),
    ("calib.certifications(:c, :t)", {"c": "Cam/calib", "t": "bias"},
     [{"collection": "Cam/calib", "dataset_id": U1, "dataset_type": "bias", "data_id": D1,
       "run": "Cam/run1", "validity": '["2024-01-01 00:00:00+00","2025-01-01 00:00:00+00")'},
      {"collection": "Cam/calib", "dataset_id": U2, "dataset_type": "bias", "data_id": D2,
       "run": "Cam/run1", "validity": '["2024-01-01 00:00:00+00","2024-01-10 00:00:00+00")'},
      {"collection": "Cam/calib", "dataset_id": U2, "dataset_type": "bias", "data_id": D2,
       "run": "Cam/run1", "validity": '["2024-01-11 00:00:00+00","2024-02-01 00:00:00+00")'},
      {"collection": "Cam/calib", "dataset_id": U2, "dataset_type": "bias", "data_id": D2,
       "run": "Cam/run1", "validity": '["2024-02-01 00:00:00+00","2025-01-01 00:00:00+00")'}]),
    # The health functions: no argument; a healthy database has no problem (no row).
    ("calib.check_integrity()", {}, None),
    ("calib.collection_stats()", {},
     [{"name": "Cam/calib", "type": "CALIBRATION", "state": "OPEN", "datasets": 0,
       "tagged": 0,
       "certifications": 4, "calibration_keys": 2, "open_ended": 0,
       "earliest_begin": "2024-01-01T00:00:00+00:00",
       "latest_end": "2025-01-01T00:00:00+00:00", "children": 0},
      {"name": "Cam/chain", "type": "CHAINED", "state": "OPEN", "datasets": 0, "tagged": 0,
       "certifications": 0, "calibration_keys": 0, "open_ended": 0, "earliest_begin": None,
       "latest_end": None, "children": 2},
      {"name": "Cam/run1", "type": "RUN", "state": "OPEN", "datasets": 3, "tagged": 0,
       "certifications": 0,
       "calibration_keys": 0, "open_ended": 0, "earliest_begin": None, "latest_end": None,
       "children": 0},
      {"name": "Cam/tagged", "type": "TAGGED", "state": "OPEN", "datasets": 0, "tagged": 1,
       "certifications": 0, "calibration_keys": 0, "open_ended": 0, "earliest_begin": None,
       "latest_end": None, "children": 0}]),
    # Digests (README "Collection digests"), their forms written out here: the tag of U2
    # (the integer detector 2: typed), the chain's children in order; an unknown name.
    ("calib.collection_digest(:c)", {"c": "Cam/tagged"},
     [_sha('{"format":"calibcert-digest-v1","type":"TAGGED"}\n'
           '{"data_id":{"detector":2,"instrument":"Cam"},"dataset_id":"' + U2 + '",'
           '"dataset_type":"bias"}')]),
    ("calib.collection_digest(:c)", {"c": "Cam/chain"},
     [_sha('{"format":"calibcert-digest-v1","type":"CHAINED"}\n'
           '{"child":"Cam/calib","position":1}\n{"child":"Cam/run1","position":2}')]),
    ("calib.collection_digest(:c)", {"c": "Cam/nope"}, ("error", "KC002", "collection_missing")),
    ("calib.find(:c, :t, :d, :at)",
     {"c": "Cam/chain", "t": "bias", "d": json.dumps(D2), "at": "2024-01-10T12:00Z"},
     [{"dataset_id": U2, "dataset_type": "bias", "data_id": D2, "run": "Cam/run1"}]),
    ("calib.find(:c, :t, :d, :at)",
     {"c": "Cam/calib", "t": "bias", "d": json.dumps(D2), "at": "2024-01-10T12:00Z"}, None),
    ("calib.find(:c, :t, :d, :at)",
     {"c": "Cam/calib", "t": "bias", "d": json.dumps(D2),
      "at": "[2024-01-05T00:00Z,2024-01-15T00:00Z)"},
     ("error", "KC011", "lookup_ambiguous_during")),
    ("calib.find_many(:c, :t, :d, :at)",
     {"c": "Cam/chain", "t": "bias", "d": json.dumps([D1, D2, D1]),
      "at": json.dumps(["2023-06-01T00:00Z", "2024-03-01T00:00Z", None])},
     [{"ord": 1, "dataset_id": U1, "dataset_type": "bias", "data_id": D1, "run": "Cam/run1"},
      {"ord": 2, "dataset_id": U2, "dataset_type": "bias", "data_id": D2, "run": "Cam/run1"},
      {"ord": 3, "dataset_id": U1, "dataset_type": "bias", "data_id": D1, "run": "Cam/run1"}]),
    ("calib.find_many(:c, :t, :d, :at)",
     {"c": "Cam/chain", "t": "bias", "d": json.dumps([D1]), "at": '{"at": 1}'},
     ("error", "KC016", "document_not_array")),
    # probe: internal ids, bound as integers
    ("calib.probe(:cid, :key, :span::tstzrange)",
     {"cid": "SELECT collection_id FROM calib.collection WHERE name = 'Cam/chain'",
      "key": "SELECT data_id_key FROM calib.dataset WHERE dataset_id = '" + U1 + "'",
      "span": "[2024-03-01 12:00+00,2024-03-01 12:00+00]"},
     [{"member_id": "calib", "dataset_id": U1, "ambiguous": False}]),
    # history (revision 0014): as of epoch 0 nothing existed; a name never used
    ("calib.find(:c, :t, :d, :at, :e)",
     {"c": "Cam/chain", "t": "bias", "d": json.dumps(D2), "at": "2024-01-10T12:00Z", "e": "0"},
     ("error", "KC002", "collection_missing_as_of")),
    ("calib.history(:c, :t, :d, :s, :u)",
     {"c": "nope", "t": None, "d": None, "s": None, "u": None},
     ("error", "KC002", "collection_never")),
    # explain (revision 0014): every argument bound as text; as of epoch 0 nothing existed
    ("calib.explain(:c, :t, :d, :at, :e)",
     {"c": "Cam/chain", "t": "bias", "d": json.dumps(D2), "at": "2024-01-10T12:00Z", "e": "0"},
     ("error", "KC002", "collection_missing_as_of")),
    # retention: nothing to drop before epoch 0; an epoch beyond the current one
    ("calib.prune_history(:b::bigint)", {"b": "0"}, [0]),
    ("calib.prune_history(:b::bigint)", {"b": "999999"}, ("error", "KC015", "prune_range")),
    # snapshots (revision 0014): Cam/calib as of epoch 2 (registered, nothing certified)
    ("calib.snapshot_collection(:s, :n, :e)", {"s": "Cam/calib", "n": "Cam/calib/then", "e": "2"},
     [2]),
    ("calib.certifications(:c, :t)", {"c": "Cam/calib/then", "t": "bias"}, None),
    ("calib.certify(:c, :d, :s, :o)",
     {"c": "Cam/calib/then", "d": json.dumps([U1]), "s": "[2024-01-01T00:00Z,)", "o": "false"},
     ("error", "KC018", "collection_frozen")),
    ("calib.remove_collection(:n)", {"n": "Cam/calib/then"}, [""]),
    # collection states and writer lists (revision 0012)
    ("calib.set_collection_writers(:c, :w)", {"c": "Cam/tagged", "w": '["calib_writer"]'},
     [None]),
    ("calib.set_collection_writers(:c, :w)", {"c": "Cam/tagged", "w": None},
     [["calib_writer"]]),
    ("calib.set_collection_writers(:c, :w)", {"c": "Cam/tagged", "w": '["no such role"]'},
     ("error", "KC015", "role_missing")),
    ("calib.set_collection_state(:c, :s)", {"c": "Cam/tagged", "s": "frozen"}, ["OPEN"]),
    ("calib.untag(:c, :d)", {"c": "Cam/tagged", "d": json.dumps([U2])},
     ("error", "KC018", "collection_frozen")),
    # revert (revision 0014): an epoch that is no change; a dry run that a later change
    # stands in the way of (Cam/run1, registered first, holds datasets since)
    ("calib.revert(:e, :d)", {"e": "999999", "d": "true"},
     ("error", "KC015", "revert_epoch_missing")),
    ("calib.revert(:e, :d)", {"e": "1", "d": "true"}, ("error", "KC019", "revert_in_use")),
]
#: Every public function appears in the scenario (overloads count once).
PUBLIC = {"register_collection", "set_chain", "get_chain", "remove_collection",
          "list_collections", "register_dataset_type", "list_dataset_types", "insert_datasets",
          "tag", "untag", "certify", "certify_series", "decertify", "close_open_range",
          "copy_collection", "find", "find_many", "certifications", "query_datasets",
          "get_datasets", "probe", "set_collection_state", "set_collection_writers",
          "check_integrity", "collection_stats", "collection_digest", "current_epoch",
          "epoch_at", "history", "explain", "prune_history", "snapshot_collection", "revert"}


def test_the_scenario_calls_every_public_function(pg_shared_url: str) -> None:
    with psycopg.connect(pg_shared_url) as conn:
        names = {n for (n,) in conn.execute(
            "SELECT proname::text FROM pg_proc WHERE pronamespace = 'calib'::regnamespace"
            " AND proname NOT LIKE '\\_%'")}
    assert names == PUBLIC
    assert {re.match(r"calib\.(\w+)\(", sql).group(1) for sql, _, _ in SCENARIO} == PUBLIC


def run_scenario(call: Callable[[str, dict], tuple]) -> list:
    """The scenario through ``call(sql, params) -> ("rows", json text) | ("error", code,
    detail text)``; returns the transcript, checking each step against its expectation."""
    transcript = []
    ids: dict[str, int] = {}
    for sql, params, expected in SCENARIO:
        params = dict(params)
        if "probe" in sql:  # the internal ids, read first (as the Python client does)
            for k in ("cid", "key"):
                ids[k] = call(f"SELECT json_agg(r)::text FROM ({params[k]}) AS r", {})[1]
                params[k] = json.loads(ids[k])[0][{"cid": "collection_id",
                                                    "key": "data_id_key"}[k]]
        got = call(f"SELECT json_agg(r)::text FROM {sql} AS r", params)
        transcript.append(got)
        if isinstance(expected, tuple):
            assert got[:2] == expected[:2], (sql, params, got)
            assert json.loads(got[2])["kind"] == expected[2], (sql, got)
        else:
            rows = None if got[1] is None else json.loads(got[1])
            if rows and isinstance(rows[0], dict) and "member_id" in rows[0]:  # probe
                assert isinstance(rows[0].pop("member_id"), int)
                expected = [{k: v for k, v in expected[0].items() if k != "member_id"}]
            assert got[0] == "rows" and rows == expected, (sql, params, got)
    return transcript


def _psycopg_sql(sql: str) -> str:
    return re.sub(r":(\w+)(?!:)", r"%(\1)s", sql.replace("::", "\0")).replace("\0", "::")


def test_every_function_with_every_parameter_bound_as_text(pg_url: str, login_roles) -> None:  # noqa: F811
    with psycopg.connect(as_role(pg_url, WRITER), autocommit=True) as conn:
        conn.adapters.register_dumper(str, StrDumper)  # type text, not unknown
        conn.execute("SET TimeZone = 'UTC'")
        seen_types: set[str] = set()

        def call(sql: str, params: dict) -> tuple:
            try:
                cur = conn.cursor()
                cur.execute(_psycopg_sql(sql), params, binary=False)
                seen_types.update(type(v).__name__ for v in params.values())
                return ("rows", cur.fetchone()[0])
            except psycopg.Error as exc:
                return ("error", exc.sqlstate, exc.diag.message_detail)

        transcript = run_scenario(call)
    assert seen_types <= {"str", "NoneType", "int"}
    # every call of a list function went through its all-text form: a typed-only database
    # would have refused them ("does not exist"), which run_scenario would have reported
    assert len(transcript) == len(SCENARIO)


def test_every_function_through_pg8000(pg_url: str, login_roles) -> None:  # noqa: F811
    import pg8000.native as pg8000
    url = urlsplit(as_role(pg_url, WRITER))
    conn = pg8000.Connection(user=url.username, host=url.hostname, port=url.port,
                             database=url.path.lstrip("/"))
    try:
        conn.run("SET TimeZone = 'UTC'")

        def call(sql: str, params: dict) -> tuple:
            try:
                rows = conn.run(sql, **params)
                return ("rows", rows[0][0] if not isinstance(rows[0][0], (list, dict))
                        else json.dumps(rows[0][0]))
            except pg8000.DatabaseError as exc:
                info = exc.args[0]
                return ("error", info["C"], info.get("D"))

        pg8000_transcript = run_scenario(call)
    finally:
        conn.close()
    assert len(pg8000_transcript) == len(SCENARIO)
