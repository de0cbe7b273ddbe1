"""SQLite fallback backend: the PostgreSQL functions' semantics, in Python, on one file.

Every operation does what the ``calib.*`` function of the same name does (sql/functions is
the specification): the same checks in the same order, the same exception classes, the same
messages and the same ``details`` (built with the keys the SQL puts into its DETAIL JSON and
passed through :func:`calibcert.errors.normalize_details`), the same orders of results
(data IDs interned in the order PostgreSQL gives jsonb values), so that a caller cannot
tell the backends apart through the Python API. tests/test_sqlite_backend.py compares the
two outcome by outcome, messages included.

Transaction model
    The connection runs in autocommit mode (``isolation_level=None``); this module issues
    BEGIN / COMMIT / ROLLBACK itself. Each mutating call is one ``BEGIN IMMEDIATE``
    transaction: it takes the file's write lock first, waiting at most ``busy_timeout``
    seconds (default 10; then ``LockTimeoutError``, nothing changed), then checks every
    rule, then writes. A failing call changes nothing. Inside
    :meth:`SqliteRegistry.transaction` (itself the ``BEGIN IMMEDIATE``) each call runs in a
    SAVEPOINT, so a failing call is undone alone and the outer transaction stays usable;
    nested ``transaction()`` blocks are savepoints too. Lookups read one snapshot (a
    deferred transaction when they need several statements) and never wait for the writer
    (WAL). Bulk statements whose rows are copies of rows just read under the write lock
    (certify, certify_series and insert_datasets of 1,000 rows or more, copy_collection)
    run with the per-row foreign-key lookups off when they are the outermost transaction;
    every other write has them on (``PRAGMA foreign_keys``).

Storage
    Tables mirror sql/schema/tables.sql (migrations/versions/0001_initial.sqlite.sql):
    interned data IDs (one integer key per dataset type and canonical JSON text), UUIDs as
    16-byte blobs, times as integer microseconds since the Unix epoch in UTC. An unbounded
    side is a sentinel, not NULL: ``begin_us = -2**63`` (unbounded below), ``end_us =
    2**63 - 1`` (unbounded above), so that an overlap test is two integer comparisons.
    Certifications are clustered by (collection, data-ID key, begin): checking a new span
    against the stored ones, or finding the one valid at an instant, is a single index
    probe. Tags and certifications repeat their dataset's RUN (checked by their foreign
    key), so a lookup names the RUN without visiting the dataset. Table catalog_version
    counts changes of collections, chains and dataset types (by triggers); a registry
    caches names and search paths and each lookup re-reads the counter in its own
    statement, so a single ``find`` is one statement.

Capabilities that differ from PostgreSQL (none changes a result through the Python API):
    * no SQL API for other services: the rules live in this module, not in the database;
      there are no SQL functions to call, and no roles or grants.
    * one writer at a time per file: every mutating call serializes on the file's write
      lock (PostgreSQL lets writers of different collections proceed in parallel).
    * lock waits bounded by the busy timeout (``connect(url, busy_timeout=seconds)``), not
      by ``lock_timeout``; both surface as ``LockTimeoutError``.
    * no-overlap checked by the serialized writer, not by an exclusion constraint: raw SQL
      written into the file by other programs bypasses it (the primary key still refuses
      two certifications of one key with the same begin), and SQLite applies foreign keys
      only on connections that turn them on.
    * local files only: no network access, no hot standby or replication; readers in other
      processes on the same machine are fine (WAL).
    * durability: WAL with ``synchronous=NORMAL`` by default: a committed call survives a
      crash of the process, but the last commits may be lost on power failure or an OS
      crash (``connect(url, synchronous="FULL")`` trades speed for that).
    * one thread per registry: a registry (one sqlite3 connection) is used by the thread
      that opened it; open one per thread or process.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from json.encoder import encode_basestring as _json_str  # C-accelerated, non-ASCII kept
from typing import Any

from ..errors import (
    CalibCertError,
    CalibrationLookupError,
    CollectionCycleError,
    CollectionInUseError,
    CollectionTypeError,
    ConflictingCertificationError,
    ConflictingDefinitionError,
    DataIdError,
    DatasetTypeError,
    InvalidArgumentError,
    InvalidNameError,
    InvalidTimespanError,
    LockTimeoutError,
    MissingCollectionError,
    MissingDatasetError,
    MissingDatasetTypeError,
    SchemaVersionError,
    normalize_details,
)
from ..registry import At, DatasetIdArray, Registry
from ..schema import HEAD_REVISION
from ..types import (
    Certification,
    CollectionInfo,
    CollectionType,
    DatasetRef,
    DatasetTypeInfo,
    Timespan,
)
from ..urls import sqlite_path

#: Sentinels for an unbounded side (see the module docstring).
MIN_US = -(2**63)
MAX_US = 2**63 - 1
#: The PostgreSQL client sends batches in chunks of this size; data IDs new in one chunk are
#: interned in jsonb order, so the interning order (visible in ``certifications``) matches.
PG_CHUNK = 50_000
#: At most this many conflicts are listed in a ConflictingCertificationError (as in SQL).
MAX_CONFLICTS = 100
#: Depth guard of the chain walk (set_chain refuses cycles; this only bounds a broken file).
MAX_CHAIN_DEPTH = 100
#: Calls with at most this many datasets take the few-rows path (no scratch tables).
FEW = 64
#: Calls writing at least this many rows run their bulk statements without per-row
#: foreign-key lookups (see SqliteRegistry._write).
BULK_ROWS = 1_000
#: find_many reads its rows in slices of this many (see SqliteRegistry._find_at).
ROWS_PER_FETCH = 500
#: Oldest SQLite this module is written for (window functions, upserts, JSON, RETURNING-free).
MIN_SQLITE = (3, 35, 0)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


# -- values as the SQL functions print them ----------------------------------------------


def _to_us(t: datetime) -> int:
    return (t - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _begin_us(t: datetime | None) -> int:
    return MIN_US if t is None else _to_us(t)


def _end_us(t: datetime | None) -> int:
    return MAX_US if t is None else _to_us(t)


def _timespan(b: int, e: int) -> Timespan:
    return Timespan(None if b == MIN_US else _from_us(b), None if e == MAX_US else _from_us(e))


def _ts_text(us: int) -> str:
    """calib._ts_text: ISO 8601 in UTC with microseconds, e.g. 2020-01-01T00:00:00.000000+00:00."""
    t = _from_us(us)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d}.{t.microsecond:06d}+00:00")


def _span_json(b: int, e: int) -> list[str | None]:
    """calib._span_json: [begin, end] ISO strings, null for an unbounded side."""
    return [None if b == MIN_US else _ts_text(b), None if e == MAX_US else _ts_text(e)]


def _span_text(span: list[str | None]) -> str:
    """calib._span_text: '[begin, end)' with -inf / +inf, as Timespan's str()."""
    return f"[{span[0] or '-inf'}, {span[1] or '+inf'})"


def _ql(value: str | None) -> str:
    """PostgreSQL's format('%L'): a quoted literal (E'...' when it holds a backslash)."""
    if value is None:
        return "NULL"
    quoted = value.replace("'", "''")
    if "\\" in quoted:
        return "E'" + quoted.replace("\\", "\\\\") + "'"
    return "'" + quoted + "'"


def _jsonb_key_order(keys: Iterable[str]) -> list[str]:
    """jsonb stores object keys shorter first, then bytewise."""
    return sorted(keys, key=lambda k: (len(k.encode()), k.encode()))


def _jsonb_text(value: Any) -> str:
    """A JSON value printed the way PostgreSQL prints jsonb (as in the SQL messages)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_json_str(k)}: {_jsonb_text(value[k])}"
                               for k in _jsonb_key_order(value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_jsonb_text(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    return _json_str(str(value))


def _pg_array_text(items: Sequence[str]) -> str:
    """A text[] printed by PostgreSQL: {a,b}, elements quoted when they need it."""
    def element(s: str) -> str:
        if (s == "" or s.upper() == "NULL" or any(c in '{},"\\ \t\n\r\v\f' for c in s)):
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return s
    return "{" + ",".join(element(s) for s in items) + "}"


def _err(cls: type[CalibCertError], message: str, **details: Any) -> CalibCertError:
    return cls(message, **normalize_details(details))


_set_uuid_int = uuid.UUID.int.__set__  # type: ignore[attr-defined]
_set_uuid_safety = uuid.UUID.is_safe.__set__  # type: ignore[attr-defined]
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown


def _uuid_of_int(value: int) -> uuid.UUID:
    """uuid.UUID(int=value) for 0 <= value < 2**128, without the constructor's argument
    handling (a third of the time; lookups make one UUID per result): the same slots."""
    u = object.__new__(uuid.UUID)
    _set_uuid_int(u, value)
    _set_uuid_safety(u, _UNKNOWN_SAFETY)
    return u


def _uuid(b: bytes) -> uuid.UUID:
    """uuid.UUID(bytes=b) (ValueError unless 16 bytes)."""
    if len(b) != 16:
        return uuid.UUID(bytes=b)
    return _uuid_of_int(int.from_bytes(b, "big"))


def _uuid_hex(digits: str) -> uuid.UUID:
    """uuid.UUID(hex=digits) for SQLite's hex() of an id (ValueError unless 32 digits)."""
    if len(digits) != 32:
        return uuid.UUID(hex=digits)
    return _uuid_of_int(int(digits, 16))


def _id_bytes(ids: Sequence[uuid.UUID]) -> Iterator[bytes]:
    """The 16 bytes of each id, in order. The registry hands ``certify`` its ids packed
    (DatasetIdArray): those are sliced from the buffer, without making UUID objects."""
    if isinstance(ids, DatasetIdArray):
        return ids.iter_bytes()
    return (u.bytes for u in ids)


# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coll:
    id: int
    name: str
    type: str
    doc: str | None


@dataclass(frozen=True)
class _Type:
    id: int
    name: str
    dimensions: tuple[str, ...]
    is_calibration: bool

    @property
    def sorted_dims(self) -> tuple[str, ...]:
        return tuple(sorted(self.dimensions))


@dataclass(frozen=True)
class _Member:
    id: int
    name: str
    type: str


