"""PostgreSQL find_many's client side (calibcert.backends.postgres_find_many): the jsonb[]
argument it assembles from each distinct data ID's encoding is byte for byte the one
psycopg's own dumpers send for a Jsonb per pair; its JSON text is json.dumps'."""

from __future__ import annotations

import json

import psycopg
from psycopg.adapt import PyFormat
from psycopg.types.json import Jsonb

from calibcert.backends.postgres_find_many import (
    JsonbArray,
    JsonbArrayDumper,
    _json_text,
    _json_value,
)
from calibcert.query_batch import read_queries
from helpers import t

DATA_IDS = [
    {"detector": 1, "instrument": "Cam"},
    {"detector": -(2**63), "instrument": "caf\u00e9 \"q\" \\ \u2028 \U0001f600"},
    {"detector": 2**63 - 1, "instrument": "Cam", "physical_filter": "g~"},
    {"detector": 1, "instrument": "Cam"},
]


def test_json_text_is_json_dumps() -> None:
    for d in DATA_IDS:
        assert _json_text(d) == json.dumps(d)
        assert _json_value(json.dumps(d))[0] == json.loads(json.dumps(d)) == d


def test_the_jsonb_array_is_psycopgs_byte_for_byte() -> None:
    batch, _ = read_queries([(d, t(2020)) for d in DATA_IDS * 3], "bias")
    assert len(batch.distinct) == 3 and len(batch) == 12  # the repeats found
    ctx = psycopg.adapt.AdaptersMap(psycopg.adapters)
    ours = JsonbArrayDumper(JsonbArray, None).dump(JsonbArray.of(batch))
    tx = psycopg.adapt.Transformer(ctx)
    theirs = tx.get_dumper([Jsonb(d) for d in batch.expanded()], PyFormat.BINARY).dump(
        [Jsonb(d) for d in batch.expanded()])
    assert bytes(ours) == bytes(theirs)
    empty, _ = read_queries([], "bias")
    assert bytes(JsonbArrayDumper(JsonbArray, None).dump(JsonbArray.of(empty))) == bytes(
        tx.get_dumper([Jsonb({})], PyFormat.BINARY).dump([]))
