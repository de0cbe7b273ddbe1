"""The SQL functions' own validation, reached by calling them directly with bad input.

The Python client checks names, data IDs, timespans and argument shapes before it calls
the database, so the behaviour suite never reaches most of the checks in sql/functions/:
another service calling ``SELECT calib.f(...)`` meets only these. Each case below calls a
public function with one bad argument and asserts the precise SQLSTATE and the error's
``kind`` (its DETAIL, see pyclient/calibcert/messages.py), and any detail facts named.

``test_every_raise_branch_is_reached`` parses every ``calib._raise(...)`` under
sql/functions/ and fails if one of its kinds is neither reached by a case here nor listed
in UNREACHED with the reason and where else it is tested.

Where the SQLite backend has the same check behind the Python layer, its twin is called
directly (the backend's ``_method``) with the same bad input and must raise the same kind.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from calibcert import CalibCertError, Timespan
from calibcert.messages import KINDS

SQL_FUNCTIONS = Path(__file__).resolve().parents[1] / "sql" / "functions"

B1 = "00000000-0000-4000-8000-000000000001"  # bias detector 1 in run, certified from 2020
B2 = "00000000-0000-4000-8000-000000000002"  # bias detector 2 in run, certified from 2022
B1_RUN2 = "00000000-0000-4000-8000-000000000003"  # bias detector 1 in run2, not certified
RAW = "00000000-0000-4000-8000-000000000004"  # raw (not a calibration type) in run
UNKNOWN = "00000000-0000-4000-8000-00000000dead"

SEED = f"""
SELECT calib.register_collection('run', 'RUN');
SELECT calib.register_collection('run2', 'RUN');
SELECT calib.register_collection('empty-run', 'RUN');
SELECT calib.register_collection('calib', 'CALIBRATION');
SELECT calib.register_collection('tagged', 'TAGGED');
SELECT calib.register_collection('chain', 'CHAINED');
SELECT calib.register_collection('chain2', 'CHAINED');
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'], true);
SELECT calib.register_dataset_type('raw', ARRAY['instrument', 'exposure'], false);
SELECT calib.insert_datasets('bias', 'run', ARRAY['{{"instrument": "Cam", "detector": 1}}',
    '{{"instrument": "Cam", "detector": 2}}']::jsonb[], ARRAY['{B1}', '{B2}']::uuid[]);
SELECT calib.insert_datasets('bias', 'run2',
    ARRAY['{{"instrument": "Cam", "detector": 1}}']::jsonb[], ARRAY['{B1_RUN2}']::uuid[]);
SELECT calib.insert_datasets('raw', 'run',
    ARRAY['{{"instrument": "Cam", "exposure": 1}}']::jsonb[], ARRAY['{RAW}']::uuid[]);
