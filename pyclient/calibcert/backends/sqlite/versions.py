"""Closed certification versions written a statement at a time (revision 0016; twin of the
statement-level trigger sql/functions/_certification_statement.sql, whose transition table
PostgreSQL has and SQLite has not).

The file's row triggers certification_history_update and _delete (sql/sqlite/schema/
history.sql) record what every writer changes, one row at a time: about 20 us of the ~30 us
a changed row cost (bench/README.md "SQLite writes (revision 0016)"). A call that changes
many certifications with one UPDATE or DELETE (close_open_range, decertify) instead writes
the same version rows with one INSERT ... SELECT just before it, once it knows it changes
enough rows to pay (_versions_by_statement): change_context.versions is set for the rest of
the call, and the row triggers step aside. Raw writers, and every other call, never set it:
the triggers record them. What is written here is exactly what those triggers write
(tests/test_sqlite_versions.py compares the two ways row by row; the behaviour suite
compares both backends' history, explain and revert).
"""

from __future__ import annotations

from typing import Any

from .connection import SqliteConnection

_COLUMNS = ("collection_id, data_id_key, begin_us, end_us, dataset_type_id, dataset_id, run_id,"
            " successor_begin_us, created_change, removed_change, created_operation,"
            " removed_operation")


#: From how many changed rows a call writes the versions itself: below, the two statements
#: of _close_versions cost more than the row triggers (measured, bench/README.md).
STATEMENT_VERSIONS = 8


class Versions(SqliteConnection):
    def _versions_by_statement(self, n: int, *, always: bool = False,
                               checked_into: int | None = None) -> bool:
        """Before a call opened with ``_write(lazy_op=True)`` changes ``n`` certifications:
        names its operation in change_context, with versions = 1 (the row triggers step
        aside, the call then calls _close_versions) when ``n`` is large enough to pay, or
        ``always`` (decertify: its UPDATE must read as a delete and an insert, which the
        update trigger would record as an update). ``checked_into``: named in the same
        UPDATE (epochs.ChangeLog._check_into) by a call whose only certification INSERT
        is the one it stands for (decertify's second pieces: one statement less)."""
        by_statement = always or n >= STATEMENT_VERSIONS
        self._context_call = (self._context_call[0], 1 if by_statement else None,
                              checked_into)
        self._name_operation()
        return by_statement

    def _close_versions(self, where: str, params: dict[str, Any], successor: bool,
                        source: str = "certification AS c") -> None:
        """Before an UPDATE (``successor``: the rows keep their key and begin, so each
        closed version leads to the row it becomes) or a DELETE of the certifications
        matching ``where`` (on table ``c`` of ``source``, which may join others to it):
        their current versions are closed by this
        change, unless this change created them (nobody saw those: the trigger keeps
        nothing either). After _versions_by_statement said True; the caller's own UPDATE
        sets created_change and created_operation to this change's, as the trigger would."""
        chg, fresh = self._change_id_fresh()
        p = {**params, "chg_": chg, "op_": self._operation_label}
        self._conn.execute(
            f"INSERT INTO certification_version ({_COLUMNS})"
            " SELECT c.collection_id, c.data_id_key, c.begin_us, c.end_us, c.dataset_type_id,"
            f"       c.dataset_id, c.run_id, {'c.begin_us' if successor else 'NULL'},"
            "       c.created_change, :chg_, c.created_operation, :op_"
            f" FROM {source} WHERE ({where}) AND c.created_change IS NOT :chg_", p)
        if not successor and not fresh:  # fresh: no row carries the change yet
            # A row this change created replaced a version this change closed (an UPDATE
            # earlier in the transaction): removed now, it no longer leads anywhere (the
            # delete trigger's second statement). Nothing to do for an UPDATE that keeps
            # the key and begin: the successor stays the same row.
            self._conn.execute(
                "UPDATE certification_version SET successor_begin_us = NULL"
                " WHERE removed_change = :chg_"
                "   AND (collection_id, data_id_key, successor_begin_us) IN ("
                f"     SELECT c.collection_id, c.data_id_key, c.begin_us FROM {source}"
                f"    WHERE ({where}) AND c.created_change = :chg_)", p)
