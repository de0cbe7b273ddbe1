"""Values to and from the PostgreSQL backend's statements: ranges, instants, result rows.

Shared by PostgresRegistry and its mixins (find_many, history, explain), which import them
from here rather than from postgres.py, which imports the mixins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.range import Range, TimestamptzRange

from ..query_batch import At
from ..types import (
    CollectionInfo,
    CollectionState,
    CollectionType,
    DatasetRef,
    Timespan,
    to_utc,
)


def _range(ts: Timespan) -> Range:
    # The typed subclass: it can go in binary (%b) even when both sides are unbounded.
    return TimestamptzRange(ts.begin, ts.end, "[)")


def _at_range(at: At) -> Range | None:
    if at is None:
        return None
    if isinstance(at, Timespan):
        return _range(at)
    return Range(at, at, "[]")  # an instant: the range [t, t]


def _timespan(r: Range) -> Timespan:
    return Timespan(None if r.lower is None else to_utc(r.lower),
                    None if r.upper is None else to_utc(r.upper))


def _utc(t: datetime | None) -> datetime | None:
    return None if t is None else to_utc(t)


def _ref(row: dict[str, Any]) -> DatasetRef:
    return DatasetRef(row["dataset_id"], row["dataset_type"], row["data_id"], row["run"])


def _collection_info(r: dict[str, Any]) -> CollectionInfo:
    """A row of calib.list_collections (either form)."""
    return CollectionInfo(r["name"], CollectionType(r["type"]), r["doc"],
                          CollectionState(r["state"]),
                          None if r["writers"] is None else tuple(r["writers"]),
                          r["snapshot_of"], r["snapshot_epoch"])
