"""Connection, transactions and caches (twins sql/functions/_lock_collections.sql and
_lock_chains.sql; differs by necessity: SQLite has one write lock per file, taken by BEGIN
IMMEDIATE, so a writer locks the whole file where PostgreSQL locks the collections it
writes)."""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, NoReturn, TypeVar

from ...errors import (
    CONSTRAINT_MAP,
    DatabaseAccessError,
    LockTimeoutError,
    SchemaVersionError,
    translate,
)
from ...registry import Registry
from ...schema import HEAD_REVISION
from ...urls import sqlite_path
from .epochs import ChangeLog
from .values import _BUSY_CODES, MIN_SQLITE

if TYPE_CHECKING:
    from .catalog import _Plan, _Type

_C = TypeVar("_C", bound="SqliteConnection")


# -- integrity errors of raw SQLite statements ---------------------------------------------
# The checks run before the writes, so these only fire for a bug or a raw writer; they are
# mapped like PostgreSQL maps its constraints (errors.CONSTRAINT_MAP, the one table of
# both backends). SQLite names UNIQUE constraints by columns.
_UNIQUE_NAMES = {
    "collection.name": "collection_name_key",
    "dataset_type.name": "dataset_type_name_key",
    "dataset.dataset_id": "dataset_pkey",
    "dataset.run_id, dataset.data_id_key": "dataset_run_type_data_id_key",
    "tag.collection_id, tag.data_id_key": "tag_pkey",
    "certification.collection_id, certification.data_id_key, certification.begin_us":
        "certification_no_overlap",
}


def _constraint_of(exc: sqlite3.IntegrityError) -> str | None:
    text = str(exc)
    for prefix in ("UNIQUE constraint failed: ", "CHECK constraint failed: "):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            return _UNIQUE_NAMES.get(rest, rest)
    return None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY_CODES
    return str(exc).startswith(("database is locked", "database table is locked"))

#: The catalog version (see catalog_version in the schema): cached names, types and search
#: paths are valid while it is unchanged.
_VERSION = "SELECT version FROM catalog_version WHERE id = 1"



#: The longest busy timeout SQLite can take, in seconds (its int milliseconds: 2**31 - 1
#: ms, about 24.8 days, rounded down to whole seconds).
MAX_BUSY_TIMEOUT = 2_147_483.0


