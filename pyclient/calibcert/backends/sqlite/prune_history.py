"""prune_history (twins sql/functions/prune_history.sql; differs by necessity: SQLite has no
roles, so whoever may write the file may prune, and prunes take turns on the file's write
lock (BEGIN IMMEDIATE) instead of the history_horizon row lock).

The same checks in the same order, the same rows dropped and kept, the same result: closed
versions whose removing change has an epoch below ``before`` (no as-of read at an epoch >=
``before`` can see them, and no history row from ``before`` on shows them), then the changes
below ``before`` that nothing refers to any more; the horizon becomes ``before`` and never
moves back (sql/sqlite/schema/retention.sql keeps raw writers from moving it). A change
is its epoch here (change_id), and an open change (this transaction's, numbered above the
current epoch) is never below ``before``.
"""

from __future__ import annotations

from datetime import datetime

from ...errors import error
from .catalog import Catalog
from .epochs import _CURRENT
from .values import _to_us

#: The version tables, each with its closed versions' removing change (prune order as on
#: PostgreSQL; certification_version holds closed versions only).
VERSION_TABLES = ("certification_version", "collection_version", "chain_version",
                  "tag_version", "dataset_version")

#: Every change a version or a current certification still refers to: one pass over each
#: table (SQLite builds the NOT IN set once, as PostgreSQL hashes its anti-joins). NULLs are
#: left out: one NULL in a NOT IN list would make it delete nothing.
_REFERENCED = " UNION ".join(
    ["SELECT created_change FROM certification"]
    + [f"SELECT created_change FROM {t} UNION SELECT removed_change FROM {t}"
       " WHERE removed_change IS NOT NULL" for t in VERSION_TABLES])


class PruneHistory(Catalog):
    def _prune_history(self, before: int | None) -> int:
        if before is None:
            raise error("argument_null", what="before")
        with self._write():
            # Under the write lock: BEGIN IMMEDIATE has sealed a raw writer's change.
            current = self._one(_CURRENT)[0]
            if before < 0 or before > current:
                raise error("prune_range", before=before, current=current)
            # A snapshot reads its source as of its epoch, for as long as it exists or can
            # still be read as of an epoch >= before (removed at or after it, or by this
            # transaction's own open change): its versions must stay.
            snapshot = self._one(
                "SELECT min(s.epoch) FROM snapshot AS s WHERE s.epoch < :b"
                " AND EXISTS (SELECT 1 FROM collection_version AS v"
                "             WHERE v.collection_id = s.collection_id"
                "               AND (v.removed_change IS NULL OR v.removed_change >= :b))",
                {"b": before})[0]
            if snapshot is not None:
                raise error("prune_snapshot", before=before, snapshot_epoch=snapshot)
            if before <= self._horizon():  # type: ignore[attr-defined]
                return 0
            dropped = 0
            for table in VERSION_TABLES:
                dropped += self._conn.execute(
                    f"DELETE FROM {table} WHERE removed_change < ?", (before,)).rowcount
            self._conn.execute(
                f"DELETE FROM change WHERE change_id < ? AND change_id NOT IN ({_REFERENCED})",
                (before,))
            self._conn.execute(
                "UPDATE history_horizon SET earliest_epoch = ?, pruned_at = ? WHERE only_row = 1",
                (before, _to_us(datetime.now().astimezone())))
            return dropped

