"""A hostile caller of calibcert's SQL functions (tests/test_security.py).

PostgreSQL's rule for SECURITY DEFINER functions: whatever a function resolves through its
search_path, a caller can plant. calibcert pins ``search_path = pg_catalog, pg_temp`` on
every function, so built-in names resolve in pg_catalog and the caller's temporary schema
comes last (unnamed, it would be searched *first* for types and tables). This module plays
the caller who tries anyway:

* :func:`plant` fills the caller's ``pg_temp`` and ``public`` with *shadows*: domains with
  the names of every type the functions use, functions, aggregates and operators with the
  names of every built-in their bodies call, and tables / views with the names of calib's
  tables. Each shadow, if PostgreSQL ever runs it, calls a *spy* that raises a NOTICE
  starting with :data:`MARK`, naming the shadow and the role it ran as, and tries to make
  the caller a superuser and a member of calib_owner.
* :data:`CALLS` holds, for every public function, calls that work and calls that fail, each
  written with pg_catalog-qualified casts so that the caller's own statement never touches
  a shadow (only a function that resolves a name through a hijackable path can).
* :func:`run_calls` runs them one by one in a rolled-back transaction and records each
  outcome (rows, or SQLSTATE with message and detail) and every spy notice.

A function is safe when, with the shadows in place and the caller's search_path putting
them first, every call gives exactly the outcome it gives a clean session, no spy notice
arrives, and the caller's role is unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

MARK = "calibcert-hostile"
SCHEMAS = ("pg_temp", "public")
#: The caller's path while calling: every shadow first, pg_catalog named last.
HOSTILE_PATH = "pg_temp, public, pg_catalog"
#: Types the issue's exploit shadowed; the catalog adds whatever else the functions name.
CORE_TYPES = ("text", "jsonb", "tstzrange", "uuid", "timestamptz", "int4", "int8", "bool",
              "name")
#: How pg_get_functiondef spells some built-in types, and the type's catalog name.
_ALIASES = {"integer": "int4", "bigint": "int8", "boolean": "bool", "smallint": "int2",
            "timestamp with time zone": "timestamptz", "double precision": "float8",
            "character varying": "varchar", "real": "float4"}

# -- the world every call runs against -----------------------------------------------------

DS = {d: f"00000000-0000-4000-8000-0000000000{d:02d}" for d in range(1, 10)}


def _j(value: str) -> str:
    return f"'{value}'::pg_catalog.jsonb"


def _u(*ids: str) -> str:
    return "ARRAY[" + ", ".join(f"'{i}'::pg_catalog.uuid" for i in ids) + "]"


def _t(value: str) -> str:
    return f"'{value}'::pg_catalog.text"


def _ID(table: str, column: str, value: str, key: str = "collection_id") -> str:
    """A subquery for an internal id, written as a hostile caller must (qualified operator)."""
    if not value.startswith("'"):
        value = _t(value)
    return (f"(SELECT x.{key} FROM calib.{table} AS x"
            f" WHERE x.{column} OPERATOR(pg_catalog.=) {value} LIMIT 1)")


DET1_TEXT = _t('{"instrument": "Cam", "detector": 1}')
DET1, DET2, DET3, DET7 = (_j(f'{{"instrument": "Cam", "detector": {d}}}') for d in (1, 2, 3, 7))
WHERE_DET2 = _j('{"detector": 2}')
# Revision 0010's paths (NFC, the other type than a dimension's, forbidden characters).
NFD_ID = _j('{"instrument": "Cafe\u0301", "detector": 8.0}')
STR_DET = _j('{"instrument": "Cam", "detector": "8"}')
ZWSP_ID = _j('{"instrument": "C\u200bam", "detector": 8}')
BAND_G = _j('{"band": "g"}')
WHERE_STR = _j('{"detector": "2"}')
NFD_NAME, RLO_NAME = _t("cafe\u0301"), _t("a\u202eb")
CLEAN_WORLD = f"""
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector'], true);
SELECT calib.register_dataset_type('raw', ARRAY['instrument', 'detector'], false);
SELECT calib.register_dataset_type('flat', ARRAY['band'], true);
SELECT calib.register_collection('run1', 'RUN');
SELECT calib.register_collection('calib', 'CALIBRATION', 'the biases');
SELECT calib.register_collection('tagged', 'TAGGED');
SELECT calib.register_collection('chain', 'CHAINED');
SELECT calib.set_chain('chain', ARRAY['calib', 'run1']);
SELECT count(*) FROM calib.insert_datasets('bias', 'run1', ARRAY[{DET1}, {DET2}, {DET3}],
    {_u(DS[1], DS[2], DS[3])});