class _DataIds:
    """Canonical JSON text of data IDs of one dataset type, validated as
    calib._canonical_data_ids does (keys exactly the type's dimensions; value types are
    already checked by :func:`calibcert.types.canonical_data_id`)."""

    def __init__(self, dtype: _Type) -> None:
        self.dtype = dtype
        self.keys = dtype.sorted_dims
        self.dimset = frozenset(dtype.dimensions)
        # '{"k1":%s,"k2":%s}': one % formatting per data ID (find_many makes thousands).
        self._template = "{" + ",".join(
            _json_str(k).replace("%", "%%") + ":%s" for k in self.keys) + "}"
        self.jsonb_keys = _jsonb_key_order(dtype.dimensions)

    def check(self, data_id: dict[str, Any]) -> None:
        if tuple(data_id) == self.keys or set(data_id) == self.dimset:
            return
        t = self.dtype
        missing = sorted(self.dimset - set(data_id))
        extra = sorted(set(data_id) - self.dimset)
        raise _err(
            DataIdError,
            f"data ID {_jsonb_text(data_id)} does not match the dimensions "
            f"({', '.join(t.dimensions)}) of dataset type {_ql(t.name)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unexpected {', '.join(extra)}" if extra else ""),
            dataset_type=t.name, data_id=data_id)

    def text(self, data_id: dict[str, Any]) -> str:
        values = []
        for k in self.keys:
            v = data_id[k]
            values.append(_json_str(v) if isinstance(v, str) else str(int(v)))
        return self._template % tuple(values)

    def texts(self, data_ids: Iterable[dict[str, Any]]) -> list[str]:
        """Validate every data ID (the first bad one in input order raises), then encode."""
        data_ids = list(data_ids)
        for d in data_ids:
            self.check(d)
        return [self.text(d) for d in data_ids]

    def jsonb_sort_key(self, data_id: dict[str, Any]) -> tuple[Any, ...]:
        """The order of jsonb values of this type's data IDs (strings before numbers,
        strings by code point, numbers by value, keys in jsonb storage order)."""
        return tuple((0, v.encode()) if isinstance(v, str) else (1, int(v))
                     for v in (data_id[k] for k in self.jsonb_keys))


@dataclass(frozen=True)
class _Plan:
    """What a lookup in (collection, dataset type) needs, cached per connection."""

    coll: _Coll
    dtype: _Type
    enc: _DataIds
    members: tuple[_Member, ...]


#: A lookup the fast path could not answer alone.
_MISS = object()


# -- integrity errors of raw SQLite statements ---------------------------------------------
# The checks run before the writes, so these only fire for a bug or a raw writer; they are
# mapped like PostgreSQL maps its constraints. SQLite names UNIQUE constraints by columns.
_UNIQUE_NAMES = {
    "collection.name": "collection_name_key",
    "dataset_type.name": "dataset_type_name_key",
    "dataset.dataset_id": "dataset_pkey",
    "dataset.run_id, dataset.data_id_key": "dataset_run_type_data_id_key",
    "tag.collection_id, tag.data_id_key": "tag_pkey",
    "certification.collection_id, certification.data_id_key, certification.begin_us":
        "certification_no_overlap",
}
_CONSTRAINT_CLASSES: dict[str, type[CalibCertError]] = {
    "collection_name_key": ConflictingDefinitionError,
    "dataset_type_name_key": ConflictingDefinitionError,
    "dataset_pkey": ConflictingDefinitionError,
    "dataset_run_type_data_id_key": ConflictingDefinitionError,
    "tag_pkey": ConflictingDefinitionError,
    "certification_no_overlap": ConflictingCertificationError,
    "certification_validity_bounds": InvalidTimespanError,
    "collection_name_check": InvalidNameError,
}


def _constraint_of(exc: sqlite3.IntegrityError) -> str | None:
    text = str(exc)
    for prefix in ("UNIQUE constraint failed: ", "CHECK constraint failed: "):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            return _UNIQUE_NAMES.get(rest, rest)
    return None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    return str(exc).startswith(("database is locked", "database table is locked"))


# -- SQL used in more than one place ------------------------------------------------------

#: calib._flatten: the search path of a collection, depth-first in chain order, each
#: collection once (first occurrence), chains themselves left out. Fixed-width position
#: paths sort lexicographically in exactly depth-first order.
_FLATTEN = """
WITH RECURSIVE walk (cid, path, depth) AS (
    SELECT :root, '', 0
    UNION ALL
    SELECT ch.child_id, w.path || printf('%010d', ch.position), w.depth + 1
    FROM walk AS w JOIN collection_chain AS ch ON ch.parent_id = w.cid
    WHERE w.depth < :max_depth
)
SELECT c.collection_id AS id, c.name AS name, c.type AS type, min(w.path) AS path
FROM walk AS w JOIN collection AS c ON c.collection_id = w.cid
WHERE c.type <> 'CHAINED'
GROUP BY c.collection_id
ORDER BY path
"""

def _effective_end(fb: str) -> str:
    """The end of stored certification c as it is once close_open has run: an open-ended
    row of the key that begins before the key's first new begin ``fb`` ends there
    (calib._certify_rows closes it before inserting)."""
    return (f"CASE WHEN :close_open AND c.end_us = {MAX_US} AND c.begin_us < {fb}"
            f" THEN {fb} ELSE c.end_us END")


#: Does item r of _item overlap a stored certification? Stored rows of one key are
#: disjoint, so only the last one beginning before r's end can reach into r: one probe.
_STORED_OVERLAP = f"""
(SELECT {_effective_end("r.fb")} FROM certification AS c
 WHERE c.collection_id = :cid AND c.data_id_key = r.k AND c.begin_us < r.e
 ORDER BY c.begin_us DESC LIMIT 1) > r.b
"""

#: The same test for a few items given as JSON [[k, b, e, fb], ...] (the small-call path).
_STORED_OVERLAP_JSON = f"""
SELECT 1 FROM json_each(:items) AS j
WHERE (SELECT {_effective_end("json_extract(j.value, '$[3]')")} FROM certification AS c
       WHERE c.collection_id = :cid AND c.data_id_key = json_extract(j.value, '$[0]')
         AND c.begin_us < json_extract(j.value, '$[2]')
       ORDER BY c.begin_us DESC LIMIT 1) > json_extract(j.value, '$[1]')
LIMIT 1
"""

#: The catalog version (see catalog_version in the schema): cached names, types and search
#: paths are valid while it is unchanged.
_VERSION = "SELECT version FROM catalog_version WHERE id = 1"

#: The interned key of data ID ?3 (canonical text) of dataset type ?2.
_KEY = "(SELECT di.data_id_key FROM data_id AS di WHERE di.dataset_type_id = ?2 AND di.value = ?3)"


#: One lookup in one member of a search path, also reading the catalog version (positional
#: parameters: member id, dataset type id, data-ID text, for CALIBRATION the span's end).
#: A CALIBRATION member returns the last certification beginning before the end (it matches
#: iff it ends after the begin) and, for a timespan, the one before it (if that ends after
#: the begin too, the lookup is ambiguous). An instant cannot match two certifications of
#: one key: they never overlap. No row: nothing matched (the caller then reads the version
#: alone). Keyed by (member type, instant?). One table each, so ORDER BY follows the
#: primary key (no sort, also after ANALYZE).
_PROBE = {
    ("CALIBRATION", instant): f"""
        SELECT c.dataset_id, c.end_us, c.run_id, ({_VERSION}) AS version
        FROM certification AS c
        WHERE c.collection_id = ?1 AND c.data_id_key = {_KEY} AND c.begin_us < ?4
        ORDER BY c.begin_us DESC LIMIT {1 if instant else 2}"""
    for instant in (True, False)
}
_PROBE["RUN", True] = _PROBE["RUN", False] = f"""
    SELECT d.dataset_id, NULL, d.run_id, ({_VERSION}) AS version FROM dataset AS d
    WHERE d.run_id = ?1 AND d.data_id_key = {_KEY}"""
_PROBE["TAGGED", True] = _PROBE["TAGGED", False] = f"""
    SELECT g.dataset_id, NULL, g.run_id, ({_VERSION}) AS version FROM tag AS g
    WHERE g.collection_id = ?1 AND g.data_id_key = {_KEY}"""

#: find_many at instants in one CALIBRATION collection. Query i: data ID text :texts[i] (a
#: JSON array) at instant t = the i-th 20-character decimal of blob :times (substr of a
#: blob is O(1): no JSON to parse per query, the floor's costliest step). Rows (ord, hit)
#: for the queries whose data ID is stored, hit NULL where nothing matched, else
#: 'run_id:DATASET_ID_IN_HEX'.
#:
#: Per query: the key, then the last certification beginning at or before t, which matches
#: iff it ends after t: one probe, and two certifications of one key never overlap, so an
#: instant meets at most one (no ambiguity test). A scalar subquery returns one value, so
#: the dataset and its RUN come back as one text: a second probe for the RUN cost about a
#: quarter of the statement. The JSON rows drive the join (CROSS JOIN fixes the order:
#: without statistics the planner would rather scan the certifications and probe the JSON).
_FIND_AT_CALIBRATION = """
    SELECT q.ord, (
        SELECT CASE WHEN c.end_us > q.t THEN c.run_id || ':' || hex(c.dataset_id) END
        FROM certification AS c
        WHERE c.collection_id = :cid AND c.data_id_key = di.data_id_key AND c.begin_us <= q.t
        ORDER BY c.begin_us DESC LIMIT 1)
    FROM (SELECT j.key AS ord, j.value AS v,
                 CAST(substr(:times, j.key * 20 + 1, 20) AS INTEGER) AS t
          FROM json_each(:texts) AS j) AS q
    CROSS JOIN data_id AS di ON di.dataset_type_id = :tid AND di.value = q.v"""

#: find_many in one CALIBRATION collection when some times are timespans or None: queries
#: as JSON [[value, qb, qe], ...]; rows (ord, dataset_id, run_id, ambiguous), dataset_id NULL
#: where nothing matched. Per query: the key, then the last certification beginning before
#: qe, which matches iff it ends after qb (one probe; a second one reads its RUN); for a
#: timespan also the one before it (a second match: ambiguous).
_FIND_SPANS_CALIBRATION = """
    SELECT q.ord,
        (SELECT CASE WHEN c.end_us > q.qb THEN c.dataset_id END {last} LIMIT 1),
        (SELECT c.run_id {last} LIMIT 1),
        CASE WHEN q.qe - q.qb > 1 THEN coalesce((
            SELECT c.end_us > q.qb {last} LIMIT 1 OFFSET 1), 0) ELSE 0 END
    FROM (SELECT j.key AS ord, json_extract(j.value, '$[0]') AS v,
                 json_extract(j.value, '$[1]') AS qb, json_extract(j.value, '$[2]') AS qe
          FROM json_each(:queries) AS j) AS q
    CROSS JOIN data_id AS di ON di.dataset_type_id = :tid AND di.value = q.v
    WHERE q.qb IS NOT NULL""".format(
    last="FROM certification AS c WHERE c.collection_id = :cid"
         " AND c.data_id_key = di.data_id_key AND c.begin_us < q.qe ORDER BY c.begin_us DESC")