SELECT calib.certify('calib', ARRAY['{B1}']::uuid[], '[2020-01-01 00:00+00,)');
SELECT calib.certify('calib', ARRAY['{B2}']::uuid[], '[2022-01-01 00:00+00,)');
SELECT calib.tag('tagged', ARRAY['{B1}']::uuid[]);
SELECT calib.set_chain('chain', ARRAY['calib', 'run']);
SELECT calib.set_chain('chain2', ARRAY['chain']);
"""

D1 = '{"instrument": "Cam", "detector": 1}'
SPAN = "[2020-01-01 00:00+00,2021-01-01 00:00+00)"


@dataclass(frozen=True)
class Case:
    id: str
    sql: str
    code: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)  # facts the DETAIL must hold
    prepare: str = ""  # run first (inside the case's savepoint)


#: Nine dimensions of 255-character values: a data ID over 2,000 bytes, each value in range.
WIDE_DIMS = ", ".join(f"'d{i}'" for i in range(1, 10))
WIDE_DATA_ID = json.dumps({f"d{i}": "x" * 255 for i in range(1, 10)})
#: One dimension more than a dataset type may have (32).
MANY_DIMS = ", ".join(f"'m{i}'" for i in range(1, 34))


def c(id: str, sql: str, code: str, kind: str, prepare: str = "", **detail: Any) -> Case:
    return Case(id, sql, code, kind, detail, prepare)


#: Retention: a horizon at epoch 1 (as calib.prune_history(1) leaves it).
_PRUNED = "UPDATE calib.history_horizon SET earliest_epoch = 1"
#: Request ids: a mutating call, run after the prepare statement set calib.request_id.
_A_WRITE = "SELECT calib.register_collection('again', 'TAGGED')"


def _committed_request(role_sql: str) -> str:
    """A committed change (an epoch, as after its COMMIT) of request 'done', by ``role_sql``,
    whose one call was a tag; then this transaction carries the same id (and forgets the
    seed's change, as a new transaction would not have one)."""
    return ("INSERT INTO calib.change (epoch, committed_at, db_role, request_id, results)"
            f" VALUES (999999, now(), {role_sql}, 'done',"
            " '[{\"op\": \"tag\", \"result\": 0}]');"
            " SELECT set_config('calib.request_id', 'done', true),"
            " set_config('calib._change', '', true)")


CASES = [
    # -- the bound of every wait (calib._bound_waits) --------------------------------------
    c("calib.lock_timeout not a time", "SELECT calib.register_collection('waits', 'RUN')",
      "KC015", "lock_timeout_setting", prepare="SET LOCAL calib.lock_timeout = 'soon'",
      value="soon"),
    c("calib.lock_timeout negative", "SELECT calib.register_dataset_type('w', ARRAY['a'])",
      "KC015", "lock_timeout_setting", prepare="SET LOCAL calib.lock_timeout = '-1s'",
      value="-1s"),
    # -- names (calib._check_name) ---------------------------------------------------------
    c("register_collection NULL name", "SELECT calib.register_collection(NULL, 'RUN')",
      "KC015", "argument_null", what="collection name"),
    c("register_collection empty name", "SELECT calib.register_collection('', 'RUN')",
      "KC014", "name_length", what="collection name", length=0),
    c("register_collection 256 characters",
      f"SELECT calib.register_collection('{'x' * 256}', 'RUN')", "KC014", "name_length",
      length=256),
    c("register_collection control character",
      "SELECT calib.register_collection(E'a\\tb', 'RUN')", "KC014", "name_character",
      what="collection name"),
    c("register_collection C1 control character",
      "SELECT calib.register_collection(E'a\\u0085b', 'RUN')", "KC014",
      "name_character"),
    c("register_dataset_type empty name",
      "SELECT calib.register_dataset_type('', ARRAY['a'], true)", "KC014", "name_length",
      what="dataset type name"),
    c("register_dataset_type NULL name",
      "SELECT calib.register_dataset_type(NULL, ARRAY['a'], true)", "KC015", "argument_null",
      what="dataset type name"),
    c("register_dataset_type NULL dimension",
      "SELECT calib.register_dataset_type('t', ARRAY['a', NULL], true)", "KC015",
      "argument_null", what="dimension name"),
    c("register_dataset_type empty dimension",
      "SELECT calib.register_dataset_type('t', ARRAY[''], true)", "KC014", "name_length",
      what="dimension name"),
    c("register_dataset_type control character in a dimension",
      "SELECT calib.register_dataset_type('t', ARRAY[E'a\\nb'], true)", "KC014",
      "name_character", what="dimension name"),
    c("copy_collection empty destination", "SELECT calib.copy_collection('calib', '')",
      "KC014", "name_length", what="collection name"),
    c("copy_collection NULL destination", "SELECT calib.copy_collection('calib', NULL)",
      "KC015", "argument_null", what="collection name"),
    # -- register_collection ---------------------------------------------------------------
    c("register_collection unknown type", "SELECT calib.register_collection('x', 'BOGUS')",
      "KC015", "collection_type_unknown", type="BOGUS"),
    c("register_collection NULL type", "SELECT calib.register_collection('x', NULL)",
      "KC015", "collection_type_unknown", type=None),
    c("register_collection empty type", "SELECT calib.register_collection('x', '')",
      "KC015", "collection_type_unknown"),
    c("register_collection exists as another type",
      "SELECT calib.register_collection('run', 'tagged')", "KC010", "collection_exists_as",
      type="RUN", requested="TAGGED"),
    # -- one value type per dimension, limits and Unicode rules (revision 0010) ------------
    c("insert_datasets, an empty string value",
      """SELECT calib.insert_datasets('bias', 'run',
             ARRAY['{"instrument": "", "detector": 5}']::jsonb[])""", "KC008",
      "data_id_value_length", dimension="instrument", length=0),
    c("query_datasets, a where value over 255 characters",
      f"""SELECT * FROM calib.query_datasets('run', 'bias', '{{"instrument": "{'y' * 256}"}}')""",
      "KC008", "data_id_value_length", length=256),
    c("insert_datasets, a value with a control character",
      r"""SELECT calib.insert_datasets('bias', 'run',
              ARRAY['{"instrument": "a\u0001b", "detector": 5}']::jsonb[])""", "KC008",
      "data_id_value_character", dimension="instrument"),
    c("query_datasets, a where value with a bidi override",
      r"""SELECT * FROM calib.query_datasets('run', 'bias', '{"instrument": "a\u202eb"}')""",
      "KC008", "data_id_value_character"),
    c("insert_datasets, a string where the dimension holds integers",
      """SELECT calib.insert_datasets('bias', 'run',
             ARRAY['{"instrument": "Cam", "detector": "5"}']::jsonb[])""", "KC008",
      "data_id_value_type", dimension="detector", value_type="integer"),
    c("query_datasets, a where key that is not a dimension",
      """SELECT * FROM calib.query_datasets('run', 'bias', '{"detectr": 1}')""",
      "KC008", "data_id_dimensions", unexpected=["detectr"], missing=[]),
    c("query_datasets, a where value of the other type",
      """SELECT * FROM calib.query_datasets('run', 'bias', '{"detector": "1"}')""",
      "KC008", "data_id_value_type", dimension="detector"),
    c("a raw data_id row of the other type (the trigger)",
      """INSERT INTO calib.data_id (dataset_type_id, value)
         SELECT dataset_type_id, '{"instrument": "Cam", "detector": "9"}'
         FROM calib.dataset_type WHERE name = 'bias'""", "KC008", "data_id_value_type",
      dimension="detector"),
    c("insert_datasets, a data ID over 2,000 bytes",
      f"SELECT calib.insert_datasets('wide', 'run', ARRAY['{WIDE_DATA_ID}']::jsonb[])",
      "KC008", "data_id_size",
      prepare=f"SELECT calib.register_dataset_type('wide', ARRAY[{WIDE_DIMS}], true)"),
    c("register_dataset_type, 33 dimensions",
      f"SELECT calib.register_dataset_type('many', ARRAY[{MANY_DIMS}], true)", "KC015",
      "dimensions_count"),
    # -- the JSON-document and all-text forms (revision 0009: "Calling from another
    #    service"): their own conversions; tests/test_sql_documents.py compares them with the
    #    typed forms -------------------------------------------------------------------------
    c("tag, a list text that is neither JSON nor an array literal",
      "SELECT calib.tag('tagged'::text, '{oops'::text)", "KC016", "document_syntax",
      what="datasets"),
    c("insert_datasets, a data-ID list text that is not JSON",
      "SELECT calib.insert_datasets('bias'::text, 'run'::text, '[{oops'::text)", "KC016",
      "document_syntax", what="data_ids"),
    c("tag, a document that is not an array",
      "SELECT calib.tag('tagged', '{\"a\": 1}'::jsonb)", "KC016", "document_not_array",
      what="datasets"),
    c("tag, an element that is not a UUID",
      "SELECT calib.tag('tagged', '[\"not-a-uuid\"]'::jsonb)", "KC016", "document_element",
      what="datasets", position=1),
    c("set_chain, a child that is not a string",
      "SELECT calib.set_chain('chain', '[\"calib\", 7]'::jsonb)", "KC016", "document_element",
      position=2),
    c("certify_series, a begin that is not a time string",
      f"SELECT calib.certify_series('calib', '[\"{B1}\"]'::jsonb, '[7]'::jsonb)", "KC016",
      "document_element", position=1),
    c("find_many, a timespan that is not a string",
      f"SELECT * FROM calib.find_many('calib', 'bias', '[{D1}]'::jsonb, '[[1, 2]]'::jsonb)",
      "KC016", "document_element", position=1),
    c("certify, close_open neither true nor false",
      f"SELECT calib.certify('calib', '[\"{B1}\"]', '{SPAN}', 'perhaps')", "KC016",
      "argument_text"),
    c("close_open_range, an end without an offset",
      "SELECT calib.close_open_range('calib', 'bias', '2030-01-01 00:00')", "KC009",
      "time_naive"),
    c("close_open_range, an end that is not a time",
      "SELECT calib.close_open_range('calib', 'bias', 'tomorrow')", "KC009", "time_syntax"),
    c("certify, a timespan text that is not a range",
      f"SELECT calib.certify('calib', '[\"{B1}\"]', '2020-01-01Z')", "KC009",
      "timespan_syntax"),
    # -- register_dataset_type -------------------------------------------------------------
    c("register_dataset_type NULL dimensions",
      "SELECT calib.register_dataset_type('t', NULL::text[], true)", "KC015",
      "dataset_type_definition_null"),
    c("register_dataset_type NULL is_calibration",
      "SELECT calib.register_dataset_type('t', ARRAY['a'], NULL)", "KC015",
      "dataset_type_definition_null"),
    c("register_dataset_type repeated dimension",
      "SELECT calib.register_dataset_type('t', ARRAY['a', 'b', 'a'], true)", "KC015",
      "dimensions_repeated", dimensions=["a", "b", "a"]),
    c("register_dataset_type other dimensions",
      "SELECT calib.register_dataset_type('bias', ARRAY['instrument'], true)", "KC010",
      "dataset_type_exists_as", dimensions=["instrument", "detector"]),
    c("register_dataset_type same dimensions in another order",
      "SELECT calib.register_dataset_type('bias', ARRAY['detector', 'instrument'], true)",
      "KC010", "dataset_type_exists_as"),
    c("register_dataset_type other is_calibration",
      "SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'], false)",
      "KC010", "dataset_type_exists_as", is_calibration=True),
    # -- collections by name (calib._collection) -------------------------------------------
    c("certify NULL collection", f"SELECT calib.certify(NULL, ARRAY['{B1}']::uuid[], '{SPAN}')",
      "KC015", "argument_null", what="collection name"),
    c("certify unknown collection",
      f"SELECT calib.certify('nope', ARRAY['{B1}']::uuid[], '{SPAN}')", "KC002",
      "collection_missing", collection="nope"),
    c("certify into a RUN", f"SELECT calib.certify('run', ARRAY['{B1}']::uuid[], '{SPAN}')",
      "KC003", "collection_type", type="RUN", expected=["CALIBRATION"]),
    c("certify into a chain", f"SELECT calib.certify('chain', ARRAY['{B1}']::uuid[], '{SPAN}')",
      "KC003", "collection_type", type="CHAINED"),
    c("certify_series into a TAGGED",
      f"SELECT calib.certify_series('tagged', ARRAY['{B1}']::uuid[], ARRAY[NULL]::timestamptz[])",
      "KC003", "collection_type", type="TAGGED"),
    c("decertify in a RUN", f"SELECT calib.decertify('run', 'bias', '{SPAN}')", "KC003",
      "collection_type"),
    c("close_open_range in an unknown collection",
      "SELECT calib.close_open_range('nope', 'bias', '2021-01-01 00:00+00')", "KC002",
      "collection_missing"),
    c("insert_datasets into a CALIBRATION",
      f"SELECT calib.insert_datasets('bias', 'calib', ARRAY['{D1}']::jsonb[])", "KC003",
      "collection_type", expected=["RUN"]),
    c("insert_datasets into NULL",
      f"SELECT calib.insert_datasets('bias', NULL, ARRAY['{D1}']::jsonb[])", "KC015",
      "argument_null", what="collection name"),
    c("tag into a RUN", f"SELECT calib.tag('run', ARRAY['{B1}']::uuid[])", "KC003",
      "collection_type", expected=["TAGGED"]),
    c("untag in a CALIBRATION", f"SELECT calib.untag('calib', ARRAY['{B1}']::uuid[])", "KC003",
      "collection_type"),
    c("untag in an unknown collection", f"SELECT calib.untag('nope', ARRAY['{B1}']::uuid[])",
      "KC002", "collection_missing"),
    c("set_chain on a RUN", "SELECT calib.set_chain('run', ARRAY['calib'])", "KC003",
      "collection_type", expected=["CHAINED"]),
    c("get_chain of a CALIBRATION", "SELECT calib.get_chain('calib')", "KC003",
      "collection_type"),
    c("get_chain of NULL", "SELECT calib.get_chain(NULL)", "KC015", "argument_null"),
    c("remove_collection unknown", "SELECT calib.remove_collection('nope')", "KC002",
      "collection_missing"),
    c("remove_collection NULL", "SELECT calib.remove_collection(NULL)", "KC015",
      "argument_null", what="collection name"),
    c("copy_collection of a RUN", "SELECT calib.copy_collection('run', 'copy')", "KC003",
      "collection_type", expected=["TAGGED", "CALIBRATION", "CHAINED"]),
    c("copy_collection of an unknown source", "SELECT calib.copy_collection('nope', 'copy')",
      "KC002", "collection_missing"),
    c("query_datasets in a CALIBRATION", "SELECT * FROM calib.query_datasets('calib', 'bias')",
      "KC003", "collection_type"),
    c("query_datasets in an unknown collection",
      "SELECT * FROM calib.query_datasets('nope', 'bias')", "KC002", "collection_missing"),
    c("certifications of an unknown collection",
      "SELECT * FROM calib.certifications('nope')", "KC002", "collection_missing"),
    c("certifications of NULL", "SELECT * FROM calib.certifications(NULL)", "KC015",
      "argument_null"),
    c("find in an unknown collection",
      f"SELECT * FROM calib.find('nope', 'bias', '{D1}', '2020-06-01 00:00+00'::timestamptz)",
      "KC002", "collection_missing"),
    c("find_many in NULL",
      f"SELECT * FROM calib.find_many(NULL, 'bias', ARRAY['{D1}']::jsonb[],"
      " ARRAY['2020-06-01 00:00+00']::timestamptz[])", "KC015", "argument_null",
      what="collection name"),
    # -- dataset types by name (calib._dataset_type) ---------------------------------------
    c("insert_datasets unknown type",
      f"SELECT calib.insert_datasets('nope', 'run', ARRAY['{D1}']::jsonb[])", "KC005",
      "dataset_type_missing", dataset_type="nope"),
    c("insert_datasets NULL type",
      f"SELECT calib.insert_datasets(NULL, 'run', ARRAY['{D1}']::jsonb[])", "KC015",
      "argument_null", what="dataset type name"),
    c("decertify unknown type", f"SELECT calib.decertify('calib', 'nope', '{SPAN}')", "KC005",
      "dataset_type_missing"),
    c("decertify NULL type", f"SELECT calib.decertify('calib', NULL, '{SPAN}')", "KC015",
      "argument_null", what="dataset type name"),
    c("decertify a non-calibration type", f"SELECT calib.decertify('calib', 'raw', '{SPAN}')",
      "KC006", "not_calibration_type", dataset_type="raw"),
    c("close_open_range a non-calibration type",
      "SELECT calib.close_open_range('calib', 'raw', '2021-01-01 00:00+00')", "KC006",
      "not_calibration_type"),
    c("find unknown type",
      f"SELECT * FROM calib.find('calib', 'nope', '{D1}', '2020-06-01 00:00+00'::timestamptz)",
      "KC005", "dataset_type_missing"),
    c("query_datasets unknown type", "SELECT * FROM calib.query_datasets('run', 'nope')",
      "KC005", "dataset_type_missing"),
    c("certifications unknown type", "SELECT * FROM calib.certifications('calib', 'nope')",
      "KC005", "dataset_type_missing"),
    # -- data IDs (calib._canonical_data_ids, _lookup) -------------------------------------
    c("insert_datasets NULL data IDs",
      "SELECT calib.insert_datasets('bias', 'run', NULL)", "KC015", "argument_null",
      what="data IDs"),
    c("insert_datasets a NULL data ID",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY[NULL]::jsonb[])", "KC008",
      "data_id_null", data_id=None),
    c("insert_datasets an array as data ID",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY['[1, 2]']::jsonb[])", "KC008",
      "data_id_not_object", data_id=[1, 2]),
    c("insert_datasets a string as data ID",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY['\"Cam\"']::jsonb[])", "KC008",
      "data_id_not_object"),
    c("insert_datasets a JSON null as data ID",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY['null']::jsonb[])", "KC008",
      "data_id_not_object"),
    c("insert_datasets a missing dimension",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY['{\"instrument\": \"Cam\"}']::jsonb[])",
      "KC008", "data_id_dimensions", missing=["detector"], unexpected=[]),
    c("insert_datasets an extra dimension",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": \"Cam\", \"detector\": 1, \"x\": 1}']::jsonb[])",
      "KC008", "data_id_dimensions", missing=[], unexpected=["x"]),
    c("insert_datasets an empty object",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY['{}']::jsonb[])",
      "KC008", "data_id_dimensions", missing=["detector", "instrument"]),
    c("insert_datasets a fraction",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": \"Cam\", \"detector\": 1.5}']::jsonb[])", "KC008", "data_id_value"),
    c("insert_datasets a boolean value",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": \"Cam\", \"detector\": true}']::jsonb[])", "KC008", "data_id_value"),
    c("insert_datasets a null value",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": null, \"detector\": 1}']::jsonb[])", "KC008", "data_id_value"),
    c("insert_datasets a nested object",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": {\"a\": 1}, \"detector\": 1}']::jsonb[])", "KC008", "data_id_value"),
    c("insert_datasets beyond 64 bits",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": \"Cam\", \"detector\": 9223372036854775808}']::jsonb[])", "KC008",
      "data_id_value"),
    c("insert_datasets the first bad data ID is named",
      "SELECT calib.insert_datasets('bias', 'run', ARRAY["
      "'{\"instrument\": \"Cam\", \"detector\": 7}', '[3]', '{}']::jsonb[])", "KC008",
      "data_id_not_object", data_id=[3]),
    c("decertify a bad data ID",
      f"SELECT calib.decertify('calib', 'bias', '{SPAN}', ARRAY['{{\"detector\": 1}}']::jsonb[])",
      "KC008", "data_id_dimensions"),
    c("close_open_range a non-object data ID",
      "SELECT calib.close_open_range('calib', 'bias', '2021-01-01 00:00+00',"
      " ARRAY['1']::jsonb[])", "KC008", "data_id_not_object"),
    c("find a bad data ID",
      "SELECT * FROM calib.find('calib', 'bias', '{\"detector\": 1.5, \"instrument\": \"Cam\"}',"
      " '2020-06-01 00:00+00'::timestamptz)", "KC008", "data_id_value"),
    c("find a NULL data ID",
      "SELECT * FROM calib.find('calib', 'bias', NULL, '2020-06-01 00:00+00'::timestamptz)",
      "KC008", "data_id_null"),
    c("find_many NULL data IDs",
      "SELECT * FROM calib.find_many('calib', 'bias', NULL,"
      " ARRAY['2020-06-01 00:00+00']::timestamptz[])", "KC015", "argument_null",
      what="data IDs"),
    c("find_many fewer times than data IDs",
      f"SELECT * FROM calib.find_many('calib', 'bias', ARRAY['{D1}', '{D1}']::jsonb[],"
      " ARRAY['2020-06-01 00:00+00']::timestamptz[])", "KC015", "lookup_times_count",
      collection="calib"),
    c("find_many NULL times",
      f"SELECT * FROM calib.find_many('calib', 'bias', ARRAY['{D1}']::jsonb[],"
      " NULL::timestamptz[])", "KC015", "lookup_times_count"),
    c("find_many timespans of another length",
      f"SELECT * FROM calib.find_many('calib', 'bias', ARRAY['{D1}']::jsonb[],"
      " ARRAY[]::tstzrange[])", "KC015", "lookup_times_count"),
    c("find_many a bad data ID among good ones",
      f"SELECT * FROM calib.find_many('calib', 'bias', ARRAY['{D1}', '[1]']::jsonb[],"
      " ARRAY['2020-06-01 00:00+00', '2020-06-01 00:00+00']::timestamptz[])", "KC008",
      "data_id_not_object"),
    # -- timespans (calib._timespan) -------------------------------------------------------
    c("certify NULL timespan", f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], NULL)",
      "KC015", "argument_null", what="timespan"),
    c("certify empty timespan",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], 'empty')", "KC009",
      "timespan_empty"),
    c("certify a span that is empty once normalised",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[],"
      " '[2020-01-01 00:00+00,2020-01-01 00:00+00)')", "KC009", "timespan_empty"),
    c("certify (] bounds",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[],"
      " tstzrange('2010-01-01 00:00+00', '2011-01-01 00:00+00', '(]'))", "KC009",
      "timespan_bounds", bounds="(]"),
    c("certify [] bounds",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[],"
      " tstzrange('2010-01-01 00:00+00', '2011-01-01 00:00+00', '[]'))", "KC009",
      "timespan_bounds", bounds="[]"),
    c("certify begins at +infinity",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[infinity,)')", "KC009",
      "timespan_reversed"),
    c("certify ends at -infinity",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '(,-infinity)')", "KC009",
      "timespan_reversed"),
    c("certify [infinity, infinity]",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[infinity,infinity]')",
      "KC009", "timespan_reversed"),
    c("certify [-infinity, -infinity]",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[-infinity,-infinity]')",
      "KC009", "timespan_bounds", bounds="[]"),
    c("decertify NULL timespan", "SELECT calib.decertify('calib', 'bias', NULL)", "KC015",
      "argument_null", what="timespan"),
    c("decertify (] bounds",
      "SELECT calib.decertify('calib', 'bias',"
      " tstzrange('2010-01-01 00:00+00', '2011-01-01 00:00+00', '(]'))", "KC009",
      "timespan_bounds"),
    c("find over an empty timespan",
      f"SELECT * FROM calib.find('calib', 'bias', '{D1}', 'empty'::tstzrange)", "KC009",
      "timespan_empty"),
    c("find_many over a (] timespan",
      f"SELECT * FROM calib.find_many('calib', 'bias', ARRAY['{D1}']::jsonb[],"
      " ARRAY[tstzrange('2010-01-01 00:00+00', '2011-01-01 00:00+00', '(]')])", "KC009",
      "timespan_bounds"),
    # -- datasets by id (calib._resolve_datasets) ------------------------------------------
    c("certify NULL datasets", f"SELECT calib.certify('calib', NULL, '{SPAN}')", "KC015",
      "datasets_null"),
    c("certify a NULL dataset",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}', NULL]::uuid[], '{SPAN}')", "KC015",
      "datasets_null"),
    c("certify an unknown dataset",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}', '{UNKNOWN}']::uuid[], '{SPAN}')",
      "KC007", "dataset_missing", dataset=UNKNOWN),
    c("tag NULL datasets", "SELECT calib.tag('tagged', NULL)", "KC015", "datasets_null"),
    c("tag an unknown dataset", f"SELECT calib.tag('tagged', ARRAY['{UNKNOWN}']::uuid[])",
      "KC007", "dataset_missing"),
    c("untag a NULL dataset", "SELECT calib.untag('tagged', ARRAY[NULL]::uuid[])", "KC015",
      "datasets_null"),
    c("untag an unknown dataset", f"SELECT calib.untag('tagged', ARRAY['{UNKNOWN}']::uuid[])",
      "KC007", "dataset_missing"),
    c("get_datasets NULL", "SELECT * FROM calib.get_datasets(NULL)", "KC015", "datasets_null"),
    c("get_datasets an unknown id",
      f"SELECT * FROM calib.get_datasets(ARRAY['{B1}', '{UNKNOWN}']::uuid[])", "KC007",
      "dataset_missing", dataset=UNKNOWN),
    c("certify_series NULL dataset",
      "SELECT calib.certify_series('calib', ARRAY[NULL]::uuid[], ARRAY[NULL]::timestamptz[])",
      "KC015", "datasets_null"),
    # -- certify, certify_series (calib._certify_rows) -------------------------------------
    c("certify a non-calibration dataset",
      f"SELECT calib.certify('calib', ARRAY['{RAW}']::uuid[], '{SPAN}')", "KC006",
      "not_calibration_certify", dataset_type="raw", collection="calib"),
    c("certify_series a non-calibration dataset",
      f"SELECT calib.certify_series('calib', ARRAY['{RAW}']::uuid[],"
      " ARRAY['2010-01-01 00:00+00']::timestamptz[])", "KC006", "not_calibration_certify"),
    c("certify over a stored certification",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '{SPAN}')", "KC001",
      "certification_conflict"),
    c("certify two datasets of one key",
      f"SELECT calib.certify('calib', ARRAY['{B1}', '{B1_RUN2}']::uuid[],"
      " '[2010-01-01 00:00+00,2011-01-01 00:00+00)')", "KC001", "certification_conflict"),
    c("certify close_open does not close an open range beginning later",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[2019-01-01 00:00+00,)',"
      " true)", "KC001", "certification_conflict"),
    c("certify_series two begins of one key",
      f"SELECT calib.certify_series('calib', ARRAY['{B1}', '{B1_RUN2}']::uuid[],"
      " ARRAY['2010-01-01 00:00+00', '2010-01-01 00:00+00']::timestamptz[])", "KC001",
      "series_duplicate_begin"),
    c("certify_series two unbounded begins of one key",
      f"SELECT calib.certify_series('calib', ARRAY['{B1}', '{B1_RUN2}']::uuid[],"
      " ARRAY[NULL, '-infinity']::timestamptz[])", "KC001", "series_duplicate_begin"),
    c("certify_series fewer begins",
      f"SELECT calib.certify_series('calib', ARRAY['{B1}', '{B2}']::uuid[],"
      " ARRAY['2010-01-01 00:00+00']::timestamptz[])", "KC015", "series_begins_count",
      n_datasets=2, n_begins=1),
    c("certify_series NULL begins",
      f"SELECT calib.certify_series('calib', ARRAY['{B1}']::uuid[], NULL)", "KC015",
      "series_begins_count"),
    c("certify_series NULL datasets",
      "SELECT calib.certify_series('calib', NULL, ARRAY['2010-01-01 00:00+00']::timestamptz[])",
      "KC015", "series_begins_count"),
    c("certify_series a begin of +infinity",
      f"SELECT calib.certify_series('calib', ARRAY['{B1_RUN2}']::uuid[],"
      " ARRAY['infinity']::timestamptz[])", "KC009", "series_infinite_begin"),
    # -- close_open_range ------------------------------------------------------------------
    c("close_open_range NULL end", "SELECT calib.close_open_range('calib', 'bias', NULL)",
      "KC009", "close_open_range_end", end=None),
    c("close_open_range infinite end",
      "SELECT calib.close_open_range('calib', 'bias', 'infinity')", "KC009",
      "close_open_range_end", end="infinity"),
    c("close_open_range -infinite end",
      "SELECT calib.close_open_range('calib', 'bias', '-infinity')", "KC009",
      "close_open_range_end"),
    c("close_open_range before an open range begins",
      "SELECT calib.close_open_range('calib', 'bias', '2021-01-01 00:00+00')", "KC009",
      "close_open_range_begins_after", dataset=B2),
    c("close_open_range at an open range's begin",
      "SELECT calib.close_open_range('calib', 'bias', '2022-01-01 00:00+00')", "KC009",
      "close_open_range_begins_after"),
    # -- insert_datasets -------------------------------------------------------------------
    c("insert_datasets fewer ids",
      f"SELECT calib.insert_datasets('bias', 'run2', ARRAY['{{\"instrument\": \"Cam\","
      " \"detector\": 5}', '{\"instrument\": \"Cam\", \"detector\": 6}']::jsonb[],"
      f" ARRAY['{UNKNOWN}']::uuid[])", "KC015", "ids_count", n_ids=1, n_data_ids=2),
    c("insert_datasets a NULL id",
      "SELECT calib.insert_datasets('bias', 'run2', ARRAY['{\"instrument\": \"Cam\","
      " \"detector\": 5}']::jsonb[], ARRAY[NULL]::uuid[])", "KC015", "ids_count"),
    c("insert_datasets a data ID twice",
      f"SELECT calib.insert_datasets('bias', 'empty-run', ARRAY['{D1}', '{D1}']::jsonb[])",
      "KC010", "data_id_repeated", collection="empty-run"),
    c("insert_datasets a data ID twice once canonical",
      f"SELECT calib.insert_datasets('bias', 'empty-run', ARRAY['{D1}',"
      " '{\"instrument\": \"Cam\", \"detector\": 1.0}']::jsonb[])", "KC010", "data_id_repeated"),
    c("insert_datasets an id twice",
      "SELECT calib.insert_datasets('bias', 'empty-run', ARRAY['{\"instrument\": \"Cam\","
      " \"detector\": 5}', '{\"instrument\": \"Cam\", \"detector\": 6}']::jsonb[],"
      f" ARRAY['{UNKNOWN}', '{UNKNOWN}']::uuid[])", "KC010", "dataset_id_repeated",
      dataset=UNKNOWN),
    c("insert_datasets an id already used",
      "SELECT calib.insert_datasets('bias', 'empty-run', ARRAY['{\"instrument\": \"Cam\","
      f" \"detector\": 5}}']::jsonb[], ARRAY['{B1}']::uuid[])", "KC010", "dataset_id_exists",
      dataset=B1),
    c("insert_datasets a data ID the RUN has",
      f"SELECT calib.insert_datasets('bias', 'run', ARRAY['{D1}']::jsonb[])", "KC010",
      "run_data_id_exists", collection="run"),
    # -- tag -------------------------------------------------------------------------------
    c("tag a second dataset of a tagged key",
      f"SELECT calib.tag('tagged', ARRAY['{B1_RUN2}']::uuid[])", "KC010", "tag_clash",
      dataset=B1_RUN2, conflicting_dataset=B1),
    c("tag two datasets of one key in one call",
      f"SELECT calib.tag('tagged', ARRAY['{B1}', '{B1_RUN2}']::uuid[])", "KC010", "tag_clash",
      prepare=f"SELECT calib.untag('tagged', ARRAY['{B1}']::uuid[])"),
    # -- chains ----------------------------------------------------------------------------
    c("set_chain NULL children", "SELECT calib.set_chain('chain', NULL)", "KC015",
      "chain_children_null", collection="chain"),
    c("set_chain a NULL child", "SELECT calib.set_chain('chain', ARRAY['run', NULL])",
      "KC015", "chain_children_null"),
    c("set_chain an unknown child", "SELECT calib.set_chain('chain', ARRAY['run', 'nope'])",
      "KC002", "chain_child_missing", collection="nope", parent="chain"),
    c("set_chain itself", "SELECT calib.set_chain('chain', ARRAY['chain'])", "KC004",
      "chain_cycle", child="chain"),
    c("set_chain a chain above it", "SELECT calib.set_chain('chain', ARRAY['run', 'chain2'])",
      "KC004", "chain_cycle", child="chain2"),
    c("a raw chain row making a cycle",
      "INSERT INTO calib.collection_chain (parent_id, position, child_id)"
      " SELECT p.collection_id, 9, k.collection_id FROM calib.collection AS p,"
      " calib.collection AS k WHERE p.name = 'chain' AND k.name = 'chain2'", "KC004",
      "chain_cycle"),
    # -- remove_collection, copy_collection ------------------------------------------------
    c("remove_collection a chain's child", "SELECT calib.remove_collection('calib')", "KC013",
      "collection_in_chain", parent="chain"),
    c("remove_collection a RUN with datasets", "SELECT calib.remove_collection('run2')",
      "KC013", "run_has_datasets"),
    c("copy_collection onto an existing name", "SELECT calib.copy_collection('calib', 'run')",
      "KC010", "collection_exists", collection="run"),
    # -- lookups ---------------------------------------------------------------------------
    c("find over a span covering two certifications (no overlap constraint)",
      f"SELECT * FROM calib.find('calib', 'bias', '{D1}',"
      " '[2010-01-01 00:00+00,2030-01-01 00:00+00)'::tstzrange)", "KC011",
      "lookup_ambiguous_during", prepare=(
          "SELECT calib.close_open_range('calib', 'bias', '2021-06-01 00:00+00',"
          f" ARRAY['{D1}']::jsonb[]);"
          f" SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[],"
          " '[2025-01-01 00:00+00,)')")),
    c("find_many ambiguous over a span",
      f"SELECT * FROM calib.find_many('chain', 'bias', ARRAY['{D1}', '{D1}']::jsonb[],"
      " ARRAY['[2010-01-01 00:00+00,2011-01-01 00:00+00)',"
      " '[2010-01-01 00:00+00,2030-01-01 00:00+00)']::tstzrange[])", "KC011",
      "lookup_ambiguous_during", collection="calib", searched="chain", prepare=(
          "SELECT calib.close_open_range('calib', 'bias', '2021-06-01 00:00+00',"
          f" ARRAY['{D1}']::jsonb[]);"
          f" SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[],"
          " '[2025-01-01 00:00+00,)')")),
    # An instant lies in at most one certification of a key while the exclusion constraint
    # holds: the owner drops it (in this rolled-back transaction) to reach the branch.
    c("find at an instant in two certifications (constraint dropped)",
      f"SELECT * FROM calib.find('calib', 'bias', '{D1}', '2020-06-01 00:00+00'::timestamptz)",
      "KC011", "lookup_ambiguous_at", at="2020-06-01T00:00:00.000000+00:00", prepare=(
          "ALTER TABLE calib.certification DROP CONSTRAINT certification_no_overlap;"
          " INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key,"
          " dataset_id, validity) SELECT c.collection_id, d.dataset_type_id, d.data_id_key,"
          f" d.dataset_id, '[2020-03-01 00:00+00,)' FROM calib.collection AS c,"
          f" calib.dataset AS d WHERE c.name = 'calib' AND d.dataset_id = '{B1_RUN2}'")),
    # -- collection states and writers (revision 0012) --------------------------------------
    c("set_collection_state NULL state", "SELECT calib.set_collection_state('calib', NULL)",
      "KC015", "argument_null", what="collection state"),
    c("set_collection_state unknown state",
      "SELECT calib.set_collection_state('calib', 'CLOSED')", "KC015",
      "collection_state_unknown", state="CLOSED", collection="calib"),
    c("set_collection_writers empty list",
      "SELECT calib.set_collection_writers('calib', ARRAY[]::text[])", "KC015",
      "writers_invalid", collection="calib"),
    c("set_collection_writers NULL role",
      "SELECT calib.set_collection_writers('calib', ARRAY[NULL]::text[])", "KC015",
      "writers_invalid", collection="calib"),
    c("set_collection_writers unknown role",
      "SELECT calib.set_collection_writers('calib', ARRAY['calib_reader', 'no such role'])",
      "KC015", "role_missing", role="no such role", collection="calib"),
    c("certify into a FROZEN collection",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[2030-01-01 00:00+00,)')",
      "KC018", "collection_frozen", collection="calib", operation="certify",
      prepare="SELECT calib.set_collection_state('calib', 'FROZEN')"),
    c("raw insert into a FROZEN collection (trigger)",
      "INSERT INTO calib.tag (collection_id, dataset_type_id, data_id_key, dataset_id)"
      " SELECT c.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id"
      f" FROM calib.collection AS c, calib.dataset AS d WHERE c.name = 'tagged'"
      f" AND d.dataset_id = '{B2}'", "KC018", "collection_frozen", collection="tagged",
      operation="insert on table calib.tag",
      prepare="SELECT calib.set_collection_state('tagged', 'FROZEN')"),
    c("decertify an APPEND_ONLY collection",
      f"SELECT calib.decertify('calib', 'bias', '{SPAN}')", "KC018",
      "collection_append_only", collection="calib", operation="decertify",
      prepare="SELECT calib.set_collection_state('calib', 'APPEND_ONLY')"),
    c("certify before the latest begin in an APPEND_ONLY collection",
      f"SELECT calib.certify_series('calib', ARRAY['{B1_RUN2}']::uuid[],"
      " ARRAY['2019-01-01 00:00+00']::timestamptz[])", "KC018", "append_only_begin",
      collection="calib", operation="certify_series", dataset_type="bias",
      begin="2019-01-01T00:00:00.000000+00:00", latest="2020-01-01T00:00:00.000000+00:00",
      prepare="SELECT calib.set_collection_state('calib', 'APPEND_ONLY')"),
    c("certify by a role that is not a writer",
      f"SELECT calib.certify('calib', ARRAY['{B1_RUN2}']::uuid[], '[2030-01-01 00:00+00,)')",
      "KC017", "access_denied", collection="calib", role="calibcert_vw_other",
      writers=["calibcert_vw_writer"], operation="certify", prepare=(
          "CREATE ROLE calibcert_vw_writer NOLOGIN;"
          " CREATE ROLE calibcert_vw_other NOLOGIN IN ROLE calib_writer;"
          " SELECT calib.set_collection_writers('calib', ARRAY['calibcert_vw_writer']);"
          " SET LOCAL ROLE calibcert_vw_other")),
    # -- history (revision 0014): epochs and names as of an epoch ---------------------------
    c("find as_of beyond the current epoch",
      "SELECT * FROM calib.find('calib', 'bias', '" + D1 + "'::jsonb,"
      " '2020-06-01 00:00+00'::timestamptz, 999999999)",
      "KC015", "as_of_range", as_of=999999999),
    c("certifications as_of negative", "SELECT * FROM calib.certifications('calib', NULL, -1)",
      "KC015", "as_of_range", as_of=-1),
    c("find as_of text not an epoch",
      "SELECT * FROM calib.find('calib', 'bias', '" + D1 + "', '2020-06-01 00:00+00', 'soon')",
      "KC015", "epoch_text", what="as_of", value="soon"),
    c("get_chain as of epoch 0", "SELECT calib.get_chain('chain', 0)",
      "KC002", "collection_missing_as_of", collection="chain", as_of=0),
    c("history of a name never used", "SELECT * FROM calib.history('nowhere')",
      "KC002", "collection_never", collection="nowhere"),
    c("history of a data ID without its type",
      "SELECT * FROM calib.history('calib', NULL, '" + D1 + "'::jsonb)",
      "KC015", "history_data_id_type", collection="calib"),
    # -- retention and request ids (issue 16, items 8 and 11) ------------------------------
    c("prune_history NULL", "SELECT calib.prune_history(NULL)",
      "KC015", "argument_null", what="before"),
    c("prune_history beyond the current epoch", "SELECT calib.prune_history(999999999)",
      "KC015", "prune_range", before=999999999),
    c("as_of below the history horizon",
      "SELECT * FROM calib.certifications('calib', NULL, 0)",
      "KC015", "as_of_pruned", prepare=_PRUNED, as_of=0, earliest=1),
    c("history since below the history horizon",
      "SELECT * FROM calib.history('calib', NULL, NULL, 0)",
      "KC015", "as_of_pruned", prepare=_PRUNED, as_of=0, earliest=1),
    c("request id too long", _A_WRITE, "KC015", "request_id_invalid",
      prepare="SELECT set_config('calib.request_id', repeat('x', 201), true)", length=201),
    c("request id set after the first change", _A_WRITE, "KC015", "request_id_late",
      prepare="SELECT calib.register_collection('late', 'TAGGED');"
              " SELECT set_config('calib.request_id', 'late', true)", request_id="late"),
    c("request id of another role's change", _A_WRITE, "KC015", "request_id_foreign",
      prepare=_committed_request("'someone_else'"), request_id="done"),
    c("request id retried with another call", _A_WRITE, "KC015", "request_id_mismatch",
      prepare=_committed_request("session_user"), request_id="done", call=1,
      recorded="tag", operation="register_collection"),
    # snapshots (revision 0014): made by hand (a snapshot reads what is committed, and these
    # cases run in a transaction at epoch 0), then asked to thaw
    c("a snapshot stays FROZEN", "SELECT calib.set_collection_state('snap', 'open')",
      "KC018", "snapshot_frozen",
      prepare="INSERT INTO calib.collection (name, type, state) VALUES ('snap', 'CALIBRATION',"
              " 'FROZEN'); INSERT INTO calib.snapshot (collection_id, source_id, epoch)"
              " SELECT s.collection_id, c.collection_id, 0 FROM calib.collection AS s,"
              " calib.collection AS c WHERE s.name = 'snap' AND c.name = 'calib'",
      collection="snap", state="OPEN"),
    c("snapshot_collection with an epoch that is not one",
      "SELECT calib.snapshot_collection('calib', 'snap', 'last week')",
      "KC015", "epoch_text", what="as_of", value="last week"),
    c("revert of an epoch that is no change", "SELECT * FROM calib.revert(99)",
      "KC015", "revert_epoch_missing", epoch=99, current=0),
    c("revert with a NULL epoch", "SELECT * FROM calib.revert(NULL, true)",
      "KC015", "argument_null", what="epoch"),
]


