"""Snapshots (twins sql/functions/snapshot_collection.sql, _snapshot_ids.sql, _chain_as_of.sql;
differs by necessity: a stored search path's snapshot member is expanded into its source's
members as of the snapshot's epoch when a lookup plan is made, catalog._search_members, where
calib.probe calls calib._snapshot_ids at lookup time).

A snapshot is a FROZEN collection row plus one ``snapshot`` row (source id, epoch); nothing
is copied, so creating one costs the same at any size of its source. Every read of it is
an as-of read of the source at the snapshot's epoch (as_of.py, the one place as-of reads
are written); the snapshot parts of list_collections, copy_collection,
set_collection_state and _check_change are here and in their modules. The file guards it
for raw writers too (sql/sqlite/schema/snapshot.sql).
"""

from __future__ import annotations

from .as_of import CHILDREN_AS_OF, VISIBLE
from .catalog import Catalog, _Coll
from .collections import NEW_COLLECTION_ID
from .values import _err


class SnapshotCollection(Catalog):
    def _snapshot_collection(self, source: str, name: str, as_of: int | None) -> int:
        """calib.snapshot_collection: the same checks in the same order (name, epoch, the
        source as named then), then one collection row and one snapshot row."""
        with self._write(op="snapshot_collection"):
            self._invalidate()
            # NULL: the latest committed epoch, read under the write lock (what is
            # committed, not this transaction's own uncommitted changes).
            epoch = (self._current_epoch() if as_of is None  # type: ignore[attr-defined]
                     else self._as_of(as_of))  # type: ignore[attr-defined]
            src = self._collection_as_of(source, epoch)  # type: ignore[attr-defined]
            # A snapshot of a snapshot reads what the first one reads: a source is never a
            # snapshot, so reads follow one indirection.
            inner = self._snapshot_of(src.id)
            source_id, epoch = inner if inner is not None else (src.id, epoch)
            if self._one("SELECT 1 FROM collection WHERE name = ?", (name,)):
                raise _err("collection_exists", collection=name)
            # FROZEN from its first row (the snapshot row's guard requires it), no doc.
            cur = self._conn.execute(
                "INSERT INTO collection (collection_id, name, type, state)"
                f" VALUES ({NEW_COLLECTION_ID}, ?, ?, 'FROZEN')", (name, src.type))
            # Its search path row (source, epoch) is written by the snapshot row's trigger.
            self._conn.execute("INSERT INTO snapshot (collection_id, source_id, epoch)"
                               " VALUES (?, ?, ?)", (cur.lastrowid, source_id, epoch))
            return epoch

    def _snapshots(self) -> dict[int, tuple[int, int]]:
        """Every snapshot row: collection id -> (source id, epoch). The table is small (one
        row per snapshot ever made) and read only by as-of walks and snapshot reads."""
        return {r[0]: (r[1], r[2]) for r in self._q(
            "SELECT collection_id, source_id, epoch FROM snapshot")}

    def _snapshot_of(self, collection_id: int) -> tuple[int, int] | None:
        """(source id, epoch) of a snapshot, None for any other collection."""
        row = self._one("SELECT source_id, epoch FROM snapshot WHERE collection_id = ?",
                        (collection_id,))
        return None if row is None else (row[0], row[1])

    def _chain_as_of(self, parent_id: int, epoch: int) -> list[str]:
        """calib._chain_as_of: the children of chain ``parent_id`` as of ``epoch`` by their
        names then; a snapshot's are its source's as of the snapshot's epoch."""
        snap = self._snapshot_of(parent_id)
        if snap is not None:
            parent_id, epoch = snap
        return [r[0] for r in self._q(CHILDREN_AS_OF, {"p": parent_id, "e": epoch})]

    def _copy_snapshot(self, src: _Coll, dst: int, snap: tuple[int, int]) -> None:
        """copy_collection of a snapshot: the source's rows as of the snapshot's epoch into
        ``dst`` (an ordinary, writable collection); a chain's children must still exist
        (KC002 snapshot_member_removed)."""
        source_id, epoch = snap
        params = {"dst": dst, "src": source_id, "e": epoch}
        if src.type == "CALIBRATION":
            params.update(ch=self._change_id(),  # type: ignore[attr-defined]
                          op=self._operation_label)  # type: ignore[attr-defined]
            for table, extra in (("certification", "c.created_change <= :e"),
                                 ("certification_version", VISIBLE("c"))):
                self._conn.execute(
                    "INSERT INTO certification (collection_id, dataset_type_id, data_id_key,"
                    " dataset_id, run_id, begin_us, end_us, created_change, created_operation)"
                    " SELECT :dst, c.dataset_type_id, c.data_id_key, c.dataset_id, c.run_id,"
                    f" c.begin_us, c.end_us, :ch, :op FROM {table} AS c"
                    f" WHERE c.collection_id = :src AND {extra}", params)
        elif src.type == "TAGGED":
            self._conn.execute(
                "INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id,"
                " run_id) SELECT :dst, g.dataset_type_id, g.data_id_key, g.dataset_id, g.run_id"
                f" FROM tag_version AS g WHERE g.collection_id = :src AND {VISIBLE('g')}",
                params)
        else:
            gone = self._one(
                "SELECT v.name FROM chain_version AS ch"
                f" JOIN collection_version AS v ON v.collection_id = ch.child_id"
                f"  AND {VISIBLE('v')}"
                f" WHERE ch.parent_id = :src AND {VISIBLE('ch')}"
                "  AND NOT EXISTS (SELECT 1 FROM collection AS k"
                "                  WHERE k.collection_id = ch.child_id)"
                " ORDER BY ch.position LIMIT 1", params)
            if gone is not None:
                raise _err("snapshot_member_removed", collection=src.name, member=gone[0])
            was_stale = self._paths_stale()
            self._conn.execute(
                "INSERT INTO collection_chain (parent_id, position, child_id)"
                " SELECT :dst, ch.position, ch.child_id FROM chain_version AS ch"
                f" WHERE ch.parent_id = :src AND {VISIBLE('ch')}", params)
            self._refresh_search_paths([dst], was_stale)
