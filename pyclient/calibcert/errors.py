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


class InvalidDocumentError(InvalidArgumentError):
    """A list argument given as a JSON document (or, in SQL's all-text forms, as text) that
    is not an array of the right things: not JSON, not an array, an element of the wrong
    JSON type or not a UUID. ``details`` name the argument (``what``) and the element's
    1-based ``position``. (A time without a UTC offset is an InvalidTimespanError.)"""

    sqlstate = "KC016"


class AccessDeniedError(CalibCertError, PermissionError):
    """The collection has a writer list (``set_collection_writers``) and the calling role
    is a member of none of its roles. ``details``: ``collection``, ``role`` (the role
    checked: the session's SET ROLE, else its login), ``writers``, ``operation``.

    Also PostgreSQL's own permission errors (SQLSTATE 42501: the login holds no calibcert
    role, so no USAGE on schema calib; a function its role may not call): ``details``
    ``sqlstate`` ("42501"), and when the server names a calib function or the schema,
    ``needs``: the calibcert roles that allow it (README "Roles")."""

    sqlstate = "KC017"


class CollectionStateError(CalibCertError):
    """A change refused by the collection's state (``set_collection_state``): anything on a
    FROZEN collection, decertify / untag / set_chain / removal of an APPEND_ONLY one, or a
    certification there that begins before the latest begin of its calibration key.
    ``details``: ``collection``, ``operation``; for the begin rule also ``dataset_type``,
    ``data_id``, ``begin`` and ``latest``. Nothing was changed."""

    sqlstate = "KC018"


class RevertConflictError(CalibCertError):
    """``revert(epoch)`` cannot undo that change because of a later one: a row the change
    created has been changed or removed since (``revert_row_changed``), a dataset or
    collection it created is used since (``revert_in_use``), a row to restore lost its place
    (``revert_occupied``) or its collection, dataset or child (``revert_target_removed``),
    or restoring a chain position would make a cycle (``revert_chain_cycle``). ``details``:
    ``epoch``, ``later_epoch`` (None: the caller's own uncommitted change), ``what``,
    ``collection``, ``row`` and, for dataset rows, ``dataset_type``, ``data_id``,
    ``dataset``. Nothing was changed. (An overlap with a later certification is a
    ConflictingCertificationError, kind ``revert_overlap``.)"""

    sqlstate = "KC019"


class LockTimeoutError(CalibCertError):
    """A writer could not take its locks within ``lock_timeout`` (SQLSTATE 55P03, or SQLite
    busy timeout). Nothing was changed; the call may be retried."""

    sqlstate = "55P03"


class TransactionConflictError(CalibCertError):
    """Serialization failure or deadlock (40001 / 40P01): nothing was changed; retry."""

    sqlstate = "40001"


class DatabaseAccessError(CalibCertError):
    """The database cannot be reached or used: connecting failed (host, port, login,
    database name), or the SQLite file cannot be opened, is not a calibcert database, is
    corrupt, read-only or on a full disk. Nothing was changed. (SQLSTATE class 08.)"""

    sqlstate = "08001"


class ConnectionLostError(DatabaseAccessError):
    """The connection ended under the call: the server terminated the backend
    (``pg_terminate_backend``, shutdown, restart: 57P01 / 57P02 / 57P03), a session timeout,
    a network failure (class 08), or the registry was already closed. The transaction in
    progress was not committed by this client; connect again (``calibcert.connect``) and
    retry. (If the connection broke while a COMMIT was in flight, check before retrying.)"""

    sqlstate = "08006"


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
    InvalidDocumentError,
    AccessDeniedError,
    CollectionStateError,
    RevertConflictError,
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

#: Standard SQLSTATEs a caller can cause that are not raised by calibcert's own code: a
#: connection that ended, a value the server cannot store. Code → (class, what the message
#: says before the server's own text). A code of class 08 not listed takes the "08" entry.
#: The message says what happened in terms of the call; the server's text follows.
DRIVER_SQLSTATE_MAP: dict[str, tuple[type[CalibCertError], str]] = {
    "08": (ConnectionLostError, "lost the connection to the database"),  # connection_exception
    "57P01": (ConnectionLostError, "the server ended the connection"),  # admin_shutdown
    "57P02": (ConnectionLostError, "the server ended the connection"),  # crash_shutdown
    "57P03": (ConnectionLostError, "the server cannot take connections now"),
    "57P04": (ConnectionLostError, "the database was dropped"),  # database_dropped
    "57P05": (ConnectionLostError, "the server ended the idle connection"),  # idle_session_timeout
    "25P03": (ConnectionLostError,  # idle_in_transaction_session_timeout
              "the server ended the connection idle in a transaction"),
    "54000": (InvalidArgumentError, "a value is too large for the database"),
    "22001": (InvalidArgumentError, "a value is too long for the database"),
    "22021": (InvalidArgumentError, "a text value has a character the database cannot store"),
    "22P05": (InvalidArgumentError, "a text value has a character the database cannot store"),
    "42501": (AccessDeniedError, "permission denied"),  # insufficient_privilege: see
    # _privilege_advice (no USAGE on schema calib, no EXECUTE on a function)
}