SELECT count(*) FROM calib.insert_datasets('raw', 'run1', ARRAY[{DET1}], {_u(DS[4])});
SELECT calib.certify('calib', {_u(DS[1])}, '[2020-01-01 00:00+00,)');
SELECT calib.certify('calib', {_u(DS[2])}, '[2020-01-01 00:00+00,2021-01-01 00:00+00)');
SELECT calib.tag('tagged', {_u(DS[2])});
-- snapshots (revision 0014): a snapshot of the chain, listed by another chain. A snapshot
-- reads what is committed: the statements above are one transaction until this COMMIT.
COMMIT;
SELECT calib.snapshot_collection('chain', 'chain-then');
SELECT calib.register_collection('outer', 'CHAINED');
SELECT calib.set_chain('outer', ARRAY['chain-then']);
"""

_AT = "'2020-06-01 00:00:00+00'::pg_catalog.timestamptz"
_SPAN = "'[2020-06-01 00:00:00+00,2020-07-01 00:00:00+00)'::pg_catalog.tstzrange"
_NO_IDS = "NULL::pg_catalog.jsonb[]"

#: regprocedure (as rendered with search_path = pg_catalog) -> calls: some that work and
#: some that fail, so that the error path (calib._raise and the detail builders) runs too.
CALLS: dict[str, list[str]] = {
    "calib.find(text,text,jsonb,timestamp with time zone)": [
        f"SELECT * FROM calib.find({_t('outer')}, {_t('bias')}, {DET1}, {_AT})",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_AT})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {DET2},"
        " NULL::pg_catalog.timestamptz)",
        f"SELECT * FROM calib.find({_t('nowhere')}, {_t('bias')}, {DET1}, {_AT})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {_j('{}')}, {_AT})",
    ],
    "calib.find(text,text,jsonb,tstzrange)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET2}, {_SPAN})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {DET1},"
        " '(2020-01-01 00:00+00,2021-01-01 00:00+00]'::pg_catalog.tstzrange)",
    ],
    "calib.find_many(text,text,jsonb[],timestamp with time zone[])": [
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')},"
        f" ARRAY[{DET1}, {DET2}, {DET3}], ARRAY[{_AT}, {_AT}, NULL::pg_catalog.timestamptz])",
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')}, ARRAY[{DET1}],"
        f" ARRAY[{_AT}, {_AT}])",
    ],
    "calib.find_many(text,text,jsonb[],tstzrange[])": [
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, ARRAY[{DET1}, {DET2}],"
        f" ARRAY[{_SPAN}, {_SPAN}])",
    ],
    "calib.certifications(text,text)": [
        f"SELECT * FROM calib.certifications({_t('outer')}, {_t('bias')})",
        f"SELECT * FROM calib.certifications({_t('chain')}, {_t('bias')})",
        f"SELECT * FROM calib.certifications({_t('calib')}, NULL::pg_catalog.text)",
    ],
    "calib.query_datasets(text,text,jsonb)": [
        f"SELECT * FROM calib.query_datasets({_t('outer')}, {_t('bias')}, NULL::pg_catalog.jsonb)",
        f"SELECT * FROM calib.query_datasets({_t('chain')}, {_t('bias')},"
        f" {WHERE_DET2})",
        f"SELECT * FROM calib.query_datasets({_t('tagged')}, {_t('bias')}, NULL::pg_catalog.jsonb)",
        f"SELECT * FROM calib.query_datasets({_t('run1')}, {_t('bias')},"
        f" {WHERE_STR})",
    ],
    "calib.get_datasets(uuid[])": [
        f"SELECT * FROM calib.get_datasets({_u(DS[1], DS[4], DS[9])})",
    ],
    "calib.get_chain(text)": [
        f"SELECT calib.get_chain({_t('chain-then')})",
        f"SELECT calib.get_chain({_t('chain')})",
        f"SELECT calib.get_chain({_t('calib')})",
    ],
    "calib.list_collections(text)": [
        "SELECT * FROM calib.list_collections(NULL::pg_catalog.text)",
        f"SELECT * FROM calib.list_collections({_t('CALIBRATION')})",
    ],
    "calib.list_dataset_types()": ["SELECT * FROM calib.list_dataset_types()"],
    # The world is healthy: no row, but every check's statement runs (a shadow of any
    # built-in one of them calls would be heard).
    "calib.check_integrity()": ['SELECT "check", detail FROM calib.check_integrity()'],
    "calib.collection_stats()": ["SELECT * FROM calib.collection_stats()"],
    # History (revision 0014). The calls run in a rolled-back transaction: nothing is
    # committed, so the current epoch is 0 (every collection is missing as of it: KC002),
    # an as_of of NULL is now, and history shows the caller's own change (epoch NULL).
    "calib.current_epoch()": ["SELECT calib.current_epoch()"],
    "calib.epoch_at(timestamp with time zone)": [
        f"SELECT calib.epoch_at({_AT})",
        "SELECT calib.epoch_at(NULL::pg_catalog.timestamptz)",
    ],
    "calib.epoch_at(text)": [
        f"SELECT calib.epoch_at({_t('2020-06-01T00:00:00+00:00')})",
        f"SELECT calib.epoch_at({_t('2020-06-01')})",
    ],
    "calib.history(text,text,text,text,text)": [
        f"SELECT * FROM calib.history({_t('calib')}, {_t('bias')}, {DET1_TEXT}, {_t('0')},"
        f" {_t('')})",
        f"SELECT * FROM calib.history({_t('calib')}, NULL::pg_catalog.text,"
        f" NULL::pg_catalog.text, {_t('x')}, NULL::pg_catalog.text)",
    ],
    # Retention (issue 16, item 8): nothing committed, so only epoch 0 is in range.
    "calib.prune_history(bigint)": [
        "SELECT calib.prune_history(0::pg_catalog.int8)",
        "SELECT calib.prune_history(NULL::pg_catalog.int8)",
        "SELECT calib.prune_history(7::pg_catalog.int8)",
    ],
    "calib.history(text,text,jsonb,bigint,bigint)": [
        f"SELECT * FROM calib.history({_t('calib')}, NULL::pg_catalog.text,"
        " NULL::pg_catalog.jsonb, NULL::pg_catalog.int8, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.history({_t('chain')}, {_t('bias')}, {DET1},"
        " 0::pg_catalog.int8, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.history({_t('nowhere')}, NULL::pg_catalog.text,"
        " NULL::pg_catalog.jsonb, NULL::pg_catalog.int8, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.history({_t('calib')}, NULL::pg_catalog.text, {DET1},"
        " NULL::pg_catalog.int8, NULL::pg_catalog.int8)",
    ],
    # explain (revision 0014): now, with a pending change (epoch NULL), as of epoch 0
    # (KC002), a timespan, the all-text form with an epoch and a bad one.
    "calib.explain(text,text,jsonb,timestamp with time zone,bigint)": [
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1}, {_AT},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1},"
        " NULL::pg_catalog.timestamptz, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET7}, {_AT},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1}, {_AT},"
        " 0::pg_catalog.int8)",
    ],
    "calib.explain(text,text,jsonb,tstzrange,bigint)": [
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET2}, {_SPAN},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET2},"
        " '[2000-01-01 00:00:00+00,)'::pg_catalog.tstzrange, NULL::pg_catalog.int8)",
    ],
    "calib.explain(text,text,text,text,text)": [
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1_TEXT},"
        f" {_t('2020-06-01T00:00:00+00:00')}, {_t('')})",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1_TEXT},"
        f" {_t('[2020-06-01T00:00:00+00:00,)')}, {_t('0')})",
        f"SELECT * FROM calib.explain({_t('chain')}, {_t('bias')}, {DET1_TEXT},"
        f" {_t('2020-06-01T00:00:00+00:00')}, {_t('x1')})",
    ],
    "calib.find(text,text,jsonb,timestamp with time zone,bigint)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_AT},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_AT},"
        " 0::pg_catalog.int8)",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_AT},"
        " 5::pg_catalog.int8)",
    ],
    "calib.find(text,text,jsonb,tstzrange,bigint)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET2}, {_SPAN},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET2}, {_SPAN},"
        " (-1)::pg_catalog.int8)",
    ],
    "calib.find(text,text,jsonb,text,bigint)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET2},"
        f" {_t('2020-06-01T00:00:00+00:00')}, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET2},"
        f" {_t('[2020-06-01T00:00:00+00:00,)')}, 0::pg_catalog.int8)",
    ],
    "calib.find(text,text,text,text,text)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')},"
        f" {DET1_TEXT},"
        f" {_t('2020-06-01T00:00:00+00:00')}, {_t('')})",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')},"
        f" {DET1_TEXT},"
        f" {_t('2020-06-01T00:00:00+00:00')}, {_t('x1')})",
    ],
    "calib.find_many(text,text,jsonb[],timestamp with time zone[],bigint)": [
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')},"
        f" ARRAY[{DET1}, {DET2}], ARRAY[{_AT}, NULL::pg_catalog.timestamptz],"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')},"
        f" ARRAY[{DET1}], ARRAY[{_AT}], 0::pg_catalog.int8)",
    ],
    "calib.find_many(text,text,jsonb[],tstzrange[],bigint)": [
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, ARRAY[{DET1}, {DET2}],"
        f" ARRAY[{_SPAN}, {_SPAN}], NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, ARRAY[{DET1}],"
        f" ARRAY[{_SPAN}], 3::pg_catalog.int8)",
    ],
    "calib.certifications(text,text,bigint)": [
        f"SELECT * FROM calib.certifications({_t('chain')}, {_t('bias')},"
        " NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.certifications({_t('chain')}, NULL::pg_catalog.text,"
        " 0::pg_catalog.int8)",
    ],
    "calib.get_chain(text,bigint)": [
        f"SELECT calib.get_chain({_t('chain')}, NULL::pg_catalog.int8)",
        f"SELECT calib.get_chain({_t('chain')}, 0::pg_catalog.int8)",
    ],
    "calib.list_collections(text,bigint)": [
        "SELECT * FROM calib.list_collections(NULL::pg_catalog.text, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.list_collections({_t('run')}, 0::pg_catalog.int8)",
        f"SELECT * FROM calib.list_collections({_t('chained')}, (-1)::pg_catalog.int8)",
    ],
    "calib.collection_digest(text,bigint)": [
        f"SELECT calib.collection_digest({_t(name)}, 0::pg_catalog.int8)"
        for name in ("calib", "chain", "nope")
    ] + [f"SELECT calib.collection_digest({_t('run1')}, NULL::pg_catalog.int8)"],
    "calib.query_datasets(text,text,jsonb,bigint)": [
        f"SELECT * FROM calib.query_datasets({_t('chain')}, {_t('bias')},"
        " NULL::pg_catalog.jsonb, NULL::pg_catalog.int8)",
        f"SELECT * FROM calib.query_datasets({_t('chain')}, {_t('bias')},"
        " NULL::pg_catalog.jsonb, 0::pg_catalog.int8)",
        f"SELECT * FROM calib.query_datasets({_t('run1')}, {_t('bias')},"
        f" {DET1}, 5::pg_catalog.int8)",
    ],
    # Every collection type's lines (CALIBRATION, TAGGED, RUN, CHAINED) and an unknown name.
    "calib.collection_digest(text)": [
        f"SELECT calib.collection_digest({_t(name)})"
        for name in ("calib", "tagged", "run1", "chain", "nope", "chain-then")
    ],
    "calib.probe(integer,integer,tstzrange)": [
        f"SELECT * FROM calib.probe({_ID('collection', 'name', 'chain')},"
        f" {_ID('data_id', 'value', DET1, 'data_id_key')}, {_SPAN})",
        f"SELECT * FROM calib.probe({_ID('collection', 'name', 'tagged')},"
        f" {_ID('data_id', 'value', DET2, 'data_id_key')}, NULL::pg_catalog.tstzrange)",
        # through a snapshot member: probe's branch that calls calib._snapshot_ids
        f"SELECT * FROM calib.probe({_ID('collection', 'name', 'outer')},"
        f" {_ID('data_id', 'value', DET1, 'data_id_key')}, {_SPAN})",
    ],
    # The one private helper granted to a role (the reader role, for probe's snapshot
    # branch): called directly, with the snapshot's own source and epoch, and with an
    # epoch before anything was certified.
    "calib._snapshot_ids(integer,integer,tstzrange,bigint)": [
        f"SELECT calib._snapshot_ids({_ID('collection', 'name', 'chain')},"
        f" {_ID('data_id', 'value', DET1, 'data_id_key')}, {_SPAN},"
        f" (SELECT s.epoch FROM calib.snapshot AS s WHERE s.collection_id"
        f" OPERATOR(pg_catalog.=) {_ID('collection', 'name', 'chain-then')}))",
        f"SELECT calib._snapshot_ids({_ID('collection', 'name', 'chain')},"
        f" {_ID('data_id', 'value', DET1, 'data_id_key')}, NULL::pg_catalog.tstzrange,"
        " 0::pg_catalog.int8)",
    ],
    "calib.register_collection(text,text,text)": [
        f"SELECT calib.register_collection({_t('new')}, {_t('CALIBRATION')}, {_t('doc')})",
        f"SELECT calib.register_collection({_t('calib')}, {_t('RUN')}, NULL::pg_catalog.text)",
        f"SELECT calib.register_collection({NFD_NAME}, {_t('RUN')},"
        " NULL::pg_catalog.text)",
        f"SELECT calib.register_collection({RLO_NAME}, {_t('RUN')}, NULL::pg_catalog.text)",
    ],
    "calib.set_chain(text,text[])": [
        f"SELECT calib.set_chain({_t('chain')}, ARRAY[{_t('tagged')}, {_t('calib')}])",
        f"SELECT calib.set_chain({_t('chain')}, ARRAY[{_t('chain')}])",
    ],
    "calib.remove_collection(text)": [
        f"SELECT calib.remove_collection({_t('tagged')})",
        f"SELECT calib.remove_collection({_t('calib')})",
        f"SELECT calib.set_chain({_t('outer')}, ARRAY[]::pg_catalog.text[]),"
        f" calib.remove_collection({_t('chain-then')})",
    ],
    "calib.register_dataset_type(text,text[],boolean)": [
        f"SELECT calib.register_dataset_type({_t('dark')},"
        f" ARRAY[{_t('instrument')}, {_t('detector')}], true)",
        f"SELECT calib.register_dataset_type({_t('bias')}, ARRAY[{_t('detector')}], true)",
    ],
    "calib.insert_datasets(text,text,jsonb[],uuid[])": [
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" ARRAY[{DET7}], {_u(DS[7])})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')}, ARRAY[{DET1}],"
        f" {_u(DS[8])})",
        # Revision 0010's paths: NFC normalisation, a value of the other type than its
        # dimension's, a forbidden character, a new dimension fixed at first use.
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" ARRAY[{NFD_ID}], {_u(DS[9])})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" ARRAY[{STR_DET}], {_u(DS[9])})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" ARRAY[{ZWSP_ID}], {_u(DS[9])})",
        f"SELECT count(*) FROM calib.insert_datasets({_t('flat')}, {_t('run1')},"
        f" ARRAY[{BAND_G}], {_u(DS[9])})",
    ],
    "calib.tag(text,uuid[])": [
        f"SELECT calib.tag({_t('tagged')}, {_u(DS[3])})",
        f"SELECT calib.tag({_t('calib')}, {_u(DS[3])})",
    ],
    "calib.untag(text,uuid[])": [
        f"SELECT calib.untag({_t('tagged')}, {_u(DS[2])})",
        # A request id (issue 16, item 11): calib._request claims it, calib._request_result
        # records the result; the setting stays for the later calls of the transaction,
        # which then run as calls of the same request.
        f"SELECT calib.untag({_t('tagged')}, {_u(DS[3])})"
        " FROM pg_catalog.set_config('calib.request_id', 'hostile', true) AS s",
    ],
    "calib.certify(text,uuid[],tstzrange,boolean)": [
        f"SELECT calib.certify({_t('calib')}, {_u(DS[3])}, {_SPAN}, false)",
        f"SELECT calib.certify({_t('calib')}, {_u(DS[3], DS[2])},"
        " '[2020-06-01 00:00+00,)'::pg_catalog.tstzrange, true)",
        f"SELECT calib.certify({_t('calib')}, {_u(DS[4])}, {_SPAN}, false)",
    ],
    "calib.certify_series(text,uuid[],timestamp with time zone[],boolean)": [
        f"SELECT calib.certify_series({_t('calib')}, {_u(DS[3], DS[3])},"
        " ARRAY['2020-01-01 00:00+00', '2021-01-01 00:00+00']::pg_catalog.timestamptz[], false)",
        f"SELECT calib.certify_series({_t('calib')}, {_u(DS[2])},"
        " ARRAY['2019-01-01 00:00+00']::pg_catalog.timestamptz[], false)",
    ],
    "calib.decertify(text,text,tstzrange,jsonb[])": [
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_NO_IDS})",
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, ARRAY[{DET2}])",
    ],
    "calib.close_open_range(text,text,timestamp with time zone,jsonb[])": [
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')}, {_AT}, {_NO_IDS})",
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')},"
        f" '2019-01-01 00:00+00'::pg_catalog.timestamptz, {_NO_IDS})",
    ],
    # Snapshots (revision 0014): a snapshot now, as of epoch 2 (before the certifications),
    # of a snapshot, out of range, of an unknown source, a taken name; copying one.
    "calib.snapshot_collection(text,text,bigint)": [
        f"SELECT calib.snapshot_collection({_t('calib')}, {_t('calib-then')},"
        " NULL::pg_catalog.int8)",
        f"SELECT calib.snapshot_collection({_t('chain')}, {_t('chain-2')}, 6::pg_catalog.int8),"
        f" calib.find({_t('chain-2')}, {_t('bias')}, {DET1}, {_AT})",
        f"SELECT calib.snapshot_collection({_t('chain-then')}, {_t('again')},"
        " NULL::pg_catalog.int8),"
        f" calib.copy_collection({_t('again')}, {_t('again-copy')}, NULL::pg_catalog.text)",
        f"SELECT calib.snapshot_collection({_t('calib')}, {_t('x')}, 100000::pg_catalog.int8)",
        f"SELECT calib.snapshot_collection({_t('nowhere')}, {_t('x')}, NULL::pg_catalog.int8)",
        f"SELECT calib.snapshot_collection({_t('calib')}, {_t('tagged')}, NULL::pg_catalog.int8)",
    ],
    "calib.snapshot_collection(text,text,text)": [
        f"SELECT calib.snapshot_collection({_t('calib')}, {_t('calib-then')}, {_t('')})",
        f"SELECT calib.snapshot_collection({_t('calib')}, {_t('x')}, {_t('yesterday')})",
    ],
    "calib.copy_collection(text,text,text)": [
        f"SELECT calib.copy_collection({_t('calib')}, {_t('calib-copy')}, NULL::pg_catalog.text)",
        f"SELECT calib.copy_collection({_t('chain')}, {_t('chain-copy')}, {_t('doc')})",
        f"SELECT calib.copy_collection({_t('run1')}, {_t('run-copy')}, NULL::pg_catalog.text)",
    ],
    # Collection states and writers (revision 0012): the setters, and through them the
    # checks every writer runs (calib._check_change, calib._caller) and the FROZEN triggers.
    # revert (revision 0014): the committed world's change(s), undone for real and as a
    # dry run (every step of calib._revert_apply runs: removals, the checks, the locks); a
    # missing epoch; a conflict with the caller's own later change (a decertify made first
    # in the same statement: its argument is evaluated before revert runs).
    "calib.revert(bigint,boolean)": [
        "SELECT * FROM calib.revert(calib.current_epoch(), false)",
        "SELECT * FROM calib.revert(calib.current_epoch(), true)",
        "SELECT * FROM calib.revert(-1::pg_catalog.int8, false)",
        "SELECT * FROM calib.revert(calib.current_epoch() OPERATOR(pg_catalog.+)"
        f" 0::pg_catalog.int8 OPERATOR(pg_catalog.*) calib.decertify({_t('calib')}, {_t('bias')},"
        f" {_SPAN}, {_NO_IDS}), false)",
    ],
    "calib.revert(text,text)": [
        f"SELECT * FROM calib.revert(calib.current_epoch()::pg_catalog.text, {_t('yes')})",
        f"SELECT * FROM calib.revert({_t('1')}, {_t('maybe')})",
        f"SELECT * FROM calib.revert({_t('soon')}, {_t('')})",
    ],
    "calib.set_collection_state(text,text)": [
        f"SELECT calib.set_collection_state({_t('calib')}, {_t('frozen')})",
        f"SELECT calib.set_collection_state({_t('calib')}, {_t('thawed')})",
        f"SELECT calib.set_collection_state({_t('calib')}, {_t('APPEND_ONLY')}),"
        f" calib.certify({_t('calib')}, {_u(DS[3])},"
        " '[2019-01-01 00:00+00,)'::pg_catalog.tstzrange)",
        f"SELECT calib.set_collection_state({_t('calib')}, {_t('APPEND_ONLY')}),"
        f" calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_NO_IDS})",
        f"SELECT calib.set_collection_state({_t('tagged')}, {_t('FROZEN')}),"
        f" calib.untag({_t('tagged')}, {_u(DS[2])})",
        f"SELECT calib.set_collection_state({_t('chain-then')}, {_t('OPEN')})",
    ],
    "calib.set_collection_writers(text,text[])": [
        f"SELECT calib.set_collection_writers({_t('calib')}, ARRAY[{_t('calib_writer')}])",
        f"SELECT calib.set_collection_writers({_t('calib')}, ARRAY[{_t('no such role')}])",
        f"SELECT calib.set_collection_writers({_t('calib')}, ARRAY[{_t('calib_owner')}]),"
        f" calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_NO_IDS})",
    ],
}


# -- the JSON-document and all-text forms (README "Calling from another service"): calls that
# work and calls that their conversion helpers refuse (KC016, KC009, and the typed form's
# own errors through them).


def _jd(value: Any) -> str:
    """A JSON document, typed jsonb."""
    return _j(json.dumps(value))


def _tj(value: Any) -> str:
    """A JSON document, typed text (as a driver binding text sends it)."""
    return _t(json.dumps(value))


_D = [{"instrument": "Cam", "detector": d} for d in range(10)]
_TEXT = "NULL::pg_catalog.text"
CALLS.update({
    "calib.find(text,text,text,text)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {_tj(_D[1])},"
        f" {_t('2020-06-01T00:00Z')})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {_tj(_D[2])},"
        f" {_t('[2020-06-01T00:00Z,2020-07-01 00:00+00:00)')})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {_t('{nope')},"
        f" {_t('2020-06-01T00:00Z')})",
        f"SELECT * FROM calib.find({_t('calib')}, {_t('bias')}, {_t('{}')},"
        f" {_t('2020-06-01T00:00')})",
    ],
    "calib.find(text,text,jsonb,text)": [
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_t('2020-06-01T00:00Z')})",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_t('[2020-06-01,)')})",
        f"SELECT * FROM calib.find({_t('chain')}, {_t('bias')}, {DET1}, {_t('(,]')})",
    ],
    "calib.find_many(text,text,jsonb,jsonb)": [
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')}, {_jd([_D[1], None])},"
        f" {_jd(['2020-06-01T00:00Z', None])})",
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, {_jd([_D[2]])},"
        f" {_jd(['[2020-06-01T00:00Z,2020-07-01T00:00Z)'])})",
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, {_jd({})}, {_jd([1])})",
        f"SELECT * FROM calib.find_many({_t('calib')}, {_t('bias')}, {_jd([])}, {_jd([1])})",
    ],
    "calib.find_many(text,text,text,text)": [
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')}, {_tj([_D[3]])},"
        f" {_t('{2020-06-01T00:00Z}')})",
        f"SELECT * FROM calib.find_many({_t('chain')}, {_t('bias')}, {_t('{x}')},"
        f" {_tj(['2020-06-01T00:00Z'])})",
    ],
    "calib.query_datasets(text,text,text)": [
        f"SELECT * FROM calib.query_datasets({_t('run1')}, {_t('bias')}, {_tj({'detector': 2})})",
        f"SELECT * FROM calib.query_datasets({_t('run1')}, {_t('bias')}, {_t('detector=2')})",
    ],
    "calib.get_datasets(jsonb)": [
        f"SELECT * FROM calib.get_datasets({_jd([DS[1], DS[9]])})",
        f"SELECT * FROM calib.get_datasets({_jd(['nope'])})",
    ],
    "calib.get_datasets(text)": [
        f"SELECT * FROM calib.get_datasets({_t('{' + DS[2] + ',' + DS[4] + '}')})",
        f"SELECT * FROM calib.get_datasets({_t('{nope')})",
    ],
    "calib.set_chain(text,jsonb)": [
        f"SELECT calib.set_chain({_t('chain')}, {_jd(['tagged', 'calib'])})",
        f"SELECT calib.set_chain({_t('chain')}, {_jd([1])})",
    ],
    "calib.set_chain(text,text)": [
        f"SELECT calib.set_chain({_t('chain')}, {_t('{tagged,run1}')})",
        f"SELECT calib.set_chain({_t('chain')}, {_tj('calib')})",
    ],
    "calib.register_dataset_type(text,jsonb,boolean)": [
        f"SELECT calib.register_dataset_type({_t('dark')}, {_jd(['instrument', 'detector'])},"
        " true)",
        f"SELECT calib.register_dataset_type({_t('dark')}, {_jd('instrument')}, true)",
    ],
    "calib.register_dataset_type(text,text,text)": [
        # 'sky': a type the clean world does not hold (it holds bias, raw and flat).
        f"SELECT calib.register_dataset_type({_t('sky')}, {_t('{instrument,detector}')},"
        f" {_t('yes')})",
        f"SELECT calib.register_dataset_type({_t('sky')}, {_tj(['instrument'])},"
        f" {_t('maybe')})",
    ],
    "calib.insert_datasets(text,text,jsonb,jsonb)": [
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')}, {_jd([_D[7]])},"
        f" {_jd([DS[7]])})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" {_jd([{'instrument': 'Cam'}])}, {_jd([7])})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')},"
        f" {_jd([{'instrument': 'Cam'}])}, NULL::pg_catalog.jsonb)",
    ],
    "calib.insert_datasets(text,text,text,text)": [
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')}, {_tj([_D[8]])},"
        f" {_t('{' + DS[8] + '}')})",
        f"SELECT * FROM calib.insert_datasets({_t('bias')}, {_t('run1')}, {_tj([_D[1]])},"
        f" {_TEXT})",
    ],
    "calib.tag(text,jsonb)": [
        f"SELECT calib.tag({_t('tagged')}, {_jd([DS[3]])})",
        f"SELECT calib.tag({_t('tagged')}, {_jd([None, 3])})",
    ],
    "calib.tag(text,text)": [
        f"SELECT calib.tag({_t('tagged')}, {_tj([DS[3]])})",
        f"SELECT calib.tag({_t('tagged')}, {_tj(['x'])})",
    ],
    "calib.untag(text,jsonb)": [f"SELECT calib.untag({_t('tagged')}, {_jd([DS[2]])})"],
    "calib.untag(text,text)": [
        f"SELECT calib.untag({_t('tagged')}, {_t('{' + DS[2] + '}')})",
        f"SELECT calib.untag({_t('tagged')}, {_t('{}')})",
    ],
    "calib.certify(text,jsonb,tstzrange,boolean)": [
        f"SELECT calib.certify({_t('calib')}, {_jd([DS[3]])}, {_SPAN}, false)",
        f"SELECT calib.certify({_t('calib')}, {_jd([DS[4]])}, {_SPAN}, false)",
        f"SELECT calib.certify({_t('calib')}, {_jd({})}, {_SPAN}, false)",
    ],
    "calib.certify(text,text,text,text)": [
        f"SELECT calib.certify({_t('calib')}, {_t('{' + DS[3] + '}')},"
        f" {_t('[2020-06-01T00:00Z,2020-07-01T00:00+00:00)')}, {_t('false')})",
        f"SELECT calib.certify({_t('calib')}, {_tj([DS[3], DS[2]])},"
        f" {_t('[' + chr(34) + '2020-06-01 00:00:00+00' + chr(34) + ',)')}, {_t('true')})",
        f"SELECT calib.certify({_t('calib')}, {_tj([DS[3]])}, {_t('[2020-06-01 00:00,)')},"
        f" {_t('false')})",
        f"SELECT calib.certify({_t('calib')}, {_tj([DS[3]])}, {_t('[2021-06-01Z,)')},"
        f" {_t('false')})",
        f"SELECT calib.certify({_t('calib')}, {_tj([DS[3]])},"
        f" {_t('[2021-06-01T00:00Z,2020-01-01T00:00Z)')}, {_t('false')})",
    ],
    "calib.certify_series(text,jsonb,jsonb,boolean)": [
        f"SELECT calib.certify_series({_t('calib')}, {_jd([DS[3], DS[3]])},"
        f" {_jd(['2020-01-01T00:00Z', '2021-01-01T00:00+01:00'])}, false)",
        f"SELECT calib.certify_series({_t('calib')}, {_jd([DS[3]])}, {_jd(['2020-01-01'])},"
        " false)",
    ],
    "calib.certify_series(text,text,text,text)": [
        f"SELECT calib.certify_series({_t('calib')}, {_t('{' + DS[3] + '}')},"
        f" {_t('{2020-01-01T00:00Z}')}, {_t('f')})",
        f"SELECT calib.certify_series({_t('calib')}, {_t('{' + DS[3] + '}')}, {_tj([True])},"
        f" {_t('f')})",
    ],
    "calib.decertify(text,text,tstzrange,jsonb)": [
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_jd(None)})",
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_jd([_D[2]])})",
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_SPAN}, {_jd({})})",
    ],
    "calib.decertify(text,text,text,text)": [
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')},"
        f" {_t('[2020-06-01T00:00Z,2020-07-01T00:00Z)')}, {_TEXT})",
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_t('[2020-06-01T00:00Z,)')},"
        f" {_tj([_D[1]])})",
        f"SELECT calib.decertify({_t('calib')}, {_t('bias')}, {_t('2020')}, {_TEXT})",
    ],
    "calib.close_open_range(text,text,timestamp with time zone,jsonb)": [
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')}, {_AT}, {_jd(None)})",
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')}, {_AT}, {_jd(True)})",
    ],
    "calib.close_open_range(text,text,text,text)": [
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')}, {_t('2020-06-01T00:00Z')},"
        f" {_tj([_D[1]])})",
        f"SELECT calib.close_open_range({_t('calib')}, {_t('bias')}, {_t('2020-06-01T00:00Z')},"
        f" {_t('{nope}')})",
    ],
    "calib.set_collection_writers(text,jsonb)": [
        f"SELECT calib.set_collection_writers({_t('tagged')}, {_jd(['calib_reader'])})",
        f"SELECT calib.set_collection_writers({_t('tagged')}, {_jd([1])})",
    ],
    "calib.set_collection_writers(text,text)": [
        f"SELECT calib.set_collection_writers({_t('tagged')}, {_t('{calib_reader}')})",
        f"SELECT calib.set_collection_writers({_t('tagged')}, {_t('{}')})",
    ],
})


def public_functions(conn: psycopg.Connection) -> set[str]:
    """Every function of schema calib a caller can reach: each whose name does not start
    with ``_``, and each private helper granted to a role anyway (``calib._snapshot_ids``,
    which ``calib.probe`` calls with its caller's rights)."""
    conn.execute("SET search_path = pg_catalog")
    return {sig for (sig,) in conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc AS p"
        " WHERE p.pronamespace = 'calib'::regnamespace AND (p.proname NOT LIKE '\\_%'"
        "  OR EXISTS (SELECT FROM aclexplode(p.proacl) AS a"
        "             WHERE a.grantee <> p.proowner))")}


