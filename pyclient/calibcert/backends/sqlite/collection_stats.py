"""collection_stats (twins sql/functions/collection_stats.sql; the statement is
sql/sqlite/functions/collection_stats.sql; no difference but times stored as microseconds)."""

from __future__ import annotations

from ...types import CollectionState, CollectionStats, CollectionType
from .catalog import Catalog, _script
from .values import _from_us

(_STATS,) = _script("collection_stats")


class CollectionStatistics(Catalog):
    def _collection_stats(self) -> list[CollectionStats]:
        with self._read():
            rows = self._conn.execute(_STATS).fetchall()
        return [CollectionStats(
            r["name"], CollectionType(r["type"]), CollectionState(r["state"]),
            r["datasets"], r["tagged"],
            r["certifications"], r["calibration_keys"], r["open_ended"],
            None if r["earliest_begin_us"] is None else _from_us(r["earliest_begin_us"]),
            None if r["latest_end_us"] is None else _from_us(r["latest_end_us"]),
            r["children"]) for r in rows]