@pytest.fixture
def owner(pg_registry) -> Iterator[psycopg.Connection]:
    """The table owner's connection inside pg_registry's rolled-back transaction, seeded."""
    conn = pg_registry.connection
    conn.execute(SEED)
    yield conn


def error_of(conn: psycopg.Connection, case: Case) -> psycopg.Error:
    conn.execute("SAVEPOINT bad_input")
    try:
        if case.prepare:
            conn.execute(case.prepare)
        with pytest.raises(psycopg.Error) as info:
            conn.execute(case.sql)
    finally:
        conn.execute("ROLLBACK TO SAVEPOINT bad_input")
    return info.value


def test_cases_are_named_once_and_kinds_exist() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert KINDS[case.kind][0] == case.code, case.id


def test_bad_input_raises_the_precise_error(owner: psycopg.Connection) -> None:
    # One test over every case (one seed, a savepoint each): failures name their case.
    failures = []
    for case in CASES:
        exc = error_of(owner, case)
        detail = json.loads(exc.diag.message_detail or "{}")
        got = (exc.diag.sqlstate, detail.get("kind"))
        facts = {k: detail.get(k, "<missing>") for k in case.detail}
        if got != (case.code, case.kind) or facts != case.detail:
            failures.append(f"{case.id}: got {got} {facts} ({exc.diag.message_primary}),"
                            f" want {(case.code, case.kind)} {case.detail}")
        # What psql prints (revision 0011): the message starts with the SQLSTATE
        # (tests/test_psql_errors.py checks the CONTEXT, in fresh psql sessions).
        elif case.code.startswith("KC") and not (
                exc.diag.message_primary or "").startswith(f"{case.code}: "):
            failures.append(f"{case.id}: psql would print {exc.diag.message_primary!r}")
    assert not failures, "\n".join(failures)