# -- planting the shadows ------------------------------------------------------------------


@dataclass
class Planted:
    """What :func:`plant` created, by kind (``domain``, ``function``, …)."""

    made: dict[str, list[str]] = field(default_factory=dict)
    refused: int = 0

    def add(self, kind: str, what: str) -> None:
        self.made.setdefault(kind, []).append(what)


def used_names(conn: psycopg.Connection) -> tuple[set[str], set[str], set[str]]:
    """(types, functions, operators) of pg_catalog that calib's functions and tables name."""
    conn.execute("SET search_path = pg_catalog")
    sources = [src for (src,) in conn.execute(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc AS p"
        " WHERE p.pronamespace = 'calib'::regnamespace AND p.prokind = 'f'")]
    sources += [t for (t,) in conn.execute(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute AS a"
        " JOIN pg_class AS c ON c.oid = a.attrelid"
        " WHERE c.relnamespace = 'calib'::regnamespace AND a.attnum > 0")]
    text = "\n".join(sources).lower()
    for alias, typname in _ALIASES.items():
        text = text.replace(alias, f" {typname} ")
    words = set(re.findall(r"[a-z_][a-z0-9_]*", text))
    types = {t for (t,) in conn.execute(
        "SELECT typname FROM pg_type WHERE typnamespace = 'pg_catalog'::regnamespace"
        " AND typtype IN ('b', 'r', 'm', 'e') AND typelem = 0 AND typname = ANY(%s)",
        (sorted(words),))} | set(CORE_TYPES)
    called = set(re.findall(r"([a-z_][a-z0-9_]*)\s*\(", text))
    functions = {f for (f,) in conn.execute(
        "SELECT DISTINCT proname::text FROM pg_proc"
        " WHERE pronamespace = 'pg_catalog'::regnamespace AND proname = ANY(%s)",
        (sorted(called),))}
    symbols = set(re.findall(r"[-+*/<>=~!@#%^&|`?]+", text))
    operators = {o for (o,) in conn.execute(
        "SELECT DISTINCT oprname::text FROM pg_operator"
        " WHERE oprnamespace = 'pg_catalog'::regnamespace AND oprname = ANY(%s)",
        (sorted(symbols),))}
    return types, functions, operators


