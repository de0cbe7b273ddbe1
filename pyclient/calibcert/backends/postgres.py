"""PostgreSQL backend: one thin method per ``calib.*`` SQL function.

Calls use named arguments with explicit casts (uncast parameters can fall off the GiST
index), results are turned into frozen dataclasses by column name, and every driver error
goes through :func:`calibcert.errors.translate` in one place (:meth:`PostgresRegistry._run`).
Large batches are sent in chunks inside one transaction: bounded memory, same atomicity.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format, TransactionStatus
from psycopg.rows import RowFactory, dict_row
from psycopg.types.json import Jsonb

from ..errors import (
    ConflictingCertificationError,
    ConflictingDefinitionError,
    DatabaseAccessError,
    SchemaVersionError,
    translate,
)
from ..registry import At, DatasetIdArray, Registry
from ..retry import call_with_retries
from ..schema import HEAD_REVISION
from ..types import (
    Certification,
    CollectionInfo,
    CollectionState,
    CollectionStats,
    CollectionType,
    DatasetRef,
    DatasetTypeInfo,
    IntegrityProblem,
    Timespan,
)
from .postgres_explain import PostgresExplain
from .postgres_find_many import JsonbArray, JsonbArrayDumper, PostgresFindMany
from .postgres_history import PostgresHistory
from .postgres_rows import _collection_info, _range, _ref, _timespan, _utc
from .postgres_snapshots import PostgresSnapshots

#: Rows per statement for bulk writes (keeps client and server memory bounded).
CHUNK = 50_000
#: PostgresRegistry._batch's ``send(CHUNK_ALL)``: every item in one statement.
CHUNK_ALL = -1
_T = TypeVar("_T")


_UUID_OID, _UUID_ARRAY_OID = 2950, 2951


class _PackedIdsDumper(Dumper):
    """A DatasetIdArray as a binary uuid[] built from its packed bytes: no UUID object is
    made and none is dumped one by one (psycopg's array dumper costs about 1 us an id, most
    of a one-dataset certify's client time). Format: ndim, has-nulls flag, element type,
    then (length, lower bound) per dimension, then each element as a 4-byte length and its
    16 bytes."""

    format = Format.BINARY
    oid = _UUID_ARRAY_OID

    def dump(self, obj: DatasetIdArray) -> bytes:
        n = len(obj)
        if n == 0:
            return struct.pack("!iiI", 0, 0, _UUID_OID)
        src = obj.packed()
        out = bytearray(20 * n)
        out[3::20] = b"\x10" * n  # each length is 16: the other three bytes stay zero
        for j in range(16):  # byte j of every id, one C-level slice copy each
            out[4 + j::20] = src[j::16]
        return struct.pack("!iiIii", 1, 0, _UUID_OID, n, 1) + bytes(out)


_FIND = ("SELECT dataset_id, dataset_type, data_id, run FROM calib.find("
         "p_collection => %(c)s::text,"
         " p_dataset_type => %(t)s::text, p_data_id => %(d)s::jsonb, ")
_FIND_AT = _FIND + "p_at => %(a)s::timestamptz)"
_FIND_SPAN = _FIND + "p_timespan => %(a)s::tstzrange)"


# The common case of calib.find as one statement the client prepares: the function call
# costs about 40 us of a 100 us find (PL/pgSQL, SECURITY DEFINER, a tuplestore for the
# result); this does not. It resolves the names and the data ID (as calib._lookup_one
# does), then applies calib.probe, the lookup rule itself (first member of the stored search
# path with any match decides, more than one match there is ambiguous), which PostgreSQL
# inlines into this statement's plan. Rows: none when a name or the data ID is unknown (not
# stored); else one: the deciding dataset (NULL when nothing matches) and whether it is
# ambiguous. calib.find decides every other case and raises the precise error. A NULL
# instant is a NULL span (CALIBRATION members skipped).
_FIND_PROBE = (
    "SELECT p.dataset_id, p.ambiguous, t.name, di.value,"
    " (SELECT r.name FROM calib.dataset AS d JOIN calib.collection AS r"
    "  ON r.collection_id = d.run_id WHERE d.dataset_id = p.dataset_id)"
    " FROM calib.collection AS co"
    " JOIN calib.dataset_type AS t ON t.name = %(t)s::text"
    " JOIN calib.data_id AS di"
    "  ON di.dataset_type_id = t.dataset_type_id AND di.value = %(d)s::jsonb"
    " LEFT JOIN LATERAL calib.probe(co.collection_id, di.data_id_key,"
    "  CASE WHEN %(a)s::timestamptz IS NOT NULL"
    "  THEN pg_catalog.tstzrange(%(a)s::timestamptz, %(a)s::timestamptz, '[]') END) AS p ON true"
    " WHERE co.name = %(c)s::text"
)
_FIND_FAST_ALLOWED = (
    "SELECT pg_catalog.has_function_privilege("
    "'calib.find(text, text, jsonb, timestamptz)', 'EXECUTE')"
    " AND pg_catalog.has_function_privilege("
    "'calib.probe(integer, integer, tstzrange)', 'EXECUTE')"
    " AND pg_catalog.bool_and(pg_catalog.has_table_privilege(t, 'SELECT'))"
    " FROM pg_catalog.unnest(ARRAY['calib.collection', 'calib.dataset_type', 'calib.data_id',"
    " 'calib.certification', 'calib.dataset', 'calib.search_path', 'calib.tag']) AS t"
)
_UNDECIDED = object()

class PostgresRegistry(PostgresFindMany, PostgresHistory, PostgresExplain, PostgresSnapshots,
                       Registry):
    backend = "postgresql"

    def __init__(self, conn: psycopg.Connection, *, owned: bool = True, check_schema: bool = True,
                 reason: str | None = None, user: str | None = None, pooled: bool = False):
        self._conn = conn
        # pooled (README "Deploying at scale"): the server session may serve other clients
        # between our transactions (PgBouncer in transaction mode, a psycopg_pool shared
        # connection), so nothing is left in it: no prepared statements (PgBouncer < 1.21
        # would run them on another server connection) and the actor settings set
        # transaction-locally in each transaction that may change something.
        self._local_actor: dict[str, str] | None = None
        if pooled:
            conn.prepare_threshold = None
        # Only our own class: how the caller's connection dumps anything else is unchanged.
        conn.adapters.register_dumper(DatasetIdArray, _PackedIdsDumper)
        conn.adapters.register_dumper(JsonbArray, JsonbArrayDumper)
        self._owned = owned
        self._fast_find: bool | None = None  # may this role use _find_probe? (asked once)
        self._cursor: psycopg.Cursor[Any] | None = None  # see _plain_cursor
        if check_schema:
            self.check_schema()
        if reason is not None or user is not None:
            if pooled:
                self._local_actor = {"r": reason or "", "u": user or ""}
            else:
                self._set_actor(reason, user)

    def _set_actor(self, reason: str | None, user: str | None) -> None:
        # Session settings, read by calib._change at each transaction's first change (README
        # "History and time travel"): one round trip at connect, nothing per call. On a
        # caller's connection inside its transaction they last as long as it does (a
        # rollback reverts them, as it reverts the changes they would describe).
        with self._errors():
            self._conn.execute(
                "SELECT pg_catalog.set_config('calib.reason', %(r)s::text, false),"
                " pg_catalog.set_config('calib.user', %(u)s::text, false)",
                {"r": reason or "", "u": user or ""})

    _LOCAL_ACTOR = ("SELECT pg_catalog.set_config('calib.reason', %(r)s::text, true),"
                    " pg_catalog.set_config('calib.user', %(u)s::text, true)")

    def _apply_local_actor(self) -> None:
        """Pooled mode: the actor settings for the current transaction only (inside a
        savepoint they outlive its release, and a rollback drops them with the changes)."""
        if self._local_actor is not None:
            self._conn.execute(self._LOCAL_ACTOR, self._local_actor)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> PostgresRegistry:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        try:
            conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            # psycopg's text names host, port and user (never the password).
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise DatabaseAccessError(f"cannot connect to the database: {text}",
                                      sqlstate=exc.sqlstate) from exc
        try:
            return cls(conn, **kwargs)
        except BaseException:
            conn.close()
            raise

    @property
    def connection(self) -> psycopg.Connection:
        return self._conn

    def check_schema(self) -> None:
        """Refuse a database whose calib schema is missing or not at HEAD_REVISION."""
        with self._errors(), self._conn.cursor() as cur:
            cur.execute("SELECT to_regclass('calib.alembic_version') IS NOT NULL")
            row = cur.fetchone()
            version = None
            if row and row[0]:
                cur.execute("SELECT version_num FROM calib.alembic_version")
                r = cur.fetchone()
                version = r[0] if r else None
        if not self._conn.autocommit and self._owned:
            self._conn.rollback()
        if version != HEAD_REVISION:
            state = "has no calibcert schema" if version is None else f"is at revision {version}"
            raise SchemaVersionError(
                f"database {state}; this client needs revision {HEAD_REVISION}. "
                "Run `calibcert db upgrade --url URL` (or calibcert.upgrade(url)).",
                revision=version,
                head=HEAD_REVISION,
            )

    # -- plumbing ---------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The one place psycopg errors (and strings psycopg cannot encode) become calibcert
        errors (:func:`calibcert.errors.translate`)."""
        try:
            yield
        except (psycopg.Error, UnicodeEncodeError) as exc:
            mapped = translate(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def _standalone(self) -> bool:
        """Autocommit and outside any transaction: one statement is then atomic by itself
        and needs no savepoint (and a failure cannot spoil a caller's transaction)."""
        conn = self._conn
        return conn.autocommit and conn.pgconn.transaction_status == TransactionStatus.IDLE

    def _run(self, sql: str, params: dict[str, Any],
             row_factory: RowFactory[Any] = dict_row) -> list[Any]:
        # Rows are dicts unless the caller asks otherwise (find_many: tuples, cheaper).
        # Inside a transaction (ours or the caller's) the call gets a savepoint, so a
        # failed call changes nothing and leaves the transaction usable, as on SQLite.
        if self._standalone():
            # A transaction of its own: a deadlock victim is run again (calibcert.retry).
            return call_with_retries(lambda: self._standalone_run(sql, params, row_factory))
        with self._errors(), self._conn.transaction():
            self._apply_local_actor()
            return self._execute(sql, params, row_factory)

    def _standalone_run(self, sql: str, params: dict[str, Any],
                        row_factory: RowFactory[Any] = dict_row) -> list[Any]:
        if self._local_actor is not None:
            # Pooled with an actor: BEGIN, the settings, the call, COMMIT.
            with self._errors(), self._conn.transaction():
                self._apply_local_actor()
                return self._execute(sql, params, row_factory)
        with self._errors():
            return self._execute(sql, params, row_factory)

    def _execute(self, sql: str, params: dict[str, Any],
                 row_factory: RowFactory[Any] = dict_row) -> list[Any]:
        with self._conn.cursor(row_factory=row_factory) as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def _scalar(self, sql: str, params: dict[str, Any]) -> Any:
        if self._standalone() and self._local_actor is None:
            # One statement, atomic by itself (as in _run), on one reused cursor with plain
            # tuple rows: a new dict-row cursor per call cost ~17 us of a one-dataset
            # certify's ~170 (bench/README.md).
            return call_with_retries(lambda: self._plain_scalar(sql, params))
        return self._run(sql + " AS v", params)[0]["v"]

    def _plain_scalar(self, sql: str, params: dict[str, Any]) -> Any:
        with self._errors():
            return self._plain_cursor().execute(sql, params).fetchone()[0]

    def _plain_cursor(self) -> psycopg.Cursor[Any]:
        """The one cursor reused by statements sent outside transactions (_scalar and the
        find fast paths): tuple rows, no per-call cursor set-up."""
        if self._cursor is None:
            self._cursor = self._conn.cursor()
        return self._cursor

    def _batch(self, n: int, send: Callable[[int], _T]) -> list[_T]:
        """Send a call of ``n`` items: ``send(start)`` sends items [start, start + CHUNK), or
        every item when ``send`` is given CHUNK_ALL. One statement when the call fits in a
        chunk: atomic by itself (and given its savepoint by _run inside a caller's
        transaction); opening a transaction for it would cost four extra round trips
        (BEGIN, SAVEPOINT, RELEASE, COMMIT), about five times the work of a one-dataset
        certify. A bigger call sends its chunks in one transaction (a savepoint inside the
        caller's), so that client and server memory stay bounded. If a chunk after the
        first meets a conflict, that may be an item repeating one of an earlier chunk,
        which the database now sees as stored: the chunks are undone and the call is sent
        again as one statement, which reports exactly what it reports for a call of any
        size (a repeat within the call; conflicts listed earlier item first)."""
        if n <= CHUNK:
            return [send(CHUNK_ALL)]
        if self._standalone():
            # The chunks' transaction is the call's own: a deadlock victim runs again whole.
            return call_with_retries(lambda: self._chunked(n, send))
        return self._chunked(n, send)

    def _chunked(self, n: int, send: Callable[[int], _T]) -> list[_T]:
        out: list[_T] = []
        try:
            with self._transaction():
                for start in range(0, n, CHUNK):
                    out.append(send(start))
        except (ConflictingCertificationError, ConflictingDefinitionError):
            if not out:  # the first chunk: its error already names the call's items
                raise
            return [send(CHUNK_ALL)]
        return out

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        outermost = not self._in_transaction()
        with self._errors(), self._conn.transaction():
            if outermost:
                self._apply_local_actor()
            yield

    def _in_transaction(self) -> bool:
        return self._conn.pgconn.transaction_status != TransactionStatus.IDLE

    _on_close = None

    def close(self) -> None:
        if self._owned and not self._conn.closed:
            self._conn.close()
        elif self._on_close is not None:
            self._on_close()
            self._on_close = None

    # -- collections ------------------------------------------------------------------

    def _register_collection(self, name: str, type: str, doc: str | None) -> bool:
        return self._scalar(
            "SELECT calib.register_collection(p_name => %(n)s::text, p_type => %(t)s::text,"
            " p_doc => %(d)s::text)", {"n": name, "t": type, "d": doc})

    def _set_chain(self, parent: str, children: list[str]) -> None:
        self._run("SELECT calib.set_chain(p_parent => %(p)s::text, p_children => %(c)s::text[])",
                  {"p": parent, "c": children})

    def _get_chain(self, parent: str) -> list[str]:
        return self._scalar("SELECT calib.get_chain(p_parent => %(p)s::text)", {"p": parent})

    def _remove_collection(self, name: str) -> None:
        self._run("SELECT calib.remove_collection(p_name => %(n)s::text)", {"n": name})

    def _list_collections(self, type: str | None) -> list[CollectionInfo]:
        rows = self._run("SELECT * FROM calib.list_collections(p_type => %(t)s::text)", {"t": type})
        return [_collection_info(r) for r in rows]

    def _set_collection_state(self, name: str, state: str | None) -> str:
        return self._scalar("SELECT calib.set_collection_state(p_name => %(n)s::text,"
                            " p_state => %(s)s::text)", {"n": name, "s": state})

    def _set_collection_writers(self, name: str, roles: list[str] | None) -> list[str] | None:
        return self._scalar("SELECT calib.set_collection_writers(p_name => %(n)s::text,"
                            " p_roles => %(r)s::text[])", {"n": name, "r": roles})

    def _copy_collection(self, source: str, destination: str, doc: str | None) -> None:
        # _scalar, as every other write: outside a transaction one reused tuple cursor
        # rather than a new dict-row cursor (revision 0018: ~10 us of client time a call).
        self._scalar("SELECT calib.copy_collection(p_source => %(s)s::text,"
                     " p_destination => %(d)s::text, p_doc => %(doc)s::text)",
                     {"s": source, "d": destination, "doc": doc})

    # -- dataset types and datasets ----------------------------------------------------

    def _register_dataset_type(self, name: str, dimensions: tuple[str, ...],
                               is_calibration: bool) -> bool:
        return self._scalar(
            "SELECT calib.register_dataset_type(p_name => %(n)s::text,"
            " p_dimensions => %(d)s::text[], p_is_calibration => %(c)s::boolean)",
            {"n": name, "d": list(dimensions), "c": is_calibration})

    def _list_dataset_types(self) -> list[DatasetTypeInfo]:
        rows = self._run("SELECT * FROM calib.list_dataset_types()", {})
        return [DatasetTypeInfo(r["name"], tuple(r["dimensions"]), r["is_calibration"])
                for r in rows]

    def _insert_datasets(self, dataset_type: str, run: str, data_ids: list[dict[str, Any]],
                         ids: list[uuid.UUID] | None) -> list[DatasetRef]:
        if ids is None:
            ids = [uuid.uuid4() for _ in data_ids]

        def send(start: int) -> list[DatasetRef]:
            # An empty batch is still sent: it checks the dataset type and the RUN.
            start, end = (0, len(data_ids)) if start == CHUNK_ALL else (start, start + CHUNK)
            rows = self._run(
                "SELECT dataset_id, data_id FROM calib.insert_datasets("
                "p_dataset_type => %(t)s::text, p_run => %(r)s::text,"
                " p_data_ids => %(d)b::jsonb[], p_ids => %(i)b::uuid[])",
                {"t": dataset_type, "r": run, "d": [Jsonb(d) for d in data_ids[start:end]],
                 "i": ids[start:end]})
            return [DatasetRef(r["dataset_id"], dataset_type, r["data_id"], run) for r in rows]

        return [ref for part in self._batch(len(data_ids), send) for ref in part]

    def _get_datasets(self, ids: list[uuid.UUID]) -> list[DatasetRef]:
        return [_ref(r) for r in self._run(
            "SELECT * FROM calib.get_datasets(p_ids => %(i)s::uuid[])", {"i": ids})]

    def _query_datasets(self, collection: str, dataset_type: str,
                        where: dict[str, Any] | None) -> list[DatasetRef]:
        return [_ref(r) for r in self._run(
            "SELECT * FROM calib.query_datasets(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_where => %(w)s::jsonb)",
            {"c": collection, "t": dataset_type, "w": None if where is None else Jsonb(where)})]

    def _tag(self, collection: str, ids: list[uuid.UUID]) -> int:
        return self._scalar(
            "SELECT calib.tag(p_collection => %(c)s::text, p_datasets => %(i)s::uuid[])",
            {"c": collection, "i": ids})

    def _untag(self, collection: str, ids: list[uuid.UUID]) -> int:
        return self._scalar(
            "SELECT calib.untag(p_collection => %(c)s::text, p_datasets => %(i)s::uuid[])",
            {"c": collection, "i": ids})

    # -- certification ----------------------------------------------------------------

    def _certify(self, collection: str, ids: list[uuid.UUID], timespan: Timespan,
                 close_open: bool) -> int:
        def send(start: int) -> int:
            part = ids if start == CHUNK_ALL else ids[start:start + CHUNK]
            return self._scalar(
                "SELECT calib.certify(p_collection => %(c)s::text, p_datasets => %(i)b::uuid[],"
                " p_timespan => %(s)b::tstzrange, p_close_open => %(o)s::boolean)",
                {"c": collection, "i": part, "s": _range(timespan), "o": close_open})

        return sum(self._batch(len(ids), send))

    def _certify_series(self, collection: str, ids: list[uuid.UUID],
                        begins: list[datetime | None], close_open: bool) -> int:
        # One call: each end depends on the other items of the same key.
        return self._scalar(
            "SELECT calib.certify_series(p_collection => %(c)s::text,"
            " p_datasets => %(i)b::uuid[], p_begins => %(b)b::timestamptz[],"
            " p_close_open => %(o)s::boolean)",
            {"c": collection, "i": ids, "b": begins, "o": close_open})

    def _decertify(self, collection: str, dataset_type: str, timespan: Timespan,
                   data_ids: list[dict[str, Any]] | None) -> int:
        return self._scalar(
            "SELECT calib.decertify(p_collection => %(c)s::text, p_dataset_type => %(t)s::text,"
            " p_timespan => %(s)s::tstzrange, p_data_ids => %(d)s::jsonb[])",
            {"c": collection, "t": dataset_type, "s": _range(timespan),
             "d": None if data_ids is None else [Jsonb(d) for d in data_ids]})

    def _close_open_range(self, collection: str, dataset_type: str, end: datetime,
                          data_ids: list[dict[str, Any]] | None) -> int:
        return self._scalar(
            "SELECT calib.close_open_range(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text, p_end => %(e)s::timestamptz,"
            " p_data_ids => %(d)s::jsonb[])",
            {"c": collection, "t": dataset_type, "e": end,
             "d": None if data_ids is None else [Jsonb(d) for d in data_ids]})

    # -- lookups ----------------------------------------------------------------------

    def _find(self, collection: str, dataset_type: str, data_id: dict[str, Any],
              at: At) -> DatasetRef | None:
        if (self._fast_find is not False and not isinstance(at, Timespan)
                and self._standalone() and self._can_find_fast()):
            found = self._find_probe(collection, dataset_type, data_id, at)
            if found is not _UNDECIDED:
                return found
        # calib.find decides everything else, raising the precise error. Its SQL text is
        # fixed per kind of `at`, so psycopg prepares it.
        if isinstance(at, Timespan):
            sql, value = _FIND_SPAN, _range(at)
        else:
            sql, value = _FIND_AT, at
        rows = self._run(sql, {"c": collection, "t": dataset_type, "d": Jsonb(data_id),
                               "a": value})
        return _ref(rows[0]) if rows else None

    def _can_find_fast(self) -> bool:
        # The fast paths read the tables with the caller's own rights; they are used only by
        # a role that may also call calib.find, so they never answer where find would refuse.
        if self._fast_find is None:
            with self._errors():
                row = self._conn.execute(_FIND_FAST_ALLOWED).fetchone()
            self._fast_find = bool(row and row[0])
        return self._fast_find

    def _fast_rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any]
                   ) -> list[tuple[Any, ...]] | None:
        """Rows of a fast-path statement on the reused cursor; None when the role lost its
        rights since (the fast paths are then off for good)."""
        try:
            return self._plain_cursor().execute(sql, params).fetchall()
        except psycopg.errors.InsufficientPrivilege:  # rights revoked since
            self._fast_find = False
            return None
        except (psycopg.Error, UnicodeEncodeError) as exc:
            mapped = translate(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def _find_probe(self, collection: str, dataset_type: str, data_id: dict[str, Any],
                    at: datetime | None) -> DatasetRef | None | object:
        """find in one prepared statement (_FIND_PROBE) for any kind of collection, chains
        included, with known names, a data ID equal to a stored one (so valid and canonical)
        and an unambiguous deciding member; anything else is _UNDECIDED and goes to
        calib.find, which raises the precise error (an unknown name, a bad data ID, KC011
        for an ambiguous match). Used only outside transactions: a failure here then cannot
        spoil the caller's. Lean on purpose (one reused cursor, no context managers): it is
        most of the client's share of a find."""
        rows = self._fast_rows(_FIND_PROBE, {"t": dataset_type, "d": Jsonb(data_id),
                                             "c": collection, "a": at})
        if not rows or rows[0][1]:
            return _UNDECIDED
        ds, _ambiguous, type_name, value, run = rows[0]
        return None if ds is None else DatasetRef(ds, type_name, value, run)

    def _certifications(self, collection: str, dataset_type: str | None) -> list[Certification]:
        rows = self._run(
            "SELECT * FROM calib.certifications(p_collection => %(c)s::text,"
            " p_dataset_type => %(t)s::text)", {"c": collection, "t": dataset_type})
        return [Certification(_ref(r), _timespan(r["validity"]), r["collection"]) for r in rows]

    # -- health -----------------------------------------------------------------------

    def _check_integrity(self) -> list[IntegrityProblem]:
        rows = self._run('SELECT "check", detail FROM calib.check_integrity()', {})
        return [IntegrityProblem(r["check"], r["detail"]) for r in rows]

    def _collection_digest(self, collection: str) -> str:
        return self._scalar("SELECT calib.collection_digest(p_collection => %(c)s::text)",
                            {"c": collection})

    def _collection_stats(self) -> list[CollectionStats]:
        rows = self._run("SELECT * FROM calib.collection_stats()", {})
        return [CollectionStats(
            r["name"], CollectionType(r["type"]), CollectionState(r["state"]),
            r["datasets"], r["tagged"],
            r["certifications"], r["calibration_keys"], r["open_ended"],
            _utc(r["earliest_begin"]), _utc(r["latest_end"]), r["children"]) for r in rows]