# -- every branch reached ----------------------------------------------------------------

#: kinds raised in sql/functions/ that no case here reaches, and why (and where they are
#: tested instead).
UNREACHED = {
    "prune_snapshot": (
        "needs a committed snapshot older than the committed epoch pruned before: "
        "tests/test_behaviour_retention.py (test_prune_keeps_what_snapshots_read)"),
    "request_id_snapshot": (
        "only when another transaction commits the same request id after a REPEATABLE READ "
        "caller's snapshot: tests/test_pg_retention.py "
        "(test_a_snapshot_that_cannot_see_the_holder_commit_is_a_conflict, two sessions)"),
    "lock_timeout": (
        "only when a wait for another open transaction runs out: tests/test_pg_waits.py, one "
        "case per wait (two real sessions)"),
    "collection_removed_concurrently": (
        "only when a collection is removed by a transaction that commits while the caller "
        "waits for its row lock: tests/test_pg_concurrency.py "
        "(test_a_writer_that_waited_for_a_removal_reports_the_missing_collection)"),
    # revert (revision 0014): a conflict needs a change committed after the reverted one;
    # these cases run in one rolled-back transaction, which is one change.
    **{kind: ("needs a later committed change: tests/test_pg_revert.py, one test per kind"
              " (real commits)")
       for kind in ("revert_row_changed", "revert_in_use", "revert_occupied",
                    "revert_target_removed", "revert_chain_cycle", "revert_overlap")},
    "revert_dry_run": (
        "never leaves calib.revert: the signal that rolls a dry run back, caught there;"
        " tests/test_pg_revert.py (test_dry_run_returns_the_same_rows_and_changes_nothing)"),
    "certification_conflict_concurrent": (
        "only when the exclusion constraint refuses an insert but the conflict query, run "
        "right after in the same transaction, finds no overlapping row: impossible while "
        "writers hold the collection lock; a defensive branch"),
    # The references of certification_version to calib.change (revision 0017): raw SQL
    # on the history tables and racing sessions.
    **{kind: ("raw SQL on the history tables, committed changes and racing sessions: "
              "tests/test_pg_change_refs.py")
       for kind in ("version_change_missing", "change_referenced", "change_delete_isolation")},
    "snapshot_member_removed": (
        "only for a snapshot of a chain as of a committed epoch whose member is removed "
        "later: tests/test_pg_snapshots.py (test_copying_a_snapshot_and_listing_its_datasets)"),
}


