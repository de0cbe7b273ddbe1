"""The calibcert exception hierarchy, and the one place SQLSTATEs become exceptions.

Every error raised by the SQL functions carries a SQLSTATE of our own class ``KC`` and a
JSON object in its DETAIL field: the error's ``kind`` and the structured facts its message
names (collection, dataset type, data ID, dataset, timespan, conflicts...).
:func:`from_sqlstate` maps a code (never the message text) to a class; :func:`translate`
builds the exception from a driver error, keeping the original as ``__cause__``. The
message of an error of a known kind is rendered by :func:`calibcert.messages.render` from
(kind, details), on both backends: the SQLite backend raises through :func:`error` with the
same kinds and details, so callers never need to know which backend they talk to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import messages


class CalibCertError(Exception):
    """Root of every calibcert error.

    ``details`` holds the structured facts named in the message (JSON-compatible values:
    names, data IDs as dicts, dataset UUIDs and timespans as strings / ``[begin, end]``).
    Common keys are also available as attributes: ``err.collection``, ``err.data_id``...
    """

    sqlstate: str = ""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: expose details as attributes.
        details = self.__dict__.get("details", {})
        if name in details:
            return details[name]
        raise AttributeError(name)

    def __reduce__(self):  # picklable across processes (CLI, multiprocessing tests)
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[CalibCertError], message: str, details: dict[str, Any]):
    return cls(message, **details)


class ConflictingCertificationError(CalibCertError):
    """A certification would overlap another one of the same calibration key.

    ``details["conflicts"]`` lists every conflict: the key (``dataset_type``, ``data_id``),
    the new ``dataset`` and ``timespan``, and the ``conflicting_dataset`` /
    ``conflicting_timespan`` it overlaps (stored, or another item of the same call).
    """

    sqlstate = "KC001"

    @property
    def conflicts(self) -> list[dict[str, Any]]:
        return list(self.details.get("conflicts", []))


class MissingCollectionError(CalibCertError, LookupError):
    sqlstate = "KC002"


class CollectionTypeError(CalibCertError, TypeError):
    sqlstate = "KC003"


class CollectionCycleError(CalibCertError, ValueError):
    sqlstate = "KC004"


class MissingDatasetTypeError(CalibCertError, LookupError):
    sqlstate = "KC005"


class DatasetTypeError(CalibCertError, TypeError):
    sqlstate = "KC006"


class MissingDatasetError(CalibCertError, LookupError):
    sqlstate = "KC007"


class DataIdError(CalibCertError, ValueError):
    sqlstate = "KC008"


class InvalidTimespanError(CalibCertError, ValueError):
    sqlstate = "KC009"


class ConflictingDefinitionError(CalibCertError):
    """Re-registering with another definition; a duplicate dataset or tag."""

    sqlstate = "KC010"


class CalibrationLookupError(CalibCertError, LookupError):
    """A lookup matched more than one certification in the deciding collection."""

    sqlstate = "KC011"


class SchemaVersionError(CalibCertError):
    """The database schema is missing or not at the head revision."""

    sqlstate = "KC012"


class CollectionInUseError(CalibCertError):
    """Removing a collection that is still a chain child, or a RUN that still has datasets."""

    sqlstate = "KC013"


class InvalidNameError(CalibCertError, ValueError):
    """A collection / dataset-type / dimension name that is empty, too long or holds a
    forbidden (control or format) character (README "Names and data-ID values")."""

    sqlstate = "KC014"


class InvalidArgumentError(CalibCertError, ValueError):
    """A malformed call: NULL where a value is required, arrays of different lengths..."""

    sqlstate = "KC015"


class LockTimeoutError(CalibCertError):
    """A writer could not take its locks within ``lock_timeout`` (SQLSTATE 55P03, or SQLite
    busy timeout). Nothing was changed; the call may be retried."""

    sqlstate = "55P03"


class TransactionConflictError(CalibCertError):
    """Serialization failure or deadlock (40001 / 40P01): nothing was changed; retry."""

    sqlstate = "40001"


_OWN_CLASSES: tuple[type[CalibCertError], ...] = (
    ConflictingCertificationError,
    MissingCollectionError,
    CollectionTypeError,
    CollectionCycleError,
    MissingDatasetTypeError,
    DatasetTypeError,
    MissingDatasetError,
    DataIdError,
    InvalidTimespanError,
    ConflictingDefinitionError,
    CalibrationLookupError,
    SchemaVersionError,
    CollectionInUseError,
    InvalidNameError,
    InvalidArgumentError,
)

#: SQLSTATE → exception class. Our own class-KC codes, then the standard codes we map.
SQLSTATE_MAP: dict[str, type[CalibCertError]] = {cls.sqlstate: cls for cls in _OWN_CLASSES}
SQLSTATE_MAP.update(
    {
        "55P03": LockTimeoutError,  # lock_not_available (lock_timeout expired)
        "40001": TransactionConflictError,  # serialization_failure
        "40P01": TransactionConflictError,  # deadlock_detected
    }
)

#: Standard integrity errors, mapped by the name of our constraint that raised them. They
#: reach the client only when a raw statement (a DBA's INSERT) or a race the functions
#: cannot pre-check trips a constraint directly.
CONSTRAINT_MAP: dict[str, type[CalibCertError]] = {
    "certification_no_overlap": ConflictingCertificationError,
    "collection_name_key": ConflictingDefinitionError,
    "dataset_type_name_key": ConflictingDefinitionError,
    "dataset_pkey": ConflictingDefinitionError,
    "dataset_run_type_data_id_key": ConflictingDefinitionError,
    "tag_pkey": ConflictingDefinitionError,
    "collection_chain_child_fkey": CollectionInUseError,
    "dataset_run_fkey": CollectionInUseError,
    "certification_validity_bounds": InvalidTimespanError,
    "collection_name_check": InvalidNameError,
}


def from_sqlstate(
    sqlstate: str | None, constraint: str | None = None
) -> type[CalibCertError] | None:
    """The exception class for a SQLSTATE (and constraint name), or None if not ours."""
    if sqlstate is None:
        return None
    if sqlstate in SQLSTATE_MAP:
        return SQLSTATE_MAP[sqlstate]
    if sqlstate.startswith("23") and constraint in CONSTRAINT_MAP:
        return CONSTRAINT_MAP[constraint]
    return None


def translate(exc: BaseException) -> BaseException:
    """Turn a psycopg error into the matching CalibCertError (``exc`` kept as __cause__).

    Returns ``exc`` itself when it is not an error we map. The message is rendered from
    the DETAIL (:func:`calibcert.messages.render`) when it names a known ``kind``, as every
    error of the calib functions does; otherwise (an error raised by other code, a
    constraint violation) it is the server's text.
    """
    diag = getattr(exc, "diag", None)
    sqlstate = getattr(exc, "sqlstate", None) or getattr(diag, "sqlstate", None)
    constraint = getattr(diag, "constraint_name", None)
    cls = from_sqlstate(sqlstate, constraint)
    if cls is None:
        return exc
    message = getattr(diag, "message_primary", None) or str(exc)
    details: dict[str, Any] = {}
    detail_text = getattr(diag, "message_detail", None)
    if sqlstate and sqlstate.startswith("KC") and detail_text:
        try:
            parsed = json.loads(detail_text)
            if isinstance(parsed, dict):
                details = parsed
        except ValueError:
            details = {"detail": detail_text}
    elif detail_text:
        details = {"detail": detail_text}
    if constraint:
        details.setdefault("constraint", constraint)
    kind = details.get("kind")
    if isinstance(kind, str) and kind in messages.KINDS:
        try:
            message = messages.render(kind, details)
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # a DETAIL without the facts its kind needs: the server's text, as is
    err = cls(message, **normalize_details(details))
    err.__cause__ = exc
    return err


def error(kind: str, **details: Any) -> CalibCertError:
    """The exception of error ``kind`` (:data:`calibcert.messages.KINDS`: its SQLSTATE gives
    the class) with ``details`` in their JSON form, as a server DETAIL carries them; the
    message is rendered from them. The SQLite backend raises its errors this way."""
    cls = SQLSTATE_MAP[messages.sqlstate(kind)]
    details = {"kind": kind, **details}
    return cls(messages.render(kind, details), **normalize_details(details))


_TIMESPAN_KEYS = ("timespan", "conflicting_timespan")
_UUID_KEYS = ("dataset", "conflicting_dataset")


#: The class ``timespan`` details become (:class:`calibcert.types.Timespan`). calibcert.types
#: imports this module for its exceptions and registers the class here when it is imported
#: (before any error can be raised), so this module never imports it back.
_timespan_class: Callable[[datetime | None, datetime | None], Any] | None = None


def register_timespan_class(cls: Callable[[datetime | None, datetime | None], Any]) -> None:
    """Called once by calibcert.types: the class of normalised ``timespan`` details."""
    global _timespan_class
    _timespan_class = cls


def normalize_details(details: dict[str, Any]) -> dict[str, Any]:
    """Turn JSON details into Python values, identically for both backends.

    ``timespan`` values (``[begin, end]`` ISO strings or null) become :class:`Timespan`,
    dataset ids (``dataset``, ``conflicting_dataset``, the list ``datasets``) become
    :class:`uuid.UUID`; lists of conflicts are normalised item by item.
    """
    def ts(value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == 2 and _timespan_class is not None:
            try:
                b, e = (None if v is None else datetime.fromisoformat(v) for v in value)
                return _timespan_class(b, e)
            except (CalibCertError, ValueError, TypeError):
                return value  # an invalid span named by an error: keep it as given
        return value

    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in _TIMESPAN_KEYS:
            value = ts(value)
        elif key in _UUID_KEYS and isinstance(value, str):
            value = uuid.UUID(value)
        elif key == "datasets" and isinstance(value, list):
            value = [uuid.UUID(v) if isinstance(v, str) else v for v in value]
        elif key == "conflicts" and isinstance(value, list):
            value = [normalize_details(v) if isinstance(v, dict) else v for v in value]
        out[key] = value
    return out
