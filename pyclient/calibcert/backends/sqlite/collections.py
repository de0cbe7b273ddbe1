"""Collections and chains (twins sql/functions/register_collection.sql, set_chain.sql,
get_chain.sql, remove_collection.sql, list_collections.sql, copy_collection.sql and the
cycle check of _refresh_search_paths.sql; differs by necessity: a chain change refreshes the
stored search paths itself, where PostgreSQL's triggers do)."""

from __future__ import annotations

import json
import sqlite3

from ...types import CollectionInfo
from .as_of import SNAPSHOT_COLUMNS, collection_info
from .connection import _constraint_of
from .states import States
from .values import (
    BULK_ROWS,
    _err,
)

#: A new collection's id: never one a removed collection had (its history keeps its id,
#: and history(name) gathers every id that ever bore the name); PostgreSQL's sequence never
#: reuses one either. NULL (an empty file) lets SQLite choose.
NEW_COLLECTION_ID = ("(SELECT max(m) + 1 FROM (SELECT max(collection_id) AS m FROM collection"
                     " UNION ALL SELECT max(collection_id) FROM collection_version))")


class _CopiesMany(Exception):
    """A copy outside any transaction found BULK_ROWS rows or more to copy: undone before
    its first write, it runs again with _write's ``bulk`` (Collections._copy_collection)."""


_INSERT_COLLECTION = ("INSERT INTO collection (collection_id, name, type, doc)"
                      f" VALUES ({NEW_COLLECTION_ID}, ?, ?, ?)")


