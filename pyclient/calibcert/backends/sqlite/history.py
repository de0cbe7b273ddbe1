"""history (twins sql/functions/history.sql; README "History and time travel").

The same rows, columns and order as calib.history: one row per changed certification, tag,
dataset (of a RUN), collection row or chain position per change, of every collection that
ever bore the name, oldest first. Differs by necessity: SQLite has no certification_id, so
a certification an UPDATE changed is paired with the row it became through
certification_version.successor_begin_us (same collection and data ID key; see
sql/sqlite/schema/history.sql); the rows are gathered by SQL and ordered here, by
calib.history's ORDER BY (jsonb's text of ``detail`` included, :func:`_detail_sort_key`).
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import error
from ...history import HistoryRow
from ...messages import jsonb_text
from ...types import canonical_data_id
from .catalog import Catalog
from .epochs import committed_at
from .values import MIN_US, _timespan, _uuid

#: Certification rows: every version (current or closed) at the change that created it,
#: with the closed version it replaced (paired), then every closed version no version
#: replaced, at the change that removed it. Columns: change, operation, type, key,
#: dataset, before (b, e), after (b, e).
_CERTS = """
WITH ids AS (SELECT value AS id FROM json_each(:ids)),
every AS (
    SELECT collection_id, data_id_key, begin_us, end_us, dataset_type_id, dataset_id,
           created_change, created_operation
    FROM certification WHERE collection_id IN ids
    UNION ALL
    SELECT collection_id, data_id_key, begin_us, end_us, dataset_type_id, dataset_id,
           created_change, created_operation
    FROM certification_version WHERE collection_id IN ids)
SELECT a.created_change, a.created_operation, a.dataset_type_id, a.data_id_key, a.dataset_id,
       b.begin_us, b.end_us, a.begin_us, a.end_us
FROM every AS a
LEFT JOIN certification_version AS b
  ON b.collection_id = a.collection_id AND b.data_id_key = a.data_id_key
 AND b.successor_begin_us = a.begin_us AND b.removed_change = a.created_change
WHERE (:tid IS NULL OR a.dataset_type_id = :tid) AND (:key IS NULL OR a.data_id_key = :key)
UNION ALL
SELECT b.removed_change, b.removed_operation, b.dataset_type_id, b.data_id_key, b.dataset_id,
       b.begin_us, b.end_us, NULL, NULL
FROM certification_version AS b
WHERE b.collection_id IN ids
  AND (:tid IS NULL OR b.dataset_type_id = :tid) AND (:key IS NULL OR b.data_id_key = :key)
  AND NOT EXISTS (SELECT 1 FROM every AS a
                  WHERE a.collection_id = b.collection_id AND a.data_id_key = b.data_id_key
                    AND a.begin_us = b.successor_begin_us
                    AND a.created_change = b.removed_change)"""

#: Tags and datasets of a RUN: (change, operation, type, key, dataset, present).
_MEMBERSHIP = """
SELECT created_change, created_operation, dataset_type_id, data_id_key, dataset_id, 1
FROM {table} WHERE {owner} IN (SELECT value FROM json_each(:ids))
  AND (:tid IS NULL OR dataset_type_id = :tid) AND (:key IS NULL OR data_id_key = :key)
