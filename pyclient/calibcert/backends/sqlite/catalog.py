"""The private helpers every operation shares (twins sql/functions/_collection.sql,
_dataset_type.sql, _flatten.sql, _canonical_data_ids.sql, _data_id_keys.sql,
_resolve_datasets.sql, _refresh_search_paths.sql and _search_path_trigger.sql; differs by
necessity: the chain walk is a statement file, sql/sqlite/functions/, run by the backend
after a chain change, as SQLite triggers cannot walk the chains)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_str  # C-accelerated, non-ASCII kept
from typing import Any

from ...registry import DatasetIdArray
from ...schema import expand_script, sql_dir
from .connection import SqliteConnection
from .values import (
    _err,
    _id_bytes,
    _jsonb_key_order,
    _uuid,
)

#: _stage_ids: ids 1..n of a packed chunk into _ids, numbered from first + 1.
_STAGE_PACKED = ("WITH RECURSIVE s(n) AS (SELECT 1 WHERE :n > 0"
                 " UNION ALL SELECT n + 1 FROM s WHERE n < :n)"
                 " INSERT INTO _ids (ord, id) SELECT :first + n, substr(:buf, 16 * n - 15, 16)"
                 " FROM s")
#: The same with each id's begin (certify_series), from a JSON array of the begins.
_STAGE_PACKED_BEGINS = ("INSERT INTO _ids (ord, id, b) SELECT :first + key + 1,"
                        " substr(:buf, 16 * key + 1, 16), value FROM json_each(:begins)")
_STAGE_CHUNK = 8192


# -- rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coll:
    id: int
    name: str
    type: str
    doc: str | None
    state: str = "OPEN"


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
    #: The epoch its rows are read at: None for the current rows; the as-of read's epoch,
    #: or a snapshot's (a snapshot member is its source's members as of the snapshot's
    #: epoch, snapshot_collection.py).
    epoch: int | None = None


class _DataIds:
    """Canonical JSON text of data IDs of one dataset type, validated as
    calib._canonical_data_ids does: keys exactly the type's dimensions, and each value of
    its dimension's type where one is fixed (``types``, from table dimension; the value
    syntax is already checked by :func:`calibcert.types.canonical_data_id`)."""

    def __init__(self, dtype: _Type, types: dict[str, str] | None = None) -> None:
        self.dtype = dtype
        self.keys = dtype.sorted_dims
        self.dimset = frozenset(dtype.dimensions)
        # '{"k1":%s,"k2":%s}': one % formatting per data ID (find_many makes thousands).
        self._template = "{" + ",".join(
            _json_str(k).replace("%", "%%") + ":%s" for k in self.keys) + "}"
        self.jsonb_keys = _jsonb_key_order(dtype.dimensions)
        self.types: dict[str, str] = dict(types or {})
        self._set_types()

    def _set_types(self) -> None:
        self._str_dims = frozenset(k for k, t in self.types.items() if t == "string")
        self._int_dims = frozenset(k for k, t in self.types.items() if t == "integer")

    def fix(self, data_ids: list[dict[str, Any]]) -> list[tuple[str, str]]:
        """calib._fix_dimensions: the dimensions of this type without a type yet get the
        type of their first value in ``data_ids`` (input order); returns them as (name,
        type) rows for table dimension."""
        new: list[tuple[str, str]] = []
        for k in self.keys:
            if k in self.types:
                continue
            for d in data_ids:
                if k in d:
                    self.types[k] = "string" if isinstance(d[k], str) else "integer"
                    new.append((k, self.types[k]))
                    break
        if new:
            self._set_types()
        return new

    def check(self, data_id: dict[str, Any]) -> None:
        t = self.dtype
        if not (tuple(data_id) == self.keys or set(data_id) == self.dimset):
            raise _err("data_id_dimensions", dataset_type=t.name, data_id=data_id,
                       dimensions=list(t.dimensions), missing=sorted(self.dimset - set(data_id)),
                       unexpected=sorted(set(data_id) - self.dimset))
        for k in self.keys:
            v = data_id[k]
            if (k in self._int_dims) if type(v) is str else (k in self._str_dims):
                raise _err("data_id_value_type", dataset_type=t.name, data_id=data_id,
                           dimension=k, value_type=self.types[k], value=v)

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
    #: Some member is read as of an epoch (a snapshot): the one-statement fast path
    #: (lookup.py _find_cached) leaves such lookups to the general path.
    as_of: bool = False


#: A lookup the fast path could not answer alone.
_MISS = object()


def _script(name: str) -> tuple[str, ...]:
    """The statements of sql/sqlite/functions/NAME.sql (``\\ir`` expanded), in order."""
    out, buf = [], ""
    for line in expand_script(sql_dir() / "sqlite" / "functions" / f"{name}.sql").splitlines(
            keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"sql/sqlite/functions/{name}.sql ends inside a statement")
    return tuple(out)


#: The chain walk (for the collections in temp.search_path_scope, into
#: temp.search_path_walk) and the refresh that stores its result (for temp.search_path_roots
#: and every chain above them): sql/sqlite/functions/, read once.
_WALK = _script("walk_search_paths")
_REFRESH = _script("refresh_search_paths")

#: The search path of a collection as stored, or as walked while the stored paths are stale.
_STORED_PATH = ("SELECT sp.member_id AS id, c.name AS name, sp.member_type AS type,"
                " sp.snapshot_of, sp.snapshot_epoch FROM {table} AS sp"
                " JOIN collection AS c ON c.collection_id = sp.member_id"
                " WHERE sp.collection_id = ? ORDER BY sp.rank")
_STALE = "SELECT stale FROM search_path_state WHERE id = 1"


class Catalog(SqliteConnection):
    #: _ids: a call's dataset ids (and begins) in input order; _item: them resolved (_resolve);
    #: search_path_*: the chain walk's (sql/sqlite/functions/).
    TEMP_TABLES = (
        "CREATE TEMP TABLE IF NOT EXISTS search_path_roots (collection_id INTEGER PRIMARY KEY)",
        "CREATE TEMP TABLE IF NOT EXISTS search_path_scope (collection_id INTEGER PRIMARY KEY)",
        "CREATE TEMP TABLE IF NOT EXISTS search_path_walk (collection_id INTEGER NOT NULL,"
        " rank INTEGER NOT NULL, member_id INTEGER NOT NULL, member_type TEXT NOT NULL,"
        " snapshot_of INTEGER, snapshot_epoch INTEGER, PRIMARY KEY (collection_id, rank))",
        "CREATE TEMP TABLE IF NOT EXISTS _ids (ord INTEGER PRIMARY KEY, id BLOB, b INTEGER)",
        "CREATE TEMP TABLE IF NOT EXISTS _item (ord INTEGER PRIMARY KEY, id BLOB, t INTEGER,"
        " k INTEGER, r INTEGER, b INTEGER, e INTEGER, fb INTEGER)",
    )

    # -- plumbing ---------------------------------------------------------------------

    # Statements through _q / _one have their driver errors translated even outside a
    # transaction (_write / _read do it inside): a closed connection, a corrupt file.

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            self._reraise(exc)

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        try:
            return self._conn.execute(sql, params).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            self._reraise(exc)

    def _collection(self, name: str | None, types: Sequence[str] | None = None) -> _Coll:
        """calib._collection: KC015 NULL, KC002 unknown, KC003 wrong type."""
        if name is None:
            raise _err("argument_null", what="collection name")
        row = self._one("SELECT collection_id, type, doc, state FROM collection WHERE name = ?",
                        (name,))
        return self._collection_of(name, types, row)

    def _collection_of(self, name: str, types: Sequence[str] | None,
                       row: sqlite3.Row | None) -> _Coll:
        """_collection's checks of ``row`` (collection_id, type, doc, state of collection
        ``name``; None or a NULL collection_id when there is none), for a caller that read
        it with more in the same statement."""
        if row is None or row["collection_id"] is None:
            raise _err("collection_missing", collection=name)
        if types is not None and row["type"] not in types:
            raise _err("collection_type", collection=name, type=row["type"],
                       expected=list(types))
        return _Coll(row["collection_id"], name, row["type"], row["doc"], row["state"])

    def _dataset_type(self, name: str | None, need_calibration: bool = False) -> _Type:
        """calib._dataset_type: KC015 NULL, KC005 unknown, KC006 not a calibration type."""
        if name is None:
            raise _err("argument_null", what="dataset type name")
        row = self._one("SELECT dataset_type_id, dimensions, is_calibration FROM dataset_type"
                        " WHERE name = ?", (name,))
        return self._dataset_type_of(name, need_calibration, row)

    def _dataset_type_of(self, name: str, need_calibration: bool,
                         row: sqlite3.Row | None) -> _Type:
        """_dataset_type's checks of ``row`` (dataset_type_id, dimensions, is_calibration of
        dataset type ``name``; None or a NULL dataset_type_id when there is none)."""
        if row is None or row["dataset_type_id"] is None:
            raise _err("dataset_type_missing", dataset_type=name)
        dtype = _Type(row["dataset_type_id"], name, tuple(json.loads(row["dimensions"])),
                      bool(row["is_calibration"]))
        if need_calibration and not dtype.is_calibration:
            raise _err("not_calibration_type", dataset_type=name)
        return dtype

    def _collection_and_type(self, name: str | None, types: Sequence[str] | None,
                             dataset_type: str | None, need_calibration: bool = False
                             ) -> tuple[_Coll, _Type]:
        """_collection then _dataset_type (the same checks, in the same order, the same
        errors), read by one statement: decertify and close_open_range name both, and a
        statement is ~5 us of their ~200 us call at one row (revision 0018)."""
        if name is None or dataset_type is None:  # the argument errors, in their order
            return (self._collection(name, types),
                    self._dataset_type(dataset_type, need_calibration))
        row = self._one(
            "SELECT c.collection_id, c.type, c.doc, c.state, t.dataset_type_id, t.dimensions,"
            " t.is_calibration FROM (SELECT 1) LEFT JOIN collection AS c ON c.name = ?"
            " LEFT JOIN dataset_type AS t ON t.name = ?", (name, dataset_type))
        return (self._collection_of(name, types, row),
                self._dataset_type_of(dataset_type, need_calibration, row))

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
            # The name a RUN bears, or bore last when a revert removed it since (an as-of
            # answer still names it).
            row = self._one("SELECT coalesce((SELECT name FROM collection WHERE"
                            " collection_id = :r), (SELECT name FROM collection_version WHERE"
                            " collection_id = :r ORDER BY created_change DESC LIMIT 1))",
                            {"r": run_id})
            name = self._run_names[run_id] = row[0]
        return name

    def _plan(self, collection: str, dataset_type: str) -> _Plan:
        """Collection, dataset type and search path of a lookup (KC002 / KC005 / KC015),
        cached; call inside a snapshot after :meth:`_sync`."""
        plan = self._plans.get((collection, dataset_type))
        if plan is None:
            coll = self._collection(collection)
            dtype = self._dataset_type(dataset_type)
            members = self._search_members(coll.id)
            plan = _Plan(coll, dtype, self._encoder(dtype), members,
                         any(m.epoch is not None for m in members))
            self._plans[(collection, dataset_type)] = plan
        return plan

    def _dimension_types(self, names: Iterable[str]) -> dict[str, str]:
        """The fixed value types (table dimension) of the dimensions ``names``."""
        return {r["name"]: r["value_type"] for r in self._q(
            "SELECT name, value_type FROM dimension WHERE name IN"
            " (SELECT value FROM json_each(?))", (json.dumps(list(names)),))}

    def _encoder(self, dtype: _Type) -> _DataIds:
        """The data-ID encoder of ``dtype``, with the value types of its dimensions."""
        return _DataIds(dtype, self._dimension_types(dtype.dimensions))

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
        texts = self._encoder(dtype).texts(data_ids)
        rows = self._q("SELECT di.data_id_key FROM json_each(?) AS j CROSS JOIN data_id AS di"
                       " ON di.dataset_type_id = ? AND di.value = j.value",
                       (json.dumps(texts), dtype.id))
        return json.dumps([r["data_id_key"] for r in rows])

    def _stage_ids(self, ids: Sequence[uuid.UUID], begins: Sequence[int] | None = None) -> None:
        """Put the call's dataset ids (and begins) into temp table _ids, in input order."""
        self._conn.execute("DELETE FROM _ids")
        # One statement per chunk of packed ids, cut by SQLite itself (revision 0016: a row
        # per executemany step cost ~3 us of CPU, a fifth of a 200-row certify).
        buf = ids.packed() if isinstance(ids, DatasetIdArray) else b"".join(_id_bytes(ids))
        if begins is None:
            step = 16 * _STAGE_CHUNK
            for off in range(0, len(buf), step):
                chunk = bytes(buf[off:off + step])
                self._conn.execute(_STAGE_PACKED, {"buf": chunk, "n": len(chunk) // 16,
                                                   "first": off // 16})
        else:
            # The begins beside them, as a JSON array cut by json_each.
            if len(buf) // 16 != len(begins):
                raise ValueError("one begin per dataset")
            for first in range(0, len(begins), _STAGE_CHUNK):
                chunk = bytes(buf[16 * first:16 * (first + _STAGE_CHUNK)])
                self._conn.execute(_STAGE_PACKED_BEGINS, {
                    "buf": chunk, "first": first,
                    "begins": json.dumps(list(begins[first:first + _STAGE_CHUNK]))})

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
            raise _err("dataset_missing", dataset=str(ds))

    # -- lookups ----------------------------------------------------------------------

    def _members(self, collection_id: int) -> list[sqlite3.Row]:
        """calib._flatten: (id, name, type) of the collections searched, in order: the
        stored search path, or the chains walked now while a raw writer's chain change has
        left the stored paths stale (temp tables only: no write lock)."""
        if not self._paths_stale():
            return self._q(_STORED_PATH.format(table="search_path"), (collection_id,))
        self._conn.execute("DELETE FROM temp.search_path_scope")
        self._conn.execute("INSERT INTO temp.search_path_scope VALUES (?)", (collection_id,))
        for statement in _WALK:
            self._conn.execute(statement)
        return self._q(_STORED_PATH.format(table="temp.search_path_walk"), (collection_id,))

    def _search_members(self, collection_id: int) -> tuple[_Member, ...]:
        """The members a read of the collection searches, in order (:meth:`_members`), a
        snapshot member replaced by its source's members as of the snapshot's epoch (as
        calib.probe's snapshot branch reads it: the first of them with a match decides,
        which is the snapshot deciding). Members without a snapshot pay nothing."""
        out: list[_Member] = []
        for r in self._members(collection_id):
            if r["snapshot_epoch"] is None:
                out.append(_Member(r["id"], r["name"], r["type"]))
            else:
                out.extend(self._search_path_as_of(  # type: ignore[attr-defined]
                    r["snapshot_of"], r["snapshot_epoch"]))
        return tuple(out)

    def _paths_stale(self) -> bool:
        """Whether the stored search paths are marked stale (a raw writer changed a chain
        since the backend last stored them)."""
        return bool(self._one(_STALE)[0])

    def _refresh_search_paths(self, chain_ids: Iterable[int], was_stale: bool) -> None:
        """calib._refresh_search_paths: after a change of the chains ``chain_ids`` (in the
        same write transaction) store the search paths of those chains and of every chain
        above them; every path if they were already stale before the change (a raw writer
        changed a chain since the last refresh). Clears the stale mark."""
        self._conn.execute("DELETE FROM temp.search_path_roots")
        if was_stale:
            self._conn.execute("INSERT INTO temp.search_path_roots SELECT collection_id"
                               " FROM collection")
        else:
            self._conn.executemany("INSERT OR IGNORE INTO temp.search_path_roots VALUES (?)",
                                   ((cid,) for cid in chain_ids))
        for statement in _REFRESH:
            self._conn.execute(statement)
