"""Value types of the public API: Timespan, CollectionType, DatasetRef, Certification.

Every rule about what a *value* may look like (aware datetimes, ``begin < end``, data-ID
value types, name syntax) lives here, so the client, both backends and the CLI share it.
Rules that need stored state (does the collection exist, do the keys match the dataset
type's dimensions) live in the database (PostgreSQL) or the SQLite backend.
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from .errors import (
    DataIdError,
    InvalidArgumentError,
    InvalidNameError,
    InvalidTimespanError,
    error,
    register_timespan_class,
)

DataIdValue = int | str
DataId = Mapping[str, DataIdValue]

#: Longest collection / dataset-type / dimension name (API.md: 1–255 characters).
MAX_NAME_LENGTH = 255
#: Longest data-ID string value (1–255 characters, as names).
MAX_VALUE_LENGTH = 255
#: Largest data ID, as canonical JSON (keys sorted, no whitespace) in bytes of UTF-8: keeps
#: every stored data ID well inside PostgreSQL's btree entry limit (about 2.7 kB).
MAX_DATA_ID_BYTES = 2000
#: Most dimensions a dataset type may have (with MAX_DATA_ID_BYTES: no jsonb data ID can
#: outgrow a btree entry, however small its values).
MAX_DIMENSIONS = 32

#: Characters that names and data-ID string values may not hold (code point ranges): the
#: control characters (Cc, NUL included), the format characters (Cf: soft hyphen, bidi
#: marks, embeddings, overrides and isolates, zero-width space / joiners, word joiner,
#: invisible operators, BOM, tags, ...) as of Unicode 15, and lone surrogates (which
#: PostgreSQL cannot store; refused here before anything is sent). The same list, without
#: the surrogates, is calib._forbidden_character (sql/functions/_forbidden_character.sql);
#: tests/test_names_and_values.py compares the two over every code point.
FORBIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C),
    (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
_FORBIDDEN = re.compile("[" + "".join(
    re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b)))
    for a, b in FORBIDDEN_RANGES) + "]")
#: What can never be sent to PostgreSQL (NUL, lone surrogates).
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")

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


class CollectionState(str, enum.Enum):
    """What changes a collection accepts (README "Collection states and writers")."""

    OPEN = "OPEN"
    APPEND_ONLY = "APPEND_ONLY"
    FROZEN = "FROZEN"

    def __str__(self) -> str:
        return self.value


def forbidden_character(text: str) -> str | None:
    """The first character of ``text`` that names and values may not hold, as ``U+XXXX``
    (the form calib._forbidden_character returns), or None."""
    m = _FORBIDDEN.search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def nfc(text: str) -> str:
    """``text`` in Unicode normalisation form C (ASCII is already)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def check_name(name: object, what: str = "name") -> str:
    """Validate a collection, dataset-type or dimension name and return it in NFC: 1–255
    characters (after normalisation), none of them forbidden (:data:`FORBIDDEN_RANGES`).
    The same rules, kinds and details as calib._check_name."""
    if not isinstance(name, str):
        raise InvalidNameError(f"{what} must be a string, not {type(name).__name__}", name=name)
    if not (name.isascii() and name.isprintable()):
        name = nfc(name)
        ch = forbidden_character(name)
    else:
        ch = None
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise error("name_length", what=what, name=name, length=len(name))
    if ch is not None:
        raise error("name_character", what=what, name=name, character=ch)
    return name


def lookup_name(name: Any, what: str = "name") -> Any:
    """A name to look up, in NFC (names are stored in NFC). Nothing else is checked (an
    invalid name names nothing: the backends say it does not exist), except what cannot be
    sent to PostgreSQL at all (NUL, lone surrogates): InvalidNameError on both backends."""
    if type(name) is not str or (name.isascii() and "\x00" not in name):
        return name
    m = _UNSENDABLE.search(name)
    if m is not None:
        raise error("name_character", what=what, name=name, character=f"U+{ord(m.group()):04X}")
    return nfc(name)


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
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00, 9999-12-31T23:00-01:00
        raise InvalidTimespanError(
            f"{what} {value.isoformat()} is out of range: in UTC it is before year 1 or after"
            " year 9999",
            timespan=None,
        ) from None


#: The last instant a datetime can hold (Timespan.at cannot add a microsecond to it).
_LAST_INSTANT = datetime.max.replace(tzinfo=timezone.utc)


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
        """The shortest timespan containing ``instant`` (one microsecond; at the last
        microsecond of year 9999, unbounded after it)."""
        t = to_utc(instant)
        return cls(t, t + timedelta(microseconds=1) if t < _LAST_INSTANT else None)

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


def _json_size(data_id: dict[str, Any]) -> int:
    """Bytes of UTF-8 of ``data_id`` as canonical JSON (no whitespace)."""
    return len(json.dumps(data_id, ensure_ascii=False, separators=(",", ":")).encode())


