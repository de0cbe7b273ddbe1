"""Epochs on SQLite: the change of a write transaction, its operation, its seal, and the
epoch readers (twins sql/functions/_change.sql, _operation.sql, _stamp_epoch.sql, _as_of.sql
with its history-horizon check, current_epoch.sql, epoch_at.sql; README "History and time
travel").

Differs by necessity: SQLite has no commit trigger and no transaction id. The file's
triggers (sql/sqlite/schema/history.sql) open the transaction's change at its first
versioned write, numbered max + 1: writers are serialized (BEGIN IMMEDIATE), so that number
is already commit-ordered. The change stays *open* (``change.open = 1``) until it is
sealed: by :meth:`ChangeLog._seal_own` just before this backend's COMMIT (commit time,
actor, reason), or, for a change a raw writer committed (plain sqlite3 cannot seal), by the
next calibcert transaction that takes the write lock (:meth:`ChangeLog._seal_pending`:
whatever is open then was committed by another transaction). Only sealed changes have an
epoch: ``current_epoch()`` never returns an open one, so a pinned epoch's answers never
change.
"""

from __future__ import annotations

import functools
import getpass
import sqlite3
from datetime import datetime, timezone
from typing import Any

from ...errors import error
from .values import _from_us, _to_us

#: change_context's row: (operation, versions, checked_into) (sql/sqlite/schema/history.sql).
_Context = tuple[str | None, int | None, int | None]
#: This transaction's change: the open one (there is at most one: change_open_key).
_OPEN_CHANGE = "SELECT change_id FROM change WHERE open = 1"
#: A new change, numbered as the triggers number it (history.sql).
_NEW_CHANGE = ("INSERT INTO change (change_id, open, committed_at)"
               " SELECT coalesce(max(change_id), 0) + 1, 1, ? FROM change")
#: The largest sealed epoch.
_CURRENT = "SELECT coalesce(max(change_id), 0) FROM change WHERE open IS NULL"
#: The history horizon (sql/sqlite/schema/retention.sql).
_HORIZON = "SELECT earliest_epoch FROM history_horizon WHERE only_row = 1"


def _now_us() -> int:
    """Now, in microseconds since 1970 UTC. An aware UTC time: datetime.now().astimezone()
    gives the same instant but asks for the local zone on every call (about 9 us, twice per
    write call)."""
    return _to_us(datetime.now(timezone.utc))


