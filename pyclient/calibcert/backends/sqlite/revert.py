"""revert (twins sql/functions/revert.sql and _revert_apply.sql; README "Revert"; differs by
necessity: the file's write lock stands for the collection and chain locks, a certification
is restored under its (collection, data ID key, begin) since SQLite has no certification_id,
there are no writer lists to check or restore, and a dry run rolls back its SAVEPOINT or
transaction instead of catching its own KC019).

The inverse of the change committed as epoch N is written as a new change (operation
'revert', reason 'revert of epoch N' unless the registry has one): what the change created
is removed, what it removed is restored as it was, collections whose state it changed get
it back. Every check runs inside the call's serialized write transaction, right before the
write it guards, and any failure undoes the whole call (the same checks, order and errors
as calib._revert_apply; what it would do is listed first, by revert_actions.py).
"""

from __future__ import annotations

from ...history import RevertRow
from .revert_actions import RevertActions
from .values import MAX_CONFLICTS, _err, _span_json, _uuid


class _DryRun(Exception):
    """Raised at the end of a dry run's write transaction to roll it back."""


#: The collections the change touched in their content (rows it created or removed) or
#: registered / removed (not those whose only change was their state): their state is
#: checked (calib._revert_apply step 1).
_CONTENT = """
SELECT collection_id FROM certification WHERE created_change = :p
UNION SELECT collection_id FROM certification_version
      WHERE created_change = :p OR removed_change = :p
UNION SELECT collection_id FROM tag_version WHERE created_change = :p OR removed_change = :p
UNION SELECT run_id FROM dataset_version WHERE created_change = :p OR removed_change = :p
UNION SELECT parent_id FROM chain_version WHERE created_change = :p OR removed_change = :p
UNION SELECT v.collection_id FROM collection_version AS v
      WHERE (v.created_change = :p OR v.removed_change = :p)
        AND NOT (EXISTS (SELECT 1 FROM collection_version AS a
                         WHERE a.collection_id = v.collection_id AND a.created_change = :p)
                 AND EXISTS (SELECT 1 FROM collection_version AS b
                             WHERE b.collection_id = v.collection_id AND b.removed_change = :p))
"""

#: A collection the change removed and this revert brings back (not one whose state only
#: it changed: that one has a version the change created too).
_RESTORED_COLLECTION = """
o.removed_change = :p
AND NOT EXISTS (SELECT 1 FROM collection_version AS v
                WHERE v.collection_id = o.collection_id AND v.created_change = :p)"""

#: Restored rows whose collection (or dataset, or chain child) is gone and not brought back
#: by this revert: (what, collection, key, dataset, b, e, missing, position, child, gone_c,
#: gone_d). Collections are back when this runs; datasets come next.
_TARGET_REMOVED = """
SELECT x.*, (SELECT max(v.removed_change) FROM collection_version AS v
             WHERE v.collection_id = x.gone_collection) AS gone_c,
            (SELECT max(v.removed_change) FROM dataset_version AS v
             WHERE v.dataset_id = x.gone_dataset) AS gone_d
FROM (
    SELECT 1 AS branch, 'dataset' AS what, v.run_id AS cid, v.data_id_key AS k,
           v.dataset_id AS ds, NULL AS b, NULL AS e, 'collection' AS missing, NULL AS pos,
           NULL AS child, v.run_id AS gone_collection, NULL AS gone_dataset
    FROM dataset_version AS v
    WHERE v.removed_change = :p
      AND NOT EXISTS (SELECT 1 FROM collection AS c WHERE c.collection_id = v.run_id)
    UNION ALL
    SELECT 2, 'chain position', v.parent_id, NULL, NULL, NULL, NULL,
           CASE WHEN p.collection_id IS NULL THEN 'collection' ELSE 'child collection' END,
           v.position, v.child_id,
           CASE WHEN p.collection_id IS NULL THEN v.parent_id ELSE v.child_id END, NULL
    FROM chain_version AS v
    LEFT JOIN collection AS p ON p.collection_id = v.parent_id
    LEFT JOIN collection AS k ON k.collection_id = v.child_id
    WHERE v.removed_change = :p AND (p.collection_id IS NULL OR k.collection_id IS NULL)
    UNION ALL
    SELECT 3, 'tag', v.collection_id, v.data_id_key, v.dataset_id, NULL, NULL,
           CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END, NULL, NULL,
           v.collection_id, v.dataset_id
    FROM tag_version AS v
    LEFT JOIN collection AS c ON c.collection_id = v.collection_id
    LEFT JOIN dataset AS d ON d.dataset_id = v.dataset_id
    WHERE v.removed_change = :p
      AND (c.collection_id IS NULL
           OR (d.dataset_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM dataset_version AS r
                               WHERE r.dataset_id = v.dataset_id AND r.removed_change = :p)))
    UNION ALL
    SELECT 4, 'certification', v.collection_id, v.data_id_key, v.dataset_id, v.begin_us,
           v.end_us, CASE WHEN c.collection_id IS NULL THEN 'collection' ELSE 'dataset' END,
           NULL, NULL, v.collection_id, v.dataset_id
    FROM certification_version AS v
    LEFT JOIN collection AS c ON c.collection_id = v.collection_id
    LEFT JOIN dataset AS d ON d.dataset_id = v.dataset_id
    WHERE v.removed_change = :p
      AND (c.collection_id IS NULL
           OR (d.dataset_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM dataset_version AS r
                               WHERE r.dataset_id = v.dataset_id AND r.removed_change = :p)))
) AS x
ORDER BY x.branch, x.cid, x.k, x.b, x.pos
LIMIT 1"""