_SPY = """
CREATE FUNCTION {schema}.calib_hostile_spy(p_what pg_catalog.text) RETURNS pg_catalog.bool
LANGUAGE plpgsql AS $spy$
BEGIN
    RAISE NOTICE '{mark}: % ran as %', p_what, current_user;
    BEGIN
        EXECUTE pg_catalog.format('ALTER ROLE %I SUPERUSER', session_user);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    BEGIN
        EXECUTE pg_catalog.format('GRANT calib_owner TO %I', session_user);
    EXCEPTION WHEN OTHERS THEN NULL;
    END;
    RETURN true;
END
$spy$;
GRANT EXECUTE ON FUNCTION {schema}.calib_hostile_spy(pg_catalog.text) TO PUBLIC;
CREATE FUNCTION {schema}.calib_hostile_trigger() RETURNS trigger LANGUAGE plpgsql AS $spy$
BEGIN
    PERFORM {schema}.calib_hostile_spy('trigger on ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    RETURN NULL;
END
$spy$;
"""


def _try(conn: psycopg.Connection, planted: Planted, kind: str, what: str, sql: str) -> None:
    """Create one shadow; some built-ins cannot be imitated (a plpgsql function cannot take
    ``"any"``), which is counted, not fatal."""
    try:
        with conn.transaction():
            conn.execute(sql)
        planted.add(kind, what)
    except psycopg.Error:
        planted.refused += 1