@functools.cache
def _os_user() -> str | None:
    """The SQLite twin of a change's db_role: the operating-system user running the
    client (SQLite has no roles), read once per process. None when the platform cannot
    say."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is not an error worth failing a commit
        return None


class ChangeLog:
    """The write side of the change log (mixed into SqliteConnection, whose ``_write``
    calls these), and the epoch readers."""

    _conn: sqlite3.Connection
    #: What change_context holds now: (operation, versions, checked_into); (None, None, None)
    #: is a raw writer's ('sql', row triggers record every version, every guard probes),
    #: mirrored here so that a nested call restores its caller's and an unchanged row is
    #: never written.
    _context_now: _Context = (None, None, None)
    #: What the running call wants there (written by _name_operation, lazily for calls
    #: whose every write stamps its own history: see _enter_operation).
    _context_call: _Context = (None, None, None)
    #: This transaction's change as _change_id last found it (None: ask the file).
    _open_change: int | None = None
    #: connect(url, reason=, user=): recorded with every change this registry makes.
    _reason: str | None = None
    _user: str | None = None

    def _set_actor(self, reason: str | None, user: str | None) -> None:
        self._reason = reason or None
        self._user = user or None

    def _enter_operation(self, op: str, *, lazy: bool) -> tuple[_Context, _Context]:
        """A call named ``op`` starts (calib._operation's twin); returns what to restore.
        ``lazy``: the call names its operation itself (_name_operation) before the first
        statement whose triggers read it: certify's inserts stamp created_operation and
        only its close_open UPDATE needs it (revision 0016: two statements and a page of
        the file less per certify); decertify and close_open_range decide first whether
        they write the versions themselves (versions.py)."""
        saved = (self._context_call, self._context_now)
        self._context_call = (op, None, None)
        if not lazy:
            try:
                self._name_operation()
            except BaseException:
                self._context_call = saved[0]
                raise
        return saved

    def _name_operation(self) -> None:
        """Make change_context say what the running call is, before a statement whose
        triggers read it (one UPDATE, only when it differs)."""
        if self._context_call != self._context_now:
            self._conn.execute("UPDATE change_context SET operation = ?, versions = ?,"
                               " checked_into = ? WHERE id = 1", self._context_call)
            self._context_now = self._context_call

    def _check_into(self, collection_id: int) -> None:
        """Before the running call's one INSERT ... SELECT into ``collection_id`` of rows
        that hold the certification guards' rules by construction (copy_collection's copy
        into the collection it created, decertify's second pieces): change_context names
        that collection (checked_into) and the insert guards step aside for rows stamped
        with the call's operation (revision 0017; sql/sqlite/schema/guards.sql says when
        that is safe). Cleared with the operation when the call returns."""
        self._context_call = (self._context_call[0], self._context_call[1], collection_id)
        self._name_operation()

    def _leave_operation(self, saved: tuple[_Context, _Context]) -> None:
        """The call returns: change_context as its caller had it (written only if the call
        changed it)."""
        self._context_call = saved[1]
        self._name_operation()
        self._context_call = saved[0]

    def _forget_operation(self, saved: tuple[_Context, _Context]) -> None:
        """After a rollback (which restored change_context by itself)."""
        self._context_call, self._context_now = saved

    @property
    def _operation_label(self) -> str:
        """What the backend's own inserts record as their operation: the call's, else 'sql'
        (as the triggers record a write no call named)."""
        return self._context_call[0] or "sql"

    def _seal_pending(self) -> None:
        """At BEGIN IMMEDIATE: a change still open now was committed by a raw writer
        (ours are sealed before COMMIT): it gets its epoch, keeping the time of its first
        write (the trigger's) and no actor."""
        self._conn.execute("UPDATE change SET open = NULL WHERE open = 1")

    def _seal_own(self) -> None:
        """Just before COMMIT: this transaction's change (if it changed anything) becomes
        its epoch, with the commit time, the actor and the reason (the registry's; else the
        one the call that opened the change gave it: revert's 'revert of epoch N')."""
        self._conn.execute(
            "UPDATE change SET open = NULL, committed_at = ?, db_role = ?, app_user = ?,"
            " reason = coalesce(?, reason) WHERE open = 1",
            (_now_us(), _os_user(), self._user, self._reason))

    def _change_id(self) -> int:
        """This transaction's change, opened if it has none yet: for the backend's own
        certification inserts, which stamp ``created_change`` themselves (the insert
        trigger then has nothing to do: a bulk certify pays no per-row history work)."""
        return self._change_id_fresh()[0]

    def _change_id_fresh(self) -> tuple[int, bool]:
        """_change_id, and whether this call opened it (then no row carries it yet)."""
        if self._open_change is not None:
            return self._open_change, False
        # Asked once per transaction (revision 0016: decertify, close_open_range and the
        # certify fallback asked up to three times). Not one INSERT ... WHERE NOT EXISTS
        # nor an upsert naming the open row: when a trigger opened the change already
        # (copy_collection's new collection) those cost ~50 us of CPU, the SELECT ~14.
        row = self._conn.execute(_OPEN_CHANGE).fetchone()
        if row is not None:
            self._open_change = row[0]
            return row[0], False
        # change_id is an INTEGER PRIMARY KEY (the rowid): the insert's lastrowid is it.
        self._open_change = self._conn.execute(_NEW_CHANGE, (_now_us(),)).lastrowid
        return self._open_change, True

    def _forget_change(self) -> None:
        """At every transaction boundary and rollback (a rolled-back savepoint can take the
        change's row with it): _change_id asks the file again."""
        self._open_change = None

    # -- readers -------------------------------------------------------------------------

    def _seal_raw_change(self) -> None:
        """Before current_epoch, epoch_at and history: a change a raw writer committed is
        sealed (given its epoch) first, when this registry is outside a transaction (it
        takes the write lock for that; inside one, an open change is the caller's own)."""
        if (not self._in_transaction()  # type: ignore[attr-defined]
                and self._conn.execute(_OPEN_CHANGE).fetchone() is not None):
            with self._write():  # type: ignore[attr-defined]
                pass  # BEGIN IMMEDIATE seals it (_seal_pending)

    def _current_epoch(self) -> int:
        """The latest sealed epoch (a raw writer's committed change sealed first)."""
        with self._errors():  # type: ignore[attr-defined]
            self._seal_raw_change()
            return self._conn.execute(_CURRENT).fetchone()[0]

    def _epoch_at(self, instant: datetime) -> int:
        with self._errors():  # type: ignore[attr-defined]
            self._seal_raw_change()
            return self._conn.execute(
                "SELECT coalesce(max(change_id), 0) FROM change"
                " WHERE open IS NULL AND committed_at <= ?", (_to_us(instant),)).fetchone()[0]

    def _as_of(self, epoch: int) -> int:
        """``epoch`` checked as an as-of argument: 0 <= epoch <= current_epoch()
        (calib._as_of; a future epoch has no fixed answer yet), and not below the history
        horizon (prune_history dropped the versions it would need: an answer would be
        wrong). The one place every as-of read resolves its epoch; read in the caller's
        snapshot, so a prune committing meanwhile is seen whole or not at all."""
        current = self._conn.execute(_CURRENT).fetchone()[0]
        if epoch < 0 or epoch > current:
            raise error("as_of_range", as_of=epoch, current=current)
        self._check_horizon(epoch)
        return epoch

    def _horizon(self) -> int:
        """The history horizon: the earliest epoch whose state is kept (history_horizon)."""
        return self._conn.execute(_HORIZON).fetchone()[0]

    def _check_horizon(self, epoch: int) -> None:
        """An epoch below the horizon is refused (as_of_pruned): as-of reads and
        ``history(since=...)``."""
        horizon = self._horizon()
        if epoch < horizon:
            raise error("as_of_pruned", as_of=epoch, earliest=horizon)


def committed_at(value: Any) -> datetime | None:
    return None if value is None else _from_us(value)
