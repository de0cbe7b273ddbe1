"""Value types of the public API: Timespan, CollectionType, DatasetRef, Certification.

Every rule about what a *value* may look like (aware datetimes, ``begin < end``, data-ID
value types, name syntax) lives here, so the client, both backends and the CLI share it.
Rules that need stored state (does the collection exist, do the keys match the dataset
type's dimensions) live in the database (PostgreSQL) or the SQLite backend.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .errors import (
    DataIdError,
    InvalidArgumentError,
    InvalidNameError,
    InvalidTimespanError,
    register_timespan_class,
)

DataIdValue = int | str
DataId = Mapping[str, DataIdValue]

#: Longest collection / dataset-type / dimension name (API.md: 1–255 characters).
MAX_NAME_LENGTH = 255
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: A lone surrogate: not Unicode text, no UTF-8 encoding (neither driver can send it).
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (as a ``\\uXXXX`` escape), or None."""
    if text.isascii():
        return None
    m = _SURROGATE.search(text)
    return None if m is None else f"\\u{ord(m.group()):04x}"


#: Bounds of a PostgreSQL bigint: the largest integer a data-ID value may hold.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


class CollectionType(str, enum.Enum):
    """The four kinds of collection (API.md "Concepts")."""

    RUN = "RUN"
    TAGGED = "TAGGED"
    CALIBRATION = "CALIBRATION"
    CHAINED = "CHAINED"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: CollectionType | str) -> CollectionType:
        try:
            return cls(value.upper() if isinstance(value, str) else value)
        except (ValueError, AttributeError):
            # InvalidArgumentError (a ValueError): the same class the SQL function raises.
            raise InvalidArgumentError(
                f"unknown collection type {value!r}; expected one of "
                + ", ".join(t.value for t in cls)
            ) from None


def check_name(name: object, what: str = "name") -> str:
    """Validate a collection, dataset-type or dimension name (1–255 chars, no control chars)."""
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} must be a string, not {type(name).__name__}", name=name)
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"{what} {name[:40]!r} must be 1 to {MAX_NAME_LENGTH} characters long "
            f"(got {len(name)})",
            name=name,
        )
    if _CONTROL_CHARS.search(name):
        raise InvalidNameError(f"{what} {name!r} contains a control character", name=name)
    bad = lone_surrogate(name)
    if bad:
        raise InvalidNameError(
            f"{what} {name!r} contains a lone surrogate {bad}: not valid Unicode text",
            name=name)
    return name


def to_utc(value: datetime, what: str = "time") -> datetime:
    """Return an aware datetime converted to UTC; naive datetimes are an error."""
    if not isinstance(value, datetime):
        raise InvalidTimespanError(
            f"{what} must be a datetime, not {type(value).__name__}", timespan=None
        )
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidTimespanError(
            f"{what} {value.isoformat()} is naive: give a timezone-aware datetime",
            timespan=None,
        )
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class Timespan:
    """Half-open validity ``[begin, end)``; ``None`` means unbounded on that side.

    Both ends are stored in UTC. ``begin < end`` is required: empty or reversed spans are
    rejected at construction, so every Timespan in the program is valid.
    """

    begin: datetime | None
    end: datetime | None

    def __post_init__(self) -> None:
        begin = None if self.begin is None else to_utc(self.begin, "timespan begin")
        end = None if self.end is None else to_utc(self.end, "timespan end")
        if begin is not None and end is not None and not begin < end:
            raise InvalidTimespanError(
                f"timespan [{begin.isoformat()}, {end.isoformat()}) is empty or reversed: "
                "begin must be before end",
                timespan=(begin, end),
            )
        object.__setattr__(self, "begin", begin)
        object.__setattr__(self, "end", end)

    @classmethod
    def at(cls, instant: datetime) -> Timespan:
        """The shortest timespan containing ``instant`` (one microsecond)."""
        t = to_utc(instant)
        return cls(t, t + timedelta(microseconds=1))

    def contains(self, instant: datetime) -> bool:
        t = to_utc(instant)
        return (self.begin is None or self.begin <= t) and (self.end is None or t < self.end)

    def overlaps(self, other: Timespan) -> bool:
        return (self.begin is None or other.end is None or self.begin < other.end) and (
            other.begin is None or self.end is None or other.begin < self.end
        )

    def __str__(self) -> str:
        b = "-inf" if self.begin is None else self.begin.isoformat()
        e = "+inf" if self.end is None else self.end.isoformat()
        return f"[{b}, {e})"