#: A caller cannot shadow a polymorphic built-in with the same signature, but a concrete
#: overload is a *better* match (lower(tstzrange) beats lower(anyrange)): what it plants.
_CONCRETE = {"anyrange": "tstzrange", "anycompatiblerange": "tstzrange",
             "anymultirange": "tstzmultirange", "anycompatiblemultirange": "tstzmultirange",
             "anyelement": "text", "anycompatible": "text", "anynonarray": "text",
             "anycompatiblenonarray": "text", "anyarray": "text[]", "anycompatiblearray": "text[]"}


def _concrete(signature: str) -> str:
    return re.sub(r"\b(" + "|".join(_CONCRETE) + r")\b", lambda m: _CONCRETE[m.group(1)],
                  signature)


def plant(conn: psycopg.Connection, types: Iterable[str], functions: Iterable[str],
          operators: Iterable[str], tables: Iterable[str]) -> Planted:
    """Create every shadow in the caller's pg_temp and in public, then put them first on the
    caller's search_path. ``conn`` is the hostile caller's own (autocommit) session."""
    types = set(types)
    planted = Planted()
    # While planting, names resolve to the built-ins (pg_temp named last, or the domains
    # made for one schema would change the signatures written for the next).
    conn.execute("SET search_path = pg_catalog, pg_temp")
    for schema in SCHEMAS:
        conn.execute(_SPY.format(schema=schema, mark=MARK))
    overloads = conn.execute(
        "SELECT p.proname::text, p.prokind, pg_get_function_arguments(p.oid),"
        " pg_get_function_result(p.oid), p.proretset,"
        " p.proargmodes IS NOT NULL AND 'o' = ANY(p.proargmodes), p.pronargs,"
        " p.proargtypes[0]::regtype::text"
        " FROM pg_proc AS p WHERE p.pronamespace = 'pg_catalog'::regnamespace"
        " AND p.proname = ANY(%s) AND p.prokind IN ('f', 'a')"
        " ORDER BY 1, 3", (sorted(functions),)).fetchall()
    ops = [(name, _concrete(left) if left != "-" else None, _concrete(right), _concrete(result))
           for name, left, right, result in conn.execute(
               "SELECT o.oprname::text, o.oprleft::regtype::text, o.oprright::regtype::text,"
               " o.oprresult::regtype::text FROM pg_operator AS o"
               " WHERE o.oprnamespace = 'pg_catalog'::regnamespace AND o.oprname = ANY(%s)",
               (sorted(operators),))]
    ops = sorted({op for op in ops
                  if all(t is None or t.removesuffix("[]") in types for t in op[1:3])},
                 key=repr)
    for schema in SCHEMAS:
        spy = f"{schema}.calib_hostile_spy"
        for n, (name, kind, args, result, retset, has_out, nargs, first) in enumerate(overloads):
            args, result, first = _concrete(args), _concrete(result), _concrete(first or "")
            what = f"{'aggregate' if kind == 'a' else 'function'} {schema}.{name}({args})"
            if kind == "a":
                if nargs != 1:
                    continue
                sfunc = f"{schema}.calib_hostile_sfunc_{n}"
                _try(conn, planted, "aggregate", what,
                     f"CREATE FUNCTION {sfunc}(s {result}, v {first}) RETURNS {result}"
                     f" LANGUAGE plpgsql AS $f$ BEGIN PERFORM {spy}('{what}'); RETURN s;"
                     f" END $f$; CREATE AGGREGATE {schema}.{name}({first})"
                     f" (SFUNC = {sfunc}, STYPE = {result})")
                continue
            ret = "RETURN;" if retset or has_out or result == "void" else "RETURN NULL;"
            _try(conn, planted, "function", what,
                 f"CREATE FUNCTION {schema}.{name}({args}) RETURNS {result}"
                 f" LANGUAGE plpgsql AS $f$ BEGIN PERFORM {spy}('{what}'); {ret} END $f$")
        for n, (name, left, right, result) in enumerate(ops):
            what = f"operator {schema}.{name}({left or 'NONE'}, {right})"
            fn = f"{schema}.calib_hostile_op_{n}"
            params = f"r {right}" if left is None else f"l {left}, r {right}"
            sides = (f"RIGHTARG = {right}" if left is None
                     else f"LEFTARG = {left}, RIGHTARG = {right}")
            _try(conn, planted, "operator", what,
                 f"CREATE FUNCTION {fn}({params}) RETURNS {result} LANGUAGE plpgsql"
                 f" AS $f$ BEGIN PERFORM {spy}('{what}'); RETURN NULL; END $f$;"
                 f" CREATE OPERATOR {schema}.{name} ({sides}, FUNCTION = {fn})")
        for table in tables:
            if schema == "pg_temp":
                # A table that reports every write (trigger) and every read (row security
                # on its one row), open to every role.
                _try(conn, planted, "table", f"pg_temp.{table}",
                     f"CREATE TEMP TABLE {table} (x pg_catalog.int4);"
                     f" INSERT INTO pg_temp.{table} VALUES (1);"
                     f" GRANT ALL ON pg_temp.{table} TO PUBLIC;"
                     f" ALTER TABLE pg_temp.{table} ENABLE ROW LEVEL SECURITY;"
                     f" CREATE POLICY spy ON pg_temp.{table}"
                     f"   USING ({spy}('read of pg_temp.{table}'));"
                     f" CREATE TRIGGER spy BEFORE INSERT OR UPDATE OR DELETE"
                     f"   ON pg_temp.{table} FOR EACH STATEMENT"
                     f"   EXECUTE FUNCTION pg_temp.calib_hostile_trigger()")
            else:
                _try(conn, planted, "view", f"public.{table}",
                     f"CREATE VIEW public.{table} AS SELECT {spy}('read of public.{table}') AS x;"
                     f" GRANT ALL ON public.{table} TO PUBLIC")
        # Domains last: once they exist, the type names above would mean them.
        for typ in sorted(types):
            _try(conn, planted, "domain", f"{schema}.{typ}",
                 f"CREATE DOMAIN {schema}.{typ} AS pg_catalog.{typ}"
                 f" CHECK ({spy}('domain {schema}.{typ}'))")
    conn.execute(f"SET search_path = {HOSTILE_PATH}")
    return planted