class Collections(States):
    # -- collections ------------------------------------------------------------------

    def _register_collection(self, name: str, type: str, doc: str | None) -> bool:
        with self._write(op="register_collection"):
            row = self._one("SELECT type FROM collection WHERE name = ?", (name,))
            if row is not None:
                if row["type"] != type:
                    raise _err("collection_exists_as", collection=name, type=row["type"],
                               requested=type)
                return False
            self._conn.execute(_INSERT_COLLECTION, (name, type, doc))
            return True

    def _set_chain(self, parent: str, children: list[str]) -> None:
        with self._write(op="set_chain"):
            self._invalidate()
            p = self._collection(parent, ("CHAINED",))
            self._check_change(p, "set_chain")
            rows = self._q("SELECT j.value AS name, c.collection_id AS id FROM json_each(?) AS j"
                           " LEFT JOIN collection AS c ON c.name = j.value ORDER BY j.key",
                           (json.dumps(children),))
            ids: list[int] = []
            for r in rows:
                if r["id"] is None:
                    raise _err("chain_child_missing", collection=r["name"], parent=parent)
                if r["id"] not in ids:  # a repeated child keeps its first position
                    ids.append(r["id"])
            via = self._cycle_via(p.id, ids)
            if via is not None:
                raise _err("chain_cycle", collection=parent, child=via)
            was_stale = self._paths_stale()
            now = [r[0] for r in self._q("SELECT child_id FROM collection_chain"
                                         " WHERE parent_id = ? ORDER BY position", (p.id,))]
            if ids != now:  # the same children in the same order: no change, no epoch
                self._conn.execute("DELETE FROM collection_chain WHERE parent_id = ?", (p.id,))
                self._conn.executemany(
                    "INSERT INTO collection_chain (parent_id, position, child_id)"
                    " VALUES (?, ?, ?)", ((p.id, pos, cid) for pos, cid in enumerate(ids, 1)))
            self._refresh_search_paths([p.id], was_stale)

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
            snap = self._snapshot_of(p.id)  # type: ignore[attr-defined]
            if snap is not None:  # its source's children as of its epoch
                return self._chain_as_of(p.id, snap[1])  # type: ignore[attr-defined]
            return [r["name"] for r in self._q(
                "SELECT c.name FROM collection_chain AS ch"
                " JOIN collection AS c ON c.collection_id = ch.child_id"
                " WHERE ch.parent_id = ? ORDER BY ch.position", (p.id,))]

    def _remove_collection(self, name: str) -> None:
        with self._write(op="remove_collection"):
            self._invalidate()
            coll = self._collection(name)
            self._check_change(coll, "remove_collection")
            parent = self._one("SELECT p.name FROM collection_chain AS ch"
                               " JOIN collection AS p ON p.collection_id = ch.parent_id"
                               " WHERE ch.child_id = ? ORDER BY p.name LIMIT 1", (coll.id,))
            if parent is not None:
                raise _err("collection_in_chain", collection=name, parent=parent["name"])
            if coll.type == "RUN" and self._one("SELECT 1 FROM dataset WHERE run_id = ? LIMIT 1",
                                                (coll.id,)):
                raise _err("run_has_datasets", collection=name)
            # Tags, certifications, chain children and its search path go with it (ON DELETE
            # CASCADE). No chain lists it, so no other path changes.
            was_stale = self._paths_stale()
            self._conn.execute("DELETE FROM collection WHERE collection_id = ?", (coll.id,))
            self._refresh_search_paths([], was_stale)

    def _copies_many(self, source_id: int) -> bool:
        """Does copying collection ``source_id`` write BULK_ROWS rows or more (then the copy
        runs without the per-row foreign-key lookups, _write's ``bulk``)? Not for every
        copy: changing PRAGMA foreign_keys expires every prepared statement of the
        connection, and re-preparing the collection and certification inserts with their
        triggers was most of a small copy's time (revision 0016: 700 us of CPU for a copy
        of one row)."""
        return self._one(
            "SELECT count(*) FROM (SELECT 1 FROM certification WHERE collection_id = :s"
            " UNION ALL SELECT 1 FROM tag WHERE collection_id = :s LIMIT :n)",
            {"s": source_id, "n": BULK_ROWS})[0] >= BULK_ROWS

    def _list_collections(self, type: str | None) -> list[CollectionInfo]:
        rows = self._q(f"SELECT c.name, c.type, c.doc, c.state, {SNAPSHOT_COLUMNS}"
                       " FROM collection AS c"
                       " LEFT JOIN snapshot AS s ON s.collection_id = c.collection_id"
                       " WHERE :t IS NULL OR c.type = upper(:t) ORDER BY c.name", {"t": type})
        return [collection_info(r) for r in rows]

    def _copy_collection(self, source: str, destination: str, doc: str | None) -> None:
        # The pragma of _write's ``bulk`` cannot change inside a transaction, and whether the
        # copy is large is known only once the source is read. So a copy outside any
        # transaction first runs as a small one and counts its source's rows under the write
        # lock; one of BULK_ROWS or more is undone before its first write (_CopiesMany) and
        # runs again in bulk. Revision 0018: the count was read before the transaction, a
        # statement of its own read transaction (~16 us of a ~290 us copy of one row).
        if not (self._depth or self._reading):
            try:
                self._copy(source, destination, doc, count=True)
                return
            except _CopiesMany:
                pass
        self._copy(source, destination, doc, bulk=not (self._depth or self._reading))

    def _copy(self, source: str, destination: str, doc: str | None, *, count: bool = False,
              bulk: bool = False) -> None:
        with self._write(op="copy_collection", bulk=bulk):
            self._invalidate()
            # The source and its snapshot row (a snapshot copies its source's rows as of its
            # epoch) in one statement.
            row = self._one("SELECT c.collection_id, c.type, c.doc, c.state,"
                            " s.source_id, s.epoch FROM (SELECT 1)"
                            " LEFT JOIN collection AS c ON c.name = ?"
                            " LEFT JOIN snapshot AS s ON s.collection_id = c.collection_id",
                            (source,))
            src = self._collection_of(source, ("TAGGED", "CALIBRATION", "CHAINED"), row)
            snap = None if row["source_id"] is None else (row["source_id"], row["epoch"])
            if count and snap is None and self._copies_many(src.id):
                raise _CopiesMany
            try:
                cur = self._conn.execute(_INSERT_COLLECTION,
                                         (destination, src.type, src.doc if doc is None else doc))
            except sqlite3.IntegrityError as exc:
                # The destination's name is taken (collection_name_key): the statement was
                # undone whole (revision 0018: no SELECT looks for it first).
                if _constraint_of(exc) == "collection_name_key":
                    raise _err("collection_exists", collection=destination) from None
                raise
            dst = cur.lastrowid
            if snap is not None:  # no rows of its own: its source's as of its epoch
                self._copy_snapshot(src, dst, snap)  # type: ignore[attr-defined]
            elif src.type == "CALIBRATION":
                # The source's current rows into the collection just created: the file's
                # insert guards step aside for this one statement (guards.sql says why that
                # is safe). Not for a snapshot's rows above: versions may name datasets a
                # raw writer removed since.
                self._check_into(dst)
                self._conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us, created_change, created_operation)"
                    " SELECT ?, dataset_type_id, data_id_key, dataset_id, run_id, begin_us,"
                    " end_us, ?, ? FROM certification WHERE collection_id = ?",
                    (dst, self._change_id(), self._operation_label, src.id))
            elif src.type == "TAGGED":
                self._conn.execute(
                    "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id,"
                    " run_id) SELECT ?, dataset_type_id, data_id_key, dataset_id, run_id FROM tag"
                    " WHERE collection_id = ?", (dst, src.id))
            else:
                was_stale = self._paths_stale()
                self._conn.execute(
                    "INSERT INTO collection_chain (parent_id, position, child_id)"
                    " SELECT ?, position, child_id FROM collection_chain WHERE parent_id = ?",
                    (dst, src.id))
                self._refresh_search_paths([dst], was_stale)