register_timespan_class(Timespan)


def canonical_data_id(data_id: object, dimensions: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Validate a data ID's shape and return it as a plain dict with keys sorted.

    Values must be ``int`` (not ``bool``) or ``str``. When ``dimensions`` is given, the keys
    must be exactly those dimension names.
    """
    if type(data_id) is dict and dimensions is None:
        # Fast path for the usual plain dict of str keys and int / str values (find_many
        # calls this once per query); anything it does not accept takes the full checks.
        try:
            items = sorted(data_id.items())
        except TypeError:  # keys of mixed types: the full checks report it
            items = None
        if items is not None:
            # A plain loop: a generator in all() cost a third of the call.
            for k, v in items:
                if type(k) is not str or "\x00" in k or lone_surrogate(k):
                    break
                if type(v) is str:
                    if "\x00" in v or lone_surrogate(v):
                        break
                elif type(v) is not int or not _INT_MIN <= v <= _INT_MAX:
                    break
            else:
                return dict(items)
    if not isinstance(data_id, Mapping):
        raise DataIdError(
            f"data ID must be a mapping, not {type(data_id).__name__}", data_id=data_id
        )
    out: dict[str, Any] = {}
    for key in sorted(data_id, key=str):
        value = data_id[key]
        if not isinstance(key, str):
            raise DataIdError(f"data ID key {key!r} is not a string", data_id=dict(data_id))
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise DataIdError(
                f"data ID value {key}={value!r} must be int or str, not {type(value).__name__}",
                data_id=dict(data_id),
            )
        if isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
            raise DataIdError(
                f"data ID value {key}={value} is outside the 64-bit integer range",
                data_id=dict(data_id),
            )
        # PostgreSQL jsonb cannot hold U+0000; refuse it on both backends alike.
        if "\x00" in key or (isinstance(value, str) and "\x00" in value):
            raise DataIdError(
                f"data ID {key}={value!r} contains a NUL character", data_id=dict(data_id)
            )
        bad = lone_surrogate(key) or (isinstance(value, str) and lone_surrogate(value))
        if bad:
            raise DataIdError(
                f"data ID {key}={value!r} contains a lone surrogate {bad}: not valid Unicode "
                "text, which neither backend can store", data_id=dict(data_id))
        out[key] = value
    if dimensions is not None and set(out) != set(dimensions):
        missing = sorted(set(dimensions) - set(out))
        extra = sorted(set(out) - set(dimensions))
        raise DataIdError(
            f"data ID {out} does not match dimensions {list(dimensions)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {extra}" if extra else ""),
            data_id=out,
        )
    return out


@dataclass(frozen=True)
class DatasetRef:
    """A dataset: its UUID, dataset type name, data ID and the RUN it lives in forever."""

    id: uuid.UUID
    dataset_type: str
    data_id: dict[str, DataIdValue] = field(compare=True)
    run: str

    def __hash__(self) -> int:  # data_id is a dict; the UUID identifies the dataset
        return hash(self.id)


@dataclass(frozen=True)
class Certification:
    """One certification row: a dataset valid over a timespan in a CALIBRATION collection.

    ``collection`` is the CALIBRATION collection the row is stored in (through a chain, the
    child it came from).
    """

    ref: DatasetRef
    timespan: Timespan
    collection: str


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    type: CollectionType
    doc: str | None = None


@dataclass(frozen=True)
class DatasetTypeInfo:
    name: str
    dimensions: tuple[str, ...]
    is_calibration: bool
