"""How the SQL functions hold values (twins sql/functions/_ts_text.sql and _span_json.sql): integer
microseconds for times, 16-byte ids, and the JSON forms errors carry in their details
(timespans as ``[begin, end]`` ISO strings, as calib._ts_text / calib._span_json write them).
Error messages are not made here: an error is raised as (kind, details), and
calibcert.messages renders its message, as it does for PostgreSQL's errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ...errors import error
from ...messages import jsonb_key_order
from ...registry import DatasetIdArray
from ...types import (
    Timespan,
)

#: Sentinels for an unbounded side (see the module docstring).
MIN_US = -(2**63)
MAX_US = 2**63 - 1
#: The PostgreSQL client sends batches in chunks of this size; data IDs new in one chunk are
#: interned in jsonb order, so the interning order (visible in ``certifications``) matches.
PG_CHUNK = 50_000
#: At most this many conflicts are listed in a ConflictingCertificationError (as in SQL).
MAX_CONFLICTS = 100
#: Calls with at most this many datasets take the few-rows path (no scratch tables).
FEW = 64
#: Calls writing at least this many rows run their bulk statements without per-row
#: foreign-key lookups (see connection.SqliteConnection._write).
BULK_ROWS = 1_000
#: find_many reads its rows in slices of this many (see lookup.Lookup._member_at).
ROWS_PER_FETCH = 500
#: Oldest SQLite this module is written for (window functions, upserts, JSON, RETURNING-free).
MIN_SQLITE = (3, 35, 0)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)


# -- values as the SQL functions hold them ----------------------------------------------


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


#: jsonb stores object keys shorter first, then bytewise (written once, in messages).
_jsonb_key_order = jsonb_key_order


#: How every module of this backend raises: ``_err(kind, **details)`` (details in their
#: JSON form, as the SQL functions put them into DETAIL; the message is rendered from them).
_err = error


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


def _first_repeated(values: Sequence[Any]) -> int | None:
    """The position of the first value that appears again later, or None."""
    first: dict[Any, int] = {}
    best: int | None = None
    for i, v in enumerate(values):
        j = first.setdefault(v, i)
        if j != i and (best is None or j < best):
            best = j
    return best