def _matching_paren(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes skipped)."""
    depth, i, quoted = 0, start, False
    while i < len(text):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise AssertionError(f"unbalanced parentheses after {text[start:start + 60]!r}")


def raise_sites() -> dict[str, set[str]]:
    """kind -> files of sql/functions/ raising it, from every calib._raise(...) call."""
    sites: dict[str, set[str]] = {}
    for path in sorted(SQL_FUNCTIONS.glob("*.sql")):
        if path.name == "_raise.sql":
            continue  # the definition itself
        text = path.read_text()
        for m in re.finditer(r"calib\._raise\s*\(", text):
            call = text[m.end() - 1:_matching_paren(text, m.end() - 1) + 1]
            kind = re.search(r"'kind',\s*(?:'(\w+)'|CASE(.*?)\bEND\b)", call, re.S)
            assert kind, f"{path.name}: a calib._raise without a kind: {call[:80]}"
            kinds = [kind.group(1)] if kind.group(1) else re.findall(r"'(\w+)'", kind.group(2))
            assert kinds, f"{path.name}: {call[:80]}"
            for k in kinds:
                sites.setdefault(k, set()).add(path.name)
    return sites


def test_every_raise_branch_is_reached() -> None:
    sites = raise_sites()
    assert len(sites) >= 40, sorted(sites)
    reached = {case.kind for case in CASES}
    missing = {k: sorted(f) for k, f in sites.items() if k not in reached and k not in UNREACHED}
    assert not missing, missing
    assert not set(UNREACHED) & reached
    assert set(UNREACHED) <= set(sites)
    assert reached <= set(sites), reached - set(sites)


# -- the SQLite twins, behind the Python layer -------------------------------------------


def _sqlite_kind(call) -> tuple[str, str | None, dict[str, Any]]:
    with pytest.raises(CalibCertError) as info:
        call()
    return info.value.sqlstate, info.value.details.get("kind"), info.value.details


def test_sqlite_twins_of_checks_the_python_layer_stops_first(sqlite_registry) -> None:
    """Inputs the public API refuses before any backend runs (a None name, begins of
    another length, a repeated dimension...), given straight to the SQLite backend's
    methods: where it has the SQL function's check, it raises the same code and kind."""
    reg = sqlite_registry
    for name, kind in (("run", "RUN"), ("calib", "CALIBRATION"), ("tagged", "TAGGED")):
        reg.register_collection(name, kind)
    reg.register_dataset_type("bias", ("instrument", "detector"))
    (ref,) = reg.insert_datasets("bias", "run", [{"instrument": "Cam", "detector": 1}])
    span = Timespan(datetime(2020, 1, 1, tzinfo=timezone.utc), None)
    cases = [
        (lambda: reg._certify(None, [ref.id], span, False), "KC015", "argument_null",
         {"what": "collection name"}),
        (lambda: reg._certify_series(None, [ref.id], [None], False), "KC015", "argument_null",
         {"what": "collection name"}),
        (lambda: reg._decertify("calib", None, span, None), "KC015", "argument_null",
         {"what": "dataset type name"}),
        (lambda: reg._close_open_range("calib", None, datetime(2021, 1, 1,
                                                                tzinfo=timezone.utc), None),
         "KC015", "argument_null", {"what": "dataset type name"}),
        (lambda: reg._insert_datasets("bias", None, [{"instrument": "Cam", "detector": 2}],
                                      None), "KC015", "argument_null",
         {"what": "collection name"}),
        (lambda: reg._certify_series("calib", [ref.id], [], False), "KC015",
         "series_begins_count", {"n_datasets": 1, "n_begins": 0}),
        (lambda: reg._certify_series("calib", [], [None], False), "KC015",
         "series_begins_count", {"n_datasets": 0, "n_begins": 1}),
        (lambda: reg._insert_datasets("bias", "run", [{"instrument": "Cam"}], None), "KC008",
         "data_id_dimensions", {"missing": ["detector"], "unexpected": []}),
        (lambda: reg._insert_datasets(
            "bias", "run", [{"instrument": "Cam", "detector": 7}] * 2, None),
         "KC010", "data_id_repeated", {}),
        (lambda: reg._insert_datasets(
            "bias", "run", [{"instrument": "Cam", "detector": 7},
                            {"instrument": "Cam", "detector": 8}], [ref.id, uuid.uuid4()]),
         "KC010", "dataset_id_exists", {"dataset": ref.id}),
        (lambda: reg._set_chain("calib", ["run"]), "KC003", "collection_type", {}),
        (lambda: reg._get_chain(None), "KC015", "argument_null", {"what": "collection name"}),
        (lambda: reg._tag("tagged", [uuid.UUID(UNKNOWN)]), "KC007", "dataset_missing", {}),
    ]
    failures = []
    for i, (call, code, kind, facts) in enumerate(cases):
        got_code, got_kind, details = _sqlite_kind(call)
        got_facts = {k: details.get(k, "<missing>") for k in facts}
        if (got_code, got_kind, got_facts) != (code, kind, facts):
            failures.append(f"case {i}: got {got_code} {got_kind} {got_facts},"
                            f" want {code} {kind} {facts}")
    assert not failures, "\n".join(failures)