#: Restored certifications that overlap a current one (the current ones of the same
#: collection and data ID key), with the change that made it.
_OVERLAPS = """
SELECT v.collection_id, v.data_id_key, v.dataset_id, v.begin_us, v.end_us,
       c.dataset_id AS other, c.begin_us AS ob, c.end_us AS oe, c.created_change AS oc,
       t.name AS type_name, k.name AS collection
FROM certification_version AS v
JOIN certification AS c
  ON c.collection_id = v.collection_id AND c.data_id_key = v.data_id_key
 AND c.begin_us < v.end_us AND v.begin_us < c.end_us
JOIN collection AS k ON k.collection_id = v.collection_id
JOIN dataset_type AS t ON t.dataset_type_id = v.dataset_type_id
WHERE v.removed_change = :p
ORDER BY t.name, v.data_id_key, v.begin_us, c.begin_us
LIMIT :n"""


class Revert(RevertActions):
    def _revert(self, epoch: int, dry_run: bool) -> list[RevertRow]:
        rows: list[RevertRow] = []
        try:
            with self._write(op="revert"):
                self._invalidate()
                # Only a sealed change has an epoch (an open one is this transaction's own).
                found = self._one("SELECT 1 FROM change WHERE change_id = ? AND open IS NULL",
                                  (epoch,))
                if found is None:
                    current = self._one("SELECT coalesce(max(change_id), 0) FROM change"
                                        " WHERE open IS NULL")[0]
                    raise _err("revert_epoch_missing", epoch=epoch, current=current)
                # A change below the history horizon is refused before anything is read:
                # its versions may be gone (as_of_pruned, as calib._as_of(p_epoch)).
                self._check_horizon(epoch)
                # What it does, read before anything is written.
                rows = self._revert_actions(epoch)
                opened = self._one("SELECT 1 FROM change WHERE open = 1") is None
                self._revert_apply(epoch, epoch)
                if opened and self._reason is None:
                    # The change this revert opened is named after it (calib.revert sets
                    # calib.reason before its first write); the seal keeps it (epochs.py).
                    self._conn.execute("UPDATE change SET reason = ? WHERE open = 1",
                                       (f"revert of epoch {epoch}",))
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return rows

    def _revert_apply(self, change: int, epoch: int) -> None:
        """calib._revert_apply: write the inverse of change ``change`` (epoch ``epoch``),
        each check right before the write it guards (see the module docstring)."""
        p = {"p": change}
        conn = self._conn
        # 1. The state of every collection whose content the change touched, ascending.
        # A snapshot is FROZEN by construction and its content is its source's: a revert
        # can only remove it or bring it back (as remove_collection may), so its state is
        # not checked (calib._revert_apply skips calib.snapshot too).
        for row in self._q("SELECT collection_id FROM collection WHERE collection_id IN"
                           f" ({_CONTENT}) AND collection_id NOT IN"
                           " (SELECT collection_id FROM snapshot) ORDER BY collection_id", p):
            coll = self._collection(self._collection_name(row[0]))
            self._check_change(coll, "revert")
            if coll.state == "APPEND_ONLY":
                raise _err("collection_append_only", collection=coll.name, operation="revert")
        was_stale = self._paths_stale()
        chains = {r[0] for r in self._q(
            "SELECT parent_id FROM chain_version WHERE created_change = :p OR removed_change = :p",
            p)}

        # 2. Remove what the change created, checking it was not changed since.
        bad = self._one("SELECT * FROM certification_version WHERE created_change = :p"
                        " ORDER BY removed_change, collection_id, data_id_key, begin_us LIMIT 1",
                        p)
        if bad is not None:
            self._revert_conflict("revert_row_changed", epoch, bad["removed_change"],
                                  "certification", bad["collection_id"], bad["data_id_key"],
                                  bad["dataset_id"], (bad["begin_us"], bad["end_us"]))
        conn.execute("DELETE FROM certification WHERE created_change = :p", p)

        bad = self._one("SELECT * FROM tag_version WHERE created_change = :p"
                        " AND removed_change IS NOT NULL"
                        " ORDER BY removed_change, collection_id, data_id_key LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_row_changed", epoch, bad["removed_change"], "tag",
                                  bad["collection_id"], bad["data_id_key"], bad["dataset_id"])
        conn.execute("DELETE FROM tag WHERE (collection_id, data_id_key) IN (SELECT"
                     " collection_id, data_id_key FROM tag_version WHERE created_change = :p"
                     " AND removed_change IS NULL)", p)

        bad = self._one("SELECT * FROM chain_version WHERE created_change = :p"
                        " AND removed_change IS NOT NULL"
                        " ORDER BY removed_change, parent_id, position LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_row_changed", epoch, bad["removed_change"],
                                  "chain position", bad["parent_id"], extra=self._position(bad))
        conn.execute("DELETE FROM collection_chain WHERE (parent_id, position) IN (SELECT"
                     " parent_id, position FROM chain_version WHERE created_change = :p"
                     " AND removed_change IS NULL)", p)

        bad = self._one("SELECT * FROM dataset_version WHERE created_change = :p"
                        " AND removed_change IS NOT NULL"
                        " ORDER BY removed_change, dataset_id LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_row_changed", epoch, bad["removed_change"], "dataset",
                                  bad["run_id"], bad["data_id_key"], bad["dataset_id"])
        # A dataset is removed only while nothing refers to it (the certifications and tags
        # the change made are gone by now; later ones hold it).
        bad = self._one(
            "SELECT v.run_id, v.data_id_key, v.dataset_id, coalesce("
            " (SELECT c.created_change FROM certification AS c WHERE c.dataset_id = v.dataset_id"
            "  ORDER BY c.created_change LIMIT 1),"
            " (SELECT t.created_change FROM tag_version AS t WHERE t.dataset_id = v.dataset_id"
            "  AND t.removed_change IS NULL ORDER BY t.created_change LIMIT 1)) AS user"
            " FROM dataset_version AS v WHERE v.created_change = :p AND v.removed_change IS NULL"
            " AND (EXISTS (SELECT 1 FROM certification AS c WHERE c.dataset_id = v.dataset_id)"
            "      OR EXISTS (SELECT 1 FROM tag_version AS t WHERE t.dataset_id = v.dataset_id"
            "                 AND t.removed_change IS NULL))"
            " ORDER BY v.dataset_id LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_in_use", epoch, bad["user"], "dataset", bad["run_id"],
                                  bad["data_id_key"], bad["dataset_id"])
        conn.execute("DELETE FROM dataset WHERE dataset_id IN (SELECT dataset_id FROM"
                     " dataset_version WHERE created_change = :p AND removed_change IS NULL)", p)

        # Collections: a version the change opened and a later change closed (a removal or
        # a state change since) stands in the way of both a removal and a state restore.
        bad = self._one("SELECT * FROM collection_version WHERE created_change = :p"
                        " AND removed_change IS NOT NULL"
                        " ORDER BY removed_change, collection_id LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_row_changed", epoch, bad["removed_change"],
                                  "collection", bad["collection_id"])
        # Registered by the change: removed unless it holds content, or is in a chain, since.
        registered = (" FROM collection_version AS v WHERE v.created_change = :p"
                      " AND v.removed_change IS NULL AND NOT EXISTS (SELECT 1 FROM"
                      " collection_version AS o WHERE o.collection_id = v.collection_id"
                      " AND o.removed_change = :p)")
        bad = self._one(
            "SELECT v.collection_id, u.change_id FROM (SELECT v.collection_id" + registered
            + ") AS v JOIN (SELECT collection_id AS id, created_change AS change_id"
            " FROM certification"
            " UNION ALL SELECT collection_id, created_change FROM tag_version"
            "  WHERE removed_change IS NULL"
            " UNION ALL SELECT run_id, created_change FROM dataset_version"
            "  WHERE removed_change IS NULL"
            " UNION ALL SELECT parent_id, created_change FROM chain_version"
            "  WHERE removed_change IS NULL"
            " UNION ALL SELECT child_id, created_change FROM chain_version"
            "  WHERE removed_change IS NULL) AS u ON u.id = v.collection_id"
            " ORDER BY v.collection_id, u.change_id LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_in_use", epoch, bad["change_id"], "collection",
                                  bad["collection_id"])
        conn.execute("DELETE FROM collection WHERE collection_id IN (SELECT v.collection_id"
                     + registered + ")", p)

        # 3. Restore what the change removed, as it was.
        bad = self._one(
            "SELECT o.collection_id, (SELECT min(h.created_change) FROM collection_version AS h"
            " WHERE h.collection_id = c.collection_id) AS holder"
            " FROM collection_version AS o JOIN collection AS c ON c.name = o.name"
            f" WHERE {_RESTORED_COLLECTION} ORDER BY o.name LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_occupied", epoch, bad["holder"], "collection",
                                  bad["collection_id"])
        # A restored collection has its doc NULL (a doc is not versioned), as on PostgreSQL.
        conn.execute("INSERT INTO collection (collection_id, name, type, state)"
                     " SELECT o.collection_id, o.name, o.type, o.state"
                     f" FROM collection_version AS o WHERE {_RESTORED_COLLECTION}"
                     " ORDER BY o.collection_id", p)
        # A restored snapshot reads its source again: its snapshot row outlived it, and the
        # collection's insert trigger writes its path row with source and epoch
        # (sql/sqlite/schema/snapshot.sql). A removed one keeps its snapshot row, as on
        # PostgreSQL (it tells as-of reads what it was); its path rows go with it.

        bad = self._one(_TARGET_REMOVED, p)
        if bad is not None:
            extra = {"missing": bad["missing"]}
            if bad["pos"] is not None:
                extra = {**self._position(bad, "child"), **extra}
            self._revert_conflict(
                "revert_target_removed", epoch,
                bad["gone_d"] if bad["missing"] == "dataset" else bad["gone_c"], bad["what"],
                bad["cid"], bad["k"], bad["ds"],
                None if bad["b"] is None else (bad["b"], bad["e"]), extra)

        bad = self._one(
            "SELECT v.run_id, v.data_id_key, v.dataset_id, h.created_change AS holder"
            " FROM dataset_version AS v JOIN dataset_version AS h ON h.removed_change IS NULL"
            " AND (h.dataset_id = v.dataset_id OR (h.run_id = v.run_id"
            " AND h.data_id_key = v.data_id_key))"
            " WHERE v.removed_change = :p ORDER BY v.dataset_id LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_occupied", epoch, bad["holder"], "dataset",
                                  bad["run_id"], bad["data_id_key"], bad["dataset_id"])
        conn.execute("INSERT INTO dataset (dataset_id, dataset_type_id, data_id_key, run_id)"
                     " SELECT dataset_id, dataset_type_id, data_id_key, run_id"
                     " FROM dataset_version WHERE removed_change = :p", p)

        bad = self._one(
            "SELECT v.parent_id, v.position, v.child_id, h.created_change AS holder"
            " FROM chain_version AS v JOIN chain_version AS h ON h.removed_change IS NULL"
            " AND h.parent_id = v.parent_id AND (h.position = v.position"
            " OR h.child_id = v.child_id)"
            " WHERE v.removed_change = :p ORDER BY v.parent_id, v.position LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_occupied", epoch, bad["holder"], "chain position",
                                  bad["parent_id"], extra=self._position(bad))
        cycle = self._restored_cycle(change)
        if cycle is not None:
            raise _err("revert_chain_cycle", epoch=epoch, collection=cycle)
        conn.execute("INSERT INTO collection_chain (parent_id, position, child_id)"
                     " SELECT parent_id, position, child_id FROM chain_version"
                     " WHERE removed_change = :p ORDER BY parent_id, position", p)
        if chains:
            self._refresh_search_paths(
                [r[0] for r in self._q("SELECT collection_id FROM collection WHERE"
                                       " collection_id IN (SELECT value FROM json_each(?))",
                                       (str(sorted(chains)),))], was_stale)

        bad = self._one(
            "SELECT v.collection_id, v.data_id_key, v.dataset_id, h.created_change AS holder"
            " FROM tag_version AS v JOIN tag_version AS h ON h.removed_change IS NULL"
            " AND h.collection_id = v.collection_id AND (h.data_id_key = v.data_id_key"
            " OR h.dataset_id = v.dataset_id)"
            " WHERE v.removed_change = :p ORDER BY v.collection_id, v.data_id_key LIMIT 1", p)
        if bad is not None:
            self._revert_conflict("revert_occupied", epoch, bad["holder"], "tag",
                                  bad["collection_id"], bad["data_id_key"], bad["dataset_id"])
        conn.execute("INSERT INTO tag (collection_id, dataset_type_id, data_id_key, dataset_id,"
                     " run_id) SELECT collection_id, dataset_type_id, data_id_key, dataset_id,"
                     " run_id FROM tag_version WHERE removed_change = :p", p)

        self._restore_certifications(change, epoch)

        # 4. The old state of collections the change reconfigured.
        conn.execute(
            "UPDATE collection SET state = (SELECT o.state FROM collection_version AS o"
            " WHERE o.collection_id = collection.collection_id AND o.removed_change = :p)"
            " WHERE collection_id IN (SELECT o.collection_id FROM collection_version AS o"
            " JOIN collection_version AS v ON v.collection_id = o.collection_id"
            " AND v.created_change = :p AND v.removed_change IS NULL"
            " WHERE o.removed_change = :p)", p)

    def _position(self, row: object, child: str = "child_id") -> dict[str, object]:
        """A chain position's facts as the conflicts name them: position and child name."""
        return {"position": row["position" if child == "child_id" else "pos"],  # type: ignore[index]
                "child": self._collection_name_last(row[child])}  # type: ignore[index]

    def _collection_name_last(self, collection_id: int | None) -> str | None:
        """The name collection ``collection_id`` bore last (its latest version)."""
        row = self._one("SELECT name FROM collection_version WHERE collection_id = ?"
                        " ORDER BY created_change DESC LIMIT 1", (collection_id,))
        return None if row is None else row[0]

    def _restored_cycle(self, change: int) -> str | None:
        """The first (by name) parent of a restored chain position that the chains as they
        will be (the current ones and the restored ones) lead back to, or None."""
        edges: dict[int, set[int]] = {}
        for r in self._q("SELECT parent_id, child_id FROM collection_chain UNION"
                         " SELECT parent_id, child_id FROM chain_version WHERE removed_change = ?",
                         (change,)):
            edges.setdefault(r[0], set()).add(r[1])
        starts = {r[0] for r in self._q("SELECT parent_id FROM chain_version"
                                        " WHERE removed_change = ?", (change,))}
        looped = []
        for start in starts:
            seen: set[int] = set()
            todo = list(edges.get(start, ()))
            while todo:
                cid = todo.pop()
                if cid == start:
                    looped.append(start)
                    break
                if cid not in seen:
                    seen.add(cid)
                    todo.extend(edges.get(cid, ()))
        names = sorted(n for n in (self._one("SELECT name FROM collection WHERE"
                                             " collection_id = ?", (s,)) for s in looped)
                       if n is not None)
        return names[0][0] if names else None

    def _restore_certifications(self, change: int, epoch: int) -> None:
        """Put back the certifications the change closed, unless one would overlap a
        current certification (KC001 revert_overlap, the overlapping ones listed)."""
        over = self._q(_OVERLAPS, {"p": change, "n": MAX_CONFLICTS})
        if over:
            values = self._data_id_values(r["data_id_key"] for r in over)
            conflicts = [{
                "dataset_type": r["type_name"], "data_id": values[r["data_id_key"]],
                "dataset": str(_uuid(r["dataset_id"])),
                "timespan": _span_json(r["begin_us"], r["end_us"]),
                "conflicting_dataset": str(_uuid(r["other"])),
                "conflicting_timespan": _span_json(r["ob"], r["oe"]),
                "conflicting_epoch": self._epoch_of(r["oc"])} for r in over]
            raise _err("revert_overlap", epoch=epoch, collection=min(r["collection"] for r in over),
                       conflicts=conflicts)
        self._conn.execute(
            "INSERT INTO certification (collection_id, dataset_type_id, data_id_key, dataset_id,"
            " run_id, begin_us, end_us, created_change, created_operation)"
            " SELECT collection_id, dataset_type_id, data_id_key, dataset_id, run_id, begin_us,"
            " end_us, :chg, :op FROM certification_version WHERE removed_change = :p",
            {"p": change, "chg": self._change_id(), "op": self._operation_label})

