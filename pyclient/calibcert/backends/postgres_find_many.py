"""find_many on PostgreSQL: the client's share of a batch kept to little per pair.

Measured on bench/run.py's batch of 10^4 pairs (100 distinct data IDs) at 10^3 stored
(bench/README.md "find_many whatever the statistics", "Client (fm-client)"), the client
spent ~14 us of CPU per pair: canonicalising each data ID, psycopg's Jsonb dumper (one
json.dumps per pair), json.loads of each returned data ID, a dict per row, and the
DatasetRefs. Here each distinct data ID of the call (query_batch.DataIdBatch) is encoded
once and the jsonb[] argument is assembled from those encodings; rows come back as tuples
with the data ID as text, parsed once per distinct text, each ref given its own copy.
calib.find_many receives and answers exactly what it did: same statement, same arguments,
one row per pair in input order (only the columns are named and data_id cast to text).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.rows import tuple_row

from ..query_batch import At, DataIdBatch
from ..types import DatasetRef, Timespan
from .postgres_rows import _at_range

_JSONB_OID, _JSONB_ARRAY_OID = 3802, 3807


def _json_text_function() -> Callable[[Any], str]:
    """json.dumps' own C encoder with its default settings, made once: json.dumps makes it
    anew at every call, 3 us of a 1 us encoding of a two-key data ID. No circular-reference
    check (markers None): a canonical data ID is flat. The same text as json.dumps."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return json.dumps
    encode = make(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii,
                  None, ": ", ", ", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


_json_text = _json_text_function()
#: JSON text to a value, without json.loads' argument checks (2.5 against 1 us a data ID):
#: the text is PostgreSQL's output of a jsonb, one complete document.
_json_value = json.JSONDecoder().raw_decode

_FIND_MANY = ("SELECT dataset_id, dataset_type, data_id::text, run FROM calib.find_many("
              "p_collection => %(c)s::text, p_dataset_type => %(t)s::text,"
              " p_data_ids => %(d)b::jsonb[], ")
_FIND_MANY_AT = _FIND_MANY + "p_at => %(s)b::timestamptz[])"
# Text, not binary: psycopg cannot dump a fully unbounded Range in a binary array.
_FIND_MANY_SPAN = _FIND_MANY + "p_timespans => %(s)s::tstzrange[])"


class JsonbArray:
    """A jsonb[] argument of one element per query, from the encodings of the distinct
    data IDs (``elements``: each a binary array element, length prefix included) and the
    position of each query's data ID among them (``index``)."""

    __slots__ = ("elements", "index")

    def __init__(self, elements: list[bytes], index: list[int]) -> None:
        self.elements = elements
        self.index = index

    @classmethod
    def of(cls, batch: DataIdBatch) -> JsonbArray:
        # The bytes psycopg's binary Jsonb dumper sends (format version 1, then json.dumps'
        # text), each with the array element's 4-byte length in front.
        elements = []
        for d in batch.distinct:
            text = _json_text(d).encode()
            elements.append(struct.pack("!iB", len(text) + 1, 1) + text)
        return cls(elements, batch.index)


class JsonbArrayDumper(Dumper):
    """A JsonbArray in the binary array format: ndim, has-nulls flag, element type, then
    (length, lower bound) of the one dimension, then the elements."""

    format = Format.BINARY
    oid = _JSONB_ARRAY_OID

    def dump(self, obj: JsonbArray) -> bytes:
        n = len(obj.index)
        if n == 0:
            return struct.pack("!iiI", 0, 0, _JSONB_OID)
        elements = obj.elements
        return (struct.pack("!iiIii", 1, 0, _JSONB_OID, n, 1)
                + b"".join([elements[j] for j in obj.index]))


def _refs(rows: list[tuple[Any, ...]]) -> list[DatasetRef | None]:
    """The rows of _FIND_MANY as find_many's answers. A data ID's text is parsed once per
    call (a batch repeats few of them); every ref after the first gets its own copy (values
    are int / str: a shallow copy is a full one), so that no two refs share a dict."""
    parsed: dict[str, dict[str, Any]] = {}
    out: list[DatasetRef | None] = []
    append = out.append
    for dataset_id, type_name, text, run in rows:
        if dataset_id is None:
            append(None)
            continue
        data_id = parsed.get(text)
        if data_id is None:
            data_id = parsed[text] = _json_value(text)[0]
        else:
            data_id = dict(data_id)
        append(DatasetRef(dataset_id, type_name, data_id, run))
    return out


class PostgresFindMany:
    """find_many's primitives for PostgresRegistry."""

    def _find_many(self, collection: str, dataset_type: str, data_ids: list[dict[str, Any]],
                   times: list[At]) -> list[DatasetRef | None]:
        return self._find_many_batch(collection, dataset_type,
                                     DataIdBatch(data_ids, list(range(len(data_ids)))), times)

    def _find_many_batch(self, collection: str, dataset_type: str, batch: DataIdBatch,
                         times: list[At]) -> list[DatasetRef | None]:
        # Arrays go in binary (%b): psycopg's text array dumper escapes every element with a
        # regex, about 50 us per (data ID, time) pair. All-instant batches (the usual case)
        # use the timestamptz[] overload instead of building a [t, t] range per pair.
        if any(isinstance(t, Timespan) for t in times):
            sql, value = _FIND_MANY_SPAN, [_at_range(t) for t in times]
        else:
            sql, value = _FIND_MANY_AT, times
        rows = self._run(  # type: ignore[attr-defined]
            sql, {"c": collection, "t": dataset_type, "d": JsonbArray.of(batch), "s": value},
            row_factory=tuple_row)
        return _refs(rows)