def canonical_data_id(data_id: object, dimensions: tuple[str, ...] | None = None,
                      dataset_type: str | None = None) -> dict[str, Any]:
    """Validate a data ID's values and return it as a plain dict with keys sorted, its keys
    and string values in NFC.

    Values must be ``int`` (not ``bool``, 64-bit) or ``str`` (1–255 characters, none
    forbidden: :data:`FORBIDDEN_RANGES`); the data ID as canonical JSON at most
    :data:`MAX_DATA_ID_BYTES`. The same kinds and details as calib._canonical_data_ids
    (``dataset_type`` is only named in them). When ``dimensions`` is given, the keys must be
    exactly those dimension names. Whether a value has its dimension's type is the
    backends' rule (it needs the stored types).
    """
    if type(data_id) is dict and dimensions is None:
        # Fast path for the usual plain dict of ASCII str keys and int / printable ASCII str
        # values (find_many calls this once per query): no normalisation, no scan for
        # forbidden characters. Anything it does not accept takes the full checks.
        try:
            items = sorted(data_id.items())
        except TypeError:  # keys of mixed types: the full checks report it
            items = None
        if items is not None:
            n = 0
            # A plain loop: a generator in all() cost a third of the call.
            for k, v in items:
                if type(k) is not str or not k.isascii() or "\x00" in k:
                    break
                if type(v) is str:
                    if not (v.isascii() and v.isprintable() and 0 < len(v) <= MAX_VALUE_LENGTH):
                        break
                    n += len(v)
                elif type(v) is not int or not _INT_MIN <= v <= _INT_MAX:
                    break
                n += len(k)
            else:
                # An upper bound of the canonical JSON's size: every character escaped,
                # every integer at its longest.
                if 2 * n + 30 * len(items) + 2 <= MAX_DATA_ID_BYTES:
                    return dict(items)
    if not isinstance(data_id, Mapping):
        raise DataIdError(
            f"data ID must be a mapping, not {type(data_id).__name__}", data_id=data_id
        )
    given = dict(data_id)
    for key in given:
        if not isinstance(key, str):
            raise DataIdError(f"data ID key {key!r} is not a string", data_id=given)
    out: dict[str, Any] = {}
    for key in sorted(given):
        m = _UNSENDABLE.search(key)
        if m is not None:
            # NUL and lone surrogates cannot reach PostgreSQL: refused alike on both backends
            # (any other key that is no dimension name is the backends' dimension error).
            raise error("data_id_key_character", dataset_type=dataset_type, data_id=given,
                        key=key, character=f"U+{ord(m.group()):04X}")
        out[nfc(key)] = given[key]
    if len(out) != len(given):
        raise DataIdError(f"data ID {given} has keys that are equal in Unicode NFC",
                          data_id=given)
    out = dict(sorted(out.items()))
    for key, value in out.items():
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise DataIdError(
                f"data ID value {key}={value!r} must be int or str, not {type(value).__name__}",
                data_id=given,
            )
        if isinstance(value, int) and not _INT_MIN <= value <= _INT_MAX:
            raise DataIdError(
                f"data ID value {key}={value} is outside the 64-bit integer range",
                data_id=given,
            )
        if isinstance(value, str):
            value = out[key] = nfc(value)
            if not 1 <= len(value) <= MAX_VALUE_LENGTH:
                raise error("data_id_value_length", dataset_type=dataset_type, data_id=given,
                            dimension=key, value=value, length=len(value))
            ch = forbidden_character(value)
            if ch is not None:
                raise error("data_id_value_character", dataset_type=dataset_type,
                            data_id=given, dimension=key, value=value, character=ch)
    if dimensions is not None and set(out) != set(dimensions):
        missing = sorted(set(dimensions) - set(out))
        extra = sorted(set(out) - set(dimensions))
        raise DataIdError(
            f"data ID {out} does not match dimensions {list(dimensions)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {extra}" if extra else ""),
            data_id=out,
        )
    size = _json_size(out)
    if size > MAX_DATA_ID_BYTES:
        raise error("data_id_size", dataset_type=dataset_type, data_id=given, size=size)
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
    """A collection as list_collections shows it: ``state`` (OPEN, APPEND_ONLY, FROZEN)
    and ``writers`` (the roles whose members may change it; None: every certifier, and
    always None on SQLite, which has no roles). A snapshot (``snapshot_collection``) names
    its source (``snapshot_of``, the name it had then) and the epoch it reads at
    (``snapshot_epoch``); both None for every other collection."""

    name: str
    type: CollectionType
    doc: str | None = None
    state: CollectionState = CollectionState.OPEN
    writers: tuple[str, ...] | None = None
    snapshot_of: str | None = None
    snapshot_epoch: int | None = None


@dataclass(frozen=True)
class DatasetTypeInfo:
    name: str
    dimensions: tuple[str, ...]
    is_calibration: bool


class IntegrityProblem(NamedTuple):
    """One violation found by ``check_integrity()``: the check's name and its detail (plain
    JSON values, the same on both backends; README "Integrity check and statistics").
    A tuple, so ``for check, detail in registry.check_integrity()`` works."""

    check: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class CollectionStats:
    """One row of ``collection_stats()``. Counts that do not apply to the collection's type
    are 0; ``earliest_begin`` / ``latest_end`` are None when some certification is
    unbounded on that side, or when there is none."""

    name: str
    type: CollectionType
    state: CollectionState
    datasets: int
    tagged: int
    certifications: int
    calibration_keys: int
    open_ended: int
    earliest_begin: datetime | None
    latest_end: datetime | None
    children: int
