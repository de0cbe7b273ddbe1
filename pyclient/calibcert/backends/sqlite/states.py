"""Collection states (twins sql/functions/set_collection_state.sql,
set_collection_writers.sql and _check_change.sql; differs by necessity: SQLite has no roles,
so there are no writer lists: set_collection_writers raises InvalidArgumentError, and the
writer rule of _check_change has nothing to check).

The FROZEN rule for raw writers of the file is sql/sqlite/schema/frozen.sql; the checks
here run first, inside the call's serialized transaction, and give the precise error."""

from __future__ import annotations

import json

from .catalog import Catalog, _Coll
from .values import MIN_US, _err, _ts_text

#: The operations an APPEND_ONLY collection refuses outright (the rest of _check_change).
APPEND_ONLY_REFUSED = ("decertify", "untag", "remove_collection", "set_chain")


class States(Catalog):
    def _set_collection_state(self, name: str, state: str | None) -> str:
        with self._write(op="set_collection_state"):
            self._invalidate()
            coll = self._collection(name)
            if state is None:
                raise _err("argument_null", what="collection state")
            if state.upper() not in ("OPEN", "APPEND_ONLY", "FROZEN"):
                raise _err("collection_state_unknown", state=state, collection=name)
            if state.upper() != "FROZEN" and self._snapshot_of(  # type: ignore[attr-defined]
                    coll.id) is not None:
                raise _err("snapshot_frozen", collection=name, state=state.upper())
            self._conn.execute("UPDATE collection SET state = ? WHERE collection_id = ?"
                               " AND state <> ?", (state.upper(), coll.id, state.upper()))
            return coll.state

    def _set_collection_writers(self, name: str, roles: list[str] | None) -> list[str] | None:
        with self._read():
            self._collection(name)
        raise _err("writers_postgresql_only", collection=name)

    def _check_change(self, coll: _Coll, operation: str, items: str | None = None) -> None:
        """calib._check_change for ``coll`` as read inside this call's write transaction:
        FROZEN refuses ``operation``; APPEND_ONLY refuses APPEND_ONLY_REFUSED and, for a
        certification (``items``: the scratch table of its items, with key ``k`` and begin
        ``b``, MIN_US when unbounded), an item that begins before the latest begin stored
        for its key."""
        if coll.state == "FROZEN" and not (
                operation == "remove_collection"  # a snapshot: FROZEN by construction
                and self._snapshot_of(coll.id) is not None):  # type: ignore[attr-defined]
            raise _err("collection_frozen", collection=coll.name, operation=operation)
        if coll.state != "APPEND_ONLY":
            return
        if operation in APPEND_ONLY_REFUSED:
            raise _err("collection_append_only", collection=coll.name, operation=operation)
        if items is None:
            return
        # The APPEND_ONLY begin rule (its PostgreSQL twin: calib._check_change).
        bad = self._one(
            f"SELECT r.k, r.b, l.latest FROM {items} AS r"
            " JOIN (SELECT data_id_key, max(begin_us) AS latest FROM certification"
            "       WHERE collection_id = ? GROUP BY data_id_key) AS l ON l.data_id_key = r.k"
            " WHERE r.b < l.latest ORDER BY r.ord LIMIT 1", (coll.id,))
        if bad is not None:
            row = self._one("SELECT di.value, t.name FROM data_id AS di"
                            " JOIN dataset_type AS t ON t.dataset_type_id = di.dataset_type_id"
                            " WHERE di.data_id_key = ?", (bad["k"],))
            raise _err("append_only_begin", collection=coll.name, operation=operation,
                       dataset_type=row["name"], data_id=json.loads(row["value"]),
                       begin=None if bad["b"] == MIN_US else _ts_text(bad["b"]),
                       latest=None if bad["latest"] == MIN_US else _ts_text(bad["latest"]))