#: find / find_many through any search path (calib._lookup). Members and queries arrive as
#: JSON arrays; for each query the first member with any match decides (RUN / TAGGED by
#: data ID, CALIBRATION by overlap with [qb, qe), skipped when qb is null), then its dataset
#: and whether a second certification overlaps too (ambiguous). Index probes only.
_LOOKUP = """
WITH m (pos, cid, typ) AS (
    SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:members)
), q (ord, k, qb, qe) AS (
    SELECT j.key, di.data_id_key, json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
    FROM json_each(:queries) AS j
    CROSS JOIN data_id AS di
      ON di.dataset_type_id = :tid AND di.value = json_extract(j.value, '$[0]')
), h AS (
    SELECT q.ord, q.k, q.qb, q.qe, (
        SELECT m.pos FROM m
        WHERE CASE m.typ
            WHEN 'RUN' THEN EXISTS (
                SELECT 1 FROM dataset AS d WHERE d.run_id = m.cid AND d.data_id_key = q.k)
            WHEN 'TAGGED' THEN EXISTS (
                SELECT 1 FROM tag AS g WHERE g.collection_id = m.cid AND g.data_id_key = q.k)
            ELSE q.qb IS NOT NULL AND (
                SELECT c.end_us FROM certification AS c
                WHERE c.collection_id = m.cid AND c.data_id_key = q.k AND c.begin_us < q.qe
                ORDER BY c.begin_us DESC LIMIT 1) > q.qb
            END
        ORDER BY m.pos LIMIT 1) AS pos
    FROM q
), hit AS (
    SELECT h.ord, h.k, h.qb, h.qe, m.pos, CASE m.typ
        WHEN 'RUN' THEN (SELECT d.dataset_id FROM dataset AS d
                         WHERE d.run_id = m.cid AND d.data_id_key = h.k)
        WHEN 'TAGGED' THEN (SELECT g.dataset_id FROM tag AS g
                            WHERE g.collection_id = m.cid AND g.data_id_key = h.k)
        ELSE (SELECT c.dataset_id FROM certification AS c
              WHERE c.collection_id = m.cid AND c.data_id_key = h.k AND c.begin_us < h.qe
              ORDER BY c.begin_us DESC LIMIT 1)
        END AS dataset_id, CASE m.typ
        WHEN 'RUN' THEN m.cid
        WHEN 'TAGGED' THEN (SELECT g.run_id FROM tag AS g
                            WHERE g.collection_id = m.cid AND g.data_id_key = h.k)
        ELSE (SELECT c.run_id FROM certification AS c
              WHERE c.collection_id = m.cid AND c.data_id_key = h.k AND c.begin_us < h.qe
              ORDER BY c.begin_us DESC LIMIT 1)
        END AS run_id, CASE m.typ
        WHEN 'CALIBRATION' THEN coalesce((
            SELECT c.end_us > h.qb FROM certification AS c
            WHERE c.collection_id = m.cid AND c.data_id_key = h.k AND c.begin_us < h.qe
            ORDER BY c.begin_us DESC LIMIT 1 OFFSET 1), 0)
        ELSE 0 END AS ambiguous
    FROM h CROSS JOIN m ON m.pos = h.pos
)
SELECT hit.ord, hit.dataset_id, hit.run_id, hit.ambiguous, hit.pos FROM hit
"""