#: The lowest calibcert role allowed to call each public calib function (README "Roles";
#: every overload of a name has the same one; tests/test_cli_review.py compares this with
#: tests/roles_contract.py). Only used to say which role a 42501 asks for.
FUNCTION_ROLES: dict[str, str] = {
    **dict.fromkeys((
        "find", "find_many", "certifications", "query_datasets", "get_datasets", "get_chain",
        "list_collections", "list_dataset_types", "probe", "_snapshot_ids", "check_integrity",
        "collection_stats", "collection_digest", "current_epoch", "epoch_at", "history",
        "explain"), "reader"),
    **dict.fromkeys((
        "insert_datasets", "tag", "untag", "certify", "certify_series", "decertify",
        "close_open_range", "copy_collection", "snapshot_collection"), "certifier"),
    **dict.fromkeys((
        "register_collection", "remove_collection", "set_chain", "register_dataset_type",
        "set_collection_state", "set_collection_writers", "revert", "prune_history"), "admin"),
}
_ROLE_LEVELS = ("reader", "certifier", "admin")
_ROLE_PREFIX_NOTE = ("(with the database's role prefix in place of calib, if it was installed"
                     " with another; README \"Roles\")")

#: A value error (a DRIVER_SQLSTATE_MAP code mapped to InvalidArgumentError) that names one
#: of these tables (diag ``table_name``, e.g. "index row size ... exceeds btree maximum" on
#: the data-ID index) is about what that table stores: its class instead.
VALUE_TABLE_MAP: dict[str, type[CalibCertError]] = {
    "data_id": DataIdError,
    "collection": InvalidNameError,
    "dataset_type": InvalidNameError,
}

#: SQLite result codes (the primary code, ``sqlite_errorcode & 0xFF``) → (class, what the
#: message says before SQLite's text). SQLITE_BUSY / SQLITE_LOCKED (lock timeouts) and
#: constraint failures are mapped by the SQLite backend, which knows the file and the
#: constraint names (:data:`CONSTRAINT_MAP`).
SQLITE_CODE_MAP: dict[int, tuple[type[CalibCertError], str]] = {
    3: (DatabaseAccessError, "no permission to use the SQLite database"),  # SQLITE_PERM
    8: (DatabaseAccessError, "the SQLite database is read-only"),  # SQLITE_READONLY
    10: (DatabaseAccessError, "disk I/O error on the SQLite database"),  # SQLITE_IOERR
    11: (DatabaseAccessError, "the SQLite database file is corrupt"),  # SQLITE_CORRUPT
    13: (DatabaseAccessError, "the SQLite database's disk is full"),  # SQLITE_FULL
    14: (DatabaseAccessError, "cannot open the SQLite database"),  # SQLITE_CANTOPEN
    18: (InvalidArgumentError, "a value is too large for the database"),  # SQLITE_TOOBIG
    23: (DatabaseAccessError, "access to the SQLite database denied"),  # SQLITE_AUTH
    26: (DatabaseAccessError, "the file is not a SQLite database"),  # SQLITE_NOTADB
}

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
    """Turn a driver error into the matching CalibCertError (``exc`` kept as __cause__).

    The one place driver errors are mapped, for both backends: a psycopg error by its
    SQLSTATE (:data:`SQLSTATE_MAP`, :data:`CONSTRAINT_MAP`, :data:`DRIVER_SQLSTATE_MAP`), a
    psycopg error without one (the connection is gone, a value psycopg cannot send), a
    sqlite3 error by its result code (:data:`SQLITE_CODE_MAP`), and a string the driver
    cannot encode (a lone surrogate: :class:`InvalidArgumentError`). Returns ``exc`` itself
    when it is not an error we map (a bug: it stays a driver error).

    The message of a calib function's error is rendered from the DETAIL
    (:func:`calibcert.messages.render`) when it names a known ``kind``; otherwise (an error
    raised by other code, a constraint violation) it is the server's text.
    """
    if isinstance(exc, CalibCertError):
        return exc
    if isinstance(exc, UnicodeEncodeError):
        bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else ""
        err: CalibCertError = InvalidArgumentError(
            f"a text value cannot be stored: {bad!r} at position {exc.start} is not valid "
            f"Unicode text ({exc.reason}); lone surrogates cannot be encoded as UTF-8",
            position=exc.start)
        err.__cause__ = exc
        return err
    diag = getattr(exc, "diag", None)
    sqlstate = getattr(exc, "sqlstate", None) or getattr(diag, "sqlstate", None)
    constraint = getattr(diag, "constraint_name", None)
    cls = from_sqlstate(sqlstate, constraint)
    if cls is None:
        return _translate_driver(exc, sqlstate, diag)
    message = getattr(diag, "message_primary", None) or str(exc)
    details: dict[str, Any] = {}
    detail_text = getattr(diag, "message_detail", None)
    if detail_text:
        details = _calib_details(sqlstate, detail_text)
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