# -- calling -------------------------------------------------------------------------------


def outcome(conn: psycopg.Connection, sql: str) -> tuple[Any, ...]:
    """Run ``sql`` in a transaction that is rolled back: ("rows", rows) or ("error",
    sqlstate, message, detail)."""
    try:
        with conn.transaction(force_rollback=True):
            cur = conn.execute(sql)
            return ("rows", sorted(map(repr, cur.fetchall())))
    except psycopg.Error as exc:
        return ("error", exc.sqlstate, exc.diag.message_primary, exc.diag.message_detail)


def run_calls(conn: psycopg.Connection, calls: Iterable[str]) -> tuple[dict[str, Any], list[str]]:
    """Each call's outcome, and every spy notice seen while making them."""
    notices: list[str] = []

    def heard(diag: psycopg.errors.Diagnostic) -> None:
        if MARK in (diag.message_primary or ""):
            notices.append(diag.message_primary)

    conn.add_notice_handler(heard)
    try:
        return {sql: outcome(conn, sql) for sql in calls}, notices
    finally:
        conn.remove_notice_handler(heard)


def role_state(conn: psycopg.Connection, role: str) -> tuple[Any, ...]:
    """Everything a hijack could have given ``role``: attributes and memberships."""
    return conn.execute(
        "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls,"
        " ARRAY(SELECT g.rolname::text FROM pg_catalog.pg_auth_members AS m"
        "       JOIN pg_catalog.pg_roles AS g ON g.oid = m.roleid"
        "       WHERE m.member = r.oid ORDER BY 1)"
        " FROM pg_catalog.pg_roles AS r WHERE r.rolname = %s", (role,)).fetchone()