#: Scratch tables of one connection (the temp schema: private, never locks the file).
_TEMP_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS _ids (ord INTEGER PRIMARY KEY, id BLOB, b INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS _item (ord INTEGER PRIMARY KEY, id BLOB, t INTEGER,"
    " k INTEGER, r INTEGER, b INTEGER, e INTEGER, fb INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS _series (ord INTEGER PRIMARY KEY, id BLOB, t INTEGER,"
    " k INTEGER, r INTEGER, b INTEGER, e INTEGER, fb INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS _fb (k INTEGER PRIMARY KEY, fb INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS _ins (ord INTEGER PRIMARY KEY, id BLOB, v TEXT,"
    " rank INTEGER, k INTEGER)",
    "CREATE TEMP TABLE IF NOT EXISTS _hit (k INTEGER, t INTEGER, id BLOB, r INTEGER,"
    " b INTEGER, e INTEGER)",
)


class SqliteRegistry(Registry):
    """A calibcert database in one SQLite file (see the module docstring)."""

    backend = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: str, *, busy_timeout: float = 10.0,
                 check_schema: bool = True) -> None:
        self._conn = conn
        self._path = path
        self._busy_timeout = busy_timeout
        self._depth = 0  # 0: no transaction; 1: BEGIN IMMEDIATE; >1: savepoints inside it
        self._reading = False
        # Metadata caches for lookups, valid while the catalog version is self._cv (every
        # change of collections, chains or dataset types bumps it, by trigger; a rollback
        # can take it back, so every rollback clears the caches too).
        self._cv: int | None = None
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._types_by_id: dict[int, _Type] = {}
        self._run_names: dict[int, str] = {}
        if check_schema:
            self.check_schema()
            self._ensure_wal()
        self._probe_cursor = conn.cursor()  # plain tuples: the hot lookup path
        self._probe_cursor.row_factory = None
        # Scratch tables, created outside any transaction so that no rollback drops them.
        with self._errors():
            for ddl in _TEMP_TABLES:
                self._conn.execute(ddl)

    @classmethod
    def from_url(cls, url: str, *, busy_timeout: float = 10.0, synchronous: str = "NORMAL",
                 check_schema: bool = True) -> SqliteRegistry:
        """Open ``sqlite:///path``. The file must exist (``calibcert db upgrade`` creates
        it) unless ``check_schema=False``. ``busy_timeout``: seconds a writer waits for the
        file's write lock before LockTimeoutError."""
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(
                f"calibcert needs SQLite >= {'.'.join(map(str, MIN_SQLITE))}, "
                f"this Python has {sqlite3.sqlite_version}")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        path = os.path.abspath(sqlite_path(url))
        if check_schema and not os.path.exists(path):
            raise _schema_error(f"database file {path} does not exist", None)
        mode = "rw" if check_schema else "rwc"
        conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode={mode}", uri=True,
                               isolation_level=None, timeout=busy_timeout)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            # 32 MiB of page cache (SQLite's default is 2 MiB): bulk calls probe the dataset
            # index at random. No mmap: a mapped file counts in the client's resident memory.
            conn.execute("PRAGMA cache_size = -32768")
            return cls(conn, path, busy_timeout=busy_timeout, check_schema=check_schema)
        except BaseException:
            conn.close()
            raise

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying sqlite3 connection (for tests and tools; do not write with it)."""
        return self._conn

    @property
    def path(self) -> str:
        return self._path

    def check_schema(self) -> None:
        """Refuse a file whose schema is missing or not at HEAD_REVISION."""
        with self._errors():
            has_table = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            version = None
            if has_table:
                row = self._conn.execute("SELECT version_num FROM alembic_version").fetchone()
                version = row["version_num"] if row else None
        if version != HEAD_REVISION:
            state = "has no calibcert schema" if version is None else f"is at revision {version}"
            raise _schema_error(f"database {self._path} {state}", version)

    def _ensure_wal(self) -> None:
        # The migration sets WAL; a file restored from elsewhere may have lost it.
        with self._errors():
            if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self._conn.execute("PRAGMA journal_mode = WAL")

    # -- transactions -----------------------------------------------------------------

    def _translate(self, exc: sqlite3.Error) -> BaseException:
        """The calibcert error for a sqlite3 error, or ``exc`` itself if it is not ours."""
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            err: BaseException = LockTimeoutError(
                f"could not take the write lock of {self._path} within "
                f"{self._busy_timeout:g} s (busy timeout): another writer holds it; "
                "nothing was changed")
        elif isinstance(exc, sqlite3.IntegrityError):
            name = _constraint_of(exc)
            cls = _CONSTRAINT_CLASSES.get(name or "")
            if cls is None:
                return exc
            err = cls(str(exc), constraint=name)
        else:
            return exc
        return err

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The one place sqlite3 errors become calibcert errors (see _translate)."""
        try:
            yield
        except sqlite3.Error as exc:
            err = self._translate(exc)
            if err is exc:
                raise
            raise err from exc

    def transaction(self) -> AbstractContextManager[None]:
        """One atomic unit: BEGIN IMMEDIATE at the outermost level, a SAVEPOINT inside."""
        return self._write()

    @contextmanager
    def _write(self, bulk: bool = False) -> Iterator[None]:
        """One atomic unit (a mutating call, or a ``transaction()`` block): BEGIN IMMEDIATE
        at the outermost level, a SAVEPOINT inside a transaction. On any exception it is
        undone, and the lookup caches are dropped (a rollback can undo catalog changes).

        ``bulk``: the call writes many rows that are, by construction, copies of rows it has
        just read from their parents under the write lock (resolved datasets, a checked
        collection). At the outermost level such a call runs with SQLite's per-row
        foreign-key lookups off (the pragma cannot change inside a transaction); they would
        only repeat the reads that produced the rows, at about half the cost of the write.
        """
        if self._reading:
            raise RuntimeError("calibcert: a write cannot start inside a lookup")
        conn = self._conn
        outer = self._depth == 0
        fk_off = bulk and outer
        savepoint = f"calibcert_{self._depth}"
        try:
            if fk_off:
                conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {savepoint}")
        except sqlite3.Error as exc:
            if fk_off:
                conn.execute("PRAGMA foreign_keys = ON")
            err = self._translate(exc)
            if err is exc:
                raise
            raise err from exc
        entered = self._depth
        self._depth = entered + 1
        try:
            yield
        except BaseException as exc:
            self._depth = entered
            self._undo(outer, savepoint)
            self._invalidate()
            err = self._translate(exc) if isinstance(exc, sqlite3.Error) else exc
            if err is exc:
                raise
            raise err from exc
        else:
            self._depth = entered
            try:
                conn.execute("COMMIT" if outer else f"RELEASE {savepoint}")
            except sqlite3.Error as exc:
                self._undo(outer, savepoint)
                self._invalidate()
                err = self._translate(exc)
                if err is exc:
                    raise
                raise err from exc
        finally:
            if fk_off:
                conn.execute("PRAGMA foreign_keys = ON")

    def _undo(self, outer: bool, savepoint: str) -> None:
        if not self._conn.in_transaction:
            return  # some errors end the transaction by themselves
        if outer:
            self._conn.execute("ROLLBACK")
        else:
            self._conn.execute(f"ROLLBACK TO {savepoint}")
            self._conn.execute(f"RELEASE {savepoint}")

    @contextmanager
    def _read(self) -> Iterator[None]:
        """A consistent snapshot for a lookup of several statements (WAL: never waits)."""
        with self._errors():
            if self._depth or self._reading:
                yield
                return
            self._conn.execute("BEGIN")
            self._reading = True
            try:
                yield
            finally:
                self._reading = False
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def _invalidate(self) -> None:
        """Forget every cached fact (collections, chains, types, run names)."""
        self._cv = None
        self._plans.clear()
        self._types_by_id.clear()
        self._run_names.clear()

    def _sync(self) -> None:
        """Inside a snapshot: drop the caches if the catalog changed since they were read."""
        cv = self._one(_VERSION)[0]
        if cv != self._cv:
            self._invalidate()
            self._cv = cv

    def close(self) -> None:
        self._conn.close()

    # -- plumbing ---------------------------------------------------------------------

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self._conn.execute(sql, params).fetchone()

    def _collection(self, name: str | None, types: Sequence[str] | None = None) -> _Coll:
        """calib._collection: KC015 NULL, KC002 unknown, KC003 wrong type."""
        if name is None:
            raise _err(InvalidArgumentError, "collection name must not be NULL")
        row = self._one("SELECT collection_id, type, doc FROM collection WHERE name = ?", (name,))
        if row is None:
            raise _err(MissingCollectionError, f"collection {_ql(name)} does not exist",
                       collection=name)
        if types is not None and row["type"] not in types:
            raise _err(CollectionTypeError,
                       f"collection {_ql(name)} is {row['type']}; expected {' or '.join(types)}",
                       collection=name, type=row["type"], expected=list(types))
        return _Coll(row["collection_id"], name, row["type"], row["doc"])

    def _dataset_type(self, name: str | None, need_calibration: bool = False) -> _Type:
        """calib._dataset_type: KC015 NULL, KC005 unknown, KC006 not a calibration type."""
        if name is None:
            raise _err(InvalidArgumentError, "dataset type name must not be NULL")
        row = self._one("SELECT dataset_type_id, dimensions, is_calibration FROM dataset_type"
                        " WHERE name = ?", (name,))
        if row is None:
            raise _err(MissingDatasetTypeError, f"dataset type {_ql(name)} does not exist",
                       dataset_type=name)
        dtype = _Type(row["dataset_type_id"], name, tuple(json.loads(row["dimensions"])),
                      bool(row["is_calibration"]))
        if need_calibration and not dtype.is_calibration:
            raise _err(DatasetTypeError, f"dataset type {_ql(name)} is not a calibration type",
                       dataset_type=name)
        return dtype

    def _type_by_id(self, type_id: int) -> _Type:
        """A dataset type by id (cached: a dataset type never changes once registered)."""
        dtype = self._types_by_id.get(type_id)
        if dtype is None:
            row = self._one("SELECT name FROM dataset_type WHERE dataset_type_id = ?", (type_id,))
            dtype = self._types_by_id[type_id] = self._dataset_type(row["name"])
        return dtype

    def _run_name(self, run_id: int) -> str:
        name = self._run_names.get(run_id)
        if name is None:
            row = self._one("SELECT name FROM collection WHERE collection_id = ?", (run_id,))
            name = self._run_names[run_id] = row["name"]
        return name

    def _plan(self, collection: str, dataset_type: str) -> _Plan:
        """Collection, dataset type and search path of a lookup (KC002 / KC005 / KC015),
        cached; call inside a snapshot after :meth:`_sync`."""
        plan = self._plans.get((collection, dataset_type))
        if plan is None:
            coll = self._collection(collection)
            dtype = self._dataset_type(dataset_type)
            members = tuple(_Member(r["id"], r["name"], r["type"]) for r in self._members(coll.id))
            plan = _Plan(coll, dtype, _DataIds(dtype), members)
            self._plans[(collection, dataset_type)] = plan
        return plan

    def _data_id_values(self, keys: Iterable[int]) -> dict[int, dict[str, Any]]:
        rows = self._q("SELECT data_id_key, value FROM data_id WHERE data_id_key"
                       " IN (SELECT value FROM json_each(?))", (json.dumps(sorted(set(keys))),))
        return {r["data_id_key"]: json.loads(r["value"]) for r in rows}

    def _data_id_keys(self, dtype: _Type, data_ids: list[dict[str, Any]] | None) -> str | None:
        """calib._data_id_keys: validate the data IDs (KC008) and return the keys of those
        ever stored, as a JSON array for ``IN (SELECT value FROM json_each(?))``; None
        when no filter was given."""
        if data_ids is None:
            return None
        texts = _DataIds(dtype).texts(data_ids)
        rows = self._q("SELECT di.data_id_key FROM json_each(?) AS j CROSS JOIN data_id AS di"
                       " ON di.dataset_type_id = ? AND di.value = j.value",
                       (json.dumps(texts), dtype.id))
        return json.dumps([r["data_id_key"] for r in rows])

    def _stage_ids(self, ids: Sequence[uuid.UUID], begins: Sequence[int] | None = None) -> None:
        """Put the call's dataset ids (and begins) into temp table _ids, in input order."""
        self._conn.execute("DELETE FROM _ids")
        if begins is None:
            self._conn.executemany("INSERT INTO _ids (ord, id) VALUES (?, ?)",
                                   enumerate(_id_bytes(ids), 1))
        else:
            self._conn.executemany(
                "INSERT INTO _ids (ord, id, b) VALUES (?, ?, ?)",
                ((i, u, b) for i, (u, b) in enumerate(zip(_id_bytes(ids), begins, strict=True),
                                                      1)))

    def _resolve(self, table: str = "_item", b: int | None = None, e: int | None = None) -> None:
        """calib._resolve_datasets: dataset type, data-ID key and RUN of every staged id
        into ``table`` (one join); KC007 names the first unknown id in input order."""
        self._conn.execute(f"DELETE FROM {table}")
        self._conn.execute(
            f"INSERT INTO {table} (ord, id, t, k, r, b, e, fb)"
            " SELECT i.ord, i.id, d.dataset_type_id, d.data_id_key, d.run_id, coalesce(i.b, :b),"
            " :e, coalesce(i.b, :b)"
            " FROM _ids AS i LEFT JOIN dataset AS d ON d.dataset_id = i.id",
            {"b": b, "e": e})
        missing = self._one(f"SELECT id FROM {table} WHERE k IS NULL ORDER BY ord LIMIT 1")
        if missing is not None:
            ds = _uuid(missing["id"])
            raise _err(MissingDatasetError, f"dataset {ds} does not exist", dataset=str(ds))

    # -- collections ------------------------------------------------------------------

    def _register_collection(self, name: str, type: str, doc: str | None) -> bool:
        with self._write():
            row = self._one("SELECT type FROM collection WHERE name = ?", (name,))
            if row is not None:
                if row["type"] != type:
                    raise _err(ConflictingDefinitionError,
                               f"collection {_ql(name)} already exists as {row['type']}, "
                               f"not {type}",
                               collection=name, type=row["type"], requested=type)
                return False
            self._conn.execute("INSERT INTO collection (name, type, doc) VALUES (?, ?, ?)",
                               (name, type, doc))
            return True

    def _set_chain(self, parent: str, children: list[str]) -> None:
        with self._write():
            self._invalidate()
            p = self._collection(parent, ("CHAINED",))
            rows = self._q("SELECT j.value AS name, c.collection_id AS id FROM json_each(?) AS j"
                           " LEFT JOIN collection AS c ON c.name = j.value ORDER BY j.key",
                           (json.dumps(children),))
            ids: list[int] = []
            for r in rows:
                if r["id"] is None:
                    raise _err(MissingCollectionError,
                               f"collection {_ql(r['name'])} (child of chain {_ql(parent)}) "
                               "does not exist", collection=r["name"], parent=parent)
                if r["id"] not in ids:  # a repeated child keeps its first position
                    ids.append(r["id"])
            via = self._cycle_via(p.id, ids)
            if via is not None:
                raise _err(CollectionCycleError,
                           f"making {_ql(via)} a child of chain {_ql(parent)} would create a "
                           "cycle", collection=parent, child=via)
            self._conn.execute("DELETE FROM collection_chain WHERE parent_id = ?", (p.id,))
            self._conn.executemany(
                "INSERT INTO collection_chain (parent_id, position, child_id) VALUES (?, ?, ?)",
                ((p.id, pos, cid) for pos, cid in enumerate(ids, 1)))

    def _cycle_via(self, parent_id: int, ids: list[int]) -> str | None:
        """The first new child (in order) from which ``parent_id`` can be reached through
        the stored chains, i.e. that would close a cycle; None if there is none."""
        edges: dict[int, list[int]] = {}
        for r in self._q("SELECT parent_id, child_id FROM collection_chain"):
            edges.setdefault(r["parent_id"], []).append(r["child_id"])
        for via in ids:
            seen, todo = {via}, [via]
            while todo:
                cid = todo.pop()
                if cid == parent_id:
                    return self._one("SELECT name FROM collection WHERE collection_id = ?",
                                     (via,))["name"]
                for child in edges.get(cid, ()):
                    if child not in seen:
                        seen.add(child)
                        todo.append(child)
        return None

    def _get_chain(self, parent: str) -> list[str]:
        with self._read():
            p = self._collection(parent, ("CHAINED",))
            return [r["name"] for r in self._q(
                "SELECT c.name FROM collection_chain AS ch"
                " JOIN collection AS c ON c.collection_id = ch.child_id"
                " WHERE ch.parent_id = ? ORDER BY ch.position", (p.id,))]

    def _remove_collection(self, name: str) -> None:
        with self._write():
            self._invalidate()
            coll = self._collection(name)
            parent = self._one("SELECT p.name FROM collection_chain AS ch"
                               " JOIN collection AS p ON p.collection_id = ch.parent_id"
                               " WHERE ch.child_id = ? ORDER BY p.name LIMIT 1", (coll.id,))
            if parent is not None:
                raise _err(CollectionInUseError,
                           f"collection {_ql(name)} is still a child of chain "
                           f"{_ql(parent['name'])}", collection=name, parent=parent["name"])
            if coll.type == "RUN" and self._one("SELECT 1 FROM dataset WHERE run_id = ? LIMIT 1",
                                                (coll.id,)):
                raise _err(CollectionInUseError,
                           f"RUN collection {_ql(name)} still holds datasets; datasets are never "
                           "deleted", collection=name)
            # Tags, certifications and chain children go with it (ON DELETE CASCADE).
            self._conn.execute("DELETE FROM collection WHERE collection_id = ?", (coll.id,))

    def _list_collections(self, type: str | None) -> list[CollectionInfo]:
        rows = self._q("SELECT name, type, doc FROM collection WHERE ? IS NULL OR type = upper(?)"
                       " ORDER BY name", (type, type))
        return [CollectionInfo(r["name"], CollectionType(r["type"]), r["doc"]) for r in rows]

    def _copy_collection(self, source: str, destination: str, doc: str | None) -> None:
        with self._write(bulk=True):
            self._invalidate()
            src = self._collection(source, ("TAGGED", "CALIBRATION", "CHAINED"))
            if self._one("SELECT 1 FROM collection WHERE name = ?", (destination,)):
                raise _err(ConflictingDefinitionError,
                           f"collection {_ql(destination)} already exists",
                           collection=destination)
            cur = self._conn.execute("INSERT INTO collection (name, type, doc) VALUES (?, ?, ?)",
                                     (destination, src.type, src.doc if doc is None else doc))
            dst = cur.lastrowid
            if src.type == "CALIBRATION":
                self._conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us)"
                    " SELECT ?, dataset_type_id, data_id_key, dataset_id, run_id, begin_us,"
                    " end_us FROM certification WHERE collection_id = ?", (dst, src.id))
            elif src.type == "TAGGED":
                self._conn.execute(
                    "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id,"
                    " run_id) SELECT ?, dataset_type_id, data_id_key, dataset_id, run_id FROM tag"
                    " WHERE collection_id = ?", (dst, src.id))
            else:
                self._conn.execute(
                    "INSERT INTO collection_chain (parent_id, position, child_id)"
                    " SELECT ?, position, child_id FROM collection_chain WHERE parent_id = ?",
                    (dst, src.id))

    # -- dataset types and datasets ----------------------------------------------------

    def _register_dataset_type(self, name: str, dimensions: tuple[str, ...],
                               is_calibration: bool) -> bool:
        with self._write():
            row = self._one("SELECT dimensions, is_calibration FROM dataset_type WHERE name = ?",
                            (name,))
            if row is not None:
                dims = tuple(json.loads(row["dimensions"]))
                is_cal = bool(row["is_calibration"])
                if dims != tuple(dimensions) or is_cal != is_calibration:
                    raise _err(ConflictingDefinitionError,
                               f"dataset type {_ql(name)} already exists with dimensions "
                               f"{_pg_array_text(dims)}, is_calibration={'t' if is_cal else 'f'}",
                               dataset_type=name, dimensions=list(dims), is_calibration=is_cal)
                return False
            self._conn.execute(
                "INSERT INTO dataset_type (name, dimensions, is_calibration) VALUES (?, ?, ?)",
                (name, json.dumps(list(dimensions)), int(is_calibration)))
            return True

    def _list_dataset_types(self) -> list[DatasetTypeInfo]:
        rows = self._q("SELECT name, dimensions, is_calibration FROM dataset_type ORDER BY name")
        return [DatasetTypeInfo(r["name"], tuple(json.loads(r["dimensions"])),
                                bool(r["is_calibration"])) for r in rows]

    def _insert_datasets(self, dataset_type: str, run: str, data_ids: list[dict[str, Any]],
                         ids: list[uuid.UUID] | None) -> list[DatasetRef]:
        # An empty batch still checks the dataset type and the RUN (as PostgreSQL does).
        with self._write(bulk=len(data_ids) >= BULK_ROWS):
            dtype = self._dataset_type(dataset_type)
            coll = self._collection(run, ("RUN",))
            enc = _DataIds(dtype)
            texts = enc.texts(data_ids)
            if ids is None:
                ids = [uuid.uuid4() for _ in texts]
            self._check_new_datasets(dataset_type, run, data_ids, texts, ids)
            self._stage_datasets(enc, data_ids, texts, ids)
            self._check_existing_datasets(dtype, coll, ids)
            # Every rule holds: intern the new data IDs (in the PostgreSQL client's order),
            # then store the datasets.
            self._conn.execute(
                "INSERT INTO data_id (dataset_type_id, value)"
                " SELECT ?, v FROM _ins WHERE k IS NULL ORDER BY rank", (dtype.id,))
            self._conn.execute(
                "UPDATE _ins SET k = (SELECT di.data_id_key FROM data_id AS di"
                " WHERE di.dataset_type_id = ? AND di.value = _ins.v) WHERE k IS NULL", (dtype.id,))
            self._conn.execute(
                "INSERT INTO dataset (dataset_id, dataset_type_id, data_id_key, run_id)"
                " SELECT id, ?, k, ? FROM _ins ORDER BY ord", (dtype.id, coll.id))
        return [DatasetRef(u, dataset_type, dict(d), run)
                for u, d in zip(ids, data_ids, strict=True)]

    @staticmethod
    def _check_new_datasets(dataset_type: str, run: str, data_ids: list[dict[str, Any]],
                            texts: list[str], ids: list[uuid.UUID]) -> None:
        """Rules within the call: no data ID twice, no id twice (KC010). Of several
        repeated values, the one that first appears earliest is named (as in SQL)."""
        i = _first_repeated(texts)
        if i is not None:
            d = data_ids[i]
            raise _err(ConflictingDefinitionError,
                       f"data ID {_jsonb_text(d)} of dataset type {_ql(dataset_type)} appears "
                       "more than once in one call",
                       dataset_type=dataset_type, data_id=d, collection=run)
        i = _first_repeated(ids)
        if i is not None:
            raise _err(ConflictingDefinitionError,
                       f"dataset id {ids[i]} appears more than once in one call",
                       dataset=str(ids[i]))

    def _stage_datasets(self, enc: _DataIds, data_ids: list[dict[str, Any]], texts: list[str],
                        ids: list[uuid.UUID]) -> None:
        """Fill _ins with (ord, id, canonical text, interning rank, known key)."""
        rank = [0] * len(texts)
        for start in range(0, len(texts), PG_CHUNK):
            chunk = sorted(range(start, min(start + PG_CHUNK, len(texts))),
                           key=lambda i: enc.jsonb_sort_key(data_ids[i]))
            for r, i in enumerate(chunk, start):
                rank[i] = r
        self._conn.execute("DELETE FROM _ins")
        self._conn.executemany("INSERT INTO _ins (ord, id, v, rank) VALUES (?, ?, ?, ?)",
                               ((i, u.bytes, v, r)
                                for i, (u, v, r) in enumerate(zip(ids, texts, rank, strict=True),
                                                              1)))
        self._conn.execute(
            "UPDATE _ins SET k = (SELECT di.data_id_key FROM data_id AS di"
            " WHERE di.dataset_type_id = ? AND di.value = _ins.v)", (enc.dtype.id,))

    def _check_existing_datasets(self, dtype: _Type, coll: _Coll, ids: list[uuid.UUID]) -> None:
        """Rules against stored datasets: an id already used, a data ID already in the RUN."""
        row = self._one("SELECT i.id FROM _ins AS i CROSS JOIN dataset AS d ON d.dataset_id = i.id"
                        " ORDER BY i.id LIMIT 1")
        if row is not None:
            u = _uuid(row["id"])
            raise _err(ConflictingDefinitionError, f"dataset id {u} already exists",
                       dataset=str(u))
        row = self._one("SELECT i.v FROM _ins AS i CROSS JOIN dataset AS d"
                        " ON d.run_id = ? AND d.data_id_key = i.k ORDER BY i.k LIMIT 1",
                        (coll.id,))
        if row is not None:
            dup = json.loads(row["v"])
            raise _err(ConflictingDefinitionError,
                       f"RUN {_ql(coll.name)} already has a {_ql(dtype.name)} dataset with "
                       f"data ID {_jsonb_text(dup)}",
                       collection=coll.name, dataset_type=dtype.name, data_id=dup)

    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef]:
        with self._read():
            self._stage_ids(ids)
            self._resolve()
            rows = self._q(
                "SELECT i.id, t.name AS type, di.value, r.name AS run FROM _item AS i"
                " CROSS JOIN dataset AS d ON d.dataset_id = i.id"
                " CROSS JOIN dataset_type AS t ON t.dataset_type_id = d.dataset_type_id"
                " CROSS JOIN data_id AS di ON di.data_id_key = d.data_id_key"
                " CROSS JOIN collection AS r ON r.collection_id = d.run_id ORDER BY i.ord")
        return [DatasetRef(_uuid(r["id"]), r["type"], json.loads(r["value"]), r["run"])
                for r in rows]

    def _query_datasets(self, collection: str, dataset_type: str,
                        where: dict[str, Any] | None) -> list[DatasetRef]:
        with self._read():
            coll = self._collection(collection, ("RUN", "TAGGED", "CHAINED"))
            dtype = self._dataset_type(dataset_type)
            members = self._members(coll.id)
            rows = self._q(
                """
                WITH m (pos, cid, typ) AS (
                    SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]')
                    FROM json_each(:members)
                ), hits (pos, dataset_id, k, run_id) AS (
                    SELECT m.pos, d.dataset_id, d.data_id_key, d.run_id FROM m
                    CROSS JOIN dataset AS d ON d.run_id = m.cid AND d.dataset_type_id = :tid
                    WHERE m.typ = 'RUN'
                    UNION ALL
                    SELECT m.pos, g.dataset_id, g.data_id_key, g.run_id FROM m
                    CROSS JOIN tag AS g ON g.collection_id = m.cid AND g.dataset_type_id = :tid
                    WHERE m.typ = 'TAGGED'
                ), firsts AS (
                    -- SQLite takes the bare columns from the row holding min(pos).
                    SELECT k, dataset_id, run_id, min(pos) FROM hits GROUP BY k
                )
                SELECT f.dataset_id, di.value, r.name AS run FROM firsts AS f
                CROSS JOIN data_id AS di ON di.data_id_key = f.k
                CROSS JOIN collection AS r ON r.collection_id = f.run_id
                ORDER BY f.k
                """,
                {"members": json.dumps([[m["id"], m["type"]] for m in members]),
                 "tid": dtype.id})
        out = []
        for r in rows:
            value = json.loads(r["value"])
            # jsonb containment (value @> where) of flat objects of strings and integers.
            if where is None or all(k in value and value[k] == v
                                    and isinstance(value[k], str) == isinstance(v, str)
                                    for k, v in where.items()):
                out.append(DatasetRef(_uuid(r["dataset_id"]), dataset_type, value, r["run"]))
        return out

    def _tag(self, collection: str, ids: list[uuid.UUID]) -> int:
        with self._write():
            coll = self._collection(collection, ("TAGGED",))
            self._stage_ids(ids)
            self._resolve()
            self._check_tag_clash(coll)
            return self._conn.execute(
                "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id, run_id)"
                " SELECT DISTINCT ?, i.t, i.k, i.id, i.r FROM _item AS i"
                " WHERE NOT EXISTS (SELECT 1 FROM tag AS g"
                "                   WHERE g.collection_id = ? AND g.data_id_key = i.k)",
                (coll.id, coll.id)).rowcount

    def _check_tag_clash(self, coll: _Coll) -> None:
        """KC010: two datasets of one (type, data ID) in the call, or one already tagged.
        Of several, as in SQL: clashes within the call first, then by key and ids."""
        clash = self._one(
            "SELECT k, min(id) AS id FROM (SELECT DISTINCT k, id FROM _item) GROUP BY k"
            " HAVING count(*) > 1 ORDER BY k LIMIT 1")
        if clash is not None:
            other = self._one("SELECT min(id) AS id FROM _item WHERE k = ? AND id > ?",
                              (clash["k"], clash["id"]))
            a, b, k = clash["id"], other["id"], clash["k"]
        else:
            clash = self._one(
                "SELECT i.id, g.dataset_id AS other, i.k FROM _item AS i CROSS JOIN tag AS g"
                " ON g.collection_id = ? AND g.data_id_key = i.k AND g.dataset_id <> i.id"
                " ORDER BY i.k, i.id, g.dataset_id LIMIT 1", (coll.id,))
            if clash is None:
                return
            a, b, k = clash["id"], clash["other"], clash["k"]
        row = self._one("SELECT di.value, t.name FROM data_id AS di"
                        " JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id"
                        " WHERE di.data_id_key = ?", (k,))
        value = json.loads(row["value"])
        raise _err(ConflictingDefinitionError,
                   f"TAGGED collection {_ql(coll.name)} can hold only one {_ql(row['name'])} "
                   f"dataset with data ID {_jsonb_text(value)}: {_uuid(a)} and {_uuid(b)}",
                   collection=coll.name, dataset_type=row["name"], data_id=value,
                   dataset=str(_uuid(a)), conflicting_dataset=str(_uuid(b)))

    def _untag(self, collection: str, ids: list[uuid.UUID]) -> int:
        with self._write():
            coll = self._collection(collection, ("TAGGED",))
            self._stage_ids(ids)
            self._resolve()
            return self._conn.execute(
                "DELETE FROM tag WHERE collection_id = ? AND dataset_id IN (SELECT id FROM _item)",
                (coll.id,)).rowcount

    # -- certification ----------------------------------------------------------------

    def _certify(self, collection: str, ids: list[uuid.UUID], timespan: Timespan,
                 close_open: bool) -> int:
        b, e = _begin_us(timespan.begin), _end_us(timespan.end)
        with self._write(bulk=len(ids) >= BULK_ROWS):
            coll = self._collection(collection, ("CALIBRATION",))
            if len(ids) <= FEW and self._certify_few(coll, ids, [b] * len(ids), e, close_open):
                return len(ids)
            self._stage_ids(ids)
            self._resolve("_item", b, e)
            self._check_calibration_types(coll, "_item")
            return self._certify_rows(coll, "_item", close_open, series=False)

    def _certify_series(self, collection: str, ids: list[uuid.UUID],
                        begins: list[datetime | None], close_open: bool) -> int:
        with self._write(bulk=len(ids) >= BULK_ROWS):
            coll = self._collection(collection, ("CALIBRATION",))
            if len(ids) != len(begins):
                raise _err(InvalidArgumentError,
                           f"certify_series into {_ql(collection)} needs one begin per dataset "
                           f"({len(ids)} datasets, {len(begins)} begins)", collection=collection)
            begins_us = [_begin_us(b) for b in begins]
            if len(ids) <= FEW and self._certify_few(coll, ids, begins_us, None, close_open):
                return len(ids)
            self._stage_ids(ids, begins_us)
            self._resolve("_series")
            self._check_calibration_types(coll, "_series")
            self._check_series_begins(coll)
            # Each end is the next begin of the same key, the last one unbounded; fb is the
            # key's first begin (what close_open closes a stored open row at).
            self._conn.execute("DELETE FROM _item")
            self._conn.execute(
                "INSERT INTO _item (ord, id, t, k, r, b, e, fb)"
                " SELECT ord, id, t, k, r, b,"
                "        lead(b, 1, :max) OVER (PARTITION BY k ORDER BY b),"
                "        min(b) OVER (PARTITION BY k)"
                " FROM _series", {"max": MAX_US})
            return self._certify_rows(coll, "_item", close_open, series=True)

    def _certify_few(self, coll: _Coll, ids: list[uuid.UUID], begins: list[int],
                     end: int | None, close_open: bool) -> bool:
        """certify (``end`` given) or certify_series (``end`` None) of a few datasets
        without scratch tables: one statement resolves the datasets, one checks every
        overlap, then the writes. If any rule fails, nothing has been written and False
        sends the call to the general path, which finds and reports the error exactly."""
        blobs = list(_id_bytes(ids))
        found = self._resolve_few(blobs)
        rows: list[tuple[bytes, int, int, int, int]] = []  # (id, type, key, run, begin)
        for u, b in zip(blobs, begins, strict=True):
            hit = found.get(u)
            if hit is None or not self._type_by_id(hit[0]).is_calibration:
                return False
            rows.append((u, *hit, b))
        by_key: dict[int, list[int]] = {}
        for _, _, k, _, b in rows:
            by_key.setdefault(k, []).append(b)
        if end is not None and len(by_key) < len(rows):
            return False  # two datasets of one key: they overlap each other
        ends: dict[tuple[int, int], int] = {}
        for k, bs in by_key.items():
            bs.sort()
            if len(set(bs)) < len(bs):
                return False  # a series with two begins of one key
            for i, b in enumerate(bs):
                ends[(k, b)] = end if end is not None else (bs[i + 1] if i + 1 < len(bs)
                                                            else MAX_US)
        items = [[k, b, ends[(k, b)], by_key[k][0]] for _, _, k, _, b in rows]
        if len(items) == 1:  # one probe, no JSON: the common one-dataset call
            k, b, e, fb = items[0]
            last = self._one("SELECT begin_us, end_us FROM certification WHERE collection_id = ?"
                             " AND data_id_key = ? AND begin_us < ? ORDER BY begin_us DESC"
                             " LIMIT 1", (coll.id, k, e))
            if last is not None and (
                    fb if close_open and last[1] == MAX_US and last[0] < fb else last[1]) > b:
                return False
        elif self._one(_STORED_OVERLAP_JSON, {"items": json.dumps(items), "cid": coll.id,
                                              "close_open": int(close_open)}):
            return False
        if close_open:
            self._conn.executemany(
                "UPDATE certification SET end_us = :fb WHERE collection_id = :cid"
                " AND data_id_key = :k AND end_us = :max AND begin_us < :fb",
                [{"fb": bs[0], "cid": coll.id, "k": k, "max": MAX_US}
                 for k, bs in by_key.items()])
        self._conn.executemany(
            "INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
            " run_id, begin_us, end_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(coll.id, t, k, u, r, b, ends[(k, b)]) for u, t, k, r, b in rows])
        return True

    def _resolve_few(self, ids: list[bytes]) -> dict[bytes, tuple[int, int, int]]:
        """Dataset type, data-ID key and RUN of a few datasets, by id (one statement; the
        placeholder count is rounded up to a power of two so few statements are cached)."""
        if not ids:
            return {}
        width = 1 << (len(ids) - 1).bit_length()
        params = ids + [ids[0]] * (width - len(ids))
        rows = self._q("SELECT dataset_id, dataset_type_id, data_id_key, run_id FROM dataset"
                       f" WHERE dataset_id IN ({','.join('?' * width)})", params)
        return {r["dataset_id"]: (r["dataset_type_id"], r["data_id_key"], r["run_id"])
                for r in rows}

    def _check_calibration_types(self, coll: _Coll, table: str) -> None:
        """KC006: every dataset must be of a calibration type."""
        types = [r["t"] for r in self._q(f"SELECT DISTINCT t FROM {table}")]
        row = self._one("SELECT name FROM dataset_type WHERE NOT is_calibration"
                        " AND dataset_type_id IN (SELECT value FROM json_each(?))"
                        " ORDER BY dataset_type_id LIMIT 1", (json.dumps(types),))
        if row is not None:
            raise _err(DatasetTypeError,
                       f"dataset type {_ql(row['name'])} is not a calibration type and cannot be "
                       "certified", dataset_type=row["name"], collection=coll.name)

    def _check_series_begins(self, coll: _Coll) -> None:
        """KC001 for two items of one calibration key with the same begin."""
        if self._one("SELECT 1 FROM _series GROUP BY k, b HAVING count(*) > 1 LIMIT 1") is None:
            return
        rows = self._q(
            "SELECT s.k, s.b, s.id FROM _series AS s CROSS JOIN ("
            "  SELECT k, b, min(ord) AS first FROM _series GROUP BY k, b HAVING count(*) > 1"
            ") AS g ON g.k = s.k AND g.b = s.b ORDER BY g.first, s.ord")
        groups: dict[tuple[int, int], list[bytes]] = {}
        for r in rows:
            groups.setdefault((r["k"], r["b"]), []).append(r["id"])
        keys = {k for k, _ in groups}
        values = self._data_id_values(keys)
        names = self._key_type_names(keys)
        conflicts = []
        for (k, b), members in groups.items():
            span = _span_json(b, MAX_US)
            conflicts.append({"dataset_type": names[k], "data_id": values[k],
                              "dataset": str(_uuid(members[0])), "timespan": span,
                              "conflicting_dataset": str(_uuid(members[1])),
                              "conflicting_timespan": span})
        first = conflicts[0]
        raise _err(ConflictingCertificationError,
                   f"certify_series into {_ql(coll.name)}: {first['dataset_type']} data ID "
                   f"{_jsonb_text(first['data_id'])} has two items beginning at "
                   f"{first['timespan'][0] or '-infinity'}",
                   collection=coll.name, conflicts=conflicts)

    def _key_type_names(self, keys: Iterable[int]) -> dict[int, str]:
        rows = self._q("SELECT di.data_id_key, t.name FROM data_id AS di"
                       " JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id"
                       " WHERE di.data_id_key IN (SELECT value FROM json_each(?))",
                       (json.dumps(sorted(set(keys))),))
        return {r["data_id_key"]: r["name"] for r in rows}

    def _certify_rows(self, coll: _Coll, table: str, close_open: bool, series: bool) -> int:
        """calib._certify_rows after the resolution: the rows of ``table`` (ord, id, t, k,
        b, e, fb) must not overlap a stored certification of their key (as it will be after
        close_open) nor, for certify, another row of the same key. Checked first; then
        close_open's update and one INSERT."""
        params = {"cid": coll.id, "close_open": int(close_open)}
        in_batch = not series and self._one(
            f"SELECT 1 FROM {table} GROUP BY k HAVING count(*) > 1 LIMIT 1") is not None
        stored = self._one(f"SELECT 1 FROM {table} AS r WHERE {_STORED_OVERLAP} LIMIT 1",
                           params) is not None
        if in_batch or stored:
            self._raise_conflicts(coll, table, params, in_batch)
        if close_open:
            self._conn.execute("DELETE FROM _fb")
            self._conn.execute(f"INSERT INTO _fb (k, fb) SELECT k, min(fb) FROM {table} GROUP BY k")
            self._conn.execute(
                "UPDATE certification SET end_us = (SELECT f.fb FROM _fb AS f"
                "                                   WHERE f.k = certification.data_id_key)"
                " WHERE collection_id = :cid AND end_us = :max"
                "   AND data_id_key IN (SELECT k FROM _fb)"
                "   AND begin_us < (SELECT f.fb FROM _fb AS f"
                "                   WHERE f.k = certification.data_id_key)",
                {"cid": coll.id, "max": MAX_US})
        return self._conn.execute(
            "INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
            " run_id, begin_us, end_us)"
            f" SELECT :cid, t, k, id, r, b, e FROM {table} ORDER BY ord",
            {"cid": coll.id}).rowcount

    def _raise_conflicts(self, coll: _Coll, table: str, params: dict[str, Any],
                         in_batch: bool) -> None:
        """KC001 with the conflicts listed as calib._certification_conflicts does: by new
        item order, stored rows (by begin) before later items of the call, at most 100."""
        if in_batch:
            self._conn.execute(f"CREATE INDEX IF NOT EXISTS temp.{table}_k ON {table} (k, ord)")
        batch_overlap = (f"EXISTS (SELECT 1 FROM {table} AS x WHERE x.k = r.k AND x.ord > r.ord"
                         "        AND x.b < r.e AND r.b < x.e)") if in_batch else "0"
        items = self._q(
            f"SELECT r.ord, r.id, r.k, r.b, r.e, r.fb FROM {table} AS r"
            f" WHERE {_STORED_OVERLAP} OR {batch_overlap} ORDER BY r.ord LIMIT :limit",
            {**params, "limit": MAX_CONFLICTS})
        pairs: list[tuple[sqlite3.Row, bytes, int, int]] = []
        for r in items:
            left = MAX_CONFLICTS - len(pairs)
            if left <= 0:
                break
            q = {**params, "k": r["k"], "b": r["b"], "e": r["e"], "fb": r["fb"], "limit": left}
            for c in self._q(
                    f"SELECT c.dataset_id, c.begin_us, {_effective_end(':fb')}"
                    "        AS end_us"
                    " FROM certification AS c"
                    " WHERE c.collection_id = :cid AND c.data_id_key = :k AND c.begin_us < :e"
                    "   AND c.begin_us >= coalesce((SELECT c2.begin_us FROM certification AS c2"
                    "        WHERE c2.collection_id = :cid AND c2.data_id_key = :k"
                    "          AND c2.begin_us <= :b ORDER BY c2.begin_us DESC LIMIT 1), :min)"
                    f"  AND {_effective_end(':fb')} > :b"
                    " ORDER BY c.begin_us LIMIT :limit", {**q, "min": MIN_US}):
                pairs.append((r, c["dataset_id"], c["begin_us"], c["end_us"]))
            if in_batch and len(pairs) < MAX_CONFLICTS:
                q["limit"] = MAX_CONFLICTS - len(pairs)
                for x in self._q(
                        f"SELECT x.id, x.b, x.e FROM {table} AS x WHERE x.k = :k"
                        " AND x.ord > :ord AND x.b < :e AND :b < x.e ORDER BY x.ord LIMIT :limit",
                        {**q, "ord": r["ord"]}):
                    pairs.append((r, x["id"], x["b"], x["e"]))
        keys = {r["k"] for r, *_ in pairs}
        values = self._data_id_values(keys)
        names = self._key_type_names(keys)
        conflicts = [{"dataset_type": names[r["k"]], "data_id": values[r["k"]],
                      "dataset": str(_uuid(r["id"])), "timespan": _span_json(r["b"], r["e"]),
                      "conflicting_dataset": str(_uuid(other)),
                      "conflicting_timespan": _span_json(ob, oe)}
                     for r, other, ob, oe in pairs]
        if not conflicts:  # unreachable while writers are serialized; said as SQL says it
            raise _err(ConflictingCertificationError,
                       f"certification into {_ql(coll.name)} conflicts with a concurrent writer",
                       collection=coll.name, conflicts=[])
        first = conflicts[0]
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise _err(ConflictingCertificationError,
                   f"certification into {_ql(coll.name)} conflicts: {first['dataset_type']} "
                   f"data ID {_jsonb_text(first['data_id'])}, dataset {first['dataset']} over "
                   f"{_span_text(first['timespan'])} overlaps dataset "
                   f"{first['conflicting_dataset']} over "
                   f"{_span_text(first['conflicting_timespan'])}{more}",
                   collection=coll.name, conflicts=conflicts)

    def _decertify(self, collection: str, dataset_type: str, timespan: Timespan,
                   data_ids: list[dict[str, Any]] | None) -> int:
        b, e = _begin_us(timespan.begin), _end_us(timespan.end)
        with self._write():
            coll = self._collection(collection, ("CALIBRATION",))
            dtype = self._dataset_type(dataset_type, need_calibration=True)
            keys = self._data_id_keys(dtype, data_ids)
            self._conn.execute("DELETE FROM _hit")
            self._conn.execute(
                "INSERT INTO _hit (k, t, id, r, b, e)"
                " SELECT data_id_key, dataset_type_id, dataset_id, run_id, begin_us, end_us"
                " FROM certification"
                " WHERE collection_id = :cid AND dataset_type_id = :tid"
                "   AND end_us > :b AND begin_us < :e"
                "   AND (:keys IS NULL OR data_id_key IN (SELECT value FROM json_each(:keys)))",
                {"cid": coll.id, "tid": dtype.id, "b": b, "e": e, "keys": keys})
            n = self._one("SELECT count(*) AS n FROM _hit")["n"]
            if n:
                # Remove the rows, then store what is left of each outside [b, e): the part
                # before b and the part after e (a containing row leaves both).
                self._conn.execute(
                    "DELETE FROM certification WHERE collection_id = ?"
                    " AND (data_id_key, begin_us) IN (SELECT k, b FROM _hit)", (coll.id,))
                self._conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us)"
                    " SELECT :cid, t, k, id, r, b, :b FROM _hit WHERE b < :b"
                    " UNION ALL"
                    " SELECT :cid, t, k, id, r, :e, e FROM _hit WHERE e > :e",
                    {"cid": coll.id, "b": b, "e": e})
            return n

    def _close_open_range(self, collection: str, dataset_type: str, end: datetime,
                          data_ids: list[dict[str, Any]] | None) -> int:
        end_us = _to_us(end)
        with self._write():
            coll = self._collection(collection, ("CALIBRATION",))
            dtype = self._dataset_type(dataset_type, need_calibration=True)
            keys = self._data_id_keys(dtype, data_ids)
            where = ("collection_id = :cid AND dataset_type_id = :tid AND end_us = :max"
                     " AND (:keys IS NULL OR data_id_key IN (SELECT value FROM json_each(:keys)))")
            params = {"cid": coll.id, "tid": dtype.id, "max": MAX_US, "keys": keys, "end": end_us}
            bad = self._one(f"SELECT dataset_id, data_id_key, begin_us FROM certification"
                            f" WHERE {where} AND begin_us >= :end"
                            " ORDER BY begin_us, data_id_key LIMIT 1", params)
            if bad is not None:
                data_id = self._data_id_values([bad["data_id_key"]])[bad["data_id_key"]]
                ds = _uuid(bad["dataset_id"])
                raise _err(InvalidTimespanError,
                           f"cannot close {_ql(dataset_type)} data ID {_jsonb_text(data_id)} in "
                           f"{_ql(collection)} at {_ts_text(end_us)}: dataset {ds} begins at "
                           f"{_ts_text(bad['begin_us'])}",
                           collection=collection, dataset_type=dataset_type, data_id=data_id,
                           dataset=str(ds), timespan=_span_json(bad["begin_us"], MAX_US))
            return self._conn.execute(f"UPDATE certification SET end_us = :end WHERE {where}",
                                      params).rowcount

    # -- lookups ----------------------------------------------------------------------

    def _members(self, collection_id: int) -> list[sqlite3.Row]:
        """calib._flatten: (id, name, type) of the collections searched, in order."""
        return self._q(_FLATTEN, {"root": collection_id, "max_depth": MAX_CHAIN_DEPTH})

    def _find_many(self, collection: str, dataset_type: str, data_ids: list[dict[str, Any]],
                   times: list[At]) -> list[DatasetRef | None]:
        if len(data_ids) == 1:
            found = self._find_cached(collection, dataset_type, data_ids[0], times[0])
            if found is not _MISS:
                return [found]  # type: ignore[list-item]
        with self._read():
            self._sync()
            plan = self._plan(collection, dataset_type)
            texts = self._data_id_texts(plan.enc, data_ids)
            members = plan.members
            if len(members) == 1 and members[0].type == "CALIBRATION":
                if all(isinstance(at, datetime) for at in times):
                    return self._find_at(plan, data_ids, texts, times)  # type: ignore[arg-type]
                sql, params = _FIND_SPANS_CALIBRATION, {"cid": members[0].id}
            else:
                sql, params = _LOOKUP, {"members": json.dumps([[m.id, m.type] for m in members])}
            params["tid"] = plan.dtype.id
            params["queries"] = json.dumps(
                [[text, *_query_span(at)] for text, at in zip(texts, times, strict=True)])
            # Rows: (ord, dataset_id, run_id, ambiguous[, member position]).
            return self._refs(plan, data_ids, times,
                              self._probe_cursor.execute(sql, params).fetchall())

    @staticmethod
    def _data_id_texts(enc: _DataIds, data_ids: list[dict[str, Any]]) -> list[str]:
        """The canonical text of each data ID, checked (KC008 for the first bad one, in
        input order). A batch often repeats a data ID, so each distinct one is checked
        and encoded once: they are canonical already (keys str, values int or str, never
        bool), so equal keys and values mean equal text. The key is flat: one tuple, not
        one per item (see _find_at about garbage collections)."""
        by_items: dict[tuple[Any, ...], str] = {}
        out = []
        for data_id in data_ids:
            key = (*data_id, *data_id.values())
            text = by_items.get(key)
            if text is None:
                enc.check(data_id)
                text = by_items[key] = enc.text(data_id)
            out.append(text)
        return out

    def _find_at(self, plan: _Plan, data_ids: list[dict[str, Any]], texts: list[str],
                 times: list[datetime]) -> list[DatasetRef | None]:
        """find_many in one CALIBRATION collection, an instant per query.

        Made for 10^4 queries and more. There Python's garbage collections took a third
        of the call (every container alive at once counts towards the next one, and a
        full collection walks the whole heap), so the rows are read in slices, not all
        at once (one at a time is slower), and nothing per query is kept but its text."""
        cur = self._probe_cursor.execute(_FIND_AT_CALIBRATION, {
            "texts": json.dumps(texts), "tid": plan.dtype.id, "cid": plan.members[0].id,
            "times": b"".join([b"%020d" % ((at - _EPOCH) // _ONE_US) for at in times]),
        })
        out: list[DatasetRef | None] = [None] * len(data_ids)
        names, run_name, type_name = self._run_names, self._run_name, plan.dtype.name
        # data_ids are the registry's own canonical copies: the refs may keep them.
        while rows := cur.fetchmany(ROWS_PER_FETCH):
            for i, hit in rows:
                if hit is not None:
                    run, _, ident = hit.partition(":")
                    run_id = int(run)
                    out[i] = DatasetRef(_uuid_hex(ident), type_name, data_ids[i],
                                        names.get(run_id) or run_name(run_id))
        return out

    def _refs(self, plan: _Plan, data_ids: list[dict[str, Any]], times: list[At],
              rows: list[tuple[Any, ...]]) -> list[DatasetRef | None]:
        """Results of rows (ord, dataset_id, run_id, ambiguous[, member position])."""
        ambiguous = [r for r in rows if r[3]]
        if ambiguous:
            first = min(ambiguous)
            self._raise_ambiguous(plan, data_ids, times, first[0],
                                  first[4] if len(first) > 4 else 0)
        out: list[DatasetRef | None] = [None] * len(data_ids)
        names, run_name, type_name = self._run_names, self._run_name, plan.dtype.name
        # data_ids are the registry's own canonical copies: the refs may keep them.
        for i, dataset_id, run_id, *_ in rows:
            if dataset_id is not None:
                out[i] = DatasetRef(_uuid(dataset_id), type_name, data_ids[i],
                                    names.get(run_id) or run_name(run_id))
        return out

    def _find_cached(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                     at: At) -> DatasetRef | None | object:
        """One lookup answered from the cached plan by one probe statement per member (one
        statement in all for a single-member search path), each also reading the catalog
        version: the answer stands only if the cache is still valid. Anything else (no plan
        yet, an error to report, an ambiguous match) is left to the general path: _MISS."""
        plan = self._plans.get((collection, dataset_type))
        if plan is None or self._cv is None:
            return _MISS
        try:
            plan.enc.check(data_id)
        except DataIdError:
            return _MISS  # the general path reports it, after the names (as SQL does)
        text = plan.enc.text(data_id)
        qb, qe = _query_span(at)
        instant = isinstance(at, datetime)
        if len(plan.members) == 1:
            return self._probe(plan, plan.members[0], text, qb, qe, instant, data_id)
        with self._read():
            for member in plan.members:
                found = self._probe(plan, member, text, qb, qe, instant, data_id)
                if found is not None:
                    return found
            return None if self._one(_VERSION)[0] == self._cv else _MISS

    def _probe(self, plan: _Plan, member: _Member, text: str, qb: int | None, qe: int | None,
               instant: bool, data_id: dict[str, Any]) -> DatasetRef | None | object:
        cur = self._probe_cursor
        if member.type == "CALIBRATION":
            if qb is None:  # no time: CALIBRATION members are skipped
                return None if cur.execute(_VERSION).fetchone()[0] == self._cv else _MISS
            rows = cur.execute(_PROBE[member.type, instant],
                               (member.id, plan.dtype.id, text, qe)).fetchall()
        else:
            rows = cur.execute(_PROBE[member.type, instant],
                               (member.id, plan.dtype.id, text)).fetchall()
        if not rows:
            return None if cur.execute(_VERSION).fetchone()[0] == self._cv else _MISS
        dataset_id, end_us, run_id, version = rows[0]
        if version != self._cv:
            return _MISS
        if member.type == "CALIBRATION":
            if end_us <= qb:
                return None
            if len(rows) > 1 and rows[1][1] > qb:
                return _MISS  # ambiguous: the general path raises with the details
        run = member.name if member.type == "RUN" else self._run_names.get(run_id)
        if run is None:
            return _MISS
        # data_id is the registry's own canonical copy: the ref may keep it.
        return DatasetRef(_uuid(dataset_id), plan.dtype.name, data_id, run)

    def _raise_ambiguous(self, plan: _Plan, data_ids: list[dict[str, Any]], times: list[At],
                         i: int, pos: int) -> None:
        """KC011 for query ``i``, ambiguous in search-path member ``pos``."""
        member = plan.members[pos]
        qb, qe = _query_span(times[i])
        datasets = [str(_uuid(r["dataset_id"])) for r in self._q(
            "SELECT c.dataset_id FROM certification AS c"
            " WHERE c.collection_id = ? AND c.data_id_key = (SELECT data_id_key FROM data_id"
            "   WHERE dataset_type_id = ? AND value = ?)"
            " AND c.begin_us < ? AND c.end_us > ? ORDER BY c.begin_us",
            (member.id, plan.dtype.id, plan.enc.text(data_ids[i]), qe, qb))]
        if isinstance(times[i], datetime):
            when, extra = f"at {_ts_text(qb)}", {"at": _ts_text(qb)}
        else:
            span = _span_json(qb, qe)
            when, extra = f"during {_span_text(span)}", {"timespan": span}
        raise _err(CalibrationLookupError,
                   f"lookup of {_ql(plan.dtype.name)} data ID {_jsonb_text(data_ids[i])} in "
                   f"{_ql(plan.coll.name)} is ambiguous: collection {_ql(member.name)} has more "
                   f"than one certification valid {when}",
                   collection=member.name, searched=plan.coll.name,
                   dataset_type=plan.dtype.name, data_id=data_ids[i], datasets=datasets, **extra)

    def _certifications(self, collection: str, dataset_type: str | None) -> list[Certification]:
        with self._read():
            coll = self._collection(collection)
            tid = None if dataset_type is None else self._dataset_type(dataset_type).id
            out: list[Certification] = []
            values: dict[int, dict[str, Any]] = {}
            for m in self._members(coll.id):
                if m["type"] != "CALIBRATION":
                    continue
                for r in self._conn.execute(
                        "SELECT c.dataset_id, c.data_id_key, t.name AS type, di.value,"
                        " r.name AS run, c.begin_us, c.end_us"
                        " FROM certification AS c"
                        " CROSS JOIN dataset_type AS t ON t.dataset_type_id = c.dataset_type_id"
                        " CROSS JOIN data_id AS di ON di.data_id_key = c.data_id_key"
                        " CROSS JOIN collection AS r ON r.collection_id = c.run_id"
                        " WHERE c.collection_id = :cid"
                        "   AND (:tid IS NULL OR c.dataset_type_id = :tid)"
                        " ORDER BY t.name, c.data_id_key, c.begin_us",
                        {"cid": m["id"], "tid": tid}):
                    value = values.get(r["data_id_key"])
                    if value is None:
                        value = values[r["data_id_key"]] = json.loads(r["value"])
                    ref = DatasetRef(_uuid(r["dataset_id"]), r["type"], dict(value), r["run"])
                    out.append(Certification(ref, _timespan(r["begin_us"], r["end_us"]),
                                             m["name"]))
            return out


def _first_repeated(values: Sequence[Any]) -> int | None:
    """The position of the first value that appears again later, or None."""
    first: dict[Any, int] = {}
    best: int | None = None
    for i, v in enumerate(values):
        j = first.setdefault(v, i)
        if j != i and (best is None or j < best):
            best = j
    return best


def _query_span(at: At) -> tuple[int | None, int | None]:
    """A lookup time as [qb, qe) in microseconds: an instant t is [t, t+1µs), None skips
    CALIBRATION members."""
    if isinstance(at, datetime):
        t = (at - _EPOCH) // _ONE_US
        return t, t + 1
    if at is None:
        return None, None
    return _begin_us(at.begin), _end_us(at.end)


def _schema_error(state: str, version: str | None) -> SchemaVersionError:
    return SchemaVersionError(
        f"{state}; this client needs revision {HEAD_REVISION}. "
        "Run `calibcert db upgrade --url URL` (or calibcert.upgrade(url)).",
        revision=version, head=HEAD_REVISION)