class SqliteConnection(ChangeLog, Registry):
    """A calibcert database in one SQLite file (see the module docstring)."""

    backend = "sqlite"

    def __init__(self, conn: sqlite3.Connection, path: str, *, busy_timeout: float = 10.0,
                 check_schema: bool = True) -> None:
        self._conn = conn
        self._path = path
        self._busy_timeout = busy_timeout
        self._depth = 0  # 0: no transaction; 1: BEGIN IMMEDIATE; >1: savepoints inside it
        self._reading = False
        # Metadata caches for lookups, valid while the catalog version is self._cv (every
        # change of collections, chains or dataset types bumps it, by trigger; a rollback
        # can take it back, so every rollback clears the caches too).
        self._cv: int | None = None
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._types_by_id: dict[int, _Type] = {}
        self._run_names: dict[int, str] = {}
        if check_schema:
            self.check_schema()
            self._ensure_wal()
        self._probe_cursor = conn.cursor()  # plain tuples: the hot lookup path
        self._probe_cursor.row_factory = None
        # Scratch tables, created outside any transaction so that no rollback drops them.
        with self._errors():
            for ddl in self._temp_tables():
                self._conn.execute(ddl)

    #: Scratch tables (the temp schema: private to the connection, never locks the file),
    #: declared by each module next to the code that fills them.
    TEMP_TABLES: tuple[str, ...] = ()

    @classmethod
    def _temp_tables(cls) -> list[str]:
        """The TEMP_TABLES of every class of this registry, base classes first."""
        return [ddl for c in reversed(cls.__mro__) for ddl in c.__dict__.get("TEMP_TABLES", ())]

    @classmethod
    def from_url(cls: type[_C], url: str, *, busy_timeout: float = 10.0,
                 synchronous: str = "NORMAL", check_schema: bool = True,
                 reason: str | None = None, user: str | None = None) -> _C:
        """Open ``sqlite:///path``. The file must exist (``calibcert db upgrade`` creates
        it) unless ``check_schema=False``. ``busy_timeout``: seconds a writer waits for the
        file's write lock before LockTimeoutError, at most :data:`MAX_BUSY_TIMEOUT` (a
        longer one is taken as that). ``reason`` / ``user``: recorded with every change
        this registry makes (README "History and time travel")."""
        # SQLite takes its busy timeout as an int of milliseconds: a longer one would
        # overflow into "no wait at all" (while the error message claimed the wait).
        busy_timeout = min(busy_timeout, MAX_BUSY_TIMEOUT)
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(
                f"calibcert needs SQLite >= {'.'.join(map(str, MIN_SQLITE))}, "
                f"this Python has {sqlite3.sqlite_version}")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
        path = os.path.abspath(sqlite_path(url))
        if check_schema and not os.path.exists(path):
            raise _schema_error(f"database file {path} does not exist", None)
        mode = "rw" if check_schema else "rwc"
        try:
            conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode={mode}", uri=True,
                                   isolation_level=None, timeout=busy_timeout)
        except sqlite3.Error as exc:  # a directory, no permission...: DatabaseAccessError
            _raise_naming_file(exc, path)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            # 32 MiB of page cache (SQLite's default is 2 MiB): bulk calls probe the dataset
            # index at random. No mmap: a mapped file counts in the client's resident memory.
            conn.execute("PRAGMA cache_size = -32768")
            reg = cls(conn, path, busy_timeout=busy_timeout, check_schema=check_schema)
            reg._set_actor(reason, user)
            return reg
        except sqlite3.Error as exc:
            conn.close()
            _raise_naming_file(exc, path)
        except BaseException:
            conn.close()
            raise

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying sqlite3 connection (for tests and tools; do not write with it)."""
        return self._conn

    @property
    def path(self) -> str:
        return self._path

    def check_schema(self) -> None:
        """Refuse a file whose schema is missing or not at HEAD_REVISION."""
        with self._errors():
            has_table = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            version = None
            if has_table:
                row = self._conn.execute("SELECT version_num FROM alembic_version").fetchone()
                version = row["version_num"] if row else None
        if version != HEAD_REVISION:
            state = "has no calibcert schema" if version is None else f"is at revision {version}"
            raise _schema_error(f"database {self._path} {state}", version)

    def _ensure_wal(self) -> None:
        # The migration sets WAL; a file restored from elsewhere may have lost it.
        with self._errors():
            if self._conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                self._conn.execute("PRAGMA journal_mode = WAL")

    # -- transactions -----------------------------------------------------------------

    def _translate(self, exc: BaseException) -> BaseException:
        """The calibcert error for a sqlite3 error (or a string sqlite3 cannot encode), or
        ``exc`` itself if it is not ours. Busy and constraint errors are told apart here
        (they need the file and SQLite's constraint naming); everything else goes to
        :func:`calibcert.errors.translate`, the mapping both backends share."""
        if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
            err: BaseException = LockTimeoutError(
                f"could not take the write lock of {self._path} within "
                f"{self._busy_timeout:g} s (busy timeout): another writer holds it; "
                "nothing was changed")
        elif isinstance(exc, sqlite3.IntegrityError):
            name = _constraint_of(exc)
            cls = CONSTRAINT_MAP.get(name or "")
            if cls is None:
                return exc
            err = cls(str(exc), constraint=name)
        else:
            err = _naming_file(exc, self._path) if isinstance(exc, sqlite3.Error) \
                else translate(exc)
        return err

    def _reraise(self, exc: BaseException) -> NoReturn:
        """Raise the translation of ``exc`` (itself when it is not mapped)."""
        err = self._translate(exc)
        if err is exc:
            raise exc
        raise err from exc

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """The one place sqlite3 errors become calibcert errors (see _translate)."""
        try:
            yield
        except (sqlite3.Error, UnicodeEncodeError) as exc:
            err = self._translate(exc)
            if err is exc:
                raise
            raise err from exc

    def _transaction(self) -> AbstractContextManager[None]:
        """One atomic unit: BEGIN IMMEDIATE at the outermost level, a SAVEPOINT inside.
        (BEGIN IMMEDIATE serialises writers: no deadlock, so nothing for retries to do;
        the same API works.)"""
        return self._write()

    def _in_transaction(self) -> bool:
        return self._depth > 0 or self._conn.in_transaction

    @contextmanager
    def _write(self, bulk: bool = False, op: str | None = None, *, lazy_op: bool = False
               ) -> Iterator[None]:
        """One atomic unit (a mutating call, or a ``transaction()`` block): BEGIN IMMEDIATE
        at the outermost level, a SAVEPOINT inside a transaction. On any exception it is
        undone, and the lookup caches are dropped (a rollback can undo catalog changes).

        ``bulk``: the call writes many rows that are, by construction, copies of rows it has
        just read from their parents under the write lock (resolved datasets, a checked
        collection). At the outermost level such a call runs with SQLite's per-row
        foreign-key lookups off (the pragma cannot change inside a transaction); they would
        only repeat the reads that produced the rows, at about half the cost of the write.

        ``op``: the public operation (as calib._operation names it on PostgreSQL), recorded
        in the history with what the call writes (history.py: the change of the
        transaction is opened by the first write and sealed here before COMMIT).
        ``lazy_op``: see epochs.ChangeLog._enter_operation.
        """
        if self._reading:
            raise RuntimeError("calibcert: a write cannot start inside a lookup")
        conn = self._conn
        outer = self._depth == 0
        fk_off = bulk and outer
        savepoint = f"calibcert_{self._depth}"
        begun = False
        try:
            if fk_off:
                conn.execute("PRAGMA foreign_keys = OFF")
            conn.execute("BEGIN IMMEDIATE" if outer else f"SAVEPOINT {savepoint}")
            begun = True
            if outer:
                self._forget_change()
                self._seal_pending()
            previous = (self._enter_operation(op, lazy=lazy_op)
                        if op is not None else None)
        except sqlite3.Error as exc:
            if begun:  # the history's first statements failed: undo the BEGIN too
                self._undo(outer, savepoint)
            if fk_off:
                conn.execute("PRAGMA foreign_keys = ON")
            err = self._translate(exc)
            if err is exc:
                raise
            raise err from exc
        entered = self._depth
        self._depth = entered + 1
        try:
            yield
        except BaseException as exc:
            self._depth = entered
            if previous is not None:
                self._forget_operation(previous)
            self._undo(outer, savepoint)
            self._invalidate()
            err = (self._translate(exc) if isinstance(exc, (sqlite3.Error, UnicodeEncodeError))
                   else exc)
            if err is exc:
                raise
            raise err from exc
        else:
            self._depth = entered
            try:
                if previous is not None:
                    self._leave_operation(previous)
                if outer:
                    self._seal_own()
                conn.execute("COMMIT" if outer else f"RELEASE {savepoint}")
                if outer:
                    self._forget_change()
            except sqlite3.Error as exc:
                if previous is not None:
                    self._forget_operation(previous)
                self._undo(outer, savepoint)
                self._invalidate()
                err = self._translate(exc)
                if err is exc:
                    raise
                raise err from exc
        finally:
            if fk_off:
                conn.execute("PRAGMA foreign_keys = ON")

    def _undo(self, outer: bool, savepoint: str) -> None:
        self._forget_change()
        if not self._conn.in_transaction:
            return  # some errors end the transaction by themselves
        if outer:
            self._conn.execute("ROLLBACK")
        else:
            self._conn.execute(f"ROLLBACK TO {savepoint}")
            self._conn.execute(f"RELEASE {savepoint}")

    @contextmanager
    def _read(self) -> Iterator[None]:
        """A consistent snapshot for a lookup of several statements (WAL: never waits)."""
        with self._errors():
            if self._depth or self._reading:
                yield
                return
            self._conn.execute("BEGIN")
            self._reading = True
            try:
                yield
            finally:
                self._reading = False
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    def _invalidate(self) -> None:
        """Forget every cached fact (collections, chains, types, run names)."""
        self._cv = None
        self._plans.clear()
        self._types_by_id.clear()
        self._run_names.clear()

    def _sync(self) -> None:
        """Inside a snapshot: drop the caches if the catalog changed since they were read."""
        cv = self._one(_VERSION)[0]
        if cv != self._cv:
            self._invalidate()
            self._cv = cv

    def close(self) -> None:
        self._conn.close()


def _naming_file(exc: sqlite3.Error, path: str) -> BaseException:
    """A sqlite3 error of the file ``path`` translated (errors.translate); an access error
    names the file. ``exc`` itself when it is not mapped."""
    err = translate(exc)
    if isinstance(err, DatabaseAccessError):
        err = type(err)(f"{err.message} ({path})", **{**err.details, "path": path})
        err.__cause__ = exc
    return err


def _raise_naming_file(exc: sqlite3.Error, path: str) -> NoReturn:
    err = _naming_file(exc, path)
    if err is exc:
        raise exc
    raise err from exc


def _schema_error(state: str, version: str | None) -> SchemaVersionError:
    return SchemaVersionError(
        f"{state}; this client needs revision {HEAD_REVISION}. "
        "Run `calibcert db upgrade --url URL` (or calibcert.upgrade(url)).",
        revision=version, head=HEAD_REVISION)