UNION ALL
SELECT removed_change, removed_operation, dataset_type_id, data_id_key, dataset_id, 0
FROM {table} WHERE {owner} IN (SELECT value FROM json_each(:ids))
  AND removed_change IS NOT NULL
  AND (:tid IS NULL OR dataset_type_id = :tid) AND (:key IS NULL OR data_id_key = :key)"""


#: PostgreSQL's text of a jsonb value: calib.history's last sort key.
_detail_sort_key = jsonb_text


class History(Catalog):
    def _history(self, collection: str, dataset_type: str | None,
                 data_id: dict[str, Any] | None, since: int | None,
                 until: int | None) -> list[HistoryRow]:
        with self._errors():
            self._seal_raw_change()  # type: ignore[attr-defined]
        with self._read():
            # Pruned history (prune_history): a since below the horizon is refused (the
            # changes before it are incomplete); without since, rows start at the horizon.
            horizon = self._horizon()  # type: ignore[attr-defined]
            if since is not None:
                self._check_horizon(since)  # type: ignore[attr-defined]
            ids = [r[0] for r in self._q(
                "SELECT DISTINCT collection_id FROM collection_version WHERE name = ?",
                (collection,))]
            if not ids:
                raise error("collection_never", collection=collection)
            dtype = None if dataset_type is None else self._dataset_type(dataset_type)
            key = None
            if data_id is not None:
                if dtype is None:
                    raise error("history_data_id_type", collection=collection)
                enc = self._encoder(dtype)
                canonical = canonical_data_id(data_id, None, dtype.name)
                enc.check(canonical)
                row = self._one("SELECT data_id_key FROM data_id WHERE dataset_type_id = ?"
                                " AND value = ?", (dtype.id, enc.text(canonical)))
                if row is None:
                    return []  # a data ID never stored was never changed
                key = row[0]
            params = {"ids": json.dumps(ids), "tid": None if dtype is None else dtype.id,
                      "key": key}
            # (change, operation, kind, type id, key, dataset, before, after, detail)
            items: list[tuple[Any, ...]] = []
            for r in self._q(_CERTS, params):
                before = None if r[5] is None else (r[5], r[6])
                after = None if r[7] is None else (r[7], r[8])
                items.append((r[0], r[1], 1, r[2], r[3], r[4], before, after, None))
            for kind, table, owner, what, flag in ((2, "tag_version", "collection_id", "tag",
                                                    "tagged"),
                                                   (3, "dataset_version", "run_id", "dataset",
                                                    "present")):
                for r in self._q(_MEMBERSHIP.format(table=table, owner=owner), params):
                    items.append((r[0], r[1], kind, r[2], r[3], r[4], None, None,
                                  {"what": what, flag: bool(r[5])}))
            if dtype is None:
                items.extend(self._collection_items(ids))
            return self._rows(collection, items, since, until, horizon)

    def _collection_items(self, ids: list[int]) -> list[tuple[Any, ...]]:
        """The collection's own versions and its chain positions (kind 0)."""
        out: list[tuple[Any, ...]] = []
        params = {"ids": json.dumps(ids)}
        versions = self._q(
            "SELECT collection_id, name, type, state, created_change, removed_change,"
            " created_operation, removed_operation FROM collection_version"
            " WHERE collection_id IN (SELECT value FROM json_each(:ids))", params)

        def state(v: Any) -> dict[str, Any]:
            return {"name": v["name"], "type": v["type"], "state": v["state"], "writers": None}

        self._full_join(versions, ("collection_id",), out, lambda b, a: {
            "what": "collection", "before": None if b is None else state(b),
            "after": None if a is None else state(a)})
        chain = self._q(
            "SELECT parent_id, position, child_id, created_change, removed_change,"
            " created_operation, removed_operation FROM chain_version"
            " WHERE parent_id IN (SELECT value FROM json_each(:ids))", params)
        names: dict[int, str] = {}
        for r in self._q("SELECT collection_id, name FROM collection_version"
                         " ORDER BY created_change"):
            names[r[0]] = r[1]  # the latest version's name, as calib.history names a child
        self._full_join(chain, ("parent_id", "position"), out, lambda b, a: {
            "what": "chain", "position": (a or b)["position"],
            "child_before": None if b is None else names.get(b["child_id"]),
            "child_after": None if a is None else names.get(a["child_id"])})
        return out

    @staticmethod
    def _full_join(versions: list[Any], key: tuple[str, ...], out: list[tuple[Any, ...]],
                   detail: Any) -> None:
        """calib.history's FULL JOIN of every version (a) with the closed version (b) of the
        same key the same change removed: a row per version at its creation (with b when
        paired), a row per unpaired closed version at its removal."""
        closed = {(tuple(v[k] for k in key), v["removed_change"]): v for v in versions
                  if v["removed_change"] is not None}
        paired = set()
        for a in versions:
            b = closed.get((tuple(a[k] for k in key), a["created_change"]))
            if b is not None:
                paired.add(id(b))
            out.append((a["created_change"], a["created_operation"], 0, None, None, None,
                        None, None, detail(b, a)))
        for b in closed.values():
            if id(b) not in paired:
                out.append((b["removed_change"], b["removed_operation"], 0, None, None, None,
                            None, None, detail(b, None)))

    def _rows(self, collection: str, items: list[tuple[Any, ...]], since: int | None,
              until: int | None, horizon: int) -> list[HistoryRow]:
        changes = {r[0]: r for r in self._q(
            "SELECT change_id, open, committed_at, db_role, app_user, reason, request_id"
            " FROM change"
            " WHERE change_id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted({i[0] for i in items})),))}
        type_names = {r[0]: r[1] for r in self._q("SELECT dataset_type_id, name FROM dataset_type")}
        values = self._data_id_values({i[4] for i in items if i[4] is not None})
        rows = []
        for chg, op, kind, tid, key, dataset, before, after, detail in items:
            ch = changes[chg]
            epoch = None if ch["open"] else chg
            if since is not None and (epoch is None or epoch < since):
                continue
            if until is not None and (epoch is None or epoch > until):
                continue
            if epoch is not None and epoch < horizon:
                continue  # what is left of pruned changes
            span = after or before
            order = (epoch is None, epoch or 0, chg, kind,
                     (tid is not None, type_names.get(tid, "")), (key is not None, key or 0),
                     after is not None, (span is not None, MIN_US if span is None else span[0]),
                     "" if detail is None else _detail_sort_key(detail))
            rows.append((order, HistoryRow(
                epoch, committed_at(ch["committed_at"]), ch["db_role"], ch["app_user"],
                ch["reason"], op, collection, type_names.get(tid) if tid is not None else None,
                None if key is None else dict(values[key]),
                None if dataset is None else _uuid(dataset),
                None if before is None else _timespan(*before),
                None if after is None else _timespan(*after), detail, ch["request_id"])))
        rows.sort(key=lambda r: r[0])
        return [r for _, r in rows]