def _calib_details(sqlstate: str | None, detail_text: str) -> dict[str, Any]:
    """The facts of a DETAIL: the JSON object of a calib function's error (class KC, or a
    standard SQLSTATE raised through calib._raise with a known kind, e.g. 55P03 from
    calib._lock_timeout); any other DETAIL as text."""
    try:
        parsed = json.loads(detail_text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and ((sqlstate or "").startswith("KC")
                                     or parsed.get("kind") in messages.KINDS):
        return parsed
    return {"detail": detail_text}


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _translate_driver(exc: BaseException, sqlstate: str | None, diag: Any) -> BaseException:
    """translate() for errors that are not calibcert's own: DRIVER_SQLSTATE_MAP, psycopg
    errors without a SQLSTATE, sqlite3 result codes (SQLITE_CODE_MAP)."""
    entry = None
    details: dict[str, Any] = {}
    if sqlstate:
        entry = DRIVER_SQLSTATE_MAP.get(sqlstate) or DRIVER_SQLSTATE_MAP.get(sqlstate[:2])
        details["sqlstate"] = sqlstate
        text = getattr(diag, "message_primary", None) or _first_line(str(exc))
        table = getattr(diag, "table_name", None)
        if entry is not None and entry[0] is InvalidArgumentError and table in VALUE_TABLE_MAP:
            entry = (VALUE_TABLE_MAP[table], entry[1])
        if table:
            details["table"] = table
        constraint = getattr(diag, "constraint_name", None)
        if constraint:
            details["constraint"] = constraint
    else:
        text = _first_line(str(exc)) or type(exc).__name__
        entry = _driver_error_without_code(exc)
        code = getattr(exc, "sqlite_errorcode", None)
        if entry is None and isinstance(code, int):
            entry = SQLITE_CODE_MAP.get(code & 0xFF)
            if entry is not None:
                details["sqlite_error"] = getattr(exc, "sqlite_errorname", code)
    if entry is None:
        return exc
    cls, what = entry
    message = f"{what}: {text}"
    if cls is AccessDeniedError:
        message, needs = _privilege_advice(text, getattr(diag, "message_hint", None))
        if needs:
            details["needs"] = needs
    err = cls(message, **details)
    err.__cause__ = exc
    return err


def _privilege_advice(text: str, hint: str | None) -> tuple[str, list[str]]:
    """The message of PostgreSQL's 42501 ``text``: what was refused and which calibcert
    roles allow it (README "Roles"), and those roles. The class came from the SQLSTATE; the
    server's text only names the object (PostgreSQL's ``permission denied for <kind>
    <name>``): in another language, or for another object, the advice is the general one
    (or the server's HINT, e.g. an installer's)."""
    words = text.split()
    obj = words[-2:] if text.startswith("permission denied for ") and len(words) == 5 else []
    if obj == ["schema", "calib"]:
        return (f"{text}: this login holds no calibcert role in this database; a DBA grants"
                " it one: calib_reader (lookups), calib_certifier (also the content of"
                " collections) or calib_admin (also their shape) "
                + _ROLE_PREFIX_NOTE), [f"calib_{level}" for level in _ROLE_LEVELS]
    if obj and obj[0] == "function" and obj[1] in FUNCTION_ROLES:
        needs = [f"calib_{level}" for level in
                 _ROLE_LEVELS[_ROLE_LEVELS.index(FUNCTION_ROLES[obj[1]]):]]
        return (f"{text}: calling calib.{obj[1]} needs the calibcert role "
                f"{' or '.join(needs)} {_ROLE_PREFIX_NOTE}"), needs
    if hint:
        return f"{text} ({' '.join(hint.split())})", []
    return (f"{text}: a calibcert role (calib_reader, calib_certifier or calib_admin) allows"
            f" only what README \"Roles\" lists"), []


def _driver_error_without_code(exc: BaseException) -> tuple[type[CalibCertError], str] | None:
    """psycopg's own errors (no SQLSTATE): a connection that is gone or closed, a value it
    cannot send; sqlite3's use of a closed connection. The drivers are looked up among the
    loaded modules: an error of a driver that is not loaded cannot occur."""
    import sys

    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        if isinstance(exc, psycopg.OperationalError):
            # psycopg keeps the half-made connection (pgconn) of a failed connection
            # attempt, and names a name-resolution failure; anything else ended a
            # connection that was working.
            if getattr(exc, "pgconn", None) is not None or str(exc).startswith(
                    ("connection failed", "failed to resolve host", "connection is bad")):
                return (DatabaseAccessError, "cannot connect to the database")
            return (ConnectionLostError, "lost the connection to the database")
        if isinstance(exc, psycopg.DataError):
            return (InvalidArgumentError, "a value cannot be sent to the database")
    sqlite3 = sys.modules.get("sqlite3")
    if (sqlite3 is not None and isinstance(exc, sqlite3.ProgrammingError)
            and str(exc).startswith("Cannot operate on a closed database")):
        return (ConnectionLostError, "the database connection is closed")
    return None


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