# -- the rules, read from the catalog ------------------------------------------------------

OWNER = "calib_owner"
#: Functions allowed without a SET search_path: LANGUAGE sql bodies that PostgreSQL inlines
#: into the calling statement, where a SET clause would forbid inlining; each with the
#: roles it may be granted to. Each must be SECURITY INVOKER (it runs with its caller's own
#: rights, so it cannot raise them) and name every relation with its schema. One granted to
#: service roles is parsed under *their* search_path: the hostile caller (CALLS) proves that
#: it names every function and operator with its schema too. See sql/functions/_flatten.sql
#: and sql/functions/probe.sql. Roles by level: the database's reader is
#: ``<calib.installation.role_prefix>_reader`` (the others are its members).
INLINE_ONLY = {"calib._flatten(integer)": set(),
               "calib.probe(integer,integer,tstzrange)": {"reader"},
               # history (revision 0014): the as-of rule
               "calib._probe_as_of(integer,integer,tstzrange,bigint)": set()}
PINNED = "search_path=pg_catalog, pg_temp"


def security_problems(conn: psycopg.Connection) -> list[str]:
    """Every breach of the security rules (README "Security") in the connected database's
    schema calib; empty when all hold."""
    conn.execute("SET search_path = pg_catalog")
    problems: list[str] = []
    (prefix,) = conn.execute("SELECT role_prefix FROM calib.installation").fetchone()
    inline_only = {sig: {f"{prefix}_{level}" for level in levels}
                   for sig, levels in INLINE_ONLY.items()}
    for sig, config, owner, lang, secdef, src, acl_public, acl_others in conn.execute(
            "SELECT p.oid::regprocedure::text, p.proconfig, pg_get_userbyid(p.proowner),"
            " l.lanname, p.prosecdef, p.prosrc,"
            " has_function_privilege('public', p.oid, 'EXECUTE'),"
            " ARRAY(SELECT pg_get_userbyid(a.grantee) FROM aclexplode(p.proacl) AS a"
            "       WHERE a.grantee NOT IN (0, p.proowner))"
            " FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang"
            " WHERE p.pronamespace = 'calib'::regnamespace ORDER BY 1"):
        paths = [c for c in config or [] if c.startswith("search_path=")]
        if sig in inline_only:
            if paths or lang != "sql" or secdef or not set(acl_others) <= inline_only[sig]:
                problems.append(f"{sig}: inline-only helper must be LANGUAGE sql, SECURITY"
                                f" INVOKER, without SET, granted only to"
                                f" {sorted(inline_only[sig])} (granted to {acl_others})")
            code = re.sub(r"/\*.*?\*/|--[^\n]*", " ", src, flags=re.S)
            unqualified = re.findall(r"\b(?:FROM|JOIN)\s+(?!calib\.|LATERAL\b|\()(\w+)",
                                     code, re.I)
            if unqualified:
                problems.append(f"{sig}: inline-only helper names {unqualified} without schema")
        elif paths != [PINNED]:
            problems.append(f"{sig}: search_path is {paths or 'not set'}, not {PINNED!r}")
        if owner != OWNER:
            problems.append(f"{sig}: owned by {owner}, not {OWNER}")
        if acl_public:
            problems.append(f"{sig}: executable by PUBLIC")
    for name, kind, owner in conn.execute(
            "SELECT relname::text, relkind::text, pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'calib'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'S')"
            " ORDER BY 1"):
        if owner != OWNER:
            problems.append(f"relation calib.{name} ({kind}): owned by {owner}, not {OWNER}")
    # Nobody but the owner writes a table (README "Roles"): no privilege but SELECT for
    # any other role (PUBLIC included), on a table or on one of its columns.
    for name, grantee, privilege in conn.execute(
            "SELECT c.relname::text, CASE a.grantee WHEN 0 THEN 'PUBLIC'"
            "  ELSE pg_get_userbyid(a.grantee)::text END, a.privilege_type"
            " FROM pg_class AS c, aclexplode(c.relacl) AS a"
            " WHERE c.relnamespace = 'calib'::regnamespace AND a.grantee <> c.relowner"
            "   AND a.privilege_type <> 'SELECT'"
            " UNION ALL"
            " SELECT c.relname || '.' || t.attname, CASE a.grantee WHEN 0 THEN 'PUBLIC'"
            "  ELSE pg_get_userbyid(a.grantee)::text END, a.privilege_type"
            " FROM pg_class AS c JOIN pg_attribute AS t ON t.attrelid = c.oid,"
            "      aclexplode(t.attacl) AS a"
            " WHERE c.relnamespace = 'calib'::regnamespace AND a.grantee <> c.relowner"
            "   AND a.privilege_type <> 'SELECT' ORDER BY 1, 2, 3"):
        problems.append(f"relation calib.{name}: {grantee} has {privilege}")
    owner, public_usage, public_create = conn.execute(
        "SELECT pg_get_userbyid(nspowner), has_schema_privilege('public', oid, 'USAGE'),"
        " has_schema_privilege('public', oid, 'CREATE') FROM pg_namespace"
        " WHERE nspname = 'calib'").fetchone()
    if owner != OWNER:
        problems.append(f"schema calib: owned by {owner}, not {OWNER}")
    if public_usage or public_create:
        problems.append("schema calib: PUBLIC has USAGE or CREATE")
    state = role_state(conn, OWNER)
    powers = [flag for flag, on in zip(("SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION",
                                        "BYPASSRLS"), state[:5], strict=True) if on]
    can_login = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s",
                             (OWNER,)).fetchone()[0]
    if powers or state[5] or can_login:
        problems.append(f"role {OWNER}: has {powers}, LOGIN={can_login}, member of {state[5]}")
    return problems
